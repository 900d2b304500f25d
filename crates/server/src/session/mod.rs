//! One WebSocket session: opened where the connection was accepted (the 101 written, `open`),
//! then served by a task of its own that enters the client in the lobby and sends its ID
//! (`greet`), reads its frames, hands its messages to their handlers, writes what its outbox
//! holds in vectored batches, and winds the connection down. Its life: handshake (`open`) →
//! greeting (`greet`, before the loop) → `Phase::Open` → `Phase::Closing` → closed (the loop
//! returns).

mod writer;

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use mmo_protocol::Packet;
use tokio::time::Sleep;
use tracing::{debug, info};

use crate::disconnect::{Disconnect, Winding};
use crate::peer::Peer;

use crate::admission::{HeldSocket, Ticket};
use crate::handlers::{self, Client, Pending};
use crate::metrics::MessageRefusal;
use crate::state::{ServerState, SessionSlot};
use crate::transport::{self, Transport};
use crate::websocket::{FrameDecoder, WsEvent, data_frame, encode_packet_frame, pong_frame};
use writer::FrameWriter;

/// Bytes read from the socket per read call. This buffer lives on the stack for the length of
/// one read, not in the session, so idle sessions hold no read buffer.
const READ_CHUNK_BYTES: usize = 8 * 1024;

/// Reads per wake-up before other sessions get a turn.
const MAX_READS_PER_WAKE: usize = 8;

/// Messages held back while a handler waits (see `handlers`). Past it they are refused, not
/// held: the session goes on reading, so that the client's pings are answered and its pongs
/// show it is alive (a session that stopped reading would drop a live client as idle). A
/// handler waits at most `handler_timeout`.
const MAX_HELD_MESSAGES: usize = 32;

/// How long a connection is drained after our last frame before it is dropped (see
/// `transport::close_gracefully`).
const CLOSE_LINGER: Duration = Duration::from_secs(1);

/// Where a session is in its life.
enum Phase {
    /// Messages are acted on and relays reach the client.
    Open,
    /// Our close frame is queued: nothing the client says is acted on any more. Boxed: only
    /// a closing session needs it, and every open one would carry its size.
    Closing(Box<Closing>),
}

/// A handler's unfinished work, and the messages held back behind it. Boxed in the session:
/// 48 bytes that only a session waiting on a handler (a login, a database) needs, and every
/// idle one would carry.
struct Waiting {
    work: Pending,
    /// Messages received while `work` runs, to dispatch after it, in order.
    held: VecDeque<Packet>,
}

/// A close under way.
struct Closing {
    reason: Disconnect,
    winding: Winding,
    /// Whether the client's close frame has arrived.
    client_closed: bool,
    /// When the connection is dropped however far the close has got.
    deadline: Pin<Box<Sleep>>,
}

/// The handshake's end: the 101 goes out, then the client enters the lobby and is sent its ID
/// (`Session::greet`): here, on a server of its own, or once the session is served, in a
/// cluster (see `greets_when_served`). `None` when no ID can be had for it or the client is
/// gone before its 101 or its ID.
pub async fn open<T: Transport>(
    mut transport: T,
    address: SocketAddr,
    server: Arc<ServerState>,
    handshake: String,
    early_bytes: Vec<u8>,
    slot: SessionSlot,
    ticket: Ticket,
) -> Option<Session<T>> {
    let Some(id) = server.rooms.allocate_id() else {
        // 2^53 connections since start: practically never, but never a reused ID either.
        info!("{address}: refused: every client ID has been used; restart the server");
        return None;
    };
    let peer = Arc::new(Peer::new(
        id,
        address,
        server.config.outbound_queue_bytes,
        server.now_ms(),
    ));
    let mut client = Client::open(peer, Arc::clone(&server), slot);
    let timeout = server.config.handshake_timeout;
    if let Err(error) = transport::write_all(&mut transport, handshake.as_bytes(), timeout).await {
        debug!("{address}: handshake not delivered: {error}");
        client.end(&Disconnect::ConnectionLost);
        return None;
    }
    drop(handshake);
    client.stats.bytes_in += early_bytes.len() as u64;
    // Frames that came with the upgrade request wait in the decoder until the session is
    // served: `open` runs on the acceptor's thread (low priority, a runtime of its own), where
    // a handler, and whatever it spawns, must not run.
    let mut decoder = FrameDecoder::new(server.config.max_message_bytes);
    decoder.keep_unread(early_bytes);
    let mut session = Session {
        decoder,
        writer: FrameWriter::default(),
        phase: Phase::Open,
        ending: None,
        waiting: None,
        client,
        transport,
        _socket: ticket.into_held(),
    };
    if !greets_when_served(&server) && session.greet().await.is_err() {
        session.client.end(&Disconnect::ConnectionLost);
        return None;
    }
    Some(session)
}

/// Whether a new client enters the lobby and is sent its ID once its session is served (on
/// the runtime serving sessions) rather than as it is opened (on the acceptor's thread).
///
/// In a cluster, entering is a join that waits for the broker, up to two seconds when it
/// stalls: on the acceptor's one thread that would hold up every new connection behind it,
/// while the session's runtime hands the worker's other sessions to another thread for the
/// while (`cluster::wait_for_broker`). On a server of its own, entering never waits, and the
/// acceptor's thread is where it costs the sessions least: it runs at a low priority, so a
/// storm of connections entering the lobby yields to the chat of those already in (served
/// there, a room's chat p99 during 10,000 connects a second rose from 36–57 to 71–85 ms;
/// docs/benchmarks.md).
fn greets_when_served(server: &ServerState) -> bool {
    server.config.nats.is_some()
}

/// One client's session once open: everything it keeps while it lives.
pub struct Session<T> {
    transport: T,
    decoder: FrameDecoder,
    writer: FrameWriter,
    client: Client,
    phase: Phase,
    /// Set while decoding when the session must start closing.
    ending: Option<Box<Disconnect>>,
    /// A handler's unfinished work and what waits behind it.
    waiting: Option<Box<Waiting>>,
    _socket: HeldSocket,
}

impl<T: Transport> Session<T> {
    /// The same session, its connection's readiness now delivered by the runtime this is
    /// called in (sessions open on the acceptor's runtime and are served on the main one).
    pub fn rehome(self) -> io::Result<Self> {
        Ok(Self {
            transport: self.transport.rehome()?,
            ..self
        })
    }

    /// Serves the client until the session ends, then winds the connection down.
    pub async fn live(&mut self) {
        // Boxed: needed once, at the start; an idle session's task is not sized for it.
        if greets_when_served(&self.client.server) && Box::pin(self.greet()).await.is_err() {
            self.client.end(&Disconnect::ConnectionLost);
            return;
        }
        // No binding held across the await: it would grow every session's task.
        self.client
            .peer
            .outbox
            .set_direct(self.transport.direct_socket());
        // Frames that came with the upgrade request, kept in the decoder until now.
        self.decode(&mut []);
        let reason = self.run().await;
        let outbox = &self.client.peer.outbox;
        // Batches stop writing once the outbox is closed (as it is now); the handle goes too,
        // so that the socket closes with the session. Were this missed (a panic), the outbox
        // would keep this connection's socket open until the client's peer is dropped (out of
        // its room and of any batch): a socket freed late, never another client's written.
        outbox.set_direct(None);
        let (frames, bytes) = outbox.take_direct_written();
        self.client.stats.frames_out += frames;
        self.client.stats.bytes_out += bytes;
        let winding = reason.winding();
        self.client.end(&reason);
        if winding != Winding::Gone {
            // Boxed: needed once, at the end (see `connection::handle`).
            Box::pin(transport::close_gracefully(
                &mut self.transport,
                CLOSE_LINGER,
            ))
            .await;
        }
    }

    /// The client's first moments, its 101 written: it enters the lobby, then is sent its ID.
    /// `Err` when the connection broke. Where it runs: `greets_when_served`.
    async fn greet(&mut self) -> io::Result<()> {
        let Self {
            transport, client, ..
        } = self;
        let server = Arc::clone(&client.server);
        let id = client.peer.id;
        // Only a client whose handshake was answered enters: a failed one shows the lobby
        // nothing. Nor does one already told to close (the server shutting down, say): it
        // would be announced as coming and going at once. With `require_login`, a client
        // enters once it logs in (`handlers::accounts`).
        if !server.config.require_login && !client.peer.outbox.is_closing() {
            client.enter_lobby();
        }
        // The ID is written now, after the client entered the lobby and before the session
        // writes anything (the outbox's direct writes are not on yet): it is the first frame
        // the client gets, and whatever is said once the client has it reaches it (relayed
        // meanwhile, it waits in the outbox). Not through the outbox, which costs as many
        // writes: the session's writer would keep the queue it came in (128 bytes of spare
        // slots) for as long as the client stays idle.
        if !server.echo {
            let id_frame = encode_packet_frame(&Packet::id_assignment(id));
            let timeout = server.config.handshake_timeout;
            if let Err(error) = transport::write_all(transport, &id_frame, timeout).await {
                debug!("{}: ID not delivered: {error}", client.peer.address);
                return Err(error);
            }
            // The session's counts are of WebSocket bytes: the ID frame and any frames that
            // came with the request count, the HTTP heads do not.
            client.stats.frames_out += 1;
            client.stats.bytes_out += id_frame.len() as u64;
        }
        let address = client.peer.address;
        info!(
            client = id.get(),
            address = %address,
            "New client connected from {address}"
        );
        info!(client = id.get(), "Client {id}: Sent ID to client");
        Ok(())
    }

    async fn run(&mut self) -> Disconnect {
        let peer = Arc::clone(&self.client.peer);
        loop {
            if let Some(reason) = self.ending.take().map(|reason| *reason) {
                if let Some(gone) = self.begin_close(reason) {
                    return gone;
                }
            }
            if let Phase::Closing(closing) = &self.phase {
                let done = closing.winding == Winding::CloseAfterFlush || closing.client_closed;
                if done && self.writer.is_empty() && !self.transport.has_pending_output() {
                    return self.closed();
                }
            }
            let open = matches!(self.phase, Phase::Open);
            let can_read = !self.decoder.is_finished();
            tokio::select! {
                biased;
                () = deadline(&mut self.phase) => return self.closed(),
                completion = poll_waiting(&mut self.waiting), if self.waiting.is_some() => {
                    let held = self.waiting.take().map(|waiting| waiting.held);
                    handlers::complete(&mut self.client, completion);
                    self.dispatch_held(held.unwrap_or_default());
                }
                () = peer.outbox.ready(), if open => {
                    match self.writer.take_from(&peer.outbox) {
                        Some(reason) => self.ending = Some(Box::new(reason)),
                        // Write at once instead of going round the select for writability the
                        // socket almost always has: one readiness check fewer per batch. What
                        // the socket does not take waits for the writable branch.
                        None => {
                            if self.write().is_err() {
                                return self.lost();
                            }
                        }
                    }
                }
                ready = transport::writable(&self.transport),
                    if !self.writer.is_empty() || self.transport.has_pending_output() => {
                    if ready.is_err() || self.transport.flush_pending().is_err() || self.write().is_err() {
                        return self.lost();
                    }
                }
                ready = transport::readable(&self.transport), if can_read => {
                    if ready.is_err() || self.read().is_err() {
                        return self.lost();
                    }
                }
            }
        }
    }

    /// Starts closing for `reason`: relays stop, our close frame is queued behind what must
    /// still go out. Returns the reason when there is nobody left to close with.
    fn begin_close(&mut self, reason: Disconnect) -> Option<Disconnect> {
        if !matches!(self.phase, Phase::Open) {
            return None;
        }
        let outbox = &self.client.peer.outbox;
        outbox.close(reason.clone());
        let winding = reason.winding();
        let Some(frame) = reason.close_frame().filter(|_| winding != Winding::Gone) else {
            return Some(reason);
        };
        // Frames still waiting in the outbox (held in a room's batch, or pushed since the last
        // write) go out before the close frame, or only a frame already started does. The
        // outbox is closed, so nothing more can join them.
        self.writer.take_from(outbox);
        if !reason.flushes_queue() {
            self.writer.discard_unstarted(outbox);
        }
        self.writer.queue([frame]);
        self.phase = Phase::Closing(Box::new(Closing {
            reason,
            winding,
            client_closed: false,
            deadline: Box::pin(tokio::time::sleep(self.client.server.config.close_timeout)),
        }));
        None
    }

    /// The reason the session ends with once closing is over (or the deadline passed).
    fn closed(&mut self) -> Disconnect {
        match std::mem::replace(&mut self.phase, Phase::Open) {
            Phase::Closing(closing) => closing.reason,
            Phase::Open => Disconnect::ConnectionLost,
        }
    }

    /// The connection broke: the reason is the close under way, if any.
    fn lost(&mut self) -> Disconnect {
        self.closed()
    }

    fn write(&mut self) -> io::Result<()> {
        let written = self
            .writer
            .write_to(&mut self.transport, &self.client.peer.outbox)?;
        self.client.stats.frames_out += written.frames as u64;
        self.client.stats.bytes_out += written.bytes as u64;
        Ok(())
    }

    /// Reads what the socket has; `Err` when the connection ended.
    fn read(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; READ_CHUNK_BYTES];
        for _ in 0..MAX_READS_PER_WAKE {
            match self.transport.try_read(&mut chunk) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    let client = &mut self.client;
                    client.peer.heard_at(client.server.now_ms());
                    client.stats.bytes_in += n as u64;
                    self.decode(&mut chunk[..n]);
                    if n < chunk.len() || self.decoder.is_finished() {
                        return Ok(());
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(error) => {
                    debug!("Client {}: read failed: {error}", self.client.peer.id);
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    fn decode(&mut self, bytes: &mut [u8]) {
        let Self {
            decoder,
            client,
            phase,
            ending,
            waiting,
            ..
        } = self;
        // Echo data messages back instead of handling them (the conformance-test endpoint).
        // Read from the server, not kept per session: a field would cost every idle client
        // 16 bytes of heap (the session's allocation crosses a size class).
        let echo = client.server.echo;
        let handler_timeout = client.server.config.handler_timeout;
        let result = decoder.feed(bytes, |event| match event {
            WsEvent::Message { data, text } => {
                if !matches!(phase, Phase::Open) {
                    return;
                }
                if echo {
                    // Failure means the client is already being disconnected, with its reason.
                    let _ = client.peer.send(data_frame(text, data));
                    return;
                }
                let Some(packet) = client.receive(data) else {
                    return;
                };
                match waiting {
                    None => {
                        *waiting = handlers::dispatch(client, packet)
                            .into_pending(handler_timeout)
                            .map(|work| {
                                Box::new(Waiting {
                                    work,
                                    held: VecDeque::new(),
                                })
                            });
                    }
                    Some(waiting) if waiting.held.len() < MAX_HELD_MESSAGES => {
                        waiting.held.push_back(packet);
                    }
                    Some(_) => refuse_past_held(client),
                }
            }
            // Failure means the client is already being disconnected, with its reason.
            WsEvent::Ping(payload) => drop(client.peer.send(pong_frame(payload))),
            WsEvent::Pong => {}
            WsEvent::Close(close) => match phase {
                Phase::Open => {
                    let (code, reason) = close.map_or((None, String::new()), |(code, reason)| {
                        (Some(code), reason.to_owned())
                    });
                    ending
                        .get_or_insert_with(|| Box::new(Disconnect::ClientClosed { code, reason }));
                }
                Phase::Closing(closing) => closing.client_closed = true,
            },
        });
        if let Err(error) = result {
            ending.get_or_insert_with(|| Box::new(Disconnect::Protocol(error)));
        }
    }

    /// Dispatches the messages `held` while a handler waited, until one waits again: the
    /// rest then wait behind it.
    fn dispatch_held(&mut self, mut held: VecDeque<Packet>) {
        let handler_timeout = self.client.server.config.handler_timeout;
        while matches!(self.phase, Phase::Open) {
            let Some(packet) = held.pop_front() else {
                return;
            };
            if let Some(work) =
                handlers::dispatch(&mut self.client, packet).into_pending(handler_timeout)
            {
                self.waiting = Some(Box::new(Waiting { work, held }));
                return;
            }
        }
    }
}

/// Refuses a message that came while an earlier request waits and `MAX_HELD_MESSAGES` are
/// already held behind it.
fn refuse_past_held(client: &mut Client) {
    client
        .server
        .metrics
        .messages_refused
        .inc(MessageRefusal::TooManyWaiting);
    client.refuse(format_args!(
        "too many messages while an earlier request waits for its answer (at most \
         {MAX_HELD_MESSAGES} are kept); send it again once it is answered"
    ));
}

/// Resolves when a closing session's deadline passes; never while it is open.
async fn deadline(phase: &mut Phase) {
    match phase {
        Phase::Closing(closing) => closing.deadline.as_mut().await,
        Phase::Open => std::future::pending().await,
    }
}

async fn poll_waiting(waiting: &mut Option<Box<Waiting>>) -> handlers::Completion {
    match waiting {
        Some(waiting) => waiting.work.as_mut().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::io::IoSlice;
    use std::task::{Context, Poll};
    use std::time::Instant;

    use super::*;
    use crate::config::Config;

    /// A connection whose client went away before the 101: every write fails.
    struct Gone;

    impl Transport for Gone {
        fn poll_read_ready(&self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Pending
        }
        fn try_read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::ErrorKind::WouldBlock.into())
        }
        fn poll_write_ready(&self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn try_write_vectored(&mut self, _: &[IoSlice<'_>]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn shutdown_write(&mut self) -> io::Result<()> {
            Ok(())
        }
        fn rehome(self) -> io::Result<Self> {
            Ok(self)
        }
    }

    /// A connection whose client hung up after the 101: writes succeed, reads find the end.
    struct HungUp;

    impl Transport for HungUp {
        fn poll_read_ready(&self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn try_read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Ok(0)
        }
        fn poll_write_ready(&self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn try_write_vectored(&mut self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
            Ok(slices.iter().map(|slice| slice.len()).sum())
        }
        fn shutdown_write(&mut self) -> io::Result<()> {
            Ok(())
        }
        fn rehome(self) -> io::Result<Self> {
            Ok(self)
        }
    }

    async fn open_hung_up(server: &Arc<ServerState>) -> Session<HungUp> {
        let address: SocketAddr = "127.0.0.1:1".parse().expect("address");
        let slot = server.sessions_slot().expect("a slot");
        let ticket = server
            .admission
            .admit(address.ip(), Instant::now())
            .expect("admitted");
        open(
            HungUp,
            address,
            Arc::clone(server),
            "HTTP/1.1 101 Switching Protocols\r\n\r\n".into(),
            Vec::new(),
            slot,
            ticket,
        )
        .await
        .expect("the handshake was delivered")
    }

    /// In a cluster the client enters the lobby when its session is served, not when it is
    /// opened; a session told to close in between (an idle check, a shutdown) never enters:
    /// the lobby is not told of a client coming and going at once.
    #[tokio::test]
    async fn a_session_closed_before_it_is_served_never_enters_the_lobby() {
        // A cluster's setting; the broker stays the in-process one: what is tested is when
        // the entry happens, which the setting decides (`greets_when_served`).
        let config = Config {
            nats: Some("nats://127.0.0.1:4222".into()),
            ..Config::default()
        };
        let server = Arc::new(ServerState::new(config, 100));
        let watcher = server.watcher_in_lobby(1_000);
        let lobby = Arc::clone(server.rooms.lobby());

        let mut served = open_hung_up(&server).await;
        assert_eq!(
            lobby.member_count(),
            1,
            "not in the lobby before it is served"
        );
        served.live().await;
        assert!(
            !watcher.outbox.take().frames.is_empty(),
            "a session served enters, and leaves when its client is gone"
        );

        let mut closed = open_hung_up(&server).await;
        closed.client.peer.outbox.close(Disconnect::Idle {
            timeout: Duration::from_secs(1),
        });
        closed.live().await;
        assert!(
            watcher.outbox.take().frames.is_empty(),
            "no join and no leave for a client told to close before it was served"
        );
        assert_eq!(lobby.member_count(), 1);
        assert_eq!(server.sessions.count(), 0);
    }

    /// On a server of its own the client is in the lobby, and has its ID, as its session is
    /// opened on the acceptor's thread, before it is served.
    #[tokio::test]
    async fn alone_a_client_enters_the_lobby_as_its_session_is_opened() {
        let server = Arc::new(ServerState::new(Config::default(), 100));
        let watcher = server.watcher_in_lobby(1_000);
        let lobby = Arc::clone(server.rooms.lobby());
        let _opened = open_hung_up(&server).await;
        assert_eq!(lobby.member_count(), 2, "in the lobby once opened");
        assert!(
            !watcher.outbox.take().frames.is_empty(),
            "the lobby was told of its entry"
        );
    }

    #[tokio::test]
    async fn a_handshake_that_fails_shows_the_lobby_nothing() {
        let server = Arc::new(ServerState::new(Config::default(), 100));
        let address: SocketAddr = "127.0.0.1:1".parse().expect("address");
        let watcher = server.watcher_in_lobby(1_000);
        let lobby = Arc::clone(server.rooms.lobby());
        let slot = server.sessions_slot().expect("a slot");
        let ticket = server
            .admission
            .admit(address.ip(), Instant::now())
            .expect("admitted");
        let session = open(
            Gone,
            address,
            Arc::clone(&server),
            "HTTP/1.1 101 Switching Protocols\r\n\r\n".into(),
            Vec::new(),
            slot,
            ticket,
        )
        .await;
        assert!(session.is_none(), "the handshake was not delivered");
        assert!(
            watcher.outbox.take().frames.is_empty(),
            "no join and no leave for a client that never got its 101"
        );
        assert_eq!(lobby.member_count(), 1);
        assert_eq!(server.sessions.count(), 0);
    }
}
