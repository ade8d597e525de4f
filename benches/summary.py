#!/usr/bin/env python3
"""Tables of `cargo bench --bench maps` results, read from criterion's files.

For every benchmark criterion wrote `<target>/criterion/<id>/new/benchmark.json`
(its name) and `.../new/estimates.json` (its statistics, in nanoseconds per
iteration; one iteration is one map operation). This prints, as Markdown:

- per mix, the median (or `--stat mean`, `--stat best`) throughput of each backend (millions of operations per
  second) for each key distribution and thread count;
- per mix, each backend's throughput as a ratio to papaya's and to mutex's
  (above 1: faster than papaya / mutex);
- the single-operation benchmarks (`maps/op/...`), in ns per call;
- with `--log FILE` (the saved output of `cargo bench --bench maps`): per mix,
  the share of their timed time the benchmark threads spent on a CPU, as the
  bench prints it for each mix benchmark (low: other processes took the CPU,
  or threads waited for a lock), also shown next to each `--check` line;
- with `--check NAME`: whether backend NAME beats the global mutex and the
  global RwLock in every mix, distribution and thread count, and is within
  1.5x of papaya on read-heavy (throughput at least papaya's / 1.5).

Standard library only. Usage:

    cargo bench --bench maps | tee maps.log
    python3 benches/summary.py [--target DIR] [--log maps.log] [--check NAME] [--stat median|mean|best]

    # three runs, each figure the median of the three:
    for i in 1 2 3; do cargo bench --bench maps -- --save-baseline run$i | tee maps-$i.log; done
    python3 benches/summary.py --baseline run1,run2,run3 --log maps-1.log --log maps-2.log --log maps-3.log

DIR defaults to $CARGO_TARGET_DIR, else `target/` next to `benches/`.
Results of benchmarks that no longer exist stay in criterion's directory
until it is deleted; the oldest and newest result times are printed so that
a mixture of runs shows.
"""

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

MIXES = ["read-heavy", "exchange", "rapid-grow"]
DISTS = ["uniform", "zipf"]
# How much slower than papaya the checked backend may be on read-heavy.
PAPAYA_SLACK = 1.5


def load(target, stat, baselines):
    """{(group, function, value): (ns per operation, mtime)} for every `maps/` result.

    `stat` is "median" or "mean" (criterion's estimates) or "best" (the
    fastest sample: the least disturbed by other processes on a busy machine).
    `baselines` are criterion's result directories to read ("new": the last
    run; others: runs saved with `--save-baseline NAME`); with several, each
    benchmark's figure is the median of its figures in those runs. The
    figures of each run are kept too, by baseline: `{key: {baseline: ns}}`
    as `load`'s second result.
    """
    results, per_run = {}, {}
    root = target / "criterion"
    for bench in root.glob("**/new/benchmark.json"):
        meta = json.loads(bench.read_text())
        if not meta["group_id"].startswith("maps/"):
            continue
        figures, mtimes, runs = [], [], {}
        for baseline in baselines:
            run = bench.parent.parent / baseline
            if not (run / "estimates.json").exists():
                continue
            if stat == "best":
                sample = json.loads((run / "sample.json").read_text())
                figures.append(min(t / i for i, t in zip(sample["iters"], sample["times"])))
            else:
                figures.append(json.loads((run / "estimates.json").read_text())[stat]["point_estimate"])
            mtimes.append((run / "estimates.json").stat().st_mtime)
            runs[baseline] = figures[-1]
        if figures:
            key = (meta["group_id"], meta["function_id"] or "", meta["value_str"] or "")
            results[key] = (statistics.median(figures), min(mtimes), len(figures))
            per_run[key] = runs
    return results, per_run


def load_logs(paths):
    """{full benchmark id: percent of timed time on a CPU} from the bench's
    output; with several logs, the lowest (the most disturbed run)."""
    pattern = re.compile(r"^(maps/\S+): threads on a CPU (\d+)% ")
    on_cpu = {}
    for path in paths:
        for line in Path(path).read_text(errors="replace").splitlines():
            m = pattern.match(line)
            if m:
                on_cpu[m.group(1)] = min(int(m.group(2)), on_cpu.get(m.group(1), 100))
    return on_cpu


def mops(ns):
    """Millions of operations per second from nanoseconds per operation."""
    return 1e3 / ns


def backend_order(names):
    """Backends in BACKENDS order as far as known (the order of --help), others after."""
    known = ["mutex", "rwlock", "dashmap", "scc", "flurry", "papaya"]
    return [n for n in known if n in names] + sorted(n for n in names if n not in known)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


def mix_tables(results):
    """{mix: (columns [(dist, threads)], {backend: {(dist, threads): ops/s in M}})}."""
    tables = {}
    for (group, function, value), (ns, _, _) in results.items():
        parts = group.split("/")
        if len(parts) != 3 or parts[1] not in MIXES or parts[2] not in DISTS:
            continue
        mix, dist = parts[1], parts[2]
        columns, cells = tables.setdefault(mix, (set(), {}))
        columns.add((dist, int(value)))
        cells.setdefault(function, {})[(dist, int(value))] = mops(ns)
    return {
        mix: (sorted(cols, key=lambda c: (DISTS.index(c[0]), c[1])), cells) for mix, (cols, cells) in tables.items()
    }


def fmt_ratio(x):
    return f"{x:.2f}" if x is not None else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_target = os.environ.get("CARGO_TARGET_DIR") or Path(__file__).resolve().parent.parent / "target"
    parser.add_argument("--target", type=Path, default=Path(default_target), help="cargo's target directory")
    parser.add_argument("--check", metavar="NAME", help="check backend NAME against mutex, rwlock and papaya")
    parser.add_argument(
        "--stat", choices=["median", "mean", "best"], default="median", help="which figure of each benchmark (default median)"
    )
    parser.add_argument(
        "--log",
        type=Path,
        action="append",
        default=[],
        help="saved output of `cargo bench --bench maps`, for the on-CPU shares (repeatable)",
    )
    parser.add_argument(
        "--baseline",
        default="new",
        help="comma-separated criterion baselines (runs saved with --save-baseline) to take the median of; default: new",
    )
    args = parser.parse_args()

    baselines = [b for b in args.baseline.split(",") if b]
    results, per_run = load(args.target, args.stat, baselines)
    on_cpu = load_logs(args.log)
    if not results:
        sys.exit(f"no maps results under {args.target / 'criterion'}: run `cargo bench --bench maps` first")
    times = [t for _, t, _ in results.values()]
    stamp = lambda t: time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))
    print(f"{len(results)} results under {args.target / 'criterion'}, written {stamp(min(times))} .. {stamp(max(times))}")
    if len(baselines) > 1:
        runs = sorted({n for _, _, n in results.values()})
        print(f"Each figure: the median over runs {', '.join(baselines)} (runs found per benchmark: {runs}).")
    what = {"median": "Medians", "mean": "Means", "best": "Fastest samples"}[args.stat]
    print(f"{what}; throughput in millions of operations per second (Mops/s); columns are distribution/threads.")

    mixes = mix_tables(results)
    for mix in MIXES:
        if mix not in mixes:
            continue
        columns, cells = mixes[mix]
        backends = backend_order(cells)
        header = ["backend"] + [f"{d}/{t}" for d, t in columns]
        print(f"\n### {mix}: Mops/s\n")
        print(table(header, [[b] + [f"{cells[b][c]:.2f}" if c in cells[b] else "-" for c in columns] for b in backends]))
        if on_cpu:
            print(f"\n### {mix}: % of the timed time on a CPU\n")
            pct = lambda b, c: on_cpu.get(f"maps/{mix}/{c[0]}/{b}/{c[1]}")
            print(table(header, [[b] + [str(pct(b, c)) if pct(b, c) is not None else "-" for c in columns] for b in backends]))
        for ref in ["papaya", "mutex"]:
            if ref not in cells:
                continue
            print(f"\n### {mix}: ratio to {ref} (above 1: faster)\n")
            rows = []
            for b in backends:
                row = [b]
                for c in columns:
                    ok = c in cells[b] and c in cells[ref]
                    row.append(fmt_ratio(cells[b][c] / cells[ref][c] if ok else None))
                rows.append(row)
            print(table(header, rows))

    ops = {}
    for (group, function, _), (ns, _, _) in results.items():
        parts = group.split("/")
        if len(parts) == 3 and parts[1] == "op":
            ops.setdefault(function, {})[parts[2]] = ns
    if ops:
        kinds = sorted({k for per in ops.values() for k in per})
        print("\n### single operations, one thread: ns per call (Mops/s)\n")
        rows = [
            [b] + [f"{ops[b][k]:.1f} ({mops(ops[b][k]):.2f})" if k in ops[b] else "-" for k in kinds]
            for b in backend_order(ops)
        ]
        print(table(["backend"] + kinds, rows))

    if args.check:
        sys.exit(check(args.check, mixes, on_cpu, per_run))


def check(name, mixes, on_cpu, per_run):
    """Print the lead's criteria for backend `name`; return an exit status (0: all pass).

    With several runs, each ratio is *paired*: NAME's throughput over the
    other backend's within each run (the two ran seconds apart, in the same
    weather), then the median of those ratios; the ratios of single runs
    follow in brackets. This is steadier than a ratio of two medians when
    the machine's load drifts between runs.
    """
    print(f"\n### check: {name}\n")
    passes = total = 0
    lines = []
    for mix in MIXES:
        if mix not in mixes:
            continue
        columns, cells = mixes[mix]
        if name not in cells:
            print(f"no results for backend {name!r} in {mix}")
            return 2
        for c in columns:
            mine = cells[name].get(c)
            criteria = [(ref, 1.0) for ref in ["mutex", "rwlock"]]
            if mix == "read-heavy":
                criteria.append(("papaya", 1 / PAPAYA_SLACK))
            for ref, floor in criteria:
                theirs = cells.get(ref, {}).get(c)
                total += 1
                if mine is None or theirs is None:
                    lines.append(f"- {mix} {c[0]}/{c[1]}: vs {ref}: MISSING")
                    continue
                ratio = mine / theirs
                group = f"maps/{mix}/{c[0]}"
                ours = per_run.get((group, name, str(c[1])), {})
                other = per_run.get((group, ref, str(c[1])), {})
                paired = [other[b] / ours[b] for b in ours if b in other]
                runs = ""
                if len(paired) > 1:
                    ratio = statistics.median(paired)
                    runs = " [runs: " + " ".join(f"{r:.2f}" for r in paired) + "]"
                ok = ratio > floor if floor == 1.0 else ratio >= floor
                passes += ok
                want = f"> {floor:g}" if floor == 1.0 else f">= 1/{PAPAYA_SLACK:g} = {floor:.3f}"
                verdict = "pass" if ok else "FAIL"
                cpu = [on_cpu.get(f"maps/{mix}/{c[0]}/{b}/{c[1]}") for b in (name, ref)]
                cpu = f" [on CPU {cpu[0]}% vs {cpu[1]}%]" if None not in cpu else ""
                lines.append(f"- {mix} {c[0]}/{c[1]}: {name}/{ref} = {ratio:.2f} (want {want}): {verdict}{runs}{cpu}")
    print("\n".join(lines))
    print(f"\n{passes} of {total} comparisons pass")
    return 0 if passes == total else 1


if __name__ == "__main__":
    main()
