//! BGREWRITEAOF: compact the log from the live keyspace, without stopping
//! writes and without losing one.
//!
//! Redis forks: the child sees a frozen copy of memory and writes it out,
//! while the parent keeps the writes that arrive meanwhile in a buffer and
//! appends them at the end. convoy has no frozen copy: its rewriter reads
//! the live maps while clients write them, key by key. The problem is then
//! the writes that land *during* the copy: a write to a key the rewriter
//! has already copied must be replayed after the copy; a write to a key it
//! has not copied yet must not be (the copy will include it, and INCR
//! replayed twice counts twice).
//!
//! The [ordering stripes](super::order) settle this per stripe. The rewrite
//! marks every stripe *pending*, lists the keys, then visits the stripes
//! one by one: holding a stripe (and the gate's shared side, so no
//! multi-key command runs meanwhile) it copies that stripe's keys and marks
//! it *done*. A writer holds its key's stripe from applying to logging, so
//! for each record it knows which side of the copy it falls on: a record
//! for a done stripe is also copied into the rewrite's buffer; a record for
//! a pending stripe is not, and its key is remembered (*touched*) so the
//! rewriter copies it even if the listing missed it (a key created after
//! the listing). Multi-key commands, which run alone, see all their keys'
//! marks at once: all done, the record goes to the buffer; some done, the
//! done keys' new contents go to the buffer instead (a command applied to
//! half-copied keys cannot be replayed). FLUSHDB and FLUSHALL restart the
//! rewrite.
//!
//! When every stripe is done, the new file (copy, then buffer) is fsynced;
//! then, holding the gate's shared side (so that no transaction or
//! multi-key command is half logged across the switch) and the log's file
//! lock, the rest of the buffer is appended,
//! fsynced again, the file is renamed over the old one and its directory
//! fsynced, and the log continues in the new file. A crash at any moment
//! leaves either the old file or the new one whole. Records appended but
//! not yet written when the switch happens are already in the new file
//! (copied or buffered), so they are acknowledged with it.
//!
//! The copy writes each key as the commands that rebuild it (SET, RPUSH,
//! HSET, SADD, ZADD, XADD and XSETID, in chunks of 64 elements, then
//! PEXPIREAT), as Redis's rewrite does.

use super::order::{Mark, Stripes, STRIPES};
use super::{format, Wal};
use crate::keyspace::gate::Gate;
use crate::keyspace::{now_ms, Db, Entry, Key, Keyspace, Value};
use parking_lot::{Condvar, Mutex};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

/// The rewrite writes to `temp-rewriteaof-<pid>.aof` in the log's
/// directory, then renames it over the log.
const TEMP_PREFIX: &str = "temp-rewriteaof-";

/// Whether a file name is a rewrite's temporary file (removed at start: a
/// crash interrupted that rewrite).
pub fn is_temp_file_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX) && name.ends_with(".aof")
}

/// Elements per command when a collection is written out.
const ITEMS_PER_COMMAND: usize = 64;

/// What INFO persistence reports of rewrites, and the request flag.
#[derive(Debug)]
pub struct Status {
    pub in_progress: AtomicBool,
    /// Set by FLUSHDB/FLUSHALL during a rewrite: start the copy over.
    pub restart_requested: AtomicBool,
    pub rewrites: AtomicU64,
    pub last_failed: AtomicBool,
    /// Seconds the last rewrite took (-1: none yet).
    pub last_time_sec: AtomicI64,
    /// When the running rewrite started.
    pub started: Mutex<Option<Instant>>,
    /// A rewrite was asked for (BGREWRITEAOF) and the rewriter thread is
    /// to start one.
    requested: Mutex<bool>,
    wake: Condvar,
}

impl Default for Status {
    fn default() -> Self {
        Status {
            in_progress: AtomicBool::new(false),
            restart_requested: AtomicBool::new(false),
            rewrites: AtomicU64::new(0),
            last_failed: AtomicBool::new(false),
            last_time_sec: AtomicI64::new(-1),
            started: Mutex::new(None),
            requested: Mutex::new(false),
            wake: Condvar::new(),
        }
    }
}

impl Status {
    /// Ask the rewriter thread for a rewrite. Returns `false` if one is
    /// already running or asked for.
    pub fn request(&self) -> bool {
        let mut requested = self.requested.lock();
        if *requested || self.in_progress.load(Ordering::Relaxed) {
            return false;
        }
        *requested = true;
        self.in_progress.store(true, Ordering::Relaxed);
        self.wake.notify_one();
        true
    }

    /// Wait for a request (or until `stop` says to end); returns whether
    /// one came.
    fn wait_request(&self, stop: &AtomicBool) -> bool {
        let mut requested = self.requested.lock();
        while !*requested {
            if stop.load(Ordering::Relaxed) {
                return false;
            }
            self.wake.wait_for(&mut requested, std::time::Duration::from_millis(100));
        }
        *requested = false;
        true
    }

    /// Wake the rewriter thread if it waits for a request, so that it sees
    /// its stop flag (set before this call) at once instead of at its next
    /// poll.
    pub fn wake_for_stop(&self) {
        // Under the lock: the waiter checks the flag and sleeps while
        // holding it, so the wake-up cannot fall between the two.
        let _requested = self.requested.lock();
        self.wake.notify_all();
    }

    /// Seconds the running rewrite has taken so far (-1: none running).
    pub fn current_time_sec(&self) -> i64 {
        self.started.lock().map_or(-1, |t| t.elapsed().as_secs() as i64)
    }
}

/// The rewriter thread's loop: one rewrite per request, until `stop`.
pub fn serve<K: Keyspace>(wal: &Wal, dbs: &[Db<K>], gate: &Gate, stop: &AtomicBool) {
    while wal.rewrites.wait_request(stop) {
        let started = Instant::now();
        *wal.rewrites.started.lock() = Some(started);
        let result = rewrite(wal, dbs, gate);
        if let Err(e) = &result {
            eprintln!("convoy: BGREWRITEAOF failed: {e}");
        }
        wal.rewrites.last_failed.store(result.is_err(), Ordering::Relaxed);
        wal.rewrites.last_time_sec.store(started.elapsed().as_secs() as i64, Ordering::Relaxed);
        wal.rewrites.rewrites.fetch_add(1, Ordering::Relaxed);
        *wal.rewrites.started.lock() = None;
        wal.rewrites.in_progress.store(false, Ordering::Relaxed);
    }
}

/// One rewrite, start to switch (see the module doc).
pub fn rewrite<K: Keyspace>(wal: &Wal, dbs: &[Db<K>], gate: &Gate) -> std::io::Result<()> {
    let temp_path = wal.dir.join(format!("{TEMP_PREFIX}{}.aof", std::process::id()));
    let result = copy_and_switch(wal, dbs, gate, &temp_path);
    if result.is_err() {
        let _ = std::fs::remove_file(&temp_path);
        wal.set_rewrite_buffer(false);
    }
    // Back to idle, so writers stop consulting the marks.
    set_all_marks(&wal.order, Mark::Idle);
    result
}

fn copy_and_switch<K: Keyspace>(
    wal: &Wal,
    dbs: &[Db<K>],
    gate: &Gate,
    temp_path: &std::path::Path,
) -> std::io::Result<()> {
    'restart: loop {
        wal.rewrites.restart_requested.store(false, Ordering::Relaxed);
        // Marks first, then the buffer: a stripe still marked done from an
        // earlier rewrite must not copy records into the new buffer.
        set_all_marks(&wal.order, Mark::Pending);
        wal.set_rewrite_buffer(true);

        let mut listed: Vec<Vec<(usize, Key)>> = (0..STRIPES).map(|_| Vec::new()).collect();
        for (index, db) in dbs.iter().enumerate() {
            db.map().for_each(|k, _| {
                listed[Stripes::index(index, k)].push((index, Key::from_slice(k)));
                true
            });
        }

        let file = std::fs::File::create(temp_path)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        out.write_all(format::HEADER)?;
        let mut buf = Vec::new();
        for (i, keys) in listed.iter_mut().enumerate() {
            {
                let _gate = gate.shared();
                let held = wal.order.lock_index(i);
                keys.extend(wal.order.take_touched(i));
                keys.sort_unstable();
                keys.dedup();
                let now = now_ms();
                for (db, key) in keys.iter() {
                    dbs[*db].peek(key, now, |e| key_records(*db, key, e, &mut buf, false));
                }
                wal.order.set_mark(i, &held, Mark::Done);
            }
            out.write_all(&buf)?;
            buf.clear();
            keys.clear();
            keys.shrink_to_fit();
            if wal.rewrites.restart_requested.load(Ordering::Relaxed) {
                continue 'restart;
            }
        }
        // Most of the work, fsynced without holding any lock of the log.
        let buffered = wal.take_rewrite_buffer();
        out.write_all(&buffered)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_data()?;
        // The switch holds the gate's shared side, so that no multi-key
        // command or transaction runs across it: one would otherwise have
        // its MULTI among the pending records the switch drops and its
        // EXEC in the new file (which then refuses to replay), and a
        // FLUSHDB or FLUSHALL could come between this check and the
        // switch, and be lost with the old file's pending records.
        let _alone = gate.shared();
        if wal.rewrites.restart_requested.load(Ordering::Relaxed) {
            continue 'restart;
        }
        return wal.switch_to(file, temp_path);
    }
}

fn set_all_marks(order: &Stripes, mark: Mark) {
    for i in 0..STRIPES {
        let held = order.lock_index(i);
        order.set_mark(i, &held, mark);
        if mark != Mark::Pending {
            order.take_touched(i);
        }
    }
}

/// Append to `out` the records that rebuild `key` of database `db` as
/// `entry` holds it (nothing if `entry` is `None`); `with_del` first
/// deletes whatever the key held.
pub fn key_records(db: usize, key: &[u8], entry: Option<&Entry>, out: &mut Vec<u8>, with_del: bool) {
    if with_del {
        format::encode(db, &[b"DEL", key], out);
    }
    let Some(entry) = entry else { return };
    let chunked = |command: &[u8], items: &mut dyn Iterator<Item = Vec<&[u8]>>, out: &mut Vec<u8>| {
        let mut args: Vec<&[u8]> = Vec::with_capacity(2 + ITEMS_PER_COMMAND * 2);
        let mut n = 0;
        for item in items {
            if n == 0 {
                args.clear();
                args.extend([command, key]);
            }
            args.extend(item);
            n += 1;
            if n == ITEMS_PER_COMMAND {
                format::encode(db, &args, out);
                n = 0;
            }
        }
        if n > 0 {
            format::encode(db, &args, out);
        }
    };
    match &entry.value {
        Value::Str(s) => format::encode(db, &[b"SET", key, s], out),
        Value::List(list) => chunked(b"RPUSH", &mut list.range(0, -1).map(|e| vec![&e[..]]), out),
        Value::Hash(hash) => chunked(b"HSET", &mut hash.fields.iter().map(|(f, v)| vec![&f[..], &v[..]]), out),
        Value::Set(set) => chunked(b"SADD", &mut set.members.keys().map(|m| vec![&m[..]]), out),
        Value::ZSet(zset) => {
            let scores: Vec<String> = zset.iter().map(|(_, s)| crate::resp::reply::format_double(s)).collect();
            chunked(b"ZADD", &mut zset.iter().zip(&scores).map(|((m, _), s)| vec![s.as_bytes(), &m[..]]), out)
        }
        Value::Stream(stream) => {
            let ids: Vec<String> = stream
                .range(crate::keyspace::types::stream::StreamId::MIN, crate::keyspace::types::stream::StreamId::MAX)
                .map(|(id, _)| id.to_string())
                .collect();
            for ((_, fields), id) in stream
                .range(crate::keyspace::types::stream::StreamId::MIN, crate::keyspace::types::stream::StreamId::MAX)
                .zip(&ids)
            {
                let mut args: Vec<&[u8]> = vec![b"XADD", key, id.as_bytes()];
                for (f, v) in fields.iter() {
                    args.extend([&f[..], &v[..]]);
                }
                format::encode(db, &args, out);
            }
            let last = stream.last_id.to_string();
            if ids.is_empty() {
                // An empty stream still exists: create it with one entry
                // trimmed away at once. Its ID is 0-1, as Redis writes it,
                // not the last ID, which may be 0-0 (XSETID allows it on an
                // empty stream, XADD does not); XSETID below sets the last
                // ID.
                format::encode(db, &[b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"], out);
            }
            let added = stream.entries_added.to_string();
            let max_deleted = stream.max_deleted_entry_id.to_string();
            // XSETID refuses a last ID below the largest deleted ID it is
            // given, but a stream can have one (XSETID lowers the last ID
            // without looking at the stream's largest deleted ID, as in
            // Redis 7.0): then the largest deleted ID goes in first, as the
            // last ID too, and a second XSETID lowers the last ID.
            let lowered = stream.last_id < stream.max_deleted_entry_id;
            let first = if lowered { &max_deleted } else { &last };
            format::encode(
                db,
                &[
                    b"XSETID",
                    key,
                    first.as_bytes(),
                    b"ENTRIESADDED",
                    added.as_bytes(),
                    b"MAXDELETEDID",
                    max_deleted.as_bytes(),
                ],
                out,
            );
            if lowered {
                format::encode(db, &[b"XSETID", key, last.as_bytes()], out);
            }
        }
    }
    if let Some(at) = entry.expires_at {
        format::encode(db, &[b"PEXPIREAT", key, at.to_string().as_bytes()], out);
    }
}
