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
//! A waiter registers *before* it retries its command; a writer signals
//! *after* its update. This is Dekker's pattern: the waiter writes the
//! blocked count then reads the key, the writer writes the key then reads
//! the count, each with a `SeqCst` fence between its write and its read.
//! The fences guarantee that at least one of the two sees the other's
//! write: either the retry finds the element, or the signal finds the
//! waiter. (The key's lock alone is not enough: on the slot backends a
//! missing key's retry and a creating push lock two different slots.)
//! `tokio`'s `Notify` keeps a wake-up that arrives before the waiter
//! sleeps.
//!
//! # Cost when nobody is blocked
//!
//! `signal` first reads one counter of blocked clients; it is written only
//! when a client blocks or unblocks, so on the push path it is a read of a
//! cache line every core shares, not a write.

use crate::keyspace::Key;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
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

    /// Mark this waiter as awake and about to retry: a later signal may
    /// wake it again.
    pub fn retrying(&self) {
        self.woken.store(false, Ordering::SeqCst);
    }
}

#[derive(Default)]
pub struct Blocking {
    /// Clients currently blocked (INFO's `blocked_clients`).
    blocked: AtomicUsize,
    /// Waiters per (database, key), oldest first.
    queues: Mutex<HashMap<(usize, Key), VecDeque<Arc<Waiter>>>>,
}

impl Blocking {
    /// Queue a client on `keys` of database `db`.
    pub fn register(&self, db: usize, keys: &[bytes::Bytes], client_id: u64) -> Arc<Waiter> {
        let waiter = Arc::new(Waiter { client_id, woken: AtomicBool::new(false), notify: Notify::new() });
        let mut queues = self.queues.lock();
        for key in keys {
            let queue = queues.entry((db, Key::from_slice(key))).or_default();
            if !queue.iter().any(|w| Arc::ptr_eq(w, &waiter)) {
                queue.push_back(waiter.clone());
            }
        }
        self.blocked.fetch_add(1, Ordering::SeqCst);
        // Dekker: orders this registration before the caller's retry reads
        // the key; pairs with the fence in `signal`.
        fence(Ordering::SeqCst);
        waiter
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
        self.blocked.fetch_sub(1, Ordering::SeqCst);
    }

    /// A write added `n` elements to `key`: wake up to `n` of its waiters,
    /// oldest first. Call after the update, outside the key's lock.
    pub fn signal(&self, db: usize, key: &[u8], n: usize) {
        // Dekker: orders the caller's update before this read of the
        // count; pairs with the fence in `register`.
        fence(Ordering::SeqCst);
        if self.blocked.load(Ordering::SeqCst) == 0 || n == 0 {
            return;
        }
        let queues = self.queues.lock();
        let Some(queue) = queues.get(&(db, Key::from_slice(key))) else { return };
        let mut left = n;
        for w in queue {
            if left == 0 {
                break;
            }
            if !w.woken.swap(true, Ordering::SeqCst) {
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
