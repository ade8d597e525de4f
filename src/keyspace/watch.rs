//! WATCH: which clients watch which keys of one database, so that a write
//! to a watched key makes the watchers' next EXEC fail.
//!
//! Each watching client owns one flag ([`WatchFlag`]); WATCH puts it on
//! the list of every key it names. [`Db::update`](super::Db::update) and
//! [`Db::remove`](super::Db::remove) call [`Watches::touch`] after every
//! change of a key, inside the key's critical section: the key's watchers' flags are raised. EXEC runs
//! alone (the gate's exclusive side), checks its flag, and runs the queued
//! commands only if it is still down.
//!
//! # What counts as a change
//!
//! Every `update` of a key touches it, including expiry (lazy or active)
//! and updates that end up changing nothing (SETNX on an existing key, an
//! INCR that fails on a non-number); so does every `remove` that deletes
//! one (DEL), while a DEL of a missing key touches nothing, as in Redis.
//! Redis touches only real changes; a convoy transaction may therefore fail
//! where Redis's would not, never the reverse. A client that sees EXEC fail retries it, so a false alarm
//! costs one retry, while a missed change would break isolation.
//!
//! # Cost when nobody watches
//!
//! `touch` reads one counter of registrations and returns: a read of a
//! line every core shares, no write, no fence. The counter may be read
//! stale by a write racing a WATCH; WATCH closes that window the same way
//! blocked clients do (see [`crate::server::blocking`]): after registering
//! it passes once through the gate's exclusive side, so every later write
//! sees the registration and every earlier one is visible to what the
//! client reads next.

use super::Key;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Raised when a watched key changes; one per watching client.
pub type WatchFlag = Arc<AtomicBool>;

#[derive(Default)]
pub struct Watches {
    /// Registrations (key, flag) in this database.
    count: AtomicUsize,
    by_key: Mutex<HashMap<Key, Vec<WatchFlag>>>,
}

impl Watches {
    /// Put `flag` on `key`'s list (once).
    pub fn watch(&self, key: &[u8], flag: &WatchFlag) {
        let mut by_key = self.by_key.lock();
        let list = by_key.entry(Key::from_slice(key)).or_default();
        if !list.iter().any(|f| Arc::ptr_eq(f, flag)) {
            list.push(flag.clone());
            // Relaxed: published by the caller's pass through the gate.
            self.count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Take `flag` off `key`'s list.
    pub fn unwatch(&self, key: &[u8], flag: &WatchFlag) {
        let mut by_key = self.by_key.lock();
        if let Some(list) = by_key.get_mut(key) {
            let before = list.len();
            list.retain(|f| !Arc::ptr_eq(f, flag));
            self.count.fetch_sub(before - list.len(), Ordering::Relaxed);
            if list.is_empty() {
                by_key.remove(key);
            }
        }
    }

    /// `key` changed: raise its watchers' flags.
    pub fn touch(&self, key: &[u8]) {
        // Relaxed: see "Cost when nobody watches".
        if self.count.load(Ordering::Relaxed) == 0 {
            return;
        }
        if let Some(list) = self.by_key.lock().get(key) {
            for flag in list {
                // Relaxed: EXEC reads the flag after passing the gate's
                // exclusive side, which orders every touch before it.
                flag.store(true, Ordering::Relaxed);
            }
        }
    }
}
