//! A lock-free hash map that grows without moving a node: Shalev and
//! Shavit's split-ordered list over Michael's lock-free list, with memory
//! reclaimed by epochs (crossbeam-epoch).
//!
//! # The problem growth poses
//!
//! A hash table with chained buckets grows by doubling its bucket array and
//! moving every entry to the bucket its hash now names. Done concurrently,
//! that move is the hard part: an entry on its way from one bucket to
//! another must be found by readers in at least one of them, and writers
//! must not insert into a bucket that is being emptied. Locks, forwarding
//! markers (Java's `ConcurrentHashMap`, flurry) or cooperative incremental
//! copying (papaya) are the usual answers.
//!
//! Shalev and Shavit's answer is to never move an entry. All entries live
//! in **one** sorted lock-free linked list; a bucket is only a pointer into
//! that list, to a *dummy* node that marks where the bucket's stretch of
//! the list begins. Doubling the table adds dummies inside existing
//! stretches; no entry changes place.
//!
//! # Split-order keys
//!
//! For that to work, the entries of bucket `b` must sit together in the
//! list, for every table size at once: when the table doubles from `n` to
//! `2n` buckets, bucket `b` splits into `b` and `b + n`, and those two must
//! each be a contiguous stretch of `b`'s old one. Sorting by the hash's
//! bits *reversed* does exactly this: the bucket index under size `2^k` is
//! the hash's low `k` bits, and reversed they become the high bits of the
//! sort key, so entries are grouped by their low bit first, then by the
//! next one, and so on (a radix order read from the least significant
//! end). Bucket `b + n` differs from `b` in one more bit, which sorts its
//! entries after all of `b`'s: the old stretch divides in two, in place.
//!
//! Each node carries a 64-bit *split-order key*:
//!
//! - an item with hash `h`: `reverse(h | 1 << 63)`, which ends in a 1 bit;
//! - the dummy of bucket `b`: `reverse(b)`, which ends in a 0 bit.
//!
//! The trailing bit orders a bucket's dummy before every item of that
//! bucket (their other bits agree), and tells the two kinds apart. (The
//! top bit of the hash is given up for it; bucket numbers never use it.)
//!
//! With 4-bit hashes, and writing a split-order key as the reversed hash,
//! a dot, and the trailing bit (dummies in parentheses, items by their
//! hash):
//!
//! ```text
//!  2 buckets:  b0                               b1
//!              |                                |
//!              v                                v
//!           (0000.0) -> 8 -> 2 -> 10 -> 6 -> (1000.0) -> 1 -> 9 -> 13 -> 7
//!
//!  4 buckets:  b0          b2                   b1                 b3
//!              |           |                    |                  |
//!              v           v                    v                  v
//!           (0000.0) -> 8 -> (0100.0) -> 2 -> 10 -> 6 -> (1000.0) -> 1 -> 9 -> 13 -> (1100.0) -> 7
//! ```
//!
//! Item 8 is `0001.1`, 2 is `0100.1`, 6 is `0110.1`: under two buckets,
//! bucket 0 is everything from `(0000.0)` to `(1000.0)`. Doubling to four
//! made bucket 2 (hashes 2, 10, 6) by splicing the dummy `(0100.0)` in
//! front of them, and bucket 3 (hash 7) by splicing `(1100.0)`. Nothing
//! else changed.
//!
//! # Buckets are initialised lazily, from their parent
//!
//! Growth itself is one CAS on the bucket count ([`SplitOrderedMap`]'s
//! `size`), done by an insert that finds the map too full (more than
//! `MAX_LOAD` items per bucket on average). New buckets have no dummy yet.
//! The first insert or remove that needs bucket `b` initialises it: it
//! inserts `b`'s dummy into the list starting from the dummy of `b`'s
//! *parent*, the bucket `b` split from (`b` with its highest set bit
//! cleared), initialising the parent first if needed, recursively down to
//! bucket 0, whose dummy is the list's head and always exists. The dummies
//! live in the bucket directory (`map/buckets.rs`), which is segmented so
//! that it too grows without copying, and whose entries *are* the dummies,
//! so that a lookup reaching its bucket is already at the start of the
//! bucket's stretch. Of the threads that initialise one bucket at once,
//! one claims its entry and links the dummy, then marks it linked; the
//! others start from the parent's dummy meanwhile, without waiting.
//!
//! Lookups ([`SplitOrderedMap::get`]) never initialise: they start from the
//! nearest initialised ancestor's dummy, which precedes the key too. So a
//! lookup never writes shared memory.
//!
//! # The list
//!
//! The list is Michael's (`map/list.rs`): a node is deleted by first marking
//! the low bit of its own `next` pointer (after which no CAS can link
//! anything after it), then unlinking it with a CAS on its predecessor;
//! any thread whose search meets a marked node unlinks it (helping).
//! Michael's paper builds a fixed-size hash table from one such list per
//! bucket; Shalev and Shavit thread one list through all buckets.
//!
//! # Invariants
//!
//! 1. The nodes reachable from the head are sorted by split-order key
//!    (items with equal keys, that is equal hashes, in any order), and
//!    include exactly one dummy per initialised bucket, never deleted.
//! 2. A node's split-order key, key and value never change after it is
//!    published; only its `next` link does, and only until it is marked.
//! 3. An unmarked item reachable from the head is in the map; there is at
//!    most one such item per key.
//! 4. A marked node's `next` never changes; a marked node is unlinked at
//!    most once, by the winner of one CAS, which alone retires it.
//! 5. The dummy of bucket `b` is in the list before the directory marks
//!    it linked, and is ordered before every item whose hash is `b` modulo
//!    the current size, and after the dummy of every ancestor bucket. Only
//!    the thread that claimed `b`'s entry links it, once.
//! 6. The bucket count only grows (no shrinking), and is a power of two.
//!
//! # Consistency
//!
//! Linearizable: `insert_if_absent` takes effect at its successful link
//! CAS (or, losing, at the read that found the winner), `remove` at its
//! marking CAS, `get` at the read of the found node's `next` that showed
//! it unmarked. [`SplitOrderedMap::iter`] is a weak snapshot: it sees every
//! item present for its whole run and may see those inserted or removed
//! meanwhile; growth does not disturb it, because nothing moves. `len` is
//! exact when no writer runs, and otherwise off by at most the number of
//! inserts and removes that overlap it.
//!
//! # Progress
//!
//! Lock-free: every loop retries only because another thread's CAS on the
//! same link succeeded, so some operation always completes.
//!
//! - `get`, `iter`: never write, never restart (they walk through marked
//!   nodes, whose links stay valid). Wait-free but for the items inserted
//!   ahead of them while they walk.
//! - `insert_if_absent`: the link CAS fails, and the search is repeated,
//!   when a node was linked or unlinked at its place, or the predecessor
//!   was marked meanwhile.
//! - `remove`: retries when the marking CAS loses to an insert after the
//!   node or to another remover; its unlinking CAS may fail, in which case
//!   a search unlinks the node.
//! - any search restarts from its bucket's dummy when a helping CAS fails.
//! - bucket initialisation is an insert (of a dummy), recursively for
//!   uninitialised ancestors: at most `log2(buckets)` of them.
//!
//! Pinning and unpinning an epoch guard are a few atomic operations on the
//! thread's own record; deferring a free is a push onto a thread-local bag.
//!
//! # Reclamation
//!
//! A node unlinked from the list may still be in use: another thread may
//! have read a pointer to it just before the unlink and be about to read
//! its key or follow its link. It may be freed only once no thread can hold
//! such a pointer. Epoch-based reclamation (Fraser, "Practical
//! lock-freedom", 2004; crossbeam-epoch) provides that moment: every
//! operation runs *pinned* (inside a [`Guard`]); a pointer read from the
//! list is used only while the guard that was pinned when it was read
//! lives; the thread that unlinks a node hands it to
//! [`Guard::defer_unchecked`], which tags it with the global epoch; the
//! global epoch advances only when every pinned thread has observed the
//! current one, and a node deferred in epoch `e` is freed once the epoch
//! reaches `e + 2`, when every thread pinned at the time of the unlink has
//! unpinned. A thread that pins after the unlink cannot reach the node
//! (invariant 4: it is unreachable, and stays so). References handed out
//! by the map (`&'g V`) borrow the guard, so the compiler keeps them from
//! outliving it.
//!
//! Who frees what, exactly once:
//!
//! - an item unlinked by a CAS: retired by that CAS's winner;
//! - an item whose insertion lost (the key was there): never shared, freed
//!   at once (its value handed back to the caller);
//! - items still in the list (marked ones not yet unlinked included):
//!   freed by `Drop`, which has `&mut self`;
//! - dummies: never unlinked; they live in the bucket directory's
//!   segments, freed by `Drop` after the list.
//!
//! [`SplitOrderedMap::reclamation`] counts items *retired* (handed to the
//! collector) and *freed* (their deferred free has run, counted inside it
//! after the drop): the difference is the garbage still waiting. Epochs
//! are not robust: one thread that stays pinned stops the epoch, and
//! garbage grows until it unpins. Guards here are meant to live for one
//! operation.
//!
//! All maps share crossbeam's default collector (a per-thread record
//! registered on first use), so a guard from [`SplitOrderedMap::pin`] (or
//! `crossbeam_epoch::pin`) serves any of them; a guard of another
//! collector is refused with a panic, since a reader pinned there would not
//! hold back our frees.
//!
//! # Costs and choices
//!
//! - The paper's `count` of items, touched by every insert and remove, is
//!   a striped counter here (`counter.rs`: one stripe per core, each on
//!   its own cache line). As one shared atomic it was a line that every
//!   insert and remove took from the other core; striped, the benchmark
//!   mixes that insert and remove ran 1.13x to 1.32x as fast on two
//!   threads (`benches/README.md`, "Striping the item count"). Growth
//!   needs the total, and summing reads every stripe, so an insert sums
//!   only once in `GROWTH_CHECK` (64) of its stripe's counts, or always
//!   while the table is small; the load can therefore reach up to twice
//!   `MAX_LOAD` before the table doubles (`grow_if_full`).
//! - `MAX_LOAD` = 2 items per bucket on average before doubling.
//! - The table never shrinks (nor does the paper's); removing items leaves
//!   their buckets' dummies in place.
//! - A directory entry (a dummy and its state) is 24 bytes, allocated a
//!   segment at a time: once the table has doubled to `2^s` buckets, the
//!   first use of its newest half allocates `24 * 2^(s-1)` bytes. An item
//!   is 16 bytes plus the key and the value.
//!
//! # References
//!
//! - Ori Shalev and Nir Shavit, "Split-ordered lists: lock-free extensible
//!   hash tables", Journal of the ACM 53(3), 2006 (PODC 2003).
//! - Maged M. Michael, "High performance dynamic lock-free hash tables and
//!   list-based sets", SPAA 2002.
//! - Timothy L. Harris, "A pragmatic implementation of non-blocking
//!   linked-lists", DISC 2001 (marking the next pointer).
//! - Maurice Herlihy and Nir Shavit, *The Art of Multiprocessor
//!   Programming*, ch. 9 and 13 (the wait-free `contains`; this design).
//! - Keir Fraser, "Practical lock-freedom", PhD thesis, Cambridge, 2004
//!   (epoch-based reclamation).

mod buckets;
mod list;

pub use list::Iter;

use crate::counter::StripedCounter;
use crate::sync::{AtomicUsize, Ordering};
use buckets::{Buckets, Claim, MAX_BUCKETS};
pub use crossbeam_epoch::Guard;
use crossbeam_epoch::Shared;
use list::{Item, List, Node, Target};
use std::borrow::Borrow;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash};

/// Items per bucket, on average, above which the table doubles.
pub const MAX_LOAD: usize = 2;

/// An insert sums the item count's stripes when its own stripe reaches a
/// multiple of this (see `grow_if_full`). A power of two.
const GROWTH_CHECK: usize = 64;

/// Stripes of a map's item count: one per core (rounded up to a power of
/// two), as for convoy's other striped counters. One under loom: a
/// thread's stripe depends on how many threads asked for one before it,
/// which changes from one model iteration to the next, and loom replays
/// each iteration expecting the same accesses.
fn count_stripes() -> usize {
    if cfg!(loom) {
        return 1;
    }
    static STRIPES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *STRIPES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()).next_power_of_two())
}

/// How much of a map's garbage has been reclaimed (see the module doc).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reclamation {
    /// Items unlinked and handed to the epoch collector.
    pub retired: u64,
    /// Of those, items already freed.
    pub freed: u64,
}

impl Reclamation {
    /// Retired items not yet freed.
    pub fn pending(&self) -> u64 {
        self.retired - self.freed
    }
}

impl std::ops::Add for Reclamation {
    type Output = Reclamation;
    fn add(self, other: Reclamation) -> Reclamation {
        Reclamation { retired: self.retired + other.retired, freed: self.freed + other.freed }
    }
}

/// A lock-free hash map from `K` to `V`: a split-ordered list (see the
/// module doc).
///
/// Values are never replaced in place: a key's value is fixed from
/// insertion to removal, and readers get `&V` for as long as their guard
/// lives. (Mutable values go behind a lock or atomics inside `V`.)
pub struct SplitOrderedMap<K, V, S = RandomState> {
    /// Declared (so dropped) before `buckets`, which holds its dummies.
    list: List<K, V>,
    buckets: Buckets,
    /// The number of buckets: a power of two, only ever doubled.
    size: AtomicUsize,
    /// Items in the map, striped (see "Costs and choices"). The total may
    /// dip below zero for a moment: a remove can count itself before the
    /// insert it removes has counted itself.
    count: StripedCounter,
    hasher: S,
}

// SAFETY: the map owns `K`s and `V`s, hands out `&K` and `&V` to any thread
// (so both must be `Sync`) and may drop them on any thread (so both must be
// `Send`); the raw pointers inside are to nodes it owns, shared only
// through atomics. The hasher is used through `&S` from every thread.
unsafe impl<K: Send + Sync, V: Send + Sync, S: Send> Send for SplitOrderedMap<K, V, S> {}
// SAFETY: as for `Send`.
unsafe impl<K: Send + Sync, V: Send + Sync, S: Sync> Sync for SplitOrderedMap<K, V, S> {}

impl<K, V> SplitOrderedMap<K, V, RandomState>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    /// An empty map with one bucket.
    pub fn new() -> Self {
        Self::with_hasher(RandomState::new())
    }
}

impl<K, V> Default for SplitOrderedMap<K, V, RandomState>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V, S> SplitOrderedMap<K, V, S>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Send + Sync + 'static,
    S: BuildHasher,
{
    /// An empty map with one bucket, hashing with `hasher`.
    pub fn with_hasher(hasher: S) -> Self {
        Self::with_capacity_and_hasher(0, hasher)
    }

    /// An empty map with room for `capacity` items before it first grows,
    /// hashing with `hasher`. Only the bucket count is set: no memory is
    /// allocated for buckets until they are used.
    pub fn with_capacity_and_hasher(capacity: usize, hasher: S) -> Self {
        let size = capacity.div_ceil(MAX_LOAD).clamp(1, MAX_BUCKETS).next_power_of_two();
        let buckets = Buckets::new();
        // Bucket 0's dummy is the list's head: in the list from the start.
        let Claim::Won(head) = buckets.claim(0) else { unreachable!("a new directory is empty") };
        let list = List::new(head);
        buckets.linked(0);
        SplitOrderedMap {
            list,
            buckets,
            size: AtomicUsize::new(size),
            count: StripedCounter::new(count_stripes()),
            hasher,
        }
    }

    /// Pin the current thread: the guard every operation takes. Cheap
    /// (a few atomic operations on this thread's own record); hold it for
    /// one operation or a few, not for long (see "Reclamation").
    pub fn pin(&self) -> Guard {
        crossbeam_epoch::pin()
    }

    /// The value stored under `key`, if any.
    pub fn get<'g, Q>(&'g self, key: &Q, guard: &'g Guard) -> Option<&'g V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_key_value(key, guard).map(|(_, v)| v)
    }

    /// The key and value stored under `key`, if any.
    pub fn get_key_value<'g, Q>(&'g self, key: &Q, guard: &'g Guard) -> Option<(&'g K, &'g V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        check_guard(guard);
        let hash = self.hasher.hash_one(key);
        let start = self.bucket(hash, false, guard);
        self.list.get(start, item_key(hash), key, guard).map(|item| (item.key(), item.value()))
    }

    /// Whether `key` is in the map.
    pub fn contains_key<Q>(&self, key: &Q, guard: &Guard) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get(key, guard).is_some()
    }

    /// Insert `key` with `value` unless `key` is present. Never replaces:
    /// returns the stored value (`Ok`), or, if the key was there (also when
    /// another thread's insert won a race), the value that is there and
    /// `value` handed back (`Err`).
    pub fn insert_if_absent<'g>(&'g self, key: K, value: V, guard: &'g Guard) -> Result<&'g V, (&'g V, V)> {
        check_guard(guard);
        let hash = self.hasher.hash_one(&key);
        let start = self.bucket(hash, true, guard);
        let item = Box::into_raw(Box::new(Item::new(item_key(hash), key, value)));
        // SAFETY: just allocated, and ours alone until linked.
        let item_ref = unsafe { &*item };
        let node = Shared::from(item_ref.node() as *const Node);
        // SAFETY: `node` is a fresh `Item<K, V>` nobody else can reach, and
        // the target is its own key.
        match unsafe { self.list.insert(start, node, Target::Key(item_ref.key()), guard) } {
            Ok(_) => {
                self.grow_if_full();
                // Published: it now lives until retired and freed after
                // `guard` is gone, so `'g` is a safe lifetime for it.
                Ok(item_ref.value())
            }
            Err(existing) => {
                // SAFETY: the insert did not link `item`; it is still ours.
                let (_, value) = unsafe { Box::from_raw(item) }.into_key_value();
                // SAFETY: `existing` is an item of the list, found while
                // `guard` is pinned, so allocated until it is dropped.
                let existing = unsafe { Item::<K, V>::of_shared(existing) };
                Err((existing.value(), value))
            }
        }
    }

    /// Remove `key`. Returns its value if this call removed it; the value
    /// stays readable for as long as `guard` lives, and is dropped some
    /// time after every guard that could see it is gone.
    pub fn remove<'g, Q>(&'g self, key: &Q, guard: &'g Guard) -> Option<&'g V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        check_guard(guard);
        let hash = self.hasher.hash_one(key);
        let start = self.bucket(hash, true, guard);
        let item = self.list.delete(start, item_key(hash), key, guard)?;
        self.count.sub(1);
        Some(item.value())
    }

    /// Every key and value, in split order (a weak snapshot: see
    /// "Consistency").
    pub fn iter<'g>(&'g self, guard: &'g Guard) -> Iter<'g, K, V> {
        check_guard(guard);
        self.list.iter(guard)
    }

    /// The number of items (see "Consistency").
    pub fn len(&self) -> usize {
        (self.count.sum() as i64).max(0) as usize
    }

    /// Whether the map has no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The current number of buckets (a power of two).
    pub fn buckets(&self) -> usize {
        // Relaxed: see `bucket`.
        self.size.load(Ordering::Relaxed)
    }

    /// Items retired and freed so far (see "Reclamation").
    pub fn reclamation(&self) -> Reclamation {
        // Acquire, and `freed` first: pairs with the Release increment of
        // `freed` in the deferred free, which happens after its item's
        // `retired` increment; so `retired` read next is at least `freed`.
        let freed = self.list.counters.freed.load(Ordering::Acquire);
        let retired = self.list.counters.retired.load(Ordering::Relaxed);
        Reclamation { retired, freed }
    }

    /// Walk the whole list and the directory (O(items + buckets), for
    /// tests, on a map no writer is changing) and check invariants 1 and
    /// 5: split-order keys ascend, dummy keys are unique, each dummy in the
    /// list is the one its bucket's directory entry names, and the
    /// directory names no other. (With the keys sorted, every item then
    /// follows its bucket's dummy.) Panics, naming the broken invariant, if
    /// one does not hold.
    pub fn validate(&self, guard: &Guard) -> Shape {
        check_guard(guard);
        let mut shape = Shape::default();
        let mut last: Option<&Node> = None;
        let mut node = Some(self.list.head());
        while let Some(n) = node {
            if let Some(prev) = last {
                assert!(prev.so_key <= n.so_key, "invariant 1: {:#x} before {:#x}", prev.so_key, n.so_key);
                assert!(n.is_item() || prev.so_key < n.so_key, "invariant 1: two dummies with key {:#x}", n.so_key);
            }
            // Acquire: as in `List::find`.
            let next = n.next.load(Ordering::Acquire, guard);
            if n.is_item() {
                if next.tag() == 0 {
                    shape.items += 1;
                }
            } else {
                shape.dummies += 1;
                let b = n.so_key.reverse_bits() as usize;
                assert!(
                    self.buckets.get(b).is_some_and(|d| std::ptr::eq(d, n)),
                    "invariant 5: the dummy with key {:#x} is not bucket {b}'s",
                    n.so_key
                );
            }
            last = Some(n);
            // SAFETY: allocated while `guard` lives, as in `List::find`.
            node = unsafe { next.with_tag(0).as_ref() };
        }
        // And the converse: every bucket the directory records is one of
        // the dummies just met (so none was marked linked before being linked,
        // or recorded twice with different nodes).
        let recorded = (0..self.buckets()).filter(|&b| self.buckets.get(b).is_some()).count();
        assert_eq!(recorded, shape.dummies, "invariant 5: the directory and the list disagree");
        shape
    }

    /// The dummy node to start a search for `hash` from: its bucket's,
    /// initialising the bucket if `init`, else the nearest initialised
    /// ancestor's.
    fn bucket<'g>(&'g self, hash: u64, init: bool, guard: &'g Guard) -> &'g Node {
        // Relaxed: the size publishes nothing. Any value it has had is at
        // most the current one and names the key's bucket or an ancestor
        // of it, whose dummy also precedes the key (invariant 5); a stale
        // read costs a longer walk, never a wrong answer.
        let size = self.size.load(Ordering::Relaxed);
        let mut b = hash as usize & (size - 1);
        if let Some(dummy) = self.buckets.get(b) {
            return dummy;
        }
        if init {
            return self.initialise(b, guard);
        }
        loop {
            b = parent(b);
            // Bucket 0 is linked in the constructor, so this ends.
            if let Some(dummy) = self.buckets.get(b) {
                return dummy;
            }
        }
    }

    /// Link bucket `b`'s dummy into the list (after its parent's,
    /// initialising that first if needed) and mark it linked in the
    /// directory. Returns the dummy to start from: `b`'s, or, while
    /// another thread is linking `b`'s, the nearest linked ancestor's.
    fn initialise<'g>(&'g self, b: usize, guard: &'g Guard) -> &'g Node {
        let p = parent(b);
        let start = match self.buckets.get(p) {
            Some(dummy) => dummy,
            None => self.initialise(p, guard),
        };
        match self.buckets.claim(b) {
            Claim::Linked(dummy) => dummy,
            // Not waiting for the claimer keeps the map lock-free: `start`
            // precedes every item of `b` too (invariant 5).
            Claim::Busy => start,
            Claim::Won(dummy) => {
                // SAFETY: `dummy` is a dummy with `b`'s key that no thread
                // can reach: not in the list, and the directory hands it
                // out only once `linked`; our claim makes us its only
                // linker.
                let linked =
                    unsafe { self.list.insert::<K>(start, Shared::from(dummy as *const Node), Target::Dummy, guard) };
                debug_assert!(linked.is_ok(), "only the claimer links a dummy");
                self.buckets.linked(b);
                dummy
            }
        }
    }

    /// Count one more item, and double the bucket count if the map is now
    /// fuller than `MAX_LOAD` per bucket.
    ///
    /// The total is read (every stripe summed) only when the caller's own
    /// stripe reaches a multiple of `GROWTH_CHECK`, or while the map is so
    /// small that the total could otherwise outgrow the table unseen by
    /// more than `MAX_LOAD` per bucket: a stripe's count climbs by one per
    /// insert, so it cannot gain `GROWTH_CHECK` without meeting a multiple
    /// on the way, and the total gains at most `GROWTH_CHECK - 1` per
    /// stripe between two sums. So the load stays below `2 * MAX_LOAD`
    /// items per bucket, and an insert reads other threads' stripes once
    /// in `GROWTH_CHECK`.
    fn grow_if_full(&self) {
        let mine = self.count.add(1);
        // Relaxed (the size here and in the CAS): the count and the size
        // publish nothing; the buckets a doubling creates are initialised
        // later, with their own synchronisation. A lost CAS means another
        // thread doubled.
        let size = self.size.load(Ordering::Relaxed);
        let unseen = GROWTH_CHECK * self.count.stripes();
        if !mine.is_multiple_of(GROWTH_CHECK as u64) && size.saturating_mul(MAX_LOAD) >= unseen {
            return;
        }
        let count = self.count.sum() as i64;
        if count > 0 && count as usize > size.saturating_mul(MAX_LOAD) && size < MAX_BUCKETS {
            let _ = self.size.compare_exchange(size, size * 2, Ordering::Relaxed, Ordering::Relaxed);
        }
    }
}

/// What [`SplitOrderedMap::validate`] counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// Dummy nodes: initialised buckets.
    pub dummies: usize,
    /// Unmarked items.
    pub items: usize,
}

impl<K, V> Item<K, V> {
    /// The item behind a node pointer found in the list.
    ///
    /// # Safety
    ///
    /// - `node` is non-null, points at an item of a `List<K, V>`, and is
    ///   allocated for `'g` (read while a guard `'g` is pinned).
    unsafe fn of_shared<'g>(node: Shared<'g, Node>) -> &'g Item<K, V> {
        // SAFETY: by the caller's promise; `#[repr(C)]` puts the node at
        // the item's start.
        unsafe { &*(node.as_raw() as *const Item<K, V>) }
    }
}

impl<K, V, S> fmt::Debug for SplitOrderedMap<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Relaxed: a snapshot for debugging output, publishing nothing.
        f.debug_struct("SplitOrderedMap")
            .field("len", &(self.count.sum() as i64))
            .field("buckets", &self.size.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Refuse a guard that does not come from crossbeam's default collector:
/// frees are deferred there, so only its guards hold them back.
fn check_guard(guard: &Guard) {
    assert!(
        guard.collector() == Some(crossbeam_epoch::default_collector()),
        "SplitOrderedMap: the guard must come from crossbeam_epoch::pin() (the default collector)"
    );
}

/// The split-order key of an item whose hash is `hash`: reversed, with the
/// top bit set so that the key ends in a 1.
fn item_key(hash: u64) -> u64 {
    (hash | 1 << 63).reverse_bits()
}

/// The bucket `b` split from: `b` without its highest set bit. `b > 0`.
fn parent(b: usize) -> usize {
    debug_assert!(b > 0);
    b & !(1 << (usize::BITS - 1 - b.leading_zeros()))
}

#[cfg(all(test, not(loom)))]
mod tests;
