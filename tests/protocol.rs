//! Protocol tests: RESP2/RESP3, inline commands, pipelining, protocol errors.

mod common;
use common::*;

/// PING answers PONG on every backend, in RESP and inline form.
#[test]
fn ping_resp_and_inline() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["PING"]), "+PONG\r\n", "{b}");
        c.send(b"PING\r\n");
        assert_eq!(c.reply(), "+PONG\r\n", "{b}");
        c.send(b"ECHO \"a b\"\n");
        assert_eq!(c.reply(), "$3\r\na b\r\n", "{b}");
    });
}
