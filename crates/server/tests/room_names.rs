//! Room names against a real server on 127.0.0.1:0: a refused name's answer stays small
//! whatever was sent, and names that read the same as another are refused, naming the one to
//! use (docs/protocol.md, "Room names").

#![allow(clippy::unwrap_used)]

mod common;

use common::{Client, TestServer};
use mmo_protocol::Packet;

/// A 65 KB name of control characters was echoed back escaped: a 325 KB refusal for a 65 KB
/// request. What is echoed is now the name's first characters.
#[tokio::test]
async fn a_refused_name_is_echoed_only_in_part() {
    let server = TestServer::start(TestServer::unlimited()).await;
    let mut client = Client::full(&server).await;
    let huge = "\u{1}".repeat(65_000);
    client.send_packet(&Packet::join_room(huge.as_str())).await;
    let reason = client.recv_deny().await;
    let start: String = reason.chars().take(300).collect();
    assert!(reason.len() < 500, "{} bytes: {start}", reason.len());
    assert!(
        reason.starts_with(&format!(
            "room name \"{}…\" is not allowed",
            "\\u{1}".repeat(40)
        )),
        "{start}"
    );
    let long = "x".repeat(1_000);
    client.send_packet(&Packet::join_room(long.as_str())).await;
    let reason = client.recv_deny().await;
    assert_eq!(
        reason,
        format!(
            "room name \"{}…\" is not allowed: use 1 to 32 letters, digits, '-', '_' or '.'",
            "x".repeat(40)
        )
    );
}

/// Names that read as another are refused with the spelling to use, so every room has one
/// spelling: no second "lobby" next to the lobby, no blank room.
#[tokio::test]
async fn look_alike_and_invisible_names_are_refused_naming_the_one_to_use() {
    let server = TestServer::start(TestServer::unlimited()).await;
    let _in_the_lobby = Client::full(&server).await;
    let mut client = Client::full(&server).await;
    for (name, reason) in [
        (
            "ｌｏｂｂｙ",
            "it is a look-alike spelling of \"lobby\"; use \"lobby\"",
        ),
        (
            "\u{212A}",
            "it is a look-alike spelling of \"K\"; use \"K\"",
        ),
        (
            "\u{1112}\u{1161}\u{11AB}",
            "it is a look-alike spelling of \"한\"; use \"한\"",
        ),
        ("\u{3164}", "it holds an invisible character (U+3164)"),
        ("lobby\u{3164}", "it holds an invisible character (U+3164)"),
        (
            "l\u{43E}bby",
            "it mixes letters of scripts that look alike (such as Latin and Cyrillic); use \
             one script",
        ),
        (
            "\u{430}\u{440}\u{435}",
            "it looks like \"ape\"; use \"ape\" or letters that do not look Latin",
        ),
    ] {
        client.send_packet(&Packet::join_room(name)).await;
        let refusal = client.recv_deny().await;
        assert_eq!(
            refusal,
            format!("room name {name:?} is not allowed: {reason}"),
            "{name:?}"
        );
    }
    // The spellings it names are taken, and are the rooms' names everywhere.
    assert_eq!(client.join("K").await.room, "K");
    assert_eq!(client.join("한").await.room, "한");
    client.send_packet(&Packet::room_list_request()).await;
    let list = loop {
        if let Some(mmo_protocol::Msg::RoomList(list)) = client.recv().await.msg {
            break list;
        }
    };
    let mut names: Vec<&str> = list.rooms.iter().map(|room| room.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["lobby", "한"]);
}
