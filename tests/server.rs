//! Server commands: DBSIZE, FLUSHDB, FLUSHALL, TIME, INFO, CONFIG, COMMAND
//! and CLIENT, with Redis 7's exact replies.

mod common;
use common::*;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

/// The value of `key:` in an INFO payload.
fn info_field(info: &str, key: &str) -> Option<String> {
    info.split("\r\n").find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':'))).map(str::to_string)
}

/// The field names of one CLIENT LIST line, in order.
fn field_names(line: &str) -> Vec<&str> {
    line.split(' ').map(|f| f.split_once('=').map_or(f, |(k, _)| k)).collect()
}

/// DBSIZE counts the selected database only; FLUSHDB empties only it and
/// FLUSHALL every one; both take only ASYNC or SYNC.
#[test]
fn dbsize_flushdb_flushall_across_databases() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["SET", "a", "1"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["SET", "b", "2"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["SELECT", "1"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["SET", "c", "3"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["DBSIZE"]), ":1\r\n", "{b}");
        assert_eq!(c.cmd(&["SELECT", "0"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["DBSIZE"]), ":2\r\n", "{b}");
        assert_eq!(c.cmd(&["DBSIZE", "x"]), "-ERR wrong number of arguments for 'dbsize' command\r\n", "{b}");

        assert_eq!(c.cmd(&["FLUSHDB", "now"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(c.cmd(&["FLUSHDB", "SYNC", "x"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(c.cmd(&["DBSIZE"]), ":2\r\n", "{b}: a rejected FLUSHDB flushes nothing");
        assert_eq!(c.cmd(&["FLUSHDB"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["GET", "a"]), "$-1\r\n", "{b}");
        assert_eq!(c.cmd(&["SELECT", "1"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["DBSIZE"]), ":1\r\n", "{b}: FLUSHDB left db 1 alone");
        assert_eq!(c.cmd(&["FLUSHDB", "async"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n", "{b}");

        assert_eq!(c.cmd(&["SET", "d", "4"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["SELECT", "15"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["SET", "e", "5"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["FLUSHALL", "x"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(c.cmd(&["FLUSHALL", "SYNC"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["SELECT", "1"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["GET", "d"]), "$-1\r\n", "{b}");
        assert_eq!(c.cmd(&["SET", "f", "6"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["FLUSHALL", "ASYNC"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n", "{b}");
        assert_eq!(c.cmd(&["FLUSHALL"]), "+OK\r\n", "{b}: flushing nothing is fine");
    });
}

/// TIME replies with the current unix seconds and microseconds as two bulk strings.
#[test]
fn time_is_now() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let reply = c.cmd(&["TIME"]);
        let parts: Vec<&str> = reply.split("\r\n").collect();
        assert_eq!(parts[0], "*2", "{b}: {reply:?}");
        assert!(parts[1].starts_with('$') && parts[3].starts_with('$'), "{b}: {reply:?}");
        let secs: u64 = parts[2].parse().unwrap();
        let micros: u64 = parts[4].parse().unwrap();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        assert!(secs.abs_diff(now) <= 2, "{b}: {secs} vs {now}");
        assert!(micros < 1_000_000, "{b}: {micros}");
        assert_eq!(c.cmd(&["TIME", "x"]), "-ERR wrong number of arguments for 'time' command\r\n", "{b}");
    });
}

/// INFO writes the sections asked for, in Redis's order, separated by an
/// empty line; the default leaves out commandstats and latencystats, which
/// `all` and `everything` add; an unknown section gives an empty string.
#[test]
fn info_sections() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let all = body(&c.cmd(&["INFO"]));
        let headers = |text: &str| -> Vec<String> {
            text.split("\r\n").filter(|l| l.starts_with("# ")).map(|l| l[2..].to_string()).collect()
        };
        let default = [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Errorstats",
            "Cluster",
            "Keyspace",
            "Convoy",
        ];
        assert_eq!(headers(&all), default, "{b}");
        assert!(all.contains("\r\n\r\n# Clients\r\n"), "{b}: sections are separated by an empty line");
        assert!(all.contains("# Keyspace\r\n\r\n# Convoy\r\n"), "{b}: an empty keyspace has no db line: {all:?}");
        assert_eq!(headers(&body(&c.cmd(&["INFO", "default"]))), default, "{b}");
        // `all` and `everything` add the per-command sections, in Redis's order.
        let mut every = default.to_vec();
        every.insert(8, "Commandstats");
        every.insert(10, "Latencystats");
        for word in ["all", "everything", "ALL"] {
            assert_eq!(headers(&body(&c.cmd(&["INFO", word]))), every, "{b}: INFO {word}");
        }
        // Sections named in any order come in Redis's order, each once.
        assert_eq!(
            headers(&body(&c.cmd(&["INFO", "keyspace", "CPU", "commandstats", "cpu"]))),
            ["CPU", "Commandstats", "Keyspace"],
            "{b}"
        );

        let convoy = body(&c.cmd(&["INFO", "convoy"]));
        assert_eq!(info_field(&convoy, "convoy_backend").as_deref(), Some(b), "{b}");
        assert_eq!(info_field(&convoy, "convoy_version").as_deref(), Some(env!("CARGO_PKG_VERSION")), "{b}");
        assert_eq!(info_field(&convoy, "convoy_metrics").as_deref(), Some("sharded"), "{b}");
        let server = body(&c.cmd(&["INFO", "server"]));
        assert!(server.starts_with("# Server\r\nredis_version:7.2.4\r\n"), "{b}: {server:?}");
        assert!(!server.contains("# Clients"), "{b}");
        assert_eq!(info_field(&server, "redis_mode").as_deref(), Some("standalone"), "{b}");
        assert_eq!(info_field(&server, "arch_bits").as_deref(), Some("64"), "{b}");
        assert_eq!(info_field(&server, "tcp_port"), Some(s.addr.port().to_string()), "{b}");
        assert_eq!(info_field(&server, "process_id"), Some(std::process::id().to_string()), "{b}");
        assert_eq!(info_field(&server, "hz").as_deref(), Some("10"), "{b}");
        assert_eq!(info_field(&server, "uptime_in_days").as_deref(), Some("0"), "{b}");
        let run_id = info_field(&server, "run_id").unwrap();
        assert!(run_id.len() == 40 && run_id.bytes().all(|c| c.is_ascii_hexdigit()), "{b}: {run_id}");
        for key in ["os", "multiplexing_api", "server_time_usec", "uptime_in_seconds", "executable", "config_file"] {
            assert!(info_field(&server, key).is_some(), "{b}: no {key}");
        }

        // Several sections: Redis's order, whatever the order asked.
        let two = body(&c.cmd(&["INFO", "clients", "SERVER"]));
        assert!(two.starts_with("# Server\r\n"), "{b}");
        assert!(two.contains("\r\n\r\n# Clients\r\nconnected_clients:"), "{b}: {two:?}");
        assert_eq!(info_field(&two, "connected_clients").as_deref(), Some("1"), "{b}");
        assert_eq!(info_field(&two, "maxclients").as_deref(), Some("10000"), "{b}");
        assert_eq!(info_field(&two, "blocked_clients").as_deref(), Some("0"), "{b}");

        assert_eq!(c.cmd(&["INFO", "nosuch"]), "$0\r\n\r\n", "{b}");
        assert_eq!(c.cmd(&["INFO", "keyspace"]), "$12\r\n# Keyspace\r\n\r\n", "{b}");
    });
}

/// INFO keyspace has one line per non-empty database, after known writes.
#[test]
fn info_keyspace_after_writes() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SET", "a", "1"]);
        c.cmd(&["SET", "b", "2"]);
        c.cmd(&["SET", "a", "3"]);
        c.cmd(&["SELECT", "2"]);
        c.cmd(&["SET", "c", "1"]);
        assert_eq!(
            body(&c.cmd(&["INFO", "keyspace"])),
            "# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n",
            "{b}"
        );
        c.cmd(&["FLUSHDB"]);
        assert_eq!(body(&c.cmd(&["INFO", "keyspace"])), "# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0\r\n", "{b}");
    });
}

/// total_commands_processed counts exactly the commands run before the
/// INFO (not the INFO itself), across clients; CONFIG RESETSTAT zeroes it.
#[test]
fn info_stats_count_commands() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let stats = body(&c.cmd(&["INFO", "stats"]));
        assert!(stats.starts_with("# Stats\r\n"), "{b}");
        assert_eq!(info_field(&stats, "total_commands_processed").as_deref(), Some("0"), "{b}");
        assert_eq!(info_field(&stats, "total_connections_received").as_deref(), Some("1"), "{b}");
        assert_eq!(info_field(&stats, "expired_keys").as_deref(), Some("0"), "{b}");
        assert_eq!(info_field(&stats, "keyspace_hits").as_deref(), Some("0"), "{b}");

        c.cmd(&["PING"]);
        c.cmd(&["ECHO", "x"]);
        c.cmd(&["SET", "k", "v"]);
        let stats = body(&c.cmd(&["INFO", "stats"]));
        assert_eq!(info_field(&stats, "total_commands_processed").as_deref(), Some("4"), "{b}");

        let mut other = s.raw();
        other.cmd(&["PING"]);
        other.cmd(&["PING"]);
        let stats = body(&c.cmd(&["INFO", "stats"]));
        assert_eq!(info_field(&stats, "total_commands_processed").as_deref(), Some("7"), "{b}");
        assert_eq!(info_field(&stats, "total_connections_received").as_deref(), Some("2"), "{b}");

        assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), "+OK\r\n", "{b}");
        let stats = body(&c.cmd(&["INFO", "stats"]));
        assert_eq!(
            info_field(&stats, "total_commands_processed").as_deref(),
            Some("1"),
            "{b}: RESETSTAT itself counts, as in Redis"
        );
        assert_eq!(info_field(&stats, "total_connections_received").as_deref(), Some("0"), "{b}");
        other.cmd(&["PING"]);
        let stats = body(&c.cmd(&["INFO", "stats"]));
        assert_eq!(info_field(&stats, "total_commands_processed").as_deref(), Some("3"), "{b}");
    });
}

/// CONFIG GET answers exactly what redis-benchmark asks (`save`,
/// `appendonly`), matches globs, and reads back what CONFIG SET wrote.
#[test]
fn config_get_set_round_trip() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["CONFIG", "GET", "save"]), "*2\r\n$4\r\nsave\r\n$0\r\n\r\n", "{b}");
        assert_eq!(c.cmd(&["CONFIG", "GET", "appendonly"]), "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n", "{b}");
        assert_eq!(c.cmd(&["CONFIG", "GET", "appendfsync"]), "*2\r\n$11\r\nappendfsync\r\n$8\r\neverysec\r\n", "{b}");
        assert_eq!(c.cmd(&["CONFIG", "GET", "hz"]), "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n", "{b}");
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "HZ"]),
            "*2\r\n$2\r\nHZ\r\n$2\r\n10\r\n",
            "{b}: an exact name is echoed as given"
        );
        let port = s.addr.port().to_string();
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "port"]),
            format!("*2\r\n$4\r\nport\r\n${}\r\n{port}\r\n", port.len()),
            "{b}"
        );
        assert_eq!(c.cmd(&["CONFIG", "GET", "databases"]), "*2\r\n$9\r\ndatabases\r\n$2\r\n16\r\n", "{b}");
        assert_eq!(c.cmd(&["CONFIG", "GET", "nosuch"]), "*0\r\n", "{b}");
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "maxmemory*"]),
            "*4\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n",
            "{b}"
        );
        // A parameter matched by several patterns appears once.
        assert_eq!(c.cmd(&["CONFIG", "GET", "hz", "h?", "[h]*"]), "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n", "{b}");
        let every = c.cmd(&["CONFIG", "GET", "*"]);
        for name in ["bind", "dir", "maxclients", "timeout", "proto-max-bulk-len", "save", "port"] {
            assert!(every.contains(&format!("${}\r\n{name}\r\n", name.len())), "{b}: no {name} in {every:?}");
        }
        assert!(c.cmd(&["CONFIG", "GET", "proto-max-bulk-len"]).ends_with("$9\r\n536870912\r\n"), "{b}");
        assert!(c.cmd(&["CONFIG", "GET", "timeout"]).ends_with("$1\r\n0\r\n"), "{b}");

        assert_eq!(c.cmd(&["CONFIG", "SET", "hz", "20"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["CONFIG", "GET", "hz"]), "*2\r\n$2\r\nhz\r\n$2\r\n20\r\n", "{b}");
        assert_eq!(info_field(&body(&c.cmd(&["INFO", "server"])), "hz").as_deref(), Some("20"), "{b}");
        assert_eq!(c.cmd(&["CONFIG", "SET", "hz", "1000"]), "+OK\r\n", "{b}: clamped, as Redis does");
        assert_eq!(c.cmd(&["CONFIG", "GET", "hz"]), "*2\r\n$2\r\nhz\r\n$3\r\n500\r\n", "{b}");

        assert_eq!(
            c.cmd(&["CONFIG", "SET", "maxmemory", "1mb", "MAXMEMORY-POLICY", "AllKeys-LRU", "timeout", "30"]),
            "+OK\r\n",
            "{b}"
        );
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "maxmemory*"]),
            "*4\r\n$9\r\nmaxmemory\r\n$7\r\n1048576\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lru\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "2k"]), "+OK\r\n", "{b}");
        assert!(c.cmd(&["CONFIG", "GET", "maxmemory"]).ends_with("$4\r\n2000\r\n"), "{b}");
        assert_eq!(c.cmd(&["CONFIG", "SET", "save", "3600 1  300 100"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["CONFIG", "GET", "save"]), "*2\r\n$4\r\nsave\r\n$14\r\n3600 1 300 100\r\n", "{b}");
        assert_eq!(c.cmd(&["CONFIG", "SET", "save", ""]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["CONFIG", "GET", "save"]), "*2\r\n$4\r\nsave\r\n$0\r\n\r\n", "{b}");
        assert_eq!(c.cmd(&["CONFIG", "SET", "maxclients", "50"]), "+OK\r\n", "{b}");
        assert_eq!(info_field(&body(&c.cmd(&["INFO", "clients"])), "maxclients").as_deref(), Some("50"), "{b}");
    });
}

/// CONFIG errors, word for word, and CONFIG SET changes nothing when any
/// of its parameters fails.
#[test]
fn config_errors() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let failed =
            |arg: &str, why: &str| format!("-ERR CONFIG SET failed (possibly related to argument '{arg}') - {why}\r\n");
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "xyz", "1"]),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'xyz'\r\n",
            "{b}"
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "hz", "abc"]),
            failed("hz", "argument couldn't be parsed into an integer"),
            "{b}"
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "hz", "-1"]),
            failed("hz", "argument must be between 0 and 2147483647 inclusive"),
            "{b}"
        );
        assert_eq!(c.cmd(&["CONFIG", "SET", "port", "1"]), failed("port", "can't set immutable config"), "{b}");
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "databases", "3"]),
            failed("databases", "can't set immutable config"),
            "{b}"
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "appendonly", "yes"]),
            failed("appendonly", "can't set immutable config"),
            "{b}"
        );
        assert_eq!(c.cmd(&["CONFIG", "SET", "hz", "1", "HZ", "2"]), failed("HZ", "duplicate parameter"), "{b}");
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "maxclients", "0"]),
            failed("maxclients", "argument must be between 1 and 4294967295 inclusive"),
            "{b}"
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "maxmemory", "1x"]),
            failed("maxmemory", "argument must be a memory value"),
            "{b}"
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "appendfsync", "sometimes"]),
            failed("appendfsync", "argument(s) must be one of the following: everysec, always, no"),
            "{b}"
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "maxmemory-policy", "lru"]),
            failed(
                "maxmemory-policy",
                "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"
            ),
            "{b}"
        );
        assert_eq!(c.cmd(&["CONFIG", "SET", "save", "1 2 3"]), failed("save", "Invalid save parameters"), "{b}");
        assert_eq!(c.cmd(&["CONFIG", "SET", "save", "0 1"]), failed("save", "Invalid save parameters"), "{b}");

        // All or nothing: hz is not changed when maxclients fails.
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "hz", "30", "maxclients", "0"]),
            failed("maxclients", "argument must be between 1 and 4294967295 inclusive"),
            "{b}"
        );
        assert_eq!(c.cmd(&["CONFIG", "GET", "hz"]), "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n", "{b}");

        assert_eq!(
            c.cmd(&["CONFIG", "SET", "hz"]),
            "-ERR wrong number of arguments for 'config|set' command\r\n",
            "{b}"
        );
        // An odd number of arguments passes the arity check (-4) and is then a syntax error.
        assert_eq!(c.cmd(&["CONFIG", "SET", "hz", "1", "timeout"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(c.cmd(&["CONFIG", "GET"]), "-ERR wrong number of arguments for 'config|get' command\r\n", "{b}");
        assert_eq!(
            c.cmd(&["CONFIG", "RESETSTAT", "x"]),
            "-ERR wrong number of arguments for 'config|resetstat' command\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["CONFIG"]), "-ERR wrong number of arguments for 'config' command\r\n", "{b}");
        assert_eq!(c.cmd(&["CONFIG", "xyz"]), "-ERR unknown subcommand 'xyz'. Try CONFIG HELP.\r\n", "{b}");
        let help = c.cmd(&["CONFIG", "HELP"]);
        assert!(
            help.starts_with(
                "*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GET <pattern>\r\n"
            ),
            "{b}: {help:?}"
        );
        assert!(help.ends_with("+HELP\r\n+    Prints this help.\r\n"), "{b}: {help:?}");
    });
}

/// COMMAND COUNT, COMMAND LIST and COMMAND (all) agree; COMMAND INFO has
/// Redis 7's ten fields, nil for unknown names, and subcommands for
/// containers.
#[test]
fn command_count_list_info() {
    with_each_backend(|s, b| {
        let mut con = s.client();
        let count: usize = redis::cmd("COMMAND").arg("COUNT").query(&mut con).unwrap();
        let list: Vec<String> = redis::cmd("COMMAND").arg("LIST").query(&mut con).unwrap();
        assert_eq!(list.iter().filter(|n| !n.contains('|')).count(), count, "{b}: {list:?}");
        for name in ["get", "set", "ping", "dbsize", "info", "config", "config|get", "client|list", "command|docs"] {
            assert!(list.iter().any(|n| n == name), "{b}: no {name}");
        }
        let all: Vec<redis::Value> = redis::cmd("COMMAND").query(&mut con).unwrap();
        assert_eq!(all.len(), count, "{b}");

        let mut c = s.raw();
        assert!(c.cmd(&["COMMAND", "INFO", "get"]).starts_with("*1\r\n*10\r\n$3\r\nget\r\n:2\r\n"), "{b}");
        assert!(c.cmd(&["COMMAND", "INFO", "GET"]).starts_with("*1\r\n*10\r\n$3\r\nget\r\n:2\r\n"), "{b}");
        assert_eq!(
            c.cmd(&["COMMAND", "INFO", "dbsize"]),
            "*1\r\n*10\r\n$6\r\ndbsize\r\n:1\r\n*2\r\n+readonly\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@read\r\n+@fast\r\n*0\r\n*0\r\n*0\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["COMMAND", "INFO", "nosuch"]), "*1\r\n$-1\r\n", "{b}");
        let config = c.cmd(&["COMMAND", "INFO", "config", "nosuch"]);
        assert!(
            config.starts_with(
                "*2\r\n*10\r\n$6\r\nconfig\r\n:-2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*1\r\n+@slow\r\n*0\r\n*0\r\n*5\r\n"
            ),
            "{b}: {config:?}"
        );
        assert!(
            config.contains("*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n"),
            "{b}: {config:?}"
        );
        assert!(config.ends_with("$-1\r\n"), "{b}");
        assert!(
            c.cmd(&["COMMAND", "INFO", "client|setname"]).starts_with("*1\r\n*10\r\n$14\r\nclient|setname\r\n:3\r\n"),
            "{b}"
        );
        // The first key is found by index, the rest as a range.
        let get = c.cmd(&["COMMAND", "INFO", "get"]);
        assert!(
            get.contains(
                "$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n"
            ),
            "{b}: {get:?}"
        );

        assert_eq!(
            c.cmd(&["COMMAND", "COUNT", "x"]),
            "-ERR wrong number of arguments for 'command|count' command\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["COMMAND", "nosuch"]), "-ERR unknown subcommand 'nosuch'. Try COMMAND HELP.\r\n", "{b}");
        assert_eq!(
            c.cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "config*"]),
            "*6\r\n$6\r\nconfig\r\n$10\r\nconfig|get\r\n$11\r\nconfig|help\r\n$16\r\nconfig|resetstat\r\n$14\r\nconfig|rewrite\r\n$10\r\nconfig|set\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["COMMAND", "LIST", "FILTERBY", "MODULE", "x"]), "*0\r\n", "{b}");
        assert_eq!(c.cmd(&["COMMAND", "LIST", "x"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(c.cmd(&["COMMAND", "LIST", "FILTERBY", "x"]), "-ERR syntax error\r\n", "{b}");
        assert!(
            c.cmd(&["COMMAND", "HELP"])
                .starts_with("*19\r\n+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"),
            "{b}"
        );
    });
}

/// COMMAND DOCS maps each name to its summary, since and group (and its
/// subcommands' docs); unknown names are left out. COMMAND GETKEYS finds keys.
#[test]
fn command_docs_and_getkeys() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(
            c.cmd(&["COMMAND", "DOCS", "dbsize", "nosuch"]),
            "*2\r\n$6\r\ndbsize\r\n*6\r\n$7\r\nsummary\r\n$43\r\nReturns the number of keys in the database.\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nserver\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["COMMAND", "DOCS", "nosuch"]), "*0\r\n", "{b}");
        let config = c.cmd(&["COMMAND", "DOCS", "config"]);
        assert!(config.starts_with("*2\r\n$6\r\nconfig\r\n*8\r\n$7\r\nsummary\r\n"), "{b}: {config:?}");
        assert!(
            config.contains("$11\r\nsubcommands\r\n*10\r\n$10\r\nconfig|get\r\n*4\r\n$7\r\nsummary\r\n"),
            "{b}: {config:?}"
        );
        let mut con = s.client();
        let docs: redis::Value = redis::cmd("COMMAND").arg("DOCS").query(&mut con).unwrap();
        let entries = match docs {
            redis::Value::Array(items) => items.len() / 2,
            redis::Value::Map(items) => items.len(),
            other => panic!("{b}: {other:?}"),
        };
        let count: usize = redis::cmd("COMMAND").arg("COUNT").query(&mut con).unwrap();
        assert_eq!(entries, count, "{b}");

        assert_eq!(c.cmd(&["COMMAND", "GETKEYS", "GET", "k"]), "*1\r\n$1\r\nk\r\n", "{b}");
        assert_eq!(c.cmd(&["COMMAND", "GETKEYS", "nosuch", "k"]), "-ERR Invalid command specified\r\n", "{b}");
        assert_eq!(
            c.cmd(&["COMMAND", "GETKEYS", "get", "a", "b"]),
            "-ERR Invalid number of arguments specified for command\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["COMMAND", "GETKEYS", "ping", "x"]), "-ERR The command has no key arguments\r\n", "{b}");
        assert_eq!(
            c.cmd(&["COMMAND", "GETKEYS", "get"]),
            "-ERR wrong number of arguments for 'command|getkeys' command\r\n",
            "{b}"
        );
    });
}

/// CLIENT ID, SETNAME, GETNAME and SETINFO act on the caller; errors word
/// for word.
#[test]
fn client_identity() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let id = c.cmd(&["CLIENT", "ID"]);
        assert!(id.starts_with(':') && id[1..id.len() - 2].parse::<u64>().unwrap() >= 1, "{b}: {id:?}");
        assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "$-1\r\n", "{b}");
        assert_eq!(c.cmd(&["CLIENT", "SETNAME", "alice"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["client", "getname"]), "$5\r\nalice\r\n", "{b}");
        let bad = "-ERR Client names cannot contain spaces, newlines or special characters.\r\n";
        assert_eq!(c.cmd(&["CLIENT", "SETNAME", "a b"]), bad, "{b}");
        assert_eq!(c.cmd(&["CLIENT", "SETNAME", "a\nb"]), bad, "{b}");
        assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "$5\r\nalice\r\n", "{b}: a refused name changes nothing");
        assert_eq!(c.cmd(&["CLIENT", "SETNAME", ""]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "$-1\r\n", "{b}: an empty name clears it");

        assert_eq!(c.cmd(&["CLIENT", "SETINFO", "LIB-NAME", "mylib"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["CLIENT", "SETINFO", "lib-ver", "1.2.3"]), "+OK\r\n", "{b}");
        assert!(body(&c.cmd(&["CLIENT", "INFO"])).ends_with(" lib-name=mylib lib-ver=1.2.3\n"), "{b}");
        assert_eq!(c.cmd(&["CLIENT", "SETINFO", "lib-ver", ""]), "+OK\r\n", "{b}");
        assert!(body(&c.cmd(&["CLIENT", "INFO"])).ends_with(" lib-name=mylib lib-ver=\n"), "{b}");
        assert_eq!(c.cmd(&["CLIENT", "SETINFO", "foo", "x"]), "-ERR Unrecognized option 'foo'\r\n", "{b}");
        assert_eq!(
            c.cmd(&["CLIENT", "SETINFO", "lib-name", "a b"]),
            "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n",
            "{b}"
        );
        assert_eq!(
            c.cmd(&["CLIENT", "SETINFO", "lib-name"]),
            "-ERR wrong number of arguments for 'client|setinfo' command\r\n",
            "{b}"
        );

        assert_eq!(
            c.cmd(&["CLIENT", "SETNAME"]),
            "-ERR wrong number of arguments for 'client|setname' command\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["CLIENT", "ID", "x"]), "-ERR wrong number of arguments for 'client|id' command\r\n", "{b}");
        assert_eq!(c.cmd(&["CLIENT", "xyz"]), "-ERR unknown subcommand 'xyz'. Try CLIENT HELP.\r\n", "{b}");
        assert_eq!(c.cmd(&["CLIENT"]), "-ERR wrong number of arguments for 'client' command\r\n", "{b}");
        let help = c.cmd(&["CLIENT", "HELP"]);
        assert!(
            help.starts_with("*35\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GETNAME\r\n"),
            "{b}: {help:?}"
        );
        assert!(help.ends_with("+HELP\r\n+    Prints this help.\r\n"), "{b}: {help:?}");
    });
}

/// CLIENT LIST shows every client, one line each with Redis 7.2's fields in
/// order, names and last commands included; TYPE and ID filter it.
#[test]
fn client_list_two_clients() {
    with_each_backend(|s, b| {
        let mut alice = s.raw();
        let mut bob = s.raw();
        assert_eq!(alice.cmd(&["CLIENT", "SETNAME", "alice"]), "+OK\r\n", "{b}");
        assert_eq!(bob.cmd(&["CLIENT", "SETNAME", "bob"]), "+OK\r\n", "{b}");
        assert_eq!(bob.cmd(&["SELECT", "3"]), "+OK\r\n", "{b}");
        let alice_id = alice.cmd(&["CLIENT", "ID"]).trim_start_matches(':').trim_end().to_string();
        let bob_id = bob.cmd(&["CLIENT", "ID"]).trim_start_matches(':').trim_end().to_string();

        let list = body(&alice.cmd(&["CLIENT", "LIST"]));
        assert!(list.ends_with('\n'), "{b}");
        let lines: Vec<&str> = list.lines().collect();
        assert_eq!(lines.len(), 2, "{b}: {list:?}");
        let expected_fields = [
            "id",
            "addr",
            "laddr",
            "fd",
            "name",
            "age",
            "idle",
            "flags",
            "db",
            "sub",
            "psub",
            "ssub",
            "multi",
            "qbuf",
            "qbuf-free",
            "argv-mem",
            "multi-mem",
            "rbs",
            "rbp",
            "obl",
            "oll",
            "omem",
            "tot-mem",
            "events",
            "cmd",
            "user",
            "redir",
            "resp",
            "lib-name",
            "lib-ver",
        ];
        for line in &lines {
            assert_eq!(field_names(line), expected_fields, "{b}: {line}");
            assert!(line.contains(&format!(" laddr={} ", s.addr)), "{b}: {line}");
            assert!(
                line.contains(" flags=N ") && line.contains(" user=default ") && line.contains(" resp=2 "),
                "{b}: {line}"
            );
        }
        let a = lines.iter().find(|l| l.starts_with(&format!("id={alice_id} "))).expect("alice listed");
        let bl = lines.iter().find(|l| l.starts_with(&format!("id={bob_id} "))).expect("bob listed");
        assert!(
            a.contains(" name=alice ")
                && a.contains(" db=0 ")
                && a.contains(" idle=0 ")
                && a.contains(" cmd=client|list "),
            "{b}: {a}"
        );
        assert!(bl.contains(" name=bob ") && bl.contains(" db=3 ") && bl.contains(" cmd=client|id "), "{b}: {bl}");

        let info = body(&alice.cmd(&["CLIENT", "INFO"]));
        assert!(info.starts_with(&format!("id={alice_id} addr=")) && info.ends_with(" lib-ver=\n"), "{b}: {info:?}");
        assert!(info.contains(" name=alice ") && info.contains(" cmd=client|info "), "{b}: {info:?}");
        assert_eq!(info.lines().count(), 1, "{b}");

        let only_bob = body(&alice.cmd(&["CLIENT", "LIST", "ID", &bob_id, "999999"]));
        assert!(only_bob.starts_with(&format!("id={bob_id} ")) && only_bob.lines().count() == 1, "{b}: {only_bob:?}");
        assert_eq!(body(&alice.cmd(&["CLIENT", "LIST", "TYPE", "normal"])).lines().count(), 2, "{b}");
        assert_eq!(alice.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]), "$0\r\n\r\n", "{b}");
        assert_eq!(alice.cmd(&["CLIENT", "LIST", "TYPE", "foo"]), "-ERR Unknown client type 'foo'\r\n", "{b}");
        assert_eq!(alice.cmd(&["CLIENT", "LIST", "ID", "x"]), "-ERR Invalid client ID\r\n", "{b}");
        assert_eq!(alice.cmd(&["CLIENT", "LIST", "ID"]), "-ERR syntax error\r\n", "{b}");
        assert_eq!(alice.cmd(&["CLIENT", "LIST", "foo"]), "-ERR syntax error\r\n", "{b}");
    });
}

/// The redis crate parses INFO into an InfoDict and CONFIG GET into a map;
/// its connection handshake (CLIENT SETINFO) shows in CLIENT LIST.
#[test]
fn redis_crate_reads_info_and_config() {
    with_each_backend(|s, b| {
        let mut con = s.client();
        let info: redis::InfoDict = redis::cmd("INFO").query(&mut con).unwrap();
        assert_eq!(info.get::<String>("redis_version").as_deref(), Some("7.2.4"), "{b}");
        assert_eq!(info.get::<String>("convoy_backend").as_deref(), Some(b), "{b}");
        assert_eq!(info.get::<i64>("connected_clients"), Some(1), "{b}");
        assert_eq!(info.get::<String>("role").as_deref(), Some("master"), "{b}");
        assert_eq!(info.get::<i64>("loading"), Some(0), "{b}");

        let config: std::collections::HashMap<String, String> =
            redis::cmd("CONFIG").arg("GET").arg("save").arg("appendonly").query(&mut con).unwrap();
        assert_eq!(config.get("save").map(String::as_str), Some(""), "{b}");
        assert_eq!(config.get("appendonly").map(String::as_str), Some("no"), "{b}");

        let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut con).unwrap();
        assert!(list.contains(" lib-name=redis-rs lib-ver="), "{b}: {list}");
        let time: (String, String) = redis::cmd("TIME").query(&mut con).unwrap();
        assert!(time.0.parse::<u64>().is_ok() && time.1.parse::<u64>().is_ok(), "{b}");
    });
}

/// In RESP3, CONFIG GET replies with a map, INFO and CLIENT LIST/INFO with
/// verbatim strings, and COMMAND INFO flags with sets.
#[test]
fn resp3_types() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert!(c.cmd(&["HELLO", "3"]).starts_with('%'), "{b}");
        assert_eq!(c.cmd(&["CONFIG", "GET", "hz"]), "%1\r\n$2\r\nhz\r\n$2\r\n10\r\n", "{b}");
        assert_eq!(c.cmd(&["CONFIG", "GET", "nosuch"]), "%0\r\n", "{b}");
        assert_eq!(c.cmd(&["INFO", "keyspace"]), "=16\r\ntxt:# Keyspace\r\n\r\n", "{b}");
        assert_eq!(c.cmd(&["INFO", "nosuch"]), "=4\r\ntxt:\r\n", "{b}");
        assert!(c.cmd(&["INFO"]).starts_with("="), "{b}");
        let info = c.cmd(&["CLIENT", "INFO"]);
        assert!(info.starts_with('=') && body(&info).contains(" resp=3 "), "{b}: {info:?}");
        assert!(c.cmd(&["CLIENT", "LIST"]).starts_with('='), "{b}");
        assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "_\r\n", "{b}");
        assert_eq!(c.cmd(&["COMMAND", "INFO", "nosuch"]), "*1\r\n_\r\n", "{b}");
        assert!(
            c.cmd(&["COMMAND", "INFO", "dbsize"])
                .starts_with("*1\r\n*10\r\n$6\r\ndbsize\r\n:1\r\n~2\r\n+readonly\r\n+fast\r\n"),
            "{b}"
        );
        assert!(c.cmd(&["COMMAND", "DOCS", "dbsize"]).starts_with("%1\r\n$6\r\ndbsize\r\n%3\r\n"), "{b}");
    });
}

/// Regressions found by .ci/differential.sh against real Redis: CLIENT LIST
/// has no `watch` field (Redis 7.4 added it; convoy reports 7.2), INFO stats
/// names `pubsubshard_channels`, and ECHO and QUIT carry Redis's flags.
#[test]
fn differential_regressions_client_info_flags() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let info = body(&c.cmd(&["CLIENT", "INFO"]));
        assert!(info.contains(" multi=-1 qbuf=0 ") && !info.contains("watch="), "{b}: {info:?}");
        let stats = body(&c.cmd(&["INFO", "stats"]));
        assert_eq!(info_field(&stats, "pubsubshard_channels").as_deref(), Some("0"), "{b}: {stats:?}");
        assert_eq!(info_field(&stats, "pubsub_shardchannels"), None, "{b}");
        assert_eq!(
            c.cmd(&["COMMAND", "INFO", "echo", "quit"]),
            "*2\r\n\
             *10\r\n$4\r\necho\r\n:2\r\n*3\r\n+loading\r\n+stale\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n\
             *10\r\n$4\r\nquit\r\n:-1\r\n*6\r\n+noscript\r\n+loading\r\n+stale\r\n+fast\r\n+no_auth\r\n+allow_busy\r\n:0\r\n:0\r\n:0\r\n\
             *2\r\n+@fast\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n",
            "{b}"
        );
    });
}

/// Regression found by .ci/differential.sh: in RESP3 Redis writes COMMAND
/// INFO's key specs as a set, and an empty subcommand list as a set too
/// (`~0`); a container's subcommands stay an array.
#[test]
fn differential_regressions_command_info_resp3_sets() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert!(c.cmd(&["HELLO", "3"]).starts_with('%'), "{b}");
        assert_eq!(
            c.cmd(&["COMMAND", "INFO", "get"]),
            "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n\
             ~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n\
             $9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n",
            "{b}"
        );
        let config = c.cmd(&["COMMAND", "INFO", "config"]);
        assert!(config.contains("~0\r\n~0\r\n*5\r\n*10\r\n$10\r\nconfig|get\r\n"), "{b}: {config:?}");
    });
}

/// CLIENT LIST reports subscriptions, open transactions and blocked
/// clients in `flags`, `sub`, `psub` and `multi`, as Redis does.
#[test]
fn client_list_shows_client_state() {
    with_each_backend(|s, b| {
        let mut sub = s.raw();
        sub.cmd(&["CLIENT", "SETNAME", "subscriber"]);
        sub.send(&encode_cmd(&[b"SUBSCRIBE", b"a", b"b"]));
        sub.reply();
        sub.reply();
        sub.cmd(&["PSUBSCRIBE", "n*"]);
        let mut tx = s.raw();
        tx.cmd(&["CLIENT", "SETNAME", "transaction"]);
        tx.cmd(&["MULTI"]);
        tx.cmd(&["SET", "k", "v"]);
        tx.cmd(&["INCR", "n"]);
        let mut blocked = s.raw();
        blocked.cmd(&["CLIENT", "SETNAME", "blocked"]);
        blocked.send(&encode_cmd(&[b"BLPOP", b"nothing", b"0"]));
        let mut admin = s.raw();
        let line = |admin: &mut Raw, name: &str| -> String {
            let list = admin.cmd(&["CLIENT", "LIST"]);
            list.lines().find(|l| l.contains(&format!(" name={name} "))).unwrap_or_default().to_string()
        };
        assert!(eventually(Duration::from_secs(5), || line(&mut admin, "blocked").contains(" flags=b ")), "{b}");
        let l = line(&mut admin, "subscriber");
        assert!(l.contains(" flags=P ") && l.contains(" sub=2 psub=1 ssub=0 multi=-1 "), "{b}: {l}");
        let l = line(&mut admin, "transaction");
        assert!(l.contains(" flags=x ") && l.contains(" sub=0 psub=0 ssub=0 multi=2 "), "{b}: {l}");
        let mine = admin.cmd(&["CLIENT", "INFO"]);
        assert!(mine.contains(" flags=N ") && mine.contains(" multi=-1 "), "{b}: {mine}");
        admin.cmd(&["RPUSH", "nothing", "x"]);
        assert_eq!(blocked.reply(), "*2\r\n$7\r\nnothing\r\n$1\r\nx\r\n", "{b}");
        assert!(eventually(Duration::from_secs(5), || line(&mut admin, "blocked").contains(" flags=N ")), "{b}");
    });
}
