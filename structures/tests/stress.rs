//! Stress tests of `SplitOrderedMap` with ordinary threads: many threads
//! inserting, removing and reading while the table grows, then exact
//! accounting of what must be there and of what was reclaimed.
//!
//! Each test runs a short version in the default suite; the long versions
//! are `#[ignore]`d (`cargo test -p structures --release --test stress --
//! --ignored`).
#![cfg(not(loom))]

use std::collections::hash_map::RandomState;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use structures::map::SplitOrderedMap;

const THREADS: usize = 4;

/// A value that remembers its key and counts its drops.
struct Value {
    key: u64,
    drops: Arc<AtomicUsize>,
}

impl Drop for Value {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

/// A tiny xorshift generator: each thread its own, seeded by its index.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Flush until every retired node of `map` is freed (threads of other
/// tests may hold the epoch back for a moment).
fn drain<V: Send + Sync + 'static>(map: &SplitOrderedMap<u64, V>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while map.reclamation().pending() > 0 {
        assert!(Instant::now() < deadline, "garbage never freed: {:?}", map.reclamation());
        map.pin().flush();
        std::thread::yield_now();
    }
}

/// Threads fight over `keys` keys with random inserts, removes and gets.
/// Every successful insert and remove is counted per key; afterwards a key
/// is present exactly when it had one more successful insert than remove
/// (no insert lost, none duplicated, no remove counted twice), each value
/// read belonged to its key, the nodes retired equal the successful
/// removes and are all freed, and every value is dropped exactly once.
fn contended(keys: u64, ops_per_thread: usize) {
    let map = Arc::new(SplitOrderedMap::<u64, Value>::new());
    let drops = Arc::new(AtomicUsize::new(0));
    let inserts: Arc<Vec<AtomicU64>> = Arc::new((0..keys).map(|_| AtomicU64::new(0)).collect());
    let removes: Arc<Vec<AtomicU64>> = Arc::new((0..keys).map(|_| AtomicU64::new(0)).collect());
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (map, drops, inserts, removes, start) =
                (map.clone(), drops.clone(), inserts.clone(), removes.clone(), start.clone());
            std::thread::spawn(move || {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (t as u64 + 1));
                let mut made = 0usize;
                start.wait();
                for _ in 0..ops_per_thread {
                    let r = rng.next();
                    let k = r % keys;
                    let g = map.pin();
                    match (r >> 32) % 3 {
                        0 => {
                            made += 1;
                            match map.insert_if_absent(k, Value { key: k, drops: drops.clone() }, &g) {
                                Ok(v) => {
                                    assert_eq!(v.key, k);
                                    inserts[k as usize].fetch_add(1, Ordering::Relaxed);
                                }
                                Err((v, back)) => {
                                    assert_eq!((v.key, back.key), (k, k));
                                }
                            }
                        }
                        1 => {
                            if let Some(v) = map.remove(&k, &g) {
                                assert_eq!(v.key, k);
                                removes[k as usize].fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        _ => {
                            if let Some(v) = map.get(&k, &g) {
                                assert_eq!(v.key, k, "a lookup found another key's value");
                            }
                        }
                    }
                }
                made
            })
        })
        .collect();
    let made: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let g = map.pin();
    let mut present = 0;
    for k in 0..keys {
        let (i, r) = (inserts[k as usize].load(Ordering::Relaxed), removes[k as usize].load(Ordering::Relaxed));
        let here = map.get(&k, &g).is_some();
        assert_eq!(i, r + here as u64, "key {k}: {i} inserts, {r} removes, present: {here}");
        present += here as usize;
    }
    assert_eq!(map.len(), present);
    assert_eq!(map.validate(&g).items, present);
    drop(g);
    let total_removes: u64 = removes.iter().map(|r| r.load(Ordering::Relaxed)).sum();
    drain(&map);
    assert_eq!(map.reclamation().retired, total_removes);
    // Values handed back by losing inserts were dropped by their threads,
    // removed ones by the collector; the rest go with the map.
    assert_eq!(drops.load(Ordering::Relaxed), made - present);
    match Arc::try_unwrap(map) {
        Ok(map) => drop(map),
        Err(_) => panic!("the threads are done, yet the map is shared"),
    }
    assert_eq!(drops.load(Ordering::Relaxed), made);
}

/// A writer inserts keys in order and publishes how far it got; readers
/// check, throughout, that every key below that mark is found, so no
/// doubling of the table or bucket initialisation ever hides a key.
fn readers_during_growth(n: u64) {
    let map = Arc::new(SplitOrderedMap::<u64, u64>::new());
    let done = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = (0..THREADS - 1)
        .map(|t| {
            let (map, done) = (map.clone(), done.clone());
            std::thread::spawn(move || {
                let mut rng = Rng(t as u64 + 7);
                let mut checked = 0u64;
                loop {
                    // Acquire: pairs with the writer's Release below, so
                    // the inserts counted there happen before our lookups.
                    let upto = done.load(Ordering::Acquire);
                    if upto > 0 {
                        let g = map.pin();
                        for _ in 0..16 {
                            let k = rng.next() % upto;
                            assert_eq!(map.get(&k, &g), Some(&(k * 3)), "key {k} of {upto} hidden");
                            checked += 1;
                        }
                    }
                    if upto == n {
                        return checked;
                    }
                }
            })
        })
        .collect();
    for k in 0..n {
        let g = map.pin();
        assert!(map.insert_if_absent(k, k * 3, &g).is_ok());
        // Release: see the readers' Acquire.
        done.store(k + 1, Ordering::Release);
    }
    let checked: u64 = readers.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(checked > 0);
    assert_eq!(map.len() as u64, n);
    assert!(map.buckets() as u64 >= n / structures::map::MAX_LOAD as u64);
    let g = map.pin();
    assert_eq!(map.validate(&g).items as u64, n);
}

/// Each thread inserts its own keys, then removes every other one while
/// the others still insert: afterwards exactly the kept keys are there,
/// iteration sees each once, and the removed nodes are all freed.
fn disjoint_with_growth(per_thread: u64) {
    let map = Arc::new(SplitOrderedMap::<u64, u64, RandomState>::new());
    let threads: Vec<_> = (0..THREADS as u64)
        .map(|t| {
            let map = map.clone();
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    let k = i * THREADS as u64 + t;
                    assert_eq!(map.insert_if_absent(k, k, &map.pin()), Ok(&k));
                }
                for i in (0..per_thread).step_by(2) {
                    let k = i * THREADS as u64 + t;
                    assert_eq!(map.remove(&k, &map.pin()), Some(&k));
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let total = per_thread * THREADS as u64;
    let g = map.pin();
    let mut seen: Vec<u64> = map.iter(&g).map(|(k, _)| *k).collect();
    seen.sort_unstable();
    let want: Vec<u64> = (0..total).filter(|k| (k / THREADS as u64) % 2 == 1).collect();
    assert_eq!(seen, want);
    assert_eq!(map.len(), want.len());
    drop(g);
    drain(&map);
    assert_eq!(map.reclamation().retired, total - want.len() as u64);
}

/// Contended inserts, removes and gets on 64 keys (short).
#[test]
fn contended_short() {
    contended(64, 100_000);
}

/// Contended inserts, removes and gets on 1024 keys, 10M operations per
/// thread (long).
#[test]
#[ignore]
fn contended_long() {
    contended(1024, 10_000_000);
}

/// Readers never miss a key while a writer grows the table (short).
#[test]
fn readers_during_growth_short() {
    readers_during_growth(50_000);
}

/// Readers never miss a key while a writer grows the table to five
/// million keys (long).
#[test]
#[ignore]
fn readers_during_growth_long() {
    readers_during_growth(5_000_000);
}

/// Disjoint keys per thread, with growth and removals (short).
#[test]
fn disjoint_with_growth_short() {
    disjoint_with_growth(25_000);
}

/// Disjoint keys per thread, two million each (long).
#[test]
#[ignore]
fn disjoint_with_growth_long() {
    disjoint_with_growth(2_000_000);
}
