//! SCAN cursors over maps we do not control.
//!
//! Redis promises that a full SCAN returns every key present for the whole
//! scan at least once, even while the table resizes; it gets there with
//! reverse-binary cursors over its own buckets. Our backends expose no
//! bucket order, so convoy orders keys by a hash that never changes during
//! the process ([`stable_hash`]) and uses *positions in hash order* as
//! cursors:
//!
//! - cursor `c` means "continue with the keys whose hash is `>= c`"; a reply
//!   returns the keys with the next smallest hashes and the cursor just past
//!   the last of them, or 0 when none are left;
//! - a key present for the whole scan has one fixed hash, and the cursor
//!   only grows, so the scan reaches it exactly once (keys sharing a hash
//!   are never split between two replies).
//!
//! Finding "the next keys by hash" needs the keys sorted by hash. A cursor
//! session therefore keeps a snapshot: the first call (or any call whose
//! cursor is not cached) collects and sorts the keys, O(n log n), and later
//! calls of the same session continue in it, O(count). The snapshot only
//! accelerates: a lost session (evicted or expired) is rebuilt from the
//! cursor, which alone carries the position. Keys added after a snapshot
//! may be missed (Redis allows that); keys deleted since are filtered out
//! by the caller, which looks each candidate up. Memory: a snapshot holds
//! a copy of every key (inline up to 24 bytes); at most
//! [`MAX_SESSIONS`] live at once, each for at most [`SESSION_TTL`].

use super::{stable_hash, Key};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Cursor sessions kept per database.
pub const MAX_SESSIONS: usize = 64;
/// A session unused this long is dropped.
pub const SESSION_TTL: Duration = Duration::from_secs(60);

type Snapshot = Arc<Vec<(u64, Key)>>;

struct Session {
    next_cursor: u64,
    snapshot: Snapshot,
    last_used: Instant,
}

pub struct ScanCursors {
    sessions: Mutex<Vec<Session>>,
}

impl Default for ScanCursors {
    fn default() -> Self {
        Self::new()
    }
}

impl ScanCursors {
    pub fn new() -> Self {
        ScanCursors { sessions: Mutex::new(Vec::new()) }
    }

    /// Advance a scan from `cursor` by about `count` keys. `collect` lists
    /// every key, for a new snapshot. Returns the next cursor (0: done) and
    /// the candidate keys (the caller filters out deleted ones).
    pub fn step(&self, cursor: u64, count: usize, collect: impl FnOnce() -> Vec<Key>) -> (u64, Vec<Key>) {
        let now = Instant::now();
        let cached = if cursor == 0 {
            None
        } else {
            let mut sessions = self.sessions.lock();
            sessions.retain(|s| now.duration_since(s.last_used) < SESSION_TTL);
            sessions.iter().position(|s| s.next_cursor == cursor).map(|i| sessions.swap_remove(i).snapshot)
        };
        let snapshot = cached.unwrap_or_else(|| {
            let mut keyed: Vec<(u64, Key)> = collect().into_iter().map(|k| (stable_hash(&k), k)).collect();
            keyed.sort_unstable_by_key(|(h, _)| *h);
            Arc::new(keyed)
        });
        let start = snapshot.partition_point(|(h, _)| *h < cursor);
        let mut end = (start + count.max(1)).min(snapshot.len());
        // Never split a group of equal hashes across two replies.
        while end < snapshot.len() && end > start && snapshot[end].0 == snapshot[end - 1].0 {
            end += 1;
        }
        let keys = snapshot[start..end].iter().map(|(_, k)| k.clone()).collect();
        let next = if end >= snapshot.len() { 0 } else { snapshot[end].0 };
        // A next position of 0 cannot be told from "done": there the scan
        // simply ends early, which only happens if a key hashes to 0 and
        // is not first, i.e. never in practice; guard it anyway.
        let next = if next == 0 && end < snapshot.len() { 1 } else { next };
        if next != 0 {
            let mut sessions = self.sessions.lock();
            if sessions.len() >= MAX_SESSIONS {
                let oldest = sessions.iter().enumerate().min_by_key(|(_, s)| s.last_used).map(|(i, _)| i);
                if let Some(i) = oldest {
                    sessions.swap_remove(i);
                }
            }
            sessions.push(Session { next_cursor: next, snapshot, last_used: now });
        }
        (next, keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full scan in small steps returns every key exactly once.
    #[test]
    fn full_scan_returns_every_key_once() {
        let keys: Vec<Key> = (0..1000).map(|i| Key::from_slice(format!("key:{i}").as_bytes())).collect();
        let cursors = ScanCursors::new();
        let (mut cursor, mut seen) = (0, Vec::new());
        loop {
            let (next, batch) = cursors.step(cursor, 7, || keys.clone());
            seen.extend(batch);
            if next == 0 {
                break;
            }
            assert!(next > cursor);
            cursor = next;
        }
        seen.sort();
        let mut want = keys.clone();
        want.sort();
        assert_eq!(seen, want);
    }

    /// A lost session is rebuilt from the cursor alone.
    #[test]
    fn resumes_without_session() {
        let keys: Vec<Key> = (0..100).map(|i| Key::from_slice(format!("k{i}").as_bytes())).collect();
        let (next, first) = ScanCursors::new().step(0, 10, || keys.clone());
        let (_, rest) = ScanCursors::new().step(next, 1000, || keys.clone());
        assert_eq!(first.len() + rest.len(), 100);
    }
}
