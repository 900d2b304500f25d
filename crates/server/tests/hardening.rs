//! The connection life cycle against hostile and odd clients: exhaustion by idle sockets, live
//! clients taken for idle, the shutdown race, forged and flooded logs, RFC 6455 details the
//! conformance suite found, IPv6, a panicking session, and a handler that waits.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::process::{ServerProcess, Stdout};
use common::{Client, RawClient, TestServer, WAIT, connect_from};
use futures_util::{SinkExt as _, StreamExt as _};
use mmo_protocol::{Msg, Packet};
use mmo_server::{AccountError, AccountStore, Config, Services};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// A WebSocket client from `source` that has received its ID; returns it and how long that took.
async fn first_id_from(source: [u8; 4], server: SocketAddr) -> (u64, Duration) {
    let started = Instant::now();
    let stream = connect_from(source, server).await.unwrap();
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{server}/ws"), stream)
        .await
        .unwrap();
    let packet = common::next_packet(&mut ws).await;
    let Some(Msg::Id(id)) = packet.msg else {
        panic!("expected an ID, got {packet:?}");
    };
    (id.id, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holding_idle_and_half_sent_connections_cannot_keep_another_out() {
    // A process allowed 300 files, and 1,500 connections from one address: half silent, half
    // an unfinished request head (the probe that made every other upgrade time out).
    let server = ServerProcess::start_with(
        &["--host", "127.0.0.1", "--port", "0"],
        Some(300),
        Stdout::Collected,
    );
    let mut held = Vec::new();
    for n in 0..1_500 {
        let Ok(mut stream) = connect_from([127, 0, 0, 1], server.addr).await else {
            continue;
        };
        if n % 2 == 1 {
            // The server may already have dropped it to make room: that is the point.
            let _ = stream.write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\n").await;
        }
        held.push(stream);
    }
    let (_, took) = first_id_from([127, 0, 0, 2], server.addr).await;
    assert!(took < Duration::from_secs(2), "got its ID after {took:?}");
    // Even while still held open by the other side, the crowd cost the server no descriptors
    // it did not have.
    let (_, took_again) = first_id_from([127, 0, 0, 3], server.addr).await;
    assert!(took_again < Duration::from_secs(2), "{took_again:?}");
    // The log is written in batches; once the last client's arrival is in, so is all before it.
    server.wait_for_log(|line| line.contains("New client connected from 127.0.0.3"));
    let log = server.log();
    assert!(
        !log.iter().any(|line| line.contains("Too many open files")),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|line| line.contains("to make room for a new one")),
        "evictions are logged"
    );
    let evicted_lines = log
        .iter()
        .filter(|line| line.contains("to make room"))
        .count();
    assert!(
        evicted_lines < 5,
        "logged once per burst, not per socket: {evicted_lines}"
    );
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_over_its_limits_is_answered_with_429_and_retry_after() {
    let server = TestServer::start(Config {
        address_limit_exempt: Vec::new(),
        max_connections_per_address: 3,
        connect_burst_per_address: 100,
        ..Config::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(Client::connect(&server).await);
    }
    let (status, response) = server.http_get("/health", "").await;
    assert_eq!(status, 429, "{response}");
    assert!(response.contains("Retry-After: "), "{response}");
    assert!(response.contains("too many connections from your address (at most 3)"));
    // Another address is not held back.
    let (_, took) = first_id_from([127, 0, 0, 2], server.addr).await;
    assert!(took < Duration::from_secs(2));
    drop(held);
    // Once the server has seen them go, this address may connect again.
    server
        .wait_for_metric_from(
            [127, 0, 0, 4],
            "mmo_connections_refused_total{kind=\"address_busy\"}",
            1,
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_connecting_too_fast_is_answered_with_429() {
    let server = TestServer::start(Config {
        address_limit_exempt: Vec::new(),
        connect_rate_per_address: 0.5,
        connect_burst_per_address: 2,
        ..Config::default()
    })
    .await;
    for _ in 0..2 {
        assert_eq!(server.http_get("/health", "").await.0, 200);
    }
    let (status, response) = server.http_get("/health", "").await;
    assert_eq!(status, 429, "{response}");
    assert!(response.contains("connecting too fast"), "{response}");
    assert!(response.contains("Retry-After: 2"), "{response}");
}

/// Reads for `window`, answering pings (tungstenite does when read); fails on anything else.
async fn stay_connected(ws: &mut common::Ws, window: Duration) {
    let until = tokio::time::Instant::now() + window;
    loop {
        match tokio::time::timeout_at(until, ws.next()).await {
            Err(_) => return,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            Ok(other) => panic!("expected to stay connected, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_client_answering_pings_survives_the_shortest_idle_timeout_accepted() {
    let mut config = Config {
        ping_interval: Duration::from_millis(200),
        close_timeout: Duration::from_millis(200),
        ..Config::default()
    };
    config.idle_timeout = config.shortest_idle_timeout();
    assert!(config.validate().is_ok());
    let server = TestServer::start(config.clone()).await;
    let mut answering = Client::connect(&server).await;
    let mut silent = RawClient::connect(&server).await;
    // Six idle timeouts later the answering client is still there; the silent one is not.
    stay_connected(&mut answering.ws, config.idle_timeout * 6).await;
    server
        .wait_for_metric("mmo_sessions_closed_total{reason=\"idle\"}", 1)
        .await;
    let mut rest = Vec::new();
    tokio::time::timeout(WAIT, silent.stream.read_to_end(&mut rest))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        server
            .metric("mmo_sessions_closed_total{reason=\"idle\"}")
            .await,
        1
    );
    answering.chat("still here").await;
    let mut other = Client::connect(&server).await;
    answering.chat("and here").await;
    // "still here" may reach `other` too, when the server took it after `other` entered.
    let mut heard = other.recv_chat().await.1;
    if heard == "still here" {
        heard = other.recv_chat().await.1;
    }
    assert_eq!(heard, "and here");
}

#[tokio::test]
async fn a_request_still_being_read_at_shutdown_is_answered_503_and_run_waits_for_it() {
    let server = TestServer::start(Config::default()).await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut connected = Client::connect(&server).await;
    let stopping = tokio::spawn(server.stop());
    let mut response = String::new();
    tokio::time::timeout(WAIT, slow.read_to_string(&mut response))
        .await
        .unwrap()
        .unwrap();
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");
    assert!(response.contains("server shutting down"), "{response}");
    assert_eq!(connected.expect_close().await.0, 1001);
    drop(connected);
    stopping.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_session_opened_during_a_shutdown_escapes_its_1001() {
    // Clients keep connecting while the server shuts down: each is refused, or gets its ID
    // and then close 1001; none is left open, and `run` returns only when all have ended.
    let server = TestServer::start(Config::default()).await;
    let url = server.url();
    let connecting: Vec<_> = (0..200)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let Ok((mut ws, _)) = tokio_tungstenite::connect_async(&url).await else {
                    return "refused";
                };
                loop {
                    match tokio::time::timeout(WAIT, ws.next())
                        .await
                        .expect("not left open")
                    {
                        Some(Ok(Message::Close(Some(CloseFrame { code, .. })))) => {
                            assert_eq!(u16::from(code), 1001);
                            return "closed with 1001";
                        }
                        Some(Ok(Message::Binary(_) | Message::Ping(_))) => {}
                        other => panic!("a session ended without 1001: {other:?}"),
                    }
                }
            })
        })
        .collect();
    server
        .wait_for_metric("mmo_sessions_opened_total", 20)
        .await;
    server.stop().await.unwrap();
    let mut outcomes = std::collections::BTreeMap::new();
    for task in connecting {
        *outcomes.entry(task.await.unwrap()).or_insert(0) += 1;
    }
    assert_eq!(outcomes.values().sum::<i32>(), 200, "{outcomes:?}");
}

#[tokio::test]
async fn shutdown_aborts_what_is_left_after_its_timeout_and_says_how_many() {
    let server = TestServer::start(Config {
        shutdown_timeout: Duration::from_millis(200),
        close_timeout: Duration::from_secs(60),
        ..Config::default()
    })
    .await;
    // Silent and never answering the close frame.
    let _silent = RawClient::connect(&server).await;
    let started = Instant::now();
    server.stop().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_text_in_the_log_cannot_start_a_line_of_its_own() {
    let server = ServerProcess::start_with(
        &[
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--allowed-origins",
            "https://good.example",
        ],
        None,
        Stdout::Collected,
    );
    // An origin that is refused, and logged, holding a right-to-left override.
    let request = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                   Origin: http://evil.example\u{202e}moc.elgoog\r\n\r\n";
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
    server.wait_for_log(|line| line.contains("refused WebSocket from origin"));
    let (mut ws, _) = tokio_tungstenite::connect_async(server.url())
        .await
        .unwrap();
    common::next_packet(&mut ws).await;
    ws.close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "bye\nFAKE 2026-11-29T12:00:00Z INFO granted admin".into(),
    }))
    .await
    .unwrap();
    let line = server.wait_for_log(|line| line.contains("Closing client connection"));
    assert!(line.contains("\"bye\\nFAKE"), "{line}");
    let log = server.log();
    assert!(
        !log.iter()
            .any(|line| line.starts_with("FAKE") || line.contains('\u{202e}')),
        "{log:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_client_gets_one_warning_not_one_per_message() {
    let server = ServerProcess::start_with(
        &[
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--chat-rate",
            "5",
            "--chat-burst",
            "10",
        ],
        None,
        Stdout::Collected,
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(server.url())
        .await
        .unwrap();
    let id = match common::next_packet(&mut ws).await.msg {
        Some(Msg::Id(id)) => id.id,
        other => panic!("{other:?}"),
    };
    // Undecodable frames at full speed, then chat over the rate for a second: each kind of
    // trouble is one warning for this client, not hundreds.
    for _ in 0..300 {
        ws.send(Message::Binary(vec![0xff, 0xff, 0xff].into()))
            .await
            .unwrap();
    }
    for _ in 0..200 {
        ws.send(Message::Binary(
            mmo_protocol::Message::encode_to_vec(&Packet::chat("x")).into(),
        ))
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    ws.close(None).await.unwrap();
    let closing = server.wait_for_log(|line| line.contains(&format!("Client {id}: Closing")));
    let warnings = server
        .log()
        .iter()
        .filter(|line| line.contains(&format!("Client {id}:")) && line.contains("WARN"))
        .count();
    assert!(
        warnings <= 2,
        "{warnings} warning lines: {:#?}",
        server.log()
    );
    assert!(closing.contains("warnings_left_out"), "{closing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_log_output_does_not_stall_the_server() {
    // Nobody reads the server's standard output: once the pipe's buffer (64 KiB) is full, a
    // blocking writer would stop every worker that logs.
    let server = ServerProcess::start_with(
        &["--host", "127.0.0.1", "--port", "0"],
        None,
        Stdout::Stalled,
    );
    // Each connection logs two lines on connect and one on close: 800 of them are several
    // times what the pipe holds.
    for _ in 0..800 {
        let (mut ws, _) = tokio_tungstenite::connect_async(server.url())
            .await
            .unwrap();
        tokio::time::timeout(WAIT, common::next_packet(&mut ws))
            .await
            .expect("the server still serves");
        drop(ws);
    }
    let mut probe = TcpStream::connect(server.addr).await.unwrap();
    probe
        .write_all(b"GET /health HTTP/1.1\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(2), probe.read_to_string(&mut response))
        .await
        .expect("answered at once")
        .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

/// Reads everything until the server closes; returns the frames and how long the end took
/// after `since`.
async fn frames_until_end(raw: &mut RawClient, since: Instant) -> (Vec<(u8, Vec<u8>)>, Duration) {
    let mut rest = Vec::new();
    tokio::time::timeout(WAIT, raw.stream.read_to_end(&mut rest))
        .await
        .expect("the server ends the connection")
        .unwrap();
    let ended = since.elapsed();
    raw.received.extend_from_slice(&rest);
    (common::parse_server_frames(&raw.received), ended)
}

fn close_code_of(frames: &[(u8, Vec<u8>)]) -> u16 {
    let close = frames.iter().find(|f| f.0 == 0x88).expect("a close frame");
    u16::from_be_bytes([close.1[0], close.1[1]])
}

#[tokio::test]
async fn a_text_message_that_is_not_utf8_fails_the_connection_with_1007_at_once() {
    let server = TestServer::start(Config::default()).await;
    let mut raw = RawClient::connect(&server).await;
    let sent = Instant::now();
    raw.send_frame(0x81, &[0x68, 0x69, 0xed, 0xa0, 0x80]).await; // a UTF-16 surrogate
    let (frames, ended) = frames_until_end(&mut raw, sent).await;
    assert_eq!(close_code_of(&frames), 1007);
    assert!(
        ended < Duration::from_secs(1),
        "TCP closed promptly, not after {ended:?}"
    );
}

#[tokio::test]
async fn a_fragmented_text_message_fails_as_soon_as_the_bad_fragment_arrives() {
    let server = TestServer::start(Config::default()).await;
    let mut raw = RawClient::connect(&server).await;
    raw.send_frame(0x01, "κόσμε".as_bytes()).await; // fine so far
    raw.send_frame(0x00, &[0xce, 0xba, 0xff]).await; // not UTF-8; the message is not done
    let (frames, _) = frames_until_end(&mut raw, Instant::now()).await;
    assert_eq!(close_code_of(&frames), 1007);
    // A character split across fragments is fine.
    let mut raw = RawClient::connect(&server).await;
    let mut listener = Client::full(&server).await;
    let chat = mmo_protocol::Message::encode_to_vec(&Packet::chat("é"));
    let split = chat.len() - 1; // inside the two bytes of "é"
    raw.send_frame(0x01, &chat[..split]).await;
    raw.send_frame(0x80, &chat[split..]).await;
    assert_eq!(listener.recv_chat().await.1, "é");
}

#[tokio::test]
async fn a_broken_close_frame_is_answered_and_the_connection_closed_promptly() {
    let server = TestServer::start(Config::default()).await;
    for (payload, code) in [
        (vec![0x03], 1002),                   // a one-byte payload
        (vec![0x03, 0xed], 1002),             // code 1005 may not be sent
        (vec![0x03, 0xe8, 0xff, 0xfe], 1007), // a reason that is not UTF-8
    ] {
        let mut raw = RawClient::connect(&server).await;
        let sent = Instant::now();
        raw.send_frame(0x88, &payload).await;
        let (frames, ended) = frames_until_end(&mut raw, sent).await;
        assert_eq!(close_code_of(&frames), code, "{payload:02x?}");
        assert!(ended < Duration::from_secs(1), "{payload:02x?}: {ended:?}");
    }
}

#[tokio::test]
async fn bytes_after_a_protocol_error_are_not_decoded_and_the_close_is_prompt() {
    let server = TestServer::start(Config::default()).await;
    let mut raw = RawClient::connect(&server).await;
    let sent = Instant::now();
    // A frame with a reserved bit, sent a byte at a time, then garbage.
    for byte in common::masked_frame(0xC2, b"x") {
        raw.stream.write_all(&[byte]).await.unwrap();
    }
    let _ = raw.stream.write_all(&[0x00; 64]).await;
    let (frames, ended) = frames_until_end(&mut raw, sent).await;
    assert_eq!(close_code_of(&frames), 1002);
    assert_eq!(
        frames.iter().filter(|f| f.0 == 0x88).count(),
        1,
        "one close frame"
    );
    assert!(ended < Duration::from_secs(1), "{ended:?}");
}

#[tokio::test]
async fn the_registered_close_codes_1012_to_1014_are_accepted() {
    let server = TestServer::start(Config::default()).await;
    for code in [1012u16, 1013, 1014] {
        let mut raw = RawClient::connect(&server).await;
        raw.send_frame(0x88, &code.to_be_bytes()).await;
        let (frames, _) = frames_until_end(&mut raw, Instant::now()).await;
        assert_eq!(close_code_of(&frames), 1000, "code {code}");
    }
}

#[tokio::test]
async fn the_default_address_listens_on_ipv6_and_ipv4() {
    let listener = mmo_server::bind("[::]:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(mmo_server::run(listener, Config::default(), async {
        let _ = stopped.await;
    }));
    for host in ["[::1]", "127.0.0.1"] {
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{host}:{port}/ws"))
            .await
            .unwrap_or_else(|error| panic!("{host}: {error}"));
        let packet = common::next_packet(&mut ws).await;
        assert!(matches!(packet.msg, Some(Msg::Id(_))), "{host}: {packet:?}");
    }
    let _ = stop.send(());
    running.await.unwrap().unwrap();
}

/// An account store for the tests below: every answer waits until the test lets it go (or
/// panics, for a store with a bug).
#[derive(Debug)]
struct GatedAccounts {
    open: Arc<Notify>,
    bug: Bug,
}

/// Where a buggy store panics.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bug {
    None,
    /// In `login` itself, on the session's task, before there is any work to wait for.
    InTheCall,
    /// In the answer, once let go.
    InTheAnswer,
}

impl AccountStore for GatedAccounts {
    fn register(&self, _: mmo_server::Registration) -> mmo_server::AccountFuture<()> {
        Box::pin(async { Err(AccountError::Unavailable) })
    }

    fn login(&self, login: mmo_server::Login) -> mmo_server::AccountFuture<mmo_server::Account> {
        assert_ne!(self.bug, Bug::InTheCall, "the account store has a bug");
        let open = Arc::clone(&self.open);
        let bug = self.bug;
        Box::pin(async move {
            open.notified().await;
            assert_ne!(bug, Bug::InTheAnswer, "the account store has a bug");
            if login.password == "right" {
                Ok(mmo_server::Account {
                    id: 1,
                    username: login.username,
                    color: 0,
                    best_score: 0,
                })
            } else {
                Err(AccountError::WrongCredentials)
            }
        })
    }

    fn available(&self) -> bool {
        true
    }
}

async fn server_with_accounts(bug: Bug, config: Config) -> (TestServer, Arc<Notify>) {
    let open = Arc::new(Notify::new());
    let accounts = GatedAccounts {
        open: Arc::clone(&open),
        bug,
    };
    let server = TestServer::start_with(
        config,
        Services {
            accounts: Some(Arc::new(accounts)),
            ..Services::default()
        },
    )
    .await;
    (server, open)
}

fn login(password: &str) -> Packet {
    Packet {
        sender_id: 0,
        msg: Some(Msg::LoginRequest(mmo_protocol::LoginRequestMessage {
            username: "alice".into(),
            password: password.into(),
        })),
    }
}

#[tokio::test]
async fn a_handler_that_waits_stalls_neither_its_session_nor_anyone_else_and_keeps_order() {
    let (server, open) = server_with_accounts(Bug::None, TestServer::unlimited()).await;
    let mut alice = Client::full(&server).await;
    let mut bob = Client::full(&server).await;
    alice.recv_presence().await; // bob entering
    alice.send_packet(&login("right")).await;
    alice.chat("said after logging in").await;
    // While the login waits: alice's pings are answered, others' chat reaches her, and her
    // own later chat waits its turn.
    alice
        .ws
        .send(Message::Ping(b"still there".to_vec().into()))
        .await
        .unwrap();
    let pong = tokio::time::timeout(WAIT, alice.ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(pong, Message::Pong(b"still there".to_vec().into()));
    bob.chat("hello alice").await;
    assert_eq!(alice.recv_chat().await, (bob.id, "hello alice".to_owned()));
    bob.expect_silence(Duration::from_millis(100)).await;
    // The store answers: then the OK, then the chat that came after the login, named.
    open.notify_one();
    let ok = alice.recv().await;
    assert!(matches!(ok.msg, Some(Msg::OkResponse(_))), "{ok:?}");
    assert_eq!(
        bob.recv_chat().await,
        (alice.id, "said after logging in".to_owned())
    );
    let room = bob.join("").await;
    let line = room.history.last().unwrap();
    assert_eq!(
        (line.msg.as_str(), line.sender_name.as_str()),
        ("said after logging in", "alice")
    );
    let named = room.members.iter().find(|m| m.id == alice.id).unwrap();
    assert_eq!(named.name, "alice");
}

#[tokio::test]
async fn a_panic_in_a_session_leaks_nothing_and_disturbs_no_one_else() {
    let (server, _open) = server_with_accounts(
        Bug::InTheCall,
        Config {
            max_connections: 3,
            ..TestServer::unlimited()
        },
    )
    .await;
    let mut victim = Client::full(&server).await;
    let mut watcher = Client::full(&server).await;
    let mut talker = Client::full(&server).await;
    watcher.recv_presence().await; // talker entering
    // A panic on the session's task itself, outside the work a handler waits for.
    victim.send_packet(&login("right")).await;
    // Its session's task panicked: it is gone from its room, counted, and its slot is free.
    assert_eq!(
        watcher.recv_presence().await,
        (victim.id, false, "lobby".into())
    );
    server.wait_for_metric("mmo_tasks_panicked_total", 1).await;
    assert_eq!(
        server
            .metric("mmo_sessions_closed_total{reason=\"aborted\"}")
            .await,
        1
    );
    let mut newcomer = Client::full(&server).await;
    talker.chat("business as usual").await;
    assert_eq!(watcher.recv_chat().await.1, "business as usual");
    assert_eq!(newcomer.recv_chat().await.1, "business as usual");
    assert_eq!(server.metric("mmo_sessions").await, 3);
    drop(victim);
}

/// An account store that notes the thread each login is handled on, and lets everyone in.
#[derive(Debug, Default)]
struct ThreadNotingAccounts {
    login_threads: std::sync::Mutex<Vec<(std::thread::ThreadId, Option<String>)>>,
}

impl AccountStore for ThreadNotingAccounts {
    fn register(&self, _: mmo_server::Registration) -> mmo_server::AccountFuture<()> {
        Box::pin(async { Err(AccountError::Unavailable) })
    }

    fn login(&self, login: mmo_server::Login) -> mmo_server::AccountFuture<mmo_server::Account> {
        let thread = std::thread::current();
        self.login_threads
            .lock()
            .unwrap()
            .push((thread.id(), thread.name().map(str::to_owned)));
        Box::pin(async move {
            Ok(mmo_server::Account {
                id: 1,
                username: login.username,
                color: 0,
                best_score: 0,
            })
        })
    }

    fn available(&self) -> bool {
        true
    }
}

// One thread for the test's runtime, which is the server's main runtime: whatever runs on it
// runs on this thread. The acceptor has a thread of its own.
#[tokio::test(flavor = "current_thread")]
async fn a_message_sent_with_the_upgrade_request_is_handled_where_sessions_are_served() {
    let accounts = Arc::new(ThreadNotingAccounts::default());
    let server = TestServer::start_with(
        Config::default(),
        Services {
            accounts: Some(Arc::clone(&accounts) as Arc<dyn AccountStore>),
            ..Services::default()
        },
    )
    .await;
    // The request head and a login in one write: the server reads both with the head.
    let mut bytes = b"GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                      Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        .to_vec();
    bytes.extend(common::masked_frame(
        0x82,
        &mmo_protocol::Message::encode_to_vec(&login("right")),
    ));
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(&bytes).await.unwrap();
    let mut received = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 1024];
        let n = tokio::time::timeout(WAIT, stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "server closed during the handshake");
        received.extend_from_slice(&chunk[..n]);
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    assert!(received.starts_with(b"HTTP/1.1 101"));
    let received = received.split_off(head_end);
    let mut raw = RawClient { stream, received };
    let frames = raw.read_frames(2).await;
    let answer = mmo_protocol::decode_packet(&frames[1].1).unwrap();
    assert!(matches!(answer.msg, Some(Msg::OkResponse(_))), "{answer:?}");
    let threads = accounts.login_threads.lock().unwrap().clone();
    assert_eq!(
        threads,
        vec![(
            std::thread::current().id(),
            std::thread::current().name().map(str::to_owned)
        )],
        "the login was handled on the main runtime's thread, not the acceptor's"
    );
}

#[tokio::test]
async fn a_request_never_answered_is_refused_after_the_handler_timeout_and_what_followed_goes_on() {
    // The store is never let go: the login would wait for ever.
    let (server, _never) = server_with_accounts(
        Bug::None,
        Config {
            handler_timeout: Duration::from_millis(300),
            ..TestServer::unlimited()
        },
    )
    .await;
    let mut alice = Client::full(&server).await;
    let mut bob = Client::full(&server).await;
    alice.recv_presence().await; // bob entering
    alice.send_packet(&login("right")).await;
    alice.chat("said while the login waits").await;
    assert_eq!(
        alice.recv_deny().await,
        "no answer within 0.3 s; try again later"
    );
    assert_eq!(
        bob.recv_chat().await,
        (alice.id, "said while the login waits".to_owned())
    );
    assert_eq!(
        server
            .metric("mmo_messages_refused_total{kind=\"timeout\"}")
            .await,
        1
    );
}

#[tokio::test]
async fn a_client_whose_request_waits_is_still_heard_and_refused_past_the_messages_held() {
    let mut config = Config {
        ping_interval: Duration::from_millis(200),
        close_timeout: Duration::from_millis(200),
        handler_timeout: Duration::from_secs(60),
        ..TestServer::unlimited()
    };
    config.idle_timeout = config.shortest_idle_timeout();
    let (server, open) = server_with_accounts(Bug::None, config.clone()).await;
    let mut alice = Client::full(&server).await;
    alice.send_packet(&login("right")).await;
    // More than the server holds behind a waiting request (32).
    for n in 0..40 {
        alice.chat(&format!("line {n}")).await;
    }
    // For six idle timeouts alice answers the server's pings as a live client does, and is
    // told which of her messages were not kept.
    let mut refused = 0;
    let until = tokio::time::Instant::now() + config.idle_timeout * 6;
    loop {
        match tokio::time::timeout_at(until, alice.ws.next()).await {
            Err(_) => break,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            Ok(Some(Ok(Message::Binary(bytes)))) => {
                let packet = mmo_protocol::decode_packet(&bytes).unwrap();
                let Some(Msg::DenyResponse(deny)) = packet.msg else {
                    panic!("expected a refusal, got {packet:?}");
                };
                assert!(
                    deny.reason
                        .starts_with("too many messages while an earlier request waits"),
                    "{}",
                    deny.reason
                );
                refused += 1;
            }
            Ok(other) => panic!("expected to stay connected, got {other:?}"),
        }
    }
    assert_eq!(refused, 8);
    assert_eq!(
        server
            .metric("mmo_messages_refused_total{kind=\"too_many_waiting\"}")
            .await,
        8
    );
    // The login is answered: then the 32 lines held behind it, in order.
    let mut bob = Client::full(&server).await;
    assert_eq!(alice.recv_presence().await, (bob.id, true, "lobby".into()));
    open.notify_one();
    let ok = alice.recv().await;
    assert!(matches!(ok.msg, Some(Msg::OkResponse(_))), "{ok:?}");
    for n in 0..32 {
        assert_eq!(bob.recv_chat().await, (alice.id, format!("line {n}")));
    }
    alice.chat("and now").await;
    assert_eq!(bob.recv_chat().await, (alice.id, "and now".to_owned()));
    assert_eq!(
        server
            .metric("mmo_sessions_closed_total{reason=\"idle\"}")
            .await,
        0
    );
}

#[tokio::test]
async fn a_request_whose_handling_panics_is_refused_and_the_session_lives_on() {
    let (server, open) = server_with_accounts(Bug::InTheAnswer, TestServer::unlimited()).await;
    let mut alice = Client::full(&server).await;
    let mut bob = Client::full(&server).await;
    alice.recv_presence().await; // bob entering
    alice.send_packet(&login("right")).await;
    alice.chat("said after the login").await;
    open.notify_one();
    assert_eq!(
        alice.recv_deny().await,
        "temporarily unavailable; try again later"
    );
    // What came after the request is handled, and the session goes on as before.
    assert_eq!(
        bob.recv_chat().await,
        (alice.id, "said after the login".to_owned())
    );
    alice.chat("still here").await;
    assert_eq!(bob.recv_chat().await, (alice.id, "still here".to_owned()));
    assert_eq!(
        server
            .metric("mmo_messages_refused_total{kind=\"unavailable\"}")
            .await,
        1
    );
    assert_eq!(server.metric("mmo_tasks_panicked_total").await, 0);
    assert_eq!(
        server
            .metric("mmo_sessions_closed_total{reason=\"aborted\"}")
            .await,
        0
    );
}
