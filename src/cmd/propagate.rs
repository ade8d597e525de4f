//! What the write-ahead log records for a write command: usually the
//! command itself, rewritten where replaying it as sent would not give
//! the same result (as Redis rewrites what it propagates to its AOF).
//!
//! - Relative times become absolute: `SET k v EX 10` is logged as
//!   `SET k v PXAT <ms>`, `EXPIRE k 10` as `PEXPIREAT k <ms>`, so a replay
//!   an hour later does not extend a key's life. The time logged is the
//!   one the command stored, read back from the key while the command
//!   still holds it. An expiry time already past deletes the key, and is
//!   logged as `DEL`.
//! - Random or time-made choices are logged as what was chosen: SPOP as
//!   SREM of the members it popped, XADD `*` with the ID it made.
//! - Floating-point increments are logged as their result (`INCRBYFLOAT`
//!   as `SET ... KEEPTTL`, `HINCRBYFLOAT` as `HSET`), as Redis does, so a
//!   replay never differs in the last digit.
//! - Blocking commands are logged as the non-blocking command that ran
//!   (`BLPOP a b 0` that popped from `b` as `LPOP b`).
//! - A write that changed nothing (SETNX that lost, DEL of a missing key,
//!   EXPIRE of a missing key) is not logged; an error reply means nothing
//!   changed.
//!
//! The records are appended while the command still holds its ordering
//! stripes or the exclusive gate (see [`crate::wal::order`]); the
//! connection then holds its replies until the log acknowledges them
//! (`server::connection`).

use super::{is, CommandSpec, Ctx};
use crate::keyspace::{Keyspace, UnixMillis};
use crate::resp::Reply;
use crate::wal::order::Mark;
use crate::wal::Wal;
use bytes::Bytes;
use std::borrow::Cow;

/// How a write command is logged.
#[derive(Debug, PartialEq)]
pub enum Record<'a> {
    /// Not at all: it changed nothing.
    Skip,
    /// As these arguments (the command itself, or a rewrite of it).
    Args(Cow<'a, [Bytes]>),
}

/// The record for a write command that ran with `args` and replied
/// `reply` (not an error). `stored` tells what the command left under its
/// key: `None` if the key is absent (or already expired), else its expiry
/// time. A command that set a time is logged with the time it stored,
/// read back rather than computed again from its arguments.
pub fn record_for<'a>(
    args: &'a [Bytes],
    reply: &Reply,
    stored: impl FnOnce() -> Option<Option<UnixMillis>>,
) -> Record<'a> {
    let name = args[0].to_ascii_lowercase();
    let same = Record::Args(Cow::Borrowed(args));
    let new = |v: Vec<Bytes>| Record::Args(Cow::Owned(v));
    let key = || args[1].clone();
    let expiry_options = |opts: &[Bytes]| opts.iter().any(|a| is_expiry_option(a));
    match name.as_slice() {
        b"set" => {
            let get = args[3..].iter().any(|a| is(a, "get"));
            if !get && matches!(reply, Reply::Null) {
                return Record::Skip; // NX or XX refused
            }
            if !expiry_options(&args[3..]) {
                return same;
            }
            // The expiry option becomes the absolute time the key got.
            let mut out = vec![args[0].clone(), key(), args[2].clone()];
            let mut i = 3;
            while i < args.len() {
                if is_expiry_option(&args[i]) {
                    i += 2;
                    continue;
                }
                out.push(args[i].clone());
                i += 1;
            }
            match stored() {
                None => new(vec![Bytes::from_static(b"DEL"), key()]),
                Some(at) => {
                    if let Some(at) = at {
                        out.extend([Bytes::from_static(b"PXAT"), Bytes::from(at.to_string())]);
                    }
                    new(out)
                }
            }
        }
        b"setex" | b"psetex" => match stored() {
            Some(Some(at)) => new(vec![
                Bytes::from_static(b"SET"),
                key(),
                args[3].clone(),
                Bytes::from_static(b"PXAT"),
                Bytes::from(at.to_string()),
            ]),
            _ => new(vec![Bytes::from_static(b"DEL"), key()]),
        },
        b"setnx" | b"hsetnx" | b"persist" | b"lpushx" | b"rpushx" | b"renamenx" | b"msetnx" if is_zero(reply) => {
            Record::Skip
        }
        b"del" | b"unlink" | b"hdel" | b"srem" | b"zrem" | b"xdel" | b"lrem" if is_zero(reply) => Record::Skip,
        b"getdel" | b"lpop" | b"rpop" | b"rpoplpush" | b"lmove" | b"zpopmin" | b"zpopmax" if is_nothing(reply) => {
            Record::Skip
        }
        b"getex" => {
            if matches!(reply, Reply::Null) {
                return Record::Skip;
            }
            if args[2..].iter().any(|a| is(a, "persist")) {
                return new(vec![Bytes::from_static(b"PERSIST"), key()]);
            }
            if !expiry_options(&args[2..]) {
                return Record::Skip; // GETEX without options only reads
            }
            new(expiry_record(key(), stored()))
        }
        b"expire" | b"pexpire" | b"expireat" | b"pexpireat" => {
            if is_zero(reply) {
                return Record::Skip;
            }
            new(expiry_record(key(), stored()))
        }
        b"incrbyfloat" => match reply {
            Reply::Bulk(v) => new(vec![Bytes::from_static(b"SET"), key(), v.clone(), Bytes::from_static(b"KEEPTTL")]),
            _ => same,
        },
        b"hincrbyfloat" => match reply {
            Reply::Bulk(v) => new(vec![Bytes::from_static(b"HSET"), key(), args[2].clone(), v.clone()]),
            _ => same,
        },
        b"spop" => match bulk_items(reply) {
            Some(members) if !members.is_empty() => {
                let mut out = vec![Bytes::from_static(b"SREM"), key()];
                out.extend(members);
                new(out)
            }
            _ => Record::Skip,
        },
        b"blpop" | b"brpop" | b"bzpopmin" | b"bzpopmax" => match reply {
            Reply::Array(items) if !items.is_empty() => {
                let Reply::Bulk(popped_from) = &items[0] else { return same };
                let cmd: &'static [u8] = match name.as_slice() {
                    b"blpop" => b"LPOP",
                    b"brpop" => b"RPOP",
                    b"bzpopmin" => b"ZPOPMIN",
                    _ => b"ZPOPMAX",
                };
                new(vec![Bytes::from_static(cmd), popped_from.clone()])
            }
            _ => Record::Skip,
        },
        b"blmove" | b"brpoplpush" => {
            if is_nothing(reply) {
                return Record::Skip;
            }
            if name == b"brpoplpush" {
                new(vec![Bytes::from_static(b"RPOPLPUSH"), key(), args[2].clone()])
            } else {
                new(vec![Bytes::from_static(b"LMOVE"), key(), args[2].clone(), args[3].clone(), args[4].clone()])
            }
        }
        b"xadd" => match reply {
            Reply::Bulk(id) => {
                let at = xadd_id_position(args);
                let mut out = args.to_vec();
                if let Some(slot) = out.get_mut(at) {
                    *slot = id.clone();
                }
                new(out)
            }
            _ => Record::Skip, // NOMKSTREAM on a missing stream
        },
        _ => same,
    }
}

/// Whether an argument is one of the expiry options `EX|PX|EXAT|PXAT`.
fn is_expiry_option(arg: &[u8]) -> bool {
    ["ex", "px", "exat", "pxat"].iter().any(|w| is(arg, w))
}

/// The record that gives `key` the expiry it now has: `PEXPIREAT` at its
/// time, `PERSIST` for none, or `DEL` if the command removed it (a time
/// already past deletes the key).
fn expiry_record(key: Bytes, stored: Option<Option<UnixMillis>>) -> Vec<Bytes> {
    match stored {
        None => vec![Bytes::from_static(b"DEL"), key],
        Some(None) => vec![Bytes::from_static(b"PERSIST"), key],
        Some(Some(at)) => vec![Bytes::from_static(b"PEXPIREAT"), key, Bytes::from(at.to_string())],
    }
}

/// Where XADD's ID argument is: after the key and its options.
fn xadd_id_position(args: &[Bytes]) -> usize {
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        if is(a, "nomkstream") {
            i += 1;
        } else if is(a, "maxlen") || is(a, "minid") {
            i += 1;
            if args.get(i).is_some_and(|a| a.as_ref() == b"=" || a.as_ref() == b"~") {
                i += 1;
            }
            i += 1;
        } else if is(a, "limit") {
            i += 2;
        } else {
            break;
        }
    }
    i
}

fn is_zero(reply: &Reply) -> bool {
    matches!(reply, Reply::Integer(0) | Reply::Bool(false))
}

/// A nil reply, or an empty array: nothing was popped or moved.
fn is_nothing(reply: &Reply) -> bool {
    match reply {
        Reply::Null | Reply::NullArray => true,
        Reply::Array(v) | Reply::Set(v) => v.is_empty(),
        Reply::BulkStrings { count, .. } => *count == 0,
        _ => false,
    }
}

/// The bulk strings of a reply that is one, or an array or set of them.
fn bulk_items(reply: &Reply) -> Option<Vec<Bytes>> {
    match reply {
        Reply::Bulk(b) => Some(vec![b.clone()]),
        Reply::Array(v) | Reply::Set(v) => v
            .iter()
            .map(|r| match r {
                Reply::Bulk(b) => Some(b.clone()),
                _ => None,
            })
            .collect(),
        Reply::BulkStrings { count, encoded } => {
            let mut out = Vec::with_capacity(*count);
            let mut pos = 0;
            while pos < encoded.len() {
                let end = pos + memchr::memmem::find(&encoded[pos..], b"\r\n")?;
                let len: usize = std::str::from_utf8(&encoded[pos + 1..end]).ok()?.parse().ok()?;
                out.push(encoded.slice(end + 2..end + 2 + len));
                pos = end + 2 + len + 2;
            }
            Some(out)
        }
        _ => None,
    }
}

/// Log a write command that has just run: called by the dispatcher while
/// the command still holds its stripes (`exclusive` false) or the gate's
/// exclusive side (`exclusive` true).
pub fn log_command<K: Keyspace>(
    ctx: &mut Ctx<'_, K>,
    spec: &CommandSpec<K>,
    args: &[Bytes],
    reply: &Reply,
    exclusive: bool,
) {
    let Some(wal) = ctx.server.wal.as_deref() else { return };
    let stored = || ctx.db().peek(&args[1], ctx.now, |e| e.map(|e| e.expires_at));
    let Record::Args(record) = record_for(args, reply, stored) else { return };
    let db = ctx.client.db;
    if ctx.in_exec && !ctx.client.wal_in_multi {
        ctx.client.wal_in_multi = true;
        wal.append(db, &[b"MULTI"], false);
    }
    let to_rewrite =
        if exclusive { route_exclusive(ctx, wal, spec, &record) } else { wal.rewrite_wants(db, &record[1]) };
    let argv: smallvec::SmallVec<[&[u8]; 8]> = record.iter().map(|a| a.as_ref()).collect();
    wal.append(db, &argv, to_rewrite);
}

/// Close a transaction's records with EXEC, if it logged any.
pub fn end_transaction<K: Keyspace>(ctx: &mut Ctx<'_, K>) {
    if !std::mem::take(&mut ctx.client.wal_in_multi) {
        return;
    }
    if let Some(wal) = ctx.server.wal.as_deref() {
        wal.append(ctx.client.db, &[b"EXEC"], false);
    }
}

/// The record of a multi-key command, running alone. If the rewrite has
/// copied all its keys, the record goes to the rewrite too; if none, it
/// need not; if some, the record cannot be replayed after the rewrite's
/// copy (it would apply twice to the copied keys), so the copied keys'
/// new contents are given to the rewrite instead, and the others are
/// remembered for it to copy.
fn route_exclusive<K: Keyspace>(ctx: &Ctx<'_, K>, wal: &Wal, spec: &CommandSpec<K>, record: &[Bytes]) -> bool {
    let db = ctx.client.db;
    if spec.name == "flushdb" || spec.name == "flushall" {
        wal.rewrites.restart_requested.store(true, std::sync::atomic::Ordering::Relaxed);
        return false;
    }
    // The keys of the record, by the record's own command: a rewritten
    // record has other arguments than the command that ran (BLPOP a b 0
    // is logged as LPOP b, whose key BLPOP's key positions would miss).
    let logged = ctx.server.commands.get(&record[0]).unwrap_or(spec);
    let keys: Vec<&[u8]> = command_keys(logged, record).collect();
    let marks: Vec<Mark> = keys.iter().map(|k| wal.order.mark(db, k)).collect();
    if marks.iter().all(|m| *m == Mark::Idle) {
        return false;
    }
    if marks.iter().all(|m| *m == Mark::Done) {
        return true;
    }
    for (key, mark) in keys.iter().zip(marks) {
        match mark {
            Mark::Pending => wal.order.touch(db, key),
            Mark::Done => {
                let mut out = Vec::new();
                ctx.db().peek(key, ctx.now, |e| crate::wal::rewrite::key_records(db, key, e, &mut out, true));
                wal.append_to_rewrite(&out);
            }
            Mark::Idle => {}
        }
    }
    false
}

/// The keys a command names, by its key specification.
pub fn command_keys<'a, K>(spec: &CommandSpec<K>, args: &'a [Bytes]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let n = args.len() as i32;
    let (first, last, step) = match spec.keys {
        // No keys, or keys found otherwise (XREAD's follow STREAMS): an
        // empty range.
        (first, _, step) if first <= 0 || step <= 0 => (1, 0, 1),
        // A negative last counts from the end (-1: the last argument).
        (first, last, step) if last < 0 => (first, n + last, step),
        (first, last, step) => (first, last.min(n - 1), step),
    };
    (first..=last).step_by(step as usize).map(move |i| args[i as usize].as_ref())
}
