//! Turning the workers' phase reports into totals (expected deliveries, loss, latency) and
//! choosing the next rate while `fanout-max` searches.

use super::histogram::{Latencies, human_micros};
use super::wire::{PhaseReport, Tally};

/// A fanout phase across all workers.
#[derive(Debug, Default)]
pub struct FanoutOutcome {
    /// Lines the schedule called for.
    pub scheduled: u64,
    /// Lines the senders sent.
    pub sent: u64,
    /// Deliveries owed: each sender's lines times the readers open at the start, less itself.
    pub expected: u64,
    /// Deliveries that arrived (new sequence numbers only).
    pub delivered: u64,
    /// Deliveries owed that never arrived, summed sender by sender.
    pub loss: u64,
    /// Latency of every delivery.
    pub latency: Latencies,
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
}

impl FanoutOutcome {
    /// Adds up the workers' reports of one phase with `senders` senders.
    pub fn aggregate(reports: &[PhaseReport], senders: u32, scheduled: u64) -> Self {
        let senders = usize::try_from(senders).unwrap_or(0);
        let mut sent_by = vec![0_u64; senders];
        let mut received_from = vec![0_u64; senders];
        let mut receiving = vec![false; senders];
        let mut outcome = Self {
            scheduled,
            ..Self::default()
        };
        for report in reports {
            for &(sender, count) in &report.sent {
                if let Some(slot) = sent_by.get_mut(sender as usize) {
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
        for sender in 0..senders {
            let readers = outcome.receivers - u64::from(receiving[sender]);
            let owed = sent_by[sender] * readers;
            outcome.sent += sent_by[sender];
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
        let outcome = FanoutOutcome::aggregate(&reports, 2, 15);
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
        let outcome = FanoutOutcome::aggregate(&reports, 2, 20);
        assert_eq!(outcome.expected, 40);
        assert_eq!(outcome.loss, 5);
        assert_eq!(outcome.shortfalls(1_000), ["5 deliveries lost"]);
    }

    #[test]
    fn a_sender_that_is_not_reading_is_owed_to_everyone() {
        let reports = [report(&[(0, 4)], &[12], 3, &[])];
        let outcome = FanoutOutcome::aggregate(&reports, 1, 4);
        assert_eq!(outcome.expected, 12);
        assert_eq!(outcome.loss, 0);
    }

    #[test]
    fn a_phase_is_held_only_within_the_bounds() {
        let mut slow = report(&[(0, 4)], &[12], 3, &[]);
        slow.latency = vec![(5_000, 12)];
        slow.max_send_lag_us = 2_000;
        let outcome = FanoutOutcome::aggregate(&[slow], 1, 5);
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
