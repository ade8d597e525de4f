//! Michael's lock-free ordered linked list (SPAA 2002), the one list every
//! bucket of [`SplitOrderedMap`](super::SplitOrderedMap) is a stretch of.
//!
//! The list is kept sorted by split-order key (see the parent module). A
//! node is deleted in two steps, the way Harris (DISC 2001) and Michael
//! describe:
//!
//! 1. **logical deletion**: the low bit of the node's own `next` pointer
//!    (the *mark*) is set by CAS. From then on the node is not in the set,
//!    and its `next` never changes again: every CAS on a marked link fails,
//!    so nothing can be inserted after a node that is being removed.
//! 2. **physical deletion** (*unlinking*): the predecessor's link is swung
//!    by CAS from the node to the node's successor. Any thread that meets a
//!    marked node during a search does this for it (*helping*), so a
//!    remover that stalls after marking does not leave the node in the list
//!    for ever.
//!
//! Whoever wins the unlinking CAS, and only that thread, retires the node
//! to the epoch collector (see [`List::retire`]).
//!
//! Two kinds of node share the list: *dummy* nodes, one per initialised
//! bucket, which carry only a split-order key and a link, and *items*,
//! which add a key and a value. Dummy keys are even and item keys odd
//! (parent module, "Split-order keys"), so the parity of `so_key` tells
//! them apart without a field of its own. Dummies are never deleted.

use crate::sync::{Arc, AtomicU64, Ordering, UnsafeCell};
use crossbeam_epoch::{Atomic, Guard, Shared};
use std::borrow::Borrow;
use std::marker::PhantomData;

/// The tag a `next` pointer carries once its node is logically deleted.
/// Nodes are aligned to 8 bytes, so a pointer to one has three low bits
/// free; crossbeam's `Atomic` keeps them as the tag.
const MARK: usize = 1;

/// The part every node has: its place in the order and its link.
///
/// `#[repr(C)]` so that an [`Item`], whose first field is a `Node`, starts
/// with one at offset 0: a pointer to an item is a valid pointer to its
/// node, and back.
#[repr(C)]
pub(super) struct Node {
    /// The split-order key: even for a dummy, odd for an item.
    pub(super) so_key: u64,
    /// The successor, tagged [`MARK`] once this node is logically deleted.
    pub(super) next: Atomic<Node>,
}

/// A node that holds a key and a value.
#[repr(C)]
pub(super) struct Item<K, V> {
    node: Node,
    /// Written once, by `UnsafeCell::new`, before the item is published;
    /// only read afterwards. The cell is the loom shim's, so that under
    /// loom a read not ordered after that write is reported.
    kv: UnsafeCell<(K, V)>,
}

impl Node {
    /// A dummy node for the split-order key `so_key` (even).
    pub(super) fn dummy(so_key: u64) -> Node {
        debug_assert_eq!(so_key & 1, 0, "dummy keys are even");
        Node { so_key, next: Atomic::null() }
    }

    /// Whether this node is an [`Item`].
    pub(super) fn is_item(&self) -> bool {
        self.so_key & 1 == 1
    }
}

impl<K, V> Item<K, V> {
    /// A new item, not yet in any list. `so_key` must be odd.
    pub(super) fn new(so_key: u64, key: K, value: V) -> Item<K, V> {
        debug_assert_eq!(so_key & 1, 1, "item keys are odd");
        Item { node: Node { so_key, next: Atomic::null() }, kv: UnsafeCell::new((key, value)) }
    }

    pub(super) fn key(&self) -> &K {
        // SAFETY: `kv` is never written after construction (see the field),
        // so a shared reference to it may live as long as `self`.
        self.kv.with(|kv| unsafe { &(*kv).0 })
    }

    pub(super) fn value(&self) -> &V {
        // SAFETY: as in `key`.
        self.kv.with(|kv| unsafe { &(*kv).1 })
    }

    /// The key and the value, by move.
    pub(super) fn into_key_value(self) -> (K, V) {
        self.kv.into_inner()
    }

    /// This item's node.
    pub(super) fn node(&self) -> &Node {
        &self.node
    }

    /// The item a node belongs to.
    ///
    /// # Safety
    ///
    /// - `node` is an item's node (`node.is_item()`), of a list whose items
    ///   are all `Item<K, V>` (every item of a [`List<K, V>`] is).
    unsafe fn of(node: &Node) -> &Item<K, V> {
        debug_assert!(node.is_item());
        // SAFETY: by the caller's promise the node is the first field of an
        // `Item<K, V>`; `#[repr(C)]` puts it at offset 0, so the cast
        // addresses the whole item, which lives as long as the node.
        unsafe { &*(node as *const Node as *const Item<K, V>) }
    }
}

/// What a search looks for.
pub(super) enum Target<'a, Q: ?Sized> {
    /// The dummy with the searched split-order key (dummy keys are unique).
    Dummy,
    /// The item with this key.
    Key(&'a Q),
}

// Hand-written: derive would demand `Q: Copy`.
impl<Q: ?Sized> Clone for Target<'_, Q> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Q: ?Sized> Copy for Target<'_, Q> {}

/// Where a search ended.
pub(super) struct Position<'g> {
    /// The link that points at `curr`: the place to insert before `curr`.
    prev: &'g Atomic<Node>,
    /// The node found, if `found`; otherwise the first node ordered after
    /// the target, or null at the end of the list. Never tagged.
    curr: Shared<'g, Node>,
    found: bool,
}

/// Counters of reclaimed nodes, shared by the list and every deferred free
/// of one of its nodes (which may run after the list is gone, hence the
/// `Arc`).
#[derive(Default)]
pub(super) struct Counters {
    /// Items unlinked and handed to the collector.
    pub(super) retired: AtomicU64,
    /// Of those, items whose deferred free has run.
    pub(super) freed: AtomicU64,
}

/// A Michael list of dummies and `Item<K, V>`s, sorted by split-order key.
///
/// Owns every item reachable from its head; unlinked items belong to the
/// epoch collector from the moment they are retired. The dummies, the head
/// among them, belong to the bucket directory (`map/buckets.rs`), which
/// must outlive the list.
pub(super) struct List<K, V> {
    /// The first dummy (split-order key 0, bucket 0's). Never deleted.
    head: *const Node,
    pub(super) counters: Arc<Counters>,
    /// The list owns items (for drop check) and hands out references to
    /// their keys and values.
    _items: PhantomData<Box<Item<K, V>>>,
}

impl<K, V> List<K, V>
where
    K: Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    /// A list holding only `head`, a dummy with split-order key 0 and a
    /// null link, which outlives the list.
    pub(super) fn new(head: &Node) -> List<K, V> {
        debug_assert_eq!(head.so_key, 0);
        List { head, counters: Arc::new(Counters::default()), _items: PhantomData }
    }

    /// The head dummy (bucket 0's).
    pub(super) fn head(&self) -> &Node {
        // SAFETY: the head outlives the list (`new`'s contract).
        unsafe { &*self.head }
    }

    /// Search from `start` (a dummy) for `target`, whose split-order key is
    /// `so_key`, unlinking every marked node on the way (Michael's `Find`).
    ///
    /// `start` must be ordered before the target, which every dummy of the
    /// target's bucket or of an ancestor bucket is. On return, `curr` was
    /// unmarked when read, and `prev` pointed at it.
    fn find<'g, Q>(&self, start: &'g Node, so_key: u64, target: Target<'_, Q>, guard: &'g Guard) -> Position<'g>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        'retry: loop {
            let mut prev = &start.next;
            // Acquire (this load and the `next` loads below): pairs with the
            // Release of the CAS that stored the pointer, inserting a node
            // (`insert`) or unlinking one (`unlink`), so that the fields of
            // the node it points to (key, value, `next`) are visible here.
            let mut curr = prev.load(Ordering::Acquire, guard);
            loop {
                // SAFETY: `curr` was read from a link while `guard` was
                // pinned; a node is freed only after it has been unlinked
                // and every guard pinned before that has been dropped
                // (`retire`), so it is still allocated. Dummies are never
                // freed while the list lives.
                let Some(c) = (unsafe { curr.as_ref() }) else {
                    return Position { prev, curr, found: false };
                };
                let next = c.next.load(Ordering::Acquire, guard);
                if next.tag() == MARK {
                    // `c` is logically deleted: help unlink it.
                    // Release: publishes `next`'s fields to threads that
                    // read the link (they were published to us by the
                    // Acquire above). Relaxed on failure: we start over
                    // with fresh Acquire loads.
                    match prev.compare_exchange(curr, next.with_tag(0), Ordering::Release, Ordering::Relaxed, guard) {
                        Ok(_) => {
                            // SAFETY: our CAS unlinked `c`, so we are the one
                            // thread that retires it; it is an item, as only
                            // items are ever marked.
                            unsafe { self.retire(curr, guard) };
                            curr = next.with_tag(0);
                            continue;
                        }
                        // `prev` was marked or changed under us.
                        Err(_) => continue 'retry,
                    }
                }
                if c.so_key > so_key {
                    return Position { prev, curr, found: false };
                }
                if c.so_key == so_key && self.matches(c, target) {
                    return Position { prev, curr, found: true };
                }
                prev = &c.next;
                curr = next;
            }
        }
    }

    /// Whether `node`, whose split-order key equals the target's, is it.
    fn matches<Q>(&self, node: &Node, target: Target<'_, Q>) -> bool
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        match target {
            // Equal even keys: the same bucket's dummy.
            Target::Dummy => true,
            // Equal odd keys: two items whose hashes agree; compare keys.
            // SAFETY: an odd key is an item's, of this list.
            Target::Key(key) => unsafe { Item::<K, V>::of(node) }.key().borrow() == key,
        }
    }

    /// Link `node`, which the caller owns and nobody else can see yet, in
    /// its place after `start`, unless a node matching `target` (the
    /// node's own key) is there: then return that one, and the caller
    /// still owns `node`.
    ///
    /// # Safety
    ///
    /// - `node` points at a live node that no other thread can reach, of
    ///   the kind `target` names (a dummy for `Target::Dummy`, an
    ///   `Item<K, V>` with key `target` otherwise).
    pub(super) unsafe fn insert<'g, Q>(
        &self,
        start: &'g Node,
        node: Shared<'g, Node>,
        target: Target<'_, Q>,
        guard: &'g Guard,
    ) -> Result<Shared<'g, Node>, Shared<'g, Node>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        // SAFETY: live and ours, by the caller's promise.
        let n = unsafe { node.deref() };
        loop {
            let pos = self.find(start, n.so_key, target, guard);
            if pos.found {
                return Err(pos.curr);
            }
            // Relaxed: the node is still private; the CAS below publishes
            // this store with its Release.
            n.next.store(pos.curr, Ordering::Relaxed);
            // Release: publishes the node's fields (key, value, `next`);
            // pairs with the Acquire loads of links in `find`, `get` and
            // `Iter`. Relaxed on failure: we search again.
            match pos.prev.compare_exchange(pos.curr, node, Ordering::Release, Ordering::Relaxed, guard) {
                Ok(_) => return Ok(node),
                // A node was linked or unlinked at our place, or `prev`'s
                // node was marked: search again.
                Err(_) => continue,
            }
        }
    }

    /// Delete the item with key `key` (split-order key `so_key`), searching
    /// from `start`. Returns it if this call deleted it: the caller may
    /// read it for as long as `guard` lives.
    pub(super) fn delete<'g, Q>(
        &self,
        start: &'g Node,
        so_key: u64,
        key: &Q,
        guard: &'g Guard,
    ) -> Option<&'g Item<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        loop {
            let pos = self.find(start, so_key, Target::Key(key), guard);
            if !pos.found {
                return None;
            }
            // SAFETY: non-null as found; allocated as in `find`.
            let c = unsafe { pos.curr.deref() };
            // Acquire: as in `find`; `next` becomes our unlinking CAS's new
            // value, and we publish it there.
            let next = c.next.load(Ordering::Acquire, guard);
            if next.tag() == MARK {
                // Another remover came first; the next search helps unlink
                // and then finds no such key (or one inserted since).
                continue;
            }
            // Step 1, the linearization point: mark. Relaxed: the mark
            // publishes nothing. A helper that reads the marked pointer
            // with Acquire still sees `next`'s fields, because this RMW
            // continues the release sequence of the CAS that linked
            // `next` here. Relaxed on failure: we search again.
            if c.next.compare_exchange(next, next.with_tag(MARK), Ordering::Relaxed, Ordering::Relaxed, guard).is_err()
            {
                // A node was inserted after `c`, or `c` was marked: again.
                continue;
            }
            // Step 2: unlink. Release and Relaxed as the helping CAS in
            // `find`.
            match pos.prev.compare_exchange(pos.curr, next, Ordering::Release, Ordering::Relaxed, guard) {
                // SAFETY: our CAS unlinked `c`, an item: we retire it.
                Ok(_) => unsafe { self.retire(pos.curr, guard) },
                // `prev` changed: let a search unlink `c` (and retire it,
                // whoever's CAS wins), so it does not linger.
                Err(_) => {
                    self.find(start, so_key, Target::Key(key), guard);
                }
            }
            // SAFETY: an odd key, so an item of this list.
            return Some(unsafe { Item::of(c) });
        }
    }

    /// The item with key `key` (split-order key `so_key`), searching from
    /// `start` (Herlihy and Shavit's wait-free `contains`): reads only,
    /// never helps, never restarts.
    ///
    /// Marked nodes are walked through, not unlinked: a marked node's
    /// `next` is frozen, and still leads on through the list.
    pub(super) fn get<'g, Q>(&self, start: &'g Node, so_key: u64, key: &Q, guard: &'g Guard) -> Option<&'g Item<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        // Acquire (here and below): as in `find`.
        let mut curr = start.next.load(Ordering::Acquire, guard);
        // SAFETY: allocated, as in `find`.
        while let Some(c) = unsafe { curr.as_ref() } {
            let next = c.next.load(Ordering::Acquire, guard);
            if c.so_key > so_key {
                break;
            }
            // Unmarked when `next` was read: the key was in the map at that
            // moment, our linearization point. A marked match is skipped,
            // not answered: a fresh copy of the key may follow it.
            if c.so_key == so_key && next.tag() != MARK {
                // SAFETY: an odd key, so an item of this list.
                let item = unsafe { Item::<K, V>::of(c) };
                if item.key().borrow() == key {
                    return Some(item);
                }
            }
            curr = next.with_tag(0);
        }
        None
    }

    /// Every unmarked item, in list order, as `iter` meets them.
    pub(super) fn iter<'g>(&'g self, guard: &'g Guard) -> Iter<'g, K, V> {
        // Acquire: as in `find`.
        Iter { curr: self.head().next.load(Ordering::Acquire, guard), guard, _items: PhantomData }
    }

    /// Hand the unlinked item `node` to the epoch collector, to be freed
    /// once every thread pinned now has unpinned.
    ///
    /// # Safety
    ///
    /// - `node` is an `Item<K, V>` of this list that the calling thread has
    ///   just unlinked (its CAS swung the predecessor past it), so no
    ///   thread that pins from now on can reach it, and nobody else
    ///   retires it.
    unsafe fn retire(&self, node: Shared<'_, Node>, guard: &Guard) {
        // Relaxed: a statistic. The Release increment of `freed` below
        // happens after this one (program order, then the collector's own
        // synchronisation between deferring and running), so a reader
        // that loads `freed` with Acquire first sees `retired >= freed`.
        self.counters.retired.fetch_add(1, Ordering::Relaxed);
        let counters = Arc::clone(&self.counters);
        let item = node.as_raw() as *mut Item<K, V>;
        // SAFETY: `item` is an unlinked item (caller's promise), allocated
        // by `Box` (the only way items are made), retired once. The
        // collector runs the closure only after every guard pinned before
        // this call is dropped; a thread pinned later cannot reach the node.
        // `K` and `V` are `Send + 'static`, so dropping them later, on any
        // thread, after the list itself is gone, is sound.
        unsafe {
            guard.defer_unchecked(move || {
                drop(Box::from_raw(item));
                // Release: see the `retired` increment above.
                counters.freed.fetch_add(1, Ordering::Release);
            })
        }
    }
}

impl<K, V> Drop for List<K, V> {
    fn drop(&mut self) {
        // `&mut self`: no other thread can touch the list, and everything
        // they did happened before whatever handed us exclusive access, so
        // Relaxed loads and an unprotected guard are enough.
        // SAFETY: no other thread can reach these nodes any more.
        let guard = unsafe { crossbeam_epoch::unprotected() };
        let mut curr = self.head;
        while !curr.is_null() {
            // SAFETY: every node reachable from the head is allocated (the
            // dummies by the directory, which outlives the list; items by
            // the list, unlinked ones being no longer reachable); each is
            // visited once, and an item's link is read before it is freed.
            let next = unsafe { &*curr }.next.load(Ordering::Relaxed, guard).with_tag(0).as_raw();
            // SAFETY: as above; an item was allocated as `Box<Item<K, V>>`
            // and is freed as such. A marked item still linked was never
            // retired, so this is its only free. Dummies are left to the
            // directory.
            unsafe {
                if (*curr).is_item() {
                    drop(Box::from_raw(curr as *mut Item<K, V>));
                }
            }
            curr = next;
        }
    }
}

/// Iterator over a list's items (see `SplitOrderedMap::iter`).
pub struct Iter<'g, K, V> {
    curr: Shared<'g, Node>,
    guard: &'g Guard,
    _items: PhantomData<(&'g K, &'g V)>,
}

impl<'g, K: 'g, V: 'g> Iterator for Iter<'g, K, V> {
    type Item = (&'g K, &'g V);

    fn next(&mut self) -> Option<(&'g K, &'g V)> {
        // SAFETY: allocated while `guard` lives, as in `List::find`.
        while let Some(c) = unsafe { self.curr.as_ref() } {
            // Acquire: as in `List::find`.
            let next = c.next.load(Ordering::Acquire, self.guard);
            self.curr = next.with_tag(0);
            if c.is_item() && next.tag() != MARK {
                // SAFETY: an odd key, so an item of this map's list.
                let item = unsafe { Item::<K, V>::of(c) };
                return Some((item.key(), item.value()));
            }
        }
        None
    }
}
