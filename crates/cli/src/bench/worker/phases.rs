//! The parent's commands a worker carries out across all its clients: a fanout phase (what
//! everyone is owed, and the report), holding, waking slow clients, closing, and churn.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::connect::ConnectResults;
use super::{ClientIndex, Control, Worker, cpu_millis};
use crate::bench::histogram::Latencies;
use crate::bench::pacing::Schedule;
use crate::bench::payload::SenderIndex;
use crate::bench::room_layout::RoomLayout;
use crate::bench::wire::{ChurnPhase, CloseReport, FanoutPhase, PhaseReport, RoomsReport, Tally};
use crate::bench::{micros, unix_nanos};

/// A failed churn cycle waits this long before the next, so a refusing server is not spun on.
pub(super) const CHURN_FAILURE_PAUSE: Duration = Duration::from_millis(20);

/// A fanout phase as the clients see it.
#[derive(Debug)]
pub(super) struct ActivePhase {
    pub(super) spec: FanoutPhase,
    pub(super) schedule: Schedule,
    /// Rooms runs: when each mover changes room (movers in the role of senders).
    pub(super) moves: Schedule,
    /// Rooms runs: lines said in each room in this phase.
    pub(super) lines_per_room: Vec<u64>,
    /// `spec.start_unix_nanos` on this process's monotonic clock.
    pub(super) start: Instant,
}

impl ActivePhase {
    /// Lines a reading client should receive in this phase: every sender's in its room but
    /// its own (without rooms, everyone is in one room). None are owed to a mover, whose
    /// rooms change under it.
    pub(super) fn expected_by(&self, client: ClientIndex, layout: Option<&RoomLayout>) -> u64 {
        let own = client
            .sender_index(self.spec.senders)
            .map_or(0, |s| self.schedule.messages_for(s));
        let heard = match layout {
            None => self.schedule.total_messages(),
            Some(layout) if layout.mover_of(client.0).is_some() => return 0,
            Some(layout) => self
                .lines_per_room
                .get(layout.home_of(client.0))
                .copied()
                .unwrap_or(0),
        };
        heard.saturating_sub(own)
    }
}

/// What this worker has measured in the current phase.
#[derive(Debug, Default)]
pub(super) struct PhaseStats {
    pub(super) phase: Option<u32>,
    pub(super) sent: Vec<u64>,
    pub(super) received_from: Vec<u64>,
    pub(super) latency: Latencies,
    /// Rooms runs: the same, by the room the line was said in.
    pub(super) latency_by_room: Vec<Latencies>,
    pub(super) gaps: u64,
    pub(super) duplicates: u64,
    pub(super) stale: u64,
    pub(super) foreign: u64,
    pub(super) max_send_lag_us: u64,
    pub(super) closes: Tally,
    pub(super) denies: Tally,
    /// Chat lines the server refused, per sender index (part of `denies`).
    pub(super) refused: Vec<u64>,
    pub(super) slow_outcomes: Tally,
    /// Rooms runs: what clients saw of rooms (its `join_latency` is filled from the next).
    pub(super) rooms: RoomsReport,
    pub(super) join_latency: Latencies,
}

impl Worker {
    pub(super) async fn fanout(self: Rc<Self>, spec: FanoutPhase) -> PhaseReport {
        let schedule = Schedule::new(
            spec.rate,
            spec.senders,
            Duration::from_millis(spec.duration_millis),
        );
        let now_unix = unix_nanos(SystemTime::now());
        let now = Instant::now();
        let start = if spec.start_unix_nanos > now_unix {
            now + Duration::from_nanos(spec.start_unix_nanos - now_unix)
        } else {
            now
        };
        let layout = self.setup.rooms.as_ref();
        let movers = layout.map_or(0, |layout| u32::try_from(layout.movers).unwrap_or(u32::MAX));
        let moves = Schedule::new(
            spec.moves_per_second,
            movers,
            Duration::from_millis(spec.duration_millis),
        );
        let lines_per_room = layout.map_or_else(Vec::new, |layout| {
            layout.lines_per_room(|sender| schedule.messages_for(SenderIndex(sender)))
        });
        let active = Arc::new(ActivePhase {
            spec,
            schedule,
            moves,
            lines_per_room,
            start,
        });
        let senders = usize::try_from(spec.senders).unwrap_or(0);
        *self.stats.borrow_mut() = PhaseStats {
            phase: Some(spec.phase),
            sent: vec![0; senders],
            refused: vec![0; senders],
            latency_by_room: (0..layout.map_or(0, RoomLayout::rooms))
                .map(|_| Latencies::default())
                .collect(),
            received_from: vec![0; senders],
            ..PhaseStats::default()
        };
        let mut receivers_at_start = 0;
        let mut receivers_by_room = vec![0; layout.map_or(1, RoomLayout::rooms)];
        let mut movers_at_start = 0;
        let mut moves_scheduled = 0;
        let mut receiving_senders = Vec::new();
        let mut outstanding = 0;
        for (slot, &open) in self.open.borrow().iter().enumerate() {
            let client = self.client_of_slot(slot);
            if !open || !self.is_healthy(client) {
                continue;
            }
            let mover = layout.and_then(|layout| layout.mover_of(client.0));
            if let Some(mover) = mover {
                movers_at_start += 1;
                moves_scheduled += active.moves.messages_for(SenderIndex(mover));
                continue;
            }
            receivers_at_start += 1;
            let room = layout.map_or(0, |layout| layout.home_of(client.0));
            if let Some(count) = receivers_by_room.get_mut(room) {
                *count += 1;
            }
            outstanding += active.expected_by(client, layout);
            if let Some(sender) = client.sender_index(spec.senders) {
                receiving_senders.push(sender.0);
            }
        }
        let open_at_start = self.open_count();
        self.outstanding.set(outstanding);
        *self.active.borrow_mut() = Some(Arc::clone(&active));
        self.control
            .send_replace(Control::Fanout(Arc::clone(&active)));

        tokio::time::sleep_until(start + Duration::from_millis(spec.duration_millis)).await;
        let drain_deadline = Instant::now() + Duration::from_millis(spec.drain_timeout_millis);
        self.outstanding.wait(drain_deadline).await;

        *self.active.borrow_mut() = None;
        // A sender still behind schedule stops here rather than spill into the next phase.
        self.control.send_replace(Control::Idle);
        let mut stats = std::mem::take(&mut *self.stats.borrow_mut());
        stats.rooms.movers_at_start = movers_at_start;
        stats.rooms.moves_scheduled = moves_scheduled;
        stats.rooms.join_latency = stats.join_latency.to_wire();
        PhaseReport {
            worker: self.setup.worker,
            open_at_start,
            open_at_end: self.open_count(),
            receivers_at_start,
            receivers_by_room,
            receiving_senders,
            sent: stats
                .sent
                .iter()
                .enumerate()
                .filter(|&(_, &n)| n > 0)
                .filter_map(|(i, &n)| Some((u32::try_from(i).ok()?, n)))
                .collect(),
            refused: stats
                .refused
                .iter()
                .enumerate()
                .filter(|&(_, &n)| n > 0)
                .filter_map(|(i, &n)| Some((u32::try_from(i).ok()?, n)))
                .collect(),
            received_from: stats.received_from,
            latency: stats.latency.to_wire(),
            latency_by_room: stats
                .latency_by_room
                .iter()
                .map(Latencies::to_wire)
                .collect(),
            gaps: stats.gaps,
            duplicates: stats.duplicates,
            stale: stats.stale,
            foreign: stats.foreign,
            max_send_lag_us: stats.max_send_lag_us,
            closes: stats.closes,
            denies: stats.denies,
            rooms: stats.rooms,
            cpu_millis: cpu_millis(),
            ..PhaseReport::default()
        }
    }

    /// A report with what any phase has: open connections and how others ended.
    pub(super) fn plain_report(&self, open_at_start: u64) -> PhaseReport {
        let mut stats = std::mem::take(&mut *self.stats.borrow_mut());
        stats.rooms.join_latency = stats.join_latency.to_wire();
        PhaseReport {
            worker: self.setup.worker,
            open_at_start,
            open_at_end: self.open_count(),
            closes: stats.closes,
            denies: stats.denies,
            slow_outcomes: stats.slow_outcomes,
            foreign: stats.foreign,
            stale: stats.stale,
            rooms: stats.rooms,
            cpu_millis: cpu_millis(),
            ..PhaseReport::default()
        }
    }

    /// Holds the connections for `duration`; the report has what happened since the last
    /// one (after connecting: the presence the arrivals brought).
    pub(super) async fn hold(&self, duration: Duration) -> PhaseReport {
        let open_at_start = self.open_count();
        self.control.send_replace(Control::Idle);
        tokio::time::sleep(duration).await;
        self.plain_report(open_at_start)
    }

    pub(super) async fn wake_slow(&self, timeout: Duration) -> PhaseReport {
        let open_at_start = self.open_count();
        *self.stats.borrow_mut() = PhaseStats::default();
        let slow_open = self
            .open
            .borrow()
            .iter()
            .enumerate()
            .filter(|&(slot, &open)| open && !self.is_healthy(self.client_of_slot(slot)))
            .count() as u64;
        self.pending_ends.set(slow_open);
        self.control.send_replace(Control::WakeSlow);
        self.pending_ends.wait(Instant::now() + timeout).await;
        let still_open = self.pending_ends.take();
        let mut report = self.plain_report(open_at_start);
        if still_open > 0 {
            report.slow_outcomes.add(
                &format!("still open after {} s", timeout.as_secs()),
                still_open,
            );
        }
        report
    }

    pub(super) async fn close_all(&self, timeout: Duration) -> CloseReport {
        self.pending_ends.set(self.open_count());
        self.control.send_replace(Control::Close);
        let still_open = self.pending_ends.wait(Instant::now() + timeout).await;
        let mut outcomes = self.close_outcomes.borrow().clone();
        if still_open > 0 {
            outcomes.add("close handshake unfinished", still_open);
        }
        CloseReport {
            worker: self.setup.worker,
            outcomes,
            cpu_millis: cpu_millis(),
        }
    }

    pub(super) async fn churn(self: Rc<Self>, churn: ChurnPhase) -> PhaseReport {
        let open_at_start = self.open_count();
        *self.stats.borrow_mut() = PhaseStats::default();
        let deadline = Instant::now() + Duration::from_millis(churn.duration_millis);
        let results = Rc::new(RefCell::new(ConnectResults::default()));
        let cycles = Rc::new(Cell::new(0_u64));
        let mut loops = tokio::task::JoinSet::new();
        // With a rate, each loop starts a connect every `lane_interval`, the loops staggered.
        let lane_interval = (churn.rate_per_second > 0.0 && churn.rate_per_second.is_finite())
            .then(|| Duration::from_secs_f64(f64::from(churn.concurrency) / churn.rate_per_second));
        let started = Instant::now();
        for lane in 0..u64::from(churn.concurrency) {
            let fleet = Rc::clone(&self);
            let results = Rc::clone(&results);
            let cycles = Rc::clone(&cycles);
            loops.spawn_local(async move {
                // Each lane walks its own client indices so the source addresses rotate.
                let mut client = ClientIndex(
                    lane * u64::from(fleet.setup.workers) + u64::from(fleet.setup.worker),
                );
                let mut next_start = lane_interval.map(|interval| {
                    started + interval.mul_f64(lane as f64 / f64::from(churn.concurrency.max(1)))
                });
                while Instant::now() < deadline {
                    if let (Some(at), Some(interval)) = (next_start.as_mut(), lane_interval) {
                        if *at >= deadline {
                            break;
                        }
                        tokio::time::sleep_until(*at).await;
                        *at += interval;
                    }
                    let join = churn.join_lobby.then_some("");
                    match fleet.open_connection(client, true, join).await {
                        Ok((mut ws, took, _)) => {
                            results.borrow_mut().latency.record_micros(micros(took));
                            let _ = fleet.close_gracefully(&mut ws).await;
                            cycles.set(cycles.get() + 1);
                            fleet.bump(|p| p.cycles += 1);
                        }
                        Err(reason) => {
                            results.borrow_mut().failures.add(&reason, 1);
                            fleet.bump(|p| p.connect_failures += 1);
                            tokio::time::sleep(CHURN_FAILURE_PAUSE).await;
                        }
                    }
                    client.0 += u64::from(churn.concurrency) * u64::from(fleet.setup.workers);
                }
            });
        }
        while loops.join_next().await.is_some() {}
        let mut report = self.plain_report(open_at_start);
        let results = results.borrow();
        report.cycles = cycles.get();
        report.connect_latency = results.latency.to_wire();
        report.connect_failures = results.failures.clone();
        report
    }
}
