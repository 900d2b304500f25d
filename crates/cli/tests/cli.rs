//! End-to-end tests of the `mmo` binary against a real server running inside the test process.

use std::net::SocketAddr;
use std::process::{Output, Stdio};
use std::time::Duration;

use futures_util::StreamExt as _;
use mmo_protocol::{Msg, Packet, decode_packet};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::net::TcpListener;
use tokio::process::{ChildStdout, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// How long any one expected event may take before the test fails.
const WAIT: Duration = Duration::from_secs(30);

/// A server in this process; stops when dropped, or politely with [`Server::shut_down`].
struct Server {
    url: String,
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Stops it the way Ctrl-C does (every client gets close 1001 "server shutting down") and
    /// waits until it has finished and its port is free again.
    async fn shut_down(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the server stops in time")
            .expect("the server task does not panic")
            .expect("the server ran without error");
    }
}

/// The configuration of most tests: the defaults with the chat rate limit off.
fn unlimited() -> mmo_server::Config {
    mmo_server::Config {
        chat_rate: 0.0,
        ..mmo_server::Config::default()
    }
}

/// A server on 127.0.0.1:0, chat rate limit off.
async fn start_server() -> Server {
    serve_on("127.0.0.1:0", unlimited()).await
}

/// A server listening on `address` (a port of 0 picks a free one), as `mmo-server` binds it:
/// with `SO_REUSEADDR`, so a restarted server gets its port back at once.
async fn serve_on(address: &str, config: mmo_server::Config) -> Server {
    let listener = mmo_server::bind(address).await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(mmo_server::run(listener, config, async {
        let _ = stopped.await;
    }));
    Server {
        url: format!("ws://{address}/ws"),
        address,
        stop,
        task,
    }
}

fn mmo() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mmo"));
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Starts `mmo chat --once URL` with its stdin open for the test to write.
fn chat_once(url: &str) -> (tokio::process::Child, tokio::process::ChildStdin) {
    let mut child = mmo()
        .args(["chat", "--once", url])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn mmo");
    let stdin = child.stdin.take().expect("stdin");
    (child, stdin)
}

async fn finish(child: tokio::process::Child) -> Output {
    tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .expect("mmo finishes in time")
        .expect("mmo runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
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

/// The next chat packet `listener` receives, skipping anything else; fails after `WAIT`.
async fn next_chat(listener: &mut TestClient) -> Packet {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Message::Binary(bytes) = listener.next().await.expect("open").expect("readable")
            {
                let packet = decode_packet(&bytes).expect("a packet");
                if matches!(packet.msg, Some(Msg::Chat(_))) {
                    return packet;
                }
            }
        }
    })
    .await
    .expect("a chat line arrives")
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
async fn chat_reconnects_after_the_server_restarts() {
    let server = start_server().await;
    let address = server.address.to_string();
    let url = server.url.clone();
    // Interactive mode with stdin and stdout piped: plain lines in and out, same reconnects.
    let mut child = mmo()
        .args(["chat", &url])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn mmo");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = OutputLines::new(child.stdout.take().expect("stdout"));
    stdout
        .wait_for("the first ID", |l| l.starts_with("Connected as client "))
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

    // Back on the same port: the client finds it by itself and gets an ID from the new server.
    let server = serve_on(&address, unlimited()).await;
    stdout
        .wait_for("an ID from the restarted server", |l| {
            l.starts_with("Connected as client ")
        })
        .await;

    // And what is typed now reaches the others.
    let mut listener = listen(&server.url).await;
    stdin
        .write_all(b"after the restart\n")
        .await
        .expect("write stdin");
    stdin.flush().await.expect("flush stdin");
    assert_eq!(
        next_chat(&mut listener).await.msg,
        Packet::chat("after the restart").msg
    );

    // The end of stdin leaves, with a clean exit.
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
