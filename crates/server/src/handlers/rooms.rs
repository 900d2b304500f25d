//! `JoinRoomMessage` (field 100) and `RoomListRequestMessage` (103): moving between rooms and
//! listing them.

use std::sync::Arc;

use mmo_protocol::{JoinRoomMessage, Msg, Packet, RoomListMessage, room_name};

use super::{Client, Step};
use crate::metrics::MessageRefusal;
use crate::rooms::JoinRefusal;

/// Refreshes (joining the room the client is in, to get its `RoomMessage` again) a client may
/// make in a row: enough for a client that joins the lobby it starts in and refreshes once or
/// twice by hand.
pub const REFRESH_BURST: u32 = 3;

/// Refreshes a client may make per second after its burst: one every ten seconds. A refresh
/// is answered with up to the room's whole member list and history (tens of kilobytes) for a
/// request of a few bytes, so a crowd refreshing at the join rate could pull tens of
/// megabytes a second out of the server.
pub const REFRESH_RATE: f64 = 0.1;

/// Moves the client to the room it asks for and answers with that room's `RoomMessage`; a
/// bad name, a full room, too many rooms or too many joins are refused and it stays put.
pub fn on_join_room(client: &mut Client, join: &JoinRoomMessage) -> Step {
    let metrics = &client.server.metrics;
    let name = match room_name(&join.room, client.server.config.max_room_name_chars) {
        Ok(name) => name,
        Err(bad) => {
            metrics.messages_refused.inc(MessageRefusal::JoinBadName);
            client.refuse(bad);
            return Step::Done;
        }
    };
    let config = &client.server.config;
    if !client
        .joins
        .try_take(config.join_rate, config.join_burst, client.server.now_ms())
    {
        metrics.messages_refused.inc(MessageRefusal::JoinRate);
        let reason = format!(
            "joining rooms too fast: at most {} per second",
            client.server.config.join_rate
        );
        client.refuse(reason);
        return Step::Done;
    }
    let Some(from) = client.room.clone() else {
        client.refuse("you are not in a room yet");
        return Step::Done;
    };
    if name == from.name()
        && !client
            .refreshes
            .try_take(REFRESH_RATE, REFRESH_BURST, client.server.now_ms())
    {
        metrics.messages_refused.inc(MessageRefusal::JoinRate);
        client.refuse(format!(
            "you are already in room \"{name}\"; its member list can be asked for again once every {} seconds",
            1.0 / REFRESH_RATE
        ));
        return Step::Done;
    }
    if name != from.name() {
        // The world is the room's: leaving the room leaves it, before the new room's answer.
        super::world::leave_world(client, super::world::Leaving::ChangedRooms);
    }
    match client.server.rooms.move_member(&client.peer, &from, name) {
        Ok(room) => {
            if !Arc::ptr_eq(&room, &from) {
                client.server.metrics.joins.inc();
            }
            client.room = Some(room);
        }
        Err(refusal) => {
            let kind = match refusal {
                JoinRefusal::Full { .. } => MessageRefusal::RoomFull,
                JoinRefusal::TooManyRooms { .. } => MessageRefusal::TooManyRooms,
                JoinRefusal::ShuttingDown => MessageRefusal::ShuttingDown,
                JoinRefusal::TooManyRoomsFromAddress { .. } => MessageRefusal::RoomsPerAddress,
            };
            client.server.metrics.messages_refused.inc(kind);
            client.refuse(refusal);
        }
    }
    Step::Done
}

/// Answers with every room that has members.
pub fn on_room_list_request(client: &mut Client) -> Step {
    let rooms = client.server.rooms.list(client.server.config.room_list_max);
    client.send(&Packet {
        sender_id: 0,
        msg: Some(Msg::RoomList(RoomListMessage { rooms })),
    });
    Step::Done
}
