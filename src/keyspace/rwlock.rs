//! `--backend rwlock`: one `HashMap` behind one global `RwLock`.
//!
//! Readers proceed together, but every reader still writes the lock's
//! reader count, one cache line shared by all cores: read-mostly loads
//! scale better than under [`mutex`](super::mutex), yet far from linearly,
//! and any writer stops everyone.
//!
//! # Consistency
//!
//! Linearizable as a whole; `for_each` holds the read lock for its run.
//!
//! # Progress
//!
//! Blocking. Locking behaviour: `read` and `len` take the lock shared;
//! `update` takes it exclusively; `for_each` holds it shared for O(n).
//! parking_lot's lock is fair enough that a stream of readers cannot
//! starve a writer.
//!
//! # Reclamation
//!
//! None needed: a removed entry is dropped under the write lock.

use super::{update_hashmap, Entry, Hasher, Key, Keyspace};
use parking_lot::RwLock;
use std::collections::HashMap;

pub struct RwLockMap {
    map: RwLock<HashMap<Key, Entry, Hasher>>,
}

impl Keyspace for RwLockMap {
    const NAME: &'static str = "rwlock";

    fn new() -> Self {
        RwLockMap { map: RwLock::new(HashMap::with_hasher(Hasher::new())) }
    }

    fn read<R>(&self, key: &[u8], f: impl FnOnce(Option<&Entry>) -> R) -> R {
        f(self.map.read().get(key))
    }

    fn update<R>(&self, key: &[u8], f: impl FnOnce(&mut Option<Entry>) -> R) -> R {
        update_hashmap(&mut self.map.write(), key, f)
    }

    fn len(&self) -> usize {
        self.map.read().len()
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], &Entry) -> bool) {
        for (k, e) in self.map.read().iter() {
            if !f(k, e) {
                break;
            }
        }
    }
}
