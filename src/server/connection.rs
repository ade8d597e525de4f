//! One client connection: read, parse every complete request, execute, and
//! write all replies of the batch at once.
//!
//! Pipelining is the point of the loop's shape: after each read, every
//! complete request already in the buffer is executed, and their replies
//! are sent with a single write. With TCP_NODELAY set, a client that
//! pipelines N requests pays one round trip, not N (without both, pipelined
//! throughput falls into the delayed-ACK rhythm of a few dozen ms).
//!
//! No lock or guard is held across an `.await`: commands run to completion
//! synchronously between the read and the write.

use super::{ClientState, Shared};
use crate::cmd::{self, Ctx};
use crate::keyspace::{now_ms, Keyspace};
use crate::resp::parse::Limits;
use crate::resp::{parse_request, ParseError, Reply};
use bytes::BytesMut;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Initial size of each connection's read and write buffers.
const BUF_SIZE: usize = 16 * 1024;
/// A buffer that grew beyond this for one big batch is given back after it.
const SHRINK_ABOVE: usize = 1024 * 1024;

/// Serve one connection until the client leaves, QUIT, a protocol error, or
/// server shutdown.
pub async fn handle<K: Keyspace>(mut socket: TcpStream, peer: SocketAddr, shared: Arc<Shared<K>>) {
    let _ = socket.set_nodelay(true);
    let laddr = socket.local_addr().unwrap_or(shared.local_addr);
    shared.stats.total_connections_received.fetch_add(1, Ordering::Relaxed);
    let info = shared.clients.register(peer, laddr, std::os::fd::AsRawFd::as_raw_fd(&socket));
    let mut client = ClientState { info, db: 0, protocol: shared.default_protocol(), close_after_reply: false };
    let mut shutdown = shared.shutdown.subscribe();
    let mut input = BytesMut::with_capacity(BUF_SIZE);
    let mut output = BytesMut::with_capacity(BUF_SIZE);
    let limits = Limits::default();

    'conn: loop {
        let read = tokio::select! {
            r = socket.read_buf(&mut input) => r,
            _ = shutdown.wait_for(|stop| *stop) => break 'conn,
        };
        match read {
            Ok(0) | Err(_) => break 'conn,
            Ok(_) => {}
        }

        // Execute every complete request in the buffer.
        let now = now_ms();
        let mut last_cmd = None;
        loop {
            match parse_request(&mut input, limits) {
                Ok(Some(args)) => {
                    let mut ctx = Ctx { server: &shared, client: &mut client, now };
                    let reply = cmd::execute(&mut ctx, &args);
                    reply.encode(client.protocol, &mut output);
                    // The owner's own counter, bumped per command so that an
                    // INFO later in the same batch counts the ones before
                    // it. Only this task writes it: a plain load and store,
                    // no read-modify-write, and no cache line shared with
                    // other connections (a shared counter here would be a
                    // convoy of its own).
                    let counter = &client.info.commands_processed;
                    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                    last_cmd = Some(args);
                    if client.close_after_reply {
                        break;
                    }
                }
                Ok(None) => {}
                Err(ParseError::Incomplete) => break,
                Err(ParseError::Invalid(msg)) => {
                    // Redis replies, then closes this connection only.
                    Reply::error_owned(format!("ERR {msg}")).encode(client.protocol, &mut output);
                    client.close_after_reply = true;
                    break;
                }
            }
        }
        if let Some(args) = last_cmd {
            client.info.last_interaction_ms.store(client.info.created.elapsed().as_millis() as u64, Ordering::Relaxed);
            if let Some(spec) = shared.commands.get(&args[0]) {
                // `client|list` for a subcommand, as Redis shows it.
                *client.info.last_cmd.lock() = cmd::server::full_name(spec, &args);
            }
        }

        // One write for the whole batch.
        if !output.is_empty() {
            if socket.write_all(&output).await.is_err() {
                break 'conn;
            }
            output.clear();
            if output.capacity() > SHRINK_ABOVE {
                output = BytesMut::with_capacity(BUF_SIZE);
            }
        }
        if client.close_after_reply {
            break 'conn;
        }
        if input.is_empty() && input.capacity() > SHRINK_ABOVE {
            input = BytesMut::with_capacity(BUF_SIZE);
        }
    }
    let _ = socket.shutdown().await;
    shared.clients.unregister(client.id());
}
