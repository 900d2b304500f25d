//! Interest management and replication: what enters and leaves a view and when, that nothing
//! is sent when nothing changed, and that a client applying the encoded updates always holds
//! exactly what the server says is in its view, where it is. The first tests use a puppet game
//! (the engine with rules of the test's own, which also shows the rules are replaceable).

#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mmo_protocol::packets::packet::Msg;
use mmo_protocol::{Message as _, Packet};
use mmo_world::encode::{decode_ids, update_packet};
use mmo_world::interest::SCAN_EVERY;
use mmo_world::rng::Rng;
use mmo_world::{
    Appearance, Claim, ClaimError, Decider, Eat, Engine, EnterError, EntityKey, Entry, InputError,
    PlayerId, RadiusRumble, Rect, Removal, Rules, SporeId, Standing, Vec2, ViewDelta, World,
    WorldConfig,
};

/// Rules where the test says where everything is.
#[derive(Default)]
struct Puppet {
    at: BTreeMap<PlayerId, Vec2>,
    spores: Vec<(SporeId, Vec2)>,
    eat: Vec<(PlayerId, EntityKey)>,
    /// Players put back (after being eaten) at the next step.
    back: Vec<PlayerId>,
}

impl Rules for Puppet {
    fn populate(&mut self, engine: &mut Engine) {
        for &(id, pos) in &self.spores {
            engine.spawn(EntityKey::Spore(id), pos, 5.0, None).unwrap();
        }
    }

    fn enter(
        &mut self,
        engine: &mut Engine,
        player: PlayerId,
        entry: Entry,
    ) -> Result<(), EnterError> {
        let pos = self.at.get(&player).copied().unwrap_or_default();
        engine
            .spawn(EntityKey::Player(player), pos, 10.0, Some(entry.appearance))
            .map_err(|_| EnterError::AlreadyIn)
    }

    fn leave(&mut self, engine: &mut Engine, player: PlayerId) -> bool {
        self.at.remove(&player);
        engine.remove(EntityKey::Player(player), Removal::Gone)
    }

    fn steer(&mut self, _: &mut Engine, _: PlayerId, _: f64) -> Result<(), InputError> {
        Ok(())
    }

    fn claim(&mut self, _: &mut Engine, _: PlayerId, _: Claim) -> Result<(), ClaimError> {
        Err(ClaimError::ServerDecides)
    }

    fn step(&mut self, engine: &mut Engine, _dt: f64) {
        for (&id, &pos) in &self.at {
            engine.set_position(EntityKey::Player(id), pos);
        }
        for (eater, eaten) in self.eat.drain(..) {
            engine.remove(eaten, Removal::EatenBy(eater));
        }
        for id in self.back.drain(..) {
            let pos = self.at.get(&id).copied().unwrap_or_default();
            let _ = engine.spawn(EntityKey::Player(id), pos, 10.0, None);
        }
    }

    fn view(&self, engine: &Engine, player: PlayerId) -> Option<Rect> {
        let me = engine.get(EntityKey::Player(player))?;
        Some(Rect {
            center: me.pos,
            half: Vec2::new(100.0, 100.0),
        })
    }

    fn standing(&self, _: &Engine, _: PlayerId) -> Option<Standing> {
        Some(Standing {
            score: 1,
            best_score: 1,
        })
    }

    fn max_speed(&self) -> f64 {
        0.0
    }

    fn scores(&self, _: &Engine, out: &mut Vec<(u64, PlayerId)>) {
        out.extend(self.at.keys().map(|&id| (1, id)));
    }
}

const A: PlayerId = PlayerId(1);
const B: PlayerId = PlayerId(2);
const C: PlayerId = PlayerId(3);

fn entry(name: &str) -> Entry {
    Entry {
        appearance: Arc::new(Appearance {
            name: name.into(),
            color: 5,
        }),
        best_score: 0,
        decider: Decider::Server,
    }
}

struct Stage {
    world: World<Puppet>,
    start: Instant,
    ticks: u32,
}

impl Stage {
    fn new(spores: &[(u64, f64, f64)], players: &[(PlayerId, f64, f64)]) -> Self {
        let puppet = Puppet {
            spores: spores
                .iter()
                .map(|&(id, x, y)| (SporeId(id), Vec2::new(x, y)))
                .collect(),
            ..Puppet::default()
        };
        let mut world = World::new(puppet, WorldConfig::default(), 1);
        for &(id, x, y) in players {
            world.rules_mut().at.insert(id, Vec2::new(x, y));
            world.enter(id, entry(&format!("p{}", id.0)), true).unwrap();
        }
        Self {
            world,
            start: Instant::now(),
            ticks: 0,
        }
    }

    fn place(&mut self, id: PlayerId, x: f64, y: f64) {
        self.world.rules_mut().at.insert(id, Vec2::new(x, y));
    }

    fn tick(&mut self) -> Option<ViewDelta> {
        self.ticks += 1;
        self.world
            .tick(self.start + Duration::from_millis(50) * self.ticks);
        self.world.update_for(A).map(|update| update.to_delta())
    }

    /// Ticks until a full scan has run for every observer; returns A's updates.
    fn scan(&mut self) -> Vec<ViewDelta> {
        (0..SCAN_EVERY).filter_map(|_| self.tick()).collect()
    }
}

fn player_ids(delta: &ViewDelta) -> Vec<u64> {
    let mut ids: Vec<u64> = delta.players_entered.iter().map(|p| p.id.0).collect();
    ids.sort_unstable();
    ids
}

#[test]
fn the_first_update_holds_what_is_in_view_and_nothing_else() {
    let mut stage = Stage::new(
        &[(1, 50.0, 0.0), (2, 500.0, 0.0)],
        &[(A, 0.0, 0.0), (B, -50.0, 0.0), (C, 0.0, 400.0)],
    );
    let first = stage.tick().unwrap();
    assert_eq!(player_ids(&first), [1, 2]);
    let own = first.players_entered.iter().find(|p| p.id == A).unwrap();
    assert_eq!((own.at.x, own.at.y, own.at.radius), (0, 0, 80));
    assert_eq!(&*own.name, "p1");
    assert_eq!(first.spores_entered.len(), 1);
    assert_eq!(first.spores_entered[0].id, SporeId(1));
    assert_eq!(first.spores_entered[0].at.x, 400, "50 units in 1/8 units");
    assert!(first.own.is_some() && first.leaderboard.is_some());
    assert_eq!(first.leaderboard.as_ref().unwrap().players, 3);
}

#[test]
fn nothing_changed_means_nothing_is_sent() {
    let mut stage = Stage::new(&[(1, 50.0, 0.0)], &[(A, 0.0, 0.0), (B, -50.0, 0.0)]);
    assert!(stage.tick().is_some());
    for _ in 0..3 * SCAN_EVERY {
        assert_eq!(stage.tick(), None);
    }
    assert_eq!(stage.world.updates().count(), 0);
}

#[test]
fn moves_are_sent_as_sorted_deltas_in_eighths() {
    let mut stage = Stage::new(&[], &[(A, 0.0, 0.0), (C, 10.0, 10.0), (B, -50.0, 0.0)]);
    stage.tick();
    stage.place(B, -48.5, -2.0);
    stage.place(C, 10.0, 11.0);
    let update = stage.tick().unwrap();
    let moved: Vec<_> = update.moved.iter().map(|m| (m.id.0, m.dx, m.dy)).collect();
    assert_eq!(moved, [(2, 12, -16), (3, 0, 8)]);
    assert!(update.players_entered.is_empty() && update.players_left.is_empty());
    let Some(Msg::WorldUpdate(wire)) = update_packet(&update).msg else {
        panic!("not an update");
    };
    assert_eq!(wire.moved_ids, [2, 1]);
    assert_eq!(decode_ids(&wire.moved_ids), [2, 3]);
    assert_eq!(wire.moved_xy, [12, -16, 0, 8]);
}

/// An extrapolating client hears of a player moving at a steady velocity once, when the
/// velocity changes, and of nothing while it keeps it (scans included).
#[test]
fn an_extrapolating_client_is_told_velocity_changes_only() {
    let mut stage = Stage::new(&[], &[(A, 0.0, 0.0), (B, -50.0, 0.0), (C, 60.0, 0.0)]);
    assert!(stage.world.set_extrapolating(A, true));
    let first = stage.tick().unwrap();
    assert!(first.extrapolated);
    assert!(first.players_entered.iter().all(|p| p.velocity == (0, 0)));
    stage.place(B, -49.0, 0.5);
    let steered = stage.tick().unwrap();
    let listed: Vec<_> = steered.moved.iter().map(|m| (m.id.0, m.dx, m.dy)).collect();
    assert_eq!(listed, [(2, 8, 4)], "B's new velocity, in eighths a tick");
    let Some(Msg::WorldUpdate(wire)) = update_packet(&steered).msg else {
        panic!("not an update");
    };
    assert!(wire.moved_ids.is_empty() && wire.moved_xy.is_empty());
    assert_eq!((wire.velocity_ids, wire.velocity_xy), (vec![2], vec![8, 4]));
    // B keeps that velocity for three scans' worth of ticks: nothing to tell.
    for n in 2..=u8::try_from(3 * SCAN_EVERY).unwrap() + 1 {
        stage.place(B, -50.0 + f64::from(n), 0.5 * f64::from(n));
        assert_eq!(stage.tick(), None, "tick {n}");
    }
    // B stops and C starts: both in one update, by ascending ID.
    stage.place(C, 59.0, 0.0);
    let changed = stage.tick().unwrap();
    let listed: Vec<_> = changed.moved.iter().map(|m| (m.id.0, m.dx, m.dy)).collect();
    assert_eq!(listed, [(2, 0, 0), (3, -8, 0)]);
    // A player that enters while moving comes with its velocity.
    stage.place(B, -1_000.0, 0.0);
    while stage
        .tick()
        .is_none_or(|update| update.players_left.is_empty())
    {}
    let mut x = -400.0;
    let entered = loop {
        x += 2.0;
        stage.place(B, x, 0.0);
        if let Some(update) = stage.tick() {
            if let Some(b) = update.players_entered.iter().find(|p| p.id == B) {
                break b.clone();
            }
        }
    };
    assert_eq!(entered.velocity, (16, 0));
}

#[test]
fn leaving_takes_the_margin_and_coming_back_enters_again() {
    let mut stage = Stage::new(&[], &[(A, 0.0, 0.0), (B, 50.0, 0.0)]);
    stage.tick();
    // Out of the view (100 + radius 10) but within the 64-unit margin: still held.
    stage.place(B, 150.0, 0.0);
    let updates = stage.scan();
    assert!(updates.iter().all(|u| u.players_left.is_empty()));
    assert_eq!(updates[0].moved.len(), 1);
    // Past the margin: it leaves, once.
    stage.place(B, 300.0, 0.0);
    let updates = stage.scan();
    let left: Vec<_> = updates
        .iter()
        .flat_map(|u| u.players_left.clone())
        .collect();
    assert_eq!(left, [B]);
    for _ in 0..SCAN_EVERY {
        stage.place(B, 300.0 + f64::from(stage.ticks), 0.0);
        assert_eq!(stage.tick(), None, "out of view, its moves are not sent");
    }
    stage.place(B, 90.0, 0.0);
    let updates = stage.scan();
    let entered: Vec<_> = updates.iter().flat_map(player_ids).collect();
    assert_eq!(entered, [2]);
}

#[test]
fn something_new_in_view_shows_at_the_next_tick() {
    let mut stage = Stage::new(&[], &[(A, 0.0, 0.0)]);
    stage.tick();
    stage.tick();
    stage.world.rules_mut().at.insert(C, Vec2::new(0.0, 30.0));
    stage.world.enter(C, entry("c"), false).unwrap();
    let update = stage.tick().unwrap();
    assert_eq!(player_ids(&update), [3]);
    assert_eq!(&*update.players_entered[0].name, "c");
}

#[test]
fn eaten_things_are_eaten_not_left_and_leavers_leave() {
    let mut stage = Stage::new(&[(1, 50.0, 0.0)], &[(A, 0.0, 0.0), (B, -50.0, 0.0)]);
    stage.tick();
    stage
        .world
        .rules_mut()
        .eat
        .push((A, EntityKey::Spore(SporeId(1))));
    let update = stage.tick().unwrap();
    assert_eq!(
        update.eaten,
        [Eat {
            eater: A,
            eaten: EntityKey::Spore(SporeId(1))
        }]
    );
    assert!(update.spores_left.is_empty());
    assert!(stage.world.leave(B));
    let update = stage.tick().unwrap();
    assert_eq!(update.players_left, [B]);
    assert!(
        stage.world.update_for(B).is_none(),
        "a leaver gets nothing more"
    );
    assert!(!stage.world.leave(B));
}

#[test]
fn an_observer_without_a_player_forgets_its_view_and_sees_it_anew() {
    let mut stage = Stage::new(&[], &[(A, 0.0, 0.0), (B, 50.0, 0.0)]);
    stage.tick();
    // A is eaten and, with these rules, not put back: it has no view for a while.
    stage.world.rules_mut().eat.push((B, EntityKey::Player(A)));
    stage.tick();
    assert_eq!(stage.tick(), None);
    assert!(stage.world.leave(B));
    stage.tick();
    // C takes the slot B had; A comes back and must see C enter, not move.
    stage.world.rules_mut().at.insert(C, Vec2::new(40.0, 0.0));
    stage.world.enter(C, entry("c"), false).unwrap();
    stage.world.rules_mut().back.push(A);
    let update = stage.tick().unwrap();
    assert_eq!(player_ids(&update), [1, 3]);
    assert!(update.moved.is_empty());
    assert_eq!(
        stage.world.enter(A, entry("again"), true),
        Err(EnterError::AlreadyIn),
        "one observer per player"
    );
}

/// What a client knows: built only from the bytes of the updates it received, as
/// docs/protocol.md says a client applies them (extrapolating or not).
#[derive(Default)]
struct Client {
    extrapolating: bool,
    players: HashMap<u64, (i32, i32, u32)>,
    spores: HashMap<u64, (i32, i32, u32)>,
    /// An extrapolating client's: each player's velocity, and the tick of its last update.
    velocities: HashMap<u64, (i32, i32)>,
    last_tick: Option<u32>,
}

impl Client {
    fn extrapolating() -> Self {
        Self {
            extrapolating: true,
            ..Self::default()
        }
    }

    /// Where it draws player `id` at `tick` (an extrapolating client moves each player by
    /// its velocity on every tick since its last update).
    fn player_at(&self, id: u64, tick: u64) -> Option<(i32, i32, u32)> {
        let &(x, y, radius) = self.players.get(&id)?;
        let (Some(last), Some(&(vx, vy))) = (self.last_tick, self.velocities.get(&id)) else {
            return Some((x, y, radius));
        };
        let ticks = (tick as u32).wrapping_sub(last) as i32;
        Some((x + vx * ticks, y + vy * ticks, radius))
    }

    fn apply(&mut self, bytes: &[u8]) {
        let Some(Msg::WorldUpdate(update)) = Packet::decode(bytes).unwrap().msg else {
            panic!("not an update");
        };
        let mut held_before = Vec::new();
        if self.extrapolating {
            assert!(update.moved_ids.is_empty() && update.moved_xy.is_empty());
            // The ticks with no update: every player kept its velocity.
            let gap = self
                .last_tick
                .map_or(1, |last| update.tick.wrapping_sub(last));
            assert!(gap >= 1, "one update a tick at most");
            for (id, known) in &mut self.players {
                let (vx, vy) = self.velocities[id];
                known.0 += vx * (gap as i32 - 1);
                known.1 += vy * (gap as i32 - 1);
            }
            held_before.extend(self.players.keys().copied());
            self.last_tick = Some(update.tick);
        } else {
            assert!(update.velocity_ids.is_empty() && update.velocity_xy.is_empty());
        }
        for id in &update.players_left {
            assert!(
                self.players.remove(id).is_some(),
                "left unknown player {id}"
            );
        }
        for id in &update.spores_left {
            assert!(self.spores.remove(id).is_some(), "left unknown spore {id}");
        }
        for eat in &update.eaten {
            let gone = if eat.player_id != 0 {
                self.players.remove(&eat.player_id)
            } else {
                self.spores.remove(&eat.spore_id)
            };
            assert!(gone.is_some(), "eaten unknown {eat:?}");
        }
        let mut entered = Vec::new();
        for player in &update.players_entered {
            let old = self
                .players
                .insert(player.id, (player.x, player.y, player.radius));
            assert!(old.is_none(), "entered twice: {}", player.id);
            if self.extrapolating {
                self.velocities.insert(player.id, (player.vx, player.vy));
                entered.push(player.id);
            } else {
                assert_eq!(
                    (player.vx, player.vy),
                    (0, 0),
                    "only for extrapolating clients"
                );
            }
        }
        for spore in &update.spores_entered {
            let old = self
                .spores
                .insert(spore.id, (spore.x, spore.y, spore.radius));
            assert!(old.is_none(), "spore entered twice: {}", spore.id);
        }
        let (ids, xy) = if self.extrapolating {
            (&update.velocity_ids, &update.velocity_xy)
        } else {
            (&update.moved_ids, &update.moved_xy)
        };
        let listed = decode_ids(ids);
        assert_eq!(listed.len() * 2, xy.len());
        assert!(listed.windows(2).all(|pair| pair[0] < pair[1]));
        for (id, xy) in listed.iter().zip(xy.chunks(2)) {
            assert!(
                self.players.contains_key(id) && !entered.contains(id),
                "moved or steered unknown {id}: {update:?}"
            );
            if self.extrapolating {
                self.velocities.insert(*id, (xy[0], xy[1]));
            } else {
                let known = self.players.get_mut(id).unwrap();
                known.0 += xy[0];
                known.1 += xy[1];
            }
        }
        // An extrapolating client's step for this tick: every player it held before moves
        // by its velocity (the new one when it changed).
        for id in held_before {
            if let Some(known) = self.players.get_mut(&id) {
                if !entered.contains(&id) {
                    let (vx, vy) = self.velocities[&id];
                    known.0 += vx;
                    known.1 += vy;
                }
            }
        }
        self.velocities
            .retain(|id, _| self.players.contains_key(id));
        for (id, radius) in decode_ids(&update.resized_ids)
            .iter()
            .zip(&update.resized_radii)
        {
            self.players.get_mut(id).unwrap().2 = *radius;
        }
    }
}

fn eighths(value: f64) -> i32 {
    (value * 8.0).round() as i32
}

/// Every client, extrapolating (even IDs) or not, holds exactly what is in its view, where it
/// is, on every tick, through eats, respawns, drops and turns.
#[test]
fn a_client_applying_the_updates_always_holds_its_view_exactly() {
    let config = WorldConfig {
        max_told_everything: 1_000,
        ..WorldConfig::default()
    };
    let mut world = World::new(RadiusRumble::new(1_000), config, 9);
    let mut rng = Rng::new(4);
    let players = 250;
    let observers = 20;
    for n in 1..=players {
        let decider = if n % 3 == 0 {
            Decider::ClientClaims
        } else {
            Decider::Server
        };
        let entry = Entry {
            decider,
            ..entry(&format!("bot{n}"))
        };
        world.enter(PlayerId(n), entry, n <= observers).unwrap();
        assert_eq!(
            world.set_extrapolating(PlayerId(n), n % 2 == 0),
            n <= observers
        );
    }
    let mut clients: HashMap<u64, Client> = (1..=observers)
        .map(|n| {
            let client = if n % 2 == 0 {
                Client::extrapolating()
            } else {
                Client::default()
            };
            (n, client)
        })
        .collect();
    let start = Instant::now();
    let mut eats = 0;
    let mut bytes_sent = [0usize; 2];
    for tick in 1..=400u32 {
        for n in 1..=players {
            if rng.chance(0.05) {
                let _ = world.steer(PlayerId(n), rng.range(0.0, 7.0));
            }
        }
        // Uneven ticks: the world still advances in whole periods, a late one catching up.
        let jitter = Duration::from_millis(rng.next_u64() % 20);
        let late = if tick % 97 == 0 { 60 } else { 0 };
        world.tick(start + Duration::from_millis(50 * u64::from(tick) + late) + jitter);
        for (player, delta) in world.updates() {
            let mut bytes = Vec::new();
            mmo_world::wire::write_update_packet(delta, &mut bytes);
            eats += delta.delta.eaten.len();
            bytes_sent[usize::from(player.0 % 2 == 0)] += bytes.len();
            clients.get_mut(&player.0).unwrap().apply(&bytes);
        }
        let now = world.engine().tick_number();
        for (&n, client) in &clients {
            let view = world.rules().view(world.engine(), PlayerId(n)).unwrap();
            for entity in world.engine().entities() {
                let truth = (eighths(entity.pos.x), eighths(entity.pos.y));
                let known = match entity.key {
                    EntityKey::Player(id) => client.player_at(id.0, now),
                    EntityKey::Spore(id) => client.spores.get(&id.0).copied(),
                };
                if view.touches_circle(entity.pos, entity.radius) {
                    let known = known.unwrap_or_else(|| {
                        panic!("tick {tick}: client {n} misses {:?}", entity.key)
                    });
                    assert_eq!(
                        (known.0, known.1),
                        truth,
                        "tick {tick}: client {n}: {:?}",
                        entity.key
                    );
                    assert_eq!(known.2, (entity.radius * 8.0).round() as u32);
                } else if let Some(known) = known {
                    assert_eq!(
                        (known.0, known.1),
                        truth,
                        "tick {tick}: client {n}: {:?}",
                        entity.key
                    );
                }
            }
            let alive = |id: u64, player: bool| {
                let key = if player {
                    EntityKey::Player(PlayerId(id))
                } else {
                    EntityKey::Spore(SporeId(id))
                };
                world.engine().get(key).is_some()
            };
            assert!(client.players.keys().all(|&id| alive(id, true)));
            assert!(client.spores.keys().all(|&id| alive(id, false)));
            assert!(client.players.contains_key(&n), "its own player");
        }
    }
    assert!(eats > 0, "the run should include eats");
    // Each bot turns once a second on average here, far more than a person: even so.
    assert!(
        bytes_sent[1] * 3 < bytes_sent[0] * 2,
        "extrapolating clients get fewer bytes: {bytes_sent:?}"
    );
}

/// A view keeps its players by ascending ID whether a few or many enter at once (many are
/// merged into what it holds, a few put in place), so moves always come out sorted.
#[test]
fn players_entering_among_held_ones_keep_moves_sorted() {
    // A and the even IDs up to 40 in view; the odd ones far away.
    let mut players = vec![(A, 0.0, 0.0)];
    for id in 2..=40u64 {
        let x = if id % 2 == 0 {
            5.0 * id as f64 - 100.0
        } else {
            5_000.0
        };
        players.push((PlayerId(id), x, 20.0));
    }
    let mut stage = Stage::new(&[], &players);
    stage.scan();
    let bring = |stage: &mut Stage, ids: &[u64]| {
        for &id in ids {
            stage.place(PlayerId(id), 3.0 * id as f64 - 60.0, -20.0);
        }
        let entered: Vec<u64> = stage.scan().iter().flat_map(player_ids).collect();
        assert_eq!(entered, ids);
    };
    // Many at once (more than the in-place threshold), then a few.
    bring(&mut stage, &(3..=31).step_by(2).collect::<Vec<_>>());
    bring(&mut stage, &[33, 35]);
    let held: Vec<u64> = (2..=40).filter(|id| id % 2 == 0 || *id <= 35).collect();
    for &id in &held {
        stage.place(PlayerId(id), 3.0 * id as f64 - 60.0, 1.0);
    }
    let update = stage.tick().unwrap();
    let moved: Vec<u64> = update.moved.iter().map(|m| m.id.0).collect();
    let expected = held;
    assert_eq!(moved, expected, "every held player moved, by ascending ID");
}

/// A view's moves are read from the world's table by the players it held before this tick's
/// entries, which join what it holds only at the next tick: an entering player is sent whole
/// (not moved as well), moved from the next tick on, and told eaten if it is eaten then.
#[test]
fn a_player_entering_while_moving_is_sent_whole_then_moved() {
    let mut stage = Stage::new(&[], &[(A, 0.0, 0.0), (B, 500.0, 0.0)]);
    stage.tick();
    let mut x = 500.0;
    let entered = loop {
        x -= 20.0;
        assert!(x > 0.0, "B never entered");
        stage.place(B, x, 0.0);
        if let Some(update) = stage.tick().filter(|u| !u.players_entered.is_empty()) {
            break update;
        }
    };
    assert_eq!(player_ids(&entered), [2]);
    assert!(entered.moved.is_empty(), "entered, not moved: {entered:?}");
    let mut bytes = Vec::new();
    mmo_world::wire::write_update_packet(stage.world.update_for(A).unwrap(), &mut bytes);
    assert_eq!(bytes, update_packet(&entered).encode_to_vec());
    stage.place(B, x - 1.0, 0.0);
    let next = stage.tick().unwrap();
    assert!(next.players_entered.is_empty());
    let moved: Vec<_> = next.moved.iter().map(|m| (m.id.0, m.dx, m.dy)).collect();
    assert_eq!(moved, [(2, -8, 0)]);
    // Entered, then eaten at the very next tick.
    stage.place(B, 500.0, 0.0);
    stage.scan();
    let mut x = 500.0;
    loop {
        x -= 20.0;
        assert!(x > 0.0, "B never entered again");
        stage.place(B, x, 0.0);
        if stage.tick().is_some_and(|u| !u.players_entered.is_empty()) {
            break;
        }
    }
    stage.world.rules_mut().at.remove(&B);
    stage.world.rules_mut().eat.push((A, EntityKey::Player(B)));
    let eaten = stage.tick().unwrap();
    assert_eq!(eaten.eaten.len(), 1, "{eaten:?}");
    assert_eq!(eaten.eaten[0].eaten, EntityKey::Player(B));
    assert!(eaten.moved.is_empty() && eaten.players_left.is_empty());
}

#[test]
fn a_move_too_long_for_the_shared_code_is_sent_whole() {
    // Both jump 200,000 units (1,600,000 eighths): A's view still holds B, and the move takes
    // more bytes than the engine's per-player code keeps, so the view encodes it itself.
    let mut stage = Stage::new(&[], &[(A, 0.0, 0.0), (B, 50.0, 0.0), (C, 60.0, 0.0)]);
    stage.tick();
    stage.place(A, 200_000.0, -150_000.0);
    stage.place(B, 200_050.0, -150_000.0);
    let update = stage.tick().unwrap();
    let moved: Vec<_> = update.moved.iter().map(|m| (m.id.0, m.dx, m.dy)).collect();
    assert_eq!(
        moved,
        [(1, 1_600_000, -1_200_000), (2, 1_600_000, -1_200_000)]
    );
    assert_eq!(update.players_left, [C], "C stayed behind");
    let mut bytes = Vec::new();
    mmo_world::wire::write_update_packet(stage.world.update_for(A).unwrap(), &mut bytes);
    assert_eq!(bytes, update_packet(&update).encode_to_vec());
}
