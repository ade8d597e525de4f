//! A bounded soak against the real binary: mixed commands (strings,
//! counters, lists, hashes, expiry, deletes, pub/sub) from clients that
//! come and go, some leaving without reading their last replies, and
//! subscribers of which some never read. Afterwards FLUSHALL, and the
//! server's live heap (INFO `used_memory`, the counting allocator's exact
//! figure) must return to within 2 MiB of where it started: a leak per connection,
//! command or message would not.
//!
//! The default suite runs 5 s; the long version is
//! `CONVOY_SOAK_SECS=180 cargo test --test soak -- --ignored --nocapture`
//! (180 s without the variable). Both print start, peak and final figures
//! (RSS from `/proc/PID/status`, and `used_memory`).

mod common;
mod server_process;

use common::Raw;
use server_process::{info_field, ServerProcess};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// xorshift64*: a tiny deterministic generator per thread.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Keys per type: bounded, so that the data set (not a leak) stops
/// growing early.
const KEYS: u64 = 500;

/// One client's life: connect, run a random number of pipelined batches
/// of mixed commands, leave (sometimes without reading the last batch).
fn client_life(addr: SocketAddr, rng: &mut Rng, commands: &AtomicU64) {
    let mut c = Raw::connect(addr);
    let batches = 1 + rng.below(20);
    for batch in 0..batches {
        let n = 1 + rng.below(16) as usize;
        for _ in 0..n {
            let k = rng.below(KEYS);
            let value = "v".repeat(1 + rng.below(2048) as usize);
            let (s, l, h, n_) = (format!("s:{k}"), format!("l:{k}"), format!("h:{k}"), format!("n:{k}"));
            let field = format!("f{}", rng.below(32));
            let ttl = (1 + rng.below(3)).to_string();
            let channel = format!("ch:{}", rng.below(4));
            let args: Vec<&str> = match rng.below(11) {
                0 | 1 => vec!["SET", &s, &value],
                2 | 3 => vec!["GET", &s],
                4 => vec!["INCR", &n_],
                5 => vec!["LPUSH", &l, &value],
                6 => vec!["LTRIM", &l, "0", "31"],
                7 => vec!["HSET", &h, &field, &value],
                8 => vec!["DEL", &s, &l],
                9 => vec!["EXPIRE", &h, &ttl],
                _ => vec!["PUBLISH", &channel, &value],
            };
            let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
            c.send_cmd(&args);
        }
        // The last batch of one client in four is never read.
        if batch + 1 == batches && rng.below(4) == 0 {
            commands.fetch_add(n as u64, Ordering::Relaxed);
            return;
        }
        for _ in 0..n {
            let reply = c.reply();
            assert!(!reply.starts_with('-') || reply.starts_with("-WRONGTYPE"), "{reply}");
        }
        commands.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// A subscriber's life: subscribe to some channels, then either read for
/// a while or never read, and leave.
fn subscriber_life(addr: SocketAddr, rng: &mut Rng, messages: &AtomicU64) {
    let mut c = Raw::connect(addr);
    c.send_cmd(&[b"SUBSCRIBE", b"ch:0", b"ch:1", b"ch:2", b"ch:3"]);
    for _ in 0..4 {
        assert!(c.reply().contains("subscribe"));
    }
    let until = Instant::now() + Duration::from_millis(100 + rng.below(900));
    if rng.below(3) == 0 {
        // Never reads: its messages pile up until it leaves (or the
        // pubsub limit closes it).
        std::thread::sleep(until - Instant::now());
        return;
    }
    while Instant::now() < until {
        c.send_cmd(&[b"PING"]);
        // Messages, then the PING's reply.
        loop {
            let r = c.reply();
            if r.contains("pong") || r == "+PONG\r\n" {
                break;
            }
            messages.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// `used_memory` in bytes.
fn used_memory(addr: SocketAddr) -> u64 {
    info_field(addr, "memory", "used_memory").parse().unwrap()
}

struct Figures {
    rss_kib: (u64, u64, u64),
    used: (u64, u64, u64),
    commands: u64,
    messages: u64,
    connections: u64,
}

/// Run the soak for `duration`; returns its figures.
fn soak(duration: Duration) -> Figures {
    let server = ServerProcess::start(&[]);
    let addr = server.addr;
    let start_rss = server.rss_kib();
    let start_used = used_memory(addr);
    let stop = Arc::new(AtomicBool::new(false));
    let commands = Arc::new(AtomicU64::new(0));
    let messages = Arc::new(AtomicU64::new(0));
    let lives = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    for t in 0..6u64 {
        let (stop, commands, messages, lives) = (stop.clone(), commands.clone(), messages.clone(), lives.clone());
        threads.push(std::thread::spawn(move || {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((t + 1) * 0x1234_5678));
            while !stop.load(Ordering::Relaxed) {
                if t < 2 {
                    subscriber_life(addr, &mut rng, &messages);
                } else {
                    client_life(addr, &mut rng, &commands);
                }
                lives.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // Sample the peak while it runs.
    let (mut peak_rss, mut peak_used) = (start_rss, start_used);
    let deadline = Instant::now() + duration;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        peak_rss = peak_rss.max(server.rss_kib());
        peak_used = peak_used.max(used_memory(addr));
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let mut c = Raw::connect(addr);
    assert_eq!(c.cmd(&["FLUSHALL"]), "+OK\r\n");
    drop(c);
    // Every client gone (only the INFO connection itself left).
    let gone = Instant::now() + Duration::from_secs(10);
    while info_field(addr, "clients", "connected_clients") != "1" {
        assert!(Instant::now() < gone, "clients still connected 10 s after the soak");
        std::thread::sleep(Duration::from_millis(20));
    }
    let end_used = used_memory(addr);
    let end_rss = server.rss_kib();
    Figures {
        rss_kib: (start_rss, peak_rss, end_rss),
        used: (start_used, peak_used, end_used),
        commands: commands.load(Ordering::Relaxed),
        messages: messages.load(Ordering::Relaxed),
        connections: lives.load(Ordering::Relaxed),
    }
}

fn check(f: &Figures, duration: Duration) {
    let (start, peak, end) = f.used;
    eprintln!(
        "soak {duration:?}: {} connections, {} commands, {} messages read; \
         RSS start {} KiB, peak {} KiB, final {} KiB; used_memory start {start}, peak {peak}, final {end}",
        f.connections, f.commands, f.messages, f.rss_kib.0, f.rss_kib.1, f.rss_kib.2
    );
    assert!(f.commands > 1000 && f.connections > 50, "the soak did little work");
    assert!(peak > start + 1024 * 1024, "the workload never held memory: peak {peak}, start {start}");
    // What FLUSHALL does not give back: the maps' spare capacity, the
    // slow log, metrics tables made on first use (about 0.95 MB here,
    // whether the soak lasts 5 s or 180 s). The margin over that, about
    // 1 MB, is passed by a leak of some 300 bytes per connection in the
    // 5 s run (3,500 connections), or 13 bytes in the 180 s one (80,000).
    let bound = 2 * 1024 * 1024;
    assert!(end < start + bound, "used_memory {end} after the soak, {start} at start: more than {bound} bytes kept");
}

/// Five seconds of mixed traffic from clients that come and go; the
/// live heap returns near its start after FLUSHALL.
#[test]
fn soak_memory_returns_near_start() {
    let duration = Duration::from_secs(5);
    check(&soak(duration), duration);
}

/// The long soak: `CONVOY_SOAK_SECS` seconds (default 180).
#[test]
#[ignore]
fn long_soak_memory_returns_near_start() {
    let secs = std::env::var("CONVOY_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(180);
    let duration = Duration::from_secs(secs);
    check(&soak(duration), duration);
}
