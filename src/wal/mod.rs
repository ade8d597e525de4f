//! The write-ahead log (Redis's append-only file), with group commit.
//!
//! Every write command that changes data appends a record (the command, in
//! RESP, inside a checked frame: [`format`](mod@format)) to an in-memory buffer; a
//! *flusher* thread writes the buffer to the file and, as `appendfsync`
//! asks, fsyncs it. At start the log is replayed to rebuild the keyspace
//! (`server::recovery`); `BGREWRITEAOF` compacts it from the live keyspace
//! ([`rewrite`]). `convoy wal inspect FILE` prints a log's records and
//! checks them ([`inspect`]).
//!
//! # Durability and group commit (`--appendfsync`)
//!
//! - `always`: a write is acknowledged only once an fsync covers its record.
//!   The connection does not block a thread while it waits: it awaits
//!   [`Wal::wait`] (a future), and its worker serves other connections. The
//!   flusher takes *everything* pending whenever it starts a write, so one
//!   `write(2)` and one `fdatasync(2)` cover every record appended since the
//!   last one, from every connection: *group commit*. The more clients
//!   wait, the more records share an fsync, and the cost per write falls as
//!   concurrency rises.
//! - `everysec`: a write is acknowledged once its record reaches the file
//!   (the kernel's page cache, so a killed server loses nothing it
//!   acknowledged), and the file is fsynced about once a second: a power
//!   failure loses at most about a second of acknowledged writes.
//! - `no`: as `everysec`, but the kernel decides when to flush.
//!
//! # When the flusher writes
//!
//! Not at every append: a record is written when someone waits for it.
//! A worker thread that has served every connection it had ready, and is
//! about to sleep, kicks the flusher ([`Wal::kick`], from tokio's
//! `on_thread_park`: the counterpart of the `beforeSleep` in which Redis
//! writes its AOF); under `always` the flusher then waits, for at most a
//! few fsyncs' time, until the records pending number what the last fsync
//! covered plus what arrived while it ran (`Wal::gather`), so that the
//! clients it released, a round trip behind, join this fsync rather than
//! the next, and the clients do not split into groups taking turns. Where a hand-off to the flusher would
//! cost more than it saves, the waiting connection writes the log itself
//! (`Wal::write_here`): always under `everysec` and `no` (a `write(2)`),
//! and under `always` for a client alone. Each advance wakes exactly the
//! connections it covers (`Waiters`). And the file keeps a few megabytes
//! of zeros ahead of its end (`Wal::preallocate`), so that an fsync
//! flushes the records only, not a new file length.
//! `papers/03-durability.md` measures the result beside Redis.
//!
//! `--group-commit no` keeps the naive design for comparison: with `always`
//! each write command writes and fsyncs the log itself, on the worker thread
//! that runs it, before it is acknowledged: one fsync per write, and every
//! other command on that worker waits meanwhile.
//!
//! # Order
//!
//! The log's order agrees with the order writes were applied, key by key:
//! see [`order`]. Concurrent writers to one key replay to the final value
//! the server held.
//!
//! # Locks
//!
//! Three, always taken in this order: a command's ordering stripes
//! ([`order`]), then `file` (held while the file is written, fsynced or
//! switched), then `inner` (held only to copy a record into the buffer or
//! take the buffer). Appenders take only `inner`, so an fsync in progress
//! never delays an append.

pub mod format;
pub mod inspect;
pub mod order;
pub mod rewrite;

use parking_lot::{Condvar, Mutex};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// `--appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fsync {
    /// Acknowledge a write only after an fsync covers it.
    Always,
    /// Fsync about once a second.
    Everysec,
    /// Never fsync; the kernel flushes when it likes.
    No,
}

impl Fsync {
    pub fn name(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::Everysec => "everysec",
            Fsync::No => "no",
        }
    }
}

/// The longest a record waits for a write when no worker parks to ask for
/// one (workers busy with other clients the whole time), and the longest
/// [`Wal::gather`] waits.
const MAX_DELAY: Duration = Duration::from_micros(500);

/// How many fsync times [`Wal::gather`] waits at most for returning
/// clients. Measured at 50 and 200 clients on the reference machine
/// (`papers/03-durability.md`): 1 left the clients in two groups, 2 and 4
/// merged them (4 a little better; the wait is also capped by
/// [`MAX_DELAY`]).
const GATHER_FSYNCS: u32 = 4;

/// How far ahead of its writes the log sets space aside (see
/// [`Wal::preallocate`]).
const PREALLOCATE: u64 = 4 << 20;

/// The log's file name inside `--dir`.
pub const FILE_NAME: &str = "appendonly.aof";

/// What appenders share, behind `Wal::inner`.
struct Inner {
    /// Records appended and not yet taken by the flusher.
    pending: Vec<u8>,
    /// Bytes appended since the log was opened: the position, in that
    /// count, where the next record will end. A record's *LSN* is this
    /// count just after it.
    lsn: u64,
    /// Records appended since the log was opened.
    records: u64,
    /// `records` when the flusher last took the buffer, and how many it
    /// took then (see [`Wal::gather`]).
    records_taken: u64,
    last_batch: u64,
    /// Records pending when the last fsync ended: they arrived while it
    /// ran (see [`Wal::gather`]).
    carried: u64,
    /// The flusher is asleep on `Wal::wake`.
    flusher_idle: bool,
    /// A write was asked for ([`Wal::kick`]) since the flusher last took
    /// the buffer.
    kicked: bool,
    /// A rewrite's copy of the records it must replay after its snapshot.
    rewrite: Option<Vec<u8>>,
}

/// The open file, behind `Wal::file`.
struct FileState {
    file: File,
    /// Bytes of records in the file (the log's end).
    size: u64,
    /// Bytes the file holds: `size`, then zeros set aside for the records
    /// to come (see [`Wal::preallocate`]).
    allocated: u64,
    /// The file's size when it was opened or last rewritten.
    base_size: u64,
    last_fsync: Instant,
    /// The LSN up to which the file holds the records.
    written_lsn: u64,
    /// Records written to the file, for the records-per-fsync figure.
    written_records: u64,
    /// Written but not yet fsynced.
    dirty: bool,
}

/// Figures for INFO persistence.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub current_size: u64,
    pub base_size: u64,
    pub fsyncs: u64,
    pub records_fsynced: u64,
    pub records: u64,
    pub last_write_ok: bool,
    pub buffer_length: u64,
}

pub struct Wal {
    path: PathBuf,
    pub(crate) dir: PathBuf,
    /// The policy, as an [`Fsync`] discriminant: CONFIG SET appendfsync
    /// changes it while the server runs.
    fsync: std::sync::atomic::AtomicU8,
    group_commit: bool,
    inner: Mutex<Inner>,
    /// Wakes the flusher.
    wake: Condvar,
    file: Mutex<FileState>,
    /// The LSN of the last record appended (a copy of `Inner::lsn`, readable
    /// without the lock).
    appended: AtomicU64,
    /// The LSN up to which records are in the file (`write(2)` done).
    written: AtomicU64,
    /// The LSN up to which records are fsynced.
    synced: AtomicU64,
    /// Connections waiting for their records to be acknowledged, by LSN:
    /// each advance wakes exactly those it covers (see [`Waiters`]).
    waiters: Waiters,
    /// Ordering stripes (see [`order`]).
    pub order: order::Stripes,
    fsyncs: AtomicU64,
    records_fsynced: AtomicU64,
    /// How long the last fsync took (see [`Wal::gather`]).
    last_fsync_nanos: AtomicU64,
    last_write_ok: AtomicBool,
    stop: AtomicBool,
    /// Rewrite bookkeeping (see [`rewrite`]).
    pub rewrites: rewrite::Status,
}

impl Wal {
    /// Open (or create) the log at `dir/appendonly.aof`, positioned at
    /// `valid_len` (the end of the last whole record found by recovery;
    /// anything after it is cut off). The server then runs
    /// [`Wal::run_flusher`] on a thread of its own.
    pub fn open(dir: &Path, fsync: Fsync, group_commit: bool, valid_len: Option<u64>) -> std::io::Result<Wal> {
        let path = dir.join(FILE_NAME);
        remove_rewrite_leftovers(dir);
        let mut file = OpenOptions::new().create(true).read(true).write(true).truncate(false).open(&path)?;
        let mut size = file.metadata()?.len();
        if let Some(len) = valid_len {
            if len < size {
                file.set_len(len)?;
                file.sync_all()?;
                size = len;
            }
        }
        if size < format::HEADER.len() as u64 {
            // New, or only a torn header: start the file afresh.
            file.set_len(0)?;
            file.write_all(format::HEADER)?;
            file.sync_all()?;
            sync_dir(dir)?;
            size = format::HEADER.len() as u64;
        }
        use std::io::Seek;
        file.seek(std::io::SeekFrom::End(0))?;
        Ok(Wal {
            path,
            dir: dir.to_path_buf(),
            fsync: std::sync::atomic::AtomicU8::new(fsync as u8),
            group_commit,
            inner: Mutex::new(Inner {
                pending: Vec::new(),
                lsn: 0,
                records: 0,
                flusher_idle: false,
                kicked: false,
                rewrite: None,
                records_taken: 0,
                last_batch: 0,
                carried: 0,
            }),
            wake: Condvar::new(),
            file: Mutex::new(FileState {
                file,
                size,
                allocated: size,
                base_size: size,
                last_fsync: Instant::now(),
                written_lsn: 0,
                written_records: 0,
                dirty: false,
            }),
            appended: AtomicU64::new(0),
            written: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            waiters: Waiters::default(),
            order: order::Stripes::new(),
            fsyncs: AtomicU64::new(0),
            records_fsynced: AtomicU64::new(0),
            last_fsync_nanos: AtomicU64::new(0),
            last_write_ok: AtomicBool::new(true),
            stop: AtomicBool::new(false),
            rewrites: rewrite::Status::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn fsync_policy(&self) -> Fsync {
        // Relaxed: a policy read a moment late only delays the change.
        match self.fsync.load(Ordering::Relaxed) {
            0 => Fsync::Always,
            1 => Fsync::Everysec,
            _ => Fsync::No,
        }
    }

    /// CONFIG SET appendfsync. Switching to `always` first fsyncs what is
    /// written, so every record acknowledged from then on is covered.
    pub fn set_fsync_policy(&self, policy: Fsync) {
        if policy == Fsync::Always {
            self.flush_all();
        }
        self.fsync.store(policy as u8, Ordering::Relaxed);
        self.wake_acknowledged();
    }

    pub fn group_commit(&self) -> bool {
        self.group_commit
    }

    /// Append one record (`args` in database `db`); `to_rewrite` also copies
    /// it into a running rewrite's buffer (see [`rewrite`]). Returns its
    /// LSN, for [`Wal::wait`]. In the naive mode (`--group-commit no` with
    /// `always`) the record is written and fsynced before this returns.
    pub fn append(&self, db: usize, args: &[&[u8]], to_rewrite: bool) -> u64 {
        if self.naive() {
            let mut file = self.file.lock();
            let lsn = self.push(db, args, to_rewrite);
            self.flush_locked(&mut file, true);
            return lsn;
        }
        self.push(db, args, to_rewrite)
    }

    fn naive(&self) -> bool {
        !self.group_commit && self.fsync_policy() == Fsync::Always
    }

    /// Copy a record into the buffer and wake the flusher if it sleeps.
    fn push(&self, db: usize, args: &[&[u8]], to_rewrite: bool) -> u64 {
        let mut inner = self.inner.lock();
        let before = inner.pending.len();
        format::encode(db, args, &mut inner.pending);
        let added = inner.pending.len() - before;
        if to_rewrite {
            let Inner { pending, rewrite, .. } = &mut *inner;
            if let Some(buf) = rewrite.as_mut() {
                buf.extend_from_slice(&pending[before..]);
            }
        }
        inner.lsn += added as u64;
        inner.records += 1;
        // Release: a reader that sees this LSN and waits for it is ordered
        // after the record's append (and the change it logs).
        self.appended.store(inner.lsn, Ordering::Release);
        inner.lsn
    }

    /// The LSN of the last record appended: waiting for it covers every
    /// change applied before now.
    pub fn appended(&self) -> u64 {
        self.appended.load(Ordering::Acquire)
    }

    /// Start a write (and fsync) of the records pending now. The server
    /// calls this when a worker thread runs out of work and is about to
    /// sleep (tokio's `on_thread_park`): every connection that worker had
    /// ready has run and appended its records by then, so one write and
    /// one fsync cover them all. This is the grouping Redis gets from its
    /// event loop (serve every ready client, then fsync once, then reply).
    /// Kicked at the first record instead, the flusher would fsync that
    /// record nearly alone, again and again, while the others arrive a few
    /// microseconds behind it.
    pub fn kick(&self) {
        // Cheap when there is nothing to do: a worker parks often.
        if self.appended() <= self.written.load(Ordering::Acquire) {
            return;
        }
        let mut inner = self.inner.lock();
        if !inner.pending.is_empty() {
            inner.kicked = true;
            if inner.flusher_idle {
                self.wake.notify_one();
            }
        }
    }

    /// Whether a record with this LSN may be acknowledged.
    pub fn is_acknowledged(&self, lsn: u64) -> bool {
        // Acquire pairs with the flusher's Release store: nothing to read
        // behind it, but it keeps the check honest if that changes.
        let done = match self.fsync_policy() {
            Fsync::Always => self.synced.load(Ordering::Acquire),
            _ => self.written.load(Ordering::Acquire),
        };
        done >= lsn
    }

    /// Wait until a record with this LSN may be acknowledged: fsynced under
    /// `always`, written to the file otherwise. A future: the waiting
    /// connection holds no thread.
    ///
    /// Waiting does not start the write: the worker's park does
    /// ([`Wal::kick`]), except for a client alone (`Wal::write_here`).
    pub async fn wait(&self, lsn: u64) {
        if self.is_acknowledged(lsn) {
            return;
        }
        if self.write_here() && self.is_acknowledged(lsn) {
            return;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.waiters.add(lsn, tx);
        // Checked again after registering: an advance published before the
        // registration (whose wake-up ran before it) is seen here; one
        // published after it finds the registration. The waiters' mutex
        // orders the two.
        if self.is_acknowledged(lsn) {
            return;
        }
        let _ = rx.await;
    }

    /// Write the pending records from the waiting connection's own worker,
    /// when handing them to the flusher thread would cost more than it
    /// saves: a hand-off there and an acknowledgement back are two thread
    /// wake-ups per batch.
    ///
    /// - Under `everysec` and `no` an acknowledgement needs only the
    ///   `write(2)`, a few microseconds: the first connection to wait
    ///   writes everything pending (if no one else is writing), for
    ///   everyone, as Redis writes its AOF buffer from its event loop. The
    ///   once-a-second fsync stays on the flusher thread.
    /// - Under `always`, only with one client at a time (the last fsync
    ///   covered a single record): there is nobody to group with, so the
    ///   connection writes and fsyncs itself. As soon as an fsync covers
    ///   more than one record, the flusher and its grouping take over.
    ///
    /// Returns whether it wrote.
    fn write_here(&self) -> bool {
        if !self.group_commit {
            return false;
        }
        if self.fsync_policy() == Fsync::Always && self.inner.lock().last_batch > 1 {
            return false;
        }
        match self.file.try_lock() {
            Some(mut file) => {
                self.flush_locked_from(&mut file, false, true);
                true
            }
            None => false,
        }
    }

    /// Wake every waiter whose record is now acknowledged.
    fn wake_acknowledged(&self) {
        let done = match self.fsync_policy() {
            Fsync::Always => self.synced.load(Ordering::Acquire),
            _ => self.written.load(Ordering::Acquire),
        };
        self.waiters.wake_up_to(done);
    }

    /// The flusher's loop: run on a thread of its own until [`Wal::stop`].
    pub fn run_flusher(&self) {
        loop {
            {
                let mut inner = self.inner.lock();
                loop {
                    if self.stop.load(Ordering::Acquire) || (inner.kicked && !inner.pending.is_empty()) {
                        break;
                    }
                    // Records nobody has kicked for yet are written within
                    // MAX_DELAY (a worker busy for that long without
                    // parking); with none, everysec wakes now and then to
                    // fsync what it wrote.
                    let timeout = if !inner.pending.is_empty() {
                        MAX_DELAY
                    } else if self.fsync_policy() == Fsync::Everysec {
                        Duration::from_millis(100)
                    } else {
                        Duration::from_secs(1)
                    };
                    inner.flusher_idle = true;
                    let timed_out = self.wake.wait_for(&mut inner, timeout).timed_out();
                    inner.flusher_idle = false;
                    if timed_out {
                        break;
                    }
                }
                inner.kicked = false;
                self.gather(&mut inner);
            }
            let mut file = self.file.lock();
            self.flush_locked(&mut file, false);
            if self.stop.load(Ordering::Acquire) && self.inner.lock().pending.is_empty() {
                self.sync_locked(&mut file);
                return;
            }
        }
    }

    /// Under `always`, before a write and fsync: wait a little for the
    /// clients the last fsync released, so that they share the next one.
    ///
    /// Why: the clients the last fsync acknowledged are on their way back
    /// with their next writes, a network round trip behind, while the
    /// records that arrived *during* that fsync (`carried`) are already
    /// here. Started at once (the first worker to park kicks it), the next
    /// fsync would cover only those, and the returning clients would wait
    /// for the one after: the clients split into two groups that take
    /// turns, each fsync covering about half of them, so the server pays
    /// twice the fsyncs Redis pays, and an fsync costs CPU as well as time
    /// (`papers/03-durability.md`). So the flusher waits until the records
    /// pending number what the last fsync covered plus what was carried
    /// over, for at most [`GATHER_FSYNCS`] fsync times (and at most
    /// [`MAX_DELAY`]): the two groups merge into one, and batches grow
    /// toward every active client, as in Redis's event loop. With one
    /// client the last batch was one record and none was carried, and
    /// nothing waits.
    fn gather(&self, inner: &mut parking_lot::MutexGuard<'_, Inner>) {
        if self.fsync_policy() != Fsync::Always {
            return;
        }
        let fsync = Duration::from_nanos(self.last_fsync_nanos.load(Ordering::Relaxed));
        let wait = (fsync * GATHER_FSYNCS).min(MAX_DELAY);
        let target = inner.last_batch + inner.carried;
        let deadline = Instant::now() + wait;
        while inner.records - inner.records_taken < target && !self.stop.load(Ordering::Acquire) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            // Woken by the next kick (a worker parking after serving more
            // clients) or at the deadline.
            inner.flusher_idle = true;
            self.wake.wait_for(inner, deadline - now);
            inner.flusher_idle = false;
        }
    }

    /// Write whatever is pending and fsync as the policy (or `force`) asks;
    /// the caller holds `file`.
    fn flush_locked(&self, file: &mut FileState, force: bool) {
        self.flush_locked_from(file, force, false)
    }

    /// As [`Wal::flush_locked`]; `written_here` (a connection writing for
    /// itself, see [`Wal::write_here`]) leaves everysec's periodic fsync
    /// to the flusher thread, so that no worker blocks on it.
    fn flush_locked_from(&self, file: &mut FileState, force: bool, written_here: bool) {
        let (bytes, lsn, records) = {
            let mut inner = self.inner.lock();
            inner.last_batch = inner.records - inner.records_taken;
            inner.records_taken = inner.records;
            (std::mem::take(&mut inner.pending), inner.lsn, inner.records)
        };
        if !bytes.is_empty() {
            if file.size + bytes.len() as u64 > file.allocated {
                self.preallocate(file, bytes.len() as u64);
            }
            // Retry until the write succeeds: an acknowledged write must be
            // in the file. Until then INFO shows aof_last_write_status:err
            // and `always` writers wait.
            // A failed write may have written part of the buffer (a disk
            // filling up mid-write): cut the file back to its last whole
            // record before trying again, or the retry would leave a
            // damaged record in the middle of the log.
            loop {
                match file.file.write_all(&bytes) {
                    Ok(()) => break,
                    Err(e) => {
                        if self.last_write_ok.swap(false, Ordering::Relaxed) {
                            eprintln!("convoy: writing the append-only file failed: {e}; retrying");
                        }
                        let size = file.size;
                        let _ = file.file.set_len(size);
                        file.allocated = size;
                        let _ = std::io::Seek::seek(&mut file.file, std::io::SeekFrom::Start(size));
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            }
            self.last_write_ok.store(true, Ordering::Relaxed);
            file.size += bytes.len() as u64;
            file.written_lsn = lsn;
            file.written_records = records;
            file.dirty = true;
            // Release pairs with `is_acknowledged`'s Acquire.
            self.written.store(lsn, Ordering::Release);
            self.wake_acknowledged();
        }
        let due = match self.fsync_policy() {
            Fsync::Always => true,
            Fsync::Everysec => file.last_fsync.elapsed() >= Duration::from_secs(1) && !written_here,
            Fsync::No => false,
        };
        if file.dirty && (due || force) {
            self.sync_locked(file);
        }
    }

    /// Set aside the next [`PREALLOCATE`] bytes (at least `needed`) after
    /// the file's end by writing zeros there, and fsync the file's new
    /// length once.
    ///
    /// Why: appending to a file changes its length, and an fdatasync of a
    /// file whose length changed must also commit that change to the file
    /// system's journal. Records written over zeros already in the file
    /// change no length, so each fsync under `always` flushes data only:
    /// measurably cheaper per fsync on this project's machine (see
    /// `papers/03-durability.md`). The zeros are never mistaken for
    /// records (a record never starts with a zero byte; readers take zeros
    /// where a record would start as the log's end), and a clean shutdown
    /// cuts them off ([`Wal::close`]). If the zeros cannot be written (a
    /// full disk), the log appends as before.
    fn preallocate(&self, file: &mut FileState, needed: u64) {
        use std::os::unix::fs::FileExt;
        let grow = needed.max(PREALLOCATE);
        let zeros = vec![0u8; 1 << 20];
        let mut at = file.allocated;
        let end = file.allocated + grow;
        while at < end {
            let n = (end - at).min(zeros.len() as u64) as usize;
            if file.file.write_all_at(&zeros[..n], at).is_err() {
                break;
            }
            at += n as u64;
        }
        if at > file.allocated && file.file.sync_all().is_ok() {
            file.allocated = at;
        }
    }

    /// fdatasync the file and publish what it covers.
    fn sync_locked(&self, file: &mut FileState) {
        if !file.dirty {
            return;
        }
        let started = Instant::now();
        while let Err(e) = file.file.sync_data() {
            if self.last_write_ok.swap(false, Ordering::Relaxed) {
                eprintln!("convoy: fsync of the append-only file failed: {e}; retrying");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        file.dirty = false;
        file.last_fsync = Instant::now();
        self.last_fsync_nanos.store(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        self.fsyncs.fetch_add(1, Ordering::Relaxed);
        self.records_fsynced.store(file.written_records, Ordering::Relaxed);
        self.synced.store(file.written_lsn, Ordering::Release);
        self.wake_acknowledged();
        let mut inner = self.inner.lock();
        inner.carried = inner.records - inner.records_taken;
    }

    /// Ask the flusher to write and fsync what is left and end.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        let _inner = self.inner.lock();
        self.wake.notify_one();
    }

    /// At shutdown, after the flusher has stopped: write and fsync what is
    /// left, and cut off the zeros set aside ahead of the log's end, so
    /// that the file holds exactly the records.
    pub fn close(&self) {
        let mut file = self.file.lock();
        self.flush_locked(&mut file, true);
        if file.allocated > file.size {
            let size = file.size;
            if file.file.set_len(size).and_then(|()| file.file.sync_all()).is_ok() {
                file.allocated = size;
            }
        }
    }

    /// Write and fsync everything appended so far, from the caller's thread
    /// (shutdown, SHUTDOWN, tests).
    pub fn flush_all(&self) {
        let mut file = self.file.lock();
        self.flush_locked(&mut file, true);
    }

    /// Whether a record for `key` (database `db`), whose ordering stripe
    /// the caller holds, must also go to a running rewrite: only if the
    /// rewrite has already copied that stripe (see [`rewrite`]). A key in
    /// a stripe not yet copied is remembered, so the copy includes it.
    pub fn rewrite_wants(&self, db: usize, key: &[u8]) -> bool {
        match self.order.mark(db, key) {
            order::Mark::Idle => false,
            order::Mark::Pending => {
                self.order.touch(db, key);
                false
            }
            order::Mark::Done => true,
        }
    }

    /// Start (`true`) or drop (`false`) a rewrite's copy of the records.
    pub(crate) fn set_rewrite_buffer(&self, on: bool) {
        self.inner.lock().rewrite = on.then(Vec::new);
    }

    /// Take what the rewrite's buffer holds so far (it keeps collecting).
    pub(crate) fn take_rewrite_buffer(&self) -> Vec<u8> {
        self.inner.lock().rewrite.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Add records to a running rewrite's buffer only (not to the log).
    pub fn append_to_rewrite(&self, records: &[u8]) {
        if let Some(buf) = self.inner.lock().rewrite.as_mut() {
            buf.extend_from_slice(records);
        }
    }

    /// End a rewrite: append the rest of its buffer to `file` (the new log,
    /// already fsynced up to here), fsync it, rename it over the log, fsync
    /// the directory, and continue the log in it. Records pending at this
    /// moment are already in the new file (see [`rewrite`]), so they are
    /// dropped from the buffer and acknowledged with it.
    pub(crate) fn switch_to(&self, mut file: File, temp_path: &Path) -> std::io::Result<()> {
        let mut current = self.file.lock();
        let (rest, lsn, records) = {
            let mut inner = self.inner.lock();
            let rest = inner.rewrite.take().unwrap_or_default();
            inner.pending.clear();
            (rest, inner.lsn, inner.records)
        };
        file.write_all(&rest)?;
        file.sync_data()?;
        std::fs::rename(temp_path, &self.path)?;
        sync_dir(&self.dir)?;
        let size = file.metadata()?.len();
        *current = FileState {
            file,
            size,
            allocated: size,
            base_size: size,
            last_fsync: Instant::now(),
            written_lsn: lsn,
            written_records: records,
            dirty: false,
        };
        self.records_fsynced.store(records, Ordering::Relaxed);
        self.written.store(lsn, Ordering::Release);
        self.synced.store(lsn, Ordering::Release);
        self.wake_acknowledged();
        Ok(())
    }

    /// Figures for INFO persistence.
    pub fn figures(&self) -> Figures {
        let file = self.file.lock();
        let inner = self.inner.lock();
        Figures {
            current_size: file.size,
            base_size: file.base_size,
            fsyncs: self.fsyncs.load(Ordering::Relaxed),
            records_fsynced: self.records_fsynced.load(Ordering::Relaxed),
            records: inner.records,
            last_write_ok: self.last_write_ok.load(Ordering::Relaxed),
            buffer_length: inner.pending.len() as u64,
        }
    }
}

/// Connections waiting for acknowledgement, ordered by the LSN they wait
/// for. An advance to LSN `n` wakes exactly the waiters at or below `n`:
/// with 200 clients waiting and an fsync covering 40 of them, 40 tasks
/// wake, not 200 (a broadcast would make every fsync cost a wake-up per
/// waiting client, most of them for nothing).
#[derive(Default)]
struct Waiters {
    by_lsn: Mutex<std::collections::BTreeMap<(u64, u64), tokio::sync::oneshot::Sender<()>>>,
    /// Tie-breaker between waiters on one LSN.
    next: AtomicU64,
}

impl Waiters {
    fn add(&self, lsn: u64, tx: tokio::sync::oneshot::Sender<()>) {
        // Relaxed: the number only has to be distinct.
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.by_lsn.lock().insert((lsn, id), tx);
    }

    fn wake_up_to(&self, done: u64) {
        let ready = {
            let mut map = self.by_lsn.lock();
            if map.first_key_value().is_none_or(|(&(lsn, _), _)| lsn > done) {
                return;
            }
            let later = map.split_off(&(done + 1, 0));
            std::mem::replace(&mut *map, later)
        };
        for (_, tx) in ready {
            // A waiter that gave up (its connection closed) is gone: fine.
            let _ = tx.send(());
        }
    }
}

/// Remove the temporary files of rewrites that a crash interrupted (the
/// log itself was never replaced by them, so nothing in them is needed).
fn remove_rewrite_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if rewrite::is_temp_file_name(&name.to_string_lossy()) {
            eprintln!("convoy: removing {}, left by a rewrite that did not finish", entry.path().display());
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// fsync a directory, so that a file created or renamed in it survives a
/// crash.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}
