//! MEMORY: how much memory a key takes (USAGE), and the allocator's own
//! commands (PURGE, MALLOC-STATS).
//!
//! The process-wide figures (`used_memory` and the rest) are INFO memory's,
//! in [`super::server`], read from the [counting allocator](crate::metrics::alloc).
//! MEMORY USAGE cannot read an allocator figure for one key: like Redis, it
//! estimates the key's size from its representation, here convoy's own
//! (see [`Value::heap_size`](crate::keyspace::Value::heap_size)), so the
//! figures differ from Redis's for the same data, as the representations
//! differ.
//!
//! MEMORY DOCTOR and MEMORY STATS are not implemented.

use super::server::{help, subcommand};
use super::{err, parse_int, Access, CmdResult, CommandSpec, CommandTable, Ctx, Subcommand};
use crate::keyspace::{Entry, Key, Keyspace};
use crate::resp::Reply;
use bytes::Bytes;
use std::mem::size_of;

const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        name: "memory|help",
        arity: 2,
        flags: &["loading", "stale"],
        summary: "Returns helpful text about the different subcommands.",
    },
    Subcommand { name: "memory|malloc-stats", arity: 2, flags: &[], summary: "Returns the allocator statistics." },
    Subcommand { name: "memory|purge", arity: 2, flags: &[], summary: "Asks the allocator to release memory." },
    Subcommand {
        name: "memory|usage",
        arity: -3,
        flags: &["readonly"],
        summary: "Estimates the memory usage of a key.",
    },
];

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    t.add(CommandSpec {
        name: "memory",
        arity: -2,
        flags: &[],
        keys: (0, 0, 0),
        // USAGE reads a key.
        access: Access::Shared,
        group: "server",
        summary: "A container for memory diagnostics commands.",
        since: "4.0.0",
        subcommands: SUBCOMMANDS,
        handler: memory::<K>,
    });
}

/// The elements MEMORY USAGE samples in a collection unless told
/// otherwise (Redis's `OBJ_COMPUTE_SIZE_DEF_SAMPLES`).
pub const DEFAULT_SAMPLES: usize = 5;

/// # Format
/// ```text
/// MEMORY USAGE key [SAMPLES count]
/// MEMORY PURGE
/// MEMORY MALLOC-STATS
/// MEMORY HELP
/// ```
fn memory<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let sub = subcommand("memory", SUBCOMMANDS, args)?;
    match sub.name {
        "memory|usage" => usage(ctx, args),
        "memory|purge" => {
            crate::metrics::alloc::purge();
            Ok(Reply::OK)
        }
        // What Redis replies when built on an allocator other than jemalloc.
        "memory|malloc-stats" => Ok(Reply::bulk_str("Stats not supported for the current allocator")),
        "memory|help" => Ok(help(
            "memory",
            &[
                "MALLOC-STATS",
                "    Return internal statistics report from the memory allocator.",
                "PURGE",
                "    Attempt to purge dirty pages for reclamation by the allocator.",
                "USAGE <key> [SAMPLES <count>]",
                "    Return memory in bytes used by <key> and its value. Nested values are",
                "    sampled up to <count> times (default: 5, 0 means sample all).",
            ],
        )),
        _ => unreachable!("every MEMORY subcommand is handled"),
    }
}

/// `MEMORY USAGE key [SAMPLES count]`: the estimated bytes of the key and
/// its value, or nil for a missing key. The options are checked before the
/// key is looked up, as in Redis: `SAMPLES` takes an integer (0: every
/// element), a negative count or any other word is a syntax error.
///
/// The figure is [`key_size`] plus the value's
/// [`heap_size`](crate::keyspace::Value::heap_size). What a backend spends
/// per key beyond the key and the entry themselves (bucket control bytes,
/// the per-key slot of papaya and flurry, epoch garbage) is not counted:
/// the trait does not expose it, and it is the same for every key of a
/// backend.
fn usage<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let mut samples = DEFAULT_SAMPLES;
    let mut rest = &args[3..];
    while !rest.is_empty() {
        match rest {
            [opt, count, more @ ..] if super::is(opt, "samples") => {
                samples = match parse_int(count)? {
                    n if n < 0 => return Err(Reply::error(err::SYNTAX)),
                    0 => usize::MAX,
                    n => n as usize,
                };
                rest = more;
            }
            _ => return Err(Reply::error(err::SYNTAX)),
        }
    }
    let key = &args[2];
    let size = ctx.db().get(key, ctx.now, |e| e.map(|e| key_size(key) + e.value.heap_size(samples)));
    Ok(size.map_or(Reply::Null, |n| Reply::Integer(n as i64)))
}

/// What storing `key` costs besides its value's heap: the key and the
/// entry as a map holds them side by side, and the key's own buffer when
/// it is too long to sit inline (see [`Key`]).
pub fn key_size(key: &[u8]) -> usize {
    let inline = Key::new().inline_size();
    size_of::<Key>() + size_of::<Entry>() + if key.len() > inline { key.len() } else { 0 }
}
