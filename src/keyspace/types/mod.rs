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

pub use hash::Hash;
pub use indexed::Indexed;
pub use list::List;
pub use set::Set;
pub use stream::Stream;
pub use zset::ZSet;
