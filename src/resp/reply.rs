//! Replies, and their encoding in RESP2 or RESP3.
//!
//! Commands build a [`Reply`]; the connection encodes it with the protocol
//! version its client chose with `HELLO`. RESP3 types degrade in RESP2 the
//! way Redis degrades them: maps and sets become flat arrays, doubles become
//! bulk strings, booleans become integers, nulls become `$-1` or `*-1`.

use bytes::{BufMut, Bytes, BytesMut};
use std::borrow::Cow;

/// The protocol a connection speaks (`HELLO 2` or `HELLO 3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Resp2,
    Resp3,
}

/// One reply to one command.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK`: a status line. Must not contain `\r` or `\n`.
    Status(Cow<'static, str>),
    /// `-ERR ...`: the full text, prefix included (`ERR`, `WRONGTYPE`, ...).
    Error(Cow<'static, str>),
    Integer(i64),
    Bulk(Bytes),
    /// The null bulk string (`$-1` in RESP2, `_` in RESP3).
    Null,
    /// The null array (`*-1` in RESP2, `_` in RESP3).
    NullArray,
    Array(Vec<Reply>),
    /// A RESP3 map; a flat array of alternating keys and values in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// A RESP3 set; an array in RESP2.
    Set(Vec<Reply>),
    /// A RESP3 double; a bulk string in RESP2.
    Double(f64),
    /// A RESP3 boolean; the integer 1 or 0 in RESP2.
    Bool(bool),
    /// A RESP3 verbatim string with its three-letter format (`txt`); a bulk
    /// string in RESP2.
    Verbatim(&'static str, Bytes),
    /// A RESP3 push frame (pub/sub messages); an array in RESP2.
    Push(Vec<Reply>),
    /// An array of `count` bulk strings, already encoded (bulk strings are
    /// the same in RESP2 and RESP3). Built by [`Reply::bulk_strings`] in one
    /// buffer, so replying with hundreds of elements (LRANGE) costs one
    /// growing allocation instead of one per element.
    BulkStrings {
        count: usize,
        encoded: Bytes,
    },
    /// Several replies to one command, written one after another with no
    /// header of their own: SUBSCRIBE a b confirms each channel with its
    /// own frame, as Redis does.
    Sequence(Vec<Reply>),
}

impl Reply {
    pub const OK: Reply = Reply::Status(Cow::Borrowed("OK"));

    pub fn status(s: &'static str) -> Reply {
        Reply::Status(Cow::Borrowed(s))
    }

    /// An error reply from a static message, prefix included.
    pub fn error(s: &'static str) -> Reply {
        Reply::Error(Cow::Borrowed(s))
    }

    /// An error reply built at run time, prefix included.
    pub fn error_owned(s: String) -> Reply {
        Reply::Error(Cow::Owned(s))
    }

    pub fn bulk(b: impl Into<Bytes>) -> Reply {
        Reply::Bulk(b.into())
    }

    pub fn bulk_str(s: &str) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    /// An array of bulk strings, encoded at once into one buffer.
    pub fn bulk_strings<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Reply {
        let mut encoded = BytesMut::new();
        let mut count = 0;
        for item in items {
            bulk(&mut encoded, item);
            count += 1;
        }
        Reply::BulkStrings { count, encoded: encoded.freeze() }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// Append the encoding of `self` to `out`.
    pub fn encode(&self, proto: Protocol, out: &mut BytesMut) {
        match self {
            Reply::Status(s) => line(out, b'+', s.as_bytes()),
            Reply::Error(s) => line(out, b'-', s.as_bytes()),
            Reply::Integer(n) => int_line(out, b':', *n),
            Reply::Bulk(b) => bulk(out, b),
            Reply::Null => match proto {
                Protocol::Resp2 => out.put_slice(b"$-1\r\n"),
                Protocol::Resp3 => out.put_slice(b"_\r\n"),
            },
            Reply::NullArray => match proto {
                Protocol::Resp2 => out.put_slice(b"*-1\r\n"),
                Protocol::Resp3 => out.put_slice(b"_\r\n"),
            },
            Reply::Array(items) => {
                int_line(out, b'*', items.len() as i64);
                items.iter().for_each(|r| r.encode(proto, out));
            }
            Reply::Map(pairs) => {
                match proto {
                    Protocol::Resp2 => int_line(out, b'*', 2 * pairs.len() as i64),
                    Protocol::Resp3 => int_line(out, b'%', pairs.len() as i64),
                }
                for (k, v) in pairs {
                    k.encode(proto, out);
                    v.encode(proto, out);
                }
            }
            Reply::Set(items) => {
                let tag = if proto == Protocol::Resp3 { b'~' } else { b'*' };
                int_line(out, tag, items.len() as i64);
                items.iter().for_each(|r| r.encode(proto, out));
            }
            Reply::Push(items) => {
                let tag = if proto == Protocol::Resp3 { b'>' } else { b'*' };
                int_line(out, tag, items.len() as i64);
                items.iter().for_each(|r| r.encode(proto, out));
            }
            Reply::Sequence(items) => items.iter().for_each(|r| r.encode(proto, out)),
            Reply::BulkStrings { count, encoded } => {
                int_line(out, b'*', *count as i64);
                out.put_slice(encoded);
            }
            Reply::Double(d) => {
                let text = format_double(*d);
                match proto {
                    Protocol::Resp2 => bulk(out, text.as_bytes()),
                    Protocol::Resp3 => line(out, b',', text.as_bytes()),
                }
            }
            Reply::Bool(b) => match proto {
                Protocol::Resp2 => int_line(out, b':', *b as i64),
                Protocol::Resp3 => out.put_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
            },
            Reply::Verbatim(fmt, body) => match proto {
                Protocol::Resp2 => bulk(out, body),
                Protocol::Resp3 => {
                    int_line(out, b'=', body.len() as i64 + 4);
                    out.put_slice(fmt.as_bytes());
                    out.put_u8(b':');
                    out.put_slice(body);
                    out.put_slice(b"\r\n");
                }
            },
        }
    }
}

fn line(out: &mut BytesMut, tag: u8, body: &[u8]) {
    out.reserve(body.len() + 3);
    out.put_u8(tag);
    out.put_slice(body);
    out.put_slice(b"\r\n");
}

fn int_line(out: &mut BytesMut, tag: u8, n: i64) {
    let mut buf = itoa::Buffer::new();
    line(out, tag, buf.format(n).as_bytes());
}

fn bulk(out: &mut BytesMut, body: &[u8]) {
    let mut buf = itoa::Buffer::new();
    let len = buf.format(body.len());
    out.reserve(body.len() + len.len() + 5);
    out.put_u8(b'$');
    out.put_slice(len.as_bytes());
    out.put_slice(b"\r\n");
    out.put_slice(body);
    out.put_slice(b"\r\n");
}

/// Format a double the way Redis replies with one: `inf`, `-inf`, `nan`, and
/// otherwise the shortest text that reads back as the same value, with an
/// exponent (`1e+21`) outside the range `%.17g` prints plainly.
pub fn format_double(d: f64) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let a = d.abs();
    if a != 0.0 && !(1e-4..1e17).contains(&a) {
        let s = format!("{d:e}");
        // Rust writes `1e21` and `1e-5`; C writes `1e+21` and `1e-05`.
        let (mant, exp) = s.split_once('e').expect("exponent form");
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(rest) => ('-', rest),
            None => ('+', exp),
        };
        return format!("{mant}e{sign}{digits:0>2}");
    }
    format!("{d}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(r: &Reply, p: Protocol) -> String {
        let mut out = BytesMut::new();
        r.encode(p, &mut out);
        String::from_utf8(out.to_vec()).unwrap()
    }

    /// RESP3 types degrade to their RESP2 forms as Redis degrades them.
    #[test]
    fn degrade_to_resp2() {
        let m = Reply::Map(vec![(Reply::bulk_str("a"), Reply::Integer(1))]);
        assert_eq!(enc(&m, Protocol::Resp2), "*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&m, Protocol::Resp3), "%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&Reply::Null, Protocol::Resp2), "$-1\r\n");
        assert_eq!(enc(&Reply::NullArray, Protocol::Resp2), "*-1\r\n");
        assert_eq!(enc(&Reply::Null, Protocol::Resp3), "_\r\n");
        assert_eq!(enc(&Reply::Double(1.5), Protocol::Resp2), "$3\r\n1.5\r\n");
        assert_eq!(enc(&Reply::Double(1.5), Protocol::Resp3), ",1.5\r\n");
        assert_eq!(enc(&Reply::Bool(true), Protocol::Resp2), ":1\r\n");
        assert_eq!(enc(&Reply::Verbatim("txt", Bytes::from_static(b"hi")), Protocol::Resp3), "=6\r\ntxt:hi\r\n");
    }

    /// Pre-encoded bulk-string arrays read the same as built ones.
    #[test]
    fn bulk_strings_match_array_of_bulks() {
        let items: [&[u8]; 3] = [b"a", b"", b"hello"];
        let built = Reply::Array(items.iter().map(|i| Reply::bulk(Bytes::copy_from_slice(i))).collect());
        for p in [Protocol::Resp2, Protocol::Resp3] {
            assert_eq!(enc(&Reply::bulk_strings(items), p), enc(&built, p));
        }
        assert_eq!(enc(&Reply::bulk_strings(std::iter::empty()), Protocol::Resp2), "*0\r\n");
    }

    /// Doubles print like C's %.17g at the extremes.
    #[test]
    fn doubles() {
        assert_eq!(format_double(3.0), "3");
        assert_eq!(format_double(10.5), "10.5");
        assert_eq!(format_double(1e21), "1e+21");
        assert_eq!(format_double(f64::INFINITY), "inf");
    }
}
