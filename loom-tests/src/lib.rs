//! loom models of the structures in `structures/`. The models live in
//! `tests/`; run them with (see README.md):
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!   LOOM_MAX_PREEMPTIONS=3 cargo test --release -p loom-tests
//! ```
