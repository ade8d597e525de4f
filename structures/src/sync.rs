//! The loom shim: every atomic and cell the structures use comes from here,
//! from `std` in normal builds and from `loom` under `--cfg loom`, so that
//! each structure can be model-checked unchanged.
//!
//! Each item is listed by name (no glob): an item missing from one side is
//! a compile error, not a silent fallback.
//!
//! crossbeam-epoch is not reached through this shim: it carries its own,
//! switched by `--cfg crossbeam_loom` (which the loom build passes together
//! with `--cfg loom`, see `loom-tests/README.md`), so its `Atomic` and its
//! collector are loom's whenever ours are.

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::Arc;
#[cfg(loom)]
pub(crate) use loom::thread_local;

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::Arc;
#[cfg(not(loom))]
pub(crate) use std::thread_local;

/// `std`'s `UnsafeCell` behind loom's API (`with` and `with_mut` hand the
/// closure a raw pointer), as loom's documentation recommends: under loom
/// every access through them is checked against the happens-before
/// relation, so a read of a field that was not properly published is a
/// reported error instead of silent luck; here it compiles to nothing.
#[cfg(not(loom))]
#[derive(Debug)]
#[repr(transparent)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> UnsafeCell<T> {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Run `f` with a pointer for reading.
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Run `f` with a pointer for writing.
    #[allow(dead_code)] // Part of loom's API; the structures only read so far.
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }

    /// The value, by move.
    pub(crate) fn into_inner(self) -> T {
        self.0.into_inner()
    }
}
