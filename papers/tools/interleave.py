#!/usr/bin/env python3
"""Run redis-benchmark against several running servers in turn, round after
round, and report per-test medians side by side.

Why interleave: a shared machine drifts (other tenants, thermal and
frequency changes) over minutes. Measuring server A for a while and then
server B compares two different machines; measuring A, B, C, A, B, C, ...
spreads the drift over all of them, and the ratio of medians taken from
the same rounds is what is left to compare.

usage: interleave.py [--rounds N] [--csv FILE] LABEL=PORT [LABEL=PORT ...] -- REDIS-BENCHMARK-ARGS

The first server is the baseline of the ratio column. Prints a Markdown
table (test, server, median requests/s, min-max over rounds, median p50
and p99 latency in ms, ratio of medians to the baseline); --csv also keeps
every sample. Progress goes to stderr.
"""
import argparse
import csv
import io
import statistics
import subprocess
import sys


def one_run(port, bench_args):
    """One redis-benchmark run; returns {test: (rps, p50_ms, p99_ms)}."""
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "--csv", *bench_args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        sys.exit(f"redis-benchmark failed on port {port}: {done.stderr.strip()}")
    table = csv.DictReader(io.StringIO(done.stdout))
    return {row["test"]: (float(row["rps"]), float(row["p50_latency_ms"]), float(row["p99_latency_ms"])) for row in table}


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.exit(__doc__)
    cut = argv.index("--")
    parser = argparse.ArgumentParser(usage=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--csv", help="also write every sample to this file")
    parser.add_argument("servers", nargs="+")
    opts = parser.parse_args(argv[:cut])
    bench_args = argv[cut + 1:]
    servers = [tuple(s.split("=", 1)) for s in opts.servers]

    samples = []  # (round, label, test, rps, p50, p99)
    for rnd in range(1, opts.rounds + 1):
        for label, port in servers:
            for test, (rps, p50, p99) in one_run(port, bench_args).items():
                samples.append((rnd, label, test, rps, p50, p99))
            print(f"round {rnd}/{opts.rounds}: {label} done", file=sys.stderr)

    if opts.csv:
        with open(opts.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["round", "server", "test", "rps", "p50_ms", "p99_ms"])
            w.writerows(samples)

    tests = list(dict.fromkeys(s[2] for s in samples))
    base = servers[0][0]
    print(f"| test | server | median rps | min-max | p50 ms | p99 ms | ratio to {base} |")
    print("|---|---|---|---|---|---|---|")
    for test in tests:
        of = lambda label: [s for s in samples if s[1] == label and s[2] == test]
        base_median = statistics.median(s[3] for s in of(base)) if of(base) else 0
        for label, _ in servers:
            rows = of(label)
            if not rows:
                print(f"| {test} | {label} | no result | | | | |")
                continue
            rps = [s[3] for s in rows]
            median = statistics.median(rps)
            ratio = median / base_median if base_median else float("nan")
            print(f"| {test} | {label} | {median:,.0f} | {min(rps):,.0f}-{max(rps):,.0f} | "
                  f"{statistics.median(s[4] for s in rows):.3f} | {statistics.median(s[5] for s in rows):.3f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
