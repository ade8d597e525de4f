//! Request parsing, in two steps: first check that a whole frame has arrived
//! (no allocation), then build it.
//!
//! # Format
//!
//! A client sends either a multibulk frame:
//!
//! ```text
//! *<argc>\r\n$<len>\r\n<bytes>\r\n ... (argc times)
//! ```
//!
//! or an inline command, one line of space-separated words with Redis's
//! quoting rules (`"..."` with `\n`, `\xHH` escapes; `'...'`), as typed in
//! telnet. A line that starts with `*` is multibulk; anything else is inline.
//!
//! Errors carry the exact text Redis 7 replies with before it closes the
//! connection (`networking.c`, `processMultibulkBuffer` and
//! `processInlineBuffer`). Redis's quirks are kept, because clients and
//! tests observe them: a header line ends at its first `\r`, whatever byte
//! follows; the two bytes after a payload are skipped unchecked; a NUL byte
//! before a line's end hides that end (Redis searches with `strchr`), so
//! such a request is never answered and the client is dropped once 64 KiB
//! are waiting. `tests/bad_input.rs` holds Redis 7.0.15's reply to each
//! malformed input, checked against the real server.
//!
//! # Memory
//!
//! What bounds what, whatever a client sends:
//! - a line (inline command, or a frame's `*`/`$` header) waits for its end
//!   only up to [`MAX_INLINE_SIZE`] bytes, then is a protocol error;
//! - a bulk length over [`Limits::max_bulk_len`] or a count over
//!   [`MAX_MULTIBULK_LEN`] is refused from its header, and neither is
//!   allocated ahead: announcing `*1000000000` or `$536870912` costs
//!   nothing until the bytes arrive (Redis preallocates big bulk strings;
//!   this parser does not);
//! - a request's argument vector reserves at most [`PREALLOC_ARGS`] slots
//!   and then grows with the arguments actually received, so it is bounded
//!   by the bytes buffered, which the connection's query buffer limit
//!   bounds;
//! - arguments are slices of the received bytes, never copies;
//! - [`RequestParser`] checks each byte of a frame once, however many
//!   reads it takes to arrive (CPU, not memory, but unbounded all the same).

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// Longest line Redis accepts before a `\r\n` (its `PROTO_INLINE_MAX_SIZE`):
/// an inline command, or the `*<n>` / `$<n>` header of a multibulk frame.
pub const MAX_INLINE_SIZE: usize = 64 * 1024;

/// Redis's default `proto-max-bulk-len`: 512 MiB.
pub const DEFAULT_MAX_BULK_LEN: usize = 512 * 1024 * 1024;

/// Largest argument count in one multibulk frame (Redis: `INT_MAX`, then the
/// client query buffer limit). Arguments are never preallocated beyond
/// `PREALLOC_ARGS`, so a huge announced count costs nothing until its
/// bytes arrive.
pub const MAX_MULTIBULK_LEN: i64 = i32::MAX as i64;

/// At most this many argument slots are reserved up front.
pub const PREALLOC_ARGS: usize = 1024;

/// A complete request: the command name and its arguments, as slices of the
/// frozen bytes the client sent (no copy).
pub type Request = Vec<Bytes>;

/// Why no request could be taken from the buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Ordinary control flow: the frame is not all here yet; read more.
    Incomplete,
    /// The client broke the protocol. The message is Redis's text, without
    /// the `ERR ` prefix; the connection must be closed after replying.
    Invalid(&'static str),
    /// A byte other than `$` where a bulk header belongs. Redis puts the
    /// byte itself into its message (`expected '$', got 'x'`), raw, even
    /// when it is not ASCII, so it is kept apart from the static texts.
    ExpectedDollar(u8),
}

impl ParseError {
    /// Append Redis's reply to this protocol error, `-ERR Protocol error:
    /// ...\r\n` (the same in RESP2 and RESP3); nothing for `Incomplete`.
    pub fn write_reply(&self, out: &mut BytesMut) {
        match self {
            ParseError::Incomplete => {}
            ParseError::Invalid(msg) => {
                out.put_slice(b"-ERR ");
                out.put_slice(msg.as_bytes());
                out.put_slice(b"\r\n");
            }
            ParseError::ExpectedDollar(got) => {
                out.put_slice(b"-ERR Protocol error: expected '$', got '");
                // Redis formats the byte with `%c`, then maps `\r` and `\n`
                // to spaces so the reply stays one line. (A NUL never gets
                // here: it hides the line's end, see `line_end`.)
                out.put_u8(if matches!(got, b'\r' | b'\n') { b' ' } else { *got });
                out.put_slice(b"'\r\n");
            }
        }
    }
}

/// Limits the parser enforces (Redis's `proto-max-bulk-len`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bulk_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bulk_len: DEFAULT_MAX_BULK_LEN }
    }
}

/// Take one request from the front of `buf`.
///
/// Returns `Ok(Some(args))` and consumes its bytes; `Ok(None)` for an empty
/// request that Redis silently skips (a blank inline line, `*0` or `*-1`),
/// also consumed; `Err(Incomplete)` with `buf` untouched; `Err(Invalid)` or
/// `Err(ExpectedDollar)` for a protocol error, also with `buf` untouched.
///
/// Stateless: a frame that arrives in many pieces is checked from its
/// start at every call. A connection uses [`RequestParser`] instead, which
/// resumes where the last check stopped.
pub fn parse_request(buf: &mut BytesMut, limits: Limits) -> Result<Option<Request>, ParseError> {
    RequestParser::new(limits).parse(buf)
}

/// A connection's parser: [`parse_request`], plus how far the check of a
/// multibulk frame that has only partly arrived got.
///
/// Why keep that: a frame of a million small arguments arrives over
/// hundreds of reads. Checking it from its start after each read costs
/// the bytes received so far each time, quadratic in the frame's size: a
/// single client could keep a core busy for hours with a frame inside the
/// query buffer limit. Redis keeps the same progress (`multibulklen`,
/// `bulklen`); here it is three integers, and each byte is checked once.
///
/// Contract: between calls, `buf` only grows at its end (the parser itself
/// consumes from the front). A buffer shorter than the progress recorded
/// is taken as a new one and checked from its start.
#[derive(Debug, Default, Clone)]
pub struct RequestParser {
    pub limits: Limits,
    /// The client has yet to authenticate (`requirepass` is set): Redis
    /// then refuses a frame of more than [`UNAUTHENTICATED_MAX_ARGS`]
    /// arguments or a bulk string over [`UNAUTHENTICATED_MAX_BULK_LEN`]
    /// bytes, so that a stranger cannot make it buffer much. The
    /// connection sets this before each call.
    pub unauthenticated: bool,
    progress: Progress,
}

/// Most arguments in a frame from a client that has not authenticated
/// (Redis 7: `ll > 10 && authRequired(c)`).
pub const UNAUTHENTICATED_MAX_ARGS: i64 = 10;

/// Longest bulk string from a client that has not authenticated (Redis 7:
/// `ll > 16384 && authRequired(c)`).
pub const UNAUTHENTICATED_MAX_BULK_LEN: i64 = 16384;

/// How far the check of the multibulk frame at the front of the buffer got.
#[derive(Debug, Default, Clone, Copy)]
struct Progress {
    /// The count line has been read.
    counted: bool,
    /// The count it announced.
    count: i64,
    /// Arguments (header and payload) not yet seen whole.
    left: i64,
    /// Bytes of the frame checked: its count line and the whole arguments.
    pos: usize,
}

impl RequestParser {
    pub fn new(limits: Limits) -> RequestParser {
        RequestParser { limits, unauthenticated: false, progress: Progress::default() }
    }

    /// Take one request from the front of `buf`; see [`parse_request`].
    pub fn parse(&mut self, buf: &mut BytesMut) -> Result<Option<Request>, ParseError> {
        if buf.len() < self.progress.pos {
            self.progress = Progress::default();
        }
        if buf.is_empty() {
            return Err(ParseError::Incomplete);
        }
        let result = if buf[0] == b'*' { self.parse_multibulk(buf) } else { parse_inline(buf) };
        if !matches!(result, Err(ParseError::Incomplete)) {
            self.progress = Progress::default();
        }
        result
    }

    fn parse_multibulk(&mut self, buf: &mut BytesMut) -> Result<Option<Request>, ParseError> {
        let (len, count) = check_multibulk(buf, self.limits, self.unauthenticated, &mut self.progress)?;
        // Step two: the whole frame is here; freeze it and slice out arguments.
        let frame = buf.split_to(len).freeze();
        if count <= 0 {
            return Ok(None);
        }
        let mut args = Vec::with_capacity((count as usize).min(PREALLOC_ARGS));
        let mut pos = line_end(&frame, 0, b'\r').expect("checked") + 2;
        for _ in 0..count {
            let eol = line_end(&frame, pos, b'\r').expect("checked");
            let n = parse_i64(&frame[pos + 1..eol]).expect("checked") as usize;
            args.push(frame.slice(eol + 2..eol + 2 + n));
            pos = eol + 2 + n + 2;
        }
        Ok(Some(args))
    }
}

/// Where the line starting at `from` ends, as Redis finds it: the first
/// `stop` byte (`\r` in a multibulk frame, `\n` inline). Redis searches
/// with `strchr` on its NUL-terminated buffer, so a NUL before that byte
/// hides it: the line is then never complete (until the buffer outgrows
/// [`MAX_INLINE_SIZE`] and the client is dropped). Returns the index of
/// the `stop` byte.
fn line_end(buf: &[u8], from: usize, stop: u8) -> Option<usize> {
    match memchr::memchr2(stop, 0, buf.get(from..)?) {
        Some(i) if buf[from + i] == stop => Some(from + i),
        _ => None,
    }
}

/// Whether the line starting at `from` is over the limit: it ends past
/// [`MAX_INLINE_SIZE`], or has no end yet and more than that is waiting.
///
/// Redis checks only the second case, after each read of at most 16 KiB,
/// so a line a little over 64 KiB whose end came in the same read passes
/// there; how the bytes were cut into reads decides. Counting the line's
/// own length makes the answer the same however the bytes arrive.
fn line_too_long(buf: &[u8], from: usize, end: Option<usize>) -> bool {
    match end {
        Some(r) => r - from > MAX_INLINE_SIZE,
        None => buf.len().saturating_sub(from) > MAX_INLINE_SIZE,
    }
}

pub use crate::num::parse_i64;

/// Step one for multibulk: walk the frame without allocating and return
/// its total length and argument count, or why it cannot be taken.
/// Resumes from, and records, `progress`.
fn check_multibulk(
    buf: &[u8],
    limits: Limits,
    unauthenticated: bool,
    progress: &mut Progress,
) -> Result<(usize, i64), ParseError> {
    if !progress.counted {
        let eol = line_end(buf, 0, b'\r');
        if line_too_long(buf, 0, eol) {
            return Err(ParseError::Invalid("Protocol error: too big mbulk count string"));
        }
        // Redis skips two bytes after the `\r` without looking at the second.
        let Some(eol) = eol.filter(|r| r + 1 < buf.len()) else { return Err(ParseError::Incomplete) };
        let count = match parse_i64(&buf[1..eol]) {
            Some(n) if n <= MAX_MULTIBULK_LEN => n,
            _ => return Err(ParseError::Invalid("Protocol error: invalid multibulk length")),
        };
        if unauthenticated && count > UNAUTHENTICATED_MAX_ARGS {
            return Err(ParseError::Invalid("Protocol error: unauthenticated multibulk length"));
        }
        *progress = Progress { counted: true, count, left: count.max(0), pos: eol + 2 };
    }
    while progress.left > 0 {
        let pos = progress.pos;
        let eol = line_end(buf, pos, b'\r');
        if line_too_long(buf, pos, eol) {
            return Err(ParseError::Invalid("Protocol error: too big bulk count string"));
        }
        // Like Redis, the `$` is looked at once the whole line is here.
        let Some(eol) = eol.filter(|r| r + 1 < buf.len()) else { return Err(ParseError::Incomplete) };
        if buf[pos] != b'$' {
            return Err(ParseError::ExpectedDollar(buf[pos]));
        }
        let len = match parse_i64(&buf[pos + 1..eol]) {
            Some(n) if n >= 0 && (n as u64) <= limits.max_bulk_len as u64 => n as usize,
            _ => return Err(ParseError::Invalid("Protocol error: invalid bulk length")),
        };
        if unauthenticated && len as i64 > UNAUTHENTICATED_MAX_BULK_LEN {
            return Err(ParseError::Invalid("Protocol error: unauthenticated bulk length"));
        }
        // Like Redis, the two bytes after the payload are skipped unchecked.
        let end = eol + 2 + len + 2;
        if end > buf.len() {
            return Err(ParseError::Incomplete);
        }
        progress.pos = end;
        progress.left -= 1;
    }
    Ok((progress.pos, progress.count))
}

fn parse_inline(buf: &mut BytesMut) -> Result<Option<Request>, ParseError> {
    let nl = line_end(buf, 0, b'\n');
    if line_too_long(buf, 0, nl) {
        return Err(ParseError::Invalid("Protocol error: too big inline request"));
    }
    let Some(nl) = nl else { return Err(ParseError::Incomplete) };
    let mut end = nl;
    if end > 0 && buf[end - 1] == b'\r' {
        end -= 1;
    }
    let words = split_inline(&buf[..end]).ok_or(ParseError::Invalid("Protocol error: unbalanced quotes in request"))?;
    buf.advance(nl + 1);
    if words.is_empty() {
        return Ok(None);
    }
    Ok(Some(words))
}

/// Split an inline line into words with the quoting rules of Redis's
/// `sdssplitargs`. Returns `None` for unbalanced quotes, or a closing quote
/// not followed by a space.
///
/// `sdssplitargs` reads a C string: the line ends at its first NUL, and
/// "space" is C's `isspace` (which, unlike Rust's ASCII whitespace,
/// includes the vertical tab), except that inside an unquoted word only
/// space, `\t`, `\r` and `\n` end it.
pub fn split_inline(line: &[u8]) -> Option<Vec<Bytes>> {
    let line = match memchr::memchr(0, line) {
        Some(nul) => &line[..nul],
        None => line,
    };
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && is_c_space(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            return Some(words);
        }
        let mut word = Vec::new();
        let (mut in_dq, mut in_sq) = (false, false);
        loop {
            if in_dq {
                if i >= line.len() {
                    return None;
                }
                let c = line[i];
                if c == b'\\'
                    && i + 3 < line.len()
                    && line[i + 1] == b'x'
                    && line[i + 2].is_ascii_hexdigit()
                    && line[i + 3].is_ascii_hexdigit()
                {
                    word.push(hex(line[i + 2]) * 16 + hex(line[i + 3]));
                    i += 3;
                } else if c == b'\\' && i + 1 < line.len() {
                    i += 1;
                    word.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    if i + 1 < line.len() && !is_c_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    word.push(c);
                }
            } else if in_sq {
                if i >= line.len() {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 1 < line.len() && line[i + 1] == b'\'' {
                    i += 1;
                    word.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < line.len() && !is_c_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    word.push(c);
                }
            } else {
                if i >= line.len() {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' => break,
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    c => word.push(c),
                }
            }
            i += 1;
        }
        words.push(Bytes::from(word));
    }
}

/// C's `isspace` in the C locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> (Vec<Request>, Result<(), ParseError>, usize) {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match parse_request(&mut buf, Limits::default()) {
                Ok(Some(r)) => out.push(r),
                Ok(None) => {}
                Err(ParseError::Incomplete) => return (out, Ok(()), buf.len()),
                Err(e) => return (out, Err(e), buf.len()),
            }
        }
    }

    /// A multibulk frame split at every byte is incomplete until its last byte.
    #[test]
    fn multibulk_every_prefix_is_incomplete() {
        let frame = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        for cut in 0..frame.len() {
            let mut buf = BytesMut::from(&frame[..cut]);
            assert_eq!(parse_request(&mut buf, Limits::default()), Err(ParseError::Incomplete), "cut {cut}");
            assert_eq!(buf.len(), cut);
        }
        let (reqs, res, rest) = parse_all(frame);
        assert_eq!(res, Ok(()));
        assert_eq!(rest, 0);
        assert_eq!(reqs, vec![vec![Bytes::from_static(b"GET"), Bytes::from_static(b"k")]]);
    }

    /// Inline commands follow sdssplitargs quoting.
    #[test]
    fn inline_quoting() {
        let (reqs, res, _) = parse_all(b"set \"a b\" 'c\\'d' \"\\x41\\n\"\r\nPING\n\r\n");
        assert_eq!(res, Ok(()));
        assert_eq!(
            reqs[0],
            vec![
                Bytes::from_static(b"set"),
                Bytes::from_static(b"a b"),
                Bytes::from_static(b"c'd"),
                Bytes::from_static(b"A\n")
            ]
        );
        assert_eq!(reqs[1], vec![Bytes::from_static(b"PING")]);
        assert_eq!(reqs.len(), 2);
        let (_, res, _) = parse_all(b"set \"abc\r\n");
        assert_eq!(res, Err(ParseError::Invalid("Protocol error: unbalanced quotes in request")));
    }

    /// Bad headers produce Redis's exact messages.
    #[test]
    fn protocol_errors() {
        for (input, msg) in [
            (&b"*abc\r\n"[..], "Protocol error: invalid multibulk length"),
            (b"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"),
            (b"*1\r\n$600000000\r\n", "Protocol error: invalid bulk length"),
            (b"*3000000000\r\n", "Protocol error: invalid multibulk length"),
        ] {
            assert_eq!(parse_all(input).1, Err(ParseError::Invalid(msg)), "{:?}", String::from_utf8_lossy(input));
        }
        assert_eq!(parse_all(b"*1\r\nfoo\r\n").1, Err(ParseError::ExpectedDollar(b'f')));
        let big = vec![b'a'; MAX_INLINE_SIZE + 10];
        assert_eq!(parse_all(&big).1, Err(ParseError::Invalid("Protocol error: too big inline request")));
    }

    /// A NUL byte ends an inline line as it ends a C string. (It once made
    /// `split_inline` loop for ever, pushing empty words.) Before the
    /// newline, it hides the newline, as Redis's `strchr` does.
    #[test]
    fn nul_in_inline_lines() {
        assert_eq!(split_inline(b"PING\0 x"), Some(vec![Bytes::from_static(b"PING")]));
        assert_eq!(split_inline(b"\0PING"), Some(vec![]));
        assert_eq!(parse_all(b"PING\0\r\nPING\r\n"), (vec![], Ok(()), 13));
    }

    /// The byte in `expected '$', got 'x'` is sent raw, `\r` and `\n` as
    /// spaces; a line ends at `\r` and any byte.
    #[test]
    fn expected_dollar_reply() {
        let reply = |b| {
            let mut out = BytesMut::new();
            ParseError::ExpectedDollar(b).write_reply(&mut out);
            out
        };
        assert_eq!(&reply(0xff)[..], b"-ERR Protocol error: expected '$', got '\xff'\r\n");
        assert_eq!(&reply(b'\n')[..], b"-ERR Protocol error: expected '$', got ' '\r\n");
        assert_eq!(parse_all(b"*1\r\n\xff\rX").1, Err(ParseError::ExpectedDollar(0xff)));
        assert_eq!(parse_all(b"*1\rX$4\rXPINGxx").0, vec![vec![Bytes::from_static(b"PING")]]);
    }

    /// Before AUTH (with a password set), Redis 7.0.15 refuses more than 10
    /// arguments or a bulk string over 16 KiB, from the header alone.
    #[test]
    fn unauthenticated_limits() {
        let parse = |input: &[u8]| {
            let mut parser = RequestParser { unauthenticated: true, ..RequestParser::default() };
            parser.parse(&mut BytesMut::from(input))
        };
        assert_eq!(parse(b"*11\r\n"), Err(ParseError::Invalid("Protocol error: unauthenticated multibulk length")));
        assert_eq!(parse(b"*10\r\n"), Err(ParseError::Incomplete));
        assert_eq!(
            parse(b"*2\r\n$4\r\nECHO\r\n$16385\r\n"),
            Err(ParseError::Invalid("Protocol error: unauthenticated bulk length"))
        );
        assert_eq!(parse(b"*2\r\n$4\r\nECHO\r\n$16384\r\n"), Err(ParseError::Incomplete));
        assert_eq!(parse_all(b"*11\r\n").1, Ok(()));
    }

    /// Empty multibulk frames are skipped like Redis does.
    #[test]
    fn empty_frames_skipped() {
        let (reqs, res, rest) = parse_all(b"*0\r\n*-1\r\n\r\n*1\r\n$4\r\nPING\r\n");
        assert_eq!(res, Ok(()));
        assert_eq!(rest, 0);
        assert_eq!(reqs.len(), 1);
    }
}
