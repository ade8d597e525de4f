#!/usr/bin/env bash
# The published RustRedis results revisited: a global lock against
# sharding, metrics kept in one shared structure, and fsync-always without
# group commit, each checked against this repository's own runs.
#
# The figures come from the data of papers 01, 02 and 03 (their CSV files);
# this script runs nothing new unless asked to rerun them first.
# Usage: papers/05-rustredis-revisited.sh            (from the data already there)
#        RERUN=1 papers/05-rustredis-revisited.sh    (rerun papers 01, 02 and 03 first: about an hour)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${RERUN:-}" ]; then
  papers/01-lock-convoy.sh
  papers/02-observability.sh
  papers/03-durability.sh
fi
for f in papers/01-lock-convoy/results.csv papers/02-observability/c200.csv papers/03-durability/c50.csv; do
  [ -f "$f" ] || { echo "missing $f: run the paper that writes it first" >&2; exit 1; }
done

python3 - <<'PY'
import csv, statistics
from pathlib import Path


def rows(path):
    return list(csv.DictReader(open(path)))


def spread(xs):
    return f"{min(xs):,.0f}-{max(xs):,.0f}"


page = []
w = page.append
w("# 05: the published RustRedis results, revisited\n")
w("**Question.** A Redis-compatible server written in Rust (RustRedis) reported three results that convoy "
  "was built to examine: sharding the keyspace instead of one global lock gave about 60% more throughput and "
  "about 40% lower latency at high concurrency; keeping metrics in one shared structure cost about 30% of "
  "throughput; and fsync on every write without group commit cost about 80%. Do they hold on this machine, "
  "with convoy, measured side by side?\n")
w("**Method.** No new runs: every figure below is computed from the data of papers 01, 02 and 03 (each "
  "page has its machine, command and every sample), so the three claims are checked against the same runs "
  "those pages discuss. `RERUN=1 papers/05-rustredis-revisited.sh` reruns the three first. Ratios compare "
  "medians over rounds; the spread is the range over rounds.\n")

# 1. Global lock against sharding (paper 01): mutex vs dashmap.
r1 = rows("papers/01-lock-convoy/results.csv")
by = {}
for r in r1:
    by.setdefault((r["server"], int(r["clients"]), int(r["pipeline"]), r["mix"], r["distribution"]), []).append(r)
cells = sorted({k[1:] for k in by if k[0] == "mutex" and ("dashmap",) + k[1:] in by})
top = max(c[0] for c in cells)
w(f"## 1. One global lock against a sharded map\n")
w(f"From `01-lock-convoy/results.csv`: the global `Mutex` backend against DashMap (a `RwLock` per shard), at "
  f"the highest client counts measured, every mix, key distribution and pipeline depth.\n")
w("| clients | pipeline | SET:GET | keys | mutex requests/s | dashmap requests/s | throughput gain | p99 mutex ms | p99 dashmap ms | p99 change |")
w("|---|---|---|---|---:|---:|---:|---:|---:|---:|")
gains, lat = [], []
for c, p, m, d in cells:
    if c < 200:
        continue
    mu, da = by[("mutex", c, p, m, d)], by[("dashmap", c, p, m, d)]
    a = statistics.median(float(r["ops_per_sec"]) for r in mu)
    b = statistics.median(float(r["ops_per_sec"]) for r in da)
    pa = statistics.median(float(r["p99_us"]) for r in mu) / 1000
    pb = statistics.median(float(r["p99_us"]) for r in da) / 1000
    gains.append(b / a - 1)
    lat.append(pb / pa - 1)
    w(f"| {c} | {p} | {m} | {d} | {a:,.0f} ({spread([float(r['ops_per_sec']) for r in mu])}) | "
      f"{b:,.0f} ({spread([float(r['ops_per_sec']) for r in da])}) | {100 * (b / a - 1):+.0f}% | {pa:.2f} | {pb:.2f} | "
      f"{100 * (pb / pa - 1):+.0f}% |")
if gains:
    w(f"\nOver these {len(gains)} cells, sharding changed throughput by {100 * min(gains):+.0f}% to "
      f"{100 * max(gains):+.0f}% (median {100 * statistics.median(gains):+.0f}%) and p99 latency by "
      f"{100 * min(lat):+.0f}% to {100 * max(lat):+.0f}% (median {100 * statistics.median(lat):+.0f}%).")
    verdict = ("reproduced" if statistics.median(gains) >= 0.45 else
               "qualified" if statistics.median(gains) > 0.05 else "not reproduced")
    why = ("" if verdict == "reproduced" else
           " A global lock serialises commands only among the threads that run them: convoy's server has one "
           "worker per core, two here, so at most two commands contend, whatever the client count, and the load "
           "generator shares these two cores (paper 01's machine record). The reported gain needs more cores "
           "running commands at once than this machine has.")
    w(f"**Verdict: {verdict} on this machine.**{why}\n")

# 2. Metrics in one shared structure (paper 02).
w("## 2. Metrics in one shared structure\n")
w("From `02-observability/c<N>.csv`: per-command statistics kept in one table behind one lock (`--metrics "
  "global`) against none (`off`), and against one table per worker (`sharded`).\n")
w("| clients | backend | test | off requests/s | global | global / off | sharded / off |")
w("|---|---|---|---:|---:|---:|---:|")
drops = []
for c in (50, 200):
    path = Path(f"papers/02-observability/c{c}.csv")
    if not path.exists():
        continue
    r2 = rows(path)
    med = {}
    for r in r2:
        med.setdefault((r["server"], r["test"]), []).append(float(r["rps"]))
    for backend in sorted({s.split("/")[0] for s, _ in med}):
        for test in ("SET", "GET"):
            off, glob, shard = (med.get((f"{backend}/{m}", test)) for m in ("off", "global", "sharded"))
            if not (off and glob and shard):
                continue
            o, g, s = (statistics.median(x) for x in (off, glob, shard))
            drops.append(1 - g / o)
            w(f"| {c} | {backend} | {test} | {o:,.0f} | {g:,.0f} | {g / o:.3f} | {s / o:.3f} |")
rec = {(r["mode"], int(r["threads"])): float(r["ns_per_call"]) for r in rows("papers/02-observability/record.csv")}
if drops:
    w(f"\nThe shared table cost between {100 * min(drops):.0f}% and {100 * max(drops):.0f}% of throughput "
      f"(negative: faster, within the spread of the runs).")
if ("global", 2) in rec:
    w(f" In isolation (`cargo bench --bench metrics`) one recorded call took {rec[('global', 1)]:.0f} ns alone and "
      f"{rec[('global', 2)]:.0f} ns with two threads recording at once ({rec[('global', 2)] / rec[('global', 1)]:.1f}x), "
      f"while the sharded table took {rec[('sharded', 2)]:.0f} ns either way: the contention is real, and grows "
      "with cores; on two cores, with the load generator on one of them, the workers seldom record at the same "
      "moment.")
if drops:
    verdict = "reproduced" if statistics.median(drops) >= 0.2 else "not reproduced"
    why = ("" if verdict == "reproduced" else
           " The cost of a shared structure is contention, which two cores barely produce: the isolated "
           "measurement above shows it, the server on this machine does not.")
    w(f"\n**Verdict: {verdict} on this machine.**{why}\n")

# 3. fsync on every write (paper 03).
w("## 3. fsync on every write, without group commit\n")
w("From `03-durability/c<N>.csv`: convoy with no log, with `--appendfsync always --group-commit no` (one "
  "fsync per write) and with `always` and group commit.\n")
w("| clients | no log requests/s | naive always | naive / no log | group commit / no log |")
w("|---|---:|---:|---:|---:|")
naive = []
for c in (1, 50, 200):
    path = Path(f"papers/03-durability/c{c}.csv")
    if not path.exists():
        continue
    med = {}
    for r in rows(path):
        med.setdefault(r["server"], []).append(float(r["rps"]))
    no, nv, gc = (statistics.median(med[s]) for s in ("convoy/no", "convoy/always-naive", "convoy/always"))
    if c > 1:
        naive.append(1 - nv / no)
    w(f"| {c} | {no:,.0f} | {nv:,.0f} ({spread(med['convoy/always-naive'])}) | {nv / no:.3f} | {gc / no:.3f} |")
if naive:
    w(f"\nWith many clients, one fsync per write cost {100 * min(naive):.0f}-{100 * max(naive):.0f}% of "
      "throughput: the server does at most one write per fsync, however many clients wait.")
    verdict = "reproduced" if min(naive) >= 0.7 else "qualified"
    deeper = (", and deeper here than the ~80% reported: this machine's no-log throughput is high and its fsync "
              "is not free (paper 03 measures one)" if min(naive) > 0.8 else "")
    w(f"**Verdict: {verdict}{deeper}.** The group-commit column shows how much of it sharing fsyncs recovers.\n")
w("## References\n")
w("- The RustRedis write-up (a Redis-compatible server in Rust) and its reported figures, as summarised in "
  "this project's brief; convoy's papers 01, 02 and 03 for method and data.")
Path("papers/05-rustredis-revisited.md").write_text("\n".join(page) + "\n")
PY
echo "wrote papers/05-rustredis-revisited.md" >&2
