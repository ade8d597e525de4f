//! Hash commands: HSET HSETNX HGET HMGET HMSET HGETALL HDEL HLEN HEXISTS
//! HKEYS HVALS HINCRBY HINCRBYFLOAT HSTRLEN HRANDFIELD HSCAN.
//!
//! # Atomicity
//!
//! Every hash command names one key and is one [`Db::update`] (writes) or
//! [`Db::get`] (reads): the hash is read and changed in place inside the
//! key's critical section, never copied. A hash left without fields is
//! deleted, key and all, as Redis does.
//!
//! # Storage
//!
//! A hash is an [`Indexed`] map: O(1)
//! field access, O(1) random field for HRANDFIELD, and an HSCAN cursor
//! that never misses a field present for the whole scan. Small hashes
//! (those Redis keeps as a listpack) are returned whole by one HSCAN call
//! with cursor 0, as Redis returns them.
//!
//! # Floats
//!
//! HINCRBYFLOAT adds in the x87 `long double` format Redis uses, through
//! the same emulation as INCRBYFLOAT ([`long_double`]), so its replies
//! match Redis's to the last digit.
//!
//! [`Db::update`]: crate::keyspace::Db::update
//! [`Db::get`]: crate::keyspace::Db::get

use super::keys::{parse_cursor, scan_reply, ScanOptions};
use super::strings::long_double::{self, LongDouble, Parsed};
use super::{err, is, parse_int, reply_value, wrong_arity, Access, CmdResult, CommandSpec, CommandTable, Ctx, Handler};
use crate::keyspace::types::{Hash, Indexed};
use crate::keyspace::{Entry, Keyspace, Str};
use crate::resp::parse::parse_i64;
use crate::resp::{Protocol, Reply};
use bytes::Bytes;
use rand::Rng;

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    let hash = |name, arity, flags, summary, since, handler: Handler<K>| CommandSpec {
        name,
        arity,
        flags,
        keys: (1, 1, 1),
        access: Access::Shared,
        group: "hash",
        summary,
        since,
        subcommands: &[],
        handler,
    };
    const RO: &[&str] = &["readonly"];
    const RO_FAST: &[&str] = &["readonly", "fast"];
    const W_FAST: &[&str] = &["write", "fast"];
    const W_DENYOOM_FAST: &[&str] = &["write", "denyoom", "fast"];

    t.add(hash("hset", -4, W_DENYOOM_FAST, "Creates or modifies the value of a field in a hash.", "2.0.0", hset::<K>));
    t.add(hash(
        "hsetnx",
        4,
        W_DENYOOM_FAST,
        "Sets the value of a field in a hash only when the field doesn't exist.",
        "2.0.0",
        hsetnx::<K>,
    ));
    t.add(hash("hget", 3, RO_FAST, "Returns the value of a field in a hash.", "2.0.0", hget::<K>));
    t.add(hash("hmget", -3, RO_FAST, "Returns the values of all fields in a hash.", "2.0.0", hmget::<K>));
    t.add(hash("hmset", -4, W_DENYOOM_FAST, "Sets the values of multiple fields.", "2.0.0", hmset::<K>));
    t.add(hash("hgetall", 2, RO, "Returns all fields and values in a hash.", "2.0.0", hgetall::<K>));
    t.add(hash(
        "hdel",
        -3,
        W_FAST,
        "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.",
        "2.0.0",
        hdel::<K>,
    ));
    t.add(hash("hlen", 2, RO_FAST, "Returns the number of fields in a hash.", "2.0.0", hlen::<K>));
    t.add(hash("hexists", 3, RO_FAST, "Determines whether a field exists in a hash.", "2.0.0", hexists::<K>));
    t.add(hash("hkeys", 2, RO, "Returns all fields in a hash.", "2.0.0", hkeys::<K>));
    t.add(hash("hvals", 2, RO, "Returns all values in a hash.", "2.0.0", hvals::<K>));
    t.add(hash("hincrby", 4, W_DENYOOM_FAST, "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", "2.0.0", hincrby::<K>));
    t.add(hash("hincrbyfloat", 4, W_DENYOOM_FAST, "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", "2.6.0", hincrbyfloat::<K>));
    t.add(hash("hstrlen", 3, RO_FAST, "Returns the length of the value of a field.", "3.2.0", hstrlen::<K>));
    t.add(hash("hrandfield", -2, RO, "Returns one or more random fields from a hash.", "6.2.0", hrandfield::<K>));
    t.add(hash("hscan", -3, RO, "Iterates over fields and values of a hash.", "2.8.0", hscan::<K>));
}

// ---------------------------------------------------------------------------
// Shared pieces (some also used by the set commands)
// ---------------------------------------------------------------------------

/// The hash an entry holds (`None` for a missing key), or WRONGTYPE.
fn hash_of(e: Option<&Entry>) -> Result<Option<&Hash>, Reply> {
    super::typed_opt(e)
}

/// Run `f` on the hash at `slot`, creating an empty one first if the key
/// is missing and `create` is set (`f` is not run for a missing key
/// otherwise: `missing` is the reply). A hash left empty is deleted.
fn with_hash<R>(
    slot: &mut Option<Entry>,
    create: bool,
    missing: impl FnOnce() -> R,
    f: impl FnOnce(&mut Hash) -> Result<R, Reply>,
) -> Result<R, Reply> {
    super::with_collection(slot, create, missing, f)
}

/// The longest run of repeated random picks HRANDFIELD and SRANDMEMBER
/// build for a negative count. Redis builds any number (its reply streams
/// out); convoy builds a reply whole, so it refuses more than this with
/// `ERR value is out of range` rather than allocate without bound.
pub(crate) const MAX_RANDOM_REPEATS: u64 = 1 << 22;

/// A random-count argument (HRANDFIELD, SRANDMEMBER): any i64 but
/// -2^63, as Redis's `getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)`.
pub(crate) fn parse_random_count(arg: &[u8]) -> Result<i64, Reply> {
    let n = parse_int(arg)?;
    if n == i64::MIN {
        return Err(Reply::error(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    Ok(n)
}

/// How a negative count must be served: `Some(n)` picks with repeats, or
/// the out-of-range error past [`MAX_RANDOM_REPEATS`].
pub(crate) fn repeats(count: i64) -> Result<usize, Reply> {
    let n = count.unsigned_abs();
    if n > MAX_RANDOM_REPEATS {
        return Err(Reply::error("ERR value is out of range"));
    }
    Ok(n as usize)
}

/// The positions HRANDFIELD and SRANDMEMBER pick among `len > 0`
/// elements for `count`: with repeats for a negative count, all of them in
/// order for a count of at least `len`, else `count` distinct ones.
pub(crate) fn random_positions(len: usize, count: i64) -> Result<Vec<usize>, Reply> {
    let mut rng = rand::rng();
    Ok(if count < 0 {
        (0..repeats(count)?).map(|_| rng.random_range(0..len)).collect()
    } else if count as u64 >= len as u64 {
        (0..len).collect()
    } else {
        rand::seq::index::sample(&mut rng, len, count as usize).into_vec()
    })
}

/// One step of a scan over an [`Indexed`] map: the next cursor and the
/// matching entries. `whole` returns everything at once with cursor 0,
/// as Redis does for its compact encodings.
pub(crate) fn scan_indexed<'m, V>(
    map: &'m Indexed<V>,
    cursor: u64,
    opts: &super::keys::ScanOptions<'_>,
    whole: bool,
    mut emit: impl FnMut(&'m Str, &'m V),
) -> u64 {
    let (next, items): (u64, Box<dyn Iterator<Item = (&'m Str, &'m V)>>) = if whole {
        (0, Box::new(map.iter()))
    } else {
        let (next, items) = map.scan(cursor, opts.count);
        (next, Box::new(items))
    };
    items.filter(|(k, _)| opts.matches(k)).for_each(|(k, v)| emit(k, v));
    next
}

// ---------------------------------------------------------------------------
// Setting and reading fields
// ---------------------------------------------------------------------------

/// Set every `field value` pair of `pairs` in the hash at `key`; the number
/// of fields that were new.
fn set_pairs<K: Keyspace>(ctx: &Ctx<'_, K>, key: &[u8], pairs: &[Bytes]) -> Result<i64, Reply> {
    ctx.db().update(key, ctx.now, |slot| {
        with_hash(
            slot,
            true,
            || 0,
            |h| {
                let mut added = 0;
                for pair in pairs.chunks_exact(2) {
                    let (value, inserted) = h.fields.get_or_insert_with(&pair[0], || Str::EMPTY);
                    *value = Str::from_slice(&pair[1]);
                    added += inserted as i64;
                }
                Ok(added)
            },
        )
    })
}

/// # Format
/// `HSET key field value [field value ...]`: the number of fields added
/// (not those whose value changed).
fn hset<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    if args.len() % 2 != 0 {
        return Err(wrong_arity("hset"));
    }
    Ok(Reply::Integer(set_pairs(ctx, &args[1], &args[2..])?))
}

/// # Format
/// `HMSET key field value [field value ...]`: `+OK` (HSET's old form).
fn hmset<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    if args.len() % 2 != 0 {
        return Err(wrong_arity("hmset"));
    }
    set_pairs(ctx, &args[1], &args[2..])?;
    Ok(Reply::OK)
}

/// # Format
/// `HSETNX key field value`: `:1` if the field was set, `:0` if it existed.
fn hsetnx<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let value = &args[3];
    ctx.db().update(&args[1], ctx.now, |slot| {
        with_hash(
            slot,
            true,
            || Reply::Integer(0),
            |h| {
                let (slot, inserted) = h.fields.get_or_insert_with(&args[2], || Str::EMPTY);
                if inserted {
                    *slot = Str::from_slice(value);
                }
                Ok(Reply::Integer(inserted as i64))
            },
        )
    })
}

/// # Format
/// `HGET key field`: the value, or nil.
fn hget<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().get(&args[1], ctx.now, |e| {
        Ok(hash_of(e)?.and_then(|h| h.fields.get(&args[2])).map_or(Reply::Null, reply_value))
    })
}

/// # Format
/// `HMGET key field [field ...]`: an array of values, nil for each missing
/// field (all nil for a missing key).
fn hmget<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().get(&args[1], ctx.now, |e| {
        let h = hash_of(e)?;
        let values =
            args[2..].iter().map(|f| h.and_then(|h| h.fields.get(f)).map_or(Reply::Null, reply_value)).collect();
        Ok(Reply::Array(values))
    })
}

/// # Format
/// `HGETALL key`: every field and value; a map in RESP3, a flat array of
/// field, value, field, value ... in RESP2. Empty for a missing key.
fn hgetall<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().get(&args[1], ctx.now, |e| {
        let pairs = hash_of(e)?
            .map_or_else(Vec::new, |h| h.fields.iter().map(|(k, v)| (reply_value(k), reply_value(v))).collect());
        Ok(Reply::Map(pairs))
    })
}

/// # Format
/// `HKEYS key`: every field.
fn hkeys<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().get(&args[1], ctx.now, |e| {
        let h = hash_of(e)?;
        Ok(Reply::Array(h.map_or_else(Vec::new, |h| h.fields.keys().map(reply_value).collect())))
    })
}

/// # Format
/// `HVALS key`: every value.
fn hvals<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().get(&args[1], ctx.now, |e| {
        let h = hash_of(e)?;
        Ok(Reply::Array(h.map_or_else(Vec::new, |h| h.fields.iter().map(|(_, v)| reply_value(v)).collect())))
    })
}

/// # Format
/// `HDEL key field [field ...]`: the number of fields removed. The key goes
/// with the last field.
fn hdel<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().update(&args[1], ctx.now, |slot| {
        with_hash(
            slot,
            false,
            || Reply::Integer(0),
            |h| {
                let removed = args[2..].iter().filter(|f| h.fields.remove(f).is_some()).count();
                Ok(Reply::Integer(removed as i64))
            },
        )
    })
}

/// # Format
/// `HLEN key`: the number of fields, 0 for a missing key.
fn hlen<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().get(&args[1], ctx.now, |e| Ok(Reply::Integer(hash_of(e)?.map_or(0, |h| h.len() as i64))))
}

/// # Format
/// `HEXISTS key field`: `:1` or `:0`.
fn hexists<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db()
        .get(&args[1], ctx.now, |e| Ok(Reply::Integer(hash_of(e)?.is_some_and(|h| h.fields.contains(&args[2])) as i64)))
}

/// # Format
/// `HSTRLEN key field`: the value's length, 0 for a missing field or key.
fn hstrlen<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    ctx.db().get(&args[1], ctx.now, |e| {
        Ok(Reply::Integer(hash_of(e)?.and_then(|h| h.fields.get(&args[2])).map_or(0, |v| v.len() as i64)))
    })
}

// ---------------------------------------------------------------------------
// Counters
// ---------------------------------------------------------------------------

/// # Format
/// `HINCRBY key field increment`: the new value. The field's value must be
/// an integer (`ERR hash value is not an integer`); a missing field counts
/// as 0.
fn hincrby<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let delta = parse_int(&args[3])?;
    ctx.db().update(&args[1], ctx.now, |slot| {
        with_hash(
            slot,
            true,
            || Reply::Null,
            |h| {
                let current = match h.fields.get(&args[2]) {
                    None => 0,
                    Some(v) => parse_i64(v).ok_or(Reply::error("ERR hash value is not an integer"))?,
                };
                let new = current.checked_add(delta).ok_or(Reply::error(err::OVERFLOW))?;
                h.fields.insert(&args[2], Str::from_slice(itoa::Buffer::new().format(new).as_bytes()));
                Ok(Reply::Integer(new))
            },
        )
    })
}

/// # Format
/// `HINCRBYFLOAT key field increment`: the new value as a bulk string,
/// written as INCRBYFLOAT writes it (`10.6`, `5200`).
fn hincrbyfloat<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let increment = match long_double::parse(&args[3]) {
        None => return Err(Reply::error(err::NOT_FLOAT)),
        Some(Parsed::Infinite) => return Err(Reply::error("ERR value is NaN or Infinity")),
        Some(Parsed::Finite(v)) => v,
    };
    ctx.db().update(&args[1], ctx.now, |slot| {
        with_hash(
            slot,
            true,
            || Reply::Null,
            |h| {
                let current = match h.fields.get(&args[2]) {
                    None => Parsed::Finite(LongDouble::ZERO),
                    Some(v) => long_double::parse(v).ok_or(Reply::error("ERR hash value is not a float"))?,
                };
                let sum = match current {
                    Parsed::Finite(a) => a.checked_add(increment),
                    Parsed::Infinite => None,
                };
                let sum = sum.ok_or(Reply::error("ERR increment would produce NaN or Infinity"))?;
                let text = Bytes::from(sum.to_human());
                h.fields.insert(&args[2], Str::from_slice(&text));
                Ok(Reply::Bulk(text))
            },
        )
    })
}

// ---------------------------------------------------------------------------
// Random fields and scanning
// ---------------------------------------------------------------------------

/// # Format
/// `HRANDFIELD key [count [WITHVALUES]]`
///
/// Without count: one random field, or nil. With a positive count: that
/// many distinct fields (the whole hash if it has no more); with a
/// negative count: that many picks, repeats allowed. WITHVALUES adds each
/// value after its field (RESP3: an array of `[field, value]` pairs).
fn hrandfield<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    if args.len() == 2 {
        return ctx.db().get(&args[1], ctx.now, |e| {
            let Some(h) = hash_of(e)?.filter(|h| !h.is_empty()) else { return Ok(Reply::Null) };
            let i = rand::rng().random_range(0..h.len());
            Ok(h.fields.get_index(i).map_or(Reply::Null, |(k, _)| reply_value(k)))
        });
    }
    let count = parse_random_count(&args[2])?;
    let with_values = match args.len() {
        3 => false,
        4 if is(&args[3], "withvalues") => {
            if !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
                return Err(Reply::error("ERR value is out of range"));
            }
            true
        }
        _ => return Err(Reply::error(err::SYNTAX)),
    };
    let resp3 = ctx.client.protocol == Protocol::Resp3;
    ctx.db().get(&args[1], ctx.now, |e| {
        let Some(h) = hash_of(e)?.filter(|h| !h.is_empty()) else { return Ok(Reply::Array(Vec::new())) };
        let mut out = Vec::new();
        let mut push = |k: &Str, v: &Str| match (with_values, resp3) {
            (false, _) => out.push(reply_value(k)),
            (true, true) => out.push(Reply::Array(vec![reply_value(k), reply_value(v)])),
            (true, false) => {
                out.push(reply_value(k));
                out.push(reply_value(v));
            }
        };
        for i in random_positions(h.len(), count)? {
            if let Some((k, v)) = h.fields.get_index(i) {
                push(k, v);
            }
        }
        Ok(Reply::Array(out))
    })
}

/// # Format
/// `HSCAN key cursor [MATCH pattern] [COUNT count]`: the next cursor and a
/// flat array of field, value, ... (see
/// [`Indexed`](crate::keyspace::types::Indexed) for the cursor's promise).
/// A small hash comes whole, with cursor 0, as from Redis. A missing key
/// is an empty scan, whatever the options.
fn hscan<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let cursor = parse_cursor(&args[2])?;
    ctx.db().get(&args[1], ctx.now, |e| {
        let Some(h) = hash_of(e)? else { return Ok(scan_reply(0, Vec::new())) };
        let opts = ScanOptions::parse(&args[3..], false)?;
        let mut items = Vec::new();
        let next = scan_indexed(&h.fields, cursor, &opts, h.is_small(), |k, v| {
            items.push(reply_value(k));
            items.push(reply_value(v));
        });
        Ok(scan_reply(next, items))
    })
}
