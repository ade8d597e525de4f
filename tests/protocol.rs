//! Protocol tests: RESP2/RESP3, inline commands, pipelining, protocol
//! errors. Every test runs against every backend.

mod common;
use common::*;

/// PING answers PONG in RESP and inline form; ECHO returns its argument.
#[test]
fn ping_echo_resp_and_inline() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["PING"]), "+PONG\r\n", "{b}");
        assert_eq!(c.cmd(&["ping", "hello world"]), "$11\r\nhello world\r\n", "{b}");
        assert_eq!(c.cmd(&["PING", "a", "b"]), "-ERR wrong number of arguments for 'ping' command\r\n", "{b}");
        c.send(b"PING\r\n");
        assert_eq!(c.reply(), "+PONG\r\n", "{b}");
        c.send(b"ECHO \"a b\"\n");
        assert_eq!(c.reply(), "$3\r\na b\r\n", "{b}");
        c.send(b"echo 'it''s'\r\n");
        assert_eq!(c.reply(), "-ERR Protocol error: unbalanced quotes in request\r\n", "{b}");
        assert!(c.is_closed(), "{b}");
    });
}

/// Inline commands as telnet sends them: blank lines are ignored, quotes
/// and escapes follow Redis's rules.
#[test]
fn inline_commands() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.send(b"\r\n\r\n   \r\nECHO \"tab\\there\" 'x'\r\n");
        assert_eq!(c.reply(), "-ERR wrong number of arguments for 'echo' command\r\n", "{b}");
        c.send(b"ECHO \"tab\\there\\x41\"\r\n");
        assert_eq!(c.reply(), "$9\r\ntab\thereA\r\n", "{b}");
    });
}

/// Unknown commands get Redis 7's exact error, quoting the arguments.
#[test]
fn unknown_command_error() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["FOO"]), "-ERR unknown command 'FOO', with args beginning with: \r\n", "{b}");
        assert_eq!(
            c.cmd(&["foo", "bar", "baz"]),
            "-ERR unknown command 'foo', with args beginning with: 'bar' 'baz' \r\n",
            "{b}"
        );
        // Still usable afterwards.
        assert_eq!(c.cmd(&["PING"]), "+PONG\r\n", "{b}");
    });
}

/// 10,000 commands written in one write (SET, INCR, GET, ECHO mixed) are
/// all answered, in order, with the keyspace effects applied in order.
#[test]
fn ten_thousand_pipelined_commands() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let mut batch = Vec::new();
        for i in 0..2_500 {
            let key = format!("k{}", i % 100);
            batch.extend_from_slice(&encode_cmd(&[b"SET", key.as_bytes(), i.to_string().as_bytes()]));
            batch.extend_from_slice(&encode_cmd(&[b"INCR", b"counter"]));
            batch.extend_from_slice(&encode_cmd(&[b"GET", key.as_bytes()]));
            batch.extend_from_slice(&encode_cmd(&[b"ECHO", i.to_string().as_bytes()]));
        }
        c.send(&batch);
        for i in 0..2_500 {
            let v = i.to_string();
            assert_eq!(c.reply(), "+OK\r\n", "{b}: SET {i}");
            assert_eq!(c.reply(), format!(":{}\r\n", i + 1), "{b}: INCR {i}");
            assert_eq!(c.reply(), format!("${}\r\n{}\r\n", v.len(), v), "{b}: GET {i}");
            assert_eq!(c.reply(), format!("${}\r\n{}\r\n", v.len(), v), "{b}: ECHO {i}");
        }
        assert_eq!(c.cmd(&["DBSIZE"]), ":101\r\n", "{b}");
    });
}

/// HELLO 3 switches to RESP3 and answers a map; HELLO 2 switches back.
#[test]
fn hello_switches_protocol() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let r = c.cmd(&["HELLO", "3"]);
        assert!(r.starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n"), "{b}: {r}");
        assert!(r.contains("$5\r\nproto\r\n:3\r\n"), "{b}: {r}");
        assert!(r.contains("$4\r\nmode\r\n$10\r\nstandalone\r\n"), "{b}: {r}");
        let r = c.cmd(&["HELLO", "2"]);
        assert!(r.starts_with("*14\r\n"), "{b}: {r}");
        assert!(r.contains("$5\r\nproto\r\n:2\r\n"), "{b}: {r}");
        assert_eq!(c.cmd(&["HELLO", "4"]), "-NOPROTO unsupported protocol version\r\n", "{b}");
        assert_eq!(c.cmd(&["HELLO", "x"]), "-ERR Protocol version is not an integer or out of range\r\n", "{b}");
        assert_eq!(c.cmd(&["HELLO", "3", "FOO"]), "-ERR Syntax error in HELLO option 'FOO'\r\n", "{b}");
        // A failed HELLO leaves the protocol as it was (RESP2).
        let r = c.cmd(&["HELLO"]);
        assert!(r.starts_with("*14\r\n"), "{b}: {r}");
    });
}

/// The redis crate negotiates RESP3 and works over it.
#[test]
fn redis_crate_resp3() {
    with_each_backend(|s, b| {
        let client = redis::Client::open(format!("redis://{}/?protocol=resp3", s.addr)).unwrap();
        let mut con = client.get_connection().unwrap();
        let pong: String = redis::cmd("PING").query(&mut con).unwrap();
        assert_eq!(pong, "PONG", "{b}");
        let echo: String = redis::cmd("ECHO").arg("x").query(&mut con).unwrap();
        assert_eq!(echo, "x", "{b}");
    });
}

/// A protocol error replies with Redis's text and closes that connection
/// only: another client, connected before and after, is unaffected.
#[test]
fn protocol_error_closes_only_its_connection() {
    let cases: &[(&[u8], &str)] = &[
        (b"*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
        (b"*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
        (b"*x\r\n", "-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*2\r\n$4\r\nECHO\r\n:1\r\n", "-ERR Protocol error: expected '$', got ':'\r\n"),
        (b"*1\r\n$999999999999\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
    ];
    with_each_backend(|s, b| {
        let mut bystander = s.raw();
        assert_eq!(bystander.cmd(&["PING"]), "+PONG\r\n");
        for (input, want) in cases {
            let mut bad = s.raw();
            // A good command before the bad frame in the same write is
            // still answered.
            let mut bytes = encode_cmd(&[b"PING"]);
            bytes.extend_from_slice(input);
            bad.send(&bytes);
            assert_eq!(bad.reply(), "+PONG\r\n", "{b}");
            assert_eq!(bad.reply(), *want, "{b}: {:?}", String::from_utf8_lossy(input));
            assert!(bad.is_closed(), "{b}: connection left open after {:?}", String::from_utf8_lossy(input));
            assert_eq!(bystander.cmd(&["ECHO", "still here"]), "$10\r\nstill here\r\n", "{b}");
        }
        let mut fresh = s.raw();
        assert_eq!(fresh.cmd(&["PING"]), "+PONG\r\n", "{b}");
    });
}

/// An inline line longer than 64 KiB without a newline is refused.
#[test]
fn giant_inline_line_refused() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let junk = vec![b'a'; 70 * 1024];
        c.send(&junk);
        assert_eq!(c.reply(), "-ERR Protocol error: too big inline request\r\n", "{b}");
        assert!(c.is_closed(), "{b}");
    });
}

/// A frame split across many small writes is assembled correctly.
#[test]
fn frames_split_across_writes() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let frame = encode_cmd(&[b"ECHO", b"split-me"]);
        for byte in frame {
            c.send(&[byte]);
        }
        assert_eq!(c.reply(), "$8\r\nsplit-me\r\n", "{b}");
    });
}

/// QUIT replies +OK and closes the connection.
#[test]
fn quit_closes() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.send(b"QUIT\r\nPING\r\n");
        assert_eq!(c.reply(), "+OK\r\n", "{b}");
        assert!(c.is_closed(), "{b}");
    });
}

/// SELECT accepts 0..databases-1 and rejects the rest with Redis's errors.
#[test]
fn select_bounds() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["SELECT", "15"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["SELECT", "16"]), "-ERR DB index is out of range\r\n", "{b}");
        assert_eq!(c.cmd(&["SELECT", "-1"]), "-ERR DB index is out of range\r\n", "{b}");
        assert_eq!(c.cmd(&["SELECT", "x"]), "-ERR value is not an integer or out of range\r\n", "{b}");
        // Found by .ci/differential.sh: an index outside a C int gets Redis's int-range error.
        let int_range = "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n";
        assert_eq!(c.cmd(&["SELECT", "2147483648"]), int_range, "{b}");
        assert_eq!(c.cmd(&["SELECT", "-2147483649"]), int_range, "{b}");
        assert_eq!(c.cmd(&["SELECT", "2147483647"]), "-ERR DB index is out of range\r\n", "{b}");
    });
}

/// Many clients pipelining at once all get their own replies back.
#[test]
fn concurrent_pipelines_keep_replies_apart() {
    with_each_backend(|s, b| {
        std::thread::scope(|scope| {
            for t in 0..8 {
                let addr = s.addr;
                scope.spawn(move || {
                    let mut c = Raw::connect(addr);
                    let mut batch = Vec::new();
                    for i in 0..500 {
                        batch.extend_from_slice(&encode_cmd(&[b"ECHO", format!("{t}:{i}").as_bytes()]));
                    }
                    c.send(&batch);
                    for i in 0..500 {
                        let v = format!("{t}:{i}");
                        assert_eq!(c.reply(), format!("${}\r\n{}\r\n", v.len(), v), "{b}");
                    }
                });
            }
        });
    });
}
