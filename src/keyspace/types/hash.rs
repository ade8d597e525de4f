//! Hashes: field -> value.
//!
//! Stored in an [`Indexed`] map (a hash table of positions into a dense
//! array of entries), which gives HRANDFIELD a random field in O(1) and
//! HSCAN a cursor that never misses a field (see [`super::indexed`]).

use super::Indexed;
use crate::keyspace::Str;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hash {
    pub fields: Indexed<Str>,
}

/// Redis 7's `hash-max-listpack-entries` and `hash-max-listpack-value`.
const LISTPACK_ENTRIES: usize = 128;
const LISTPACK_VALUE: usize = 64;

impl Hash {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Estimated heap bytes (MEMORY USAGE), see [`Indexed::heap_size`].
    pub fn heap_size(&self, samples: usize) -> usize {
        self.fields.heap_size(samples, Str::heap_size)
    }

    /// Redis 7: `listpack` up to 128 fields of at most 64 bytes, else
    /// `hashtable`. (Redis never converts back: a hash that shrinks keeps
    /// `hashtable`; convoy reports what a fresh copy would use.)
    pub fn encoding(&self) -> &'static str {
        if self.is_small() {
            "listpack"
        } else {
            "hashtable"
        }
    }

    /// Whether Redis would keep this hash as a listpack: then HSCAN
    /// returns it whole in one call, as Redis does.
    pub fn is_small(&self) -> bool {
        self.fields.len() <= LISTPACK_ENTRIES
            && self.fields.iter().all(|(k, v)| k.len() <= LISTPACK_VALUE && v.len() <= LISTPACK_VALUE)
    }
}
