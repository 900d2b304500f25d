//! Interest management: what each observer can see, and what changed in its view since the
//! previous tick. Each tick an observer's view asks the grid for the cells it covers and
//! compares the result with what it saw last tick through per-slot marks, so the work is
//! proportional to what the view holds, never to the world's size.

use std::sync::Arc;

use crate::engine::{
    Change, Engine, Entity, EntityKey, News, PlayerId, Quantized, Removal, SporeId, Status,
};
use crate::geom::{Rect, Vec2};
pub use crate::name::Name;
use crate::wire::MoveBytes;

/// How far past its view an entity must go before it leaves it, in world units: one that
/// crosses the edge back and forth does not cost an enter and a leave on every tick.
pub const VIEW_MARGIN: f64 = 64.0;

/// A view is compared with the grid every this many ticks (observers take turns, so each tick
/// scans a quarter of them); in between, only what it holds is checked, and what was born.
/// The view is grown by how far two players can close in in that time (`World` passes it as
/// `lead`), so nothing reaches the real view unannounced.
pub const SCAN_EVERY: u64 = 4;

/// A player entering a view: everything a client needs to draw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlayerView {
    /// Which player.
    pub id: PlayerId,
    /// Its name ("" for a guest).
    pub name: Name,
    /// Its colour.
    pub color: i32,
    /// Its position and radius in wire units.
    pub at: Quantized,
    /// Its velocity (dx, dy a tick, in wire units): sent to extrapolating clients only.
    pub velocity: (i32, i32),
}

/// A spore entering a view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SporeView {
    /// Which spore.
    pub id: SporeId,
    /// Its position and radius in wire units.
    pub at: Quantized,
}

/// Something in a view was eaten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Eat {
    /// Who ate.
    pub eater: PlayerId,
    /// What was eaten.
    pub eaten: EntityKey,
}

/// A player in view moved by (`dx`, `dy`) wire units since the previous update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    /// Which player.
    pub id: PlayerId,
    /// Horizontal change.
    pub dx: i32,
    /// Vertical change.
    pub dy: i32,
}

/// An observer's own standing and view, sent when it changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OwnState {
    /// Its score now.
    pub score: u64,
    /// The best score it has reached.
    pub best_score: u64,
    /// Half its view's width in world units.
    pub view_half_width: u32,
    /// Half its view's height in world units.
    pub view_half_height: u32,
}

/// One row of the live leaderboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderboardEntry {
    /// Which player.
    pub id: PlayerId,
    /// Its name.
    pub name: Arc<str>,
    /// Its score.
    pub score: u64,
}

/// The world's best players, best first, and how many play.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Leaderboard {
    /// The rows.
    pub entries: Vec<LeaderboardEntry>,
    /// Players in the world.
    pub players: u32,
}

/// Everything that changed in one observer's view in one tick: the content of at most one
/// message to its client.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewDelta {
    /// The world's tick number.
    pub tick: u64,
    /// Players no longer in view (not eaten).
    pub players_left: Vec<PlayerId>,
    /// Spores no longer in view (not eaten).
    pub spores_left: Vec<SporeId>,
    /// Things in view that were eaten.
    pub eaten: Vec<Eat>,
    /// Players that came into view, in a delta built by hand or by `Update::to_delta`. A
    /// world's own deltas leave it empty: what entered is read from the world as it is
    /// encoded, through `Update::entrants` (each entrant is the same for every view it enters,
    /// so it is encoded once a tick and its bytes copied, not built up for every view).
    pub players_entered: Vec<PlayerView>,
    /// Spores that came into view (as `players_entered`: empty in a world's own deltas).
    pub spores_entered: Vec<SporeView>,
    /// Players in view that moved, by ascending ID, in a delta built by hand or by
    /// `Update::to_delta`. A world's own deltas leave it empty: every view that holds a player
    /// sees the same move, so the moves are read from the world's per-slot table through
    /// `Update::moves` instead of being copied into each view (~127 a view a tick).
    pub moved: Vec<Move>,
    /// Players in view whose radius changed (new radius in wire units), by ascending ID.
    pub resized: Vec<(PlayerId, u32)>,
    /// The observer's own standing, when it changed.
    pub own: Option<OwnState>,
    /// The leaderboard, when it changed since this observer last got one.
    pub leaderboard: Option<Arc<Leaderboard>>,
    /// Whether it is for an extrapolating client: then its moves (`moved`, or the world's
    /// `Update::moves`) are the players whose velocity changed, with the new velocity
    /// (`velocity_ids` and `velocity_xy` on the wire), and entrants carry their velocity.
    pub extrapolated: bool,
}

impl ViewDelta {
    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.players_left.is_empty()
            && self.spores_left.is_empty()
            && self.eaten.is_empty()
            && self.players_entered.is_empty()
            && self.spores_entered.is_empty()
            && self.moved.is_empty()
            && self.resized.is_empty()
            && self.own.is_none()
            && self.leaderboard.is_none()
    }

    /// Empties it for `tick` (whether it is `extrapolated` stays).
    fn clear(&mut self, tick: u64) {
        self.tick = tick;
        self.players_left.clear();
        self.spores_left.clear();
        self.eaten.clear();
        self.players_entered.clear();
        self.spores_entered.clear();
        self.moved.clear();
        self.resized.clear();
        self.own = None;
        self.leaderboard = None;
    }
}

/// The players in one view that moved this tick, by ascending ID.
#[derive(Clone, Copy, Debug)]
pub struct Moves<'a> {
    source: MoveSource<'a>,
    len: usize,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum MoveSource<'a> {
    /// A list (a hand-built `ViewDelta`'s `moved`).
    Listed(&'a [Move]),
    /// A view's own moves, encoded by its update as it read them.
    Held(&'a MoveBytes),
}

impl<'a> Moves<'a> {
    /// Moves listed in a slice (by ascending ID).
    pub fn listed(moves: &'a [Move]) -> Self {
        Self {
            source: MoveSource::Listed(moves),
            len: moves.len(),
        }
    }

    /// How many players moved.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether none moved.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn source(&self) -> MoveSource<'a> {
        self.source
    }

    /// The moves, by ascending ID.
    pub fn to_vec(&self) -> Vec<Move> {
        match self.source {
            MoveSource::Listed(moves) => moves.to_vec(),
            MoveSource::Held(encoded) => encoded.to_vec(),
        }
    }
}

/// One observer's update this tick: its `ViewDelta` and its moves, which are read from the
/// world's shared table rather than copied into the delta.
#[derive(Clone, Copy, Debug)]
pub struct Update<'a> {
    /// Everything but the moves and the entrants (its `moved`, `players_entered` and
    /// `spores_entered` are empty for a world's own updates).
    pub delta: &'a ViewDelta,
    /// The moves.
    pub moves: Moves<'a>,
    /// What entered the view (none for a hand-built delta, which lists them itself).
    pub entrants: Entrants<'a>,
}

impl<'a> From<&'a ViewDelta> for Update<'a> {
    /// A hand-built delta, its moves listed in `moved` and its entrants in
    /// `players_entered` and `spores_entered`.
    fn from(delta: &'a ViewDelta) -> Self {
        Self {
            delta,
            moves: Moves::listed(&delta.moved),
            entrants: Entrants::NONE,
        }
    }
}

impl Update<'_> {
    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.delta.is_empty() && self.moves.is_empty() && self.entrants.is_empty()
    }

    /// The update as one owned `ViewDelta`, its moves listed in `moved` and its entrants in
    /// `players_entered` and `spores_entered`.
    pub fn to_delta(&self) -> ViewDelta {
        let mut delta = self.delta.clone();
        delta.moved = self.moves.to_vec();
        delta.players_entered.extend(self.entrants.players());
        delta.spores_entered.extend(self.entrants.spores());
        delta
    }
}

/// What entered one view this tick, by slot, read from the world when it is encoded (every
/// view it enters gets the same bytes: `wire` encodes each entrant once a tick per thread).
#[derive(Clone, Copy, Debug)]
pub struct Entrants<'a> {
    /// The players, in the order they entered.
    players: &'a [(PlayerId, u32)],
    /// The spores' slots, in the order they entered.
    spores: &'a [u32],
    /// The world they are read from (`None` only when there are none).
    engine: Option<&'a Engine>,
}

impl<'a> Entrants<'a> {
    /// None.
    pub const NONE: Entrants<'static> = Entrants {
        players: &[],
        spores: &[],
        engine: None,
    };

    /// How many entered (players and spores).
    pub fn len(&self) -> usize {
        self.players.len() + self.spores.len()
    }

    /// Whether none entered.
    pub fn is_empty(&self) -> bool {
        self.players.is_empty() && self.spores.is_empty()
    }

    /// The players' entities, in the order they entered.
    pub(crate) fn player_entities(&self) -> impl Iterator<Item = (u32, &'a Entity)> + 'a {
        let engine = self.engine;
        self.players
            .iter()
            .filter_map(move |&(_, slot)| Some((slot, engine?.slot(slot)?)))
    }

    /// The spores' entities, in the order they entered.
    pub(crate) fn spore_entities(&self) -> impl Iterator<Item = (u32, &'a Entity)> + 'a {
        let engine = self.engine;
        self.spores
            .iter()
            .filter_map(move |&slot| Some((slot, engine?.slot(slot)?)))
    }

    /// The players that entered, as a client is told of them.
    pub fn players(&self) -> impl Iterator<Item = PlayerView> + 'a {
        self.player_entities().filter_map(|(_, entity)| {
            let EntityKey::Player(id) = entity.key else {
                return None;
            };
            let (name, color) = entity.look();
            Some(PlayerView {
                id,
                name: Name::from(name),
                color,
                at: entity.now,
                velocity: entity.velocity,
            })
        })
    }

    /// The spores that entered, as a client is told of them.
    pub fn spores(&self) -> impl Iterator<Item = SporeView> + 'a {
        self.spore_entities()
            .filter_map(|(_, entity)| match entity.key {
                EntityKey::Spore(id) => Some(SporeView { id, at: entity.now }),
                EntityKey::Player(_) => None,
            })
    }
}

/// The most cache lines of each of a view's lists asked for ahead (`Observer::prefetch`): a
/// view holds about 150 players and spores, 600 bytes of slots.
const PREFETCH_LINES: usize = 12;

/// A player whose client is told only what its view holds.
#[derive(Debug)]
pub(crate) struct Observer {
    pub(crate) player: PlayerId,
    /// The slots of the players in view. Told every move, a view reads them all every tick,
    /// by ascending player ID, so the moves come out sorted (the IDs are in the engine's
    /// per-slot changes). An extrapolating view looks up only the tick's news, which comes
    /// sorted by ID itself: its slots are kept in ascending order of the slots, so that a
    /// look-up reads the list alone. Slots alone keep every view's lists small enough to stay
    /// in the cache.
    players: Vec<u32>,
    /// The slots of the spores in view.
    spores: Vec<u32>,
    /// Players that entered the view this tick, added to `players` when the next update
    /// begins (`prepare`, or for a view told every move as it reads what the view holds):
    /// until then `players` is exactly the held players whose moves or velocities this
    /// tick's update carries (one that enters is sent whole).
    entering_players: Vec<(PlayerId, u32)>,
    /// Scratch: last tick's `entering_players` until they join `players` (`join`).
    joining: Vec<(PlayerId, u32)>,
    /// Scratch: spores entering this tick, added after the held ones are checked.
    entering_spores: Vec<u32>,
    /// How many of `spores`, at its end, entered this tick.
    entered_spores: usize,
    /// Scratch: the held players and the joiners merged, swapped with `players` after.
    merged: Vec<u32>,
    /// Which of the `SCAN_EVERY` ticks this observer's full scan falls on.
    phase: u64,
    /// The tick it was last made ready for (`prepare`).
    prepared: Option<u64>,
    /// The view at its last full scan, and the world's clock then.
    scanned: Option<(Rect, f64)>,
    pub(crate) delta: ViewDelta,
    /// The moves of `players` this tick, as the wire has them.
    moves: MoveBytes,
    pub(crate) last_own: Option<OwnState>,
    pub(crate) leaderboard_version: u64,
}

impl Observer {
    pub(crate) fn new(player: PlayerId, phase: u64) -> Self {
        Self {
            player,
            players: Vec::new(),
            spores: Vec::new(),
            entering_players: Vec::new(),
            joining: Vec::new(),
            entering_spores: Vec::new(),
            entered_spores: 0,
            merged: Vec::new(),
            phase,
            prepared: None,
            scanned: None,
            delta: ViewDelta::default(),
            moves: MoveBytes::default(),
            last_own: None,
            leaderboard_version: 0,
        }
    }

    /// Makes its updates extrapolated (velocity changes instead of moves) or not. Set before
    /// its first update: a client cannot switch halfway.
    pub(crate) fn set_extrapolating(&mut self, on: bool) {
        self.delta.extrapolated = on;
    }

    /// Drops what it held, without telling (its player is not in the world, so it has no
    /// view): holding slots across ticks it does not follow would name reused slots later.
    pub(crate) fn forget(&mut self) {
        self.players.clear();
        self.spores.clear();
        self.entering_players.clear();
        self.joining.clear();
        self.entered_spores = 0;
        self.scanned = None;
        self.delta.clear(0);
        self.moves.clear();
    }

    /// How many entities it has in view.
    pub(crate) fn in_view(&self) -> usize {
        self.players.len() + self.entering_players.len() + self.spores.len()
    }

    /// Starts loading what its next update reads first (its lists and its last delta's
    /// entrants), while the view before it is still being brought up to date.
    pub(crate) fn prefetch(&self) {
        crate::prefetch::value(self);
        crate::prefetch::slice(&self.players, PREFETCH_LINES);
        crate::prefetch::slice(&self.spores, PREFETCH_LINES);
        crate::prefetch::slice(&self.entering_players, 2);
    }

    /// The part of tick `tick`'s update that reads nothing of the world: last tick's delta
    /// cleared, and last tick's entrants made ready to join what it holds; an extrapolating
    /// view, which keeps its players by slot, joins them at once. `World::step` has this done
    /// on another core while the rules step (the views' own lists then arrive in that
    /// core's cache too); `update_view` does it for a view not done yet.
    pub(crate) fn prepare(&mut self, tick: u64) {
        if self.prepared == Some(tick) {
            return;
        }
        self.prepared = Some(tick);
        self.delta.clear(tick);
        self.moves.clear();
        std::mem::swap(&mut self.entering_players, &mut self.joining);
        self.entering_players.clear();
        self.entering_spores.clear();
        self.entered_spores = 0;
        if self.delta.extrapolated {
            self.joining.sort_unstable_by_key(|&(_, slot)| slot);
            if !self.joining.is_empty() {
                join(
                    &mut self.players,
                    &mut self.joining,
                    &mut self.merged,
                    u64::from,
                    |&(_, slot)| u64::from(slot),
                );
            }
        } else {
            // Joined by ID in `update_view`, which reads the IDs from the world.
            self.joining.sort_unstable_by_key(|&(id, _)| id);
        }
    }

    /// This tick's update (its entrants read from `engine`).
    pub(crate) fn update<'a>(&'a self, engine: &'a Engine) -> Update<'a> {
        let spores = self.spores.len().saturating_sub(self.entered_spores);
        Update {
            delta: &self.delta,
            moves: Moves {
                source: MoveSource::Held(&self.moves),
                len: self.moves.len(),
            },
            entrants: Entrants {
                players: &self.entering_players,
                spores: &self.spores[spores..],
                engine: Some(engine),
            },
        }
    }
}

/// One mark per slot, so "was it in this view last tick?" is an array read. A byte each:
/// a scan reads the marks of a few hundred slots at random, and a table a quarter the size
/// stays in the cache; the price is a clearing every 127 scans (a few kilobytes).
#[derive(Debug, Default)]
pub(crate) struct Marks {
    marks: Vec<u8>,
    counter: u8,
}

impl Marks {
    /// Two fresh mark values (seen last tick, still seen) for `slots` slots.
    fn fresh_pair(&mut self, slots: usize) -> (u8, u8) {
        if self.marks.len() < slots {
            self.marks.resize(slots, 0);
        }
        if self.counter >= u8::MAX - 2 {
            self.marks.fill(0);
            self.counter = 0;
        }
        self.counter += 2;
        (self.counter - 1, self.counter)
    }
}

/// Records the entity `key` (in `slot`) as entering the view this tick; it is encoded from the
/// world when the update is (see `Entrants`).
fn enter(
    observer_players: &mut Vec<(PlayerId, u32)>,
    observer_spores: &mut Vec<u32>,
    key: EntityKey,
    slot: u32,
) {
    match key {
        EntityKey::Player(id) => observer_players.push((id, slot)),
        EntityKey::Spore(_) => observer_spores.push(slot),
    }
}

fn gone(delta: &mut ViewDelta, entity: &Entity) {
    match (entity.removal, entity.key) {
        (Some(Removal::EatenBy(eater)), eaten) => delta.eaten.push(Eat { eater, eaten }),
        (_, EntityKey::Player(id)) => delta.players_left.push(id),
        (_, EntityKey::Spore(id)) => delta.spores_left.push(id),
    }
}

/// Whether a held player (`slot`, its `change`) stays in the view: not gone, nor out of
/// sight on a scan (`unseen`: the marks, and the mark of what was not seen again). What it
/// finds goes into `delta` (its move is written later, with the others').
// Inlined into the loop's two calls: it runs for every player of every view on every tick,
// and a call cost more than its common case (two byte comparisons).
#[allow(clippy::inline_always)]
#[inline(always)]
fn stays(
    engine: &Engine,
    delta: &mut ViewDelta,
    unseen: Option<(&[u8], u8)>,
    slot: u32,
    change: &Change,
) -> bool {
    if change.status == Status::Gone {
        gone_from(engine, delta, slot);
        return false;
    }
    if let Some((marks, was)) = unseen {
        if marks[slot as usize] == was {
            delta.players_left.push(PlayerId(change.id));
            return false;
        }
    }
    if change.status == Status::Resized {
        resized(engine, delta, slot, change.id);
    }
    true
}

#[cold]
fn gone_from(engine: &Engine, delta: &mut ViewDelta, slot: u32) {
    if let Some(entity) = engine.slot(slot) {
        gone(delta, entity);
    }
}

#[cold]
fn resized(engine: &Engine, delta: &mut ViewDelta, slot: u32, id: u64) {
    let radius = engine.slot(slot).map_or(0, |entity| entity.now.radius);
    delta.resized.push((PlayerId(id), radius));
}

/// The move of a player whose move is too long for its `XyCode`, from its positions.
#[cold]
fn long_move(engine: &Engine, slot: u32) -> (i32, i32) {
    engine.slot(slot).map_or((0, 0), |entity| {
        let (now, sent) = (entity.now, entity.sent);
        (now.x.wrapping_sub(sent.x), now.y.wrapping_sub(sent.y))
    })
}

/// Joiners up to which `join` inserts each one where it goes rather than merging the lists: a
/// view takes in two or three players a tick, and finding their places by binary search reads
/// a few of what it holds, where a merge reads (and rewrites) every one of them.
const FEW_JOINERS: usize = 8;

/// Merges `joining` into `players`, both in ascending order of `key` (of a held slot or of a
/// joiner); one that joins goes before a held one with the same key (a slot left behind).
/// Many joiners (a view's first scan, or one that jumped) are merged through the spare list
/// `merged`: making room for each in place would move the whole list every time.
fn join(
    players: &mut Vec<u32>,
    joining: &mut Vec<(PlayerId, u32)>,
    merged: &mut Vec<u32>,
    key: impl Fn(u32) -> u64,
    joiner_key: impl Fn(&(PlayerId, u32)) -> u64,
) {
    if joining.len() <= FEW_JOINERS {
        // The last first: one with the same key as a later joiner then goes before it, as in
        // the merge.
        for joiner in joining.iter().rev() {
            let joins = joiner_key(joiner);
            let at = players.partition_point(|&held| key(held) < joins);
            players.insert(at, joiner.1);
        }
        joining.clear();
        return;
    }
    merged.clear();
    merged.reserve(players.len() + joining.len());
    let mut joins = joining.iter().peekable();
    for &slot in players.iter() {
        let held = key(slot);
        while let Some(&joiner) = joins.peek() {
            if joiner_key(joiner) > held {
                break;
            }
            merged.push(joiner.1);
            joins.next();
        }
        merged.push(slot);
    }
    merged.extend(joins.map(|&(_, joined)| joined));
    std::mem::swap(players, merged);
    joining.clear();
}

/// Takes out of `slots` those `unseen` says a scan did not see again, telling `left` the ID
/// of each (as `changes` names it).
fn drop_unseen(
    slots: &mut Vec<u32>,
    unseen: &impl Fn(u32) -> bool,
    changes: &[Change],
    mut left: impl FnMut(u64),
) {
    slots.retain(|&slot| {
        let dropped = unseen(slot);
        if dropped {
            left(changes[slot as usize].id);
        }
        !dropped
    });
}

/// An extrapolating view's news: what this tick's news (players that left, resized or
/// steered, spores that left) says of what it holds goes into `delta` and `velocities`; the
/// rest of what it holds is left unread. News that does not touch `reach` is skipped unread.
fn follow_news(
    engine: &Engine,
    delta: &mut ViewDelta,
    players: &mut Vec<u32>,
    spores: &mut Vec<u32>,
    velocities: &mut MoveBytes,
    reach: Option<Rect>,
) {
    let changes = engine.changes();
    for_each_touching(engine.player_news(), reach, |news| {
        let Ok(index) = players.binary_search(&news.slot) else {
            return;
        };
        let change = &changes[news.slot as usize];
        if change.status == Status::Gone {
            gone_from(engine, delta, news.slot);
            players.remove(index);
            return;
        }
        if change.status == Status::Resized {
            resized(engine, delta, news.slot, change.id);
        }
        if let Some((dx, dy)) = news.steered {
            velocities.push(change.id, dx, dy);
        }
    });
    for_each_touching(engine.spore_news(), reach, |news| {
        if let Some(index) = spores.iter().position(|&slot| slot == news.slot) {
            gone_from(engine, delta, news.slot);
            spores.swap_remove(index);
        }
    });
}

/// Calls `visit` with each piece of `news` whose entity touches `reach` (every piece without
/// one), in order. Every view tests every piece of the tick's news, and a fifth or so pass:
/// tested 64 at a time into a mask, without a branch each, they cost no mispredicted
/// branches.
fn for_each_touching(news: &[News], reach: Option<Rect>, mut visit: impl FnMut(&News)) {
    for block in news.chunks(64) {
        let mut mask = match reach {
            None => u64::MAX >> (64 - block.len()),
            Some(reach) => block.iter().enumerate().fold(0u64, |mask, (bit, news)| {
                mask | u64::from(reach.touches_circle(news.pos, news.radius)) << bit
            }),
        };
        while mask != 0 {
            visit(&block[mask.trailing_zeros() as usize]);
            mask &= mask - 1;
        }
    }
}

/// Brings `observer`'s view up to date for this tick and fills its delta (cleared first);
/// returns whether it scanned the grid.
/// `lead` is how far ahead of the view things are announced (see `SCAN_EVERY`), `max_speed`
/// the fastest anything moves: a view that outran its last scan (a respawn, a tick that came
/// late, a view that grew) is scanned at once.
pub(crate) fn update_view(
    engine: &Engine,
    marks: &mut Marks,
    observer: &mut Observer,
    view: Rect,
    lead: f64,
    max_speed: f64,
) -> bool {
    let tick = engine.tick_number();
    observer.prepare(tick);
    let Observer {
        players,
        spores,
        entering_players,
        joining,
        entering_spores,
        entered_spores,
        merged,
        delta,
        moves,
        phase,
        scanned,
        ..
    } = observer;
    let extrapolating = delta.extrapolated;
    let changes = engine.changes();
    let announce = view.grown(lead);
    let keep = announce.grown(VIEW_MARGIN);
    let clock = engine.clock();
    let outran = scanned.is_none_or(|(at, then)| {
        let moved = (view.center.x - at.center.x)
            .abs()
            .max((view.center.y - at.center.y).abs());
        // A view that grew by g reaches g further, as if it had moved that far.
        let grew = (view.half.x - at.half.x)
            .max(view.half.y - at.half.y)
            .max(0.0);
        moved + grew + max_speed * (clock - then) > lead
    });
    let scanning = outran || (tick + *phase) % SCAN_EVERY == 0;
    if scanning {
        *scanned = Some((view, clock));
    }
    let (was, still) = if scanning {
        marks.fresh_pair(engine.slot_capacity())
    } else {
        (0, 0)
    };
    let mut enter_view = |key: EntityKey, slot: u32| {
        enter(entering_players, entering_spores, key, slot);
    };
    if scanning {
        // Compare the grid around the view with what the view holds: held and still in
        // sight become `still`; new and in the announced area enter.
        for &slot in players.iter().chain(joining.iter().map(|(_, slot)| slot)) {
            marks.marks[slot as usize] = was;
        }
        for &slot in spores.iter() {
            marks.marks[slot as usize] = was;
        }
        let min = Vec2::new(keep.center.x - keep.half.x, keep.center.y - keep.half.y);
        let max = Vec2::new(keep.center.x + keep.half.x, keep.center.y + keep.half.y);
        engine.for_each_item_near(min, max, |item| {
            let mark = &mut marks.marks[item.slot as usize];
            if *mark == was {
                if keep.touches_circle(item.pos, item.radius) {
                    *mark = still;
                }
            } else if *mark != still && announce.touches_circle(item.pos, item.radius) {
                if let Some(key) = engine.key_in(item.slot) {
                    *mark = still;
                    enter_view(key, item.slot);
                }
            }
        });
    } else {
        // Between scans only what was born since the last tick can have appeared.
        for_each_touching(engine.born_news(), Some(announce), |born| {
            if let Some(key) = engine.key_in(born.slot) {
                enter_view(key, born.slot);
            }
        });
    }
    if extrapolating {
        // Only what the tick's news names can have changed for a held player: no moves to
        // read. Last tick's entrants have joined already (`Observer::prepare`), so that their
        // news counts too.
        if scanning {
            // What the grid no longer showed in sight has left; what left the world is told
            // by the news below, as eaten or gone.
            let marks = &marks.marks;
            let unseen = |slot: u32| {
                marks[slot as usize] == was && changes[slot as usize].status != Status::Gone
            };
            drop_unseen(players, &unseen, changes, |id| {
                delta.players_left.push(PlayerId(id));
            });
            drop_unseen(spores, &unseen, changes, |id| {
                delta.spores_left.push(SporeId(id));
            });
        }
        // Since the last scan a held player has never gone further than `lead` past `keep`
        // unless the view outran it (a jump: then every piece of news is looked up); twice
        // that is a margin.
        let reach = (!outran).then(|| keep.grown(2.0 * lead));
        follow_news(engine, delta, players, spores, moves, reach);
        *entered_spores = entering_spores.len();
        spores.append(entering_spores);
        return scanning;
    }
    // What it held, last tick's entrants joined (by ascending ID), checked: gone, out of
    // sight (on a scan), resized. This runs for every player of every view on every tick:
    // the common case (none of those) is a read of the slot's change.
    if !joining.is_empty() {
        let id_of = |slot: u32| changes[slot as usize].id;
        join(players, joining, merged, id_of, |&(id, _)| id.0);
    }
    let marks = &marks.marks;
    let unseen = scanning.then_some((&marks[..], was));
    players.retain(|&slot| stays(engine, delta, unseen, slot, &changes[slot as usize]));
    // Then their moves, in a loop of its own (the changes it reads again are in the cache):
    // with the checks above in it, the loop had more state than registers.
    moves.push_held(players, changes, |slot| long_move(engine, slot));
    let mut kept = 0;
    for index in 0..spores.len() {
        let slot = spores[index];
        let change = changes[slot as usize];
        if change.status == Status::Gone {
            gone_from(engine, delta, slot);
            continue;
        }
        if scanning && marks[slot as usize] == was {
            delta.spores_left.push(SporeId(change.id));
            continue;
        }
        spores[kept] = slot;
        kept += 1;
    }
    spores.truncate(kept);
    *entered_spores = entering_spores.len();
    spores.append(entering_spores);
    scanning
}
