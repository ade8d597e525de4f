//! Bytes into the RESP request parser, whole and in arbitrary pieces.
//!
//! The first byte of an input chooses the limits and how the rest is cut
//! into reads; the rest is what a client sends. Checked for every input:
//!
//! - no panic, and the parser never consumes more than it was given;
//! - parsing the bytes at once with the stateless [`parse_request`] and
//!   feeding them piece by piece to a connection's [`RequestParser`] (which
//!   resumes a partly received frame where it stopped) give the same
//!   requests, in the same order, and the same final error;
//! - every request taken, encoded again as a multibulk frame, parses back
//!   to the same arguments.
#![no_main]

use bytes::BytesMut;
use convoy::resp::parse::{parse_request, Limits, ParseError, Request, RequestParser};
use libfuzzer_sys::fuzz_target;

/// Everything taken from a stream: the requests (`None` for a skipped empty
/// one) and how it ended (`Incomplete`, or a protocol error).
#[derive(Debug, PartialEq)]
struct Outcome {
    requests: Vec<Option<Request>>,
    end: ParseError,
    left: usize,
}

fn at_once(bytes: &[u8], limits: Limits) -> Outcome {
    let mut buf = BytesMut::from(bytes);
    let mut requests = Vec::new();
    loop {
        let before = buf.len();
        match parse_request(&mut buf, limits) {
            Ok(r) => {
                assert!(buf.len() < before, "a request was taken without consuming bytes");
                requests.push(r);
            }
            Err(end) => {
                assert_eq!(buf.len(), before, "an error consumed bytes");
                return Outcome { requests, end, left: buf.len() };
            }
        }
    }
}

fn in_pieces(bytes: &[u8], limits: Limits, mut cut: impl FnMut() -> usize) -> Outcome {
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
            Err(end) => {
                let left = buf.len() + (bytes.len() - at);
                return Outcome { requests, end, left };
            }
        }
    }
}

fn encode(args: &[bytes::Bytes]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, bytes)) = data.split_first() else { return };
    // A small bulk limit in half of the runs reaches the length check.
    let limits = if control & 1 == 0 { Limits::default() } else { Limits { max_bulk_len: 16 } };
    let whole = at_once(bytes, limits);
    assert!(whole.left <= bytes.len());

    // Reads cut by a tiny generator seeded from the control byte: sizes
    // 1..=16, with every so often a large one.
    let mut state = u32::from(control) | 0x100;
    let cut = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        if state % 8 == 0 {
            4096
        } else {
            (state % 16) as usize + 1
        }
    };
    let pieces = in_pieces(bytes, limits, cut);
    // A stream that ends mid-frame leaves the same bytes unconsumed; one
    // that ends in an error may have read past the error in pieces, so the
    // rest is compared only for `Incomplete`.
    assert_eq!(whole.requests, pieces.requests, "pieces changed the requests");
    assert_eq!(whole.end, pieces.end, "pieces changed how the stream ended");
    if whole.end == ParseError::Incomplete {
        assert_eq!(whole.left, pieces.left);
    }

    for args in whole.requests.iter().flatten() {
        assert!(!args.is_empty());
        let frame = encode(args);
        let mut buf = BytesMut::from(&frame[..]);
        let again = parse_request(&mut buf, Limits::default()).expect("a valid frame parses");
        assert_eq!(again.as_ref(), Some(args), "round trip");
        assert!(buf.is_empty());
    }
});
