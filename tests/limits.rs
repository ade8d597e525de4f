//! Client limits over loopback: maxclients, the idle timeout, the query
//! and output buffer limits, proto-max-bulk-len, and their CONFIG rows
//! (texts checked against redis-server 7.0.15).

mod common;

use common::{encode_cmd, eventually, Raw, TestServer};
use convoy::config::Backend;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn info_field(c: &mut Raw, section: &str, field: &str) -> String {
    let text = c.cmd(&["INFO", section]);
    let prefix = format!("{field}:");
    text.split("\r\n").find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("{field} in {text}")).to_string()
}

/// Connected clients as INFO reports them, asked over a client of its own
/// (which counts itself).
fn connected(server: &TestServer) -> usize {
    info_field(&mut server.raw(), "clients", "connected_clients").parse().unwrap()
}

/// With maxclients 5, a 6th client gets Redis's exact error and is
/// closed, rejected_connections counts it, and once one leaves a new
/// client is served; CONFIG SET maxclients lowers the bar at once.
#[test]
fn maxclients_refuses_the_extra_client() {
    let server = TestServer::start_with(Backend::Mutex, |c| c.maxclients = 5);
    let mut five: Vec<Raw> = (0..5).map(|_| server.raw()).collect();
    for c in &mut five {
        assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    }
    let mut sixth = TcpStream::connect(server.addr).unwrap();
    sixth.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = Vec::new();
    sixth.read_to_end(&mut got).unwrap();
    assert_eq!(String::from_utf8_lossy(&got), "-ERR max number of clients reached\r\n");
    assert_eq!(info_field(&mut five[0], "stats", "rejected_connections"), "1");
    assert_eq!(info_field(&mut five[0], "stats", "total_connections_received"), "5");
    assert_eq!(info_field(&mut five[0], "clients", "maxclients"), "5");

    drop(five.pop());
    // The freed slot is taken as soon as the server has seen the close.
    assert!(
        eventually(Duration::from_secs(5), || {
            let mut c = Raw::connect(server.addr);
            c.send(b"PING\r\n");
            let mut buf = [0u8; 7];
            matches!(c_read(&mut c, &mut buf), Some(b"+PONG\r\n"))
        }),
        "a client is accepted once one left"
    );

    assert_eq!(five[0].cmd(&["CONFIG", "SET", "maxclients", "2"]), "+OK\r\n");
    let mut refused = TcpStream::connect(server.addr).unwrap();
    let mut got = Vec::new();
    refused.read_to_end(&mut got).unwrap();
    assert_eq!(String::from_utf8_lossy(&got), "-ERR max number of clients reached\r\n");
    // Clients already connected stay, as in Redis.
    for c in &mut five {
        assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    }
}

/// Read exactly `buf.len()` bytes from a raw client, or `None` if it closed.
fn c_read<'a>(c: &mut Raw, buf: &'a mut [u8]) -> Option<&'a [u8]> {
    let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.reply())).ok()?;
    let n = reply.len().min(buf.len());
    buf[..n].copy_from_slice(&reply.as_bytes()[..n]);
    Some(&buf[..n])
}

/// With `timeout 1`, an idle client is closed within a few seconds; a
/// client blocked in BLPOP, a subscriber, and a client slowly sending one
/// request are not.
#[test]
fn idle_timeout_spares_blocked_and_subscribed_clients() {
    let server = TestServer::start(Backend::Mutex);
    let mut admin = server.raw();
    let mut idle = server.raw();
    let mut blocked = server.raw();
    let mut subscriber = server.raw();
    let mut slow = TcpStream::connect(server.addr).unwrap();
    blocked.send_cmd(&[b"BLPOP", b"queue", b"0"]);
    assert_eq!(subscriber.cmd(&["SUBSCRIBE", "news"]), "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
    slow.write_all(b"*2\r\n$4\r\nECHO\r\n$5\r\n").unwrap();
    // Wait for BLPOP to block, so that the sweep sees it blocked.
    assert!(eventually(Duration::from_secs(5), || info_field(&mut admin, "clients", "blocked_clients") == "1"));
    assert_eq!(admin.cmd(&["CONFIG", "SET", "timeout", "1"]), "+OK\r\n");
    assert_eq!(admin.cmd(&["CONFIG", "GET", "timeout"]), "*2\r\n$7\r\ntimeout\r\n$1\r\n1\r\n");

    let started = Instant::now();
    // One byte of the slow request every 400 ms: never idle for a second.
    for b in b"hello" {
        std::thread::sleep(Duration::from_millis(400));
        slow.write_all(&[*b]).unwrap();
    }
    assert!(idle.is_closed(), "the idle client is closed");
    let closed_after = started.elapsed();
    assert!(closed_after < Duration::from_secs(4), "closed after {closed_after:?}");
    slow.write_all(b"\r\n").unwrap();
    let mut echo = [0u8; 11];
    slow.read_exact(&mut echo).unwrap();
    assert_eq!(&echo, b"$5\r\nhello\r\n");

    // Still there: the blocked client gets its element, the subscriber
    // its message (asked by a fresh client: the admin has idled too).
    let mut fresh = server.raw();
    assert_eq!(fresh.cmd(&["RPUSH", "queue", "job"]), ":1\r\n");
    assert_eq!(blocked.reply(), "*2\r\n$5\r\nqueue\r\n$3\r\njob\r\n");
    assert_eq!(fresh.cmd(&["PUBLISH", "news", "hi"]), ":1\r\n");
    assert_eq!(subscriber.reply(), "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
    assert_eq!(fresh.cmd(&["CONFIG", "SET", "timeout", "0"]), "+OK\r\n");
}

/// The limits' CONFIG rows: Redis's defaults, units and error texts.
#[test]
fn config_rows_of_the_limits() {
    let server = TestServer::start(Backend::Mutex);
    let mut c = server.raw();
    let get = |c: &mut Raw, name: &str| {
        let reply = c.cmd(&["CONFIG", "GET", name]);
        reply.split("\r\n").nth(4).unwrap().to_string()
    };
    assert_eq!(get(&mut c, "maxclients"), "10000");
    assert_eq!(get(&mut c, "timeout"), "0");
    assert_eq!(get(&mut c, "proto-max-bulk-len"), "536870912");
    assert_eq!(get(&mut c, "client-query-buffer-limit"), "1073741824");
    assert_eq!(
        get(&mut c, "client-output-buffer-limit"),
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    );
    let failed =
        |name: &str, why: &str| format!("-ERR CONFIG SET failed (possibly related to argument '{name}') - {why}\r\n");
    for (name, value, why) in [
        ("maxclients", "0", "argument must be between 1 and 4294967295 inclusive"),
        ("timeout", "-1", "argument must be between 0 and 2147483647 inclusive"),
        ("proto-max-bulk-len", "1000", "argument must be between 1048576 and 9223372036854775807 inclusive"),
        ("client-query-buffer-limit", "1000", "argument must be between 1048576 and 9223372036854775807 inclusive"),
        ("client-output-buffer-limit", "normal 1mb", "Wrong number of arguments in buffer limit configuration."),
        ("client-output-buffer-limit", "master 1 2 3", "Invalid client class specified in buffer limit configuration."),
        (
            "client-output-buffer-limit",
            "normal 1 2 -3",
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
        ),
    ] {
        assert_eq!(c.cmd(&["CONFIG", "SET", name, value]), failed(name, why), "{name} {value}");
    }
    assert_eq!(c.cmd(&["CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 512kb 10"]), "+OK\r\n");
    assert_eq!(c.cmd(&["CONFIG", "SET", "client-output-buffer-limit", "replica 1 2 3 pubsub 1k 2k 4"]), "+OK\r\n");
    assert_eq!(get(&mut c, "client-output-buffer-limit"), "normal 1048576 524288 10 slave 1 2 3 pubsub 1000 2000 4");
    assert_eq!(c.cmd(&["CONFIG", "SET", "proto-max-bulk-len", "2mb", "client-query-buffer-limit", "1gb"]), "+OK\r\n");
    assert_eq!(get(&mut c, "proto-max-bulk-len"), "2097152");
}

/// proto-max-bulk-len set at run time bounds the next request's bulks:
/// one byte over is Redis's protocol error and a closed connection; one
/// at the limit is accepted.
#[test]
fn proto_max_bulk_len_applies_at_once() {
    let server = TestServer::start(Backend::Mutex);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]), "+OK\r\n");
    let mut over = server.raw();
    over.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n");
    assert_eq!(over.reply(), "-ERR Protocol error: invalid bulk length\r\n");
    assert!(over.is_closed());
    let mut at = server.raw();
    let value = vec![b'v'; 1024 * 1024];
    at.send_cmd(&[b"SET", b"k", &value]);
    assert_eq!(at.reply(), "+OK\r\n");
    assert_eq!(c.cmd(&["STRLEN", "k"]), ":1048576\r\n");
    // The multibulk count limit is INT_MAX, as in Redis 7.
    let mut huge = server.raw();
    huge.send(b"*2147483648\r\n");
    assert_eq!(huge.reply(), "-ERR Protocol error: invalid multibulk length\r\n");
    assert!(huge.is_closed());
}

/// A client whose unparsed input passes client-query-buffer-limit is
/// closed; so is one whose MULTI queue does; others keep their data.
#[test]
fn query_buffer_limit_closes_the_client() {
    let server = TestServer::start(Backend::Mutex);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "kept", "yes"]), "+OK\r\n");
    assert_eq!(c.cmd(&["CONFIG", "SET", "client-query-buffer-limit", "1mb"]), "+OK\r\n");
    // A 4 MiB bulk (under proto-max-bulk-len) that never completes.
    let mut big = TcpStream::connect(server.addr).unwrap();
    big.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    big.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4194304\r\n").unwrap();
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    while sent < 2 * 1024 * 1024 {
        if big.write_all(&chunk).is_err() {
            break;
        }
        sent += chunk.len();
    }
    let mut rest = Vec::new();
    assert!(matches!(big.read_to_end(&mut rest), Ok(0) | Err(_)), "closed without a reply");

    // A transaction's queue counts too: MULTI and five 256 KiB SETs sent
    // at once; the connection closes before the fifth is queued.
    let mut multi = TcpStream::connect(server.addr).unwrap();
    multi.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let value = vec![b'q'; 256 * 1024];
    let mut request = encode_cmd(&[b"MULTI"]);
    for _ in 0..5 {
        request.extend(encode_cmd(&[b"SET", b"q", &value]));
    }
    request.extend(encode_cmd(&[b"EXEC"]));
    let _ = multi.write_all(&request);
    let mut replies = Vec::new();
    let _ = multi.read_to_end(&mut replies);
    let replies = String::from_utf8_lossy(&replies);
    assert!(replies.starts_with("+OK\r\n"), "{replies}");
    assert!(replies.matches("+QUEUED").count() < 5, "{replies}");

    assert_eq!(c.cmd(&["GET", "kept"]), "$3\r\nyes\r\n");
    assert_eq!(c.cmd(&["EXISTS", "k", "q"]), ":0\r\n");
}

/// A client that pipelines GETs of a large value and never reads its
/// replies is cut off at the normal class's hard limit, while another
/// client's round trips keep being served; the stored data is intact.
#[test]
fn slow_reader_cut_off_at_the_output_hard_limit() {
    let server = TestServer::start_with(Backend::Mutex, |c| {
        c.client_output_buffer_limit = vec!["normal 1mb 0 0".to_string()];
    });
    slow_reader_is_cut_off(&server);
}

/// The same with only a soft limit (256 KiB for 1 s): the client, stuck
/// above it with a write nobody reads, is closed once the second is up.
#[test]
fn slow_reader_cut_off_at_the_output_soft_limit() {
    let server = TestServer::start(Backend::Mutex);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["CONFIG", "SET", "client-output-buffer-limit", "normal 0 256kb 1"]), "+OK\r\n");
    drop(c);
    slow_reader_is_cut_off(&server);
}

fn slow_reader_is_cut_off(server: &TestServer) {
    let mut other = server.raw();
    let value = vec![b'v'; 100 * 1024];
    other.send_cmd(&[b"SET", b"big", &value]);
    assert_eq!(other.reply(), "+OK\r\n");
    // This client and the one asking.
    assert!(eventually(Duration::from_secs(5), || connected(server) == 2));

    // The slow client: 4,000 GETs (400 MB of replies), never read.
    let slow = TcpStream::connect(server.addr).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let mut slow = slow.try_clone().unwrap();
        let done = done.clone();
        std::thread::spawn(move || {
            let get = encode_cmd(&[b"GET", b"big"]);
            let batch: Vec<u8> = get.iter().copied().cycle().take(get.len() * 100).collect();
            for _ in 0..40 {
                if slow.write_all(&batch).is_err() {
                    break;
                }
            }
            done.store(true, Ordering::Relaxed);
        })
    };
    // Meanwhile the other client keeps making round trips.
    let rounds = AtomicU64::new(0);
    let deadline = Instant::now() + Duration::from_secs(20);
    let cut_off = loop {
        assert_eq!(other.cmd(&["INCR", "rounds"]), format!(":{}\r\n", rounds.fetch_add(1, Ordering::Relaxed) + 1));
        if rounds.load(Ordering::Relaxed) % 20 == 0 && info_field(&mut other, "clients", "connected_clients") == "1" {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
    };
    assert!(cut_off, "the slow client was not closed within 20 s");
    assert!(rounds.load(Ordering::Relaxed) > 0, "the other client made progress meanwhile");
    writer.join().unwrap();
    assert!(done.load(Ordering::Relaxed));
    // The slow client's socket is closed (reads end, after whatever
    // replies made it through before the cut).
    let mut slow = slow;
    slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut sink = Vec::new();
    let _ = slow.read_to_end(&mut sink);
    assert!(sink.len() < 400 * 100 * 1024, "it did not get all its replies");
    assert_eq!(other.cmd(&["STRLEN", "big"]), format!(":{}\r\n", value.len()));
    assert_eq!(
        other.cmd(&["GET", "rounds"]),
        format!("${}\r\n{}\r\n", rounds.load(Ordering::Relaxed).to_string().len(), rounds.load(Ordering::Relaxed))
    );
}

/// A subscriber that does not read is closed at the pubsub class's hard
/// limit, set at run time; the publisher never waits.
#[test]
fn subscriber_cut_off_at_the_pubsub_limit() {
    let server = TestServer::start(Backend::Mutex);
    let mut publisher = server.raw();
    assert_eq!(publisher.cmd(&["CONFIG", "SET", "client-output-buffer-limit", "pubsub 256kb 0 0"]), "+OK\r\n");
    let mut subscriber = server.raw();
    assert_eq!(subscriber.cmd(&["SUBSCRIBE", "feed"]), "*3\r\n$9\r\nsubscribe\r\n$4\r\nfeed\r\n:1\r\n");
    let message = "m".repeat(64 * 1024);
    // Enough to fill the socket buffers on both sides and then the limit.
    let mut delivered = 0;
    for _ in 0..2_000 {
        let reply = publisher.cmd(&["PUBLISH", "feed", &message]);
        if reply == ":0\r\n" {
            break;
        }
        delivered += 1;
    }
    assert!(delivered < 2_000, "the subscriber was never closed");
    assert!(eventually(Duration::from_secs(5), || connected(&server) == 2));
}
