//! `Outbox`: a client's queue of frames waiting to be written, bounded in bytes. Producers
//! (other clients' relays, the pinger, shutdown) push without blocking; the client's own
//! session task takes everything queued at once and writes it in one vectored write.
//!
//! The writer's waker lives under the same lock as the queue: a push that finds the writer
//! waiting takes the waker and wakes it, and every later push until the writer has taken its
//! frames finds no waker and costs nothing more than the queue update. A fan-out to N clients
//! thus wakes each writer at most once however many frames pile up before it runs.

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
    /// An outbox that holds at most `limit_bytes`, starting with `initial` frames (which may
    /// exceed the limit: they are the handshake the client must get first).
    pub fn new(limit_bytes: usize, initial: impl IntoIterator<Item = Bytes>) -> Self {
        let frames: VecDeque<Bytes> = initial.into_iter().collect();
        let queued_bytes = frames.iter().map(cost).sum();
        // No wake-up needed for the initial frames: the writer finds them on its first look.
        Self {
            state: Mutex::new(OutboxState {
                frames,
                queued_bytes,
                closing: None,
                writer: None,
            }),
            limit_bytes,
        }
    }

    /// Queues a frame. Past the byte limit the client is marked to be disconnected as too slow
    /// instead: it is never silently skipped.
    pub fn push(&self, frame: Bytes) -> Result<(), PushError> {
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
        let writer = state.writer.take();
        drop(state);
        wake(writer);
        Ok(())
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
        let outbox = Outbox::new(3 * (100 + FRAME_OVERHEAD_BYTES), []);
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
        let outbox = Outbox::new(2 * (10 + FRAME_OVERHEAD_BYTES), []);
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

    #[test]
    fn initial_frames_come_first_even_over_the_limit() {
        let outbox = Outbox::new(10, [frame(100)]);
        let batch = outbox.take();
        assert_eq!(batch.frames.len(), 1);
        assert!(batch.closing.is_none());
    }

    #[tokio::test]
    async fn wakes_the_writer_for_the_first_frame_and_for_close() {
        let outbox = Outbox::new(1024, []);
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
