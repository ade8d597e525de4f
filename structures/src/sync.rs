//! The loom shim: every atomic and cell the structures use comes from here,
//! from `std` in normal builds and from `loom` under `--cfg loom`, so that
//! each structure can be model-checked unchanged.
//!
//! Each item is listed by name (no glob): an item missing from one side is
//! a compile error, not a silent fallback.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::thread_local;

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::thread_local;
