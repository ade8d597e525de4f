//! The keyspace backends in-process, no network: what each map costs per
//! operation, alone and with threads contending, through the same
//! [`Keyspace`] trait the server uses (`read`, `update` and `remove`,
//! nothing else).
//!
//! # Workloads: conc-map-bench's three mixes
//!
//! Jon Gjengset's `bustle` crate (a port of libcuckoo's "universal
//! benchmark", with YCSB-like mixes) runs a mix of reads, inserts,
//! removes and updates against a concurrent map; `conc-map-bench` (by the
//! author of DashMap) runs three such mixes against the Rust maps, and these
//! are the three mixes here:
//!
//! | mix | read | insert | remove | update | prefilled |
//! | --- | ---: | ---: | ---: | ---: | ---: |
//! | `read-heavy` | 98% | 1% | 1% | 0% | 75% of the key space |
//! | `exchange` | 10% | 40% | 40% | 10% | 75% of the key space |
//! | `rapid-grow` | 5% | 80% | 5% | 10% | empty |
//!
//! As in bustle, the operations come from a shuffled deck of 100 (so the
//! proportions are exact over every 100 operations), and each operation is
//! one call of the trait:
//!
//! - read: `read(key, |e| e.is_some())`;
//! - insert: `update` storing a small string entry, whether or not the key
//!   was there;
//! - update: `update` replacing the entry with a small string if the key is
//!   there, leaving an absent key absent (bustle's update never inserts);
//! - remove: `remove`, as DEL makes it (a missing key is a lookup).
//!
//! Keys come from a fixed key space of `CONVOY_BENCH_KEYS` keys (default
//! 2^16 = 65,536, named `key:000000012345` as redis-benchmark names them),
//! drawn either **uniformly** or **Zipf**-distributed with exponent
//! s = 0.99, YCSB's "zipfian constant": the key of rank r is drawn with
//! probability proportional to 1/r^0.99, so over 65,536 keys the hottest
//! key takes 8% of the operations, the ten hottest 24%, the hundred hottest
//! 43%. Zipf is what makes per-shard and per-key locks collide: every
//! thread wants the same few keys.
//!
//! This is where the mixes differ from bustle's: bustle gives each thread
//! its own keys, inserts fresh keys in order and removes the oldest first,
//! so every insert adds a key and every remove removes one (and a key
//! distribution has no meaning). Here every operation draws its key from
//! the distribution, as clients of a server do, so an insert may overwrite
//! and a remove may miss. The maps still change size the way the mixes
//! intend (figures at the end of a round, uniform and Zipf keys): rapid-grow
//! fills an empty map (to 44% and 18% of the key space: Zipf inserts the
//! same hot keys again and again), exchange churns a map from 75% towards
//! half full (64% and 70%), read-heavy barely changes it (75%).
//!
//! # What one measurement is: rounds
//!
//! As in bustle, a *round* starts from a fresh map (`Keyspace::new`),
//! prefilled by the worker threads with the mix's fraction of the key
//! space (a fixed pseudo-random subset), then runs 0.75 operations per key
//! of the key space (bustle's default `operations(0.75)`), split evenly
//! among the threads. Building, prefilling and dropping maps are not timed.
//!
//! criterion asks for `iters` operations at a time. They continue the
//! current round where the last request left it, starting fresh rounds as
//! rounds run out: every timed operation is made in the same regime,
//! whatever iteration count criterion picks (rapid-grow always measures a
//! map growing from empty, never one that has long been saturated), and the
//! cost of a prefill is spread over a whole round's operations, so that
//! criterion's warm-up, which starts from a single iteration, still learns
//! how long an operation takes (a round that would start with a request is
//! prefilled before criterion starts its clock: on a busy machine one
//! prefill can outlast the whole warm-up). Each stretch of a round runs on
//! fresh threads, released together by a spinning barrier; the clock runs
//! from the first thread's start to the last one's finish.
//!
//! Each thread's operations and keys are drawn once per workload, from a
//! fixed seed, before anything is timed: drawing a Zipf key costs tens of
//! nanoseconds, as much as a read, and every backend replays exactly the
//! same operations.
//!
//! # Benchmarks
//!
//! - `maps/<mix>/<uniform|zipf>/<backend>/<threads>`: the mixes, on 1 and 2
//!   threads, then doubling up to `std::thread::available_parallelism`, and
//!   that count itself.
//! - `maps/op/read/<backend>`, `maps/op/update/<backend>`: one thread, one
//!   call at a time on a map holding every key (an update replaces an
//!   entry), keys visited in a fixed random order: the uncontended cost of
//!   one call, without a mix's bookkeeping.
//!
//! Every backend in [`BACKENDS`] is measured, through [`convoy::with_backend!`]:
//! a backend added there is picked up without a change here. Throughput is
//! in operations per second (criterion's `elem/s`). After each mix
//! benchmark, one more line says how much of the timed time its threads
//! spent on a CPU and how often the kernel preempted them: how much other
//! processes on this machine disturbed the figure above it (a hypervisor's
//! other guests are invisible to it).
//!
//! # Running
//!
//! `cargo bench --bench maps` runs everything; a regular expression after
//! `--` picks benchmarks by name (`-- papaya`, `-- read-heavy/zipf`,
//! `-- 'maps/exchange/.*/mutex/2'`). `CONVOY_BENCH_SECS` sets each
//! benchmark's measurement time in seconds (default 1; warm-up is a third
//! of it); `CONVOY_BENCH_PLOTS=1` draws criterion's HTML plots (off by
//! default: they take longer than the measurements).
//! `python3 benches/summary.py` prints the medians and their ratios to
//! papaya and to mutex (see `benches/README.md`).

use bytes::Bytes;
use convoy::bench::workload::key_name;
use convoy::keyspace::{Entry, Keyspace, BACKENDS};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Zipf};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The key space's default size (see `CONVOY_BENCH_KEYS`): small enough to
/// sit in a server CPU's last-level cache, as a small Redis dataset does,
/// and to keep a round (and its prefill) to a few milliseconds.
const DEFAULT_KEYS: usize = 1 << 16;

/// YCSB's zipfian constant.
const ZIPF_EXPONENT: f64 = 0.99;

/// Every workload is drawn from this seed: reruns and backends see the same
/// operations.
const SEED: u64 = 0x00C0_4F0E;

/// One operation of a mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Read,
    Insert,
    Remove,
    Update,
}

/// A mix: percentages of each operation (summing to 100), and the fraction
/// of the key space present when a round starts.
struct Mix {
    name: &'static str,
    read: usize,
    insert: usize,
    remove: usize,
    update: usize,
    prefill: f64,
}

/// conc-map-bench's mixes (its `workloads.rs`), with its prefill fractions.
const MIXES: [Mix; 3] = [
    Mix { name: "read-heavy", read: 98, insert: 1, remove: 1, update: 0, prefill: 0.75 },
    Mix { name: "exchange", read: 10, insert: 40, remove: 40, update: 10, prefill: 0.75 },
    Mix { name: "rapid-grow", read: 5, insert: 80, remove: 5, update: 10, prefill: 0.0 },
];

/// How keys are drawn from the key space.
#[derive(Clone, Copy, Debug)]
enum Dist {
    Uniform,
    Zipf,
}

impl Dist {
    fn name(self) -> &'static str {
        match self {
            Dist::Uniform => "uniform",
            Dist::Zipf => "zipf",
        }
    }
}

/// One operation, ready to replay: 8 bytes, so a thread's whole round
/// streams through the cache without disturbing the map much.
#[derive(Clone, Copy)]
struct Op {
    kind: Kind,
    key: u32,
}

/// A mix, a distribution and a thread count, drawn out in full.
struct Workload {
    /// Keys (indices into the key space) inserted before each round.
    prefill: Vec<u32>,
    /// Each thread's operations for one full round.
    ops: Vec<Vec<Op>>,
}

impl Workload {
    fn new(mix: &Mix, dist: Dist, threads: usize, keys: usize) -> Workload {
        assert_eq!(mix.read + mix.insert + mix.remove + mix.update, 100, "{}: percentages must sum to 100", mix.name);
        let mut rng = SmallRng::seed_from_u64(SEED);
        let mut prefill: Vec<u32> = (0..keys as u32).collect();
        prefill.shuffle(&mut rng);
        prefill.truncate((keys as f64 * mix.prefill) as usize);

        let mut deck = Vec::with_capacity(100);
        for (kind, n) in
            [(Kind::Read, mix.read), (Kind::Insert, mix.insert), (Kind::Remove, mix.remove), (Kind::Update, mix.update)]
        {
            deck.extend(std::iter::repeat_n(kind, n));
        }
        deck.shuffle(&mut rng);

        let zipf = Zipf::new(keys as f64, ZIPF_EXPONENT).expect("a valid Zipf distribution");
        let round = ops_per_round(keys);
        let ops = (0..threads)
            .map(|t| {
                (0..share(round, threads, t))
                    .map(|i| {
                        let key = match dist {
                            Dist::Uniform => rng.random_range(0..keys),
                            // Ranks run from 1 to `keys`; rank 1 is key 0.
                            Dist::Zipf => zipf.sample(&mut rng) as usize - 1,
                        };
                        Op { kind: deck[i % deck.len()], key: key as u32 }
                    })
                    .collect()
            })
            .collect();
        Workload { prefill, ops }
    }

    /// Operations in one full round, all threads together.
    fn round_len(&self) -> usize {
        self.ops.iter().map(Vec::len).sum()
    }

    /// Run operations `from..to` of a round on `map`, each thread its share
    /// (thread `t` has done `share(x, threads, t)` of the first `x`),
    /// after the threads insert the prefill if `prefill` (a fresh round):
    /// the time from the first thread's start to the last one's finish,
    /// and what the threads' timed parts cost in CPU time.
    ///
    /// The threads insert the prefill themselves, as in bustle, so the map
    /// is in their caches as it would be after their own work, not in the
    /// cache of the thread that runs criterion.
    fn stretch<K: Keyspace>(&self, map: &K, keys: &[Bytes], prefill: bool, from: usize, to: usize) -> Stretch {
        let threads = self.ops.len();
        let barrier = SpinBarrier::new(threads);
        let spans: Vec<(Instant, Instant, Usage)> = std::thread::scope(|s| {
            let workers: Vec<_> = self
                .ops
                .iter()
                .enumerate()
                .map(|(t, ops)| {
                    let ops = &ops[share(from, threads, t)..share(to, threads, t)];
                    let barrier = &barrier;
                    s.spawn(move || {
                        let mut passed = 0;
                        if prefill {
                            for &k in self.prefill.iter().skip(t).step_by(threads) {
                                apply(map, &keys[k as usize], Kind::Insert);
                            }
                            barrier.wait(&mut passed);
                            // No writer runs now, so `len` must be exact: a
                            // map that loses or duplicates keys is caught
                            // before it is measured.
                            if t == 0 {
                                assert_eq!(map.len(), self.prefill.len(), "{}: prefilled keys", K::NAME);
                            }
                        }
                        barrier.wait(&mut passed);
                        let before = Usage::of_this_thread();
                        let start = Instant::now();
                        for op in ops {
                            apply(map, &keys[op.key as usize], op.kind);
                        }
                        let end = Instant::now();
                        (start, end, Usage::of_this_thread().since(before))
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().expect("a benchmark thread panicked")).collect()
        });
        let start = spans.iter().map(|s| s.0).min().expect("at least one thread");
        let end = spans.iter().map(|s| s.1).max().expect("at least one thread");
        let mut stretch = Stretch { wall: end - start, ..Stretch::default() };
        for (start, end, usage) in spans {
            stretch.busy += end - start;
            stretch.usage.add(usage);
        }
        stretch
    }
}

/// The timed part of a stretch: its wall time, the sum of the threads' own
/// timed spans, and what the kernel says they used meanwhile.
#[derive(Clone, Copy, Default)]
struct Stretch {
    wall: Duration,
    busy: Duration,
    usage: Usage,
}

/// A thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`, exact to the
/// nanosecond: `getrusage`'s figure only moves on scheduler ticks, longer
/// than many stretches) and involuntary context switches (times the kernel
/// took its CPU away; `getrusage(RUSAGE_THREAD)`): how much of a
/// measurement other processes took. Linux only; zero elsewhere.
#[derive(Clone, Copy, Default)]
struct Usage {
    cpu: Duration,
    preempted: u64,
}

impl Usage {
    fn of_this_thread() -> Usage {
        #[cfg(target_os = "linux")]
        {
            // <sys/resource.h>; the libc crate does not export it for glibc.
            const RUSAGE_THREAD: libc::c_int = 1;
            // SAFETY: `rusage` and `timespec` are plain data, valid when
            // zeroed; getrusage and clock_gettime write them in full when
            // they succeed and leave them zeroed otherwise.
            let (usage, cpu) = unsafe {
                let mut usage: libc::rusage = std::mem::zeroed();
                libc::getrusage(RUSAGE_THREAD, &mut usage);
                let mut cpu: libc::timespec = std::mem::zeroed();
                libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut cpu);
                (usage, cpu)
            };
            Usage { cpu: Duration::new(cpu.tv_sec as u64, cpu.tv_nsec as u32), preempted: usage.ru_nivcsw as u64 }
        }
        #[cfg(not(target_os = "linux"))]
        Usage::default()
    }

    fn since(self, before: Usage) -> Usage {
        Usage { cpu: self.cpu.saturating_sub(before.cpu), preempted: self.preempted.saturating_sub(before.preempted) }
    }

    fn add(&mut self, other: Usage) {
        self.cpu += other.cpu;
        self.preempted += other.preempted;
    }
}

/// A barrier that spins: a thread parked in a futex takes tens of
/// microseconds to wake, longer on a busy machine, and a stretch may be
/// short. It yields after a while, in case there are more threads than
/// cores.
struct SpinBarrier {
    threads: usize,
    arrived: AtomicUsize,
}

impl SpinBarrier {
    fn new(threads: usize) -> Self {
        SpinBarrier { threads, arrived: AtomicUsize::new(0) }
    }

    /// Wait until every thread has called `wait` as often as this one has;
    /// `passed` counts this thread's calls (every thread calls the same
    /// number of times).
    fn wait(&self, passed: &mut usize) {
        *passed += 1;
        // AcqRel/Acquire: what a thread did before arriving (its prefill)
        // happens before what any thread does after leaving.
        self.arrived.fetch_add(1, Ordering::AcqRel);
        let mut spins = 0u32;
        while self.arrived.load(Ordering::Acquire) < *passed * self.threads {
            if spins < 100_000 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// A [`Workload`] being replayed on maps of type `K`: the current round's
/// map and how many of the round's operations it has seen.
/// On drop it prints how much of the timed time its threads spent on a
/// CPU, and how often they were preempted.
struct Replay<'a, K> {
    name: String,
    workload: &'a Workload,
    keys: &'a [Bytes],
    map: Option<K>,
    done: usize,
    /// Every timed stretch so far (warm-up included), summed.
    timed: Stretch,
}

impl<'a, K: Keyspace> Replay<'a, K> {
    fn new(name: String, workload: &'a Workload, keys: &'a [Bytes]) -> Self {
        Replay { name, workload, keys, map: None, done: 0, timed: Stretch::default() }
    }

    /// Make sure a round with operations left is ready, starting a fresh
    /// one (a new map, prefilled) if needed. Called before criterion starts
    /// its clock too (see `bench_mixes`): a prefill can take longer than
    /// the whole warm-up on a busy machine, and criterion would then
    /// conclude that one operation takes that long.
    fn ready(&mut self) {
        if self.map.is_none() || self.done == self.workload.round_len() {
            // Drop the old map before building the next: one at a time.
            self.map = None;
            let map = K::new();
            self.workload.stretch(&map, self.keys, true, 0, 0);
            self.map = Some(map);
            self.done = 0;
        }
    }

    /// Time the next `iters` operations, starting fresh rounds as needed.
    fn run(&mut self, iters: u64) -> Duration {
        let round = self.workload.round_len();
        let mut left = iters;
        let mut total = Duration::ZERO;
        while left > 0 {
            self.ready();
            let n = left.min((round - self.done) as u64) as usize;
            let map = self.map.as_ref().expect("ready");
            let stretch = self.workload.stretch(map, self.keys, false, self.done, self.done + n);
            total += stretch.wall;
            self.timed.wall += stretch.wall;
            self.timed.busy += stretch.busy;
            self.timed.usage.add(stretch.usage);
            self.done += n;
            left -= n as u64;
        }
        total
    }
}

impl<K> Drop for Replay<'_, K> {
    /// One line under criterion's report: a thread that is off its CPU was
    /// preempted by another process, or is waiting for a lock another
    /// thread holds (parked, not spinning). Much time off CPU together
    /// with many preemptions means the machine was busy and the figure is
    /// low by about that much.
    fn drop(&mut self) {
        let t = self.timed;
        if t.busy.is_zero() || cfg!(not(target_os = "linux")) {
            return;
        }
        // The CPU clock is read just outside the timed span: clamp.
        let on_cpu = (100.0 * t.usage.cpu.as_secs_f64() / t.busy.as_secs_f64()).min(100.0);
        let per_s = t.usage.preempted as f64 / t.busy.as_secs_f64();
        println!(
            "{}: threads on a CPU {on_cpu:.0}% of their timed time; preempted {} times ({per_s:.0}/s)",
            self.name, t.usage.preempted
        );
    }
}

/// Operations in one full round: bustle's default, 0.75 per key.
fn ops_per_round(keys: usize) -> usize {
    (keys * 3 / 4).max(1)
}

/// Thread `t`'s share of `n` operations split among `threads`.
fn share(n: usize, threads: usize, t: usize) -> usize {
    n / threads + usize::from(t < n % threads)
}

/// The entry inserts and updates store: a short string, as most Redis
/// values are.
fn value() -> Entry {
    Entry::string(Bytes::from_static(b"value"))
}

/// One operation through the `Keyspace` trait.
#[inline]
fn apply<K: Keyspace>(map: &K, key: &[u8], kind: Kind) {
    match kind {
        Kind::Read => {
            black_box(map.read(key, |e| e.is_some()));
        }
        Kind::Insert => map.update(key, |slot| *slot = Some(value())),
        Kind::Update => map.update(key, |slot| {
            if let Some(e) = slot {
                *e = value();
            }
        }),
        Kind::Remove => {
            map.remove(key, drop);
        }
    }
}

/// The thread counts measured: 1 and 2, then doubling up to the core
/// count, and the core count itself.
fn thread_counts() -> Vec<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut counts = vec![1, 2];
    let mut t = 4;
    while t < cores {
        counts.push(t);
        t *= 2;
    }
    if cores > 2 {
        counts.push(cores);
    }
    counts
}

/// A positive number from the environment variable `name`, or `default`.
fn env_number<T: std::str::FromStr + PartialOrd + Default>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Err(_) => default,
        Ok(s) => match s.parse::<T>() {
            Ok(v) if v > T::default() => v,
            _ => panic!("{name}={s:?}: expected a positive number"),
        },
    }
}

fn key_space() -> Vec<Bytes> {
    let n = env_number("CONVOY_BENCH_KEYS", DEFAULT_KEYS);
    assert!(n <= u32::MAX as usize, "CONVOY_BENCH_KEYS: at most 2^32 keys");
    (0..n as u64).map(|i| Bytes::from(key_name(i))).collect()
}

fn bench_mixes(c: &mut Criterion) {
    let keys = key_space();
    for mix in &MIXES {
        for dist in [Dist::Uniform, Dist::Zipf] {
            let group_name = format!("maps/{}/{}", mix.name, dist.name());
            let mut group = c.benchmark_group(&group_name);
            group.throughput(Throughput::Elements(1));
            // Samples of equal length: criterion's default (lengths growing
            // linearly, fitted by a line) assumes a fixed cost per
            // iteration, and a round is not that.
            group.sampling_mode(SamplingMode::Flat);
            for threads in thread_counts() {
                let workload = Workload::new(mix, dist, threads, keys.len());
                for &name in BACKENDS {
                    convoy::with_backend!(name, K => {
                        let mut replay = Replay::<K>::new(format!("{group_name}/{name}/{threads}"), &workload, &keys);
                        group.bench_function(BenchmarkId::new(name, threads), |b| {
                            replay.ready();
                            b.iter_custom(|iters| replay.run(iters))
                        });
                    }, _ => unreachable!("{name} is in BACKENDS but not in with_backend!"));
                }
            }
            group.finish();
        }
    }
}

fn bench_single_ops(c: &mut Criterion) {
    let keys = key_space();
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.shuffle(&mut SmallRng::seed_from_u64(SEED));
    for kind in [Kind::Read, Kind::Update] {
        let mut group = c.benchmark_group(format!("maps/op/{}", format!("{kind:?}").to_lowercase()));
        group.throughput(Throughput::Elements(1));
        for &name in BACKENDS {
            convoy::with_backend!(name, K => {
                // Filled on first use, so a filtered-out backend costs nothing.
                let mut map: Option<K> = None;
                let mut i = 0;
                group.bench_function(name, |b| {
                    let map = map.get_or_insert_with(|| {
                        let map = K::new();
                        for k in &keys {
                            apply(&map, k, Kind::Insert);
                        }
                        map
                    });
                    b.iter(|| {
                        i = (i + 1) % order.len();
                        apply(map, &keys[order[i]], kind)
                    })
                });
            }, _ => unreachable!("{name} is in BACKENDS but not in with_backend!"));
        }
        group.finish();
    }
}

/// Measurement time from `CONVOY_BENCH_SECS` (default 1 s), warm-up a
/// third of it, 20 samples; no plots unless `CONVOY_BENCH_PLOTS=1` (drawing
/// them takes several times longer than measuring, on 2 cores).
/// Command-line flags (`--measurement-time`, `--sample-size` ...) still
/// override these.
fn config() -> Criterion {
    let secs = env_number("CONVOY_BENCH_SECS", 1.0_f64);
    let criterion = Criterion::default()
        .measurement_time(Duration::from_secs_f64(secs))
        .warm_up_time(Duration::from_secs_f64(secs / 3.0))
        .sample_size(20);
    match std::env::var("CONVOY_BENCH_PLOTS").as_deref() {
        Ok("1") => criterion.with_plots(),
        _ => criterion.without_plots(),
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_mixes, bench_single_ops
}
criterion_main!(benches);
