//! Generic key commands: DEL UNLINK EXISTS TYPE KEYS SCAN RENAME RENAMENX,
//! the EXPIRE and TTL families, PERSIST, RANDOMKEY; SCAN under concurrent
//! writes; active and lazy expiry.

mod common;
use common::*;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

/// The integer in a `:n\r\n` reply.
fn int(reply: &str) -> i64 {
    reply
        .strip_prefix(':')
        .and_then(|r| r.strip_suffix("\r\n"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not an integer reply: {reply:?}"))
}

/// Milliseconds since the Unix epoch, on the test's clock (the server's
/// clock is the same machine's).
fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// KEYS `pattern`, sorted.
fn keys(c: &mut redis::Connection, pattern: &str) -> Vec<String> {
    let mut k: Vec<String> = redis::cmd("KEYS").arg(pattern).query(c).expect("KEYS");
    k.sort();
    k
}

/// A full SCAN loop with the given options; every key returned, in order
/// of arrival (duplicates kept).
fn scan_all(c: &mut redis::Connection, opts: &[&str]) -> Vec<String> {
    let (mut cursor, mut out) = ("0".to_string(), Vec::new());
    loop {
        let (next, batch): (String, Vec<String>) = redis::cmd("SCAN").arg(&cursor).arg(opts).query(c).expect("SCAN");
        out.extend(batch);
        if next == "0" {
            return out;
        }
        cursor = next;
    }
}

/// Send many commands in one pipeline and check every reply.
fn pipeline(raw: &mut Raw, cmds: &[Vec<String>], want: &str) {
    let mut buf = Vec::new();
    for cmd in cmds {
        let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_bytes()).collect();
        buf.extend(encode_cmd(&args));
    }
    raw.send(&buf);
    for cmd in cmds {
        assert_eq!(raw.reply(), want, "{cmd:?}");
    }
}

fn set_cmds(names: impl Iterator<Item = String>, extra: &[&str]) -> Vec<Vec<String>> {
    names
        .map(|k| [vec!["SET".to_string(), k, "v".to_string()], extra.iter().map(|s| s.to_string()).collect()].concat())
        .collect()
}

/// DEL and UNLINK delete what exists and count each key once.
#[test]
fn del_and_unlink() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        for k in ["a", "b", "c"] {
            assert_eq!(c.cmd(&["SET", k, "1"]), "+OK\r\n", "{b}");
        }
        assert_eq!(c.cmd(&["DEL", "a", "missing", "b", "a"]), ":2\r\n", "{b}");
        assert_eq!(c.cmd(&["DEL", "a"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["GET", "a"]), "$-1\r\n", "{b}");
        assert_eq!(c.cmd(&["UNLINK", "c", "c"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["UNLINK", "c"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "a", "b", "c"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["DEL"]), "-ERR wrong number of arguments for 'del' command\r\n", "{b}");
        assert_eq!(c.cmd(&["UNLINK"]), "-ERR wrong number of arguments for 'unlink' command\r\n", "{b}");
    });
}

/// EXISTS counts a key as often as it is named.
#[test]
fn exists_counts_repeats() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SET", "x", "1"]);
        assert_eq!(c.cmd(&["EXISTS", "x"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "nope"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "x", "x", "nope", "x"]), ":3\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS"]), "-ERR wrong number of arguments for 'exists' command\r\n", "{b}");
    });
}

/// TYPE says string for a string and none for a missing key.
#[test]
fn type_of_keys() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SET", "s", "v"]);
        assert_eq!(c.cmd(&["TYPE", "s"]), "+string\r\n", "{b}");
        assert_eq!(c.cmd(&["TYPE", "missing"]), "+none\r\n", "{b}");
        assert_eq!(c.cmd(&["TYPE"]), "-ERR wrong number of arguments for 'type' command\r\n", "{b}");
        assert_eq!(c.cmd(&["TYPE", "a", "b"]), "-ERR wrong number of arguments for 'type' command\r\n", "{b}");
    });
}

/// KEYS follows Redis's glob rules: ?, *, classes, negation, ranges, escapes.
#[test]
fn keys_glob_patterns() {
    with_each_backend(|s, b| {
        let mut raw = s.raw();
        for k in ["hello", "hallo", "hbllo", "hxllo", "hllo", "heeello", "h*llo", "other"] {
            raw.cmd(&["SET", k, "v"]);
        }
        let mut c = s.client();
        let cases: &[(&str, &[&str])] = &[
            ("h?llo", &["h*llo", "hallo", "hbllo", "hello", "hxllo"]),
            ("h*llo", &["h*llo", "hallo", "hbllo", "heeello", "hello", "hllo", "hxllo"]),
            ("h[ae]llo", &["hallo", "hello"]),
            ("h[^e]llo", &["h*llo", "hallo", "hbllo", "hxllo"]),
            ("h[a-b]llo", &["hallo", "hbllo"]),
            ("h\\*llo", &["h*llo"]),
            ("*", &["h*llo", "hallo", "hbllo", "heeello", "hello", "hllo", "hxllo", "other"]),
            ("nomatch*", &[]),
        ];
        for (pattern, want) in cases {
            assert_eq!(keys(&mut c, pattern), *want, "{b} KEYS {pattern}");
        }
        assert_eq!(raw.cmd(&["KEYS", "oth?r"]), "*1\r\n$5\r\nother\r\n", "{b}");
        assert_eq!(raw.cmd(&["KEYS", "zz*"]), "*0\r\n", "{b}");
        assert_eq!(raw.cmd(&["KEYS"]), "-ERR wrong number of arguments for 'keys' command\r\n", "{b}");
    });
}

/// SCAN's reply shape, cursor parsing and option errors.
#[test]
fn scan_replies_and_errors() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["SCAN", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n", "{b}");
        c.cmd(&["SET", "only", "v"]);
        assert_eq!(c.cmd(&["SCAN", "0"]), "*2\r\n$1\r\n0\r\n*1\r\n$4\r\nonly\r\n", "{b}");
        assert_eq!(c.cmd(&["SCAN", "0", "COUNT", "1000000000000"]), "*2\r\n$1\r\n0\r\n*1\r\n$4\r\nonly\r\n", "{b}");
        assert_eq!(
            c.cmd(&["scan", "0", "match", "on*", "count", "5", "type", "STRING"]),
            "*2\r\n$1\r\n0\r\n*1\r\n$4\r\nonly\r\n",
            "{b}"
        );
        // Cursors are read as C's strtoul reads them, then checked.
        for bad in ["abc", "1x", " 1", "1 ", "18446744073709551616", "+", "-", "0.5"] {
            assert_eq!(c.cmd(&["SCAN", bad]), "-ERR invalid cursor\r\n", "{b} cursor {bad:?}");
        }
        for ok in ["", "+0", "18446744073709551615", "-1"] {
            assert!(c.cmd(&["SCAN", ok]).starts_with("*2\r\n$"), "{b} cursor {ok:?}");
        }
        let syntax = "-ERR syntax error\r\n";
        assert_eq!(c.cmd(&["SCAN", "0", "COUNT", "0"]), syntax, "{b}");
        assert_eq!(c.cmd(&["SCAN", "0", "COUNT", "-3"]), syntax, "{b}");
        assert_eq!(c.cmd(&["SCAN", "0", "COUNT"]), syntax, "{b}");
        assert_eq!(c.cmd(&["SCAN", "0", "MATCH"]), syntax, "{b}");
        assert_eq!(c.cmd(&["SCAN", "0", "TYPE"]), syntax, "{b}");
        assert_eq!(c.cmd(&["SCAN", "0", "LIMIT", "5"]), syntax, "{b}");
        assert_eq!(c.cmd(&["SCAN", "0", "COUNT", "x"]), "-ERR value is not an integer or out of range\r\n", "{b}");
        assert_eq!(c.cmd(&["SCAN", "x", "COUNT", "0"]), "-ERR invalid cursor\r\n", "{b}");
        assert_eq!(c.cmd(&["SCAN"]), "-ERR wrong number of arguments for 'scan' command\r\n", "{b}");
    });
}

/// SCAN with MATCH and TYPE filters, and a full loop returns each key once.
#[test]
fn scan_match_and_type() {
    with_each_backend(|s, b| {
        let mut raw = s.raw();
        pipeline(&mut raw, &set_cmds((0..300).map(|i| format!("user:{i}")), &[]), "+OK\r\n");
        pipeline(&mut raw, &set_cmds((0..200).map(|i| format!("item:{i}")), &[]), "+OK\r\n");
        let mut c = s.client();
        let all = scan_all(&mut c, &["COUNT", "7"]);
        assert_eq!(all.len(), 500, "{b}: every key exactly once");
        assert_eq!(all.iter().collect::<HashSet<_>>().len(), 500, "{b}");
        let users = scan_all(&mut c, &["MATCH", "user:*", "COUNT", "10"]);
        let want: HashSet<String> = (0..300).map(|i| format!("user:{i}")).collect();
        assert_eq!(users.len(), 300, "{b}");
        assert_eq!(users.into_iter().collect::<HashSet<_>>(), want, "{b}");
        assert_eq!(scan_all(&mut c, &["MATCH", "item:1?", "COUNT", "1000"]).len(), 10, "{b}");
        assert_eq!(scan_all(&mut c, &["TYPE", "string"]).len(), 500, "{b}");
        assert_eq!(scan_all(&mut c, &["TYPE", "list"]).len(), 0, "{b}");
        assert_eq!(scan_all(&mut c, &["TYPE", "nosuchtype"]).len(), 0, "{b}");
        assert_eq!(scan_all(&mut c, &["MATCH", "item:*", "TYPE", "string", "COUNT", "3"]).len(), 200, "{b}");
    });
}

/// A full SCAN with COUNT 10 returns every preloaded key while four other
/// clients keep adding and deleting keys of a different prefix.
#[test]
fn scan_complete_under_concurrent_writes() {
    const N: usize = 2000;
    with_each_backend(|s, b| {
        let mut raw = s.raw();
        pipeline(&mut raw, &set_cmds((0..N).map(|i| format!("stable:{i}")), &[]), "+OK\r\n");
        let stop = Arc::new(AtomicBool::new(false));
        // The scan starts only once every writer has written once.
        let started = Arc::new(Barrier::new(5));
        let writers: Vec<_> = (0..4)
            .map(|t| {
                let (stop, started, addr) = (stop.clone(), started.clone(), s.addr);
                std::thread::spawn(move || {
                    let mut w = Raw::connect(addr);
                    assert_eq!(w.cmd(&["SET", &format!("churn:{t}:first"), "x"]), "+OK\r\n");
                    started.wait();
                    let mut rounds = 0u64;
                    // Relaxed: the flag only ends the loop; join orders the rest.
                    while !stop.load(Ordering::Relaxed) {
                        let i = rounds % 200;
                        let key = format!("churn:{t}:{i}");
                        assert_eq!(w.cmd(&["SET", &key, "x"]), "+OK\r\n");
                        if rounds % 3 != 0 {
                            assert_eq!(w.cmd(&["DEL", &key]), ":1\r\n");
                        }
                        rounds += 1;
                    }
                    rounds
                })
            })
            .collect();
        let mut c = s.client();
        started.wait();
        let seen: HashSet<String> = scan_all(&mut c, &["COUNT", "10"]).into_iter().collect();
        stop.store(true, Ordering::Relaxed);
        let rounds: u64 = writers.into_iter().map(|w| w.join().expect("writer")).sum();
        assert!(rounds > 0, "{b}: writers ran");
        let missing: Vec<String> = (0..N).map(|i| format!("stable:{i}")).filter(|k| !seen.contains(k)).collect();
        assert!(
            missing.is_empty(),
            "{b}: SCAN missed {} keys, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(5)]
        );
    });
}

/// RENAME and RENAMENX: moves, overwrites, refusals and errors.
#[test]
fn rename_and_renamenx() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["RENAME", "nope", "x"]), "-ERR no such key\r\n", "{b}");
        assert_eq!(c.cmd(&["RENAMENX", "nope", "x"]), "-ERR no such key\r\n", "{b}");
        assert_eq!(c.cmd(&["RENAME", "nope", "nope"]), "-ERR no such key\r\n", "{b}");
        c.cmd(&["SET", "a", "1"]);
        assert_eq!(c.cmd(&["RENAME", "a", "b"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["GET", "a"]), "$-1\r\n", "{b}");
        assert_eq!(c.cmd(&["GET", "b"]), "$1\r\n1\r\n", "{b}");
        assert_eq!(c.cmd(&["RENAME", "b", "b"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["GET", "b"]), "$1\r\n1\r\n", "{b}");
        c.cmd(&["SET", "c", "3"]);
        assert_eq!(c.cmd(&["RENAME", "c", "b"]), "+OK\r\n", "{b}: overwrites");
        assert_eq!(c.cmd(&["GET", "b"]), "$1\r\n3\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "c"]), ":0\r\n", "{b}");
        c.cmd(&["SET", "d", "4"]);
        assert_eq!(c.cmd(&["RENAMENX", "d", "b"]), ":0\r\n", "{b}: target exists");
        assert_eq!(c.cmd(&["GET", "d"]), "$1\r\n4\r\n", "{b}");
        assert_eq!(c.cmd(&["RENAMENX", "d", "d"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["RENAMENX", "d", "e"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["GET", "e"]), "$1\r\n4\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "d"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["RENAME", "e"]), "-ERR wrong number of arguments for 'rename' command\r\n", "{b}");
        assert_eq!(
            c.cmd(&["RENAMENX", "e", "f", "g"]),
            "-ERR wrong number of arguments for 'renamenx' command\r\n",
            "{b}"
        );
    });
}

/// RENAME moves the TTL with the value and drops the target's own TTL.
#[test]
fn rename_keeps_ttl() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SET", "src", "v", "PX", "100000"]);
        assert_eq!(c.cmd(&["RENAME", "src", "dst"]), "+OK\r\n", "{b}");
        let pttl = int(&c.cmd(&["PTTL", "dst"]));
        assert!(pttl > 90_000 && pttl <= 100_000, "{b}: {pttl}");
        assert_eq!(c.cmd(&["PTTL", "src"]), ":-2\r\n", "{b}");
        // A key without TTL renamed over one with a TTL: the result has none.
        c.cmd(&["SET", "plain", "p"]);
        assert_eq!(c.cmd(&["RENAME", "plain", "dst"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["TTL", "dst"]), ":-1\r\n", "{b}");
        assert_eq!(c.cmd(&["GET", "dst"]), "$1\r\np\r\n", "{b}");
        c.cmd(&["SET", "t", "v", "EX", "50"]);
        assert_eq!(c.cmd(&["RENAMENX", "t", "t2"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["TTL", "t2"]), ":50\r\n", "{b}");
    });
}

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT set deadlines that TTL, PTTL,
/// EXPIRETIME and PEXPIRETIME report; PERSIST removes them.
#[test]
fn expire_and_ttl_families() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
            assert_eq!(c.cmd(&[cmd, "missing"]), ":-2\r\n", "{b} {cmd}");
        }
        c.cmd(&["SET", "k", "v"]);
        for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
            assert_eq!(c.cmd(&[cmd, "k"]), ":-1\r\n", "{b} {cmd}");
        }
        for cmd in ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"] {
            assert_eq!(c.cmd(&[cmd, "missing", "100"]), ":0\r\n", "{b} {cmd}");
        }
        assert_eq!(c.cmd(&["EXPIRE", "k", "100"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["TTL", "k"]), ":100\r\n", "{b}");
        let pttl = int(&c.cmd(&["PTTL", "k"]));
        assert!(pttl > 99_000 && pttl <= 100_000, "{b}: {pttl}");
        assert_eq!(c.cmd(&["PEXPIRE", "k", "20500"]), ":1\r\n", "{b}");
        // Seconds are rounded to nearest, as Redis: (ms + 500) / 1000.
        let ttl = int(&c.cmd(&["TTL", "k"]));
        assert!(ttl == 20 || ttl == 21, "{b}: {ttl}");
        let at = now_ms() / 1000 + 1000;
        assert_eq!(c.cmd(&["EXPIREAT", "k", &at.to_string()]), ":1\r\n", "{b}");
        assert_eq!(int(&c.cmd(&["EXPIRETIME", "k"])), at, "{b}");
        assert_eq!(int(&c.cmd(&["PEXPIRETIME", "k"])), at * 1000, "{b}");
        let ttl = int(&c.cmd(&["TTL", "k"]));
        assert!((998..=1000).contains(&ttl), "{b}: {ttl}");
        let pat = now_ms() + 555_555;
        assert_eq!(c.cmd(&["PEXPIREAT", "k", &pat.to_string()]), ":1\r\n", "{b}");
        assert_eq!(int(&c.cmd(&["PEXPIRETIME", "k"])), pat, "{b}");
        assert_eq!(int(&c.cmd(&["EXPIRETIME", "k"])), (pat + 500) / 1000, "{b}");
        assert_eq!(c.cmd(&["GET", "k"]), "$1\r\nv\r\n", "{b}");
        assert_eq!(c.cmd(&["PERSIST", "k"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["TTL", "k"]), ":-1\r\n", "{b}");
        assert_eq!(c.cmd(&["PERSIST", "k"]), ":0\r\n", "{b}: no TTL left");
        assert_eq!(c.cmd(&["PERSIST", "missing"]), ":0\r\n", "{b}");
        // The largest deadline PEXPIREAT accepts is i64::MAX ms.
        assert_eq!(c.cmd(&["PEXPIREAT", "k", "9223372036854775807"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["PEXPIRETIME", "k"]), ":9223372036854775807\r\n", "{b}");
        assert!(int(&c.cmd(&["EXPIRETIME", "k"])) > 9_000_000_000_000_000, "{b}");
        for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"] {
            let want = format!("-ERR wrong number of arguments for '{}' command\r\n", cmd.to_lowercase());
            assert_eq!(c.cmd(&[cmd]), want, "{b}");
            assert_eq!(c.cmd(&[cmd, "a", "b"]), want, "{b}");
        }
        for cmd in ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"] {
            let want = format!("-ERR wrong number of arguments for '{}' command\r\n", cmd.to_lowercase());
            assert_eq!(c.cmd(&[cmd, "k"]), want, "{b}");
        }
    });
}

/// NX, XX, GT and LT, with Redis 7's rule that no TTL counts as infinite.
#[test]
fn expire_conditions() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SET", "k", "v"]);
        // No TTL yet.
        assert_eq!(c.cmd(&["EXPIRE", "k", "100", "XX"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["EXPIRE", "k", "100", "GT"]), ":0\r\n", "{b}: nothing beats infinite");
        assert_eq!(c.cmd(&["TTL", "k"]), ":-1\r\n", "{b}");
        assert_eq!(c.cmd(&["EXPIRE", "k", "100", "nx"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["TTL", "k"]), ":100\r\n", "{b}");
        assert_eq!(c.cmd(&["EXPIRE", "k", "200", "NX"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["EXPIRE", "k", "200", "XX"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["TTL", "k"]), ":200\r\n", "{b}");
        assert_eq!(c.cmd(&["EXPIRE", "k", "100", "GT"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["EXPIRE", "k", "300", "GT"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["TTL", "k"]), ":300\r\n", "{b}");
        assert_eq!(c.cmd(&["EXPIRE", "k", "400", "LT"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["EXPIRE", "k", "150", "lt"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["TTL", "k"]), ":150\r\n", "{b}");
        assert_eq!(c.cmd(&["EXPIRE", "k", "160", "XX", "GT"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["EXPIRE", "k", "170", "XX", "LT"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["TTL", "k"]), ":160\r\n", "{b}");
        // LT on a key without TTL: any time is less than infinite.
        c.cmd(&["SET", "p", "v"]);
        assert_eq!(c.cmd(&["PEXPIRE", "p", "50000", "LT"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["TTL", "p"]), ":50\r\n", "{b}");
        // The same options on the absolute forms.
        let at = (now_ms() / 1000 + 500).to_string();
        assert_eq!(c.cmd(&["EXPIREAT", "p", &at, "NX"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["EXPIREAT", "p", &at, "GT"]), ":1\r\n", "{b}");
        let pat = (now_ms() + 10_000).to_string();
        assert_eq!(c.cmd(&["PEXPIREAT", "p", &pat, "GT"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["PEXPIREAT", "p", &pat, "LT"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["PEXPIRETIME", "p"]), format!(":{pat}\r\n"), "{b}");
        assert_eq!(c.cmd(&["EXPIRE", "missing", "10", "NX"]), ":0\r\n", "{b}");
    });
}

/// Option and time errors of the EXPIRE family, word for word.
#[test]
fn expire_errors() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SET", "k", "v"]);
        let nx = "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n";
        let gtlt = "-ERR GT and LT options at the same time are not compatible\r\n";
        for cmd in ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"] {
            assert_eq!(c.cmd(&[cmd, "k", "100", "NX", "XX"]), nx, "{b} {cmd}");
            assert_eq!(c.cmd(&[cmd, "k", "100", "NX", "GT"]), nx, "{b} {cmd}");
            assert_eq!(c.cmd(&[cmd, "k", "100", "LT", "NX"]), nx, "{b} {cmd}");
            assert_eq!(c.cmd(&[cmd, "k", "100", "NX", "GT", "LT"]), nx, "{b} {cmd}");
            assert_eq!(c.cmd(&[cmd, "k", "100", "GT", "LT"]), gtlt, "{b} {cmd}");
            assert_eq!(c.cmd(&[cmd, "k", "100", "XX", "lt", "gt"]), gtlt, "{b} {cmd}");
            assert_eq!(c.cmd(&[cmd, "k", "100", "xyz"]), "-ERR Unsupported option xyz\r\n", "{b} {cmd}");
            assert_eq!(c.cmd(&[cmd, "k", "100", "NX", "Foo"]), "-ERR Unsupported option Foo\r\n", "{b} {cmd}");
            // Options are read before the time.
            assert_eq!(c.cmd(&[cmd, "k", "soon", "xyz"]), "-ERR Unsupported option xyz\r\n", "{b} {cmd}");
            assert_eq!(c.cmd(&[cmd, "k", "soon"]), "-ERR value is not an integer or out of range\r\n", "{b} {cmd}");
            assert_eq!(c.cmd(&[cmd, "k", "1.5"]), "-ERR value is not an integer or out of range\r\n", "{b} {cmd}");
            assert_eq!(
                c.cmd(&[cmd, "k", "99999999999999999999"]),
                "-ERR value is not an integer or out of range\r\n",
                "{b} {cmd}"
            );
        }
        assert_eq!(c.cmd(&["TTL", "k"]), ":-1\r\n", "{b}: errors changed nothing");
        let overflow = |name: &str| format!("-ERR invalid expire time in '{name}' command\r\n");
        assert_eq!(c.cmd(&["EXPIRE", "k", "9223372036854775807"]), overflow("expire"), "{b}");
        assert_eq!(c.cmd(&["EXPIRE", "k", "-9223372036854775808"]), overflow("expire"), "{b}");
        assert_eq!(
            c.cmd(&["EXPIRE", "missing", "9223372036854775807"]),
            overflow("expire"),
            "{b}: checked before the key"
        );
        assert_eq!(c.cmd(&["EXPIREAT", "k", "9223372036854775807"]), overflow("expireat"), "{b}");
        assert_eq!(c.cmd(&["PEXPIRE", "k", "9223372036854775807"]), overflow("pexpire"), "{b}");
        assert_eq!(c.cmd(&["PEXPIRE", "k", "9223372036854775000"]), overflow("pexpire"), "{b}");
        assert_eq!(c.cmd(&["TTL", "k"]), ":-1\r\n", "{b}");
    });
}

/// A deadline that is not in the future deletes the key and replies 1.
#[test]
fn expire_in_the_past_deletes() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let past = (now_ms() - 10_000).to_string();
        let cases: [&[&str]; 6] = [
            &["EXPIRE", "k", "0"],
            &["EXPIRE", "k", "-10"],
            &["PEXPIRE", "k", "-1"],
            &["EXPIREAT", "k", "1"],
            &["PEXPIREAT", "k", past.as_str()],
            &["PEXPIRE", "k", "-9223372036854775808"],
        ];
        for cmd in cases {
            assert_eq!(c.cmd(&["SET", "k", "v"]), "+OK\r\n", "{b}");
            assert_eq!(c.cmd(cmd), ":1\r\n", "{b} {cmd:?}");
            assert_eq!(c.cmd(&["EXISTS", "k"]), ":0\r\n", "{b} {cmd:?}");
            assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n", "{b} {cmd:?}: removed, not just hidden");
        }
        // GT on a key without TTL refuses even a past time; LT accepts it.
        c.cmd(&["SET", "k", "v"]);
        assert_eq!(c.cmd(&["EXPIRE", "k", "-1", "GT"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["EXPIRE", "k", "-1", "LT"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "k"]), ":0\r\n", "{b}");
    });
}

/// RANDOMKEY: nil on an empty database, else one of the keys.
#[test]
fn randomkey() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["RANDOMKEY"]), "$-1\r\n", "{b}");
        c.cmd(&["SET", "one", "1"]);
        assert_eq!(c.cmd(&["RANDOMKEY"]), "$3\r\none\r\n", "{b}");
        c.cmd(&["SET", "two", "2"]);
        c.cmd(&["SET", "three", "3"]);
        let mut seen = HashSet::new();
        for _ in 0..200 {
            let r = c.cmd(&["RANDOMKEY"]);
            assert!(["$3\r\none\r\n", "$3\r\ntwo\r\n", "$5\r\nthree\r\n"].contains(&r.as_str()), "{b}: {r:?}");
            seen.insert(r);
        }
        assert!(seen.len() >= 2, "{b}: RANDOMKEY should vary, saw {seen:?}");
        c.cmd(&["DEL", "one", "two", "three"]);
        assert_eq!(c.cmd(&["RANDOMKEY"]), "$-1\r\n", "{b}");
        assert!(c.cmd(&["HELLO", "3"]).starts_with('%'), "{b}");
        assert_eq!(c.cmd(&["RANDOMKEY"]), "_\r\n", "{b}: RESP3 null");
        assert_eq!(c.cmd(&["RANDOMKEY", "x"]), "-ERR wrong number of arguments for 'randomkey' command\r\n", "{b}");
    });
}

/// Active expiry removes keys nobody reads: DBSIZE, which counts expired
/// keys still stored, drops to the keys without TTL. A renamed key's
/// deadline is followed too.
#[test]
fn active_expiry_removes_unread_keys() {
    for backend in backends() {
        let s = TestServer::start_with(backend, |c| c.hz = 50);
        let b = backend.name();
        let mut raw = s.raw();
        raw.cmd(&["SET", "forever", "v"]);
        pipeline(&mut raw, &set_cmds((0..500).map(|i| format!("tmp:{i}")), &["PX", "300"]), "+OK\r\n");
        assert_eq!(raw.cmd(&["RENAME", "tmp:0", "renamed"]), "+OK\r\n", "{b}");
        assert_eq!(raw.cmd(&["DBSIZE"]), ":501\r\n", "{b}");
        let gone = eventually(Duration::from_secs(5), || raw.cmd(&["DBSIZE"]) == ":1\r\n");
        assert!(gone, "{b}: active expiry left {}", raw.cmd(&["DBSIZE"]));
        assert_eq!(raw.cmd(&["GET", "forever"]), "$1\r\nv\r\n", "{b}");
    }
}

/// Lazy expiry: an expired key reads as missing at once, is still stored
/// until touched, and the read removes it.
#[test]
fn lazy_expiry_on_read() {
    for backend in backends() {
        // hz 1: the active cycle runs at start and then once a second, so
        // it does not get to this key within the test's few milliseconds.
        let s = TestServer::start_with(backend, |c| c.hz = 1);
        let b = backend.name();
        let mut c = s.raw();
        assert_eq!(c.cmd(&["SET", "k", "v", "PX", "40"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["SET", "keep", "v"]), "+OK\r\n", "{b}");
        // KEYS hides expired keys without removing them.
        assert!(eventually(Duration::from_secs(2), || c.cmd(&["KEYS", "*"]) == "*1\r\n$4\r\nkeep\r\n"), "{b}");
        assert_eq!(c.cmd(&["DBSIZE"]), ":2\r\n", "{b}: still stored");
        assert_eq!(c.cmd(&["GET", "k"]), "$-1\r\n", "{b}");
        assert_eq!(c.cmd(&["DBSIZE"]), ":1\r\n", "{b}: the read removed it");
        assert_eq!(c.cmd(&["TTL", "k"]), ":-2\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "k"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["KEYS", "*"]), "*1\r\n$4\r\nkeep\r\n", "{b}");
    }
}

/// OBJECT ENCODING names Redis's encodings; missing keys are nil; the
/// other subcommands answer as documented.
#[test]
fn object_subcommands() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SET", "int", "12345"]);
        c.cmd(&["SET", "short", "hello"]);
        c.cmd(&["SET", "long", &"x".repeat(100)]);
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", "int"]), "$3\r\nint\r\n", "{b}");
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", "short"]), "$6\r\nembstr\r\n", "{b}");
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", "long"]), "$3\r\nraw\r\n", "{b}");
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", "missing"]), "$-1\r\n", "{b}");
        assert_eq!(c.cmd(&["OBJECT", "REFCOUNT", "short"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["OBJECT", "IDLETIME", "short"]), ":0\r\n", "{b}");
        assert!(c.cmd(&["OBJECT", "FREQ", "short"]).starts_with("-ERR An LFU maxmemory policy is not selected"), "{b}");
        assert_eq!(c.cmd(&["OBJECT", "NOPE", "short"]), "-ERR unknown subcommand 'NOPE'. Try OBJECT HELP.\r\n", "{b}");
        assert_eq!(
            c.cmd(&["OBJECT", "ENCODING"]),
            "-ERR wrong number of arguments for 'object|encoding' command\r\n",
            "{b}"
        );
    });
}

/// The generic commands work on every type: TYPE, OBJECT ENCODING, SCAN
/// TYPE, EXPIRE, RENAME, DEL; and a string command on a collection is
/// WRONGTYPE.
#[test]
fn generic_commands_on_every_type() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SET", "t:string", "v"]);
        c.cmd(&["RPUSH", "t:list", "a", "b"]);
        c.cmd(&["HSET", "t:hash", "f", "v"]);
        c.cmd(&["SADD", "t:set", "m"]);
        c.cmd(&["ZADD", "t:zset", "1", "m"]);
        c.cmd(&["XADD", "t:stream", "1-1", "f", "v"]);
        for (key, ty, enc) in [
            ("t:string", "string", "embstr"),
            ("t:list", "list", "listpack"),
            ("t:hash", "hash", "listpack"),
            ("t:set", "set", "listpack"),
            ("t:zset", "zset", "skiplist"),
            ("t:stream", "stream", "stream"),
        ] {
            assert_eq!(c.cmd(&["TYPE", key]), format!("+{ty}\r\n"), "{b}");
            if ty != "zset" {
                assert_eq!(c.cmd(&["OBJECT", "ENCODING", key]), format!("${}\r\n{enc}\r\n", enc.len()), "{b}: {key}");
            }
            let scanned = c.cmd(&["SCAN", "0", "COUNT", "100", "TYPE", ty]);
            assert!(scanned.contains(key) && scanned.matches("t:").count() == 1, "{b}: SCAN TYPE {ty}: {scanned}");
            if ty != "string" {
                assert_eq!(
                    c.cmd(&["GET", key]),
                    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                    "{b}: {key}"
                );
            }
            assert_eq!(c.cmd(&["EXPIRE", key, "100"]), ":1\r\n", "{b}: {key}");
            let renamed = format!("{key}:renamed");
            assert_eq!(c.cmd(&["RENAME", key, &renamed]), "+OK\r\n", "{b}: {key}");
            assert_eq!(c.cmd(&["TYPE", &renamed]), format!("+{ty}\r\n"), "{b}");
            assert!(c.cmd(&["TTL", &renamed]).starts_with(":"), "{b}");
            assert_eq!(c.cmd(&["DEL", &renamed]), ":1\r\n", "{b}: {key}");
        }
        assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n", "{b}");
    });
}
