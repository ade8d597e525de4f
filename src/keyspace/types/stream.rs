//! Streams (placeholder until the stream commands land).

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stream {}
