//! `Batch`: a busy room's chat lines gathered so that each member is written several at once.
//!
//! A write costs the server far more than the frames in it (on loopback about 5 µs a write
//! against 0.15 µs a frame, as the kernel does the receiving side's work too), so under a
//! steady stream of lines the room wakes its members once for several lines rather than once
//! for each. A line waits at most the batch window, and less when the room's pace says the
//! next line would come too late to join it; a room that is quiet (no line in the last
//! window) sends each line at once. All members of a room are woken together, so their
//! writes come in one burst that the worker threads and the clients' readers take in one go.

use std::task::Waker;
use std::time::Duration;

use tokio::time::Instant;

/// A room's batch: the members to wake when it goes out, and the room's pace.
#[derive(Debug, Default)]
pub struct Batch {
    /// Members with frames waiting, to wake when the batch goes out.
    wakes: Vec<Waker>,
    /// When the oldest line of the batch was queued; `None` with nothing waiting.
    started: Option<Instant>,
    /// When the room's last line was queued.
    last_line: Option<Instant>,
    /// The time between the room's lines, smoothed.
    interval: Option<Duration>,
    /// Whether a task is waiting to send the batch when it is due.
    pub flusher_running: bool,
}

/// What to do with a line just queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Send {
    /// Wake its recipients now.
    Now,
    /// Leave it in the batch, which is due then.
    At(Instant),
}

impl Batch {
    /// The wakers of members with frames waiting, where a busy line's recipients go.
    pub fn wakes(&mut self) -> &mut Vec<Waker> {
        &mut self.wakes
    }

    /// Records a line at `now` and says whether it goes out now or waits in the batch.
    pub fn line(&mut self, now: Instant, window: Duration) -> Send {
        let gap = self
            .last_line
            .map(|last| now.saturating_duration_since(last));
        self.last_line = Some(now);
        if let Some(gap) = gap {
            self.interval = Some(
                self.interval
                    .map_or(gap, |interval| (interval * 3 + gap) / 4),
            );
        }
        let busy = gap.is_some_and(|gap| gap < window);
        if !busy {
            return Send::Now;
        }
        let due = *self.started.get_or_insert(now) + window;
        // Waiting for the next line would keep the oldest past its window: go now, with the
        // lines there are.
        let next_line = now + self.interval.unwrap_or(window);
        if next_line > due {
            Send::Now
        } else {
            Send::At(due)
        }
    }

    /// When the batch is due, if anything is waiting.
    pub fn due(&self, window: Duration) -> Option<Instant> {
        self.started.map(|started| started + window)
    }

    /// Empties the batch into `wakes`, to be woken once the room's lock is released.
    pub fn send_into(&mut self, wakes: &mut Vec<Waker>) {
        wakes.append(&mut self.wakes);
        self.started = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_millis(22);

    #[test]
    fn a_quiet_room_sends_each_line_at_once() {
        let mut batch = Batch::default();
        let start = Instant::now();
        for n in 0..5 {
            let at = start + Duration::from_millis(100 * n);
            assert_eq!(batch.line(at, WINDOW), Send::Now, "line {n}");
        }
    }

    #[test]
    fn a_steady_room_sends_four_lines_at_a_time_within_the_window() {
        let mut batch = Batch::default();
        let start = Instant::now();
        let every = Duration::from_micros(6_667);
        let mut sent_with = Vec::new();
        let mut waiting = 0;
        for n in 0..40u32 {
            let at = start + every * n;
            waiting += 1;
            match batch.line(at, WINDOW) {
                Send::Now => {
                    batch.send_into(&mut Vec::new());
                    sent_with.push(waiting);
                    waiting = 0;
                }
                Send::At(due) => assert!(due <= at + WINDOW),
            }
        }
        // The first line goes alone (the room was quiet); then four at a time, the oldest of
        // them having waited three intervals (20 ms), inside the 22 ms window.
        assert_eq!(sent_with[0], 1);
        assert!(
            sent_with[2..].iter().all(|lines| *lines == 4),
            "{sent_with:?}"
        );
    }

    #[test]
    fn a_fast_room_gathers_a_window_of_lines() {
        let mut batch = Batch::default();
        let start = Instant::now();
        let every = Duration::from_micros(667);
        let mut largest = 0;
        let mut waiting = 0;
        for n in 0..200u32 {
            waiting += 1;
            if batch.line(start + every * n, WINDOW) == Send::Now {
                batch.send_into(&mut Vec::new());
                largest = largest.max(waiting);
                waiting = 0;
            }
        }
        assert!((30..=34).contains(&largest), "{largest}");
    }
}
