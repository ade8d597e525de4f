#!/usr/bin/env bash
# Rerun the foundation's baseline: redis-benchmark SET/GET against every
# convoy backend and against Redis itself, interleaved (A B C ... A B C) so
# that the machine's drift hits every server alike, reported as medians and
# ratios to Redis.
#
# Needs: redis-server and redis-benchmark (Debian: apt-get install -y
# redis-server), python3, and interleave.py (INTERLEAVE=path; default: the
# team's copy at ../shared/tools/interleave.py).
#
# Usage: papers/00-baseline.sh [rounds]     (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
INTERLEAVE=${INTERLEAVE:-../shared/tools/interleave.py}
OUT=papers/00-baseline
mkdir -p "$OUT"

cargo build --release --quiet
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_ready() { for _ in $(seq 1 200); do redis-cli -p "$1" PING 2>/dev/null | grep -q PONG && return; sleep 0.05; done; echo "port $1 never answered" >&2; exit 1; }

servers=()
redis-server --port 16379 --save "" --appendonly no --daemonize no >/dev/null &
pids+=($!); wait_ready 16379; servers+=("redis=16379")
port=16380
for backend in mutex rwlock dashmap scc flurry papaya; do
  target/release/convoy --backend "$backend" --port "$port" 2>/dev/null &
  pids+=($!); wait_ready "$port"; servers+=("$backend=$port")
  port=$((port + 1))
done

{
  echo "# machine"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "cores: $(nproc)"
  echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "kernel: $(uname -r)"
  echo "redis: $(redis-server --version)"
  echo "convoy: $(git rev-parse --short HEAD), release build, default allocator (glibc malloc), --threads $(nproc)"
  echo "date: $(date -u +%FT%TZ)"
} > "$OUT/machine.txt"

for P in 1 16; do
  echo "== -P $P" >&2
  python3 "$INTERLEAVE" --rounds "$ROUNDS" "${servers[@]}" -- \
    -t set,get -c 50 -n 200000 -r 100000 -P "$P" | tee "$OUT/P$P.md"
done
