//! End-to-end tests of the `mmo` binary against a real server running inside the test process.

use std::process::{Output, Stdio};

use futures_util::{SinkExt as _, StreamExt as _};
use mmo_protocol::{Message as _, Msg, Packet, decode_packet};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::net::TcpListener;
use tokio::process::ChildStdout;
use tokio_tungstenite::tungstenite::Message;

mod common;
use common::{Server, WAIT, finish, mmo, serve_on, text, unlimited};

/// A server on 127.0.0.1:0, chat rate limit off.
async fn start_server() -> Server {
    serve_on("127.0.0.1:0", unlimited()).await
}

/// Starts `mmo chat --once URL` with its stdin open for the test to write.
fn chat_once(url: &str) -> (tokio::process::Child, tokio::process::ChildStdin) {
    chat_once_with(url, &[])
}

/// Starts `mmo chat --once ARGS… URL` with its stdin open for the test to write.
fn chat_once_with(url: &str, args: &[&str]) -> (tokio::process::Child, tokio::process::ChildStdin) {
    let mut child = mmo()
        .args(["chat", "--once"])
        .args(args)
        .arg(url)
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn mmo");
    let stdin = child.stdin.take().expect("stdin");
    (child, stdin)
}

/// The stdout of a running `mmo`, read line by line, remembering everything it printed.
struct OutputLines {
    lines: Lines<BufReader<ChildStdout>>,
    seen: Vec<String>,
}

impl OutputLines {
    fn new(stdout: ChildStdout) -> Self {
        Self {
            lines: BufReader::new(stdout).lines(),
            seen: Vec::new(),
        }
    }

    /// Reads until a line for which `wanted` is true and returns it; fails after `WAIT`, or
    /// when stdout ends first, showing what was printed.
    async fn wait_for(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let found = tokio::time::timeout(WAIT, async {
            while let Some(line) = self.lines.next_line().await.expect("stdout is readable") {
                self.seen.push(line.clone());
                if wanted(&line) {
                    return Some(line);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(line)) => line,
            Ok(None) => panic!(
                "stdout ended before {what}; it printed:\n{}",
                self.seen.join("\n")
            ),
            Err(_) => panic!(
                "no {what} within {WAIT:?}; stdout so far:\n{}",
                self.seen.join("\n")
            ),
        }
    }
}

/// A plain WebSocket client of the test's own, to see what the server relays.
type TestClient =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects a [`TestClient`] and reads past its ID.
async fn listen(url: &str) -> TestClient {
    let (mut listener, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("test client connects");
    let first = listener.next().await.expect("a frame").expect("readable");
    assert!(matches!(
        decode_packet(&first.into_data()).expect("a packet").msg,
        Some(Msg::Id(_))
    ));
    listener
}

/// The next packet `listener` receives for which `wanted` is true, skipping the others;
/// fails after `WAIT`.
async fn next_packet(
    listener: &mut TestClient,
    what: &str,
    wanted: impl Fn(&Packet) -> bool,
) -> Packet {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Message::Binary(bytes) = listener.next().await.expect("open").expect("readable")
            {
                let packet = decode_packet(&bytes).expect("a packet");
                if wanted(&packet) {
                    return packet;
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what} within {WAIT:?}"))
}

/// The next chat packet `listener` receives, skipping anything else; fails after `WAIT`.
async fn next_chat(listener: &mut TestClient) -> Packet {
    next_packet(listener, "chat line", |p| {
        matches!(p.msg, Some(Msg::Chat(_)))
    })
    .await
}

/// The next presence `listener` receives: who, whether they joined, and the room.
async fn next_presence(listener: &mut TestClient) -> (u64, bool, String) {
    let packet = next_packet(listener, "presence", |p| {
        matches!(p.msg, Some(Msg::Presence(_)))
    })
    .await;
    let Some(Msg::Presence(presence)) = packet.msg else {
        unreachable!("only presence is picked")
    };
    (packet.sender_id, presence.joined, presence.room)
}

/// Moves `client` to `room` and waits for the answer; returns its member IDs.
async fn join(client: &mut TestClient, room: &str) -> Vec<u64> {
    client
        .send(Message::Binary(
            Packet::join_room(room).encode_to_vec().into(),
        ))
        .await
        .expect("join sent");
    let packet = next_packet(client, "room", |p| {
        matches!(p.msg, Some(Msg::Room(_) | Msg::DenyResponse(_)))
    })
    .await;
    let Some(Msg::Room(answer)) = packet.msg else {
        panic!("joining {room} was refused: {packet:?}")
    };
    assert_eq!(answer.room, if room.is_empty() { "lobby" } else { room });
    answer.members.iter().map(|m| m.id).collect()
}

/// A connected client of the test's own in `room`, with its ID.
async fn member_of(url: &str, room: &str) -> (TestClient, u64) {
    let (mut client, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("test client connects");
    let first = client.next().await.expect("a frame").expect("readable");
    let Some(Msg::Id(id)) = decode_packet(&first.into_data()).expect("a packet").msg else {
        panic!("the first packet is not the ID")
    };
    join(&mut client, room).await;
    (client, id.id)
}

/// Sends a chat line from a client of the test's own.
async fn say(client: &mut TestClient, text: &str) {
    client
        .send(Message::Binary(Packet::chat(text).encode_to_vec().into()))
        .await
        .expect("chat sent");
}

/// `mmo chat URL ARGS…` in interactive mode with stdin and stdout piped (plain lines in and
/// out, as on a terminal), and its ID once it has printed it.
async fn chat_interactive(
    url: &str,
    args: &[&str],
) -> (
    tokio::process::Child,
    tokio::process::ChildStdin,
    OutputLines,
    u64,
) {
    let mut child = mmo()
        .arg("chat")
        .args(args)
        .arg(url)
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn mmo");
    let stdin = child.stdin.take().expect("stdin");
    let mut stdout = OutputLines::new(child.stdout.take().expect("stdout"));
    let line = stdout
        .wait_for("its ID", |l| l.starts_with("Connected as client "))
        .await;
    let id = line["Connected as client ".len()..]
        .parse()
        .expect("a numeric ID");
    (child, stdin, stdout, id)
}

/// Types `line` into a running `mmo chat`.
async fn type_line(stdin: &mut tokio::process::ChildStdin, line: &str) {
    stdin
        .write_all(format!("{line}\n").as_bytes())
        .await
        .expect("write stdin");
    stdin.flush().await.expect("flush stdin");
}

/// Ends a running `mmo chat` by closing its stdin; it must exit cleanly.
async fn quit(
    mut child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: &OutputLines,
) {
    drop(stdin);
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .expect("mmo exits once stdin ends")
        .expect("mmo runs");
    assert!(
        status.success(),
        "{status}; stdout:\n{}",
        stdout.seen.join("\n")
    );
}

/// Runs `mmo bench` against `server`, with its PID for the server figures, and returns the
/// JSON summary.
async fn bench(server: &Server, scenario: &[&str]) -> Value {
    let pid = std::process::id().to_string();
    let child = mmo()
        .args(["bench", "--url", &server.url, "--server-pid", &pid])
        .args(scenario)
        .spawn()
        .expect("spawn mmo");
    json_summary(&finish(child).await)
}

/// The last stdout line of a bench run, which is its JSON summary.
fn json_summary(output: &Output) -> Value {
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "bench failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        text(&output.stderr)
    );
    let last = stdout.lines().last().expect("some output");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("last line is not JSON ({e}): {last}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_once_delivers_stdin_and_prints_its_id() {
    let server = start_server().await;
    let mut listener = listen(&server.url).await;

    let (child, mut stdin) = chat_once(&server.url);
    stdin.write_all(b"hi\n\n").await.expect("write stdin");
    drop(stdin);

    let relayed = next_chat(&mut listener).await;
    assert_eq!(relayed.msg, Packet::chat("hi").msg);

    let output = finish(child).await;
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{}: {}",
        output.status,
        text(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("Connected as client {}", relayed.sender_id)),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_once_exits_3_when_the_server_refuses_a_line() {
    let server = serve_on(
        "127.0.0.1:0",
        mmo_server::Config {
            max_chat_chars: 5,
            ..unlimited()
        },
    )
    .await;
    let mut listener = listen(&server.url).await;

    let (child, mut stdin) = chat_once(&server.url);
    stdin
        .write_all(b"short\nmuch too long\nfine\n")
        .await
        .expect("write stdin");
    drop(stdin);

    let output = finish(child).await;
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(3),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let denied: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("Denied: "))
        .collect();
    assert_eq!(denied.len(), 1, "one refusal is printed: {stdout}");
    assert!(
        denied[0].contains("limit is 5"),
        "the reason names the limit: {}",
        denied[0]
    );
    assert!(stderr.contains("the server refused 1 line"), "{stderr}");
    // The lines around the refused one were relayed, in order.
    assert_eq!(
        next_chat(&mut listener).await.msg,
        Packet::chat("short").msg
    );
    assert_eq!(next_chat(&mut listener).await.msg, Packet::chat("fine").msg);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_once_refuses_to_send_when_its_room_is_refused() {
    let server = start_server().await;
    let (mut listener, _) = member_of(&server.url, "").await;

    let (child, mut stdin) = chat_once_with(&server.url, &["--room", "no spaces"]);
    stdin.write_all(b"never sent\n").await.expect("write stdin");
    drop(stdin);
    let output = finish(child).await;
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(r#"Denied: room name "no spaces" is not allowed"#),
        "{stdout}"
    );
    assert!(
        stderr.contains("the server refused 1 join or room list"),
        "{stderr}"
    );

    // Nothing reached the lobby: the next line the listener hears is a later one.
    let (mut sender, _) = member_of(&server.url, "").await;
    say(&mut sender, "marker").await;
    assert_eq!(
        next_chat(&mut listener).await.msg,
        Packet::chat("marker").msg
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_once_shows_the_rooms_history_on_arrival() {
    let server = start_server().await;
    let (mut speaker, speaker_id) = member_of(&server.url, "red").await;
    let (mut witness, _) = member_of(&server.url, "red").await;
    say(&mut speaker, "said before you came").await;
    // Once another member has it, the line is in the room's history.
    next_chat(&mut witness).await;

    let (child, stdin) = chat_once_with(&server.url, &["--room", "red"]);
    drop(stdin);
    let output = finish(child).await;
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    let arrived = lines
        .iter()
        .position(|l| *l == "In room red (3 members)")
        .unwrap_or_else(|| panic!("no room line in:\n{stdout}"));
    let history = lines[arrived + 1];
    let suffix = format!("] Client {speaker_id}: said before you came");
    assert!(
        history.starts_with('[')
            && history.ends_with(&suffix)
            && history.len() == "[HH:MM".len() + suffix.len(),
        "expected [HH:MM]{suffix}, got {history:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_shows_who_joins_and_leaves_its_room_and_who_is_there() {
    let server = start_server().await;
    let (child, mut stdin, mut stdout, my_id) =
        chat_interactive(&server.url, &["--room", "red"]).await;
    stdout
        .wait_for("the room", |l| l == "In room red (1 member)")
        .await;

    let (visitor, visitor_id) = member_of(&server.url, "red").await;
    stdout
        .wait_for("the visitor's arrival", |l| {
            l == format!("Client {visitor_id} joined")
        })
        .await;
    // Someone in another room is never announced here.
    let _elsewhere = member_of(&server.url, "blue").await;
    type_line(&mut stdin, "/who").await;
    let who = stdout
        .wait_for("the member list", |l| l.starts_with("In room red ("))
        .await;
    assert_eq!(
        who,
        format!("In room red (2 members): Client {my_id} (you), Client {visitor_id}")
    );

    drop(visitor);
    stdout
        .wait_for("the visitor's departure", |l| {
            l == format!("Client {visitor_id} left")
        })
        .await;
    type_line(&mut stdin, "/who").await;
    let who = stdout
        .wait_for("the member list", |l| l.starts_with("In room red ("))
        .await;
    assert_eq!(who, format!("In room red (1 member): Client {my_id} (you)"));
    quit(child, stdin, &stdout).await;
    let arrivals = stdout
        .seen
        .iter()
        .filter(|l| l.ends_with(" joined"))
        .count();
    assert_eq!(
        arrivals, 1,
        "only the visitor was announced: {:?}",
        stdout.seen
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_join_moves_it_and_both_rooms_see_it() {
    let server = start_server().await;
    let (mut in_blue, _) = member_of(&server.url, "blue").await;
    let (mut in_lobby, _) = member_of(&server.url, "").await;
    let (child, mut stdin, mut stdout, my_id) = chat_interactive(&server.url, &[]).await;
    stdout
        .wait_for("the lobby", |l| l == "In room lobby (2 members)")
        .await;
    assert_eq!(
        next_presence(&mut in_lobby).await,
        (my_id, true, "lobby".to_owned())
    );

    type_line(&mut stdin, "/join blue").await;
    stdout
        .wait_for("the new room", |l| l == "In room blue (2 members)")
        .await;
    assert_eq!(
        next_presence(&mut in_blue).await,
        (my_id, true, "blue".to_owned())
    );
    assert_eq!(
        next_presence(&mut in_lobby).await,
        (my_id, false, "lobby".to_owned())
    );

    // What it says now goes to blue only.
    type_line(&mut stdin, "hello blue").await;
    let heard = next_chat(&mut in_blue).await;
    assert_eq!(
        (heard.sender_id, heard.msg),
        (my_id, Packet::chat("hello blue").msg)
    );
    let (mut lobby_speaker, _) = member_of(&server.url, "").await;
    say(&mut lobby_speaker, "lobby only").await;
    assert_eq!(
        next_chat(&mut in_lobby).await.msg,
        Packet::chat("lobby only").msg,
        "the lobby did not hear the line said in blue"
    );

    // And back to the lobby with a bare /join.
    type_line(&mut stdin, "/join").await;
    stdout
        .wait_for("the lobby again", |l| l.starts_with("In room lobby ("))
        .await;
    quit(child, stdin, &stdout).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_once_runs_commands_from_stdin() {
    let server = start_server().await;
    let (_red_one, red_one) = member_of(&server.url, "red").await;
    let (_red_two, _) = member_of(&server.url, "red").await;
    let (mut in_green, green_id) = member_of(&server.url, "green").await;

    let (child, mut stdin) = chat_once(&server.url);
    stdin
        .write_all(b"/rooms\n/frobnicate\n/join green\n/who\n/help\nin green\n")
        .await
        .expect("write stdin");
    drop(stdin);
    let output = finish(child).await;
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    let my_id: u64 = lines[0]
        .strip_prefix("Connected as client ")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no ID first: {stdout}"));
    assert_eq!(lines[1], "In room lobby (1 member)");
    // /rooms: biggest first, then by name; each answer is printed before the next line is read.
    assert_eq!(
        lines[2..6],
        [
            "Rooms:",
            "  red (2 members)",
            "  green (1 member)",
            "  lobby (1 member)"
        ],
        "{stdout}"
    );
    assert_eq!(
        lines[6],
        "Commands: /join NAME (no NAME: the lobby), /rooms, /who, /help"
    );
    assert_eq!(lines[7], "In room green (2 members)");
    assert_eq!(
        lines[8],
        format!("In room green (2 members): Client {green_id}, Client {my_id} (you)")
    );
    assert!(lines[9].starts_with("/join NAME"), "{stdout}");
    assert!(!stdout.contains(&format!("Client {red_one}")), "{stdout}");
    // The unknown command was not sent as chat: the first line green hears is the last one.
    let heard = next_chat(&mut in_green).await;
    assert_eq!(
        (heard.sender_id, heard.msg),
        (my_id, Packet::chat("in green").msg)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_reconnects_after_the_server_restarts_and_rejoins_its_room() {
    let server = start_server().await;
    let address = server.address.to_string();
    let url = server.url.clone();
    let (child, mut stdin, mut stdout, _) = chat_interactive(&url, &[]).await;
    stdout
        .wait_for("the lobby", |l| l.starts_with("In room lobby ("))
        .await;
    type_line(&mut stdin, "/join red").await;
    stdout
        .wait_for("the room", |l| l == "In room red (1 member)")
        .await;

    // A polite shutdown: the client shows the close code and reason, then tries again.
    server.shut_down().await;
    stdout
        .wait_for("the close code and reason", |l| {
            l == "Connection closed: 1001 server shutting down"
        })
        .await;
    stdout
        .wait_for("a reconnect announcement", |l| {
            l.starts_with("Reconnecting in ")
        })
        .await;

    // Back on the same port: the client finds it by itself, gets an ID from the new server,
    // and goes back to the room it was in.
    let server = serve_on(&address, unlimited()).await;
    stdout
        .wait_for("an ID from the restarted server", |l| {
            l.starts_with("Connected as client ")
        })
        .await;
    stdout
        .wait_for("its room again", |l| l == "In room red (1 member)")
        .await;

    // And what is typed now reaches the others in that room.
    let (mut listener, _) = member_of(&server.url, "red").await;
    type_line(&mut stdin, "after the restart").await;
    assert_eq!(
        next_chat(&mut listener).await.msg,
        Packet::chat("after the restart").msg
    );

    // The end of stdin leaves, with a clean exit.
    quit(child, stdin, &stdout).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_once_ends_quietly_after_its_own_close() {
    let server = start_server().await;
    let (child, stdin) = chat_once(&server.url);
    drop(stdin);
    let output = finish(child).await;
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(stdout.contains("Connected as client "), "{stdout}");
    // The server's 1000 answers our own close: no news to print.
    assert!(!stdout.contains("Connection closed"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_says_where_the_websocket_is_when_the_url_has_no_path() {
    let server = start_server().await;
    let without_path = format!("ws://{}", server.address);
    let suggestion = format!("did you mean ws://{}/ws?", server.address);
    // Scripted and interactive alike: a wrong path is told once, never retried.
    for once in [true, false] {
        let mut command = mmo();
        command.arg("chat");
        if once {
            command.arg("--once");
        }
        let output = finish(command.arg(&without_path).spawn().expect("spawn mmo")).await;
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "once {once}: {stderr}");
        assert!(stderr.contains(&suggestion), "once {once}: {stderr}");
        assert!(!stderr.contains("HTTP error"), "once {once}: {stderr}");
    }
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_once_logs_in_first_and_sends_nothing_when_refused() {
    // This server has no accounts: it refuses every registration and login, with a reason.
    let server = start_server().await;
    let mut listener = listen(&server.url).await;
    for register in [false, true] {
        let mut command = mmo();
        command
            .args(["chat", "--once", "--user", "ada"])
            .env("MMO_PASSWORD", "correct horse")
            .stdin(Stdio::piped());
        if register {
            command.arg("--register");
        }
        let mut child = command.arg(&server.url).spawn().expect("spawn mmo");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"not to be sent\n").await.expect("write");
        drop(stdin);
        let output = finish(child).await;
        let stdout = text(&output.stdout);
        let refusal = if register {
            "Registration refused: "
        } else {
            "Login refused: "
        };
        assert_eq!(output.status.code(), Some(3), "{stdout}");
        assert!(
            stdout.lines().any(|line| line.starts_with(refusal)),
            "{stdout}"
        );
        assert!(!stdout.contains("In room"), "{stdout}");
        assert!(
            text(&output.stderr).contains("1 login or registration"),
            "{}",
            text(&output.stderr)
        );
    }
    // Neither run's line reached the room: each ended with a close handshake, which the
    // server answers only after relaying what came before it, so the next line the listener
    // gets must be this later one.
    let (mut other, _) = member_of(&server.url, "").await;
    say(&mut other, "later").await;
    assert_eq!(
        next_chat(&mut listener).await.msg,
        Packet::chat("later").msg
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_user_without_a_password_or_terminal_exits_2() {
    let output = finish(
        mmo()
            .args(["chat", "--once", "--user", "ada", "ws://127.0.0.1:9/ws"])
            .env_remove("MMO_PASSWORD")
            .spawn()
            .expect("spawn mmo"),
    )
    .await;
    let stderr = text(&output.stderr);
    // Without a terminal to ask on (as in CI) it says what to do; with one, it would ask.
    if std::fs::File::open("/dev/tty").is_err() {
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("set MMO_PASSWORD"), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_exits_2_for_a_bad_url() {
    for once in [true, false] {
        let mut command = mmo();
        command.arg("chat");
        if once {
            command.arg("--once");
        }
        let output = finish(
            command
                .arg("http://localhost:8080/ws")
                .spawn()
                .expect("spawn mmo"),
        )
        .await;
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "once {once}: {stderr}");
        assert!(stderr.contains("expected ws://"), "once {once}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_once_fails_clearly_without_a_server() {
    // A port that was free a moment ago and has nobody listening now.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .local_addr()
        .expect("address")
        .port();
    let child = mmo()
        .args(["chat", "--once", &format!("ws://127.0.0.1:{port}/ws")])
        .spawn()
        .expect("spawn mmo");
    let output = finish(child).await;
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("cannot connect"),
        "{}",
        text(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_fanout_delivers_every_line() {
    let server = start_server().await;
    let summary = bench(
        &server,
        &[
            "fanout",
            "--clients",
            "20",
            "--senders",
            "2",
            "--rate",
            "100",
            "--duration",
            "1",
        ],
    )
    .await;
    assert_eq!(summary["scenario"], "fanout");
    assert!(summary["run"]["cpus"].as_u64().expect("cpus") >= 1);
    assert_eq!(summary["run"]["bench_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(summary["connect"]["connected"], 20);
    assert_eq!(summary["scheduled"], 100);
    assert_eq!(summary["sent"], 100);
    // Each line goes to the 19 clients other than its sender.
    assert_eq!(summary["expected_deliveries"], 1_900);
    assert_eq!(summary["delivered"], 1_900);
    assert_eq!(summary["loss"], 0);
    assert_eq!(summary["gaps"], 0);
    assert_eq!(summary["latency_us"]["count"], 1_900);
    assert!(summary["latency_us"]["p99_us"].as_u64().expect("p99") > 0);
    assert!(summary["server"]["cpu_s"].is_number(), "{summary}");
    assert_eq!(summary["closes"], serde_json::json!({}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_fanout_counts_rate_limited_lines_as_refused_not_lost() {
    // The server's default chat rate limit: 5 lines/s with bursts of 10 a client.
    let server = serve_on("127.0.0.1:0", mmo_server::Config::default()).await;
    let pid = std::process::id().to_string();
    let output = finish(
        mmo()
            .args(["bench", "--url", &server.url, "--server-pid", &pid])
            .args(["fanout", "--clients", "20", "--senders", "2"])
            .args(["--rate", "100", "--duration", "1", "--drain-timeout", "2"])
            .spawn()
            .expect("spawn mmo"),
    )
    .await;
    let summary = json_summary(&output);
    let stdout = text(&output.stdout);
    let sent = summary["sent"].as_u64().expect("sent");
    let refused = summary["refused"].as_u64().expect("refused");
    assert_eq!(sent, 100, "{summary}");
    assert!(refused > 0 && refused < sent, "{summary}");
    // Only the accepted lines are owed, each to the 19 others, and all of them arrived.
    assert_eq!(
        summary["expected_deliveries"],
        (sent - refused) * 19,
        "{summary}"
    );
    assert_eq!(
        summary["delivered"], summary["expected_deliveries"],
        "{summary}"
    );
    assert_eq!(summary["loss"], 0, "{summary}");
    let denies = summary["denies"].as_object().expect("denies by reason");
    assert!(
        denies.len() == 1 && denies.keys().all(|reason| reason.starts_with("rate limit")),
        "{summary}"
    );
    assert!(
        stdout.contains("refused by the server: rate limit")
            && stdout.contains(&format!("({refused})")),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_connect_holds_every_client() {
    let server = start_server().await;
    let summary = bench(&server, &["connect", "--clients", "50", "--hold", "0.2"]).await;
    assert_eq!(summary["scenario"], "connect");
    assert_eq!(summary["connected"], 50);
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["open_after_hold"], 50);
    assert!(summary["connects_per_s"].as_f64().expect("rate") > 0.0);
    assert!(
        summary["server_rss_per_connection_bytes"].is_u64(),
        "{summary}"
    );
    assert_eq!(summary["close_outcomes"]["closed by bench"], 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_churn_cycles_without_failures() {
    let server = start_server().await;
    let summary = bench(
        &server,
        &[
            "churn",
            "--concurrency",
            "4",
            "--duration",
            "0.5",
            "--settle",
            "0",
        ],
    )
    .await;
    assert_eq!(summary["scenario"], "churn");
    assert!(summary["cycles"].as_u64().expect("cycles") > 0, "{summary}");
    assert_eq!(summary["failures"], serde_json::json!({}));
    assert!(summary["server"]["open_fds_after"].is_u64(), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_rooms_keeps_rooms_apart_while_members_move() {
    let server = start_server().await;
    // 3 rooms of 4, one sender each; 4 movers (clients 8-11), one move each.
    let summary = bench(
        &server,
        &[
            "rooms",
            "--rooms",
            "3",
            "--members",
            "4",
            "--senders-per-room",
            "1",
            "--rate",
            "30",
            "--duration",
            "1",
            "--churn-per-second",
            "4",
        ],
    )
    .await;
    assert_eq!(summary["scenario"], "rooms");
    assert_eq!(summary["connect"]["connected"], 12);
    assert_eq!(summary["sent"], 30);
    // Each sender's 10 lines are owed to the members of its room that stay, less itself:
    // 2 in each of the first two rooms, 1 in the third (its other two members move).
    assert_eq!(summary["expected_deliveries"], 50);
    assert_eq!(summary["delivered"], 50);
    assert_eq!(summary["loss"], 0);
    assert_eq!(summary["churn"]["movers"], 4);
    assert_eq!(summary["churn"]["moves_scheduled"], 4);
    assert_eq!(summary["churn"]["moves"], 4);
    assert_eq!(summary["churn"]["join_denies"], serde_json::json!({}));
    let checks = &summary["checks"];
    assert_eq!(checks["consistent"], true, "{checks}");
    assert_eq!(checks["wrong_room_lines"], 0);
    assert_eq!(checks["member_lists_checked"], 12);
    assert!(checks["presence_events"].as_u64().expect("count") > 0);
    // Each move tells at most the 4 others of a room of 5 and the 5 members of another.
    let presence = summary["presence_deliveries"].as_u64().expect("count");
    assert!((1..=4 * 9).contains(&presence), "{summary}");
    assert!(
        summary["server"]["cpu_us_per_delivery"].is_number(),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_rooms_measures_after_the_arrivals_presence() {
    let server = start_server().await;
    let summary = bench(
        &server,
        &[
            "rooms",
            "--rooms",
            "2",
            "--members",
            "5",
            "--senders-per-room",
            "1",
            "--rate",
            "10",
            "--duration",
            "0.5",
        ],
    )
    .await;
    // Arriving, the members of each room told each other 0 + 1 + 2 + 3 + 4 times; the bench
    // waits for all of it before the phase, which has no presence of its own.
    assert_eq!(summary["checks"]["presence_events"], 20, "{summary}");
    assert_eq!(summary["presence_deliveries"], 0, "{summary}");
    assert_eq!(summary["unsettled_views"], 0);
    // 5 lines, each to the 4 others of its room.
    assert_eq!(summary["expected_deliveries"], 20);
    assert_eq!(summary["loss"], 0);
    assert_eq!(summary["checks"]["consistent"], true, "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_busy_room_churn_measures_the_room_quiet_and_while_others_churn() {
    let server = start_server().await;
    let summary = bench(
        &server,
        &[
            "busy-room-churn",
            "--clients",
            "5",
            "--senders",
            "2",
            "--rate",
            "20",
            "--duration",
            "0.5",
            "--churn-clients",
            "3",
            "--churn-join",
        ],
    )
    .await;
    assert_eq!(summary["scenario"], "busy-room-churn");
    for phase in ["quiet", "churning"] {
        // 10 lines, each to the 4 other members.
        assert_eq!(summary[phase]["expected_deliveries"], 40, "{phase}");
        assert_eq!(summary[phase]["loss"], 0, "{phase}");
        assert!(
            summary[phase]["latency_us"]["p99_us"]
                .as_u64()
                .expect("p99")
                > 0
        );
    }
    assert!(
        summary["churn"]["cycles"].as_u64().expect("cycles") > 0,
        "{summary}"
    );
    assert_eq!(summary["churn"]["failures"], serde_json::json!({}));
    assert!(summary["p99_ratio"].is_number(), "{summary}");
    assert_eq!(summary["checks"]["consistent"], true, "{summary}");
    assert_eq!(summary["checks"]["member_lists_checked"], 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_busy_room_churn_keeps_churners_to_a_connect_rate() {
    let server = start_server().await;
    // The lobby itself as the big room, and churners limited to 10 connects a second.
    let summary = bench(
        &server,
        &[
            "busy-room-churn",
            "--room",
            "lobby",
            "--clients",
            "5",
            "--senders",
            "2",
            "--rate",
            "20",
            "--duration",
            "1",
            "--churn-clients",
            "4",
            "--churn-join",
            "--churn-rate",
            "10",
        ],
    )
    .await;
    let cycles = summary["churn"]["cycles"].as_f64().expect("cycles");
    let churn_s = summary["churn"]["duration_s"].as_f64().expect("duration");
    // Each of the 4 loops starts a connect every 0.4 s, the first at once at most.
    let allowed = (10.0 * churn_s).ceil() + 4.0;
    assert!(
        cycles > 0.0 && cycles <= allowed,
        "{cycles} > {allowed}: {summary}"
    );
    assert_eq!(summary["churn"]["rate_limit_per_s"], 10.0, "{summary}");
    assert_eq!(summary["churning"]["loss"], 0, "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_lobby_rejoin_measures_both_rooms_quiet_and_under_rejoins() {
    let server = start_server().await;
    let summary = bench(
        &server,
        &[
            "lobby-rejoin",
            "--lobby",
            "20",
            "--room-members",
            "6",
            "--rejoiners",
            "4",
            "--rejoin-rate",
            "1",
            "--senders-per-room",
            "2",
            "--rate",
            "40",
            "--duration",
            "1",
        ],
    )
    .await;
    assert_eq!(summary["scenario"], "lobby-rejoin");
    assert_eq!(summary["connect"]["connected"], 30, "{summary}");
    for phase in ["quiet", "rejoining"] {
        let phase = &summary[phase];
        assert_eq!(phase["loss"], 0, "{summary}");
        assert!(
            phase["delivered"].as_u64().expect("delivered") > 0,
            "{summary}"
        );
        for room in ["lobby", "elsewhere"] {
            assert!(
                phase["latency_by_room_us"][room]["count"]
                    .as_u64()
                    .expect("a count")
                    > 0,
                "{room}: {summary}"
            );
        }
    }
    // Quiet means no re-joins; then each re-joiner re-joins once a second, every one answered.
    assert_eq!(summary["quiet"]["rejoins"]["scheduled"], 0, "{summary}");
    let rejoins = &summary["rejoining"]["rejoins"];
    assert_eq!(rejoins["scheduled"], 4, "{summary}");
    assert_eq!(rejoins["answered"], 4, "{summary}");
    assert_eq!(rejoins["refused"], serde_json::json!({}), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_lobby_connect_compares_part3_and_full_level_arrivals() {
    let server = start_server().await;
    // One handshake at a time, so each arrival finds the earlier ones already joined.
    let summary = bench(
        &server,
        &[
            "--connect-concurrency",
            "1",
            "lobby-connect",
            "--clients",
            "20",
            "--hold",
            "0.5",
        ],
    )
    .await;
    assert_eq!(summary["scenario"], "lobby-connect");
    assert_eq!(summary["part3"]["connected"], 20, "{summary}");
    assert_eq!(summary["full_level"]["connected"], 20, "{summary}");
    // Part 3 hears of nobody; at the full level each hears of everyone who arrives after it.
    assert_eq!(summary["part3"]["presence_received"], 0, "{summary}");
    assert!(
        summary["full_level"]["presence_received"]
            .as_u64()
            .expect("presence")
            >= 19 * 20 / 2,
        "{summary}"
    );
    // The server's CPU both times (their ratio needs more than this test's 10 ms ticks).
    assert!(summary["part3"]["server"]["cpu_s"].is_number(), "{summary}");
    assert!(
        summary["full_level"]["server"]["cpu_s"].is_number(),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_logins_counts_refusals_by_reason() {
    // A server without accounts refuses every registration and login, with one reason.
    const NO_ACCOUNTS: &str = "accounts are not enabled on this server";
    let server = start_server().await;
    let summary = bench(
        &server,
        &[
            "logins",
            "--accounts",
            "5",
            "--concurrency",
            "2",
            "--prefix",
            "t",
        ],
    )
    .await;
    assert_eq!(summary["scenario"], "logins");
    for phase in ["register", "login"] {
        assert_eq!(summary[phase]["accepted"], 0, "{summary}");
        assert_eq!(
            summary[phase]["refused"][NO_ACCOUNTS], 5,
            "{phase}: {summary}"
        );
        assert_eq!(
            summary[phase]["failures"],
            serde_json::json!({}),
            "{summary}"
        );
        assert_eq!(summary[phase]["answer_latency_us"]["count"], 5, "{summary}");
    }
    assert_eq!(summary["logins_per_s"], 0.0, "{summary}");
}
