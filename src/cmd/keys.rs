//! Generic key commands: DEL UNLINK EXISTS TYPE KEYS SCAN RENAME RENAMENX
//! EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST
//! RANDOMKEY.
//!
//! These commands work on keys whatever their value, so each one touches
//! only an entry's expiry time or the entry as a whole, never its contents.
//! Every change goes through [`Db::update`](crate::keyspace::Db::update),
//! which keeps the expiry index in step with the map: setting, moving or
//! removing a TTL here is all active expiry needs to know.
//!
//! Atomicity across keys comes from the gate, not from the code here: DEL,
//! UNLINK and EXISTS with several keys, and RENAME/RENAMENX always, run
//! alone ([`Access::Exclusive`]), so their check-then-act sequences over
//! two keys cannot interleave with any other command (nor with active
//! expiry, which takes the gate's shared side).

use super::{err, error_line, is, parse_int, Access, CmdResult, CommandSpec, CommandTable, Ctx};
use crate::keyspace::{glob, Keyspace, UnixMillis};
use crate::resp::Reply;
use bytes::Bytes;

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    let generic = |name, arity, flags, keys, access, summary, since, handler| CommandSpec {
        name,
        arity,
        flags,
        keys,
        access,
        group: "generic",
        summary,
        since,
        subcommands: &[],
        handler,
    };
    use Access::{Exclusive, ExclusiveIfManyKeys, Shared};
    const ONE: (i32, i32, i32) = (1, 1, 1);
    const ALL: (i32, i32, i32) = (1, -1, 1);
    const NONE: (i32, i32, i32) = (0, 0, 0);
    const W_FAST: &[&str] = &["write", "fast"];
    const R_FAST: &[&str] = &["readonly", "fast"];
    t.add(generic("del", -2, &["write"], ALL, ExclusiveIfManyKeys, "Deletes one or more keys.", "1.0.0", del::<K>));
    t.add(generic(
        "unlink",
        -2,
        W_FAST,
        ALL,
        ExclusiveIfManyKeys,
        "Asynchronously deletes one or more keys.",
        "4.0.0",
        del::<K>,
    ));
    t.add(generic(
        "exists",
        -2,
        R_FAST,
        ALL,
        ExclusiveIfManyKeys,
        "Determines whether one or more keys exist.",
        "1.0.0",
        exists::<K>,
    ));
    t.add(generic(
        "type",
        2,
        R_FAST,
        ONE,
        Shared,
        "Determines the type of value stored at a key.",
        "1.0.0",
        type_::<K>,
    ));
    t.add(generic(
        "keys",
        2,
        &["readonly"],
        NONE,
        Shared,
        "Returns all key names that match a pattern.",
        "1.0.0",
        keys::<K>,
    ));
    t.add(generic(
        "scan",
        -2,
        &["readonly"],
        NONE,
        Shared,
        "Iterates over the key names in the database.",
        "2.8.0",
        scan::<K>,
    ));
    t.add(generic(
        "rename",
        3,
        &["write"],
        (1, 2, 1),
        Exclusive,
        "Renames a key and overwrites the destination.",
        "1.0.0",
        rename::<K>,
    ));
    t.add(generic(
        "renamenx",
        3,
        W_FAST,
        (1, 2, 1),
        Exclusive,
        "Renames a key only when the target key name doesn't exist.",
        "1.0.0",
        renamenx::<K>,
    ));
    t.add(generic(
        "expire",
        -3,
        W_FAST,
        ONE,
        Shared,
        "Sets the expiration time of a key in seconds.",
        "1.0.0",
        expire::<K>,
    ));
    t.add(generic(
        "pexpire",
        -3,
        W_FAST,
        ONE,
        Shared,
        "Sets the expiration time of a key in milliseconds.",
        "2.6.0",
        pexpire::<K>,
    ));
    t.add(generic(
        "expireat",
        -3,
        W_FAST,
        ONE,
        Shared,
        "Sets the expiration time of a key to a Unix timestamp.",
        "1.2.0",
        expireat::<K>,
    ));
    t.add(generic(
        "pexpireat",
        -3,
        W_FAST,
        ONE,
        Shared,
        "Sets the expiration time of a key to a Unix milliseconds timestamp.",
        "2.6.0",
        pexpireat::<K>,
    ));
    t.add(generic(
        "ttl",
        2,
        R_FAST,
        ONE,
        Shared,
        "Returns the expiration time in seconds of a key.",
        "1.0.0",
        ttl::<K>,
    ));
    t.add(generic(
        "pttl",
        2,
        R_FAST,
        ONE,
        Shared,
        "Returns the expiration time in milliseconds of a key.",
        "2.6.0",
        pttl::<K>,
    ));
    t.add(generic(
        "expiretime",
        2,
        R_FAST,
        ONE,
        Shared,
        "Returns the expiration time of a key as a Unix timestamp.",
        "7.0.0",
        expiretime::<K>,
    ));
    t.add(generic(
        "pexpiretime",
        2,
        R_FAST,
        ONE,
        Shared,
        "Returns the expiration time of a key as a Unix milliseconds timestamp.",
        "7.0.0",
        pexpiretime::<K>,
    ));
    t.add(generic("persist", 2, W_FAST, ONE, Shared, "Removes the expiration time of a key.", "2.2.0", persist::<K>));
    t.add(generic(
        "randomkey",
        1,
        &["readonly"],
        NONE,
        Shared,
        "Returns a random key name from the database.",
        "1.0.0",
        randomkey::<K>,
    ));
    t.add(CommandSpec {
        subcommands: OBJECT_SUBCOMMANDS,
        ..generic(
            "object",
            -2,
            &[],
            NONE,
            Shared,
            "A container for object introspection commands.",
            "2.2.3",
            object::<K>,
        )
    });
}

// ---------------------------------------------------------------------------
// Deleting and testing keys
// ---------------------------------------------------------------------------

/// # Format
/// `DEL key [key ...]` and `UNLINK key [key ...]`: the number of keys
/// removed (a key named twice counts once). UNLINK frees the value in the
/// background in Redis; here dropping a value is the map's business, so the
/// two are one command.
fn del<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let removed = args[1..].iter().filter(|k| ctx.db().remove(&k[..], ctx.now)).count();
    Ok(Reply::Integer(removed as i64))
}

/// # Format
/// `EXISTS key [key ...]`: how many of the named keys exist, a key named
/// twice counting twice.
fn exists<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let found = args[1..].iter().filter(|k| ctx.db().exists(&k[..], ctx.now)).count();
    Ok(Reply::Integer(found as i64))
}

/// # Format
/// `TYPE key`: `+string`, ..., or `+none` for a missing key.
fn type_<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let name = ctx.db().get(&args[1], ctx.now, |e| e.map_or("none", |e| e.value.type_name()));
    Ok(Reply::status(name))
}

// ---------------------------------------------------------------------------
// Listing keys
// ---------------------------------------------------------------------------

/// # Format
/// `KEYS pattern`: every key matching a glob pattern (see
/// [`glob`](crate::keyspace::glob)), in no particular order.
fn keys<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let keys = ctx.db().keys(&args[1], ctx.now);
    Ok(Reply::Array(keys.into_iter().map(Reply::Bulk).collect()))
}

/// # Format
/// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`: an array of the
/// next cursor (a bulk string, `0` when the scan is over) and an array of
/// keys.
///
/// The cursor is a position in hash order (see
/// [`scan`](crate::keyspace::scan)): a full scan returns every key present
/// for its whole duration at least once. COUNT (default 10) is how many
/// keys to examine, before MATCH and TYPE filter them, as in Redis; a
/// reply may therefore be empty while the cursor is not 0. An unknown TYPE
/// name matches nothing (Redis 7 accepts it silently too).
fn scan<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let cursor = parse_cursor(&args[1])?;
    let opts = ScanOptions::parse(&args[2..], true)?;
    let (next, keys) = ctx.db().scan(cursor, opts.count, ctx.now, |k, e| {
        opts.matches(k) && opts.type_name.is_none_or(|t| is(t, e.value.type_name()))
    });
    Ok(scan_reply(next, keys.into_iter().map(Reply::Bulk).collect()))
}

/// The options of the SCAN family after the cursor, in any order, as
/// Redis's `scanGenericCommand` reads them: `MATCH pattern`, `COUNT count`
/// (at least 1, default 10), and for SCAN itself `TYPE type`.
pub(crate) struct ScanOptions<'a> {
    /// `None` for no pattern, or `*`: everything matches, so the matcher is
    /// skipped, as Redis does.
    pub pattern: Option<&'a [u8]>,
    /// How many elements to examine (before MATCH filters them). A huge
    /// COUNT only means "the rest": no allocation depends on it.
    pub count: usize,
    pub type_name: Option<&'a [u8]>,
}

impl<'a> ScanOptions<'a> {
    /// Parse `args` (everything after the cursor); `with_type` allows TYPE.
    pub(crate) fn parse(args: &'a [Bytes], with_type: bool) -> Result<ScanOptions<'a>, Reply> {
        let mut opts = ScanOptions { pattern: None, count: 10, type_name: None };
        let mut i = 0;
        while i < args.len() {
            let value = args.get(i + 1).ok_or(Reply::error(err::SYNTAX))?;
            if is(&args[i], "match") {
                opts.pattern = if &value[..] == b"*" { None } else { Some(&value[..]) };
            } else if is(&args[i], "count") {
                let n = parse_int(value)?;
                if n < 1 {
                    return Err(Reply::error(err::SYNTAX));
                }
                opts.count = usize::try_from(n).unwrap_or(usize::MAX);
            } else if with_type && is(&args[i], "type") {
                opts.type_name = Some(&value[..]);
            } else {
                return Err(Reply::error(err::SYNTAX));
            }
            i += 2;
        }
        Ok(opts)
    }

    /// Whether `element` passes MATCH.
    pub(crate) fn matches(&self, element: &[u8]) -> bool {
        self.pattern.is_none_or(|p| glob::matches(p, element, false))
    }
}

/// A SCAN-family reply: the next cursor (a bulk string, `0` when the scan
/// is over) and the elements.
pub(crate) fn scan_reply(cursor: u64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::bulk_str(itoa::Buffer::new().format(cursor)), Reply::Array(items)])
}

/// A SCAN cursor as Redis 7 reads it, with C's `strtoul` (base 10) and two
/// extra checks: no leading space, nothing after the digits. So `+5` is 5,
/// `-1` wraps to 2^64-1, the empty string is 0 (strtoul reads no digits
/// and stops at the end), and a value past 2^64-1 is invalid
/// (`ERR invalid cursor`).
pub(crate) fn parse_cursor(arg: &[u8]) -> Result<u64, Reply> {
    cursor_value(arg).ok_or(Reply::error(err::INVALID_CURSOR))
}

fn cursor_value(arg: &[u8]) -> Option<u64> {
    if arg.is_empty() {
        return Some(0);
    }
    let (negative, digits) = match arg[0] {
        b'-' => (true, &arg[1..]),
        b'+' => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

const OBJECT_SUBCOMMANDS: &[super::Subcommand] = &[
    super::Subcommand {
        name: "object|encoding",
        arity: 3,
        flags: &["readonly"],
        summary: "Returns the internal encoding of a Redis object.",
    },
    super::Subcommand {
        name: "object|freq",
        arity: 3,
        flags: &["readonly"],
        summary: "Returns the logarithmic access frequency counter of a Redis object.",
    },
    super::Subcommand {
        name: "object|help",
        arity: 2,
        flags: &["loading", "stale"],
        summary: "Returns helpful text about the different subcommands.",
    },
    super::Subcommand {
        name: "object|idletime",
        arity: 3,
        flags: &["readonly"],
        summary: "Returns the time since the last access to a Redis object.",
    },
    super::Subcommand {
        name: "object|refcount",
        arity: 3,
        flags: &["readonly"],
        summary: "Returns the reference count of a value of a key.",
    },
];

/// # Format
/// `OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ key`, `OBJECT HELP`
///
/// ENCODING names the encoding Redis 7 would use for the same value (see
/// `Value::encoding`); REFCOUNT is always 1 (values are not shared between
/// keys); IDLETIME is 0, as convoy keeps no access clock per key (there is
/// no LRU eviction to feed); FREQ answers as Redis does without an LFU
/// policy. Missing keys reply nil.
fn object<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let sub = super::server::subcommand("object", OBJECT_SUBCOMMANDS, args)?;
    if sub.name == "object|help" {
        return Ok(super::server::help(
            "object",
            &[
                "ENCODING <key>",
                "    Return the kind of internal representation used in order to store the value",
                "    associated with a <key>.",
                "FREQ <key>",
                "    Return the access frequency index of the <key>. The returned integer is",
                "    proportional to the logarithm of the recent access frequency of the key.",
                "IDLETIME <key>",
                "    Return the idle time of the <key>, that is the approximated number of",
                "    seconds elapsed since the last access to the key.",
                "REFCOUNT <key>",
                "    Return the number of references of the value associated with the specified",
                "    <key>.",
            ],
        ));
    }
    let encoding = ctx.db().get(&args[2], ctx.now, |e| e.map(|e| e.value.encoding()));
    let Some(encoding) = encoding else { return Ok(Reply::Null) };
    match sub.name {
        "object|encoding" => Ok(Reply::bulk_str(encoding)),
        "object|refcount" => Ok(Reply::Integer(1)),
        "object|idletime" => Ok(Reply::Integer(0)),
        _ => Err(Reply::error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")),
    }
}

/// # Format
/// `RANDOMKEY`: a random key, or nil when the database is empty.
fn randomkey<K: Keyspace>(ctx: &mut Ctx<'_, K>, _args: &[Bytes]) -> CmdResult {
    Ok(ctx.db().random_key(ctx.now).map_or(Reply::Null, Reply::Bulk))
}

// ---------------------------------------------------------------------------
// Renaming
// ---------------------------------------------------------------------------

/// # Format
/// `RENAME key newkey`: `+OK`; `newkey` is overwritten; the TTL moves with
/// the value. `ERR no such key` when `key` is missing.
fn rename<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    rename_generic(ctx, &args[1], &args[2], false)
}

/// # Format
/// `RENAMENX key newkey`: `:1` if renamed, `:0` if `newkey` exists.
fn renamenx<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    rename_generic(ctx, &args[1], &args[2], true)
}

/// RENAME and RENAMENX. They run under the exclusive gate, so no command
/// sees the moment when the value has left `from` but not reached `to`,
/// and the checks below still hold when the moves happen. The entry moves
/// as a whole (value and expiry time, no copy of the value), and both
/// halves go through `update`, so the expiry index follows it.
fn rename_generic<K: Keyspace>(ctx: &mut Ctx<'_, K>, from: &Bytes, to: &Bytes, nx: bool) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    let done = if nx { Reply::Integer(1) } else { Reply::OK };
    if !db.peek_exists(from, now) {
        return Err(Reply::error(err::NO_SUCH_KEY));
    }
    if from == to {
        return Ok(if nx { Reply::Integer(0) } else { Reply::OK });
    }
    if nx && db.peek_exists(to, now) {
        return Ok(Reply::Integer(0));
    }
    let Some(entry) = db.update(from, now, Option::take) else {
        // Unreachable under the exclusive gate; answer as Redis would.
        return Err(Reply::error(err::NO_SUCH_KEY));
    };
    db.update(to, now, |slot| *slot = Some(entry));
    Ok(done)
}

// ---------------------------------------------------------------------------
// Expiry times
// ---------------------------------------------------------------------------

/// # Format
/// `EXPIRE key seconds [NX | XX | GT | LT]`
fn expire<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    expire_generic(ctx, args, "expire", 1000, now)
}

/// # Format
/// `PEXPIRE key milliseconds [NX | XX | GT | LT]`
fn pexpire<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    expire_generic(ctx, args, "pexpire", 1, now)
}

/// # Format
/// `EXPIREAT key unix-time-seconds [NX | XX | GT | LT]`
fn expireat<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    expire_generic(ctx, args, "expireat", 1000, 0)
}

/// # Format
/// `PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]`
fn pexpireat<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    expire_generic(ctx, args, "pexpireat", 1, 0)
}

/// The conditions EXPIRE and friends accept after the time.
#[derive(Default)]
struct ExpireCondition {
    /// Only if the key has no TTL.
    nx: bool,
    /// Only if the key has a TTL.
    xx: bool,
    /// Only if the new time is later (no TTL counts as infinite: never).
    gt: bool,
    /// Only if the new time is earlier (no TTL counts as infinite: always).
    lt: bool,
}

impl ExpireCondition {
    /// Parse the options, with Redis 7's errors. Redis reads them before
    /// the time argument, so a bad option wins over a bad time.
    fn parse(opts: &[Bytes]) -> Result<Self, Reply> {
        let mut c = ExpireCondition::default();
        for opt in opts {
            if is(opt, "nx") {
                c.nx = true;
            } else if is(opt, "xx") {
                c.xx = true;
            } else if is(opt, "gt") {
                c.gt = true;
            } else if is(opt, "lt") {
                c.lt = true;
            } else {
                return Err(error_line(format!("ERR Unsupported option {}", String::from_utf8_lossy(opt))));
            }
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return Err(Reply::error("ERR NX and XX, GT or LT options at the same time are not compatible"));
        }
        if c.gt && c.lt {
            return Err(Reply::error("ERR GT and LT options at the same time are not compatible"));
        }
        Ok(c)
    }

    /// Whether a key whose deadline is `current` (None: no TTL) may get the
    /// deadline `when`.
    fn allows(&self, current: Option<UnixMillis>, when: i64) -> bool {
        let current = current.map(|t| t as i64);
        !(self.nx && current.is_some()
            || self.xx && current.is_none()
            || self.gt && current.is_none_or(|c| when <= c)
            || self.lt && current.is_some_and(|c| when >= c))
    }
}

/// EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT: the time argument times `unit`
/// (ms per unit) plus `base` (now for relative commands, 0 for absolute
/// ones) is the new deadline in Unix ms. `:1` if it was set, `:0` if the
/// key is missing or the condition refused. A deadline not in the future
/// deletes the key (and still replies `:1`), as Redis does.
fn expire_generic<K: Keyspace>(
    ctx: &mut Ctx<'_, K>,
    args: &[Bytes],
    name: &str,
    unit: i64,
    base: UnixMillis,
) -> CmdResult {
    let cond = ExpireCondition::parse(&args[3..])?;
    let time = parse_int(&args[2])?;
    let invalid = || Reply::error_owned(format!("ERR invalid expire time in '{name}' command"));
    let when = time.checked_mul(unit).ok_or_else(invalid)?.checked_add(base as i64).ok_or_else(invalid)?;
    let now = ctx.now;
    let set = ctx.db().update(&args[1], now, |slot| {
        let Some(entry) = slot else { return false };
        if !cond.allows(entry.expires_at, when) {
            return false;
        }
        if when <= now as i64 {
            *slot = None;
        } else {
            entry.expires_at = Some(when as UnixMillis);
        }
        true
    });
    Ok(Reply::Integer(set as i64))
}

/// What TTL and friends report about one key.
enum Deadline {
    Missing,
    Persistent,
    At(UnixMillis),
}

fn deadline<K: Keyspace>(ctx: &Ctx<'_, K>, key: &[u8]) -> Deadline {
    ctx.db().get(key, ctx.now, |e| match e {
        None => Deadline::Missing,
        Some(e) => e.expires_at.map_or(Deadline::Persistent, Deadline::At),
    })
}

/// TTL, PTTL, EXPIRETIME and PEXPIRETIME: `:-2` for a missing key, `:-1`
/// for a key without TTL, else the remaining time (`relative`) or the
/// deadline, in ms, or in seconds rounded to nearest (`(ms + 500) / 1000`,
/// as Redis).
fn ttl_generic<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes], relative: bool, in_ms: bool) -> CmdResult {
    let ms = match deadline(ctx, &args[1]) {
        Deadline::Missing => return Ok(Reply::Integer(-2)),
        Deadline::Persistent => return Ok(Reply::Integer(-1)),
        Deadline::At(t) if relative => t.saturating_sub(ctx.now),
        Deadline::At(t) => t,
    };
    let out = if in_ms { ms } else { ms.saturating_add(500) / 1000 };
    Ok(Reply::Integer(i64::try_from(out).unwrap_or(i64::MAX)))
}

/// # Format
/// `TTL key`: seconds left, `-1` without TTL, `-2` if missing.
fn ttl<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, args, true, false)
}

/// # Format
/// `PTTL key`: milliseconds left, `-1` without TTL, `-2` if missing.
fn pttl<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, args, true, true)
}

/// # Format
/// `EXPIRETIME key`: the deadline as a Unix time in seconds, `-1`, `-2`.
fn expiretime<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, args, false, false)
}

/// # Format
/// `PEXPIRETIME key`: the deadline as a Unix time in ms, `-1`, `-2`.
fn pexpiretime<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, args, false, true)
}

/// # Format
/// `PERSIST key`: `:1` if a TTL was removed, `:0` if the key is missing or
/// had none.
fn persist<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let removed = ctx.db().update(&args[1], ctx.now, |slot| slot.as_mut().and_then(|e| e.expires_at.take()).is_some());
    Ok(Reply::Integer(removed as i64))
}
