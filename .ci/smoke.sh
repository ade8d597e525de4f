#!/usr/bin/env bash
# Start the convoy binary once per backend on a free loopback port, and
# check it with redis-cli and a short redis-benchmark run. Every server is
# stopped by its pid, whatever happens.
set -euo pipefail
BIN=${1:-target/debug/convoy}
PORT=${SMOKE_PORT:-17379}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

for backend in mutex rwlock dashmap scc flurry papaya; do
  "$BIN" --backend "$backend" --port "$PORT" 2>/tmp/convoy-smoke.log &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 100); do
    redis-cli -p "$PORT" PING 2>/dev/null | grep -q PONG && break
    sleep 0.05
  done
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
  out=$(redis-benchmark -p "$PORT" -t set,get -n 20000 -c 20 -r 1000 --csv)
  set_rps=$(echo "$out" | awk -F'"' '$2 == "SET" {print $4}')
  get_rps=$(echo "$out" | awk -F'"' '$2 == "GET" {print $4}')
  [ -n "$set_rps" ] && [ -n "$get_rps" ] || { echo "$backend: redis-benchmark failed: $out"; exit 1; }
  echo "$backend: redis-benchmark SET $set_rps rps, GET $get_rps rps (debug build: a check, not a measurement)"
  kill -TERM "$pid"
  wait "$pid" || { echo "$backend: non-zero exit after SIGTERM"; exit 1; }
done
echo "smoke: every backend answered redis-cli and redis-benchmark"
