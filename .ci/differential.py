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
    section convoy writes must exist in Redis; every `field:` convoy writes
    in it (bar its own `convoy_*` and INFO_FIELDS_72) must exist in Redis's
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
    for name, fields in sc.items():
        if name not in sr:
            return "section %r not in Redis" % name
        for k in fields:
            if k.startswith("convoy_") or k in INFO_FIELDS_72:
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


# CLIENT HELP lines for CLIENT SETINFO, which Redis 7.2 added.
HELP_LINES_72 = {"SETINFO <option> <value>", "    Set client meta attr. Options are:",
                 "    * LIB-NAME: the client lib name.", "    * LIB-VER: the client lib version."}


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
