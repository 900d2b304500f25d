//! A `ViewDelta` as this project's wire messages (`WorldUpdateMessage`, field 109): sorted,
//! delta-coded IDs and packed `sint32` moves, so a typical tick costs a few bytes per player
//! in view (see docs/protocol.md, "The bandwidth budget").

use mmo_protocol::packets::packet::Msg;
use mmo_protocol::packets::{
    Packet, WorldEat, WorldEnteredMessage, WorldLeaderboard, WorldLeaderboardEntry, WorldOwnState,
    WorldPlayer, WorldSpore, WorldUpdateMessage,
};

use crate::engine::{EntityKey, POSITION_SCALE, PlayerId};
use crate::interest::{Leaderboard, Update, ViewDelta};

/// The message telling a client it plays in `room`'s world as `player` (its updates
/// extrapolated or not).
pub fn entered_packet(room: &str, player: PlayerId, tick_rate: u32, extrapolating: bool) -> Packet {
    Packet {
        sender_id: 0,
        msg: Some(Msg::WorldEntered(WorldEnteredMessage {
            room: room.to_owned(),
            player_id: player.0,
            tick_rate,
            position_scale: POSITION_SCALE,
            extrapolating,
        })),
    }
}

/// IDs in ascending order as the first and then differences (small numbers, short varints),
/// as the wire encoder codes them.
fn delta_coded(ids: impl Iterator<Item = u64>) -> Vec<u64> {
    crate::wire::delta_coded(ids).collect()
}

fn leaderboard_message(board: &Leaderboard) -> WorldLeaderboard {
    WorldLeaderboard {
        entries: board
            .entries
            .iter()
            .map(|entry| WorldLeaderboardEntry {
                player_id: entry.id.0,
                name: entry.name.to_string(),
                score: entry.score,
            })
            .collect(),
        players: board.players,
    }
}

/// The update message for one observer's tick (a world's `Update`, or a hand-built
/// `&ViewDelta`).
pub fn update_message<'a>(update: impl Into<Update<'a>>) -> WorldUpdateMessage {
    // Owned, its moves and entrants listed: the reference encoding reads every field alike.
    let delta: ViewDelta = update.into().to_delta();
    let moved = &delta.moved;
    let ids = delta_coded(moved.iter().map(|moved| moved.id.0));
    let xy = moved
        .iter()
        .flat_map(|moved| [moved.dx, moved.dy])
        .collect();
    // An extrapolating client's moves are velocity changes (fields 13 and 14).
    let ((moved_ids, moved_xy), (velocity_ids, velocity_xy)) = if delta.extrapolated {
        (Default::default(), (ids, xy))
    } else {
        ((ids, xy), Default::default())
    };
    WorldUpdateMessage {
        tick: u32::try_from(delta.tick % (1 << 32)).unwrap_or(0),
        players_left: delta.players_left.iter().map(|id| id.0).collect(),
        spores_left: delta.spores_left.iter().map(|id| id.0).collect(),
        eaten: delta
            .eaten
            .iter()
            .map(|eat| {
                let (player_id, spore_id) = match eat.eaten {
                    EntityKey::Player(id) => (id.0, 0),
                    EntityKey::Spore(id) => (0, id.0),
                };
                WorldEat {
                    eater_id: eat.eater.0,
                    player_id,
                    spore_id,
                }
            })
            .collect(),
        players_entered: delta
            .players_entered
            .iter()
            .map(|player| {
                // Only an extrapolating client is told entrants' velocities.
                let (vx, vy) = if delta.extrapolated {
                    player.velocity
                } else {
                    (0, 0)
                };
                WorldPlayer {
                    id: player.id.0,
                    name: player.name.to_string(),
                    x: player.at.x,
                    y: player.at.y,
                    radius: player.at.radius,
                    color: player.color,
                    vx,
                    vy,
                }
            })
            .collect(),
        spores_entered: delta
            .spores_entered
            .iter()
            .map(|spore| WorldSpore {
                id: spore.id.0,
                x: spore.at.x,
                y: spore.at.y,
                radius: spore.at.radius,
            })
            .collect(),
        moved_ids,
        moved_xy,
        resized_ids: delta_coded(delta.resized.iter().map(|(id, _)| id.0)),
        resized_radii: delta.resized.iter().map(|&(_, radius)| radius).collect(),
        velocity_ids,
        velocity_xy,
        own: delta.own.map(|own| WorldOwnState {
            score: own.score,
            best_score: own.best_score,
            view_half_width: own.view_half_width,
            view_half_height: own.view_half_height,
        }),
        leaderboard: delta.leaderboard.as_deref().map(leaderboard_message),
    }
}

/// The update as the `Packet` a client gets.
pub fn update_packet<'a>(update: impl Into<Update<'a>>) -> Packet {
    Packet {
        sender_id: 0,
        msg: Some(Msg::WorldUpdate(Box::new(update_message(update)))),
    }
}

/// Undoes `delta_coded` (what a client does with `moved_ids` and `resized_ids`).
pub fn decode_ids(coded: &[u64]) -> Vec<u64> {
    let mut previous = 0u64;
    coded
        .iter()
        .map(|gap| {
            previous = previous.wrapping_add(*gap);
            previous
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interest::Move;
    use mmo_protocol::Message as _;

    #[test]
    fn ids_are_delta_coded_and_moves_packed_small() {
        let delta = ViewDelta {
            tick: (1 << 32) + 5,
            moved: vec![
                Move {
                    id: PlayerId(1_000),
                    dx: 60,
                    dy: -60,
                },
                Move {
                    id: PlayerId(1_010),
                    dx: 0,
                    dy: 3,
                },
            ],
            ..ViewDelta::default()
        };
        let message = update_message(&delta);
        assert_eq!(message.tick, 5);
        assert_eq!(message.moved_ids, [1_000, 10]);
        assert_eq!(decode_ids(&message.moved_ids), [1_000, 1_010]);
        assert_eq!(message.moved_xy, [60, -60, 0, 3]);
        // tick 2, moved_ids key+len+2+1, moved_xy key+len+4 one-byte zigzags.
        assert_eq!(message.encoded_len(), 2 + 5 + 6);
    }
}
