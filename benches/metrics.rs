//! What recording one command's statistics costs in each `--metrics` mode,
//! in-process and with nothing else to do, so that the shared table's
//! contention shows without a network or a load generator in the way.
//!
//! - `record/<mode>/<threads>`: each thread records calls of one command
//!   (start the clock, stop it, count, add to the histogram) as fast as it
//!   can; the figure is the time per call on each thread. With 2 threads
//!   both run at once: `global` makes them take one lock and write one
//!   table, `sharded` gives each its own.
//!
//! Run: `cargo bench --bench metrics`.

use convoy::metrics::{Metrics, MetricsMode, Outcome};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// Time `iters` recorded calls on each of `threads` threads started
/// together; the slowest thread's time.
fn run(metrics: &Arc<Metrics>, threads: usize, iters: u64) -> Duration {
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (metrics, barrier) = (metrics.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let start = Instant::now();
                for _ in 0..iters {
                    metrics.record(t % 2, metrics.start(), Outcome::Ok);
                }
                start.elapsed()
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).max().unwrap()
}

fn bench_record(c: &mut Criterion) {
    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    for mode in [MetricsMode::Off, MetricsMode::Sharded, MetricsMode::Global] {
        for threads in [1usize, 2] {
            let metrics = Arc::new(Metrics::new(mode, vec!["get", "set"], threads));
            let id = BenchmarkId::new(mode.name(), threads);
            group.bench_function(id, |b| b.iter_custom(|iters| run(&metrics, threads, iters)));
        }
    }
    group.finish();
}

criterion_group!(benches, bench_record);
criterion_main!(benches);
