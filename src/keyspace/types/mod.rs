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

use super::Value;

/// A collection type a key can hold: how to find it in a [`Value`], and
/// how to wrap a new one. Lets commands share "the list at this key, or
/// WRONGTYPE" and "create it if missing, delete it when emptied" across
/// every type (see `cmd::typed` and `cmd::with_collection`).
pub trait Collection: Default {
    fn of(value: &Value) -> Option<&Self>;
    fn of_mut(value: &mut Value) -> Option<&mut Self>;
    fn wrap(self) -> Value;
    fn is_empty(&self) -> bool;
}

macro_rules! collection {
    ($t:ident, $variant:ident) => {
        impl Collection for $t {
            fn of(value: &Value) -> Option<&Self> {
                match value {
                    Value::$variant(c) => Some(c),
                    _ => None,
                }
            }
            fn of_mut(value: &mut Value) -> Option<&mut Self> {
                match value {
                    Value::$variant(c) => Some(c),
                    _ => None,
                }
            }
            fn wrap(self) -> Value {
                Value::$variant(Box::new(self))
            }
            fn is_empty(&self) -> bool {
                $t::is_empty(self)
            }
        }
    };
}

collection!(List, List);
collection!(Hash, Hash);
collection!(Set, Set);
collection!(ZSet, ZSet);
collection!(Stream, Stream);

/// Estimated heap bytes of a collection's `len` elements (MEMORY USAGE),
/// from the sizes of its first `samples` elements, as Redis's
/// `objectComputeSize` samples: their average times the count, or their
/// exact sum when every element was sampled (`samples >= len`).
pub fn sampled(len: usize, samples: usize, sizes: impl Iterator<Item = usize>) -> usize {
    let (seen, sum) = sizes.take(samples).fold((0usize, 0usize), |(n, sum), size| (n + 1, sum + size));
    if seen == 0 {
        0
    } else {
        (sum as f64 / seen as f64 * len as f64) as usize
    }
}

/// Estimated heap bytes of a hash table (hashbrown, as in `std` and
/// `indexmap`) with room for `capacity` entries of `slot` bytes each: its
/// buckets are a power of two at most 7/8 full, with one control byte
/// each.
pub fn table_size(capacity: usize, slot: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let buckets =
        if capacity < 8 { (capacity + 1).next_power_of_two() } else { (capacity * 8 / 7).next_power_of_two() };
    buckets * (slot + 1)
}

pub use hash::Hash;
pub use indexed::Indexed;
pub use list::List;
pub use set::Set;
pub use stream::Stream;
pub use zset::ZSet;
