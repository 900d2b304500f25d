//! Turning the workers' phase reports into totals (expected deliveries, loss, latency) and
//! choosing the next rate while `fanout-max` searches.

use super::histogram::{Latencies, human_micros};
use super::membership::MembershipChecks;
use super::room_layout::RoomLayout;
use super::wire::{PhaseReport, RoomsReport, Tally};

/// A fanout phase across all workers.
#[derive(Debug, Default)]
pub struct FanoutOutcome {
    /// Lines the schedule called for.
    pub scheduled: u64,
    /// Clients sending them.
    pub senders: u32,
    /// Lines the senders sent.
    pub sent: u64,
    /// Of those, lines the server refused (its chat rate limit, say): owed to nobody.
    pub refused: u64,
    /// Deliveries owed: each sender's lines the server accepted times the readers of its room
    /// open at the start, less itself (without rooms, every reader is in one room).
    pub expected: u64,
    /// Deliveries owed that arrived (new sequence numbers only).
    pub delivered: u64,
    /// Deliveries owed that never arrived, summed sender by sender; refused lines are not
    /// owed, so they are not loss.
    pub loss: u64,
    /// Latency of every delivery.
    pub latency: Latencies,
    /// Rooms runs: latency by the room the line was said in.
    pub latency_by_room: Vec<Latencies>,
    /// Reading clients open at the start.
    pub receivers: u64,
    /// Sequence numbers skipped.
    pub gaps: u64,
    /// Lines repeated or out of order.
    pub duplicates: u64,
    /// Lines of an earlier phase.
    pub stale: u64,
    /// Chat that was not the bench's.
    pub foreign: u64,
    /// Worst sender lag behind schedule, µs.
    pub max_send_lag_us: u64,
    /// How the server closed reading clients.
    pub closes: Tally,
    /// Refusals the senders got.
    pub denies: Tally,
    /// How slow clients ended (slow scenario only).
    pub slow_outcomes: Tally,
    /// Connections open at the start and at the end.
    pub open_at_start: u64,
    /// Connections open at the end.
    pub open_at_end: u64,
    /// Bench CPU time so far, all workers, ms.
    pub bench_cpu_millis: u64,
    /// Rooms runs: what the room checks found.
    pub rooms: RoomsOutcome,
}

/// Rooms runs: the workers' `RoomsReport`s added up.
#[derive(Debug, Default)]
pub struct RoomsOutcome {
    /// Chat lines that reached a client outside the room they were said in.
    pub wrong_room: u64,
    /// History lines from a sender of another room.
    pub wrong_room_history: u64,
    /// Moving clients at the start.
    pub movers: u64,
    /// Lines moving clients received (not owed, so not in `delivered`).
    pub mover_received: u64,
    /// Lines moving clients missed during a stay in a room.
    pub mover_gaps: u64,
    /// Presence messages clients received in the phase.
    pub presence_received: u64,
    /// Moves the schedule called for.
    pub moves_scheduled: u64,
    /// Moves made: joins answered with the room asked for.
    pub moves: u64,
    /// Joins refused, by reason.
    pub join_denies: Tally,
    /// Time from a join to its answer.
    pub join_latency: Latencies,
    /// Worst mover lag behind schedule, µs.
    pub max_move_lag_us: u64,
    /// Membership checks (from `CheckRooms`).
    pub membership: MembershipChecks,
    /// Clients whose check was not answered in time.
    pub unanswered_checks: u64,
    /// Clients open when the checks began, each of which should have checked its list.
    pub clients_to_check: u64,
}

impl RoomsOutcome {
    /// Adds one worker's report.
    pub fn add(&mut self, report: &RoomsReport) {
        self.wrong_room += report.wrong_room;
        self.wrong_room_history += report.wrong_room_history;
        self.movers += report.movers_at_start;
        self.mover_received += report.mover_received;
        self.mover_gaps += report.mover_gaps;
        self.presence_received += report.presence_received;
        self.moves_scheduled += report.moves_scheduled;
        self.moves += report.moves;
        self.join_denies.merge(&report.join_denies);
        self.join_latency.merge_wire(&report.join_latency);
        self.max_move_lag_us = self.max_move_lag_us.max(report.max_move_lag_us);
        self.membership.merge(&report.membership);
        self.unanswered_checks += report.unanswered_checks;
    }

    /// Adds the chat checks of another phase: lines in a wrong room, lines movers missed.
    pub fn add_chat_checks(&mut self, other: &Self) {
        self.wrong_room += other.wrong_room;
        self.wrong_room_history += other.wrong_room_history;
        self.mover_gaps += other.mover_gaps;
    }

    /// Adds up the rooms part of `reports`.
    pub fn aggregate(reports: &[PhaseReport]) -> Self {
        let mut outcome = Self::default();
        for report in reports {
            outcome.add(&report.rooms);
        }
        outcome
    }

    /// Why the rooms were not what the server promises; empty when they were: no line in a
    /// wrong room, nothing missed by a mover, every presence and member list consistent,
    /// every join and check answered.
    pub fn inconsistencies(&self) -> Vec<String> {
        let mut found = Vec::new();
        let mut count = |n: u64, what: &str| {
            if n > 0 {
                found.push(format!("{what}: {n}"));
            }
        };
        count(self.wrong_room, "chat lines in a wrong room");
        count(self.wrong_room_history, "history lines from a wrong room");
        count(self.mover_gaps, "lines missed by moving clients");
        let checks = &self.membership;
        count(checks.presence_unexpected, "unexpected presence events");
        count(
            checks.presence_wrong_room,
            "presence events for a wrong room",
        );
        count(checks.lists_differing, "member lists that differed");
        count(checks.unexpected_answers, "unexpected room answers");
        count(self.unanswered_checks, "member-list checks unanswered");
        count(
            self.clients_to_check
                .saturating_sub(checks.lists_checked + self.unanswered_checks),
            "member lists not checked (the check was refused)",
        );
        found
    }
}

impl FanoutOutcome {
    /// Adds up the workers' reports of one phase with `senders` senders, placed in rooms by
    /// `layout` (without one, everyone is in one room).
    pub fn aggregate(
        reports: &[PhaseReport],
        senders: u32,
        scheduled: u64,
        layout: Option<&RoomLayout>,
    ) -> Self {
        let sender_count = senders;
        let senders = usize::try_from(senders).unwrap_or(0);
        let mut sent_by = vec![0_u64; senders];
        let mut refused_by = vec![0_u64; senders];
        let mut received_from = vec![0_u64; senders];
        let mut receiving = vec![false; senders];
        let mut receivers_by_room = vec![0_u64; layout.map_or(1, RoomLayout::rooms)];
        let mut outcome = Self {
            scheduled,
            senders: sender_count,
            rooms: RoomsOutcome::aggregate(reports),
            ..Self::default()
        };
        for report in reports {
            if report.receivers_by_room.is_empty() {
                receivers_by_room[0] += report.receivers_at_start;
            }
            for (slot, &count) in receivers_by_room.iter_mut().zip(&report.receivers_by_room) {
                *slot += count;
            }
            for &(sender, count) in &report.sent {
                if let Some(slot) = sent_by.get_mut(sender as usize) {
                    *slot += count;
                }
            }
            for &(sender, count) in &report.refused {
                if let Some(slot) = refused_by.get_mut(sender as usize) {
                    *slot += count;
                }
            }
            for (slot, &count) in received_from.iter_mut().zip(&report.received_from) {
                *slot += count;
            }
            for &sender in &report.receiving_senders {
                if let Some(slot) = receiving.get_mut(sender as usize) {
                    *slot = true;
                }
            }
            outcome.receivers += report.receivers_at_start;
            outcome.latency.merge_wire(&report.latency);
            if outcome.latency_by_room.len() < report.latency_by_room.len() {
                outcome
                    .latency_by_room
                    .resize_with(report.latency_by_room.len(), Latencies::default);
            }
            for (room, wire) in outcome
                .latency_by_room
                .iter_mut()
                .zip(&report.latency_by_room)
            {
                room.merge_wire(wire);
            }
            outcome.gaps += report.gaps;
            outcome.duplicates += report.duplicates;
            outcome.stale += report.stale;
            outcome.foreign += report.foreign;
            outcome.max_send_lag_us = outcome.max_send_lag_us.max(report.max_send_lag_us);
            outcome.closes.merge(&report.closes);
            outcome.denies.merge(&report.denies);
            outcome.slow_outcomes.merge(&report.slow_outcomes);
            outcome.open_at_start += report.open_at_start;
            outcome.open_at_end += report.open_at_end;
            outcome.bench_cpu_millis += report.cpu_millis;
        }
        for (sender, index) in (0..senders).zip(0..sender_count) {
            let room = layout.map_or(0, |layout| layout.room_of_sender(index));
            let readers =
                receivers_by_room.get(room).copied().unwrap_or(0) - u64::from(receiving[sender]);
            let accepted = sent_by[sender].saturating_sub(refused_by[sender]);
            let owed = accepted * readers;
            outcome.sent += sent_by[sender];
            outcome.refused += sent_by[sender] - accepted;
            outcome.expected += owed;
            outcome.delivered += received_from[sender];
            outcome.loss += owed.saturating_sub(received_from[sender]);
        }
        outcome
    }

    /// Why this phase does not count as held with p99 latency at most `p99_bound_us`; empty
    /// when it does: everything delivered, nobody closed or refused, p99 within the bound, and
    /// the senders within the same bound of their schedule (or the rate was not really offered).
    pub fn shortfalls(&self, p99_bound_us: u64) -> Vec<String> {
        let mut reasons = Vec::new();
        if self.loss > 0 {
            reasons.push(format!("{} deliveries lost", self.loss));
        }
        if !self.closes.is_empty() {
            reasons.push(format!("server closed {} readers", self.closes.total()));
        }
        if !self.denies.is_empty() {
            reasons.push(format!("server refused {} lines", self.denies.total()));
        }
        if self.sent < self.scheduled {
            reasons.push(format!(
                "only {} of {} lines sent",
                self.sent, self.scheduled
            ));
        }
        let p99 = self.latency.summary().p99_us;
        if p99 > p99_bound_us {
            reasons.push(format!("p99 {} over the bound", human_micros(p99)));
        }
        if self.max_send_lag_us > p99_bound_us {
            reasons.push(format!(
                "senders {} behind schedule",
                human_micros(self.max_send_lag_us)
            ));
        }
        reasons
    }
}

/// The rate search of `fanout-max`: double the rate while steps pass, then bisect between the
/// best pass and the lowest failure a few times.
#[derive(Debug)]
pub struct RateSearch {
    next: Option<f64>,
    best: Option<f64>,
    lowest_failure: Option<f64>,
    max_rate: f64,
    refinements_left: u32,
}

/// Bisection stops when the best pass is within this fraction of the lowest failure: finer
/// than run-to-run noise on a shared machine is not worth the time.
const SEARCH_PRECISION: f64 = 0.05;

/// Rates below this are not worth measuring.
const MIN_RATE: f64 = 1.0;

impl RateSearch {
    /// A search starting at `start` messages per second, never above `max_rate`.
    pub fn new(start: f64, max_rate: f64, refinements: u32) -> Self {
        Self {
            next: Some(start.min(max_rate)),
            best: None,
            lowest_failure: None,
            max_rate,
            refinements_left: refinements,
        }
    }

    /// The rate to try next, or `None` when the search is over.
    pub fn next_rate(&self) -> Option<f64> {
        self.next
    }

    /// The highest rate that passed.
    #[cfg(test)]
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// Records whether `rate` passed and picks the next rate.
    pub fn record(&mut self, rate: f64, passed: bool) {
        if passed {
            self.best = Some(self.best.map_or(rate, |b| b.max(rate)));
        } else {
            self.lowest_failure = Some(self.lowest_failure.map_or(rate, |f| f.min(rate)));
        }
        self.next = match self.lowest_failure {
            None if rate >= self.max_rate => None,
            None => Some((rate * 2.0).min(self.max_rate)),
            Some(_) if self.refinements_left == 0 => None,
            Some(failure) => {
                self.refinements_left -= 1;
                let floor = self.best.unwrap_or(0.0);
                let middle = ((floor + failure) / 2.0).round();
                let close_enough = (failure - floor) / failure < SEARCH_PRECISION;
                (!close_enough && middle >= MIN_RATE && middle > floor).then_some(middle)
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(
        sent: &[(u32, u64)],
        received: &[u64],
        receivers: u64,
        senders_reading: &[u32],
    ) -> PhaseReport {
        PhaseReport {
            sent: sent.to_vec(),
            received_from: received.to_vec(),
            receivers_at_start: receivers,
            receiving_senders: senders_reading.to_vec(),
            ..PhaseReport::default()
        }
    }

    #[test]
    fn expects_each_line_at_every_reader_but_its_sender() {
        // Two workers; 5 readers in all, both senders among them. Each sender's lines are
        // owed to the 4 other readers.
        let reports = [
            report(&[(0, 10)], &[30, 20], 3, &[0]),
            report(&[(1, 5)], &[10, 0], 2, &[1]),
        ];
        let outcome = FanoutOutcome::aggregate(&reports, 2, 15, None);
        assert_eq!(outcome.sent, 15);
        assert_eq!(outcome.expected, 60);
        assert_eq!(outcome.delivered, 60);
        assert_eq!(outcome.loss, 0);
        assert!(outcome.shortfalls(1_000).is_empty());
    }

    #[test]
    fn loss_is_counted_per_sender() {
        // Sender 0 is over-delivered (a duplicate slipped through); that must not hide
        // sender 1's loss.
        let reports = [report(&[(0, 10), (1, 10)], &[25, 15], 3, &[0, 1])];
        let outcome = FanoutOutcome::aggregate(&reports, 2, 20, None);
        assert_eq!(outcome.expected, 40);
        assert_eq!(outcome.loss, 5);
        assert_eq!(outcome.shortfalls(1_000), ["5 deliveries lost"]);
    }

    #[test]
    fn a_sender_that_is_not_reading_is_owed_to_everyone() {
        let reports = [report(&[(0, 4)], &[12], 3, &[])];
        let outcome = FanoutOutcome::aggregate(&reports, 1, 4, None);
        assert_eq!(outcome.expected, 12);
        assert_eq!(outcome.loss, 0);
    }

    #[test]
    fn a_phase_is_held_only_within_the_bounds() {
        let mut slow = report(&[(0, 4)], &[12], 3, &[]);
        slow.latency = vec![(5_000, 12)];
        slow.max_send_lag_us = 2_000;
        let outcome = FanoutOutcome::aggregate(&[slow], 1, 5, None);
        assert_eq!(
            outcome.shortfalls(1_000),
            [
                "only 4 of 5 lines sent",
                "p99 5.00 ms over the bound",
                "senders 2.00 ms behind schedule"
            ]
        );
        assert_eq!(outcome.shortfalls(10_000), ["only 4 of 5 lines sent"]);
    }

    #[test]
    fn in_rooms_each_line_is_owed_to_its_rooms_readers_only() {
        // Rooms a and b; senders 0 (in a) and 1 (in b), both reading. a has 3 readers, b 2.
        let layout = RoomLayout::new(vec!["a".to_owned(), "b".to_owned()], 2, 5, 0);
        let mut first = report(&[(0, 10), (1, 4)], &[20, 4], 3, &[0, 1]);
        first.receivers_by_room = vec![2, 1];
        let mut second = report(&[], &[0, 0], 2, &[]);
        second.receivers_by_room = vec![1, 1];
        second.rooms.wrong_room = 1;
        second.rooms.mover_received = 7;
        let outcome = FanoutOutcome::aggregate(&[first, second], 2, 14, Some(&layout));
        // Sender 0's 10 lines to a's 2 other readers, sender 1's 4 to b's 1 other reader.
        assert_eq!(outcome.expected, 24);
        assert_eq!(outcome.delivered, 24);
        assert_eq!(outcome.loss, 0);
        assert_eq!(outcome.rooms.mover_received, 7);
        assert_eq!(
            outcome.rooms.inconsistencies(),
            ["chat lines in a wrong room: 1"]
        );
    }

    #[test]
    fn search_doubles_then_bisects() {
        let mut search = RateSearch::new(100.0, 10_000.0, 3);
        let mut tried = Vec::new();
        while let Some(rate) = search.next_rate() {
            tried.push(rate);
            search.record(rate, rate <= 500.0);
        }
        assert_eq!(tried, [100.0, 200.0, 400.0, 800.0, 600.0, 500.0, 550.0]);
        assert_eq!(search.best(), Some(500.0));
    }

    #[test]
    fn search_stops_at_the_cap() {
        let mut search = RateSearch::new(100.0, 300.0, 3);
        let mut tried = Vec::new();
        while let Some(rate) = search.next_rate() {
            tried.push(rate);
            search.record(rate, true);
        }
        assert_eq!(tried, [100.0, 200.0, 300.0]);
        assert_eq!(search.best(), Some(300.0));
    }

    #[test]
    fn search_goes_down_when_the_first_step_fails() {
        let mut search = RateSearch::new(1_000.0, 10_000.0, 2);
        search.record(1_000.0, false);
        assert_eq!(search.next_rate(), Some(500.0));
        search.record(500.0, true);
        assert_eq!(search.next_rate(), Some(750.0));
        search.record(750.0, true);
        assert_eq!(search.next_rate(), None);
        assert_eq!(search.best(), Some(750.0));
    }
}
