#!/usr/bin/env python3
"""Does `convoy bench` load a server as hard as redis-benchmark, and do the
two agree? Both tools, in turn, against one real redis-server, on the same
workloads (GET and SET, uniform keys over redis-benchmark's -r keyspace,
3-byte values, one thread each), pipeline 1 and 16, several rounds.

usage: papers/tools/loadgen_check.py [--rounds 5] [--clients 50] [--secs 4]
       [--convoy target/release/convoy]

It starts its own redis-server on a free loopback port and stops it by pid.
Prints one Markdown table: per workload, each tool's median requests/s and
p50/p99 latency over the rounds, and convoy bench's throughput as a ratio
to redis-benchmark's (above 1: it drove the server harder). redis-benchmark
runs a fixed number of requests, sized from the first round to last about
as long as convoy bench's --duration.
"""
import argparse, csv, io, json, statistics, subprocess, sys, tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from experiment import start_server  # noqa: E402


def redis_benchmark(port, test, clients, pipeline, requests):
    out = subprocess.run(
        ["redis-benchmark", "-p", str(port), "-t", test, "-c", str(clients), "-P", str(pipeline),
         "-n", str(requests), "-r", "100000", "-d", "3", "--csv"],
        capture_output=True, text=True, timeout=600).stdout
    rows = list(csv.reader(io.StringIO(out)))
    r = rows[1]
    return float(r[1]), float(r[4]) * 1000, float(r[7]) * 1000  # rps, p50 us, p99 us


def convoy_bench(binary, port, test, clients, pipeline, secs):
    ratio = "1:0" if test == "set" else "0:1"
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run(
            [binary, "bench", "--port", str(port), "--clients", str(clients), "--pipeline", str(pipeline),
             "--ratio", ratio, "--keys", "100000", "--value-size", "3", "--duration", f"{secs}s",
             "--quiet", "--json", f.name],
            check=True, capture_output=True, timeout=600)
        j = json.load(open(f.name))
    return j["ops_per_sec"], j["p50_us"], j["p99_us"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--secs", type=float, default=4)
    ap.add_argument("--convoy", default="target/release/convoy")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="loadgen-check-")
    server, port = start_server("redis", tmp)
    try:
        workloads = [(t, p) for p in (1, 16) for t in ("set", "get")]
        samples = {(w, tool): [] for w in workloads for tool in ("redis-benchmark", "convoy bench")}
        requests = {}
        for rnd in range(a.rounds):
            for (test, pipeline) in workloads:
                c = convoy_bench(a.convoy, port, test, a.clients, pipeline, a.secs)
                samples[((test, pipeline), "convoy bench")].append(c)
                n = requests.setdefault((test, pipeline), max(10000, int(c[0] * a.secs)))
                r = redis_benchmark(port, test, a.clients, pipeline, n)
                samples[((test, pipeline), "redis-benchmark")].append(r)
            print(f"round {rnd + 1}/{a.rounds} done", file=sys.stderr)
        print(f"{a.clients} clients, {a.rounds} rounds, medians; redis-server "
              + subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2])
        print()
        print("| test | pipeline | tool | median rps | min-max | p50 ms | p99 ms | ratio to redis-benchmark |")
        print("|---|---|---|---|---|---|---|---|")
        for w in workloads:
            base = statistics.median(x[0] for x in samples[(w, "redis-benchmark")])
            for tool in ("redis-benchmark", "convoy bench"):
                xs = samples[(w, tool)]
                med = statistics.median(x[0] for x in xs)
                print(f"| {w[0].upper()} | {w[1]} | {tool} | {med:,.0f} | {min(x[0] for x in xs):,.0f}-"
                      f"{max(x[0] for x in xs):,.0f} | {statistics.median(x[1] for x in xs) / 1000:.3f} | "
                      f"{statistics.median(x[2] for x in xs) / 1000:.3f} | {med / base:.2f} |")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
