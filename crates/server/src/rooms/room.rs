//! `Room`: one room — its record (what it is) and its local members (how it reaches the
//! clients connected here) under one lock — and `apply`, the one function every change to a
//! room goes through.
//!
//! A change is an event with the room's next sequence number (see `event`). Applying it under
//! the room's lock updates the record and queues its frames for the local members in the same
//! critical section, so every member sees the same order of events and a newcomer's
//! `RoomMessage` (members and history) is exactly the state before the next event it is sent.
//! The lock is held while frames are queued (a push onto each recipient's outbox, a few tens of
//! nanoseconds), never while anything is written to a socket, and recipients are woken after it
//! is released. Rooms do not share locks: a connect storm in one room never waits on another.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use mmo_protocol::Level;
use tokio::runtime::Handle;

use crate::address_prefix::AddressKey;
use crate::load::ServerLoad;
use crate::outbox::fan_out;
use crate::peer::{self, Peer};
use crate::rooms::answer::AnswerCache;
use crate::rooms::delivery::{AfterUnlock, Deferred, LocalMembers, Pacing, PresenceMode};
use crate::rooms::event::{RoomChange, RoomEvent};
use crate::rooms::record::{OutOfOrder, RoomRecord};
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
    /// Percent of the workers' time busy from which busy rooms batch (see `load`); 0 always
    /// batches.
    pub batch_from_busy_percent: u32,
    /// Rooms with more members than this batch their presence and page their member list
    /// (`presence_batch_above`).
    pub presence_batch_above: usize,
    /// How long a big room gathers presence into one batch (`presence_window_ms`); zero, or no
    /// runtime, sends each event's batch at once.
    pub presence_window: std::time::Duration,
}

/// A member page was asked for by a client that is not a member of the room here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAMember;

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
    /// The server is shutting down: nothing enters or is said any more.
    ShuttingDown,
}

/// A room: its record, its members connected here, and its lock.
#[derive(Debug)]
pub struct Room {
    name: Box<str>,
    is_lobby: bool,
    limits: RoomLimits,
    /// The runtime the room's batches are timed and delivered on: the server's main one,
    /// whichever thread a line comes from. `None` (this code driven without a runtime, as in
    /// benchmarks) sends every line at once.
    runtime: Option<Handle>,
    /// Whether the server is short of CPU: busy rooms batch only then (see `load`).
    load: Arc<ServerLoad>,
    state: Mutex<RoomState>,
    /// Members now, readable without the lock (room lists, metrics).
    member_count: AtomicUsize,
    /// The address whose client made the room, when it counts against that address's
    /// `max_rooms_per_address`.
    pub made_by: Option<AddressKey>,
    /// Counts every member joining or leaving: shared by a directory's rooms, so that its room
    /// list is made again only when a count changed.
    pub membership_changes: Arc<AtomicU64>,
}

/// What the room's lock guards.
#[derive(Debug)]
pub struct RoomState {
    /// What the room is: members, history, last event.
    pub record: RoomRecord,
    /// How it reaches the members connected here.
    pub local: LocalMembers,
    /// Set when the room has been taken out of the directory because it emptied.
    pub removed: bool,
    /// The room's `RoomMessage`, encoded in parts kept until an event changes them.
    pub answer: AnswerCache,
    /// Set when the server shuts down: members may only leave. Set under the lock, so a line
    /// is queued for every member before the shutdown closes them, or is not accepted.
    pub shut: bool,
}

impl Room {
    /// An empty room, batching its lines while `load` says the server is loaded.
    pub fn new(
        name: &str,
        is_lobby: bool,
        limits: RoomLimits,
        runtime: Option<Handle>,
        load: Arc<ServerLoad>,
    ) -> Self {
        Self {
            name: name.into(),
            is_lobby,
            limits,
            runtime,
            load,
            state: Mutex::new(RoomState {
                record: RoomRecord::new(limits.history_lines, limits.history_bytes),
                local: LocalMembers::default(),
                removed: false,
                shut: false,
                answer: AnswerCache::default(),
            }),
            member_count: AtomicUsize::new(0),
            made_by: None,
            membership_changes: Arc::default(),
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

    /// Members now, on every server.
    pub fn member_count(&self) -> usize {
        self.member_count.load(Ordering::Relaxed)
    }

    /// The room's lock.
    pub fn lock(&self) -> MutexGuard<'_, RoomState> {
        // Every critical section leaves the state whole before anything that can panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `change` may be made now: a room shutting down only lets members leave.
    pub fn check_open_for(&self, state: &RoomState, change: &RoomChange) -> Result<(), EnterError> {
        match change {
            RoomChange::Left { .. } => Ok(()),
            _ if state.shut => Err(EnterError::ShuttingDown),
            RoomChange::Joined { .. } => self.check_room_for_one(state),
            RoomChange::Chat(_) | RoomChange::Renamed { .. } => Ok(()),
        }
    }

    /// Whether one more member may enter now.
    pub fn check_room_for_one(&self, state: &RoomState) -> Result<(), EnterError> {
        if state.shut {
            Err(EnterError::ShuttingDown)
        } else if state.removed {
            Err(EnterError::Removed)
        } else if !self.is_lobby && state.record.member_count() >= self.limits.max_members {
            Err(EnterError::Full {
                max_members: self.limits.max_members,
            })
        } else {
            Ok(())
        }
    }

    /// Applies the room's next event: the record changes, and the members connected here are
    /// sent what it means for them. `local` is the member the event is about when it is
    /// connected here: a joiner becomes a local member (and is sent the room's `RoomMessage`
    /// when `answer` is set), a leaver stops being one. Every change to a room goes through
    /// here, whoever made it and whichever server it was made on.
    pub fn apply(
        &self,
        state: &mut RoomState,
        event: &RoomEvent,
        local: Option<&Arc<Peer>>,
        answer: bool,
        after: &mut AfterUnlock<'_>,
    ) -> Result<(), OutOfOrder> {
        state.record.apply(event)?;
        match &event.change {
            RoomChange::Chat(_) => state.answer.history_changed(),
            RoomChange::Joined { .. } | RoomChange::Left { .. } => {
                state.answer.members_changed();
                self.membership_changes.fetch_add(1, Ordering::Relaxed);
            }
            RoomChange::Renamed { .. } => state.answer.members_changed(),
        }
        self.member_count
            .store(state.record.member_count(), Ordering::Relaxed);
        match (&event.change, local) {
            (RoomChange::Joined { .. }, Some(peer)) => state.local.subscribe(peer),
            (RoomChange::Left { .. }, Some(peer)) => {
                state.local.unsubscribe(peer);
            }
            _ => {}
        }
        let members = state.record.member_count();
        state.local.deliver(
            &self.name,
            members,
            &event.change,
            self.pacing(),
            self.presence_mode(members),
            after,
        );
        // `RoomMessage` is one of this project's own messages: only a full-level client may
        // be sent it (see `Level`).
        if let (RoomChange::Joined { .. }, Some(peer), true) = (&event.change, local, answer) {
            if peer.understands(Level::Full) {
                self.answer_locked(state, peer, after);
            }
        }
        Ok(())
    }

    /// Makes `change` the room's next event and applies it (see `apply`): the in-process way
    /// of publishing, for a room with no other server.
    pub fn commit(
        &self,
        state: &mut RoomState,
        change: RoomChange,
        local: Option<&Arc<Peer>>,
        answer: bool,
        after: &mut AfterUnlock<'_>,
    ) {
        let event = RoomEvent {
            seq: state.record.next_seq(),
            change,
        };
        // The event was numbered from this record: it cannot be out of order.
        let _ = self.apply(state, &event, local, answer, after);
    }

    /// Whether a member leaving now is told to the room's tutorial-level members by the
    /// room's own leave notice: only in a room that is small once the leaver is gone (a big
    /// room batches its presence and sends no leave notices; docs/protocol.md, "Presence in
    /// big rooms"), so the world tells its tutorial-level players itself in a big one.
    pub fn sends_leave_notices(&self) -> bool {
        self.member_count().saturating_sub(1) <= self.limits.presence_batch_above
    }

    /// How a room of `members` members tells them of joins and leaves.
    fn presence_mode(&self, members: usize) -> PresenceMode {
        if members > self.limits.presence_batch_above {
            PresenceMode::Batched {
                send_now: self.limits.presence_window.is_zero() || self.runtime.is_none(),
            }
        } else {
            PresenceMode::PerEvent
        }
    }

    /// Whether the room is big now (see `PresenceMode`): its `RoomMessage` lists only the
    /// asker, and the rest is paged.
    fn is_big(&self, state: &RoomState) -> bool {
        state.record.member_count() > self.limits.presence_batch_above
    }

    /// Makes `change` the room's next event and applies it now, under the room's lock, then
    /// does what is left for after it: how a cluster broker applies an event in the order its
    /// transport delivered it. Returns how many frames it queued.
    pub fn commit_now(
        self: &Arc<Self>,
        change: RoomChange,
        local: Option<&Arc<Peer>>,
        answer: bool,
    ) -> u64 {
        let deferred = fan_out(|wakes| {
            let mut after = AfterUnlock::new(wakes);
            self.commit(&mut self.lock(), change, local, answer, &mut after);
            after.into_deferred()
        });
        self.finish(deferred)
    }

    /// Makes `change` the room's next event and applies it to the record only, telling no
    /// member here: how a cluster broker catches up with what happened in the room before it
    /// followed it, when members here (who entered while the broker was away) must not be
    /// sent it as news.
    pub fn commit_unannounced(&self, change: RoomChange) {
        let mut state = self.lock();
        let event = RoomEvent {
            seq: state.record.next_seq(),
            change,
        };
        // Numbered from this record: it cannot be out of order.
        let _ = state.record.apply(&event);
        state.answer.members_changed();
        state.answer.history_changed();
        self.member_count
            .store(state.record.member_count(), Ordering::Relaxed);
        self.membership_changes.fetch_add(1, Ordering::Relaxed);
    }

    /// Forgets what the room is (members, history, last event), keeping its members here:
    /// what a cluster broker does before loading the room again from its transport, and when
    /// it stops following it (what it would know would go stale).
    pub fn forget_record(&self) {
        let mut state = self.lock();
        state.record = RoomRecord::new(self.limits.history_lines, self.limits.history_bytes);
        state.answer = AnswerCache::default();
        self.member_count.store(0, Ordering::Relaxed);
        self.membership_changes.fetch_add(1, Ordering::Relaxed);
    }

    /// Batched while the server is loaded; at once while it has CPU to spare, where the
    /// latency a batch adds buys nothing (see `load`).
    fn pacing(&self) -> Pacing {
        if self.limits.batch_window.is_zero() || self.runtime.is_none() || !self.load.is_loaded() {
            Pacing::Immediate
        } else {
            Pacing::Batched {
                window: self.limits.batch_window,
            }
        }
    }

    /// Does what was left for after the lock: wakes writers, delivers a due batch, starts the
    /// batch's timer. Returns how many frames the events queued.
    pub fn finish(self: &Arc<Self>, deferred: Deferred) -> u64 {
        let Deferred {
            due,
            start_flusher,
            delivered,
            start_presence_flusher,
        } = deferred;
        peer::deliver(due, self.runtime.as_ref());
        if let Some(runtime) = self.runtime.as_ref().filter(|_| start_flusher) {
            runtime.spawn(send_batches_when_due(Arc::downgrade(self)));
        }
        if let Some(runtime) = self.runtime.as_ref().filter(|_| start_presence_flusher) {
            runtime.spawn(send_presence_when_due(
                Arc::downgrade(self),
                self.limits.presence_window,
            ));
        }
        delivered
    }

    /// Sends `peer` (a member) the room's `RoomMessage`.
    pub fn answer(&self, peer: &Peer) {
        fan_out(|wakes| {
            let mut after = AfterUnlock::new(wakes);
            self.answer_locked(&mut self.lock(), peer, &mut after);
        });
    }

    /// Queues the room's `RoomMessage` for `peer` under the room's lock, so that it comes
    /// before the next event: from the answer cache, a copy of bytes.
    fn answer_locked(&self, state: &mut RoomState, peer: &Peer, after: &mut AfterUnlock<'_>) {
        let max_listed = if self.is_big(state) {
            1
        } else {
            self.limits.max_members
        };
        let RoomState { record, answer, .. } = state;
        let frame = answer.frame(&self.name, record, peer.id, max_listed);
        LocalMembers::send_one(peer, frame, after);
    }

    /// Sends `peer` one page of the room's members (`MemberListMessage`): those with IDs
    /// above `after_id`, at most `limit`, as of now in the room's order. Under the room's
    /// lock, so the page is in order with the events around it; the work is the page's size
    /// (members are kept by ID), never the room's. `Err` when `peer` is not a member here.
    pub fn member_page(&self, peer: &Peer, after_id: u64, limit: usize) -> Result<(), NotAMember> {
        fan_out(|wakes| {
            let mut after = AfterUnlock::new(wakes);
            let state = self.lock();
            if !state.local.contains(peer) {
                return Err(NotAMember);
            }
            let page = state.record.member_page(&self.name, after_id, limit);
            LocalMembers::send_one(peer, encode_packet_frame(&page), &mut after);
            Ok(())
        })
    }

    /// Raises `peer`'s level (a member here or not), keeping the per-level counts true. Under
    /// the room's lock so that no fan-out sees the new level without the count.
    pub fn raise_member_level(&self, peer: &Peer, level: Level) {
        self.lock().local.raise_level(peer, level);
    }

    /// Marks the room removed if it has no members; returns whether it did.
    pub fn remove_if_empty(&self) -> bool {
        let mut state = self.lock();
        if state.record.member_count() == 0 && !self.is_lobby {
            state.removed = true;
            true
        } else {
            false
        }
    }

    /// Lets members only leave from now on: taken under the room's lock, so a fan-out under
    /// way finishes first.
    pub fn shut(&self) {
        self.lock().shut = true;
    }

    /// Members connected to this server now.
    pub fn local_member_count(&self) -> usize {
        self.lock().local.len()
    }

    /// Lines and bytes of history kept now.
    pub fn history_size(&self) -> (usize, usize) {
        self.lock().record.history_size()
    }

    /// The room's recent lines, oldest first.
    pub fn history_lines(&self) -> Vec<mmo_protocol::ChatLine> {
        self.lock().record.history_lines()
    }
}

/// Sends a big room's presence batch when its window ends.
async fn send_presence_when_due(room: std::sync::Weak<Room>, window: std::time::Duration) {
    tokio::time::sleep(window).await;
    let Some(room) = room.upgrade() else {
        return;
    };
    let deferred = fan_out(|wakes| {
        let mut after = AfterUnlock::new(wakes);
        let mut state = room.lock();
        state.local.presence.flusher_running = false;
        let members = state.record.member_count();
        state
            .local
            .send_presence_batch(&room.name, members, &mut after);
        after.into_deferred()
    });
    room.finish(deferred);
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
            let Some(due) = state.local.batch.due() else {
                state.local.batch.flusher_running = false;
                return;
            };
            due
        };
        tokio::time::sleep_until(due).await;
        let due_now = {
            let mut state = room.lock();
            let now = tokio::time::Instant::now();
            if state.local.batch.due().is_some_and(|due| due <= now) {
                state.local.batch.take()
            } else {
                Vec::new()
            }
        };
        peer::deliver(due_now, room.runtime.as_ref());
    }
}
