#!/usr/bin/env python3
"""The experiment runner: start the servers an experiment needs, run a
matrix of `convoy bench` workloads against them in turn, repeat, write CSV,
draw plots.

usage (from the repository root, after `cargo build --release`):
  papers/tools/experiment.py NAME [--rounds N] [--secs S] [--out DIR] [--convoy BINARY]
        [--servers a,b] [--clients 1,10] [--pipelines 1,16]
        [--mixes 1:9,9:1] [--distributions uniform,zipf:0.99]
        [--server-cpus LIST --client-cpus LIST]

NAME is one of the experiments in EXPERIMENTS below; the flags narrow or
change its matrix. Each cell of the matrix (clients x pipeline x mix x
distribution) runs every server in turn, and the whole matrix is repeated
--rounds times, so that a slow minute on a shared machine hits every server
alike; tables report the median over rounds and the spread.

Written to --out (default papers/NN-NAME/ as the experiment names it):
  machine.txt     the machine, the code, the tools, and the CPU placement
  results.csv     one row per run: server, clients, pipeline, mix,
                  distribution, round, ops_per_sec, p50_us, p99_us,
                  p999_us, max_us, errors
  memory.csv      every server's resident memory, sampled every 0.5 s over
                  the whole experiment: server, t_s, rss_kib
  summary.md      a table of medians per cell
  throughput-*.svg, p99-*.svg   throughput and p99 latency against clients,
                  one chart per (pipeline, mix, distribution)
  memory.svg      resident memory over time

Servers are started on free loopback ports and stopped by their pids. The
load generator is `convoy bench` (closed loop), so any server that speaks
RESP can be a baseline; here, `redis-server` (no persistence) is.

On sharing cores: on a machine with few cores the load generator and the
server compete for them, and a result then measures both. The runner says
so in machine.txt and on stderr, and with --server-cpus/--client-cpus it
pins each side to its own cores (taskset).
"""
import argparse, csv, json, os, platform, resource, socket, statistics, subprocess, sys, tempfile, threading, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import svgplot  # noqa: E402

BACKENDS = ["mutex", "rwlock", "dashmap", "scc", "flurry", "papaya", "lockfree"]

EXPERIMENTS = {
    # papers/01-lock-convoy.md
    "lock-convoy": {
        "dir": "01-lock-convoy",
        "servers": BACKENDS + ["redis"],
        "clients": [1, 10, 50, 200, 1000],
        "pipelines": [1, 16],
        "mixes": ["1:9", "9:1"],
        "distributions": ["uniform", "zipf:0.99"],
        "keys": 100_000,
        "value_size": 64,
        "secs": 2.0,
        "rounds": 3,
    },
    # A minute-long check that the runner works end to end (.ci/run).
    "smoke": {
        "dir": "smoke",
        "servers": ["mutex", "lockfree"],
        "clients": [1, 10],
        "pipelines": [1],
        "mixes": ["1:1"],
        "distributions": ["zipf:0.99"],
        "keys": 1000,
        "value_size": 16,
        "secs": 0.5,
        "rounds": 2,
    },
}

CONVOY = "target/release/convoy"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, proc):
    for _ in range(400):
        if proc.poll() is not None:
            sys.exit(f"a server on port {port} exited at start (status {proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit(f"the server on port {port} never answered PING")


def taskset(cpus):
    return ["taskset", "-c", cpus] if cpus else []


def start_server(name, workdir, cpus="", convoy=None):
    """Start `name` (a convoy backend, or "redis" for redis-server without
    persistence) on a free loopback port, optionally pinned to `cpus`, and
    wait until it answers PING. Returns (process, port); the caller stops
    it by its pid."""
    port = free_port()
    if name == "redis":
        cmd = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
               "--maxclients", "10000", "--dir", workdir]
    else:
        cmd = [convoy or CONVOY, "--backend", name, "--port", str(port)]
    proc = subprocess.Popen(taskset(cpus) + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(port, proc)
    return proc, port


def rss_kib(pid):
    """The resident memory of process `pid` (VmRSS), or None if it is gone."""
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


class Servers:
    """Every server of the experiment, started once, stopped by pid."""

    def __init__(self, names, cpus, workdir):
        self.procs = {}
        self.ports = {}
        for name in names:
            self.procs[name], self.ports[name] = start_server(name, workdir, cpus)

    def flushall(self, name):
        with socket.create_connection(("127.0.0.1", self.ports[name])) as s:
            s.sendall(b"FLUSHALL\r\n")
            s.recv(64)

    def rss_kib(self, name):
        return rss_kib(self.procs[name].pid)

    def stop(self):
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def bench(port, clients, pipeline, mix, dist, keys, value_size, secs, cpus):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd = taskset(cpus) + [CONVOY, "bench", "--port", str(port), "--clients", str(clients),
                               "--pipeline", str(pipeline), "--ratio", mix, "--distribution", dist,
                               "--keys", str(keys), "--value-size", str(value_size),
                               "--duration", f"{secs}s", "--quiet", "--json", f.name]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=secs * 10 + 60)
        if run.returncode != 0:
            print(f"  convoy bench failed: {run.stderr.strip()}", file=sys.stderr)
            return None
        return json.load(open(f.name))


def machine(cpus_server, cpus_client, servers):
    lines = []
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    lines.append(f"cpu: {model}")
    lines.append(f"cores: {os.cpu_count()}")
    lines.append(f"memory: {mem / 1024 / 1024:.0f} GiB")
    lines.append(f"kernel: {platform.release()}")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    lines.append(f"convoy: {commit}, release build, glibc malloc behind convoy's counting allocator "
                 f"(src/metrics/alloc.rs), worker threads: one per core")
    if "redis" in servers:
        v = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.strip()
        lines.append(f"redis: {v}")
    lines.append("load generator: convoy bench, closed loop, 1 thread")
    if cpus_server or cpus_client:
        lines.append(f"placement: servers on CPUs {cpus_server or 'any'}, load generator on CPUs {cpus_client or 'any'}")
    shared = not (cpus_server and cpus_client and not set(cpus_server.split(",")) & set(cpus_client.split(",")))
    if shared:
        lines.append(f"WARNING: the load generator and the servers share this machine's {os.cpu_count()} cores: "
                     "every figure measures both (pin them apart with --server-cpus/--client-cpus "
                     "on a machine with cores to spare)")
    lines.append(f"date: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}")
    return lines, shared


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("name", choices=sorted(EXPERIMENTS))
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--secs", type=float)
    ap.add_argument("--out")
    ap.add_argument("--servers")
    ap.add_argument("--clients")
    ap.add_argument("--pipelines")
    ap.add_argument("--mixes")
    ap.add_argument("--distributions")
    ap.add_argument("--server-cpus", default="")
    ap.add_argument("--client-cpus", default="")
    ap.add_argument("--convoy", default=CONVOY, help="the convoy binary (default: %(default)s)")
    a = ap.parse_args()
    globals()["CONVOY"] = a.convoy
    e = dict(EXPERIMENTS[a.name])
    for key, conv in (("servers", str), ("clients", int), ("pipelines", int), ("mixes", str), ("distributions", str)):
        given = getattr(a, key)
        if given:
            e[key] = [conv(x) for x in given.split(",")]
    for key in ("rounds", "secs"):
        if getattr(a, key) is not None:
            e[key] = getattr(a, key)
    out = Path(a.out or Path("papers") / e["dir"])
    out.mkdir(parents=True, exist_ok=True)
    if not Path(CONVOY).exists():
        sys.exit(f"{CONVOY} is missing: run `cargo build --release` first")

    # 1000 clients need 1000 sockets in the load generator and each server.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < max(e["clients"]) + 100:
        print(f"warning: the open-file limit ({hard}) is below the largest client count", file=sys.stderr)

    lines, shared = machine(a.server_cpus, a.client_cpus, e["servers"])
    (out / "machine.txt").write_text("\n".join(lines) + "\n")
    if shared:
        print(lines[-2], file=sys.stderr)

    cells = [(c, p, m, d) for p in e["pipelines"] for m in e["mixes"] for d in e["distributions"] for c in e["clients"]]
    total = len(cells) * len(e["servers"]) * e["rounds"]
    est = total * (e["secs"] + 0.4)
    print(f"{a.name}: {len(e['servers'])} servers x {len(cells)} cells x {e['rounds']} rounds = {total} runs, "
          f"about {est / 60:.0f} min", file=sys.stderr)

    workdir = tempfile.mkdtemp(prefix="experiment-")
    servers = Servers(e["servers"], a.server_cpus, workdir)
    started = time.monotonic()
    memory = []
    stop_sampling = threading.Event()

    def sample():
        while not stop_sampling.is_set():
            t = time.monotonic() - started
            for name in e["servers"]:
                rss = servers.rss_kib(name)
                if rss is not None:
                    memory.append((name, round(t, 2), rss))
            stop_sampling.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rows = []
    done = 0
    try:
        for rnd in range(e["rounds"]):
            for cell in cells:
                clients, pipeline, mix, dist = cell
                for name in e["servers"]:
                    r = bench(servers.ports[name], clients, pipeline, mix, dist, e["keys"], e["value_size"],
                              e["secs"], a.client_cpus)
                    done += 1
                    if r is not None:
                        rows.append([name, clients, pipeline, mix, dist, rnd + 1, round(r["ops_per_sec"], 1),
                                     r["p50_us"], r["p99_us"], r["p999_us"], r["max_us"], r["errors"]])
                elapsed = time.monotonic() - started
                eta = elapsed / done * (total - done)
                print(f"\r[{done}/{total}] round {rnd + 1}, {clients} clients, pipeline {pipeline}, {mix} {dist}; "
                      f"{elapsed / 60:.1f} min, about {eta / 60:.1f} min left   ", end="", file=sys.stderr)
            # Each round starts from empty keyspaces, so rounds are alike.
            for name in e["servers"]:
                servers.flushall(name)
    finally:
        stop_sampling.set()
        sampler.join()
        servers.stop()
        print(file=sys.stderr)

    header = ["server", "clients", "pipeline", "mix", "distribution", "round", "ops_per_sec", "p50_us", "p99_us",
              "p999_us", "max_us", "errors"]
    with open(out / "results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    with open(out / "memory.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["server", "t_s", "rss_kib"])
        w.writerows(memory)
    render(out, e)
    print(f"wrote {out}/results.csv, memory.csv, summary.md and the plots", file=sys.stderr)
    if len(rows) < total:
        sys.exit(f"{total - len(rows)} of {total} runs failed (see above)")


def medians(out):
    """(server, clients, pipeline, mix, distribution) -> (median ops/s, min, max, median p99 us, errors)."""
    by = {}
    for r in csv.DictReader(open(out / "results.csv")):
        key = (r["server"], int(r["clients"]), int(r["pipeline"]), r["mix"], r["distribution"])
        by.setdefault(key, []).append(r)
    table = {}
    for key, rs in by.items():
        ops = [float(r["ops_per_sec"]) for r in rs]
        table[key] = (statistics.median(ops), min(ops), max(ops),
                      statistics.median(float(r["p99_us"]) for r in rs), sum(int(r["errors"]) for r in rs))
    return table


def render(out, e):
    """summary.md and the plots, from results.csv and memory.csv."""
    table = medians(out)
    servers = e["servers"]
    md = ["| pipeline | mix SET:GET | keys | clients | " + " | ".join(servers) + " |",
          "|---|---|---|---|" + "---|" * len(servers)]
    for p in e["pipelines"]:
        for m in e["mixes"]:
            for d in e["distributions"]:
                for c in e["clients"]:
                    cells = []
                    for s in servers:
                        v = table.get((s, c, p, m, d))
                        cells.append(f"{v[0]:,.0f}" if v else "-")
                    md.append(f"| {p} | {m} | {d} | {c} | " + " | ".join(cells) + " |")
    (out / "summary.md").write_text("Median requests/s over rounds.\n\n" + "\n".join(md) + "\n")
    for p in e["pipelines"]:
        for m in e["mixes"]:
            for d in e["distributions"]:
                tag = f"p{p}-{m.replace(':', 'to')}-{d.replace(':', '')}"
                for metric, idx, ylabel, name in ((0, 0, "requests/s (median)", "throughput"),
                                                  (1, 3, "p99 latency, ms (median)", "p99")):
                    series = {}
                    for s in servers:
                        pts = [(c, table[(s, c, p, m, d)][idx] / (1000 if metric else 1))
                               for c in e["clients"] if (s, c, p, m, d) in table]
                        if pts:
                            series[s] = pts
                    title = f"{name}: SET:GET {m}, {d} keys, pipeline {p}"
                    svgplot.lines(out / f"{name}-{tag}.svg", title, "clients (log scale)", ylabel, series,
                                  log_x=True)
    mem = {}
    for r in csv.DictReader(open(out / "memory.csv")):
        mem.setdefault(r["server"], []).append((float(r["t_s"]), int(r["rss_kib"]) / 1024))
    if mem:
        svgplot.lines(out / "memory.svg", "resident memory over the experiment", "seconds", "RSS, MiB", mem)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--render":
        # Redraw from existing CSVs: experiment.py --render DIR NAME
        render(Path(sys.argv[2]), EXPERIMENTS[sys.argv[3]])
    else:
        main()
