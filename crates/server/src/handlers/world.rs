//! The world's messages: this project's clients enter with `EnterWorldMessage` (105) and
//! leave with `LeaveWorldMessage` (107); the tutorial's client enters at its login and leaves
//! with its `DisconnectMessage{"logged out"}` (19); both steer with `PlayerDirectionMessage`
//! (9); the tutorial's client also claims eats (11, 13), which the world checks. The world
//! itself runs on its own thread (`crate::world`); these only hand it inputs.

use std::sync::Arc;

use mmo_protocol::packets::WorldLeftMessage;
use mmo_protocol::{Level, Msg, Packet};
use mmo_world::{Appearance, Claim, Decider, Entry, PlayerId, SporeId};

use super::{Client, Step};
use crate::metrics::MessageRefusal;
use crate::websocket::encode_packet_frame;
use crate::world::{Audience, Seat, guest_color};

/// `WorldLeftMessage.reason` when the client changed rooms.
pub const CHANGED_ROOMS: &str = "changed rooms";

/// What the tutorial's clients in a world are told when one of them logs out (its client
/// sends "logged out"; the server says it in its own words, never the client's).
const LOGGED_OUT: &str = "logged out";

/// Why a client leaves its world, and who is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaving {
    /// It asked (`LeaveWorldMessage`): `WorldLeftMessage{""}`.
    Asked,
    /// It is moving to another room: `WorldLeftMessage{"changed rooms"}`; its old room tells
    /// the tutorial's clients.
    ChangedRooms,
    /// The tutorial's client logged out: the tutorial's clients in the world are told.
    LoggedOut,
    /// It showed it is one of this project's clients while playing as the tutorial's: out of
    /// that game, without a word to it; the tutorial's clients in the world see it go.
    BecameOurs,
    /// Its session is ending: its room tells the others, with this leave notice for the
    /// tutorial's clients (`None`: no notice, as the room sends none).
    SessionEnded(Option<&'static str>),
}

/// Takes the client out of its world, if it is in one (or asking to be).
pub fn leave_world(client: &mut Client, leaving: Leaving) {
    let Some(seat) = client.seat.take() else {
        return;
    };
    if let Some(account) = client.account.as_mut() {
        account.best_score = account.best_score.max(seat.best_score());
    }
    let answer_anyway = leaving == Leaving::Asked && seat.audience == Audience::Ours;
    let farewell = match leaving {
        Leaving::Asked => Some(""),
        Leaving::ChangedRooms => Some(CHANGED_ROOMS),
        Leaving::LoggedOut | Leaving::BecameOurs | Leaving::SessionEnded(_) => None,
    }
    .filter(|_| seat.audience == Audience::Ours)
    .map(|reason| {
        encode_packet_frame(&Packet {
            sender_id: 0,
            msg: Some(Msg::WorldLeft(WorldLeftMessage {
                reason: reason.to_owned(),
            })),
        })
    });
    // A player leaving its room is told to the tutorial's clients by the room's leave notice,
    // except in a big room, which sends none: there the world tells its players, or their
    // clients would keep the leaver's actor.
    let room_tells = client
        .room
        .as_ref()
        .is_none_or(|room| room.sends_leave_notices());
    let announce = match leaving {
        Leaving::LoggedOut => Some(LOGGED_OUT),
        Leaving::Asked | Leaving::BecameOurs => Some(""),
        Leaving::ChangedRooms => (!room_tells).then_some(""),
        Leaving::SessionEnded(notice) => notice.filter(|_| !room_tells),
    };
    if !seat.leave(farewell, announce) && answer_anyway {
        // Refused by the world meanwhile: `LeaveWorldMessage` is answered all the same.
        send_world_left(client);
    }
}

fn send_world_left(client: &mut Client) {
    client.send(&Packet {
        sender_id: 0,
        msg: Some(Msg::WorldLeft(WorldLeftMessage::default())),
    });
}

/// Puts the client into the world of its room as `audience`; the world answers it at its
/// next tick (`WorldEnteredMessage` or the tutorial's own `PlayerMessage`, or a refusal).
fn enter_world(client: &mut Client, audience: Audience, extrapolate: bool) {
    let Some(room) = client.room.clone() else {
        client.refuse("you are not in a room yet");
        return;
    };
    let peer = Arc::clone(&client.peer);
    let id = peer.id.get();
    let (account, color, best) = match &client.account {
        Some(account) => {
            let unwritten = client
                .server
                .worlds
                .scores
                .unwritten(account.id)
                .unwrap_or(0);
            let color = if account.color == 0 {
                guest_color(id)
            } else {
                account.color
            };
            (Some(account.id), color, account.best_score.max(unwritten))
        }
        None => (None, guest_color(id), 0),
    };
    let entry = Entry {
        appearance: Arc::new(Appearance {
            name: peer.name(),
            color,
        }),
        best_score: best,
        decider: match audience {
            Audience::Ours => Decider::Server,
            Audience::Tutorial => Decider::ClientClaims,
        },
    };
    let server = Arc::clone(&client.server);
    match server.worlds.enter(
        room.name(),
        |world| Arc::new(Seat::new(peer, audience, extrapolate, account, world, best)),
        entry,
    ) {
        Ok(seat) => client.seat = Some(seat),
        Err(refusal) => client.refuse(refusal),
    }
}

/// `EnterWorldMessage`: this project's client asks to play in its room's world (its updates
/// extrapolated when it asks, `extrapolate`).
pub fn on_enter_world(client: &mut Client, extrapolate: bool) -> Step {
    if client.seat.as_ref().is_some_and(|seat| !seat.is_left()) {
        client.refuse("you are already playing in this world");
        return Step::Done;
    }
    client.seat = None;
    enter_world(client, Audience::Ours, extrapolate);
    Step::Done
}

/// `LeaveWorldMessage`: answered with `WorldLeftMessage{""}`, in a world or not.
pub fn on_leave_world(client: &mut Client) -> Step {
    if client.seat.is_some() {
        leave_world(client, Leaving::Asked);
    } else {
        send_world_left(client);
    }
    Step::Done
}

/// A tutorial-level client has logged in: as the tutorial's server did, it enters the game
/// (its client switched to its game scene on the `OkResponseMessage` just sent).
pub fn enter_after_login(client: &mut Client) {
    if client.peer.level() == Level::Tutorial && client.seat.is_none() {
        enter_world(client, Audience::Tutorial, false);
    }
}

/// A client that played as the tutorial's has shown it is one of ours: it leaves that game.
pub fn on_level_rise(client: &mut Client) {
    if client.peer.level() == Level::Full
        && client
            .seat
            .as_ref()
            .is_some_and(|seat| seat.audience == Audience::Tutorial)
    {
        leave_world(client, Leaving::BecameOurs);
    }
}

/// `PlayerDirectionMessage`: steers the client's player; a direction that is not finite is
/// ignored.
pub fn on_direction(client: &mut Client, direction: f64) -> Step {
    match &client.seat {
        // Dropped here, not at the tick: it must not replace a good direction sent just
        // before it in the same tick.
        Some(_) if !direction.is_finite() => client
            .server
            .metrics
            .messages_refused
            .inc(MessageRefusal::WorldIgnored),
        Some(seat) => seat.world.steer(player_of(client), direction),
        None => {}
    }
    Step::Done
}

/// `SporeConsumedMessage` / `PlayerConsumedMessage`: a tutorial client's claim, checked by the
/// world; a refused one gets no answer, as in the tutorial. This project's clients' claims
/// mean nothing (the server decides their eats) and are not even handed over.
pub fn on_claim(client: &mut Client, claim: Claim) -> Step {
    let player = player_of(client);
    let handed = client
        .seat
        .as_ref()
        .is_some_and(|seat| seat.audience == Audience::Tutorial && seat.world.claim(player, claim));
    if !handed {
        client
            .server
            .metrics
            .messages_refused
            .inc(MessageRefusal::WorldIgnored);
    }
    Step::Done
}

/// A claim to have eaten spore `id`.
pub fn spore_claim(id: u64) -> Claim {
    Claim::Spore(SporeId(id))
}

/// A claim to have eaten player `id`.
pub fn player_claim(id: u64) -> Claim {
    Claim::Player(PlayerId(id))
}

/// `DisconnectMessage` from a client: the tutorial's client logging out of the game. It
/// leaves the world (the tutorial's clients there are told), its login ends, and it gets its
/// `IdMessage` again, as the tutorial's server sent on entering its "connected" state.
pub fn on_logout(client: &mut Client) -> Step {
    let in_tutorial_game = client
        .seat
        .as_ref()
        .is_some_and(|seat| seat.audience == Audience::Tutorial);
    if in_tutorial_game {
        leave_world(client, Leaving::LoggedOut);
        // Back at its login screen, where its server took a login or registration again.
        super::accounts::log_out(client);
        let id = client.peer.id;
        client.send(&Packet::id_assignment(id));
    } else {
        let id = client.peer.id;
        client.warn(format_args!(
            "Client {id}: ignoring a DisconnectMessage from a client not in the tutorial's game"
        ));
    }
    Step::Done
}

fn player_of(client: &Client) -> PlayerId {
    PlayerId(client.peer.id.get())
}
