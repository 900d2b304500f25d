//! What a bench client does in a rooms run: its first join on connecting, moves from room to
//! room on the phase's schedule, following presence, and the final check of its member list.
//! Chat lines are checked against the room in `Worker::on_chat`.

use std::io;
use std::time::Duration;

use tokio::time::Instant;

use super::{ClientPhase, Control, PhaseReport, PhaseStats, Worker};
use crate::bench::conn::{Conn, ConnError};
use crate::bench::frame::{PacketView, RoomView, view_packet};
use crate::bench::membership::{Answer, Membership};
use crate::bench::micros;
use crate::bench::payload::Stamp;

/// `ClientPhase::next_expected` for a sender whose sequence a mover has not seen yet in its
/// current room: whatever comes first is taken as where it stands.
pub const UNKNOWN_SEQ: u64 = u64::MAX;

/// The answer to a client's first join.
pub struct Joined {
    /// The room it names.
    name: String,
    /// Its members.
    members: Vec<u64>,
    /// The list is not the whole room (a big room): the view cannot be checked.
    partial: bool,
    /// From sending the join to the answer.
    pub took: Duration,
}

/// A client's part in a rooms run.
pub struct ClientRooms {
    /// Its room and members as it has been told them.
    pub membership: Membership<Instant>,
    /// Whether its `CheckRooms` refresh is still to be answered.
    pub awaiting_check: bool,
    /// Members its first room has once every client has joined.
    home_size: usize,
    /// Whether its view has reached `home_size` (or it no longer waits for that).
    pub settled: bool,
}

impl ClientRooms {
    /// Whether it may start a move now: not while another join waits for its answer.
    pub fn can_move(&self) -> bool {
        self.membership.pending_joins() == 0
    }
}

impl Worker {
    /// The room `client` joins on connecting, as its number and name; `None` outside rooms runs.
    pub(super) fn home_room(&self, client: super::ClientIndex) -> Option<(usize, &str)> {
        let layout = self.setup.rooms.as_ref()?;
        if !layout.joins_on_connect(client.0) {
            return None;
        }
        let room = layout.home_of(client.0);
        Some((room, layout.names.get(room)?.as_str()))
    }

    /// Sends the join for `room` right after the ID and waits for its answer. Presence that
    /// comes first is from the lobby, where every client starts; it is not followed.
    pub(super) async fn join_first_room(
        &self,
        conn: &mut Conn,
        room: &str,
    ) -> Result<Joined, String> {
        let started = Instant::now();
        conn.queue_join(room);
        conn.flush()
            .await
            .map_err(|error| ConnError::Io(error).to_string())?;
        let answer = conn
            .read_until(&self.scratch, "room", |payload| {
                match view_packet(payload) {
                    Some(PacketView::Room(room)) => {
                        let mut members = Vec::new();
                        room.members(|id| members.push(id));
                        Some(Ok((room.name.to_owned(), members, room.partial)))
                    }
                    Some(PacketView::Deny(reason)) => Some(Err(format!("join refused: {reason}"))),
                    _ => None,
                }
            })
            .await?;
        let (name, members, partial) = answer?;
        Ok(Joined {
            name,
            members,
            partial,
            took: started.elapsed(),
        })
    }

    /// A client's view of `room` from the answer to its first join.
    pub(super) fn first_room(&self, room: usize, joined: &Joined) -> Result<ClientRooms, String> {
        let layout = self
            .setup
            .rooms
            .as_ref()
            .ok_or_else(|| "not a rooms run".to_owned())?;
        let mut membership = Membership::default();
        membership.joining(room, Instant::now());
        let answer = membership.on_room(
            layout,
            &joined.name,
            joined.members.iter().copied(),
            &mut self.checks.borrow_mut(),
        );
        if !matches!(answer, Answer::Moved { .. }) {
            return Err(format!(
                "joined {:?} instead of {:?}",
                joined.name, layout.names[room]
            ));
        }
        // A big room's answer lists only the client, and its presence comes in batches the
        // bench does not follow: such a view is not waited for.
        let home_size = if joined.partial {
            0
        } else {
            usize::try_from(layout.settle_size(room)).unwrap_or(usize::MAX)
        };
        let settled = membership.member_count() >= home_size;
        if !settled {
            self.unsettled_views.add(1);
        }
        Ok(ClientRooms {
            membership,
            awaiting_check: false,
            home_size,
            settled,
        })
    }

    /// A refusal: of the oldest join waiting, if any, else of a line.
    pub(super) fn on_deny(
        &self,
        reason: &str,
        phase: Option<&ClientPhase>,
        rooms: &mut ClientRooms,
    ) {
        match rooms.membership.on_deny() {
            Some(_) => self.stats.borrow_mut().rooms.join_denies.add(reason, 1),
            None => self.line_refused(reason, phase),
        }
        self.after_answer(rooms);
    }

    /// A `RoomMessage`: the answer to the oldest join waiting. Its history must hold lines of
    /// this room's senders only; after a move, it also says where each sender's sequence
    /// stands, so a line missing right after the move is noticed.
    pub(super) fn on_room(
        &self,
        room: &RoomView<'_>,
        phase: Option<&mut ClientPhase>,
        rooms: &mut ClientRooms,
    ) {
        let Some(layout) = self.setup.rooms.as_ref() else {
            return;
        };
        let mut members = Vec::new();
        room.members(|id| members.push(id));
        let answer =
            rooms
                .membership
                .on_room(layout, room.name, members, &mut self.checks.borrow_mut());
        let mut stats = self.stats.borrow_mut();
        let now = Instant::now();
        let (here, moved) = match answer {
            Answer::Moved { room, sent_at } => {
                stats.rooms.moves += 1;
                stats.join_latency.record_micros(micros(now - sent_at));
                (room, true)
            }
            Answer::Refreshed { sent_at } => {
                // In a re-join run, a re-join is the move asked for.
                if layout.rejoin {
                    stats.rooms.moves += 1;
                }
                stats.join_latency.record_micros(micros(now - sent_at));
                (rooms.membership.room().unwrap_or_default(), false)
            }
            Answer::Unexpected => {
                drop(stats);
                self.after_answer(rooms);
                return;
            }
        };
        let mut phase = phase.filter(|_| moved);
        if let Some(phase) = phase.as_deref_mut() {
            phase.next_expected.fill(UNKNOWN_SEQ);
        }
        let stats = &mut *stats;
        room.history(|text| {
            let Some(stamp) = Stamp::parse(text) else {
                return;
            };
            if layout.room_of_sender(stamp.sender.0) != here {
                stats.rooms.wrong_room_history += 1;
                return;
            }
            let Some(phase) = phase
                .as_deref_mut()
                .filter(|phase| phase.active.spec.phase == stamp.phase)
            else {
                return;
            };
            if let Some(next) = usize::try_from(stamp.sender.0)
                .ok()
                .and_then(|i| phase.next_expected.get_mut(i))
            {
                if *next == UNKNOWN_SEQ || *next <= stamp.seq {
                    *next = stamp.seq + 1;
                }
            }
        });
        self.after_answer(rooms);
    }

    /// Presence, applied to the client's view.
    pub(super) fn on_presence(&self, who: u64, joined: bool, room: &str, rooms: &mut ClientRooms) {
        self.stats.borrow_mut().rooms.presence_received += 1;
        if let Some(layout) = self.setup.rooms.as_ref() {
            rooms
                .membership
                .on_presence(layout, who, joined, room, &mut self.checks.borrow_mut());
        }
        if !rooms.settled && rooms.membership.member_count() >= rooms.home_size {
            self.view_settled(rooms);
        }
    }

    /// `rooms`'s client waits no more for the arrivals that fill its first room.
    pub(super) fn view_settled(&self, rooms: &mut ClientRooms) {
        if rooms.settled {
            return;
        }
        rooms.settled = true;
        self.unsettled_views.count_down(1);
    }

    /// After connecting: waits until every client has heard of every arrival in its first
    /// room, so that the presence of the last arrivals (which the server may hold back for a
    /// few milliseconds to gather writes) is neither counted in the first phase nor adds to its
    /// server CPU. Returns how many clients were still waiting at `timeout` (clients that
    /// failed to connect leave their rooms short for good).
    pub(super) async fn settle_views(&self, timeout: Duration) -> u64 {
        self.unsettled_views.wait(Instant::now() + timeout).await
    }

    /// Ends a `CheckRooms` wait for this client once every join it sent is answered.
    fn after_answer(&self, rooms: &mut ClientRooms) {
        if rooms.awaiting_check && rooms.membership.pending_joins() == 0 {
            rooms.awaiting_check = false;
            self.check_done();
        }
    }

    /// Sends a mover's next move, which is due: to the next room round.
    pub(super) async fn make_move(
        &self,
        conn: &mut Conn,
        phase: &mut ClientPhase,
        rooms: &mut ClientRooms,
    ) -> io::Result<()> {
        let due = phase.next_move_due();
        phase.next_move += 1;
        let (Some(layout), Some(here)) =
            (self.setup.rooms.as_ref(), rooms.membership.destination())
        else {
            return Ok(());
        };
        let now = Instant::now();
        let target = layout.next_room(here);
        if !rooms.membership.joining(target, now) {
            return Ok(());
        }
        match &layout.rejoin_as {
            Some(text) if target == here => conn.queue_join(text),
            _ => conn.queue_join(&layout.names[target]),
        }
        if let Some(due) = due {
            let mut stats = self.stats.borrow_mut();
            stats.rooms.max_move_lag_us = stats
                .rooms
                .max_move_lag_us
                .max(micros(now.saturating_duration_since(due)));
        }
        conn.flush().await
    }

    /// `CheckRooms` for one client: asks again for the room it is in (or on its way to), whose
    /// answer is checked against its view.
    pub(super) async fn refresh(
        &self,
        conn: &mut Conn,
        rooms: Option<&mut ClientRooms>,
    ) -> io::Result<()> {
        let target = self
            .setup
            .rooms
            .as_ref()
            .zip(rooms)
            .and_then(|(layout, rooms)| {
                let room = rooms.membership.destination()?;
                rooms.membership.joining(room, Instant::now()).then(|| {
                    rooms.awaiting_check = true;
                    layout.names[room].as_str()
                })
            });
        match target {
            Some(name) => {
                conn.queue_join(name);
                conn.flush().await
            }
            None => {
                self.check_done();
                Ok(())
            }
        }
    }

    /// One client's `CheckRooms` is over.
    pub(super) fn check_done(&self) {
        self.pending_checks.count_down(1);
    }

    /// Has every client check its member list against a fresh `RoomMessage`, and reports the
    /// membership checks of the whole run.
    pub(super) async fn check_rooms(&self, timeout: Duration) -> PhaseReport {
        let open_at_start = self.open_count();
        *self.stats.borrow_mut() = PhaseStats::default();
        let clients = if self.setup.rooms.is_some() {
            open_at_start
        } else {
            0
        };
        self.pending_checks.set(clients);
        if clients > 0 {
            self.control.send_replace(Control::CheckRooms);
            self.pending_checks.wait(Instant::now() + timeout).await;
        }
        let unanswered = self.pending_checks.take();
        self.control.send_replace(Control::Idle);
        let mut report = self.plain_report(open_at_start);
        report.rooms.membership = self.checks.take();
        report.rooms.unanswered_checks = unanswered;
        report
    }
}
