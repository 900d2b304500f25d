//! Presence in big rooms (docs/protocol.md, "Presence in big rooms"), against a real server on
//! 127.0.0.1:0: joins and leaves batched into one message per member per window, the member
//! list rebuilt exactly from pages while members come and go, small rooms unchanged, and
//! nothing new for the lower levels.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{Client, TestServer, WAIT};
use mmo_protocol::{MemberListRequestMessage, Msg, Packet};
use mmo_server::Config;

/// A server whose rooms are big above `above` members, with a presence window of `window_ms`.
fn config(above: usize, window_ms: u64) -> Config {
    Config {
        presence_batch_above: above,
        presence_window_ms: Duration::from_millis(window_ms),
        ..TestServer::unlimited()
    }
}

/// A member list as a client keeps it: IDs to names.
#[derive(Debug, Default)]
struct View {
    members: BTreeMap<u64, String>,
    /// Per-event `PresenceMessage`s and `PresenceBatchMessage`s applied.
    single: usize,
    batches: usize,
}

impl View {
    fn from_room(room: &mmo_protocol::RoomMessage) -> Self {
        Self {
            members: room
                .members
                .iter()
                .map(|member| (member.id, member.name.clone()))
                .collect(),
            ..Self::default()
        }
    }

    /// Applies presence, a batch or a page; returns whether the packet was one of them.
    fn apply(&mut self, packet: &Packet, after_id: u64) -> bool {
        match &packet.msg {
            Some(Msg::Presence(presence)) => {
                self.single += 1;
                if presence.joined {
                    self.members.insert(packet.sender_id, presence.name.clone());
                } else {
                    self.members.remove(&packet.sender_id);
                }
            }
            Some(Msg::PresenceBatch(batch)) => {
                self.batches += 1;
                for member in &batch.joined {
                    self.members.insert(member.id, member.name.clone());
                }
                for left in &batch.left {
                    self.members.remove(left);
                }
            }
            Some(Msg::MemberList(page)) => {
                let last = if page.complete {
                    u64::MAX
                } else {
                    page.members.last().unwrap().id
                };
                self.members.retain(|id, _| *id <= after_id || *id > last);
                for member in &page.members {
                    self.members.insert(member.id, member.name.clone());
                }
            }
            _ => return false,
        }
        true
    }

    fn ids(&self) -> BTreeSet<u64> {
        self.members.keys().copied().collect()
    }
}

fn page_request(room: &str, after_id: u64, limit: u32) -> Packet {
    Packet {
        sender_id: 0,
        msg: Some(Msg::MemberListRequest(MemberListRequestMessage {
            room: room.into(),
            after_id,
            limit,
        })),
    }
}

/// Reads presence into `view` until its members are `expected`; fails after `WAIT`.
async fn read_until(client: &mut Client, view: &mut View, expected: &BTreeSet<u64>) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while view.ids() != *expected {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some(packet) = client.try_recv(left).await else {
            panic!(
                "the view never became the room: {} members, {} expected",
                view.ids().len(),
                expected.len()
            );
        };
        assert!(view.apply(&packet, 0), "unexpected {packet:?}");
    }
}

/// Pages the whole member list of `room` into `view`, applying presence that comes between
/// the pages; returns the pages' `total`s.
async fn page_all(client: &mut Client, view: &mut View, room: &str, limit: u32) -> Vec<u32> {
    let mut after_id = 0;
    let mut totals = Vec::new();
    loop {
        client
            .send_packet(&page_request(room, after_id, limit))
            .await;
        let page = loop {
            let packet = client.recv().await;
            if let Some(Msg::MemberList(page)) = &packet.msg {
                let page = page.clone();
                view.apply(&packet, after_id);
                break page;
            }
            assert!(view.apply(&packet, 0), "unexpected {packet:?}");
        };
        assert_eq!(page.room, room);
        assert!(page.members.len() <= 500);
        assert!(page.members.windows(2).all(|pair| pair[0].id < pair[1].id));
        totals.push(page.total);
        if page.complete {
            return totals;
        }
        after_id = page.next_after_id;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_rooms_joins_and_leaves_reach_every_member_batched_once_per_window() {
    let server = TestServer::start(config(2, 300)).await;
    let mut first = Client::connect(&server).await;
    let mut first_view = View::from_room(&first.join("").await);
    let mut second = Client::connect(&server).await;
    let second_room = second.join("").await;
    assert!(!second_room.members_partial);
    assert_eq!(second_room.member_count, 2);
    let mut second_view = View::from_room(&second_room);
    // Small while at most 2: the second's arrival is one `PresenceMessage`, as always.
    let (who, joined, _) = first.recv_presence().await;
    assert_eq!((who, joined), (second.id, true));
    first_view.members.insert(second.id, String::new());

    let mut others = Vec::new();
    for _ in 0..12 {
        others.push(Client::connect(&server).await);
    }
    let gone: Vec<u64> = others.drain(..5).map(|client| client.id).collect();
    let mut expected: BTreeSet<u64> = [first.id, second.id].into();
    expected.extend(others.iter().map(|client| client.id));
    for (client, view) in [
        (&mut first, &mut first_view),
        (&mut second, &mut second_view),
    ] {
        read_until(client, view, &expected).await;
        // 12 joins and 5 leaves reached each member in far fewer frames, and never one by one
        // once the room was big (the third member's arrival made it so).
        assert_eq!(view.single, 0, "per-event presence in a big room");
        assert!(
            view.batches >= 1 && view.batches < 17,
            "{} batches",
            view.batches
        );
        for id in &gone {
            assert!(!view.members.contains_key(id));
        }
    }
    // Nothing more is owed: a batch goes once.
    first.expect_silence(Duration::from_millis(700)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_rebuilds_the_exact_member_list_of_a_1500_member_lobby_from_pages() {
    let server = TestServer::start(config(200, 100)).await;
    let url = server.url();
    let mut crowd = Vec::new();
    for _ in 0..15 {
        let connects: Vec<_> = (0..100)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move { Client::connect_url(&url).await })
            })
            .collect();
        for connect in connects {
            crowd.push(connect.await.unwrap());
        }
    }
    let mut asker = Client::connect(&server).await;
    let room = asker.join("").await;
    assert_eq!(room.room, "lobby");
    assert_eq!(room.member_count, 1_501);
    assert!(room.members_partial);
    assert_eq!(
        room.members.iter().map(|m| m.id).collect::<Vec<_>>(),
        [asker.id],
        "a big room's answer lists the asker alone"
    );
    let mut view = View::from_room(&room);

    // Members come and go while the list is paged: the pages and the batches together still
    // make the exact list.
    let leaving: Vec<Client> = crowd.drain(700..760).collect();
    let churn = tokio::spawn({
        let url = url.clone();
        async move {
            drop(leaving);
            let mut newcomers = Vec::new();
            for _ in 0..40 {
                newcomers.push(Client::connect_url(&url).await);
            }
            newcomers
        }
    });
    let totals = page_all(&mut asker, &mut view, "lobby", 0).await;
    assert!(totals.len() >= 3, "{totals:?}");
    let newcomers = churn.await.unwrap();
    let mut expected: BTreeSet<u64> = crowd.iter().map(|client| client.id).collect();
    expected.extend(newcomers.iter().map(|client| client.id));
    expected.insert(asker.id);
    assert_eq!(expected.len(), 1_481);
    read_until(&mut asker, &mut view, &expected).await;

    // A member who pages after the churn gets the same list, in pages of the size asked.
    let mut later = Client::connect(&server).await;
    let mut later_view = View::from_room(&later.join("").await);
    expected.insert(later.id);
    read_until(&mut asker, &mut view, &expected).await;
    let totals = page_all(&mut later, &mut later_view, "lobby", 300).await;
    assert_eq!(totals.len(), 5);
    assert_eq!(later_view.ids(), expected);
    assert_eq!(*totals.last().unwrap() as usize, expected.len());
}

#[tokio::test]
async fn member_pages_are_limited_and_only_for_ones_own_room() {
    let server = TestServer::start(TestServer::unlimited()).await;
    let mut client = Client::full(&server).await;
    client.send_packet(&page_request("elsewhere", 0, 10)).await;
    assert_eq!(
        client.recv_deny().await,
        "you are not in room \"elsewhere\""
    );
    // A burst of 40 (and what the rate adds while they go), then refused.
    let mut answered = 0;
    let reason = loop {
        client.send_packet(&page_request("", 0, 10)).await;
        let packet = client.recv().await;
        match packet.msg {
            Some(Msg::MemberList(page)) => {
                assert!(page.complete);
                assert_eq!(page.members.len(), 1);
                assert_eq!(page.next_after_id, 0);
                answered += 1;
            }
            Some(Msg::DenyResponse(deny)) => break deny.reason,
            other => panic!("expected a page or a refusal, got {other:?}"),
        }
        assert!(answered <= 60, "never refused");
    };
    assert!(answered >= 40, "{answered}");
    assert_eq!(
        reason,
        "asking for member pages too fast: at most 1 per second"
    );
    assert_eq!(
        server
            .metric("mmo_messages_refused_total{kind=\"member_pages\"}")
            .await,
        2
    );
}

#[tokio::test]
async fn lower_levels_in_a_big_room_get_chat_and_nothing_new() {
    let server = TestServer::start(config(2, 50)).await;
    let mut part3 = Client::connect(&server).await;
    let mut tutorial = Client::tutorial(&server).await;
    let mut speaker = Client::full(&server).await;
    // Five members come and go while the room is big: no leave notice, no presence, no batch
    // for the lower levels; the speaker's line after them is the next thing each gets.
    for _ in 0..5 {
        let visitor = Client::connect(&server).await;
        drop(visitor);
    }
    let mut watcher = Client::full(&server).await;
    let mut view = View::from_room(&watcher.join("").await);
    page_all(&mut watcher, &mut view, "lobby", 0).await;
    let expected: BTreeSet<u64> = [part3.id, tutorial.id, speaker.id, watcher.id].into();
    read_until(&mut watcher, &mut view, &expected).await;
    speaker.chat("after the visitors").await;
    for client in [&mut part3, &mut tutorial] {
        let packet = client.recv().await;
        assert!(
            packet
                .msg
                .as_ref()
                .is_some_and(|msg| msg.field_number() < 100),
            "a lower level got {packet:?}"
        );
        assert!(
            matches!(&packet.msg, Some(Msg::Chat(chat)) if chat.msg == "after the visitors"),
            "{packet:?}"
        );
    }
}
