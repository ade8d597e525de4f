//! convoy: a Redis-compatible server whose keyspace backend is chosen at
//! startup, for studying concurrent data structures under real load.
//!
//! # Layout
//!
//! | module | owns |
//! | --- | --- |
//! | [`resp`] | bytes and frames: request parsing ([`resp::parse`]), reply encoding in RESP2/RESP3 ([`resp::reply`]) |
//! | [`keyspace`] | keys, values, expiry: the [`Keyspace`](keyspace::Keyspace) trait, one file per backend (six library maps and convoy's own [`lockfree`](keyspace::lockfree), from the `structures` crate), the collection types ([`keyspace::types`]), the expiry index, SCAN cursors, WATCH registrations ([`keyspace::watch`]), the multi-key [`gate`](keyspace::gate) |
//! | [`cmd`] | commands: the command table and dispatch ([`cmd`]), one file per family ([`cmd::strings`], [`cmd::lists`], [`cmd::hashes`], [`cmd::sets`], [`cmd::zsets`], [`cmd::streams`], [`cmd::keys`], [`cmd::transactions`], [`cmd::pubsub`], [`cmd::connection`], [`cmd::client`], [`cmd::server`], [`cmd::config`], [`cmd::slowlog`], [`cmd::latency`], [`cmd::shutdown`]) |
//! | [`server`] | sockets and shared state: accept loop and shutdown ([`server`]), one connection's read-execute-write loop ([`server::connection`]), blocked clients ([`server::blocking`]), pub/sub registry ([`server::pubsub`]), client registry ([`server::clients`]), client limits and what bounds each client's memory ([`server::limits`]), the slow log ([`server::slowlog`]), active expiry (which also samples the instantaneous rates) |
//! | [`wal`] | the write-ahead log: record format and checksums ([`wal::format`]), group commit and fsync policies ([`wal`]), per-key ordering ([`wal::order`]), BGREWRITEAOF ([`wal::rewrite`]), `convoy wal inspect` ([`wal::inspect`]); replay at start is [`server::recovery`] |
//! | [`metrics`] | what the server reports about itself: per-command statistics (calls, time, errors, latency histograms) kept off, in one shared table, or per worker ([`metrics`]); instantaneous per-second rates ([`metrics::rate`]); the counting global allocator behind `used_memory` ([`metrics::alloc`]); the Prometheus endpoint ([`metrics::prometheus`]) |
//! | [`bench`] | `convoy bench`, the load generator: closed and open loops, key distributions, SET:GET mixes, HdrHistogram latencies ([`bench`]); it talks to a server only over TCP, like any client |
//! | [`config`] | command-line flags (run-time CONFIG parameters live in [`server::Settings`] and [`cmd::config`]) |
//! | [`configfile`] | the redis.conf-syntax config file (`convoy FILE`) and CONFIG REWRITE; authentication and protected mode are [`server::auth`] |
//! | [`num`] | Redis's rules for integers written as text (`string2ll`) |
//!
//! Dependencies point one way: `resp` and `keyspace` know nothing of each
//! other or of commands (both use `num`); `cmd` uses both through the trait, never a
//! concrete backend; `metrics` knows counters and histograms, not commands; `server` wires them together; `main.rs` only parses
//! flags.

#![deny(unsafe_op_in_unsafe_fn)]

pub mod bench;
pub mod cmd;
pub mod config;
pub mod configfile;
pub mod keyspace;
pub mod metrics;
pub mod num;
pub mod resp;
pub mod server;
pub mod wal;
