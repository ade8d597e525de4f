//! convoy's own concurrent structures.
//!
//! Each structure reaches atomics through the `sync` shim (`src/sync.rs`) so that the
//! `loom-tests` crate can model-check it (see that crate's README). This
//! crate depends on nothing in convoy and on as little as possible
//! elsewhere: crossbeam-epoch (for the map's memory reclamation), and
//! `loom` only under `--cfg loom`.
//!
//! | structure | what it teaches |
//! | --- | --- |
//! | [`counter::StripedCounter`] | splitting one contended counter into per-thread cache lines, summed on read |
//! | [`map::SplitOrderedMap`] | a lock-free hash map that grows without moving a node (Shalev and Shavit's split-ordered list over Michael's list), its unlinked nodes freed through epochs, with exact counts of what was retired and freed |

#![deny(unsafe_op_in_unsafe_fn)]

pub mod counter;
pub mod map;
mod sync;
