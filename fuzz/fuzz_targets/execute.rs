//! Bytes parsed into commands and executed in-process against a backend.
//!
//! The first byte of an input chooses the backend (of the seven) and the
//! protocol replies are encoded in; the rest is parsed as a client's
//! stream (multibulk or inline), and each request is executed with
//! [`convoy::cmd::execute`] on a fresh server state
//! ([`convoy::server::in_process`]: no sockets, no threads, no log), its
//! reply encoded. Checked: no panic, no hang (libFuzzer's `-timeout`), no
//! allocation over libFuzzer's `-rss_limit_mb`, and every reply encodes
//! to at least one byte.
//!
//! Kept out, so that a run stays in memory and in-process, and each input
//! small: commands that would touch files, the process or the network
//! (`SHUTDOWN`, `DEBUG`, `SAVE`, `BGSAVE`, `BGREWRITEAOF`, `MONITOR`,
//! replication, `CONFIG SET`/`REWRITE`); at most [`MAX_COMMANDS`] commands
//! per input; and any command with an integer argument beyond
//! ±[`MAX_INT_ARG`], because `SETRANGE k 500000000 x` legitimately
//! allocates half a gigabyte, which is Redis's behaviour, not a bug.
//! Blocking commands that find nothing return at once here (their wait is
//! the connection's business, not the command's).
#![no_main]

use bytes::{Bytes, BytesMut};
use convoy::cmd::{self, Ctx};
use convoy::config::Config;
use convoy::keyspace::{now_ms, Keyspace};
use convoy::resp::parse::{parse_request, Limits};
use convoy::resp::Protocol;
use libfuzzer_sys::fuzz_target;

const BACKENDS: [&str; 7] = ["mutex", "rwlock", "dashmap", "scc", "flurry", "papaya", "lockfree"];

/// Commands executed per input, at most.
const MAX_COMMANDS: usize = 64;

/// Largest integer argument let through (see the module doc).
const MAX_INT_ARG: i64 = 100_000;

fn allowed(args: &[Bytes]) -> bool {
    let name = args[0].to_ascii_lowercase();
    let sub = args.get(1).map(|a| a.to_ascii_lowercase()).unwrap_or_default();
    let denied = matches!(
        &name[..],
        b"shutdown"
            | b"debug"
            | b"save"
            | b"bgsave"
            | b"bgrewriteaof"
            | b"monitor"
            | b"sync"
            | b"psync"
            | b"replicaof"
            | b"slaveof"
            | b"failover"
    ) || (&name[..] == b"config" && matches!(&sub[..], b"set" | b"rewrite"));
    let big_int = args[1..].iter().any(|a| {
        std::str::from_utf8(a)
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .is_some_and(|n| n.abs() > MAX_INT_ARG as f64)
    });
    !denied && !big_int
}

fn run<K: Keyspace>(protocol: Protocol, bytes: &[u8]) {
    let mut config = Config::default_for_tests();
    config.databases = 2;
    config.threads = Some(1);
    let (shared, mut client, _pushes) = convoy::server::in_process::<K>(config);
    client.protocol = protocol;
    let mut buf = BytesMut::from(bytes);
    let mut out = BytesMut::new();
    let mut executed = 0;
    while let Ok(request) = parse_request(&mut buf, Limits::default()) {
        let Some(args) = request else { continue };
        if !allowed(&args) {
            continue;
        }
        let mut ctx = Ctx::new(&shared, &mut client, now_ms());
        let reply = cmd::execute(&mut ctx, &args);
        let before = out.len();
        reply.encode(client.protocol, &mut out);
        assert!(out.len() > before, "a reply encoded to nothing");
        out.clear();
        executed += 1;
        if executed == MAX_COMMANDS || client.close_after_reply {
            break;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, bytes)) = data.split_first() else { return };
    let protocol = if control & 0x80 == 0 { Protocol::Resp2 } else { Protocol::Resp3 };
    convoy::with_backend!(BACKENDS[(control & 0x7f) as usize % BACKENDS.len()], K => run::<K>(protocol, bytes), _ => unreachable!());
});
