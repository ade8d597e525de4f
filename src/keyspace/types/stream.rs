//! Streams: an append-only log of entries, each an ID that only grows and a
//! list of field-value pairs.
//!
//! # Representation
//!
//! Redis keeps a stream in a radix tree of listpacks (about a hundred
//! entries per node, field names shared with the node's first entry) and
//! marks deleted entries instead of removing them. convoy keeps an ordered
//! map from [`StreamId`] to the entry's pairs: append, delete and the start
//! of a range are O(log n), and a range then walks in order. Each entry is
//! one allocation (its boxed slice of pairs); fields and values are
//! [`Str`], so short ones live inside the slice.
//!
//! Besides the entries a stream remembers what Redis 7 reports in
//! `XINFO STREAM`: the last ID ever given out (`last_id`, which does not go
//! back when the newest entry is deleted, so IDs are never reused), how
//! many entries were ever added, and the greatest ID ever deleted.
//!
//! # Trimming
//!
//! `MAXLEN`/`MINID` with `~` let Redis trim less than asked: it only drops
//! whole radix-tree nodes. convoy has no nodes and trims exactly, `~` or
//! not; `~` still honours `LIMIT` (at most that many entries removed). A
//! client cannot rely on how much `~` leaves, so exact is a valid answer,
//! but the lengths after `~` differ from Redis's.

use crate::keyspace::Str;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;

/// An entry's ID: milliseconds and a sequence number within that
/// millisecond, ordered as the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    /// `0-0`, smaller than any ID an entry may have.
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// The greatest ID; a stream whose last ID is this one is full.
    pub const MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// The next ID in order (Redis's `streamIncrID`), `None` after MAX.
    pub fn next(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (_, s) if s < u64::MAX => Some(StreamId::new(self.ms, s + 1)),
            (m, _) if m < u64::MAX => Some(StreamId::new(m + 1, 0)),
            _ => None,
        }
    }

    /// The previous ID in order (`streamDecrID`), `None` before `0-0`.
    pub fn prev(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (_, s) if s > 0 => Some(StreamId::new(self.ms, s - 1)),
            (m, _) if m > 0 => Some(StreamId::new(m - 1, u64::MAX)),
            _ => None,
        }
    }
}

/// `ms-seq`, as every reply writes an ID.
impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// An entry's field-value pairs, in the order they were given.
pub type Fields = Box<[(Str, Str)]>;

/// Why an append was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendError {
    /// The ID is not greater than the stream's last ID.
    NotGreater,
    /// The last ID is [`StreamId::MAX`]: no ID is left.
    Exhausted,
}

/// How a trim chooses what to drop from the front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Drop entries with an ID below this one.
    MinId(StreamId),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stream {
    entries: BTreeMap<StreamId, Fields>,
    /// The greatest ID ever added (`0-0` for a stream never added to).
    pub last_id: StreamId,
    /// Entries ever added, deleted ones included.
    pub entries_added: u64,
    /// The greatest ID ever removed by XDEL.
    pub max_deleted_entry_id: StreamId,
}

impl Stream {
    /// Entries now in the stream.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Estimated heap bytes (MEMORY USAGE): the B-tree's nodes, taken as
    /// half full (an append-only B-tree splits its rightmost leaf in two,
    /// leaving the left half behind), and each entry's field-value pairs
    /// with their buffers, sampled over the oldest `samples` entries (see
    /// [`super::sampled`]).
    pub fn heap_size(&self, samples: usize) -> usize {
        use std::mem::size_of;
        let node_slots = 2 * self.entries.len() * (size_of::<StreamId>() + size_of::<Fields>());
        let entry = |fields: &Fields| {
            fields.len() * size_of::<(Str, Str)>()
                + fields.iter().map(|(f, v)| f.heap_size() + v.heap_size()).sum::<usize>()
        };
        node_slots + super::sampled(self.entries.len(), samples, self.entries.values().map(entry))
    }

    /// `OBJECT ENCODING`: Redis has one encoding for streams.
    pub fn encoding(&self) -> &'static str {
        "stream"
    }

    /// The ID of the newest entry still present.
    pub fn last_entry_id(&self) -> Option<StreamId> {
        self.entries.last_key_value().map(|(id, _)| *id)
    }

    /// The ID `XADD *` gives at time `now_ms` (Redis's `streamNextID`):
    /// `now-0` if the clock is past the last ID, otherwise the last ID's
    /// successor, so IDs keep growing even if the clock goes back.
    pub fn next_auto_id(&self, now_ms: u64) -> Result<StreamId, AppendError> {
        if now_ms > self.last_id.ms {
            Ok(StreamId::new(now_ms, 0))
        } else {
            self.last_id.next().ok_or(AppendError::Exhausted)
        }
    }

    /// The ID for `XADD ms-*`: `ms-0`, or the next sequence if `ms` is the
    /// last ID's millisecond.
    pub fn next_id_in(&self, ms: u64) -> Result<StreamId, AppendError> {
        if ms != self.last_id.ms {
            Ok(StreamId::new(ms, 0))
        } else if self.last_id.seq == u64::MAX {
            Err(AppendError::NotGreater)
        } else {
            Ok(StreamId::new(ms, self.last_id.seq + 1))
        }
    }

    /// Append an entry; its ID must be greater than every ID given before.
    pub fn append(&mut self, id: StreamId, fields: Fields) -> Result<(), AppendError> {
        if id <= self.last_id {
            return Err(AppendError::NotGreater);
        }
        self.entries.insert(id, fields);
        self.last_id = id;
        self.entries_added += 1;
        Ok(())
    }

    /// Remove one entry; returns whether it was there.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let removed = self.entries.remove(&id).is_some();
        if removed && id > self.max_deleted_entry_id {
            self.max_deleted_entry_id = id;
        }
        removed
    }

    /// Drop entries from the front as `how` says, at most `limit` of them
    /// (`None`: no limit). Returns how many were dropped.
    pub fn trim(&mut self, how: Trim, limit: Option<u64>) -> u64 {
        let mut dropped = 0u64;
        while limit.is_none_or(|l| dropped < l) {
            let len = self.entries.len() as u64;
            let Some(first) = self.entries.first_entry() else { break };
            let drop = match how {
                Trim::MaxLen(max) => len > max,
                Trim::MinId(min) => *first.key() < min,
            };
            if !drop {
                break;
            }
            first.remove();
            dropped += 1;
        }
        dropped
    }

    /// Entries with IDs in `start..=end`, oldest first (`.rev()` for newest
    /// first). Empty when `start > end`.
    pub fn range(&self, start: StreamId, end: StreamId) -> impl DoubleEndedIterator<Item = (&StreamId, &Fields)> + '_ {
        // BTreeMap::range panics on an inverted range.
        (start <= end).then(|| self.entries.range(start..=end)).into_iter().flatten()
    }

    /// Entries with IDs greater than `after`, oldest first (XREAD).
    pub fn after(&self, after: StreamId) -> impl Iterator<Item = (&StreamId, &Fields)> + '_ {
        self.entries.range((Bound::Excluded(after), Bound::Unbounded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(v: &str) -> Fields {
        vec![(Str::from_slice(b"f"), Str::from_slice(v.as_bytes()))].into_boxed_slice()
    }

    /// IDs step over the sequence's end into the next millisecond, and stop
    /// at the ends of the ID space.
    #[test]
    fn id_successor_and_predecessor() {
        assert_eq!(StreamId::new(1, 5).next(), Some(StreamId::new(1, 6)));
        assert_eq!(StreamId::new(1, u64::MAX).next(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(StreamId::new(2, 0).prev(), Some(StreamId::new(1, u64::MAX)));
        assert_eq!(StreamId::MIN.prev(), None);
        assert_eq!(StreamId::new(3, 4).to_string(), "3-4");
    }

    /// Appends must grow; auto IDs follow the clock but never go back.
    #[test]
    fn append_and_auto_ids() {
        let mut s = Stream::default();
        let id = s.next_auto_id(100).unwrap();
        assert_eq!(id, StreamId::new(100, 0));
        s.append(id, fields("a")).unwrap();
        assert_eq!(s.next_auto_id(50).unwrap(), StreamId::new(100, 1));
        assert_eq!(s.append(StreamId::new(100, 0), fields("b")), Err(AppendError::NotGreater));
        assert_eq!(s.next_id_in(100).unwrap(), StreamId::new(100, 1));
        assert_eq!(s.next_id_in(7).unwrap(), StreamId::new(7, 0));
        s.append(StreamId::MAX, fields("c")).unwrap();
        assert_eq!(s.next_auto_id(200), Err(AppendError::Exhausted));
        assert_eq!(s.entries_added, 2);
    }

    /// Deleting keeps last_id; trims drop from the front up to the limit.
    #[test]
    fn delete_and_trim() {
        let mut s = Stream::default();
        for i in 1..=10 {
            s.append(StreamId::new(i, 0), fields("x")).unwrap();
        }
        assert!(s.delete(StreamId::new(10, 0)));
        assert!(!s.delete(StreamId::new(10, 0)));
        assert_eq!(s.last_id, StreamId::new(10, 0));
        assert_eq!(s.max_deleted_entry_id, StreamId::new(10, 0));
        assert_eq!(s.trim(Trim::MaxLen(5), Some(2)), 2);
        assert_eq!(s.len(), 7);
        assert_eq!(s.trim(Trim::MaxLen(5), None), 2);
        assert_eq!(s.trim(Trim::MinId(StreamId::new(7, 1)), None), 3);
        let ids: Vec<u64> = s.range(StreamId::MIN, StreamId::MAX).map(|(id, _)| id.ms).collect();
        assert_eq!(ids, [8, 9]);
        assert_eq!(s.range(StreamId::new(9, 0), StreamId::new(8, 0)).count(), 0);
        assert_eq!(s.after(StreamId::new(8, 0)).count(), 1);
    }
}
