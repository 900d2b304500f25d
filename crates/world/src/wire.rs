//! `WorldUpdateMessage` packets written straight from a `ViewDelta` into a byte buffer: the
//! same bytes as `encode::update_packet(..).encode_to_vec()`, without building the prost
//! message (its vectors and strings were a tenth of the benchmark's time). Every length is
//! computed before writing. A world's update brings its moves already encoded (`MoveBytes`,
//! written by the view's update as it reads each held player's change); a hand-built delta's
//! are encoded the same way first. Either way they are copied from there.

use crate::engine::{EntityKey, PlayerId};
use crate::interest::{
    Leaderboard, LeaderboardEntry, Move, MoveSource, OwnState, PlayerView, SporeView, Update,
    ViewDelta,
};

/// Appends a transport's header for a packet of the given length (e.g. a WebSocket frame's).
pub type FrameHeader<'a> = dyn Fn(usize, &mut Vec<u8>) + Sync + 'a;

/// `Packet` field 109 (`world_update`), length-delimited.
const WORLD_UPDATE_KEY: u64 = (109 << 3) | 2;

/// The packet's bytes, sized in advance (the sizing pass has computed every length): a
/// write is an indexed store, not a `Vec::push` with its capacity check per byte.
struct Writer<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn push(&mut self, byte: u8) {
        self.buf[self.at] = byte;
        self.at += 1;
    }

    fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.buf[self.at..self.at + bytes.len()].copy_from_slice(bytes);
        self.at += bytes.len();
    }
}

fn varint_len(value: u64) -> usize {
    // 1 byte per 7 bits; 0 takes one byte.
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

// Each byte written holds 7 bits of `value` (masked, or below 0x80): nothing is cut off.
#[allow(clippy::cast_possible_truncation)]
fn put_varint(out: &mut Writer<'_>, mut value: u64) {
    while value >= 0x80 {
        out.push((value & 0x7F) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn zigzag(value: i32) -> u64 {
    u64::from(u32::from_ne_bytes(
        ((value << 1) ^ (value >> 31)).to_ne_bytes(),
    ))
}

/// An `int32` on the wire: negative values are sign-extended to 64 bits (ten bytes).
fn int32(value: i32) -> u64 {
    u64::from_ne_bytes(i64::from(value).to_ne_bytes())
}

fn key(number: u32, wire_type: u32) -> u64 {
    u64::from((number << 3) | wire_type)
}

/// A varint field, left out when zero (proto3).
fn varint_field_len(number: u32, value: u64) -> usize {
    if value == 0 {
        0
    } else {
        varint_len(key(number, 0)) + varint_len(value)
    }
}

fn put_varint_field(out: &mut Writer<'_>, number: u32, value: u64) {
    if value != 0 {
        put_varint(out, key(number, 0));
        put_varint(out, value);
    }
}

fn bytes_field_len(number: u32, len: usize) -> usize {
    varint_len(key(number, 2)) + varint_len(len as u64) + len
}

fn put_len_key(out: &mut Writer<'_>, number: u32, len: usize) {
    put_varint(out, key(number, 2));
    put_varint(out, len as u64);
}

fn string_field_len(number: u32, text: &str) -> usize {
    if text.is_empty() {
        0
    } else {
        bytes_field_len(number, text.len())
    }
}

fn put_string_field(out: &mut Writer<'_>, number: u32, text: &str) {
    if !text.is_empty() {
        put_len_key(out, number, text.len());
        out.extend_from_slice(text.as_bytes());
    }
}

/// A packed repeated varint field of these values (left out when empty).
fn packed_len(number: u32, values: impl Iterator<Item = u64>) -> (usize, usize) {
    let body: usize = values.map(varint_len).sum();
    let total = if body == 0 {
        0
    } else {
        bytes_field_len(number, body)
    };
    (total, body)
}

/// A packed field whose body is already written (`bytes`; left out when empty).
fn put_bytes_field(out: &mut Writer<'_>, number: u32, bytes: &[u8]) {
    if !bytes.is_empty() {
        put_len_key(out, number, bytes.len());
        out.extend_from_slice(bytes);
    }
}

fn put_packed(out: &mut Writer<'_>, number: u32, body: usize, values: impl Iterator<Item = u64>) {
    if body != 0 {
        put_len_key(out, number, body);
        values.for_each(|value| put_varint(out, value));
    }
}

fn eat_body(eater: PlayerId, eaten: EntityKey) -> [(u32, u64); 3] {
    let (player, spore) = match eaten {
        EntityKey::Player(id) => (id.0, 0),
        EntityKey::Spore(id) => (0, id.0),
    };
    [(1, eater.0), (2, player), (3, spore)]
}

fn fields_len(fields: &[(u32, u64)]) -> usize {
    fields
        .iter()
        .map(|&(number, value)| varint_field_len(number, value))
        .sum()
}

fn put_fields(out: &mut Writer<'_>, fields: &[(u32, u64)]) {
    for &(number, value) in fields {
        put_varint_field(out, number, value);
    }
}

fn player_numbers(player: &PlayerView) -> [(u32, u64); 5] {
    [
        (1, player.id.0),
        (3, zigzag(player.at.x)),
        (4, zigzag(player.at.y)),
        (5, u64::from(player.at.radius)),
        (6, int32(player.color)),
    ]
}

fn player_body_len(player: &PlayerView) -> usize {
    let numbers = player_numbers(player);
    fields_len(&numbers[..1]) + string_field_len(2, &player.name) + fields_len(&numbers[1..])
}

fn put_player(out: &mut Writer<'_>, player: &PlayerView) {
    let numbers = player_numbers(player);
    put_fields(out, &numbers[..1]);
    put_string_field(out, 2, &player.name);
    put_fields(out, &numbers[1..]);
}

fn spore_numbers(spore: &SporeView) -> [(u32, u64); 4] {
    [
        (1, spore.id.0),
        (2, zigzag(spore.at.x)),
        (3, zigzag(spore.at.y)),
        (4, u64::from(spore.at.radius)),
    ]
}

fn own_numbers(own: &OwnState) -> [(u32, u64); 4] {
    [
        (1, own.score),
        (2, own.best_score),
        (3, u64::from(own.view_half_width)),
        (4, u64::from(own.view_half_height)),
    ]
}

fn entry_body_len(entry: &LeaderboardEntry) -> usize {
    varint_field_len(1, entry.id.0)
        + string_field_len(2, &entry.name)
        + varint_field_len(3, entry.score)
}

fn board_body_len(board: &Leaderboard) -> usize {
    board
        .entries
        .iter()
        .map(|entry| bytes_field_len(1, entry_body_len(entry)))
        .sum::<usize>()
        + varint_field_len(2, u64::from(board.players))
}

/// IDs as first-then-differences (see `encode::update_message`).
fn delta_coded(ids: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    let mut previous = 0u64;
    ids.map(move |id| {
        let gap = id.wrapping_sub(previous);
        previous = id;
        gap
    })
}

/// The sizes of the update's fields, computed once.
struct Sizes {
    body: usize,
    players_left: usize,
    spores_left: usize,
    resized_ids: usize,
    resized_radii: usize,
}

fn sizes(delta: &ViewDelta, moved_ids: &[u8], moved_xy: &[u8]) -> Sizes {
    let tick = delta.tick % (1 << 32);
    let (left_total, players_left) = packed_len(2, delta.players_left.iter().map(|id| id.0));
    let (spores_total, spores_left) = packed_len(3, delta.spores_left.iter().map(|id| id.0));
    let eaten: usize = delta
        .eaten
        .iter()
        .map(|eat| bytes_field_len(4, fields_len(&eat_body(eat.eater, eat.eaten))))
        .sum();
    let players: usize = delta
        .players_entered
        .iter()
        .map(|player| bytes_field_len(5, player_body_len(player)))
        .sum();
    let spores: usize = delta
        .spores_entered
        .iter()
        .map(|spore| bytes_field_len(6, fields_len(&spore_numbers(spore))))
        .sum();
    let packed_bytes_len = |number, bytes: &[u8]| {
        if bytes.is_empty() {
            0
        } else {
            bytes_field_len(number, bytes.len())
        }
    };
    let moved_total = packed_bytes_len(7, moved_ids);
    let xy_total = packed_bytes_len(8, moved_xy);
    let (resized_total, resized_ids) =
        packed_len(9, delta_coded(delta.resized.iter().map(|r| r.0.0)));
    let (radii_total, resized_radii) = packed_len(10, delta.resized.iter().map(|r| u64::from(r.1)));
    let own = delta
        .own
        .as_ref()
        .map_or(0, |own| bytes_field_len(11, fields_len(&own_numbers(own))));
    let board = delta
        .leaderboard
        .as_deref()
        .map_or(0, |board| bytes_field_len(12, board_body_len(board)));
    Sizes {
        body: varint_field_len(1, tick)
            + left_total
            + spores_total
            + eaten
            + players
            + spores
            + moved_total
            + xy_total
            + resized_total
            + radii_total
            + own
            + board,
        players_left,
        spores_left,
        resized_ids,
        resized_radii,
    }
}

/// Appends the `Packet{world_update}` for `update` (a world's `Update`, or a hand-built
/// `&ViewDelta`) to `out` (exactly one encoded packet).
pub fn write_update_packet<'a>(update: impl Into<Update<'a>>, out: &mut Vec<u8>) {
    write_update_frame(update, &|_, _| {}, out);
}

/// Appends `update`'s packet to `out` like `write_update_packet`, after the header `header`
/// appends for a packet of its length (a transport's frame header): updates framed back to
/// back in one buffer, each its packet's length computed once.
pub fn write_update_frame<'a>(
    update: impl Into<Update<'a>>,
    header: &FrameHeader<'_>,
    out: &mut Vec<u8>,
) {
    let update = update.into();
    let listed;
    // The sizing and writing passes copy the moves' bytes: they are read once.
    let moved = match update.moves.source() {
        MoveSource::Listed(moves) => {
            listed = MoveBytes::of(moves);
            listed.fields()
        }
        // The view's update encoded them as it read them.
        MoveSource::Held { encoded, .. } => encoded.fields(),
    };
    let sizes = sizes(update.delta, moved.0, moved.1);
    let total = varint_len(WORLD_UPDATE_KEY) + varint_len(sizes.body as u64) + sizes.body;
    header(total, out);
    let start = out.len();
    out.resize(start + total, 0);
    let mut writer = Writer {
        buf: &mut out[start..],
        at: 0,
    };
    write_update(update.delta, moved, &sizes, &mut writer);
    debug_assert_eq!(
        writer.at, total,
        "the sizing pass and the writing pass agree"
    );
}

/// Moves (by ascending ID) as the bodies of the wire's fields 7 and 8, written as they are
/// read: a view's update fills one as it reads each held player's change, so the encoder
/// copies bytes instead of reading every held slot's change again.
#[derive(Debug, Default)]
pub(crate) struct MoveBytes {
    /// The moved players' IDs, delta-coded, as varints.
    ids: Vec<u8>,
    /// Their dx, dy, zigzag-coded, as varints.
    xy: Vec<u8>,
    /// The last ID pushed (the next is coded as the difference).
    last_id: u64,
    /// How many moves were pushed.
    count: usize,
}

impl MoveBytes {
    /// Those of a list.
    fn of(moves: &[Move]) -> Self {
        // Most IDs' gaps and most dx, dy take a byte or two: room for that many up front keeps
        // the pushes from growing the buffers one step at a time.
        let mut bytes = Self {
            ids: Vec::with_capacity(moves.len() * 2),
            xy: Vec::with_capacity(moves.len() * 4),
            ..Self::default()
        };
        for &Move { id, dx, dy } in moves {
            bytes.push(id.0, dx, dy);
        }
        bytes
    }

    /// Empties it for the next tick (keeping its buffers).
    pub(crate) fn clear(&mut self) {
        self.ids.clear();
        self.xy.clear();
        self.last_id = 0;
        self.count = 0;
    }

    /// Adds the move of player `id` (greater than the last one's) by `dx`, `dy`.
    pub(crate) fn push(&mut self, id: u64, dx: i32, dy: i32) {
        push_varint(&mut self.ids, id.wrapping_sub(self.last_id));
        self.last_id = id;
        push_varint(&mut self.xy, zigzag(dx));
        push_varint(&mut self.xy, zigzag(dy));
        self.count += 1;
    }

    /// How many moves it holds.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Fields 7 and 8's bodies.
    pub(crate) fn fields(&self) -> (&[u8], &[u8]) {
        (&self.ids, &self.xy)
    }
}

// Each byte written holds 7 bits of `value` (masked, or below 0x80): nothing is cut off.
#[allow(clippy::cast_possible_truncation)]
#[inline]
fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    // Moves are mostly a byte each: that case is one store.
    if value < 0x80 {
        out.push(value as u8);
        return;
    }
    while value >= 0x80 {
        out.push((value & 0x7F) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// `moved`: fields 7 and 8's bodies, already encoded (`MoveBytes`).
fn write_update(delta: &ViewDelta, moved: (&[u8], &[u8]), sizes: &Sizes, out: &mut Writer<'_>) {
    put_varint(out, WORLD_UPDATE_KEY);
    put_varint(out, sizes.body as u64);
    put_varint_field(out, 1, delta.tick % (1 << 32));
    put_packed(
        out,
        2,
        sizes.players_left,
        delta.players_left.iter().map(|id| id.0),
    );
    put_packed(
        out,
        3,
        sizes.spores_left,
        delta.spores_left.iter().map(|id| id.0),
    );
    for eat in &delta.eaten {
        let fields = eat_body(eat.eater, eat.eaten);
        put_len_key(out, 4, fields_len(&fields));
        put_fields(out, &fields);
    }
    for player in &delta.players_entered {
        put_len_key(out, 5, player_body_len(player));
        put_player(out, player);
    }
    for spore in &delta.spores_entered {
        let fields = spore_numbers(spore);
        put_len_key(out, 6, fields_len(&fields));
        put_fields(out, &fields);
    }
    put_bytes_field(out, 7, moved.0);
    put_bytes_field(out, 8, moved.1);
    put_packed(
        out,
        9,
        sizes.resized_ids,
        delta_coded(delta.resized.iter().map(|r| r.0.0)),
    );
    put_packed(
        out,
        10,
        sizes.resized_radii,
        delta.resized.iter().map(|r| u64::from(r.1)),
    );
    if let Some(own) = &delta.own {
        let fields = own_numbers(own);
        put_len_key(out, 11, fields_len(&fields));
        put_fields(out, &fields);
    }
    if let Some(board) = delta.leaderboard.as_deref() {
        put_len_key(out, 12, board_body_len(board));
        for entry in &board.entries {
            put_len_key(out, 1, entry_body_len(entry));
            put_varint_field(out, 1, entry.id.0);
            put_string_field(out, 2, &entry.name);
            put_varint_field(out, 3, entry.score);
        }
        put_varint_field(out, 2, u64::from(board.players));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mmo_protocol::Message as _;

    use super::*;
    use crate::encode::update_packet;
    use crate::engine::{Quantized, SporeId};
    use crate::interest::{Eat, Move};
    use crate::rng::Rng;

    fn pick<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
        items[usize::try_from(rng.next_u64() % items.len() as u64).unwrap_or(0)]
    }

    fn random_delta(rng: &mut Rng) -> ViewDelta {
        let ints = [
            0,
            1,
            -1,
            63,
            -64,
            64,
            8_000_000,
            -8_000_000,
            i32::MAX,
            i32::MIN,
        ];
        let ids = [1, 2, 127, 128, 300, 1 << 40, (1 << 53) - 1];
        let names = ["", "bot", "日本語 🎮"];
        let count = |rng: &mut Rng| usize::try_from(rng.next_u64() % 4).unwrap_or(0);
        let at = |rng: &mut Rng| Quantized {
            x: pick(rng, &ints),
            y: pick(rng, &ints),
            radius: pick(rng, &[0, 1, 160, u32::MAX]),
        };
        let mut moved: Vec<Move> = (0..count(rng))
            .map(|_| Move {
                id: PlayerId(pick(rng, &ids)),
                dx: pick(rng, &ints),
                dy: pick(rng, &ints),
            })
            .collect();
        moved.sort_by_key(|m| m.id);
        moved.dedup_by_key(|m| m.id);
        ViewDelta {
            tick: pick(rng, &[0, 1, 1 << 32, (1 << 32) + 7, u64::MAX]),
            players_left: (0..count(rng)).map(|_| PlayerId(pick(rng, &ids))).collect(),
            spores_left: (0..count(rng)).map(|_| SporeId(pick(rng, &ids))).collect(),
            eaten: (0..count(rng))
                .map(|n| Eat {
                    eater: PlayerId(pick(rng, &ids)),
                    eaten: if n % 2 == 0 {
                        EntityKey::Player(PlayerId(pick(rng, &ids)))
                    } else {
                        EntityKey::Spore(SporeId(pick(rng, &ids)))
                    },
                })
                .collect(),
            players_entered: (0..count(rng))
                .map(|_| PlayerView {
                    id: PlayerId(pick(rng, &ids)),
                    name: Arc::from(pick(rng, &names)),
                    color: pick(rng, &ints),
                    at: at(rng),
                })
                .collect(),
            spores_entered: (0..count(rng))
                .map(|_| SporeView {
                    id: SporeId(pick(rng, &ids)),
                    at: at(rng),
                })
                .collect(),
            resized: moved
                .iter()
                .map(|m| (m.id, pick(rng, &[0, 5, 1 << 20])))
                .collect(),
            moved,
            own: (rng.next_u64() % 2 == 0).then(|| OwnState {
                score: pick(rng, &ids),
                best_score: 0,
                view_half_width: 800,
                view_half_height: pick(rng, &[0, 450]),
            }),
            leaderboard: (rng.next_u64() % 2 == 0).then(|| {
                Arc::new(Leaderboard {
                    entries: (0..count(rng))
                        .map(|_| LeaderboardEntry {
                            id: PlayerId(pick(rng, &ids)),
                            name: Arc::from(pick(rng, &names)),
                            score: pick(rng, &[0, 1_257, 1 << 50]),
                        })
                        .collect(),
                    players: pick(rng, &[0, 2_000]),
                })
            }),
        }
    }

    #[test]
    fn writes_exactly_what_prost_encodes() {
        let mut rng = Rng::new(11);
        let mut out = Vec::new();
        for case in 0..5_000 {
            let delta = random_delta(&mut rng);
            out.clear();
            write_update_packet(&delta, &mut out);
            assert_eq!(
                out,
                update_packet(&delta).encode_to_vec(),
                "case {case}: {delta:?}"
            );
        }
        out.clear();
        write_update_packet(&ViewDelta::default(), &mut out);
        assert_eq!(
            out,
            [0xEA, 0x06, 0x00],
            "an empty update is its key and length 0"
        );
    }
}
