//! CLIENT: a connection's own identity (ID, name, library), the list of
//! every connected client, and closing clients (KILL).
//!
//! CLIENT LIST reads the [client registry](crate::server::clients): each
//! connection publishes its facts there once per batch of commands, so the
//! listing costs the clients nothing until someone asks for it. Figures
//! convoy does not track (buffer sizes, memory) read 0: a connection's
//! read and write buffers are local to its task, and publishing their
//! sizes would cost every batch a store for a figure rarely read.
//!
//! CLIENT KILL fires the chosen clients' kill switches (see
//! [`crate::server::clients`]): each closes at its next wait, as Redis
//! closes a killed client asynchronously.

use super::server::{help, printable, subcommand};
use super::{err, error_line, is, owned, parse_int, Access, CmdResult, CommandSpec, CommandTable, Ctx, Subcommand};
use crate::keyspace::Keyspace;
use crate::resp::Reply;
use crate::server::ClientInfo;
use bytes::Bytes;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        name: "client|getname",
        arity: 2,
        flags: &["noscript", "loading", "stale"],
        summary: "Returns the name of the connection.",
    },
    Subcommand {
        name: "client|help",
        arity: 2,
        flags: &["loading", "stale"],
        summary: "Returns helpful text about the different subcommands.",
    },
    Subcommand {
        name: "client|id",
        arity: 2,
        flags: &["noscript", "loading", "stale"],
        summary: "Returns the unique client ID of the connection.",
    },
    Subcommand {
        name: "client|info",
        arity: 2,
        flags: &["noscript", "loading", "stale"],
        summary: "Returns information about the connection.",
    },
    Subcommand {
        name: "client|kill",
        arity: -3,
        flags: &["admin", "noscript", "loading", "stale"],
        summary: "Terminates open connections.",
    },
    Subcommand {
        name: "client|list",
        arity: -2,
        flags: &["admin", "noscript", "loading", "stale"],
        summary: "Lists open connections.",
    },
    Subcommand {
        name: "client|setinfo",
        arity: 4,
        flags: &["noscript", "loading", "stale"],
        summary: "Sets information specific to the client or connection.",
    },
    Subcommand {
        name: "client|setname",
        arity: 3,
        flags: &["noscript", "loading", "stale"],
        summary: "Sets the connection name.",
    },
];

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    t.add(CommandSpec {
        name: "client",
        arity: -2,
        flags: &[],
        keys: (0, 0, 0),
        access: Access::None,
        group: "connection",
        summary: "A container for client connection commands.",
        since: "2.4.0",
        subcommands: SUBCOMMANDS,
        handler: client::<K>,
    });
}

/// # Format
/// ```text
/// CLIENT ID
/// CLIENT SETNAME connection-name
/// CLIENT GETNAME
/// CLIENT SETINFO <LIB-NAME libname | LIB-VER libver>
/// CLIENT LIST [TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]
/// CLIENT INFO
/// CLIENT KILL ip:port
/// CLIENT KILL <ID client-id | TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB> | USER username
///     | ADDR ip:port | LADDR ip:port | SKIPME <YES | NO> | MAXAGE maxage> ...
/// CLIENT HELP
/// ```
fn client<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let sub = subcommand("client", SUBCOMMANDS, args)?;
    let me = &ctx.client.info;
    match sub.name {
        "client|id" => Ok(Reply::Integer(me.id as i64)),
        "client|getname" => Ok(me.name.lock().clone().map_or(Reply::Null, Reply::Bulk)),
        "client|setname" => {
            set_name(me, &args[2])?;
            Ok(Reply::OK)
        }
        "client|setinfo" => {
            let (attr, value) = (&args[2], &args[3]);
            let slot = if is(attr, "lib-name") {
                &me.lib_name
            } else if is(attr, "lib-ver") {
                &me.lib_ver
            } else {
                return Err(error_line(format!("ERR Unrecognized option '{}'", String::from_utf8_lossy(attr))));
            };
            if !printable(value) {
                return Err(error_line(format!(
                    "ERR {} cannot contain spaces, newlines or special characters.",
                    String::from_utf8_lossy(attr)
                )));
            }
            *slot.lock() = (!value.is_empty()).then(|| owned(value));
            Ok(Reply::OK)
        }
        "client|list" => {
            ctx.client.publish_activity();
            client_list(ctx, args)
        }
        "client|kill" => client_kill(ctx, args),
        "client|info" => {
            ctx.client.publish_activity();
            let mut line = describe(me, Some(sub.name));
            line.push('\n');
            Ok(Reply::Verbatim("txt", Bytes::from(line)))
        }
        "client|help" => Ok(help(
            "client",
            &[
                "GETNAME",
                "    Return the name of the current connection.",
                "ID",
                "    Return the ID of the current connection.",
                "INFO",
                "    Return information about the current client connection.",
                "KILL <ip:port>",
                "    Kill connection made from <ip:port>.",
                "KILL <option> <value> [<option> <value> [...]]",
                "    Kill connections. Options are:",
                "    * ADDR (<ip:port>|<unixsocket>:0)",
                "      Kill connections made from the specified address",
                "    * LADDR (<ip:port>|<unixsocket>:0)",
                "      Kill connections made to specified local address",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                "      Kill connections by type.",
                "    * USER <username>",
                "      Kill connections authenticated by <username>.",
                "    * SKIPME (YES|NO)",
                "      Skip killing current connection (default: yes).",
                "    * MAXAGE <maxage>",
                "      Kill connections older than the specified age.",
                "LIST [options ...]",
                "    Return information about client connections. Options:",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                "      Return clients of specified type.",
                "SETNAME <name>",
                "    Assign the name <name> to the current connection.",
                "SETINFO <option> <value>",
                "    Set client meta attr. Options are:",
                "    * LIB-NAME: the client lib name.",
                "    * LIB-VER: the client lib version.",
            ],
        )),
        _ => unreachable!("every CLIENT subcommand is handled"),
    }
}

/// `CLIENT LIST [TYPE type | ID id ...]`: one line per client, each ending
/// in `\n`, by ascending id (or in the order the ids were given).
fn client_list<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let all = ctx.server.clients.list();
    let chosen: Vec<&ClientInfo> = match &args[2..] {
        [] => all.iter().map(|c| &**c).collect(),
        [opt, kind] if is(opt, "type") => {
            let kind = client_type(kind)?;
            all.iter().filter(|c| c.kind() == kind).map(|c| &**c).collect()
        }
        [opt, ids @ ..] if is(opt, "id") && !ids.is_empty() => {
            let mut chosen = Vec::new();
            for id in ids {
                let id = parse_int(id).map_err(|_| Reply::error("ERR Invalid client ID"))?;
                chosen.extend(all.iter().filter(|c| c.id as i64 == id).map(|c| &**c));
            }
            chosen
        }
        _ => return Err(Reply::error(err::SYNTAX)),
    };
    let mut out = String::new();
    for c in chosen {
        let current = (c.id == ctx.client.id()).then_some("client|list");
        out.push_str(&describe(c, current));
        out.push('\n');
    }
    Ok(Reply::Verbatim("txt", Bytes::from(out)))
}

/// A client type as CLIENT LIST and CLIENT KILL name it (`slave` is
/// `replica`), or Redis's error.
fn client_type(name: &[u8]) -> Result<&'static str, Reply> {
    ["normal", "master", "replica", "pubsub"]
        .into_iter()
        .find(|k| is(name, k))
        .or_else(|| is(name, "slave").then_some("replica"))
        .ok_or_else(|| error_line(format!("ERR Unknown client type '{}'", String::from_utf8_lossy(name))))
}

/// What `CLIENT KILL <filter> <value> ...` asks for: a client is killed
/// when it matches every filter given.
struct KillFilter<'a> {
    id: Option<u64>,
    kind: Option<&'static str>,
    addr: Option<&'a [u8]>,
    laddr: Option<&'a [u8]>,
    /// Spare the calling client (the default).
    skipme: bool,
    /// Only clients connected at least this many seconds (0: any).
    max_age: i64,
}

impl KillFilter<'_> {
    fn matches(&self, c: &ClientInfo) -> bool {
        let text_is =
            |want: Option<&[u8]>, addr: std::net::SocketAddr| want.is_none_or(|w| w == addr.to_string().as_bytes());
        self.id.is_none_or(|id| id == c.id)
            && self.kind.is_none_or(|k| k == c.kind())
            && text_is(self.addr, c.addr)
            && text_is(self.laddr, c.laddr)
            && (self.max_age == 0 || c.created.elapsed().as_secs() as i64 >= self.max_age)
    }
}

/// # Format
/// ```text
/// CLIENT KILL ip:port
/// CLIENT KILL <filter> <value> [<filter> <value> ...]
/// ```
///
/// The old form kills the client connected from `ip:port` (the caller
/// included) and replies `OK`, or `-ERR No such client`. The new form
/// kills every client matching all the filters (`SKIPME yes`, sparing the
/// caller, unless told otherwise) and replies how many it killed. USER
/// accepts only `default`, convoy's one user, which every client is
/// logged in as. MAXAGE (Redis 7.4) kills clients connected for at least
/// that many seconds. A caller that kills itself is closed after the reply.
fn client_kill<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let old_form = args.len() == 3;
    let mut filter = KillFilter { id: None, kind: None, addr: None, laddr: None, skipme: !old_form, max_age: 0 };
    if old_form {
        filter.addr = Some(&args[2]);
    } else {
        let mut rest = &args[2..];
        while let [opt, value, more @ ..] = rest {
            if is(opt, "id") {
                let id = parse_int(value).ok().filter(|&id| id > 0);
                filter.id = Some(id.ok_or(Reply::error("ERR client-id should be greater than 0"))? as u64);
            } else if is(opt, "type") {
                filter.kind = Some(client_type(value)?);
            } else if is(opt, "addr") {
                filter.addr = Some(value);
            } else if is(opt, "laddr") {
                filter.laddr = Some(value);
            } else if is(opt, "user") {
                if &value[..] != b"default" {
                    return Err(error_line(format!("ERR No such user '{}'", String::from_utf8_lossy(value))));
                }
            } else if is(opt, "skipme") {
                filter.skipme = if is(value, "yes") {
                    true
                } else if is(value, "no") {
                    false
                } else {
                    return Err(Reply::error(err::SYNTAX));
                };
            } else if is(opt, "maxage") {
                filter.max_age = parse_int(value)?;
            } else {
                return Err(Reply::error(err::SYNTAX));
            }
            rest = more;
        }
        if !rest.is_empty() {
            return Err(Reply::error(err::SYNTAX));
        }
    }
    // The caller's own type must be current for a TYPE filter.
    ctx.client.publish_activity();
    let me = ctx.client.id();
    let mut killed = 0;
    for c in ctx.server.clients.list() {
        if !filter.matches(&c) || (filter.skipme && c.id == me) {
            continue;
        }
        if c.id == me {
            ctx.client.close_after_reply = true;
            killed += 1;
        } else if c.kill() {
            killed += 1;
        }
    }
    match (old_form, killed) {
        (true, 0) => Err(Reply::error("ERR No such client")),
        (true, _) => Ok(Reply::OK),
        (false, n) => Ok(Reply::Integer(n)),
    }
}

/// One client's line, fields in Redis 7.2's order. For the caller itself
/// (`current` is the command it is running), `idle` is 0 and `cmd` is that
/// command, as Redis shows it: the registry is updated only after a batch.
fn describe(c: &ClientInfo, current: Option<&'static str>) -> String {
    let text = |b: &Option<Bytes>| b.as_ref().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
    let name = text(&c.name.lock());
    let lib_name = text(&c.lib_name.lock());
    let lib_ver = text(&c.lib_ver.lock());
    let idle = if current.is_some() { 0 } else { c.idle_secs() };
    let cmd = current.unwrap_or_else(|| *c.last_cmd.lock());
    let mut s = String::with_capacity(320);
    let _ = write!(
        s,
        "id={} addr={} laddr={} fd={} name={name} age={} idle={idle} flags={} db={} sub={} psub={} ssub={} multi={} \
         qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={cmd} \
         user=default redir=-1 resp={} lib-name={lib_name} lib-ver={lib_ver}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        c.created.elapsed().as_secs(),
        c.activity.flags(),
        c.db.load(Ordering::Relaxed),
        c.activity.sub.load(Ordering::Relaxed),
        c.activity.psub.load(Ordering::Relaxed),
        c.activity.ssub.load(Ordering::Relaxed),
        c.activity.multi.load(Ordering::Relaxed),
        c.resp.load(Ordering::Relaxed),
    );
    s
}

/// Name a client (CLIENT SETNAME, HELLO SETNAME): any characters from `!`
/// to `~`, as Redis allows; an empty name removes the name.
pub fn set_name(client: &ClientInfo, name: &[u8]) -> Result<(), Reply> {
    if !printable(name) {
        return Err(Reply::error("ERR Client names cannot contain spaces, newlines or special characters."));
    }
    *client.name.lock() = (!name.is_empty()).then(|| Bytes::copy_from_slice(name));
    Ok(())
}
