//! loom models of `SplitOrderedMap`.
//!
//! Keys are `u64`s hashed to themselves, so each model places its keys in
//! chosen buckets and at chosen places in the list. With identity hashes,
//! the list (split) order of small keys is by their bits reversed: for
//! keys below 4, `0, 2, 1, 3`; key 3 therefore sits right after key 1.
//!
//! # Shape of a model
//!
//! Each model races the main thread against **one** spawned thread. The
//! main thread pins once before spawning (`setup`), which registers it
//! with crossbeam's collector; the spawned thread registers on its first
//! pin. Two threads registering at once (a CAS race on the collector's
//! list of participants, each followed by a collection that walks that
//! list) multiplies the schedules loom must try: `insert_insert_one_key`
//! with two spawned threads took 105 s at a preemption bound of 2, against
//! well under a second this way, and checks the same race in the map.
//!
//! Every model ends by flushing the epoch collector from the main thread
//! until all retired nodes are freed (`drain`) and checking the counts,
//! and loom itself checks that every `loom::sync::Arc` (the values' drop
//! trackers, the map's counters captured by each deferred free) was
//! dropped: garbage that is never freed fails a model as a leak.
//!
//! # Why the spawned thread outlives the drain
//!
//! The spawned thread is not simply joined before `drain` (see [`Peer`]).
//! loom's `JoinHandle::join` synchronises with the end of the thread's
//! closure, but a thread's thread-locals are dropped after that, and
//! crossbeam unregisters a thread from its thread-local handle's
//! destructor, which pins once more. The unpin that follows is then not
//! ordered before the join, so the main thread may keep reading the ended
//! thread's epoch as pinned, and the global epoch stops one step later:
//! garbage retired after that is never freed. (A real `join` waits for
//! thread-local destructors, so this is a limit of the model, not of
//! crossbeam.) So a spawned thread runs its body, drops its guards,
//! reports its result over a channel (which orders everything it did
//! before the main thread's next step), and waits, registered and unpinned,
//! until the main thread has drained; only then does it end. A body that
//! may retire a node flushes before returning, moving its thread-local bag
//! of garbage to the global queue where the main thread's flushes find it.
#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::{mpsc, Arc, Mutex};
use loom::thread;
use std::hash::{BuildHasherDefault, Hasher};
use structures::map::{Guard, Reclamation, Shape, SplitOrderedMap};

/// Hashes a `u64` to itself.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Map<V> = SplitOrderedMap<u64, V, BuildHasherDefault<Identity>>;

/// A map with room for `capacity` items before it first doubles (one
/// bucket for 0, 1 or 2), with the main thread registered with the
/// collector (see "Shape of a model").
fn setup<V: Send + Sync + 'static>(capacity: usize) -> Arc<Map<V>> {
    let m: Arc<Map<V>> = Arc::new(SplitOrderedMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default()));
    drop(m.pin());
    m
}

/// A value that counts its drops in a counter of its own.
#[derive(Debug)]
struct Tracked {
    id: u64,
    drops: Arc<AtomicUsize>,
}

impl Tracked {
    /// A value and its drop counter.
    fn new(id: u64) -> (Tracked, Arc<AtomicUsize>) {
        let drops = Arc::new(AtomicUsize::new(0));
        (Tracked { id, drops: drops.clone() }, drops)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// A spawned thread that, once its body has returned, stays alive
/// (unpinned) until [`Peer::finish`]: see "Why the spawned thread outlives
/// the drain".
struct Peer<T> {
    result: mpsc::Receiver<T>,
    /// A channel, not a `loom::sync::Notify`: a `Notify` may wake
    /// spuriously, which would let the thread end early.
    go: mpsc::Sender<()>,
    handle: thread::JoinHandle<()>,
}

impl<T: Send + 'static> Peer<T> {
    /// Run `body` on a new thread with a handle on `m`; then flush the
    /// thread's garbage (any search may unlink and retire a marked node,
    /// not only a remove), and report.
    fn spawn<V: Send + Sync + 'static>(m: &Arc<Map<V>>, body: impl FnOnce(&Map<V>) -> T + Send + 'static) -> Peer<T> {
        let (tx, result) = mpsc::channel();
        let (go, wait) = mpsc::channel();
        let m = m.clone();
        let handle = thread::spawn(move || {
            let r = body(&m);
            m.pin().flush();
            tx.send(r).unwrap();
            wait.recv().unwrap();
        });
        Peer { result, go, handle }
    }

    /// Wait for the body's result. Everything the body did happens before
    /// this returns.
    fn result(&self) -> T {
        self.result.recv().unwrap()
    }

    /// Let the thread end, and join it.
    fn finish(self) {
        self.go.send(()).unwrap();
        self.handle.join().expect("peer panicked");
    }
}

/// Run `f` under loom at preemption bound `bound` (or at
/// `LOOM_MAX_PREEMPTIONS`, if set), and print how many executions loom
/// explored (visible with `--nocapture`).
///
/// Each model names its own bound: as high as keeps it within a few
/// seconds in release mode (the README's table lists them with their run
/// times), and never below 3.
fn model(bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = builder.preemption_bound.or(Some(bound));
    let used = builder.preemption_bound;
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = runs.clone();
    builder.check(move || {
        counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f()
    });
    let name = std::thread::current().name().unwrap_or("?").to_string();
    eprintln!("{name}: {} executions at preemption bound {used:?}", runs.load(std::sync::atomic::Ordering::Relaxed));
}

/// Flush the collector from this (the only remaining) thread until every
/// retired node is freed; each flush can advance the epoch once, and a
/// node is freed two epochs after its retirement.
fn drain<V: Send + Sync + 'static>(map: &Map<V>) -> Reclamation {
    for _ in 0..8 {
        if map.reclamation().pending() == 0 {
            break;
        }
        map.pin().flush();
    }
    let r = map.reclamation();
    assert_eq!(r.pending(), 0, "garbage left after flushing: {r:?}");
    r
}

/// Insert/insert of one key: exactly one thread wins, and both see the
/// winner's value, as does everyone afterwards.
#[test]
fn insert_insert_one_key() {
    model(5, || {
        let m = setup::<u64>(0);
        let insert = |m: &Map<u64>, t: u64| {
            let g = m.pin();
            match m.insert_if_absent(5, t, &g) {
                Ok(v) => (true, *v),
                Err((v, back)) => {
                    assert_eq!(back, t, "the loser gets its own value back");
                    (false, *v)
                }
            }
        };
        let other = Peer::spawn(&m, move |m| insert(m, 1));
        let ours = insert(&m, 0);
        let theirs = other.result();
        assert!(ours.0 != theirs.0, "exactly one wins: {ours:?} {theirs:?}");
        let winner = if ours.0 { 0 } else { 1 };
        assert_eq!((ours.1, theirs.1), (winner, winner), "both see the winner's value");
        let g = m.pin();
        assert_eq!(m.get(&5, &g), Some(&winner));
        assert_eq!(m.len(), 1);
        assert_eq!(m.validate(&g).items, 1);
        other.finish();
    });
}

/// Remove/remove of one key: exactly one remover gets the value, and the
/// node is retired and freed once.
#[test]
fn remove_remove_one_key() {
    model(5, || {
        let m = setup::<u64>(0);
        m.insert_if_absent(5, 50, &m.pin()).unwrap();
        let other = Peer::spawn(&m, move |m| m.remove(&5, &m.pin()).copied());
        let ours = m.remove(&5, &m.pin()).copied();
        let theirs = other.result();
        assert!(ours.is_some() != theirs.is_some(), "{ours:?} {theirs:?}");
        assert_eq!(ours.or(theirs), Some(50));
        assert_eq!(m.get(&5, &m.pin()), None);
        assert_eq!(m.len(), 0);
        assert_eq!(drain(&m), Reclamation { retired: 1, freed: 1 });
        other.finish();
    });
}

/// Insert/remove of one key: the remove either finds the insert's value
/// (and the key is gone afterwards) or finds nothing (and the key stays).
#[test]
fn insert_remove_one_key() {
    model(5, || {
        let m = setup::<u64>(0);
        let inserter = Peer::spawn(&m, move |m| *m.insert_if_absent(5, 50, &m.pin()).unwrap());
        let removed = m.remove(&5, &m.pin()).copied();
        assert_eq!(inserter.result(), 50);
        let g = m.pin();
        match removed {
            Some(v) => {
                assert_eq!(v, 50);
                assert_eq!(m.get(&5, &g), None);
                assert_eq!(m.len(), 0);
            }
            None => {
                assert_eq!(m.get(&5, &g), Some(&50));
                assert_eq!(m.len(), 1);
            }
        }
        drop(g);
        assert_eq!(drain(&m).retired, removed.is_some() as u64);
        inserter.finish();
    });
}

/// Michael's race: an insert right after a node that is being removed
/// (key 3 follows key 1 in the list). Marking the removed node's link
/// first makes the insert's CAS on that link fail, so the insert is never
/// linked after a node on its way out and lost with it.
#[test]
fn insert_next_to_a_removal() {
    model(5, || {
        let m = setup::<u64>(0);
        m.insert_if_absent(1, 10, &m.pin()).unwrap();
        let inserter = Peer::spawn(&m, move |m| *m.insert_if_absent(3, 30, &m.pin()).unwrap());
        assert_eq!(m.remove(&1, &m.pin()).copied(), Some(10));
        assert_eq!(inserter.result(), 30);
        let g = m.pin();
        assert_eq!(m.get(&3, &g), Some(&30), "the insert was lost");
        assert_eq!(m.get(&1, &g), None);
        assert_eq!(m.len(), 1);
        assert_eq!(m.validate(&g).items, 1);
        drop(g);
        assert_eq!(drain(&m), Reclamation { retired: 1, freed: 1 });
        inserter.finish();
    });
}

/// A get racing a remove of its key sees the whole value or nothing, and
/// the value is not freed while the reader's guard lives, even though the
/// remover flushes right after removing (no use-after-free); afterwards it
/// is freed exactly once (no lost node).
#[test]
fn get_during_remove() {
    model(5, || {
        let m = setup::<Tracked>(0);
        let (value, drops) = Tracked::new(50);
        m.insert_if_absent(5, value, &m.pin()).unwrap();
        let remover = Peer::spawn(&m, move |m| {
            // `Peer` flushes right after: an attempt to free the value
            // while the reader may be pinned.
            m.remove(&5, &m.pin()).map(|v| v.id)
        });
        let g = m.pin();
        let seen = m.get(&5, &g).map(|v| v.id);
        if seen.is_some() {
            // Still pinned: the value must be alive, whatever the remover
            // has done meanwhile.
            assert_eq!(drops.load(Ordering::SeqCst), 0, "freed under a reader's guard");
        }
        drop(g);
        assert_eq!(remover.result(), Some(50));
        assert!(matches!(seen, None | Some(50)), "{seen:?}");
        assert_eq!(m.get(&5, &m.pin()).map(|v| v.id), None);
        assert_eq!(drain(&m), Reclamation { retired: 1, freed: 1 });
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        remover.finish();
    });
}

/// Growth during inserts: with two keys in one bucket, the third insert
/// doubles the table, and a concurrent insert of an odd key may then
/// initialise bucket 1 (from its parent, bucket 0). Every key is findable
/// afterwards and the list holds one dummy per initialised bucket.
#[test]
fn growth_during_insert() {
    model(5, || {
        let m = setup::<u64>(0);
        {
            let g = m.pin();
            m.insert_if_absent(0, 0, &g).unwrap();
            m.insert_if_absent(2, 2, &g).unwrap();
        }
        assert_eq!(m.buckets(), 1);
        let other = Peer::spawn(&m, move |m| {
            let g = m.pin();
            assert_eq!(m.insert_if_absent(4, 4, &g), Ok(&4));
        });
        {
            let g = m.pin();
            assert_eq!(m.insert_if_absent(3, 3, &g), Ok(&3));
        }
        other.result();
        assert_eq!(m.buckets(), 2);
        let g = m.pin();
        for k in [0, 2, 3, 4] {
            assert_eq!(m.get(&k, &g), Some(&k), "key {k} lost");
        }
        assert_eq!(m.len(), 4);
        let shape = m.validate(&g);
        assert_eq!(shape.items, 4);
        assert!(shape.dummies <= 2);
        other.finish();
    });
}

/// Two threads initialise the same new bucket at once (both insert an odd
/// key into a two-bucket map whose bucket 1 has no dummy yet): one claims
/// the bucket and links its dummy; the other, finding it claimed, inserts
/// from bucket 0's dummy without waiting. Both keys are found, and the
/// list ends with exactly one dummy for bucket 1.
#[test]
fn concurrent_bucket_initialisation() {
    model(4, || {
        let m = setup::<u64>(4);
        assert_eq!(m.buckets(), 2);
        let insert = |m: &Map<u64>, k: u64| {
            let g = m.pin();
            assert_eq!(m.insert_if_absent(k, k, &g), Ok(&k));
            // Our own key is found, whether or not the dummy is linked yet.
            assert_eq!(m.get(&k, &g), Some(&k));
        };
        let other = Peer::spawn(&m, move |m| insert(m, 1));
        insert(&m, 3);
        other.result();
        let g = m.pin();
        assert_eq!(m.get(&1, &g), Some(&1));
        assert_eq!(m.get(&3, &g), Some(&3));
        assert_eq!(m.validate(&g), Shape { dummies: 2, items: 2 });
        other.finish();
    });
}

/// A per-key slot, as convoy's `SlotMap` keeps one: the map only inserts
/// and removes slots; values change under the slot's lock; whoever empties
/// a slot marks it dead and removes it while holding the lock.
struct Slot {
    /// (dead, value)
    state: Mutex<(bool, Option<u64>)>,
}

/// Read-modify-write `key` through its slot: `f` runs exactly once, on the
/// one live slot.
fn update<R>(m: &Map<Slot>, key: u64, f: impl FnOnce(&mut Option<u64>) -> R) -> R {
    let mut f = Some(f);
    loop {
        let g: Guard = m.pin();
        let slot = match m.get(&key, &g) {
            Some(slot) => slot,
            None => match m.insert_if_absent(key, Slot { state: Mutex::new((false, None)) }, &g) {
                Ok(slot) => slot,
                Err((slot, _)) => slot,
            },
        };
        let mut state = slot.state.lock().unwrap();
        if state.0 {
            continue; // Removed under us: look up again.
        }
        let r = (f.take().unwrap())(&mut state.1);
        if state.1.is_none() {
            state.0 = true;
            assert!(m.remove(&key, &g).is_some(), "a live slot is in the map");
        }
        return r;
    }
}

/// Read-modify-write race through the slot layer: an increment racing a
/// GETDEL loses nothing (the increment lands either before the GETDEL,
/// which then returns it, or after, in a fresh slot), so what GETDEL took
/// plus what is left is always the initial 1 plus the increment.
#[test]
fn read_modify_write_no_lost_update() {
    model(5, || {
        let m = setup::<Slot>(0);
        update(&m, 5, |v| *v = Some(1));
        let incr = Peer::spawn(&m, move |m| update(m, 5, |v| *v = Some(v.unwrap_or(0) + 1)));
        let taken = update(&m, 5, |v| v.take()).unwrap_or(0);
        incr.result();
        let left = update(&m, 5, |v| *v).unwrap_or(0);
        assert_eq!(taken + left, 2, "taken {taken}, left {left}: an update was lost");
        // The final read, if it found no key, removed the empty slot it
        // had inserted.
        assert_eq!(m.len(), (left > 0) as usize);
        drain(&m);
        incr.finish();
    });
}

/// Reclamation: a value a pinned reader holds is not freed while it is
/// pinned, even when the remover removes it and another and flushes; once
/// every guard is gone and the collector flushed, retired == freed == 2
/// and each value was dropped exactly once.
#[test]
fn reclamation_waits_for_readers() {
    model(5, || {
        let m = setup::<Tracked>(0);
        let (five, five_drops) = Tracked::new(50);
        let (six, six_drops) = Tracked::new(60);
        {
            let g = m.pin();
            m.insert_if_absent(5, five, &g).unwrap();
            m.insert_if_absent(6, six, &g).unwrap();
        }
        let remover = Peer::spawn(&m, move |m| {
            assert!(m.remove(&5, &m.pin()).is_some());
            assert!(m.remove(&6, &m.pin()).is_some());
            // Flush once more than `Peer` does: two chances to free.
            m.pin().flush();
        });
        {
            let g = m.pin();
            if let Some(v) = m.get(&6, &g) {
                assert_eq!(v.id, 60);
                // Let the remover run (and flush) while we hold `v`.
                thread::yield_now();
                assert_eq!(six_drops.load(Ordering::SeqCst), 0, "freed under a reader's guard");
                assert!(m.reclamation().freed <= 1, "{:?}", m.reclamation());
            }
        }
        remover.result();
        assert_eq!(m.len(), 0);
        assert_eq!(drain(&m), Reclamation { retired: 2, freed: 2 });
        assert_eq!((five_drops.load(Ordering::SeqCst), six_drops.load(Ordering::SeqCst)), (1, 1));
        remover.finish();
    });
}
