//! A minimal reader of the protobuf bytes of a `WorldUpdateMessage` for the bench's cheap
//! bots: the tick number and what concerns the bot's own player (its entry, move or change of
//! velocity), found by walking the fields without decoding the rest (a full decode of every update for thousands of bots on one bench thread
//! is what kept the bench from reading every update); and of any packet's sender and kind,
//! so that tutorial-level bots decode only their own `PlayerMessage`s of the N² they read.

use mmo_protocol::packets::{WorldPlayer, WorldUpdateMessage};

/// Wire types of protobuf fields.
const VARINT: u64 = 0;
const FIXED64: u64 = 1;
const LENGTH_DELIMITED: u64 = 2;
const FIXED32: u64 = 5;

/// `Packet` fields the cheap bots care about.
const PACKET_SENDER_ID: u64 = 1;
pub(super) const PACKET_PLAYER: u64 = 8;
const PACKET_WORLD_LEFT: u64 = 108;
const PACKET_WORLD_UPDATE: u64 = 109;

/// `WorldUpdateMessage` fields.
const UPDATE_TICK: u64 = 1;
const UPDATE_PLAYERS_ENTERED: u64 = 5;
const UPDATE_MOVED_IDS: u64 = 7;
const UPDATE_MOVED_XY: u64 = 8;
const UPDATE_VELOCITY_IDS: u64 = 13;
const UPDATE_VELOCITY_XY: u64 = 14;

/// `WorldPlayer` fields.
const PLAYER_ID: u64 = 1;
const PLAYER_X: u64 = 3;
const PLAYER_Y: u64 = 4;
const PLAYER_VX: u64 = 7;
const PLAYER_VY: u64 = 8;

/// What a packet is, as far as a cheap bot needs to know.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Scanned<'a> {
    /// A `WorldUpdateMessage`: its bytes.
    Update(&'a [u8]),
    /// A `WorldLeftMessage`.
    Left,
    /// Anything else.
    Other,
}

fn varint(buf: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = buf.split_first()?;
        *buf = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn zigzag(value: u64) -> i64 {
    // The sint32/sint64 coding: the low bit is the sign.
    #[allow(clippy::cast_possible_wrap)]
    let half = (value >> 1) as i64;
    half ^ -((value & 1) as i64)
}

/// One field: its number, and its value (a varint's number, or a length-delimited field's
/// bytes; fixed-width fields are skipped and reported as `Fixed`).
enum Value<'a> {
    Number(u64),
    Bytes(&'a [u8]),
    Fixed,
}

fn field<'a>(buf: &mut &'a [u8]) -> Option<(u64, Value<'a>)> {
    let key = varint(buf)?;
    let value = match key & 7 {
        VARINT => Value::Number(varint(buf)?),
        LENGTH_DELIMITED => {
            let len = usize::try_from(varint(buf)?).ok()?;
            if len > buf.len() {
                return None;
            }
            let (bytes, rest) = buf.split_at(len);
            *buf = rest;
            Value::Bytes(bytes)
        }
        FIXED64 | FIXED32 => {
            let len = if key & 7 == FIXED64 { 8 } else { 4 };
            *buf = buf.get(len..)?;
            Value::Fixed
        }
        _ => return None,
    };
    Some((key >> 3, value))
}

/// What kind of packet `bytes` is; `None` when they are not a protobuf message.
pub(super) fn scan_packet(mut bytes: &[u8]) -> Option<Scanned<'_>> {
    let mut scanned = Scanned::Other;
    while !bytes.is_empty() {
        match field(&mut bytes)? {
            (PACKET_WORLD_UPDATE, Value::Bytes(update)) => scanned = Scanned::Update(update),
            (PACKET_WORLD_LEFT, Value::Bytes(_)) => scanned = Scanned::Left,
            _ => {}
        }
    }
    Some(scanned)
}

/// A packet's `sender_id` and the field number of its message (0 for none); `None` when the
/// bytes are not a protobuf message.
pub(super) fn scan_envelope(mut bytes: &[u8]) -> Option<(u64, u64)> {
    let (mut sender, mut kind) = (0, 0);
    while !bytes.is_empty() {
        match field(&mut bytes)? {
            (PACKET_SENDER_ID, Value::Number(id)) => sender = id,
            (number, Value::Bytes(_)) => kind = number,
            _ => {}
        }
    }
    Some((sender, kind))
}

/// Calls `each` with every value of a repeated varint field, packed or not.
fn repeated(value: &Value<'_>, mut each: impl FnMut(u64)) -> Option<()> {
    match value {
        Value::Number(number) => each(*number),
        Value::Bytes(packed) => {
            let mut packed = *packed;
            while !packed.is_empty() {
                each(varint(&mut packed)?);
            }
        }
        Value::Fixed => return None,
    }
    Some(())
}

/// An ID list and its values, coded like `moved_ids` + `moved_xy`, as far as they concern one
/// player: where it is in the list, and the values seen so far.
#[derive(Default)]
struct OwnPair {
    index: Option<usize>,
    id: u64,
    ids_seen: usize,
    values: Vec<i32>,
}

impl OwnPair {
    fn ids(&mut self, value: &Value<'_>, me: u64) -> Option<()> {
        repeated(value, |gap| {
            self.id = self.id.wrapping_add(gap);
            if self.id == me && self.index.is_none() {
                self.index = Some(self.ids_seen);
            }
            self.ids_seen += 1;
        })
    }

    fn values(&mut self, value: &Value<'_>) -> Option<()> {
        repeated(value, |delta| self.values.push(sint32(delta)))
    }

    /// `me`'s pair of values, when it is listed.
    fn pair(&self) -> Option<Vec<i32>> {
        let index = self.index?;
        Some(self.values.get(2 * index..2 * index + 2)?.to_vec())
    }
}

/// An update's bytes as far as they concern `me`: the tick, and `me`'s entry, move and change
/// of velocity (the rest left out, `me` alone in the ID lists); `None` when malformed. A bot
/// that follows only itself applies this as a whole view would.
pub(super) fn scan_update(mut bytes: &[u8], me: u64) -> Option<WorldUpdateMessage> {
    let mut own = WorldUpdateMessage::default();
    let mut moved = OwnPair::default();
    let mut velocity = OwnPair::default();
    while !bytes.is_empty() {
        let (number, value) = field(&mut bytes)?;
        match (number, &value) {
            (UPDATE_TICK, Value::Number(tick)) => {
                own.tick = u32::try_from(*tick & u64::from(u32::MAX)).unwrap_or(0);
            }
            (UPDATE_PLAYERS_ENTERED, Value::Bytes(player)) => {
                if let Some(player) = own_entry(player, me)? {
                    own.players_entered.push(player);
                }
            }
            (UPDATE_MOVED_IDS, _) => moved.ids(&value, me)?,
            (UPDATE_MOVED_XY, _) => moved.values(&value)?,
            (UPDATE_VELOCITY_IDS, _) => velocity.ids(&value, me)?,
            (UPDATE_VELOCITY_XY, _) => velocity.values(&value)?,
            _ => {}
        }
    }
    if let Some(pair) = moved.pair() {
        own.moved_ids = vec![me];
        own.moved_xy = pair;
    }
    if let Some(pair) = velocity.pair() {
        own.velocity_ids = vec![me];
        own.velocity_xy = pair;
    }
    Some(own)
}

/// A `sint32`'s value from its varint (zigzag; a value beyond 32 bits is cut to them, as a
/// protobuf decoder does).
fn sint32(value: u64) -> i32 {
    #[allow(clippy::cast_possible_truncation)]
    let value = zigzag(value) as i32;
    value
}

/// `Some(Some(player))` when the `WorldPlayer` in `bytes` is `me` (its position and velocity;
/// the rest left out).
fn own_entry(mut bytes: &[u8], me: u64) -> Option<Option<WorldPlayer>> {
    let mut player = WorldPlayer::default();
    while !bytes.is_empty() {
        match field(&mut bytes)? {
            (PLAYER_ID, Value::Number(value)) => player.id = value,
            (PLAYER_X, Value::Number(value)) => player.x = sint32(value),
            (PLAYER_Y, Value::Number(value)) => player.y = sint32(value),
            (PLAYER_VX, Value::Number(value)) => player.vx = sint32(value),
            (PLAYER_VY, Value::Number(value)) => player.vy = sint32(value),
            _ => {}
        }
    }
    Some((player.id == me).then_some(player))
}

#[cfg(test)]
mod tests {
    use mmo_protocol::packets::{
        EnterWorldMessage, WorldEat, WorldLeftMessage, WorldOwnState, WorldPlayer,
        WorldUpdateMessage,
    };
    use mmo_protocol::{Msg, Packet};
    use prost::Message as _;

    use super::*;

    fn packet(msg: Msg) -> Vec<u8> {
        Packet {
            sender_id: 0,
            msg: Some(msg),
        }
        .encode_to_vec()
    }

    fn player(id: u64, x: i32, y: i32) -> WorldPlayer {
        WorldPlayer {
            id,
            name: "someone".to_owned(),
            x,
            y,
            radius: 160,
            color: -1,
            vx: 0,
            vy: 0,
        }
    }

    /// `scan_update`'s answer for a bot that entered at `entered` (x, y, vx, vy), moved by
    /// `moved` and changed its velocity to `velocity`, at `tick`.
    fn own(
        tick: u32,
        me: u64,
        entered: Option<(i32, i32, i32, i32)>,
        moved: Option<(i32, i32)>,
        velocity: Option<(i32, i32)>,
    ) -> WorldUpdateMessage {
        WorldUpdateMessage {
            tick,
            players_entered: entered
                .map(|(x, y, vx, vy)| WorldPlayer {
                    id: me,
                    x,
                    y,
                    vx,
                    vy,
                    ..WorldPlayer::default()
                })
                .into_iter()
                .collect(),
            moved_ids: moved.map(|_| me).into_iter().collect(),
            moved_xy: moved.map(|(x, y)| vec![x, y]).unwrap_or_default(),
            velocity_ids: velocity.map(|_| me).into_iter().collect(),
            velocity_xy: velocity.map(|(x, y)| vec![x, y]).unwrap_or_default(),
            ..WorldUpdateMessage::default()
        }
    }

    #[test]
    fn finds_the_tick_and_the_own_entry_move_and_velocity_as_prost_encodes_them() {
        let mut entrant = player(9, -1_000, 2_000_000);
        (entrant.vx, entrant.vy) = (-60, 7);
        let update = WorldUpdateMessage {
            tick: 70_000,
            players_left: vec![4, 8],
            eaten: vec![WorldEat {
                eater_id: 1,
                player_id: 2,
                spore_id: 0,
            }],
            players_entered: vec![player(3, 5, 6), entrant],
            moved_ids: vec![3, 4, 2],
            moved_xy: vec![1, 2, -30, 40, 5, 6],
            velocity_ids: vec![2, 7],
            velocity_xy: vec![0, 0, -3, 1_000],
            own: Some(WorldOwnState {
                score: 12,
                best_score: 99,
                view_half_width: 800,
                view_half_height: 450,
            }),
            ..WorldUpdateMessage::default()
        };
        let bytes = packet(Msg::WorldUpdate(Box::new(update)));
        let Some(Scanned::Update(inner)) = scan_packet(&bytes) else {
            panic!("not an update");
        };
        // ID 7 is the second moved (3, then 3 + 4); 9 the second with a new velocity.
        assert_eq!(
            scan_update(inner, 7),
            Some(own(70_000, 7, None, Some((-30, 40)), None))
        );
        assert_eq!(
            scan_update(inner, 9),
            Some(own(
                70_000,
                9,
                Some((-1_000, 2_000_000, -60, 7)),
                Some((5, 6)),
                Some((-3, 1_000))
            ))
        );
        assert_eq!(
            scan_update(inner, 2),
            Some(own(70_000, 2, None, None, Some((0, 0)))),
            "a stop"
        );
        assert_eq!(
            scan_update(inner, 5),
            Some(own(70_000, 5, None, None, None))
        );
    }

    #[test]
    fn reads_a_packets_sender_and_kind_as_prost_encodes_them() {
        let bytes = Packet {
            sender_id: 300,
            msg: Some(Msg::Player(mmo_protocol::packets::PlayerMessage {
                id: 300,
                name: "bot-1".to_owned(),
                x: 1.5,
                radius: 20.0,
                ..Default::default()
            })),
        }
        .encode_to_vec();
        assert_eq!(scan_envelope(&bytes), Some((300, PACKET_PLAYER)));
        let empty = Packet {
            sender_id: 0,
            msg: Some(Msg::EnterWorld(EnterWorldMessage { extrapolate: false })),
        }
        .encode_to_vec();
        assert_eq!(scan_envelope(&empty), Some((0, 105)), "an empty message");
        assert_eq!(scan_envelope(&[0x0a, 0x05, 1]), None, "cut short");
    }

    #[test]
    fn tells_a_world_left_from_other_packets_and_refuses_garbage() {
        let left = packet(Msg::WorldLeft(WorldLeftMessage {
            reason: "bye".to_owned(),
        }));
        assert_eq!(scan_packet(&left), Some(Scanned::Left));
        let empty_update = packet(Msg::WorldUpdate(Box::default()));
        assert!(matches!(
            scan_packet(&empty_update),
            Some(Scanned::Update(_))
        ));
        assert_eq!(scan_packet(&[0x0a, 0x05, 1]), None, "cut short");
    }
}
