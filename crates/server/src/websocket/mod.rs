//! The WebSocket protocol (RFC 6455), server side: the opening handshake, frame decoding with
//! limits checked before buffering, and frame encoding into shareable buffers.

mod decode;
mod encode;
mod handshake;

pub use decode::{FrameDecoder, ProtocolError, WsEvent};
pub use encode::{
    PING_FRAME, close_frame, data_frame, encode_packet_frame, pong_frame, put_binary_header,
};
pub use handshake::{HandshakeError, UpgradeRequest};

/// The path WebSocket clients connect to; every other path serves plain HTTP.
pub const WEBSOCKET_PATH: &str = "/ws";

/// Close codes the server sends (RFC 6455 §7.4.1), by what went wrong.
pub mod close_code {
    /// The session ended normally.
    pub const NORMAL: u16 = 1000;
    /// The server is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// The client broke the WebSocket protocol.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text payload (a text message or a close reason) was not UTF-8.
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// The client broke a server policy: it fell too far behind or went silent.
    pub const POLICY_VIOLATION: u16 = 1008;
    /// The client sent a message larger than the server accepts.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The server failed; the reason never carries internals.
    pub const INTERNAL_ERROR: u16 = 1011;
}

/// Opcodes (RFC 6455 §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Opcode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
}

impl Opcode {
    fn from_bits(bits: u8) -> Option<Self> {
        Some(match bits {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xA => Self::Pong,
            _ => return None,
        })
    }

    fn bits(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xA,
        }
    }

    fn is_control(self) -> bool {
        matches!(self, Self::Close | Self::Ping | Self::Pong)
    }
}

/// Most payload bytes a control frame may carry (RFC 6455 §5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;
