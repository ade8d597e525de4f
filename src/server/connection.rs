//! One client connection: read, parse every complete request, execute, and
//! write all replies of the batch at once.
//!
//! Pipelining is the point of the loop's shape: after each read, every
//! complete request already in the buffer is executed, and their replies
//! are sent with a single write. With TCP_NODELAY set, a client that
//! pipelines N requests pays one round trip, not N (without both, pipelined
//! throughput falls into the delayed-ACK rhythm of a few dozen ms).
//!
//! Three things interrupt the rhythm:
//!
//! - a batch whose replies pass 1 MiB (or the client's hard output limit,
//!   if higher) writes them before it goes on, so that a client that
//!   pipelines much and reads little holds a bounded amount of the
//!   server's memory (see [`super::limits`]);
//! - a blocking command (BLPOP ...) that finds nothing: the replies so far
//!   are written, and the connection waits (see [`super::blocking`]) before
//!   it reads on; requests that arrive meanwhile stay in the buffer, as in
//!   Redis;
//! - pushed messages (pub/sub) arrive on the client's push channel and are
//!   written between batches.
//!
//! No lock or guard is held across an `.await`: commands run to completion
//! synchronously between the read and the write.

use super::blocking::Waiter;
use super::clients::{KillSwitch, Push, PushReceiver};
use super::limits::{self, OutputWatch, Verdict};
use super::{ClientState, Shared};
use crate::cmd::{self, BlockRequest, Ctx};
use crate::keyspace::{now_ms, Keyspace, UnixMillis};
use crate::resp::parse::RequestParser;
use crate::resp::{ParseError, Reply};
use bytes::{Bytes, BytesMut};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

/// Initial size of each connection's read and write buffers.
const BUF_SIZE: usize = 16 * 1024;
/// A buffer that grew beyond this for one big batch is given back after it.
const SHRINK_ABOVE: usize = 1024 * 1024;
/// While blocked, stop reading once this much input is waiting.
const MAX_INPUT_WHILE_BLOCKED: usize = 1024 * 1024;

/// Serve one connection until the client leaves, QUIT, a protocol error, or
/// server shutdown.
pub async fn handle<K: Keyspace>(mut socket: TcpStream, peer: SocketAddr, shared: Arc<Shared<K>>) {
    let _ = socket.set_nodelay(true);
    let laddr = socket.local_addr().unwrap_or(shared.local_addr);
    shared.stats.total_connections_received.fetch_add(1, Ordering::Relaxed);
    if super::auth::refuse_if_protected(&mut socket, peer, &shared).await {
        return;
    }
    let info = shared.clients.register(peer, laddr, std::os::fd::AsRawFd::as_raw_fd(&socket));
    let (push_tx, mut pushes) = super::clients::push_channel(Some(shared.limits.clone()));
    let kill = pushes.kill_switch();
    let mut client = ClientState::new(info, shared.default_protocol(), push_tx);
    // Connected while no password is set: authenticated (see auth).
    client.authenticated = !shared.auth.required();
    let mut shutdown = shared.shutdown.subscribe();
    let mut input = BytesMut::with_capacity(BUF_SIZE);
    let mut output = BytesMut::with_capacity(BUF_SIZE);
    // Unwritten replies against `client-output-buffer-limit`.
    let mut watch = OutputWatch::default();
    // Keeps how far a partly received frame was checked (see its docs).
    let mut parser = RequestParser::new(shared.limits.parser());
    // Bytes of pushed messages in `output`: they count against the push
    // limit until written (see `clients::PushReceiver::written`).
    let mut pushed = 0usize;

    'conn: loop {
        // In this order: a killed client (CLIENT KILL, or too far behind on
        // pushed messages, as Redis closes it) gets no further reply even if
        // its next request has already arrived.
        tokio::select! {
            biased;
            _ = kill.fired() => break 'conn,
            _ = shutdown.wait_for(|stop| *stop) => break 'conn,
            Some(Push(message, size)) = pushes.recv() => {
                message.encode(client.protocol, &mut output);
                pushed += size;
                while let Some(Push(message, size)) = pushes.try_recv() {
                    message.encode(client.protocol, &mut output);
                    pushed += size;
                }
            }
            read = socket.read_buf(&mut input) => match read {
                Ok(0) | Err(_) => break 'conn,
                Ok(n) => {
                    shared.stats.net_input_bytes.add(n as u64);
                    client.info.touch();
                    if limits::query_buffer_exceeded(&shared.limits, &client, &input) {
                        break 'conn;
                    }
                }
            },
        }

        // Execute every complete request in the buffer, at one clock
        // reading for the batch (as Redis caches its clock per event-loop
        // pass).
        let mut now = now_ms();
        let mut last_cmd = None;
        // proto-max-bulk-len as it is now (CONFIG SET applies at once).
        parser.limits = shared.limits.parser();
        loop {
            // Redis's lower limits for a client that must still
            // authenticate, decided request by request: an AUTH earlier in
            // the batch lifts them for the rest.
            parser.unauthenticated = !client.authenticated && shared.auth.required();
            match parser.parse(&mut input) {
                Ok(Some(args)) => {
                    let (mut reply, block) = run(&shared, &mut client, &args, now);
                    if let Some(request) = block {
                        // Show the client everything before the blocked
                        // command, then wait.
                        let out = Out { kill: &kill, pushes: &pushes, pushed: &mut pushed, watch: &mut watch };
                        if !write_out(&mut socket, &mut output, out, &shared, &client).await {
                            break 'conn;
                        }
                        let waited =
                            wait_blocked(&mut socket, &mut input, &mut shutdown, &shared, &mut client, &args, request);
                        match waited.await {
                            Some(r) => reply = r,
                            None => break 'conn,
                        }
                        // Time passed while blocked: read the clock again
                        // for the rest of the batch.
                        now = now_ms();
                    }
                    reply.encode(client.protocol, &mut output);
                    // Redis's output limits, and backpressure: see `limits`.
                    // Nothing to check within the first 16 KiB (the common
                    // case, kept to one comparison).
                    if output.len() > limits::STATIC_BUFFER {
                        let limit = shared.limits.output_limit(!client.pubsub.is_empty());
                        if watch.check(output.len(), limit) == Verdict::Close {
                            limits::log_output_limit(&client.info, output.len());
                            break 'conn;
                        }
                        if output.len() >= limits::flush_at(limit) {
                            let out = Out { kill: &kill, pushes: &pushes, pushed: &mut pushed, watch: &mut watch };
                            if !write_out(&mut socket, &mut output, out, &shared, &client).await {
                                break 'conn;
                            }
                        }
                    }
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
                Err(error) => {
                    // Redis replies, then closes this connection only.
                    shared.metrics.error("ERR");
                    error.write_reply(&mut output);
                    client.close_after_reply = true;
                    break;
                }
            }
        }
        if let Some(args) = last_cmd {
            client.publish_activity();
            client.info.last_interaction_ms.store(client.info.created.elapsed().as_millis() as u64, Ordering::Relaxed);
            if let Some(spec) = shared.commands.get(&args[0]) {
                // `client|list` for a subcommand, as Redis shows it.
                *client.info.last_cmd.lock() = cmd::server::full_name(spec, &args);
            }
        }

        // One write for the whole batch. A client that stops reading blocks
        // this write; if it also subscribes, its pushed messages pile up
        // until the push limit closes it, even mid-write.
        if !output.is_empty() {
            let out = Out { kill: &kill, pushes: &pushes, pushed: &mut pushed, watch: &mut watch };
            if !write_out(&mut socket, &mut output, out, &shared, &client).await {
                break 'conn;
            }
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
    cmd::transactions::forget_watches(&shared, &mut client);
    shared.pubsub.disconnect(&mut client);
    shared.clients.unregister(client.id());
}

/// What [`write_out`] needs of the connection besides its socket and
/// buffer.
struct Out<'a> {
    kill: &'a KillSwitch,
    pushes: &'a PushReceiver,
    /// Bytes of pushed messages in the buffer.
    pushed: &'a mut usize,
    watch: &'a mut OutputWatch,
}

/// Write `output` (replies and pushed messages), once the log allows (see
/// [`wait_for_log`]), and empty it. Returns `false` if the client is gone,
/// was killed while the write waited on a client that does not read, or
/// stayed above its soft output limit for too long while it waited (see
/// [`limits`]). The pushed messages' bytes stop counting against the push
/// limit once all is written.
async fn write_out<K: Keyspace>(
    socket: &mut TcpStream,
    output: &mut BytesMut,
    out: Out<'_>,
    shared: &Shared<K>,
    client: &ClientState,
) -> bool {
    if output.is_empty() {
        return true;
    }
    wait_for_log(shared).await;
    let limit = shared.limits.output_limit(!client.pubsub.is_empty());
    let mut written = 0;
    while written < output.len() {
        let deadline = out.watch.soft_deadline(limit);
        let soft_expired = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            w = socket.write(&output[written..]) => match w {
                Ok(0) | Err(_) => return false,
                Ok(n) => {
                    written += n;
                    shared.stats.net_output_bytes.add(n as u64);
                    client.info.touch();
                    // Below the soft limit now? Its clock restarts.
                    out.watch.check(output.len() - written, limit);
                }
            },
            _ = out.kill.fired() => return false,
            _ = soft_expired => {
                limits::log_output_limit(&client.info, output.len() - written);
                return false;
            }
        }
    }
    output.clear();
    out.pushes.written(std::mem::take(out.pushed));
    true
}

/// Hold replies until the write-ahead log acknowledges every record
/// appended so far (fsynced under `appendfsync always`, written
/// otherwise): this client's writes, and any other client's write that a
/// reply of this batch may reveal. As in Redis, where every reply of an
/// event-loop pass leaves after that pass's fsync, a client is not shown
/// a write that a crash could still undo (short of one window: a write
/// applied by another worker and not yet appended, a few instructions
/// long, which a read may catch). The task awaits; its worker thread
/// serves other connections meanwhile.
async fn wait_for_log<K: Keyspace>(shared: &Shared<K>) {
    if let Some(wal) = &shared.wal {
        let lsn = wal.appended();
        if !wal.is_acknowledged(lsn) {
            wal.wait(lsn).await;
        }
    }
}

/// Run one request at the current time; returns its reply and, if it is a
/// blocking command that found nothing, what it wants to wait for.
fn run<K: Keyspace>(
    shared: &Shared<K>,
    client: &mut ClientState,
    args: &[Bytes],
    now: UnixMillis,
) -> (Reply, Option<BlockRequest>) {
    let mut ctx = Ctx::new(shared, client, now);
    let reply = cmd::execute(&mut ctx, args);
    (reply, ctx.block.take())
}

/// Clears the client's `blocked` flag (CLIENT LIST) however the wait ends.
struct Unblocked(Arc<super::ClientInfo>);

impl Drop for Unblocked {
    fn drop(&mut self) {
        self.0.activity.blocked.store(false, Ordering::Relaxed);
    }
}

/// Takes a waiter off its queues however the wait ends: reply, timeout,
/// disconnect, shutdown, or the task being dropped.
struct Registration<'a> {
    blocking: &'a super::blocking::Blocking,
    db: usize,
    keys: Vec<Bytes>,
    waiter: Arc<Waiter>,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.blocking.unregister(self.db, &self.keys, &self.waiter);
    }
}

/// Wait for a blocked command's keys, rerunning the command each time one
/// is signalled. Returns its reply (or the timeout reply), or `None` if
/// the client left or the server is shutting down.
async fn wait_blocked<K: Keyspace>(
    socket: &mut TcpStream,
    input: &mut BytesMut,
    shutdown: &mut watch::Receiver<bool>,
    shared: &Shared<K>,
    client: &mut ClientState,
    args: &[Bytes],
    request: BlockRequest,
) -> Option<Reply> {
    let deadline = request.timeout.map(|t| tokio::time::Instant::now() + t);
    // Retries run the arguments the command pinned, if it did (XREAD `$`).
    let retry_args = request.retry_args;
    let args = retry_args.as_deref().unwrap_or(args);
    client.info.activity.blocked.store(true, Ordering::Relaxed);
    let _unblocked = Unblocked(client.info.clone());
    let registration = Registration {
        blocking: &shared.blocking,
        db: client.db,
        waiter: shared.blocking.register(&shared.gate, client.db, &request.keys, client.id()),
        keys: request.keys,
    };
    loop {
        // Retry right after registering (no lost wake-up, see blocking.rs)
        // and after every wake-up.
        shared.blocking.retrying(&registration.waiter);
        let (reply, block) = run(shared, client, args, now_ms());
        if block.is_none() {
            return Some(reply);
        }
        loop {
            let timeout = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = registration.waiter.woken() => break,
                _ = timeout => {
                    let mut ctx = Ctx::new(shared, client, now_ms());
                    return Some(cmd::timed_out(&mut ctx, args, request.on_timeout));
                }
                read = socket.read_buf(input), if input.len() < MAX_INPUT_WHILE_BLOCKED => match read {
                    // Pipelined requests wait in the buffer; EOF ends the wait.
                    Ok(0) | Err(_) => return None,
                    Ok(n) => {
                        shared.stats.net_input_bytes.add(n as u64);
                    }
                },
                _ = shutdown.wait_for(|stop| *stop) => return None,
                _ = client.info.killed() => return None,
            }
        }
    }
}
