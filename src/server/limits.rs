//! Client limits: how many clients, how long one may idle, and how much
//! input and output one may make the server hold. Names, defaults and
//! error texts are Redis 7's (redis.conf), set by startup flags and
//! CONFIG SET alike.
//!
//! | parameter | default | what happens |
//! | --- | --- | --- |
//! | `maxclients` | 10000 | a client past it is sent `-ERR max number of clients reached` and closed; INFO's `rejected_connections` counts it |
//! | `timeout` | 0 (never) | a client idle (nothing read or written) for longer is closed, unless it is blocked (BLPOP ...) or subscribed, as Redis's `clientsCronHandleTimeout` |
//! | `proto-max-bulk-len` | 512mb | a longer bulk argument is `Protocol error: invalid bulk length`, and the connection closes |
//! | (multibulk count) | `INT_MAX` | a larger `*<n>` is `Protocol error: invalid multibulk length` (Redis has no parameter for it) |
//! | `client-query-buffer-limit` | 1gb | a client whose unparsed input (plus a MULTI's queued commands) passes it is closed, with a line on stderr |
//! | `client-output-buffer-limit` | `normal 0 0 0`, `pubsub 32mb 8mb 60` | a client whose unwritten output passes `hard` is closed at once; one that stays above `soft` for more than `seconds` is closed then |
//!
//! # What bounds what
//!
//! Memory per connection is bounded whatever the client sends or fails to
//! read:
//!
//! - **Input.** A connection reads into its buffer only what it has room
//!   for; complete requests are taken out and run. What stays is one
//!   incomplete request, which the parser bounds: a header line at most
//!   64 KiB, a bulk at most `proto-max-bulk-len`, and all of it at most
//!   `client-query-buffer-limit` (the connection closes past it). The
//!   parser reserves at most 1024 argument slots ahead of their bytes, so
//!   a large announced count costs nothing until the data arrives. While a
//!   client is blocked (BLPOP ...), reading stops at 1 MiB of input.
//! - **A transaction's queue.** MULTI's queued commands count against
//!   `client-query-buffer-limit` with the unparsed input, as Redis counts
//!   them (`argv_len_sums`).
//! - **Replies.** Unlike Redis, which keeps reading and running a client's
//!   requests while its replies wait, convoy applies backpressure: while a
//!   client's replies cannot be written, its connection reads nothing
//!   more, and a batch of pipelined requests writes its replies out
//!   whenever they pass [`FLUSH_AT`] (or the class's hard limit, if set
//!   higher), so a client that does not read holds at most that much plus
//!   one reply, even with Redis's default `normal 0 0 0` (unlimited). The
//!   limits act on top: bytes beyond the first [`STATIC_BUFFER`] of a
//!   batch's replies (Redis's reply list, which leaves out its 16 KiB
//!   static buffer) count; passing `hard` closes the client at once;
//!   staying above `soft` for more than `seconds` closes it, even while
//!   its write is stuck on a client that does not read.
//! - **Pushed messages** (pub/sub) are queued without waiting, so a
//!   publisher never waits for a slow subscriber; the bytes queued and not
//!   yet written count against the `pubsub` class (see
//!   [`super::clients::PushSender`]).
//! - **Clients.** At most `maxclients` connections are served; one more is
//!   accepted only to be told so and closed.
//!
//! # Where the values live
//!
//! The values are part of the [`Settings`] CONFIG reads and writes under a
//! lock; the connections read the copy here, in atomics, without one.
//! CONFIG SET writes both under the settings lock ([`Live::store`]), as the
//! slow log's mirror does. Relaxed loads and stores throughout: each value
//! stands alone, and a connection that sees a change one batch late is
//! within what Redis promises (its limits apply at its next check too).

use super::Settings;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Redis's default `maxclients`.
pub const DEFAULT_MAXCLIENTS: u64 = 10_000;
/// Redis's default `client-query-buffer-limit`: 1 GiB.
pub const DEFAULT_QUERY_BUFFER_LIMIT: u64 = 1024 * 1024 * 1024;
/// The least `proto-max-bulk-len` and `client-query-buffer-limit` Redis
/// accepts: 1 MiB.
pub const MIN_BUFFER_LIMIT: u64 = 1024 * 1024;
/// A batch of pipelined replies is written out once it passes this many
/// bytes (or the client's hard limit, if higher): see the module docs.
pub const FLUSH_AT: usize = 1024 * 1024;
/// Bytes of a batch's replies that do not count against an output limit,
/// as Redis's 16 KiB static reply buffer does not (`PROTO_REPLY_CHUNK_BYTES`).
pub const STATIC_BUFFER: usize = 16 * 1024;

/// One class of `client-output-buffer-limit`: bytes (0: none) and seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

/// `client-output-buffer-limit`, every class. `replica` is kept and
/// reported (CONFIG GET shows it as Redis does, under `slave`) but unused:
/// convoy has no replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLimits {
    pub normal: OutputLimit,
    pub replica: OutputLimit,
    pub pubsub: OutputLimit,
}

impl Default for OutputLimits {
    /// Redis's defaults.
    fn default() -> Self {
        const MB: u64 = 1024 * 1024;
        OutputLimits {
            normal: OutputLimit { hard: 0, soft: 0, soft_seconds: 0 },
            replica: OutputLimit { hard: 256 * MB, soft: 64 * MB, soft_seconds: 60 },
            pubsub: OutputLimit { hard: 32 * MB, soft: 8 * MB, soft_seconds: 60 },
        }
    }
}

impl OutputLimits {
    /// Apply `class hard soft seconds [class hard soft seconds ...]` (one
    /// or more classes; the others keep their values), all or nothing,
    /// with Redis's error texts. Sizes take Redis's units (`32mb`, `1k`).
    pub fn apply(&mut self, text: &str) -> Result<(), String> {
        let words: Vec<&str> = text.split_ascii_whitespace().collect();
        if words.is_empty() || words.len() % 4 != 0 {
            return Err("Wrong number of arguments in buffer limit configuration.".into());
        }
        let mut next = *self;
        for w in words.chunks_exact(4) {
            let class = match w[0].to_ascii_lowercase().as_str() {
                "normal" => &mut next.normal,
                "replica" | "slave" => &mut next.replica,
                "pubsub" => &mut next.pubsub,
                _ => return Err("Invalid client class specified in buffer limit configuration.".into()),
            };
            let bad = || "Error in hard, soft or soft_seconds setting in buffer limit configuration.".to_string();
            let hard = crate::cmd::config::memory(w[1].as_bytes()).map_err(|_| bad())?;
            let soft = crate::cmd::config::memory(w[2].as_bytes()).map_err(|_| bad())?;
            let soft_seconds: i64 = w[3].parse().map_err(|_| bad())?;
            if soft_seconds < 0 {
                return Err(bad());
            }
            *class = OutputLimit { hard, soft, soft_seconds: soft_seconds as u64 };
        }
        *self = next;
        Ok(())
    }

    /// As CONFIG GET shows it.
    pub fn render(&self) -> String {
        let one = |name: &str, l: &OutputLimit| format!("{name} {} {} {}", l.hard, l.soft, l.soft_seconds);
        format!("{} {} {}", one("normal", &self.normal), one("slave", &self.replica), one("pubsub", &self.pubsub))
    }
}

/// The `--client-output-buffer-limit` flag's check: the value applies
/// to the defaults.
pub fn parse_output_limit_flag(text: &str) -> Result<String, String> {
    OutputLimits::default().apply(text)?;
    Ok(text.to_string())
}

/// A byte count flag (`512mb`, `1gb`, plain bytes), checked as CONFIG SET
/// checks `proto-max-bulk-len` and `client-query-buffer-limit`.
pub fn parse_buffer_size_flag(text: &str) -> Result<u64, String> {
    crate::cmd::config::buffer_limit(text.as_bytes())
}

/// An output limit as the connections read it.
#[derive(Debug, Default)]
struct LiveClass {
    hard: AtomicU64,
    soft: AtomicU64,
    soft_seconds: AtomicU64,
}

impl LiveClass {
    fn store(&self, l: &OutputLimit) {
        self.hard.store(l.hard, Ordering::Relaxed);
        self.soft.store(l.soft, Ordering::Relaxed);
        self.soft_seconds.store(l.soft_seconds, Ordering::Relaxed);
    }

    fn load(&self) -> OutputLimit {
        OutputLimit {
            hard: self.hard.load(Ordering::Relaxed),
            soft: self.soft.load(Ordering::Relaxed),
            soft_seconds: self.soft_seconds.load(Ordering::Relaxed),
        }
    }
}

/// The limits as connections read them, without the settings lock (see
/// the module docs), and the count of open connections `maxclients` is
/// checked against.
#[derive(Debug, Default)]
pub struct Live {
    maxclients: AtomicU64,
    timeout: AtomicU64,
    proto_max_bulk_len: AtomicU64,
    query_buffer_limit: AtomicU64,
    normal: LiveClass,
    pubsub: LiveClass,
    /// Connections accepted and not yet ended (the accept loop counts
    /// them before their task starts, so a burst of connections cannot
    /// slip past `maxclients` before the first registers).
    open: AtomicUsize,
}

impl Live {
    pub fn new(settings: &Settings) -> Live {
        let live = Live::default();
        live.store(settings);
        live
    }

    /// Mirror `settings` (at start, and by CONFIG SET under the settings
    /// lock).
    pub fn store(&self, s: &Settings) {
        self.maxclients.store(s.maxclients, Ordering::Relaxed);
        self.timeout.store(s.timeout, Ordering::Relaxed);
        self.proto_max_bulk_len.store(s.proto_max_bulk_len, Ordering::Relaxed);
        self.query_buffer_limit.store(s.client_query_buffer_limit, Ordering::Relaxed);
        self.normal.store(&s.client_output_buffer_limit.normal);
        self.pubsub.store(&s.client_output_buffer_limit.pubsub);
    }

    /// The parser's limits for the next batch.
    pub fn parser(&self) -> crate::resp::parse::Limits {
        let bulk = self.proto_max_bulk_len.load(Ordering::Relaxed);
        crate::resp::parse::Limits { max_bulk_len: usize::try_from(bulk).unwrap_or(usize::MAX) }
    }

    pub fn query_buffer_limit(&self) -> usize {
        usize::try_from(self.query_buffer_limit.load(Ordering::Relaxed)).unwrap_or(usize::MAX)
    }

    /// The idle timeout, if any.
    pub fn timeout(&self) -> Option<Duration> {
        match self.timeout.load(Ordering::Relaxed) {
            0 => None,
            s => Some(Duration::from_secs(s)),
        }
    }

    pub fn output_limit(&self, pubsub: bool) -> OutputLimit {
        if pubsub {
            self.pubsub.load()
        } else {
            self.normal.load()
        }
    }

    /// The accept loop's admission: `true` (and counted open) if there is
    /// room for one more client, `false` if `maxclients` are connected.
    /// Every admitted connection must call [`closed`](Self::closed) once.
    pub fn admit(&self) -> bool {
        let max = usize::try_from(self.maxclients.load(Ordering::Relaxed)).unwrap_or(usize::MAX);
        // Only the accept loop increments, so a load then an add cannot
        // overshoot; a concurrent `closed` only makes room.
        if self.open.load(Ordering::Relaxed) >= max {
            return false;
        }
        self.open.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// An admitted connection ended.
    pub fn closed(&self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Redis's reply to a client past `maxclients`, written before closing it.
pub const MAX_CLIENTS_REACHED: &[u8] = b"-ERR max number of clients reached\r\n";

/// Tell a connection past `maxclients` so and close it, without waiting
/// long on a client that does not read (best effort, as in Redis).
pub async fn refuse(mut socket: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = socket.write_all(MAX_CLIENTS_REACHED).await;
        let _ = socket.shutdown().await;
    })
    .await;
}

/// Redis's default `tcp-backlog`: connections the kernel completes and
/// queues before the server accepts them. A burst past it is dropped and
/// retried by the client's kernel only after a second (tokio's own
/// default, 128 here, made a burst of a few hundred connections stall).
pub const TCP_BACKLOG: u32 = 511;

/// Bind and listen on `bind:port` with [`TCP_BACKLOG`] (and
/// `SO_REUSEADDR`, as Redis and tokio's own `bind` set it).
pub async fn listen(bind: &str, port: u16) -> std::io::Result<tokio::net::TcpListener> {
    let mut last = None;
    for addr in tokio::net::lookup_host((bind, port)).await? {
        let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        socket.set_reuseaddr(true)?;
        match socket.bind(addr).and_then(|()| socket.listen(TCP_BACKLOG)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address to bind")))
}

/// Raise the process's soft limit on open files toward `maxclients` plus
/// 32 for the listener, logs and the like (Redis's
/// `adjustOpenFilesLimit`), up to the hard limit; warn if that is not
/// enough. For the binary only: a library user (tests) manages its own.
/// Returns the soft limit in force afterwards.
// `rlim_t` is `u64` on Linux but not on every platform: the casts stay.
#[allow(clippy::unnecessary_cast)]
pub fn raise_fd_limit(maxclients: u64) -> u64 {
    let want = maxclients.saturating_add(32);
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid, writable rlimit for the call to fill.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 0;
    }
    if (lim.rlim_cur as u64) < want {
        let raised = libc::rlimit { rlim_cur: want.min(lim.rlim_max as u64) as libc::rlim_t, rlim_max: lim.rlim_max };
        // SAFETY: `raised` is a valid rlimit that outlives the call.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            lim = raised;
        }
    }
    let got = lim.rlim_cur as u64;
    if got < want {
        eprintln!(
            "convoy: maxclients {maxclients} needs {want} open files, but the limit is {got}: \
             clients past about {} will be refused by the OS (raise `ulimit -n`)",
            got.saturating_sub(32)
        );
    }
    got
}

/// One connection's view of its unwritten replies against its output
/// limit: when it first passed the soft limit.
#[derive(Debug, Default)]
pub struct OutputWatch {
    soft_since: Option<Instant>,
}

/// What [`OutputWatch::check`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Within,
    /// Over the hard limit, or over the soft one for too long: close.
    Close,
}

impl OutputWatch {
    /// Check `pending` bytes of replies not yet written against `limit`
    /// (Redis's `checkClientOutputBufferLimits`): close past `hard`, or
    /// after more than `soft_seconds` above `soft`; the soft clock
    /// restarts whenever the client drops below `soft`. Reads the clock
    /// only past the first [`STATIC_BUFFER`] bytes.
    pub fn check(&mut self, pending: usize, limit: OutputLimit) -> Verdict {
        if pending <= STATIC_BUFFER {
            self.soft_since = None;
            return Verdict::Within;
        }
        self.check_at(pending, limit, Instant::now())
    }

    /// [`check`](Self::check) at a given time.
    pub fn check_at(&mut self, pending: usize, limit: OutputLimit, now: Instant) -> Verdict {
        let counted = pending.saturating_sub(STATIC_BUFFER) as u64;
        if limit.hard > 0 && counted >= limit.hard {
            return Verdict::Close;
        }
        if limit.soft > 0 && counted >= limit.soft {
            let since = *self.soft_since.get_or_insert(now);
            if now.duration_since(since) > Duration::from_secs(limit.soft_seconds) {
                return Verdict::Close;
            }
        } else {
            self.soft_since = None;
        }
        Verdict::Within
    }

    /// When the client, still above its soft limit with nothing written,
    /// must be closed; `None` if it is not above it. For a write stuck on
    /// a client that does not read.
    pub fn soft_deadline(&self, limit: OutputLimit) -> Option<Instant> {
        let since = self.soft_since?;
        (limit.soft > 0).then(|| since + Duration::from_secs(limit.soft_seconds) + Duration::from_millis(1))
    }
}

/// Whether a client's unparsed input plus its MULTI queue passes
/// `client-query-buffer-limit`; if so, says so on stderr as Redis logs it
/// (`Closing client that reached max query buffer length`), and the
/// connection must close.
pub fn query_buffer_exceeded(live: &Live, client: &super::ClientState, input: &[u8]) -> bool {
    let queued = client.multi.as_ref().map_or(0, |m| m.bytes);
    if input.len().saturating_add(queued) <= live.query_buffer_limit() {
        return false;
    }
    let head: String = input[..input.len().min(64)].escape_ascii().to_string();
    eprintln!(
        "convoy: closing client that reached max query buffer length: id={} addr={} qbuf={} (qbuf initial bytes: \"{head}\")",
        client.info.id,
        client.info.addr,
        input.len()
    );
    true
}

/// Say on stderr that a client is closed for its output (as Redis logs it).
pub fn log_output_limit(info: &super::ClientInfo, pending: usize) {
    eprintln!(
        "convoy: client id={} addr={} closed for overcoming of output buffer limits (omem={pending})",
        info.id, info.addr
    );
}

/// When a batch's replies should be written out before the batch goes on
/// (see the module docs).
pub fn flush_at(limit: OutputLimit) -> usize {
    usize::try_from(limit.hard).unwrap_or(usize::MAX).saturating_add(STATIC_BUFFER).max(FLUSH_AT)
}

/// Close clients idle for longer than `timeout` (Redis's
/// `clientsCronHandleTimeout`): not those blocked in a blocking command,
/// nor subscribers. Idle is measured from the last read or write on the
/// socket. Runs about once a second while a timeout is set, until
/// shutdown, as Redis's `clientsCron` visits every client about once a
/// second.
pub async fn idle_sweeper<K: crate::keyspace::Keyspace>(shared: std::sync::Arc<super::Shared<K>>) {
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        let period = shared.limits.timeout().map_or(Duration::from_secs(1), |t| t.min(Duration::from_secs(1)));
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        let Some(timeout) = shared.limits.timeout() else { continue };
        for client in shared.clients.list() {
            let idle = client.idle();
            if idle > timeout && !client.activity.blocked.load(Ordering::Relaxed) && client.kind() != "pubsub" {
                client.kill();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CONFIG SET's syntax and Redis's error texts.
    #[test]
    fn output_limits_parse_and_render() {
        let mut l = OutputLimits::default();
        assert_eq!(l.render(), "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
        l.apply("normal 1mb 512kb 10").unwrap();
        l.apply("replica 1 2 3 pubsub 1k 2k 4").unwrap();
        assert_eq!(l.render(), "normal 1048576 524288 10 slave 1 2 3 pubsub 1000 2000 4");
        let before = l;
        assert_eq!(l.apply("normal 1mb"), Err("Wrong number of arguments in buffer limit configuration.".into()));
        assert_eq!(l.apply("foo 1 2 3"), Err("Invalid client class specified in buffer limit configuration.".into()));
        assert_eq!(
            l.apply("master 1 2 3"),
            Err("Invalid client class specified in buffer limit configuration.".into())
        );
        for bad in ["normal 1 2 -3", "normal x 2 3", "normal 1 2 3 pubsub 1 2 x"] {
            assert_eq!(
                l.apply(bad),
                Err("Error in hard, soft or soft_seconds setting in buffer limit configuration.".into())
            );
        }
        assert_eq!(l, before, "a refused value changes nothing");
    }

    /// Hard closes at once; soft only after its seconds, and its clock
    /// restarts below it; the first 16 KiB never count.
    #[test]
    fn output_watch() {
        let t0 = Instant::now();
        let mut w = OutputWatch::default();
        let hard = OutputLimit { hard: 1000, soft: 0, soft_seconds: 0 };
        assert_eq!(w.check_at(STATIC_BUFFER + 999, hard, t0), Verdict::Within);
        assert_eq!(w.check_at(STATIC_BUFFER + 1000, hard, t0), Verdict::Close);
        let soft = OutputLimit { hard: 0, soft: 100, soft_seconds: 2 };
        assert_eq!(w.check_at(STATIC_BUFFER + 100, soft, t0), Verdict::Within);
        assert_eq!(w.check_at(STATIC_BUFFER + 100, soft, t0 + Duration::from_secs(2)), Verdict::Within);
        assert!(w.soft_deadline(soft).is_some());
        assert_eq!(w.check_at(0, soft, t0 + Duration::from_secs(3)), Verdict::Within);
        assert_eq!(w.soft_deadline(soft), None);
        assert_eq!(w.check_at(STATIC_BUFFER + 100, soft, t0 + Duration::from_secs(3)), Verdict::Within);
        assert_eq!(w.check_at(STATIC_BUFFER + 100, soft, t0 + Duration::from_millis(5001)), Verdict::Close);
    }
}
