//! The log of the real `mmo-server` binary, read from its standard output: one line when a
//! client connects and one when it leaves, with its ID, address, duration, close reason,
//! messages and bytes in and out; every line a JSON object with `--log-format json`; the
//! tutorial's phrasing in the default text format; and text a client chose escaped in both.
#![allow(clippy::unwrap_used)]

mod common;

use common::process::ServerProcess;
use futures_util::SinkExt as _;
use mmo_protocol::{Message as _, Packet};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// A close reason that would forge a log line if it were written as it is.
const FORGING_REASON: &str = "bye\nFAKE 2026-11-29T12:00:00Z INFO granted admin";

/// A client that connects, sends one chat line and closes with `FORGING_REASON`; returns its
/// ID and the address it connected from.
async fn scripted_client(address: &str) -> (u64, String) {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{address}/ws"))
        .await
        .unwrap();
    let local = match ws.get_ref() {
        tokio_tungstenite::MaybeTlsStream::Plain(stream) => stream.local_addr().unwrap(),
        _ => unreachable!("ws:// is plain TCP"),
    };
    let id = common::next_packet(&mut ws).await.sender_id;
    ws.send(Message::Binary(Packet::chat("hi").encode_to_vec().into()))
        .await
        .unwrap();
    ws.close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: FORGING_REASON.into(),
    }))
    .await
    .unwrap();
    common::expect_close(&mut ws).await;
    (id, local.to_string())
}

fn json(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}"))
}

#[tokio::test]
async fn json_lines_carry_each_connections_fields() {
    let mut server =
        ServerProcess::start(&["--host", "127.0.0.1", "--port", "0", "--log-format", "json"]);
    let starting = server.wait_for_line("starting", |line| line.contains("Starting server on"));
    let address = json(&starting)["message"]
        .as_str()
        .unwrap()
        .strip_prefix("Starting server on ")
        .unwrap()
        .to_owned();
    let (id, client_address) = scripted_client(&address).await;

    let opened =
        json(&server.wait_for_line("opening", |line| line.contains("New client connected from")));
    assert_eq!(opened["client"].as_u64(), Some(id), "{opened}");
    assert_eq!(opened["address"].as_str(), Some(client_address.as_str()));
    assert_eq!(
        opened["message"].as_str(),
        Some(format!("New client connected from {client_address}").as_str())
    );
    let closed = json(&server.wait_for_line("closing", |line| {
        line.contains("Closing client connection because")
    }));
    assert_eq!(closed["level"].as_str(), Some("INFO"));
    assert_eq!(closed["client"].as_u64(), Some(id), "{closed}");
    assert_eq!(closed["address"].as_str(), Some(client_address.as_str()));
    assert!(closed["duration_s"].as_f64().unwrap() >= 0.0, "{closed}");
    assert_eq!(closed["close"].as_str(), Some("client_closed"));
    assert_eq!(closed["messages_in"].as_u64(), Some(1));
    // The chat frame and the close frame, each masked: at least 6 + 6 bytes of header.
    assert!(closed["bytes_in"].as_u64().unwrap() > 12, "{closed}");
    // The ID packet and the answering close frame (4 bytes: header and code).
    assert_eq!(closed["frames_out"].as_u64(), Some(2), "{closed}");
    assert!(closed["bytes_out"].as_u64().unwrap() > 4 + 2, "{closed}");
    // The client's own words arrive as the escaped text `Untrusted` makes, never raw.
    let reason = closed["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("client closed the connection (code 1000, reason \"bye\\nFAKE"),
        "{reason}"
    );
    assert!(!reason.contains('\n'));
    assert!(
        closed["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Client {id}: Closing client connection because: "))
    );

    let (status, lines) = server.stop();
    assert!(status.success(), "{status:?}");
    for line in &lines {
        let object = json(line);
        for key in ["timestamp", "level", "message", "target"] {
            assert!(object.get(key).is_some(), "{key} missing: {line}");
        }
    }
    assert!(lines.iter().any(|line| line.contains("Server stopped")));
}

#[tokio::test]
async fn text_lines_keep_the_tutorials_phrasing_with_the_fields_after_it() {
    let mut server = ServerProcess::start(&["--host", "127.0.0.1", "--port", "0"]);
    let address = server.address_after("Starting server on ");
    let (id, client_address) = scripted_client(&address).await;
    let opened = server.wait_for_line("opening", |line| line.contains("New client connected"));
    assert!(
        opened.ends_with(&format!(
            "New client connected from {client_address} [client={id} address={client_address}]"
        )),
        "{opened}"
    );
    let sent = server.wait_for_line("sent ID", |line| line.contains("Sent ID"));
    assert!(
        sent.ends_with(&format!("Client {id}: Sent ID to client [client={id}]")),
        "{sent}"
    );
    let closed = server.wait_for_line("closing", |line| line.contains("Closing client"));
    let (message, fields) = closed.split_once(" [").unwrap();
    assert!(
        message.ends_with(&format!(
            "Client {id}: Closing client connection because: client closed the connection \
             (code 1000, reason \"bye\\nFAKE 2026-11-29T12:00:00Z INFO granted admin\")"
        )),
        "{closed}"
    );
    assert!(
        fields.starts_with(&format!("client={id} address={client_address} duration_s=")),
        "{closed}"
    );
    for field in [
        " close=\"client_closed\" reason=\"client closed the connection (code 1000, reason ",
        " messages_in=1 bytes_in=",
        " frames_out=2 bytes_out=",
    ] {
        assert!(fields.contains(field), "{field:?} missing: {closed}");
    }
    let (status, lines) = server.stop();
    assert!(status.success(), "{status:?}");
    assert!(
        !lines.iter().any(|line| line.starts_with("FAKE")),
        "a client forged a line: {lines:#?}"
    );
}
