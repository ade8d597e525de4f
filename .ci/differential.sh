#!/usr/bin/env bash
# Differential conformance: real Redis against convoy, every backend in turn.
#
#   .ci/differential.sh [path/to/convoy]     (default: target/debug/convoy)
#
# Builds nothing. Starts redis-server on 17400 (no persistence) and, for each
# backend, convoy on 17401; runs .ci/differential.py against the pair; stops
# every process it started by its pid, whatever happens. Both servers run in
# the same directory so that CONFIG GET dir agrees. Exits non-zero if any
# backend has a mismatch.
set -euo pipefail
BIN=$(realpath "${1:-target/debug/convoy}")
HERE=$(cd "$(dirname "$0")" && pwd)
REDIS_PORT=17400
CONVOY_PORT=17401
WORK=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"

port_free() {  # port: nothing may answer there yet (a stale server would be tested instead)
  if redis-cli -p "$1" PING >/dev/null 2>&1; then
    echo "port $1 is already in use" >&2
    return 1
  fi
}

wait_ready() {  # port pid
  for _ in $(seq 1 100); do
    redis-cli -p "$1" PING 2>/dev/null | grep -q PONG && return 0
    kill -0 "$2" 2>/dev/null || { echo "server on port $1 exited early" >&2; return 1; }
    sleep 0.05
  done
  echo "server on port $1 did not answer" >&2
  return 1
}

port_free "$REDIS_PORT"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >"$WORK/redis.log" 2>&1 &
redis_pid=$!
pids+=("$redis_pid")
wait_ready "$REDIS_PORT" "$redis_pid"

failed=()
for backend in mutex rwlock dashmap scc flurry papaya lockfree; do
  port_free "$CONVOY_PORT"
  "$BIN" --backend "$backend" --port "$CONVOY_PORT" >"$WORK/convoy-$backend.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  wait_ready "$CONVOY_PORT" "$pid"
  if out=$(python3 "$HERE/differential.py" --redis "$REDIS_PORT" --convoy "$CONVOY_PORT"); then
    echo "$backend: $(echo "$out" | tail -n 1)"
  else
    echo "$out" | sed "s/^/$backend: /"
    failed+=("$backend")
  fi
  kill -TERM "$pid"
  wait "$pid" || true
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "differential: mismatches on ${failed[*]}"
  exit 1
fi
echo "differential: every backend matches redis-server $(redis-server --version | grep -o 'v=[0-9.]*')"
