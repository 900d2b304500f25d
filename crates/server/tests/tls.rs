//! TLS end to end: a certificate made in the test (rcgen), a real server serving `wss://` and
//! `https://` on one port, and clients that trust that certificate chatting over it; clients
//! that do not speak TLS or do not trust it are refused and counted; and a certificate or key
//! that is missing, not PEM, or not a pair stops the binary's start-up with exit code 2.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::process::{ServerProcess, path_text, refusal};
use common::{TestServer, WAIT, metric_value, next_packet};
use futures_util::{SinkExt as _, StreamExt as _};
use mmo_protocol::{Message as _, Msg, Packet};
use mmo_server::Config;
use rustls::pki_types::ServerName;
use rustls::pki_types::pem::PemObject as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// A certificate for `localhost` and 127.0.0.1 and its key, as PEM files in a folder of the
/// test's own.
struct TestCertificate {
    cert: PathBuf,
    key: PathBuf,
}

impl TestCertificate {
    fn new(name: &str) -> Self {
        let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tls-{name}"));
        std::fs::create_dir_all(&folder).unwrap();
        let made = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .unwrap();
        let cert = folder.join("cert.pem");
        let key = folder.join("key.pem");
        std::fs::write(&cert, made.cert.pem()).unwrap();
        std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
        Self { cert, key }
    }

    fn config(&self) -> Config {
        Config {
            tls_cert: Some(self.cert.clone()),
            tls_key: Some(self.key.clone()),
            chat_rate: 0.0,
            ..Config::default()
        }
    }

    /// A client that trusts this certificate and nothing else.
    fn connector(&self) -> TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls::pki_types::CertificateDer::pem_file_iter(&self.cert).unwrap() {
            roots.add(cert.unwrap()).unwrap();
        }
        connector(roots)
    }
}

fn connector(roots: rustls::RootCertStore) -> TlsConnector {
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

async fn tls_connect(server: &TestServer, connector: &TlsConnector) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    tokio::time::timeout(WAIT, connector.connect(name, tcp))
        .await
        .unwrap()
        .unwrap()
}

type Wss = WebSocketStream<TlsStream<TcpStream>>;

/// A WebSocket over TLS that has received its ID.
async fn wss_client(server: &TestServer, connector: &TlsConnector) -> (u64, Wss) {
    let tls = tls_connect(server, connector).await;
    let url = format!("wss://localhost:{}/ws", server.addr.port());
    let (mut ws, _) = tokio_tungstenite::client_async(url, tls).await.unwrap();
    let first = next_packet(&mut ws).await;
    let Some(Msg::Id(id)) = first.msg else {
        panic!("first packet must be an IdMessage, got {first:?}");
    };
    (id.id, ws)
}

async fn send_chat(ws: &mut Wss, text: &str) {
    ws.send(Message::Binary(Packet::chat(text).encode_to_vec().into()))
        .await
        .unwrap();
}

async fn recv_chat(ws: &mut Wss) -> (u64, String) {
    let packet = next_packet(ws).await;
    match packet.msg {
        Some(Msg::Chat(chat)) => (packet.sender_id, chat.msg),
        other => panic!("expected chat, got {other:?}"),
    }
}

/// Reads to the end of the connection, answering the server's close; returns its close code.
async fn read_to_end(mut ws: Wss) -> Option<u16> {
    let mut code = None;
    while let Some(message) = tokio::time::timeout(WAIT, ws.next()).await.unwrap() {
        match message {
            Ok(Message::Close(close)) => code = close.map(|close| u16::from(close.code)),
            Ok(_) => {}
            Err(error) => panic!("{error}"),
        }
    }
    code
}

/// An HTTPS GET; returns the whole response, read until the server closes.
async fn https_get(server: &TestServer, connector: &TlsConnector, path: &str) -> String {
    let mut tls = tls_connect(server, connector).await;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    // The server closes with close_notify, so the read ends cleanly.
    tokio::time::timeout(WAIT, tls.read_to_end(&mut response))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn clients_chat_over_wss_and_pages_come_over_https_on_the_same_port() {
    let certificate = TestCertificate::new("chat");
    let server = TestServer::start(certificate.config()).await;
    let connector = certificate.connector();
    let (a_id, mut a) = wss_client(&server, &connector).await;
    let (b_id, mut b) = wss_client(&server, &connector).await;
    assert_ne!(a_id, b_id);
    send_chat(&mut a, "hello over TLS").await;
    assert_eq!(recv_chat(&mut b).await, (a_id, "hello over TLS".to_owned()));
    send_chat(&mut b, "and back").await;
    assert_eq!(recv_chat(&mut a).await, (b_id, "and back".to_owned()));

    // Far more than one TLS record (16 KiB) at once: every line arrives, whole and in order.
    // (490 characters: under the 500 a chat line may have.)
    let line = "x".repeat(487);
    for n in 0..200 {
        send_chat(&mut a, &format!("{n:03}{line}")).await;
    }
    for n in 0..200 {
        let (from, text) = recv_chat(&mut b).await;
        assert_eq!(from, a_id);
        assert_eq!(text, format!("{n:03}{line}"));
    }

    let health = https_get(&server, &connector, "/health").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("\r\n\r\nok\n"), "{health}");
    let page = https_get(&server, &connector, "/").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("text/html"), "{page}");

    // A graceful shutdown closes TLS sessions with 1001, as plain ones; each client reads on
    // to the end, which answers the close.
    let stopping = tokio::spawn(server.stop());
    let (a_close, b_close) = futures_util::future::join(read_to_end(a), read_to_end(b)).await;
    assert_eq!((a_close, b_close), (Some(1001), Some(1001)));
    stopping.await.unwrap().unwrap();
}

#[tokio::test]
async fn clients_without_tls_or_without_trust_are_refused_and_counted() {
    let certificate = TestCertificate::new("refusals");
    let server = TestServer::start(certificate.config()).await;

    // Plain HTTP on the TLS port: not a TLS handshake.
    let mut plain = TcpStream::connect(server.addr).await.unwrap();
    plain
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(WAIT, plain.read_to_end(&mut answer))
        .await
        .unwrap();
    assert!(!answer.starts_with(b"HTTP/"), "{answer:?}");

    // A client that trusts nobody: it fails the handshake and tells the server why.
    let distrustful = connector(rustls::RootCertStore::empty());
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    assert!(distrustful.connect(name, tcp).await.is_err());

    let connector = certificate.connector();
    let refused = "mmo_connections_refused_total{kind=\"tls\"}";
    let metrics =
        common::wait_for_metric_in(refused, 2, || https_get(&server, &connector, "/metrics")).await;
    assert_eq!(metric_value(&metrics, refused), 2, "{metrics}");
    server.stop().await.unwrap();
}

#[test]
fn a_certificate_or_key_that_cannot_be_used_stops_start_up_naming_the_file() {
    let good = TestCertificate::new("good");
    let other = TestCertificate::new("other");
    let refused_with = |cert: &std::path::Path, key: &std::path::Path| {
        refusal(
            &["--tls-cert", path_text(cert), "--tls-key", path_text(key)],
            &[],
        )
    };
    let missing = good.cert.with_file_name("missing.pem");
    let message = refused_with(&missing, &good.key);
    assert!(
        message.contains(&format!(
            "invalid configuration: tls_cert = {}: cannot read it: No such file",
            missing.display()
        )),
        "{message}"
    );

    let not_pem = good.cert.with_file_name("not-pem.txt");
    std::fs::write(&not_pem, "hello\n").unwrap();
    let message = refused_with(&not_pem, &good.key);
    assert!(
        message.contains(&format!(
            "tls_cert = {}: no certificate in it",
            not_pem.display()
        )),
        "{message}"
    );
    let message = refused_with(&good.cert, &good.cert);
    assert!(
        message.contains(&format!(
            "tls_key = {}: no private key in it",
            good.cert.display()
        )),
        "{message}"
    );

    let message = refused_with(&good.cert, &other.key);
    assert!(
        message.contains(&format!(
            "tls_key = {} and tls_cert = {} cannot be used together: the key is not the \
             certificate's",
            other.key.display(),
            good.cert.display()
        )),
        "{message}"
    );

    let message = refusal(&["--tls-cert", path_text(&good.cert)], &[]);
    assert!(
        message.contains("tls_cert and tls_key go together"),
        "{message}"
    );
}

#[tokio::test]
async fn the_binary_serves_tls_with_the_certificate_it_names() {
    let certificate = TestCertificate::new("binary");
    let mut server = ServerProcess::start(&[
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--tls-cert",
        path_text(&certificate.cert),
        "--tls-key",
        path_text(&certificate.key),
    ]);
    let address = server.address_after("Starting server on ");
    server.wait_for_line("naming the certificate", |line| {
        line.contains("Serving https:// and wss:// with the certificate in")
    });
    let tcp = TcpStream::connect(&address).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let tls = certificate.connector().connect(name, tcp).await.unwrap();
    let port = address.rsplit_once(':').unwrap().1;
    let (mut ws, _) = tokio_tungstenite::client_async(format!("wss://localhost:{port}/ws"), tls)
        .await
        .unwrap();
    assert!(matches!(next_packet(&mut ws).await.msg, Some(Msg::Id(_))));
    ws.close(None).await.unwrap();
    assert_eq!(read_to_end(ws).await, Some(1000));
    let (status, _) = server.stop();
    assert!(status.success(), "{status:?}");
}
