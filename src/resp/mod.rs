//! RESP, the Redis serialization protocol: requests in, replies out.
//!
//! This module knows bytes and frames only: nothing of commands, backends or
//! sockets. [`parse`] turns the bytes a client sent into argument vectors
//! (multibulk RESP frames, or inline commands as telnet sends them);
//! [`reply`] turns a [`Reply`] into RESP2 or RESP3 bytes.

pub mod parse;
pub mod reply;

pub use parse::{parse_request, ParseError, Request};
pub use reply::{Protocol, Reply};
