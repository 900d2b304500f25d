//! Test support: a real server on 127.0.0.1:0 and WebSocket clients that speak protobuf.
#![allow(dead_code, clippy::unwrap_used)]

pub mod nats;
pub mod process;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mmo_protocol::{Message as _, Msg, Packet, decode_packet};
use mmo_server::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single expected event may take before a test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// A server running in this process on an ephemeral port.
pub struct TestServer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    /// Why `run` returned early, if it did: a client that cannot connect says so, rather
    /// than only "connection reset" (the listener closed with the client in its backlog).
    failure: std::sync::Arc<std::sync::OnceLock<String>>,
}

impl TestServer {
    pub async fn start(config: Config) -> Self {
        Self::start_with(config, mmo_server::Services::default()).await
    }

    /// A server with optional parts such as an account store.
    pub async fn start_with(config: Config, services: mmo_server::Services) -> Self {
        let listener = mmo_server::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel();
        let failure = std::sync::Arc::new(std::sync::OnceLock::new());
        let running = mmo_server::run_with(listener, config, services, async {
            let _ = rx.await;
        });
        let failed = std::sync::Arc::clone(&failure);
        let task = tokio::spawn(async move {
            let outcome = running.await;
            if let Err(error) = &outcome {
                let _ = failed.set(error.to_string());
            }
            outcome
        });
        Self {
            addr,
            shutdown: Some(tx),
            task,
            failure,
        }
    }

    /// A config with the chat rate limit off, for tests that send quickly.
    pub fn unlimited() -> Config {
        Config {
            chat_rate: 0.0,
            ..Config::default()
        }
    }

    /// Why the server stopped by itself, waiting a moment for it to say (its listener
    /// closes just before `run` returns); "still running" if it has not.
    pub async fn failure(&self) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        while tokio::time::Instant::now() < deadline {
            if let Some(failure) = self.failure.get() {
                return failure.clone();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        "still running".to_owned()
    }

    pub fn url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Triggers graceful shutdown and waits for `run` to return.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        tokio::time::timeout(WAIT, &mut self.task)
            .await
            .expect("run returns after shutdown")
            .unwrap()
    }

    /// A plain HTTP GET; returns the status code and the whole response text.
    pub async fn http_get(&self, path: &str, extra_headers: &str) -> (u16, String) {
        let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n{extra_headers}\r\n");
        self.raw_request(request.as_bytes()).await
    }

    /// Sends `request` as it is on a new connection; returns the status and the whole response,
    /// read until the server closes the connection.
    pub async fn raw_request(&self, request: &[u8]) -> (u16, String) {
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut response = Vec::new();
        tokio::time::timeout(WAIT, stream.read_to_end(&mut response))
            .await
            .unwrap()
            .unwrap();
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, text)
    }

    /// The value of one series from `/metrics`: `name{label="value"}` for one series of a
    /// labelled metric, the bare name for an unlabelled one or for the sum of every series.
    pub async fn metric(&self, name: &str) -> u64 {
        let (_, text) = self.http_get("/metrics", "").await;
        metric_value(&text, name)
    }

    /// Waits until a counter reaches `at_least`, asking from the local address `source`.
    pub async fn wait_for_metric_from(&self, source: [u8; 4], name: &str, at_least: u64) {
        wait_for_metric_in(name, at_least, || async {
            let mut stream = connect_from(source, self.addr).await.unwrap();
            stream
                .write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n")
                .await
                .unwrap();
            let mut text = String::new();
            stream.read_to_string(&mut text).await.unwrap();
            text
        })
        .await;
    }

    /// Waits until a counter reaches `at_least`.
    pub async fn wait_for_metric(&self, name: &str, at_least: u64) {
        wait_for_metric_in(name, at_least, || async {
            self.http_get("/metrics", "").await.1
        })
        .await;
    }
}

/// Scrapes with `scrape` (which returns a Prometheus exposition) until series `name` reaches
/// `at_least`, and returns that scrape; fails after `WAIT`.
pub async fn wait_for_metric_in<Scrape, Scraped>(
    name: &str,
    at_least: u64,
    mut scrape: Scrape,
) -> String
where
    Scrape: FnMut() -> Scraped,
    Scraped: std::future::Future<Output = String>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let scraped = scrape().await;
        let value = metric_value(&scraped, name);
        if value >= at_least {
            return scraped;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name} stayed at {value}, wanted {at_least}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Connects from `source` (an address of this machine, such as another loopback address).
pub async fn connect_from(source: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((source, 0)))?;
    socket.connect(to).await
}

/// The value of series `name` in a Prometheus text exposition: one series when `name` has
/// labels, otherwise the sum of the metric's series.
pub fn metric_value(exposition: &str, name: &str) -> u64 {
    let values: Vec<u64> = exposition
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let rest = line.strip_prefix(name)?;
            let value = if name.contains('{') {
                rest.strip_prefix(' ')?
            } else if let Some(labelled) = rest.strip_prefix('{') {
                labelled.split_once("} ")?.1
            } else {
                rest.strip_prefix(' ')?
            };
            value.parse().ok()
        })
        .collect();
    assert!(
        !values.is_empty(),
        "metric {name} missing from:\n{exposition}"
    );
    values.iter().sum()
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Whether `msg` is what a world sends by itself, at its own pace (the tutorial's world
/// messages, 8–13, which a tutorial-level client gets from its login on, and our updates):
/// helpers waiting for an answer let these go by.
pub fn is_world_news(msg: &Msg) -> bool {
    matches!(msg.field_number(), 8..=13 | 109)
}

/// A connected client that has received its ID.
pub struct Client {
    pub id: u64,
    pub ws: Ws,
}

impl Client {
    pub async fn connect(server: &TestServer) -> Self {
        match tokio_tungstenite::connect_async(server.url()).await {
            Ok((ws, _)) => Self::greeted(ws).await,
            Err(error) => panic!(
                "cannot connect to the server: {error}; the server: {}",
                server.failure().await
            ),
        }
    }

    /// Connects to `url` (for tasks that cannot borrow the server).
    pub async fn connect_url(url: &str) -> Self {
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Self::greeted(ws).await
    }

    /// The client on `ws`, once its first packet, its ID, has come.
    async fn greeted(mut ws: Ws) -> Self {
        let first = next_packet(&mut ws).await;
        let Some(Msg::Id(id)) = first.msg else {
            panic!("first packet must be an IdMessage, got {first:?}");
        };
        assert_eq!(
            first.sender_id, id.id,
            "the ID packet is stamped with the client's own ID"
        );
        Self { id: id.id, ws }
    }

    /// A client at the tutorial level: it has sent a `LoginRequestMessage` (field 4), as a
    /// later tutorial client does, and read the refusal (the test server has no accounts).
    pub async fn tutorial(server: &TestServer) -> Self {
        let mut client = Self::connect(server).await;
        client
            .send_packet(&Packet {
                sender_id: 0,
                msg: Some(Msg::LoginRequest(mmo_protocol::LoginRequestMessage {
                    username: "tutorial".into(),
                    password: "secret".into(),
                })),
            })
            .await;
        let packet = client.recv().await;
        assert!(
            matches!(&packet.msg, Some(Msg::DenyResponse(deny)) if deny.reason.contains("accounts")),
            "{packet:?}"
        );
        client
    }

    /// A client at the full level, as this project's clients are: it has sent
    /// `JoinRoomMessage{""}` and read the lobby's `RoomMessage`.
    pub async fn full(server: &TestServer) -> Self {
        let mut client = Self::connect(server).await;
        let room = client.join("").await;
        assert_eq!(room.room, "lobby");
        client
    }

    /// Asks to join `room` and returns the `RoomMessage` that answers, skipping presence and
    /// leave notices of others.
    pub async fn join(&mut self, room: &str) -> mmo_protocol::RoomMessage {
        self.send_packet(&Packet::join_room(room)).await;
        loop {
            let packet = self.recv().await;
            match packet.msg {
                Some(Msg::Room(room)) => return room,
                Some(Msg::Presence(_) | Msg::PresenceBatch(_) | Msg::Disconnect(_)) => continue,
                Some(msg) if is_world_news(&msg) => continue,
                other => panic!("expected a RoomMessage, got {other:?}"),
            }
        }
    }

    /// The next refusal, skipping presence and leave notices of others; returns its reason.
    pub async fn recv_deny(&mut self) -> String {
        loop {
            let packet = self.recv().await;
            match packet.msg {
                Some(Msg::DenyResponse(deny)) => return deny.reason,
                Some(Msg::Presence(_) | Msg::PresenceBatch(_) | Msg::Disconnect(_)) => continue,
                Some(msg) if is_world_news(&msg) => continue,
                other => panic!("expected a DenyResponseMessage, got {other:?}"),
            }
        }
    }

    /// The next packet, which must be presence; returns (who, joined, room).
    pub async fn recv_presence(&mut self) -> (u64, bool, String) {
        let packet = self.recv().await;
        match packet.msg {
            Some(Msg::Presence(presence)) => (packet.sender_id, presence.joined, presence.room),
            other => panic!("expected a PresenceMessage, got {other:?}"),
        }
    }

    pub async fn send_packet(&mut self, packet: &Packet) {
        self.ws
            .send(Message::Binary(packet.encode_to_vec().into()))
            .await
            .unwrap();
    }

    pub async fn chat(&mut self, text: &str) {
        self.send_packet(&Packet::chat(text)).await;
    }

    pub async fn recv(&mut self) -> Packet {
        next_packet(&mut self.ws).await
    }

    /// The next packet if one comes within `window`; `None` when none does.
    pub async fn try_recv(&mut self, window: Duration) -> Option<Packet> {
        loop {
            let message = tokio::time::timeout(window, self.ws.next()).await.ok()?;
            match message.expect("stream open").expect("no error") {
                Message::Binary(bytes) => {
                    return Some(decode_packet(&bytes).expect("exactly one valid Packet"));
                }
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a binary packet, got {other:?}"),
            }
        }
    }

    /// The next chat packet, skipping leave notices and presence of other clients.
    pub async fn recv_chat(&mut self) -> (u64, String) {
        loop {
            let packet = self.recv().await;
            match packet.msg {
                Some(Msg::Chat(chat)) => return (packet.sender_id, chat.msg),
                Some(Msg::Disconnect(_) | Msg::Presence(_) | Msg::PresenceBatch(_)) => continue,
                Some(msg) if is_world_news(&msg) => continue,
                other => panic!("expected chat, got {other:?}"),
            }
        }
    }

    /// The next packet, which must be a chat.
    pub async fn recv_chat_strict(&mut self) -> (u64, String) {
        let packet = self.recv().await;
        match packet.msg {
            Some(Msg::Chat(chat)) => (packet.sender_id, chat.msg),
            other => panic!("expected chat, got {other:?}"),
        }
    }

    /// Asserts nothing but pings arrive for `window` (used after a round-trip proved the
    /// server already handled what came before).
    pub async fn expect_silence(&mut self, window: Duration) {
        if let Ok(Some(message)) = tokio::time::timeout(window, self.ws.next()).await {
            panic!("expected nothing, got {message:?}");
        }
    }

    /// Reads until the server's close frame; returns its code and reason.
    pub async fn expect_close(&mut self) -> (u16, String) {
        expect_close(&mut self.ws).await
    }

    /// Expects this logged-in client to be closed because its account logged in again on
    /// another connection: a `DisconnectMessage` about itself saying so (after any of its
    /// world's messages, fields 8–13, that were on their way), then close code 1008.
    pub async fn expect_logged_in_elsewhere(&mut self) {
        let notice = loop {
            let packet = self.recv().await;
            let number = packet.msg.as_ref().map_or(0, Msg::field_number);
            if !(8..=13).contains(&number) {
                break packet;
            }
        };
        assert_eq!(notice.sender_id, self.id);
        let Some(Msg::Disconnect(notice)) = notice.msg else {
            panic!("expected a DisconnectMessage first, got {notice:?}");
        };
        assert_eq!(notice.reason, "logged in elsewhere");
        assert_eq!(
            self.expect_close().await,
            (1008, "logged in elsewhere".to_owned())
        );
    }
}

/// The next `Packet` on `ws` (plain or TLS), skipping pings and pongs; fails after `WAIT`.
pub async fn next_packet<S>(ws: &mut WebSocketStream<S>) -> Packet
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    // One deadline for the packet, however many pings come first.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let message = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a packet in time")
            .expect("stream open")
            .expect("no error");
        match message {
            Message::Binary(bytes) => {
                return decode_packet(&bytes).expect("exactly one valid Packet");
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a binary packet, got {other:?}"),
        }
    }
}

pub async fn expect_close(ws: &mut Ws) -> (u16, String) {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("close in time");
        match message {
            Some(Ok(Message::Close(Some(CloseFrame { code, reason })))) => {
                return (u16::from(code), reason.to_string());
            }
            Some(Ok(Message::Close(None))) => return (1005, String::new()),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

/// A raw TCP connection that completed the WebSocket handshake, for tests that need bytes the
/// WebSocket library would not send (or a client that never reads).
pub struct RawClient {
    pub stream: TcpStream,
    /// Bytes received after the 101 response.
    pub received: Vec<u8>,
}

pub const CLIENT_MASK: [u8; 4] = [0x11, 0x22, 0x33, 0x44];

impl RawClient {
    pub async fn connect(server: &TestServer) -> Self {
        Self::connect_with(TcpStream::connect(server.addr).await.unwrap()).await
    }

    pub async fn connect_with(mut stream: TcpStream) -> Self {
        let request = "GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                       Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        stream.write_all(request.as_bytes()).await.unwrap();
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
        let head = String::from_utf8_lossy(&received[..head_end]).into_owned();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");
        let received = received.split_off(head_end);
        Self { stream, received }
    }

    /// Sends one masked frame with this first byte (FIN and opcode) and payload.
    pub async fn send_frame(&mut self, first_byte: u8, payload: &[u8]) {
        self.stream
            .write_all(&masked_frame(first_byte, payload))
            .await
            .unwrap();
    }

    /// Reads until `count` whole frames are buffered; returns them as (first byte, payload).
    pub async fn read_frames(&mut self, count: usize) -> Vec<(u8, Vec<u8>)> {
        loop {
            let frames = parse_server_frames(&self.received);
            if frames.len() >= count {
                return frames;
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(WAIT, self.stream.read(&mut chunk))
                .await
                .expect("frames in time")
                .unwrap();
            assert!(n > 0, "server closed; frames so far: {frames:?}");
            self.received.extend_from_slice(&chunk[..n]);
        }
    }
}

pub fn masked_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![first_byte];
    if let Ok(short @ 0..=125) = u8::try_from(payload.len()) {
        frame.push(0x80 | short);
    } else if let Ok(medium) = u16::try_from(payload.len()) {
        frame.push(0x80 | 126);
        frame.extend_from_slice(&medium.to_be_bytes());
    } else {
        frame.push(0x80 | 127);
        frame.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    }
    frame.extend_from_slice(&CLIENT_MASK);
    frame.extend(
        payload
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ CLIENT_MASK[i % 4]),
    );
    frame
}

/// Splits unmasked server frames: (first byte, payload) for each complete one.
pub fn parse_server_frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    while bytes.len() >= 2 {
        assert_eq!(bytes[1] & 0x80, 0, "server frames are never masked");
        let (len, header) = match bytes[1] & 0x7F {
            126 if bytes.len() >= 4 => (u16::from_be_bytes([bytes[2], bytes[3]]) as usize, 4),
            127 if bytes.len() >= 10 => (
                usize::try_from(u64::from_be_bytes(bytes[2..10].try_into().unwrap())).unwrap(),
                10,
            ),
            126 | 127 => break,
            short => (short as usize, 2),
        };
        if bytes.len() < header + len {
            break;
        }
        frames.push((bytes[0], bytes[header..header + len].to_vec()));
        bytes = &bytes[header + len..];
    }
    frames
}

/// A fresh PostgreSQL database for one test, made on the server `MMO_TEST_POSTGRES_URL`
/// names; its URL, or `None` (after saying so) when that is not set.
pub async fn fresh_postgres_database() -> Option<String> {
    let Ok(admin) = std::env::var("MMO_TEST_POSTGRES_URL") else {
        println!(
            "skipped: MMO_TEST_POSTGRES_URL is not set (scripts/with-postgres starts a \
             PostgreSQL server and sets it; scripts/test runs these tests that way)"
        );
        return None;
    };
    // Unique across the test binaries (the process) and the tests of one (the counter).
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "mmo_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    Some(format!("{}/{name}", admin.rsplit_once('/').unwrap().0))
}
