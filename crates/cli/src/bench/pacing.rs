//! The open-loop send schedule: when each sender's messages are due, fixed before the run and
//! never waiting for replies, so a slow server shows up as latency instead of a slower bench.

use std::time::Duration;

use super::payload::SenderIndex;

/// `rate` messages per second in total for `duration`, dealt round-robin to `senders` senders:
/// message `j` overall is due at `j / rate` seconds and is sent by sender `j % senders`.
/// Interleaving the senders this way spreads the load evenly over time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Schedule {
    rate_per_second: f64,
    senders: u32,
    total_messages: u64,
}

impl Schedule {
    /// The schedule for one phase. A zero rate, sender count or duration sends nothing.
    pub fn new(rate_per_second: f64, senders: u32, duration: Duration) -> Self {
        let total = (rate_per_second * duration.as_secs_f64()).floor();
        let total_messages = if total.is_finite() && total >= 1.0 && senders > 0 {
            // Float to integer `as` saturates, and the value is a non-negative whole number.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let whole = total as u64;
            whole
        } else {
            0
        };
        Self {
            rate_per_second,
            senders,
            total_messages,
        }
    }

    /// Messages in the whole phase, all senders together.
    pub fn total_messages(&self) -> u64 {
        self.total_messages
    }

    /// How many messages `sender` sends in this phase.
    pub fn messages_for(&self, sender: SenderIndex) -> u64 {
        let senders = u64::from(self.senders);
        let index = u64::from(sender.0);
        if index >= senders {
            return 0;
        }
        // Messages index, index + senders, index + 2 * senders, … below total_messages.
        self.total_messages.saturating_sub(index).div_ceil(senders)
    }

    /// When message `seq` of `sender` is due, measured from the start of the phase.
    pub fn due(&self, sender: SenderIndex, seq: u64) -> Duration {
        let overall = u64::from(sender.0) + seq * u64::from(self.senders);
        // Exact for any count below 2^53; a phase never comes near that.
        #[allow(clippy::cast_precision_loss)]
        let seconds = overall as f64 / self.rate_per_second;
        Duration::from_secs_f64(seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deals_messages_round_robin() {
        // 10 messages over 1 s from 3 senders: 4, 3 and 3.
        let schedule = Schedule::new(10.0, 3, Duration::from_secs(1));
        assert_eq!(schedule.total_messages(), 10);
        let counts: Vec<u64> = (0..3)
            .map(|s| schedule.messages_for(SenderIndex(s)))
            .collect();
        assert_eq!(counts, [4, 3, 3]);
        assert_eq!(schedule.messages_for(SenderIndex(3)), 0);
        assert_eq!(schedule.due(SenderIndex(0), 0), Duration::ZERO);
        assert_eq!(schedule.due(SenderIndex(1), 0), Duration::from_millis(100));
        assert_eq!(schedule.due(SenderIndex(0), 1), Duration::from_millis(300));
        assert_eq!(schedule.due(SenderIndex(0), 3), Duration::from_millis(900));
    }

    #[test]
    fn the_last_message_is_due_before_the_phase_ends() {
        let schedule = Schedule::new(1_000.0, 7, Duration::from_secs(2));
        for s in 0..7 {
            let sender = SenderIndex(s);
            let last = schedule.messages_for(sender) - 1;
            assert!(schedule.due(sender, last) < Duration::from_secs(2));
        }
        let sum: u64 = (0..7).map(|s| schedule.messages_for(SenderIndex(s))).sum();
        assert_eq!(sum, 2_000);
    }

    #[test]
    fn more_senders_than_messages_leaves_some_idle() {
        let schedule = Schedule::new(2.0, 5, Duration::from_secs(1));
        let counts: Vec<u64> = (0..5)
            .map(|s| schedule.messages_for(SenderIndex(s)))
            .collect();
        assert_eq!(counts, [1, 1, 0, 0, 0]);
    }

    #[test]
    fn nothing_to_send_is_not_an_error() {
        assert_eq!(
            Schedule::new(0.0, 3, Duration::from_secs(1)).total_messages(),
            0
        );
        assert_eq!(
            Schedule::new(10.0, 0, Duration::from_secs(1)).total_messages(),
            0
        );
        assert_eq!(
            Schedule::new(f64::NAN, 3, Duration::from_secs(1)).total_messages(),
            0
        );
    }
}
