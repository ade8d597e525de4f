//! The real `convoy` binary as a child process, for tests that need a
//! process of its own: its own file descriptor table (10,000 connections
//! need 10,000 descriptors on each side) and its own resident memory to
//! measure (`/proc/PID/status`).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_convoy");

/// A running `convoy`, stopped (SIGTERM, then waited for) when dropped.
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    /// The server's stderr, drained by a thread so that its log lines can
    /// never fill the pipe and stall it.
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl ServerProcess {
    /// Start `convoy --port 0 --threads 2` with `args` added.
    pub fn start(args: &[&str]) -> ServerProcess {
        let mut child = Command::new(BIN)
            .args(["--port", "0", "--threads", "2"])
            .args(args)
            .stderr(Stdio::piped())
            .spawn()
            .expect("start convoy");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let addr = loop {
            let mut line = String::new();
            assert!(stderr.read_line(&mut line).unwrap() > 0, "convoy exited: {}", log.lock().unwrap());
            log.lock().unwrap().push_str(&line);
            if let Some(rest) = line.split(" listening on ").nth(1) {
                break rest.split(' ').next().unwrap().parse().unwrap();
            }
        };
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in stderr.lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push_str(&line);
                sink.lock().unwrap().push('\n');
            }
        });
        ServerProcess { child, addr, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The server's resident memory (`VmRSS`), in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("read /proc status");
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS line");
        line.split_ascii_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// A raw connection with a 10 s read timeout.
    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        s
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // SIGTERM: the server stops as it does in production; fall back to
        // SIGKILL if it does not.
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Send one inline command and read one simple reply line (no bulk).
pub fn line_cmd(s: &mut TcpStream, cmd: &str) -> String {
    s.write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
    read_line(s)
}

/// Read one `\r\n`-terminated line, byte by byte (no buffering across
/// replies).
pub fn read_line(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    while !out.ends_with(b"\r\n") {
        match s.read(&mut b) {
            Ok(1) => out.push(b[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One field of `INFO section`, read over a fresh connection.
pub fn info_field(addr: SocketAddr, section: &str, field: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(format!("INFO {section}\r\n").as_bytes()).unwrap();
    let header = read_line(&mut s);
    let len: usize = header.trim_end()[1..].parse().expect(&header);
    let mut body = vec![0u8; len + 2];
    s.read_exact(&mut body).unwrap();
    let text = String::from_utf8(body).unwrap();
    let prefix = format!("{field}:");
    text.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("no {field} in {text}")).to_string()
}

/// Raise this process's soft limit on open files to its hard limit;
/// returns the new soft limit.
// `rlim_t` is `u64` on Linux but not on every platform: the cast stays.
#[allow(clippy::unnecessary_cast)]
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid, writable rlimit for the call to fill.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    lim.rlim_cur = lim.rlim_max;
    // SAFETY: `lim` is a valid rlimit that outlives the call.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    // SAFETY: as above.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    lim.rlim_cur as u64
}
