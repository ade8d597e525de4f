//! `--backend scc`: scc's `HashMap`, a table of small bucket arrays with a
//! lock per bucket, resized incrementally; old arrays are reclaimed through
//! scc's own epoch scheme (`sdd`).
//!
//! # Consistency
//!
//! Linearizable per key: reads and writes of a key hold its bucket's lock.
//! `for_each` (`iter_sync`) visits buckets one at a time: a weak snapshot
//! that sees every key present throughout.
//!
//! # Progress
//!
//! Blocking per bucket, with very fine grain: writers of different buckets
//! never wait for one another, and resizing moves entries a few buckets at
//! a time instead of stopping the map. Locking behaviour: `read` takes the
//! bucket shared; `update` exclusively, running the closure under it.
//!
//! # Reclamation
//!
//! Entries are dropped when removed, under the bucket lock; retired bucket
//! arrays go to `sdd`'s epoch-based collector and are freed once no thread
//! can still be reading them.

use super::{update_absent, update_in_place, Entry, Hasher, Key, Keyspace};

pub struct SccMap {
    map: scc::HashMap<Key, Entry, Hasher>,
}

impl Keyspace for SccMap {
    const NAME: &'static str = "scc";

    fn new() -> Self {
        SccMap { map: scc::HashMap::with_hasher(Hasher::new()) }
    }

    fn read<R>(&self, key: &[u8], f: impl FnOnce(Option<&Entry>) -> R) -> R {
        let mut f = Some(f);
        match self.map.read_sync(key, |_, e| (f.take().expect("runs once"))(Some(e))) {
            Some(r) => r,
            None => (f.take().expect("not yet run"))(None),
        }
    }

    fn update<R>(&self, key: &[u8], f: impl FnOnce(&mut Option<Entry>) -> R) -> R {
        // Existing key: lock its bucket by reference, no owned key needed.
        if let Some(mut occ) = self.map.get_sync(key) {
            let (r, keep) = update_in_place(occ.get_mut(), f);
            if !keep {
                let _ = occ.remove();
            }
            return r;
        }
        match self.map.entry_sync(Key::from_slice(key)) {
            scc::hash_map::Entry::Occupied(mut occ) => {
                let (r, keep) = update_in_place(occ.get_mut(), f);
                if !keep {
                    let _ = occ.remove();
                }
                r
            }
            scc::hash_map::Entry::Vacant(vac) => {
                let (r, created) = update_absent(f);
                if let Some(e) = created {
                    vac.insert_entry(e);
                }
                r
            }
        }
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], &Entry) -> bool) {
        self.map.iter_sync(|k, e| f(k, e));
    }
}
