//! Bringing rooms back in line after the broker was away: while it is, a server's rooms are
//! its own, so the leaves of its members are not heard by the other servers. They are kept
//! (up to `MAX_KEPT_LEAVES`) and published at the first heartbeat after the broker is back;
//! the other servers then read them as any leave and announce them to their members.

use bytes::Bytes;

use super::{Outgoing, Shared, lock, wire};
use crate::rooms::RoomChange;

/// Leaves kept for the broker's return: one per member that left a room during the outage.
/// Past it the oldest are forgotten (those members then stay listed on the other servers
/// until they leave again or their server stops), rather than memory growing with an outage.
pub(super) const MAX_KEPT_LEAVES: usize = 16_384;

impl Shared {
    /// Keeps `change` of room `room`, applied here alone while the broker is away, for the
    /// other servers, if it is a leave of a member they know of (one whose join came through
    /// the broker: a member that also joined during the outage was never theirs).
    pub(super) fn keep_for_the_broker(&self, room: &str, change: &RoomChange) {
        let RoomChange::Left { member, .. } = change else {
            return;
        };
        let known = lock(&self.followed)
            .get(room)
            .is_some_and(|following| following.member_servers.contains_key(member));
        if !known {
            return;
        }
        let mut kept = lock(&self.kept_leaves);
        if kept.len() >= MAX_KEPT_LEAVES {
            kept.pop_front();
        }
        kept.push_back(Outgoing {
            subject: wire::subject_of(room, change),
            payload: Bytes::from(wire::encode(change, self.server, None, None)),
            purge_after: true,
        });
    }

    /// Publishes the leaves kept during an outage, once the broker is back (in the order
    /// they happened, through the publishing queue; what it cannot take waits for the next
    /// call).
    pub(super) fn publish_kept(&self) {
        let mut kept = lock(&self.kept_leaves);
        if kept.is_empty() {
            return;
        }
        let count = kept.len();
        while let Some(leave) = kept.pop_front() {
            if let Err(full) = self.outgoing.try_send(leave) {
                kept.push_front(full.into_inner());
                break;
            }
        }
        tracing::info!(
            "The broker is back: published {} leaves made while it was away",
            count - kept.len()
        );
    }
}
