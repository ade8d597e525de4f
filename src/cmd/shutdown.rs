//! SHUTDOWN: stop the server from a client, as SIGTERM does.
//!
//! What happens then is the server's orderly shutdown (see
//! [`server`](crate::server)): stop accepting, let every connection finish
//! the batch it is executing and write its replies, close every client,
//! then write and fsync the write-ahead log and exit 0. The calling client
//! gets no reply: the connection closes, as Redis's does.
//!
//! # SAVE and NOSAVE
//!
//! Redis saves an RDB snapshot on SHUTDOWN SAVE (and by default when save
//! points are configured). convoy writes no snapshots; its durable state is
//! the write-ahead log, which every shutdown flushes and fsyncs whatever
//! the flags. So:
//!
//! - `NOSAVE`, or no flag: shut down (the log, if on, is flushed).
//! - `SAVE` with `--appendonly yes`: shut down; the log holds every write,
//!   which is what the caller asked SAVE to keep.
//! - `SAVE` with the log off: nothing can be saved, so the shutdown is
//!   refused with Redis's reply to a failed save, `-ERR Errors trying to
//!   SHUTDOWN. Check logs.`, and the reason goes to the server's log
//!   (stderr), unless `FORCE` is given: then, as Redis does with FORCE,
//!   the failure to save does not stop the shutdown.
//!
//! `NOW` is accepted and changes nothing (there are no replicas to wait
//! for), and `ABORT` always answers `-ERR No shutdown in progress.`, since a
//! convoy shutdown never waits.

use super::{err, is, Access, CmdResult, CommandSpec, CommandTable, Ctx};
use crate::keyspace::Keyspace;
use crate::resp::Reply;
use bytes::Bytes;

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    t.add(CommandSpec {
        name: "shutdown",
        arity: -1,
        flags: &["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"],
        keys: (0, 0, 0),
        access: Access::None,
        group: "server",
        summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.",
        since: "1.0.0",
        subcommands: &[],
        handler: shutdown::<K>,
    });
}

/// # Format
/// `SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]`
fn shutdown<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let (mut save, mut nosave, mut now, mut force, mut abort) = (false, false, false, false, false);
    for arg in &args[1..] {
        let flag = if is(arg, "nosave") {
            &mut nosave
        } else if is(arg, "save") {
            &mut save
        } else if is(arg, "now") {
            &mut now
        } else if is(arg, "force") {
            &mut force
        } else if is(arg, "abort") {
            &mut abort
        } else {
            return Err(Reply::error(err::SYNTAX));
        };
        *flag = true;
    }
    // Redis's illegal combinations: ABORT with anything, SAVE with NOSAVE.
    if (abort && (save || nosave || now || force)) || (save && nosave) {
        return Err(Reply::error(err::SYNTAX));
    }
    if abort {
        return Err(Reply::error("ERR No shutdown in progress."));
    }
    if save && ctx.server.wal.is_none() {
        log(&format!(
            "SHUTDOWN SAVE{}: convoy writes no snapshots and the write-ahead log is off (--appendonly no), so \
             nothing can be saved",
            if force { " FORCE" } else { "" }
        ));
        if !force {
            log("shutdown refused (use SHUTDOWN NOSAVE, or add FORCE)");
            return Err(Reply::error("ERR Errors trying to SHUTDOWN. Check logs."));
        }
    }
    ctx.server.shutdown.send_replace(true);
    log(&format!("SHUTDOWN requested by client {}, shutting down", ctx.client.id()));
    // No reply: the connection closes after the replies before this one.
    ctx.client.close_after_reply = true;
    Ok(Reply::Sequence(Vec::new()))
}

/// A line in the server's log (stderr). A log that cannot be written
/// (stderr closed) must not stop the shutdown, so unlike `eprintln!` this
/// never panics.
fn log(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "convoy: {line}");
}
