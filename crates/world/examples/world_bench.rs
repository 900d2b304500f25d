//! `cargo run --release -p mmo-world --example world_bench [-- PLAYERS TICKS SEED OBSERVERS
//! VIEW_THREADS EVICT_MB EXTRAPOLATE]` (EXTRAPOLATE 1: the observers' updates are
//! extrapolated, velocity changes instead of moves):
//! ticks one
//! Radius Rumble world of PLAYERS steering bots (default 2,000; the first OBSERVERS of them,
//! default all, get views as this project's clients do) at 20 ticks/s of simulated
//! time and reports the tick's work (simulation and interest management), the encoding's, and
//! the bytes each client would receive with this project's encoding. Engine only: no server,
//! no sockets.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mmo_world::rng::Rng;
use mmo_world::wire::write_update_packet;
use mmo_world::{
    Appearance, Decider, EntityKey, Entry, PlayerId, RadiusRumble, Vec2, World, WorldConfig,
};

/// A bot heads for a random point of the spawn box and picks another when it gets there.
struct Bot {
    id: PlayerId,
    target: Vec2,
    heading: f64,
}

/// This thread's CPU time in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`, exact to the
/// nanosecond: the kernel brings the thread's run time up to date when it is read), or `None`
/// where the clock is missing: on a shared machine wall time measures the neighbours as much
/// as the tick.
fn thread_cpu_ns() -> Option<u64> {
    cpu_ns(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// The whole process's CPU time in nanoseconds (every thread's: the views' threads too).
fn process_cpu_ns() -> Option<u64> {
    cpu_ns(libc::CLOCK_PROCESS_CPUTIME_ID)
}

#[allow(unsafe_code)]
fn cpu_ns(clock: libc::clockid_t) -> Option<u64> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec for the duration of the call.
    if unsafe { libc::clock_gettime(clock, &raw mut now) } != 0 {
        return None;
    }
    let seconds = u64::try_from(now.tv_sec).ok()?;
    let nanos = u64::try_from(now.tv_nsec).ok()?;
    Some(seconds * 1_000_000_000 + nanos)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let last = sorted.len() - 1;
    // The nearest rank: the first index whose share of the values reaches p.
    let rank = (0..=last)
        .find(|&index| index as f64 >= last as f64 * p)
        .unwrap_or(last);
    sorted[rank]
}

/// The WebSocket frame header a server adds to a binary message of `len` bytes.
fn frame_header(len: usize) -> usize {
    match len {
        0..=125 => 2,
        126..=65_535 => 4,
        _ => 10,
    }
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|arg| arg.parse().ok())
        .collect();
    let players = args.first().copied().unwrap_or(2_000);
    let ticks = args.get(1).copied().unwrap_or(600);
    let seed = args.get(2).copied().unwrap_or(1);
    let observers = args.get(3).copied().unwrap_or(players);
    let view_threads = args
        .get(4)
        .and_then(|&threads| usize::try_from(threads).ok())
        .unwrap_or(1);
    // Megabytes each of two threads writes before every tick (default none): in the server
    // the sessions' writers and the clients run between two ticks and leave the caches cold,
    // which ticks run back to back never see.
    let evict_bytes = args
        .get(5)
        .and_then(|&megabytes| usize::try_from(megabytes).ok())
        .unwrap_or(0)
        << 20;
    let mut evict_buffers = [vec![0u8; evict_bytes], vec![0u8; evict_bytes]];
    let extrapolate = args.get(6).is_some_and(|&on| on != 0);
    let config = WorldConfig {
        view_threads,
        // Bots without views stand for the tutorial's clients here: no limit on them.
        max_told_everything: usize::MAX,
        ..WorldConfig::default()
    };
    let period = Duration::from_secs(1) / config.tick_rate;
    let mut world = World::new(RadiusRumble::new(100_000), config, seed);
    let mut rng = Rng::new(seed ^ 0xB07);
    let mut bots = Vec::new();
    for n in 1..=players {
        let id = PlayerId(n);
        let entry = Entry {
            appearance: Arc::new(Appearance {
                name: format!("bot{n}").into(),
                color: i32::from_ne_bytes(u32::to_ne_bytes(
                    0xFF00_00FF | (u32::try_from(n % 0xFFFF).unwrap_or(0) << 8),
                )),
            }),
            best_score: 0,
            decider: Decider::Server,
        };
        if world.enter(id, entry, n <= observers).is_ok() {
            world.set_extrapolating(id, extrapolate);
            bots.push(Bot {
                id,
                target: Vec2::new(rng.range(-3000.0, 3000.0), rng.range(-3000.0, 3000.0)),
                heading: f64::NAN,
            });
        }
    }
    let start = Instant::now();
    let warmup = 40;
    let mut tick_ms = Vec::new();
    let mut step_ms = Vec::new();
    // Tick work of the ticks that did not refresh the leaderboard, and of those that did.
    let mut board_ticks = [Vec::new(), Vec::new()];
    let mut encode_ms = Vec::new();
    let mut tick_cpu_ms = Vec::new();
    let mut tick_process_ms = Vec::new();
    let mut encode_cpu_ms = Vec::new();
    let mut bytes_total = 0usize;
    let mut client_ticks = 0usize;
    let mut per_client_tick = Vec::new();
    let mut in_view_total = 0usize;
    let mut messages = 0usize;
    let mut scans = 0usize;
    // Moves, entries, leaves and eats over all views.
    let mut counts = [0usize; 4];
    for tick in 0..ticks {
        for bot in &mut bots {
            let Some(me) = world.engine().get(EntityKey::Player(bot.id)) else {
                continue;
            };
            let pos = me.pos;
            if pos.distance_squared(bot.target) < 100.0 * 100.0 {
                bot.target = Vec2::new(rng.range(-3000.0, 3000.0), rng.range(-3000.0, 3000.0));
            }
            let want = (bot.target.y - pos.y).atan2(bot.target.x - pos.x);
            // As the tutorial's client: steer only when off by more than 24 degrees.
            let off = (want - bot.heading).rem_euclid(std::f64::consts::TAU);
            if bot.heading.is_nan()
                || off.min(std::f64::consts::TAU - off) > std::f64::consts::TAU / 15.0
            {
                bot.heading = want;
                let _ = world.steer(bot.id, want);
            }
        }
        if evict_bytes > 0 {
            std::thread::scope(|scope| {
                for buffer in &mut evict_buffers {
                    scope.spawn(move || {
                        for (index, byte) in buffer.iter_mut().enumerate().step_by(64) {
                            *byte = byte.wrapping_add(u8::try_from(index & 0x7F).unwrap_or(0));
                        }
                        std::hint::black_box(&buffer);
                    });
                }
            });
        }
        let now = start + period * u32::try_from(tick + 1).unwrap_or(u32::MAX);
        let cpu_before = thread_cpu_ns();
        let process_before = process_cpu_ns();
        // As the server ticks: each update encoded and handed over on the thread that
        // brought its view up to date.
        let chunk_sizes = std::sync::Mutex::new(Vec::with_capacity(bots.len()));
        let began = Instant::now();
        let stepped = world.step(now);
        let step_took = began.elapsed();
        let report = stepped.deliver(
            &|len, out| out.resize(out.len() + frame_header(len), 0),
            &|chunk| {
                let sizes = chunk.frames.iter().map(|(_, frame)| frame.len());
                chunk_sizes
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend(sizes);
            },
        );
        let ticked = began.elapsed();
        let mut sizes = chunk_sizes
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bytes_this_tick: usize = sizes.iter().sum();
        let process_ticked = process_before
            .zip(process_cpu_ns())
            .map(|(before, after)| after.saturating_sub(before));
        let cpu_ticked = cpu_before
            .zip(thread_cpu_ns())
            .map(|(before, after)| after.saturating_sub(before));
        // The encoding alone, again, on this thread: what it costs apart from the views.
        let began = Instant::now();
        let mut buffer = Vec::with_capacity(4_096);
        let cpu_before = thread_cpu_ns();
        for (_, update) in world.updates() {
            buffer.clear();
            write_update_packet(update, &mut buffer);
            std::hint::black_box(&buffer);
        }
        let encoded = began.elapsed();
        let cpu_encoded = cpu_before
            .zip(thread_cpu_ns())
            .map(|(before, after)| after.saturating_sub(before));
        if tick >= warmup {
            for (_, update) in world.updates() {
                let delta = update.delta;
                counts[0] += update.moves.len();
                counts[1] += update.entrants.len();
                counts[2] += delta.players_left.len() + delta.spores_left.len();
                counts[3] += delta.eaten.len();
            }
        }
        if tick < warmup {
            continue;
        }
        scans += report.scans;
        messages += sizes.len();
        sizes.resize(bots.len(), 0);
        per_client_tick.extend(sizes.iter().map(|&size| size as f64));
        tick_ms.push(ticked.as_secs_f64() * 1e3);
        // The leaderboard is refreshed (and sent to every view that has not seen it) on the
        // first tick of each `leaderboard_every`.
        let refreshed = report.tick % config.leaderboard_every.max(1) == 1;
        board_ticks[usize::from(refreshed)].push(ticked.as_secs_f64() * 1e3);
        step_ms.push(step_took.as_secs_f64() * 1e3);
        if let Some(ns) = cpu_ticked {
            tick_cpu_ms.push(ns as f64 / 1e6);
        }
        if let Some(ns) = process_ticked {
            tick_process_ms.push(ns as f64 / 1e6);
        }
        if let Some(ns) = cpu_encoded {
            encode_cpu_ms.push(ns as f64 / 1e6);
        }
        encode_ms.push(encoded.as_secs_f64() * 1e3);
        bytes_total += bytes_this_tick;
        client_ticks += bots.len();
        in_view_total += bots
            .iter()
            .filter_map(|bot| world.in_view(bot.id))
            .sum::<usize>();
    }
    let sort = |values: &mut Vec<f64>| values.sort_by(f64::total_cmp);
    sort(&mut tick_ms);
    sort(&mut step_ms);
    sort(&mut encode_ms);
    sort(&mut tick_cpu_ms);
    sort(&mut tick_process_ms);
    sort(&mut encode_cpu_ms);
    sort(&mut per_client_tick);
    let measured = tick_ms.len().max(1);
    let per_tick = bytes_total as f64 / client_ticks.max(1) as f64;
    println!(
        "world engine: {players} bots ({observers} with views), {measured} ticks measured after {warmup} warm-up ticks, seed {seed}"
    );
    println!(
        "tick work (simulation, interest, encoding: as the server ticks) ms: p50 {:.3}  p99 {:.3}  max {:.3}",
        percentile(&tick_ms, 0.5),
        percentile(&tick_ms, 0.99),
        tick_ms.last().copied().unwrap_or(0.0)
    );
    println!(
        "of which the rules' step (before the views) ms: mean {:.3}  p50 {:.3}  p99 {:.3}",
        step_ms.iter().sum::<f64>() / step_ms.len().max(1) as f64,
        percentile(&step_ms, 0.5),
        percentile(&step_ms, 0.99)
    );
    let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len().max(1) as f64;
    println!(
        "tick work mean, ticks that refreshed the leaderboard {:.3} ms, the others {:.3} ms",
        mean(&board_ticks[1]),
        mean(&board_ticks[0])
    );
    let mean_cpu = tick_cpu_ms.iter().sum::<f64>() / tick_cpu_ms.len().max(1) as f64;
    println!(
        "tick work, CPU time of the ticking thread, ms: mean {mean_cpu:.3}  p50 {:.3}  p99 {:.3}  max {:.3}",
        percentile(&tick_cpu_ms, 0.5),
        percentile(&tick_cpu_ms, 0.99),
        tick_cpu_ms.last().copied().unwrap_or(0.0)
    );
    let mean_process = tick_process_ms.iter().sum::<f64>() / tick_process_ms.len().max(1) as f64;
    println!(
        "tick work, CPU time of the process (all {view_threads} view threads), ms: mean {mean_process:.3}  p50 {:.3}  p99 {:.3}",
        percentile(&tick_process_ms, 0.5),
        percentile(&tick_process_ms, 0.99)
    );
    println!(
        "encoding all updates ms/tick: wall p50 {:.3}  p99 {:.3}; CPU p50 {:.3}  p99 {:.3}",
        percentile(&encode_ms, 0.5),
        percentile(&encode_ms, 0.99),
        percentile(&encode_cpu_ms, 0.5),
        percentile(&encode_cpu_ms, 0.99)
    );
    println!(
        "bytes per client per tick (framed): mean {:.1}  p50 {:.0}  p99 {:.0}  => {:.2} KB/s per client at {} ticks/s",
        per_tick,
        percentile(&per_client_tick, 0.5),
        percentile(&per_client_tick, 0.99),
        per_tick * f64::from(config.tick_rate) / 1000.0,
        config.tick_rate
    );
    let per_view = |count: usize| count as f64 / client_ticks.max(1) as f64;
    println!(
        "per view per tick: moves {:.1}  entries {:.2}  leaves {:.2}  eats {:.2}",
        per_view(counts[0]),
        per_view(counts[1]),
        per_view(counts[2]),
        per_view(counts[3])
    );
    println!(
        "entities in view per client: mean {:.1}; views scanned per tick {:.0}; messages per client per tick {:.3}; players {} spores {}",
        in_view_total as f64 / client_ticks.max(1) as f64,
        scans as f64 / measured as f64,
        messages as f64 / client_ticks.max(1) as f64,
        world.engine().player_count(),
        world.engine().spore_count()
    );
}
