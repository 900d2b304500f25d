//! Accounts against a real server on 127.0.0.1:0, each test on SQLite and on PostgreSQL: register,
//! login, names everywhere, rules, the same answer for unknown users and wrong passwords,
//! logging in twice, `require_login`, throttling, a login storm, what is stored, and surviving
//! a restart.
//!
//! The PostgreSQL tests need `MMO_TEST_POSTGRES_URL` (`scripts/with-postgres` starts a
//! throwaway server and sets it; `scripts/test` runs the tests that way). Without it they print
//! that they were skipped and pass.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::process::ServerProcess;
use common::{Client, TestServer, WAIT};
use mmo_accounts::Accounts;
use mmo_protocol::{LoginRequestMessage, Msg, Packet, RegisterRequestMessage};
use mmo_server::{Config, Services};
use sqlx::Row as _;

const PASSWORD: &str = "correct horse battery";
const WRONG: &str = "Incorrect username or password";

#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database for one test.
struct Database {
    url: String,
    _dir: Option<tempfile::TempDir>,
}

impl Database {
    /// A new database on `backend`; `None` (after saying so) when PostgreSQL is not available.
    async fn new(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}/mmo.db", dir.path().display());
                Some(Self {
                    url,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let url = common::fresh_postgres_database().await?;
                Some(Self { url, _dir: None })
            }
        }
    }

    /// The stored rows: (username, username_key, password_hash).
    async fn rows(&self) -> Vec<(String, String, String)> {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.url).await.unwrap();
        let rows = sqlx::query(
            "SELECT username, username_key, password_hash FROM accounts ORDER BY username_key",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        rows.iter()
            .map(|row| (row.get(0), row.get(1), row.get(2)))
            .collect()
    }
}

/// A server on `database` with `config`, once its accounts are available.
async fn server(database: &Database, config: Config) -> TestServer {
    let config = Config {
        database: database.url.clone(),
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

fn register(username: &str, password: &str) -> Packet {
    Packet {
        sender_id: 0,
        msg: Some(Msg::RegisterRequest(RegisterRequestMessage {
            username: username.into(),
            password: password.into(),
            color: -1,
        })),
    }
}

fn login(username: &str, password: &str) -> Packet {
    Packet {
        sender_id: 0,
        msg: Some(Msg::LoginRequest(LoginRequestMessage {
            username: username.into(),
            password: password.into(),
        })),
    }
}

/// Sends `request` and returns the answer: `Ok` or the refusal's reason (presence and leave
/// notices of others are skipped).
async fn ask(client: &mut Client, request: &Packet) -> Result<(), String> {
    client.send_packet(request).await;
    loop {
        let packet = client.recv().await;
        match packet.msg {
            Some(Msg::OkResponse(_)) => return Ok(()),
            Some(Msg::DenyResponse(deny)) => return Err(deny.reason),
            // A tutorial-level client plays from its login: its world's messages go by.
            Some(
                Msg::Presence(_)
                | Msg::Disconnect(_)
                | Msg::Chat(_)
                | Msg::Player(_)
                | Msg::Spore(_)
                | Msg::SporesBatch(_)
                | Msg::SporeConsumed(_)
                | Msg::PlayerConsumed(_),
            ) => continue,
            other => panic!("expected an answer, got {other:?}"),
        }
    }
}

/// A client that registered `username` and logged in as it.
async fn logged_in(server: &TestServer, username: &str) -> Client {
    let mut client = Client::connect(server).await;
    ask(&mut client, &register(username, PASSWORD))
        .await
        .unwrap();
    ask(&mut client, &login(username, PASSWORD)).await.unwrap();
    client
}

/// Runs each test on SQLite and on PostgreSQL.
macro_rules! on_both_databases {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $test() {
                super::$test(super::Backend::Sqlite).await;
            })+
        }
        mod postgres {
            $(#[tokio::test]
            async fn $test() {
                super::$test(super::Backend::Postgres).await;
            })+
        }
    };
}

on_both_databases!(
    registering_then_logging_in_names_the_client_everywhere,
    unknown_users_and_wrong_passwords_get_the_same_answer,
    each_rule_is_named_and_names_are_unique_whatever_their_case,
    logging_in_again_closes_the_older_connection,
    require_login_holds_chat_and_joins_until_a_login,
    a_part3_client_never_sees_accounts,
    failed_logins_are_delayed_across_connections_but_not_for_long,
    the_database_holds_no_password,
    a_login_storm_is_answered_and_chat_goes_on,
    accounts_survive_a_restart,
    the_status_says_accounts_are_there,
    operators_list_remove_and_set_passwords,
    best_scores_only_rise_and_rank_truly,
);

async fn registering_then_logging_in_names_the_client_everywhere(backend: Backend) {
    let Some(database) = Database::new(backend).await else {
        return;
    };
    let server = server(&database, Config::default()).await;
    let mut watcher = Client::full(&server).await;
    // A tutorial-level member (it has tried a login): told nothing of renames, which it could
    // not read, but it gets the chat.
    let mut tutorial = Client::connect(&server).await;
    assert_eq!(
        ask(&mut tutorial, &login("nobody", PASSWORD)).await,
        Err(WRONG.to_owned())
    );
    assert_eq!(watcher.recv_presence().await.0, tutorial.id);
    let mut alice = Client::connect(&server).await;
    // The guest's presence in the lobby reached the watcher when it joined: read it away.
    alice.send_packet(&Packet::join_room("")).await;
    let _ = alice.recv().await;
    assert_eq!(watcher.recv_presence().await.0, alice.id);

    ask(&mut alice, &register("Alice", PASSWORD)).await.unwrap();
    // Registering does not log in: the watcher hears nothing, and the members list says "".
    watcher.send_packet(&Packet::join_room("")).await;
    let room = loop {
        if let Some(Msg::Room(room)) = watcher.recv().await.msg {
            break room;
        }
    };
    let listed = room.members.iter().find(|m| m.id == alice.id).unwrap();
    assert_eq!(listed.name, "");

    alice.chat("as a guest").await;
    assert_eq!(watcher.recv_chat().await.1, "as a guest");

    // Logging in with another case finds the account; the name is the one registered.
    ask(&mut alice, &login("ALICE", PASSWORD)).await.unwrap();
    let presence = watcher.recv().await;
    assert_eq!(presence.sender_id, alice.id, "the same ID: a rename");
    let Some(Msg::Presence(presence)) = presence.msg else {
        panic!("expected presence, got {presence:?}");
    };
    assert!(presence.joined);
    assert_eq!(
        (presence.room.as_str(), presence.name.as_str()),
        ("lobby", "Alice")
    );

    alice.chat("logged in").await;
    assert_eq!(
        watcher.recv_chat().await,
        (alice.id, "logged in".to_owned())
    );
    assert_eq!(tutorial.recv_chat_strict().await.1, "as a guest");
    assert_eq!(
        tutorial.recv_chat_strict().await,
        (alice.id, "logged in".to_owned()),
        "no presence in between"
    );
    let mut newcomer = Client::connect(&server).await;
    let room = newcomer.join("").await;
    let listed = room.members.iter().find(|m| m.id == alice.id).unwrap();
    assert_eq!(listed.name, "Alice");
    let names: Vec<(&str, &str)> = room
        .history
        .iter()
        .map(|line| (line.msg.as_str(), line.sender_name.as_str()))
        .collect();
    assert_eq!(
        names,
        [("as a guest", ""), ("logged in", "Alice")],
        "earlier lines keep the name they were said under"
    );

    // Logged in once is enough.
    assert_eq!(
        ask(&mut alice, &login("Alice", PASSWORD)).await,
        Err("already logged in".to_owned())
    );
    server.stop().await.unwrap();
}

async fn unknown_users_and_wrong_passwords_get_the_same_answer(backend: Backend) {
    let Some(database) = Database::new(backend).await else {
        return;
    };
    let server = server(&database, Config::default()).await;
    let mut client = Client::connect(&server).await;
    ask(&mut client, &register("bob", PASSWORD)).await.unwrap();
    let wrong_password = ask(&mut client, &login("bob", "not his password")).await;
    let unknown_user = ask(&mut client, &login("nobody", PASSWORD)).await;
    assert_eq!(wrong_password, Err(WRONG.to_owned()));
    assert_eq!(unknown_user, wrong_password);
    server.stop().await.unwrap();
}

async fn each_rule_is_named_and_names_are_unique_whatever_their_case(backend: Backend) {
    let Some(database) = Database::new(backend).await else {
        return;
    };
    let server = server(&database, Config::default()).await;
    let mut client = Client::connect(&server).await;
    let refused = |reason: Result<(), String>| reason.expect_err("refused");
    assert_eq!(
        refused(ask(&mut client, &register("", PASSWORD)).await),
        "Invalid username: empty"
    );
    assert!(
        refused(ask(&mut client, &register(&"x".repeat(21), PASSWORD)).await).contains("too long")
    );
    assert!(
        refused(ask(&mut client, &register("carol ", PASSWORD)).await)
            .contains("leading or trailing whitespace")
    );
    assert!(
        refused(ask(&mut client, &register("ca<rol", PASSWORD)).await)
            .contains("\"<\" is not allowed")
    );
    assert!(refused(ask(&mut client, &register("carol", "short")).await).contains("too short"));
    ask(&mut client, &register("Carol", PASSWORD))
        .await
        .unwrap();
    assert_eq!(
        refused(ask(&mut client, &register("cAROL", PASSWORD)).await),
        "User already exists"
    );
    server.stop().await.unwrap();
}

async fn logging_in_again_closes_the_older_connection(backend: Backend) {
    let Some(database) = Database::new(backend).await else {
        return;
    };
    let server = server(&database, Config::default()).await;
    let mut older = logged_in(&server, "dave").await;
    let mut newer = Client::connect(&server).await;
    ask(&mut newer, &login("dave", PASSWORD)).await.unwrap();
    older.expect_logged_in_elsewhere().await;
    // The newer one carries on.
    let mut other = Client::full(&server).await;
    newer.chat("still here").await;
    assert_eq!(other.recv_chat().await, (newer.id, "still here".to_owned()));
    server.stop().await.unwrap();
}

async fn require_login_holds_chat_and_joins_until_a_login(backend: Backend) {
    let Some(database) = Database::new(backend).await else {
        return;
    };
    let server = server(
        &database,
        Config {
            require_login: true,
            ..Config::default()
        },
    )
    .await;
    let (_, status) = server.http_get("/api/status", "").await;
    assert!(status.contains(r#""require_login":true"#), "{status}");
    let mut member = logged_in(&server, "erin").await;
    let room = member.join("").await;
    assert_eq!(
        room.members.len(),
        1,
        "only those logged in are in the lobby"
    );

    let mut guest = Client::connect(&server).await;
    guest.send_packet(&Packet::join_room("")).await;
    let refusal = guest.recv_deny().await;
    assert!(refusal.starts_with("log in first"), "{refusal}");
    guest.chat("may I?").await;
    assert!(guest.recv_deny().await.starts_with("log in first"));
    member.send_packet(&Packet::room_list_request()).await;
    let listed = loop {
        if let Some(Msg::RoomList(list)) = member.recv().await.msg {
            break list;
        }
    };
    assert_eq!(listed.rooms[0].members, 1, "the guest is in no room");

    ask(&mut guest, &register("frank", PASSWORD)).await.unwrap();
    ask(&mut guest, &login("frank", PASSWORD)).await.unwrap();
    // Placed in the lobby now: the member is told; the room's state is the answer to a join.
    let (who, joined, _) = member.recv_presence().await;
    assert_eq!((who, joined), (guest.id, true));
    let room = guest.join("").await;
    assert_eq!(room.room, "lobby");
    assert_eq!(room.members.len(), 2);
    guest.chat("now I may").await;
    assert_eq!(member.recv_chat().await, (guest.id, "now I may".to_owned()));
    server.stop().await.unwrap();
}

async fn a_part3_client_never_sees_accounts(backend: Backend) {
    let Some(database) = Database::new(backend).await else {
        return;
    };
    let server = server(&database, Config::default()).await;
    let mut part3 = Client::connect(&server).await;
    let mut alice = Client::connect(&server).await;
    ask(&mut alice, &register("grace", PASSWORD)).await.unwrap();
    ask(&mut alice, &login("grace", PASSWORD)).await.unwrap();
    let mut other = logged_in(&server, "heidi").await;
    ask(&mut other, &login("heidi", PASSWORD))
        .await
        .unwrap_err();
    alice.chat("hello part 3").await;
    let packet = part3.recv().await;
    assert!(matches!(packet.msg, Some(Msg::Chat(_))), "{packet:?}");
    assert_eq!(packet.sender_id, alice.id);
    part3.expect_silence(Duration::from_millis(200)).await;
    server.stop().await.unwrap();
}

async fn failed_logins_are_delayed_across_connections_but_not_for_long(backend: Backend) {
    let Some(database) = Database::new(backend).await else {
        return;
    };
    let server = server(
        &database,
        Config {
            login_free_failures: 2,
            ..Config::default()
        },
    )
    .await;
    let mut client = Client::connect(&server).await;
    ask(&mut client, &register("ivan", PASSWORD)).await.unwrap();
    for _ in 0..3 {
        assert_eq!(
            ask(&mut client, &login("ivan", "guess guess")).await,
            Err(WRONG.to_owned())
        );
    }
    let held = ask(&mut client, &login("ivan", PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(held, "Too many failed logins: try again in 1 s");
    drop(client);
    // A new connection is held the same way: the count is the server's, not the connection's.
    let mut again = Client::connect(&server).await;
    let held = ask(&mut again, &login("ivan", PASSWORD)).await.unwrap_err();
    assert!(held.starts_with("Too many failed logins"), "{held}");
    // And the real player gets in once the delay has passed.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match ask(&mut again, &login("ivan", PASSWORD)).await {
            Ok(()) => break,
            Err(reason) if reason.starts_with("Too many failed logins") => {
                assert!(tokio::time::Instant::now() < deadline, "held too long");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(reason) => panic!("{reason}"),
        }
    }
    assert!(
        server
            .metric("mmo_account_requests_total{outcome=\"login_throttled\"}")
            .await
            >= 2
    );
    server.stop().await.unwrap();
}

async fn the_database_holds_no_password(backend: Backend) {
    let Some(database) = Database::new(backend).await else {
        return;
    };
    let server = server(&database, Config::default()).await;
    let mut client = Client::connect(&server).await;
    ask(&mut client, &register("Judy Hopps", PASSWORD))
        .await
        .unwrap();
    ask(&mut client, &register("judy_2", PASSWORD))
        .await
        .unwrap();
    let rows = database.rows().await;
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str()),
        ("Judy Hopps", "judy hopps")
    );
    for (_, _, hash) in &rows {
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(!hash.contains(PASSWORD));
    }
    assert_ne!(rows[0].2, rows[1].2, "a salt per account");
    if let Backend::Sqlite = backend {
        let pool = sqlx::AnyPool::connect(&database.url).await.unwrap();
        let mode: String = sqlx::query("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get(0);
        assert_eq!(mode, "wal", "a backup can be taken while the server runs");
        pool.close().await;
    }
    server.stop().await.unwrap();
}

async fn a_login_storm_is_answered_and_chat_goes_on(backend: Backend) {
    const PLAYERS: usize = 40;
    let Some(database) = Database::new(backend).await else {
        return;
    };
    let server = server(
        &database,
        Config {
            hash_queue: 8,
            ..Config::default()
        },
    )
    .await;
    let mut chatter = Client::full(&server).await;
    let mut listener = Client::full(&server).await;
    let mut registrar = Client::connect(&server).await;
    for n in 0..PLAYERS {
        loop {
            match ask(&mut registrar, &register(&format!("storm{n}"), PASSWORD)).await {
                Ok(()) => break,
                Err(reason) if reason.contains("busy") => tokio::task::yield_now().await,
                Err(reason) => panic!("{reason}"),
            }
        }
    }
    let url = server.url();
    let storm: Vec<_> = (0..PLAYERS)
        .map(|n| {
            let url = url.clone();
            tokio::spawn(async move {
                let mut client = Client::connect_url(&url).await;
                let mut busy = 0;
                loop {
                    match ask(&mut client, &login(&format!("storm{n}"), PASSWORD)).await {
                        Ok(()) => return (client, busy),
                        Err(reason) => {
                            assert_eq!(reason, "The server is busy: try again in a moment");
                            busy += 1;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
            })
        })
        .collect();
    // Chat is relayed while the storm is on.
    chatter.chat("during the storm").await;
    assert_eq!(listener.recv_chat().await.1, "during the storm");
    let mut busy_total = 0;
    for player in storm {
        let (_client, busy) = tokio::time::timeout(WAIT * 3, player)
            .await
            .expect("every player gets in")
            .unwrap();
        busy_total += busy;
    }
    let ok = server
        .metric("mmo_account_requests_total{outcome=\"login_ok\"}")
        .await;
    assert_eq!(ok, PLAYERS as u64);
    println!("{PLAYERS} logins at once: {busy_total} busy answers, retried");
    server.stop().await.unwrap();
}

async fn accounts_survive_a_restart(backend: Backend) {
    let Some(database) = Database::new(backend).await else {
        return;
    };
    let args = [
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--database",
        database.url.as_str(),
    ];
    let first = ServerProcess::start(&args);
    let ready =
        first.wait_for_log(|line| line.contains("accounts database") && line.contains("is ready"));
    if let Backend::Sqlite = backend {
        assert!(ready.contains("SQLite file /"), "{ready}");
    } else {
        assert!(!ready.contains("postgres://postgres:"), "{ready}");
    }
    let mut client = Client::connect_url(&first.url()).await;
    ask(&mut client, &register("kim", PASSWORD)).await.unwrap();
    drop(client);
    let (status, _) = first.stop();
    assert!(status.success());

    let second = ServerProcess::start(&args);
    second.wait_for_log(|line| line.contains("is ready"));
    let mut client = Client::connect_url(&second.url()).await;
    ask(&mut client, &login("kim", PASSWORD)).await.unwrap();
    let (status, log) = second.stop();
    assert!(status.success());
    assert!(
        log.iter().all(|line| !line.contains(PASSWORD)),
        "no password in the log"
    );
}

async fn the_status_says_accounts_are_there(backend: Backend) {
    let Some(database) = Database::new(backend).await else {
        return;
    };
    let server = server(&database, Config::default()).await;
    let (_, status) = server.http_get("/api/status", "").await;
    assert!(
        status.contains(r#""accounts":{"enabled":true,"require_login":false,"available":true}"#),
        "{status}"
    );
    let (code, health) = server.http_get("/health", "").await;
    assert_eq!(code, 200);
    assert_eq!(body(&health), "ok");
    assert_eq!(server.metric("mmo_accounts_available").await, 1);
    server.stop().await.unwrap();
}

/// Runs `mmo-server accounts ARGS --database URL` with `stdin`; returns (exit code, stdout,
/// stderr).
fn operator(database: &Database, args: &[&str], stdin: &str) -> (i32, String, String) {
    use std::io::Write as _;
    let mut all = vec!["accounts"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--database", database.url.as_str()]);
    let mut command = common::process::command(&all, &[], None);
    command.stdin(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

async fn operators_list_remove_and_set_passwords(backend: Backend) {
    let Some(database) = Database::new(backend).await else {
        return;
    };
    let server = server(&database, Config::default()).await;
    let mut client = Client::connect(&server).await;
    ask(&mut client, &register("Laura", PASSWORD))
        .await
        .unwrap();
    ask(&mut client, &register("mallory", PASSWORD))
        .await
        .unwrap();

    let (code, listed, _) = operator(&database, &["list"], "");
    assert_eq!(code, 0);
    assert!(
        listed.contains("Laura") && listed.contains("mallory"),
        "{listed}"
    );
    assert!(listed.contains("2 accounts in "), "{listed}");
    assert!(!listed.contains("argon2"), "no hashes shown: {listed}");

    let (code, said, _) = operator(&database, &["set-password", "LAURA"], "a new secret\n");
    assert_eq!(code, 0, "{said}");
    assert_eq!(
        ask(&mut client, &login("laura", PASSWORD)).await,
        Err(WRONG.to_owned())
    );
    let mut laura = Client::connect(&server).await;
    ask(&mut laura, &login("laura", "a new secret"))
        .await
        .unwrap();
    let (code, _, error) = operator(&database, &["set-password", "laura"], "short\n");
    assert_eq!(code, 1);
    assert!(error.contains("too short"), "{error}");

    let (code, _, _) = operator(&database, &["remove", "Mallory"], "");
    assert_eq!(code, 0);
    let (code, _, error) = operator(&database, &["remove", "mallory"], "");
    assert_eq!(code, 1);
    assert!(error.contains("no account is called"), "{error}");
    assert_eq!(
        ask(&mut client, &login("mallory", PASSWORD)).await,
        Err(WRONG.to_owned())
    );
    let (code, _, usage) = operator(&database, &["rename"], "");
    assert_eq!(code, 2);
    assert!(usage.contains("usage: mmo-server accounts list"), "{usage}");
    server.stop().await.unwrap();
}

#[test]
fn the_database_password_is_never_printed() {
    let url = "postgres://mmo:hunter22@db.example:5432/mmo";
    let output = common::process::run_to_exit(&["--print-config"], &[("MMO_DATABASE", url)]);
    let printed = String::from_utf8(output.stdout).unwrap();
    assert!(
        printed.contains("database = \"postgres://mmo:***@db.example:5432/mmo\""),
        "{printed}"
    );
    assert!(!printed.contains("hunter22"));
    let refused = common::process::refusal(&[], &[("MMO_DATABASE", "mysql://mmo:hunter22@db/mmo")]);
    assert!(refused.contains("mysql://mmo:***@db/mmo"), "{refused}");
    assert!(!refused.contains("hunter22"), "{refused}");
}

/// The body of an HTTP response, without its trailing newline.
fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").unwrap().1.trim_end()
}

#[tokio::test]
async fn without_a_database_accounts_are_off_and_say_so() {
    let server = TestServer::start(Config {
        database: String::new(),
        ..Config::default()
    })
    .await;
    let (_, status) = server.http_get("/api/status", "").await;
    assert!(
        status.contains(r#""accounts":{"enabled":false,"require_login":false,"available":false}"#),
        "{status}"
    );
    let mut client = Client::connect(&server).await;
    assert_eq!(
        ask(&mut client, &login("x", PASSWORD)).await,
        Err("accounts are not enabled on this server".to_owned())
    );
    server.stop().await.unwrap();
}

async fn best_scores_only_rise_and_rank_truly(backend: Backend) {
    use mmo_accounts::{Hiscore, HiscoreRank};
    let Some(database) = Database::new(backend).await else {
        return;
    };
    let config = Config {
        database: database.url.clone(),
        ..Config::default()
    };
    let accounts = Accounts::start(&mmo_server::account_settings(&config)).unwrap();
    assert!(accounts.wait_available(WAIT).await);
    let address = "127.0.0.1".parse().unwrap();
    let mut ids = Vec::new();
    for name in ["Ann", "bob", "Carol", "Dan"] {
        accounts.register(name, PASSWORD.into(), 0).await.unwrap();
        ids.push(
            accounts
                .login(name, PASSWORD.into(), address)
                .await
                .unwrap()
                .id,
        );
    }
    for (id, score) in [(ids[0], 500), (ids[1], 900), (ids[2], 900), (ids[0], 100)] {
        accounts.raise_best_score(id, score).await.unwrap();
    }
    let row = |rank, username: &str, score| Hiscore {
        rank,
        username: username.to_owned(),
        score,
    };
    assert_eq!(
        accounts.hiscores(0, 10).await.unwrap(),
        [row(1, "bob", 900), row(2, "Carol", 900), row(3, "Ann", 500)],
        "best first, ties by name, a lower score never replaces a best, Dan never played"
    );
    assert_eq!(
        accounts.hiscores(1, 1).await.unwrap(),
        [row(2, "Carol", 900)]
    );
    assert_eq!(
        accounts.hiscore_rank("CAROL").await,
        Ok(HiscoreRank::Ranked(2))
    );
    assert_eq!(
        accounts.hiscore_rank("ann").await,
        Ok(HiscoreRank::Ranked(3))
    );
    assert_eq!(
        accounts.hiscore_rank("dan").await,
        Ok(HiscoreRank::Unranked)
    );
    assert_eq!(
        accounts.hiscore_rank("_a%").await,
        Ok(HiscoreRank::NoSuchPlayer)
    );
    assert_eq!(
        accounts.hiscore_rank("").await,
        Ok(HiscoreRank::NoSuchPlayer)
    );
    let ann = accounts
        .login("ann", PASSWORD.into(), address)
        .await
        .unwrap();
    assert_eq!(ann.best_score, 500);
}
