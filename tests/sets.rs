//! Set commands: every command, option and error reply, on every backend;
//! multi-key atomicity of SMOVE and the *STORE commands under concurrency.
//! Errors and deterministic replies are compared byte for byte; replies in
//! hash-table order are compared as sets.

mod common;
use common::*;
use std::collections::HashSet;

fn q<T: redis::FromRedisValue>(c: &mut redis::Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c).expect("query")
}

fn set_of(items: &[&str]) -> HashSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// SADD/SREM count real changes; SCARD, SISMEMBER, SMISMEMBER reply exactly;
/// the last SREM deletes the key.
#[test]
fn add_remove_membership() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["SADD", "s"]), "-ERR wrong number of arguments for 'sadd' command\r\n", "{b}");
        assert_eq!(c.cmd(&["SADD", "s", "a", "b", "c", "a"]), ":3\r\n", "{b}");
        assert_eq!(c.cmd(&["SADD", "s", "c", "d"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["SCARD", "s"]), ":4\r\n", "{b}");
        assert_eq!(c.cmd(&["SCARD", "nokey"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["SISMEMBER", "s", "a"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["SISMEMBER", "s", "z"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["SISMEMBER", "nokey", "a"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["SMISMEMBER", "s", "a", "z", "d"]), "*3\r\n:1\r\n:0\r\n:1\r\n", "{b}");
        assert_eq!(c.cmd(&["SMISMEMBER", "nokey", "a"]), "*1\r\n:0\r\n", "{b}");
        assert_eq!(c.cmd(&["SMISMEMBER", "s"]), "-ERR wrong number of arguments for 'smismember' command\r\n", "{b}");
        assert_eq!(c.cmd(&["SREM", "s", "z"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["SREM", "s", "a", "a", "b"]), ":2\r\n", "{b}");
        assert_eq!(c.cmd(&["SREM", "nokey", "a"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["SREM", "s", "c", "d"]), ":2\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "s"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["SADD", "s", "x"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["TYPE", "s"]), "+set\r\n", "{b}");
    });
}

/// SMEMBERS returns every member (a RESP3 set); empty for a missing key.
#[test]
fn smembers() {
    with_each_backend(|s, b| {
        let mut k = s.client();
        let _: i64 = q(&mut k, &["SADD", "s", "a", "b", "c"]);
        let m: HashSet<String> = q(&mut k, &["SMEMBERS", "s"]);
        assert_eq!(m, set_of(&["a", "b", "c"]), "{b}");
        let mut c = s.raw();
        c.cmd(&["SADD", "one", "x"]);
        assert_eq!(c.cmd(&["SMEMBERS", "one"]), "*1\r\n$1\r\nx\r\n", "{b}");
        assert_eq!(c.cmd(&["SMEMBERS", "nokey"]), "*0\r\n", "{b}");
        c.cmd(&["HELLO", "3"]);
        assert_eq!(c.cmd(&["SMEMBERS", "one"]), "~1\r\n$1\r\nx\r\n", "{b}");
        assert_eq!(c.cmd(&["SMEMBERS", "nokey"]), "~0\r\n", "{b}");
    });
}

/// SPOP removes random members (a count returns a RESP3 set), deletes the
/// emptied key, and gives Redis's errors.
#[test]
fn spop() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["SPOP", "nokey"]), "$-1\r\n", "{b}");
        assert_eq!(c.cmd(&["SPOP", "nokey", "2"]), "*0\r\n", "{b}");
        c.cmd(&["SADD", "s", "a", "b", "c", "d", "e"]);
        assert_eq!(c.cmd(&["SPOP", "s", "-1"]), "-ERR value is out of range, must be positive\r\n", "{b}");
        assert_eq!(c.cmd(&["SPOP", "s", "x"]), "-ERR value is out of range, must be positive\r\n", "{b}");
        assert_eq!(c.cmd(&["SPOP", "s", "1", "2"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(c.cmd(&["SPOP", "s", "0"]), "*0\r\n", "{b}");

        let mut k = s.client();
        let all = set_of(&["a", "b", "c", "d", "e"]);
        let one: String = q(&mut k, &["SPOP", "s"]);
        let two: Vec<String> = q(&mut k, &["SPOP", "s", "2"]);
        assert_eq!(two.len(), 2, "{b}");
        let rest: Vec<String> = q(&mut k, &["SPOP", "s", "10"]);
        assert_eq!(rest.len(), 2, "{b}");
        let popped: HashSet<String> = std::iter::once(one).chain(two).chain(rest).collect();
        assert_eq!(popped, all, "{b}: every member popped exactly once");
        assert_eq!(c.cmd(&["EXISTS", "s"]), ":0\r\n", "{b}");

        c.cmd(&["SADD", "one", "x"]);
        assert_eq!(c.cmd(&["SPOP", "one"]), "$1\r\nx\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "one"]), ":0\r\n", "{b}");
        c.cmd(&["SADD", "one", "x"]);
        c.cmd(&["HELLO", "3"]);
        assert_eq!(c.cmd(&["SPOP", "one", "5"]), "~1\r\n$1\r\nx\r\n", "{b}");
        assert_eq!(c.cmd(&["SPOP", "one", "5"]), "~0\r\n", "{b}");
        assert_eq!(c.cmd(&["SPOP", "one"]), "_\r\n", "{b}");
    });
}

/// SRANDMEMBER: one member, distinct members for a positive count (the
/// whole set past its size), repeats for a negative count; an array in
/// both protocols; Redis's errors.
#[test]
fn srandmember() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["SRANDMEMBER", "nokey"]), "$-1\r\n", "{b}");
        assert_eq!(c.cmd(&["SRANDMEMBER", "nokey", "3"]), "*0\r\n", "{b}");
        assert_eq!(c.cmd(&["SRANDMEMBER", "nokey", "-3"]), "*0\r\n", "{b}");
        c.cmd(&["SADD", "s", "a", "b", "c"]);
        assert_eq!(c.cmd(&["SRANDMEMBER", "s", "0"]), "*0\r\n", "{b}");
        assert_eq!(c.cmd(&["SRANDMEMBER", "s", "x"]), "-ERR value is not an integer or out of range\r\n", "{b}");
        assert_eq!(c.cmd(&["SRANDMEMBER", "s", "1", "2"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(
            c.cmd(&["SRANDMEMBER", "s", "-9223372036854775808"]),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["SRANDMEMBER", "s", "-9223372036854775807"]), "-ERR value is out of range\r\n", "{b}");

        let mut k = s.client();
        let all = set_of(&["a", "b", "c"]);
        let one: String = q(&mut k, &["SRANDMEMBER", "s"]);
        assert!(all.contains(&one), "{b}");
        let two: Vec<String> = q(&mut k, &["SRANDMEMBER", "s", "2"]);
        assert_eq!(two.len(), 2, "{b}");
        assert_ne!(two[0], two[1], "{b}");
        let whole: Vec<String> = q(&mut k, &["SRANDMEMBER", "s", "7"]);
        assert_eq!(whole.len(), 3, "{b}");
        assert_eq!(whole.into_iter().collect::<HashSet<_>>(), all, "{b}");
        let many: Vec<String> = q(&mut k, &["SRANDMEMBER", "s", "-40"]);
        assert_eq!(many.len(), 40, "{b}");
        assert_eq!(many.into_iter().collect::<HashSet<_>>(), all, "{b}: 40 picks of 3 should hit all");
        assert_eq!(c.cmd(&["SCARD", "s"]), ":3\r\n", "{b}");

        c.cmd(&["SADD", "one", "x"]);
        c.cmd(&["HELLO", "3"]);
        assert_eq!(c.cmd(&["SRANDMEMBER", "one", "-2"]), "*2\r\n$1\r\nx\r\n$1\r\nx\r\n", "{b}");
        assert_eq!(c.cmd(&["SRANDMEMBER", "one", "2"]), "*1\r\n$1\r\nx\r\n", "{b}");
    });
}

/// SINTER, SUNION and SDIFF compute the right members (a missing key is an
/// empty set); every key's type is checked.
#[test]
fn algebra() {
    with_each_backend(|s, b| {
        let mut k = s.client();
        let _: i64 = q(&mut k, &["SADD", "s", "a", "b", "c", "d", "e"]);
        let _: i64 = q(&mut k, &["SADD", "t", "c", "d", "e", "f"]);
        let _: i64 = q(&mut k, &["SADD", "u", "e", "f", "g"]);
        let got = |k: &mut redis::Connection, args: &[&str]| -> HashSet<String> { q(k, args) };
        assert_eq!(got(&mut k, &["SINTER", "s", "t"]), set_of(&["c", "d", "e"]), "{b}");
        assert_eq!(got(&mut k, &["SINTER", "s", "t", "u"]), set_of(&["e"]), "{b}");
        assert_eq!(got(&mut k, &["SINTER", "s"]), set_of(&["a", "b", "c", "d", "e"]), "{b}");
        assert_eq!(got(&mut k, &["SINTER", "s", "nokey"]), set_of(&[]), "{b}");
        assert_eq!(got(&mut k, &["SUNION", "s", "t", "u"]), set_of(&["a", "b", "c", "d", "e", "f", "g"]), "{b}");
        assert_eq!(got(&mut k, &["SUNION", "nokey", "u"]), set_of(&["e", "f", "g"]), "{b}");
        assert_eq!(got(&mut k, &["SDIFF", "s", "t"]), set_of(&["a", "b"]), "{b}");
        assert_eq!(got(&mut k, &["SDIFF", "t", "s", "u"]), set_of(&[]), "{b}");
        assert_eq!(got(&mut k, &["SDIFF", "u", "s"]), set_of(&["f", "g"]), "{b}");
        assert_eq!(got(&mut k, &["SDIFF", "s", "nokey"]), set_of(&["a", "b", "c", "d", "e"]), "{b}");

        let mut c = s.raw();
        c.cmd(&["SET", "str", "v"]);
        assert_eq!(c.cmd(&["SINTER", "nokey"]), "*0\r\n", "{b}");
        assert_eq!(c.cmd(&["SDIFF", "nokey", "s"]), "*0\r\n", "{b}");
        assert_eq!(c.cmd(&["SINTER"]), "-ERR wrong number of arguments for 'sinter' command\r\n", "{b}");
        for cmd in [
            vec!["SINTER", "s", "str"],
            vec!["SINTER", "nokey", "str"],
            vec!["SUNION", "s", "str"],
            vec!["SDIFF", "nokey", "str"],
            vec!["SDIFF", "str", "nokey"],
            vec!["SINTERSTORE", "d", "nokey", "str"],
            vec!["SUNIONSTORE", "d", "str"],
            vec!["SDIFFSTORE", "d", "s", "str"],
            vec!["SINTERCARD", "2", "nokey", "str"],
        ] {
            assert_eq!(c.cmd(&cmd), WRONGTYPE, "{b}: {cmd:?}");
        }
        c.cmd(&["HELLO", "3"]);
        assert_eq!(c.cmd(&["SINTER", "s", "nokey"]), "~0\r\n", "{b}");
        assert_eq!(c.cmd(&["SUNION", "nokey"]), "~0\r\n", "{b}");
        assert_eq!(c.cmd(&["SINTER", "t", "u", "s"]), "~1\r\n$1\r\ne\r\n", "{b}");
    });
}

/// The *STORE commands replace the destination whatever it held (TTL
/// dropped), may name a source as destination, and delete the destination
/// when the result is empty.
#[test]
fn store_commands() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SADD", "s", "a", "b", "c"]);
        c.cmd(&["SADD", "t", "b", "c", "d"]);
        assert_eq!(c.cmd(&["SINTERSTORE", "d", "s", "t"]), ":2\r\n", "{b}");
        let mut k = s.client();
        let d: HashSet<String> = q(&mut k, &["SMEMBERS", "d"]);
        assert_eq!(d, set_of(&["b", "c"]), "{b}");
        c.cmd(&["SET", "d", "str", "EX", "100"]);
        assert_eq!(c.cmd(&["SUNIONSTORE", "d", "s", "t"]), ":4\r\n", "{b}");
        assert_eq!(c.cmd(&["TYPE", "d"]), "+set\r\n", "{b}");
        assert_eq!(c.cmd(&["TTL", "d"]), ":-1\r\n", "{b}");
        assert_eq!(c.cmd(&["SDIFFSTORE", "d", "s", "t"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["SMEMBERS", "d"]), "*1\r\n$1\r\na\r\n", "{b}");
        assert_eq!(c.cmd(&["SINTERSTORE", "d", "s", "nokey"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "d"]), ":0\r\n", "{b}");
        c.cmd(&["SET", "d", "str"]);
        assert_eq!(c.cmd(&["SDIFFSTORE", "d", "s", "s"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "d"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["SINTERSTORE", "s", "s", "t"]), ":2\r\n", "{b}");
        let s2: HashSet<String> = q(&mut k, &["SMEMBERS", "s"]);
        assert_eq!(s2, set_of(&["b", "c"]), "{b}");
        assert_eq!(c.cmd(&["SINTERSTORE", "d"]), "-ERR wrong number of arguments for 'sinterstore' command\r\n", "{b}");
        // A string destination is replaced, but a string source is an error
        // that leaves the destination alone.
        c.cmd(&["SET", "str", "v"]);
        assert_eq!(c.cmd(&["SUNIONSTORE", "t", "str"]), WRONGTYPE, "{b}");
        assert_eq!(c.cmd(&["SCARD", "t"]), ":3\r\n", "{b}");
        assert_eq!(c.cmd(&["SUNIONSTORE", "str", "t"]), ":3\r\n", "{b}");
        assert_eq!(c.cmd(&["TYPE", "str"]), "+set\r\n", "{b}");
    });
}

/// SINTERCARD counts the intersection, stops at LIMIT, and gives Redis's
/// errors for numkeys and LIMIT.
#[test]
fn sintercard() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SADD", "s", "a", "b", "c", "d"]);
        c.cmd(&["SADD", "t", "b", "c", "d", "e"]);
        assert_eq!(c.cmd(&["SINTERCARD", "2", "s", "t"]), ":3\r\n", "{b}");
        assert_eq!(c.cmd(&["SINTERCARD", "1", "s"]), ":4\r\n", "{b}");
        assert_eq!(c.cmd(&["SINTERCARD", "2", "s", "t", "LIMIT", "2"]), ":2\r\n", "{b}");
        assert_eq!(c.cmd(&["SINTERCARD", "2", "s", "t", "limit", "0"]), ":3\r\n", "{b}");
        assert_eq!(c.cmd(&["SINTERCARD", "2", "s", "t", "LIMIT", "100"]), ":3\r\n", "{b}");
        assert_eq!(c.cmd(&["SINTERCARD", "2", "s", "nokey"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["SINTERCARD", "2", "s", "LIMIT"]), ":0\r\n", "{b}: 'LIMIT' is the second key here");
        for n in ["0", "-1", "x"] {
            assert_eq!(c.cmd(&["SINTERCARD", n, "s"]), "-ERR numkeys should be greater than 0\r\n", "{b}");
        }
        assert_eq!(
            c.cmd(&["SINTERCARD", "3", "s", "t"]),
            "-ERR Number of keys can't be greater than number of args\r\n",
            "{b}"
        );
        assert_eq!(
            c.cmd(&["SINTERCARD", "9223372036854775807", "s"]),
            "-ERR Number of keys can't be greater than number of args\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["SINTERCARD", "1", "s", "LIMIT", "-1"]), "-ERR LIMIT can't be negative\r\n", "{b}");
        assert_eq!(c.cmd(&["SINTERCARD", "1", "s", "LIMIT", "x"]), "-ERR LIMIT can't be negative\r\n", "{b}");
        assert_eq!(c.cmd(&["SINTERCARD", "1", "s", "LIMIT"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(c.cmd(&["SINTERCARD", "1", "s", "FOO", "1"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(c.cmd(&["SINTERCARD", "1"]), "-ERR wrong number of arguments for 'sintercard' command\r\n", "{b}");
    });
}

/// SMOVE moves a member (creating the destination, deleting an emptied
/// source), is a no-op within one set, and checks types as Redis.
#[test]
fn smove() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SADD", "s", "a", "b"]);
        c.cmd(&["SADD", "t", "x"]);
        c.cmd(&["SET", "str", "v"]);
        assert_eq!(c.cmd(&["SMOVE", "s", "t", "a"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["SISMEMBER", "s", "a"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["SISMEMBER", "t", "a"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["SMOVE", "s", "t", "a"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["SMOVE", "nokey", "t", "a"]), ":0\r\n", "{b}");
        assert_eq!(
            c.cmd(&["SMOVE", "nokey", "str", "a"]),
            ":0\r\n",
            "{b}: a missing source wins over a wrong destination"
        );
        assert_eq!(c.cmd(&["SMOVE", "s", "s", "b"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["SMOVE", "s", "s", "zz"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["SMOVE", "s", "str", "b"]), WRONGTYPE, "{b}");
        assert_eq!(c.cmd(&["SMOVE", "s", "str", "zz"]), WRONGTYPE, "{b}");
        assert_eq!(c.cmd(&["SMOVE", "str", "s", "b"]), WRONGTYPE, "{b}");
        assert_eq!(c.cmd(&["SISMEMBER", "s", "b"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["SMOVE", "s", "fresh", "b"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "s"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["SMEMBERS", "fresh"]), "*1\r\n$1\r\nb\r\n", "{b}");
        assert_eq!(c.cmd(&["SMOVE", "s", "t"]), "-ERR wrong number of arguments for 'smove' command\r\n", "{b}");
    });
}

/// Full SSCAN iteration, with members added and removed between calls,
/// returns every member present throughout; a small integer set comes
/// whole with cursor 0; errors as Redis.
#[test]
fn sscan() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SADD", "ints", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]);
        let whole = c.cmd(&["SSCAN", "ints", "0", "COUNT", "2"]);
        assert!(whole.starts_with("*2\r\n$1\r\n0\r\n*12\r\n"), "{b}: {whole}");
        let r = c.cmd(&["SSCAN", "ints", "0", "MATCH", "1?"]);
        assert!(r.starts_with("*2\r\n$1\r\n0\r\n*3\r\n"), "{b}: {r}");
        assert!(["$2\r\n10\r\n", "$2\r\n11\r\n", "$2\r\n12\r\n"].iter().all(|m| r.contains(m)), "{b}: {r}");
        assert_eq!(c.cmd(&["SSCAN", "nokey", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n", "{b}");
        assert_eq!(c.cmd(&["SSCAN", "ints", "x"]), "-ERR invalid cursor\r\n", "{b}");
        assert_eq!(c.cmd(&["SSCAN", "ints", "0", "COUNT", "0"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(c.cmd(&["SSCAN", "ints", "0", "MATCH"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(c.cmd(&["SSCAN", "ints", "0", "FOO", "1"]), "-ERR syntax error\r\n", "{b}");

        let mut k = s.client();
        let mut add = redis::cmd("SADD");
        add.arg("big");
        for i in 0..2000 {
            add.arg(format!("m{i}"));
        }
        let _: i64 = add.query(&mut k).unwrap();
        let (mut cursor, mut seen, mut rounds) = (0u64, HashSet::new(), 0);
        loop {
            let (next, items): (u64, Vec<String>) =
                redis::cmd("SSCAN").arg("big").arg(cursor).arg("COUNT").arg(13).query(&mut k).unwrap();
            seen.extend(items);
            if rounds < 100 {
                let _: i64 = q(&mut k, &["SREM", "big", &format!("m{}", 1999 - rounds)]);
                let _: i64 = q(&mut k, &["SADD", "big", &format!("new{rounds}")]);
                let _: String = q(&mut k, &["SPOP", "big"]);
            }
            rounds += 1;
            if next == 0 {
                break;
            }
            cursor = next;
        }
        // SPOP took 100 random members: everything else present throughout
        // must have been seen.
        let now: HashSet<String> = q(&mut k, &["SMEMBERS", "big"]);
        for i in 0..1900 {
            let m = format!("m{i}");
            assert!(!now.contains(&m) || seen.contains(&m), "{b}: missed {m}");
        }
        assert!(now.len() >= 1800, "{b}");
    });
}

/// Every set command on a string or hash key is WRONGTYPE.
#[test]
fn wrong_type() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SET", "str", "v"]);
        c.cmd(&["HSET", "h", "f", "v"]);
        for key in ["str", "h"] {
            for cmd in [
                vec!["SADD", key, "a"],
                vec!["SREM", key, "a"],
                vec!["SMEMBERS", key],
                vec!["SISMEMBER", key, "a"],
                vec!["SMISMEMBER", key, "a"],
                vec!["SCARD", key],
                vec!["SPOP", key],
                vec!["SPOP", key, "0"],
                vec!["SRANDMEMBER", key],
                vec!["SRANDMEMBER", key, "0"],
                vec!["SSCAN", key, "0"],
                vec!["SINTER", key],
                vec!["SUNION", key],
                vec!["SDIFF", key],
                vec!["SINTERCARD", "1", key],
                vec!["SMOVE", key, "x", "a"],
            ] {
                assert_eq!(c.cmd(&cmd), WRONGTYPE, "{b}: {cmd:?}");
            }
        }
        assert_eq!(c.cmd(&["HGET", "h", "f"]), "$1\r\nv\r\n", "{b}");
        assert_eq!(c.cmd(&["GET", "str"]), "$1\r\nv\r\n", "{b}");
    });
}

/// SMOVE is atomic: while two clients move members back and forth between
/// two sets, a reader's SINTER of the two is always empty, their SUNION
/// (and a SUNIONSTORE of it) always has every member, and at the end no
/// member is lost or doubled.
#[test]
fn smove_atomic_under_concurrency() {
    const N: usize = 20;
    const MOVES: usize = 1000;
    with_each_backend(|s, b| {
        let mut c = s.client();
        let members: Vec<String> = (0..N).map(|i| format!("m{i}")).collect();
        let mut add = redis::cmd("SADD");
        add.arg("a").arg(&members);
        let _: i64 = add.query(&mut c).unwrap();
        let movers: Vec<_> = [("a", "b"), ("b", "a")]
            .into_iter()
            .enumerate()
            .map(|(t, (from, to))| {
                let addr = s.addr;
                std::thread::spawn(move || {
                    let mut c = Raw::connect(addr);
                    let mut moved = 0;
                    for i in 0..MOVES {
                        let m = format!("m{}", (i * 7 + t) % N);
                        let r = c.cmd(&["SMOVE", from, to, &m]);
                        assert!(r == ":1\r\n" || r == ":0\r\n", "{r}");
                        moved += (r == ":1\r\n") as usize;
                    }
                    moved
                })
            })
            .collect();
        for _ in 0..200 {
            let both: Vec<String> = q(&mut c, &["SINTER", "a", "b"]);
            assert!(both.is_empty(), "{b}: a member seen in both sets: {both:?}");
            let all: Vec<String> = q(&mut c, &["SUNION", "a", "b"]);
            assert_eq!(all.len(), N, "{b}: SUNION saw a member in neither set");
            let stored: i64 = q(&mut c, &["SUNIONSTORE", "u", "a", "b"]);
            assert_eq!(stored, N as i64, "{b}");
        }
        let moved: usize = movers.into_iter().map(|h| h.join().unwrap()).sum();
        assert!(moved > 0, "{b}");
        let a: HashSet<String> = q(&mut c, &["SMEMBERS", "a"]);
        let bb: HashSet<String> = q(&mut c, &["SMEMBERS", "b"]);
        assert!(a.is_disjoint(&bb), "{b}");
        assert_eq!(a.len() + bb.len(), N, "{b}");
        let union: HashSet<String> = a.union(&bb).cloned().collect();
        assert_eq!(union, members.iter().cloned().collect(), "{b}");
        let ca: i64 = q(&mut c, &["SCARD", "a"]);
        let cb: i64 = q(&mut c, &["SCARD", "b"]);
        assert_eq!(ca + cb, N as i64, "{b}");
    });
}
