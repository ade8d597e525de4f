//! One backend, one kind of call, one thread, a fixed number of calls: the
//! program `benches/cachegrind.py` runs under valgrind's cachegrind to
//! count what a call costs in instructions and cache misses, figures that
//! do not move with the machine's load the way timings do on a shared VM.
//!
//! ```text
//! cargo bench --bench opcost -- BACKEND OP CALLS
//! ```
//!
//! The map holds 75% of a key space of 65,536 keys (a fixed pseudo-random
//! subset, as `maps.rs`'s read-heavy and exchange mixes start), named as
//! redis-benchmark names them. `OP` is one of:
//!
//! - `read`: `read(key, |e| e.is_some())` of keys drawn uniformly from the
//!   whole key space (so a quarter miss);
//! - `overwrite`: `update` replacing the entry of a key that is there;
//! - `churn`: `update` inserting a key that is not there, then `remove`
//!   removing it again (two calls);
//! - `remove-missing`: `remove` of a key that is not there (DEL of a
//!   missing key);
//! - `update-missing`: an `update` that leaves a missing key missing
//!   (`SET ... XX` on a missing key), which the slot layer makes by
//!   inserting an empty slot to lock and removing it again.
//!
//! Everything but the calls themselves (building the map, prefilling it,
//! drawing 200,000 keys) is done the same way whatever `CALLS` is, so the
//! difference between a run with `CALLS` = 0 and one with `CALLS` = N is
//! the cost of N calls. It prints the calls' wall time per call, which
//! under valgrind means nothing and natively is as noisy as the machine.

use bytes::Bytes;
use convoy::bench::workload::key_name;
use convoy::keyspace::{Entry, Keyspace, BACKENDS};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::Instant;

const KEYS: usize = 1 << 16;
/// Keys drawn for the calls, whatever their number (at most this many).
const DRAWN: usize = 200_000;
/// The kinds of call, as `OP` names them.
const OPS: [&str; 5] = ["read", "overwrite", "churn", "remove-missing", "update-missing"];

fn main() {
    // `cargo bench` adds `--bench`; anything starting with `--` is not ours.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    if args.first().map(String::as_str) == Some("list") {
        println!("{}", BACKENDS.join(" "));
        return;
    }
    let [backend, op, calls] = args.as_slice() else {
        eprintln!("usage: opcost BACKEND OP CALLS  (or: opcost list)");
        eprintln!("OP: {}", OPS.join(", "));
        std::process::exit(2);
    };
    let calls: usize = match calls.parse() {
        Ok(n) if n <= DRAWN => n,
        _ => {
            eprintln!("opcost: CALLS must be a number from 0 to {DRAWN}");
            std::process::exit(2);
        }
    };
    convoy::with_backend!(backend.as_str(), K => run::<K>(op, calls), _ => {
        eprintln!("opcost: unknown backend {backend:?} (one of: {})", BACKENDS.join(", "));
        std::process::exit(2);
    });
}

fn run<K: Keyspace>(op: &str, calls: usize) {
    let keys: Vec<Bytes> = (0..KEYS as u64).map(|i| Bytes::from(key_name(i))).collect();
    let mut rng = SmallRng::seed_from_u64(0x00C0_57C0);
    let mut order: Vec<usize> = (0..KEYS).collect();
    order.shuffle(&mut rng);
    let (present, absent) = order.split_at(KEYS * 3 / 4);

    let map = K::new();
    for &k in present {
        map.update(&keys[k], |e| *e = Some(value()));
    }
    let pool = match op {
        "read" => &order[..],
        "overwrite" => present,
        "churn" | "remove-missing" | "update-missing" => absent,
        _ => {
            eprintln!("opcost: OP must be one of {}, not {op:?}", OPS.join(", "));
            std::process::exit(2);
        }
    };
    let drawn: Vec<&[u8]> = (0..DRAWN).map(|_| &keys[pool[rng.random_range(0..pool.len())]][..]).collect();

    let start = Instant::now();
    match op {
        "read" => {
            for key in &drawn[..calls] {
                black_box(map.read(key, |e| e.is_some()));
            }
        }
        "overwrite" => {
            for key in &drawn[..calls] {
                map.update(key, |e| *e = Some(value()));
            }
        }
        "remove-missing" => {
            for key in &drawn[..calls] {
                map.remove(key, drop);
            }
        }
        "update-missing" => {
            for key in &drawn[..calls] {
                map.update(key, |e| {
                    if let Some(e) = e {
                        *e = value();
                    }
                });
            }
        }
        _ => {
            // Two calls per key: CALLS counts calls, so CALLS / 2 keys.
            for key in &drawn[..calls / 2] {
                map.update(key, |e| *e = Some(value()));
                map.remove(key, drop);
            }
        }
    }
    let elapsed = start.elapsed();
    assert_eq!(map.len(), present.len(), "{}: the calls must leave the map as they found it", K::NAME);
    if calls > 0 {
        println!("{} {op}: {:.1} ns per call", K::NAME, elapsed.as_nanos() as f64 / calls as f64);
    }
}

/// The entry every write stores: a short string, as the mixes of `maps.rs`.
fn value() -> Entry {
    Entry::string(Bytes::from_static(b"value-000"))
}
