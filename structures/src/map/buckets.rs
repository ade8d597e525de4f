//! The bucket directory: bucket number -> that bucket's dummy node, in
//! segments that are allocated once and never copied, and that hold the
//! dummies themselves.
//!
//! Shalev and Shavit's table is an array of pointers into the list that
//! doubles with the map. Doubling an array means copying it, and a copy
//! made while other threads write into the old one is a resize protocol of
//! its own. Their paper avoids it with a two-level directory; this one is
//! the same idea with segments of growing size:
//!
//! ```text
//! segment:   0     1     2        3              4
//! buckets:  [0]   [1]   [2 3]   [4 5 6 7]   [8 9 ... 15]   ...
//! ```
//!
//! Segment `s > 0` holds buckets `2^(s-1) .. 2^s`, so bucket `b` lives in
//! segment `bits(b)` (its bit length) at offset `b - 2^(s-1)`. When the
//! table doubles from `2^s` to `2^(s+1)` buckets, the new half is exactly
//! segment `s + 1`: growing adds a segment and never touches the old ones,
//! so a thread reading a bucket pointer never races with a copy. Segments
//! are allocated on first use (when a bucket in them is first
//! initialised) and freed with the map. The directory itself has one entry
//! per possible segment, 64 on a 64-bit machine: 512 bytes, fixed.
//!
//! # The dummies live in the segments
//!
//! A segment's entries are the buckets' dummy nodes themselves, not
//! pointers to dummies allocated one by one. A lookup that reads its
//! bucket's entry is then already at the dummy, whose `next` leads into
//! the bucket's items: one dependent cache miss fewer on every operation
//! than a pointer to chase. (On this project's shared 2-core machine the
//! gain was smaller than the noise between runs: `benches/README.md`,
//! "Embedding the dummies".)
//!
//! The price is that a dummy's memory exists before the dummy is in the
//! list, so "initialised" needs a state of its own, and two threads must
//! not both link the same node. Each entry has a state, `EMPTY`, then
//! `CLAIMED` by the one thread whose CAS moves it there, which links the
//! dummy into the list, then `LINKED`, stored by that thread afterwards.
//! Only a `LINKED` dummy is handed out by [`Buckets::get`]. A thread that
//! finds a bucket `CLAIMED` by another does not wait for it: it starts
//! from the nearest `LINKED` ancestor, which precedes the bucket's items
//! too (see the parent module), so a claimer that stalls slows the others'
//! walks but blocks nobody: the map stays lock-free.

use super::list::Node;
use crate::sync::{AtomicPtr, AtomicU8, Ordering};
use std::ptr;

/// Segments in the directory: one per bit of a bucket number.
const SEGMENTS: usize = usize::BITS as usize;

/// The largest number of buckets the directory can address.
pub(super) const MAX_BUCKETS: usize = 1 << (SEGMENTS - 1);

/// An entry's states (see the module doc).
const EMPTY: u8 = 0;
const CLAIMED: u8 = 1;
const LINKED: u8 = 2;

/// One bucket: its dummy node, and whether that is in the list yet.
///
/// `#[repr(C)]` with the dummy first, so that the dummy a lookup starts
/// from and its state share the entry's cache line.
#[repr(C)]
struct Entry {
    dummy: Node,
    state: AtomicU8,
}

/// Bucket number -> dummy node.
pub(super) struct Buckets {
    /// Segment `s` points at the first of `segment_len(s)` entries, or is
    /// null until one of its buckets is claimed.
    segments: Box<[AtomicPtr<Entry>]>,
}

/// What [`Buckets::claim`] found.
pub(super) enum Claim<'a> {
    /// The bucket's dummy is in the list already.
    Linked(&'a Node),
    /// The caller won the bucket: it must link this dummy (its key is set,
    /// its link null), then call [`Buckets::linked`].
    Won(&'a Node),
    /// Another thread is linking the dummy.
    Busy,
}

/// The segment and offset of bucket `b`.
#[inline]
fn locate(b: usize) -> (usize, usize) {
    if b == 0 {
        (0, 0)
    } else {
        let s = (usize::BITS - b.leading_zeros()) as usize;
        (s, b - (1 << (s - 1)))
    }
}

/// The number of buckets in segment `s`.
fn segment_len(s: usize) -> usize {
    if s == 0 {
        1
    } else {
        1 << (s - 1)
    }
}

/// The first bucket of segment `s`.
fn segment_start(s: usize) -> usize {
    if s == 0 {
        0
    } else {
        1 << (s - 1)
    }
}

impl Buckets {
    /// A directory with no segment allocated.
    pub(super) fn new() -> Buckets {
        Buckets { segments: (0..SEGMENTS).map(|_| AtomicPtr::new(ptr::null_mut())).collect() }
    }

    /// Bucket `b`'s entry, if its segment is allocated.
    #[inline]
    fn entry(&self, b: usize) -> Option<&Entry> {
        let (s, i) = locate(b);
        // Acquire: pairs with the Release CAS in `segment` that installed
        // the segment, so its entries' initial values (each dummy's key, a
        // null link, `EMPTY`) are visible.
        let segment = self.segments[s].load(Ordering::Acquire);
        // SAFETY: a non-null segment pointer points at `segment_len(s)`
        // entries, allocated in `segment` and freed only in `drop`; `i` is
        // within that length by `locate`.
        (!segment.is_null()).then(|| unsafe { &*segment.add(i) })
    }

    /// The dummy of bucket `b`, if it is in the list.
    // `#[inline]` here and on `entry` and `locate`: every lookup calls
    // this from the map's generic code, which is compiled in the crate
    // that uses the map, and a function that is not generic is otherwise
    // not inlined across crates.
    #[inline]
    pub(super) fn get(&self, b: usize) -> Option<&Node> {
        let entry = self.entry(b)?;
        // Acquire: pairs with the Release store in `linked`, which follows
        // the CAS that linked the dummy: the dummy's link is then one a
        // search may start from.
        (entry.state.load(Ordering::Acquire) == LINKED).then_some(&entry.dummy)
    }

    /// Try to become the thread that links bucket `b`'s dummy into the
    /// list, allocating its segment if needed.
    pub(super) fn claim(&self, b: usize) -> Claim<'_> {
        let entry = match self.entry(b) {
            Some(entry) => entry,
            None => self.segment(b),
        };
        // Acquire on both sides: seeing LINKED, as in `get`. Winning, the
        // claim publishes nothing (the dummy's key was published with the
        // segment), and no one reads the dummy through the directory
        // before `linked`.
        match entry.state.compare_exchange(EMPTY, CLAIMED, Ordering::Acquire, Ordering::Acquire) {
            Ok(_) => Claim::Won(&entry.dummy),
            Err(LINKED) => Claim::Linked(&entry.dummy),
            Err(_) => Claim::Busy,
        }
    }

    /// Record that bucket `b`'s dummy, claimed by the caller, is now in
    /// the list.
    pub(super) fn linked(&self, b: usize) {
        let entry = self.entry(b).expect("a claimed bucket's segment exists");
        // Release: pairs with the Acquire loads of the state in `get` and
        // `claim`. What it publishes, the dummy's link, was published
        // already by the Release CAS that linked the dummy; this store
        // follows that CAS in program order, so a reader that sees LINKED
        // also sees the dummy in the list.
        entry.state.store(LINKED, Ordering::Release);
    }

    /// Install (or find) the segment of bucket `b`; returns `b`'s entry.
    fn segment(&self, b: usize) -> &Entry {
        let (s, i) = locate(b);
        let first = segment_start(s);
        let fresh: Box<[Entry]> = (0..segment_len(s))
            .map(|j| Entry { dummy: Node::dummy(dummy_key(first + j)), state: AtomicU8::new(EMPTY) })
            .collect();
        let fresh = Box::into_raw(fresh) as *mut Entry;
        // Release: publishes the fresh entries; pairs with the Acquire
        // load in `entry`. Acquire on failure: we use the winner's
        // segment, and need its entries.
        let segment =
            match self.segments[s].compare_exchange(ptr::null_mut(), fresh, Ordering::Release, Ordering::Acquire) {
                Ok(_) => fresh,
                Err(winner) => {
                    // SAFETY: `fresh` was never shared; rebuild the box it
                    // came from to free it.
                    drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(fresh, segment_len(s))) });
                    winner
                }
            };
        // SAFETY: as in `entry`.
        unsafe { &*segment.add(i) }
    }
}

/// The split-order key of bucket `b`'s dummy: `b` reversed, ending in a 0.
fn dummy_key(b: usize) -> u64 {
    (b as u64).reverse_bits()
}

impl Drop for Buckets {
    fn drop(&mut self) {
        for (s, segment) in self.segments.iter().enumerate() {
            // Relaxed: `&mut self` means no other thread is left.
            let p = segment.load(Ordering::Relaxed);
            if !p.is_null() {
                // SAFETY: allocated in `segment` as a boxed slice of this
                // length, freed only here. The list no longer links to
                // these dummies: the map drops its list first, and the
                // list frees only its items and its head.
                drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(p, segment_len(s))) });
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Every bucket number maps to one segment and offset, segments tile
    /// the numbers without gap or overlap.
    #[test]
    fn locate_tiles_bucket_numbers() {
        let mut expected = (0, 0);
        for b in 0..1usize << 12 {
            let (s, i) = locate(b);
            assert_eq!((s, i), expected, "bucket {b}");
            assert!(i < segment_len(s));
            assert_eq!(segment_start(s) + i, b);
            expected = if i + 1 == segment_len(s) { (s + 1, 0) } else { (s, i + 1) };
        }
        assert_eq!(locate(MAX_BUCKETS - 1), (SEGMENTS - 1, MAX_BUCKETS / 2 - 1));
    }

    /// A bucket is absent until linked; the first claim wins, a second
    /// finds it busy, and after `linked` every claim and `get` return the
    /// same dummy, with the bucket's key, in a fresh segment and in one
    /// already there.
    #[test]
    fn claim_link_get() {
        let buckets = Buckets::new();
        assert!(buckets.get(5).is_none());
        let mut dummies = Vec::new();
        for b in [5, 4, 0, 7] {
            let Claim::Won(dummy) = buckets.claim(b) else { panic!("bucket {b}: first claim lost") };
            assert_eq!(dummy.so_key, dummy_key(b));
            assert!(matches!(buckets.claim(b), Claim::Busy), "bucket {b}: claimed twice");
            assert!(buckets.get(b).is_none(), "bucket {b}: handed out before linked");
            buckets.linked(b);
            dummies.push((b, dummy as *const Node));
        }
        for b in 0..8 {
            let got = buckets.get(b).map(|n| n as *const Node);
            let want = dummies.iter().find(|&&(d, _)| d == b).map(|&(_, p)| p);
            assert_eq!(got, want, "bucket {b}");
            if let Some(want) = want {
                assert!(matches!(buckets.claim(b), Claim::Linked(d) if std::ptr::eq(d, want)));
            }
        }
    }
}
