//! LATENCY: per-command latency distributions (HISTOGRAM), and Redis's
//! latency monitor's other subcommands as Redis answers them with the
//! monitor off.
//!
//! # HISTOGRAM
//!
//! Every command's latency is already kept in an HdrHistogram by the
//! [metrics](crate::metrics) (the one behind INFO latencystats), so
//! `LATENCY HISTOGRAM` only renders it: per command, `calls` and
//! `histogram_usec`, a map from bucket to the number of calls that took at
//! most that long (cumulative). The buckets are Redis's: the
//! histogram walked in powers of two from 1024 ns (Redis's
//! `hdr_iter_log_init(&iter, histogram, 1024, 2)`), each labelled with the
//! highest value its step reaches, in microseconds, and only the steps
//! where the count grew are written. A power of two of nanoseconds is not
//! a round number of microseconds, and the step's label is the top of the
//! HdrHistogram bucket holding that power of two, so the labels read 1, 2,
//! 4, 8, 16, 32, 66, 132, 264, ... exactly as Redis's do (see [`cdf`]).
//!
//! Commands come in slot order (alphabetical, subcommands after their
//! container); Redis lists them in its hash table's order. With
//! `--metrics off` there are no histograms and the reply is empty.
//!
//! # The latency monitor
//!
//! Redis's latency monitor records events (`command`, `fast-command`,
//! `expire-cycle`, ...) slower than `latency-monitor-threshold`, which is
//! 0, off, by default. convoy has no monitor: `latency-monitor-threshold`
//! reads 0 and cannot be set, and LATEST, HISTORY, RESET, GRAPH and DOCTOR
//! reply word for word what Redis 7.0 replies with the monitor off and no
//! event recorded.

use super::server::{help, subcommand};
use super::{error_line, subcommand_syntax_error, Access, CmdResult, CommandSpec, CommandTable, Ctx, Subcommand};
use crate::keyspace::Keyspace;
use crate::metrics::CommandStats;
use crate::resp::Reply;
use bytes::Bytes;
use hdrhistogram::Histogram;

const ADMIN: &[&str] = &["admin", "noscript", "loading", "stale"];

const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        name: "latency|doctor",
        arity: 2,
        flags: ADMIN,
        summary: "Return a human readable latency analysis report.",
    },
    Subcommand { name: "latency|graph", arity: 3, flags: ADMIN, summary: "Return a latency graph for the event." },
    Subcommand {
        name: "latency|help",
        arity: 2,
        flags: &["loading", "stale"],
        summary: "Show helpful text about the different subcommands.",
    },
    Subcommand {
        name: "latency|histogram",
        arity: -2,
        flags: ADMIN,
        summary: "Return the cumulative distribution of latencies of a subset of commands or all.",
    },
    Subcommand {
        name: "latency|history",
        arity: 3,
        flags: ADMIN,
        summary: "Return timestamp-latency samples for the event.",
    },
    Subcommand {
        name: "latency|latest",
        arity: 2,
        flags: ADMIN,
        summary: "Return the latest latency samples for all events.",
    },
    Subcommand {
        name: "latency|reset",
        arity: -2,
        flags: ADMIN,
        summary: "Reset latency data for one or more events.",
    },
];

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    t.add(CommandSpec {
        name: "latency",
        arity: -2,
        flags: &[],
        keys: (0, 0, 0),
        access: Access::None,
        group: "server",
        summary: "A container for latency diagnostics commands",
        since: "2.8.13",
        subcommands: SUBCOMMANDS,
        handler: latency::<K>,
    });
}

/// LATENCY DOCTOR's report with the monitor off, as Redis 7.0 writes it.
const DOCTOR_DISABLED: &str =
    "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. \
You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep \
space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";

/// # Format
/// ```text
/// LATENCY HISTOGRAM [command ...]
/// LATENCY LATEST
/// LATENCY HISTORY event
/// LATENCY RESET [event ...]
/// LATENCY GRAPH event
/// LATENCY DOCTOR
/// LATENCY HELP
/// ```
fn latency<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let sub = subcommand("latency", SUBCOMMANDS, args)?;
    match sub.name {
        "latency|histogram" => Ok(histogram(ctx, &args[2..])),
        // No event was ever recorded: nothing is latest, no history.
        "latency|latest" | "latency|history" => Ok(Reply::Array(vec![])),
        // The number of events reset.
        "latency|reset" => Ok(Reply::Integer(0)),
        "latency|graph" => Err(error_line(format!(
            "ERR No samples available for event '{}'",
            String::from_utf8_lossy(&args[2])
        ))),
        "latency|doctor" => Ok(Reply::Verbatim("txt", Bytes::from_static(DOCTOR_DISABLED.as_bytes()))),
        "latency|help" => Ok(help(
            "latency",
            &[
                "DOCTOR",
                "    Return a human readable latency analysis report.",
                "GRAPH <event>",
                "    Return an ASCII latency graph for the <event> class.",
                "HISTORY <event>",
                "    Return time-latency samples for the <event> class.",
                "LATEST",
                "    Return the latest latency samples for all events.",
                "RESET [<event> ...]",
                "    Reset latency data of one or more <event> classes.",
                "    (default: reset all data for all event classes)",
                "HISTOGRAM [COMMAND ...]",
                "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
                "    If no commands are specified then all histograms are replied.",
            ],
        )),
        _ => Err(subcommand_syntax_error(args)),
    }
}

/// `LATENCY HISTOGRAM [command ...]`: a map of command name to its
/// distribution, for every command with at least one call (none named),
/// or for the named ones that have one. A name is a command (`get`,
/// standing also for all its subcommands, as `config` for `config|get`
/// and `config|set`) or a subcommand (`config|get`), in any case; unknown
/// names are skipped, and a name given twice is answered twice, as Redis
/// does.
fn histogram<K: Keyspace>(ctx: &Ctx<'_, K>, names: &[Bytes]) -> Reply {
    let snapshot = ctx.server.metrics.snapshot();
    let called: Vec<&CommandStats> = snapshot.commands.iter().filter(|c| !c.latency.is_empty()).collect();
    let find = |name: &str| called.iter().find(|c| c.name == name);
    let mut out = Vec::new();
    if names.is_empty() {
        out.extend(called.iter().map(|c| command_cdf(c)));
    }
    let table = &ctx.server.commands;
    for name in names {
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        let (base, sub) = match lower.split_once('|') {
            Some((base, _)) => (base, Some(lower.as_str())),
            None => (lower.as_str(), None),
        };
        let Some(spec) = table.get(base.as_bytes()) else { continue };
        match sub {
            Some(full) => {
                if let Some(s) = spec.subcommands.iter().find(|s| s.name == full) {
                    out.extend(find(s.name).map(|c| command_cdf(c)));
                }
            }
            None => {
                out.extend(find(spec.name).map(|c| command_cdf(c)));
                for s in spec.subcommands {
                    out.extend(find(s.name).map(|c| command_cdf(c)));
                }
            }
        }
    }
    Reply::Map(out)
}

/// One command's entry: its name, and `{calls, histogram_usec}`.
fn command_cdf(c: &CommandStats) -> (Reply, Reply) {
    let buckets = cdf(&c.latency).into_iter().map(|(usec, n)| (Reply::Integer(usec as i64), Reply::Integer(n as i64)));
    (
        Reply::bulk_str(c.name),
        Reply::Map(vec![
            (Reply::bulk_str("calls"), Reply::Integer(c.latency.len() as i64)),
            (Reply::bulk_str("histogram_usec"), Reply::Map(buckets.collect())),
        ]),
    )
}

/// A latency histogram (nanoseconds) as Redis's `fillCommandCDF` writes
/// it: `(bucket label in µs, calls that took at most that long)`, for
/// each step where the count grew.
///
/// Redis walks the histogram with HdrHistogram's logarithmic iterator,
/// from 1024 ns, doubling. Its step for level `L` stops at the first
/// bucket reaching `L`, *including* that bucket's count, and is labelled
/// with that bucket's highest value; so the step covers every value up to
/// `highest_equivalent(L)`. Past the histogram's last bucket (the level
/// 2^30 ns, above the 1 s that calls are clamped to) the label is the
/// last bucket's highest value.
pub fn cdf(h: &Histogram<u64>) -> Vec<(u64, u64)> {
    let total = h.len();
    let largest = largest_value(h);
    let (mut out, mut before, mut level) = (Vec::new(), 0, 1024u64);
    while before < total {
        let top = if level > largest { largest } else { h.highest_equivalent(level) };
        let count = h.count_between(0, top);
        if count > before {
            out.push((top / 1000, count));
            before = count;
        }
        if top == largest {
            break;
        }
        level *= 2;
    }
    out
}

/// The highest value the histogram's last bucket holds: its sub-bucket
/// count (two per significant decimal digit, rounded up to a power of
/// two), times the range its buckets double over, less one.
fn largest_value(h: &Histogram<u64>) -> u64 {
    let sub_buckets = (2 * 10u64.pow(h.sigfig() as u32)).next_power_of_two();
    let unit = h.low().max(1).ilog2();
    (sub_buckets << (u32::from(h.buckets()) - 1 + unit)) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram(values: &[u64]) -> Histogram<u64> {
        let mut h = Histogram::new_with_bounds(1, 1_000_000_000, 2).unwrap();
        values.iter().for_each(|v| h.record(*v).unwrap());
        h
    }

    /// The labels and counts real Redis 7.0 wrote for DEBUG SLEEP calls of
    /// about 0.15 ms, 3 ms, 300 ms and 900 ms.
    #[test]
    fn buckets_as_redis_writes_them() {
        let h = histogram(&[150_000, 3_100_000, 300_000_000, 900_000_000]);
        assert_eq!(cdf(&h), [(264, 1), (4227, 2), (541065, 3), (1073741, 4)]);
        assert_eq!(largest_value(&h), (1 << 30) - 1);
    }

    /// Small values: every power of two up to 32 µs labels itself, then
    /// the bucket tops show (66, 132); counts are cumulative.
    #[test]
    fn small_buckets_and_cumulative_counts() {
        let h = histogram(&[1, 500, 1500, 1500, 40_000, 70_000]);
        assert_eq!(cdf(&h), [(1, 2), (2, 4), (66, 5), (132, 6)]);
        assert!(cdf(&histogram(&[])).is_empty());
    }
}
