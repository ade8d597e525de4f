//! `GET /metrics`: the server's figures in the Prometheus text format,
//! served over HTTP on `--metrics-port`.
//!
//! # What is exposed, and under which names
//!
//! The figures INFO reports (clients, memory, persistence, stats,
//! commandstats, errorstats, keyspace) under the names
//! [redis_exporter](https://github.com/oliver006/redis_exporter) gives
//! them (`redis_commands_total{cmd="set"}`, `redis_errors_total{err="ERR"}`,
//! `redis_db_keys{db="db0"}` ...), so that a dashboard or an alert written
//! for Redis behind redis_exporter reads convoy unchanged. What Redis has no
//! word for is named `convoy_...`: the write-ahead log's fsync figures, a
//! real latency histogram per command, `convoy_command_duration_seconds`,
//! where redis_exporter can only offer the three percentiles INFO prints,
//! and, on the `lockfree` backend, its memory reclamation figures
//! (`convoy_reclamation_retired_total`, `convoy_reclamation_freed_total`,
//! `convoy_reclamation_pending`).
//!
//! Every sample carries a `backend` label (`mutex`, `papaya` ...): the point
//! of convoy is comparing backends, and one Prometheus scraping several
//! servers, one per backend, can then put them side by side in one query.
//!
//! Counters follow INFO, so CONFIG RESETSTAT sets them back to zero; that
//! is a counter reset to Prometheus, which `rate()` and `increase()` handle.
//!
//! # Read at scrape time, never copied
//!
//! The usual way to instrument a program with a Prometheus client is to
//! keep the client's own counters and bump them as things happen. convoy
//! already counts everything once, in the places built to make that cheap
//! (per-worker tables in [`crate::metrics`], per-client counters,
//! per-database counts). Bumping a second set of counters on every command
//! would double the cost the sharded tables exist to avoid, and the two
//! sets could disagree. So the registry here holds no metric at all, only
//! a [`Collector`], which prometheus-client calls on each scrape: it reads
//! the live figures, exactly as INFO does, and encodes them. The cost of
//! `/metrics` falls on the scraper, a few times a minute, never on the
//! command path.
//!
//! This is the one file under `metrics/` that reads the server's shared
//! state ([`Shared`]) rather than only counters: like INFO, it is a reader
//! of everything, and keeping it next to the statistics it exports keeps
//! the names and their meanings in one place.
//!
//! # The latency histogram
//!
//! Latencies are kept in HdrHistograms ([`crate::metrics`]); a Prometheus
//! histogram is a fixed list of cumulative buckets. At each scrape, each
//! command's HdrHistogram is walked once and every recorded value is
//! counted in the first bucket whose bound is at least the lowest value of
//! its HdrHistogram bucket. The HdrHistogram keeps two significant digits,
//! so a value can land in a bucket whose bound it exceeds by under 1%; the
//! bounds run in 1-2-5 steps from 100 ns to 1 s ([`BOUNDS_NS`]). Calls
//! longer than 1 s are recorded as 1 s (as Redis's latency tracking does)
//! and so fall in the `le="1"` bucket. `_count` is the number of calls and
//! `_sum` their exact total time (the same figure as
//! `redis_commands_duration_seconds_total`), not an estimate from buckets.
//!
//! prometheus-client's own `Histogram` cannot be filled from buckets
//! computed elsewhere (it only observes values one at a time), so the
//! collector hands the buckets to the crate's encoder directly
//! ([`MetricEncoder::encode_histogram`](prometheus_client::encoding::MetricEncoder::encode_histogram)), which writes the cumulative
//! `_bucket` lines, `+Inf`, `_sum` and `_count`. No line of the output is
//! formatted by hand: names, labels, escaping and number formats are the
//! crate's.
//!
//! # The format and the HTTP server
//!
//! The text exposition format version 0.0.4
//! ([`prometheus_text::encode`], `Content-Type: text/plain;
//! version=0.0.4; charset=utf-8`), which every Prometheus and every agent
//! that scrapes Prometheus endpoints reads. HTTP/1.1 only, from hyper: one
//! task per connection on the server's runtime; `GET` or `HEAD /metrics`
//! (any query string) answers 200, another method on it 405, any other
//! path 404. A client that has not sent its request headers within 10 s is
//! dropped. At shutdown the endpoint stops accepting and cancels scrapes in
//! flight (they only read).
//!
//! # Memory
//!
//! `redis_memory_used_bytes` is INFO's `used_memory`, from the counting
//! allocator, and `redis_memory_used_rss_bytes` the process's resident set
//! (both from [`crate::metrics::alloc`]).

use crate::keyspace::Keyspace;
use crate::metrics::{alloc, CommandStats, Snapshot};
use crate::server::Shared;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    prometheus_text, DescriptorEncoder, EncodeCounterValue, EncodeGaugeValue, NoLabelSet,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// The path Prometheus scrapes by default.
pub const PATH: &str = "/metrics";

/// Upper bounds of `convoy_command_duration_seconds`'s buckets, in
/// nanoseconds: 1-2-5 steps from 100 ns (a GET on an idle server) to 1 s
/// (the longest latency the histograms hold).
pub const BOUNDS_NS: [u64; 22] = [
    100,
    200,
    500,
    1_000,
    2_000,
    5_000,
    10_000,
    20_000,
    50_000,
    100_000,
    200_000,
    500_000,
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    20_000_000,
    50_000_000,
    100_000_000,
    200_000_000,
    500_000_000,
    1_000_000_000,
];

/// How long a client may take to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The `/metrics` endpoint, bound and not yet serving.
pub struct Endpoint {
    listener: TcpListener,
}

impl Endpoint {
    /// Bind `--metrics-port` on the `--bind` address; `None` when the port
    /// is 0 (no endpoint). Bound before the server starts, so that a port
    /// already in use stops the start with an error.
    pub async fn bind(address: &str, port: u16) -> std::io::Result<Option<Endpoint>> {
        if port == 0 {
            return Ok(None);
        }
        let listener = TcpListener::bind((address, port)).await?;
        Ok(Some(Endpoint { listener }))
    }

    /// The address the endpoint listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Answer scrapes of `shared`'s figures until the server shuts down.
    pub async fn serve<K: Keyspace>(self, shared: Arc<Shared<K>>) {
        let mut shutdown = shared.shutdown.subscribe();
        // The guard `wait_for` returns is not `Send`: drop it inside.
        let stopped = async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        };
        tokio::pin!(stopped);
        let registry = Arc::new(registry(shared));
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((socket, _)) => {
                        connections.spawn(serve_connection(socket, registry.clone()));
                    }
                    Err(e) => {
                        // Out of descriptors and the like: back off briefly.
                        eprintln!("convoy: metrics endpoint: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                },
                // Reap finished connections, so that the set holds only
                // live ones.
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                _ = &mut stopped => break,
            }
        }
        // Scrapes in flight only read: cancel them.
        connections.shutdown().await;
    }
}

/// The registry scraped: no metric of its own, one collector reading
/// `shared`, and the `backend` label on every sample.
pub fn registry<K: Keyspace>(shared: Arc<Shared<K>>) -> Registry {
    let backend = shared.backend_name;
    let mut registry = Registry::with_labels([(Cow::Borrowed("backend"), Cow::Borrowed(backend))].into_iter());
    registry.register_collector(Box::new(ServerCollector { shared }));
    registry
}

/// One HTTP/1.1 connection, until the client closes it.
async fn serve_connection(socket: TcpStream, registry: Arc<Registry>) {
    let service = service_fn(move |request| std::future::ready(Ok::<_, Infallible>(respond(&registry, &request))));
    // Errors are the client's (a reset, a malformed request, a timeout):
    // nothing to do but close.
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(TokioIo::new(socket), service)
        .await;
}

/// The answer to one request.
fn respond(registry: &Registry, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    if request.uri().path() != PATH {
        return plain(StatusCode::NOT_FOUND, "Not Found: the metrics are at /metrics\n");
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n");
        response.headers_mut().insert(ALLOW, "GET, HEAD".parse().expect("valid header value"));
        return response;
    }
    let mut body = String::new();
    if prometheus_text::encode(&mut body, registry).is_err() {
        // Writing to a String cannot fail; a collector could.
        return plain(StatusCode::INTERNAL_SERVER_ERROR, "encoding the metrics failed\n");
    }
    let mut response = Response::new(Full::new(Bytes::from(body)));
    response.headers_mut().insert(CONTENT_TYPE, prometheus_text::CONTENT_TYPE.parse().expect("valid header value"));
    response
}

/// A short plain-text answer.
fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, "text/plain; charset=utf-8".parse().expect("valid header value"));
    response
}

/// Reads a server's live figures at each scrape and encodes them.
struct ServerCollector<K> {
    shared: Arc<Shared<K>>,
}

impl<K> fmt::Debug for ServerCollector<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerCollector").finish_non_exhaustive()
    }
}

impl<K: Keyspace> Collector for ServerCollector<K> {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let e = &mut encoder;
        self.encode_server(e)?;
        self.encode_memory(e)?;
        self.encode_persistence(e)?;
        self.encode_stats(e)?;
        encode_commands(e, &self.shared.metrics.snapshot())?;
        self.encode_keyspace(e)?;
        self.encode_reclamation(e)
    }
}

impl<K: Keyspace> ServerCollector<K> {
    /// INFO's server and clients sections.
    fn encode_server(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        let s = &*self.shared;
        let port = s.local_addr.port().to_string();
        let pid = std::process::id().to_string();
        let info: [(&str, &str); 6] = [
            ("redis_version", crate::cmd::server::REDIS_VERSION),
            ("redis_mode", "standalone"),
            ("role", "master"),
            ("tcp_port", &port),
            ("run_id", crate::cmd::server::run_id()),
            ("process_id", &pid),
        ];
        e.encode_descriptor(
            "redis_instance",
            "Information about the server: the Redis version it follows, its mode, role, port, run id and process id; the value is always 1.",
            None,
            MetricType::Info,
        )?
        .encode_info(&info)?;
        gauge(e, "redis_uptime_in_seconds", "Seconds since the server started.", s.started.elapsed().as_secs())?;
        gauge(e, "redis_connected_clients", "Client connections open now.", s.clients.count() as u64)?;
        gauge(
            e,
            "redis_blocked_clients",
            "Clients waiting in a blocking command (BLPOP and the like).",
            s.blocking.blocked_clients() as u64,
        )
    }

    /// INFO's memory section: both sides of it (see [`crate::metrics::alloc`]).
    fn encode_memory(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        gauge(
            e,
            "redis_memory_used_bytes",
            "Bytes allocated by the server and not yet freed, as its counting allocator sees them (INFO used_memory).",
            alloc::allocated() as u64,
        )?;
        gauge(
            e,
            "redis_memory_max_bytes",
            "The highest used_memory sampled so far (INFO used_memory_peak).",
            alloc::sample_peak() as u64,
        )?;
        gauge(
            e,
            "redis_memory_used_rss_bytes",
            "Bytes of the process resident in memory, as the kernel counts them (INFO used_memory_rss).",
            alloc::rss() as u64,
        )
    }

    /// INFO's persistence section: the write-ahead log.
    fn encode_persistence(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        let wal = self.shared.wal.as_deref();
        gauge(
            e,
            "redis_aof_enabled",
            "Whether the write-ahead log (append-only file) is on: 1 or 0.",
            wal.is_some() as u64,
        )?;
        let Some(wal) = wal else { return Ok(()) };
        let f = wal.figures();
        gauge(e, "redis_aof_current_size_bytes", "Bytes of the write-ahead log file now.", f.current_size)?;
        gauge(
            e,
            "redis_aof_base_size_bytes",
            "Bytes of the write-ahead log file at start or after the last rewrite.",
            f.base_size,
        )?;
        gauge(
            e,
            "redis_aof_last_write_status",
            "Whether the last write to the log succeeded: 1 or 0.",
            f.last_write_ok as u64,
        )?;
        counter(e, "convoy_aof_records", "Records appended to the write-ahead log since start.", f.records)?;
        counter(e, "convoy_aof_fsyncs", "fsyncs of the write-ahead log since start.", f.fsyncs)?;
        counter(
            e,
            "convoy_aof_records_fsynced",
            "Records made durable by those fsyncs; divided by convoy_aof_fsyncs_total, the records each fsync covered (group commit).",
            f.records_fsynced,
        )
    }

    /// INFO's stats section.
    fn encode_stats(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        let s = &*self.shared;
        counter(
            e,
            "redis_connections_received",
            "Client connections accepted since start or CONFIG RESETSTAT.",
            s.stats.total_connections_received.load(Ordering::Relaxed),
        )?;
        counter(
            e,
            "redis_rejected_connections",
            "Client connections refused (maxclients) since start or CONFIG RESETSTAT.",
            s.stats.rejected_connections.load(Ordering::Relaxed),
        )?;
        counter(
            e,
            "redis_commands_processed",
            "Commands processed since start or CONFIG RESETSTAT.",
            s.total_commands_processed(),
        )?;
        counter(
            e,
            "redis_expired_keys",
            "Keys removed because their time to live ran out, since start or CONFIG RESETSTAT.",
            s.expired_keys(),
        )?;
        let (hits, misses) = s.keyspace_lookups();
        counter(e, "redis_keyspace_hits", "Reads that found their key, since start or CONFIG RESETSTAT.", hits)?;
        counter(
            e,
            "redis_keyspace_misses",
            "Reads that did not find their key, since start or CONFIG RESETSTAT.",
            misses,
        )?;
        let (input, output) = s.net_bytes();
        counter(e, "redis_net_input_bytes", "Bytes read from clients, since start or CONFIG RESETSTAT.", input)?;
        counter(e, "redis_net_output_bytes", "Bytes written to clients, since start or CONFIG RESETSTAT.", output)?;
        gauge(
            e,
            "redis_instantaneous_ops_per_sec",
            "Commands per second over the last 1.6 s, sampled every 100 ms (INFO instantaneous_ops_per_sec).",
            s.stats.ops_rate.per_sec(),
        )
    }

    /// INFO convoy's reclamation figures, for a backend that counts them
    /// (see [`Keyspace::reclamation`]); nothing at all for the others, so
    /// that a dashboard shows no series rather than a false zero.
    fn encode_reclamation(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        let Some(r) = crate::keyspace::reclamation(&self.shared.dbs) else { return Ok(()) };
        counter(
            e,
            "convoy_reclamation_retired",
            "Map nodes unlinked and handed to the epoch collector since start (INFO convoy_reclamation_retired).",
            r.retired,
        )?;
        counter(
            e,
            "convoy_reclamation_freed",
            "Of the retired nodes, those whose deferred free has run (INFO convoy_reclamation_freed).",
            r.freed,
        )?;
        gauge(
            e,
            "convoy_reclamation_pending",
            "Retired nodes not yet freed: garbage waiting for pinned threads to move on (INFO convoy_reclamation_pending).",
            r.pending(),
        )
    }

    /// INFO's keyspace section, with every database (an empty one as 0, so
    /// that its series does not vanish when it empties).
    fn encode_keyspace(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        let dbs = &self.shared.dbs;
        let names: Vec<String> = (0..dbs.len()).map(|i| format!("db{i}")).collect();
        let mut keys = e.encode_descriptor(
            "redis_db_keys",
            "Keys in the database, counting expired keys not yet removed.",
            None,
            MetricType::Gauge,
        )?;
        for (db, name) in dbs.iter().zip(&names) {
            keys.encode_family(&[("db", name.as_str())])?.encode_gauge(&(db.len() as u64))?;
        }
        let mut expiring = e.encode_descriptor(
            "redis_db_keys_expiring",
            "Keys in the database with a time to live.",
            None,
            MetricType::Gauge,
        )?;
        for (db, name) in dbs.iter().zip(&names) {
            expiring.encode_family(&[("db", name.as_str())])?.encode_gauge(&(db.expires_count() as u64))?;
        }
        Ok(())
    }
}

/// INFO's commandstats, errorstats and latencystats, from `--metrics`
/// (empty when it is off: the families are still described).
fn encode_commands(e: &mut DescriptorEncoder, snap: &Snapshot) -> fmt::Result {
    per_command(
        e,
        snap,
        "redis_commands",
        "Calls of the command that ran, failed or not (INFO commandstats calls).",
        |c| c.calls,
    )?;
    per_command(
        e,
        snap,
        "redis_commands_duration_seconds",
        "Seconds spent running the command, all calls together (INFO commandstats usec).",
        |c| c.usec as f64 / 1e6,
    )?;
    per_command(
        e,
        snap,
        "redis_commands_failed_calls",
        "Calls of the command that ran and replied with an error (INFO commandstats failed_calls).",
        |c| c.failed,
    )?;
    per_command(
        e,
        snap,
        "redis_commands_rejected_calls",
        "Calls of the command refused before running, e.g. for a wrong number of arguments (INFO commandstats rejected_calls).",
        |c| c.rejected,
    )?;

    let mut errors = e.encode_descriptor(
        "redis_errors",
        "Error replies, by their first word (INFO errorstats).",
        None,
        MetricType::Counter,
    )?;
    for (kind, n) in &snap.errors {
        errors.encode_family(&[("err", kind.as_str())])?.encode_counter::<NoLabelSet, _, u64>(n, None)?;
    }

    let mut latency = e.encode_descriptor(
        "convoy_command_duration_seconds",
        "Time each call of the command took to run, from convoy's HdrHistograms; _sum is exact, buckets are exact to 1%.",
        None,
        MetricType::Histogram,
    )?;
    for c in snap.commands.iter().filter(|c| c.calls > 0) {
        latency.encode_family(&[("cmd", c.name)])?.encode_histogram::<NoLabelSet>(
            c.usec as f64 / 1e6,
            c.calls,
            &buckets(&c.latency),
            None,
        )?;
    }
    Ok(())
}

/// One counter family with a sample per command (`cmd="set"`); the
/// encoder appends `_total` to `name`.
fn per_command<V: EncodeCounterValue>(
    e: &mut DescriptorEncoder,
    snap: &Snapshot,
    name: &str,
    help: &str,
    value: impl Fn(&CommandStats) -> V,
) -> fmt::Result {
    let mut family = e.encode_descriptor(name, help, None, MetricType::Counter)?;
    for c in &snap.commands {
        family.encode_family(&[("cmd", c.name)])?.encode_counter::<NoLabelSet, _, u64>(&value(c), None)?;
    }
    Ok(())
}

/// One gauge without labels of its own.
fn gauge(e: &mut DescriptorEncoder, name: &str, help: &str, value: impl EncodeGaugeValue) -> fmt::Result {
    e.encode_descriptor(name, help, None, MetricType::Gauge)?.encode_gauge(&value)
}

/// One counter without labels of its own; the encoder appends `_total`
/// to `name`.
fn counter(e: &mut DescriptorEncoder, name: &str, help: &str, value: impl EncodeCounterValue) -> fmt::Result {
    e.encode_descriptor(name, help, None, MetricType::Counter)?.encode_counter::<NoLabelSet, _, u64>(&value, None)
}

/// The calls in each of [`BOUNDS_NS`]'s buckets (not cumulative: the
/// encoder sums them), bounds in seconds. A recorded value counts in the
/// first bucket whose bound is at least the lowest value its HdrHistogram
/// bucket stands for; values above the last bound are only in `+Inf`,
/// which the encoder writes from the total.
pub fn buckets(latency: &Histogram<u64>) -> Vec<(f64, u64)> {
    let mut counts = [0u64; BOUNDS_NS.len()];
    for v in latency.iter_recorded() {
        let lowest = latency.lowest_equivalent(v.value_iterated_to());
        if let Some(i) = BOUNDS_NS.iter().position(|&bound| lowest <= bound) {
            counts[i] += v.count_at_value();
        }
    }
    BOUNDS_NS.iter().zip(counts).map(|(&bound, n)| (bound as f64 / 1e9, n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values land in the first bucket at least as large as they are, and
    /// the buckets hold every value at most once.
    #[test]
    fn buckets_from_hdr() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 1_000_000_000, 2).unwrap();
        for ns in [50, 100, 101, 1_000, 3_000, 999_999_999, 1_000_000_000] {
            h.record(ns).unwrap();
        }
        let b = buckets(&h);
        assert_eq!(b.len(), BOUNDS_NS.len());
        let at = |secs: f64| b.iter().find(|(bound, _)| (*bound - secs).abs() < 1e-12).unwrap().1;
        assert_eq!(at(100e-9), 2, "50 ns and 100 ns");
        assert_eq!(at(200e-9), 1, "101 ns");
        assert_eq!(at(1e-6), 1);
        assert_eq!(at(5e-6), 1, "3 µs");
        assert_eq!(at(1.0), 2, "just under 1 s, and 1 s");
        assert_eq!(b.iter().map(|(_, n)| n).sum::<u64>(), h.len());
    }
}
