//! List commands: replies and errors byte for byte as Redis 7, and the
//! blocking commands across connections (wake-up order, timeouts,
//! disconnects, atomic moves), on every backend.
//!
//! A test that needs a client to be blocked before it pushes waits for
//! INFO's `blocked_clients` to reach the expected count (the waiter is
//! queued by then, see `server/blocking.rs`); nothing sleeps to
//! synchronise.

mod common;
use common::*;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Run each `(command, expected reply bytes)` pair in order on one
/// connection.
fn expect(c: &mut Raw, backend: &str, cases: &[(&[&str], &str)]) {
    for (args, want) in cases {
        assert_eq!(c.cmd(args), *want, "{backend}: {args:?}");
    }
}

/// Send a command without reading its reply (it is expected to block).
fn send(c: &mut Raw, args: &[&str]) {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    c.send_cmd(&args);
}

/// Wait until INFO reports `n` blocked clients.
fn wait_blocked(c: &mut Raw, n: usize, backend: &str) {
    let want = format!("blocked_clients:{n}\r\n");
    assert!(
        eventually(Duration::from_secs(5), || c.cmd(&["INFO", "clients"]).contains(&want)),
        "{backend}: never saw {want:?}"
    );
}

/// The exact bytes of a RESP2 array of bulk strings.
fn array(items: &[&str]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    for i in items {
        out.push_str(&format!("${}\r\n{i}\r\n", i.len()));
    }
    out
}

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const SYNTAX: &str = "-ERR syntax error\r\n";
const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
const POSITIVE: &str = "-ERR value is out of range, must be positive\r\n";

/// LPUSH/RPUSH add in argument order and reply the length; the X forms do
/// nothing on a missing key; wrong arity and WRONGTYPE as Redis.
#[test]
fn pushes_and_lengths() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["LPUSH", "l", "a", "b", "c"], ":3\r\n"),
                (&["RPUSH", "l", "d", "e"], ":5\r\n"),
                (&["LRANGE", "l", "0", "-1"], &array(&["c", "b", "a", "d", "e"])),
                (&["LLEN", "l"], ":5\r\n"),
                (&["LLEN", "missing"], ":0\r\n"),
                (&["LPUSHX", "missing", "a"], ":0\r\n"),
                (&["RPUSHX", "missing", "a", "b"], ":0\r\n"),
                (&["EXISTS", "missing"], ":0\r\n"),
                (&["LPUSHX", "l", "x", "y"], ":7\r\n"),
                (&["RPUSHX", "l", "z"], ":8\r\n"),
                (&["LRANGE", "l", "0", "-1"], &array(&["y", "x", "c", "b", "a", "d", "e", "z"])),
                (&["TYPE", "l"], "+list\r\n"),
                (&["LPUSH", "l"], "-ERR wrong number of arguments for 'lpush' command\r\n"),
                (&["RPUSHX", "l"], "-ERR wrong number of arguments for 'rpushx' command\r\n"),
                (&["LLEN", "l", "x"], "-ERR wrong number of arguments for 'llen' command\r\n"),
                (&["SET", "s", "v"], "+OK\r\n"),
                (&["LPUSH", "s", "a"], WRONGTYPE),
                (&["RPUSH", "s", "a"], WRONGTYPE),
                (&["LPUSHX", "s", "a"], WRONGTYPE),
                (&["RPUSHX", "s", "a"], WRONGTYPE),
                (&["LLEN", "s"], WRONGTYPE),
                (&["GET", "s"], "$1\r\nv\r\n"),
                (&["GET", "l"], WRONGTYPE),
            ],
        );
        // Binary-safe elements, long ones too (stored out of line).
        let long = "x".repeat(100);
        c.send_cmd(&[b"RPUSH", b"bin", b"a\x00b", b"", long.as_bytes()]);
        assert_eq!(c.reply(), ":3\r\n", "{b}");
        c.send_cmd(&[b"LRANGE", b"bin", b"0", b"-1"]);
        assert_eq!(c.reply(), format!("*3\r\n$3\r\na\x00b\r\n$0\r\n\r\n$100\r\n{long}\r\n"), "{b}");
    });
}

/// LPOP/RPOP: one element or nil; with a count an array, a null array for
/// a missing key, an empty array for count 0; bad counts are errors.
#[test]
fn pops_with_and_without_count() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["RPUSH", "l", "a", "b", "c", "d", "e"], ":5\r\n"),
                (&["LPOP", "l"], "$1\r\na\r\n"),
                (&["RPOP", "l"], "$1\r\ne\r\n"),
                (&["LPOP", "l", "2"], &array(&["b", "c"])),
                (&["LPOP", "l", "0"], "*0\r\n"),
                (&["LPOP", "l", "-1"], POSITIVE),
                (&["RPOP", "l", "abc"], POSITIVE),
                (&["LPOP", "l", "1.5"], POSITIVE),
                (&["LPOP", "l", "1", "2"], "-ERR wrong number of arguments for 'lpop' command\r\n"),
                (&["RPOP", "l", "9223372036854775807"], &array(&["d"])),
                (&["EXISTS", "l"], ":0\r\n"),
                (&["LPOP", "missing"], "$-1\r\n"),
                (&["RPOP", "missing"], "$-1\r\n"),
                (&["LPOP", "missing", "3"], "*-1\r\n"),
                (&["RPOP", "missing", "0"], "*-1\r\n"),
                (&["LPOP", "missing", "-1"], POSITIVE),
                (&["RPUSH", "one", "x"], ":1\r\n"),
                (&["RPOP", "one"], "$1\r\nx\r\n"),
                (&["EXISTS", "one"], ":0\r\n"),
                (&["SET", "s", "v"], "+OK\r\n"),
                (&["LPOP", "s"], WRONGTYPE),
                (&["RPOP", "s", "1"], WRONGTYPE),
            ],
        );
        // RESP3: both nils are `_`.
        c.cmd(&["HELLO", "3"]);
        expect(&mut c, b, &[(&["LPOP", "missing"], "_\r\n"), (&["LPOP", "missing", "2"], "_\r\n")]);
    });
}

/// LRANGE clamps its indexes like Redis; bad integers are errors even for
/// a missing key.
#[test]
fn lrange_indexes() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["RPUSH", "l", "a", "b", "c", "d"], ":4\r\n"),
                (&["LRANGE", "l", "1", "2"], &array(&["b", "c"])),
                (&["LRANGE", "l", "-2", "-1"], &array(&["c", "d"])),
                (&["LRANGE", "l", "-100", "100"], &array(&["a", "b", "c", "d"])),
                (&["LRANGE", "l", "3", "1"], "*0\r\n"),
                (&["LRANGE", "l", "4", "10"], "*0\r\n"),
                (&["LRANGE", "l", "-9223372036854775808", "9223372036854775807"], &array(&["a", "b", "c", "d"])),
                (&["LRANGE", "missing", "0", "-1"], "*0\r\n"),
                (&["LRANGE", "missing", "x", "1"], NOT_INT),
                (&["LRANGE", "l", "0", "1.5"], NOT_INT),
            ],
        );
    });
}

/// LINDEX and LSET: nil / `ERR index out of range` beyond the ends, `ERR
/// no such key` for LSET on a missing key (checked before the index).
#[test]
fn lindex_and_lset() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["RPUSH", "l", "a", "b", "c"], ":3\r\n"),
                (&["LINDEX", "l", "0"], "$1\r\na\r\n"),
                (&["LINDEX", "l", "-1"], "$1\r\nc\r\n"),
                (&["LINDEX", "l", "3"], "$-1\r\n"),
                (&["LINDEX", "l", "-4"], "$-1\r\n"),
                (&["LINDEX", "l", "-9223372036854775808"], "$-1\r\n"),
                (&["LINDEX", "l", "x"], NOT_INT),
                (&["LINDEX", "missing", "x"], "$-1\r\n"),
                (&["LSET", "l", "1", "B"], "+OK\r\n"),
                (&["LSET", "l", "-1", "C"], "+OK\r\n"),
                (&["LRANGE", "l", "0", "-1"], &array(&["a", "B", "C"])),
                (&["LSET", "l", "3", "v"], "-ERR index out of range\r\n"),
                (&["LSET", "l", "-4", "v"], "-ERR index out of range\r\n"),
                (&["LSET", "l", "x", "v"], NOT_INT),
                (&["LSET", "missing", "0", "v"], "-ERR no such key\r\n"),
                (&["LSET", "missing", "x", "v"], "-ERR no such key\r\n"),
                (&["SET", "s", "v"], "+OK\r\n"),
                (&["LINDEX", "s", "0"], WRONGTYPE),
                (&["LSET", "s", "0", "v"], WRONGTYPE),
            ],
        );
    });
}

/// LINSERT: new length, -1 without the pivot, 0 on a missing key (which it
/// does not create), syntax error for anything but BEFORE/AFTER.
#[test]
fn linsert() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["RPUSH", "l", "a", "b", "c"], ":3\r\n"),
                (&["LINSERT", "l", "BEFORE", "b", "x"], ":4\r\n"),
                (&["LINSERT", "l", "after", "c", "y"], ":5\r\n"),
                (&["LINSERT", "l", "BEFORE", "a", "z"], ":6\r\n"),
                (&["LRANGE", "l", "0", "-1"], &array(&["z", "a", "x", "b", "c", "y"])),
                (&["LINSERT", "l", "AFTER", "nope", "w"], ":-1\r\n"),
                (&["LINSERT", "l", "MIDDLE", "a", "w"], SYNTAX),
                (&["LINSERT", "missing", "BEFORE", "a", "w"], ":0\r\n"),
                (&["LINSERT", "missing", "MIDDLE", "a", "w"], SYNTAX),
                (&["EXISTS", "missing"], ":0\r\n"),
                (&["SET", "s", "v"], "+OK\r\n"),
                (&["LINSERT", "s", "BEFORE", "a", "w"], WRONGTYPE),
            ],
        );
    });
}

/// LREM from the head, from the tail and all; an emptied list is deleted.
#[test]
fn lrem() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["RPUSH", "l", "x", "a", "x", "b", "x", "c", "x"], ":7\r\n"),
                (&["LREM", "l", "2", "x"], ":2\r\n"),
                (&["LRANGE", "l", "0", "-1"], &array(&["a", "b", "x", "c", "x"])),
                (&["LREM", "l", "-1", "x"], ":1\r\n"),
                (&["LRANGE", "l", "0", "-1"], &array(&["a", "b", "x", "c"])),
                (&["LREM", "l", "0", "x"], ":1\r\n"),
                (&["LREM", "l", "0", "nope"], ":0\r\n"),
                (&["LREM", "l", "x", "a"], NOT_INT),
                (&["LREM", "missing", "1", "a"], ":0\r\n"),
                (&["LREM", "missing", "x", "a"], NOT_INT),
                (&["LREM", "l", "-9223372036854775808", "a"], ":1\r\n"),
                (&["LREM", "l", "0", "b"], ":1\r\n"),
                (&["LREM", "l", "1", "c"], ":1\r\n"),
                (&["EXISTS", "l"], ":0\r\n"),
                (&["SET", "s", "v"], "+OK\r\n"),
                (&["LREM", "s", "0", "v"], WRONGTYPE),
            ],
        );
    });
}

/// LTRIM keeps LRANGE's range; an empty range deletes the key; OK on a
/// missing key, errors for bad integers first.
#[test]
fn ltrim() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["RPUSH", "l", "a", "b", "c", "d", "e"], ":5\r\n"),
                (&["LTRIM", "l", "1", "-2"], "+OK\r\n"),
                (&["LRANGE", "l", "0", "-1"], &array(&["b", "c", "d"])),
                (&["LTRIM", "l", "-100", "100"], "+OK\r\n"),
                (&["LLEN", "l"], ":3\r\n"),
                (&["LTRIM", "l", "x", "1"], NOT_INT),
                (&["LTRIM", "missing", "0", "1"], "+OK\r\n"),
                (&["LTRIM", "missing", "x", "1"], NOT_INT),
                (&["LTRIM", "l", "2", "1"], "+OK\r\n"),
                (&["EXISTS", "l"], ":0\r\n"),
                (&["SET", "s", "v"], "+OK\r\n"),
                (&["LTRIM", "s", "0", "1"], WRONGTYPE),
            ],
        );
    });
}

/// LPOS with RANK, COUNT and MAXLEN, and each of its errors.
#[test]
fn lpos() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(&mut c, b, &[
            (&["RPUSH", "p", "a", "b", "c", "1", "2", "3", "c", "c"], ":8\r\n"),
            (&["LPOS", "p", "c"], ":2\r\n"),
            (&["LPOS", "p", "nope"], "$-1\r\n"),
            (&["LPOS", "p", "c", "RANK", "2"], ":6\r\n"),
            (&["LPOS", "p", "c", "RANK", "-1"], ":7\r\n"),
            (&["LPOS", "p", "c", "RANK", "-3"], ":2\r\n"),
            (&["LPOS", "p", "c", "RANK", "4"], "$-1\r\n"),
            (&["LPOS", "p", "c", "COUNT", "0"], "*3\r\n:2\r\n:6\r\n:7\r\n"),
            (&["LPOS", "p", "c", "COUNT", "2"], "*2\r\n:2\r\n:6\r\n"),
            (&["LPOS", "p", "c", "RANK", "-1", "COUNT", "2"], "*2\r\n:7\r\n:6\r\n"),
            (&["LPOS", "p", "nope", "COUNT", "2"], "*0\r\n"),
            (&["LPOS", "p", "c", "COUNT", "0", "MAXLEN", "3"], "*1\r\n:2\r\n"),
            (&["LPOS", "p", "c", "MAXLEN", "2"], "$-1\r\n"),
            (&["LPOS", "p", "c", "RANK", "-1", "COUNT", "0", "MAXLEN", "2"], "*2\r\n:7\r\n:6\r\n"),
            (&["LPOS", "p", "c", "rank", "1", "count", "1", "maxlen", "0"], "*1\r\n:2\r\n"),
            (&["LPOS", "p", "c", "RANK", "0"], "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n"),
            (&["LPOS", "p", "c", "RANK", "-9223372036854775808"], "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"),
            (&["LPOS", "p", "c", "RANK", "x"], NOT_INT),
            (&["LPOS", "p", "c", "COUNT", "-1"], "-ERR COUNT can't be negative\r\n"),
            (&["LPOS", "p", "c", "COUNT", "x"], "-ERR COUNT can't be negative\r\n"),
            (&["LPOS", "p", "c", "MAXLEN", "-1"], "-ERR MAXLEN can't be negative\r\n"),
            (&["LPOS", "p", "c", "RANK"], SYNTAX),
            (&["LPOS", "p", "c", "BOGUS", "1"], SYNTAX),
            (&["LPOS", "missing", "c"], "$-1\r\n"),
            (&["LPOS", "missing", "c", "COUNT", "1"], "*0\r\n"),
            (&["LPOS", "missing", "c", "RANK", "0"], "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n"),
            (&["SET", "s", "v"], "+OK\r\n"),
            (&["LPOS", "s", "v"], WRONGTYPE),
        ]);
    });
}

/// LMOVE and RPOPLPUSH: each end combination, rotation of one list,
/// nil for a missing source, WRONGTYPE for a destination that is not a
/// list before anything leaves the source.
#[test]
fn lmove_and_rpoplpush() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["RPUSH", "src", "1", "2", "3"], ":3\r\n"),
                (&["LMOVE", "src", "dst", "LEFT", "RIGHT"], "$1\r\n1\r\n"),
                (&["LMOVE", "src", "dst", "right", "left"], "$1\r\n3\r\n"),
                (&["LRANGE", "src", "0", "-1"], &array(&["2"])),
                (&["LRANGE", "dst", "0", "-1"], &array(&["3", "1"])),
                (&["LMOVE", "src", "dst", "UP", "LEFT"], SYNTAX),
                (&["LMOVE", "missing", "dst", "LEFT", "LEFT"], "$-1\r\n"),
                (&["SET", "s", "v"], "+OK\r\n"),
                (&["LMOVE", "missing", "s", "LEFT", "LEFT"], "$-1\r\n"),
                (&["LMOVE", "src", "s", "LEFT", "LEFT"], WRONGTYPE),
                (&["LRANGE", "src", "0", "-1"], &array(&["2"])),
                (&["LMOVE", "s", "dst", "LEFT", "LEFT"], WRONGTYPE),
                (&["RPUSH", "rot", "a", "b", "c"], ":3\r\n"),
                (&["LMOVE", "rot", "rot", "LEFT", "RIGHT"], "$1\r\na\r\n"),
                (&["LRANGE", "rot", "0", "-1"], &array(&["b", "c", "a"])),
                (&["RPOPLPUSH", "rot", "rot"], "$1\r\na\r\n"),
                (&["LRANGE", "rot", "0", "-1"], &array(&["a", "b", "c"])),
                (&["RPUSH", "solo", "x"], ":1\r\n"),
                (&["LMOVE", "solo", "solo", "LEFT", "RIGHT"], "$1\r\nx\r\n"),
                (&["LRANGE", "solo", "0", "-1"], &array(&["x"])),
                (&["LMOVE", "src", "dst", "LEFT", "LEFT"], "$1\r\n2\r\n"),
                (&["EXISTS", "src"], ":0\r\n"),
                (&["RPOPLPUSH", "dst", "other"], "$1\r\n1\r\n"),
                (&["RPOPLPUSH", "missing", "other"], "$-1\r\n"),
                (&["RPOPLPUSH", "dst", "s"], WRONGTYPE),
                (&["LRANGE", "dst", "0", "-1"], &array(&["2", "3"])),
                (&["LRANGE", "other", "0", "-1"], &array(&["1"])),
                (&["RPOPLPUSH", "dst"], "-ERR wrong number of arguments for 'rpoplpush' command\r\n"),
            ],
        );
    });
}

/// Blocking commands that find an element reply at once (first non-empty
/// key in argument order); their argument errors are Redis's.
#[test]
fn blocking_commands_without_blocking() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["RPUSH", "b1", "x", "y", "z"], ":3\r\n"),
                (&["RPUSH", "b2", "w"], ":1\r\n"),
                (&["BLPOP", "missing", "b1", "b2", "0"], &array(&["b1", "x"])),
                (&["BRPOP", "missing", "b2", "b1", "0"], &array(&["b2", "w"])),
                (&["EXISTS", "b2"], ":0\r\n"),
                (&["SET", "s", "v"], "+OK\r\n"),
                (&["BLPOP", "b1", "s", "0"], &array(&["b1", "y"])),
                (&["BLPOP", "s", "b1", "0"], WRONGTYPE),
                (&["BLPOP", "b1", "x"], "-ERR timeout is not a float or out of range\r\n"),
                (&["BLPOP", "b1", "-1"], "-ERR timeout is negative\r\n"),
                (&["BLPOP", "b1"], "-ERR wrong number of arguments for 'blpop' command\r\n"),
                (&["RPUSH", "bm", "1", "2"], ":2\r\n"),
                (&["BLMOVE", "bm", "bd", "LEFT", "RIGHT", "0"], "$1\r\n1\r\n"),
                (&["BRPOPLPUSH", "bm", "bd", "0"], "$1\r\n2\r\n"),
                (&["LRANGE", "bd", "0", "-1"], &array(&["2", "1"])),
                (&["BLMOVE", "bm", "bd", "UP", "RIGHT", "x"], SYNTAX),
                (&["BLMOVE", "bm", "bd", "LEFT", "RIGHT", "x"], "-ERR timeout is not a float or out of range\r\n"),
                (&["BRPOPLPUSH", "bm", "bd", "-1"], "-ERR timeout is negative\r\n"),
                (&["BLMOVE", "s", "bd", "LEFT", "RIGHT", "0"], WRONGTYPE),
                (&["BLMOVE", "bd", "s", "LEFT", "RIGHT", "0"], WRONGTYPE),
                (&["LLEN", "bd"], ":2\r\n"),
            ],
        );
    });
}

/// A short timeout replies a null array (BLPOP, BRPOP, and BLMOVE and
/// BRPOPLPUSH too, as Redis does) after about the timeout.
#[test]
fn blocking_timeouts() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        for args in [
            &["BLPOP", "k1", "k2", "0.2"][..],
            &["BRPOP", "k1", "0.2"],
            &["BLMOVE", "k1", "d", "LEFT", "LEFT", "0.2"],
            &["BRPOPLPUSH", "k1", "d", "0.2"],
        ] {
            let start = Instant::now();
            assert_eq!(c.cmd(args), "*-1\r\n", "{b}: {args:?}");
            let took = start.elapsed();
            assert!(took >= Duration::from_millis(150) && took < Duration::from_secs(5), "{b}: {args:?} took {took:?}");
        }
        c.cmd(&["HELLO", "3"]);
        assert_eq!(c.cmd(&["BLPOP", "k1", "0.05"]), "_\r\n", "{b}");
        assert_eq!(c.cmd(&["BLMOVE", "k1", "d", "LEFT", "LEFT", "0.05"]), "_\r\n", "{b}");
        // Nothing was left behind by the timed-out waits.
        assert_eq!(c.cmd(&["EXISTS", "d"]), ":0\r\n", "{b}");
        wait_blocked(&mut c, 0, b);
    });
}

/// BLPOP on one connection is woken by LPUSH on another and gets the
/// element; BRPOP on several keys is woken by a push to any of them.
#[test]
fn blpop_woken_by_push_from_another_connection() {
    with_each_backend(|s, b| {
        let mut a = s.raw();
        let mut other = s.raw();
        send(&mut a, &["BLPOP", "k", "0"]);
        wait_blocked(&mut other, 1, b);
        assert_eq!(other.cmd(&["LPUSH", "k", "x"]), ":1\r\n", "{b}");
        assert_eq!(a.reply(), array(&["k", "x"]), "{b}");
        assert_eq!(other.cmd(&["EXISTS", "k"]), ":0\r\n", "{b}");

        send(&mut a, &["BRPOP", "k1", "k2", "0"]);
        wait_blocked(&mut other, 1, b);
        assert_eq!(other.cmd(&["RPUSH", "k2", "p", "q"]), ":2\r\n", "{b}");
        assert_eq!(a.reply(), array(&["k2", "q"]), "{b}");
        assert_eq!(other.cmd(&["LRANGE", "k2", "0", "-1"]), array(&["p"]), "{b}");
        // The connection works normally afterwards.
        assert_eq!(a.cmd(&["PING"]), "+PONG\r\n", "{b}");
        wait_blocked(&mut other, 0, b);
    });
}

/// The longest-waiting client is served first: A blocks, then C; one push
/// wakes A only; C stays blocked until a second push.
#[test]
fn longest_waiting_client_first() {
    with_each_backend(|s, b| {
        let mut a = s.raw();
        let mut c = s.raw();
        let mut pusher = s.raw();
        send(&mut a, &["BLPOP", "k", "0"]);
        wait_blocked(&mut pusher, 1, b);
        send(&mut c, &["BLPOP", "k", "0"]);
        wait_blocked(&mut pusher, 2, b);
        assert_eq!(pusher.cmd(&["RPUSH", "k", "first"]), ":1\r\n", "{b}");
        assert_eq!(a.reply(), array(&["k", "first"]), "{b}");
        wait_blocked(&mut pusher, 1, b);
        assert_eq!(pusher.cmd(&["RPUSH", "k", "second"]), ":1\r\n", "{b}");
        assert_eq!(c.reply(), array(&["k", "second"]), "{b}");
        wait_blocked(&mut pusher, 0, b);
        assert_eq!(pusher.cmd(&["EXISTS", "k"]), ":0\r\n", "{b}");
    });
}

/// A client that disconnects while blocked takes nothing: a later push
/// stays in the list, and no blocked client is left behind.
#[test]
fn disconnect_while_blocked_leaves_nothing_behind() {
    with_each_backend(|s, b| {
        let mut other = s.raw();
        {
            let mut a = s.raw();
            send(&mut a, &["BLPOP", "k", "0"]);
            let mut m = s.raw();
            send(&mut m, &["BLMOVE", "k", "d", "LEFT", "LEFT", "0"]);
            wait_blocked(&mut other, 2, b);
        } // both connections close here
        wait_blocked(&mut other, 0, b);
        assert_eq!(other.cmd(&["LPUSH", "k", "x"]), ":1\r\n", "{b}");
        assert_eq!(other.cmd(&["LLEN", "k"]), ":1\r\n", "{b}");
        assert_eq!(other.cmd(&["EXISTS", "d"]), ":0\r\n", "{b}");
        // A new blocker gets the element at once.
        assert_eq!(other.cmd(&["BLPOP", "k", "1"]), array(&["k", "x"]), "{b}");
    });
}

/// BLMOVE woken by a push moves the element atomically: the reply, the
/// destination and the source agree, and no other client saw it in
/// between.
#[test]
fn blmove_woken_by_push() {
    with_each_backend(|s, b| {
        let mut a = s.raw();
        let mut other = s.raw();
        other.cmd(&["RPUSH", "dst", "old"]);
        send(&mut a, &["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]);
        wait_blocked(&mut other, 1, b);
        assert_eq!(other.cmd(&["RPUSH", "src", "x"]), ":1\r\n", "{b}");
        assert_eq!(a.reply(), "$1\r\nx\r\n", "{b}");
        assert_eq!(other.cmd(&["LRANGE", "dst", "0", "-1"]), array(&["x", "old"]), "{b}");
        assert_eq!(other.cmd(&["EXISTS", "src"]), ":0\r\n", "{b}");

        send(&mut a, &["BRPOPLPUSH", "src", "dst", "0"]);
        wait_blocked(&mut other, 1, b);
        assert_eq!(other.cmd(&["LPUSH", "src", "y"]), ":1\r\n", "{b}");
        assert_eq!(a.reply(), "$1\r\ny\r\n", "{b}");
        assert_eq!(other.cmd(&["LRANGE", "dst", "0", "-1"]), array(&["y", "x", "old"]), "{b}");
    });
}

/// Pushes from several clients onto one list lose nothing, and blocked
/// consumers on other connections receive every element exactly once.
#[test]
fn concurrent_producers_and_blocked_consumers() {
    const PRODUCERS: usize = 4;
    const PER_PRODUCER: usize = 200;
    const CONSUMERS: usize = 3;
    with_each_backend(|s, b| {
        let total = PRODUCERS * PER_PRODUCER;
        let received = std::sync::Mutex::new(Vec::new());
        let taken = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..CONSUMERS {
                scope.spawn(|| {
                    let mut c = s.raw();
                    let mut mine = Vec::new();
                    let deadline = Instant::now() + Duration::from_secs(60);
                    while taken.load(std::sync::atomic::Ordering::SeqCst) < total && Instant::now() < deadline {
                        let r = c.cmd(&["BLPOP", "q", "0.2"]);
                        if r == "*-1\r\n" {
                            continue;
                        }
                        let value = r.rsplit("\r\n").nth(1).unwrap_or_default().to_string();
                        mine.push(value);
                        taken.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    received.lock().unwrap().extend(mine);
                });
            }
            for p in 0..PRODUCERS {
                scope.spawn(move || {
                    let mut c = s.raw();
                    for i in 0..PER_PRODUCER {
                        let v = format!("{p}-{i}");
                        assert!(c.cmd(&["RPUSH", "q", &v]).starts_with(':'));
                    }
                });
            }
        });
        let received = received.into_inner().unwrap();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for v in &received {
            *counts.entry(v).or_default() += 1;
        }
        assert_eq!(received.len(), total, "{b}");
        assert_eq!(counts.len(), total, "{b}: some element delivered twice");
        let mut c = s.raw();
        assert_eq!(c.cmd(&["EXISTS", "q"]), ":0\r\n", "{b}");

        // Concurrent pushes alone: the length is exact.
        std::thread::scope(|scope| {
            for _ in 0..PRODUCERS {
                scope.spawn(|| {
                    let mut c = s.raw();
                    for _ in 0..PER_PRODUCER {
                        c.cmd(&["LPUSH", "n", "x"]);
                    }
                });
            }
        });
        assert_eq!(c.cmd(&["LLEN", "n"]), format!(":{total}\r\n"), "{b}");
    });
}

/// A long list built by pipelined pushes keeps its order, and LRANGE,
/// LINDEX and LSET reach its middle.
#[test]
fn long_list_by_pipelined_pushes() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        const N: usize = 20_000;
        let mut batch = Vec::new();
        for i in 0..N {
            batch.extend(encode_cmd(&[b"RPUSH", b"big", i.to_string().as_bytes()]));
        }
        c.send(&batch);
        for i in 0..N {
            assert_eq!(c.reply(), format!(":{}\r\n", i + 1), "{b}");
        }
        assert_eq!(c.cmd(&["LINDEX", "big", "12345"]), "$5\r\n12345\r\n", "{b}");
        assert_eq!(c.cmd(&["LSET", "big", "-1", "last"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["LRANGE", "big", "9999", "10001"]), array(&["9999", "10000", "10001"]), "{b}");
        assert_eq!(c.cmd(&["LRANGE", "big", "-2", "-1"]), array(&["19998", "last"]), "{b}");
        assert_eq!(c.cmd(&["LPOS", "big", "last"]), format!(":{}\r\n", N - 1), "{b}");
    });
}
