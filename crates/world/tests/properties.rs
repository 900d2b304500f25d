//! Properties: nothing a client sends (any direction, any claim, in any order, between ticks
//! of any length) moves another player, or grows its own player beyond what the rules allow.

#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::sync::Arc;

use mmo_world::radius_rumble::{CLAIM_TOLERANCE, SPEED};
use mmo_world::{
    Appearance, Claim, Decider, Engine, EntityKey, Entry, Event, POSITION_SCALE, PlayerId,
    RadiusRumble, Rules, SporeId, Vec2,
};
use proptest::prelude::*;

const ATTACKER: PlayerId = PlayerId(1);

#[derive(Clone, Debug)]
enum Input {
    Steer(f64),
    EatSpore(u64),
    EatPlayer(u64),
    Tick(f64),
}

fn direction() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        -10.0..10.0f64,
    ]
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        direction().prop_map(Input::Steer),
        // Spore IDs: the world's first ones (near or far), and nonsense.
        prop_oneof![1..40u64, Just(0u64), Just(u64::MAX)].prop_map(Input::EatSpore),
        prop_oneof![0..8u64, Just(u64::MAX)].prop_map(Input::EatPlayer),
        prop_oneof![0.0..0.3f64, Just(0.0)].prop_map(Input::Tick),
    ]
}

fn entry(decider: Decider) -> Entry {
    Entry {
        appearance: Arc::new(Appearance {
            name: "p".into(),
            color: 0,
        }),
        best_score: 0,
        decider,
    }
}

/// The attacker (a tutorial-level client, which may claim) among four players that never
/// steer, near the first spores of the world.
fn world(seed: u64) -> (Engine, RadiusRumble) {
    let mut engine = Engine::new(seed);
    let mut rules = RadiusRumble::new(100);
    rules.populate(&mut engine);
    let near = engine
        .get(EntityKey::Spore(SporeId(1)))
        .map(|spore| spore.pos)
        .unwrap();
    rules
        .enter(&mut engine, ATTACKER, entry(Decider::ClientClaims))
        .unwrap();
    engine.set_position(EntityKey::Player(ATTACKER), near);
    for n in 2..=5 {
        rules
            .enter(&mut engine, PlayerId(n), entry(Decider::ClientClaims))
            .unwrap();
        let offset = Vec2::new(near.x + 15.0 + 15.0 * n as f64, near.y);
        engine.set_position(EntityKey::Player(PlayerId(n)), offset);
    }
    (engine, rules)
}

fn state(engine: &Engine, id: PlayerId) -> (Vec2, f64) {
    let entity = engine.get(EntityKey::Player(id)).unwrap();
    (entity.pos, entity.radius)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn no_input_moves_another_player_or_grows_one_beyond_the_rules(
        seed in 0..1_000u64,
        inputs in proptest::collection::vec(input(), 1..60),
    ) {
        let (mut engine, mut rules) = world(seed);
        engine.take_events();
        for input in inputs {
            let before: Vec<_> = (1..=5).map(|n| state(&engine, PlayerId(n))).collect();
            // Where every spore and player was, to judge each eat by the positions it was
            // judged on.
            let was: std::collections::HashMap<EntityKey, (Vec2, f64)> =
                engine.entities().map(|e| (e.key, (e.pos, e.radius))).collect();
            let dt = match input {
                Input::Steer(direction) => {
                    let _ = rules.steer(&mut engine, ATTACKER, direction);
                    0.0
                }
                Input::EatSpore(id) => {
                    let _ = rules.claim(&mut engine, ATTACKER, Claim::Spore(SporeId(id)));
                    0.0
                }
                Input::EatPlayer(id) => {
                    let _ = rules.claim(&mut engine, ATTACKER, Claim::Player(PlayerId(id)));
                    0.0
                }
                Input::Tick(dt) => {
                    engine.begin_tick(dt);
                    rules.step(&mut engine, dt);
                    dt
                }
            };
            let events = engine.take_events();
            let (pos, radius) = before[0];
            let (pos_after, radius_after) = state(&engine, ATTACKER);
            prop_assert!(pos_after.is_finite() && radius_after.is_finite() && radius_after > 0.0);
            // It moves at most at its speed, each axis rounded to whole position units.
            let rounding = std::f64::consts::SQRT_2 * 0.5 / f64::from(POSITION_SCALE);
            let step = SPEED * dt + rounding + 1e-6;
            prop_assert!(pos.distance_squared(pos_after) <= step * step);
            // Its mass changes only by what it ate (each within reach and smaller by the
            // rules) and what it dropped.
            let mut mass = radius * radius;
            for event in &events {
                match *event {
                    Event::SporeEaten { spore, eater } => {
                        prop_assert_eq!(eater, ATTACKER);
                        let (at, food) = was[&EntityKey::Spore(spore)];
                        let reach = radius + food + CLAIM_TOLERANCE;
                        prop_assert!(at.distance_squared(pos) <= reach * reach);
                        mass += food * food;
                    }
                    Event::PlayerEaten { victim, eater } => {
                        prop_assert_eq!(eater, ATTACKER);
                        prop_assert_ne!(victim, ATTACKER);
                        let (at, food) = was[&EntityKey::Player(victim)];
                        let reach = radius + food + CLAIM_TOLERANCE;
                        prop_assert!(at.distance_squared(pos) <= reach * reach);
                        prop_assert!(radius * radius > 1.5 * food * food);
                        mass += food * food;
                    }
                    Event::SporeSpawned { spore, dropped_by: Some(ATTACKER) } => {
                        let food = engine.get(EntityKey::Spore(spore)).map_or(0.0, |s| s.radius);
                        mass -= food * food;
                    }
                    _ => {}
                }
            }
            prop_assert!((radius_after * radius_after - mass).abs() < 1e-6 * mass.max(1.0));
            // Nobody else moves or grows (it may drop a spore), unless the attacker ate it (it
            // respawns).
            for n in 2..=5 {
                let id = PlayerId(n);
                let eaten = events
                    .iter()
                    .any(|e| matches!(e, Event::PlayerEaten { victim, .. } if *victim == id));
                if !eaten {
                    let (pos_now, radius_now) = state(&engine, id);
                    let (pos_then, radius_then) = before[n as usize - 1];
                    prop_assert_eq!(pos_now, pos_then);
                    prop_assert!(radius_now <= radius_then);
                }
            }
        }
    }
}
