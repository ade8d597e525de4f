//! The write-ahead log in-process, no network: what a record costs to
//! encode, to read back, and to append with the flusher thread running.
//!
//! - `wal/encode/<value bytes>`: [`format::encode`] of `SET key:000042 <value>`.
//! - `wal/read`: a [`format::Reader`] over a log of 10,000 such records
//!   (32-byte values), checksums checked, arguments copied out.
//! - `wal/append/<fsync>/<threads>`: threads append records as fast as
//!   they can (as pipelined writers would); the clock stops when the last
//!   one is acknowledged (in the file for `no`, fsynced for `always`).
//! - `wal/append-ack/<fsync>/<threads>`: each thread waits for a record's
//!   acknowledgement before appending the next (as a client waits for its
//!   reply). Under `always` this is one fsync per round: with 2 threads,
//!   group commit lets one fsync cover both.
//!
//! The log is written under `CONVOY_BENCH_DIR` if set, otherwise the
//! system's temp dir: the fsync figures are those of that file system
//! (tmpfs makes fsync free). Each sample starts a fresh log, and deletes it.
//!
//! Run: `cargo bench --bench wal` (add `-- append` to pick a group).

use convoy::wal::{format, Fsync, Wal};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// Bytes of the value in the records the reader and append benchmarks use.
const VALUE: usize = 32;
/// Distinct keys the records cycle through.
const KEYS: u64 = 1000;

fn key(i: u64) -> Vec<u8> {
    format!("key:{:06}", i % KEYS).into_bytes()
}

fn bench_encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("wal/encode");
    group.throughput(Throughput::Elements(1));
    for size in [16, 256, 4096] {
        let value = vec![b'v'; size];
        let mut out = Vec::with_capacity(size + 128);
        group.bench_with_input(BenchmarkId::from_parameter(size), &value, |b, value| {
            b.iter(|| {
                out.clear();
                format::encode(0, &[b"SET", b"key:000042", black_box(value)], &mut out);
                black_box(out.len())
            })
        });
    }
    group.finish();
}

fn bench_read(c: &mut Criterion) {
    const RECORDS: u64 = 10_000;
    let mut log = format::HEADER.to_vec();
    let value = [b'v'; VALUE];
    for i in 0..RECORDS {
        format::encode((i % 4) as usize, &[b"SET", &key(i), &value], &mut log);
    }
    let mut group = c.benchmark_group("wal/read");
    group.throughput(Throughput::Elements(RECORDS));
    group.bench_function(BenchmarkId::from_parameter(format!("{RECORDS}-records-{}-bytes", log.len())), |b| {
        b.iter(|| {
            let mut reader = format::Reader::new(black_box(&log)).unwrap();
            let mut n = 0u64;
            while let Some(record) = reader.next_record().unwrap() {
                n += record.args.len() as u64;
            }
            assert_eq!(n, 3 * RECORDS);
        })
    });
    group.finish();
}

/// A fresh directory for one log, removed on drop.
struct LogDir(PathBuf);

impl LogDir {
    fn new() -> LogDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::var_os("CONVOY_BENCH_DIR").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = base.join(format!("convoy-bench-wal-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        LogDir(path)
    }
}

impl Drop for LogDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Wait for `lsn`'s acknowledgement on this thread ([`Wal::wait`] is a
/// future; a current-thread runtime drives it without a worker pool).
/// The thread is about to sleep, so it kicks the flusher first, as a
/// server worker does when it parks.
fn wait(runtime: &tokio::runtime::Runtime, wal: &Wal, lsn: u64) {
    wal.kick();
    runtime.block_on(wal.wait(lsn));
}

/// `threads` threads append `iters` records between them to a fresh log
/// whose flusher runs on its own thread, waiting for each record's
/// acknowledgement if `ack_each`; returns the time from the start until
/// every record is acknowledged.
fn append(fsync: Fsync, threads: usize, iters: u64, ack_each: bool) -> Duration {
    let dir = LogDir::new();
    let wal = Arc::new(Wal::open(&dir.0, fsync, true, None).expect("open the log"));
    let flusher = {
        let wal = wal.clone();
        std::thread::spawn(move || wal.run_flusher())
    };
    let per_thread = iters.div_ceil(threads as u64);
    let barrier = Arc::new(Barrier::new(threads + 1));
    let appenders: Vec<_> = (0..threads as u64)
        .map(|t| {
            let (wal, barrier) = (wal.clone(), barrier.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
                let keys: Vec<Vec<u8>> = (0..KEYS).map(|i| key(i + t * KEYS)).collect();
                let value = [b'v'; VALUE];
                let mut lsn = 0;
                barrier.wait();
                for i in 0..per_thread {
                    lsn = wal.append(0, &[b"SET", &keys[(i % KEYS) as usize], &value], false);
                    if ack_each {
                        wait(&runtime, &wal, lsn);
                    }
                }
                lsn
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    let last = appenders.into_iter().map(|h| h.join().unwrap()).max().unwrap_or(0);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    wait(&runtime, &wal, last);
    let elapsed = start.elapsed();
    wal.stop();
    flusher.join().unwrap();
    elapsed
}

fn bench_append(c: &mut Criterion) {
    for (name, ack_each) in [("wal/append", false), ("wal/append-ack", true)] {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(1));
        // One fsync per round makes `append-ack` under `always` slow: fewer
        // samples keep it within the measurement time.
        group.sample_size(if ack_each { 10 } else { 50 });
        for fsync in [Fsync::No, Fsync::Always] {
            for threads in [1, 2] {
                let id = BenchmarkId::new(fsync.name(), format!("{threads}-threads"));
                group.bench_with_input(id, &threads, |b, &threads| {
                    b.iter_custom(|iters| append(fsync, threads, iters, ack_each))
                });
            }
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = bench_encode, bench_read, bench_append
}
criterion_main!(benches);
