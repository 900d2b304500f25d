//! `LocalMembers`: how a room reaches the members connected to this server — their outboxes,
//! how many are at each level, and the batch of chat lines waiting to go out together. A
//! room's events are delivered here after they are applied to its record.

use std::sync::Arc;
use std::task::Waker;

use bytes::Bytes;
use mmo_protocol::{ClientId, Level, Packet};

use crate::peer::Peer;
use crate::rooms::batch::{Batch, Send};
use crate::rooms::event::{Announce, ChatLineEvent, RoomChange};
use crate::rooms::presence::PendingPresence;
use crate::websocket::encode_packet_frame;

/// The members of a room connected to this server.
#[derive(Debug, Default)]
pub struct LocalMembers {
    /// Each knows its index here (`Peer::room_slot`), so leaving is O(1).
    subscribers: Vec<Arc<Peer>>,
    /// How many are at each `Level`, so fan-outs only some levels understand (presence, leave
    /// notices) skip the walk when nobody would get them.
    at_level: [usize; 3],
    /// Chat lines waiting to go out together.
    pub batch: Batch,
    /// A big room's presence waiting to go out together.
    pub presence: PendingPresence,
}

/// What is left to do once a room's lock is released: writers to wake, a batch to deliver,
/// the batch's timer to start. Waking takes the scheduler's locks and writing makes syscalls,
/// neither of which may lengthen a critical section that chat waits on.
#[derive(Debug)]
pub struct AfterUnlock<'a> {
    /// Writers to wake.
    pub wakes: &'a mut Vec<Waker>,
    /// A batch that is due: members to write for, or wake.
    pub due: Vec<(Arc<Peer>, Waker)>,
    /// Whether the room's batch needs its timer started.
    pub start_flusher: bool,
    /// Frames queued for members, for the deliveries counter.
    pub delivered: u64,
    /// Whether the room's presence batch needs its timer started.
    pub start_presence_flusher: bool,
}

impl<'a> AfterUnlock<'a> {
    /// Nothing to do yet; wakers collect into `wakes`.
    pub fn new(wakes: &'a mut Vec<Waker>) -> Self {
        Self {
            wakes,
            due: Vec::new(),
            start_flusher: false,
            delivered: 0,
            start_presence_flusher: false,
        }
    }

    /// What is left beyond the wakes, which stay in the vector they were collected into.
    pub fn into_deferred(self) -> Deferred {
        Deferred {
            due: self.due,
            start_flusher: self.start_flusher,
            delivered: self.delivered,
            start_presence_flusher: self.start_presence_flusher,
        }
    }
}

/// `AfterUnlock` without the wakes: a room's batch work to do once its lock is released.
#[derive(Debug, Default)]
pub struct Deferred {
    /// A batch that is due: members to write for, or wake.
    pub due: Vec<(Arc<Peer>, Waker)>,
    /// Whether the room's batch needs its timer started.
    pub start_flusher: bool,
    /// Frames queued for members, for the deliveries counter.
    pub delivered: u64,
    /// Whether the room's presence batch needs its timer started.
    pub start_presence_flusher: bool,
}

/// How a room tells its members of joins and leaves, by its size (docs/protocol.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceMode {
    /// A small room: a `PresenceMessage` (and leave notice) per event, at once.
    PerEvent,
    /// A big room: its events gathered into one `PresenceBatchMessage` per window; no leave
    /// notices. `send_now` (no window, or no runtime to time one) sends each event's batch at
    /// once.
    Batched {
        /// Send the batch at once instead of at the window's end.
        send_now: bool,
    },
}

/// When a chat line goes out: now, or in the room's batch (see `batch`).
#[derive(Debug, Clone, Copy)]
pub enum Pacing {
    /// Every line at once.
    Immediate,
    /// Busy rooms batch their lines, waiting at most `window`.
    Batched {
        /// The longest a line waits.
        window: std::time::Duration,
    },
}

impl LocalMembers {
    /// Members connected here.
    pub fn len(&self) -> usize {
        self.subscribers.len()
    }

    /// Whether `peer` is one of them.
    pub fn contains(&self, peer: &Peer) -> bool {
        peer.room_slot()
            .and_then(|slot| self.subscribers.get(slot))
            .is_some_and(|member| member.id == peer.id)
    }

    /// Adds `peer`, which is in no room.
    pub fn subscribe(&mut self, peer: &Arc<Peer>) {
        peer.set_room_slot(Some(self.subscribers.len()));
        self.subscribers.push(Arc::clone(peer));
        self.at_level[peer.level() as usize] += 1;
    }

    /// Removes `peer` if it is a member here; returns whether it was.
    pub fn unsubscribe(&mut self, peer: &Peer) -> bool {
        let Some(slot) = peer.room_slot().filter(|_| self.contains(peer)) else {
            return false;
        };
        self.subscribers.swap_remove(slot);
        if let Some(moved) = self.subscribers.get(slot) {
            moved.set_room_slot(Some(slot));
        }
        peer.set_room_slot(None);
        self.at_level[peer.level() as usize] -= 1;
        true
    }

    /// Raises `peer`'s level (a member here or not), keeping the per-level counts true.
    pub fn raise_level(&mut self, peer: &Peer, level: Level) {
        let before = peer.level();
        let is_member = self.contains(peer);
        if peer.raise_level(level) && is_member {
            self.at_level[before as usize] -= 1;
            self.at_level[level as usize] += 1;
        }
    }

    /// Delivers an event just applied to the room called `room`, which now has `members`
    /// members: chat to every member but its sender; in a small room presence to full-level
    /// members and leave notices to tutorial-level ones, each never to the member the event is
    /// about; in a big room the event joins the presence batch (see `PresenceMode`).
    pub fn deliver(
        &mut self,
        room: &str,
        members: usize,
        change: &RoomChange,
        pacing: Pacing,
        presence: PresenceMode,
        after: &mut AfterUnlock<'_>,
    ) {
        if let PresenceMode::Batched { send_now } = presence {
            match change {
                RoomChange::Chat(line) => self.deliver_chat(line, pacing, after),
                RoomChange::Joined { member, name } | RoomChange::Renamed { member, name } => {
                    self.presence.present(*member, name);
                }
                RoomChange::Left {
                    member,
                    announce: Announce::Presence { .. },
                    ..
                } => self.presence.absent(*member),
                RoomChange::Left {
                    announce: Announce::Nothing,
                    ..
                } => {}
            }
            if send_now {
                self.send_presence_batch(room, members, after);
            } else if !self.presence.is_empty() && !self.presence.flusher_running {
                self.presence.flusher_running = true;
                after.start_presence_flusher = true;
            }
            return;
        }
        // A room that was big sends what its batch holds before the next per-event message,
        // so its members see the events in order.
        if !matches!(change, RoomChange::Chat(_)) {
            self.send_presence_batch(room, members, after);
        }
        match change {
            RoomChange::Chat(line) => self.deliver_chat(line, pacing, after),
            RoomChange::Joined { member, name } | RoomChange::Renamed { member, name } => {
                if self.at_level[Level::Full as usize] > 0 {
                    let presence = Packet::presence_of(*member, true, room, name);
                    self.send_to(
                        Audience::Full,
                        Some(*member),
                        &encode_packet_frame(&presence),
                        after,
                    );
                }
                self.batch.send_into(after.wakes);
            }
            RoomChange::Left {
                member,
                name,
                announce: Announce::Presence { notice },
            } => {
                if self.at_level[Level::Full as usize] > 0 {
                    let presence = Packet::presence_of(*member, false, room, name);
                    self.send_to(
                        Audience::Full,
                        Some(*member),
                        &encode_packet_frame(&presence),
                        after,
                    );
                }
                if let Some(reason) = notice.filter(|_| self.at_level[Level::Tutorial as usize] > 0)
                {
                    let notice = Packet::disconnect_of(*member, reason);
                    self.send_to(
                        Audience::TutorialOnly,
                        Some(*member),
                        &encode_packet_frame(&notice),
                        after,
                    );
                }
                self.batch.send_into(after.wakes);
            }
            RoomChange::Left {
                announce: Announce::Nothing,
                ..
            } => {}
        }
    }

    /// Sends the room's presence batch, if anything is waiting, to every full-level member:
    /// one frame each, encoded once.
    pub fn send_presence_batch(&mut self, room: &str, members: usize, after: &mut AfterUnlock<'_>) {
        let Some(batch) = self.presence.take(room, members) else {
            return;
        };
        if self.at_level[Level::Full as usize] > 0 {
            self.send_to(Audience::Full, None, &encode_packet_frame(&batch), after);
        }
        // Members with chat waiting in the room's batch are written with it.
        self.batch.send_into(after.wakes);
    }

    /// Queues a line for every member but its sender, now or in the room's batch.
    fn deliver_chat(&mut self, line: &ChatLineEvent, pacing: Pacing, after: &mut AfterUnlock<'_>) {
        let frame = encode_packet_frame(&Packet::chat_from(line.sender, line.text.as_ref()));
        let send = match pacing {
            Pacing::Batched { window } => self.batch.line(tokio::time::Instant::now(), window),
            Pacing::Immediate => Send::Now,
        };
        after.delivered += queue_for(
            &self.subscribers,
            &frame,
            |member| member.id != line.sender,
            |member, waker| self.batch.waiting().push((Arc::clone(member), waker)),
        );
        match send {
            Send::Now => after.due = self.batch.take(),
            Send::At(_) => {
                after.start_flusher = !self.batch.flusher_running;
                self.batch.flusher_running = true;
            }
        }
    }

    /// Queues `frame` for every member in `audience` but `except`.
    fn send_to(
        &self,
        audience: Audience,
        except: Option<ClientId>,
        frame: &Bytes,
        after: &mut AfterUnlock<'_>,
    ) {
        after.delivered += queue_for(
            &self.subscribers,
            frame,
            |member| Some(member.id) != except && audience.includes(member.level()),
            |_, waker| after.wakes.push(waker),
        );
    }

    /// Queues `frame` for `peer` alone (a joiner's answer).
    pub fn send_one(peer: &Peer, frame: Bytes, after: &mut AfterUnlock<'_>) {
        // A refusal means the client is already being disconnected, with its reason.
        if let Ok(waker) = peer.outbox.push_deferring_wake(frame) {
            after.wakes.extend(waker);
        }
    }
}

/// Who of a room's members a presence fan-out is for (chat is for every member but its
/// sender).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    /// Full-level members: presence, this project's own message.
    Full,
    /// Tutorial-level members only: leave notices (field 19), which full-level members get as
    /// presence instead, and part-3 members would misread.
    TutorialOnly,
}

impl Audience {
    fn includes(self, level: Level) -> bool {
        match self {
            Self::Full => level == Level::Full,
            Self::TutorialOnly => level == Level::Tutorial,
        }
    }
}

/// Queues `frame` for every member `wanted` picks, handing `waited` each member whose writer
/// was waiting, with its waker (to wake, or write for, once the room's lock is released);
/// returns how many it was queued for.
fn queue_for(
    members: &[Arc<Peer>],
    frame: &Bytes,
    wanted: impl Fn(&Peer) -> bool,
    mut waited: impl FnMut(&Arc<Peer>, Waker),
) -> u64 {
    let mut delivered = 0;
    for member in members.iter().filter(|member| wanted(member)) {
        // A full outbox marks its client too slow and it is disconnected with a reason:
        // nothing is skipped silently, and the others are not held up.
        if let Ok(waker) = member.outbox.push_deferring_wake(frame.clone()) {
            if let Some(waker) = waker {
                waited(member, waker);
            }
            delivered += 1;
        }
    }
    delivered
}
