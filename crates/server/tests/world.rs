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
    packet(Msg::EnterWorld(EnterWorldMessage {}))
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
    leaderboard_players: u32,
}

impl View {
    fn apply(&mut self, update: &WorldUpdateMessage) {
        for id in &update.players_left {
            assert!(self.players.remove(id).is_some(), "player {id} left unseen");
        }
        for id in &update.spores_left {
            assert!(self.spores.remove(id).is_some(), "spore {id} left unseen");
        }
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
        let resized = mmo_world::encode::decode_ids(&update.resized_ids);
        for (id, radius) in resized.iter().zip(&update.resized_radii) {
            self.players.get_mut(id).expect("in view").2 = *radius;
        }
        if let Some(own) = &update.own {
            self.score = own.score;
            self.best_score = own.best_score;
        }
        if let Some(board) = &update.leaderboard {
            self.leaderboard_players = board.players;
        }
        self.tick = Some(update.tick);
    }
}

/// One of our clients in the lobby's world: it has its `WorldEnteredMessage`.
struct Player {
    client: Client,
    view: View,
}

impl Player {
    async fn enter(server: &TestServer) -> Self {
        let mut client = Client::full(server).await;
        client.send_packet(&enter()).await;
        loop {
            let packet = client.recv().await;
            match packet.msg {
                Some(Msg::WorldEntered(entered)) => {
                    assert_eq!(entered.room, "lobby");
                    assert_eq!(entered.player_id, client.id);
                    assert_eq!(entered.tick_rate, 20);
                    assert_eq!(entered.position_scale, 8);
                    break;
                }
                Some(Msg::Presence(_)) => continue,
                other => panic!("expected WorldEntered, got {other:?}"),
            }
        }
        Self {
            client,
            view: View::default(),
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
    assert_eq!(own.score, 1_257, "round(π·20²)");
    assert_eq!((own.view_half_width, own.view_half_height), (800, 450));
    assert!(first.leaderboard.is_some());
    let (x, y, radius) = player.me();
    assert_eq!(radius, 160, "radius 20 in eighths");
    assert!(x.abs() <= 3_000 * 8 && y.abs() <= 3_000 * 8);
    // Every spore sent is within the view grown by the lead and the margin.
    for (sx, sy, _) in player.view.spores.values() {
        assert!((sx - x).abs() <= (800 + 60 + 64 + 30) * 8, "{sx} vs {x}");
        assert!((sy - y).abs() <= (450 + 60 + 64 + 30) * 8, "{sy} vs {y}");
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
    assert!(last.x == first.x && last.direction.is_finite() && last.speed == 150.0);
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
