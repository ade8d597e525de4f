//! Streams: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XREAD (BLOCK), on every
//! backend, replies compared byte for byte with Redis 7's.

mod common;

use common::{eventually, with_each_backend, Raw, TestServer};
use std::time::Duration;

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const INVALID_ID: &str = "-ERR Invalid stream ID specified as stream command argument\r\n";
const NOT_GREATER: &str = "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n";

/// A bulk string's encoding.
fn bulk(s: &str) -> String {
    format!("${}\r\n{}\r\n", s.len(), s)
}

/// One entry as XRANGE/XREAD encode it: `[id, [field, value, ...]]`.
fn entry(id: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = format!("*2\r\n{}*{}\r\n", bulk(id), pairs.len() * 2);
    for (f, v) in pairs {
        out.push_str(&bulk(f));
        out.push_str(&bulk(v));
    }
    out
}

/// An array of already-encoded elements.
fn array(items: &[String]) -> String {
    format!("*{}\r\n{}", items.len(), items.concat())
}

/// XREAD's RESP2 reply for one stream: `[[key, entries]]`.
fn read_reply(key: &str, entries: &[String]) -> String {
    array(&[format!("*2\r\n{}{}", bulk(key), array(entries))])
}

/// Wait until `n` clients are blocked (a readiness probe: the blocked
/// client's command has run and pinned its IDs).
fn wait_blocked(server: &TestServer, n: usize) {
    let mut probe = server.raw();
    let want = format!("blocked_clients:{n}\r\n");
    assert!(
        eventually(Duration::from_secs(5), || probe.cmd(&["INFO", "clients"]).contains(&want)),
        "never saw {n} blocked client(s)"
    );
}

/// Parse an `ms-seq` bulk reply.
fn parse_id(reply: &str) -> (u64, u64) {
    let text = reply.split("\r\n").nth(1).expect("bulk reply");
    let (ms, seq) = text.split_once('-').expect("ms-seq");
    (ms.parse().unwrap(), seq.parse().unwrap())
}

/// Explicit, incomplete and `ms-*` IDs, and every XADD error in Redis's
/// order of checks.
#[test]
fn xadd_ids_and_errors() {
    with_each_backend(|server, backend| {
        let mut c = server.raw();
        let mut cmd = |args: &[&str]| c.cmd(args);
        assert_eq!(
            cmd(&["XADD", "s", "0-0", "f", "v"]),
            "-ERR The ID specified in XADD must be greater than 0-0\r\n",
            "{backend}"
        );
        assert_eq!(cmd(&["XADD", "s", "0", "f", "v"]), "-ERR The ID specified in XADD must be greater than 0-0\r\n");
        assert_eq!(cmd(&["EXISTS", "s"]), ":0\r\n");
        assert_eq!(cmd(&["XADD", "s", "0-*", "f", "v"]), bulk("0-1"));
        assert_eq!(cmd(&["XADD", "s", "0-*", "f", "v"]), bulk("0-2"));
        assert_eq!(cmd(&["XADD", "s", "5", "f", "v"]), bulk("5-0"));
        assert_eq!(cmd(&["XADD", "s", "5-*", "f", "v"]), bulk("5-1"));
        assert_eq!(cmd(&["XADD", "s", "5-1", "f", "v"]), NOT_GREATER);
        assert_eq!(cmd(&["XADD", "s", "3-9", "f", "v"]), NOT_GREATER);
        assert_eq!(cmd(&["XADD", "s", "4-*", "f", "v"]), NOT_GREATER);
        assert_eq!(cmd(&["XADD", "s", "5-7", "f", "v", "g", "w"]), bulk("5-7"));
        assert_eq!(cmd(&["XADD", "s", "6-*", "f", "v"]), bulk("6-0"));
        for bad in ["bad", "+", "-", "5-x", "5-", "-5", "1-18446744073709551616", "*-1"] {
            assert_eq!(cmd(&["XADD", "s", bad, "f", "v"]), INVALID_ID, "{bad}");
        }
        let arity = "-ERR wrong number of arguments for 'xadd' command\r\n";
        assert_eq!(cmd(&["XADD", "s", "*", "f"]), arity);
        assert_eq!(cmd(&["XADD", "s", "9", "f", "v", "g"]), arity);
        assert_eq!(cmd(&["XADD", "s", "MAXLEN", "1", "*"]), arity);
        assert_eq!(cmd(&["XADD", "s", "nomkstream", "maxlen", "1"]), arity);
        // Type, then NOMKSTREAM: checked after the ID's own validity.
        assert_eq!(cmd(&["SET", "str", "x"]), "+OK\r\n");
        assert_eq!(cmd(&["XADD", "str", "*", "f", "v"]), WRONGTYPE);
        assert_eq!(
            cmd(&["XADD", "str", "0-0", "f", "v"]),
            "-ERR The ID specified in XADD must be greater than 0-0\r\n"
        );
        assert_eq!(cmd(&["XADD", "none", "NOMKSTREAM", "*", "f", "v"]), "$-1\r\n");
        assert_eq!(cmd(&["EXISTS", "none"]), ":0\r\n");
        assert_eq!(cmd(&["XADD", "s", "NOMKSTREAM", "7", "f", "v"]), bulk("7-0"));
        // The end of the ID space.
        assert_eq!(cmd(&["XADD", "big", "18446744073709551615-*", "f", "v"]), bulk("18446744073709551615-0"));
        assert_eq!(
            cmd(&["XADD", "big", "18446744073709551615-18446744073709551615", "f", "v"]),
            bulk("18446744073709551615-18446744073709551615")
        );
        let full = "-ERR The stream has exhausted the last possible ID, unable to add more items\r\n";
        assert_eq!(cmd(&["XADD", "big", "*", "f", "v"]), full);
        assert_eq!(cmd(&["XADD", "big", "18446744073709551615-*", "f", "v"]), full);
        assert_eq!(cmd(&["XLEN", "s"]), ":7\r\n");
        assert_eq!(cmd(&["TYPE", "s"]), "+stream\r\n");
        assert_eq!(cmd(&["GET", "s"]), WRONGTYPE);
    });
}

/// `*` takes the clock's millisecond, and the next sequence once the last
/// ID is ahead of the clock: IDs never go back.
#[test]
fn xadd_auto_ids_follow_clock_and_stay_monotonic() {
    with_each_backend(|server, backend| {
        let mut c = server.raw();
        let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
        let (ms, _) = parse_id(&c.cmd(&["XADD", "a", "*", "f", "v"]));
        assert!(ms >= now_ms && ms < now_ms + 60_000, "{backend}: {ms} vs {now_ms}");
        let mut last = (ms, 0);
        for _ in 0..50 {
            let id = parse_id(&c.cmd(&["XADD", "a", "*", "f", "v"]));
            assert!(id > last, "{backend}: {id:?} after {last:?}");
            last = id;
        }
        // A stream whose last ID is in the future: `*` continues its sequence.
        assert_eq!(c.cmd(&["XADD", "f", "99999999999999-5", "f", "v"]), bulk("99999999999999-5"));
        assert_eq!(c.cmd(&["XADD", "f", "*", "f", "v"]), bulk("99999999999999-6"));
        assert_eq!(
            c.cmd(&["XADD", "f", "99999999999999-18446744073709551615", "f", "v"]),
            bulk("99999999999999-18446744073709551615")
        );
        assert_eq!(c.cmd(&["XADD", "f", "*", "f", "v"]), bulk("100000000000000-0"));
    });
}

/// XADD's MAXLEN and MINID trimming, with `=`, `~` and LIMIT, and their
/// errors. (`~` trims exactly in convoy; Redis may keep more.)
#[test]
fn xadd_trims() {
    with_each_backend(|server, backend| {
        let mut c = server.raw();
        for i in 1..=3 {
            let id = i.to_string();
            assert_eq!(c.cmd(&["XADD", "t", "MAXLEN", "2", &id, "a", &id]), bulk(&format!("{i}-0")), "{backend}");
        }
        assert_eq!(
            c.cmd(&["XRANGE", "t", "-", "+"]),
            array(&[entry("2-0", &[("a", "2")]), entry("3-0", &[("a", "3")])])
        );
        assert_eq!(c.cmd(&["XADD", "t", "MAXLEN", "=", "1", "4", "a", "4"]), bulk("4-0"));
        assert_eq!(c.cmd(&["XLEN", "t"]), ":1\r\n");
        assert_eq!(c.cmd(&["XADD", "t", "MAXLEN", "~", "5", "LIMIT", "2", "5", "a", "5"]), bulk("5-0"));
        assert_eq!(c.cmd(&["XADD", "t", "MINID", "5", "6", "a", "6"]), bulk("6-0"));
        assert_eq!(
            c.cmd(&["XRANGE", "t", "-", "+"]),
            array(&[entry("5-0", &[("a", "5")]), entry("6-0", &[("a", "6")])])
        );
        assert_eq!(c.cmd(&["XADD", "t", "MINID", "~", "7", "LIMIT", "0", "7", "a", "7"]), bulk("7-0"));
        assert_eq!(c.cmd(&["XLEN", "t"]), ":1\r\n");
        // MAXLEN 0 leaves an empty stream, which still exists.
        assert_eq!(c.cmd(&["XADD", "t", "MAXLEN", "0", "8", "a", "8"]), bulk("8-0"));
        assert_eq!(c.cmd(&["XLEN", "t"]), ":0\r\n");
        assert_eq!(c.cmd(&["EXISTS", "t"]), ":1\r\n");
        let cases: &[(&[&str], &str)] = &[
            (&["MAXLEN", "-1"], "-ERR The MAXLEN argument must be >= 0.\r\n"),
            (&["MAXLEN", "x"], "-ERR value is not an integer or out of range\r\n"),
            (&["MAXLEN", "=", "=", "1"], "-ERR value is not an integer or out of range\r\n"),
            (
                &["MAXLEN", "1", "LIMIT", "5"],
                "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n",
            ),
            (&["MAXLEN", "~", "1", "LIMIT", "-5"], "-ERR The LIMIT argument must be >= 0.\r\n"),
            (&["LIMIT", "5"], "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n"),
            (&["LIMIT", "0"], "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n"),
            (
                &["MAXLEN", "1", "MINID", "5"],
                "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible\r\n",
            ),
            (&["MINID", "~", "bad"], INVALID_ID),
            (&["MINID", "-"], INVALID_ID),
        ];
        for (opts, want) in cases {
            let mut args = vec!["XADD", "t"];
            args.extend_from_slice(opts);
            args.extend_from_slice(&["99", "a", "b"]);
            assert_eq!(c.cmd(&args), *want, "{backend}: {opts:?}");
        }
        assert_eq!(c.cmd(&["XLEN", "t"]), ":0\r\n");
    });
}

/// XTRIM: MAXLEN/MINID with `=`/`~`/LIMIT, missing keys, wrong types,
/// and its argument errors (checked before the key).
#[test]
fn xtrim() {
    with_each_backend(|server, backend| {
        let mut c = server.raw();
        for i in 1..=10 {
            c.cmd(&["XADD", "s", &i.to_string(), "f", "v"]);
        }
        assert_eq!(c.cmd(&["XTRIM", "s", "MAXLEN", "8"]), ":2\r\n", "{backend}");
        assert_eq!(c.cmd(&["XTRIM", "s", "MAXLEN", "=", "8"]), ":0\r\n");
        assert_eq!(c.cmd(&["XTRIM", "s", "MAXLEN", "~", "2", "LIMIT", "3"]), ":3\r\n");
        assert_eq!(c.cmd(&["XTRIM", "s", "MINID", "7"]), ":1\r\n");
        assert_eq!(c.cmd(&["XTRIM", "s", "minid", "~", "8-0"]), ":1\r\n");
        assert_eq!(
            c.cmd(&["XRANGE", "s", "-", "+"]),
            array(&[entry("8-0", &[("f", "v")]), entry("9-0", &[("f", "v")]), entry("10-0", &[("f", "v")])])
        );
        assert_eq!(c.cmd(&["XTRIM", "s", "MAXLEN", "0"]), ":3\r\n");
        assert_eq!(c.cmd(&["EXISTS", "s"]), ":1\r\n");
        assert_eq!(c.cmd(&["XADD", "s", "10", "f", "v"]), NOT_GREATER);
        assert_eq!(c.cmd(&["XTRIM", "none", "MAXLEN", "0"]), ":0\r\n");
        assert_eq!(c.cmd(&["EXISTS", "none"]), ":0\r\n");
        c.cmd(&["SET", "str", "x"]);
        assert_eq!(c.cmd(&["XTRIM", "str", "MAXLEN", "0"]), WRONGTYPE);
        let syntax = "-ERR syntax error\r\n";
        assert_eq!(c.cmd(&["XTRIM", "str", "foo", "1"]), syntax);
        assert_eq!(c.cmd(&["XTRIM", "none", "MAXLEN", "0", "extra"]), syntax);
        assert_eq!(c.cmd(&["XTRIM", "s", "MAXLEN", "0", "NOMKSTREAM"]), syntax);
        assert_eq!(
            c.cmd(&["XTRIM", "s", "LIMIT", "0"]),
            "-ERR syntax error, XTRIM must be called with a trimming strategy\r\n"
        );
        assert_eq!(
            c.cmd(&["XTRIM", "s", "LIMIT", "3"]),
            "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n"
        );
        assert_eq!(
            c.cmd(&["XTRIM", "s", "MAXLEN", "0", "LIMIT", "3"]),
            "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n"
        );
        assert_eq!(c.cmd(&["XTRIM", "s", "MAXLEN", "~"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(c.cmd(&["XTRIM", "s", "MINID", "1-*"]), INVALID_ID);
        assert_eq!(c.cmd(&["XTRIM", "s", "MAXLEN"]), "-ERR wrong number of arguments for 'xtrim' command\r\n");
    });
}

/// XRANGE and XREVRANGE: `-`/`+`, incomplete and exclusive IDs, COUNT,
/// and the errors.
#[test]
fn xrange_and_xrevrange() {
    with_each_backend(|server, backend| {
        let mut c = server.raw();
        c.cmd(&["XADD", "r", "1-1", "a", "1"]);
        c.cmd(&["XADD", "r", "2-1", "b", "2", "c", "3"]);
        c.cmd(&["XADD", "r", "3-1", "c", "3"]);
        c.cmd(&["XADD", "r", "3-5", "d", "4"]);
        let e1 = entry("1-1", &[("a", "1")]);
        let e2 = entry("2-1", &[("b", "2"), ("c", "3")]);
        let e3 = entry("3-1", &[("c", "3")]);
        let e4 = entry("3-5", &[("d", "4")]);
        let all = [e1.clone(), e2.clone(), e3.clone(), e4.clone()];
        assert_eq!(c.cmd(&["XRANGE", "r", "-", "+"]), array(&all), "{backend}");
        assert_eq!(c.cmd(&["XRANGE", "r", "-", "+", "COUNT", "2"]), array(&all[..2]));
        assert_eq!(c.cmd(&["XRANGE", "r", "-", "+", "count", "2", "COUNT", "1"]), array(&all[..1]));
        assert_eq!(c.cmd(&["XRANGE", "r", "-", "+", "COUNT", "0"]), "*-1\r\n");
        assert_eq!(c.cmd(&["XRANGE", "r", "-", "+", "COUNT", "-1"]), "*-1\r\n");
        // An incomplete ID is its whole millisecond: 0 as a start, max as an end.
        assert_eq!(c.cmd(&["XRANGE", "r", "2", "3"]), array(&all[1..]));
        assert_eq!(c.cmd(&["XRANGE", "r", "3", "3"]), array(&all[2..]));
        assert_eq!(c.cmd(&["XRANGE", "r", "(2-1", "+"]), array(&all[2..]));
        assert_eq!(c.cmd(&["XRANGE", "r", "(1", "+"]), array(&all));
        assert_eq!(c.cmd(&["XRANGE", "r", "-", "(3-5"]), array(&all[..3]));
        assert_eq!(c.cmd(&["XRANGE", "r", "3", "2"]), "*0\r\n");
        assert_eq!(c.cmd(&["XRANGE", "r", "-", "(0"]), "*0\r\n");
        assert_eq!(
            c.cmd(&["XRANGE", "r", "(18446744073709551615-18446744073709551615", "+"]),
            "-ERR invalid start ID for the interval\r\n"
        );
        assert_eq!(c.cmd(&["XRANGE", "r", "-", "(0-0"]), "-ERR invalid end ID for the interval\r\n");
        for bad in [["(-", "+"], ["(", "+"], ["-", "(+"], ["2-*", "+"], ["3-", "+"], ["x", "+"]] {
            assert_eq!(c.cmd(&["XRANGE", "r", bad[0], bad[1]]), INVALID_ID, "{bad:?}");
        }
        assert_eq!(c.cmd(&["XRANGE", "r", "-", "+", "COUNT"]), "-ERR syntax error\r\n");
        assert_eq!(c.cmd(&["XRANGE", "r", "-", "+", "FOO", "1"]), "-ERR syntax error\r\n");
        assert_eq!(c.cmd(&["XRANGE", "r", "-", "+", "COUNT", "x"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(c.cmd(&["XRANGE", "none", "-", "+"]), "*0\r\n");
        assert_eq!(c.cmd(&["XRANGE", "none", "-", "+", "COUNT", "0"]), "*0\r\n");
        assert_eq!(c.cmd(&["XRANGE", "none", "x", "+"]), INVALID_ID);
        c.cmd(&["SET", "str", "x"]);
        assert_eq!(c.cmd(&["XRANGE", "str", "-", "+"]), WRONGTYPE);
        assert_eq!(c.cmd(&["XRANGE", "str", "x", "+"]), INVALID_ID);
        assert_eq!(c.cmd(&["XRANGE", "r", "-"]), "-ERR wrong number of arguments for 'xrange' command\r\n");
        // XREVRANGE takes the end first.
        let rev = [e4.clone(), e3.clone(), e2.clone(), e1.clone()];
        assert_eq!(c.cmd(&["XREVRANGE", "r", "+", "-"]), array(&rev));
        assert_eq!(c.cmd(&["XREVRANGE", "r", "+", "-", "COUNT", "1"]), array(&rev[..1]));
        assert_eq!(c.cmd(&["XREVRANGE", "r", "-", "+"]), "*0\r\n");
        assert_eq!(c.cmd(&["XREVRANGE", "r", "(3-5", "(1-1"]), array(&rev[1..3]));
        assert_eq!(c.cmd(&["XREVRANGE", "r", "3", "3"]), array(&rev[..2]));
        assert_eq!(
            c.cmd(&["XREVRANGE", "r", "+", "(18446744073709551615-18446744073709551615"]),
            "-ERR invalid start ID for the interval\r\n"
        );
        assert_eq!(c.cmd(&["XREVRANGE", "r", "(0-0", "-"]), "-ERR invalid end ID for the interval\r\n");
        assert_eq!(c.cmd(&["XREVRANGE", "str", "+", "-"]), WRONGTYPE);
    });
}

/// XDEL counts what it removed, checks every ID first, and an emptied
/// stream stays (with its last ID, so new IDs still grow).
#[test]
fn xdel_keeps_empty_stream() {
    with_each_backend(|server, backend| {
        let mut c = server.raw();
        c.cmd(&["XADD", "s", "1-1", "a", "1"]);
        c.cmd(&["XADD", "s", "2-1", "b", "2"]);
        c.cmd(&["XADD", "s", "3-1", "c", "3"]);
        assert_eq!(c.cmd(&["XDEL", "s", "1-1", "1-1", "9"]), ":1\r\n", "{backend}");
        assert_eq!(c.cmd(&["XDEL", "s", "2-1", "x"]), INVALID_ID);
        assert_eq!(c.cmd(&["XDEL", "s", "2-*"]), INVALID_ID);
        assert_eq!(c.cmd(&["XLEN", "s"]), ":2\r\n");
        assert_eq!(c.cmd(&["XDEL", "none", "x"]), ":0\r\n");
        c.cmd(&["SET", "str", "x"]);
        assert_eq!(c.cmd(&["XDEL", "str", "1"]), WRONGTYPE);
        assert_eq!(c.cmd(&["XDEL", "s"]), "-ERR wrong number of arguments for 'xdel' command\r\n");
        assert_eq!(c.cmd(&["XDEL", "s", "2-1", "3-1"]), ":2\r\n");
        assert_eq!(c.cmd(&["XLEN", "s"]), ":0\r\n");
        assert_eq!(c.cmd(&["EXISTS", "s"]), ":1\r\n");
        assert_eq!(c.cmd(&["TYPE", "s"]), "+stream\r\n");
        assert_eq!(c.cmd(&["XRANGE", "s", "-", "+"]), "*0\r\n");
        assert_eq!(c.cmd(&["XADD", "s", "3-1", "a", "b"]), NOT_GREATER);
        assert_eq!(c.cmd(&["XADD", "s", "3-*", "a", "b"]), bulk("3-2"));
        assert_eq!(c.cmd(&["DEL", "s"]), ":1\r\n");
        assert_eq!(c.cmd(&["XADD", "s", "1-1", "a", "b"]), bulk("1-1"));
    });
}

/// XLEN, and the generic commands on a stream key (TYPE, EXPIRE, RENAME,
/// SCAN TYPE, string commands' WRONGTYPE).
#[test]
fn xlen_and_generic_commands() {
    with_each_backend(|server, backend| {
        let mut c = server.raw();
        assert_eq!(c.cmd(&["XLEN", "s"]), ":0\r\n", "{backend}");
        c.cmd(&["XADD", "s", "1", "a", "b"]);
        c.cmd(&["XADD", "s", "2", "a", "b"]);
        assert_eq!(c.cmd(&["XLEN", "s"]), ":2\r\n");
        c.cmd(&["SET", "str", "x"]);
        assert_eq!(c.cmd(&["XLEN", "str"]), WRONGTYPE);
        assert_eq!(c.cmd(&["XLEN", "s", "x"]), "-ERR wrong number of arguments for 'xlen' command\r\n");
        assert_eq!(c.cmd(&["TYPE", "s"]), "+stream\r\n");
        assert_eq!(c.cmd(&["SCAN", "0", "TYPE", "stream"]), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\ns\r\n");
        assert_eq!(c.cmd(&["INCR", "s"]), WRONGTYPE);
        assert_eq!(c.cmd(&["EXPIRE", "s", "100"]), ":1\r\n");
        c.cmd(&["XADD", "s", "3", "a", "b"]);
        assert_eq!(c.cmd(&["TTL", "s"]), ":100\r\n");
        assert_eq!(c.cmd(&["RENAME", "s", "s2"]), "+OK\r\n");
        assert_eq!(c.cmd(&["XLEN", "s2"]), ":3\r\n");
    });
}

/// XREAD without BLOCK: entries after each ID, COUNT, `$`, missing keys,
/// RESP3's map, and the errors.
#[test]
fn xread_without_block() {
    with_each_backend(|server, backend| {
        let mut c = server.raw();
        c.cmd(&["XADD", "s", "1-1", "a", "1"]);
        c.cmd(&["XADD", "s", "2-1", "b", "2"]);
        c.cmd(&["XADD", "t", "5-0", "x", "y"]);
        let s1 = entry("1-1", &[("a", "1")]);
        let s2 = entry("2-1", &[("b", "2")]);
        let t1 = entry("5-0", &[("x", "y")]);
        assert_eq!(c.cmd(&["XREAD", "STREAMS", "s", "0"]), read_reply("s", &[s1.clone(), s2.clone()]), "{backend}");
        let both = format!(
            "*2\r\n*2\r\n{}{}*2\r\n{}{}",
            bulk("s"),
            array(std::slice::from_ref(&s1)),
            bulk("t"),
            array(std::slice::from_ref(&t1))
        );
        assert_eq!(c.cmd(&["XREAD", "COUNT", "1", "STREAMS", "s", "t", "0", "0"]), both);
        assert_eq!(c.cmd(&["XREAD", "COUNT", "-3", "STREAMS", "s", "1-1"]), read_reply("s", std::slice::from_ref(&s2)));
        assert_eq!(c.cmd(&["XREAD", "STREAMS", "s", "1"]), read_reply("s", &[s1.clone(), s2.clone()]));
        assert_eq!(c.cmd(&["XREAD", "STREAMS", "none", "s", "0", "2"]), read_reply("s", std::slice::from_ref(&s2)));
        assert_eq!(c.cmd(&["XREAD", "STREAMS", "s", "$"]), "*-1\r\n");
        assert_eq!(c.cmd(&["XREAD", "STREAMS", "s", "2-1"]), "*-1\r\n");
        assert_eq!(c.cmd(&["XREAD", "STREAMS", "none", "0"]), "*-1\r\n");
        c.cmd(&["SET", "str", "x"]);
        assert_eq!(c.cmd(&["XREAD", "STREAMS", "s", "str", "0", "x"]), WRONGTYPE);
        assert_eq!(c.cmd(&["XREAD", "STREAMS", "s", "str", "x", "0"]), INVALID_ID);
        for bad in ["1-*", "-", "+", "(1"] {
            assert_eq!(c.cmd(&["XREAD", "STREAMS", "s", bad]), INVALID_ID, "{bad}");
        }
        assert_eq!(
            c.cmd(&["XREAD", "STREAMS", "s", ">"]),
            "-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.\r\n"
        );
        assert_eq!(
            c.cmd(&["XREAD", "STREAMS", "s", "t", "0"]),
            "-ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified.\r\n"
        );
        assert_eq!(c.cmd(&["XREAD", "FOO", "1", "STREAMS", "s", "0"]), "-ERR syntax error\r\n");
        assert_eq!(c.cmd(&["XREAD", "COUNT", "1", "BLOCK", "1"]), "-ERR syntax error\r\n");
        assert_eq!(
            c.cmd(&["XREAD", "COUNT", "x", "STREAMS", "s", "0"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            c.cmd(&["XREAD", "BLOCK", "1.5", "STREAMS", "s", "0"]),
            "-ERR timeout is not an integer or out of range\r\n"
        );
        assert_eq!(c.cmd(&["XREAD", "BLOCK", "-1", "STREAMS", "s", "0"]), "-ERR timeout is negative\r\n");
        assert_eq!(
            c.cmd(&["XREAD", "BLOCK", "9223372036854775807", "STREAMS", "s", "0"]),
            "-ERR timeout is out of range\r\n"
        );
        assert_eq!(
            c.cmd(&["XREAD", "NOACK", "STREAMS", "s", "0"]),
            "-ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.\r\n"
        );
        assert_eq!(
            c.cmd(&["XREAD", "GROUP", "g", "c", "STREAMS", "s", "0"]),
            "-ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.\r\n"
        );
        assert_eq!(c.cmd(&["XREAD", "STREAMS", "s"]), "-ERR wrong number of arguments for 'xread' command\r\n");
        // Data available: BLOCK does not wait.
        assert_eq!(c.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "s", "1-1"]), read_reply("s", std::slice::from_ref(&s2)));
        // RESP3: a map from key to entries; nothing is `_`.
        c.cmd(&["HELLO", "3"]);
        let map = format!("%1\r\n{}{}", bulk("t"), array(std::slice::from_ref(&t1)));
        assert_eq!(c.cmd(&["XREAD", "STREAMS", "t", "0"]), map);
        assert_eq!(c.cmd(&["XREAD", "STREAMS", "t", "$"]), "_\r\n");
        assert_eq!(c.cmd(&["XRANGE", "t", "-", "+", "COUNT", "0"]), "_\r\n");
        assert_eq!(c.cmd(&["XADD", "none", "NOMKSTREAM", "*", "a", "b"]), "_\r\n");
    });
}

/// XREAD BLOCK with nothing to read times out with a null array (`_` in
/// RESP3), and the connection then works as before.
#[test]
fn xread_block_times_out() {
    with_each_backend(|server, backend| {
        let mut c = server.raw();
        c.cmd(&["XADD", "s", "1-1", "a", "1"]);
        assert_eq!(c.cmd(&["XREAD", "BLOCK", "50", "STREAMS", "s", "none", "$", "0"]), "*-1\r\n", "{backend}");
        assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
        c.cmd(&["HELLO", "3"]);
        assert_eq!(c.cmd(&["XREAD", "BLOCK", "50", "STREAMS", "s", "$"]), "_\r\n");
        assert!(c.cmd(&["INFO", "clients"]).contains("blocked_clients:0\r\n"));
    });
}

/// A blocked XREAD is woken by an XADD from another connection, and gets
/// the new entry.
#[test]
fn xread_block_woken_by_xadd() {
    with_each_backend(|server, backend| {
        let mut reader = server.raw();
        reader.send_cmd(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"0"]);
        wait_blocked(server, 1);
        let mut writer = server.raw();
        assert_eq!(writer.cmd(&["XADD", "s", "7-1", "k", "v"]), bulk("7-1"), "{backend}");
        assert_eq!(reader.reply(), read_reply("s", &[entry("7-1", &[("k", "v")])]));
        assert_eq!(reader.cmd(&["PING"]), "+PONG\r\n");
        // A key of another stream wakes nobody; the right one does.
        reader.send_cmd(&[b"XREAD", b"BLOCK", b"5000", b"STREAMS", b"a", b"b", b"0", b"0"]);
        wait_blocked(server, 1);
        writer.cmd(&["XADD", "other", "1-1", "k", "v"]);
        writer.cmd(&["XADD", "b", "1-1", "k", "v"]);
        assert_eq!(reader.reply(), read_reply("b", &[entry("1-1", &[("k", "v")])]));
    });
}

/// `$` means entries added after the XREAD: what was there before it
/// blocked is not returned, even though the retry runs after the XADD.
#[test]
fn xread_dollar_returns_only_new_entries() {
    with_each_backend(|server, backend| {
        let mut writer = server.raw();
        writer.cmd(&["XADD", "s", "1-1", "old", "1"]);
        writer.cmd(&["XADD", "s", "2-1", "old", "2"]);
        let mut reader = server.raw();
        reader.send_cmd(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"]);
        wait_blocked(server, 1);
        // Deleting the newest entry does not move `$` back.
        assert_eq!(writer.cmd(&["XDEL", "s", "2-1"]), ":1\r\n", "{backend}");
        assert_eq!(writer.cmd(&["XADD", "s", "3-1", "new", "3"]), bulk("3-1"));
        assert_eq!(reader.reply(), read_reply("s", &[entry("3-1", &[("new", "3")])]));
        // `$` on a missing key: everything added once it exists.
        reader.send_cmd(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"fresh", b"$"]);
        wait_blocked(server, 1);
        writer.cmd(&["XADD", "fresh", "0-1", "a", "b"]);
        assert_eq!(reader.reply(), read_reply("fresh", &[entry("0-1", &[("a", "b")])]));
    });
}

/// XREAD does not consume: one XADD serves every client blocked on the
/// stream.
#[test]
fn xread_block_wakes_every_reader() {
    with_each_backend(|server, backend| {
        let mut readers: Vec<Raw> = (0..3).map(|_| server.raw()).collect();
        for (i, r) in readers.iter_mut().enumerate() {
            r.send_cmd(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"]);
            wait_blocked(server, i + 1);
        }
        server.raw().cmd(&["XADD", "s", "1-1", "k", "v"]);
        for r in &mut readers {
            assert_eq!(r.reply(), read_reply("s", &[entry("1-1", &[("k", "v")])]), "{backend}");
        }
        wait_blocked(server, 0);
    });
}

/// Concurrent XADD * from several clients: every ID unique, each client's
/// IDs increasing, and the stream holds them all in order.
#[test]
fn concurrent_xadd_ids_are_unique_and_monotonic() {
    const CLIENTS: usize = 4;
    const PER_CLIENT: usize = 250;
    with_each_backend(|server, backend| {
        let ids: Vec<Vec<(u64, u64)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..CLIENTS)
                .map(|_| {
                    scope.spawn(|| {
                        let mut c = server.raw();
                        (0..PER_CLIENT).map(|_| parse_id(&c.cmd(&["XADD", "s", "*", "f", "v"]))).collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for mine in &ids {
            assert!(mine.windows(2).all(|w| w[0] < w[1]), "{backend}: one client's IDs went back");
        }
        let mut all: Vec<(u64, u64)> = ids.concat();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), CLIENTS * PER_CLIENT, "{backend}: duplicate IDs");
        let mut c = server.raw();
        assert_eq!(c.cmd(&["XLEN", "s"]), format!(":{}\r\n", CLIENTS * PER_CLIENT));
        let last = all.last().unwrap();
        assert_eq!(
            c.cmd(&["XREVRANGE", "s", "+", "-", "COUNT", "1"]),
            array(&[entry(&format!("{}-{}", last.0, last.1), &[("f", "v")])])
        );
    });
}
