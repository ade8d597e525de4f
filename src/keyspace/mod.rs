//! The keyspace: one map per database, behind one trait, seven ways.
//!
//! This module knows keys, values and expiry: nothing of the protocol,
//! connections or commands. Commands reach a backend only through
//! [`Keyspace`] (wrapped by [`Db`], which adds expiry and SCAN cursors), and
//! the server is generic over it: the backend is chosen once at startup and
//! no `dyn` call sits on the per-command path, so comparing two backends
//! measures the maps, not the dispatch.
//!
//! | backend | file | what it is |
//! | --- | --- | --- |
//! | `mutex` | [`mutex`] | one `HashMap` behind one global `Mutex`: the convoy |
//! | `rwlock` | [`rwlock`] | one `HashMap` behind one global `RwLock` |
//! | `dashmap` | [`dashmap`] | DashMap: a `RwLock` per shard |
//! | `scc` | [`scc`] | scc's `HashMap`: a lock per bucket array cell, epoch-reclaimed arrays |
//! | `flurry` | [`flurry`] | a port of Java's `ConcurrentHashMap`, epoch-reclaimed |
//! | `papaya` | [`papaya`] | lock-free reads and writes, reclaimed by `seize` |
//! | `lockfree` | [`lockfree`] | convoy's own split-ordered list (`structures::map`): lock-free, grows without moving a node, reclaimed by epochs with exact counts |
//!
//! # The one design decision: per-key updates
//!
//! Every command that changes a key runs as [`Keyspace::update`]: a closure
//! receives `&mut Option<Entry>` (the key's current entry, or `None`), may
//! change it in place, replace it, or set it to `None` to delete the key, and
//! runs exactly once, while no other update of that key can run. That one
//! method gives atomic read-modify-write (INCR, SETNX, APPEND) and in-place
//! collection updates (LPUSH onto a million-element list touches one element)
//! on every backend:
//!
//! - the locked maps run the closure under their lock (global, shard or
//!   bucket);
//! - papaya, flurry and lockfree hand out shared references (papaya and
//!   flurry may run their own update closures more than once; lockfree
//!   never replaces a value at all), so there the map holds a small
//!   [`slot::Slot`] per key, a tiny lock around the entry, and the closure
//!   runs under the slot's lock (see [`slot`] for the deleted-slot race).

pub mod dashmap;
pub mod entry;
pub mod expiry;
pub mod flurry;
pub mod gate;
pub mod glob;
pub mod lockfree;
pub mod mutex;
pub mod papaya;
pub mod rwlock;
pub mod scan;
pub mod scc;
pub mod slot;
pub mod types;
pub mod watch;

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use structures::counter::StripedCounter;

pub use entry::{now_ms, Entry, Str, UnixMillis, Value};
pub use structures::map::Reclamation;

/// A key as the maps store it: up to 24 bytes inline, longer ones on the
/// heap.
///
/// Most keys are short (`user:1000`, redis-benchmark's `key:000000012345`).
/// Stored inline, a key sits in the map's own entry, next to the hash
/// table's other data, so a lookup compares it without following a
/// pointer: one cache miss fewer per lookup, and one allocation fewer per
/// inserted key. `SmallVec` hashes and compares as `[u8]`, so every map can
/// be searched with a plain `&[u8]`.
pub type Key = smallvec::SmallVec<[u8; 24]>;

/// The hasher every backend uses, so that no backend wins by its hash
/// function. aHash: fast on short keys, and keyed per process so clients
/// cannot choose colliding keys.
pub type Hasher = ahash::RandomState;

/// One database's map from keys to entries.
///
/// # Consistency
///
/// Per key, every backend is linearizable: a `read` sees the last `update`
/// of that key that finished before it began, and updates of one key are
/// totally ordered (each closure sees the result of the one before). Across
/// keys nothing is promised: a reader of two keys may see a new value of one
/// and an old value of the other (multi-key atomicity is the job of
/// [`gate::Gate`], above the map). `for_each` is a weak snapshot: it sees
/// every key present for its whole run, and may or may not see keys added or
/// removed meanwhile.
///
/// # Progress
///
/// Each backend states its own: from a global lock (everything blocks) to
/// papaya and lockfree (lookups and the map's own writes lock-free; the per-key slot lock
/// is held only by updates of that key).
///
/// # Expiry
///
/// Backends store `Entry::expires_at` but never interpret it: [`Db`] treats
/// expired entries as absent and removes them.
pub trait Keyspace: Send + Sync + 'static {
    /// The name `--backend` takes.
    const NAME: &'static str;

    /// An empty map.
    fn new() -> Self;

    /// Run `f` on the entry stored under `key`, or on `None`.
    ///
    /// `f` must be short and must not call back into this map: a backend
    /// may hold a lock while it runs.
    fn read<R>(&self, key: &[u8], f: impl FnOnce(Option<&Entry>) -> R) -> R;

    /// Run `f` exactly once on the entry under `key`, atomically with respect
    /// to every other `update` of `key`. Leaving `None` in the option deletes
    /// the key; leaving `Some` stores it (the key is copied on insertion).
    ///
    /// `f` must not call back into this map.
    fn update<R>(&self, key: &[u8], f: impl FnOnce(&mut Option<Entry>) -> R) -> R;

    /// Delete `key` if it is there: run `f` on its entry, inside the same
    /// critical section as the deletion, and return what `f` returns;
    /// `None`, with `f` not run, if the key is not there. Atomic with
    /// respect to every `update` of `key`, exactly as
    /// `update(key, |e| e.take().map(f))`, which is the default; a backend
    /// overrides it when it can delete more cheaply than a general update
    /// (the slot layer: a missing key needs no slot).
    ///
    /// `f` must not call back into this map.
    fn remove<R>(&self, key: &[u8], f: impl FnOnce(Entry) -> R) -> Option<R> {
        self.update(key, |slot| slot.take().map(f))
    }

    /// The number of keys (expired ones not yet removed included, as in
    /// Redis's DBSIZE). May be approximate while writers run.
    fn len(&self) -> usize;

    /// Visit every key (a weak snapshot, see `# Consistency`). `f` returns
    /// `false` to stop early. `f` must not call back into this map.
    fn for_each(&self, f: impl FnMut(&[u8], &Entry) -> bool);

    /// Whether the map is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Nodes this map has unlinked and handed to its reclamation scheme
    /// (retired), and how many of those have been freed, if the backend
    /// can tell exactly. Only convoy's own `lockfree` can: the other
    /// backends reclaim inside their libraries (or free at once, under a
    /// lock), so they answer `None` and report nothing.
    fn reclamation(&self) -> Option<Reclamation> {
        None
    }
}

/// `update` for a plain `HashMap` the caller has locked: shared by the
/// `mutex` and `rwlock` backends.
pub(crate) fn update_hashmap<R>(
    map: &mut HashMap<Key, Entry, Hasher>,
    key: &[u8],
    f: impl FnOnce(&mut Option<Entry>) -> R,
) -> R {
    match map.get_mut(key) {
        Some(stored) => {
            let (r, keep) = update_in_place(stored, f);
            if !keep {
                map.remove(key);
            }
            r
        }
        None => {
            let (r, created) = update_absent(f);
            if let Some(e) = created {
                map.insert(Key::from_slice(key), e);
            }
            r
        }
    }
}

/// Run an update closure for a key that is absent; returns its result and
/// the entry to insert, if it created one.
pub(crate) fn update_absent<R>(f: impl FnOnce(&mut Option<Entry>) -> R) -> (R, Option<Entry>) {
    let mut slot = None;
    let r = f(&mut slot);
    (r, slot)
}

/// Run an update closure on an entry stored in a map, in place. The entry
/// is moved out for the call (a few words, never the collection's
/// contents) and back unless the closure deleted it. Returns whether the
/// map should keep the key.
pub(crate) fn update_in_place<R>(stored: &mut Entry, f: impl FnOnce(&mut Option<Entry>) -> R) -> (R, bool) {
    let mut slot = Some(std::mem::replace(stored, Entry::PLACEHOLDER));
    let r = f(&mut slot);
    match slot {
        Some(e) => {
            *stored = e;
            (r, true)
        }
        None => (r, false),
    }
}

/// One database: a backend map plus what every backend shares (lazy and
/// active expiry, SCAN cursors, counters).
pub struct Db<K> {
    map: K,
    expiry: expiry::ExpiryIndex,
    /// Clients watching keys of this database (WATCH).
    pub watches: watch::Watches,
    scans: scan::ScanCursors,
    expired_keys: AtomicU64,
    /// Reads that found their key (`keyspace_hits`) and reads that did not
    /// (`keyspace_misses`); see [`Db::get`].
    hits: StripedCounter,
    misses: StripedCounter,
    /// Told of each expired key this database removes, inside that key's
    /// critical section (see [`Db::on_expired`]).
    expired_hook: std::sync::OnceLock<ExpiredHook>,
}

/// See [`Db::on_expired`].
pub type ExpiredHook = Box<dyn Fn(&[u8]) + Send + Sync>;

impl<K: Keyspace> Default for Db<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Keyspace> Db<K> {
    pub fn new() -> Self {
        Db {
            map: K::new(),
            expiry: expiry::ExpiryIndex::new(),
            watches: watch::Watches::default(),
            scans: scan::ScanCursors::new(),
            expired_keys: AtomicU64::new(0),
            hits: StripedCounter::new(lookup_stripes()),
            misses: StripedCounter::new(lookup_stripes()),
            expired_hook: std::sync::OnceLock::new(),
        }
    }

    /// Have `hook` called with each expired key this database removes,
    /// inside the update that removes it (so in the order the key's writes
    /// were applied). The write-ahead log records these removals as DEL,
    /// as Redis propagates expiry. Once a hook is set, a *read* that finds
    /// an expired key no longer removes it (the read sees it as absent, and
    /// the next writer or active expiry removes it): removals then come
    /// only from writers and active expiry, which the log's ordering
    /// stripes cover. Can be set once.
    pub fn on_expired(&self, hook: ExpiredHook) {
        let _ = self.expired_hook.set(hook);
    }

    /// The backend map itself, for code that measures it.
    pub fn map(&self) -> &K {
        &self.map
    }

    /// Run `f` on the live entry under `key` at time `now` (an expired entry
    /// reads as absent, and is then removed: lazy expiry), counting the
    /// lookup as a keyspace hit or miss.
    ///
    /// This is Redis's `lookupKeyRead`, and like it the one place reads are
    /// counted (INFO's `keyspace_hits`/`keyspace_misses`): a command that
    /// reads keys reads them here, so no command counts for itself. A
    /// lookup made on behalf of a write (RENAME's check that its source
    /// exists, LMOVE's type checks) or of the server itself (the log, SCAN)
    /// uses [`Db::peek`] instead, as Redis uses `lookupKeyWrite` there. A
    /// read that has to go through [`Db::update`] (GETDEL, GETEX, SET ...
    /// GET) counts itself with [`Db::count_lookup`].
    ///
    /// The count costs one relaxed `fetch_add` on the calling thread's own
    /// stripe of a [`StripedCounter`]: no cache line shared with other
    /// workers on the read path.
    pub fn get<R>(&self, key: &[u8], now: UnixMillis, f: impl FnOnce(Option<&Entry>) -> R) -> R {
        let mut found = false;
        let r = self.peek(key, now, |e| {
            found = e.is_some();
            f(e)
        });
        self.count_lookup(found);
        r
    }

    /// [`Db::get`] without counting a hit or a miss.
    pub fn peek<R>(&self, key: &[u8], now: UnixMillis, f: impl FnOnce(Option<&Entry>) -> R) -> R {
        let mut expired = false;
        let r = self.map.read(key, |e| match e {
            Some(e) if e.is_expired(now) => {
                expired = true;
                f(None)
            }
            e => f(e),
        });
        if expired && self.expired_hook.get().is_none() {
            self.update(key, now, |_| ());
        }
        r
    }

    /// Count one read lookup that found its key (`found`) or did not, for a
    /// read made through [`Db::update`] (see [`Db::get`]).
    pub fn count_lookup(&self, found: bool) {
        if found {
            self.hits.add(1);
        } else {
            self.misses.add(1);
        }
    }

    /// Read lookups that found their key, and that did not, since start.
    pub fn lookups(&self) -> (u64, u64) {
        (self.hits.sum(), self.misses.sum())
    }

    /// Remove `key` if it is there and expired at `now` (counted, and told
    /// to the expiry hook, as any expiry). Returns whether it was removed.
    pub fn purge_expired(&self, key: &[u8], now: UnixMillis) -> bool {
        let expired = self.map.read(key, |e| e.is_some_and(|e| e.is_expired(now)));
        if expired {
            // Checked again inside the update: a writer may have come first.
            self.update(key, now, |_| ());
        }
        expired
    }

    /// Whether a live key exists, counted as a read (EXISTS, TYPE).
    pub fn exists(&self, key: &[u8], now: UnixMillis) -> bool {
        self.get(key, now, |e| e.is_some())
    }

    /// Whether a live key exists, not counted (see [`Db::peek`]).
    pub fn peek_exists(&self, key: &[u8], now: UnixMillis) -> bool {
        self.peek(key, now, |e| e.is_some())
    }

    /// Atomic read-modify-write of `key` at time `now`: `f` sees the live
    /// entry or `None` (an expired entry is removed first) and runs exactly
    /// once. Changes to the expiry time are mirrored in the expiry index
    /// inside the same critical section, so the index agrees with the map
    /// key by key.
    pub fn update<R>(&self, key: &[u8], now: UnixMillis, f: impl FnOnce(&mut Option<Entry>) -> R) -> R {
        self.map.update(key, |slot| self.apply(key, now, slot, f))
    }

    /// Delete `key`; returns whether a live key was there. Through the
    /// map's `remove`, so a missing key costs a lookup and no more, and is
    /// not touched for WATCH (deleting nothing changes nothing, as in
    /// Redis).
    pub fn remove(&self, key: &[u8], now: UnixMillis) -> bool {
        self.map
            .remove(key, |entry| self.apply(key, now, &mut Some(entry), |slot| slot.take().is_some()))
            .unwrap_or(false)
    }

    /// What every change of `key` does inside its critical section: drop an
    /// entry that expired (counted, and told to the expiry hook), run `f`,
    /// mirror a changed expiry time in the expiry index, and touch the
    /// key's watchers.
    fn apply<R>(
        &self,
        key: &[u8],
        now: UnixMillis,
        slot: &mut Option<Entry>,
        f: impl FnOnce(&mut Option<Entry>) -> R,
    ) -> R {
        let before = slot.as_ref().and_then(|e| e.expires_at);
        if slot.as_ref().is_some_and(|e| e.is_expired(now)) {
            *slot = None;
            self.expired_keys.fetch_add(1, Ordering::Relaxed);
            if let Some(hook) = self.expired_hook.get() {
                hook(key);
            }
        }
        let r = f(slot);
        let after = slot.as_ref().and_then(|e| e.expires_at);
        if before != after {
            self.expiry.reschedule(key, before, after);
        }
        self.watches.touch(key);
        r
    }

    /// Number of keys (DBSIZE).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Number of keys with an expiry time (INFO keyspace's `expires`).
    pub fn expires_count(&self) -> usize {
        self.expiry.len()
    }

    /// Keys removed because they expired, lazily or actively.
    pub fn expired_keys(&self) -> u64 {
        self.expired_keys.load(Ordering::Relaxed)
    }

    /// Delete every key (FLUSHDB). Each key is removed through `update`, so
    /// a concurrent writer never writes into a detached entry, and each
    /// watched key that existed counts as changed, as in Redis.
    pub fn clear(&self, now: UnixMillis) {
        let mut keys = Vec::with_capacity(self.map.len());
        self.map.for_each(|k, _| {
            keys.push(Key::from_slice(k));
            true
        });
        for k in keys {
            self.update(&k, now, |slot| *slot = None);
        }
    }

    /// Visit every live key at time `now`; `f` returns `false` to stop.
    pub fn for_each_live(&self, now: UnixMillis, mut f: impl FnMut(&[u8], &Entry) -> bool) {
        self.map.for_each(|k, e| if e.is_expired(now) { true } else { f(k, e) });
    }

    /// Keys matching a Redis glob pattern (KEYS).
    pub fn keys(&self, pattern: &[u8], now: UnixMillis) -> Vec<Bytes> {
        let mut out = Vec::new();
        let all = pattern == b"*";
        self.for_each_live(now, |k, _| {
            if all || glob::matches(pattern, k, false) {
                out.push(Bytes::copy_from_slice(k));
            }
            true
        });
        out
    }

    /// A uniformly random live key (RANDOMKEY). The maps offer no random
    /// access, so this walks to a random position: O(n).
    pub fn random_key(&self, now: UnixMillis) -> Option<Bytes> {
        let n = self.map.len();
        if n == 0 {
            return None;
        }
        let target = rand::random_range(0..n);
        let (mut i, mut chosen, mut first) = (0, None, None);
        self.for_each_live(now, |k, _| {
            if first.is_none() {
                first = Some(Bytes::copy_from_slice(k));
            }
            if i >= target {
                chosen = Some(Bytes::copy_from_slice(k));
                return false;
            }
            i += 1;
            true
        });
        chosen.or(first)
    }

    /// One step of SCAN: see [`scan`] for the cursor's meaning.
    pub fn scan(
        &self,
        cursor: u64,
        count: usize,
        now: UnixMillis,
        mut keep: impl FnMut(&[u8], &Entry) -> bool,
    ) -> (u64, Vec<Bytes>) {
        let (next, candidates) = self.scans.step(cursor, count, || {
            let mut keys = Vec::with_capacity(self.map.len());
            self.map.for_each(|k, _| {
                keys.push(Key::from_slice(k));
                true
            });
            keys
        });
        let mut out = Vec::with_capacity(candidates.len());
        for k in candidates {
            // Not counted: Redis's SCAN does not count its lookups either.
            if self.peek(&k, now, |e| e.is_some_and(|e| keep(&k, e))) {
                out.push(Bytes::copy_from_slice(&k));
            }
        }
        (next, out)
    }

    /// One pass of active expiry: remove up to `max` keys whose time has
    /// come, whether or not anyone reads them. Returns how many were due.
    /// `around` wraps each removal (the write-ahead log takes the key's
    /// ordering stripe there).
    pub fn expire_due(&self, now: UnixMillis, max: usize, mut around: impl FnMut(&[u8], &dyn Fn())) -> usize {
        let due = self.expiry.pop_due(now, max);
        let n = due.len();
        for key in due {
            around(&key, &|| self.update(&key, now, |_| ()));
        }
        n
    }
}

/// Stripes of each database's hit and miss counters: one per core, so
/// that worker threads rarely share one (a thread's stripe is picked by its
/// [`thread_index`](structures::counter::thread_index); two threads on one
/// stripe are still counted exactly, only no longer for free). Computed
/// once.
fn lookup_stripes() -> usize {
    static STRIPES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *STRIPES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()).next_power_of_two())
}

/// The process's one hash seed, random per process (so clients cannot
/// pick colliding keys) and fixed for its life: behind [`stable_hash`] and
/// the collections' shared hasher.
pub fn process_seed() -> &'static ahash::RandomState {
    static STATE: std::sync::OnceLock<ahash::RandomState> = std::sync::OnceLock::new();
    STATE.get_or_init(ahash::RandomState::new)
}

/// A hash of a key that is stable for the life of the process, used for
/// SCAN cursors and for picking shards of the expiry index.
pub fn stable_hash(key: &[u8]) -> u64 {
    process_seed().hash_one(key)
}

/// Run `$body` with the type alias `$K` bound to the backend named `$name`
/// (a `&str`); `$fallback` runs for an unknown name. This is the single
/// place where a backend name becomes a type: everything downstream is
/// generic.
#[macro_export]
macro_rules! with_backend {
    ($name:expr, $K:ident => $body:expr, _ => $fallback:expr) => {
        match $name {
            "mutex" => {
                type $K = $crate::keyspace::mutex::MutexMap;
                $body
            }
            "rwlock" => {
                type $K = $crate::keyspace::rwlock::RwLockMap;
                $body
            }
            "dashmap" => {
                type $K = $crate::keyspace::dashmap::DashMapBackend;
                $body
            }
            "scc" => {
                type $K = $crate::keyspace::scc::SccMap;
                $body
            }
            "flurry" => {
                type $K = $crate::keyspace::flurry::FlurryMap;
                $body
            }
            "papaya" => {
                type $K = $crate::keyspace::papaya::PapayaMap;
                $body
            }
            "lockfree" | "splitorder" => {
                type $K = $crate::keyspace::lockfree::LockFreeMap;
                $body
            }
            _ => $fallback,
        }
    };
}

/// Every backend name, in the order `--help` lists them.
pub const BACKENDS: &[&str] = &["mutex", "rwlock", "dashmap", "scc", "flurry", "papaya", "lockfree"];

/// The reclamation figures of all of `dbs` together, if their backend can
/// tell (see [`Keyspace::reclamation`]).
pub fn reclamation<K: Keyspace>(dbs: &[Db<K>]) -> Option<Reclamation> {
    dbs.iter().map(|db| db.map().reclamation()).try_fold(Reclamation::default(), |sum, r| r.map(|r| sum + r))
}
