//! The collection types a key can hold, one file each. Each is a plain
//! single-threaded structure: concurrency is the map's business (the
//! per-key lock every backend holds while an update runs), so these only
//! have to be good data structures.
//!
//! Elements are [`Str`](super::Str): short ones inline, no allocation per
//! element.

pub mod hash;
pub mod indexed;
pub mod list;
pub mod set;
pub mod stream;
pub mod zset;

pub use hash::Hash;
pub use indexed::Indexed;
pub use list::List;
pub use set::Set;
pub use stream::Stream;
pub use zset::ZSet;
