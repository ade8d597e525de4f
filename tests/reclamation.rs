//! Reclamation figures (`convoy_reclamation_retired`, `_freed`,
//! `_pending`) in INFO's `convoy` section and on the Prometheus endpoint:
//! exact on the `lockfree` backend, absent on the others.

mod common;

use common::{backends, http, start_with_metrics_endpoint, Raw, TestServer};
use convoy::config::Backend;
use prometheus_parse::{Scrape, Value};

use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Worker threads of every server here.
const THREADS: usize = 2;

/// crossbeam-epoch keeps each thread's garbage in a local bag of this many
/// items before handing it to the collector's global queue.
const BAG: u64 = 64;

/// A server with the Prometheus endpoint on, `THREADS` worker threads.
fn start(backend: Backend) -> (TestServer, SocketAddr) {
    start_with_metrics_endpoint(backend, |c| c.threads = Some(THREADS))
}

/// `GET /metrics`, parsed.
fn scrape(addr: SocketAddr) -> Scrape {
    let r = http(addr, "GET", "/metrics");
    assert_eq!(r.status, 200, "{}", r.body);
    Scrape::parse(r.body.lines().map(|l| Ok(l.to_string()))).expect("parses")
}

/// The one sample of `metric`, if there is one.
fn sample(s: &Scrape, metric: &str) -> Option<f64> {
    let found: Vec<_> = s.samples.iter().filter(|x| x.metric == metric).collect();
    assert!(found.len() <= 1, "{metric}: {found:?}");
    found.first().map(|x| match x.value {
        Value::Counter(v) | Value::Gauge(v) => v,
        ref other => panic!("{metric} is not a number: {other:?}"),
    })
}

/// INFO convoy's reclamation figures (retired, freed, pending), if
/// present; checks that pending is retired - freed.
fn info_figures(c: &mut Raw) -> Option<(u64, u64, u64)> {
    let reply = c.cmd(&["INFO", "convoy"]);
    let get = |name: &str| {
        reply.split("\r\n").find_map(|l| l.strip_prefix(name)?.strip_prefix(':')).map(|v| v.parse::<u64>().unwrap())
    };
    let (retired, freed, pending) =
        (get("convoy_reclamation_retired"), get("convoy_reclamation_freed"), get("convoy_reclamation_pending"));
    match (retired, freed, pending) {
        (Some(r), Some(f), Some(p)) => {
            assert!(f <= r, "freed {f} > retired {r}");
            assert_eq!(p, r - f, "pending is retired - freed");
            Some((r, f, p))
        }
        (None, None, None) => None,
        partial => panic!("some reclamation fields but not all: {partial:?}"),
    }
}

/// `n` commands `args[0] key<i> args[1..]`, pipelined, each reply checked.
fn each_key(c: &mut Raw, n: usize, args: &[&str], reply: &str) {
    for i in 0..n {
        let key = format!("key:{i}");
        let mut cmd = vec![args[0], key.as_str()];
        cmd.extend_from_slice(&args[1..]);
        let cmd: Vec<&[u8]> = cmd.iter().map(|a| a.as_bytes()).collect();
        c.send_cmd(&cmd);
    }
    for _ in 0..n {
        assert_eq!(c.reply(), reply);
    }
}

/// On `lockfree`, INFO's figures start at zero; inserts and overwrites
/// retire nothing (an overwrite changes the entry inside the key's slot;
/// the map keeps its node); each deleted key retires exactly one node, a
/// DEL of a missing key none, an update that leaves a missing key missing
/// one (the slot layer's empty slot), and FLUSHALL one per key; freed catches up with retired as traffic goes on
/// (to within one partly filled bag per worker thread); pending is always
/// retired - freed.
#[test]
fn info_counts_retired_and_freed_on_lockfree() {
    let (server, _) = start(Backend::Lockfree);
    let mut c = server.raw();
    assert_eq!(info_figures(&mut c), Some((0, 0, 0)));
    each_key(&mut c, 1000, &["SET", "v"], "+OK\r\n");
    each_key(&mut c, 1000, &["SET", "w"], "+OK\r\n");
    each_key(&mut c, 1000, &["APPEND", "x"], ":2\r\n");
    assert_eq!(info_figures(&mut c), Some((0, 0, 0)), "no node retired by inserts or overwrites");
    each_key(&mut c, 1000, &["DEL"], ":1\r\n");
    assert_eq!(info_figures(&mut c).unwrap().0, 1000, "one node per deleted key");
    // DEL goes through the map's `remove`, which finds a missing key
    // missing and stops there.
    each_key(&mut c, 1000, &["DEL"], ":0\r\n");
    assert_eq!(info_figures(&mut c).unwrap().0, 1000, "no node retired by a DEL of a missing key");
    // Any other update of an absent key runs under a fresh slot's lock: the
    // slot layer inserts an empty slot, and removes it when the update
    // leaves the key absent (SET ... XX on a missing key).
    each_key(&mut c, 1000, &["SET", "v", "XX"], "$-1\r\n");
    assert_eq!(info_figures(&mut c).unwrap().0, 2000, "one node per update leaving a missing key missing");
    // Reads pin the workers' epoch records, and every 128th pin collects:
    // the full bags reach the collector and are freed.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (retired, freed, _) = info_figures(&mut c).unwrap();
        assert_eq!(retired, 2000);
        if freed >= retired - THREADS as u64 * (BAG - 1) {
            break;
        }
        assert!(Instant::now() < deadline, "only {freed} of {retired} freed");
        each_key(&mut c, 500, &["GET"], "$-1\r\n");
    }
    each_key(&mut c, 100, &["SET", "v"], "+OK\r\n");
    assert_eq!(c.cmd(&["FLUSHALL"]), "+OK\r\n");
    assert_eq!(info_figures(&mut c).unwrap().0, 2100, "FLUSHALL deletes each key");
}

/// The Prometheus endpoint exports the same figures on `lockfree`
/// (`_retired_total` and `_freed_total` counters, a `_pending` gauge),
/// with the backend label.
#[test]
fn prometheus_exports_reclamation_on_lockfree() {
    let (server, metrics) = start(Backend::Lockfree);
    let mut c = server.raw();
    each_key(&mut c, 300, &["SET", "v"], "+OK\r\n");
    each_key(&mut c, 300, &["DEL"], ":1\r\n");
    let s = scrape(metrics);
    let retired = sample(&s, "convoy_reclamation_retired_total").expect("retired exported");
    let freed = sample(&s, "convoy_reclamation_freed_total").expect("freed exported");
    let pending = sample(&s, "convoy_reclamation_pending").expect("pending exported");
    assert_eq!(retired, 300.0);
    assert!(freed <= retired);
    assert_eq!(pending, retired - freed);
    assert_eq!(info_figures(&mut c).unwrap().0, 300, "INFO agrees");
    let x = s.samples.iter().find(|x| x.metric == "convoy_reclamation_pending").unwrap();
    assert_eq!(x.labels.get("backend"), Some("lockfree"));
    assert!(s.docs.contains_key("convoy_reclamation_retired_total"), "described");
}

/// No other backend reports reclamation figures, in INFO or on the
/// endpoint (not even as zeros), since none can count them exactly.
#[test]
fn absent_on_other_backends() {
    for backend in backends().into_iter().filter(|&b| b != Backend::Lockfree) {
        let (server, metrics) = start(backend);
        let mut c = server.raw();
        each_key(&mut c, 100, &["SET", "v"], "+OK\r\n");
        each_key(&mut c, 100, &["DEL"], ":1\r\n");
        assert_eq!(info_figures(&mut c), None, "{}", backend.name());
        let s = scrape(metrics);
        assert!(s.samples.iter().all(|x| !x.metric.starts_with("convoy_reclamation")), "{}", backend.name());
        assert!(s.docs.keys().all(|k| !k.starts_with("convoy_reclamation")), "{}", backend.name());
        // The endpoint works: the section's other figures are there.
        assert!(sample(&s, "redis_uptime_in_seconds").is_some());
    }
}
