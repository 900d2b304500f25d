//! What the server does with each kind of message a client sends: one handler per kind, and
//! the `Client` context they act on.
//!
//! A handler runs on the client's own session task. Most finish at once (`Step::Done`); one
//! that must wait for something elsewhere (a database, another task) returns `Step::Await`
//! with a future that ends in a `Completion`. The session keeps reading, answering pings and
//! writing while it waits, holds the client's later messages back (bounded: past the bound
//! they are refused, and pings are still answered), and applies the completion and then those
//! messages in order, so a handler that waits never reorders what a client said and never
//! stalls anyone else. A handler's work is bounded by `handler_timeout` (`Step::into_pending`):
//! a client whose request is never answered is refused, not left waiting. A panic in that work
//! or in its completion (a bug, in the server or in a service such as the account store) is
//! caught there, logged and refused as temporarily unavailable: the session lives on.
//!
//! Adding a message: its field in `proto/packets.proto`, an arm in `dispatch`, a handler
//! module here, and the clients.

mod accounts;
mod chat;
mod hiscores;
mod rooms;
mod world;

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mmo_protocol::{Level, Msg, Packet, decode_packet, highest_field_number};
use tracing::{error, info, warn};

use crate::disconnect::Disconnect;
use crate::logging::{ClientWarnings, left_out};
use crate::metrics::{Label as _, MessageKind, MessageRefusal};
use crate::peer::Peer;
use crate::rate_limit::TokenBucket;
use crate::rooms::{Announce, Room};
use crate::state::{ServerState, SessionSlot};
use crate::websocket::encode_packet_frame;
use crate::world::Seat;

/// The account a client is logged into, as the world needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedInAccount {
    /// Its ID in the database.
    pub id: i64,
    /// The colour chosen at registration.
    pub color: i32,
    /// Its best score as last known to this session (the world's score book may know a
    /// higher one not yet written).
    pub best_score: u64,
}

/// Whether a message with top-level field `number` is a world message (`world_input_rate`
/// applies to it instead of `chat_rate`).
fn is_world_field(number: u32) -> bool {
    matches!(number, 8..=18 | 105..=119)
}

/// What a handler did with a message.
pub enum Step {
    /// Handled.
    Done,
    /// Handled once this future has finished and its completion has been applied.
    Await(Pending),
}

/// What a client is told when a request's handling failed inside the server: nothing more,
/// the log says what.
const UNAVAILABLE: &str = "temporarily unavailable; try again later";

impl Step {
    /// The work the session must still wait for, if any, bounded by `timeout`: past it the
    /// work is dropped and the request refused. A panic in it becomes a refusal too.
    pub fn into_pending(self, timeout: Duration) -> Option<Pending> {
        match self {
            Self::Done => None,
            Self::Await(work) => Some(Box::pin(async move {
                match tokio::time::timeout(timeout, CatchPanic(work)).await {
                    Ok(Ok(completion)) => completion,
                    Ok(Err(panic)) => Box::new(move |client: &mut Client| failed(client, &panic)),
                    Err(_) => Box::new(move |client: &mut Client| timed_out(client, timeout)),
                }
            })),
        }
    }
}

/// Applies a handler's completion to its client; a panic in it becomes a refusal.
pub fn complete(client: &mut Client, completion: Completion) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| completion(client))) {
        failed(client, &panic_message(panic.as_ref()));
    }
}

/// A handler's work, run so that a panic in it ends it with the panic's message instead of
/// unwinding through the session. It is not polled again after that (it ends `Ready`).
struct CatchPanic(Pending);

impl Future for CatchPanic {
    type Output = Result<Completion, String>;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        let work = &mut self.0;
        match catch_unwind(AssertUnwindSafe(|| work.as_mut().poll(context))) {
            Ok(Poll::Ready(completion)) => Poll::Ready(Ok(completion)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => Poll::Ready(Err(panic_message(panic.as_ref()))),
        }
    }
}

/// What a panic said, for the log.
fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with no message".to_owned())
}

/// A request whose handling panicked: refused, counted, logged once.
fn failed(client: &mut Client, panic: &str) {
    client
        .server
        .metrics
        .messages_refused
        .inc(MessageRefusal::Unavailable);
    error!(
        client = client.peer.id.get(),
        "Client {}: handling a request panicked ({panic}); refused it as temporarily \
         unavailable, the session goes on",
        client.peer.id
    );
    client.refuse(UNAVAILABLE);
}

/// A request whose work did not finish within `handler_timeout`.
fn timed_out(client: &mut Client, timeout: Duration) {
    client
        .server
        .metrics
        .messages_refused
        .inc(MessageRefusal::Timeout);
    let id = client.peer.id;
    client.warn(format_args!(
        "Client {id}: a request got no answer within {timeout:?}; refused it"
    ));
    client.refuse(format_args!(
        "no answer within {} s; try again later",
        timeout.as_secs_f64()
    ));
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
    /// The room the client is in; `None` before it has entered one.
    pub room: Option<Arc<Room>>,
    /// The account it logged into; `None` for a guest. Boxed: 24 bytes that every guest's
    /// session would carry, idle or not.
    pub account: Option<Box<LoggedInAccount>>,
    /// Its place in its room's world while it plays (or asks to).
    pub seat: Option<Arc<Seat>>,
    messages: TokenBucket,
    /// World messages: apart from chat's bucket, so steering never costs a chat line.
    world_inputs: TokenBucket,
    joins: TokenBucket,
    /// Joins of the room the client is already in: answers that cost the room's whole member
    /// list and history for a request of a few bytes (see `handlers::rooms`).
    refreshes: TokenBucket,
    /// Member pages: answers of up to `rooms::MEMBER_PAGE_MAX` members for a few bytes.
    member_pages: TokenBucket,
    warnings: ClientWarnings,
    /// What went through the session so far.
    pub stats: SessionStats,
    /// When it connected, in milliseconds of the server's clock: half an `Instant`'s size.
    started_ms: u64,
    /// Set once the session has ended normally; a `Client` dropped without it ended
    /// by panic or abort.
    ended: bool,
    _slot: SessionSlot,
}

impl Client {
    /// A new client: registered with the server (which closes it at once if a shutdown has
    /// begun), in no room yet (see `enter_lobby`).
    pub fn open(peer: Arc<Peer>, server: Arc<ServerState>, slot: SessionSlot) -> Self {
        let config = &server.config;
        let client = Self {
            messages: TokenBucket::full(config.chat_burst, server.now_ms()),
            world_inputs: TokenBucket::full(config.world_input_burst, server.now_ms()),
            account: None,
            seat: None,
            joins: TokenBucket::full(config.join_burst, server.now_ms()),
            refreshes: TokenBucket::full(rooms::REFRESH_BURST, server.now_ms()),
            member_pages: TokenBucket::full(rooms::MEMBER_PAGE_BURST, server.now_ms()),
            room: None,
            warnings: ClientWarnings::default(),
            stats: SessionStats::default(),
            started_ms: server.now_ms(),
            ended: false,
            _slot: slot,
            peer,
            server,
        };
        client.server.metrics.sessions_opened.inc();
        client.server.sessions.register(&client.peer);
        client
    }

    /// Puts the client, in no room, into the lobby, whose members who understand presence
    /// are told.
    pub fn enter_lobby(&mut self) {
        if self.room.is_some() {
            return;
        }
        let lobby = Arc::clone(self.server.rooms.lobby());
        // The lobby has no member limit and is never removed: entering fails only when the
        // server is shutting down, and then the session is closing too.
        if self.server.rooms.enter(&self.peer, &lobby, false).is_ok() {
            self.room = Some(lobby);
        }
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
        let highest = highest_field_number(data);
        if highest.is_some_and(is_world_field) {
            if !self.world_inputs.try_take(
                config.world_input_rate,
                config.world_input_burst,
                self.server.now_ms(),
            ) {
                // Dropped without a word: the tutorial's client never gets an answer to
                // these, and only the last direction before a tick counts anyway.
                metrics.messages_received.inc(MessageKind::RateLimited);
                metrics.messages_refused.inc(MessageRefusal::WorldRate);
                return None;
            }
        } else if !self
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
        if let Some(highest) = highest {
            let level = Level::of_field(highest);
            if level > self.peer.level() {
                match &self.room {
                    Some(room) => room.raise_member_level(&self.peer, level),
                    None => {
                        self.peer.raise_level(level);
                    }
                }
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
        let notice = (!self.server.is_shutting_down() && self.server.config.announce_leaves)
            .then(|| reason.public_summary());
        // Out of the world first: none of its messages about this player follows the
        // room's leave notice.
        world::leave_world(self, world::Leaving::SessionEnded(notice));
        let server = &self.server;
        if let Some(room) = self.room.take() {
            let announce = if server.is_shutting_down() {
                Announce::Nothing
            } else {
                Announce::Presence { notice }
            };
            server.rooms.leave(&self.peer, &room, announce);
        }
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
        let duration_s = server.now_ms().saturating_sub(self.started_ms) as f64 / 1000.0;
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
    world::on_level_rise(client);
    let kind = match packet.msg {
        Some(Msg::Chat(chat)) => return chat::on_chat(client, &chat),
        Some(Msg::EnterWorld(enter)) => return world::on_enter_world(client, enter.extrapolate),
        Some(Msg::LeaveWorld(_)) => return world::on_leave_world(client),
        Some(Msg::PlayerDirection(steer)) => return world::on_direction(client, steer.direction),
        Some(Msg::SporeConsumed(eat)) => {
            return world::on_claim(client, world::spore_claim(eat.spore_id));
        }
        Some(Msg::PlayerConsumed(eat)) => {
            return world::on_claim(client, world::player_claim(eat.player_id));
        }
        Some(Msg::Disconnect(_)) => return world::on_logout(client),
        Some(Msg::HiscoreBoardRequest(_)) => return hiscores::on_board_request(client),
        Some(Msg::SearchHiscore(search)) => return hiscores::on_search(client, &search.name),
        Some(Msg::FinishedBrowsingHiscores(_)) => return hiscores::on_finished(client),
        Some(Msg::JoinRoom(join)) => return rooms::on_join_room(client, &join),
        Some(Msg::RoomListRequest(_)) => return rooms::on_room_list_request(client),
        Some(Msg::MemberListRequest(request)) => {
            return rooms::on_member_list_request(client, &request);
        }
        Some(Msg::LoginRequest(login)) => return accounts::on_login(client, login),
        Some(Msg::RegisterRequest(register)) => return accounts::on_register(client, register),
        Some(Msg::Id(_)) => "IdMessage (only the server assigns IDs)",
        Some(
            Msg::OkResponse(_)
            | Msg::DenyResponse(_)
            | Msg::Room(_)
            | Msg::Presence(_)
            | Msg::RoomList(_)
            | Msg::PresenceBatch(_)
            | Msg::MemberList(_)
            | Msg::Player(_)
            | Msg::Spore(_)
            | Msg::SporesBatch(_)
            | Msg::Hiscore(_)
            | Msg::HiscoreBoard(_)
            | Msg::WorldEntered(_)
            | Msg::WorldLeft(_)
            | Msg::WorldUpdate(_),
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
mod tests {
    use std::net::SocketAddr;

    use mmo_protocol::ClientId;

    use super::*;
    use crate::config::Config;

    #[test]
    fn leaving_during_shutdown_announces_nothing() {
        let server = Arc::new(ServerState::new(Config::default(), 100));
        let address: SocketAddr = "127.0.0.1:1".parse().expect("address");
        // A member the shutdown has not closed yet (it is not in the registry).
        let watcher = server.watcher_in_lobby(1_000);
        let lobby = Arc::clone(server.rooms.lobby());
        let peer = Arc::new(Peer::new(
            ClientId::new(1).expect("one"),
            address,
            1 << 20,
            0,
        ));
        let mut client = Client::open(
            peer,
            Arc::clone(&server),
            server.sessions_slot().expect("a slot"),
        );
        client.enter_lobby();
        let entered = watcher.outbox.take().frames;
        assert_eq!(entered.len(), 1, "the join is announced");
        server.begin_shutdown();
        client.end(&Disconnect::ServerShutdown);
        assert!(watcher.outbox.take().frames.is_empty(), "the leave is not");
        assert_eq!(lobby.member_count(), 1, "but it is gone");
    }
}

#[cfg(test)]
mod completions {
    //! A completion that panics is a refusal, not the end of the session.

    use std::net::SocketAddr;

    use mmo_protocol::{ClientId, Message as _, decode_packet};

    use super::*;
    use crate::config::Config;

    #[test]
    fn a_panicking_completion_is_refused_and_the_client_goes_on() {
        let server = Arc::new(ServerState::new(Config::default(), 100));
        let slot = server.sessions_slot().expect("a slot");
        let address: SocketAddr = "127.0.0.1:1".parse().expect("address");
        let bytes = Config::default().outbound_queue_bytes;
        let peer = Arc::new(Peer::new(ClientId::new(1).expect("one"), address, bytes, 0));
        let mut client = Client::open(Arc::clone(&peer), Arc::clone(&server), slot);
        // A login shows the client understands refusals (there is no account store).
        let login = Packet {
            sender_id: 0,
            msg: Some(Msg::LoginRequest(
                mmo_protocol::LoginRequestMessage::default(),
            )),
        };
        let packet = client.receive(&login.encode_to_vec()).expect("a packet");
        assert!(matches!(dispatch(&mut client, packet), Step::Done));
        let answered = peer.outbox.take();
        peer.outbox.release(
            answered.frames.len(),
            answered.frames.iter().map(bytes::Bytes::len).sum(),
        );
        complete(
            &mut client,
            Box::new(|_: &mut Client| panic!("a bug in a completion")),
        );
        let sent = peer.outbox.take();
        let reasons: Vec<_> = sent
            .frames
            .iter()
            .map(
                |frame| match decode_packet(&frame[2..]).expect("a packet").msg {
                    Some(Msg::DenyResponse(deny)) => deny.reason,
                    other => panic!("expected a refusal, got {other:?}"),
                },
            )
            .collect();
        assert_eq!(reasons, [UNAVAILABLE]);
        client.end(&Disconnect::ConnectionLost);
        assert_eq!(server.sessions.count(), 0);
    }
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
            client.enter_lobby();
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
