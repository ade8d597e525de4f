//! Connected clients: each connection's private state, and the registry
//! that CLIENT LIST, CLIENT KILL and INFO clients read.
//!
//! # Closing another client
//!
//! A connection task owns its socket; nothing else may close it. What
//! another task can do is ask it to close: each client's push channel has
//! a kill switch (a [`Notify`](tokio::sync::Notify) the connection awaits
//! beside its socket, see [`KillSwitch`]), first made to close a pub/sub
//! subscriber that falls too far behind. CLIENT KILL fires the same switch
//! through [`ClientInfo::kill`]: the connection wakes, even from inside a
//! blocked write or a blocking command, and closes, as Redis closes a
//! killed client asynchronously. A client that kills itself (`SKIPME no`)
//! is closed after its reply instead, as in Redis.

use crate::keyspace::watch::WatchFlag;
use crate::keyspace::Key;
use crate::resp::Protocol;
use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// What other connections may read about a client (CLIENT LIST). The
/// owning connection updates it once per batch of commands, not per
/// command; every field has its own atomic or tiny lock, written only by
/// the owner, so nothing here is contended.
pub struct ClientInfo {
    pub id: u64,
    pub addr: SocketAddr,
    pub laddr: SocketAddr,
    /// The socket's file descriptor (CLIENT LIST's `fd=`).
    pub fd: i32,
    pub created: Instant,
    pub db: AtomicUsize,
    /// 2 or 3.
    pub resp: AtomicU8,
    /// Milliseconds since `created` of the last command batch.
    pub last_interaction_ms: AtomicU64,
    /// Name of the last command run (lower case), for CLIENT LIST's `cmd=`.
    pub last_cmd: Mutex<&'static str>,
    pub name: Mutex<Option<Bytes>>,
    pub lib_name: Mutex<Option<Bytes>>,
    pub lib_ver: Mutex<Option<Bytes>>,
    /// Commands this client has run; written only by its connection.
    pub commands_processed: AtomicU64,
    /// What CLIENT LIST shows of the client's state (`flags`, `sub`,
    /// `psub`, `ssub`, `multi`), copied from its [`ClientState`] by its own
    /// connection after each batch ([`ClientState::publish_activity`]).
    pub activity: Activity,
    /// Fires the connection's kill switch (CLIENT KILL); set once the
    /// connection's [`ClientState`] exists.
    kill_switch: OnceLock<KillSwitch>,
}

/// See [`ClientInfo::activity`]. Relaxed atomics: each is written by one
/// connection and read by CLIENT LIST as a point-in-time report.
#[derive(Default)]
pub struct Activity {
    pub sub: AtomicUsize,
    pub psub: AtomicUsize,
    pub ssub: AtomicUsize,
    /// Commands queued since MULTI, or -1 outside a transaction.
    pub multi: AtomicI64,
    pub blocked: AtomicBool,
    /// A watched key changed (the next EXEC will fail).
    pub dirty_cas: AtomicBool,
}

impl Activity {
    /// Redis's `flags=` letters for this state, in Redis's order.
    pub fn flags(&self) -> String {
        let mut f = String::new();
        if self.sub.load(Ordering::Relaxed) + self.psub.load(Ordering::Relaxed) + self.ssub.load(Ordering::Relaxed) > 0
        {
            f.push('P');
        }
        if self.multi.load(Ordering::Relaxed) >= 0 {
            f.push('x');
        }
        if self.blocked.load(Ordering::Relaxed) {
            f.push('b');
        }
        if self.dirty_cas.load(Ordering::Relaxed) {
            f.push('d');
        }
        if f.is_empty() {
            f.push('N');
        }
        f
    }
}

impl ClientInfo {
    /// Note a read or write on the client's socket (Redis's
    /// `lastinteraction`, which the idle `timeout` and CLIENT LIST's
    /// `idle=` measure from).
    pub fn touch(&self) {
        self.last_interaction_ms.store(self.created.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Time since the last read, write or command.
    pub fn idle(&self) -> std::time::Duration {
        let since_created = self.created.elapsed().as_millis() as u64;
        std::time::Duration::from_millis(since_created.saturating_sub(self.last_interaction_ms.load(Ordering::Relaxed)))
    }

    /// Seconds since the last read, write or command (CLIENT LIST's
    /// `idle=`).
    pub fn idle_secs(&self) -> u64 {
        let since_created = self.created.elapsed().as_millis() as u64;
        since_created.saturating_sub(self.last_interaction_ms.load(Ordering::Relaxed)) / 1000
    }

    /// Redis's client type (CLIENT LIST/KILL `TYPE`): `pubsub` while the
    /// client listens to a channel, pattern or shard channel, `normal`
    /// otherwise (convoy has no replication, so no `master` or `replica`).
    pub fn kind(&self) -> &'static str {
        let a = &self.activity;
        let listening =
            a.sub.load(Ordering::Relaxed) + a.psub.load(Ordering::Relaxed) + a.ssub.load(Ordering::Relaxed) > 0;
        if listening {
            "pubsub"
        } else {
            "normal"
        }
    }

    /// Ask the client's connection to close (CLIENT KILL): it finishes the
    /// command it is running, if any, and closes at its next wait (for
    /// input, for a write, or in a blocking command); replies it had not
    /// written yet may be dropped. Whether this call closed it: `false` for
    /// a client already closing (killed before, or past its push limit).
    pub fn kill(&self) -> bool {
        self.kill_switch.get().is_some_and(KillSwitch::fire)
    }

    /// Resolves once the client was killed (or passed its push limit); for
    /// a connection to await where it waits for something else (a
    /// blocking command).
    pub async fn killed(&self) {
        match self.kill_switch.get() {
            Some(switch) => switch.fired().await,
            None => std::future::pending().await,
        }
    }
}

/// What travels on a client's push channel: a message to write, and the
/// bytes it is charged for.
#[derive(Debug)]
pub struct Push(pub crate::resp::Reply, pub usize);

/// Where messages for a client go that are not replies to its own
/// requests (pub/sub messages): its connection writes them out between
/// requests. A send never waits, so a publisher never waits for a slow
/// subscriber; a subscriber that falls behind by Redis's
/// `client-output-buffer-limit pubsub` (hard 32 MiB at once, or above
/// soft 8 MiB for more than 60 s, by default; see [`super::limits`]) is
/// closed instead of growing without bound.
#[derive(Clone, Debug)]
pub struct PushSender {
    tx: tokio::sync::mpsc::UnboundedSender<Push>,
    limit: Arc<Limit>,
}

/// Shared by both ends of a push channel.
#[derive(Debug, Default)]
struct Limit {
    /// Bytes sent and not yet written to the client's socket: in the
    /// channel, or taken by the connection into its output buffer and not
    /// yet written (as Redis's limit counts the client's whole output
    /// buffer). Counting only the channel would let a connection that
    /// drains it into a buffer it cannot write grow that buffer without
    /// bound.
    queued: AtomicUsize,
    /// Set once the limit was passed or the client was killed: nothing
    /// more is queued.
    over: AtomicBool,
    /// When `queued` was first seen above the soft limit (Unix ms; 0: it
    /// is not above it), checked by each send as Redis checks on each
    /// reply it adds.
    soft_since_ms: AtomicU64,
    /// The limits' current values (`None`: Redis's defaults).
    live: Option<Arc<super::limits::Live>>,
    /// Wakes the connection to close, even from inside a blocked write.
    /// Fired with `notify_one`, which leaves a permit if the connection is
    /// not waiting at that moment (it is running commands): its next wait
    /// takes the permit and closes. Only one wait is pending at a time.
    kill: tokio::sync::Notify,
}

/// The connection's end of a [`PushSender`].
pub struct PushReceiver {
    rx: tokio::sync::mpsc::UnboundedReceiver<Push>,
    limit: Arc<Limit>,
}

/// A new push channel, limited by `limits`' `pubsub` class (Redis's
/// defaults if `None`).
pub fn push_channel(limits: Option<Arc<super::limits::Live>>) -> (PushSender, PushReceiver) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let limit = Arc::new(Limit { live: limits, ..Limit::default() });
    (PushSender { tx, limit: limit.clone() }, PushReceiver { rx, limit })
}

impl PushSender {
    /// Queue `message` (about `size` bytes). Past the limit nothing more is
    /// queued and the connection is told to close, as Redis disconnects a
    /// pub/sub client past its output buffer limit.
    pub fn send(&self, message: crate::resp::Reply, size: usize) {
        // Relaxed throughout: the count and the flag only bound memory; no
        // data is published through them (the channel carries the data).
        if self.limit.over.load(Ordering::Relaxed) {
            return;
        }
        let before = self.limit.queued.fetch_add(size, Ordering::Relaxed);
        if self.over_limit(before + size) {
            self.limit.queued.fetch_sub(size, Ordering::Relaxed);
            if !self.limit.over.swap(true, Ordering::Relaxed) {
                self.limit.kill.notify_one();
            }
            return;
        }
        // A failed send means the connection has ended: nothing to do.
        let _ = self.tx.send(Push(message, size));
    }

    /// Whether `queued` bytes pass the `pubsub` output limit: the hard
    /// one at once, the soft one after its seconds above it.
    fn over_limit(&self, queued: usize) -> bool {
        let limit = match &self.limit.live {
            Some(live) => live.output_limit(true),
            None => super::limits::OutputLimits::default().pubsub,
        };
        let queued = queued as u64;
        if limit.hard > 0 && queued > limit.hard {
            return true;
        }
        if limit.soft > 0 && queued > limit.soft {
            let now = crate::keyspace::now_ms().max(1);
            let since = self.limit.soft_since_ms.load(Ordering::Relaxed);
            if since == 0 {
                self.limit.soft_since_ms.store(now, Ordering::Relaxed);
            } else if now.saturating_sub(since) > limit.soft_seconds * 1000 {
                return true;
            }
        } else {
            self.limit.soft_since_ms.store(0, Ordering::Relaxed);
        }
        false
    }

    /// The kill switch of this channel's connection (see
    /// [`PushReceiver::kill_switch`]).
    fn kill_switch(&self) -> KillSwitch {
        KillSwitch(self.limit.clone())
    }
}

impl PushReceiver {
    /// The next push, waiting for one. Its bytes still count against the
    /// limit until the connection reports them [`written`](Self::written).
    pub async fn recv(&mut self) -> Option<Push> {
        self.rx.recv().await
    }

    /// The next push if one is waiting (see [`recv`](Self::recv)).
    pub fn try_recv(&mut self) -> Option<Push> {
        self.rx.try_recv().ok()
    }

    /// The connection wrote `bytes` of pushed messages (the sizes their
    /// [`Push`]es were charged) to the socket.
    pub fn written(&self, bytes: usize) {
        self.limit.queued.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// A handle that resolves once the client passed the limit and must be
    /// closed (separate from the receiver, so both can be awaited at once).
    pub fn kill_switch(&self) -> KillSwitch {
        KillSwitch(self.limit.clone())
    }
}

/// See [`PushReceiver::kill_switch`].
pub struct KillSwitch(Arc<Limit>);

impl KillSwitch {
    /// Resolves once the client passed the push limit or was killed.
    pub async fn fired(&self) {
        self.0.kill.notified().await
    }

    /// Close the client. Relaxed: the flag only stops further pushes; the
    /// wake-up itself is the `Notify`, which synchronises on its own.
    /// Whether this call fired it (it had not fired before).
    fn fire(&self) -> bool {
        let first = !self.0.over.swap(true, Ordering::Relaxed);
        if first {
            self.0.kill.notify_one();
        }
        first
    }
}

/// A connection's private state, handed to every command it runs.
pub struct ClientState {
    pub info: Arc<ClientInfo>,
    /// The selected database.
    pub db: usize,
    pub protocol: Protocol,
    /// Set by QUIT (and protocol errors): close once the reply is written.
    pub close_after_reply: bool,
    /// This client's push channel (see [`PushSender`]).
    pub pushes: PushSender,
    /// The channels and patterns this client listens to (its half of the
    /// [pub/sub registry](super::pubsub)).
    pub pubsub: super::pubsub::Subscriptions,
    /// Commands queued since MULTI; `None` outside a transaction.
    pub multi: Option<Multi>,
    /// Raised when a key this client WATCHes changes.
    pub watch_flag: WatchFlag,
    /// The keys this client WATCHes: (database, key).
    pub watching: Vec<(usize, Key)>,
    /// EXEC has logged MULTI and owes the log an EXEC.
    pub wal_in_multi: bool,
    /// Authenticated (AUTH, HELLO ... AUTH), or connected while no
    /// password was set (see [`super::auth`]).
    pub authenticated: bool,
}

/// A transaction being queued.
#[derive(Debug, Default)]
pub struct Multi {
    pub queue: Vec<Vec<bytes::Bytes>>,
    /// Bytes of the queued arguments (they count against
    /// `client-query-buffer-limit`, as Redis's `argv_len_sums`).
    pub bytes: usize,
    /// A command was refused while queueing: EXEC will fail (EXECABORT).
    pub aborted: bool,
}

impl ClientState {
    pub fn new(info: Arc<ClientInfo>, protocol: Protocol, pushes: PushSender) -> ClientState {
        // The one place where a client's registry entry meets its channel:
        // from here on CLIENT KILL can reach the connection.
        let _ = info.kill_switch.set(pushes.kill_switch());
        ClientState {
            info,
            db: 0,
            protocol,
            close_after_reply: false,
            pushes,
            multi: None,
            watch_flag: WatchFlag::default(),
            watching: Vec::new(),
            pubsub: Default::default(),
            wal_in_multi: false,
            authenticated: true,
        }
    }

    pub fn id(&self) -> u64 {
        self.info.id
    }

    /// Select database `db` (bounds already checked).
    pub fn select(&mut self, db: usize) {
        self.db = db;
        self.info.db.store(db, Ordering::Relaxed);
    }

    /// Copy what CLIENT LIST reports of this client into its shared
    /// [`ClientInfo`] (after each batch, and before CLIENT LIST/INFO).
    pub fn publish_activity(&self) {
        use super::pubsub::Kind;
        let a = &self.info.activity;
        a.sub.store(self.pubsub.len(Kind::Channel), Ordering::Relaxed);
        a.psub.store(self.pubsub.len(Kind::Pattern), Ordering::Relaxed);
        a.ssub.store(self.pubsub.len(Kind::Shard), Ordering::Relaxed);
        a.multi.store(self.multi.as_ref().map_or(-1, |m| m.queue.len() as i64), Ordering::Relaxed);
        a.dirty_cas.store(self.watch_flag.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    /// Switch the reply protocol (HELLO).
    pub fn set_protocol(&mut self, p: Protocol) {
        self.protocol = p;
        self.info.resp.store(if p == Protocol::Resp3 { 3 } else { 2 }, Ordering::Relaxed);
    }
}

/// Every connected client, by id.
#[derive(Default)]
pub struct Clients {
    next_id: AtomicU64,
    by_id: Mutex<BTreeMap<u64, Arc<ClientInfo>>>,
    /// Commands run by clients that have disconnected.
    commands_of_closed: AtomicU64,
    /// [`allocated`](crate::metrics::alloc::allocated) when the first
    /// client connected (INFO's `used_memory_startup`).
    startup_memory: OnceLock<usize>,
}

impl Clients {
    /// Register a new connection; ids start at 1 and are never reused.
    pub fn register(&self, addr: SocketAddr, laddr: SocketAddr, fd: i32) -> Arc<ClientInfo> {
        // Before this client's first allocation.
        self.startup_memory.get_or_init(crate::metrics::alloc::allocated);
        // Relaxed: ids need only be distinct.
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let info = Arc::new(ClientInfo {
            id,
            addr,
            laddr,
            fd,
            created: Instant::now(),
            db: AtomicUsize::new(0),
            resp: AtomicU8::new(2),
            last_interaction_ms: AtomicU64::new(0),
            last_cmd: Mutex::new("NULL"),
            name: Mutex::new(None),
            lib_name: Mutex::new(None),
            lib_ver: Mutex::new(None),
            commands_processed: AtomicU64::new(0),
            activity: Activity { multi: AtomicI64::new(-1), ..Activity::default() },
            kill_switch: OnceLock::new(),
        });
        self.by_id.lock().insert(id, info.clone());
        info
    }

    /// Remove a client, moving its command count into the closed clients'
    /// total under the registry lock, so a concurrent
    /// [`total_commands`](Self::total_commands) counts it exactly once.
    pub fn unregister(&self, id: u64) {
        let mut by_id = self.by_id.lock();
        if let Some(info) = by_id.remove(&id) {
            let n = info.commands_processed.load(Ordering::Relaxed);
            self.commands_of_closed.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Commands run by every client, past and present.
    pub fn total_commands(&self) -> u64 {
        let by_id = self.by_id.lock();
        let live: u64 = by_id.values().map(|c| c.commands_processed.load(Ordering::Relaxed)).sum();
        live + self.commands_of_closed.load(Ordering::Relaxed)
    }

    /// A snapshot of every client, by ascending id.
    pub fn list(&self) -> Vec<Arc<ClientInfo>> {
        self.by_id.lock().values().cloned().collect()
    }

    pub fn count(&self) -> usize {
        self.by_id.lock().len()
    }

    /// Redis's `used_memory_startup`: bytes allocated (process-wide) when
    /// the first client connected, that is what the server allocated to
    /// start (its tables, runtime, log), before any client's buffers; the
    /// current figure if no client has connected yet.
    pub fn startup_memory(&self) -> usize {
        self.startup_memory.get().copied().unwrap_or_else(crate::metrics::alloc::allocated)
    }
}
