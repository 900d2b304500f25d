//! `mmo chat` and `mmo bench` over `wss://` against a real TLS server in the test process,
//! with a certificate made in the test (by rcgen, and by the `openssl` command as a user would)
//! and trusted through `--ca-file`; and each refusal (nobody vouches, wrong CA file, wrong
//! name, expired) said in a sentence that says what to do.

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

/// A scratch folder of this test binary's, emptied.
fn scratch(name: &str) -> PathBuf {
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-tls-{name}"));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).expect("scratch folder");
    folder
}

/// Writes `cert.pem` and `key.pem` in `folder` for a self-signed certificate made by rcgen.
fn rcgen_certificate(folder: &Path, params: &rcgen::CertificateParams) -> (PathBuf, PathBuf) {
    let key = rcgen::KeyPair::generate().expect("a key");
    let cert = params.self_signed(&key).expect("a certificate");
    let (cert_file, key_file) = (folder.join("cert.pem"), folder.join("key.pem"));
    std::fs::write(&cert_file, cert.pem()).expect("write cert");
    std::fs::write(&key_file, key.serialize_pem()).expect("write key");
    (cert_file, key_file)
}

/// Writes `cert.pem` and `key.pem` in `folder` with the command new users copy from the web,
/// whose certificate OpenSSL 3 marks `CA:TRUE`. The `openssl` command must be installed
/// (`scripts/test` installs it).
fn openssl_certificate(folder: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (folder.join("cert.pem"), folder.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost"])
        .output()
        .expect("the openssl command is installed (scripts/test installs it)");
    assert!(made.status.success(), "openssl: {}", text(&made.stderr));
    let shown = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(&cert)
        .output()
        .expect("openssl x509");
    // What this test is about: the certificate really is a CA's.
    assert!(
        text(&shown.stdout).contains("CA:TRUE"),
        "{}",
        text(&shown.stdout)
    );
    (cert, key)
}

impl TlsServer {
    async fn start(name: &str) -> Self {
        let params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("names");
        let (cert, key) = rcgen_certificate(&scratch(name), &params);
        Self::with(cert, key).await
    }

    /// A server with the certificate and key in these PEM files.
    async fn with(cert: PathBuf, key: PathBuf) -> Self {
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

    /// `mmo chat --once ARGS…` against `url`, its stderr, and that it exited 1.
    async fn refused(&self, url: &str, args: &[&str]) -> String {
        let output = finish(
            mmo()
                .args(["chat", "--once"])
                .args(args)
                .arg(url)
                .spawn()
                .expect("spawn mmo"),
        )
        .await;
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        stderr
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
async fn a_certificate_nobody_vouches_for_is_refused_with_what_to_do() {
    let server = TlsServer::start("untrusted").await;
    let stderr = server.refused(server.url(), &[]).await;
    assert!(
        stderr.contains("no public certificate authority vouches")
            && stderr.contains("--ca-file")
            && stderr.contains("self_signed_certificate.rs"),
        "{stderr}"
    );
    assert!(!stderr.contains("UnknownIssuer"), "{stderr}");
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_usual_openssl_certificate_is_trusted_when_it_is_the_ca_file() {
    let folder = scratch("openssl");
    let (cert, key) = openssl_certificate(&folder);
    let server = TlsServer::with(cert, key).await;

    // Without --ca-file it is refused, saying why and what to do.
    let stderr = server.refused(server.url(), &[]).await;
    assert!(
        stderr.contains("CA:TRUE") && stderr.contains("--ca-file"),
        "{stderr}"
    );

    // With it, it is the very certificate pinned, and chat works.
    let mut sender = server
        .chat_once()
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn mmo");
    let mut stdin = sender.stdin.take().expect("stdin");
    stdin.write_all(b"hello\n").await.expect("write");
    drop(stdin);
    let sent = finish(sender).await;
    assert!(sent.status.success(), "{}", text(&sent.stderr));
    assert!(
        text(&sent.stdout).contains("Connected as client "),
        "{}",
        text(&sent.stdout)
    );

    // Pinned is not blind: the name is still checked (the certificate is for localhost only).
    let by_address = server.url().replace("localhost", "127.0.0.1");
    let stderr = server
        .refused(&by_address, &["--ca-file", server.ca_file()])
        .await;
    assert!(
        stderr.contains("not made for the name 127.0.0.1"),
        "{stderr}"
    );

    // Another certificate in the CA file: the right one is asked for.
    let other_folder = scratch("openssl-other");
    let (other, _) = openssl_certificate(&other_folder);
    let stderr = server
        .refused(
            server.url(),
            &["--ca-file", other.to_str().expect("UTF-8 path")],
        )
        .await;
    assert!(
        stderr.contains("CA:TRUE") && stderr.contains("not one of the certificates in"),
        "{stderr}"
    );
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_certificate_that_has_expired_is_refused() {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("names");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let (cert, key) = rcgen_certificate(&scratch("expired"), &params);
    let server = TlsServer::with(cert, key).await;
    let stderr = server
        .refused(server.url(), &["--ca-file", server.ca_file()])
        .await;
    assert!(stderr.contains("has expired"), "{stderr}");
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_ca_file_is_named() {
    let server = TlsServer::start("wrong-ca").await;
    let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("names");
    let (other, _) = rcgen_certificate(&scratch("wrong-ca-other"), &params);
    let other = other.to_str().expect("UTF-8 path");
    let stderr = server.refused(server.url(), &["--ca-file", other]).await;
    assert!(
        stderr.contains("right --ca-file") && stderr.contains(other),
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
