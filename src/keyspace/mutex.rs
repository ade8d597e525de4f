//! `--backend mutex`: one `HashMap` behind one global `Mutex`.
//!
//! The baseline every concurrent map is measured against, and the structure
//! convoy is named after: under load every command queues on one lock, and
//! a thread preempted while holding it stalls all others (a lock convoy).
//!
//! # Consistency
//!
//! Everything is serialised: the map is linearizable as a whole, iteration
//! included (`for_each` holds the lock for its whole run).
//!
//! # Progress
//!
//! Blocking, for every operation. Locking behaviour: every method takes the
//! one lock; `for_each` (KEYS, SCAN snapshots, FLUSHDB) holds it for O(n).
//!
//! # Reclamation
//!
//! None needed: nothing is shared outside the lock, so a removed entry is
//! dropped at once.

use super::{update_hashmap, Entry, Hasher, Key, Keyspace};
use parking_lot::Mutex;
use std::collections::HashMap;

pub struct MutexMap {
    map: Mutex<HashMap<Key, Entry, Hasher>>,
}

impl Keyspace for MutexMap {
    const NAME: &'static str = "mutex";

    fn new() -> Self {
        MutexMap { map: Mutex::new(HashMap::with_hasher(Hasher::new())) }
    }

    fn read<R>(&self, key: &[u8], f: impl FnOnce(Option<&Entry>) -> R) -> R {
        f(self.map.lock().get(key))
    }

    fn update<R>(&self, key: &[u8], f: impl FnOnce(&mut Option<Entry>) -> R) -> R {
        update_hashmap(&mut self.map.lock(), key, f)
    }

    fn len(&self) -> usize {
        self.map.lock().len()
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], &Entry) -> bool) {
        for (k, e) in self.map.lock().iter() {
            if !f(k, e) {
                break;
            }
        }
    }
}
