//! `mmo chat` and `mmo bench` over `wss://` against a real TLS server in the test process,
//! with a certificate made in the test and trusted through `--ca-file`; and the refusal of a
//! certificate that nothing vouches for.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

mod common;
use common::{Server, WAIT, finish, mmo, serve_on, text, unlimited};

/// A TLS server in this process, with the PEM file of its self-signed certificate.
struct TlsServer {
    server: Server,
    ca_file: PathBuf,
}

impl TlsServer {
    async fn start(name: &str) -> Self {
        let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-tls-{name}"));
        std::fs::create_dir_all(&folder).expect("scratch folder");
        let made = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("a certificate");
        let cert = folder.join("cert.pem");
        let key = folder.join("key.pem");
        std::fs::write(&cert, made.cert.pem()).expect("write cert");
        std::fs::write(&key, made.signing_key.serialize_pem()).expect("write key");
        let config = mmo_server::Config {
            tls_cert: Some(cert.clone()),
            tls_key: Some(key),
            ..unlimited()
        };
        Self {
            server: serve_on("127.0.0.1:0", config).await,
            ca_file: cert,
        }
    }

    fn url(&self) -> &str {
        &self.server.url
    }

    /// `mmo chat --once` to this server, trusting its certificate.
    fn chat_once(&self) -> tokio::process::Command {
        let mut command = mmo();
        command.args(["chat", "--once", self.url(), "--ca-file", self.ca_file()]);
        command
    }

    fn ca_file(&self) -> &str {
        self.ca_file.to_str().expect("UTF-8 path")
    }

    async fn shut_down(self) {
        self.server.shut_down().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_over_wss_trusting_the_ca_file() {
    let server = TlsServer::start("chat").await;
    // The listener waits for one line from someone else, then closes.
    let mut listener = server
        .chat_once()
        .args(["--wait-for", "1"])
        .spawn()
        .expect("spawn mmo");
    let mut lines = BufReader::new(listener.stdout.take().expect("stdout")).lines();
    let connected = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .expect("the listener connects in time")
        .expect("stdout is readable")
        .expect("a line");
    assert!(connected.starts_with("Connected as client "), "{connected}");

    let mut sender = server
        .chat_once()
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn mmo");
    let mut stdin = sender.stdin.take().expect("stdin");
    stdin.write_all(b"hello over TLS\n").await.expect("write");
    drop(stdin);
    let sent = finish(sender).await;
    assert!(sent.status.success(), "{}", text(&sent.stderr));
    let sender_id = text(&sent.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("Connected as client ").map(str::to_owned))
        .expect("the sender's ID");

    // Lines about rooms and members may come first; the chat line must come.
    let expected = format!("Client {sender_id}: hello over TLS");
    tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.next_line().await.expect("stdout is readable") {
            if line == expected {
                return;
            }
        }
        panic!("stdout ended without {expected:?}");
    })
    .await
    .expect("the line arrives in time");
    let done = finish(listener).await;
    assert!(done.status.success(), "{}", text(&done.stderr));
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_nobody_vouches_for_is_refused() {
    let server = TlsServer::start("untrusted").await;
    let output = finish(
        mmo()
            .args(["chat", "--once", server.url()])
            .spawn()
            .expect("spawn mmo"),
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("TLS handshake failed") && stderr.contains("UnknownIssuer"),
        "{stderr}"
    );
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_fanout_over_wss_delivers_every_line() {
    let server = TlsServer::start("bench").await;
    let pid = std::process::id().to_string();
    let output = finish(
        mmo()
            .args([
                "bench",
                "--url",
                server.url(),
                "--ca-file",
                server.ca_file(),
            ])
            .args(["--server-pid", &pid])
            .args(["fanout", "--clients", "10", "--senders", "2"])
            .args(["--rate", "50", "--duration", "1"])
            .spawn()
            .expect("spawn mmo"),
    )
    .await;
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "bench failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        text(&output.stderr)
    );
    let summary: Value =
        serde_json::from_str(stdout.lines().last().expect("a summary")).expect("JSON");
    assert_eq!(summary["connect"]["connected"], 10, "{summary}");
    // Each line goes to the 9 clients other than its sender.
    assert_eq!(summary["expected_deliveries"], 450, "{summary}");
    assert_eq!(summary["delivered"], 450, "{summary}");
    assert_eq!(summary["loss"], 0, "{summary}");
    server.shut_down().await;
}
