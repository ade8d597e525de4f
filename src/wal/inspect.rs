//! `convoy wal inspect FILE`: read a log as a person would want to, check
//! every record's checksum, and say whether convoy could start from it.
//!
//! Reading is [`Reader`]'s, the same code recovery runs, so what
//! this tool calls whole, torn or damaged is exactly what a starting server
//! would. Like recovery it also checks that MULTI and EXEC records pair up.
//!
//! # Output
//!
//! One line per record: its offset in the file, its database, and the
//! command, arguments quoted as `redis-cli` shows them (printable bytes as
//! they are inside double quotes; `\"`, `\\`, `\n`, `\r`, `\t`, `\a`, `\b`
//! escaped; any other byte as `\xNN`). Records between MULTI and EXEC are
//! indented. Long lines are shortened unless `--full` is given: an argument
//! longer than 64 bytes shows its first 32 and its length, and a command
//! with more than 8 arguments shows the first 8 and how many follow.
//!
//! ```text
//! offset  db  command
//!     15   0  SET "greeting" "hello world"
//!     64   0  MULTI
//!     90   0    INCR "visits"
//!    131   0  EXEC
//! ```
//!
//! Then a summary: the number of whole records and their bytes, the count
//! of each command and of each database, the MULTI/EXEC blocks, and the
//! verdict. `--summary` prints the summary alone.
//!
//! # Exit status
//!
//! | status | verdict | what a starting server does |
//! | --- | --- | --- |
//! | 0 | `ok`: the log is whole | replays it all |
//! | 1 | `torn tail`: the last record is incomplete, or a MULTI at the end has no EXEC | cuts the tail off, with a warning, and starts |
//! | 2 | `damaged` before the tail (a bad frame line, a checksum mismatch, a payload that is not a command, an unbalanced MULTI/EXEC), or the file cannot be read or is not a convoy log | refuses to start, unless `--aof-truncate-corrupt yes` |
//!
//! Errors (a damaged or unreadable log) are also written to stderr, one
//! line naming the file, as a server starting from it would write them.
//! Output that cannot be written (a closed pipe, as `| head` leaves) ends
//! the tool with status 2 too, silently; so does a bad command line
//! (clap's own status).

use super::format::{Reader, Record, Stop, HEADER};
use crate::resp::push_quoted;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

/// Arguments longer than this are shortened (without `--full`) ...
const LONG_ARG: usize = 64;
/// ... to their first this many bytes.
const SHOWN_OF_LONG_ARG: usize = 32;
/// Commands with more arguments than this show only the first this many.
const SHOWN_ARGS: usize = 8;

/// `convoy wal inspect`'s command line.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Exit status: 0 if the log is whole, 1 if its tail is torn (a crash interrupted the last write; \
                        convoy cuts it off at start), 2 if it is damaged before the tail or cannot be read \
                        (convoy refuses to start from it unless --aof-truncate-corrupt yes)."
)]
pub struct Options {
    /// The log file (`appendonly.aof` in the server's `--dir`).
    pub file: PathBuf,

    /// Print only the summary: counts per command and per database, and the
    /// verdict.
    #[arg(long)]
    pub summary: bool,

    /// Print every argument in full, however long, instead of shortening
    /// long arguments and long argument lists.
    #[arg(long)]
    pub full: bool,
}

/// Whether a starting server could replay the log, and what it would cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every byte belongs to a whole record.
    Ok,
    /// The log ends, from `offset` on (`bytes` bytes), in something a
    /// crash left unfinished: `why`. Recovery cuts it off.
    Torn { offset: u64, bytes: u64, why: String },
    /// The record at `offset` is damaged (`why`). `--aof-truncate-corrupt`
    /// would cut the log at `cut` (`offset`, or the MULTI of the
    /// transaction the damage is in), losing `bytes` bytes.
    Damaged { offset: u64, why: String, cut: u64, bytes: u64 },
}

impl Verdict {
    /// The tool's exit status for this verdict (see the module doc).
    pub fn exit_code(&self) -> u8 {
        match self {
            Verdict::Ok => 0,
            Verdict::Torn { .. } => 1,
            Verdict::Damaged { .. } => 2,
        }
    }
}

/// What the summary reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The file's size.
    pub file_bytes: u64,
    /// Whole records read.
    pub records: u64,
    /// Their bytes (frame lines and payloads; the header is not counted).
    pub record_bytes: u64,
    /// Records per command name (upper-cased).
    pub commands: BTreeMap<String, u64>,
    /// Records per database.
    pub dbs: BTreeMap<usize, u64>,
    /// MULTI/EXEC blocks read whole, and the records inside them.
    pub transactions: u64,
    pub records_in_transactions: u64,
    pub verdict: Verdict,
}

/// Run the tool: read `options.file`, print to stdout, and return the exit
/// status.
pub fn run(options: &Options) -> u8 {
    let path = options.file.display();
    let data = match std::fs::read(&options.file) {
        Ok(data) => data,
        Err(e) => {
            eprintln!("convoy: {path}: {e}");
            return 2;
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = inspect(&data, options, &mut out).and_then(|summary| {
        if !options.summary {
            writeln!(out)?;
        }
        write_summary(&summary, &mut out)?;
        out.flush()?;
        Ok(summary)
    });
    let summary = match written {
        Ok(summary) => summary,
        Err(e) => {
            // A reader that went away (`| head`) is not worth a message.
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("convoy: {path}: {e}");
            }
            return 2;
        }
    };
    if let Verdict::Damaged { offset, why, .. } = &summary.verdict {
        eprintln!("convoy: {path}: damaged record at offset {offset} ({why})");
    }
    summary.verdict.exit_code()
}

/// Read `data` (a whole log file), writing one line per record to `out`
/// unless `options.summary`, and return the figures. An error if `out`
/// fails, or if `data` is not a convoy log (kind `InvalidData`).
pub fn inspect(data: &[u8], options: &Options, out: &mut impl Write) -> std::io::Result<Summary> {
    let mut reader = Reader::new(data).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let mut summary = Summary {
        file_bytes: data.len() as u64,
        records: 0,
        record_bytes: 0,
        commands: BTreeMap::new(),
        dbs: BTreeMap::new(),
        transactions: 0,
        records_in_transactions: 0,
        verdict: Verdict::Ok,
    };
    let tail = |offset: u64| data.len() as u64 - offset;
    if !data.is_empty() && data.len() < HEADER.len() {
        summary.verdict =
            Verdict::Torn { offset: 0, bytes: tail(0), why: "the header itself is incomplete".to_string() };
        return Ok(summary);
    }
    let offset_width = data.len().to_string().len().max("offset".len());
    if !options.summary {
        writeln!(out, "{:>offset_width$}  db  command", "offset")?;
    }
    // Where the open MULTI began, and its records so far.
    let mut open: Option<(u64, u64)> = None;
    loop {
        let record = match reader.next_record() {
            Ok(Some(record)) => record,
            Ok(None) => break,
            Err(Stop::Torn { offset }) => {
                let why = "the last record is incomplete, as a crash mid-write leaves it";
                summary.verdict = match open {
                    Some((begun, _)) => Verdict::Torn {
                        offset: begun,
                        bytes: tail(begun),
                        why: format!("the transaction begun here has no EXEC: the record at offset {offset} is incomplete, as a crash mid-write leaves it"),
                    },
                    None => Verdict::Torn { offset, bytes: tail(offset), why: why.to_string() },
                };
                return Ok(summary);
            }
            Err(Stop::Damaged { offset, why }) => {
                // Recovery cutting here would also drop the open
                // transaction's MULTI and records: it has no EXEC.
                let cut = open.map_or(offset, |(begun, _)| begun);
                summary.verdict = Verdict::Damaged { offset, why, cut, bytes: tail(cut) };
                return Ok(summary);
            }
        };
        let name = record.args[0].to_ascii_uppercase();
        let (is_multi, is_exec) = (name == b"MULTI", name == b"EXEC");
        let inside = open.is_some() && !is_exec;
        if !options.summary {
            write_record(&record, inside, options.full, offset_width, out)?;
        }
        summary.records += 1;
        summary.record_bytes = reader.position() - HEADER.len() as u64;
        *summary.commands.entry(String::from_utf8_lossy(&name).into_owned()).or_default() += 1;
        *summary.dbs.entry(record.db).or_default() += 1;
        match (is_multi, is_exec, &mut open) {
            (true, _, None) => open = Some((record.offset, 0)),
            (_, true, Some((_, inside))) => {
                summary.transactions += 1;
                summary.records_in_transactions += *inside;
                open = None;
            }
            (true, _, Some(_)) | (_, true, None) => {
                let why = if is_multi { "MULTI inside a transaction" } else { "EXEC without MULTI" };
                let (offset, why) = (record.offset, format!("unbalanced MULTI/EXEC: {why}"));
                let cut = open.map_or(offset, |(begun, _)| begun);
                summary.verdict = Verdict::Damaged { offset, why, cut, bytes: tail(cut) };
                return Ok(summary);
            }
            (false, false, Some((_, inside))) => *inside += 1,
            (false, false, None) => {}
        }
    }
    if let Some((begun, inside)) = open {
        summary.verdict = Verdict::Torn {
            offset: begun,
            bytes: tail(begun),
            why: format!("the transaction begun here has no EXEC ({inside} records inside)"),
        };
    }
    Ok(summary)
}

/// One record's line: offset, database, the command.
fn write_record(
    record: &Record,
    inside: bool,
    full: bool,
    offset_width: usize,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let indent = if inside { "  " } else { "" };
    let mut line = format!("{:>offset_width$}  {:>2}  {indent}", record.offset, record.db);
    let name = &record.args[0];
    if !name.is_empty() && name.iter().all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\\')) {
        line.push_str(&String::from_utf8_lossy(name));
    } else {
        push_quoted(&mut line, name);
    }
    let args = &record.args[1..];
    let shown = if full { args.len() } else { args.len().min(SHOWN_ARGS) };
    for arg in &args[..shown] {
        line.push(' ');
        if full || arg.len() <= LONG_ARG {
            push_quoted(&mut line, arg);
        } else {
            push_quoted(&mut line, &arg[..SHOWN_OF_LONG_ARG]);
            line.push_str(&format!("...({} bytes)", arg.len()));
        }
    }
    if shown < args.len() {
        line.push_str(&format!(" ...(+{} more arguments)", args.len() - shown));
    }
    writeln!(out, "{line}")
}

/// The summary block.
pub fn write_summary(summary: &Summary, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "file: {} bytes", summary.file_bytes)?;
    writeln!(out, "records: {} ({} bytes after the header)", summary.records, summary.record_bytes)?;
    // Most frequent first; ties by name.
    let mut commands: Vec<(&String, &u64)> = summary.commands.iter().collect();
    commands.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let commands: Vec<String> = commands.iter().map(|(name, n)| format!("{name} {n}")).collect();
    writeln!(out, "commands: {}", if commands.is_empty() { "none".to_string() } else { commands.join(", ") })?;
    let dbs: Vec<String> = summary.dbs.iter().map(|(db, n)| format!("db{db} {n}")).collect();
    writeln!(out, "databases: {}", if dbs.is_empty() { "none".to_string() } else { dbs.join(", ") })?;
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    writeln!(
        out,
        "transactions: {} MULTI/EXEC block{} ({} record{} inside)",
        summary.transactions,
        plural(summary.transactions),
        summary.records_in_transactions,
        plural(summary.records_in_transactions)
    )?;
    match &summary.verdict {
        Verdict::Ok => writeln!(out, "verdict: ok"),
        Verdict::Torn { offset, bytes, why } => {
            writeln!(out, "verdict: torn tail at offset {offset} ({bytes} bytes): {why}; convoy cuts it off at start")
        }
        Verdict::Damaged { offset, why, cut, bytes } => writeln!(
            out,
            "verdict: damaged at offset {offset} ({why}); convoy refuses to start from this log, unless \
             --aof-truncate-corrupt yes, which cuts it at offset {cut} (losing {bytes} bytes)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(bytes: &[u8]) -> String {
        let mut s = String::new();
        push_quoted(&mut s, bytes);
        s
    }

    /// Arguments are quoted and escaped byte for byte as redis-cli's `sdscatrepr` does.
    #[test]
    fn quoting_follows_redis_cli() {
        assert_eq!(quoted(b"hello world"), r#""hello world""#);
        assert_eq!(quoted(b"a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quoted(b"\r\n\t\x07\x08"), r#""\r\n\t\a\b""#);
        assert_eq!(quoted(b"\x00\x7f\xff"), r#""\x00\x7f\xff""#);
        assert_eq!(quoted(b""), r#""""#);
    }
}
