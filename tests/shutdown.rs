//! SHUTDOWN and signals: replies as Redis 7.0's, and, on the real binary
//! with `--appendonly yes`, every write acknowledged before the shutdown
//! is there after a restart, and the exit status is 0.

mod common;

use common::{backends, Raw, TempDir, TestServer};
use convoy::config::Backend;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_convoy");

/// The real binary, started with `args`, and the address it listens on.
struct Binary {
    child: Child,
    addr: SocketAddr,
    /// The server's log; `None` once closed.
    stderr: Option<BufReader<std::process::ChildStderr>>,
}

impl Binary {
    fn start(args: &[&str]) -> Binary {
        let mut child =
            Command::new(BIN).args(["--port", "0"]).args(args).stderr(Stdio::piped()).spawn().expect("start convoy");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        // The first line saying where it listens (a replay report may come first).
        while !line.contains(" listening on ") {
            line.clear();
            assert!(stderr.read_line(&mut line).unwrap() > 0, "convoy exited before listening");
        }
        let addr = line.split(" listening on ").nth(1).and_then(|r| r.split(' ').next()).expect(&line);
        Binary { addr: addr.parse().unwrap(), child, stderr: Some(stderr) }
    }

    /// Wait (at most 10 s) for the process to exit; its status and the
    /// rest of its log.
    fn wait(mut self) -> (std::process::ExitStatus, String) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("convoy did not exit within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut rest = String::new();
        if let Some(stderr) = self.stderr.as_mut() {
            stderr.read_to_string(&mut rest).unwrap();
        }
        (status, rest)
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill").args([signal, &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// SHUTDOWN's errors as Redis 7.0's; none of them stops the server.
#[test]
fn shutdown_errors_as_redis() {
    let server = TestServer::start(Backend::Mutex);
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["SHUTDOWN", "FOO"]), "-ERR syntax error\r\n");
    assert_eq!(raw.cmd(&["SHUTDOWN", "NOSAVE", "SAVE"]), "-ERR syntax error\r\n");
    assert_eq!(raw.cmd(&["SHUTDOWN", "ABORT", "NOW"]), "-ERR syntax error\r\n");
    assert_eq!(raw.cmd(&["SHUTDOWN", "ABORT"]), "-ERR No shutdown in progress.\r\n");
    // Nothing could be saved: no snapshots, no log.
    assert_eq!(raw.cmd(&["SHUTDOWN", "SAVE"]), "-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
    assert_eq!(raw.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["SHUTDOWN"]), "-ERR Command not allowed inside a transaction\r\n");
    assert_eq!(raw.cmd(&["EXEC"]), "-EXECABORT Transaction discarded because of previous errors.\r\n");
    assert_eq!(raw.cmd(&["SUBSCRIBE", "c"]), "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n");
    assert_eq!(
        raw.cmd(&["SHUTDOWN"]),
        "-ERR Can't execute 'shutdown': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
    assert_eq!(server.raw().cmd(&["PING"]), "+PONG\r\n");
}

/// SHUTDOWN SAVE FORCE without a log, as Redis with FORCE: the failure to
/// save does not stop the shutdown; the caller gets no reply, the earlier
/// replies of its batch are written, and other clients are closed.
#[test]
fn shutdown_save_force_stops_the_server() {
    let server = TestServer::start(Backend::Mutex);
    let mut other = server.raw();
    assert_eq!(other.cmd(&["PING"]), "+PONG\r\n");
    let mut raw = server.raw();
    raw.send(b"PING\r\nSHUTDOWN SAVE FORCE\r\nPING\r\n");
    assert_eq!(raw.reply(), "+PONG\r\n");
    assert!(raw.is_closed(), "SHUTDOWN replied or left the connection open");
    assert!(other.is_closed());
    assert!(common::eventually(Duration::from_secs(5), || std::net::TcpStream::connect(server.addr).is_err()));
}

/// With the log on, every backend: writes acknowledged before SHUTDOWN
/// (plain, NOSAVE, SAVE) survive a restart, and the exit status is 0.
#[test]
fn shutdown_keeps_acknowledged_writes_on_every_backend() {
    let flags = ["", "NOSAVE", "SAVE"];
    for (i, backend) in backends().into_iter().enumerate() {
        let dir = TempDir::new("shutdown");
        let args = args_vec(dir.path().to_str().unwrap(), backend.name());
        let server = Binary::start(&args_of(&args));
        let mut raw = Raw::connect(server.addr);
        let mut batch = Vec::new();
        for k in 0..200 {
            batch.extend(common::encode_cmd(&[b"SET", format!("k{k}").as_bytes(), format!("v{k}").as_bytes()]));
        }
        raw.send(&batch);
        for _ in 0..200 {
            assert_eq!(raw.reply(), "+OK\r\n");
        }
        let flag = flags[i % flags.len()];
        let shutdown = if flag.is_empty() { vec!["SHUTDOWN"] } else { vec!["SHUTDOWN", flag] };
        let words: Vec<&[u8]> = shutdown.iter().map(|a| a.as_bytes()).collect();
        raw.send_cmd(&words);
        assert!(raw.is_closed(), "{backend:?}: SHUTDOWN {flag} replied");
        let (status, log) = server.wait();
        assert!(status.success(), "{backend:?}: SHUTDOWN {flag}: {status:?}\n{log}");

        let again = Binary::start(&args_of(&args));
        let mut raw = Raw::connect(again.addr);
        assert_eq!(raw.cmd(&["DBSIZE"]), ":200\r\n", "{backend:?} after SHUTDOWN {flag}");
        assert_eq!(raw.cmd(&["GET", "k199"]), "$4\r\nv199\r\n");
        drop(again);
    }
}

fn args_vec(dir: &str, backend: &str) -> Vec<String> {
    ["--appendonly", "yes", "--appendfsync", "everysec", "--dir", dir, "--backend", backend]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn args_of(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// SIGTERM and SIGINT while clients write concurrently: every write a
/// client saw acknowledged is there after a restart, and the exit status
/// is 0.
#[test]
fn signals_keep_acknowledged_writes_under_load() {
    for signal in ["-TERM", "-INT"] {
        let dir = TempDir::new("signal");
        let args = args_vec(dir.path().to_str().unwrap(), "papaya");
        let server = Binary::start(&args_of(&args));
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let started = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let (addr, acknowledged, started) = (server.addr, acknowledged.clone(), started.clone());
                std::thread::spawn(move || {
                    let mut socket = std::net::TcpStream::connect(addr).unwrap();
                    socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                    for i in 0.. {
                        let key = format!("w{w}:{i}");
                        let mut ok = [0u8; 5];
                        // Closed by the shutdown: no reply, stop.
                        let sent = socket.write_all(&common::encode_cmd(&[b"SET", key.as_bytes(), b"1"]));
                        if sent.and_then(|()| socket.read_exact(&mut ok)).is_err() {
                            return;
                        }
                        assert_eq!(&ok, b"+OK\r\n");
                        acknowledged.lock().unwrap().push(key);
                        started.store(true, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        assert!(common::eventually(Duration::from_secs(5), || started.load(Ordering::Relaxed)));
        std::thread::sleep(Duration::from_millis(100));
        server.signal(signal);
        for w in writers {
            w.join().unwrap();
        }
        let (status, log) = server.wait();
        assert!(status.success(), "after {signal}: {status:?}\n{log}");
        assert!(log.contains("bye"), "{log}");

        let again = Binary::start(&args_of(&args));
        let mut raw = Raw::connect(again.addr);
        let keys = acknowledged.lock().unwrap().clone();
        assert!(!keys.is_empty());
        for key in &keys {
            assert_eq!(raw.cmd(&["EXISTS", key]), ":1\r\n", "{key} acknowledged before {signal} but lost");
        }
    }
}

/// A client that never reads its replies does not hold the shutdown: the
/// server exits 0 within its grace period plus a margin.
#[test]
fn client_that_never_reads_does_not_hold_shutdown() {
    let dir = TempDir::new("slowreader");
    let server = Binary::start(&args_of(&args_vec(dir.path().to_str().unwrap(), "mutex")));
    let mut setter = Raw::connect(server.addr);
    let big = "x".repeat(1 << 20);
    assert_eq!(setter.cmd(&["SET", "big", &big]), "+OK\r\n");
    let mut stuck = Raw::connect(server.addr);
    let mut batch = Vec::new();
    for _ in 0..32 {
        batch.extend(common::encode_cmd(&[b"GET", b"big"]));
    }
    stuck.send(&batch);
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    setter.send_cmd(&[b"SHUTDOWN", b"NOSAVE"]);
    let (status, log) = server.wait();
    assert!(status.success(), "{status:?}\n{log}");
    assert!(started.elapsed() < Duration::from_secs(6), "shutdown took {:?}", started.elapsed());
    drop(stuck);
}

/// SIGTERM still stops the server, with exit status 0, when whoever read
/// its log has gone (stderr is a closed pipe): logging must not stand in
/// the shutdown's way.
#[test]
fn sigterm_with_a_closed_log_exits_0() {
    let dir = TempDir::new("closedlog");
    let mut server = Binary::start(&args_of(&args_vec(dir.path().to_str().unwrap(), "mutex")));
    server.stderr = None;
    let mut raw = Raw::connect(server.addr);
    assert_eq!(raw.cmd(&["SET", "k", "v"]), "+OK\r\n");
    server.signal("-TERM");
    let (exit, _) = server.wait();
    assert!(exit.success(), "{exit:?}");
}
