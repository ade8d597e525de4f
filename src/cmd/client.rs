//! CLIENT: a connection's own identity (ID, name, library) and the list of
//! every connected client.
//!
//! CLIENT LIST reads the [client registry](crate::server::clients): each
//! connection publishes its facts there once per batch of commands, so the
//! listing costs the clients nothing until someone asks for it. Figures
//! convoy does not track (buffer sizes, memory) read 0.

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
            if is(kind, "normal") {
                all.iter().map(|c| &**c).collect()
            } else if ["master", "slave", "replica", "pubsub"].iter().any(|k| is(kind, k)) {
                // No replication and no pub/sub yet: no client of these kinds.
                Vec::new()
            } else {
                return Err(error_line(format!("ERR Unknown client type '{}'", String::from_utf8_lossy(kind))));
            }
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
