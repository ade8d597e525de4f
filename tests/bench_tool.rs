//! `convoy bench`, the load generator, against a real server on loopback:
//! every request it reports is one the server counted, the open loop sends
//! exactly its schedule, and the binary writes the JSON it promises.

mod common;

use clap::Parser;
use common::{Raw, TestServer};
use convoy::bench::{self, Options};
use convoy::config::Backend;
use std::net::SocketAddr;
use std::process::Command;

/// Options for a short run against `addr`, as the command line would give
/// them.
fn options(addr: SocketAddr, extra: &[&str]) -> Options {
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        options: Options,
    }
    let port = addr.port().to_string();
    let mut argv = vec!["bench", "--port", &port, "--quiet"];
    argv.extend_from_slice(extra);
    Cli::parse_from(argv).options
}

/// calls= of one command in INFO commandstats (0 if absent).
fn calls(c: &mut Raw, command: &str) -> u64 {
    let text = c.cmd(&["INFO", "commandstats"]);
    let prefix = format!("cmdstat_{command}:calls=");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|rest| rest.split(',').next().unwrap().parse().unwrap())
        .unwrap_or(0)
}

/// A closed-loop run with pipelining reports exactly the SETs and GETs the
/// server executed, in whole pipeline batches, in about the ratio asked,
/// with ordered percentiles and a throughput that is requests over time.
#[test]
fn closed_loop_counts_what_the_server_counts() {
    let server = TestServer::start(Backend::Mutex);
    let mut c = server.raw();
    let s = bench::run(&options(
        server.addr,
        &["--clients", "4", "--pipeline", "8", "--duration", "400ms", "--ratio", "1:3", "--keys", "500"],
    ))
    .expect("the run succeeds");
    assert!(s.requests > 0);
    assert_eq!(s.requests, s.sets + s.gets + s.dels);
    assert_eq!(s.dels, 0);
    assert_eq!(s.requests % 8, 0, "whole batches only: {}", s.requests);
    assert_eq!(calls(&mut c, "set"), s.sets);
    assert_eq!(calls(&mut c, "get"), s.gets);
    assert_eq!(s.errors, 0);
    // A quarter SETs; with hundreds of requests at least, far from 0 and 1.
    let share = s.sets as f64 / s.requests as f64;
    assert!((0.1..0.45).contains(&share), "SET share {share} of {}", s.requests);
    assert!(s.p50_us <= s.p99_us && s.p99_us <= s.p999_us && s.p999_us <= s.max_us, "{s:?}");
    assert!(s.p50_us >= 1.0);
    assert!((s.ops_per_sec - s.requests as f64 / s.elapsed_s).abs() < 1e-6 * s.ops_per_sec);
    // Keys are redis-benchmark's, inside the keyspace.
    let keys = c.cmd(&["KEYS", "*"]);
    assert!(keys.contains("key:000000000"), "{keys}");
    assert!(!keys.contains("key:000000000500"), "a key outside --keys: {keys}");
}

/// The open loop sends its schedule and nothing else: 4 clients at 400
/// requests/s for 500 ms are 200 requests (50 ticks of 10 ms per client),
/// all answered, whatever the machine's speed.
#[test]
fn open_loop_sends_exactly_its_schedule() {
    let server = TestServer::start(Backend::Mutex);
    let mut c = server.raw();
    let s = bench::run(&options(
        server.addr,
        &["--clients", "4", "--rate", "400", "--duration", "500ms", "--ratio", "0:1"],
    ))
    .expect("the run succeeds");
    assert_eq!(s.requests, 200, "{s:?}");
    assert_eq!(s.gets, 200);
    assert_eq!(calls(&mut c, "get"), 200);
    assert_eq!(calls(&mut c, "set"), 0);
    assert!(s.parameters.open_loop);
    // The schedule spans the duration: the run cannot end much before it.
    assert!(s.elapsed_s >= 0.45, "{s:?}");
}

/// Error replies are counted, not mistaken for successes: a GET on a key
/// holding a list answers WRONGTYPE.
#[test]
fn error_replies_are_counted() {
    let server = TestServer::start(Backend::Mutex);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["RPUSH", "key:000000000000", "x"]), ":1\r\n");
    let s =
        bench::run(&options(server.addr, &["--clients", "1", "--keys", "1", "--ratio", "0:1", "--duration", "200ms"]))
            .expect("the run succeeds");
    assert!(s.requests > 0);
    assert_eq!(s.errors, s.requests);
}

/// The binary: `convoy bench ... --json FILE` exits 0 and writes the fields
/// the issue names with the parameters used; an unreachable server is an
/// error on stderr and exit status 1.
#[test]
fn binary_writes_json_and_fails_cleanly() {
    let server = TestServer::start(Backend::Mutex);
    let dir = common::TempDir::new("bench-json");
    let json = dir.path().join("run.json");
    let out = Command::new(env!("CARGO_BIN_EXE_convoy"))
        .args(["bench", "--port", &server.addr.port().to_string(), "--quiet", "--duration", "300ms"])
        .args(["--clients", "3", "--distribution", "zipf:0.99", "--seed", "42", "--json"])
        .arg(&json)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("throughput:") && text.contains("p99.9"), "{text}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    for field in ["ops_per_sec", "p50_us", "p99_us", "p999_us", "max_us"] {
        assert!(v[field].as_f64().is_some_and(|x| x > 0.0), "{field} in {v}");
    }
    let p = &v["parameters"];
    assert_eq!(p["clients"], 3);
    assert_eq!(p["distribution"], "zipf:0.99");
    assert_eq!(p["ratio"], "1:9");
    assert_eq!(p["seed"], 42);
    assert_eq!(p["duration_s"], 0.3);

    // Port 1 on loopback: nothing listens there.
    let out = Command::new(env!("CARGO_BIN_EXE_convoy"))
        .args(["bench", "--port", "1", "--quiet", "--duration", "100ms"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect to 127.0.0.1:1"));
}

/// SET:GET:DEL adds DELs: a churn run's DELs are the server's, and keys
/// came and went (some DELs found their key, so nodes were unlinked).
#[test]
fn churn_sends_dels() {
    let server = TestServer::start(Backend::Lockfree);
    let mut c = server.raw();
    let s = bench::run(&options(
        server.addr,
        &["--clients", "2", "--keys", "20", "--ratio", "1:0:1", "--duration", "300ms"],
    ))
    .expect("the run succeeds");
    assert!(s.dels > 0 && s.sets > 0 && s.gets == 0, "{s:?}");
    assert_eq!(calls(&mut c, "del"), s.dels);
    assert_eq!(calls(&mut c, "set"), s.sets);
    assert_eq!(s.parameters.ratio, "1:0:1");
    let info = c.cmd(&["INFO", "convoy"]);
    let retired: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("convoy_reclamation_retired:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no reclamation figures in {info}"));
    assert!(retired > 0, "{info}");
}

/// A server that accepts and never answers ends the run with an error once
/// `--grace` has passed after `--duration`, instead of hanging.
#[test]
fn a_silent_server_ends_the_run_with_an_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let holder = std::thread::spawn(move || {
        // Hold the connection open, read nothing, answer nothing.
        let (conn, _) = listener.accept().unwrap();
        std::thread::sleep(std::time::Duration::from_secs(2));
        drop(conn);
    });
    let started = std::time::Instant::now();
    let result = bench::run(&options(addr, &["--clients", "1", "--duration", "100ms", "--grace", "300ms"]));
    let err = result.expect_err("no replies: the run must fail").to_string();
    assert!(err.contains("stopped answering"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    holder.join().unwrap();
}
