//! The bench's chat text: `b<phase>:<sender>:<seq>:<unix-nanos>:` then padding to the payload
//! size, so every receiver can tell who sent a line, which one it was, and how long it took.

use std::fmt::Write as _;

/// A bench sender's index, 0..senders, the same in every worker process. The server's client
/// IDs cannot serve: they are only known after connecting, and differ from run to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SenderIndex(pub u32);

/// What a bench line carries besides padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Which measurement phase sent it, so lines that arrive after their phase ended are not
    /// counted in the next one.
    pub phase: u32,
    /// Who sent it.
    pub sender: SenderIndex,
    /// Its number in the sender's sequence for this phase, from 0.
    pub seq: u64,
    /// When it was written to the socket, in nanoseconds since the Unix epoch. (Not when it
    /// was due: tokio's millisecond timer would add up to a millisecond of the bench's own
    /// making to every line. How far senders fall behind the schedule is reported separately.)
    pub sent_unix_nanos: u64,
}

/// The padding character: ASCII, so one byte is one character for the server's length limits.
const PADDING: char = '.';

/// Longest the stamp part can be: 'b', four numbers of at most 20 digits and four colons.
pub const MAX_STAMP_BYTES: usize = 1 + 4 * 20 + 4;

impl Stamp {
    /// Writes this stamp into `text` (replacing what it held), padded to `payload_bytes` bytes.
    /// A payload smaller than the stamp is just the stamp.
    pub fn write_padded(&self, payload_bytes: usize, text: &mut String) {
        text.clear();
        // Writing to a String cannot fail.
        let _ = write!(
            text,
            "b{}:{}:{}:{}:",
            self.phase, self.sender.0, self.seq, self.sent_unix_nanos
        );
        let padding = payload_bytes.saturating_sub(text.len());
        text.extend(std::iter::repeat_n(PADDING, padding));
    }

    /// Reads the stamp from a bench line; `None` for any other text (someone else chatting).
    /// Every receiver runs this on every line, so it walks the bytes once rather than split
    /// the text and parse each part.
    pub fn parse(text: &str) -> Option<Self> {
        let mut rest = text.as_bytes().strip_prefix(b"b")?;
        let phase = u32::try_from(take_field(&mut rest)?).ok()?;
        let sender = SenderIndex(u32::try_from(take_field(&mut rest)?).ok()?);
        let seq = take_field(&mut rest)?;
        // The colon after the time, before the padding, proves the stamp was complete.
        let sent_unix_nanos = take_field(&mut rest)?;
        Some(Self {
            phase,
            sender,
            seq,
            sent_unix_nanos,
        })
    }
}

/// Reads a decimal number and the colon after it from the start of `rest`.
fn take_field(rest: &mut &[u8]) -> Option<u64> {
    let mut value = 0_u64;
    for (i, &byte) in rest.iter().enumerate() {
        match byte {
            b'0'..=b'9' => {
                value = value.checked_mul(10)?.checked_add(u64::from(byte - b'0'))?;
            }
            b':' if i > 0 => {
                *rest = &rest[i + 1..];
                return Some(value);
            }
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp() -> Stamp {
        Stamp {
            phase: 2,
            sender: SenderIndex(7),
            seq: 41,
            sent_unix_nanos: 1_700_000_000_123_456_789,
        }
    }

    #[test]
    fn round_trips_and_pads_to_the_payload_size() {
        let mut text = String::new();
        stamp().write_padded(64, &mut text);
        assert_eq!(text.len(), 64);
        assert!(text.starts_with("b2:7:41:1700000000123456789:..."));
        assert_eq!(Stamp::parse(&text), Some(stamp()));
    }

    #[test]
    fn a_small_payload_is_just_the_stamp() {
        let mut text = String::from("old contents");
        stamp().write_padded(1, &mut text);
        assert_eq!(text, "b2:7:41:1700000000123456789:");
        assert_eq!(Stamp::parse(&text), Some(stamp()));
    }

    #[test]
    fn the_largest_stamp_fits_the_bound() {
        let mut text = String::new();
        let largest = Stamp {
            phase: u32::MAX,
            sender: SenderIndex(u32::MAX),
            seq: u64::MAX,
            sent_unix_nanos: u64::MAX,
        };
        largest.write_padded(0, &mut text);
        assert!(text.len() <= MAX_STAMP_BYTES);
        assert_eq!(Stamp::parse(&text), Some(largest));
    }

    #[test]
    fn other_chat_is_not_a_stamp() {
        for text in [
            "hello",
            "b",
            "b1:2:3",
            "b1:2:3:4",
            "bx:2:3:4:",
            "b1:2:3:-4:..",
            "b1::3:4:",
            "b4294967296:2:3:4:",
            "b1:2:3:18446744073709551616:",
            "",
        ] {
            assert_eq!(Stamp::parse(text), None, "{text:?}");
        }
    }
}
