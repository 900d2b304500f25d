//! What `mmo chat` knows of its connection — its ID, its room, who is in it — and the lines it
//! prints for each packet from the server.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike as _, Local, TimeZone, Timelike as _};
use mmo_protocol::{
    ChatLine, MemberListMessage, MemberListRequestMessage, Msg, Packet, PresenceBatchMessage,
    RoomListMessage, RoomMessage,
};

/// Names a batch's line spells out; past it, the line gives counts (a big lobby's batch can
/// name hundreds).
const NAMES_SHOWN: usize = 5;

/// The client's view of the server: updated by every packet, read by `/who`.
#[derive(Debug, Default)]
pub struct RoomView {
    /// This connection's ID, once the server has sent it.
    me: Option<u64>,
    /// The room the server last confirmed with a `RoomMessage`.
    room: Option<String>,
    /// Its members by ID, with their account names: the `RoomMessage`'s list, then presence,
    /// presence batches and member pages since (docs/protocol.md, "Presence in big rooms").
    members: BTreeMap<u64, String>,
    /// How many members the room has, as the server last said.
    count: usize,
    /// Whether `members` is not the whole room (a big room, not paged yet).
    partial: bool,
    /// Member pages being asked for (`/who` in a big room): the ID the next page starts after.
    paging: Option<u64>,
    /// A request to send for the paging under way.
    to_send: Option<Packet>,
}

impl RoomView {
    /// Forgets the connection (its ID, room and members): a new one starts from nothing.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Takes in `packet` and returns the lines a person should see for it (none for packets a
    /// chat client has no use for).
    pub fn show(&mut self, packet: &Packet) -> Vec<String> {
        let Some(msg) = packet.msg.as_ref() else {
            return Vec::new();
        };
        let sender = packet.sender_id;
        match msg {
            Msg::Id(id) => {
                self.me = Some(id.id);
                vec![format!("Connected as client {}", id.id)]
            }
            Msg::Chat(chat) => vec![format!("{}: {}", self.name_of(sender), chat.msg)],
            Msg::Room(room) => self.enter(room),
            Msg::Presence(presence) => {
                let shown = display_name(sender, &presence.name);
                if self.room.as_deref() == Some(presence.room.as_str()) {
                    if presence.joined {
                        self.add(sender, &presence.name);
                    } else if self.members.remove(&sender).is_some() || self.partial {
                        self.count = self.count.saturating_sub(1);
                    }
                }
                let verb = if presence.joined { "joined" } else { "left" };
                vec![format!("{shown} {verb}")]
            }
            Msg::PresenceBatch(batch) => self.batch(batch),
            Msg::MemberList(page) => self.page(page),
            Msg::RoomList(list) => room_list_lines(list),
            Msg::DenyResponse(deny) => vec![format!("Denied: {}", deny.reason)],
            // A server that speaks rooms says who left with presence, which also names the
            // room; its leave notices would say it twice. One that does not (it never
            // confirmed a room) has only these.
            Msg::Disconnect(left) if self.room.is_none() => {
                let who = display_name(sender, "");
                if left.reason.is_empty() {
                    vec![format!("{who} left")]
                } else {
                    vec![format!("{who} left ({})", left.reason)]
                }
            }
            _ => Vec::new(),
        }
    }

    /// `/who`: the current room and its members, this client marked; `None` when the list
    /// must be paged first (a big room): the answer comes with the last page, and
    /// `take_request` has the first page's request.
    pub fn who(&mut self) -> Option<String> {
        if self.partial && self.room.is_some() {
            self.paging = Some(0);
            self.to_send = Some(self.page_request(0));
            return None;
        }
        Some(self.who_now())
    }

    /// A request the view wants sent (the next member page), once.
    pub fn take_request(&mut self) -> Option<Packet> {
        self.to_send.take()
    }

    fn page_request(&self, after_id: u64) -> Packet {
        Packet {
            sender_id: 0,
            msg: Some(Msg::MemberListRequest(MemberListRequestMessage {
                room: self.room.clone().unwrap_or_default(),
                after_id,
                limit: 0,
            })),
        }
    }

    /// The members known now (in a big room, those of its pages and batches so far).
    pub fn who_now(&self) -> String {
        let Some(room) = &self.room else {
            return "Not in a room yet".to_owned();
        };
        let names: Vec<String> = self
            .members
            .iter()
            .map(|(id, name)| {
                let shown = display_name(*id, name);
                if Some(*id) == self.me {
                    format!("{shown} (you)")
                } else {
                    shown
                }
            })
            .collect();
        let count = if self.partial {
            self.count
        } else {
            self.members.len()
        };
        format!(
            "In room {room} ({}): {}",
            members_text(count),
            names.join(", ")
        )
    }

    fn enter(&mut self, room: &RoomMessage) -> Vec<String> {
        self.room = Some(room.room.clone());
        self.members.clear();
        self.paging = None;
        for member in &room.members {
            self.add(member.id, &member.name);
        }
        self.partial = room.members_partial;
        self.count = if room.member_count > 0 {
            room.member_count as usize
        } else {
            self.members.len()
        };
        let mut lines = Vec::with_capacity(1 + room.history.len());
        let big = if self.partial {
            "; /who lists them"
        } else {
            ""
        };
        lines.push(format!(
            "In room {} ({}{big})",
            room.room,
            members_text(self.count)
        ));
        let now = Local::now();
        lines.extend(room.history.iter().map(|line| history_line(line, &now)));
        lines
    }

    /// Adds a member, or renames one already listed (a presence for someone the room list
    /// already held).
    fn add(&mut self, id: u64, name: &str) {
        if self.members.insert(id, name.to_owned()).is_none() && self.partial {
            self.count += 1;
        }
    }

    /// A big room's joins and leaves of one window: each member's state at its end.
    fn batch(&mut self, batch: &PresenceBatchMessage) -> Vec<String> {
        if self.room.as_deref() != Some(batch.room.as_str()) {
            return Vec::new();
        }
        for member in &batch.joined {
            self.members.insert(member.id, member.name.clone());
        }
        for left in &batch.left {
            self.members.remove(left);
        }
        self.count = batch.members as usize;
        let changes = batch.joined.len() + batch.left.len();
        if changes <= NAMES_SHOWN {
            let joined = batch
                .joined
                .iter()
                .map(|member| format!("{} joined", display_name(member.id, &member.name)));
            let left = batch
                .left
                .iter()
                .map(|id| format!("{} left", display_name(*id, "")));
            joined.chain(left).collect()
        } else {
            vec![format!(
                "{} joined, {} left ({})",
                batch.joined.len(),
                batch.left.len(),
                members_text(self.count)
            )]
        }
    }

    /// A page of the member list: it replaces what the view had for its IDs.
    fn page(&mut self, page: &MemberListMessage) -> Vec<String> {
        let Some(after_id) = self
            .paging
            .filter(|_| self.room.as_deref() == Some(&page.room))
        else {
            return Vec::new();
        };
        let last = if page.complete {
            u64::MAX
        } else {
            page.next_after_id
        };
        self.members.retain(|id, _| *id <= after_id || *id > last);
        for member in &page.members {
            self.members.insert(member.id, member.name.clone());
        }
        self.count = page.total as usize;
        if page.complete {
            self.paging = None;
            self.partial = false;
            return vec![self.who_now()];
        }
        self.paging = Some(page.next_after_id);
        self.to_send = Some(self.page_request(page.next_after_id));
        Vec::new()
    }

    /// How `id` is shown: its account name if the room list gave one, else `Client N`.
    fn name_of(&self, id: u64) -> String {
        display_name(id, self.members.get(&id).map_or("", String::as_str))
    }
}

/// An account's name, or `Client N` for a guest (or the server itself, for ID 0).
fn display_name(id: u64, account_name: &str) -> String {
    match (id, account_name) {
        (0, "") => "Server".to_owned(),
        (_, "") => format!("Client {id}"),
        (_, name) => name.to_owned(),
    }
}

fn members_text(count: usize) -> String {
    if count == 1 {
        "1 member".to_owned()
    } else {
        format!("{count} members")
    }
}

/// `[14:05] Client 7: text`, in the time zone of `now` (the reader's own, as in the web
/// client); a line from another day than `now`'s gets its date: `[2024-03-09 14:05]`. A time
/// no date can hold (the server would not send one) is left out.
fn history_line<Tz: TimeZone>(line: &ChatLine, now: &DateTime<Tz>) -> String {
    let sender = display_name(line.sender_id, &line.sender_name);
    let Some(at) = DateTime::from_timestamp_millis(line.sent_at_ms) else {
        return format!("{sender}: {}", line.msg);
    };
    let at = at.with_timezone(&now.timezone());
    let clock = format!("{:02}:{:02}", at.hour(), at.minute());
    let shown = if at.date_naive() == now.date_naive() {
        clock
    } else {
        format!("{}-{:02}-{:02} {clock}", at.year(), at.month(), at.day())
    };
    format!("[{shown}] {sender}: {}", line.msg)
}

fn room_list_lines(list: &RoomListMessage) -> Vec<String> {
    if list.rooms.is_empty() {
        return vec!["No rooms".to_owned()];
    }
    let mut lines = Vec::with_capacity(1 + list.rooms.len());
    lines.push("Rooms:".to_owned());
    lines.extend(
        list.rooms
            .iter()
            .map(|room| format!("  {} ({})", room.name, members_text(room.members as usize))),
    );
    lines
}

#[cfg(test)]
mod tests {
    use chrono::FixedOffset;
    use mmo_protocol::{ClientId, Member, RoomInfo};

    use super::*;

    fn id(n: u64) -> ClientId {
        ClientId::new(n).expect("non-zero")
    }

    fn room(name: &str, members: &[(u64, &str)], history: Vec<ChatLine>) -> Packet {
        Packet {
            sender_id: 0,
            msg: Some(Msg::Room(RoomMessage {
                room: name.to_owned(),
                members: members
                    .iter()
                    .map(|&(id, name)| Member {
                        id,
                        name: name.to_owned(),
                    })
                    .collect(),
                history,
                ..RoomMessage::default()
            })),
        }
    }

    #[test]
    fn shows_the_room_its_history_and_who_is_in_it() {
        let mut view = RoomView::default();
        assert_eq!(view.who().expect("a small room"), "Not in a room yet");
        assert_eq!(
            view.show(&Packet::id_assignment(id(3))),
            ["Connected as client 3"]
        );
        let history = vec![
            ChatLine {
                sender_id: 7,
                msg: "earlier".to_owned(),
                // 2023-11-14 22:13:20 UTC
                sent_at_ms: 1_700_000_000_000,
                sender_name: String::new(),
            },
            ChatLine {
                sender_id: 8,
                msg: "hi all".to_owned(),
                sent_at_ms: 1_700_000_060_000,
                sender_name: "ada".to_owned(),
            },
        ];
        let now = Local::now();
        let expected = [
            "In room red (2 members)".to_owned(),
            history_line(&history[0], &now),
            history_line(&history[1], &now),
        ];
        assert_eq!(
            view.show(&room("red", &[(3, ""), (8, "ada")], history)),
            expected
        );
        assert_eq!(
            view.who().expect("a small room"),
            "In room red (2 members): Client 3 (you), ada"
        );
        assert_eq!(
            view.show(&Packet::chat_from(id(8), "named")),
            ["ada: named"]
        );
        assert_eq!(
            view.show(&Packet::chat_from(id(9), "guest")),
            ["Client 9: guest"]
        );
    }

    #[test]
    fn presence_keeps_the_member_list() {
        let mut view = RoomView::default();
        view.show(&Packet::id_assignment(id(1)));
        view.show(&room("red", &[(1, "")], Vec::new()));
        assert_eq!(
            view.show(&Packet::presence_of(id(5), true, "red", "")),
            ["Client 5 joined"]
        );
        assert_eq!(
            view.show(&Packet::presence_of(id(6), true, "red", "bo")),
            ["bo joined"]
        );
        assert_eq!(
            view.who().expect("a small room"),
            "In room red (3 members): Client 1 (you), Client 5, bo"
        );
        assert_eq!(
            view.show(&Packet::presence_of(id(5), false, "red", "")),
            ["Client 5 left"]
        );
        // A presence for another room (from before a move) is shown but changes nothing here.
        view.show(&Packet::presence_of(id(9), true, "blue", ""));
        assert_eq!(
            view.who().expect("a small room"),
            "In room red (2 members): Client 1 (you), bo"
        );
        // Leave notices are left to presence once the server speaks rooms.
        assert!(view.show(&Packet::disconnect_of(id(6), "")).is_empty());
    }

    #[test]
    fn a_big_room_is_followed_by_batches_and_listed_by_pages() {
        let mut view = RoomView::default();
        view.show(&Packet::id_assignment(id(2)));
        let big = Packet {
            sender_id: 0,
            msg: Some(Msg::Room(RoomMessage {
                room: "lobby".to_owned(),
                members: vec![Member {
                    id: 2,
                    name: String::new(),
                }],
                member_count: 900,
                members_partial: true,
                ..RoomMessage::default()
            })),
        };
        assert_eq!(
            view.show(&big),
            ["In room lobby (900 members; /who lists them)"]
        );
        let batch = |joined: Vec<(u64, &str)>, left: Vec<u64>, members| Packet {
            sender_id: 0,
            msg: Some(Msg::PresenceBatch(PresenceBatchMessage {
                room: "lobby".to_owned(),
                joined: joined
                    .into_iter()
                    .map(|(id, name)| Member {
                        id,
                        name: name.to_owned(),
                    })
                    .collect(),
                left,
                members,
            })),
        };
        assert_eq!(
            view.show(&batch(vec![(7, "ann")], vec![5], 900)),
            ["ann joined", "Client 5 left"]
        );
        assert_eq!(
            view.show(&batch(vec![], (10..20).collect(), 890)),
            ["0 joined, 10 left (890 members)"]
        );
        // `/who` pages the list first; presence between pages still counts.
        assert_eq!(view.who(), None);
        let request = |view: &mut RoomView| match view.take_request().and_then(|p| p.msg) {
            Some(Msg::MemberListRequest(request)) => (request.room, request.after_id),
            other => panic!("expected a page request, got {other:?}"),
        };
        assert_eq!(request(&mut view), ("lobby".to_owned(), 0));
        let page = |members: &[u64], complete, total| Packet {
            sender_id: 0,
            msg: Some(Msg::MemberList(MemberListMessage {
                room: "lobby".to_owned(),
                members: members
                    .iter()
                    .map(|&id| Member {
                        id,
                        name: String::new(),
                    })
                    .collect(),
                next_after_id: if complete {
                    0
                } else {
                    *members.last().expect("a page")
                },
                complete,
                total,
            })),
        };
        assert!(view.show(&page(&[2, 3], false, 4)).is_empty());
        assert_eq!(request(&mut view), ("lobby".to_owned(), 3));
        view.show(&batch(vec![(4, "")], vec![3], 4));
        assert_eq!(
            view.show(&page(&[4, 7, 8], true, 4)),
            ["In room lobby (4 members): Client 2 (you), Client 4, Client 7, Client 8"]
        );
        assert!(view.take_request().is_none());
        // The list is whole now: `/who` answers at once.
        assert!(view.who().is_some());
    }

    #[test]
    fn without_rooms_leave_notices_are_shown() {
        let mut view = RoomView::default();
        assert_eq!(
            view.show(&Packet::disconnect_of(id(5), "")),
            ["Client 5 left"]
        );
        assert_eq!(
            view.show(&Packet::disconnect_of(id(5), "timed out")),
            ["Client 5 left (timed out)"]
        );
        assert_eq!(view.show(&Packet::deny("too fast")), ["Denied: too fast"]);
        assert!(view.show(&Packet::default()).is_empty());
        assert!(view.show(&Packet::ok()).is_empty());
    }

    #[test]
    fn lists_rooms_with_their_counts() {
        let mut view = RoomView::default();
        let list = |rooms: Vec<RoomInfo>| Packet {
            sender_id: 0,
            msg: Some(Msg::RoomList(RoomListMessage { rooms })),
        };
        assert_eq!(
            view.show(&list(vec![
                RoomInfo {
                    name: "red".to_owned(),
                    members: 2
                },
                RoomInfo {
                    name: "lobby".to_owned(),
                    members: 1
                },
            ])),
            ["Rooms:", "  red (2 members)", "  lobby (1 member)"]
        );
        assert_eq!(view.show(&list(Vec::new())), ["No rooms"]);
    }

    #[test]
    fn history_times_are_in_the_readers_zone_with_the_date_when_not_today() {
        let at = |sent_at_ms, now: &DateTime<FixedOffset>| {
            history_line(
                &ChatLine {
                    sender_id: 1,
                    msg: "x".to_owned(),
                    sent_at_ms,
                    sender_name: String::new(),
                },
                now,
            )
        };
        // 2023-11-14 22:13:20 UTC
        let sent = 1_700_000_000_000;
        let utc = FixedOffset::east_opt(0).expect("an offset");
        let paris = FixedOffset::east_opt(3_600).expect("an offset");
        let new_york = FixedOffset::west_opt(5 * 3_600).expect("an offset");
        let same_day = |zone: FixedOffset| {
            zone.timestamp_millis_opt(sent + 60_000)
                .single()
                .expect("a time")
        };
        assert_eq!(at(sent, &same_day(utc)), "[22:13] Client 1: x");
        assert_eq!(at(sent, &same_day(new_york)), "[17:13] Client 1: x");
        assert_eq!(at(sent, &same_day(paris)), "[23:13] Client 1: x");
        // An hour later in Paris it is past midnight: the line is from yesterday.
        let next_day = paris
            .timestamp_millis_opt(sent + 3_600_000)
            .single()
            .expect("a time");
        assert_eq!(at(sent, &next_day), "[2023-11-14 23:13] Client 1: x");
        assert_eq!(at(i64::MAX, &same_day(utc)), "Client 1: x");
    }
}
