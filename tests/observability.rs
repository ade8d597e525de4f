//! Observability: INFO commandstats, errorstats, latencystats and stats,
//! CONFIG RESETSTAT, SLOWLOG and LATENCY, checked against the figures and
//! replies real Redis 7.0 gives for the same traffic, on every backend and
//! under each `--metrics` mode.

mod common;
use common::*;
use convoy::metrics::MetricsMode;
use std::collections::BTreeMap;
use std::time::Duration;

/// The payload of a bulk (`$`) or verbatim (`=`, format stripped) reply.
fn body(reply: &str) -> String {
    assert!(reply.starts_with('$') || reply.starts_with('='), "not a bulk reply: {reply:?}");
    let start = reply.find("\r\n").expect("header") + 2;
    let text = &reply[start..reply.len() - 2];
    if reply.starts_with('=') {
        text.strip_prefix("txt:").expect("txt format").to_string()
    } else {
        text.to_string()
    }
}

/// `INFO section ...` as text.
fn info(c: &mut Raw, sections: &[&str]) -> String {
    let mut args = vec!["INFO"];
    args.extend_from_slice(sections);
    body(&c.cmd(&args))
}

/// The value of `key:` in an INFO payload.
fn field(info: &str, key: &str) -> Option<String> {
    info.split("\r\n").find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':'))).map(str::to_string)
}

/// A numeric INFO field.
fn number(info: &str, key: &str) -> u64 {
    field(info, key).unwrap_or_else(|| panic!("no {key} in {info:?}")).parse().expect("a number")
}

/// `cmdstat_<name>` lines as name -> (calls, rejected_calls, failed_calls),
/// checking each line's shape on the way.
fn cmdstats(info: &str) -> BTreeMap<String, (u64, u64, u64)> {
    let mut out = BTreeMap::new();
    for line in info.split("\r\n").filter_map(|l| l.strip_prefix("cmdstat_")) {
        let (name, rest) = line.split_once(':').expect("name:fields");
        let fields: Vec<(&str, &str)> = rest.split(',').map(|f| f.split_once('=').expect("k=v")).collect();
        let keys: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["calls", "usec", "usec_per_call", "rejected_calls", "failed_calls"], "{line}");
        let per_call = fields[2].1;
        assert!(per_call.split_once('.').is_some_and(|(_, d)| d.len() == 2), "two decimals: {line}");
        let n = |i: usize| fields[i].1.parse::<u64>().unwrap();
        out.insert(name.to_string(), (n(0), n(3), n(4)));
    }
    out
}

/// `errorstat_<KIND>:count=N` lines as kind -> N.
fn errorstats(info: &str) -> BTreeMap<String, u64> {
    info.split("\r\n")
        .filter_map(|l| l.strip_prefix("errorstat_"))
        .map(|l| {
            let (kind, count) = l.split_once(":count=").expect("kind:count=N");
            (kind.to_string(), count.parse().unwrap())
        })
        .collect()
}

/// `latency_percentiles_usec_<name>:p50=..,p99=..,p99.9=..` lines as
/// name -> [p50, p99, p99.9].
fn latencystats(info: &str) -> BTreeMap<String, [f64; 3]> {
    info.split("\r\n")
        .filter_map(|l| l.strip_prefix("latency_percentiles_usec_"))
        .map(|l| {
            let (name, rest) = l.split_once(':').expect("name:percentiles");
            let values: Vec<(&str, f64)> = rest
                .split(',')
                .map(|p| {
                    let (k, v) = p.split_once('=').expect("p=v");
                    assert!(v.split_once('.').is_some_and(|(_, d)| d.len() == 3), "three decimals: {l}");
                    (k, v.parse().unwrap())
                })
                .collect();
            assert_eq!(values.iter().map(|(k, _)| *k).collect::<Vec<_>>(), ["p50", "p99", "p99.9"], "{l}");
            (name.to_string(), [values[0].1, values[1].1, values[2].1])
        })
        .collect()
}

/// A server of `backend` keeping statistics as `mode` says.
fn server(backend: convoy::config::Backend, mode: MetricsMode) -> TestServer {
    TestServer::start_with(backend, |c| c.metrics = mode)
}

/// Known traffic: successes, failures (WRONGTYPE, ERR), rejections
/// (arity), subcommands, an unknown command and subcommand, and two
/// transactions (one aborted, one with a failing command inside).
fn known_traffic(c: &mut Raw) {
    for cmd in [
        &["CONFIG", "RESETSTAT"][..],
        &["SET", "k", "v"],
        &["GET", "k"],
        &["GET", "nokey"],
        &["LPUSH", "l", "a"],
        &["GET", "l"],
        &["INCR", "k"],
        &["GET"],
        &["CONFIG", "GET", "maxmemory"],
        &["CONFIG", "SET", "nosuch", "1"],
        &["CONFIG", "GET"],
        &["NOSUCHCMD", "x"],
        &["CONFIG", "NOSUCH"],
        &["MULTI"],
        &["SET", "a"],
        &["EXEC"],
        &["MULTI"],
        &["INCR", "k"],
        &["EXEC"],
    ] {
        c.cmd(cmd);
    }
}

/// What real Redis 7.0.15 reports after [`known_traffic`]: per command
/// (calls, rejected_calls, failed_calls), and error replies by kind.
fn expected_cmdstats() -> BTreeMap<String, (u64, u64, u64)> {
    [
        ("config|get", (1, 1, 0)),
        ("config|resetstat", (1, 0, 0)),
        ("config|set", (1, 0, 1)),
        ("exec", (2, 0, 1)),
        ("get", (3, 1, 1)),
        ("incr", (2, 0, 2)),
        ("lpush", (1, 0, 0)),
        ("multi", (2, 0, 0)),
        ("set", (1, 1, 0)),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect()
}

fn expected_errorstats() -> BTreeMap<String, u64> {
    [("ERR", 8), ("EXECABORT", 1), ("WRONGTYPE", 1)].into_iter().map(|(k, n)| (k.to_string(), n)).collect()
}

/// After known traffic, commandstats, errorstats and total_error_replies
/// are exactly Redis's, under both the sharded and the global table.
#[test]
fn commandstats_and_errorstats_after_known_traffic() {
    for backend in backends() {
        for mode in [MetricsMode::Sharded, MetricsMode::Global] {
            let s = server(backend, mode);
            let mut c = s.raw();
            known_traffic(&mut c);
            let text = info(&mut c, &["commandstats", "errorstats", "stats"]);
            let b = format!("{} {}", backend.name(), mode.name());
            assert_eq!(cmdstats(&text), expected_cmdstats(), "{b}: {text}");
            assert_eq!(errorstats(&text), expected_errorstats(), "{b}");
            assert_eq!(number(&text, "total_error_replies"), 10, "{b}");
            // The INFO above is counted once it has run.
            assert_eq!(cmdstats(&info(&mut c, &["commandstats"]))["info"], (1, 0, 0), "{b}");
        }
    }
}

/// Every command that ran has a latency line, and its percentiles are in
/// order; rejected-only commands have none.
#[test]
fn latencystats_percentiles_are_ordered() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        known_traffic(&mut c);
        for _ in 0..50 {
            c.cmd(&["GET", "k"]);
        }
        let text = info(&mut c, &["latencystats"]);
        let lat = latencystats(&text);
        let called: Vec<String> = expected_cmdstats().into_iter().filter(|(_, v)| v.0 > 0).map(|(k, _)| k).collect();
        assert_eq!(lat.keys().cloned().collect::<Vec<_>>(), called, "{b}: {text}");
        for (name, [p50, p99, p999]) in &lat {
            assert!(*p50 > 0.0 && p50 <= p99 && p99 <= p999, "{b}: {name} {p50} {p99} {p999}");
        }
    });
}

/// With `--metrics off` nothing is recorded: no command, latency or error
/// statistics, no slow log even at threshold 0, no latency histogram.
#[test]
fn metrics_off_records_nothing() {
    for backend in backends() {
        let s = server(backend, MetricsMode::Off);
        let b = backend.name();
        let mut c = s.raw();
        assert_eq!(c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]), "+OK\r\n", "{b}");
        known_traffic(&mut c);
        let text = info(&mut c, &["commandstats", "errorstats", "latencystats", "stats"]);
        assert!(cmdstats(&text).is_empty() && errorstats(&text).is_empty(), "{b}: {text}");
        assert!(latencystats(&text).is_empty(), "{b}: {text}");
        assert_eq!(number(&text, "total_error_replies"), 0, "{b}");
        assert!(text.contains("# Commandstats\r\n\r\n# Errorstats\r\n\r\n# Latencystats\r\n"), "{b}: {text}");
        assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["LATENCY", "HISTOGRAM"]), "*0\r\n", "{b}");
        // The stats that are not per-command statistics are still kept.
        assert!(number(&text, "total_commands_processed") > 0, "{b}");
    }
}

/// CONFIG RESETSTAT zeroes command, latency and error statistics, the
/// error total, keyspace hits and misses and the byte counts, and leaves
/// the slow log alone (SLOWLOG RESET is its reset, as in Redis). The
/// RESETSTAT itself is then the one call counted, as in Redis.
#[test]
fn config_resetstat_zeroes_statistics() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
        known_traffic(&mut c);
        let before = info(&mut c, &["everything"]);
        assert!(number(&before, "keyspace_hits") > 0 && number(&before, "keyspace_misses") > 0, "{b}");
        assert!(!latencystats(&before).is_empty(), "{b}");
        let slow = c.cmd(&["SLOWLOG", "LEN"]);
        assert_ne!(slow, ":0\r\n", "{b}");

        assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), "+OK\r\n", "{b}");
        let after = info(&mut c, &["everything"]);
        let only_reset: BTreeMap<String, (u64, u64, u64)> = [("config|resetstat".to_string(), (1, 0, 0))].into();
        assert_eq!(cmdstats(&after), only_reset, "{b}: {after}");
        assert_eq!(latencystats(&after).keys().collect::<Vec<_>>(), ["config|resetstat"], "{b}");
        assert!(errorstats(&after).is_empty(), "{b}");
        for key in ["total_error_replies", "keyspace_hits", "keyspace_misses", "expired_keys"] {
            assert_eq!(number(&after, key), 0, "{b}: {key}");
        }
        // Only what moved since: RESETSTAT's reply out, INFO's request in.
        assert_eq!(number(&after, "total_net_output_bytes"), 5, "{b}");
        assert_eq!(number(&after, "total_net_input_bytes"), encode_cmd(&[b"INFO", b"everything"]).len() as u64);
        // The slow log kept its entries, plus the two commands since.
        let len: u64 = slow.trim_start_matches(':').trim_end().parse().unwrap();
        assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), format!(":{}\r\n", len + 3), "{b}");
    });
}

/// keyspace_hits and keyspace_misses move as real Redis 7.0 moves them:
/// reads count one per key looked up (a key of the wrong type is a hit),
/// writes and key scans do not, and a write that returns the old value
/// (GETSET, GETDEL, GETEX, SET ... GET) counts its read.
#[test]
fn keyspace_hits_and_misses_as_redis_counts_them() {
    // (command, hits, misses), measured on redis-server 7.0.15.
    let steps: &[(&[&str], u64, u64)] = &[
        (&["SET", "k", "v"], 0, 0),
        (&["GET", "k"], 1, 0),
        (&["GET", "nokey"], 0, 1),
        (&["MGET", "k", "nokey", "l"], 1, 2),
        (&["EXISTS", "k", "nokey"], 1, 1),
        (&["TYPE", "nokey"], 0, 1),
        (&["TTL", "k"], 1, 0),
        (&["STRLEN", "k"], 1, 0),
        (&["LPUSH", "l", "a"], 0, 0),
        (&["LRANGE", "l", "0", "-1"], 1, 0),
        (&["SCAN", "0"], 0, 0),
        (&["KEYS", "*"], 0, 0),
        (&["INCR", "c"], 0, 0),
        (&["RENAME", "c", "c2"], 0, 0),
        (&["SINTERSTORE", "d", "s1", "s2"], 0, 2),
        (&["SADD", "s1", "a"], 0, 0),
        (&["SMOVE", "s1", "s2", "a"], 0, 0),
        (&["SISMEMBER", "s2", "a"], 1, 0),
        (&["HGET", "h", "f"], 0, 1),
        (&["ZSCORE", "z", "m"], 0, 1),
        (&["GETDEL", "nokey"], 0, 1),
        (&["GETSET", "k", "w"], 1, 0),
        (&["EXPIRE", "k", "100"], 0, 0),
        (&["DBSIZE"], 0, 0),
        (&["GET", "l"], 1, 0),
        (&["SUNION", "s1", "s2"], 1, 1),
        (&["HGETALL", "h"], 0, 1),
        (&["OBJECT", "ENCODING", "k"], 1, 0),
        (&["LPOP", "nokey"], 0, 0),
        (&["APPEND", "k", "x"], 0, 0),
        (&["DEL", "k"], 0, 0),
        (&["RANDOMKEY"], 0, 0),
        (&["WATCH", "l"], 0, 0),
        (&["SET", "k", "v", "GET"], 0, 1),
        (&["GETEX", "k"], 1, 0),
        (&["LMOVE", "l", "l2", "LEFT", "LEFT"], 0, 0),
        (&["SUNIONSTORE", "u", "s1", "s2"], 1, 1),
        (&["ZRANGESTORE", "zz", "z", "0", "-1"], 0, 1),
        (&["MSETNX", "a", "1", "b", "2"], 0, 0),
        (&["SADD", "s3", "a"], 0, 0),
        (&["SINTER", "s2", "s3"], 2, 0),
        (&["SDIFF", "s2", "s3", "nos"], 2, 1),
        (&["GETDEL", "l2"], 1, 0),
        (&["HMGET", "h", "f", "g"], 0, 1),
        (&["SSCAN", "s2", "0"], 1, 0),
        (&["EXISTS", "nokey", "nokey2"], 0, 2),
    ];
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let (mut hits, mut misses) = (0, 0);
        for (cmd, h, m) in steps {
            c.cmd(cmd);
            let text = info(&mut c, &["stats"]);
            let (now_hits, now_misses) = (number(&text, "keyspace_hits"), number(&text, "keyspace_misses"));
            assert_eq!((now_hits - hits, now_misses - misses), (*h, *m), "{b}: {cmd:?}");
            (hits, misses) = (now_hits, now_misses);
        }
        // Inside a transaction, each read counts when EXEC runs it.
        c.cmd(&["UNWATCH"]);
        c.cmd(&["MULTI"]);
        c.cmd(&["GET", "k"]);
        c.cmd(&["GET", "nokey"]);
        c.cmd(&["EXEC"]);
        let text = info(&mut c, &["stats"]);
        assert_eq!((number(&text, "keyspace_hits"), number(&text, "keyspace_misses")), (hits + 1, misses + 1), "{b}");
    });
}

/// The peer address of a raw connection, as the server sees it.
fn peer(c: &mut Raw) -> String {
    let info = body(&c.cmd(&["CLIENT", "INFO"]));
    info.split(' ').find_map(|f| f.strip_prefix("addr=")).expect("addr=").to_string()
}

/// A SLOWLOG GET reply's entries, each as its id and
/// `args | peer | name`, its time checked to be now.
fn parse_entries(reply: &str) -> Vec<(u64, String)> {
    let mut lines = reply.split("\r\n");
    let n: usize = lines.next().unwrap().strip_prefix('*').unwrap().parse().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let mut out = Vec::new();
    for _ in 0..n {
        assert_eq!(lines.next(), Some("*6"));
        let int = |l: Option<&str>| -> u64 { l.unwrap().strip_prefix(':').unwrap().parse().unwrap() };
        let (id, time, _us) = (int(lines.next()), int(lines.next()), int(lines.next()));
        assert!(time.abs_diff(now) <= 5, "unix time: {time} vs {now}");
        let argc: usize = lines.next().unwrap().strip_prefix('*').unwrap().parse().unwrap();
        let mut args = Vec::new();
        for _ in 0..argc {
            lines.next();
            args.push(lines.next().unwrap().to_string());
        }
        lines.next();
        let peer = lines.next().unwrap().to_string();
        lines.next();
        let name = lines.next().unwrap();
        out.push((id, format!("{} | {peer} | {name}", args.join(" "))));
    }
    assert_eq!(lines.next(), Some(""), "nothing after the entries");
    out
}

/// A SLOWLOG GET reply's entries as `args | peer | name`, newest first.
fn entries(reply: &str) -> Vec<String> {
    parse_entries(reply).into_iter().map(|(_, e)| e).collect()
}

/// A SLOWLOG GET reply's ids, newest first.
fn ids(reply: &str) -> Vec<u64> {
    parse_entries(reply).into_iter().map(|(id, _)| id).collect()
}

/// With threshold 0 the slow log keeps every command that ran, as Redis
/// does: not a refused one, not EXEC (its commands each get an entry),
/// HELLO's password redacted, the name the client had after the call, at
/// most 32 arguments and 128 bytes per argument.
#[test]
fn slowlog_records_commands_as_redis() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let me = peer(&mut c);
        assert_eq!(c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), "+OK\r\n", "{b}");
        c.cmd(&["SET", "k", "v"]);
        c.cmd(&["GET"]);
        c.cmd(&["NOSUCH"]);
        c.cmd(&["CLIENT", "SETNAME", "foo"]);
        c.cmd(&["HELLO", "2", "AUTH", "default", "pw", "SETNAME", "nm"]);
        c.cmd(&["MULTI"]);
        c.cmd(&["SET", "a", "1"]);
        c.cmd(&["GET", "a"]);
        c.cmd(&["EXEC"]);
        c.cmd(&["EXEC"]);
        let big = "x".repeat(200);
        c.cmd(&["SET", "big", &big]);
        let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
        let mut rpush = vec!["RPUSH", "l"];
        rpush.extend(many.iter().map(String::as_str));
        c.cmd(&rpush);
        let got = entries(&c.cmd(&["SLOWLOG", "GET", "-1"]));
        let mut numbers: Vec<String> = many[..29].to_vec();
        numbers.push("... (11 more arguments)".into());
        let want = [
            format!("RPUSH l {} | {me} | nm", numbers.join(" ")),
            format!("SET big {}... (72 more bytes) | {me} | nm", "x".repeat(128)),
            format!("GET a | {me} | nm"),
            format!("SET a 1 | {me} | nm"),
            format!("MULTI | {me} | nm"),
            format!("HELLO 2 AUTH (redacted) (redacted) SETNAME nm | {me} | nm"),
            format!("CLIENT SETNAME foo | {me} | foo"),
            format!("SET k v | {me} | "),
            format!("SLOWLOG RESET | {me} | "),
        ];
        assert_eq!(got, want, "{b}");
        // GET's own entry is there by the next GET; ids are consecutive.
        assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":10\r\n", "{b}");
        let all = c.cmd(&["SLOWLOG", "GET", "-1"]);
        let ids = ids(&all);
        assert_eq!(ids.len(), 11, "{b}");
        assert!(ids.windows(2).all(|w| w[0] == w[1] + 1), "{b}: {ids:?}");
        assert_eq!(entries(&c.cmd(&["SLOWLOG", "GET"])).len(), 10, "{b}: default count");
        assert_eq!(entries(&c.cmd(&["SLOWLOG", "GET", "1"]))[0], format!("SLOWLOG GET | {me} | nm"), "{b}");
        assert_eq!(entries(&c.cmd(&["SLOWLOG", "GET", "0"])).len(), 0, "{b}");
    });
}

/// SLOWLOG's errors and help, and the CONFIG parameters' bounds, word for
/// word as Redis 7.0.
#[test]
fn slowlog_errors_help_and_config() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let count_err = "-ERR count should be greater than or equal to -1\r\n";
        assert_eq!(c.cmd(&["SLOWLOG", "GET", "x"]), count_err, "{b}");
        assert_eq!(c.cmd(&["SLOWLOG", "GET", "-2"]), count_err, "{b}");
        assert_eq!(
            c.cmd(&["SLOWLOG", "GeT", "1", "2"]),
            "-ERR unknown subcommand or wrong number of arguments for 'GeT'. Try SLOWLOG HELP.\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["SLOWLOG", "foo"]), "-ERR unknown subcommand 'foo'. Try SLOWLOG HELP.\r\n", "{b}");
        assert_eq!(c.cmd(&["SLOWLOG"]), "-ERR wrong number of arguments for 'slowlog' command\r\n", "{b}");
        assert_eq!(
            c.cmd(&["SLOWLOG", "LEN", "x"]),
            "-ERR wrong number of arguments for 'slowlog|len' command\r\n",
            "{b}"
        );
        let help = c.cmd(&["SLOWLOG", "HELP"]);
        assert!(help.starts_with("*12\r\n+SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GET [<count>]\r\n+    Return top <count> entries from the slowlog (default: 10, -1 mean all).\r\n"), "{b}: {help}");
        assert!(help.ends_with("+RESET\r\n+    Reset the slowlog.\r\n+HELP\r\n+    Prints this help.\r\n"), "{b}");

        assert_eq!(
            c.cmd(&["CONFIG", "GET", "slowlog-log-slower-than"]),
            "*2\r\n$23\r\nslowlog-log-slower-than\r\n$5\r\n10000\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["CONFIG", "GET", "slowlog-max-len"]), "*2\r\n$15\r\nslowlog-max-len\r\n$3\r\n128\r\n");
        let failed = |name: &str, why: &str| {
            format!("-ERR CONFIG SET failed (possibly related to argument '{name}') - {why}\r\n")
        };
        let slower = "slowlog-log-slower-than";
        let range = "argument must be between -1 and 9223372036854775807 inclusive";
        assert_eq!(c.cmd(&["CONFIG", "SET", slower, "-2"]), failed(slower, range), "{b}");
        let not_int = "argument couldn't be parsed into an integer";
        assert_eq!(c.cmd(&["CONFIG", "SET", slower, "1k"]), failed(slower, not_int), "{b}");
        assert_eq!(c.cmd(&["CONFIG", "SET", slower, "9223372036854775808"]), failed(slower, not_int), "{b}");
        let range = "argument must be between 0 and 9223372036854775807 inclusive";
        assert_eq!(c.cmd(&["CONFIG", "SET", "slowlog-max-len", "-1"]), failed("slowlog-max-len", range), "{b}");
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "latency-monitor-threshold"]),
            "*2\r\n$25\r\nlatency-monitor-threshold\r\n$1\r\n0\r\n",
            "{b}"
        );
    });
}

/// `slowlog-max-len` trims the log at the next entry, `-1` stops logging
/// (and consumes no id), a high threshold logs nothing, and a maximum of
/// 0 keeps nothing.
#[test]
fn slowlog_threshold_and_max_len() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "3"]);
        for _ in 0..10 {
            c.cmd(&["PING"]);
        }
        assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":3\r\n", "{b}");
        let newest = ids(&c.cmd(&["SLOWLOG", "GET"]));
        assert_eq!(newest.len(), 3, "{b}");

        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
        for _ in 0..5 {
            c.cmd(&["PING"]);
        }
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
        let after = ids(&c.cmd(&["SLOWLOG", "GET"]));
        // The CONFIG SET that re-enabled the log, the SLOWLOG GET before
        // and the one before that, and not one PING: ids go on from the
        // first GET's.
        assert_eq!(after, [newest[0] + 2, newest[0] + 1, newest[0]], "{b}");

        // Ten seconds: no command here is that slow.
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "10000000"]);
        c.cmd(&["SLOWLOG", "RESET"]);
        c.cmd(&["PING"]);
        assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":0\r\n", "{b}");

        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "0"]);
        assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["SLOWLOG", "GET", "-1"]), "*0\r\n", "{b}");
    });
}

/// One LATENCY HISTOGRAM entry: (calls, [(bucket µs, cumulative count)]).
type Cdf = (u64, Vec<(u64, u64)>);

/// A RESP3 LATENCY HISTOGRAM reply as name -> (calls, buckets), in reply
/// order, checking its shape.
fn histograms(reply: &str) -> Vec<(String, Cdf)> {
    let mut lines = reply.split("\r\n");
    let n: usize = lines.next().unwrap().strip_prefix('%').expect("a map").parse().unwrap();
    let int = |l: Option<&str>| -> u64 { l.unwrap().strip_prefix(':').expect("an integer").parse().unwrap() };
    let mut out = Vec::new();
    for _ in 0..n {
        lines.next();
        let name = lines.next().unwrap().to_string();
        assert_eq!(lines.next(), Some("%2"));
        assert_eq!((lines.next(), lines.next()), (Some("$5"), Some("calls")));
        let calls = int(lines.next());
        assert_eq!((lines.next(), lines.next()), (Some("$14"), Some("histogram_usec")));
        let buckets: usize = lines.next().unwrap().strip_prefix('%').expect("a map").parse().unwrap();
        let cdf = (0..buckets).map(|_| (int(lines.next()), int(lines.next()))).collect();
        out.push((name, (calls, cdf)));
    }
    assert_eq!(lines.next(), Some(""), "nothing after the map");
    out
}

/// The bucket labels Redis writes: 2^k ns from 1024 up, as the highest
/// value of the HdrHistogram bucket (two significant digits) holding it,
/// in µs.
fn redis_label(us: u64) -> bool {
    (10..=30).any(|k| {
        let level = 1u64 << k;
        let unit = (level >> 7).max(1);
        (level + unit - 1) / 1000 == us
    })
}

/// LATENCY HISTOGRAM: Redis 7's reply shape, per-command call counts,
/// cumulative buckets ending at the call count, subcommands by container
/// or full name, unknown names skipped; the other LATENCY subcommands
/// answer as Redis with the latency monitor off.
#[test]
fn latency_histogram_and_subcommands() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["HELLO", "3"]);
        c.cmd(&["CONFIG", "RESETSTAT"]);
        c.cmd(&["SET", "a", "b"]);
        for _ in 0..3 {
            c.cmd(&["GET", "a"]);
        }
        c.cmd(&["GET"]);
        c.cmd(&["CONFIG", "GET", "hz"]);
        let got = histograms(&c.cmd(&["LATENCY", "HISTOGRAM", "get", "nosuch", "CONFIG", "set|x", "set"]));
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["get", "config|get", "config|resetstat", "set"], "{b}");
        let calls: Vec<u64> = got.iter().map(|(_, (calls, _))| *calls).collect();
        assert_eq!(calls, [3, 1, 1, 1], "{b}: rejected calls have no latency");
        for (name, (calls, cdf)) in &got {
            assert!(!cdf.is_empty(), "{b}: {name}");
            assert!(cdf.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1), "{b}: {name} {cdf:?}");
            assert_eq!(cdf.last().unwrap().1, *calls, "{b}: {name}: cumulative");
            assert!(cdf.iter().all(|(us, _)| redis_label(*us)), "{b}: {name} {cdf:?}");
        }
        let one = histograms(&c.cmd(&["LATENCY", "HISTOGRAM", "config|GET"]));
        assert_eq!(one.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["config|get"], "{b}");
        let all = histograms(&c.cmd(&["LATENCY", "HISTOGRAM"]));
        let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["config|get", "config|resetstat", "get", "latency|histogram", "set"], "{b}");

        c.cmd(&["HELLO", "2"]);
        let one = c.cmd(&["LATENCY", "HISTOGRAM", "set"]);
        assert!(
            one.starts_with("*2\r\n$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n*2\r\n"),
            "{b}: {one}"
        );
        assert_eq!(c.cmd(&["LATENCY", "HISTOGRAM", "nosuch"]), "*0\r\n", "{b}");
        assert_eq!(c.cmd(&["LATENCY", "LATEST"]), "*0\r\n", "{b}");
        assert_eq!(c.cmd(&["LATENCY", "HISTORY", "command"]), "*0\r\n", "{b}");
        assert_eq!(c.cmd(&["LATENCY", "RESET"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["LATENCY", "RESET", "a", "b"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["LATENCY", "GRAPH", "foo"]), "-ERR No samples available for event 'foo'\r\n", "{b}");
        let doctor = body(&c.cmd(&["LATENCY", "DOCTOR"]));
        assert!(doctor.starts_with("I'm sorry, Dave, I can't do that. Latency monitoring is disabled"), "{b}");
        assert!(doctor.ends_with("https://redis.io/topics/latency-monitor.\n"), "{b}");
        assert_eq!(c.cmd(&["LATENCY", "foo"]), "-ERR unknown subcommand 'foo'. Try LATENCY HELP.\r\n", "{b}");
        assert_eq!(
            c.cmd(&["LATENCY", "HISTORY"]),
            "-ERR wrong number of arguments for 'latency|history' command\r\n",
            "{b}"
        );
        let help = c.cmd(&["LATENCY", "HELP"]);
        assert!(
            help.starts_with("*17\r\n+LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+DOCTOR\r\n"),
            "{b}"
        );
    });
}

/// Bytes in and out are counted exactly (request bytes read, reply bytes
/// written), as Redis counts them.
#[test]
fn net_bytes_counted_exactly() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["CONFIG", "RESETSTAT"]);
        c.cmd(&["SET", "k", "v"]);
        c.cmd(&["GET", "k"]);
        let text = info(&mut c, &["stats"]);
        let sent = [&[&b"SET"[..], b"k", b"v"][..], &[b"GET", b"k"], &[b"INFO", b"stats"]];
        let input: usize = sent.iter().map(|cmd| encode_cmd(cmd).len()).sum();
        assert_eq!(number(&text, "total_net_input_bytes"), input as u64, "{b}");
        // +OK (RESETSTAT), +OK (SET), $1 v (GET).
        assert_eq!(number(&text, "total_net_output_bytes"), 5 + 5 + 7, "{b}");
    });
}

/// Under a short load, instantaneous_ops_per_sec and the input and output
/// rates become positive within a few 100 ms samples.
#[test]
fn instantaneous_rates_rise_under_load() {
    with_each_backend(|s, b| {
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            let load = scope.spawn(|| {
                let mut c = s.raw();
                let batch: Vec<u8> = (0..100).flat_map(|_| encode_cmd(&[b"PING"])).collect();
                // Bounded: at most 5 s of load, however the check goes.
                let deadline = std::time::Instant::now() + Duration::from_secs(5);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && std::time::Instant::now() < deadline {
                    c.send(&batch);
                    for _ in 0..100 {
                        assert_eq!(c.reply(), "+PONG\r\n");
                    }
                }
            });
            let mut c = s.raw();
            let mut last = String::new();
            let rose = eventually(Duration::from_secs(5), || {
                last = info(&mut c, &["stats"]);
                number(&last, "instantaneous_ops_per_sec") > 0
                    && field(&last, "instantaneous_input_kbps").is_some_and(|v| v != "0.00")
                    && field(&last, "instantaneous_output_kbps").is_some_and(|v| v != "0.00")
            });
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            load.join().unwrap();
            assert!(rose, "{b}: {last}");
        });
    });
}

/// A blocking command counts once, when it replies: served by a push, or
/// timed out (as Redis counts a blocked client it gives up on); the slow
/// log sees the one that timed out too.
#[test]
fn blocking_commands_count_once_when_they_reply() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]), "+OK\r\n");
        assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), "+OK\r\n");
        assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), "+OK\r\n");
        assert_eq!(c.cmd(&["BLPOP", "nothing", "0.05"]), "*-1\r\n", "{b}");
        let mut waiter = s.raw();
        waiter.send_cmd(&[b"BLPOP", b"list", b"5"]);
        let blocked = || field(&info(&mut c, &["clients"]), "blocked_clients").as_deref() == Some("1");
        assert!(eventually(Duration::from_secs(5), blocked), "{b}");
        assert_eq!(c.cmd(&["RPUSH", "list", "x"]), ":1\r\n");
        assert_eq!(waiter.reply(), "*2\r\n$4\r\nlist\r\n$1\r\nx\r\n", "{b}");
        let stats = cmdstats(&info(&mut c, &["commandstats"]));
        assert_eq!(stats.get("blpop"), Some(&(2, 0, 0)), "{b}: {stats:?}");
        let slow = c.cmd(&["SLOWLOG", "GET"]);
        assert!(slow.contains("$5\r\nBLPOP\r\n$7\r\nnothing\r\n"), "{b}: {slow:?}");
    });
}
