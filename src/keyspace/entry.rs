//! What a key maps to: a value and an optional expiry time.

use bytes::Bytes;

/// Milliseconds since the Unix epoch, the unit of every expiry time.
pub type UnixMillis = u64;

/// The current time as [`UnixMillis`].
pub fn now_ms() -> UnixMillis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A stored value.
///
/// Collections (lists, hashes, sets, sorted sets, streams) join this enum as
/// they arrive; every backend hands commands a `&mut Entry` under its per-key
/// lock, so a collection is always changed in place, never copied.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string: any bytes, up to `proto-max-bulk-len`.
    Str(Bytes),
}

impl Value {
    /// The name `TYPE` replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
        }
    }
}

/// A value and when it expires.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub value: Value,
    /// Absolute expiry time; `None` for a key that never expires.
    pub expires_at: Option<UnixMillis>,
}

impl Entry {
    /// A string that never expires.
    pub fn string(b: Bytes) -> Entry {
        Entry { value: Value::Str(b), expires_at: None }
    }

    /// Whether this entry is logically gone at time `now`.
    pub fn is_expired(&self, now: UnixMillis) -> bool {
        matches!(self.expires_at, Some(t) if t <= now)
    }

    /// A cheap stand-in left behind while an entry is moved out of a map
    /// slot for the length of one update (no allocation).
    pub(crate) const PLACEHOLDER: Entry = Entry { value: Value::Str(Bytes::new()), expires_at: None };
}
