//! `Disconnect`: why a session ends, what the client is told (close code and reason), what
//! the others are told, and how the connection is wound down.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;

use crate::logging::Untrusted;
use crate::metrics::CloseReason;
use crate::websocket::{ProtocolError, close_code, close_frame};

/// Why a session ended. The first group is the client's doing, the last the server's; the
/// close code and reason a client gets come from here and never carry internals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disconnect {
    /// The client sent a close frame.
    ClientClosed {
        /// Its close code, if it gave one.
        code: Option<u16>,
        /// Its reason: the client's own text, shown in logs only escaped.
        reason: String,
    },
    /// The connection ended without a close frame (reset, or closed by the peer).
    ConnectionLost,
    /// The client broke the WebSocket protocol or sent an oversize message.
    Protocol(ProtocolError),
    /// The client fell more than `limit_bytes` behind.
    TooSlow {
        /// The outbound queue limit it passed.
        limit_bytes: usize,
    },
    /// The client sent nothing, not even a pong, for `timeout`.
    Idle {
        /// The idle timeout.
        timeout: Duration,
    },
    /// The server is shutting down.
    ServerShutdown,
    /// Its account logged in on another connection (the newer one stays).
    LoggedInElsewhere,
    /// The session's task ended without a reason: it panicked or was aborted at shutdown.
    Aborted,
}

/// How a session winds down once it starts closing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Winding {
    /// Nothing more can be sent: the connection is gone.
    Gone,
    /// Send our close frame, then end the connection as soon as it is written: the client
    /// already closed, or broke the protocol (RFC 6455 "fail the connection").
    CloseAfterFlush,
    /// Send our close frame and wait (up to the close timeout) for the client's.
    AwaitClientClose,
}

impl Disconnect {
    /// The close frame to send for this reason, or `None` when there is nobody to send it to.
    pub fn close_frame(&self) -> Option<Bytes> {
        Some(match self {
            Self::ClientClosed { .. } => close_frame(close_code::NORMAL, ""),
            Self::ConnectionLost | Self::Aborted => return None,
            Self::Protocol(error) => close_frame(error.close_code(), &error.to_string()),
            Self::TooSlow { .. } | Self::Idle { .. } => {
                close_frame(close_code::POLICY_VIOLATION, &self.to_string())
            }
            Self::ServerShutdown => close_frame(close_code::GOING_AWAY, &self.to_string()),
            Self::LoggedInElsewhere => close_frame(close_code::POLICY_VIOLATION, &self.to_string()),
        })
    }

    /// How the connection is wound down for this reason.
    pub fn winding(&self) -> Winding {
        match self {
            Self::ConnectionLost | Self::Aborted => Winding::Gone,
            Self::ClientClosed { .. } | Self::Protocol(_) => Winding::CloseAfterFlush,
            Self::TooSlow { .. }
            | Self::Idle { .. }
            | Self::ServerShutdown
            | Self::LoggedInElsewhere => Winding::AwaitClientClose,
        }
    }

    /// Whether frames still queued are written before the close frame. A client that is too
    /// slow, silent or broken would not read them anyway.
    pub fn flushes_queue(&self) -> bool {
        // Logged in elsewhere: its `DisconnectMessage` saying so is queued just before.
        matches!(
            self,
            Self::ServerShutdown | Self::ClientClosed { .. } | Self::LoggedInElsewhere
        )
    }

    /// Why the client left, as told to the others: never the client's own close reason, which
    /// is its text, outside the chat limits, and would reach everyone.
    pub fn public_summary(&self) -> &'static str {
        match self {
            // A client that said goodbye needs no reason: clients show "Client N left".
            Self::ClientClosed { .. } => "",
            Self::ConnectionLost => "connection lost",
            Self::Protocol(_) => "protocol error",
            Self::TooSlow { .. } => "too slow",
            Self::Idle { .. } => "timed out",
            Self::ServerShutdown => "server shutting down",
            Self::Aborted => "server error",
            Self::LoggedInElsewhere => "logged in elsewhere",
        }
    }

    /// The `public_summary` that reads `text`, as a summary that came from another server of
    /// the cluster is taken back; `None` for one this server does not give.
    pub fn public_summary_named(text: &str) -> Option<&'static str> {
        [
            "",
            "connection lost",
            "protocol error",
            "too slow",
            "timed out",
            "server shutting down",
            "server error",
            "logged in elsewhere",
        ]
        .into_iter()
        .find(|summary| *summary == text)
    }

    /// The reason as `mmo_sessions_closed_total` labels it.
    pub fn close_reason(&self) -> CloseReason {
        match self {
            Self::ClientClosed { .. } => CloseReason::ClientClosed,
            Self::ConnectionLost => CloseReason::ConnectionLost,
            Self::Protocol(ProtocolError::MessageTooBig { .. }) => CloseReason::TooBig,
            Self::Protocol(_) => CloseReason::ProtocolError,
            Self::TooSlow { .. } => CloseReason::TooSlow,
            Self::Idle { .. } => CloseReason::Idle,
            Self::ServerShutdown => CloseReason::Shutdown,
            Self::Aborted => CloseReason::Aborted,
            Self::LoggedInElsewhere => CloseReason::LoggedInElsewhere,
        }
    }
}

impl fmt::Display for Disconnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClientClosed {
                code: Some(code),
                reason,
            } if !reason.is_empty() => {
                write!(
                    f,
                    "client closed the connection (code {code}, reason {})",
                    Untrusted(reason)
                )
            }
            Self::ClientClosed {
                code: Some(code), ..
            } => write!(f, "client closed the connection (code {code})"),
            Self::ClientClosed { code: None, .. } => write!(f, "client closed the connection"),
            Self::ConnectionLost => write!(f, "connection lost"),
            Self::Protocol(error) => error.fmt(f),
            Self::TooSlow { limit_bytes } => write!(
                f,
                "too slow: more than {limit_bytes} bytes waiting to be sent"
            ),
            Self::Idle { timeout } => {
                write!(
                    f,
                    "idle timeout: nothing received for {}s",
                    timeout.as_secs_f64()
                )
            }
            Self::ServerShutdown => write!(f, "server shutting down"),
            Self::Aborted => write!(f, "the session's task ended abnormally"),
            Self::LoggedInElsewhere => write!(f, "logged in elsewhere"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clients_close_reason_is_escaped_where_it_is_shown() {
        let reason = Disconnect::ClientClosed {
            code: Some(1000),
            reason: "bye\nFAKE 2026-11-29 INFO granted admin".into(),
        };
        let shown = reason.to_string();
        assert!(!shown.contains('\n'), "{shown}");
        assert!(shown.contains("\"bye\\nFAKE"), "{shown}");
        assert_eq!(reason.public_summary(), "");
    }

    #[test]
    fn each_reason_winds_down_its_own_way() {
        let protocol = Disconnect::Protocol(ProtocolError::InvalidText);
        assert_eq!(protocol.winding(), Winding::CloseAfterFlush);
        let frame = protocol.close_frame().expect("a close frame");
        assert_eq!(&frame[2..4], &1007u16.to_be_bytes());
        assert_eq!(
            Disconnect::ServerShutdown.winding(),
            Winding::AwaitClientClose
        );
        assert_eq!(Disconnect::ConnectionLost.close_frame(), None);
        assert_eq!(Disconnect::Aborted.winding(), Winding::Gone);
    }
}
