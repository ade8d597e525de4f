//! `convoy bench`: a load generator for convoy and any Redis-compatible
//! server, for the workloads redis-benchmark cannot make.
//!
//! redis-benchmark runs one command at a time over uniformly drawn keys, in
//! a closed loop. What shows contention in a concurrent map is skew (many
//! clients on a few hot keys: `--distribution zipf:0.99`), mixes
//! (`--ratio 1:9`, SETs to GETs) and, to measure latency honestly, an
//! *open* loop.
//!
//! # Closed and open loops
//!
//! In the **closed loop** (the default) each client sends `--pipeline`
//! requests, waits for their replies, and sends again. The server sets the
//! pace: if it stalls for 100 ms, the clients stall with it and send
//! nothing meanwhile, so the stall shows in one request's latency per
//! client rather than in the hundreds that would have been sent. That is
//! *coordinated omission* (Gil Tene's term): fine for measuring throughput,
//! misleading for latency percentiles.
//!
//! With `--rate OPS` the loop is **open**: the requests are spread over the
//! clients, and each client sends its share on a fixed schedule (request
//! `i` at `start + i / rate_per_client`), whether or not earlier replies
//! have come back; a separate task reads the replies. Each request's
//! latency is measured from its *intended* send time, so a stall delays
//! every request scheduled during it, and every one of them counts. A
//! client that falls behind its schedule sends at once what is due. Sends
//! are timed by the runtime's timer to the millisecond and then by
//! yielding until the instant, so the schedule holds to a few
//! microseconds on an idle machine; whatever it misses is counted as
//! latency, never hidden. The rate must be within what the server can
//! serve, or latencies grow without bound for the whole run (as they
//! would for real users).
//!
//! # What is measured
//!
//! A request's latency runs from when it was sent (closed loop: when its
//! pipeline batch was written, as redis-benchmark does; open loop: its
//! intended time) to when its whole reply has been read. Latencies go into
//! one HdrHistogram per client (1 µs to 1 minute, 3 significant digits),
//! merged at the end. Throughput is replies received over the run's
//! duration. Requests in flight when the duration ends are waited for and
//! counted, so the server's command count after a run equals
//! `requests` exactly (the tests check this).

pub mod reply;
pub mod workload;

use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use std::collections::VecDeque;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use workload::{Distribution, Op, Ratio, Workload};

/// `convoy bench`'s flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Server port.
    #[arg(long, default_value_t = 6379)]
    pub port: u16,
    /// Connections, each with its own request stream.
    #[arg(long, default_value_t = 50)]
    pub clients: usize,
    /// Threads driving the connections (1, like redis-benchmark, unless
    /// one thread cannot keep up).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Requests each client sends before reading replies (closed loop), or
    /// sends together at each tick of its schedule (open loop).
    #[arg(long, default_value_t = 1)]
    pub pipeline: usize,
    /// Size of the keyspace: keys are `key:000000000000` up to `--keys`
    /// minus one, as redis-benchmark's `-r`.
    #[arg(long, default_value_t = 100_000)]
    pub keys: u64,
    /// How keys are drawn: `uniform`, or `zipf:S` (key 0 hottest; 0.99 is
    /// the skew of YCSB and conc-map-bench).
    #[arg(long, default_value = "uniform")]
    pub distribution: Distribution,
    /// SET:GET weights, e.g. `1:9` for 10% SETs; SET:GET:DEL adds DELs
    /// (`1:0:1`: keys created and deleted, the churn that makes maps
    /// reclaim memory).
    #[arg(long, default_value = "1:9")]
    pub ratio: Ratio,
    /// Bytes in each SET's value (redis-benchmark's default is 3).
    #[arg(long, default_value_t = 3)]
    pub value_size: usize,
    /// How long to send, e.g. `10s`, `500ms`, `2m`.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub duration: Duration,
    /// Open loop: requests per second, over all clients, sent on a fixed
    /// schedule (see the module doc). Without it, a closed loop.
    #[arg(long)]
    pub rate: Option<f64>,
    /// How long to wait, after `--duration`, for replies still due before
    /// giving up on a server that stopped answering (default: the
    /// duration, at least 10 s).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub grace: Option<Duration>,
    /// Seed of the key and command draws (default: from the clock).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write the results and parameters as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// A run's results (and, in JSON, its parameters).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub ops_per_sec: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
    /// Replies received (each request gets one).
    pub requests: u64,
    pub sets: u64,
    pub gets: u64,
    pub dels: u64,
    /// Replies that were errors.
    pub errors: u64,
    /// From the first send to the last reply.
    pub elapsed_s: f64,
    pub parameters: Parameters,
}

/// The run's parameters, as given (for the JSON file).
#[derive(Debug, Clone, Serialize)]
pub struct Parameters {
    pub host: String,
    pub port: u16,
    pub clients: usize,
    pub threads: usize,
    pub pipeline: usize,
    pub keys: u64,
    pub distribution: String,
    pub ratio: String,
    pub value_size: usize,
    pub duration_s: f64,
    pub rate: Option<f64>,
    pub seed: u64,
    pub open_loop: bool,
}

/// Why a run failed.
#[derive(Debug)]
pub enum Error {
    Options(String),
    Connect(String),
    Io(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Options(m) | Error::Connect(m) | Error::Io(m) => f.write_str(m),
        }
    }
}

/// `convoy bench`: run, print the summary, write the JSON file. Returns the
/// process's exit code.
pub fn main(options: &Options) -> u8 {
    match run(options) {
        Ok(summary) => {
            print!("{}", summary.report());
            if let Some(path) = &options.json {
                let json = serde_json::to_string_pretty(&summary).expect("plain data serialises");
                if let Err(e) = std::fs::write(path, json + "\n") {
                    eprintln!("convoy bench: cannot write {}: {e}", path.display());
                    return 1;
                }
            }
            0
        }
        Err(e) => {
            eprintln!("convoy bench: {e}");
            1
        }
    }
}

/// Run the benchmark on a runtime of its own (`--threads` workers).
pub fn run(options: &Options) -> Result<Summary, Error> {
    check(options)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.threads)
        .thread_name("convoy-bench")
        .enable_all()
        .build()
        .map_err(|e| Error::Io(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(run_async(options))
}

fn check(o: &Options) -> Result<(), Error> {
    let bad = |m: &str| Err(Error::Options(m.to_string()));
    if o.clients == 0 || o.threads == 0 || o.pipeline == 0 || o.keys == 0 {
        return bad("--clients, --threads, --pipeline and --keys must be at least 1");
    }
    if o.duration.is_zero() {
        return bad("--duration must be above zero");
    }
    if let Some(rate) = o.rate {
        if !(rate.is_finite() && rate > 0.0) {
            return bad("--rate must be a number of requests per second above zero");
        }
    }
    Ok(())
}

/// What the clients share while they run.
struct Shared {
    /// Replies received so far, for the progress bar.
    done: AtomicU64,
    /// Set when a client fails, so the others stop.
    failed: AtomicBool,
}

/// One client's results.
struct ClientResult {
    histogram: Histogram<u64>,
    sent: Sent,
    errors: u64,
}

/// Requests sent, by command.
#[derive(Default)]
struct Sent {
    sets: u64,
    gets: u64,
    dels: u64,
}

/// Put the next `pipeline` requests of `workload` in `out` (emptied
/// first), counting them in `sent`.
fn encode_batch(workload: &mut Workload, pipeline: usize, out: &mut Vec<u8>, sent: &mut Sent) {
    out.clear();
    for _ in 0..pipeline {
        match workload.encode_next(out) {
            Op::Set => sent.sets += 1,
            Op::Get => sent.gets += 1,
            Op::Del => sent.dels += 1,
        }
    }
}

async fn run_async(o: &Options) -> Result<Summary, Error> {
    let seed = o.seed.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
    });
    let addr = format!("{}:{}", o.host, o.port);
    // Connect everyone first, so connecting is not part of the timed run.
    let mut streams = Vec::with_capacity(o.clients);
    for _ in 0..o.clients {
        let stream =
            TcpStream::connect(&addr).await.map_err(|e| Error::Connect(format!("cannot connect to {addr}: {e}")))?;
        stream.set_nodelay(true).map_err(|e| Error::Io(e.to_string()))?;
        streams.push(stream);
    }
    let shared = Arc::new(Shared { done: AtomicU64::new(0), failed: AtomicBool::new(false) });
    let progress = Progress::start(o, Arc::clone(&shared));
    let start = Instant::now();
    let deadline = start + o.duration;
    let mut tasks = Vec::with_capacity(o.clients);
    for (i, stream) in streams.into_iter().enumerate() {
        let workload = Workload::new(seed, i as u64, o.keys, o.distribution, o.ratio, o.value_size);
        let shared = Arc::clone(&shared);
        let pipeline = o.pipeline;
        let task = match o.rate {
            None => tokio::spawn(closed_loop(stream, workload, pipeline, deadline, shared)),
            Some(rate) => {
                let interval = Duration::from_secs_f64(o.clients as f64 / rate);
                tokio::spawn(open_loop(stream, workload, pipeline, start, interval, deadline, shared))
            }
        };
        tasks.push(task);
    }
    let mut results = Vec::with_capacity(tasks.len());
    let mut failure = None;
    // Replies still due at the end are waited for, but not for ever: a
    // server that stops answering ends the run with an error.
    let grace = o.grace.unwrap_or(o.duration.max(Duration::from_secs(10)));
    for mut task in tasks {
        match tokio::time::timeout_at((deadline + grace).into(), &mut task).await {
            Ok(Ok(Ok(r))) => results.push(r),
            Ok(Ok(Err(e))) => failure = failure.or(Some(e)),
            Ok(Err(e)) => failure = failure.or(Some(Error::Io(format!("a client task failed: {e}")))),
            Err(_) => {
                task.abort();
                shared.failed.store(true, Ordering::Relaxed);
                failure = failure.or(Some(Error::Io(format!(
                    "replies still missing {:?} after the run ended: the server stopped answering",
                    grace
                ))));
            }
        }
    }
    let elapsed = start.elapsed();
    progress.finish();
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(summarise(o, seed, elapsed, results))
}

fn new_histogram() -> Histogram<u64> {
    // Microseconds, 1 µs to 1 minute, 3 significant digits.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds")
}

fn record(h: &mut Histogram<u64>, latency: Duration) {
    h.saturating_record((latency.as_micros() as u64).max(1));
}

/// Buffered reading of replies off one connection: the socket is read
/// straight into the buffer, and framed replies are advanced past.
struct Replies {
    buf: bytes::BytesMut,
}

impl Replies {
    fn new() -> Replies {
        Replies { buf: bytes::BytesMut::with_capacity(16 * 1024) }
    }

    /// The next complete reply's error flag, reading from `stream` as
    /// needed.
    async fn next<R: AsyncReadExt + Unpin>(&mut self, stream: &mut R) -> Result<bool, Error> {
        loop {
            match reply::frame(&self.buf) {
                Ok(Some(framed)) => {
                    bytes::Buf::advance(&mut self.buf, framed.len);
                    return Ok(framed.error);
                }
                Ok(None) => {}
                Err(reply::Malformed(m)) => return Err(Error::Io(format!("the server sent something not RESP: {m}"))),
            }
            // Room for a read: reuses the space of consumed replies when
            // nothing else holds it, so the buffer does not grow.
            self.buf.reserve(16 * 1024);
            let n = stream.read_buf(&mut self.buf).await.map_err(|e| Error::Io(format!("reading replies: {e}")))?;
            if n == 0 {
                return Err(Error::Io("the server closed the connection".into()));
            }
        }
    }
}

/// Send `pipeline` requests, read their replies, repeat until `deadline`.
async fn closed_loop(
    mut stream: TcpStream,
    mut workload: Workload,
    pipeline: usize,
    deadline: Instant,
    shared: Arc<Shared>,
) -> Result<ClientResult, Error> {
    let mut result = ClientResult { histogram: new_histogram(), sent: Sent::default(), errors: 0 };
    let mut replies = Replies::new();
    let mut out = Vec::with_capacity(pipeline * 64);
    while Instant::now() < deadline && !shared.failed.load(Ordering::Relaxed) {
        encode_batch(&mut workload, pipeline, &mut out, &mut result.sent);
        let sent = Instant::now();
        let io = async {
            stream.write_all(&out).await.map_err(|e| Error::Io(format!("sending: {e}")))?;
            for _ in 0..pipeline {
                let error = replies.next(&mut stream).await?;
                record(&mut result.histogram, sent.elapsed());
                result.errors += error as u64;
            }
            Ok::<(), Error>(())
        };
        if let Err(e) = io.await {
            shared.failed.store(true, Ordering::Relaxed);
            return Err(e);
        }
        // Relaxed: a count for the progress bar.
        shared.done.fetch_add(pipeline as u64, Ordering::Relaxed);
    }
    Ok(result)
}

/// Send on a fixed schedule (a batch of `pipeline` every
/// `interval * pipeline`) until `deadline`, while a reader takes the
/// replies and measures each from its batch's intended time.
async fn open_loop(
    stream: TcpStream,
    mut workload: Workload,
    pipeline: usize,
    start: Instant,
    interval: Duration,
    deadline: Instant,
    shared: Arc<Shared>,
) -> Result<ClientResult, Error> {
    let (mut rd, mut wr) = stream.into_split();
    // Intended send times of requests sent and not yet answered, oldest
    // first. The writer pushes, the reader pops: a plain mutex-guarded
    // queue, touched once per request by each side.
    let due: Arc<parking_lot::Mutex<VecDeque<Instant>>> = Arc::default();
    let sent_all = Arc::new(AtomicBool::new(false));
    let wake = Arc::new(tokio::sync::Notify::new());
    let reader = {
        let (due, sent_all, wake, shared) =
            (Arc::clone(&due), Arc::clone(&sent_all), Arc::clone(&wake), Arc::clone(&shared));
        tokio::spawn(async move {
            let mut histogram = new_histogram();
            let mut errors = 0;
            let mut replies = Replies::new();
            loop {
                let next = due.lock().pop_front();
                let Some(intended) = next else {
                    // Acquire: pairs with the writer's Release store, after
                    // its last push.
                    if sent_all.load(Ordering::Acquire) && due.lock().is_empty() {
                        break;
                    }
                    wake.notified().await;
                    continue;
                };
                let error = match replies.next(&mut rd).await {
                    Ok(error) => error,
                    Err(e) => {
                        shared.failed.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                };
                record(&mut histogram, intended.elapsed());
                errors += error as u64;
                shared.done.fetch_add(1, Ordering::Relaxed);
            }
            Ok((histogram, errors))
        })
    };
    let batch_interval = interval * pipeline as u32;
    let mut sent = Sent::default();
    let mut out = Vec::with_capacity(pipeline * 64);
    let mut tick: u32 = 0;
    let mut write_error = None;
    loop {
        let intended = start + batch_interval * tick;
        if intended >= deadline || shared.failed.load(Ordering::Relaxed) {
            break;
        }
        wait_until(intended).await;
        encode_batch(&mut workload, pipeline, &mut out, &mut sent);
        due.lock().extend(std::iter::repeat_n(intended, pipeline));
        wake.notify_one();
        if let Err(e) = wr.write_all(&out).await {
            write_error = Some(Error::Io(format!("sending: {e}")));
            shared.failed.store(true, Ordering::Relaxed);
            break;
        }
        tick += 1;
    }
    // Release: see the reader's Acquire load.
    sent_all.store(true, Ordering::Release);
    wake.notify_one();
    if let Some(e) = write_error {
        reader.abort();
        return Err(e);
    }
    let (histogram, errors) = reader.await.map_err(|e| Error::Io(format!("reader task: {e}")))??;
    Ok(ClientResult { histogram, sent, errors })
}

/// Sleep until `at`: on the runtime's timer (millisecond resolution) while
/// more than a millisecond away, then yielding to other tasks until the
/// instant, so schedules hold below the timer's resolution.
async fn wait_until(at: Instant) {
    const TIMER_RESOLUTION: Duration = Duration::from_millis(1);
    let now = Instant::now();
    if at > now + TIMER_RESOLUTION {
        tokio::time::sleep_until((at - TIMER_RESOLUTION).into()).await;
    }
    while Instant::now() < at {
        tokio::task::yield_now().await;
    }
}

fn summarise(o: &Options, seed: u64, elapsed: Duration, results: Vec<ClientResult>) -> Summary {
    let mut histogram = new_histogram();
    let (mut sets, mut gets, mut dels, mut errors) = (0, 0, 0, 0);
    for r in &results {
        histogram.add(&r.histogram).expect("same bounds");
        sets += r.sent.sets;
        gets += r.sent.gets;
        dels += r.sent.dels;
        errors += r.errors;
    }
    let requests = histogram.len();
    let secs = elapsed.as_secs_f64();
    let at = |q: f64| if requests == 0 { 0.0 } else { histogram.value_at_quantile(q) as f64 };
    Summary {
        ops_per_sec: if secs > 0.0 { requests as f64 / secs } else { 0.0 },
        p50_us: at(0.50),
        p99_us: at(0.99),
        p999_us: at(0.999),
        max_us: histogram.max() as f64,
        mean_us: histogram.mean(),
        requests,
        sets,
        gets,
        dels,
        errors,
        elapsed_s: secs,
        parameters: Parameters {
            host: o.host.clone(),
            port: o.port,
            clients: o.clients,
            threads: o.threads,
            pipeline: o.pipeline,
            keys: o.keys,
            distribution: o.distribution.to_string(),
            ratio: o.ratio.to_string(),
            value_size: o.value_size,
            duration_s: o.duration.as_secs_f64(),
            rate: o.rate,
            seed,
            open_loop: o.rate.is_some(),
        },
    }
}

impl Summary {
    /// The text `convoy bench` prints.
    pub fn report(&self) -> String {
        let p = &self.parameters;
        let loop_kind = match p.rate {
            Some(rate) => format!("open loop at {rate} requests/s"),
            None => "closed loop".to_string(),
        };
        let ms = |us: f64| us / 1000.0;
        format!(
            "convoy bench: {}:{}, {} clients on {} thread(s), pipeline {}, {} keys {}, SET:GET{} {}, {}-byte values, {}, {} s\n\
             requests: {} ({} SET, {} GET, {} DEL) in {:.2} s, {} errors\n\
             throughput: {:.0} requests/s\n\
             latency ms: p50 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}  mean {:.3}\n",
            p.host,
            p.port,
            p.clients,
            p.threads,
            p.pipeline,
            p.keys,
            p.distribution,
            if self.dels > 0 || p.ratio.matches(':').count() == 2 { ":DEL" } else { "" },
            p.ratio,
            p.value_size,
            loop_kind,
            p.duration_s,
            self.requests,
            self.sets,
            self.gets,
            self.dels,
            self.elapsed_s,
            self.errors,
            self.ops_per_sec,
            ms(self.p50_us),
            ms(self.p99_us),
            ms(self.p999_us),
            ms(self.max_us),
            ms(self.mean_us),
        )
    }
}

/// The progress bar: elapsed time against the duration, with the
/// throughput so far. Drawn on stderr when it is a terminal; otherwise
/// (logs, CI) one plain line every 5 seconds, so long runs still show life.
struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    fn start(o: &Options, shared: Arc<Shared>) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        if o.quiet {
            return Progress { stop, thread: None };
        }
        let total_ms = o.duration.as_millis() as u64;
        let terminal = std::io::stderr().is_terminal();
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let bar = ProgressBar::with_draw_target(Some(total_ms), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {elapsed:>4} of {len_s}  {msg}")
                    .expect("a valid template")
                    .with_key("len_s", move |_: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0}s", total_ms as f64 / 1000.0);
                    }),
            );
            let mut last_line = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let secs = started.elapsed().as_secs_f64();
                let done = shared.done.load(Ordering::Relaxed);
                let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
                if terminal {
                    bar.set_position((secs * 1000.0) as u64);
                    bar.set_message(format!("{done} requests, {rate:.0}/s"));
                } else if last_line.elapsed() >= Duration::from_secs(5) {
                    eprintln!("convoy bench: {secs:.0} s, {done} requests, {rate:.0}/s");
                    last_line = Instant::now();
                }
            }
            bar.finish_and_clear();
        });
        Progress { stop, thread: Some(thread) }
    }

    fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
