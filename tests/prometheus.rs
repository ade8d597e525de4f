//! `--metrics-port`: `GET /metrics` scraped over a real socket with a plain
//! HTTP/1.1 request and read back with a Prometheus text-format parser
//! (prometheus-parse), after known traffic.

mod common;

use common::{backends, http, start_with_metrics_endpoint, Raw, TempDir, TestServer};
use convoy::config::{Backend, Config};
use convoy::metrics::MetricsMode;
use prometheus_parse::{Sample, Scrape, Value};
use std::collections::HashMap;
use std::net::{SocketAddr, TcpStream};

/// A server with the endpoint on, two worker threads, and `tweak`.
fn start(backend: Backend, tweak: impl Fn(&mut Config)) -> (TestServer, SocketAddr) {
    start_with_metrics_endpoint(backend, |c| {
        c.threads = Some(2);
        tweak(c);
    })
}

/// `GET /metrics`, checked for status and content type, and parsed.
fn scrape(addr: SocketAddr) -> (Scrape, String) {
    let r = http(addr, "GET", "/metrics");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    let parsed = Scrape::parse(r.body.lines().map(|l| Ok(l.to_string()))).expect("parses");
    (parsed, r.body)
}

/// The samples of `metric` whose labels include every one of `labels`.
fn find<'a>(s: &'a Scrape, metric: &str, labels: &[(&str, &str)]) -> Vec<&'a Sample> {
    s.samples.iter().filter(|x| x.metric == metric && labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v))).collect()
}

/// The value of the one sample of `metric` with `labels`.
fn value(s: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    let found = find(s, metric, labels);
    assert_eq!(found.len(), 1, "one sample of {metric}{labels:?}, found {found:?}");
    match found[0].value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
        ref other => panic!("{metric} is not a number: {other:?}"),
    }
}

/// Every sample has `backend="<backend>"`, every family a HELP and a TYPE
/// line, and every sample line belongs to a declared family (a histogram's
/// `_bucket`, `_sum` and `_count` to their histogram).
fn check_well_formed(s: &Scrape, text: &str, backend: &str) {
    for x in &s.samples {
        assert_eq!(x.labels.get("backend"), Some(backend), "backend label on {} {:?}", x.metric, x.labels);
    }
    let mut types: HashMap<&str, &str> = HashMap::new();
    for line in text.lines().filter(|l| l.starts_with("# TYPE ")) {
        let mut words = line["# TYPE ".len()..].split(' ');
        types.insert(words.next().unwrap(), words.next().unwrap());
    }
    assert!(!types.is_empty());
    for name in types.keys() {
        assert!(s.docs.get(*name).is_some_and(|h| !h.is_empty()), "HELP for {name}");
    }
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let name = line.split(['{', ' ']).next().unwrap();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix).filter(|f| types.get(f) == Some(&"histogram")))
            .unwrap_or(name);
        assert!(types.contains_key(family), "TYPE for the family of {line}");
    }
}

/// `convoy_command_duration_seconds` for `cmd`: buckets cumulative and
/// monotone up to `+Inf`, which equals `_count`, which equals `calls`;
/// `_sum` equals `redis_commands_duration_seconds_total`.
fn check_histogram(s: &Scrape, cmd: &str, calls: u64) {
    let found = find(s, "convoy_command_duration_seconds", &[("cmd", cmd)]);
    assert_eq!(found.len(), 1, "one histogram for {cmd}");
    let Value::Histogram(buckets) = &found[0].value else { panic!("{cmd}: not a histogram") };
    assert_eq!(buckets.len(), 23, "22 bounds and +Inf");
    for pair in buckets.windows(2) {
        assert!(pair[0].less_than < pair[1].less_than, "bounds ascend: {buckets:?}");
        assert!(pair[0].count <= pair[1].count, "cumulative: {buckets:?}");
    }
    let last = buckets.last().unwrap();
    assert!(last.less_than.is_infinite());
    assert_eq!(last.count, calls as f64);
    assert_eq!(value(s, "convoy_command_duration_seconds_count", &[("cmd", cmd)]), calls as f64);
    let sum = value(s, "convoy_command_duration_seconds_sum", &[("cmd", cmd)]);
    assert_eq!(sum, value(s, "redis_commands_duration_seconds_total", &[("cmd", cmd)]));
    assert!(sum > 0.0);
}

/// 7 SET (one with a time to live), 5 GET, 3 INCR of a non-number (failed)
/// and one GET without its argument (rejected), on one connection.
fn known_traffic(raw: &mut Raw) {
    for i in 0..5 {
        assert_eq!(raw.cmd(&["SET", &format!("k{i}"), "v"]), "+OK\r\n");
    }
    assert_eq!(raw.cmd(&["SET", "ttl", "v", "EX", "100"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["SET", "s", "abc"]), "+OK\r\n");
    for i in 0..5 {
        assert_eq!(raw.cmd(&["GET", &format!("k{i}")]), "$1\r\nv\r\n");
    }
    for _ in 0..3 {
        assert_eq!(raw.cmd(&["INCR", "s"]), "-ERR value is not an integer or out of range\r\n");
    }
    assert_eq!(raw.cmd(&["GET"]), "-ERR wrong number of arguments for 'get' command\r\n");
}

/// INFO's `total_commands_processed`, which counts the commands before it.
fn info_commands_processed(raw: &mut Raw) -> f64 {
    let info = raw.cmd(&["INFO", "stats"]);
    let line = info.lines().find_map(|l| l.strip_prefix("total_commands_processed:")).unwrap();
    line.parse().unwrap()
}

/// After known traffic, the scrape reports exact per-command counts,
/// failures, rejections, errors, latency histograms, keys and clients,
/// with the backend label, in well-formed families.
fn check_counts(backend: Backend, mode: MetricsMode) {
    let name = backend.name();
    let (server, metrics) = start(backend, |c| c.metrics = mode);
    let mut raw = server.raw();
    known_traffic(&mut raw);
    let processed = info_commands_processed(&mut raw);
    let (s, text) = scrape(metrics);
    check_well_formed(&s, &text, name);

    for (cmd, calls, failed, rejected) in [("set", 7, 0, 0), ("get", 5, 0, 1), ("incr", 3, 3, 0)] {
        let cmd_label = [("cmd", cmd)];
        assert_eq!(value(&s, "redis_commands_total", &cmd_label), calls as f64, "{name} {cmd}");
        assert_eq!(value(&s, "redis_commands_failed_calls_total", &cmd_label), failed as f64, "{name} {cmd}");
        assert_eq!(value(&s, "redis_commands_rejected_calls_total", &cmd_label), rejected as f64, "{name} {cmd}");
        check_histogram(&s, cmd, calls);
    }
    // INFO ran once, before the scrape.
    assert_eq!(value(&s, "redis_commands_total", &[("cmd", "info")]), 1.0);
    assert_eq!(value(&s, "redis_errors_total", &[("err", "ERR")]), 4.0, "{name}: 3 INCR and the GET");
    assert_eq!(find(&s, "redis_errors_total", &[]).len(), 1, "only ERR");
    assert_eq!(value(&s, "redis_commands_processed_total", &[]), processed + 1.0, "INFO's count plus INFO");

    assert_eq!(value(&s, "redis_db_keys", &[("db", "db0")]), 7.0);
    assert_eq!(value(&s, "redis_db_keys_expiring", &[("db", "db0")]), 1.0);
    assert_eq!(value(&s, "redis_db_keys", &[("db", "db15")]), 0.0);
    assert_eq!(find(&s, "redis_db_keys", &[]).len(), 16, "every database");
    assert_eq!(value(&s, "redis_connected_clients", &[]), 1.0);
    assert_eq!(value(&s, "redis_connections_received_total", &[]), 1.0);
    assert_eq!(value(&s, "redis_expired_keys_total", &[]), 0.0);
    assert_eq!(value(&s, "redis_aof_enabled", &[]), 0.0);
    assert!(find(&s, "redis_aof_current_size_bytes", &[]).is_empty());
    assert!(value(&s, "redis_memory_used_rss_bytes", &[]) > 0.0);
    assert!(value(&s, "redis_memory_used_bytes", &[]) > 0.0);
    // The five GETs found their keys; INCR's lookups are writes, not reads.
    assert_eq!(value(&s, "redis_keyspace_hits_total", &[]), 5.0, "{name}");
    assert_eq!(value(&s, "redis_keyspace_misses_total", &[]), 0.0, "{name}");
    let port = server.addr.port().to_string();
    assert_eq!(value(&s, "redis_instance_info", &[("tcp_port", &port), ("redis_mode", "standalone")]), 1.0);
}

/// Exact counts on every backend, with the default sharded statistics.
#[test]
fn counts_commands_on_every_backend() {
    for backend in backends() {
        check_counts(backend, MetricsMode::Sharded);
    }
}

/// The same counts with the global (single locked table) statistics.
#[test]
fn counts_commands_with_global_metrics() {
    check_counts(Backend::Mutex, MetricsMode::Global);
}

/// With `--metrics off` the command families are described but empty, and
/// the server-wide figures are still exact.
#[test]
fn metrics_off_still_serves_server_figures() {
    for backend in [Backend::Mutex, Backend::Papaya] {
        let (server, metrics) = start(backend, |c| c.metrics = MetricsMode::Off);
        let mut raw = server.raw();
        known_traffic(&mut raw);
        let processed = info_commands_processed(&mut raw);
        let (s, text) = scrape(metrics);
        check_well_formed(&s, &text, backend.name());
        for family in ["redis_commands_total", "redis_errors_total", "convoy_command_duration_seconds"] {
            assert!(s.docs.contains_key(family), "{family} still described");
            assert!(find(&s, family, &[]).is_empty(), "{family} has no samples when off");
        }
        assert_eq!(value(&s, "redis_commands_processed_total", &[]), processed + 1.0);
        assert_eq!(value(&s, "redis_db_keys", &[("db", "db0")]), 7.0);
        assert_eq!(value(&s, "redis_connected_clients", &[]), 1.0);
    }
}

/// Any path but /metrics is 404, another method on it 405, HEAD 200 with
/// no body; a query string is ignored.
#[test]
fn other_paths_and_methods() {
    let (_server, metrics) = start(Backend::Mutex, |_| {});
    for path in ["/", "/metricsx", "/metrics/", "/favicon.ico"] {
        assert_eq!(http(metrics, "GET", path).status, 404, "{path}");
    }
    let post = http(metrics, "POST", "/metrics");
    assert_eq!((post.status, post.headers["allow"].as_str()), (405, "GET, HEAD"));
    let head = http(metrics, "HEAD", "/metrics");
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    assert_eq!(http(metrics, "GET", "/metrics?name[]=redis_up").status, 200);
}

/// With the write-ahead log on, its size is INFO's and its records, fsyncs
/// and fsynced records are counted.
#[test]
fn write_ahead_log_figures() {
    let dir = TempDir::new("prometheus");
    let (server, metrics) = start(Backend::Papaya, |c| {
        c.appendonly = true;
        c.appendfsync = convoy::wal::Fsync::Always;
        c.dir = dir.path().to_path_buf();
    });
    let mut raw = server.raw();
    for i in 0..10 {
        assert_eq!(raw.cmd(&["SET", &format!("k{i}"), "v"]), "+OK\r\n");
    }
    let info = raw.cmd(&["INFO", "persistence"]);
    let size: f64 = info.lines().find_map(|l| l.strip_prefix("aof_current_size:")).unwrap().parse().unwrap();
    let (s, text) = scrape(metrics);
    check_well_formed(&s, &text, "papaya");
    assert_eq!(value(&s, "redis_aof_enabled", &[]), 1.0);
    // The log's end, as INFO reports it (the file itself is preallocated).
    assert_eq!(value(&s, "redis_aof_current_size_bytes", &[]), size);
    assert!(size > 10.0 * 20.0, "ten records of SET k<i> v");
    // appendfsync always: every acknowledged SET was fsynced first.
    let fsynced = value(&s, "convoy_aof_records_fsynced_total", &[]);
    let fsyncs = value(&s, "convoy_aof_fsyncs_total", &[]);
    assert_eq!(value(&s, "convoy_aof_records_total", &[]), 10.0);
    assert_eq!(fsynced, 10.0);
    assert!((1.0..=10.0).contains(&fsyncs), "{fsyncs} fsyncs");
}

/// The endpoint closes with the server, and a port already taken stops
/// the start with an error.
#[test]
fn endpoint_stops_with_the_server_and_needs_its_port() {
    let (mut server, metrics) = start(Backend::Mutex, |_| {});
    assert_eq!(http(metrics, "GET", "/metrics").status, 200);
    server.handle.take().unwrap().stop();
    assert!(TcpStream::connect(metrics).is_err(), "nothing listens after stop");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = Config::default_for_tests();
    config.metrics_port = taken.local_addr().unwrap().port();
    let err = convoy::server::spawn(config).err().expect("the port is taken");
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
}
