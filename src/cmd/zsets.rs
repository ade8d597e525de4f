//! Sorted-set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZCOUNT
//! ZRANGE ZRANGEBYSCORE ZREVRANGE ZREVRANGEBYSCORE ZRANGESTORE ZRANK
//! ZREVRANK ZPOPMIN ZPOPMAX BZPOPMIN BZPOPMAX ZSCAN.
//!
//! The structure is [`ZSet`]: a member ->
//! score map beside an order-statistic tree, so that every range below is
//! computed as a range of *ranks*: a score or lex bound becomes "how many
//! members come before it" (a binary search down the tree), and the reply
//! walks the tree from the first rank. Each command changes its set in
//! place inside one `db.update`; an emptied set deletes its key.
//!
//! # Scores
//!
//! Scores are `f64`, never NaN. Redis reads them with C's `strtod` in two
//! ways, and so does `strtod` here: strictly for ZADD and ZINCRBY (the
//! whole argument, no leading space, no overflow: `ERR value is not a
//! valid float`), and leniently for range bounds, where `(` marks an
//! exclusive bound and an empty or overflowing number is accepted
//! (`ERR min or max is not a float` otherwise). Replies carry scores as
//! doubles: a bulk string in RESP2, a `,` frame in RESP3 (see
//! [`format_double`]); RESP3 also
//! nests WITHSCORES replies as `[member, score]` pairs, as Redis 7 does.
//!
//! # Blocking
//!
//! BZPOPMIN and BZPOPMAX pop at once if they can, else they ask their
//! connection to wait ([`Ctx::block_on`]); ZADD, ZINCRBY and ZRANGESTORE
//! signal the keys they add members to ([`Ctx::signal_ready`]).

use super::keys::{scan_reply, ScanOptions};
use super::{
    delete_if_empty, empty_entry, err, is, parse_int, parse_timeout, reply_value, wrong_arity, Access, CmdResult,
    CommandSpec, CommandTable, Ctx,
};
use crate::keyspace::types::ZSet;
use crate::keyspace::{Entry, Keyspace, Value};
use crate::resp::reply::format_double;
use crate::resp::{Protocol, Reply};
use bytes::Bytes;

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    let zset = |name, arity, flags, keys, access, summary, since, handler| CommandSpec {
        name,
        arity,
        flags,
        keys,
        access,
        group: "sorted_set",
        summary,
        since,
        subcommands: &[],
        handler,
    };
    use Access::{Exclusive, Shared};
    const ONE: (i32, i32, i32) = (1, 1, 1);
    const W_DENYOOM_FAST: &[&str] = &["write", "denyoom", "fast"];
    const W_FAST: &[&str] = &["write", "fast"];
    const R_FAST: &[&str] = &["readonly", "fast"];
    const R: &[&str] = &["readonly"];
    const BLOCKING: &[&str] = &["write", "noscript", "blocking", "fast"];
    t.add(zset(
        "zadd",
        -4,
        W_DENYOOM_FAST,
        ONE,
        Shared,
        "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.",
        "1.2.0",
        zadd::<K>,
    ));
    t.add(zset(
        "zincrby",
        4,
        W_DENYOOM_FAST,
        ONE,
        Shared,
        "Increments the score of a member in a sorted set.",
        "1.2.0",
        zincrby::<K>,
    ));
    t.add(zset(
        "zrem",
        -3,
        W_FAST,
        ONE,
        Shared,
        "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.",
        "1.2.0",
        zrem::<K>,
    ));
    t.add(zset("zcard", 2, R_FAST, ONE, Shared, "Returns the number of members in a sorted set.", "1.2.0", zcard::<K>));
    t.add(zset(
        "zscore",
        3,
        R_FAST,
        ONE,
        Shared,
        "Returns the score of a member in a sorted set.",
        "1.2.0",
        zscore::<K>,
    ));
    t.add(zset(
        "zmscore",
        -3,
        R_FAST,
        ONE,
        Shared,
        "Returns the score of one or more members in a sorted set.",
        "6.2.0",
        zmscore::<K>,
    ));
    t.add(zset(
        "zcount",
        4,
        R_FAST,
        ONE,
        Shared,
        "Returns the count of members in a sorted set that have scores within a range.",
        "2.0.0",
        zcount::<K>,
    ));
    t.add(zset(
        "zrange",
        -4,
        R,
        ONE,
        Shared,
        "Returns members in a sorted set within a range of indexes.",
        "1.2.0",
        zrange::<K>,
    ));
    t.add(zset(
        "zrangebyscore",
        -4,
        R,
        ONE,
        Shared,
        "Returns members in a sorted set within a range of scores.",
        "1.0.5",
        zrangebyscore::<K>,
    ));
    t.add(zset(
        "zrevrange",
        -4,
        R,
        ONE,
        Shared,
        "Returns members in a sorted set within a range of indexes in reverse order.",
        "1.2.0",
        zrevrange::<K>,
    ));
    t.add(zset(
        "zrevrangebyscore",
        -4,
        R,
        ONE,
        Shared,
        "Returns members in a sorted set within a range of scores in reverse order.",
        "2.2.0",
        zrevrangebyscore::<K>,
    ));
    t.add(zset(
        "zrangestore",
        -5,
        &["write", "denyoom"],
        (1, 2, 1),
        Exclusive,
        "Stores a range of members from sorted set in a key.",
        "6.2.0",
        zrangestore::<K>,
    ));
    t.add(zset(
        "zrank",
        -3,
        R_FAST,
        ONE,
        Shared,
        "Returns the index of a member in a sorted set ordered by ascending scores.",
        "2.0.0",
        zrank::<K>,
    ));
    t.add(zset(
        "zrevrank",
        -3,
        R_FAST,
        ONE,
        Shared,
        "Returns the index of a member in a sorted set ordered by descending scores.",
        "2.0.0",
        zrevrank::<K>,
    ));
    t.add(zset("zpopmin", -2, W_FAST, ONE, Shared, "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", "5.0.0", zpopmin::<K>));
    t.add(zset("zpopmax", -2, W_FAST, ONE, Shared, "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", "5.0.0", zpopmax::<K>));
    t.add(zset("bzpopmin", -3, BLOCKING, (1, -2, 1), Shared, "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", "5.0.0", bzpopmin::<K>));
    t.add(zset("bzpopmax", -3, BLOCKING, (1, -2, 1), Shared, "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.", "5.0.0", bzpopmax::<K>));
    t.add(zset("zscan", -3, R, ONE, Shared, "Iterates over members and scores of a sorted set.", "2.8.0", zscan::<K>));
}

const NOT_RANGE_FLOAT: &str = "ERR min or max is not a float";
const NOT_LEX_ITEM: &str = "ERR min or max not valid string range item";
const NAN_RESULT: &str = "ERR resulting score is not a number (NaN)";

// ---------------------------------------------------------------------------
// Reaching the sorted set of a key
// ---------------------------------------------------------------------------

/// The sorted set at a key, `None` if the key is missing, WRONGTYPE if it
/// holds another type.
fn zset_ref(e: Option<&Entry>) -> Result<Option<&ZSet>, Reply> {
    super::typed_opt(e)
}

/// [`zset_ref`] for writing, inside `db.update`.
fn zset_mut(slot: &mut Option<Entry>) -> Result<Option<&mut ZSet>, Reply> {
    slot.as_mut().map(super::typed_mut).transpose()
}

/// A member and its score, as a reply: `[member, score]` pairs in RESP3,
/// flat in RESP2 (`out` is the array being built).
fn push_with_score(out: &mut Vec<Reply>, proto: Protocol, member: Reply, score: f64) {
    match proto {
        Protocol::Resp2 => {
            out.push(member);
            out.push(Reply::Double(score));
        }
        Protocol::Resp3 => out.push(Reply::Array(vec![member, Reply::Double(score)])),
    }
}

// ---------------------------------------------------------------------------
// Adding and removing
// ---------------------------------------------------------------------------

/// ZADD's options.
#[derive(Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What one ZADD did, for its reply.
#[derive(Default)]
struct AddOutcome {
    added: usize,
    updated: usize,
    /// Members not skipped by NX/XX/GT/LT.
    processed: usize,
    /// The last member's new score (INCR's reply).
    score: f64,
}

/// # Format
/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`:
/// the number of members added (with CH: added or changed); with INCR, the
/// member's new score, or nil when NX/XX/GT/LT skipped it.
///
/// Every score is parsed before anything changes, so a bad one leaves the
/// set untouched. XX on a missing key creates nothing.
fn zadd<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let mut flags = AddFlags::default();
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        let flag = if is(a, "nx") {
            &mut flags.nx
        } else if is(a, "xx") {
            &mut flags.xx
        } else if is(a, "gt") {
            &mut flags.gt
        } else if is(a, "lt") {
            &mut flags.lt
        } else if is(a, "ch") {
            &mut flags.ch
        } else if is(a, "incr") {
            &mut flags.incr
        } else {
            break;
        };
        *flag = true;
        i += 1;
    }
    let rest = &args[i..];
    if rest.is_empty() || rest.len() % 2 != 0 {
        return Err(Reply::error(err::SYNTAX));
    }
    if flags.xx && flags.nx {
        return Err(Reply::error("ERR XX and NX options at the same time are not compatible"));
    }
    // At most one of GT, LT and NX (XX goes with GT or LT).
    if [flags.gt, flags.lt, flags.nx].iter().filter(|&&f| f).count() > 1 {
        return Err(Reply::error("ERR GT, LT, and/or NX options at the same time are not compatible"));
    }
    if flags.incr && rest.len() > 2 {
        return Err(Reply::error("ERR INCR option supports a single increment-element pair"));
    }
    let pairs = rest
        .chunks_exact(2)
        .map(|p| Ok((parse_score(&p[0])?, &p[1][..])))
        .collect::<Result<Vec<(f64, &[u8])>, Reply>>()?;
    zadd_generic(ctx, &args[1], flags, &pairs)
}

/// # Format
/// `ZINCRBY key increment member`: the member's new score (a member that
/// was missing starts at 0).
fn zincrby<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let incr = parse_score(&args[2])?;
    zadd_generic(ctx, &args[1], AddFlags { incr: true, ..AddFlags::default() }, &[(incr, &args[3][..])])
}

/// The body of ZADD and ZINCRBY, as Redis's `zsetAdd` per member.
fn zadd_generic<K: Keyspace>(ctx: &mut Ctx<'_, K>, key: &Bytes, flags: AddFlags, pairs: &[(f64, &[u8])]) -> CmdResult {
    let out = ctx.db().update(key, ctx.now, |slot| {
        let mut out = AddOutcome::default();
        if zset_mut(slot)?.is_none() {
            if flags.xx {
                return Ok(out);
            }
            *slot = Some(empty_entry::<ZSet>());
        }
        let z = zset_mut(slot)?.expect("just created");
        let mut result = Ok(());
        for &(score, member) in pairs {
            match z.score(member) {
                Some(_) if flags.nx => continue,
                Some(current) => {
                    let new = if flags.incr { score + current } else { score };
                    if new.is_nan() {
                        result = Err(Reply::error(NAN_RESULT));
                        break;
                    }
                    if (flags.lt && new >= current) || (flags.gt && new <= current) {
                        continue;
                    }
                    if new != current {
                        z.insert(member, new);
                        out.updated += 1;
                    }
                    out.processed += 1;
                    out.score = new;
                }
                None if flags.xx => continue,
                None => {
                    z.insert(member, score);
                    out.added += 1;
                    out.processed += 1;
                    out.score = score;
                }
            }
        }
        delete_if_empty::<ZSet>(slot);
        result.map(|()| out)
    })?;
    if out.added > 0 {
        ctx.signal_ready(key, out.added);
    }
    Ok(if flags.incr {
        if out.processed > 0 {
            Reply::Double(out.score)
        } else {
            Reply::Null
        }
    } else {
        Reply::Integer((if flags.ch { out.added + out.updated } else { out.added }) as i64)
    })
}

/// # Format
/// `ZREM key member [member ...]`: the number of members removed.
fn zrem<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let removed = ctx.db().update(&args[1], ctx.now, |slot| {
        let Some(z) = zset_mut(slot)? else { return Ok(0) };
        let removed = args[2..].iter().filter(|m| z.remove(m).is_some()).count();
        delete_if_empty::<ZSet>(slot);
        Ok::<_, Reply>(removed)
    })?;
    Ok(Reply::Integer(removed as i64))
}

// ---------------------------------------------------------------------------
// Reading single members
// ---------------------------------------------------------------------------

/// # Format
/// `ZCARD key`: the number of members, 0 for a missing key.
fn zcard<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let n = ctx.db().get(&args[1], ctx.now, |e| Ok::<_, Reply>(zset_ref(e)?.map_or(0, ZSet::len)))?;
    Ok(Reply::Integer(n as i64))
}

/// # Format
/// `ZSCORE key member`: the score (a double), or nil.
fn zscore<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let score = ctx.db().get(&args[1], ctx.now, |e| Ok::<_, Reply>(zset_ref(e)?.and_then(|z| z.score(&args[2]))))?;
    Ok(score.map_or(Reply::Null, Reply::Double))
}

/// # Format
/// `ZMSCORE key member [member ...]`: an array with each member's score, or
/// nil for a member (or key) that is missing.
fn zmscore<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().get(&args[1], ctx.now, |e| {
        let z = zset_ref(e)?;
        let score = |m: &Bytes| z.and_then(|z| z.score(m)).map_or(Reply::Null, Reply::Double);
        Ok(Reply::Array(args[2..].iter().map(score).collect()))
    })
}

/// # Format
/// `ZRANK key member [WITHSCORE]` and `ZREVRANK ...`: the member's 0-based
/// rank by ascending (descending) score, or nil; with WITHSCORE (Redis
/// 7.2) an array of the rank and the score, or a null array.
fn zrank<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    zrank_generic(ctx, args, "zrank", false)
}

/// See [`zrank`].
fn zrevrank<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    zrank_generic(ctx, args, "zrevrank", true)
}

fn zrank_generic<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes], name: &str, reverse: bool) -> CmdResult {
    if args.len() > 4 {
        return Err(wrong_arity(name));
    }
    let with_score = match args.get(3) {
        Some(a) if is(a, "withscore") => true,
        Some(_) => return Err(Reply::error(err::SYNTAX)),
        None => false,
    };
    let found = ctx.db().get(&args[1], ctx.now, |e| {
        Ok::<_, Reply>(zset_ref(e)?.and_then(|z| {
            let (rank, score) = z.rank(&args[2])?;
            Some((if reverse { z.len() - 1 - rank } else { rank }, score))
        }))
    })?;
    Ok(match (found, with_score) {
        (Some((rank, score)), true) => Reply::Array(vec![Reply::Integer(rank as i64), Reply::Double(score)]),
        (Some((rank, _)), false) => Reply::Integer(rank as i64),
        (None, true) => Reply::NullArray,
        (None, false) => Reply::Null,
    })
}

// ---------------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------------

/// One end of a score range: `5`, `(5`, `-inf`, `+inf`.
#[derive(Clone, Copy)]
struct ScoreBound {
    value: f64,
    exclusive: bool,
}

impl ScoreBound {
    /// Parse as Redis's `zslParseRange`: `(` makes it exclusive; the rest
    /// is read by `strtod`, which must use it all and not give NaN.
    fn parse(arg: &[u8]) -> Option<ScoreBound> {
        let (exclusive, text) = match arg.first() {
            Some(b'(') => (true, &arg[1..]),
            _ => (false, arg),
        };
        let n = strtod(text);
        (n.used == text.len() && !n.value.is_nan()).then_some(ScoreBound { value: n.value, exclusive })
    }

    /// Whether `score` lies below this bound taken as a minimum.
    fn below_min(&self, score: f64) -> bool {
        if self.exclusive {
            score <= self.value
        } else {
            score < self.value
        }
    }

    /// Whether `score` lies within this bound taken as a maximum.
    fn within_max(&self, score: f64) -> bool {
        if self.exclusive {
            score < self.value
        } else {
            score <= self.value
        }
    }
}

/// One end of a lex range: `-`, `+`, `[member`, `(member`.
enum LexBound {
    /// `-`: before every member.
    Least,
    /// `+`: after every member.
    Greatest,
    Inclusive(Bytes),
    Exclusive(Bytes),
}

impl LexBound {
    /// Parse as Redis's `zslParseLexRangeItem`.
    fn parse(arg: &Bytes) -> Option<LexBound> {
        match arg.first()? {
            b'-' if arg.len() == 1 => Some(LexBound::Least),
            b'+' if arg.len() == 1 => Some(LexBound::Greatest),
            b'[' => Some(LexBound::Inclusive(arg.slice(1..))),
            b'(' => Some(LexBound::Exclusive(arg.slice(1..))),
            _ => None,
        }
    }

    fn below_min(&self, m: &[u8]) -> bool {
        match self {
            LexBound::Least => false,
            LexBound::Greatest => true,
            LexBound::Inclusive(v) => m < &v[..],
            LexBound::Exclusive(v) => m <= &v[..],
        }
    }

    fn within_max(&self, m: &[u8]) -> bool {
        match self {
            LexBound::Least => false,
            LexBound::Greatest => true,
            LexBound::Inclusive(v) => m <= &v[..],
            LexBound::Exclusive(v) => m < &v[..],
        }
    }
}

/// ZRANGE's three ways of selecting (BYSCORE, BYLEX, by index).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rank,
    Score,
    Lex,
}

/// What a range selects.
enum Range {
    /// By 0-based index, negative counting from the end (ZRANGE's default).
    Rank(i64, i64),
    Score(ScoreBound, ScoreBound),
    /// By member bytes; meaningful when all scores are equal.
    Lex(LexBound, LexBound),
}

/// A parsed ZRANGE-family request.
struct RangeQuery {
    range: Range,
    reverse: bool,
    with_scores: bool,
    /// LIMIT offset count; count -1 (the default) means "all".
    offset: i64,
    limit: i64,
}

impl RangeQuery {
    /// Parse the arguments from the source key on, as Redis's
    /// `zrangeGenericCommand`: `key min max [options]`. `kind` and
    /// `reverse` are fixed by the older commands (ZRANGEBYSCORE, ZREVRANGE
    /// ...), in which case the matching option is a syntax error (as is
    /// repeating REV, or giving BYSCORE and BYLEX together). `store`
    /// (ZRANGESTORE) refuses WITHSCORES.
    fn parse(
        args: &[Bytes],
        fixed_kind: Option<Kind>,
        fixed_reverse: Option<bool>,
        store: bool,
    ) -> Result<RangeQuery, Reply> {
        let (mut kind, mut reverse) = (fixed_kind, fixed_reverse);
        let (mut with_scores, mut offset, mut limit) = (false, 0, -1);
        let mut j = 3;
        while j < args.len() {
            let a = &args[j];
            let left = args.len() - j - 1;
            if !store && is(a, "withscores") {
                with_scores = true;
            } else if is(a, "limit") && left >= 2 {
                offset = parse_int(&args[j + 1])?;
                limit = parse_int(&args[j + 2])?;
                j += 2;
            } else if reverse.is_none() && is(a, "rev") {
                reverse = Some(true);
            } else if kind.is_none() && is(a, "bylex") {
                kind = Some(Kind::Lex);
            } else if kind.is_none() && is(a, "byscore") {
                kind = Some(Kind::Score);
            } else {
                return Err(Reply::error(err::SYNTAX));
            }
            j += 1;
        }
        let (kind, reverse) = (kind.unwrap_or(Kind::Rank), reverse.unwrap_or(false));
        if limit != -1 && kind == Kind::Rank {
            return Err(Reply::error(
                "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
            ));
        }
        if with_scores && kind == Kind::Lex {
            return Err(Reply::error("ERR syntax error, WITHSCORES not supported in combination with BYLEX"));
        }
        // Reversed score and lex ranges are written max first.
        let (min, max) = if reverse && kind != Kind::Rank { (&args[2], &args[1]) } else { (&args[1], &args[2]) };
        let range = match kind {
            Kind::Rank => Range::Rank(parse_int(min)?, parse_int(max)?),
            Kind::Score => match (ScoreBound::parse(min), ScoreBound::parse(max)) {
                (Some(lo), Some(hi)) => Range::Score(lo, hi),
                _ => return Err(Reply::error(NOT_RANGE_FLOAT)),
            },
            Kind::Lex => match (LexBound::parse(min), LexBound::parse(max)) {
                (Some(lo), Some(hi)) => Range::Lex(lo, hi),
                _ => return Err(Reply::error(NOT_LEX_ITEM)),
            },
        };
        Ok(RangeQuery { range, reverse, with_scores, offset, limit })
    }

    /// The selection as a walk over ranks: the first rank, its direction
    /// (up when forward) and how many members to take.
    fn walk(&self, z: &ZSet) -> (usize, bool, usize) {
        let len = z.len() as i64;
        let forward = !self.reverse;
        let (lo, hi) = match &self.range {
            Range::Rank(start, end) => {
                let start = if *start < 0 { len + start } else { *start }.max(0);
                let end = if *end < 0 { len + end } else { *end }.min(len - 1);
                if start > end || start >= len {
                    return (0, forward, 0);
                }
                let count = (end - start + 1) as usize;
                // In reverse, index 0 is the highest rank.
                let first = if self.reverse { (len - 1 - start) as usize } else { start as usize };
                return (first, forward, count);
            }
            Range::Score(min, max) => {
                (z.partition_point(|s, _| min.below_min(s)), z.partition_point(|s, _| max.within_max(s)))
            }
            Range::Lex(min, max) => {
                (z.partition_point(|_, m| min.below_min(m)), z.partition_point(|_, m| max.within_max(m)))
            }
        };
        // Members in range hold ranks lo..hi. Redis skips `offset` members
        // one by one; a negative offset never stops skipping, so selects
        // nothing. A negative count means "all".
        let in_range = hi.saturating_sub(lo);
        if self.offset < 0 || self.offset as u64 >= in_range as u64 {
            return (0, forward, 0);
        }
        let offset = self.offset as usize;
        let mut count = in_range - offset;
        if self.limit >= 0 {
            count = count.min(self.limit as usize);
        }
        let first = if forward { lo + offset } else { hi - 1 - offset };
        (first, forward, count)
    }
}

/// Run a range query against a key and reply with the members (and
/// scores).
fn zrange_reply<K: Keyspace>(ctx: &mut Ctx<'_, K>, key: &[u8], q: &RangeQuery) -> CmdResult {
    let proto = ctx.client.protocol;
    ctx.db().get(key, ctx.now, |e| {
        let Some(z) = zset_ref(e)? else { return Ok(Reply::Array(Vec::new())) };
        let (first, forward, count) = q.walk(z);
        let mut out = Vec::with_capacity(if q.with_scores && proto == Protocol::Resp2 { 2 * count } else { count });
        for (m, s) in z.iter_from(first, forward).take(count) {
            if q.with_scores {
                push_with_score(&mut out, proto, reply_value(m), s);
            } else {
                out.push(reply_value(m));
            }
        }
        Ok(Reply::Array(out))
    })
}

/// # Format
/// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count]
/// [WITHSCORES]`: the members in the range, in order (reversed with REV).
///
/// - By index (the default): `start` and `stop` are 0-based and inclusive,
///   negative ones count from the end.
/// - BYSCORE: `min max` are scores, `(` before one makes it exclusive,
///   `-inf`/`+inf` are the ends.
/// - BYLEX: `min max` are `[member` (inclusive), `(member` (exclusive), `-`
///   or `+`, for a set whose scores are all equal.
/// - With REV, BYSCORE and BYLEX take the bounds as `max min`.
/// - LIMIT needs BYSCORE or BYLEX; WITHSCORES is refused with BYLEX.
fn zrange<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let q = RangeQuery::parse(&args[1..], None, None, false)?;
    zrange_reply(ctx, &args[1], &q)
}

/// # Format
/// `ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]`: ZRANGE
/// with BYSCORE.
fn zrangebyscore<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let q = RangeQuery::parse(&args[1..], Some(Kind::Score), Some(false), false)?;
    zrange_reply(ctx, &args[1], &q)
}

/// # Format
/// `ZREVRANGE key start stop [WITHSCORES]`: ZRANGE with REV.
fn zrevrange<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let q = RangeQuery::parse(&args[1..], Some(Kind::Rank), Some(true), false)?;
    zrange_reply(ctx, &args[1], &q)
}

/// # Format
/// `ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]`:
/// ZRANGE with BYSCORE and REV.
fn zrevrangebyscore<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let q = RangeQuery::parse(&args[1..], Some(Kind::Score), Some(true), false)?;
    zrange_reply(ctx, &args[1], &q)
}

/// # Format
/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset
/// count]`: store ZRANGE's selection (with scores) at `dst`, replacing
/// whatever was there (an empty selection deletes `dst`); the number of
/// members stored.
///
/// Runs alone ([`Access::Exclusive`]): the source is read, then the
/// destination written, in two steps that nothing else can come between.
fn zrangestore<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let q = RangeQuery::parse(&args[2..], None, None, true)?;
    let selected = ctx.db().get(&args[2], ctx.now, |e| {
        let Some(z) = zset_ref(e)? else { return Ok(ZSet::default()) };
        let (first, forward, count) = q.walk(z);
        let mut out = ZSet::default();
        for (m, s) in z.iter_from(first, forward).take(count) {
            out.insert(m, s);
        }
        Ok::<_, Reply>(out)
    })?;
    let n = selected.len();
    ctx.db().update(&args[1], ctx.now, |slot| {
        *slot = (n > 0).then(|| Entry { value: Value::ZSet(Box::new(selected)), expires_at: None });
    });
    if n > 0 {
        ctx.signal_ready(&args[1], n);
    }
    Ok(Reply::Integer(n as i64))
}

/// # Format
/// `ZCOUNT key min max`: how many members have a score in the range
/// (bounds as in ZRANGE BYSCORE).
fn zcount<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let (Some(min), Some(max)) = (ScoreBound::parse(&args[2]), ScoreBound::parse(&args[3])) else {
        return Err(Reply::error(NOT_RANGE_FLOAT));
    };
    let n = ctx.db().get(&args[1], ctx.now, |e| {
        Ok::<_, Reply>(zset_ref(e)?.map_or(0, |z| {
            let lo = z.partition_point(|s, _| min.below_min(s));
            z.partition_point(|s, _| max.within_max(s)).saturating_sub(lo)
        }))
    })?;
    Ok(Reply::Integer(n as i64))
}

// ---------------------------------------------------------------------------
// Popping
// ---------------------------------------------------------------------------

/// # Format
/// `ZPOPMIN key [count]` and `ZPOPMAX key [count]`: remove and return the
/// members with the lowest (highest) scores, as `member score ...`. In
/// RESP3 a COUNT reply nests `[member, score]` pairs. A count of 0, or a
/// missing key, gives an empty array.
fn zpopmin<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    zpop(ctx, args, true)
}

/// See [`zpopmin`].
fn zpopmax<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    zpop(ctx, args, false)
}

fn zpop<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes], min: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(Reply::error(err::SYNTAX));
    }
    // Redis's getPositiveLongFromObjectOrReply: one message for both
    // a non-number and a negative number.
    let count = match args.get(2) {
        None => None,
        Some(a) => match crate::resp::parse::parse_i64(a) {
            Some(n) if n >= 0 => Some(n as u64),
            _ => return Err(Reply::error("ERR value is out of range, must be positive")),
        },
    };
    // One pair flat; with a COUNT, pairs nest in RESP3.
    let proto = if count.is_some() { ctx.client.protocol } else { Protocol::Resp2 };
    ctx.db().update(&args[1], ctx.now, |slot| {
        let Some(z) = zset_mut(slot)? else { return Ok(Reply::Array(Vec::new())) };
        let n = count.unwrap_or(1).min(z.len() as u64) as usize;
        let mut out = Vec::with_capacity(2 * n);
        for _ in 0..n {
            let Some((m, s)) = z.pop(min) else { break };
            push_with_score(&mut out, proto, reply_value(&m), s);
        }
        delete_if_empty::<ZSet>(slot);
        Ok(Reply::Array(out))
    })
}

/// # Format
/// `BZPOPMIN key [key ...] timeout` and `BZPOPMAX ...`: pop one member
/// from the first non-empty key, as `[key, member, score]`; if every key
/// is empty, wait up to `timeout` seconds (0: for ever) for a member to be
/// added, then reply a null array.
fn bzpopmin<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    bzpop(ctx, args, true)
}

/// See [`bzpopmin`].
fn bzpopmax<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    bzpop(ctx, args, false)
}

fn bzpop<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes], min: bool) -> CmdResult {
    let timeout = parse_timeout(&args[args.len() - 1])?;
    let keys = &args[1..args.len() - 1];
    for key in keys {
        let popped = ctx.db().update(key, ctx.now, |slot| {
            let Some(z) = zset_mut(slot)? else { return Ok(None) };
            let popped = z.pop(min);
            delete_if_empty::<ZSet>(slot);
            Ok::<_, Reply>(popped)
        })?;
        if let Some((m, s)) = popped {
            return Ok(Reply::Array(vec![Reply::Bulk(key.clone()), reply_value(&m), Reply::Double(s)]));
        }
    }
    ctx.block_on(keys, timeout, Reply::NullArray)
}

// ---------------------------------------------------------------------------
// ZSCAN
// ---------------------------------------------------------------------------

/// # Format
/// `ZSCAN key cursor [MATCH pattern] [COUNT count]`: an array of the next
/// cursor and a flat array of `member score ...` (scores as bulk strings).
///
/// convoy returns the whole set in one reply, in score order, with cursor
/// 0, whatever the cursor and COUNT: that is what Redis does for a set small
/// enough to be a listpack, and it keeps SCAN's guarantee (every member
/// present throughout is returned) trivially. A rank cursor would not keep
/// it: removing a member before the cursor would shift the rest past it.
fn zscan<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    super::keys::parse_cursor(&args[2])?;
    ctx.db().get(&args[1], ctx.now, |e| {
        let Some(z) = zset_ref(e)? else { return Ok(scan_reply(0, Vec::new())) };
        let opts = ScanOptions::parse(&args[3..], false)?;
        let mut out = Vec::new();
        for (m, s) in z.iter().filter(|(m, _)| opts.matches(m)) {
            out.push(reply_value(m));
            out.push(Reply::bulk_str(&format_double(s)));
        }
        Ok(scan_reply(0, out))
    })
}

// ---------------------------------------------------------------------------
// Reading scores as C does
// ---------------------------------------------------------------------------

/// A score argument of ZADD or ZINCRBY, as Redis's `getDoubleFromObject`:
/// the whole argument must be a number for `strtod`, with no leading space,
/// and neither overflow nor underflow to zero nor NaN.
fn parse_score(arg: &[u8]) -> Result<f64, Reply> {
    let n = strtod(arg);
    let starts_with_space = arg.first().is_some_and(|c| is_c_space(*c));
    if arg.is_empty() || starts_with_space || n.used != arg.len() || n.out_of_range || n.value.is_nan() {
        return Err(Reply::error(err::NOT_FLOAT));
    }
    Ok(n.value)
}

/// What C's `strtod` made of the start of a string.
struct Strtod {
    value: f64,
    /// Bytes consumed; 0 when no number was found.
    used: usize,
    /// `errno == ERANGE` with a result of ±HUGE_VAL or zero: the number
    /// overflowed, or underflowed to zero.
    out_of_range: bool,
}

fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// C's `strtod` (glibc): leading white space, a sign, then `inf`,
/// `infinity`, `nan`, `nan(chars)` (any case), a hexadecimal float
/// (`0x1.8p3`) or a decimal one; the longest prefix that forms a number.
fn strtod(s: &[u8]) -> Strtod {
    const NONE: Strtod = Strtod { value: 0.0, used: 0, out_of_range: false };
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let negative = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let sign = if negative { -1.0 } else { 1.0 };
    let rest = &s[i..];
    let starts = |word: &str| rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word.as_bytes());
    if starts("infinity") {
        return Strtod { value: sign * f64::INFINITY, used: i + 8, out_of_range: false };
    }
    if starts("inf") {
        return Strtod { value: sign * f64::INFINITY, used: i + 3, out_of_range: false };
    }
    if starts("nan") {
        let mut used = i + 3;
        if s.get(used) == Some(&b'(') {
            let inner = s[used + 1..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'_').count();
            if s.get(used + 1 + inner) == Some(&b')') {
                used += inner + 2;
            }
        }
        return Strtod { value: f64::NAN, used, out_of_range: false };
    }
    let hex = rest.len() > 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x';
    if hex {
        if let Some((value, used)) = hex_float(&rest[2..]) {
            return Strtod { value: sign * value, used: i + 2 + used, out_of_range: value.is_infinite() };
        }
    }
    // Decimal: digits, optional fraction, optional exponent.
    let digits = |from: usize| s[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int_digits = digits(i);
    let mut end = i + int_digits;
    let mut frac_digits = 0;
    if s.get(end) == Some(&b'.') {
        frac_digits = digits(end + 1);
        if int_digits + frac_digits > 0 {
            end += 1 + frac_digits;
        }
    }
    if int_digits + frac_digits == 0 {
        return NONE;
    }
    let mantissa_end = end;
    if matches!(s.get(end), Some(b'e' | b'E')) {
        let mut e = end + 1;
        if matches!(s.get(e), Some(b'-' | b'+')) {
            e += 1;
        }
        let exp_digits = digits(e);
        if exp_digits > 0 {
            end = e + exp_digits;
        }
    }
    // Rust's parser rounds correctly, as glibc does, and takes any length.
    let text = std::str::from_utf8(&s[i..end]).unwrap_or("0");
    let magnitude: f64 = text.parse().unwrap_or(0.0);
    let nonzero_digits = s[i..mantissa_end].iter().any(|c| (b'1'..=b'9').contains(c));
    let out_of_range = magnitude.is_infinite() || (magnitude == 0.0 && nonzero_digits);
    Strtod { value: sign * magnitude, used: end, out_of_range }
}

/// The part of a hexadecimal float after `0x`: hex digits, an optional
/// fraction, an optional binary exponent `p[+-]digits`. Returns the value
/// and the bytes used, or `None` if no hex digit follows (then `strtod`
/// reads just the `0`).
fn hex_float(s: &[u8]) -> Option<(f64, usize)> {
    let hex_digits = |from: usize| s[from..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
    let int_digits = hex_digits(0);
    let mut end = int_digits;
    let mut frac_digits = 0;
    if s.get(end) == Some(&b'.') {
        frac_digits = hex_digits(end + 1);
        if int_digits + frac_digits > 0 {
            end += 1 + frac_digits;
        }
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    // Keep the first 15 significant hex digits (60 bits, more than a
    // double's 53) exactly; later ones only scale or are dropped.
    let (mut mant, mut exp2, mut kept) = (0u64, 0i64, 0);
    for (k, &c) in s[..end].iter().filter(|c| **c != b'.').enumerate() {
        let d = (c as char).to_digit(16).unwrap_or(0) as u64;
        let fractional = k >= int_digits;
        if kept < 15 {
            // Leading zeros are not significant digits.
            if mant != 0 || d != 0 {
                kept += 1;
            }
            mant = mant * 16 + d;
            if fractional {
                exp2 -= 4;
            }
        } else if !fractional {
            exp2 += 4;
        }
    }
    if matches!(s.get(end), Some(b'p' | b'P')) {
        let mut e = end + 1;
        let negative = s.get(e) == Some(&b'-');
        if matches!(s.get(e), Some(b'-' | b'+')) {
            e += 1;
        }
        let n = s[e..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n > 0 {
            let v = s[e..e + n]
                .iter()
                .fold(0i64, |v, c| v.saturating_mul(10).saturating_add((c - b'0') as i64))
                .min(100_000);
            exp2 += if negative { -v } else { v };
            end = e + n;
        }
    }
    // mant * 2^exp2, scaled in steps that cannot overflow the exponent.
    let mut value = mant as f64;
    while exp2 > 0 && value.is_finite() && value != 0.0 {
        let step = exp2.min(1000);
        value *= 2f64.powi(step as i32);
        exp2 -= step;
    }
    while exp2 < 0 && value != 0.0 {
        let step = (-exp2).min(1000);
        value *= 2f64.powi(-(step as i32));
        exp2 += step;
    }
    Some((value, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(s: &str) -> Option<f64> {
        parse_score(s.as_bytes()).ok()
    }

    /// ZADD's scores: what `getDoubleFromObject` accepts and refuses.
    #[test]
    fn strict_scores() {
        assert_eq!(score("1.5"), Some(1.5));
        assert_eq!(score("-2"), Some(-2.0));
        assert_eq!(score("+inf"), Some(f64::INFINITY));
        assert_eq!(score("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(score("1e3"), Some(1000.0));
        assert_eq!(score(".5"), Some(0.5));
        assert_eq!(score("5."), Some(5.0));
        assert_eq!(score("0x10"), Some(16.0));
        assert_eq!(score("0x1.8p1"), Some(3.0));
        assert_eq!(score("4e-320"), Some(4e-320));
        for bad in ["", " 1", "1 ", "abc", "nan", "1e400", "1e-400", "1e", "0x", "--1", "."] {
            assert_eq!(score(bad), None, "{bad:?}");
        }
    }

    /// Range bounds: lenient `strtod`, `(` for exclusive.
    #[test]
    fn range_bounds() {
        let b = |s: &str| ScoreBound::parse(s.as_bytes()).map(|b| (b.value, b.exclusive));
        assert_eq!(b("(1.5"), Some((1.5, true)));
        assert_eq!(b("-inf"), Some((f64::NEG_INFINITY, false)));
        assert_eq!(b(""), Some((0.0, false)));
        assert_eq!(b("("), Some((0.0, true)));
        assert_eq!(b(" 1"), Some((1.0, false)));
        assert_eq!(b("1e400"), Some((f64::INFINITY, false)));
        assert_eq!(b("x"), None);
        assert_eq!(b("nan"), None);
        assert_eq!(b("[1"), None);
    }
}
