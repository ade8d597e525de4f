//! String commands.

use super::CommandTable;
use crate::keyspace::Keyspace;

pub fn register<K: Keyspace>(_t: &mut CommandTable<K>) {}
