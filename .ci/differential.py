#!/usr/bin/env python3
"""Differential conformance: the same RESP requests to real Redis and to
convoy, the exact reply bytes compared.

Usage: differential.py --redis PORT --convoy PORT [--host 127.0.0.1] [-v]

Standard library only. The corpus below is a list of groups; before each
group both servers get FLUSHALL and the group gets fresh connections (so
SELECT, HELLO and CLIENT SETNAME never leak from one group into the next).
A group may run in RESP3 (it starts with HELLO 3 on both sides).

Every step is compared byte for byte unless it names a normaliser. The
normalisers (section "Normalisers") are the whole list of rules for replies
that legitimately differ between two servers (clocks, ids, ports, hash-table
order, commands convoy does not have); each says what it keeps. Intended
differences, where convoy follows Redis 7.2 and the reference server is
7.0, are in ALLOWED with their reason: a mismatch there is printed as
"allowed" and does not fail the run.

Protocol errors run each on its own connection: the error reply must match
and both servers must close the connection.

Exit status: 0 when every step matched (or was allowed), 1 otherwise.
"""

import argparse
import socket
import sys
import time

TIMEOUT = 3.0  # seconds to wait for one reply before calling it missing


# ---------------------------------------------------------------------------
# RESP client: sends raw bytes, reads one reply at a time, and returns both
# the exact bytes of the reply and a parsed value (for normalisers).
# ---------------------------------------------------------------------------

class Closed(Exception):
    """The server closed the connection."""


class Conn:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.pos = 0

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _need(self, n):
        while len(self.buf) - self.pos < n:
            data = self.sock.recv(65536)
            if not data:
                raise Closed()
            self.buf += data

    def _line(self):
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                line = self.buf[self.pos:end]
                self.pos = end + 2
                return line
            data = self.sock.recv(65536)
            if not data:
                raise Closed()
            self.buf += data

    def _value(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-", b"(", b","):
            return (kind.decode(), rest.decode("latin-1"))
        if kind == b":":
            return (":", int(rest))
        if kind == b"_":
            return ("_", None)
        if kind == b"#":
            return ("#", rest == b"t")
        if kind in (b"$", b"=", b"!"):
            n = int(rest)
            if n < 0:
                return (kind.decode(), None)
            self._need(n + 2)
            data = self.buf[self.pos:self.pos + n]
            self.pos += n + 2
            return (kind.decode(), data)
        if kind in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return (kind.decode(), None)
            return (kind.decode(), [self._value() for _ in range(n)])
        if kind in (b"%", b"|"):
            n = int(rest)
            return (kind.decode(), [(self._value(), self._value()) for _ in range(n)])
        raise ValueError("unknown RESP type byte %r in %r" % (kind, line))

    def reply(self):
        """One reply: (exact bytes, parsed value). Missing replies read as
        <TIMEOUT> or <CLOSED> so that a comparison still happens."""
        start = self.pos
        try:
            value = self._value()
        except socket.timeout:
            return b"<TIMEOUT>", ("timeout", None)
        except Closed:
            return b"<CLOSED>", ("closed", None)
        raw = self.buf[start:self.pos]
        self.buf, self.pos = self.buf[self.pos:], 0
        return raw, value

    def read_until_closed(self):
        """Everything the server sends until it closes (or TIMEOUT passes);
        returns (bytes, closed?)."""
        data = self.buf[self.pos:]
        self.buf, self.pos = b"", 0
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return data, True
                data += chunk
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


# ---------------------------------------------------------------------------
# Corpus steps
# ---------------------------------------------------------------------------

class C:
    """One command, sent as a RESP array; `norm` names a normaliser."""

    def __init__(self, *args, norm=None, label=None):
        self.args = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        self.norm, self.name = norm, label

    def label(self):
        return self.name or " ".join(a.decode("latin-1") for a in self.args)[:200]


class Raw:
    """Raw bytes on the group's connection (inline commands, pipelines);
    `replies` replies are read and compared one by one."""

    def __init__(self, data, replies=1):
        self.data, self.replies = data, replies

    def label(self):
        return "raw %r" % self.data[:120]


class ProtocolError:
    """Raw bytes on a fresh connection: the reply must match, and both
    servers must close the connection."""

    def __init__(self, data):
        self.data = data

    def label(self):
        return "protocol %r" % self.data[:120]


class Scan:
    """A full SCAN iteration with the given options: the union of the keys
    returned must be equal (cursor values are the server's own business)."""

    def __init__(self, *opts):
        self.opts = [str(o) for o in opts]

    def label(self):
        return "SCAN (full iteration) " + " ".join(self.opts)


class Sleep:
    """Wait, for expiry (kept short: the whole run must stay fast)."""

    def __init__(self, seconds):
        self.seconds = seconds

    def label(self):
        return "sleep %s" % self.seconds


class SelfPush:
    """A command whose reply comes with `pushes` push messages for the same
    client (RESP3 PUBLISH to a channel the client listens to). Redis 7.0
    sends the pushes before the reply; 7.2 defers them until after it
    (networking.c, pending_push_messages), as convoy does. The reply and
    every push are compared exactly, in 7.2's order."""

    def __init__(self, *args, pushes=1):
        self.args = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        self.pushes = pushes

    def label(self):
        return " ".join(a.decode("latin-1") for a in self.args)[:200] + " (pushes after reply)"


# ---------------------------------------------------------------------------
# Normalisers: each takes the two parsed replies (redis, convoy) and returns
# None when they agree under its rule, or a reason string.
# ---------------------------------------------------------------------------

def within(tolerance):
    """TTL-like integers: equal when negative (-1/-2), else within
    `tolerance` (the two servers are asked a few ms apart, and a TTL in
    seconds rounds at a boundary)."""
    def norm(r, c):
        if r[0] != ":" or c[0] != ":":
            return None if r == c else "types differ"
        a, b = r[1], c[1]
        if a < 0 or b < 0:
            return None if a == b else "differ"
        return None if abs(a - b) <= tolerance else "differ by %d" % abs(a - b)
    return norm


def sorted_array(r, c):
    """Arrays whose order is hash-table order (KEYS, COMMAND LIST): compare
    the sorted elements."""
    if r[0] != c[0] or r[1] is None or c[1] is None:
        return None if r == c else "types differ"
    return None if sorted(r[1]) == sorted(c[1]) else "elements differ"


def time_reply(r, c):
    """TIME: two bulk strings of digits, seconds within 2 of each other."""
    def parts(v):
        if v[0] != "*" or len(v[1]) != 2 or any(e[0] != "$" or not e[1].isdigit() for e in v[1]):
            return None
        return int(v[1][0][1]), int(v[1][1][1])
    pr, pc = parts(r), parts(c)
    if pr is None or pc is None:
        return "shape differs"
    return None if abs(pr[0] - pc[0]) <= 2 and pc[1] < 1000000 else "clocks differ"


def integer(r, c):
    """CLIENT ID, COMMAND COUNT: both integers (values are the server's)."""
    return None if r[0] == ":" and c[0] == ":" else "not both integers"


def member_of(*keys):
    """RANDOMKEY with several keys: each reply is one of `keys`."""
    allowed = {k.encode() for k in keys}

    def norm(r, c):
        ok = lambda v: v[0] == "$" and v[1] in allowed
        return None if ok(r) and ok(c) else "not one of the keys"
    return norm


def _kv_pairs(v):
    if v[0] == "%":
        return list(v[1])
    if v[0] == "*" and v[1] is not None and len(v[1]) % 2 == 0:
        return [(v[1][i], v[1][i + 1]) for i in range(0, len(v[1]), 2)]
    return None


def hello(r, c):
    """HELLO: the same map; `id` (connection counter) and `version` (the
    reference is 7.0.15, convoy says 7.2.4) are masked."""
    if r[0] == "-" or c[0] == "-":
        return None if r == c else "differ"
    pr, pc = _kv_pairs(r), _kv_pairs(c)
    if pr is None or pc is None or r[0] != c[0]:
        return "shape differs"
    mask = lambda pairs: [(k, ("masked",) if k[1] in (b"id", b"version") else v) for k, v in pairs]
    return None if mask(pr) == mask(pc) else "maps differ"


# CLIENT LIST / CLIENT INFO: fields whose value is per process or per moment.
CLIENT_VOLATILE = {"id", "addr", "laddr", "fd", "age", "idle", "qbuf", "qbuf-free", "argv-mem",
                   "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem"}
# Fields Redis 7.2 added (convoy follows 7.2; the reference is 7.0).
CLIENT_FIELDS_72 = {"lib-name", "lib-ver"}


def client_fields(r, c):
    """CLIENT LIST / INFO: the same field names in the same order, equal
    values except CLIENT_VOLATILE; 7.2's lib-name/lib-ver are dropped."""
    if r[0] == "-" or c[0] == "-":
        return None if r == c else "differ"
    if r[0] != c[0] or r[0] not in ("$", "="):
        return "types differ"

    def lines(v):
        text = v[1].decode("latin-1")
        if text.startswith("txt:"):
            text = text[4:]
        out = []
        for line in text.splitlines():
            fields = []
            for kv in line.split(" "):
                k, _, val = kv.partition("=")
                if k in CLIENT_FIELDS_72:
                    continue
                fields.append((k, "*" if k in CLIENT_VOLATILE else val))
            out.append(fields)
        return out
    lr, lc = lines(r), lines(c)
    if lr == lc:
        return None
    for a, b in zip(lr, lc):
        if a != b:
            da = [f for f in a if f not in b]
            db = [f for f in b if f not in a]
            return "redis has %s, convoy has %s" % (da, db)
    return "line counts differ"


# INFO fields Redis 7.2 added (convoy follows 7.2; the reference is 7.0).
INFO_FIELDS_72 = {"listener0", "total_blocking_keys", "total_blocking_keys_on_nokey"}


def info_fields(r, c):
    """INFO: convoy writes a subset of Redis's sections and fields. Every
    section convoy writes must exist in Redis (bar its own `Convoy`); every
    `field:` convoy writes in it (bar its own `convoy_*`, INFO_FIELDS_72 and
    the per-command lines of COMMANDS_72) must exist in Redis's
    section; Keyspace lines must be equal, bar the value of avg_ttl (Redis
    estimates it by sampling in its expiry cycle, so it depends on when
    the cycle last ran; convoy writes 0)."""
    if r[0] != c[0] or r[0] not in ("$", "="):
        return None if r == c else "types differ"

    def sections(v):
        out, cur = {}, None
        for line in v[1].decode("latin-1").splitlines():
            if line.startswith("txt:"):
                line = line[4:]
            if line.startswith("# "):
                cur = line[2:]
                out[cur] = {}
            elif ":" in line and cur is not None:
                k, _, val = line.partition(":")
                if cur == "Keyspace":
                    val = ",".join("avg_ttl=*" if f.startswith("avg_ttl=") else f for f in val.split(","))
                out[cur][k] = val
        return out
    sr, sc = sections(r), sections(c)
    # Per-command lines of commands Redis 7.0 does not have.
    newer = {prefix + cmd.decode() for cmd in COMMANDS_72 for prefix in ("cmdstat_", "latency_percentiles_usec_")}
    for name, fields in sc.items():
        if name == "Convoy":
            continue  # convoy's own section: backend, threads, gate, metrics
        if name not in sr:
            return "section %r not in Redis" % name
        for k in fields:
            if k.startswith("convoy_") or k in INFO_FIELDS_72 or k in newer:
                continue
            if k not in sr[name]:
                return "field %s:%s not in Redis" % (name, k)
    if sc.get("Keyspace") != sr.get("Keyspace") and "Keyspace" in sc:
        return "keyspace differs: %s vs %s" % (sr.get("Keyspace"), sc.get("Keyspace"))
    return None


def config_subset(r, c):
    """CONFIG GET: convoy knows a subset of Redis's parameters. Every pair
    convoy returns must be in Redis's reply with the same value, bar `port`
    (each server has its own)."""
    if r[0] == "-" or c[0] == "-":
        return None if r == c else "differ"
    pr, pc = _kv_pairs(r), _kv_pairs(c)
    if pr is None or pc is None or r[0] != c[0]:
        return "shape differs"
    dr = {k[1]: v for k, v in pr}
    for k, v in pc:
        if k[1] not in dr:
            return "parameter %r not in Redis" % k[1]
        if k[1] != b"port" and dr[k[1]] != v:
            return "%r: redis %r, convoy %r" % (k[1], dr[k[1]], v)
    return None


# Commands Redis 7.2 added (convoy follows 7.2; the reference is 7.0).
COMMANDS_72 = {b"client|setinfo"}


def unordered_map(r, c):
    """CONFIG GET with several parameters: Redis answers in its dict's
    order; the same pairs in any order."""
    pr, pc = _kv_pairs(r), _kv_pairs(c)
    if pr is None or pc is None or r[0] != c[0]:
        return None if r == c else "shape differs"
    return None if sorted(pr) == sorted(pc) else "pairs differ"


def subset(r, c):
    """COMMAND LIST: every name convoy lists (bar COMMANDS_72) is one Redis
    lists."""
    if r[0] != c[0] or r[1] is None or c[1] is None:
        return None if r == c else "types differ"
    extra = [e for e in c[1] if e not in r[1] and e[1] not in COMMANDS_72]
    return None if not extra else "convoy lists %s" % extra[:5]


# CLIENT HELP lines for CLIENT SETINFO, which Redis 7.2 added, and for
# CLIENT KILL's MAXAGE filter, which Redis 7.4 added.
HELP_LINES_72 = {"SETINFO <option> <value>", "    Set client meta attr. Options are:",
                 "    * LIB-NAME: the client lib name.", "    * LIB-VER: the client lib version.",
                 "    * MAXAGE <maxage>", "      Kill connections older than the specified age."}


def help_subset(r, c):
    """CLIENT/CONFIG/COMMAND HELP: convoy's help lists only the subcommands
    it has. Its lines must be Redis's lines, in Redis's order, with whole
    subcommands left out (bar HELP_LINES_72)."""
    if r[0] != "*" or c[0] != "*":
        return None if r == c else "types differ"
    theirs = [e[1] for e in r[1]]
    i = 0
    for e in c[1]:
        if e[1] in HELP_LINES_72:
            continue
        while i < len(theirs) and theirs[i] != e[1]:
            i += 1
        if i == len(theirs):
            return "line %r not in Redis's help (or out of order)" % e[1]
        i += 1
    return None


def _command_entries(v):
    if v[0] != "*" or v[1] is None:
        return None
    return v[1]


# Command flags Redis 7.2 added (convoy follows 7.2; the reference is 7.0).
FLAGS_72 = {(b"hello", "sentinel")}
INFO_FIELDS = ["name", "arity", "flags", "first", "last", "step", "acl", "tips", "keyspecs", "subcommands"]


def command_info_core(r, c):
    """COMMAND INFO, the fields clients act on: name, arity, flags (bar
    FLAGS_72), first/last/step, and, for containers, the same of each
    subcommand convoy has. ACL categories, tips and key specs are left to
    command_info (allow-listed: convoy derives them from its flags)."""
    er, ec = _command_entries(r), _command_entries(c)
    if er is None or ec is None or len(er) != len(ec):
        return None if r == c else "shape differs"

    def core(e):
        f = e[1]
        name = f[0][1]
        flags = sorted(x for x in f[2][1] if (name, x[1]) not in FLAGS_72)
        return [name, f[1], flags, f[3], f[4], f[5]]
    diffs = []
    for a, b in zip(er, ec):
        if b[1] is None or a[1] is None:
            if (a[1] is None) != (b[1] is None) and b[1] is not None:
                diffs.append("%s: not in Redis" % b[1][0][1].decode())
            continue
        if core(a) != core(b):
            bad = [INFO_FIELDS[i] for i in range(6) if core(a)[i] != core(b)[i]]
            diffs.append("%s: %s" % (b[1][0][1].decode(), ",".join(bad)))
        subs_a = {s[1][0][1]: s for s in a[1][9][1]}
        for sb in b[1][9][1]:
            name = sb[1][0][1]
            if name in COMMANDS_72:
                continue
            if name not in subs_a:
                diffs.append("%s: not in Redis" % name.decode())
            elif core(subs_a[name]) != core(sb):
                bad = [INFO_FIELDS[i] for i in range(6) if core(subs_a[name])[i] != core(sb)[i]]
                diffs.append("%s: %s" % (name.decode(), ",".join(bad)))
    return "; ".join(diffs) if diffs else None


def command_info(r, c):
    """COMMAND INFO for commands convoy has: equal entries, except that a
    container's subcommand list (element 10) keeps only the subcommands
    convoy has (bar COMMANDS_72), in name order (Redis lists them in dict
    order). A Null entry (command convoy lacks) must be Null in convoy."""
    er, ec = _command_entries(r), _command_entries(c)
    if er is None or ec is None or len(er) != len(ec):
        return None if r == c else "shape differs"
    diffs = []
    for a, b in zip(er, ec):
        if b[0] == "*" and b[1] is None:
            continue
        if a == b:
            continue
        if a[0] != b[0] or a[1] is None or len(a[1]) != len(b[1]):
            diffs.append("%s: shape" % (b[1][0][1].decode() if b[1] else b,))
            continue
        fa, fb = list(a[1]), list(b[1])
        if len(fa) >= 10 and fb[9][1]:
            names = {s[1][0] for s in fb[9][1]}
            fa[9] = (fa[9][0], sorted((s for s in fa[9][1] if s[1][0] in names), key=lambda s: s[1][0][1]))
            fb[9] = (fb[9][0], sorted((s for s in fb[9][1] if s[1][0][1] not in COMMANDS_72), key=lambda s: s[1][0][1]))
            if fa[9] != fb[9]:
                subs = [s[1][0][1].decode() for s, t in zip(fa[9][1], fb[9][1]) if s != t]
                diffs.append("%s: subcommands %s" % (fb[0][1].decode(), subs))
                fa[9] = fb[9]
        bad = [INFO_FIELDS[i] for i in range(len(fa)) if fa[i] != fb[i]]
        if bad:
            diffs.append("%s: %s" % (fb[0][1].decode(), ",".join(bad)))
    return "; ".join(diffs) if diffs else None


def command_docs_core(r, c):
    """COMMAND DOCS: every command convoy documents, Redis documents too,
    with the same `since` and `group`. The rest is left to command_docs."""
    return command_docs(r, c, fields=(b"since", b"group"))


def command_docs(r, c, fields=(b"summary", b"since", b"group", b"complexity", b"arguments")):
    """COMMAND DOCS for commands convoy has: for each command convoy
    documents, Redis documents it with the same summary, since, group,
    complexity and arguments."""
    pr, pc = _kv_pairs(r), _kv_pairs(c)
    if pr is None or pc is None:
        return None if r == c else "shape differs"
    dr = {k[1]: v for k, v in pr}
    for name, doc in pc:
        if name[1] not in dr:
            return "%r not documented by Redis" % name[1]
        fr = {k[1]: v for k, v in _kv_pairs(dr[name[1]])}
        fc = {k[1]: v for k, v in _kv_pairs(doc)}
        for field in fields:
            if fr.get(field) != fc.get(field):
                return "%s %s: redis %s / convoy %s" % (name[1].decode(), field.decode(), fr.get(field), fc.get(field))
    return None


# ---------------------------------------------------------------------------
# Allow-list: known, intended differences. Key: the command as label()
# writes it (upper-case as in the corpus). Keep it small and honest.
# ---------------------------------------------------------------------------

ALLOWED = {
    # convoy's command table keeps no per-command ACL categories, tips or
    # key-spec flags: COMMAND INFO derives them from the command flags
    # (src/cmd/server.rs, acl_categories and key_specs). Names, arity,
    # flags and key positions are checked exactly by the "(core)" step.
    "COMMAND INFO <every command> (full)": "derived ACL categories, tips and key specs (known gap)",
    # convoy's COMMAND DOCS has summary, since and group only (no
    # complexity, arguments or history), and its summaries are 7.2's
    # wording. since and group are checked exactly by the "(core)" step.
    "COMMAND DOCS <every command> (full)": "no complexity/arguments; 7.2 summaries (known gap)",
    # CLIENT SETINFO arrived in Redis 7.2; 7.0 answers "unknown subcommand".
    "CLIENT SETINFO lib-name redis-py": "CLIENT SETINFO is Redis 7.2 (reference server is 7.0)",
    "CLIENT SETINFO LIB-VER 1.2.3": "CLIENT SETINFO is Redis 7.2 (reference server is 7.0)",
    "CLIENT SETINFO lib-name bad name": "CLIENT SETINFO is Redis 7.2 (reference server is 7.0)",
    "CLIENT SETINFO foo bar": "CLIENT SETINFO is Redis 7.2 (reference server is 7.0)",
    "CLIENT SETINFO lib-name": "CLIENT SETINFO is Redis 7.2: 7.0 gives the container's arity error",
    # ZRANK/ZREVRANK WITHSCORE arrived in Redis 7.2 (arity -3); 7.0 has arity 3.
    "ZRANK z a WITHSCORE": "ZRANK WITHSCORE is Redis 7.2 (reference server is 7.0)",
    "ZREVRANK z a withscore": "ZREVRANK WITHSCORE is Redis 7.2 (reference server is 7.0)",
    "ZRANK z nosuch WITHSCORE": "ZRANK WITHSCORE is Redis 7.2 (reference server is 7.0)",
    "ZRANK z a bogus": "ZRANK WITHSCORE is Redis 7.2: 7.0 gives an arity error, 7.2 a syntax error",
    "ZRANK z b WITHSCORE": "ZRANK WITHSCORE is Redis 7.2 (reference server is 7.0)",
    "ZRANK z x WITHSCORE": "ZRANK WITHSCORE is Redis 7.2 (reference server is 7.0)",
    # Redis 7.0 negates RANK -2^63 with an overflow (it acts as -1);
    # 7.2 (redis#12167) rejects it with a range error, as convoy does.
    "LPOS p c RANK -9223372036854775808": "LPOS RANK range check is Redis 7.2 (reference server is 7.0)",
}


# ---------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------

BIG = "9223372036854775807"      # i64::MAX
SMALL = "-9223372036854775808"   # i64::MIN
FUTURE_S = "4102444800"          # 2100-01-01, in seconds
FUTURE_MS = "4102444800000"

GROUPS = []


def group(name, steps, resp=2):
    GROUPS.append((name, resp, steps))


group("connection", [
    C("PING"), C("PING", "hello"), C("PING", "a", "b"), C("ping"), C("PiNg", ""),
    C("ECHO", "hi"), C("ECHO"), C("ECHO", "a", "b"), C("ECHO", ""),
    C("SELECT", "1"), C("SET", "k", "in1"), C("SELECT", "0"), C("GET", "k"),
    C("SELECT", "15"), C("SELECT", "16"), C("SELECT", "-1"), C("SELECT", "x"),
    C("SELECT", "1.5"), C("SELECT", BIG), C("SELECT"), C("SELECT", "0", "1"), C("SELECT", "0"),
    C("HELLO", norm=hello), C("HELLO", "2", norm=hello), C("HELLO", "4"), C("HELLO", "0"),
    C("HELLO", "x"), C("HELLO", "1"), C("HELLO", "-1"), C("HELLO", "2", "SETNAME", "named", norm=hello),
    C("CLIENT", "GETNAME"), C("HELLO", "2", "AUTH", "default", "pw", norm=hello),
    C("HELLO", "2", "SETNAME"), C("HELLO", "2", "FOO"), C("HELLO", "2", "SETNAME", "bad name"),
    C("NOSUCHCOMMAND"), C("NOSUCHCOMMAND", "a", "b"), C("nosuch", "x" * 200), C(""),
    C("GET"), C("SET", "k"), C("get", "a", "b"),
])

# Neither server has a password here: AUTH's replies without one, and the
# SHUTDOWN errors that do not stop a server (never SHUTDOWN itself).
group("auth", [
    C("AUTH"), C("AUTH", "x"), C("AUTH", "default", "x"), C("AUTH", "other", "x"),
    C("AUTH", "DEFAULT", "x"), C("AUTH", "a", "b", "c"), C("HELLO", "2", "AUTH", "other", "x"),
    C("HELLO", "2", "AUTH", "default", "x", norm=hello), C("PING"),
    C("CONFIG", "GET", "requirepass"), C("CONFIG", "GET", "protected-mode"), C("CONFIG", "REWRITE"),
    C("SHUTDOWN", "FOO"), C("SHUTDOWN", "ABORT"), C("SHUTDOWN", "NOSAVE", "SAVE"),
    C("SHUTDOWN", "ABORT", "NOW"), C("MULTI"), C("SHUTDOWN"), C("EXEC"),
])

group("client", [
    C("CLIENT"), C("CLIENT", "ID", norm=integer), C("CLIENT", "ID", "x"),
    C("CLIENT", "GETNAME"), C("CLIENT", "SETNAME", "conn-1"), C("CLIENT", "GETNAME"),
    C("CLIENT", "SETNAME", "has space"), C("CLIENT", "SETNAME", "new\nline"),
    C("CLIENT", "SETNAME", ""), C("CLIENT", "GETNAME"), C("CLIENT", "SETNAME"),
    C("CLIENT", "SETNAME", "a", "b"), C("CLIENT", "GETNAME", "x"),
    C("CLIENT", "SETNAME", "lister"),
    C("CLIENT", "INFO", norm=client_fields), C("CLIENT", "LIST", norm=client_fields),
    C("CLIENT", "LIST", "TYPE", "normal", norm=client_fields),
    C("CLIENT", "LIST", "TYPE", "pubsub", norm=client_fields),
    C("CLIENT", "LIST", "TYPE", "master", norm=client_fields),
    C("CLIENT", "LIST", "TYPE", "replica", norm=client_fields),
    C("CLIENT", "LIST", "TYPE", "bogus"), C("CLIENT", "LIST", "TYPE"),
    C("CLIENT", "LIST", "ID", "999999", norm=client_fields), C("CLIENT", "LIST", "ID", "x"),
    C("CLIENT", "LIST", "ID", "0"), C("CLIENT", "LIST", "ID", "-5"), C("CLIENT", "LIST", "ID"),
    C("CLIENT", "LIST", "FOO"), C("CLIENT", "INFO", "x"),
    C("CLIENT", "NOSUCH"), C("CLIENT", "nosuch", "a"), C("CLIENT", "HELP", norm=help_subset),
    C("CLIENT", "HELP", "x"),
    C("CLIENT", "SETINFO", "lib-name", "redis-py"), C("CLIENT", "SETINFO", "LIB-VER", "1.2.3"),
    C("CLIENT", "SETINFO", "lib-name", "bad name"), C("CLIENT", "SETINFO", "foo", "bar"),
    C("CLIENT", "SETINFO", "lib-name"),
])

group("server", [
    C("DBSIZE"), C("SET", "a", "1"), C("SET", "b", "2"), C("DBSIZE"), C("DBSIZE", "x"),
    C("SELECT", "2"), C("SET", "c", "3"), C("DBSIZE"), C("FLUSHDB"), C("DBSIZE"), C("SELECT", "0"),
    C("DBSIZE"), C("FLUSHDB", "SYNC"), C("DBSIZE"), C("SET", "a", "1"), C("FLUSHDB", "ASYNC"),
    C("FLUSHDB", "bogus"), C("FLUSHDB", "SYNC", "ASYNC"), C("FLUSHALL", "bogus"), C("FLUSHALL", "a", "b"),
    C("SET", "a", "1"), C("FLUSHALL", "sync"), C("DBSIZE"), C("FLUSHALL", "ASYNC"), C("FLUSHALL"),
    C("TIME", norm=time_reply), C("TIME", "x"),
    C("SET", "a", "1"), C("SET", "e", "1", "EX", "1000"), C("SELECT", "3"), C("SET", "z", "1"), C("SELECT", "0"),
    C("INFO", norm=info_fields), C("INFO", "keyspace", norm=info_fields),
    C("INFO", "server", norm=info_fields), C("INFO", "clients", norm=info_fields),
    C("INFO", "stats", norm=info_fields), C("INFO", "KEYSPACE", norm=info_fields),
    C("INFO", "nosuchsection"), C("INFO", "default", norm=info_fields), C("INFO", "all", norm=info_fields),
    C("INFO", "everything", norm=info_fields), C("INFO", "server", "keyspace", norm=info_fields),
])

group("config", [
    C("CONFIG"), C("CONFIG", "GET"), C("CONFIG", "GET", "nosuchparam"),
    C("CONFIG", "GET", "databases"), C("CONFIG", "GET", "maxmemory"), C("CONFIG", "GET", "hz"),
    C("CONFIG", "GET", "timeout"), C("CONFIG", "GET", "save"), C("CONFIG", "GET", "appendonly"),
    C("CONFIG", "GET", "maxmemory-policy"), C("CONFIG", "GET", "proto-max-bulk-len"),
    C("CONFIG", "GET", "port", norm=config_subset), C("CONFIG", "GET", "*", norm=config_subset),
    C("CONFIG", "GET", "max*", norm=config_subset), C("CONFIG", "GET", "HZ"),
    C("CONFIG", "GET", "databases", "hz", norm=unordered_map), C("CONFIG", "GET", "hz", "hz"),
    C("CONFIG", "SET", "hz", "20"), C("CONFIG", "GET", "hz"), C("CONFIG", "SET", "hz", "10"),
    C("CONFIG", "SET", "hz", "abc"), C("CONFIG", "SET", "hz", "-1"),
    C("CONFIG", "SET", "maxmemory", "100mb"), C("CONFIG", "GET", "maxmemory"), C("CONFIG", "SET", "maxmemory", "0"),
    C("CONFIG", "SET", "maxmemory", "lots"),
    C("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), C("CONFIG", "GET", "maxmemory-policy"),
    C("CONFIG", "SET", "maxmemory-policy", "bogus"), C("CONFIG", "SET", "maxmemory-policy", "noeviction"),
    C("CONFIG", "SET", "timeout", "0"), C("CONFIG", "SET", "timeout", "-5"),
    C("CONFIG", "SET", "nosuchparam", "1"), C("CONFIG", "SET", "databases", "32"),
    C("CONFIG", "SET", "hz"), C("CONFIG", "SET", "hz", "10", "timeout"),
    C("CONFIG", "SET", "hz", "11", "hz", "12"),
    C("CONFIG", "SET", "hz", "10", "timeout", "0"),
    C("CONFIG", "RESETSTAT"), C("CONFIG", "RESETSTAT", "x"), C("CONFIG", "HELP", norm=help_subset),
    C("CONFIG", "NOSUCH"), C("CONFIG", "HELP", "x"),
])

group("limits", [
    C("CONFIG", "GET", "maxclients"), C("CONFIG", "GET", "client-query-buffer-limit"),
    C("CONFIG", "GET", "client-output-buffer-limit"),
    C("CONFIG", "SET", "maxclients", "0"), C("CONFIG", "SET", "maxclients", "abc"),
    C("CONFIG", "SET", "proto-max-bulk-len", "1000"), C("CONFIG", "SET", "proto-max-bulk-len", "2mb"),
    C("CONFIG", "GET", "proto-max-bulk-len"), C("CONFIG", "SET", "proto-max-bulk-len", "512mb"),
    C("CONFIG", "SET", "client-query-buffer-limit", "1000"),
    C("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb"),
    C("CONFIG", "SET", "client-output-buffer-limit", "master 1 2 3"),
    C("CONFIG", "SET", "client-output-buffer-limit", "normal 1 2 -3"),
    C("CONFIG", "SET", "client-output-buffer-limit", "normal x 2 3"),
    C("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 512kb 10 pubsub 1k 2k 4"),
    C("CONFIG", "GET", "client-output-buffer-limit"),
    C("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0 pubsub 32mb 8mb 60"),
    C("CONFIG", "GET", "client-output-buffer-limit"),
])

CONVOY_COMMANDS = ["get", "set", "setnx", "setex", "psetex", "getset", "getdel", "getex", "mget", "mset",
                   "msetnx", "incr", "decr", "incrby", "decrby", "incrbyfloat", "append", "strlen",
                   "getrange", "setrange", "del", "unlink", "exists", "type", "keys", "scan", "rename",
                   "renamenx", "expire", "pexpire", "expireat", "pexpireat", "ttl", "pttl", "expiretime",
                   "pexpiretime", "persist", "randomkey", "ping", "echo", "quit", "hello", "select",
                   "dbsize", "flushdb", "flushall", "time", "info", "client", "config", "command"]

group("command", [
    C("COMMAND", "COUNT", norm=integer), C("COMMAND", "COUNT", "x"),
    C("COMMAND", "LIST", norm=subset),
    C("COMMAND", "LIST", "FILTERBY", "MODULE", "nosuch"),
    C("COMMAND", "LIST", "FILTERBY", "ACLCAT", "string", norm=subset),
    C("COMMAND", "LIST", "FILTERBY", "PATTERN", "get*", norm=subset),
    C("COMMAND", "LIST", "FILTERBY", "BOGUS", "x"), C("COMMAND", "LIST", "FILTERBY"),
    C("COMMAND", "LIST", "x"),
    C("COMMAND", "INFO", "get"), C("COMMAND", "INFO", "nosuchcommand"), C("COMMAND", "INFO", "GET", "nosuch"),
    C("COMMAND", "INFO", "config|get"), C("COMMAND", "INFO", "client|id"),
    C("COMMAND", "INFO", *CONVOY_COMMANDS, norm=command_info_core, label="COMMAND INFO <every command> (core)"),
    C("COMMAND", "INFO", *CONVOY_COMMANDS, norm=command_info, label="COMMAND INFO <every command> (full)"),
    C("COMMAND", "DOCS", "get", norm=command_docs_core), C("COMMAND", "DOCS", "nosuchcommand"),
    C("COMMAND", "DOCS", *CONVOY_COMMANDS, norm=command_docs_core, label="COMMAND DOCS <every command> (core)"),
    C("COMMAND", "DOCS", *CONVOY_COMMANDS, norm=command_docs, label="COMMAND DOCS <every command> (full)"),
    C("COMMAND", "GETKEYS", "GET", "k"), C("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"),
    C("COMMAND", "GETKEYS", "nosuch", "k"), C("COMMAND", "GETKEYS", "GET"),
    C("COMMAND", "GETKEYS", "PING", "x"), C("COMMAND", "GETKEYS"),
    C("COMMAND", "NOSUCH"), C("COMMAND", "HELP", norm=help_subset),
])

group("get-set", [
    C("GET", "k"), C("SET", "k", "v"), C("GET", "k"), C("SET", "k", ""), C("GET", "k"),
    C("SET", "k", "v", "NX"), C("SET", "new", "v", "NX"), C("SET", "k", "v2", "XX"), C("SET", "nope", "v", "XX"),
    C("SET", "k", "v", "NX", "XX"), C("SET", "k", "v", "XX", "NX"), C("SET", "k", "v", "nx", "nx"),
    C("SET", "k", "v", "EX", "10"), C("TTL", "k", norm=within(1)), C("SET", "k", "v", "PX", "10000"),
    C("PTTL", "k", norm=within(1000)), C("SET", "k", "v", "EXAT", FUTURE_S), C("EXPIRETIME", "k"),
    C("SET", "k", "v", "PXAT", FUTURE_MS), C("PEXPIRETIME", "k"),
    C("SET", "k", "v", "EX", "0"), C("SET", "k", "v", "EX", "-1"), C("SET", "k", "v", "PX", "0"),
    C("SET", "k", "v", "EX", "abc"), C("SET", "k", "v", "EX", "1.5"), C("SET", "k", "v", "EX"),
    C("SET", "k", "v", "EX", BIG), C("SET", "k", "v", "PX", BIG), C("SET", "k", "v", "EXAT", BIG),
    C("SET", "k", "v", "PXAT", BIG), C("SET", "k", "v", "EXAT", "0"), C("SET", "k", "v", "PXAT", "-1"),
    C("SET", "k", "v", "EX", "9223372036854775"), C("SET", "k", "v", "EX", "9223372036854776"),
    C("SET", "k", "v", "EX", "10", "PX", "100"), C("SET", "k", "v", "EX", "10", "EX", "20"),
    C("SET", "k", "v", "EX", "10", "KEEPTTL"), C("SET", "k", "v", "KEEPTTL", "PX", "5"),
    C("SET", "k", "v", "EX", "100"), C("SET", "k", "v2", "KEEPTTL"), C("TTL", "k", norm=within(1)),
    C("SET", "k", "v3"), C("TTL", "k"),
    C("SET", "k", "old"), C("SET", "k", "new", "GET"), C("SET", "missing", "x", "GET"),
    C("SET", "k", "x", "NX", "GET"), C("SET", "nx2", "x", "NX", "GET"), C("GET", "nx2"),
    C("SET", "k", "y", "XX", "GET"), C("SET", "nope2", "y", "XX", "GET"), C("EXISTS", "nope2"),
    C("SET", "k", "v", "GET", "GET"), C("SET", "k", "v", "BOGUS"), C("SET", "k", "v", "EX", "10", "BOGUS"),
    C("SET", "k", "v", "ex", "10", "nx"), C("SET", "k"), C("SET"), C("GET", "k", "x"),
    C("SET", "bin\x00key", "bin\x00\xffvalue"), C("GET", "bin\x00key"),
    C("SET", "k", "v", "PX", "50"), Sleep(0.12), C("GET", "k"), C("EXISTS", "k"),
    C("SETNX", "n", "1"), C("SETNX", "n", "2"), C("GET", "n"), C("SETNX", "n"), C("SETNX", "n", "1", "2"),
    C("SETEX", "se", "100", "v"), C("TTL", "se", norm=within(1)), C("SETEX", "se", "0", "v"),
    C("SETEX", "se", "-5", "v"), C("SETEX", "se", "x", "v"), C("SETEX", "se", BIG, "v"), C("SETEX", "se", "10"),
    C("PSETEX", "pe", "100000", "v"), C("PTTL", "pe", norm=within(1000)), C("PSETEX", "pe", "0", "v"),
    C("PSETEX", "pe", "-1", "v"), C("PSETEX", "pe", "1.0", "v"), C("PSETEX", "pe", BIG, "v"),
    C("GETSET", "gs", "1"), C("GETSET", "gs", "2"), C("GETSET", "gs"),
    C("SET", "gs", "x", "EX", "100"), C("GETSET", "gs", "y"), C("TTL", "gs"),
    C("GETDEL", "gs"), C("GETDEL", "gs"), C("GETDEL"), C("GETDEL", "a", "b"),
])

group("getex", [
    C("SET", "k", "v"), C("GETEX", "k"), C("GETEX", "missing"), C("GETEX", "k", "EX", "100"),
    C("TTL", "k", norm=within(1)), C("GETEX", "k", "PX", "100000"), C("PTTL", "k", norm=within(1000)),
    C("GETEX", "k", "EXAT", FUTURE_S), C("EXPIRETIME", "k"), C("GETEX", "k", "PXAT", FUTURE_MS),
    C("PEXPIRETIME", "k"), C("GETEX", "k", "PERSIST"), C("TTL", "k"),
    C("GETEX", "k", "EX", "0"), C("GETEX", "k", "EX", "-1"), C("GETEX", "k", "PX", "0"),
    C("GETEX", "k", "EXAT", "0"), C("GETEX", "k", "EX", "x"), C("GETEX", "k", "EX"),
    C("GETEX", "k", "EX", BIG), C("GETEX", "k", "PXAT", BIG),
    C("GETEX", "k", "EX", "10", "PX", "10"), C("GETEX", "k", "PERSIST", "EX", "10"),
    C("GETEX", "k", "EX", "10", "PERSIST"), C("GETEX", "k", "KEEPTTL"), C("GETEX", "k", "BOGUS"),
    C("GETEX", "k", "persist", "persist"), C("GETEX"), C("GETEX", "missing", "EX", "10"),
    C("GETEX", "missing", "BOGUS"), C("GETEX", "missing", "EX", "x"),
    C("SET", "p", "v"), C("GETEX", "p", "PXAT", "1"), C("EXISTS", "p"),
    C("SET", "p", "v"), C("GETEX", "p", "EXAT", "1"), C("GET", "p"),
])

group("mget-mset", [
    C("MSET", "a", "1", "b", "2"), C("MGET", "a", "b", "c"), C("MGET", "a"), C("MGET"),
    C("MSET", "a"), C("MSET", "a", "1", "b"), C("MSET"), C("MSET", "a", "x", "a", "y"), C("GET", "a"),
    C("MSETNX", "a", "1", "z", "2"), C("EXISTS", "z"), C("MSETNX", "x", "1", "y", "2"), C("MGET", "x", "y"),
    C("MSETNX", "q", "1", "q", "2"), C("GET", "q"), C("MSETNX", "a"), C("MSETNX", "a", "1", "b"), C("MSETNX"),
    C("SET", "t", "v", "EX", "100"), C("MSET", "t", "w"), C("TTL", "t"),
])

group("counters", [
    C("INCR", "n"), C("INCR", "n"), C("DECR", "n"), C("DECR", "n"), C("DECR", "n"), C("GET", "n"),
    C("INCRBY", "n", "10"), C("INCRBY", "n", "-20"), C("DECRBY", "n", "5"), C("DECRBY", "n", "-5"),
    C("INCRBY", "n", "x"), C("INCRBY", "n", "1.5"), C("INCRBY", "n", ""), C("INCRBY", "n", " 1"),
    C("INCRBY", "n", "+1"), C("INCRBY", "n", "01"), C("INCRBY", "n", "-0"), C("INCRBY", "n"),
    C("INCRBY", "n", "1", "2"), C("INCR"), C("INCR", "a", "b"), C("DECRBY", "n"),
    C("SET", "n", BIG), C("INCR", "n"), C("INCRBY", "n", "1"), C("INCRBY", "n", "0"), C("GET", "n"),
    C("SET", "n", SMALL), C("DECR", "n"), C("DECRBY", "n", "1"), C("INCRBY", "n", "-1"),
    C("SET", "n", "0"), C("DECRBY", "n", SMALL), C("INCRBY", "n", SMALL), C("INCRBY", "n", "9223372036854775808"),
    C("SET", "s", "abc"), C("INCR", "s"), C("DECR", "s"), C("INCRBY", "s", "2"),
    C("SET", "s", " 1"), C("INCR", "s"), C("SET", "s", "1 "), C("INCR", "s"), C("SET", "s", "+1"), C("INCR", "s"),
    C("SET", "s", "01"), C("INCR", "s"), C("SET", "s", "-0"), C("INCR", "s"), C("SET", "s", "1.0"), C("INCR", "s"),
    C("SET", "s", ""), C("INCR", "s"), C("SET", "s", "9223372036854775808"), C("INCR", "s"),
    C("SET", "s", "1" * 30), C("INCR", "s"),
    C("SET", "t", "5", "EX", "100"), C("INCR", "t"), C("TTL", "t", norm=within(1)),
    C("INCRBYFLOAT", "f", "1.5"), C("INCRBYFLOAT", "f", "0.1"), C("INCRBYFLOAT", "f", "-1.6"), C("GET", "f"),
    C("INCRBYFLOAT", "f", "1e3"), C("INCRBYFLOAT", "f", "5.0e-1"), C("INCRBYFLOAT", "f", "3"),
    C("INCRBYFLOAT", "f", "0x10"), C("INCRBYFLOAT", "f", "abc"), C("INCRBYFLOAT", "f", ""),
    C("INCRBYFLOAT", "f", " 1"), C("INCRBYFLOAT", "f", "1 "), C("INCRBYFLOAT", "f", "inf"),
    C("INCRBYFLOAT", "f", "-inf"), C("INCRBYFLOAT", "f", "nan"), C("INCRBYFLOAT", "f", "1e400"),
    C("INCRBYFLOAT", "f", "1e308"), C("SET", "f", "1e308"), C("INCRBYFLOAT", "f", "1e308"),
    C("SET", "f", "10.50"), C("INCRBYFLOAT", "f", "0.1"), C("SET", "f", "5.0e3"), C("INCRBYFLOAT", "f", "200"),
    C("SET", "f", "abc"), C("INCRBYFLOAT", "f", "1"), C("SET", "f", "1.5 "), C("INCRBYFLOAT", "f", "1"),
    C("SET", "f", "3"), C("INCRBYFLOAT", "f", "-3"), C("INCRBYFLOAT", "f", "-0.0"),
    C("SET", "f", "0.1"), C("INCRBYFLOAT", "f", "0.2"), C("INCRBYFLOAT", "f", "1e-20"),
    C("SET", "f", "1"), C("INCRBYFLOAT", "f", "1e17"), C("INCRBYFLOAT", "f", "1.23456789012345678"),
    C("INCRBYFLOAT", "f"), C("INCRBYFLOAT", "f", "1", "2"), C("INCRBYFLOAT", "g", "-5"),
    C("INCRBYFLOAT", "h", "3.0"), C("INCRBYFLOAT", "i", "1.10"), C("INCRBYFLOAT", "j", "0.0"),
    C("INCRBYFLOAT", "k", "-0"), C("INCRBYFLOAT", "l", "1E2"), C("INCRBYFLOAT", "m", ".5"),
    C("INCRBYFLOAT", "o", "5."), C("INCRBYFLOAT", "p", "+2"), C("INCRBYFLOAT", "q", "1e-5"),
])

group("append-strlen-ranges", [
    C("APPEND", "a", "hello"), C("APPEND", "a", " world"), C("GET", "a"), C("APPEND", "a", ""), C("APPEND", "a"),
    C("APPEND", "e", ""), C("EXISTS", "e"), C("STRLEN", "a"), C("STRLEN", "missing"), C("STRLEN"),
    C("STRLEN", "a", "b"), C("SET", "n", "12345"), C("APPEND", "n", "6"), C("INCR", "n"), C("STRLEN", "n"),
    C("GETRANGE", "a", "0", "4"), C("GETRANGE", "a", "-5", "-1"), C("GETRANGE", "a", "0", "-1"),
    C("GETRANGE", "a", "5", "2"), C("GETRANGE", "a", "100", "200"), C("GETRANGE", "a", "-100", "2"),
    C("GETRANGE", "a", "0", "100"), C("GETRANGE", "a", "-1", "-5"), C("GETRANGE", "a", "3", "3"),
    C("GETRANGE", "a", "-1", "0"), C("GETRANGE", "a", "0", "0"), C("GETRANGE", "a", SMALL, BIG),
    C("GETRANGE", "missing", "0", "-1"), C("GETRANGE", "missing", "5", "1"), C("GETRANGE", "a", "x", "1"),
    C("GETRANGE", "a", "0", "y"), C("GETRANGE", "a", "0"), C("GETRANGE", "a", "0", "1", "2"),
    C("SET", "empty", ""), C("GETRANGE", "empty", "0", "-1"), C("GETRANGE", "empty", "0", "0"),
    C("GETRANGE", "empty", "-1", "-1"), C("GETRANGE", "a", "10", "-1"), C("GETRANGE", "a", "11", "-1"),
    C("SETRANGE", "s", "0", "hello"), C("SETRANGE", "s", "6", "world"), C("GET", "s"), C("STRLEN", "s"),
    C("SETRANGE", "s", "0", "J"), C("GET", "s"), C("SETRANGE", "s", "0", ""), C("SETRANGE", "new", "0", ""),
    C("EXISTS", "new"), C("SETRANGE", "new", "5", ""), C("EXISTS", "new"), C("SETRANGE", "s", "-1", "x"),
    C("SETRANGE", "s", "x", "x"), C("SETRANGE", "s", "536870911", "x"), C("STRLEN", "s"),
    C("SETRANGE", "s", "536870912", "x"), C("SETRANGE", "s", BIG, "x"), C("SETRANGE", "s", "536870912", ""),
    C("SETRANGE", "s", "0"), C("SETRANGE", "s", "0", "a", "b"), C("SET", "s", "x"),
    C("SETRANGE", "pad", "3", "ab"), C("GET", "pad"),
    C("APPEND", "big", "x" * 1000), C("STRLEN", "big"),
])

group("keys-basic", [
    C("MSET", "a", "1", "b", "2", "c", "3"), C("DEL", "a"), C("DEL", "a"), C("DEL", "b", "c", "d", "b"),
    C("DEL"), C("UNLINK"), C("MSET", "a", "1", "b", "2"), C("UNLINK", "a", "b", "x"),
    C("SET", "a", "1"), C("EXISTS", "a"), C("EXISTS", "a", "a", "x"), C("EXISTS"), C("EXISTS", "x"),
    C("TYPE", "a"), C("TYPE", "missing"), C("TYPE"), C("TYPE", "a", "b"),
    C("MSET", "one", "1", "two", "2", "three", "3", "four", "4", "h?llo", "x", "hello", "y", "hallo", "z",
      "h*llo", "w", "[x]", "v", "x", "u", "\\", "t"),
    C("KEYS", "*", norm=sorted_array), C("KEYS", "t*", norm=sorted_array), C("KEYS", "*o", norm=sorted_array),
    C("KEYS", "h?llo", norm=sorted_array), C("KEYS", "h[ae]llo", norm=sorted_array),
    C("KEYS", "h[^e]llo", norm=sorted_array), C("KEYS", "h[a-b]llo", norm=sorted_array),
    C("KEYS", "h\\*llo", norm=sorted_array), C("KEYS", "\\[x\\]", norm=sorted_array),
    C("KEYS", "[", norm=sorted_array), C("KEYS", "[x", norm=sorted_array), C("KEYS", "\\\\", norm=sorted_array),
    C("KEYS", "nomatch"), C("KEYS", ""), C("KEYS"), C("KEYS", "a", "b"), C("KEYS", "*[z-a]*", norm=sorted_array),
    C("KEYS", "H*", norm=sorted_array), C("KEYS", "***o", norm=sorted_array),
    C("RANDOMKEY", norm=member_of("a", "one", "two", "three", "four", "h?llo", "hello", "hallo", "h*llo",
                                  "[x]", "x", "\\")),
    C("RANDOMKEY", "x"), C("FLUSHDB"), C("RANDOMKEY"), C("SET", "only", "1"), C("RANDOMKEY"),
    C("SET", "exp", "1", "PX", "20"), C("DEL", "only"), Sleep(0.06), C("RANDOMKEY"),
])

group("scan", [
    C("SCAN", "0"), C("SCAN"), C("SCAN", "x"), C("SCAN", "-1"), C("SCAN", "18446744073709551616"),
    C("SCAN", "0", "COUNT", "0"), C("SCAN", "0", "COUNT", "-1"), C("SCAN", "0", "COUNT", "x"),
    C("SCAN", "0", "COUNT"), C("SCAN", "0", "MATCH"), C("SCAN", "0", "BOGUS", "1"), C("SCAN", "0", "TYPE"),
    C("MSET", *[x for i in range(60) for x in ("key:%d" % i, str(i))]),
    C("MSET", "other", "1", "x1", "2"),
    Scan(), Scan("COUNT", "1"), Scan("COUNT", "1000"), Scan("MATCH", "key:1*"), Scan("MATCH", "nomatch*"),
    Scan("MATCH", "key:[0-2]", "COUNT", "3"), Scan("TYPE", "string"), Scan("TYPE", "list"),
    Scan("TYPE", "nosuchtype"), Scan("TYPE", "STRING"), Scan("MATCH", "*", "TYPE", "string", "COUNT", "7"),
    C("SCAN", "0", "MATCH", "other", "COUNT", "1000"), C("SCAN", "0", "TYPE", "hash", "COUNT", "1000"),
])

group("rename", [
    C("SET", "a", "1"), C("RENAME", "a", "b"), C("GET", "a"), C("GET", "b"), C("RENAME", "a", "c"),
    C("RENAME", "b", "b"), C("RENAME", "missing", "missing"), C("RENAME", "b"), C("RENAME", "b", "c", "d"),
    C("SET", "c", "old"), C("RENAME", "b", "c"), C("GET", "c"),
    C("SET", "t", "v", "EX", "100"), C("RENAME", "t", "u"), C("TTL", "u", norm=within(1)),
    C("SET", "v", "x"), C("SET", "w", "y", "EX", "100"), C("RENAME", "v", "w"), C("TTL", "w"),
    C("RENAMENX", "w", "c"), C("RENAMENX", "w", "fresh"), C("GET", "fresh"), C("RENAMENX", "missing", "z"),
    C("RENAMENX", "fresh", "fresh"), C("RENAMENX", "fresh"),
])

group("expire", [
    C("SET", "k", "v"), C("TTL", "k"), C("PTTL", "k"), C("TTL", "missing"), C("PTTL", "missing"),
    C("EXPIRETIME", "k"), C("EXPIRETIME", "missing"), C("PEXPIRETIME", "k"), C("PEXPIRETIME", "missing"),
    C("TTL"), C("TTL", "a", "b"), C("PTTL"), C("EXPIRETIME"), C("PEXPIRETIME", "a", "b"),
    C("EXPIRE", "k", "100"), C("TTL", "k", norm=within(1)), C("EXPIRE", "missing", "100"),
    C("PEXPIRE", "k", "100000"), C("PTTL", "k", norm=within(1000)),
    C("EXPIREAT", "k", FUTURE_S), C("EXPIRETIME", "k"), C("PEXPIRETIME", "k"),
    C("PEXPIREAT", "k", "4102444800123"), C("PEXPIRETIME", "k"), C("EXPIRETIME", "k"),
    C("EXPIRE", "k", "x"), C("EXPIRE", "k", "1.5"), C("EXPIRE", "k"), C("EXPIRE", "k", ""),
    C("EXPIRE", "k", BIG), C("PEXPIRE", "k", BIG), C("EXPIREAT", "k", BIG), C("PEXPIREAT", "k", BIG),
    C("EXPIRE", "k", SMALL), C("PEXPIRE", "k", SMALL), C("EXPIREAT", "k", SMALL), C("PEXPIREAT", "k", SMALL),
    C("EXPIRE", "k", "9223372036854775"), C("EXPIRE", "k", "9223372036854776"),
    C("EXPIREAT", "k", "9223372036854775"), C("EXPIREAT", "k", "9223372036854776"),
    C("PEXPIRE", "k", "9223372036854775000"),
    C("SET", "k", "v"), C("EXPIRE", "k", "100", "NX"), C("EXPIRE", "k", "200", "NX"), C("TTL", "k", norm=within(1)),
    C("EXPIRE", "k", "300", "XX"), C("TTL", "k", norm=within(1)), C("EXPIRE", "k", "100", "GT"),
    C("EXPIRE", "k", "400", "GT"), C("EXPIRE", "k", "500", "LT"), C("EXPIRE", "k", "50", "LT"),
    C("TTL", "k", norm=within(1)), C("EXPIRE", "k", "50", "nx", "xx"), C("EXPIRE", "k", "50", "GT", "LT"),
    C("EXPIRE", "k", "50", "NX", "GT"), C("EXPIRE", "k", "60", "XX", "GT"), C("EXPIRE", "k", "40", "XX", "GT"), C("EXPIRE", "k", "50", "BOGUS"),
    C("EXPIRE", "k", "50", "xx", "lt"), C("EXPIRE", "k", "x", "NX"),
    C("SET", "p", "v"), C("EXPIRE", "p", "100", "XX"), C("EXPIRE", "p", "100", "GT"),
    C("EXPIRE", "p", "100", "LT"), C("TTL", "p", norm=within(1)), C("PERSIST", "p"),
    C("PEXPIRE", "p", "100000", "NX"), C("PEXPIREAT", "p", FUTURE_MS, "XX"), C("EXPIREAT", "p", FUTURE_S, "GT"),
    C("EXPIREAT", "p", "4102444801", "GT"), C("EXPIRETIME", "p"),
    C("PERSIST", "p"), C("PERSIST", "p"), C("PERSIST", "missing"), C("PERSIST"), C("PERSIST", "a", "b"),
    C("SET", "d", "v"), C("EXPIRE", "d", "0"), C("EXISTS", "d"), C("SET", "d", "v"), C("EXPIRE", "d", "-10"),
    C("GET", "d"), C("SET", "d", "v"), C("PEXPIRE", "d", "0"), C("EXISTS", "d"), C("SET", "d", "v"),
    C("EXPIREAT", "d", "1"), C("EXISTS", "d"), C("SET", "d", "v"), C("PEXPIREAT", "d", "0"), C("EXISTS", "d"),
    C("SET", "d", "v"), C("EXPIRE", "d", "-1", "NX"), C("EXISTS", "d"),
    C("SET", "d", "v", "EX", "100"), C("EXPIRE", "d", "-1", "GT"), C("EXISTS", "d"), C("EXPIRE", "d", "-1", "LT"),
    C("EXISTS", "d"), C("SET", "s", "v", "PX", "60"), C("PEXPIRE", "s", "60"), Sleep(0.12), C("TTL", "s"),
    C("GET", "s"), C("EXPIRE", "s", "10"),
])

group("inline", [
    Raw(b"PING\r\n"), Raw(b"PING\n"), Raw(b"ECHO hello\r\n"), Raw(b"SET ik  iv\r\n"), Raw(b"GET ik\r\n"),
    Raw(b"SET q \"quoted value\"\r\n"), Raw(b"GET q\r\n"), Raw(b"SET q 'single quoted'\r\n"), Raw(b"GET q\r\n"),
    Raw(b"SET q \"esc\\x41\\n\\t\"\r\n"), Raw(b"GET q\r\n"), Raw(b"SET q \"\"\r\n"), Raw(b"STRLEN q\r\n"),
    Raw(b"\r\n", 0), Raw(b"   \r\n", 0), Raw(b"PING\r\n"),
    Raw(b"  ping   \r\n"), Raw(b"nosuch a b\r\n"), Raw(b"GET\r\n"),
    Raw(b"SET a 1\r\nSET b 2\r\nMGET a b\r\n", 3),
    Raw(encode(["SET", "p", "1"]) + b"GET p\r\n" + encode(["INCR", "p"]), 3),
    Raw(b"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", 2),
    Raw(b"*0\r\n", 0), Raw(b"*-1\r\n", 0), Raw(b"PING\r\n"),
    Raw(b"*2\r\n$4\r\nE", 0), Raw(b"CHO\r\n$2\r\nhi\r\n"),
    # Redis skips the two bytes after a bulk without checking them for CRLF.
    Raw(b"*1\r\n$4\r\nPINGxx\r\nPING\r\n", 2),
])

group("resp3", [
    C("HELLO", "3", norm=hello), C("PING"), C("GET", "missing"), C("SET", "k", "v"), C("GET", "k"),
    C("SET", "k", "w", "GET"), C("SET", "missing", "x", "NX", "GET"),
    C("MGET", "k", "missing"), C("INCRBYFLOAT", "f", "1.5"), C("INCRBYFLOAT", "f", "1e3"), C("INCR", "n"),
    C("EXISTS", "k"), C("KEYS", "*", norm=sorted_array), C("TYPE", "k"), C("TTL", "k"), C("GETDEL", "missing"),
    C("GETEX", "missing"), C("RANDOMKEY", norm=member_of("k", "f", "n", "missing")),
    C("SCAN", "0", "MATCH", "nomatch", "COUNT", "1000"), C("NOSUCH"), C("SET", "k", "v", "BOGUS"),
    C("CONFIG", "GET", "hz"), C("CONFIG", "GET", "databases", "hz", norm=unordered_map), C("CONFIG", "GET", "*", norm=config_subset),
    C("CLIENT", "INFO", norm=client_fields), C("CLIENT", "LIST", norm=client_fields),
    C("INFO", "keyspace", norm=info_fields), C("INFO", "server", norm=info_fields),
    C("CLIENT", "GETNAME"), C("TIME", norm=time_reply), C("DBSIZE"), C("ECHO", "x"),
    C("COMMAND", "INFO", "get"), C("COMMAND", "DOCS", "get", norm=command_docs_core), C("COMMAND", "COUNT", norm=integer),
    C("HELLO", "3", "SETNAME", "r3", norm=hello), C("CLIENT", "GETNAME"), C("HELLO", "2", norm=hello),
    C("GET", "missing"), C("MGET", "missing"), C("CONFIG", "GET", "hz"),
], resp=3)

# Pub/Sub on one connection: confirmations, the RESP2 subscribed context,
# PUBSUB introspection; in RESP3, messages the client publishes to itself.
group("pubsub", [
    C("PUBLISH", "ch", "nobody"), C("PUBSUB", "NUMPAT"), C("PUBSUB", "CHANNELS"), C("PUBSUB", "NUMSUB"),
    C("PUBSUB", "NUMSUB", "a", "b"), C("PUBSUB", "SHARDCHANNELS"), C("PUBSUB", "SHARDNUMSUB", "s"),
    C("PUBSUB"), C("PUBSUB", "NUMPAT", "x"), C("PUBSUB", "CHANNELS", "a", "b"), C("PUBSUB", "FOO"),
    C("PUBSUB", "HELP"), C("PUBSUB", "help", "x"), C("pubsub", "shardchannels", "a", "b"),
    C("SUBSCRIBE"), C("PSUBSCRIBE"), C("SSUBSCRIBE"), C("PUBLISH", "a"), C("SPUBLISH", "a"),
    C("UNSUBSCRIBE"), C("PUNSUBSCRIBE"), C("SUNSUBSCRIBE"), C("UNSUBSCRIBE", "x"), C("PUNSUBSCRIBE", "x*"),
    Raw(encode(["SUBSCRIBE", "a", "b", "a"]), 3), C("PSUBSCRIBE", "h?llo"), C("subscribe", "b"),
    C("GET", "k"), C("set", "k", "v"), C("PUBLISH", "a", "x"), C("PUBSUB", "NUMSUB", "a"), C("HELLO", "2"),
    C("PING"), C("PING", "hi"), C("ping", ""), C("PING", "a", "b"), C("NOSUCH"), C("GET"),
    C("UNSUBSCRIBE", "b"), C("UNSUBSCRIBE", "a"), C("UNSUBSCRIBE"), C("DBSIZE"),
    C("PUNSUBSCRIBE", "nope"), C("PUNSUBSCRIBE"), C("PING"), C("GET", "k"),
    C("SSUBSCRIBE", "s"), C("SPUBLISH", "s", "x"), C("PUBLISH", "s", "x"), C("SUNSUBSCRIBE"), C("SUNSUBSCRIBE"),
    Raw(encode(["SSUBSCRIBE", "s1", "s2"]), 2), C("SUNSUBSCRIBE", "s2"), C("SUNSUBSCRIBE", "s1"),
    C("PUBLISH", "a", "x"), C("SPUBLISH", "s", "x"),
])

group("pubsub-resp3", [
    Raw(encode(["SUBSCRIBE", "ch", "other"]), 2), C("PSUBSCRIBE", "c*"), C("PSUBSCRIBE", "c*"),
    C("SET", "k", "v"), C("GET", "k"), C("PING"), C("PING", "x"),
    C("PUBSUB", "NUMSUB", "ch", "other", "none"), C("PUBSUB", "NUMPAT"),
    C("PUBSUB", "CHANNELS", norm=sorted_array), C("PUBSUB", "CHANNELS", "c*"),
    SelfPush("PUBLISH", "ch", "hi", pushes=2), SelfPush("PUBLISH", "other", "x"),
    SelfPush("PUBLISH", "cat", "meow"), C("PUBLISH", "dog", "woof"),
    C("SSUBSCRIBE", "s"), SelfPush("SPUBLISH", "s", "x"), C("SPUBLISH", "ch", "x"),
    C("UNSUBSCRIBE", "ch"), C("UNSUBSCRIBE", "other"), C("UNSUBSCRIBE"), C("PUNSUBSCRIBE"), C("PUNSUBSCRIBE"),
    C("SUNSUBSCRIBE", "s"), C("SUNSUBSCRIBE"), C("PUBLISH", "ch", "gone"), C("GET", "k"),
], resp=3)

# Streams (src/cmd/streams.rs). IDs are explicit except in the steps
# normalised by stream_id; `~` trimming is left out where Redis's node
# granularity would make it trim less than convoy (see the module doc).
def stream_id(r, c):
    """XADD with `*`: both a bulk `ms-seq` (the clocks differ)."""
    ok = lambda v: v[0] == "$" and v[1] is not None and all(p.isdigit() for p in v[1].split(b"-", 1)) and v[1].count(b"-") == 1
    return None if ok(r) and ok(c) else "not both stream IDs"


STREAM_COMMANDS = ["xadd", "xlen", "xrange", "xrevrange", "xdel", "xtrim", "xread"]
ALLOWED.update({
    "XREAD STREAMS s t 0": "Redis 7.2 quotes the command name ('xread'); 7.0 writes XREAD",
    "xread streams a b c": "Redis 7.2 quotes the command name ('xread'); 7.0 writes XREAD",
    "XADD big2 5-* f v": "7.0 misreports a full sequence as 'Elements are too large'; later versions (errno EDOM) say 'equal or smaller'",
})

group("streams", [
    C("COMMAND", "INFO", *STREAM_COMMANDS, norm=command_info_core, label="COMMAND INFO <stream commands> (core)"),
    C("COMMAND", "DOCS", *STREAM_COMMANDS, norm=command_docs_core, label="COMMAND DOCS <stream commands> (core)"),
    C("SET", "str", "x"),
    # XADD: IDs, errors in Redis's order.
    C("XADD", "s", "0-0", "f", "v"), C("XADD", "s", "0", "f", "v"), C("XADD", "s", "0-*", "f", "v"),
    C("XADD", "s", "0-*", "f", "v"), C("XADD", "s", "5", "f"), C("XADD", "s", "5", "f", "v", "g"),
    C("XADD", "s", "bad", "f", "v"), C("XADD", "s", "+", "f", "v"), C("XADD", "s", "-", "f", "v"),
    C("XADD", "s", "5-*", "f", "v"), C("XADD", "s", "5-*", "f", "v"), C("XADD", "s", "3-5", "f", "v"),
    C("XADD", "s", "5-1", "f", "v"), C("XADD", "s", "5-2", "f", "v", "g", "w"), C("XADD", "s", "+6", "f", "v"),
    C("XADD", "s", "7--0", "f", "v"), C("XADD", "s", "5-x", "f", "v"), C("XADD", "s", "5-", "f", "v"),
    C("XADD", "s", "-5", "f", "v"), C("XADD", "s", "1-18446744073709551616", "f", "v"), C("XADD", "s", "x" * 200, "f", "v"),
    C("XADD", "s", "8-*", "f", "v"), C("XADD", "s", "*", "f", "v", norm=stream_id),
    C("XADD", "big", "18446744073709551615-18446744073709551614", "f", "v"),
    C("XADD", "big", "18446744073709551615-*", "f", "v"), C("XADD", "big", "18446744073709551615-*", "f", "v"),
    C("XADD", "big", "*", "f", "v"), C("XADD", "big2", "5-18446744073709551615", "f", "v"),
    C("XADD", "big2", "5-*", "f", "v"),
    C("XADD", "str", "*", "f", "v"), C("XADD", "str", "0-0", "f", "v"), C("XADD", "str", "*", "f"),
    C("XADD", "nokey", "NOMKSTREAM", "*", "f", "v"), C("EXISTS", "nokey"),
    C("XADD", "nokey", "NOMKSTREAM", "0-0", "f", "v"), C("XADD", "nokey", "nomkstream", "*", "f"),
    C("XADD", "s", "MAXLEN"), C("XADD", "s", "MAXLEN", "1", "*"), C("XADD", "s", "MAXLEN", "1", "*", "a"),
    C("TYPE", "s"), C("XLEN", "s"), C("XLEN", "nokey"), C("XLEN", "str"), C("XLEN", "s", "x"),
    # Trimming options.
    C("XADD", "t", "MAXLEN", "2", "1", "a", "1"), C("XADD", "t", "MAXLEN", "2", "2", "a", "2"),
    C("XADD", "t", "maxlen", "2", "3", "a", "3"), C("XRANGE", "t", "-", "+"),
    C("XADD", "t", "MAXLEN", "-1", "4", "a", "4"), C("XADD", "t", "MAXLEN", "x", "4", "a", "4"),
    C("XADD", "t", "MAXLEN", "=", "1", "5", "a", "5"), C("XLEN", "t"),
    C("XADD", "t", "MAXLEN", "1", "LIMIT", "5", "6", "a", "6"), C("XADD", "t", "MAXLEN", "~", "1", "LIMIT", "-5", "7", "a", "7"),
    C("XADD", "t", "LIMIT", "5", "7", "a", "7"), C("XADD", "t", "LIMIT", "0", "7", "a", "7"),
    C("XADD", "t", "MAXLEN", "1", "MINID", "5", "7", "a", "7"), C("XADD", "t", "MINID", "1", "MAXLEN", "5", "7", "a", "7"),
    C("XADD", "t", "MINID", "~", "bad", "7", "a", "7"), C("XADD", "t", "MINID", "-", "7", "a", "7"),
    C("XADD", "t", "MINID", "7", "7", "a", "7"), C("XRANGE", "t", "-", "+"),
    C("XADD", "t", "MAXLEN", "=", "=", "1", "8", "a", "8"), C("XADD", "t", "MAXLEN", "1", "~", "5", "a", "b"),
    C("XADD", "t", "NOMKSTREAM", "MAXLEN", "0", "8", "a", "8"), C("XLEN", "t"), C("EXISTS", "t"),
    C("XADD", "u", "MAXLEN", "~", "0", "1", "a", "b"), C("XADD", "u", "maxlen", "~", "0", "limit", "0", "2", "a", "b"),
    C("XLEN", "u"), C("XADD", "u", "MAXLEN", "~", "100", "3", "a", "b"), C("XLEN", "u"),
    # XTRIM.
    C("XTRIM", "s"), C("XTRIM", "s", "MAXLEN"), C("XTRIM", "s", "MAXLEN", "0", "extra"), C("XTRIM", "s", "foo", "1"),
    C("XTRIM", "nokey", "MAXLEN", "0"), C("XTRIM", "nokey", "foo", "1"), C("XTRIM", "str", "MAXLEN", "0"),
    C("XTRIM", "str", "foo", "1"), C("XTRIM", "s", "LIMIT", "3"), C("XTRIM", "s", "LIMIT", "0"),
    C("XTRIM", "s", "MAXLEN", "0", "LIMIT", "3"), C("XTRIM", "s", "MAXLEN", "1", "LIMIT", "0", "x"),
    C("XTRIM", "s", "MAXLEN", "~"), C("XTRIM", "s", "MAXLEN", "0", "NOMKSTREAM"), C("XTRIM", "nokey", "MAXLEN", "-1"),
    C("XTRIM", "s", "MINID", "1-*"), C("XTRIM", "s", "MAXLEN", "~", "100"),
    C("XTRIM", "s", "MAXLEN", "=", "5"), C("XLEN", "s"), C("XTRIM", "s", "MINID", "6"), C("XLEN", "s"),
    C("XTRIM", "s", "MAXLEN", "0"), C("XLEN", "s"), C("EXISTS", "s"), C("TYPE", "s"),
    C("XADD", "s", "5-5", "f", "v"), C("XADD", "s", "9-*", "f", "v"),
    # XRANGE / XREVRANGE.
    C("DEL", "r"), C("XADD", "r", "1-1", "a", "1"), C("XADD", "r", "2-1", "b", "2", "c", "3"),
    C("XADD", "r", "3-1", "c", "3"), C("XADD", "r", "3-5", "d", "4"),
    C("XRANGE", "r", "-", "+"), C("XRANGE", "r", "-", "+", "COUNT", "0"), C("XRANGE", "r", "-", "+", "COUNT", "-1"),
    C("XRANGE", "r", "-", "+", "COUNT", "2"), C("XRANGE", "r", "-", "+", "COUNT", "2", "COUNT", "1"),
    C("XRANGE", "r", "-", "+", "COUNT"), C("XRANGE", "r", "-", "+", "FOO", "1"), C("XRANGE", "r", "-", "+", "COUNT", "x"),
    C("XRANGE", "r", "2", "3"), C("XRANGE", "r", "(2-1", "+"), C("XRANGE", "r", "(1", "+"), C("XRANGE", "r", "-", "(3-5"),
    C("XRANGE", "r", "(-", "+"), C("XRANGE", "r", "(", "+"), C("XRANGE", "r", "-", "(+"), C("XRANGE", "r", "3", "2"),
    C("XRANGE", "r", "18446744073709551615-18446744073709551615", "+"),
    C("XRANGE", "r", "(18446744073709551615-18446744073709551615", "+"), C("XRANGE", "r", "-", "(0-0"),
    C("XRANGE", "r", "-", "(0"), C("XRANGE", "r", "(0", "(0"), C("XRANGE", "nokey", "-", "+"),
    C("XRANGE", "nokey", "x", "+"), C("XRANGE", "str", "-", "+"), C("XRANGE", "str", "x", "+"),
    C("XRANGE", "nokey", "-", "+", "COUNT", "0"), C("XRANGE", "r", "2-*", "+"), C("XRANGE", "r", "3-", "+"),
    C("XRANGE", "r", "-"), C("XREVRANGE", "r", "+", "-"), C("XREVRANGE", "r", "+", "-", "COUNT", "1"),
    C("XREVRANGE", "r", "-", "+"), C("XREVRANGE", "r", "(3-5", "(1-1"), C("XREVRANGE", "r", "x", "y"),
    C("XREVRANGE", "r", "+", "(18446744073709551615-18446744073709551615"), C("XREVRANGE", "r", "(0-0", "-"),
    C("XREVRANGE", "r", "3", "3"), C("XREVRANGE", "r", "+", "-", "COUNT", "0"),
    # XDEL: an emptied stream stays.
    C("XDEL", "r", "1-1", "1-1", "9"), C("XDEL", "r", "x"), C("XDEL", "r", "2-1", "x"), C("XDEL", "r", "2-*"),
    C("XDEL", "nokey", "x"), C("XDEL", "str", "x"), C("XDEL", "str", "1"), C("XDEL", "r"), C("XLEN", "r"),
    C("XDEL", "r", "3-1", "3-5"), C("XDEL", "r", "2-1"), C("XLEN", "r"), C("EXISTS", "r"), C("TYPE", "r"),
    C("XRANGE", "r", "-", "+"), C("XADD", "r", "3-5", "a", "b"), C("XADD", "r", "3-*", "a", "b"),
    # XREAD.
    C("DEL", "s", "t"), C("XADD", "s", "1-1", "a", "1"), C("XADD", "s", "2-1", "b", "2"), C("XADD", "t", "5-0", "x", "y"),
    C("XREAD", "STREAMS", "s", "0"), C("XREAD", "STREAMS", "s", "t", "0", "0"),
    C("XREAD", "COUNT", "1", "STREAMS", "s", "t", "0", "0"), C("XREAD", "COUNT", "0", "STREAMS", "s", "0"),
    C("XREAD", "COUNT", "-3", "STREAMS", "s", "0"), C("XREAD", "COUNT", "x", "STREAMS", "s", "0"),
    C("XREAD", "STREAMS", "s", "$"), C("XREAD", "STREAMS", "s", "2-1"), C("XREAD", "STREAMS", "s", "2"),
    C("XREAD", "STREAMS", "s", "1"), C("XREAD", "STREAMS", "s", "1-*"), C("XREAD", "STREAMS", "s", "-"),
    C("XREAD", "STREAMS", "s", "+"), C("XREAD", "STREAMS", "s", ">"), C("XREAD", "STREAMS", "s", "(1"),
    C("XREAD", "STREAMS", "nokey", "0"), C("XREAD", "STREAMS", "nokey", "s", "0", "0"),
    C("XREAD", "STREAMS", "str", "0"), C("XREAD", "STREAMS", "s", "str", "0", "0"),
    C("XREAD", "STREAMS", "s", "str", "0", "x"), C("XREAD", "STREAMS", "s", "str", "x", "0"),
    C("XREAD", "STREAMS", "s", "t", "0"), C("xread", "streams", "a", "b", "c"), C("XREAD", "STREAMS", "s"), C("XREAD", "s", "0"),
    C("XREAD", "FOO", "1", "STREAMS", "s", "0"), C("XREAD", "COUNT", "1"), C("XREAD", "BLOCK", "x", "STREAMS", "s", "0"),
    C("XREAD", "BLOCK", "-1", "STREAMS", "s", "0"), C("XREAD", "BLOCK", "1.5", "STREAMS", "s", "0"),
    C("XREAD", "BLOCK", "100", "STREAMS", "s", "0"), C("XREAD", "BLOCK", "10", "STREAMS", "s", "$"),
    C("XREAD", "BLOCK", "10", "STREAMS", "nokey", "$"), C("XREAD", "BLOCK", "10", "STREAMS", "str", "$"),
    C("XREAD", "BLOCK", "10", "COUNT", "1", "STREAMS", "s", "0"),
    C("XREAD", "NOACK", "STREAMS", "s", "0"), C("XREAD", "GROUP", "g", "c", "STREAMS", "s", "0"),
    C("XREAD", "GROUP", "g"), C("XREAD", "COUNT", "1", "COUNT", "2", "STREAMS", "s", "0"),
    C("XREAD", "STREAMS", "s", "s", "0", "1"), C("XREAD", "STREAMS", "COUNT", "0"),
    C("XREAD", "STREAMS", "s", "18446744073709551615-18446744073709551615"),
    C("XDEL", "s", "1-1", "2-1"), C("XREAD", "STREAMS", "s", "0"), C("EXISTS", "s"),
    # Streams and the generic commands.
    C("XADD", "e", "1-1", "a", "b"), C("EXPIRE", "e", "100"), C("XADD", "e", "2-1", "a", "b"), C("TTL", "e"),
    C("RENAME", "e", "e2"), C("XLEN", "e2"), C("DEL", "e2"), C("XLEN", "e2"),
    C("GET", "t"), C("INCR", "t"), C("APPEND", "t", "x"), C("STRLEN", "t"),
])

group("streams-resp3", [
    C("XADD", "s", "1-1", "a", "1"), C("XADD", "t", "1-1", "a", "1"),
    C("XREAD", "STREAMS", "s", "t", "0", "0"), C("XREAD", "STREAMS", "s", "$"),
    C("XREAD", "BLOCK", "10", "STREAMS", "s", "$"), C("XRANGE", "s", "-", "+", "COUNT", "0"),
    C("XRANGE", "s", "-", "+"), C("XREVRANGE", "s", "+", "-"), C("XADD", "n", "NOMKSTREAM", "*", "a", "b"),
    C("XLEN", "s"), C("XDEL", "s", "1-1"), C("XTRIM", "t", "MAXLEN", "0"),
], resp=3)

# XSETID (the log's rewrite writes a stream's last ID, entries-added count
# and largest deleted ID with it): success, every option, each error in
# Redis's order (options are checked before the key is looked up).
group("xsetid", [
    C("COMMAND", "INFO", "xsetid", norm=command_info_core, label="COMMAND INFO xsetid (core)"),
    C("COMMAND", "DOCS", "xsetid", norm=command_docs_core, label="COMMAND DOCS xsetid (core)"),
    C("COMMAND", "GETKEYS", "XSETID", "s", "1-1"),
    # Missing key, wrong type, arity.
    C("XSETID", "nokey", "1-1"), C("EXISTS", "nokey"), C("SET", "str", "x"), C("XSETID", "str", "1-1"),
    C("XSETID", "s"), C("XSETID"),
    # The last ID: not below the top item; a bare number is `<ms>-0`.
    C("XADD", "s", "5-1", "f", "v"), C("XADD", "s", "6-1", "f", "v"), C("XSETID", "s", "4-0"),
    C("XSETID", "s", "6-0"), C("XSETID", "s", "6-1"), C("XSETID", "s", "7"), C("XADD", "s", "7-*", "f", "v"),
    C("XADD", "s", "7-1", "f", "v"), C("XSETID", "s", "100-5"), C("XADD", "s", "100-5", "f", "v"),
    C("XADD", "s", "100-*", "f", "v"), C("xsetid", "s", "200-0"), C("XRANGE", "s", "-", "+"), C("XLEN", "s"),
    # Malformed IDs.
    C("XSETID", "s", "x"), C("XSETID", "s", "-"), C("XSETID", "s", "+"), C("XSETID", "s", "300-*"),
    C("XSETID", "s", "$"), C("XSETID", "s", "18446744073709551616"), C("XSETID", "s", "300-"),
    C("XSETID", "s", "-300"), C("XSETID", "s", ""),
    # ENTRIESADDED: not below the length, not negative, an integer.
    C("XSETID", "s", "300-0", "ENTRIESADDED", "2"), C("XSETID", "s", "300-0", "ENTRIESADDED", "3"),
    C("XSETID", "s", "300-0", "ENTRIESADDED", "4"), C("XSETID", "s", "300-0", "ENTRIESADDED", "-1"),
    C("XSETID", "s", "300-0", "ENTRIESADDED", SMALL), C("XSETID", "s", "300-0", "ENTRIESADDED", "x"),
    C("XSETID", "s", "300-0", "ENTRIESADDED", "1.5"), C("XSETID", "s", "300-0", "ENTRIESADDED", BIG),
    C("XSETID", "s", "300-0", "ENTRIESADDED", "9223372036854775808"), C("XSETID", "s", "300-0", "ENTRIESADDED"),
    C("XSETID", "s", "300-0", "entriesadded", "5", "ENTRIESADDED", "6"),
    # MAXDELETEDID: not above the last ID given.
    C("XSETID", "s", "300-0", "MAXDELETEDID", "300-1"), C("XSETID", "s", "300-0", "MAXDELETEDID", "301"),
    C("XSETID", "s", "300-0", "MAXDELETEDID", "300-0"), C("XSETID", "s", "300-0", "MAXDELETEDID", "299-9"),
    C("XSETID", "s", "300-0", "MAXDELETEDID", "0-0"), C("XSETID", "s", "300-0", "MAXDELETEDID", "x"),
    C("XSETID", "s", "300-0", "MAXDELETEDID", "-"), C("XSETID", "s", "300-0", "MAXDELETEDID"),
    C("XSETID", "s", "300-0", "maxdeletedid", "3-3", "entriesadded", "10"),
    C("XSETID", "s", "300-0", "ENTRIESADDED", "10", "MAXDELETEDID", "3-3", "ENTRIESADDED", "11"),
    # Syntax, and which error comes first.
    C("XSETID", "s", "300-0", "FOO", "1"), C("XSETID", "s", "300-0", "FOO"), C("XSETID", "s", "300-0", "ENTRIESADDED", "5", "x"),
    C("XSETID", "nokey", "1-1", "ENTRIESADDED", "-1"), C("XSETID", "str", "1-1", "ENTRIESADDED", "-1"),
    C("XSETID", "nokey", "1-1", "FOO"), C("XSETID", "nokey", "x"), C("XSETID", "str", "x"),
    C("XSETID", "nokey", "1-1", "MAXDELETEDID", "2-0"), C("XSETID", "s", "1-0", "ENTRIESADDED", "0"),
    C("XSETID", "s", "1-0", "MAXDELETEDID", "2-0"), C("XSETID", "s", "1-0", "ENTRIESADDED", "x"),
    # A stream whose entries were all deleted: any ID goes, down to 0-0.
    C("XADD", "e", "1-1", "a", "b"), C("XDEL", "e", "1-1"), C("XSETID", "e", "0-5"), C("XSETID", "e", "0-0"),
    C("XADD", "e", "0-0", "a", "b"), C("XADD", "e", "0-*", "a", "b"),
    C("XDEL", "e", "0-1"), C("XSETID", "e", "5-0", "ENTRIESADDED", "0", "MAXDELETEDID", "5-0"),
    C("XSETID", "e", "4-0"), C("XADD", "e", "4-1", "a", "b"), C("XSETID", "e", "3-0"),
    C("XSETID", "e", "9-0", "MAXDELETEDID", "4-0", "ENTRIESADDED", "1"), C("XADD", "e", "9-0", "a", "b"),
    C("XADD", "e", "9-*", "a", "b"), C("XRANGE", "e", "-", "+"),
    # The largest ID: XADD with * then has nowhere to go.
    C("XSETID", "s", "18446744073709551615-18446744073709551615"), C("XADD", "s", "*", "a", "b"),
    C("XADD", "s", "18446744073709551615-*", "a", "b"),
    # Inside MULTI: errors are per command, the rest applies.
    C("MULTI"), C("XSETID", "e", "20-0"), C("XSETID", "e", "1-0"), C("XSETID", "nokey", "1-1"), C("EXEC"),
    C("XADD", "e", "20-0", "a", "b"), C("XADD", "e", "20-1", "a", "b"),
    # Renamed streams, and one deleted by an expiry time in the past.
    C("XADD", "x", "1-1", "a", "b"), C("RENAME", "x", "y"), C("XSETID", "x", "2-0"), C("XSETID", "y", "2-0"),
    C("XADD", "y", "2-0", "a", "b"), C("PEXPIREAT", "y", "1"), C("XSETID", "y", "3-0"), C("EXISTS", "y"),
])

group("xsetid-resp3", [
    C("XADD", "s", "1-1", "a", "b"), C("XSETID", "s", "2-0"), C("XSETID", "s", "0-1"), C("XSETID", "nokey", "1-1"),
    C("XSETID", "s", "2-0", "ENTRIESADDED", "0"),
], resp=3)

# Sorted sets. Scores are dyadic fractions (1.5, 2.25, ...) so that 7.0's
# "%.17g" and 7.2's shortest form print them alike; ZRANK/ZREVRANK
# WITHSCORE is 7.2 (ALLOWED above).
ZSET_COMMANDS = ["zadd", "zincrby", "zrem", "zcard", "zscore", "zmscore", "zcount", "zrange",
                 "zrangebyscore", "zrevrange", "zrevrangebyscore", "zrangestore", "zpopmin",
                 "zpopmax", "bzpopmin", "bzpopmax", "zscan"]

group("zsets", [
    # ZADD and its options
    C("ZADD", "z", "1", "a", "2.5", "b", "-3", "c"), C("ZADD", "z", "1", "a"), C("ZCARD", "z"),
    C("ZADD", "z", "CH", "5", "a", "2.5", "b", "7", "d"), C("ZADD", "z", "NX", "100", "a", "8", "e"),
    C("ZADD", "z", "XX", "6", "a", "9", "nosuch"), C("ZADD", "z", "XX", "CH", "6.5", "a", "9", "nosuch"),
    C("ZADD", "z", "GT", "CH", "1", "a", "10", "b"), C("ZADD", "z", "LT", "CH", "1", "a", "100", "b"),
    C("ZADD", "z", "GT", "XX", "CH", "20", "a"), C("ZADD", "z", "XX", "NX", "1", "a"),
    C("ZADD", "z", "GT", "LT", "1", "a"), C("ZADD", "z", "NX", "GT", "1", "a"), C("ZADD", "z", "NX", "LT", "1", "a"),
    C("ZADD", "z", "INCR", "1", "a", "2", "b"), C("ZADD", "z", "1"), C("ZADD", "z", "1", "a", "2"),
    C("ZADD", "z", "CH"), C("ZADD", "z", "NX", "XX"), C("ZADD", "z", "x", "a"), C("ZADD", "z", "nan", "a"),
    C("ZADD", "z", "1e400", "a"), C("ZADD", "z", " 1", "a"), C("ZADD", "z", "", "a"), C("ZADD", "z", "1", "a", "bad", "b"),
    C("ZADD", "z", "INCR", "2.25", "a"), C("ZADD", "z", "INCR", "1", "new"), C("ZADD", "z", "NX", "INCR", "1", "a"),
    C("ZADD", "z", "XX", "INCR", "1", "nosuch"), C("ZADD", "z", "GT", "INCR", "-1", "a"),
    C("ZADD", "z", "LT", "INCR", "-1", "a"), C("ZADD", "z", "0x10", "hex"), C("ZADD", "z", "+inf", "top"),
    C("ZADD", "z", "-inf", "bottom"), C("ZADD", "z", "INCR", "-inf", "top"), C("ZADD", "z", "-0", "negzero"),
    C("ZADD", "z", "1.5e3", "big"), C("ZADD", "z", "1e20", "huge"), C("ZADD", "z", ".5", "half"),
    C("ZADD", "missing", "XX", "1", "a"), C("EXISTS", "missing"), C("ZADD", "missing", "XX", "INCR", "1", "a"),
    C("ZADD", "z"), C("ZADD", "z", "1"),
    C("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    # ZINCRBY
    C("ZINCRBY", "z", "1.5", "a"), C("ZINCRBY", "z", "2", "fresh"), C("ZINCRBY", "z", "x", "a"),
    C("ZINCRBY", "z", "-inf", "top"), C("ZINCRBY", "z", "1"), C("ZINCRBY", "zi", "0.25", "m"),
    # ZSCORE ZMSCORE ZCARD
    C("ZSCORE", "z", "a"), C("ZSCORE", "z", "nosuch"), C("ZSCORE", "missing", "a"), C("ZSCORE", "z", "top"),
    C("ZSCORE", "z", "bottom"), C("ZSCORE", "z", "negzero"), C("ZSCORE", "z", "huge"), C("ZSCORE", "z"),
    C("ZMSCORE", "z", "a", "nosuch", "b"), C("ZMSCORE", "missing", "a", "b"), C("ZMSCORE", "z"),
    C("ZCARD", "missing"), C("ZCARD", "z", "x"),
    # ZRANK ZREVRANK
    C("ZRANK", "z", "a"), C("ZREVRANK", "z", "a"), C("ZRANK", "z", "bottom"), C("ZREVRANK", "z", "top"),
    C("ZRANK", "z", "nosuch"), C("ZRANK", "missing", "a"), C("ZRANK", "z"),
    C("ZRANK", "z", "a", "WITHSCORE"), C("ZREVRANK", "z", "a", "withscore"), C("ZRANK", "z", "nosuch", "WITHSCORE"),
    C("ZRANK", "z", "a", "bogus"), C("ZRANK", "z", "a", "WITHSCORE", "x"),
    # ZRANGE by index
    C("DEL", "z"), C("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
    C("ZRANGE", "z", "0", "-1"), C("ZRANGE", "z", "1", "3"), C("ZRANGE", "z", "-2", "-1", "WITHSCORES"),
    C("ZRANGE", "z", "3", "1"), C("ZRANGE", "z", "10", "20"), C("ZRANGE", "z", "-100", "100"),
    C("ZRANGE", "z", "0", "1", "REV"), C("ZRANGE", "z", "0", "-1", "REV", "WITHSCORES"),
    C("ZRANGE", "z", "0", "-1", "withscores", "rev"), C("ZRANGE", "z", "a", "1"), C("ZRANGE", "z", "0", "1.5"),
    C("ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"), C("ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"),
    C("ZRANGE", "z", "0", "-1", "LIMIT", "0"), C("ZRANGE", "z", "0", "-1", "BOGUS"), C("ZRANGE", "missing", "0", "-1"),
    C("ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"), C("ZRANGE", "z", "0", "-1", "REV", "REV"),
    C("ZRANGE", "z", "0", BIG), C("ZRANGE", "z", SMALL, "0"), C("ZRANGE", "z", "0"),
    C("ZREVRANGE", "z", "0", "1"), C("ZREVRANGE", "z", "0", "-1", "WITHSCORES"), C("ZREVRANGE", "z", "0", "1", "REV"),
    C("ZREVRANGE", "z", "0", "1", "BYSCORE"), C("ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"),
    # ZRANGE by score
    C("ZRANGE", "z", "2", "4", "BYSCORE"), C("ZRANGE", "z", "(2", "4", "BYSCORE"), C("ZRANGE", "z", "2", "(4", "BYSCORE", "WITHSCORES"),
    C("ZRANGE", "z", "-inf", "+inf", "BYSCORE"), C("ZRANGE", "z", "4", "2", "BYSCORE"), C("ZRANGE", "z", "(2", "(2", "BYSCORE"),
    C("ZRANGE", "z", "4", "2", "BYSCORE", "REV"), C("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "WITHSCORES"),
    C("ZRANGE", "z", "(4", "(2", "BYSCORE", "REV"), C("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"),
    C("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "-1"), C("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"),
    C("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "5", "2"), C("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "4", "0"),
    C("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES"),
    C("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "x", "2"), C("ZRANGE", "z", "x", "2", "BYSCORE"),
    C("ZRANGE", "z", "(", "2", "BYSCORE"), C("ZRANGE", "z", "", "2", "BYSCORE"), C("ZRANGE", "z", "nan", "2", "BYSCORE"),
    C("ZRANGE", "z", " 1", "1e400", "BYSCORE"), C("ZRANGE", "z", "[1", "2", "BYSCORE"),
    C("ZRANGEBYSCORE", "z", "2", "4"), C("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1", "3"),
    C("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1"), C("ZRANGEBYSCORE", "z", "0", "1", "BYSCORE"),
    C("ZRANGEBYSCORE", "z", "0", "1", "REV"), C("ZRANGEBYSCORE", "z", "a", "b"), C("ZRANGEBYSCORE", "missing", "a", "b"),
    C("ZREVRANGEBYSCORE", "z", "4", "2"), C("ZREVRANGEBYSCORE", "z", "+inf", "(3", "WITHSCORES"),
    C("ZREVRANGEBYSCORE", "z", "2", "4"), C("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "0", "2"),
    # ZCOUNT
    C("ZCOUNT", "z", "-inf", "+inf"), C("ZCOUNT", "z", "(1", "3"), C("ZCOUNT", "z", "3", "1"),
    C("ZCOUNT", "z", "x", "1"), C("ZCOUNT", "missing", "0", "1"), C("ZCOUNT", "missing", "x", "1"), C("ZCOUNT", "z", "1"),
    # BYLEX
    C("ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "ab"),
    C("ZRANGE", "lex", "-", "+", "BYLEX"), C("ZRANGE", "lex", "[b", "(d", "BYLEX"), C("ZRANGE", "lex", "(a", "[c", "BYLEX"),
    C("ZRANGE", "lex", "+", "-", "BYLEX", "REV"), C("ZRANGE", "lex", "[d", "(a", "BYLEX", "REV"),
    C("ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", "2", "2"), C("ZRANGE", "lex", "+", "-", "BYLEX", "REV", "LIMIT", "1", "3"),
    C("ZRANGE", "lex", "[c", "[a", "BYLEX"), C("ZRANGE", "lex", "(c", "(c", "BYLEX"), C("ZRANGE", "lex", "[c", "[c", "BYLEX"),
    C("ZRANGE", "lex", "-", "-", "BYLEX"), C("ZRANGE", "lex", "+", "+", "BYLEX"), C("ZRANGE", "lex", "[", "+", "BYLEX"),
    C("ZRANGE", "lex", "a", "+", "BYLEX"), C("ZRANGE", "lex", "", "+", "BYLEX"), C("ZRANGE", "lex", "-x", "+", "BYLEX"),
    C("ZRANGE", "lex", "-", "+", "BYLEX", "WITHSCORES"), C("ZRANGE", "missing", "-", "+", "BYLEX"),
    # ZRANGESTORE
    C("ZRANGESTORE", "dst", "z", "0", "2"), C("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
    C("ZRANGESTORE", "dst", "z", "(2", "+inf", "BYSCORE", "LIMIT", "0", "2"), C("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
    C("ZRANGESTORE", "dst", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "1"), C("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
    C("ZRANGESTORE", "dst", "lex", "[b", "[d", "BYLEX"), C("ZRANGE", "dst", "0", "-1"),
    C("ZRANGESTORE", "dst", "z", "10", "20"), C("EXISTS", "dst"), C("ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"),
    C("SET", "str", "x"), C("ZRANGESTORE", "str", "z", "0", "0"), C("TYPE", "str"), C("ZRANGESTORE", "dst", "missing", "0", "-1"),
    C("ZRANGESTORE", "dst", "str", "0", "-1"), C("ZRANGESTORE", "dst", "z", "0", "-1", "LIMIT", "0", "1"), C("ZRANGESTORE", "dst", "z", "0"),
    # ZREM and emptied keys
    C("ZREM", "z", "a", "nosuch", "b"), C("ZREM", "z", "a"), C("ZREM", "missing", "a"), C("ZCARD", "z"),
    C("ZREM", "z", "c", "d", "e"), C("EXISTS", "z"), C("ZREM", "z"),
    # ZPOPMIN ZPOPMAX
    C("ZADD", "p", "1", "a", "2", "b", "3", "c", "4", "d"),
    C("ZPOPMIN", "p"), C("ZPOPMAX", "p"), C("ZPOPMIN", "p", "0"), C("ZPOPMIN", "p", "-1"), C("ZPOPMIN", "p", "x"),
    C("ZPOPMIN", "p", "1", "2"), C("ZPOPMAX", "p", "10"), C("EXISTS", "p"), C("ZPOPMIN", "p"), C("ZPOPMIN", "p", "2"),
    C("ZPOPMIN", "missing", "0"),
    # BZPOPMIN BZPOPMAX (non-blocking paths; timeouts kept short)
    C("ZADD", "b1", "1", "x", "2", "y"), C("BZPOPMIN", "nosuch", "b1", "0"), C("BZPOPMAX", "b1", "0"), C("EXISTS", "b1"),
    C("BZPOPMIN", "nosuch", "0.01"), C("BZPOPMIN", "b1", "x"), C("BZPOPMIN", "b1", "-1"), C("BZPOPMIN", "b1"),
    C("BZPOPMIN", "str", "0"), C("BZPOPMIN", "nosuch", "str", "0.01"),
    # ZSCAN (small sets: Redis answers in one reply too)
    C("ZADD", "s", "1", "one", "2", "two", "3", "three", "1.5", "x1"),
    C("ZSCAN", "s", "0"), C("ZSCAN", "s", "0", "MATCH", "t*"), C("ZSCAN", "s", "0", "COUNT", "1"),
    C("ZSCAN", "s", "0", "COUNT", "0"), C("ZSCAN", "s", "0", "COUNT", "x"), C("ZSCAN", "s", "0", "TYPE", "zset"),
    C("ZSCAN", "s", "0", "MATCH"), C("ZSCAN", "s", "x"), C("ZSCAN", "missing", "0"), C("ZSCAN", "missing", "0", "BOGUS"),
    C("ZSCAN", "str", "0"), C("ZSCAN", "s"),
    # WRONGTYPE everywhere
    C("ZADD", "str", "1", "a"), C("ZINCRBY", "str", "1", "a"), C("ZREM", "str", "a"), C("ZCARD", "str"),
    C("ZSCORE", "str", "a"), C("ZMSCORE", "str", "a"), C("ZCOUNT", "str", "0", "1"), C("ZRANGE", "str", "0", "1"),
    C("ZRANGEBYSCORE", "str", "0", "1"), C("ZREVRANGE", "str", "0", "1"), C("ZREVRANGEBYSCORE", "str", "1", "0"),
    C("ZRANK", "str", "a"), C("ZREVRANK", "str", "a"), C("ZPOPMIN", "str"), C("ZPOPMAX", "str", "2"),
    C("ZADD", "str", "XX", "1", "a"), C("ZADD", "str", "x", "a"), C("ZRANGE", "str", "x", "1"),
    C("ZADD", "t", "1", "m"), C("TYPE", "t"), C("GET", "t"),
    C("COMMAND", "INFO", *ZSET_COMMANDS, norm=command_info_core, label="COMMAND INFO <zset commands> (core)"),
])

group("zsets-resp3", [
    C("ZADD", "z", "1", "a", "2.5", "b", "inf", "c"), C("ZSCORE", "z", "b"), C("ZSCORE", "z", "c"), C("ZSCORE", "z", "x"),
    C("ZMSCORE", "z", "a", "x"), C("ZRANGE", "z", "0", "-1", "WITHSCORES"), C("ZRANGE", "z", "0", "-1"),
    C("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"), C("ZREVRANGE", "z", "0", "0", "WITHSCORES"),
    C("ZADD", "z", "INCR", "1", "a"), C("ZADD", "z", "NX", "INCR", "1", "a"), C("ZINCRBY", "z", "0.5", "a"),
    C("ZRANK", "z", "x"), C("ZRANK", "z", "b"), C("ZRANK", "z", "b", "WITHSCORE"), C("ZRANK", "z", "x", "WITHSCORE"),
    C("ZSCAN", "z", "0"), C("ZPOPMIN", "z"), C("ZPOPMAX", "z", "1"), C("ZPOPMIN", "z", "0"), C("ZPOPMIN", "z", "5"),
    C("ZADD", "z", "1", "a"), C("BZPOPMIN", "z", "0"), C("BZPOPMIN", "z", "0.01"), C("ZPOPMIN", "missing"),
], resp=3)

# ---------------------------------------------------------------------------
# Hashes and sets (normalisers for hash-table order and random picks first)
# ---------------------------------------------------------------------------

def unordered_scan(r, c):
    """HSCAN/SSCAN of a collection small enough that both servers return it
    whole: cursors equal (0), the elements (or field/value pairs when
    `pairs`) equal in any order."""
    def parts(v):
        if v[0] != "*" or v[1] is None or len(v[1]) != 2 or v[1][1][0] != "*":
            return None
        items = v[1][1][1]
        if len(items) % 2 == 0:
            items = sorted(zip(items[0::2], items[1::2]))
        else:
            items = sorted(items)
        return v[1][0], items
    pr, pc = parts(r), parts(c)
    if pr is None or pc is None:
        return None if r == c else "shape differs"
    return None if pr == pc else "elements differ"


def unordered_sscan(r, c):
    """SSCAN returned whole: the cursor equal (0), the members in any order."""
    if r[0] != "*" or c[0] != "*" or len(r[1]) != 2 or len(c[1]) != 2:
        return None if r == c else "shape differs"
    same = r[1][0] == c[1][0] and sorted(r[1][1][1]) == sorted(c[1][1][1])
    return None if same else "elements differ"


def random_pick(pool, n=None, distinct=False, values=None, nested=False):
    """SRANDMEMBER/SPOP/HRANDFIELD: same reply type; every element one of
    `pool`; `n` elements (None: a single bulk); distinct if asked; with
    `values` (a dict field -> value) each field followed by its value
    (RESP3 `nested`: as [field, value] pairs)."""
    pool = {p.encode() for p in pool}
    values = {k.encode(): v.encode() for k, v in (values or {}).items()}

    def fields_of(v):
        if n is None:
            return [v[1]] if v[0] == "$" else None
        if v[0] not in ("*", "~") or v[1] is None:
            return None
        items = v[1]
        if not values:
            return [e[1] for e in items]
        if nested:
            pairs = [(e[1][0][1], e[1][1][1]) for e in items if e[0] == "*" and len(e[1]) == 2]
            if len(pairs) != len(items):
                return None
        else:
            if len(items) % 2:
                return None
            pairs = [(items[i][1], items[i + 1][1]) for i in range(0, len(items), 2)]
        if any(values.get(f) != val for f, val in pairs):
            return None
        return [f for f, _ in pairs]

    def norm(r, c):
        if r[0] != c[0]:
            return "types differ"
        for side, v in (("redis", r), ("convoy", c)):
            f = fields_of(v)
            if f is None:
                return "%s: bad shape" % side
            if n is not None and len(f) != n:
                return "%s: %d elements, want %d" % (side, len(f), n)
            if any(e not in pool for e in f):
                return "%s: element outside the pool" % side
            if distinct and len(set(f)) != len(f):
                return "%s: repeats" % side
        return None
    norm.__name__ = "random_pick"
    return norm


H3 = {"a": "1", "b": "2", "c": "3"}

group("hashes", [
    C("HSET", "h"), C("HSET", "h", "a"), C("HSET", "h", "a", "1", "b"), C("HSET", "h", "a", "1", "b", "2"),
    C("HSET", "h", "a", "9", "c", "3"), C("HGET", "h", "a"), C("HSET", "h", "a", "1"), C("HGET", "h", "missing"),
    C("HGET", "nokey", "a"), C("HGET", "h"), C("HGET", "h", "a", "b"),
    C("HSETNX", "h", "a", "x"), C("HSETNX", "h", "d", "4"), C("HSETNX", "new", "f", "v"), C("HSETNX", "h", "d"),
    C("HDEL", "h", "d"), C("HDEL", "new", "f"), C("EXISTS", "new"), C("HDEL", "h"), C("HDEL", "h", "zz", "zz"),
    C("HMGET", "h", "a", "zz", "c"), C("HMGET", "nokey", "a", "b"), C("HMGET", "h"),
    C("HMSET", "h"), C("HMSET", "h", "a"), C("HMSET", "h", "a", "1", "b"), C("HMSET", "m", "x", "1", "y", "2"),
    C("HGETALL", "h", norm=unordered_map), C("HGETALL", "nokey"), C("HGETALL"),
    C("HLEN", "h"), C("HLEN", "nokey"), C("HEXISTS", "h", "a"), C("HEXISTS", "h", "zz"), C("HEXISTS", "nokey", "a"),
    C("HKEYS", "h", norm=sorted_array), C("HKEYS", "nokey"), C("HVALS", "h", norm=sorted_array), C("HVALS", "nokey"),
    C("HSTRLEN", "h", "a"), C("HSTRLEN", "h", "zz"), C("HSTRLEN", "nokey", "a"),
    C("HSET", "h", "long", "x" * 100), C("HSTRLEN", "h", "long"), C("HDEL", "h", "long"),
    C("HINCRBY", "h", "a", "5"), C("HINCRBY", "h", "n", "-3"), C("HINCRBY", "h", "a", "x"),
    C("HINCRBY", "h", "a", "1.5"), C("HINCRBY", "h", "a", BIG), C("HINCRBY", "h", "n", SMALL),
    C("HINCRBY", "h", "n", "-9223372036854775805"), C("HINCRBY", "h", "n", "-1"),
    C("HSET", "h", "f", "1.5"), C("HINCRBY", "h", "f", "1"), C("HSET", "h", "sp", " 1"), C("HINCRBY", "h", "sp", "1"),
    C("HINCRBY", "cnt", "x", "7"), C("HGETALL", "cnt"),
    C("HINCRBYFLOAT", "h", "f", "0.1"), C("HINCRBYFLOAT", "h", "f", "x"), C("HINCRBYFLOAT", "h", "f", "inf"),
    C("HINCRBYFLOAT", "h", "f", "-inf"), C("HINCRBYFLOAT", "h", "f", "nan"), C("HINCRBYFLOAT", "h", "fl", "3.0e3"),
    C("HINCRBYFLOAT", "h", "fl", "-3000"), C("HINCRBYFLOAT", "h", "fl", "10.5"), C("HINCRBYFLOAT", "h", "fl", "0.1"),
    C("HINCRBYFLOAT", "h", "sp", "1"), C("HSET", "h", "word", "abc"), C("HINCRBYFLOAT", "h", "word", "1"),
    C("HSET", "h", "inf", "inf"), C("HINCRBYFLOAT", "h", "inf", "1"), C("HINCRBYFLOAT", "h", "a", "1e4000"),
    C("HINCRBYFLOAT", "h", "big", "1.7e308"), C("HINCRBYFLOAT", "h", "big", "1.7e308"), C("HGET", "h", "big"),
    C("HINCRBYFLOAT", "nf", "x", "0x10"), C("HINCRBYFLOAT", "h"),
    C("DEL", "h"), C("HSET", "h", "a", "1", "b", "2", "c", "3"),
    C("HRANDFIELD", "nokey"), C("HRANDFIELD", "nokey", "3"), C("HRANDFIELD", "nokey", "3", "WITHVALUES"),
    C("HRANDFIELD", "h", norm=random_pick(H3)), C("HRANDFIELD", "h", "0"), C("HRANDFIELD", "h", "0", "WITHVALUES"),
    C("HRANDFIELD", "h", "2", norm=random_pick(H3, 2, distinct=True)),
    C("HRANDFIELD", "h", "5", norm=random_pick(H3, 3, distinct=True)),
    C("HRANDFIELD", "h", "-7", norm=random_pick(H3, 7)),
    C("HRANDFIELD", "h", "2", "WITHVALUES", norm=random_pick(H3, 2, distinct=True, values=H3)),
    C("HRANDFIELD", "h", "-5", "withvalues", norm=random_pick(H3, 5, values=H3)),
    C("HRANDFIELD", "h", "3", "WITHVALUES", norm=random_pick(H3, 3, distinct=True, values=H3)),
    C("HRANDFIELD", "h", "x"), C("HRANDFIELD", "h", "1", "foo"), C("HRANDFIELD", "h", "1", "WITHVALUES", "x"),
    C("HRANDFIELD", "h", "x", "WITHVALUES"), C("HRANDFIELD", "h", "x", "foo"), C("HRANDFIELD", "h", SMALL),
    C("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"), C("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"),
    C("HSCAN", "h", "0", norm=unordered_scan), C("HSCAN", "h", "0", "COUNT", "1", norm=unordered_scan),
    C("HSCAN", "h", "7", norm=unordered_scan), C("HSCAN", "h", "0", "MATCH", "[ab]", norm=unordered_scan),
    C("HSCAN", "h", "0", "MATCH", "*", "COUNT", "100", norm=unordered_scan), C("HSCAN", "h", "0", "MATCH", "z*"),
    C("HSCAN", "h", "x"), C("HSCAN", "h", "-1", norm=unordered_scan), C("HSCAN", "h", "0", "COUNT", "0"),
    C("HSCAN", "h", "0", "COUNT", "x"), C("HSCAN", "h", "0", "MATCH"), C("HSCAN", "h", "0", "NOVALUES"),
    C("HSCAN", "h", "0", "TYPE", "hash"), C("HSCAN", "nokey", "0"), C("HSCAN", "nokey", "0", "COUNT", "0"),
    C("HSCAN", "nokey", "x"), C("HSCAN", "h"),
    C("HDEL", "h", "a", "b", "c"), C("EXISTS", "h"), C("HLEN", "h"),
    C("SET", "str", "v"), C("HSET", "str", "a", "1"), C("HGET", "str", "a"), C("HMGET", "str", "a"),
    C("HGETALL", "str"), C("HDEL", "str", "a"), C("HLEN", "str"), C("HEXISTS", "str", "a"), C("HKEYS", "str"),
    C("HVALS", "str"), C("HINCRBY", "str", "a", "1"), C("HINCRBYFLOAT", "str", "a", "1"), C("HSTRLEN", "str", "a"),
    C("HRANDFIELD", "str"), C("HRANDFIELD", "str", "2"), C("HSCAN", "str", "0"), C("HSETNX", "str", "a", "1"),
    C("HMSET", "str", "a", "1"), C("HINCRBYFLOAT", "str", "a", "x"), C("HSCAN", "str", "0", "COUNT", "0"),
    C("SADD", "aset", "x"), C("HGET", "aset", "x"), C("GET", "m"), C("TYPE", "m"),
])

S5 = ["a", "b", "c", "d", "e"]

group("sets", [
    C("SADD", "s"), C("SADD", "s", "a", "b", "c", "a"), C("SADD", "s", "c", "d", "e"), C("SCARD", "s"),
    C("SCARD", "nokey"), C("SISMEMBER", "s", "a"), C("SISMEMBER", "s", "z"), C("SISMEMBER", "nokey", "a"),
    C("SMISMEMBER", "s", "a", "z", "e"), C("SMISMEMBER", "nokey", "a"), C("SMISMEMBER", "s"),
    C("SMEMBERS", "s", norm=sorted_array), C("SMEMBERS", "nokey"), C("SMEMBERS"),
    C("SREM", "s", "z"), C("SREM", "s", "e", "e"), C("SREM", "nokey", "a"), C("SREM", "s"),
    C("SADD", "gone", "1"), C("SREM", "gone", "1"), C("EXISTS", "gone"), C("SADD", "s", "e"),
    C("SRANDMEMBER", "nokey"), C("SRANDMEMBER", "nokey", "3"), C("SRANDMEMBER", "nokey", "-3"),
    C("SRANDMEMBER", "s", norm=random_pick(S5)), C("SRANDMEMBER", "s", "0"),
    C("SRANDMEMBER", "s", "3", norm=random_pick(S5, 3, distinct=True)),
    C("SRANDMEMBER", "s", "10", norm=random_pick(S5, 5, distinct=True)),
    C("SRANDMEMBER", "s", "-8", norm=random_pick(S5, 8)), C("SRANDMEMBER", "s", "x"),
    C("SRANDMEMBER", "s", "1", "2"), C("SRANDMEMBER", "s", SMALL), C("SRANDMEMBER", "s", "1.0"),
    C("SPOP", "nokey"), C("SPOP", "nokey", "2"), C("SPOP", "nokey", "0"), C("SPOP", "s", "-1"), C("SPOP", "s", "x"),
    C("SPOP", "s", "1", "2"), C("SPOP", "s", "0"), C("SADD", "p", "x"), C("SPOP", "p"), C("EXISTS", "p"),
    C("SADD", "p", "x", "y", "z"), C("SPOP", "p", "2", norm=random_pick(["x", "y", "z"], 2, distinct=True)),
    C("SCARD", "p"), C("SPOP", "p", "5", norm=random_pick(["x", "y", "z"], 1)), C("EXISTS", "p"),
    C("SADD", "p", "1", "2", "3"), C("SPOP", "p", "3", norm=sorted_array), C("EXISTS", "p"),
    C("SADD", "i", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"),
    C("SSCAN", "i", "0", norm=unordered_sscan), C("SSCAN", "i", "0", "COUNT", "2", norm=unordered_sscan),
    C("SSCAN", "i", "0", "MATCH", "1*", norm=unordered_sscan), C("SSCAN", "s", "0", norm=unordered_sscan),
    C("SSCAN", "s", "0", "MATCH", "[a-c]", norm=unordered_sscan), C("SSCAN", "nokey", "0"), C("SSCAN", "s", "x"),
    C("SSCAN", "s", "0", "COUNT", "0"), C("SSCAN", "s", "0", "COUNT", "-1"), C("SSCAN", "s", "0", "MATCH"),
    C("SSCAN", "s", "0", "FOO", "1"), C("SSCAN", "nokey", "0", "COUNT", "0"), C("SSCAN", "s"),
    C("SADD", "t", "c", "d", "e", "f"), C("SADD", "u", "e", "f", "g"),
    C("SINTER", "s", "t", norm=sorted_array), C("SINTER", "s", "t", "u", norm=sorted_array),
    C("SINTER", "s", norm=sorted_array), C("SINTER", "s", "nokey"), C("SINTER", "nokey", "s"), C("SINTER"),
    C("SUNION", "s", "t", "u", norm=sorted_array), C("SUNION", "nokey"), C("SUNION", "nokey", "u", norm=sorted_array),
    C("SDIFF", "s", "t", norm=sorted_array), C("SDIFF", "s", "t", "u", norm=sorted_array), C("SDIFF", "nokey", "s"),
    C("SDIFF", "s", "nokey", norm=sorted_array), C("SDIFF", "s", "s"),
    C("SINTERSTORE", "d", "s", "t"), C("SMEMBERS", "d", norm=sorted_array), C("SINTERSTORE", "d", "s", "nokey"),
    C("EXISTS", "d"), C("SET", "d", "str"), C("EXPIRE", "d", "100"), C("SUNIONSTORE", "d", "s", "u"), C("TTL", "d"),
    C("SCARD", "d"), C("SDIFFSTORE", "d", "s", "t"), C("SMEMBERS", "d", norm=sorted_array),
    C("SDIFFSTORE", "d", "s", "s"), C("EXISTS", "d"), C("SUNIONSTORE", "s2", "s"), C("SINTERSTORE", "s2", "s2", "t"),
    C("SMEMBERS", "s2", norm=sorted_array), C("SINTERSTORE", "d"), C("SUNIONSTORE", "d", "nokey"),
    C("SINTERCARD", "2", "s", "t"), C("SINTERCARD", "3", "s", "t", "u"), C("SINTERCARD", "1", "s", "LIMIT", "2"),
    C("SINTERCARD", "1", "s", "limit", "0"), C("SINTERCARD", "1", "s", "LIMIT", "100"), C("SINTERCARD", "2", "s", "nokey"),
    C("SINTERCARD", "0", "s"), C("SINTERCARD", "-1", "s"), C("SINTERCARD", "x", "s"), C("SINTERCARD", "3", "s", "t"),
    C("SINTERCARD", "1", "s", "LIMIT", "-1"), C("SINTERCARD", "1", "s", "LIMIT", "x"), C("SINTERCARD", "1", "s", "LIMIT"),
    C("SINTERCARD", "1", "s", "FOO", "1"), C("SINTERCARD", "2", "s", "LIMIT", "1"), C("SINTERCARD", "1"),
    C("SINTERCARD", BIG, "s"),
    C("SMOVE", "s", "t", "a"), C("SISMEMBER", "t", "a"), C("SISMEMBER", "s", "a"), C("SMOVE", "s", "t", "a"),
    C("SMOVE", "s", "t", "c"), C("SMOVE", "nokey", "t", "a"), C("SMOVE", "s", "fresh", "b"), C("SMEMBERS", "fresh"),
    C("SMOVE", "fresh", "s", "b"), C("EXISTS", "fresh"), C("SMOVE", "s", "s", "b"), C("SMOVE", "s", "s", "zz"),
    C("SMOVE", "s", "t"), C("SADD", "one", "x"), C("SMOVE", "one", "two", "x"), C("EXISTS", "one"),
    C("SET", "str", "v"), C("HSET", "hh", "f", "v"), C("SADD", "str", "a"), C("SREM", "str", "a"),
    C("SMEMBERS", "str"), C("SISMEMBER", "str", "a"), C("SMISMEMBER", "str", "a"), C("SCARD", "str"),
    C("SPOP", "str"), C("SPOP", "str", "1"), C("SPOP", "str", "0"), C("SRANDMEMBER", "str"),
    C("SRANDMEMBER", "str", "2"), C("SRANDMEMBER", "str", "0"), C("SSCAN", "str", "0"), C("SSCAN", "str", "0", "COUNT", "0"),
    C("SINTER", "s", "str"), C("SINTER", "nokey", "str"), C("SINTER", "hh", "nokey"), C("SUNION", "s", "hh"),
    C("SDIFF", "nokey", "str"), C("SDIFF", "str", "nokey"), C("SINTERSTORE", "d", "s", "str"),
    C("SINTERSTORE", "d", "nokey", "str"), C("SUNIONSTORE", "d", "str"), C("SDIFFSTORE", "d", "str"),
    C("SINTERSTORE", "str", "s", "t"), C("TYPE", "str"), C("SINTERCARD", "2", "s", "str"),
    C("SINTERCARD", "2", "nokey", "str"), C("SINTERCARD", "1", "str", "LIMIT", "x"),
    C("SMOVE", "hh", "s", "f"), C("SMOVE", "s", "hh", "c"), C("SMOVE", "nokey", "hh", "a"), C("SMOVE", "s", "hh", "zz"),
    C("HGET", "s", "a"), C("GET", "s"),
])

group("hashes-sets-resp3", [
    C("HSET", "h", "a", "1", "b", "2"), C("HGETALL", "h", norm=unordered_map), C("HGETALL", "nokey"),
    C("HMGET", "h", "a", "zz"), C("HGET", "h", "zz"), C("HKEYS", "h", norm=sorted_array), C("HVALS", "nokey"),
    C("HINCRBYFLOAT", "h", "a", "1"), C("HRANDFIELD", "nokey"), C("HRANDFIELD", "nokey", "2", "WITHVALUES"),
    C("HRANDFIELD", "h", "2", "WITHVALUES", norm=random_pick(["a", "b"], 2, True, {"a": "2", "b": "2"}, nested=True)),
    C("HRANDFIELD", "h", "-3", "WITHVALUES", norm=random_pick(["a", "b"], 3, False, {"a": "2", "b": "2"}, nested=True)),
    C("HRANDFIELD", "h", "1", "WITHVALUES", norm=random_pick(["a", "b"], 1, False, {"a": "2", "b": "2"}, nested=True)),
    C("HRANDFIELD", "h", "0", "WITHVALUES"), C("HRANDFIELD", "h", "2", norm=random_pick(["a", "b"], 2, True)),
    C("HSCAN", "h", "0", norm=unordered_scan), C("HSCAN", "nokey", "0"),
    C("SADD", "s", "x", "y", "z"), C("SADD", "t", "y"), C("SMEMBERS", "s", norm=sorted_array), C("SMEMBERS", "nokey"),
    C("SINTER", "s", "t"), C("SINTER", "s", "nokey"), C("SUNION", "s", "t", norm=sorted_array), C("SDIFF", "t", "s"),
    C("SUNION", "nokey"), C("SPOP", "nokey", "1"), C("SPOP", "s", "0"), C("SPOP", "nokey"),
    C("SPOP", "s", "1", norm=random_pick(["x", "y", "z"], 1)), C("SRANDMEMBER", "nokey", "2"), C("SRANDMEMBER", "nokey"),
    C("SRANDMEMBER", "t", "2"), C("SRANDMEMBER", "t", "-2"), C("SMISMEMBER", "t", "y", "n"), C("SISMEMBER", "t", "y"),
    C("SSCAN", "t", "0"), C("SINTERCARD", "1", "t"),
], resp=3)

LIST_COMMANDS = ["lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "llen", "lrange", "lindex", "lset",
                 "linsert", "lrem", "ltrim", "lpos", "lmove", "rpoplpush", "blpop", "brpop", "blmove", "brpoplpush"]

group("lists", [
    # Pushes, lengths, ranges.
    C("LPUSH", "l", "a", "b", "c"), C("RPUSH", "l", "d", "e"), C("LLEN", "l"), C("LRANGE", "l", "0", "-1"),
    C("LPUSH", "l"), C("RPUSH"), C("LLEN"), C("LLEN", "l", "x"), C("LLEN", "missing"),
    C("LPUSHX", "missing", "a"), C("RPUSHX", "missing", "a", "b"), C("EXISTS", "missing"),
    C("LPUSHX", "l", "x", "y"), C("RPUSHX", "l", "z"), C("LRANGE", "l", "0", "-1"), C("LPUSHX", "l"),
    C("SET", "s", "v"), C("LPUSH", "s", "a"), C("RPUSH", "s", "a"), C("LPUSHX", "s", "a"), C("RPUSHX", "s", "a"),
    C("LLEN", "s"), C("LRANGE", "s", "0", "-1"), C("LINDEX", "s", "0"), C("LSET", "s", "0", "x"),
    C("LINSERT", "s", "BEFORE", "a", "b"), C("LREM", "s", "0", "a"), C("LTRIM", "s", "0", "1"),
    C("LPOS", "s", "a"), C("LPOP", "s"), C("RPOP", "s", "2"), C("TYPE", "l"), C("TYPE", "s"),
    C("LRANGE", "l", "1", "3"), C("LRANGE", "l", "-3", "-1"), C("LRANGE", "l", "-100", "100"),
    C("LRANGE", "l", "5", "2"), C("LRANGE", "l", "100", "200"), C("LRANGE", "l", "-1", "-100"),
    C("LRANGE", "l", SMALL, BIG), C("LRANGE", "l", BIG, SMALL), C("LRANGE", "l", "0", "0"),
    C("LRANGE", "l", "x", "1"), C("LRANGE", "l", "0", "1.5"), C("LRANGE", "missing", "0", "-1"),
    C("LRANGE", "missing", "x", "1"), C("LRANGE", "l", "0"),
    # Indexes.
    C("LINDEX", "l", "0"), C("LINDEX", "l", "-1"), C("LINDEX", "l", "100"), C("LINDEX", "l", "-100"),
    C("LINDEX", "l", SMALL), C("LINDEX", "l", "x"), C("LINDEX", "missing", "x"), C("LINDEX", "missing", "0"),
    C("LSET", "l", "0", "first"), C("LSET", "l", "-1", "last"), C("LSET", "l", "100", "v"),
    C("LSET", "l", "-100", "v"), C("LSET", "l", "x", "v"), C("LSET", "missing", "0", "v"),
    C("LSET", "missing", "x", "v"), C("LRANGE", "l", "0", "-1"), C("LSET", "l", "0"),
    # Pops, with and without count.
    C("LPOP", "l"), C("RPOP", "l"), C("LPOP", "l", "2"), C("RPOP", "l", "1"), C("LPOP", "l", "0"),
    C("LPOP", "l", "-1"), C("LPOP", "l", "abc"), C("LPOP", "l", "1.5"), C("RPOP", "l", "-5"),
    C("LPOP", "l", "1", "2"), C("RPOP", "l", "a", "b"), C("LPOP"),
    C("LPOP", "missing"), C("RPOP", "missing"), C("LPOP", "missing", "3"), C("RPOP", "missing", "0"),
    C("LPOP", "missing", "-1"), C("LRANGE", "l", "0", "-1"), C("LPOP", "l", BIG), C("EXISTS", "l"),
    C("RPUSH", "one", "x"), C("RPOP", "one"), C("EXISTS", "one"),
    C("RPUSH", "one", "x", "y"), C("LPOP", "one", "5"), C("EXISTS", "one"),
    # LINSERT.
    C("RPUSH", "i", "a", "b", "c"), C("LINSERT", "i", "BEFORE", "b", "x"), C("LINSERT", "i", "after", "c", "y"),
    C("LINSERT", "i", "BEFORE", "a", "z"), C("LINSERT", "i", "AFTER", "nope", "w"), C("LRANGE", "i", "0", "-1"),
    C("LINSERT", "i", "MIDDLE", "a", "w"), C("LINSERT", "missing", "BEFORE", "a", "w"),
    C("LINSERT", "missing", "MIDDLE", "a", "w"), C("EXISTS", "missing"), C("LINSERT", "i", "BEFORE", "a"),
    # LREM.
    C("RPUSH", "r", "x", "a", "x", "b", "x", "c", "x"), C("LREM", "r", "2", "x"), C("LRANGE", "r", "0", "-1"),
    C("LREM", "r", "-1", "x"), C("LRANGE", "r", "0", "-1"), C("LREM", "r", "0", "x"), C("LRANGE", "r", "0", "-1"),
    C("LREM", "r", "0", "nope"), C("LREM", "r", "x", "a"), C("LREM", "missing", "1", "a"),
    C("LREM", "missing", "x", "a"), C("LREM", "r", SMALL, "a"), C("LREM", "r", "0", "b"), C("LREM", "r", "1", "c"),
    C("EXISTS", "r"), C("LREM", "r", "1"),
    # LTRIM.
    C("RPUSH", "t", "a", "b", "c", "d", "e"), C("LTRIM", "t", "1", "-2"), C("LRANGE", "t", "0", "-1"),
    C("LTRIM", "t", "-100", "100"), C("LRANGE", "t", "0", "-1"), C("LTRIM", "t", "x", "1"),
    C("LTRIM", "missing", "0", "1"), C("LTRIM", "missing", "x", "1"), C("LTRIM", "t", "2", "1"),
    C("EXISTS", "t"), C("RPUSH", "t", "a", "b"), C("LTRIM", "t", "5", "10"), C("EXISTS", "t"), C("LTRIM", "t", "0"),
    # LPOS.
    C("RPUSH", "p", "a", "b", "c", "1", "2", "3", "c", "c"), C("LPOS", "p", "c"), C("LPOS", "p", "nope"),
    C("LPOS", "p", "c", "RANK", "2"), C("LPOS", "p", "c", "RANK", "-1"), C("LPOS", "p", "c", "RANK", "-3"),
    C("LPOS", "p", "c", "RANK", "4"), C("LPOS", "p", "c", "RANK", "0"), C("LPOS", "p", "c", "RANK", "x"),
    C("LPOS", "p", "c", "RANK", BIG), C("LPOS", "p", "c", "RANK", "-" + BIG), C("LPOS", "p", "c", "RANK", SMALL),
    C("LPOS", "p", "c", "COUNT", "0"), C("LPOS", "p", "c", "COUNT", "2"), C("LPOS", "p", "c", "COUNT", "-1"),
    C("LPOS", "p", "c", "COUNT", "x"), C("LPOS", "p", "nope", "COUNT", "2"), C("LPOS", "p", "c", "RANK", "-1", "COUNT", "2"),
    C("LPOS", "p", "c", "RANK", "2", "COUNT", "0"), C("LPOS", "p", "c", "COUNT", "0", "MAXLEN", "3"),
    C("LPOS", "p", "c", "MAXLEN", "2"), C("LPOS", "p", "c", "MAXLEN", "-1"), C("LPOS", "p", "c", "MAXLEN", "x"),
    C("LPOS", "p", "c", "RANK", "-1", "MAXLEN", "1"), C("LPOS", "p", "c", "RANK", "-1", "COUNT", "0", "MAXLEN", "2"),
    C("LPOS", "p", "c", "rank", "1", "count", "1", "maxlen", "0"), C("LPOS", "p", "c", "RANK"),
    C("LPOS", "p", "c", "BOGUS", "1"), C("LPOS", "p", "c", "COUNT", "1", "RANK", "0"),
    C("LPOS", "missing", "c"), C("LPOS", "missing", "c", "COUNT", "1"), C("LPOS", "missing", "c", "RANK", "0"),
    C("LPOS", "missing", "c", "BOGUS"), C("LPOS", "p"),
    # LMOVE and RPOPLPUSH.
    C("RPUSH", "src", "1", "2", "3"), C("LMOVE", "src", "dst", "LEFT", "RIGHT"), C("LMOVE", "src", "dst", "right", "left"),
    C("LRANGE", "src", "0", "-1"), C("LRANGE", "dst", "0", "-1"), C("LMOVE", "src", "dst", "UP", "LEFT"),
    C("LMOVE", "src", "dst", "LEFT", "DOWN"), C("LMOVE", "missing", "dst", "LEFT", "LEFT"),
    C("LMOVE", "missing", "s", "LEFT", "LEFT"), C("LMOVE", "src", "s", "LEFT", "LEFT"), C("LRANGE", "src", "0", "-1"),
    C("LMOVE", "s", "dst", "LEFT", "LEFT"), C("LMOVE", "src", "src", "LEFT", "RIGHT"),
    C("RPUSH", "rot", "a", "b", "c"), C("LMOVE", "rot", "rot", "LEFT", "RIGHT"), C("LRANGE", "rot", "0", "-1"),
    C("LMOVE", "rot", "rot", "RIGHT", "LEFT"), C("LMOVE", "rot", "rot", "LEFT", "LEFT"), C("LRANGE", "rot", "0", "-1"),
    C("LMOVE", "src", "dst", "LEFT", "LEFT"), C("EXISTS", "src"), C("LRANGE", "dst", "0", "-1"),
    C("RPOPLPUSH", "dst", "other"), C("RPOPLPUSH", "missing", "other"), C("RPOPLPUSH", "dst", "s"),
    C("RPOPLPUSH", "s", "dst"), C("RPOPLPUSH", "rot", "rot"), C("LRANGE", "rot", "0", "-1"),
    C("LRANGE", "other", "0", "-1"), C("RPOPLPUSH", "dst"), C("LMOVE", "a", "b", "LEFT"),
    C("RPUSH", "solo", "x"), C("LMOVE", "solo", "solo", "LEFT", "RIGHT"), C("LRANGE", "solo", "0", "-1"),
    # Blocking commands that need not block, their errors, and short timeouts.
    C("RPUSH", "b1", "x", "y", "z", "w"), C("BLPOP", "missing", "b1", "0"), C("BRPOP", "missing", "b1", "0"),
    C("BLPOP", "b1", "0"), C("EXISTS", "b1"), C("BLPOP", "s", "b1", "0"), C("BLPOP", "missing", "s", "0"),
    C("RPUSH", "b2", "z"), C("BRPOP", "b2", "s", "0"),
    C("BLPOP", "b1", "x"), C("BLPOP", "b1", "-1"), C("BLPOP", "b1", ""), C("BLPOP", "b1"), C("BRPOP", "b1"), C("BLPOP", "b1", "0.05"), C("BRPOP", "b1", "b2", "0.05"),
    C("RPUSH", "bm", "1", "2"), C("BLMOVE", "bm", "bd", "LEFT", "RIGHT", "0"), C("BRPOPLPUSH", "bm", "bd", "0"),
    C("LRANGE", "bd", "0", "-1"), C("EXISTS", "bm"), C("BLMOVE", "bm", "bd", "LEFT", "RIGHT", "0.05"),
    C("BRPOPLPUSH", "bm", "bd", "0.05"), C("BLMOVE", "bm", "bd", "UP", "RIGHT", "x"),
    C("BLMOVE", "bm", "bd", "LEFT", "RIGHT", "x"), C("BLMOVE", "bm", "bd", "LEFT", "RIGHT", "-1"),
    C("BRPOPLPUSH", "bm", "bd", "x"), C("BRPOPLPUSH", "bm", "bd", "-1"), C("BLMOVE", "s", "bd", "LEFT", "RIGHT", "0"),
    C("BLMOVE", "bd", "s", "LEFT", "RIGHT", "0"), C("BRPOPLPUSH", "s", "bd", "0"), C("BLMOVE", "bm", "bd", "LEFT"),
    C("BRPOPLPUSH", "bm", "bd"),
    # Binary elements and the type of an emptied key.
    C("RPUSH", "bin", "a\x00b", "\xff", ""), C("LRANGE", "bin", "0", "-1"), C("LPOS", "bin", ""),
    C("LINDEX", "bin", "-1"), C("RPUSH", "big", "x" * 100), C("LINDEX", "big", "0"),
    C("DEL", "bin"), C("TYPE", "bin"), C("TYPE", "big"),
    C("COMMAND", "INFO", *LIST_COMMANDS, norm=command_info_core, label="COMMAND INFO <list commands> (core)"),
    C("COMMAND", "DOCS", *LIST_COMMANDS, norm=command_docs_core, label="COMMAND DOCS <list commands> (core)"),
])

group("lists-resp3", [
    C("RPUSH", "l", "a", "b"), C("LPOP", "missing"), C("LPOP", "missing", "2"), C("LPOP", "l", "0"),
    C("LPOP", "l", "1"), C("LINDEX", "l", "5"), C("LPOS", "l", "x"), C("LPOS", "l", "x", "COUNT", "0"),
    C("LMOVE", "missing", "d", "LEFT", "LEFT"), C("BLPOP", "missing", "0.05"), C("BLMOVE", "missing", "d", "LEFT", "LEFT", "0.05"),
    C("BRPOPLPUSH", "missing", "d", "0.05"), C("BLPOP", "l", "0"), C("LRANGE", "missing", "0", "-1"),
], resp=3)

# Transactions on one connection (WATCH sees this client's own writes).
group("transactions", [
    C("EXEC"), C("DISCARD"), C("MULTI"), C("MULTI"), C("SET", "a", "1"), C("INCR", "a"), C("WATCH", "x"),
    C("EXEC"), C("MULTI"), C("NOSUCH"), C("SET", "b", "2"), C("EXEC"), C("GET", "b"),
    C("MULTI"), C("GET"), C("EXEC"), C("SET", "s", "abc"), C("MULTI"), C("INCR", "s"), C("SET", "t", "x"), C("EXEC"),
    C("WATCH", "w"), C("SET", "w", "1"), C("MULTI"), C("PING"), C("EXEC"),
    C("WATCH", "w"), C("UNWATCH"), C("SET", "w", "2"), C("MULTI"), C("PING"), C("EXEC"),
    C("WATCH", "nokey"), C("MULTI"), C("SET", "nokey", "v"), C("EXEC"),
    C("MULTI"), C("BLPOP", "e", "0"), C("BLMOVE", "e", "d", "LEFT", "LEFT", "0"), C("EXEC"),
    C("MULTI"), C("DISCARD"), C("UNWATCH"), C("WATCH"), C("MULTI", "x"), C("EXEC", "x"),
    C("MULTI"), C("SELECT", "1"), C("SET", "in1", "v"), C("SELECT", "0"), C("EXEC"), C("EXISTS", "in1"),
])

group("transactions-resp3", [
    C("WATCH", "w"), C("SET", "w", "1"), C("MULTI"), C("PING"), C("EXEC"),
    C("MULTI"), C("SET", "k", "v"), C("GET", "k"), C("HSET", "h", "f", "v"), C("HGETALL", "h"), C("EXEC"),
], resp=3)

# Protocol errors: each on a fresh connection; the reply must match and both
# servers must close it.
PROTOCOL_ERRORS = [
    b"*1\r\n$abc\r\n",                  # bulk length not a number
    b"*1\r\n$-5\r\n",                   # negative bulk length
    b"*abc\r\n",                        # multibulk length not a number
    b"*2147483648\r\n",                 # multibulk length over INT_MAX
    b"*1\r\n$2147483648\r\n",           # bulk length over proto-max-bulk-len
    b"*1\r\n+PING\r\n",                 # expected '$'
    b"*2\r\n$4\r\nECHO\r\n:1\r\n",      # expected '$' on the second element
    b"SET k \"unbalanced\r\n",          # inline: unbalanced quotes
    b"SET k 'x\r\n",
    b"SET k \"a\"b\r\n",                # closing quote not followed by space
    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*x\r\n",  # one good request, then an error
    # More in tests/bad_input.rs, which has Redis 7.0.15's replies as constants.
    b"*1\r\n\xff\r\n",                 # expected '$': the byte is sent raw
    b"*1\r\n\r\n",                     # expected '$', got ' ' (\r shown as a space)
    b"*1\r\n" * 1000,                   # nested arrays
    b"*1\r\n$" + b"1" * 70000,           # too big bulk count string
    b"*1\r\n$4\0\r\nPING\r\n" + b"x" * 70000,  # a NUL hides the line's end until 64 KiB wait
    b"PING\0\r\n" + b"x" * 70000,        # the same, inline
]


# ---------------------------------------------------------------------------
# Runner
# ---------------------------------------------------------------------------

class Runner:
    def __init__(self, host, redis_port, convoy_port, verbose):
        self.host, self.ports, self.verbose = host, (redis_port, convoy_port), verbose
        self.steps = self.mismatches = self.allowed = 0

    def connect(self):
        return [Conn(self.host, p) for p in self.ports]

    def report(self, label, raw_r, raw_c, why=None):
        allowed = ALLOWED.get(label)
        if allowed:
            self.allowed += 1
            if self.verbose:
                print("allowed  %s  (%s)" % (label, allowed))
            return
        self.mismatches += 1
        print("MISMATCH %s%s" % (label, "  [%s]" % why if why else ""))
        print("  redis : %r" % raw_r[:600])
        print("  convoy: %r" % raw_c[:600])

    def compare(self, label, r, c, norm):
        self.steps += 1
        (raw_r, val_r), (raw_c, val_c) = r, c
        if norm is None or val_r[0] in ("timeout", "closed") or val_c[0] in ("timeout", "closed"):
            if raw_r != raw_c:
                self.report(label, raw_r, raw_c)
            return
        why = norm(val_r, val_c)
        if why is not None:
            self.report(label, raw_r, raw_c, "%s: %s" % (norm.__name__, why))

    def scan_all(self, conn, opts):
        keys, cursor, rounds = set(), b"0", 0
        while True:
            conn.send(encode(["SCAN", cursor] + opts))
            raw, v = conn.reply()
            if v[0] != "*" or len(v[1]) != 2:
                return "bad reply %r" % raw[:100]
            cursor = v[1][0][1]
            keys.update(e[1] for e in v[1][1][1])
            rounds += 1
            if cursor == b"0" or rounds > 10000:
                return sorted(keys)

    def run_group(self, name, resp, steps):
        conns = self.connect()
        for c in conns:
            c.send(encode(["FLUSHALL"]))
            c.reply()
        if resp == 3:
            for c in conns:
                c.send(encode(["HELLO", "3"]))
                c.reply()
        for step in steps:
            label = step.label()
            if isinstance(step, Sleep):
                time.sleep(step.seconds)
            elif isinstance(step, SelfPush):
                for c in conns:
                    c.send(encode(step.args))
                n = step.pushes + 1
                from_redis = [conns[0].reply() for _ in range(n)]
                from_redis = from_redis[-1:] + from_redis[:-1]  # 7.0's order -> 7.2's
                for i in range(n):
                    self.compare(label + " #%d" % (i + 1), from_redis[i], conns[1].reply(), None)
            elif isinstance(step, Scan):
                got = [self.scan_all(c, step.opts) for c in conns]
                self.steps += 1
                if got[0] != got[1]:
                    self.report(label, repr(got[0]).encode(), repr(got[1]).encode())
            else:
                data = encode(step.args) if isinstance(step, C) else step.data
                n = 1 if isinstance(step, C) else step.replies
                for c in conns:
                    c.send(data)
                for i in range(n):
                    self.compare(label + ("" if n == 1 else " #%d" % (i + 1)),
                                 conns[0].reply(), conns[1].reply(), getattr(step, "norm", None))
        # Nothing left over: a stray reply would mean a step was miscounted.
        for c in conns:
            c.send(encode(["PING", "end-of-group"]))
        self.compare("%s: end of group" % name, conns[0].reply(), conns[1].reply(), None)
        for c in conns:
            c.close()

    def run_protocol_errors(self):
        for data in PROTOCOL_ERRORS:
            conns = self.connect()
            for c in conns:
                c.send(data)
            (dr, closed_r), (dc, closed_c) = [c.read_until_closed() for c in conns]
            self.steps += 1
            label = ProtocolError(data).label()
            if dr != dc:
                self.report(label, dr, dc)
            elif not (closed_r and closed_c):
                self.report(label, b"closed=%r" % closed_r, b"closed=%r" % closed_c, "connection not closed")
            for c in conns:
                c.close()

    def run(self):
        for name, resp, steps in GROUPS:
            self.run_group(name, resp, steps)
        self.run_protocol_errors()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--redis", type=int, required=True, help="port of the reference Redis")
    ap.add_argument("--convoy", type=int, required=True, help="port of convoy")
    ap.add_argument("-v", "--verbose", action="store_true", help="also print allowed differences")
    a = ap.parse_args()
    runner = Runner(a.host, a.redis, a.convoy, a.verbose)
    started = time.time()
    runner.run()
    print("differential: %d steps, %d mismatches, %d allowed, %.1fs" % (
        runner.steps, runner.mismatches, runner.allowed, time.time() - started))
    return 1 if runner.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
