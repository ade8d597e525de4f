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
//! `processInlineBuffer`).

use bytes::{Bytes, BytesMut};

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
const PREALLOC_ARGS: usize = 1024;

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
}

/// Limits the parser enforces: Redis's `proto-max-bulk-len` (set at run
/// time, see `server::limits`), and the far lower ones Redis puts on a
/// client that must still authenticate (CVE-2021-32675), so that a few
/// bytes from a stranger cannot make the server reserve much.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bulk_len: usize,
    /// The client has not authenticated yet and must: at most
    /// [`UNAUTHENTICATED_MAX_ARGS`] arguments of at most
    /// [`UNAUTHENTICATED_MAX_BULK_LEN`] bytes.
    pub unauthenticated: bool,
}

/// Redis's argument count limit for a client that must still authenticate.
pub const UNAUTHENTICATED_MAX_ARGS: i64 = 10;
/// Redis's bulk length limit for a client that must still authenticate.
pub const UNAUTHENTICATED_MAX_BULK_LEN: i64 = 16 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bulk_len: DEFAULT_MAX_BULK_LEN, unauthenticated: false }
    }
}

/// Take one request from the front of `buf`.
///
/// Returns `Ok(Some(args))` and consumes its bytes; `Ok(None)` for an empty
/// request that Redis silently skips (a blank inline line, `*0` or `*-1`),
/// also consumed; `Err(Incomplete)` with `buf` untouched; `Err(Invalid)` for a
/// protocol error.
pub fn parse_request(buf: &mut BytesMut, limits: Limits) -> Result<Option<Request>, ParseError> {
    if buf.is_empty() {
        return Err(ParseError::Incomplete);
    }
    if buf[0] == b'*' {
        parse_multibulk(buf, limits)
    } else {
        parse_inline(buf)
    }
}

/// Find `\r\n` starting at `from`; returns the index of `\r`.
fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = memchr::memchr(b'\r', &buf[at..]) {
        let r = at + i;
        if r + 1 >= buf.len() {
            return None;
        }
        if buf[r + 1] == b'\n' {
            return Some(r);
        }
        at = r + 1;
    }
    None
}

pub use crate::num::parse_i64;

/// Step one for multibulk: walk the frame without allocating and return
/// its total length and argument count, or why it cannot be taken.
fn check_multibulk(buf: &[u8], limits: Limits) -> Result<(usize, i64), ParseError> {
    let Some(eol) = find_crlf(buf, 0) else {
        if buf.len() > MAX_INLINE_SIZE {
            return Err(ParseError::Invalid("Protocol error: too big mbulk count string"));
        }
        return Err(ParseError::Incomplete);
    };
    if eol > MAX_INLINE_SIZE {
        return Err(ParseError::Invalid("Protocol error: too big mbulk count string"));
    }
    let count = match parse_i64(&buf[1..eol]) {
        Some(n) if n <= MAX_MULTIBULK_LEN => n,
        _ => return Err(ParseError::Invalid("Protocol error: invalid multibulk length")),
    };
    if limits.unauthenticated && count > UNAUTHENTICATED_MAX_ARGS {
        return Err(ParseError::Invalid("Protocol error: unauthenticated multibulk length"));
    }
    let mut pos = eol + 2;
    for _ in 0..count.max(0) {
        if pos >= buf.len() {
            return Err(ParseError::Incomplete);
        }
        if buf[pos] != b'$' {
            return Err(ParseError::Invalid(expected_dollar(buf[pos])));
        }
        let Some(eol) = find_crlf(buf, pos) else {
            if buf.len() - pos > MAX_INLINE_SIZE {
                return Err(ParseError::Invalid("Protocol error: too big bulk count string"));
            }
            return Err(ParseError::Incomplete);
        };
        if eol - pos > MAX_INLINE_SIZE {
            return Err(ParseError::Invalid("Protocol error: too big bulk count string"));
        }
        let len = match parse_i64(&buf[pos + 1..eol]) {
            Some(n) if n >= 0 && (n as u64) <= limits.max_bulk_len as u64 => n as usize,
            _ => return Err(ParseError::Invalid("Protocol error: invalid bulk length")),
        };
        if limits.unauthenticated && len as i64 > UNAUTHENTICATED_MAX_BULK_LEN {
            return Err(ParseError::Invalid("Protocol error: unauthenticated bulk length"));
        }
        // Like Redis, the two bytes after the payload are skipped unchecked.
        pos = eol + 2 + len + 2;
        if pos > buf.len() {
            return Err(ParseError::Incomplete);
        }
    }
    Ok((pos, count))
}

/// Redis's message for a byte other than `$` where a bulk header belongs.
/// The byte is part of the text (`expected '$', got 'x'`); messages are
/// static, so printable ASCII is looked up and the rest share one form.
fn expected_dollar(got: u8) -> &'static str {
    const TABLE: [&str; 95] = expected_dollar_table();
    if (0x20..0x7f).contains(&got) {
        TABLE[(got - 0x20) as usize]
    } else {
        "Protocol error: expected '$', got ' '"
    }
}

const fn expected_dollar_table() -> [&'static str; 95] {
    macro_rules! row {
        ($($c:literal)*) => { [$(concat!("Protocol error: expected '$', got '", $c, "'")),*] };
    }
    row!(" " "!" "\"" "#" "$" "%" "&" "'" "(" ")" "*" "+" "," "-" "." "/"
         "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" ":" ";" "<" "=" ">" "?"
         "@" "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O"
         "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" "[" "\\" "]" "^" "_"
         "`" "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o"
         "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" "{" "|" "}" "~")
}

fn parse_multibulk(buf: &mut BytesMut, limits: Limits) -> Result<Option<Request>, ParseError> {
    let (len, count) = check_multibulk(buf, limits)?;
    // Step two: the whole frame is here; freeze it and slice out arguments.
    let frame = buf.split_to(len).freeze();
    if count <= 0 {
        return Ok(None);
    }
    let mut args = Vec::with_capacity((count as usize).min(PREALLOC_ARGS));
    let mut pos = find_crlf(&frame, 0).expect("checked") + 2;
    for _ in 0..count {
        let eol = find_crlf(&frame, pos).expect("checked");
        let n = parse_i64(&frame[pos + 1..eol]).expect("checked") as usize;
        args.push(frame.slice(eol + 2..eol + 2 + n));
        pos = eol + 2 + n + 2;
    }
    Ok(Some(args))
}

fn parse_inline(buf: &mut BytesMut) -> Result<Option<Request>, ParseError> {
    let Some(nl) = memchr::memchr(b'\n', buf) else {
        if buf.len() > MAX_INLINE_SIZE {
            return Err(ParseError::Invalid("Protocol error: too big inline request"));
        }
        return Err(ParseError::Incomplete);
    };
    if nl > MAX_INLINE_SIZE {
        return Err(ParseError::Invalid("Protocol error: too big inline request"));
    }
    let line = buf.split_to(nl + 1).freeze();
    let mut end = nl;
    if end > 0 && line[end - 1] == b'\r' {
        end -= 1;
    }
    let words =
        split_inline(&line[..end]).ok_or(ParseError::Invalid("Protocol error: unbalanced quotes in request"))?;
    if words.is_empty() {
        return Ok(None);
    }
    Ok(Some(words))
}

/// Split an inline line into words with the quoting rules of Redis's
/// `sdssplitargs`. Returns `None` for unbalanced quotes, or a closing quote
/// not followed by a space.
pub fn split_inline(line: &[u8]) -> Option<Vec<Bytes>> {
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && line[i].is_ascii_whitespace() {
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
                    if i + 1 < line.len() && !line[i + 1].is_ascii_whitespace() {
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
                    if i + 1 < line.len() && !line[i + 1].is_ascii_whitespace() {
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
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => break,
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
            (b"*1\r\nfoo\r\n", "Protocol error: expected '$', got 'f'"),
            (b"*3000000000\r\n", "Protocol error: invalid multibulk length"),
        ] {
            assert_eq!(parse_all(input).1, Err(ParseError::Invalid(msg)), "{:?}", String::from_utf8_lossy(input));
        }
        let big = vec![b'a'; MAX_INLINE_SIZE + 10];
        assert_eq!(parse_all(&big).1, Err(ParseError::Invalid("Protocol error: too big inline request")));
    }

    /// A client that must still authenticate gets Redis's low limits
    /// (10 arguments of 16 KiB), with its texts; `proto-max-bulk-len` is
    /// whatever the limits say.
    #[test]
    fn unauthenticated_and_configured_limits() {
        let unauth = Limits { unauthenticated: true, ..Limits::default() };
        let parse = |input: &[u8], limits| parse_request(&mut BytesMut::from(input), limits);
        assert_eq!(parse(b"*10\r\n", unauth), Err(ParseError::Incomplete));
        assert_eq!(
            parse(b"*11\r\n", unauth),
            Err(ParseError::Invalid("Protocol error: unauthenticated multibulk length"))
        );
        assert_eq!(parse(b"*1\r\n$16384\r\n", unauth), Err(ParseError::Incomplete));
        assert_eq!(
            parse(b"*1\r\n$16385\r\n", unauth),
            Err(ParseError::Invalid("Protocol error: unauthenticated bulk length"))
        );
        let small = Limits { max_bulk_len: 1024 * 1024, ..Limits::default() };
        assert_eq!(parse(b"*1\r\n$1048576\r\n", small), Err(ParseError::Incomplete));
        assert_eq!(
            parse(b"*1\r\n$1048577\r\n", small),
            Err(ParseError::Invalid("Protocol error: invalid bulk length"))
        );
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
