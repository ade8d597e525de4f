//! Transactions: MULTI EXEC DISCARD WATCH UNWATCH.
//!
//! # Atomicity
//!
//! EXEC runs its queued commands while holding the exclusive side of the
//! [gate](crate::keyspace::gate): every other command (each holds the
//! shared side while it runs) has finished before the first queued command
//! starts, and none starts before the last one ends. No other client's
//! command interleaves with a transaction, on any backend, whatever keys
//! it touches. The price is paid by transactions, not by everyone else: an
//! ordinary command takes one uncontended read lock on its own thread's
//! shard of the gate.
//!
//! # WATCH
//!
//! See [`crate::keyspace::watch`]: every change of a watched key raises the
//! client's flag; EXEC checks it under the exclusive gate, after removing
//! watched keys that expired since WATCH (which counts as a change, as in
//! Redis 7), and fails with a null reply if it is raised.

use super::{Access, CmdResult, CommandSpec, CommandTable, Ctx};
use crate::keyspace::{Key, Keyspace};
use crate::resp::Reply;
use crate::server::{ClientState, Multi, Shared};
use bytes::Bytes;
use std::sync::atomic::Ordering;

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    let tx = |name, arity, flags, summary, since, handler| CommandSpec {
        name,
        arity,
        flags,
        keys: (0, 0, 0),
        access: Access::None,
        group: "transactions",
        summary,
        since,
        subcommands: &[],
        handler,
    };
    t.add(tx(
        "multi",
        1,
        &["noscript", "loading", "stale", "fast", "allow_busy"],
        "Starts a transaction.",
        "1.2.0",
        multi::<K>,
    ));
    t.add(tx(
        "exec",
        1,
        &["noscript", "loading", "stale", "skip_slowlog"],
        "Executes all commands in a transaction.",
        "1.2.0",
        exec::<K>,
    ));
    t.add(tx(
        "discard",
        1,
        &["noscript", "loading", "stale", "fast", "allow_busy"],
        "Discards a transaction.",
        "2.0.0",
        discard::<K>,
    ));
    t.add(CommandSpec {
        keys: (1, -1, 1),
        ..tx(
            "watch",
            -2,
            &["noscript", "loading", "stale", "fast", "allow_busy"],
            "Monitors changes to keys to determine the execution of a transaction.",
            "2.2.0",
            watch::<K>,
        )
    });
    t.add(tx(
        "unwatch",
        1,
        &["noscript", "loading", "stale", "fast", "allow_busy"],
        "Forgets about watched keys of a transaction.",
        "2.2.0",
        unwatch::<K>,
    ));
}

/// Commands that run at once even inside MULTI, as in Redis's
/// `processCommand`; everything else is queued.
pub fn runs_inside_multi(name: &str) -> bool {
    matches!(name, "exec" | "discard" | "multi" | "watch" | "quit" | "reset")
}

/// A command was refused (unknown, wrong arity): an open transaction can
/// no longer be executed.
pub fn refused(client: &mut ClientState) {
    if let Some(multi) = client.multi.as_mut() {
        multi.aborted = true;
    }
}

/// EXEC was refused before it could run (wrong arity): the transaction is
/// discarded, as Redis's `execCommandAbort` does.
pub fn abort<K: Keyspace>(ctx: &mut Ctx<'_, K>, why: &str) -> Reply {
    ctx.client.multi = None;
    forget_watches(ctx.server, ctx.client);
    Reply::error_owned(format!("EXECABORT Transaction discarded because of: {why}"))
}

/// # Format
/// `MULTI`
fn multi<K: Keyspace>(ctx: &mut Ctx<'_, K>, _args: &[Bytes]) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(Reply::error("ERR MULTI calls can not be nested"));
    }
    ctx.client.multi = Some(Multi::default());
    Ok(Reply::OK)
}

/// # Format
/// `EXEC`: an array of the queued commands' replies; a null array if a
/// watched key changed.
fn exec<K: Keyspace>(ctx: &mut Ctx<'_, K>, _args: &[Bytes]) -> CmdResult {
    let Some(multi) = ctx.client.multi.take() else {
        return Err(Reply::error("ERR EXEC without MULTI"));
    };
    if multi.aborted {
        forget_watches(ctx.server, ctx.client);
        return Err(Reply::error("EXECABORT Transaction discarded because of previous errors."));
    }
    let server = ctx.server;
    let _alone = server.gate.exclusive();
    // A watched key that expired since WATCH counts as changed: remove it
    // now, which raises the flag.
    for (db, key) in &ctx.client.watching {
        server.dbs[*db].purge_expired(key, ctx.now);
    }
    // Relaxed: every touch happened in a command that has ended, before
    // the exclusive gate above was granted.
    let changed = ctx.client.watch_flag.load(Ordering::Relaxed);
    forget_watches(server, ctx.client);
    if changed {
        return Ok(Reply::NullArray);
    }
    ctx.in_exec = true;
    let replies = multi.queue.iter().map(|args| super::execute_queued(ctx, args)).collect();
    ctx.in_exec = false;
    // The log wraps the transaction's writes in MULTI ... EXEC, so that a
    // crash in the middle of writing them replays none of them.
    super::propagate::end_transaction(ctx);
    Ok(Reply::Array(replies))
}

/// # Format
/// `DISCARD`
fn discard<K: Keyspace>(ctx: &mut Ctx<'_, K>, _args: &[Bytes]) -> CmdResult {
    if ctx.client.multi.take().is_none() {
        return Err(Reply::error("ERR DISCARD without MULTI"));
    }
    forget_watches(ctx.server, ctx.client);
    Ok(Reply::OK)
}

/// # Format
/// `WATCH key [key ...]`
fn watch<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(Reply::error("ERR WATCH inside MULTI is not allowed"));
    }
    let db = ctx.client.db;
    for key in &args[1..] {
        // A key already expired is gone, not changed later: remove it
        // before watching, so its removal does not raise the flag.
        ctx.db().peek_exists(key, ctx.now);
        if ctx.client.watching.iter().any(|(d, k)| *d == db && k[..] == key[..]) {
            continue;
        }
        ctx.db().watches.watch(key, &ctx.client.watch_flag);
        ctx.client.watching.push((db, Key::from_slice(key)));
    }
    // Publish the registration to every writer (see keyspace::watch).
    drop(ctx.server.gate.exclusive());
    Ok(Reply::OK)
}

/// # Format
/// `UNWATCH`
fn unwatch<K: Keyspace>(ctx: &mut Ctx<'_, K>, _args: &[Bytes]) -> CmdResult {
    forget_watches(ctx.server, ctx.client);
    Ok(Reply::OK)
}

/// Drop every WATCH of `client` and lower its flag (after EXEC, DISCARD,
/// UNWATCH, and when the connection ends).
pub fn forget_watches<K: Keyspace>(server: &Shared<K>, client: &mut ClientState) {
    for (db, key) in client.watching.drain(..) {
        server.dbs[db].watches.unwatch(&key, &client.watch_flag);
    }
    client.watch_flag.store(false, Ordering::Relaxed);
}
