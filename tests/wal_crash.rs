//! Crash durability of the write-ahead log: the real binary, under
//! concurrent writers, killed with SIGKILL at a random moment, restarted on
//! the same directory, then checked: every acknowledged write is there,
//! with its acknowledged value or a later one, and nothing is applied
//! twice. Rounds repeat on one directory, so the log carries every earlier
//! crash's tail. The workload and the checker are in `common/crash.rs`.
//!
//! The default suite runs a few rounds per backend; the `#[ignore]`d
//! `*_long` tests run many (`cargo test --test wal_crash -- --ignored`).

mod common;
#[path = "common/crash.rs"]
mod crash;

use common::TempDir;
use crash::*;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Concurrent writers (connections) in every round.
const WRITERS: usize = 24;
/// An upper bound on each writer's writes per round, far above what a
/// round's kill window lets it do: the kill, not the budget, ends a round.
const MAX_OPS: usize = 100_000;

/// The backends to test (`CONVOY_BACKENDS` narrows them).
fn backends() -> Vec<&'static str> {
    common::backends().into_iter().map(|b| b.name()).collect()
}

/// What a round reports, for the test's output.
fn describe(what: &str, round: usize, r: &Round, restarted: &Server, extra: &str) -> String {
    let log = restarted.stderr();
    let torn = if log.contains("is incomplete") { ", torn tail cut" } else { "" };
    let open_tx = if log.contains("has no EXEC") { ", open transaction cut" } else { "" };
    format!(
        "{what} round {round}: {} acknowledged writes checked, {} in flight, killed after {} ms{torn}{open_tx}{extra}",
        r.acked(),
        r.in_flight(),
        r.elapsed.as_millis()
    )
}

/// Panic with every violation and the restarted server's stderr, if any.
fn assert_clean(what: &str, bad: &[String], restarted: &Server) {
    assert!(
        bad.is_empty(),
        "{what}: {} violations:\n  {}\nstderr of the restarted server:\n{}",
        bad.len(),
        bad.join("\n  "),
        restarted.stderr()
    );
}

/// The kill landed while writes were running, and enough of them were
/// acknowledged for the check to mean something.
fn assert_meaningful(what: &str, r: &Round) {
    assert!(r.cut() > 0, "{what}: the kill came after every writer had stopped");
    assert!(r.acked() >= WRITERS, "{what}: only {} writes acknowledged before the kill", r.acked());
}

/// `rounds` rounds on one directory: writers, SIGKILL after a random delay
/// in `kill_ms`, restart, check. Returns the acknowledged writes checked.
fn crash_rounds(backend: &str, flags: &[&str], rounds: usize, kill_ms: std::ops::Range<u64>) -> usize {
    let dir = TempDir::new(backend);
    let mut model = Model::new(WRITERS);
    let mut server = Server::start(dir.path(), backend, flags);
    let mut checked = 0;
    for round in 1..=rounds {
        let what = format!("{backend} {}", flags.join(" "));
        let r = model.run(server.addr, MAX_OPS, |_| {
            std::thread::sleep(random_ms(kill_ms.clone()));
            server.kill();
        });
        assert_meaningful(&what, &r);
        let restarted = Server::start(dir.path(), backend, flags);
        let bad = model.check(&r, State::read(&mut restarted.conn(), WRITERS));
        eprintln!("{}", describe(&what, round, &r, &restarted, ""));
        assert_clean(&format!("{what} round {round}"), &bad, &restarted);
        checked += r.acked();
        server = restarted;
    }
    checked
}

/// Every backend, `appendfsync always` with group commit: after each
/// SIGKILL at a random moment under 24 writers, every acknowledged write
/// is present (two rounds per backend on one directory).
#[test]
fn always_sigkill_keeps_acknowledged_writes() {
    for backend in backends() {
        crash_rounds(backend, &["--appendfsync", "always"], 2, 60..250);
    }
}

/// The long version: twelve rounds per backend, kill windows up to 1.5 s.
#[test]
#[ignore]
fn always_sigkill_keeps_acknowledged_writes_long() {
    for backend in backends() {
        crash_rounds(backend, &["--appendfsync", "always"], 12, 40..1500);
    }
}

/// The naive mode (`--group-commit no`, each write fsyncs the log itself)
/// keeps every acknowledged write across SIGKILLs too.
#[test]
fn naive_always_sigkill_keeps_acknowledged_writes() {
    // Later kills than with group commit: one fsync per write on two
    // workers acknowledges fewer writes per millisecond.
    crash_rounds("mutex", &["--group-commit", "no", "--appendfsync", "always"], 2, 150..350);
}

/// The naive mode on every backend, many rounds.
#[test]
#[ignore]
fn naive_always_sigkill_keeps_acknowledged_writes_long() {
    for backend in backends() {
        crash_rounds(backend, &["--group-commit", "no", "--appendfsync", "always"], 8, 150..1500);
    }
}

/// `everysec` and `no` acknowledge a write once it is written to the file
/// (not fsynced), which a killed process cannot undo: SIGKILL loses
/// nothing acknowledged.
#[test]
fn everysec_and_no_sigkill_keep_acknowledged_writes() {
    crash_rounds("scc", &["--appendfsync", "everysec"], 2, 60..250);
    crash_rounds("dashmap", &["--appendfsync", "no"], 1, 60..250);
}

/// `everysec` and `no`, every backend, many rounds.
#[test]
#[ignore]
fn everysec_and_no_sigkill_keep_acknowledged_writes_long() {
    for backend in backends() {
        crash_rounds(backend, &["--appendfsync", "everysec"], 8, 40..1500);
        crash_rounds(backend, &["--appendfsync", "no"], 4, 40..1500);
    }
}

/// `everysec`, clean shutdown on `backend`: SIGTERM under running writers
/// keeps every acknowledged write; SIGTERM once the writers stopped keeps
/// exactly what they wrote, down to the last write.
fn sigterm_rounds(backend: &str) {
    let dir = TempDir::new(backend);
    let flags = ["--appendfsync", "everysec"];
    let mut model = Model::new(WRITERS);
    let mut server = Server::start(dir.path(), backend, &flags);

    // SIGTERM while the writers run.
    let mut status = None;
    let r = model.run(server.addr, MAX_OPS, |_| {
        std::thread::sleep(random_ms(60..250));
        status = Some(server.terminate());
    });
    assert!(status.unwrap().success(), "{backend}: exit after SIGTERM: {status:?}\n{}", server.stderr());
    assert!(server.stderr().contains("bye"), "{backend}: {}", server.stderr());
    assert_meaningful(backend, &r);
    let restarted = Server::start(dir.path(), backend, &flags);
    let bad = model.check(&r, State::read(&mut restarted.conn(), WRITERS));
    eprintln!("{}", describe(&format!("{backend} everysec SIGTERM"), 1, &r, &restarted, ""));
    assert_clean(&format!("{backend} everysec, SIGTERM under writes"), &bad, &restarted);
    assert!(!restarted.stderr().contains("is incomplete"), "{backend}: a clean exit left a torn record");
    server = restarted;

    // Writers stop on their own (nothing in flight), then SIGTERM.
    let r = model.run(server.addr, MAX_OPS, |stop| {
        std::thread::sleep(random_ms(60..250));
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(r.in_flight(), 0, "{backend}");
    assert!(r.acked() >= WRITERS, "{backend}: {} writes", r.acked());
    let status = server.terminate();
    assert!(status.success(), "{backend}: {status:?}");
    let restarted = Server::start(dir.path(), backend, &flags);
    // With nothing in flight, the check admits one state only: every
    // counter and list exact, every register at an acknowledged value
    // that no later acknowledged write overwrote.
    let bad = model.check(&r, State::read(&mut restarted.conn(), WRITERS));
    assert_clean(&format!("{backend} everysec, SIGTERM after writes"), &bad, &restarted);
    eprintln!("{backend} everysec clean stop: {} acknowledged writes checked, none in flight", r.acked());
}

/// `everysec`: a SIGTERM under writes, or after them, loses nothing.
#[test]
fn everysec_sigterm_loses_nothing() {
    sigterm_rounds("rwlock");
    sigterm_rounds("papaya");
}

/// The long version: every backend, three times.
#[test]
#[ignore]
fn everysec_sigterm_loses_nothing_long() {
    for backend in backends() {
        for _ in 0..3 {
            sigterm_rounds(backend);
        }
    }
}

/// Keys preloaded so that a rewrite takes a while, even on a fast disk.
const PRELOAD: usize = 30_000;

/// BGREWRITEAOF started under 24 writers, then SIGKILL either while the
/// rewrite runs or just after it switched files: the preloaded keys and
/// every acknowledged write survive, none applied twice. Returns how many
/// rounds killed a rewrite in progress.
fn rewrite_rounds(backend: &str, rounds: usize) -> usize {
    let dir = TempDir::new(&format!("rewrite-{backend}"));
    let flags = ["--appendfsync", "always"];
    let mut model = Model::new(WRITERS);
    let mut server = Server::start(dir.path(), backend, &flags);
    preload(&mut server.conn(), PRELOAD);
    let mut killed_mid_rewrite = 0;
    // How long a rewrite takes, until one is measured.
    let mut estimate_ms = 150;
    for round in 1..=rounds {
        let what = format!("{backend} rewrite");
        let mut control = server.conn();
        let rewrites_before: u64 = info_field(&mut control, "persistence", "aof_rewrites").parse().unwrap();
        let mut during_rewrite = false;
        let mut rewrite_ms = 0;
        let r = model.run(server.addr, MAX_OPS, |_| {
            std::thread::sleep(random_ms(20..80));
            let reply = control.cmd(&["BGREWRITEAOF"]);
            assert_eq!(reply, Value::Status("Background append only file rewriting started".into()), "{what}");
            let started = Instant::now();
            if round % 2 == 1 {
                // Kill at a random moment of the rewrite as long as the
                // last one took (it may have finished by then).
                std::thread::sleep(random_ms(0..estimate_ms));
                during_rewrite = info_field(&mut control, "persistence", "aof_rewrite_in_progress") == "1";
            } else {
                // Kill just after it switched files.
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    let done: u64 = info_field(&mut control, "persistence", "aof_rewrites").parse().unwrap();
                    if done > rewrites_before {
                        break;
                    }
                    assert!(Instant::now() < deadline, "{what}: the rewrite did not finish within 60 s");
                    std::thread::sleep(Duration::from_millis(2));
                }
                rewrite_ms = started.elapsed().as_millis();
                estimate_ms = rewrite_ms as u64 + 1;
                let status = info_field(&mut control, "persistence", "aof_last_bgrewrite_status");
                assert_eq!(status, "ok", "{what}");
                std::thread::sleep(random_ms(0..40));
            }
            server.kill();
        });
        assert_meaningful(&what, &r);
        killed_mid_rewrite += during_rewrite as usize;
        let restarted = Server::start(dir.path(), backend, &flags);
        let mut conn = restarted.conn();
        check_preload(&mut conn, PRELOAD, &what);
        let bad = model.check(&r, State::read(&mut conn, WRITERS));
        let how = if round % 2 == 0 {
            format!(", after the rewrite ({rewrite_ms} ms)")
        } else if during_rewrite {
            ", during the rewrite".to_string()
        } else {
            ", the rewrite had already finished".to_string()
        };
        // The restarted server removed what the killed rewrite left.
        let leftovers = leftover_temp_files(dir.path());
        eprintln!("{}", describe(&what, round, &r, &restarted, &how));
        assert_eq!(leftovers, 0, "{what} round {round}: temp-rewriteaof files left after the restart");
        assert_clean(&format!("{what} round {round}"), &bad, &restarted);
        server = restarted;
    }
    killed_mid_rewrite
}

/// Files a rewrite began and a kill left behind.
fn leftover_temp_files(dir: &std::path::Path) -> usize {
    let entries = std::fs::read_dir(dir).expect("list the directory");
    entries.filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("temp-rewriteaof-")).count()
}

/// Every backend: BGREWRITEAOF under writers, then SIGKILL during the
/// rewrite (odd rounds) or just after it (even rounds).
#[test]
fn rewrite_under_writes_then_sigkill() {
    let mut mid = 0;
    for backend in backends() {
        mid += rewrite_rounds(backend, 2);
    }
    // The kill must have caught a rewrite in progress at least once, or the
    // test only shows the rewritten file is whole.
    assert!(mid > 0, "no round killed the server while a rewrite was in progress");
}

/// The long version: eight rounds per backend.
#[test]
#[ignore]
fn rewrite_under_writes_then_sigkill_long() {
    let mut mid = 0;
    for backend in backends() {
        mid += rewrite_rounds(backend, 8);
    }
    assert!(mid > 0, "no round killed the server while a rewrite was in progress");
}

/// The checker can fail: without the log a restart loses acknowledged
/// writes, and writes added or removed behind the writers' backs are
/// flagged as applied twice or lost.
#[test]
fn checker_flags_lost_and_doubled_writes() {
    // No log: the restarted server is empty.
    let dir = TempDir::new("checker");
    let flags = ["--appendonly", "no"];
    let mut model = Model::new(WRITERS);
    let mut server = Server::start(dir.path(), "mutex", &flags);
    let r = model.run(server.addr, MAX_OPS, |_| {
        std::thread::sleep(Duration::from_millis(100));
        server.kill();
    });
    assert_meaningful("no log", &r);
    let restarted = Server::start(dir.path(), "mutex", &flags);
    let bad = model.check(&r, State::read(&mut restarted.conn(), WRITERS));
    assert!(bad.iter().any(|b| b.contains("is lost")), "{bad:#?}");
    assert!(bad.iter().any(|b| b.starts_with("ctr:")), "{bad:#?}");
    drop(restarted);

    // With the log, then writes lost and doubled behind the checker's back.
    let dir = TempDir::new("checker-log");
    let flags = ["--appendfsync", "always"];
    let mut model = Model::new(WRITERS);
    let mut server = Server::start(dir.path(), "mutex", &flags);
    let r = model.run(server.addr, MAX_OPS, |_| {
        std::thread::sleep(Duration::from_millis(100));
        server.kill();
    });
    assert_meaningful("log", &r);
    let restarted = Server::start(dir.path(), "mutex", &flags);
    let mut conn = restarted.conn();
    let untouched = State::read(&mut conn, WRITERS);
    let bad = model.clone().check(&r, untouched);
    assert!(bad.is_empty(), "the restart as it is passes: {bad:#?}");
    let writer = r
        .logs
        .iter()
        .find(|l| l.ops.iter().any(|s| s.op == Op::SetOwn && s.acked.is_some()))
        .expect("some writer had a SET acknowledged")
        .writer;
    conn.cmd(&["DEL", &format!("w:{writer}")]);
    let list = (0..SHARED_KEYS)
        .find(|k| conn.cmd(&["LLEN", &format!("list:{k}")]) != Value::Int(0))
        .expect("some list has elements");
    let first = conn.cmd(&["LINDEX", &format!("list:{list}"), "0"]).bulk().unwrap();
    let first = String::from_utf8(first).unwrap();
    conn.cmd(&["RPUSH", &format!("list:{list}"), &first]);
    conn.cmd(&["INCRBY", "ctr:0", "1000"]);
    conn.cmd(&["INCRBY", "tx:a", "1000"]);
    let bad = model.check(&r, State::read(&mut conn, WRITERS));
    assert!(bad.iter().any(|b| b.starts_with(&format!("w:{writer} = (nil) as before"))), "{bad:#?}");
    assert!(bad.iter().any(|b| b.starts_with("ctr:0 ")), "{bad:#?}");
    assert!(bad.iter().any(|b| b.starts_with(&format!("list:{list}: "))), "{bad:#?}");
    assert!(bad.iter().any(|b| b.contains("replayed in part")), "{bad:#?}");
    assert_eq!(bad.len(), 5, "w:, ctr:0, list, tx:b = 2 tx:a and tx:a's count: {bad:#?}");
}

/// A transaction whose records straddle a rewrite's switch to the new
/// file stays whole in the new file: after each of many rewrites under
/// writers that only run transactions, the log has no EXEC without its
/// MULTI, and after a restart every acknowledged transaction is there.
/// (`everysec`, so that writers do not wait in step for each fsync and
/// transactions run at any moment of the switch.)
#[test]
fn transactions_straddling_rewrites_stay_whole() {
    for backend in backends() {
        let dir = TempDir::new(&format!("tx-rewrite-{backend}"));
        let flags = ["--appendfsync", "everysec"];
        let mut model = Model::new(WRITERS);
        model.mix = Mix::Transactions;
        let mut server = Server::start(dir.path(), backend, &flags);
        let mut control = server.conn();
        let mut rewrites = 0;
        let r = model.run(server.addr, MAX_OPS, |stop| {
            // At least 20 rewrites (before the fix about one in four
            // straddled a transaction), and at least 400 ms of them.
            let began = Instant::now();
            while rewrites < 20 || began.elapsed() < Duration::from_millis(400) {
                let reply = control.cmd(&["BGREWRITEAOF"]);
                assert_eq!(reply, Value::Status("Background append only file rewriting started".into()));
                let finished = Instant::now() + Duration::from_secs(30);
                while info_field(&mut control, "persistence", "aof_rewrites") == rewrites.to_string() {
                    assert!(Instant::now() < finished, "{backend}: a rewrite did not finish in 30 s");
                    std::thread::sleep(Duration::from_millis(1));
                }
                rewrites += 1;
                // Time for a transaction under way at the switch to end.
                std::thread::sleep(Duration::from_millis(3));
                if let Some(problem) = unbalanced_transaction(dir.path()) {
                    panic!("{backend}, after rewrite {rewrites}: {problem}");
                }
            }
            stop.store(true, Ordering::Relaxed);
        });
        let status = server.terminate();
        assert!(status.success(), "{backend}: {status:?}\n{}", server.stderr());
        let restarted = Server::start(dir.path(), backend, &flags);
        let bad = model.check(&r, State::read(&mut restarted.conn(), WRITERS));
        eprintln!("{backend}: {} transactions checked across {rewrites} rewrites", r.acked());
        assert_clean(backend, &bad, &restarted);
    }
}
