//! `RoomEvent`: every change to a room — a line of chat, a member joining, leaving or being
//! renamed — as one value with the room's sequence number. Events are what a broker carries
//! between servers; each server applies them, in sequence order, through `Room::apply`.

use std::sync::Arc;

use mmo_protocol::ClientId;

/// A change to a room, before the room's broker has given it its place in the room's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomChange {
    /// A line of chat from a member.
    Chat(ChatLineEvent),
    /// A client entered the room.
    Joined {
        /// Who.
        member: ClientId,
        /// Its name then (`""` for a guest).
        name: Arc<str>,
    },
    /// A member left the room.
    Left {
        /// Who.
        member: ClientId,
        /// Its name, as the members knew it.
        name: Arc<str>,
        /// How the others are told.
        announce: Announce,
    },
    /// A member's name changed (it logged in while in the room).
    Renamed {
        /// Who.
        member: ClientId,
        /// Its new name.
        name: Arc<str>,
    },
}

/// A chat line as a room keeps and relays it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatLineEvent {
    /// Who said it.
    pub sender: ClientId,
    /// Its name when it said it.
    pub sender_name: Arc<str>,
    /// The line.
    pub text: Arc<str>,
    /// When the server took it, in Unix milliseconds.
    pub sent_at_ms: i64,
}

/// What the other members hear of a leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announce {
    /// Presence for full-level members; tutorial-level members get a `DisconnectMessage` with
    /// this summary when it is `Some`.
    Presence {
        /// The leave notice's reason for tutorial-level members, or `None` for no notice.
        notice: Option<&'static str>,
    },
    /// Nothing: the server is shutting down, and every member is leaving at once. Telling each
    /// about all the others would be O(N²) frames nobody reads.
    Nothing,
}

/// A change in its room's order: the `seq`-th event of the room (1, 2, 3…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomEvent {
    /// Its place in the room's order; each room counts from 1.
    pub seq: u64,
    /// What changed.
    pub change: RoomChange,
}

impl RoomChange {
    /// The member the change is about, or the sender of a line.
    pub fn member(&self) -> ClientId {
        match self {
            Self::Chat(line) => line.sender,
            Self::Joined { member, .. }
            | Self::Left { member, .. }
            | Self::Renamed { member, .. } => *member,
        }
    }
}
