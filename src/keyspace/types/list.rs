//! Lists: a ring buffer of elements, O(1) push and pop at both ends.

use crate::keyspace::Str;
use std::collections::VecDeque;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct List {
    pub items: VecDeque<Str>,
}

impl List {
    /// Redis 7: `listpack` while small (list-max-listpack-size -2: 8 KiB;
    /// approximated by 128 entries of at most 64 bytes), else `quicklist`.
    pub fn encoding(&self) -> &'static str {
        if self.items.len() <= 128 && self.items.iter().all(|e| e.len() <= 64) {
            "listpack"
        } else {
            "quicklist"
        }
    }
}
