//! Every rule of Radius Rumble, on an engine without the world around it (no views, no ticks
//! of wall time): spawning, movement, input checks, spores, eating (server-decided and
//! claimed), drops, respawn and scores.

#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::f64::consts::{FRAC_PI_2, PI};
use std::sync::Arc;

use mmo_world::radius_rumble::{
    CLAIM_BURST, SPAWN_HALF_BOX, SPORE_TARGET, START_RADIUS, drop_radius, score_of,
};
use mmo_world::{
    Appearance, Claim, ClaimError, Decider, Engine, EnterError, EntityKey, Entry, Event,
    InputError, PlayerId, RadiusRumble, Rules, SporeId, Vec2,
};

const ME: PlayerId = PlayerId(1);
const OTHER: PlayerId = PlayerId(2);

fn entry(decider: Decider, color: i32) -> Entry {
    Entry {
        appearance: Arc::new(Appearance {
            name: "someone".into(),
            color,
        }),
        best_score: 0,
        decider,
    }
}

/// An empty world (no spores) with the rules.
fn empty() -> (Engine, RadiusRumble) {
    (Engine::new(7), RadiusRumble::new(1_000))
}

fn join(engine: &mut Engine, rules: &mut RadiusRumble, id: PlayerId, decider: Decider, at: Vec2) {
    rules.enter(engine, id, entry(decider, -1)).unwrap();
    engine.set_position(EntityKey::Player(id), at);
}

fn player(engine: &Engine, id: PlayerId) -> (Vec2, f64) {
    let entity = engine.get(EntityKey::Player(id)).unwrap();
    (entity.pos, entity.radius)
}

/// A spore placed by the test, with IDs far above the rules' own.
fn spore(engine: &mut Engine, n: u64, at: Vec2, radius: f64) -> SporeId {
    let id = SporeId(1_000_000 + n);
    engine
        .spawn(EntityKey::Spore(id), at, radius, None)
        .unwrap();
    id
}

/// One tick of `dt` seconds, as `World::tick` runs it.
fn step(engine: &mut Engine, rules: &mut RadiusRumble, dt: f64) {
    engine.begin_tick(dt);
    rules.step(engine, dt);
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn a_player_enters_at_radius_20_in_the_spawn_box_and_waits_for_its_first_direction() {
    let (mut engine, mut rules) = empty();
    rules
        .enter(&mut engine, ME, entry(Decider::Server, 7))
        .unwrap();
    let (pos, radius) = player(&engine, ME);
    assert_eq!(radius, START_RADIUS);
    assert!(pos.x.abs() <= SPAWN_HALF_BOX && pos.y.abs() <= SPAWN_HALF_BOX);
    assert_eq!(
        rules.enter(&mut engine, ME, entry(Decider::Server, 7)),
        Err(EnterError::AlreadyIn)
    );
    step(&mut engine, &mut rules, 1.0);
    assert_eq!(
        player(&engine, ME).0,
        pos,
        "no direction yet: it does not move"
    );
    assert_eq!(rules.standing(&engine, ME).unwrap().score, 1_257);
    let mut full = RadiusRumble::new(1);
    full.enter(&mut engine, OTHER, entry(Decider::Server, 0))
        .unwrap();
    assert_eq!(
        full.enter(&mut engine, PlayerId(3), entry(Decider::Server, 0)),
        Err(EnterError::Full)
    );
}

#[test]
fn players_move_150_units_a_second_with_the_real_time_of_each_tick() {
    let (mut engine, mut rules) = empty();
    join(
        &mut engine,
        &mut rules,
        ME,
        Decider::Server,
        Vec2::new(0.0, 0.0),
    );
    rules.steer(&mut engine, ME, 0.0).unwrap();
    step(&mut engine, &mut rules, 0.1);
    assert!(close(player(&engine, ME).0.x, 15.0));
    step(&mut engine, &mut rules, 0.02);
    assert!(close(player(&engine, ME).0.x, 18.0));
    rules.steer(&mut engine, ME, FRAC_PI_2).unwrap();
    step(&mut engine, &mut rules, 0.05);
    let pos = player(&engine, ME).0;
    assert!(close(pos.x, 18.0) && close(pos.y, 7.5), "{pos:?}");
}

#[test]
fn directions_that_are_not_finite_are_ignored_and_others_normalised() {
    let (mut engine, mut rules) = empty();
    join(
        &mut engine,
        &mut rules,
        ME,
        Decider::ClientClaims,
        Vec2::new(0.0, 0.0),
    );
    rules.steer(&mut engine, ME, PI).unwrap();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert_eq!(
            rules.steer(&mut engine, ME, bad),
            Err(InputError::NotFinite)
        );
    }
    assert_eq!(rules.heading(ME), Some((PI, true)));
    rules.steer(&mut engine, ME, 7.0 * PI).unwrap();
    assert!(close(rules.heading(ME).unwrap().0, PI));
    rules.steer(&mut engine, ME, 1e300).unwrap();
    step(&mut engine, &mut rules, 0.05);
    assert!(player(&engine, ME).0.is_finite());
    assert_eq!(
        rules.steer(&mut engine, OTHER, 0.0),
        Err(InputError::NotInWorld)
    );
}

#[test]
fn spawns_never_overlap_players_and_spores_never_overlap_spores() {
    let (mut engine, mut rules) = empty();
    rules.populate(&mut engine);
    assert_eq!(engine.spore_count(), SPORE_TARGET);
    for n in 1..=300 {
        rules
            .enter(&mut engine, PlayerId(n), entry(Decider::Server, 0))
            .unwrap();
    }
    let all: Vec<_> = engine
        .entities()
        .map(|e| (e.key, e.pos, e.radius))
        .collect();
    let players: Vec<_> = all
        .iter()
        .filter(|e| matches!(e.0, EntityKey::Player(_)))
        .collect();
    let spores: Vec<_> = all
        .iter()
        .filter(|e| matches!(e.0, EntityKey::Spore(_)))
        .collect();
    for (i, a) in players.iter().enumerate() {
        for b in &players[i + 1..] {
            let reach = a.2 + b.2;
            assert!(a.1.distance_squared(b.1) > reach * reach, "{a:?} {b:?}");
        }
    }
    let mut radius_sum = 0.0;
    for (i, a) in spores.iter().enumerate() {
        assert!(a.2 >= 5.0);
        radius_sum += a.2;
        for b in &spores[i + 1..] {
            let reach = a.2 + b.2;
            assert!(a.1.distance_squared(b.1) > reach * reach, "{a:?} {b:?}");
        }
    }
    let mean = radius_sum / spores.len() as f64;
    assert!((9.5..10.8).contains(&mean), "mean spore radius {mean}");
}

#[test]
fn spores_are_replenished_ten_every_two_seconds_up_to_the_target() {
    let (mut engine, mut rules) = empty();
    rules.populate(&mut engine);
    let keys: Vec<_> = engine.entities().map(|e| e.key).take(25).collect();
    for key in keys {
        engine.remove(key, mmo_world::Removal::Gone);
    }
    assert_eq!(engine.spore_count(), SPORE_TARGET - 25);
    step(&mut engine, &mut rules, 1.0);
    assert_eq!(engine.spore_count(), SPORE_TARGET - 25);
    step(&mut engine, &mut rules, 1.0);
    assert_eq!(engine.spore_count(), SPORE_TARGET - 15);
    step(&mut engine, &mut rules, 2.0);
    assert_eq!(engine.spore_count(), SPORE_TARGET - 5);
    step(&mut engine, &mut rules, 2.0);
    assert_eq!(engine.spore_count(), SPORE_TARGET);
    step(&mut engine, &mut rules, 2.0);
    assert_eq!(engine.spore_count(), SPORE_TARGET);
}

#[test]
fn the_server_eats_what_its_players_touch_and_nothing_else() {
    let (mut engine, mut rules) = empty();
    join(
        &mut engine,
        &mut rules,
        ME,
        Decider::Server,
        Vec2::new(0.0, 0.0),
    );
    let touching = spore(&mut engine, 1, Vec2::new(29.0, 0.0), 10.0);
    let apart = spore(&mut engine, 2, Vec2::new(-31.0, 0.0), 10.0);
    engine.take_events();
    step(&mut engine, &mut rules, 0.0);
    assert!(close(player(&engine, ME).1, 20f64.hypot(10.0)));
    assert!(engine.get(EntityKey::Spore(touching)).is_none());
    assert!(engine.get(EntityKey::Spore(apart)).is_some());
    assert_eq!(
        engine.take_events(),
        [Event::SporeEaten {
            spore: touching,
            eater: ME
        }]
    );
    assert_eq!(
        rules.claim(&mut engine, ME, Claim::Spore(apart)),
        Err(ClaimError::ServerDecides),
        "our clients' claims mean nothing"
    );
}

#[test]
fn tutorial_players_eat_only_by_checked_claims() {
    let (mut engine, mut rules) = empty();
    join(
        &mut engine,
        &mut rules,
        ME,
        Decider::ClientClaims,
        Vec2::new(0.0, 0.0),
    );
    let near = spore(&mut engine, 1, Vec2::new(39.0, 0.0), 10.0);
    let far = spore(&mut engine, 2, Vec2::new(-40.5, 0.0), 10.0);
    step(&mut engine, &mut rules, 0.0);
    assert!(
        engine.get(EntityKey::Spore(near)).is_some(),
        "no claim, no eat"
    );
    assert_eq!(
        rules.claim(&mut engine, ME, Claim::Spore(far)),
        Err(ClaimError::TooFar)
    );
    assert_eq!(
        rules.claim(&mut engine, ME, Claim::Spore(SporeId(424_242))),
        Err(ClaimError::Unknown)
    );
    assert_eq!(rules.claim(&mut engine, ME, Claim::Spore(near)), Ok(()));
    assert!(close(player(&engine, ME).1, 20f64.hypot(10.0)));
    assert_eq!(
        rules.claim(&mut engine, ME, Claim::Spore(near)),
        Err(ClaimError::Unknown),
        "eaten once"
    );
    assert_eq!(
        rules.claim(&mut engine, ME, Claim::Player(ME)),
        Err(ClaimError::TooSmall),
        "nobody eats itself"
    );
    assert_eq!(
        rules.claim(&mut engine, OTHER, Claim::Spore(far)),
        Err(ClaimError::NotInWorld)
    );
}

#[test]
fn eating_a_player_needs_more_than_one_and_a_half_times_its_mass() {
    let (mut engine, mut rules) = empty();
    join(
        &mut engine,
        &mut rules,
        ME,
        Decider::ClientClaims,
        Vec2::new(0.0, 0.0),
    );
    rules
        .enter(&mut engine, OTHER, entry(Decider::Server, 0x1234))
        .unwrap();
    engine.set_position(EntityKey::Player(OTHER), Vec2::new(50.0, 0.0));
    rules.steer(&mut engine, OTHER, FRAC_PI_2).unwrap();
    // Mass ratio 24.4² / 20² = 1.488: not enough, even touching.
    engine.set_radius(EntityKey::Player(ME), 24.4);
    assert_eq!(
        rules.claim(&mut engine, ME, Claim::Player(OTHER)),
        Err(ClaimError::TooSmall)
    );
    // 24.6² / 20² = 1.513, and 50 ≤ 24.6 + 20 + 10.
    engine.set_radius(EntityKey::Player(ME), 24.6);
    let other_best = rules.standing(&engine, OTHER).unwrap().best_score;
    engine.take_events();
    assert_eq!(rules.claim(&mut engine, ME, Claim::Player(OTHER)), Ok(()));
    assert!(close(player(&engine, ME).1, 24.6f64.hypot(20.0)));
    let events = engine.take_events();
    assert_eq!(
        events[..2],
        [
            Event::PlayerEaten {
                victim: OTHER,
                eater: ME
            },
            Event::PlayerSpawned(OTHER)
        ]
    );
    // The victim respawned: radius 20, same colour, best score and heading, still moving.
    let victim = engine.get(EntityKey::Player(OTHER)).unwrap();
    assert_eq!(victim.radius, START_RADIUS);
    assert_eq!(victim.appearance.as_ref().unwrap().color, 0x1234);
    assert_eq!(
        rules.standing(&engine, OTHER).unwrap().best_score,
        other_best
    );
    assert_eq!(rules.heading(OTHER), Some((FRAC_PI_2, true)));
    let before = victim.pos;
    step(&mut engine, &mut rules, 0.1);
    assert!(close(player(&engine, OTHER).0.y, before.y + 15.0));
}

#[test]
fn server_decided_eating_respects_the_mass_rule_both_ways() {
    let (mut engine, mut rules) = empty();
    join(
        &mut engine,
        &mut rules,
        ME,
        Decider::Server,
        Vec2::new(0.0, 0.0),
    );
    join(
        &mut engine,
        &mut rules,
        OTHER,
        Decider::Server,
        Vec2::new(30.0, 0.0),
    );
    step(&mut engine, &mut rules, 0.0);
    assert_eq!(
        player(&engine, OTHER).0,
        Vec2::new(30.0, 0.0),
        "equals touch, nobody eats"
    );
    engine.set_radius(EntityKey::Player(OTHER), 30.0);
    step(&mut engine, &mut rules, 0.0);
    assert_ne!(
        player(&engine, ME).0,
        Vec2::new(0.0, 0.0),
        "the bigger one ate ME"
    );
    assert!(close(player(&engine, OTHER).1, 30f64.hypot(20.0)));
    assert_eq!(
        rules.standing(&engine, OTHER).unwrap().best_score,
        score_of(30f64.hypot(20.0))
    );
}

#[test]
fn claims_come_at_most_at_the_claim_rate() {
    let (mut engine, mut rules) = empty();
    join(
        &mut engine,
        &mut rules,
        ME,
        Decider::ClientClaims,
        Vec2::new(0.0, 0.0),
    );
    let burst = CLAIM_BURST as usize;
    for _ in 0..burst {
        assert_eq!(
            rules.claim(&mut engine, ME, Claim::Spore(SporeId(999))),
            Err(ClaimError::Unknown)
        );
    }
    assert_eq!(
        rules.claim(&mut engine, ME, Claim::Spore(SporeId(999))),
        Err(ClaimError::TooFast)
    );
    engine.take_events();
    // One second of world time earns ten claims.
    let mut world =
        mmo_world::World::new(RadiusRumble::new(10), mmo_world::WorldConfig::default(), 1);
    world
        .enter(ME, entry(Decider::ClientClaims, 0), false)
        .unwrap();
    let start = std::time::Instant::now();
    for _ in 0..burst + 1 {
        let _ = world.claim(ME, Claim::Spore(SporeId(999_999)));
    }
    for n in 0..=20 {
        world.tick(start + std::time::Duration::from_millis(50 * n));
    }
    let allowed = (0..20)
        .filter(|_| world.claim(ME, Claim::Spore(SporeId(999_999))) != Err(ClaimError::TooFast))
        .count();
    assert_eq!(allowed, 10);
}

/// Steps until `player` drops a spore; returns it.
fn force_drop(engine: &mut Engine, rules: &mut RadiusRumble, player: PlayerId) -> SporeId {
    engine.set_radius(EntityKey::Player(player), 500.0);
    engine.take_events();
    for _ in 0..10_000 {
        step(engine, rules, 0.05);
        for event in engine.take_events() {
            if let Event::SporeSpawned {
                spore,
                dropped_by: Some(by),
            } = event
            {
                assert_eq!(by, player);
                return spore;
            }
        }
    }
    panic!("no drop in 10,000 ticks at r = 500");
}

#[test]
fn drops_shrink_the_dropper_and_are_not_eaten_by_it_at_once() {
    let (mut engine, mut rules) = empty();
    join(
        &mut engine,
        &mut rules,
        ME,
        Decider::ClientClaims,
        Vec2::new(0.0, 0.0),
    );
    let dropped = force_drop(&mut engine, &mut rules, ME);
    let food = engine.get(EntityKey::Spore(dropped)).unwrap().radius;
    assert_eq!(food, drop_radius(500.0));
    assert_eq!(food, 15.0);
    assert!(close(
        player(&engine, ME).1,
        (500f64 * 500.0 - 225.0).sqrt()
    ));
    assert_eq!(
        rules.claim(&mut engine, ME, Claim::Spore(dropped)),
        Err(ClaimError::OwnDrop)
    );
    // The cooldown is (r_s + r_p + 10) / 150 seconds: about 3.5 s here.
    step(&mut engine, &mut rules, 4.0);
    assert_eq!(rules.claim(&mut engine, ME, Claim::Spore(dropped)), Ok(()));

    let (mut engine, mut rules) = empty();
    join(
        &mut engine,
        &mut rules,
        OTHER,
        Decider::Server,
        Vec2::new(0.0, 0.0),
    );
    let dropped = force_drop(&mut engine, &mut rules, OTHER);
    let at = engine.get(EntityKey::Spore(dropped)).unwrap().pos;
    step(&mut engine, &mut rules, 0.0);
    assert!(
        engine.get(EntityKey::Spore(dropped)).is_some(),
        "still underneath"
    );
    engine.set_position(EntityKey::Player(OTHER), Vec2::new(at.x + 5_000.0, at.y));
    step(&mut engine, &mut rules, 0.0);
    engine.set_position(EntityKey::Player(OTHER), at);
    step(&mut engine, &mut rules, 0.0);
    assert!(
        engine.get(EntityKey::Spore(dropped)).is_none(),
        "edible once it moved off"
    );
}

#[test]
fn small_players_never_drop_and_scores_are_round_pi_r_squared() {
    assert_eq!(score_of(20.0), 1_257);
    assert_eq!(score_of(1.0), 3);
    let (mut engine, mut rules) = empty();
    join(
        &mut engine,
        &mut rules,
        ME,
        Decider::Server,
        Vec2::new(0.0, 0.0),
    );
    engine.set_radius(EntityKey::Player(ME), 10.0);
    engine.take_events();
    for _ in 0..2_000 {
        step(&mut engine, &mut rules, 0.05);
    }
    let drops = engine
        .take_events()
        .into_iter()
        .filter(|event| {
            matches!(
                event,
                Event::SporeSpawned {
                    dropped_by: Some(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!(drops, 0);
    assert_eq!(player(&engine, ME).1, 10.0);
    let standing = rules.standing(&engine, ME).unwrap();
    assert_eq!(standing.score, 314);
    assert_eq!(
        standing.best_score, 1_257,
        "the best is kept when shrinking"
    );
}

#[test]
fn players_eat_in_the_order_of_their_ids_whatever_order_they_entered_or_left_in() {
    let (mut engine, mut rules) = empty();
    for id in [10, 4, 7] {
        join(
            &mut engine,
            &mut rules,
            PlayerId(id),
            Decider::Server,
            Vec2::new(0.0, 0.0),
        );
    }
    // Each round two players touch one spore from either side (the others wait far apart):
    // the one with the lower ID eats it, however the rules' table lists them.
    let mut round = 0;
    let mut contest = |engine: &mut Engine, rules: &mut RadiusRumble, pair: [u64; 2]| {
        round += 1;
        for (n, id) in [2, 4, 7, 10].into_iter().enumerate() {
            let parked = Vec2::new(1_000.0 * (n as f64 + 1.0), 2_000.0);
            engine.set_position(EntityKey::Player(PlayerId(id)), parked);
        }
        engine.set_position(EntityKey::Player(PlayerId(pair[0])), Vec2::new(25.0, 0.0));
        engine.set_position(EntityKey::Player(PlayerId(pair[1])), Vec2::new(-25.0, 0.0));
        let food = spore(engine, round, Vec2::new(0.0, 0.0), 10.0);
        engine.take_events();
        step(engine, rules, 0.0);
        let eater = PlayerId(pair[0].min(pair[1]));
        assert!(
            engine
                .take_events()
                .contains(&Event::SporeEaten { spore: food, eater }),
            "round {round}: {eater:?} eats first"
        );
    };
    contest(&mut engine, &mut rules, [10, 7]);
    contest(&mut engine, &mut rules, [4, 10]);
    assert!(rules.leave(&mut engine, PlayerId(4)));
    join(
        &mut engine,
        &mut rules,
        PlayerId(2),
        Decider::Server,
        Vec2::new(0.0, 0.0),
    );
    contest(&mut engine, &mut rules, [7, 2]);
    contest(&mut engine, &mut rules, [10, 7]);
    contest(&mut engine, &mut rules, [2, 10]);
}
