//! Every limit of the server against a real server: message size, chat length, chat rate,
//! slow readers, silent peers, connection count and protocol violations.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Client, RawClient, TestServer, WAIT};
use futures_util::SinkExt;
use mmo_protocol::{Message as _, Msg, Packet};
use mmo_server::Config;
use tokio::io::AsyncReadExt;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn an_oversize_message_closes_with_1009_and_nothing_is_relayed() {
    let server = TestServer::start(Config {
        max_message_bytes: 1024,
        max_chat_bytes: 1 << 19,
        max_chat_chars: 1 << 19,
        ..Config::default()
    })
    .await;
    let mut listener = Client::tutorial(&server).await;
    let mut raw = RawClient::connect(&server).await;
    // Only the header of a 1 MiB frame: refused before the payload is even sent.
    let frame = common::masked_frame(0x82, &Packet::chat("x".repeat(1 << 20)).encode_to_vec());
    tokio::io::AsyncWriteExt::write_all(&mut raw.stream, &frame[..14])
        .await
        .unwrap();
    let frames = raw.read_frames(2).await;
    assert_eq!(frames[1].0, 0x88, "a close frame");
    assert_eq!(u16::from_be_bytes([frames[1].1[0], frames[1].1[1]]), 1009);
    assert!(String::from_utf8_lossy(&frames[1].1[2..]).contains("exceeds the limit of 1024 bytes"));
    server
        .wait_for_metric("mmo_sessions_closed_total{reason=\"too_big\"}", 1)
        .await;
    assert_eq!(server.metric("mmo_chats_relayed_total").await, 0);
    // The listener hears only that the client left.
    let packet = listener.recv().await;
    assert!(matches!(packet.msg, Some(Msg::Disconnect(_))), "{packet:?}");
}

#[tokio::test]
async fn a_message_just_under_the_size_limit_is_relayed() {
    let limit = 64 * 1024;
    let server = TestServer::start(Config {
        max_message_bytes: limit,
        max_chat_bytes: limit,
        max_chat_chars: limit,
        ..Config::default()
    })
    .await;
    let mut sender = Client::connect(&server).await;
    let mut listener = Client::connect(&server).await;
    // Two tags and two 3-byte lengths take 8 bytes: the packet is exactly `limit` bytes.
    let text = "y".repeat(limit - 8);
    assert_eq!(Packet::chat(text.clone()).encoded_len(), limit);
    sender.chat(&text).await;
    assert_eq!(listener.recv_chat().await, (sender.id, text));
}

#[tokio::test]
async fn a_chat_over_the_text_limit_is_denied_not_relayed() {
    let server = TestServer::start(Config {
        max_chat_bytes: 30,
        max_chat_chars: 10,
        ..Config::default()
    })
    .await;
    let mut sender = Client::tutorial(&server).await;
    let mut listener = Client::connect(&server).await;
    sender.chat("eleven char").await;
    assert_eq!(
        sender.recv_deny().await,
        "chat message is 11 characters; the limit is 10 characters"
    );
    // Eight emoji are few enough characters but 32 bytes.
    sender.chat(&"😀".repeat(8)).await;
    assert_eq!(
        sender.recv_deny().await,
        "chat message is 32 bytes; the limit is 30 bytes"
    );
    sender.chat("   ").await;
    assert_eq!(sender.recv_deny().await, "chat message is empty");
    sender.chat("nul\0here").await;
    assert_eq!(
        sender.recv_deny().await,
        "chat message contains the control character U+0000"
    );
    sender.chat("ten chars!").await;
    assert_eq!(
        listener.recv_chat().await,
        (sender.id, "ten chars!".to_owned())
    );
    assert_eq!(
        server
            .metric("mmo_messages_refused_total{kind=\"chat_invalid\"}")
            .await,
        4
    );
}

#[tokio::test]
async fn a_part3_clients_refused_lines_are_dropped_without_a_field_it_does_not_know() {
    let server = TestServer::start(Config {
        max_chat_bytes: 30,
        max_chat_chars: 10,
        ..Config::default()
    })
    .await;
    let mut sender = Client::connect(&server).await;
    let mut listener = Client::connect(&server).await;
    sender.chat("far too long for the limit").await;
    sender.chat("fits").await;
    assert_eq!(
        listener.recv_chat_strict().await,
        (sender.id, "fits".to_owned())
    );
    server.wait_for_metric("mmo_refusals_unsent_total", 1).await;
    // The refusal was counted, not sent: the sender hears nothing (its echo-less chat included).
    sender.expect_silence(Duration::from_millis(200)).await;
    assert_eq!(
        server
            .metric("mmo_messages_refused_total{kind=\"chat_invalid\"}")
            .await,
        1
    );
}

#[tokio::test]
async fn a_flooder_is_denied_past_its_burst_and_others_see_only_the_allowed_lines() {
    let server = TestServer::start(Config {
        chat_rate: 0.001,
        // One token goes to the login that makes the flooder a tutorial-level client.
        chat_burst: 4,
        ..Config::default()
    })
    .await;
    let mut flooder = Client::tutorial(&server).await;
    let mut listener = Client::connect(&server).await;
    for n in 0..6 {
        flooder.chat(&format!("line {n}")).await;
    }
    for n in 0..3 {
        assert_eq!(
            listener.recv_chat().await,
            (flooder.id, format!("line {n}"))
        );
    }
    for _ in 3..6 {
        let reason = flooder.recv_deny().await;
        assert!(
            reason.starts_with("rate limit: at most 0.001 messages per second"),
            "{reason}"
        );
    }
    assert_eq!(
        server
            .metric("mmo_messages_refused_total{kind=\"rate_limit\"}")
            .await,
        3
    );
    listener.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_dropped_and_healthy_readers_lose_nothing() {
    let server = TestServer::start(Config {
        outbound_queue_bytes: 256 * 1024,
        // The stalled client never answers our close frame: do not wait the default 3 s for it.
        close_timeout: Duration::from_millis(250),
        max_chat_bytes: 16 * 1024,
        max_chat_chars: 16 * 1024,
        ..TestServer::unlimited()
    })
    .await;
    // A small receive buffer so the kernel does not absorb megabytes on the stalled side.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stalled = RawClient::connect_with(socket.connect(server.addr).await.unwrap()).await;
    let mut sender = Client::connect(&server).await;
    let mut reader = Client::connect(&server).await;

    let payload = "z".repeat(8 * 1024);
    const MESSAGES: usize = 1500;
    // The healthy reader keeps up: the sender runs at most WINDOW messages ahead of it, which
    // stays well inside its outbound limit, while the stalled client falls ever further behind.
    // Frames count against the limit until the writer has reported them written, a moment
    // after the reader may already have read them (longer if the writer's thread is preempted
    // on a busy machine), so the window leaves the limit a fourfold margin.
    const WINDOW: usize = 8;
    let read_so_far = std::sync::Arc::new(tokio::sync::Semaphore::new(WINDOW));
    let reading = tokio::spawn({
        let read_so_far = std::sync::Arc::clone(&read_so_far);
        async move {
            for n in 0..MESSAGES {
                let (_, text) = reader.recv_chat().await;
                assert!(
                    text.starts_with(&format!("{n}:")),
                    "message {n} arrived as {}",
                    &text[..10]
                );
                read_so_far.add_permits(1);
            }
            reader
        }
    });
    for n in 0..MESSAGES {
        // Bounded: if the reader fails, this fails too instead of waiting for it forever.
        tokio::time::timeout(WAIT, read_so_far.acquire())
            .await
            .unwrap_or_else(|_| panic!("the reader stopped before message {n}"))
            .unwrap()
            .forget();
        sender.chat(&format!("{n}:{payload}")).await;
    }
    let _reader = tokio::time::timeout(WAIT * 3, reading)
        .await
        .unwrap()
        .unwrap();
    server
        .wait_for_metric("mmo_sessions_closed_total{reason=\"too_slow\"}", 1)
        .await;

    // The stalled client's backlog was dropped with it: reading it now ends in a close frame
    // 1008 or the connection's end, never in an unbounded stream.
    let mut stalled = stalled;
    let mut total = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout(WAIT, stalled.stream.read(&mut buf))
            .await
            .unwrap()
        {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
    assert!(
        total < 8 * 1024 * 1024,
        "read {total} bytes from a client that was dropped"
    );
    assert_eq!(server.metric("mmo_sessions").await, 2);
}

#[tokio::test]
async fn a_slow_client_is_told_why_it_was_dropped() {
    let server = TestServer::start(Config {
        outbound_queue_bytes: 300,
        // The slow client never answers our close frame: do not wait the default 3 s for it.
        close_timeout: Duration::from_millis(250),
        // Small enough lines that one fits the 300-byte queue (`Config::validate`).
        max_chat_bytes: 100,
        max_chat_chars: 100,
        // The lines pile up in the queue while the room's batch holds them, batching whatever
        // the load: an idle server would write each at once into the socket's buffer.
        write_coalesce_busy_percent: 0,
        ..TestServer::unlimited()
    })
    .await;
    let mut sender = Client::connect(&server).await;
    let mut slow = RawClient::connect(&server).await;
    // The first frames fit the outbox; the overflow closes the session with 1008.
    for n in 0..10 {
        sender
            .chat(&format!("message number {n} with some padding"))
            .await;
    }
    server
        .wait_for_metric("mmo_sessions_closed_total{reason=\"too_slow\"}", 1)
        .await;
    let mut buf = Vec::new();
    tokio::time::timeout(WAIT, slow.stream.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap();
    slow.received.extend_from_slice(&buf);
    let frames = common::parse_server_frames(&slow.received);
    let close = frames.iter().find(|f| f.0 == 0x88).expect("a close frame");
    assert_eq!(u16::from_be_bytes([close.1[0], close.1[1]]), 1008);
    assert_eq!(
        String::from_utf8_lossy(&close.1[2..]),
        "too slow: more than 300 bytes waiting to be sent"
    );
}

#[tokio::test]
async fn silent_peers_are_pinged_then_dropped_while_answering_ones_stay() {
    let server = TestServer::start(Config {
        ping_interval: Duration::from_millis(100),
        idle_timeout: Duration::from_millis(400),
        // The silent client never answers our close frame: do not wait the default 3 s for it.
        close_timeout: Duration::from_millis(250),
        ..Config::default()
    })
    .await;
    let mut answering = Client::connect(&server).await;
    // Reading from the start is what makes the tungstenite client answer pings.
    let reading = tokio::spawn(async move {
        let (from, text) = answering.recv_chat().await;
        (from, text, answering)
    });
    let mut silent = RawClient::connect(&server).await;
    let frames = silent.read_frames(2).await;
    assert_eq!(
        frames[1],
        (0x89, Vec::new()),
        "the server pings a quiet client"
    );
    server
        .wait_for_metric("mmo_sessions_closed_total{reason=\"idle\"}", 1)
        .await;
    let mut rest = Vec::new();
    tokio::time::timeout(WAIT, silent.stream.read_to_end(&mut rest))
        .await
        .unwrap()
        .unwrap();
    silent.received.extend_from_slice(&rest);
    let close = common::parse_server_frames(&silent.received)
        .into_iter()
        .find(|f| f.0 == 0x88)
        .expect("close");
    assert_eq!(u16::from_be_bytes([close.1[0], close.1[1]]), 1008);
    assert!(String::from_utf8_lossy(&close.1[2..]).starts_with("idle timeout"));

    // The answering client has been connected for longer than the idle timeout by now (the
    // silent one took that long to be dropped), and it still gets chat.
    let mut late = Client::connect(&server).await;
    late.chat("still there?").await;
    let (_, text, _) = reading.await.unwrap();
    assert_eq!(text, "still there?");
    assert_eq!(
        server
            .metric("mmo_sessions_closed_total{reason=\"idle\"}")
            .await,
        1
    );
}

#[tokio::test]
async fn past_max_connections_clients_get_503_before_the_upgrade() {
    let server = TestServer::start(Config {
        max_connections: 2,
        ..Config::default()
    })
    .await;
    let first = Client::connect(&server).await;
    let _second = Client::connect(&server).await;
    match tokio_tungstenite::connect_async(server.url()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503);
            let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default())
                .into_owned();
            assert!(body.contains("server full"), "{body}");
        }
        other => panic!("expected a 503, got {other:?}"),
    }
    assert_eq!(
        server
            .metric("mmo_connections_refused_total{kind=\"server_full\"}")
            .await,
        1
    );
    // A slot frees when a client leaves.
    drop(first);
    server.wait_for_metric("mmo_sessions_closed_total", 1).await;
    let third = Client::connect(&server).await;
    assert_eq!(third.id, 3);
}

#[tokio::test]
async fn protocol_violations_close_with_1002_and_a_reason() {
    let server = TestServer::start(Config::default()).await;
    let mut raw = RawClient::connect(&server).await;
    // An unmasked frame: RFC 6455 requires clients to mask.
    tokio::io::AsyncWriteExt::write_all(&mut raw.stream, &[0x82, 0x01, 0x00])
        .await
        .unwrap();
    let frames = raw.read_frames(2).await;
    assert_eq!(frames[1].0, 0x88);
    assert_eq!(u16::from_be_bytes([frames[1].1[0], frames[1].1[1]]), 1002);
    assert_eq!(
        String::from_utf8_lossy(&frames[1].1[2..]),
        "protocol error: client frames must be masked"
    );
    server
        .wait_for_metric("mmo_sessions_closed_total{reason=\"protocol_error\"}", 1)
        .await;
}

#[tokio::test]
async fn a_close_frame_is_answered_and_the_session_ends() {
    let server = TestServer::start(Config::default()).await;
    let mut client = Client::connect(&server).await;
    client
        .ws
        .send(Message::Close(Some(
            tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: 4000.into(),
                reason: "bye".into(),
            },
        )))
        .await
        .unwrap();
    let (code, _) = client.expect_close().await;
    assert_eq!(code, 1000);
    server.wait_for_metric("mmo_sessions_closed_total", 1).await;
}
