//! Property test: random sequences of operations on `SplitOrderedMap` give
//! the same answers as `std::collections::HashMap`, the oracle, and leave
//! the list's invariants intact and every removed node freed.
#![cfg(not(loom))]

use proptest::prelude::*;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::time::{Duration, Instant};
use structures::map::{Reclamation, SplitOrderedMap};

#[derive(Debug, Clone)]
enum Op {
    Insert(u16, u32),
    Get(u16),
    Remove(u16),
    Len,
}

/// Keys from a small range, so that operations meet the same keys often.
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..64u16, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => (0..64u16).prop_map(Op::Get),
        3 => (0..64u16).prop_map(Op::Remove),
        1 => Just(Op::Len),
    ]
}

/// A hasher that keeps only a key's low 3 bits: at most 8 distinct hashes,
/// so many keys share one split-order key and buckets split unevenly.
#[derive(Default)]
struct Weak(u64);

impl Hasher for Weak {
    fn finish(&self) -> u64 {
        self.0 & 7
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.wrapping_mul(31).wrapping_add(u64::from(b));
        }
    }
}

/// Run `ops` on a fresh map with `hasher` (starting with `capacity`
/// room) and on the oracle, comparing every answer; then compare contents,
/// check invariants, and check that every removed node is freed.
fn check<S: BuildHasher>(ops: &[Op], capacity: usize, hasher: S) -> Result<(), TestCaseError> {
    let map = SplitOrderedMap::with_capacity_and_hasher(capacity, hasher);
    let mut oracle: HashMap<u16, u32> = HashMap::new();
    let mut removed = 0u64;
    for op in ops {
        let g = map.pin();
        match *op {
            Op::Insert(k, v) => {
                let got = map.insert_if_absent(k, v, &g).copied().map_err(|(v, back)| (*v, back));
                let want = match oracle.get(&k) {
                    Some(&old) => Err((old, v)),
                    None => {
                        oracle.insert(k, v);
                        Ok(v)
                    }
                };
                prop_assert_eq!(got, want, "insert {}", k);
            }
            Op::Get(k) => prop_assert_eq!(map.get(&k, &g).copied(), oracle.get(&k).copied(), "get {}", k),
            Op::Remove(k) => {
                let got = map.remove(&k, &g).copied();
                removed += got.is_some() as u64;
                prop_assert_eq!(got, oracle.remove(&k), "remove {}", k);
            }
            Op::Len => prop_assert_eq!(map.len(), oracle.len()),
        }
    }
    let g = map.pin();
    let mut contents: Vec<(u16, u32)> = map.iter(&g).map(|(k, v)| (*k, *v)).collect();
    contents.sort_unstable();
    let mut want: Vec<(u16, u32)> = oracle.into_iter().collect();
    want.sort_unstable();
    prop_assert_eq!(map.validate(&g).items, want.len());
    prop_assert_eq!(contents, want);
    drop(g);
    // Every removal retired exactly one node; flush until all are freed
    // (other tests' threads may hold the epoch back for a moment).
    let deadline = Instant::now() + Duration::from_secs(10);
    while map.reclamation().pending() > 0 && Instant::now() < deadline {
        map.pin().flush();
        std::thread::yield_now();
    }
    prop_assert_eq!(map.reclamation(), Reclamation { retired: removed, freed: removed });
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// With a good hasher, starting from one bucket (so the table grows
    /// through several doublings), the map answers as HashMap does.
    #[test]
    fn agrees_with_hashmap(ops in prop::collection::vec(op(), 0..300)) {
        check(&ops, 0, std::collections::hash_map::RandomState::new())?;
    }

    /// With a hasher of 8 distinct values (long runs of equal split-order
    /// keys, told apart by key comparison), the map still answers as
    /// HashMap does.
    #[test]
    fn agrees_with_hashmap_under_collisions(ops in prop::collection::vec(op(), 0..300)) {
        check(&ops, 0, BuildHasherDefault::<Weak>::default())?;
    }

    /// Starting large (64 buckets, none initialised), lookups from
    /// uninitialised buckets go through their ancestors and agree too.
    #[test]
    fn agrees_with_hashmap_presized(ops in prop::collection::vec(op(), 0..300)) {
        check(&ops, 128, std::collections::hash_map::RandomState::new())?;
    }
}

/// `Weak` really collides (a test of the test): keys 0 and 8 hash alike.
#[test]
fn weak_hasher_collides() {
    let s = BuildHasherDefault::<Weak>::default();
    let h = |k: u16| s.hash_one(k);
    assert_eq!(h(0), h(8));
    assert_ne!(h(0), h(1));
}
