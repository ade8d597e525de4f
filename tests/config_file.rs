//! The config file (`convoy FILE`, redis.conf syntax) and CONFIG REWRITE,
//! on the real binary: directives set flags and CONFIG parameters, the
//! command line overrides the file, bad files stop the start as Redis
//! reports them, and a rewritten file starts the server with the new
//! values.

mod common;

use common::{Raw, TempDir, TestServer};
use convoy::config::Backend;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_convoy");

/// The binary started with `args`, and the address it listens on; killed
/// on drop.
struct Binary {
    child: Child,
    addr: SocketAddr,
    /// Kept open: the server logs to it until it exits.
    _stderr: BufReader<std::process::ChildStderr>,
}

impl Binary {
    fn start(args: &[&str]) -> Binary {
        let mut child = Command::new(BIN).args(args).stderr(Stdio::piped()).spawn().expect("start convoy");
        let mut line = String::new();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        // The first line saying where it listens (a replay report may come first).
        while !line.contains(" listening on ") {
            line.clear();
            assert!(stderr.read_line(&mut line).unwrap() > 0, "convoy exited before listening");
        }
        let addr = line.split(" listening on ").nth(1).and_then(|r| r.split(' ').next()).expect(&line);
        Binary { addr: addr.parse().unwrap(), child, _stderr: stderr }
    }

    /// SHUTDOWN (the client is authenticated by `raw`) and wait for exit 0.
    fn shutdown(mut self, raw: &mut Raw) {
        raw.send(b"SHUTDOWN\r\n");
        assert!(raw.is_closed());
        assert!(self.child.wait().unwrap().success());
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `CONFIG GET name`'s value.
fn get(raw: &mut Raw, name: &str) -> String {
    let reply = raw.cmd(&["CONFIG", "GET", name]);
    let value = reply.split("\r\n").nth(4).unwrap_or_else(|| panic!("{name}: {reply}"));
    value.to_string()
}

/// Directives set startup flags and CONFIG parameters, with comments,
/// quotes and escapes as redis.conf has them; a flag on the command line
/// overrides the file.
#[test]
fn file_sets_flags_and_parameters() {
    let dir = TempDir::new("conffile");
    let conf = dir.file(
        "convoy.conf",
        br#"# a comment
port 0
   # an indented comment

HZ 15
backend papaya
requirepass "pass word\"\x21"
maxmemory 1mb
save 900 1 300 10
slowlog-max-len 'sixty\'s'
"#,
    );
    // slowlog-max-len above is bad: fix it, checking the bad one first.
    let out = Command::new(BIN).arg(&conf).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let conf = dir.file("convoy.conf", std::fs::read_to_string(&conf).unwrap().replace(r"'sixty\'s'", "64").as_bytes());
    let server = Binary::start(&[conf.to_str().unwrap(), "--hz", "40"]);
    let mut raw = Raw::connect(server.addr);
    assert_eq!(raw.cmd(&["PING"]), "-NOAUTH Authentication required.\r\n");
    assert_eq!(raw.cmd(&["AUTH", "pass word\"!"]), "+OK\r\n");
    assert_eq!(get(&mut raw, "hz"), "40", "the command line overrides the file");
    assert_eq!(get(&mut raw, "maxmemory"), "1048576");
    assert_eq!(get(&mut raw, "save"), "900 1 300 10");
    assert_eq!(get(&mut raw, "slowlog-max-len"), "64");
    let info = raw.cmd(&["INFO", "convoy"]);
    assert!(info.contains("papaya"), "{info}");
    server.shutdown(&mut raw);
}

/// A bad file stops the start with exit status 1 and Redis's report: the
/// line number, the line, and the reason.
#[test]
fn bad_files_are_reported_as_redis_does() {
    let dir = TempDir::new("badconf");
    let cases: [(&str, &str); 5] = [
        ("port 0\n# c\nfoo bar\n", "at line 3\n>>> 'foo bar'\nBad directive or wrong number of arguments"),
        ("port\n", "at line 1\n>>> 'port'\nwrong number of arguments"),
        ("requirepass \"unterminated\n", ">>> 'requirepass \"unterminated'\nUnbalanced quotes in configuration line"),
        ("save 5\n", ">>> 'save 5'\nInvalid save parameters"),
        ("hz abc\n", ">>> 'hz abc'\ninvalid value 'abc'"),
    ];
    for (text, expected) in cases {
        let conf = dir.file("bad.conf", text.as_bytes());
        let out = Command::new(BIN).arg(&conf).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{text}: {stderr}");
        assert!(stderr.contains("*** FATAL CONFIG FILE ERROR (Redis "), "{stderr}");
        assert!(stderr.contains(expected), "{text}: {stderr}");
    }
    let out = Command::new(BIN).arg(dir.path().join("missing.conf")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Fatal error, can't open config file"));
}

/// CONFIG SET, then CONFIG REWRITE: comments and other lines stay in
/// order, set parameters are updated in place or appended, and a restart
/// from the file has the new values.
#[test]
fn rewrite_then_restart_reads_the_new_values() {
    let dir = TempDir::new("rewrite");
    let conf = dir.file("convoy.conf", b"# keep me\nport 0\nhz 15\n\n# and me\nbackend scc\nhz 16\n");
    let path = conf.to_str().unwrap();
    let server = Binary::start(&[path]);
    let mut raw = Raw::connect(server.addr);
    let set = raw.cmd(&["CONFIG", "SET", "hz", "20", "maxmemory", "2mb", "requirepass", "a \"b\"", "save", ""]);
    assert_eq!(set, "+OK\r\n");
    assert_eq!(raw.cmd(&["AUTH", "a \"b\""]), "+OK\r\n");
    assert_eq!(raw.cmd(&["CONFIG", "REWRITE"]), "+OK\r\n");
    let text = std::fs::read_to_string(&conf).unwrap();
    assert_eq!(
        text,
        "# keep me\nport 0\nhz 20\n\n# and me\nbackend scc\n\n# Generated by CONFIG REWRITE\nmaxmemory 2097152\n\
         requirepass \"a \\\"b\\\"\"\n"
    );
    server.shutdown(&mut raw);

    let again = Binary::start(&[path]);
    let mut raw = Raw::connect(again.addr);
    assert_eq!(raw.cmd(&["AUTH", "a \"b\""]), "+OK\r\n");
    assert_eq!(get(&mut raw, "hz"), "20");
    assert_eq!(get(&mut raw, "maxmemory"), "2097152");
    assert!(raw.cmd(&["INFO", "convoy"]).contains("scc"));
    again.shutdown(&mut raw);
}

/// Without a config file, CONFIG REWRITE is Redis's error; CONFIG HELP
/// lists REWRITE as Redis 7.0's does.
#[test]
fn rewrite_without_a_file() {
    let server = TestServer::start(Backend::Mutex);
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["CONFIG", "REWRITE"]), "-ERR The server is running without a config file\r\n");
    assert_eq!(raw.cmd(&["CONFIG", "REWRITE", "x"]), "-ERR wrong number of arguments for 'config|rewrite' command\r\n");
    let help = raw.cmd(&["CONFIG", "HELP"]);
    assert!(help.contains("+REWRITE\r\n+    Rewrite the configuration file.\r\n+HELP\r\n"), "{help}");
}

/// The positional config file does not take the place of the `wal`
/// tool's subcommand.
#[test]
fn wal_subcommand_still_parses() {
    let dir = TempDir::new("walsub");
    let out = Command::new(BIN).args(["wal", "inspect"]).arg(dir.path().join("none.aof")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("FATAL CONFIG"), "{stderr}");
    assert!(!Path::new("wal").exists());
}
