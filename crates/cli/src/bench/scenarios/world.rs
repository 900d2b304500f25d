//! `mmo bench world`: bot players in the game world (issue 21). This project's bots join a
//! room, enter its world (`EnterWorldMessage`), keep their view from the `WorldUpdateMessage`s
//! and steer (`PlayerDirectionMessage`) towards the nearest spore or smaller player they see;
//! `--tutorial` bots speak only fields 1–19 as the tutorial's client does (steer, claim the
//! spores they reach, read every `PlayerMessage`). Only `--observe` of this project's bots do
//! that full work (a decode, a view and a nearest-target search per update); the others read
//! every update but scan only its tick and their own player (`world_scan`) and wander
//! towards random points, so that one bench thread keeps up with thousands of players. They
//! ask for extrapolated updates (velocities when they change, docs/protocol.md "Extrapolated
//! updates") unless `--moves`, and follow whichever the server sends (`View`).
//! Reports which updates ran and how many a client got per tick, updates and bytes per client
//! per second, the gaps between updates, how late each update came against the world's tick
//! schedule, the server's CPU, and from its `/metrics`
//! the ticks it ran, started late, and their work. Bots that log in do it a few at a time
//! (`--login-concurrency`) and ask again after a while when the server's password hashing is
//! busy, as a client should. Tutorial-level runs end with a verdict: whether every update was
//! delivered (`judge_tutorial` says how that is judged).

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
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::args::{account_prefix, duration_arg};
use super::report::{ServerSpan, emit_json, seconds};
use super::server_metrics::{self, WorldDelta};
use super::world_scan::{PACKET_PLAYER, Scanned, scan_envelope, scan_packet, scan_update};
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

/// A bot of this project looks for a new target every this many ticks (5 a second at 20
/// ticks/s): a person does not re-aim 20 times a second, and the search over its view is most
/// of a bot's work, which must stay well under what the server does for it.
const RETARGET_EVERY_TICKS: u32 = 4;

/// Bots note positions (an observing bot all it holds, a wandering one its own) on the ticks
/// that are multiples of this (once a second at 20 ticks/s), for the check of extrapolated
/// positions against a reference's.
const CHECK_EVERY_TICKS: u32 = 20;

/// Most players' positions at a tick noted (`PositionChecks`, kept to the run's end): 20 s
/// note about references × 150 players × 20, and the other bots' own, 20 each (tens of
/// thousands); beyond this the check stops noting, so that a long run cannot grow the bench
/// without bound.
const MAX_NOTED_POSITIONS: usize = 1_000_000;

/// Wandering bots head for random points within this many world units of the centre on each
/// axis: the rules' spawn box (`SPAWN_HALF_BOX` of crates/world's Radius Rumble), where the
/// spores are.
const WANDER_HALF_BOX: f64 = 3_000.0;

/// How much heavier than a player a bot must be to chase it (the world's eating rule).
const EAT_MASS_RATIO: f64 = 1.5;

/// Each bot's WebSocket read buffer: a tick brings a tutorial-level bot N `PlayerMessage`s of
/// ~77 bytes (23 KB at 300 players), and the library zeroes the whole buffer before every
/// read, which at its default of 128 KiB was the bench's largest cost (a sixth of its CPU).
const READ_BUFFER_BYTES: usize = 16 * 1024;

/// The server's answer to a register or login when its password-hashing queue is full
/// (docs/protocol.md, "Accounts"): a bot waits and asks again, as a person would.
const BUSY_REASON: &str = "The server is busy: try again in a moment";

/// The first wait after a busy answer; each further busy answer to the same bot doubles it,
/// up to `BUSY_BACKOFF_MAX`, and each wait is between half and all of that (so that bots
/// refused together do not all come back together).
const BUSY_BACKOFF_FIRST: Duration = Duration::from_millis(100);

/// The longest wait after a busy answer: a queue that was full is usually served within a
/// second or two (64 hashes of tens of milliseconds on two threads).
const BUSY_BACKOFF_MAX: Duration = Duration::from_secs(3);

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
    /// Seconds allowed for any one answer while connecting and entering (a register or login
    /// answered "busy" is asked again within this time).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    timeout: f64,
    /// Bots connecting and registering or logging in at once, when they log in (the rest wait
    /// their turn): each is one or two password hashes, which the server does on a few
    /// threads with a bounded queue (`hash_threads`, `hash_queue`), so a few in flight keep
    /// it busy without overflowing it.
    #[arg(long, value_name = "BOTS", default_value_t = 8)]
    login_concurrency: u32,
    /// The server's `world_tick_rate`, which tutorial-level bots are not told: their own
    /// `PlayerMessage`s are expected one a tick, on this schedule.
    #[arg(long, value_name = "TICKS", default_value_t = 20)]
    tick_rate: u32,
    /// This project's bots that decode every update into a full view and steer towards what
    /// they may eat (spread evenly over each world's bots, see `observes`); the others read
    /// every update but scan only its tick and their own position, and head for a random
    /// point that changes every few seconds: cheap enough that the bench reads every update.
    #[arg(long, value_name = "BOTS", default_value_t = 100)]
    observe: u64,
    /// Where the server answers `GET /metrics` (HOST:PORT), read before and after measuring
    /// for its ticks, late ticks and tick work; default: the WebSocket URL's host and port
    /// (give the server's `--metrics-addr` when it has one).
    #[arg(long, value_name = "HOST:PORT")]
    metrics_addr: Option<String>,
    /// This project's bots ask for every move (`moved_ids` + `moved_xy` on every tick) instead
    /// of extrapolated updates (`EnterWorldMessage{extrapolate: true}`, the default: players'
    /// velocities when they change; docs/protocol.md, "Extrapolated updates"), so that both
    /// can be measured. A server that does not extrapolate sends moves either way.
    #[arg(long)]
    moves: bool,
    /// When extrapolating: this many of the `--observe` bots ask for every move instead and
    /// serve as references. On every 20th tick each observing bot notes the positions of the
    /// players it holds, and each other bot its own, and those of the extrapolating bots are
    /// compared with the references' for the players both see ("positions checked" in the
    /// report: any difference is a defect). The references are left out of the per-client
    /// figures.
    #[arg(long, value_name = "BOTS", default_value_t = 5)]
    references: u64,
    /// A wandering bot picks a new point to head for every this many seconds, plus up to as
    /// much again (so that bots do not turn together): a person steers now and then, not every
    /// tick. With extrapolated updates each turn is a velocity change in every view that holds
    /// the bot, so this sets most of what the views send.
    #[arg(long, value_name = "SECONDS", default_value_t = 3.0)]
    turn_every: f64,
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
    /// Ticks an update skipped (its tick number minus the previous one's, minus one): ticks
    /// in which nothing in the bot's view changed, for extrapolated updates (which send
    /// nothing then); lost updates otherwise.
    skipped_ticks: u64,
    /// Updates that followed another at the same bot (`skipped_ticks` are between these).
    followed_updates: u64,
    /// Per world: each update's arrival minus its tick's place on the schedule, in ns (every
    /// bot's).
    offsets: HashMap<usize, Vec<i64>>,
    /// The same, of the `--observe` bots only (those doing a full client's work).
    observed_offsets: HashMap<usize, Vec<i64>>,
    /// Updates the `--observe` bots received.
    observed_updates: u64,
    /// Of those, how many carried each kind of change (`Contents`): what keeps updates coming.
    observed_contents: Contents,
    observers_entered: u64,
    /// Bots whose updates are extrapolated (`WorldEnteredMessage.extrapolating`).
    extrapolating: u64,
    /// Reference bots that entered (counted in `entered`, left out of the per-client figures).
    references_entered: u64,
    /// Extrapolated positions compared with the references'.
    checks: PositionChecks,
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
    /// Tutorial bots' own `PlayerMessage`s while measuring, by bot.
    own_updates: HashMap<u64, OwnUpdates>,
    /// Registers and logins answered "busy" and asked again (all phases).
    busy_retries: u64,
}

/// How many updates carried each kind of change (an update may carry several).
#[derive(Default, Clone, Copy)]
struct Contents {
    moves: u64,
    velocities: u64,
    resizes: u64,
    players_in_out: u64,
    spores_in_out: u64,
    eats: u64,
    own: u64,
    leaderboard: u64,
}

impl Contents {
    fn add(&mut self, update: &WorldUpdateMessage) {
        let count = |counter: &mut u64, present: bool| *counter += u64::from(present);
        count(&mut self.moves, !update.moved_ids.is_empty());
        count(&mut self.velocities, !update.velocity_ids.is_empty());
        count(&mut self.resizes, !update.resized_ids.is_empty());
        count(
            &mut self.players_in_out,
            !update.players_entered.is_empty() || !update.players_left.is_empty(),
        );
        count(
            &mut self.spores_in_out,
            !update.spores_entered.is_empty() || !update.spores_left.is_empty(),
        );
        count(&mut self.eats, !update.eaten.is_empty());
        count(&mut self.own, update.own.is_some());
        count(&mut self.leaderboard, update.leaderboard.is_some());
    }

    /// "kind N %" for each kind present, of `updates`.
    // Display arithmetic on counts far below 2^52.
    #[allow(clippy::cast_precision_loss)]
    fn human(&self, updates: u64) -> String {
        let kinds = [
            ("moves", self.moves),
            ("velocities", self.velocities),
            ("resizes", self.resizes),
            ("players in/out", self.players_in_out),
            ("spores in/out", self.spores_in_out),
            ("eats", self.eats),
            ("own state", self.own),
            ("leaderboard", self.leaderboard),
        ];
        kinds
            .iter()
            .filter(|(_, count)| *count > 0)
            .map(|(kind, count)| {
                format!(
                    "{kind} {:.0} %",
                    *count as f64 * 100.0 / updates.max(1) as f64
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The check of extrapolated positions: on the sample ticks (multiples of `CHECK_EVERY_TICKS`)
/// each observing bot notes where the players it holds are, and each wandering bot where it is
/// (what its own scan of the updates says); a reference bot's (it gets every move) is the
/// truth, an extrapolating bot's must equal it for every player both hold.
#[derive(Default)]
struct PositionChecks {
    /// By world, tick and player ID: a reference's position, and extrapolated ones noted
    /// before any reference's (compared when it comes).
    noted: HashMap<(usize, u32, u64), Noted>,
    agreed: u64,
    differed: u64,
    /// The first difference, for the report.
    first_difference: Option<String>,
}

#[derive(Default)]
struct Noted {
    reference: Option<(i64, i64)>,
    waiting: Vec<(i64, i64)>,
}

impl PositionChecks {
    /// Notes where player `id` of `world` was at `tick`, by a reference bot or not.
    fn note(&mut self, world: usize, tick: u32, id: u64, at: (i64, i64), reference: bool) {
        let key = (world, tick, id);
        if !self.noted.contains_key(&key) && self.noted.len() >= MAX_NOTED_POSITIONS {
            return;
        }
        let noted = self.noted.entry(key).or_default();
        match (reference, noted.reference) {
            (true, Some(_)) => {}
            (true, None) => {
                noted.reference = Some(at);
                let waiting = std::mem::take(&mut noted.waiting);
                for extrapolated in waiting {
                    self.compare(tick, id, extrapolated, at);
                }
            }
            (false, Some(truth)) => self.compare(tick, id, at, truth),
            (false, None) => noted.waiting.push(at),
        }
    }

    fn compare(&mut self, tick: u32, id: u64, extrapolated: (i64, i64), truth: (i64, i64)) {
        if extrapolated == truth {
            self.agreed += 1;
            return;
        }
        self.differed += 1;
        self.first_difference.get_or_insert_with(|| {
            format!("player {id} at tick {tick}: extrapolated {extrapolated:?}, moves {truth:?}")
        });
    }
}

/// A tutorial-level bot's own `PlayerMessage`s while measuring: the tutorial's messages carry
/// no tick number, but the server sends each player its own state once every tick, on a
/// schedule that keeps its beat, so their count and times show ticks missed and late.
#[derive(Default)]
struct OwnUpdates {
    count: u64,
    /// Each one's arrival minus its place on the bot's tick schedule (its n-th own message
    /// since its first at all is due n periods after that one), in ns.
    offsets: Vec<i64>,
}

/// Ticks a bot's own `PlayerMessage`s fell short of while measuring: the world's schedule
/// holds `measured / period` ticks (give or take one at the ends), so a bot that got fewer
/// than that less one either missed ticks or was later at the end than at the start by more
/// than a period. The two cannot be told apart without tick numbers, and either fails
/// "every update delivered".
fn ticks_short(count: u64, measured: Duration, period: Duration) -> u64 {
    // Ticks due in a run of seconds: far below 2^52.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let due = (measured.as_secs_f64() / period.as_secs_f64()).floor() as u64;
    due.saturating_sub(1).saturating_sub(count)
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

/// Waits after "busy" answers: doubling from `BUSY_BACKOFF_FIRST` to `BUSY_BACKOFF_MAX`, each
/// wait between half and all of that.
struct Backoff {
    next: Duration,
    dice: Dice,
}

impl Backoff {
    fn new(seed: u64) -> Self {
        Self {
            next: BUSY_BACKOFF_FIRST,
            dice: Dice::new(seed),
        }
    }

    fn wait(&mut self) -> Duration {
        let wait = self.next.mul_f64(0.5 + self.dice.unit() / 2.0);
        self.next = (self.next * 2).min(BUSY_BACKOFF_MAX);
        wait
    }
}

/// Sends `request` and waits for its answer, asking again after a wait while the server
/// answers busy, until `limit` from the first ask.
async fn ask(
    ws: &mut Ws,
    request: &Msg,
    limit: Duration,
    backoff: &mut Backoff,
    stats: &Shared,
) -> Result<Msg, Stop> {
    let deadline = Instant::now() + limit;
    loop {
        send(ws, request.clone()).await?;
        let answer = wait_for(ws, limit, is_answer).await?;
        let Msg::DenyResponse(deny) = &answer else {
            return Ok(answer);
        };
        if deny.reason != BUSY_REASON {
            return Ok(answer);
        }
        let wait = backoff.wait();
        if Instant::now() + wait > deadline {
            return Err(Stop("the server stayed busy".to_owned()));
        }
        stats.borrow_mut().busy_retries += 1;
        // Keep reading meanwhile (others' chat; nothing answers this bot until it asks again).
        let _ = wait_for(ws, wait, |_| false).await;
    }
}

/// Registers (an existing account is fine: a rerun with the same --prefix) and logs in, each
/// asked again while the server is busy.
async fn log_in(
    ws: &mut Ws,
    name: &str,
    limit: Duration,
    backoff: &mut Backoff,
    stats: &Shared,
) -> Result<(), Stop> {
    let register = Msg::RegisterRequest(RegisterRequestMessage {
        username: name.to_owned(),
        password: BENCH_PASSWORD.to_owned(),
        color: 0,
    });
    ask(ws, &register, limit, backoff, stats).await?;
    let login = Msg::LoginRequest(LoginRequestMessage {
        username: name.to_owned(),
        password: BENCH_PASSWORD.to_owned(),
    });
    match ask(ws, &login, limit, backoff, stats).await? {
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

/// A player as a bot's view holds it, in wire units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Held {
    x: i64,
    y: i64,
    radius: u64,
    /// Its move on every tick until the next change (extrapolated updates only; 0 otherwise).
    vx: i64,
    vy: i64,
    /// Entered with the update being applied: its `x`, `y` are already this tick's, so the
    /// update's step does not move it.
    fresh: bool,
}

impl Held {
    /// Moves it by its velocity, `ticks` times.
    fn coast(&mut self, ticks: u32) {
        let ticks = i64::from(ticks);
        self.x = self.x.saturating_add(self.vx.saturating_mul(ticks));
        self.y = self.y.saturating_add(self.vy.saturating_mul(ticks));
    }
}

/// The entries of a pair of fields coded like `moved_ids` + `moved_xy` (IDs ascending, the
/// first as it is and each next as the difference from the one before; `per_id` values for
/// each): each ID with its values. A short value list ends it.
fn delta_coded<'a, T>(
    ids: &'a [u64],
    values: &'a [T],
    per_id: usize,
) -> impl Iterator<Item = (u64, &'a [T])> + 'a {
    ids.iter()
        .scan(0u64, |id, gap| {
            *id = id.wrapping_add(*gap);
            Some(*id)
        })
        .zip(values.chunks_exact(per_id))
}

/// This project's bot's view, in wire units: what it holds after every update it got, whether
/// plain (`moved_ids` + `moved_xy`, every move) or extrapolated (`velocity_ids` +
/// `velocity_xy`, every change of velocity; docs/protocol.md, "Extrapolated updates"). Either
/// way the positions are the server's exactly, at the last update's tick.
#[derive(Default)]
struct View {
    players: HashMap<u64, Held>,
    spores: HashMap<u64, (i64, i64, u64)>,
    /// Whether updates are extrapolated (`WorldEnteredMessage.extrapolating`).
    extrapolating: bool,
    /// The tick of the last update applied: an extrapolated update for a later tick first
    /// moves everyone over the ticks in between, which sent nothing.
    tick: Option<u32>,
}

impl View {
    fn new(extrapolating: bool) -> Self {
        Self {
            extrapolating,
            ..Self::default()
        }
    }

    /// Applies the next update; returns the eats in it.
    fn apply(&mut self, update: &WorldUpdateMessage) -> u64 {
        if self.extrapolating {
            if let Some(previous) = self.tick {
                // The tick wraps at 2^32; a tick that sent nothing moved everyone by their
                // velocity all the same.
                let quiet = update.tick.wrapping_sub(previous).saturating_sub(1);
                if quiet > 0 {
                    self.players.values_mut().for_each(|held| held.coast(quiet));
                }
            }
        }
        self.tick = Some(update.tick);
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
                Held {
                    x: i64::from(player.x),
                    y: i64::from(player.y),
                    radius: u64::from(player.radius),
                    vx: i64::from(player.vx),
                    vy: i64::from(player.vy),
                    fresh: true,
                },
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
        if self.extrapolating {
            for (id, xy) in delta_coded(&update.velocity_ids, &update.velocity_xy, 2) {
                if let Some(held) = self.players.get_mut(&id) {
                    held.vx = i64::from(xy[0]);
                    held.vy = i64::from(xy[1]);
                }
            }
            // This tick's step: everyone held before this update, by its (new) velocity.
            for held in self.players.values_mut() {
                if held.fresh {
                    held.fresh = false;
                } else {
                    held.coast(1);
                }
            }
        } else {
            for (id, xy) in delta_coded(&update.moved_ids, &update.moved_xy, 2) {
                if let Some(held) = self.players.get_mut(&id) {
                    held.x += i64::from(xy[0]);
                    held.y += i64::from(xy[1]);
                }
            }
        }
        for (id, radius) in delta_coded(&update.resized_ids, &update.resized_radii, 1) {
            if let Some(held) = self.players.get_mut(&id) {
                held.radius = u64::from(radius[0]);
            }
        }
        update.eaten.len() as u64
    }

    /// The first tick from the last update's on that is a multiple of `every`, when it comes
    /// before `next` (the tick of the update about to be applied): until then the view's
    /// positions, moved by their velocities, are the server's at every tick.
    fn sample_before(&self, next: u32, every: u32) -> Option<u32> {
        let last = self.tick?;
        let ahead = (every - last % every) % every;
        (ahead < next.wrapping_sub(last)).then(|| last.wrapping_add(ahead))
    }

    /// Where each player held is at `tick`, a tick from the last update's up to the next
    /// update's (`sample_before`).
    fn positions_at(&self, tick: u32) -> impl Iterator<Item = (u64, (i64, i64))> + '_ {
        let ticks = match self.tick {
            Some(last) if self.extrapolating => tick.wrapping_sub(last),
            _ => 0,
        };
        self.players.iter().map(move |(&id, held)| {
            let mut held = *held;
            held.coast(ticks);
            (id, (held.x, held.y))
        })
    }

    /// Where `id` is (wire units), when in view.
    fn position(&self, id: u64) -> Option<(i64, i64)> {
        self.players.get(&id).map(|held| (held.x, held.y))
    }

    /// The nearest spore, or smaller player the bot could eat, from `me`.
    fn target(&self, me: u64) -> Option<((f64, f64), (f64, f64))> {
        let &Held {
            x, y, radius: r, ..
        } = self.players.get(&me)?;
        let mass = |radius: u64| (radius as f64).powi(2);
        let distance = |(ox, oy): (i64, i64)| ((ox - x) as f64).hypot((oy - y) as f64);
        let spores = self.spores.values().map(|&(sx, sy, _)| (sx, sy));
        let prey = self
            .players
            .iter()
            .filter(|&(&id, held)| id != me && mass(r) > EAT_MASS_RATIO * mass(held.radius))
            .map(|(_, held)| (held.x, held.y));
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
    /// Whether its updates are extrapolated.
    extrapolating: bool,
}

/// Joins `room` and enters its world; `None` when refused (counted).
async fn enter(
    ws: &mut Ws,
    seat: &Seat,
    stats: &Shared,
    observer: bool,
) -> Result<Option<Entered>, Stop> {
    let room = seat.room.clone();
    send(ws, Msg::JoinRoom(JoinRoomMessage { room })).await?;
    wait_for(ws, seat.limit, |msg| matches!(msg, Msg::Room(_))).await?;
    let extrapolate = seat.extrapolate && !seat.reference;
    send(ws, Msg::EnterWorld(EnterWorldMessage { extrapolate })).await?;
    let entered = wait_for(ws, seat.limit, |msg| {
        matches!(msg, Msg::WorldEntered(_) | Msg::DenyResponse(_))
    })
    .await?;
    match entered {
        Msg::WorldEntered(entered) => {
            let mut stats = stats.borrow_mut();
            stats.entered += 1;
            if seat.reference {
                stats.references_entered += 1;
            } else {
                stats.observers_entered += u64::from(observer);
            }
            stats.extrapolating += u64::from(entered.extrapolating);
            Ok(Some(Entered {
                me: entered.player_id,
                period_ns: 1_000_000_000 / i64::from(entered.tick_rate.max(1)),
                scale: f64::from(entered.position_scale.max(1)),
                extrapolating: entered.extrapolating,
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
    /// A reference bot's: left out of the counts.
    reference: bool,
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
        if !stats.measuring || self.reference {
            return;
        }
        stats.updates += 1;
        stats.bytes += self.size;
        if let Some((then, tick)) = self.last {
            stats.gaps.record_micros(micros(self.at - then));
            stats.skipped_ticks += u64::from(self.tick.wrapping_sub(tick).saturating_sub(1));
            stats.followed_updates += 1;
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

/// Where one of this project's bots plays, and how.
struct Seat {
    room: String,
    /// Its world's index (`index % worlds`), for the per-world counts.
    world: usize,
    /// The longest wait for an answer while entering.
    limit: Duration,
    /// Ask for extrapolated updates.
    extrapolate: bool,
    /// A reference for the check of extrapolated positions (it asks for moves).
    reference: bool,
    /// Note positions for that check (a run with references): all an observing bot holds, or
    /// a wandering bot's own.
    check: bool,
    /// The run's start: the zero of the bots' tick schedules.
    start: Instant,
    /// How often a wandering bot turns (`--turn-every`).
    turn_every: Duration,
}

/// One of this project's cheap bots, from its ID on: join, enter, follow its own player
/// through every update (its tick and own entry, move or velocity: `scan_update`), head for a
/// new random point every few seconds, until the connection ends.
async fn wander(mut ws: Ws, seat: Seat, index: u64, stats: Shared) -> Result<(), Stop> {
    let Some(entered) = enter(&mut ws, &seat, &stats, false).await? else {
        return Ok(());
    };
    let mut dice = Dice::new(index + 1);
    let mut own = View::new(entered.extrapolating);
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
        let Some(update) = scan_update(update, entered.me) else {
            return Err(Stop("undecodable update".to_owned()));
        };
        note_positions(&own, update.tick, &seat, &stats);
        own.apply(&update);
        Arrival {
            world: seat.world,
            observer: false,
            reference: false,
            size,
            at,
            tick: update.tick,
            last,
            start: seat.start,
            period_ns: entered.period_ns,
        }
        .record(&mut stats.borrow_mut());
        last = Some((at, update.tick));
        if at < next_turn {
            continue;
        }
        next_turn = at + seat.turn_every.mul_f64(1.0 + dice.unit());
        let half = WANDER_HALF_BOX * entered.scale;
        let goal = (
            (dice.unit() * 2.0 - 1.0) * half,
            (dice.unit() * 2.0 - 1.0) * half,
        );
        #[allow(clippy::cast_precision_loss)]
        let direction = match own.position(entered.me) {
            Some((x, y)) => (goal.1 - y as f64).atan2(goal.0 - x as f64),
            None => dice.unit() * TAU,
        };
        let steer = Msg::PlayerDirection(PlayerDirectionMessage { direction });
        send_counted(&mut ws, steer, &stats, |stats| &mut stats.directions_sent).await?;
    }
}

/// Notes, for the check of extrapolated positions, where the players `view` holds were on a
/// sample tick since its last update, if there was one before `next` (the update about to be
/// applied), while measuring.
fn note_positions(view: &View, next: u32, seat: &Seat, stats: &Shared) {
    if !seat.check {
        return;
    }
    let Some(tick) = view.sample_before(next, CHECK_EVERY_TICKS) else {
        return;
    };
    let mut stats = stats.borrow_mut();
    if stats.measuring {
        for (id, at) in view.positions_at(tick) {
            stats.checks.note(seat.world, tick, id, at, seat.reference);
        }
    }
}

/// One of this project's observing bots, from its ID on: join, enter, keep the whole view,
/// steer towards what it may eat, until the connection ends.
async fn play(mut ws: Ws, seat: Seat, stats: Shared) -> Result<(), Stop> {
    let Some(entered) = enter(&mut ws, &seat, &stats, true).await? else {
        return Ok(());
    };
    let mut view = View::new(entered.extrapolating);
    let mut steering = Steering { heading: f64::NAN };
    let mut last: Option<(Instant, u32)> = None;
    let mut best = 0;
    // The tick the bot last looked for a target at.
    let mut aimed_at: Option<u32> = None;
    loop {
        let (msg, size, _) = next_packet(&mut ws).await?;
        let at = Instant::now();
        let update = match msg {
            Msg::WorldUpdate(update) => update,
            Msg::WorldLeft(left) => return Err(Stop(format!("left the world: {}", left.reason))),
            _ => continue,
        };
        note_positions(&view, update.tick, &seat, &stats);
        let eats = view.apply(&update);
        if let Some(own) = &update.own {
            best = best.max(own.score);
        }
        {
            let mut stats = stats.borrow_mut();
            Arrival {
                world: seat.world,
                observer: true,
                reference: seat.reference,
                size,
                at,
                tick: update.tick,
                last,
                start: seat.start,
                period_ns: entered.period_ns,
            }
            .record(&mut stats);
            if stats.measuring {
                if !seat.reference {
                    stats.observed_contents.add(&update);
                }
                stats.eats_seen += eats;
                stats.best_score = stats.best_score.max(best);
            }
        }
        last = Some((at, update.tick));
        // Every few ticks, whatever the updates: extrapolated ones skip quiet ticks.
        if aimed_at.is_some_and(|tick| update.tick.wrapping_sub(tick) < RETARGET_EVERY_TICKS) {
            continue;
        }
        aimed_at = Some(update.tick);
        if let Some((from, to)) = view.target(entered.me) {
            if let Some(direction) = steering.steer(from, Some(to)) {
                let steer = Msg::PlayerDirection(PlayerDirectionMessage { direction });
                send_counted(&mut ws, steer, &stats, |stats| &mut stats.directions_sent).await?;
            }
        }
    }
}

/// A tutorial-level bot, from its ID (and login) on: steer towards the nearest spore, claim
/// the spores it reaches, read everything.
async fn play_tutorial(
    mut ws: Ws,
    me: u64,
    index: u64,
    period: Duration,
    stats: Shared,
) -> Result<(), Stop> {
    // Other players' `PlayerMessage`s since the bot's own last one, and its own x, y, radius.
    let mut others_since_own = 0u64;
    let mut own: Option<(f64, f64, f64)> = None;
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
    // The first own `PlayerMessage` and how many came since: the bot's tick schedule.
    let mut first_own: Option<Instant> = None;
    let mut own_since_first = 0u32;
    let mut counted_players = false;
    let add_spore = |spores: &mut HashMap<u64, (f64, f64, f64)>, spore: &SporeMessage| {
        spores.insert(spore.id, (spore.x, spore.y, spore.radius));
    };
    loop {
        let (bytes, size) = next_frame(&mut ws).await?;
        let Some((sender, kind)) = scan_envelope(&bytes) else {
            return Err(Stop("undecodable packet".to_owned()));
        };
        {
            let mut stats = stats.borrow_mut();
            if stats.measuring {
                stats.bytes += size;
                stats.updates += u64::from(kind == PACKET_PLAYER);
            }
        }
        // Another player's state (N − 1 of every N packets): the bot steers for spores, so
        // it only counts them (a tick sends every player's once, in the same order, so
        // between two of its own come the others').
        if kind == PACKET_PLAYER && sender != me {
            others_since_own += 1;
            continue;
        }
        let arrived = Instant::now();
        let msg = match decode_packet(&bytes) {
            Ok(Packet { msg: Some(msg), .. }) => msg,
            _ => return Err(Stop("undecodable packet".to_owned())),
        };
        match msg {
            Msg::Player(player) => {
                own = Some((player.x, player.y, player.radius));
                let mut stats = stats.borrow_mut();
                let first = *first_own.get_or_insert(arrived);
                let due = first + period * own_since_first;
                own_since_first += 1;
                if stats.measuring {
                    if let Some(then) = last_own {
                        stats.gaps.record_micros(micros(arrived - then));
                    }
                    let offset = if arrived >= due {
                        i64::try_from((arrived - due).as_nanos()).unwrap_or(i64::MAX)
                    } else {
                        -i64::try_from((due - arrived).as_nanos()).unwrap_or(i64::MAX)
                    };
                    let own = stats.own_updates.entry(index).or_default();
                    own.count += 1;
                    own.offsets.push(offset);
                    if !counted_players && last_own.is_some() {
                        counted_players = true;
                        stats.players_seen += others_since_own + 1;
                        stats.bots_reporting += 1;
                    }
                }
                others_since_own = 0;
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
            _ => continue,
        }
        // After an own update or new spores: claim what is reached, steer to the nearest.
        let Some((x, y, r)) = own else {
            continue;
        };
        // One pass, in squared distances: a bot does this 20 times a second over ~1,000
        // spores, and hundreds of bots share the bench's one thread.
        let mut reached = Vec::new();
        let mut nearest: Option<((f64, f64), f64)> = None;
        for (&id, &(sx, sy, sr)) in &spores {
            let squared = (sx - x).powi(2) + (sy - y).powi(2);
            if squared <= (r + sr + CLAIM_SLACK).powi(2) {
                reached.push(id);
            } else if nearest.is_none_or(|(_, best)| squared < best) {
                nearest = Some(((sx, sy), squared));
            }
        }
        for spore_id in reached {
            // Removed at once, as the tutorial's client does, whatever the server decides.
            spores.remove(&spore_id);
            let claim = Msg::SporeConsumed(SporeConsumedMessage { spore_id });
            send_counted(&mut ws, claim, &stats, |stats| &mut stats.claims_sent).await?;
        }
        let nearest = nearest.map(|(spore, _)| spore);
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
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER_BYTES);
        let mut ws = tokio::time::timeout(args.limit, ws::connect_with(&url, config))
            .await
            .map_err(|_| Stop("no connection in time".to_owned()))?
            .map_err(|error| Stop(error.label()))?;
        let Msg::Id(id) = wait_for(&mut ws, args.limit, |msg| matches!(msg, Msg::Id(_))).await?
        else {
            return Err(Stop("no ID".to_owned()));
        };
        if let Some(prefix) = &args.prefix {
            let name = format!("{prefix}-{index}");
            let mut backoff = Backoff::new(index + 1);
            log_in(&mut ws, &name, args.limit, &mut backoff, &stats).await?;
        }
        Ok((ws, id.id))
    };
    let world = usize::try_from(index % u64::from(args.worlds.max(1))).unwrap_or(0);
    let result = match setup.await {
        Err(stop) => Err(stop),
        Ok((ws, me)) if args.tutorial => {
            play_tutorial(ws, me, index, args.period, Rc::clone(&stats)).await
        }
        Ok((ws, _)) => {
            let room = if args.worlds <= 1 {
                String::new()
            } else {
                format!("{}-{world}", args.room_prefix)
            };
            let observer = observes(index, args.players, args.observe, args.worlds);
            let references = if args.extrapolate { args.references } else { 0 };
            let reference = observer
                && is_reference(index, args.observe, args.worlds, references, args.players);
            let seat = Seat {
                room,
                world,
                limit: args.limit,
                extrapolate: args.extrapolate,
                reference,
                check: references > 0,
                start,
                turn_every: args.turn_every,
            };
            if observer {
                play(ws, seat, Rc::clone(&stats)).await
            } else {
                wander(ws, seat, index, Rc::clone(&stats)).await
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

/// Whether bot `index` of `players` (bot `index` plays in world `index % worlds`) is one of
/// the `observe` that keep a full view: every so many of each world's bots, from its first to
/// its last. A world writes its updates in the order its players entered, about the bots'
/// order: the first bots alone would be written to first, and report less lateness than the
/// others get.
fn observes(index: u64, players: u64, observe: u64, worlds: u32) -> bool {
    if observe == 0 {
        return false;
    }
    let every = (players / observe).max(1);
    let rank_in_world = index / u64::from(worlds.max(1));
    rank_in_world % every == 0 && rank_in_world / every * u64::from(worlds.max(1)) < observe
}

/// Whether observing bot `index` (`observes`) is one of the about `references` that ask for
/// moves, as the truth the others' extrapolated positions are checked against: evenly spread
/// over each world's observers, at least one in each world when there are any.
fn is_reference(index: u64, observe: u64, worlds: u32, references: u64, players: u64) -> bool {
    if references == 0 || observe == 0 {
        return false;
    }
    let worlds = u64::from(worlds.max(1));
    let every = (players / observe).max(1);
    // The bot's rank among its world's observers, and how many of them are references.
    let rank = index / worlds / every;
    let per_world = observe.div_ceil(worlds);
    let stride = (per_world / references.div_ceil(worlds)).max(2);
    rank % stride == stride / 2
}

/// What every bot needs to know.
#[derive(Clone)]
struct BotPlan {
    limit: Duration,
    prefix: Option<Rc<str>>,
    tutorial: bool,
    worlds: u32,
    room_prefix: Rc<str>,
    /// Bots that keep a full view (which ones: `observes`).
    observe: u64,
    /// Bots in all.
    players: u64,
    /// The world's tick period (tutorial bots are not told it).
    period: Duration,
    /// This project's bots ask for extrapolated updates (not `--moves`).
    extrapolate: bool,
    /// Observing bots that ask for moves as references (`is_reference`).
    references: u64,
    /// How often a wandering bot turns.
    turn_every: Duration,
}

/// Update lateness against the tick schedule: per group (a world, or a tutorial bot), each
/// update's offset from the group's earliest one (the schedule's zero is not known to a
/// client, so the most punctual update of the run stands for "sent as its tick ended,
/// delivered at once").
fn lateness<'a>(groups: impl IntoIterator<Item = &'a Vec<i64>>) -> Latencies {
    let mut late = Latencies::new();
    for values in groups {
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
    if args.tick_rate == 0 || args.login_concurrency == 0 {
        return Err(BenchError::Usage(
            "--tick-rate and --login-concurrency are at least 1".to_owned(),
        ));
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
        players: args.players,
        period: Duration::from_secs(1) / args.tick_rate,
        extrapolate: !args.moves,
        references: args.references,
        turn_every: duration_arg("turn-every", args.turn_every)?,
    };
    let stats: Shared = Rc::new(RefCell::new(Stats::default()));
    // Bots that log in connect and log in under one gate, a few at a time: the server's
    // password hashing is slow and its queue bounded.
    let in_flight = if prefix.is_some() {
        args.login_concurrency.min(common.connect_concurrency)
    } else {
        common.connect_concurrency
    };
    let gate = Rc::new(Semaphore::new(
        usize::try_from(in_flight.max(1)).unwrap_or(1),
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
            // Every bot in (entered, refused or failed), then the warm-up; bots logging in a
            // few at a time may take a while, so give up only after `limit` without progress.
            let mut deadline = Instant::now() + limit;
            let mut settled_before = 0;
            loop {
                let settled = {
                    let stats = stats.borrow();
                    stats.entered + stats.refused.total() + stats.failed_early.total()
                };
                if settled >= args.players || Instant::now() >= deadline {
                    break;
                }
                if settled > settled_before {
                    settled_before = settled;
                    deadline = Instant::now() + limit;
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

/// Whether tutorial-level bots got every update, and what says not.
struct Delivery {
    /// Ticks short, all bots together (`ticks_short`).
    ticks_short: u64,
    bots_short: u64,
    /// Fewest and most own `PlayerMessage`s a bot got while measuring.
    own_range: (u64, u64),
    /// Own `PlayerMessage`s' lateness against each bot's tick schedule.
    late: crate::bench::histogram::Summary,
    /// Empty when every update was delivered.
    failures: Vec<String>,
}

/// Judges a tutorial run: every update was delivered when every bot entered and stayed (none
/// closed as too slow, before or while measuring), no bot fell short of a tick
/// (`ticks_short`), the bots' own `PlayerMessage`s were late by less than a period at p99,
/// every player's `PlayerMessage` came at the tick rate (within 1 %), and the server started
/// no tick late.
// Display arithmetic on counts far below 2^52.
#[allow(clippy::cast_precision_loss)]
fn judge_tutorial(
    stats: &Stats,
    players: u64,
    measured: Duration,
    period: Duration,
    per_player_rate: f64,
    ticks: Option<&WorldDelta>,
) -> Delivery {
    let mut failures = Vec::new();
    if stats.entered < players {
        failures.push(format!("{} of {players} bots in the world", stats.entered));
    }
    if !stats.failed_early.is_empty() {
        failures.push(format!(
            "ended before measuring: {}",
            stats.failed_early.human()
        ));
    }
    if !stats.ended.is_empty() {
        failures.push(format!("ended while measuring: {}", stats.ended.human()));
    }
    let short = |own: &OwnUpdates| ticks_short(own.count, measured, period);
    let ticks_short_sum = stats.own_updates.values().map(short).sum();
    let bots_short = stats
        .own_updates
        .values()
        .filter(|own| short(own) > 0)
        .count() as u64;
    if ticks_short_sum > 0 {
        failures.push(format!(
            "{ticks_short_sum} ticks short at {bots_short} bots"
        ));
    }
    if (stats.own_updates.len() as u64) < stats.entered {
        failures.push(format!(
            "{} bots got no own PlayerMessage while measuring",
            stats.entered - stats.own_updates.len() as u64
        ));
    }
    let late = lateness(stats.own_updates.values().map(|own| &own.offsets)).summary();
    if u128::from(late.p99_us) >= period.as_micros() {
        failures.push(format!(
            "own PlayerMessages' lateness p99 {} (a period or more)",
            crate::bench::histogram::human_micros(late.p99_us)
        ));
    }
    let rate = 1.0 / period.as_secs_f64();
    if per_player_rate < 0.99 * rate {
        failures.push(format!(
            "{per_player_rate:.2} PlayerMessages a second per player (of {rate:.0})"
        ));
    }
    match ticks {
        Some(ticks) if ticks.late_ticks > 0 => failures.push(format!(
            "the server started {} of {} ticks late",
            ticks.late_ticks, ticks.ticks
        )),
        Some(_) => {}
        None => failures.push("the server's late ticks not read (/metrics)".to_owned()),
    }
    let counts = stats.own_updates.values().map(|own| own.count);
    Delivery {
        ticks_short: ticks_short_sum,
        bots_short,
        own_range: (counts.clone().min().unwrap_or(0), counts.max().unwrap_or(0)),
        late,
        failures,
    }
}

/// The updates' mode when every bot got moves.
const MOVES: &str = "moves";

/// Which updates this project's bots got, and how many a tick.
struct UpdatesMode {
    /// "extrapolated", `MOVES`, or "mixed" (a cluster whose servers differ).
    label: &'static str,
    /// Updates per tick a bot was in the world for, averaged over all updates: 1 when every
    /// tick sends one (moves, always something moving), less when extrapolated updates skip
    /// the ticks in which nothing in a view changed.
    per_tick: f64,
}

// Display arithmetic on counts far below 2^52.
#[allow(clippy::cast_precision_loss)]
fn updates_mode(stats: &Stats) -> UpdatesMode {
    let label = match stats.extrapolating {
        0 => MOVES,
        all if all + stats.references_entered >= stats.entered => "extrapolated",
        _ => "mixed",
    };
    let ticks = stats.followed_updates + stats.skipped_ticks;
    UpdatesMode {
        label,
        per_tick: stats.followed_updates as f64 / ticks.max(1) as f64,
    }
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
    // The references' updates are not counted (they get moves).
    let clients = (stats.entered - stats.references_entered).max(1);
    let per_client_second = |count: u64| count as f64 / clients as f64 / measured.as_secs_f64();
    let late = lateness(stats.offsets.values()).summary();
    let observed_late = lateness(stats.observed_offsets.values()).summary();
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
    let updates = updates_mode(stats);
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
    let players = stats.players_seen as f64 / stats.bots_reporting.max(1) as f64;
    let per_player_rate = per_client_second(stats.updates) / players.max(1.0);
    let period = Duration::from_secs(1) / args.tick_rate.max(1);
    let delivery = args.tutorial.then(|| {
        judge_tutorial(
            stats,
            args.players,
            measured,
            period,
            per_player_rate,
            ticks,
        )
    });
    if let Some(delivery) = &delivery {
        println!(
            "players each bot knew of: {players:.0}; PlayerMessages per client per second, per player: {per_player_rate:.2} ({} when every update arrives)",
            args.tick_rate
        );
        println!(
            "own PlayerMessages a bot: {}–{} of {:.0} ticks due; ticks short {} (at {} bots); their lateness against each bot's tick schedule (from its most punctual) {}; logins asked again after \"busy\": {}",
            delivery.own_range.0,
            delivery.own_range.1,
            measured.as_secs_f64() / period.as_secs_f64(),
            delivery.ticks_short,
            delivery.bots_short,
            delivery.late.human(),
            stats.busy_retries
        );
    } else {
        println!(
            "updates: {} (asked for {}; {} of {} bots' updates extrapolated); {:.3} updates a tick per client ({} ticks without one{})",
            updates.label,
            if args.moves { MOVES } else { "extrapolated" },
            stats.extrapolating,
            stats.entered - stats.references_entered,
            updates.per_tick,
            stats.skipped_ticks,
            if updates.label == MOVES {
                ": lost"
            } else {
                ": nothing in view changed"
            }
        );
        println!(
            "the observing bots' updates carried: {}",
            stats.observed_contents.human(stats.observed_updates)
        );
        if stats.references_entered > 0 {
            let checks = &stats.checks;
            println!(
                "positions checked against {} reference bots' (moves, left out of the figures here): {} agreed, {} differed{}",
                stats.references_entered,
                checks.agreed,
                checks.differed,
                checks
                    .first_difference
                    .as_ref()
                    .map_or(String::new(), |first| format!(" (first: {first})"))
            );
        }
        println!(
            "update lateness against the tick schedule (each update's, from the most punctual): all bots {}; the {} observing bots ({:.1} updates/s each) {}",
            late.human(),
            stats.observers_entered,
            observed_per_second,
            observed_late.human(),
        );
    }
    match ticks {
        Some(ticks) => {
            let ms = |value: Option<f64>| value.map_or("-".to_owned(), |ms| format!("≤ {ms} ms"));
            let mean =
                |value: Option<f64>| value.map_or("-".to_owned(), |ms| format!("{ms:.2} ms"));
            println!(
                "server world ticks while measuring: {} run, {} started more than a period late; tick work mean {}, p50 {}, p99 {}; its CPU on the world's thread mean {}, p50 {}, p99 {} (quantiles: histogram bucket bounds)",
                ticks.ticks,
                ticks.late_ticks,
                mean(ticks.tick_work_mean_ms),
                ms(ticks.tick_work_p50_ms),
                ms(ticks.tick_work_p99_ms),
                mean(ticks.tick_cpu_mean_ms),
                ms(ticks.tick_cpu_p50_ms),
                ms(ticks.tick_cpu_p99_ms)
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
    if let Some(delivery) = &delivery {
        if delivery.failures.is_empty() {
            println!("every update delivered: yes");
        } else {
            println!(
                "every update delivered: no ({})",
                delivery.failures.join("; ")
            );
        }
    }
    emit_json(json!({
        "scenario": "world",
        "url": url.as_str(),
        "players": args.players,
        "entered": stats.entered,
        "worlds": args.worlds,
        "tutorial": args.tutorial,
        "updates": (!args.tutorial).then_some(updates.label),
        "extrapolating_bots": stats.extrapolating,
        "reference_bots": stats.references_entered,
        "positions_agreed": stats.checks.agreed,
        "positions_differed": stats.checks.differed,
        "updates_per_tick": (!args.tutorial).then_some((updates.per_tick * 1_000.0).round() / 1_000.0),
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
        "busy_retries": stats.busy_retries,
        "per_player_updates_s": args.tutorial.then_some((per_player_rate * 100.0).round() / 100.0),
        "ticks_short": delivery.as_ref().map(|delivery| delivery.ticks_short),
        "own_lateness_us": delivery.as_ref().map(|delivery| delivery.late),
        "every_update_delivered": delivery.as_ref().map(|delivery| delivery.failures.is_empty()),
        "server": span.json(common.server_pid, None),
    }));
}

#[cfg(test)]
mod tests {
    use mmo_protocol::packets::{WorldEat, WorldPlayer, WorldSpore};

    use super::*;

    #[test]
    fn observers_are_spread_over_each_worlds_bots() {
        let chosen = |players: u64, observe: u64, worlds: u32| -> Vec<u64> {
            (0..players)
                .filter(|&index| observes(index, players, observe, worlds))
                .collect()
        };
        let one = chosen(2000, 100, 1);
        assert_eq!(one.len(), 100);
        assert_eq!((one[0], one[1], one[99]), (0, 20, 1980), "first to last");
        let ten = chosen(10_000, 100, 10);
        assert_eq!(ten.len(), 100);
        for world in 0..10 {
            let in_world: Vec<u64> = ten.iter().copied().filter(|i| i % 10 == world).collect();
            assert_eq!(in_world.len(), 10, "world {world}");
            assert!(in_world[9] / 10 >= 900, "down to the world's last bots");
        }
        assert_eq!(chosen(50, 100, 1).len(), 50, "all of too few");
        assert!(chosen(50, 0, 1).is_empty());
    }

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
            vx: 0,
            vy: 0,
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
        assert_eq!(view.position(3), Some((8, -8)));
        assert_eq!(view.position(9), Some((-64, 0)));
        assert_eq!(view.players[&9].radius, 480);
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

    /// A player as it enters an extrapolating client's view.
    fn entrant(id: u64, (x, y): (i32, i32), (vx, vy): (i32, i32)) -> WorldPlayer {
        WorldPlayer {
            id,
            name: String::new(),
            x,
            y,
            radius: 160,
            color: 0,
            vx,
            vy,
        }
    }

    /// Players' IDs and positions, by ID.
    type Positions = Vec<(u64, (i64, i64))>;

    /// Extrapolated updates for ticks 2^32 − 3, 2^32 − 2, then (the tick wrapped, three
    /// quiet ticks) 2, then 5 and 6; `positions` says where docs/protocol.md puts each player
    /// after each.
    fn extrapolated_updates() -> Vec<(WorldUpdateMessage, Positions)> {
        vec![
            // A first update: entrants are where they are, nothing before it to catch up.
            (
                WorldUpdateMessage {
                    tick: u32::MAX - 2,
                    players_entered: vec![
                        entrant(1, (0, 0), (10, 0)),
                        entrant(2, (100, 100), (0, -5)),
                    ],
                    ..WorldUpdateMessage::default()
                },
                vec![(1, (0, 0)), (2, (100, 100))],
            ),
            // The next tick: 1 keeps its velocity, 2 moves by its new one.
            (
                WorldUpdateMessage {
                    tick: u32::MAX - 1,
                    velocity_ids: vec![2],
                    velocity_xy: vec![3, 3],
                    ..WorldUpdateMessage::default()
                },
                vec![(1, (10, 0)), (2, (103, 103))],
            ),
            // Tick 2 after 2^32 − 2: three quiet ticks (2^32 − 1, 0, 1), then this tick's
            // step, in which 1 stops (its move is (0, 0)); 3 enters where it is.
            (
                WorldUpdateMessage {
                    tick: 2,
                    players_entered: vec![entrant(3, (500, 500), (-1, 2))],
                    velocity_ids: vec![1],
                    velocity_xy: vec![0, 0],
                    ..WorldUpdateMessage::default()
                },
                vec![(1, (40, 0)), (2, (115, 115)), (3, (500, 500))],
            ),
            // Tick 5: two quiet ticks (a stopped player stays), then 1 leaves, 3 eats 2,
            // which respawns in view (an eat and an entry: where it is now), and 3 turns.
            (
                WorldUpdateMessage {
                    tick: 5,
                    players_left: vec![1],
                    eaten: vec![WorldEat {
                        eater_id: 3,
                        player_id: 2,
                        spore_id: 0,
                    }],
                    players_entered: vec![entrant(2, (-700, 0), (1, 1))],
                    velocity_ids: vec![3],
                    velocity_xy: vec![5, -5],
                    resized_ids: vec![3],
                    resized_radii: vec![200],
                    ..WorldUpdateMessage::default()
                },
                vec![(2, (-700, 0)), (3, (503, 499))],
            ),
            // Tick 6: only a spore came into view; everyone makes this tick's move.
            (
                WorldUpdateMessage {
                    tick: 6,
                    spores_entered: vec![WorldSpore {
                        id: 8,
                        x: 0,
                        y: 0,
                        radius: 40,
                    }],
                    ..WorldUpdateMessage::default()
                },
                vec![(2, (-699, 1)), (3, (508, 494))],
            ),
        ]
    }

    #[test]
    fn a_view_follows_extrapolated_updates_exactly() {
        let mut view = View::new(true);
        for (update, positions) in extrapolated_updates() {
            view.apply(&update);
            let mut held: Positions = view
                .players
                .iter()
                .map(|(&id, held)| (id, (held.x, held.y)))
                .collect();
            held.sort_unstable();
            assert_eq!(held, positions, "after tick {}", update.tick);
        }
        assert_eq!(view.players[&3].radius, 200);
        assert_eq!(view.spores.len(), 1);
    }

    #[test]
    fn a_view_knows_positions_between_its_updates() {
        let mut view = View::new(true);
        let updates = extrapolated_updates();
        for (update, _) in &updates[..3] {
            view.apply(update);
        }
        // Held at tick 2; the next update is for tick 5: ticks 2–4 are known.
        assert_eq!(view.sample_before(5, 4), Some(4));
        assert_eq!(
            view.sample_before(4, 4),
            None,
            "tick 4 is the next update's"
        );
        assert_eq!(view.sample_before(3, 2), Some(2), "the update's own tick");
        let mut at_4: Positions = view.positions_at(4).collect();
        at_4.sort_unstable();
        assert_eq!(at_4, vec![(1, (40, 0)), (2, (121, 121)), (3, (498, 504))]);
        view.tick = Some(u32::MAX - 1);
        assert_eq!(view.sample_before(10, 4), Some(0), "across the wrap");
    }

    #[test]
    fn extrapolated_positions_are_compared_with_a_references_whenever_it_comes() {
        let mut checks = PositionChecks::default();
        checks.note(0, 20, 7, (1, 2), false);
        checks.note(0, 20, 7, (1, 2), false);
        checks.note(0, 20, 8, (5, 5), false);
        assert_eq!((checks.agreed, checks.differed), (0, 0), "no reference yet");
        checks.note(0, 20, 7, (1, 2), true);
        checks.note(0, 20, 8, (5, 6), true);
        checks.note(0, 20, 7, (1, 2), false);
        checks.note(1, 20, 7, (9, 9), false);
        assert_eq!((checks.agreed, checks.differed), (3, 1));
        assert_eq!(
            checks.first_difference.as_deref(),
            Some("player 8 at tick 20: extrapolated (5, 5), moves (5, 6)")
        );
    }

    #[test]
    fn references_are_spread_over_each_worlds_observers() {
        let chosen = |players: u64, observe: u64, worlds: u32, references: u64| -> Vec<u64> {
            (0..players)
                .filter(|&index| {
                    observes(index, players, observe, worlds)
                        && is_reference(index, observe, worlds, references, players)
                })
                .collect()
        };
        assert_eq!(chosen(2000, 100, 1, 5), vec![200, 600, 1000, 1400, 1800]);
        let per_world = chosen(10_000, 100, 10, 5);
        assert_eq!(per_world.len(), 10);
        let worlds: std::collections::BTreeSet<u64> =
            per_world.iter().map(|index| index % 10).collect();
        assert_eq!(worlds.len(), 10, "one in each world");
        assert!(chosen(2000, 100, 1, 0).is_empty());
        assert_eq!(chosen(2, 2, 1, 5), vec![1], "one of too few");
    }

    #[test]
    fn a_bot_following_only_itself_agrees_with_a_whole_view() {
        use prost::Message as _;

        let mut whole = View::new(true);
        let mut own = View::new(true);
        for (update, _) in extrapolated_updates() {
            whole.apply(&update);
            let bytes = Packet {
                sender_id: 0,
                msg: Some(Msg::WorldUpdate(Box::new(update))),
            }
            .encode_to_vec();
            let Some(Scanned::Update(inner)) = scan_packet(&bytes) else {
                panic!("not an update");
            };
            own.apply(&scan_update(inner, 3).expect("an update"));
            assert_eq!(own.position(3), whole.position(3));
        }
        assert_eq!(own.position(3), Some((508, 494)));
    }

    #[test]
    fn contents_count_the_updates_carrying_each_kind_of_change() {
        let mut contents = Contents::default();
        for (update, _) in extrapolated_updates() {
            contents.add(&update);
        }
        assert_eq!(
            contents.human(5),
            "velocities 60 %, resizes 20 %, players in/out 60 %, spores in/out 20 %, eats 20 %"
        );
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
    fn a_tutorial_bot_is_short_when_it_got_fewer_own_updates_than_ticks_due_less_one() {
        let period = Duration::from_millis(50);
        let measured = Duration::from_millis(20_010);
        assert_eq!(ticks_short(401, measured, period), 0);
        assert_eq!(ticks_short(400, measured, period), 0, "one a tick");
        assert_eq!(ticks_short(399, measured, period), 0, "one off at the ends");
        assert_eq!(ticks_short(398, measured, period), 1);
        assert_eq!(ticks_short(0, measured, period), 399);
    }

    #[test]
    fn busy_answers_back_off_doubling_with_jitter_up_to_the_most() {
        let mut backoff = Backoff::new(7);
        let mut most = BUSY_BACKOFF_FIRST;
        for _ in 0..10 {
            let wait = backoff.wait();
            assert!(wait >= most / 2 && wait <= most, "{wait:?} of {most:?}");
            most = (most * 2).min(BUSY_BACKOFF_MAX);
        }
        assert_eq!(most, BUSY_BACKOFF_MAX);
    }

    #[test]
    fn lateness_counts_from_the_most_punctual_update_of_each_world() {
        let offsets = HashMap::from([(0, vec![5_000_000, 2_000_000, 3_000_000]), (1, vec![9_000])]);
        let late = lateness(offsets.values()).summary();
        assert_eq!(late.count, 4);
        assert!(late.max_us >= 2_990 && late.max_us <= 3_010, "{late:?}");
    }
}
