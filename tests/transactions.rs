//! Transactions on every backend: MULTI/EXEC/DISCARD semantics and error
//! replies, WATCH (changes by any client, expiry, FLUSHDB), and isolation
//! under concurrent clients.

mod common;
use common::*;
use std::time::Duration;

/// Queued commands reply QUEUED; EXEC replies with every result in order.
#[test]
fn multi_exec_basics() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["SET", "k", "1"]), "+QUEUED\r\n", "{b}");
        assert_eq!(c.cmd(&["INCR", "k"]), "+QUEUED\r\n", "{b}");
        assert_eq!(c.cmd(&["GET", "k"]), "+QUEUED\r\n", "{b}");
        assert_eq!(c.cmd(&["EXEC"]), "*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n", "{b}");
        // An empty transaction.
        assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["EXEC"]), "*0\r\n", "{b}");
        // A run-time error inside EXEC does not stop the others.
        c.cmd(&["SET", "s", "abc"]);
        c.cmd(&["MULTI"]);
        c.cmd(&["INCR", "s"]);
        c.cmd(&["SET", "t", "x"]);
        assert_eq!(c.cmd(&["EXEC"]), "*2\r\n-ERR value is not an integer or out of range\r\n+OK\r\n", "{b}");
        // SELECT inside a transaction applies to what follows it.
        c.cmd(&["MULTI"]);
        c.cmd(&["SELECT", "1"]);
        c.cmd(&["SET", "in1", "v"]);
        assert_eq!(c.cmd(&["EXEC"]), "*2\r\n+OK\r\n+OK\r\n", "{b}");
        assert_eq!(c.cmd(&["GET", "in1"]), "$1\r\nv\r\n", "{b}");
    });
}

/// Misuse gets Redis's exact errors; a refused command aborts the queue.
#[test]
fn transaction_errors() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["EXEC"]), "-ERR EXEC without MULTI\r\n", "{b}");
        assert_eq!(c.cmd(&["DISCARD"]), "-ERR DISCARD without MULTI\r\n", "{b}");
        c.cmd(&["MULTI"]);
        assert_eq!(c.cmd(&["MULTI"]), "-ERR MULTI calls can not be nested\r\n", "{b}");
        assert_eq!(c.cmd(&["WATCH", "x"]), "-ERR WATCH inside MULTI is not allowed\r\n", "{b}");
        assert_eq!(c.cmd(&["DISCARD"]), "+OK\r\n", "{b}");
        // Unknown command and wrong arity while queueing abort EXEC.
        c.cmd(&["MULTI"]);
        c.cmd(&["SET", "never", "1"]);
        assert!(c.cmd(&["NOSUCHCOMMAND"]).starts_with("-ERR unknown command"), "{b}");
        assert_eq!(c.cmd(&["EXEC"]), "-EXECABORT Transaction discarded because of previous errors.\r\n", "{b}");
        c.cmd(&["MULTI"]);
        assert_eq!(c.cmd(&["GET"]), "-ERR wrong number of arguments for 'get' command\r\n", "{b}");
        assert_eq!(c.cmd(&["EXEC"]), "-EXECABORT Transaction discarded because of previous errors.\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "never"]), ":0\r\n", "{b}");
        // DISCARD throws the queue away.
        c.cmd(&["MULTI"]);
        c.cmd(&["SET", "discarded", "1"]);
        c.cmd(&["DISCARD"]);
        assert_eq!(c.cmd(&["EXISTS", "discarded"]), ":0\r\n", "{b}");
    });
}

/// A watched key changed by another client makes EXEC fail with a null
/// reply; unchanged, or after UNWATCH, EXEC runs.
#[test]
fn watch_detects_other_clients_writes() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        let mut other = s.raw();
        c.cmd(&["SET", "w", "1"]);
        assert_eq!(c.cmd(&["WATCH", "w"]), "+OK\r\n", "{b}");
        other.cmd(&["SET", "w", "2"]);
        c.cmd(&["MULTI"]);
        c.cmd(&["SET", "w", "3"]);
        assert_eq!(c.cmd(&["EXEC"]), "*-1\r\n", "{b}");
        assert_eq!(c.cmd(&["GET", "w"]), "$1\r\n2\r\n", "{b}");
        // After a failed EXEC nothing is watched any more.
        other.cmd(&["SET", "w", "4"]);
        c.cmd(&["MULTI"]);
        c.cmd(&["SET", "w", "5"]);
        assert_eq!(c.cmd(&["EXEC"]), "*1\r\n+OK\r\n", "{b}");
        // Untouched: runs.
        c.cmd(&["WATCH", "w", "missing"]);
        c.cmd(&["MULTI"]);
        c.cmd(&["INCR", "w"]);
        assert_eq!(c.cmd(&["EXEC"]), "*1\r\n:6\r\n", "{b}");
        // Deleting a watched key that is missing changes nothing: EXEC
        // runs (as in Redis 7.0.15, checked by hand); deleting one that is
        // there is a change.
        c.cmd(&["WATCH", "missing"]);
        assert_eq!(other.cmd(&["DEL", "missing"]), ":0\r\n", "{b}");
        c.cmd(&["MULTI"]);
        c.cmd(&["PING"]);
        assert_eq!(c.cmd(&["EXEC"]), "*1\r\n+PONG\r\n", "{b}: DEL of a missing key is no change");
        c.cmd(&["SET", "doomed", "1"]);
        c.cmd(&["WATCH", "doomed"]);
        assert_eq!(other.cmd(&["DEL", "doomed"]), ":1\r\n", "{b}");
        c.cmd(&["MULTI"]);
        c.cmd(&["PING"]);
        assert_eq!(c.cmd(&["EXEC"]), "*-1\r\n", "{b}: DEL of a watched key is a change");
        // Creating a watched missing key counts as a change.
        c.cmd(&["WATCH", "missing"]);
        other.cmd(&["SET", "missing", "now"]);
        c.cmd(&["MULTI"]);
        c.cmd(&["PING"]);
        assert_eq!(c.cmd(&["EXEC"]), "*-1\r\n", "{b}");
        // UNWATCH forgets.
        c.cmd(&["WATCH", "w"]);
        other.cmd(&["DEL", "w"]);
        assert_eq!(c.cmd(&["UNWATCH"]), "+OK\r\n", "{b}");
        c.cmd(&["MULTI"]);
        c.cmd(&["PING"]);
        assert_eq!(c.cmd(&["EXEC"]), "*1\r\n+PONG\r\n", "{b}");
        // The client's own writes before MULTI count too, as in Redis.
        c.cmd(&["WATCH", "w"]);
        c.cmd(&["SET", "w", "mine"]);
        c.cmd(&["MULTI"]);
        c.cmd(&["PING"]);
        assert_eq!(c.cmd(&["EXEC"]), "*-1\r\n", "{b}");
        // In RESP3 the failed EXEC is a null.
        c.cmd(&["HELLO", "3"]);
        c.cmd(&["WATCH", "w"]);
        other.cmd(&["SET", "w", "x"]);
        c.cmd(&["MULTI"]);
        c.cmd(&["PING"]);
        assert_eq!(c.cmd(&["EXEC"]), "_\r\n", "{b}");
    });
}

/// A watched key that expires before EXEC counts as changed; one that had
/// already expired when WATCHed does not. FLUSHDB changes watched keys.
#[test]
fn watch_and_expiry_and_flush() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["SET", "e", "1", "PX", "100"]);
        c.cmd(&["WATCH", "e"]);
        let mut probe = s.raw();
        assert!(eventually(Duration::from_secs(5), || probe.cmd(&["PTTL", "e"]) == ":-2\r\n"), "{b}");
        c.cmd(&["MULTI"]);
        c.cmd(&["PING"]);
        assert_eq!(c.cmd(&["EXEC"]), "*-1\r\n", "{b}: expiry after WATCH must fail EXEC");

        c.cmd(&["SET", "gone", "1", "PX", "1"]);
        assert!(eventually(Duration::from_secs(5), || probe.cmd(&["EXISTS", "gone"]) == ":0\r\n"), "{b}");
        c.cmd(&["WATCH", "gone"]);
        c.cmd(&["MULTI"]);
        c.cmd(&["PING"]);
        assert_eq!(c.cmd(&["EXEC"]), "*1\r\n+PONG\r\n", "{b}: expired before WATCH is no change");

        c.cmd(&["SET", "f", "1"]);
        c.cmd(&["WATCH", "f"]);
        probe.cmd(&["FLUSHDB"]);
        c.cmd(&["MULTI"]);
        c.cmd(&["PING"]);
        assert_eq!(c.cmd(&["EXEC"]), "*-1\r\n", "{b}: FLUSHDB touches watched keys");
    });
}

/// Transfers between two accounts from several clients, while others read
/// both balances inside MULTI: every read sees the same total. Each
/// transfer moves its amount one unit at a time (20 commands), so a
/// transaction that let others in would be seen half done. (Checked: with
/// EXEC's exclusive gate removed, this test fails.)
#[test]
fn transactions_are_isolated() {
    with_each_backend(|s, b| {
        let mut setup = s.raw();
        setup.cmd(&["SET", "acct:a", "1000"]);
        setup.cmd(&["SET", "acct:b", "1000"]);
        std::thread::scope(|scope| {
            for t in 0..4 {
                let addr = s.addr;
                scope.spawn(move || {
                    let mut c = Raw::connect(addr);
                    for i in 0..100 {
                        let (from, to) = if (i + t) % 2 == 0 { ("acct:a", "acct:b") } else { ("acct:b", "acct:a") };
                        let mut batch = encode_cmd(&[b"MULTI"]);
                        for _ in 0..10 {
                            batch.extend(encode_cmd(&[b"DECRBY", from.as_bytes(), b"1"]));
                        }
                        for _ in 0..10 {
                            batch.extend(encode_cmd(&[b"INCRBY", to.as_bytes(), b"1"]));
                        }
                        batch.extend(encode_cmd(&[b"EXEC"]));
                        c.send(&batch);
                        for _ in 0..21 {
                            c.reply();
                        }
                        let r = c.reply();
                        assert!(r.starts_with("*20\r\n:"), "{b}: {r}");
                    }
                });
            }
            for _ in 0..2 {
                let addr = s.addr;
                scope.spawn(move || {
                    let mut c = Raw::connect(addr);
                    for _ in 0..500 {
                        c.cmd(&["MULTI"]);
                        c.cmd(&["GET", "acct:a"]);
                        c.cmd(&["GET", "acct:b"]);
                        let r = c.cmd(&["EXEC"]);
                        let nums: Vec<i64> = r.split("\r\n").filter_map(|l| l.parse().ok()).collect();
                        assert_eq!(nums.len(), 2, "{b}: {r}");
                        assert_eq!(nums[0] + nums[1], 2000, "{b}: torn read {r}");
                    }
                });
            }
        });
    });
}

/// WATCH-based optimistic increments from several clients lose nothing:
/// each client retries until its EXEC succeeds.
#[test]
fn watch_retry_loop_loses_nothing() {
    with_each_backend(|s, b| {
        s.raw().cmd(&["SET", "counter", "0"]);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                let addr = s.addr;
                scope.spawn(move || {
                    let mut c = Raw::connect(addr);
                    for _ in 0..50 {
                        loop {
                            c.cmd(&["WATCH", "counter"]);
                            let v: i64 = c.cmd(&["GET", "counter"]).split("\r\n").nth(1).unwrap().parse().unwrap();
                            c.cmd(&["MULTI"]);
                            c.cmd(&["SET", "counter", &(v + 1).to_string()]);
                            if c.cmd(&["EXEC"]) != "*-1\r\n" {
                                break;
                            }
                        }
                    }
                });
            }
        });
        assert_eq!(s.raw().cmd(&["GET", "counter"]), "$3\r\n200\r\n", "{b}");
    });
}

/// The naive gate (`--gate rwlock`, one global RwLock) gives the same
/// isolation as the default; checked on one lock-free and one locked map.
#[test]
fn rwlock_gate_is_isolated_too() {
    for backend in [convoy::config::Backend::Papaya, convoy::config::Backend::Dashmap] {
        let s = TestServer::start_with(backend, |c| c.gate = convoy::keyspace::gate::GateMode::Rwlock);
        let mut setup = s.raw();
        setup.cmd(&["SET", "x", "0"]);
        setup.cmd(&["SET", "y", "0"]);
        std::thread::scope(|scope| {
            let addr = s.addr;
            scope.spawn(move || {
                let mut c = Raw::connect(addr);
                for _ in 0..200 {
                    let mut batch = encode_cmd(&[b"MULTI"]);
                    for _ in 0..5 {
                        batch.extend(encode_cmd(&[b"INCR", b"x"]));
                        batch.extend(encode_cmd(&[b"INCR", b"y"]));
                    }
                    batch.extend(encode_cmd(&[b"EXEC"]));
                    c.send(&batch);
                    for _ in 0..12 {
                        c.reply();
                    }
                }
            });
            scope.spawn(move || {
                let mut c = Raw::connect(addr);
                for _ in 0..300 {
                    c.cmd(&["MULTI"]);
                    c.cmd(&["GET", "x"]);
                    c.cmd(&["GET", "y"]);
                    let r = c.cmd(&["EXEC"]);
                    let nums: Vec<i64> = r.split("\r\n").filter_map(|l| l.parse().ok()).collect();
                    assert_eq!(nums[0], nums[1], "{}: torn read {r}", backend.name());
                }
            });
        });
    }
}

/// Blocking commands inside EXEC do not block: they reply as if their
/// timeout had passed (BLPOP a null array, BLMOVE a null bulk), as Redis.
#[test]
fn blocking_commands_inside_exec_do_not_block() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["MULTI"]);
        c.cmd(&["BLPOP", "empty", "0"]);
        c.cmd(&["BLMOVE", "empty", "dst", "LEFT", "LEFT", "0"]);
        c.cmd(&["BZPOPMIN", "empty", "0"]);
        c.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "nostream", "$"]);
        c.cmd(&["RPUSH", "full", "x"]);
        c.cmd(&["BLPOP", "full", "0"]);
        assert_eq!(c.cmd(&["EXEC"]), "*6\r\n*-1\r\n$-1\r\n*-1\r\n*-1\r\n:1\r\n*2\r\n$4\r\nfull\r\n$1\r\nx\r\n", "{b}");
        assert!(c.cmd(&["INFO", "clients"]).contains("blocked_clients:0"), "{b}");
    });
}

/// EXEC with arguments is refused with EXECABORT and discards an open
/// transaction, as Redis's execCommandAbort does.
#[test]
fn exec_with_arguments_aborts() {
    with_each_backend(|s, b| {
        let mut c = s.raw();
        c.cmd(&["MULTI"]);
        c.cmd(&["SET", "k", "v"]);
        assert_eq!(
            c.cmd(&["EXEC", "x"]),
            "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n",
            "{b}"
        );
        assert_eq!(c.cmd(&["EXEC"]), "-ERR EXEC without MULTI\r\n", "{b}");
        assert_eq!(c.cmd(&["EXISTS", "k"]), ":0\r\n", "{b}");
    });
}
