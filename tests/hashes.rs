//! Hash commands: every command, option and error reply, on every backend.
//! Errors and deterministic replies are compared byte for byte; replies in
//! hash-table order are compared as sets.

mod common;
use common::*;
use std::collections::{HashMap, HashSet};

fn q<T: redis::FromRedisValue>(c: &mut redis::Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c).expect("query")
}

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// HSET counts new fields only, HGET/HMGET/HSETNX/HMSET/HLEN/HEXISTS/HSTRLEN
/// reply exactly as Redis, and odd argument counts are arity errors.
#[test]
fn set_and_get_fields() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["HSET", "h", "a"]), "-ERR wrong number of arguments for 'hset' command\r\n", "{b}");
        assert_eq!(
            c.cmd(&["HSET", "h", "a", "1", "b"]),
            "-ERR wrong number of arguments for 'hset' command\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["HSET", "h", "a", "1", "b", "2"]), ":2\r\n", "{b}");
        assert_eq!(c.cmd(&["HSET", "h", "a", "9", "c", "3"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["HGET", "h", "a"]), "$1\r\n9\r\n", "{b}");
        assert_eq!(c.cmd(&["HGET", "h", "zz"]), "$-1\r\n", "{b}");
        assert_eq!(c.cmd(&["HGET", "nokey", "a"]), "$-1\r\n", "{b}");
        assert_eq!(c.cmd(&["HGET", "h"]), "-ERR wrong number of arguments for 'hget' command\r\n", "{b}");
        assert_eq!(c.cmd(&["HSETNX", "h", "a", "x"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["HSETNX", "h", "d", "4"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["HGET", "h", "a"]), "$1\r\n9\r\n", "{b}");
        assert_eq!(
            c.cmd(&["HMSET", "h", "a", "1", "b"]),
            "-ERR wrong number of arguments for 'hmset' command\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["HMSET", "h", "a", "1", "e", "5"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["HMGET", "h", "a", "zz", "e"]), "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n5\r\n", "{b}");
        assert_eq!(c.cmd(&["HMGET", "nokey", "a", "b"]), "*2\r\n$-1\r\n$-1\r\n", "{b}");
        assert_eq!(c.cmd(&["HLEN", "h"]), ":5\r\n", "{b}");
        assert_eq!(c.cmd(&["HLEN", "nokey"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["HEXISTS", "h", "a"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["HEXISTS", "h", "zz"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["HEXISTS", "nokey", "a"]), ":0\r\n", "{b}");
        let long = "x".repeat(100);
        assert_eq!(c.cmd(&["HSET", "h", "long", &long]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["HSTRLEN", "h", "long"]), ":100\r\n", "{b}");
        assert_eq!(c.cmd(&["HSTRLEN", "h", "zz"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["HSTRLEN", "nokey", "zz"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["HGET", "h", "long"]), format!("$100\r\n{long}\r\n"), "{b}");
        assert_eq!(c.cmd(&["TYPE", "h"]), "+hash\r\n", "{b}");
    });
}

/// HGETALL, HKEYS and HVALS return every field (compared as sets); HGETALL
/// is a RESP3 map; a missing key gives empty replies.
#[test]
fn whole_hash_replies() {
    with_each_backend(|s, b| {
        let mut c = s.client();
        let _: i64 = q(&mut c, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
        let all: HashMap<String, String> = q(&mut c, &["HGETALL", "h"]);
        let want: HashMap<String, String> =
            [("a", "1"), ("b", "2"), ("c", "3")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(all, want, "{b}");
        let keys: HashSet<String> = q(&mut c, &["HKEYS", "h"]);
        assert_eq!(keys, want.keys().cloned().collect(), "{b}");
        let mut vals: Vec<String> = q(&mut c, &["HVALS", "h"]);
        vals.sort();
        assert_eq!(vals, ["1", "2", "3"], "{b}");

        let mut r = s.raw();
        assert_eq!(r.cmd(&["HGETALL", "nokey"]), "*0\r\n", "{b}");
        assert_eq!(r.cmd(&["HKEYS", "nokey"]), "*0\r\n", "{b}");
        assert_eq!(r.cmd(&["HVALS", "nokey"]), "*0\r\n", "{b}");
        assert_eq!(r.cmd(&["HSET", "one", "f", "v"]), ":1\r\n", "{b}");
        assert_eq!(r.cmd(&["HGETALL", "one"]), "*2\r\n$1\r\nf\r\n$1\r\nv\r\n", "{b}");
        r.cmd(&["HELLO", "3"]);
        assert_eq!(r.cmd(&["HGETALL", "one"]), "%1\r\n$1\r\nf\r\n$1\r\nv\r\n", "{b}");
        assert_eq!(r.cmd(&["HGETALL", "nokey"]), "%0\r\n", "{b}");
        assert_eq!(r.cmd(&["HMGET", "one", "f", "zz"]), "*2\r\n$1\r\nv\r\n_\r\n", "{b}");
    });
}

/// HDEL counts removed fields and deletes the key with its last field.
#[test]
fn hdel_deletes_emptied_key() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["HSET", "h", "a", "1", "b", "2"]);
        assert_eq!(c.cmd(&["HDEL", "h"]), "-ERR wrong number of arguments for 'hdel' command\r\n", "{b}");
        assert_eq!(c.cmd(&["HDEL", "h", "zz"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["HDEL", "nokey", "a"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["HDEL", "h", "a", "a"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "h"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["HDEL", "h", "b", "zz"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "h"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["TYPE", "h"]), "+none\r\n", "{b}");
    });
}

/// HINCRBY adds to integer fields (missing counts as 0), with Redis's
/// errors for a bad increment, a non-integer value and overflow.
#[test]
fn hincrby() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["HINCRBY", "h", "n", "5"]), ":5\r\n", "{b}");
        assert_eq!(c.cmd(&["HINCRBY", "h", "n", "-8"]), ":-3\r\n", "{b}");
        assert_eq!(c.cmd(&["HGET", "h", "n"]), "$2\r\n-3\r\n", "{b}");
        assert_eq!(c.cmd(&["HINCRBY", "h", "n", "x"]), "-ERR value is not an integer or out of range\r\n", "{b}");
        assert_eq!(c.cmd(&["HINCRBY", "h", "n", "1.5"]), "-ERR value is not an integer or out of range\r\n", "{b}");
        c.cmd(&["HSET", "h", "f", "1.5", "sp", " 1", "max", "9223372036854775807"]);
        assert_eq!(c.cmd(&["HINCRBY", "h", "f", "1"]), "-ERR hash value is not an integer\r\n", "{b}");
        assert_eq!(c.cmd(&["HINCRBY", "h", "sp", "1"]), "-ERR hash value is not an integer\r\n", "{b}");
        assert_eq!(c.cmd(&["HINCRBY", "h", "max", "1"]), "-ERR increment or decrement would overflow\r\n", "{b}");
        assert_eq!(
            c.cmd(&["HINCRBY", "h", "n", "-9223372036854775808"]),
            "-ERR increment or decrement would overflow\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["HINCRBY", "h", "max", "-9223372036854775807"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["HINCRBY", "h", "n"]), "-ERR wrong number of arguments for 'hincrby' command\r\n", "{b}");
        // An error leaves no empty hash behind.
        assert_eq!(c.cmd(&["HINCRBY", "fresh", "n", "x"]), "-ERR value is not an integer or out of range\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "fresh"]), ":0\r\n", "{b}");
    });
}

/// HINCRBYFLOAT formats like INCRBYFLOAT (long double, trailing zeros cut)
/// and gives Redis's errors.
#[test]
fn hincrbyfloat() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "10.5"]), "$4\r\n10.5\r\n", "{b}");
        assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "0.1"]), "$4\r\n10.6\r\n", "{b}");
        assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "g", "5.0e3"]), "$4\r\n5000\r\n", "{b}");
        assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "g", "2.0e2"]), "$4\r\n5200\r\n", "{b}");
        assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "z", "0.1"]), "$3\r\n0.1\r\n", "{b}");
        assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "z", "0.2"]), "$3\r\n0.3\r\n", "{b}");
        assert_eq!(c.cmd(&["HGET", "h", "g"]), "$4\r\n5200\r\n", "{b}");
        assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "x"]), "-ERR value is not a valid float\r\n", "{b}");
        assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "inf"]), "-ERR value is NaN or Infinity\r\n", "{b}");
        c.cmd(&["HSET", "h", "w", "abc", "i", "inf"]);
        assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "w", "1"]), "-ERR hash value is not a float\r\n", "{b}");
        assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "i", "1"]), "-ERR increment would produce NaN or Infinity\r\n", "{b}");
        assert_eq!(
            c.cmd(&["HINCRBYFLOAT", "h", "f"]),
            "-ERR wrong number of arguments for 'hincrbyfloat' command\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["HINCRBYFLOAT", "fresh", "f", "inf"]), "-ERR value is NaN or Infinity\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "fresh"]), ":0\r\n", "{b}");
    });
}

/// HRANDFIELD: one field, distinct fields for a positive count (the whole
/// hash past its size), repeats for a negative count, WITHVALUES pairs in
/// both protocols, and Redis's errors.
#[test]
fn hrandfield() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["HRANDFIELD", "nokey"]), "$-1\r\n", "{b}");
        assert_eq!(c.cmd(&["HRANDFIELD", "nokey", "3"]), "*0\r\n", "{b}");
        assert_eq!(c.cmd(&["HRANDFIELD", "nokey", "3", "WITHVALUES"]), "*0\r\n", "{b}");
        c.cmd(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
        assert_eq!(c.cmd(&["HRANDFIELD", "h", "0"]), "*0\r\n", "{b}");
        assert_eq!(c.cmd(&["HRANDFIELD", "h", "x"]), "-ERR value is not an integer or out of range\r\n", "{b}");
        assert_eq!(c.cmd(&["HRANDFIELD", "h", "1", "foo"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(c.cmd(&["HRANDFIELD", "h", "1", "WITHVALUES", "x"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(
            c.cmd(&["HRANDFIELD", "h", "-9223372036854775808"]),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n",
            "{b}"
        );
        assert_eq!(
            c.cmd(&["HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"]),
            "-ERR value is out of range\r\n",
            "{b}"
        );
        // Refused rather than built in memory (Redis would stream it).
        assert_eq!(c.cmd(&["HRANDFIELD", "h", "-100000000000"]), "-ERR value is out of range\r\n", "{b}");

        let mut k = s.client();
        let fields: HashSet<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let one: String = q(&mut k, &["HRANDFIELD", "h"]);
        assert!(fields.contains(&one), "{b}");
        let two: Vec<String> = q(&mut k, &["HRANDFIELD", "h", "2"]);
        assert_eq!(two.len(), 2, "{b}");
        assert_ne!(two[0], two[1], "{b}");
        assert!(two.iter().all(|f| fields.contains(f)), "{b}");
        let all: HashSet<String> = q(&mut k, &["HRANDFIELD", "h", "10"]);
        assert_eq!(all, fields, "{b}");
        let many: Vec<String> = q(&mut k, &["HRANDFIELD", "h", "-50"]);
        assert_eq!(many.len(), 50, "{b}");
        assert!(many.iter().all(|f| fields.contains(f)), "{b}");
        assert_eq!(many.iter().collect::<HashSet<_>>().len(), 3, "50 picks of 3 fields should hit all ({b})");
        let pairs: Vec<String> = q(&mut k, &["HRANDFIELD", "h", "-9", "WITHVALUES"]);
        assert_eq!(pairs.len(), 18, "{b}");
        for p in pairs.chunks(2) {
            let want = match p[0].as_str() {
                "a" => "1",
                "b" => "2",
                _ => "3",
            };
            assert_eq!(p[1], want, "{b}");
        }

        // RESP3: WITHVALUES gives [field, value] pairs.
        c.cmd(&["DEL", "h"]);
        c.cmd(&["HSET", "h", "f", "v"]);
        c.cmd(&["HELLO", "3"]);
        assert_eq!(
            c.cmd(&["HRANDFIELD", "h", "-2", "WITHVALUES"]),
            "*2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["HRANDFIELD", "h", "1"]), "*1\r\n$1\r\nf\r\n", "{b}");
    });
}

/// Full HSCAN iteration, MATCH and COUNT, returns every field present
/// throughout, even with fields added and removed between calls; a small
/// hash comes whole with cursor 0; errors as Redis.
#[test]
fn hscan() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["HSET", "small", "a", "1", "b", "2"]);
        let whole = c.cmd(&["HSCAN", "small", "0", "COUNT", "1"]);
        assert!(whole.starts_with("*2\r\n$1\r\n0\r\n*4\r\n"), "{b}: {whole}");
        assert_eq!(
            c.cmd(&["HSCAN", "small", "0", "MATCH", "a"]),
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["HSCAN", "nokey", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n", "{b}");
        assert_eq!(c.cmd(&["HSCAN", "nokey", "0", "COUNT", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n", "{b}");
        assert_eq!(c.cmd(&["HSCAN", "small", "x"]), "-ERR invalid cursor\r\n", "{b}");
        assert_eq!(c.cmd(&["HSCAN", "small", "0", "COUNT", "0"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(
            c.cmd(&["HSCAN", "small", "0", "COUNT", "x"]),
            "-ERR value is not an integer or out of range\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["HSCAN", "small", "0", "MATCH"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(c.cmd(&["HSCAN", "small", "0", "NOVALUES"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(c.cmd(&["HSCAN", "small", "0", "TYPE", "hash"]), "-ERR syntax error\r\n", "{b}");

        let mut k = s.client();
        for chunk in (0..1000).collect::<Vec<_>>().chunks(100) {
            let mut cmd = redis::cmd("HSET");
            cmd.arg("big");
            for i in chunk {
                cmd.arg(format!("f{i}")).arg(format!("v{i}"));
            }
            let _: i64 = cmd.query(&mut k).unwrap();
        }
        let (mut cursor, mut seen, mut rounds) = (0u64, HashMap::new(), 0);
        loop {
            let (next, items): (u64, Vec<String>) =
                redis::cmd("HSCAN").arg("big").arg(cursor).arg("COUNT").arg(7).query(&mut k).unwrap();
            for p in items.chunks(2) {
                seen.insert(p[0].clone(), p[1].clone());
            }
            // Churn between calls: drop some fields, add new ones.
            if rounds < 50 {
                let _: i64 = q(&mut k, &["HDEL", "big", &format!("f{}", 999 - rounds * 2)]);
                let _: i64 = q(&mut k, &["HSET", "big", &format!("new{rounds}"), "x"]);
            }
            rounds += 1;
            if next == 0 {
                break;
            }
            cursor = next;
        }
        for i in 0..900 {
            assert_eq!(seen.get(&format!("f{i}")).map(String::as_str), Some(format!("v{i}").as_str()), "{b}: f{i}");
        }
        assert!(rounds > 100, "{b}: COUNT 7 over 1000 fields took {rounds} calls");
        let (next, items): (u64, Vec<String>) = redis::cmd("HSCAN")
            .arg("big")
            .arg(0)
            .arg("MATCH")
            .arg("f99*")
            .arg("COUNT")
            .arg(100_000)
            .query(&mut k)
            .unwrap();
        assert_eq!(next, 0, "{b}");
        let fields: HashSet<String> = items.chunks(2).map(|p| p[0].clone()).collect();
        let want: HashSet<String> =
            ["f99", "f990", "f992", "f994", "f996", "f998"].iter().map(|s| s.to_string()).collect();
        assert_eq!(fields, want, "{b}");
    });
}

/// Every hash command on a string or set key is WRONGTYPE, and hash keys
/// are WRONGTYPE for string and set commands.
#[test]
fn wrong_type() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SET", "str", "v"]);
        c.cmd(&["SADD", "set", "m"]);
        c.cmd(&["HSET", "h", "f", "v"]);
        for key in ["str", "set"] {
            for cmd in [
                vec!["HSET", key, "a", "1"],
                vec!["HSETNX", key, "a", "1"],
                vec!["HMSET", key, "a", "1"],
                vec!["HGET", key, "a"],
                vec!["HMGET", key, "a"],
                vec!["HGETALL", key],
                vec!["HDEL", key, "a"],
                vec!["HLEN", key],
                vec!["HEXISTS", key, "a"],
                vec!["HKEYS", key],
                vec!["HVALS", key],
                vec!["HINCRBY", key, "a", "1"],
                vec!["HINCRBYFLOAT", key, "a", "1"],
                vec!["HSTRLEN", key, "a"],
                vec!["HRANDFIELD", key],
                vec!["HRANDFIELD", key, "2", "WITHVALUES"],
                vec!["HSCAN", key, "0"],
            ] {
                assert_eq!(c.cmd(&cmd), WRONGTYPE, "{b}: {cmd:?}");
            }
        }
        for cmd in [
            vec!["GET", "h"],
            vec!["APPEND", "h", "x"],
            vec!["SADD", "h", "x"],
            vec!["SMEMBERS", "h"],
            vec!["SCARD", "h"],
        ] {
            assert_eq!(c.cmd(&cmd), WRONGTYPE, "{b}: {cmd:?}");
        }
        assert_eq!(c.cmd(&["GET", "str"]), "$1\r\nv\r\n", "{b}");
        assert_eq!(c.cmd(&["SCARD", "set"]), ":1\r\n", "{b}");
        // SET replaces a hash whole.
        assert_eq!(c.cmd(&["SET", "h", "s"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["TYPE", "h"]), "+string\r\n", "{b}");
    });
}

/// Many clients incrementing one field lose no increment (per-key atomicity
/// of the in-place update).
#[test]
fn concurrent_hincrby() {
    with_each_backend(|s, b| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let addr = s.addr;
                std::thread::spawn(move || {
                    let mut c = Raw::connect(addr);
                    for _ in 0..250 {
                        c.cmd(&["HINCRBY", "h", "n", "1"]);
                    }
                })
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(s.raw().cmd(&["HGET", "h", "n"]), "$4\r\n1000\r\n", "{b}");
    });
}
