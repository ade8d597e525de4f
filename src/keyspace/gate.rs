//! The gate: multi-key atomicity without a shared counter on every command.
//!
//! MSET, MSETNX, RENAME, FLUSHDB (and later MULTI/EXEC) must be atomic with
//! respect to every other command. A single global `RwLock` taken shared by
//! every command would work, but its reader count is one cache line that
//! every command on every core writes: the convoy again, in a new place.
//!
//! The gate is a *big-reader lock* (the brlock of the Linux kernel; see also
//! Calciu et al., "NUMA-aware reader-writer locks", PPoPP 2013): one
//! `RwLock` per shard, each on its own cache line. An ordinary command takes
//! the shared side of the shard picked by its thread, a line that only that
//! thread usually touches; a multi-key command takes the exclusive side of
//! every shard, in index order, so it waits for all ordinary commands in
//! flight and keeps new ones out until it is done.
//!
//! Locking behaviour: `shared` blocks only while an exclusive holder runs or
//! waits; `exclusive` blocks until every shared holder has left. Neither is
//! ever held across an `.await`: commands run to completion synchronously.

use crossbeam_utils::CachePadded;
use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Gate {
    shards: Box<[CachePadded<RwLock<()>>]>,
}

/// Proof that the caller holds the exclusive side of every shard.
pub struct Exclusive<'a> {
    _guards: Vec<RwLockWriteGuard<'a, ()>>,
}

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

impl Gate {
    /// A gate with a power-of-two number of shards, at least twice the
    /// number of cores, so that threads rarely share one (the shard is
    /// picked by a per-thread number, masked).
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let n = (cores * 2).next_power_of_two();
        assert!(n.is_power_of_two());
        Gate { shards: (0..n).map(|_| CachePadded::new(RwLock::new(()))).collect() }
    }

    /// Enter as an ordinary command.
    pub fn shared(&self) -> RwLockReadGuard<'_, ()> {
        self.shards[thread_index() & (self.shards.len() - 1)].read()
    }

    /// Enter alone: every other command waits until the result is dropped.
    pub fn exclusive(&self) -> Exclusive<'_> {
        Exclusive { _guards: self.shards.iter().map(|s| s.write()).collect() }
    }
}

/// A small number per thread, handed out in order of first use.
fn thread_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        // Relaxed: the counter only has to hand out distinct numbers.
        static INDEX: Cell<usize> = Cell::new(NEXT.fetch_add(1, Ordering::Relaxed));
    }
    INDEX.with(|i| i.get())
}
