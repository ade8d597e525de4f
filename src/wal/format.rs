//! The log's bytes: a header, then records, each a RESP command inside a
//! checked frame.
//!
//! ```text
//! #convoy-wal 1\r\n                         header: magic and version
//! @0 31 9a3c01f2\r\n                         frame: database, payload length, CRC-32
//! *3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nhello\r\n   payload: the command, as Redis's AOF writes it
//! @0 29 5d0e77a1\r\n
//! ...
//! ```
//!
//! A frame line is `@<db> <len> <crc>`: the database the command runs in
//! (so commands from connections in different databases can interleave
//! without SELECT records), the payload's length in bytes, and the CRC-32
//! (IEEE, 8 lower-case hex digits) of `<db> <payload>`. The payload is a
//! RESP array of bulk strings, so `less` or `cat -A` shows a person what
//! was written, and the checksum tells a reader whether it is what was
//! written.
//!
//! Zero bytes where a record would start end the log cleanly: the writer
//! sets space aside ahead of its writes by filling it with zeros (see
//! [`Wal`](super::Wal)), and a record never starts with a zero byte.
//!
//! Reading stops at the first record that is not whole. A record cut off by
//! the end of the file (or followed only by zero bytes, which is what a
//! file system shows of space it allocated but never wrote) is a *torn
//! tail*: the crash happened mid-write, and nothing after it was ever
//! acknowledged as durable. Anything else (a bad frame line, a checksum
//! that does not match, a payload that is not a command) is *damage*.

use bytes::Bytes;

/// The first line of every log file.
pub const HEADER: &[u8] = b"#convoy-wal 1\r\n";

/// The longest frame line a reader accepts (`@` db, length, CRC, CRLF).
const MAX_FRAME_LINE: usize = 64;
/// The most arguments a record may have, and the largest argument: a
/// damaged length must not make the reader allocate without bound.
const MAX_ARGS: usize = 1 << 24;
const MAX_ARG_LEN: usize = 512 << 20;

/// Append one record: `args` run in database `db`.
pub fn encode(db: usize, args: &[&[u8]], out: &mut Vec<u8>) {
    let payload_len: usize = resp_array_len(args);
    let mut db_text = itoa::Buffer::new();
    let db_text = db_text.format(db);
    let start = out.len();
    // The frame line holds the payload's CRC: write the line with a
    // placeholder, the payload after it, then fill the CRC in.
    out.reserve(payload_len + MAX_FRAME_LINE);
    let mut crc = crc32fast::Hasher::new();
    crc.update(db_text.as_bytes());
    crc.update(b" ");
    let payload_at = {
        out.push(b'@');
        out.extend_from_slice(db_text.as_bytes());
        out.push(b' ');
        out.extend_from_slice(itoa::Buffer::new().format(payload_len).as_bytes());
        out.extend_from_slice(b" 00000000\r\n");
        out.len()
    };
    crate::resp::write_command(args, out);
    debug_assert_eq!(out.len() - payload_at, payload_len);
    crc.update(&out[payload_at..]);
    let crc = crc.finalize();
    for (i, digit) in out[payload_at - 10..payload_at - 2].iter_mut().enumerate() {
        *digit = b"0123456789abcdef"[(crc >> (28 - 4 * i)) as usize & 0xf];
    }
    debug_assert!(out[start..payload_at].len() <= MAX_FRAME_LINE);
}

/// The length of `args` written as a RESP array of bulk strings.
fn resp_array_len(args: &[&[u8]]) -> usize {
    let digits = |n: usize| itoa::Buffer::new().format(n).len();
    3 + digits(args.len()) + args.iter().map(|a| 5 + digits(a.len()) + a.len()).sum::<usize>()
}

/// One record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Where its frame line starts in the file.
    pub offset: u64,
    pub db: usize,
    pub args: Vec<Bytes>,
}

/// Why reading stopped before the end of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The file ends inside the record starting at `offset` (or only zero
    /// bytes follow it): a write the crash interrupted.
    Torn { offset: u64 },
    /// The record at `offset` is damaged: `why`.
    Damaged { offset: u64, why: String },
}

impl Stop {
    pub fn offset(&self) -> u64 {
        match self {
            Stop::Torn { offset } | Stop::Damaged { offset, .. } => *offset,
        }
    }
}

/// Reads records from a whole log file held in memory.
#[derive(Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader positioned after the header; an error if the header is
    /// missing or of another version. An empty file is a log with no
    /// records.
    pub fn new(data: &'a [u8]) -> Result<Reader<'a>, String> {
        if data.is_empty() {
            return Ok(Reader { data, pos: 0 });
        }
        if data.len() < HEADER.len() && HEADER.starts_with(data) {
            // The header itself was torn: treat as empty.
            return Ok(Reader { data, pos: data.len() });
        }
        if !data.starts_with(HEADER) {
            if data.starts_with(b"#convoy-wal ") {
                return Err("unsupported log version (this convoy reads version 1)".into());
            }
            return Err("not a convoy write-ahead log (no '#convoy-wal 1' header)".into());
        }
        Ok(Reader { data, pos: HEADER.len() })
    }

    /// Where the next record would start: after the last whole record.
    pub fn position(&self) -> u64 {
        self.pos as u64
    }

    /// The next record, `Ok(None)` at a clean end, or why reading stopped.
    pub fn next_record(&mut self) -> Result<Option<Record>, Stop> {
        let start = self.pos;
        let rest = &self.data[start..];
        // Zero bytes where a record would start are space the log set
        // aside ahead of its writes (see `Wal`'s preallocation) and never
        // filled: the log ends here. A record never starts with a zero.
        if rest.iter().all(|&b| b == 0) {
            return Ok(None);
        }
        let offset = start as u64;
        let torn = Stop::Torn { offset };
        // `end`: where the record ends by its frame line, if that was read.
        let damaged = |why: &str, end: Option<usize>| {
            if zero_filled(rest, end) {
                Stop::Torn { offset }
            } else {
                Stop::Damaged { offset, why: why.to_string() }
            }
        };
        let Some(line_end) = memchr::memmem::find(&rest[..rest.len().min(MAX_FRAME_LINE)], b"\r\n") else {
            return Err(if rest.len() < MAX_FRAME_LINE && !rest.contains(&0) && rest[0] == b'@' {
                torn
            } else {
                damaged("no frame line", None)
            });
        };
        let line = &rest[..line_end];
        let Some((db, len, crc)) = parse_frame_line(line) else {
            return Err(damaged("bad frame line", None));
        };
        let payload_at = line_end + 2;
        if rest.len() < payload_at + len {
            // The record runs past the end of the file: the crash cut it
            // off, unless a whole command is already there. A cut record
            // holds only the start of its command; a whole one means the
            // length itself is wrong (a changed digit), and what follows
            // may be more records, which must not be dropped as a tail.
            if parse_array(&rest[payload_at..]).is_some() {
                return Err(Stop::Damaged { offset, why: "the length runs past the record's command".into() });
            }
            return Err(torn);
        }
        let end = Some(payload_at + len);
        let payload = &rest[payload_at..payload_at + len];
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&line[1..line.iter().position(|&b| b == b' ').expect("parsed") + 1]);
        hasher.update(payload);
        if hasher.finalize() != crc {
            return Err(damaged("checksum mismatch", end));
        }
        let args = parse_payload(payload).ok_or_else(|| damaged("payload is not a RESP array of bulk strings", end))?;
        self.pos = start + payload_at + len;
        Ok(Some(Record { offset, db, args }))
    }
}

/// Whether `rest` (a record that does not read, and everything after it)
/// is the written start of a record followed by zero bytes to the end of
/// the file: what a file system shows when a crash came after the file
/// grew but before the record's last blocks were written. That is a torn
/// tail, not damage. `end` is where the record ends by its frame line
/// (`None` if the frame line itself does not read): no byte after it may
/// be written, else the zeros are not a tail.
fn zero_filled(rest: &[u8], end: Option<usize>) -> bool {
    let written = rest.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    if written == rest.len() {
        return false; // no zeros at the end: the record itself is wrong
    }
    match end {
        _ if written == 0 => true,
        Some(end) => written <= end,
        // Only a frame line can have been cut: no line end among the
        // written bytes, and no more of them than a frame line has.
        None => written < MAX_FRAME_LINE && memchr::memmem::find(&rest[..written], b"\r\n").is_none(),
    }
}

/// `@<db> <len> <crc>` (without CRLF) into its three numbers.
fn parse_frame_line(line: &[u8]) -> Option<(usize, usize, u32)> {
    let text = std::str::from_utf8(line.strip_prefix(b"@")?).ok()?;
    let mut parts = text.split(' ');
    let db = parts.next()?.parse().ok()?;
    let len = parts.next()?.parse().ok()?;
    // Exactly as written: 8 lower-case hex digits (an upper-case digit is
    // a changed byte, though it would parse to the same number).
    let crc = parts.next().filter(|h| h.len() == 8 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))?;
    let crc = u32::from_str_radix(crc, 16).ok()?;
    if parts.next().is_some() || len > MAX_ARG_LEN * 2 {
        return None;
    }
    Some((db, len, crc))
}

/// A RESP array of bulk strings, exactly filling `payload`.
fn parse_payload(payload: &[u8]) -> Option<Vec<Bytes>> {
    parse_array(payload).and_then(|(args, end)| (end == payload.len()).then_some(args))
}

/// A whole RESP array of bulk strings at the start of `data`, and where it
/// ends.
fn parse_array(payload: &[u8]) -> Option<(Vec<Bytes>, usize)> {
    // `*<n>` or `$<n>` at `pos`: the number, and moves `pos` past the line.
    fn line(payload: &[u8], pos: &mut usize, prefix: u8) -> Option<usize> {
        let rest = payload.get(*pos..)?;
        let end = memchr::memmem::find(rest, b"\r\n")?;
        let text = rest.get(..end)?.strip_prefix(&[prefix])?;
        let n = crate::num::parse_i64(text).filter(|&n| n >= 0)? as usize;
        *pos += end + 2;
        Some(n)
    }
    let mut pos = 0;
    let argc = line(payload, &mut pos, b'*')?;
    if argc == 0 || argc > MAX_ARGS {
        return None;
    }
    let mut args = Vec::with_capacity(argc.min(1024));
    for _ in 0..argc {
        let len = line(payload, &mut pos, b'$')?;
        if len > MAX_ARG_LEN {
            return None;
        }
        let arg = payload.get(pos..pos + len)?;
        if payload.get(pos + len..pos + len + 2)? != b"\r\n" {
            return None;
        }
        args.push(Bytes::copy_from_slice(arg));
        pos += len + 2;
    }
    Some((args, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_of(records: &[(usize, &[&[u8]])]) -> Vec<u8> {
        let mut out = HEADER.to_vec();
        for (db, args) in records {
            encode(*db, args, &mut out);
        }
        out
    }

    fn read_all(data: &[u8]) -> (Vec<Record>, Option<Stop>) {
        let mut r = Reader::new(data).unwrap();
        let mut out = Vec::new();
        loop {
            match r.next_record() {
                Ok(Some(rec)) => out.push(rec),
                Ok(None) => return (out, None),
                Err(stop) => return (out, Some(stop)),
            }
        }
    }

    #[test]
    fn records_round_trip_and_read_as_resp() {
        let data = log_of(&[(0, &[b"SET", b"k", b"v"]), (3, &[b"DEL", b"k\r\nx"])]);
        let text = String::from_utf8_lossy(&data);
        assert!(text.starts_with("#convoy-wal 1\r\n@0 27 "), "{text}");
        assert!(text.contains("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"));
        let (recs, stop) = read_all(&data);
        assert_eq!(stop, None);
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].db, 0);
        assert_eq!(recs[1].db, 3);
        assert_eq!(recs[1].args, vec![Bytes::from_static(b"DEL"), Bytes::from_static(b"k\r\nx")]);
        let mut first = Vec::new();
        encode(0, &[b"SET", b"k", b"v"], &mut first);
        assert_eq!(recs[0].offset, HEADER.len() as u64);
        assert_eq!(recs[1].offset, (HEADER.len() + first.len()) as u64);
    }

    #[test]
    fn every_cut_of_the_last_record_is_a_torn_tail() {
        let data = log_of(&[(0, &[b"SET", b"a", b"1"]), (0, &[b"SET", b"b", b"2"])]);
        let (whole, _) = read_all(&data);
        let second = whole[1].offset as usize;
        for cut in second + 1..data.len() {
            let (recs, stop) = read_all(&data[..cut]);
            assert_eq!(recs.len(), 1, "cut at {cut}");
            assert_eq!(stop, Some(Stop::Torn { offset: second as u64 }), "cut at {cut}");
        }
        // Zero bytes after the last whole record are space set aside and
        // never written: a clean end, every record read.
        let mut zeros = data.clone();
        zeros.extend_from_slice(&[0; 100]);
        let (recs, stop) = read_all(&zeros);
        assert_eq!((recs.len(), stop), (2, None));
        // A cut record followed by zero bytes (the file grew, its last
        // blocks were never written), whether they stop inside the record
        // or go past its end.
        for cut in second + 1..data.len() {
            for end in [data.len(), data.len() + 100] {
                let mut filled = data[..cut].to_vec();
                filled.resize(end, 0);
                let (recs, stop) = read_all(&filled);
                assert_eq!(recs.len(), 1, "cut at {cut}, zeros to {end}");
                assert_eq!(stop, Some(Stop::Torn { offset: second as u64 }), "cut at {cut}, zeros to {end}");
            }
        }
        // But zero bytes after a damaged record with whole records after
        // it are not a tail, and neither is a wrong record ending the file.
        let mut bad = data.clone();
        bad[whole[0].offset as usize + 20] ^= 0x01;
        let mut bad_then_zeros = bad.clone();
        bad_then_zeros.extend_from_slice(&[0; 100]);
        assert!(matches!(read_all(&bad_then_zeros).1, Some(Stop::Damaged { offset, .. }) if offset == whole[0].offset));
        let mut last_bad = data.clone();
        last_bad[data.len() - 3] ^= 0x01;
        assert!(matches!(read_all(&last_bad).1, Some(Stop::Damaged { offset, .. }) if offset == second as u64));
    }

    #[test]
    fn a_flipped_byte_before_the_tail_is_damage_at_its_record() {
        let data = log_of(&[(0, &[b"SET", b"a", b"1"]), (0, &[b"SET", b"b", b"2"]), (0, &[b"SET", b"c", b"3"])]);
        let (whole, _) = read_all(&data);
        for i in whole[1].offset as usize..whole[2].offset as usize {
            let mut bad = data.clone();
            bad[i] ^= 0x20;
            let (recs, stop) = read_all(&bad);
            assert_eq!(recs.len(), 1, "flip at {i}");
            match stop {
                Some(Stop::Damaged { offset, .. }) => assert_eq!(offset, whole[1].offset, "flip at {i}"),
                other => panic!("flip at {i}: {other:?}"),
            }
        }
        // A length digit changed to any other digit (a longer record may
        // then run past the end of the file) is damage too, in the middle
        // record and in the last.
        for record in [1, 2] {
            let at = whole[record].offset as usize + 3;
            assert!(data[at].is_ascii_digit() && data[at + 1].is_ascii_digit() && data[at + 2] == b' ');
            for digit in b'0'..=b'9' {
                if digit == data[at] {
                    continue;
                }
                let mut bad = data.clone();
                bad[at] = digit;
                let (recs, stop) = read_all(&bad);
                assert_eq!(recs.len(), record, "length digit {}", digit as char);
                assert!(
                    matches!(&stop, Some(Stop::Damaged { offset, .. }) if *offset == whole[record].offset),
                    "record {record}, length digit {}: {stop:?}",
                    digit as char
                );
            }
        }
    }

    #[test]
    fn headers_are_checked() {
        assert!(Reader::new(b"").is_ok());
        assert!(Reader::new(b"#convoy-w").is_ok(), "a torn header is an empty log");
        assert!(Reader::new(b"*3\r\n$3\r\nSET\r\n").unwrap_err().contains("not a convoy"));
        assert!(Reader::new(b"#convoy-wal 2\r\n").unwrap_err().contains("version"));
    }
}
