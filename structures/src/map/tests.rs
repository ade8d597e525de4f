//! Unit tests of the split-ordered map (single-threaded, plus one short
//! concurrent run; the long ones are in `structures/tests/stress.rs`).

use super::*;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::AtomicUsize as StdAtomicUsize;
use std::sync::Arc as StdArc;

/// A hasher whose hash of a `u64` is the number itself: lets a test place
/// keys in chosen buckets.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0 << 8 | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A hasher that sends every key to the same hash: every item shares one
/// split-order key.
#[derive(Default)]
struct Constant;

impl Hasher for Constant {
    fn finish(&self) -> u64 {
        42
    }
    fn write(&mut self, _: &[u8]) {}
}

type IdMap<V> = SplitOrderedMap<u64, V, BuildHasherDefault<Identity>>;

fn id_map<V: Send + Sync + 'static>() -> IdMap<V> {
    SplitOrderedMap::with_hasher(BuildHasherDefault::default())
}

/// A value that counts its drops.
#[derive(Debug)]
struct Tracked(StdArc<StdAtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Flush the collector until `map`'s retired items are all freed, or
/// panic after a few seconds (other tests' threads may be pinned for a
/// moment, holding the epoch back).
fn drain<K, V, S>(map: &SplitOrderedMap<K, V, S>)
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Send + Sync + 'static,
    S: BuildHasher,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while map.reclamation().pending() > 0 {
        assert!(std::time::Instant::now() < deadline, "garbage never freed: {:?}", map.reclamation());
        crossbeam_epoch::pin().flush();
        std::thread::yield_now();
    }
}

/// `map.validate()` as (dummies, items).
fn check_invariants<K, V, S>(map: &SplitOrderedMap<K, V, S>) -> (usize, usize)
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Send + Sync + 'static,
    S: BuildHasher,
{
    let shape = map.validate(&map.pin());
    (shape.dummies, shape.items)
}

/// Insert, get, remove and len on a handful of keys.
#[test]
fn insert_get_remove() {
    let map = SplitOrderedMap::new();
    let g = map.pin();
    assert!(map.is_empty());
    assert_eq!(map.insert_if_absent("a".to_string(), 1, &g), Ok(&1));
    assert_eq!(map.insert_if_absent("b".to_string(), 2, &g), Ok(&2));
    assert_eq!(map.get("a", &g), Some(&1));
    assert_eq!(map.get("b", &g), Some(&2));
    assert_eq!(map.get("c", &g), None);
    assert_eq!(map.len(), 2);
    assert_eq!(map.remove("a", &g), Some(&1));
    assert_eq!(map.remove("a", &g), None);
    assert_eq!(map.get("a", &g), None);
    assert!(map.contains_key("b", &g));
    assert_eq!(map.len(), 1);
}

/// insert_if_absent never replaces: the second insert gets the stored
/// value and its own back.
#[test]
fn insert_if_absent_never_replaces() {
    let map = SplitOrderedMap::new();
    let g = map.pin();
    assert_eq!(map.insert_if_absent(7u64, "first", &g), Ok(&"first"));
    assert_eq!(map.insert_if_absent(7u64, "second", &g), Err((&"first", "second")));
    assert_eq!(map.get(&7, &g), Some(&"first"));
    assert_eq!(map.len(), 1);
}

/// The table doubles as items arrive (one bucket to many), keeping the
/// load below twice `MAX_LOAD` after every insert (the bound
/// `grow_if_full` promises, with its lazily summed count); every key stays
/// findable, and the list keeps its order with one dummy per initialised
/// bucket.
#[test]
fn grows_without_losing_keys() {
    let map = id_map::<u64>();
    assert_eq!(map.buckets(), 1);
    let g = map.pin();
    for k in 0..1000u64 {
        map.insert_if_absent(k * 7919, k, &g).unwrap();
        assert!(map.len() < 2 * MAX_LOAD * map.buckets(), "{} items in {} buckets", map.len(), map.buckets());
    }
    assert!(map.buckets() >= 1000 / (2 * MAX_LOAD), "buckets: {}", map.buckets());
    for k in 0..1000u64 {
        assert_eq!(map.get(&(k * 7919), &g), Some(&k));
    }
    let (dummies, items) = check_invariants(&map);
    assert_eq!(items, 1000);
    assert!(dummies > 1 && dummies <= map.buckets(), "dummies: {dummies}");
    let mut seen: Vec<u64> = map.iter(&g).map(|(_, v)| *v).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..1000).collect::<Vec<_>>());
}

/// A lookup in a bucket nobody has initialised starts from an ancestor's
/// dummy, finds the key, and initialises nothing.
#[test]
fn get_uses_nearest_initialised_ancestor() {
    let map: IdMap<u64> = SplitOrderedMap::with_capacity_and_hasher(64, BuildHasherDefault::default());
    assert_eq!(map.buckets(), 32);
    let g = map.pin();
    map.insert_if_absent(5, 50, &g).unwrap(); // initialises buckets 5, 1 (and 0)
    let before = check_invariants(&map).0;
    assert_eq!(before, 3);
    assert_eq!(map.get(&21, &g), None); // bucket 21: parent 5
    assert_eq!(map.get(&5, &g), Some(&50));
    assert_eq!(check_invariants(&map).0, before, "a lookup initialised a bucket");
    map.insert_if_absent(21, 210, &g).unwrap();
    assert_eq!(check_invariants(&map).0, before + 1);
    assert_eq!(map.get(&21, &g), Some(&210));
}

/// Keys whose hashes collide share one split-order key: all are kept,
/// found and removed by key comparison.
#[test]
fn colliding_hashes() {
    let map: SplitOrderedMap<u32, u32, BuildHasherDefault<Constant>> = SplitOrderedMap::with_hasher(Default::default());
    let g = map.pin();
    for k in 0..50 {
        assert_eq!(map.insert_if_absent(k, k + 1, &g), Ok(&(k + 1)));
    }
    assert_eq!(map.insert_if_absent(10, 0, &g), Err((&11, 0)));
    for k in (0..50).step_by(2) {
        assert_eq!(map.remove(&k, &g), Some(&(k + 1)));
    }
    for k in 0..50 {
        assert_eq!(map.get(&k, &g), (k % 2 == 1).then_some(&(k + 1)));
    }
    assert_eq!(map.len(), 25);
    assert_eq!(check_invariants(&map).1, 25);
}

/// Removed values are freed once no guard holds them, exactly once each,
/// and the counters say so; dropping the map frees the rest.
#[test]
fn reclamation_counts_and_drop() {
    let drops = StdArc::new(StdAtomicUsize::new(0));
    let map = id_map::<Tracked>();
    {
        let g = map.pin();
        for k in 0..100 {
            assert!(map.insert_if_absent(k, Tracked(drops.clone()), &g).is_ok());
        }
        // A losing insert drops nothing: its value comes back.
        let (_, back) = map.insert_if_absent(3, Tracked(drops.clone()), &g).unwrap_err();
        drop(back);
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 1);
        for k in 0..40 {
            assert!(map.remove(&k, &g).is_some());
        }
        // Still pinned: nothing removed may be freed yet.
        g.flush();
        assert_eq!(map.reclamation(), Reclamation { retired: 40, freed: 0 });
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
    drain(&map);
    assert_eq!(map.reclamation(), Reclamation { retired: 40, freed: 40 });
    assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 41);
    drop(map);
    assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 101);
}

/// A guard of another collector is refused (it would not hold back frees).
#[test]
#[should_panic(expected = "default collector")]
fn foreign_guard_is_refused() {
    let map = SplitOrderedMap::<u64, u64>::new();
    let collector = crossbeam_epoch::Collector::new();
    let handle = collector.register();
    let g = handle.pin();
    map.get(&1, &g);
}

/// Four threads insert, read and remove overlapping keys while the table
/// grows: every surviving key is there, removed ones are not, len agrees,
/// and all garbage is freed.
#[test]
fn concurrent_short() {
    let map = StdArc::new(id_map::<u64>());
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let map = map.clone();
            std::thread::spawn(move || {
                for i in 0..2000u64 {
                    let g = map.pin();
                    let k = i * 4 + t;
                    assert_eq!(map.insert_if_absent(k, k, &g), Ok(&k));
                    // Another thread's key, present or not.
                    if let Some(v) = map.get(&(i * 4 + (t + 1) % 4), &g) {
                        assert_eq!(*v, i * 4 + (t + 1) % 4);
                    }
                    if i % 2 == 1 {
                        assert_eq!(map.remove(&k, &g), Some(&k));
                    }
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let g = map.pin();
    for k in 0..8000u64 {
        let expect = (k / 4) % 2 == 0;
        assert_eq!(map.get(&k, &g).is_some(), expect, "key {k}");
    }
    drop(g);
    assert_eq!(map.len(), 4000);
    assert_eq!(check_invariants(&map).1, 4000);
    drain(&map);
    assert_eq!(map.reclamation().retired, 4000);
}
