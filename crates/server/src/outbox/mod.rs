//! `Outbox`: a client's queue of frames waiting to be written, bounded in bytes. Producers
//! (other clients' relays, the pinger, shutdown) push without blocking; the client's own
//! session task takes everything queued at once and writes it in one vectored write. Its parts:
//! the bounded queue and closing (here), the list of frames it shares with the session's writer
//! (`frames`), waking the writer and fan-outs (`wake`), and a room's batch writing the queue to
//! the socket itself for an idle writer (`direct`).

mod direct;
mod frames;
#[cfg(test)]
pub mod test_support;
mod wake;

#[cfg(test)]
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Waker;

use bytes::Bytes;
use tokio::net::TcpStream;

use crate::disconnect::Disconnect;
pub use frames::{Frames, Written};
pub use wake::fan_out;
use wake::wake;

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

/// What the outbox's one lock guards: the queue, and everything that decides who writes it.
#[derive(Debug, Default)]
struct OutboxState {
    frames: Frames,
    /// Bytes pushed and not yet reported written, including frames the writer has taken.
    queued_bytes: usize,
    /// Set once the session must end, with why. Boxed: a reason is 32 bytes, and every open
    /// client's outbox would carry them (a reason is set once, at the end).
    closing: Option<Box<Disconnect>>,
    /// The writer's waker, from when it last waited. Kept after its wake-up has been handed
    /// to a room's batch, so that a close can still wake it at once rather than when the
    /// batch is due. A world's tick takes it instead (`push_shared_handing_over_wake`): its
    /// batch is delivered at the end of the same tick, which gives it back or wakes the
    /// writer, so a close meanwhile waits a few milliseconds at most.
    writer: Option<Waker>,
    /// Whether the writer waits with nothing to take and nobody has been given its wake-up:
    /// the first push that gives it something wakes it, or hands the wake-up back.
    writer_waiting: bool,
    /// Whether the writer has nothing of its own in flight (it has written all it took): only
    /// then may a room's batch write the queue to the socket itself (`write_or_wake`).
    writer_idle: bool,
    /// The session's stream while a batch may write to it directly (plain TCP, session open).
    /// A shared handle: should the session end without clearing it, the socket stays open
    /// until the outbox goes, and a late write reaches this client's connection or fails; it
    /// can never reach another connection that reused the descriptor number.
    direct: Option<Arc<TcpStream>>,
    /// Frames and bytes written by `write_or_wake`, for the session's own counts.
    direct_written: (u64, u64),
}

impl OutboxState {
    /// Takes `frames` frames of `bytes` bytes in all, written or dropped, off the limit.
    fn free(&mut self, frames: usize, bytes: usize) {
        let freed = bytes + frames * FRAME_OVERHEAD_BYTES;
        self.queued_bytes = self.queued_bytes.saturating_sub(freed);
    }
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

/// A pushed frame: its own, or a world's, a slice of a buffer shared with other clients'
/// frames, whose wake-up is handed over whole (see `Outbox::push_shared_handing_over_wake`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sharing {
    Own,
    Shared,
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
        self.queue(frame, Sharing::Own)
    }

    /// Queues like `push_deferring_wake` a frame that is a slice of a buffer shared with other
    /// clients' frames (a world's tick frames a chunk of updates in one buffer). A frame that
    /// would wait behind others, for a client that is behind, is first copied into an
    /// allocation of its own: queued as it is, it would keep the whole shared buffer alive
    /// for as long as this one client is behind, a chunk's size for each of its frames.
    ///
    /// The wake-up it hands back is the writer's waker itself, not a copy: the caller must
    /// pass it on to `write_or_wake` soon (a world does at the end of the tick), which gives
    /// it back. A world's tick hands over a wake-up for each of its clients on every tick,
    /// and a copy of a waker is a count on its task, a write to memory the tick has not
    /// touched yet.
    pub fn push_shared_handing_over_wake(&self, frame: Bytes) -> Result<Option<Waker>, PushError> {
        self.queue(frame, Sharing::Shared)
    }

    fn queue(&self, frame: Bytes, sharing: Sharing) -> Result<Option<Waker>, PushError> {
        let mut state = self.lock();
        if state.closing.is_some() {
            return Err(PushError::Closing);
        }
        let after = state.queued_bytes + cost(&frame);
        if after > self.limit_bytes {
            state.closing = Some(Box::new(Disconnect::TooSlow {
                limit_bytes: self.limit_bytes,
            }));
            let writer = state.wake_to_close();
            drop(state);
            wake(writer);
            return Err(PushError::Overflow);
        }
        let frame = if sharing == Sharing::Shared && state.queued_bytes > 0 {
            Bytes::copy_from_slice(&frame)
        } else {
            frame
        };
        state.frames.queue.push_back(frame);
        state.queued_bytes = after;
        // A writer that is not waiting has been woken already (or is running, or a batch
        // holds its wake-up) and will take this frame with the others: only the first push
        // after it waited wakes it.
        Ok(match sharing {
            Sharing::Own => state.take_wake_up(),
            Sharing::Shared => state.hand_over_wake_up(),
        })
    }

    /// Whether the session has been asked to end.
    pub fn is_closing(&self) -> bool {
        self.lock().closing.is_some()
    }

    /// Asks the session to end for `reason`, unless it is already ending.
    pub fn close(&self, reason: Disconnect) {
        // Boxed before the lock is taken: no allocation inside the critical section.
        let reason = Box::new(reason);
        let mut state = self.lock();
        if state.closing.is_none() {
            state.closing = Some(reason);
            let writer = state.wake_to_close();
            drop(state);
            wake(writer);
        }
    }

    /// Takes every queued frame and the closing reason, if any (it stays set). The session
    /// uses `take_into`, which reuses its buffer; this is the simpler form for tests.
    #[cfg(test)]
    pub fn take(&self) -> Batch {
        let mut frames = Frames::default();
        let closing = self.take_into(&mut frames);
        Batch {
            frames: frames.queue,
            closing,
        }
    }

    /// Moves every queued frame to the back of `into` and returns the closing reason, if any
    /// (it stays set). When `into` is empty the two are swapped, so the queue reuses the
    /// writer's spare capacity instead of allocating anew, and a first frame a room's batch
    /// has partly written (`write_or_wake`) reaches the writer with how far it got.
    pub fn take_into(&self, into: &mut Frames) -> Option<Disconnect> {
        if into.is_empty() && into.queue.capacity() > MAX_SPARE_FRAME_SLOTS {
            *into = Frames::default();
        }
        let mut state = self.lock();
        state.writer_idle = false;
        if into.is_empty() {
            std::mem::swap(into, &mut state.frames);
        } else {
            // A batch writes only for a writer with nothing of its own, so nothing it started
            // can be waiting here.
            debug_assert_eq!(state.frames.front_written, 0);
            into.queue.append(&mut state.frames.queue);
        }
        state.closing.as_deref().cloned()
    }

    /// Reports `frames` frames of `bytes` bytes in all discarded by the writer, freeing their
    /// share of the limit.
    pub fn release(&self, frames: usize, bytes: usize) {
        self.lock().free(frames, bytes);
    }

    /// Reports `frames` frames of `bytes` bytes in all written by the writer, freeing their
    /// share of the limit; `idle` says the writer has nothing left of its own, so that a
    /// room's batch may write for it again (`write_or_wake`).
    pub fn release_written(&self, frames: usize, bytes: usize, idle: bool) {
        let mut state = self.lock();
        state.free(frames, bytes);
        state.writer_idle = idle;
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

    #[test]
    fn a_shared_frame_waits_in_a_copy_of_its_own_not_in_the_shared_buffer() {
        // Two clients' frames in one buffer, as a world's tick frames them.
        let shared = Bytes::from((0..200).map(|n: u8| n).collect::<Vec<u8>>());
        let inside = |frame: &Bytes| shared.as_ptr_range().contains(&frame.as_ptr());
        let outbox = Outbox::new(1 << 20);
        // Nothing waits: queued as it is, a view of the shared buffer.
        outbox
            .push_shared_handing_over_wake(shared.slice(0..100))
            .expect("room");
        // Behind it: copied, so that a client that stays behind does not keep the buffer.
        outbox
            .push_shared_handing_over_wake(shared.slice(100..200))
            .expect("room");
        let batch = outbox.take();
        let frames: Vec<&Bytes> = batch.frames.iter().collect();
        assert!(inside(frames[0]), "the first is a view of the buffer");
        assert!(!inside(frames[1]), "the one that waited is a copy");
        assert_eq!(frames[1][..], shared[100..200], "with the same bytes");
        // Written and released, the client is not behind any more.
        outbox.release(2, 200);
        outbox
            .push_shared_handing_over_wake(shared.slice(0..100))
            .expect("room");
        assert!(inside(&outbox.take().frames[0]));
    }
}
