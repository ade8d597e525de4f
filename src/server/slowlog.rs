//! The slow log: the most recent commands that ran for at least
//! `slowlog-log-slower-than` microseconds, at most `slowlog-max-len` of
//! them, newest first (SLOWLOG GET, see [`crate::cmd::slowlog`]).
//!
//! # Why it lives in `server/`
//!
//! An entry keeps what a request said (its arguments) and who said it (the
//! client's address and name): facts about requests and connections, which
//! `metrics/` by design does not know (it knows counters and histograms).
//! Like the client registry and the pub/sub registry, the log is state the
//! server shares between connections, so it sits beside them.
//!
//! # Cost
//!
//! Every command that ran passes by the log, so the question "is this call
//! slow?" must be nearly free: the threshold is an atomic, mirrored from
//! the run-time [`Settings`](super::Settings) by CONFIG SET, and read with
//! one relaxed load, no lock. Only a call that *is* slow takes the log's
//! lock, copies its arguments and pushes an entry. With the default
//! threshold (10 ms) that is rare; with `slowlog-log-slower-than 0` every
//! command takes the lock, which is what that setting asks for.
//!
//! The duration is the one [`Metrics::record`](crate::metrics::Metrics::record)
//! measured for the command statistics. With `--metrics off` no clock is
//! read at all, so there is no duration and the slow log stays empty: the
//! baseline mode measures nothing, and this is part of nothing.
//!
//! # As Redis
//!
//! An entry holds at most 32 arguments (the 32nd replaced by
//! `... (N more arguments)`), each cut to 128 bytes (followed by
//! `... (N more bytes)`): Redis's `SLOWLOG_ENTRY_MAX_ARGC` and
//! `SLOWLOG_ENTRY_MAX_STRING`, so that a huge MSET costs the log a few
//! kilobytes, not its size. Ids grow from 0 and are not reset by SLOWLOG
//! RESET. The log is trimmed to its maximum length when an entry is pushed
//! (lowering `slowlog-max-len` takes effect at the next slow command), and
//! with a maximum of 0 entries are made and dropped at once, ids included.

use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Arguments an entry keeps, the last one standing for the rest.
pub const MAX_ARGS: usize = 32;
/// Bytes an argument keeps.
pub const MAX_ARG_BYTES: usize = 128;

/// One slow call.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: u64,
    /// Unix time, in seconds, when it was logged.
    pub time: u64,
    pub duration_us: u64,
    /// The arguments, command name first, shortened as the module doc says.
    pub args: Vec<Bytes>,
    /// The client's address, `ip:port`.
    pub peer: String,
    /// The client's name, empty if it has none.
    pub name: Bytes,
}

/// See the module documentation.
pub struct SlowLog {
    /// Microseconds a call must last to be logged; negative: log nothing.
    /// Written by CONFIG SET (under the settings lock), read by every
    /// command. Relaxed: a command may see the old threshold for a moment,
    /// which is harmless, and no other data is published through it.
    threshold_us: AtomicI64,
    /// Entries kept. Relaxed, as `threshold_us`; read under `log`'s lock.
    max_len: AtomicU64,
    log: Mutex<Log>,
}

struct Log {
    /// Newest first.
    entries: VecDeque<Entry>,
    next_id: u64,
}

impl SlowLog {
    pub fn new(threshold_us: i64, max_len: u64) -> SlowLog {
        SlowLog {
            threshold_us: AtomicI64::new(threshold_us),
            max_len: AtomicU64::new(max_len),
            log: Mutex::new(Log { entries: VecDeque::new(), next_id: 0 }),
        }
    }

    /// Take new settings (CONFIG SET `slowlog-log-slower-than`,
    /// `slowlog-max-len`).
    pub fn configure(&self, threshold_us: i64, max_len: u64) {
        self.threshold_us.store(threshold_us, Ordering::Relaxed);
        self.max_len.store(max_len, Ordering::Relaxed);
    }

    /// Whether a call that lasted `duration_us` belongs in the log: one
    /// relaxed load, no lock.
    pub fn is_slow(&self, duration_us: u64) -> bool {
        let threshold = self.threshold_us.load(Ordering::Relaxed);
        threshold >= 0 && duration_us >= threshold as u64
    }

    /// Log a call of `args` that lasted `duration_us`, by the client at
    /// `peer` named `name`. Arguments for which `redacted` says yes (a
    /// password) are logged as `(redacted)`. Takes the log's lock.
    pub fn push(
        &self,
        args: &[Bytes],
        redacted: impl Fn(usize) -> bool,
        duration_us: u64,
        peer: SocketAddr,
        name: Option<Bytes>,
    ) {
        let time = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let args = shortened(args, redacted);
        let (peer, name) = (peer.to_string(), name.unwrap_or_default());
        let mut log = self.log.lock();
        let id = log.next_id;
        log.next_id += 1;
        log.entries.push_front(Entry { id, time, duration_us, args, peer, name });
        let max_len = self.max_len.load(Ordering::Relaxed);
        while log.entries.len() as u64 > max_len {
            log.entries.pop_back();
        }
    }

    /// The newest `count` entries (all of them if there are fewer), newest
    /// first.
    pub fn newest(&self, count: usize) -> Vec<Entry> {
        self.log.lock().entries.iter().take(count).cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.log.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drop every entry (SLOWLOG RESET); ids go on from where they were.
    pub fn reset(&self) {
        self.log.lock().entries.clear();
    }
}

/// An entry's copy of `args`, shortened as Redis's `slowlogCreateEntry`
/// shortens them. Every argument is copied: the originals are slices of
/// the connection's read buffer, which an entry must not pin.
fn shortened(args: &[Bytes], redacted: impl Fn(usize) -> bool) -> Vec<Bytes> {
    let kept = args.len().min(MAX_ARGS);
    (0..kept)
        .map(|i| {
            if kept != args.len() && i == kept - 1 {
                Bytes::from(format!("... ({} more arguments)", args.len() - kept + 1))
            } else if redacted(i) {
                Bytes::from_static(b"(redacted)")
            } else if args[i].len() > MAX_ARG_BYTES {
                let mut cut = BytesMut::with_capacity(MAX_ARG_BYTES + 32);
                cut.extend_from_slice(&args[i][..MAX_ARG_BYTES]);
                cut.extend_from_slice(format!("... ({} more bytes)", args[i].len() - MAX_ARG_BYTES).as_bytes());
                cut.freeze()
            } else {
                Bytes::copy_from_slice(&args[i])
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(n: usize) -> Vec<Bytes> {
        (0..n).map(|i| Bytes::from(i.to_string())).collect()
    }

    fn peer() -> SocketAddr {
        "127.0.0.1:5000".parse().unwrap()
    }

    /// 32 arguments are kept whole; 33 keep 31 and a note for the other two.
    #[test]
    fn long_commands_are_shortened() {
        assert_eq!(shortened(&args(32), |_| false), args(32));
        let cut = shortened(&args(33), |_| false);
        assert_eq!(cut.len(), 32);
        assert_eq!(cut[..31], args(31)[..]);
        assert_eq!(cut[31], "... (2 more arguments)");
        let long = vec![Bytes::from(vec![b'x'; 130])];
        let cut = shortened(&long, |_| false);
        assert_eq!(cut[0].len(), 128 + "... (2 more bytes)".len());
        assert!(cut[0].ends_with(b"x... (2 more bytes)"));
        assert_eq!(shortened(&args(3), |i| i == 2)[2], "(redacted)");
    }

    /// The threshold decides, negative disables, and the log keeps the
    /// newest `max_len` entries with ids that go on after a reset.
    #[test]
    fn threshold_trim_and_ids() {
        let log = SlowLog::new(10, 2);
        assert!(!log.is_slow(9) && log.is_slow(10));
        for i in 0..3 {
            log.push(&args(1 + i), |_| false, 10, peer(), None);
        }
        let newest = log.newest(10);
        assert_eq!(newest.iter().map(|e| e.id).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(newest[0].args.len(), 3);
        assert_eq!(newest[0].peer, "127.0.0.1:5000");
        log.reset();
        assert!(log.is_empty());
        log.configure(-1, 0);
        assert!(!log.is_slow(u64::MAX));
        log.push(&args(1), |_| false, 10, peer(), Some(Bytes::from("n")));
        assert!(log.is_empty(), "max-len 0 keeps nothing");
        log.configure(0, 5);
        log.push(&args(1), |_| false, 10, peer(), None);
        assert_eq!(log.newest(1)[0].id, 4, "ids go on over resets and dropped entries");
    }
}
