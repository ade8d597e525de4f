//! Server commands: DBSIZE FLUSHDB FLUSHALL TIME INFO CONFIG COMMAND CLIENT.

use super::{CommandTable, Ctx};
use crate::keyspace::Keyspace;
use crate::resp::Reply;

/// The Redis version convoy reports (HELLO, INFO): the command set and
/// replies it follows.
pub const REDIS_VERSION: &str = "7.2.4";

pub fn register<K: Keyspace>(_t: &mut CommandTable<K>) {}

/// CLIENT SETNAME's rule: no spaces or newlines (Redis: any char from `!` to `~`).
pub fn validate_client_name(name: &[u8]) -> Result<(), Reply> {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(Reply::error("ERR Client names cannot contain spaces, newlines or special characters."));
    }
    Ok(())
}

#[allow(dead_code)]
fn _unused<K: Keyspace>(_c: &mut Ctx<'_, K>) {}
