//! CONFIG: reading and changing server parameters while the server runs.
//!
//! Every parameter is one row of `PARAMS`: its name, how to read it, and,
//! for the mutable ones, how to parse a new value into the run-time
//! [`Settings`]. Parameters fixed at startup (`port`, `databases`, ...) have
//! no setter and answer `can't set immutable config`, as Redis does for its
//! own immutable ones.
//!
//! CONFIG SET is all or nothing: every value is parsed into a copy of the
//! settings under the write lock, and the copy replaces the settings only
//! if all parsed.
//!
//! Some mutable parameters are stored and reported but not acted on yet:
//! `maxmemory`, `maxmemory-policy` and `save` (convoy writes no
//! snapshots). The client limits (`maxclients`, `timeout`,
//! `proto-max-bulk-len`, `client-query-buffer-limit`,
//! `client-output-buffer-limit`) take effect at once: they are mirrored
//! into [`limits::Live`](crate::server::limits::Live), which connections
//! read without a lock. `hz` takes effect at once (the
//! active-expiry thread reads it every cycle), and so does `appendfsync`
//! (handed to the write-ahead log; stored only when the log is off), and
//! so do `slowlog-log-slower-than` and `slowlog-max-len` (mirrored into
//! the [slow log](crate::server::slowlog), which commands read without a
//! lock). `latency-monitor-threshold` is fixed at 0: convoy has no latency
//! monitor (see [`latency`](super::latency)).

use super::server::{help, subcommand};
use super::{err, error_line, is, Access, CmdResult, CommandSpec, CommandTable, Ctx, Subcommand};
use crate::keyspace::{glob, Keyspace};
use crate::resp::parse::parse_i64;
use crate::resp::Reply;
use crate::server::Settings;
use bytes::Bytes;
use std::io::Write as _;

const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        name: "config|get",
        arity: -3,
        flags: &["admin", "noscript", "loading", "stale"],
        summary: "Returns the effective values of configuration parameters.",
    },
    Subcommand {
        name: "config|help",
        arity: 2,
        flags: &["loading", "stale"],
        summary: "Returns helpful text about the different subcommands.",
    },
    Subcommand {
        name: "config|resetstat",
        arity: 2,
        flags: &["admin", "noscript", "loading", "stale"],
        summary: "Resets the server's statistics.",
    },
    Subcommand {
        name: "config|rewrite",
        arity: 2,
        flags: &["admin", "noscript", "loading", "stale"],
        summary: "Persists the effective configuration to file.",
    },
    Subcommand {
        name: "config|set",
        arity: -4,
        flags: &["admin", "noscript", "loading", "stale"],
        summary: "Sets configuration parameters in-flight.",
    },
];

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    t.add(CommandSpec {
        name: "config",
        arity: -2,
        flags: &[],
        keys: (0, 0, 0),
        access: Access::None,
        group: "server",
        summary: "A container for server configuration commands.",
        since: "2.0.0",
        subcommands: SUBCOMMANDS,
        handler: config::<K>,
    });
}

/// What a parameter's value is read from: the run-time settings and the
/// facts fixed at startup.
struct View<'a> {
    settings: &'a Settings,
    port: u16,
    bind: &'a str,
    databases: usize,
    appendonly: bool,
    dir: &'a std::path::Path,
}

/// A new value for a mutable parameter, or the reason it was refused (the
/// text after `CONFIG SET failed (...) - `).
type Setter = fn(&mut Settings, &[u8]) -> Result<(), String>;

/// One configuration parameter.
struct Param {
    /// As redis.conf spells it.
    name: &'static str,
    get: fn(&View<'_>) -> String,
    /// `None`: fixed at startup.
    set: Option<Setter>,
}

/// Every parameter CONFIG knows, by name. Includes what redis-benchmark
/// asks for (`save`, `appendonly`).
const PARAMS: &[Param] = &[
    Param {
        name: "appendfsync",
        get: |v| v.settings.appendfsync.to_string(),
        set: Some(|s, a| {
            s.appendfsync = one_of(a, &["everysec", "always", "no"])?;
            Ok(())
        }),
    },
    Param { name: "appendonly", get: |v| if v.appendonly { "yes" } else { "no" }.to_string(), set: None },
    Param { name: "bind", get: |v| v.bind.to_string(), set: None },
    Param {
        name: "client-output-buffer-limit",
        get: |v| v.settings.client_output_buffer_limit.render(),
        set: Some(|s, a| s.client_output_buffer_limit.apply(&String::from_utf8_lossy(a))),
    },
    Param {
        name: "client-query-buffer-limit",
        get: |v| v.settings.client_query_buffer_limit.to_string(),
        set: Some(|s, a| {
            s.client_query_buffer_limit = buffer_limit(a)?;
            Ok(())
        }),
    },
    Param { name: "databases", get: |v| v.databases.to_string(), set: None },
    Param {
        name: "dir",
        get: |v| std::fs::canonicalize(v.dir).unwrap_or_else(|_| v.dir.to_path_buf()).display().to_string(),
        set: None,
    },
    Param {
        name: "hz",
        get: |v| v.settings.hz.to_string(),
        set: Some(|s, a| {
            // Redis accepts any non-negative int and clamps it to 1..=500.
            s.hz = integer(a, 0, i32::MAX as i64)?.clamp(1, 500) as u32;
            Ok(())
        }),
    },
    // Fixed: there is no latency monitor to enable (LATENCY answers as Redis
    // does with the monitor off).
    Param { name: "latency-monitor-threshold", get: |_| "0".to_string(), set: None },
    Param {
        name: "maxclients",
        get: |v| v.settings.maxclients.to_string(),
        set: Some(|s, a| {
            s.maxclients = integer(a, 1, u32::MAX as i64)? as u64;
            Ok(())
        }),
    },
    Param {
        name: "maxmemory",
        get: |v| v.settings.maxmemory.to_string(),
        set: Some(|s, a| {
            s.maxmemory = memory(a)?;
            Ok(())
        }),
    },
    Param {
        name: "maxmemory-policy",
        get: |v| v.settings.maxmemory_policy.to_string(),
        set: Some(|s, a| {
            s.maxmemory_policy = one_of(
                a,
                &[
                    "volatile-lru",
                    "volatile-lfu",
                    "volatile-random",
                    "volatile-ttl",
                    "allkeys-lru",
                    "allkeys-lfu",
                    "allkeys-random",
                    "noeviction",
                ],
            )?;
            Ok(())
        }),
    },
    Param { name: "port", get: |v| v.port.to_string(), set: None },
    Param {
        name: "protected-mode",
        get: |v| if v.settings.protected_mode { "yes" } else { "no" }.to_string(),
        set: Some(|s, a| {
            s.protected_mode = one_of(a, &["yes", "no"])? == "yes";
            Ok(())
        }),
    },
    Param {
        name: "proto-max-bulk-len",
        get: |v| v.settings.proto_max_bulk_len.to_string(),
        set: Some(|s, a| {
            s.proto_max_bulk_len = buffer_limit(a)?;
            Ok(())
        }),
    },
    // Shown in clear, as Redis shows it (CONFIG is an admin command).
    Param {
        name: "requirepass",
        get: |v| v.settings.requirepass.clone(),
        set: Some(|s, a| {
            s.requirepass = String::from_utf8(a.to_vec()).map_err(|_| "argument must be valid UTF-8")?;
            Ok(())
        }),
    },
    Param {
        name: "save",
        get: |v| v.settings.save.clone(),
        set: Some(|s, a| {
            s.save = save_points(a)?;
            Ok(())
        }),
    },
    Param {
        name: "slowlog-log-slower-than",
        get: |v| v.settings.slowlog_log_slower_than.to_string(),
        set: Some(|s, a| {
            // Microseconds; -1 disables the log, 0 logs every command.
            s.slowlog_log_slower_than = integer(a, -1, i64::MAX)?;
            Ok(())
        }),
    },
    Param {
        name: "slowlog-max-len",
        get: |v| v.settings.slowlog_max_len.to_string(),
        set: Some(|s, a| {
            s.slowlog_max_len = integer(a, 0, i64::MAX)? as u64;
            Ok(())
        }),
    },
    Param {
        name: "timeout",
        get: |v| v.settings.timeout.to_string(),
        set: Some(|s, a| {
            s.timeout = integer(a, 0, i32::MAX as i64)? as u64;
            Ok(())
        }),
    },
];

/// # Format
/// ```text
/// CONFIG GET parameter [parameter ...]
/// CONFIG SET parameter value [parameter value ...]
/// CONFIG RESETSTAT
/// CONFIG HELP
/// ```
fn config<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let sub = subcommand("config", SUBCOMMANDS, args)?;
    match sub.name {
        "config|get" => config_get(ctx, &args[2..]),
        "config|set" => config_set(ctx, args),
        "config|rewrite" => config_rewrite(ctx),
        "config|resetstat" => {
            ctx.server.reset_stats();
            Ok(Reply::OK)
        }
        "config|help" => Ok(help(
            "config",
            &[
                "GET <pattern>",
                "    Return parameters matching the glob-like <pattern> and their values.",
                "SET <directive> <value>",
                "    Set the configuration <directive> to <value>.",
                "RESETSTAT",
                "    Reset statistics reported by the INFO command.",
                "REWRITE",
                "    Rewrite the configuration file.",
            ],
        )),
        _ => unreachable!("every CONFIG subcommand is handled"),
    }
}

/// `CONFIG GET pattern ...`: a map of name to value (a flat array in
/// RESP2). A pattern without glob characters is looked up exactly and
/// answered under the name as the client spelt it, as Redis does; each
/// parameter appears once however many patterns match it.
fn config_get<K: Keyspace>(ctx: &mut Ctx<'_, K>, patterns: &[Bytes]) -> CmdResult {
    let settings = ctx.server.settings.read().clone();
    let view = View {
        settings: &settings,
        port: ctx.server.local_addr.port(),
        bind: &ctx.server.config.bind,
        databases: ctx.server.dbs.len(),
        appendonly: ctx.server.wal.is_some(),
        dir: &ctx.server.config.dir,
    };
    let mut seen = [false; PARAMS.len()];
    let mut out = Vec::new();
    for pattern in patterns {
        let is_glob = pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'['));
        for (i, p) in PARAMS.iter().enumerate() {
            if seen[i] {
                continue;
            }
            if is_glob && glob::matches(pattern, p.name.as_bytes(), true) {
                out.push((Reply::bulk_str(p.name), Reply::bulk_str(&(p.get)(&view))));
                seen[i] = true;
            } else if !is_glob && is(pattern, p.name) {
                out.push((Reply::Bulk(pattern.clone()), Reply::bulk_str(&(p.get)(&view))));
                seen[i] = true;
            }
        }
    }
    Ok(Reply::Map(out))
}

/// `CONFIG REWRITE`: write every parameter's value into the config file
/// the server started with (see [`configfile`](crate::configfile)).
fn config_rewrite<K: Keyspace>(ctx: &mut Ctx<'_, K>) -> CmdResult {
    let Some(path) = ctx.server.config.config_file.as_deref() else {
        return Err(Reply::error("ERR The server is running without a config file"));
    };
    let settings = ctx.server.settings.read().clone();
    let config = &ctx.server.config;
    // The port as configured (`--port 0` stays 0: any free port again).
    let now = View {
        settings: &settings,
        port: config.port,
        bind: &config.bind,
        databases: ctx.server.dbs.len(),
        appendonly: ctx.server.wal.is_some(),
        dir: &config.dir,
    };
    let default_config = <crate::config::Config as clap::Parser>::parse_from(["convoy"]);
    let default_settings = Settings::defaults(&default_config);
    let defaults = View {
        settings: &default_settings,
        port: default_config.port,
        bind: &default_config.bind,
        databases: default_config.databases,
        appendonly: default_config.appendonly,
        dir: &default_config.dir,
    };
    let entries: Vec<crate::configfile::Entry> = PARAMS
        .iter()
        .map(|p| {
            let value = (p.get)(&now);
            let line = match p.name {
                // Several words, as redis.conf writes save points.
                "save" if !value.is_empty() => format!("save {value}"),
                name => format!("{name} {}", crate::configfile::quote(&value, matches!(name, "dir" | "requirepass"))),
            };
            crate::configfile::Entry { name: p.name, line, is_default: value == (p.get)(&defaults) }
        })
        .collect();
    crate::configfile::rewrite(path, &entries).map_err(|e| error_line(format!("ERR Rewriting config file: {e}")))?;
    let _ = writeln!(std::io::stderr(), "convoy: CONFIG REWRITE executed with success.");
    Ok(Reply::OK)
}

/// Whether CONFIG SET may change `name` (lower case): the config file
/// sets such parameters through [`set_param`].
pub fn settable(name: &str) -> bool {
    PARAMS.iter().any(|p| p.name == name && p.set.is_some())
}

/// Set one parameter as CONFIG SET would, for the config file. `None`: no
/// such settable parameter.
pub fn set_param(settings: &mut Settings, name: &str, value: &[u8]) -> Option<Result<(), String>> {
    let set = PARAMS.iter().find(|p| p.name == name)?.set?;
    Some(set(settings, value))
}

/// `CONFIG SET parameter value ...`: all or nothing. The first unknown,
/// immutable or repeated name is reported before any value is parsed.
fn config_set<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    // Arity (-4) lets an odd count through; Redis then answers a syntax
    // error, not an arity error.
    if args.len() % 2 != 0 {
        return Err(Reply::error(err::SYNTAX));
    }
    let failed = |name: &[u8], why: &str| {
        error_line(format!(
            "ERR CONFIG SET failed (possibly related to argument '{}') - {why}",
            String::from_utf8_lossy(name)
        ))
    };
    let mut changes: Vec<(Setter, &Bytes, &Bytes)> = Vec::new();
    let mut chosen = Vec::new();
    for pair in args[2..].chunks_exact(2) {
        let (name, value) = (&pair[0], &pair[1]);
        let Some(i) = PARAMS.iter().position(|p| is(name, p.name)) else {
            return Err(error_line(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                String::from_utf8_lossy(name)
            )));
        };
        let Some(set) = PARAMS[i].set else {
            return Err(failed(name, "can't set immutable config"));
        };
        if chosen.contains(&i) {
            return Err(failed(name, "duplicate parameter"));
        }
        chosen.push(i);
        changes.push((set, name, value));
    }
    let mut settings = ctx.server.settings.write();
    let mut next = settings.clone();
    for (set, name, value) in changes {
        set(&mut next, value).map_err(|why| failed(name, &why))?;
    }
    if let Some(wal) = ctx.server.wal.as_deref() {
        // The log's policy changes at once, as Redis's does.
        let policy = <crate::wal::Fsync as clap::ValueEnum>::from_str(next.appendfsync, true).expect("checked");
        wal.set_fsync_policy(policy);
    }
    // Under the settings lock, so that two CONFIG SETs leave the mirror as
    // they leave the settings.
    ctx.server.slowlog.configure(next.slowlog_log_slower_than, next.slowlog_max_len);
    ctx.server.limits.store(&next);
    ctx.server.auth.set_password(&next.requirepass);
    *settings = next;
    Ok(Reply::OK)
}

/// A plain integer in `min..=max` (Redis's `string2ll` and range check).
fn integer(arg: &[u8], min: i64, max: i64) -> Result<i64, String> {
    let n = parse_i64(arg).ok_or("argument couldn't be parsed into an integer")?;
    if n < min || n > max {
        return Err(format!("argument must be between {min} and {max} inclusive"));
    }
    Ok(n)
}

/// A byte count with an optional unit, as Redis's `memtoull`: `b`, `k`
/// (1000), `kb` (1024), `m`, `mb`, `g`, `gb`, in any case.
pub(crate) fn memory(arg: &[u8]) -> Result<u64, String> {
    const BAD: &str = "argument must be a memory value";
    let digits = arg.iter().take_while(|b| b.is_ascii_digit()).count();
    let (number, unit) = arg.split_at(digits);
    let unit = String::from_utf8_lossy(unit).to_ascii_lowercase();
    let multiplier: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return Err(BAD.into()),
    };
    // Like strtoull, no digits at all reads as 0.
    let n: u64 =
        if number.is_empty() { 0 } else { std::str::from_utf8(number).ok().and_then(|s| s.parse().ok()).ok_or(BAD)? };
    n.checked_mul(multiplier).ok_or_else(|| BAD.into())
}

/// `proto-max-bulk-len` and `client-query-buffer-limit`: a memory value
/// of at least 1 MiB, as Redis bounds both.
pub(crate) fn buffer_limit(arg: &[u8]) -> Result<u64, String> {
    let n = memory(arg)?;
    let min = crate::server::limits::MIN_BUFFER_LIMIT;
    if n < min || n > i64::MAX as u64 {
        return Err(format!("argument must be between {min} and {} inclusive", i64::MAX));
    }
    Ok(n)
}

/// One of a fixed set of names, in any case.
fn one_of(arg: &[u8], choices: &[&'static str]) -> Result<&'static str, String> {
    choices
        .iter()
        .find(|c| is(arg, c))
        .copied()
        .ok_or_else(|| format!("argument(s) must be one of the following: {}", choices.join(", ")))
}

/// `save`'s value: pairs of `seconds changes` (seconds at least 1, changes
/// at least 0), or empty for none. Stored normalised, one space apart.
fn save_points(arg: &[u8]) -> Result<String, String> {
    const BAD: &str = "Invalid save parameters";
    let text = std::str::from_utf8(arg).map_err(|_| BAD)?;
    let words: Vec<&str> = text.split_ascii_whitespace().collect();
    if words.len() % 2 != 0 {
        return Err(BAD.into());
    }
    let mut points = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let n: i64 = w.parse().map_err(|_| BAD)?;
        let least = if i % 2 == 0 { 1 } else { 0 };
        if n < least {
            return Err(BAD.into());
        }
        points.push(n.to_string());
    }
    Ok(points.join(" "))
}
