//! Finding where one reply ends in the bytes a server sent, without
//! building it.
//!
//! The load generator only needs to know how many replies have arrived and
//! which of them are errors, so it frames replies and skips their contents.
//! Every RESP2 and RESP3 type is framed, so that the tool works against any
//! Redis-compatible server and any command a workload may send.

/// What one complete reply at the start of a buffer was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framed {
    /// Its length in bytes.
    pub len: usize,
    /// Whether it is an error (`-ERR ...` or a RESP3 blob error).
    pub error: bool,
}

/// A reply that is not RESP: the connection's bytes can no longer be
/// framed, so the run stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

/// Aggregates nested deeper than this are refused: a server's reply to the
/// commands a workload sends is never this deep, and the limit keeps a
/// broken peer from exhausting the stack.
const MAX_DEPTH: usize = 64;

/// Frame the reply at the start of `buf`: `Ok(None)` if it is not complete
/// yet.
pub fn frame(buf: &[u8]) -> Result<Option<Framed>, Malformed> {
    let Some(len) = skip(buf, 0, 0)? else { return Ok(None) };
    let error = matches!(buf.first(), Some(b'-' | b'!'));
    Ok(Some(Framed { len, error }))
}

/// The end of the value starting at `at`, if complete.
fn skip(buf: &[u8], at: usize, depth: usize) -> Result<Option<usize>, Malformed> {
    if depth > MAX_DEPTH {
        return Err(Malformed(format!("replies nested deeper than {MAX_DEPTH}")));
    }
    let Some(&kind) = buf.get(at) else { return Ok(None) };
    let Some((line, next)) = line(buf, at + 1) else { return Ok(None) };
    match kind {
        // Simple string, error, integer, null, double, boolean, big number.
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Ok(Some(next)),
        // Bulk string, blob error, verbatim string: a length, then that
        // many bytes and CRLF. -1 is RESP2's null.
        b'$' | b'!' | b'=' => {
            let n = number(line)?;
            if n < 0 {
                return Ok(Some(next));
            }
            let end = next + n as usize + 2;
            Ok((buf.len() >= end).then_some(end))
        }
        // Array, set, push: a count of values; map, attribute: a count of
        // pairs. -1 is RESP2's null array.
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = number(line)?;
            let values = if matches!(kind, b'%' | b'|') { n.saturating_mul(2) } else { n };
            let mut end = next;
            for _ in 0..values.max(0) {
                match skip(buf, end, depth + 1)? {
                    Some(e) => end = e,
                    None => return Ok(None),
                }
            }
            // An attribute precedes the value it describes.
            if kind == b'|' {
                return skip(buf, end, depth + 1);
            }
            Ok(Some(end))
        }
        other => Err(Malformed(format!("unexpected reply type byte 0x{other:02x}"))),
    }
}

/// The line starting at `at` (without its CRLF) and where the next begins.
fn line(buf: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(at..)?;
    let end = memchr::memchr(b'\n', rest)?;
    let line = rest[..end].strip_suffix(b"\r").unwrap_or(&rest[..end]);
    Some((line, at + end + 1))
}

fn number(line: &[u8]) -> Result<i64, Malformed> {
    crate::num::parse_i64(line)
        .filter(|&n| n >= -1)
        .ok_or_else(|| Malformed(format!("bad length {:?}", String::from_utf8_lossy(line))))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every reply type is framed to its exact length, and incomplete
    /// prefixes of it are reported as incomplete, not as replies.
    #[test]
    fn frames_every_type_and_waits_for_the_rest() {
        let replies: &[&[u8]] = &[
            b"+OK\r\n",
            b"-ERR wrong\r\n",
            b":42\r\n",
            b"$5\r\nhello\r\n",
            b"$-1\r\n",
            b"$0\r\n\r\n",
            b"*-1\r\n",
            b"*2\r\n$1\r\na\r\n:1\r\n",
            b"*2\r\n*1\r\n+x\r\n$-1\r\n",
            b"_\r\n",
            b",3.14\r\n",
            b"#t\r\n",
            b"(123\r\n",
            b"!3\r\nerr\r\n",
            b"=7\r\ntxt:abc\r\n",
            b"%1\r\n+k\r\n:1\r\n",
            b"~1\r\n+m\r\n",
            b">2\r\n+message\r\n+x\r\n",
            b"|1\r\n+ttl\r\n:3\r\n+value\r\n",
        ];
        for reply in replies {
            let mut buf = reply.to_vec();
            buf.extend_from_slice(b"+NEXT\r\n");
            let framed = frame(&buf).unwrap().unwrap_or_else(|| panic!("{reply:?} not framed"));
            assert_eq!(framed.len, reply.len(), "{:?}", String::from_utf8_lossy(reply));
            assert_eq!(framed.error, reply[0] == b'-' || reply[0] == b'!');
            for cut in 0..reply.len() {
                assert_eq!(frame(&reply[..cut]), Ok(None), "prefix {cut} of {reply:?}");
            }
        }
    }

    /// Bytes that are not RESP are refused rather than guessed at.
    #[test]
    fn refuses_what_is_not_resp() {
        assert!(frame(b"HTTP/1.1 400\r\n").is_err());
        assert!(frame(b"$abc\r\n").is_err());
        assert!(frame(b"*-7\r\n").is_err());
        let deep = "*1\r\n".repeat(MAX_DEPTH + 2) + ":1\r\n";
        assert!(frame(deep.as_bytes()).is_err());
    }
}
