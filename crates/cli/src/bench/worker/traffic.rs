//! Chat lines out and in: a client's part in the current phase (`ClientPhase`), sending its
//! lines on schedule, and checking each line that arrives (latency, order, loss, refusals).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::phases::ActivePhase;
use super::rooms::{ClientRooms, UNKNOWN_SEQ};
use super::{ClientIndex, Worker};
use crate::bench::conn::Conn;
use crate::bench::frame::{PacketView, view_packet};
use crate::bench::payload::{SenderIndex, Stamp};
use crate::bench::room_layout::RoomLayout;
use crate::bench::{micros, unix_nanos};

/// Most lines a sender writes per wake-up when it is behind schedule, so it reads its own
/// incoming lines in between instead of starving them.
pub(super) const MAX_SEND_BATCH: u64 = 256;

/// One reading client's part in a fanout phase.
pub(super) struct ClientPhase {
    pub(super) active: Arc<ActivePhase>,
    /// Set when this client is one of the senders.
    pub(super) sender: Option<SenderIndex>,
    pub(super) next_seq: u64,
    pub(super) to_send: u64,
    /// Set when this client moves between rooms.
    pub(super) mover: Option<SenderIndex>,
    pub(super) next_move: u64,
    pub(super) moves_to_make: u64,
    /// Next sequence number expected from each sender (`UNKNOWN_SEQ`: any).
    pub(super) next_expected: Vec<u64>,
    pub(super) expected: u64,
    pub(super) received: u64,
}

impl ClientPhase {
    pub(super) fn new(
        active: Arc<ActivePhase>,
        client: ClientIndex,
        layout: Option<&RoomLayout>,
    ) -> Self {
        let sender = client.sender_index(active.spec.senders);
        let to_send = sender.map_or(0, |s| active.schedule.messages_for(s));
        let mover = layout
            .and_then(|layout| layout.mover_of(client.0))
            .map(SenderIndex);
        let moves_to_make = mover.map_or(0, |m| active.moves.messages_for(m));
        let senders = usize::try_from(active.spec.senders).unwrap_or(0);
        Self {
            expected: active.expected_by(client, layout),
            active,
            sender,
            next_seq: 0,
            to_send,
            mover,
            next_move: 0,
            moves_to_make,
            next_expected: vec![0; senders],
            received: 0,
        }
    }

    pub(super) fn sender_or_zero(&self) -> SenderIndex {
        self.sender.unwrap_or(SenderIndex(0))
    }

    pub(super) fn has_more_to_send(&self) -> bool {
        self.next_seq < self.to_send
    }

    pub(super) fn next_due(&self) -> Option<Instant> {
        let sender = self.sender?;
        self.has_more_to_send()
            .then(|| self.active.start + self.active.schedule.due(sender, self.next_seq))
    }

    pub(super) fn has_more_moves(&self) -> bool {
        self.next_move < self.moves_to_make
    }

    pub(super) fn next_move_due(&self) -> Option<Instant> {
        let mover = self.mover?;
        self.has_more_moves()
            .then(|| self.active.start + self.active.moves.due(mover, self.next_move))
    }
}

impl Worker {
    pub(super) async fn send_due(
        &self,
        conn: &mut Conn,
        phase: &mut ClientPhase,
        text: &mut String,
    ) -> std::io::Result<()> {
        let now = Instant::now();
        let sent_unix_nanos = unix_nanos(SystemTime::now());
        let mut batch = 0;
        let mut worst_lag = Duration::ZERO;
        while batch < MAX_SEND_BATCH {
            let Some(due) = phase.next_due().filter(|&due| due <= now) else {
                break;
            };
            worst_lag = worst_lag.max(now - due);
            let spec = &phase.active.spec;
            let stamp = Stamp {
                phase: spec.phase,
                sender: phase.sender_or_zero(),
                seq: phase.next_seq,
                sent_unix_nanos,
            };
            stamp.write_padded(spec.payload_bytes, text);
            conn.queue_chat(text);
            phase.next_seq += 1;
            batch += 1;
        }
        // One write for the whole batch.
        conn.flush().await?;
        let mut stats = self.stats.borrow_mut();
        if stats.phase == Some(phase.active.spec.phase) {
            if let Some(count) = usize::try_from(phase.sender_or_zero().0)
                .ok()
                .and_then(|i| stats.sent.get_mut(i))
            {
                *count += batch;
            }
            stats.max_send_lag_us = stats.max_send_lag_us.max(micros(worst_lag));
        }
        drop(stats);
        self.bump(|p| p.sent += batch);
        Ok(())
    }

    /// Handles a packet from a read at `read_at` (Unix nanoseconds, taken at the first line).
    pub(super) fn on_packet(
        &self,
        bytes: &[u8],
        phase: Option<&mut ClientPhase>,
        rooms: Option<&mut ClientRooms>,
        read_at: &mut Option<u64>,
    ) {
        match (view_packet(bytes), rooms) {
            (Some(PacketView::Chat(text)), rooms) => {
                self.on_chat(text, phase, rooms.as_deref(), read_at);
            }
            (Some(PacketView::Deny(reason)), Some(rooms)) => {
                self.on_deny(reason, phase.as_deref(), rooms);
            }
            (Some(PacketView::Deny(reason)), None) => self.line_refused(reason, phase.as_deref()),
            (Some(PacketView::Room(room)), Some(rooms)) => self.on_room(&room, phase, rooms),
            (Some(PacketView::Presence { who, joined, room }), Some(rooms)) => {
                self.on_presence(who, joined, room, rooms);
            }
            (Some(PacketView::PresenceBatch), Some(_)) => {
                self.stats.borrow_mut().rooms.presence_received += 1;
            }
            _ => {}
        }
    }

    /// A refusal of one of this client's chat lines: counted by reason, and against its
    /// sender so that the lines the server refused are not owed to anyone (not loss).
    pub(super) fn line_refused(&self, reason: &str, phase: Option<&ClientPhase>) {
        let mut stats = self.stats.borrow_mut();
        stats.denies.add(reason, 1);
        let sender = phase
            .filter(|phase| stats.phase == Some(phase.active.spec.phase))
            .and_then(|phase| phase.sender);
        if let Some(count) = sender
            .and_then(|sender| usize::try_from(sender.0).ok())
            .and_then(|i| stats.refused.get_mut(i))
        {
            *count += 1;
        }
    }

    pub(super) fn on_chat(
        &self,
        text: &str,
        phase: Option<&mut ClientPhase>,
        rooms: Option<&ClientRooms>,
        read_at: &mut Option<u64>,
    ) {
        let mut stats = self.stats.borrow_mut();
        let Some(stamp) = Stamp::parse(text) else {
            stats.foreign += 1;
            return;
        };
        if let (Some(layout), Some(rooms)) = (self.setup.rooms.as_ref(), rooms) {
            if Some(layout.room_of_sender(stamp.sender.0)) != rooms.membership.room() {
                stats.rooms.wrong_room += 1;
                return;
            }
        }
        let Some(phase) = phase.filter(|p| p.active.spec.phase == stamp.phase) else {
            stats.stale += 1;
            return;
        };
        if stats.phase != Some(stamp.phase) {
            stats.stale += 1;
            return;
        }
        let Some(next) = usize::try_from(stamp.sender.0)
            .ok()
            .and_then(|i| phase.next_expected.get_mut(i))
        else {
            stats.foreign += 1;
            return;
        };
        if *next == UNKNOWN_SEQ {
            // A mover's first line from this sender since it entered the room, with no
            // history line of it to say where the sequence stood.
            *next = stamp.seq;
        }
        if stamp.seq < *next {
            stats.duplicates += 1;
            return;
        }
        let skipped = stamp.seq - *next;
        *next = stamp.seq + 1;
        let now = *read_at.get_or_insert_with(|| unix_nanos(SystemTime::now()));
        let latency_nanos = now.saturating_sub(stamp.sent_unix_nanos);
        let latency_us = latency_nanos / 1_000;
        stats.latency.record_micros(latency_us);
        if let Some(room) = self
            .setup
            .rooms
            .as_ref()
            .map(|layout| layout.room_of_sender(stamp.sender.0))
        {
            if let Some(by_room) = stats.latency_by_room.get_mut(room) {
                by_room.record_micros(latency_us);
            }
        }
        let owed = phase.mover.is_none();
        if owed {
            stats.gaps += skipped;
            if let Some(count) = usize::try_from(stamp.sender.0)
                .ok()
                .and_then(|i| stats.received_from.get_mut(i))
            {
                *count += 1;
            }
        } else {
            stats.rooms.mover_gaps += skipped;
            stats.rooms.mover_received += 1;
        }
        drop(stats);
        self.bump(|p| {
            p.received += 1;
            p.max_latency_us = p.max_latency_us.max(latency_us);
        });
        if owed {
            phase.received += 1;
            self.outstanding.count_down(1);
        }
    }
}
