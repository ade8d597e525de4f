//! Startup flags. Names follow redis.conf where Redis has the option
//! (`--port`, `--bind`, `--databases`, `--hz`); convoy's own are
//! `--backend` and `--threads`.
//!
//! Without a subcommand the binary runs the server; `convoy wal inspect
//! FILE` and `convoy bench ...` run a tool instead ([`Tool`]), and take no
//! server flag.

use clap::{Parser, Subcommand, ValueEnum};

/// The keyspace backends, as `--backend` spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// One HashMap behind one global Mutex (the convoy baseline).
    Mutex,
    /// One HashMap behind one global RwLock.
    Rwlock,
    /// DashMap: a RwLock per shard.
    Dashmap,
    /// scc's HashMap: a lock per bucket, epoch-reclaimed arrays.
    Scc,
    /// flurry: Java's ConcurrentHashMap ported, epoch-reclaimed (unmaintained upstream; a historical baseline).
    Flurry,
    /// papaya: a lock-free table reclaimed by seize.
    Papaya,
    /// convoy's own split-ordered list (structures::map): lock-free, epoch-reclaimed, with exact reclamation counts.
    #[value(alias = "splitorder")]
    Lockfree,
}

impl Backend {
    /// The name `--backend` takes and INFO reports.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Mutex => "mutex",
            Backend::Rwlock => "rwlock",
            Backend::Dashmap => "dashmap",
            Backend::Scc => "scc",
            Backend::Flurry => "flurry",
            Backend::Papaya => "papaya",
            Backend::Lockfree => "lockfree",
        }
    }
}

/// convoy: a Redis-compatible server whose keyspace backend is chosen at startup.
#[derive(Debug, Clone, Parser)]
#[command(name = "convoy", version, about, long_about = None, args_conflicts_with_subcommands = true, args_override_self = true)]
pub struct Config {
    /// Keyspace backend. The default is the one measured fastest on the
    /// reference machine (2 cores; see papers/00-baseline.md).
    #[arg(long, value_enum, default_value = "mutex")]
    pub backend: Backend,

    /// TCP port to listen on (0: any free port).
    #[arg(long, default_value_t = 6379)]
    pub port: u16,

    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,

    /// Worker threads of the runtime (default: the number of cores).
    #[arg(long)]
    pub threads: Option<usize>,

    /// Number of databases (SELECT 0 to N-1).
    #[arg(long, default_value_t = 16)]
    pub databases: usize,

    /// How multi-key commands and transactions are made atomic: brlock (a
    /// per-thread reader lock, the default), rwlock (one global RwLock, the
    /// naive design), none (no atomicity: only for measuring the gate's cost).
    #[arg(long, value_enum, default_value = "brlock")]
    pub gate: crate::keyspace::gate::GateMode,

    /// Active expiry cycles per second (Redis's `hz`).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub hz: u32,

    /// Keep a write-ahead log (Redis's append-only file) in `--dir`, and
    /// replay it at start.
    #[arg(long, default_value = "no", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub appendonly: bool,

    /// When the log is fsynced: always (before each write is acknowledged,
    /// grouped across clients), everysec, or no (left to the kernel).
    #[arg(long, value_enum, default_value = "everysec")]
    pub appendfsync: crate::wal::Fsync,

    /// Group commit: one fsync covers every record pending at that moment.
    /// `no` is the naive design, kept for comparison: with
    /// `--appendfsync always`, each write command writes and fsyncs the log
    /// itself before it is acknowledged.
    #[arg(long, default_value = "yes", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub group_commit: bool,

    /// Directory of the write-ahead log (`appendonly.aof`).
    #[arg(long, default_value = ".")]
    pub dir: std::path::PathBuf,

    /// On finding damage before the end of the log at start, cut the log
    /// there (losing what follows) instead of refusing to start. A torn
    /// record at the very end is always cut, with a warning.
    #[arg(long, default_value = "no", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub aof_truncate_corrupt: bool,

    /// How per-command statistics (INFO commandstats, latencystats) are
    /// kept: sharded (one table per worker thread, merged when read),
    /// global (one table behind one lock: the naive design, kept to measure
    /// its cost), or off.
    #[arg(long, value_enum, default_value = "sharded")]
    pub metrics: crate::metrics::MetricsMode,

    /// Serve `GET /metrics` over HTTP on this port, on the `--bind`
    /// address, in the Prometheus text format (0: no endpoint).
    #[arg(long, default_value_t = 0)]
    pub metrics_port: u16,

    /// Most clients served at once; one more is told `max number of
    /// clients reached` and closed (see `server::limits`).
    #[arg(long, default_value_t = 10000, value_parser = clap::value_parser!(u64).range(1..=u32::MAX as u64))]
    pub maxclients: u64,

    /// Close a client idle for more than this many seconds (0: never);
    /// blocked clients and subscribers are spared, as in Redis.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=i32::MAX as u64))]
    pub timeout: u64,

    /// Longest bulk argument a request may carry (Redis's units: 512mb).
    #[arg(long, default_value = "512mb", value_parser = crate::server::limits::parse_buffer_size_flag)]
    pub proto_max_bulk_len: u64,

    /// Unparsed input (plus a MULTI's queued commands) past which a client
    /// is closed.
    #[arg(long, default_value = "1gb", value_parser = crate::server::limits::parse_buffer_size_flag)]
    pub client_query_buffer_limit: u64,

    /// `class hard soft seconds` (classes normal, pubsub; replica is kept
    /// but unused), as redis.conf; may be repeated. Defaults:
    /// `normal 0 0 0`, `pubsub 32mb 8mb 60`.
    #[arg(long, value_parser = crate::server::limits::parse_output_limit_flag, action = clap::ArgAction::Append)]
    pub client_output_buffer_limit: Vec<String>,

    /// Require clients to authenticate (AUTH or HELLO ... AUTH) with this
    /// password before any other command (Redis's `requirepass`; the
    /// default user's password). Unset: no password.
    #[arg(long)]
    pub requirepass: Option<String>,

    /// Protected mode, as Redis's: with no password, clients from
    /// addresses other than 127.0.0.1 and ::1 are refused with an
    /// explanation (see `server::auth`).
    #[arg(long, default_value = "yes", value_parser = yes_no, action = clap::ArgAction::Set)]
    pub protected_mode: bool,

    /// A configuration file in redis.conf syntax, read before the flags
    /// (flags given on the command line override it); CONFIG REWRITE
    /// writes to it. See `configfile`.
    #[arg(value_name = "CONFIG_FILE")]
    pub config_file: Option<std::path::PathBuf>,

    /// CONFIG SET-able parameters read from the config file that are not
    /// flags (`maxmemory`, `save` ...): applied at startup through CONFIG
    /// SET's own table.
    #[arg(skip)]
    pub file_settings: Vec<(String, String)>,

    /// A tool to run instead of the server (the server ignores this field).
    #[command(subcommand)]
    pub tool: Option<Tool>,
}

/// The tools the binary runs instead of the server.
#[derive(Debug, Clone, Subcommand)]
pub enum Tool {
    /// Tools for the write-ahead log (`appendonly.aof`).
    #[command(subcommand)]
    Wal(WalTool),
    /// A load generator for convoy or any Redis-compatible server: mixes,
    /// skewed keys, pipelining, open loop (see `src/bench/mod.rs`).
    Bench(crate::bench::Options),
}

/// `convoy wal ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum WalTool {
    /// Print a log's records, verify their checksums, and say whether a
    /// server could start from it.
    Inspect(crate::wal::inspect::Options),
}

/// redis.conf's booleans: `yes` or `no`.
pub(crate) fn yes_no(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(format!("expected yes or no, not '{s}'")),
    }
}

impl Config {
    /// The defaults, as if no flag were given (handy in tests).
    pub fn default_for_tests() -> Config {
        Config::parse_from(["convoy", "--port", "0"])
    }

    /// Worker threads to start: `--threads`, or one per core.
    pub fn worker_threads(&self) -> usize {
        self.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).max(1)
    }
}
