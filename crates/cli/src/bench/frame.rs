//! WebSocket frames and `Packet`s as the bench's clients see them, without allocating: server
//! frames are parsed in place in the read buffer, client frames are written masked into a
//! reused buffer, and the server's packets are read as borrowed views of the frame.
//!
//! The bench does this itself rather than through tungstenite because receiving is most of
//! its work: at 750k deliveries/s a `Vec` and a `String` per message, and the copies between
//! buffers, cost the bench more CPU than the server spends relaying.

use std::ops::ControlFlow;

/// Largest frame payload accepted from the server. Relayed chat lines are at most a few KiB
/// (the server's limit is 2,000 bytes of text); anything near this means a broken stream, and
/// it bounds what one connection can make the bench buffer for a frame split across reads.
pub const MAX_FRAME_PAYLOAD: usize = 64 * 1024;

/// Longest header of an unmasked frame: 2 bytes, then a 64-bit length.
pub const MAX_SERVER_HEADER: usize = 10;

/// Most bytes a frame still incomplete at the end of a read can hold.
pub const MAX_PARTIAL_FRAME: usize = MAX_SERVER_HEADER + MAX_FRAME_PAYLOAD;

/// Largest payload of a control frame (close, ping, pong), RFC 6455 section 5.5.
const MAX_CONTROL_PAYLOAD: usize = 125;

const FIN: u8 = 0x80;
const RESERVED_BITS: u8 = 0x70;
const OPCODE_BITS: u8 = 0x0F;
const MASK_BIT: u8 = 0x80;
const LENGTH_BITS: u8 = 0x7F;
/// A 7-bit length of 126 says a 16-bit length follows; 127, a 64-bit one.
const LENGTH_16: u8 = 126;
const LENGTH_64: u8 = 127;

/// Frame opcodes, RFC 6455 section 5.2.
pub mod opcode {
    /// A later fragment of a fragmented message.
    pub const CONTINUATION: u8 = 0x0;
    /// A text message.
    pub const TEXT: u8 = 0x1;
    /// A binary message: one `Packet` each in this protocol.
    pub const BINARY: u8 = 0x2;
    /// The close handshake.
    pub const CLOSE: u8 = 0x8;
    /// A ping, to be answered with a pong carrying the same payload.
    pub const PING: u8 = 0x9;
    /// The answer to a ping.
    pub const PONG: u8 = 0xA;
}

/// One complete server frame, borrowing its payload from the read buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A binary message (the server sends one `Packet` per message).
    Binary(&'a [u8]),
    /// A text message; the server never sends one.
    Text(&'a [u8]),
    /// A ping; the payload goes back in the pong.
    Ping(&'a [u8]),
    /// A pong.
    Pong,
    /// A close frame: its code and reason, if it had a payload.
    Close(Option<(u16, &'a [u8])>),
}

/// Why bytes from the server are not a stream of frames this client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// RSV1–3 are set, but no extension was negotiated.
    #[error("reserved bits set in a frame header")]
    Reserved,
    /// Servers must not mask their frames.
    #[error("masked frame from the server")]
    Masked,
    /// A message split over several frames. The server always sends whole messages, so the
    /// bench does not reassemble them and says so rather than misread one.
    #[error("fragmented message (not expected from this server)")]
    Fragmented,
    /// An opcode RFC 6455 does not define.
    #[error("unknown opcode {0:#x}")]
    Opcode(u8),
    /// A control frame longer than 125 bytes.
    #[error("control frame of {0} bytes")]
    LongControl(u64),
    /// A close frame whose payload is a single byte: too short for a code.
    #[error("close frame with a 1-byte payload")]
    ShortClose,
    /// A payload over `MAX_FRAME_PAYLOAD`.
    #[error("frame of {0} bytes; the limit is {MAX_FRAME_PAYLOAD}")]
    TooBig(u64),
}

/// Reads one frame from the start of `buf`: the frame and the bytes it took, `None` while
/// the frame is incomplete, or why the bytes are not acceptable. Every check that needs only
/// the header is made before the payload has arrived, so an oversized frame is refused at once.
pub fn parse(buf: &[u8]) -> Result<Option<(Frame<'_>, usize)>, FrameError> {
    let [first, second, ..] = *buf else {
        return Ok(None);
    };
    if first & RESERVED_BITS != 0 {
        return Err(FrameError::Reserved);
    }
    if second & MASK_BIT != 0 {
        return Err(FrameError::Masked);
    }
    let code = first & OPCODE_BITS;
    let is_control = code & 0x8 != 0;
    match code {
        opcode::CONTINUATION => return Err(FrameError::Fragmented),
        opcode::TEXT | opcode::BINARY | opcode::CLOSE | opcode::PING | opcode::PONG => {}
        other => return Err(FrameError::Opcode(other)),
    }
    if first & FIN == 0 {
        // A control frame may not be fragmented at all; a data frame without FIN starts a
        // fragmented message. Either way it is not something this client reads.
        return Err(FrameError::Fragmented);
    }
    let (length, header) = match second & LENGTH_BITS {
        LENGTH_16 => {
            let Some(bytes) = buf.get(2..4) else {
                return Ok(None);
            };
            (u64::from(u16::from_be_bytes([bytes[0], bytes[1]])), 4)
        }
        LENGTH_64 => {
            let Some(bytes) = buf.get(2..10) else {
                return Ok(None);
            };
            let mut be = [0; 8];
            be.copy_from_slice(bytes);
            (u64::from_be_bytes(be), 10)
        }
        short => (u64::from(short), 2),
    };
    if is_control && length > MAX_CONTROL_PAYLOAD as u64 {
        return Err(FrameError::LongControl(length));
    }
    let length = usize::try_from(length)
        .ok()
        .filter(|&n| n <= MAX_FRAME_PAYLOAD)
        .ok_or(FrameError::TooBig(length))?;
    let Some(payload) = buf.get(header..header + length) else {
        return Ok(None);
    };
    let frame = match code {
        opcode::BINARY => Frame::Binary(payload),
        opcode::TEXT => Frame::Text(payload),
        opcode::PING => Frame::Ping(payload),
        opcode::PONG => Frame::Pong,
        _ => match payload {
            [] => Frame::Close(None),
            [_] => return Err(FrameError::ShortClose),
            [high, low, reason @ ..] => {
                Frame::Close(Some((u16::from_be_bytes([*high, *low]), reason)))
            }
        },
    };
    Ok(Some((frame, header + length)))
}

/// Appends one client frame (FIN set, masked with `mask` as RFC 6455 requires of clients).
pub fn put_client_frame(out: &mut Vec<u8>, code: u8, payload: &[u8], mask: [u8; 4]) {
    out.push(FIN | code);
    let length = payload.len();
    if let Some(short) = u8::try_from(length).ok().filter(|&n| n < LENGTH_16) {
        out.push(MASK_BIT | short);
    } else if let Ok(medium) = u16::try_from(length) {
        out.push(MASK_BIT | LENGTH_16);
        out.extend_from_slice(&medium.to_be_bytes());
    } else {
        out.push(MASK_BIT | LENGTH_64);
        out.extend_from_slice(&(length as u64).to_be_bytes());
    }
    out.extend_from_slice(&mask);
    out.extend(
        payload
            .iter()
            .zip(mask.iter().cycle())
            .map(|(byte, key)| byte ^ key),
    );
}

/// Protobuf wire types (the low three bits of a field key).
mod wire_type {
    pub const VARINT: u64 = 0;
    pub const FIXED64: u64 = 1;
    pub const LEN: u64 = 2;
    pub const FIXED32: u64 = 5;
}

/// Field numbers of `proto/packets.proto` that the bench reads and writes.
mod field {
    /// `Packet.sender_id`, `ChatMessage.msg`, `IdMessage.id`, `DenyResponseMessage.reason`,
    /// `JoinRoomMessage.room`, `RoomMessage.room`, `Member.id`, `PresenceMessage.joined`.
    pub const FIRST: u64 = 1;
    /// `Packet` fields.
    pub const CHAT: u64 = 2;
    pub const ID: u64 = 3;
    pub const DENY_RESPONSE: u64 = 7;
    pub const DISCONNECT: u64 = 19;
    pub const JOIN_ROOM: u64 = 100;
    pub const ROOM: u64 = 101;
    pub const PRESENCE: u64 = 102;
    pub const ROOM_LIST: u64 = 104;
    pub const PRESENCE_BATCH: u64 = 120;
    pub const MEMBER_LIST: u64 = 122;
    /// `RoomMessage.members_partial`.
    pub const FIFTH: u64 = 5;
    /// `RoomMessage.members`, `ChatLine.msg`, `PresenceMessage.room`.
    pub const SECOND: u64 = 2;
    /// `RoomMessage.history`.
    pub const THIRD: u64 = 3;
}

/// What a server `Packet` says, as far as the bench cares, borrowing its text from the frame.
#[derive(Debug, PartialEq, Eq)]
pub enum PacketView<'a> {
    /// A relayed chat line.
    Chat(&'a str),
    /// The client's ID: the server has registered the connection.
    Id(u64),
    /// A refusal, with its reason.
    Deny(&'a str),
    /// The answer to a join: the room now, its members and its history.
    Room(RoomView<'a>),
    /// `who` entered (`joined`) or left `room`.
    Presence {
        /// `Packet.sender_id`: who came or went.
        who: u64,
        /// Entered rather than left.
        joined: bool,
        /// The room.
        room: &'a str,
    },
    /// A big room's joins and leaves of one window (`PresenceBatchMessage`), which the bench
    /// counts but does not follow.
    PresenceBatch,
    /// Anything else (a disconnect notice, a room list, a packet without a message).
    Other,
}

/// A `RoomMessage`, checked well-formed, read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomView<'a> {
    /// The room's name.
    pub name: &'a str,
    /// The member list is not the whole room (a big room, whose members come in pages).
    pub partial: bool,
    /// The encoded message, to walk its members and history.
    body: &'a [u8],
}

impl<'a> RoomView<'a> {
    /// Reads and checks a `RoomMessage`: its name, and that every member and history line is
    /// well-formed, so the walks below cannot fail.
    fn parse(body: &'a [u8]) -> Option<Self> {
        let mut name = "";
        let mut partial = false;
        walk_fields(body, |number, value| {
            match (number, value) {
                (field::FIRST, Value::Len(raw)) => name = std::str::from_utf8(raw).ok()?,
                (field::FIFTH, Value::Varint(flag)) => partial = flag != 0,
                (field::SECOND, Value::Len(member)) => {
                    varint_field(member)?;
                }
                (field::THIRD, Value::Len(line)) => {
                    string_field_numbered(line, field::SECOND)?;
                }
                (field::FIRST | field::SECOND | field::THIRD, _) => return None,
                _ => {}
            }
            Some(())
        })?;
        Some(Self {
            name,
            partial,
            body,
        })
    }

    /// Calls `each` with every member's ID, in the server's order.
    pub fn members(&self, mut each: impl FnMut(u64)) {
        let _ = walk_fields(self.body, |number, value| {
            if let (field::SECOND, Value::Len(member)) = (number, value) {
                each(varint_field(member)?);
            }
            Some(())
        });
    }

    /// Calls `each` with every history line's text, oldest first.
    pub fn history(&self, mut each: impl FnMut(&'a str)) {
        let _ = walk_fields(self.body, |number, value| {
            if let (field::THIRD, Value::Len(line)) = (number, value) {
                each(string_field_numbered(line, field::SECOND)?);
            }
            Some(())
        });
    }
}

/// Reads a server `Packet` the way prost would, but without allocating its strings; `None`
/// when the bytes are not a valid `Packet`. Unknown fields are skipped, and when the oneof is
/// set more than once the last wins, as in protobuf. (Protobuf would also merge two copies of
/// the same message field; the server never sends two, so a later one simply replaces.)
pub fn view_packet(bytes: &[u8]) -> Option<PacketView<'_>> {
    let mut view = PacketView::Other;
    let mut sender = 0;
    walk_fields(bytes, |number, value| {
        view = match (number, value) {
            (field::CHAT, Value::Len(inner)) => PacketView::Chat(string_field(inner)?),
            (field::ID, Value::Len(inner)) => PacketView::Id(varint_field(inner)?),
            (field::DENY_RESPONSE, Value::Len(inner)) => PacketView::Deny(string_field(inner)?),
            (field::ROOM, Value::Len(inner)) => PacketView::Room(RoomView::parse(inner)?),
            (field::PRESENCE, Value::Len(inner)) => presence(inner)?,
            (field::PRESENCE_BATCH, Value::Len(_)) => PacketView::PresenceBatch,
            // Another member of the oneof replaces whatever came before, as in protobuf.
            (field::DISCONNECT | field::ROOM_LIST | field::MEMBER_LIST, Value::Len(_)) => {
                PacketView::Other
            }
            (
                field::CHAT
                | field::ID
                | field::DENY_RESPONSE
                | field::DISCONNECT
                | field::ROOM
                | field::PRESENCE
                | field::ROOM_LIST
                | field::PRESENCE_BATCH
                | field::MEMBER_LIST,
                _,
            ) => {
                return None;
            }
            (field::FIRST, Value::Varint(id)) => {
                sender = id;
                return Some(());
            }
            (field::FIRST, _) => return None,
            // A field this schema does not know is skipped and leaves the view as it was.
            _ => return Some(()),
        };
        Some(())
    })?;
    if let PacketView::Presence { who, .. } = &mut view {
        *who = sender;
    }
    Some(view)
}

/// A `PresenceMessage`; its `who` is filled in from the packet.
fn presence(bytes: &[u8]) -> Option<PacketView<'_>> {
    let mut joined = false;
    let mut room = "";
    walk_fields(bytes, |number, value| {
        match (number, value) {
            (field::FIRST, Value::Varint(flag)) => joined = flag != 0,
            (field::SECOND, Value::Len(raw)) => room = std::str::from_utf8(raw).ok()?,
            (field::FIRST | field::SECOND, _) => return None,
            _ => {}
        }
        Some(())
    })?;
    Some(PacketView::Presence {
        who: 0,
        joined,
        room,
    })
}

/// Field 1 of a message whose field 1 is a string (`ChatMessage`, `DenyResponseMessage`).
/// Every chat line goes through this, so it is not `string_field_numbered` with a 1: a
/// constant field number keeps it as lean as it was before rooms.
fn string_field(bytes: &[u8]) -> Option<&str> {
    let mut text = "";
    walk_fields(bytes, |number, value| {
        match (number, value) {
            (field::FIRST, Value::Len(raw)) => text = std::str::from_utf8(raw).ok()?,
            (field::FIRST, _) => return None,
            _ => {}
        }
        Some(())
    })?;
    Some(text)
}

/// String field `wanted` of a message (`""` when absent).
fn string_field_numbered(bytes: &[u8], wanted: u64) -> Option<&str> {
    let mut text = "";
    walk_fields(bytes, |number, value| {
        match value {
            Value::Len(raw) if number == wanted => text = std::str::from_utf8(raw).ok()?,
            _ if number == wanted => return None,
            _ => {}
        }
        Some(())
    })?;
    Some(text)
}

/// Field 1 of a message whose field 1 is a `uint64` (`IdMessage`).
fn varint_field(bytes: &[u8]) -> Option<u64> {
    let mut found = 0;
    walk_fields(bytes, |number, value| {
        match (number, value) {
            (field::FIRST, Value::Varint(n)) => found = n,
            (field::FIRST, _) => return None,
            _ => {}
        }
        Some(())
    })?;
    Some(found)
}

/// One field's value on the wire.
#[derive(Clone, Copy)]
enum Value<'a> {
    Varint(u64),
    Len(&'a [u8]),
    Fixed,
}

/// Calls `each` with every field of a protobuf message; `None` if the bytes are malformed or
/// `each` says so.
fn walk_fields<'a>(
    mut bytes: &'a [u8],
    mut each: impl FnMut(u64, Value<'a>) -> Option<()>,
) -> Option<()> {
    while !bytes.is_empty() {
        let key = read_varint(&mut bytes)?;
        let number = key >> 3;
        if number == 0 {
            return None;
        }
        let value = match key & 0x7 {
            wire_type::VARINT => Value::Varint(read_varint(&mut bytes)?),
            wire_type::LEN => {
                let length = usize::try_from(read_varint(&mut bytes)?).ok()?;
                let (value, rest) = bytes.split_at_checked(length)?;
                bytes = rest;
                Value::Len(value)
            }
            wire_type::FIXED64 => {
                bytes = bytes.get(8..)?;
                Value::Fixed
            }
            wire_type::FIXED32 => {
                bytes = bytes.get(4..)?;
                Value::Fixed
            }
            // Groups (3, 4) are not in proto3, and 6 and 7 are not wire types at all.
            _ => return None,
        };
        each(number, value)?;
    }
    Some(())
}

/// Most bytes a 64-bit varint takes.
const MAX_VARINT_BYTES: usize = 10;

fn read_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0_u64;
    for (i, &byte) in bytes.iter().enumerate().take(MAX_VARINT_BYTES) {
        value |= u64::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Some(value);
        }
    }
    None
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        // The low seven bits, with the continuation bit: the truncation is the point.
        #[allow(clippy::cast_possible_truncation)]
        out.push((value as u8 & 0x7F) | 0x80);
        value >>= 7;
    }
    #[allow(clippy::cast_possible_truncation)]
    out.push(value as u8);
}

/// Appends the encoding of `Packet::chat(text)` (what a client sends), byte for byte what
/// prost produces, without building the `Packet` and its `String`.
pub fn put_chat_packet(out: &mut Vec<u8>, text: &str) {
    put_string_message_packet(out, field::CHAT, text);
}

/// Appends the encoding of `Packet::join_room(room)`, byte for byte what prost produces.
pub fn put_join_packet(out: &mut Vec<u8>, room: &str) {
    put_string_message_packet(out, field::JOIN_ROOM, room);
}

/// A `Packet` whose message, field `number`, holds one string as its field 1.
fn put_string_message_packet(out: &mut Vec<u8>, number: u64, text: &str) {
    let key = |number: u64| (number << 3) | wire_type::LEN;
    let inner_length = if text.is_empty() {
        0
    } else {
        1 + varint_length(text.len() as u64) + text.len()
    };
    put_varint(out, key(number));
    put_varint(out, inner_length as u64);
    if !text.is_empty() {
        put_varint(out, key(field::FIRST));
        put_varint(out, text.len() as u64);
        out.extend_from_slice(text.as_bytes());
    }
}

fn varint_length(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Calls `on_frame` with each complete frame at the start of `buf` until it breaks, and
/// returns how many bytes those frames took. What is left is an incomplete frame, or the
/// frames after the one `on_frame` stopped at.
pub fn parse_all<'a>(
    buf: &'a [u8],
    mut on_frame: impl FnMut(Frame<'a>) -> ControlFlow<()>,
) -> Result<usize, FrameError> {
    let mut used = 0;
    while let Some((frame, length)) = parse(&buf[used..])? {
        used += length;
        if on_frame(frame).is_break() {
            break;
        }
    }
    Ok(used)
}

#[cfg(test)]
mod tests {
    use mmo_protocol::{
        ChatLine, ClientId, Member, Message as _, Msg, Packet, RoomInfo, RoomListMessage,
        RoomMessage,
    };

    use super::*;

    /// A server frame: unmasked, FIN set.
    fn server_frame(code: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![FIN | code];
        match payload.len() {
            n if n < 126 => out.push(u8::try_from(n).expect("short")),
            n if n <= 0xFFFF => {
                out.push(LENGTH_16);
                out.extend_from_slice(&u16::try_from(n).expect("16-bit").to_be_bytes());
            }
            n => {
                out.push(LENGTH_64);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(payload);
        out
    }

    fn frames_of(buf: &[u8]) -> (Vec<String>, usize) {
        let mut seen = Vec::new();
        let used = parse_all(buf, |frame| {
            seen.push(format!("{frame:?}"));
            ControlFlow::Continue(())
        })
        .expect("valid frames");
        (seen, used)
    }

    #[test]
    fn parses_every_complete_frame_and_leaves_the_partial_one() {
        let mut stream = server_frame(opcode::BINARY, b"one");
        stream.extend(server_frame(opcode::BINARY, b"two"));
        let third = server_frame(opcode::BINARY, b"three");
        stream.extend(&third[..4]);
        let (seen, used) = frames_of(&stream);
        assert_eq!(seen.len(), 2);
        assert_eq!(used, 10);
        // The rest, once the remaining bytes arrive, is the third frame.
        let mut rest = stream[used..].to_vec();
        rest.extend(&third[4..]);
        assert_eq!(
            parse(&rest),
            Ok(Some((Frame::Binary(b"three"), third.len())))
        );
    }

    #[test]
    fn a_frame_split_at_every_byte_is_incomplete_until_whole() {
        let payload = vec![7_u8; 300];
        let frame = server_frame(opcode::BINARY, &payload);
        for cut in 0..frame.len() {
            assert_eq!(parse(&frame[..cut]), Ok(None), "cut at {cut}");
        }
        assert_eq!(
            parse(&frame),
            Ok(Some((Frame::Binary(&payload), frame.len())))
        );
    }

    #[test]
    fn reads_16_and_64_bit_lengths() {
        let payload = vec![1_u8; 126];
        let frame = server_frame(opcode::BINARY, &payload);
        assert_eq!(frame[1], LENGTH_16);
        assert_eq!(parse(&frame), Ok(Some((Frame::Binary(&payload), 4 + 126))));
        let payload = vec![2_u8; 0x1_0000];
        let frame = server_frame(opcode::BINARY, &payload);
        assert_eq!(frame[1], LENGTH_64);
        assert_eq!(
            parse(&frame),
            Ok(Some((Frame::Binary(&payload), 10 + 0x1_0000)))
        );
    }

    #[test]
    fn refuses_an_oversized_frame_from_its_header() {
        let mut header = vec![FIN | opcode::BINARY, LENGTH_64];
        header.extend_from_slice(&(MAX_FRAME_PAYLOAD as u64 + 1).to_be_bytes());
        assert_eq!(
            parse(&header),
            Err(FrameError::TooBig(MAX_FRAME_PAYLOAD as u64 + 1))
        );
        let mut header = vec![FIN | opcode::BINARY, LENGTH_64];
        header.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(parse(&header), Err(FrameError::TooBig(u64::MAX)));
    }

    #[test]
    fn reads_pings_pongs_and_closes() {
        assert_eq!(
            parse(&server_frame(opcode::PING, b"hi")),
            Ok(Some((Frame::Ping(b"hi"), 4)))
        );
        assert_eq!(
            parse(&server_frame(opcode::PONG, b"")),
            Ok(Some((Frame::Pong, 2)))
        );
        let mut payload = 1008_u16.to_be_bytes().to_vec();
        payload.extend_from_slice(b"too slow");
        assert_eq!(
            parse(&server_frame(opcode::CLOSE, &payload)),
            Ok(Some((Frame::Close(Some((1008, &b"too slow"[..]))), 12)))
        );
        assert_eq!(
            parse(&server_frame(opcode::CLOSE, b"")),
            Ok(Some((Frame::Close(None), 2)))
        );
        assert_eq!(
            parse(&server_frame(opcode::CLOSE, b"x")),
            Err(FrameError::ShortClose)
        );
        assert_eq!(
            parse(&server_frame(opcode::PING, &[0; 126])),
            Err(FrameError::LongControl(126))
        );
    }

    #[test]
    fn stops_where_the_callback_says() {
        let mut stream = server_frame(opcode::BINARY, b"id");
        stream.extend(server_frame(opcode::BINARY, b"later"));
        let used = parse_all(&stream, |_| ControlFlow::Break(())).expect("valid");
        assert_eq!(used, 4);
    }

    #[test]
    fn refuses_fragments_masks_reserved_bits_and_unknown_opcodes() {
        let mut start = server_frame(opcode::BINARY, b"part");
        start[0] &= !FIN;
        assert_eq!(parse(&start), Err(FrameError::Fragmented));
        let continuation = server_frame(opcode::CONTINUATION, b"rest");
        assert_eq!(parse(&continuation), Err(FrameError::Fragmented));
        let mut ping = server_frame(opcode::PING, b"");
        ping[0] &= !FIN;
        assert_eq!(parse(&ping), Err(FrameError::Fragmented));
        let mut masked = server_frame(opcode::BINARY, b"x");
        masked[1] |= MASK_BIT;
        assert_eq!(parse(&masked), Err(FrameError::Masked));
        let mut compressed = server_frame(opcode::BINARY, b"x");
        compressed[0] |= 0x40;
        assert_eq!(parse(&compressed), Err(FrameError::Reserved));
        assert_eq!(parse(&server_frame(0x3, b"")), Err(FrameError::Opcode(0x3)));
    }

    /// Undoes a client frame: opcode and unmasked payload.
    fn unmask(frame: &[u8]) -> (u8, Vec<u8>) {
        assert_ne!(frame[0] & FIN, 0);
        assert_ne!(frame[1] & MASK_BIT, 0);
        let (length, header) = match frame[1] & LENGTH_BITS {
            LENGTH_16 => (usize::from(u16::from_be_bytes([frame[2], frame[3]])), 4),
            LENGTH_64 => {
                let mut be = [0; 8];
                be.copy_from_slice(&frame[2..10]);
                (usize::try_from(u64::from_be_bytes(be)).expect("fits"), 10)
            }
            short => (usize::from(short), 2),
        };
        let mask = &frame[header..header + 4];
        let payload = &frame[header + 4..];
        assert_eq!(payload.len(), length);
        let plain = payload
            .iter()
            .zip(mask.iter().cycle())
            .map(|(b, k)| b ^ k)
            .collect();
        (frame[0] & OPCODE_BITS, plain)
    }

    #[test]
    fn client_frames_are_masked_with_the_right_length_form() {
        let mask = [0x12, 0x34, 0x56, 0x78];
        for size in [0, 1, 125, 126, 0xFFFF, 0x1_0000] {
            let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let mut out = Vec::new();
            put_client_frame(&mut out, opcode::BINARY, &payload, mask);
            assert_eq!(unmask(&out), (opcode::BINARY, payload), "size {size}");
        }
    }

    #[test]
    fn chat_packets_encode_as_prost_does() {
        for text in [
            "",
            "a",
            "b1:2:3:4:....",
            &"x".repeat(200),
            &"é".repeat(1000),
        ] {
            let mut out = Vec::new();
            put_chat_packet(&mut out, text);
            assert_eq!(out, Packet::chat(text).encode_to_vec(), "{text:?}");
        }
        assert_eq!(varint_length(0), 1);
        assert_eq!(varint_length(127), 1);
        assert_eq!(varint_length(128), 2);
        assert_eq!(varint_length(u64::MAX), 10);
    }

    #[test]
    fn join_packets_encode_as_prost_does() {
        for room in ["", "red", "日本語", &"r".repeat(200)] {
            let mut out = Vec::new();
            put_join_packet(&mut out, room);
            assert_eq!(out, Packet::join_room(room).encode_to_vec(), "{room:?}");
        }
    }

    #[test]
    fn views_rooms_and_presence_as_prost_decodes_them() {
        let room = Packet {
            sender_id: 0,
            msg: Some(Msg::Room(RoomMessage {
                room: "red".to_owned(),
                members: vec![
                    Member {
                        id: 3,
                        name: String::new(),
                    },
                    Member {
                        id: 1 << 40,
                        name: "ada".to_owned(),
                    },
                ],
                history: vec![
                    ChatLine {
                        sender_id: 3,
                        msg: "b1:0:0:5:".to_owned(),
                        sent_at_ms: 7,
                        sender_name: String::new(),
                    },
                    ChatLine {
                        sender_id: 9,
                        msg: String::new(),
                        sent_at_ms: -1,
                        sender_name: "bo".to_owned(),
                    },
                ],
                members_partial: true,
                ..RoomMessage::default()
            })),
        };
        let bytes = room.encode_to_vec();
        let Some(PacketView::Room(view)) = view_packet(&bytes) else {
            panic!("not a room: {:?}", view_packet(&bytes))
        };
        assert_eq!(view.name, "red");
        assert!(view.partial);
        let mut members = Vec::new();
        view.members(|id| members.push(id));
        assert_eq!(members, [3, 1 << 40]);
        let mut history = Vec::new();
        view.history(|text| history.push(text));
        assert_eq!(history, ["b1:0:0:5:", ""]);

        let empty = Packet {
            sender_id: 0,
            msg: Some(Msg::Room(RoomMessage::default())),
        };
        let bytes = empty.encode_to_vec();
        assert!(matches!(
            view_packet(&bytes),
            Some(PacketView::Room(RoomView { name: "", .. }))
        ));

        let who = ClientId::new(77).expect("non-zero");
        for joined in [true, false] {
            let bytes = Packet::presence_of(who, joined, "red", "ada").encode_to_vec();
            assert_eq!(
                view_packet(&bytes),
                Some(PacketView::Presence {
                    who: 77,
                    joined,
                    room: "red"
                })
            );
        }
        let list = Packet {
            sender_id: 0,
            msg: Some(Msg::RoomList(RoomListMessage {
                rooms: vec![RoomInfo {
                    name: "red".to_owned(),
                    members: 2,
                }],
            })),
        };
        assert_eq!(view_packet(&list.encode_to_vec()), Some(PacketView::Other));
        // A member whose ID has the wrong wire type makes the whole room malformed.
        let mut bad = vec![0xAA, 0x06, 0x04, 0x12, 0x02, 0x0A, 0x00];
        assert_eq!(view_packet(&bad), None);
        bad[5] = 0x08;
        assert!(matches!(view_packet(&bad), Some(PacketView::Room(_))));
    }

    #[test]
    fn views_server_packets_as_prost_decodes_them() {
        let id = ClientId::new(u64::MAX).expect("non-zero");
        let sender = ClientId::new(300).expect("non-zero");
        let cases = [
            (
                Packet::chat_from(sender, "b1:2:3:4:...."),
                PacketView::Chat("b1:2:3:4:...."),
            ),
            (Packet::chat_from(sender, ""), PacketView::Chat("")),
            (Packet::id_assignment(id), PacketView::Id(u64::MAX)),
            (Packet::deny("too fast"), PacketView::Deny("too fast")),
            (Packet::disconnect_of(sender, "left"), PacketView::Other),
            (Packet::default(), PacketView::Other),
        ];
        for (packet, view) in cases {
            assert_eq!(
                view_packet(&packet.encode_to_vec()),
                Some(view),
                "{packet:?}"
            );
        }
    }

    #[test]
    fn skips_unknown_fields_and_refuses_malformed_packets() {
        // Field 200 (varint), then field 201 (fixed32), then a chat: numbers no schema uses.
        let mut bytes = vec![0xC0, 0x0C, 0x05, 0xCD, 0x0C, 1, 2, 3, 4];
        bytes.extend(Packet::chat("hi").encode_to_vec());
        assert_eq!(view_packet(&bytes), Some(PacketView::Chat("hi")));
        // An unknown field after the chat does not hide it (prost keeps the chat too).
        let mut bytes = Packet::chat("hi").encode_to_vec();
        bytes.extend([0xC0, 0x0C, 0x05]);
        assert_eq!(
            Packet::decode(bytes.as_slice())
                .expect("prost decodes it")
                .msg,
            Packet::chat("hi").msg
        );
        assert_eq!(view_packet(&bytes), Some(PacketView::Chat("hi")));
        // A chat whose length runs past the end.
        assert_eq!(view_packet(&[0x12, 0x05, 0x0A]), None);
        // Invalid UTF-8 in the text.
        assert_eq!(view_packet(&[0x12, 0x03, 0x0A, 0x01, 0xFF]), None);
        // A varint that never ends.
        assert_eq!(view_packet(&[0x08, 0xFF, 0xFF]), None);
        // The chat field with the wrong wire type.
        assert_eq!(view_packet(&[0x10, 0x01]), None);
    }
}
