//! `--backend flurry`: flurry, a Rust port of Java's `ConcurrentHashMap`
//! (Doug Lea), with per-key [`slots`](super::slot) for in-place updates.
//!
//! flurry is unmaintained upstream; convoy keeps it as a historical
//! baseline: the JDK's design (lock-free reads, a lock per bin for writers,
//! cooperative resizing by forwarding nodes) with epoch-based reclamation
//! from crossbeam-epoch (Fraser, "Practical lock-freedom", 2004).
//!
//! # Consistency
//!
//! Linearizable per key: lookups read published nodes; every change of a
//! key's entry happens under its slot lock. `for_each` walks the bins under
//! one guard: a weak snapshot that sees every key present throughout.
//!
//! # Progress
//!
//! Reads are lock-free. Insertions into an empty bin are a CAS; into a
//! non-empty bin they take that bin's lock, and a writer meeting a resize
//! helps move bins. A read or update of a key also takes that key's slot
//! lock: a reader of one key never waits for a writer of another.
//!
//! # Reclamation
//!
//! Removed nodes and slots are deferred to the epoch collector and freed
//! once every guard pinned before their removal is dropped.

use super::slot::{Slot, SlotMap, SlotTable};
use super::{Hasher, Key};

pub type FlurryMap = SlotMap<FlurryTable>;

pub struct FlurryTable {
    map: flurry::HashMap<Key, Slot, Hasher>,
}

impl SlotTable for FlurryTable {
    const NAME: &'static str = "flurry";

    fn new() -> Self {
        FlurryTable { map: flurry::HashMap::with_hasher(Hasher::new()) }
    }

    fn with_slot<R>(&self, key: &[u8], f: impl FnOnce(Option<&Slot>) -> R) -> R {
        let guard = self.map.guard();
        f(self.map.get(key, &guard))
    }

    fn with_slot_or_insert<R>(&self, key: &[u8], f: impl FnOnce(&Slot) -> R) -> R {
        let guard = self.map.guard();
        if let Some(slot) = self.map.get(key, &guard) {
            return f(slot);
        }
        // try_insert never replaces: on a lost race it hands back the slot
        // that won.
        match self.map.try_insert(Key::from_slice(key), Slot::empty(), &guard) {
            Ok(slot) => f(slot),
            Err(err) => f(err.current),
        }
    }

    fn remove(&self, key: &[u8]) {
        let guard = self.map.guard();
        self.map.remove(key, &guard);
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn for_each_slot(&self, mut f: impl FnMut(&[u8], &Slot) -> bool) {
        let guard = self.map.guard();
        for (k, slot) in self.map.iter(&guard) {
            if !f(k, slot) {
                break;
            }
        }
    }
}
