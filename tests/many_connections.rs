//! Many connections held at once against the real binary (a process of
//! its own, so that each side has its own descriptor table), while other
//! clients are served.
//!
//! Run with `--nocapture` to see the figures (time to open, server RSS).

mod server_process;

use server_process::{info_field, line_cmd, raise_fd_limit, ServerProcess};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Open `n` connections, check they are all served, then close them; prints
/// the figures (connections held, time to open, server RSS).
fn hold(n: usize) {
    let limit = raise_fd_limit();
    // This process holds the client ends; the server its own.
    let n = if limit < n as u64 + 100 {
        let fitted = limit.saturating_sub(100) as usize;
        eprintln!("RLIMIT_NOFILE hard limit is {limit}: holding {fitted} connections instead of {n}");
        fitted
    } else {
        n
    };
    let maxclients = (n + 100).to_string();
    let server = ServerProcess::start(&["--maxclients", &maxclients]);
    let baseline: usize = info_field(server.addr, "clients", "connected_clients").parse().unwrap();
    assert_eq!(baseline, 1, "only the INFO connection itself");
    let rss_before = server.rss_kib();

    let started = Instant::now();
    // In waves of 250, each waited for until the server has registered it:
    // connecting faster than a busy server accepts overflows the listen
    // queue, and the kernel then retries those connections only after a
    // second.
    let mut held: Vec<TcpStream> = Vec::with_capacity(n);
    while held.len() < n {
        let wave = (n - held.len()).min(250);
        held.extend((0..wave).map(|_| server.connect()));
        wait_for_clients(&server, held.len() + 1);
    }
    let opened_in = started.elapsed();
    let rss_held = server.rss_kib();

    // A sample of the held connections is served, as is a fresh client,
    // while all are open.
    for s in held.iter_mut().step_by((n / 100).max(1)) {
        assert_eq!(line_cmd(s, "PING"), "+PONG\r\n");
    }
    let mut fresh = server.connect();
    assert_eq!(line_cmd(&mut fresh, "SET many yes"), "+OK\r\n");
    assert_eq!(line_cmd(&mut fresh, "PING"), "+PONG\r\n");
    // Pipelined on all of them at once: every one answers.
    for s in held.iter_mut() {
        s.write_all(b"PING\r\n").unwrap();
    }
    for s in held.iter_mut() {
        assert_eq!(server_process::read_line(s), "+PONG\r\n");
    }
    assert_eq!(info_field(server.addr, "stats", "rejected_connections"), "0");

    drop(held);
    drop(fresh);
    let closed = started.elapsed();
    wait_for_clients(&server, baseline);
    eprintln!(
        "held {n} connections: opened in {opened_in:?}, all served and closed after {closed:?}, back to baseline after {:?}; \
         server RSS {rss_before} KiB before, {rss_held} KiB with all held, {} KiB after",
        started.elapsed(),
        server.rss_kib()
    );
}

/// Wait until INFO reports `expected` connected clients (counting the
/// INFO connection itself), for at most 30 s.
fn wait_for_clients(server: &ServerProcess, expected: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let connected: usize = info_field(server.addr, "clients", "connected_clients").parse().unwrap();
        if connected == expected {
            return;
        }
        assert!(Instant::now() < deadline, "connected_clients {connected}, expected {expected}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// 10,000 connections held at once (fewer if the descriptor limit is
/// lower, said on stderr) are all served, as is a fresh client, and
/// connected_clients follows them up and back down.
#[test]
fn ten_thousand_connections_held_and_served() {
    hold(10_000);
}
