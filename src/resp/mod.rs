//! RESP, the Redis serialization protocol: requests in, replies out.
//!
//! This module knows bytes and frames only: nothing of commands, backends or
//! sockets. [`parse`] turns the bytes a client sent into argument vectors
//! (multibulk RESP frames, or inline commands as telnet sends them);
//! [`reply`] turns a [`Reply`] into RESP2 or RESP3 bytes.

pub mod parse;
pub mod reply;

pub use parse::{parse_request, ParseError, Request};
pub use reply::{Protocol, Reply};

/// Append `args` as a request: a RESP array of bulk strings, as clients
/// send commands. The write-ahead log stores its records in this form and
/// `convoy bench` sends it.
pub fn write_command(args: &[&[u8]], out: &mut Vec<u8>) {
    out.push(b'*');
    out.extend_from_slice(itoa::Buffer::new().format(args.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in args {
        out.push(b'$');
        out.extend_from_slice(itoa::Buffer::new().format(a.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// `bytes` in double quotes, escaped as Redis's `sdscatrepr` does (what
/// redis-cli prints, and what `sdssplitargs`, [`parse::split_inline`], reads
/// back): `convoy wal inspect` and CONFIG REWRITE write with it.
pub fn push_quoted(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            b' '..=b'~' => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
}
