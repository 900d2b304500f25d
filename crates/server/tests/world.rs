//! The world against a real server on 127.0.0.1:0: this project's clients (enter, one update
//! per tick, views, server-decided eating, ignored claims and non-finite directions, leaving,
//! changing rooms, a reader that stops reading) and the tutorial's client (fields 1–19 only:
//! its own player after the login's Ok, every spore, every player, claims checked, logout),
//! best scores kept across reconnects, and the hiscore board.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use common::{Client, TestServer, WAIT};
use mmo_accounts::Accounts;
use mmo_protocol::packets::{
    EnterWorldMessage, FinishedBrowsingHiscoresMessage, HiscoreBoardRequestMessage,
    LeaveWorldMessage, PlayerConsumedMessage, PlayerDirectionMessage, SearchHiscoreMessage,
    SporeConsumedMessage, WorldUpdateMessage,
};
use mmo_protocol::{LoginRequestMessage, Msg, Packet, RegisterRequestMessage};
use mmo_server::{Config, Services};

const PASSWORD: &str = "correct horse battery";

fn packet(msg: Msg) -> Packet {
    Packet {
        sender_id: 0,
        msg: Some(msg),
    }
}

fn enter() -> Packet {
    enter_asking(false)
}

/// The ask to play, for updates extrapolated or not.
fn enter_asking(extrapolate: bool) -> Packet {
    packet(Msg::EnterWorld(EnterWorldMessage { extrapolate }))
}

fn steer(direction: f64) -> Packet {
    packet(Msg::PlayerDirection(PlayerDirectionMessage { direction }))
}

/// What one of our clients knows of its world, built from its updates as a client does.
#[derive(Default, Debug)]
struct View {
    /// Player ID → (x, y, radius) in wire units.
    players: HashMap<u64, (i32, i32, u32)>,
    /// Spore ID → (x, y, radius).
    spores: HashMap<u64, (i32, i32, u32)>,
    /// The last tick seen.
    tick: Option<u32>,
    /// (eater, player, spore) of every eat seen.
    eats: Vec<(u64, u64, u64)>,
    score: u64,
    best_score: u64,
    view_half: (u32, u32),
    leaderboard_players: u32,
    spores_left: usize,
    spores_entered: usize,
    /// An extrapolating client's: each player's velocity (wire units a tick).
    extrapolating: bool,
    velocities: HashMap<u64, (i32, i32)>,
}

impl View {
    fn apply(&mut self, update: &WorldUpdateMessage) {
        // An extrapolating client first moves everything by the ticks it was not sent
        // (docs/protocol.md, "Extrapolated updates").
        let mut held_before = Vec::new();
        if self.extrapolating {
            assert!(update.moved_ids.is_empty(), "no moves when extrapolating");
            let gap = self.tick.map_or(1, |last| update.tick.wrapping_sub(last));
            let gap = i32::try_from(gap).expect("a gap of a few ticks") - 1;
            for (id, known) in &mut self.players {
                let (vx, vy) = self.velocities[id];
                known.0 += vx * gap;
                known.1 += vy * gap;
            }
            held_before.extend(self.players.keys().copied());
        } else {
            assert!(update.velocity_ids.is_empty(), "velocities only when asked");
        }
        for id in &update.players_left {
            assert!(self.players.remove(id).is_some(), "player {id} left unseen");
        }
        for id in &update.spores_left {
            assert!(self.spores.remove(id).is_some(), "spore {id} left unseen");
        }
        self.spores_left += update.spores_left.len();
        self.spores_entered += update.spores_entered.len();
        for eat in &update.eaten {
            self.eats.push((eat.eater_id, eat.player_id, eat.spore_id));
            if eat.spore_id != 0 {
                assert!(self.spores.remove(&eat.spore_id).is_some());
            } else {
                assert!(self.players.remove(&eat.player_id).is_some());
            }
        }
        for player in &update.players_entered {
            let known = self
                .players
                .insert(player.id, (player.x, player.y, player.radius));
            assert!(known.is_none(), "player {} entered twice", player.id);
            self.velocities.insert(player.id, (player.vx, player.vy));
            held_before.retain(|id| *id != player.id);
        }
        for spore in &update.spores_entered {
            let known = self
                .spores
                .insert(spore.id, (spore.x, spore.y, spore.radius));
            assert!(known.is_none(), "spore {} entered twice", spore.id);
        }
        let moved = mmo_world::encode::decode_ids(&update.moved_ids);
        assert_eq!(moved.len() * 2, update.moved_xy.len());
        for (index, id) in moved.iter().enumerate() {
            let entry = self.players.get_mut(id).expect("a moved player is in view");
            entry.0 += update.moved_xy[2 * index];
            entry.1 += update.moved_xy[2 * index + 1];
        }
        let steered = mmo_world::encode::decode_ids(&update.velocity_ids);
        assert_eq!(steered.len() * 2, update.velocity_xy.len());
        for (index, id) in steered.iter().enumerate() {
            assert!(held_before.contains(id), "a steered player was in view");
            let velocity = (
                update.velocity_xy[2 * index],
                update.velocity_xy[2 * index + 1],
            );
            self.velocities.insert(*id, velocity);
        }
        for id in held_before {
            if let Some(known) = self.players.get_mut(&id) {
                let (vx, vy) = self.velocities[&id];
                known.0 += vx;
                known.1 += vy;
            }
        }
        self.velocities
            .retain(|id, _| self.players.contains_key(id));
        let resized = mmo_world::encode::decode_ids(&update.resized_ids);
        for (id, radius) in resized.iter().zip(&update.resized_radii) {
            self.players.get_mut(id).expect("in view").2 = *radius;
        }
        if let Some(own) = &update.own {
            self.score = own.score;
            self.best_score = own.best_score;
            self.view_half = (own.view_half_width, own.view_half_height);
        }
        if let Some(board) = &update.leaderboard {
            self.leaderboard_players = board.players;
        }
        self.tick = Some(update.tick);
    }
}

/// How far from the centre of a view of half-size `half` (world units) a spore of `radius`
/// (wire units) may still be held, in wire units. A spore leaves once no part of it is within
/// the view grown by the lead (60) and the margin (64), but only when the view is next compared
/// with the grid, and a view is compared again before it has moved the lead since the last
/// comparison: the view may by then be up to 60 units further on.
fn spore_reach(half: u32, radius: u32) -> i32 {
    i32::try_from((half + 60 + 64 + 60) * 8 + radius).expect("a view's reach fits an i32")
}

/// A player's standing just before it ate a spore.
struct Eaten {
    score_before: u64,
    radius_before: u32,
    /// Whether it also dropped a spore in the same tick, which may undo the growth.
    dropped: bool,
}

/// One of our clients in the lobby's world: it has its `WorldEnteredMessage`.
struct Player {
    client: Client,
    view: View,
}

impl Player {
    async fn enter(server: &TestServer) -> Self {
        Self::enter_asking(server, false).await
    }

    /// One whose updates are extrapolated or not, as it asks.
    async fn enter_asking(server: &TestServer, extrapolate: bool) -> Self {
        let mut client = Client::full(server).await;
        client.send_packet(&enter_asking(extrapolate)).await;
        loop {
            let packet = client.recv().await;
            match packet.msg {
                Some(Msg::WorldEntered(entered)) => {
                    assert_eq!(entered.room, "lobby");
                    assert_eq!(entered.player_id, client.id);
                    assert_eq!(entered.tick_rate, 20);
                    assert_eq!(entered.position_scale, 8);
                    assert_eq!(entered.extrapolating, extrapolate);
                    break;
                }
                Some(Msg::Presence(_)) => continue,
                other => panic!("expected WorldEntered, got {other:?}"),
            }
        }
        Self {
            client,
            view: View {
                extrapolating: extrapolate,
                ..View::default()
            },
        }
    }

    /// The next update (presence and chat of others skipped), applied to the view.
    async fn update(&mut self) -> WorldUpdateMessage {
        loop {
            let packet = self.client.recv().await;
            match packet.msg {
                Some(Msg::WorldUpdate(update)) => {
                    if let Some(last) = self.view.tick {
                        assert!(
                            update.tick > last,
                            "one update per tick: {} after {last}",
                            update.tick
                        );
                    }
                    self.view.apply(&update);
                    return *update;
                }
                Some(Msg::Presence(_) | Msg::Chat(_)) => continue,
                other => panic!("expected a WorldUpdate, got {other:?}"),
            }
        }
    }

    /// Reads updates until `done` holds for the view; fails after `WAIT`.
    async fn until(&mut self, mut done: impl FnMut(&View) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !done(&self.view) {
            assert!(tokio::time::Instant::now() < deadline, "{:?}", self.view);
            self.update().await;
        }
    }

    fn me(&self) -> (i32, i32, u32) {
        self.view.players[&self.client.id]
    }

    /// Steers towards the spore nearest to it in view; its ID.
    async fn steer_to_nearest_spore(&mut self) -> u64 {
        let (x, y, _) = self.me();
        let distance =
            |&(sx, sy, _): &(i32, i32, u32)| (f64::from(sx - x)).hypot(f64::from(sy - y));
        let (&id, spore) = self
            .view
            .spores
            .iter()
            .min_by(|a, b| distance(a.1).total_cmp(&distance(b.1)))
            .expect("spores in view");
        let direction = f64::from(spore.1 - y).atan2(f64::from(spore.0 - x));
        self.client.send_packet(&steer(direction)).await;
        id
    }

    /// Steers to spores until the server says it ate one; its standing just before.
    async fn eat_a_spore(&mut self) -> Eaten {
        let me = self.client.id;
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut ticks = 0;
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no spore eaten: {:?}",
                self.view
            );
            if ticks % 10 == 0 {
                self.steer_to_nearest_spore().await;
            }
            let (score_before, radius_before) = (self.view.score, self.me().2);
            let update = self.update().await;
            ticks += 1;
            if update
                .eaten
                .iter()
                .any(|eat| eat.eater_id == me && eat.spore_id != 0)
            {
                // A drop is a spore born under its dropper.
                let (x, y, radius) = self.me();
                let dropped = update.spores_entered.iter().any(|spore| {
                    f64::from(spore.x - x).hypot(f64::from(spore.y - y)) < f64::from(radius)
                });
                return Eaten {
                    score_before,
                    radius_before,
                    dropped,
                };
            }
        }
    }
}

#[tokio::test]
async fn our_client_enters_and_gets_one_update_per_tick_with_its_view() {
    let server = TestServer::start(TestServer::unlimited()).await;
    let mut player = Player::enter(&server).await;
    let first = player.update().await;
    // The first update brings the own player and what is around it, and the own state.
    assert!(
        first
            .players_entered
            .iter()
            .any(|p| p.id == player.client.id),
        "{first:?}"
    );
    let own = first.own.expect("the own state comes first");
    // round(π·20²), or more when it spawned on a spore (spawns avoid players only) and ate
    // it in its first tick; the score, less when it dropped a spore in that tick.
    assert!(own.best_score >= 1_257, "{own:?}");
    assert!(own.best_score >= own.score, "{own:?}");
    assert!(first.leaderboard.is_some());
    let (x, y, radius) = player.me();
    // 20 in eighths: more when it ate a spore under it, a little less (19.26) when it dropped one.
    assert!(radius >= 154, "radius about 160 in eighths: {radius}");
    // 800 × 450 at radius 20 (and below), growing with √(r/20).
    let zoom = (f64::from(radius) / 160.0).sqrt().max(1.0);
    let expected = |half: f64| (half * zoom).ceil();
    // (Within a unit: the radius here is rounded to an eighth.)
    assert!(
        (f64::from(own.view_half_width) - expected(800.0)).abs() <= 1.0,
        "{own:?}"
    );
    assert!(
        (f64::from(own.view_half_height) - expected(450.0)).abs() <= 1.0,
        "{own:?}"
    );
    assert!(x.abs() <= 3_000 * 8 && y.abs() <= 3_000 * 8);
    // Every spore sent is within reach of the view (see `spore_reach`).
    for (sx, sy, radius) in player.view.spores.values() {
        let reach = |half: u32| spore_reach(half, *radius);
        assert!((sx - x).abs() <= reach(own.view_half_width), "{sx} vs {x}");
        assert!((sy - y).abs() <= reach(own.view_half_height), "{sy} vs {y}");
    }
    // Steering right: each tick moves the own player by at most 7.5 units (60 eighths), and
    // the ticks are consecutive and one message each.
    player.client.send_packet(&steer(0.0)).await;
    let mut moved = 0;
    let start = player.me();
    let mut last_tick = player.view.tick.unwrap();
    while moved < 10 {
        let update = player.update().await;
        assert_eq!(update.tick, last_tick + 1, "no tick skipped while it reads");
        last_tick = update.tick;
        let ids = mmo_world::encode::decode_ids(&update.moved_ids);
        if let Some(index) = ids.iter().position(|id| *id == player.client.id) {
            let dx = update.moved_xy[2 * index];
            // 7.5 units a tick on time; a late tick integrates its real time (at most 0.25 s).
            assert!((1..=300).contains(&dx), "{dx}");
            assert_eq!(update.moved_xy[2 * index + 1], 0);
            moved += 1;
        }
    }
    let end = player.me();
    assert!(end.0 > start.0, "it moved right");
    assert_eq!(end.1, start.1);
    assert_eq!(server.metric("mmo_world_players").await, 1);
    assert_eq!(server.metric("mmo_worlds").await, 1);
    assert!(server.metric("mmo_world_ticks_total").await >= 10);
    assert!(server.metric("mmo_world_update_bytes_total").await > 0);
    assert!(server.metric("mmo_world_tick_work_seconds_count").await >= 10);
    // The ticking thread's CPU clock is read for every tick too.
    assert!(server.metric("mmo_world_tick_cpu_seconds_count").await >= 10);
    // Late ticks are exported (how many depends on the machine's load: not asserted; the
    // rule is runner.rs's `schedule`, tested there), and every tick's work is in a bucket.
    let late = server.metric("mmo_world_late_ticks_total").await;
    assert!(late <= server.metric("mmo_world_ticks_total").await);
    assert!(
        server
            .metric("mmo_world_tick_work_seconds_bucket{le=\"+Inf\"}")
            .await
            >= 10
    );
}

/// A client that asks for extrapolated updates is told its players' velocities when they
/// change and nothing while they keep them; one that does not is still told every move.
#[tokio::test]
async fn an_extrapolating_client_is_told_velocities_not_moves() {
    let server = TestServer::start(TestServer::unlimited()).await;
    let mut player = Player::enter_asking(&server, true).await;
    let mut other = Player::enter(&server).await;
    let me = player.client.id;
    player.until(|view| view.players.contains_key(&me)).await;
    // Steering right, then up: each time, one velocity change of its own player, 7.5 units
    // a tick (60 eighths) along the heading, then silence about it while it keeps it.
    for (direction, velocity) in [(0.0, (60, 0)), (std::f64::consts::FRAC_PI_2, (0, 60))] {
        player.client.send_packet(&steer(direction)).await;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            assert!(tokio::time::Instant::now() < deadline, "{:?}", player.view);
            let update = player.update().await;
            let steered = mmo_world::encode::decode_ids(&update.velocity_ids);
            let Some(index) = steered.iter().position(|id| *id == me) else {
                continue;
            };
            let told = (
                update.velocity_xy[2 * index],
                update.velocity_xy[2 * index + 1],
            );
            // A tick that came late moves it by its catching up once, then back.
            if told == velocity {
                break;
            }
        }
        let at = player.me();
        let tick = player.view.tick.expect("updated");
        // It keeps that velocity: the next updates (made of other news) never name it.
        for _ in 0..5 {
            let update = player.update().await;
            let steered = mmo_world::encode::decode_ids(&update.velocity_ids);
            if steered.contains(&me) {
                // Only a late tick's catching up (a double move) and its end.
                continue;
            }
            assert_eq!(player.view.velocities[&me], velocity);
        }
        let ticks = i32::try_from(player.view.tick.expect("updated") - tick).expect("few");
        let now = player.me();
        if (now.0 - at.0, now.1 - at.1) == (velocity.0 * ticks, velocity.1 * ticks) {
            continue;
        }
        // Not in a straight line only when a tick came late and caught up.
        assert!(server.metric("mmo_world_late_ticks_total").await > 0);
    }
    // The other client, which did not ask, is sent moves as before.
    other.client.send_packet(&steer(0.0)).await;
    let other_id = other.client.id;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        assert!(tokio::time::Instant::now() < deadline, "{:?}", other.view);
        let update = other.update().await;
        if mmo_world::encode::decode_ids(&update.moved_ids).contains(&other_id) {
            break;
        }
    }
}

async fn accounts_server(dir: &tempfile::TempDir, config: Config) -> TestServer {
    let config = Config {
        database: format!("sqlite://{}/mmo.db", dir.path().display()),
        chat_rate: 0.0,
        ..config
    };
    let accounts = Accounts::start(&mmo_server::account_settings(&config)).unwrap();
    assert!(accounts.wait_available(WAIT).await, "the database answers");
    TestServer::start_with(
        config,
        Services {
            accounts: Some(Arc::new(accounts)),
            ..Services::default()
        },
    )
    .await
}

/// A tutorial client: registers and logs in as `username` (fields 4 and 5 only) and reads
/// the two Oks; returns it with everything it got after.
async fn tutorial_player(server: &TestServer, username: &str) -> Client {
    let mut client = Client::connect(server).await;
    client
        .send_packet(&packet(Msg::RegisterRequest(RegisterRequestMessage {
            username: username.into(),
            password: PASSWORD.into(),
            color: -1,
        })))
        .await;
    let ok = client.recv().await;
    assert!(matches!(ok.msg, Some(Msg::OkResponse(_))), "{ok:?}");
    client
        .send_packet(&packet(Msg::LoginRequest(LoginRequestMessage {
            username: username.into(),
            password: PASSWORD.into(),
        })))
        .await;
    let ok = client.recv().await;
    assert!(matches!(ok.msg, Some(Msg::OkResponse(_))), "{ok:?}");
    client
}

/// Reads a tutorial client's packets for `window`, asserting each is of fields 1–19.
async fn tutorial_reads(client: &mut Client, window: Duration) -> Vec<Packet> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + window;
    while let Some(packet) = client
        .try_recv(deadline.saturating_duration_since(tokio::time::Instant::now()))
        .await
    {
        let number = packet.msg.as_ref().map_or(0, Msg::field_number);
        assert!(
            (1..=19).contains(&number),
            "field {number} reached a tutorial client: {packet:?}"
        );
        got.push(packet);
    }
    got
}

#[tokio::test]
async fn the_tutorials_client_plays_after_its_login_with_fields_1_to_19_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(&dir, Config::default()).await;
    let mut tutorial = tutorial_player(&server, "Tutorial").await;
    // First its own player (radius 20, speed 150, direction 0, its colour), then spores.
    let own = tutorial.recv().await;
    let Some(Msg::Player(me)) = own.msg else {
        panic!("expected its own Player, got {own:?}");
    };
    assert_eq!((own.sender_id, me.id), (tutorial.id, tutorial.id));
    assert_eq!(
        (me.name.as_str(), me.radius, me.speed, me.direction),
        ("Tutorial", 20.0, 150.0, 0.0)
    );
    assert_eq!(me.color, -1);
    let got = tutorial_reads(&mut tutorial, Duration::from_millis(1_500)).await;
    let mut spores = HashSet::new();
    for packet in &got {
        if let Some(Msg::SporesBatch(batch)) = &packet.msg {
            assert!(!batch.spores.is_empty() && batch.spores.len() <= 20);
            for spore in &batch.spores {
                assert!(spore.id != 0 && spore.radius >= 5.0, "{spore:?}");
                assert!(spores.insert(spore.id), "spore {} twice", spore.id);
            }
        }
    }
    assert!(
        spores.len() >= 990,
        "every spore of the world: {}",
        spores.len()
    );
    // Its own player comes every tick even before it steers (it exists).
    let own_updates = got
        .iter()
        .filter(|p| matches!(&p.msg, Some(Msg::Player(pl)) if pl.id == tutorial.id))
        .count();
    assert!(own_updates >= 20, "{own_updates} own updates in 1.5 s");
    // One of ours enters: the tutorial client sees its Player messages, never anything ≥ 100.
    let ours = Player::enter(&server).await;
    let got = tutorial_reads(&mut tutorial, Duration::from_millis(500)).await;
    assert!(
        got.iter()
            .any(|p| matches!(&p.msg, Some(Msg::Player(pl)) if pl.id == ours.client.id && p.sender_id == ours.client.id)),
        "our player is seen by the tutorial's client"
    );
    // Steering moves it; a NaN direction is ignored.
    tutorial
        .send_packet(&steer(std::f64::consts::FRAC_PI_2))
        .await;
    tutorial.send_packet(&steer(f64::NAN)).await;
    let got = tutorial_reads(&mut tutorial, Duration::from_millis(500)).await;
    let mine: Vec<_> = got
        .iter()
        .filter_map(|p| match &p.msg {
            Some(Msg::Player(pl)) if pl.id == tutorial.id => Some(pl.clone()),
            _ => None,
        })
        .collect();
    let (first, last) = (mine.first().unwrap(), mine.last().unwrap());
    assert!(last.y > first.y, "it moves down: {first:?} → {last:?}");
    assert!(
        (last.x - first.x).abs() < 1e-6,
        "straight down: {first:?} → {last:?}"
    );
    assert!(last.direction.is_finite(), "{last:?}");
    assert!((last.speed - 150.0).abs() < 1e-9, "{last:?}");
    // A forged claim of a spore far away, and of our player (bigger mass needed): refused
    // without a word, and the tutorial player does not grow.
    tutorial
        .send_packet(&packet(Msg::SporeConsumed(SporeConsumedMessage {
            spore_id: *spores.iter().next().unwrap(),
        })))
        .await;
    tutorial
        .send_packet(&packet(Msg::PlayerConsumed(PlayerConsumedMessage {
            player_id: ours.client.id,
        })))
        .await;
    let got = tutorial_reads(&mut tutorial, Duration::from_millis(300)).await;
    for packet in &got {
        assert!(
            !matches!(
                packet.msg,
                Some(Msg::DenyResponse(_) | Msg::SporeConsumed(_) | Msg::PlayerConsumed(_))
            ),
            "{packet:?}"
        );
        if let Some(Msg::Player(pl)) = &packet.msg {
            if pl.id == tutorial.id {
                assert!(
                    (pl.radius - 20.0).abs() < 1e-9 || pl.radius < 20.0,
                    "{pl:?}"
                );
            }
        }
    }
    // Logging out: it gets its ID again, and its Player messages stop.
    tutorial
        .send_packet(&packet(Msg::Disconnect(mmo_protocol::DisconnectMessage {
            reason: "logged out".into(),
        })))
        .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        assert!(tokio::time::Instant::now() < deadline);
        let packet = tutorial.recv().await;
        if let Some(Msg::Id(id)) = packet.msg {
            assert_eq!(id.id, tutorial.id);
            break;
        }
    }
    let got = tutorial_reads(&mut tutorial, Duration::from_millis(300)).await;
    assert!(
        got.iter()
            .all(|p| !matches!(&p.msg, Some(Msg::Player(pl)) if pl.id == tutorial.id)),
        "nothing of itself after its logout"
    );
    drop(ours);
}

#[tokio::test]
async fn the_server_decides_eating_and_ignores_claims_and_bad_directions() {
    let server = TestServer::start(TestServer::unlimited()).await;
    let mut player = Player::enter(&server).await;
    let mut other = Player::enter(&server).await;
    player.update().await;
    other.update().await;
    // Directions that are not numbers, and a claim (ours are never trusted): nothing moves,
    // nothing is eaten.
    let start = player.me();
    let eats_before = player.view.eats.len();
    let claimed = *player.view.spores.keys().next().expect("spores in view");
    for direction in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        player.client.send_packet(&steer(direction)).await;
    }
    player
        .client
        .send_packet(&packet(Msg::SporeConsumed(SporeConsumedMessage {
            spore_id: claimed,
        })))
        .await;
    for _ in 0..5 {
        // A player that does not move and sees nothing change gets no update: wait by time.
        if let Some(packet) = player.client.try_recv(Duration::from_millis(100)).await {
            if let Some(Msg::WorldUpdate(update)) = packet.msg {
                player.view.apply(&update);
            }
        }
    }
    // Its radius may have shrunk meanwhile: a player drops spores at random (the rules).
    assert_eq!(
        (player.me().0, player.me().1),
        (start.0, start.1),
        "not moved by a direction that is not a number"
    );
    assert!(
        player.view.spores.contains_key(&claimed),
        "a claim of ours eats nothing"
    );
    // (The other player may have spawned on a spore and eaten it in view.)
    assert!(
        player.view.eats[eats_before..]
            .iter()
            .all(|(eater, ..)| *eater != player.client.id),
        "{:?}",
        player.view.eats
    );
    // The leaderboard counts both players whatever either sees.
    player.until(|view| view.leaderboard_players == 2).await;
    // Steering onto a spore: the server eats it and says so; the score and radius grow.
    // (Spores it dropped meanwhile may have taken it below where it started, and it may drop
    // one in the very tick it eats: only an eat alone must show growth.)
    let eaten = player.eat_a_spore().await;
    if !eaten.dropped {
        assert!(player.view.score > eaten.score_before, "{:?}", player.view);
        assert!(
            player.me().2 > eaten.radius_before,
            "it grew: {:?}",
            player.me()
        );
    }
    assert!(player.view.best_score >= player.view.score);
    // Moving on, spores leave the view behind it and enter ahead; what the view holds stays
    // within reach of the view (see `spore_reach`).
    // At least 60 ticks (450 units), and on until the view has both lost and gained a spore:
    // how soon depends on where the spores happen to lie (at most 400 ticks, 3,000 units).
    player.client.send_packet(&steer(0.0)).await;
    for moved in 0..400 {
        player.update().await;
        if moved >= 60 && player.view.spores_left > 0 && player.view.spores_entered > 0 {
            break;
        }
    }
    assert!(
        player.view.spores_left > 0 && player.view.spores_entered > 0,
        "{:?}",
        player.view
    );
    let (x, y, _) = player.me();
    let (half_width, half_height) = player.view.view_half;
    for (sx, sy, radius) in player.view.spores.values() {
        let reach = |half: u32| spore_reach(half, *radius);
        assert!((sx - x).abs() <= reach(half_width), "{sx} vs {x}");
        assert!((sy - y).abs() <= reach(half_height), "{sy} vs {y}");
    }
    // Leaving: WorldLeft, and no update after it.
    player
        .client
        .send_packet(&packet(Msg::LeaveWorld(LeaveWorldMessage {})))
        .await;
    loop {
        let packet = player.client.recv().await;
        match packet.msg {
            Some(Msg::WorldLeft(left)) => {
                assert_eq!(left.reason, "");
                break;
            }
            Some(Msg::WorldUpdate(_) | Msg::Presence(_)) => continue,
            other => panic!("expected WorldLeft, got {other:?}"),
        }
    }
    if let Some(packet) = player.client.try_recv(Duration::from_millis(300)).await {
        assert!(
            !matches!(packet.msg, Some(Msg::WorldUpdate(_))),
            "{packet:?}"
        );
    }
    // Changing rooms leaves the world first.
    other
        .client
        .send_packet(&mmo_protocol::Packet::join_room("elsewhere"))
        .await;
    let mut left = false;
    loop {
        let packet = other.client.recv().await;
        match packet.msg {
            Some(Msg::WorldLeft(world_left)) => {
                assert_eq!(world_left.reason, "changed rooms");
                left = true;
            }
            Some(Msg::Room(room)) => {
                assert!(left, "WorldLeft before the RoomMessage");
                assert_eq!(room.room, "elsewhere");
                break;
            }
            Some(Msg::WorldUpdate(_) | Msg::Presence(_)) => assert!(!left, "{packet:?}"),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn a_reader_that_stops_reading_is_closed_as_too_slow_and_the_ticks_go_on() {
    let server = TestServer::start(Config {
        outbound_queue_bytes: 8 * 1024,
        socket_send_buffer_bytes: 4 * 1024,
        world_input_rate: 0.0,
        // Time for the stalled client to read up to the close frame once it reads again.
        close_timeout: Duration::from_secs(20),
        ..TestServer::unlimited()
    })
    .await;
    let mut watcher = Player::enter(&server).await;
    watcher.client.send_packet(&steer(1.0)).await;
    // The watcher reads every tick while the other one stalls, and must see each tick.
    let watching = tokio::spawn(async move {
        let mut ticks = Vec::new();
        let end = tokio::time::Instant::now() + Duration::from_secs(5);
        while tokio::time::Instant::now() < end {
            ticks.push(watcher.update().await.tick);
        }
        ticks
    });
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4 * 1024).unwrap();
    let mut stalled =
        common::RawClient::connect_with(socket.connect(server.addr).await.unwrap()).await;
    let binary = 0x82;
    stalled
        .send_frame(
            binary,
            &mmo_protocol::Message::encode_to_vec(&Packet::join_room("")),
        )
        .await;
    // It never reads; it enters and leaves, and each entry brings its whole new view.
    let enter = mmo_protocol::Message::encode_to_vec(&enter());
    let leave =
        mmo_protocol::Message::encode_to_vec(&packet(Msg::LeaveWorld(LeaveWorldMessage {})));
    for _ in 0..60 {
        stalled.send_frame(binary, &enter).await;
        tokio::time::sleep(Duration::from_millis(60)).await;
        stalled.send_frame(binary, &leave).await;
    }
    let ticks = watching.await.unwrap();
    assert!(ticks.len() >= 20, "{ticks:?}");
    assert!(
        ticks.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "the watcher got every tick: {ticks:?}"
    );
    // Now it reads: what was in flight, then the close.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let frames = common::parse_server_frames(&stalled.received);
        if let Some((_, payload)) = frames.iter().find(|(first, _)| first & 0x0F == 0x8) {
            assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), 1008);
            let reason = String::from_utf8_lossy(&payload[2..]);
            assert!(reason.starts_with("too slow"), "{reason}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no close frame");
        let mut chunk = vec![0u8; 64 * 1024];
        use tokio::io::AsyncReadExt as _;
        let n = tokio::time::timeout(WAIT, stalled.stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "the connection ended before its close frame");
        stalled.received.extend_from_slice(&chunk[..n]);
    }
}

/// Registers and logs in `username` on one of our clients.
async fn our_login(client: &mut Client, username: &str) {
    for request in [
        packet(Msg::RegisterRequest(RegisterRequestMessage {
            username: username.into(),
            password: PASSWORD.into(),
            color: 0x3366_99FF,
        })),
        packet(Msg::LoginRequest(LoginRequestMessage {
            username: username.into(),
            password: PASSWORD.into(),
        })),
    ] {
        client.send_packet(&request).await;
        loop {
            let answer = client.recv().await;
            match answer.msg {
                Some(Msg::OkResponse(_)) => break,
                // Registering a name taken by an earlier run of this test's flow.
                Some(Msg::DenyResponse(deny)) if deny.reason == "User already exists" => break,
                Some(Msg::Presence(_)) => continue,
                other => panic!("{other:?}"),
            }
        }
    }
}

async fn entered_player(server: &TestServer, username: &str) -> Player {
    let mut client = Client::full(server).await;
    our_login(&mut client, username).await;
    client.send_packet(&enter()).await;
    loop {
        let packet = client.recv().await;
        match packet.msg {
            Some(Msg::WorldEntered(_)) => break,
            Some(Msg::Presence(_)) => continue,
            other => panic!("{other:?}"),
        }
    }
    Player {
        client,
        view: View::default(),
    }
}

/// The board a request (or a search) gets: (rank, name, score) rows, or the refusal.
async fn board(client: &mut Client, request: Packet) -> Result<Vec<(u64, String, u64)>, String> {
    client.send_packet(&request).await;
    loop {
        let answer = client.recv().await;
        match answer.msg {
            Some(Msg::HiscoreBoard(board)) => {
                return Ok(board
                    .hiscores
                    .into_iter()
                    .map(|row| (row.rank, row.name, row.score))
                    .collect());
            }
            Some(Msg::DenyResponse(deny)) => return Err(deny.reason),
            Some(
                Msg::Presence(_)
                | Msg::WorldUpdate(_)
                | Msg::Player(_)
                | Msg::Spore(_)
                | Msg::SporesBatch(_)
                | Msg::SporeConsumed(_)
                | Msg::PlayerConsumed(_)
                | Msg::Disconnect(_),
            ) => continue,
            other => panic!("{other:?}"),
        }
    }
}

fn search(name: &str) -> Packet {
    packet(Msg::SearchHiscore(SearchHiscoreMessage {
        name: name.into(),
    }))
}

#[tokio::test]
async fn best_scores_outlive_the_session_and_the_server_and_make_the_board() {
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(&dir, Config::default()).await;
    let mut alice = entered_player(&server, "Alice").await;
    alice.update().await;
    // Its drops may take it below its start, so it may take more than one spore to pass it.
    while alice.view.best_score <= 1_257 {
        alice.eat_a_spore().await;
    }
    let best = alice.view.best_score;
    // Stopped at once: the best is written by the shutdown, not lost with the writer's wait.
    drop(alice);
    server.stop().await.unwrap();
    let server = accounts_server(&dir, Config::default()).await;
    let mut alice = entered_player(&server, "alice").await;
    alice.update().await;
    assert!(
        alice.view.best_score >= best,
        "{} < {best}",
        alice.view.best_score
    );
    // Two more accounts: one plays on the tutorial's client, one never plays.
    let mut tutorial = tutorial_player(&server, "Bob").await;
    let mut zed = Client::full(&server).await;
    our_login(&mut zed, "Zed").await;
    // Bob's entry (1,257) reaches the board once written (about a second).
    let deadline = tokio::time::Instant::now() + WAIT;
    let top = loop {
        let rows = board(
            &mut zed,
            packet(Msg::HiscoreBoardRequest(HiscoreBoardRequestMessage {})),
        )
        .await
        .unwrap();
        if rows.len() == 2 {
            break rows;
        }
        assert!(tokio::time::Instant::now() < deadline, "{rows:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(top[0].0, 1);
    assert_eq!(top[0].1, "Alice");
    assert!(top[0].2 >= best);
    assert_eq!((top[1].0, top[1].1.as_str(), top[1].2), (2, "Bob", 1_257));
    // Search: the whole name in any case, the true rank; no wildcards.
    let found = board(&mut zed, search("BOB")).await.unwrap();
    assert!(
        found.iter().any(|row| row.0 == 2 && row.1 == "Bob"),
        "{found:?}"
    );
    assert_eq!(
        board(&mut zed, search("B%")).await,
        Err("No player found with that name".to_owned())
    );
    assert_eq!(
        board(&mut zed, search("zed")).await,
        Err("Player is unranked".to_owned())
    );
    // The tutorial's client browses as its client does: the board, a search, and back.
    let rows = board(
        &mut tutorial,
        packet(Msg::HiscoreBoardRequest(HiscoreBoardRequestMessage {})),
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    tutorial
        .send_packet(&packet(Msg::FinishedBrowsingHiscores(
            FinishedBrowsingHiscoresMessage {},
        )))
        .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        assert!(tokio::time::Instant::now() < deadline);
        let packet = tutorial.recv().await;
        let number = packet.msg.as_ref().map_or(0, Msg::field_number);
        assert!((1..=19).contains(&number), "{packet:?}");
        if let Some(Msg::Id(id)) = packet.msg {
            assert_eq!(id.id, tutorial.id);
            break;
        }
    }
}

#[tokio::test]
async fn a_tutorial_claim_near_enough_is_taken_and_a_logout_is_told_after_the_last_update() {
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(&dir, Config::default()).await;
    let mut eater = tutorial_player(&server, "Eater").await;
    let mut watcher = tutorial_player(&server, "Watcher").await;
    let me = eater.id;
    // The eater learns every spore and where it is, as its client does.
    let mut spores: HashMap<u64, (f64, f64, f64)> = HashMap::new();
    let mut position: (f64, f64, f64);
    // A claim is checked against the server's position now, which is ahead of what a client
    // that lags behind has read, so the eater claims again (within the claim rate) until the
    // watcher is told of an eat.
    // (spore, the eater's radius when it claimed it)
    let mut claims: Vec<(u64, f64)> = Vec::new();
    let mut updates_since_claim = 0;
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut heading = f64::NAN;
    let mut told = None;
    while told.is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never told: claimed {claims:?}"
        );
        while let Some(packet) = watcher.try_recv(Duration::from_millis(1)).await {
            let number = packet.msg.as_ref().map_or(0, Msg::field_number);
            assert!((1..=19).contains(&number), "{packet:?}");
            if let Some(Msg::SporeConsumed(eaten)) = packet.msg {
                if packet.sender_id == me {
                    let claim = claims.iter().find(|(id, _)| *id == eaten.spore_id);
                    told = Some(*claim.unwrap_or_else(|| panic!("{eaten:?} not claimed")));
                }
            }
        }
        let Some(got) = eater.try_recv(Duration::from_millis(50)).await else {
            continue;
        };
        let number = got.msg.as_ref().map_or(0, Msg::field_number);
        assert!((1..=19).contains(&number), "{got:?}");
        match got.msg {
            Some(Msg::SporesBatch(batch)) => {
                for spore in batch.spores {
                    spores.insert(spore.id, (spore.x, spore.y, spore.radius));
                }
            }
            Some(Msg::Spore(spore)) => {
                spores.insert(spore.id, (spore.x, spore.y, spore.radius));
            }
            Some(Msg::SporeConsumed(eaten)) => {
                spores.remove(&eaten.spore_id);
            }
            Some(Msg::Player(player)) if player.id == me => {
                position = (player.x, player.y, player.radius);
                updates_since_claim += 1;
                let Some((&id, &(x, y, radius))) = spores.iter().min_by(|a, b| {
                    let d = |s: &(f64, f64, f64)| (s.0 - position.0).hypot(s.1 - position.1);
                    d(a.1).total_cmp(&d(b.1))
                }) else {
                    continue;
                };
                let distance = (x - position.0).hypot(y - position.1);
                if distance <= position.2 + radius {
                    // Touching by the server's position as last read: at most 5 claims a
                    // second, half the claim rate.
                    if updates_since_claim >= 4 {
                        updates_since_claim = 0;
                        eater
                            .send_packet(&packet(Msg::SporeConsumed(SporeConsumedMessage {
                                spore_id: id,
                            })))
                            .await;
                        claims.push((id, position.2));
                    }
                } else {
                    let direction = (y - position.1).atan2(x - position.0);
                    if heading.is_nan() || (direction - heading).abs() > 0.05 {
                        heading = direction;
                        eater.send_packet(&steer(direction)).await;
                    }
                }
            }
            _ => {}
        }
    }
    let (claimed, radius_at_claim) = told.unwrap();
    // The eater's next updates, as the watcher sees them, are bigger.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        assert!(tokio::time::Instant::now() < deadline, "never grown");
        let packet = watcher.recv().await;
        let number = packet.msg.as_ref().map_or(0, Msg::field_number);
        assert!((1..=19).contains(&number), "{packet:?}");
        if let Some(Msg::Player(player)) = packet.msg {
            if player.id == me && player.radius > radius_at_claim {
                break;
            }
        }
    }
    // The same claim again is refused without a word (the spore is gone).
    eater
        .send_packet(&packet(Msg::SporeConsumed(SporeConsumedMessage {
            spore_id: claimed,
        })))
        .await;
    // The eater logs out: the watcher gets its Disconnect after its last Player, then none.
    eater
        .send_packet(&packet(Msg::Disconnect(mmo_protocol::DisconnectMessage {
            reason: "a reason the others never see".into(),
        })))
        .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        assert!(tokio::time::Instant::now() < deadline);
        let packet = watcher.recv().await;
        match packet.msg {
            Some(Msg::Disconnect(gone)) if packet.sender_id == me => {
                assert_eq!(gone.reason, "logged out");
                break;
            }
            Some(Msg::SporeConsumed(eaten)) => {
                assert_ne!(eaten.spore_id, claimed, "eaten once");
            }
            _ => {}
        }
    }
    let after = tutorial_reads(&mut watcher, Duration::from_millis(300)).await;
    assert!(
        after
            .iter()
            .all(|p| !matches!(&p.msg, Some(Msg::Player(pl)) if pl.id == me)),
        "no ghost: nothing of the eater after its Disconnect"
    );
}

/// A big room sends no leave notices (docs/protocol.md, "Presence in big rooms"): a player
/// of the tutorial's client who leaves it is told to the tutorial's clients in its world by
/// the world instead, once, after its last `PlayerMessage`, or their clients would keep its
/// actor for ever.
#[tokio::test]
async fn in_a_big_room_the_world_tells_the_tutorials_clients_who_left() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        presence_batch_above: 1,
        ..Config::default()
    };
    let server = accounts_server(&dir, config).await;
    // A third member keeps the lobby big (more than one member) once the leaver is gone.
    let _bystander = Client::connect(&server).await;
    let mut watcher = tutorial_player(&server, "Stays").await;
    let leaver = tutorial_player(&server, "Goes").await;
    let gone = leaver.id;
    // The watcher sees the leaver play before it goes.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never saw the other player"
        );
        let packet = watcher.recv().await;
        if matches!(&packet.msg, Some(Msg::Player(player)) if player.id == gone) {
            break;
        }
    }
    drop(leaver);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the watcher was never told the player left"
        );
        let packet = watcher.recv().await;
        if let Some(Msg::Disconnect(notice)) = &packet.msg {
            assert_eq!(packet.sender_id, gone);
            assert_eq!(notice.reason, "connection lost");
            break;
        }
    }
    let after = tutorial_reads(&mut watcher, Duration::from_millis(500)).await;
    assert!(
        after.iter().all(|packet| !matches!(
            &packet.msg,
            Some(Msg::Player(player)) if player.id == gone
        ) && !matches!(&packet.msg, Some(Msg::Disconnect(_)))),
        "nothing of the leaver after its notice, and one notice: {after:?}"
    );
}

/// The tutorial client's answer to its next account request, past what the game still sends.
async fn account_answer(client: &mut Client) -> Msg {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        assert!(tokio::time::Instant::now() < deadline, "no answer in time");
        let packet = client.recv().await;
        match packet.msg {
            Some(answer @ (Msg::OkResponse(_) | Msg::DenyResponse(_))) => return answer,
            _ => continue,
        }
    }
}

#[tokio::test]
async fn after_its_logout_the_tutorials_client_logs_in_again_on_the_same_connection() {
    // Its Logout button takes it back to its login screen on the same connection, where its
    // server took logins again (tutorial-lessons-5-12.md §3.2, §3.4, §7).
    let dir = tempfile::tempdir().unwrap();
    let server = accounts_server(&dir, Config::default()).await;
    let mut tutorial = tutorial_player(&server, "Tutorial").await;
    let logout = packet(Msg::Disconnect(mmo_protocol::DisconnectMessage {
        reason: "logged out".into(),
    }));
    let login = packet(Msg::LoginRequest(LoginRequestMessage {
        username: "Tutorial".into(),
        password: PASSWORD.into(),
    }));
    for round in 0..2 {
        tutorial.send_packet(&logout).await;
        tutorial.send_packet(&login).await;
        let answer = account_answer(&mut tutorial).await;
        assert!(
            matches!(answer, Msg::OkResponse(_)),
            "round {round}: {answer:?}"
        );
        // It plays again: its own player comes.
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            assert!(tokio::time::Instant::now() < deadline, "round {round}");
            let packet = tutorial.recv().await;
            if matches!(&packet.msg, Some(Msg::Player(me)) if me.id == tutorial.id) {
                break;
            }
        }
    }
    // Logged out, its account is free: a login elsewhere does not close this connection, and
    // this one is told nothing of it.
    tutorial.send_packet(&logout).await;
    let mut elsewhere = Client::connect(&server).await;
    elsewhere.send_packet(&login).await;
    let answer = account_answer(&mut elsewhere).await;
    assert!(matches!(answer, Msg::OkResponse(_)), "{answer:?}");
    tutorial
        .send_packet(&packet(Msg::RegisterRequest(RegisterRequestMessage {
            username: "Second".into(),
            password: PASSWORD.into(),
            color: -1,
        })))
        .await;
    let answer = account_answer(&mut tutorial).await;
    assert!(matches!(answer, Msg::OkResponse(_)), "{answer:?}");
}
