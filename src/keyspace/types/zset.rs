//! Sorted sets (placeholder until the sorted-set commands land).

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ZSet {}

impl ZSet {
    pub fn encoding(&self) -> &'static str {
        "skiplist"
    }
}
