//! The write-ahead log end to end: recovery of torn and damaged files, the
//! records written for each kind of write (and their replay), BGREWRITEAOF,
//! and INFO persistence. Every test runs an in-process server on each
//! backend with `appendonly` on and a fresh directory; "restart" is: stop
//! the server (which writes and fsyncs the log) and start a new one on the
//! same directory.

mod common;

use common::{backends, eventually, Raw, TestServer};
use convoy::config::{Backend, Config};
use convoy::wal::format::{Reader, Record, Stop};
use redis::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A directory of its own under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("convoy-wal-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// The log file inside it.
    fn log(&self) -> PathBuf {
        self.0.join(convoy::wal::FILE_NAME)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

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
        let from = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        LogTail { path, from }
    }

    /// The records appended since the last call, as (db, args).
    fn next(&mut self) -> Vec<(usize, Vec<String>)> {
        let data = std::fs::read(&self.path).expect("read log");
        let (records, stop) = read_bytes(&data);
        assert_eq!(stop, None, "the live log reads cleanly");
        let new = records.iter().filter(|r| r.offset >= self.from).map(|r| (r.db, text(r))).collect();
        self.from = data.len() as u64;
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
/// sorted) and absolute expiry time (PEXPIRETIME).
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
        for key in keys {
            let ty: String = redis::cmd("TYPE").arg(&key).query(&mut con).unwrap();
            let contents = match ty.as_str() {
                "string" => format!("{:?}", redis::cmd("GET").arg(&key).query::<Value>(&mut con).unwrap()),
                "list" => {
                    format!("{:?}", redis::cmd("LRANGE").arg(&key).arg(0).arg(-1).query::<Value>(&mut con).unwrap())
                }
                "hash" => {
                    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = redis::cmd("HGETALL").arg(&key).query(&mut con).unwrap();
                    pairs.sort();
                    format!("{pairs:?}")
                }
                "set" => {
                    let mut members: Vec<Vec<u8>> = redis::cmd("SMEMBERS").arg(&key).query(&mut con).unwrap();
                    members.sort();
                    format!("{members:?}")
                }
                "zset" => format!(
                    "{:?}",
                    redis::cmd("ZRANGE").arg(&key).arg(0).arg(-1).arg("WITHSCORES").query::<Value>(&mut con).unwrap()
                ),
                "stream" => {
                    format!("{:?}", redis::cmd("XRANGE").arg(&key).arg("-").arg("+").query::<Value>(&mut con).unwrap())
                }
                other => panic!("unexpected type {other}"),
            };
            let expires: i64 = redis::cmd("PEXPIRETIME").arg(&key).query(&mut con).unwrap();
            out.insert((db, key), format!("{ty} expires={expires} {contents}"));
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
        let dir = TempDir::new("torn");
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

/// A changed byte inside an early record (its payload, or its checksum)
/// stops the start with an error naming the file and that record's offset,
/// and leaves the file as it was; with `aof_truncate_corrupt` the server
/// starts with the records before the damage only, and the file is cut
/// there.
#[test]
fn damage_before_the_tail_refuses_to_start() {
    for backend in backends() {
        let dir = TempDir::new("damage");
        let (records, intact) = five_sets(backend, &dir);
        let second = records[1].offset as usize;
        let third = records[2].offset as usize;
        let line_end = second + intact[second..].windows(2).position(|w| w == b"\r\n").unwrap() + 2;
        // The value's byte ("v1" -> "v3") and a digit of the checksum.
        let value_at = third - 3;
        assert_eq!(intact[value_at], b'1');
        let crc_at = line_end - 3;
        for (what, at, byte) in
            [("payload", value_at, b'3'), ("checksum", crc_at, if intact[crc_at] == b'a' { b'b' } else { b'a' })]
        {
            let what = format!("{backend:?}, {what}");
            let mut bad = intact.clone();
            bad[at] = byte;
            std::fs::write(dir.log(), &bad).unwrap();
            let err = match convoy::server::spawn(config(backend, dir.path(), |_| {})) {
                Ok(_) => panic!("{what}: started on a damaged log"),
                Err(e) => e.to_string(),
            };
            assert!(err.contains(&dir.log().display().to_string()), "{what}: names the file: {err}");
            assert!(err.contains(&format!("offset {second} ")), "{what}: names offset {second}: {err}");
            assert!(err.contains("damaged record"), "{what}: {err}");
            assert_eq!(std::fs::read(dir.log()).unwrap(), bad, "{what}: a refused start leaves the file alone");

            let server = start_with(backend, dir.path(), |c| c.aof_truncate_corrupt = true);
            assert_eq!(std::fs::metadata(dir.log()).unwrap().len(), second as u64, "{what}: cut at the damage");
            let mut raw = server.raw();
            assert_eq!(raw.cmd(&["GET", "k0"]), bulk("v0"), "{what}");
            assert_eq!(raw.cmd(&["DBSIZE"]), ":1\r\n", "{what}: nothing after the damage");
            assert_eq!(raw.cmd(&["SET", "k9", "new"]), "+OK\r\n");
            let server = restart(server, dir.path());
            let mut raw = server.raw();
            assert_eq!(
                raw.cmd(&["MGET", "k0", "k1", "k9"]),
                format!("*3\r\n{}$-1\r\n{}", bulk("v0"), bulk("new")),
                "{what}"
            );
        }
    }
}

/// A server stopped the moment it has started stops (quickly: shutdown
/// wakes the log's threads) and leaves a log holding only its header.
#[test]
fn stop_right_after_start() {
    for backend in backends() {
        let dir = TempDir::new("stop");
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
        let dir = TempDir::new("expiry");
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
        // Active expiry may get there first; either way the DEL comes first.
        expect_record(
            &mut raw,
            &mut tail,
            &["SET", "touched", "v", "PX", "1"],
            ok,
            Some(&["SET", "touched", "v", "PXAT", "+1"]),
        );
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(raw.cmd(&["APPEND", "touched", "x"]), ":1\r\n");
        let records = tail.next();
        assert_eq!(
            records,
            vec![(0, strs(&["DEL", "touched"])), (0, strs(&["APPEND", "touched", "x"]))],
            "{backend:?}"
        );
        // Expired, then written again by a SET that replaces it outright.
        expect_record(
            &mut raw,
            &mut tail,
            &["SET", "again", "old", "PX", "1"],
            ok,
            Some(&["SET", "again", "old", "PXAT", "+1"]),
        );
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(raw.cmd(&["SET", "again", "new"]), ok);
        assert_eq!(tail.next(), vec![(0, strs(&["DEL", "again"])), (0, strs(&["SET", "again", "new"]))], "{backend:?}");

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
        assert!((99_000..=100_000).contains(&pttl_before), "{backend:?}: PTTL {pttl_before}");
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
/// HINCRBYFLOAT as HSET, XADD's `*` and `ms-*` as the ID made; replay
/// rebuilds the same keyspace.
#[test]
fn computed_writes_are_logged_as_their_results() {
    for backend in backends() {
        let dir = TempDir::new("computed");
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
        drop(raw);
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
        let dir = TempDir::new("blocking");
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
        let served: [(&[&str], &[&str], &[&str], String); 5] = [
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
            assert_eq!(tail_skip_none(t), vec![], "{backend:?}: {block:?} blocked, nothing logged");
            raw.cmd(push);
            assert_eq!(blocked.reply(), reply, "{backend:?}: {block:?}");
            assert_eq!(t.next(), vec![(0, strs(push)), (0, strs(pop))], "{backend:?}: {block:?}");
        }
        drop((raw, blocked));
        restart_and_compare(server, dir.path(), &format!("{backend:?}: blocking pops"));
    }
}

/// The records appended so far (a name that reads well where none are
/// expected).
fn tail_skip_none(tail: &mut LogTail) -> Vec<(usize, Vec<String>)> {
    tail.next()
}

/// Writes that changed nothing, and errors, are not logged.
#[test]
fn writes_that_change_nothing_are_not_logged() {
    for backend in backends() {
        let dir = TempDir::new("noop");
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
/// written) is not applied at all, and the log is cut back to its MULTI.
#[test]
fn transactions_are_wrapped_and_a_cut_one_is_not_applied() {
    for backend in backends() {
        let dir = TempDir::new("multi");
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
        for (what, file) in
            [("EXEC missing", intact[..exec].to_vec()), ("EXEC torn", intact[..intact.len() - 3].to_vec())]
        {
            std::fs::write(dir.log(), &file).unwrap();
            let server = start(backend, dir.path());
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
        let dir = TempDir::new("dbs");
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
