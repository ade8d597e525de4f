//! Bytes into the RESP request parser, at once and in reads, with the
//! checks every caller wants on the way. Shared by `tests/parser_props.rs`
//! and the `resp_parse` fuzz target (`fuzz/`, which includes this file by
//! its path).

use bytes::BytesMut;
use convoy::resp::parse::{parse_request, Limits, ParseError, Request, RequestParser};

/// Everything taken from a stream: the requests (`None` for a skipped
/// empty one) and how it ended (`Incomplete`, or a protocol error).
#[derive(Debug, PartialEq)]
pub struct Outcome {
    pub requests: Vec<Option<Request>>,
    pub end: ParseError,
}

/// Parse `bytes` given at once with the stateless [`parse_request`];
/// checks that every request consumes bytes, that its arguments are no
/// longer than the bytes it consumed, and that `Incomplete` and errors
/// consume nothing. Returns the outcome and how many bytes were left.
pub fn at_once(bytes: &[u8], limits: Limits) -> (Outcome, usize) {
    let mut buf = BytesMut::from(bytes);
    let mut requests = Vec::new();
    loop {
        let before = buf.len();
        match parse_request(&mut buf, limits) {
            Ok(r) => {
                assert!(buf.len() < before, "a request taken without consuming bytes");
                if let Some(args) = &r {
                    let claimed: usize = args.iter().map(|a| a.len()).sum();
                    assert!(claimed <= before - buf.len(), "arguments longer than the bytes consumed");
                }
                requests.push(r);
            }
            Err(end) => {
                assert_eq!(buf.len(), before, "{end:?} consumed bytes");
                return (Outcome { requests, end }, buf.len());
            }
        }
    }
}

/// Feed `bytes` to one [`RequestParser`] in reads of `cut()` bytes each
/// (at least one), parsing everything complete after each read, as a
/// connection does. Returns the outcome and how many bytes were not
/// consumed (still buffered, or never read).
pub fn in_reads(bytes: &[u8], limits: Limits, mut cut: impl FnMut() -> usize) -> (Outcome, usize) {
    let mut parser = RequestParser::new(limits);
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    let mut at = 0;
    loop {
        match parser.parse(&mut buf) {
            Ok(r) => requests.push(r),
            Err(ParseError::Incomplete) if at < bytes.len() => {
                let n = cut().clamp(1, bytes.len() - at);
                buf.extend_from_slice(&bytes[at..at + n]);
                at += n;
            }
            Err(end) => return (Outcome { requests, end }, buf.len() + (bytes.len() - at)),
        }
    }
}
