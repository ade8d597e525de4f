//! `--backend papaya`: papaya's lock-free hash map, with per-key
//! [`slots`](super::slot) for in-place updates.
//!
//! papaya (Ibraheem Ahmed, 2024) is a lock-free open-addressing table with
//! incremental resizing; its memory is reclaimed by `seize`, a scheme after
//! hyaline (Nikolaev and Ravindran, "Snapshot-free, transparent, and robust
//! memory reclamation for lock-free data structures", PLDI 2021).
//!
//! # Consistency
//!
//! Linearizable per key: lookups are atomic loads, and every change of a
//! key's entry happens under its slot lock. `for_each` walks the table
//! under one guard: a weak snapshot that sees every key present throughout.
//!
//! # Progress
//!
//! Lookups, insertions and removals in the map are lock-free; resizing is
//! incremental and cooperative, so no operation waits for a resize to end.
//! A read or update of a key takes that key's slot lock (see
//! [`slot`](super::slot)): a reader of one key never waits for a writer of
//! another.
//!
//! # Reclamation
//!
//! Removed slots and old tables are retired to seize and freed once every
//! guard that could see them is dropped. Guards are held only for one
//! operation (never across an `.await`), so garbage lives briefly.

use super::slot::{Slot, SlotMap, SlotTable};
use super::{Hasher, Key};

pub type PapayaMap = SlotMap<PapayaTable>;

pub struct PapayaTable {
    map: papaya::HashMap<Key, Slot, Hasher>,
}

impl SlotTable for PapayaTable {
    const NAME: &'static str = "papaya";

    fn new() -> Self {
        PapayaTable { map: papaya::HashMap::with_hasher(Hasher::new()) }
    }

    fn with_slot<R>(&self, key: &[u8], f: impl FnOnce(Option<&Slot>) -> R) -> R {
        let map = self.map.pin();
        f(map.get(key))
    }

    fn with_slot_or_insert<R>(&self, key: &[u8], f: impl FnOnce(&Slot) -> R) -> R {
        let map = self.map.pin();
        if let Some(slot) = map.get(key) {
            return f(slot);
        }
        // try_insert never replaces: on a lost race it hands back the slot
        // that won.
        match map.try_insert(Key::from_slice(key), Slot::empty()) {
            Ok(slot) => f(slot),
            Err(occupied) => f(occupied.current),
        }
    }

    fn remove(&self, key: &[u8]) {
        self.map.pin().remove(key);
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn for_each_slot(&self, mut f: impl FnMut(&[u8], &Slot) -> bool) {
        for (k, slot) in self.map.pin().iter() {
            if !f(k, slot) {
                break;
            }
        }
    }
}
