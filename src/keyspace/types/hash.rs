//! Hashes: field -> value, a hash table.

use crate::keyspace::{Hasher, Str};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hash {
    pub fields: HashMap<Str, Str, Hasher>,
}

impl Hash {
    /// Redis 7: `listpack` up to 128 fields of at most 64 bytes, else
    /// `hashtable`.
    pub fn encoding(&self) -> &'static str {
        if self.fields.len() <= 128 && self.fields.iter().all(|(k, v)| k.len() <= 64 && v.len() <= 64) {
            "listpack"
        } else {
            "hashtable"
        }
    }
}
