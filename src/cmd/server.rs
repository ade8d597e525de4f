//! Server commands: DBSIZE FLUSHDB FLUSHALL TIME INFO COMMAND, and the
//! helpers that container commands (CONFIG, CLIENT, COMMAND) share.
//!
//! INFO and COMMAND only read what the rest of the server already keeps:
//! INFO sums per-client and per-database counters when asked (nothing on
//! the per-command path is shared), and COMMAND renders the
//! [`CommandTable`], so the table is the single source of every command's
//! arity, flags and key positions.

use super::{err, is, wrong_arity, Access, CmdResult, CommandSpec, CommandTable, Ctx, Subcommand};
use crate::keyspace::{glob, Keyspace};
use crate::metrics::Snapshot;
use crate::resp::Reply;
use crate::server::Shared;
use bytes::Bytes;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// The Redis version convoy reports (HELLO, INFO): the command set and
/// replies it follows.
pub const REDIS_VERSION: &str = "7.2.4";

const COMMAND_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        name: "command|count",
        arity: 2,
        flags: &["loading", "stale"],
        summary: "Returns a count of commands.",
    },
    Subcommand {
        name: "command|docs",
        arity: -2,
        flags: &["loading", "stale"],
        summary: "Returns documentary information about one, multiple or all commands.",
    },
    Subcommand {
        name: "command|getkeys",
        arity: -4,
        flags: &["loading", "stale"],
        summary: "Extracts the key names from an arbitrary command.",
    },
    Subcommand {
        name: "command|help",
        arity: 2,
        flags: &["loading", "stale"],
        summary: "Returns helpful text about the different subcommands.",
    },
    Subcommand {
        name: "command|info",
        arity: -2,
        flags: &["loading", "stale"],
        summary: "Returns information about one, multiple or all commands.",
    },
    Subcommand {
        name: "command|list",
        arity: -2,
        flags: &["loading", "stale"],
        summary: "Returns a list of command names.",
    },
];

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    let server = |name, arity, flags, summary, handler| CommandSpec {
        name,
        arity,
        flags,
        keys: (0, 0, 0),
        access: Access::None,
        group: "server",
        summary,
        since: "1.0.0",
        subcommands: &[],
        handler,
    };
    t.add(server("dbsize", 1, &["readonly", "fast"], "Returns the number of keys in the database.", dbsize::<K>));
    t.add(CommandSpec {
        access: Access::Exclusive,
        ..server("flushdb", -1, &["write"], "Removes all keys from the current database.", flushdb::<K>)
    });
    t.add(CommandSpec {
        access: Access::Exclusive,
        ..server("flushall", -1, &["write"], "Removes all keys from all databases.", flushall::<K>)
    });
    t.add(CommandSpec {
        since: "2.6.0",
        ..server("time", 1, &["loading", "stale", "fast"], "Returns the server time.", time::<K>)
    });
    t.add(CommandSpec {
        since: "1.0.0",
        ..server(
            "bgrewriteaof",
            1,
            &["admin", "noscript", "no_async_loading"],
            "Asynchronously rewrites the append-only file to disk.",
            bgrewriteaof::<K>,
        )
    });
    t.add(server("info", -1, &["loading", "stale"], "Returns information and statistics about the server.", info::<K>));
    t.add(CommandSpec {
        since: "2.8.13",
        subcommands: COMMAND_SUBCOMMANDS,
        ..server("command", -1, &["loading", "stale"], "Returns detailed information about all commands.", command::<K>)
    });
}

/// # Format
/// `BGREWRITEAOF`
///
/// Starts a rewrite of the write-ahead log from the live keyspace, in the
/// background (see [`crate::wal::rewrite`]).
fn bgrewriteaof<K: Keyspace>(ctx: &mut Ctx<'_, K>, _args: &[Bytes]) -> CmdResult {
    let Some(wal) = ctx.server.wal.as_deref() else {
        return Err(Reply::error("ERR The append-only file is off: start convoy with --appendonly yes"));
    };
    if !wal.rewrites.request() {
        return Err(Reply::error("ERR Background append only file rewriting already in progress"));
    }
    Ok(Reply::status("Background append only file rewriting started"))
}

/// Whether every byte is a printable ASCII character other than space,
/// Redis's rule for client names and library names.
pub fn printable(s: &[u8]) -> bool {
    s.iter().all(|c| (b'!'..=b'~').contains(c))
}

// ---------------------------------------------------------------------------
// Container commands
// ---------------------------------------------------------------------------

/// The name a request runs under, as CLIENT LIST's `cmd=` and COMMAND show
/// it: `get`, or `client|list` for a subcommand of a container command.
pub fn full_name<K>(spec: &CommandSpec<K>, args: &[Bytes]) -> &'static str {
    args.get(1).and_then(|sub| lookup_subcommand(spec.subcommands, sub)).map_or(spec.name, |s| s.name)
}

/// The subcommand named `sub` (any case) among `subs`.
pub fn lookup_subcommand(subs: &'static [Subcommand], sub: &[u8]) -> Option<&'static Subcommand> {
    subs.iter().find(|s| s.name.split_once('|').is_some_and(|(_, n)| is(sub, n)))
}

/// The subcommand a container command's request names (`args[1]`), with
/// its arity checked: Redis's errors for an unknown subcommand and for a
/// subcommand's wrong number of arguments.
pub fn subcommand(container: &str, subs: &'static [Subcommand], args: &[Bytes]) -> Result<&'static Subcommand, Reply> {
    let Some(sub) = args.get(1).and_then(|name| lookup_subcommand(subs, name)) else {
        return Err(super::unknown_subcommand(container, args.get(1).map_or(&b""[..], |a| a)));
    };
    let argc = args.len() as i64;
    let arity = sub.arity as i64;
    let ok = if arity >= 0 { argc == arity } else { argc >= -arity };
    if !ok {
        return Err(wrong_arity(sub.name));
    }
    Ok(sub)
}

/// A `<CONTAINER> HELP` reply: a usage line, the given lines, and the HELP
/// entry Redis appends to every one, each as a status string.
pub fn help(container: &str, lines: &[&'static str]) -> Reply {
    let usage = format!("{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", container.to_ascii_uppercase());
    let mut out = vec![Reply::Status(Cow::Owned(usage))];
    out.extend(lines.iter().chain(&["HELP", "    Prints this help."]).map(|l| Reply::status(l)));
    Reply::Array(out)
}

// ---------------------------------------------------------------------------
// DBSIZE FLUSHDB FLUSHALL TIME
// ---------------------------------------------------------------------------

/// # Format
/// `DBSIZE`: the number of keys in the selected database (keys that have
/// expired but not yet been removed included, as in Redis).
fn dbsize<K: Keyspace>(ctx: &mut Ctx<'_, K>, _args: &[Bytes]) -> CmdResult {
    Ok(Reply::Integer(ctx.db().len() as i64))
}

/// `ASYNC` or `SYNC`, the only option of FLUSHDB and FLUSHALL. convoy always
/// flushes synchronously: the exclusive gate is held meanwhile.
fn flush_option(args: &[Bytes]) -> Result<(), Reply> {
    match args {
        [_] => Ok(()),
        [_, opt] if is(opt, "async") || is(opt, "sync") => Ok(()),
        _ => Err(Reply::error(err::SYNTAX)),
    }
}

/// # Format
/// `FLUSHDB [ASYNC | SYNC]`
fn flushdb<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    flush_option(args)?;
    ctx.db().clear(ctx.now);
    Ok(Reply::OK)
}

/// # Format
/// `FLUSHALL [ASYNC | SYNC]`
fn flushall<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    flush_option(args)?;
    for db in ctx.server.dbs.iter() {
        db.clear(ctx.now);
    }
    Ok(Reply::OK)
}

/// # Format
/// `TIME`: `[unix seconds, microseconds]`, both as bulk strings.
fn time<K: Keyspace>(_ctx: &mut Ctx<'_, K>, _args: &[Bytes]) -> CmdResult {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Ok(Reply::Array(vec![
        Reply::bulk_str(&now.as_secs().to_string()),
        Reply::bulk_str(&now.subsec_micros().to_string()),
    ]))
}

// ---------------------------------------------------------------------------
// INFO
// ---------------------------------------------------------------------------

/// The sections convoy writes, in the order Redis writes them, and whether
/// a plain `INFO` (or `INFO default`) includes each: as in Redis, the
/// per-command sections are left out of the default because they are long.
/// `convoy` is convoy's own (backend, threads, metrics mode).
const INFO_SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
    ("convoy", true),
];

/// The percentiles `latencystats` reports (Redis's default
/// `latency-tracking-info-percentiles`).
const LATENCY_PERCENTILES: &[f64] = &[50.0, 99.0, 99.9];

/// # Format
/// `INFO [section [section ...]]`
///
/// Sections as `# Server\r\nkey:value\r\n...`, separated by an empty line.
/// No argument or `default`: the default sections; `all`: every section;
/// `everything`: every section (convoy has no module sections to add).
/// Section names may be combined with these. A verbatim string (`txt`) in
/// RESP3, a bulk string in RESP2.
fn info<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let asked = |name: &str| args[1..].iter().any(|a| is(a, name));
    let all = asked("all") || asked("everything");
    let default = args.len() == 1 || asked("default");
    let mut out = String::new();
    let s = ctx.server;
    // Merged once, and only if a section asked for reads it.
    let snapshot = std::cell::OnceCell::new();
    let stats = || snapshot.get_or_init(|| s.metrics.snapshot());
    for &(section, in_default) in INFO_SECTIONS {
        if !(all || (default && in_default) || asked(section)) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        match section {
            "server" => info_server(s, &mut out),
            "clients" => info_clients(s, &mut out),
            "memory" => info_memory(s, &mut out),
            "persistence" => info_persistence(s, &mut out),
            "stats" => info_stats(s, stats(), &mut out),
            "replication" => info_replication(&mut out),
            "cpu" => info_cpu(&mut out),
            "modules" => out.push_str("# Modules\r\n"),
            "commandstats" => info_commandstats(stats(), &mut out),
            "errorstats" => info_errorstats(stats(), &mut out),
            "latencystats" => info_latencystats(stats(), &mut out),
            "cluster" => info_cluster(&mut out),
            "keyspace" => info_keyspace(s, &mut out),
            "convoy" => info_convoy(s, &mut out),
            _ => unreachable!("every name in INFO_SECTIONS is handled"),
        }
    }
    Ok(Reply::Verbatim("txt", Bytes::from(out)))
}

/// One `key:value\r\n` line.
fn field(out: &mut String, key: &str, value: impl std::fmt::Display) {
    let _ = write!(out, "{key}:{value}\r\n");
}

/// A random 40-hex-digit id, fixed for the life of the process (Redis's
/// `run_id`: tells a restarted server from the one before).
pub fn run_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| rand::random::<[u8; 20]>().iter().map(|b| format!("{b:02x}")).collect())
}

/// `os:` as Redis writes it from uname: system, release, machine.
fn os_name() -> String {
    let system = match std::env::consts::OS {
        "linux" => "Linux".to_string(),
        "macos" => "Darwin".to_string(),
        other => other.to_string(),
    };
    let release =
        std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|r| r.trim().to_string()).unwrap_or_default();
    [system, release, std::env::consts::ARCH.to_string()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn info_server<K: Keyspace>(s: &Shared<K>, out: &mut String) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let uptime = s.started.elapsed().as_secs();
    let hz = s.settings.read().hz;
    let exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default();
    out.push_str("# Server\r\n");
    field(out, "redis_version", REDIS_VERSION);
    field(out, "redis_git_sha1", "00000000");
    field(out, "redis_git_dirty", 0);
    field(out, "redis_mode", "standalone");
    field(out, "os", os_name());
    field(out, "arch_bits", usize::BITS);
    field(out, "monotonic_clock", "POSIX clock_gettime");
    // tokio's reactor (mio) uses epoll on Linux, kqueue on the BSDs.
    field(out, "multiplexing_api", if cfg!(target_os = "linux") { "epoll" } else { "kqueue" });
    field(out, "process_id", std::process::id());
    field(out, "process_supervised", "no");
    field(out, "run_id", run_id());
    field(out, "tcp_port", s.local_addr.port());
    field(out, "server_time_usec", now.as_micros());
    field(out, "uptime_in_seconds", uptime);
    field(out, "uptime_in_days", uptime / 86400);
    field(out, "hz", hz);
    field(out, "configured_hz", hz);
    field(out, "executable", exe);
    field(out, "config_file", "");
    let _ = write!(out, "listener0:name=tcp,bind={},port={}\r\n", s.config.bind, s.local_addr.port());
}

fn info_clients<K: Keyspace>(s: &Shared<K>, out: &mut String) {
    out.push_str("# Clients\r\n");
    field(out, "connected_clients", s.clients.count());
    field(out, "cluster_connections", 0);
    field(out, "maxclients", s.settings.read().maxclients);
    field(out, "blocked_clients", s.blocking.blocked_clients());
    // No client tracking or client timeouts yet.
    field(out, "tracking_clients", 0);
    field(out, "clients_in_timeout_table", 0);
    field(out, "total_blocking_keys", 0);
    field(out, "total_blocking_keys_on_nokey", 0);
}

/// Redis's `bytesToHuman`: `512B`, `1.02M`, two decimals from K upwards.
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: [&str; 5] = ["K", "M", "G", "T", "P"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut scale = 1024f64;
    for unit in UNITS {
        if (n as f64) < scale * 1024.0 {
            return format!("{:.2}{unit}", n as f64 / scale);
        }
        scale *= 1024.0;
    }
    format!("{n}B")
}

/// `a / b` as Redis prints a ratio (`%.2f`), 0 when `b` is 0.
fn ratio(a: usize, b: usize) -> String {
    format!("{:.2}", if b == 0 { 0.0 } else { a as f64 / b as f64 })
}

/// `a - b` for sizes that may cross (Redis's `%zd` fields).
fn diff(a: usize, b: usize) -> i64 {
    a as i64 - b as i64
}

/// INFO memory, Redis 7's fields in Redis's order.
///
/// - `used_memory` is the [counting allocator](crate::metrics::alloc)'s
///   figure, process-wide; `used_memory_peak` the highest figure an INFO
///   has sampled (Redis also samples in its cron; convoy has none).
/// - `used_memory_startup` is the figure when the first client connected
///   ([`Clients::startup_memory`](crate::server::Clients::startup_memory));
///   `used_memory_overhead` is that plus the write-ahead log's pending
///   buffer. Client buffers and the maps' own tables are not counted apart
///   from the data, so they fall in `used_memory_dataset` (Redis counts
///   them as overhead).
/// - `allocator_allocated` and `allocator_active` are glibc's `mallinfo2`
///   figures (in-use blocks with their headers; everything malloc holds);
///   `allocator_resident` is the RSS, the stand-in Redis itself uses when
///   its allocator cannot say (so `rss_overhead_*` read 1.00 and 0).
///   Without glibc these six fields are left out.
/// - Scripting, replication and cluster figures are 0: convoy has no Lua,
///   functions, replicas or cluster links. Nothing is freed lazily, and no
///   memory is set aside from eviction (there is no eviction).
/// - `mem_clients_normal` (client buffers) is left out: connections keep
///   their buffers to themselves (see `cmd::client`).
fn info_memory<K: Keyspace>(s: &Shared<K>, out: &mut String) {
    use crate::metrics::alloc;
    let used = alloc::allocated();
    let peak = alloc::sample_peak().max(used);
    let rss = alloc::rss();
    let startup = s.clients.startup_memory();
    let aof_buffer = s.wal.as_deref().map_or(0, |w| w.figures().buffer_length as usize);
    let overhead = startup + aof_buffer;
    let dataset = used.saturating_sub(overhead);
    // Redis: the dataset's share of what was allocated since startup.
    let net = used.checked_sub(startup).filter(|&n| n > 0).unwrap_or(1);
    let system = alloc::total_system_memory();
    let (maxmemory, policy) = {
        let settings = s.settings.read();
        (settings.maxmemory, settings.maxmemory_policy)
    };
    let human = |n: usize| bytes_to_human(n as u64);
    let percent = |a: usize, b: usize| format!("{:.2}%", if b == 0 { 0.0 } else { a as f64 * 100.0 / b as f64 });
    out.push_str("# Memory\r\n");
    field(out, "used_memory", used);
    field(out, "used_memory_human", human(used));
    field(out, "used_memory_rss", rss);
    field(out, "used_memory_rss_human", human(rss));
    field(out, "used_memory_peak", peak);
    field(out, "used_memory_peak_human", human(peak));
    field(out, "used_memory_peak_perc", percent(used, peak));
    field(out, "used_memory_overhead", overhead);
    field(out, "used_memory_startup", startup);
    field(out, "used_memory_dataset", dataset);
    field(out, "used_memory_dataset_perc", percent(dataset, net));
    let allocator = alloc::allocator_stats();
    if let Some(a) = allocator {
        field(out, "allocator_allocated", a.allocated);
        field(out, "allocator_active", a.active);
        field(out, "allocator_resident", rss);
    }
    field(out, "total_system_memory", system);
    field(out, "total_system_memory_human", human(system));
    for (name, value) in [
        ("used_memory_lua", "0"),
        ("used_memory_vm_eval", "0"),
        ("used_memory_lua_human", "0B"),
        ("used_memory_scripts_eval", "0"),
        ("number_of_cached_scripts", "0"),
        ("number_of_functions", "0"),
        ("number_of_libraries", "0"),
        ("used_memory_vm_functions", "0"),
        ("used_memory_vm_total", "0"),
        ("used_memory_vm_total_human", "0B"),
        ("used_memory_functions", "0"),
        ("used_memory_scripts", "0"),
        ("used_memory_scripts_human", "0B"),
    ] {
        field(out, name, value);
    }
    field(out, "maxmemory", maxmemory);
    field(out, "maxmemory_human", bytes_to_human(maxmemory));
    field(out, "maxmemory_policy", policy);
    if let Some(a) = allocator {
        field(out, "allocator_frag_ratio", ratio(a.active, a.allocated));
        field(out, "allocator_frag_bytes", diff(a.active, a.allocated));
        field(out, "allocator_rss_ratio", ratio(rss, a.active));
        field(out, "allocator_rss_bytes", diff(rss, a.active));
        field(out, "rss_overhead_ratio", ratio(rss, rss));
        field(out, "rss_overhead_bytes", 0);
    }
    field(out, "mem_fragmentation_ratio", ratio(rss, used));
    field(out, "mem_fragmentation_bytes", diff(rss, used));
    field(out, "mem_not_counted_for_evict", 0);
    field(out, "mem_replication_backlog", 0);
    field(out, "mem_total_replication_buffers", 0);
    field(out, "mem_clients_slaves", 0);
    field(out, "mem_cluster_links", 0);
    field(out, "mem_aof_buffer", aof_buffer);
    field(out, "mem_allocator", alloc::ALLOCATOR_NAME);
    field(out, "active_defrag_running", 0);
    field(out, "lazyfree_pending_objects", 0);
    field(out, "lazyfreed_objects", 0);
}

/// CPU time used so far, from `getrusage`: (system, user).
fn cpu_times(who: libc::c_int) -> (std::time::Duration, std::time::Duration) {
    let tv = |t: libc::timeval| std::time::Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    // SAFETY: `rusage` is plain data, valid when zeroed; getrusage writes
    // it in full when it succeeds, and leaves it zeroed otherwise.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        usage
    };
    (tv(usage.ru_stime), tv(usage.ru_utime))
}

/// INFO cpu: seconds of CPU time as Redis prints them (`%ld.%06ld`).
///
/// `*_main_thread` is the thread that runs the INFO: convoy has no main
/// thread that serves every client, so these report the worker thread
/// that happened to run this command (`RUSAGE_THREAD`, Linux only;
/// elsewhere the whole process's figure).
fn info_cpu(out: &mut String) {
    // Linux's <sys/resource.h>; the libc crate does not export these two
    // for glibc targets.
    const RUSAGE_CHILDREN: libc::c_int = -1;
    const RUSAGE_THREAD: libc::c_int = if cfg!(target_os = "linux") { 1 } else { libc::RUSAGE_SELF };
    let secs = |d: std::time::Duration| format!("{}.{:06}", d.as_secs(), d.subsec_micros());
    let (sys, user) = cpu_times(libc::RUSAGE_SELF);
    let (sys_children, user_children) = cpu_times(RUSAGE_CHILDREN);
    let (sys_thread, user_thread) = cpu_times(RUSAGE_THREAD);
    out.push_str("# CPU\r\n");
    field(out, "used_cpu_sys", secs(sys));
    field(out, "used_cpu_user", secs(user));
    field(out, "used_cpu_sys_children", secs(sys_children));
    field(out, "used_cpu_user_children", secs(user_children));
    field(out, "used_cpu_sys_main_thread", secs(sys_thread));
    field(out, "used_cpu_user_main_thread", secs(user_thread));
}

fn info_persistence<K: Keyspace>(s: &Shared<K>, out: &mut String) {
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        .saturating_sub(s.started.elapsed().as_secs());
    out.push_str("# Persistence\r\n");
    field(out, "loading", 0);
    field(out, "async_loading", 0);
    field(out, "rdb_bgsave_in_progress", 0);
    field(out, "rdb_last_save_time", started);
    field(out, "rdb_last_bgsave_status", "ok");
    let Some(wal) = s.wal.as_deref() else {
        field(out, "aof_enabled", 0);
        field(out, "aof_rewrite_in_progress", 0);
        field(out, "aof_rewrite_scheduled", 0);
        field(out, "aof_last_rewrite_time_sec", -1);
        field(out, "aof_current_rewrite_time_sec", -1);
        field(out, "aof_last_bgrewrite_status", "ok");
        field(out, "aof_rewrites", 0);
        field(out, "aof_last_write_status", "ok");
        return;
    };
    let rw = &wal.rewrites;
    let f = wal.figures();
    let status = |ok: bool| if ok { "ok" } else { "err" };
    field(out, "aof_enabled", 1);
    field(out, "aof_rewrite_in_progress", rw.in_progress.load(Ordering::Relaxed) as u8);
    field(out, "aof_rewrite_scheduled", 0);
    field(out, "aof_last_rewrite_time_sec", rw.last_time_sec.load(Ordering::Relaxed));
    field(out, "aof_current_rewrite_time_sec", rw.current_time_sec());
    field(out, "aof_last_bgrewrite_status", status(!rw.last_failed.load(Ordering::Relaxed)));
    field(out, "aof_rewrites", rw.rewrites.load(Ordering::Relaxed));
    field(out, "aof_last_write_status", status(f.last_write_ok));
    field(out, "aof_current_size", f.current_size);
    field(out, "aof_base_size", f.base_size);
    field(out, "aof_pending_rewrite", 0);
    field(out, "aof_buffer_length", f.buffer_length);
    field(out, "aof_pending_bio_fsync", 0);
    field(out, "aof_delayed_fsync", 0);
    // convoy's own: how well group commit groups.
    field(out, "aof_fsync_policy", wal.fsync_policy().name());
    field(out, "aof_group_commit", if wal.group_commit() { "yes" } else { "no" });
    field(out, "aof_records", f.records);
    field(out, "aof_fsyncs", f.fsyncs);
    field(out, "aof_records_fsynced", f.records_fsynced);
    let per = if f.fsyncs == 0 { 0.0 } else { f.records_fsynced as f64 / f.fsyncs as f64 };
    field(out, "aof_records_per_fsync", format!("{per:.2}"));
}

fn info_stats<K: Keyspace>(s: &Shared<K>, stats: &Snapshot, out: &mut String) {
    out.push_str("# Stats\r\n");
    field(out, "total_connections_received", s.stats.total_connections_received.load(Ordering::Relaxed));
    field(out, "total_commands_processed", s.total_commands_processed());
    field(out, "instantaneous_ops_per_sec", s.stats.ops_rate.per_sec());
    let (input, output) = s.net_bytes();
    field(out, "total_net_input_bytes", input);
    field(out, "total_net_output_bytes", output);
    // Redis: the mean bytes per second, in KiB, two decimals.
    let kbps = |rate: &crate::metrics::rate::Rate| format!("{:.2}", rate.per_sec() as f64 / 1024.0);
    field(out, "instantaneous_input_kbps", kbps(&s.stats.net_input_rate));
    field(out, "instantaneous_output_kbps", kbps(&s.stats.net_output_rate));
    field(out, "rejected_connections", s.stats.rejected_connections.load(Ordering::Relaxed));
    field(out, "expired_keys", s.expired_keys());
    // No eviction and no pub/sub yet.
    field(out, "evicted_keys", 0);
    let (hits, misses) = s.keyspace_lookups();
    field(out, "keyspace_hits", hits);
    field(out, "keyspace_misses", misses);
    field(out, "pubsub_channels", 0);
    field(out, "pubsub_patterns", 0);
    field(out, "pubsubshard_channels", 0);
    field(out, "total_error_replies", stats.errors.iter().map(|(_, n)| n).sum::<u64>());
}

/// `cmdstat_<name>:calls=..,usec=..,usec_per_call=..,rejected_calls=..,failed_calls=..`
/// for every command called or rejected since start (or CONFIG RESETSTAT).
fn info_commandstats(stats: &Snapshot, out: &mut String) {
    out.push_str("# Commandstats\r\n");
    for c in &stats.commands {
        let per_call = if c.calls == 0 { 0.0 } else { c.usec as f64 / c.calls as f64 };
        let _ = write!(
            out,
            "cmdstat_{}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}\r\n",
            c.name, c.calls, c.usec, c.rejected, c.failed
        );
    }
}

/// `errorstat_<KIND>:count=..`, by the first word of each error reply.
fn info_errorstats(stats: &Snapshot, out: &mut String) {
    out.push_str("# Errorstats\r\n");
    for (kind, n) in &stats.errors {
        let _ = write!(out, "errorstat_{kind}:count={n}\r\n");
    }
}

/// `latency_percentiles_usec_<name>:p50=..,p99=..,p99.9=..` in
/// microseconds with three decimals, for every command called at least
/// once.
fn info_latencystats(stats: &Snapshot, out: &mut String) {
    out.push_str("# Latencystats\r\n");
    for c in stats.commands.iter().filter(|c| c.calls > 0) {
        let _ = write!(out, "latency_percentiles_usec_{}:", c.name);
        for (i, p) in LATENCY_PERCENTILES.iter().enumerate() {
            let usec = c.latency.value_at_percentile(*p) as f64 / 1000.0;
            let _ = write!(out, "{}p{p}={usec:.3}", if i > 0 { "," } else { "" });
        }
        out.push_str("\r\n");
    }
}

/// convoy's own: what is being measured.
fn info_convoy<K: Keyspace>(s: &Shared<K>, out: &mut String) {
    out.push_str("# Convoy\r\n");
    field(out, "convoy_version", env!("CARGO_PKG_VERSION"));
    field(out, "convoy_backend", s.backend_name);
    field(out, "convoy_threads", s.config.worker_threads());
    field(out, "convoy_gate", format!("{:?}", s.gate.mode()).to_lowercase());
    field(out, "convoy_metrics", s.metrics.mode().name());
    // Only backends that can count their garbage exactly report it (see
    // `Keyspace::reclamation`): all databases together.
    if let Some(r) = crate::keyspace::reclamation(&s.dbs) {
        field(out, "convoy_reclamation_retired", r.retired);
        field(out, "convoy_reclamation_freed", r.freed);
        field(out, "convoy_reclamation_pending", r.pending());
    }
}

fn info_replication(out: &mut String) {
    out.push_str("# Replication\r\n");
    field(out, "role", "master");
    field(out, "connected_slaves", 0);
    field(out, "master_failover_state", "no-failover");
    field(out, "master_replid", run_id());
    field(out, "master_replid2", "0000000000000000000000000000000000000000");
    field(out, "master_repl_offset", 0);
    field(out, "second_repl_offset", -1);
    field(out, "repl_backlog_active", 0);
    field(out, "repl_backlog_size", 1048576);
    field(out, "repl_backlog_first_byte_offset", 0);
    field(out, "repl_backlog_histlen", 0);
}

fn info_cluster(out: &mut String) {
    out.push_str("# Cluster\r\n");
    field(out, "cluster_enabled", 0);
}

fn info_keyspace<K: Keyspace>(s: &Shared<K>, out: &mut String) {
    out.push_str("# Keyspace\r\n");
    for (i, db) in s.dbs.iter().enumerate() {
        let keys = db.len();
        if keys > 0 {
            let _ = write!(out, "db{i}:keys={keys},expires={},avg_ttl=0\r\n", db.expires_count());
        }
    }
}

// ---------------------------------------------------------------------------
// COMMAND
// ---------------------------------------------------------------------------

/// # Format
/// ```text
/// COMMAND
/// COMMAND COUNT
/// COMMAND INFO [command-name ...]
/// COMMAND DOCS [command-name ...]
/// COMMAND LIST [FILTERBY MODULE module | ACLCAT category | PATTERN pattern]
/// COMMAND GETKEYS command [arg ...]
/// COMMAND HELP
/// ```
fn command<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let table = &ctx.server.commands;
    if args.len() == 1 {
        return Ok(Reply::Array(sorted(table).into_iter().map(command_info).collect()));
    }
    let sub = subcommand("command", COMMAND_SUBCOMMANDS, args)?;
    match sub.name {
        "command|count" => Ok(Reply::Integer(table.len() as i64)),
        "command|info" => {
            if args.len() == 2 {
                return Ok(Reply::Array(sorted(table).into_iter().map(command_info).collect()));
            }
            Ok(Reply::Array(
                args[2..].iter().map(|name| lookup(table, name).map_or(Reply::Null, |c| c.info())).collect(),
            ))
        }
        "command|docs" => {
            let found: Vec<Described<'_, K>> = if args.len() == 2 {
                sorted(table).into_iter().map(Described::Command).collect()
            } else {
                args[2..].iter().filter_map(|n| lookup(table, n)).collect()
            };
            Ok(Reply::Map(found.into_iter().map(|c| (Reply::bulk_str(c.name()), c.docs())).collect()))
        }
        "command|list" => command_list(table, args),
        "command|getkeys" => command_getkeys(table, &args[2..]),
        "command|help" => Ok(help(
            "command",
            &[
                "(no subcommand)",
                "    Return details about all Redis commands.",
                "COUNT",
                "    Return the total number of commands in this Redis server.",
                "LIST",
                "    Return a list of all commands in this Redis server.",
                "INFO [<command-name> ...]",
                "    Return details about multiple Redis commands.",
                "    If no command names are given, documentation details for all",
                "    commands are returned.",
                "DOCS [<command-name> ...]",
                "    Return documentation details about multiple Redis commands.",
                "    If no command names are given, documentation details for all",
                "    commands are returned.",
                "GETKEYS <full-command>",
                "    Return the keys from a full Redis command.",
            ],
        )),
        _ => unreachable!("every COMMAND subcommand is handled"),
    }
}

/// Every command, by name (the table itself has no order).
fn sorted<K: Keyspace>(table: &CommandTable<K>) -> Vec<&CommandSpec<K>> {
    let mut all: Vec<_> = table.iter().collect();
    all.sort_by_key(|c| c.name);
    all
}

/// A command or a subcommand, found by COMMAND INFO/DOCS.
enum Described<'a, K> {
    Command(&'a CommandSpec<K>),
    Sub(&'a CommandSpec<K>, &'static Subcommand),
}

impl<K> Described<'_, K> {
    fn name(&self) -> &'static str {
        match self {
            Described::Command(c) => c.name,
            Described::Sub(_, s) => s.name,
        }
    }

    fn info(&self) -> Reply {
        match self {
            Described::Command(c) => command_info(c),
            Described::Sub(c, s) => subcommand_info(c, s),
        }
    }

    fn docs(&self) -> Reply {
        match self {
            Described::Command(c) => command_docs(c),
            Described::Sub(c, s) => subcommand_docs(c, s),
        }
    }
}

/// `get`, or `config|get` for a subcommand, in any case.
fn lookup<'a, K: Keyspace>(table: &'a CommandTable<K>, name: &[u8]) -> Option<Described<'a, K>> {
    match name.iter().position(|&b| b == b'|') {
        None => table.get(name).map(Described::Command),
        Some(bar) => {
            let parent = table.get(&name[..bar])?;
            lookup_subcommand(parent.subcommands, &name[bar + 1..]).map(|s| Described::Sub(parent, s))
        }
    }
}

/// A set of status strings, as Redis replies with flags and categories.
fn status_set(items: &[&'static str]) -> Reply {
    Reply::Set(items.iter().map(|s| Reply::status(s)).collect())
}

/// ACL categories, derived from the flags and the group: the table has no
/// category field, so Redis's few per-command extras (FLUSHDB's
/// `@dangerous`, DBSIZE's `@keyspace`) are not reported. Listed in Redis's
/// category order.
fn acl_categories(flags: &[&str], group: &str) -> Vec<&'static str> {
    let has = |f: &str| flags.contains(&f);
    [
        ("@keyspace", group == "generic"),
        ("@read", has("readonly")),
        ("@write", has("write")),
        ("@set", group == "set"),
        ("@sortedset", group == "sorted-set"),
        ("@list", group == "list"),
        ("@hash", group == "hash"),
        ("@string", group == "string"),
        ("@bitmap", group == "bitmap"),
        ("@hyperloglog", group == "hyperloglog"),
        ("@geo", group == "geo"),
        ("@stream", group == "stream"),
        ("@pubsub", group == "pubsub" || has("pubsub")),
        ("@admin", has("admin")),
        ("@fast", has("fast")),
        ("@slow", !has("fast")),
        ("@blocking", has("blocking")),
        ("@dangerous", has("admin")),
        ("@connection", group == "connection"),
        ("@transaction", group == "transactions"),
        ("@scripting", group == "scripting"),
    ]
    .into_iter()
    .filter_map(|(cat, yes)| yes.then_some(cat))
    .collect()
}

/// Redis 7's key specs, derived from the legacy (first, last, step) range:
/// one spec, found by index, for commands with keys.
fn key_specs<K>(c: &CommandSpec<K>) -> Reply {
    let (first, last, step) = c.keys;
    // Redis writes the key specs as a set (`~` in RESP3).
    if first <= 0 {
        return Reply::Set(vec![]);
    }
    let flags: &[&'static str] = if c.flags.contains(&"readonly") {
        &["RO", "access"]
    } else if c.flags.contains(&"write") {
        &["RW", "update"]
    } else {
        &[]
    };
    let map = |pairs: Vec<(&str, Reply)>| Reply::Map(pairs.into_iter().map(|(k, v)| (Reply::bulk_str(k), v)).collect());
    let lastkey = if last < 0 { last } else { last - first };
    Reply::Set(vec![map(vec![
        ("flags", status_set(flags)),
        (
            "begin_search",
            map(vec![("type", Reply::bulk_str("index")), ("spec", map(vec![("index", Reply::Integer(first as i64))]))]),
        ),
        (
            "find_keys",
            map(vec![
                ("type", Reply::bulk_str("range")),
                (
                    "spec",
                    map(vec![
                        ("lastkey", Reply::Integer(lastkey as i64)),
                        ("keystep", Reply::Integer(step as i64)),
                        ("limit", Reply::Integer(0)),
                    ]),
                ),
            ]),
        ),
    ])])
}

/// One COMMAND INFO entry: name, arity, flags, first key, last key, step,
/// ACL categories, tips, key specs, subcommands.
fn command_info<K>(c: &CommandSpec<K>) -> Reply {
    Reply::Array(vec![
        Reply::bulk_str(c.name),
        Reply::Integer(c.arity as i64),
        status_set(c.flags),
        Reply::Integer(c.keys.0 as i64),
        Reply::Integer(c.keys.1 as i64),
        Reply::Integer(c.keys.2 as i64),
        status_set(&acl_categories(c.flags, c.group)),
        Reply::Set(vec![]),
        key_specs(c),
        // Redis writes an empty subcommand list as a set (`~0` in RESP3),
        // a non-empty one as an array.
        if c.subcommands.is_empty() {
            Reply::Set(vec![])
        } else {
            Reply::Array(c.subcommands.iter().map(|s| subcommand_info(c, s)).collect())
        },
    ])
}

fn subcommand_info<K>(parent: &CommandSpec<K>, s: &Subcommand) -> Reply {
    Reply::Array(vec![
        Reply::bulk_str(s.name),
        Reply::Integer(s.arity as i64),
        status_set(s.flags),
        Reply::Integer(0),
        Reply::Integer(0),
        Reply::Integer(0),
        status_set(&acl_categories(s.flags, parent.group)),
        Reply::Set(vec![]),
        Reply::Set(vec![]),
        Reply::Set(vec![]),
    ])
}

/// One COMMAND DOCS entry: summary, since, group, and the subcommands'
/// docs (the table keeps no complexity or argument descriptions).
fn command_docs<K>(c: &CommandSpec<K>) -> Reply {
    let mut doc = vec![
        (Reply::bulk_str("summary"), Reply::bulk_str(c.summary)),
        (Reply::bulk_str("since"), Reply::bulk_str(c.since)),
        (Reply::bulk_str("group"), Reply::bulk_str(c.group)),
    ];
    if !c.subcommands.is_empty() {
        let subs = c.subcommands.iter().map(|s| (Reply::bulk_str(s.name), subcommand_docs(c, s))).collect();
        doc.push((Reply::bulk_str("subcommands"), Reply::Map(subs)));
    }
    Reply::Map(doc)
}

fn subcommand_docs<K>(parent: &CommandSpec<K>, s: &Subcommand) -> Reply {
    Reply::Map(vec![
        (Reply::bulk_str("summary"), Reply::bulk_str(s.summary)),
        (Reply::bulk_str("group"), Reply::bulk_str(parent.group)),
    ])
}

/// `COMMAND LIST`: every command name, each container followed by its
/// subcommands' full names (`config|get`), as Redis 7 lists them.
fn command_list<K: Keyspace>(table: &CommandTable<K>, args: &[Bytes]) -> CmdResult {
    enum Filter<'a> {
        All,
        Module,
        AclCat(&'a [u8]),
        Pattern(&'a [u8]),
    }
    let filter = match args {
        [_, _] => Filter::All,
        [_, _, by, kind, value] if is(by, "filterby") => {
            if is(kind, "module") {
                Filter::Module
            } else if is(kind, "aclcat") {
                Filter::AclCat(value)
            } else if is(kind, "pattern") {
                Filter::Pattern(value)
            } else {
                return Err(Reply::error(err::SYNTAX));
            }
        }
        _ => return Err(Reply::error(err::SYNTAX)),
    };
    let keep = |name: &str, flags: &[&str], group: &str| match filter {
        Filter::All => true,
        Filter::Module => false,
        Filter::AclCat(cat) => acl_categories(flags, group).iter().any(|c| c.as_bytes()[1..].eq_ignore_ascii_case(cat)),
        Filter::Pattern(p) => glob::matches(p, name.as_bytes(), true),
    };
    let mut names = Vec::new();
    for c in sorted(table) {
        if keep(c.name, c.flags, c.group) {
            names.push(Reply::bulk_str(c.name));
        }
        for s in c.subcommands {
            if keep(s.name, s.flags, c.group) {
                names.push(Reply::bulk_str(s.name));
            }
        }
    }
    Ok(Reply::Array(names))
}

/// `COMMAND GETKEYS command arg ...`: the keys the command would touch,
/// from its (first, last, step) range.
fn command_getkeys<K: Keyspace>(table: &CommandTable<K>, cmd: &[Bytes]) -> CmdResult {
    let Some(spec) = table.get(&cmd[0]) else {
        return Err(Reply::error("ERR Invalid command specified"));
    };
    if !spec.arity_ok(cmd.len()) {
        return Err(Reply::error("ERR Invalid number of arguments specified for command"));
    }
    let (first, last, step) = spec.keys;
    if first <= 0 {
        return Err(Reply::error("ERR The command has no key arguments"));
    }
    let last = if last < 0 { cmd.len() as i64 + last as i64 } else { last as i64 };
    let keys = (first as i64..=last.min(cmd.len() as i64 - 1))
        .step_by(step.max(1) as usize)
        .map(|i| Reply::Bulk(cmd[i as usize].clone()));
    Ok(Reply::Array(keys.collect()))
}
