//! The server: sockets, connections and the state every command shares.
//!
//! [`run`] (the binary) and [`spawn`] (tests, benchmarks) both build a
//! [`Shared`] for the chosen backend, start the active-expiry thread, and
//! accept connections on a tokio multi-thread runtime, one task per
//! connection (see [`connection`]). Shutdown (SIGINT, SIGTERM, the
//! SHUTDOWN command, or [`ServerHandle::stop`]) stops accepting, lets each
//! connection finish the batch it is executing, waits for every connection
//! task to end (at most `SHUTDOWN_GRACE`), then stops the expiry thread
//! and writes and fsyncs the write-ahead log.

pub mod auth;
pub mod blocking;
pub mod clients;
pub mod connection;
mod expire;
pub mod limits;
pub mod pubsub;
pub mod recovery;
pub mod slowlog;

use crate::cmd::CommandTable;
use crate::config::Config;
use crate::keyspace::gate::Gate;
use crate::keyspace::{Db, Keyspace};
use crate::metrics::prometheus::Endpoint;
use crate::metrics::rate::Rate;
use crate::resp::Protocol;
pub use clients::{ClientInfo, ClientState, Clients, Multi};
use parking_lot::RwLock;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use structures::counter::StripedCounter;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

/// Server-wide counters (INFO stats).
pub struct Stats {
    pub total_connections_received: AtomicU64,
    pub rejected_connections: AtomicU64,
    /// CONFIG RESETSTAT's baselines: what the derived totals read at the
    /// last reset (the live figures are summed from per-client and per-db
    /// counters, which are never zeroed).
    pub commands_at_reset: AtomicU64,
    pub expired_keys_at_reset: AtomicU64,
    pub keyspace_hits_at_reset: AtomicU64,
    pub keyspace_misses_at_reset: AtomicU64,
    pub net_input_at_reset: AtomicU64,
    pub net_output_at_reset: AtomicU64,
    /// Bytes read from and written to client sockets, added once per read
    /// or write (not per command) on the calling worker's own stripe.
    pub net_input_bytes: StripedCounter,
    pub net_output_bytes: StripedCounter,
    /// INFO's `instantaneous_*` rates of commands and bytes, sampled by
    /// the active-expiry thread (see [`crate::metrics::rate`]).
    pub ops_rate: Rate,
    pub net_input_rate: Rate,
    pub net_output_rate: Rate,
}

impl Stats {
    fn new(workers: usize) -> Stats {
        let stripes = (workers.max(1) * 2).next_power_of_two();
        Stats {
            total_connections_received: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            commands_at_reset: AtomicU64::new(0),
            expired_keys_at_reset: AtomicU64::new(0),
            keyspace_hits_at_reset: AtomicU64::new(0),
            keyspace_misses_at_reset: AtomicU64::new(0),
            net_input_at_reset: AtomicU64::new(0),
            net_output_at_reset: AtomicU64::new(0),
            net_input_bytes: StripedCounter::new(stripes),
            net_output_bytes: StripedCounter::new(stripes),
            ops_rate: Rate::new(0),
            net_input_rate: Rate::new(0),
            net_output_rate: Rate::new(0),
        }
    }
}

/// The parameters CONFIG SET may change while the server runs; everything
/// else is fixed at startup in [`Config`]. Several are stored and reported
/// but not yet acted on (see `cmd::config`).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub hz: u32,
    pub maxclients: u64,
    /// Idle seconds before a client is closed (0: never).
    pub timeout: u64,
    /// Bytes (0: no limit).
    pub maxmemory: u64,
    pub maxmemory_policy: &'static str,
    pub appendfsync: &'static str,
    /// RDB snapshot points, `"seconds changes ..."`; empty: none.
    pub save: String,
    /// Microseconds a command must run to enter the slow log (-1: none).
    /// Mirrored into [`slowlog::SlowLog`], which commands read lock-free.
    pub slowlog_log_slower_than: i64,
    /// Entries the slow log keeps.
    pub slowlog_max_len: u64,
    /// Client limits, mirrored into [`limits::Live`] for the connections.
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    pub client_output_buffer_limit: limits::OutputLimits,
    /// The default user's password (`requirepass`); empty: none. Mirrored
    /// into [`auth::Auth`], which the per-command check reads lock-free.
    pub requirepass: String,
    /// Refuse non-local clients while there is no password (see [`auth`]).
    pub protected_mode: bool,
}

impl Settings {
    /// The settings at startup: the flags, then the config file's CONFIG
    /// SET-able parameters (already checked when the file was read).
    pub(crate) fn from_config(config: &Config) -> Settings {
        let mut settings = Settings::defaults(config);
        for (name, value) in &config.file_settings {
            if let Some(Err(why)) = crate::cmd::config::set_param(&mut settings, name, value.as_bytes()) {
                eprintln!("convoy: config file: {name}: {why}");
            }
        }
        settings
    }

    /// The settings the flags alone give (no config file): CONFIG
    /// REWRITE's defaults.
    pub(crate) fn defaults(config: &Config) -> Settings {
        Settings {
            hz: config.hz,
            maxclients: config.maxclients,
            timeout: config.timeout,
            maxmemory: 0,
            maxmemory_policy: "noeviction",
            appendfsync: config.appendfsync.name(),
            save: String::new(),
            slowlog_log_slower_than: 10_000,
            slowlog_max_len: 128,
            proto_max_bulk_len: config.proto_max_bulk_len,
            client_query_buffer_limit: config.client_query_buffer_limit,
            client_output_buffer_limit: {
                let mut l = limits::OutputLimits::default();
                for value in &config.client_output_buffer_limit {
                    l.apply(value).expect("checked by the flag's parser");
                }
                l
            },
            requirepass: config.requirepass.clone().unwrap_or_default(),
            protected_mode: config.protected_mode,
        }
    }
}

/// What every connection and command shares.
pub struct Shared<K> {
    pub config: Config,
    pub backend_name: &'static str,
    pub dbs: Box<[Db<K>]>,
    pub gate: Gate,
    pub commands: CommandTable<K>,
    /// Clients blocked in BLPOP and friends, by key.
    pub blocking: blocking::Blocking,
    pub clients: Clients,
    /// Who listens to which pub/sub channel.
    pub pubsub: pubsub::PubSub,
    pub stats: Stats,
    /// Run-time parameters (CONFIG GET/SET). Read rarely (INFO, CONFIG),
    /// never on the per-command path, so one lock is enough.
    pub settings: RwLock<Settings>,
    pub started: Instant,
    /// The address the listener is bound to.
    pub local_addr: SocketAddr,
    /// Set to `true` to begin shutdown.
    pub shutdown: watch::Sender<bool>,
    /// The write-ahead log, with `--appendonly yes`.
    pub wal: Option<Arc<crate::wal::Wal>>,
    /// Per-command statistics (`--metrics`).
    pub metrics: crate::metrics::Metrics,
    /// The slowest recent commands (SLOWLOG).
    pub slowlog: slowlog::SlowLog,
    /// Client limits, read by connections without the settings lock.
    pub limits: Arc<limits::Live>,
    /// Whether a password is required (see [`auth`]).
    pub auth: auth::Auth,
}

impl<K: Keyspace> Shared<K> {
    fn new(config: Config, local_addr: SocketAddr) -> Self {
        let commands = CommandTable::new();
        let settings = Settings::from_config(&config);
        Shared {
            backend_name: K::NAME,
            dbs: (0..config.databases.max(1)).map(|_| Db::new()).collect(),
            gate: Gate::new(config.gate),
            metrics: crate::metrics::Metrics::new(config.metrics, commands.slot_names(), config.worker_threads()),
            commands,
            blocking: blocking::Blocking::default(),
            clients: Clients::default(),
            pubsub: pubsub::PubSub::new(),
            stats: Stats::new(config.worker_threads()),
            slowlog: slowlog::SlowLog::new(settings.slowlog_log_slower_than, settings.slowlog_max_len),
            limits: Arc::new(limits::Live::new(&settings)),
            auth: auth::Auth::new(&settings.requirepass),
            settings: RwLock::new(settings),
            started: Instant::now(),
            local_addr,
            shutdown: watch::channel(false).0,
            wal: None,
            config,
        }
    }

    /// With `--appendonly yes`: replay the log in `--dir`, then open it for
    /// appending and have every database log the keys it expires.
    fn open_wal(&mut self) -> std::io::Result<()> {
        if !self.config.appendonly {
            return Ok(());
        }
        std::fs::create_dir_all(&self.config.dir)?;
        let path = self.config.dir.join(crate::wal::FILE_NAME);
        let valid_len = recovery::replay(self, &path, self.config.aof_truncate_corrupt)?;
        let wal = Arc::new(crate::wal::Wal::open(
            &self.config.dir,
            self.config.appendfsync,
            self.config.group_commit,
            valid_len,
        )?);
        for (index, db) in self.dbs.iter().enumerate() {
            let wal = wal.clone();
            // Called inside the removing update, under the key's stripe
            // (writers and active expiry hold it): logged in order.
            db.on_expired(Box::new(move |key| {
                let to_rewrite = wal.rewrite_wants(index, key);
                wal.append(index, &[b"DEL", key], to_rewrite);
            }));
        }
        self.wal = Some(wal);
        Ok(())
    }

    /// Commands processed since start (or CONFIG RESETSTAT), by every
    /// client past and present.
    pub fn total_commands_processed(&self) -> u64 {
        self.commands_since_start().saturating_sub(self.stats.commands_at_reset.load(Ordering::Relaxed))
    }

    fn commands_since_start(&self) -> u64 {
        self.clients.total_commands()
    }

    /// Keys removed by expiry in every database since start (or CONFIG
    /// RESETSTAT).
    pub fn expired_keys(&self) -> u64 {
        let all: u64 = self.dbs.iter().map(|db| db.expired_keys()).sum();
        all.saturating_sub(self.stats.expired_keys_at_reset.load(Ordering::Relaxed))
    }

    /// Read lookups that found their key (`keyspace_hits`) and that did
    /// not (`keyspace_misses`), in every database, since start (or CONFIG
    /// RESETSTAT). See [`Db::get`] for what counts.
    pub fn keyspace_lookups(&self) -> (u64, u64) {
        let (hits, misses) = self.lookups_since_start();
        (
            hits.saturating_sub(self.stats.keyspace_hits_at_reset.load(Ordering::Relaxed)),
            misses.saturating_sub(self.stats.keyspace_misses_at_reset.load(Ordering::Relaxed)),
        )
    }

    fn lookups_since_start(&self) -> (u64, u64) {
        self.dbs.iter().map(|db| db.lookups()).fold((0, 0), |(h, m), (dh, dm)| (h + dh, m + dm))
    }

    /// Bytes read from and written to client sockets since start (or
    /// CONFIG RESETSTAT).
    pub fn net_bytes(&self) -> (u64, u64) {
        (
            self.stats.net_input_bytes.sum().saturating_sub(self.stats.net_input_at_reset.load(Ordering::Relaxed)),
            self.stats.net_output_bytes.sum().saturating_sub(self.stats.net_output_at_reset.load(Ordering::Relaxed)),
        )
    }

    /// Take one sample of each instantaneous rate (the active-expiry
    /// thread calls this every [`SAMPLE_PERIOD`](crate::metrics::rate::SAMPLE_PERIOD)).
    /// Samples the raw counters, which CONFIG RESETSTAT never lowers.
    pub fn sample_rates(&self, now: Instant) {
        self.stats.ops_rate.sample(self.commands_since_start(), now);
        self.stats.net_input_rate.sample(self.stats.net_input_bytes.sum(), now);
        self.stats.net_output_rate.sample(self.stats.net_output_bytes.sum(), now);
    }

    /// CONFIG RESETSTAT: zero the INFO stats counters (not the slow log,
    /// which has SLOWLOG RESET, as in Redis).
    pub fn reset_stats(&self) {
        let expired: u64 = self.dbs.iter().map(|db| db.expired_keys()).sum();
        let commands = self.commands_since_start();
        let (hits, misses) = self.lookups_since_start();
        let (input, output) = (self.stats.net_input_bytes.sum(), self.stats.net_output_bytes.sum());
        self.stats.commands_at_reset.store(commands, Ordering::Relaxed);
        self.stats.expired_keys_at_reset.store(expired, Ordering::Relaxed);
        self.stats.keyspace_hits_at_reset.store(hits, Ordering::Relaxed);
        self.stats.keyspace_misses_at_reset.store(misses, Ordering::Relaxed);
        self.stats.net_input_at_reset.store(input, Ordering::Relaxed);
        self.stats.net_output_at_reset.store(output, Ordering::Relaxed);
        self.stats.ops_rate.reset(commands);
        self.stats.net_input_rate.reset(input);
        self.stats.net_output_rate.reset(output);
        self.stats.total_connections_received.store(0, Ordering::Relaxed);
        self.stats.rejected_connections.store(0, Ordering::Relaxed);
        self.metrics.reset();
    }

    /// The protocol new connections start with.
    pub fn default_protocol(&self) -> Protocol {
        Protocol::Resp2
    }
}

/// A server running on its own runtime thread, stopped by [`stop`](Self::stop)
/// or on drop.
pub struct ServerHandle {
    pub addr: SocketAddr,
    /// The `/metrics` endpoint's address, with `--metrics-port`.
    pub metrics_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerHandle {
    /// Stop the server and wait until every connection has closed.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        // `send_replace`, not `send`: `send` drops the value when nothing
        // subscribes yet (a stop right after spawn, before `serve` has
        // subscribed), and the server would then never stop.
        self.shutdown.send_replace(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// The shared state of a server that has no listener, no threads and no
/// write-ahead log (`config.appendonly` is ignored), and a client
/// registered with it, for running commands in-process with
/// [`crate::cmd::execute`]: the `execute` fuzz target in `fuzz/` uses it,
/// so that fuzzing needs neither sockets nor files. Pushed messages
/// (SUBSCRIBE) wait in the returned receiver.
pub fn in_process<K: Keyspace>(config: Config) -> (Arc<Shared<K>>, ClientState, clients::PushReceiver) {
    let addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let shared = Arc::new(Shared::new(config, addr));
    let info = shared.clients.register(addr, addr, -1);
    let (push_tx, pushes) = clients::push_channel(Some(shared.limits.clone()));
    let client = ClientState::new(info, shared.default_protocol(), push_tx);
    (shared, client, pushes)
}

/// Start a server in the background (its own runtime, on its own thread)
/// and return once it is listening. `config.port` 0 picks a free port.
pub fn spawn(config: Config) -> std::io::Result<ServerHandle> {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new().name("convoy-server".into()).spawn(move || {
        let park = ParkHook::default();
        let runtime = match build_runtime(&config, &park) {
            Ok(r) => r,
            Err(e) => return drop(tx.send(Err(e))),
        };
        runtime.block_on(async move {
            let backend = config.backend.name();
            crate::with_backend!(backend, K => {
                match bind::<K>(config, &park).await {
                    Ok((listener, shared, endpoint)) => {
                        let metrics_addr = endpoint.as_ref().and_then(|e| e.local_addr().ok());
                        let _ = tx.send(Ok((shared.local_addr, metrics_addr, shared.shutdown.clone())));
                        serve(listener, shared, endpoint).await;
                    }
                    Err(e) => drop(tx.send(Err(e))),
                }
            }, _ => unreachable!("clap only accepts known backends"))
        });
    })?;
    let (addr, metrics_addr, shutdown) = rx.recv().map_err(|_| std::io::Error::other("server thread died"))??;
    Ok(ServerHandle { addr, metrics_addr, shutdown, thread: Some(thread) })
}

/// Run a server in the foreground until SIGINT or SIGTERM.
pub fn run(config: Config) -> std::io::Result<()> {
    limits::raise_fd_limit(config.maxclients);
    let park = ParkHook::default();
    let runtime = build_runtime(&config, &park)?;
    runtime.block_on(async move {
        let backend = config.backend.name();
        crate::with_backend!(backend, K => {
            let (listener, shared, endpoint) = bind::<K>(config, &park).await?;
            eprintln!(
                "convoy {} listening on {} (backend {}, {} threads, {} databases)",
                env!("CARGO_PKG_VERSION"), shared.local_addr, K::NAME,
                shared.config.worker_threads(), shared.dbs.len()
            );
            if let Some(addr) = endpoint.as_ref().and_then(|e| e.local_addr().ok()) {
                eprintln!("convoy: metrics at http://{addr}{}", crate::metrics::prometheus::PATH);
            }
            let shutdown = shared.shutdown.clone();
            tokio::spawn(async move {
                wait_for_signal().await;
                shutdown.send_replace(true);
                // Not eprintln!: a closed stderr must not stop the shutdown.
                let _ = writeln!(std::io::stderr(), "convoy: signal received, shutting down");
            });
            serve(listener, shared, endpoint).await;
            let _ = writeln!(std::io::stderr(), "convoy: bye");
            Ok(())
        }, _ => unreachable!("clap only accepts known backends"))
    })
}

/// The write-ahead log, once open, for the runtime's park hook.
type ParkHook = Arc<std::sync::OnceLock<Arc<crate::wal::Wal>>>;

/// The runtime: `--threads` workers. A worker that runs out of ready
/// connections and is about to sleep asks the write-ahead log to write
/// (and fsync) what they appended: group commit's trigger, the analogue of
/// Redis's `beforeSleep` (see [`crate::wal::Wal::kick`]).
fn build_runtime(config: &Config, park: &ParkHook) -> std::io::Result<tokio::runtime::Runtime> {
    let park = park.clone();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.worker_threads())
        .thread_name("convoy-worker")
        .on_thread_park(move || {
            if let Some(wal) = park.get() {
                wal.kick();
            }
        })
        .enable_all()
        .build()
}

/// The server's listener, its shared state, and the `/metrics` endpoint
/// (with `--metrics-port`).
type Bound<K> = (TcpListener, Arc<Shared<K>>, Option<Endpoint>);

async fn bind<K: Keyspace>(config: Config, park: &ParkHook) -> std::io::Result<Bound<K>> {
    let listener = limits::listen(config.bind.as_str(), config.port).await?;
    let endpoint = Endpoint::bind(&config.bind, config.metrics_port).await?;
    let addr = listener.local_addr()?;
    let mut shared = Shared::new(config, addr);
    shared.open_wal()?;
    if let Some(wal) = &shared.wal {
        let _ = park.set(wal.clone());
    }
    Ok((listener, Arc::new(shared), endpoint))
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// How long shutdown waits for connections to write their last replies.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Accept connections until shutdown, then wait for them all to end.
/// The `/metrics` endpoint, if any, runs beside them and stops at the same
/// signal.
async fn serve<K: Keyspace>(listener: TcpListener, shared: Arc<Shared<K>>, endpoint: Option<Endpoint>) {
    let endpoint = endpoint.map(|e| tokio::spawn(e.serve(shared.clone())));
    let expiry = expire::start(shared.clone());
    let wal_threads = shared.wal.as_ref().map(|_| WalThreads::start(shared.clone()));
    let idle_sweeper = tokio::spawn(limits::idle_sweeper(shared.clone()));
    let mut shutdown = shared.shutdown.subscribe();
    // Each connection task holds a clone of `alive`; when all are dropped,
    // `all_done` yields None: every connection has finished.
    let (alive, mut all_done) = mpsc::channel::<()>(1);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, _)) if !shared.limits.admit() => {
                    shared.stats.rejected_connections.fetch_add(1, Ordering::Relaxed);
                    tokio::spawn(limits::refuse(socket));
                }
                Ok((socket, peer)) => {
                    let shared = shared.clone();
                    let alive = alive.clone();
                    tokio::spawn(async move {
                        connection::handle(socket, peer, shared.clone()).await;
                        shared.limits.closed();
                        drop(alive);
                    });
                }
                Err(e) => {
                    // Out of descriptors and the like: back off briefly
                    // instead of spinning.
                    eprintln!("convoy: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
    drop(listener);
    drop(alive);
    // Every connection finishes the batch it is executing and writes its
    // replies. A client that never reads could hold its task in a write
    // for ever: after SHUTDOWN_GRACE the log is closed anyway (such a
    // task's commands have all run and been logged; only its replies are
    // lost, and the runtime drops it on exit).
    if tokio::time::timeout(SHUTDOWN_GRACE, all_done.recv()).await.is_err() {
        let _ =
            writeln!(std::io::stderr(), "convoy: clients did not take their replies in {SHUTDOWN_GRACE:?}; closing");
    }
    let _ = idle_sweeper.await;
    if let Some(endpoint) = endpoint {
        let _ = endpoint.await;
    }
    expiry.stop();
    if let Some(threads) = wal_threads {
        threads.stop();
    }
}

/// The write-ahead log's flusher and rewriter threads.
struct WalThreads {
    stop: Arc<std::sync::atomic::AtomicBool>,
    wal: Arc<crate::wal::Wal>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl WalThreads {
    fn start<K: Keyspace>(shared: Arc<Shared<K>>) -> WalThreads {
        let wal = shared.wal.clone().expect("log open");
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut threads = Vec::new();
        let flusher = wal.clone();
        threads.push(
            std::thread::Builder::new()
                .name("convoy-wal-flush".into())
                .spawn(move || flusher.run_flusher())
                .expect("spawn flusher"),
        );
        let flag = stop.clone();
        threads.push(
            std::thread::Builder::new()
                .name("convoy-wal-rewrite".into())
                .spawn(move || {
                    let wal = shared.wal.as_deref().expect("log open");
                    crate::wal::rewrite::serve(wal, &shared.dbs, &shared.gate, &flag)
                })
                .expect("spawn rewriter"),
        );
        WalThreads { stop, wal, threads }
    }

    /// Let a running rewrite finish, then write and fsync what is left.
    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wal.rewrites.wake_for_stop();
        self.wal.stop();
        for t in self.threads {
            let _ = t.join();
        }
        self.wal.close();
    }
}
