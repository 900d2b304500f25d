//! "Radius Rumble", the tutorial's game (lessons 6–11), as rules on top of the engine:
//! spawning with overlap rejection, movement, spores and their replenishing, drops, eating
//! (decided by the server, or claimed by tutorial clients and checked), respawn, scores.

use std::f64::consts::{PI, TAU};
use std::sync::Arc;

use crate::engine::{Appearance, Engine, Entity, EntityKey, Event, PlayerId, Removal, SporeId};
use crate::geom::{Rect, Vec2};
use crate::grid::FastMap;
use crate::rules::{Claim, ClaimError, Decider, EnterError, Entry, InputError, Rules, Standing};

/// Player speed in units per second (the tutorial's; it never changes).
pub const SPEED: f64 = 150.0;
/// Radius at entry and after a respawn.
pub const START_RADIUS: f64 = 20.0;
/// How many spores the world keeps (replenishing stops there).
pub const SPORE_TARGET: usize = 1_000;
/// Above this many spores players stop dropping: drops are not capped in the tutorial, and
/// respawns create mass, so without a cap the count could grow for ever.
pub const SPORE_CAP: usize = 2 * SPORE_TARGET;
/// Mean and spread of a world-placed spore's radius, and its least radius.
pub const SPORE_RADIUS_MEAN: f64 = 10.0;
/// Standard deviation of a world-placed spore's radius.
pub const SPORE_RADIUS_SD: f64 = 3.0;
/// Least radius of a world-placed spore.
pub const SPORE_RADIUS_MIN: f64 = 5.0;
/// Spawning draws from [−B, B)² with B starting here.
pub const SPAWN_HALF_BOX: f64 = 3_000.0;
/// Rejected draws in a row before B doubles.
pub const SPAWN_TRIES_PER_BOX: u32 = 25;
/// Doublings of B before a spawn takes its last draw whatever overlaps (a full world must
/// not loop for ever; 2^12 × 3,000 already leaves the world).
pub const SPAWN_MAX_DOUBLINGS: u32 = 12;
/// Every this many seconds, up to `REPLENISH_BATCH` spores are added while below the target.
pub const REPLENISH_PERIOD: f64 = 2.0;
/// Spores added per replenish.
pub const REPLENISH_BATCH: usize = 10;
/// A claim's distance allowance beyond touching (the tutorial's 10 units).
pub const CLAIM_TOLERANCE: f64 = 10.0;
/// Eating a player needs the eater's mass above this multiple of the victim's.
pub const EAT_MASS_RATIO: f64 = 1.5;
/// Drop chance per `DROP_REFERENCE_TICK` is r / `DROP_DIVISOR` (for r > `DROP_MIN_RADIUS`).
pub const DROP_DIVISOR: f64 = 5_000.0;
/// The tick length the tutorial's drop chance was written for (it assumed 50 ms ticks).
pub const DROP_REFERENCE_TICK: f64 = 0.05;
/// Players at or below this radius never drop.
pub const DROP_MIN_RADIUS: f64 = 10.0;
/// Claims per second a tutorial client may make: a player crossing the densest spore field at
/// full speed touches a few a second; ten is far beyond play and far below a flood.
pub const CLAIM_RATE: f64 = 10.0;
/// Claims that may come at once (two overlapping spores and a player on one frame, twice).
pub const CLAIM_BURST: f64 = 20.0;
/// Half the view at radius 20: a 1,600 × 900 window at zoom 1.
pub const VIEW_HALF: Vec2 = Vec2::new(800.0, 450.0);
/// The most the view grows for a big player.
pub const VIEW_MAX_ZOOM: f64 = 3.0;
/// Most players in one world.
pub const DEFAULT_MAX_PLAYERS: usize = 10_000;

/// The score of a radius: round(π r²).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn score_of(radius: f64) -> u64 {
    // Radii are finite and positive; the clamp keeps the conversion exact and total.
    (PI * radius * radius).round().clamp(0.0, 9.0e15) as u64
}

/// A spore's drop radius for a player of radius `r`.
pub fn drop_radius(r: f64) -> f64 {
    (5.0 + r / 50.0).min(15.0)
}

#[derive(Debug)]
struct Player {
    direction: f64,
    /// `direction` as a unit vector, worked out when it is set rather than on every tick.
    heading: Vec2,
    moving: bool,
    best: u64,
    appearance: Arc<Appearance>,
    decider: Decider,
    claim_tokens: f64,
    claims_counted_at: f64,
    /// Counts respawns: a drop belongs to one life of its dropper.
    life: u64,
    /// The engine's slot for its entity in this life: the step reaches the entity through
    /// it, without a look-up of its key (each a read of memory the tick has not touched).
    slot: u32,
}

/// A spore a player dropped.
#[derive(Debug, Clone, Copy)]
struct Dropped {
    by: PlayerId,
    life: u64,
    at: f64,
    /// Still under its dropper, who has not yet moved off it: the dropper cannot eat it.
    underneath: bool,
}

/// How many players ahead the step's passes by ID ask for a player's entity: a drop's check
/// is short, so the entity must be asked for several turns before it is read.
const STEP_PREFETCH_AHEAD: usize = 4;

/// The rules' state.
#[derive(Debug)]
pub struct RadiusRumble {
    /// By ID, hashed: every view asks for its player's standing every tick; `step` sorts
    /// the IDs itself, so the players move, drop and eat in the order of their IDs.
    players: FastMap<PlayerId, Player>,
    dropped: FastMap<SporeId, Dropped>,
    /// Dropped spores still under their dropper.
    underneath: Vec<SporeId>,
    next_spore: u64,
    replenish_timer: f64,
    max_players: usize,
    /// Scratch: every player as `players` lists them, with its slot and whether the server
    /// decides its eating.
    table: Vec<(PlayerId, u32, bool)>,
    /// Where each player is in `table`, by ascending ID. `players` lists them in the same
    /// order from tick to tick until one enters or leaves, so the step sorts them only then
    /// (2,000 a tick, on the tick's critical path) and otherwise checks that they still are.
    by_id: Vec<u32>,
    /// Scratch lists reused every tick: every player, and those the server decides eating
    /// for, by ID, with their slots.
    order: Vec<(PlayerId, u32)>,
    eaters: Vec<(PlayerId, u32)>,
    /// Scratch: the players that move this tick, their slots and their moves.
    moving: Vec<(PlayerId, u32, Vec2)>,
    touching: Vec<EntityKey>,
}

impl Default for RadiusRumble {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_PLAYERS)
    }
}

impl RadiusRumble {
    /// The rules for a world of at most `max_players`.
    pub fn new(max_players: usize) -> Self {
        Self {
            players: FastMap::default(),
            dropped: FastMap::default(),
            underneath: Vec::new(),
            next_spore: 1,
            replenish_timer: 0.0,
            max_players,
            table: Vec::new(),
            by_id: Vec::new(),
            order: Vec::new(),
            eaters: Vec::new(),
            moving: Vec::new(),
            touching: Vec::new(),
        }
    }

    /// `player`'s direction (radians in [0, 2π)) and whether it moves.
    pub fn heading(&self, player: PlayerId) -> Option<(f64, bool)> {
        self.players.get(&player).map(|p| (p.direction, p.moving))
    }

    fn new_spore_id(&mut self) -> SporeId {
        let id = SporeId(self.next_spore);
        self.next_spore += 1;
        id
    }

    /// Places a spore the world makes.
    fn add_world_spore(&mut self, engine: &mut Engine) {
        let normal = engine.rng().normal();
        let radius = (SPORE_RADIUS_MEAN + normal * SPORE_RADIUS_SD).max(SPORE_RADIUS_MIN);
        let pos = find_spawn(engine, radius, true);
        let id = self.new_spore_id();
        if engine
            .spawn(EntityKey::Spore(id), pos, radius, None)
            .is_ok()
        {
            engine.log(Event::SporeSpawned {
                spore: id,
                dropped_by: None,
            });
        }
    }

    fn radius(engine: &Engine, player: PlayerId) -> Option<f64> {
        engine.get(EntityKey::Player(player)).map(|e| e.radius)
    }

    fn note_score(&mut self, engine: &Engine, player: PlayerId) {
        if let (Some(radius), Some(state)) =
            (Self::radius(engine, player), self.players.get_mut(&player))
        {
            state.best = state.best.max(score_of(radius));
        }
    }

    fn eat_spore(&mut self, engine: &mut Engine, eater: PlayerId, spore: SporeId) {
        let (Some(radius), Some(food)) = (
            Self::radius(engine, eater),
            engine.get(EntityKey::Spore(spore)).map(|e| e.radius),
        ) else {
            return;
        };
        engine.set_radius(EntityKey::Player(eater), radius.hypot(food));
        engine.remove(EntityKey::Spore(spore), Removal::EatenBy(eater));
        self.dropped.remove(&spore);
        engine.log(Event::SporeEaten { spore, eater });
        self.note_score(engine, eater);
    }

    fn eat_player(&mut self, engine: &mut Engine, eater: PlayerId, victim: PlayerId) {
        let (Some(radius), Some(food)) =
            (Self::radius(engine, eater), Self::radius(engine, victim))
        else {
            return;
        };
        engine.set_radius(EntityKey::Player(eater), radius.hypot(food));
        engine.remove(EntityKey::Player(victim), Removal::EatenBy(eater));
        engine.log(Event::PlayerEaten { victim, eater });
        self.note_score(engine, eater);
        // The victim respawns at once: same ID, name, colour, best score and direction.
        let pos = find_spawn(engine, START_RADIUS, false);
        if let Some(state) = self.players.get_mut(&victim) {
            state.life += 1;
            let look = Some(state.appearance.clone());
            if engine
                .spawn(EntityKey::Player(victim), pos, START_RADIUS, look)
                .is_ok()
            {
                state.slot = engine
                    .slot_of(EntityKey::Player(victim))
                    .unwrap_or(u32::MAX);
                engine.log(Event::PlayerSpawned(victim));
            }
        }
    }

    /// Whether `eater` may eat `victim` by mass.
    fn heavy_enough(eater_radius: f64, victim_radius: f64) -> bool {
        eater_radius * eater_radius > EAT_MASS_RATIO * victim_radius * victim_radius
    }

    /// Fills `order` with every player of `table` and `eaters` with those the server decides
    /// for, both by ascending ID, sorting `table` again only when it is not in the order
    /// `by_id` says.
    fn put_in_order(
        &mut self,
        table: &[(PlayerId, u32, bool)],
        order: &mut Vec<(PlayerId, u32)>,
        eaters: &mut Vec<(PlayerId, u32)>,
    ) {
        let gather = |by_id: &[u32], order: &mut Vec<(PlayerId, u32)>| {
            order.clear();
            order.extend(
                by_id
                    .iter()
                    .filter_map(|&at| table.get(at as usize).map(|&(id, slot, _)| (id, slot))),
            );
            order.len() == table.len() && order.windows(2).all(|pair| pair[0].0 < pair[1].0)
        };
        if self.by_id.len() != table.len() || !gather(&self.by_id, order) {
            self.by_id.clear();
            self.by_id
                .extend((0..table.len()).map(|at| u32::try_from(at).unwrap_or(u32::MAX)));
            self.by_id
                .sort_unstable_by_key(|&at| table.get(at as usize).map(|&(id, _, _)| id));
            gather(&self.by_id, order);
        }
        eaters.clear();
        eaters.extend(
            self.by_id
                .iter()
                .filter_map(|&at| table.get(at as usize))
                .filter(|&&(_, _, server)| server)
                .map(|&(id, slot, _)| (id, slot)),
        );
    }

    /// The server decides: `eater` eats everything it touches that the rules allow.
    fn eat_touching(&mut self, engine: &mut Engine, eater: PlayerId, slot_hint: u32) {
        let Some(me) = engine.get_in(EntityKey::Player(eater), slot_hint) else {
            return;
        };
        let (center, radius) = (me.pos, me.radius);
        let mut touching = std::mem::take(&mut self.touching);
        touching.clear();
        engine.for_each_touching(center, radius, 0.0, |other| {
            let reach = radius + other.radius;
            if other.key != EntityKey::Player(eater)
                && other.pos.distance_squared(center) < reach * reach
            {
                touching.push(other.key);
            }
        });
        for &key in &touching {
            let Some(eater_radius) = Self::radius(engine, eater) else {
                break;
            };
            match key {
                EntityKey::Spore(spore) => {
                    let mine = self
                        .dropped
                        .get(&spore)
                        .is_some_and(|drop| drop.underneath && drop.by == eater);
                    if !mine && engine.get(key).is_some() {
                        self.eat_spore(engine, eater, spore);
                    }
                }
                EntityKey::Player(victim) => {
                    if let Some(victim_radius) = Self::radius(engine, victim) {
                        if Self::heavy_enough(eater_radius, victim_radius) {
                            self.eat_player(engine, eater, victim);
                        }
                    }
                }
            }
        }
        self.touching = touching;
    }

    fn maybe_drop(&mut self, engine: &mut Engine, player: PlayerId, slot_hint: u32, dt: f64) {
        let Some(me) = engine.get_in(EntityKey::Player(player), slot_hint) else {
            return;
        };
        let (pos, radius) = (me.pos, me.radius);
        if radius <= DROP_MIN_RADIUS || engine.spore_count() >= SPORE_CAP {
            return;
        }
        let chance = radius / DROP_DIVISOR * (dt / DROP_REFERENCE_TICK);
        if !engine.rng().chance(chance) {
            return;
        }
        let food = drop_radius(radius);
        let id = self.new_spore_id();
        if engine.spawn(EntityKey::Spore(id), pos, food, None).is_err() {
            return;
        }
        engine.set_radius(
            EntityKey::Player(player),
            (radius * radius - food * food).sqrt(),
        );
        let life = self.players.get(&player).map_or(0, |p| p.life);
        self.dropped.insert(
            id,
            Dropped {
                by: player,
                life,
                at: engine.clock(),
                underneath: true,
            },
        );
        self.underneath.push(id);
        engine.log(Event::SporeSpawned {
            spore: id,
            dropped_by: Some(player),
        });
    }

    /// A dropped spore becomes edible to its dropper once the dropper has moved off it.
    fn release_drops(&mut self, engine: &Engine) {
        let dropped = &mut self.dropped;
        self.underneath.retain(|spore| {
            let Some(drop) = dropped.get_mut(spore) else {
                return false;
            };
            let (Some(food), Some(owner)) = (
                engine.get(EntityKey::Spore(*spore)),
                engine.get(EntityKey::Player(drop.by)),
            ) else {
                drop.underneath = false;
                return false;
            };
            let reach = food.radius + owner.radius;
            if food.pos.distance_squared(owner.pos) >= reach * reach {
                drop.underneath = false;
                return false;
            }
            true
        });
    }

    fn take_claim_token(state: &mut Player, clock: f64) -> bool {
        let earned = (clock - state.claims_counted_at).max(0.0) * CLAIM_RATE;
        state.claim_tokens = (state.claim_tokens + earned).min(CLAIM_BURST);
        state.claims_counted_at = clock;
        if state.claim_tokens < 1.0 {
            return false;
        }
        state.claim_tokens -= 1.0;
        true
    }
}

/// Calls `visit` with each of `players` in turn, asking for the entity of the one
/// `STEP_PREFETCH_AHEAD` places on (in the slot `slot_of` gives) first: the step's passes go
/// in no order of the slots, so each entity would otherwise be a wait of its own.
fn each_prefetching<T>(
    engine: &mut Engine,
    players: &[T],
    slot_of: impl Fn(&T) -> u32,
    mut visit: impl FnMut(&mut Engine, &T),
) {
    for (index, player) in players.iter().enumerate() {
        if let Some(ahead) = players.get(index + STEP_PREFETCH_AHEAD) {
            engine.prefetch_slot(slot_of(ahead));
        }
        visit(engine, player);
    }
}

/// `length` world units rounded to whole position units (1/`POSITION_SCALE`).
fn whole_position_units(length: f64) -> f64 {
    let scale = f64::from(crate::engine::POSITION_SCALE);
    (length * scale).round() / scale
}

/// What a player (`me`) sees: more the bigger it is.
fn view_of(me: &Entity) -> Rect {
    let zoom = (me.radius / START_RADIUS).sqrt().clamp(1.0, VIEW_MAX_ZOOM);
    Rect {
        center: me.pos,
        half: Vec2::new(VIEW_HALF.x * zoom, VIEW_HALF.y * zoom),
    }
}

/// A player's standing from its rules' state and its entity.
fn standing_of(state: &Player, me: &Entity) -> Standing {
    let score = score_of(me.radius);
    Standing {
        score,
        best_score: state.best.max(score),
    }
}

/// A point for a new circle of `radius`: uniform in [−B, B)², rejected while it overlaps a
/// player (or, with `avoid_spores`, a spore); B doubles after every 25 rejections.
pub fn find_spawn(engine: &mut Engine, radius: f64, avoid_spores: bool) -> Vec2 {
    let mut half = SPAWN_HALF_BOX;
    let mut rejected = 0;
    let mut doublings = 0;
    loop {
        let x = engine.rng().range(-half, half);
        let y = engine.rng().range(-half, half);
        let pos = Vec2::new(x, y);
        let mut clear = true;
        engine.for_each_touching(pos, radius, 0.0, |other| {
            if avoid_spores || matches!(other.key, EntityKey::Player(_)) {
                clear = false;
            }
        });
        if clear || doublings > SPAWN_MAX_DOUBLINGS {
            return pos;
        }
        rejected += 1;
        if rejected == SPAWN_TRIES_PER_BOX {
            rejected = 0;
            half *= 2.0;
            doublings += 1;
        }
    }
}

impl Rules for RadiusRumble {
    fn populate(&mut self, engine: &mut Engine) {
        while engine.spore_count() < SPORE_TARGET {
            self.add_world_spore(engine);
        }
    }

    fn enter(
        &mut self,
        engine: &mut Engine,
        player: PlayerId,
        entry: Entry,
    ) -> Result<(), EnterError> {
        if self.players.contains_key(&player) {
            return Err(EnterError::AlreadyIn);
        }
        if self.players.len() >= self.max_players {
            return Err(EnterError::Full);
        }
        let pos = find_spawn(engine, START_RADIUS, false);
        engine
            .spawn(
                EntityKey::Player(player),
                pos,
                START_RADIUS,
                Some(entry.appearance.clone()),
            )
            .map_err(|_| EnterError::AlreadyIn)?;
        self.players.insert(
            player,
            Player {
                direction: 0.0,
                heading: Vec2::from_angle(0.0),
                moving: false,
                best: entry.best_score.max(score_of(START_RADIUS)),
                appearance: entry.appearance,
                decider: entry.decider,
                claim_tokens: CLAIM_BURST,
                claims_counted_at: engine.clock(),
                life: 0,
                slot: engine
                    .slot_of(EntityKey::Player(player))
                    .unwrap_or(u32::MAX),
            },
        );
        engine.log(Event::PlayerSpawned(player));
        Ok(())
    }

    fn leave(&mut self, engine: &mut Engine, player: PlayerId) -> bool {
        if self.players.remove(&player).is_none() {
            return false;
        }
        engine.remove(EntityKey::Player(player), Removal::Gone);
        engine.log(Event::PlayerLeft(player));
        true
    }

    fn steer(
        &mut self,
        _engine: &mut Engine,
        player: PlayerId,
        direction: f64,
    ) -> Result<(), InputError> {
        let state = self
            .players
            .get_mut(&player)
            .ok_or(InputError::NotInWorld)?;
        if !direction.is_finite() {
            return Err(InputError::NotFinite);
        }
        state.direction = direction.rem_euclid(TAU);
        state.heading = Vec2::from_angle(state.direction);
        state.moving = true;
        Ok(())
    }

    fn claim(
        &mut self,
        engine: &mut Engine,
        player: PlayerId,
        claim: Claim,
    ) -> Result<(), ClaimError> {
        let clock = engine.clock();
        let state = self
            .players
            .get_mut(&player)
            .ok_or(ClaimError::NotInWorld)?;
        if state.decider == Decider::Server {
            return Err(ClaimError::ServerDecides);
        }
        if !Self::take_claim_token(state, clock) {
            return Err(ClaimError::TooFast);
        }
        let life = state.life;
        let me = engine
            .get(EntityKey::Player(player))
            .ok_or(ClaimError::NotInWorld)?;
        let (center, radius) = (me.pos, me.radius);
        match claim {
            Claim::Spore(spore) => {
                let food = engine
                    .get(EntityKey::Spore(spore))
                    .ok_or(ClaimError::Unknown)?;
                let reach = radius + food.radius + CLAIM_TOLERANCE;
                if food.pos.distance_squared(center) > reach * reach {
                    return Err(ClaimError::TooFar);
                }
                if let Some(drop) = self.dropped.get(&spore) {
                    let cooldown = (food.radius + radius + CLAIM_TOLERANCE) / SPEED;
                    if drop.by == player && drop.life == life && clock - drop.at < cooldown {
                        return Err(ClaimError::OwnDrop);
                    }
                }
                self.eat_spore(engine, player, spore);
            }
            Claim::Player(victim) => {
                if victim == player {
                    return Err(ClaimError::TooSmall);
                }
                let prey = engine
                    .get(EntityKey::Player(victim))
                    .ok_or(ClaimError::Unknown)?;
                let reach = radius + prey.radius + CLAIM_TOLERANCE;
                if prey.pos.distance_squared(center) > reach * reach {
                    return Err(ClaimError::TooFar);
                }
                if !Self::heavy_enough(radius, prey.radius) {
                    return Err(ClaimError::TooSmall);
                }
                self.eat_player(engine, player, victim);
            }
        }
        Ok(())
    }

    fn step(&mut self, engine: &mut Engine, dt: f64) {
        let (mut table, mut order, mut eaters, mut moving) = (
            std::mem::take(&mut self.table),
            std::mem::take(&mut self.order),
            std::mem::take(&mut self.eaters),
            std::mem::take(&mut self.moving),
        );
        table.clear();
        order.clear();
        eaters.clear();
        moving.clear();
        // Read along the table's memory, once: the eaters (those the server decides for) are
        // picked here rather than by a look-up of each player in the eating pass, and the
        // moves are worked out.
        for (&id, state) in &self.players {
            table.push((id, state.slot, state.decider == Decider::Server));
            if state.moving {
                let heading = state.heading;
                // In whole position units, so a player keeps exactly the same move from tick
                // to tick while it keeps its heading (see `World::step`).
                let step = Vec2::new(
                    whole_position_units(heading.x * SPEED * dt),
                    whole_position_units(heading.y * SPEED * dt),
                );
                moving.push((id, state.slot, step));
            }
        }
        self.put_in_order(&table, &mut order, &mut eaters);
        // Moves do not depend on one another: in the table's own order.
        each_prefetching(
            engine,
            &moving,
            |&(_, slot, _)| slot,
            |engine, &(id, slot, step)| {
                engine.move_by_in(EntityKey::Player(id), slot, step);
            },
        );
        each_prefetching(
            engine,
            &order,
            |&(_, slot)| slot,
            |engine, &(id, slot)| {
                self.maybe_drop(engine, id, slot, dt);
            },
        );
        // A player eaten earlier in this pass has come back in another slot: `get_in` finds
        // it by its key then.
        each_prefetching(
            engine,
            &eaters,
            |&(_, slot)| slot,
            |engine, &(id, slot)| {
                self.eat_touching(engine, id, slot);
            },
        );
        (self.table, self.order, self.eaters, self.moving) = (table, order, eaters, moving);
        self.release_drops(engine);
        self.replenish_timer += dt;
        while self.replenish_timer >= REPLENISH_PERIOD {
            self.replenish_timer -= REPLENISH_PERIOD;
            let missing = SPORE_TARGET.saturating_sub(engine.spore_count());
            for _ in 0..missing.min(REPLENISH_BATCH) {
                self.add_world_spore(engine);
            }
        }
    }

    fn view(&self, engine: &Engine, player: PlayerId) -> Option<Rect> {
        engine.get(EntityKey::Player(player)).map(view_of)
    }

    fn standing(&self, engine: &Engine, player: PlayerId) -> Option<Standing> {
        let state = self.players.get(&player)?;
        let me = engine.get(EntityKey::Player(player))?;
        Some(standing_of(state, me))
    }

    fn view_and_standing(
        &self,
        engine: &Engine,
        player: PlayerId,
    ) -> Option<(Rect, Option<Standing>)> {
        // One lookup of the entity for both (each is a hashed lookup and a cache miss, for
        // every observer on every tick).
        let me = engine.get(EntityKey::Player(player))?;
        let standing = self
            .players
            .get(&player)
            .map(|state| standing_of(state, me));
        Some((view_of(me), standing))
    }

    fn max_speed(&self) -> f64 {
        SPEED
    }

    fn scores(&self, engine: &Engine, out: &mut Vec<(u64, PlayerId)>) {
        // Through each player's kept slot: no look-up of 2,000 keys on the tick that
        // refreshes the leaderboard.
        for (&id, state) in &self.players {
            if let Some(me) = engine.get_in(EntityKey::Player(id), state.slot) {
                out.push((score_of(me.radius), id));
            }
        }
    }
}
