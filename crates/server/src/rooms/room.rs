//! `Room`: one room's members, its history, and the fan-out of its chat and presence.
//!
//! Everything that changes a room — a member entering or leaving, a line of chat — happens
//! under the room's one lock, so every member sees the same order of events and a newcomer's
//! `RoomMessage` (members and history) is exactly the state before the next event it is sent.
//! The lock is held while frames are queued (a push onto each recipient's outbox, a few tens of
//! nanoseconds), never while anything is written to a socket, and recipients are woken after it
//! is released. Rooms do not share locks: a connect storm in one room never waits on another.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Waker;

use tokio::runtime::Handle;

use bytes::Bytes;
use mmo_protocol::{ClientId, Level, Member, Msg, Packet, RoomMessage};

use crate::outbox::fan_out;
use crate::rooms::batch::{self, Batch, Send};
use crate::rooms::history::History;
use crate::session::Peer;
use crate::websocket::encode_packet_frame;

/// The bounds every room is created with.
#[derive(Debug, Clone, Copy)]
pub struct RoomLimits {
    /// Most members of a room other than the lobby (the lobby has no limit: every client
    /// starts there). Also the most members a `RoomMessage` lists.
    pub max_members: usize,
    /// Lines of history kept.
    pub history_lines: usize,
    /// Bytes of history kept.
    pub history_bytes: usize,
    /// Longest a chat line waits in a busy room's batch (see `batch`); zero sends every line
    /// at once.
    pub batch_window: std::time::Duration,
}

/// Why a client could not enter a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnterError {
    /// The room has `max_members` members.
    Full {
        /// Its member limit.
        max_members: usize,
    },
    /// The room was removed (it emptied) after it was looked up; look it up again.
    Removed,
}

/// A room: its members, in no particular order, and its history.
#[derive(Debug)]
pub struct Room {
    name: Box<str>,
    is_lobby: bool,
    limits: RoomLimits,
    /// The runtime the room's batches are timed and delivered on: the server's main one,
    /// whichever thread a line comes from (a client's first frames are read on the acceptor's).
    /// `None` (this code driven without a runtime, as in benchmarks) sends every line at once.
    runtime: Option<Handle>,
    state: Mutex<RoomState>,
    /// Members now, readable without the lock (room lists, metrics).
    member_count: AtomicUsize,
}

#[derive(Debug)]
pub(crate) struct RoomState {
    /// Members; each knows its index here (`Peer::room_slot`), so leaving is O(1).
    members: Vec<Arc<Peer>>,
    /// How many members are at each `Level`, so fan-outs only some levels understand (presence,
    /// leave notices) skip the walk when nobody would get them.
    at_level: [usize; 3],
    history: History,
    /// Chat lines waiting to go out together.
    batch: Batch,
    /// Set when the room has been taken out of the directory because it emptied.
    removed: bool,
}

/// What a member entering or leaving tells the others.
#[derive(Debug, Clone, Copy)]
pub struct Departure<'a> {
    /// The summary for tutorial-level members' `DisconnectMessage`, or `None` to send them
    /// nothing.
    pub leave_notice: Option<&'a str>,
}

impl Room {
    /// An empty room.
    pub fn new(name: &str, is_lobby: bool, limits: RoomLimits, runtime: Option<Handle>) -> Self {
        Self {
            name: name.into(),
            is_lobby,
            limits,
            runtime,
            state: Mutex::new(RoomState {
                members: Vec::new(),
                at_level: [0; 3],
                history: History::new(limits.history_lines, limits.history_bytes),
                batch: Batch::default(),
                removed: false,
            }),
            member_count: AtomicUsize::new(0),
        }
    }

    /// The room's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether this is the lobby, which every client starts in and which is never removed.
    pub fn is_lobby(&self) -> bool {
        self.is_lobby
    }

    /// Members now.
    pub fn member_count(&self) -> usize {
        self.member_count.load(Ordering::Relaxed)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, RoomState> {
        // Every critical section leaves the state whole before anything that can panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `peer` (which must be in no room): the other members who understand presence are
    /// told; a peer that does (full level) is sent the room's `RoomMessage` when `answer` is set.
    pub fn enter(&self, peer: &Arc<Peer>, answer: bool) -> Result<(), EnterError> {
        fan_out(|wakes| self.enter_locked(&mut self.lock(), peer, answer, wakes))
    }

    pub(crate) fn enter_locked(
        &self,
        state: &mut RoomState,
        peer: &Arc<Peer>,
        answer: bool,
        wakes: &mut Vec<Waker>,
    ) -> Result<(), EnterError> {
        self.check_room_for_one(state)?;
        peer.set_room_slot(state.members.len());
        state.members.push(Arc::clone(peer));
        state.at_level[peer.level() as usize] += 1;
        self.member_count
            .store(state.members.len(), Ordering::Relaxed);
        if state.at_level[Level::Full as usize] > usize::from(peer.level() == Level::Full) {
            let presence = Packet::presence_of(peer.id, true, &self.name, peer.name());
            state.send_to(
                Audience::Full,
                peer.id,
                &encode_packet_frame(&presence),
                wakes,
            );
        }
        if answer {
            self.answer_locked(state, peer, wakes);
        }
        // Whatever waited in the batch goes out with this.
        state.batch.send_into(wakes);
        Ok(())
    }

    /// Whether one more member may enter now.
    pub(crate) fn check_room_for_one(&self, state: &RoomState) -> Result<(), EnterError> {
        if state.removed {
            Err(EnterError::Removed)
        } else if !self.is_lobby && state.members.len() >= self.limits.max_members {
            Err(EnterError::Full {
                max_members: self.limits.max_members,
            })
        } else {
            Ok(())
        }
    }

    /// Removes `peer`; the other members are told as `departure` says. Returns how many
    /// members are left.
    pub fn leave(&self, peer: &Peer, departure: Departure<'_>) -> usize {
        fan_out(|wakes| self.leave_locked(&mut self.lock(), peer, departure, wakes))
    }

    pub(crate) fn leave_locked(
        &self,
        state: &mut RoomState,
        peer: &Peer,
        departure: Departure<'_>,
        wakes: &mut Vec<Waker>,
    ) -> usize {
        let slot = peer.room_slot();
        if state.members.get(slot).is_none_or(|m| m.id != peer.id) {
            // Not a member (a session that never finished entering): nothing to undo.
            return state.members.len();
        }
        state.members.swap_remove(slot);
        if let Some(moved) = state.members.get(slot) {
            moved.set_room_slot(slot);
        }
        peer.set_room_slot(usize::MAX);
        state.at_level[peer.level() as usize] -= 1;
        self.member_count
            .store(state.members.len(), Ordering::Relaxed);
        if state.at_level[Level::Full as usize] > 0 {
            let presence = Packet::presence_of(peer.id, false, &self.name, peer.name());
            state.send_to(
                Audience::Full,
                peer.id,
                &encode_packet_frame(&presence),
                wakes,
            );
        }
        if let Some(reason) = departure.leave_notice {
            if state.at_level[Level::Tutorial as usize] > 0 {
                let notice = Packet::disconnect_of(peer.id, reason);
                state.send_to(
                    Audience::TutorialOnly,
                    peer.id,
                    &encode_packet_frame(&notice),
                    wakes,
                );
            }
        }
        state.batch.send_into(wakes);
        state.members.len()
    }

    /// Sends `peer` (a member) the room's `RoomMessage`.
    pub fn answer(&self, peer: &Peer) {
        fan_out(|wakes| self.answer_locked(&self.lock(), peer, wakes));
    }

    fn answer_locked(&self, state: &RoomState, peer: &Peer, wakes: &mut Vec<Waker>) {
        let mut members: Vec<&Arc<Peer>> = state.members.iter().collect();
        if members.len() > self.limits.max_members {
            // Only the lobby grows past the limit; the list stays bounded, lists the members
            // who have been connected longest, and always holds the client it is for.
            members.sort_unstable_by_key(|member| (member.id != peer.id, member.id));
            members.truncate(self.limits.max_members.max(1));
        }
        members.sort_unstable_by_key(|member| member.id);
        let room = RoomMessage {
            room: self.name.to_string(),
            members: members
                .iter()
                .map(|member| Member {
                    id: member.id.get(),
                    name: member.name().to_owned(),
                })
                .collect(),
            history: state.history.to_chat_lines(),
        };
        let packet = Packet {
            sender_id: 0,
            msg: Some(Msg::Room(room)),
        };
        // A refusal means the client is already being disconnected, with its reason.
        if let Ok(waker) = peer
            .outbox
            .push_deferring_wake(encode_packet_frame(&packet))
        {
            wakes.extend(waker);
        }
    }

    /// Relays a chat line from `sender` (a member) to every other member and keeps it in the
    /// history. In a busy room the line may wait in the room's batch (see `batch`). Returns
    /// how many recipients it was queued for.
    pub fn chat(self: &Arc<Self>, sender: &Peer, text: &str, sent_at_ms: i64) -> u64 {
        let frame = encode_packet_frame(&Packet::chat_from(sender.id, text));
        let window = self.limits.batch_window;
        let batching = !window.is_zero() && self.runtime.is_some();
        let mut start_flusher = false;
        let mut due_now = Vec::new();
        let delivered = {
            let mut guard = self.lock();
            let state = &mut *guard;
            state
                .history
                .push(sender.id.get(), sender.name(), text, sent_at_ms);
            let send = if batching {
                state.batch.line(tokio::time::Instant::now(), window)
            } else {
                Send::Now
            };
            let delivered = send_waiting(&state.members, sender.id, &frame, state.batch.waiting());
            match send {
                Send::Now => due_now = state.batch.take(),
                Send::At(_) => {
                    start_flusher = !state.batch.flusher_running;
                    state.batch.flusher_running = true;
                }
            }
            delivered
        };
        batch::deliver(due_now, self.runtime.as_ref());
        if let Some(runtime) = self.runtime.as_ref().filter(|_| start_flusher) {
            runtime.spawn(send_batches_when_due(Arc::downgrade(self)));
        }
        delivered
    }

    /// Tells the other full-level members that `peer` (a member) has a new name: presence
    /// `joined: true` for the same ID, which clients take as a rename. Tutorial-level members
    /// are not told (they have no presence); members and history sent later read the new
    /// name from the peer.
    pub fn rename_member(&self, peer: &Peer) {
        fan_out(|wakes| {
            let state = self.lock();
            let is_member = state
                .members
                .get(peer.room_slot())
                .is_some_and(|member| member.id == peer.id);
            if is_member
                && state.at_level[Level::Full as usize] > usize::from(peer.level() == Level::Full)
            {
                let presence = Packet::presence_of(peer.id, true, &self.name, peer.name());
                state.send_to(
                    Audience::Full,
                    peer.id,
                    &encode_packet_frame(&presence),
                    wakes,
                );
            }
        });
    }

    /// Raises `peer`'s level (it must be a member), keeping the per-level counts true. Under
    /// the room's lock so that no fan-out sees the new level without the count.
    pub fn raise_member_level(&self, peer: &Peer, level: Level) {
        let mut state = self.lock();
        let before = peer.level();
        let is_member = state
            .members
            .get(peer.room_slot())
            .is_some_and(|member| member.id == peer.id);
        if peer.raise_level(level) && is_member {
            state.at_level[before as usize] -= 1;
            state.at_level[level as usize] += 1;
        }
    }

    /// Marks the room removed if it has no members; returns whether it did.
    pub(crate) fn remove_if_empty(&self) -> bool {
        let mut state = self.lock();
        if state.members.is_empty() && !self.is_lobby {
            state.removed = true;
            true
        } else {
            false
        }
    }

    /// Lines and bytes of history kept now.
    pub fn history_size(&self) -> (usize, usize) {
        let state = self.lock();
        (state.history.len(), state.history.bytes())
    }
}

/// Who of a room's members a presence fan-out is for (chat is for every member but its
/// sender: `send_waiting`).
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

/// Sends a room's batches as they fall due, while it has any; then ends (the next busy line
/// starts another).
async fn send_batches_when_due(room: std::sync::Weak<Room>) {
    loop {
        let Some(room) = room.upgrade() else {
            return;
        };
        let due = {
            let mut state = room.lock();
            let Some(due) = state.batch.due() else {
                state.batch.flusher_running = false;
                return;
            };
            due
        };
        tokio::time::sleep_until(due).await;
        let due_now = {
            let mut state = room.lock();
            let now = tokio::time::Instant::now();
            if state.batch.due().is_some_and(|due| due <= now) {
                state.batch.take()
            } else {
                Vec::new()
            }
        };
        batch::deliver(due_now, room.runtime.as_ref());
    }
}

impl RoomState {
    /// Queues `frame` for every member in `audience` but `except`, collecting the wakers to
    /// wake once the lock is released; returns how many it was queued for.
    fn send_to(
        &self,
        audience: Audience,
        except: ClientId,
        frame: &Bytes,
        wakes: &mut Vec<Waker>,
    ) -> u64 {
        queue_for(
            &self.members,
            frame,
            |member| member.id != except && audience.includes(member.level()),
            |_, waker| wakes.push(waker),
        )
    }
}

/// Queues a chat `frame` for every member but `except`, collecting those whose writers must be
/// woken or written for; returns how many it was queued for.
fn send_waiting(
    members: &[Arc<Peer>],
    except: ClientId,
    frame: &Bytes,
    waiting: &mut Vec<(Arc<Peer>, Waker)>,
) -> u64 {
    queue_for(
        members,
        frame,
        |member| member.id != except,
        |member, waker| waiting.push((Arc::clone(member), waker)),
    )
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
