//! SLOWLOG: reading the [slow log](crate::server::slowlog), and the hook
//! that fills it.
//!
//! The hook, [`log_if_slow`], runs for every command that ran (from
//! [`execute`](super::execute) and [`execute_queued`](super::execute_queued),
//! beside the command statistics), with the duration the statistics
//! measured. What Redis leaves out, convoy leaves out: calls refused before
//! running (unknown command, wrong arity), commands queued by MULTI (they
//! are logged when EXEC runs them, one entry each), and EXEC itself
//! (Redis's `skip_slowlog` flag). The client's name is read after the
//! command ran, so `CLIENT SETNAME x` is logged under `x`, as in Redis.
//! With `--metrics off` nothing is timed and nothing is logged (see the
//! log's module doc).

use super::server::{help, subcommand};
use super::{is, subcommand_syntax_error, Access, CmdResult, CommandSpec, CommandTable, Ctx, Subcommand};
use crate::keyspace::Keyspace;
use crate::resp::{parse::parse_i64, Reply};
use crate::server::slowlog::Entry;
use bytes::Bytes;

const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        name: "slowlog|get",
        arity: -2,
        flags: &["admin", "loading", "stale"],
        summary: "Get the slow log's entries",
    },
    Subcommand {
        name: "slowlog|help",
        arity: 2,
        flags: &["loading", "stale"],
        summary: "Show helpful text about the different subcommands",
    },
    Subcommand {
        name: "slowlog|len",
        arity: 2,
        flags: &["admin", "loading", "stale"],
        summary: "Get the slow log's length",
    },
    Subcommand {
        name: "slowlog|reset",
        arity: 2,
        flags: &["admin", "loading", "stale"],
        summary: "Clear all entries from the slow log",
    },
];

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    t.add(CommandSpec {
        name: "slowlog",
        arity: -2,
        flags: &[],
        keys: (0, 0, 0),
        access: Access::None,
        group: "server",
        summary: "A container for slow log commands",
        since: "2.2.12",
        subcommands: SUBCOMMANDS,
        handler: slowlog::<K>,
    });
}

/// Log the call of `spec` with `args`, which lasted `nanos`, if it was
/// slow. The common case, not slow, is one relaxed atomic load.
pub fn log_if_slow<K: Keyspace>(ctx: &Ctx<'_, K>, spec: &CommandSpec<K>, args: &[Bytes], nanos: u64) {
    let log = &ctx.server.slowlog;
    let micros = nanos / 1000;
    if !log.is_slow(micros) || spec.name == "exec" {
        return;
    }
    let secret = redacted(spec, args);
    let name = ctx.client.info.name.lock().clone();
    log.push(args, |i| secret.contains(&i), micros, ctx.client.info.addr, name);
}

/// The positions of arguments the log must not keep: HELLO's `AUTH
/// username password`, as Redis's `redactClientCommandArgument` hides
/// them (convoy has no AUTH command of its own). Options are walked as
/// HELLO walks them, so a malformed HELLO hides what Redis hides.
fn redacted<K>(spec: &CommandSpec<K>, args: &[Bytes]) -> Vec<usize> {
    let mut hidden = Vec::new();
    if spec.name != "hello" {
        return hidden;
    }
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - i - 1;
        if is(&args[i], "auth") && more >= 2 {
            hidden.extend([i + 1, i + 2]);
            i += 3;
        } else if is(&args[i], "setname") && more >= 1 {
            i += 2;
        } else {
            break;
        }
    }
    hidden
}

/// # Format
/// ```text
/// SLOWLOG GET [count]
/// SLOWLOG LEN
/// SLOWLOG RESET
/// SLOWLOG HELP
/// ```
///
/// GET replies with the newest `count` entries (default 10, -1: all),
/// newest first, each `[id, unix time, microseconds, [arguments...],
/// "ip:port", client name]`.
fn slowlog<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let sub = subcommand("slowlog", SUBCOMMANDS, args)?;
    let log = &ctx.server.slowlog;
    match sub.name {
        "slowlog|get" => {
            let count = match args {
                [_, _] => 10,
                [_, _, count] => parse_count(count)?,
                _ => return Err(subcommand_syntax_error(args)),
            };
            Ok(Reply::Array(log.newest(count).into_iter().map(entry_reply).collect()))
        }
        "slowlog|len" => Ok(Reply::Integer(log.len() as i64)),
        "slowlog|reset" => {
            log.reset();
            Ok(Reply::OK)
        }
        "slowlog|help" => Ok(help(
            "slowlog",
            &[
                "GET [<count>]",
                "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                "    Entries are made of:",
                "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                "    client name",
                "LEN",
                "    Return the length of the slowlog.",
                "RESET",
                "    Reset the slowlog.",
            ],
        )),
        _ => unreachable!("every SLOWLOG subcommand is handled"),
    }
}

/// GET's count: an integer from -1 (all) up, with Redis's one message for
/// anything else.
fn parse_count(arg: &[u8]) -> Result<usize, Reply> {
    match parse_i64(arg) {
        Some(-1) => Ok(usize::MAX),
        Some(n) if n >= 0 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err(Reply::error("ERR count should be greater than or equal to -1")),
    }
}

fn entry_reply(e: Entry) -> Reply {
    Reply::Array(vec![
        Reply::Integer(e.id as i64),
        Reply::Integer(e.time as i64),
        Reply::Integer(e.duration_us as i64),
        Reply::Array(e.args.into_iter().map(Reply::Bulk).collect()),
        Reply::bulk_str(&e.peer),
        Reply::Bulk(e.name),
    ])
}
