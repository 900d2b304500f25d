//! `Outbox`: a client's queue of frames waiting to be written, bounded in bytes. Producers
//! (other clients' relays, the pinger, shutdown) push without blocking; the client's own
//! session task takes everything queued at once and writes it in one vectored write.
//!
//! The writer's waker lives under the same lock as the queue: a push that finds the writer
//! waiting takes the waker and wakes it, and every later push until the writer has taken its
//! frames finds no waker and costs nothing more than the queue update. A fan-out to N clients
//! thus wakes each writer at most once however many frames pile up before it runs.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;

use crate::session::Disconnect;

/// What each queued frame costs beyond its bytes (the `Bytes` handle and queue slot), so a
/// flood of tiny frames is bounded too.
const FRAME_OVERHEAD_BYTES: usize = 48;

/// Frame slots (32 bytes each) an emptied queue may keep for reuse by `take_into`. Swapping
/// queues instead of allocating saves a malloc, a realloc or two and a free per batch under
/// fan-out; past this size (a backlog after a burst) the buffer is freed instead, so an idle
/// client goes back to holding at most 2 KB of spare slots.
const MAX_SPARE_FRAME_SLOTS: usize = 64;

/// A bounded queue of encoded frames for one client, and the waker of its writer.
#[derive(Debug)]
pub struct Outbox {
    state: Mutex<OutboxState>,
    limit_bytes: usize,
}

#[derive(Debug, Default)]
struct OutboxState {
    frames: VecDeque<Bytes>,
    /// Bytes pushed and not yet reported written, including frames the writer has taken.
    queued_bytes: usize,
    closing: Option<Disconnect>,
    /// The writer's waker, set while it waits with nothing to take; taken by the first push
    /// or close that gives it something.
    writer: Option<Waker>,
}

/// What `Outbox::take` returns: everything queued, in a buffer of its own.
#[cfg(test)]
#[derive(Debug, Default)]
pub struct Batch {
    /// Frames to write, oldest first.
    pub frames: VecDeque<Bytes>,
    /// Set once the session must end, with why.
    pub closing: Option<Disconnect>,
}

/// Why a push did not queue the frame.
#[derive(Debug, PartialEq, Eq)]
pub enum PushError {
    /// The client is already being disconnected.
    Closing,
    /// Queuing it would pass the byte limit: the client is now being disconnected as too slow.
    Overflow,
}

impl Outbox {
    /// An empty outbox that holds at most `limit_bytes`.
    pub fn new(limit_bytes: usize) -> Self {
        Self {
            state: Mutex::new(OutboxState::default()),
            limit_bytes,
        }
    }

    /// Queues a frame and wakes the writer. Past the byte limit the client is marked to be
    /// disconnected as too slow instead: it is never silently skipped.
    pub fn push(&self, frame: Bytes) -> Result<(), PushError> {
        let writer = self.push_deferring_wake(frame)?;
        wake(writer);
        Ok(())
    }

    /// Queues a frame like `push`, but hands back the writer's waker, if it must be woken,
    /// instead of waking it: a fan-out wakes its recipients after it has released the room's
    /// lock (see `fan_out`). A refused push has already woken the writer to close.
    pub fn push_deferring_wake(&self, frame: Bytes) -> Result<Option<Waker>, PushError> {
        let mut state = self.lock();
        if state.closing.is_some() {
            return Err(PushError::Closing);
        }
        let after = state.queued_bytes + cost(&frame);
        if after > self.limit_bytes {
            state.closing = Some(Disconnect::TooSlow {
                limit_bytes: self.limit_bytes,
            });
            let writer = state.writer.take();
            drop(state);
            wake(writer);
            return Err(PushError::Overflow);
        }
        state.frames.push_back(frame);
        state.queued_bytes = after;
        // A writer that is not waiting has been woken already (or is running) and will take
        // this frame with the others: only the first push after it waited wakes it.
        Ok(state.writer.take())
    }

    /// Whether the session has been asked to end.
    pub fn is_closing(&self) -> bool {
        self.lock().closing.is_some()
    }

    /// Asks the session to end for `reason`, unless it is already ending.
    pub fn close(&self, reason: Disconnect) {
        let mut state = self.lock();
        if state.closing.is_none() {
            state.closing = Some(reason);
            let writer = state.writer.take();
            drop(state);
            wake(writer);
        }
    }

    /// Whether there are frames to take or the session must end; if not, the waker in `cx` is
    /// woken when there are. Only one task (the session's) may wait on an outbox: a second
    /// waiter would replace the first.
    pub fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.lock();
        if !state.frames.is_empty() || state.closing.is_some() {
            return Poll::Ready(());
        }
        match &mut state.writer {
            Some(waker) => waker.clone_from(cx.waker()),
            empty => *empty = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Waits until there are frames to take or the session must end.
    pub async fn ready(&self) {
        poll_fn(|cx| self.poll_ready(cx)).await;
    }

    /// Takes every queued frame and the closing reason, if any (it stays set). The session
    /// uses `take_into`, which reuses its buffer; this is the simpler form for tests.
    #[cfg(test)]
    pub fn take(&self) -> Batch {
        let mut frames = VecDeque::new();
        let closing = self.take_into(&mut frames);
        Batch { frames, closing }
    }

    /// Moves every queued frame to the back of `into` and returns the closing reason, if any
    /// (it stays set). When `into` is empty the two buffers are swapped, so the queue reuses
    /// the writer's spare capacity instead of allocating anew.
    pub fn take_into(&self, into: &mut VecDeque<Bytes>) -> Option<Disconnect> {
        if into.is_empty() && into.capacity() > MAX_SPARE_FRAME_SLOTS {
            *into = VecDeque::new();
        }
        let mut state = self.lock();
        if into.is_empty() {
            std::mem::swap(into, &mut state.frames);
        } else {
            into.append(&mut state.frames);
        }
        state.closing.clone()
    }

    /// Reports `frames` frames of `bytes` bytes in all written (or discarded) by the writer,
    /// freeing their share of the limit.
    pub fn release(&self, frames: usize, bytes: usize) {
        let freed = bytes + frames * FRAME_OVERHEAD_BYTES;
        let mut state = self.lock();
        state.queued_bytes = state.queued_bytes.saturating_sub(freed);
    }

    /// Bytes queued or being written.
    #[cfg(test)]
    pub fn queued_bytes(&self) -> usize {
        self.lock().queued_bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OutboxState> {
        // Every critical section is a few field updates that cannot panic half-way.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Wakes the writer after the lock is released: a wake-up may take the scheduler's locks or
/// make a syscall to unpark a worker thread, which must not lengthen the critical section
/// every producer contends for.
fn wake(writer: Option<Waker>) {
    if let Some(writer) = writer {
        writer.wake();
    }
}

/// Most wakers a thread keeps room for between fan-outs; past it the buffer is freed after use,
/// so one fan-out to a huge room does not pin its memory on every worker thread.
const MAX_RETAINED_WAKERS: usize = 4096;

thread_local! {
    /// The wakers a fan-out on this thread collected under a lock, woken once it is released.
    /// Kept per thread so a fan-out allocates nothing per recipient once warmed up.
    static DEFERRED_WAKES: RefCell<Vec<Waker>> = const { RefCell::new(Vec::new()) };
}

/// Runs `deliver`, which pushes frames under some lock with `push_deferring_wake` and collects
/// the wakers it gets into the vector it is given; once `deliver` has returned (and released
/// its lock), wakes them all. Waking may take the scheduler's locks or unpark a thread, which
/// must not lengthen a critical section others wait on.
pub fn fan_out<R>(deliver: impl FnOnce(&mut Vec<Waker>) -> R) -> R {
    let mut wakes = DEFERRED_WAKES.with(RefCell::take);
    let result = deliver(&mut wakes);
    for waker in wakes.drain(..) {
        waker.wake();
    }
    if wakes.capacity() <= MAX_RETAINED_WAKERS {
        DEFERRED_WAKES.with(|cell| cell.replace(wakes));
    }
    result
}

fn cost(frame: &Bytes) -> usize {
    frame.len() + FRAME_OVERHEAD_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(len: usize) -> Bytes {
        Bytes::from(vec![0; len])
    }

    #[test]
    fn pushes_until_the_byte_limit_then_closes_as_too_slow() {
        let outbox = Outbox::new(3 * (100 + FRAME_OVERHEAD_BYTES));
        for _ in 0..3 {
            assert_eq!(outbox.push(frame(100)), Ok(()));
        }
        assert_eq!(outbox.push(frame(100)), Err(PushError::Overflow));
        assert_eq!(outbox.push(frame(1)), Err(PushError::Closing));
        let batch = outbox.take();
        assert_eq!(batch.frames.len(), 3);
        assert!(matches!(batch.closing, Some(Disconnect::TooSlow { .. })));
    }

    #[test]
    fn taken_frames_count_until_released() {
        let outbox = Outbox::new(2 * (10 + FRAME_OVERHEAD_BYTES));
        outbox.push(frame(10)).expect("room");
        outbox.push(frame(10)).expect("room");
        let batch = outbox.take();
        assert_eq!(batch.frames.len(), 2);
        // Taken but not written: still counted, so the next push overflows.
        assert_eq!(outbox.queued_bytes(), 2 * (10 + FRAME_OVERHEAD_BYTES));
        outbox.release(2, 20);
        assert_eq!(outbox.queued_bytes(), 0);
        assert_eq!(outbox.push(frame(10)), Ok(()));
    }

    #[tokio::test]
    async fn a_fan_out_wakes_its_writers_only_after_delivering() {
        let outbox = std::sync::Arc::new(Outbox::new(1024));
        let waiting = tokio::spawn({
            let outbox = std::sync::Arc::clone(&outbox);
            async move { outbox.ready().await }
        });
        // Let the writer park and leave its waker.
        while outbox.lock().writer.is_none() {
            tokio::task::yield_now().await;
        }
        let woken_inside = fan_out(|wakes| {
            wakes.extend(outbox.push_deferring_wake(frame(1)).expect("room"));
            wakes.len()
        });
        assert_eq!(woken_inside, 1, "the waker was handed back, not used");
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("woken after the fan-out")
            .expect("task");
    }

    #[tokio::test]
    async fn wakes_the_writer_for_the_first_frame_and_for_close() {
        let outbox = Outbox::new(1024);
        outbox.push(frame(1)).expect("room");
        tokio::time::timeout(std::time::Duration::from_secs(5), outbox.ready())
            .await
            .expect("woken by push");
        outbox.take();
        outbox.close(Disconnect::ServerShutdown);
        tokio::time::timeout(std::time::Duration::from_secs(5), outbox.ready())
            .await
            .expect("woken by close");
        assert_eq!(outbox.take().closing, Some(Disconnect::ServerShutdown));
    }
}
