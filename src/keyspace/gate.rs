//! The gate: multi-key atomicity without a shared counter on every command.
//!
//! MSET, MSETNX, RENAME, SMOVE, LMOVE, the `*STORE` commands, FLUSHDB and
//! EXEC must be atomic with respect to every other command. A single global
//! `RwLock` taken shared by every command would work, but its reader count
//! is one cache line that every command on every core writes: the convoy
//! again, in a new place.
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
//!
//! The gate has a second use: a pass through its exclusive side (take it,
//! drop it at once) waits for every command in flight, so whatever was
//! written before the pass is seen by every command that starts after it.
//! A client that starts to block ([`crate::server::blocking`]) or to WATCH
//! ([`super::watch`]) publishes its registration that way, so that writers
//! can test for registrations with a plain read and no fence.
//!
//! # Modes, for measuring
//!
//! `--gate` picks the implementation ([`GateMode`]): `brlock` (the
//! default, above); `rwlock`, one global `RwLock` that every command takes
//! shared, the naive design kept to show what it costs; and `none`, no
//! gate at all, which gives up multi-key atomicity, transactions' isolation
//! and WATCH's guarantee, and exists only to measure what the gate costs
//! single-key commands (`papers/06-multikey-gate.md`).

use crossbeam_utils::CachePadded;
use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Which gate to build (`--gate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum GateMode {
    /// A big-reader lock: one RwLock per shard, shard per thread.
    #[default]
    Brlock,
    /// One global RwLock taken shared by every command (the naive design).
    Rwlock,
    /// No gate: multi-key commands, transactions and WATCH lose their
    /// guarantees. For measuring the gate's cost only.
    None,
}

pub struct Gate {
    mode: GateMode,
    shards: Box<[CachePadded<RwLock<()>>]>,
}

/// Proof that the caller holds the shared side (if the mode has one).
pub type Shared<'a> = Option<RwLockReadGuard<'a, ()>>;

/// Proof that the caller holds the exclusive side of every shard.
pub struct Exclusive<'a> {
    _guards: Vec<RwLockWriteGuard<'a, ()>>,
}

impl Default for Gate {
    fn default() -> Self {
        Self::new(GateMode::Brlock)
    }
}

impl Gate {
    /// A gate with a power-of-two number of shards, at least twice the
    /// number of cores, so that threads rarely share one (the shard is
    /// picked by a per-thread number, masked). The `rwlock` mode uses the
    /// first shard only.
    pub fn new(mode: GateMode) -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let n = if mode == GateMode::Brlock { (cores * 2).next_power_of_two() } else { 1 };
        assert!(n.is_power_of_two());
        Gate { mode, shards: (0..n).map(|_| CachePadded::new(RwLock::new(()))).collect() }
    }

    pub fn mode(&self) -> GateMode {
        self.mode
    }

    /// Enter as an ordinary command.
    pub fn shared(&self) -> Shared<'_> {
        match self.mode {
            GateMode::None => None,
            _ => Some(self.shards[thread_index() & (self.shards.len() - 1)].read()),
        }
    }

    /// Enter alone: every other command waits until the result is dropped.
    pub fn exclusive(&self) -> Exclusive<'_> {
        match self.mode {
            GateMode::None => Exclusive { _guards: Vec::new() },
            _ => Exclusive { _guards: self.shards.iter().map(|s| s.write()).collect() },
        }
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
