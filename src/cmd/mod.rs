//! Commands: from a request's arguments to an operation on the keyspace and
//! a reply.
//!
//! Every command is a plain function generic over the backend,
//! `fn(&mut Ctx<K>, &[Bytes]) -> CmdResult`, registered in a
//! [`CommandTable`] with its Redis metadata (arity, flags, key positions,
//! group, summary), so that dispatch, arity errors, `COMMAND INFO` and
//! `COMMAND DOCS` all read one table. One file per command family; each
//! family's `register` adds its commands. Commands never name a concrete
//! backend.
//!
//! Each command follows the same few verbs: parse its arguments (errors
//! word for word as Redis 7), apply to the keyspace through
//! [`Db::get`]/[`Db::update`], and return a [`Reply`].
//!
//! Argument bytes are slices of the connection's read buffer: a command
//! that *stores* an argument must copy it first ([`owned`]), or the stored
//! value would pin the whole buffer.

pub mod client;
pub mod config;
pub mod connection;
pub mod hashes;
pub mod keys;
pub mod latency;
pub mod lists;
pub mod memory;
pub mod propagate;
pub mod pubsub;
pub mod server;
pub mod sets;
pub mod shutdown;
pub mod slowlog;
pub mod streams;
pub mod strings;
pub mod transactions;
pub mod zsets;

use crate::keyspace::types::Collection;
use crate::keyspace::{Db, Entry, Hasher, Keyspace, Str, UnixMillis};
use crate::metrics::Outcome;
use crate::resp::Reply;
use crate::server::{ClientState, Shared};
use bytes::Bytes;
use std::collections::HashMap;
use std::time::Instant;

/// What a command returns: its reply, or an error reply. Both are sent to
/// the client; the split only lets `?` end a command early.
pub type CmdResult = Result<Reply, Reply>;

/// A command's implementation.
pub type Handler<K> = fn(&mut Ctx<'_, K>, &[Bytes]) -> CmdResult;

/// Everything a command may touch.
pub struct Ctx<'a, K> {
    /// State shared by the whole server: databases, gate, clients, config.
    pub server: &'a Shared<K>,
    /// The calling connection's own state (selected db, protocol, name).
    pub client: &'a mut ClientState,
    /// The time the command runs at, for expiry decisions.
    pub now: UnixMillis,
    /// Set by a blocking command that found nothing: the connection waits
    /// on these keys and then runs the command again (see
    /// [`server::blocking`](crate::server::blocking)).
    pub block: Option<BlockRequest>,
    /// True while EXEC runs queued commands: blocking commands then time
    /// out at once, as in Redis.
    pub in_exec: bool,
}

/// What a blocking command waits for.
#[derive(Debug)]
pub struct BlockRequest {
    /// Keys whose growth may let the command succeed.
    pub keys: Vec<Bytes>,
    /// When to give up; `None` waits for ever.
    pub timeout: Option<std::time::Duration>,
    /// The reply when the time is up (nil, or a null array).
    pub on_timeout: Reply,
    /// The arguments to run when woken, if not the original ones. A command
    /// whose arguments mean "as of now" (XREAD's `$`: whatever is newest
    /// now) pins that meaning at its first attempt by rewriting them here.
    pub retry_args: Option<Vec<Bytes>>,
}

impl<'a, K: Keyspace> Ctx<'a, K> {
    pub fn new(server: &'a Shared<K>, client: &'a mut ClientState, now: UnixMillis) -> Self {
        Ctx { server, client, now, block: None, in_exec: false }
    }

    /// The database the client has selected.
    pub fn db(&self) -> &Db<K> {
        &self.server.dbs[self.client.db]
    }

    /// A blocking command found nothing to take: ask the connection to wait
    /// for one of `keys` to grow, for at most `timeout` (`None`: for ever).
    /// Inside EXEC this replies `on_timeout` at once instead. The returned
    /// reply is what the command should return now.
    pub fn block_on(&mut self, keys: &[Bytes], timeout: Option<std::time::Duration>, on_timeout: Reply) -> CmdResult {
        if self.in_exec {
            return Ok(on_timeout);
        }
        self.block =
            Some(BlockRequest { keys: keys.to_vec(), timeout, on_timeout: on_timeout.clone(), retry_args: None });
        Ok(on_timeout)
    }

    /// A write added `n` elements to `key` (a list, sorted set or stream):
    /// wake up to `n` clients blocked on it. Call after the update.
    pub fn signal_ready(&self, key: &[u8], n: usize) {
        self.server.blocking.signal(self.client.db, key, n);
    }
}

/// Parse a blocking command's timeout (seconds, fractions allowed, 0 for
/// ever) as Redis 7.2's `getTimeoutFromObjectOrReply`: a long double,
/// turned into milliseconds rounded up.
pub fn parse_timeout(arg: &[u8]) -> Result<Option<std::time::Duration>, Reply> {
    let secs: f64 = std::str::from_utf8(arg)
        .ok()
        .filter(|s| !s.is_empty() && !s.starts_with(char::is_whitespace) && !s.ends_with(char::is_whitespace))
        .and_then(|s| s.parse().ok())
        .filter(|v: &f64| !v.is_nan())
        .ok_or(Reply::error("ERR timeout is not a float or out of range"))?;
    let ms = (secs * 1000.0).ceil();
    if ms > i64::MAX as f64 {
        return Err(Reply::error("ERR timeout is out of range"));
    }
    if ms < 0.0 {
        return Err(Reply::error("ERR timeout is negative"));
    }
    Ok(if ms == 0.0 { None } else { Some(std::time::Duration::from_millis(ms as u64)) })
}

/// How a command enters the [gate](crate::keyspace::gate): which commands
/// must run alone so that multi-key commands are atomic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Touches no key (PING, CLIENT ...): no gate at all.
    None,
    /// Touches one key at a time: the gate's shared side.
    Shared,
    /// Must appear atomic across keys (MSET, RENAME, FLUSHDB): exclusive.
    Exclusive,
    /// Exclusive when it names more than one key (DEL a b, MGET a b),
    /// shared otherwise. For commands whose arguments are all keys.
    ExclusiveIfManyKeys,
}

/// A subcommand's metadata (CONFIG GET, CLIENT ID), for COMMAND INFO/DOCS.
#[derive(Debug, Clone, Copy)]
pub struct Subcommand {
    /// Full name as Redis writes it: `config|get`.
    pub name: &'static str,
    pub arity: i32,
    pub flags: &'static [&'static str],
    pub summary: &'static str,
}

/// One command's entry in the table.
pub struct CommandSpec<K> {
    /// Lower-case name.
    pub name: &'static str,
    /// Redis's arity: `n` exactly n arguments (name included), `-n` at least n.
    pub arity: i32,
    pub flags: &'static [&'static str],
    /// First key, last key (-1: the last argument) and step, as COMMAND INFO
    /// reports them; 0, 0, 0 for commands without keys.
    pub keys: (i32, i32, i32),
    pub access: Access,
    /// COMMAND DOCS: group (`string`, `generic`, `connection`, `server`).
    pub group: &'static str,
    pub summary: &'static str,
    pub since: &'static str,
    pub subcommands: &'static [Subcommand],
    pub handler: Handler<K>,
}

impl<K> CommandSpec<K> {
    /// Whether the command may change keys (its first flag is `write`,
    /// checked when it is registered): such commands are logged.
    pub fn writes(&self) -> bool {
        self.flags.first() == Some(&"write")
    }

    /// Whether `argc` arguments (name included) satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        arity_ok(self.arity, argc)
    }
}

/// Whether `argc` arguments (name included) satisfy Redis's `arity`: `n`
/// exactly n, `-n` at least n.
fn arity_ok(arity: i32, argc: usize) -> bool {
    let (argc, a) = (argc as i64, arity as i64);
    if a >= 0 {
        argc == a
    } else {
        argc >= -a
    }
}

/// All commands, by lower-case name, each with its metrics slot.
pub struct CommandTable<K> {
    by_name: HashMap<&'static [u8], (CommandSpec<K>, usize), Hasher>,
    /// The name of each metrics slot: every command, and after a container
    /// (CONFIG, CLIENT) each of its subcommands (`config|get`), which
    /// Redis's commandstats count apart.
    slot_names: Vec<&'static str>,
}

impl<K: Keyspace> Default for CommandTable<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Keyspace> CommandTable<K> {
    /// The table of every supported command.
    pub fn new() -> Self {
        let mut t = CommandTable { by_name: HashMap::with_hasher(Hasher::new()), slot_names: Vec::new() };
        connection::register(&mut t);
        server::register(&mut t);
        client::register(&mut t);
        config::register(&mut t);
        slowlog::register(&mut t);
        latency::register(&mut t);
        strings::register(&mut t);
        keys::register(&mut t);
        transactions::register(&mut t);
        pubsub::register(&mut t);
        streams::register(&mut t);
        zsets::register(&mut t);
        hashes::register(&mut t);
        sets::register(&mut t);
        lists::register(&mut t);
        memory::register(&mut t);
        shutdown::register(&mut t);
        // Slots in name order, so that INFO commandstats lists commands
        // alphabetically.
        let mut names: Vec<&'static [u8]> = t.by_name.keys().copied().collect();
        names.sort_unstable();
        for name in names {
            let (spec, slot) = t.by_name.get_mut(name).expect("a name just listed");
            *slot = t.slot_names.len();
            t.slot_names.push(spec.name);
            t.slot_names.extend(spec.subcommands.iter().map(|s| s.name));
        }
        t
    }

    /// Each metrics slot's name, slot by slot (see [`CommandTable::lookup`]).
    pub fn slot_names(&self) -> Vec<&'static str> {
        self.slot_names.clone()
    }

    /// The command `args` names, with the metrics slot of this call: the
    /// command's own, or its subcommand's. One lookup, as [`get`](Self::get).
    pub fn lookup(&self, args: &[Bytes]) -> Option<(&CommandSpec<K>, usize)> {
        let (spec, base) = self.entry(&args[0])?;
        if spec.subcommands.is_empty() {
            return Some((spec, *base));
        }
        let name = server::full_name(spec, args);
        Some((spec, spec.subcommands.iter().position(|s| s.name == name).map_or(*base, |i| base + 1 + i)))
    }

    /// Add a command; its name must be lower case and new.
    pub fn add(&mut self, spec: CommandSpec<K>) {
        assert!(spec.name.bytes().all(|b| !b.is_ascii_uppercase()), "{} not lower case", spec.name);
        // A command that writes keys must hold the gate, or multi-key
        // atomicity, WATCH and blocked clients' wake-ups lose their footing.
        assert!(
            !(spec.flags.contains(&"write") && spec.access == Access::None),
            "{} writes without the gate",
            spec.name
        );
        assert!(
            spec.flags.contains(&"write") == spec.writes(),
            "{}: `write` must come first among the flags",
            spec.name
        );
        let old = self.by_name.insert(spec.name.as_bytes(), (spec, 0));
        assert!(old.is_none(), "command registered twice");
    }

    /// Find a command by name, in any case, without allocating.
    pub fn get(&self, name: &[u8]) -> Option<&CommandSpec<K>> {
        self.entry(name).map(|(spec, _)| spec)
    }

    /// A command and its metrics slot, by name in any case.
    fn entry(&self, name: &[u8]) -> Option<&(CommandSpec<K>, usize)> {
        let mut buf = [0u8; 32];
        let lower = buf.get_mut(..name.len())?;
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        self.by_name.get(&*lower)
    }

    /// Every command, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &CommandSpec<K>> {
        self.by_name.values().map(|(spec, _)| spec)
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// Run one request: look the command up, check its arity, queue it if a
/// transaction is open, else enter the gate as the command requires and
/// call it.
///
/// Every call is counted in the server's [`Metrics`](crate::metrics::Metrics):
/// a refused one (arity, a subscribed connection) as rejected, one that ran
/// with its time and whether it failed, and a slow one goes in the
/// [slow log](slowlog). A blocking command that found nothing is counted
/// when it finally replies.
pub fn execute<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> Reply {
    let server = ctx.server;
    let Some((spec, slot)) = server.commands.lookup(args) else {
        transactions::refused(ctx.client);
        return counted_error(ctx, unknown_command(args));
    };
    let started = server.metrics.start();
    let rejected = |ctx: &mut Ctx<'_, K>, reply: Reply| {
        server.metrics.record(slot, started, Outcome::Rejected);
        counted_error(ctx, reply)
    };
    if !spec.arity_ok(args.len()) {
        transactions::refused(ctx.client);
        if spec.name == "exec" {
            // Redis's rejectCommand: a refused EXEC discards the transaction.
            let reply = transactions::abort(ctx, &format!("wrong number of arguments for '{}' command", spec.name));
            return rejected(ctx, reply);
        }
        return rejected(ctx, wrong_arity(spec.name));
    }
    // A container's subcommand is looked up and checked here, before the
    // call, as Redis's processCommand does: an unknown subcommand is
    // refused and counted nowhere but in the error statistics (there is no
    // command to count it against), and a subcommand's wrong number of
    // arguments is a rejected call of that subcommand (`config|get`).
    if args.len() > 1 && !spec.subcommands.is_empty() {
        match server::lookup_subcommand(spec.subcommands, &args[1]) {
            None => {
                transactions::refused(ctx.client);
                return counted_error(ctx, unknown_subcommand(spec.name, &args[1]));
            }
            Some(sub) if !arity_ok(sub.arity, args.len()) => {
                transactions::refused(ctx.client);
                return rejected(ctx, wrong_arity(sub.name));
            }
            Some(_) => {}
        }
    }
    // Authentication, where Redis's processCommand checks it: after the
    // lookup and arity checks, before everything else (see server::auth).
    if !ctx.client.authenticated && server.auth.required() && !spec.flags.contains(&"no_auth") {
        transactions::refused(ctx.client);
        if spec.name == "exec" {
            // As for a wrong arity: a refused EXEC discards the transaction.
            let reply = transactions::abort(ctx, crate::server::auth::NOAUTH);
            return rejected(ctx, reply);
        }
        return rejected(ctx, Reply::error(crate::server::auth::NOAUTH));
    }
    if let Some(refused) = pubsub::subscribed_context(ctx.client, spec, args) {
        return rejected(ctx, refused);
    }
    if let Some(multi) = ctx.client.multi.as_mut() {
        if spec.flags.contains(&"no_multi") {
            // SHUTDOWN: refused, and the transaction with it.
            multi.aborted = true;
            return rejected(ctx, Reply::error("ERR Command not allowed inside a transaction"));
        }
        if !transactions::runs_inside_multi(spec.name) {
            multi.bytes += args.iter().map(|a| a.len()).sum::<usize>();
            multi.queue.push(args.to_vec());
            return Reply::status("QUEUED");
        }
    }
    let access = match spec.access {
        Access::ExclusiveIfManyKeys if args.len() > 2 => Access::Exclusive,
        Access::ExclusiveIfManyKeys => Access::Shared,
        a => a,
    };
    // With the write-ahead log on, a write command is logged before it
    // leaves the gate, and a single-key one holds its keys' ordering
    // stripes from before it applies until it is logged (see
    // `wal::order`).
    let wal = server.wal.as_deref().filter(|_| spec.writes());
    let result = match access {
        Access::None => (spec.handler)(ctx, args),
        Access::Shared => {
            let _gate = server.gate.shared();
            let _stripes = wal.map(|wal| wal.order.lock_keys(ctx.client.db, propagate::command_keys(spec, args)));
            let result = (spec.handler)(ctx, args);
            if let (Ok(reply), Some(_)) = (&result, wal) {
                propagate::log_command(ctx, spec, args, reply, false);
            }
            result
        }
        _ => {
            let _gate = server.gate.exclusive();
            let result = (spec.handler)(ctx, args);
            if let (Ok(reply), Some(_)) = (&result, wal) {
                propagate::log_command(ctx, spec, args, reply, true);
            }
            result
        }
    };
    let reply = result.unwrap_or_else(|e| e);
    if ctx.block.is_none() {
        finished(ctx, spec, args, slot, started, reply)
    } else {
        reply
    }
}

/// Count a call that ran: its time, and whether it replied with an error;
/// log it if it was slow.
fn finished<K: Keyspace>(
    ctx: &mut Ctx<'_, K>,
    spec: &CommandSpec<K>,
    args: &[Bytes],
    slot: usize,
    started: Option<Instant>,
    reply: Reply,
) -> Reply {
    let outcome = if reply.is_error() { Outcome::Failed } else { Outcome::Ok };
    if let Some(nanos) = ctx.server.metrics.record(slot, started, outcome) {
        slowlog::log_if_slow(ctx, spec, args, nanos);
    }
    counted_error(ctx, reply)
}

/// Count a blocking command that timed out as one call, with the reply it
/// times out with, as Redis counts it when it gives up on a blocked client
/// (the time spent blocked is not a call's time, in Redis or here).
pub fn timed_out<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes], reply: Reply) -> Reply {
    let server = ctx.server;
    match server.commands.lookup(args) {
        Some((spec, slot)) => finished(ctx, spec, args, slot, server.metrics.start(), reply),
        None => reply,
    }
}

/// Count `reply` in the error statistics (`errorstat_ERR`) if it is one.
fn counted_error<K: Keyspace>(ctx: &mut Ctx<'_, K>, reply: Reply) -> Reply {
    if let Reply::Error(message) = &reply {
        ctx.server.metrics.error(message);
    }
    reply
}

/// Run a command queued by MULTI, from EXEC: the caller already holds the
/// gate's exclusive side, so the command does not enter it again.
pub fn execute_queued<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> Reply {
    match ctx.server.commands.lookup(args) {
        Some((spec, slot)) => {
            let started = ctx.server.metrics.start();
            let result = (spec.handler)(ctx, args);
            if let (Ok(reply), true) = (&result, spec.writes()) {
                propagate::log_command(ctx, spec, args, reply, true);
            }
            finished(ctx, spec, args, slot, started, result.unwrap_or_else(|e| e))
        }
        None => counted_error(ctx, unknown_command(args)),
    }
}

/// Redis's reply to a command it does not know, quoting up to 128 bytes of
/// the arguments.
pub fn unknown_command(args: &[Bytes]) -> Reply {
    let mut quoted = String::new();
    for a in &args[1..] {
        if quoted.len() >= 128 {
            break;
        }
        let room = 128 - quoted.len();
        let text = String::from_utf8_lossy(&c_str(a)[..c_str(a).len().min(room)]);
        quoted.push_str(&format!("'{text}' "));
    }
    let name = String::from_utf8_lossy(&c_str(&args[0])[..c_str(&args[0]).len().min(128)]);
    error_line(format!("ERR unknown command '{name}', with args beginning with: {quoted}"))
}

/// The bytes before the first NUL: Redis formats these arguments with
/// `%s`, which stops there (`tests/bad_input.rs`).
fn c_str(arg: &[u8]) -> &[u8] {
    arg.split(|&b| b == 0).next().unwrap_or(arg)
}

/// `ERR wrong number of arguments for 'get' command` (`config|get` for a
/// subcommand).
pub fn wrong_arity(full_name: &str) -> Reply {
    Reply::error_owned(format!("ERR wrong number of arguments for '{full_name}' command"))
}

/// `ERR unknown subcommand 'x'. Try CONFIG HELP.`
pub fn unknown_subcommand(container: &str, sub: &[u8]) -> Reply {
    let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]);
    error_line(format!("ERR unknown subcommand '{sub}'. Try {} HELP.", container.to_ascii_uppercase()))
}

/// Redis's `addReplySubcommandSyntaxError`: a known subcommand with
/// arguments it does not take (`args[1]` quoted as the client wrote it).
pub fn subcommand_syntax_error(args: &[Bytes]) -> Reply {
    let sub = String::from_utf8_lossy(&args[1][..args[1].len().min(128)]);
    let container = String::from_utf8_lossy(&args[0]).to_ascii_uppercase();
    error_line(format!("ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {container} HELP."))
}

/// An error built from client text: like Redis, `\r` and `\n` become spaces
/// so the reply stays one line.
pub fn error_line(mut s: String) -> Reply {
    if s.contains(['\r', '\n']) {
        s = s.replace(['\r', '\n'], " ");
    }
    Reply::error_owned(s)
}

/// Redis's common error replies, word for word.
pub mod err {
    pub const SYNTAX: &str = "ERR syntax error";
    pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
    pub const NOT_FLOAT: &str = "ERR value is not a valid float";
    pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
    pub const NO_SUCH_KEY: &str = "ERR no such key";
    pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
    pub const DB_RANGE: &str = "ERR DB index is out of range";
    pub const INVALID_CURSOR: &str = "ERR invalid cursor";
}

/// A copy of an argument that is safe to store (see the module doc).
pub fn owned(arg: &Bytes) -> Bytes {
    Bytes::copy_from_slice(arg)
}

/// The collection of type `T` an entry holds, or WRONGTYPE.
pub fn typed<T: Collection>(e: &Entry) -> Result<&T, Reply> {
    T::of(&e.value).ok_or(Reply::error(err::WRONGTYPE))
}

/// The collection of type `T` an entry holds, for changing it, or WRONGTYPE.
pub fn typed_mut<T: Collection>(e: &mut Entry) -> Result<&mut T, Reply> {
    T::of_mut(&mut e.value).ok_or(Reply::error(err::WRONGTYPE))
}

/// As [`typed`], for a key that may be missing (`Ok(None)`).
pub fn typed_opt<T: Collection>(e: Option<&Entry>) -> Result<Option<&T>, Reply> {
    e.map(typed).transpose()
}

/// Run `f` on the collection of type `T` at `slot`, inside an update.
/// A missing key is created empty first if `create` is set; otherwise `f`
/// does not run and `missing()` is the result. A collection left empty
/// deletes its key, as in Redis.
pub fn with_collection<T: Collection, R>(
    slot: &mut Option<Entry>,
    create: bool,
    missing: impl FnOnce() -> R,
    f: impl FnOnce(&mut T) -> Result<R, Reply>,
) -> Result<R, Reply> {
    if slot.is_none() {
        if !create {
            return Ok(missing());
        }
        *slot = Some(empty_entry::<T>());
    }
    let result = f(typed_mut::<T>(slot.as_mut().expect("present"))?);
    delete_if_empty::<T>(slot);
    result
}

/// A new entry holding an empty collection of type `T`, with no expiry
/// (filled by the caller before its update ends).
pub fn empty_entry<T: Collection>() -> Entry {
    Entry { value: T::default().wrap(), expires_at: None }
}

/// Delete the key if the update left its collection of type `T` empty, as
/// Redis does.
pub fn delete_if_empty<T: Collection>(slot: &mut Option<Entry>) {
    if slot.as_ref().and_then(|e| T::of(&e.value)).is_some_and(|c| c.is_empty()) {
        *slot = None;
    }
}

/// A reply carrying a string read from the keyspace (see [`Str::to_bytes`]
/// for why small values are copied, not shared).
pub fn reply_value(v: &Str) -> Reply {
    Reply::Bulk(v.to_bytes())
}

/// Parse an integer argument strictly, as Redis's `getLongLongFromObject`.
pub fn parse_int(arg: &[u8]) -> Result<i64, Reply> {
    crate::resp::parse::parse_i64(arg).ok_or(Reply::error(err::NOT_INTEGER))
}

/// Case-insensitive comparison of an argument with an option name.
pub fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}
