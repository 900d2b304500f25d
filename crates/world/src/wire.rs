//! `WorldUpdateMessage` packets written straight from a `ViewDelta` into a byte buffer: the
//! same bytes as `encode::update_packet(..).encode_to_vec()`, without building the prost
//! message (its vectors and strings were a tenth of the benchmark's time). It is written in
//! one pass: each nested message's length is written after its body (in the byte kept for it,
//! or in more made room for), and the packet's key and length and the transport's header are
//! moved in front of the body once it is written. A world's update brings its moves already
//! encoded (`MoveBytes`, written by the view's update as it reads each held player's change);
//! a hand-built delta's are encoded the same way first. Either way they are copied from there.
//! Its entrants are read from the world by slot, and on a view thread copied from that
//! thread's `EntrantCodes`, where each is encoded once a tick.

use std::sync::Arc;

use crate::engine::{Change, Entity, EntityKey, PlayerId, Quantized};
use crate::interest::{
    Entrants, Leaderboard, LeaderboardEntry, Move, MoveSource, OwnState, PlayerView, SporeView,
    Update, ViewDelta,
};

/// Appends a transport's header for a packet of the given length (e.g. a WebSocket frame's).
pub type FrameHeader<'a> = dyn Fn(usize, &mut Vec<u8>) + Sync + 'a;

/// `Packet` field 109 (`world_update`), length-delimited.
const WORLD_UPDATE_KEY: u64 = (109 << 3) | 2;

fn varint_len(value: u64) -> usize {
    // 1 byte per 7 bits; 0 takes one byte.
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Writes `value` as a varint into `out` at `at` (room made); returns where it ends.
// Each byte written holds 7 bits of `value` (masked, or below 0x80): nothing is cut off.
// Inlined: it writes every moved player's ID gap and move in every view (gaps between the IDs
// a view holds are mostly below 128: one store).
#[allow(clippy::cast_possible_truncation)]
#[inline]
fn put_varint_at(out: &mut [u8], mut at: usize, mut value: u64) -> usize {
    while value >= 0x80 {
        out[at] = (value & 0x7F) as u8 | 0x80;
        at += 1;
        value >>= 7;
    }
    out[at] = value as u8;
    at + 1
}

// Each byte pushed holds 7 bits of `value` (masked, or below 0x80): nothing is cut off.
#[allow(clippy::cast_possible_truncation)]
fn put_varint(out: &mut Vec<u8>, mut value: u64) {
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
fn put_varint_field(out: &mut Vec<u8>, number: u32, value: u64) {
    if value != 0 {
        put_varint(out, key(number, 0));
        put_varint(out, value);
    }
}

fn put_len_key(out: &mut Vec<u8>, number: u32, len: usize) {
    put_varint(out, key(number, 2));
    put_varint(out, len as u64);
}

fn put_string_field(out: &mut Vec<u8>, number: u32, text: &[u8]) {
    if !text.is_empty() {
        put_len_key(out, number, text.len());
        out.extend_from_slice(text);
    }
}

/// A length-delimited field whose body `body` writes: its length, unknown until then, goes in
/// the byte kept for it (or, for a body of 128 bytes or more, in as many as it takes, the
/// body moved up to make room).
// A length below 0x80 is its own one-byte varint.
#[allow(clippy::cast_possible_truncation)]
fn put_nested(out: &mut Vec<u8>, number: u32, body: impl FnOnce(&mut Vec<u8>)) {
    put_varint(out, key(number, 2));
    let at = out.len();
    out.push(0);
    body(out);
    let len = out.len() - at - 1;
    if len < 0x80 {
        out[at] = len as u8;
    } else {
        let mut length = [0; MAX_VARINT];
        let end = put_varint_at(&mut length, 0, len as u64);
        out[at] = length[0];
        out.splice(at + 1..at + 1, length[1..end].iter().copied());
    }
}

/// A packed field whose body is already written (`bytes`; left out when empty).
fn put_bytes_field(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    if !bytes.is_empty() {
        put_len_key(out, number, bytes.len());
        out.extend_from_slice(bytes);
    }
}

/// A packed repeated varint field of `values` (left out when there are none).
fn put_packed<T>(out: &mut Vec<u8>, number: u32, items: &[T], values: impl Iterator<Item = u64>) {
    if !items.is_empty() {
        put_nested(out, number, |out| {
            values.for_each(|value| put_varint(out, value));
        });
    }
}

fn eat_body(eater: PlayerId, eaten: EntityKey) -> [(u32, u64); 3] {
    let (player, spore) = match eaten {
        EntityKey::Player(id) => (id.0, 0),
        EntityKey::Spore(id) => (0, id.0),
    };
    [(1, eater.0), (2, player), (3, spore)]
}

fn put_fields(out: &mut Vec<u8>, fields: &[(u32, u64)]) {
    for &(number, value) in fields {
        put_varint_field(out, number, value);
    }
}

/// What a client is told of a player entering its view (`WorldPlayer`), borrowed from a
/// `PlayerView` or from the entity itself.
struct EnteringPlayer<'a> {
    id: PlayerId,
    name: &'a [u8],
    at: Quantized,
    color: i32,
    velocity: (i32, i32),
}

impl<'a> From<&'a PlayerView> for EnteringPlayer<'a> {
    fn from(player: &'a PlayerView) -> Self {
        Self {
            id: player.id,
            name: player.name.as_bytes(),
            at: player.at,
            color: player.color,
            velocity: player.velocity,
        }
    }
}

/// An entrant's fields; with its velocity (fields 7 and 8) for an extrapolating client.
fn put_player(out: &mut Vec<u8>, player: &EnteringPlayer<'_>, extrapolated: bool) {
    put_varint_field(out, 1, player.id.0);
    put_string_field(out, 2, player.name);
    put_fields(
        out,
        &[
            (3, zigzag(player.at.x)),
            (4, zigzag(player.at.y)),
            (5, u64::from(player.at.radius)),
            (6, int32(player.color)),
        ],
    );
    if extrapolated {
        let (vx, vy) = player.velocity;
        put_fields(out, &[(7, zigzag(vx)), (8, zigzag(vy))]);
    }
}

/// A player entering a view, as field 5 carries it: key, length and body.
fn put_entering_player(out: &mut Vec<u8>, player: &EnteringPlayer<'_>, extrapolated: bool) {
    put_nested(out, 5, |out| put_player(out, player, extrapolated));
}

/// A spore entering a view, as field 6 carries it: key, length and body.
fn put_entering_spore(out: &mut Vec<u8>, spore: &SporeView) {
    put_nested(out, 6, |out| put_fields(out, &spore_numbers(spore)));
}

/// The entity in a view's entrants, as field 5 (a player) or 6 (a spore) carries it: the
/// same bytes as for its `PlayerView` or `SporeView`.
fn put_entrant(out: &mut Vec<u8>, entity: &Entity, extrapolated: bool) {
    match entity.key {
        EntityKey::Player(id) => {
            let (name, color) = entity.look();
            let player = EnteringPlayer {
                id,
                name: name.as_bytes(),
                at: entity.now,
                color,
                velocity: entity.velocity,
            };
            put_entering_player(out, &player, extrapolated);
        }
        EntityKey::Spore(id) => put_entering_spore(out, &SporeView { id, at: entity.now }),
    }
}

/// Each view thread's entrants of this tick, encoded (field 5 or 6, key and all): an entity
/// enters a hundred views or so in the tick it is born, and every view that scans its way
/// to one enters it too; encoded once a tick, each of them copies its bytes.
#[derive(Debug, Default)]
pub(crate) struct EntrantCodes {
    /// The tick they are for.
    tick: u64,
    /// The encoded fields, back to back.
    bytes: Vec<u8>,
    /// By slot, where its field lies in `bytes` (empty when not encoded this tick): as a
    /// client told every move is told of it, and as an extrapolating one is.
    at: Vec<[(u32, u32); 2]>,
    /// The slots encoded this tick (their `at` is emptied for the next).
    encoded: Vec<u32>,
}

impl EntrantCodes {
    /// Forgets the codes of another tick than `tick`.
    fn begin(&mut self, tick: u64) {
        if self.tick == tick {
            return;
        }
        self.tick = tick;
        self.bytes.clear();
        for slot in self.encoded.drain(..) {
            self.at[slot as usize] = [(0, 0); 2];
        }
    }

    /// Appends the field of the entity in `slot` entering a view (encoding it first if it
    /// has not been this tick).
    fn put(&mut self, out: &mut Vec<u8>, slot: u32, entity: &Entity, extrapolated: bool) {
        let index = slot as usize;
        if self.at.len() <= index {
            self.at.resize(index + 1, [(0, 0); 2]);
        }
        let flavour = usize::from(extrapolated);
        let (mut start, mut end) = self.at[index][flavour];
        if start == end {
            let before = self.bytes.len();
            put_entrant(&mut self.bytes, entity, extrapolated);
            (start, end) = (offset(before), offset(self.bytes.len()));
            if self.at[index] == [(0, 0); 2] {
                self.encoded.push(slot);
            }
            self.at[index][flavour] = (start, end);
        }
        out.extend_from_slice(&self.bytes[start as usize..end as usize]);
    }
}

/// An offset into a thread's codes: a tick's entrants take far less than 4 GB.
fn offset(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

/// `entrants`' fields 5 and 6 (players, then spores), through this thread's `codes` when
/// there are some.
fn put_entrants(
    out: &mut Vec<u8>,
    entrants: &Entrants<'_>,
    extrapolated: bool,
    mut codes: Option<&mut EntrantCodes>,
) {
    // A spore's field is the same for every client: one code for both kinds of client.
    let players = entrants
        .player_entities()
        .map(|entrant| (entrant, extrapolated));
    let spores = entrants.spore_entities().map(|entrant| (entrant, false));
    for ((slot, entity), extrapolated) in players.chain(spores) {
        match &mut codes {
            Some(codes) => codes.put(out, slot, entity, extrapolated),
            None => put_entrant(out, entity, extrapolated),
        }
    }
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

fn put_board(out: &mut Vec<u8>, board: &Leaderboard) {
    for entry in &board.entries {
        put_nested(out, 1, |out| put_entry(out, entry));
    }
    put_varint_field(out, 2, u64::from(board.players));
}

fn put_entry(out: &mut Vec<u8>, entry: &LeaderboardEntry) {
    put_varint_field(out, 1, entry.id.0);
    put_string_field(out, 2, entry.name.as_bytes());
    put_varint_field(out, 3, entry.score);
}

/// IDs in ascending order as the first and then differences (small numbers, short varints).
pub(crate) fn delta_coded(ids: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    let mut previous = 0u64;
    ids.map(move |id| {
        let gap = id.wrapping_sub(previous);
        previous = id;
        gap
    })
}

/// Appends the `Packet{world_update}` for `update` (a world's `Update`, or a hand-built
/// `&ViewDelta`) to `out` (exactly one encoded packet).
pub fn write_update_packet<'a>(update: impl Into<Update<'a>>, out: &mut Vec<u8>) {
    write_update_frame(update, &|_, _| {}, out);
}

/// Appends `update`'s packet to `out` like `write_update_packet`, after the header `header`
/// appends for a packet of its length (a transport's frame header): updates framed back to
/// back in one buffer, each written in one pass.
pub fn write_update_frame<'a>(
    update: impl Into<Update<'a>>,
    header: &FrameHeader<'_>,
    out: &mut Vec<u8>,
) {
    write_update_frame_knowing(update.into(), header, None, None, out);
}

/// A leaderboard and its body as field 12 carries it, encoded once: on a tick that refreshes
/// it, every view sends the same board, and copying its bytes costs far less than encoding
/// ten rows again for each.
#[derive(Debug)]
pub(crate) struct EncodedBoard {
    /// The board (an update whose board is this very `Arc` gets `body`).
    pub(crate) board: Arc<Leaderboard>,
    /// Its encoded body.
    pub(crate) body: Vec<u8>,
}

impl EncodedBoard {
    /// `board`, encoded.
    pub(crate) fn new(board: Arc<Leaderboard>) -> Self {
        let mut body = Vec::new();
        put_board(&mut body, &board);
        Self { board, body }
    }
}

/// `write_update_frame`, copying the board's bytes from `known` when the update's board is
/// `known`'s, and the entrants' from this thread's `codes` (for `codes`' tick, this one).
pub(crate) fn write_update_frame_knowing(
    update: Update<'_>,
    header: &FrameHeader<'_>,
    known: Option<&EncodedBoard>,
    codes: Option<(&mut EntrantCodes, u64)>,
    out: &mut Vec<u8>,
) {
    let listed;
    let moved = match update.moves.source() {
        MoveSource::Listed(moves) => {
            listed = MoveBytes::of(moves);
            listed.fields()
        }
        // The view's update encoded them as it read them.
        MoveSource::Held(encoded) => encoded.fields(),
    };
    let start = out.len();
    // Room for all but the nested messages' longer lengths: the moves are most of it.
    out.reserve(moved.0.len() + moved.1.len() + 256);
    let codes = codes.map(|(codes, tick)| {
        codes.begin(tick);
        codes
    });
    write_body(update.delta, moved, &update.entrants, codes, known, out);
    let body_end = out.len();
    let body = body_end - start;
    let total = varint_len(WORLD_UPDATE_KEY) + varint_len(body as u64) + body;
    // The header, key and length go after the body and are then rotated in front of it: one
    // move of the body, where a first pass computing every length cost more.
    header(total, out);
    put_varint(out, WORLD_UPDATE_KEY);
    put_varint(out, body as u64);
    let prefix = out.len() - body_end;
    out[start..].rotate_right(prefix);
}

/// The most bytes a varint takes (a `u64`'s 64 bits, 7 a byte).
const MAX_VARINT: usize = 10;

/// One player's move as field 8 carries it: zigzag dx, then dy, as varints. The engine
/// encodes it once a tick for each player (`Change::xy`), as every view that holds the player
/// sends the same bytes: a view's update then copies them instead of encoding them again.
/// It is kept small (7 bytes) for the table of changes every view reads to stay in the cache:
/// a move of up to 2^20 wire units each way fits (131,072 world units, far more than a
/// tick's); a longer one is `LONG`, to be encoded from the entity's positions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct XyCode {
    /// The two varints, then zeros.
    bytes: [u8; 6],
    /// How many of `bytes` they take; 0 for `NONE`, `LONG_LEN` for `LONG`.
    len: u8,
}

/// `XyCode::len` of a move too long for its bytes.
const LONG_LEN: u8 = u8::MAX;

impl XyCode {
    /// No move: the player stood still (nothing to send).
    pub(crate) const NONE: Self = Self {
        bytes: [0; 6],
        len: 0,
    };

    /// A move, but too long for the bytes: the caller encodes it from dx, dy itself.
    pub(crate) const LONG: Self = Self {
        bytes: [0; 6],
        len: LONG_LEN,
    };

    /// The move by `dx`, `dy` (`NONE` when both are 0; `LONG` when it does not fit).
    // Each byte written holds 7 bits of the value (masked, or below 0x80), and at most 6 are
    // written, so `len` fits a `u8`.
    #[allow(clippy::cast_possible_truncation)]
    pub(crate) fn new(dx: i32, dy: i32) -> Self {
        if dx == 0 && dy == 0 {
            return Self::NONE;
        }
        let (x, y) = (zigzag(dx), zigzag(dy));
        if varint_len(x) + varint_len(y) > 6 {
            return Self::LONG;
        }
        let mut code = Self::NONE;
        let mut at = 0;
        for mut value in [x, y] {
            while value >= 0x80 {
                code.bytes[at] = (value & 0x7F) as u8 | 0x80;
                value >>= 7;
                at += 1;
            }
            code.bytes[at] = value as u8;
            at += 1;
        }
        code.len = at as u8;
        code
    }

    /// Whether it is `NONE` (the player did not move).
    pub(crate) fn is_none(&self) -> bool {
        self.len == 0
    }

    /// Whether it is `LONG`.
    pub(crate) fn is_long(&self) -> bool {
        self.len == LONG_LEN
    }
}

/// Moves (by ascending ID) as the bodies of the wire's fields 7 and 8: a view's update
/// writes its moves here once (`push_held`), from the codes the engine made, and the packet
/// copies the bytes.
///
/// Its buffers are kept at least as long as the most the next writes can take (only the
/// first `ids_len`, `xy_len` bytes count): a move is stored with indexed writes and a copy of
/// a whole `XyCode`, not a capacity check per byte.
#[derive(Debug, Default)]
pub(crate) struct MoveBytes {
    /// The moved players' IDs, delta-coded, as varints.
    ids: Vec<u8>,
    ids_len: usize,
    /// Their dx, dy, zigzag-coded, as varints.
    xy: Vec<u8>,
    xy_len: usize,
    /// The last ID pushed (the next is coded as the difference).
    last_id: u64,
    /// How many moves were pushed.
    count: usize,
}

impl MoveBytes {
    /// Those of a list.
    fn of(moves: &[Move]) -> Self {
        let mut bytes = Self::default();
        for &Move { id, dx, dy } in moves {
            bytes.push(id.0, dx, dy);
        }
        bytes
    }

    /// Empties it for the next tick (keeping its buffers).
    pub(crate) fn clear(&mut self) {
        self.ids_len = 0;
        self.xy_len = 0;
        self.last_id = 0;
        self.count = 0;
    }

    /// Makes room for `moves` more moves of any size.
    fn reserve(&mut self, moves: usize) {
        let room = moves * 2 * MAX_VARINT;
        for (buffer, len) in [(&mut self.ids, self.ids_len), (&mut self.xy, self.xy_len)] {
            if buffer.len() < len + room {
                buffer.resize(len + room, 0);
            }
        }
    }

    /// Adds the move of player `id` (greater than the last one's) by `dx`, `dy`.
    pub(crate) fn push(&mut self, id: u64, dx: i32, dy: i32) {
        self.reserve(1);
        let (ids_len, xy_len, last_id) = (self.ids_len, self.xy_len, self.last_id);
        self.ids_len = put_varint_at(&mut self.ids, ids_len, id.wrapping_sub(last_id));
        self.xy_len = put_xy(&mut self.xy, xy_len, dx, dy);
        self.last_id = id;
        self.count += 1;
    }

    /// Adds the moves of the players in `slots` (by ascending ID) that moved, as `changes`
    /// has them encoded (`long_move` gives the dx, dy of a slot whose move is `LONG`).
    ///
    /// This runs for nearly every player of every view on every tick, so it works on locals
    /// (a byte stored through a field might alias the other fields, which would then be read
    /// again after each store) and copies each move's code whole.
    pub(crate) fn push_held(
        &mut self,
        slots: &[u32],
        changes: &[Change],
        long_move: impl Fn(u32) -> (i32, i32),
    ) {
        self.reserve(slots.len());
        let (mut ids_len, mut xy_len, mut last_id) = (self.ids_len, self.xy_len, self.last_id);
        let mut count = self.count;
        let (ids, xy) = (&mut self.ids[..], &mut self.xy[..]);
        for &slot in slots {
            let change = &changes[slot as usize];
            let code = &change.xy;
            if code.is_none() {
                continue;
            }
            ids_len = put_varint_at(ids, ids_len, change.id.wrapping_sub(last_id));
            last_id = change.id;
            count += 1;
            if code.is_long() {
                let (dx, dy) = long_move(slot);
                xy_len = put_xy(xy, xy_len, dx, dy);
            } else {
                // The whole array (one store), of which `len` bytes count: the room made
                // above holds it.
                xy[xy_len..xy_len + code.bytes.len()].copy_from_slice(&code.bytes);
                xy_len += usize::from(code.len);
            }
        }
        (self.ids_len, self.xy_len, self.last_id, self.count) = (ids_len, xy_len, last_id, count);
    }

    /// How many moves it holds.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Fields 7 and 8's bodies.
    pub(crate) fn fields(&self) -> (&[u8], &[u8]) {
        (&self.ids[..self.ids_len], &self.xy[..self.xy_len])
    }

    /// The moves it holds, by ascending ID.
    pub(crate) fn to_vec(&self) -> Vec<Move> {
        let (ids, xy) = self.fields();
        let (mut ids, mut xy) = (Varints(ids), Varints(xy));
        let mut id = 0u64;
        let mut moves = Vec::with_capacity(self.count);
        while let (Some(gap), Some(dx), Some(dy)) = (ids.next(), xy.next(), xy.next()) {
            id = id.wrapping_add(gap);
            moves.push(Move {
                id: PlayerId(id),
                dx: unzigzag(dx),
                dy: unzigzag(dy),
            });
        }
        moves
    }
}

/// Writes dx, dy zigzag-coded as varints into `out` at `at` (room made); returns where
/// they end.
#[cold]
fn put_xy(out: &mut [u8], at: usize, dx: i32, dy: i32) -> usize {
    let at = put_varint_at(out, at, zigzag(dx));
    put_varint_at(out, at, zigzag(dy))
}

/// Reads the varints of a packed field's body.
struct Varints<'a>(&'a [u8]);

impl Iterator for Varints<'_> {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for (index, &byte) in self.0.iter().enumerate() {
            value |= u64::from(byte & 0x7F) << (7 * index).min(63);
            if byte < 0x80 {
                self.0 = &self.0[index + 1..];
                return Some(value);
            }
        }
        None
    }
}

/// The `i32` a zigzag value (of at most 32 bits, as `zigzag` makes them) stands for.
// The value came from `zigzag`, so it holds 32 bits.
#[allow(clippy::cast_possible_truncation)]
fn unzigzag(value: u64) -> i32 {
    let value = value as u32;
    i32::from_ne_bytes(((value >> 1) ^ (value & 1).wrapping_neg()).to_ne_bytes())
}

/// The `WorldUpdateMessage`'s fields; `moved`: fields 7 and 8's bodies (13 and 14's for an
/// extrapolating client), already encoded (`MoveBytes`).
fn write_body(
    delta: &ViewDelta,
    moved: (&[u8], &[u8]),
    entrants: &Entrants<'_>,
    codes: Option<&mut EntrantCodes>,
    known: Option<&EncodedBoard>,
    out: &mut Vec<u8>,
) {
    put_varint_field(out, 1, delta.tick % (1 << 32));
    put_packed(
        out,
        2,
        &delta.players_left,
        delta.players_left.iter().map(|id| id.0),
    );
    put_packed(
        out,
        3,
        &delta.spores_left,
        delta.spores_left.iter().map(|id| id.0),
    );
    for eat in &delta.eaten {
        put_nested(out, 4, |out| {
            put_fields(out, &eat_body(eat.eater, eat.eaten));
        });
    }
    for player in &delta.players_entered {
        put_entering_player(out, &player.into(), delta.extrapolated);
    }
    for spore in &delta.spores_entered {
        put_entering_spore(out, spore);
    }
    // A world's own update: its entrants, players then spores, as a hand-built one lists
    // them above (an update has one or the other).
    put_entrants(out, entrants, delta.extrapolated, codes);
    // An extrapolating client's moves are velocity changes, fields 13 and 14 (below).
    if !delta.extrapolated {
        put_bytes_field(out, 7, moved.0);
        put_bytes_field(out, 8, moved.1);
    }
    put_packed(
        out,
        9,
        &delta.resized,
        delta_coded(delta.resized.iter().map(|r| r.0.0)),
    );
    put_packed(
        out,
        10,
        &delta.resized,
        delta.resized.iter().map(|r| u64::from(r.1)),
    );
    if let Some(own) = &delta.own {
        put_nested(out, 11, |out| put_fields(out, &own_numbers(own)));
    }
    if let Some(board) = &delta.leaderboard {
        match known {
            // Written even when empty: the field's presence says the board changed.
            Some(known) if Arc::ptr_eq(board, &known.board) => {
                put_len_key(out, 12, known.body.len());
                out.extend_from_slice(&known.body);
            }
            _ => put_nested(out, 12, |out| put_board(out, board)),
        }
    }
    if delta.extrapolated {
        put_bytes_field(out, 13, moved.0);
        put_bytes_field(out, 14, moved.1);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mmo_protocol::Message as _;

    use super::*;
    use crate::encode::update_packet;
    use crate::engine::{Quantized, SporeId};
    use crate::interest::{Eat, Move, Name};
    use crate::rng::Rng;

    /// `delta`'s packet, its board copied from `known` when it is that board.
    fn write_knowing(delta: &ViewDelta, known: &EncodedBoard, out: &mut Vec<u8>) {
        write_update_frame_knowing(Update::from(delta), &|_, _| {}, Some(known), None, out);
    }

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
        // A long name makes a player's (and a leaderboard row's) body 128 bytes or more: its
        // length takes two bytes, made room for after the body is written.
        let long = "n".repeat(140);
        let names = ["", "bot", "日本語 🎮", long.as_str()];
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
                    name: Name::from(pick(rng, &names)),
                    color: pick(rng, &ints),
                    at: at(rng),
                    velocity: (pick(rng, &ints), pick(rng, &ints)),
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
                // Up to 12 rows: a board of 128 bytes or more, even with short names.
                Arc::new(Leaderboard {
                    entries: (0..count(rng) * 4)
                        .map(|_| LeaderboardEntry {
                            id: PlayerId(pick(rng, &ids)),
                            name: Arc::from(pick(rng, &names)),
                            score: pick(rng, &[0, 1_257, 1 << 50]),
                        })
                        .collect(),
                    players: pick(rng, &[0, 2_000]),
                })
            }),
            extrapolated: rng.next_u64() % 2 == 0,
        }
    }

    #[test]
    fn held_moves_from_the_engines_codes_are_the_listed_moves_bytes() {
        // Short moves are copied from their code, long ones (`XyCode::LONG`) encoded whole.
        let ints = [
            0,
            1,
            -1,
            63,
            -64,
            64,
            8_191,
            -8_192,
            1 << 20,
            8_000_000,
            i32::MIN,
        ];
        let mut rng = Rng::new(5);
        for case in 0..2_000 {
            let mut moves: Vec<Move> = (0..usize::try_from(rng.next_u64() % 6).unwrap_or(0))
                .map(|_| Move {
                    id: PlayerId(pick(&mut rng, &[1, 2, 127, 128, 300, 1 << 40])),
                    dx: pick(&mut rng, &ints),
                    dy: pick(&mut rng, &ints),
                })
                .collect();
            moves.sort_by_key(|m| m.id);
            moves.dedup_by_key(|m| m.id);
            let changes: Vec<Change> = moves
                .iter()
                .map(|m| Change {
                    id: m.id.0,
                    xy: XyCode::new(m.dx, m.dy),
                    ..Change::default()
                })
                .collect();
            let slots: Vec<u32> = (0..).take(moves.len()).collect();
            let mut held = MoveBytes::default();
            held.push_held(&slots, &changes, |slot| {
                let m = moves[slot as usize];
                (m.dx, m.dy)
            });
            // A player that did not move is not sent.
            let listed = MoveBytes::of(
                &moves
                    .iter()
                    .copied()
                    .filter(|m| m.dx != 0 || m.dy != 0)
                    .collect::<Vec<_>>(),
            );
            assert_eq!(held.fields(), listed.fields(), "case {case}: {moves:?}");
            assert_eq!(held.len(), listed.len());
            assert_eq!(held.to_vec(), listed.to_vec());
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

    #[test]
    fn a_board_encoded_once_is_written_as_prost_encodes_it_even_empty() {
        let mut rng = Rng::new(12);
        let mut out = Vec::new();
        let mut boards = 0;
        for case in 0..2_000 {
            let mut delta = random_delta(&mut rng);
            if case % 10 == 0 {
                delta.leaderboard = Some(Arc::new(Leaderboard::default()));
            }
            let Some(board) = delta.leaderboard.clone() else {
                continue;
            };
            boards += 1;
            let known = EncodedBoard::new(board);
            out.clear();
            write_knowing(&delta, &known, &mut out);
            assert_eq!(
                out,
                update_packet(&delta).encode_to_vec(),
                "case {case}: {delta:?}"
            );
        }
        assert!(boards > 100, "only {boards} cases had a board");
        // Another board than the known one is encoded, not copied from it.
        let known = EncodedBoard::new(Arc::new(Leaderboard {
            entries: Vec::new(),
            players: 7,
        }));
        let delta = ViewDelta {
            leaderboard: Some(Arc::new(Leaderboard::default())),
            ..ViewDelta::default()
        };
        out.clear();
        write_knowing(&delta, &known, &mut out);
        assert_eq!(out, update_packet(&delta).encode_to_vec());
    }
}
