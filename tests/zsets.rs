//! Sorted-set commands: replies and errors byte for byte as Redis 7 (RESP2
//! and RESP3), ranks on a large set, blocking pops across connections,
//! emptied keys and WRONGTYPE, on every backend.

mod common;
use common::*;
use std::time::Duration;

/// Run each `(command, expected reply bytes)` pair in order on one
/// connection.
fn expect(c: &mut Raw, backend: &str, cases: &[(&[&str], &str)]) {
    for (args, want) in cases {
        assert_eq!(c.cmd(args), *want, "{backend}: {args:?}");
    }
}

/// A bulk string's encoding.
fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

/// An array of bulk strings' encoding.
fn bulks(items: &[&str]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    items.iter().for_each(|i| out.push_str(&bulk(i)));
    out
}

const SYNTAX: &str = "-ERR syntax error\r\n";
const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
const NOT_FLOAT: &str = "-ERR value is not a valid float\r\n";
const NOT_RANGE_FLOAT: &str = "-ERR min or max is not a float\r\n";
const NOT_LEX: &str = "-ERR min or max not valid string range item\r\n";
const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const EMPTY: &str = "*0\r\n";

/// Wait until the server reports `n` blocked clients (a readiness probe
/// for a client that has sent a blocking command).
fn wait_blocked(c: &mut Raw, n: usize) -> bool {
    let want = format!("blocked_clients:{n}\r\n");
    eventually(Duration::from_secs(5), || c.cmd(&["INFO", "clients"]).contains(&want))
}

/// ZADD: plain adds, NX XX GT LT CH INCR and every combination error.
#[test]
fn zadd_options() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["ZADD", "z", "1", "a", "2.5", "b", "-3", "c"], ":3\r\n"),
                (&["ZADD", "z", "1", "a"], ":0\r\n"),
                (&["ZADD", "z", "CH", "5", "a", "2.5", "b", "7", "d"], ":2\r\n"),
                (&["ZADD", "z", "NX", "100", "a", "8", "e"], ":1\r\n"),
                (&["ZSCORE", "z", "a"], &bulk("5")),
                (&["ZADD", "z", "XX", "CH", "6.5", "a", "9", "nosuch"], ":1\r\n"),
                (&["ZSCORE", "z", "nosuch"], "$-1\r\n"),
                (&["ZADD", "z", "GT", "CH", "1", "a", "10", "b"], ":1\r\n"),
                (&["ZSCORE", "z", "a"], &bulk("6.5")),
                (&["ZADD", "z", "LT", "CH", "1", "a", "100", "b"], ":1\r\n"),
                (&["ZSCORE", "z", "a"], &bulk("1")),
                (&["ZSCORE", "z", "b"], &bulk("10")),
                // GT/LT never stop a new member from being added.
                (&["ZADD", "z", "GT", "-50", "low"], ":1\r\n"),
                (&["ZADD", "z", "INCR", "2.25", "a"], &bulk("3.25")),
                (&["ZADD", "z", "INCR", "1", "new"], &bulk("1")),
                (&["ZADD", "z", "NX", "INCR", "1", "a"], "$-1\r\n"),
                (&["ZADD", "z", "XX", "INCR", "1", "nosuch"], "$-1\r\n"),
                (&["ZADD", "z", "GT", "INCR", "-1", "a"], "$-1\r\n"),
                (&["ZADD", "z", "LT", "INCR", "-1", "a"], &bulk("2.25")),
                (
                    &["ZADD", "z", "+inf", "top", "-inf", "bottom", "0x10", "hex", "-0", "zero", "1e20", "huge"],
                    ":5\r\n",
                ),
                (&["ZSCORE", "z", "top"], &bulk("inf")),
                (&["ZSCORE", "z", "bottom"], &bulk("-inf")),
                (&["ZSCORE", "z", "hex"], &bulk("16")),
                (&["ZSCORE", "z", "zero"], &bulk("0")),
                (&["ZSCORE", "z", "huge"], &bulk("1e+20")),
                (&["ZADD", "z", "INCR", "-inf", "top"], "-ERR resulting score is not a number (NaN)\r\n"),
                (&["ZINCRBY", "z", "-inf", "top"], "-ERR resulting score is not a number (NaN)\r\n"),
                (&["ZSCORE", "z", "top"], &bulk("inf")),
                // XX on a missing key creates nothing.
                (&["ZADD", "missing", "XX", "1", "a"], ":0\r\n"),
                (&["ZADD", "missing", "XX", "INCR", "1", "a"], "$-1\r\n"),
                (&["EXISTS", "missing"], ":0\r\n"),
            ],
        );
        expect(
            &mut c,
            b,
            &[
                (
                    &["ZADD", "z", "XX", "NX", "1", "a"],
                    "-ERR XX and NX options at the same time are not compatible\r\n",
                ),
                (
                    &["ZADD", "z", "GT", "LT", "1", "a"],
                    "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n",
                ),
                (
                    &["ZADD", "z", "NX", "GT", "1", "a"],
                    "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n",
                ),
                (
                    &["ZADD", "z", "NX", "LT", "1", "a"],
                    "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n",
                ),
                (
                    &["ZADD", "z", "INCR", "1", "a", "2", "b"],
                    "-ERR INCR option supports a single increment-element pair\r\n",
                ),
                (&["ZADD", "z", "1", "a", "2"], SYNTAX),
                (&["ZADD", "z", "CH", "NX"], SYNTAX),
                (&["ZADD", "z", "NX", "XX"], SYNTAX),
                (&["ZADD", "z", "x", "a"], NOT_FLOAT),
                (&["ZADD", "z", "nan", "a"], NOT_FLOAT),
                (&["ZADD", "z", "1e400", "a"], NOT_FLOAT),
                (&["ZADD", "z", " 1", "a"], NOT_FLOAT),
                (&["ZADD", "z", "", "a"], NOT_FLOAT),
                (&["ZADD", "z", "1x", "a"], NOT_FLOAT),
                // Every score is checked before anything is added.
                (&["ZADD", "z", "1", "first", "bad", "second"], NOT_FLOAT),
                (&["ZSCORE", "z", "first"], "$-1\r\n"),
                (&["ZADD", "z", "1"], "-ERR wrong number of arguments for 'zadd' command\r\n"),
            ],
        );
    });
}

/// ZINCRBY, ZSCORE, ZMSCORE and ZCARD, present and missing.
#[test]
fn zincrby_zscore_zmscore_zcard() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["ZINCRBY", "z", "2", "a"], &bulk("2")),
                (&["ZINCRBY", "z", "0.5", "a"], &bulk("2.5")),
                (&["ZINCRBY", "z", "-10", "b"], &bulk("-10")),
                (&["ZINCRBY", "z", "x", "a"], NOT_FLOAT),
                (&["ZINCRBY", "z", "1"], "-ERR wrong number of arguments for 'zincrby' command\r\n"),
                (&["ZSCORE", "z", "a"], &bulk("2.5")),
                (&["ZSCORE", "z", "x"], "$-1\r\n"),
                (&["ZSCORE", "missing", "a"], "$-1\r\n"),
                (&["ZMSCORE", "z", "a", "x", "b"], &format!("*3\r\n{}$-1\r\n{}", bulk("2.5"), bulk("-10"))),
                (&["ZMSCORE", "missing", "a", "b"], "*2\r\n$-1\r\n$-1\r\n"),
                (&["ZMSCORE", "z"], "-ERR wrong number of arguments for 'zmscore' command\r\n"),
                (&["ZCARD", "z"], ":2\r\n"),
                (&["ZCARD", "missing"], ":0\r\n"),
            ],
        );
    });
}

/// ZRANK and ZREVRANK, with 7.2's WITHSCORE.
#[test]
fn zrank_and_zrevrank() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
        expect(
            &mut c,
            b,
            &[
                (&["ZRANK", "z", "a"], ":0\r\n"),
                (&["ZRANK", "z", "c"], ":2\r\n"),
                (&["ZREVRANK", "z", "a"], ":2\r\n"),
                (&["ZRANK", "z", "x"], "$-1\r\n"),
                (&["ZRANK", "missing", "a"], "$-1\r\n"),
                (&["ZRANK", "z", "b", "WITHSCORE"], &format!("*2\r\n:1\r\n{}", bulk("2"))),
                (&["ZREVRANK", "z", "b", "withscore"], &format!("*2\r\n:1\r\n{}", bulk("2"))),
                (&["ZRANK", "z", "x", "WITHSCORE"], "*-1\r\n"),
                (&["ZRANK", "missing", "x", "WITHSCORE"], "*-1\r\n"),
                (&["ZRANK", "z", "a", "bogus"], SYNTAX),
                (&["ZRANK", "z", "a", "WITHSCORE", "x"], "-ERR wrong number of arguments for 'zrank' command\r\n"),
                (
                    &["ZREVRANK", "z", "a", "WITHSCORE", "x"],
                    "-ERR wrong number of arguments for 'zrevrank' command\r\n",
                ),
                (&["ZRANK", "z"], "-ERR wrong number of arguments for 'zrank' command\r\n"),
            ],
        );
    });
}

/// ZRANGE by index (and ZREVRANGE): clamping, negative indexes, REV,
/// WITHSCORES, and the option errors.
#[test]
fn zrange_by_index() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"]);
        expect(
            &mut c,
            b,
            &[
                (&["ZRANGE", "z", "0", "-1"], &bulks(&["a", "b", "c", "d", "e"])),
                (&["ZRANGE", "z", "1", "3"], &bulks(&["b", "c", "d"])),
                (&["ZRANGE", "z", "-2", "-1", "WITHSCORES"], &bulks(&["d", "4", "e", "5"])),
                (&["ZRANGE", "z", "3", "1"], EMPTY),
                (&["ZRANGE", "z", "10", "20"], EMPTY),
                (&["ZRANGE", "z", "-100", "100"], &bulks(&["a", "b", "c", "d", "e"])),
                (&["ZRANGE", "z", "0", "1", "REV"], &bulks(&["e", "d"])),
                (
                    &["ZRANGE", "z", "0", "-1", "withscores", "rev"],
                    &bulks(&["e", "5", "d", "4", "c", "3", "b", "2", "a", "1"]),
                ),
                (&["ZRANGE", "z", "0", "9223372036854775807"], &bulks(&["a", "b", "c", "d", "e"])),
                (&["ZRANGE", "z", "-9223372036854775808", "0"], &bulks(&["a"])),
                (&["ZRANGE", "missing", "0", "-1"], EMPTY),
                (&["ZREVRANGE", "z", "0", "1"], &bulks(&["e", "d"])),
                (&["ZREVRANGE", "z", "1", "-2", "WITHSCORES"], &bulks(&["d", "4", "c", "3", "b", "2"])),
                (&["ZRANGE", "z", "a", "1"], NOT_INT),
                (&["ZRANGE", "z", "0", "1.5"], NOT_INT),
                (
                    &["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"],
                    "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n",
                ),
                (
                    &["ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"],
                    "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n",
                ),
                // LIMIT 0 -1 is LIMIT's own default: not an error, as in Redis.
                (&["ZRANGE", "z", "0", "0", "LIMIT", "0", "-1"], &bulks(&["a"])),
                (&["ZRANGE", "z", "0", "-1", "LIMIT", "0"], SYNTAX),
                (&["ZRANGE", "z", "0", "-1", "BOGUS"], SYNTAX),
                (&["ZRANGE", "z", "0", "-1", "REV", "REV"], SYNTAX),
                (&["ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"], SYNTAX),
                (&["ZREVRANGE", "z", "0", "1", "REV"], SYNTAX),
                (&["ZREVRANGE", "z", "0", "1", "BYSCORE"], SYNTAX),
                (&["ZRANGE", "z", "0"], "-ERR wrong number of arguments for 'zrange' command\r\n"),
            ],
        );
    });
}

/// Score ranges: inclusive and `(` exclusive bounds, infinities, REV with
/// max first, LIMIT (negative offset selects nothing, negative count
/// everything), ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZCOUNT and their errors.
#[test]
fn score_ranges() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"]);
        expect(
            &mut c,
            b,
            &[
                (&["ZRANGE", "z", "2", "4", "BYSCORE"], &bulks(&["b", "c", "d"])),
                (&["ZRANGE", "z", "(2", "4", "BYSCORE"], &bulks(&["c", "d"])),
                (&["ZRANGE", "z", "2", "(4", "BYSCORE", "WITHSCORES"], &bulks(&["b", "2", "c", "3"])),
                (&["ZRANGE", "z", "-inf", "+inf", "BYSCORE"], &bulks(&["a", "b", "c", "d", "e"])),
                (&["ZRANGE", "z", "4", "2", "BYSCORE"], EMPTY),
                (&["ZRANGE", "z", "(2", "(2", "BYSCORE"], EMPTY),
                (&["ZRANGE", "z", "4", "2", "BYSCORE", "REV"], &bulks(&["d", "c", "b"])),
                (&["ZRANGE", "z", "(4", "(2", "BYSCORE", "REV"], &bulks(&["c"])),
                (&["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"], &bulks(&["b", "c"])),
                (&["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "-1"], &bulks(&["b", "c", "d", "e"])),
                (&["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"], EMPTY),
                (&["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "5", "2"], EMPTY),
                (&["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "4", "0"], EMPTY),
                (
                    &["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES"],
                    &bulks(&["d", "4", "c", "3"]),
                ),
                (&["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "x", "2"], NOT_INT),
                // Bounds are read by strtod: empty is 0, leading space and
                // overflow are accepted.
                (&["ZRANGE", "z", "", "2", "BYSCORE"], &bulks(&["a", "b"])),
                (&["ZRANGE", "z", "(", "1", "BYSCORE"], &bulks(&["a"])),
                (&["ZRANGE", "z", " 4", "1e400", "BYSCORE"], &bulks(&["d", "e"])),
                (&["ZRANGE", "z", "x", "2", "BYSCORE"], NOT_RANGE_FLOAT),
                (&["ZRANGE", "z", "nan", "2", "BYSCORE"], NOT_RANGE_FLOAT),
                (&["ZRANGE", "z", "[1", "2", "BYSCORE"], NOT_RANGE_FLOAT),
                (&["ZRANGE", "missing", "x", "2", "BYSCORE"], NOT_RANGE_FLOAT),
                (&["ZRANGEBYSCORE", "z", "2", "4"], &bulks(&["b", "c", "d"])),
                (
                    &["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1", "2"],
                    &bulks(&["b", "2", "c", "3"]),
                ),
                (&["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1"], SYNTAX),
                (&["ZRANGEBYSCORE", "z", "0", "1", "BYSCORE"], SYNTAX),
                (&["ZRANGEBYSCORE", "z", "0", "1", "REV"], SYNTAX),
                (&["ZRANGEBYSCORE", "z", "a", "b"], NOT_RANGE_FLOAT),
                (&["ZREVRANGEBYSCORE", "z", "4", "2"], &bulks(&["d", "c", "b"])),
                (&["ZREVRANGEBYSCORE", "z", "+inf", "(3", "WITHSCORES"], &bulks(&["e", "5", "d", "4"])),
                (&["ZREVRANGEBYSCORE", "z", "2", "4"], EMPTY),
                (&["ZCOUNT", "z", "-inf", "+inf"], ":5\r\n"),
                (&["ZCOUNT", "z", "(1", "3"], ":2\r\n"),
                (&["ZCOUNT", "z", "3", "1"], ":0\r\n"),
                (&["ZCOUNT", "missing", "0", "1"], ":0\r\n"),
                (&["ZCOUNT", "z", "x", "1"], NOT_RANGE_FLOAT),
                (&["ZCOUNT", "missing", "x", "1"], NOT_RANGE_FLOAT),
            ],
        );
    });
}

/// Lex ranges on equal scores: `[` `(` `-` `+`, REV, LIMIT, and the
/// errors (bad item, WITHSCORES with BYLEX).
#[test]
fn lex_ranges() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "ab"]);
        expect(
            &mut c,
            b,
            &[
                (&["ZRANGE", "z", "-", "+", "BYLEX"], &bulks(&["a", "ab", "b", "c", "d", "e"])),
                (&["ZRANGE", "z", "[b", "(d", "BYLEX"], &bulks(&["b", "c"])),
                (&["ZRANGE", "z", "(a", "[c", "BYLEX"], &bulks(&["ab", "b", "c"])),
                (&["ZRANGE", "z", "+", "-", "BYLEX", "REV"], &bulks(&["e", "d", "c", "b", "ab", "a"])),
                (&["ZRANGE", "z", "[d", "(a", "BYLEX", "REV"], &bulks(&["d", "c", "b", "ab"])),
                (&["ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", "2", "2"], &bulks(&["b", "c"])),
                (&["ZRANGE", "z", "+", "-", "BYLEX", "REV", "LIMIT", "1", "3"], &bulks(&["d", "c", "b"])),
                (&["ZRANGE", "z", "[c", "[a", "BYLEX"], EMPTY),
                (&["ZRANGE", "z", "(c", "(c", "BYLEX"], EMPTY),
                (&["ZRANGE", "z", "[c", "[c", "BYLEX"], &bulks(&["c"])),
                (&["ZRANGE", "z", "-", "-", "BYLEX"], EMPTY),
                (&["ZRANGE", "z", "+", "+", "BYLEX"], EMPTY),
                (&["ZRANGE", "z", "[", "+", "BYLEX"], &bulks(&["a", "ab", "b", "c", "d", "e"])),
                (&["ZRANGE", "z", "a", "+", "BYLEX"], NOT_LEX),
                (&["ZRANGE", "z", "", "+", "BYLEX"], NOT_LEX),
                (&["ZRANGE", "z", "-x", "+", "BYLEX"], NOT_LEX),
                (
                    &["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"],
                    "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n",
                ),
                (&["ZRANGE", "missing", "-", "+", "BYLEX"], EMPTY),
            ],
        );
    });
}

/// ZRANGESTORE: every kind of range, with scores kept; an empty selection
/// deletes the destination; the destination may hold any type.
#[test]
fn zrangestore() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
        c.cmd(&["ZADD", "lex", "0", "a", "0", "b", "0", "c"]);
        c.cmd(&["SET", "str", "x"]);
        expect(
            &mut c,
            b,
            &[
                (&["ZRANGESTORE", "dst", "z", "0", "1"], ":2\r\n"),
                (&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], &bulks(&["a", "1", "b", "2"])),
                (&["ZRANGESTORE", "dst", "z", "(2", "+inf", "BYSCORE", "LIMIT", "0", "1"], ":1\r\n"),
                (&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], &bulks(&["c", "3"])),
                (&["ZRANGESTORE", "dst", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "2"], ":2\r\n"),
                (&["ZRANGE", "dst", "0", "-1"], &bulks(&["c", "d"])),
                (&["ZRANGESTORE", "dst", "lex", "(a", "+", "BYLEX"], ":2\r\n"),
                (&["ZRANGE", "dst", "0", "-1"], &bulks(&["b", "c"])),
                (&["ZRANGESTORE", "dst", "z", "10", "20"], ":0\r\n"),
                (&["EXISTS", "dst"], ":0\r\n"),
                (&["ZRANGESTORE", "str", "z", "0", "0"], ":1\r\n"),
                (&["TYPE", "str"], "+zset\r\n"),
                (&["ZRANGESTORE", "str", "missing", "0", "-1"], ":0\r\n"),
                (&["EXISTS", "str"], ":0\r\n"),
                (&["SET", "str", "x"], "+OK\r\n"),
                (&["ZRANGESTORE", "dst", "str", "0", "-1"], WRONGTYPE),
                (&["ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"], SYNTAX),
                (
                    &["ZRANGESTORE", "dst", "z", "0", "-1", "LIMIT", "0", "1"],
                    "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n",
                ),
                (&["ZRANGESTORE", "dst", "z", "0"], "-ERR wrong number of arguments for 'zrangestore' command\r\n"),
            ],
        );
    });
}

/// ZREM, ZPOPMIN, ZPOPMAX and BZPOPMIN that empty a sorted set delete its
/// key.
#[test]
fn emptied_zset_deletes_key() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["ZADD", "z", "1", "a", "2", "b"], ":2\r\n"),
                (&["ZREM", "z", "a", "nosuch"], ":1\r\n"),
                (&["ZREM", "z", "a"], ":0\r\n"),
                (&["ZREM", "missing", "a"], ":0\r\n"),
                (&["ZREM", "z", "b"], ":1\r\n"),
                (&["EXISTS", "z"], ":0\r\n"),
                (&["ZADD", "z", "1", "a", "2", "b"], ":2\r\n"),
                (&["ZPOPMAX", "z", "5"], &bulks(&["b", "2", "a", "1"])),
                (&["EXISTS", "z"], ":0\r\n"),
                (&["ZADD", "z", "1", "a"], ":1\r\n"),
                (&["ZPOPMIN", "z"], &bulks(&["a", "1"])),
                (&["EXISTS", "z"], ":0\r\n"),
                (&["ZADD", "z", "1", "a"], ":1\r\n"),
                (&["BZPOPMIN", "z", "0"], &bulks(&["z", "a", "1"])),
                (&["EXISTS", "z"], ":0\r\n"),
                (&["DBSIZE"], ":0\r\n"),
            ],
        );
    });
}

/// ZPOPMIN and ZPOPMAX: order, counts, count 0, and the count errors.
#[test]
fn zpopmin_zpopmax() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
        expect(
            &mut c,
            b,
            &[
                (&["ZPOPMIN", "z"], &bulks(&["a", "1"])),
                (&["ZPOPMAX", "z"], &bulks(&["d", "4"])),
                (&["ZPOPMIN", "z", "0"], EMPTY),
                (&["ZPOPMIN", "z", "-1"], "-ERR value is out of range, must be positive\r\n"),
                (&["ZPOPMIN", "z", "x"], "-ERR value is out of range, must be positive\r\n"),
                (&["ZPOPMIN", "z", "1", "2"], SYNTAX),
                (&["ZPOPMIN", "z", "1"], &bulks(&["b", "2"])),
                (&["ZPOPMIN", "missing"], EMPTY),
                (&["ZPOPMIN", "missing", "0"], EMPTY),
                (&["ZPOPMIN"], "-ERR wrong number of arguments for 'zpopmin' command\r\n"),
            ],
        );
    });
}

/// RESP3: scores are `,` doubles, WITHSCORES and ZPOPMIN with a count nest
/// `[member, score]` pairs, nils are `_`.
#[test]
fn resp3_replies() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["HELLO", "3"]);
        c.cmd(&["ZADD", "z", "1", "a", "2.5", "b", "inf", "c"]);
        let pair = |m: &str, s: &str| format!("*2\r\n{}{s}\r\n", bulk(m));
        expect(
            &mut c,
            b,
            &[
                (&["ZSCORE", "z", "b"], ",2.5\r\n"),
                (&["ZSCORE", "z", "c"], ",inf\r\n"),
                (&["ZSCORE", "z", "x"], "_\r\n"),
                (&["ZMSCORE", "z", "a", "x"], "*2\r\n,1\r\n_\r\n"),
                (
                    &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
                    &format!("*3\r\n{}{}{}", pair("a", ",1"), pair("b", ",2.5"), pair("c", ",inf")),
                ),
                (&["ZRANGE", "z", "0", "0"], &bulks(&["a"])),
                (&["ZADD", "z", "INCR", "1", "a"], ",2\r\n"),
                (&["ZADD", "z", "NX", "INCR", "1", "a"], "_\r\n"),
                (&["ZRANK", "z", "b", "WITHSCORE"], "*2\r\n:1\r\n,2.5\r\n"),
                (&["ZRANK", "z", "x", "WITHSCORE"], "_\r\n"),
                (&["ZSCAN", "z", "0"], &format!("*2\r\n{}{}", bulk("0"), bulks(&["a", "2", "b", "2.5", "c", "inf"]))),
                (&["ZPOPMIN", "z"], &format!("*2\r\n{},2\r\n", bulk("a"))),
                (&["ZPOPMAX", "z", "1"], &format!("*1\r\n{}", pair("c", ",inf"))),
                (&["BZPOPMIN", "z", "0"], &format!("*3\r\n{}{},2.5\r\n", bulk("z"), bulk("b"))),
                (&["BZPOPMIN", "z", "0.01"], "_\r\n"),
            ],
        );
    });
}

/// ZSCAN: the whole set in score order with cursor 0, MATCH, and the
/// option errors.
#[test]
fn zscan() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["ZADD", "z", "1", "one", "2", "two", "3", "three", "1.5", "x1"]);
        let scan = |items: &[&str]| format!("*2\r\n{}{}", bulk("0"), bulks(items));
        expect(
            &mut c,
            b,
            &[
                (&["ZSCAN", "z", "0"], &scan(&["one", "1", "x1", "1.5", "two", "2", "three", "3"])),
                (&["ZSCAN", "z", "0", "MATCH", "t*", "COUNT", "1"], &scan(&["two", "2", "three", "3"])),
                (&["ZSCAN", "z", "0", "COUNT", "0"], SYNTAX),
                (&["ZSCAN", "z", "0", "COUNT", "x"], NOT_INT),
                (&["ZSCAN", "z", "0", "TYPE", "zset"], SYNTAX),
                (&["ZSCAN", "z", "0", "MATCH"], SYNTAX),
                (&["ZSCAN", "z", "x"], "-ERR invalid cursor\r\n"),
                (&["ZSCAN", "missing", "0"], &scan(&[])),
                (&["ZSCAN", "missing", "0", "BOGUS"], &scan(&[])),
            ],
        );
        // A large set comes back whole too.
        let mut args = vec!["ZADD".to_string(), "big".to_string()];
        for i in 0..1000 {
            args.push(i.to_string());
            args.push(format!("m{i}"));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(c.cmd(&refs), ":1000\r\n", "{b}");
        let reply = c.cmd(&["ZSCAN", "big", "0"]);
        assert!(reply.starts_with(&format!("*2\r\n{}*2000\r\n", bulk("0"))), "{b}");
    });
}

/// Every sorted-set command on a key of another type answers WRONGTYPE,
/// and leaves the key alone.
#[test]
fn wrongtype() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SET", "str", "x"]);
        let cases: &[&[&str]] = &[
            &["ZADD", "str", "1", "a"],
            &["ZADD", "str", "XX", "1", "a"],
            &["ZINCRBY", "str", "1", "a"],
            &["ZREM", "str", "a"],
            &["ZCARD", "str"],
            &["ZSCORE", "str", "a"],
            &["ZMSCORE", "str", "a"],
            &["ZCOUNT", "str", "0", "1"],
            &["ZRANGE", "str", "0", "1"],
            &["ZRANGE", "str", "-", "+", "BYLEX"],
            &["ZRANGEBYSCORE", "str", "0", "1"],
            &["ZREVRANGE", "str", "0", "1"],
            &["ZREVRANGEBYSCORE", "str", "1", "0"],
            &["ZRANGESTORE", "dst", "str", "0", "1"],
            &["ZRANK", "str", "a"],
            &["ZREVRANK", "str", "a", "WITHSCORE"],
            &["ZPOPMIN", "str"],
            &["ZPOPMAX", "str", "2"],
            &["BZPOPMIN", "str", "0"],
            &["BZPOPMAX", "missing", "str", "0"],
            &["ZSCAN", "str", "0"],
        ];
        for args in cases {
            assert_eq!(c.cmd(args), WRONGTYPE, "{b}: {args:?}");
        }
        assert_eq!(c.cmd(&["GET", "str"]), bulk("x"), "{b}");
        // And the other way round: a sorted set is not a string.
        c.cmd(&["ZADD", "z", "1", "a"]);
        expect(&mut c, b, &[(&["GET", "z"], WRONGTYPE), (&["TYPE", "z"], "+zset\r\n")]);
    });
}

/// Ranks, selection by rank, counts and score ranges on a 10,000-member
/// set agree with the arithmetic they should follow.
#[test]
fn ranks_on_ten_thousand_members() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        const N: usize = 10_000;
        // Scores are a permutation of 0..N (7919 is prime to N), so the
        // member with score k has rank k.
        let mut pipeline = Vec::new();
        for i in 0..N {
            let score = (i * 7919) % N;
            pipeline.extend(encode_cmd(&[
                b"ZADD",
                b"big",
                score.to_string().as_bytes(),
                format!("m{score}").as_bytes(),
            ]));
        }
        c.send(&pipeline);
        for _ in 0..N {
            assert_eq!(c.reply(), ":1\r\n", "{b}");
        }
        assert_eq!(c.cmd(&["ZCARD", "big"]), format!(":{N}\r\n"), "{b}");
        for k in [0, 1, 17, 4999, 5000, 9998, 9999] {
            let m = format!("m{k}");
            assert_eq!(c.cmd(&["ZRANK", "big", &m]), format!(":{k}\r\n"), "{b}");
            assert_eq!(c.cmd(&["ZREVRANK", "big", &m]), format!(":{}\r\n", N - 1 - k), "{b}");
            let ks = k.to_string();
            assert_eq!(c.cmd(&["ZRANGE", "big", &ks, &ks, "WITHSCORES"]), bulks(&[&m, &ks]), "{b}");
        }
        assert_eq!(c.cmd(&["ZRANGE", "big", "-3", "-1"]), bulks(&["m9997", "m9998", "m9999"]), "{b}");
        assert_eq!(c.cmd(&["ZCOUNT", "big", "(100", "200"]), ":100\r\n", "{b}");
        assert_eq!(
            c.cmd(&["ZRANGEBYSCORE", "big", "5000", "+inf", "LIMIT", "10", "2"]),
            bulks(&["m5010", "m5011"]),
            "{b}"
        );
        assert_eq!(
            c.cmd(&["ZREVRANGEBYSCORE", "big", "5000", "-inf", "LIMIT", "10", "2"]),
            bulks(&["m4990", "m4989"]),
            "{b}"
        );
        // Removing the lowest half shifts every rank down by 5,000.
        assert_eq!(c.cmd(&["ZRANGESTORE", "low", "big", "0", "4999"]), ":5000\r\n", "{b}");
        let mut pipeline = Vec::new();
        for k in 0..N / 2 {
            pipeline.extend(encode_cmd(&[b"ZREM", b"big", format!("m{k}").as_bytes()]));
        }
        c.send(&pipeline);
        for _ in 0..N / 2 {
            assert_eq!(c.reply(), ":1\r\n", "{b}");
        }
        assert_eq!(c.cmd(&["ZRANK", "big", "m7000"]), ":2000\r\n", "{b}");
        assert_eq!(c.cmd(&["ZRANK", "low", "m4999"]), ":4999\r\n", "{b}");
        assert_eq!(c.cmd(&["ZPOPMIN", "big", "2"]), bulks(&["m5000", "5000", "m5001", "5001"]), "{b}");
    });
}

/// BZPOPMIN blocks until another connection adds a member, then replies
/// `[key, member, score]`; two blocked clients are served oldest first;
/// BZPOPMAX takes the highest; a timeout replies a null array.
#[test]
fn bzpop_wakes_across_connections() {
    with_each_backend(|s, b| {
        let mut probe = s.raw();
        let mut first = s.raw();
        let mut second = s.raw();
        first.send_cmd(&[b"BZPOPMIN", b"z1", b"z2", b"0"]);
        assert!(wait_blocked(&mut probe, 1), "{b}: first client did not block");
        second.send_cmd(&[b"BZPOPMIN", b"z2", b"0"]);
        assert!(wait_blocked(&mut probe, 2), "{b}: second client did not block");
        assert_eq!(probe.cmd(&["ZADD", "z2", "5", "x"]), ":1\r\n", "{b}");
        assert_eq!(first.reply(), bulks(&["z2", "x", "5"]), "{b}");
        assert!(wait_blocked(&mut probe, 1), "{b}: second client should still be blocked");
        assert_eq!(probe.cmd(&["ZINCRBY", "z2", "1.5", "y"]), bulk("1.5"), "{b}");
        assert_eq!(second.reply(), bulks(&["z2", "y", "1.5"]), "{b}");
        assert_eq!(probe.cmd(&["EXISTS", "z2"]), ":0\r\n", "{b}");

        // BZPOPMAX woken by ZRANGESTORE writing its key.
        probe.cmd(&["ZADD", "src", "1", "lo", "9", "hi"]);
        first.send_cmd(&[b"BZPOPMAX", b"dst", b"0"]);
        assert!(wait_blocked(&mut probe, 1), "{b}");
        assert_eq!(probe.cmd(&["ZRANGESTORE", "dst", "src", "0", "-1"]), ":2\r\n", "{b}");
        assert_eq!(first.reply(), bulks(&["dst", "hi", "9"]), "{b}");

        // A timeout: the null array, after at least the time asked for.
        let started = std::time::Instant::now();
        assert_eq!(first.cmd(&["BZPOPMIN", "nothing", "0.2"]), "*-1\r\n", "{b}");
        assert!(started.elapsed() >= Duration::from_millis(150), "{b}");
        assert!(wait_blocked(&mut probe, 0), "{b}");
        expect(
            &mut probe,
            b,
            &[
                (&["BZPOPMIN", "z", "x"], "-ERR timeout is not a float or out of range\r\n"),
                (&["BZPOPMIN", "z", "-1"], "-ERR timeout is negative\r\n"),
                (&["BZPOPMIN", "z"], "-ERR wrong number of arguments for 'bzpopmin' command\r\n"),
            ],
        );
    });
}
