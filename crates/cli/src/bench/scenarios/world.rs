//! `mmo bench world`: bot players in the game world (issue 21). This project's bots join a
//! room, enter its world (`EnterWorldMessage`), keep their view from the `WorldUpdateMessage`s
//! and steer (`PlayerDirectionMessage`) towards the nearest spore or smaller player they see;
//! `--tutorial` bots speak only fields 1–19 as the tutorial's client does (steer, claim the
//! spores they reach, read every `PlayerMessage`). Only `--observe` of this project's bots do
//! that full work (a decode, a view and a nearest-target search per update); the others read
//! every update but scan only its tick and their own position (`world_scan`) and wander
//! towards random points, so that one bench thread keeps up with thousands of players.
//! Reports updates and bytes per client per second, the gaps between updates, how late each
//! update came against the world's tick schedule, the server's CPU, and from its `/metrics`
//! the ticks it ran, started late, and their work.

use std::cell::RefCell;
use std::collections::HashMap;
use std::f64::consts::TAU;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use mmo_protocol::packets::{
    EnterWorldMessage, PlayerDirectionMessage, SporeConsumedMessage, SporeMessage,
    WorldUpdateMessage,
};
use mmo_protocol::{
    JoinRoomMessage, LoginRequestMessage, Msg, Packet, RegisterRequestMessage, decode_packet,
};
use serde_json::json;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use super::args::{account_prefix, duration_arg};
use super::report::{ServerSpan, emit_json, seconds};
use super::server_metrics::{self, WorldDelta};
use super::world_scan::{Scanned, scan_packet, scan_update};
use crate::bench::histogram::Latencies;
use crate::bench::parent::{BenchError, ServerProbe};
use crate::bench::wire::Tally;
use crate::bench::{CommonArgs, micros};
use crate::ws::{self, ServerUrl, Ws};

/// The password of every bench account: within the server's documented length range.
const BENCH_PASSWORD: &str = "bench-password-1";

/// Longest account-name prefix: the server allows 20 characters, and '-' and the bot's number
/// (up to 6 digits) follow.
const MAX_PREFIX_CHARS: usize = 13;

/// Most bots one run starts: 20,000 open files per process, less the runtime's own.
const MAX_PLAYERS: u64 = 19_000;

/// A bot steers again only when its wanted direction is this far off its heading (radians):
/// the tutorial's client does the same (TAU/15, 24°), which keeps input near a real player's.
const STEER_THRESHOLD: f64 = TAU / 15.0;

/// A bot of this project looks for a new target on every this many updates (5 a second at 20
/// ticks/s): a person does not re-aim 20 times a second, and the search over its view is most
/// of a bot's work, which must stay well under what the server does for it.
const RETARGET_EVERY_UPDATES: u64 = 4;

/// A wandering bot picks a new point to head for every this long (plus up to as much again,
/// so that bots do not turn together): a person steers now and then, not every tick.
const WANDER_TURN_EVERY: Duration = Duration::from_secs(3);

/// Wandering bots head for random points within this many world units of the centre on each
/// axis: the rules' spawn box (`SPAWN_HALF_BOX` of crates/world's Radius Rumble), where the
/// spores are.
const WANDER_HALF_BOX: f64 = 3_000.0;

/// How much heavier than a player a bot must be to chase it (the world's eating rule).
const EAT_MASS_RATIO: f64 = 1.5;

/// A tutorial-level bot claims a spore this far beyond touching it (the server accepts claims
/// up to r₁ + r₂ + 10, as the tutorial's did).
const CLAIM_SLACK: f64 = 5.0;

/// `mmo bench world`.
#[derive(Debug, clap::Args)]
pub struct WorldArgs {
    /// Bot players.
    #[arg(long, default_value_t = 2_000)]
    players: u64,
    /// Worlds (rooms) to spread them over, evenly: with 1, the lobby's world; with more, the
    /// rooms PREFIX-0, PREFIX-1, … (the server's `--max-room-members` must allow the share).
    #[arg(long, default_value_t = 1)]
    worlds: u32,
    /// The rooms' name prefix when --worlds is more than 1.
    #[arg(long, default_value = "world")]
    room_prefix: String,
    /// Seconds measured, after every bot has entered and the warm-up.
    #[arg(long, value_name = "SECONDS", default_value_t = 20.0)]
    duration: f64,
    /// Seconds played before measuring (views fill, first updates are whole views).
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    warmup: f64,
    /// Register accounts and log in as them (needs a server with accounts); default: play as
    /// guests.
    #[arg(long)]
    login: bool,
    /// Account names are PREFIX-0, PREFIX-1, …; default: a new prefix from the clock.
    #[arg(long, value_name = "PREFIX")]
    prefix: Option<String>,
    /// Speak only fields 1–19, as the tutorial's client: register and log in (its client's
    /// only way into the world, so this implies --login), then steer and claim spores; no
    /// room, no `EnterWorldMessage`.
    #[arg(long)]
    tutorial: bool,
    /// Seconds allowed for any one answer while connecting and entering.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    timeout: f64,
    /// This project's bots that decode every update into a full view and steer towards what
    /// they may eat (the first ones, so spread over the worlds); the others read every update
    /// but scan only its tick and their own position, and head for a random point that
    /// changes every few seconds: cheap enough that the bench reads every update.
    #[arg(long, value_name = "BOTS", default_value_t = 100)]
    observe: u64,
    /// Where the server answers `GET /metrics` (HOST:PORT), read before and after measuring
    /// for its ticks, late ticks and tick work; default: the WebSocket URL's host and port
    /// (give the server's `--metrics-addr` when it has one).
    #[arg(long, value_name = "HOST:PORT")]
    metrics_addr: Option<String>,
}

/// What every bot adds to, while measuring.
#[derive(Default)]
struct Stats {
    measuring: bool,
    /// Updates (`WorldUpdateMessage`, or `PlayerMessage` for tutorial bots) received.
    updates: u64,
    /// Bytes received: WebSocket payloads and their frame headers.
    bytes: u64,
    /// Time between one update and the next at the same bot (ours), or between two of its own
    /// `PlayerMessage`s (tutorial).
    gaps: Latencies,
    /// Ticks an update skipped (its tick number minus the previous one's, minus one).
    skipped_ticks: u64,
    /// Per world: each update's arrival minus its tick's place on the schedule, in ns (every
    /// bot's).
    offsets: HashMap<usize, Vec<i64>>,
    /// The same, of the `--observe` bots only (those doing a full client's work).
    observed_offsets: HashMap<usize, Vec<i64>>,
    /// Updates the `--observe` bots received.
    observed_updates: u64,
    observers_entered: u64,
    directions_sent: u64,
    claims_sent: u64,
    /// Eats in the bots' views (ours) or relayed claims (tutorial).
    eats_seen: u64,
    /// Connections that ended while measuring, by reason.
    ended: Tally,
    /// Connections that ended before measuring, by reason.
    failed_early: Tally,
    /// Refusals to enter (or log in), by reason.
    refused: Tally,
    entered: u64,
    /// Largest score a bot reached.
    best_score: u64,
    /// Players in the world per the tutorial bots' own count, to judge delivery.
    players_seen: u64,
    bots_reporting: u64,
}

type Shared = Rc<RefCell<Stats>>;

/// Why a bot stopped.
struct Stop(String);

/// The WebSocket frame header a server adds to a binary message of `len` bytes.
fn frame_header(len: usize) -> u64 {
    match len {
        0..=125 => 2,
        126..=65_535 => 4,
        _ => 10,
    }
}

/// Reads the next packet, with its size on the wire.
async fn next_packet(ws: &mut Ws) -> Result<(Msg, u64, u64), Stop> {
    loop {
        let bytes = match ws.next().await {
            None => return Err(Stop("connection ended".to_owned())),
            Some(Err(error)) => return Err(Stop(ws::describe_error(&error))),
            Some(Ok(Message::Binary(bytes))) => bytes,
            Some(Ok(Message::Close(frame))) => {
                return Err(Stop(format!(
                    "closed: {}",
                    ws::describe_close(frame.as_ref())
                )));
            }
            Some(Ok(_)) => continue,
        };
        let size = bytes.len() as u64 + frame_header(bytes.len());
        match decode_packet(&bytes) {
            Ok(Packet {
                msg: Some(msg),
                sender_id,
            }) => return Ok((msg, size, sender_id)),
            _ => return Err(Stop("undecodable packet".to_owned())),
        }
    }
}

/// Reads until a packet `wanted` accepts, within `limit`.
async fn wait_for(ws: &mut Ws, limit: Duration, wanted: fn(&Msg) -> bool) -> Result<Msg, Stop> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let (msg, _, _) = tokio::time::timeout_at(deadline, next_packet(ws))
            .await
            .map_err(|_| Stop("no answer in time".to_owned()))??;
        if wanted(&msg) {
            return Ok(msg);
        }
    }
}

/// Sends `msg` and, while measuring, counts it in the counter `count` picks.
async fn send_counted(
    ws: &mut Ws,
    msg: Msg,
    stats: &Shared,
    count: impl FnOnce(&mut Stats) -> &mut u64,
) -> Result<(), Stop> {
    send(ws, msg).await?;
    let mut stats = stats.borrow_mut();
    if stats.measuring {
        *count(&mut stats) += 1;
    }
    Ok(())
}

async fn send(ws: &mut Ws, msg: Msg) -> Result<(), Stop> {
    ws.send(ws::packet_message(&Packet {
        sender_id: 0,
        msg: Some(msg),
    }))
    .await
    .map_err(|error| Stop(ws::describe_error(&error)))
}

fn is_answer(msg: &Msg) -> bool {
    matches!(msg, Msg::OkResponse(_) | Msg::DenyResponse(_))
}

/// Registers (an existing account is fine: a rerun with the same --prefix) and logs in.
async fn log_in(ws: &mut Ws, name: &str, limit: Duration) -> Result<(), Stop> {
    send(
        ws,
        Msg::RegisterRequest(RegisterRequestMessage {
            username: name.to_owned(),
            password: BENCH_PASSWORD.to_owned(),
            color: 0,
        }),
    )
    .await?;
    wait_for(ws, limit, is_answer).await?;
    send(
        ws,
        Msg::LoginRequest(LoginRequestMessage {
            username: name.to_owned(),
            password: BENCH_PASSWORD.to_owned(),
        }),
    )
    .await?;
    match wait_for(ws, limit, is_answer).await? {
        Msg::DenyResponse(deny) => Err(Stop(format!("login refused: {}", deny.reason))),
        _ => Ok(()),
    }
}

/// Where a bot is and what it heads for.
struct Steering {
    heading: f64,
}

impl Steering {
    /// The direction to send, when the wanted one is far enough off the heading.
    fn steer(&mut self, from: (f64, f64), to: Option<(f64, f64)>) -> Option<f64> {
        let want = match to {
            Some(to) => (to.1 - from.1).atan2(to.0 - from.0),
            // Nothing in sight: keep going (the first time, any way).
            None if self.heading.is_nan() => 0.0,
            None => return None,
        };
        let off = (want - self.heading).rem_euclid(TAU);
        if self.heading.is_nan() || off.min(TAU - off) > STEER_THRESHOLD {
            self.heading = want;
            return Some(want);
        }
        None
    }
}

/// This project's bot's view, in wire units.
#[derive(Default)]
struct View {
    players: HashMap<u64, (i64, i64, u64)>,
    spores: HashMap<u64, (i64, i64, u64)>,
}

impl View {
    fn apply(&mut self, update: &WorldUpdateMessage) -> u64 {
        for id in &update.players_left {
            self.players.remove(id);
        }
        for id in &update.spores_left {
            self.spores.remove(id);
        }
        for eat in &update.eaten {
            if eat.player_id != 0 {
                self.players.remove(&eat.player_id);
            } else {
                self.spores.remove(&eat.spore_id);
            }
        }
        for player in &update.players_entered {
            self.players.insert(
                player.id,
                (
                    i64::from(player.x),
                    i64::from(player.y),
                    u64::from(player.radius),
                ),
            );
        }
        for spore in &update.spores_entered {
            self.spores.insert(
                spore.id,
                (
                    i64::from(spore.x),
                    i64::from(spore.y),
                    u64::from(spore.radius),
                ),
            );
        }
        let mut id = 0u64;
        for (gap, xy) in update.moved_ids.iter().zip(update.moved_xy.chunks(2)) {
            id = id.wrapping_add(*gap);
            if let (Some(entry), [dx, dy]) = (self.players.get_mut(&id), xy) {
                entry.0 += i64::from(*dx);
                entry.1 += i64::from(*dy);
            }
        }
        let mut id = 0u64;
        for (gap, radius) in update.resized_ids.iter().zip(&update.resized_radii) {
            id = id.wrapping_add(*gap);
            if let Some(entry) = self.players.get_mut(&id) {
                entry.2 = u64::from(*radius);
            }
        }
        update.eaten.len() as u64
    }

    /// The nearest spore, or smaller player the bot could eat, from `me`.
    fn target(&self, me: u64) -> Option<((f64, f64), (f64, f64))> {
        let &(x, y, r) = self.players.get(&me)?;
        let mass = |radius: u64| (radius as f64).powi(2);
        let distance = |(ox, oy): (i64, i64)| ((ox - x) as f64).hypot((oy - y) as f64);
        let spores = self.spores.values().map(|&(sx, sy, _)| (sx, sy));
        let prey = self
            .players
            .iter()
            .filter(|&(&id, &(_, _, pr))| id != me && mass(r) > EAT_MASS_RATIO * mass(pr))
            .map(|(_, &(px, py, _))| (px, py));
        let best = spores
            .chain(prey)
            .min_by(|&a, &b| distance(a).total_cmp(&distance(b)))?;
        Some(((x as f64, y as f64), (best.0 as f64, best.1 as f64)))
    }
}

/// What a bot learns on entering.
struct Entered {
    me: u64,
    period_ns: i64,
    /// Position units per world unit.
    scale: f64,
}

/// Joins `room` and enters its world; `None` when refused (counted).
async fn enter(
    ws: &mut Ws,
    room: String,
    limit: Duration,
    stats: &Shared,
    observer: bool,
) -> Result<Option<Entered>, Stop> {
    send(ws, Msg::JoinRoom(JoinRoomMessage { room })).await?;
    wait_for(ws, limit, |msg| matches!(msg, Msg::Room(_))).await?;
    send(ws, Msg::EnterWorld(EnterWorldMessage {})).await?;
    let entered = wait_for(ws, limit, |msg| {
        matches!(msg, Msg::WorldEntered(_) | Msg::DenyResponse(_))
    })
    .await?;
    match entered {
        Msg::WorldEntered(entered) => {
            let mut stats = stats.borrow_mut();
            stats.entered += 1;
            stats.observers_entered += u64::from(observer);
            Ok(Some(Entered {
                me: entered.player_id,
                period_ns: 1_000_000_000 / i64::from(entered.tick_rate.max(1)),
                scale: f64::from(entered.position_scale.max(1)),
            }))
        }
        Msg::DenyResponse(deny) => {
            stats.borrow_mut().refused.add(&deny.reason, 1);
            Ok(None)
        }
        _ => Err(Stop("unexpected answer".to_owned())),
    }
}

/// Where an update fits in a bot's stream, for the counts every bot adds to.
struct Arrival {
    world: usize,
    observer: bool,
    size: u64,
    at: Instant,
    tick: u32,
    /// The bot's previous update: when, and its tick.
    last: Option<(Instant, u32)>,
    start: Instant,
    period_ns: i64,
}

impl Arrival {
    /// Counts the update, while measuring.
    fn record(&self, stats: &mut Stats) {
        if !stats.measuring {
            return;
        }
        stats.updates += 1;
        stats.bytes += self.size;
        if let Some((then, tick)) = self.last {
            stats.gaps.record_micros(micros(self.at - then));
            stats.skipped_ticks += u64::from(self.tick.wrapping_sub(tick).saturating_sub(1));
        }
        let since = i64::try_from((self.at - self.start).as_nanos()).unwrap_or(i64::MAX);
        let offset = since - i64::from(self.tick) * self.period_ns;
        stats.offsets.entry(self.world).or_default().push(offset);
        if self.observer {
            stats.observed_updates += 1;
            stats
                .observed_offsets
                .entry(self.world)
                .or_default()
                .push(offset);
        }
    }
}

/// Reads the next binary frame, with its size on the wire.
async fn next_frame(ws: &mut Ws) -> Result<(bytes::Bytes, u64), Stop> {
    loop {
        match ws.next().await {
            None => return Err(Stop("connection ended".to_owned())),
            Some(Err(error)) => return Err(Stop(ws::describe_error(&error))),
            Some(Ok(Message::Binary(bytes))) => {
                let size = bytes.len() as u64 + frame_header(bytes.len());
                return Ok((bytes, size));
            }
            Some(Ok(Message::Close(frame))) => {
                return Err(Stop(format!(
                    "closed: {}",
                    ws::describe_close(frame.as_ref())
                )));
            }
            Some(Ok(_)) => {}
        }
    }
}

/// A small, fast pseudo-random source (xorshift64*): the bots' random points need no more.
struct Dice(u64);

impl Dice {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// A number in [0, 1).
    // 53 random bits make an exact f64 fraction.
    #[allow(clippy::cast_precision_loss)]
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One of this project's cheap bots, from its ID on: join, enter, read every update's tick and
/// own position, head for a new random point every few seconds, until the connection ends.
async fn wander(
    mut ws: Ws,
    room: String,
    world: usize,
    limit: Duration,
    index: u64,
    stats: Shared,
    start: Instant,
) -> Result<(), Stop> {
    let Some(entered) = enter(&mut ws, room, limit, &stats, false).await? else {
        return Ok(());
    };
    let mut dice = Dice::new(index + 1);
    let mut position: Option<(i64, i64)> = None;
    let mut last: Option<(Instant, u32)> = None;
    // The first turn at once (a random moment within the period for the next ones).
    let mut next_turn = Instant::now();
    loop {
        let (bytes, size) = next_frame(&mut ws).await?;
        let at = Instant::now();
        let update = match scan_packet(&bytes) {
            Some(Scanned::Update(update)) => update,
            Some(Scanned::Left) => return Err(Stop("left the world".to_owned())),
            Some(Scanned::Other) => continue,
            None => return Err(Stop("undecodable packet".to_owned())),
        };
        let Some(summary) = scan_update(update, entered.me) else {
            return Err(Stop("undecodable update".to_owned()));
        };
        if let Some(spawned) = summary.entered_at {
            position = Some(spawned);
        }
        if let (Some((x, y)), Some((dx, dy))) = (position, summary.moved) {
            position = Some((x + dx, y + dy));
        }
        Arrival {
            world,
            observer: false,
            size,
            at,
            tick: summary.tick,
            last,
            start,
            period_ns: entered.period_ns,
        }
        .record(&mut stats.borrow_mut());
        last = Some((at, summary.tick));
        if at < next_turn {
            continue;
        }
        next_turn = at + WANDER_TURN_EVERY.mul_f64(1.0 + dice.unit());
        let half = WANDER_HALF_BOX * entered.scale;
        let goal = (
            (dice.unit() * 2.0 - 1.0) * half,
            (dice.unit() * 2.0 - 1.0) * half,
        );
        #[allow(clippy::cast_precision_loss)]
        let direction = match position {
            Some((x, y)) => (goal.1 - y as f64).atan2(goal.0 - x as f64),
            None => dice.unit() * TAU,
        };
        let steer = Msg::PlayerDirection(PlayerDirectionMessage { direction });
        send_counted(&mut ws, steer, &stats, |stats| &mut stats.directions_sent).await?;
    }
}

/// One of this project's observing bots, from its ID on: join, enter, keep the whole view,
/// steer towards what it may eat, until the connection ends.
async fn play(
    mut ws: Ws,
    room: String,
    world: usize,
    limit: Duration,
    stats: Shared,
    start: Instant,
) -> Result<(), Stop> {
    let Some(Entered { me, period_ns, .. }) = enter(&mut ws, room, limit, &stats, true).await?
    else {
        return Ok(());
    };
    let mut view = View::default();
    let mut steering = Steering { heading: f64::NAN };
    let mut last: Option<(Instant, u32)> = None;
    let mut best = 0;
    let mut seen = 0u64;
    loop {
        let (msg, size, _) = next_packet(&mut ws).await?;
        let at = Instant::now();
        let update = match msg {
            Msg::WorldUpdate(update) => update,
            Msg::WorldLeft(left) => return Err(Stop(format!("left the world: {}", left.reason))),
            _ => continue,
        };
        let eats = view.apply(&update);
        if let Some(own) = &update.own {
            best = best.max(own.score);
        }
        {
            let mut stats = stats.borrow_mut();
            Arrival {
                world,
                observer: true,
                size,
                at,
                tick: update.tick,
                last,
                start,
                period_ns,
            }
            .record(&mut stats);
            if stats.measuring {
                stats.eats_seen += eats;
                stats.best_score = stats.best_score.max(best);
            }
        }
        last = Some((at, update.tick));
        seen += 1;
        if seen % RETARGET_EVERY_UPDATES != 1 {
            continue;
        }
        if let Some((from, to)) = view.target(me) {
            if let Some(direction) = steering.steer(from, Some(to)) {
                let steer = Msg::PlayerDirection(PlayerDirectionMessage { direction });
                send_counted(&mut ws, steer, &stats, |stats| &mut stats.directions_sent).await?;
            }
        }
    }
}

/// A tutorial-level bot, from its ID (and login) on: steer towards the nearest spore, claim
/// the spores it reaches, read everything.
async fn play_tutorial(mut ws: Ws, me: u64, stats: Shared) -> Result<(), Stop> {
    let mut players: HashMap<u64, (f64, f64, f64)> = HashMap::new();
    let mut spores: HashMap<u64, (f64, f64, f64)> = HashMap::new();
    let mut steering = Steering { heading: f64::NAN };
    // The first direction starts the player's updates (the tutorial's rule).
    send(
        &mut ws,
        Msg::PlayerDirection(PlayerDirectionMessage { direction: 0.0 }),
    )
    .await?;
    steering.heading = 0.0;
    stats.borrow_mut().entered += 1;
    let mut last_own: Option<Instant> = None;
    let mut counted_players = false;
    let add_spore = |spores: &mut HashMap<u64, (f64, f64, f64)>, spore: &SporeMessage| {
        spores.insert(spore.id, (spore.x, spore.y, spore.radius));
    };
    loop {
        let (msg, size, _sender) = next_packet(&mut ws).await?;
        let arrived = Instant::now();
        {
            let mut stats = stats.borrow_mut();
            if stats.measuring {
                stats.bytes += size;
            }
        }
        match msg {
            Msg::Player(player) => {
                players.insert(player.id, (player.x, player.y, player.radius));
                let mut stats = stats.borrow_mut();
                if stats.measuring {
                    stats.updates += 1;
                }
                if player.id != me {
                    continue;
                }
                if stats.measuring {
                    if let Some(then) = last_own {
                        stats.gaps.record_micros(micros(arrived - then));
                    }
                    if !counted_players {
                        counted_players = true;
                        stats.players_seen += players.len() as u64;
                        stats.bots_reporting += 1;
                    }
                }
                last_own = Some(arrived);
            }
            Msg::Spore(spore) => add_spore(&mut spores, &spore),
            Msg::SporesBatch(batch) => batch.spores.iter().for_each(|s| add_spore(&mut spores, s)),
            Msg::SporeConsumed(consumed) => {
                spores.remove(&consumed.spore_id);
                let mut stats = stats.borrow_mut();
                if stats.measuring {
                    stats.eats_seen += 1;
                }
                continue;
            }
            Msg::Disconnect(_) | Msg::PlayerConsumed(_) => continue,
            _ => continue,
        }
        // After an own update or new spores: claim what is reached, steer to the nearest.
        let Some(&(x, y, r)) = players.get(&me) else {
            continue;
        };
        let reached: Vec<u64> = spores
            .iter()
            .filter(|&(_, &(sx, sy, sr))| (sx - x).hypot(sy - y) <= r + sr + CLAIM_SLACK)
            .map(|(&id, _)| id)
            .collect();
        for spore_id in reached {
            // Removed at once, as the tutorial's client does, whatever the server decides.
            spores.remove(&spore_id);
            let claim = Msg::SporeConsumed(SporeConsumedMessage { spore_id });
            send_counted(&mut ws, claim, &stats, |stats| &mut stats.claims_sent).await?;
        }
        let nearest = spores.values().map(|&(sx, sy, _)| (sx, sy)).min_by(|a, b| {
            (a.0 - x)
                .hypot(a.1 - y)
                .total_cmp(&(b.0 - x).hypot(b.1 - y))
        });
        if let Some(direction) = steering.steer((x, y), nearest) {
            send(
                &mut ws,
                Msg::PlayerDirection(PlayerDirectionMessage { direction }),
            )
            .await?;
            let mut stats = stats.borrow_mut();
            if stats.measuring {
                stats.directions_sent += 1;
            }
        }
    }
}

/// One bot from connecting to the end of the run.
async fn bot(
    url: ServerUrl,
    index: u64,
    args: BotPlan,
    gate: Rc<Semaphore>,
    stats: Shared,
    start: Instant,
) {
    let setup = async {
        let _permit = gate.acquire().await.ok();
        let mut ws = tokio::time::timeout(args.limit, ws::connect(&url))
            .await
            .map_err(|_| Stop("no connection in time".to_owned()))?
            .map_err(|error| Stop(error.label()))?;
        let Msg::Id(id) = wait_for(&mut ws, args.limit, |msg| matches!(msg, Msg::Id(_))).await?
        else {
            return Err(Stop("no ID".to_owned()));
        };
        if let Some(prefix) = &args.prefix {
            log_in(&mut ws, &format!("{prefix}-{index}"), args.limit).await?;
        }
        Ok((ws, id.id))
    };
    let world = usize::try_from(index % u64::from(args.worlds.max(1))).unwrap_or(0);
    let result = match setup.await {
        Err(stop) => Err(stop),
        Ok((ws, me)) if args.tutorial => play_tutorial(ws, me, Rc::clone(&stats)).await,
        Ok((ws, _)) => {
            let room = if args.worlds <= 1 {
                String::new()
            } else {
                format!("{}-{world}", args.room_prefix)
            };
            if index < args.observe {
                play(ws, room, world, args.limit, Rc::clone(&stats), start).await
            } else {
                let stats = Rc::clone(&stats);
                wander(ws, room, world, args.limit, index, stats, start).await
            }
        }
    };
    if let Err(Stop(reason)) = result {
        let mut stats = stats.borrow_mut();
        if stats.measuring {
            stats.ended.add(&reason, 1);
        } else {
            stats.failed_early.add(&reason, 1);
        }
    }
}

/// What every bot needs to know.
#[derive(Clone)]
struct BotPlan {
    limit: Duration,
    prefix: Option<Rc<str>>,
    tutorial: bool,
    worlds: u32,
    room_prefix: Rc<str>,
    /// Bots (the first ones) that keep a full view.
    observe: u64,
}

/// Update lateness against the tick schedule: per world, each update's offset from the
/// earliest one (the schedule's zero is not known to a client, so the most punctual update
/// of the run stands for "sent as its tick ended, delivered at once").
fn lateness(offsets: &HashMap<usize, Vec<i64>>) -> Latencies {
    let mut late = Latencies::new();
    for values in offsets.values() {
        let Some(&zero) = values.iter().min() else {
            continue;
        };
        for &value in values {
            late.record_micros(u64::try_from((value - zero) / 1_000).unwrap_or(0));
        }
    }
    late
}

/// Runs `mmo bench world`.
pub async fn world(common: &CommonArgs, args: &WorldArgs) -> Result<(), BenchError> {
    let limit = duration_arg("timeout", args.timeout)?;
    let duration = duration_arg("duration", args.duration)?;
    let warmup = Duration::try_from_secs_f64(args.warmup)
        .map_err(|_| BenchError::Usage("--warmup must be a number of seconds".to_owned()))?;
    if args.players == 0 || args.players > MAX_PLAYERS {
        return Err(BenchError::Usage(format!(
            "--players is between 1 and {MAX_PLAYERS} (open files per process)"
        )));
    }
    if args.worlds == 0 || (args.tutorial && args.worlds > 1) {
        return Err(BenchError::Usage(
            "--worlds is at least 1, and 1 with --tutorial (its client never joins a room)"
                .to_owned(),
        ));
    }
    let prefix = if args.login || args.tutorial {
        Some(account_prefix(
            args.prefix.as_deref(),
            MAX_PREFIX_CHARS,
            'w',
        )?)
    } else {
        None
    };
    let url = ServerUrl::parse(&common.url, common.ca_file.as_deref())?;
    let plan = BotPlan {
        limit,
        prefix: prefix.as_deref().map(Rc::from),
        tutorial: args.tutorial,
        worlds: args.worlds,
        room_prefix: Rc::from(args.room_prefix.as_str()),
        observe: args.observe,
    };
    let stats: Shared = Rc::new(RefCell::new(Stats::default()));
    let gate = Rc::new(Semaphore::new(
        usize::try_from(common.connect_concurrency.max(1)).unwrap_or(1),
    ));
    let local = tokio::task::LocalSet::new();
    let start = Instant::now();
    let mut probe = ServerProbe::new(common.server_pid);
    let mut bots = Vec::new();
    let span = local
        .run_until(async {
            for index in 0..args.players {
                bots.push(tokio::task::spawn_local(bot(
                    url.clone(),
                    index,
                    plan.clone(),
                    Rc::clone(&gate),
                    Rc::clone(&stats),
                    start,
                )));
            }
            // Every bot in (entered, refused or failed), then the warm-up.
            let deadline = Instant::now() + limit;
            loop {
                let settled = {
                    let stats = stats.borrow();
                    stats.entered + stats.refused.total() + stats.failed_early.total()
                };
                if settled >= args.players || Instant::now() >= deadline {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            eprintln!(
                "mmo bench: {} bots in the world after {:.1} s; warming up {:.0} s",
                stats.borrow().entered,
                start.elapsed().as_secs_f64(),
                warmup.as_secs_f64()
            );
            tokio::time::sleep(warmup).await;
            let metrics_addr = match &args.metrics_addr {
                Some(addr) => Some(addr.clone()),
                None => url.resolve().await.ok().map(|addr| addr.to_string()),
            };
            let counters_before = match &metrics_addr {
                Some(addr) => server_metrics::scrape(addr).await,
                None => None,
            };
            probe.reset_peak();
            let before = probe.sample();
            stats.borrow_mut().measuring = true;
            let measured_from = Instant::now();
            tokio::time::sleep(duration).await;
            stats.borrow_mut().measuring = false;
            let measured = measured_from.elapsed();
            let after = probe.sample();
            let counters_after = match &metrics_addr {
                Some(addr) if counters_before.is_some() => server_metrics::scrape(addr).await,
                _ => None,
            };
            for bot in &bots {
                bot.abort();
            }
            (
                ServerSpan {
                    before,
                    after,
                    peak_rss_bytes: probe.peak_rss_bytes,
                },
                measured,
                counters_before
                    .zip(counters_after)
                    .map(|(before, after)| before.delta(&after)),
            )
        })
        .await;
    let (span, measured, ticks) = span;
    let stats = stats.borrow();
    report(common, args, &url, &stats, &span, measured, ticks.as_ref());
    Ok(())
}

// Display arithmetic on counts far below 2^52.
#[allow(clippy::cast_precision_loss)]
fn report(
    common: &CommonArgs,
    args: &WorldArgs,
    url: &ServerUrl,
    stats: &Stats,
    span: &ServerSpan,
    measured: Duration,
    ticks: Option<&WorldDelta>,
) {
    let clients = stats.entered.max(1);
    let per_client_second = |count: u64| count as f64 / clients as f64 / measured.as_secs_f64();
    let late = lateness(&stats.offsets).summary();
    let observed_late = lateness(&stats.observed_offsets).summary();
    let observed_per_second = stats.observed_updates as f64
        / stats.observers_entered.max(1) as f64
        / measured.as_secs_f64();
    let gaps = stats.gaps.summary();
    let cpu_share = span
        .cpu()
        .map(|cpu| cpu.as_secs_f64() / measured.as_secs_f64());
    let mode = if args.tutorial {
        "tutorial-level"
    } else {
        "this project's"
    };
    println!(
        "world: {} {mode} bots ({} entered) over {} world(s), {}, measured {:.1} s after {:.0} s warm-up",
        args.players,
        stats.entered,
        args.worlds,
        if args.login || args.tutorial {
            "logged in"
        } else {
            "guests"
        },
        measured.as_secs_f64(),
        args.warmup
    );
    println!(
        "per client: {:.1} updates/s, {:.2} KB/s; gaps between updates {}",
        per_client_second(stats.updates),
        per_client_second(stats.bytes) / 1_000.0,
        gaps.human()
    );
    if args.tutorial {
        let players = stats.players_seen as f64 / stats.bots_reporting.max(1) as f64;
        println!(
            "players each bot knew of: {players:.0}; PlayerMessages per client per second, per player: {:.2} (20 when every update arrives)",
            per_client_second(stats.updates) / players.max(1.0)
        );
    } else {
        println!(
            "update lateness against the tick schedule (from the most punctual update): all bots {}; the {} observing bots ({:.1} updates/s each) {}; ticks skipped {}",
            late.human(),
            stats.observers_entered,
            observed_per_second,
            observed_late.human(),
            stats.skipped_ticks
        );
    }
    match ticks {
        Some(ticks) => {
            let ms = |value: Option<f64>| value.map_or("-".to_owned(), |ms| format!("≤ {ms} ms"));
            println!(
                "server world ticks while measuring: {} run, {} started more than a period late; tick work p50 {}, p99 {} (histogram bucket bounds)",
                ticks.ticks,
                ticks.late_ticks,
                ms(ticks.tick_work_p50_ms),
                ms(ticks.tick_work_p99_ms)
            );
        }
        None => println!("server world ticks: /metrics not read (see --metrics-addr)"),
    }
    println!(
        "directions sent {}, claims {}, eats seen {}, best score {}; refused {}; ended while measuring: {}; failed before: {}",
        stats.directions_sent,
        stats.claims_sent,
        stats.eats_seen,
        stats.best_score,
        if stats.refused.is_empty() {
            "none".to_owned()
        } else {
            stats.refused.human_reasons()
        },
        stats.ended.human(),
        stats.failed_early.human()
    );
    if let Some(line) = span.human(None) {
        println!(
            "{line}; {:.1} % of a core",
            cpu_share.unwrap_or(0.0) * 100.0
        );
    }
    emit_json(json!({
        "scenario": "world",
        "url": url.as_str(),
        "players": args.players,
        "entered": stats.entered,
        "worlds": args.worlds,
        "tutorial": args.tutorial,
        "login": args.login || args.tutorial,
        "measured_s": seconds(measured),
        "updates_per_client_s": (per_client_second(stats.updates) * 10.0).round() / 10.0,
        "bytes_per_client_s": per_client_second(stats.bytes).round(),
        "gap_us": gaps,
        "lateness_us": (!args.tutorial).then_some(late),
        "observers": stats.observers_entered,
        "observer_updates_per_s": (observed_per_second * 10.0).round() / 10.0,
        "observer_lateness_us": (!args.tutorial).then_some(observed_late),
        "server_ticks": ticks,
        "skipped_ticks": stats.skipped_ticks,
        "directions_sent": stats.directions_sent,
        "claims_sent": stats.claims_sent,
        "eats_seen": stats.eats_seen,
        "refused": stats.refused,
        "ended": stats.ended,
        "failed_early": stats.failed_early,
        "server_cpu_share": cpu_share,
        "server": span.json(common.server_pid, None),
    }));
}

#[cfg(test)]
mod tests {
    use mmo_protocol::packets::{WorldEat, WorldPlayer, WorldSpore};

    use super::*;

    #[test]
    fn a_view_follows_entries_moves_resizes_and_eats() {
        let mut view = View::default();
        let player = |id, x, radius| WorldPlayer {
            id,
            name: String::new(),
            x,
            y: 0,
            radius,
            color: 0,
        };
        view.apply(&WorldUpdateMessage {
            players_entered: vec![player(3, 0, 160), player(5, 800, 80), player(9, -80, 400)],
            spores_entered: vec![WorldSpore {
                id: 1,
                x: 4_000,
                y: 0,
                radius: 40,
            }],
            ..WorldUpdateMessage::default()
        });
        // Moves of 3 and 9 (IDs delta-coded: 3, then 9 − 3), 9 grows.
        view.apply(&WorldUpdateMessage {
            moved_ids: vec![3, 6],
            moved_xy: vec![8, -8, 16, 0],
            resized_ids: vec![9],
            resized_radii: vec![480],
            ..WorldUpdateMessage::default()
        });
        assert_eq!(view.players[&3], (8, -8, 160));
        assert_eq!(view.players[&9], (-64, 0, 480));
        // 3 (mass 160²) may eat 5 (80²) but not 9; 5 is nearer than the spore.
        assert_eq!(
            view.target(3),
            Some(((8.0, -8.0), (800.0, 0.0))),
            "the nearest prey"
        );
        let eats = view.apply(&WorldUpdateMessage {
            eaten: vec![WorldEat {
                eater_id: 9,
                player_id: 5,
                spore_id: 0,
            }],
            ..WorldUpdateMessage::default()
        });
        assert_eq!(eats, 1);
        assert_eq!(view.target(3), Some(((8.0, -8.0), (4_000.0, 0.0))));
        assert_eq!(view.target(7), None, "not in view: no target");
    }

    #[test]
    fn steering_waits_for_a_large_enough_turn() {
        let mut steering = Steering { heading: f64::NAN };
        assert_eq!(steering.steer((0.0, 0.0), None), Some(0.0));
        assert_eq!(steering.steer((0.0, 0.0), Some((10.0, 1.0))), None);
        let turned = steering.steer((0.0, 0.0), Some((0.0, 10.0)));
        assert!(turned.is_some_and(|d| (d - TAU / 4.0).abs() < 1e-9));
        assert_eq!(steering.steer((0.0, 0.0), None), None);
    }

    #[test]
    fn lateness_counts_from_the_most_punctual_update_of_each_world() {
        let offsets = HashMap::from([(0, vec![5_000_000, 2_000_000, 3_000_000]), (1, vec![9_000])]);
        let late = lateness(&offsets).summary();
        assert_eq!(late.count, 4);
        assert!(late.max_us >= 2_990 && late.max_us <= 3_010, "{late:?}");
    }
}
