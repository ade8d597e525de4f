//! Memory and CPU figures (INFO memory, INFO cpu, MEMORY USAGE) and
//! CLIENT KILL, against real servers over sockets.
//!
//! `used_memory` is process-wide (the counting global allocator), and the
//! tests of this file share one process: every test takes [`serial`] so
//! that no other test's server allocates while one measures.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// One test at a time in this file (see the module doc).
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The payload of a bulk (`$`) or verbatim (`=`, format stripped) reply.
fn body(reply: &str) -> String {
    assert!(reply.starts_with('$') || reply.starts_with('='), "not a bulk reply: {reply:?}");
    let start = reply.find("\r\n").expect("header") + 2;
    let text = &reply[start..reply.len() - 2];
    text.strip_prefix("txt:").unwrap_or(text).to_string()
}

/// The value of `key:` in an INFO payload.
fn info_field(info: &str, key: &str) -> Option<String> {
    info.split("\r\n").find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':'))).map(str::to_string)
}

/// An INFO field parsed as a number.
fn number<T: std::str::FromStr>(info: &str, key: &str) -> T {
    let text = info_field(info, key).unwrap_or_else(|| panic!("no {key} in {info}"));
    text.parse().unwrap_or_else(|_| panic!("{key}:{text} does not parse"))
}

/// `used_memory` now.
fn used_memory(c: &mut Raw) -> i64 {
    number(&body(&c.cmd(&["INFO", "memory"])), "used_memory")
}

/// An integer reply's value.
fn integer(reply: &str) -> i64 {
    reply.strip_prefix(':').and_then(|r| r.strip_suffix("\r\n")).and_then(|n| n.parse().ok()).unwrap_or_else(|| {
        panic!("not an integer reply: {reply:?}");
    })
}

/// Whether the server closed `stream` (EOF or reset within 5 s), without
/// sending anything on it.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 64];
    matches!(stream.read(&mut buf), Ok(0) | Err(_))
}

/// A plain connection and its client id.
fn connect(s: &TestServer) -> (TcpStream, i64) {
    let mut stream = TcpStream::connect(s.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream.write_all(b"CLIENT ID\r\n").unwrap();
    let mut buf = [0u8; 64];
    let n = stream.read(&mut buf).unwrap();
    (stream, integer(std::str::from_utf8(&buf[..n]).unwrap()))
}

/// Writing 10,000 values of 1 KiB raises used_memory by at least their
/// bytes (and not absurdly more); FLUSHALL gives the values back.
#[test]
fn used_memory_follows_writes_and_flushall() {
    let _serial = serial();
    const VALUES: usize = 10_000;
    const SIZE: usize = 1024;
    let payload = vec![b'v'; SIZE];
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let before = used_memory(&mut c);
        // In batches of 500 so that no buffer on either side grows large.
        for batch in 0..VALUES / 500 {
            let mut frames = Vec::new();
            for i in batch * 500..(batch + 1) * 500 {
                frames.extend(encode_cmd(&[b"SET", format!("key:{i:06}").as_bytes(), &payload]));
            }
            c.send(&frames);
            for _ in 0..500 {
                assert_eq!(c.reply(), "+OK\r\n", "{b}");
            }
        }
        let grown = used_memory(&mut c) - before;
        let stored = (VALUES * SIZE) as i64;
        assert!(grown >= stored, "{b}: used_memory grew by {grown} for {stored} bytes of values");
        assert!(grown <= 2 * stored, "{b}: used_memory grew by {grown} for {stored} bytes of values");

        assert_eq!(c.cmd(&["FLUSHALL"]), "+OK\r\n", "{b}");
        // The values go at once; the maps may keep their tables' capacity
        // (a cleared `HashMap` does), and the epoch-reclaimed maps free
        // removed entries a little later, as other operations move their
        // epochs on.
        let freed = eventually(Duration::from_secs(5), || {
            c.cmd(&["SET", "tick", "1"]);
            used_memory(&mut c) - before < stored / 4
        });
        assert!(freed, "{b}: used_memory still {} above the start", used_memory(&mut c) - before);
    });
}

/// INFO memory has Redis 7's fields, each parsing as Redis writes it:
/// byte counts, `_human` sizes, percentages, ratios; RSS is positive,
/// the peak at least the current figure; maxmemory follows CONFIG SET.
#[test]
fn info_memory_fields() {
    let _serial = serial();
    let s = TestServer::start(backends()[0]);
    let mut c = s.raw();
    let info = body(&c.cmd(&["INFO", "memory"]));
    assert!(info.starts_with("# Memory\r\n"), "{info}");
    for key in [
        "used_memory",
        "used_memory_rss",
        "used_memory_peak",
        "used_memory_overhead",
        "used_memory_startup",
        "used_memory_dataset",
        "total_system_memory",
        "used_memory_lua",
        "number_of_cached_scripts",
        "maxmemory",
        "mem_not_counted_for_evict",
        "mem_replication_backlog",
        "mem_clients_slaves",
        "mem_aof_buffer",
        "active_defrag_running",
        "lazyfree_pending_objects",
    ] {
        let _: u64 = number(&info, key);
    }
    let _: i64 = number(&info, "mem_fragmentation_bytes");
    let used: u64 = number(&info, "used_memory");
    assert!(used > 0);
    assert!(number::<u64>(&info, "used_memory_rss") > 0, "{info}");
    assert!(number::<u64>(&info, "used_memory_peak") >= used, "{info}");
    assert!(number::<u64>(&info, "total_system_memory") > 0, "{info}");
    assert!(number::<f64>(&info, "mem_fragmentation_ratio") > 0.0, "{info}");
    for key in ["used_memory_human", "used_memory_rss_human", "used_memory_peak_human", "total_system_memory_human"] {
        let human = info_field(&info, key).unwrap();
        let (n, unit) = human.split_at(human.len() - 1);
        assert!(["B", "K", "M", "G", "T", "P"].contains(&unit), "{key}:{human}");
        let n: f64 = n.parse().unwrap_or_else(|_| panic!("{key}:{human}"));
        if unit != "B" {
            assert_eq!(human.split('.').nth(1).map(str::len), Some(3), "two decimals, then the unit: {key}:{human}");
            assert!((1.0..1024.0).contains(&n), "{key}:{human}");
        }
    }
    for key in ["used_memory_peak_perc", "used_memory_dataset_perc"] {
        let perc = info_field(&info, key).unwrap();
        let n: f64 = perc.strip_suffix('%').and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("{key}:{perc}"));
        assert!((0.0..=100.0).contains(&n), "{key}:{perc}");
    }
    assert_eq!(info_field(&info, "maxmemory_policy").as_deref(), Some("noeviction"));
    assert_eq!(info_field(&info, "maxmemory_human").as_deref(), Some("0B"));
    assert_eq!(info_field(&info, "mem_allocator").as_deref(), Some("libc"));
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        let allocated: u64 = number(&info, "allocator_allocated");
        assert!(allocated >= used / 2, "glibc's in-use bytes ({allocated}) against used_memory ({used})");
        assert!(number::<u64>(&info, "allocator_active") >= allocated, "{info}");
        let _: f64 = number(&info, "allocator_frag_ratio");
    }

    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "100mb"]), "+OK\r\n");
    let info = body(&c.cmd(&["INFO", "memory"]));
    assert_eq!(info_field(&info, "maxmemory").as_deref(), Some("104857600"));
    assert_eq!(info_field(&info, "maxmemory_human").as_deref(), Some("100.00M"));
}

/// INFO cpu has Redis's six fields as seconds with six decimals; the
/// process has used some CPU; memory and cpu sit in Redis's section order.
#[test]
fn info_cpu_fields_and_section_order() {
    let _serial = serial();
    let s = TestServer::start(backends()[0]);
    let mut c = s.raw();
    let info = body(&c.cmd(&["INFO", "cpu"]));
    assert!(info.starts_with("# CPU\r\n"), "{info}");
    let mut total = 0.0;
    for key in [
        "used_cpu_sys",
        "used_cpu_user",
        "used_cpu_sys_children",
        "used_cpu_user_children",
        "used_cpu_sys_main_thread",
        "used_cpu_user_main_thread",
    ] {
        let text = info_field(&info, key).unwrap_or_else(|| panic!("no {key}"));
        assert_eq!(text.split('.').nth(1).map(str::len), Some(6), "{key}:{text}");
        total += text.parse::<f64>().unwrap();
    }
    assert!(number::<f64>(&info, "used_cpu_user") + number::<f64>(&info, "used_cpu_sys") > 0.0, "{info}");
    assert!(total > 0.0);

    let all = body(&c.cmd(&["INFO"]));
    let headers: Vec<&str> = all.split("\r\n").filter(|l| l.starts_with("# ")).collect();
    let at = |h: &str| headers.iter().position(|x| *x == h).unwrap_or_else(|| panic!("no {h} in {headers:?}"));
    assert!(at("# Clients") < at("# Memory") && at("# Memory") < at("# Persistence"), "{headers:?}");
    assert!(at("# Replication") < at("# CPU") && at("# CPU") < at("# Cluster"), "{headers:?}");
}

/// MEMORY USAGE grows with the value for every type, is nil for a missing
/// key, samples 5 elements unless told otherwise (SAMPLES 0: all), and
/// gives Redis's errors.
#[test]
fn memory_usage_per_type() {
    let _serial = serial();
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let usage = |c: &mut Raw, key: &str| integer(&c.cmd(&["MEMORY", "USAGE", key]));
        let long = "x".repeat(100);

        c.cmd(&["SET", "s1", "v"]);
        c.cmd(&["SET", "s2", &"v".repeat(10_000)]);
        let (small, big) = (usage(&mut c, "s1"), usage(&mut c, "s2"));
        assert!(small > 0 && big >= small + 10_000, "{b}: string {small} {big}");

        for i in 0..1000 {
            let n = i.to_string();
            c.cmd(&["RPUSH", if i < 3 { "l1" } else { "l2" }, &long]);
            c.cmd(&["HSET", if i < 3 { "h1" } else { "h2" }, &n, &long]);
            c.cmd(&["SADD", if i < 3 { "set1" } else { "set2" }, &format!("{n}{long}")]);
            c.cmd(&["ZADD", if i < 3 { "z1" } else { "z2" }, &n, &format!("{n}{long}")]);
            if i < 100 {
                c.cmd(&["XADD", if i < 3 { "x1" } else { "x2" }, "*", "field", &long]);
            }
        }
        for (small_key, big_key) in [("l1", "l2"), ("h1", "h2"), ("set1", "set2"), ("z1", "z2"), ("x1", "x2")] {
            let (small, big) = (usage(&mut c, small_key), usage(&mut c, big_key));
            assert!(small > 3 * 100, "{b}: {small_key} holds 3 elements of 100 bytes: {small}");
            assert!(big > 10 * small, "{b}: {small_key} {small}, {big_key} {big}");
        }

        // Five short elements first, then long ones: the default sample
        // sees only the short ones, SAMPLES 0 sees every one.
        for i in 0..5 {
            c.cmd(&["RPUSH", "mixed", &i.to_string()]);
        }
        for _ in 0..100 {
            c.cmd(&["RPUSH", "mixed", &long]);
        }
        let sampled = usage(&mut c, "mixed");
        let all = integer(&c.cmd(&["MEMORY", "USAGE", "mixed", "SAMPLES", "0"]));
        assert!(all >= sampled + 100 * 100, "{b}: sampled {sampled}, all {all}");
        assert_eq!(integer(&c.cmd(&["MEMORY", "usage", "mixed", "samples", "5"])), sampled, "{b}");

        assert_eq!(c.cmd(&["MEMORY", "USAGE", "missing"]), "$-1\r\n", "{b}");
        assert_eq!(c.cmd(&["MEMORY", "USAGE"]), "-ERR wrong number of arguments for 'memory|usage' command\r\n");
        assert_eq!(c.cmd(&["MEMORY", "USAGE", "s1", "SAMPLES"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(c.cmd(&["MEMORY", "USAGE", "s1", "SAMPLES", "-1"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(c.cmd(&["MEMORY", "USAGE", "s1", "FOO"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(
            c.cmd(&["MEMORY", "USAGE", "missing", "SAMPLES", "x"]),
            "-ERR value is not an integer or out of range\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["MEMORY"]), "-ERR wrong number of arguments for 'memory' command\r\n");
        assert_eq!(c.cmd(&["MEMORY", "FOO"]), "-ERR unknown subcommand 'FOO'. Try MEMORY HELP.\r\n");
        assert_eq!(c.cmd(&["MEMORY", "PURGE"]), "+OK\r\n");
        let help = c.cmd(&["MEMORY", "HELP"]);
        assert!(help.contains("+USAGE <key> [SAMPLES <count>]\r\n"), "{help}");
        assert!(
            help.starts_with("*10\r\n+MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"),
            "{help}"
        );
    });
}

/// CLIENT KILL ID closes the other connection (it reads EOF, and its next
/// command fails) and counts it; an idle, a blocked and a pub/sub client
/// alike.
#[test]
fn client_kill_by_id_closes_the_connection() {
    let _serial = serial();
    let s = TestServer::start(backends()[0]);
    let mut killer = s.raw();

    let (mut idle, id) = connect(&s);
    assert_eq!(killer.cmd(&["CLIENT", "KILL", "ID", &id.to_string()]), ":1\r\n");
    assert!(closed_by_server(&mut idle), "the killed client's socket stays open");
    let failed = idle.write_all(b"PING\r\n").and_then(|_| idle.read(&mut [0u8; 16])).map_or(true, |n| n == 0);
    assert!(failed, "a killed client's next command got a reply");
    // Its id is gone: nothing left to kill.
    assert!(eventually(Duration::from_secs(5), || killer.cmd(&["CLIENT", "KILL", "ID", &id.to_string()]) == ":0\r\n"));

    // A client blocked in BLPOP is closed too, not left waiting.
    let (mut blocked, id) = connect(&s);
    blocked.write_all(b"BLPOP nothing 0\r\n").unwrap();
    assert!(eventually(Duration::from_secs(5), || killer.cmd(&["CLIENT", "LIST"]).contains("flags=b")));
    assert_eq!(killer.cmd(&["CLIENT", "KILL", "ID", &id.to_string()]), ":1\r\n");
    assert!(closed_by_server(&mut blocked), "a killed blocked client stays open");

    // TYPE pubsub picks the subscriber and spares the others.
    let (mut subscriber, _) = connect(&s);
    subscriber.write_all(b"SUBSCRIBE news\r\n").unwrap();
    let mut buf = [0u8; 64];
    assert!(subscriber.read(&mut buf).unwrap() > 0);
    let (mut bystander, _) = connect(&s);
    assert_eq!(killer.cmd(&["CLIENT", "KILL", "TYPE", "pubsub"]), ":1\r\n");
    assert!(closed_by_server(&mut subscriber));
    bystander.write_all(b"PING\r\n").unwrap();
    let n = bystander.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"+PONG\r\n");
}

/// CLIENT KILL ADDR and the old `CLIENT KILL ip:port` close the client
/// connected from that address: `:1` and `+OK`; the old form answers
/// `-ERR No such client` when no client matches.
#[test]
fn client_kill_by_address() {
    let _serial = serial();
    let s = TestServer::start(backends()[0]);
    let mut killer = s.raw();

    let (mut a, _) = connect(&s);
    let addr = a.local_addr().unwrap().to_string();
    assert_eq!(killer.cmd(&["CLIENT", "KILL", "ADDR", &addr]), ":1\r\n");
    assert!(closed_by_server(&mut a));

    let (mut b, _) = connect(&s);
    let addr = b.local_addr().unwrap().to_string();
    assert_eq!(killer.cmd(&["CLIENT", "KILL", &addr]), "+OK\r\n");
    assert!(closed_by_server(&mut b));
    // Killed already (closing or gone): no such client.
    assert_eq!(killer.cmd(&["CLIENT", "KILL", &addr]), "-ERR No such client\r\n");
    assert_eq!(killer.cmd(&["CLIENT", "KILL", "1.2.3.4:5"]), "-ERR No such client\r\n");

    // LADDR: every client connected to the server's address, the caller
    // spared by default.
    let (mut c, _) = connect(&s);
    let laddr = s.addr.to_string();
    assert_eq!(killer.cmd(&["CLIENT", "KILL", "LADDR", &laddr]), ":1\r\n");
    assert!(closed_by_server(&mut c));
    assert_eq!(killer.cmd(&["PING"]), "+PONG\r\n");
}

/// SKIPME yes (the default) spares the caller; SKIPME no kills it after
/// its reply; MAXAGE picks clients by age; filters combine; errors are
/// Redis's.
#[test]
fn client_kill_skipme_maxage_and_errors() {
    let _serial = serial();
    let s = TestServer::start(backends()[0]);
    let mut me = s.raw();
    let my_id = integer(&me.cmd(&["CLIENT", "ID"])).to_string();
    assert_eq!(me.cmd(&["CLIENT", "KILL", "ID", &my_id]), ":0\r\n");
    assert_eq!(me.cmd(&["CLIENT", "KILL", "ID", &my_id, "SKIPME", "yes"]), ":0\r\n");
    assert_eq!(me.cmd(&["CLIENT", "KILL", "USER", "default", "ID", &my_id]), ":0\r\n");

    for (args, error) in [
        (&["CLIENT", "KILL"][..], "-ERR wrong number of arguments for 'client|kill' command\r\n"),
        (&["CLIENT", "KILL", "ID", "0"], "-ERR client-id should be greater than 0\r\n"),
        (&["CLIENT", "KILL", "ID", "x"], "-ERR client-id should be greater than 0\r\n"),
        (&["CLIENT", "KILL", "TYPE", "foo"], "-ERR Unknown client type 'foo'\r\n"),
        (&["CLIENT", "KILL", "USER", "bob"], "-ERR No such user 'bob'\r\n"),
        (&["CLIENT", "KILL", "SKIPME", "maybe"], "-ERR syntax error\r\n"),
        (&["CLIENT", "KILL", "FOO", "bar"], "-ERR syntax error\r\n"),
        (&["CLIENT", "KILL", "ID", "1", "ID"], "-ERR syntax error\r\n"),
        (&["CLIENT", "KILL", "MAXAGE", "x"], "-ERR value is not an integer or out of range\r\n"),
        (&["CLIENT", "KILL", "ID"], "-ERR No such client\r\n"),
    ] {
        assert_eq!(me.cmd(args), error, "{args:?}");
    }

    // MAXAGE: a client just connected is younger than 1000 s; once a
    // second old, MAXAGE 1 takes it.
    let (mut young, id) = connect(&s);
    let id = id.to_string();
    assert_eq!(me.cmd(&["CLIENT", "KILL", "ID", &id, "MAXAGE", "1000"]), ":0\r\n");
    assert!(eventually(Duration::from_secs(5), || me.cmd(&["CLIENT", "KILL", "ID", &id, "MAXAGE", "1"]) == ":1\r\n"));
    assert!(closed_by_server(&mut young));

    let help = me.cmd(&["CLIENT", "HELP"]);
    for line in ["+KILL <ip:port>\r\n", "+    * SKIPME (YES|NO)\r\n", "+    * MAXAGE <maxage>\r\n"] {
        assert!(help.contains(line), "{line:?} missing from {help}");
    }

    // SKIPME no: the caller kills itself, gets its reply, then is closed.
    assert_eq!(me.cmd(&["CLIENT", "KILL", "ID", &my_id, "SKIPME", "no"]), ":1\r\n");
    assert!(me.is_closed(), "a client that killed itself stays open");
}
