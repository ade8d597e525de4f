//! Property tests of the RESP request parser (`src/resp/parse.rs`), in
//! process, no server: any bytes in, no panic and no byte claimed that was
//! not given; every valid request (multibulk frame or inline command)
//! encoded and parsed back gives the same arguments, whether it arrives at
//! once or cut into arbitrary reads, and a connection's resumable
//! [`RequestParser`] agrees with the stateless [`parse_request`].
//!
//! Case counts are chosen so the file runs in about a second in a debug
//! build; `PROPTEST_CASES=100000 cargo test --test parser_props` runs more.
//! The `resp_parse` fuzz target (`fuzz/`) checks the same properties
//! without a time budget.

mod common;

use bytes::{Bytes, BytesMut};
use common::parse_check::{self, at_once, Outcome};
use convoy::resp::parse::{split_inline, Limits, ParseError, Request, RequestParser};
use proptest::prelude::*;

/// Feed `bytes` to a connection's parser in reads of the given sizes,
/// cycled.
fn in_reads(bytes: &[u8], limits: Limits, sizes: &[usize]) -> Outcome {
    let mut next = sizes.iter().cycle();
    parse_check::in_reads(bytes, limits, || *next.next().expect("at least one size")).0
}

/// A command as a multibulk frame (the suite's one encoder).
fn multibulk(args: &[Vec<u8>]) -> Vec<u8> {
    common::encode_cmd(&args.iter().map(Vec::as_slice).collect::<Vec<_>>())
}

/// A command as an inline line: each word double-quoted with every byte
/// that is not plain printable ASCII written as `\xHH`, or bare when it is
/// plain letters and digits.
fn inline(args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        if !a.is_empty() && a.iter().all(|c| c.is_ascii_alphanumeric()) {
            out.extend_from_slice(a);
            continue;
        }
        out.push(b'"');
        for &c in a {
            match c {
                b'"' | b'\\' => out.extend_from_slice(&[b'\\', c]),
                b' '..=b'~' => out.push(c),
                _ => out.extend_from_slice(format!("\\x{c:02x}").as_bytes()),
            }
        }
        out.push(b'"');
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn to_bytes(args: &[Vec<u8>]) -> Vec<Bytes> {
    args.iter().map(|a| Bytes::copy_from_slice(a)).collect()
}

/// Bytes that look like RESP often enough to reach deep into the parser:
/// pieces of frames, lengths (good, negative, huge), quotes, escapes, NULs,
/// lone `\r` and `\n`, and raw junk.
fn resp_like() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"*".to_vec()),
        Just(b"$".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\0".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"'".to_vec()),
        Just(b"\\x4".to_vec()),
        Just(b" ".to_vec()),
        Just(b"PING".to_vec()),
        (0i64..20).prop_map(|n| n.to_string().into_bytes()),
        (-3i64..0).prop_map(|n| n.to_string().into_bytes()),
        Just(b"2147483648".to_vec()),
        Just(b"536870913".to_vec()),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(piece, 0..48).prop_map(|pieces| pieces.concat())
}

fn arg() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![prop::collection::vec(any::<u8>(), 0..40), "[a-zA-Z0-9]{1,12}".prop_map(String::into_bytes),]
}

fn command() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(arg(), 1..6)
}

fn read_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..24, 1..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any bytes, raw or RESP-like, with either bulk limit: no panic, no
    /// byte claimed beyond those given, and reads of any size give the same
    /// requests and the same ending as the bytes at once.
    #[test]
    fn any_bytes_parse_alike_at_once_and_in_reads(
        bytes in prop_oneof![resp_like(), prop::collection::vec(any::<u8>(), 0..256)],
        sizes in read_sizes(),
        small_limit in any::<bool>(),
    ) {
        let limits = if small_limit { Limits { max_bulk_len: 4 } } else { Limits::default() };
        let (whole, left) = at_once(&bytes, limits);
        prop_assert!(left <= bytes.len());
        prop_assert_eq!(in_reads(&bytes, limits, &sizes), whole);
    }

    /// Valid multibulk frames, pipelined, parse back to their arguments,
    /// whatever the reads.
    #[test]
    fn multibulk_round_trip(commands in prop::collection::vec(command(), 1..6), sizes in read_sizes()) {
        let stream: Vec<u8> = commands.iter().flat_map(|c| multibulk(c)).collect();
        let want: Vec<Option<Request>> = commands.iter().map(|c| Some(to_bytes(c))).collect();
        let (whole, left) = at_once(&stream, Limits::default());
        prop_assert_eq!(&whole, &Outcome { requests: want, end: ParseError::Incomplete });
        prop_assert_eq!(left, 0);
        prop_assert_eq!(in_reads(&stream, Limits::default(), &sizes), whole);
    }

    /// Valid inline commands (quoted, with `\xHH` escapes for any byte)
    /// parse back to their arguments, whatever the reads; so does the line
    /// alone through `split_inline`.
    #[test]
    fn inline_round_trip(commands in prop::collection::vec(command(), 1..6), sizes in read_sizes()) {
        let stream: Vec<u8> = commands.iter().flat_map(|c| inline(c)).collect();
        let want: Vec<Option<Request>> = commands.iter().map(|c| Some(to_bytes(c))).collect();
        let (whole, left) = at_once(&stream, Limits::default());
        prop_assert_eq!(&whole, &Outcome { requests: want, end: ParseError::Incomplete });
        prop_assert_eq!(left, 0);
        prop_assert_eq!(in_reads(&stream, Limits::default(), &sizes), whole);
        for c in &commands {
            let line = inline(c);
            prop_assert_eq!(split_inline(&line[..line.len() - 2]), Some(to_bytes(c)));
        }
    }

    /// A valid frame cut anywhere is incomplete, consumes nothing, and
    /// completes once the rest arrives.
    #[test]
    fn every_prefix_of_a_frame_is_incomplete(command in command(), cut in any::<prop::sample::Index>()) {
        let frame = multibulk(&command);
        let cut = cut.index(frame.len());
        let mut parser = RequestParser::new(Limits::default());
        let mut buf = BytesMut::from(&frame[..cut]);
        prop_assert_eq!(parser.parse(&mut buf), Err(ParseError::Incomplete));
        prop_assert_eq!(buf.len(), cut);
        buf.extend_from_slice(&frame[cut..]);
        prop_assert_eq!(parser.parse(&mut buf), Ok(Some(to_bytes(&command))));
        prop_assert!(buf.is_empty());
    }
}
