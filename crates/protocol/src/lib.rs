//! The mmo wire protocol: the `Packet` types generated from `proto/packets.proto`, typed IDs,
//! encoding helpers and the validation rules every server and client agrees on. No I/O.

use std::fmt;
use std::num::NonZeroU64;

use bytes::BytesMut;
pub use prost::Message;

/// Types generated at build time from `proto/packets.proto`.
#[allow(missing_docs, unreachable_pub, clippy::all)]
pub mod packets {
    include!(concat!(env!("OUT_DIR"), "/packets.rs"));
}

mod level;

pub use level::{Level, highest_field_number};
pub use packets::packet::Msg;
pub use packets::{
    ChatLine, ChatMessage, DenyResponseMessage, DisconnectMessage, IdMessage, JoinRoomMessage,
    LoginRequestMessage, Member, MemberListMessage, MemberListRequestMessage, OkResponseMessage,
    Packet, PresenceBatchMessage, PresenceMessage, RegisterRequestMessage, RoomInfo,
    RoomListMessage, RoomListRequestMessage, RoomMessage,
};

/// The ID the server gives a connected client: 1, 2, 3… in connection order, never reused
/// while the server runs. Zero is never an ID; on the wire it means "not set".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(NonZeroU64);

impl ClientId {
    /// The ID with this wire value, or `None` for 0.
    pub fn new(value: u64) -> Option<Self> {
        NonZeroU64::new(value).map(Self)
    }

    /// The value as it travels in `Packet.sender_id` and `IdMessage.id`.
    pub fn get(self) -> u64 {
        self.0.get()
    }
}

impl From<NonZeroU64> for ClientId {
    fn from(value: NonZeroU64) -> Self {
        Self(value)
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Packet {
    /// The first packet on every connection: tells the client its ID.
    pub fn id_assignment(id: ClientId) -> Self {
        Self {
            sender_id: id.get(),
            msg: Some(Msg::Id(IdMessage { id: id.get() })),
        }
    }

    /// A chat line from `sender`, as relayed to the other clients.
    pub fn chat_from(sender: ClientId, text: impl Into<String>) -> Self {
        Self {
            sender_id: sender.get(),
            msg: Some(Msg::Chat(ChatMessage { msg: text.into() })),
        }
    }

    /// A chat line as a client sends it (`sender_id` 0: the server decides who sent it).
    pub fn chat(text: impl Into<String>) -> Self {
        Self {
            sender_id: 0,
            msg: Some(Msg::Chat(ChatMessage { msg: text.into() })),
        }
    }

    /// The server's refusal of something this client asked for, with a reason for the player.
    pub fn deny(reason: impl Into<String>) -> Self {
        Self {
            sender_id: 0,
            msg: Some(Msg::DenyResponse(DenyResponseMessage {
                reason: reason.into(),
            })),
        }
    }

    /// Tells the other clients that `who` left, and why.
    pub fn disconnect_of(who: ClientId, reason: impl Into<String>) -> Self {
        Self {
            sender_id: who.get(),
            msg: Some(Msg::Disconnect(DisconnectMessage {
                reason: reason.into(),
            })),
        }
    }

    /// A client's request to move to `room` (`""` means the lobby).
    pub fn join_room(room: impl Into<String>) -> Self {
        Self {
            sender_id: 0,
            msg: Some(Msg::JoinRoom(JoinRoomMessage { room: room.into() })),
        }
    }

    /// A client's request for the list of rooms.
    pub fn room_list_request() -> Self {
        Self {
            sender_id: 0,
            msg: Some(Msg::RoomListRequest(RoomListRequestMessage {})),
        }
    }

    /// Tells a room's members that `who` entered (`joined`) or left `room`.
    pub fn presence_of(who: ClientId, joined: bool, room: &str, name: &str) -> Self {
        Self {
            sender_id: who.get(),
            msg: Some(Msg::Presence(PresenceMessage {
                joined,
                room: room.to_owned(),
                name: name.to_owned(),
            })),
        }
    }

    /// The server's acceptance of a request of this client.
    pub fn ok() -> Self {
        Self {
            sender_id: 0,
            msg: Some(Msg::OkResponse(OkResponseMessage {})),
        }
    }

    /// The sender as a typed ID, or `None` when the packet carries 0.
    pub fn sender(&self) -> Option<ClientId> {
        ClientId::new(self.sender_id)
    }

    /// The level a client must have reached to be sent this packet (see `Level`).
    pub fn level(&self) -> Level {
        self.msg.as_ref().map_or(Level::Part3, Msg::level)
    }

    /// Appends exactly this packet's encoding to `buf` (no delimiter, no trailing byte).
    pub fn encode_into(&self, buf: &mut BytesMut) {
        // Lack of room is the only way encoding fails, and BytesMut grows, so this cannot fail.
        let encoded = self.encode(buf);
        debug_assert!(encoded.is_ok(), "BytesMut always has room");
    }
}

impl Msg {
    /// The `Packet` field number this message travels in.
    pub fn field_number(&self) -> u32 {
        match self {
            Self::Chat(_) => 2,
            Self::Id(_) => 3,
            Self::LoginRequest(_) => 4,
            Self::RegisterRequest(_) => 5,
            Self::OkResponse(_) => 6,
            Self::DenyResponse(_) => 7,
            Self::Player(_) => 8,
            Self::PlayerDirection(_) => 9,
            Self::Spore(_) => 10,
            Self::SporeConsumed(_) => 11,
            Self::SporesBatch(_) => 12,
            Self::PlayerConsumed(_) => 13,
            Self::HiscoreBoardRequest(_) => 14,
            Self::Hiscore(_) => 15,
            Self::HiscoreBoard(_) => 16,
            Self::FinishedBrowsingHiscores(_) => 17,
            Self::SearchHiscore(_) => 18,
            Self::Disconnect(_) => 19,
            Self::JoinRoom(_) => 100,
            Self::Room(_) => 101,
            Self::Presence(_) => 102,
            Self::RoomListRequest(_) => 103,
            Self::RoomList(_) => 104,
            Self::EnterWorld(_) => 105,
            Self::WorldEntered(_) => 106,
            Self::LeaveWorld(_) => 107,
            Self::WorldLeft(_) => 108,
            Self::WorldUpdate(_) => 109,
            Self::PresenceBatch(_) => 120,
            Self::MemberListRequest(_) => 121,
            Self::MemberList(_) => 122,
        }
    }

    /// The level a client must have reached to be sent this message.
    pub fn level(&self) -> Level {
        Level::of_field(self.field_number())
    }
}

/// Why bytes received from a peer are not a `Packet`.
#[derive(Debug, thiserror::Error)]
#[error("not a valid Packet: {0}")]
pub struct DecodeError(#[from] prost::DecodeError);

/// Decodes exactly one `Packet` from one WebSocket message.
pub fn decode_packet(bytes: &[u8]) -> Result<Packet, DecodeError> {
    Ok(Packet::decode(bytes)?)
}

/// The limits a chat line must respect to be relayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChatLimits {
    /// Most UTF-8 bytes in one chat line.
    pub max_bytes: usize,
    /// Most characters (Unicode scalar values) in one chat line.
    pub max_chars: usize,
}

impl Default for ChatLimits {
    /// 500 characters is a few lines in any chat box; 2,000 bytes leaves room for four-byte
    /// characters (emoji) at that length.
    fn default() -> Self {
        Self {
            max_bytes: 2_000,
            max_chars: 500,
        }
    }
}

/// Why a chat line was not relayed; `Display` is the text sent to the client.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChatRejection {
    /// The line has no visible characters.
    #[error("chat message is empty")]
    Empty,
    /// The line is longer than `ChatLimits::max_bytes`.
    #[error("chat message is {len} bytes; the limit is {max} bytes")]
    TooManyBytes {
        /// Length of the rejected line in bytes.
        len: usize,
        /// The limit it broke.
        max: usize,
    },
    /// The line has more characters than `ChatLimits::max_chars`.
    #[error("chat message is {len} characters; the limit is {max} characters")]
    TooManyChars {
        /// Length of the rejected line in characters.
        len: usize,
        /// The limit it broke.
        max: usize,
    },
    /// The line holds a control character other than tab or newline. Such characters do
    /// nothing useful in a chat log, and U+0000 is where string decoders disagree (Godot's
    /// `get_string_from_utf8` stops at it), so they are refused rather than relayed.
    #[error("chat message contains the control character U+{code_point:04X}")]
    ControlCharacter {
        /// The first such character.
        code_point: u32,
    },
}

impl ChatLimits {
    /// Checks a chat line against these limits. Valid UTF-8 is already guaranteed by decoding.
    pub fn check(&self, text: &str) -> Result<(), ChatRejection> {
        if text.len() > self.max_bytes {
            return Err(ChatRejection::TooManyBytes {
                len: text.len(),
                max: self.max_bytes,
            });
        }
        // A line has at most as many characters as bytes: count only when that could matter.
        if text.len() > self.max_chars {
            let chars = text.chars().count();
            if chars > self.max_chars {
                return Err(ChatRejection::TooManyChars {
                    len: chars,
                    max: self.max_chars,
                });
            }
        }
        let mut blank = true;
        for c in text.chars() {
            if c.is_control() && c != '\t' && c != '\n' {
                return Err(ChatRejection::ControlCharacter {
                    code_point: u32::from(c),
                });
            }
            blank &= c.is_whitespace();
        }
        if blank {
            return Err(ChatRejection::Empty);
        }
        Ok(())
    }
}

/// The room every client starts in, and the one `JoinRoomMessage{room: ""}` means.
pub const LOBBY: &str = "lobby";

/// How many characters of a refused room name the refusal repeats: enough to recognise it,
/// while a name of any length (up to `max_message_bytes`) gets an answer of about the same
/// small size.
pub const SHOWN_NAME_CHARS: usize = 40;

/// Why a room name is refused; `Display` is the text sent to the client.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("room name {shown:?} is not allowed: {problem}")]
pub struct BadRoomName {
    /// The name as the client sent it, cut to its first `SHOWN_NAME_CHARS` characters (then
    /// `…`).
    pub shown: String,
    /// What is wrong with it.
    pub problem: NameProblem,
}

/// What is wrong with a refused room name; `Display` ends the refusal's text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameProblem {
    /// Too long, or a character that is not a letter, a digit, `-`, `_` or `.` (or a letter
    /// Unicode does not recommend for identifiers: UTS #39's General Security Profile).
    #[error("use 1 to {max_chars} letters, digits, '-', '_' or '.'")]
    Characters {
        /// The longest name allowed, in characters.
        max_chars: usize,
    },
    /// An invisible character (Hangul fillers, zero-width characters, …): two names that
    /// differ only by it would look the same, and a name of only such characters is blank.
    #[error("it holds an invisible character (U+{:04X})", u32::from(*.0))]
    Invisible(char),
    /// Not in its Unicode NFKC form: fullwidth letters, the Kelvin sign, ligatures,
    /// decomposed accents or Hangul are look-alike spellings of the name given.
    #[error("it is a look-alike spelling of {0:?}; use {0:?}")]
    NotCanonical(String),
    /// Letters of scripts that are not used together (Latin with Cyrillic or Greek, …), as
    /// in a Latin name with one Cyrillic letter.
    #[error(
        "it mixes letters of scripts that look alike (such as Latin and Cyrillic); use one script"
    )]
    MixedScripts,
    /// Written without Latin letters, but reads as this name in Latin letters and digits.
    #[error("it looks like {0:?}; use {0:?} or letters that do not look Latin")]
    LooksLike(String),
}

/// The room a `JoinRoomMessage` asks for: `""` is the lobby; any other name must be 1 to
/// `max_chars` characters, each a letter or digit or one of `-`, `_`, `.`, so that a name reads
/// the same in every client and log, and two names that read the same are the same name:
///
/// - no invisible characters (Unicode's default-ignorable code points, such as the Hangul
///   fillers U+3164, U+115F, U+1160, U+FFA0 and the zero-width characters);
/// - in NFKC form: a name with a compatibility or decomposed spelling (fullwidth `ｌｏｂｂｙ`,
///   the Kelvin sign, decomposed Hangul) is refused naming the spelling to use (`lobby`), so
///   each room has one spelling. NFKC rather than NFC: NFC leaves fullwidth letters, ligatures
///   and circled digits as they are, and they read as the plain ones;
/// - letters only of kinds UTS #39 allows in identifiers, from one script (Latin may go with
///   Han, Kana or Hangul, as Japanese and Korean are written), so a Cyrillic `о` cannot pose as
///   a Latin `o` in `lоbby`;
/// - a name without Latin letters must not read as a Latin name (its UTS #39 confusable
///   skeleton is not plain ASCII letters and digits), so Cyrillic `аре` cannot pose as `ape`.
///
/// Case is kept: `Lobby` is not `lobby`.
pub fn room_name(requested: &str, max_chars: usize) -> Result<&str, BadRoomName> {
    if requested.is_empty() {
        return Ok(LOBBY);
    }
    match name_problem(requested, max_chars) {
        None => Ok(requested),
        Some(problem) => Err(BadRoomName {
            shown: shown_name(requested),
            problem,
        }),
    }
}

/// The first `SHOWN_NAME_CHARS` characters of `name`, then `…` if there were more.
fn shown_name(name: &str) -> String {
    let mut shown: String = name.chars().take(SHOWN_NAME_CHARS).collect();
    if shown.len() < name.len() {
        shown.push('…');
    }
    shown
}

/// What is wrong with a non-empty room name, if anything; see `room_name`.
fn name_problem(name: &str, max_chars: usize) -> Option<NameProblem> {
    use unicode_normalization::UnicodeNormalization as _;
    use unicode_security::{GeneralSecurityProfile as _, RestrictionLevel};
    use unicode_security::{RestrictionLevelDetection as _, general_security_profile};

    let characters = NameProblem::Characters { max_chars };
    // Counted only as far as the limit: a 64 KiB name costs no more than a long one.
    if name.chars().take(max_chars + 1).count() > max_chars {
        return Some(characters);
    }
    let invisible = |c: char| {
        c.identifier_type() == Some(general_security_profile::IdentifierType::Default_Ignorable)
            || matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}')
    };
    if let Some(c) = name.chars().find(|c| invisible(*c)) {
        return Some(NameProblem::Invisible(c));
    }
    if !unicode_normalization::is_nfkc(name) {
        let canonical: String = name.nfkc().collect();
        return Some(match name_problem(&canonical, max_chars) {
            None => NameProblem::NotCanonical(canonical),
            Some(_) => characters,
        });
    }
    let marks = |c: char| matches!(c, '-' | '_' | '.');
    let allowed = |c: char| marks(c) || (c.is_alphanumeric() && c.identifier_allowed());
    if !name.chars().all(allowed) {
        return Some(characters);
    }
    let letters: String = name.chars().filter(|c| !marks(*c)).collect();
    if !letters
        .as_str()
        .check_restriction_level(RestrictionLevel::HighlyRestrictive)
    {
        return Some(NameProblem::MixedScripts);
    }
    if !name.is_ascii() && !name.chars().any(|c| c.is_ascii_alphabetic()) {
        let skeleton: String = unicode_security::skeleton(name).collect();
        if skeleton
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || marks(c))
        {
            return Some(NameProblem::LooksLike(skeleton));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(name: &str) -> NameProblem {
        room_name(name, 32).expect_err("refused").problem
    }

    #[test]
    fn invisible_characters_are_refused_naming_them() {
        for (name, invisible) in [
            ("\u{3164}", '\u{3164}'),
            ("lobby\u{3164}", '\u{3164}'),
            ("a\u{115F}", '\u{115F}'),
            ("a\u{1160}b", '\u{1160}'),
            ("\u{FFA0}", '\u{FFA0}'),
            ("lob\u{200B}by", '\u{200B}'),
            ("lobby\u{200D}", '\u{200D}'),
            ("\u{FEFF}lobby", '\u{FEFF}'),
            ("lob\u{AD}by", '\u{AD}'),
            ("lobby\u{2060}", '\u{2060}'),
        ] {
            assert_eq!(refused(name), NameProblem::Invisible(invisible), "{name:?}");
        }
        assert_eq!(
            room_name("lobby\u{3164}", 32)
                .expect_err("refused")
                .to_string(),
            "room name \"lobby\u{3164}\" is not allowed: it holds an invisible character (U+3164)"
        );
    }

    #[test]
    fn look_alike_spellings_are_refused_naming_the_one_to_use() {
        for (name, canonical) in [
            ("ｌｏｂｂｙ", "lobby"),
            ("\u{212A}", "K"),
            ("\u{1112}\u{1161}\u{11AB}", "\u{D55C}"),
            ("cafe\u{301}", "caf\u{E9}"),
            ("\u{FB01}re", "fire"),
            ("team\u{2460}", "team1"),
        ] {
            assert_eq!(
                refused(name),
                NameProblem::NotCanonical(canonical.to_owned()),
                "{name:?}"
            );
            assert_eq!(room_name(canonical, 32), Ok(canonical), "{canonical:?}");
        }
        assert_eq!(
            room_name("ｌｏｂｂｙ", 32)
                .expect_err("refused")
                .to_string(),
            "room name \"ｌｏｂｂｙ\" is not allowed: it is a look-alike spelling of \"lobby\"; \
             use \"lobby\""
        );
    }

    #[test]
    fn letters_of_scripts_that_look_alike_are_not_mixed() {
        // A Cyrillic о in a Latin name.
        assert_eq!(refused("l\u{43E}bby"), NameProblem::MixedScripts);
        // A Greek ο.
        assert_eq!(refused("rob\u{3BF}t"), NameProblem::MixedScripts);
        // Japanese and Korean are written with Latin letters among theirs.
        for name in [
            "東京2024",
            "ゲームroom",
            "서울-team",
            "日本語",
            "Москва",
            "αθήνα",
        ] {
            assert_eq!(room_name(name, 32), Ok(name), "{name:?}");
        }
    }

    #[test]
    fn a_name_that_reads_as_a_latin_one_is_refused_naming_it() {
        // Cyrillic а, р, е.
        assert_eq!(
            refused("\u{430}\u{440}\u{435}"),
            NameProblem::LooksLike("ape".to_owned())
        );
        assert_eq!(
            room_name("\u{430}\u{440}\u{435}", 32)
                .expect_err("refused")
                .to_string(),
            "room name \"аре\" is not allowed: it looks like \"ape\"; use \"ape\" or letters \
             that do not look Latin"
        );
        // The price: a real word made only of such letters.
        assert_eq!(
            refused("\u{440}\u{443}\u{441}"),
            NameProblem::LooksLike("pyc".to_owned())
        );
        // Latin with accents stays itself, and so do names with Latin letters.
        for name in ["café", "kırmızı", "Straße", "ape"] {
            assert_eq!(room_name(name, 32), Ok(name), "{name:?}");
        }
    }

    #[test]
    fn a_refusal_repeats_only_the_start_of_a_long_name() {
        let huge = "\u{1}".repeat(65_536);
        let refusal = room_name(&huge, 32).expect_err("refused").to_string();
        assert!(refusal.len() < 400, "{} bytes", refusal.len());
        assert!(
            refusal.starts_with(&format!("room name \"{}…\"", "\\u{1}".repeat(40))),
            "{refusal}"
        );
        let exact = "x".repeat(40);
        let shown = room_name(&format!("{exact} "), 32)
            .expect_err("refused")
            .shown;
        assert_eq!(shown, format!("{exact}…"));
        let short = room_name("a b", 32).expect_err("refused").shown;
        assert_eq!(short, "a b");
    }

    #[test]
    fn room_names_are_letters_digits_and_three_marks() {
        assert_eq!(room_name("", 32), Ok(LOBBY));
        assert_eq!(room_name("red-team_2.0", 32), Ok("red-team_2.0"));
        assert_eq!(room_name("日本語", 3), Ok("日本語"));
        let too_long = "x".repeat(33);
        for bad in ["with space", "tab\t", "a/b", &too_long, "\u{202e}x", "<b>"] {
            assert!(room_name(bad, 32).is_err(), "{bad:?}");
        }
        assert_eq!(
            room_name("a b", 32).expect_err("refused").to_string(),
            "room name \"a b\" is not allowed: use 1 to 32 letters, digits, '-', '_' or '.'"
        );
    }

    fn id(n: u64) -> ClientId {
        ClientId::new(n).expect("non-zero")
    }

    #[test]
    fn encodes_the_documented_example_exactly() {
        let bytes = Packet::chat_from(id(69), "Hello, world!").encode_to_vec();
        let expected = [
            0x08, 0x45, 0x12, 0x0f, 0x0a, 0x0d, b'H', b'e', b'l', b'l', b'o', b',', b' ', b'w',
            b'o', b'r', b'l', b'd', b'!',
        ];
        assert_eq!(bytes, expected);
    }

    #[test]
    fn decodes_what_the_godot_client_sends() {
        // sender_id 0 is omitted by proto3, so a Godot chat is `12 LEN 0a LEN text`.
        let packet = decode_packet(&[0x12, 0x04, 0x0a, 0x02, b'h', b'i']).expect("valid");
        assert_eq!(packet, Packet::chat("hi"));
        assert_eq!(packet.sender(), None);
    }

    #[test]
    fn rejects_a_stray_trailing_byte() {
        // The tutorial server appended 0x0A after every packet; a strict decoder must refuse it.
        let mut bytes = Packet::chat_from(id(1), "x").encode_to_vec();
        bytes.push(0x0a);
        assert!(decode_packet(&bytes).is_err());
    }

    #[test]
    fn encode_into_writes_exactly_one_packet() {
        let packet = Packet::id_assignment(id(7));
        let mut buf = BytesMut::new();
        packet.encode_into(&mut buf);
        assert_eq!(buf, packet.encode_to_vec());
        assert_eq!(decode_packet(&buf).expect("valid"), packet);
    }

    #[test]
    fn client_id_zero_is_not_an_id() {
        assert_eq!(ClientId::new(0), None);
        assert_eq!(id(3).to_string(), "3");
    }

    #[test]
    fn chat_limits_count_bytes_and_characters() {
        let limits = ChatLimits {
            max_bytes: 8,
            max_chars: 3,
        };
        assert_eq!(limits.check("abc"), Ok(()));
        assert_eq!(
            limits.check("abcd"),
            Err(ChatRejection::TooManyChars { len: 4, max: 3 })
        );
        // Three emoji are three characters but twelve bytes.
        assert_eq!(
            limits.check("😀😀😀"),
            Err(ChatRejection::TooManyBytes { len: 12, max: 8 })
        );
        assert_eq!(limits.check("  "), Err(ChatRejection::Empty));
        assert_eq!(limits.check(""), Err(ChatRejection::Empty));
    }

    #[test]
    fn chat_refuses_control_characters_but_keeps_tabs_and_newlines() {
        let limits = ChatLimits::default();
        assert_eq!(limits.check("a\tb\nc"), Ok(()));
        assert_eq!(
            limits.check("a\0b"),
            Err(ChatRejection::ControlCharacter { code_point: 0 })
        );
        assert_eq!(
            limits.check("bell\u{7}"),
            Err(ChatRejection::ControlCharacter { code_point: 7 })
        );
        assert_eq!(
            ChatRejection::ControlCharacter { code_point: 0x1b }.to_string(),
            "chat message contains the control character U+001B"
        );
    }
}
