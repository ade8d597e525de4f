//! The bucket directory: bucket number -> that bucket's dummy node, in
//! segments that are allocated once and never copied.
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

use super::list::Node;
use crate::sync::{AtomicPtr, Ordering};
use std::ptr;

/// Segments in the directory: one per bit of a bucket number.
const SEGMENTS: usize = usize::BITS as usize;

/// The largest number of buckets the directory can address.
pub(super) const MAX_BUCKETS: usize = 1 << (SEGMENTS - 1);

/// Bucket number -> dummy node. A null entry is an uninitialised bucket.
pub(super) struct Buckets {
    /// Segment `s` points at the first of `segment_len(s)` entries, or is
    /// null until one of its buckets is initialised.
    segments: Box<[AtomicPtr<AtomicPtr<Node>>]>,
}

/// The segment and offset of bucket `b`.
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

impl Buckets {
    /// A directory with no segment allocated.
    pub(super) fn new() -> Buckets {
        Buckets { segments: (0..SEGMENTS).map(|_| AtomicPtr::new(ptr::null_mut())).collect() }
    }

    /// The dummy of bucket `b`, if the bucket is initialised.
    pub(super) fn get(&self, b: usize) -> Option<&Node> {
        let (s, i) = locate(b);
        // Acquire: pairs with the Release CAS in `set` that installed the
        // segment, so its entries' initial (null) values are visible.
        let segment = self.segments[s].load(Ordering::Acquire);
        if segment.is_null() {
            return None;
        }
        // SAFETY: a non-null segment pointer points at `segment_len(s)`
        // entries, allocated in `set` and freed only in `drop`; `i` is
        // within that length by `locate`.
        let entry = unsafe { &*segment.add(i) };
        // Acquire: pairs with the Release store in `set`, so the dummy's
        // fields (its key, its link into the list) are visible.
        let dummy = entry.load(Ordering::Acquire);
        // SAFETY: a non-null entry points at a dummy node of the map's
        // list; dummies are never deleted and are freed only when the map
        // (which owns this directory) is dropped, so the dummy outlives
        // `&self`.
        unsafe { dummy.as_ref() }
    }

    /// Record `dummy` as bucket `b`'s dummy. Every thread that initialises
    /// `b` records the same node (the one dummy with `b`'s key in the
    /// list), so a plain store suffices.
    pub(super) fn set(&self, b: usize, dummy: *const Node) {
        let (s, i) = locate(b);
        // Acquire: as in `get`.
        let mut segment = self.segments[s].load(Ordering::Acquire);
        if segment.is_null() {
            let fresh: Box<[AtomicPtr<Node>]> = (0..segment_len(s)).map(|_| AtomicPtr::new(ptr::null_mut())).collect();
            let fresh = Box::into_raw(fresh) as *mut AtomicPtr<Node>;
            // Release: publishes the fresh entries; pairs with the Acquire
            // loads of the segment pointer in `get` and here. Acquire on
            // failure: we use the winner's segment, and need its entries.
            match self.segments[s].compare_exchange(ptr::null_mut(), fresh, Ordering::Release, Ordering::Acquire) {
                Ok(_) => segment = fresh,
                Err(winner) => {
                    // SAFETY: `fresh` was never shared; rebuild the box it
                    // came from to free it.
                    drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(fresh, segment_len(s))) });
                    segment = winner;
                }
            }
        }
        // SAFETY: as in `get`.
        let entry = unsafe { &*segment.add(i) };
        // Release: publishes the dummy's fields to readers of the entry;
        // pairs with the Acquire load in `get`.
        entry.store(dummy as *mut Node, Ordering::Release);
    }
}

impl Drop for Buckets {
    fn drop(&mut self) {
        for (s, segment) in self.segments.iter().enumerate() {
            // Relaxed: `&mut self` means no other thread is left.
            let p = segment.load(Ordering::Relaxed);
            if !p.is_null() {
                // SAFETY: allocated in `set` as a boxed slice of this length,
                // freed only here. The dummies it points to belong to the
                // list, which frees them.
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
            expected = if i + 1 == segment_len(s) { (s + 1, 0) } else { (s, i + 1) };
        }
        assert_eq!(locate(MAX_BUCKETS - 1), (SEGMENTS - 1, MAX_BUCKETS / 2 - 1));
    }

    /// An entry is absent until set, and reads back what was set, in a
    /// freshly allocated segment and in one already there.
    #[test]
    fn set_then_get() {
        let buckets = Buckets::new();
        let nodes: Vec<Box<Node>> = (0..8u64).map(|b| Box::new(Node::dummy(b.reverse_bits()))).collect();
        assert!(buckets.get(5).is_none());
        for b in [5, 4, 0, 7] {
            buckets.set(b, &*nodes[b]);
        }
        for (b, node) in nodes.iter().enumerate() {
            let got = buckets.get(b).map(|n| n as *const Node);
            let want = [0, 4, 5, 7].contains(&b).then_some(&**node as *const Node);
            assert_eq!(got, want, "bucket {b}");
        }
    }
}
