//! What a key maps to: a value and an optional expiry time.

use super::types::{Hash, List, Set, Stream, ZSet};
use bytes::{Bytes, BytesMut};
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

/// Milliseconds since the Unix epoch, the unit of every expiry time.
pub type UnixMillis = u64;

/// The current time as [`UnixMillis`].
pub fn now_ms() -> UnixMillis {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// A stored value.
///
/// Every backend hands commands a `&mut Entry` under its per-key lock, so a
/// collection is always changed in place, never copied: LPUSH onto a
/// million-element list touches one element. Collections are boxed so that
/// an entry stays small (a string is the common case).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string: any bytes, up to `proto-max-bulk-len`.
    Str(Str),
    List(Box<List>),
    Hash(Box<Hash>),
    Set(Box<Set>),
    ZSet(Box<ZSet>),
    Stream(Box<Stream>),
}

impl Value {
    /// Estimated heap bytes this value owns (MEMORY USAGE), from its
    /// representation: a string's buffer, a collection's box, tables and
    /// elements, the elements' sizes estimated from the first `samples`
    /// of them (see [`super::types::sampled`]). Allocator headers and
    /// rounding are not counted.
    pub fn heap_size(&self, samples: usize) -> usize {
        use std::mem::size_of;
        match self {
            Value::Str(s) => s.heap_size(),
            Value::List(l) => size_of::<List>() + l.heap_size(samples),
            Value::Hash(h) => size_of::<Hash>() + h.heap_size(samples),
            Value::Set(s) => size_of::<Set>() + s.heap_size(samples),
            Value::ZSet(z) => size_of::<ZSet>() + z.heap_size(samples),
            Value::Stream(s) => size_of::<Stream>() + s.heap_size(samples),
        }
    }

    /// The name `TYPE` replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// What `OBJECT ENCODING` replies: the encoding Redis 7 would use for
    /// the same value (by its default size thresholds). convoy's own
    /// representation is one per type, described in [`super::types`].
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Stream(_) => "stream",
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
    pub fn string(s: impl Into<Str>) -> Entry {
        Entry { value: Value::Str(s.into()), expires_at: None }
    }

    /// Whether this entry is logically gone at time `now`.
    pub fn is_expired(&self, now: UnixMillis) -> bool {
        matches!(self.expires_at, Some(t) if t <= now)
    }

    /// A cheap stand-in left behind while an entry is moved out of a map
    /// slot for the length of one update (no allocation).
    pub(crate) const PLACEHOLDER: Entry = Entry { value: Value::Str(Str::EMPTY), expires_at: None };
}

/// Longest string kept inside the entry itself.
pub const INLINE_STR: usize = 22;

/// A string value: up to [`INLINE_STR`] bytes inside the entry, longer
/// ones in a reference-counted `Bytes`.
///
/// Most values in a cache are short (counters, flags, ids; redis-benchmark
/// writes 3 bytes). Kept inline, a short value is read from the cache line
/// the map's lookup already brought in, instead of from a separate heap
/// block that costs one more cache miss per GET, and storing it allocates
/// nothing. Redis does the same with its `embstr` encoding (strings up to
/// 44 bytes share one allocation with their object header).
#[derive(Clone)]
pub enum Str {
    Inline { len: u8, bytes: [u8; INLINE_STR] },
    Shared(Bytes),
}

impl Str {
    pub const EMPTY: Str = Str::Inline { len: 0, bytes: [0; INLINE_STR] };

    /// A copy of `b`: inline if short, else one heap allocation.
    pub fn from_slice(b: &[u8]) -> Str {
        if b.len() <= INLINE_STR {
            let mut bytes = [0; INLINE_STR];
            bytes[..b.len()].copy_from_slice(b);
            Str::Inline { len: b.len() as u8, bytes }
        } else {
            Str::Shared(Bytes::copy_from_slice(b))
        }
    }

    /// Heap bytes of the string: none inline, else its length (the buffer
    /// may have spare capacity after APPEND, which `Bytes` does not tell).
    pub fn heap_size(&self) -> usize {
        match self {
            Str::Inline { .. } => 0,
            Str::Shared(b) => b.len(),
        }
    }

    /// The bytes, as a `Bytes` for a reply.
    ///
    /// Short values (up to 1 KiB) are copied into a fresh buffer; longer
    /// ones are shared by reference count. Sharing looks free but is not:
    /// cloning a stored `Bytes` writes its reference count (and the first
    /// clone of one built from a `Vec` even rewrites the stored handle), so
    /// every GET of a key would write a cache line that other cores read,
    /// and a hot key's line would bounce between them. A private copy of a
    /// few hundred bytes costs less than one such miss.
    pub fn to_bytes(&self) -> Bytes {
        const COPY_UP_TO: usize = 1024;
        match self {
            Str::Shared(b) if b.len() > COPY_UP_TO => b.clone(),
            s => Bytes::copy_from_slice(s),
        }
    }

    /// A writable buffer holding the string, taking over its allocation
    /// without a copy when no one else holds it, so that repeated appends
    /// grow one buffer in place (amortised doubling, like Redis's sds).
    /// Leaves the string empty.
    pub fn take_mut(&mut self) -> BytesMut {
        match std::mem::replace(self, Str::EMPTY) {
            Str::Shared(b) => b.try_into_mut().unwrap_or_else(|shared| BytesMut::from(&shared[..])),
            inline => BytesMut::from(&inline[..]),
        }
    }
}

impl Deref for Str {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Str::Inline { len, bytes } => &bytes[..*len as usize],
            Str::Shared(b) => b,
        }
    }
}

impl From<Bytes> for Str {
    /// Short strings are copied inline; long ones keep their buffer.
    fn from(b: Bytes) -> Str {
        if b.len() <= INLINE_STR {
            Str::from_slice(&b)
        } else {
            Str::Shared(b)
        }
    }
}

impl From<BytesMut> for Str {
    fn from(b: BytesMut) -> Str {
        Str::from(b.freeze())
    }
}

impl From<&[u8]> for Str {
    fn from(b: &[u8]) -> Str {
        Str::from_slice(b)
    }
}

impl Str {
    /// Redis's encoding name: `int` for a decimal that fits an i64, `embstr`
    /// up to 44 bytes, `raw` beyond.
    pub fn encoding(&self) -> &'static str {
        if self.len() <= 20 && crate::num::parse_i64(self).is_some() {
            "int"
        } else if self.len() <= 44 {
            "embstr"
        } else {
            "raw"
        }
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Str) -> bool {
        self[..] == other[..]
    }
}

impl Eq for Str {}

/// Hashes as the bytes do, so a collection keyed by `Str` can be searched
/// with a plain `&[u8]`.
impl std::hash::Hash for Str {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self[..].hash(state)
    }
}

impl Borrow<[u8]> for Str {
    fn borrow(&self) -> &[u8] {
        self
    }
}

/// Byte-wise order, as Redis compares members (`memcmp`).
impl Ord for Str {
    fn cmp(&self, other: &Str) -> std::cmp::Ordering {
        self[..].cmp(&other[..])
    }
}

impl PartialOrd for Str {
    fn partial_cmp(&self, other: &Str) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Short strings live inline, long ones on the heap; both read back.
    #[test]
    fn inline_and_shared() {
        let short = Str::from_slice(b"abc");
        assert!(matches!(short, Str::Inline { len: 3, .. }));
        assert_eq!(&short[..], b"abc");
        let long = Str::from(Bytes::from(vec![7u8; 100]));
        assert!(matches!(long, Str::Shared(_)));
        assert_eq!(long.len(), 100);
        assert_eq!(Str::from_slice(&[1; INLINE_STR]).len(), INLINE_STR);
        assert!(std::mem::size_of::<Str>() <= 40);
    }

    /// take_mut reuses a unique buffer and leaves the string empty.
    #[test]
    fn take_mut_reuses() {
        let mut s = Str::from(Bytes::from(vec![1u8; 64]));
        let ptr = s.as_ptr();
        let buf = s.take_mut();
        assert_eq!(buf.as_ptr(), ptr);
        assert!(s.is_empty());
    }
}
