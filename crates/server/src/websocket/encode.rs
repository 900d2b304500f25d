//! Server-to-client frames. Server frames are unmasked, so one encoded frame is byte-for-byte
//! the same for every recipient: it is built once and shared as `Bytes`.

use bytes::{BufMut, Bytes, BytesMut};
use mmo_protocol::{Message, Packet};

use super::{MAX_CONTROL_PAYLOAD, Opcode};

/// A ping with no payload, shared by every connection.
pub static PING_FRAME: Bytes = Bytes::from_static(&[0x80 | 0x9, 0x00]);

/// Longest frame header: 2 bytes plus an 8-byte extended length.
const MAX_HEADER_LEN: usize = 10;

fn put_header(buf: &mut impl BufMut, opcode: Opcode, payload_len: usize) {
    buf.put_u8(0x80 | opcode.bits());
    if let Ok(short @ 0..=125) = u8::try_from(payload_len) {
        buf.put_u8(short);
    } else if let Ok(medium) = u16::try_from(payload_len) {
        buf.put_u8(126);
        buf.put_u16(medium);
    } else {
        buf.put_u8(127);
        buf.put_u64(payload_len as u64);
    }
}

/// Appends the header of a binary frame of `payload_len` bytes to `buf`, for a caller that
/// appends the payload itself (a world's tick frames its updates back to back in one buffer).
pub fn put_binary_header(buf: &mut Vec<u8>, payload_len: usize) {
    put_header(buf, Opcode::Binary, payload_len);
}

/// One binary frame carrying exactly one encoded `Packet`.
pub fn encode_packet_frame(packet: &Packet) -> Bytes {
    let payload_len = packet.encoded_len();
    let mut buf = BytesMut::with_capacity(MAX_HEADER_LEN + payload_len);
    put_header(&mut buf, Opcode::Binary, payload_len);
    packet.encode_into(&mut buf);
    buf.freeze()
}

/// A data frame (text or binary) carrying `payload` as it is.
pub fn data_frame(text: bool, payload: &[u8]) -> Bytes {
    let mut buf = BytesMut::with_capacity(MAX_HEADER_LEN + payload.len());
    let opcode = if text { Opcode::Text } else { Opcode::Binary };
    put_header(&mut buf, opcode, payload.len());
    buf.put_slice(payload);
    buf.freeze()
}

/// A close frame with `code` and `reason`; the reason is cut at a character boundary to fit the
/// 123 bytes a control frame leaves for it.
pub fn close_frame(code: u16, reason: &str) -> Bytes {
    let mut end = reason.len().min(MAX_CONTROL_PAYLOAD - 2);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let reason = &reason[..end];
    let mut buf = BytesMut::with_capacity(4 + reason.len());
    put_header(&mut buf, Opcode::Close, 2 + reason.len());
    buf.put_u16(code);
    buf.put_slice(reason.as_bytes());
    buf.freeze()
}

/// The pong answering a ping with this payload (at most 125 bytes, checked on decode).
pub fn pong_frame(payload: &[u8]) -> Bytes {
    let mut buf = BytesMut::with_capacity(2 + payload.len());
    put_header(&mut buf, Opcode::Pong, payload.len());
    buf.put_slice(payload);
    buf.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_protocol::ClientId;

    #[test]
    fn packet_frame_is_header_then_exactly_the_packet() {
        let packet = Packet::chat_from(ClientId::new(69).expect("non-zero"), "Hello, world!");
        let frame = encode_packet_frame(&packet);
        assert_eq!(&frame[..2], &[0x82, 19]);
        assert_eq!(&frame[2..], packet.encode_to_vec().as_slice());
    }

    #[test]
    fn lengths_use_the_shortest_encoding() {
        let medium = Packet::chat("x".repeat(200));
        let frame = encode_packet_frame(&medium);
        assert_eq!(frame[1], 126);
        assert_eq!(
            usize::from(u16::from_be_bytes([frame[2], frame[3]])),
            frame.len() - 4
        );
        let large = Packet::chat("x".repeat(70_000));
        let frame = encode_packet_frame(&large);
        assert_eq!(frame[1], 127);
        assert_eq!(frame.len() - 10, large.encoded_len());
    }

    #[test]
    fn close_reason_is_cut_at_a_character_boundary() {
        let frame = close_frame(1008, &"é".repeat(100));
        assert!(frame.len() <= 2 + MAX_CONTROL_PAYLOAD);
        assert_eq!(&frame[2..4], &1008u16.to_be_bytes());
        assert!(std::str::from_utf8(&frame[4..]).is_ok());
    }
}
