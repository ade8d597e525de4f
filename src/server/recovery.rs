//! Recovery at start: replay the write-ahead log into the keyspace.
//!
//! Records run as commands, one after another, before the server accepts
//! a client, at time 0: nothing counts as expired while the log replays
//! (as Redis does not expire keys while it loads), because every removal
//! by expiry is in the log as a DEL, in its place; keys whose time has
//! passed are removed afterwards, by active expiry or the first writer.
//! Records between MULTI and EXEC are applied only when their EXEC is
//! read.
//!
//! Where reading stops early:
//! - a torn record at the end of the file (a write a crash interrupted,
//!   never acknowledged under `always`) is cut off, with a warning;
//! - damage anywhere before that stops the start with an error naming the
//!   file and the offset, unless `--aof-truncate-corrupt yes`, which cuts
//!   the log there (losing everything after it) with a warning.

use super::{ClientState, Shared};
use crate::cmd::{self, Ctx};
use crate::keyspace::Keyspace;
use crate::resp::Reply;
use crate::wal::format::{Reader, Record, Stop};
use std::path::Path;
use std::time::Instant;

/// Replay the log at `path` (if it exists) into `shared`'s databases.
/// Returns the length of the file's valid prefix, where appending must
/// continue (`None`: no file).
pub fn replay<K: Keyspace>(shared: &Shared<K>, path: &Path, truncate_corrupt: bool) -> std::io::Result<Option<u64>> {
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let started = Instant::now();
    let fail = |msg: String| std::io::Error::other(format!("{}: {msg}", path.display()));
    let mut reader = Reader::new(&data).map_err(fail)?;
    let mut replayer = Replayer::new(shared);
    let mut valid = reader.position();
    // Records of an open MULTI, and where it began.
    let mut transaction: Option<(u64, Vec<Record>)> = None;
    loop {
        let record = match reader.next_record() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(Stop::Torn { offset }) => {
                eprintln!(
                    "convoy: {}: the last record (at offset {offset}) is incomplete, as a crash mid-write leaves it: \
                     cut off ({} bytes)",
                    path.display(),
                    data.len() as u64 - offset
                );
                break;
            }
            Err(Stop::Damaged { offset, why }) => {
                if !truncate_corrupt {
                    return Err(fail(format!(
                        "damaged record at offset {offset} ({why}); refusing to start. Start with \
                         --aof-truncate-corrupt yes to cut the log there, losing every record from that offset on"
                    )));
                }
                eprintln!(
                    "convoy: {}: damaged record at offset {offset} ({why}): cut off there, as \
                     --aof-truncate-corrupt asks ({} bytes dropped)",
                    path.display(),
                    data.len() as u64 - offset
                );
                break;
            }
        };
        if record.db >= shared.dbs.len() {
            return Err(fail(format!(
                "record at offset {} is for database {}, but convoy runs with {} (--databases)",
                record.offset,
                record.db,
                shared.dbs.len()
            )));
        }
        let name = record.args[0].to_ascii_lowercase();
        match (name.as_slice(), &mut transaction) {
            (b"multi", None) => transaction = Some((record.offset, Vec::new())),
            (b"exec", Some(_)) => {
                let (_, records) = transaction.take().expect("open");
                for r in records {
                    replayer.run(&r).map_err(fail)?;
                }
            }
            (b"multi" | b"exec", _) => {
                return Err(fail(format!("unbalanced MULTI/EXEC at offset {}", record.offset)));
            }
            (_, Some((_, records))) => records.push(record),
            (_, None) => replayer.run(&record).map_err(fail)?,
        }
        valid = reader.position();
    }
    if let Some((offset, records)) = transaction {
        eprintln!(
            "convoy: {}: a transaction begun at offset {offset} has no EXEC: its {} records are not applied, and cut off",
            path.display(),
            records.len()
        );
        valid = offset;
    }
    eprintln!(
        "convoy: replayed {} records from {} in {} ms",
        replayer.records,
        path.display(),
        started.elapsed().as_millis()
    );
    if replayer.errors > 0 {
        eprintln!(
            "convoy: {} replayed records replied with an error (first: {})",
            replayer.errors, replayer.first_error
        );
    }
    Ok(Some(valid))
}

/// Runs records as commands from a client of its own.
struct Replayer<'a, K> {
    shared: &'a Shared<K>,
    client: ClientState,
    records: u64,
    errors: u64,
    first_error: String,
}

impl<'a, K: Keyspace> Replayer<'a, K> {
    fn new(shared: &'a Shared<K>) -> Self {
        let addr = shared.local_addr;
        let info = shared.clients.register(addr, addr, -1);
        let (pushes, _) = super::clients::push_channel(Some(shared.limits.clone()));
        let client = ClientState::new(info, shared.default_protocol(), pushes);
        Replayer { shared, client, records: 0, errors: 0, first_error: String::new() }
    }

    fn run(&mut self, record: &Record) -> Result<(), String> {
        match self.shared.commands.get(&record.args[0]) {
            Some(spec) if spec.arity_ok(record.args.len()) => {}
            _ => {
                return Err(format!(
                    "record at offset {} is not a command convoy can run: '{}' with {} arguments",
                    record.offset,
                    String::from_utf8_lossy(&record.args[0]),
                    record.args.len() - 1
                ))
            }
        }
        self.client.select(record.db);
        let mut ctx = Ctx::new(self.shared, &mut self.client, 0);
        let reply = cmd::execute_queued(&mut ctx, &record.args);
        self.records += 1;
        if let Reply::Error(e) = reply {
            if self.errors == 0 {
                self.first_error = format!("{e} at offset {}", record.offset);
            }
            self.errors += 1;
        }
        Ok(())
    }
}

impl<K> Drop for Replayer<'_, K> {
    fn drop(&mut self) {
        self.shared.clients.unregister(self.client.id());
    }
}
