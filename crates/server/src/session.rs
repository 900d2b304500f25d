//! One WebSocket session: a single task per client that reads its frames, acts on its packets,
//! and writes what its outbox holds in vectored batches, until one side ends it.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use mmo_protocol::{Msg, Packet, decode_packet};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tracing::{debug, info, warn};

use crate::hub::{Hub, Peer};
use crate::metrics::Metrics;
use crate::rate_limit::TokenBucket;
use crate::websocket::{
    FrameDecoder, ProtocolError, WsEvent, close_code, close_frame, encode_packet_frame, pong_frame,
};

/// Bytes read from the socket per read call. This buffer lives on the stack for the length of
/// one read, not in the session, so idle sessions hold no read buffer.
const READ_CHUNK_BYTES: usize = 8 * 1024;

/// Reads per wake-up before other sessions get a turn.
const MAX_READS_PER_WAKE: usize = 8;

/// Frames handed to one vectored write; Linux takes up to 1,024, and 64 frames of chat already
/// amortise the syscall well.
const MAX_FRAMES_PER_WRITE: usize = 64;

/// Why a session ended. The first group is the client's doing, the last the server's; the
/// close code and reason a client gets come from here and never carry internals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disconnect {
    /// The client sent a close frame.
    ClientClosed {
        /// Its close code, if it gave one.
        code: Option<u16>,
        /// Its reason.
        reason: String,
    },
    /// The connection ended without a close frame (reset, or closed by the peer).
    ConnectionLost,
    /// The client broke the WebSocket protocol or sent an oversize message.
    Protocol(ProtocolError),
    /// The client fell more than `limit_bytes` behind.
    TooSlow {
        /// The outbound queue limit it passed.
        limit_bytes: usize,
    },
    /// The client sent nothing, not even a pong, for `timeout`.
    Idle {
        /// The idle timeout.
        timeout: Duration,
    },
    /// The server is shutting down.
    ServerShutdown,
}

impl Disconnect {
    /// The close frame to send for this reason, or `None` when the connection is gone.
    fn close_frame(&self) -> Option<Bytes> {
        Some(match self {
            Self::ClientClosed { .. } => close_frame(close_code::NORMAL, ""),
            Self::ConnectionLost => return None,
            Self::Protocol(error) => close_frame(error.close_code(), &error.to_string()),
            Self::TooSlow { .. } | Self::Idle { .. } => {
                close_frame(close_code::POLICY_VIOLATION, &self.to_string())
            }
            Self::ServerShutdown => close_frame(close_code::GOING_AWAY, &self.to_string()),
        })
    }

    /// Whether frames still queued should be written before the close frame. A client that is
    /// too slow or silent would not read them anyway.
    fn flushes_queue(&self) -> bool {
        matches!(self, Self::ServerShutdown | Self::ClientClosed { .. })
    }

    /// Why the client left, as told to the other clients: never the client's own close reason,
    /// which is its text, outside the chat limits, and would reach everyone.
    fn public_summary(&self) -> &'static str {
        match self {
            // A client that said goodbye needs no reason: clients show "Client N left".
            Self::ClientClosed { .. } => "",
            Self::ConnectionLost => "connection lost",
            Self::Protocol(_) => "protocol error",
            Self::TooSlow { .. } => "too slow",
            Self::Idle { .. } => "timed out",
            Self::ServerShutdown => "server shutting down",
        }
    }

    fn count(&self, metrics: &Metrics) {
        let counter = match self {
            Self::TooSlow { .. } => &metrics.closed_too_slow,
            Self::Idle { .. } => &metrics.closed_idle,
            Self::Protocol(ProtocolError::MessageTooBig { .. }) => &metrics.closed_too_big,
            Self::Protocol(_) => &metrics.closed_protocol_error,
            _ => return,
        };
        Metrics::bump(counter);
    }
}

impl fmt::Display for Disconnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClientClosed {
                code: Some(code),
                reason,
            } if reason.is_empty() => {
                write!(f, "client closed the connection (code {code})")
            }
            Self::ClientClosed {
                code: Some(code),
                reason,
            } => {
                write!(f, "client closed the connection (code {code}: {reason})")
            }
            Self::ClientClosed { code: None, .. } => write!(f, "client closed the connection"),
            Self::ConnectionLost => write!(f, "connection lost"),
            Self::Protocol(error) => error.fmt(f),
            Self::TooSlow { limit_bytes } => write!(
                f,
                "too slow: more than {limit_bytes} bytes waiting to be sent"
            ),
            Self::Idle { timeout } => {
                write!(
                    f,
                    "idle timeout: nothing received for {}s",
                    timeout.as_secs_f64()
                )
            }
            Self::ServerShutdown => write!(f, "server shutting down"),
        }
    }
}

/// Serves a registered client until the session ends, then removes it from the hub.
/// `early_bytes` are any bytes the client sent right behind its handshake.
pub async fn serve(stream: TcpStream, peer: Arc<Peer>, hub: Arc<Hub>, mut early_bytes: Vec<u8>) {
    let id = peer.id;
    let mut session = Session {
        decoder: FrameDecoder::new(hub.config.max_message_bytes),
        handler: PacketHandler {
            bucket: TokenBucket::new(hub.config.chat_rate, hub.config.chat_burst, Instant::now()),
            peer,
            hub: Arc::clone(&hub),
            ending: None,
            client_closed: false,
            closing: false,
            over_rate: false,
        },
        writer: FrameWriter::default(),
        closing_for: None,
    };
    if !early_bytes.is_empty() {
        session.decode(&mut early_bytes);
    }
    drop(early_bytes);
    let reason = session.run(&stream).await;
    hub.unregister(id);
    reason.count(&hub.metrics);
    info!("Client {id}: Closing client connection because: {reason}");
    hub.announce_leave(id, reason.public_summary());
}

struct Session {
    decoder: FrameDecoder,
    handler: PacketHandler,
    writer: FrameWriter,
    /// Set once our close frame is queued: the reason the session is ending for.
    closing_for: Option<Disconnect>,
}

impl Session {
    async fn run(&mut self, stream: &TcpStream) -> Disconnect {
        let peer = Arc::clone(&self.handler.peer);
        // Created only once a close is under way, so live sessions carry no timer.
        let mut close_deadline: Option<Pin<Box<Sleep>>> = None;
        // Write coalescing (see `Config::write_coalesce_ms`): after each batch the outbox is left
        // alone until `hold` fires, and what is pushed meanwhile goes out together. The timer is
        // created at the first batch, then reset and reused.
        let window = self.handler.hub.config.write_coalesce_ms;
        let mut hold: Option<Pin<Box<Sleep>>> = None;
        let mut holding = false;
        loop {
            if let Some(reason) = self.handler.ending.take() {
                if let Some(done) = self.begin_close(reason) {
                    return done;
                }
                close_deadline.get_or_insert_with(|| {
                    Box::pin(tokio::time::sleep(self.handler.hub.config.close_timeout))
                });
            }
            // The close handshake is complete once both close frames have crossed.
            if self.closing_for.is_some() && self.writer.is_empty() && self.handler.client_closed {
                return self.finish();
            }
            tokio::select! {
                biased;
                () = async { close_deadline.as_mut().map(|d| d.as_mut()).expect("guarded").await },
                    if close_deadline.is_some() => return self.finish(),
                () = async { hold.as_mut().map(|h| h.as_mut()).expect("guarded").await },
                    if holding => holding = false,
                () = peer.outbox.ready(), if self.closing_for.is_none() && !holding => {
                    match peer.outbox.take_into(&mut self.writer.frames) {
                        Some(reason) => self.handler.end(reason),
                        // Write at once instead of going round the select for writability the
                        // socket almost always has: one readiness check fewer per batch. What
                        // the socket does not take waits for the writable branch.
                        None => {
                            if self.writer.write_to(stream, &peer).is_err() {
                                return self.lost();
                            }
                            if !window.is_zero() {
                                let until = tokio::time::Instant::now() + window;
                                match hold.as_mut() {
                                    Some(timer) => timer.as_mut().reset(until),
                                    None => hold = Some(Box::pin(tokio::time::sleep_until(until))),
                                }
                                holding = true;
                            }
                        }
                    }
                }
                ready = stream.writable(), if !self.writer.is_empty() => {
                    if ready.is_err() || self.writer.write_to(stream, &peer).is_err() {
                        return self.lost();
                    }
                }
                ready = stream.readable() => {
                    if ready.is_err() {
                        return self.lost();
                    }
                    if let Err(lost) = self.read_from(stream) {
                        return lost;
                    }
                }
            }
        }
    }

    /// Queues the close frame for `reason`; returns the final reason when there is nothing to
    /// send because the connection is gone.
    fn begin_close(&mut self, reason: Disconnect) -> Option<Disconnect> {
        if self.closing_for.is_some() {
            return None;
        }
        let peer = &self.handler.peer;
        // Relays stop queueing to this client from here on.
        peer.outbox.close(reason.clone());
        let Some(frame) = reason.close_frame() else {
            return Some(reason);
        };
        if reason.flushes_queue() {
            // Frames still waiting in the outbox (held back by write coalescing, or pushed
            // since the last batch) go out before the close frame. The outbox is closed, so
            // nothing more can join them.
            peer.outbox.take_into(&mut self.writer.frames);
        } else {
            self.writer.discard_unstarted(&peer.outbox);
        }
        self.writer.queue([frame]);
        self.handler.closing = true;
        self.closing_for = Some(reason);
        None
    }

    /// The reason the session ends with once the close handshake is over or timed out, or
    /// the client hung up after our close frame.
    fn finish(&mut self) -> Disconnect {
        self.closing_for
            .take()
            .unwrap_or(Disconnect::ConnectionLost)
    }

    fn lost(&mut self) -> Disconnect {
        self.finish()
    }

    /// Reads what the socket has; `Err` when the connection ended.
    fn read_from(&mut self, stream: &TcpStream) -> Result<(), Disconnect> {
        let mut chunk = [0u8; READ_CHUNK_BYTES];
        for _ in 0..MAX_READS_PER_WAKE {
            match stream.try_read(&mut chunk) {
                Ok(0) => return Err(self.lost()),
                Ok(n) => {
                    self.handler.peer.heard_at(self.handler.hub.now_ms());
                    self.decode(&mut chunk[..n]);
                    if n < chunk.len() {
                        return Ok(());
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(error) => {
                    debug!("Client {}: read failed: {error}", self.handler.peer.id);
                    return Err(self.lost());
                }
            }
        }
        Ok(())
    }

    fn decode(&mut self, bytes: &mut [u8]) {
        let Self {
            decoder, handler, ..
        } = self;
        if let Err(error) = decoder.feed(bytes, |event| handler.on_event(event)) {
            handler.end(Disconnect::Protocol(error));
        }
    }
}

/// Acts on what the client says: relays chat, answers pings, records the close.
struct PacketHandler {
    peer: Arc<Peer>,
    hub: Arc<Hub>,
    bucket: TokenBucket,
    /// Set when the session must start closing.
    ending: Option<Disconnect>,
    /// Whether the client's close frame has arrived.
    client_closed: bool,
    /// Whether our close frame is queued: from then on the client's messages are not acted on.
    closing: bool,
    /// Whether the client's last message was refused for rate: a flood is logged once, when
    /// it starts, not once per refused message.
    over_rate: bool,
}

impl PacketHandler {
    fn end(&mut self, reason: Disconnect) {
        self.ending.get_or_insert(reason);
    }

    fn on_event(&mut self, event: WsEvent<'_>) {
        match event {
            WsEvent::Message { data, .. } => self.on_message(data),
            WsEvent::Ping(payload) => self.send(pong_frame(payload)),
            WsEvent::Pong => {}
            WsEvent::Close(close) => {
                self.client_closed = true;
                let (code, reason) = close.map_or((None, String::new()), |(code, reason)| {
                    (Some(code), reason.to_owned())
                });
                self.end(Disconnect::ClientClosed { code, reason });
            }
        }
    }

    fn on_message(&mut self, data: &[u8]) {
        if self.closing {
            return;
        }
        let metrics = &self.hub.metrics;
        Metrics::bump(&metrics.messages_received);
        let id = self.peer.id;
        if !self.bucket.try_take(Instant::now()) {
            Metrics::bump(&metrics.chats_rejected_rate);
            let config = &self.hub.config;
            if !self.over_rate {
                self.over_rate = true;
                warn!(
                    "Client {id}: over the rate limit of {} messages per second; refusing \
                     its messages until it slows down",
                    config.chat_rate
                );
            }
            self.deny(format!(
                "rate limit: at most {} messages per second (bursts of {})",
                config.chat_rate, config.chat_burst
            ));
            return;
        }
        self.over_rate = false;
        let packet = match decode_packet(data) {
            Ok(packet) => packet,
            Err(error) => {
                Metrics::bump(&metrics.decode_errors);
                warn!("Client {id}: ignoring a message that is {error}");
                return;
            }
        };
        match packet.msg {
            Some(Msg::Chat(chat)) => match self.hub.config.chat_limits().check(&chat.msg) {
                Ok(()) => self.hub.relay_chat(id, chat.msg),
                Err(rejection) => {
                    Metrics::bump(&metrics.chats_rejected_invalid);
                    info!("Client {id}: refusing a chat line: {rejection}");
                    self.deny(rejection.to_string());
                }
            },
            other => {
                Metrics::bump(&metrics.ignored_packets);
                let kind = match other {
                    Some(Msg::Id(_)) => "IdMessage (only the server assigns IDs)",
                    Some(Msg::DenyResponse(_)) => "DenyResponseMessage (server-only)",
                    Some(Msg::Disconnect(_)) => "DisconnectMessage (server-only)",
                    _ => "packet with no message",
                };
                warn!("Client {id}: ignoring {kind}");
            }
        }
    }

    fn deny(&mut self, reason: String) {
        self.send(encode_packet_frame(&Packet::deny(reason)));
    }

    /// Queues a frame for this client through its bounded outbox, like every other frame.
    fn send(&mut self, frame: Bytes) {
        // Failure means the client is already being disconnected, with its reason.
        let _ = self.peer.outbox.push(frame);
    }
}

/// Frames taken from the outbox and not yet fully written.
#[derive(Default)]
struct FrameWriter {
    frames: VecDeque<Bytes>,
    /// Bytes of the front frame already written.
    front_written: usize,
}

impl FrameWriter {
    fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    fn queue(&mut self, frames: impl IntoIterator<Item = Bytes>) {
        self.frames.extend(frames);
    }

    /// Drops every frame not yet started (a half-written one must finish, or the stream would
    /// be corrupt), and frees their room in the outbox.
    fn discard_unstarted(&mut self, outbox: &crate::outbox::Outbox) {
        let keep = usize::from(self.front_written > 0);
        let dropped: Vec<Bytes> = self.frames.drain(keep..).collect();
        outbox.release(dropped.len(), dropped.iter().map(Bytes::len).sum());
    }

    /// Writes as much as the socket takes now.
    fn write_to(&mut self, stream: &TcpStream, peer: &Peer) -> io::Result<()> {
        let (mut freed_frames, mut freed_bytes) = (0, 0);
        let result = loop {
            if self.frames.is_empty() {
                break Ok(());
            }
            let mut slices = [IoSlice::new(&[]); MAX_FRAMES_PER_WRITE];
            let mut count = 0;
            for (slot, frame) in slices.iter_mut().zip(&self.frames) {
                let start = if count == 0 { self.front_written } else { 0 };
                *slot = IoSlice::new(&frame[start..]);
                count += 1;
            }
            match stream.try_write_vectored(&slices[..count]) {
                Ok(0) => break Err(io::ErrorKind::WriteZero.into()),
                Ok(mut written) => {
                    while written > 0 {
                        let front_left = self.frames[0].len() - self.front_written;
                        if written >= front_left {
                            written -= front_left;
                            let frame = self
                                .frames
                                .pop_front()
                                .expect("written bytes come from queued frames");
                            freed_frames += 1;
                            freed_bytes += frame.len();
                            self.front_written = 0;
                        } else {
                            self.front_written += written;
                            written = 0;
                        }
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break Ok(()),
                Err(error) => break Err(error),
            }
        };
        if freed_frames > 0 {
            peer.outbox.release(freed_frames, freed_bytes);
        }
        result
    }
}
