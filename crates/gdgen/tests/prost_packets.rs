//! The mirror of the generated `godot/packets.gd` against the server's own prost types
//! (`mmo-protocol`, built from the same `proto/`): the bytes a Godot client sends and reads.

#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

mod common;

use common::Rng;
use mmo_gdgen::mirror::{self, MessageValue, Value};
use mmo_gdgen::plan::Schema;
use mmo_protocol::packets::packet::Msg;
use mmo_protocol::packets::{
    ChatLine, EnterWorldMessage, FinishedBrowsingHiscoresMessage, HiscoreBoardMessage,
    HiscoreBoardRequestMessage, HiscoreMessage, JoinRoomMessage, LeaveWorldMessage,
    LoginRequestMessage, Member, MemberListMessage, MemberListRequestMessage, OkResponseMessage,
    PlayerConsumedMessage, PlayerDirectionMessage, PlayerMessage, PresenceBatchMessage,
    PresenceMessage, RegisterRequestMessage, RoomInfo, RoomListMessage, RoomListRequestMessage,
    RoomMessage, SearchHiscoreMessage, SporeConsumedMessage, SporeMessage, SporesBatchMessage,
    WorldEat, WorldEnteredMessage, WorldLeaderboard, WorldLeaderboardEntry, WorldLeftMessage,
    WorldOwnState, WorldPlayer, WorldSpore, WorldUpdateMessage,
};
use mmo_protocol::{
    ChatMessage, DenyResponseMessage, DisconnectMessage, IdMessage, Message as _, Packet,
};

fn schema() -> Schema {
    Schema::load(&mmo_gdgen::workspace_root().join("proto"), "proto").unwrap()
}

/// A message of `class_path` with the given fields set through the generated setters.
fn message(schema: &Schema, class_path: &str, fields: Vec<(u32, Value)>) -> MessageValue {
    let plan = schema.message(class_path).unwrap();
    let mut message = MessageValue::new(class_path);
    for (number, value) in fields {
        message.set(plan, number, value);
    }
    message
}

fn text(value: &str) -> Value {
    Value::Str(value.to_owned())
}

fn list(schema: &Schema, class_path: &str, items: Vec<Vec<(u32, Value)>>) -> Value {
    Value::List(
        items
            .into_iter()
            .map(|fields| Value::Message(message(schema, class_path, fields)))
            .collect(),
    )
}

/// The prost packet as the GDScript object the client would hold after `from_bytes`.
fn to_mirror(schema: &Schema, packet: &Packet) -> MessageValue {
    let (number, class_path, fields) = match &packet.msg {
        None => {
            return message(
                schema,
                "Packet",
                vec![(1, Value::Int(packet.sender_id as i64))],
            );
        }
        Some(Msg::Chat(chat)) => (2, "ChatMessage", vec![(1, text(&chat.msg))]),
        Some(Msg::Id(id)) => (3, "IdMessage", vec![(1, Value::Int(id.id as i64))]),
        Some(Msg::LoginRequest(login)) => (
            4,
            "LoginRequestMessage",
            vec![(1, text(&login.username)), (2, text(&login.password))],
        ),
        Some(Msg::RegisterRequest(register)) => (
            5,
            "RegisterRequestMessage",
            vec![
                (1, text(&register.username)),
                (2, text(&register.password)),
                (3, Value::Int(i64::from(register.color))),
            ],
        ),
        Some(Msg::OkResponse(_)) => (6, "OkResponseMessage", vec![]),
        Some(Msg::DenyResponse(deny)) => (7, "DenyResponseMessage", vec![(1, text(&deny.reason))]),
        Some(Msg::Disconnect(gone)) => (19, "DisconnectMessage", vec![(1, text(&gone.reason))]),
        Some(Msg::JoinRoom(join)) => (100, "JoinRoomMessage", vec![(1, text(&join.room))]),
        Some(Msg::Room(room)) => {
            let members = room
                .members
                .iter()
                .map(|member| vec![(1, Value::Int(member.id as i64)), (2, text(&member.name))])
                .collect();
            let history = room
                .history
                .iter()
                .map(|line| {
                    vec![
                        (1, Value::Int(line.sender_id as i64)),
                        (2, text(&line.msg)),
                        (3, Value::Int(line.sent_at_ms)),
                        (4, text(&line.sender_name)),
                    ]
                })
                .collect();
            (
                101,
                "RoomMessage",
                vec![
                    (1, text(&room.room)),
                    (2, list(schema, "Member", members)),
                    (3, list(schema, "ChatLine", history)),
                    (4, Value::Int(i64::from(room.member_count))),
                    (5, Value::Bool(room.members_partial)),
                ],
            )
        }
        Some(Msg::PresenceBatch(batch)) => (
            120,
            "PresenceBatchMessage",
            vec![
                (1, text(&batch.room)),
                (2, list(schema, "Member", member_fields(&batch.joined))),
                (
                    3,
                    ints(&batch.left.iter().map(|id| *id as i64).collect::<Vec<_>>()),
                ),
                (4, Value::Int(i64::from(batch.members))),
            ],
        ),
        Some(Msg::MemberListRequest(request)) => (
            121,
            "MemberListRequestMessage",
            vec![
                (1, text(&request.room)),
                (2, int(request.after_id)),
                (3, Value::Int(i64::from(request.limit))),
            ],
        ),
        Some(Msg::MemberList(page)) => (
            122,
            "MemberListMessage",
            vec![
                (1, text(&page.room)),
                (2, list(schema, "Member", member_fields(&page.members))),
                (3, int(page.next_after_id)),
                (4, Value::Bool(page.complete)),
                (5, Value::Int(i64::from(page.total))),
            ],
        ),
        Some(Msg::Presence(presence)) => (
            102,
            "PresenceMessage",
            vec![
                (1, Value::Bool(presence.joined)),
                (2, text(&presence.room)),
                (3, text(&presence.name)),
            ],
        ),
        Some(Msg::RoomListRequest(_)) => (103, "RoomListRequestMessage", vec![]),
        Some(Msg::RoomList(rooms)) => {
            let rooms = rooms
                .rooms
                .iter()
                .map(|room| {
                    vec![
                        (1, text(&room.name)),
                        (2, Value::Int(i64::from(room.members))),
                    ]
                })
                .collect();
            (
                104,
                "RoomListMessage",
                vec![(1, list(schema, "RoomInfo", rooms))],
            )
        }
        Some(msg) => world_to_mirror(schema, msg),
    };
    let inner = message(schema, class_path, fields);
    message(
        schema,
        "Packet",
        vec![
            (1, Value::Int(packet.sender_id as i64)),
            (number, Value::Message(inner)),
        ],
    )
}

fn member_fields(members: &[Member]) -> Vec<Vec<(u32, Value)>> {
    members
        .iter()
        .map(|member| vec![(1, int(member.id)), (2, text(&member.name))])
        .collect()
}

fn int(value: u64) -> Value {
    Value::Int(value as i64)
}

fn ints<T: Copy + Into<i64>>(values: &[T]) -> Value {
    Value::List(
        values
            .iter()
            .map(|value| Value::Int((*value).into()))
            .collect(),
    )
}

fn uints(values: &[u64]) -> Value {
    Value::List(values.iter().map(|value| int(*value)).collect())
}

fn spore_fields(spore: &SporeMessage) -> Vec<(u32, Value)> {
    vec![
        (1, int(spore.id)),
        (2, Value::Float(spore.x)),
        (3, Value::Float(spore.y)),
        (4, Value::Float(spore.radius)),
    ]
}

/// The world's messages (fields 8-18 and 105-109) as mirror fields.
fn world_to_mirror(schema: &Schema, msg: &Msg) -> (u32, &'static str, Vec<(u32, Value)>) {
    match msg {
        Msg::Player(player) => (
            8,
            "PlayerMessage",
            vec![
                (1, int(player.id)),
                (2, text(&player.name)),
                (3, Value::Float(player.x)),
                (4, Value::Float(player.y)),
                (5, Value::Float(player.radius)),
                (6, Value::Float(player.direction)),
                (7, Value::Float(player.speed)),
                (8, Value::Int(i64::from(player.color))),
            ],
        ),
        Msg::PlayerDirection(steer) => (
            9,
            "PlayerDirectionMessage",
            vec![(1, Value::Float(steer.direction))],
        ),
        Msg::Spore(spore) => (10, "SporeMessage", spore_fields(spore)),
        Msg::SporeConsumed(eat) => (11, "SporeConsumedMessage", vec![(1, int(eat.spore_id))]),
        Msg::SporesBatch(batch) => {
            let spores = batch.spores.iter().map(spore_fields).collect();
            (
                12,
                "SporesBatchMessage",
                vec![(1, list(schema, "SporeMessage", spores))],
            )
        }
        Msg::PlayerConsumed(eat) => (13, "PlayerConsumedMessage", vec![(1, int(eat.player_id))]),
        Msg::HiscoreBoardRequest(_) => (14, "HiscoreBoardRequestMessage", vec![]),
        Msg::Hiscore(row) => (15, "HiscoreMessage", hiscore_fields(row)),
        Msg::HiscoreBoard(board) => {
            let rows = board.hiscores.iter().map(hiscore_fields).collect();
            (
                16,
                "HiscoreBoardMessage",
                vec![(1, list(schema, "HiscoreMessage", rows))],
            )
        }
        Msg::FinishedBrowsingHiscores(_) => (17, "FinishedBrowsingHiscoresMessage", vec![]),
        Msg::SearchHiscore(search) => (18, "SearchHiscoreMessage", vec![(1, text(&search.name))]),
        Msg::EnterWorld(enter) => (
            105,
            "EnterWorldMessage",
            vec![(1, Value::Bool(enter.extrapolate))],
        ),
        Msg::WorldEntered(entered) => (
            106,
            "WorldEnteredMessage",
            vec![
                (1, text(&entered.room)),
                (2, int(entered.player_id)),
                (3, Value::Int(i64::from(entered.tick_rate))),
                (4, Value::Int(i64::from(entered.position_scale))),
                (5, Value::Bool(entered.extrapolating)),
            ],
        ),
        Msg::LeaveWorld(_) => (107, "LeaveWorldMessage", vec![]),
        Msg::WorldLeft(left) => (108, "WorldLeftMessage", vec![(1, text(&left.reason))]),
        Msg::WorldUpdate(update) => (109, "WorldUpdateMessage", update_fields(schema, update)),
        _ => unreachable!("rooms and chat are mirrored by to_mirror"),
    }
}

fn hiscore_fields(row: &HiscoreMessage) -> Vec<(u32, Value)> {
    vec![
        (1, int(row.rank)),
        (2, text(&row.name)),
        (3, int(row.score)),
    ]
}

fn update_fields(schema: &Schema, update: &WorldUpdateMessage) -> Vec<(u32, Value)> {
    let eaten = update
        .eaten
        .iter()
        .map(|eat| {
            vec![
                (1, int(eat.eater_id)),
                (2, int(eat.player_id)),
                (3, int(eat.spore_id)),
            ]
        })
        .collect();
    let players = update
        .players_entered
        .iter()
        .map(|player| {
            vec![
                (1, int(player.id)),
                (2, text(&player.name)),
                (3, Value::Int(i64::from(player.x))),
                (4, Value::Int(i64::from(player.y))),
                (5, Value::Int(i64::from(player.radius))),
                (6, Value::Int(i64::from(player.color))),
                (7, Value::Int(i64::from(player.vx))),
                (8, Value::Int(i64::from(player.vy))),
            ]
        })
        .collect();
    let spores = update
        .spores_entered
        .iter()
        .map(|spore| {
            vec![
                (1, int(spore.id)),
                (2, Value::Int(i64::from(spore.x))),
                (3, Value::Int(i64::from(spore.y))),
                (4, Value::Int(i64::from(spore.radius))),
            ]
        })
        .collect();
    let mut fields = vec![
        (1, Value::Int(i64::from(update.tick))),
        (2, uints(&update.players_left)),
        (3, uints(&update.spores_left)),
        (4, list(schema, "WorldEat", eaten)),
        (5, list(schema, "WorldPlayer", players)),
        (6, list(schema, "WorldSpore", spores)),
        (7, uints(&update.moved_ids)),
        (8, ints(&update.moved_xy)),
        (9, uints(&update.resized_ids)),
        (10, ints(&update.resized_radii)),
        (13, uints(&update.velocity_ids)),
        (14, ints(&update.velocity_xy)),
    ];
    if let Some(own) = &update.own {
        let own = message(
            schema,
            "WorldOwnState",
            vec![
                (1, int(own.score)),
                (2, int(own.best_score)),
                (3, Value::Int(i64::from(own.view_half_width))),
                (4, Value::Int(i64::from(own.view_half_height))),
            ],
        );
        fields.push((11, Value::Message(own)));
    }
    if let Some(board) = &update.leaderboard {
        let entries = board
            .entries
            .iter()
            .map(|entry| {
                vec![
                    (1, int(entry.player_id)),
                    (2, text(&entry.name)),
                    (3, int(entry.score)),
                ]
            })
            .collect();
        let board = message(
            schema,
            "WorldLeaderboard",
            vec![
                (1, list(schema, "WorldLeaderboardEntry", entries)),
                (2, Value::Int(i64::from(board.players))),
            ],
        );
        fields.push((12, Value::Message(board)));
    }
    fields
}

/// A random world message (fields 8-18 and 105-109).
fn random_world_msg(rng: &mut Rng, texts: &[&str], id: u64, count: usize) -> Msg {
    let floats = [
        0.0,
        1.5,
        -3000.25,
        1e300,
        f64::MIN_POSITIVE,
        f64::INFINITY,
        f64::NAN,
    ];
    let float = |rng: &mut Rng| rng.pick(&floats);
    let spore = |rng: &mut Rng| SporeMessage {
        id: rng.next_u64(),
        x: float(rng),
        y: float(rng),
        radius: float(rng),
    };
    let small = |rng: &mut Rng| rng.pick(&[0, 1, -1, 63, -64, 64, i32::MAX, i32::MIN]);
    match rng.below(15) {
        0 => Msg::Player(PlayerMessage {
            id,
            name: rng.pick(texts).to_owned(),
            x: float(rng),
            y: float(rng),
            radius: float(rng),
            direction: float(rng),
            speed: float(rng),
            color: rng.next_u64() as i32,
        }),
        1 => Msg::PlayerDirection(PlayerDirectionMessage {
            direction: float(rng),
        }),
        2 => Msg::Spore(spore(rng)),
        3 => Msg::SporeConsumed(SporeConsumedMessage { spore_id: id }),
        4 => Msg::SporesBatch(SporesBatchMessage {
            spores: (0..count).map(|_| spore(rng)).collect(),
        }),
        5 => Msg::PlayerConsumed(PlayerConsumedMessage { player_id: id }),
        6 => Msg::HiscoreBoardRequest(HiscoreBoardRequestMessage {}),
        7 => Msg::HiscoreBoard(HiscoreBoardMessage {
            hiscores: (0..count)
                .map(|rank| HiscoreMessage {
                    rank: rank as u64 + 1,
                    name: rng.pick(texts).to_owned(),
                    score: rng.next_u64(),
                })
                .collect(),
        }),
        8 => Msg::FinishedBrowsingHiscores(FinishedBrowsingHiscoresMessage {}),
        9 => Msg::SearchHiscore(SearchHiscoreMessage {
            name: rng.pick(texts).to_owned(),
        }),
        10 => Msg::EnterWorld(EnterWorldMessage {
            extrapolate: rng.next_u64() % 2 == 0,
        }),
        11 => Msg::WorldEntered(WorldEnteredMessage {
            room: rng.pick(texts).to_owned(),
            player_id: id,
            tick_rate: 20,
            position_scale: rng.next_u64() as u32,
            extrapolating: rng.next_u64() % 2 == 0,
        }),
        12 => Msg::LeaveWorld(LeaveWorldMessage {}),
        13 => Msg::WorldLeft(WorldLeftMessage {
            reason: rng.pick(texts).to_owned(),
        }),
        _ => Msg::WorldUpdate(Box::new(WorldUpdateMessage {
            tick: rng.next_u64() as u32,
            players_left: (0..count).map(|_| rng.next_u64()).collect(),
            spores_left: (0..count).map(|_| id).collect(),
            eaten: (0..count)
                .map(|index| WorldEat {
                    eater_id: id,
                    player_id: if index % 2 == 0 { rng.next_u64() } else { 0 },
                    spore_id: if index % 2 == 1 { rng.next_u64() } else { 0 },
                })
                .collect(),
            players_entered: (0..count)
                .map(|_| WorldPlayer {
                    id: rng.next_u64(),
                    name: rng.pick(texts).to_owned(),
                    x: small(rng),
                    y: small(rng),
                    radius: rng.next_u64() as u32,
                    color: rng.next_u64() as i32,
                    vx: small(rng),
                    vy: small(rng),
                })
                .collect(),
            spores_entered: (0..count)
                .map(|_| WorldSpore {
                    id: rng.next_u64(),
                    x: small(rng),
                    y: small(rng),
                    radius: 80,
                })
                .collect(),
            moved_ids: (0..count).map(|index| index as u64 + 1).collect(),
            moved_xy: (0..count * 2).map(|_| small(rng)).collect(),
            resized_ids: (0..count).map(|_| id).collect(),
            resized_radii: (0..count).map(|_| rng.next_u64() as u32).collect(),
            velocity_ids: (0..count).map(|index| index as u64 + 2).collect(),
            velocity_xy: (0..count * 2).map(|_| small(rng)).collect(),
            own: rng.chance(50).then(|| WorldOwnState {
                score: rng.next_u64(),
                best_score: id,
                view_half_width: 800,
                view_half_height: 450,
            }),
            leaderboard: rng.chance(50).then(|| WorldLeaderboard {
                entries: (0..count)
                    .map(|_| WorldLeaderboardEntry {
                        player_id: rng.next_u64(),
                        name: rng.pick(texts).to_owned(),
                        score: id,
                    })
                    .collect(),
                players: count as u32,
            }),
        })),
    }
}

fn random_packet(rng: &mut Rng) -> Packet {
    let texts = [
        "",
        "Hello, world!",
        "日本語 🎮",
        "[b]x[/b]",
        "é",
        "\u{FEFF}hello",
    ];
    let any_id = rng.next_u64();
    let id = rng.pick(&[0, 1, 2, 127, 128, u64::MAX, 1 << 63, any_id]);
    let count = rng.below(4);
    let members = |rng: &mut Rng| -> Vec<Member> {
        (0..count)
            .map(|index| Member {
                id: id.wrapping_add(index as u64),
                name: rng.pick(&texts).to_owned(),
            })
            .collect()
    };
    let msg = match rng.below(19) {
        0 => None,
        13..=15 => Some(random_world_msg(rng, &texts, id, count)),
        16 => Some(Msg::PresenceBatch(PresenceBatchMessage {
            room: rng.pick(&texts).to_owned(),
            joined: members(rng),
            left: (0..count)
                .map(|index| id.wrapping_add(index as u64))
                .collect(),
            members: rng.next_u64() as u32,
        })),
        17 => Some(Msg::MemberListRequest(MemberListRequestMessage {
            room: rng.pick(&texts).to_owned(),
            after_id: id,
            limit: rng.next_u64() as u32,
        })),
        18 => Some(Msg::MemberList(MemberListMessage {
            room: rng.pick(&texts).to_owned(),
            members: members(rng),
            next_after_id: id,
            complete: rng.chance(50),
            total: rng.next_u64() as u32,
        })),
        1 => Some(Msg::Chat(ChatMessage {
            msg: rng.pick(&texts).to_owned(),
        })),
        2 => Some(Msg::Id(IdMessage { id })),
        3 => Some(Msg::LoginRequest(LoginRequestMessage {
            username: rng.pick(&texts).to_owned(),
            password: rng.pick(&texts).to_owned(),
        })),
        4 => Some(Msg::RegisterRequest(RegisterRequestMessage {
            username: rng.pick(&texts).to_owned(),
            password: rng.pick(&texts).to_owned(),
            color: rng.next_u64() as i32,
        })),
        5 => Some(Msg::OkResponse(OkResponseMessage {})),
        6 => Some(Msg::DenyResponse(DenyResponseMessage {
            reason: rng.pick(&texts).to_owned(),
        })),
        7 => Some(Msg::Disconnect(DisconnectMessage {
            reason: rng.pick(&texts).to_owned(),
        })),
        8 => Some(Msg::JoinRoom(JoinRoomMessage {
            room: rng.pick(&texts).to_owned(),
        })),
        9 => Some(Msg::Room(RoomMessage {
            room: rng.pick(&texts).to_owned(),
            members: (0..count)
                .map(|index| Member {
                    id: id.wrapping_add(index as u64),
                    name: rng.pick(&texts).to_owned(),
                })
                .collect(),
            history: (0..count)
                .map(|_| ChatLine {
                    sender_id: id,
                    msg: rng.pick(&texts).to_owned(),
                    sent_at_ms: rng.next_u64() as i64,
                    sender_name: rng.pick(&texts).to_owned(),
                })
                .collect(),
            member_count: rng.next_u64() as u32,
            members_partial: rng.chance(50),
        })),
        10 => Some(Msg::Presence(PresenceMessage {
            joined: rng.chance(50),
            room: rng.pick(&texts).to_owned(),
            name: rng.pick(&texts).to_owned(),
        })),
        11 => Some(Msg::RoomListRequest(RoomListRequestMessage {})),
        _ => Some(Msg::RoomList(RoomListMessage {
            rooms: (0..count)
                .map(|_| RoomInfo {
                    name: rng.pick(&texts).to_owned(),
                    members: rng.next_u64() as u32,
                })
                .collect(),
        })),
    };
    let any_sender = rng.next_u64();
    Packet {
        sender_id: rng.pick(&[0, 1, 69, u64::MAX, any_sender]),
        msg,
    }
}

#[test]
fn protocol_md_example_encodes_and_decodes() {
    let schema = schema();
    let example = [
        0x08, 0x45, 0x12, 0x0f, 0x0a, 0x0d, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x2c, 0x20, 0x77, 0x6f,
        0x72, 0x6c, 0x64, 0x21,
    ];
    let packet = Packet {
        sender_id: 69,
        msg: Some(Msg::Chat(ChatMessage {
            msg: "Hello, world!".into(),
        })),
    };
    let message = to_mirror(&schema, &packet);
    assert_eq!(mirror::encode(&schema, &message), example);
    assert_eq!(mirror::decode(&schema, "Packet", &example), Ok(message));
}

#[test]
fn random_packets_match_prost_both_ways() {
    let schema = schema();
    for seed in 0..2000 {
        let mut rng = Rng::new(seed);
        let packet = random_packet(&mut rng);
        let message = to_mirror(&schema, &packet);
        let theirs = packet.encode_to_vec();
        assert_eq!(
            mirror::encode(&schema, &message),
            theirs,
            "seed {seed}: {packet:?}"
        );
        assert_eq!(
            mirror::decode(&schema, "Packet", &theirs),
            Ok(message),
            "seed {seed}"
        );
    }
}

#[test]
fn client_chat_is_sent_with_sender_zero_omitted() {
    let schema = schema();
    let packet = Packet {
        sender_id: 0,
        msg: Some(Msg::Chat(ChatMessage { msg: "hi".into() })),
    };
    assert_eq!(
        mirror::encode(&schema, &to_mirror(&schema, &packet)),
        [0x12, 0x04, 0x0a, 0x02, b'h', b'i']
    );
}

#[test]
fn stray_tail_byte_and_other_damage_are_errors_not_garbage() {
    let schema = schema();
    let good = Packet {
        sender_id: 3,
        msg: Some(Msg::Chat(ChatMessage { msg: "ok".into() })),
    }
    .encode_to_vec();
    // The tutorial server's stray 0x0A: a length-delimited key with no length.
    for tail in [&[0x0A][..], &[0x80], &[0x00], &[0x07], &[0x12, 0x05, 0x0A]] {
        let input = [&good[..], tail].concat();
        assert!(
            mirror::decode(&schema, "Packet", &input).is_err(),
            "{input:02X?}"
        );
        assert!(Packet::decode(&input[..]).is_err(), "{input:02X?}");
    }
    assert!(mirror::decode(&schema, "Packet", &[0x12, 0x02, 0x0A, 0x01]).is_err());
    assert!(mirror::decode(&schema, "Packet", &[0x12, 0x03, 0x0A, 0x01, 0xFF]).is_err());
    assert!(
        mirror::decode(
            &schema,
            "Packet",
            &[
                0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02
            ]
        )
        .is_err()
    );
    assert!(
        mirror::decode(&schema, "Packet", &[0x0A, 0x00]).is_err(),
        "wire type LEN for sender_id"
    );
    assert_eq!(
        mirror::decode(&schema, "Packet", &[]),
        Ok(MessageValue::new("Packet"))
    );
}

#[test]
fn unknown_fields_of_every_wire_type_are_skipped() {
    // Field 200: a number no schema uses.
    let schema = schema();
    let known = [0x08, 0x05];
    let unknowns: [&[u8]; 6] = [
        &[0xC0, 0x0C, 0x96, 0x01],
        &[0xC1, 0x0C, 1, 2, 3, 4, 5, 6, 7, 8],
        &[0xC2, 0x0C, 0x03, b'a', b'b', b'c'],
        &[0xC5, 0x0C, 1, 2, 3, 4],
        &[0xC3, 0x0C, 0x08, 0x01, 0xC4, 0x0C],
        &[0x9A, 0x01, 0x02, 0x0A, 0x00],
    ];
    for unknown in unknowns {
        let input = [&known[..], unknown, &known].concat();
        let ours = mirror::decode(&schema, "Packet", &input);
        assert!(ours.is_ok(), "{unknown:02X?}");
        assert_eq!(ours.unwrap().fields.get(&1), Some(&Value::Int(5)));
        assert!(Packet::decode(&input[..]).is_ok());
    }
    // An end-group key that no start-group opened is malformed.
    assert!(mirror::decode(&schema, "Packet", &[0xC4, 0x0C]).is_err());
}

/// Whether a string anywhere in `value` holds U+0000.
fn holds_nul(value: &Value) -> bool {
    match value {
        Value::Str(text) => text.contains('\0'),
        Value::Message(message) => message.fields.values().any(holds_nul),
        Value::List(items) => items.iter().any(holds_nul),
        _ => false,
    }
}

#[test]
fn damaged_packets_are_judged_like_prost() {
    let schema = schema();
    for seed in 0..4000 {
        let mut rng = Rng::new(seed + 7);
        let mut bytes = random_packet(&mut rng).encode_to_vec();
        for _ in 0..=rng.below(2) {
            let at = if bytes.is_empty() {
                0
            } else {
                rng.below(bytes.len())
            };
            match rng.below(4) {
                0 if !bytes.is_empty() => bytes[at] = rng.byte(),
                1 => bytes.truncate(at),
                2 => bytes.insert(at, rng.byte()),
                _ => bytes.push(rng.byte()),
            }
        }
        let ours = mirror::decode(&schema, "Packet", &bytes);
        // A Godot `String` cannot hold U+0000: the generated code refuses a string with a NUL
        // byte that prost takes.
        let theirs = Packet::decode(&bytes[..])
            .map(|packet| to_mirror(&schema, &packet))
            .map_err(|_| ())
            .and_then(|mirrored| {
                if holds_nul(&Value::Message(mirrored.clone())) {
                    Err(())
                } else {
                    Ok(mirrored)
                }
            });
        assert_eq!(ours, theirs, "seed {seed}: {bytes:02X?}");
    }
}

#[test]
fn a_chat_starting_with_a_byte_order_mark_round_trips() {
    // U+FEFF is not a control character, so the server relays such a line; Godot's UTF-8
    // decoder drops a leading EF BB BF, which the generated read_string must put back.
    let schema = schema();
    let packet = Packet {
        sender_id: 0,
        msg: Some(Msg::Chat(ChatMessage {
            msg: "\u{FEFF}hello".into(),
        })),
    };
    let bytes = [
        0x12, 0x0a, 0x0a, 0x08, 0xef, 0xbb, 0xbf, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
    ];
    assert_eq!(packet.encode_to_vec(), bytes);
    let message = to_mirror(&schema, &packet);
    assert_eq!(mirror::encode(&schema, &message), bytes);
    assert_eq!(mirror::decode(&schema, "Packet", &bytes), Ok(message));
}
