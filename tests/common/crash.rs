//! Crash-test machinery for `tests/wal_crash.rs`: the real `convoy` binary
//! as a child process (killed when dropped), a RESP client whose every call
//! may fail (the server dies under it), concurrent writers that record
//! exactly what was acknowledged, and the checker that compares what a
//! restarted server holds with what was acknowledged before the crash.
//!
//! # What the writers do
//!
//! Each writer owns one connection and runs one command at a time (no
//! pipelining), so at any moment it has at most one write *in flight*: sent,
//! reply not yet read. A write counts as acknowledged only once its whole
//! reply has been read. Every value written carries `<writer>:<seq>`, where
//! `seq` grows per writer across every round on one directory, so any value
//! found after a restart names the one write that put it there.
//!
//! The keys (a few shared by every writer, one private to each):
//! - `w:<writer>`: `SET` of the writer's own register;
//! - `reg:<k>`: `SET` of a register every writer writes;
//! - `hash:<k>` field `f<j>`: `HSET` of a shared hash field;
//! - `ctr:<k>`: `INCR` of a shared counter;
//! - `list:<k>`: `RPUSH` to a shared list;
//! - `tx:a`, `tx:b`: `MULTI`, `INCR tx:a`, `INCRBY tx:b 2`, `EXEC`.
//!
//! [`Mix::Every`] picks among all of these; [`Mix::Transactions`] runs
//! only (longer) transactions.
//!
//! # What the checker demands after a restart
//!
//! - A register (`w:`, `reg:`, a hash field) holds its value from before
//!   the round only if no write to it was acknowledged in the round;
//!   otherwise it holds a value written in the round, and not one that an
//!   acknowledged write *sent after it was acknowledged* overwrote (that
//!   later write was applied after it, so it cannot be the last).
//! - A counter holds its value before the round plus every acknowledged
//!   `INCR`, plus at most the ones in flight: fewer is a lost write, more
//!   is a write replayed twice.
//! - A list still starts with its elements from before the round; after
//!   them, each writer's elements are exactly its acknowledged pushes, in
//!   order, perhaps followed by the one in flight.
//! - `tx:b` is twice `tx:a` (a transaction replays whole or not at all),
//!   and `tx:a` counts the acknowledged transactions, plus at most the one
//!   in flight per writer.
//!
//! What the server holds after the check becomes the model for the next
//! round on the same directory.
#![allow(dead_code)]

use crate::common::encode_cmd;
use rand::Rng;
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_convoy");

/// Shared keys of each kind (registers, hashes, counters, lists).
pub const SHARED_KEYS: usize = 8;
/// Fields written in each shared hash.
pub const FIELDS: usize = 4;

/// A `convoy` process with its log in a directory; killed with SIGKILL
/// when dropped, whatever path the test takes.
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    /// Everything the process has written to stderr so far.
    stderr: Arc<Mutex<String>>,
    drain: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Start `convoy --dir DIR --backend BACKEND --appendonly yes` (unless
    /// `extra` says otherwise) plus `extra` flags on a free port, and return
    /// once it listens (it replays the log first). Panics with its stderr
    /// if it does not start.
    pub fn start(dir: &Path, backend: &str, extra: &[&str]) -> Server {
        let appendonly: &[&str] = if extra.contains(&"--appendonly") { &[] } else { &["--appendonly", "yes"] };
        let child = Command::new(BIN)
            .args(["--port", "0", "--backend", backend, "--dir"])
            .arg(dir)
            .args(appendonly)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start convoy");
        // The guard exists before anything below can panic.
        let mut server = Server {
            child: Some(child),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stderr: Arc::default(),
            drain: None,
        };
        let pipe = server.child.as_mut().unwrap().stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let text = server.stderr.clone();
        server.drain = Some(std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.split(" listening on ").nth(1).and_then(|r| r.split(' ').next()) {
                    let _ = tx.send(addr.parse::<SocketAddr>().expect("address"));
                }
                let mut text = text.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        }));
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => server.addr = addr,
            Err(_) => {
                // Its stderr closed (it is exiting) or it hangs: give it a
                // moment to report an exit status.
                let child = server.child.as_mut().unwrap();
                let deadline = Instant::now() + Duration::from_secs(5);
                let status = loop {
                    match child.try_wait() {
                        Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                        other => break other,
                    }
                };
                server.join_drain_if_exited(&status);
                panic!("convoy did not start (exit: {status:?}); its stderr:\n{}", server.stderr());
            }
        }
        server
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGKILL the process and reap it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reap");
        }
        self.join_drain();
    }

    /// SIGTERM the process and wait (up to 60 s) for it to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let sent = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("convoy did not exit within 60 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        self.join_drain();
        status
    }

    fn join_drain_if_exited(&mut self, status: &io::Result<Option<ExitStatus>>) {
        if matches!(status, Ok(Some(_))) {
            self.join_drain();
        }
    }

    fn join_drain(&mut self) {
        if let Some(t) = self.drain.take() {
            let _ = t.join();
        }
    }

    /// What the process wrote to stderr so far (all of it once it exited).
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn conn(&self) -> Conn {
        Conn::connect(self.addr).expect("connect")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.join_drain();
    }
}

/// A RESP2 reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Value>>),
}

impl Value {
    /// A bulk string's bytes (`None` for nil); panics on other replies.
    pub fn bulk(self) -> Option<Vec<u8>> {
        match self {
            Value::Bulk(b) => b,
            other => panic!("not a bulk reply: {other:?}"),
        }
    }

    /// An array's items; panics on other replies.
    pub fn items(self) -> Vec<Value> {
        match self {
            Value::Array(Some(v)) => v,
            other => panic!("not an array reply: {other:?}"),
        }
    }
}

/// A client whose every call returns an error instead of panicking when
/// the server goes away.
pub struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    pub fn connect(addr: SocketAddr) -> io::Result<Conn> {
        let s = TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        s.set_nodelay(true)?;
        Ok(Conn { writer: s.try_clone()?, reader: BufReader::new(s) })
    }

    /// Write bytes as they are (one or more frames).
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write_all(bytes)
    }

    /// Send one command and read its reply.
    pub fn call(&mut self, args: &[&[u8]]) -> io::Result<Value> {
        self.send_raw(&encode_cmd(args))?;
        self.read()
    }

    /// [`Conn::call`] with text arguments, panicking on failure: for the
    /// checker and the test's own control connection.
    pub fn cmd(&mut self, args: &[&str]) -> Value {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.call(&args).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(args[0])))
    }

    /// Read one reply.
    pub fn read(&mut self) -> io::Result<Value> {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line)?;
        if !line.ends_with(b"\r\n") {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed mid-reply"));
        }
        line.truncate(line.len() - 2);
        let text = String::from_utf8_lossy(&line[1..]).into_owned();
        let number = || text.parse::<i64>().map_err(|_| io::Error::new(io::ErrorKind::InvalidData, text.clone()));
        Ok(match line.first() {
            Some(b'+') => Value::Status(text),
            Some(b'-') => Value::Error(text),
            Some(b':') => Value::Int(number()?),
            Some(b'$') => match number()? {
                n if n < 0 => Value::Bulk(None),
                n => {
                    let mut body = vec![0; n as usize + 2];
                    self.reader.read_exact(&mut body)?;
                    body.truncate(n as usize);
                    Value::Bulk(Some(body))
                }
            },
            Some(b'*') => match number()? {
                n if n < 0 => Value::Array(None),
                n => Value::Array(Some((0..n).map(|_| self.read()).collect::<io::Result<_>>()?)),
            },
            _ => return Err(io::Error::new(io::ErrorKind::InvalidData, format!("bad reply line {text:?}"))),
        })
    }
}

/// The value of `field:` in INFO's text.
pub fn info_field(conn: &mut Conn, section: &str, field: &str) -> String {
    let text = conn.cmd(&["INFO", section]).bulk().expect("INFO text");
    let text = String::from_utf8(text).unwrap();
    text.split("\r\n")
        .find_map(|l| l.strip_prefix(field).and_then(|r| r.strip_prefix(':')))
        .unwrap_or_else(|| panic!("INFO {section} has no {field}"))
        .to_string()
}

/// `count` keys `pre:<i>` = `v<i>`, in pipelined batches.
pub fn preload(conn: &mut Conn, count: usize) {
    const BATCH: usize = 1000;
    for start in (0..count).step_by(BATCH) {
        let end = (start + BATCH).min(count);
        let mut bytes = Vec::new();
        for i in start..end {
            bytes.extend(encode_cmd(&[b"SET", format!("pre:{i}").as_bytes(), format!("v{i}").as_bytes()]));
        }
        conn.send_raw(&bytes).expect("preload");
        for _ in start..end {
            assert_eq!(conn.read().expect("preload reply"), Value::Status("OK".into()));
        }
    }
}

/// Panics unless every `pre:<i>` (i < count) holds `v<i>`.
pub fn check_preload(conn: &mut Conn, count: usize, what: &str) {
    const BATCH: usize = 1000;
    for start in (0..count).step_by(BATCH) {
        let keys: Vec<String> = (start..(start + BATCH).min(count)).map(|i| format!("pre:{i}")).collect();
        let mut args = vec!["MGET"];
        args.extend(keys.iter().map(String::as_str));
        for (i, v) in conn.cmd(&args).items().into_iter().enumerate() {
            let want = format!("v{}", start + i);
            assert_eq!(v.bulk().as_deref(), Some(want.as_bytes()), "{what}: pre:{} lost or changed", start + i);
        }
    }
}

/// Read the log in `dir` as recovery does and describe the first
/// transaction that would not replay: an `EXEC` with no `MULTI` open, or a
/// `MULTI` inside one. Reading stops at a torn or damaged record (the
/// server may be writing the tail), and an open `MULTI` at the end is
/// fine (its `EXEC` may be on the way).
pub fn unbalanced_transaction(dir: &Path) -> Option<String> {
    use convoy::wal::format::Reader;
    let data = std::fs::read(dir.join(convoy::wal::FILE_NAME)).expect("read the log");
    let mut reader = Reader::new(&data).expect("the log's header");
    let mut open = None;
    while let Ok(Some(record)) = reader.next_record() {
        match (&record.args[0][..], open) {
            (b"MULTI", None) => open = Some(record.offset),
            (b"EXEC", Some(_)) => open = None,
            (b"MULTI", Some(at)) => return Some(format!("MULTI at offset {} inside the one at {at}", record.offset)),
            (b"EXEC", None) => {
                let before = (record.offset as usize).saturating_sub(300);
                return Some(format!(
                    "EXEC at offset {} with no MULTI open; the log before it: {:?}",
                    record.offset,
                    String::from_utf8_lossy(&data[before..record.offset as usize])
                ));
            }
            _ => {}
        }
    }
    None
}

/// One kind of write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    /// `SET w:<writer> <writer>:<seq>`
    SetOwn,
    /// `SET reg:<k> <writer>:<seq>`
    SetShared(usize),
    /// `HSET hash:<k> f<field> <writer>:<seq>`
    HSet(usize, usize),
    /// `INCR ctr:<k>`
    Incr(usize),
    /// `RPUSH list:<k> <writer>:<seq>`
    Push(usize),
    /// `MULTI`, `INCR tx:a`, that many `GET tx:a` (which stretch the
    /// time between the transaction's first record and its last),
    /// `INCRBY tx:b 2`, `EXEC`
    Tx(usize),
}

/// One write a writer sent, and when; `acked` is set once its reply was
/// read in full.
#[derive(Debug, Clone)]
pub struct Sent {
    pub op: Op,
    pub seq: u64,
    pub sent: Instant,
    pub acked: Option<Instant>,
}

/// What one writer sent in a round, in order: all acknowledged but
/// perhaps the last.
#[derive(Debug)]
pub struct WriterLog {
    pub writer: usize,
    pub ops: Vec<Sent>,
    /// Whether it stopped because the connection failed (the server died
    /// under it), rather than being told to stop or running out of writes.
    pub cut: bool,
}

impl WriterLog {
    fn value(&self, seq: u64) -> Vec<u8> {
        format!("{}:{seq}", self.writer).into_bytes()
    }
}

/// Which writes the writers pick from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mix {
    /// Every kind, weighted so that each is common and transactions,
    /// which run alone, somewhat less.
    Every,
    /// Transactions only.
    Transactions,
}

/// A random write from `mix`.
fn random_op(mix: Mix, rng: &mut impl Rng) -> Op {
    if mix == Mix::Transactions {
        return Op::Tx(32);
    }
    match rng.random_range(0..11) {
        0 | 1 => Op::SetOwn,
        2 | 3 => Op::SetShared(rng.random_range(0..SHARED_KEYS)),
        4 | 5 => Op::HSet(rng.random_range(0..SHARED_KEYS), rng.random_range(0..FIELDS)),
        6 | 7 => Op::Incr(rng.random_range(0..SHARED_KEYS)),
        8 | 9 => Op::Push(rng.random_range(0..SHARED_KEYS)),
        _ => Op::Tx(0),
    }
}

/// Send `op` and read its reply (replies as the command must, or the
/// writer panics); an I/O error means the server is gone.
fn perform(conn: &mut Conn, writer: usize, op: Op, seq: u64) -> io::Result<()> {
    let value = format!("{writer}:{seq}");
    let value = value.as_bytes();
    let expect = |got: Value, ok: fn(&Value) -> bool, what: &str| {
        assert!(ok(&got), "writer {writer}: {what} replied {got:?}");
    };
    let int = |v: &Value| matches!(v, Value::Int(_));
    match op {
        Op::SetOwn => {
            let key = format!("w:{writer}");
            expect(conn.call(&[b"SET", key.as_bytes(), value])?, |v| *v == Value::Status("OK".into()), "SET");
        }
        Op::SetShared(k) => {
            let key = format!("reg:{k}");
            expect(conn.call(&[b"SET", key.as_bytes(), value])?, |v| *v == Value::Status("OK".into()), "SET");
        }
        Op::HSet(k, f) => {
            let (key, field) = (format!("hash:{k}"), format!("f{f}"));
            expect(conn.call(&[b"HSET", key.as_bytes(), field.as_bytes(), value])?, int, "HSET");
        }
        Op::Incr(k) => expect(conn.call(&[b"INCR", format!("ctr:{k}").as_bytes()])?, int, "INCR"),
        Op::Push(k) => expect(conn.call(&[b"RPUSH", format!("list:{k}").as_bytes(), value])?, int, "RPUSH"),
        Op::Tx(reads) => {
            let mut bytes = encode_cmd(&[b"MULTI"]);
            bytes.extend(encode_cmd(&[b"INCR", b"tx:a"]));
            for _ in 0..reads {
                bytes.extend(encode_cmd(&[b"GET", b"tx:a"]));
            }
            bytes.extend(encode_cmd(&[b"INCRBY", b"tx:b", b"2"]));
            bytes.extend(encode_cmd(&[b"EXEC"]));
            conn.send_raw(&bytes)?;
            expect(conn.read()?, |v| *v == Value::Status("OK".into()), "MULTI");
            for _ in 0..reads + 2 {
                expect(conn.read()?, |v| *v == Value::Status("QUEUED".into()), "a command in MULTI");
            }
            let replies = conn.read()?;
            let Value::Array(Some(v)) = &replies else { panic!("writer {writer}: EXEC replied {replies:?}") };
            let (Some(Value::Int(a)), Some(Value::Int(b))) = (v.first(), v.last()) else {
                panic!("writer {writer}: EXEC replied {replies:?}")
            };
            assert_eq!(*b, 2 * a, "writer {writer}: EXEC replied {replies:?}");
            let a = a.to_string().into_bytes();
            assert!(
                v[1..v.len() - 1].iter().all(|r| *r == Value::Bulk(Some(a.clone()))),
                "writer {writer}: {replies:?}"
            );
        }
    }
    Ok(())
}

/// One writer: connect, wait for the others, then write until told to
/// stop, `max_ops` are done, or the connection fails.
fn write(
    addr: SocketAddr,
    writer: usize,
    (first_seq, max_ops, mix): (u64, usize, Mix),
    start: &Barrier,
    stop: &AtomicBool,
    acked_total: &AtomicUsize,
) -> WriterLog {
    let mut log = WriterLog { writer, ops: Vec::new(), cut: false };
    let conn = Conn::connect(addr);
    start.wait();
    let mut conn = conn.expect("writer connects");
    let mut rng = rand::rng();
    for seq in first_seq..first_seq + max_ops as u64 {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let op = random_op(mix, &mut rng);
        log.ops.push(Sent { op, seq, sent: Instant::now(), acked: None });
        if perform(&mut conn, writer, op, seq).is_err() {
            log.cut = true;
            break;
        }
        log.ops.last_mut().unwrap().acked = Some(Instant::now());
        acked_total.fetch_add(1, Ordering::Relaxed);
    }
    log
}

/// What one round of writers did.
pub struct Round {
    pub logs: Vec<WriterLog>,
    /// How long after the writers started `during` returned.
    pub elapsed: Duration,
}

impl Round {
    pub fn acked(&self) -> usize {
        self.logs.iter().map(|l| l.ops.iter().filter(|s| s.acked.is_some()).count()).sum()
    }

    pub fn in_flight(&self) -> usize {
        self.logs.iter().filter(|l| l.ops.last().is_some_and(|s| s.acked.is_none())).count()
    }

    pub fn cut(&self) -> usize {
        self.logs.iter().filter(|l| l.cut).count()
    }
}

/// The model: what the server must hold, as last verified, and each
/// writer's next sequence number.
#[derive(Clone)]
pub struct Model {
    pub writers: usize,
    pub mix: Mix,
    next_seq: Vec<u64>,
    state: State,
}

/// What the keys of the workload hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    own: Vec<Option<Vec<u8>>>,
    regs: Vec<Option<Vec<u8>>>,
    /// `fields[k][f]`: `hash:<k>` field `f<f>`.
    fields: Vec<Vec<Option<Vec<u8>>>>,
    counters: Vec<i64>,
    lists: Vec<Vec<Vec<u8>>>,
    tx_a: i64,
    tx_b: i64,
}

impl State {
    fn empty(writers: usize) -> State {
        State {
            own: vec![None; writers],
            regs: vec![None; SHARED_KEYS],
            fields: vec![vec![None; FIELDS]; SHARED_KEYS],
            counters: vec![0; SHARED_KEYS],
            lists: vec![Vec::new(); SHARED_KEYS],
            tx_a: 0,
            tx_b: 0,
        }
    }

    /// Read every key of the workload from a server.
    pub fn read(conn: &mut Conn, writers: usize) -> State {
        let mget = |conn: &mut Conn, keys: Vec<String>| -> Vec<Option<Vec<u8>>> {
            let mut args = vec!["MGET"];
            args.extend(keys.iter().map(String::as_str));
            conn.cmd(&args).items().into_iter().map(Value::bulk).collect()
        };
        let int =
            |v: Option<Vec<u8>>| -> i64 { v.map_or(0, |b| String::from_utf8(b).unwrap().parse().expect("an integer")) };
        let own = mget(conn, (0..writers).map(|w| format!("w:{w}")).collect());
        let regs = mget(conn, (0..SHARED_KEYS).map(|k| format!("reg:{k}")).collect());
        let counters = mget(conn, (0..SHARED_KEYS).map(|k| format!("ctr:{k}")).collect());
        let counters = counters.into_iter().map(int).collect();
        let fields = (0..SHARED_KEYS)
            .map(|k| {
                let key = format!("hash:{k}");
                let names: Vec<String> = (0..FIELDS).map(|f| format!("f{f}")).collect();
                let mut args = vec!["HMGET", key.as_str()];
                args.extend(names.iter().map(String::as_str));
                conn.cmd(&args).items().into_iter().map(Value::bulk).collect()
            })
            .collect();
        let lists = (0..SHARED_KEYS)
            .map(|k| {
                let key = format!("list:{k}");
                conn.cmd(&["LRANGE", &key, "0", "-1"]).items().into_iter().map(|v| v.bulk().unwrap()).collect()
            })
            .collect();
        let tx = mget(conn, vec!["tx:a".into(), "tx:b".into()]);
        let mut tx = tx.into_iter().map(int);
        State { own, regs, fields, counters, lists, tx_a: tx.next().unwrap(), tx_b: tx.next().unwrap() }
    }
}

/// One write to a register, as the checker sees it.
struct Assignment<'a> {
    value: Vec<u8>,
    sent: &'a Sent,
}

impl Model {
    pub fn new(writers: usize) -> Model {
        Model { writers, mix: Mix::Every, next_seq: vec![1; writers], state: State::empty(writers) }
    }

    /// Run `writers` concurrent writers (at most `max_ops` writes each)
    /// against `addr`; once all are connected and at least `writers` writes
    /// have been acknowledged (so that a round always has something to
    /// check, however slow a loaded machine starts them; at most 20 s),
    /// call `during` (which kills the server, stops the writers with the
    /// flag it is given, or both), then wait for every writer to end.
    pub fn run(&mut self, addr: SocketAddr, max_ops: usize, during: impl FnOnce(&AtomicBool)) -> Round {
        let start = Barrier::new(self.writers + 1);
        let stop = AtomicBool::new(false);
        let acked_total = AtomicUsize::new(0);
        let (logs, elapsed) = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..self.writers)
                .map(|w| {
                    let (start, stop, plan) = (&start, &stop, (self.next_seq[w], max_ops, self.mix));
                    let acked_total = &acked_total;
                    scope.spawn(move || write(addr, w, plan, start, stop, acked_total))
                })
                .collect();
            start.wait();
            let warm = Instant::now() + Duration::from_secs(20);
            // Relaxed: a count to wait on; the writers' logs are read after
            // they are joined.
            while acked_total.load(Ordering::Relaxed) < self.writers
                && Instant::now() < warm
                && !handles.iter().all(|h| h.is_finished())
            {
                std::thread::sleep(Duration::from_millis(1));
            }
            let began = Instant::now();
            // Caught, so that a failing `during` stops the writers (the
            // scope waits for them before passing its panic on).
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| during(&stop)));
            let elapsed = began.elapsed();
            // Whatever `during` did, no writer outlives the round.
            stop.store(true, Ordering::Relaxed);
            let logs: Vec<WriterLog> = handles.into_iter().map(|h| h.join().expect("writer panicked")).collect();
            if let Err(panic) = outcome {
                std::panic::resume_unwind(panic);
            }
            (logs, elapsed)
        });
        for log in &logs {
            if let Some(last) = log.ops.last() {
                self.next_seq[log.writer] = last.seq + 1;
            }
        }
        Round { logs, elapsed }
    }

    /// Compare what a restarted server holds (`after`) with the model and
    /// what `round` had acknowledged; returns every violation found. The
    /// model then becomes `after`.
    pub fn check(&mut self, round: &Round, after: State) -> Vec<String> {
        let mut bad = Vec::new();
        let before = &self.state;
        let mut own: Vec<Vec<Assignment>> = (0..self.writers).map(|_| Vec::new()).collect();
        let mut regs: Vec<Vec<Assignment>> = (0..SHARED_KEYS).map(|_| Vec::new()).collect();
        let mut fields: Vec<Vec<Vec<Assignment>>> =
            (0..SHARED_KEYS).map(|_| (0..FIELDS).map(|_| Vec::new()).collect()).collect();
        // (acknowledged, in flight)
        let mut incrs = [(0i64, 0i64); SHARED_KEYS];
        let mut txs = (0i64, 0i64);
        // pushes[k][writer]: its values pushed to list k, in order.
        let mut pushes: Vec<HashMap<usize, Vec<&Sent>>> = (0..SHARED_KEYS).map(|_| HashMap::new()).collect();
        for log in &round.logs {
            for sent in &log.ops {
                let w = || Assignment { value: log.value(sent.seq), sent };
                let count = |c: &mut (i64, i64)| if sent.acked.is_some() { c.0 += 1 } else { c.1 += 1 };
                match sent.op {
                    Op::SetOwn => own[log.writer].push(w()),
                    Op::SetShared(k) => regs[k].push(w()),
                    Op::HSet(k, f) => fields[k][f].push(w()),
                    Op::Incr(k) => count(&mut incrs[k]),
                    Op::Tx(_) => count(&mut txs),
                    Op::Push(k) => pushes[k].entry(log.writer).or_default().push(sent),
                }
            }
        }
        for (i, writes) in own.iter().enumerate() {
            check_register(&format!("w:{i}"), &before.own[i], &after.own[i], writes, &mut bad);
        }
        for (k, writes) in regs.iter().enumerate() {
            check_register(&format!("reg:{k}"), &before.regs[k], &after.regs[k], writes, &mut bad);
        }
        for (k, per_field) in fields.iter().enumerate() {
            for (f, writes) in per_field.iter().enumerate() {
                let name = format!("hash:{k} field f{f}");
                check_register(&name, &before.fields[k][f], &after.fields[k][f], writes, &mut bad);
            }
        }
        for (k, (acked, in_flight)) in incrs.iter().enumerate() {
            let (low, high) = (before.counters[k] + acked, before.counters[k] + acked + in_flight);
            if !(low..=high).contains(&after.counters[k]) {
                bad.push(format!(
                    "ctr:{k} = {}, expected {low}..={high} ({} before the round, {acked} INCRs acknowledged, \
                     {in_flight} in flight)",
                    after.counters[k], before.counters[k]
                ));
            }
        }
        if after.tx_b != 2 * after.tx_a {
            bad.push(format!("tx:a = {} but tx:b = {}: a transaction replayed in part", after.tx_a, after.tx_b));
        }
        let (low, high) = (before.tx_a + txs.0, before.tx_a + txs.0 + txs.1);
        if !(low..=high).contains(&after.tx_a) {
            bad.push(format!(
                "tx:a = {}, expected {low}..={high} ({} before, {} transactions acknowledged, {} in flight)",
                after.tx_a, before.tx_a, txs.0, txs.1
            ));
        }
        for (k, pushes) in pushes.iter().enumerate() {
            check_list(k, &before.lists[k], &after.lists[k], pushes, &mut bad);
        }
        self.state = after;
        bad
    }
}

fn show(v: &Option<Vec<u8>>) -> String {
    v.as_ref().map_or("(nil)".into(), |b| format!("{:?}", String::from_utf8_lossy(b)))
}

/// A register's value after the restart, against its writes in the round
/// (see the module doc).
fn check_register(
    name: &str,
    before: &Option<Vec<u8>>,
    after: &Option<Vec<u8>>,
    writes: &[Assignment],
    bad: &mut Vec<String>,
) {
    if after == before {
        if let Some(lost) = writes.iter().find(|w| w.sent.acked.is_some()) {
            bad.push(format!(
                "{name} = {} as before the round: the acknowledged write of {} is lost",
                show(after),
                show(&Some(lost.value.clone()))
            ));
        }
        return;
    }
    let Some(found) = writes.iter().find(|w| Some(&w.value) == after.as_ref()) else {
        bad.push(format!(
            "{name} = {}: neither its value before the round ({}) nor one written",
            show(after),
            show(before)
        ));
        return;
    };
    let Some(acked) = found.sent.acked else { return };
    if let Some(later) = writes.iter().find(|w| w.sent.acked.is_some() && w.sent.sent > acked) {
        bad.push(format!(
            "{name} = {}, but {} was sent after that was acknowledged, and acknowledged: lost",
            show(after),
            show(&Some(later.value.clone()))
        ));
    }
}

/// A list after the restart: its old elements, then each writer's
/// acknowledged pushes in order, perhaps followed by the one in flight.
fn check_list(
    k: usize,
    before: &[Vec<u8>],
    after: &[Vec<u8>],
    pushes: &HashMap<usize, Vec<&Sent>>,
    bad: &mut Vec<String>,
) {
    if !after.starts_with(before) {
        bad.push(format!(
            "list:{k} no longer starts with its {} elements from before the round (now {} elements)",
            before.len(),
            after.len()
        ));
        return;
    }
    let mut found: HashMap<usize, Vec<u64>> = HashMap::new();
    for element in &after[before.len()..] {
        let text = String::from_utf8_lossy(element);
        let parsed = text.split_once(':').and_then(|(w, s)| Some((w.parse::<usize>().ok()?, s.parse::<u64>().ok()?)));
        let Some((writer, seq)) = parsed else {
            bad.push(format!("list:{k} holds {text:?}, which no writer pushed"));
            return;
        };
        found.entry(writer).or_default().push(seq);
    }
    let writers: std::collections::BTreeSet<usize> = found.keys().chain(pushes.keys()).copied().collect();
    for writer in writers {
        let got = found.get(&writer).map_or(&[][..], Vec::as_slice);
        let sent = pushes.get(&writer).map_or(&[][..], Vec::as_slice);
        let acked: Vec<u64> = sent.iter().filter(|s| s.acked.is_some()).map(|s| s.seq).collect();
        let all: Vec<u64> = sent.iter().map(|s| s.seq).collect();
        if got != acked.as_slice() && got != all.as_slice() {
            bad.push(format!(
                "list:{k}: writer {writer}'s new elements are {got:?}, but it had {acked:?} acknowledged \
                 (and sent {all:?})"
            ));
        }
    }
}

/// A random duration in `range` (milliseconds).
pub fn random_ms(range: std::ops::Range<u64>) -> Duration {
    Duration::from_millis(rand::rng().random_range(range))
}
