//! convoy's own concurrent structures.
//!
//! Each structure reaches atomics through the [`sync`] shim so that the
//! `loom-tests` crate can model-check it (see that crate's README). This
//! crate depends on nothing in convoy and on as little as possible
//! elsewhere: `loom` only, and only under `--cfg loom`.
//!
//! | structure | what it teaches |
//! | --- | --- |
//! | [`counter::StripedCounter`] | splitting one contended counter into per-thread cache lines, summed on read |
//!
//! The lock-free hash map with epoch-based reclamation joins this crate in
//! its own issue.

#![deny(unsafe_op_in_unsafe_fn)]

pub mod counter;
mod sync;
