//! Sets: members without values.
//!
//! Stored in an [`Indexed`] map with no values (a hash table of positions
//! into a dense array of members), which gives SPOP and SRANDMEMBER a
//! random member in O(1) and SSCAN a cursor that never misses a member
//! (see [`super::indexed`]).

use super::Indexed;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Set {
    pub members: Indexed<()>,
}

/// Redis 7's `set-max-intset-entries`, `set-max-listpack-entries` and
/// `set-max-listpack-value`.
const INTSET_ENTRIES: usize = 512;
const LISTPACK_ENTRIES: usize = 128;
const LISTPACK_VALUE: usize = 64;

impl Set {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.members.contains(member)
    }

    /// Add a member; whether it was new.
    pub fn insert(&mut self, member: &[u8]) -> bool {
        self.members.get_or_insert_with(member, || ()).1
    }

    /// Remove a member; whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        self.members.remove(member).is_some()
    }

    /// Estimated heap bytes (MEMORY USAGE), see [`Indexed::heap_size`].
    pub fn heap_size(&self, samples: usize) -> usize {
        self.members.heap_size(samples, |_| 0)
    }

    /// Redis 7.2: `intset` for up to 512 integers, `listpack` up to 128
    /// members of at most 64 bytes, else `hashtable`.
    pub fn encoding(&self) -> &'static str {
        let n = self.members.len();
        if n <= INTSET_ENTRIES && self.members.keys().all(|m| crate::num::parse_i64(m).is_some()) {
            "intset"
        } else if n <= LISTPACK_ENTRIES && self.members.keys().all(|m| m.len() <= LISTPACK_VALUE) {
            "listpack"
        } else {
            "hashtable"
        }
    }

    /// Whether Redis keeps this set as an intset: then SSCAN returns it
    /// whole in one call, as Redis does. (Redis 7.0 also has no listpack
    /// sets; a small set of strings is a hash table there, scanned in
    /// steps.)
    pub fn is_intset(&self) -> bool {
        self.encoding() == "intset"
    }
}
