//! Per-key slots: in-place updates on maps that hand out shared references.
//!
//! papaya and flurry never give a writer `&mut V`: readers may hold a
//! reference to a value at any moment, and their update closures may run
//! more than once, returning a new value each time. Copying a
//! million-element list for each LPUSH that way is out of the question.
//!
//! So on those maps the value is a [`Slot`]: a small lock around
//! `Option<Entry>`, plus a `dead` flag. The map only ever inserts a slot
//! into an empty position and removes it; it never replaces one. All
//! changes to a key's entry happen inside its slot, under the slot's lock,
//! so the update closure runs exactly once and may change a collection in
//! place.
//!
//! # The deleted-slot race
//!
//! Writer A finds the slot of key `k` and waits for its lock. Meanwhile
//! writer B, holding that lock, deletes `k`: the entry becomes `None`, B
//! removes the slot from the map. If A now wrote into that slot, its write
//! would be lost: the slot is no longer reachable. Therefore:
//!
//! 1. whoever leaves a slot's entry `None` marks the slot `dead` and removes
//!    it from the map *while still holding its lock*;
//! 2. whoever takes a slot's lock first checks `dead`, and if it is set,
//!    releases it and starts over with a fresh lookup (which finds a new
//!    slot, or inserts one).
//!
//! A slot that is in the map and not dead is therefore the only live slot
//! for its key, and each update runs its closure on it exactly once.
//!
//! `remove` keeps the same two rules. It differs from an update in one
//! case, a key it finds missing: no slot, or a live slot still empty
//! (inserted by an update that has yet to take its lock). It leaves that
//! key alone, where an update would insert an empty slot to hold the key's
//! lock while its closure runs, and remove the slot again.
//!
//! # Progress
//!
//! The map's own operations keep the progress of the map (papaya: lock-free;
//! flurry: lock-free reads, bin locks on writes). Reads and updates of one
//! key take that key's slot lock, held for one closure: writers of different
//! keys never wait for each other, and a reader of one key never waits for a
//! writer of another.
//!
//! # Reclamation
//!
//! A removed slot may still be referenced by a thread that found it before
//! the removal; the map's reclamation scheme (seize for papaya, epochs for
//! flurry) frees it only after every such thread has left its critical
//! section. The `dead` flag makes those late visitors harmless.

use super::{Entry, Keyspace, Reclamation};
use parking_lot::Mutex;

/// One key's entry, behind a small lock.
pub struct Slot {
    state: Mutex<SlotState>,
}

struct SlotState {
    /// Set, under the lock, when the slot leaves the map for good.
    dead: bool,
    entry: Option<Entry>,
}

impl Slot {
    /// A live slot with no entry yet.
    pub fn empty() -> Slot {
        Slot { state: Mutex::new(SlotState { dead: false, entry: None }) }
    }
}

/// What a concurrent map must offer to hold slots.
///
/// Every method runs its closure inside the map's read-side critical
/// section (a papaya guard, a flurry epoch guard), so the `&Slot` stays
/// valid for the closure even if another thread removes it meanwhile.
pub trait SlotTable: Send + Sync + 'static {
    /// The name `--backend` takes.
    const NAME: &'static str;

    fn new() -> Self;

    /// Run `f` on the slot stored under `key`, if any.
    fn with_slot<R>(&self, key: &[u8], f: impl FnOnce(Option<&Slot>) -> R) -> R;

    /// Run `f` on the slot under `key`, inserting [`Slot::empty`] (with a
    /// copy of the key) if there is none. Must never replace a slot.
    fn with_slot_or_insert<R>(&self, key: &[u8], f: impl FnOnce(&Slot) -> R) -> R;

    /// Remove `key` from the map. Called only by the holder of the key's
    /// slot lock, after marking the slot dead.
    fn remove(&self, key: &[u8]);

    /// Number of slots in the map.
    fn len(&self) -> usize;

    /// Whether the map has no slots.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Visit every slot; `f` returns `false` to stop.
    fn for_each_slot(&self, f: impl FnMut(&[u8], &Slot) -> bool);

    /// See [`Keyspace::reclamation`].
    fn reclamation(&self) -> Option<Reclamation> {
        None
    }
}

/// A [`Keyspace`] from any [`SlotTable`].
pub struct SlotMap<T> {
    table: T,
}

impl<T: SlotTable> Keyspace for SlotMap<T> {
    const NAME: &'static str = T::NAME;

    fn new() -> Self {
        SlotMap { table: T::new() }
    }

    fn read<R>(&self, key: &[u8], f: impl FnOnce(Option<&Entry>) -> R) -> R {
        self.table.with_slot(key, |slot| match slot {
            // A dead slot holds `None`, so it reads as absent: correct, as
            // the key was deleted when it died.
            Some(slot) => f(slot.state.lock().entry.as_ref()),
            None => f(None),
        })
    }

    fn update<R>(&self, key: &[u8], f: impl FnOnce(&mut Option<Entry>) -> R) -> R {
        let mut f = Some(f);
        loop {
            let done = self.table.with_slot_or_insert(key, |slot| {
                let mut state = slot.state.lock();
                if state.dead {
                    return None; // Removed under us: look up again.
                }
                let r = (f.take().expect("runs once"))(&mut state.entry);
                if state.entry.is_none() {
                    state.dead = true;
                    self.table.remove(key);
                }
                Some(r)
            });
            if let Some(r) = done {
                return r;
            }
        }
    }

    /// A missing key needs no slot here: finding it missing (no slot, or a
    /// slot with no entry, which its inserter has yet to fill) is the
    /// removal's linearization point, as removing nothing changes nothing.
    /// `update` would insert an empty slot to lock, and remove it again.
    fn remove<R>(&self, key: &[u8], f: impl FnOnce(Entry) -> R) -> Option<R> {
        let mut f = Some(f);
        loop {
            // `None`: the slot died under us, look up again; `Some(r)`: done.
            let done = self.table.with_slot(key, |slot| {
                let Some(slot) = slot else {
                    return Some(None);
                };
                let mut state = slot.state.lock();
                if state.dead {
                    return None;
                }
                // A live slot with no entry is one its inserter has yet to
                // fill: the key is missing now.
                let Some(entry) = state.entry.take() else {
                    return Some(None);
                };
                // The entry leaves, so the slot dies (rule 1 above).
                state.dead = true;
                self.table.remove(key);
                Some(Some((f.take().expect("runs once"))(entry)))
            });
            if let Some(r) = done {
                return r;
            }
        }
    }

    fn len(&self) -> usize {
        self.table.len()
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], &Entry) -> bool) {
        self.table.for_each_slot(|k, slot| match &slot.state.lock().entry {
            Some(e) => f(k, e),
            None => true,
        });
    }

    fn reclamation(&self) -> Option<Reclamation> {
        self.table.reclamation()
    }
}
