//! Startup flags. Names follow redis.conf where Redis has the option
//! (`--port`, `--bind`, `--databases`, `--hz`); convoy's own are
//! `--backend` and `--threads`.

use clap::{Parser, ValueEnum};

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
        }
    }
}

/// convoy: a Redis-compatible server whose keyspace backend is chosen at startup.
#[derive(Debug, Clone, Parser)]
#[command(name = "convoy", version, about, long_about = None)]
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
