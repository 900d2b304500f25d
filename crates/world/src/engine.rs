//! The world's state apart from any game: entities (players and spores) with a position and a
//! radius, stored in slots and indexed by the spatial grid, the world's clock and dice, and the
//! log of what happened for clients that are told everything (the tutorial's).

use std::sync::Arc;

use crate::geom::Vec2;
use crate::grid::{FastMap, Grid};
use crate::name::Name;
use crate::rng::Rng;
use crate::wire::XyCode;

/// How far from the origin a position may be, in world units. The tutorial's world has no
/// bounds; this one keeps positions where a `sint32` of 1/`POSITION_SCALE` units holds them
/// exactly (8,000,000 < 2^31). At 150 units/s a player needs 1.8 hours to get here.
pub const WORLD_LIMIT: f64 = 1_000_000.0;

/// Position and radius units per world unit on the wire (1/8 unit: an error of 1/16 at most).
pub const POSITION_SCALE: u32 = 8;

/// The grid's cell size in world units: a view (1,600 × 900 at the start) covers about 40
/// cells and an eating check 1 to 4, at a few entities per cell in the tutorial's density.
pub const CELL_SIZE: f64 = 256.0;

/// A player's ID: its owner's client ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlayerId(pub u64);

/// A spore's ID: 1, 2, 3… per world, never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SporeId(pub u64);

/// Which entity: players and spores have separate ID spaces, as in the tutorial.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKey {
    /// A player.
    Player(PlayerId),
    /// A spore.
    Spore(SporeId),
}

/// How a player looks to others: fixed while it plays (a respawn keeps it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appearance {
    /// The account's username, or "" for a guest.
    pub name: Arc<str>,
    /// The colour as the tutorial's client sends it (RGBA as a signed 32-bit number).
    pub color: i32,
}

/// Why an entity left the world.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    /// It was taken out (a player left the world).
    Gone,
    /// A player ate it.
    EatenBy(PlayerId),
}

/// A position or radius as it travels: 1/`POSITION_SCALE` units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quantized {
    /// x in position units.
    pub x: i32,
    /// y in position units.
    pub y: i32,
    /// Radius in position units.
    pub radius: u32,
}

/// What changed in a slot since the last replication, kept apart from the entities in a
/// small dense array: a view reads it for every entity it holds, every tick, so it holds
/// only what that read needs, in 16 bytes (the table of a few thousand slots stays in the
/// first-level cache; the radius of one that grew is read from its entity: few grow a tick).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Change {
    /// The entity's ID (a player's or a spore's, as its key says), so a view that holds
    /// only slots finds it here, next to the rest it reads.
    pub(crate) id: u64,
    /// Its move as the wire has it (`XyCode::NONE` when it did not move): encoded here once
    /// for all the views that hold it.
    pub(crate) xy: XyCode,
    /// Whether it left the world or changed size.
    pub(crate) status: Status,
}

// The size the comment above promises: a bigger change makes every view's reads slower.
const _: () = assert!(std::mem::size_of::<Change>() == 16);

/// Whether an entity left the world or changed size this tick (one byte: see `Change`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Status {
    /// Still in the world, the same size (it may have moved).
    #[default]
    Same,
    /// Still in the world, with a new radius.
    Resized,
    /// It left the world (what it did before does not matter any more).
    Gone,
}

/// One entity in a slot.
#[derive(Clone, Debug)]
pub struct Entity {
    /// Which entity this is.
    pub key: EntityKey,
    /// Its centre.
    pub pos: Vec2,
    /// Its radius (positive).
    pub radius: f64,
    /// Players' name and colour; `None` for spores.
    pub appearance: Option<Arc<Appearance>>,
    /// A player's name copied here when it is short (nearly every one), and its colour: a
    /// view that it enters reads them beside its position rather than through `appearance`
    /// (two more reads of memory, for each of the thousands of entrants a tick).
    pub(crate) short_name: Option<Name>,
    pub(crate) color: i32,
    /// `None` while it is in the world; why it left, until the end of the tick it left in.
    pub removal: Option<Removal>,
    /// Its quantised state as of the last replication (brought up to date by the next
    /// `quantize_all`, before it quantizes `now` anew).
    pub(crate) sent: Quantized,
    /// Its quantised state now (computed at replication).
    pub(crate) now: Quantized,
    /// Its velocity: its move (dx, dy in position units) in the last replicated tick, which
    /// extrapolating clients repeat on every tick until told of a change.
    pub(crate) velocity: (i32, i32),
}

impl Entity {
    /// Whether it is in the world (not removed this tick).
    pub fn is_alive(&self) -> bool {
        self.removal.is_none()
    }

    /// Its name and colour as a client is told them (a spore's: "" and 0), from its short
    /// copy of the name when it has one.
    pub(crate) fn look(&self) -> (&str, i32) {
        match (&self.short_name, &self.appearance) {
            (Some(name), _) => (name, self.color),
            (None, Some(look)) => (&look.name, look.color),
            (None, None) => ("", 0),
        }
    }
}

/// What happened in the world, in order, for clients told about everything.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A player entered the world or respawned.
    PlayerSpawned(PlayerId),
    /// A player left the world.
    PlayerLeft(PlayerId),
    /// A spore appeared: placed by the world (`dropped_by` `None`) or dropped by a player.
    SporeSpawned {
        /// The new spore.
        spore: SporeId,
        /// The player that dropped it, if one did.
        dropped_by: Option<PlayerId>,
    },
    /// `eater` ate `spore`.
    SporeEaten {
        /// The spore.
        spore: SporeId,
        /// Who ate it.
        eater: PlayerId,
    },
    /// `eater` ate `victim` (who respawned elsewhere).
    PlayerEaten {
        /// The eaten player.
        victim: PlayerId,
        /// Who ate it.
        eater: PlayerId,
    },
}

/// Why an entity could not be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// An entity with this key is already in the world.
    Exists,
    /// The position or radius is not finite, or the radius is not positive.
    Invalid,
}

/// A slot whose entity an extrapolating view may need to hear about this tick (it left, it
/// changed size, or its velocity changed), with where it is: a view that holds nothing near
/// it skips it without reading its own lists.
#[derive(Clone, Copy, Debug)]
pub(crate) struct News {
    pub(crate) slot: u32,
    pub(crate) id: u64,
    pub(crate) pos: Vec2,
    pub(crate) radius: f64,
    /// Its new velocity, when that changed this tick.
    pub(crate) steered: Option<(i32, i32)>,
}

impl News {
    /// The news of `entity`, in `slot`, where it is now.
    fn of(slot: u32, entity: &Entity, steered: Option<(i32, i32)>) -> Self {
        Self {
            slot,
            id: key_id(entity.key),
            pos: entity.pos,
            radius: entity.radius,
            steered,
        }
    }
}

/// Entities, their spatial index, the clock and the dice.
#[derive(Debug)]
pub struct Engine {
    slots: Vec<Entity>,
    /// Each slot's key, apart from its entity: a view that an entity enters needs only its
    /// key, and this small table stays in the cache where the entities do not.
    slot_keys: Vec<EntityKey>,
    /// Slots whose entity left and that no view may still name: reusable.
    free: Vec<u32>,
    /// Slots whose entity left this tick: freed after the views have seen it go.
    dying: Vec<u32>,
    /// Per slot: what changed this tick (see `Change`).
    changes: Vec<Change>,
    /// Slots filled since the last replication: views check these every tick, so something
    /// new in the middle of a view shows at once, not at the view's next full scan.
    born: Vec<u32>,
    /// Those of `born` still in the world at the end of the step, where they are then: a
    /// view that is not scanned tests them all, as it does the news.
    born_news: Vec<News>,
    /// This tick's news of players (by ascending ID) and of spores (those that left).
    player_news: Vec<News>,
    spore_news: Vec<News>,
    keys: FastMap<EntityKey, u32>,
    grid: Grid,
    rng: Rng,
    clock: f64,
    tick: u64,
    events: Vec<Event>,
    players: usize,
    spores: usize,
}

impl Engine {
    /// An empty world whose dice are fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            slots: Vec::new(),
            slot_keys: Vec::new(),
            free: Vec::new(),
            dying: Vec::new(),
            changes: Vec::new(),
            born: Vec::new(),
            born_news: Vec::new(),
            player_news: Vec::new(),
            spore_news: Vec::new(),
            keys: FastMap::default(),
            grid: Grid::new(CELL_SIZE),
            rng: Rng::new(seed),
            clock: 0.0,
            tick: 0,
            events: Vec::new(),
            players: 0,
            spores: 0,
        }
    }

    /// Seconds of world time (the sum of the ticks' real durations).
    pub fn clock(&self) -> f64 {
        self.clock
    }

    /// Ticks run so far.
    pub fn tick_number(&self) -> u64 {
        self.tick
    }

    /// The world's dice.
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// Records something clients told about everything must hear.
    pub fn log(&mut self, event: Event) {
        self.events.push(event);
    }

    /// Players in the world.
    pub fn player_count(&self) -> usize {
        self.players
    }

    /// Spores in the world.
    pub fn spore_count(&self) -> usize {
        self.spores
    }

    /// The entity `key`, if it is in the world.
    pub fn get(&self, key: EntityKey) -> Option<&Entity> {
        let slot = *self.keys.get(&key)?;
        self.slots.get(slot as usize)
    }

    pub(crate) fn slot_of(&self, key: EntityKey) -> Option<u32> {
        self.keys.get(&key).copied()
    }

    /// How many slots exist (live, dying and free): the bound of every slot number.
    pub(crate) fn slot_capacity(&self) -> usize {
        self.slots.len()
    }

    /// What changed in every slot this tick, indexed by slot (valid between `quantize_all`
    /// and `end_replication`; as long as `slot_capacity`).
    pub(crate) fn changes(&self) -> &[Change] {
        &self.changes
    }

    pub(crate) fn slot(&self, slot: u32) -> Option<&Entity> {
        self.slots.get(slot as usize)
    }

    /// The key of the entity in `slot` (or of the last one there, once it has left).
    pub(crate) fn key_in(&self, slot: u32) -> Option<EntityKey> {
        self.slot_keys.get(slot as usize).copied()
    }

    /// Adds an entity. Positions are clamped into the world.
    pub fn spawn(
        &mut self,
        key: EntityKey,
        pos: Vec2,
        radius: f64,
        appearance: Option<Arc<Appearance>>,
    ) -> Result<(), SpawnError> {
        if !pos.is_finite() || !radius.is_finite() || radius <= 0.0 {
            return Err(SpawnError::Invalid);
        }
        if self.keys.contains_key(&key) {
            return Err(SpawnError::Exists);
        }
        let pos = clamp_into_world(pos);
        // Its first move is counted from where it appeared: a view that takes it in this tick
        // sends where it is now, and its velocity is what it moves after.
        let at = quantize(pos, radius);
        let short_name = appearance.as_ref().and_then(|look| Name::short(&look.name));
        let color = appearance.as_ref().map_or(0, |look| look.color);
        let entity = Entity {
            key,
            pos,
            radius,
            appearance,
            short_name,
            color,
            removal: None,
            sent: at,
            now: at,
            velocity: (0, 0),
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = entity;
                self.slot_keys[slot as usize] = key;
                slot
            }
            None => {
                let slot = u32::try_from(self.slots.len()).map_err(|_| SpawnError::Invalid)?;
                self.slots.push(entity);
                self.slot_keys.push(key);
                slot
            }
        };
        self.keys.insert(key, slot);
        self.born.push(slot);
        self.grid.insert(slot, pos, radius);
        match key {
            EntityKey::Player(_) => self.players += 1,
            EntityKey::Spore(_) => self.spores += 1,
        }
        Ok(())
    }

    /// Takes `key` out of the world; views that showed it are told why at the next
    /// replication. Returns whether it was there.
    pub fn remove(&mut self, key: EntityKey, why: Removal) -> bool {
        let Some(slot) = self.keys.remove(&key) else {
            return false;
        };
        self.grid.remove(slot);
        if let Some(entity) = self.slots.get_mut(slot as usize) {
            entity.removal = Some(why);
        }
        self.dying.push(slot);
        match key {
            EntityKey::Player(_) => self.players -= 1,
            EntityKey::Spore(_) => self.spores -= 1,
        }
        true
    }

    /// Moves `key` to `pos` (clamped into the world). A position that is not finite is
    /// ignored. Returns whether it moved.
    pub fn set_position(&mut self, key: EntityKey, pos: Vec2) -> bool {
        if !pos.is_finite() {
            return false;
        }
        let Some(slot) = self.slot_of(key) else {
            return false;
        };
        let pos = clamp_into_world(pos);
        let entity = &mut self.slots[slot as usize];
        entity.pos = pos;
        self.grid.update(slot, pos, entity.radius);
        true
    }

    /// Moves `key` by `by` (clamped into the world), with one look-up of the key where
    /// reading its position and then setting it would take two. Returns whether it moved.
    pub fn move_by(&mut self, key: EntityKey, by: Vec2) -> bool {
        let Some(slot) = self.slot_of(key) else {
            return false;
        };
        self.move_slot(slot, by)
    }

    /// `move_by` for a caller that kept `key`'s slot (`slot_hint`, from `slot_of`): no
    /// look-up of the key while the slot still holds it.
    pub(crate) fn move_by_in(&mut self, key: EntityKey, slot_hint: u32, by: Vec2) -> bool {
        if self.holds(slot_hint, key) {
            self.move_slot(slot_hint, by)
        } else {
            self.move_by(key, by)
        }
    }

    /// The entity `key` through the slot a caller kept for it (`slot_hint`), or looked up
    /// when the slot no longer holds it (it left, or came back in another slot).
    pub(crate) fn get_in(&self, key: EntityKey, slot_hint: u32) -> Option<&Entity> {
        if self.holds(slot_hint, key) {
            self.slots.get(slot_hint as usize)
        } else {
            self.get(key)
        }
    }

    /// Starts loading the entity in `slot` (see `prefetch`), for a caller about to read it.
    pub(crate) fn prefetch_slot(&self, slot: u32) {
        if let Some(entity) = self.slots.get(slot as usize) {
            crate::prefetch::value(entity);
        }
    }

    /// Whether `slot` holds `key`, in the world.
    fn holds(&self, slot: u32, key: EntityKey) -> bool {
        self.slots
            .get(slot as usize)
            .is_some_and(|entity| entity.key == key && entity.is_alive())
    }

    fn move_slot(&mut self, slot: u32, by: Vec2) -> bool {
        let entity = &mut self.slots[slot as usize];
        let pos = entity.pos.add_scaled(by, 1.0);
        if !pos.is_finite() {
            return false;
        }
        entity.pos = clamp_into_world(pos);
        self.grid.update(slot, entity.pos, entity.radius);
        true
    }

    /// Sets `key`'s radius; a radius that is not finite or not positive is ignored.
    pub fn set_radius(&mut self, key: EntityKey, radius: f64) -> bool {
        if !radius.is_finite() || radius <= 0.0 {
            return false;
        }
        let Some(slot) = self.slot_of(key) else {
            return false;
        };
        let entity = &mut self.slots[slot as usize];
        entity.radius = radius;
        self.grid.update(slot, entity.pos, radius);
        true
    }

    /// Calls `visit` with every entity whose circle comes within `gap` of the circle at
    /// `center` with `radius` (centre distance ≤ `radius` + its radius + `gap`).
    pub fn for_each_touching(
        &self,
        center: Vec2,
        radius: f64,
        gap: f64,
        mut visit: impl FnMut(&Entity),
    ) {
        let reach = radius + gap;
        let min = Vec2::new(center.x - reach, center.y - reach);
        let max = Vec2::new(center.x + reach, center.y + reach);
        self.grid.query(min, max, |item| {
            let limit = radius + item.radius + gap;
            if item.pos.distance_squared(center) <= limit * limit {
                visit(&self.slots[item.slot as usize]);
            }
        });
    }

    /// Calls `visit` with the grid's item of every entity that may touch the box from `min`
    /// to `max` (a superset: callers test exactly).
    pub(crate) fn for_each_item_near(
        &self,
        min: Vec2,
        max: Vec2,
        visit: impl FnMut(&crate::grid::Item),
    ) {
        self.grid.query(min, max, visit);
    }

    /// Every entity in the world.
    pub fn entities(&self) -> impl Iterator<Item = &Entity> {
        self.keys.values().map(|&slot| &self.slots[slot as usize])
    }

    /// The events logged since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The events logged since the last `take_events`, left in place.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Starts a tick of `dt` seconds (the clock advances). `World::tick` calls it before
    /// `Rules::step`; tools driving rules without a world call it themselves.
    pub fn begin_tick(&mut self, dt: f64) {
        self.tick += 1;
        self.clock += dt;
    }

    /// Computes every live entity's quantised state for this tick's replication.
    pub(crate) fn quantize_all(&mut self) {
        let mut largest: f64 = 0.0;
        self.changes.resize(self.slots.len(), Change::default());
        self.player_news.clear();
        self.spore_news.clear();
        // In slot order, not the keys' hashed order: one pass along the entities in memory.
        for (slot, entity) in (0u32..).zip(self.slots.iter_mut()) {
            if !entity.is_alive() {
                continue;
            }
            // What the last replication sent is what it quantized then (`now` until here): kept
            // here, in the pass that reads the entity anyway, rather than by a pass of its own
            // over every entity after the views.
            let (now, sent) = (quantize(entity.pos, entity.radius), entity.now);
            entity.sent = sent;
            entity.now = now;
            let (dx, dy) = (now.x.wrapping_sub(sent.x), now.y.wrapping_sub(sent.y));
            let resized = now.radius != sent.radius;
            let steered = (dx, dy) != entity.velocity;
            entity.velocity = (dx, dy);
            self.changes[slot as usize] = Change {
                id: key_id(entity.key),
                xy: XyCode::new(dx, dy),
                status: if resized {
                    Status::Resized
                } else {
                    Status::Same
                },
            };
            if (resized || steered) && matches!(entity.key, EntityKey::Player(_)) {
                self.player_news
                    .push(News::of(slot, entity, steered.then_some((dx, dy))));
            }
            if entity.radius <= crate::grid::BIG_RADIUS {
                largest = largest.max(entity.radius);
            }
        }
        for &slot in &self.dying {
            let entity = &self.slots[slot as usize];
            let news = News::of(slot, entity, None);
            let id = news.id;
            match entity.key {
                EntityKey::Player(_) => self.player_news.push(news),
                EntityKey::Spore(_) => self.spore_news.push(news),
            }
            let change = &mut self.changes[slot as usize];
            change.id = id;
            change.status = Status::Gone;
        }
        // By ID: a view that picks out the velocity changes it holds then has them in the
        // ascending order the wire codes them in. A respawned player's two slots in either order.
        self.player_news
            .sort_unstable_by_key(|news| (news.id, news.slot));
        self.born_news.clear();
        for &slot in &self.born {
            let entity = &self.slots[slot as usize];
            if entity.is_alive() {
                self.born_news.push(News::of(slot, entity, None));
            }
        }
        self.grid.tighten_reach(largest);
    }

    /// This tick's news of players (left, resized or steered), by ascending ID.
    pub(crate) fn player_news(&self) -> &[News] {
        &self.player_news
    }

    /// The spores that left this tick.
    pub(crate) fn spore_news(&self) -> &[News] {
        &self.spore_news
    }

    /// The entities born since the last replication and still in the world, where they are
    /// at the end of this tick's step.
    pub(crate) fn born_news(&self) -> &[News] {
        &self.born_news
    }

    /// Ends a replication: slots of entities that left can be reused (no view names them any
    /// more). What was sent becomes what every view knows at the next `quantize_all`, which
    /// reads every entity anyway.
    pub(crate) fn end_replication(&mut self) {
        self.born.clear();
        self.born_news.clear();
        for slot in self.dying.drain(..) {
            if let Some(entity) = self.slots.get_mut(slot as usize) {
                entity.appearance = None;
            }
            self.free.push(slot);
        }
    }
}

/// The number inside a key (players and spores have separate ID spaces; a slot says which).
fn key_id(key: EntityKey) -> u64 {
    match key {
        EntityKey::Player(PlayerId(id)) | EntityKey::Spore(SporeId(id)) => id,
    }
}

fn clamp_into_world(pos: Vec2) -> Vec2 {
    Vec2::new(
        pos.x.clamp(-WORLD_LIMIT, WORLD_LIMIT),
        pos.y.clamp(-WORLD_LIMIT, WORLD_LIMIT),
    )
}

/// The wire form of a position and radius. Positions are within ±`WORLD_LIMIT`, so the scaled
/// values fit `i32` with room to spare; radii are clamped to the same range.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn quantize(pos: Vec2, radius: f64) -> Quantized {
    let scale = f64::from(POSITION_SCALE);
    let limit = WORLD_LIMIT * scale;
    Quantized {
        x: (pos.x * scale).round().clamp(-limit, limit) as i32,
        y: (pos.y * scale).round().clamp(-limit, limit) as i32,
        radius: (radius * scale).round().clamp(0.0, limit) as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spore(id: u64) -> EntityKey {
        EntityKey::Spore(SporeId(id))
    }

    #[test]
    fn spawn_refuses_duplicates_and_non_finite_input() {
        let mut engine = Engine::new(1);
        assert_eq!(
            engine.spawn(spore(1), Vec2::new(1.0, 2.0), 5.0, None),
            Ok(())
        );
        assert_eq!(
            engine.spawn(spore(1), Vec2::new(0.0, 0.0), 5.0, None),
            Err(SpawnError::Exists)
        );
        for (pos, radius) in [
            (Vec2::new(f64::NAN, 0.0), 5.0),
            (Vec2::new(0.0, f64::INFINITY), 5.0),
            (Vec2::new(0.0, 0.0), 0.0),
            (Vec2::new(0.0, 0.0), f64::NAN),
        ] {
            assert_eq!(
                engine.spawn(spore(2), pos, radius, None),
                Err(SpawnError::Invalid)
            );
        }
        assert_eq!(engine.spore_count(), 1);
    }

    #[test]
    fn positions_stay_in_the_world_and_ignore_non_finite_moves() {
        let mut engine = Engine::new(1);
        engine
            .spawn(spore(1), Vec2::new(0.0, 0.0), 5.0, None)
            .expect("spawns");
        assert!(engine.set_position(spore(1), Vec2::new(1e300, -1e300)));
        let pos = engine.get(spore(1)).expect("present").pos;
        assert_eq!(pos, Vec2::new(WORLD_LIMIT, -WORLD_LIMIT));
        assert!(!engine.set_position(spore(1), Vec2::new(f64::NAN, 0.0)));
        assert!(!engine.set_radius(spore(1), -1.0));
        assert_eq!(engine.get(spore(1)).expect("present").pos, pos);
        let q = quantize(pos, 5.0);
        assert_eq!((q.x, q.y, q.radius), (8_000_000, -8_000_000, 40));
    }

    #[test]
    fn removed_slots_are_reused_only_after_replication() {
        let mut engine = Engine::new(1);
        engine
            .spawn(spore(1), Vec2::new(0.0, 0.0), 5.0, None)
            .expect("spawns");
        assert!(engine.remove(spore(1), Removal::Gone));
        assert!(!engine.remove(spore(1), Removal::Gone));
        engine
            .spawn(spore(2), Vec2::new(0.0, 0.0), 5.0, None)
            .expect("spawns");
        assert_eq!(engine.slot_of(spore(2)), Some(1), "slot 0 is still dying");
        engine.end_replication();
        engine
            .spawn(spore(3), Vec2::new(0.0, 0.0), 5.0, None)
            .expect("spawns");
        assert_eq!(engine.slot_of(spore(3)), Some(0));
        let mut near = Vec::new();
        engine.for_each_touching(Vec2::new(1.0, 1.0), 1.0, 0.0, |entity| {
            near.push(entity.key)
        });
        near.sort();
        assert_eq!(near, [spore(2), spore(3)]);
    }
}
