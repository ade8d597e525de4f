//! String commands: replies and errors byte for byte as Redis 7, TTL rules,
//! and atomicity under concurrent clients, on every backend.
//!
//! Expiry is observed only through the string commands themselves (GET
//! after the time has passed, polled with `eventually`), so these tests do
//! not depend on TTL/PTTL. To show that a key did *not* expire, a marker
//! key with the same deadline is set beside it: once the marker is gone,
//! the deadline has passed.

mod common;
use common::*;
use std::sync::Barrier;
use std::time::Duration;

/// Run each `(command, expected reply bytes)` pair in order on one
/// connection.
fn expect(c: &mut Raw, backend: &str, cases: &[(&[&str], &str)]) {
    for (args, want) in cases {
        assert_eq!(c.cmd(args), *want, "{backend}: {args:?}");
    }
}

/// Wait until `key` reads as missing (its expiry time has passed).
fn wait_gone(c: &mut Raw, key: &str) -> bool {
    eventually(Duration::from_secs(5), || c.cmd(&["GET", key]) == "$-1\r\n")
}

/// Milliseconds since the Unix epoch, for EXAT/PXAT arguments.
fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

const SYNTAX: &str = "-ERR syntax error\r\n";
const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
const NOT_FLOAT: &str = "-ERR value is not a valid float\r\n";

/// GET and plain SET: nil for a missing key, overwrite, binary-safe values.
#[test]
fn get_and_set() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["GET", "k"], "$-1\r\n"),
                (&["SET", "k", "v1"], "+OK\r\n"),
                (&["GET", "k"], "$2\r\nv1\r\n"),
                (&["SET", "k", ""], "+OK\r\n"),
                (&["GET", "k"], "$0\r\n\r\n"),
                (&["set", "K", "upper"], "+OK\r\n"),
                (&["GET", "k"], "$0\r\n\r\n"),
            ],
        );
        c.send(&encode_cmd(&[b"SET", b"bin", b"a\r\n\0b"]));
        assert_eq!(c.reply(), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["GET", "bin"]), "$5\r\na\r\n\0b\r\n", "{b}");
        // RESP3 spells the missing value as a null.
        c.cmd(&["HELLO", "3"]);
        assert_eq!(c.cmd(&["GET", "missing"]), "_\r\n", "{b}");
    });
}

/// SET NX / XX / GET, alone and combined (NX with GET is allowed since 7.0).
#[test]
fn set_conditions_and_get() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["SET", "k", "a", "XX"], "$-1\r\n"),
                (&["GET", "k"], "$-1\r\n"),
                (&["SET", "k", "a", "NX"], "+OK\r\n"),
                (&["SET", "k", "b", "NX"], "$-1\r\n"),
                (&["GET", "k"], "$1\r\na\r\n"),
                (&["SET", "k", "c", "xx"], "+OK\r\n"),
                (&["SET", "k", "d", "GET"], "$1\r\nc\r\n"),
                (&["SET", "new", "x", "GET"], "$-1\r\n"),
                (&["GET", "new"], "$1\r\nx\r\n"),
                // NX GET on an existing key: the old value, nothing written.
                (&["SET", "k", "e", "NX", "GET"], "$1\r\nd\r\n"),
                (&["GET", "k"], "$1\r\nd\r\n"),
                // NX GET on a missing key: nil, and the key is written.
                (&["SET", "k2", "f", "NX", "GET"], "$-1\r\n"),
                (&["GET", "k2"], "$1\r\nf\r\n"),
                (&["SET", "k3", "g", "XX", "GET"], "$-1\r\n"),
                (&["GET", "k3"], "$-1\r\n"),
                // Repeating an option is allowed.
                (&["SET", "k", "h", "GET", "GET", "XX", "XX"], "$1\r\nd\r\n"),
                (&["SET", "k", "i", "EX", "100", "EX", "200"], "+OK\r\n"),
            ],
        );
    });
}

/// SET's option conflicts and unknown options are `ERR syntax error`.
#[test]
fn set_syntax_errors() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let bad: &[&[&str]] = &[
            &["SET", "k", "v", "NX", "XX"],
            &["SET", "k", "v", "XX", "NX"],
            &["SET", "k", "v", "EX", "10", "PX", "100"],
            &["SET", "k", "v", "PX", "100", "EXAT", "100"],
            &["SET", "k", "v", "EXAT", "100", "PXAT", "100"],
            &["SET", "k", "v", "EX", "10", "KEEPTTL"],
            &["SET", "k", "v", "KEEPTTL", "PXAT", "10"],
            &["SET", "k", "v", "EX"],
            &["SET", "k", "v", "PERSIST"],
            &["SET", "k", "v", "foo"],
            &["SET", "k", "v", "EX", "10", "extra"],
            &["SET", "k", "v", "NXX"],
        ];
        for args in bad {
            assert_eq!(c.cmd(args), SYNTAX, "{b}: {args:?}");
        }
        // Nothing was written by the failed commands.
        assert_eq!(c.cmd(&["GET", "k"]), "$-1\r\n", "{b}");
        // The syntax is checked before the time's value.
        assert_eq!(c.cmd(&["SET", "k", "v", "EX", "abc", "foo"]), SYNTAX, "{b}");
    });
}

/// Bad expire times in SET, SETEX, PSETEX: zero, negative, overflowing,
/// not an integer.
#[test]
fn set_expire_time_errors() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let invalid_set = "-ERR invalid expire time in 'set' command\r\n";
        expect(
            &mut c,
            b,
            &[
                (&["SET", "k", "v", "EX", "0"], invalid_set),
                (&["SET", "k", "v", "PX", "-1"], invalid_set),
                (&["SET", "k", "v", "EXAT", "0"], invalid_set),
                (&["SET", "k", "v", "PXAT", "-5"], invalid_set),
                // Seconds that overflow when turned into milliseconds.
                (&["SET", "k", "v", "EX", "9223372036854775807"], invalid_set),
                (&["SET", "k", "v", "EXAT", "9223372036854776"], invalid_set),
                // Milliseconds that overflow when the clock is added.
                (&["SET", "k", "v", "PX", "9223372036854775807"], invalid_set),
                (&["SET", "k", "v", "EX", "abc"], NOT_INT),
                (&["SET", "k", "v", "PX", "1.5"], NOT_INT),
                (&["GET", "k"], "$-1\r\n"),
                (&["SETEX", "k", "0", "v"], "-ERR invalid expire time in 'setex' command\r\n"),
                (&["SETEX", "k", "-10", "v"], "-ERR invalid expire time in 'setex' command\r\n"),
                (&["SETEX", "k", "9223372036854775807", "v"], "-ERR invalid expire time in 'setex' command\r\n"),
                (&["SETEX", "k", "ten", "v"], NOT_INT),
                (&["PSETEX", "k", "0", "v"], "-ERR invalid expire time in 'psetex' command\r\n"),
                (&["PSETEX", "k", "9223372036854775807", "v"], "-ERR invalid expire time in 'psetex' command\r\n"),
                (&["GET", "k"], "$-1\r\n"),
                // The largest time that does not overflow is accepted.
                (&["SET", "k", "v", "PXAT", "9223372036854775807"], "+OK\r\n"),
                (&["GET", "k"], "$1\r\nv\r\n"),
            ],
        );
    });
}

/// SET EX/PX/EXAT/PXAT, SETEX and PSETEX make keys expire; a time in the
/// past leaves no key.
#[test]
fn set_expiry_takes_effect() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let past = (now_ms() - 10_000).to_string();
        let past_s = (now_ms() / 1000 - 10).to_string();
        let soon = (now_ms() + 100).to_string();
        expect(
            &mut c,
            b,
            &[
                (&["SET", "a", "v", "PX", "100"], "+OK\r\n"),
                (&["SET", "b", "v", "PXAT", &soon], "+OK\r\n"),
                (&["PSETEX", "c", "100", "v"], "+OK\r\n"),
                (&["SET", "far", "v", "EX", "1000"], "+OK\r\n"),
                (&["SETEX", "far2", "1000", "v"], "+OK\r\n"),
                (&["SET", "gone", "v", "PXAT", &past], "+OK\r\n"),
                (&["GET", "gone"], "$-1\r\n"),
                (&["SET", "gone2", "v", "EXAT", &past_s], "+OK\r\n"),
                (&["GET", "gone2"], "$-1\r\n"),
                (&["SET", "gone3", "old"], "+OK\r\n"),
                (&["SET", "gone3", "new", "PXAT", &past, "GET"], "$3\r\nold\r\n"),
                (&["GET", "gone3"], "$-1\r\n"),
                (&["SETNX", "gone3", "again"], ":1\r\n"),
            ],
        );
        for key in ["a", "b", "c"] {
            assert!(wait_gone(&mut c, key), "{b}: {key} did not expire");
        }
        assert_eq!(c.cmd(&["GET", "far"]), "$1\r\nv\r\n", "{b}");
        assert_eq!(c.cmd(&["GET", "far2"]), "$1\r\nv\r\n", "{b}");
    });
}

/// SET without KEEPTTL drops the TTL, with KEEPTTL keeps it; GETSET and
/// MSET drop it; INCR, APPEND, SETRANGE, INCRBYFLOAT keep it.
#[test]
fn which_writes_keep_the_ttl() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        for key in ["cleared", "kept", "getset", "mset", "incr", "append", "setrange", "float", "marker"] {
            let value = if matches!(key, "incr" | "float") { "1" } else { "v" };
            assert_eq!(c.cmd(&["SET", key, value, "PX", "150"]), "+OK\r\n", "{b}");
        }
        expect(
            &mut c,
            b,
            &[
                (&["SET", "cleared", "w"], "+OK\r\n"),
                (&["SET", "kept", "w", "KEEPTTL"], "+OK\r\n"),
                (&["GETSET", "getset", "w"], "$1\r\nv\r\n"),
                (&["MSET", "mset", "w"], "+OK\r\n"),
                (&["INCR", "incr"], ":2\r\n"),
                (&["APPEND", "append", "w"], ":2\r\n"),
                (&["SETRANGE", "setrange", "0", "w"], ":1\r\n"),
                (&["INCRBYFLOAT", "float", "0.5"], "$3\r\n1.5\r\n"),
            ],
        );
        assert!(wait_gone(&mut c, "marker"), "{b}");
        for key in ["kept", "incr", "append", "setrange", "float"] {
            assert!(wait_gone(&mut c, key), "{b}: {key} lost its TTL");
        }
        for key in ["cleared", "getset", "mset"] {
            assert_eq!(c.cmd(&["GET", key]), "$1\r\nw\r\n", "{b}: {key} kept its TTL");
        }
    });
}

/// SETNX, SETEX, PSETEX, GETSET and GETDEL replies.
#[test]
fn setnx_setex_getset_getdel() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["SETNX", "k", "a"], ":1\r\n"),
                (&["SETNX", "k", "b"], ":0\r\n"),
                (&["GET", "k"], "$1\r\na\r\n"),
                (&["SETEX", "k", "100", "c"], "+OK\r\n"),
                (&["GET", "k"], "$1\r\nc\r\n"),
                (&["PSETEX", "k", "100000", "d"], "+OK\r\n"),
                (&["GET", "k"], "$1\r\nd\r\n"),
                (&["GETSET", "k", "e"], "$1\r\nd\r\n"),
                (&["GETSET", "fresh", "f"], "$-1\r\n"),
                (&["GET", "fresh"], "$1\r\nf\r\n"),
                (&["GETDEL", "k"], "$1\r\ne\r\n"),
                (&["GETDEL", "k"], "$-1\r\n"),
                (&["GET", "k"], "$-1\r\n"),
                (&["SETNX", "k", "g"], ":1\r\n"),
            ],
        );
    });
}

/// GETEX: options, their conflicts and errors, and the TTL it sets or
/// removes.
#[test]
fn getex() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let past = (now_ms() - 10_000).to_string();
        let invalid = "-ERR invalid expire time in 'getex' command\r\n";
        expect(
            &mut c,
            b,
            &[
                (&["GETEX", "nokey"], "$-1\r\n"),
                (&["GETEX", "nokey", "EX", "0"], "$-1\r\n"),
                (&["GETEX", "nokey", "foo"], SYNTAX),
                (&["SET", "k", "v"], "+OK\r\n"),
                (&["GETEX", "k"], "$1\r\nv\r\n"),
                (&["GETEX", "k", "NX"], SYNTAX),
                (&["GETEX", "k", "GET"], SYNTAX),
                (&["GETEX", "k", "KEEPTTL"], SYNTAX),
                (&["GETEX", "k", "EX"], SYNTAX),
                (&["GETEX", "k", "EX", "10", "PERSIST"], SYNTAX),
                (&["GETEX", "k", "PERSIST", "PX", "10"], SYNTAX),
                (&["GETEX", "k", "EX", "10", "PXAT", "10"], SYNTAX),
                (&["GETEX", "k", "EX", "0"], invalid),
                (&["GETEX", "k", "PXAT", "-1"], invalid),
                (&["GETEX", "k", "EX", "9223372036854775807"], invalid),
                (&["GETEX", "k", "PX", "x"], NOT_INT),
                (&["GETEX", "k", "PERSIST"], "$1\r\nv\r\n"),
                // An absolute time in the past deletes the key after replying.
                (&["GETEX", "k", "PXAT", &past], "$1\r\nv\r\n"),
                (&["GET", "k"], "$-1\r\n"),
                (&["SET", "t", "v"], "+OK\r\n"),
                (&["GETEX", "t", "PX", "100"], "$1\r\nv\r\n"),
                (&["SET", "p", "v", "PX", "100"], "+OK\r\n"),
                (&["GETEX", "p", "PERSIST"], "$1\r\nv\r\n"),
                (&["SET", "marker", "v", "PX", "100"], "+OK\r\n"),
            ],
        );
        assert!(wait_gone(&mut c, "t"), "{b}: GETEX PX did not set a TTL");
        assert!(wait_gone(&mut c, "marker"), "{b}");
        assert_eq!(c.cmd(&["GET", "p"]), "$1\r\nv\r\n", "{b}: GETEX PERSIST did not remove the TTL");
    });
}

/// MGET, MSET, MSETNX replies, and the arity errors of an odd MSET.
#[test]
fn mget_mset_msetnx() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["MGET", "a"], "*1\r\n$-1\r\n"),
                (&["MSET", "a", "1", "b", "2"], "+OK\r\n"),
                (&["MGET", "a", "nokey", "b"], "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n"),
                (&["MSET", "a", "3", "a", "4"], "+OK\r\n"),
                (&["GET", "a"], "$1\r\n4\r\n"),
                (&["MSET", "a", "1", "b"], "-ERR wrong number of arguments for 'mset' command\r\n"),
                (&["MSET", "a"], "-ERR wrong number of arguments for 'mset' command\r\n"),
                (&["MSETNX", "a", "1", "c"], "-ERR wrong number of arguments for 'msetnx' command\r\n"),
                (&["MGET"], "-ERR wrong number of arguments for 'mget' command\r\n"),
                (&["MSETNX", "c", "1", "a", "9"], ":0\r\n"),
                (&["GET", "c"], "$-1\r\n"),
                (&["MSETNX", "c", "1", "d", "2"], ":1\r\n"),
                (&["MGET", "c", "d"], "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"),
                (&["MSETNX", "e", "1", "e", "2"], ":1\r\n"),
                (&["GET", "e"], "$1\r\n2\r\n"),
            ],
        );
    });
}

/// INCR, DECR, INCRBY, DECRBY: replies, strict integer parsing, overflow.
#[test]
fn integer_counters() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["INCR", "n"], ":1\r\n"),
                (&["INCR", "n"], ":2\r\n"),
                (&["DECR", "n"], ":1\r\n"),
                (&["INCRBY", "n", "100"], ":101\r\n"),
                (&["DECRBY", "n", "-9"], ":110\r\n"),
                (&["DECR", "m"], ":-1\r\n"),
                (&["GET", "n"], "$3\r\n110\r\n"),
                (&["INCRBY", "n", "1.5"], NOT_INT),
                (&["INCRBY", "n", "abc"], NOT_INT),
                (&["DECRBY", "n", " 1"], NOT_INT),
                (&["SET", "n", "9223372036854775807"], "+OK\r\n"),
                (&["INCR", "n"], "-ERR increment or decrement would overflow\r\n"),
                (&["SET", "n", "-9223372036854775808"], "+OK\r\n"),
                (&["DECR", "n"], "-ERR increment or decrement would overflow\r\n"),
                (&["INCRBY", "n", "-1"], "-ERR increment or decrement would overflow\r\n"),
                (&["DECRBY", "n", "-9223372036854775808"], "-ERR decrement would overflow\r\n"),
                (&["GET", "n"], "$20\r\n-9223372036854775808\r\n"),
                (&["INCRBY", "n", "9223372036854775807"], ":-1\r\n"),
            ],
        );
        // Stored values that string2ll refuses.
        for v in ["abc", " 1", "1 ", "01", "+1", "-0", "1e3", "1.0", "", "99999999999999999999"] {
            c.cmd(&["SET", "bad", v]);
            assert_eq!(c.cmd(&["INCR", "bad"]), NOT_INT, "{b}: {v:?}");
            assert_eq!(c.cmd(&["GET", "bad"]), format!("${}\r\n{v}\r\n", v.len()), "{b}");
        }
    });
}

/// INCRBYFLOAT replies as Redis formats them (long double, 17 decimals,
/// trailing zeros trimmed), and its errors.
#[test]
fn incrbyfloat() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let bulk = |v: &str| format!("${}\r\n{v}\r\n", v.len());
        // Redis's documentation and test suite; the last rows show the
        // long double's own rounding, as Redis 7 on x86-64 replies.
        let sums = [
            ("10.50", "0.1", "10.6"),
            ("10.6", "-5", "5.6"),
            ("5.0e3", "2.0e2", "5200"),
            ("1.5", "1.5", "3"),
            ("17179869184", "1.5", "17179869185.5"),
            ("17179869184", "17179869184", "34359738368"),
            ("1", "-1.1", "-0.1"),
            ("0.1", "0.2", "0.3"),
            ("0.024390243902439025", "-0.024390243902439025", "0"),
            ("3", "0x10", "19"),
            ("1000.1", "0", "1000.09999999999999998"),
            ("1e30", "0", "1000000000000000000024696061952"),
        ];
        for (start, by, want) in sums {
            c.cmd(&["SET", "f", start]);
            assert_eq!(c.cmd(&["INCRBYFLOAT", "f", by]), bulk(want), "{b}: {start} + {by}");
            assert_eq!(c.cmd(&["GET", "f"]), bulk(want), "{b}");
        }
        expect(
            &mut c,
            b,
            &[
                (&["INCRBYFLOAT", "new", "1"], "$1\r\n1\r\n"),
                (&["INCRBYFLOAT", "new", "0.25"], "$4\r\n1.25\r\n"),
                (&["INCRBYFLOAT", "new", "abc"], NOT_FLOAT),
                (&["INCRBYFLOAT", "new", " 1"], NOT_FLOAT),
                (&["INCRBYFLOAT", "new", "1 "], NOT_FLOAT),
                (&["INCRBYFLOAT", "new", "nan"], NOT_FLOAT),
                (&["INCRBYFLOAT", "new", "1e99999"], NOT_FLOAT),
                (&["INCRBYFLOAT", "new", "+inf"], "-ERR increment would produce NaN or Infinity\r\n"),
                (&["SET", "s", "    11"], "+OK\r\n"),
                (&["INCRBYFLOAT", "s", "1"], NOT_FLOAT),
                (&["SET", "s", "11    "], "+OK\r\n"),
                (&["INCRBYFLOAT", "s", "1"], NOT_FLOAT),
                (&["SET", "s", "1"], "+OK\r\n"),
                (&["SETRANGE", "s", "2", "2"], ":3\r\n"),
                (&["INCRBYFLOAT", "s", "1"], NOT_FLOAT),
            ],
        );
        // Near the top of the format's range the value is printed in full;
        // one more step overflows.
        let huge = c.cmd(&["INCRBYFLOAT", "huge", "1.1e4932"]);
        assert!(
            huge.starts_with("$4933\r\n109999999999999999997437310752824181765903086927904340773498"),
            "{b}: {:?}",
            &huge[..40]
        );
        assert_eq!(
            c.cmd(&["INCRBYFLOAT", "huge", "1.1e4932"]),
            "-ERR increment would produce NaN or Infinity\r\n",
            "{b}"
        );
    });
}

/// APPEND and STRLEN.
#[test]
fn append_and_strlen() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        expect(
            &mut c,
            b,
            &[
                (&["STRLEN", "k"], ":0\r\n"),
                (&["APPEND", "k", "Hello"], ":5\r\n"),
                (&["APPEND", "k", " World"], ":11\r\n"),
                (&["APPEND", "k", ""], ":11\r\n"),
                (&["GET", "k"], "$11\r\nHello World\r\n"),
                (&["STRLEN", "k"], ":11\r\n"),
                (&["APPEND", "empty", ""], ":0\r\n"),
                (&["GET", "empty"], "$0\r\n\r\n"),
                (&["SET", "n", "1"], "+OK\r\n"),
                (&["APPEND", "n", "0"], ":2\r\n"),
                (&["INCR", "n"], ":11\r\n"),
            ],
        );
        // Many appends grow one value in place.
        for i in 0..200 {
            assert_eq!(c.cmd(&["APPEND", "long", "0123456789"]), format!(":{}\r\n", 10 * (i + 1)), "{b}");
        }
        assert_eq!(c.cmd(&["STRLEN", "long"]), ":2000\r\n", "{b}");
    });
}

/// GETRANGE with positive, negative and out-of-range indexes.
#[test]
fn getrange() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SET", "k", "This is a string"]);
        expect(
            &mut c,
            b,
            &[
                (&["GETRANGE", "k", "0", "3"], "$4\r\nThis\r\n"),
                (&["GETRANGE", "k", "-3", "-1"], "$3\r\ning\r\n"),
                (&["GETRANGE", "k", "0", "-1"], "$16\r\nThis is a string\r\n"),
                (&["GETRANGE", "k", "10", "100"], "$6\r\nstring\r\n"),
                (&["GETRANGE", "k", "-100", "3"], "$4\r\nThis\r\n"),
                (&["GETRANGE", "k", "5", "3"], "$0\r\n\r\n"),
                (&["GETRANGE", "k", "-1", "-5"], "$0\r\n\r\n"),
                (&["GETRANGE", "k", "-200", "-100"], "$1\r\nT\r\n"),
                (&["GETRANGE", "k", "-100", "-200"], "$0\r\n\r\n"),
                (&["GETRANGE", "k", "16", "20"], "$0\r\n\r\n"),
                (&["GETRANGE", "k", "0", "-100"], "$1\r\nT\r\n"),
                (&["GETRANGE", "k", "-9223372036854775808", "9223372036854775807"], "$16\r\nThis is a string\r\n"),
                (&["GETRANGE", "nokey", "0", "-1"], "$0\r\n\r\n"),
                (&["GETRANGE", "k", "a", "1"], NOT_INT),
                (&["GETRANGE", "k", "0", "1.5"], NOT_INT),
                (&["SET", "e", ""], "+OK\r\n"),
                (&["GETRANGE", "e", "0", "-1"], "$0\r\n\r\n"),
            ],
        );
    });
}

/// SETRANGE: zero padding, overwriting, the offset's limits, and an empty
/// value that creates nothing.
#[test]
fn setrange() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let too_big = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
        expect(
            &mut c,
            b,
            &[
                (&["SET", "k", "Hello World"], "+OK\r\n"),
                (&["SETRANGE", "k", "6", "Redis"], ":11\r\n"),
                (&["GET", "k"], "$11\r\nHello Redis\r\n"),
                (&["SETRANGE", "k", "11", "!"], ":12\r\n"),
                (&["SETRANGE", "pad", "3", "ab"], ":5\r\n"),
                (&["GET", "pad"], "$5\r\n\0\0\0ab\r\n"),
                (&["SETRANGE", "k", "0", ""], ":12\r\n"),
                (&["SETRANGE", "k", "1000", ""], ":12\r\n"),
                (&["SETRANGE", "none", "5", ""], ":0\r\n"),
                (&["GET", "none"], "$-1\r\n"),
                (&["STRLEN", "none"], ":0\r\n"),
                (&["SETRANGE", "k", "-1", "x"], "-ERR offset is out of range\r\n"),
                (&["SETRANGE", "k", "x", "x"], NOT_INT),
                (&["SETRANGE", "k", "536870912", "x"], too_big),
                (&["SETRANGE", "k", "536870911", "xy"], too_big),
                (&["SETRANGE", "none", "536870912", "x"], too_big),
                (&["SETRANGE", "k", "9223372036854775807", "x"], too_big),
                (&["GET", "none"], "$-1\r\n"),
                (&["GET", "k"], "$12\r\nHello Redis!\r\n"),
                (&["SET", "n", "12345"], "+OK\r\n"),
                (&["SETRANGE", "n", "1", "0"], ":5\r\n"),
                (&["INCR", "n"], ":10346\r\n"),
            ],
        );
    });
}

/// Arity comes from the command table: too few or too many arguments give
/// Redis's error, naming the command in lower case.
#[test]
fn arity_errors() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let cases: &[&[&str]] = &[
            &["GET"],
            &["GET", "a", "b"],
            &["SET", "a"],
            &["SETNX", "a"],
            &["SETEX", "a", "1"],
            &["PSETEX", "a", "1"],
            &["GETSET", "a"],
            &["GETDEL"],
            &["GETEX"],
            &["MSETNX", "a"],
            &["INCR"],
            &["DECR", "a", "b"],
            &["INCRBY", "a"],
            &["DECRBY", "a"],
            &["INCRBYFLOAT", "a"],
            &["APPEND", "a"],
            &["STRLEN"],
            &["GETRANGE", "a", "0"],
            &["SETRANGE", "a", "0"],
        ];
        for args in cases {
            let want = format!("-ERR wrong number of arguments for '{}' command\r\n", args[0].to_lowercase());
            assert_eq!(c.cmd(args), want, "{b}");
        }
    });
}

/// 200 clients, each on its own connection, INCR one key 50 times: no
/// increment is lost.
#[test]
fn concurrent_incr_loses_nothing() {
    with_each_backend(|s, b| {
        let clients: Vec<Raw> = (0..200).map(|_| s.raw()).collect();
        std::thread::scope(|scope| {
            for mut c in clients {
                scope.spawn(move || {
                    for _ in 0..50 {
                        assert!(c.cmd(&["INCR", "counter"]).starts_with(':'));
                    }
                });
            }
        });
        assert_eq!(s.raw().cmd(&["GET", "counter"]), "$5\r\n10000\r\n", "{b}");
    });
}

/// 50 clients race SETNX on one key from a common start: exactly one wins.
#[test]
fn concurrent_setnx_has_one_winner() {
    with_each_backend(|s, b| {
        let clients: Vec<Raw> = (0..50).map(|_| s.raw()).collect();
        let start = Barrier::new(clients.len());
        let winners: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = clients
                .into_iter()
                .enumerate()
                .map(|(i, mut c)| {
                    let start = &start;
                    scope.spawn(move || {
                        start.wait();
                        (c.cmd(&["SETNX", "lock", &i.to_string()]) == ":1\r\n").then(|| i.to_string())
                    })
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(winners.len(), 1, "{b}: winners {winners:?}");
        let w = &winners[0];
        assert_eq!(s.raw().cmd(&["GET", "lock"]), format!("${}\r\n{w}\r\n", w.len()), "{b}");
    });
}

/// While one client alternates `MSET a x b x` and `MSET a y b y`, readers
/// doing `MGET a b` never see the two keys differ.
#[test]
fn mset_is_atomic_for_mget() {
    with_each_backend(|s, b| {
        let mut writer = s.raw();
        let readers: Vec<Raw> = (0..3).map(|_| s.raw()).collect();
        writer.cmd(&["MSET", "a", "x", "b", "x"]);
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            let done = &done;
            let handles: Vec<_> = readers
                .into_iter()
                .map(|mut r| {
                    scope.spawn(move || {
                        let mut reads = 0;
                        while !done.load(std::sync::atomic::Ordering::Relaxed) || reads < 100 {
                            let reply = r.cmd(&["MGET", "a", "b"]);
                            assert!(
                                reply == "*2\r\n$1\r\nx\r\n$1\r\nx\r\n" || reply == "*2\r\n$1\r\ny\r\n$1\r\ny\r\n",
                                "{b}: torn MSET seen: {reply:?}"
                            );
                            reads += 1;
                        }
                    })
                })
                .collect();
            for i in 0..2000 {
                let v = if i % 2 == 0 { "y" } else { "x" };
                assert_eq!(writer.cmd(&["MSET", "a", v, "b", v]), "+OK\r\n", "{b}");
            }
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            for h in handles {
                h.join().unwrap();
            }
        });
    });
}
