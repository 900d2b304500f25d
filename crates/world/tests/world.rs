//! The world as its caller drives it: ticks that integrate the real time between them, the
//! live leaderboard (independent of views, recomputed once a second, sent only when changed),
//! and a player's own state sent only when it changes.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mmo_world::radius_rumble::SPEED;
use mmo_world::world::MAX_TICK_SECONDS;
use mmo_world::{
    Appearance, Claim, ClaimError, Decider, Engine, EnterError, EntityKey, Entry, InputError,
    PlayerId, RadiusRumble, Rect, Removal, Rules, Standing, Vec2, World, WorldConfig,
};

fn entry(name: &str) -> Entry {
    Entry {
        appearance: Arc::new(Appearance {
            name: name.into(),
            color: 1,
        }),
        best_score: 0,
        decider: Decider::Server,
    }
}

#[test]
fn each_tick_moves_players_by_the_real_time_since_the_last_one_in_whole_periods() {
    let mut world = World::new(RadiusRumble::new(10), WorldConfig::default(), 3);
    let me = PlayerId(1);
    world.enter(me, entry("me"), false).unwrap();
    world.steer(me, 0.0).unwrap();
    let x = |world: &World<RadiusRumble>| world.engine().get(EntityKey::Player(me)).unwrap().pos.x;
    let start = Instant::now();
    let x0 = x(&world);
    world.tick(start);
    assert!(
        (x(&world) - x0 - SPEED / 20.0).abs() < 1e-9,
        "the first tick is one period"
    );
    let x1 = x(&world);
    let report = world.tick(start + Duration::from_millis(100));
    assert_eq!(report.dt, 0.1);
    assert!((x(&world) - x1 - SPEED * 0.1).abs() < 1e-9);
    let x2 = x(&world);
    let report = world.tick(start + Duration::from_secs(10));
    assert_eq!(
        report.dt, MAX_TICK_SECONDS,
        "a stall does not throw players across the map"
    );
    assert!((x(&world) - x2 - SPEED * MAX_TICK_SECONDS).abs() < 1e-9);
    assert_eq!(
        world.steer(me, f64::NAN),
        Err(InputError::NotFinite),
        "and a bad direction changes nothing"
    );
}

/// At a tick rate slow enough that a period is longer than `MAX_TICK_SECONDS`, a tick still
/// integrates its whole period: players keep their speed.
#[test]
fn a_slow_tick_rate_still_moves_players_at_their_speed() {
    let config = WorldConfig {
        tick_rate: 2,
        ..WorldConfig::default()
    };
    let mut world = World::new(RadiusRumble::new(10), config, 3);
    let me = PlayerId(1);
    world.enter(me, entry("me"), false).unwrap();
    world.steer(me, 0.0).unwrap();
    let start = Instant::now();
    world.tick(start);
    let x = world.engine().get(EntityKey::Player(me)).unwrap().pos.x;
    let report = world.tick(start + Duration::from_millis(500));
    assert_eq!(report.dt, 0.5);
    let moved = world.engine().get(EntityKey::Player(me)).unwrap().pos.x - x;
    assert!((moved - SPEED * 0.5).abs() < 1e-9, "{moved}");
}

/// The world advances a whole period a tick, so a steady player makes the same move on every
/// tick even when the ticks come unevenly; only a whole period of lateness is caught up.
#[test]
fn uneven_ticks_move_players_by_whole_periods_and_catch_up_whole_periods_only() {
    let mut world = World::new(RadiusRumble::new(10), WorldConfig::default(), 3);
    let me = PlayerId(1);
    world.enter(me, entry("me"), false).unwrap();
    world.steer(me, 0.0).unwrap();
    let start = Instant::now();
    world.tick(start);
    // 30 ms late, then on time again (20 ms after it), then 110 ms late (a whole period and
    // more): one period, one period, then three (the one owed caught up).
    for (at_ms, periods) in [(80, 1), (100, 1), (150, 1), (310, 3), (350, 1)] {
        let report = world.tick(start + Duration::from_millis(at_ms));
        assert!(
            (report.dt - 0.05 * f64::from(periods)).abs() < 1e-9,
            "at {at_ms} ms: {} s",
            report.dt
        );
    }
}

/// Rules whose scores the test sets; everyone sits still where it is put.
#[derive(Default)]
struct Scores {
    score: BTreeMap<PlayerId, u64>,
}

impl Rules for Scores {
    fn populate(&mut self, _: &mut Engine) {}

    fn enter(
        &mut self,
        engine: &mut Engine,
        player: PlayerId,
        entry: Entry,
    ) -> Result<(), EnterError> {
        // Far apart: nobody sees anybody else.
        let pos = Vec2::new(player.0 as f64 * 10_000.0, 0.0);
        self.score.insert(player, 0);
        engine
            .spawn(EntityKey::Player(player), pos, 10.0, Some(entry.appearance))
            .map_err(|_| EnterError::AlreadyIn)
    }

    fn leave(&mut self, engine: &mut Engine, player: PlayerId) -> bool {
        self.score.remove(&player);
        engine.remove(EntityKey::Player(player), Removal::Gone)
    }

    fn steer(&mut self, _: &mut Engine, _: PlayerId, _: f64) -> Result<(), InputError> {
        Ok(())
    }

    fn claim(&mut self, _: &mut Engine, _: PlayerId, _: Claim) -> Result<(), ClaimError> {
        Err(ClaimError::ServerDecides)
    }

    fn step(&mut self, _: &mut Engine, _: f64) {}

    fn view(&self, engine: &Engine, player: PlayerId) -> Option<Rect> {
        let me = engine.get(EntityKey::Player(player))?;
        Some(Rect {
            center: me.pos,
            half: Vec2::new(100.0, 100.0),
        })
    }

    fn standing(&self, _: &Engine, player: PlayerId) -> Option<Standing> {
        let score = *self.score.get(&player)?;
        Some(Standing {
            score,
            best_score: score,
        })
    }

    fn max_speed(&self) -> f64 {
        0.0
    }

    fn scores(&self, _: &Engine, out: &mut Vec<(u64, PlayerId)>) {
        out.extend(self.score.iter().map(|(&id, &score)| (score, id)));
    }
}

#[test]
fn the_leaderboard_is_the_worlds_top_ten_sent_at_most_once_a_second_when_it_changes() {
    let config = WorldConfig::default();
    let mut world = World::new(Scores::default(), config, 1);
    let watcher = PlayerId(1);
    for n in 1..=12 {
        world
            .enter(PlayerId(n), entry(&format!("p{n}")), n == 1)
            .unwrap();
        world.rules_mut().score.insert(PlayerId(n), 100 * n);
    }
    let start = Instant::now();
    let mut tick = 0u32;
    let mut next = |world: &mut World<Scores>| {
        tick += 1;
        world.tick(start + Duration::from_millis(50) * tick);
        world
            .update_for(watcher)
            .and_then(|update| update.delta.leaderboard.clone())
    };
    let board = next(&mut world).unwrap();
    assert_eq!(board.players, 12);
    let rows: Vec<_> = board.entries.iter().map(|e| (e.id.0, e.score)).collect();
    let expected: Vec<_> = (3..=12).rev().map(|n| (n, 100 * n)).collect();
    assert_eq!(rows, expected, "best first, whatever the watcher can see");
    assert_eq!(&*board.entries[0].name, "p12");
    // Unchanged: not sent again, not even after a second.
    for _ in 0..2 * config.leaderboard_every {
        assert!(next(&mut world).is_none());
    }
    // Changed: sent at the next recomputation, not before.
    world.rules_mut().score.insert(PlayerId(2), 5_000);
    let mut waited = 0;
    let board = loop {
        waited += 1;
        if let Some(board) = next(&mut world) {
            break board;
        }
    };
    assert!(waited <= config.leaderboard_every);
    assert_eq!(board.entries[0].id, PlayerId(2));
    assert_eq!(board.entries.len(), 10);
}

#[test]
fn a_players_own_state_is_sent_when_it_changes() {
    let mut world = World::new(Scores::default(), WorldConfig::default(), 1);
    let me = PlayerId(1);
    world.enter(me, entry("me"), true).unwrap();
    let start = Instant::now();
    world.tick(start);
    let own = world.update_for(me).unwrap().delta.own.unwrap();
    assert_eq!(
        (own.score, own.view_half_width, own.view_half_height),
        (0, 100, 100)
    );
    world.tick(start + Duration::from_millis(50));
    assert!(
        world.update_for(me).is_none(),
        "nothing changed, nothing sent"
    );
    world.rules_mut().score.insert(me, 7);
    world.tick(start + Duration::from_millis(100));
    let update = world.update_for(me).unwrap();
    assert_eq!(update.delta.own.unwrap().score, 7);
    assert!(update.moves.is_empty() && update.entrants.is_empty());
    assert!(world.leave(me));
    world.tick(start + Duration::from_millis(150));
    assert!(world.update_for(me).is_none());
    assert!(!world.contains(me));
}

#[test]
fn players_told_everything_are_limited_with_a_reason() {
    let config = WorldConfig {
        max_told_everything: 2,
        ..WorldConfig::default()
    };
    let mut world = World::new(RadiusRumble::new(100), config, 1);
    world.enter(PlayerId(1), entry("a"), false).unwrap();
    world.enter(PlayerId(2), entry("b"), false).unwrap();
    let refused = world.enter(PlayerId(3), entry("c"), false).unwrap_err();
    assert_eq!(refused, EnterError::EverythingFull { limit: 2 });
    assert_eq!(
        refused.to_string(),
        "this world already has 2 players on the tutorial's client; try another room"
    );
    // Players with views are not counted, and a leaver frees its place.
    world.enter(PlayerId(3), entry("c"), true).unwrap();
    assert!(world.leave(PlayerId(1)));
    world.enter(PlayerId(4), entry("d"), false).unwrap();
    assert_eq!(
        world.enter(PlayerId(2), entry("b"), true),
        Err(EnterError::AlreadyIn)
    );
}

/// Observers enough for two view threads (`MIN_VIEWS_PER_THREAD`, 256, views per thread).
const TWO_SHARES: u64 = 520;

/// A world of `TWO_SHARES` observing players (IDs 1 upward), its views over `view_threads`;
/// every other one extrapolating (see `enter_observer`).
fn observed_world(view_threads: usize, seed: u64) -> World<RadiusRumble> {
    let config = WorldConfig {
        view_threads,
        ..WorldConfig::default()
    };
    let mut world = World::new(RadiusRumble::new(10_000), config, seed);
    for n in 1..=TWO_SHARES {
        enter_observer(&mut world, n, &format!("p{n}"));
    }
    world
}

/// Enters player `n` as `name` with a view, extrapolating when `n` is even.
fn enter_observer(world: &mut World<RadiusRumble>, n: u64, name: &str) {
    world.enter(PlayerId(n), entry(name), true).unwrap();
    assert!(world.set_extrapolating(PlayerId(n), n % 2 == 0));
}

/// Views spread over threads (and made ready on another core while the rules step) give
/// every observer the same updates, byte for byte, as views updated on the ticking thread
/// alone (the same world, seed and steering), extrapolating or not, including a few
/// observers who leave and come back.
#[test]
fn views_spread_over_threads_send_what_one_thread_sends() {
    const PLAYERS: u64 = TWO_SHARES;
    let (mut one, mut two) = (observed_world(1, 7), observed_world(2, 7));
    let start = Instant::now();
    let mut compared = 0;
    for tick in 1..=40u32 {
        for n in 1..=PLAYERS {
            let direction = f64::from(tick / 10) + n as f64;
            let _ = one.steer(PlayerId(n), direction);
            let _ = two.steer(PlayerId(n), direction);
        }
        if tick == 20 {
            // Some leave and come back: their views start again, on whichever thread.
            for n in (1..=PLAYERS).step_by(50) {
                assert!(one.leave(PlayerId(n)) && two.leave(PlayerId(n)));
                enter_observer(&mut one, n, "again");
                enter_observer(&mut two, n, "again");
            }
        }
        let now = start + Duration::from_millis(50) * tick;
        let (a, b) = (one.tick(now), two.tick(now));
        assert_eq!((a.updates, a.scans), (b.updates, b.scans), "tick {tick}");
        for n in 1..=PLAYERS {
            let bytes = |world: &World<RadiusRumble>| {
                let mut out = Vec::new();
                if let Some(update) = world.update_for(PlayerId(n)) {
                    mmo_world::wire::write_update_packet(update, &mut out);
                }
                out
            };
            let expected = bytes(&one);
            assert_eq!(expected, bytes(&two), "tick {tick}, player {n}");
            compared += usize::from(!expected.is_empty());
        }
    }
    assert!(compared > 40 * 400, "most players had updates: {compared}");
}

#[test]
fn updates_encoded_on_the_views_threads_are_each_observers_update_once() {
    // Two threads: each encodes the updates of the observers it took.
    const PLAYERS: u64 = TWO_SHARES;
    let mut world = observed_world(2, 11);
    let start = Instant::now();
    let mut delivered_total = 0;
    for tick in 1..=30u32 {
        for n in 1..=PLAYERS {
            let _ = world.steer(PlayerId(n), f64::from(tick / 5) + n as f64);
        }
        let delivered = std::sync::Mutex::new(Vec::new());
        let now = start + Duration::from_millis(50) * tick;
        // A header of four bytes, the packet's length: each frame is a header and its packet.
        let header = |len: usize, out: &mut Vec<u8>| {
            out.extend_from_slice(&u32::try_from(len).expect("small").to_be_bytes());
        };
        let report = world.tick_delivering(now, &header, &|chunk| {
            let mut chunk_updates = Vec::new();
            for (player, frame) in chunk.frames {
                let (header, packet) = chunk.bytes[frame].split_at(4);
                let told = u32::from_be_bytes(header.try_into().expect("four bytes"));
                assert_eq!(
                    told as usize,
                    packet.len(),
                    "the header gives its packet's length"
                );
                chunk_updates.push((player, packet.to_vec()));
            }
            delivered.lock().expect("not poisoned").push(chunk_updates);
        });
        // Chunks come from both threads in no set order, each in the observers' order (here
        // the players' order: they entered by ID and none left).
        let mut chunks = delivered.into_inner().expect("not poisoned");
        chunks.sort_by_key(|chunk| chunk[0].0);
        let delivered: Vec<(PlayerId, Vec<u8>)> = chunks.into_iter().flatten().collect();
        // Built by prost from the moves read back out of the held slots: a path apart from
        // the one the views' threads take (moves encoded as the views read them).
        let expected: Vec<(PlayerId, Vec<u8>)> = (1..=PLAYERS)
            .filter_map(|n| {
                let update = world.update_for(PlayerId(n))?;
                let packet = mmo_world::encode::update_packet(&update.to_delta());
                Some((PlayerId(n), mmo_protocol::Message::encode_to_vec(&packet)))
            })
            .collect();
        assert_eq!(delivered.len(), report.updates, "tick {tick}");
        assert!(
            delivered == expected,
            "tick {tick}: the delivered packets differ, or are out of order"
        );
        delivered_total += delivered.len();
    }
    assert!(
        delivered_total > 30 * 400,
        "most players had updates: {delivered_total}"
    );
}

/// A step whose views are never explicitly brought up to date (its `Stepped` dropped) still
/// brings them up to date: the next tick's updates are those of a world ticked as usual, and
/// what happened in the step can be read before the views are.
#[test]
fn a_dropped_step_brings_the_views_up_to_date_all_the_same() {
    let (mut ticked, mut stepped) = (observed_world(2, 5), observed_world(2, 5));
    let start = Instant::now();
    for tick in 1..=12u32 {
        for n in 1..=TWO_SHARES {
            let direction = f64::from(tick) + n as f64;
            let _ = ticked.steer(PlayerId(n), direction);
            let _ = stepped.steer(PlayerId(n), direction);
        }
        let now = start + Duration::from_millis(50) * tick;
        let report = ticked.tick(now);
        let step = stepped.step(now);
        assert_eq!(
            step.world().events(),
            ticked.events(),
            "tick {tick}: the step's events are readable before its views"
        );
        drop(step);
        assert_eq!(stepped.engine().tick_number(), report.tick);
        for n in 1..=TWO_SHARES {
            let delta = |world: &World<RadiusRumble>| {
                world
                    .update_for(PlayerId(n))
                    .map(|update| update.to_delta())
            };
            assert_eq!(delta(&ticked), delta(&stepped), "tick {tick}, player {n}");
        }
        let _ = (ticked.take_events(), stepped.take_events());
    }
}
