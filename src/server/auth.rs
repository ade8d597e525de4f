//! Authentication (`requirepass`, AUTH, HELLO ... AUTH) and protected mode,
//! as Redis 7.0 has them for its one `default` user.
//!
//! # Who is authenticated
//!
//! Redis keeps one flag per connection, and asks a second question of the
//! server at each command. A connection is *authenticated* if it passed
//! AUTH (or HELLO ... AUTH), or if it connected while no password was set.
//! A command is refused with `-NOAUTH Authentication required.` only if
//! the connection is not authenticated *and* a password is set now
//! (Redis's `authRequired`). The consequences, which convoy keeps because
//! clients and tools expect them (each checked against redis-server 7.0.15):
//!
//! - `CONFIG SET requirepass new` does not log anyone out: connections
//!   already authenticated, and connections opened while there was no
//!   password, go on working.
//! - `CONFIG SET requirepass ""` lets every waiting connection in at once;
//!   setting a password again shuts out those that never authenticated.
//! - A failed AUTH leaves the connection as it was (an authenticated one
//!   stays authenticated).
//!
//! # Where the check sits
//!
//! In [`cmd::execute`](crate::cmd::execute), after the command is looked
//! up and its arity (and its subcommand's) checked, and before anything
//! else (pub/sub context, MULTI queueing, the gate): the order of Redis's
//! `processCommand`, so an unknown command or a wrong arity is reported as
//! such even before authentication, and every other command, inside MULTI
//! or not, answers NOAUTH. Commands flagged `no_auth` (AUTH, HELLO, QUIT)
//! always run. On the per-command path the check costs one test of the
//! connection's own flag; the shared [`Auth::required`] flag is read only
//! for connections that are not authenticated.
//!
//! # Comparing passwords
//!
//! Both the configured and the offered password are hashed with SHA-256
//! and the digests compared with a loop that reads every byte whatever it
//! finds (as Redis compares the SHA-256 of ACL passwords), so the time
//! taken says nothing about how much of a guess was right, nor about the
//! password's length.
//!
//! # Protected mode
//!
//! With `protected-mode yes` (the default) and no password, a client whose
//! address is not exactly 127.0.0.1 or ::1 (Redis 7.0's test: 127.0.0.2 is
//! refused too) gets Redis's `-DENIED ...` explanation and is disconnected.
//! Redis 7.0 applies this whatever it is bound to; convoy applies it only
//! when bound to a non-loopback address (the rule): bound to
//! loopback, every client is on this machine already.
//!
//! Memory: nothing here allocates on client input beyond the arguments the
//! parser already bounds; the hash runs over the argument in place.

use super::Shared;
use crate::resp::Reply;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Refused before authentication.
pub const NOAUTH: &str = "NOAUTH Authentication required.";
/// A wrong password, or a user other than `default`.
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
/// `AUTH password` while the default user has no password.
pub const NO_PASSWORD: &str = "ERR AUTH <password> called without any password configured for the default user. \
                               Are you sure your configuration is correct?";
/// HELLO before authentication, without AUTH.
pub const HELLO_NOAUTH: &str = "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
                                HELLO AUTH <user> <pass> option can be used to authenticate the client and select \
                                the RESP protocol version at the same time";
/// Protected mode's reply to a refused client, word for word as
/// redis-server 7.0.15 sends it (its typo "Setup a an" included).
pub const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no \
password is set for the default user. In this mode connections are only accepted from the loopback interface. If \
you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable \
protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis \
from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do \
so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by \
editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. \
3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup \
a an authentication password for the default user. NOTE: You only need to do one of the above things in order for \
the server to start accepting connections from the outside.\r\n";

/// Whether a password is set: a mirror of `Settings::requirepass`, written
/// under the settings lock (at startup and by CONFIG SET), read without
/// one by the per-command check.
pub struct Auth {
    required: AtomicBool,
}

impl Auth {
    pub fn new(password: &str) -> Auth {
        Auth { required: AtomicBool::new(!password.is_empty()) }
    }

    /// Whether connections must authenticate now.
    pub fn required(&self) -> bool {
        // Relaxed: a flag with no data behind it (the password itself is
        // read under the settings lock). A command racing CONFIG SET may
        // see either value, as in Redis it runs before or after it.
        self.required.load(Ordering::Relaxed)
    }

    /// The password changed (call under the settings write lock).
    pub fn set_password(&self, password: &str) {
        self.required.store(!password.is_empty(), Ordering::Relaxed);
    }
}

/// Check credentials against the configured password (`""`: none), as
/// Redis's `AUTH`: `user` is `None` for the one-argument form. `Ok` means
/// the connection is now authenticated.
pub fn check(configured: &str, user: Option<&[u8]>, password: &[u8]) -> Result<(), Reply> {
    match user {
        // The old form names no user: it means `default`, which needs a
        // password to compare with.
        None if configured.is_empty() => Err(Reply::error(NO_PASSWORD)),
        // Usernames are case-sensitive in Redis; there is no other user.
        Some(user) if user != b"default" => Err(Reply::error(WRONGPASS)),
        // The default user without a password (`nopass`) takes any.
        _ if configured.is_empty() => Ok(()),
        _ if same_password(configured.as_bytes(), password) => Ok(()),
        _ => Err(Reply::error(WRONGPASS)),
    }
}

/// Compare two passwords in time independent of their contents and
/// lengths: equal SHA-256 digests, compared without an early exit.
pub fn same_password(a: &[u8], b: &[u8]) -> bool {
    let (da, db) = (Sha256::digest(a), Sha256::digest(b));
    let diff = da.iter().zip(db.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box: keep the optimiser from turning the fold into a
    // short-circuiting comparison.
    std::hint::black_box(diff) == 0
}

/// Protected mode's decision: refuse a client from `peer` when the mode is
/// on, no password is set, the server is bound to a non-loopback address,
/// and the peer is neither 127.0.0.1 nor ::1.
pub fn protected_mode_refuses(protected_mode: bool, password_set: bool, bind: &str, peer: IpAddr) -> bool {
    protected_mode && !password_set && !bound_to_loopback(bind) && !is_local(peer)
}

/// Redis 7.0's `islocalClient`: exactly 127.0.0.1 or ::1 (an IPv4 address
/// seen through an IPv6 socket counts as itself).
fn is_local(peer: IpAddr) -> bool {
    match peer.to_canonical() {
        IpAddr::V4(v4) => v4 == std::net::Ipv4Addr::LOCALHOST,
        IpAddr::V6(v6) => v6 == std::net::Ipv6Addr::LOCALHOST,
    }
}

/// Whether `--bind` names a loopback address (`localhost` included).
fn bound_to_loopback(bind: &str) -> bool {
    bind.eq_ignore_ascii_case("localhost") || bind.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// At accept: if protected mode refuses `peer`, send it [`DENIED`], close,
/// count it in `rejected_connections`, and return `true`.
pub async fn refuse_if_protected<K>(socket: &mut TcpStream, peer: SocketAddr, shared: &Shared<K>) -> bool {
    let refuse = {
        let settings = shared.settings.read();
        protected_mode_refuses(
            settings.protected_mode,
            !settings.requirepass.is_empty(),
            &shared.config.bind,
            peer.ip(),
        )
    };
    if refuse {
        shared.stats.rejected_connections.fetch_add(1, Ordering::Relaxed);
        // One bounded write; a peer that does not read cannot hold the
        // task for long.
        let send = async {
            let _ = socket.write_all(DENIED.as_bytes()).await;
            let _ = socket.shutdown().await;
        };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), send).await;
    }
    refuse
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Equal passwords match, and a prefix, an extension or a change does not.
    #[test]
    fn passwords_compare_by_content() {
        assert!(same_password(b"secret", b"secret"));
        assert!(!same_password(b"secret", b"secre"));
        assert!(!same_password(b"secret", b"secrets"));
        assert!(!same_password(b"secret", b"Secret"));
        assert!(same_password(b"", b""));
    }

    /// AUTH's outcomes, as redis-server 7.0.15 gives them.
    #[test]
    fn check_follows_redis() {
        assert_eq!(check("", None, b"x"), Err(Reply::error(NO_PASSWORD)));
        assert_eq!(check("", Some(b"default"), b"x"), Ok(()));
        assert_eq!(check("", Some(b"other"), b"x"), Err(Reply::error(WRONGPASS)));
        assert_eq!(check("pw", None, b"pw"), Ok(()));
        assert_eq!(check("pw", Some(b"default"), b"pw"), Ok(()));
        assert_eq!(check("pw", Some(b"DEFAULT"), b"pw"), Err(Reply::error(WRONGPASS)));
        assert_eq!(check("pw", None, b"no"), Err(Reply::error(WRONGPASS)));
    }

    /// Protected mode refuses only non-local peers of a server bound to a
    /// non-loopback address with no password and the mode on.
    #[test]
    fn protected_mode_decision() {
        let remote: IpAddr = "192.0.2.7".parse().unwrap();
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(protected_mode_refuses(true, false, "0.0.0.0", remote));
        assert!(protected_mode_refuses(true, false, "::", "::ffff:192.0.2.7".parse().unwrap()));
        // Redis 7.0 accepts only 127.0.0.1 and ::1 as local.
        assert!(protected_mode_refuses(true, false, "0.0.0.0", "127.0.0.2".parse().unwrap()));
        assert!(!protected_mode_refuses(true, false, "0.0.0.0", local));
        assert!(!protected_mode_refuses(true, false, "::", "::1".parse().unwrap()));
        assert!(!protected_mode_refuses(true, false, "::", "::ffff:127.0.0.1".parse().unwrap()));
        assert!(!protected_mode_refuses(false, false, "0.0.0.0", remote));
        assert!(!protected_mode_refuses(true, true, "0.0.0.0", remote));
        assert!(!protected_mode_refuses(true, false, "127.0.0.1", remote));
        assert!(!protected_mode_refuses(true, false, "localhost", remote));
    }
}
