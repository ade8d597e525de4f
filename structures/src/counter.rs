//! A striped counter: one logical counter spread over several cache lines.
//!
//! A single `AtomicU64` that every core increments is one cache line
//! bouncing between cores: each `fetch_add` must take the line exclusive,
//! so increments serialise exactly like a lock (the convoy again). A
//! striped counter gives each thread its own stripe, on its own cache line;
//! an increment touches only the caller's stripe, and a read sums all
//! stripes. Writes scale with cores; reads cost O(stripes) and see a value
//! that was true at some moment during the read, per stripe (not an atomic
//! snapshot of the whole: fine for statistics).
//!
//! This is the structure behind Linux's `percpu_counter` and Java's
//! `LongAdder` (which adds stripes on contention instead of per thread).

use crate::sync::{AtomicU64, Ordering};

/// Stripes are aligned to 128 bytes: two 64-byte lines, because adjacent-
/// line prefetchers on x86 pull pairs of lines, so 64-byte padding still
/// lets neighbours interfere.
#[repr(align(128))]
struct Stripe(AtomicU64);

pub struct StripedCounter {
    stripes: Box<[Stripe]>,
}

impl StripedCounter {
    /// A counter with `stripes` stripes, rounded up to a power of two so a
    /// mask picks the stripe.
    pub fn new(stripes: usize) -> StripedCounter {
        let n = stripes.max(1).next_power_of_two();
        assert!(n.is_power_of_two());
        StripedCounter { stripes: (0..n).map(|_| Stripe(AtomicU64::new(0))).collect() }
    }

    /// Add `n` on the caller's stripe; returns that stripe's new value
    /// (not the counter's: see [`StripedCounter::sum`]).
    // `#[inline]` on `add`, `sub`, `stripe` and `thread_index`: they are
    // called on hot paths from other crates (the map's generic code is
    // compiled in the crate that uses it, convoy's metrics too), and a
    // function that is not generic is otherwise not inlined across crates.
    #[inline]
    pub fn add(&self, n: u64) -> u64 {
        // Relaxed: the counter publishes no other data; readers need only
        // each stripe's own modification order, which every atomic has.
        self.stripe().fetch_add(n, Ordering::Relaxed).wrapping_add(n)
    }

    /// Subtract `n` on the caller's stripe. A stripe may go below zero
    /// (wrapping) when its thread takes away what others added; the sum
    /// wraps back, so it is exact as long as the true total is.
    #[inline]
    pub fn sub(&self, n: u64) {
        // Relaxed: as in `add`.
        self.stripe().fetch_sub(n, Ordering::Relaxed);
    }

    /// The calling thread's stripe.
    #[inline]
    fn stripe(&self) -> &AtomicU64 {
        &self.stripes[thread_index() & (self.stripes.len() - 1)].0
    }

    /// The sum of all stripes.
    pub fn sum(&self) -> u64 {
        // Relaxed: see `add`. A read racing with adds sees, per stripe, some
        // value from that stripe's history; the sum is therefore between the
        // counts before and after the racing adds.
        self.stripes.iter().map(|s| s.0.load(Ordering::Relaxed)).fold(0u64, u64::wrapping_add)
    }

    /// Number of stripes.
    pub fn stripes(&self) -> usize {
        self.stripes.len()
    }
}

/// A per-thread number, handed out in order of first use: 0 for the first
/// thread that asks, 1 for the next, and so on. Picks a thread's stripe
/// here, and a worker's own table in convoy's metrics.
#[inline]
pub fn thread_index() -> usize {
    use std::sync::atomic::AtomicUsize;
    // A plain std atomic even under loom: it only names threads and takes
    // no part in the counter's synchronisation.
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    crate::sync::thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    INDEX.with(|i| *i)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Concurrent adds from several threads are all counted.
    #[test]
    fn counts_every_add() {
        let c = Arc::new(StripedCounter::new(4));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || {
                    (0..10_000).for_each(|_| {
                        c.add(1);
                    })
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(c.sum(), 80_000);
        assert_eq!(c.stripes(), 4);
    }
}
