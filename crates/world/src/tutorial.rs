//! The world in the tutorial's own messages (fields 8–13), for tutorial-level clients, which
//! are told about everything: every player's `PlayerMessage` each tick, all spores in batches
//! of 20, and the world's events. Only real spores are sent (no ID 0, no empty entries), each
//! packet exactly once encoded.

use mmo_protocol::packets::packet::Msg;
use mmo_protocol::packets::{
    Packet, PlayerConsumedMessage, PlayerMessage, SporeConsumedMessage, SporeMessage,
    SporesBatchMessage,
};

use crate::engine::{Engine, Entity, EntityKey, Event, PlayerId};

/// Spores per `SporesBatchMessage`, as the tutorial sent them (a batch stays far below the
/// 64 KiB a Godot client takes in one frame: 20 × 40 bytes).
pub const SPORES_PER_BATCH: usize = 20;

/// A player's state as the tutorial's client reads it, from the player itself
/// (`Packet.sender_id` = its ID). `None` for anything that is not a player.
pub fn player_packet(entity: &Entity, direction: f64, speed: f64) -> Option<Packet> {
    let EntityKey::Player(id) = entity.key else {
        return None;
    };
    let (name, color) = entity
        .appearance
        .as_ref()
        .map_or((String::new(), 0), |look| {
            (look.name.to_string(), look.color)
        });
    Some(Packet {
        sender_id: id.0,
        msg: Some(Msg::Player(PlayerMessage {
            id: id.0,
            name,
            x: entity.pos.x,
            y: entity.pos.y,
            radius: entity.radius,
            direction,
            speed,
            color,
        })),
    })
}

fn spore_message(entity: &Entity) -> Option<SporeMessage> {
    let EntityKey::Spore(id) = entity.key else {
        return None;
    };
    Some(SporeMessage {
        id: id.0,
        x: entity.pos.x,
        y: entity.pos.y,
        radius: entity.radius,
    })
}

/// Every spore in the world, in batches of `SPORES_PER_BATCH`, addressed to `recipient`.
pub fn spore_batches(engine: &Engine, recipient: PlayerId) -> Vec<Packet> {
    let spores: Vec<SporeMessage> = engine.entities().filter_map(spore_message).collect();
    spores
        .chunks(SPORES_PER_BATCH)
        .map(|chunk| Packet {
            sender_id: recipient.0,
            msg: Some(Msg::SporesBatch(SporesBatchMessage {
                spores: chunk.to_vec(),
            })),
        })
        .collect()
}

/// What a tutorial-level client is sent for `event`, if anything. Call it when the event is
/// taken (after the tick that logged it): a spore that was dropped and eaten within one tick
/// is not announced, so its eating, which names a spore the client never had, is ignored by
/// the client as the tutorial's did.
pub fn event_packet(engine: &Engine, event: &Event) -> Option<Packet> {
    match *event {
        Event::SporeSpawned { spore, dropped_by } => {
            let message = spore_message(engine.get(EntityKey::Spore(spore))?)?;
            Some(Packet {
                sender_id: dropped_by.map_or(0, |by| by.0),
                msg: Some(Msg::Spore(message)),
            })
        }
        Event::SporeEaten { spore, eater } => Some(Packet {
            sender_id: eater.0,
            msg: Some(Msg::SporeConsumed(SporeConsumedMessage {
                spore_id: spore.0,
            })),
        }),
        Event::PlayerEaten { victim, eater } => Some(Packet {
            sender_id: eater.0,
            msg: Some(Msg::PlayerConsumed(PlayerConsumedMessage {
                player_id: victim.0,
            })),
        }),
        // Players appear through their `PlayerMessage`s and leave with the session's
        // `DisconnectMessage`.
        Event::PlayerSpawned(_) | Event::PlayerLeft(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;

    use super::*;
    use crate::engine::{Appearance, SporeId};
    use crate::geom::Vec2;
    use crate::radius_rumble::{RadiusRumble, SPEED};
    use crate::rules::Rules;

    #[test]
    fn spores_go_in_batches_of_twenty_without_id_zero_or_empty_entries() {
        let mut engine = Engine::new(5);
        RadiusRumble::new(1).populate(&mut engine);
        let batches = spore_batches(&engine, PlayerId(9));
        assert_eq!(batches.len(), 50);
        let mut seen = HashSet::new();
        for batch in &batches {
            assert_eq!(batch.sender_id, 9);
            let Some(Msg::SporesBatch(spores)) = &batch.msg else {
                panic!("not a batch");
            };
            assert!(spores.spores.len() <= SPORES_PER_BATCH);
            for spore in &spores.spores {
                assert!(spore.id != 0 && spore.radius >= 5.0);
                assert!(seen.insert(spore.id), "spore {} twice", spore.id);
            }
        }
        assert_eq!(seen.len(), 1_000);
    }

    #[test]
    fn players_and_events_read_as_the_tutorials_messages() {
        let mut engine = Engine::new(1);
        let look = Arc::new(Appearance {
            name: "ann".into(),
            color: -1,
        });
        let key = EntityKey::Player(PlayerId(3));
        engine
            .spawn(key, Vec2::new(1.5, -2.0), 20.0, Some(look))
            .expect("spawns");
        let packet = player_packet(engine.get(key).expect("there"), 0.5, SPEED).expect("player");
        assert_eq!(packet.sender_id, 3);
        let Some(Msg::Player(player)) = packet.msg else {
            panic!("not a player");
        };
        assert_eq!(
            (player.id, player.name.as_str(), player.color),
            (3, "ann", -1)
        );
        assert_eq!((player.x, player.y, player.radius), (1.5, -2.0, 20.0));
        assert_eq!((player.direction, player.speed), (0.5, 150.0));

        let spore = EntityKey::Spore(SporeId(7));
        engine
            .spawn(spore, Vec2::new(4.0, 4.0), 6.0, None)
            .expect("spawns");
        let dropped = Event::SporeSpawned {
            spore: SporeId(7),
            dropped_by: Some(PlayerId(3)),
        };
        let packet = event_packet(&engine, &dropped).expect("announced");
        assert_eq!(packet.sender_id, 3);
        assert!(matches!(
            packet.msg,
            Some(Msg::Spore(SporeMessage { id: 7, .. }))
        ));
        let eaten = Event::SporeEaten {
            spore: SporeId(7),
            eater: PlayerId(3),
        };
        let packet = event_packet(&engine, &eaten).expect("told");
        assert_eq!(packet.sender_id, 3);
        assert!(matches!(
            packet.msg,
            Some(Msg::SporeConsumed(SporeConsumedMessage { spore_id: 7 }))
        ));
        engine.remove(spore, crate::engine::Removal::EatenBy(PlayerId(3)));
        assert_eq!(
            event_packet(&engine, &dropped),
            None,
            "gone before it was told"
        );
        let victim = Event::PlayerEaten {
            victim: PlayerId(4),
            eater: PlayerId(3),
        };
        let packet = event_packet(&engine, &victim).expect("told");
        assert!(matches!(
            packet.msg,
            Some(Msg::PlayerConsumed(PlayerConsumedMessage { player_id: 4 }))
        ));
        assert_eq!(event_packet(&engine, &Event::PlayerLeft(PlayerId(3))), None);
    }
}
