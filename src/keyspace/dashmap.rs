//! `--backend dashmap`: DashMap, a hash map split into shards, each a
//! hashbrown table behind its own `RwLock`.
//!
//! Sharding is the classic cure for the convoy: two keys in different
//! shards never contend. DashMap picks `4 x cores` shards (rounded to a
//! power of two) from the key's hash.
//!
//! # Consistency
//!
//! Linearizable per key (every operation on a key holds its shard's lock).
//! `for_each` locks one shard at a time, so it is a weak snapshot: it sees
//! every key present throughout, and keys moved in or out of a shard it
//! has not reached yet may or may not appear.
//!
//! # Progress
//!
//! Blocking, per shard. Locking behaviour: `read` takes the key's shard
//! lock shared, `update` exclusively (the update closure runs under it);
//! `for_each` holds each shard shared in turn.
//!
//! # Reclamation
//!
//! None needed: references never outlive the shard lock, so a removed
//! entry is dropped at once.

use super::{update_absent, update_in_place, Entry, Hasher, Key, Keyspace};
use dashmap::DashMap;

pub struct DashMapBackend {
    map: DashMap<Key, Entry, Hasher>,
}

impl Keyspace for DashMapBackend {
    const NAME: &'static str = "dashmap";

    fn new() -> Self {
        DashMapBackend { map: DashMap::with_hasher(Hasher::new()) }
    }

    fn read<R>(&self, key: &[u8], f: impl FnOnce(Option<&Entry>) -> R) -> R {
        match self.map.get(key) {
            Some(r) => f(Some(r.value())),
            None => f(None),
        }
    }

    fn update<R>(&self, key: &[u8], f: impl FnOnce(&mut Option<Entry>) -> R) -> R {
        // Existing key: `remove_if_mut` runs our closure under the shard's
        // write lock and removes the key if asked, with no owned key needed.
        let mut f = Some(f);
        let mut out = None;
        self.map.remove_if_mut(key, |_, stored| {
            let (r, keep) = update_in_place(stored, f.take().expect("runs once"));
            out = Some(r);
            !keep
        });
        if let Some(r) = out {
            return r;
        }
        // Absent (or just removed by someone else): the entry API locks the
        // shard and tells us which case we are in.
        let f = f.take().expect("not yet run");
        match self.map.entry(Key::from_slice(key)) {
            dashmap::Entry::Occupied(mut occ) => {
                let (r, keep) = update_in_place(occ.get_mut(), f);
                if !keep {
                    occ.remove();
                }
                r
            }
            dashmap::Entry::Vacant(vac) => {
                let (r, created) = update_absent(f);
                if let Some(e) = created {
                    vac.insert(e);
                }
                r
            }
        }
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], &Entry) -> bool) {
        for r in self.map.iter() {
            if !f(r.key(), r.value()) {
                break;
            }
        }
    }
}
