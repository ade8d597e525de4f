//! loom models of the structures in `structures/`. The models live in
//! `tests/`; run them with (see README.md):
//!
//! ```text
//! RUSTFLAGS="--cfg loom --cfg crossbeam_loom" CARGO_TARGET_DIR=target/loom \
//!   cargo test --release -p loom-tests
//! ```
