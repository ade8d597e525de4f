//! List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX
//! LSET LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH, and the blocking BLPOP
//! BRPOP BLMOVE BRPOPLPUSH.
//!
//! # Atomicity
//!
//! A single-key command is one [`Db::update`] (or [`Db::get`]): the list is
//! changed in place under the key's lock, never copied. A list emptied by
//! a pop, LREM or LTRIM deletes its key, as in Redis.
//!
//! LMOVE and RPOPLPUSH (and their blocking forms) touch two keys. They are
//! registered [`Access::Exclusive`], so no other command runs between
//! their steps: check the source, check that the destination is a list or
//! absent (WRONGTYPE before anything is popped, as Redis), pop, push. The
//! steps are separate updates because an update's closure may not touch a
//! second key (on the mutex backend that would deadlock); when source and
//! destination are the same key the pop and the push are one update, which
//! rotates the list.
//!
//! # Blocking
//!
//! BLPOP, BRPOP, BLMOVE and BRPOPLPUSH first try the non-blocking
//! operation; if every key is empty they return [`Ctx::block_on`], and the
//! connection waits and runs the same command again when a push signals
//! one of the keys (see [`crate::server::blocking`]). Every command that
//! adds elements (pushes, LINSERT, LMOVE's push) calls
//! [`Ctx::signal_ready`] after its update.
//!
//! # Replies
//!
//! Errors and their order follow Redis's `t_list.c`: arguments are parsed
//! before the key is read where Redis does so (LRANGE, LREM, LTRIM, LPOS),
//! after where Redis does (LINDEX, LSET). LPOS rejects `RANK
//! -9223372036854775808` as Redis 7.2 does (7.0 overflowed it).
//!
//! [`Db::update`]: crate::keyspace::Db::update
//! [`Db::get`]: crate::keyspace::Db::get

use super::{
    delete_if_empty, empty_entry, err, is, parse_int, parse_timeout, reply_value, wrong_arity, Access, CmdResult,
    CommandSpec, CommandTable, Ctx, Handler,
};
use crate::keyspace::types::list::{End, List};
use crate::keyspace::{Entry, Keyspace, Str};
use crate::resp::Reply;
use bytes::Bytes;

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    let list = |name, arity, flags, keys, summary, since, handler: Handler<K>| CommandSpec {
        name,
        arity,
        flags,
        keys,
        access: Access::Shared,
        group: "list",
        summary,
        since,
        subcommands: &[],
        handler,
    };
    const ONE: (i32, i32, i32) = (1, 1, 1);
    const TWO: (i32, i32, i32) = (1, 2, 1);
    const ALL_BUT_LAST: (i32, i32, i32) = (1, -2, 1);
    const RO: &[&str] = &["readonly"];
    const RO_FAST: &[&str] = &["readonly", "fast"];
    const W: &[&str] = &["write"];
    const W_FAST: &[&str] = &["write", "fast"];
    const W_DENYOOM: &[&str] = &["write", "denyoom"];
    const W_DENYOOM_FAST: &[&str] = &["write", "denyoom", "fast"];
    const W_BLOCKING: &[&str] = &["write", "noscript", "blocking"];
    const W_DENYOOM_BLOCKING: &[&str] = &["write", "denyoom", "noscript", "blocking"];
    let exclusive = |spec: CommandSpec<K>| CommandSpec { access: Access::Exclusive, ..spec };

    t.add(list(
        "lpush",
        -3,
        W_DENYOOM_FAST,
        ONE,
        "Prepends one or more elements to a list. Creates the key if it doesn't exist.",
        "1.0.0",
        lpush::<K>,
    ));
    t.add(list(
        "rpush",
        -3,
        W_DENYOOM_FAST,
        ONE,
        "Appends one or more elements to a list. Creates the key if it doesn't exist.",
        "1.0.0",
        rpush::<K>,
    ));
    t.add(list(
        "lpushx",
        -3,
        W_DENYOOM_FAST,
        ONE,
        "Prepends one or more elements to a list only when the list exists.",
        "2.2.0",
        lpushx::<K>,
    ));
    t.add(list(
        "rpushx",
        -3,
        W_DENYOOM_FAST,
        ONE,
        "Appends an element to a list only when the list exists.",
        "2.2.0",
        rpushx::<K>,
    ));
    t.add(list(
        "lpop",
        -2,
        W_FAST,
        ONE,
        "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.",
        "1.0.0",
        lpop::<K>,
    ));
    t.add(list(
        "rpop",
        -2,
        W_FAST,
        ONE,
        "Returns and removes the last elements of the list. Deletes the list if the last element was popped.",
        "1.0.0",
        rpop::<K>,
    ));
    t.add(list("llen", 2, RO_FAST, ONE, "Returns the length of a list.", "1.0.0", llen::<K>));
    t.add(list("lrange", 4, RO, ONE, "Returns a range of elements from a list.", "1.0.0", lrange::<K>));
    t.add(list("lindex", 3, RO, ONE, "Returns an element from a list by its index.", "1.0.0", lindex::<K>));
    t.add(list("lset", 4, W_DENYOOM, ONE, "Sets the value of an element in a list by its index.", "1.0.0", lset::<K>));
    t.add(list(
        "linsert",
        5,
        W_DENYOOM,
        ONE,
        "Inserts an element before or after another element in a list.",
        "2.2.0",
        linsert::<K>,
    ));
    t.add(list(
        "lrem",
        4,
        W,
        ONE,
        "Removes elements from a list. Deletes the list if the last element was removed.",
        "1.0.0",
        lrem::<K>,
    ));
    t.add(list(
        "ltrim",
        4,
        W,
        ONE,
        "Removes elements from both ends a list. Deletes the list if all elements were trimmed.",
        "1.0.0",
        ltrim::<K>,
    ));
    t.add(list("lpos", -3, RO, ONE, "Returns the index of matching elements in a list.", "6.0.6", lpos::<K>));
    t.add(exclusive(list("lmove", 5, W_DENYOOM, TWO, "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.", "6.2.0", lmove::<K>)));
    t.add(exclusive(list("rpoplpush", 3, W_DENYOOM, TWO, "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.", "1.2.0", rpoplpush::<K>)));
    t.add(list("blpop", -3, W_BLOCKING, ALL_BUT_LAST, "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", "2.0.0", blpop::<K>));
    t.add(list("brpop", -3, W_BLOCKING, ALL_BUT_LAST, "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", "2.0.0", brpop::<K>));
    t.add(exclusive(list("blmove", 6, W_DENYOOM_BLOCKING, TWO, "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.", "6.2.0", blmove::<K>)));
    t.add(exclusive(list("brpoplpush", 4, W_DENYOOM_BLOCKING, TWO, "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.", "2.2.0", brpoplpush::<K>)));
}

// ---------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------

/// The list an entry holds, or the WRONGTYPE error.
fn list_of(e: &Entry) -> Result<&List, Reply> {
    super::typed(e)
}

/// The list an entry holds, for changing it, or the WRONGTYPE error.
fn list_mut(e: &mut Entry) -> Result<&mut List, Reply> {
    super::typed_mut(e)
}

/// `LEFT` or `RIGHT` (any case), else `ERR syntax error`.
fn parse_end(arg: &[u8]) -> Result<End, Reply> {
    if is(arg, "left") {
        Ok(End::Left)
    } else if is(arg, "right") {
        Ok(End::Right)
    } else {
        Err(Reply::error(err::SYNTAX))
    }
}

/// Redis's `getPositiveLongFromObjectOrReply` with a message: a
/// non-negative integer, or `msg` for anything else (non-numbers too).
fn parse_non_negative(arg: &[u8], msg: &'static str) -> Result<usize, Reply> {
    parse_int(arg).ok().and_then(|n| usize::try_from(n).ok()).ok_or(Reply::error(msg))
}

/// Take one element from `end` of the list at `key`, deleting the key if
/// that emptied it. `None` when the key is absent.
fn pop_one<K: Keyspace>(ctx: &Ctx<'_, K>, key: &[u8], end: End) -> Result<Option<Str>, Reply> {
    ctx.db().update(key, ctx.now, |slot| {
        let Some(entry) = slot else { return Ok(None) };
        let popped = list_mut(entry)?.pop(end);
        delete_if_empty::<List>(slot);
        Ok(popped)
    })
}

// ---------------------------------------------------------------------------
// Pushes
// ---------------------------------------------------------------------------

/// # Format
/// `LPUSH key element [element ...]`: the list's length after the push.
fn lpush<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    push_generic(ctx, args, End::Left, false)
}

/// # Format
/// `RPUSH key element [element ...]`: the list's length after the push.
fn rpush<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    push_generic(ctx, args, End::Right, false)
}

/// # Format
/// `LPUSHX key element [element ...]`: `:0` (and no key created) when the
/// key does not exist.
fn lpushx<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    push_generic(ctx, args, End::Left, true)
}

/// # Format
/// `RPUSHX key element [element ...]`: as LPUSHX, at the tail.
fn rpushx<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    push_generic(ctx, args, End::Right, true)
}

/// The four pushes: each element in argument order, so `LPUSH k a b c`
/// leaves `c b a`. Elements are copied into the list ([`Str::from_slice`]:
/// short ones inline), never shared with the read buffer.
fn push_generic<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes], end: End, only_if_exists: bool) -> CmdResult {
    let (key, elements) = (&args[1], &args[2..]);
    let len = ctx.db().update(key, ctx.now, |slot| {
        if slot.is_none() && only_if_exists {
            return Ok(0);
        }
        let list = list_mut(slot.get_or_insert_with(empty_entry::<List>))?;
        for e in elements {
            list.push(end, Str::from_slice(e));
        }
        Ok(list.len())
    })?;
    if len > 0 {
        ctx.signal_ready(key, elements.len());
    }
    Ok(Reply::Integer(len as i64))
}

// ---------------------------------------------------------------------------
// Pops
// ---------------------------------------------------------------------------

/// # Format
/// `LPOP key [count]`: one element (nil when the key is absent), or with
/// `count` an array of up to `count` elements (null array when absent).
fn lpop<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    pop_generic(ctx, args, End::Left, "lpop")
}

/// # Format
/// `RPOP key [count]`: as LPOP, from the tail.
fn rpop<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    pop_generic(ctx, args, End::Right, "rpop")
}

fn pop_generic<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes], end: End, name: &str) -> CmdResult {
    if args.len() > 3 {
        return Err(wrong_arity(name));
    }
    let count = match args.get(2) {
        Some(arg) => Some(parse_non_negative(arg, "ERR value is out of range, must be positive")?),
        None => None,
    };
    let Some(count) = count else {
        return Ok(pop_one(ctx, &args[1], end)?.map_or(Reply::Null, |v| reply_value(&v)));
    };
    // The popped elements leave the list inside the update; their reply
    // bytes are made after it, outside the key's lock.
    let popped = ctx.db().update(&args[1], ctx.now, |slot| {
        let Some(entry) = slot else { return Ok(None) };
        let list = list_mut(entry)?;
        let n = count.min(list.len());
        let popped: Vec<Str> = (0..n).filter_map(|_| list.pop(end)).collect();
        delete_if_empty::<List>(slot);
        Ok(Some(popped))
    })?;
    Ok(match popped {
        None => Reply::NullArray,
        Some(v) => Reply::Array(v.iter().map(reply_value).collect()),
    })
}

// ---------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------

/// # Format
/// `LLEN key`: the length, `:0` when the key is absent.
fn llen<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().get(&args[1], ctx.now, |e| match e {
        None => Ok(Reply::Integer(0)),
        Some(e) => Ok(Reply::Integer(list_of(e)?.len() as i64)),
    })
}

/// # Format
/// `LRANGE key start stop`: the elements from `start` to `stop`, both
/// inclusive, negative counting from the tail; out-of-range indexes are
/// clamped. Only the slice returned is walked.
fn lrange<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let start = parse_int(&args[2])?;
    let stop = parse_int(&args[3])?;
    ctx.db().get(&args[1], ctx.now, |e| match e {
        None => Ok(Reply::Array(Vec::new())),
        Some(e) => Ok(Reply::bulk_strings(list_of(e)?.range(start, stop).map(|s| &s[..]))),
    })
}

/// # Format
/// `LINDEX key index`: the element, or nil when the index is out of range
/// or the key absent.
fn lindex<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().get(&args[1], ctx.now, |e| {
        let Some(e) = e else { return Ok(Reply::Null) };
        let list = list_of(e)?;
        let index = parse_int(&args[2])?;
        Ok(list.get(index).map_or(Reply::Null, reply_value))
    })
}

/// # Format
/// `LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]`: the
/// index of the first match (nil if none), or with COUNT an array of up to
/// `num-matches` indexes (0: all). RANK picks the n-th match (negative:
/// searching from the tail); MAXLEN bounds the elements compared.
fn lpos<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: Option<usize> = None;
    let mut maxlen: usize = 0;
    let mut i = 3;
    while i < args.len() {
        let value = args.get(i + 1);
        match value {
            Some(v) if is(&args[i], "rank") => {
                rank = parse_int(v)?;
                if rank == i64::MIN {
                    return Err(Reply::error(
                        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                    ));
                }
                if rank == 0 {
                    return Err(Reply::error(
                        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                    ));
                }
            }
            Some(v) if is(&args[i], "count") => count = Some(parse_non_negative(v, "ERR COUNT can't be negative")?),
            Some(v) if is(&args[i], "maxlen") => maxlen = parse_non_negative(v, "ERR MAXLEN can't be negative")?,
            _ => return Err(Reply::error(err::SYNTAX)),
        }
        i += 2;
    }
    let found = ctx.db().get(&args[1], ctx.now, |e| match e {
        None => Ok(Vec::new()),
        Some(e) => Ok(list_of(e)?.positions(&args[2], rank, count.unwrap_or(1), maxlen)),
    })?;
    Ok(match count {
        Some(_) => Reply::Array(found.into_iter().map(|i| Reply::Integer(i as i64)).collect()),
        None => found.first().map_or(Reply::Null, |&i| Reply::Integer(i as i64)),
    })
}

// ---------------------------------------------------------------------------
// Changes in place
// ---------------------------------------------------------------------------

/// # Format
/// `LSET key index element`: `+OK`; `ERR no such key` when the key is
/// absent, `ERR index out of range` when the index is.
fn lset<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().update(&args[1], ctx.now, |slot| {
        let Some(entry) = slot else { return Err(Reply::error(err::NO_SUCH_KEY)) };
        let list = list_mut(entry)?;
        let index = parse_int(&args[2])?;
        let target = list.get_mut(index).ok_or(Reply::error("ERR index out of range"))?;
        *target = Str::from_slice(&args[3]);
        Ok(Reply::OK)
    })
}

/// # Format
/// `LINSERT key BEFORE|AFTER pivot element`: the new length; `:-1` when
/// the pivot is not in the list, `:0` when the key is absent.
fn linsert<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let before = if is(&args[2], "before") {
        true
    } else if is(&args[2], "after") {
        false
    } else {
        return Err(Reply::error(err::SYNTAX));
    };
    let (key, pivot, element) = (&args[1], &args[3], &args[4]);
    let len = ctx.db().update(key, ctx.now, |slot| {
        let Some(entry) = slot else { return Ok(0) };
        let list = list_mut(entry)?;
        Ok(if list.insert(before, pivot, Str::from_slice(element)) { list.len() as i64 } else { -1 })
    })?;
    if len > 0 {
        ctx.signal_ready(key, 1);
    }
    Ok(Reply::Integer(len))
}

/// # Format
/// `LREM key count element`: removes the first `count` occurrences
/// (`count < 0`: the last `-count`; 0: all); replies how many went.
fn lrem<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let count = parse_int(&args[2])?;
    ctx.db().update(&args[1], ctx.now, |slot| {
        let Some(entry) = slot else { return Ok(Reply::Integer(0)) };
        let removed = list_mut(entry)?.remove(count, &args[3]);
        delete_if_empty::<List>(slot);
        Ok(Reply::Integer(removed as i64))
    })
}

/// # Format
/// `LTRIM key start stop`: keeps the elements from `start` to `stop`
/// (LRANGE's indexes); `+OK`, also when the key is absent.
fn ltrim<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let start = parse_int(&args[2])?;
    let stop = parse_int(&args[3])?;
    ctx.db().update(&args[1], ctx.now, |slot| {
        let Some(entry) = slot else { return Ok(Reply::OK) };
        list_mut(entry)?.trim(start, stop);
        delete_if_empty::<List>(slot);
        Ok(Reply::OK)
    })
}

// ---------------------------------------------------------------------------
// Moves between lists
// ---------------------------------------------------------------------------

/// # Format
/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`: the element moved, or
/// nil when `source` is absent.
fn lmove<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let from = parse_end(&args[3])?;
    let to = parse_end(&args[4])?;
    move_generic(ctx, &args[1], &args[2], from, to)
}

/// # Format
/// `RPOPLPUSH source destination`: `LMOVE source destination RIGHT LEFT`.
fn rpoplpush<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    move_generic(ctx, &args[1], &args[2], End::Right, End::Left)
}

/// LMOVE and friends. Runs under the exclusive gate (see the module doc),
/// so the checks still hold when the pop and the push happen.
fn move_generic<K: Keyspace>(ctx: &mut Ctx<'_, K>, source: &[u8], destination: &[u8], from: End, to: End) -> CmdResult {
    let (db, now) = (ctx.db(), ctx.now);
    // `peek`: a write's own checks are not keyspace hits or misses.
    let source_exists = db.peek(source, now, |e| e.map(list_of).transpose().map(|l| l.is_some()))?;
    if !source_exists {
        return Ok(Reply::Null);
    }
    let element = if source == destination {
        // One update: the pop and the push together rotate the list.
        db.update(source, now, |slot| {
            let Some(entry) = slot else { return Ok(None) };
            let list = list_mut(entry)?;
            let Some(e) = list.pop(from) else { return Ok(None) };
            let reply = reply_value(&e);
            list.push(to, e);
            Ok(Some(reply))
        })?
    } else {
        // WRONGTYPE for the destination before anything is popped.
        db.peek(destination, now, |e| e.map(list_of).transpose().map(|_| ()))?;
        match pop_one(ctx, source, from)? {
            None => None,
            Some(e) => {
                let reply = reply_value(&e);
                db.update(destination, now, |slot| {
                    list_mut(slot.get_or_insert_with(empty_entry::<List>)).map(|list| list.push(to, e))
                })?;
                Some(reply)
            }
        }
    };
    match element {
        Some(reply) => {
            ctx.signal_ready(destination, 1);
            Ok(reply)
        }
        None => Ok(Reply::Null),
    }
}

// ---------------------------------------------------------------------------
// Blocking commands
// ---------------------------------------------------------------------------

/// # Format
/// `BLPOP key [key ...] timeout`: `[key, element]` from the first
/// non-empty key in argument order; if all are empty, waits up to
/// `timeout` seconds (0: for ever) for a push, then replies a null array.
fn blpop<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    blocking_pop(ctx, args, End::Left)
}

/// # Format
/// `BRPOP key [key ...] timeout`: as BLPOP, from the tail.
fn brpop<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    blocking_pop(ctx, args, End::Right)
}

fn blocking_pop<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes], end: End) -> CmdResult {
    let (keys, timeout) = args[1..].split_at(args.len() - 2);
    let timeout = parse_timeout(&timeout[0])?;
    for key in keys {
        if let Some(e) = pop_one(ctx, key, end)? {
            return Ok(Reply::Array(vec![Reply::Bulk(key.clone()), reply_value(&e)]));
        }
    }
    ctx.block_on(keys, timeout, Reply::NullArray)
}

/// # Format
/// `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`: LMOVE, or if
/// `source` is empty, wait up to `timeout` seconds for a push, then a
/// null array (as Redis: not the null bulk LMOVE gives).
fn blmove<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let from = parse_end(&args[3])?;
    let to = parse_end(&args[4])?;
    let timeout = parse_timeout(&args[5])?;
    blocking_move(ctx, &args[1], &args[2], from, to, timeout)
}

/// # Format
/// `BRPOPLPUSH source destination timeout`: `BLMOVE source destination
/// RIGHT LEFT timeout`.
fn brpoplpush<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let timeout = parse_timeout(&args[3])?;
    blocking_move(ctx, &args[1], &args[2], End::Right, End::Left, timeout)
}

fn blocking_move<K: Keyspace>(
    ctx: &mut Ctx<'_, K>,
    source: &Bytes,
    destination: &[u8],
    from: End,
    to: End,
    timeout: Option<std::time::Duration>,
) -> CmdResult {
    let source_exists = ctx.db().peek(source, ctx.now, |e| e.map(list_of).transpose().map(|l| l.is_some()))?;
    if !source_exists {
        // Redis's historical quirk: a timed-out BLMOVE replies a null
        // *array*, but inside a transaction (no blocking) a null bulk.
        if ctx.in_exec {
            return Ok(Reply::Null);
        }
        return ctx.block_on(std::slice::from_ref(source), timeout, Reply::NullArray);
    }
    move_generic(ctx, source, destination, from, to)
}
