//! Per-command statistics: calls, time, failures and latency histograms,
//! kept three ways so that their cost can be measured.
//!
//! Every command a server runs updates a few numbers: how often it was
//! called, how long it took, whether it failed, and where its latency falls
//! in a histogram (Redis's `INFO commandstats` and `latencystats`). The
//! update itself is cheap; *where the numbers live* is what costs. This
//! module keeps them in one of three ways, chosen with `--metrics`:
//!
//! - [`MetricsMode::Off`]: nothing is recorded and no clock is read. The
//!   baseline.
//! - [`MetricsMode::Global`]: one table behind one lock, shared by every
//!   worker thread. The obvious design, and the one known to cost about 30%
//!   of a server's throughput under load: every command of every worker
//!   takes the same lock and writes the same cache lines, so the workers
//!   queue on the lock and the lines travel between cores on every update
//!   (a convoy of its own, next to the keyspace's).
//! - [`MetricsMode::Sharded`] (the default): one table per worker thread,
//!   each on cache lines of its own. A worker updates only its own table,
//!   whose lock nobody else takes except a reader (INFO, `/metrics`), which
//!   merges the tables when asked. The update path touches no line that
//!   another core writes; the cost moves to the rare reader.
//!
//! The per-worker lock in the sharded design is uncontended (an atomic
//! swap on a line already in the worker's cache) and lets a reader merge
//! a table that is being written; it is what makes a histogram, which is
//! not atomic, safe to share at all.
//!
//! Commands are named by a *slot*, a number the command table gives each
//! command and subcommand (`client|list` has its own), so this module
//! knows counters and histograms, not commands. Latency is recorded in
//! nanoseconds in an HdrHistogram from 1 ns to 1 s with two significant
//! digits, as Redis does (`latency-tracking`); longer calls count as 1 s.
//!
//! [`rate`] turns counters that only grow (commands, bytes) into INFO's
//! instantaneous per-second rates, sampled as Redis samples them.

pub mod rate;

pub mod alloc;
pub mod prometheus;

use crossbeam_utils::CachePadded;
use hdrhistogram::Histogram;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::time::Instant;

/// How per-command statistics are kept (`--metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MetricsMode {
    /// Record nothing.
    Off,
    /// One table behind one lock, shared by every worker (the naive design).
    Global,
    /// One table per worker thread, merged when read.
    Sharded,
}

impl MetricsMode {
    /// The name `--metrics` takes and INFO reports.
    pub fn name(self) -> &'static str {
        match self {
            MetricsMode::Off => "off",
            MetricsMode::Global => "global",
            MetricsMode::Sharded => "sharded",
        }
    }
}

/// How a call ended, as Redis counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It ran and replied without an error.
    Ok,
    /// It ran and replied with an error (`failed_calls`).
    Failed,
    /// It was refused before running, e.g. for its arity (`rejected_calls`;
    /// not a call, and no latency).
    Rejected,
}

/// Lowest and highest latency the histograms hold, in nanoseconds, and
/// their precision: Redis's `LATENCY_HISTOGRAM_MIN_VALUE`, `_MAX_VALUE` and
/// `_PRECISION`.
const LATENCY_MIN_NS: u64 = 1;
const LATENCY_MAX_NS: u64 = 1_000_000_000;
const LATENCY_DIGITS: u8 = 2;

/// Redis stops tracking new error kinds past this many (a client sending
/// made-up errors must not grow the table without bound).
const MAX_ERROR_KINDS: usize = 128;

/// One command's figures in one table.
#[derive(Default)]
struct Slot {
    calls: u64,
    nanos: u64,
    failed: u64,
    rejected: u64,
    /// Made on the first call: most commands are never called, and a
    /// histogram is a few kilobytes.
    latency: Option<Box<Histogram<u64>>>,
}

/// One table of figures: the only one (global), or one worker's (sharded).
#[derive(Default)]
struct Table {
    slots: Vec<Slot>,
    /// Error replies by their first word (`ERR`, `WRONGTYPE`).
    errors: BTreeMap<String, u64>,
}

/// Per-command statistics for one server.
pub struct Metrics {
    mode: MetricsMode,
    /// Each slot's name, as INFO writes it (`set`, `client|list`).
    names: Box<[&'static str]>,
    /// One table (global) or one per worker plus one (sharded), each on
    /// its own cache lines. Empty when off.
    tables: Box<[CachePadded<Mutex<Table>>]>,
}

/// One command's figures, merged over every table.
#[derive(Clone)]
pub struct CommandStats {
    pub name: &'static str,
    pub calls: u64,
    /// Total time in calls, in microseconds.
    pub usec: u64,
    pub failed: u64,
    pub rejected: u64,
    /// Latency of every call, in nanoseconds.
    pub latency: Histogram<u64>,
}

/// Everything recorded, merged: what INFO and `/metrics` read.
pub struct Snapshot {
    /// Commands called or rejected at least once, in slot order.
    pub commands: Vec<CommandStats>,
    /// Error replies by their first word, sorted by it.
    pub errors: Vec<(String, u64)>,
}

impl Metrics {
    /// Statistics for the commands named `names` (slot `i` is `names[i]`),
    /// kept as `mode` says, with `workers` worker threads.
    pub fn new(mode: MetricsMode, names: Vec<&'static str>, workers: usize) -> Metrics {
        let tables = match mode {
            MetricsMode::Off => 0,
            MetricsMode::Global => 1,
            // One more than the workers: a thread that is not a worker (a
            // test's, the recovery replay) shares the spare one.
            MetricsMode::Sharded => workers.max(1) + 1,
        };
        let slots = names.len();
        let table = || {
            CachePadded::new(Mutex::new(Table {
                slots: (0..slots).map(|_| Slot::default()).collect(),
                ..Default::default()
            }))
        };
        Metrics { mode, names: names.into(), tables: (0..tables).map(|_| table()).collect() }
    }

    pub fn mode(&self) -> MetricsMode {
        self.mode
    }

    /// Start timing a call: `None` when nothing is recorded, so that `off`
    /// reads no clock.
    pub fn start(&self) -> Option<Instant> {
        (self.mode != MetricsMode::Off).then(Instant::now)
    }

    /// The table this thread writes: its own (sharded), or the only one.
    fn table(&self) -> Option<&Mutex<Table>> {
        match self.tables.len() {
            0 => None,
            1 => Some(&self.tables[0]),
            n => Some(&self.tables[structures::counter::thread_index() % n]),
        }
    }

    /// Record one call of the command in `slot`, started at `started` (from
    /// [`Metrics::start`]), that ended as `outcome`. Returns the call's
    /// duration, for the slow log.
    pub fn record(&self, slot: usize, started: Option<Instant>, outcome: Outcome) -> Option<u64> {
        let (Some(table), Some(started)) = (self.table(), started) else { return None };
        let nanos = started.elapsed().as_nanos().min(u64::MAX as u128) as u64;
        let mut table = table.lock();
        let Some(s) = table.slots.get_mut(slot) else { return Some(nanos) };
        if outcome == Outcome::Rejected {
            s.rejected += 1;
            return Some(nanos);
        }
        s.calls += 1;
        s.nanos += nanos;
        s.failed += (outcome == Outcome::Failed) as u64;
        s.latency
            .get_or_insert_with(|| Box::new(new_histogram()))
            .saturating_record(nanos.clamp(LATENCY_MIN_NS, LATENCY_MAX_NS));
        Some(nanos)
    }

    /// Count one error reply, by the first word of `message` (`ERR`,
    /// `WRONGTYPE`), as Redis's `errorstat_<kind>`.
    pub fn error(&self, message: &str) {
        let Some(table) = self.table() else { return };
        let kind = message.split(' ').next().unwrap_or(message);
        let mut table = table.lock();
        if let Some(n) = table.errors.get_mut(kind) {
            *n += 1;
        } else if table.errors.len() < MAX_ERROR_KINDS {
            table.errors.insert(kind.to_string(), 1);
        }
    }

    /// Every table merged, read table by table: each table's figures are
    /// consistent with themselves, and the whole is what was true at some
    /// moment during the read for each table.
    pub fn snapshot(&self) -> Snapshot {
        let mut merged: Vec<Option<CommandStats>> = vec![None; self.names.len()];
        let mut errors: BTreeMap<String, u64> = BTreeMap::new();
        for table in self.tables.iter() {
            let table = table.lock();
            for (i, s) in table.slots.iter().enumerate() {
                if s.calls == 0 && s.rejected == 0 {
                    continue;
                }
                let m = merged[i].get_or_insert_with(|| CommandStats {
                    name: self.names[i],
                    calls: 0,
                    usec: 0,
                    failed: 0,
                    rejected: 0,
                    latency: new_histogram(),
                });
                m.calls += s.calls;
                m.usec += s.nanos / 1000;
                m.failed += s.failed;
                m.rejected += s.rejected;
                if let Some(h) = &s.latency {
                    // Same bounds and precision on both sides: cannot fail.
                    let _ = m.latency.add(&**h);
                }
            }
            for (kind, n) in &table.errors {
                *errors.entry(kind.clone()).or_default() += n;
            }
        }
        Snapshot { commands: merged.into_iter().flatten().collect(), errors: errors.into_iter().collect() }
    }

    /// Forget everything recorded (CONFIG RESETSTAT).
    pub fn reset(&self) {
        for table in self.tables.iter() {
            let mut table = table.lock();
            table.slots.iter_mut().for_each(|s| *s = Slot::default());
            table.errors.clear();
        }
    }
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(LATENCY_MIN_NS, LATENCY_MAX_NS, LATENCY_DIGITS).expect("valid histogram bounds")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(mode: MetricsMode) -> Metrics {
        Metrics::new(mode, vec!["get", "set"], 2)
    }

    /// Calls, failures and rejections are counted per slot, and merged
    /// over the worker tables of the sharded mode exactly.
    #[test]
    fn counts_merge_over_threads() {
        for mode in [MetricsMode::Global, MetricsMode::Sharded] {
            let m = metrics(mode);
            std::thread::scope(|s| {
                for _ in 0..4 {
                    s.spawn(|| {
                        for i in 0..1000 {
                            let outcome = if i % 10 == 0 { Outcome::Failed } else { Outcome::Ok };
                            m.record(1, m.start(), outcome);
                        }
                        m.record(0, m.start(), Outcome::Rejected);
                    });
                }
            });
            let snap = m.snapshot();
            let set = snap.commands.iter().find(|c| c.name == "set").unwrap();
            assert_eq!((set.calls, set.failed, set.rejected), (4000, 400, 0), "{mode:?}");
            assert_eq!(set.latency.len(), 4000);
            let get = snap.commands.iter().find(|c| c.name == "get").unwrap();
            assert_eq!((get.calls, get.rejected, get.latency.len()), (0, 4, 0));
            m.reset();
            assert!(m.snapshot().commands.is_empty());
        }
    }

    /// Off records nothing and reads no clock.
    #[test]
    fn off_records_nothing() {
        let m = metrics(MetricsMode::Off);
        assert!(m.start().is_none());
        m.record(1, m.start(), Outcome::Ok);
        m.error("ERR no");
        let snap = m.snapshot();
        assert!(snap.commands.is_empty() && snap.errors.is_empty());
    }

    /// Errors are counted by their first word, up to a bounded number of kinds.
    #[test]
    fn errors_by_kind_bounded() {
        let m = metrics(MetricsMode::Sharded);
        m.error("ERR syntax error");
        m.error("ERR value is not an integer or out of range");
        m.error("WRONGTYPE Operation against a key holding the wrong kind of value");
        for i in 0..1000 {
            m.error(&format!("MADEUP{i} x"));
        }
        let errors = m.snapshot().errors;
        assert_eq!(errors.len(), MAX_ERROR_KINDS);
        assert!(errors.contains(&("ERR".to_string(), 2)));
        assert!(errors.contains(&("WRONGTYPE".to_string(), 1)));
    }
}
