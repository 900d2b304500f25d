//! End-to-end tests of the `mmo` binary against a real server running inside the test process.

use std::process::{Output, Stdio};
use std::time::Duration;

use futures_util::StreamExt as _;
use mmo_protocol::{Msg, Packet, decode_packet};
use serde_json::Value;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

/// How long any one expected event may take before the test fails.
const WAIT: Duration = Duration::from_secs(30);

/// A server on 127.0.0.1:0 in this process, chat rate limit off; stops when dropped.
struct Server {
    url: String,
    _stop: oneshot::Sender<()>,
}

async fn start_server() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/ws", listener.local_addr().expect("address"));
    let config = mmo_server::Config {
        chat_rate_per_second: 0.0,
        ..mmo_server::Config::default()
    };
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(mmo_server::run(listener, config, async {
        let _ = stopped.await;
    }));
    Server { url, _stop: stop }
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

async fn finish(child: tokio::process::Child) -> Output {
    tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .expect("mmo finishes in time")
        .expect("mmo runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
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
    let (mut listener, _) = tokio_tungstenite::connect_async(&server.url)
        .await
        .expect("test client connects");
    let first = listener.next().await.expect("a frame").expect("readable");
    assert!(matches!(
        decode_packet(&first.into_data()).expect("a packet").msg,
        Some(Msg::Id(_))
    ));

    let mut child = mmo()
        .args(["chat", "--once", &server.url])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn mmo");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"hi\n\n").await.expect("write stdin");
    drop(stdin);

    let relayed: Packet = tokio::time::timeout(WAIT, async {
        loop {
            match listener.next().await.expect("open").expect("readable") {
                Message::Binary(bytes) => {
                    let packet = decode_packet(&bytes).expect("a packet");
                    if matches!(packet.msg, Some(Msg::Chat(_))) {
                        return packet;
                    }
                }
                _ => continue,
            }
        }
    })
    .await
    .expect("the line arrives");
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
    let pid = std::process::id().to_string();
    let child = mmo()
        .args(["bench", "--url", &server.url, "--server-pid", &pid])
        .args([
            "fanout",
            "--clients",
            "20",
            "--senders",
            "2",
            "--rate",
            "100",
        ])
        .args(["--duration", "1"])
        .spawn()
        .expect("spawn mmo");
    let summary = json_summary(&finish(child).await);
    assert_eq!(summary["scenario"], "fanout");
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
    let pid = std::process::id().to_string();
    let child = mmo()
        .args(["bench", "--url", &server.url, "--server-pid", &pid])
        .args(["connect", "--clients", "50", "--hold", "0.2"])
        .spawn()
        .expect("spawn mmo");
    let summary = json_summary(&finish(child).await);
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
    let pid = std::process::id().to_string();
    let child = mmo()
        .args(["bench", "--url", &server.url, "--server-pid", &pid])
        .args([
            "churn",
            "--concurrency",
            "4",
            "--duration",
            "0.5",
            "--settle",
            "0",
        ])
        .spawn()
        .expect("spawn mmo");
    let summary = json_summary(&finish(child).await);
    assert_eq!(summary["scenario"], "churn");
    assert!(summary["cycles"].as_u64().expect("cycles") > 0, "{summary}");
    assert_eq!(summary["failures"], serde_json::json!({}));
    assert!(summary["server"]["open_fds_after"].is_u64(), "{summary}");
}
