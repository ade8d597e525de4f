#!/usr/bin/env bash
# What multi-key atomicity costs single-key commands when no multi-key
# command runs: SET and GET through redis-benchmark against convoy with
# --gate brlock (the default), --gate rwlock (one global RwLock, the naive
# design) and --gate none (no atomicity: the reference), on two backends,
# interleaved.
#
# Needs: redis-benchmark (Debian: apt-get install -y redis-tools), python3.
# Usage: papers/06-multikey-gate.sh [rounds]      (from the repository root)
#        REPORT_ONLY=1 papers/06-multikey-gate.sh   (rebuild the page from the
#                                                    CSV files of the last run)
# Writes papers/06-multikey-gate/ (machine.txt, P1.csv, P16.csv, ratios.svg)
# and regenerates papers/06-multikey-gate.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
OUT=papers/06-multikey-gate
mkdir -p "$OUT"

if [ -z "${REPORT_ONLY:-}" ]; then
cargo build --release --quiet
source papers/tools/servers.sh
port=16480
for backend in mutex dashmap; do
  for gate in none brlock rwlock; do
    start_convoy "$backend/$gate" "$port" --backend "$backend" --gate "$gate"
    port=$((port + 1))
  done
done
write_machine "$OUT/machine.txt"

python3 papers/tools/interleave.py --rounds "$ROUNDS" --csv "$OUT/P1.csv" "${servers[@]}" -- \
  -t set,get -c 50 -n 200000 -r 100000 -P 1 > /dev/null
python3 papers/tools/interleave.py --rounds "$ROUNDS" --csv "$OUT/P16.csv" "${servers[@]}" -- \
  -t set,get -c 50 -n 1000000 -r 100000 -P 16 > /dev/null
fi
ROUNDS=$(python3 -c "import csv,sys; print(max(int(r['round']) for r in csv.DictReader(open(sys.argv[1]))))" "$OUT/P16.csv")

# Ratios of medians to the same backend without a gate.
table() {
  python3 - "$1" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
med = {}
for r in rows:
    med.setdefault((r["server"], r["test"]), []).append(float(r["rps"]))
med = {k: statistics.median(v) for k, v in med.items()}
samples = {}
for r in rows:
    samples.setdefault((r["server"], r["test"]), []).append(float(r["rps"]))
print("| test | backend | gate | median rps | min-max over rounds | ratio of medians to no gate |")
print("|---|---|---|---|---|---|")
for (server, test), m in sorted(med.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    backend, gate = server.split("/")
    base = med[(backend + "/none", test)]
    xs = samples[(server, test)]
    print(f"| {test} | {backend} | {gate} | {m:,.0f} | {min(xs):,.0f}-{max(xs):,.0f} | {m / base:.3f} |")
PY
}
table "$OUT/P1.csv" > "$OUT/P1.md"
table "$OUT/P16.csv" > "$OUT/P16.md"
# The same ratios in the seven-column form papers/tools/ratio_bars.py reads.
for p in P1 P16; do
  awk -F'|' 'NR > 2 { printf "| %s | %s/%s | | | | | %s |\n", $2, $3, $4, $7 }' "$OUT/$p.md" | tr -s ' ' > "$OUT/$p-ratios.md"
done
python3 papers/tools/ratio_bars.py --title "Throughput relative to the same backend without a gate" \
  "$OUT/ratios.svg" "P1=$OUT/P1-ratios.md" "P16=$OUT/P16-ratios.md"

cat > papers/06-multikey-gate.md <<MD
# 06: what multi-key atomicity costs single-key commands

**Question.** MSET, RENAME, the \`*STORE\` commands and MULTI/EXEC must be
atomic with respect to every other command, on every backend. convoy does
it with a gate that every command enters (\`src/keyspace/gate.rs\`): a
big-reader lock whose shared side is one \`RwLock\` per thread, taken
exclusively by multi-key commands. What does entering it cost SET and GET
when no multi-key command runs, and what would the naive design, one global
\`RwLock\` taken shared by every command, cost instead?

**Machine.**

\`\`\`
$(cat "$OUT/machine.txt")
\`\`\`

**Command.** \`papers/06-multikey-gate.sh $ROUNDS\` from the repository root: six
servers (backends mutex and dashmap, each with \`--gate none\`, \`brlock\`,
\`rwlock\`), then \`redis-benchmark -t set,get -c 50 -r 100000\` with -P 1
(200,000 requests) and -P 16 (1,000,000 requests) against each in turn,
$ROUNDS rounds, interleaved. Every sample is in \`06-multikey-gate/P1.csv\` and
\`P16.csv\`; the tables give medians and their ratio to the same backend
without a gate.

## -P 1

$(cat "$OUT/P1.md")

## -P 16

$(cat "$OUT/P16.md")

![ratio to no gate, per backend and gate](06-multikey-gate/ratios.svg)

## Discussion

\`--gate none\` gives up the guarantees and exists only as the reference. The
cost of the default gate is one uncontended read-lock acquisition and
release per command, on a cache line that only the current worker thread
writes: a few nanoseconds against the microseconds a request spends in the
kernel and the map.

Read the -P 1 table with its min-max column: without pipelining each run
is bound by round trips, and the spread between rounds of one server is
wider than any difference between gates, so that table cannot rank them (a
server "faster" than its own no-gate reference shows the noise, not a
gain). With -P 16 the server's own work counts and the spread narrows:
there the brlock stays within a few percent of no gate, which is the
bound this measurement can give on this machine. The naive global
\`RwLock\` moves every command's lock traffic onto one shared cache line;
on two cores, where at most two workers run, that line bounces between two
caches only, so its cost is small here too, and separating it from the
brlock's needs more cores than this machine has: rerun the script on a
larger one.

What the gate buys is tested, not measured: \`tests/transactions.rs\` checks
that transfers inside MULTI/EXEC are never seen half done (and fails when
EXEC does not take the gate), under both gate designs.

## References

- W. C. Hsieh and W. E. Weihl, "Scalable reader-writer locks for parallel
  systems", IPPS 1992 (per-processor reader locks).
- D. Dice and A. Kogan, "BRAVO: Biased Locking for Reader-Writer Locks",
  USENIX ATC 2019.
- Linux kernel \`brlock\` / \`percpu_rw_semaphore\`.
MD
echo "wrote papers/06-multikey-gate.md" >&2
