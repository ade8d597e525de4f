//! Sets: a hash set of members.

use crate::keyspace::{Hasher, Str};
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Set {
    pub members: HashSet<Str, Hasher>,
}

impl Set {
    /// Redis 7: `intset` for up to 512 integers, `listpack` up to 128
    /// members of at most 64 bytes, else `hashtable`.
    pub fn encoding(&self) -> &'static str {
        let n = self.members.len();
        if n <= 512 && self.members.iter().all(|m| crate::num::parse_i64(m).is_some()) {
            "intset"
        } else if n <= 128 && self.members.iter().all(|m| m.len() <= 64) {
            "listpack"
        } else {
            "hashtable"
        }
    }
}
