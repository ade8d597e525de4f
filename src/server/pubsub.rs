//! Pub/Sub: who listens to which channel, and the delivery of messages.
//!
//! # Two halves of one fact
//!
//! Redis keeps each subscription twice, and so does convoy: the server-wide
//! [`PubSub`] registry maps a channel to its subscribers (what PUBLISH and
//! PUBSUB read), and each client's [`Subscriptions`], in its
//! [`ClientState`], lists the names that client listens to (what the
//! counts in SUBSCRIBE's confirmations and UNSUBSCRIBE without arguments
//! read). Only the client's own connection changes either half for that
//! client, in one command, so the two always agree; the client's half needs
//! no lock at all. When the connection ends, [`PubSub::disconnect`] walks
//! the client's half to clean the registry.
//!
//! There are three namespaces, as in Redis 7: channels (SUBSCRIBE), glob
//! patterns over channel names (PSUBSCRIBE) and shard channels (SSUBSCRIBE;
//! without a cluster they are simply a second, separate set of channels).
//!
//! # Locks
//!
//! Channels (and shard channels) are split into shards by a hash of the
//! name, each shard a `RwLock<HashMap>` on its own cache line. PUBLISH
//! takes the read side of one shard: publishers on different channels
//! rarely meet, and publishers on the same channel share the read side
//! without waiting for each other. SUBSCRIBE takes the write side of one
//! shard, briefly. The shard count is a power of two derived from the
//! number of cores, like the [gate](crate::keyspace::gate)'s.
//!
//! Patterns are one `RwLock`: PUBLISH must test the channel against every
//! pattern anyway, so splitting them would not save it any work. The number
//! of patterns is mirrored in an atomic that PUBLISH reads first, so when
//! nobody has a pattern subscription (the common case) PUBLISH does not
//! touch the pattern lock at all, and a global lock does not become a
//! convoy of publishers.
//!
//! Locking behaviour: every lock here is held only for a map lookup or
//! update, or, in PUBLISH, for the sends to one channel's subscribers
//! (which never wait, see below). No lock is held across an `.await`, and
//! no lock is taken while another is held.
//!
//! # Never waiting for a subscriber
//!
//! Delivering a message is a send on the subscriber's push channel
//! ([`PushSender`]): it never waits, whatever the subscriber does. A
//! subscriber that does not read lets its queue grow up to Redis's
//! `client-output-buffer-limit pubsub` (see [`super::limits`]); past it
//! the client is closed, as Redis closes it.
//!
//! # Order
//!
//! Messages from one publisher reach each subscriber in the order they were
//! published (one FIFO channel per subscriber). A SUBSCRIBE's confirmations
//! are its reply, and a connection writes the replies of a batch before it
//! takes anything from its push channel, so a message never arrives before
//! the confirmation of its channel. A message published to the publisher's
//! own connection (RESP3) is written after PUBLISH's reply: Redis 7.2 does
//! the same (7.0 wrote it before the reply).

use super::clients::{ClientState, PushSender};
use crate::keyspace::glob;
use crate::keyspace::Hasher;
use crate::resp::Reply;
use bytes::Bytes;
use crossbeam_utils::CachePadded;
use parking_lot::RwLock;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The three namespaces of subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE / UNSUBSCRIBE / PUBLISH.
    Channel,
    /// PSUBSCRIBE / PUNSUBSCRIBE: glob patterns over channel names.
    Pattern,
    /// SSUBSCRIBE / SUNSUBSCRIBE / SPUBLISH.
    Shard,
}

impl Kind {
    /// The first element of a subscribe confirmation.
    pub fn subscribe_word(self) -> &'static str {
        match self {
            Kind::Channel => "subscribe",
            Kind::Pattern => "psubscribe",
            Kind::Shard => "ssubscribe",
        }
    }

    /// The first element of an unsubscribe confirmation.
    pub fn unsubscribe_word(self) -> &'static str {
        match self {
            Kind::Channel => "unsubscribe",
            Kind::Pattern => "punsubscribe",
            Kind::Shard => "sunsubscribe",
        }
    }
}

/// One client's subscriptions: its half of the registry (see the module
/// doc). Names are shared (`Bytes`) with the registry's copy.
#[derive(Debug, Default)]
pub struct Subscriptions {
    channels: HashSet<Bytes>,
    patterns: HashSet<Bytes>,
    shard_channels: HashSet<Bytes>,
}

impl Subscriptions {
    /// Whether the client listens to nothing. A RESP2 client that listens
    /// to anything is in the "subscribed context" (see
    /// [`crate::cmd::pubsub::subscribed_context`]).
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.patterns.is_empty() && self.shard_channels.is_empty()
    }

    /// The count a confirmation of `kind` reports: channels and patterns
    /// together, shard channels apart (as Redis 7 counts them).
    pub fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Channel | Kind::Pattern => self.channels.len() + self.patterns.len(),
            Kind::Shard => self.shard_channels.len(),
        }
    }

    /// How many names of exactly `kind` the client listens to (CLIENT
    /// LIST's `sub`, `psub`, `ssub`).
    pub fn len(&self, kind: Kind) -> usize {
        self.set(kind).len()
    }

    /// The names of `kind` the client listens to, in no particular order.
    pub fn names(&self, kind: Kind) -> Vec<Bytes> {
        self.set(kind).iter().cloned().collect()
    }

    fn set(&self, kind: Kind) -> &HashSet<Bytes> {
        match kind {
            Kind::Channel => &self.channels,
            Kind::Pattern => &self.patterns,
            Kind::Shard => &self.shard_channels,
        }
    }

    fn set_mut(&mut self, kind: Kind) -> &mut HashSet<Bytes> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard_channels,
        }
    }
}

/// The subscribers of one channel or pattern, by client id.
type Subscribers = HashMap<u64, PushSender, Hasher>;

/// A name -> subscribers map.
type Table = HashMap<Bytes, Subscribers, Hasher>;

/// Channels by name, split into shards (see the module doc).
struct Channels {
    shards: Box<[CachePadded<RwLock<Table>>]>,
    /// Picks the shard; fixed for the server's life.
    hasher: Hasher,
}

impl Channels {
    fn new() -> Self {
        // Twice the cores, as a power of two: two threads publishing to
        // different channels rarely share a shard, at a fixed cost of a few
        // empty maps.
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let n = (cores * 2).next_power_of_two();
        assert!(n.is_power_of_two());
        Channels {
            shards: (0..n).map(|_| CachePadded::new(RwLock::new(Table::default()))).collect(),
            hasher: Hasher::new(),
        }
    }

    fn shard(&self, name: &[u8]) -> &RwLock<Table> {
        // The high bits: aHash mixes them as well as the low ones.
        let h = self.hasher.hash_one(name);
        &self.shards[(h >> 32) as usize & (self.shards.len() - 1)]
    }
}

/// The server's registry of subscriptions (see the module doc).
pub struct PubSub {
    channels: Channels,
    shard_channels: Channels,
    patterns: RwLock<Table>,
    /// The number of distinct patterns in `patterns`, readable without its
    /// lock (PUBSUB NUMPAT, and PUBLISH's shortcut).
    pattern_count: AtomicUsize,
}

impl Default for PubSub {
    fn default() -> Self {
        Self::new()
    }
}

impl PubSub {
    pub fn new() -> Self {
        PubSub {
            channels: Channels::new(),
            shard_channels: Channels::new(),
            patterns: RwLock::new(Table::default()),
            pattern_count: AtomicUsize::new(0),
        }
    }

    /// Subscribe `client` to `name` (a channel, pattern or shard channel);
    /// nothing changes if it already is. Returns the client's count for the
    /// confirmation.
    pub fn subscribe(&self, client: &mut ClientState, kind: Kind, name: &[u8]) -> usize {
        if !client.pubsub.set(kind).contains(name) {
            // One copy of the name (arguments are slices of the read
            // buffer), shared by both halves.
            let name = Bytes::copy_from_slice(name);
            self.with_table(kind, &name, |table| {
                table.entry(name.clone()).or_default().insert(client.id(), client.pushes.clone());
                table.len()
            });
            client.pubsub.set_mut(kind).insert(name);
        }
        client.pubsub.count(kind)
    }

    /// Unsubscribe `client` from `name`; nothing changes if it was not
    /// subscribed. Returns the client's count for the confirmation.
    pub fn unsubscribe(&self, client: &mut ClientState, kind: Kind, name: &[u8]) -> usize {
        if client.pubsub.set_mut(kind).remove(name) {
            let id = client.id();
            self.with_table(kind, name, |table| {
                if let Some(subscribers) = table.get_mut(name) {
                    subscribers.remove(&id);
                    // No empty entries: PUBSUB CHANNELS lists only channels
                    // with subscribers, and the map must not grow for ever.
                    if subscribers.is_empty() {
                        table.remove(name);
                    }
                }
                table.len()
            });
        }
        client.pubsub.count(kind)
    }

    /// Remove every subscription of a client that is going away.
    pub fn disconnect(&self, client: &mut ClientState) {
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for name in client.pubsub.names(kind) {
                self.unsubscribe(client, kind, &name);
            }
        }
    }

    /// Run `f` on the table holding `name` under its write lock; `f`
    /// returns the table's length, which keeps the pattern count current.
    fn with_table(&self, kind: Kind, name: &[u8], f: impl FnOnce(&mut Table) -> usize) {
        match kind {
            Kind::Channel => drop(f(&mut self.channels.shard(name).write())),
            Kind::Shard => drop(f(&mut self.shard_channels.shard(name).write())),
            Kind::Pattern => {
                let mut patterns = self.patterns.write();
                let len = f(&mut patterns);
                // Release, under the lock: pairs with the Acquire load in
                // `publish`, so a publisher that sees the count also sees
                // the pattern's entry when it takes the lock.
                self.pattern_count.store(len, Ordering::Release);
            }
        }
    }

    /// PUBLISH (`kind` Channel) or SPUBLISH (`kind` Shard): send `message`
    /// to every subscriber of `channel` and, for PUBLISH, of every matching
    /// pattern. Returns the number of deliveries (a client subscribed both
    /// to the channel and to a matching pattern counts twice, as in Redis).
    /// Never waits for a subscriber.
    pub fn publish(&self, kind: Kind, channel: &[u8], message: &[u8]) -> usize {
        // Copied once, on the first delivery, then shared by every message
        // (a message queued for a slow subscriber must not pin the
        // publisher's read buffer).
        let mut copies: Option<(Bytes, Bytes)> = None;
        let mut payload =
            || copies.get_or_insert_with(|| (Bytes::copy_from_slice(channel), Bytes::copy_from_slice(message))).clone();
        let mut receivers = 0;
        let (channels, word) = match kind {
            Kind::Shard => (&self.shard_channels, "smessage"),
            _ => (&self.channels, "message"),
        };
        {
            let table = channels.shard(channel).read();
            if let Some(subscribers) = table.get(channel) {
                let (channel, message) = payload();
                for tx in subscribers.values() {
                    let push =
                        Reply::Push(vec![word_reply(word), Reply::Bulk(channel.clone()), Reply::Bulk(message.clone())]);
                    // A subscriber whose connection has ended and not yet
                    // cleaned up is still counted, as Redis counts it.
                    tx.send(push, channel.len() + message.len() + 64);
                    receivers += 1;
                }
            }
        }
        // Acquire: pairs with the Release store in `with_table`.
        if kind == Kind::Channel && self.pattern_count.load(Ordering::Acquire) > 0 {
            let patterns = self.patterns.read();
            for (pattern, subscribers) in patterns.iter() {
                if !glob::matches(pattern, channel, false) {
                    continue;
                }
                let (channel, message) = payload();
                for tx in subscribers.values() {
                    let push = Reply::Push(vec![
                        word_reply("pmessage"),
                        Reply::Bulk(pattern.clone()),
                        Reply::Bulk(channel.clone()),
                        Reply::Bulk(message.clone()),
                    ]);
                    tx.send(push, pattern.len() + channel.len() + message.len() + 80);
                    receivers += 1;
                }
            }
        }
        receivers
    }

    /// PUBSUB CHANNELS / SHARDCHANNELS: the channels with at least one
    /// subscriber, those matching `pattern` if given, in no particular
    /// order. A weak snapshot: each shard is read at its own moment.
    pub fn channel_names(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let channels = if kind == Kind::Shard { &self.shard_channels } else { &self.channels };
        let mut out = Vec::new();
        for shard in channels.shards.iter() {
            let table = shard.read();
            out.extend(table.keys().filter(|name| pattern.is_none_or(|p| glob::matches(p, name, false))).cloned());
        }
        out
    }

    /// PUBSUB NUMSUB / SHARDNUMSUB: the number of subscribers of one
    /// channel (pattern subscriptions not included).
    pub fn subscriber_count(&self, kind: Kind, channel: &[u8]) -> usize {
        let channels = if kind == Kind::Shard { &self.shard_channels } else { &self.channels };
        channels.shard(channel).read().get(channel).map_or(0, |s| s.len())
    }

    /// PUBSUB NUMPAT: the number of distinct patterns subscribed to.
    pub fn pattern_count(&self) -> usize {
        self.pattern_count.load(Ordering::Acquire)
    }
}

/// `message`, `pmessage`, `smessage`: static bytes, no allocation.
fn word_reply(word: &'static str) -> Reply {
    Reply::Bulk(Bytes::from_static(word.as_bytes()))
}
