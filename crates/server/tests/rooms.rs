//! Rooms, presence, history and the opt-in rule, against a real server on 127.0.0.1:0: every
//! behaviour of the rooms contract (docs/protocol.md), and a join/leave storm while rooms chat.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Client, RawClient, TestServer, WAIT};
use mmo_protocol::{Level, Msg, Packet, highest_field_number};
use mmo_server::Config;

fn member_ids(room: &mmo_protocol::RoomMessage) -> Vec<u64> {
    room.members.iter().map(|member| member.id).collect()
}

fn unix_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

#[tokio::test]
async fn every_client_starts_in_the_lobby_and_chat_reaches_only_its_own_room() {
    let server = TestServer::start(TestServer::unlimited()).await;
    let mut lobby_member = Client::full(&server).await;
    let mut red_one = Client::full(&server).await;
    let mut red_two = Client::full(&server).await;
    assert_eq!(red_one.join("red").await.room, "red");
    assert_eq!(red_two.join("red").await.room, "red");
    lobby_member.chat("lobby line").await;
    red_one.chat("red line").await;
    assert_eq!(
        red_two.recv_chat().await,
        (red_one.id, "red line".to_owned())
    );
    // A round trip through the lobby proves the red line did not reach it.
    red_two.join("").await;
    red_two.chat("back in the lobby").await;
    assert_eq!(
        lobby_member.recv_chat().await,
        (red_two.id, "back in the lobby".to_owned())
    );
    // And the lobby line never reached red: red_one's next chat is the only thing it gets.
    let mut probe = Client::full(&server).await;
    probe.join("red").await;
    probe.chat("probe").await;
    assert_eq!(red_one.recv_chat().await, (probe.id, "probe".to_owned()));
}

#[tokio::test]
async fn a_join_answers_with_the_members_and_the_recent_history_oldest_first() {
    let server = TestServer::start(Config {
        room_history_lines: 3,
        ..TestServer::unlimited()
    })
    .await;
    let mut first = Client::full(&server).await;
    first.join("red").await;
    let before = unix_ms();
    for n in 0..5 {
        first.chat(&format!("line {n}")).await;
    }
    server.wait_for_metric("mmo_chats_relayed_total", 5).await;
    let mut second = Client::full(&server).await;
    let room = second.join("red").await;
    assert_eq!(room.room, "red");
    assert_eq!(member_ids(&room), [first.id, second.id], "sorted by ID");
    let history: Vec<&str> = room.history.iter().map(|line| line.msg.as_str()).collect();
    assert_eq!(history, ["line 2", "line 3", "line 4"], "the last three");
    for line in &room.history {
        assert_eq!(line.sender_id, first.id);
        assert_eq!(line.sender_name, "", "a guest has no name");
        assert!(line.sent_at_ms >= before && line.sent_at_ms <= unix_ms() + 1);
    }
    // Joining the room one is in answers again and changes nothing.
    let again = first.join("red").await;
    assert_eq!(member_ids(&again), [first.id, second.id]);
}

#[tokio::test]
async fn presence_tells_the_others_who_enters_and_who_leaves_by_moving_or_disconnecting() {
    let server = TestServer::start(TestServer::unlimited()).await;
    let mut watcher = Client::full(&server).await;
    let mut in_red = Client::full(&server).await;
    assert_eq!(
        watcher.recv_presence().await,
        (in_red.id, true, "lobby".into())
    );
    in_red.join("red").await;
    assert_eq!(
        watcher.recv_presence().await,
        (in_red.id, false, "lobby".into())
    );
    // A new connection enters the lobby: the watcher hears it.
    let mut mover = Client::connect(&server).await;
    assert_eq!(
        watcher.recv_presence().await,
        (mover.id, true, "lobby".into())
    );
    // Moving is leaving one room and entering another.
    let room = mover.join("red").await;
    assert_eq!(member_ids(&room), [in_red.id, mover.id]);
    assert_eq!(
        watcher.recv_presence().await,
        (mover.id, false, "lobby".into())
    );
    assert_eq!(in_red.recv_presence().await, (mover.id, true, "red".into()));
    // Disconnecting is leaving too.
    let mover_id = mover.id;
    drop(mover);
    assert_eq!(
        in_red.recv_presence().await,
        (mover_id, false, "red".into())
    );
    // Coming back to the lobby is entering it.
    in_red.join("").await;
    assert_eq!(
        watcher.recv_presence().await,
        (in_red.id, true, "lobby".into())
    );
}

#[tokio::test]
async fn a_refused_join_says_why_and_the_client_stays_where_it_was() {
    let server = TestServer::start(Config {
        max_room_members: 2,
        max_rooms: 3,
        join_rate: 0.001,
        join_burst: 5,
        ..TestServer::unlimited()
    })
    .await;
    let mut asker = Client::full(&server).await; // one join used
    let mut others = Vec::new();
    for _ in 0..2 {
        let mut other = Client::full(&server).await;
        other.join("full").await;
        others.push(other);
    }
    asker.send_packet(&Packet::join_room("two words")).await;
    assert_eq!(
        asker.recv_deny().await,
        "room name \"two words\" is not allowed: use 1 to 32 letters, digits, '-', '_' or '.'"
    );
    asker.send_packet(&Packet::join_room("full")).await;
    assert_eq!(asker.recv_deny().await, "room \"full\" is full (2 members)");
    asker.join("third").await; // lobby, full and third: three rooms
    asker.send_packet(&Packet::join_room("fourth")).await;
    assert_eq!(
        asker.recv_deny().await,
        "there are already 3 rooms; join one of them"
    );
    // It is still in "third": a newcomer there hears it.
    let mut listener = Client::full(&server).await;
    listener.join("third").await;
    asker.chat("still here").await;
    assert_eq!(
        listener.recv_chat().await,
        (asker.id, "still here".to_owned())
    );
    // Joins past the rate: a bad name costs none, so "", full, third, fourth and this one spend
    // the burst of 5.
    asker.join("lobby").await;
    asker.send_packet(&Packet::join_room("lobby")).await;
    let reason = asker.recv_deny().await;
    assert!(
        reason.starts_with("joining rooms too fast: at most 0.001 per second"),
        "{reason}"
    );
}

#[tokio::test]
async fn the_room_list_counts_the_members_of_every_room_biggest_first() {
    let server = TestServer::start(TestServer::unlimited()).await;
    let mut asker = Client::full(&server).await;
    let mut clients = Vec::new();
    for room in ["b", "a", "a"] {
        let mut client = Client::full(&server).await;
        client.join(room).await;
        clients.push(client);
    }
    // Presence of the others may still be on its way: skip it.
    asker.send_packet(&Packet::room_list_request()).await;
    let list = loop {
        let packet = asker.recv().await;
        match packet.msg {
            Some(Msg::RoomList(list)) => break list,
            Some(Msg::Presence(_)) => continue,
            other => panic!("expected a RoomListMessage, got {other:?}"),
        }
    };
    let rooms: Vec<(&str, u32)> = list
        .rooms
        .iter()
        .map(|room| (room.name.as_str(), room.members))
        .collect();
    assert_eq!(rooms, [("a", 2), ("b", 1), ("lobby", 1)]);
}

#[tokio::test]
async fn an_empty_room_goes_with_its_history_but_the_lobby_keeps_its_own() {
    let server = TestServer::start(TestServer::unlimited()).await;
    let mut client = Client::full(&server).await;
    client.chat("said in the lobby").await;
    client.join("red").await;
    client.chat("said in red").await;
    client.join("").await;
    server.wait_for_metric("mmo_rooms", 1).await;
    let red = client.join("red").await;
    assert!(red.history.is_empty(), "red was removed when it emptied");
    let lobby = client.join("").await;
    let lines: Vec<&str> = lobby.history.iter().map(|l| l.msg.as_str()).collect();
    assert_eq!(lines, ["said in the lobby"]);
}

/// The bytes the tutorial's part-3 Godot client sends for a chat line: `12 LEN 0a LEN text`.
fn tutorial_chat(text: &str) -> Vec<u8> {
    let len = u8::try_from(text.len()).unwrap();
    let mut bytes = vec![0x12, len + 2, 0x0a, len];
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

#[tokio::test]
async fn the_tutorial_client_gets_only_fields_1_to_3_whatever_happens_around_it() {
    let server = TestServer::start(Config {
        max_chat_chars: 20,
        ..TestServer::unlimited()
    })
    .await;
    let mut tutorial = RawClient::connect(&server).await;
    let mut full = Client::full(&server).await;
    // Around it: presence, a refused line of its own, leave notices, another room's traffic.
    tutorial
        .send_frame(0x82, &tutorial_chat("hello from Godot"))
        .await;
    assert_eq!(
        full.recv_chat().await.1,
        "hello from Godot",
        "its bytes are understood"
    );
    tutorial
        .send_frame(0x82, &tutorial_chat("a line that is far too long"))
        .await;
    server.wait_for_metric("mmo_refusals_unsent_total", 1).await;
    let mut tutorial_level = Client::tutorial(&server).await;
    let leaver = Client::full(&server).await;
    drop(leaver);
    server.wait_for_metric("mmo_sessions_closed_total", 1).await;
    tutorial_level.join("elsewhere").await;
    full.chat("last").await;
    // Everything above happened before "last" was relayed, so anything it was sent arrives
    // before "last": it got only its ID and that chat (its own refused line was dropped), no
    // presence, no leave notice, no DenyResponseMessage.
    let frames = tutorial.read_frames(2).await;
    let packets: Vec<Packet> = frames
        .iter()
        .map(|(first, payload)| {
            assert_eq!(*first, 0x82, "binary frames only");
            assert!(
                highest_field_number(payload).unwrap() <= 3,
                "{payload:02x?}"
            );
            mmo_protocol::decode_packet(payload).unwrap()
        })
        .collect();
    assert!(matches!(packets[0].msg, Some(Msg::Id(_))));
    assert_eq!(
        packets[1],
        Packet::chat_from(mmo_protocol::ClientId::new(full.id).unwrap(), "last")
    );
    assert_eq!(packets.len(), 2, "{packets:?}");
}

#[tokio::test]
async fn a_tutorial_level_client_gets_refusals_and_leave_notices_but_nothing_of_ours() {
    let server = TestServer::start(TestServer::unlimited()).await;
    let mut tutorial = Client::tutorial(&server).await;
    let mut full = Client::full(&server).await;
    full.join("red").await;
    full.join("").await;
    let leaver = Client::connect(&server).await;
    let leaver_id = leaver.id;
    drop(leaver);
    server.wait_for_metric("mmo_sessions_closed_total", 1).await;
    tutorial.send_packet(&Packet::chat("")).await;
    // Leave notices for the move and the disconnect, then the refusal: no presence, no rooms.
    let mut left = Vec::new();
    loop {
        let packet = tutorial.recv().await;
        assert!(
            packet.level() <= Level::Tutorial,
            "sent a field it does not know: {packet:?}"
        );
        match packet.msg {
            Some(Msg::Disconnect(notice)) => left.push((packet.sender_id, notice.reason)),
            Some(Msg::DenyResponse(deny)) => {
                assert_eq!(deny.reason, "chat message is empty");
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    // A move needs no reason; a connection dropped without a close frame is "connection lost".
    assert_eq!(
        left,
        [
            (full.id, String::new()),
            (leaver_id, "connection lost".to_owned())
        ]
    );
}

/// What one storm client knows: the room it is in (from the last `RoomMessage`) and its
/// members as `RoomMessage` and presence since have told it. Before its first `RoomMessage` a
/// client knows nothing to check against.
#[derive(Debug, Default)]
struct View {
    room: String,
    members: BTreeSet<u64>,
}

impl View {
    /// Applies one packet; panics on what the contract rules out: chat from another room,
    /// presence lost (a leave of someone not there) or duplicated (an entry of someone there).
    fn apply(&mut self, me: u64, packet: Packet) {
        let known = !self.room.is_empty();
        match packet.msg {
            Some(Msg::Room(room)) => {
                self.room = room.room;
                self.members = room.members.iter().map(|m| m.id).collect();
                assert!(self.members.contains(&me), "{me} missing from its room");
            }
            Some(Msg::Presence(_) | Msg::Chat(_)) if !known => {}
            Some(Msg::Presence(presence)) => {
                assert_eq!(presence.room, self.room, "{me}: presence of another room");
                let who = packet.sender_id;
                if presence.joined {
                    assert!(self.members.insert(who), "{me}: {who} entered twice");
                } else {
                    assert!(self.members.remove(&who), "{me}: {who} left but was not in");
                }
            }
            Some(Msg::Chat(chat)) => {
                let room = chat.msg.split(':').next().unwrap();
                assert_eq!(room, self.room, "{me}: got a chat of another room");
                assert!(self.members.contains(&packet.sender_id));
            }
            other => panic!("{me}: unexpected {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_and_leave_storm_while_rooms_chat_keeps_every_view_true() {
    const ROOMS: [&str; 4] = ["north", "south", "east", "west"];
    const STAYERS_PER_ROOM: usize = 5;
    const MOVERS: usize = 12;
    const MOVES_EACH: usize = 20;
    let server = TestServer::start(Config {
        join_rate: 0.0,
        ..TestServer::unlimited()
    })
    .await;
    let url = server.url();
    // Stayers chat in their room; movers hop between rooms; both keep views.
    let mut tasks = Vec::new();
    for (r, room) in ROOMS.iter().enumerate() {
        for s in 0..STAYERS_PER_ROOM {
            let server_url = url.clone();
            tasks.push(tokio::spawn(async move {
                let mut client = Client::connect_url(&server_url).await;
                let mut view = View::default();
                let answer = client.join(room).await;
                view.apply(client.id, packet_of(answer));
                for n in 0..20 {
                    client.chat(&format!("{room}:{r}:{s}:{n}")).await;
                    while let Some(packet) = client.try_recv(Duration::from_millis(5)).await {
                        view.apply(client.id, packet);
                    }
                }
                (client, view)
            }));
        }
    }
    for m in 0..MOVERS {
        let server_url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect_url(&server_url).await;
            let mut view = View::default();
            for n in 0..MOVES_EACH {
                let room = ROOMS[(m + n) % ROOMS.len()];
                client.send_packet(&Packet::join_room(room)).await;
                // Until the answer arrives, everything is of the room it is leaving.
                loop {
                    let packet = client.recv().await;
                    let answered = matches!(packet.msg, Some(Msg::Room(_)));
                    view.apply(client.id, packet);
                    if answered {
                        break;
                    }
                }
                if n % 5 == 4 {
                    // Sometimes a mover leaves altogether and comes back as a new client.
                    drop(client);
                    client = Client::connect_url(&server_url).await;
                    view = View::default();
                    let answer = client.join(room).await;
                    view.apply(client.id, packet_of(answer));
                }
            }
            (client, view)
        }));
    }
    let mut finished = Vec::new();
    for task in tasks {
        finished.push(tokio::time::timeout(WAIT * 3, task).await.unwrap().unwrap());
    }
    // Quiet now: each client reads what is left, then asks its room again; what it has been
    // told must be exactly what the server says, and everyone in a room must agree.
    let mut by_room: HashMap<String, BTreeSet<u64>> = HashMap::new();
    for (client, view) in &mut finished {
        while let Some(packet) = client.try_recv(Duration::from_millis(20)).await {
            view.apply(client.id, packet);
        }
        let fresh = client.join(&view.room.clone()).await;
        let told: BTreeSet<u64> = fresh.members.iter().map(|m| m.id).collect();
        assert_eq!(view.members, told, "client {} in {}", client.id, view.room);
        let agreed = by_room
            .entry(view.room.clone())
            .or_insert_with(|| told.clone());
        assert_eq!(*agreed, told, "two members of {} disagree", view.room);
    }
    let clients: usize = by_room.values().map(BTreeSet::len).sum();
    assert_eq!(clients, ROOMS.len() * STAYERS_PER_ROOM + MOVERS);
}

fn packet_of(room: mmo_protocol::RoomMessage) -> Packet {
    Packet {
        sender_id: 0,
        msg: Some(Msg::Room(room)),
    }
}

#[tokio::test]
async fn asking_again_for_the_room_one_is_in_is_limited_since_the_answer_is_large() {
    let server = TestServer::start(TestServer::unlimited()).await;
    // Joining the lobby it starts in is the first ask; two more are allowed in a row.
    let mut client = Client::full(&server).await;
    client.join("lobby").await;
    client.join("").await;
    client.send_packet(&Packet::join_room("lobby")).await;
    let reason = client.recv_deny().await;
    assert!(
        reason.contains("already in room \"lobby\"") && reason.contains("once every 10 seconds"),
        "{reason}"
    );
    // Moving is a join like any other, and still allowed.
    assert_eq!(client.join("red").await.room, "red");
}

#[tokio::test]
async fn one_address_cannot_make_every_room() {
    let server = TestServer::start(Config {
        max_rooms_per_address: 2,
        // The test's clients come from loopback, which is exempt by default.
        address_limit_exempt: Vec::new(),
        ..TestServer::unlimited()
    })
    .await;
    let mut first = Client::full(&server).await;
    let mut second = Client::full(&server).await;
    let mut third = Client::full(&server).await;
    first.join("one").await;
    second.join("two").await;
    third.send_packet(&Packet::join_room("three")).await;
    let reason = third.recv_deny().await;
    assert_eq!(
        reason,
        "clients from your address have made 2 rooms already; join one of them"
    );
    // Rooms that exist can still be joined, and a room that empties frees its place.
    assert_eq!(third.join("two").await.members.len(), 2);
    first.join("").await;
    server.wait_for_metric("mmo_rooms", 2).await;
    assert_eq!(third.join("three").await.room, "three");
}
