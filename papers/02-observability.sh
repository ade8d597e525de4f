#!/usr/bin/env bash
# The price of observability: what keeping per-command statistics costs
# SET and GET throughput, kept in one shared locked table (--metrics
# global), per worker (--metrics sharded, the default) or not at all
# (--metrics off), on two backends, interleaved in one run.
#
# Needs: redis-benchmark (Debian: apt-get install -y redis-tools), python3.
# Usage: papers/02-observability.sh [rounds]       (from the repository root)
#        REPORT_ONLY=1 papers/02-observability.sh  (rebuild the page from the
#                                                   data of the last run)
# Writes papers/02-observability/ (machine.txt, c<N>.csv, c<N>-cpu.csv,
# ratios.svg) and regenerates papers/02-observability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
OUT=papers/02-observability
CLIENTS="50 200"
BACKENDS="dashmap papaya"
MODES="off sharded global"
REQUESTS=200000
mkdir -p "$OUT"

if [ -z "${REPORT_ONLY:-}" ]; then
  cargo build --release --quiet
  source papers/tools/servers.sh
  port=16600
  for b in $BACKENDS; do
    for m in $MODES; do
      start_convoy "$b/$m" $port --backend "$b" --metrics "$m"
      port=$((port + 1))
    done
  done
  write_machine "$OUT/machine.txt"

  # In-process, before the servers are loaded: what recording one call
  # costs in each mode, with one thread and with two at once.
  echo "== cargo bench --bench metrics" >&2
  cargo bench --quiet --bench metrics > /dev/null 2>&1
  {
    echo "mode,threads,ns_per_call"
    for m in $MODES; do
      for t in 1 2; do
        echo "$m,$t,$(python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['median']['point_estimate'], 1))" \
          "target/criterion/record/$m/$t/new/estimates.json")"
      done
    done
  } > "$OUT/record.csv"

  for c in $CLIENTS; do
    echo "== $c clients" >&2
    cpu_mark
    python3 papers/tools/interleave.py --rounds "$ROUNDS" --csv "$OUT/c$c.csv" "${servers[@]}" -- \
      -t set,get -r 100000 -c "$c" -n "$REQUESTS" > /dev/null
    write_cpu_csv "$OUT/c$c-cpu.csv" $((ROUNDS * 2 * REQUESTS))
  done
fi
ROUNDS=$(python3 -c "import csv,sys; print(max(int(r['round']) for r in csv.DictReader(open(sys.argv[1]))))" "$OUT/c50.csv")

# One table per client count: medians, spread, latency, the ratio to the
# same backend with metrics off, and CPU per request (SET and GET together).
table() {
  python3 - "$OUT/c$1.csv" "$OUT/c$1-cpu.csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
cpu = {r["server"]: float(r["cpu_s"]) / int(r["requests"]) * 1e6 for r in csv.DictReader(open(sys.argv[2]))}
by = {}
for r in rows:
    by.setdefault((r["test"], r["server"]), []).append(r)
med = {k: statistics.median(float(r["rps"]) for r in v) for k, v in by.items()}
print("| test | server | median rps | min-max over rounds | p50 ms | p99 ms | ratio to the same backend with metrics off | server CPU µs per request (SET and GET) |")
print("|---|---|---|---|---|---|---|---|")
for (test, s), v in by.items():
    xs = [float(r["rps"]) for r in v]
    base = med[(test, s.split("/")[0] + "/off")]
    p50 = statistics.median(float(r["p50_ms"]) for r in v)
    p99 = statistics.median(float(r["p99_ms"]) for r in v)
    print(f"| {test} | {s} | {med[(test, s)]:,.0f} | {min(xs):,.0f}-{max(xs):,.0f} | {p50:.3f} | {p99:.3f} | {med[(test, s)] / base:.3f} | {cpu[s]:.1f} |")
PY
}
for c in $CLIENTS; do
  table "$c" > "$OUT/c$c.md"
  # The seven-column form ratio_bars.py reads (test, server, ..., ratio).
  awk -F'|' 'NR > 2 && $3 !~ /\/off / { printf "| %s | %s | | | | | %s |\n", $2, $3, $8 }' "$OUT/c$c.md" |
    tr -s ' ' > "$OUT/c$c-ratios.md"
done
python3 papers/tools/ratio_bars.py --title "Throughput relative to the same backend with metrics off" \
  "$OUT/ratios.svg" "50 clients=$OUT/c50-ratios.md" "200 clients=$OUT/c200-ratios.md"

# The in-process table: ns per recorded call by mode and threads.
python3 - "$OUT/record.csv" > "$OUT/record.md" <<'PY'
import csv, sys
rows = {(r["mode"], r["threads"]): float(r["ns_per_call"]) for r in csv.DictReader(open(sys.argv[1]))}
print("| mode | ns per call, 1 thread | ns per call, 2 threads at once | 2 threads / 1 thread |")
print("|---|---|---|---|")
for mode in dict.fromkeys(m for m, _ in rows):
    one, two = rows[(mode, "1")], rows[(mode, "2")]
    print(f"| {mode} | {one:.1f} | {two:.1f} | {two / one:.2f} |")
PY
record() { awk -F, -v m="$1" -v t="$2" '$1 == m && $2 == t { print $3 }' "$OUT/record.csv"; }

# Figures of the tables, for the discussion: ratio|cpu TEST CLIENTS SERVER.
ratio() { awk -F'|' -v t="$1" -v s="$3" '$2 == " "t" " && $3 == " "s" " { gsub(/ /, "", $8); print $8 }' "$OUT/c$2.md"; }
cpu() { awk -F'|' -v t="$1" -v s="$3" '$2 == " "t" " && $3 == " "s" " { gsub(/ /, "", $9); print $9 }' "$OUT/c$2.md"; }
# The lowest and highest ratio of a mode over tests, backends and clients.
span() {
  for c in $CLIENTS; do for b in $BACKENDS; do for t in SET GET; do ratio $t $c "$b/$1"; done; done; done |
    sort -n | sed -n '1p;$p' | paste -sd' ' | awk '{print $1 " to " $2}'
}
# The issue's target: sharded keeps at least 0.97 of off everywhere.
target_sentence() {
  local low
  low=$(span sharded | cut -d' ' -f1)
  python3 -c "
import sys
low = float(sys.argv[1])
print('Every sharded figure is at least 0.97 of its metrics-off run, the target set for this experiment.' if low >= 0.97 else
      f'The lowest sharded figure, {low:.3f}, is below the target set for this experiment (at least 0.97 of the metrics-off run everywhere).')
" "$low"
}

# Why the global table costs what it costs here, beside the reported 30%.
global_paragraph() {
  python3 -c "
import sys
low = float(sys.argv[1])
cost = round((1 - low) * 100)
if low >= 0.85:
    print(f'**Why the shared table costs less here than the reported 30%.** At worst it cost {cost}% here. '
          'This machine has two cores, and redis-benchmark takes most of one: the server\'s two worker '
          'threads seldom run at the same moment, so they seldom meet on the global lock, and a cache line '
          'has only one other core to travel to. The cost of a shared structure grows with the number of '
          'cores that write it at once; on two cores there is little of either. The flag and this script '
          'are here so that the comparison can be rerun on a machine with more cores, where the shared '
          'table is expected to cost more and the per-worker tables not.')
else:
    print(f'**The shared table\'s cost** reached {cost}% here, of the order of the reported 30%, even on two '
          'cores: every command takes the one lock and writes lines the other worker wrote a moment before.')
" "$(span global | cut -d' ' -f1)"
}

cat > papers/02-observability.md <<MD
# 02: the price of observability

**Question.** A server that counts every command's calls and latency (Redis's
\`INFO commandstats\` and \`latencystats\`) does a little work per command;
where the counts live decides whether that work costs a little or a lot.
Kept in one table behind one lock, every command of every worker thread
takes the same lock and writes the same cache lines: a contended structure
on the request path, reported to cost about 30% of a Redis-compatible
server's throughput. Kept per worker thread, on cache lines of its own, and
merged only when someone reads them, the update touches nothing another
core writes. How much does each cost here, on two backends?

**Machine.**

\`\`\`
$(cat "$OUT/machine.txt")
\`\`\`

**Command.** \`papers/02-observability.sh $ROUNDS\` from the repository root.
Six servers: backends dashmap and papaya, each with \`--metrics off\`,
\`--metrics sharded\` (the default) and \`--metrics global\`. Then
\`redis-benchmark -t set,get -r 100000 -n $REQUESTS\` at 50 and 200 clients
against each in turn, $ROUNDS rounds, interleaved. Every sample is in
\`02-observability/c<N>.csv\`. Ratios compare medians with the same backend's
metrics-off median from the same rounds. CPU per request is the growth of
the server's user and system time (\`/proc/<pid>/stat\`) over its own runs,
divided by the SET and GET requests it served (\`c<N>-cpu.csv\`).

## 50 clients

$(cat "$OUT/c50.md")

## 200 clients

$(cat "$OUT/c200.md")

![ratio to the same backend with metrics off](02-observability/ratios.svg)

## Discussion

**What each mode does per command** (\`src/metrics/mod.rs\`). \`off\` reads
no clock and writes nothing. \`sharded\` and \`global\` both read the clock
twice, then take a lock, add to four counters and record the latency in an
HdrHistogram (1 ns to 1 s, two significant digits, as Redis's
\`latency-tracking\`). The difference is only *which* lock and lines:
\`sharded\` takes its worker's own table, which no other thread writes
(a reader, INFO or \`/metrics\`, takes each table's lock in turn to merge
them), so the lock is an uncontended atomic on a line already in this
core's cache; \`global\` takes the one table every worker shares, so the
lock's line and the counters' lines move between the cores on every
command, and a worker that finds the lock held waits.

**What it costs here.** Over both backends, both tests and both client
counts, \`sharded\` kept $(span sharded) of the metrics-off throughput and
\`global\` kept $(span global). $(target_sentence) In CPU, at 200 clients on
dashmap, the server spent $(cpu SET 200 dashmap/off) µs per request (SET and GET together)
with metrics off, $(cpu SET 200 dashmap/sharded) with sharded and
$(cpu SET 200 dashmap/global) with global.

$(global_paragraph)

**The same cost in isolation.** \`cargo bench --bench metrics\`
(\`benches/metrics.rs\`) records calls of one command as fast as it can,
in-process, from one thread and from two at once, in each mode (median
of criterion's samples, \`record.csv\`):

$(cat "$OUT/record.md")

One recorded call costs about $(record sharded 1) ns alone (two clock
readings, a lock and a histogram update), small beside the several
microseconds a request costs the server, which is why neither mode
shows in the tables above. With both cores recording at once, the
shared table's call takes $(record global 2) ns where each worker's own
table takes $(record sharded 2): the lock and its lines now travel between
the cores on every call. That is the cost that grows with cores; the
server-level run above cannot show it here, because with redis-benchmark
on the same two cores the workers rarely record at the same moment.

Read the min-max column before any single ratio: on this shared two-core
machine a server's own runs spread by 10-20%, and a ratio above 1.0 is that
spread, not a gain.

## References

- Redis documentation, "INFO" (commandstats, latencystats, errorstats) and
  "Redis latency monitoring".
- G. Tene, HdrHistogram: a high dynamic range histogram
  (hdrhistogram.github.io).
- P. E. McKenney, "Is Parallel Programming Hard, And, If So, What Can You Do
  About It?", chapter 5 (counting: per-thread counters summed on read).
MD
echo "wrote papers/02-observability.md" >&2
