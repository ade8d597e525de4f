//! Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP
//! SRANDMEMBER SINTER SUNION SDIFF SINTERSTORE SUNIONSTORE SDIFFSTORE
//! SINTERCARD SMOVE SSCAN.
//!
//! # Atomicity
//!
//! Single-key commands are one [`Db::update`] or [`Db::get`], changing the
//! set in place. Commands over several keys never hold two keys at once
//! (a closure given to the db must not call back into it): they read each
//! source in turn with [`Db::get`], copying only what they need, then
//! write the destination with one [`Db::update`]. They are registered
//! [`Access::Exclusive`] (SINTERCARD, SMOVE, the *STORE commands) or
//! [`Access::ExclusiveIfManyKeys`] (SINTER, SUNION, SDIFF), so no other
//! command runs in between and the sequence is atomic (see
//! [`crate::keyspace::gate`]).
//!
//! A set left without members is deleted, key and all; a *STORE whose
//! result is empty deletes its destination, as in Redis.
//!
//! # Storage
//!
//! A set is an [`Indexed`](crate::keyspace::types::Indexed) map without
//! values: O(1) membership, O(1) random member for SPOP and SRANDMEMBER,
//! and an SSCAN cursor that never misses a member present for the whole
//! scan.
//!
//! [`Db::update`]: crate::keyspace::Db::update
//! [`Db::get`]: crate::keyspace::Db::get

use super::hashes::{parse_random_count, random_positions, scan_indexed};
use super::keys::{parse_cursor, scan_reply, ScanOptions};
use super::{err, is, parse_int, reply_value, Access, CmdResult, CommandSpec, CommandTable, Ctx, Handler};
use crate::keyspace::types::Set;
use crate::keyspace::{Db, Entry, Keyspace, Str, UnixMillis, Value};
use crate::resp::Reply;
use bytes::Bytes;
use rand::Rng;

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    let set = |name, arity, flags, summary, since, handler: Handler<K>| CommandSpec {
        name,
        arity,
        flags,
        keys: (1, 1, 1),
        access: Access::Shared,
        group: "set",
        summary,
        since,
        subcommands: &[],
        handler,
    };
    const RO: &[&str] = &["readonly"];
    const RO_FAST: &[&str] = &["readonly", "fast"];
    const W_FAST: &[&str] = &["write", "fast"];
    const W_DENYOOM: &[&str] = &["write", "denyoom"];
    const W_DENYOOM_FAST: &[&str] = &["write", "denyoom", "fast"];
    const ALL_KEYS: (i32, i32, i32) = (1, -1, 1);

    t.add(set(
        "sadd",
        -3,
        W_DENYOOM_FAST,
        "Adds one or more members to a set. Creates the key if it doesn't exist.",
        "1.0.0",
        sadd::<K>,
    ));
    t.add(set(
        "srem",
        -3,
        W_FAST,
        "Removes one or more members from a set. Deletes the set if the last member was removed.",
        "1.0.0",
        srem::<K>,
    ));
    t.add(set("smembers", 2, RO, "Returns all members of a set.", "1.0.0", smembers::<K>));
    t.add(set("sismember", 3, RO_FAST, "Determines whether a member belongs to a set.", "1.0.0", sismember::<K>));
    t.add(set(
        "smismember",
        -3,
        RO_FAST,
        "Determines whether multiple members belong to a set.",
        "6.2.0",
        smismember::<K>,
    ));
    t.add(set("scard", 2, RO_FAST, "Returns the number of members in a set.", "1.0.0", scard::<K>));
    t.add(set("spop", -2, W_FAST, "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.", "1.0.0", spop::<K>));
    t.add(set("srandmember", -2, RO, "Get one or multiple random members from a set", "1.0.0", srandmember::<K>));
    t.add(set("sscan", -3, RO, "Iterates over members of a set.", "2.8.0", sscan::<K>));
    t.add(CommandSpec {
        keys: ALL_KEYS,
        access: Access::ExclusiveIfManyKeys,
        ..set("sinter", -2, RO, "Returns the intersect of multiple sets.", "1.0.0", sinter::<K>)
    });
    t.add(CommandSpec {
        keys: ALL_KEYS,
        access: Access::ExclusiveIfManyKeys,
        ..set("sunion", -2, RO, "Returns the union of multiple sets.", "1.0.0", sunion::<K>)
    });
    t.add(CommandSpec {
        keys: ALL_KEYS,
        access: Access::ExclusiveIfManyKeys,
        ..set("sdiff", -2, RO, "Returns the difference of multiple sets.", "1.0.0", sdiff::<K>)
    });
    t.add(CommandSpec {
        keys: ALL_KEYS,
        access: Access::Exclusive,
        ..set(
            "sinterstore",
            -3,
            W_DENYOOM,
            "Stores the intersect of multiple sets in a key.",
            "1.0.0",
            sinterstore::<K>,
        )
    });
    t.add(CommandSpec {
        keys: ALL_KEYS,
        access: Access::Exclusive,
        ..set("sunionstore", -3, W_DENYOOM, "Stores the union of multiple sets in a key.", "1.0.0", sunionstore::<K>)
    });
    t.add(CommandSpec {
        keys: ALL_KEYS,
        access: Access::Exclusive,
        ..set("sdiffstore", -3, W_DENYOOM, "Stores the difference of multiple sets in a key.", "1.0.0", sdiffstore::<K>)
    });
    t.add(CommandSpec {
        // The keys follow a count: Redis reports no fixed key positions.
        keys: (0, 0, 0),
        access: Access::Exclusive,
        ..set(
            "sintercard",
            -3,
            &["readonly", "movablekeys"],
            "Returns the number of members of the intersect of multiple sets.",
            "7.0.0",
            sintercard::<K>,
        )
    });
    t.add(CommandSpec {
        keys: (1, 2, 1),
        access: Access::Exclusive,
        ..set("smove", 4, W_FAST, "Moves a member from one set to another.", "1.0.0", smove::<K>)
    });
}

// ---------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------

/// The set an entry holds (`None` for a missing key), or WRONGTYPE.
fn set_of(e: Option<&Entry>) -> Result<Option<&Set>, Reply> {
    super::typed_opt(e)
}

/// Run `f` on the set at `slot`, creating an empty one first if the key is
/// missing and `create` is set (otherwise a missing key replies
/// `missing()` without running `f`). A set left empty is deleted.
fn with_set<R>(
    slot: &mut Option<Entry>,
    create: bool,
    missing: impl FnOnce() -> R,
    f: impl FnOnce(&mut Set) -> Result<R, Reply>,
) -> Result<R, Reply> {
    super::with_collection(slot, create, missing, f)
}

/// Members as a reply: a RESP3 set (an array in RESP2).
fn members_reply<'a>(members: impl Iterator<Item = &'a Str>) -> Reply {
    Reply::Set(members.map(reply_value).collect())
}

/// The number of members of the set at `key` (0 if missing), or WRONGTYPE.
fn card_of<K: Keyspace>(db: &Db<K>, key: &[u8], now: UnixMillis) -> Result<usize, Reply> {
    db.get(key, now, |e| Ok(set_of(e)?.map_or(0, Set::len)))
}

/// A copy of the members of the set at `key` (none if missing), or
/// WRONGTYPE.
fn copy_members<K: Keyspace>(db: &Db<K>, key: &[u8], now: UnixMillis) -> Result<Vec<Str>, Reply> {
    db.peek(key, now, |e| Ok(set_of(e)?.map_or_else(Vec::new, |s| s.members.keys().cloned().collect())))
}

// ---------------------------------------------------------------------------
// One set
// ---------------------------------------------------------------------------

/// # Format
/// `SADD key member [member ...]`: the number of members added.
fn sadd<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().update(&args[1], ctx.now, |slot| {
        with_set(
            slot,
            true,
            || Reply::Integer(0),
            |s| Ok(Reply::Integer(args[2..].iter().filter(|m| s.insert(m)).count() as i64)),
        )
    })
}

/// # Format
/// `SREM key member [member ...]`: the number of members removed. The key
/// goes with the last member.
fn srem<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().update(&args[1], ctx.now, |slot| {
        with_set(
            slot,
            false,
            || Reply::Integer(0),
            |s| Ok(Reply::Integer(args[2..].iter().filter(|m| s.remove(m)).count() as i64)),
        )
    })
}

/// # Format
/// `SMEMBERS key`: every member (a RESP3 set), empty for a missing key.
fn smembers<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db()
        .get(&args[1], ctx.now, |e| Ok(set_of(e)?.map_or(Reply::Set(Vec::new()), |s| members_reply(s.members.keys()))))
}

/// # Format
/// `SISMEMBER key member`: `:1` or `:0`.
fn sismember<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().get(&args[1], ctx.now, |e| Ok(Reply::Integer(set_of(e)?.is_some_and(|s| s.contains(&args[2])) as i64)))
}

/// # Format
/// `SMISMEMBER key member [member ...]`: an array of `:1`/`:0`, one per
/// member.
fn smismember<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().get(&args[1], ctx.now, |e| {
        let s = set_of(e)?;
        Ok(Reply::Array(args[2..].iter().map(|m| Reply::Integer(s.is_some_and(|s| s.contains(m)) as i64)).collect()))
    })
}

/// # Format
/// `SCARD key`: the number of members, 0 for a missing key.
fn scard<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().get(&args[1], ctx.now, |e| Ok(Reply::Integer(set_of(e)?.map_or(0, |s| s.len() as i64))))
}

/// # Format
/// `SPOP key [count]`
///
/// Without count: remove and return one random member, or nil. With a
/// count (`ERR value is out of range, must be positive` if negative or not
/// a number): remove and return up to that many distinct members, as a
/// RESP3 set. The key goes with the last member.
fn spop<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let count = match args.len() {
        2 => None,
        3 => {
            let n = crate::resp::parse::parse_i64(&args[2]).filter(|n| *n >= 0);
            Some(n.ok_or(Reply::error("ERR value is out of range, must be positive"))? as u64)
        }
        _ => return Err(Reply::error(err::SYNTAX)),
    };
    ctx.db().update(&args[1], ctx.now, |slot| {
        let missing = || if count.is_some() { Reply::Set(Vec::new()) } else { Reply::Null };
        with_set(slot, false, missing, |s| {
            let mut rng = rand::rng();
            let Some(count) = count else {
                let i = rng.random_range(0..s.len());
                return Ok(reply_value(&s.members.swap_remove_index(i).0));
            };
            let take = count.min(s.len() as u64) as usize;
            let popped = (0..take).map(|_| {
                let i = rng.random_range(0..s.len());
                reply_value(&s.members.swap_remove_index(i).0)
            });
            Ok(Reply::Set(popped.collect()))
        })
    })
}

/// # Format
/// `SRANDMEMBER key [count]`
///
/// Without count: one random member, or nil. With a positive count: that
/// many distinct members (the whole set if it has no more); with a
/// negative count: that many picks, repeats allowed. An array in both
/// protocols.
fn srandmember<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let count = match args.len() {
        2 => None,
        3 => Some(parse_random_count(&args[2])?),
        _ => return Err(Reply::error(err::SYNTAX)),
    };
    ctx.db().get(&args[1], ctx.now, |e| {
        let set = set_of(e)?.filter(|s| !s.is_empty());
        let mut rng = rand::rng();
        let Some(count) = count else {
            let Some(s) = set else { return Ok(Reply::Null) };
            let i = rng.random_range(0..s.len());
            return Ok(s.members.get_index(i).map_or(Reply::Null, |(m, _)| reply_value(m)));
        };
        let Some(s) = set else { return Ok(Reply::Array(Vec::new())) };
        let pick = |i: usize| s.members.get_index(i).map_or(Reply::Null, |(m, _)| reply_value(m));
        Ok(Reply::Array(random_positions(s.len(), count)?.into_iter().map(pick).collect()))
    })
}

/// # Format
/// `SSCAN key cursor [MATCH pattern] [COUNT count]`: the next cursor and an
/// array of members. A set of integers small enough for Redis's intset
/// comes whole, with cursor 0, as from Redis. A missing key is an empty
/// scan, whatever the options.
fn sscan<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let cursor = parse_cursor(&args[2])?;
    ctx.db().get(&args[1], ctx.now, |e| {
        let Some(s) = set_of(e)? else { return Ok(scan_reply(0, Vec::new())) };
        let opts = ScanOptions::parse(&args[3..], false)?;
        let mut items = Vec::new();
        let next = scan_indexed(&s.members, cursor, &opts, s.is_intset(), |m, _| items.push(reply_value(m)));
        Ok(scan_reply(next, items))
    })
}

// ---------------------------------------------------------------------------
// Several sets
// ---------------------------------------------------------------------------

/// The intersection of the sets at `keys`, at most `limit` members
/// (0: no limit), as Redis's `sinterGenericCommand`: every key's type is
/// checked first (a missing key is an empty set, so the result is empty);
/// then the smallest set is copied and each other set, smallest first,
/// filters the candidates in one read.
fn intersect<K: Keyspace>(db: &Db<K>, keys: &[Bytes], now: UnixMillis, limit: usize) -> Result<Vec<Str>, Reply> {
    // Each key is counted as one keyspace hit or miss, here, as Redis
    // counts its one lookup per key; the second reads below are `peek`s.
    let mut sizes = Vec::with_capacity(keys.len());
    for key in keys {
        sizes.push(card_of(db, key, now)?);
    }
    if sizes.contains(&0) {
        return Ok(Vec::new());
    }
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| sizes[i]);
    let mut candidates = copy_members(db, &keys[order[0]], now)?;
    for &i in &order[1..] {
        db.peek(&keys[i], now, |e| {
            if let Ok(Some(s)) = set_of(e) {
                candidates.retain(|m| s.contains(m));
            } else {
                candidates.clear();
            }
        });
        if candidates.is_empty() {
            break;
        }
    }
    if limit > 0 {
        candidates.truncate(limit);
    }
    Ok(candidates)
}

/// The union of the sets at `keys` (`diff` false), or the members of the
/// first not in any other (`diff` true); every key's type is checked.
fn union_or_diff<K: Keyspace>(db: &Db<K>, keys: &[Bytes], now: UnixMillis, diff: bool) -> Result<Set, Reply> {
    let mut result = Set::new();
    for (n, key) in keys.iter().enumerate() {
        db.get(key, now, |e| {
            let Some(s) = set_of(e)? else { return Ok(()) };
            if !diff || n == 0 {
                s.members.keys().for_each(|m| {
                    result.insert(m);
                });
            } else if !result.is_empty() {
                s.members.keys().for_each(|m| {
                    result.remove(m);
                });
            }
            Ok::<(), Reply>(())
        })?;
    }
    Ok(result)
}

/// Replace `dest` with a set of `members` (deleting it if there are none);
/// the number stored.
fn store<K: Keyspace>(db: &Db<K>, dest: &[u8], now: UnixMillis, members: Set) -> Reply {
    let n = members.len();
    db.update(dest, now, |slot| {
        *slot = (n > 0).then(|| Entry { value: Value::Set(Box::new(members)), expires_at: None });
    });
    Reply::Integer(n as i64)
}

/// A set holding `members` (distinct already).
fn set_from(members: Vec<Str>) -> Set {
    let mut s = Set::new();
    members.iter().for_each(|m| {
        s.insert(m);
    });
    s
}

/// # Format
/// `SINTER key [key ...]`: the members in every set (a RESP3 set); empty
/// if any key is missing.
fn sinter<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let members = intersect(ctx.db(), &args[1..], ctx.now, 0)?;
    Ok(members_reply(members.iter()))
}

/// # Format
/// `SUNION key [key ...]`: the members in any set.
fn sunion<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let result = union_or_diff(ctx.db(), &args[1..], ctx.now, false)?;
    Ok(members_reply(result.members.keys()))
}

/// # Format
/// `SDIFF key [key ...]`: the members of the first set in none of the
/// others.
fn sdiff<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let result = union_or_diff(ctx.db(), &args[1..], ctx.now, true)?;
    Ok(members_reply(result.members.keys()))
}

/// # Format
/// `SINTERSTORE destination key [key ...]`: store SINTER's result in
/// `destination` (replacing any value; deleting it if the result is
/// empty); the result's size.
fn sinterstore<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let members = intersect(ctx.db(), &args[2..], ctx.now, 0)?;
    Ok(store(ctx.db(), &args[1], ctx.now, set_from(members)))
}

/// # Format
/// `SUNIONSTORE destination key [key ...]`: as SINTERSTORE, for SUNION.
fn sunionstore<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let result = union_or_diff(ctx.db(), &args[2..], ctx.now, false)?;
    Ok(store(ctx.db(), &args[1], ctx.now, result))
}

/// # Format
/// `SDIFFSTORE destination key [key ...]`: as SINTERSTORE, for SDIFF.
fn sdiffstore<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let result = union_or_diff(ctx.db(), &args[2..], ctx.now, true)?;
    Ok(store(ctx.db(), &args[1], ctx.now, result))
}

/// # Format
/// `SINTERCARD numkeys key [key ...] [LIMIT limit]`: the size of the
/// intersection, counting no further than `limit` (0: no limit).
fn sintercard<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let numkeys =
        parse_int(&args[1]).ok().filter(|n| *n > 0).ok_or(Reply::error("ERR numkeys should be greater than 0"))?;
    if numkeys as u64 > (args.len() - 2) as u64 {
        return Err(Reply::error("ERR Number of keys can't be greater than number of args"));
    }
    let keys_end = 2 + numkeys as usize;
    let mut limit = 0usize;
    let mut i = keys_end;
    while i < args.len() {
        if is(&args[i], "limit") && i + 1 < args.len() {
            let n = crate::resp::parse::parse_i64(&args[i + 1]).filter(|n| *n >= 0);
            limit = n.ok_or(Reply::error("ERR LIMIT can't be negative"))? as usize;
            i += 2;
        } else {
            return Err(Reply::error(err::SYNTAX));
        }
    }
    let members = intersect(ctx.db(), &args[2..keys_end], ctx.now, limit)?;
    Ok(Reply::Integer(members.len() as i64))
}

/// # Format
/// `SMOVE source destination member`: `:1` if moved, `:0` if `member` is
/// not in `source` (or `source` is missing). Atomic: no command sees the
/// member in both sets or in neither.
fn smove<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    let (src, dst, member) = (&args[1], &args[2], &args[3]);
    let Some(in_src) = db.peek(src, now, |e| Ok::<_, Reply>(set_of(e)?.map(|s| s.contains(member))))? else {
        return Ok(Reply::Integer(0));
    };
    db.peek(dst, now, |e| set_of(e).map(|_| ()))?;
    if src == dst || !in_src {
        return Ok(Reply::Integer(in_src as i64));
    }
    db.update(src, now, |slot| with_set(slot, false, || false, |s| Ok(s.remove(member))))?;
    db.update(dst, now, |slot| with_set(slot, true, || false, |s| Ok(s.insert(member))))?;
    Ok(Reply::Integer(1))
}
