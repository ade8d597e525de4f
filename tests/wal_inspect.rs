//! `convoy wal inspect FILE`, run as the real binary: on logs built with
//! `wal::format::encode` (whole, torn, damaged) and on a log a real server
//! wrote. Checks the printed lines, the summary and the exit status
//! (0 whole, 1 torn tail, 2 damaged or unreadable).

mod common;

use common::{TempDir, TestServer};
use convoy::wal::format::{encode, HEADER};
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_convoy");

/// `convoy wal inspect [extra...] path`.
fn inspect(path: &Path, extra: &[&str]) -> Output {
    Command::new(BIN).args(["wal", "inspect"]).args(extra).arg(path).output().expect("run convoy wal inspect")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// A log of `records`, and the offset of each.
fn log_of(records: &[(usize, &[&[u8]])]) -> (Vec<u8>, Vec<usize>) {
    let mut data = HEADER.to_vec();
    let mut offsets = Vec::new();
    for (db, args) in records {
        offsets.push(data.len());
        encode(*db, args, &mut data);
    }
    (data, offsets)
}

/// The line `verdict: ...` of the summary.
fn verdict(text: &str) -> &str {
    text.lines().find(|l| l.starts_with("verdict: ")).unwrap_or_else(|| panic!("no verdict in:\n{text}"))
}

const LONG: [u8; 100] = [b'x'; 100];

/// The sample log: plain and binary values, a transaction, another
/// database, a long argument and a long argument list.
fn sample() -> (Vec<u8>, Vec<usize>) {
    log_of(&[
        (0, &[b"SET", b"greeting", b"hello world"]),
        (0, &[b"SET", b"bin", b"\x00\xff\r\n\"q\"\\\t"]),
        (0, &[b"MULTI"]),
        (0, &[b"INCR", b"visits"]),
        (0, &[b"DEL", b"a", b"b"]),
        (0, &[b"EXEC"]),
        (3, &[b"HSET", b"user:1", b"bio", &LONG]),
        (3, &[b"RPUSH", b"q", b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"8", b"9", b"10"]),
        (0, &[b"set", b"lower", b"case"]),
    ])
}

/// A whole log: one line per record (offset, db, command quoted as
/// redis-cli quotes it, transactions indented, long lines shortened), then
/// the summary; exit 0 and nothing on stderr.
#[test]
fn whole_log_prints_every_record_and_exits_0() {
    let dir = TempDir::new("wal-inspect");
    let (data, at) = sample();
    let path = dir.file("whole.aof", &data);
    let out = inspect(&path, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let expected = format!(
        "offset  db  command\n\
         {:>6}   0  SET \"greeting\" \"hello world\"\n\
         {:>6}   0  SET \"bin\" \"\\x00\\xff\\r\\n\\\"q\\\"\\\\\\t\"\n\
         {:>6}   0  MULTI\n\
         {:>6}   0    INCR \"visits\"\n\
         {:>6}   0    DEL \"a\" \"b\"\n\
         {:>6}   0  EXEC\n\
         {:>6}   3  HSET \"user:1\" \"bio\" \"{}\"...(100 bytes)\n\
         {:>6}   3  RPUSH \"q\" \"1\" \"2\" \"3\" \"4\" \"5\" \"6\" \"7\" ...(+3 more arguments)\n\
         {:>6}   0  set \"lower\" \"case\"\n\
         \n\
         file: {} bytes\n\
         records: 9 ({} bytes after the header)\n\
         commands: SET 3, DEL 1, EXEC 1, HSET 1, INCR 1, MULTI 1, RPUSH 1\n\
         databases: db0 7, db3 2\n\
         transactions: 1 MULTI/EXEC block (2 records inside)\n\
         verdict: ok\n",
        at[0],
        at[1],
        at[2],
        at[3],
        at[4],
        at[5],
        at[6],
        "x".repeat(32),
        at[7],
        at[8],
        data.len(),
        data.len() - HEADER.len(),
    );
    assert_eq!(stdout(&out), expected);
}

/// `--full` prints long arguments and long argument lists whole;
/// `--summary` prints the summary alone.
#[test]
fn full_and_summary_options() {
    let dir = TempDir::new("wal-inspect");
    let (data, _) = sample();
    let path = dir.file("whole.aof", &data);

    let full = stdout(&inspect(&path, &["--full"]));
    assert!(full.contains(&format!("HSET \"user:1\" \"bio\" \"{}\"\n", "x".repeat(100))), "{full}");
    assert!(full.contains("RPUSH \"q\" \"1\" \"2\" \"3\" \"4\" \"5\" \"6\" \"7\" \"8\" \"9\" \"10\"\n"), "{full}");

    let out = inspect(&path, &["--summary"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.starts_with("file: "), "{text}");
    assert!(!text.contains("SET \"greeting\"") && !text.contains("offset  db"), "{text}");
    assert!(text.contains("commands: SET 3, DEL 1, EXEC 1, HSET 1, INCR 1, MULTI 1, RPUSH 1\n"), "{text}");
    assert_eq!(verdict(&text), "verdict: ok");
}

/// An empty file is a whole log with no records.
#[test]
fn empty_file_is_whole() {
    let dir = TempDir::new("wal-inspect");
    let out = inspect(&dir.file("empty.aof", b""), &["--summary"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("records: 0 (0 bytes after the header)\ncommands: none\ndatabases: none\n"), "{text}");
    assert_eq!(verdict(&text), "verdict: ok");
}

/// A log whose last record is cut anywhere (zero bytes after a whole one are not a tear),
/// has a torn tail at that record's offset: the whole records before it
/// are listed, and the exit status is 1.
#[test]
fn torn_tail_exits_1() {
    let dir = TempDir::new("wal-inspect");
    let (data, at) = sample();
    let last = at[8];
    for cut in [last + 1, last + 5, last + 20, data.len() - 1] {
        let path = dir.file("torn.aof", &data[..cut]);
        let out = inspect(&path, &[]);
        assert_eq!(out.status.code(), Some(1), "cut at {cut}");
        assert_eq!(stderr(&out), "", "cut at {cut}");
        let text = stdout(&out);
        assert!(text.contains("RPUSH \"q\"") && !text.contains("\"lower\""), "cut at {cut}:\n{text}");
        assert!(text.contains("records: 8 ("), "cut at {cut}:\n{text}");
        assert_eq!(
            verdict(&text),
            format!(
                "verdict: torn tail at offset {last} ({} bytes): the last record is incomplete, as a crash \
                 mid-write leaves it; convoy cuts it off at start",
                cut - last
            )
        );
    }
    // Zero bytes after the last whole record: space the log set aside
    // and never filled, a whole log.
    let mut zeros = data.clone();
    zeros.extend_from_slice(&[0; 64]);
    let out = inspect(&dir.file("zeros.aof", &zeros), &["--summary"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(verdict(&stdout(&out)), "verdict: ok");

    // A torn header.
    let out = inspect(&dir.file("header.aof", &HEADER[..5]), &["--summary"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(verdict(&stdout(&out)).starts_with("verdict: torn tail at offset 0 (5 bytes): the header itself"));
}

/// A MULTI without its EXEC at the end (whole, or cut inside) is a torn
/// tail from the MULTI on: recovery drops the whole transaction.
#[test]
fn transaction_without_exec_is_a_torn_tail_from_its_multi() {
    let dir = TempDir::new("wal-inspect");
    let (data, at) =
        log_of(&[(0, &[b"SET", b"a", b"1"]), (0, &[b"MULTI"]), (0, &[b"INCR", b"a"]), (0, &[b"INCR", b"a"])]);
    let out = inspect(&dir.file("open.aof", &data), &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("INCR \"a\"\n"), "{text}");
    assert_eq!(
        verdict(&text),
        format!(
            "verdict: torn tail at offset {} ({} bytes): the transaction begun here has no EXEC (2 records \
             inside); convoy cuts it off at start",
            at[1],
            data.len() - at[1]
        )
    );

    let out = inspect(&dir.file("open-cut.aof", &data[..data.len() - 3]), &["--summary"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        verdict(&stdout(&out)),
        format!(
            "verdict: torn tail at offset {} ({} bytes): the transaction begun here has no EXEC: the record at \
             offset {} is incomplete, as a crash mid-write leaves it; convoy cuts it off at start",
            at[1],
            data.len() - 3 - at[1],
            at[3]
        )
    );
}

/// A changed byte before the tail is damage at its record: the records
/// before it are listed, the verdict and stderr name the offset and the
/// reason, and the exit status is 2.
#[test]
fn damage_exits_2() {
    let dir = TempDir::new("wal-inspect");
    let (data, at) = sample();
    // The value of the second record: a checksum mismatch.
    let mut bad = data.clone();
    bad[at[2] - 4] ^= 0x01;
    let path = dir.file("bad.aof", &bad);
    let out = inspect(&path, &[]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(text.contains("SET \"greeting\"") && !text.contains("SET \"bin\""), "{text}");
    assert!(text.contains("records: 1 ("), "{text}");
    assert_eq!(
        verdict(&text),
        format!(
            "verdict: damaged at offset {} (checksum mismatch); convoy refuses to start from this log, unless \
             --aof-truncate-corrupt yes, which cuts it at offset {} (losing {} bytes)",
            at[1],
            at[1],
            data.len() - at[1]
        )
    );
    assert_eq!(
        stderr(&out),
        format!("convoy: {}: damaged record at offset {} (checksum mismatch)\n", path.display(), at[1])
    );

    // A bad frame line inside a transaction: cutting there would also
    // drop the transaction's MULTI.
    let mut bad = data.clone();
    bad[at[4]] = b'#';
    let out = inspect(&dir.file("bad-frame.aof", &bad), &["--summary"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        verdict(&stdout(&out)).starts_with(&format!(
            "verdict: damaged at offset {} (bad frame line); convoy refuses to start from this log, unless \
             --aof-truncate-corrupt yes, which cuts it at offset {} (losing {} bytes)",
            at[4],
            at[2],
            data.len() - at[2]
        )),
        "{}",
        stdout(&out)
    );
}

/// An EXEC without MULTI, or a MULTI inside a transaction, is damage (a
/// starting server refuses it as unbalanced).
#[test]
fn unbalanced_multi_exec_is_damage() {
    let dir = TempDir::new("wal-inspect");
    let (data, at) = log_of(&[(0, &[b"SET", b"a", b"1"]), (0, &[b"EXEC"]), (0, &[b"SET", b"b", b"2"])]);
    let out = inspect(&dir.file("exec.aof", &data), &["--summary"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        verdict(&stdout(&out))
            .starts_with(&format!("verdict: damaged at offset {} (unbalanced MULTI/EXEC: EXEC without MULTI)", at[1])),
        "{}",
        stdout(&out)
    );
    let (data, at) = log_of(&[(0, &[b"MULTI"]), (0, &[b"MULTI"]), (0, &[b"EXEC"])]);
    let out = inspect(&dir.file("multi.aof", &data), &["--summary"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        verdict(&stdout(&out)).starts_with(&format!(
            "verdict: damaged at offset {} (unbalanced MULTI/EXEC: MULTI inside a transaction)",
            at[1]
        )),
        "{}",
        stdout(&out)
    );
}

/// A file that is not a convoy log, or does not exist, is an error on
/// stderr with nothing on stdout, and exit status 2.
#[test]
fn unreadable_files_exit_2() {
    let dir = TempDir::new("wal-inspect");
    let path = dir.file("redis.aof", b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n");
    let out = inspect(&path, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        format!("convoy: {}: not a convoy write-ahead log (no '#convoy-wal 1' header)\n", path.display())
    );

    let out = inspect(&dir.file("v2.aof", b"#convoy-wal 2\r\n"), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unsupported log version"), "{}", stderr(&out));

    let missing = dir.path().join("missing.aof");
    let out = inspect(&missing, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).starts_with(&format!("convoy: {}: ", missing.display())), "{}", stderr(&out));
}

/// The log a real server wrote (every backend): its records read back as
/// the writes that were made, rewritten as the log records them, and the
/// log is whole.
#[test]
fn log_written_by_a_server() {
    for backend in common::backends() {
        let dir = TempDir::new("wal-inspect");
        let server = TestServer::start_with(backend, |config| {
            config.appendonly = true;
            config.dir = dir.path().to_path_buf();
        });
        let mut raw = server.raw();
        assert_eq!(raw.cmd(&["SET", "greeting", "hello world"]), "+OK\r\n");
        assert_eq!(raw.cmd(&["SET", "session", "abc", "EX", "100"]), "+OK\r\n");
        assert_eq!(raw.cmd(&["DEL", "missing"]), ":0\r\n", "not logged: it changed nothing");
        assert_eq!(raw.cmd(&["MULTI"]), "+OK\r\n");
        assert_eq!(raw.cmd(&["INCR", "visits"]), "+QUEUED\r\n");
        assert_eq!(raw.cmd(&["RPUSH", "queue", "a", "b"]), "+QUEUED\r\n");
        assert_eq!(raw.cmd(&["EXEC"]), "*2\r\n:1\r\n:2\r\n");
        assert_eq!(raw.cmd(&["SELECT", "2"]), "+OK\r\n");
        assert_eq!(raw.cmd(&["HSET", "user:1", "name", "Ada"]), ":1\r\n");
        drop(raw);
        drop(server); // stops it: the log is flushed and fsynced

        let out = inspect(&dir.log(), &[]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{backend:?}: {text}{}", stderr(&out));
        let commands: Vec<&str> =
            text.lines().skip(1).take_while(|l| !l.is_empty()).map(|l| l.split_at(12).1).collect();
        assert_eq!(commands.len(), 7, "{backend:?}:\n{text}");
        assert_eq!(commands[0], "SET \"greeting\" \"hello world\"", "{backend:?}");
        assert!(commands[1].starts_with("SET \"session\" \"abc\" \"PXAT\" \""), "{backend:?}: {}", commands[1]);
        assert_eq!(&commands[2..6], ["MULTI", "  INCR \"visits\"", "  RPUSH \"queue\" \"a\" \"b\"", "EXEC"]);
        assert_eq!(commands[6], "HSET \"user:1\" \"name\" \"Ada\"", "{backend:?}");
        let dbs: Vec<&str> = text.lines().skip(1).take(7).map(|l| l[6..12].trim()).collect();
        assert_eq!(dbs, ["0", "0", "0", "0", "0", "0", "2"], "{backend:?}:\n{text}");
        assert!(text.contains("\nrecords: 7 ("), "{backend:?}:\n{text}");
        assert!(text.contains("\ncommands: SET 2, EXEC 1, HSET 1, INCR 1, MULTI 1, RPUSH 1\n"), "{backend:?}:\n{text}");
        assert!(text.contains("\ndatabases: db0 6, db2 1\n"), "{backend:?}:\n{text}");
        assert!(text.contains("\ntransactions: 1 MULTI/EXEC block (2 records inside)\n"), "{backend:?}:\n{text}");
        assert_eq!(verdict(&text), "verdict: ok");
    }
}

/// The server's flags are unchanged by the subcommand: `convoy --help`
/// lists them and the `wal` command, `convoy wal --help` and
/// `convoy wal inspect --help` work, and server flags with a subcommand
/// are refused.
#[test]
fn help_lists_flags_and_the_wal_command() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    for flag in ["--backend", "--port", "--bind", "--threads", "--databases", "--hz", "--appendonly", "--dir"] {
        assert!(text.contains(flag), "--help lacks {flag}:\n{text}");
    }
    assert!(text.contains("\n  wal "), "--help lacks the wal command:\n{text}");

    let out = Command::new(BIN).args(["wal", "--help"]).output().unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("\n  inspect "), "{}", stdout(&out));

    let out = Command::new(BIN).args(["wal", "inspect", "--help"]).output().unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    for word in ["--summary", "--full", "<FILE>", "Exit status: 0"] {
        assert!(text.contains(word), "wal inspect --help lacks {word}:\n{text}");
    }

    let out = Command::new(BIN).args(["--port", "0", "wal", "inspect", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot be used with"), "{}", stderr(&out));
}
