//! A counting global allocator: the figure behind INFO's `used_memory`.
//!
//! Redis knows how much memory it uses because every allocation goes
//! through `zmalloc`, which adds the size of each block to one counter. A
//! Rust program can do the same by wrapping the system allocator and
//! installing the wrapper with `#[global_allocator]`, which is what this
//! module does for the whole library: the `convoy` binary, the in-process
//! test servers and the benchmarks all allocate through [`Counting`].
//!
//! # What the figure means
//!
//! [`allocated`] is the number of bytes that Rust code has asked for and not
//! yet given back: the sum of the `Layout::size()` of every live block. It
//! is not what the allocator holds from the operating system: glibc's
//! malloc adds a header to each block, rounds sizes up, and keeps freed
//! memory for reuse; the kernel counts whole pages. That other side is the
//! resident set size (`used_memory_rss`, read from `/proc/self/statm`), and
//! the ratio of the two is Redis's `mem_fragmentation_ratio`. The figure is
//! process-wide: with several servers in one process (the tests) it counts
//! them all, and the test client's own allocations besides.
//!
//! # Why striped counters
//!
//! The obvious counter is one `AtomicIsize` that every allocation adds to.
//! That counter is a convoy of its own: every worker thread allocates on
//! every request (buffers, replies, keys), so every allocation would write
//! the same cache line, which would bounce between the cores and serialise
//! allocation across the whole server, the very effect this project exists
//! to measure. Instead the count is split into [`STRIPES`] counters, each
//! on its own cache line ([`CachePadded`]); a thread picks a stripe once,
//! round-robin, and keeps it in a thread-local, so on the allocation path
//! a thread writes only a line that no other thread writes (while there
//! are no more threads than stripes). A reader (INFO) sums the stripes:
//! rare, and it only reads.
//!
//! A stripe is *signed*: a block allocated on one thread may be freed on
//! another (a value written by one connection and deleted by another), so
//! a stripe can go negative; only the sum means anything.
//!
//! The stripe count is a fixed constant, not derived from the CPU count:
//! asking the operating system for the CPU count allocates, and an
//! allocator must not allocate. 64 stripes of 128 bytes is 8 KiB of
//! static memory; threads beyond 64 share stripes, which stays correct
//! (the stripes are atomic) and only costs contention.
//!
//! The cost of all this is measured by `benches/alloc.rs`: `System` against
//! [`Counting`] and against one shared counter, each called directly,
//! alloc and dealloc pairs of a few sizes, on one and two threads. On one
//! thread the striped and the shared counter cost the same: two atomic
//! read-modify-writes (`lock xadd` on x86) per pair, a few nanoseconds
//! each, next to a small malloc/free pair of about the same order. With
//! two threads the shared counter's line bounces between the cores and
//! its cost grows; the stripes' does not.
//!
//! A cheaper design exists and is not taken here: a thread that owns its
//! stripe outright could update it with a plain load and store instead of
//! a locked read-modify-write. Owning needs a claim at the first
//! allocation and a release at thread exit (a thread-local destructor,
//! registered from inside the allocator), and a shared fallback once every
//! stripe is owned: more machinery than a teaching allocator should carry
//! before a measurement shows it matters for whole requests.
//!
//! # Peak
//!
//! Redis's `used_memory_peak` is the highest `used_memory` seen *when
//! sampled*: Redis samples it in its cron (10 times a second) and when
//! INFO runs, so a peak shorter than a sample interval is missed. convoy
//! has no periodic sampler: the peak is sampled by [`sample_peak`], which
//! INFO memory calls, so convoy's peak is the highest figure any INFO has
//! seen (and at least the current one). Tracking the true peak would mean
//! a compare-and-swap on a shared word on every allocation that raises
//! the total, the shared cache line that the stripes exist to avoid.

use crossbeam_utils::CachePadded;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

/// Number of counter stripes (a power of two, so a stripe index is a mask).
pub const STRIPES: usize = 64;
const _: () = assert!(STRIPES.is_power_of_two());

/// The system allocator, with every live byte counted (see the module
/// doc). Installed as the global allocator of the library.
pub struct Counting;

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Live bytes per stripe. Each stripe is mostly written by one thread.
static COUNTERS: [CachePadded<AtomicIsize>; STRIPES] = [const { CachePadded::new(AtomicIsize::new(0)) }; STRIPES];

/// Hands out stripe indices round-robin to threads as they first allocate.
static NEXT_STRIPE: AtomicUsize = AtomicUsize::new(0);

/// The highest [`allocated`] figure that [`sample_peak`] has seen.
static PEAK: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's stripe, or `usize::MAX` before its first allocation.
    ///
    /// A `const`-initialised `Cell<usize>` has no destructor, so on
    /// platforms with native thread-locals (Linux, macOS) it needs no lazy
    /// registration and no allocation: safe to use from inside the
    /// allocator, and still readable while a thread's other thread-locals
    /// are being destroyed.
    static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The calling thread's stripe, chosen on first use.
#[inline]
fn stripe() -> &'static AtomicIsize {
    let index = STRIPE
        .try_with(|s| {
            let mut i = s.get();
            if i == usize::MAX {
                // Relaxed: the index only spreads threads over stripes;
                // nothing is published through it.
                i = NEXT_STRIPE.fetch_add(1, Ordering::Relaxed) & (STRIPES - 1);
                s.set(i);
            }
            i
        })
        // The thread-local is gone (a thread in its very last moments):
        // any stripe is correct, stripe 0 will do.
        .unwrap_or(0);
    &COUNTERS[index]
}

/// Add `delta` bytes to the calling thread's stripe.
#[inline]
fn count(delta: isize) {
    // Relaxed: the counters publish no data; the sum is a statistic read
    // at leisure. The atomic read-modify-write is still needed, because a
    // stripe may be shared by two threads once there are more threads
    // than stripes.
    stripe().fetch_add(delta, Ordering::Relaxed);
}

// SAFETY (for the impl as a whole): every method forwards to `System` with
// the caller's arguments unchanged, so `System`'s guarantees are the
// caller's; the counting only reads sizes and never touches the memory.
unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` (non-zero size) is
        // passed on unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`; `System` uses calloc, cheaper than the
        // default alloc-then-zero for large blocks.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller guarantees `ptr` came from this allocator with
        // `layout`, and every block of this allocator is a `System` block.
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `ptr` is a live block of `layout`
        // from this allocator (so from `System`) and `new_size` is valid.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        // On failure the old block is untouched and still counted.
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// Bytes allocated by Rust code in this process and not yet freed: the sum
/// of the stripes.
///
/// The stripes are read one after another, not at one instant: a block
/// allocated on one stripe and freed on another between two of the reads
/// may be seen freed but not allocated, so a sum can come out a little low,
/// or in theory negative (clamped to 0). A single figure may be off by what
/// other threads allocate and free while it is taken.
pub fn allocated() -> usize {
    // Relaxed: see `count`; no read here needs to be ordered with another.
    let sum: isize = COUNTERS.iter().map(|c| c.load(Ordering::Relaxed)).sum();
    sum.max(0) as usize
}

/// Sample the current figure into the peak and return the peak (Redis's
/// `used_memory_peak`; see the module doc for what a sampled peak misses).
pub fn sample_peak() -> usize {
    let now = allocated();
    // Relaxed: the peak is a statistic; `fetch_max` alone keeps it from
    // going down when two samplers race.
    PEAK.fetch_max(now, Ordering::Relaxed).max(now)
}

/// The highest figure [`sample_peak`] has seen, without sampling.
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

// ---------------------------------------------------------------------------
// The other side: what the process holds
// ---------------------------------------------------------------------------

/// The process's resident set size in bytes (INFO's `used_memory_rss`):
/// resident pages from `/proc/self/statm` times the page size, as Redis
/// reads it on Linux. 0 where there is no `/proc`.
pub fn rss() -> usize {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else { return 0 };
    let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * page_size()
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions; it returns -1 for an unknown
    // name, which the conversion below turns into 0.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(0)
}

/// The machine's physical memory in bytes (INFO's `total_system_memory`).
pub fn total_system_memory() -> usize {
    // SAFETY: as in `page_size`.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    usize::try_from(pages).unwrap_or(0) * page_size()
}

/// What the allocator itself reports (INFO's `allocator_allocated` and
/// `allocator_active`).
#[derive(Debug, Clone, Copy)]
pub struct AllocatorStats {
    /// Bytes in blocks handed out, with the allocator's per-block headers
    /// and rounding (so at least [`allocated`]).
    pub allocated: usize,
    /// Bytes the allocator holds from the system, free blocks included.
    pub active: usize,
}

/// The name INFO's `mem_allocator` gives: Redis says `libc` when built on
/// the C library's malloc, which is what [`System`] calls on Unix.
pub const ALLOCATOR_NAME: &str = "libc";

/// glibc's own figures, from `mallinfo2` (glibc 2.33 and later): in-use
/// bytes (`uordblks`) and free bytes held (`fordblks`, inside `arena`),
/// plus blocks served directly by mmap (`hblkhd`). `None` on other C
/// libraries. mallinfo2 walks every arena under its lock: cheap enough for
/// INFO, not for a hot path.
pub fn allocator_stats() -> Option<AllocatorStats> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 takes no arguments and returns a plain struct.
        let m = unsafe { libc::mallinfo2() };
        Some(AllocatorStats { allocated: m.uordblks + m.hblkhd, active: m.arena + m.hblkhd })
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        None
    }
}

/// Give free memory back to the system where the allocator can
/// (`MEMORY PURGE`): glibc's `malloc_trim(0)` returns free pages at the top
/// of the heap and, since glibc 2.8, free whole pages inside it. Elsewhere
/// nothing to do, as Redis does for allocators other than jemalloc.
pub fn purge() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim has no preconditions; 0 asks to keep no padding.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Other unit tests allocate while these run (the figure is
    /// process-wide): the blocks here are large (address space only, never
    /// touched) and the margin is wide. The two tests take turns.
    const MB: isize = 1 << 20;
    const MARGIN: isize = 16 * MB;
    static SERIAL: Mutex<()> = Mutex::new(());

    /// Allocating and freeing a block moves the figure by its size; a
    /// realloc moves it by the difference; the sampled peak covers it.
    #[test]
    fn counts_alloc_realloc_free() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let before = allocated() as isize;
        let mut v: Vec<u8> = Vec::with_capacity(256 * MB as usize);
        let grown = allocated() as isize - before;
        assert!((grown - 256 * MB).abs() < MARGIN, "alloc: {grown}");
        v.reserve_exact(512 * MB as usize);
        let grown = allocated() as isize - before;
        assert!((grown - 512 * MB).abs() < MARGIN, "realloc: {grown}");
        assert!(sample_peak() as isize >= before + 512 * MB - MARGIN);
        drop(v);
        let left = allocated() as isize - before;
        assert!(left.abs() < MARGIN, "free: {left}");
        assert!(peak() as isize >= before + 512 * MB - MARGIN, "the peak stays");
    }

    /// A block allocated on one thread and freed on another leaves the sum
    /// right, though the two stripes move in opposite directions.
    #[test]
    fn cross_thread_free() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let before = allocated() as isize;
        let block = std::thread::spawn(|| Vec::<u8>::with_capacity(256 * MB as usize)).join().unwrap();
        let grown = allocated() as isize - before;
        assert!((grown - 256 * MB).abs() < MARGIN, "alloc: {grown}");
        drop(block);
        let left = allocated() as isize - before;
        assert!(left.abs() < MARGIN, "free: {left}");
    }
}
