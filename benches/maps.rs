//! The keyspace backends in-process, no network: what each map costs per
//! operation, alone and with threads contending, through the same
//! `Keyspace` trait the server uses.
//!
//! Run: `cargo bench --bench maps` (add `-- papaya` to pick one backend).

use bytes::Bytes;
use convoy::keyspace::{Entry, Keyspace, BACKENDS};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const KEYS: usize = 100_000;

fn keys() -> Vec<Bytes> {
    (0..KEYS).map(|i| Bytes::from(format!("key:{i:06}"))).collect()
}

fn filled<K: Keyspace>(keys: &[Bytes]) -> K {
    let map = K::new();
    for k in keys {
        map.update(k, |slot| *slot = Some(Entry::string(Bytes::from_static(b"xxx"))));
    }
    map
}

/// `threads` threads each doing `iters` operations, 90% reads, 10% writes
/// over uniformly chosen keys; returns the wall time.
fn mixed<K: Keyspace>(map: &Arc<K>, keys: &Arc<Vec<Bytes>>, threads: usize, iters: u64) -> Duration {
    let barrier = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (map, keys, barrier) = (map.clone(), keys.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ t as u64;
                barrier.wait();
                for i in 0..iters {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let k = &keys[(x as usize) % keys.len()];
                    if i % 10 == 0 {
                        map.update(k, |slot| *slot = Some(Entry::string(Bytes::from_static(b"yyy"))));
                    } else {
                        black_box(map.read(k, |e| e.is_some()));
                    }
                }
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    handles.into_iter().for_each(|h| h.join().unwrap());
    start.elapsed()
}

fn bench_backend<K: Keyspace>(c: &mut Criterion) {
    let keys = Arc::new(keys());
    let map: Arc<K> = Arc::new(filled(&keys));
    let mut group = c.benchmark_group(format!("maps/{}", K::NAME));
    group.throughput(Throughput::Elements(1));
    group.bench_function("read", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 7919) % KEYS;
            black_box(map.read(&keys[i], |e| e.is_some()))
        })
    });
    group.bench_function("update", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 7919) % KEYS;
            map.update(&keys[i], |slot| *slot = Some(Entry::string(Bytes::from_static(b"zzz"))))
        })
    });
    for threads in [1, 2, 4] {
        group.bench_with_input(BenchmarkId::new("mixed-90-10", threads), &threads, |b, &threads| {
            b.iter_custom(|iters| mixed(&map, &keys, threads, iters.div_ceil(threads as u64)))
        });
    }
    group.finish();
}

fn all_backends(c: &mut Criterion) {
    for name in BACKENDS {
        convoy::with_backend!(*name, K => bench_backend::<K>(c), _ => unreachable!());
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    targets = all_backends
}
criterion_main!(benches);
