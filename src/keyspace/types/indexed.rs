//! A hash map whose entries also sit in a dense array: the storage behind
//! hashes and sets.
//!
//! Redis needs three things of a hash or set that a plain hash map does
//! not give together:
//!
//! - lookup, insert and delete by key in O(1);
//! - a *uniformly random* element in O(1) (SPOP, SRANDMEMBER, HRANDFIELD):
//!   a `HashMap` can only walk to the i-th element, O(n);
//! - a *cursor* (HSCAN, SSCAN) that survives inserts and deletes between
//!   calls and never misses an element present for the whole iteration.
//!
//! The `indexmap` crate's `IndexMap` keeps its entries in a `Vec`, with a
//! hash table of positions beside it; deleting swaps the last entry into
//! the hole (`swap_remove`), so the array stays dense and a random element
//! is a random position. [`Indexed`] wraps it with the operations the
//! commands need, and with the scan cursor below.
//!
//! # Cursors
//!
//! A scan walks positions from the *top* down: cursor `c` means "positions
//! below `c` are left to visit" (0 starts at the top, and a reply's cursor
//! 0 means done). Between two calls, an insert appends above every
//! position still to visit (a new element may be missed, as Redis allows);
//! a delete moves only the *last* entry, into the hole. If that entry was
//! already visited (it sat at or above the cursor) it may be visited again
//! (a duplicate, as Redis allows); if it was not, it sat below the cursor,
//! and the hole, lower still, is below the cursor too, so it is still
//! visited. So an element present for the whole scan is returned at least
//! once.

use super::super::Str;
use indexmap::IndexMap;
use std::fmt;
use std::hash::BuildHasher;

/// The hasher of every collection: one random seed per process (so hash
/// flooding from clients is not predictable) shared by all of them, so a
/// collection does not pay 32 bytes for a seed of its own.
#[derive(Clone, Copy, Default)]
pub struct SharedSeed;

impl BuildHasher for SharedSeed {
    type Hasher = ahash::AHasher;

    fn build_hasher(&self) -> ahash::AHasher {
        crate::keyspace::process_seed().build_hasher()
    }
}

/// A map from byte strings to `V`, with O(1) access by position (see the
/// module doc). A set is an `Indexed<()>`.
#[derive(Clone)]
pub struct Indexed<V> {
    map: IndexMap<Str, V, SharedSeed>,
}

impl<V> Indexed<V> {
    pub fn new() -> Self {
        Indexed { map: IndexMap::with_hasher(SharedSeed) }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.map.contains_key(key)
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.map.get(key)
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.map.get_mut(key)
    }

    /// The value of `key`, inserting `make()` first if it is absent; and
    /// whether it was inserted. The key is copied only when inserted.
    pub fn get_or_insert_with(&mut self, key: &[u8], make: impl FnOnce() -> V) -> (&mut V, bool) {
        match self.map.get_index_of(key) {
            Some(i) => (&mut self.map[i], false),
            None => {
                let (i, _) = self.map.insert_full(Str::from_slice(key), make());
                (&mut self.map[i], true)
            }
        }
    }

    /// Set `key` to `value`; the old value, if there was one.
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        match self.map.get_mut(key) {
            Some(slot) => Some(std::mem::replace(slot, value)),
            None => self.map.insert(Str::from_slice(key), value),
        }
    }

    /// Remove `key`; its entry, if it was present.
    pub fn remove(&mut self, key: &[u8]) -> Option<(Str, V)> {
        let removed = self.map.swap_remove_entry(key);
        self.shrink_if_sparse();
        removed
    }

    /// The entry at `position` (`< len()`).
    pub fn get_index(&self, position: usize) -> Option<(&Str, &V)> {
        self.map.get_index(position)
    }

    /// Remove the entry at `position` (`< len()`), moving the last entry
    /// into its place.
    pub fn swap_remove_index(&mut self, position: usize) -> (Str, V) {
        let removed = self.map.swap_remove_index(position).expect("position < len");
        self.shrink_if_sparse();
        removed
    }

    /// Give memory back after many deletes: when at most a quarter of the
    /// capacity is used, as Redis's dicts shrink.
    fn shrink_if_sparse(&mut self) {
        let len = self.map.len();
        if self.map.capacity() > 64 && len * 4 <= self.map.capacity() {
            self.map.shrink_to(len * 2);
        }
    }

    /// Estimated heap bytes (MEMORY USAGE): the entry array (each entry a
    /// key, a value and its cached hash), the table of positions, and the
    /// keys' and values' own buffers (`value_heap`), sampled (see
    /// [`super::sampled`]).
    pub fn heap_size(&self, samples: usize, value_heap: impl Fn(&V) -> usize) -> usize {
        use std::mem::size_of;
        let capacity = self.map.capacity();
        capacity * (size_of::<Str>() + size_of::<V>() + size_of::<u64>())
            + super::table_size(capacity, size_of::<usize>())
            + super::sampled(self.len(), samples, self.iter().map(|(k, v)| k.heap_size() + value_heap(v)))
    }

    /// Every entry, in position order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Str, &V)> + '_ {
        self.map.iter()
    }

    /// Every key, in position order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Str> + '_ {
        self.map.keys()
    }

    /// One step of a scan (see the module doc): the positions below
    /// `cursor` (0: from the top), from the highest down, at most `count`
    /// of them, and the next cursor (0 when none are left).
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, impl Iterator<Item = (&Str, &V)> + '_) {
        let top = match usize::try_from(cursor) {
            Ok(0) => self.len(),
            Ok(c) => c.min(self.len()),
            Err(_) => self.len(),
        };
        let bottom = top.saturating_sub(count.max(1));
        let items = (bottom..top).rev().filter_map(|i| self.map.get_index(i));
        (bottom as u64, items)
    }
}

impl<V> Default for Indexed<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: PartialEq> PartialEq for Indexed<V> {
    /// Equal when they hold the same entries, in any order.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<V: fmt::Debug> fmt::Debug for Indexed<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inserts, lookups and swap-removes keep every position right.
    #[test]
    fn insert_remove_lookup() {
        let mut m: Indexed<u32> = Indexed::new();
        for i in 0..1000u32 {
            assert_eq!(m.insert(i.to_string().as_bytes(), i), None);
        }
        assert_eq!(m.insert(b"7", 70), Some(7));
        for i in (0..1000u32).step_by(3) {
            assert!(m.remove(i.to_string().as_bytes()).is_some());
        }
        for i in 0..1000u32 {
            let want = if i % 3 == 0 {
                None
            } else if i == 7 {
                Some(70)
            } else {
                Some(i)
            };
            assert_eq!(m.get(i.to_string().as_bytes()).copied(), want, "key {i}");
        }
        while !m.is_empty() {
            m.swap_remove_index(0);
        }
        assert_eq!(m.get(b"1"), None);
    }

    /// A scan with deletes between steps still returns every element that
    /// stayed.
    #[test]
    fn scan_survives_deletes() {
        let mut m: Indexed<()> = Indexed::new();
        for i in 0..200u32 {
            m.insert(i.to_string().as_bytes(), ());
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut deleted = 0u32;
        loop {
            let (next, items) = m.scan(cursor, 7);
            seen.extend(items.map(|(k, _)| k.to_vec()));
            // Delete the "odd hundreds", a few at a time.
            for _ in 0..3 {
                if deleted < 100 {
                    m.remove((deleted * 2 + 1).to_string().as_bytes());
                    deleted += 1;
                }
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
        for i in (0..200u32).step_by(2) {
            assert!(seen.contains(i.to_string().as_bytes()), "missed {i}");
        }
    }
}
