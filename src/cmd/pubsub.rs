//! Pub/Sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE
//! SSUBSCRIBE SUNSUBSCRIBE PUBLISH SPUBLISH PUBSUB.
//!
//! The registry and the delivery of messages live in
//! [`server::pubsub`](crate::server::pubsub); this file parses the
//! commands and builds Redis's replies. A (un)subscribe command answers
//! with one confirmation per name, `[kind, name, count]`, each its own
//! frame (a push frame in RESP3, an array in RESP2), sent together as a
//! [`Reply::Sequence`]. Messages reach subscribers on their push channels.
//!
//! In RESP2 a client with any subscription is in the "subscribed context"
//! and may run only the commands listed in [`subscribed_context`], which
//! [`execute`](super::execute) consults before running a command. In RESP3
//! every command stays available.

use super::server::{full_name, help, subcommand};
use super::{
    error_line, subcommand_syntax_error, wrong_arity, Access, CmdResult, CommandSpec, CommandTable, Ctx, Subcommand,
};
use crate::keyspace::Keyspace;
use crate::resp::{Protocol, Reply};
use crate::server::pubsub::Kind;
use crate::server::ClientState;
use bytes::Bytes;

const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        name: "pubsub|channels",
        arity: -2,
        flags: &["pubsub", "loading", "stale"],
        summary: "Returns the active channels.",
    },
    Subcommand {
        name: "pubsub|help",
        arity: 2,
        flags: &["loading", "stale"],
        summary: "Returns helpful text about the different subcommands.",
    },
    Subcommand {
        name: "pubsub|numpat",
        arity: 2,
        flags: &["pubsub", "loading", "stale"],
        summary: "Returns a count of unique pattern subscriptions.",
    },
    Subcommand {
        name: "pubsub|numsub",
        arity: -2,
        flags: &["pubsub", "loading", "stale"],
        summary: "Returns a count of subscribers to channels.",
    },
    Subcommand {
        name: "pubsub|shardchannels",
        arity: -2,
        flags: &["pubsub", "loading", "stale"],
        summary: "Returns the active shard channels.",
    },
    Subcommand {
        name: "pubsub|shardnumsub",
        arity: -2,
        flags: &["pubsub", "loading", "stale"],
        summary: "Returns the count of subscribers of shard channels.",
    },
];

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    let cmd = |name, arity, flags, summary, handler| CommandSpec {
        name,
        arity,
        flags,
        keys: (0, 0, 0),
        access: Access::None,
        group: "pubsub",
        summary,
        since: "2.0.0",
        subcommands: &[],
        handler,
    };
    const LISTEN: &[&str] = &["pubsub", "noscript", "loading", "stale"];
    const SEND: &[&str] = &["pubsub", "loading", "stale", "fast"];
    t.add(cmd("subscribe", -2, LISTEN, "Listens for messages published to channels.", subscribe::<K>));
    t.add(cmd("unsubscribe", -1, LISTEN, "Stops listening to messages posted to channels.", unsubscribe::<K>));
    t.add(cmd(
        "psubscribe",
        -2,
        LISTEN,
        "Listens for messages published to channels that match one or more patterns.",
        psubscribe::<K>,
    ));
    t.add(cmd(
        "punsubscribe",
        -1,
        LISTEN,
        "Stops listening to messages published to channels that match one or more patterns.",
        punsubscribe::<K>,
    ));
    t.add(cmd("publish", 3, SEND, "Posts a message to a channel.", publish::<K>));
    // Shard channels name their channels where keys would be (for cluster
    // routing), so COMMAND INFO shows key positions.
    t.add(CommandSpec {
        keys: (1, -1, 1),
        since: "7.0.0",
        ..cmd("ssubscribe", -2, LISTEN, "Listens for messages published to shard channels.", ssubscribe::<K>)
    });
    t.add(CommandSpec {
        keys: (1, -1, 1),
        since: "7.0.0",
        ..cmd("sunsubscribe", -1, LISTEN, "Stops listening to messages posted to shard channels.", sunsubscribe::<K>)
    });
    t.add(CommandSpec {
        keys: (1, 1, 1),
        since: "7.0.0",
        ..cmd("spublish", 3, SEND, "Post a message to a shard channel", spublish::<K>)
    });
    t.add(CommandSpec {
        since: "2.8.0",
        subcommands: SUBCOMMANDS,
        ..cmd("pubsub", -2, &[], "A container for Pub/Sub commands.", pubsub::<K>)
    });
}

/// Whether a RESP2 client in the subscribed context may run a command, as
/// Redis's `processCommand` decides it: `None` to run the command as
/// usual, or the reply to send instead. Called by
/// [`execute`](super::execute) after the command's lookup and arity check
/// (Redis reports unknown commands and wrong arity first).
///
/// Allowed: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, QUIT, RESET, and PING, which
/// then replies `["pong", message]` (`message` empty by default) instead
/// of `+PONG`. Anything else gets Redis's error.
pub fn subscribed_context<K>(client: &ClientState, spec: &CommandSpec<K>, args: &[Bytes]) -> Option<Reply> {
    if client.protocol == Protocol::Resp3 || client.pubsub.is_empty() {
        return None;
    }
    match spec.name {
        "subscribe" | "unsubscribe" | "psubscribe" | "punsubscribe" | "ssubscribe" | "sunsubscribe" | "quit" | "reset" => None,
        "ping" => Some(match args {
            [_] => Reply::Array(vec![Reply::bulk_str("pong"), Reply::bulk_str("")]),
            [_, message] => Reply::Array(vec![Reply::bulk_str("pong"), Reply::Bulk(message.clone())]),
            _ => wrong_arity("ping"),
        }),
        _ => Some(error_line(format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            full_name(spec, args)
        ))),
    }
}

/// One confirmation: `[word, name, count]`; `name` nil when an
/// unsubscribe-all found nothing to remove.
fn confirmation(word: &'static str, name: Option<Bytes>, count: usize) -> Reply {
    Reply::Push(vec![Reply::bulk_str(word), name.map_or(Reply::Null, Reply::Bulk), Reply::Integer(count as i64)])
}

/// Subscribe to every name in `names`, one confirmation each.
fn subscribe_all<K: Keyspace>(ctx: &mut Ctx<'_, K>, kind: Kind, names: &[Bytes]) -> CmdResult {
    let pubsub = &ctx.server.pubsub;
    let replies = names
        .iter()
        .map(|name| {
            let count = pubsub.subscribe(ctx.client, kind, name);
            confirmation(kind.subscribe_word(), Some(name.clone()), count)
        })
        .collect();
    Ok(Reply::Sequence(replies))
}

/// Unsubscribe from every name in `names` (all of the client's names of
/// this kind if none are given), one confirmation each; with nothing to
/// remove, a single confirmation with a nil name.
fn unsubscribe_all<K: Keyspace>(ctx: &mut Ctx<'_, K>, kind: Kind, names: &[Bytes]) -> CmdResult {
    let pubsub = &ctx.server.pubsub;
    let all;
    let names = if names.is_empty() {
        all = ctx.client.pubsub.names(kind);
        if all.is_empty() {
            return Ok(Reply::Sequence(vec![confirmation(
                kind.unsubscribe_word(),
                None,
                ctx.client.pubsub.count(kind),
            )]));
        }
        &all[..]
    } else {
        names
    };
    let replies = names
        .iter()
        .map(|name| {
            let count = pubsub.unsubscribe(ctx.client, kind, name);
            confirmation(kind.unsubscribe_word(), Some(name.clone()), count)
        })
        .collect();
    Ok(Reply::Sequence(replies))
}

/// # Format
/// `SUBSCRIBE channel [channel ...]`: `["subscribe", channel, count]` per
/// channel, `count` being the client's channels and patterns together.
/// Messages then arrive as `["message", channel, message]`.
fn subscribe<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    subscribe_all(ctx, Kind::Channel, &args[1..])
}

/// # Format
/// `UNSUBSCRIBE [channel [channel ...]]`: `["unsubscribe", channel, count]`
/// per channel; without arguments, from every channel (and
/// `["unsubscribe", nil, count]` if there were none).
fn unsubscribe<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    unsubscribe_all(ctx, Kind::Channel, &args[1..])
}

/// # Format
/// `PSUBSCRIBE pattern [pattern ...]`: `["psubscribe", pattern, count]`
/// per pattern. Messages on matching channels then arrive as
/// `["pmessage", pattern, channel, message]`.
fn psubscribe<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    subscribe_all(ctx, Kind::Pattern, &args[1..])
}

/// # Format
/// `PUNSUBSCRIBE [pattern [pattern ...]]`: as UNSUBSCRIBE, for patterns.
fn punsubscribe<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    unsubscribe_all(ctx, Kind::Pattern, &args[1..])
}

/// # Format
/// `SSUBSCRIBE shardchannel [shardchannel ...]`: `["ssubscribe",
/// shardchannel, count]` per channel, `count` counting shard channels only.
/// Messages then arrive as `["smessage", shardchannel, message]`.
fn ssubscribe<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    subscribe_all(ctx, Kind::Shard, &args[1..])
}

/// # Format
/// `SUNSUBSCRIBE [shardchannel [shardchannel ...]]`: as UNSUBSCRIBE, for
/// shard channels.
fn sunsubscribe<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    unsubscribe_all(ctx, Kind::Shard, &args[1..])
}

/// # Format
/// `PUBLISH channel message`: the number of deliveries, to the channel's
/// subscribers and to those of every matching pattern.
fn publish<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    Ok(Reply::Integer(ctx.server.pubsub.publish(Kind::Channel, &args[1], &args[2]) as i64))
}

/// # Format
/// `SPUBLISH shardchannel message`: the number of shard subscribers that
/// received it (patterns do not apply to shard channels).
fn spublish<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    Ok(Reply::Integer(ctx.server.pubsub.publish(Kind::Shard, &args[1], &args[2]) as i64))
}

/// # Format
/// ```text
/// PUBSUB CHANNELS [pattern]
/// PUBSUB NUMSUB [channel [channel ...]]
/// PUBSUB NUMPAT
/// PUBSUB SHARDCHANNELS [pattern]
/// PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]]
/// PUBSUB HELP
/// ```
fn pubsub<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let sub = subcommand("pubsub", SUBCOMMANDS, args)?;
    let registry = &ctx.server.pubsub;
    match sub.name {
        "pubsub|channels" | "pubsub|shardchannels" => {
            let kind = if sub.name == "pubsub|channels" { Kind::Channel } else { Kind::Shard };
            let pattern = match args {
                [_, _] => None,
                [_, _, pattern] => Some(&pattern[..]),
                _ => return Err(subcommand_syntax_error(args)),
            };
            Ok(Reply::Array(registry.channel_names(kind, pattern).into_iter().map(Reply::Bulk).collect()))
        }
        "pubsub|numsub" | "pubsub|shardnumsub" => {
            let kind = if sub.name == "pubsub|numsub" { Kind::Channel } else { Kind::Shard };
            let mut out = Vec::with_capacity(2 * (args.len() - 2));
            for channel in &args[2..] {
                out.push(Reply::Bulk(channel.clone()));
                out.push(Reply::Integer(registry.subscriber_count(kind, channel) as i64));
            }
            Ok(Reply::Array(out))
        }
        "pubsub|numpat" => Ok(Reply::Integer(registry.pattern_count() as i64)),
        "pubsub|help" => Ok(help(
            "pubsub",
            &[
                "CHANNELS [<pattern>]",
                "    Return the currently active channels matching a <pattern> (default: '*').",
                "NUMPAT",
                "    Return number of subscriptions to patterns.",
                "NUMSUB [<channel> ...]",
                "    Return the number of subscribers for the specified channels, excluding",
                "    pattern subscriptions(default: no channels).",
                "SHARDCHANNELS [<pattern>]",
                "    Return the currently active shard level channels matching a <pattern> (default: '*').",
                "SHARDNUMSUB [<shardchannel> ...]",
                "    Return the number of subscribers for the specified shard level channel(s)",
            ],
        )),
        _ => unreachable!("every PUBSUB subcommand is handled"),
    }
}
