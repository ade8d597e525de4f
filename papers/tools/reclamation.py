#!/usr/bin/env python3
"""The memory-reclamation experiment (papers/04-reclamation.md): churn with
large values against every backend, memory sampled over time, with and
without a stalled reader.

usage (from the repository root, after `cargo build --release`):
  papers/tools/reclamation.py [--rounds N] [--secs S] [--out DIR] [--servers a,b]

For each server (one at a time, so that nothing else runs while its memory
is sampled), each round runs three phases of --secs seconds, with
`convoy bench` (20 clients, 16 KiB values, 2,000 keys) sending:

  overwrite   SET only: values replaced under existing keys
  churn       SET:DEL 1:1: keys created and deleted, so the map unlinks
              nodes and must reclaim them
  stalled     the churn again, while one more client runs KEYS * over
              200,000 small keys in database 1, back to back: a long
              walk, which in an epoch-reclaimed map holds a guard (and the
              epoch) for as long as it runs

Every 0.2 s it samples the server's resident memory (/proc/PID/status),
INFO memory used_memory, and, where the server reports them, convoy's
exact reclamation counts (INFO convoy: retired, freed, pending). After
each phase it flushes everything and samples once more.

Writes to --out (default papers/04-reclamation): machine.txt,
samples.csv (server, round, phase, t_s, rss_kib, used_memory, retired,
freed, pending), phases.csv (one row per server, round and phase:
requests/s, peak and steady memory, pending garbage, memory after
FLUSHALL) and the plots.
"""
import argparse, csv, json, socket, statistics, subprocess, sys, tempfile, threading, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import svgplot  # noqa: E402
from experiment import BACKENDS, machine, rss_kib, start_server  # noqa: E402

CONVOY = "target/release/convoy"
VALUE = 16384
KEYS = 2000
CLIENTS = 20
READER_KEYS = 200_000
PHASES = {"overwrite": "1:0", "churn": "1:0:1", "stalled": "1:0:1"}


class Conn:
    """A minimal RESP client: enough for INFO, SELECT, KEYS and bulk loads."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = bytearray()
        self.at = 0

    def send(self, *cmds):
        out = bytearray()
        for args in cmds:
            out += b"*%d\r\n" % len(args)
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)

    def _fill(self):
        chunk = self.s.recv(1 << 20)
        if not chunk:
            raise ConnectionError("closed")
        # Drop what is consumed before growing, so reading a long reply
        # stays linear.
        if self.at:
            del self.buf[:self.at]
            self.at = 0
        self.buf += chunk

    def _line(self):
        while (end := self.buf.find(b"\r\n", self.at)) < 0:
            self._fill()
        line = bytes(self.buf[self.at:end])
        self.at = end + 2
        return line

    def _exact(self, n):
        while len(self.buf) - self.at < n + 2:
            self._fill()
        data = bytes(self.buf[self.at:self.at + n])
        self.at += n + 2
        return data

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-", b":"):
            return rest
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return [self.reply() for _ in range(max(n, 0))]
        raise ValueError(f"unexpected reply {line!r}")

    def cmd(self, *args):
        self.send(args)
        return self.reply()

    def skip_keys_reply(self):
        """Read a KEYS reply without building it: an array header, then
        two CRLF-ended lines per key (keys here hold no CRLF). Fast enough
        that the reader's own parsing does not pace the walks."""
        n = int(self._line()[1:])
        lines = 0
        while True:
            lines += self.buf.count(b"\r\n", self.at)
            if lines >= 2 * n:
                break
            # Keep the last byte: a CRLF may straddle two reads.
            self.at = max(len(self.buf) - 1, self.at)
            self._fill()
        # Nothing follows the reply: one command is in flight at a time.
        self.buf.clear()
        self.at = 0

    def info(self, section):
        text = self.cmd("INFO", section).decode()
        return dict(l.split(":", 1) for l in text.splitlines() if ":" in l and not l.startswith("#"))


def sample(pid, conn):
    mem = conn.info("memory")
    convoy = conn.info("convoy") if "used_memory" in mem else {}
    return (rss_kib(pid) or 0, int(mem.get("used_memory", 0)), int(convoy.get("convoy_reclamation_retired", -1)),
            int(convoy.get("convoy_reclamation_freed", -1)), int(convoy.get("convoy_reclamation_pending", -1)))


def load_reader_keys(port):
    c = Conn(port)
    c.cmd("SELECT", 1)
    batch = 10_000
    for start in range(0, READER_KEYS, batch):
        c.send(*[("SET", f"reader:{i:08d}", "v") for i in range(start, start + batch)])
        for _ in range(batch):
            c.reply()
    return c


def run_phase(name, rnd, phase, proc, port, secs, samples, stalled):
    conn = Conn(port)
    stop = threading.Event()
    walks = [0]

    def reader():
        c = Conn(port)
        c.cmd("SELECT", 1)
        while not stop.is_set():
            c.send(("KEYS", "*"))
            c.skip_keys_reply()
            walks[0] += 1

    readers = [threading.Thread(target=reader, daemon=True)] if stalled else []
    for t in readers:
        t.start()
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        bench = subprocess.Popen([CONVOY, "bench", "--port", str(port), "--clients", str(CLIENTS), "--ratio",
                                  PHASES[phase], "--keys", str(KEYS), "--value-size", str(VALUE), "--duration",
                                  f"{secs}s", "--quiet", "--json", f.name],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        t0 = time.monotonic()
        rows = []
        while bench.poll() is None:
            rows.append((round(time.monotonic() - t0, 2),) + sample(proc.pid, conn))
            time.sleep(0.2)
        stop.set()
        for t in readers:
            t.join()
        if bench.returncode != 0:
            sys.exit(f"convoy bench failed against {name}: {bench.stderr.read()}")
        result = json.load(open(f.name))
    end = sample(proc.pid, conn)
    conn.cmd("SELECT", 0)
    conn.cmd("FLUSHDB")
    time.sleep(0.5)
    after = sample(proc.pid, conn)
    for r in rows:
        samples.append((name, rnd, phase) + r)
    half = [r for r in rows if r[0] >= secs / 2] or rows
    pending = [r[5] for r in rows if r[5] >= 0]
    retired = [r[3] for r in rows if r[3] >= 0]
    rate = (retired[-1] - retired[0]) / (rows[-1][0] - rows[0][0]) if len(retired) > 1 and rows[-1][0] > rows[0][0] else 0
    mean_pending = statistics.mean(pending) if pending else None
    return {
        "server": name, "round": rnd, "phase": phase, "ops_per_sec": round(result["ops_per_sec"]),
        "p99_us": result["p99_us"],
        "peak_rss_mib": round(max(r[1] for r in rows) / 1024, 1),
        "steady_rss_mib": round(statistics.median(r[1] for r in half) / 1024, 1),
        "steady_used_mib": round(statistics.median(r[2] for r in half) / 2**20, 1),
        "rss_after_flush_mib": round(after[0] / 1024, 1),
        "peak_pending": max(pending) if pending else "",
        "mean_pending": round(mean_pending) if mean_pending is not None else "",
        "retired_per_s": round(rate) if retired else "",
        # Little's law: garbage waiting / garbage made per second.
        "garbage_life_ms": round(mean_pending / rate * 1000, 2) if pending and rate > 0 else "",
        "reader_walks": walks[0] if stalled else "",
        "end_used_mib": round(end[1] / 2**20, 1),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--secs", type=float, default=5)
    ap.add_argument("--out", default="papers/04-reclamation")
    ap.add_argument("--servers", default=",".join(BACKENDS + ["redis"]))
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    servers = a.servers.split(",")
    lines, _ = machine("", "", servers)
    (out / "machine.txt").write_text("\n".join(lines) + "\n")
    samples, phases = [], []
    workdir = tempfile.mkdtemp(prefix="reclamation-")
    total = a.rounds * len(servers)
    done = 0
    for rnd in range(1, a.rounds + 1):
        for name in servers:
            proc, port = start_server(name, workdir, convoy=CONVOY)
            try:
                for phase in ("overwrite", "churn"):
                    phases.append(run_phase(name, rnd, phase, proc, port, a.secs, samples, False))
                load_reader_keys(port)
                phases.append(run_phase(name, rnd, "stalled", proc, port, a.secs, samples, True))
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            done += 1
            print(f"\r[{done}/{total}] round {rnd}, {name} done   ", end="", file=sys.stderr)
    print(file=sys.stderr)
    with open(out / "samples.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["server", "round", "phase", "t_s", "rss_kib", "used_memory", "retired", "freed", "pending"])
        w.writerows(samples)
    with open(out / "phases.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(phases[0]))
        w.writeheader()
        w.writerows(phases)
    plots(out)


def plots(out):
    rows = list(csv.DictReader(open(out / "samples.csv")))
    for phase in PHASES:
        series = {}
        for r in rows:
            if r["phase"] == phase and r["round"] == "1":
                series.setdefault(r["server"], []).append((float(r["t_s"]), int(r["rss_kib"]) / 1024))
        svgplot.lines(out / f"rss-{phase}.svg", f"resident memory during {phase} (round 1)", "seconds",
                      "RSS, MiB", series)
    series = {}
    for r in rows:
        if r["server"] == "lockfree" and r["round"] == "1" and int(r["pending"]) >= 0 and r["phase"] != "overwrite":
            series.setdefault(f"lockfree, {r['phase']}", []).append((float(r["t_s"]), int(r["pending"])))
    if series:
        svgplot.lines(out / "pending-lockfree.svg", "garbage waiting for reclamation (lockfree, exact)", "seconds",
                      "nodes retired, not yet freed", series)


if __name__ == "__main__":
    main()
