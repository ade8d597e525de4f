//! The expiry index: which keys expire when, so that active expiry finds
//! keys nobody reads without scanning the keyspace.
//!
//! Redis samples random keys from its own hash table; most of our maps
//! cannot sample, so each database keeps a separate index of deadlines
//! instead, sharded by key hash to keep writers of different keys apart.
//! Each shard is an ordered set of `(deadline, key)`.
//!
//! The index is changed only from inside [`Db::update`](super::Db::update),
//! while the key's own lock (global, shard, bucket or slot) is held, so for
//! each key the index and the map agree: lock order is always key, then
//! index shard. Active expiry takes an index shard alone, pops due keys,
//! releases it, and only then deletes each key through `update`.

use super::{stable_hash, UnixMillis};
use bytes::Bytes;
use crossbeam_utils::CachePadded;
use parking_lot::Mutex;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Shard count: a power of two so a mask picks the shard. 16 keeps writers
/// on 2 to 16 cores mostly apart at a small fixed cost per database.
const SHARDS: usize = 16;
const _: () = assert!(SHARDS.is_power_of_two());

/// One shard: deadlines in order, each with its key.
type Shard = Mutex<BTreeSet<(UnixMillis, Bytes)>>;

pub struct ExpiryIndex {
    shards: Box<[CachePadded<Shard>]>,
    /// Entries in all shards: the number of keys with an expiry.
    len: AtomicUsize,
}

impl Default for ExpiryIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl ExpiryIndex {
    pub fn new() -> Self {
        ExpiryIndex {
            shards: (0..SHARDS).map(|_| CachePadded::new(Mutex::new(BTreeSet::new()))).collect(),
            len: AtomicUsize::new(0),
        }
    }

    fn shard(&self, key: &[u8]) -> &Shard {
        // The high bits: aHash mixes them as well as the low ones.
        &self.shards[(stable_hash(key) >> 60) as usize & (SHARDS - 1)]
    }

    /// Record that `key`'s deadline changed from `before` to `after`.
    /// Called with the key's lock held.
    pub fn reschedule(&self, key: &[u8], before: Option<UnixMillis>, after: Option<UnixMillis>) {
        let owned = Bytes::copy_from_slice(key);
        let mut shard = self.shard(key).lock();
        if let Some(t) = before {
            if shard.remove(&(t, owned.clone())) {
                self.len.fetch_sub(1, Ordering::Relaxed);
            }
        }
        if let Some(t) = after {
            if shard.insert((t, owned)) {
                self.len.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Remove and return up to `max` keys whose deadline is at or before
    /// `now`, spread over the shards.
    pub fn pop_due(&self, now: UnixMillis, max: usize) -> Vec<Bytes> {
        let per_shard = max.div_ceil(SHARDS).max(1);
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let mut shard = shard.lock();
            while out.len() < max {
                match shard.first() {
                    Some((t, _)) if *t <= now => {
                        let (_, k) = shard.pop_first().expect("first exists");
                        self.len.fetch_sub(1, Ordering::Relaxed);
                        out.push(k);
                        if out.len() % per_shard == 0 {
                            break;
                        }
                    }
                    _ => break,
                }
            }
        }
        out
    }

    /// Number of keys with a deadline.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
