//! `JoinRoomMessage` (field 100) and `RoomListRequestMessage` (103): moving between rooms and
//! listing them.

use std::time::Instant;

use mmo_protocol::{JoinRoomMessage, Msg, Packet, RoomListMessage, room_name};

use super::{Client, Step};
use crate::metrics::Metrics;

/// Moves the client to the room it asks for and answers with that room's `RoomMessage`; a
/// bad name, a full room, too many rooms or too many joins are refused and it stays put.
pub fn on_join_room(client: &mut Client, join: &JoinRoomMessage) -> Step {
    let metrics = &client.server.metrics;
    let name = match room_name(&join.room, client.server.config.max_room_name_chars) {
        Ok(name) => name,
        Err(bad) => {
            Metrics::bump(&metrics.joins_refused);
            client.refuse(bad);
            return Step::Done;
        }
    };
    if !client.joins.try_take(Instant::now()) {
        Metrics::bump(&metrics.joins_refused);
        let reason = format!(
            "joining rooms too fast: at most {} per second",
            client.server.config.join_rate
        );
        client.refuse(reason);
        return Step::Done;
    }
    if name == client.room.name() {
        // Already there: the answer alone, so a client can refresh its member list.
        client.room.answer(&client.peer);
        return Step::Done;
    }
    match client
        .server
        .rooms
        .move_member(&client.peer, &client.room, name)
    {
        Ok(room) => {
            Metrics::bump(&client.server.metrics.joins);
            client.room = room;
        }
        Err(refusal) => {
            Metrics::bump(&client.server.metrics.joins_refused);
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
