//! String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET
//! MSETNX INCR DECR INCRBY DECRBY INCRBYFLOAT APPEND STRLEN GETRANGE SETRANGE.
//!
//! # Atomicity
//!
//! Every single-key command is one [`Db::update`] (or [`Db::get`]): the
//! read-modify-write of INCR, APPEND, SETNX or `SET ... GET` runs inside the
//! key's critical section, so it is atomic on every backend without any
//! lock of its own. MSET and MSETNX touch several keys and are registered
//! [`Access::Exclusive`], MGET [`Access::ExclusiveIfManyKeys`]: they run
//! alone (see [`crate::keyspace::gate`]), so no command sees half of them.
//!
//! # Expiry
//!
//! As in Redis, commands that *replace* a key (SET, SETEX, GETSET, MSET)
//! drop its time to live unless told otherwise (`SET ... KEEPTTL`);
//! commands that *change* a value (INCR, INCRBYFLOAT, APPEND, SETRANGE)
//! keep it. Relative times (EX, PX) are added to the command's clock
//! `ctx.now`, with Redis's overflow checks. A key given an absolute time
//! already past (`SET ... PXAT 1`, `GETEX ... EXAT 1`) is deleted at once:
//! Redis stores it and lets it expire, which no client can tell apart.
//!
//! # Values
//!
//! A string is stored as [`Bytes`]. Integers are kept as their decimal
//! text and parsed strictly on each INCR, as Redis's `string2ll` does.
//! APPEND and SETRANGE grow a string in place when nothing else holds it
//! (a pending GET reply may: then they copy), so appending is amortised
//! O(1) like Redis's sds. INCRBYFLOAT computes in the x87 extended format
//! Redis uses, emulated in [`long_double`], so its replies match to the
//! last digit.
//!
//! [`Db::update`]: crate::keyspace::Db::update
//! [`Db::get`]: crate::keyspace::Db::get

pub mod long_double;

use super::{err, error_line, is, parse_int, wrong_arity, Access, CmdResult, CommandSpec, CommandTable, Ctx, Handler};
use crate::keyspace::{Entry, Keyspace, Str, UnixMillis, Value};
use crate::resp::parse::{parse_i64, DEFAULT_MAX_BULK_LEN};
use crate::resp::Reply;
use bytes::{Bytes, BytesMut};
use long_double::{LongDouble, Parsed};

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    let string = |name, arity, flags, keys, summary, since, handler: Handler<K>| CommandSpec {
        name,
        arity,
        flags,
        keys,
        access: Access::Shared,
        group: "string",
        summary,
        since,
        subcommands: &[],
        handler,
    };
    const ONE: (i32, i32, i32) = (1, 1, 1);
    const RO_FAST: &[&str] = &["readonly", "fast"];
    const W_DENYOOM: &[&str] = &["write", "denyoom"];
    const W_DENYOOM_FAST: &[&str] = &["write", "denyoom", "fast"];
    const W_FAST: &[&str] = &["write", "fast"];

    t.add(string("get", 2, RO_FAST, ONE, "Returns the string value of a key.", "1.0.0", get::<K>));
    t.add(string(
        "set",
        -3,
        W_DENYOOM,
        ONE,
        "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
        "1.0.0",
        set::<K>,
    ));
    t.add(string(
        "setnx",
        3,
        W_DENYOOM_FAST,
        ONE,
        "Set the string value of a key only when the key doesn't exist.",
        "1.0.0",
        setnx::<K>,
    ));
    t.add(string(
        "setex",
        4,
        W_DENYOOM,
        ONE,
        "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
        "2.0.0",
        setex::<K>,
    ));
    t.add(string(
        "psetex",
        4,
        W_DENYOOM,
        ONE,
        "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.",
        "2.6.0",
        psetex::<K>,
    ));
    t.add(string(
        "getset",
        3,
        W_DENYOOM_FAST,
        ONE,
        "Returns the previous string value of a key after setting it to a new value.",
        "1.0.0",
        getset::<K>,
    ));
    t.add(string(
        "getdel",
        2,
        W_FAST,
        ONE,
        "Returns the string value of a key after deleting the key.",
        "6.2.0",
        getdel::<K>,
    ));
    t.add(string(
        "getex",
        -2,
        W_FAST,
        ONE,
        "Returns the string value of a key after setting its expiration time.",
        "6.2.0",
        getex::<K>,
    ));
    t.add(CommandSpec {
        access: Access::ExclusiveIfManyKeys,
        ..string(
            "mget",
            -2,
            RO_FAST,
            (1, -1, 1),
            "Atomically returns the string values of one or more keys.",
            "1.0.0",
            mget::<K>,
        )
    });
    t.add(CommandSpec {
        access: Access::Exclusive,
        ..string(
            "mset",
            -3,
            W_DENYOOM,
            (1, -1, 2),
            "Atomically creates or modifies the string values of one or more keys.",
            "1.0.1",
            mset::<K>,
        )
    });
    t.add(CommandSpec {
        access: Access::Exclusive,
        ..string(
            "msetnx",
            -3,
            W_DENYOOM,
            (1, -1, 2),
            "Atomically modifies the string values of one or more keys only when all keys don't exist.",
            "1.0.1",
            msetnx::<K>,
        )
    });
    t.add(string(
        "incr",
        2,
        W_DENYOOM_FAST,
        ONE,
        "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
        "1.0.0",
        incr::<K>,
    ));
    t.add(string(
        "decr",
        2,
        W_DENYOOM_FAST,
        ONE,
        "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
        "1.0.0",
        decr::<K>,
    ));
    t.add(string(
        "incrby",
        3,
        W_DENYOOM_FAST,
        ONE,
        "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
        "1.0.0",
        incrby::<K>,
    ));
    t.add(string(
        "decrby",
        3,
        W_DENYOOM_FAST,
        ONE,
        "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.",
        "1.0.0",
        decrby::<K>,
    ));
    t.add(string(
        "incrbyfloat",
        3,
        W_DENYOOM_FAST,
        ONE,
        "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
        "2.6.0",
        incrbyfloat::<K>,
    ));
    t.add(string(
        "append",
        3,
        W_DENYOOM_FAST,
        ONE,
        "Appends a string to the value of a key. Creates the key if it doesn't exist.",
        "2.0.0",
        append::<K>,
    ));
    t.add(string("strlen", 2, RO_FAST, ONE, "Returns the length of a string value.", "2.2.0", strlen::<K>));
    t.add(string(
        "getrange",
        4,
        &["readonly"],
        ONE,
        "Returns a substring of the string stored at a key.",
        "2.4.0",
        getrange::<K>,
    ));
    t.add(string(
        "setrange",
        4,
        W_DENYOOM,
        ONE,
        "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
        "2.2.0",
        setrange::<K>,
    ));
}

// ---------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------

/// The string an entry holds, or the WRONGTYPE error.
fn string_of(e: &Entry) -> Result<&Str, Reply> {
    match &e.value {
        Value::Str(s) => Ok(s),
        _ => Err(Reply::error(err::WRONGTYPE)),
    }
}

/// The string an entry holds, for changing it, or the WRONGTYPE error.
fn string_mut(e: &mut Entry) -> Result<&mut Str, Reply> {
    match &mut e.value {
        Value::Str(s) => Ok(s),
        _ => Err(Reply::error(err::WRONGTYPE)),
    }
}

/// A bulk reply, or the null bulk for a missing value.
fn bulk_or_null(v: Option<Bytes>) -> Reply {
    v.map_or(Reply::Null, Reply::Bulk)
}

/// Redis's `checkStringLength`: a string may not grow past
/// `proto-max-bulk-len` (512 MiB).
fn check_length(size: u64, append: u64) -> Result<(), Reply> {
    if size.saturating_add(append) > DEFAULT_MAX_BULK_LEN as u64 {
        return Err(Reply::error("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
    }
    Ok(())
}

/// What a write does to the key's time to live.
#[derive(Debug, Clone, Copy)]
enum Ttl {
    /// Remove it (a plain SET replaces the key whole).
    Clear,
    /// Keep the current one (KEEPTTL).
    Keep,
    /// Expire at this absolute time.
    At(UnixMillis),
}

/// When SET writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Condition {
    Always,
    /// NX: only a missing key.
    IfAbsent,
    /// XX: only an existing key.
    IfPresent,
}

/// The options of SET and GETEX, as bits (Redis's `OBJ_*` flags): each
/// option's admissibility depends on the options already seen.
mod opt {
    pub const NX: u16 = 1 << 0;
    pub const XX: u16 = 1 << 1;
    pub const EX: u16 = 1 << 2;
    pub const PX: u16 = 1 << 3;
    pub const KEEPTTL: u16 = 1 << 4;
    pub const GET: u16 = 1 << 5;
    pub const EXAT: u16 = 1 << 6;
    pub const PXAT: u16 = 1 << 7;
    pub const PERSIST: u16 = 1 << 8;
    /// Any of the four ways to give a time.
    pub const ANY_TIME: u16 = EX | PX | EXAT | PXAT;
}

/// Parse the options of SET (`for_set`, from `args[3]`) or GETEX (from
/// `args[2]`) as Redis's `parseExtendedStringArgumentsOrReply` does:
/// NX/XX/GET/KEEPTTL only for SET, PERSIST only for GETEX, at most one
/// way to give a time, NX and XX exclusive. Repeating an option is
/// allowed (the last time given wins). Anything else is `ERR syntax error`.
///
/// Returns the flags and the time argument, if any (checked later: Redis
/// reports a bad time only after the syntax is known to be good).
fn parse_string_options(args: &[Bytes], for_set: bool) -> Result<(u16, Option<&Bytes>), Reply> {
    use opt::*;
    let mut flags = 0u16;
    let mut time = None;
    let mut j = if for_set { 3 } else { 2 };
    while j < args.len() {
        let a = &args[j];
        let has_next = j + 1 < args.len();
        let time_option = |bit: u16| has_next && flags & (KEEPTTL | PERSIST) == 0 && flags & (ANY_TIME & !bit) == 0;
        let given = if for_set && is(a, "nx") && flags & XX == 0 {
            NX
        } else if for_set && is(a, "xx") && flags & NX == 0 {
            XX
        } else if for_set && is(a, "get") {
            GET
        } else if for_set && is(a, "keepttl") && flags & (PERSIST | ANY_TIME) == 0 {
            KEEPTTL
        } else if !for_set && is(a, "persist") && flags & (KEEPTTL | ANY_TIME) == 0 {
            PERSIST
        } else if is(a, "ex") && time_option(EX) {
            EX
        } else if is(a, "px") && time_option(PX) {
            PX
        } else if is(a, "exat") && time_option(EXAT) {
            EXAT
        } else if is(a, "pxat") && time_option(PXAT) {
            PXAT
        } else {
            return Err(Reply::error(err::SYNTAX));
        };
        flags |= given;
        if given & ANY_TIME != 0 {
            time = Some(&args[j + 1]);
            j += 1;
        }
        j += 1;
    }
    Ok((flags, time))
}

/// Turn an EX/PX/EXAT/PXAT argument (the kind given by `flags`) into an
/// absolute time, as Redis's `getExpireMillisecondsOrReply`: a positive
/// integer, no overflow when converting seconds or adding the clock.
fn expire_time(arg: &[u8], flags: u16, now: UnixMillis, command: &str) -> Result<UnixMillis, Reply> {
    let n = parse_int(arg)?;
    let invalid = || error_line(format!("ERR invalid expire time in '{command}' command"));
    if n <= 0 {
        return Err(invalid());
    }
    let ms = if flags & (opt::EX | opt::EXAT) != 0 { n.checked_mul(1000).ok_or_else(invalid)? } else { n };
    let at = if flags & (opt::EX | opt::PX) != 0 { ms.checked_add(now as i64).ok_or_else(invalid)? } else { ms };
    Ok(at as UnixMillis)
}

/// The SET family's one write (Redis's `setGenericCommand`): under the
/// key's lock, read the old value if `get`, check the condition, store
/// `value` with the TTL rule. Replies `ok`/`abort`, or with `get` the old
/// value (nil if none) either way.
#[allow(clippy::too_many_arguments)]
fn set_generic<K: Keyspace>(
    ctx: &mut Ctx<'_, K>,
    key: &[u8],
    value: Str,
    condition: Condition,
    ttl: Ttl,
    get: bool,
    ok: Reply,
    abort: Reply,
) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    db.update(key, now, |slot| {
        if get {
            // A read as well as a write: counted as Redis's GET part
            // (lookupKeyRead) counts it, even when the type is wrong.
            db.count_lookup(slot.is_some());
        }
        let old = match slot.as_ref() {
            Some(e) if get => Some(string_of(e)?.to_bytes()),
            _ => None,
        };
        let found = slot.is_some();
        let reply = |fallback| if get { bulk_or_null(old.clone()) } else { fallback };
        if (condition == Condition::IfAbsent && found) || (condition == Condition::IfPresent && !found) {
            return Ok(reply(abort));
        }
        let expires_at = match ttl {
            Ttl::Clear => None,
            Ttl::Keep => slot.as_ref().and_then(|e| e.expires_at),
            Ttl::At(t) => Some(t),
        };
        *slot = match expires_at {
            Some(t) if t <= now => None,
            _ => Some(Entry { value: Value::Str(value), expires_at }),
        };
        Ok(reply(ok))
    })
}

// ---------------------------------------------------------------------------
// GET and the SET family
// ---------------------------------------------------------------------------

/// # Format
/// `GET key`: the value, or nil.
fn get<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().get(&args[1], ctx.now, |e| match e {
        None => Ok(Reply::Null),
        Some(e) => Ok(super::reply_value(string_of(e)?)),
    })
}

/// # Format
/// `SET key value [NX | XX] [GET] [EX seconds | PX milliseconds |
/// EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]`
///
/// `+OK`, or nil when NX/XX stopped it; with GET, the old value or nil.
fn set<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let (flags, time) = parse_string_options(args, true)?;
    let ttl = match time {
        Some(arg) => Ttl::At(expire_time(arg, flags, ctx.now, "set")?),
        None if flags & opt::KEEPTTL != 0 => Ttl::Keep,
        None => Ttl::Clear,
    };
    let condition = if flags & opt::NX != 0 {
        Condition::IfAbsent
    } else if flags & opt::XX != 0 {
        Condition::IfPresent
    } else {
        Condition::Always
    };
    let get = flags & opt::GET != 0;
    set_generic(ctx, &args[1], Str::from_slice(&args[2]), condition, ttl, get, Reply::OK, Reply::Null)
}

/// # Format
/// `SETNX key value`: `:1` if set, `:0` if the key existed.
fn setnx<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    set_generic(
        ctx,
        &args[1],
        Str::from_slice(&args[2]),
        Condition::IfAbsent,
        Ttl::Clear,
        false,
        Reply::Integer(1),
        Reply::Integer(0),
    )
}

/// # Format
/// `SETEX key seconds value`
fn setex<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let at = expire_time(&args[2], opt::EX, ctx.now, "setex")?;
    set_generic(ctx, &args[1], Str::from_slice(&args[3]), Condition::Always, Ttl::At(at), false, Reply::OK, Reply::Null)
}

/// # Format
/// `PSETEX key milliseconds value`
fn psetex<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let at = expire_time(&args[2], opt::PX, ctx.now, "psetex")?;
    set_generic(ctx, &args[1], Str::from_slice(&args[3]), Condition::Always, Ttl::At(at), false, Reply::OK, Reply::Null)
}

/// # Format
/// `GETSET key value`: the old value or nil; the new value has no TTL.
fn getset<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    set_generic(ctx, &args[1], Str::from_slice(&args[2]), Condition::Always, Ttl::Clear, true, Reply::OK, Reply::Null)
}

/// # Format
/// `GETDEL key`: the value (the key is then deleted), or nil.
fn getdel<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let db = ctx.db();
    db.update(&args[1], ctx.now, |slot| {
        // A read (Redis's lookupKeyRead) that also deletes.
        db.count_lookup(slot.is_some());
        let Some(e) = slot.as_ref() else { return Ok(Reply::Null) };
        let value = string_of(e)?.to_bytes();
        *slot = None;
        Ok(Reply::Bulk(value))
    })
}

/// # Format
/// `GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | PERSIST]`
///
/// The value, or nil; then sets or removes its TTL. As in Redis, a bad
/// time is reported only for an existing string key.
fn getex<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let (flags, time) = parse_string_options(args, false)?;
    let (db, now) = (ctx.db(), ctx.now);
    db.update(&args[1], now, |slot| {
        // A read (Redis's lookupKeyRead) that may also change the TTL.
        db.count_lookup(slot.is_some());
        let Some(e) = slot.as_mut() else { return Ok(Reply::Null) };
        let value = string_of(e)?.to_bytes();
        match time {
            Some(arg) => {
                let at = expire_time(arg, flags, now, "getex")?;
                if at <= now {
                    *slot = None;
                } else {
                    e.expires_at = Some(at);
                }
            }
            None if flags & opt::PERSIST != 0 => e.expires_at = None,
            None => {}
        }
        Ok(Reply::Bulk(value))
    })
}

// ---------------------------------------------------------------------------
// Several keys at once
// ---------------------------------------------------------------------------

/// # Format
/// `MGET key [key ...]`: an array of values, nil for a missing key or one
/// that does not hold a string.
fn mget<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let db = ctx.db();
    let values = args[1..]
        .iter()
        .map(|key| {
            db.get(key, ctx.now, |e| match e.map(|e| &e.value) {
                Some(Value::Str(s)) => super::reply_value(s),
                _ => Reply::Null,
            })
        })
        .collect();
    Ok(Reply::Array(values))
}

/// Store every pair of `MSET`/`MSETNX key value [key value ...]`, each
/// without a TTL. The caller holds the gate exclusively.
fn store_pairs<K: Keyspace>(ctx: &Ctx<'_, K>, pairs: &[Bytes]) {
    let db = ctx.db();
    for pair in pairs.chunks_exact(2) {
        let value = Str::from_slice(&pair[1]);
        db.update(&pair[0], ctx.now, |slot| *slot = Some(Entry::string(value)));
    }
}

/// # Format
/// `MSET key value [key value ...]`: `+OK`. Atomic: no command sees some
/// of the keys set and not others.
fn mset<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    if args.len() % 2 == 0 {
        return Err(wrong_arity("mset"));
    }
    store_pairs(ctx, &args[1..]);
    Ok(Reply::OK)
}

/// # Format
/// `MSETNX key value [key value ...]`: `:1` if every key was missing and
/// all are now set, `:0` (and nothing set) if any existed.
fn msetnx<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    if args.len() % 2 == 0 {
        return Err(wrong_arity("msetnx"));
    }
    let db = ctx.db();
    if args[1..].iter().step_by(2).any(|key| db.peek_exists(key, ctx.now)) {
        return Ok(Reply::Integer(0));
    }
    store_pairs(ctx, &args[1..]);
    Ok(Reply::Integer(1))
}

// ---------------------------------------------------------------------------
// Counters
// ---------------------------------------------------------------------------

/// Add `delta` to the integer stored at `key` (0 if missing), keeping its
/// TTL: Redis's `incrDecrCommand`.
fn incr_by<K: Keyspace>(ctx: &mut Ctx<'_, K>, key: &[u8], delta: i64) -> CmdResult {
    ctx.db().update(key, ctx.now, |slot| {
        let (current, expires_at) = match slot.as_ref() {
            None => (0, None),
            Some(e) => (parse_i64(string_of(e)?).ok_or(Reply::error(err::NOT_INTEGER))?, e.expires_at),
        };
        let new = current.checked_add(delta).ok_or(Reply::error(err::OVERFLOW))?;
        let text = Str::from_slice(itoa::Buffer::new().format(new).as_bytes());
        *slot = Some(Entry { value: Value::Str(text), expires_at });
        Ok(Reply::Integer(new))
    })
}

/// # Format
/// `INCR key`: the new value.
fn incr<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    incr_by(ctx, &args[1], 1)
}

/// # Format
/// `DECR key`: the new value.
fn decr<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    incr_by(ctx, &args[1], -1)
}

/// # Format
/// `INCRBY key increment`: the new value.
fn incrby<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let delta = parse_int(&args[2])?;
    incr_by(ctx, &args[1], delta)
}

/// # Format
/// `DECRBY key decrement`: the new value. A decrement of -2^63 cannot be
/// negated: `ERR decrement would overflow`.
fn decrby<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let delta = parse_int(&args[2])?;
    let delta = delta.checked_neg().ok_or(Reply::error("ERR decrement would overflow"))?;
    incr_by(ctx, &args[1], delta)
}

/// # Format
/// `INCRBYFLOAT key increment`: the new value as a bulk string, written as
/// Redis writes it (`10.6`, `5200`), TTL kept.
fn incrbyfloat<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    // Parsed before taking the key's lock; its error is reported in Redis's
    // order, after the key's type and value.
    let increment = long_double::parse(&args[2]);
    ctx.db().update(&args[1], ctx.now, |slot| {
        let (current, expires_at) = match slot.as_ref() {
            None => (Parsed::Finite(LongDouble::ZERO), None),
            Some(e) => (long_double::parse(string_of(e)?).ok_or(Reply::error(err::NOT_FLOAT))?, e.expires_at),
        };
        let increment = increment.ok_or(Reply::error(err::NOT_FLOAT))?;
        let sum = match (current, increment) {
            (Parsed::Finite(a), Parsed::Finite(b)) => a.checked_add(b),
            _ => None,
        };
        let sum = sum.ok_or(Reply::error("ERR increment would produce NaN or Infinity"))?;
        let text = Bytes::from(sum.to_human());
        *slot = Some(Entry { value: Value::Str(Str::from_slice(&text)), expires_at });
        Ok(Reply::Bulk(text))
    })
}

// ---------------------------------------------------------------------------
// Bytes of a string
// ---------------------------------------------------------------------------

/// # Format
/// `APPEND key value`: the length after appending (the key is created if
/// missing). TTL kept.
fn append<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let tail = &args[2];
    ctx.db().update(&args[1], ctx.now, |slot| {
        let Some(e) = slot.as_mut() else {
            *slot = Some(Entry::string(&tail[..]));
            return Ok(Reply::Integer(tail.len() as i64));
        };
        let s = string_mut(e)?;
        check_length(s.len() as u64, tail.len() as u64)?;
        let mut buf = s.take_mut();
        buf.extend_from_slice(tail);
        *s = Str::from(buf);
        Ok(Reply::Integer(s.len() as i64))
    })
}

/// # Format
/// `STRLEN key`: the value's length in bytes, 0 for a missing key.
fn strlen<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().get(&args[1], ctx.now, |e| match e {
        None => Ok(Reply::Integer(0)),
        Some(e) => Ok(Reply::Integer(string_of(e)?.len() as i64)),
    })
}

/// The bytes `start..=end` of `s`, with Redis's index rules: negative
/// indexes count from the end, both are clamped to the string, and an
/// empty range (also two negative indexes out of order) gives "".
fn substring(s: &[u8], start: i64, end: i64) -> Bytes {
    let len = s.len() as i64;
    if (start < 0 && end < 0 && start > end) || len == 0 {
        return Bytes::new();
    }
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end }.clamp(0, len - 1);
    if start > end {
        return Bytes::new();
    }
    Bytes::copy_from_slice(&s[start as usize..=end as usize])
}

/// # Format
/// `GETRANGE key start end`: the substring, `""` for a missing key.
fn getrange<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let start = parse_int(&args[2])?;
    let end = parse_int(&args[3])?;
    ctx.db().get(&args[1], ctx.now, |e| match e {
        None => Ok(Reply::Bulk(Bytes::new())),
        Some(e) => Ok(Reply::Bulk(substring(string_of(e)?, start, end))),
    })
}

/// # Format
/// `SETRANGE key offset value`: overwrite from `offset`, padding with zero
/// bytes; replies the new length. An empty value changes nothing (and does
/// not create a missing key). TTL kept.
fn setrange<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let offset = parse_int(&args[2])?;
    if offset < 0 {
        return Err(Reply::error("ERR offset is out of range"));
    }
    let value = &args[3];
    ctx.db().update(&args[1], ctx.now, |slot| {
        let Some(e) = slot.as_mut() else {
            if value.is_empty() {
                return Ok(Reply::Integer(0));
            }
            check_length(offset as u64, value.len() as u64)?;
            let offset = offset as usize;
            let mut buf = BytesMut::zeroed(offset + value.len());
            buf[offset..].copy_from_slice(value);
            let len = buf.len();
            *slot = Some(Entry::string(buf));
            return Ok(Reply::Integer(len as i64));
        };
        let s = string_mut(e)?;
        if value.is_empty() {
            return Ok(Reply::Integer(s.len() as i64));
        }
        check_length(offset as u64, value.len() as u64)?;
        let (offset, end) = (offset as usize, offset as usize + value.len());
        let mut buf = s.take_mut();
        if buf.len() < end {
            buf.resize(end, 0);
        }
        buf[offset..end].copy_from_slice(value);
        *s = Str::from(buf);
        Ok(Reply::Integer(s.len() as i64))
    })
}
