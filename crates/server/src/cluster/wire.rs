//! How room events travel between the servers of a cluster: the subjects a room's events are
//! published on, and each event as a small JSON document (servers of different builds read
//! each other's, fields are only ever added).

use std::sync::Arc;

use mmo_protocol::ClientId;
use serde::{Deserialize, Serialize};

use crate::disconnect::Disconnect;
use crate::rooms::{Announce, ChatLineEvent, RoomChange};

/// Every subject a room's events are published on starts with this, then the room's name in
/// hex (names may hold `.`, the subject separator).
pub const ROOM_SUBJECTS: &str = "mmo.room";

/// The subjects of room `name`: `mmo.room.<hex>.>`, for a consumer following it.
pub fn room_filter(name: &str) -> String {
    format!("{ROOM_SUBJECTS}.{}.>", hex(name))
}

/// The subject an event of room `name` is published on. Lines go to the room's `chat` subject
/// (the stream keeps its last lines: the history); what happens to a member goes to that
/// member's own subject, whose last event (kept however much is said) says whether it is in
/// the room and by which name.
pub fn subject_of(name: &str, change: &RoomChange) -> String {
    match change {
        RoomChange::Chat(_) => format!("{ROOM_SUBJECTS}.{}.chat", hex(name)),
        other => format!("{ROOM_SUBJECTS}.{}.m.{}", hex(name), other.member()),
    }
}

fn hex(name: &str) -> String {
    name.bytes().map(|byte| format!("{byte:02x}")).collect()
}

/// The header of a server's `alive` heartbeat saying how it stands (`ServerReport`). A
/// header, so that the heartbeat's body (its rooms) stays what servers of earlier builds read;
/// they ignore the header, and a heartbeat without one lists its server with no numbers.
pub const REPORT_HEADER: &str = "Mmo-Server";

/// What a server says of itself with each heartbeat, for the others' status pages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerReport {
    /// Clients connected to it.
    #[serde(rename = "c", default)]
    pub clients: u64,
    /// The address it listens on for clients, as it bound it.
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl ServerReport {
    /// As it goes in `REPORT_HEADER`: one line of JSON.
    pub fn encode(&self) -> String {
        // A derived `Serialize` of a number and a string cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A `REPORT_HEADER` that arrived; `None` for one that cannot be read.
    pub fn decode(header: &str) -> Option<Self> {
        serde_json::from_str(header).ok()
    }
}

/// An event as it is published.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t")]
enum WireChange {
    #[serde(rename = "c")]
    Chat {
        s: u64,
        n: String,
        m: String,
        at: i64,
        /// Its number (`LineNumber`): server, following, line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        q: Option<(u64, u64, u64)>,
    },
    #[serde(rename = "j")]
    Joined {
        s: u64,
        n: String,
        srv: u64,
        /// Which change its server awaits (`Decoded::awaited`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        k: Option<u64>,
    },
    #[serde(rename = "l")]
    Left {
        s: u64,
        n: String,
        /// Which change its server awaits (`Decoded::awaited`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        k: Option<u64>,
        /// Whether the others are told (presence, and `r` for tutorial-level members).
        p: bool,
        /// The leave notice for tutorial-level members, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        r: Option<String>,
    },
    #[serde(rename = "r")]
    Renamed { s: u64, n: String },
}

/// Which line of a room this is, of those one server published while it followed the room:
/// the lines of one following are numbered 1, 2, 3... in the order they were published (one
/// publishing task keeps it), so a server reading the room that sees a number skip knows it
/// never read the lines between (`lines`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineNumber {
    /// The server that published it.
    pub server: u64,
    /// Which of its followings of the room (a server numbers afresh each time it follows it).
    pub following: u64,
    /// The line's number in that following, from 1.
    pub number: u64,
}

/// An event that arrived.
#[derive(Debug)]
pub struct Decoded {
    pub change: RoomChange,
    /// A line's number, from servers of builds that number them.
    pub line: Option<LineNumber>,
    /// The server a joiner is connected to.
    pub server: Option<u64>,
    /// For a join or leave of a member, the number its server gave the change when it
    /// published it to await it: the member's subject may still hold its earlier joins and
    /// leaves of the room, which a server following the room afresh reads first and must not
    /// take for the one it awaits.
    pub awaited: Option<u64>,
}

/// `change`, made on server `server` (which awaits it as `awaited`, or numbered it as `line`,
/// a line), as it is published.
pub fn encode(
    change: &RoomChange,
    server: u64,
    awaited: Option<u64>,
    line_number: Option<LineNumber>,
) -> Vec<u8> {
    let wire = match change {
        RoomChange::Chat(line) => WireChange::Chat {
            s: line.sender.get(),
            n: line.sender_name.to_string(),
            m: line.text.to_string(),
            at: line.sent_at_ms,
            q: line_number.map(|number| (number.server, number.following, number.number)),
        },
        RoomChange::Joined { member, name } => WireChange::Joined {
            s: member.get(),
            n: name.to_string(),
            srv: server,
            k: awaited,
        },
        RoomChange::Left {
            member,
            name,
            announce,
        } => WireChange::Left {
            s: member.get(),
            n: name.to_string(),
            k: awaited,
            p: matches!(announce, Announce::Presence { .. }),
            r: match announce {
                Announce::Presence {
                    notice: Some(notice),
                } => Some((*notice).to_owned()),
                _ => None,
            },
        },
        RoomChange::Renamed { member, name } => WireChange::Renamed {
            s: member.get(),
            n: name.to_string(),
        },
    };
    // A derived `Serialize` of strings and numbers cannot fail.
    serde_json::to_vec(&wire).unwrap_or_default()
}

/// An event that arrived; `None` for what no server of this build publishes.
pub fn decode(payload: &[u8]) -> Option<Decoded> {
    let wire: WireChange = serde_json::from_slice(payload).ok()?;
    let id = |raw: u64| ClientId::new(raw);
    let mut line = None;
    let (change, server, awaited) = match wire {
        WireChange::Chat { s, n, m, at, q } => {
            line = q.map(|(server, following, number)| LineNumber {
                server,
                following,
                number,
            });
            (
                RoomChange::Chat(ChatLineEvent {
                    sender: id(s)?,
                    sender_name: Arc::from(n),
                    text: Arc::from(m),
                    sent_at_ms: at,
                }),
                None,
                None,
            )
        }
        WireChange::Joined { s, n, srv, k } => (
            RoomChange::Joined {
                member: id(s)?,
                name: Arc::from(n),
            },
            Some(srv),
            k,
        ),
        WireChange::Left { s, n, k, p, r } => (
            RoomChange::Left {
                member: id(s)?,
                name: Arc::from(n),
                announce: if p {
                    Announce::Presence {
                        notice: r.map(|text| {
                            Disconnect::public_summary_named(&text).unwrap_or("connection lost")
                        }),
                    }
                } else {
                    Announce::Nothing
                },
            },
            None,
            k,
        ),
        WireChange::Renamed { s, n } => (
            RoomChange::Renamed {
                member: id(s)?,
                name: Arc::from(n),
            },
            None,
            None,
        ),
    };
    Some(Decoded {
        change,
        line,
        server,
        awaited,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> ClientId {
        ClientId::new(n).expect("non-zero")
    }

    #[test]
    fn every_change_reads_back_as_it_was_written() {
        let changes = [
            RoomChange::Chat(ChatLineEvent {
                sender: id(7),
                sender_name: "ann".into(),
                text: "hi \"there\"".into(),
                sent_at_ms: 1_700_000_000_000,
            }),
            RoomChange::Joined {
                member: id(8),
                name: "".into(),
            },
            RoomChange::Left {
                member: id(8),
                name: "bo".into(),
                announce: Announce::Presence {
                    notice: Some("too slow"),
                },
            },
            RoomChange::Left {
                member: id(9),
                name: "".into(),
                announce: Announce::Presence { notice: None },
            },
            RoomChange::Left {
                member: id(9),
                name: "".into(),
                announce: Announce::Nothing,
            },
            RoomChange::Renamed {
                member: id(9),
                name: "cy".into(),
            },
        ];
        for change in changes {
            let back = decode(&encode(&change, 3, None, None)).expect("decodes");
            assert_eq!(back.change, change);
            assert_eq!(back.awaited, None);
        }
        let joined = RoomChange::Joined {
            member: id(1),
            name: "".into(),
        };
        let back = decode(&encode(&joined, 42, Some(5), None)).expect("decodes");
        assert_eq!((back.server, back.awaited), (Some(42), Some(5)));
        let left = RoomChange::Left {
            member: id(1),
            name: "".into(),
            announce: Announce::Nothing,
        };
        assert_eq!(
            decode(&encode(&left, 42, Some(6), None)).map(|back| back.awaited),
            Some(Some(6))
        );
        let chat = RoomChange::Chat(ChatLineEvent {
            sender: id(1),
            sender_name: "".into(),
            text: "hi".into(),
            sent_at_ms: 0,
        });
        let number = LineNumber {
            server: 42,
            following: 3,
            number: 9,
        };
        let back = decode(&encode(&chat, 42, None, Some(number))).expect("decodes");
        assert_eq!((back.change, back.line), (chat, Some(number)));
        // A join of a server of an earlier build: no number, awaited by nobody.
        let earlier = decode(b"{\"t\":\"j\",\"s\":1,\"n\":\"\",\"srv\":42}").expect("decodes");
        assert_eq!((earlier.server, earlier.awaited), (Some(42), None));
        assert!(decode(b"{\"t\":\"c\",\"s\":0,\"n\":\"\",\"m\":\"\",\"at\":0}").is_none());
        assert!(decode(b"not json").is_none());
    }

    #[test]
    fn a_server_report_reads_back_and_grows_compatibly() {
        let report = ServerReport {
            clients: 12,
            address: Some("127.0.0.1:8080".to_owned()),
        };
        assert_eq!(ServerReport::decode(&report.encode()), Some(report));
        assert!(!ServerReport::default().encode().contains('\n'));
        // Fields a later build adds are skipped; a missing count reads as none.
        assert_eq!(
            ServerReport::decode("{\"c\":3,\"later\":true}").map(|report| report.clients),
            Some(3)
        );
        assert_eq!(ServerReport::decode("{}"), Some(ServerReport::default()));
        assert_eq!(ServerReport::decode("not json"), None);
    }

    #[test]
    fn a_room_name_with_dots_is_one_subject_token() {
        assert_eq!(room_filter("a.b"), "mmo.room.612e62.>");
        let chat = RoomChange::Chat(ChatLineEvent {
            sender: id(1),
            sender_name: "".into(),
            text: "".into(),
            sent_at_ms: 0,
        });
        assert_eq!(subject_of("a.b", &chat), "mmo.room.612e62.chat");
    }
}
