//! Pub/Sub tests: subscriptions, delivery, patterns, counts, PUBSUB
//! introspection, RESP2's subscribed context, RESP3 push frames, cleanup on
//! disconnect, and a subscriber that never reads. Every test runs against
//! every backend.

mod common;
use common::*;
use std::time::{Duration, Instant};

/// A confirmation or message frame as RESP2 sends it (`*n` array of bulks,
/// with the integer last for confirmations).
fn confirm(word: &str, name: &str, count: i64) -> String {
    format!("*3\r\n${}\r\n{word}\r\n${}\r\n{name}\r\n:{count}\r\n", word.len(), name.len())
}

fn message(channel: &str, payload: &str) -> String {
    format!("*3\r\n$7\r\nmessage\r\n${}\r\n{channel}\r\n${}\r\n{payload}\r\n", channel.len(), payload.len())
}

fn pmessage(pattern: &str, channel: &str, payload: &str) -> String {
    format!(
        "*4\r\n$8\r\npmessage\r\n${}\r\n{pattern}\r\n${}\r\n{channel}\r\n${}\r\n{payload}\r\n",
        pattern.len(),
        channel.len(),
        payload.len()
    )
}

/// The same frame as a RESP3 push.
fn push(frame: String) -> String {
    format!(">{}", &frame[1..])
}

/// One message reaches every subscriber of the channel, and PUBLISH counts
/// them; a channel nobody listens to counts 0.
#[test]
fn delivery_to_several_subscribers() {
    with_each_backend(|s, b| {
        let mut subs: Vec<Raw> = (0..3).map(|_| s.raw()).collect();
        for sub in &mut subs {
            assert_eq!(sub.cmd(&["SUBSCRIBE", "news"]), confirm("subscribe", "news", 1), "{b}");
        }
        let mut publisher = s.raw();
        assert_eq!(publisher.cmd(&["PUBLISH", "news", "hello"]), ":3\r\n", "{b}");
        assert_eq!(publisher.cmd(&["PUBLISH", "news", ""]), ":3\r\n", "{b}");
        assert_eq!(publisher.cmd(&["PUBLISH", "other", "x"]), ":0\r\n", "{b}");
        for sub in &mut subs {
            assert_eq!(sub.reply(), message("news", "hello"), "{b}");
            assert_eq!(sub.reply(), message("news", ""), "{b}");
        }
        // Binary-safe channel and payload.
        let mut bin = s.raw();
        bin.send_cmd(&[b"SUBSCRIBE", b"c\r\n\x00"]);
        assert_eq!(bin.reply(), "*3\r\n$9\r\nsubscribe\r\n$4\r\nc\r\n\x00\r\n:1\r\n", "{b}");
        publisher.send_cmd(&[b"PUBLISH", b"c\r\n\x00", b"\xff\r\n"]);
        assert_eq!(publisher.reply(), ":1\r\n", "{b}");
        assert_eq!(bin.reply(), "*3\r\n$7\r\nmessage\r\n$4\r\nc\r\n\x00\r\n$3\r\n\u{fffd}\r\n\r\n", "{b}");
    });
}

/// SUBSCRIBE confirms each channel with its own frame and a running count;
/// subscribing twice to one channel changes nothing.
#[test]
fn subscribe_confirmations() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.send_cmd(&[b"SUBSCRIBE", b"a", b"b", b"a"]);
        assert_eq!(c.reply(), confirm("subscribe", "a", 1), "{b}");
        assert_eq!(c.reply(), confirm("subscribe", "b", 2), "{b}");
        assert_eq!(c.reply(), confirm("subscribe", "a", 2), "{b}");
        // Patterns share the count with channels.
        assert_eq!(c.cmd(&["PSUBSCRIBE", "p*"]), confirm("psubscribe", "p*", 3), "{b}");
        assert_eq!(c.cmd(&["SUBSCRIBE"]), "-ERR wrong number of arguments for 'subscribe' command\r\n", "{b}");
        assert_eq!(c.cmd(&["PSUBSCRIBE"]), "-ERR wrong number of arguments for 'psubscribe' command\r\n", "{b}");
    });
}

/// Patterns follow Redis's glob (`news.*`, `h?llo`, `h[ae]llo`); a client
/// subscribed to a channel and to a pattern matching it gets both
/// messages, and PUBLISH counts both.
#[test]
fn pattern_matching() {
    with_each_backend(|s, b| {
        let mut sub = s.raw();
        assert_eq!(sub.cmd(&["PSUBSCRIBE", "news.*"]), confirm("psubscribe", "news.*", 1), "{b}");
        assert_eq!(sub.cmd(&["PSUBSCRIBE", "h?llo"]), confirm("psubscribe", "h?llo", 2), "{b}");
        let mut other = s.raw();
        assert_eq!(other.cmd(&["PSUBSCRIBE", "h[ae]llo"]), confirm("psubscribe", "h[ae]llo", 1), "{b}");
        assert_eq!(other.cmd(&["SUBSCRIBE", "hello"]), confirm("subscribe", "hello", 2), "{b}");

        let mut p = s.raw();
        assert_eq!(p.cmd(&["PUBLISH", "news.sport", "goal"]), ":1\r\n", "{b}");
        assert_eq!(p.cmd(&["PUBLISH", "news", "no dot"]), ":0\r\n", "{b}");
        assert_eq!(p.cmd(&["PUBLISH", "hxllo", "1"]), ":1\r\n", "{b}");
        assert_eq!(p.cmd(&["PUBLISH", "hllo", "none"]), ":0\r\n", "{b}");
        // h?llo (sub), h[ae]llo and the channel itself (other).
        assert_eq!(p.cmd(&["PUBLISH", "hello", "2"]), ":3\r\n", "{b}");

        assert_eq!(sub.reply(), pmessage("news.*", "news.sport", "goal"), "{b}");
        assert_eq!(sub.reply(), pmessage("h?llo", "hxllo", "1"), "{b}");
        assert_eq!(sub.reply(), pmessage("h?llo", "hello", "2"), "{b}");
        // Channel subscribers first, then patterns, as Redis delivers.
        assert_eq!(other.reply(), message("hello", "2"), "{b}");
        assert_eq!(other.reply(), pmessage("h[ae]llo", "hello", "2"), "{b}");
    });
}

/// UNSUBSCRIBE and PUNSUBSCRIBE confirm each name with the count left;
/// without arguments they drop every name of their kind, and with nothing
/// to drop reply with a nil name.
#[test]
fn unsubscribe_replies() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["UNSUBSCRIBE"]), "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n", "{b}");
        assert_eq!(c.cmd(&["PUNSUBSCRIBE"]), "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n", "{b}");
        // Not subscribed to it: confirmed anyway, count unchanged.
        assert_eq!(c.cmd(&["UNSUBSCRIBE", "nope"]), confirm("unsubscribe", "nope", 0), "{b}");

        c.send_cmd(&[b"SUBSCRIBE", b"a", b"b", b"c"]);
        for _ in 0..3 {
            c.reply();
        }
        assert_eq!(c.cmd(&["PSUBSCRIBE", "x*"]), confirm("psubscribe", "x*", 4), "{b}");
        assert_eq!(c.cmd(&["UNSUBSCRIBE", "b"]), confirm("unsubscribe", "b", 3), "{b}");
        // All remaining channels, in no particular order, counting down.
        c.send_cmd(&[b"UNSUBSCRIBE"]);
        let mut names: Vec<String> = Vec::new();
        for left in [2, 1] {
            let reply = c.reply();
            assert!(reply.starts_with("*3\r\n$11\r\nunsubscribe\r\n$1\r\n"), "{b}: {reply}");
            assert!(reply.ends_with(&format!(":{left}\r\n")), "{b}: {reply}");
            names.push(reply[26..27].to_string());
        }
        names.sort();
        assert_eq!(names, ["a", "c"], "{b}");
        // Only the pattern is left: no channel to drop, the count says 1.
        assert_eq!(c.cmd(&["UNSUBSCRIBE"]), "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:1\r\n", "{b}");
        assert_eq!(c.cmd(&["PUNSUBSCRIBE", "y*"]), confirm("punsubscribe", "y*", 1), "{b}");
        assert_eq!(c.cmd(&["PUNSUBSCRIBE"]), confirm("punsubscribe", "x*", 0), "{b}");
        // Out of the subscribed context again.
        assert_eq!(c.cmd(&["GET", "k"]), "$-1\r\n", "{b}");
    });
}

/// PUBSUB CHANNELS lists channels with subscribers (optionally matching a
/// pattern), NUMSUB counts each channel's subscribers, NUMPAT counts
/// distinct patterns; and their argument errors are Redis's.
#[test]
fn pubsub_introspection() {
    with_each_backend(|s, b| {
        let mut c = s.client();
        let mut q = s.raw();
        assert_eq!(q.cmd(&["PUBSUB", "CHANNELS"]), "*0\r\n", "{b}");
        assert_eq!(q.cmd(&["PUBSUB", "NUMPAT"]), ":0\r\n", "{b}");
        assert_eq!(q.cmd(&["PUBSUB", "NUMSUB"]), "*0\r\n", "{b}");

        let mut s1 = s.raw();
        let mut s2 = s.raw();
        s1.send_cmd(&[b"SUBSCRIBE", b"news.a", b"news.b", b"chat"]);
        for _ in 0..3 {
            s1.reply();
        }
        assert_eq!(s2.cmd(&["SUBSCRIBE", "chat"]), confirm("subscribe", "chat", 1), "{b}");
        assert_eq!(s1.cmd(&["PSUBSCRIBE", "p*"]), confirm("psubscribe", "p*", 4), "{b}");
        assert_eq!(s2.cmd(&["PSUBSCRIBE", "p*"]), confirm("psubscribe", "p*", 2), "{b}");
        assert_eq!(s2.cmd(&["PSUBSCRIBE", "q*"]), confirm("psubscribe", "q*", 3), "{b}");

        let mut all: Vec<String> = redis::cmd("PUBSUB").arg("CHANNELS").query(&mut c).unwrap();
        all.sort();
        assert_eq!(all, ["chat", "news.a", "news.b"], "{b}");
        let mut news: Vec<String> = redis::cmd("PUBSUB").arg("channels").arg("news.*").query(&mut c).unwrap();
        news.sort();
        assert_eq!(news, ["news.a", "news.b"], "{b}");
        assert_eq!(q.cmd(&["PUBSUB", "CHANNELS", "x*"]), "*0\r\n", "{b}");
        assert_eq!(
            q.cmd(&["PUBSUB", "NUMSUB", "chat", "news.a", "missing"]),
            "*6\r\n$4\r\nchat\r\n:2\r\n$6\r\nnews.a\r\n:1\r\n$7\r\nmissing\r\n:0\r\n",
            "{b}"
        );
        // Patterns are not channels: NUMSUB ignores them, NUMPAT counts
        // distinct ones.
        assert_eq!(q.cmd(&["PUBSUB", "NUMSUB", "p*"]), "*2\r\n$2\r\np*\r\n:0\r\n", "{b}");
        assert_eq!(q.cmd(&["PUBSUB", "NUMPAT"]), ":2\r\n", "{b}");

        assert_eq!(q.cmd(&["PUBSUB"]), "-ERR wrong number of arguments for 'pubsub' command\r\n", "{b}");
        assert_eq!(
            q.cmd(&["PUBSUB", "NUMPAT", "x"]),
            "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n",
            "{b}"
        );
        assert_eq!(
            q.cmd(&["PUBSUB", "channels", "a", "b"]),
            "-ERR unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB HELP.\r\n",
            "{b}"
        );
        assert_eq!(q.cmd(&["PUBSUB", "FOO"]), "-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n", "{b}");
        let help = q.cmd(&["PUBSUB", "HELP"]);
        assert!(
            help.starts_with("*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"),
            "{b}: {help}"
        );
        assert!(help.ends_with("+HELP\r\n+    Prints this help.\r\n"), "{b}: {help}");
    });
}

/// In RESP2 a subscribed client may only (un)subscribe, PING (answered as
/// an array), and QUIT; other commands get Redis's error, after the usual
/// unknown-command and arity checks.
#[test]
fn resp2_subscribed_context() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["SUBSCRIBE", "ch"]), confirm("subscribe", "ch", 1), "{b}");
        let refused = |cmd: &str| {
            format!("-ERR Can't execute '{cmd}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n")
        };
        assert_eq!(c.cmd(&["GET", "k"]), refused("get"), "{b}");
        assert_eq!(c.cmd(&["set", "k", "v"]), refused("set"), "{b}");
        assert_eq!(c.cmd(&["PUBLISH", "ch", "x"]), refused("publish"), "{b}");
        assert_eq!(c.cmd(&["PUBSUB", "NUMSUB", "ch"]), refused("pubsub|numsub"), "{b}");
        assert_eq!(c.cmd(&["HELLO", "2"]), refused("hello"), "{b}");
        assert_eq!(c.cmd(&["NOSUCH"]), "-ERR unknown command 'NOSUCH', with args beginning with: \r\n", "{b}");
        assert_eq!(c.cmd(&["GET"]), "-ERR wrong number of arguments for 'get' command\r\n", "{b}");
        assert_eq!(c.cmd(&["PING"]), "*2\r\n$4\r\npong\r\n$0\r\n\r\n", "{b}");
        assert_eq!(c.cmd(&["ping", "hi"]), "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n", "{b}");
        assert_eq!(c.cmd(&["PING", "a", "b"]), "-ERR wrong number of arguments for 'ping' command\r\n", "{b}");
        assert_eq!(c.cmd(&["PSUBSCRIBE", "x*"]), confirm("psubscribe", "x*", 2), "{b}");
        assert_eq!(c.cmd(&["UNSUBSCRIBE", "ch"]), confirm("unsubscribe", "ch", 1), "{b}");
        // Still subscribed to a pattern: still restricted.
        assert_eq!(c.cmd(&["DBSIZE"]), refused("dbsize"), "{b}");
        assert_eq!(c.cmd(&["PUNSUBSCRIBE"]), confirm("punsubscribe", "x*", 0), "{b}");
        assert_eq!(c.cmd(&["PING"]), "+PONG\r\n", "{b}");
        assert_eq!(c.cmd(&["SSUBSCRIBE", "s"]), confirm("ssubscribe", "s", 1), "{b}");
        assert_eq!(c.cmd(&["SPUBLISH", "s", "x"]), refused("spublish"), "{b}");
        assert_eq!(c.cmd(&["QUIT"]), "+OK\r\n", "{b}");
        assert!(c.is_closed(), "{b}");
    });
}

/// In RESP3 confirmations and messages are push frames (`>`), and a
/// subscribed client can still run any command; a message the client
/// publishes to itself follows PUBLISH's reply (as Redis 7.2 sends it).
#[test]
fn resp3_push_frames() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let hello = c.cmd(&["HELLO", "3"]);
        assert!(hello.starts_with('%'), "{b}: {hello}");
        assert_eq!(c.cmd(&["SUBSCRIBE", "ch"]), push(confirm("subscribe", "ch", 1)), "{b}");
        assert_eq!(c.cmd(&["PSUBSCRIBE", "c*"]), push(confirm("psubscribe", "c*", 2)), "{b}");
        assert_eq!(c.cmd(&["SET", "k", "v"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["GET", "k"]), "$1\r\nv\r\n", "{b}");
        assert_eq!(c.cmd(&["PING"]), "+PONG\r\n", "{b}");
        assert_eq!(c.cmd(&["PUBSUB", "NUMSUB", "ch"]), "*2\r\n$2\r\nch\r\n:1\r\n", "{b}");

        let mut p = s.raw();
        assert_eq!(p.cmd(&["PUBLISH", "ch", "hi"]), ":2\r\n", "{b}");
        let raw = c.reply();
        assert!(raw.starts_with('>'), "{b}: {raw}");
        assert_eq!(raw, push(message("ch", "hi")), "{b}");
        assert_eq!(c.reply(), push(pmessage("c*", "ch", "hi")), "{b}");
        // Still a normal client after the messages.
        assert_eq!(c.cmd(&["GET", "k"]), "$1\r\nv\r\n", "{b}");

        // To itself: the reply, then the messages.
        assert_eq!(c.cmd(&["PUBLISH", "ch", "me"]), ":2\r\n", "{b}");
        assert_eq!(c.reply(), push(message("ch", "me")), "{b}");
        assert_eq!(c.reply(), push(pmessage("c*", "ch", "me")), "{b}");

        assert_eq!(c.cmd(&["UNSUBSCRIBE"]), push(confirm("unsubscribe", "ch", 1)), "{b}");
        assert_eq!(c.cmd(&["PUNSUBSCRIBE"]), push(confirm("punsubscribe", "c*", 0)), "{b}");
        assert_eq!(c.cmd(&["UNSUBSCRIBE"]), ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n", "{b}");
    });
}

/// Shard channels (SSUBSCRIBE, SPUBLISH) are a namespace of their own:
/// their own count, `smessage` frames, no pattern matching.
#[test]
fn shard_channels() {
    with_each_backend(|s, b| {
        let mut sub = s.raw();
        assert_eq!(sub.cmd(&["SSUBSCRIBE", "s"]), confirm("ssubscribe", "s", 1), "{b}");
        assert_eq!(sub.cmd(&["SUBSCRIBE", "s"]), confirm("subscribe", "s", 1), "{b}");
        assert_eq!(sub.cmd(&["PSUBSCRIBE", "*"]), confirm("psubscribe", "*", 2), "{b}");
        let mut p = s.raw();
        assert_eq!(p.cmd(&["SPUBLISH", "s", "x"]), ":1\r\n", "{b}");
        assert_eq!(sub.reply(), "*3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nx\r\n", "{b}");
        assert_eq!(p.cmd(&["PUBSUB", "SHARDCHANNELS"]), "*1\r\n$1\r\ns\r\n", "{b}");
        assert_eq!(p.cmd(&["PUBSUB", "SHARDNUMSUB", "s", "t"]), "*4\r\n$1\r\ns\r\n:1\r\n$1\r\nt\r\n:0\r\n", "{b}");
        assert_eq!(sub.cmd(&["SUNSUBSCRIBE"]), confirm("sunsubscribe", "s", 0), "{b}");
        assert_eq!(sub.cmd(&["SUNSUBSCRIBE"]), "*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n", "{b}");
        assert_eq!(p.cmd(&["SPUBLISH", "s", "y"]), ":0\r\n", "{b}");
    });
}

/// A subscriber that disconnects leaves nothing behind: NUMSUB, NUMPAT and
/// CHANNELS drop to zero, and PUBLISH counts nobody.
#[test]
fn disconnect_cleans_up() {
    with_each_backend(|s, b| {
        let mut q = s.raw();
        {
            let mut sub = s.raw();
            sub.send_cmd(&[b"SUBSCRIBE", b"a", b"b"]);
            sub.reply();
            sub.reply();
            assert_eq!(sub.cmd(&["PSUBSCRIBE", "a*"]), confirm("psubscribe", "a*", 3), "{b}");
            assert_eq!(q.cmd(&["PUBSUB", "NUMSUB", "a"]), "*2\r\n$1\r\na\r\n:1\r\n", "{b}");
            assert_eq!(q.cmd(&["PUBSUB", "NUMPAT"]), ":1\r\n", "{b}");
        }
        let gone = eventually(Duration::from_secs(5), || {
            q.cmd(&["PUBSUB", "NUMSUB", "a", "b"]) == "*4\r\n$1\r\na\r\n:0\r\n$1\r\nb\r\n:0\r\n"
        });
        assert!(gone, "{b}: subscriptions left after disconnect");
        assert_eq!(q.cmd(&["PUBSUB", "NUMPAT"]), ":0\r\n", "{b}");
        assert_eq!(q.cmd(&["PUBSUB", "CHANNELS"]), "*0\r\n", "{b}");
        assert_eq!(q.cmd(&["PUBLISH", "a", "x"]), ":0\r\n", "{b}");
    });
}

/// A subscriber that never reads does not slow its publisher down: 20,000
/// messages of 1 KB are all accepted, every reply arrives, within a bounded
/// time; the messages wait in the subscriber's queue, in order.
#[test]
fn slow_subscriber_never_blocks_publisher() {
    const MESSAGES: usize = 20_000;
    const BATCH: usize = 500;
    with_each_backend(|s, b| {
        let mut sub = s.raw();
        assert_eq!(sub.cmd(&["SUBSCRIBE", "firehose"]), confirm("subscribe", "firehose", 1), "{b}");
        // From here on `sub` reads nothing until the publisher is done.
        let mut publisher = s.raw();
        let payload = vec![b'x'; 1024];
        let started = Instant::now();
        for _ in 0..MESSAGES / BATCH {
            let mut batch = Vec::with_capacity(BATCH * 1100);
            for _ in 0..BATCH {
                batch.extend(encode_cmd(&[b"PUBLISH", b"firehose", &payload]));
            }
            publisher.send(&batch);
            for _ in 0..BATCH {
                assert_eq!(publisher.reply(), ":1\r\n", "{b}");
            }
        }
        let took = started.elapsed();
        assert!(took < Duration::from_secs(30), "{b}: publishing took {took:?}");
        // The publisher is still served at once.
        assert_eq!(publisher.cmd(&["PING"]), "+PONG\r\n", "{b}");
        // The subscriber gets its messages when it finally reads.
        let expected = message("firehose", std::str::from_utf8(&payload).unwrap());
        for _ in 0..3 {
            assert_eq!(sub.reply(), expected, "{b}");
        }
    });
}

/// The redis crate's own pub/sub client works against convoy: channel and
/// pattern messages, with their names and payloads.
#[test]
fn redis_crate_pubsub_api() {
    with_each_backend(|s, b| {
        let mut sub_conn = s.client();
        let mut publisher = s.client();
        let mut pubsub = sub_conn.as_pubsub();
        pubsub.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        pubsub.subscribe("orders").unwrap();
        pubsub.psubscribe("orders.*").unwrap();

        let n: i64 = redis::cmd("PUBLISH").arg("orders").arg("one").query(&mut publisher).unwrap();
        assert_eq!(n, 1, "{b}");
        let n: i64 = redis::cmd("PUBLISH").arg("orders.eu").arg("two").query(&mut publisher).unwrap();
        assert_eq!(n, 1, "{b}");

        let msg = pubsub.get_message().unwrap();
        assert_eq!(msg.get_channel_name(), "orders", "{b}");
        assert_eq!(msg.get_payload::<String>().unwrap(), "one", "{b}");
        assert!(!msg.from_pattern(), "{b}");
        let msg = pubsub.get_message().unwrap();
        assert_eq!(msg.get_channel_name(), "orders.eu", "{b}");
        assert_eq!(msg.get_payload::<String>().unwrap(), "two", "{b}");
        assert_eq!(msg.get_pattern::<String>().unwrap(), "orders.*", "{b}");

        pubsub.unsubscribe("orders").unwrap();
        pubsub.punsubscribe("orders.*").unwrap();
        let n: i64 = redis::cmd("PUBLISH").arg("orders").arg("three").query(&mut publisher).unwrap();
        assert_eq!(n, 0, "{b}");
    });
}

/// A subscriber that never reads is closed once more than 32 MiB of
/// messages wait for it (Redis's hard client-output-buffer-limit pubsub);
/// the publisher is never held up, and memory stays bounded.
#[test]
fn non_reading_subscriber_is_closed_past_the_limit() {
    with_each_backend(|s, b| {
        let mut sub = s.raw();
        assert!(sub.cmd(&["SUBSCRIBE", "firehose"]).contains("subscribe"), "{b}");
        let mut publisher = s.raw();
        let payload = vec![b'x'; 1024 * 1024];
        let mut batch = Vec::new();
        for _ in 0..64 {
            batch.extend(encode_cmd(&[b"PUBLISH", b"firehose", &payload]));
        }
        publisher.send(&batch);
        for i in 0..64 {
            let r = publisher.reply();
            assert!(r == ":1\r\n" || r == ":0\r\n", "{b}: PUBLISH {i}: {r}");
        }
        let gone = eventually(std::time::Duration::from_secs(10), || {
            publisher.cmd(&["PUBSUB", "NUMSUB", "firehose"]) == "*2\r\n$8\r\nfirehose\r\n:0\r\n"
        });
        assert!(gone, "{b}: the subscriber was not closed");
        assert_eq!(publisher.cmd(&["PING"]), "+PONG\r\n", "{b}");
    });
}
