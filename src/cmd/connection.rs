//! Connection commands: PING ECHO QUIT SELECT AUTH HELLO (CLIENT has its
//! own file, [`client`](super::client)). Who must authenticate, and how
//! passwords are compared, is [`server::auth`](crate::server::auth).

use super::{err, is, parse_int, wrong_arity, Access, CmdResult, CommandSpec, CommandTable, Ctx};
use crate::keyspace::Keyspace;
use crate::resp::{Protocol, Reply};
use crate::server::auth;
use bytes::Bytes;

pub fn register<K: Keyspace>(t: &mut CommandTable<K>) {
    let conn = |name, arity, flags, summary, handler| CommandSpec {
        name,
        arity,
        flags,
        keys: (0, 0, 0),
        access: Access::None,
        group: "connection",
        summary,
        since: "1.0.0",
        subcommands: &[],
        handler,
    };
    t.add(conn("ping", -1, &["fast"], "Returns the server's liveliness response.", ping::<K>));
    t.add(conn("echo", 2, &["loading", "stale", "fast"], "Returns the given string.", echo::<K>));
    t.add(conn(
        "quit",
        -1,
        &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
        "Closes the connection.",
        quit::<K>,
    ));
    t.add(conn("select", 2, &["loading", "stale", "fast"], "Changes the selected database.", select::<K>));
    t.add(conn(
        "auth",
        -2,
        &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
        "Authenticates the connection.",
        auth::<K>,
    ));
    t.add(CommandSpec {
        since: "6.0.0",
        ..conn(
            "hello",
            -1,
            &["noscript", "loading", "stale", "fast", "no_auth", "sentinel", "allow_busy"],
            "Handshakes with the Redis server.",
            hello::<K>,
        )
    });
}

/// # Format
/// `PING [message]`: `+PONG`, or the message as a bulk string.
fn ping<K: Keyspace>(_ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    match args.len() {
        1 => Ok(Reply::status("PONG")),
        2 => Ok(Reply::Bulk(args[1].clone())),
        _ => Err(wrong_arity("ping")),
    }
}

/// # Format
/// `ECHO message`
fn echo<K: Keyspace>(_ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    Ok(Reply::Bulk(args[1].clone()))
}

/// # Format
/// `QUIT`: replies `+OK`, then the server closes the connection.
fn quit<K: Keyspace>(ctx: &mut Ctx<'_, K>, _args: &[Bytes]) -> CmdResult {
    ctx.client.close_after_reply = true;
    Ok(Reply::OK)
}

/// # Format
/// `SELECT index`
fn select<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let index = parse_int(&args[1])?;
    // Redis reads the index as a C int first, so a value outside i32 gets
    // this error rather than the range error below.
    if i32::try_from(index).is_err() {
        return Err(Reply::error("ERR value is out of range, value must between -2147483648 and 2147483647"));
    }
    if index < 0 || index as usize >= ctx.server.dbs.len() {
        return Err(Reply::error(err::DB_RANGE));
    }
    ctx.client.select(index as usize);
    Ok(Reply::OK)
}

/// # Format
/// `AUTH [username] password`: `+OK`, or `-WRONGPASS ...`. The only user
/// is `default`; without a configured password `AUTH password` is an
/// error and `AUTH default anything` succeeds, as in Redis 7.0.
fn auth<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let (user, password) = match args {
        [_, password] => (None, password),
        [_, user, password] => (Some(&user[..]), password),
        _ => return Err(Reply::error(err::SYNTAX)),
    };
    authenticate(ctx, user, password)?;
    Ok(Reply::OK)
}

/// Check credentials against the password set now; on success the
/// connection is authenticated. A failure changes nothing.
fn authenticate<K: Keyspace>(ctx: &mut Ctx<'_, K>, user: Option<&[u8]>, password: &[u8]) -> Result<(), Reply> {
    auth::check(&ctx.server.settings.read().requirepass, user, password)?;
    ctx.client.authenticated = true;
    Ok(())
}

/// # Format
/// `HELLO [protover [AUTH username password] [SETNAME clientname]]`
///
/// Switches the connection to RESP2 or RESP3 and replies with a map of
/// server facts (a flat array in RESP2).
fn hello<K: Keyspace>(ctx: &mut Ctx<'_, K>, args: &[Bytes]) -> CmdResult {
    let mut protocol = ctx.client.protocol;
    let mut setname = None;
    let mut credentials = None;
    if args.len() >= 2 {
        let ver =
            parse_int(&args[1]).map_err(|_| Reply::error("ERR Protocol version is not an integer or out of range"))?;
        protocol = match ver {
            2 => Protocol::Resp2,
            3 => Protocol::Resp3,
            _ => return Err(Reply::error("NOPROTO unsupported protocol version")),
        };
        let mut i = 2;
        while i < args.len() {
            let more = args.len() - i - 1;
            if is(&args[i], "auth") && more >= 2 {
                credentials = Some((&args[i + 1], &args[i + 2]));
                i += 3;
            } else if is(&args[i], "setname") && more >= 1 {
                setname = Some(args[i + 1].clone());
                i += 2;
            } else {
                let opt = String::from_utf8_lossy(&args[i]);
                return Err(super::error_line(format!("ERR Syntax error in HELLO option '{opt}'")));
            }
        }
    }
    if let Some((user, password)) = credentials {
        authenticate(ctx, Some(user), password)?;
    }
    if !ctx.client.authenticated && ctx.server.auth.required() {
        return Err(Reply::error(auth::HELLO_NOAUTH));
    }
    if let Some(name) = setname {
        super::client::set_name(&ctx.client.info, &name)?;
    }
    ctx.client.set_protocol(protocol);
    Ok(Reply::Map(vec![
        (Reply::bulk_str("server"), Reply::bulk_str("redis")),
        (Reply::bulk_str("version"), Reply::bulk_str(super::server::REDIS_VERSION)),
        (Reply::bulk_str("proto"), Reply::Integer(if protocol == Protocol::Resp3 { 3 } else { 2 })),
        (Reply::bulk_str("id"), Reply::Integer(ctx.client.id() as i64)),
        (Reply::bulk_str("mode"), Reply::bulk_str("standalone")),
        (Reply::bulk_str("role"), Reply::bulk_str("master")),
        (Reply::bulk_str("modules"), Reply::Array(vec![])),
    ]))
}
