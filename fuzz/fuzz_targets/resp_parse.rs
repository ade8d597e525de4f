//! Bytes into the RESP request parser, whole and in arbitrary pieces.
//!
//! The first byte of an input chooses the limits and how the rest is cut
//! into reads; the rest is what a client sends. Checked for every input:
//!
//! - no panic, and the parser never consumes more than it was given;
//! - parsing the bytes at once with the stateless [`parse_request`] and
//!   feeding them piece by piece to a connection's `RequestParser` (which
//!   resumes a partly received frame where it stopped) give the same
//!   requests, in the same order, and the same final error;
//! - every request taken, encoded again as a multibulk frame, parses back
//!   to the same arguments.
#![no_main]

use bytes::BytesMut;
use convoy::resp::parse::{parse_request, Limits, ParseError};
use convoy::resp::write_command;
use libfuzzer_sys::fuzz_target;
use parse_check::{at_once, in_reads};

#[path = "../../tests/common/parse_check.rs"]
mod parse_check;

fn encode(args: &[bytes::Bytes]) -> Vec<u8> {
    let mut out = Vec::new();
    write_command(&args.iter().map(|a| &a[..]).collect::<Vec<_>>(), &mut out);
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, bytes)) = data.split_first() else { return };
    // A small bulk limit in half of the runs reaches the length check.
    let limits = if control & 1 == 0 { Limits::default() } else { Limits { max_bulk_len: 16 } };
    let (whole, whole_left) = at_once(bytes, limits);
    assert!(whole_left <= bytes.len());

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
    let (pieces, pieces_left) = in_reads(bytes, limits, cut);
    // A stream that ends mid-frame leaves the same bytes unconsumed; one
    // that ends in an error may have read past the error in pieces, so the
    // rest is compared only for `Incomplete`.
    assert_eq!(whole.requests, pieces.requests, "pieces changed the requests");
    assert_eq!(whole.end, pieces.end, "pieces changed how the stream ended");
    if whole.end == ParseError::Incomplete {
        assert_eq!(whole_left, pieces_left);
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
