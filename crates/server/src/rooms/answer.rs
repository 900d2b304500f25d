//! `AnswerCache`: a room's `RoomMessage` kept encoded in parts — its member list and its
//! history — so that answering a join costs a copy of bytes under the room's lock, not a walk
//! of a thousand members and an encoding. A part is rebuilt only after an event changed it:
//! a re-join storm in a big lobby costs what the answers weigh, and chat is not held up.

use bytes::{BufMut, Bytes, BytesMut};
use mmo_protocol::{ChatLine, ClientId, Member, Message as _};

use crate::rooms::record::RoomRecord;
use crate::websocket::data_frame;

/// `Packet` field 101 (`room`, a length-delimited `RoomMessage`): its key as a varint.
const PACKET_ROOM_KEY: u64 = (101 << 3) | 2;
/// `RoomMessage` fields 1 (`room`), 2 (`members`) and 3 (`history`), all length-delimited.
const ROOM_NAME_KEY: u8 = (1 << 3) | 2;
const MEMBER_KEY: u8 = (2 << 3) | 2;
const HISTORY_KEY: u8 = (3 << 3) | 2;
/// `RoomMessage` fields 4 (`member_count`) and 5 (`members_partial`), varints.
const MEMBER_COUNT_KEY: u8 = 4 << 3;
const MEMBERS_PARTIAL_KEY: u8 = 5 << 3;

/// The encoded parts of a room's answer, each `None` until needed after a change.
#[derive(Debug, Default)]
pub struct AnswerCache {
    members: Option<ListedMembers>,
    history: Option<Bytes>,
}

/// The members a `RoomMessage` lists for whoever asks: the oldest `max_listed - 1`, and the
/// next one, which gives its place to an asker who is not among them.
#[derive(Debug)]
struct ListedMembers {
    /// The most members listed it was made for.
    max_listed: usize,
    first: Vec<ClientId>,
    first_encoded: Bytes,
    next: Option<(ClientId, Bytes)>,
}

impl AnswerCache {
    /// The member list changed.
    pub fn members_changed(&mut self) {
        self.members = None;
    }

    /// The history changed.
    pub fn history_changed(&mut self) {
        self.history = None;
    }

    /// The frame of the `RoomMessage` for `asker`: `room`'s name, at most `max_listed` of its
    /// members (the oldest, and always `asker`), its history, its member count, and whether
    /// the list leaves members out.
    pub fn frame(
        &mut self,
        room: &str,
        record: &RoomRecord,
        asker: ClientId,
        max_listed: usize,
    ) -> Bytes {
        let max_listed = max_listed.max(1);
        if self
            .members
            .as_ref()
            .is_some_and(|members| members.max_listed != max_listed)
        {
            self.members = None;
        }
        let members = self
            .members
            .get_or_insert_with(|| ListedMembers::of(record, max_listed));
        let history = self
            .history
            .get_or_insert_with(|| encode_history(&record.history_lines()));
        let next = || members.next.as_ref().map(|(_, encoded)| encoded.clone());
        let asker_entry = match record.name_of(asker) {
            Some(_) if members.first.binary_search(&asker).is_ok() => next(),
            Some(name) => Some(encode_member(&Member {
                id: asker.get(),
                name: name.to_owned(),
            })),
            None => next(),
        };
        let member_count = record.member_count();
        let listed = members.first.len() + usize::from(asker_entry.is_some());
        let mut body = BytesMut::with_capacity(
            16 + room.len()
                + members.first_encoded.len()
                + asker_entry.as_ref().map_or(0, Bytes::len)
                + history.len(),
        );
        body.put_u8(ROOM_NAME_KEY);
        put_varint(&mut body, room.len() as u64);
        body.put_slice(room.as_bytes());
        body.put_slice(&members.first_encoded);
        // The asker, or the member after the first ones, is the last listed: the list stays in
        // ID order either way, since both come after the first ones.
        if let Some(entry) = &asker_entry {
            body.put_slice(entry);
        }
        body.put_slice(history);
        if member_count > 0 {
            body.put_u8(MEMBER_COUNT_KEY);
            put_varint(&mut body, member_count as u64);
        }
        if listed < member_count {
            body.put_u8(MEMBERS_PARTIAL_KEY);
            body.put_u8(1);
        }
        let mut packet = BytesMut::with_capacity(body.len() + 12);
        put_varint(&mut packet, PACKET_ROOM_KEY);
        put_varint(&mut packet, body.len() as u64);
        packet.put_slice(&body);
        data_frame(false, &packet)
    }
}

impl ListedMembers {
    fn of(record: &RoomRecord, max_listed: usize) -> Self {
        let mut first = Vec::with_capacity(max_listed - 1);
        let mut first_encoded = BytesMut::new();
        let mut next = None;
        for (id, name) in record.members().take(max_listed) {
            let encoded = encode_member(&Member {
                id: id.get(),
                name: name.to_owned(),
            });
            if first.len() < max_listed - 1 {
                first.push(id);
                first_encoded.put_slice(&encoded);
            } else {
                next = Some((id, encoded));
            }
        }
        Self {
            max_listed,
            first,
            first_encoded: first_encoded.freeze(),
            next,
        }
    }
}

fn encode_member(member: &Member) -> Bytes {
    let mut buf = BytesMut::with_capacity(member.encoded_len() + 3);
    buf.put_u8(MEMBER_KEY);
    put_varint(&mut buf, member.encoded_len() as u64);
    member.encode_raw(&mut buf);
    buf.freeze()
}

fn encode_history(lines: &[ChatLine]) -> Bytes {
    let mut buf = BytesMut::new();
    for line in lines {
        buf.put_u8(HISTORY_KEY);
        put_varint(&mut buf, line.encoded_len() as u64);
        line.encode_raw(&mut buf);
    }
    buf.freeze()
}

fn put_varint(buf: &mut BytesMut, mut value: u64) {
    loop {
        let low = u8::try_from(value & 0x7f).unwrap_or(0);
        value >>= 7;
        if value == 0 {
            buf.put_u8(low);
            return;
        }
        buf.put_u8(low | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mmo_protocol::{Msg, Packet, RoomMessage, decode_packet};

    use super::*;
    use crate::rooms::event::{ChatLineEvent, RoomChange, RoomEvent};

    fn record_of(members: u64, lines: u64) -> RoomRecord {
        let mut record = RoomRecord::new(50, 1 << 20);
        for n in 1..=members {
            let change = RoomChange::Joined {
                member: ClientId::new(n).expect("non-zero"),
                name: format!("p{n}").into(),
            };
            let seq = record.next_seq();
            record.apply(&RoomEvent { seq, change }).expect("in order");
        }
        for n in 0..lines {
            let change = RoomChange::Chat(ChatLineEvent {
                sender: ClientId::new(1).expect("non-zero"),
                sender_name: Arc::from("p1"),
                text: format!("line {n}").into(),
                sent_at_ms: i64::try_from(n).expect("small"),
            });
            let seq = record.next_seq();
            record.apply(&RoomEvent { seq, change }).expect("in order");
        }
        record
    }

    /// The answer as prost would build it from the record.
    fn expected(record: &RoomRecord, asker: ClientId, max_listed: usize) -> RoomMessage {
        let members = record.listed_members(asker, max_listed);
        RoomMessage {
            room: "lobby".into(),
            members_partial: members.len() < record.member_count(),
            member_count: u32::try_from(record.member_count()).expect("small"),
            members,
            history: record.history_lines(),
        }
    }

    fn decoded(frame: &Bytes) -> RoomMessage {
        // A 2- or 4-byte header: the payload is what follows it.
        let start = if frame[1] == 126 { 4 } else { 2 };
        match decode_packet(&frame[start..]).expect("a packet") {
            Packet {
                sender_id: 0,
                msg: Some(Msg::Room(room)),
            } => room,
            other => panic!("not a RoomMessage: {other:?}"),
        }
    }

    #[test]
    fn the_cached_answer_is_the_answer_for_every_asker() {
        let record = record_of(7, 3);
        let mut cache = AnswerCache::default();
        for max_listed in [1, 3, 7, 10] {
            cache.members_changed();
            for asker in 1..=8 {
                let asker = ClientId::new(asker).expect("non-zero");
                let frame = cache.frame("lobby", &record, asker, max_listed);
                assert_eq!(
                    decoded(&frame),
                    expected(&record, asker, max_listed),
                    "asker {asker}, at most {max_listed}"
                );
            }
        }
    }

    #[test]
    fn a_part_is_rebuilt_only_when_told_it_changed() {
        let mut record = record_of(2, 1);
        let mut cache = AnswerCache::default();
        let asker = ClientId::new(1).expect("non-zero");
        let before = decoded(&cache.frame("lobby", &record, asker, 10));
        let seq = record.next_seq();
        let change = RoomChange::Joined {
            member: ClientId::new(3).expect("non-zero"),
            name: "".into(),
        };
        record.apply(&RoomEvent { seq, change }).expect("in order");
        // The list is the cached one (the count is the record's own, never cached).
        assert_eq!(
            decoded(&cache.frame("lobby", &record, asker, 10)).members,
            before.members
        );
        cache.members_changed();
        assert_eq!(
            decoded(&cache.frame("lobby", &record, asker, 10))
                .members
                .len(),
            3
        );
    }
}
