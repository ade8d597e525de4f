#!/usr/bin/env bash
# Start the convoy binary once per backend on a free loopback port, and
# check it with redis-cli and a short run of redis-benchmark's whole
# default suite. Every server is stopped by its pid, whatever happens.
set -euo pipefail
BIN=${1:-target/debug/convoy}
PORT=${SMOKE_PORT:-17379}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
# Wait (up to 5 s) until the server on $PORT answers PING.
wait_ready() {
  for _ in $(seq 1 100); do
    redis-cli -p "$PORT" PING 2>/dev/null | grep -q PONG && return
    sleep 0.05
  done
}

for backend in mutex rwlock dashmap scc flurry papaya lockfree; do
  "$BIN" --backend "$backend" --port "$PORT" 2>/tmp/convoy-smoke.log &
  pid=$!
  pids+=("$pid")
  wait_ready
  cli() { redis-cli -p "$PORT" "$@"; }
  expect() { local want=$1; shift; local got; got=$(cli "$@"); [ "$got" = "$want" ] || { echo "$backend: redis-cli $* -> '$got', want '$want'"; exit 1; }; }
  expect OK SET greeting hello
  expect hello GET greeting
  expect 11 INCRBY counter 11
  expect 1 EXISTS greeting
  expect string TYPE greeting
  expect 2 DBSIZE
  expect OK FLUSHALL
  expect 0 DBSIZE
  # redis-benchmark's whole default suite, briefly (a debug build: this
  # checks that every test completes, it measures nothing).
  out=$(redis-benchmark -p "$PORT" -n 2000 -c 10 -r 1000 --csv)
  tests=$(echo "$out" | awk -F'"' 'NR > 1 && $4 + 0 > 0 {n++} END {print n + 0}')
  [ "$tests" -ge 20 ] || { echo "$backend: redis-benchmark's default suite: only $tests tests completed:"; echo "$out"; exit 1; }
  set_rps=$(echo "$out" | awk -F'"' '$2 == "SET" {print $4}')
  echo "$backend: redis-benchmark default suite: $tests tests completed (SET $set_rps rps, debug build)"
  kill -TERM "$pid"
  wait "$pid" || { echo "$backend: non-zero exit after SIGTERM"; exit 1; }
done
echo "smoke: every backend answered redis-cli and redis-benchmark"

# The write-ahead log with appendfsync always: redis-benchmark writes from
# 20 clients, the server is killed with SIGKILL, and a restart on the same
# directory has every key the benchmark was acknowledged for; then
# `convoy wal inspect` finds the log whole.
WALDIR=$(mktemp -d)
trap 'cleanup; rm -rf "$WALDIR"' EXIT
for backend in mutex papaya lockfree; do
  rm -rf "${WALDIR:?}"/*
  "$BIN" --backend "$backend" --port "$PORT" --appendonly yes --appendfsync always --dir "$WALDIR" 2>/tmp/convoy-smoke.log &
  pid=$!
  pids+=("$pid")
  wait_ready
  redis-benchmark -p "$PORT" -t set,lpush -n 5000 -c 20 -r 1000 -q >/dev/null
  keys=$(redis-cli -p "$PORT" DBSIZE)
  len=$(redis-cli -p "$PORT" LLEN mylist)
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  "$BIN" --backend "$backend" --port "$PORT" --appendonly yes --dir "$WALDIR" 2>/tmp/convoy-smoke.log &
  pid=$!
  pids+=("$pid")
  wait_ready
  [ "$(redis-cli -p "$PORT" DBSIZE)" = "$keys" ] || { echo "$backend: $keys keys before SIGKILL, $(redis-cli -p "$PORT" DBSIZE) after"; exit 1; }
  [ "$(redis-cli -p "$PORT" LLEN mylist)" = "$len" ] || { echo "$backend: list of $len before SIGKILL, not after"; exit 1; }
  kill -TERM "$pid"
  wait "$pid" || { echo "$backend: non-zero exit after SIGTERM"; exit 1; }
  "$BIN" wal inspect --summary "$WALDIR/appendonly.aof" | tail -1
  echo "$backend: appendfsync always: $keys keys and a list of $len survived SIGKILL"
done
