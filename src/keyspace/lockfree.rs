//! `--backend lockfree` (alias `splitorder`): convoy's own lock-free hash
//! map, [`SplitOrderedMap`], with per-key [`slots`](super::slot) for
//! in-place updates.
//!
//! The map is Shalev and Shavit's split-ordered list ("Split-ordered
//! lists: lock-free extensible hash tables", JACM 2006) over Michael's
//! lock-free list ("High performance dynamic lock-free hash tables and
//! list-based sets", SPAA 2002): every key lives in one sorted lock-free
//! list, buckets are pointers into it, and growing the table adds bucket
//! pointers without moving a node. Its module doc in `structures/` tells
//! the whole story; this file only adapts it to the slot layer, as
//! [`papaya`](super::papaya) does for papaya.
//!
//! # Consistency
//!
//! Linearizable per key: the map's lookups, inserts and removes are
//! linearizable, and every change of a key's entry happens under its slot
//! lock. `for_each` walks the list under one guard: a weak snapshot that
//! sees every key present throughout, undisturbed by growth (nothing
//! moves).
//!
//! # Progress
//!
//! The map's operations are lock-free; lookups never write and never
//! restart. Growth is one CAS on the bucket count; new buckets are
//! initialised by the first insert or remove that needs them. A read or
//! update of a key takes that key's slot lock (see [`slot`](super::slot)):
//! a reader of one key never waits for a writer of another.
//!
//! # Reclamation
//!
//! Epoch-based, through crossbeam-epoch's default collector: a slot
//! removed from the map is unlinked, handed to the collector, and freed
//! once every thread that was pinned at that moment has unpinned. Guards
//! live for one operation (never across an `.await`), except `for_each`'s,
//! which lives for the whole walk (KEYS, SCAN's snapshot, FLUSHDB): garbage
//! retired meanwhile waits for it. The map counts exactly how many nodes it
//! retired and how many of those were freed ([`SlotTable::reclamation`]):
//! INFO's `convoy` section and the Prometheus endpoint report them.
//!
//! What retires a node: deleting a key (DEL, GETDEL, expiry, FLUSHDB ...),
//! and also any update of a missing key that leaves it missing (`SET ...
//! XX` on a missing key, GETDEL of one): the slot layer runs every update
//! under a slot's lock, so it inserts an empty slot for the missing key and
//! removes it again. DEL is made by the map's `remove`, which needs no slot
//! for a missing key: a DEL of one retires nothing. An overwrite retires
//! nothing: it changes the entry inside the key's slot and frees the old
//! value at once. Retired nodes wait in the
//! retiring thread's bag of 64 before they reach the collector's global
//! queue, so `pending` can stay at up to 63 per worker thread while the
//! server is idle: it measures epochs' batching as much as their delay.

use super::slot::{Slot, SlotMap, SlotTable};
use super::{Hasher, Key, Reclamation};
use structures::map::SplitOrderedMap;

pub type LockFreeMap = SlotMap<LockFreeTable>;

pub struct LockFreeTable {
    map: SplitOrderedMap<Key, Slot, Hasher>,
}

impl SlotTable for LockFreeTable {
    const NAME: &'static str = "lockfree";

    fn new() -> Self {
        LockFreeTable { map: SplitOrderedMap::with_hasher(Hasher::new()) }
    }

    fn with_slot<R>(&self, key: &[u8], f: impl FnOnce(Option<&Slot>) -> R) -> R {
        let guard = self.map.pin();
        f(self.map.get(key, &guard))
    }

    fn with_slot_or_insert<R>(&self, key: &[u8], f: impl FnOnce(&Slot) -> R) -> R {
        let guard = self.map.pin();
        if let Some(slot) = self.map.get(key, &guard) {
            return f(slot);
        }
        // insert_if_absent never replaces: on a lost race it hands back
        // the slot that won (and our empty one, dropped here).
        match self.map.insert_if_absent(Key::from_slice(key), Slot::empty(), &guard) {
            Ok(slot) => f(slot),
            Err((slot, _)) => f(slot),
        }
    }

    fn remove(&self, key: &[u8]) {
        let guard = self.map.pin();
        self.map.remove(key, &guard);
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn for_each_slot(&self, mut f: impl FnMut(&[u8], &Slot) -> bool) {
        let guard = self.map.pin();
        for (k, slot) in self.map.iter(&guard) {
            if !f(k, slot) {
                break;
            }
        }
    }

    fn reclamation(&self) -> Option<Reclamation> {
        Some(self.map.reclamation())
    }
}
