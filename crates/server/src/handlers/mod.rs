//! What the server does with each kind of message a client sends: one handler per kind, and
//! the `Client` context they act on.
//!
//! A handler runs on the client's own session task. Most finish at once (`Step::Done`); one
//! that must wait for something elsewhere (a database, another task) returns `Step::Await`
//! with a future that ends in a `Completion`. The session keeps reading, answering pings and
//! writing while it waits, holds the client's later messages back (bounded), and applies the
//! completion and then those messages in order, so a handler that waits never reorders what a
//! client said and never stalls anyone else.
//!
//! Adding a message: its field in `proto/packets.proto`, an arm in `dispatch`, a handler
//! module here, and the clients.

mod accounts;
mod chat;
mod rooms;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use mmo_protocol::{Level, Msg, Packet, decode_packet, highest_field_number};
use tracing::{info, warn};

pub use accounts::{Account, AccountError, AccountFuture, AccountStore, Login, Registration};

use crate::logging::{ClientWarnings, left_out};
use crate::metrics::{Label as _, MessageKind, MessageRefusal};
use crate::rate_limit::TokenBucket;
use crate::rooms::{Departure, Room};
use crate::session::{Disconnect, Peer};
use crate::state::{ServerState, SessionSlot};
use crate::websocket::encode_packet_frame;

/// What a handler did with a message.
pub enum Step {
    /// Handled.
    Done,
    /// Handled once this future has finished and its completion has been applied.
    Await(Pending),
}

/// A handler's unfinished work: a future that ends with what to do to the client then.
pub type Pending = Pin<Box<dyn Future<Output = Completion> + Send>>;

/// The end of a handler's work, applied to the client on its session task.
pub type Completion = Box<dyn FnOnce(&mut Client) + Send>;

/// Counts of what went through one session, for its closing log line.
#[derive(Debug, Default, Clone, Copy)]
pub struct SessionStats {
    /// WebSocket data messages received.
    pub messages_in: u64,
    /// Bytes read from the connection.
    pub bytes_in: u64,
    /// Frames written to the connection.
    pub frames_out: u64,
    /// Bytes written to the connection.
    pub bytes_out: u64,
}

/// One connected client as its handlers see it: its peer, its room, its own limits. Dropping
/// it takes the client out of its room and the registry and logs the session's end, so that
/// happens however the session ends, a panic included.
pub struct Client {
    /// How the rest of the server reaches this client.
    pub peer: Arc<Peer>,
    /// Everything server-wide.
    pub server: Arc<ServerState>,
    /// The room the client is in.
    pub room: Arc<Room>,
    messages: TokenBucket,
    joins: TokenBucket,
    warnings: ClientWarnings,
    /// What went through the session so far.
    pub stats: SessionStats,
    started: Instant,
    /// Set once the session has ended normally; a `Client` dropped without it ended
    /// by panic or abort.
    ended: bool,
    _slot: SessionSlot,
}

impl Client {
    /// A new client: registered with the server (which closes it at once if a shutdown has
    /// begun) and a member of the lobby, whose members who understand presence are told.
    pub fn open(peer: Arc<Peer>, server: Arc<ServerState>, slot: SessionSlot) -> Self {
        let now = Instant::now();
        let config = &server.config;
        let client = Self {
            messages: TokenBucket::full(config.chat_burst, server.now_ms()),
            joins: TokenBucket::full(config.join_burst, server.now_ms()),
            room: Arc::clone(server.rooms.lobby()),
            warnings: ClientWarnings::default(),
            stats: SessionStats::default(),
            started: now,
            ended: false,
            _slot: slot,
            peer,
            server,
        };
        client.server.metrics.sessions_opened.inc();
        client.server.sessions.register(&client.peer);
        // The lobby has no member limit and is never removed: entering cannot fail. With
        // `require_login`, a client enters it when it logs in (`accounts::on_login`).
        if !client.server.config.require_login {
            let _ = client.room.enter(&client.peer, false);
        }
        client
    }

    /// Sends `packet` if the client has shown it understands it; a packet it would misread is
    /// never sent (see `Level`).
    pub fn send(&mut self, packet: &Packet) {
        if self.peer.understands(packet.level()) {
            // Failure means the client is already being disconnected, with its reason.
            let _ = self.peer.send(encode_packet_frame(packet));
        }
    }

    /// Tells the client a request of its was refused, when it understands refusals; a part-3
    /// client's refused line is dropped, counted and logged instead.
    pub fn refuse(&mut self, reason: impl fmt::Display) {
        if self.peer.understands(Level::Tutorial) {
            self.send(&Packet::deny(reason.to_string()));
        } else {
            self.server.metrics.refusals_unsent.inc();
            let id = self.peer.id;
            self.warn(format_args!(
                "Client {id}: dropped a refused message without telling it (it does not know \
                 DenyResponseMessage): {reason}"
            ));
        }
    }

    /// Logs a warning about this client, at most one per `CLIENT_WARNING_WINDOW`; the rest
    /// are counted and reported with the next one and when the session ends.
    pub fn warn(&mut self, message: fmt::Arguments<'_>) {
        if let Some(suppressed) = self.warnings.occur(self.server.now_ms()) {
            warn!("{message}{}", left_out(suppressed));
        }
    }

    /// Takes a message the client sent: rate limit, decoding, what it shows the client knows.
    /// `None` when there is nothing to dispatch.
    pub fn receive(&mut self, data: &[u8]) -> Option<Packet> {
        let metrics = &self.server.metrics;
        self.stats.messages_in += 1;
        let config = &self.server.config;
        if !self
            .messages
            .try_take(config.chat_rate, config.chat_burst, self.server.now_ms())
        {
            metrics.messages_received.inc(MessageKind::RateLimited);
            metrics.messages_refused.inc(MessageRefusal::RateLimit);
            let reason = format!(
                "rate limit: at most {} messages per second (bursts of {})",
                config.chat_rate, config.chat_burst
            );
            self.refuse(reason);
            return None;
        }
        let packet = match decode_packet(data) {
            Ok(packet) => packet,
            Err(error) => {
                metrics.messages_received.inc(MessageKind::Undecodable);
                let id = self.peer.id;
                self.warn(format_args!(
                    "Client {id}: ignoring a message that is {error}"
                ));
                return None;
            }
        };
        metrics
            .messages_received
            .inc(MessageKind::of(packet.msg.as_ref()));
        if let Some(highest) = highest_field_number(data) {
            let level = Level::of_field(highest);
            if level > self.peer.level() {
                self.room.raise_member_level(&self.peer, level);
            }
        }
        Some(packet)
    }

    /// Ends the session for `reason`: out of its room (the others are told) and the registry,
    /// counted and logged. Runs once; `Drop` runs it for a session that ended abnormally.
    pub fn end(&mut self, reason: &Disconnect) {
        if self.ended {
            return;
        }
        let server = &self.server;
        let announce = server.config.announce_leaves && !server.is_shutting_down();
        self.room.leave(
            &self.peer,
            Departure {
                leave_notice: announce.then(|| reason.public_summary()),
            },
        );
        server.rooms.remove_if_empty(&self.room);
        server.sessions.unregister(self.peer.id);
        server.metrics.sessions_closed.inc(reason.close_reason());
        let SessionStats {
            messages_in,
            bytes_in,
            frames_out,
            bytes_out,
        } = self.stats;
        let suppressed = self.warnings.suppressed_total;
        // To the millisecond: finer would only make the line longer.
        let duration_s = (self.started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
        info!(
            client = self.peer.id.get(),
            address = %self.peer.address,
            duration_s,
            close = reason.close_reason().value(),
            // A string field: quoted in a text line, a JSON string in a JSON one.
            reason = reason.to_string().as_str(),
            messages_in,
            bytes_in,
            frames_out,
            bytes_out,
            warnings_left_out = suppressed,
            "Client {}: Closing client connection because: {reason}",
            self.peer.id
        );
        self.ended = true;
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if !self.ended {
            self.end(&Disconnect::Aborted);
        }
    }
}

/// Hands a decoded message to the handler of its kind.
pub fn dispatch(client: &mut Client, packet: Packet) -> Step {
    if accounts::held_for_login(client, &packet) {
        return Step::Done;
    }
    let kind = match packet.msg {
        Some(Msg::Chat(chat)) => return chat::on_chat(client, &chat),
        Some(Msg::JoinRoom(join)) => return rooms::on_join_room(client, &join),
        Some(Msg::RoomListRequest(_)) => return rooms::on_room_list_request(client),
        Some(Msg::LoginRequest(login)) => return accounts::on_login(client, login),
        Some(Msg::RegisterRequest(register)) => return accounts::on_register(client, register),
        Some(Msg::Id(_)) => "IdMessage (only the server assigns IDs)",
        Some(
            Msg::OkResponse(_)
            | Msg::DenyResponse(_)
            | Msg::Disconnect(_)
            | Msg::Room(_)
            | Msg::Presence(_)
            | Msg::RoomList(_),
        ) => "a message only the server sends",
        None => "a packet with no message",
    };
    let id = client.peer.id;
    client.warn(format_args!("Client {id}: ignoring {kind}"));
    Step::Done
}

/// Unix time in milliseconds, for history lines.
fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod properties {
    //! Whatever a client sends — random bytes or well-formed packets of every kind with random
    //! contents — handling it never panics, never sends it a field it has not shown it knows,
    //! and never queues more for it than its outbox allows.

    use std::net::SocketAddr;

    use mmo_protocol::{ClientId, Message as _, decode_packet};
    use proptest::prelude::*;

    use super::*;
    use crate::config::Config;

    const OUTBOX_BYTES: usize = 16 * 1024;

    fn packets() -> impl Strategy<Value = Vec<u8>> {
        let text = "[a-z .\\-_é😀\\t]{0,40}";
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            text.prop_map(|t| Packet::chat(t).encode_to_vec()),
            text.prop_map(|t| Packet::join_room(t).encode_to_vec()),
            Just(Packet::room_list_request().encode_to_vec()),
            (text, text).prop_map(|(username, password)| Packet {
                sender_id: 0,
                msg: Some(Msg::LoginRequest(mmo_protocol::LoginRequestMessage {
                    username,
                    password,
                })),
            }
            .encode_to_vec()),
            any::<u64>().prop_map(
                |id| Packet::id_assignment(ClientId::new(id | 1).expect("odd")).encode_to_vec()
            ),
        ]
    }

    proptest! {
        #[test]
        fn handling_anything_is_safe_and_bounded(messages in prop::collection::vec(packets(), 0..30)) {
            let server = Arc::new(ServerState::new(
                Config {
                    chat_rate: 0.0,
                    join_rate: 0.0,
                    outbound_queue_bytes: OUTBOX_BYTES,
                    ..Config::default()
                },
                100,
            ));
            let slot = server.sessions_slot().expect("a slot");
            let address: SocketAddr = "127.0.0.1:1".parse().expect("address");
            let peer = Arc::new(Peer::new(ClientId::new(1).expect("one"), address, OUTBOX_BYTES, 0));
            let mut client = Client::open(Arc::clone(&peer), Arc::clone(&server), slot);
            for message in &messages {
                let level_before = peer.level();
                if let Some(packet) = client.receive(message) {
                    prop_assert!(matches!(dispatch(&mut client, packet), Step::Done));
                }
                prop_assert!(peer.level() >= level_before);
                let sent = peer.outbox.take();
                for frame in &sent.frames {
                    let packet = decode_packet(&frame[2..]).or_else(|_| decode_packet(&frame[4..]));
                    let packet = packet.expect("one packet per frame");
                    prop_assert!(packet.level() <= peer.level(), "{:?} to a {:?} client", packet, peer.level());
                }
                let bytes: usize = sent.frames.iter().map(bytes::Bytes::len).sum();
                peer.outbox.release(sent.frames.len(), bytes);
                prop_assert!(bytes <= OUTBOX_BYTES);
            }
            client.end(&Disconnect::ConnectionLost);
            prop_assert_eq!(server.sessions.count(), 0);
            prop_assert_eq!(server.rooms.lobby().member_count(), 0);
            prop_assert_eq!(server.rooms.count(), 1, "every room it made went with it");
        }
    }
}
