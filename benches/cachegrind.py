#!/usr/bin/env python3
"""What one call of each backend costs, counted by valgrind's cachegrind
instead of timed: instructions, level-1 data-cache misses and misses of a
simulated 1 MiB level-2 cache (this machine's, per core) per call.

Timings on a shared VM move by 2-3x between runs minutes apart; these
counts are the same on every run (cachegrind simulates the caches of one
thread, so they leave out other threads, prefetchers and the kernel: they
explain timings, they do not replace them). See benches/README.md.

    python3 benches/cachegrind.py                      # every backend and operation
    python3 benches/cachegrind.py --backends lockfree,papaya --ops read
    python3 benches/cachegrind.py --calls 100000 --l2 1048576,16,64
    python3 benches/cachegrind.py --which              # build opcost and print its path

Needs valgrind (Debian: valgrind). Builds `benches/opcost.rs` with
`cargo bench --no-run`, then runs it twice per backend and operation, with
0 calls and with CALLS calls, under cachegrind; the difference divided by
CALLS is the cost of one call, with the map's construction and prefill
(identical in both runs) taken out.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

OPS = ["read", "overwrite", "churn", "remove-missing", "update-missing"]
COUNTS = {
    "instructions": r"I\s+refs:\s+([\d,]+)",
    "l1d_misses": r"D1\s+misses:\s+([\d,]+)",
    "l2_misses": r"LLd\s+misses:\s+([\d,]+)",
}


def build():
    """Build the opcost bench binary and return its path."""
    out = subprocess.run(
        ["cargo", "bench", "--bench", "opcost", "--no-run", "--message-format=json"],
        check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "opcost" and msg.get("executable"):
            return msg["executable"]
    sys.exit("cachegrind.py: cargo built no opcost executable")


def counts(binary, backend, op, calls, l2, workdir):
    """cachegrind's totals for one run of opcost."""
    log = os.path.join(workdir, "log")
    subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=yes", f"--LL={l2}",
         f"--cachegrind-out-file={os.path.join(workdir, 'out')}", f"--log-file={log}",
         binary, backend, op, str(calls)],
        check=True, stdout=subprocess.DEVNULL,
    )
    text = open(log).read()
    result = {}
    for name, pattern in COUNTS.items():
        found = re.search(pattern, text)
        if not found:
            sys.exit(f"cachegrind.py: no {name} in valgrind's output:\n{text}")
        result[name] = int(found.group(1).replace(",", ""))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", help="comma-separated (default: every backend)")
    parser.add_argument("--ops", default=",".join(OPS), help="comma-separated, of: " + ", ".join(OPS))
    parser.add_argument("--calls", type=int, default=100_000, help="calls per measured run (default 100000)")
    parser.add_argument("--l2", default="1048576,16,64", help="simulated L2: size,ways,line bytes (default 1 MiB, 16-way)")
    parser.add_argument("--binary", help="an already built opcost binary")
    parser.add_argument("--which", action="store_true", help="build opcost, print its path and stop")
    args = parser.parse_args()

    binary = args.binary or build()
    if args.which:
        print(binary)
        return
    backends = args.backends.split(",") if args.backends else subprocess.run(
        [binary, "list"], check=True, stdout=subprocess.PIPE, text=True).stdout.split()
    ops = args.ops.split(",")
    for op in ops:
        if op not in OPS:
            sys.exit(f"cachegrind.py: unknown operation {op!r}")

    rows = []
    total = len(backends) * len(ops)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as workdir:
        for op in ops:
            for backend in backends:
                done = len(rows)
                left = "" if not done else f", about {(time.monotonic() - started) / done * (total - done):.0f} s left"
                print(f"[{done + 1}/{total}] {backend} {op}{left}", file=sys.stderr, flush=True)
                base = counts(binary, backend, op, 0, args.l2, workdir)
                full = counts(binary, backend, op, args.calls, args.l2, workdir)
                rows.append((op, backend, {k: (full[k] - base[k]) / args.calls for k in COUNTS}))

    size, ways, line = args.l2.split(",")
    print(f"Per call, {args.calls} calls, one thread; simulated L2 {int(size) // 1024} KiB, {ways}-way, {line}-byte lines.\n")
    for op in ops:
        print(f"### {op}\n")
        print("| backend | instructions | L1d misses | L2 misses |")
        print("|---|---:|---:|---:|")
        for row_op, backend, c in rows:
            if row_op == op:
                print(f"| {backend} | {c['instructions']:.0f} | {c['l1d_misses']:.2f} | {c['l2_misses']:.2f} |")
        print()


if __name__ == "__main__":
    main()
