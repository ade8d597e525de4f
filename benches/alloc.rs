//! What counting every allocation costs: the system allocator against
//! convoy's [`Counting`] allocator (striped counters, see
//! `convoy::metrics::alloc`), and against the naive design it replaces, one
//! shared atomic counter, each called directly (not through
//! `#[global_allocator]`, so that the three run side by side in one
//! binary).
//!
//! - `alloc/<allocator>/<size>/<threads>`: each thread runs alloc+dealloc
//!   pairs of `size` bytes as fast as it can, touching one byte of each
//!   block; the figure is the time per pair on each thread (with 2
//!   threads, both run at once: a slower figure than with 1 is contention).
//!
//! Run: `cargo bench --bench alloc` (add `-- alloc/counting` to pick one).

use convoy::metrics::alloc::Counting;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// The design the striped counters replace: one counter shared by every
/// thread, so every allocation writes the same cache line.
struct OneCounter;

static ONE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to `System` with the caller's arguments unchanged.
unsafe impl GlobalAlloc for OneCounter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ONE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ONE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` with this layout (see `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// `iters` alloc+dealloc pairs of `layout` through `a`.
fn pairs(a: &dyn GlobalAlloc, layout: Layout, iters: u64) {
    for _ in 0..iters {
        // SAFETY: `layout` has a non-zero size; the block is written within
        // its bounds and freed with the layout it was allocated with.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            p.write_volatile(1);
            a.dealloc(black_box(p), layout);
        }
    }
}

/// Time `iters` pairs on each of `threads` threads started together; the
/// slowest thread's time.
fn run(a: &'static (dyn GlobalAlloc + Sync), layout: Layout, threads: usize, iters: u64) -> Duration {
    if threads == 1 {
        let start = Instant::now();
        pairs(a, layout, iters);
        return start.elapsed();
    }
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let start = Instant::now();
                pairs(a, layout, iters);
                start.elapsed()
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).max().unwrap()
}

fn bench_alloc(c: &mut Criterion) {
    let allocators: [(&str, &'static (dyn GlobalAlloc + Sync)); 3] =
        [("system", &System), ("counting", &Counting), ("one-counter", &OneCounter)];
    let mut group = c.benchmark_group("alloc");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    for (name, a) in allocators {
        for size in [16usize, 256, 4096] {
            let layout = Layout::from_size_align(size, 8).unwrap();
            for threads in [1usize, 2] {
                let id = BenchmarkId::new(name, format!("{size}/{threads}"));
                group.bench_function(id, |b| b.iter_custom(|iters| run(a, layout, threads, iters)));
            }
        }
    }
    group.finish();
}

criterion_group!(benches, bench_alloc);
criterion_main!(benches);
