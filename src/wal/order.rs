//! Ordering stripes: why the log's order is the order writes were applied,
//! key by key.
//!
//! Two clients write one key: A applies INCR, then B applies INCR. If A
//! appended its record after B, the log would still replay to the same
//! count, but for SET the log would replay to A's value while the server
//! held B's. Whatever appends a record for key `k` must therefore append
//! it in the order the writes to `k` were applied.
//!
//! convoy gets that with a fixed array of *stripes*, small mutexes picked
//! by a hash of (database, key). A write command, while the log is on,
//! holds the stripes of its keys from before it applies its change until
//! after its record is appended, so two writers of one key apply and
//! append in the same order. Writers of different keys almost never share
//! a stripe (there are [`STRIPES`] of them) and never wait for each other's
//! fsync: the stripe is released once the record is in the log's memory
//! buffer, long before the group fsync. Multi-key commands run alone under
//! the [gate](crate::keyspace::gate) and need no stripe; active expiry
//! takes the stripe of each key it removes.
//!
//! The stripes also carry the state of a log rewrite
//! ([`super::rewrite`]): each stripe is *idle* (no rewrite running),
//! *pending* (the rewrite has not copied its keys yet) or *done* (it has).
//! A writer holding a stripe sees a mark that cannot change under it,
//! because the rewriter changes a mark only while holding that stripe.

use crate::keyspace::Key;
use crossbeam_utils::CachePadded;
use parking_lot::{Mutex, MutexGuard};
use std::sync::atomic::{AtomicU8, Ordering};

/// How many stripes: a power of two, large enough that two writers on two
/// cores rarely meet in one.
pub const STRIPES: usize = 1024;

/// A stripe's part in a running rewrite (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mark {
    Idle = 0,
    Pending = 1,
    Done = 2,
}

struct Stripe {
    lock: Mutex<()>,
    /// Changed only by the holder of `lock`; read by holders of `lock`, or
    /// by multi-key commands, which run alone.
    mark: AtomicU8,
    /// Keys written in this stripe while it is pending, which the rewrite
    /// must copy even if its initial listing did not see them.
    touched: Mutex<Vec<(usize, Key)>>,
}

pub struct Stripes {
    stripes: Box<[CachePadded<Stripe>]>,
}

impl Default for Stripes {
    fn default() -> Self {
        Self::new()
    }
}

impl Stripes {
    pub fn new() -> Stripes {
        Stripes {
            stripes: (0..STRIPES)
                .map(|_| {
                    CachePadded::new(Stripe {
                        lock: Mutex::new(()),
                        mark: AtomicU8::new(Mark::Idle as u8),
                        touched: Mutex::new(Vec::new()),
                    })
                })
                .collect(),
        }
    }

    /// The stripe of `key` in database `db`.
    pub fn index(db: usize, key: &[u8]) -> usize {
        let h = crate::keyspace::stable_hash(key) ^ (db as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h as usize) & (STRIPES - 1)
    }

    /// Lock the stripes of `keys` (database `db`), in index order so that
    /// two commands locking overlapping sets cannot deadlock.
    pub fn lock_keys<'a>(&'a self, db: usize, keys: impl Iterator<Item = &'a [u8]>) -> Held<'a> {
        let mut idx: smallvec::SmallVec<[usize; 4]> = keys.map(|k| Self::index(db, k)).collect();
        idx.sort_unstable();
        idx.dedup();
        Held { guards: idx.into_iter().map(|i| self.stripes[i].lock.lock()).collect() }
    }

    /// Lock one stripe by index.
    pub fn lock_index(&self, i: usize) -> MutexGuard<'_, ()> {
        self.stripes[i].lock.lock()
    }

    /// The rewrite mark of `key`'s stripe. Stable while the caller holds
    /// that stripe or runs alone under the gate.
    pub fn mark(&self, db: usize, key: &[u8]) -> Mark {
        self.mark_of(Self::index(db, key))
    }

    pub fn mark_of(&self, i: usize) -> Mark {
        // Relaxed: the stripe's mutex (or the gate) orders the mark with
        // the writes it guards; the atomic only lets a holder read it
        // without taking the lock a second time.
        match self.stripes[i].mark.load(Ordering::Relaxed) {
            0 => Mark::Idle,
            1 => Mark::Pending,
            _ => Mark::Done,
        }
    }

    /// Set stripe `i`'s mark; the caller holds its lock.
    pub fn set_mark(&self, i: usize, _held: &MutexGuard<'_, ()>, mark: Mark) {
        self.stripes[i].mark.store(mark as u8, Ordering::Relaxed);
    }

    /// Remember that `key` was written while its stripe is pending.
    pub fn touch(&self, db: usize, key: &[u8]) {
        self.stripes[Self::index(db, key)].touched.lock().push((db, Key::from_slice(key)));
    }

    /// Take the keys written in stripe `i` while it was pending.
    pub fn take_touched(&self, i: usize) -> Vec<(usize, Key)> {
        std::mem::take(&mut *self.stripes[i].touched.lock())
    }
}

/// Stripes held by one command.
pub struct Held<'a> {
    guards: smallvec::SmallVec<[MutexGuard<'a, ()>; 2]>,
}

impl Held<'_> {
    /// Whether no stripe is held (a command with no keys).
    pub fn is_empty(&self) -> bool {
        self.guards.is_empty()
    }
}
