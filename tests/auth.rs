//! Authentication and protected mode over real sockets: `--requirepass`,
//! AUTH, HELLO ... AUTH, NOAUTH before authentication, password changes at
//! run time, and protected mode's refusal of non-local clients. Expected
//! replies are redis-server 7.0.15's, checked by hand against it (see
//! `server::auth`).

mod common;

use common::{backends, Raw, TestServer};
use convoy::config::Backend;
use std::io::Read;
use std::net::SocketAddr;

const NOAUTH: &str = "-NOAUTH Authentication required.\r\n";
const WRONGPASS: &str = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";

fn with_password(password: &str) -> TestServer {
    let password = password.to_string();
    TestServer::start_with(Backend::Mutex, move |c| c.requirepass = Some(password))
}

/// Until AUTH, every data command answers NOAUTH and changes nothing; after
/// it, the connection reads and writes, on every backend.
#[test]
fn noauth_until_authenticated_on_every_backend() {
    for backend in backends() {
        let server = TestServer::start_with(backend, |c| c.requirepass = Some("pw".into()));
        let mut raw = server.raw();
        assert_eq!(raw.cmd(&["SET", "k", "v"]), NOAUTH, "{backend:?}");
        assert_eq!(raw.cmd(&["GET", "k"]), NOAUTH);
        assert_eq!(raw.cmd(&["AUTH", "pw"]), "+OK\r\n");
        assert_eq!(raw.cmd(&["GET", "k"]), "$-1\r\n", "{backend:?}: the refused SET wrote");
        assert_eq!(raw.cmd(&["SET", "k", "v"]), "+OK\r\n");
        let mut other = server.raw();
        assert_eq!(other.cmd(&["AUTH", "default", "pw"]), "+OK\r\n");
        assert_eq!(other.cmd(&["GET", "k"]), "$1\r\nv\r\n", "{backend:?}");
    }
}

/// AUTH's replies and the order of checks, as Redis 7.0: unknown commands
/// and wrong arities are reported before NOAUTH, MULTI and SUBSCRIBE are
/// refused, QUIT is allowed, and a failed AUTH keeps an authenticated
/// connection authenticated.
#[test]
fn replies_and_order_of_checks_as_redis() {
    let server = with_password("secret");
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["NOSUCH", "a", "b"]), "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n");
    assert_eq!(raw.cmd(&["GET"]), "-ERR wrong number of arguments for 'get' command\r\n");
    assert_eq!(raw.cmd(&["CONFIG", "FOO"]), "-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n");
    assert_eq!(raw.cmd(&["CONFIG", "GET"]), "-ERR wrong number of arguments for 'config|get' command\r\n");
    for refused in [&["PING"][..], &["MULTI"], &["SUBSCRIBE", "c"], &["CONFIG", "GET", "requirepass"], &["SHUTDOWN"]] {
        assert_eq!(raw.cmd(refused), NOAUTH, "{refused:?}");
    }
    assert_eq!(raw.cmd(&["AUTH"]), "-ERR wrong number of arguments for 'auth' command\r\n");
    assert_eq!(raw.cmd(&["AUTH", "a", "b", "c"]), "-ERR syntax error\r\n");
    assert_eq!(raw.cmd(&["AUTH", "wrong"]), WRONGPASS);
    assert_eq!(raw.cmd(&["AUTH", "default", "wrong"]), WRONGPASS);
    assert_eq!(raw.cmd(&["AUTH", "other", "secret"]), WRONGPASS);
    assert_eq!(raw.cmd(&["AUTH", "DEFAULT", "secret"]), WRONGPASS, "user names are case-sensitive");
    assert_eq!(raw.cmd(&["PING"]), NOAUTH);
    assert_eq!(raw.cmd(&["AUTH", "secret"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["AUTH", "wrong"]), WRONGPASS);
    assert_eq!(raw.cmd(&["PING"]), "+PONG\r\n", "a failed AUTH logged the client out");
    assert_eq!(raw.cmd(&["CONFIG", "GET", "requirepass"]), "*2\r\n$11\r\nrequirepass\r\n$6\r\nsecret\r\n");
    // Inside MULTI, AUTH is queued and runs in EXEC.
    assert_eq!(raw.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["AUTH", "secret"]), "+QUEUED\r\n");
    assert_eq!(raw.cmd(&["AUTH", "wrong"]), "+QUEUED\r\n");
    assert_eq!(raw.cmd(&["EXEC"]), format!("*2\r\n+OK\r\n{WRONGPASS}"));
    // A RESP2 subscriber may not AUTH.
    assert_eq!(raw.cmd(&["SUBSCRIBE", "c"]), "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n");
    assert_eq!(
        raw.cmd(&["AUTH", "secret"]),
        "-ERR Can't execute 'auth': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
    let mut quitter = server.raw();
    assert_eq!(quitter.cmd(&["QUIT"]), "+OK\r\n");
    assert!(quitter.is_closed());
}

/// HELLO refuses to run unauthenticated without AUTH, rejects bad
/// credentials, and with good ones authenticates, switches protocol and
/// sets the name.
#[test]
fn hello_with_auth() {
    let server = with_password("secret");
    let mut raw = server.raw();
    let hello_noauth = "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH \
                        <user> <pass> option can be used to authenticate the client and select the RESP protocol \
                        version at the same time\r\n";
    assert_eq!(raw.cmd(&["HELLO"]), hello_noauth);
    assert_eq!(raw.cmd(&["HELLO", "3"]), hello_noauth);
    assert_eq!(raw.cmd(&["HELLO", "3", "AUTH", "default", "wrong"]), WRONGPASS);
    assert_eq!(raw.cmd(&["HELLO", "3", "AUTH", "x", "secret"]), WRONGPASS);
    assert_eq!(raw.cmd(&["HELLO", "2", "AUTH", "default"]), "-ERR Syntax error in HELLO option 'AUTH'\r\n");
    assert_eq!(raw.cmd(&["HELLO", "5", "AUTH", "default", "secret"]), "-NOPROTO unsupported protocol version\r\n");
    assert_eq!(raw.cmd(&["PING"]), NOAUTH);
    let reply = raw.cmd(&["HELLO", "3", "AUTH", "default", "secret", "SETNAME", "n"]);
    assert!(reply.starts_with("%7\r\n") && reply.contains("$5\r\nproto\r\n:3\r\n"), "{reply}");
    assert_eq!(raw.cmd(&["CLIENT", "GETNAME"]), "$1\r\nn\r\n");
    assert_eq!(raw.cmd(&["PING"]), "+PONG\r\n");
}

/// With no password set, `AUTH password` is Redis's configuration error,
/// while `AUTH default anything` and HELLO ... AUTH default succeed.
#[test]
fn auth_without_a_password() {
    let server = TestServer::start(Backend::Mutex);
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["AUTH", "x"]),
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure your \
         configuration is correct?\r\n"
    );
    assert_eq!(raw.cmd(&["AUTH", "default", "x"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["AUTH", "other", "x"]), WRONGPASS);
    assert!(raw.cmd(&["HELLO", "2", "AUTH", "default", "x"]).starts_with("*14\r\n"));
    assert_eq!(raw.cmd(&["CONFIG", "GET", "requirepass"]), "*2\r\n$11\r\nrequirepass\r\n$0\r\n\r\n");
}

/// Changing requirepass at run time as Redis 7.0 does: nobody already
/// authenticated (or connected while there was no password) is logged
/// out; clearing it lets waiting clients in; setting it again shuts out
/// those that never authenticated; the old password stops working.
#[test]
fn password_changes_at_run_time() {
    let server = with_password("secret");
    let (mut waiting, mut admin) = (server.raw(), server.raw());
    assert_eq!(waiting.cmd(&["PING"]), NOAUTH);
    assert_eq!(admin.cmd(&["AUTH", "secret"]), "+OK\r\n");
    assert_eq!(admin.cmd(&["CONFIG", "SET", "requirepass", ""]), "+OK\r\n");
    assert_eq!(waiting.cmd(&["PING"]), "+PONG\r\n");
    let mut joined_open = server.raw();
    assert_eq!(joined_open.cmd(&["PING"]), "+PONG\r\n");
    // `waiting` opens a transaction while no password is needed.
    assert_eq!(waiting.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(admin.cmd(&["CONFIG", "SET", "requirepass", "new"]), "+OK\r\n");
    assert_eq!(admin.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(joined_open.cmd(&["PING"]), "+PONG\r\n");
    // Refused while queueing, so the transaction cannot run.
    assert_eq!(waiting.cmd(&["SET", "k", "v"]), NOAUTH);
    let aborted = "-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n";
    assert_eq!(waiting.cmd(&["EXEC"]), aborted);
    assert_eq!(waiting.cmd(&["EXEC"]), aborted, "the NOAUTH check comes before EXEC's own");
    assert_eq!(waiting.cmd(&["AUTH", "new"]), "+OK\r\n");
    assert_eq!(waiting.cmd(&["EXEC"]), "-ERR EXEC without MULTI\r\n", "the refused EXEC kept the transaction");
    let mut late = server.raw();
    assert_eq!(late.cmd(&["PING"]), NOAUTH);
    assert_eq!(late.cmd(&["AUTH", "secret"]), WRONGPASS);
    assert_eq!(late.cmd(&["AUTH", "new"]), "+OK\r\n");
    assert_eq!(late.cmd(&["GET", "k"]), "$-1\r\n");
}

/// What a client connecting from `source` (an address of this machine)
/// reads before the server closes the connection, or `None` if it stays
/// open with nothing to read.
fn read_from(source: &str, server: SocketAddr) -> Option<Vec<u8>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let socket = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
        socket.connect(server).await.unwrap().into_std().unwrap()
    });
    socket.set_nonblocking(false).unwrap();
    socket.set_read_timeout(Some(std::time::Duration::from_millis(500))).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match (&socket).read(&mut buf) {
            Ok(0) => return Some(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => return if out.is_empty() { None } else { Some(out) },
        }
    }
}

/// Protected mode: bound to every address with no password, a client from
/// 127.0.0.2 (not 127.0.0.1 or ::1, so not local to Redis 7.0) gets the
/// DENIED explanation and is disconnected; 127.0.0.1 is served; a
/// password, `protected-mode no`, CONFIG SET protected-mode no, or a
/// loopback bind each let the client in.
#[test]
fn protected_mode_refuses_non_local_clients() {
    let open = |protected: bool, password: Option<&str>, bind: &str| {
        let password = password.map(str::to_string);
        let bind = bind.to_string();
        TestServer::start_with(Backend::Mutex, move |c| {
            c.protected_mode = protected;
            c.requirepass = password;
            c.bind = bind;
        })
    };
    let at = |server: &TestServer| SocketAddr::from(([127, 0, 0, 1], server.addr.port()));

    let server = open(true, None, "0.0.0.0");
    let denied = read_from("127.0.0.2", at(&server)).expect("closed with a reply");
    let text = String::from_utf8(denied).unwrap();
    assert!(text.starts_with("-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user."), "{text}");
    assert!(text.ends_with("in order for the server to start accepting connections from the outside.\r\n"), "{text}");
    assert_eq!(text.len(), 1067);
    assert_eq!(read_from("127.0.0.1", at(&server)), None, "a local client was refused");
    let mut admin = Raw::connect(at(&server));
    let info = admin.cmd(&["INFO", "stats"]);
    assert!(info.contains("rejected_connections:1\r\n"), "{info}");
    assert_eq!(admin.cmd(&["CONFIG", "SET", "protected-mode", "no"]), "+OK\r\n");
    assert_eq!(read_from("127.0.0.2", at(&server)), None, "CONFIG SET protected-mode no did not apply");

    for (protected, password, bind) in
        [(false, None, "0.0.0.0"), (true, Some("pw"), "0.0.0.0"), (true, None, "127.0.0.1")]
    {
        let server = open(protected, password, bind);
        assert_eq!(read_from("127.0.0.2", at(&server)), None, "refused with {protected} {password:?} {bind}");
    }
}

/// Until it authenticates, a client gets Redis's low request limits (more
/// than 10 arguments, or a bulk over 16 KiB: a protocol error and a closed
/// connection), so a stranger cannot make the server reserve much; an AUTH
/// lifts them, from the next request of the same batch on.
#[test]
fn unauthenticated_request_limits() {
    let server = with_password("pw");
    let mut c = server.raw();
    c.send(b"*11\r\n");
    assert_eq!(c.reply(), "-ERR Protocol error: unauthenticated multibulk length\r\n");
    assert!(c.is_closed());
    let mut c = server.raw();
    c.send(b"*1\r\n$16385\r\n");
    assert_eq!(c.reply(), "-ERR Protocol error: unauthenticated bulk length\r\n");
    assert!(c.is_closed());
    // AUTH and a 21-argument MSET with a 20,000-byte value, in one write.
    let mut c = server.raw();
    let big = "v".repeat(20_000);
    let mut mset: Vec<&[u8]> = vec![b"MSET"];
    let keys: Vec<String> = (0..10).map(|i| format!("k{i}")).collect();
    for k in &keys {
        mset.push(k.as_bytes());
        mset.push(big.as_bytes());
    }
    let mut batch = common::encode_cmd(&[b"AUTH", b"pw"]);
    batch.extend(common::encode_cmd(&mset));
    c.send(&batch);
    assert_eq!(c.reply(), "+OK\r\n");
    assert_eq!(c.reply(), "+OK\r\n");
    assert_eq!(c.cmd(&["STRLEN", "k9"]), ":20000\r\n");
}
