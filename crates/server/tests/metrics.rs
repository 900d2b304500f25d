//! `/metrics` after a scripted session against a real server: every labelled count (why
//! sessions ended, why connections and messages were refused, what clients sent) and the
//! gauges are exactly what the script did; and `metrics_addr` moves `/metrics` off the public
//! port onto a listener of its own.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::process::ServerProcess;
use common::{Client, RawClient, TestServer, masked_frame, metric_value};
use futures_util::SinkExt as _;
use mmo_protocol::{Message as _, Msg, Packet};
use mmo_server::Config;
use tokio_tungstenite::tungstenite::Message;

/// The next packet that is not presence.
async fn recv_skipping_presence(client: &mut Client) -> Packet {
    loop {
        let packet = client.recv().await;
        if !matches!(packet.msg, Some(Msg::Presence(_))) {
            return packet;
        }
    }
}

#[tokio::test]
async fn a_scrape_after_a_scripted_session_counts_exactly_what_happened() {
    let server = TestServer::start(Config {
        // A token per 100 s after a burst of 10: the eleventh and twelfth lines of a quick
        // burst are over the rate whatever the machine's speed.
        chat_rate: 0.01,
        chat_burst: 10,
        max_message_bytes: 1024,
        allowed_origins: vec!["https://game.example".to_owned()],
        ..Config::default()
    })
    .await;

    // A room-aware client and a part-3 client in the lobby.
    let mut a = Client::full(&server).await;
    let mut b = Client::connect(&server).await;
    a.chat("hello").await;
    assert_eq!(b.recv_chat().await, (a.id, "hello".to_owned()));

    // A's refused and ignored messages; each refusal is read back, so all were handled.
    a.chat("").await;
    assert!(matches!(
        recv_skipping_presence(&mut a).await.msg,
        Some(Msg::DenyResponse(_))
    ));
    a.ws.send(Message::Binary(vec![0xff, 0xff, 0xff].into()))
        .await
        .unwrap();
    a.send_packet(&Packet::id_assignment(
        mmo_protocol::ClientId::new(99).unwrap(),
    ))
    .await;
    a.send_packet(&Packet::join_room("not a name")).await;
    assert!(matches!(
        recv_skipping_presence(&mut a).await.msg,
        Some(Msg::DenyResponse(_))
    ));
    a.send_packet(&Packet::room_list_request()).await;
    assert!(matches!(
        recv_skipping_presence(&mut a).await.msg,
        Some(Msg::RoomList(_))
    ));
    a.join("red").await;
    assert_eq!(server.metric("mmo_rooms").await, 2);
    assert_eq!(server.metric("mmo_sessions").await, 2);

    // A part-3 client sends a quick burst of 12 lines: 10 are relayed to B, 2 are over the
    // rate, and it is not told (it does not know refusals).
    let mut c = RawClient::connect(&server).await;
    let mut burst = Vec::new();
    for n in 0..12 {
        let line = Packet::chat(format!("line {n}")).encode_to_vec();
        burst.extend(masked_frame(0x82, &line));
    }
    tokio::io::AsyncWriteExt::write_all(&mut c.stream, &burst)
        .await
        .unwrap();
    for n in 0..10 {
        assert_eq!(b.recv_chat().await.1, format!("line {n}"));
    }
    server
        .wait_for_metric("mmo_messages_refused_total{kind=\"rate_limit\"}", 2)
        .await;

    // Four ways to end: broken framing, an oversize message, a close, a dropped connection.
    c.send_frame(0x83, b"reserved opcode").await;
    b.ws.send(Message::Binary(vec![0; 2048].into()))
        .await
        .unwrap();
    assert_eq!(b.expect_close().await.0, 1009);
    a.ws.close(None).await.unwrap();
    let e = Client::connect(&server).await;
    drop(e);

    // Three refusals before a session.
    server.raw_request(b"\x16\x03\x01 not http\r\n\r\n").await;
    let upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let (status, _) = server
        .http_get(
            "/ws",
            &format!("{upgrade}Sec-WebSocket-Version: 13\r\nOrigin: https://evil.example\r\n"),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = server
        .http_get("/ws", &format!("{upgrade}Sec-WebSocket-Version: 8\r\n"))
        .await;
    assert_eq!(status, 426);

    server.wait_for_metric("mmo_sessions_closed_total", 4).await;
    let (status, text) = server.http_get("/metrics", "").await;
    assert_eq!(status, 200);
    assert!(
        text.contains("Content-Type: text/plain; version=0.0.4"),
        "{text}"
    );
    let expected: &[(&str, u64)] = &[
        ("mmo_sessions_opened_total", 4),
        ("mmo_sessions_closed_total{reason=\"client_closed\"}", 1),
        ("mmo_sessions_closed_total{reason=\"connection_lost\"}", 1),
        ("mmo_sessions_closed_total{reason=\"protocol_error\"}", 1),
        ("mmo_sessions_closed_total{reason=\"too_big\"}", 1),
        ("mmo_sessions_closed_total{reason=\"too_slow\"}", 0),
        ("mmo_sessions_closed_total{reason=\"idle\"}", 0),
        ("mmo_sessions_closed_total{reason=\"shutdown\"}", 0),
        ("mmo_sessions_closed_total{reason=\"aborted\"}", 0),
        ("mmo_connections_refused_total{kind=\"bad_request\"}", 1),
        ("mmo_connections_refused_total{kind=\"origin\"}", 1),
        ("mmo_connections_refused_total{kind=\"bad_upgrade\"}", 1),
        ("mmo_connections_refused_total", 3),
        ("mmo_messages_received_total{kind=\"join_room\"}", 3),
        ("mmo_messages_received_total{kind=\"chat\"}", 12),
        ("mmo_messages_received_total{kind=\"undecodable\"}", 1),
        ("mmo_messages_received_total{kind=\"id\"}", 1),
        ("mmo_messages_received_total{kind=\"room_list_request\"}", 1),
        ("mmo_messages_received_total{kind=\"rate_limited\"}", 2),
        ("mmo_messages_received_total", 20),
        ("mmo_messages_refused_total{kind=\"chat_invalid\"}", 1),
        ("mmo_messages_refused_total{kind=\"join_bad_name\"}", 1),
        ("mmo_messages_refused_total{kind=\"rate_limit\"}", 2),
        ("mmo_messages_refused_total", 4),
        ("mmo_refusals_unsent_total", 2),
        ("mmo_chats_relayed_total", 11),
        ("mmo_deliveries_total", 11),
        ("mmo_joins_total", 1),
        ("mmo_tasks_panicked_total", 0),
        ("mmo_sessions", 0),
        ("mmo_rooms", 1),
        ("mmo_pending_handshakes", 0),
    ];
    for (series, value) in expected {
        assert_eq!(metric_value(&text, series), *value, "{series}");
    }
    for help in text.lines().filter(|line| line.starts_with("# HELP")) {
        assert!(help.starts_with("# HELP mmo_"), "{help}");
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn metrics_addr_serves_metrics_on_its_own_listener_only() {
    let mut server = ServerProcess::start(&[
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--metrics-addr",
        "127.0.0.1:0",
    ]);
    let public = server.address_after("Starting server on ");
    let private = server.address_after("Serving metrics on ");
    let get = |address: String, path: &'static str| async move {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
        tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes())
            .await
            .unwrap();
        let mut response = String::new();
        tokio::time::timeout(
            Duration::from_secs(10),
            tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut response),
        )
        .await
        .unwrap()
        .unwrap();
        response
    };
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{public}/ws"))
        .await
        .unwrap();
    common::next_packet(&mut ws).await;

    // The session is counted once it has registered, a moment after its ID went out.
    let scraped = common::wait_for_metric_in("mmo_sessions", 1, || async {
        let scraped = get(private.clone(), "/metrics").await;
        assert!(scraped.starts_with("HTTP/1.1 200"), "{scraped}");
        scraped
    })
    .await;
    assert_eq!(metric_value(&scraped, "mmo_sessions"), 1, "{scraped}");
    assert!(
        get(private.clone(), "/health")
            .await
            .starts_with("HTTP/1.1 200")
    );
    assert!(
        get(private.clone(), "/api/status")
            .await
            .starts_with("HTTP/1.1 404")
    );
    let public_metrics = get(public.clone(), "/metrics").await;
    assert!(
        public_metrics.starts_with("HTTP/1.1 404"),
        "{public_metrics}"
    );
    assert!(get(public, "/api/status").await.starts_with("HTTP/1.1 200"));

    ws.close(None).await.unwrap();
    common::expect_close(&mut ws).await;
    let (status, _) = server.stop();
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_metrics_addr_without_a_port_stops_start_up() {
    let output = common::process::run_to_exit(&["--metrics-addr", "localhost"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("metrics_addr = localhost (from --metrics-addr): must be HOST:PORT"),
        "{stderr}"
    );
}
