//! `PendingPresence`: a big room's joins, leaves and renames gathered during one presence
//! window, kept as each member's state at the window's end, and the `PresenceBatchMessage`
//! that tells them all at once (docs/protocol.md, "Presence in big rooms").
//!
//! Each member is told the *final* state of every member the batch names, so the batch is
//! right on top of any member list built from the room's earlier messages, even one that
//! already holds some of its changes (a joiner's `RoomMessage`, a page sent during the
//! window): no frame has to be sent early to keep the lists exact.

use std::collections::BTreeMap;
use std::sync::Arc;

use mmo_protocol::{ClientId, Member, Msg, Packet, PresenceBatchMessage};

/// The changes of a big room's open presence window.
#[derive(Debug, Default)]
pub struct PendingPresence {
    /// Each member changed during the window: its name if it is in the room now, `None` if
    /// it is not.
    changed: BTreeMap<ClientId, Option<Arc<str>>>,
    /// Whether a task is waiting to send the batch when its window ends.
    pub flusher_running: bool,
}

impl PendingPresence {
    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty()
    }

    /// `member` is in the room now, called `name` (it entered, or was renamed).
    pub fn present(&mut self, member: ClientId, name: &Arc<str>) {
        self.changed.insert(member, Some(Arc::clone(name)));
    }

    /// `member` is not in the room now.
    pub fn absent(&mut self, member: ClientId) {
        self.changed.insert(member, None);
    }

    /// The batch for `room`, now of `members` members, emptying the window; `None` when
    /// nothing changed.
    pub fn take(&mut self, room: &str, members: usize) -> Option<Packet> {
        if self.changed.is_empty() {
            return None;
        }
        let mut batch = PresenceBatchMessage {
            room: room.to_owned(),
            members: u32::try_from(members).unwrap_or(u32::MAX),
            ..PresenceBatchMessage::default()
        };
        for (member, state) in std::mem::take(&mut self.changed) {
            match state {
                Some(name) => batch.joined.push(Member {
                    id: member.get(),
                    name: name.as_ref().to_owned(),
                }),
                None => batch.left.push(member.get()),
            }
        }
        Some(Packet {
            sender_id: 0,
            msg: Some(Msg::PresenceBatch(batch)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> ClientId {
        ClientId::new(n).expect("non-zero")
    }

    fn batch_of(pending: &mut PendingPresence) -> PresenceBatchMessage {
        match pending.take("lobby", 7).and_then(|packet| packet.msg) {
            Some(Msg::PresenceBatch(batch)) => batch,
            other => panic!("not a batch: {other:?}"),
        }
    }

    #[test]
    fn a_batch_holds_each_members_state_at_the_end_of_the_window() {
        let mut pending = PendingPresence::default();
        let name: Arc<str> = Arc::from("ann");
        // 1 comes and goes; 2 goes and comes back renamed; 3 only comes; 4 only goes.
        pending.present(id(1), &Arc::from(""));
        pending.absent(id(1));
        pending.absent(id(2));
        pending.present(id(2), &name);
        pending.present(id(3), &Arc::from(""));
        pending.absent(id(4));
        let batch = batch_of(&mut pending);
        assert_eq!(
            batch.joined,
            vec![
                Member {
                    id: 2,
                    name: "ann".into()
                },
                Member {
                    id: 3,
                    name: String::new()
                }
            ]
        );
        assert_eq!(batch.left, vec![1, 4]);
        assert_eq!(batch.members, 7);
        assert!(pending.is_empty());
        assert!(pending.take("lobby", 7).is_none());
    }
}
