//! The `Keyspace` contract, checked directly on every backend with ordinary
//! threads: atomic read-modify-write, and no update lost to the race
//! between deleting a key (by `update` or by `remove`) and updating it.

use bytes::Bytes;
use convoy::keyspace::{Entry, Keyspace, Str, Value, BACKENDS};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Barrier;

fn int_of(e: &Entry) -> u64 {
    match &e.value {
        Value::Str(s) => std::str::from_utf8(s).unwrap().parse().unwrap(),
        other => panic!("not a string: {other:?}"),
    }
}

fn incr<K: Keyspace>(map: &K, key: &[u8]) {
    map.update(key, |slot| {
        let n = slot.as_ref().map_or(0, int_of) + 1;
        let expires_at = slot.as_ref().and_then(|e| e.expires_at);
        *slot = Some(Entry { value: Value::Str(Str::from_slice(n.to_string().as_bytes())), expires_at });
    });
}

/// Incrementers racing a deleter that banks what it deletes (through
/// `remove` if `by_remove`, else through `update`): every increment ends up
/// either in the bank or in the final value. A write into a slot that was
/// deleted under it would vanish from both; so would an entry `remove`
/// took without running its closure, or one it missed in a live slot.
fn no_lost_updates<K: Keyspace>(by_remove: bool) {
    const THREADS: u64 = 4;
    const PER_THREAD: u64 = 5_000;
    let map = K::new();
    let banked = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    let start = Barrier::new(THREADS as usize + 1);
    std::thread::scope(|s| {
        let incrementers: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    for _ in 0..PER_THREAD {
                        incr(&map, b"k");
                    }
                })
            })
            .collect();
        s.spawn(|| {
            start.wait();
            while !done.load(Ordering::Relaxed) {
                let taken = if by_remove {
                    map.remove(b"k", |e| int_of(&e)).unwrap_or(0)
                } else {
                    map.update(b"k", |slot| slot.take().map_or(0, |e| int_of(&e)))
                };
                banked.fetch_add(taken, Ordering::Relaxed);
                std::thread::yield_now();
            }
        });
        for t in incrementers {
            t.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
    });
    let left = map.read(b"k", |e| e.map_or(0, int_of));
    assert_eq!(banked.into_inner() + left, THREADS * PER_THREAD, "{}: updates lost (by_remove {by_remove})", K::NAME);
}

/// `remove`: a present key's entry goes to the closure, once, and the key
/// is gone; a missing key gives `None` and the closure does not run, and
/// the map is unchanged (no slot left behind).
fn remove_contract<K: Keyspace>() {
    let map = K::new();
    map.update(b"a", |slot| *slot = Some(Entry::string(Bytes::from_static(b"1"))));
    assert_eq!(map.remove(b"a", |e| e.value), Some(Value::Str(Str::from_slice(b"1"))), "{}", K::NAME);
    assert!(!map.read(b"a", |e| e.is_some()), "{}", K::NAME);
    assert_eq!(map.len(), 0, "{}", K::NAME);
    let mut ran = false;
    assert_eq!(map.remove(b"a", |_| ran = true), None, "{}", K::NAME);
    assert_eq!(map.remove(b"never", |_| ran = true), None, "{}", K::NAME);
    assert!(!ran, "{}: the closure ran for a missing key", K::NAME);
    assert_eq!(map.len(), 0, "{}", K::NAME);
    let mut keys = 0;
    map.for_each(|_, _| {
        keys += 1;
        true
    });
    assert_eq!(keys, 0, "{}", K::NAME);
    // The key can come back after its removal.
    incr(&map, b"a");
    assert_eq!(map.read(b"a", |e| e.map(int_of)), Some(1), "{}", K::NAME);
}

/// Many keys inserted and deleted concurrently: `len` and `for_each` agree
/// with what is left, and each key's last writer wins.
fn insert_delete_many<K: Keyspace>() {
    let map = K::new();
    std::thread::scope(|s| {
        for t in 0..4u32 {
            let map = &map;
            s.spawn(move || {
                for i in 0..2_000u32 {
                    let key = format!("t{t}:{i}");
                    map.update(key.as_bytes(), |slot| *slot = Some(Entry::string(Bytes::from(key.clone()))));
                    if i % 2 == 1 {
                        map.update(key.as_bytes(), |slot| *slot = None);
                    }
                }
            });
        }
    });
    assert_eq!(map.len(), 4 * 1_000, "{}", K::NAME);
    let mut seen = 0;
    map.for_each(|k, e| {
        assert_eq!(e.value, Value::Str(Str::from_slice(k)), "{}", K::NAME);
        seen += 1;
        true
    });
    assert_eq!(seen, 4_000, "{}", K::NAME);
    for i in (0..2_000u32).step_by(2) {
        assert!(map.read(format!("t0:{i}").as_bytes(), |e| e.is_some()), "{}", K::NAME);
        assert!(!map.read(format!("t0:{}", i + 1).as_bytes(), |e| e.is_some()), "{}", K::NAME);
    }
}

/// No update is lost when deletes race increments, on any backend.
#[test]
fn no_lost_updates_on_any_backend() {
    for name in BACKENDS {
        convoy::with_backend!(*name, K => no_lost_updates::<K>(false), _ => unreachable!());
    }
}

/// The same with the deletes made by `remove`.
#[test]
fn no_lost_updates_with_remove_on_any_backend() {
    for name in BACKENDS {
        convoy::with_backend!(*name, K => no_lost_updates::<K>(true), _ => unreachable!());
    }
}

/// `remove`'s contract, on any backend.
#[test]
fn remove_on_any_backend() {
    for name in BACKENDS {
        convoy::with_backend!(*name, K => remove_contract::<K>(), _ => unreachable!());
    }
}

/// Concurrent inserts and deletes of many keys leave exactly the survivors.
#[test]
fn concurrent_insert_delete_on_any_backend() {
    for name in BACKENDS {
        convoy::with_backend!(*name, K => insert_delete_many::<K>(), _ => unreachable!());
    }
}
