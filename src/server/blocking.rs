//! Blocked clients: BLPOP, BRPOP, BLMOVE, BZPOPMIN, BZPOPMAX, XREAD BLOCK.
//!
//! A blocking command that finds nothing to take does not wait inside the
//! command (commands run synchronously, under locks); it asks its
//! connection to wait ([`crate::cmd::Ctx::block_on`]). The connection
//! registers a [`Waiter`] on each key, in arrival order, and sleeps until a
//! writer signals one of those keys, the timeout passes, or the client
//! goes away. When woken it runs the same command again: if it now finds
//! something, that is its reply; if another client got there first, it
//! sleeps again, keeping its place in the queue.
//!
//! # Who is woken
//!
//! A command that adds `n` elements to a key ([`Blocking::signal`]) wakes
//! the first `n` waiters of that key that are not already awake, oldest
//! first: a push wakes the longest-waiting client first. The woken client
//! then competes with ordinary (non-blocking) commands for the element;
//! Redis hands the element over before any other command runs, which a
//! server without a global order of commands cannot do without stopping
//! everyone, so convoy documents the difference instead: a plain LPOP that
//! races a blocked BLPOP may win.
//!
//! # No lost wake-up
//!
//! A waiter registers, then retries its command; a writer updates the key,
//! then signals, both inside one command. The danger is a writer that
//! reads "nobody is blocked" before the registration is visible to it, and
//! whose element the retry does not see either. The key's lock does not
//! rule that out on every backend (on the slot backends a missing key's
//! retry and a creating push lock two different slots), so the waiter
//! publishes its registration by *quiescence*: after registering it passes
//! once through the [gate](crate::keyspace::gate)'s exclusive side before
//! retrying ([`Blocking::register`] does both). Every writer holds the
//! gate's shared side for its whole command, update and signal together,
//! so each writer either finished before that pass (and the retry, which
//! comes after, sees its element) or started after it (and its signal sees
//! the registration). The cost lands on the rare event, a client starting
//! to block, and not on every push: `signal` stays a plain read of a
//! counter. (RCU's `synchronize_rcu` and Linux's `membarrier` make the same
//! trade.) `tokio`'s `Notify` keeps a wake-up that arrives before the
//! waiter sleeps.
//!
//! # Cost when nobody is blocked
//!
//! `signal` first reads one counter of blocked clients; it is written only
//! when a client blocks or unblocks, so on the push path it is a read of a
//! cache line every core shares, not a write, and no fence.

use crate::keyspace::gate::Gate;
use crate::keyspace::Key;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// One blocked client, queued on every key it waits for.
pub struct Waiter {
    pub client_id: u64,
    /// Set by a writer that woke this waiter; cleared by the waiter before
    /// it retries, so one push does not wake the same waiter twice while
    /// others sleep.
    woken: AtomicBool,
    notify: Notify,
}

impl Waiter {
    /// Sleep until a writer signals one of this waiter's keys (returns at
    /// once if it already did).
    pub async fn woken(&self) {
        self.notify.notified().await;
    }
}

/// Waiters per (database, key), oldest first.
type Queues = HashMap<(usize, Key), VecDeque<Arc<Waiter>>>;

#[derive(Default)]
pub struct Blocking {
    /// Clients currently blocked (INFO's `blocked_clients`).
    blocked: AtomicUsize,
    /// Waiters per (database, key), oldest first.
    queues: Mutex<Queues>,
}

impl Blocking {
    /// Queue a client on `keys` of database `db`, then wait until every
    /// command in flight has finished (see "No lost wake-up"): from the
    /// return on, every writer sees this waiter. Must not be called while
    /// holding the gate.
    pub fn register(&self, gate: &Gate, db: usize, keys: &[bytes::Bytes], client_id: u64) -> Arc<Waiter> {
        let waiter = Arc::new(Waiter { client_id, woken: AtomicBool::new(false), notify: Notify::new() });
        let mut queues = self.queues.lock();
        for key in keys {
            let queue = queues.entry((db, Key::from_slice(key))).or_default();
            if !queue.iter().any(|w| Arc::ptr_eq(w, &waiter)) {
                queue.push_back(waiter.clone());
            }
        }
        // Relaxed: published to writers by the gate pass below.
        self.blocked.fetch_add(1, Ordering::Relaxed);
        drop(queues);
        drop(gate.exclusive());
        waiter
    }

    /// The waiter is awake and about to retry its command: a later signal
    /// may wake it again. Taken under the queues lock, like the flag's
    /// setting in `signal`, so that a signal either comes before (and the
    /// retry sees its element) or sees the flag cleared (and wakes it).
    pub fn retrying(&self, waiter: &Waiter) {
        let _queues = self.queues.lock();
        waiter.woken.store(false, Ordering::Relaxed);
    }

    /// Take a waiter off every queue it is on.
    pub fn unregister(&self, db: usize, keys: &[bytes::Bytes], waiter: &Arc<Waiter>) {
        let mut queues = self.queues.lock();
        for key in keys {
            let k = (db, Key::from_slice(key));
            if let Some(queue) = queues.get_mut(&k) {
                queue.retain(|w| !Arc::ptr_eq(w, waiter));
                if queue.is_empty() {
                    queues.remove(&k);
                }
            }
        }
        self.blocked.fetch_sub(1, Ordering::Relaxed);
    }

    /// A write added `n` elements to `key`: wake up to `n` of its waiters,
    /// oldest first. Call after the update, outside the key's lock but
    /// inside the command (holding the gate's shared side).
    pub fn signal(&self, db: usize, key: &[u8], n: usize) {
        // Relaxed: a registration this load could miss is ordered before
        // the caller's command by the gate (see "No lost wake-up").
        if self.blocked.load(Ordering::Relaxed) == 0 || n == 0 {
            return;
        }
        let queues = self.queues.lock();
        let Some(queue) = queues.get(&(db, Key::from_slice(key))) else { return };
        let mut left = n;
        for w in queue {
            if left == 0 {
                break;
            }
            // Under the queues lock, as in `retrying`.
            if !w.woken.swap(true, Ordering::Relaxed) {
                w.notify.notify_one();
                left -= 1;
            }
        }
    }

    /// Clients blocked right now.
    pub fn blocked_clients(&self) -> usize {
        self.blocked.load(Ordering::Relaxed)
    }
}
