//! The accounts database going down and coming back, against a real PostgreSQL that the test
//! stops and starts (`scripts/with-postgres` sets `MMO_TEST_POSTGRES_URL` and
//! `MMO_TEST_POSTGRES_CTL`): logins are refused with a reason, chat goes on, `/health`,
//! `/api/status` and the metrics say so, and accounts come back by themselves.
//!
//! A test binary of its own, so that stopping the database disturbs no other test.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::{Client, TestServer, WAIT};
use mmo_accounts::Accounts;
use mmo_protocol::{LoginRequestMessage, Msg, Packet, RegisterRequestMessage};
use mmo_server::{Config, Services};

const PASSWORD: &str = "correct horse battery";

/// Stops or starts the test cluster.
fn cluster(ctl: &str, action: &str) {
    let status = Command::new(ctl).arg(action).status().unwrap();
    assert!(status.success(), "{ctl} {action}");
}

async fn ask(client: &mut Client, request: &Packet) -> Result<(), String> {
    client.send_packet(request).await;
    loop {
        match client.recv().await.msg {
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

fn login() -> Packet {
    Packet {
        sender_id: 0,
        msg: Some(Msg::LoginRequest(LoginRequestMessage {
            username: "olive".into(),
            password: PASSWORD.into(),
        })),
    }
}

/// Polls `/api/status` until accounts are `available` as wanted.
async fn wait_until_available(server: &TestServer, available: bool, within: Duration) {
    let wanted = format!(r#""available":{available}}}"#);
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let (_, status) = server.http_get("/api/status", "").await;
        if status.contains(&wanted) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "accounts not {wanted} within {within:?}: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_database_outage_refuses_logins_keeps_chat_and_recovers() {
    let (Ok(admin), Ok(ctl)) = (
        std::env::var("MMO_TEST_POSTGRES_URL"),
        std::env::var("MMO_TEST_POSTGRES_CTL"),
    ) else {
        println!(
            "skipped: MMO_TEST_POSTGRES_URL and MMO_TEST_POSTGRES_CTL are not set \
             (scripts/with-postgres sets them; scripts/test runs this test that way)"
        );
        return;
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
    let name = format!("mmo_outage_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let config = Config {
        database: format!("{}/{name}", admin.rsplit_once('/').unwrap().0),
        chat_rate: 0.0,
        ..Config::default()
    };
    let accounts = Accounts::start(&mmo_server::account_settings(&config)).unwrap();
    assert!(accounts.wait_available(WAIT).await);
    let server = TestServer::start_with(
        config,
        Services {
            accounts: Some(Arc::new(accounts)),
            ..Services::default()
        },
    )
    .await;
    let mut player = Client::connect(&server).await;
    let register = Packet {
        sender_id: 0,
        msg: Some(Msg::RegisterRequest(RegisterRequestMessage {
            username: "olive".into(),
            password: PASSWORD.into(),
            color: 0,
        })),
    };
    ask(&mut player, &register).await.unwrap();
    let mut chatter = Client::full(&server).await;
    let mut listener = Client::full(&server).await;

    cluster(&ctl, "stop");
    assert_eq!(
        ask(&mut player, &login()).await,
        Err("accounts are unavailable, try again shortly".to_owned())
    );
    wait_until_available(&server, false, WAIT).await;
    chatter.chat("the database is down").await;
    assert_eq!(listener.recv_chat().await.1, "the database is down");
    let (code, health) = server.http_get("/health", "").await;
    assert_eq!(code, 200, "chat still works: the server is healthy");
    assert!(health.contains("ok, accounts unavailable"), "{health}");
    assert_eq!(server.metric("mmo_accounts_available").await, 0);
    assert!(
        server
            .metric("mmo_account_requests_total{outcome=\"unavailable\"}")
            .await
            >= 1
    );

    cluster(&ctl, "start");
    wait_until_available(&server, true, WAIT * 2).await;
    ask(&mut player, &login()).await.unwrap();
    assert_eq!(server.metric("mmo_accounts_available").await, 1);
    server.stop().await.unwrap();
}
