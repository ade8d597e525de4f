//! Lists: a ring buffer of elements ([`VecDeque`]), O(1) push and pop at
//! both ends and O(1) access by index.
//!
//! Redis keeps a list as a quicklist (a linked list of listpacks): O(1) at
//! the ends, O(n) by index. A ring buffer is simpler and at least as fast
//! for every list command: LINDEX and LSET become O(1), LRANGE walks just
//! the slice it returns, and LINSERT/LREM shift the shorter side. Its one
//! cost is growth by doubling: a push that finds the buffer full copies
//! the element handles once (amortised O(1) per push, as DESIGN.md asks),
//! never the elements' bytes.
//!
//! Elements are [`Str`]: up to 22 bytes inline, so a push of a short
//! element allocates nothing beyond the buffer's amortised growth.
//!
//! Indexes follow Redis: 0 is the head (left), -1 the tail (right). The
//! clamping rules of LRANGE and LTRIM live here ([`List::clamp_range`]),
//! the protocol (parsing, replies, errors) in `cmd/lists.rs`.

use crate::keyspace::Str;
use std::collections::VecDeque;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct List {
    pub items: VecDeque<Str>,
}

/// One end of a list: `LEFT` (the head) or `RIGHT` (the tail), as LMOVE
/// names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Left,
    Right,
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Estimated heap bytes (MEMORY USAGE): the ring buffer's capacity and
    /// the elements' own buffers, sampled (see [`super::sampled`]).
    pub fn heap_size(&self, samples: usize) -> usize {
        self.items.capacity() * std::mem::size_of::<Str>()
            + super::sampled(self.items.len(), samples, self.items.iter().map(Str::heap_size))
    }

    /// Add one element at `end`.
    pub fn push(&mut self, end: End, element: Str) {
        match end {
            End::Left => self.items.push_front(element),
            End::Right => self.items.push_back(element),
        }
    }

    /// Take one element from `end`.
    pub fn pop(&mut self, end: End) -> Option<Str> {
        match end {
            End::Left => self.items.pop_front(),
            End::Right => self.items.pop_back(),
        }
    }

    /// The position of a Redis index (negative counts from the tail), if
    /// it is inside the list.
    fn position(&self, index: i64) -> Option<usize> {
        let len = self.items.len() as i64;
        let i = if index < 0 { len.checked_add(index)? } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    /// The element at a Redis index (LINDEX).
    pub fn get(&self, index: i64) -> Option<&Str> {
        self.items.get(self.position(index)?)
    }

    /// The element at a Redis index, for replacing it (LSET).
    pub fn get_mut(&mut self, index: i64) -> Option<&mut Str> {
        let i = self.position(index)?;
        self.items.get_mut(i)
    }

    /// LRANGE's and LTRIM's reading of `start` and `stop` (both inclusive,
    /// negative from the tail): the positions `first..=last` they cover, or
    /// `None` when the range is empty.
    pub fn clamp_range(&self, start: i64, stop: i64) -> Option<(usize, usize)> {
        let len = self.items.len() as i64;
        // len >= 0, so adding a negative index cannot overflow.
        let start = if start < 0 { (len + start).max(0) } else { start };
        let stop = if stop < 0 { len + stop } else { stop };
        if start > stop || start >= len {
            return None;
        }
        Some((start as usize, stop.min(len - 1) as usize))
    }

    /// The elements from `start` to `stop` (LRANGE), walked in place: no
    /// copy of the list is made before slicing.
    pub fn range(&self, start: i64, stop: i64) -> impl ExactSizeIterator<Item = &Str> + '_ {
        let (first, last) = match self.clamp_range(start, stop) {
            Some((first, last)) => (first, last + 1),
            None => (0, 0),
        };
        self.items.range(first..last)
    }

    /// Keep only the elements from `start` to `stop` (LTRIM).
    pub fn trim(&mut self, start: i64, stop: i64) {
        match self.clamp_range(start, stop) {
            Some((first, last)) => {
                self.items.truncate(last + 1);
                self.items.drain(..first);
            }
            None => self.items.clear(),
        }
    }

    /// Insert `element` next to the first occurrence of `pivot`, before it
    /// (towards the head) or after it (LINSERT). Returns whether the pivot
    /// was found.
    pub fn insert(&mut self, before: bool, pivot: &[u8], element: Str) -> bool {
        let Some(i) = self.items.iter().position(|e| **e == *pivot) else {
            return false;
        };
        self.items.insert(if before { i } else { i + 1 }, element);
        true
    }

    /// Remove occurrences of `element` (LREM): the first `count` from the
    /// head when `count > 0`, the last `-count` from the tail when
    /// `count < 0`, all when `count == 0`. Returns how many were removed.
    /// One pass to count (only for `count < 0`) and one `retain`: O(n)
    /// however many are removed.
    pub fn remove(&mut self, count: i64, element: &[u8]) -> usize {
        let limit = match count {
            0 => usize::MAX,
            c => usize::try_from(c.unsigned_abs()).unwrap_or(usize::MAX),
        };
        // From the tail: skip the matches that come before the last `limit`.
        let mut skip = if count < 0 {
            let matches = self.items.iter().filter(|e| ***e == *element).count();
            matches.saturating_sub(limit)
        } else {
            0
        };
        let mut removed = 0;
        self.items.retain(|e| {
            if **e != *element || removed == limit {
                return true;
            }
            if skip > 0 {
                skip -= 1;
                return true;
            }
            removed += 1;
            false
        });
        removed
    }

    /// LPOS: the positions (counted from the head) of the matches of
    /// `element`, searching from the head when `rank > 0` or from the tail
    /// when `rank < 0`, starting at the `|rank|`-th match, returning at
    /// most `count` of them (0: all), and comparing at most `maxlen`
    /// elements (0: the whole list). `rank` must not be 0 or `i64::MIN`
    /// (the caller rejects both, as Redis 7.2 does).
    pub fn positions(&self, element: &[u8], rank: i64, count: usize, maxlen: usize) -> Vec<usize> {
        let skip = usize::try_from(rank.unsigned_abs() - 1).unwrap_or(usize::MAX);
        let limit = if count == 0 { usize::MAX } else { count };
        let scan = if maxlen == 0 { self.items.len() } else { maxlen.min(self.items.len()) };
        let len = self.items.len();
        let matching = |(i, e): (usize, &Str)| (**e == *element).then_some(i);
        if rank > 0 {
            let found = self.items.iter().enumerate().take(scan).filter_map(matching);
            found.skip(skip).take(limit).collect()
        } else {
            let found = self.items.iter().rev().enumerate().take(scan).filter_map(matching);
            found.skip(skip).take(limit).map(|i| len - 1 - i).collect()
        }
    }

    /// Redis 7.2: `listpack` while small (list-max-listpack-size -2: 8 KiB;
    /// approximated by 128 entries of at most 64 bytes), else `quicklist`.
    pub fn encoding(&self) -> &'static str {
        if self.items.len() <= 128 && self.items.iter().all(|e| e.len() <= 64) {
            "listpack"
        } else {
            "quicklist"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> List {
        List { items: items.iter().map(|s| Str::from_slice(s.as_bytes())).collect() }
    }

    fn items(l: &List) -> Vec<String> {
        l.items.iter().map(|e| String::from_utf8_lossy(e).into_owned()).collect()
    }

    #[test]
    fn ranges_clamp_like_redis() {
        let l = list(&["a", "b", "c", "d"]);
        let r = |s, e| l.range(s, e).map(|x| String::from_utf8_lossy(x).into_owned()).collect::<Vec<_>>();
        assert_eq!(r(0, -1), ["a", "b", "c", "d"]);
        assert_eq!(r(-100, 100), ["a", "b", "c", "d"]);
        assert_eq!(r(1, 2), ["b", "c"]);
        assert_eq!(r(-2, -1), ["c", "d"]);
        assert!(r(3, 1).is_empty());
        assert!(r(4, 10).is_empty());
        assert!(r(i64::MIN, i64::MIN).is_empty());
        assert_eq!(r(i64::MIN, i64::MAX).len(), 4);
    }

    #[test]
    fn trim_keeps_the_range() {
        let mut l = list(&["a", "b", "c", "d"]);
        l.trim(1, -2);
        assert_eq!(items(&l), ["b", "c"]);
        l.trim(5, 10);
        assert!(l.is_empty());
    }

    #[test]
    fn remove_counts_from_either_end() {
        let mut l = list(&["x", "a", "x", "b", "x"]);
        assert_eq!(l.remove(-2, b"x"), 2);
        assert_eq!(items(&l), ["x", "a", "b"]);
        let mut l = list(&["x", "a", "x", "b", "x"]);
        assert_eq!(l.remove(1, b"x"), 1);
        assert_eq!(items(&l), ["a", "x", "b", "x"]);
        assert_eq!(l.remove(0, b"x"), 2);
        assert_eq!(items(&l), ["a", "b"]);
        assert_eq!(l.remove(i64::MIN, b"a"), 1);
    }

    #[test]
    fn positions_by_rank_count_maxlen() {
        let l = list(&["a", "b", "c", "1", "2", "3", "c", "c"]);
        assert_eq!(l.positions(b"c", 1, 1, 0), [2]);
        assert_eq!(l.positions(b"c", 2, 1, 0), [6]);
        assert_eq!(l.positions(b"c", -1, 1, 0), [7]);
        assert_eq!(l.positions(b"c", 1, 0, 0), [2, 6, 7]);
        assert_eq!(l.positions(b"c", -1, 2, 0), [7, 6]);
        assert_eq!(l.positions(b"c", 1, 0, 3), [2]);
        assert_eq!(l.positions(b"c", i64::MAX, 0, 0), Vec::<usize>::new());
    }
}
