//! One world per room across a cluster, against a real nats-server (see `cluster.rs`): a
//! player on one server and one on another play in the same world (the leaderboard of each
//! names both; the remote one moves and eats through the world's server), a tutorial-level
//! client on the server not running the world gets fields 1–19 only and sees the other
//! server's player, and when the server running the world is killed its players elsewhere
//! are told and play on in a world that a surviving server now runs (at once when it stops
//! gracefully).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::nats::{Nats, member_of};
use common::{Client, TestServer, WAIT};
use mmo_accounts::Accounts;
use mmo_protocol::packets::{
    EnterWorldMessage, LeaveWorldMessage, PlayerDirectionMessage, WorldUpdateMessage,
};
use mmo_protocol::{LoginRequestMessage, Msg, Packet, RegisterRequestMessage};
use mmo_server::{Config, Services};

fn packet(msg: Msg) -> Packet {
    Packet {
        sender_id: 0,
        msg: Some(msg),
    }
}

fn steer(direction: f64) -> Packet {
    packet(Msg::PlayerDirection(PlayerDirectionMessage { direction }))
}

/// One of our clients in the lobby's world, keeping what it needs of its view.
struct Player {
    client: Client,
    /// Player ID → (x, y) in wire units, for those in view.
    players: HashMap<u64, (i32, i32)>,
    spores: HashMap<u64, (i32, i32)>,
    /// The leaderboard's players and the IDs it names, as last sent.
    board: (u32, Vec<u64>),
}

/// Reads `client`'s packets until `WorldEnteredMessage` (`Ok`) or `WorldLeftMessage`
/// (`Err(reason)`), skipping presence and what an old world still sent.
async fn entered_or_left(client: &mut Client) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + WAIT * 3;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no answer to the entry"
        );
        let packet = client.recv().await;
        match packet.msg {
            Some(Msg::WorldEntered(entered)) => {
                assert_eq!(entered.room, "lobby");
                assert_eq!(entered.player_id, client.id);
                return Ok(());
            }
            Some(Msg::WorldLeft(left)) => return Err(left.reason),
            Some(Msg::Presence(_) | Msg::PresenceBatch(_) | Msg::WorldUpdate(_)) => {}
            other => panic!("expected WorldEntered, got {other:?}"),
        }
    }
}

impl Player {
    async fn enter_url(url: &str) -> Self {
        let mut client = Client::connect_url(url).await;
        assert_eq!(client.join("").await.room, "lobby");
        client
            .send_packet(&packet(Msg::EnterWorld(EnterWorldMessage {
                extrapolate: false,
            })))
            .await;
        entered_or_left(&mut client).await.unwrap();
        Self {
            client,
            players: HashMap::new(),
            spores: HashMap::new(),
            board: (0, Vec::new()),
        }
    }

    async fn enter(server: &TestServer) -> Self {
        Self::enter_url(&server.url()).await
    }

    /// The next update, applied to the view.
    async fn update(&mut self) -> WorldUpdateMessage {
        loop {
            let packet = self.client.recv().await;
            match packet.msg {
                Some(Msg::WorldUpdate(update)) => {
                    self.apply(&update);
                    return *update;
                }
                Some(Msg::Presence(_) | Msg::PresenceBatch(_) | Msg::Chat(_)) => continue,
                other => panic!("expected a WorldUpdate, got {other:?}"),
            }
        }
    }

    fn apply(&mut self, update: &WorldUpdateMessage) {
        for id in &update.players_left {
            self.players.remove(id);
        }
        for id in &update.spores_left {
            self.spores.remove(id);
        }
        for eat in &update.eaten {
            self.spores.remove(&eat.spore_id);
            self.players.remove(&eat.player_id);
        }
        for player in &update.players_entered {
            self.players.insert(player.id, (player.x, player.y));
        }
        for spore in &update.spores_entered {
            self.spores.insert(spore.id, (spore.x, spore.y));
        }
        let moved = mmo_world::encode::decode_ids(&update.moved_ids);
        for (index, id) in moved.iter().enumerate() {
            if let Some(entry) = self.players.get_mut(id) {
                entry.0 += update.moved_xy[2 * index];
                entry.1 += update.moved_xy[2 * index + 1];
            }
        }
        if let Some(board) = &update.leaderboard {
            self.board = (
                board.players,
                board.entries.iter().map(|entry| entry.player_id).collect(),
            );
        }
    }

    /// Reads updates until `done` holds; fails after a generous wait.
    async fn until(&mut self, mut done: impl FnMut(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT * 3;
        while !done(self) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "board {:?}",
                self.board
            );
            self.update().await;
        }
    }

    /// Steers to the nearest spore in view until the world says this player ate one.
    async fn eat_a_spore(&mut self) {
        let me = self.client.id;
        let deadline = tokio::time::Instant::now() + WAIT * 3;
        let mut ticks = 0;
        loop {
            assert!(tokio::time::Instant::now() < deadline, "no spore eaten");
            if ticks % 10 == 0 {
                let (x, y) = self.players[&me];
                let distance = |&(sx, sy): &(i32, i32)| f64::from(sx - x).hypot(f64::from(sy - y));
                if let Some(spore) = self
                    .spores
                    .values()
                    .min_by(|a, b| distance(a).total_cmp(&distance(b)))
                {
                    let direction = f64::from(spore.1 - y).atan2(f64::from(spore.0 - x));
                    self.client.send_packet(&steer(direction)).await;
                }
            }
            let update = self.update().await;
            ticks += 1;
            if update
                .eaten
                .iter()
                .any(|eat| eat.eater_id == me && eat.spore_id != 0)
            {
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_world_is_played_from_two_servers() {
    let nats = Nats::start();
    let a = TestServer::start(member_of(&nats)).await;
    let b = TestServer::start(member_of(&nats)).await;
    // The first to enter makes its server the world's.
    let mut on_a = Player::enter(&a).await;
    let mut on_b = Player::enter(&b).await;
    let both = [on_a.client.id, on_b.client.id];
    let sees_both =
        |player: &Player| player.board.0 == 2 && both.iter().all(|id| player.board.1.contains(id));
    on_b.until(sees_both).await;
    on_a.until(sees_both).await;
    assert_eq!(a.metric("mmo_worlds").await, 1);
    assert_eq!(
        b.metric("mmo_worlds").await,
        0,
        "b runs no world of its own"
    );
    // The remote player moves and eats through the world's server.
    on_b.until(|player| player.players.contains_key(&player.client.id))
        .await;
    let start = on_b.players[&on_b.client.id];
    on_b.eat_a_spore().await;
    assert_ne!(on_b.players[&on_b.client.id], start, "it moved");
    // Its leave reaches the world: the other sees one player left.
    on_b.client
        .send_packet(&packet(Msg::LeaveWorld(LeaveWorldMessage {})))
        .await;
    on_a.until(|player| player.board.0 == 1).await;
    // And it may come back, asking for extrapolated updates this time: the world's server
    // hears of the ask and sends velocities, never moves.
    on_b.client
        .send_packet(&packet(Msg::EnterWorld(EnterWorldMessage {
            extrapolate: true,
        })))
        .await;
    loop {
        let packet = on_b.client.recv().await;
        match packet.msg {
            Some(Msg::WorldLeft(left)) => assert_eq!(left.reason, ""),
            Some(Msg::WorldEntered(entered)) => {
                assert!(entered.extrapolating, "{entered:?}");
                break;
            }
            Some(Msg::WorldUpdate(_) | Msg::Presence(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    on_b.client.send_packet(&steer(1.0)).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut velocities = 0;
    while velocities == 0 {
        assert!(tokio::time::Instant::now() < deadline, "no velocity told");
        let update = on_b.update().await;
        assert!(
            update.moved_ids.is_empty(),
            "moves sent to an extrapolating client"
        );
        velocities += update.velocity_ids.len();
    }
    on_a.until(sees_both).await;
}

/// A server of the cluster with accounts of its own (a test's shortcut: a cluster's servers
/// share PostgreSQL), so that the tutorial's client logs in and plays.
async fn with_accounts(dir: &tempfile::TempDir, nats: &Nats) -> TestServer {
    let database = format!("sqlite://{}/mmo.db", dir.path().display());
    let accounts = Accounts::start(&mmo_server::account_settings(&Config {
        database,
        ..Config::default()
    }))
    .unwrap();
    assert!(accounts.wait_available(WAIT).await, "the database answers");
    TestServer::start_with(
        member_of(nats),
        Services {
            accounts: Some(Arc::new(accounts)),
            ..Services::default()
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tutorial_client_on_another_server_gets_fields_1_to_19_and_sees_its_players() {
    let nats = Nats::start();
    let owner = TestServer::start(member_of(&nats)).await;
    let dir = tempfile::tempdir().unwrap();
    let other = with_accounts(&dir, &nats).await;
    let ours = Player::enter(&owner).await;
    let mut tutorial = Client::connect(&other).await;
    for msg in [
        Msg::RegisterRequest(RegisterRequestMessage {
            username: "Remote".into(),
            password: "correct horse battery".into(),
            color: -1,
        }),
        Msg::LoginRequest(LoginRequestMessage {
            username: "Remote".into(),
            password: "correct horse battery".into(),
        }),
    ] {
        tutorial.send_packet(&packet(msg)).await;
        let ok = tutorial.recv().await;
        assert!(matches!(ok.msg, Some(Msg::OkResponse(_))), "{ok:?}");
    }
    // Its own player first, then every spore, every player each tick: all of fields 1–19.
    let own = tutorial.recv().await;
    assert!(
        matches!(&own.msg, Some(Msg::Player(me)) if me.id == tutorial.id && me.name == "Remote"),
        "{own:?}"
    );
    tutorial
        .send_packet(&steer(std::f64::consts::FRAC_PI_2))
        .await;
    let mut spores = std::collections::HashSet::new();
    let mut saw_ours = false;
    let mut mine = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT * 3;
    while spores.len() < 990 || !saw_ours || mine.len() < 20 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} spores, ours seen {saw_ours}, {} own",
            spores.len(),
            mine.len()
        );
        let packet = tutorial.recv().await;
        let number = packet.msg.as_ref().map_or(0, Msg::field_number);
        assert!((1..=19).contains(&number), "field {number}: {packet:?}");
        match &packet.msg {
            Some(Msg::SporesBatch(batch)) => spores.extend(batch.spores.iter().map(|s| s.id)),
            Some(Msg::Player(player)) if player.id == ours.client.id => saw_ours = true,
            Some(Msg::Player(player)) if player.id == tutorial.id => mine.push(player.y),
            _ => {}
        }
    }
    assert!(mine.last() > mine.first(), "it moves down: {mine:?}");
    assert_eq!(other.metric("mmo_worlds").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_worlds_server_is_killed_its_players_elsewhere_are_told_and_play_on() {
    let nats = Nats::start();
    let survivor = TestServer::start(Config {
        cluster_timeout: Duration::from_secs(1),
        ..member_of(&nats)
    })
    .await;
    let doomed = common::process::ServerProcess::cluster_member(&nats.url(), 1);
    let mut victim = Player::enter_url(&doomed.url()).await;
    let mut watcher = Player::enter(&survivor).await;
    let both = [victim.client.id, watcher.client.id];
    watcher
        .until(|player| player.board.0 == 2 && both.iter().all(|id| player.board.1.contains(id)))
        .await;
    victim.until(|player| player.board.0 == 2).await;
    assert_eq!(survivor.metric("mmo_worlds").await, 0);
    drop(doomed); // SIGKILL
    let reason = loop {
        let packet = watcher.client.recv().await;
        match packet.msg {
            Some(Msg::WorldLeft(left)) => break left.reason,
            Some(Msg::WorldUpdate(_) | Msg::Presence(_) | Msg::PresenceBatch(_)) => {}
            other => panic!("{other:?}"),
        }
    };
    assert!(reason.contains("enter again"), "{reason}");
    // Entering again (once the dead server's lease has lapsed) starts the world afresh here.
    let deadline = tokio::time::Instant::now() + WAIT * 3;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never entered again"
        );
        watcher
            .client
            .send_packet(&packet(Msg::EnterWorld(EnterWorldMessage {
                extrapolate: false,
            })))
            .await;
        if entered_or_left(&mut watcher.client).await.is_ok() {
            break;
        }
    }
    watcher.board = (0, Vec::new());
    watcher
        .until(|player| player.board == (1, vec![player.client.id]))
        .await;
    assert_eq!(survivor.metric("mmo_worlds").await, 1);
    // A newcomer on the survivor plays in that same world.
    let mut newcomer = Player::enter(&survivor).await;
    newcomer.until(|player| player.board.0 == 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_worlds_server_stops_its_players_elsewhere_are_told_at_once() {
    let nats = Nats::start();
    // A timeout longer than the test waits: only the stopping server's word can end the world.
    let patient = || Config {
        cluster_timeout: Duration::from_secs(600),
        ..member_of(&nats)
    };
    let stopping = TestServer::start(patient()).await;
    let staying = TestServer::start(patient()).await;
    let _owner = Player::enter(&stopping).await;
    let mut player = Player::enter(&staying).await;
    player.until(|player| player.board.0 == 2).await;
    stopping.stop().await.unwrap();
    let reason = loop {
        let packet = player.client.recv().await;
        match packet.msg {
            Some(Msg::WorldLeft(left)) => break left.reason,
            Some(Msg::WorldUpdate(_) | Msg::Presence(_) | Msg::PresenceBatch(_)) => {}
            other => panic!("{other:?}"),
        }
    };
    assert!(reason.contains("enter again"), "{reason}");
    // The stopped server's lease is taken over at once: the world starts afresh here.
    player
        .client
        .send_packet(&packet(Msg::EnterWorld(EnterWorldMessage {
            extrapolate: false,
        })))
        .await;
    entered_or_left(&mut player.client).await.unwrap();
    player.board = (0, Vec::new());
    player
        .until(|player| player.board == (1, vec![player.client.id]))
        .await;
    assert_eq!(staying.metric("mmo_worlds").await, 1);
}

/// Each tick's update's arrival at `client`, for `ticks` ticks, while it keeps turning (a
/// player that stands still in a still view is sent nothing).
async fn arrivals(mut client: Client, ticks: usize) -> HashMap<u32, tokio::time::Instant> {
    let mut seen = HashMap::with_capacity(ticks);
    let mut direction = 0.0;
    while seen.len() < ticks {
        if seen.len() % 20 == 0 {
            direction += 1.0;
            client.send_packet(&steer(direction)).await;
        }
        if let Some(Msg::WorldUpdate(update)) = client.recv().await.msg {
            seen.insert(update.tick, tokio::time::Instant::now());
        }
    }
    seen
}

/// The extra hop a remote player's updates take, measured (not a check: it prints, and runs
/// only when asked): the same tick's update reaching an observer on the world's server and
/// one on another server, compared. See docs/benchmarks.md, "A world across servers".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: cargo test --release -p mmo-server --test cluster_world -- --ignored --nocapture"]
async fn the_extra_hop_of_a_remote_player() {
    const TICKS: usize = 600;
    let nats = Nats::start();
    let owner = TestServer::start(member_of(&nats)).await;
    let other = TestServer::start(member_of(&nats)).await;
    let local = Player::enter(&owner).await;
    let remote = Player::enter(&other).await;
    let (local, remote) = tokio::join!(
        tokio::spawn(arrivals(local.client, TICKS)),
        tokio::spawn(arrivals(remote.client, TICKS)),
    );
    let (local, remote) = (local.unwrap(), remote.unwrap());
    let mut extra: Vec<f64> = remote
        .iter()
        .filter_map(|(tick, at)| {
            let before = local.get(tick)?;
            Some(
                at.checked_duration_since(*before).map_or_else(
                    || -before.duration_since(*at).as_secs_f64(),
                    |after| after.as_secs_f64(),
                ) * 1_000.0,
            )
        })
        .collect();
    extra.sort_by(f64::total_cmp);
    let at = |percent: usize| extra[(extra.len() - 1) * percent / 100];
    println!(
        "extra hop over {} ticks: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        extra.len(),
        at(50),
        at(90),
        at(99),
        at(100)
    );
}

/// A room has one world even after a partition: an owner that finds its lease held by
/// another server (which took the world over while this one was cut off from the broker)
/// closes its world and tells its players, who may enter again. Here the lease is taken from
/// under the owner by writing it as that other server would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_whose_lease_another_server_took_closes_its_world() {
    let nats = Nats::start();
    let owner = TestServer::start(Config {
        // Leases are renewed every third of it.
        cluster_timeout: Duration::from_secs(1),
        ..member_of(&nats)
    })
    .await;
    let mut player = Player::enter(&owner).await;
    player.update().await;
    assert_eq!(owner.metric("mmo_worlds").await, 1);
    let broker = async_nats::connect(nats.url()).await.unwrap();
    let leases = async_nats::jetstream::new(broker)
        .get_key_value("MMO_WORLDS")
        .await
        .unwrap();
    // The key of room "lobby": "w" and the name's bytes in hex.
    leases.put("w6c6f626279", "999999".into()).await.unwrap();
    let reason = loop {
        match player.client.recv().await.msg {
            Some(Msg::WorldLeft(left)) => break left.reason,
            Some(Msg::WorldUpdate(_) | Msg::Presence(_) | Msg::PresenceBatch(_)) => {}
            other => panic!("expected the world to close, got {other:?}"),
        }
    };
    assert_eq!(reason, "the world closed");
    // Counted as closed once its thread has ended, just after it told its players.
    let deadline = tokio::time::Instant::now() + WAIT;
    while owner.metric("mmo_worlds").await != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the world still runs"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
