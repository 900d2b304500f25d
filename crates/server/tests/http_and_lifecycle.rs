//! The HTTP side (health, metrics, status, refusals, the web client's files) and the
//! lifecycle (graceful shutdown, churn leaving nothing behind) against a real server.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Client, TestServer};
use mmo_server::Config;

#[tokio::test]
async fn health_answers_200() {
    let server = TestServer::start(Config::default()).await;
    let (status, text) = server.http_get("/health", "").await;
    assert_eq!(status, 200, "{text}");
    assert!(text.ends_with("\r\n\r\nok\n"));
}

#[tokio::test]
async fn a_plain_get_on_ws_gets_426_with_an_explanation() {
    let server = TestServer::start(Config::default()).await;
    let (status, text) = server.http_get("/ws", "").await;
    assert_eq!(status, 426, "{text}");
    assert!(text.contains("Upgrade: websocket\r\n"));
    assert!(text.contains("connect with a WebSocket client"), "{text}");
}

#[tokio::test]
async fn bad_upgrades_are_refused_with_the_reason() {
    let server = TestServer::start(Config::default()).await;
    let upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
    let (status, text) = server
        .http_get("/ws", &format!("{upgrade}Sec-WebSocket-Version: 8\r\n"))
        .await;
    assert_eq!(status, 426, "{text}");
    assert!(text.contains("Sec-WebSocket-Version: 13\r\n"));
    let (status, text) = server
        .http_get(
            "/ws",
            &format!("{upgrade}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: bm9wZQ==\r\n"),
        )
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("Sec-WebSocket-Key"));
}

/// `mmo chat ws://host:8080` (no `/ws`) must hear where the endpoint is, not get the web page
/// with 200 and retry for ever.
#[tokio::test]
async fn a_websocket_upgrade_to_another_path_gets_404_naming_ws() {
    let server = TestServer::start(Config::default()).await;
    let upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    for path in ["/", "/index.html", "/chat", "/health"] {
        let (status, text) = server.http_get(path, upgrade).await;
        assert_eq!(status, 404, "{path}: {text}");
        assert!(
            text.contains("the WebSocket endpoint is /ws"),
            "{path}: {text}"
        );
    }
    // Counted and logged as a refused upgrade, so an operator sees misconfigured clients.
    assert_eq!(
        server
            .metric("mmo_connections_refused_total{kind=\"bad_upgrade\"}")
            .await,
        4
    );
    // Without the upgrade the page is still the page.
    assert_eq!(server.http_get("/", "").await.0, 200);
    // And a real client is told by its library, not left retrying a 200.
    let error = tokio_tungstenite::connect_async(format!("ws://{}/", server.addr))
        .await
        .err()
        .unwrap();
    assert!(error.to_string().contains("404"), "{error}");
}

#[tokio::test]
async fn unknown_paths_get_404_and_other_methods_405() {
    let server = TestServer::start(Config::default()).await;
    assert_eq!(server.http_get("/nope", "").await.0, 404);
    let (status, response) = server
        .raw_request(b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        .await;
    assert_eq!(status, 405, "{response}");
    assert!(response.contains("Allow: GET, HEAD"));
}

#[tokio::test]
async fn malformed_and_oversize_request_heads_are_refused() {
    let server = TestServer::start(Config::default()).await;
    let (status, response) = server
        .raw_request(b"\x16\x03\x01\x02\x00 not http\r\n\r\n")
        .await;
    assert_eq!(status, 400, "{response}");

    let huge = format!("X-Filler: {}\r\n", "a".repeat(mmo_server::MAX_HEAD_BYTES));
    let (status, _) = server.http_get("/health", &huge).await;
    assert_eq!(status, 431);
    assert_eq!(
        server
            .metric("mmo_connections_refused_total{kind=\"bad_request\"}")
            .await,
        2
    );
}

#[tokio::test]
async fn metrics_and_status_report_what_happened() {
    let server = TestServer::start(Config::default()).await;
    let mut a = Client::connect(&server).await;
    let mut b = Client::connect(&server).await;
    let _c = Client::connect(&server).await;
    a.chat("one").await;
    b.recv_chat().await;
    assert_eq!(server.metric("mmo_chats_relayed_total").await, 1);
    assert_eq!(server.metric("mmo_deliveries_total").await, 2);
    assert_eq!(server.metric("mmo_sessions").await, 3);
    let (status, json) = server.http_get("/api/status", "").await;
    assert_eq!(status, 200);
    assert!(json.contains("Content-Type: application/json"));
    assert!(json.contains("Access-Control-Allow-Origin: *"), "{json}");
    assert!(json.contains("\"clients\":3,"), "{json}");
    assert!(json.contains("\"messages_total\":1,"), "{json}");
    assert!(json.contains("\"max_chat_chars\":500"), "{json}");
}

#[tokio::test]
async fn browser_origins_outside_the_allow_list_are_refused() {
    let server = TestServer::start(Config {
        allowed_origins: vec!["https://game.example".to_owned()],
        ..Config::default()
    })
    .await;
    let upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let (status, text) = server
        .http_get("/ws", &format!("{upgrade}Origin: https://evil.example\r\n"))
        .await;
    assert_eq!(status, 403, "{text}");
    assert_eq!(
        server
            .metric("mmo_connections_refused_total{kind=\"origin\"}")
            .await,
        1
    );
    // No Origin (Godot, the CLI) and an allowed one both get in.
    Client::connect(&server).await;
    let mut allowed = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let request =
        format!("GET /ws HTTP/1.1\r\nHost: x\r\n{upgrade}Origin: https://game.example\r\n\r\n");
    tokio::io::AsyncWriteExt::write_all(&mut allowed, request.as_bytes())
        .await
        .unwrap();
    let mut head = [0u8; 12];
    tokio::io::AsyncReadExt::read_exact(&mut allowed, &mut head)
        .await
        .unwrap();
    assert_eq!(&head, b"HTTP/1.1 101");
}

#[tokio::test]
async fn shutdown_closes_every_client_with_1001_and_run_returns() {
    let server = TestServer::start(Config::default()).await;
    let mut clients = Vec::new();
    for _ in 0..5 {
        clients.push(Client::connect(&server).await);
    }
    let addr = server.addr;
    let closes = tokio::spawn(async move {
        let mut codes = Vec::new();
        for client in &mut clients {
            codes.push(client.expect_close().await);
        }
        codes
    });
    server.stop().await.unwrap();
    for (code, reason) in closes.await.unwrap() {
        assert_eq!((code, reason.as_str()), (1001, "server shutting down"));
    }
    // The listener is gone.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn shutdown_does_not_wait_forever_for_clients_that_never_answer() {
    let server = TestServer::start(Config {
        shutdown_timeout: Duration::from_millis(300),
        close_timeout: Duration::from_secs(60),
        ..Config::default()
    })
    .await;
    // Connected and silent: it never answers the close frame.
    let _silent = common::RawClient::connect(&server).await;
    let started = tokio::time::Instant::now();
    server.stop().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_leaves_no_session_or_task_behind() {
    let server = TestServer::start(Config::default()).await;
    for round in 0..10 {
        let mut clients = Vec::new();
        for _ in 0..30 {
            clients.push(Client::connect(&server).await);
        }
        // Half leave politely, half just drop the socket.
        for (n, mut client) in clients.into_iter().enumerate() {
            if n % 2 == 0 {
                let _ = client.ws.close(None).await;
            }
        }
        server
            .wait_for_metric("mmo_sessions_closed_total", (round + 1) * 30)
            .await;
    }
    assert_eq!(server.metric("mmo_sessions").await, 0);
    let (_, json) = server.http_get("/api/status", "").await;
    assert!(json.contains("\"clients\":0,"), "{json}");
    assert_eq!(server.metric("mmo_sessions_opened_total").await, 300);
}

#[tokio::test]
async fn the_web_client_is_served_with_types_and_etags() {
    let server = TestServer::start(Config::default()).await;
    let (status, text) = server.http_get("/", "").await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("Content-Type: text/html; charset=utf-8\r\n"));
    assert!(text.contains("Cache-Control: no-cache\r\n"));
    let etag = text
        .lines()
        .find_map(|line| line.strip_prefix("ETag: "))
        .expect("an ETag")
        .to_owned();
    let (status, _) = server
        .http_get("/", &format!("If-None-Match: {etag}\r\n"))
        .await;
    assert_eq!(status, 304);
    let (status, script) = server.http_get("/app.js", "").await;
    assert_eq!(status, 200);
    assert!(
        script.contains("Content-Type: text/javascript; charset=utf-8\r\n"),
        "{script}"
    );
}

#[tokio::test]
async fn a_configuration_that_cannot_work_is_refused_before_serving() {
    let listener = mmo_server::bind("127.0.0.1:0").await.unwrap();
    let config = Config {
        chat_rate: f64::INFINITY,
        ..Config::default()
    };
    let error = mmo_server::run(listener, config, std::future::pending())
        .await
        .expect_err("refused");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("chat_rate"), "{error}");
}
