//! Worlds played across servers: the seams through which a cluster (`crate::cluster`) places a
//! room's world on one server and lets clients of the others play in it. `Placement` says
//! where a room's world runs; a `RemoteWorld` carries a client's inputs to the server running
//! it; a `TickListener` hears each tick of a world run here, so that what its tick queued for
//! the clients of other servers (in their proxies' outboxes) goes out at once, one message
//! per server. A seat on the client's own server follows the world's seat (`deliver`), so the
//! client is told exactly what it would be told by a world of its own server, in order.

use std::fmt::Debug;
use std::sync::Arc;

use bytes::Bytes;
use mmo_protocol::packets::WorldLeftMessage;
use mmo_protocol::{Msg, Packet};
use mmo_world::{Claim, Entry, PlayerId};

use super::{Audience, EnterRefusal, Seat, SeatState};
use crate::outbox::Frames;
use crate::websocket::encode_packet_frame;

/// Where a room's world runs.
#[derive(Debug)]
pub enum Placed {
    /// On this server.
    Here,
    /// On another server, reached through this link.
    There(Arc<dyn RemoteWorld>),
}

/// Decides where each room's world runs (a cluster's lease on it).
pub trait Placement: Send + Sync + Debug {
    /// Where the world of `room` runs, taking it here if nobody runs it; blocking (a round
    /// trip to the broker at most): call it where a session may wait.
    fn place(&self, room: &str) -> Result<Placed, EnterRefusal>;
}

/// A world run by another server, as the clients of this one reach it.
pub trait RemoteWorld: Send + Sync + Debug {
    /// Asks the world to take `seat`'s player with `entry`; `false` when it cannot be asked.
    fn enter(&self, seat: &Arc<Seat>, entry: &Entry) -> bool;
    /// `player` steers towards `direction`.
    fn steer(&self, player: PlayerId, direction: f64);
    /// A tutorial-level client's claim; `false` when it cannot be handed over.
    fn claim(&self, player: PlayerId, claim: Claim) -> bool;
    /// `seat` has left (its client was told here); the world takes it out, announcing
    /// `announce` to the tutorial's clients there.
    fn depart(&self, seat: &Arc<Seat>, announce: Option<&'static str>);
}

/// Hears each tick of a world run here, after its messages were queued.
pub trait TickListener: Send + Sync + Debug {
    /// The world of `room` has just sent its tick's messages.
    fn ticked(&self, room: &str);
}

/// What became of a seat, as its world's server tells the client's server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatNews {
    /// Still waiting to enter.
    Entering,
    /// In the world.
    Seated,
    /// Refused, or taken out by the world.
    Left,
}

/// What a seat on the world's server is now.
pub fn news_of(seat: &Seat) -> SeatNews {
    match *seat.lock() {
        SeatState::Entering => SeatNews::Entering,
        SeatState::Seated => SeatNews::Seated,
        SeatState::Left => SeatNews::Left,
    }
}

/// Takes what a proxy's outbox holds (a remote client's frames, queued by the world here)
/// and whether it is closing (it fell too far behind), freeing its room for more.
pub fn drain(seat: &Seat) -> (Vec<Bytes>, bool) {
    let mut frames = Frames::default();
    let closing = seat.peer.outbox.take_into(&mut frames).is_some();
    let taken = frames.into_queue();
    let bytes = taken.iter().map(Bytes::len).sum();
    seat.peer.outbox.release(taken.len(), bytes);
    (taken.into(), closing)
}

/// The world's server told the client's server what became of the client's seat there, with
/// the frames the world sent it since: they go to the client under its seat's lock, in the
/// order the world sent them, unless the client left meanwhile; then the seat is as the
/// world's. Returns whether the seat is left now.
pub fn deliver(seat: &Seat, frames: Vec<Bytes>, news: SeatNews, best: u64) -> bool {
    seat.note_best(best);
    let mut state = seat.lock();
    if *state == SeatState::Left {
        return true;
    }
    for frame in frames {
        // A full outbox: the client is being closed as too slow; its leave follows.
        let _ = seat.peer.send(frame);
    }
    match news {
        SeatNews::Entering => {}
        SeatNews::Seated => *state = SeatState::Seated,
        SeatNews::Left => *state = SeatState::Left,
    }
    *state == SeatState::Left
}

/// The world's server went away under the seat: this project's clients get
/// `WorldLeftMessage{reason}` (they may enter again, into a world that starts afresh on a
/// server still there); the tutorial's clients, which have no such message, are told by
/// their server closing their connection: their client goes back to its login. Nothing of
/// the old world reaches the client after this.
pub fn lose(seat: &Seat, reason: &str) {
    let mut state = seat.lock();
    if *state == SeatState::Left {
        return;
    }
    *state = SeatState::Left;
    match seat.audience {
        Audience::Ours => {
            let _ = seat.peer.send(encode_packet_frame(&Packet {
                sender_id: 0,
                msg: Some(Msg::WorldLeft(WorldLeftMessage {
                    reason: reason.to_owned(),
                })),
            }));
        }
        Audience::Tutorial => seat
            .peer
            .outbox
            .close(crate::disconnect::Disconnect::ServerShutdown),
    }
}
