//! Shared test harness: start a real convoy server per backend on an
//! ephemeral loopback port, and talk to it with the `redis` crate or raw
//! RESP bytes.
#![allow(dead_code)]

pub mod parse_check;

use convoy::config::{Backend, Config};
use convoy::server::{spawn, ServerHandle};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Every backend, or those named in `CONVOY_BACKENDS` (comma-separated), for
/// running one backend's suite while debugging.
pub fn backends() -> Vec<Backend> {
    use clap::ValueEnum;
    let all: Vec<Backend> = Backend::value_variants().to_vec();
    match std::env::var("CONVOY_BACKENDS") {
        Ok(list) if !list.is_empty() => all.into_iter().filter(|b| list.split(',').any(|n| n == b.name())).collect(),
        _ => all,
    }
}

/// A server for one test, stopped when dropped.
pub struct TestServer {
    pub handle: Option<ServerHandle>,
    pub addr: SocketAddr,
    pub backend: Backend,
}

impl TestServer {
    pub fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, |_| {})
    }

    /// Start with a tweaked configuration (threads, databases, hz ...).
    pub fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let mut config = Config::default_for_tests();
        config.backend = backend;
        config.threads = Some(2);
        tweak(&mut config);
        let handle = spawn(config).expect("server starts");
        TestServer { addr: handle.addr, handle: Some(handle), backend }
    }

    /// A synchronous client from the `redis` crate.
    pub fn client(&self) -> redis::Connection {
        let client = redis::Client::open(format!("redis://{}/", self.addr)).expect("client");
        client.get_connection().expect("connect")
    }

    /// A raw socket client.
    pub fn raw(&self) -> Raw {
        Raw::connect(self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.stop();
        }
    }
}

/// Run `f` against a fresh server of every backend. The backend's name is
/// passed along for assertion messages.
pub fn with_each_backend(mut f: impl FnMut(&TestServer, &str)) {
    for b in backends() {
        let server = TestServer::start(b);
        f(&server, b.name());
    }
}

/// A client speaking raw RESP over a socket, reading replies back as the
/// exact bytes the server sent.
pub struct Raw {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Raw {
    pub fn connect(addr: SocketAddr) -> Raw {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        Raw { writer: s.try_clone().unwrap(), reader: BufReader::new(s) }
    }

    /// Send bytes as they are.
    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write");
    }

    /// Send a command as a multibulk frame.
    pub fn send_cmd(&mut self, args: &[&[u8]]) {
        self.send(&encode_cmd(args));
    }

    /// Send a command and return its reply's exact bytes.
    pub fn cmd(&mut self, args: &[&str]) -> String {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.send_cmd(&args);
        self.reply()
    }

    /// Read one complete reply (any RESP2 or RESP3 type) and return its
    /// exact bytes as text.
    pub fn reply(&mut self) -> String {
        let mut out = Vec::new();
        self.read_one(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn line(&mut self, out: &mut Vec<u8>) -> Vec<u8> {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line).expect("read line");
        assert!(line.ends_with(b"\r\n"), "connection closed or bad line: {:?}", String::from_utf8_lossy(&line));
        out.extend_from_slice(&line);
        line.truncate(line.len() - 2);
        line
    }

    fn read_one(&mut self, out: &mut Vec<u8>) {
        let line = self.line(out);
        let n = || -> i64 { std::str::from_utf8(&line[1..]).unwrap().parse().unwrap() };
        match line[0] {
            b'+' | b'-' | b':' | b',' | b'#' | b'_' | b'(' => {}
            b'$' | b'=' | b'!' => {
                let len = n();
                if len >= 0 {
                    let mut body = vec![0; len as usize + 2];
                    self.reader.read_exact(&mut body).expect("read bulk");
                    out.extend_from_slice(&body);
                }
            }
            b'*' | b'~' | b'>' => {
                for _ in 0..n().max(0) {
                    self.read_one(out);
                }
            }
            b'%' => {
                for _ in 0..2 * n() {
                    self.read_one(out);
                }
            }
            other => panic!("unexpected reply type {:?}", other as char),
        }
    }

    /// Whether the server closed the connection (reads EOF within 5 s).
    pub fn is_closed(&mut self) -> bool {
        let mut buf = [0u8; 1];
        self.reader.get_ref().set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        matches!(self.reader.read(&mut buf), Ok(0) | Err(_))
    }
}

/// A command as a RESP multibulk frame (the server's own encoder,
/// [`convoy::resp::write_command`]).
pub fn encode_cmd(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    convoy::resp::write_command(args, &mut out);
    out
}

/// Wait until `cond` holds, polling every 20 ms, up to `timeout`. For
/// effects that happen on the server's own clock (active expiry); returns
/// whether it held.
pub fn eventually(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A fresh directory under the system's temp dir, removed when dropped
/// (kept, and named on stderr, if the test is failing).
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("convoy-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The write-ahead log's file inside it.
    pub fn log(&self) -> PathBuf {
        self.0.join(convoy::wal::FILE_NAME)
    }

    /// Write `bytes` to a file `name` in it.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("write file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("keeping {} for inspection", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A server with the Prometheus endpoint (`--metrics-port`) on a free port,
/// `tweak` applied to its config; retried if another process takes the
/// port between our probe and the server's bind. Returns the server and
/// the endpoint's address.
pub fn start_with_metrics_endpoint(backend: Backend, tweak: impl Fn(&mut Config)) -> (TestServer, SocketAddr) {
    for _ in 0..10 {
        let mut config = Config::default_for_tests();
        config.backend = backend;
        config.metrics_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        tweak(&mut config);
        match spawn(config) {
            Ok(handle) => {
                let metrics = handle.metrics_addr.expect("the endpoint is on");
                return (TestServer { addr: handle.addr, handle: Some(handle), backend }, metrics);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(e) => panic!("server starts: {e}"),
        }
    }
    panic!("no free port for the metrics endpoint after 10 tries");
}

/// One HTTP/1.1 response: status code, headers (names lowercased), body.
pub struct Http {
    pub status: u16,
    pub headers: std::collections::HashMap<String, String>,
    pub body: String,
}

/// Send `method path` with `Connection: close` and read the whole answer.
pub fn http(addr: SocketAddr, method: &str, path: &str) -> Http {
    let mut s = TcpStream::connect(addr).expect("connect to the HTTP endpoint");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read the response");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a blank line after the headers");
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Http { status, headers, body: body.to_string() }
}
