//! Behaviours 1–5 of protocol.md against a real server: IDs, the first frame, relay to every
//! other client, per-sender order, bad packets ignored, and what the Godot client sends.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{Client, RawClient, TestServer};
use futures_util::SinkExt;
use mmo_protocol::{IdMessage, Message as _, Msg, Packet, decode_packet};
use mmo_server::Config;

#[tokio::test]
async fn ids_count_from_one_in_connection_order_and_come_first() {
    let server = TestServer::start(Config::default()).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(Client::connect(&server).await.id);
    }
    assert_eq!(ids, [1, 2, 3]);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn ids_are_never_reused_after_a_disconnect() {
    let server = TestServer::start(Config::default()).await;
    let first = Client::connect(&server).await;
    drop(first);
    server.wait_for_metric("mmo_sessions_closed_total", 1).await;
    assert_eq!(Client::connect(&server).await.id, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_concurrent_connects_get_unique_ids() {
    let server = TestServer::start(Config::default()).await;
    let connects: Vec<_> = (0..300)
        .map(|_| {
            let url = server.url();
            tokio::spawn(async move {
                let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
                let packet = common::next_packet(&mut ws).await;
                (packet, ws)
            })
        })
        .collect();
    let mut ids = HashSet::new();
    let mut sockets = Vec::new();
    for connect in connects {
        let (packet, ws) = connect.await.unwrap();
        let Some(Msg::Id(IdMessage { id })) = packet.msg else {
            panic!("first frame was {packet:?}");
        };
        assert!(ids.insert(id), "ID {id} given twice");
        sockets.push(ws);
    }
    assert_eq!(ids, (1..=300).collect::<HashSet<u64>>());
}

#[tokio::test]
async fn chat_reaches_every_other_client_stamped_with_the_sender() {
    let server = TestServer::start(Config::default()).await;
    let mut alice = Client::connect(&server).await;
    let mut bob = Client::connect(&server).await;
    let mut carol = Client::connect(&server).await;

    alice.chat("Hello, world!").await;
    assert_eq!(
        bob.recv_chat().await,
        (alice.id, "Hello, world!".to_owned())
    );
    assert_eq!(
        carol.recv_chat().await,
        (alice.id, "Hello, world!".to_owned())
    );

    // No echo: after bob's reply reaches alice, alice has had nothing of her own.
    bob.chat("hi alice").await;
    assert_eq!(alice.recv_chat().await, (bob.id, "hi alice".to_owned()));
    assert_eq!(carol.recv_chat().await, (bob.id, "hi alice".to_owned()));
}

#[tokio::test]
async fn a_spoofed_sender_id_is_replaced_by_the_real_one() {
    let server = TestServer::start(Config::default()).await;
    let mut mallory = Client::connect(&server).await;
    let mut victim = Client::connect(&server).await;
    mallory
        .send_packet(&Packet {
            sender_id: victim.id,
            ..Packet::chat("I am the victim")
        })
        .await;
    assert_eq!(
        victim.recv_chat().await,
        (mallory.id, "I am the victim".to_owned())
    );
}

#[tokio::test]
async fn each_senders_order_is_kept_for_every_receiver() {
    let server = TestServer::start(TestServer::unlimited()).await;
    let mut senders = [
        Client::connect(&server).await,
        Client::connect(&server).await,
    ];
    let mut receiver = Client::connect(&server).await;
    const PER_SENDER: usize = 300;
    for n in 0..PER_SENDER {
        for sender in &mut senders {
            sender.chat(&n.to_string()).await;
        }
    }
    let mut next_expected = [0usize; 2];
    for _ in 0..2 * PER_SENDER {
        let (from, text) = receiver.recv_chat().await;
        let index = senders.iter().position(|s| s.id == from).unwrap();
        assert_eq!(
            text,
            next_expected[index].to_string(),
            "order from sender {from}"
        );
        next_expected[index] += 1;
    }
    assert_eq!(next_expected, [PER_SENDER, PER_SENDER]);
}

#[tokio::test]
async fn relayed_frames_hold_exactly_one_packet_and_no_stray_byte() {
    let server = TestServer::start(Config::default()).await;
    let mut sender = Client::connect(&server).await;
    let mut raw = RawClient::connect(&server).await;
    // In the lobby from its ID on: what is said after it has the ID reaches it.
    raw.read_frames(1).await;
    sender.chat("Hello, world!").await;
    let frames = raw.read_frames(2).await;
    // The ID frame, then the chat, each a binary frame holding the exact encoding.
    assert_eq!(frames[0].0, 0x82);
    assert_eq!(
        frames[0].1,
        Packet::id_assignment(mmo_protocol::ClientId::new(2).unwrap()).encode_to_vec()
    );
    assert_eq!(frames[1].0, 0x82);
    let expected = [
        0x08, 0x01, 0x12, 0x0f, 0x0a, 0x0d, b'H', b'e', b'l', b'l', b'o', b',', b' ', b'w', b'o',
        b'r', b'l', b'd', b'!',
    ];
    assert_eq!(frames[1].1, expected);
}

#[tokio::test]
async fn the_godot_clients_raw_bytes_are_understood_in_binary_and_text_frames() {
    let server = TestServer::start(Config::default()).await;
    let mut godot = RawClient::connect(&server).await;
    let mut listener = Client::connect(&server).await;
    // What the tutorial's client sends for "hi": sender_id 0 omitted, `12 LEN 0a LEN text`.
    let godot_chat = [0x12, 0x04, 0x0a, 0x02, b'h', b'i'];
    godot.send_frame(0x82, &godot_chat).await;
    assert_eq!(listener.recv_chat().await, (1, "hi".to_owned()));
    // The tutorial's server also took the same bytes in a text frame.
    godot.send_frame(0x81, &godot_chat).await;
    assert_eq!(listener.recv_chat().await, (1, "hi".to_owned()));
    // The tutorial's own test sends sender_id 69 and "Hello, Golang!": stamped with the real ID.
    let spoofed = Packet {
        sender_id: 69,
        ..Packet::chat("Hello, Golang!")
    };
    godot.send_frame(0x82, &spoofed.encode_to_vec()).await;
    assert_eq!(listener.recv_chat().await, (1, "Hello, Golang!".to_owned()));
}

#[tokio::test]
async fn fragmented_messages_are_reassembled() {
    let server = TestServer::start(Config::default()).await;
    let mut raw = RawClient::connect(&server).await;
    let mut listener = Client::connect(&server).await;
    let bytes = Packet::chat("split in three").encode_to_vec();
    raw.send_frame(0x02, &bytes[..3]).await;
    raw.send_frame(0x89, b"ping between").await;
    raw.send_frame(0x00, &bytes[3..7]).await;
    raw.send_frame(0x80, &bytes[7..]).await;
    assert_eq!(listener.recv_chat().await, (1, "split in three".to_owned()));
    // The ping in the middle was answered with the same payload.
    let frames = raw.read_frames(2).await;
    assert_eq!(frames[1], (0x8A, b"ping between".to_vec()));
}

#[tokio::test]
async fn garbage_is_logged_and_ignored_and_the_connection_stays_open() {
    let server = TestServer::start(Config::default()).await;
    let mut sender = Client::connect(&server).await;
    let mut listener = Client::connect(&server).await;
    for garbage in [&[0xFF, 0xFF, 0xFF][..], b"\x12\x10short", b"\x08"] {
        assert!(decode_packet(garbage).is_err());
        sender
            .ws
            .send(tokio_tungstenite::tungstenite::Message::Binary(
                garbage.to_vec().into(),
            ))
            .await
            .unwrap();
    }
    sender.chat("still here").await;
    assert_eq!(
        listener.recv_chat().await,
        (sender.id, "still here".to_owned())
    );
    assert_eq!(
        server
            .metric("mmo_messages_received_total{kind=\"undecodable\"}")
            .await,
        3
    );
}

#[tokio::test]
async fn only_chat_is_relayed_a_client_id_message_is_dropped() {
    let server = TestServer::start(Config::default()).await;
    let mut sender = Client::connect(&server).await;
    let mut listener = Client::connect(&server).await;
    sender
        .send_packet(&Packet::id_assignment(
            mmo_protocol::ClientId::new(99).unwrap(),
        ))
        .await;
    sender.send_packet(&Packet::deny("not yours to send")).await;
    sender.chat("after").await;
    // The first thing the listener gets is the chat: the other two were dropped.
    assert_eq!(listener.recv_chat().await, (sender.id, "after".to_owned()));
    for kind in ["id", "deny_response", "chat"] {
        let series = format!("mmo_messages_received_total{{kind=\"{kind}\"}}");
        assert_eq!(server.metric(&series).await, 1, "{series}");
    }
    listener.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn tutorial_level_clients_are_told_when_a_client_leaves() {
    let server = TestServer::start(Config::default()).await;
    let mut leaver = Client::connect(&server).await;
    let mut stayer = Client::tutorial(&server).await;
    let leaver_id = leaver.id;
    // The close reason is the leaver's own text: it is not passed on to everyone.
    leaver
        .ws
        .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Normal,
            reason: "visit spam.example".into(),
        }))
        .await
        .unwrap();
    let packet = stayer.recv().await;
    assert_eq!(packet.sender_id, leaver_id);
    let Some(Msg::Disconnect(disconnect)) = packet.msg else {
        panic!("expected a DisconnectMessage, got {packet:?}");
    };
    assert_eq!(disconnect.reason, "", "a goodbye needs no reason");
}

#[tokio::test]
async fn part3_clients_are_never_told_of_leaves() {
    let server = TestServer::start(Config::default()).await;
    let leaver = Client::connect(&server).await;
    let mut stayer = Client::connect(&server).await;
    let mut third = Client::connect(&server).await;
    drop(leaver);
    server.wait_for_metric("mmo_sessions_closed_total", 1).await;
    third.chat("first thing you hear").await;
    assert_eq!(
        stayer.recv_chat_strict().await,
        (third.id, "first thing you hear".to_owned())
    );
}

#[tokio::test]
async fn frames_held_back_by_write_coalescing_arrive_in_order_and_before_the_close() {
    // The longest window allowed, batching whatever the load, so the lines are surely held:
    // the receiver was written its ID just before they come.
    let server = TestServer::start(Config {
        write_coalesce_ms: Duration::from_millis(100),
        write_coalesce_busy_percent: 0,
        ..TestServer::unlimited()
    })
    .await;
    let mut receiver = Client::connect(&server).await;
    let mut sender = Client::connect(&server).await;
    for n in 0..5 {
        sender.chat(&n.to_string()).await;
    }
    server.wait_for_metric("mmo_chats_relayed_total", 5).await;
    // Shutting down flushes what is queued, held frames included, before close 1001.
    let stopping = tokio::spawn(server.stop());
    for n in 0..5 {
        assert_eq!(receiver.recv_chat().await, (sender.id, n.to_string()));
    }
    assert_eq!(receiver.expect_close().await.0, 1001);
    drop(sender);
    stopping.await.unwrap().unwrap();
}
