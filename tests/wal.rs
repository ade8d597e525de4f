//! The write-ahead log end to end: recovery of torn and damaged files, the
//! records written for each kind of write (and their replay), BGREWRITEAOF,
//! and INFO persistence. Every test runs an in-process server on each
//! backend with `appendonly` on and a fresh directory; "restart" is: stop
//! the server (which writes and fsyncs the log) and start a new one on the
//! same directory.

mod common;

use common::{backends, eventually, Raw, TempDir, TestServer};
use convoy::config::{Backend, Config};
use convoy::wal::format::{Reader, Record, Stop};
use redis::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The configuration of a server logging to `dir`, as `TestServer` builds it.
fn config(backend: Backend, dir: &Path, tweak: impl FnOnce(&mut Config)) -> Config {
    let mut config = Config::default_for_tests();
    config.backend = backend;
    config.threads = Some(2);
    config.appendonly = true;
    config.dir = dir.to_path_buf();
    tweak(&mut config);
    config
}

/// A server logging to `dir` (replaying what is there first).
fn start(backend: Backend, dir: &Path) -> TestServer {
    start_with(backend, dir, |_| {})
}

fn start_with(backend: Backend, dir: &Path, tweak: impl FnOnce(&mut Config)) -> TestServer {
    TestServer::start_with(backend, |c| {
        c.appendonly = true;
        c.dir = dir.to_path_buf();
        tweak(c);
    })
}

/// Stop `server` (flushing and fsyncing its log) and start another on the
/// same directory with the same settings.
fn restart(server: TestServer, dir: &Path) -> TestServer {
    restart_with(server, dir, |_| {})
}

fn restart_with(server: TestServer, dir: &Path, tweak: impl FnOnce(&mut Config)) -> TestServer {
    let backend = server.backend;
    drop(server);
    start_with(backend, dir, tweak)
}

/// Every whole record of the log file at `path`, and why reading stopped
/// early (if it did).
fn read_log(path: &Path) -> (Vec<Record>, Option<Stop>) {
    let data = std::fs::read(path).expect("read log");
    read_bytes(&data)
}

fn read_bytes(data: &[u8]) -> (Vec<Record>, Option<Stop>) {
    let mut reader = Reader::new(data).expect("log header");
    let mut out = Vec::new();
    loop {
        match reader.next_record() {
            Ok(Some(r)) => out.push(r),
            Ok(None) => return (out, None),
            Err(stop) => return (out, Some(stop)),
        }
    }
}

/// Where the log's records end in the file at `path`: its length, less
/// the zeros the server sets aside ahead of its writes (cut off when it
/// stops).
fn log_len(path: &Path) -> u64 {
    records_end(&std::fs::read(path).unwrap_or_default())
}

/// Where the whole records in `data` (a log's bytes) end.
fn records_end(data: &[u8]) -> u64 {
    if data.is_empty() {
        return 0;
    }
    let mut reader = Reader::new(data).expect("a convoy log");
    while let Ok(Some(_)) = reader.next_record() {}
    reader.position()
}

/// A record's arguments as text.
fn text(record: &Record) -> Vec<String> {
    record.args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect()
}

/// Reads the records a server appends, a batch at a time. Under the
/// default `everysec` a write is acknowledged once its record is in the
/// file, so after a reply its record can be read back.
struct LogTail {
    path: PathBuf,
    from: u64,
}

impl LogTail {
    /// Starting at the current end of the file.
    fn new(path: PathBuf) -> LogTail {
        let from = log_len(&path);
        LogTail { path, from }
    }

    /// The records appended since the last call, as (db, args).
    fn next(&mut self) -> Vec<(usize, Vec<String>)> {
        let data = std::fs::read(&self.path).expect("read log");
        let (records, stop) = read_bytes(&data);
        assert_eq!(stop, None, "the live log reads cleanly");
        let new = records.iter().filter(|r| r.offset >= self.from).map(|r| (r.db, text(r))).collect();
        self.from = records_end(&data);
        new
    }
}

/// `["SET", "k", "v"]` as owned strings, for comparing with records.
fn strs(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// One field of an INFO reply.
fn info_field(raw: &mut Raw, section: &str, name: &str) -> String {
    let info = raw.cmd(&["INFO", section]);
    let prefix = format!("{name}:");
    info.split("\r\n")
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("INFO {section} has no {name}: {info}"))
        .to_string()
}

fn info_u64(raw: &mut Raw, name: &str) -> u64 {
    info_field(raw, "persistence", name).parse().expect("a number")
}

fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

/// A bulk string's encoding.
fn bulk(s: &str) -> String {
    format!("${}\r\n{}\r\n", s.len(), s)
}

/// An integer reply's value.
fn int(reply: &str) -> i64 {
    reply.strip_prefix(':').and_then(|r| r.strip_suffix("\r\n")).and_then(|n| n.parse().ok()).unwrap_or_else(|| {
        panic!("not an integer reply: {reply:?}");
    })
}

/// Everything a client can see of the keyspace, in every database: per
/// key its type, contents (collections whose order is not defined,
/// sorted) and absolute expiry time (PEXPIRETIME). Pipelined: a keyspace
/// of many thousand keys takes a few round trips.
fn dump(server: &TestServer) -> BTreeMap<(usize, Vec<u8>), String> {
    let mut con = server.client();
    let mut out = BTreeMap::new();
    let databases: usize = {
        let v: Vec<String> = redis::cmd("CONFIG").arg("GET").arg("databases").query(&mut con).unwrap();
        v[1].parse().unwrap()
    };
    for db in 0..databases {
        redis::cmd("SELECT").arg(db).query::<()>(&mut con).unwrap();
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
        for keys in keys.chunks(500) {
            let mut types = redis::pipe();
            for key in keys {
                types.cmd("TYPE").arg(key);
            }
            let types: Vec<String> = types.query(&mut con).unwrap();
            let mut contents = redis::pipe();
            for (key, ty) in keys.iter().zip(&types) {
                match ty.as_str() {
                    "string" => contents.cmd("GET").arg(key),
                    "list" => contents.cmd("LRANGE").arg(key).arg(0).arg(-1),
                    "hash" => contents.cmd("HGETALL").arg(key),
                    "set" => contents.cmd("SMEMBERS").arg(key),
                    "zset" => contents.cmd("ZRANGE").arg(key).arg(0).arg(-1).arg("WITHSCORES"),
                    "stream" => contents.cmd("XRANGE").arg(key).arg("-").arg("+"),
                    other => panic!("unexpected type {other}"),
                };
                contents.cmd("PEXPIRETIME").arg(key);
            }
            let values: Vec<Value> = contents.query(&mut con).unwrap();
            for ((key, ty), pair) in keys.iter().zip(&types).zip(values.chunks(2)) {
                let value = match (ty.as_str(), &pair[0]) {
                    ("hash", Value::Array(items)) => {
                        let mut pairs: Vec<String> = items.chunks(2).map(|p| format!("{p:?}")).collect();
                        pairs.sort();
                        pairs.join(",")
                    }
                    ("set", Value::Array(items) | Value::Set(items)) => {
                        let mut members: Vec<String> = items.iter().map(|m| format!("{m:?}")).collect();
                        members.sort();
                        members.join(",")
                    }
                    (_, v) => format!("{v:?}"),
                };
                out.insert((db, key.clone()), format!("{ty} expires={:?} {value}", pair[1]));
            }
        }
    }
    out
}

/// Assert two dumps are equal, naming the first keys that differ.
fn assert_same_dump(
    before: &BTreeMap<(usize, Vec<u8>), String>,
    after: &BTreeMap<(usize, Vec<u8>), String>,
    what: &str,
) {
    if before == after {
        return;
    }
    let mut diffs = Vec::new();
    for (k, v) in before {
        match after.get(k) {
            Some(w) if w == v => {}
            w => diffs.push(format!(
                "db {} {:?}: before {v:.200} / after {:.200}",
                k.0,
                String::from_utf8_lossy(&k.1),
                w.map_or("(missing)", |w| w)
            )),
        }
    }
    for (k, w) in after {
        if !before.contains_key(k) {
            diffs.push(format!("db {} {:?}: not there before, after {w:.200}", k.0, String::from_utf8_lossy(&k.1)));
        }
    }
    panic!("{what}: {} of {} keys differ; first: {:#?}", diffs.len(), before.len(), &diffs[..diffs.len().min(8)]);
}

// ---------------------------------------------------------------------------
// 1. A torn tail
// ---------------------------------------------------------------------------

/// The log of five `SET k<i> v<i>` written by a real server, the records'
/// offsets and the file's bytes.
fn five_sets(backend: Backend, dir: &TempDir) -> (Vec<Record>, Vec<u8>) {
    let server = start(backend, dir.path());
    let mut raw = server.raw();
    for i in 0..5 {
        assert_eq!(raw.cmd(&["SET", &format!("k{i}"), &format!("v{i}")]), "+OK\r\n");
    }
    drop(server);
    let data = std::fs::read(dir.log()).unwrap();
    let (records, stop) = read_bytes(&data);
    assert_eq!(stop, None);
    assert_eq!(
        records.iter().map(text).collect::<Vec<_>>(),
        (0..5).map(|i| strs(&["SET", &format!("k{i}"), &format!("v{i}")])).collect::<Vec<_>>()
    );
    (records, data)
}

/// A record cut anywhere inside, or cut and followed by zero bytes (space
/// the file system allocated but the crash never wrote), is dropped at
/// restart: every record before it is replayed, the file is cut back to
/// the last whole record, and new writes go after it and survive the next
/// restart.
#[test]
fn torn_tail_is_cut_off_and_the_log_goes_on() {
    for backend in backends() {
        let dir = TempDir::new("wal-torn");
        let (records, intact) = five_sets(backend, &dir);
        let last = records[4].offset as usize;
        let line_end = last + intact[last..].windows(2).position(|w| w == b"\r\n").unwrap() + 2;
        let cut = |n: usize| intact[..n].to_vec();
        let zero_filled = |n: usize| {
            let mut d = intact[..n].to_vec();
            d.resize(intact.len() + 4096, 0);
            d
        };
        // (what, the file, whether the fifth SET survives, the length the
        // file must be cut back to)
        let cases: Vec<(String, Vec<u8>, bool, usize)> = vec![
            ("cut after '@'".into(), cut(last + 1), false, last),
            ("cut inside the frame line".into(), cut(last + 4), false, last),
            ("cut before the frame line's LF".into(), cut(line_end - 1), false, last),
            ("cut after the frame line".into(), cut(line_end), false, last),
            ("cut inside the payload".into(), cut(line_end + 7), false, last),
            ("cut before the final CRLF".into(), cut(intact.len() - 2), false, last),
            ("cut before the final LF".into(), cut(intact.len() - 1), false, last),
            ("cut inside the payload, zero-filled".into(), zero_filled(line_end + 7), false, last),
            ("cut inside the frame line, zero-filled".into(), zero_filled(last + 3), false, last),
            ("whole, then zero bytes".into(), zero_filled(intact.len()), true, intact.len()),
        ];
        for (what, file, fifth_kept, valid_len) in cases {
            let what = format!("{backend:?}, {what}");
            std::fs::write(dir.log(), &file).unwrap();
            let server = start(backend, dir.path());
            assert_eq!(std::fs::metadata(dir.log()).unwrap().len(), valid_len as u64, "{what}: cut back");
            let mut raw = server.raw();
            for i in 0..4 {
                assert_eq!(raw.cmd(&["GET", &format!("k{i}")]), bulk(&format!("v{i}")), "{what}");
            }
            let fifth = if fifth_kept { bulk("v4") } else { "$-1\r\n".to_string() };
            assert_eq!(raw.cmd(&["GET", "k4"]), fifth, "{what}");
            assert_eq!(raw.cmd(&["SET", "after", "restart"]), "+OK\r\n");
            let server = restart(server, dir.path());
            let mut raw = server.raw();
            assert_eq!(raw.cmd(&["GET", "after"]), bulk("restart"), "{what}");
            assert_eq!(raw.cmd(&["GET", "k3"]), bulk("v3"), "{what}");
            assert_eq!(raw.cmd(&["GET", "k4"]), fifth, "{what}");
            assert_eq!(raw.cmd(&["DBSIZE"]), if fifth_kept { ":6\r\n" } else { ":5\r\n" }, "{what}");
            drop(server);
            let (after, stop) = read_log(&dir.log());
            assert_eq!(stop, None, "{what}: the log reads cleanly to its end");
            assert_eq!(after[after.len() - 1].offset, valid_len as u64, "{what}: appended after the last whole record");
            assert_eq!(text(&after[after.len() - 1]), strs(&["SET", "after", "restart"]), "{what}");
        }
    }
}

// ---------------------------------------------------------------------------
// 2. Damage before the tail
// ---------------------------------------------------------------------------

/// A changed byte inside an early record (its payload, its checksum, or
/// a digit of its length that makes it run past the end of the file)
/// stops the start with an error naming the file and that record's
/// offset, and leaves the file as it was; with `aof_truncate_corrupt` the
/// server starts with the records before the damage only, and the file is
/// cut there.
#[test]
fn damage_before_the_tail_refuses_to_start() {
    for backend in backends() {
        let dir = TempDir::new("wal-damage");
        let (records, intact) = five_sets(backend, &dir);
        let line_end = |r: usize| {
            let at = records[r].offset as usize;
            at + intact[at..].windows(2).position(|w| w == b"\r\n").unwrap() + 2
        };
        // Record 1's value ("v1" -> "v3"), a digit of its checksum, and the
        // first digit of record 3's length ("29" -> "99": longer than the
        // two records left).
        let value_at = records[2].offset as usize - 3;
        assert_eq!(intact[value_at], b'1');
        let crc_at = line_end(1) - 3;
        let length_at = records[3].offset as usize + 3;
        assert_eq!(&intact[length_at..length_at + 3], b"29 ");
        assert!(records[3].offset as usize + 16 + 99 > intact.len());
        for (what, target, at, byte) in [
            ("payload", 1, value_at, b'3'),
            ("checksum", 1, crc_at, if intact[crc_at] == b'a' { b'b' } else { b'a' }),
            ("length", 3, length_at, b'9'),
        ] {
            let what = format!("{backend:?}, {what}");
            let offset = records[target].offset;
            let mut bad = intact.clone();
            bad[at] = byte;
            std::fs::write(dir.log(), &bad).unwrap();
            let err = match convoy::server::spawn(config(backend, dir.path(), |_| {})) {
                Ok(_) => panic!("{what}: started on a damaged log"),
                Err(e) => e.to_string(),
            };
            assert!(err.contains(&dir.log().display().to_string()), "{what}: names the file: {err}");
            assert!(err.contains(&format!("offset {offset} ")), "{what}: names offset {offset}: {err}");
            assert!(err.contains("damaged record"), "{what}: {err}");
            assert_eq!(std::fs::read(dir.log()).unwrap(), bad, "{what}: a refused start leaves the file alone");

            let server = start_with(backend, dir.path(), |c| c.aof_truncate_corrupt = true);
            assert_eq!(std::fs::metadata(dir.log()).unwrap().len(), offset, "{what}: cut at the damage");
            let mut raw = server.raw();
            for i in 0..target {
                assert_eq!(raw.cmd(&["GET", &format!("k{i}")]), bulk(&format!("v{i}")), "{what}");
            }
            assert_eq!(raw.cmd(&["DBSIZE"]), format!(":{target}\r\n"), "{what}: nothing after the damage");
            assert_eq!(raw.cmd(&["SET", "k9", "new"]), "+OK\r\n");
            let server = restart(server, dir.path());
            let mut raw = server.raw();
            assert_eq!(
                raw.cmd(&["MGET", "k0", &format!("k{target}"), "k9"]),
                format!("*3\r\n{}$-1\r\n{}", bulk("v0"), bulk("new")),
                "{what}"
            );
        }
    }
}

/// A file cut inside its header is an empty log (the header is written
/// afresh); a file that is not a convoy log, or of another version, stops
/// the start and is left alone.
#[test]
fn headers_torn_foreign_and_newer() {
    for backend in backends() {
        let dir = TempDir::new("wal-header");
        std::fs::write(dir.log(), b"#convoy-w").unwrap();
        let server = start(backend, dir.path());
        assert_eq!(std::fs::read(dir.log()).unwrap(), convoy::wal::format::HEADER, "{backend:?}");
        assert_eq!(server.raw().cmd(&["SET", "k", "v"]), "+OK\r\n");
        let server = restart(server, dir.path());
        assert_eq!(server.raw().cmd(&["GET", "k"]), bulk("v"), "{backend:?}");
        drop(server);
        for (file, why) in [
            (&b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"[..], "not a convoy write-ahead log"),
            (b"#convoy-wal 2\r\n", "unsupported log version"),
        ] {
            std::fs::write(dir.log(), file).unwrap();
            let err = match convoy::server::spawn(config(backend, dir.path(), |c| c.aof_truncate_corrupt = true)) {
                Ok(_) => panic!("{backend:?}: started on {file:?}"),
                Err(e) => e.to_string(),
            };
            assert!(err.contains(why) && err.contains(&dir.log().display().to_string()), "{backend:?}: {err}");
            assert_eq!(std::fs::read(dir.log()).unwrap(), file, "{backend:?}: left alone");
        }
    }
}

/// A server stopped the moment it has started stops (quickly: shutdown
/// wakes the log's threads) and leaves a log holding only its header.
#[test]
fn stop_right_after_start() {
    for backend in backends() {
        let dir = TempDir::new("wal-stop");
        let (done, finished) = std::sync::mpsc::channel();
        let path = dir.path().to_path_buf();
        std::thread::spawn(move || {
            let started = Instant::now();
            drop(start(backend, &path));
            let _ = done.send(started.elapsed());
        });
        let took = finished.recv_timeout(Duration::from_secs(10)).unwrap_or_else(|_| panic!("{backend:?}: stop hangs"));
        assert!(took < Duration::from_secs(2), "{backend:?}: start and stop took {took:?}");
        assert_eq!(std::fs::read(dir.log()).unwrap(), convoy::wal::format::HEADER);
    }
}

// ---------------------------------------------------------------------------
// 3. Expiry and deletes
// ---------------------------------------------------------------------------

/// Every way to give a key a time to live is logged as an absolute time
/// (SET .. PXAT, PEXPIREAT), a time already past and every delete as DEL
/// (or the delete itself), a key removed by the server's expiry (active,
/// or found by a writer) as DEL; after a restart no expired or deleted key
/// is back, each TTL is the same absolute time (so it kept falling across
/// the restart), and PERSIST is kept.
#[test]
fn expiries_and_deletes_replay_as_absolute_times() {
    for backend in backends() {
        let dir = TempDir::new("wal-expiry");
        let server = start_with(backend, dir.path(), |c| c.hz = 100);
        let mut raw = server.raw();
        let mut tail = LogTail::new(dir.log());
        let expect_record =
            |raw: &mut Raw, tail: &mut LogTail, command: &[&str], reply: &str, record: Option<&[&str]>| {
                let before = unix_ms();
                assert_eq!(raw.cmd(command), reply, "{backend:?}: {command:?}");
                let after = unix_ms();
                let got = tail.next();
                match record {
                    None => assert_eq!(got, vec![], "{backend:?}: {command:?} logs nothing"),
                    Some(want) => {
                        assert_eq!(got.len(), 1, "{backend:?}: {command:?} logs one record: {got:?}");
                        let (db, args) = &got[0];
                        assert_eq!(*db, 0);
                        assert_eq!(args.len(), want.len(), "{backend:?}: {command:?} logged as {args:?}");
                        for (a, w) in args.iter().zip(want) {
                            // `+N` stands for "now + N ms" (between the times
                            // before and after the command), `=N` for N.
                            if let Some(ms) = w.strip_prefix('+') {
                                let ms: u64 = ms.parse().unwrap();
                                let at: u64 =
                                    a.parse().unwrap_or_else(|_| panic!("{backend:?}: {command:?}: {a} is a time"));
                                assert!(
                                    (before + ms..=after + ms).contains(&at),
                                    "{backend:?}: {command:?} logged {at}, not now + {ms} ms ({}..={})",
                                    before + ms,
                                    after + ms
                                );
                            } else {
                                assert_eq!(
                                    a,
                                    w.strip_prefix('=').unwrap_or(w),
                                    "{backend:?}: {command:?} logged as {args:?}"
                                );
                            }
                        }
                    }
                }
            };
        let in_100s_s = (unix_ms() / 1000 + 100).to_string();
        let in_100s_ms = (unix_ms() + 100_000).to_string();
        let in_100s_s_ms = format!("={}", in_100s_s.parse::<u64>().unwrap() * 1000);
        let at_ms = format!("={in_100s_ms}");
        let ok = "+OK\r\n";
        let one = ":1\r\n";
        let v = bulk("v");
        for (command, reply, record) in [
            (&["SET", "ex", "v", "EX", "100"][..], ok, Some(&["SET", "ex", "v", "PXAT", "+100000"][..])),
            (&["SET", "px", "v", "PX", "100000"], ok, Some(&["SET", "px", "v", "PXAT", "+100000"])),
            (&["SET", "exat", "v", "EXAT", &in_100s_s], ok, Some(&["SET", "exat", "v", "PXAT", &in_100s_s_ms])),
            (&["SET", "pxat", "v", "PXAT", &in_100s_ms], ok, Some(&["SET", "pxat", "v", "PXAT", &at_ms])),
            (&["SET", "xxget", "old"], ok, Some(&["SET", "xxget", "old"])),
            (
                &["SET", "xxget", "v", "XX", "GET", "EX", "100"],
                &bulk("old"),
                Some(&["SET", "xxget", "v", "XX", "GET", "PXAT", "+100000"]),
            ),
            (&["SETEX", "setex", "100", "v"], ok, Some(&["SET", "setex", "v", "PXAT", "+100000"])),
            (&["PSETEX", "psetex", "100000", "v"], ok, Some(&["SET", "psetex", "v", "PXAT", "+100000"])),
            (&["SET", "expire", "v"], ok, Some(&["SET", "expire", "v"])),
            (&["EXPIRE", "expire", "100"], one, Some(&["PEXPIREAT", "expire", "+100000"])),
            (&["SET", "pexpire", "v"], ok, Some(&["SET", "pexpire", "v"])),
            (&["PEXPIRE", "pexpire", "100000"], one, Some(&["PEXPIREAT", "pexpire", "+100000"])),
            (&["SET", "expireat", "v"], ok, Some(&["SET", "expireat", "v"])),
            (&["EXPIREAT", "expireat", &in_100s_s], one, Some(&["PEXPIREAT", "expireat", &in_100s_s_ms])),
            (&["SET", "pexpireat", "v"], ok, Some(&["SET", "pexpireat", "v"])),
            (&["PEXPIREAT", "pexpireat", &in_100s_ms], one, Some(&["PEXPIREAT", "pexpireat", &at_ms])),
            (&["SET", "getex", "v"], ok, Some(&["SET", "getex", "v"])),
            (&["GETEX", "getex", "EX", "100"], &v, Some(&["PEXPIREAT", "getex", "+100000"])),
            (&["GETEX", "getex"], &v, None),
            (&["SET", "persist", "v", "EX", "100"], ok, Some(&["SET", "persist", "v", "PXAT", "+100000"])),
            (&["PERSIST", "persist"], one, Some(&["PERSIST", "persist"])),
            (&["PERSIST", "persist"], ":0\r\n", None),
            (&["SET", "getexpersist", "v", "PX", "100000"], ok, Some(&["SET", "getexpersist", "v", "PXAT", "+100000"])),
            (&["GETEX", "getexpersist", "PERSIST"], &v, Some(&["PERSIST", "getexpersist"])),
            // Deletes, and expiry times already past.
            (&["SET", "del", "v"], ok, Some(&["SET", "del", "v"])),
            (&["DEL", "del", "nosuch"], one, Some(&["DEL", "del", "nosuch"])),
            (&["SET", "unlink", "v"], ok, Some(&["SET", "unlink", "v"])),
            (&["UNLINK", "unlink"], one, Some(&["UNLINK", "unlink"])),
            (&["SET", "getdel", "v"], ok, Some(&["SET", "getdel", "v"])),
            (&["GETDEL", "getdel"], &v, Some(&["GETDEL", "getdel"])),
            (&["SET", "past", "v"], ok, Some(&["SET", "past", "v"])),
            (&["EXPIRE", "past", "-1"], one, Some(&["DEL", "past"])),
            (&["SET", "pastat", "v"], ok, Some(&["SET", "pastat", "v"])),
            (&["PEXPIREAT", "pastat", "1"], one, Some(&["DEL", "pastat"])),
            (&["SET", "getexpast", "v"], ok, Some(&["SET", "getexpast", "v"])),
            (&["GETEX", "getexpast", "PXAT", "1"], &v, Some(&["DEL", "getexpast"])),
        ] {
            expect_record(&mut raw, &mut tail, command, reply, record);
        }
        // Removed by active expiry (hz 100): logged as DEL.
        expect_record(
            &mut raw,
            &mut tail,
            &["SET", "active", "v", "PX", "30"],
            ok,
            Some(&["SET", "active", "v", "PXAT", "+30"]),
        );
        let live = 14;
        assert!(
            eventually(Duration::from_secs(5), || raw.cmd(&["DBSIZE"]) == format!(":{live}\r\n")),
            "{backend:?}: active expiry removes the key"
        );
        assert_eq!(tail.next(), vec![(0, strs(&["DEL", "active"]))], "{backend:?}: active expiry logs DEL");
        // Found expired by a writer: DEL, then the write (on a fresh key).
        // Active expiry is slowed down (hz 1, taken up within its current
        // 10 ms period) so that the writer usually finds the key; if active
        // expiry gets there first, the records are the same.
        assert_eq!(raw.cmd(&["CONFIG", "SET", "hz", "1"]), ok);
        std::thread::sleep(Duration::from_millis(20));
        for (key, write, logged) in [
            ("touched", &["APPEND", "touched", "x"][..], &["APPEND", "touched", "x"][..]),
            // Replaced outright by SET.
            ("again", &["SET", "again", "new"], &["SET", "again", "new"]),
        ] {
            let set = ["SET", key, "old", "PX", "20"];
            expect_record(&mut raw, &mut tail, &set, ok, Some(&["SET", key, "old", "PXAT", "+20"]));
            std::thread::sleep(Duration::from_millis(30));
            assert!(!raw.cmd(write).starts_with('-'));
            assert_eq!(tail.next(), vec![(0, strs(&["DEL", key])), (0, strs(logged))], "{backend:?}");
        }

        let with_ttl = [
            "ex",
            "px",
            "exat",
            "pxat",
            "xxget",
            "setex",
            "psetex",
            "expire",
            "pexpire",
            "expireat",
            "pexpireat",
            "getex",
        ];
        let times: Vec<String> = with_ttl.iter().map(|k| raw.cmd(&["PEXPIRETIME", k])).collect();
        let pttl_before = int(&raw.cmd(&["PTTL", "ex"]));
        assert!((90_000..=100_000).contains(&pttl_before), "{backend:?}: PTTL {pttl_before}");
        let dump_before = dump(&server);
        std::thread::sleep(Duration::from_millis(20));

        let server = restart_with(server, dir.path(), |c| c.hz = 100);
        let mut raw = server.raw();
        let after: Vec<String> = with_ttl.iter().map(|k| raw.cmd(&["PEXPIRETIME", k])).collect();
        assert_eq!(after, times, "{backend:?}: the same absolute expiry times");
        let pttl_after = int(&raw.cmd(&["PTTL", "ex"]));
        assert!(pttl_after <= pttl_before - 20, "{backend:?}: PTTL went on falling: {pttl_before} then {pttl_after}");
        for k in ["persist", "getexpersist"] {
            assert_eq!(raw.cmd(&["TTL", k]), ":-1\r\n", "{backend:?}: {k} stays persistent");
        }
        for k in ["del", "unlink", "getdel", "past", "pastat", "getexpast", "active"] {
            assert_eq!(raw.cmd(&["EXISTS", k]), ":0\r\n", "{backend:?}: {k} is not back");
        }
        assert_eq!(raw.cmd(&["GET", "touched"]), bulk("x"), "{backend:?}");
        assert_eq!(raw.cmd(&["TTL", "touched"]), ":-1\r\n", "{backend:?}");
        assert_eq!(raw.cmd(&["GET", "again"]), bulk("new"), "{backend:?}");
        assert_eq!(raw.cmd(&["TTL", "again"]), ":-1\r\n", "{backend:?}");
        // DBSIZE counts keys that expired but were not removed yet: none.
        assert_eq!(raw.cmd(&["DBSIZE"]), format!(":{}\r\n", live + 2), "{backend:?}");
        assert_same_dump(&dump_before, &dump(&server), &format!("{backend:?}: keyspace across the restart"));
    }
}

// ---------------------------------------------------------------------------
// 4. What is logged for each write, and its replay
// ---------------------------------------------------------------------------

/// Run `command`, expect `reply`, and expect exactly `records` (in db 0)
/// appended to the log meanwhile.
fn logs(raw: &mut Raw, tail: &mut LogTail, command: &[&str], reply: &str, records: &[&[&str]]) {
    assert_eq!(raw.cmd(command), reply, "{command:?}");
    let want: Vec<(usize, Vec<String>)> = records.iter().map(|r| (0, strs(r))).collect();
    assert_eq!(tail.next(), want, "{command:?}");
}

/// A reply's bulk strings, in order (a bulk string, or an array of them).
fn bulks(reply: &str) -> Vec<String> {
    let lines: Vec<&str> = reply.split("\r\n").collect();
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with('$') && **l != "$-1")
        .map(|(i, _)| lines[i + 1].to_string())
        .collect()
}

/// Stop, restart and check that the keyspace is what it was.
fn restart_and_compare(server: TestServer, dir: &Path, what: &str) -> TestServer {
    let before = dump(&server);
    let server = restart(server, dir);
    assert_same_dump(&before, &dump(&server), what);
    server
}

/// Wait until `n` clients are blocked.
fn wait_blocked(raw: &mut Raw, n: usize) {
    let want = format!("blocked_clients:{n}\r\n");
    assert!(eventually(Duration::from_secs(5), || raw.cmd(&["INFO", "clients"]).contains(&want)), "{n} blocked");
}

/// Random and computed results are logged as what they were: SPOP as SREM
/// of the members popped, INCRBYFLOAT as SET .. KEEPTTL of the result,
/// HINCRBYFLOAT as HSET, XADD's `*` and `ms-*` as the ID made, whatever
/// the client's protocol; replay rebuilds the same keyspace.
#[test]
fn computed_writes_are_logged_as_their_results() {
    for backend in backends() {
        let dir = TempDir::new("wal-computed");
        let server = start(backend, dir.path());
        let mut raw = server.raw();
        let mut tail = LogTail::new(dir.log());
        let t = &mut tail;
        logs(
            &mut raw,
            t,
            &["SADD", "s", "a", "b", "c", "d", "e", "f"],
            ":6\r\n",
            &[&["SADD", "s", "a", "b", "c", "d", "e", "f"]],
        );
        let popped = bulks(&raw.cmd(&["SPOP", "s"]));
        assert_eq!(popped.len(), 1);
        assert_eq!(t.next(), vec![(0, strs(&["SREM", "s", &popped[0]]))], "{backend:?}: SPOP");
        let popped = bulks(&raw.cmd(&["SPOP", "s", "2"]));
        assert_eq!(popped.len(), 2);
        assert_eq!(t.next(), vec![(0, strs(&["SREM", "s", &popped[0], &popped[1]]))], "{backend:?}: SPOP 2");
        logs(&mut raw, t, &["SPOP", "s", "0"], "*0\r\n", &[]);
        logs(&mut raw, t, &["SPOP", "nosuch"], "$-1\r\n", &[]);
        logs(&mut raw, t, &["SPOP", "nosuch", "3"], "*0\r\n", &[]);
        let rest = bulks(&raw.cmd(&["SPOP", "s", "10"]));
        assert_eq!(rest.len(), 3);
        let mut want = vec!["SREM", "s"];
        want.extend(rest.iter().map(|m| m.as_str()));
        assert_eq!(t.next(), vec![(0, strs(&want))], "{backend:?}: SPOP of the whole set");
        logs(&mut raw, t, &["SADD", "s", "z"], ":1\r\n", &[&["SADD", "s", "z"]]);

        assert_eq!(raw.cmd(&["SET", "f", "10.5", "PX", "100000"]), "+OK\r\n");
        assert_eq!(t.next().len(), 1);
        logs(&mut raw, t, &["INCRBYFLOAT", "f", "0.1"], &bulk("10.6"), &[&["SET", "f", "10.6", "KEEPTTL"]]);
        logs(&mut raw, t, &["INCRBYFLOAT", "g", "3.0e3"], &bulk("3000"), &[&["SET", "g", "3000", "KEEPTTL"]]);
        logs(&mut raw, t, &["INCRBYFLOAT", "g", "x"], "-ERR value is not a valid float\r\n", &[]);
        logs(&mut raw, t, &["HSET", "h", "x", "1"], ":1\r\n", &[&["HSET", "h", "x", "1"]]);
        logs(&mut raw, t, &["HINCRBYFLOAT", "h", "x", "0.25"], &bulk("1.25"), &[&["HSET", "h", "x", "1.25"]]);
        logs(&mut raw, t, &["HINCRBYFLOAT", "h", "y", "-5"], &bulk("-5"), &[&["HSET", "h", "y", "-5"]]);

        let id = bulks(&raw.cmd(&["XADD", "x", "*", "a", "1"]))[0].clone();
        assert_eq!(t.next(), vec![(0, strs(&["XADD", "x", &id, "a", "1"]))], "{backend:?}: XADD *");
        let id = bulks(&raw.cmd(&["XADD", "x", "MAXLEN", "~", "2", "*", "b", "2"]))[0].clone();
        assert_eq!(t.next(), vec![(0, strs(&["XADD", "x", "MAXLEN", "~", "2", &id, "b", "2"]))], "{backend:?}");
        let id =
            bulks(&raw.cmd(&["XADD", "x", "NOMKSTREAM", "MINID", "~", "0", "LIMIT", "0", "*", "c", "3"]))[0].clone();
        assert_eq!(
            t.next(),
            vec![(0, strs(&["XADD", "x", "NOMKSTREAM", "MINID", "~", "0", "LIMIT", "0", &id, "c", "3"]))],
            "{backend:?}"
        );
        logs(&mut raw, t, &["XADD", "y", "5-*", "d", "4"], &bulk("5-0"), &[&["XADD", "y", "5-0", "d", "4"]]);
        logs(&mut raw, t, &["XADD", "y", "5-*", "d", "5"], &bulk("5-1"), &[&["XADD", "y", "5-1", "d", "5"]]);
        logs(&mut raw, t, &["XADD", "nokey", "NOMKSTREAM", "*", "a", "b"], "$-1\r\n", &[]);
        // The same from a RESP3 client, whose replies are other types (a
        // set for SPOP with a count).
        let mut resp3 = server.raw();
        assert!(resp3.cmd(&["HELLO", "3"]).starts_with('%'));
        logs(&mut resp3, t, &["SADD", "s3", "a", "b"], ":2\r\n", &[&["SADD", "s3", "a", "b"]]);
        let popped = bulks(&resp3.cmd(&["SPOP", "s3", "2"]));
        assert_eq!(popped.len(), 2);
        assert_eq!(t.next(), vec![(0, strs(&["SREM", "s3", &popped[0], &popped[1]]))], "{backend:?}: RESP3 SPOP 2");
        logs(&mut resp3, t, &["INCRBYFLOAT", "f3", "1.5"], &bulk("1.5"), &[&["SET", "f3", "1.5", "KEEPTTL"]]);
        logs(&mut resp3, t, &["RPUSH", "l3", "a"], ":1\r\n", &[&["RPUSH", "l3", "a"]]);
        logs(&mut resp3, t, &["BLPOP", "l3", "0"], &format!("*2\r\n{}{}", bulk("l3"), bulk("a")), &[&["LPOP", "l3"]]);
        logs(&mut resp3, t, &["ZADD", "z3", "1", "a"], ":1\r\n", &[&["ZADD", "z3", "1", "a"]]);
        logs(
            &mut resp3,
            t,
            &["BZPOPMIN", "z3", "0"],
            &format!("*3\r\n{}{},1\r\n", bulk("z3"), bulk("a")),
            &[&["ZPOPMIN", "z3"]],
        );
        drop((raw, resp3));
        let server = restart_and_compare(server, dir.path(), &format!("{backend:?}: computed writes"));
        let mut raw = server.raw();
        assert!(int(&raw.cmd(&["PTTL", "f"])) > 90_000, "{backend:?}: KEEPTTL kept the TTL");
        assert_eq!(
            raw.cmd(&["XADD", "y", "5-1", "e", "6"]),
            "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"
        );
    }
}

/// Blocking pops are logged as the plain pop or move that ran, whether
/// they found an element at once or were served after blocking; a timeout
/// logs nothing. Replay rebuilds the same lists and sorted sets.
#[test]
fn blocking_pops_are_logged_as_the_pop_that_ran() {
    for backend in backends() {
        let dir = TempDir::new("wal-blocking");
        let server = start(backend, dir.path());
        let mut raw = server.raw();
        let mut tail = LogTail::new(dir.log());
        let t = &mut tail;
        // Served at once.
        logs(&mut raw, t, &["RPUSH", "l", "a", "b", "c", "d"], ":4\r\n", &[&["RPUSH", "l", "a", "b", "c", "d"]]);
        let popped = format!("*2\r\n{}{}", bulk("l"), bulk("a"));
        logs(&mut raw, t, &["BLPOP", "nosuch", "l", "0"], &popped, &[&["LPOP", "l"]]);
        logs(
            &mut raw,
            t,
            &["BRPOP", "l", "nosuch", "0"],
            &format!("*2\r\n{}{}", bulk("l"), bulk("d")),
            &[&["RPOP", "l"]],
        );
        logs(
            &mut raw,
            t,
            &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
            ":3\r\n",
            &[&["ZADD", "z", "1", "a", "2", "b", "3", "c"]],
        );
        let zreply = |m: &str, s: &str| format!("*3\r\n{}{}{}", bulk("z"), bulk(m), bulk(s));
        logs(&mut raw, t, &["BZPOPMIN", "z", "0"], &zreply("a", "1"), &[&["ZPOPMIN", "z"]]);
        logs(&mut raw, t, &["BZPOPMAX", "nosuch", "z", "0"], &zreply("c", "3"), &[&["ZPOPMAX", "z"]]);
        logs(
            &mut raw,
            t,
            &["BLMOVE", "l", "dst", "LEFT", "RIGHT", "0"],
            &bulk("b"),
            &[&["LMOVE", "l", "dst", "LEFT", "RIGHT"]],
        );
        logs(&mut raw, t, &["RPUSH", "src", "1", "2"], ":2\r\n", &[&["RPUSH", "src", "1", "2"]]);
        logs(&mut raw, t, &["BRPOPLPUSH", "src", "dst", "0"], &bulk("2"), &[&["RPOPLPUSH", "src", "dst"]]);
        // Timeouts.
        logs(&mut raw, t, &["BLPOP", "nosuch", "0.01"], "*-1\r\n", &[]);
        logs(&mut raw, t, &["BZPOPMIN", "nosuch", "0.01"], "*-1\r\n", &[]);
        // (Redis answers a null array when BLMOVE times out, as for BLPOP.)
        logs(&mut raw, t, &["BLMOVE", "nosuch", "dst", "LEFT", "LEFT", "0.01"], "*-1\r\n", &[]);
        // Served after blocking: the push, then the pop.
        let mut blocked = server.raw();
        // (blocking command, the push that serves it, what the log holds
        // for it, its reply)
        type Served<'a> = (&'a [&'a str], &'a [&'a str], &'a [&'a str], String);
        let served: [Served; 5] = [
            (
                &["BLPOP", "w1", "0"],
                &["RPUSH", "w1", "x", "y"],
                &["LPOP", "w1"],
                format!("*2\r\n{}{}", bulk("w1"), bulk("x")),
            ),
            (
                &["BRPOP", "w2", "0"],
                &["RPUSH", "w2", "x", "y"],
                &["RPOP", "w2"],
                format!("*2\r\n{}{}", bulk("w2"), bulk("y")),
            ),
            (
                &["BZPOPMIN", "w3", "0"],
                &["ZADD", "w3", "1", "x", "2", "y"],
                &["ZPOPMIN", "w3"],
                format!("*3\r\n{}{}{}", bulk("w3"), bulk("x"), bulk("1")),
            ),
            (
                &["BLMOVE", "w4", "dst", "RIGHT", "LEFT", "0"],
                &["RPUSH", "w4", "x", "y"],
                &["LMOVE", "w4", "dst", "RIGHT", "LEFT"],
                bulk("y"),
            ),
            (&["BRPOPLPUSH", "w5", "dst", "0"], &["RPUSH", "w5", "x"], &["RPOPLPUSH", "w5", "dst"], bulk("x")),
        ];
        for (block, push, pop, reply) in served {
            let args: Vec<&[u8]> = block.iter().map(|a| a.as_bytes()).collect();
            blocked.send_cmd(&args);
            wait_blocked(&mut raw, 1);
            assert_eq!(t.next(), vec![], "{backend:?}: {block:?} blocked, nothing logged");
            raw.cmd(push);
            assert_eq!(blocked.reply(), reply, "{backend:?}: {block:?}");
            assert_eq!(t.next(), vec![(0, strs(push)), (0, strs(pop))], "{backend:?}: {block:?}");
        }
        drop((raw, blocked));
        restart_and_compare(server, dir.path(), &format!("{backend:?}: blocking pops"));
    }
}

/// Writes that changed nothing, and errors, are not logged.
#[test]
fn writes_that_change_nothing_are_not_logged() {
    for backend in backends() {
        let dir = TempDir::new("wal-noop");
        let server = start(backend, dir.path());
        let mut raw = server.raw();
        let mut tail = LogTail::new(dir.log());
        let t = &mut tail;
        raw.cmd(&["MSET", "k", "v", "n", "1"]);
        raw.cmd(&["RPUSH", "l", "a"]);
        raw.cmd(&["HSET", "h", "f", "v"]);
        raw.cmd(&["SADD", "s", "m"]);
        raw.cmd(&["ZADD", "z", "1", "m"]);
        raw.cmd(&["XADD", "x", "1-1", "f", "v"]);
        raw.cmd(&["SET", "ttl", "v", "EX", "100"]);
        assert_eq!(t.next().len(), 7);
        let none: &[&[&str]] = &[];
        for (command, reply) in [
            (&["SETNX", "k", "other"][..], ":0\r\n"),
            (&["SET", "k", "other", "NX"], "$-1\r\n"),
            (&["SET", "nosuch", "v", "XX"], "$-1\r\n"),
            (&["MSETNX", "k", "a", "new", "b"], ":0\r\n"),
            (&["DEL", "nosuch"], ":0\r\n"),
            (&["UNLINK", "nosuch", "other"], ":0\r\n"),
            (&["GETDEL", "nosuch"], "$-1\r\n"),
            (&["EXPIRE", "nosuch", "100"], ":0\r\n"),
            (&["PEXPIREAT", "nosuch", "1"], ":0\r\n"),
            (&["EXPIRE", "k", "100", "XX"], ":0\r\n"),
            (&["EXPIRE", "ttl", "100", "NX"], ":0\r\n"),
            (&["PERSIST", "k"], ":0\r\n"),
            (&["GETEX", "nosuch", "EX", "100"], "$-1\r\n"),
            (&["GETEX", "k"], &bulk("v")),
            (&["RENAMENX", "k", "n"], ":0\r\n"),
            (&["LPUSHX", "nosuch", "a"], ":0\r\n"),
            (&["RPUSHX", "nosuch", "a"], ":0\r\n"),
            (&["LPOP", "nosuch"], "$-1\r\n"),
            (&["RPOP", "l", "0"], "*0\r\n"),
            (&["LREM", "l", "0", "nosuch"], ":0\r\n"),
            (&["LMOVE", "nosuch", "l", "LEFT", "LEFT"], "$-1\r\n"),
            (&["RPOPLPUSH", "nosuch", "l"], "$-1\r\n"),
            (&["HDEL", "h", "nosuch"], ":0\r\n"),
            (&["HSETNX", "h", "f", "other"], ":0\r\n"),
            (&["SREM", "s", "nosuch"], ":0\r\n"),
            (&["ZREM", "z", "nosuch"], ":0\r\n"),
            (&["ZPOPMIN", "nosuch"], "*0\r\n"),
            (&["XDEL", "x", "9-9"], ":0\r\n"),
            // Errors change nothing.
            (&["INCR", "k"], "-ERR value is not an integer or out of range\r\n"),
            (&["LPUSH", "k", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (
                &["XADD", "x", "1-1", "f", "v"],
                "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n",
            ),
            (&["RENAME", "nosuch", "k"], "-ERR no such key\r\n"),
            (&["SET", "k", "v", "EX", "0"], "-ERR invalid expire time in 'set' command\r\n"),
            // Reads.
            (&["GET", "k"], &bulk("v")),
            (&["LRANGE", "l", "0", "-1"], &format!("*1\r\n{}", bulk("a"))),
        ] {
            logs(&mut raw, t, command, reply, none);
        }
        // A transaction of no-ops and reads logs nothing, not even MULTI/EXEC.
        assert_eq!(raw.cmd(&["MULTI"]), "+OK\r\n");
        raw.cmd(&["GET", "k"]);
        raw.cmd(&["DEL", "nosuch"]);
        raw.cmd(&["SETNX", "k", "x"]);
        assert_eq!(raw.cmd(&["EXEC"]), format!("*3\r\n{}:0\r\n:0\r\n", bulk("v")));
        assert_eq!(t.next(), vec![], "{backend:?}: a transaction that wrote nothing");
        drop(raw);
        restart_and_compare(server, dir.path(), &format!("{backend:?}: no-op writes"));
    }
}

/// A transaction's writes are logged between MULTI and EXEC records (no-op
/// writes and reads left out), and replay applies them; a transaction
/// whose EXEC record is missing or torn (the crash came while it was
/// written), or cut by `aof_truncate_corrupt` at a damaged record inside
/// it, is not applied at all, and the log is cut back to its MULTI.
#[test]
fn transactions_are_wrapped_and_a_cut_one_is_not_applied() {
    for backend in backends() {
        let dir = TempDir::new("wal-multi");
        let server = start(backend, dir.path());
        let mut raw = server.raw();
        let mut tail = LogTail::new(dir.log());
        raw.cmd(&["SET", "b", "old"]);
        raw.cmd(&["SET", "n", "41"]);
        tail.next();
        for c in [
            &["MULTI"][..],
            &["SET", "a", "1"],
            &["INCR", "n"],
            &["SETNX", "b", "x"],
            &["GET", "a"],
            &["RPUSH", "l", "x"],
        ] {
            raw.cmd(c);
        }
        assert_eq!(raw.cmd(&["EXEC"]), format!("*5\r\n+OK\r\n:42\r\n:0\r\n{}:1\r\n", bulk("1")));
        let want: Vec<(usize, Vec<String>)> =
            [&["MULTI"][..], &["SET", "a", "1"], &["INCR", "n"], &["RPUSH", "l", "x"], &["EXEC"]]
                .iter()
                .map(|r| (0, strs(r)))
                .collect();
        assert_eq!(tail.next(), want, "{backend:?}");
        // A second transaction, whose EXEC the crash will cut off.
        for c in
            [&["MULTI"][..], &["SET", "a", "2"], &["INCR", "n"], &["DEL", "b"], &["SELECT", "5"], &["SET", "in5", "v"]]
        {
            raw.cmd(c);
        }
        assert_eq!(raw.cmd(&["EXEC"]), "*5\r\n+OK\r\n:43\r\n:1\r\n+OK\r\n+OK\r\n");
        let records = tail.next();
        assert_eq!(
            records,
            vec![
                (0, strs(&["MULTI"])),
                (0, strs(&["SET", "a", "2"])),
                (0, strs(&["INCR", "n"])),
                (0, strs(&["DEL", "b"])),
                (5, strs(&["SET", "in5", "v"])),
                (5, strs(&["EXEC"])),
            ],
            "{backend:?}"
        );
        drop(raw);
        drop(server);
        let intact = std::fs::read(dir.log()).unwrap();
        let (all, _) = read_bytes(&intact);
        let exec = all[all.len() - 1].offset as usize;
        let multi = all[all.len() - 6].offset as usize;
        assert_eq!(text(&all[all.len() - 6]), strs(&["MULTI"]));
        // A damaged record inside the transaction (its INCR's payload),
        // cut there by --aof-truncate-corrupt: the transaction is dropped
        // whole, from its MULTI on.
        let mut damaged = intact.clone();
        let incr = all[all.len() - 4].offset as usize;
        assert_eq!(text(&all[all.len() - 4]), strs(&["INCR", "n"]));
        let last_byte = all[all.len() - 3].offset as usize - 3;
        damaged[last_byte] ^= 0x01;
        assert!(last_byte > incr);
        for (what, file) in [
            ("EXEC missing", intact[..exec].to_vec()),
            ("EXEC torn", intact[..intact.len() - 3].to_vec()),
            ("damage inside", damaged),
        ] {
            std::fs::write(dir.log(), &file).unwrap();
            let server = start_with(backend, dir.path(), |c| c.aof_truncate_corrupt = what == "damage inside");
            assert_eq!(
                std::fs::metadata(dir.log()).unwrap().len(),
                multi as u64,
                "{backend:?}, {what}: cut back to MULTI"
            );
            let mut raw = server.raw();
            assert_eq!(
                raw.cmd(&["MGET", "a", "n", "b"]),
                format!("*3\r\n{}{}{}", bulk("1"), bulk("42"), bulk("old")),
                "{backend:?}, {what}"
            );
            assert_eq!(raw.cmd(&["LRANGE", "l", "0", "-1"]), format!("*1\r\n{}", bulk("x")));
            raw.cmd(&["SELECT", "5"]);
            assert_eq!(raw.cmd(&["DBSIZE"]), ":0\r\n", "{backend:?}, {what}");
        }
        // The whole log replays the second transaction too.
        std::fs::write(dir.log(), &intact).unwrap();
        let server = start(backend, dir.path());
        let mut raw = server.raw();
        assert_eq!(
            raw.cmd(&["MGET", "a", "n", "b"]),
            format!("*3\r\n{}{}$-1\r\n", bulk("2"), bulk("43")),
            "{backend:?}"
        );
        raw.cmd(&["SELECT", "5"]);
        assert_eq!(raw.cmd(&["GET", "in5"]), bulk("v"), "{backend:?}");
    }
}

/// Writes in other databases are logged with their database and replay
/// there; SELECT itself is not logged.
#[test]
fn writes_replay_into_their_database() {
    for backend in backends() {
        let dir = TempDir::new("wal-dbs");
        let server = start(backend, dir.path());
        let mut raw = server.raw();
        let mut tail = LogTail::new(dir.log());
        raw.cmd(&["SET", "k", "zero"]);
        raw.cmd(&["SELECT", "3"]);
        raw.cmd(&["SET", "k", "three"]);
        raw.cmd(&["RPUSH", "l", "a"]);
        raw.cmd(&["SELECT", "15"]);
        raw.cmd(&["HSET", "h", "f", "v"]);
        let mut other = server.raw();
        other.cmd(&["SELECT", "3"]);
        other.cmd(&["DEL", "l"]);
        assert_eq!(
            tail.next(),
            vec![
                (0, strs(&["SET", "k", "zero"])),
                (3, strs(&["SET", "k", "three"])),
                (3, strs(&["RPUSH", "l", "a"])),
                (15, strs(&["HSET", "h", "f", "v"])),
                (3, strs(&["DEL", "l"])),
            ],
            "{backend:?}"
        );
        drop((raw, other));
        let server = restart_and_compare(server, dir.path(), &format!("{backend:?}: databases"));
        let mut raw = server.raw();
        assert_eq!(raw.cmd(&["GET", "k"]), bulk("zero"));
        raw.cmd(&["SELECT", "3"]);
        assert_eq!(raw.cmd(&["GET", "k"]), bulk("three"), "{backend:?}");
        assert_eq!(raw.cmd(&["DBSIZE"]), ":1\r\n", "{backend:?}");
        raw.cmd(&["SELECT", "15"]);
        assert_eq!(raw.cmd(&["HGET", "h", "f"]), bulk("v"), "{backend:?}");
    }
}

// ---------------------------------------------------------------------------
// 5. BGREWRITEAOF
// ---------------------------------------------------------------------------

const REWRITE_STARTED: &str = "+Background append only file rewriting started\r\n";
const REWRITE_RUNNING: &str = "-ERR Background append only file rewriting already in progress\r\n";

/// Wait until the rewrites done reach `n` and none is running; asserts the
/// last one succeeded.
fn wait_rewrites(raw: &mut Raw, n: u64) {
    let done = eventually(Duration::from_secs(60), || {
        info_u64(raw, "aof_rewrite_in_progress") == 0 && info_u64(raw, "aof_rewrites") >= n
    });
    assert!(done, "rewrite {n} never finished: {}", raw.cmd(&["INFO", "persistence"]));
    assert_eq!(info_u64(raw, "aof_rewrites"), n);
    assert_eq!(info_field(raw, "persistence", "aof_last_bgrewrite_status"), "ok");
}

/// Send many commands in one write and read all their replies.
fn pipeline(raw: &mut Raw, commands: &[Vec<String>]) -> Vec<String> {
    let mut bytes = Vec::new();
    for c in commands {
        let args: Vec<&[u8]> = c.iter().map(|a| a.as_bytes()).collect();
        bytes.extend(common::encode_cmd(&args));
    }
    raw.send(&bytes);
    commands.iter().map(|_| raw.reply()).collect()
}

fn cmd(args: &[&str]) -> Vec<String> {
    strs(args)
}

/// Every type, in several databases, after many overwrites: lists, hashes,
/// sets and sorted sets longer than one rewrite chunk (64), non-integer
/// and infinite scores, a stream whose last entry was deleted, one whose
/// entries were all deleted, one set back to 0-0 and one whose last ID
/// was lowered below its largest deleted ID (XSETID), an empty stream made
/// by trimming, keys with TTLs, binary keys and values.
fn fill_every_type(raw: &mut Raw) {
    let mut batch = Vec::new();
    for round in 0..20 {
        for i in 0..50 {
            batch.push(cmd(&["SET", &format!("str:{i}"), &format!("value {i} of round {round}")]));
            batch.push(cmd(&["INCR", &format!("counter:{}", i % 5)]));
        }
    }
    for i in 0..200 {
        batch.push(cmd(&["RPUSH", "list", &format!("element {i}")]));
    }
    batch.push(cmd(&["LPOP", "list", "3"]));
    batch.push(cmd(&["LPUSH", "list", "head"]));
    batch.push(cmd(&["RPUSH", "short", "a", "b"]));
    for i in 0..150 {
        batch.push(cmd(&["HSET", "hash", &format!("field {i}"), &format!("{i}")]));
    }
    batch.push(cmd(&["HDEL", "hash", "field 7", "field 8"]));
    batch.push(cmd(&["HINCRBYFLOAT", "hash", "float", "0.1"]));
    for i in 0..130 {
        batch.push(cmd(&["SADD", "set", &format!("member {i}")]));
    }
    batch.push(cmd(&["SREM", "set", "member 3"]));
    batch.push(cmd(&["SADD", "intset", "1", "2", "-3"]));
    for i in 0..100 {
        batch.push(cmd(&["ZADD", "zset", &format!("{}", i as f64 / 7.0), &format!("m{i}")]));
    }
    batch.push(cmd(&["ZADD", "zset", "0.1", "tenth", "-inf", "bottom", "+inf", "top", "1e-300", "tiny", "-0", "zero"]));
    batch.push(cmd(&["ZINCRBY", "zset", "0.2", "tenth"]));
    batch.push(cmd(&["ZREM", "zset", "m5"]));
    for i in 1..=100 {
        batch.push(cmd(&["XADD", "stream", &format!("{i}-1"), "n", &format!("{i}"), "pad", "x"]));
    }
    batch.push(cmd(&["XDEL", "stream", "50-1", "100-1"]));
    batch.push(cmd(&["XADD", "emptied", "1-1", "a", "b"]));
    batch.push(cmd(&["XADD", "emptied", "2-2", "a", "b"]));
    batch.push(cmd(&["XDEL", "emptied", "1-1", "2-2"]));
    batch.push(cmd(&["XADD", "trimmed", "MAXLEN", "0", "7-7", "a", "b"]));
    // Emptied, then its last ID set back to 0-0 (allowed on an empty
    // stream), below its largest deleted ID; and one whose last ID was
    // lowered below its largest deleted ID while it has entries.
    batch.push(cmd(&["XADD", "zeroed", "1-1", "a", "b"]));
    batch.push(cmd(&["XDEL", "zeroed", "1-1"]));
    batch.push(cmd(&["XSETID", "zeroed", "0-0"]));
    batch.push(cmd(&["XADD", "lowered", "1-1", "a", "b"]));
    batch.push(cmd(&["XADD", "lowered", "2-2", "a", "b"]));
    batch.push(cmd(&["XDEL", "lowered", "2-2"]));
    batch.push(cmd(&["XSETID", "lowered", "1-5"]));
    batch.push(cmd(&["SET", "ttl:str", "v", "EX", "1000"]));
    batch.push(cmd(&["RPUSH", "ttl:list", "a"]));
    batch.push(cmd(&["PEXPIRE", "ttl:list", "2000000"]));
    batch.push(cmd(&["ZADD", "ttl:zset", "1", "a"]));
    batch.push(cmd(&["EXPIREAT", "ttl:zset", "4102444800"]));
    batch.push(cmd(&["XADD", "ttl:stream", "1-1", "a", "b"]));
    batch.push(cmd(&["EXPIRE", "ttl:stream", "5000"]));
    batch.push(cmd(&["SET", "bin\r\nkey\0", "val\0ue\r\n"]));
    batch.push(cmd(&["SET", "empty", ""]));
    batch.push(cmd(&["SET", "gone", "v"]));
    batch.push(cmd(&["DEL", "gone"]));
    batch.push(cmd(&["SET", "expired", "v", "PX", "1"]));
    batch.push(cmd(&["SELECT", "7"]));
    batch.push(cmd(&["SET", "str:0", "in db 7"]));
    batch.push(cmd(&["RPUSH", "list", "x", "y"]));
    batch.push(cmd(&["HSET", "hash", "f", "v"]));
    batch.push(cmd(&["ZADD", "zset", "2.5", "a"]));
    batch.push(cmd(&["XADD", "stream", "3-3", "f", "v"]));
    batch.push(cmd(&["SELECT", "15"]));
    batch.push(cmd(&["SADD", "set", "only"]));
    batch.push(cmd(&["SET", "ttl", "v", "PX", "3000000"]));
    batch.push(cmd(&["SELECT", "0"]));
    for reply in pipeline(raw, &batch) {
        assert!(!reply.starts_with('-'), "{reply}");
    }
}

/// BGREWRITEAOF writes every type, in every database, as commands that
/// rebuild it: the file shrinks, INFO reports the rewrite, the records are
/// Redis's rewrite forms (chunks of 64, ZADD with exact scores, XADD and
/// XSETID with the stream's last ID, entries added and largest deleted
/// ID, PEXPIREAT), and a restart gives back exactly the same keyspace,
/// stream last IDs included. Writes after the rewrite go on in the new file.
#[test]
fn bgrewriteaof_keeps_every_type() {
    for backend in backends() {
        let dir = TempDir::new("wal-rewrite");
        let server = start(backend, dir.path());
        let mut raw = server.raw();
        fill_every_type(&mut raw);
        // "expired" expires, and active expiry removes it and logs its DEL
        // (at any moment: wait for it, so that the sizes below hold still).
        let expired = |raw: &mut Raw| info_field(raw, "stats", "expired_keys") == "1";
        assert!(eventually(Duration::from_secs(5), || expired(&mut raw)), "{backend:?}");
        let size_before = log_len(&dir.log());
        assert_eq!(info_u64(&mut raw, "aof_current_size"), size_before);
        assert_eq!(info_u64(&mut raw, "aof_rewrites"), 0);
        let before = dump(&server);
        let top = "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n";
        let probes: [&[&str]; 3] = [
            &["XADD", "stream", "100-1", "a", "b"],
            &["XADD", "emptied", "2-2", "a", "b"],
            &["XADD", "trimmed", "7-7", "a", "b"],
        ];
        for p in probes {
            assert_eq!(raw.cmd(p), top, "{backend:?}: {p:?} before");
        }

        assert_eq!(raw.cmd(&["BGREWRITEAOF"]), REWRITE_STARTED);
        wait_rewrites(&mut raw, 1);
        // Active expiry removes "expired" (logging DEL after the rewrite's
        // records, if the rewrite ran first); wait for it, then the file
        // is still.
        let keys = before.keys().filter(|k| k.0 == 0).count();
        assert!(eventually(Duration::from_secs(5), || raw.cmd(&["DBSIZE"]) == format!(":{keys}\r\n")));
        let base = info_u64(&mut raw, "aof_base_size");
        let size_after = log_len(&dir.log());
        assert!(size_after < size_before / 2, "{backend:?}: {size_before} bytes before, {size_after} after");
        assert_eq!(info_u64(&mut raw, "aof_current_size"), size_after);
        let mut del = Vec::new();
        convoy::wal::format::encode(0, &[b"DEL", b"expired"], &mut del);
        assert!(
            base == size_after || base + del.len() as u64 == size_after,
            "{backend:?}: base {base}, current {size_after}"
        );
        assert_same_dump(&before, &dump(&server), &format!("{backend:?}: the rewrite changes nothing"));
        let names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(names, vec![convoy::wal::FILE_NAME.to_string()], "{backend:?}: no temporary file left");

        let (mut records, stop) = read_log(&dir.log());
        assert_eq!(stop, None);
        records.retain(|r| r.offset < base); // the rewrite's own records
        let of = |db: usize, key: &str| -> Vec<Vec<String>> {
            records
                .iter()
                .filter(|r| r.db == db && r.args.get(1).is_some_and(|k| k.as_ref() == key.as_bytes()))
                .map(text)
                .collect()
        };
        let list = of(0, "list");
        assert_eq!(list.iter().map(|r| r.len() - 2).collect::<Vec<_>>(), vec![64, 64, 64, 6], "{backend:?}: {list:?}");
        assert!(list.iter().all(|r| r[0] == "RPUSH"));
        assert_eq!(list[0][2], "head");
        assert!(of(0, "hash").iter().all(|r| r[0] == "HSET" && r.len() <= 2 + 2 * 64));
        assert!(of(0, "set").iter().all(|r| r[0] == "SADD" && r.len() <= 2 + 64));
        let zset: Vec<String> = of(0, "zset").concat();
        for (score, member) in
            [("-inf", "bottom"), ("inf", "top"), ("1e-300", "tiny"), ("0", "zero"), ("0.30000000000000004", "tenth")]
        {
            let at =
                zset.iter().position(|a| a == member).unwrap_or_else(|| panic!("{backend:?}: {member} in {zset:?}"));
            assert_eq!(zset[at - 1], score, "{backend:?}: score of {member}");
        }
        let stream = of(0, "stream");
        assert_eq!(stream.len(), 99, "{backend:?}: 98 XADD and one XSETID");
        assert_eq!(stream[0], strs(&["XADD", "stream", "1-1", "n", "1", "pad", "x"]));
        assert_eq!(stream[98], strs(&["XSETID", "stream", "100-1", "ENTRIESADDED", "100", "MAXDELETEDID", "100-1"]));
        assert_eq!(
            of(0, "emptied"),
            vec![
                strs(&["XADD", "emptied", "MAXLEN", "0", "0-1", "x", "y"]),
                strs(&["XSETID", "emptied", "2-2", "ENTRIESADDED", "2", "MAXDELETEDID", "2-2"])
            ],
            "{backend:?}"
        );
        assert_eq!(
            of(0, "lowered")[1..],
            [
                strs(&["XSETID", "lowered", "2-2", "ENTRIESADDED", "2", "MAXDELETEDID", "2-2"]),
                strs(&["XSETID", "lowered", "1-5"])
            ],
            "{backend:?}: the last ID lowered below the largest deleted ID in a second step"
        );
        assert_eq!(
            of(0, "ttl:zset"),
            vec![strs(&["ZADD", "ttl:zset", "1", "a"]), strs(&["PEXPIREAT", "ttl:zset", "4102444800000"])]
        );
        assert_eq!(of(0, "expired"), Vec::<Vec<String>>::new(), "{backend:?}: an expired key is not written");
        assert_eq!(of(0, "gone"), Vec::<Vec<String>>::new());
        assert_eq!(of(7, "str:0"), vec![strs(&["SET", "str:0", "in db 7"])]);
        assert_eq!(of(15, "set"), vec![strs(&["SADD", "set", "only"])]);

        let server = restart(server, dir.path());
        let mut raw = server.raw();
        assert_same_dump(&before, &dump(&server), &format!("{backend:?}: after the rewrite and a restart"));
        for p in probes {
            assert_eq!(raw.cmd(p), top, "{backend:?}: {p:?} after");
        }
        assert_eq!(raw.cmd(&["XADD", "stream", "100-*", "a", "b"]), bulk("100-2"), "{backend:?}");
        assert_eq!(raw.cmd(&["XADD", "emptied", "2-*", "a", "b"]), bulk("2-3"), "{backend:?}");
        assert_eq!(raw.cmd(&["XADD", "zeroed", "0-*", "a", "b"]), bulk("0-1"), "{backend:?}: last ID 0-0 kept");
        assert_eq!(raw.cmd(&["XADD", "lowered", "1-*", "a", "b"]), bulk("1-6"), "{backend:?}: last ID 1-5 kept");
        assert!(raw.cmd(&["XADD", "trimmed", "*", "a", "b"]).starts_with("$"));
        assert_eq!(raw.cmd(&["SET", "after", "rewrite"]), "+OK\r\n");
        let before = dump(&server);
        let server = restart(server, dir.path());
        assert_same_dump(&before, &dump(&server), &format!("{backend:?}: writes after the rewrite"));
    }
}

/// Client threads writing all the time: INCR, RPUSH/LPOP, SET (some with
/// a TTL), HSET, SADD, ZADD, DEL, MSET and RENAME (multi-key, run alone),
/// transactions (with blocking pops, which run at once inside one), and
/// writes in database 1. `ops` counts acknowledged
/// commands.
struct Writers {
    stop: Arc<AtomicBool>,
    ops: Arc<AtomicU64>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Writers {
    fn start(server: &TestServer) -> Writers {
        let stop = Arc::new(AtomicBool::new(false));
        let ops = Arc::new(AtomicU64::new(0));
        let threads = (0..4)
            .map(|w| {
                let (stop, ops, addr) = (stop.clone(), ops.clone(), server.addr);
                std::thread::spawn(move || {
                    let mut raw = Raw::connect(addr);
                    if w == 0 {
                        raw.cmd(&["SET", "r:a", "renamed"]);
                    }
                    let mut i: u64 = 0;
                    let mut renamed = false;
                    while !stop.load(Ordering::Relaxed) {
                        let n = |m: u64| (i % m).to_string();
                        let v = format!("{w}:{i}");
                        let batch: Vec<Vec<String>> = match w {
                            0 => {
                                let (from, to) = if renamed { ("r:b", "r:a") } else { ("r:a", "r:b") };
                                renamed = !renamed;
                                vec![
                                    cmd(&["INCR", &format!("c:{}", n(200))]),
                                    cmd(&["MSET", &format!("m:{}", n(100)), &v, &format!("m:{}", (i + 7) % 100), &v]),
                                    cmd(&["RENAME", from, to]),
                                    cmd(&["RPUSH", &format!("l:{}", n(50)), &v]),
                                ]
                            }
                            1 => vec![
                                cmd(&["SET", &format!("s:{}", n(500)), &v]),
                                cmd(&["SET", &format!("t:{}", n(300)), &v, "EX", "1000"]),
                                cmd(&["HSET", &format!("h:{}", n(20)), &format!("f{}", n(100)), &v]),
                                cmd(&["DEL", &format!("s:{}", (i * 7) % 500)]),
                            ],
                            2 => vec![
                                cmd(&["SADD", &format!("set:{}", n(20)), &v]),
                                cmd(&["ZADD", &format!("z:{}", n(10)), &n(1000), &format!("m{}", n(300))]),
                                cmd(&["LPOP", &format!("l:{}", n(50))]),
                                cmd(&["SELECT", "1"]),
                                cmd(&["INCRBY", &format!("c:{}", n(200)), "3"]),
                                cmd(&["SELECT", "0"]),
                            ],
                            _ => vec![
                                cmd(&["MULTI"]),
                                cmd(&["INCR", &format!("tx:{}", n(30))]),
                                cmd(&["RPUSH", &format!("tl:{}", n(30)), &v, "second"]),
                                cmd(&["SET", &format!("s:{}", n(500)), &v]),
                                // Logged as LPOP and ZPOPMIN (inside EXEC
                                // they do not block).
                                cmd(&["BLPOP", &format!("tl:{}", n(30)), "0"]),
                                cmd(&["ZADD", &format!("tz:{}", n(30)), &n(1000), &v]),
                                cmd(&["BZPOPMIN", &format!("tz:{}", (i + 1) % 30), "0"]),
                                cmd(&["EXEC"]),
                            ],
                        };
                        for reply in pipeline(&mut raw, &batch) {
                            assert!(!reply.starts_with('-'), "writer {w}: {reply}");
                        }
                        ops.fetch_add(batch.len() as u64, Ordering::Relaxed);
                        i += 1;
                    }
                })
            })
            .collect();
        Writers { stop, ops, threads }
    }

    fn ops(&self) -> u64 {
        self.ops.load(Ordering::Relaxed)
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            t.join().expect("writer thread");
        }
    }
}

/// Keys enough that a rewrite takes a while: strings, lists, hashes.
fn preload(raw: &mut Raw, keys: usize) {
    for chunk in (0..keys).collect::<Vec<_>>().chunks(1000) {
        let batch: Vec<Vec<String>> = chunk
            .iter()
            .map(|i| match i % 3 {
                0 => cmd(&["SET", &format!("pre:{i}"), &"x".repeat(20)]),
                1 => cmd(&["RPUSH", &format!("pre:{i}"), "a", "b", "c"]),
                _ => cmd(&["HSET", &format!("pre:{i}"), "f", "v", "g", "w"]),
            })
            .collect();
        pipeline(raw, &batch);
    }
}

/// The log's MULTI and EXEC records pair up (a transaction still being
/// written may be open at the end).
fn assert_transactions_balanced(path: &Path, what: &str) {
    let (records, _) = read_log(path);
    let mut open = None;
    for r in &records {
        match (r.args[0].as_ref(), open) {
            (b"MULTI", None) => open = Some(r.offset),
            (b"EXEC", Some(_)) => open = None,
            (b"MULTI" | b"EXEC", _) => {
                panic!("{what}: unbalanced {} at offset {} (open MULTI: {open:?})", text(r)[0], r.offset)
            }
            _ => {}
        }
    }
}

/// Rewrites while clients write (single-key and multi-key commands,
/// transactions, two databases): no write is lost or applied twice, the
/// log stays well formed, and a restart after the writers stop gives back
/// exactly the keyspace they left.
fn rewrite_under_writers(rounds: u64) {
    for backend in backends() {
        let dir = TempDir::new("wal-concurrent");
        let server = start(backend, dir.path());
        let mut raw = server.raw();
        preload(&mut raw, 12_000);
        let writers = Writers::start(&server);
        assert!(eventually(Duration::from_secs(10), || writers.ops() > 500));
        for round in 1..=rounds {
            let (ops, started) = (writers.ops(), Instant::now());
            assert_eq!(raw.cmd(&["BGREWRITEAOF"]), REWRITE_STARTED);
            wait_rewrites(&mut raw, round);
            let during = writers.ops() - ops;
            assert!(during > 0, "{backend:?}: writes went on during the rewrite");
            if round == 1 {
                eprintln!("{backend:?}: rewrite took {:?}, {during} writes meanwhile", started.elapsed());
            }
            assert_transactions_balanced(&dir.log(), &format!("{backend:?}, rewrite {round}"));
        }
        let ops = writers.ops();
        assert!(eventually(Duration::from_secs(10), || writers.ops() > ops + 100));
        writers.stop();
        let before = dump(&server);
        drop(raw);
        let server = restart(server, dir.path());
        assert_same_dump(&before, &dump(&server), &format!("{backend:?}: {rounds} rewrites under writers"));
    }
}

/// See [`rewrite_under_writers`]: one rewrite per backend.
#[test]
fn bgrewriteaof_under_concurrent_writers() {
    rewrite_under_writers(1);
}

/// See [`rewrite_under_writers`]: ten rewrites per backend.
#[test]
#[ignore]
fn bgrewriteaof_under_concurrent_writers_long() {
    rewrite_under_writers(10);
}

/// Rewrites finishing while a client runs transactions back to back: the
/// new file never holds half a transaction's MULTI/EXEC pair, and the
/// server restarts from it with every transaction whole.
fn rewrite_under_transactions(rewrites: u64) {
    for backend in backends() {
        let dir = TempDir::new("wal-tx-rewrite");
        let server = start(backend, dir.path());
        let mut raw = server.raw();
        preload(&mut raw, 300);
        let stop = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..2)
            .map(|w| {
                let (stop, addr) = (stop.clone(), server.addr);
                std::thread::spawn(move || {
                    let mut raw = Raw::connect(addr);
                    let mut batch = vec![cmd(&["MULTI"])];
                    for k in 0..40 {
                        batch.push(cmd(&["INCR", &format!("tx:{w}:{k}")]));
                    }
                    batch.push(cmd(&["EXEC"]));
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let replies = pipeline(&mut raw, &batch);
                        n += 1;
                        assert_eq!(replies[replies.len() - 1].lines().nth(1), Some(format!(":{n}").as_str()));
                    }
                    n
                })
            })
            .collect();
        for round in 1..=rewrites {
            assert_eq!(raw.cmd(&["BGREWRITEAOF"]), REWRITE_STARTED);
            wait_rewrites(&mut raw, round);
            assert_transactions_balanced(&dir.log(), &format!("{backend:?}, rewrite {round}"));
        }
        stop.store(true, Ordering::Relaxed);
        let counts: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        drop(raw);
        let server = restart(server, dir.path());
        let mut raw = server.raw();
        for (w, n) in counts.iter().enumerate() {
            for k in [0, 39] {
                assert_eq!(raw.cmd(&["GET", &format!("tx:{w}:{k}")]), bulk(&n.to_string()), "{backend:?}");
            }
        }
    }
}

/// See [`rewrite_under_transactions`]: a few rewrites per backend.
#[test]
fn bgrewriteaof_under_transactions() {
    rewrite_under_transactions(5);
}

/// See [`rewrite_under_transactions`]: many rewrites per backend.
#[test]
#[ignore]
fn bgrewriteaof_under_transactions_long() {
    rewrite_under_transactions(100);
}

/// FLUSHALL and FLUSHDB while a rewrite copies the keyspace start the copy
/// over: after the rewrite and a restart, the flushed keys are not back
/// and the writes after the flush are there.
#[test]
fn flush_during_a_rewrite() {
    for backend in backends() {
        let dir = TempDir::new("wal-flush");
        let server = start(backend, dir.path());
        let mut raw = server.raw();
        preload(&mut raw, 3_000);
        raw.cmd(&["SELECT", "2"]);
        preload(&mut raw, 100);
        raw.cmd(&["SELECT", "0"]);
        let replies = pipeline(
            &mut raw,
            &[
                cmd(&["BGREWRITEAOF"]),
                cmd(&["FLUSHALL"]),
                cmd(&["SET", "after", "flushall"]),
                cmd(&["SELECT", "2"]),
                cmd(&["RPUSH", "in2", "a", "b"]),
                cmd(&["SELECT", "0"]),
            ],
        );
        assert_eq!(replies[0], REWRITE_STARTED, "{backend:?}");
        wait_rewrites(&mut raw, 1);
        assert_eq!(raw.cmd(&["SET", "later", "v"]), "+OK\r\n");
        let before = dump(&server);
        assert_eq!(before.len(), 3, "{backend:?}: {before:?}");
        let server = restart(server, dir.path());
        assert_same_dump(&before, &dump(&server), &format!("{backend:?}: FLUSHALL during a rewrite"));

        let mut raw = server.raw();
        preload(&mut raw, 3_000);
        let replies = pipeline(
            &mut raw,
            &[
                cmd(&["BGREWRITEAOF"]),
                cmd(&["FLUSHDB"]),
                cmd(&["SET", "after", "flushdb"]),
                cmd(&["SELECT", "2"]),
                cmd(&["SET", "x", "y"]),
            ],
        );
        assert_eq!(replies[0], REWRITE_STARTED, "{backend:?}");
        raw.cmd(&["SELECT", "0"]);
        wait_rewrites(&mut raw, 1);
        let before = dump(&server);
        assert_eq!(before.len(), 3, "{backend:?}: {before:?}");
        let server = restart(server, dir.path());
        assert_same_dump(&before, &dump(&server), &format!("{backend:?}: FLUSHDB during a rewrite"));
    }
}

/// A second BGREWRITEAOF while one runs is refused with Redis's error
/// (one that comes after the first ended starts another), and the log is
/// whole afterwards; with the log off BGREWRITEAOF is an error and
/// creates no file.
#[test]
fn bgrewriteaof_twice_and_without_a_log() {
    for backend in backends() {
        let dir = TempDir::new("wal-twice");
        let server = start(backend, dir.path());
        let mut raw = server.raw();
        preload(&mut raw, 3_000);
        let replies = pipeline(&mut raw, &[cmd(&["BGREWRITEAOF"]), cmd(&["BGREWRITEAOF"]), cmd(&["SET", "k", "v"])]);
        assert_eq!(replies[0], REWRITE_STARTED, "{backend:?}");
        assert!(replies[1] == REWRITE_RUNNING || replies[1] == REWRITE_STARTED, "{backend:?}: {}", replies[1]);
        let started = replies[..2].iter().filter(|r| *r == REWRITE_STARTED).count() as u64;
        wait_rewrites(&mut raw, started);
        assert_eq!(raw.cmd(&["BGREWRITEAOF"]), REWRITE_STARTED, "{backend:?}: once the first has ended");
        wait_rewrites(&mut raw, started + 1);
        let before = dump(&server);
        let server = restart(server, dir.path());
        assert_same_dump(&before, &dump(&server), &format!("{backend:?}: two rewrites"));
        drop(server);

        let off = TempDir::new("wal-off");
        let server = TestServer::start_with(backend, |c| c.dir = off.path().to_path_buf());
        let mut raw = server.raw();
        assert_eq!(
            raw.cmd(&["BGREWRITEAOF"]),
            "-ERR The append-only file is off: start convoy with --appendonly yes\r\n",
            "{backend:?}"
        );
        raw.cmd(&["SET", "k", "v"]);
        drop(raw);
        drop(server);
        assert_eq!(std::fs::read_dir(off.path()).unwrap().count(), 0, "{backend:?}: no file with the log off");
    }
}

// ---------------------------------------------------------------------------
// 6. INFO persistence and CONFIG
// ---------------------------------------------------------------------------

/// The length of one record as the log writes it.
fn record_len(db: usize, args: &[&str]) -> u64 {
    let mut out = Vec::new();
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    convoy::wal::format::encode(db, &args, &mut out);
    out.len() as u64
}

/// With the log on, INFO persistence reports it: enabled, write status ok,
/// the current size growing by each record and equal to the file's
/// length, the base size (the file when opened), records and fsyncs;
/// CONFIG GET reports appendonly, appendfsync and dir. With the log off,
/// aof_enabled:0 and appendonly no.
#[test]
fn info_persistence_reports_the_log() {
    let header = convoy::wal::format::HEADER.len() as u64;
    // Every backend's server first, then each is checked: the wait for
    // everysec's first fsync (about a second) is shared.
    let servers: Vec<(Backend, TempDir, TestServer, u64)> = backends()
        .into_iter()
        .map(|backend| {
            let dir = TempDir::new("wal-info");
            let server = start(backend, dir.path());
            let mut raw = server.raw();
            let field = |raw: &mut Raw, name: &str| info_field(raw, "persistence", name);
            for (name, value) in [
                ("aof_enabled", "1"),
                ("aof_rewrite_in_progress", "0"),
                ("aof_rewrites", "0"),
                ("aof_last_write_status", "ok"),
                ("aof_last_bgrewrite_status", "ok"),
                ("aof_last_rewrite_time_sec", "-1"),
                ("aof_fsync_policy", "everysec"),
                ("aof_group_commit", "yes"),
                ("aof_records", "0"),
            ] {
                assert_eq!(field(&mut raw, name), value, "{backend:?}: {name}");
            }
            assert_eq!(info_u64(&mut raw, "aof_current_size"), header);
            assert_eq!(info_u64(&mut raw, "aof_base_size"), header);
            let mut size = header;
            for (i, value) in ["a", "bb", "ccc"].iter().enumerate() {
                raw.cmd(&["SET", "k", value]);
                size += record_len(0, &["SET", "k", value]);
                assert_eq!(info_u64(&mut raw, "aof_current_size"), size, "{backend:?}");
                assert_eq!(log_len(&dir.log()), size, "{backend:?}: written before the reply");
                assert_eq!(info_u64(&mut raw, "aof_records"), i as u64 + 1);
            }
            raw.cmd(&["GET", "k"]);
            assert_eq!(info_u64(&mut raw, "aof_current_size"), size, "{backend:?}: reads add nothing");
            assert_eq!(info_u64(&mut raw, "aof_base_size"), header);
            (backend, dir, server, size)
        })
        .collect();
    for (backend, dir, server, size) in servers {
        let mut raw = server.raw();
        let field = |raw: &mut Raw, name: &str| info_field(raw, "persistence", name);
        // everysec: fsynced within about a second.
        assert!(
            eventually(Duration::from_secs(3), || info_u64(&mut raw, "aof_records_fsynced") == 3),
            "{backend:?}: {}",
            raw.cmd(&["INFO", "persistence"])
        );
        assert!(info_u64(&mut raw, "aof_fsyncs") >= 1);

        let canonical = std::fs::canonicalize(dir.path()).unwrap().display().to_string();
        let config = |raw: &mut Raw, name: &str, value: &str| {
            assert_eq!(
                raw.cmd(&["CONFIG", "GET", name]),
                format!("*2\r\n{}{}", bulk(name), bulk(value)),
                "{backend:?}"
            );
        };
        config(&mut raw, "appendonly", "yes");
        config(&mut raw, "appendfsync", "everysec");
        config(&mut raw, "dir", &canonical);
        assert_eq!(
            raw.cmd(&["CONFIG", "SET", "appendonly", "no"]),
            "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - can't set immutable config\r\n"
        );
        assert_eq!(raw.cmd(&["CONFIG", "SET", "appendfsync", "no"]), "+OK\r\n");
        config(&mut raw, "appendfsync", "no");
        assert_eq!(field(&mut raw, "aof_fsync_policy"), "no");

        // After a restart the base size is the file's size when opened.
        let server = restart(server, dir.path());
        let mut raw = server.raw();
        assert_eq!(info_u64(&mut raw, "aof_base_size"), size, "{backend:?}");
        assert_eq!(info_u64(&mut raw, "aof_current_size"), size, "{backend:?}");
        assert_eq!(info_u64(&mut raw, "aof_records"), 0, "{backend:?}: counted since the start");
        drop((raw, server));

        let server = TestServer::start(backend);
        let mut raw = server.raw();
        assert_eq!(info_field(&mut raw, "persistence", "aof_enabled"), "0", "{backend:?}");
        assert_eq!(raw.cmd(&["CONFIG", "GET", "appendonly"]), format!("*2\r\n{}{}", bulk("appendonly"), bulk("no")));
    }
}

/// Under `appendfsync always` (set at start or by CONFIG SET) every
/// acknowledged write is fsynced: one client's writes one by one cost an
/// fsync each, a pipelined batch shares fewer fsyncs than it has writes
/// (group commit), and `--group-commit no` fsyncs once per write even in a
/// batch.
#[test]
fn appendfsync_always_fsyncs_before_acknowledging() {
    for backend in backends() {
        for how in ["config set", "group commit", "naive"] {
            let what = format!("{backend:?}, {how}");
            let dir = TempDir::new("wal-always");
            let server = start_with(backend, dir.path(), |c| {
                if how != "config set" {
                    c.appendfsync = convoy::wal::Fsync::Always;
                }
                c.group_commit = how != "naive";
            });
            let mut raw = server.raw();
            if how == "config set" {
                assert_eq!(raw.cmd(&["CONFIG", "SET", "appendfsync", "always"]), "+OK\r\n");
            }
            assert_eq!(info_field(&mut raw, "persistence", "aof_fsync_policy"), "always", "{what}");
            let fsyncs = info_u64(&mut raw, "aof_fsyncs");
            for i in 0..5 {
                raw.cmd(&["INCR", "n"]);
                assert_eq!(info_u64(&mut raw, "aof_records_fsynced"), i + 1, "{what}: fsynced before the reply");
            }
            let one_by_one = info_u64(&mut raw, "aof_fsyncs") - fsyncs;
            assert_eq!(one_by_one, 5, "{what}: one fsync per write sent alone");

            let fsyncs = info_u64(&mut raw, "aof_fsyncs");
            let batch: Vec<Vec<String>> = (0..40).map(|i| cmd(&["SET", &format!("k{i}"), "v"])).collect();
            pipeline(&mut raw, &batch);
            assert_eq!(info_u64(&mut raw, "aof_records_fsynced"), 45, "{what}");
            let batched = info_u64(&mut raw, "aof_fsyncs") - fsyncs;
            if how == "naive" {
                assert_eq!(batched, 40, "{what}: one fsync per write");
                assert_eq!(info_field(&mut raw, "persistence", "aof_records_per_fsync"), "1.00", "{what}");
            } else {
                // How many share an fsync depends on how fast the worker
                // appends while the flusher syncs (about one fsync when
                // idle, a dozen on a loaded machine); never one each.
                assert!((1..40).contains(&batched), "{what}: 40 pipelined writes took {batched} fsyncs");
                let per: f64 = info_field(&mut raw, "persistence", "aof_records_per_fsync").parse().unwrap();
                assert!(per > 1.0, "{what}: {per} records per fsync");
            }
            drop(raw);
            let server = restart(server, dir.path());
            assert_eq!(server.raw().cmd(&["GET", "n"]), bulk("5"), "{what}");
        }
    }
}

// ---------------------------------------------------------------------------
// Order: concurrent writers to the same keys
// ---------------------------------------------------------------------------

/// Sixteen clients write the same few keys at once (SET, APPEND, RPUSH,
/// HSET, INCRBYFLOAT, ZADD), so that the server applies writes to one key
/// from both worker threads in an order no client chose; after a restart
/// the replayed keyspace equals what the server held, key by key and byte
/// by byte: the log's order agreed with the order the writes were applied,
/// on every backend.
#[test]
fn concurrent_writers_to_one_key_replay_to_the_value_the_server_held() {
    for backend in backends() {
        let dir = TempDir::new("wal-order");
        let server = start(backend, dir.path());
        let threads: Vec<_> = (0..16)
            .map(|w| {
                let addr = server.addr;
                std::thread::spawn(move || {
                    let mut raw = Raw::connect(addr);
                    for i in 0..150 {
                        let v = format!("{w}:{i}");
                        let k = format!("shared:{}", i % 3);
                        let batch = [
                            cmd(&["SET", &k, &v]),
                            cmd(&["APPEND", "appended", &format!("{v},")]),
                            cmd(&["RPUSH", "list", &v]),
                            cmd(&["HSET", "hash", &format!("f{}", i % 5), &v]),
                            cmd(&["INCRBYFLOAT", "float", "0.1"]),
                            cmd(&["ZADD", "zset", &format!("{}", (w * 7 + i) % 11), &format!("m{}", i % 13)]),
                        ];
                        pipeline(&mut raw, &batch);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("writer");
        }
        let before = dump(&server);
        let server = restart(server, dir.path());
        let after = dump(&server);
        assert_same_dump(&before, &after, &format!("{backend:?}: concurrent writers, then a restart"));
        drop(server);
    }
}
