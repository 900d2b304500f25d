//! `Batch`: a busy room's chat lines gathered so that each member is written several at once.
//!
//! A write costs the server far more than the frames in it (on loopback about 5 µs a write
//! against 0.15 µs a frame, as the kernel does the receiving side's work too), so under a
//! steady stream of lines the room wakes its members once for several lines rather than once
//! for each. How long a line may wait follows the room's pace: about three of its intervals
//! between lines (so a write carries up to four lines), at least `FAST_ROOM_WAIT` and at most
//! the configured window (with the default 16 ms, a room of 150 lines a second gets three
//! lines a write: a fourth would come too late). A fast room thus waits only a few milliseconds (its lines
//! pile up quickly anyway), a room of a few lines a second waits longest, and a room whose
//! lines come further apart than that sends each line at once. A batch also goes out early
//! when the room's pace says the next line would come too late to join it. All members of a
//! room get the batch together (`peer::deliver`): written from here where the member's
//! session is idle, its session woken where it is not, so the writes come in one burst that
//! the worker threads and the clients' readers take in one go.
//!
//! Batching is for a server short of CPU: while its workers have time to spare
//! (`crate::load`), every room sends each line at once (`Room::pacing`), since a batch then
//! only adds latency.

use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use tokio::time::Instant;

use crate::peer::Peer;

/// How many of the room's intervals between lines a line may wait: three, so that a write
/// carries up to four lines, which at 150 lines a second to 1,000 members (and a 20 ms window)
/// cut server CPU per delivery from 3.9 to 1.5 µs before direct writes, 1.3 µs with them
/// (docs/benchmarks.md).
const LINES_WAITED_FOR: u32 = 3;

/// The shortest a busy room's line waits (unless the configured window is shorter): a room of
/// 1,500 lines a second then writes each member about eight lines at a time, 0.42 µs of server
/// CPU per delivery to 1,000 members on the 2-core benchmark machine, where a 4 ms floor made
/// it 0.47 µs (docs/benchmarks.md). It is not a share of the window, so that a shorter window,
/// chosen for latency, does not also cost the fastest rooms their batches.
const FAST_ROOM_WAIT: Duration = Duration::from_millis(5);

/// A room's batch: the members to wake when it goes out, and the room's pace.
#[derive(Debug, Default)]
pub struct Batch {
    /// Members with frames waiting and their writers, to deliver to when the batch goes out.
    waiting: Vec<(Arc<Peer>, Waker)>,
    /// When the batch must go out; `None` with nothing waiting.
    due: Option<Instant>,
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
    /// Members with frames waiting and their writers, where a busy line's recipients go.
    pub fn waiting(&mut self) -> &mut Vec<(Arc<Peer>, Waker)> {
        &mut self.waiting
    }

    /// Records a line at `now` and says whether it goes out now or waits in the batch, which
    /// waits at most `window` (see the module doc for how long it waits).
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
        let paced = self
            .interval
            .map_or(window, |interval| interval * LINES_WAITED_FOR)
            .clamp(FAST_ROOM_WAIT.min(window), window);
        let busy = gap.is_some_and(|gap| gap < paced);
        if !busy {
            return Send::Now;
        }
        let due = *self.due.get_or_insert(now + paced);
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
    pub fn due(&self) -> Option<Instant> {
        self.due
    }

    /// Empties the batch into `wakes`, to be woken once the room's lock is released.
    pub fn send_into(&mut self, wakes: &mut Vec<Waker>) {
        wakes.extend(self.waiting.drain(..).map(|(_, waker)| waker));
        self.due = None;
    }

    /// Empties the batch, for `deliver` once the room's lock is released.
    pub fn take(&mut self) -> Vec<(Arc<Peer>, Waker)> {
        self.due = None;
        std::mem::take(&mut self.waiting)
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
        let mut oldest = start;
        for n in 0..40u32 {
            let at = start + every * n;
            if waiting == 0 {
                oldest = at;
            }
            waiting += 1;
            match batch.line(at, WINDOW) {
                Send::Now => {
                    batch.send_into(&mut Vec::new());
                    sent_with.push(waiting);
                    waiting = 0;
                }
                Send::At(due) => assert!(due <= oldest + WINDOW, "line {n} waits too long"),
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
    fn the_default_window_sends_three_lines_at_a_time_at_150_lines_a_second() {
        let window = crate::config::DEFAULT_WRITE_COALESCE;
        let mut batch = Batch::default();
        let start = Instant::now();
        let every = Duration::from_micros(6_667);
        let mut sent_with = Vec::new();
        let mut oldest = None;
        let mut longest_wait = Duration::ZERO;
        for n in 0..40u32 {
            let at = start + every * n;
            let first = *oldest.get_or_insert((at, 0));
            oldest = Some((first.0, first.1 + 1));
            if batch.line(at, window) == Send::Now {
                batch.send_into(&mut Vec::new());
                sent_with.push(first.1 + 1);
                longest_wait = longest_wait.max(at - first.0);
                oldest = None;
            }
        }
        // The fourth line would come after the window closes (20 ms > 16 ms): the third takes
        // the batch, whose oldest line has waited two intervals.
        assert!(
            sent_with[2..].iter().all(|lines| *lines == 3),
            "{sent_with:?}"
        );
        assert!(longest_wait < window, "{longest_wait:?}");
    }

    #[test]
    fn a_window_shorter_than_the_fast_room_wait_still_bounds_the_wait() {
        let window = Duration::from_millis(2);
        let mut batch = Batch::default();
        let start = Instant::now();
        let every = Duration::from_micros(200);
        for n in 0..100u32 {
            let at = start + every * n;
            if let Send::At(due) = batch.line(at, window) {
                assert!(due <= at + window, "line {n} due {:?} late", due - at);
            } else {
                batch.send_into(&mut Vec::new());
            }
        }
    }

    #[test]
    fn a_fast_room_waits_the_fast_room_wait_and_still_gathers_many_lines() {
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
        // 5 ms at one line every 0.667 ms.
        assert!((7..=9).contains(&largest), "{largest}");
    }
}
