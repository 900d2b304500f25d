//! What a client has shown it understands, so that it is never sent a field it does not know.

/// How much of the protocol a client has shown it knows, by the field numbers it has sent.
///
/// The tutorial's Godot clients decode with Godobuf code that does not skip an unknown field:
/// it skips the tag, then reads the field's bytes as new tags, so one unknown field can set a
/// wrong `sender_id` or look like an `IdMessage`. A server therefore sends each client only the
/// fields of its level, which only ever rises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Level {
    /// Has sent only fields 1–3 (the tutorial's part 3): gets only fields 1–3.
    #[default]
    Part3 = 0,
    /// Has sent a field 4–19 (a later part of the tutorial): also gets fields 4–19.
    Tutorial = 1,
    /// Has sent a field of 100 or above (this project's own messages): gets everything.
    Full = 2,
}

impl Level {
    /// The level needed to understand `Packet` field `number`, and shown by sending it.
    pub fn of_field(number: u32) -> Self {
        match number {
            0..=3 => Self::Part3,
            4..=99 => Self::Tutorial,
            _ => Self::Full,
        }
    }

    /// The level with this `as u8` value; unknown values are the lowest level.
    pub fn from_u8(value: u8) -> Self {
        match value {
            2 => Self::Full,
            1 => Self::Tutorial,
            _ => Self::Part3,
        }
    }
}

/// The highest field number among the top-level fields of an encoded `Packet`, known to this
/// schema or not, or `None` when the bytes are not well-formed protobuf (or hold no field).
/// Reads only tags and lengths: a chat costs two tag reads.
pub fn highest_field_number(mut bytes: &[u8]) -> Option<u32> {
    let mut highest = None;
    while !bytes.is_empty() {
        let key = read_varint(&mut bytes)?;
        let number = u32::try_from(key >> 3).ok().filter(|n| *n > 0)?;
        match key & 7 {
            0 => {
                read_varint(&mut bytes)?;
            }
            1 => bytes = bytes.get(8..)?,
            2 => {
                let len = usize::try_from(read_varint(&mut bytes)?).ok()?;
                bytes = bytes.get(len..)?;
            }
            5 => bytes = bytes.get(4..)?,
            // Groups (3, 4) are not used by proto3 schemas; anything else is malformed.
            _ => return None,
        }
        highest = highest.max(Some(number));
    }
    highest
}

fn read_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Message as _, Packet};

    #[test]
    fn levels_follow_the_numbering_rule() {
        assert_eq!(Level::of_field(1), Level::Part3);
        assert_eq!(Level::of_field(3), Level::Part3);
        assert_eq!(Level::of_field(4), Level::Tutorial);
        assert_eq!(Level::of_field(19), Level::Tutorial);
        // Kept for the tutorial's later parts, as docs/protocol.md says.
        assert_eq!(Level::of_field(20), Level::Tutorial);
        assert_eq!(Level::of_field(99), Level::Tutorial);
        assert_eq!(Level::of_field(100), Level::Full);
        assert!(Level::Part3 < Level::Tutorial && Level::Tutorial < Level::Full);
        for level in [Level::Part3, Level::Tutorial, Level::Full] {
            assert_eq!(Level::from_u8(level as u8), level);
        }
    }

    #[test]
    fn finds_the_highest_field_of_known_and_unknown_fields() {
        // The tutorial client's chat: `12 LEN 0a LEN text`.
        assert_eq!(
            highest_field_number(&[0x12, 0x04, 0x0a, 0x02, b'h', b'i']),
            Some(2)
        );
        assert_eq!(
            highest_field_number(&Packet::join_room("").encode_to_vec()),
            Some(100)
        );
        // Field 9 (PlayerDirectionMessage) as a fixed64 double.
        let mut direction = vec![0x49];
        direction.extend(1.5f64.to_le_bytes());
        assert_eq!(highest_field_number(&direction), Some(9));
        // sender_id (1), then field 4 (a login), then a chat (2): the highest wins.
        assert_eq!(
            highest_field_number(&[0x08, 0x05, 0x22, 0x00, 0x12, 0x00]),
            Some(4)
        );
        assert_eq!(highest_field_number(&[]), None);
        assert_eq!(
            highest_field_number(&[0x12, 0x05, 0x0a]),
            None,
            "length past the end"
        );
        assert_eq!(highest_field_number(&[0x00, 0x01]), None, "field 0");
        assert_eq!(
            highest_field_number(&[0x08, 0xFF]),
            None,
            "unfinished varint"
        );
    }
}
