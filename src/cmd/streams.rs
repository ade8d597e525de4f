//! Stream commands: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XREAD (with
//! BLOCK). Consumer groups (XGROUP, XREADGROUP, XACK ...) and XINFO are not
//! implemented. The structure is [`Stream`]; its module doc says how it is
//! kept and why `~` trims exactly.
//!
//! # Atomicity
//!
//! Every command but XREAD touches one key in one [`Db::update`] or
//! [`Db::get`]: XADD's choice of ID, append and trim happen inside the
//! key's critical section, so IDs from concurrent XADDs are unique and
//! increasing on every backend. XREAD reads each of its streams in its own
//! `get` (a shared-gate command, as a read of several keys need not be
//! one snapshot for a stream reader, who only asks for "entries after").
//! A stream emptied by XDEL or XTRIM stays, as in Redis: its last ID must
//! survive so that new IDs keep growing.
//!
//! # XREAD BLOCK and `$`
//!
//! A blocked command is run again, with the same arguments, each time one
//! of its keys is signalled (see [`crate::server::blocking`]). `$` means
//! "entries newer than the newest one *now*", so run again later it would
//! move with the stream and never see the entry that woke it. XREAD
//! therefore pins `$` when it blocks: it hands the connection a copy of its
//! arguments with each `$` replaced by the ID it stood for at the first
//! attempt ([`BlockRequest::retry_args`]), and the retries run those.
//! Rewriting the arguments keeps the blocked request plain data (no opaque
//! per-command state in the connection), and a retry is then an ordinary
//! XREAD with explicit IDs. Redis 7.2, which also re-runs woken commands,
//! rewrites `$` in the same way.
//!
//! XREAD does not consume: every client blocked on a stream may be served
//! by one XADD. XADD therefore wakes *all* of a key's waiters
//! ([`WAKE_ALL`]), not one per entry as a list push does.
//!
//! # Redis 7.2
//!
//! Where 7.0 and 7.2 differ, convoy follows 7.2: the unbalanced XREAD error
//! quotes `'xread'`, and a BLOCK time that would overflow the clock is
//! `ERR timeout is out of range`.
//!
//! [`Db::update`]: crate::keyspace::Db::update
//! [`Db::get`]: crate::keyspace::Db::get
//! [`BlockRequest::retry_args`]: super::BlockRequest::retry_args

use super::{
    err, is, owned, parse_int, reply_value, wrong_arity, Access, CmdResult, CommandSpec, CommandTable, Ctx, Handler,
};
use crate::keyspace::types::stream::{AppendError, Fields, StreamId, Trim};
use crate::keyspace::types::Stream;
use crate::keyspace::{Entry, Keyspace, Str, Value};
use crate::resp::parse::parse_i64;
use crate::resp::{Protocol, Reply};
use bytes::Bytes;

/// `signal_ready`'s count for a stream: wake every reader.
pub const WAKE_ALL: usize = usize::MAX;

/// Redis's default LIMIT for `~` trimming: 100 × `stream-node-max-entries`.
const APPROX_TRIM_LIMIT: u64 = 100 * 100;

const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    let stream = |name, arity, flags, summary, handler: Handler<K>| CommandSpec {
        name,
        arity,
        flags,
        keys: (1, 1, 1),
        access: Access::Shared,
        group: "stream",
        summary,
        since: "5.0.0",
        subcommands: &[],
        handler,
    };
    t.add(stream(
        "xadd",
        -5,
        &["write", "denyoom", "fast"],
        "Appends a new message to a stream. Creates the key if it doesn't exist.",
        xadd::<K>,
    ));
    t.add(stream("xlen", 2, &["readonly", "fast"], "Return the number of messages in a stream.", xlen::<K>));
    t.add(stream(
        "xrange",
        -4,
        &["readonly"],
        "Returns the messages from a stream within a range of IDs.",
        xrange::<K>,
    ));
    t.add(stream(
        "xrevrange",
        -4,
        &["readonly"],
        "Returns the messages from a stream within a range of IDs in reverse order.",
        xrevrange::<K>,
    ));
    t.add(stream(
        "xdel",
        -3,
        &["write", "fast"],
        "Returns the number of messages after removing them from a stream.",
        xdel::<K>,
    ));
    t.add(stream("xtrim", -4, &["write"], "Deletes messages from the beginning of a stream.", xtrim::<K>));
    t.add(stream(
        "xsetid",
        -3,
        &["write", "denyoom", "fast"],
        "An internal command for replicating stream values.",
        xsetid::<K>,
    ));
    t.add(CommandSpec {
        // The keys follow STREAMS, wherever it is.
        keys: (0, 0, 0),
        ..stream(
            "xread",
            -4,
            &["readonly", "blocking", "movablekeys"],
            "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.",
            xread::<K>,
        )
    });
}

// ---------------------------------------------------------------------------
// Stream IDs as clients write them
// ---------------------------------------------------------------------------

/// Redis's `string2ull`: its strict integer parser, and where that fails,
/// C's `strtoull` (leading spaces and a sign allowed, `-n` wrapping
/// around, overflow refused).
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    let start = s.iter().position(|&b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')).unwrap_or(s.len());
    let mut rest = &s[start..];
    let negative = rest.first() == Some(&b'-');
    if matches!(rest.first(), Some(b'+' | b'-')) {
        rest = &rest[1..];
    }
    if rest.is_empty() || !rest.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = rest.iter().try_fold(0u64, |v, &d| v.checked_mul(10)?.checked_add(u64::from(d - b'0')))?;
    Some(if negative { v.wrapping_neg() } else { v })
}

/// How an ID argument may be written.
#[derive(Clone, Copy)]
struct IdSyntax {
    /// The sequence of an ID given as `ms` alone.
    missing_seq: u64,
    /// `-` and `+` (the smallest and greatest IDs) refused.
    strict: bool,
    /// `ms-*` accepted (XADD: "the next sequence in that millisecond").
    seq_star: bool,
}

/// Parse an ID as Redis's `streamGenericParseIDOrReply`: `-`, `+`, `ms`, or
/// `ms-seq`. Returns the ID and whether its sequence was given (false only
/// for `ms-*`).
fn parse_id(arg: &[u8], syntax: IdSyntax) -> Result<(StreamId, bool), Reply> {
    let invalid = || Reply::error(INVALID_ID);
    // Redis copies the argument into a 128-byte C string: longer ones are
    // invalid, and a NUL byte ends it.
    if arg.len() > 127 {
        return Err(invalid());
    }
    let arg = &arg[..arg.iter().position(|&b| b == 0).unwrap_or(arg.len())];
    match arg {
        b"-" | b"+" if syntax.strict => Err(invalid()),
        b"-" => Ok((StreamId::MIN, true)),
        b"+" => Ok((StreamId::MAX, true)),
        _ => {
            let (ms, seq) = match arg.iter().position(|&b| b == b'-') {
                Some(dash) => (&arg[..dash], Some(&arg[dash + 1..])),
                None => (arg, None),
            };
            let ms = string2ull(ms).ok_or_else(invalid)?;
            match seq {
                None => Ok((StreamId::new(ms, syntax.missing_seq), true)),
                Some(b"*") if syntax.seq_star => Ok((StreamId::new(ms, 0), false)),
                Some(seq) => Ok((StreamId::new(ms, string2ull(seq).ok_or_else(invalid)?), true)),
            }
        }
    }
}

/// An ID where `-` and `+` make no sense (XDEL, XREAD, MINID).
fn parse_strict_id(arg: &[u8]) -> Result<StreamId, Reply> {
    parse_id(arg, IdSyntax { missing_seq: 0, strict: true, seq_star: false }).map(|(id, _)| id)
}

/// One end of an XRANGE interval: an ID, `-`, `+`, or `(id` for an
/// exclusive end (strict). Returns the ID and whether it is exclusive.
fn parse_interval_id(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Reply> {
    if arg.len() > 1 && arg[0] == b'(' {
        let syntax = IdSyntax { missing_seq, strict: true, seq_star: false };
        Ok((parse_id(&arg[1..], syntax)?.0, true))
    } else {
        let syntax = IdSyntax { missing_seq, strict: false, seq_star: false };
        Ok((parse_id(arg, syntax)?.0, false))
    }
}

/// `ms-seq` as a bulk reply.
fn id_reply(id: StreamId) -> Reply {
    Reply::Bulk(Bytes::from(id.to_string()))
}

/// One entry as Redis replies it: `[id, [field, value, ...]]`.
fn entry_reply(id: &StreamId, fields: &Fields) -> Reply {
    let mut pairs = Vec::with_capacity(fields.len() * 2);
    for (f, v) in fields.iter() {
        pairs.push(reply_value(f));
        pairs.push(reply_value(v));
    }
    Reply::Array(vec![id_reply(*id), Reply::Array(pairs)])
}

/// The stream an entry holds, or the WRONGTYPE error.
fn stream_of(e: &Entry) -> Result<&Stream, Reply> {
    super::typed(e)
}

/// The stream an entry holds, for changing it, or the WRONGTYPE error.
fn stream_mut(e: &mut Entry) -> Result<&mut Stream, Reply> {
    super::typed_mut(e)
}

// ---------------------------------------------------------------------------
// XADD and XTRIM options
// ---------------------------------------------------------------------------

/// The ID XADD was asked for.
#[derive(Debug, Clone, Copy)]
enum NewId {
    /// `*`: from the clock.
    Auto,
    /// `ms-seq` (or `ms`).
    Exact(StreamId),
    /// `ms-*`: the next sequence in that millisecond.
    NextIn(u64),
}

/// What XADD or XTRIM parsed from its options.
struct TrimArgs {
    trim: Option<Trim>,
    /// Most entries to drop (`None`: all that the rule selects).
    limit: Option<u64>,
    nomkstream: bool,
    /// XADD only: the ID, and the index of the first field.
    id: NewId,
    fields_at: usize,
}

/// Parse `[NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]]` and,
/// for XADD, the ID, in Redis's order (`streamParseAddOrTrimArgsOrReply`):
/// options may come in any order, and each error is the one Redis gives
/// first.
fn parse_trim_args(args: &[Bytes], xadd: bool) -> Result<TrimArgs, Reply> {
    const BOTH: &str = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
    let (mut trim, mut approx, mut limit, mut limit_given, mut nomkstream) = (None, false, 0i64, false, false);
    let mut id = NewId::Auto;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i][..];
        if xadd && opt == b"*" {
            break;
        } else if (is(opt, "maxlen") || is(opt, "minid")) && more > 0 {
            if trim.is_some() {
                return Err(Reply::error(BOTH));
            }
            approx = false;
            let next = &args[i + 1][..];
            if more >= 2 && (next == b"~" || next == b"=") {
                approx = next == b"~";
                i += 1;
            }
            let threshold = &args[i + 1];
            trim = Some(if is(opt, "maxlen") {
                let n = parse_int(threshold)?;
                if n < 0 {
                    return Err(Reply::error("ERR The MAXLEN argument must be >= 0."));
                }
                Trim::MaxLen(n as u64)
            } else {
                Trim::MinId(parse_strict_id(threshold)?)
            });
            i += 1;
        } else if is(opt, "limit") && more > 0 {
            limit = parse_int(&args[i + 1])?;
            if limit < 0 {
                return Err(Reply::error("ERR The LIMIT argument must be >= 0."));
            }
            limit_given = true;
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            nomkstream = true;
        } else if xadd {
            // Anything else is the ID (or an invalid one).
            let (given, seq_given) = parse_id(opt, IdSyntax { missing_seq: 0, strict: true, seq_star: true })?;
            id = if seq_given { NewId::Exact(given) } else { NewId::NextIn(given.ms) };
            break;
        } else {
            return Err(Reply::error(err::SYNTAX));
        }
        i += 1;
    }
    if limit != 0 && trim.is_none() {
        return Err(Reply::error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"));
    }
    if !xadd && trim.is_none() {
        return Err(Reply::error("ERR syntax error, XTRIM must be called with a trimming strategy"));
    }
    if limit_given && !approx {
        return Err(Reply::error("ERR syntax error, LIMIT cannot be used without the special ~ option"));
    }
    let limit = match (approx, limit_given) {
        // LIMIT 0 means no limit.
        (true, true) => (limit > 0).then_some(limit as u64),
        (true, false) => Some(APPROX_TRIM_LIMIT),
        (false, _) => None,
    };
    Ok(TrimArgs { trim, limit, nomkstream, id, fields_at: i + 1 })
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

/// # Format
/// `XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]`:
/// the new entry's ID; nil with NOMKSTREAM on a missing key.
fn xadd<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let opts = parse_trim_args(args, true)?;
    let fields_at = opts.fields_at;
    if fields_at > args.len() || args.len() - fields_at < 2 || (args.len() - fields_at) % 2 == 1 {
        return Err(wrong_arity("xadd"));
    }
    if let NewId::Exact(StreamId::MIN) = opts.id {
        return Err(Reply::error("ERR The ID specified in XADD must be greater than 0-0"));
    }
    let fields: Fields =
        args[fields_at..].chunks_exact(2).map(|p| (Str::from_slice(&p[0]), Str::from_slice(&p[1]))).collect();
    let now = ctx.now;
    let added = ctx.db().update(&args[1], now, |slot| -> Result<Option<StreamId>, Reply> {
        let mut fresh = None;
        let stream = match slot {
            Some(e) => stream_mut(e)?,
            None if opts.nomkstream => return Ok(None),
            None => fresh.insert(Stream::default()),
        };
        if stream.last_id == StreamId::MAX {
            return Err(Reply::error("ERR The stream has exhausted the last possible ID, unable to add more items"));
        }
        let id = match opts.id {
            NewId::Auto => stream.next_auto_id(now),
            NewId::Exact(id) => Ok(id),
            NewId::NextIn(ms) => stream.next_id_in(ms),
        };
        let appended = id.and_then(|id| stream.append(id, fields).map(|()| id));
        let id = appended.map_err(|e| match e {
            AppendError::NotGreater => {
                Reply::error("ERR The ID specified in XADD is equal or smaller than the target stream top item")
            }
            AppendError::Exhausted => {
                Reply::error("ERR The stream has exhausted the last possible ID, unable to add more items")
            }
        })?;
        if let Some(how) = opts.trim {
            stream.trim(how, opts.limit);
        }
        if let Some(s) = fresh {
            *slot = Some(Entry { value: Value::Stream(Box::new(s)), expires_at: None });
        }
        Ok(Some(id))
    })?;
    match added {
        Some(id) => {
            ctx.signal_ready(&args[1], WAKE_ALL);
            Ok(id_reply(id))
        }
        None => Ok(Reply::Null),
    }
}

/// # Format
/// `XLEN key`: the number of entries (0 for a missing key).
fn xlen<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().get(&args[1], ctx.now, |e| match e {
        None => Ok(Reply::Integer(0)),
        Some(e) => Ok(Reply::Integer(stream_of(e)?.len() as i64)),
    })
}

/// # Format
/// `XRANGE key start end [COUNT count]`: entries with IDs from `start` to
/// `end`, oldest first. `-` and `+` are the ends of the stream, `(id`
/// excludes `id`, and an ID without sequence means its whole millisecond.
fn xrange<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    range(ctx, args, false)
}

/// # Format
/// `XREVRANGE key end start [COUNT count]`: as XRANGE, newest first.
fn xrevrange<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    range(ctx, args, true)
}

/// XRANGE and XREVRANGE (Redis's `xrangeGenericCommand`).
fn range<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes], rev: bool) -> CmdResult {
    let (start_arg, end_arg) = if rev { (&args[3], &args[2]) } else { (&args[2], &args[3]) };
    let (mut start, exclusive) = parse_interval_id(start_arg, 0)?;
    if exclusive {
        start = start.next().ok_or(Reply::error("ERR invalid start ID for the interval"))?;
    }
    let (mut end, exclusive) = parse_interval_id(end_arg, u64::MAX)?;
    if exclusive {
        end = end.prev().ok_or(Reply::error("ERR invalid end ID for the interval"))?;
    }
    // COUNT, possibly repeated (the last one wins); negative counts as 0.
    let mut count: Option<usize> = None;
    let mut j = 4;
    while j < args.len() {
        if is(&args[j], "count") && j + 1 < args.len() {
            count = Some(parse_int(&args[j + 1])?.max(0) as usize);
            j += 2;
        } else {
            return Err(Reply::error(err::SYNTAX));
        }
    }
    ctx.db().get(&args[1], ctx.now, |e| {
        let Some(e) = e else { return Ok(Reply::Array(Vec::new())) };
        let stream = stream_of(e)?;
        // Redis replies a null array to COUNT 0 on an existing stream.
        let count = match count {
            Some(0) => return Ok(Reply::NullArray),
            Some(n) => n,
            None => usize::MAX,
        };
        let entries = stream.range(start, end);
        let out: Vec<Reply> = if rev {
            entries.rev().take(count).map(|(id, f)| entry_reply(id, f)).collect()
        } else {
            entries.take(count).map(|(id, f)| entry_reply(id, f)).collect()
        };
        Ok(Reply::Array(out))
    })
}

/// # Format
/// `XDEL key id [id ...]`: the number of entries removed. The key stays
/// even when the stream becomes empty.
fn xdel<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    ctx.db().update(&args[1], now, |slot| {
        let Some(e) = slot else { return Ok(Reply::Integer(0)) };
        let stream = stream_mut(e)?;
        // Every ID is checked before any entry is removed.
        let ids = args[2..].iter().map(|a| parse_strict_id(a)).collect::<Result<Vec<_>, _>>()?;
        let deleted = ids.into_iter().filter(|id| stream.delete(*id)).count();
        Ok(Reply::Integer(deleted as i64))
    })
}

/// # Format
/// `XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID
/// max-deleted-id]`: `OK`. Sets a stream's bookkeeping, which its entries
/// alone do not show (the log's rewrite writes it after a stream's
/// entries).
fn xsetid<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let id = parse_strict_id(&args[2])?;
    let mut entries_added = None;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < args.len() {
        let value = args.get(i + 1).ok_or(Reply::error(super::err::SYNTAX))?;
        if super::is(&args[i], "entriesadded") {
            let n = super::parse_int(value)?;
            if n < 0 {
                return Err(Reply::error("ERR entries_added must be positive"));
            }
            entries_added = Some(n as u64);
        } else if super::is(&args[i], "maxdeletedid") {
            max_deleted = parse_strict_id(value)?;
            if id < max_deleted {
                return Err(Reply::error(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(Reply::error(super::err::SYNTAX));
        }
        i += 2;
    }
    let now = ctx.now;
    ctx.db().update(&args[1], now, |slot| {
        let Some(e) = slot else { return Err(Reply::error(super::err::NO_SUCH_KEY)) };
        let stream = stream_mut(e)?;
        if let Some(top) = stream.last_entry_id() {
            if id < top {
                return Err(Reply::error("ERR The ID specified in XSETID is smaller than the target stream top item"));
            }
            if entries_added.is_some_and(|n| (stream.len() as u64) > n) {
                return Err(Reply::error(
                    "ERR The entries_added specified in XSETID is smaller than the target stream length",
                ));
            }
        }
        stream.last_id = id;
        if let Some(n) = entries_added {
            stream.entries_added = n;
        }
        if max_deleted != StreamId::MIN {
            stream.max_deleted_entry_id = max_deleted;
        }
        Ok(Reply::OK)
    })
}

/// # Format
/// `XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]`: the number of
/// entries removed. `~` trims exactly here (see [`Stream`]), at most
/// LIMIT entries (10000 by default).
fn xtrim<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let opts = parse_trim_args(args, false)?;
    let Some(how) = opts.trim else { return Err(Reply::error(err::SYNTAX)) };
    let now = ctx.now;
    ctx.db().update(&args[1], now, |slot| {
        let Some(e) = slot else { return Ok(Reply::Integer(0)) };
        let dropped = stream_mut(e)?.trim(how, opts.limit);
        Ok(Reply::Integer(dropped as i64))
    })
}

/// Where XREAD starts reading a stream.
#[derive(Debug, Clone, Copy)]
struct ReadFrom {
    /// Entries after this ID.
    after: StreamId,
    /// Given as `$` (pinned when blocking).
    dollar: bool,
}

/// # Format
/// `XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]`:
/// for each stream with entries after its ID, `[key, entries]` (a map in
/// RESP3); a null array when there are none (after BLOCK's time, if
/// given; BLOCK 0 waits for ever). `$` is the stream's last ID.
fn xread<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let mut timeout: Option<Option<std::time::Duration>> = None;
    let mut count = 0usize;
    let mut streams_at = 0;
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i][..];
        if is(opt, "block") && more > 0 {
            i += 1;
            timeout = Some(parse_block_ms(&args[i], ctx.now)?);
        } else if is(opt, "count") && more > 0 {
            i += 1;
            count = parse_int(&args[i])?.max(0) as usize;
        } else if is(opt, "streams") && more > 0 {
            streams_at = i + 1;
            if (args.len() - streams_at) % 2 != 0 {
                return Err(Reply::error(
                    "ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            break;
        } else if is(opt, "group") && more >= 2 {
            return Err(Reply::error(
                "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
            ));
        } else if is(opt, "noack") {
            return Err(Reply::error(
                "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
            ));
        } else {
            return Err(Reply::error(err::SYNTAX));
        }
        i += 1;
    }
    if streams_at == 0 {
        return Err(Reply::error(err::SYNTAX));
    }
    let n = (args.len() - streams_at) / 2;
    let keys = &args[streams_at..streams_at + n];
    let id_args = &args[streams_at + n..];

    // First every key's type and every ID, in order, as Redis checks them
    // before serving anything.
    let mut from = Vec::with_capacity(n);
    for (key, id) in keys.iter().zip(id_args) {
        let last = ctx.db().get(key, ctx.now, |e| e.map(stream_of).transpose().map(|s| s.map(|s| s.last_id)))?;
        from.push(match &id[..] {
            b"$" => ReadFrom { after: last.unwrap_or(StreamId::MIN), dollar: true },
            b">" => return Err(Reply::error(
                "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
            )),
            _ => ReadFrom { after: parse_strict_id(id)?, dollar: false },
        });
    }

    // Then serve every stream that has something after its ID.
    let limit = if count == 0 { usize::MAX } else { count };
    let mut served = Vec::new();
    for (key, from) in keys.iter().zip(&from) {
        let entries = ctx.db().get(key, ctx.now, |e| -> Result<Vec<Reply>, Reply> {
            let Some(e) = e else { return Ok(Vec::new()) };
            Ok(stream_of(e)?.after(from.after).take(limit).map(|(id, f)| entry_reply(id, f)).collect())
        })?;
        if !entries.is_empty() {
            served.push((Reply::Bulk(key.clone()), Reply::Array(entries)));
        }
    }
    if !served.is_empty() {
        return Ok(match ctx.client.protocol {
            Protocol::Resp2 => Reply::Array(served.into_iter().map(|(k, v)| Reply::Array(vec![k, v])).collect()),
            Protocol::Resp3 => Reply::Map(served),
        });
    }
    let Some(timeout) = timeout else { return Ok(Reply::NullArray) };
    let reply = ctx.block_on(keys, timeout, Reply::NullArray);
    if let Some(block) = ctx.block.as_mut() {
        if from.iter().any(|f| f.dollar) {
            // Pin `$` (see the module doc); copies, as they outlive the
            // read buffer's batch.
            let mut pinned: Vec<Bytes> = args.iter().map(owned).collect();
            for (arg, f) in pinned[streams_at + n..].iter_mut().zip(&from) {
                if f.dollar {
                    *arg = Bytes::from(f.after.to_string());
                }
            }
            block.retry_args = Some(pinned);
        }
    }
    reply
}

/// XREAD's BLOCK argument: milliseconds, 0 for ever.
fn parse_block_ms(arg: &[u8], now: u64) -> Result<Option<std::time::Duration>, Reply> {
    let ms = parse_i64(arg).ok_or(Reply::error("ERR timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(Reply::error("ERR timeout is negative"));
    }
    if ms > i64::MAX - now.min(i64::MAX as u64) as i64 {
        return Err(Reply::error("ERR timeout is out of range"));
    }
    Ok((ms > 0).then(|| std::time::Duration::from_millis(ms as u64)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xadd_id(s: &str) -> Result<(StreamId, bool), Reply> {
        parse_id(s.as_bytes(), IdSyntax { missing_seq: 0, strict: true, seq_star: true })
    }

    /// IDs parse as Redis's parser does, quirks of strtoull included.
    #[test]
    fn id_syntax() {
        assert_eq!(xadd_id("5").unwrap(), (StreamId::new(5, 0), true));
        assert_eq!(xadd_id("5-3").unwrap(), (StreamId::new(5, 3), true));
        assert_eq!(xadd_id("5-*").unwrap(), (StreamId::new(5, 0), false));
        assert_eq!(xadd_id("+6").unwrap(), (StreamId::new(6, 0), true));
        assert_eq!(xadd_id("7--0").unwrap(), (StreamId::new(7, 0), true));
        assert_eq!(xadd_id("18446744073709551615-18446744073709551615").unwrap().0, StreamId::MAX);
        for bad in ["-", "+", "", "x", "5-", "-5", "5-x", "18446744073709551616", "5-*-1", "*"] {
            assert!(xadd_id(bad).is_err(), "{bad}");
        }
        assert!(parse_strict_id(b"5-*").is_err());
        assert_eq!(parse_interval_id(b"-", 0).unwrap(), (StreamId::MIN, false));
        assert_eq!(parse_interval_id(b"3", u64::MAX).unwrap(), (StreamId::new(3, u64::MAX), false));
        assert_eq!(parse_interval_id(b"(3-1", 0).unwrap(), (StreamId::new(3, 1), true));
        assert!(parse_interval_id(b"(+", 0).is_err());
        assert!(parse_interval_id(b"(", 0).is_err());
    }
}
