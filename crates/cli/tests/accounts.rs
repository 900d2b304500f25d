//! `mmo chat --user` and `mmo bench logins` against a real server with accounts on a SQLite
//! file of the test's own: registering, logging in, a refused login, and a login storm.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

use serde_json::Value;
use tokio::io::AsyncWriteExt as _;

mod common;
use common::{Server, WAIT, finish, mmo, serve_with, text, unlimited};

const PASSWORD: &str = "correct horse battery";

/// A server with accounts in a new SQLite database in this test's scratch folder.
async fn accounts_server(name: &str) -> Server {
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-accounts-{name}"));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).expect("scratch folder");
    let config = mmo_server::Config {
        database: format!("sqlite://{}/mmo.db", folder.display()),
        ..unlimited()
    };
    let accounts = mmo_accounts::Accounts::start(&mmo_server::account_settings(&config))
        .expect("the accounts start");
    assert!(accounts.wait_available(WAIT).await, "the database answers");
    let services = with_accounts(mmo_server::Services::default(), Arc::new(accounts));
    serve_with("127.0.0.1:0", config, services).await
}

/// `services` with this account store, whatever else they hold (the server's services grow).
fn with_accounts(
    services: mmo_server::Services,
    accounts: Arc<mmo_accounts::Accounts>,
) -> mmo_server::Services {
    let mut services = services;
    services.accounts = Some(accounts);
    services
}

/// `mmo chat --once --user USER [ARGS…] URL` with `password` in `MMO_PASSWORD` and a line on
/// stdin: its exit status, and its stdout followed by its stderr.
async fn chat_as(url: &str, user: &str, password: &str, args: &[&str]) -> (i32, String) {
    let mut child = mmo()
        .args(["chat", "--once", "--user", user])
        .args(args)
        .arg(url)
        .env("MMO_PASSWORD", password)
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn mmo");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"hello\n").await.expect("write");
    drop(stdin);
    let output = finish(child).await;
    let stdout = text(&output.stdout);
    (
        output.status.code().unwrap_or(-1),
        format!("{stdout}\nstderr: {}", text(&output.stderr)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_registers_logs_in_and_is_refused_a_wrong_password() {
    let server = accounts_server("chat").await;

    let (status, out) = chat_as(&server.url, "ada", PASSWORD, &["--register"]).await;
    assert_eq!(status, 0, "{out}");
    let registered = out.find("Registered ada").expect(&out);
    let logged_in = out.find("Logged in as ada").expect(&out);
    let in_room = out.find("In room lobby").expect(&out);
    assert!(registered < logged_in && logged_in < in_room, "{out}");

    // The name is taken now.
    let (status, out) = chat_as(&server.url, "ada", PASSWORD, &["--register"]).await;
    assert_eq!(status, 3, "{out}");
    assert!(out.contains("Registration refused: "), "{out}");
    assert!(!out.contains("In room"), "{out}");

    let (status, out) = chat_as(&server.url, "ada", "not the password", &[]).await;
    assert_eq!(status, 3, "{out}");
    assert!(out.contains("Login refused: "), "{out}");
    assert!(!out.contains("In room"), "{out}");

    let (status, out) = chat_as(&server.url, "ada", PASSWORD, &[]).await;
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("Logged in as ada"), "{out}");
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_logins_registers_and_logs_into_every_account() {
    let server = accounts_server("bench").await;
    let output = finish(
        mmo()
            .args(["bench", "--url", &server.url])
            .args(["logins", "--accounts", "6", "--concurrency", "3"])
            .spawn()
            .expect("spawn mmo"),
    )
    .await;
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    let summary: Value =
        serde_json::from_str(stdout.lines().last().expect("a summary")).expect("JSON");
    for phase in ["register", "login"] {
        assert_eq!(summary[phase]["accepted"], 6, "{phase}: {summary}");
        assert_eq!(
            summary[phase]["refused"],
            serde_json::json!({}),
            "{summary}"
        );
        assert_eq!(summary[phase]["answer_latency_us"]["count"], 6, "{summary}");
    }
    assert!(
        summary["logins_per_s"].as_f64().expect("a rate") > 0.0,
        "{summary}"
    );

    // The same accounts again, without registering them: every login is accepted.
    let prefix = summary["prefix"].as_str().expect("the prefix").to_owned();
    let again = finish(
        mmo()
            .args(["bench", "--url", &server.url])
            .args(["logins", "--accounts", "6", "--concurrency", "3"])
            .args(["--prefix", &prefix, "--skip-register"])
            .spawn()
            .expect("spawn mmo"),
    )
    .await;
    let stdout = text(&again.stdout);
    let summary: Value =
        serde_json::from_str(stdout.lines().last().expect("a summary")).expect("JSON");
    assert!(summary["register"].is_null(), "{summary}");
    assert_eq!(summary["login"]["accepted"], 6, "{summary}");
    server.shut_down().await;
}

/// A stand-in server on a real socket that records the field of every packet its one client
/// sends, answering as ours does: an ID first, the room list, an Ok to account requests, the
/// lobby to a join. The fields arrive on the channel as they come.
async fn recording_server() -> (String, tokio::sync::mpsc::UnboundedReceiver<u32>) {
    use futures_util::{SinkExt as _, StreamExt as _};
    use mmo_protocol::packets::{RoomListMessage, RoomMessage};
    use mmo_protocol::{Message as _, Msg, Packet, decode_packet};
    use tokio_tungstenite::tungstenite::Message;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("ws://{}/ws", listener.local_addr().expect("address"));
    let (fields, received) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        let mut ws = tokio_tungstenite::accept_async(stream)
            .await
            .expect("handshake");
        let send = |packet: Packet| Message::Binary(packet.encode_to_vec().into());
        let id = mmo_protocol::ClientId::new(7).expect("non-zero");
        ws.send(send(Packet::id_assignment(id)))
            .await
            .expect("send");
        while let Some(Ok(message)) = ws.next().await {
            let Message::Binary(bytes) = message else {
                continue;
            };
            let packet = decode_packet(&bytes).expect("a Packet");
            let Some(msg) = packet.msg else { continue };
            let _ = fields.send(msg.field_number());
            let answer = match msg {
                Msg::RoomListRequest(_) => Msg::RoomList(RoomListMessage::default()),
                Msg::LoginRequest(_) | Msg::RegisterRequest(_) => {
                    Msg::OkResponse(mmo_protocol::OkResponseMessage {})
                }
                Msg::JoinRoom(_) => Msg::Room(RoomMessage {
                    room: "lobby".into(),
                    ..RoomMessage::default()
                }),
                _ => continue,
            };
            let packet = Packet {
                sender_id: 0,
                msg: Some(answer),
            };
            if ws.send(send(packet)).await.is_err() {
                break;
            }
        }
    });
    (url, received)
}

/// The fields a client sent until (and with) its login, field 4.
async fn fields_until_login(received: &mut tokio::sync::mpsc::UnboundedReceiver<u32>) -> Vec<u32> {
    let mut fields = Vec::new();
    while fields.last() != Some(&4) {
        let field = tokio::time::timeout(WAIT, received.recv())
            .await
            .expect("the client sends its login in time")
            .expect("the stand-in server runs");
        fields.push(field);
    }
    fields
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_shows_it_is_ours_before_logging_in() {
    // A client that logs in before sending a field of 100 or above is taken for the
    // tutorial's, whose game starts at its login (docs/protocol.md, "The world").
    let (url, mut received) = recording_server().await;
    let (status, out) = chat_as(&url, "ada", PASSWORD, &["--register"]).await;
    assert_eq!(status, 0, "{out}");
    let fields = fields_until_login(&mut received).await;
    assert!(fields[0] >= 100, "the first message is ours: {fields:?}");
    assert!(out.contains("Logged in as ada"), "{out}");

    // The interactive client does the same on each connection.
    let (url, mut received) = recording_server().await;
    let mut child = mmo()
        .args(["chat", "--user", "ada", &url])
        .env("MMO_PASSWORD", PASSWORD)
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn mmo");
    let fields = fields_until_login(&mut received).await;
    assert!(fields[0] >= 100, "the first message is ours: {fields:?}");
    let _ = child.kill().await;
}
