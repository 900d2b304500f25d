//! `cargo run --release -p mmo-world --example grid_bench [-- PLAYERS BIG ROUNDS SEED]`:
//! times the spatial grid alone, as a tick of a Radius Rumble world uses it, on one thread:
//! PLAYERS (default 2,000) players and 300 spores in the tutorial's spawn box, BIG (default 25)
//! of them wider than `BIG_RADIUS`; each round every one moves a step (as a tick does), the
//! grid is tightened, each player's eat check queries a box around it, and 517 views (a
//! full scan's share of a tick) query their area. Reports the fastest round's cost per tick and
//! how many items a view's query hands its caller against how many touch its box: the grid's
//! own cost, without the noise of the rest of the tick (see `world_bench` for that).

use std::time::Instant;

use mmo_world::Vec2;
use mmo_world::engine::CELL_SIZE;
use mmo_world::grid::{BIG_RADIUS, Grid};
use mmo_world::rng::Rng;

/// A view scan's box: the view (1,600 × 900) grown by what a scan announces and keeps.
const SCAN_HALF: Vec2 = Vec2::new(800.0 + 160.0, 450.0 + 160.0);

/// The views scanned per tick with 2,000 observers (each every 4th tick).
const SCANS_PER_TICK: usize = 517;

struct Entity {
    pos: Vec2,
    radius: f64,
    heading: f64,
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|arg| arg.parse().ok())
        .collect();
    let players = usize::try_from(args.first().copied().unwrap_or(2_000)).unwrap_or(2_000);
    let big = usize::try_from(args.get(1).copied().unwrap_or(25)).unwrap_or(25);
    let rounds = args.get(2).copied().unwrap_or(20);
    let seed = args.get(3).copied().unwrap_or(1);
    let mut rng = Rng::new(seed);
    let mut entities = Vec::new();
    for n in 0..players + 300 {
        let radius = if n < big {
            BIG_RADIUS + rng.unit().powi(3) * 1_200.0
        } else if n < players {
            // Most players are small; some have eaten.
            if rng.chance(0.8) {
                rng.range(20.0, 40.0)
            } else {
                rng.range(40.0, BIG_RADIUS)
            }
        } else {
            10.0
        };
        entities.push(Entity {
            pos: Vec2::new(rng.range(-3_000.0, 3_000.0), rng.range(-3_000.0, 3_000.0)),
            radius,
            heading: rng.range(0.0, std::f64::consts::TAU),
        });
    }
    let mut grid = Grid::new(CELL_SIZE);
    for (slot, entity) in (0u32..).zip(&entities) {
        grid.insert(slot, entity.pos, entity.radius);
    }
    let mut marks = vec![0u8; entities.len()];
    let (mut best_eat, mut best_scan) = (f64::MAX, f64::MAX);
    let (mut visits, mut touching) = (0usize, 0usize);
    for _ in 0..rounds {
        // A tick's moves (150 units/s at 20 ticks/s), then the grid is tightened.
        for (slot, entity) in (0u32..).zip(entities.iter_mut()).take(players) {
            entity.pos = entity.pos.add_scaled(Vec2::from_angle(entity.heading), 7.5);
            if entity.pos.x.abs() > 3_000.0 || entity.pos.y.abs() > 3_000.0 {
                entity.heading += std::f64::consts::PI;
            }
            grid.update(slot, entity.pos, entity.radius);
        }
        let largest = entities
            .iter()
            .map(|entity| entity.radius)
            .filter(|&radius| radius <= BIG_RADIUS)
            .fold(0.0, f64::max);
        grid.tighten_reach(largest);
        // Every player's eat check, as `Engine::for_each_touching`.
        let began = Instant::now();
        let mut eaten = 0usize;
        for entity in entities.iter().take(players) {
            let (center, radius) = (entity.pos, entity.radius);
            let min = Vec2::new(center.x - radius, center.y - radius);
            let max = Vec2::new(center.x + radius, center.y + radius);
            grid.query(min, max, |item| {
                let limit = radius + item.radius;
                if item.pos.distance_squared(center) <= limit * limit {
                    eaten += 1;
                }
            });
        }
        best_eat = best_eat.min(began.elapsed().as_secs_f64());
        std::hint::black_box(eaten);
        // A tick's share of view scans, each marking what it sees, as `update_view`.
        let began = Instant::now();
        (visits, touching) = (0, 0);
        for view in entities.iter().take(SCANS_PER_TICK) {
            let center = view.pos;
            let min = Vec2::new(center.x - SCAN_HALF.x, center.y - SCAN_HALF.y);
            let max = Vec2::new(center.x + SCAN_HALF.x, center.y + SCAN_HALF.y);
            grid.query(min, max, |item| {
                visits += 1;
                let dx = ((item.pos.x - center.x).abs() - SCAN_HALF.x).max(0.0);
                let dy = ((item.pos.y - center.y).abs() - SCAN_HALF.y).max(0.0);
                if dx * dx + dy * dy <= item.radius * item.radius {
                    let mark = &mut marks[item.slot as usize];
                    *mark = mark.wrapping_add(1);
                    touching += 1;
                }
            });
        }
        best_scan = best_scan.min(began.elapsed().as_secs_f64());
    }
    println!(
        "grid: {players} players ({big} big) and 300 spores, {rounds} rounds, seed {seed}; \
         fastest round"
    );
    println!(
        "eat checks: {:.3} ms per tick ({:.0} ns each)",
        best_eat * 1e3,
        best_eat * 1e9 / players as f64
    );
    println!(
        "view scans: {:.3} ms per tick ({:.0} ns each); items handed per scan {:.1}, touching \
         {:.1}",
        best_scan * 1e3,
        best_scan * 1e9 / SCANS_PER_TICK as f64,
        visits as f64 / SCANS_PER_TICK as f64,
        touching as f64 / SCANS_PER_TICK as f64
    );
}
