//! `RoomRecord`: what a room *is*, wherever its members are connected — its members by ID with
//! their names, its history and the sequence number of its last event — changed only by
//! applying its events in order. How a room reaches the members connected to this server is
//! `delivery`'s job, not this one's.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use mmo_protocol::{ChatLine, ClientId};

use crate::rooms::event::{RoomChange, RoomEvent};
use crate::rooms::history::History;

/// A room's state as its events have made it.
#[derive(Debug)]
pub struct RoomRecord {
    /// Members by ID (so in connection order, oldest first).
    members: BTreeSet<ClientId>,
    /// The names of the members who have one (logged in); a member not here is a guest,
    /// named `""`. Apart from `members` because most members of a big lobby are guests: an
    /// ID alone costs about 20 bytes of B-tree, an ID with a name's handle about 50.
    names: BTreeMap<ClientId, Arc<str>>,
    history: History,
    last_seq: u64,
}

/// An event that does not follow the last one applied: the record missed events (a broker
/// lost some) or got one twice. Its owner must reload the room's state instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("room event {got} does not follow event {last}")]
pub struct OutOfOrder {
    /// The last event applied.
    pub last: u64,
    /// The event that came.
    pub got: u64,
}

impl RoomRecord {
    /// A room with no members, no history and no events yet, keeping at most `history_lines`
    /// lines and `history_bytes` bytes of history.
    pub fn new(history_lines: usize, history_bytes: usize) -> Self {
        Self {
            members: BTreeSet::new(),
            names: BTreeMap::new(),
            history: History::new(history_lines, history_bytes),
            last_seq: 0,
        }
    }

    /// The sequence number the next event gets.
    pub fn next_seq(&self) -> u64 {
        self.last_seq + 1
    }

    /// Applies the room's next event; `Err` (and nothing changed) when it is not the next one.
    pub fn apply(&mut self, event: &RoomEvent) -> Result<(), OutOfOrder> {
        if event.seq != self.next_seq() {
            return Err(OutOfOrder {
                last: self.last_seq,
                got: event.seq,
            });
        }
        self.last_seq = event.seq;
        match &event.change {
            RoomChange::Chat(line) => self.history.push(line),
            RoomChange::Joined { member, name } | RoomChange::Renamed { member, name } => {
                self.members.insert(*member);
                if name.is_empty() {
                    self.names.remove(member);
                } else {
                    self.names.insert(*member, Arc::clone(name));
                }
            }
            RoomChange::Left { member, .. } => {
                self.members.remove(member);
                self.names.remove(member);
            }
        }
        Ok(())
    }

    /// The members with IDs above `after_id`, at most `limit` (at least one), as a
    /// `MemberListMessage` for the room called `room`: O(log members + limit).
    pub fn member_page(&self, room: &str, after_id: u64, limit: usize) -> mmo_protocol::Packet {
        use mmo_protocol::{Member, MemberListMessage, Msg, Packet};
        let limit = limit.max(1);
        use std::ops::Bound;
        let from = ClientId::new(after_id).map_or(Bound::Unbounded, Bound::Excluded);
        let mut listed = self.members.range((from, Bound::Unbounded)).take(limit + 1);
        let members: Vec<Member> = listed
            .by_ref()
            .take(limit)
            .map(|id| Member {
                id: id.get(),
                name: self.names.get(id).map_or("", AsRef::as_ref).to_owned(),
            })
            .collect();
        let complete = listed.next().is_none();
        Packet {
            sender_id: 0,
            msg: Some(Msg::MemberList(MemberListMessage {
                room: room.to_owned(),
                next_after_id: if complete {
                    0
                } else {
                    members.last().map_or(0, |last| last.id)
                },
                members,
                complete,
                total: u32::try_from(self.members.len()).unwrap_or(u32::MAX),
            })),
        }
    }

    /// Members now.
    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    /// The members by ID, oldest first, with their names.
    pub fn members(&self) -> impl Iterator<Item = (ClientId, &str)> {
        // Both are in ID order and every named member is a member: one pass over each.
        let mut names = self.names.iter().peekable();
        self.members.iter().map(move |id| {
            let name = names
                .next_if(|(named, _)| *named == id)
                .map_or("", |(_, name)| name.as_ref());
            (*id, name)
        })
    }

    /// The name of member `id`, if it is one.
    pub fn name_of(&self, id: ClientId) -> Option<&str> {
        if !self.members.contains(&id) {
            return None;
        }
        Some(self.names.get(&id).map_or("", AsRef::as_ref))
    }

    /// The members as a `RoomMessage` lists them for `asker`: by ID, at most `max_listed` of
    /// them (those connected longest), always with `asker` if it is a member: the rule the
    /// answer cache (`answer`) follows, kept here as its reference.
    #[cfg(test)]
    pub fn listed_members(&self, asker: ClientId, max_listed: usize) -> Vec<mmo_protocol::Member> {
        let max_listed = max_listed.max(1);
        let mut listed: Vec<mmo_protocol::Member> = self
            .members()
            .take(max_listed)
            .map(|(id, name)| mmo_protocol::Member {
                id: id.get(),
                name: name.to_string(),
            })
            .collect();
        let asker_listed = listed.iter().any(|member| member.id == asker.get());
        if let (false, Some(name)) = (asker_listed, self.name_of(asker)) {
            // The asker joined after the first `max_listed`: it takes the last place.
            if listed.len() == max_listed {
                listed.pop();
            }
            listed.push(mmo_protocol::Member {
                id: asker.get(),
                name: name.to_string(),
            });
        }
        listed
    }

    /// The history, oldest line first, as it goes on the wire.
    pub fn history_lines(&self) -> Vec<ChatLine> {
        self.history.to_chat_lines()
    }

    /// Lines and bytes of history kept now.
    pub fn history_size(&self) -> (usize, usize) {
        (self.history.len(), self.history.bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rooms::event::{Announce, ChatLineEvent};
    use mmo_protocol::Member;

    fn id(n: u64) -> ClientId {
        ClientId::new(n).expect("non-zero")
    }

    fn joined(seq: u64, member: u64) -> RoomEvent {
        RoomEvent {
            seq,
            change: RoomChange::Joined {
                member: id(member),
                name: "".into(),
            },
        }
    }

    #[test]
    fn events_apply_in_order_only() {
        let mut record = RoomRecord::new(10, 10_000);
        record.apply(&joined(1, 5)).expect("first");
        assert_eq!(
            record.apply(&joined(3, 6)),
            Err(OutOfOrder { last: 1, got: 3 })
        );
        assert_eq!(record.member_count(), 1, "nothing changed");
        record.apply(&joined(2, 6)).expect("second");
        record
            .apply(&RoomEvent {
                seq: 3,
                change: RoomChange::Chat(ChatLineEvent {
                    sender: id(5),
                    sender_name: "".into(),
                    text: "hi".into(),
                    sent_at_ms: 9,
                }),
            })
            .expect("third");
        record
            .apply(&RoomEvent {
                seq: 4,
                change: RoomChange::Renamed {
                    member: id(6),
                    name: "ann".into(),
                },
            })
            .expect("fourth");
        record
            .apply(&RoomEvent {
                seq: 5,
                change: RoomChange::Left {
                    member: id(5),
                    name: "".into(),
                    announce: Announce::Nothing,
                },
            })
            .expect("fifth");
        assert_eq!(
            record.listed_members(id(6), 10),
            [Member {
                id: 6,
                name: "ann".into()
            }]
        );
        assert_eq!(record.history_lines()[0].msg, "hi");
        assert_eq!(record.next_seq(), 6);
    }

    #[test]
    fn a_long_list_is_cut_to_the_oldest_members_and_keeps_the_asker() {
        let mut record = RoomRecord::new(0, 0);
        for n in 1..=5 {
            record.apply(&joined(n, n)).expect("in order");
        }
        let ids = |members: Vec<Member>| members.iter().map(|m| m.id).collect::<Vec<_>>();
        assert_eq!(ids(record.listed_members(id(5), 2)), [1, 5]);
        assert_eq!(ids(record.listed_members(id(2), 2)), [1, 2]);
        assert_eq!(ids(record.listed_members(id(9), 2)), [1, 2], "not a member");
    }

    #[test]
    fn guests_and_named_members_are_listed_in_order_with_their_names() {
        let mut record = RoomRecord::new(0, 0);
        let named = |seq, member, name: &str| RoomEvent {
            seq,
            change: RoomChange::Joined {
                member: id(member),
                name: name.into(),
            },
        };
        record.apply(&joined(1, 1)).expect("1");
        record.apply(&named(2, 2, "bo")).expect("2");
        record.apply(&joined(3, 3)).expect("3");
        record.apply(&named(4, 4, "di")).expect("4");
        let all = |record: &RoomRecord| {
            record
                .members()
                .map(|(id, name)| (id.get(), name.to_owned()))
                .collect::<Vec<_>>()
        };
        let pairs = |list: &[(u64, &str)]| {
            list.iter()
                .map(|(id, name)| (*id, (*name).to_owned()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            all(&record),
            pairs(&[(1, ""), (2, "bo"), (3, ""), (4, "di")])
        );
        assert_eq!(record.name_of(id(2)), Some("bo"));
        assert_eq!(record.name_of(id(3)), Some(""));
        assert_eq!(record.name_of(id(5)), None);
        record
            .apply(&RoomEvent {
                seq: 5,
                change: RoomChange::Renamed {
                    member: id(1),
                    name: "al".into(),
                },
            })
            .expect("5");
        record
            .apply(&RoomEvent {
                seq: 6,
                change: RoomChange::Left {
                    member: id(2),
                    name: "bo".into(),
                    announce: Announce::Nothing,
                },
            })
            .expect("6");
        assert_eq!(all(&record), pairs(&[(1, "al"), (3, ""), (4, "di")]));
        assert_eq!(record.name_of(id(2)), None, "a name goes with its member");
        assert_eq!(record.member_count(), 3);
    }
}
