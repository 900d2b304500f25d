//! `Frames`: the frames a client has yet to be sent, oldest first, as its outbox queues them
//! and its session's writer takes them (the two swap lists), and one vectored write of them
//! (`write_once`), which leaves a frame half written first with how far it got.

use std::collections::VecDeque;
use std::io::{self, IoSlice};

use bytes::Bytes;

/// Frames one vectored write hands the kernel at most; Linux takes up to 1,024, and 64 frames
/// of chat already amortise the syscall well.
const MAX_FRAMES_PER_WRITE: usize = 64;

/// Frames waiting to be written, oldest first. The first may be partly written already: then
/// it must be finished before anything else goes out, or the stream would be corrupt.
#[derive(Debug, Default)]
pub struct Frames {
    pub(super) queue: VecDeque<Bytes>,
    /// Bytes of the first frame already written.
    pub(super) front_written: usize,
}

/// What one vectored write got done.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Frames completed.
    pub frames: usize,
    /// Bytes written.
    pub bytes: usize,
    /// The whole length of the frames completed, as it counts against the outbox's limit.
    pub frame_bytes: usize,
}

impl Frames {
    /// The frames, oldest first, for a reader that forwards them rather than writes them
    /// (a remote client's proxy in a cluster's world). Only for frames nothing has written.
    pub fn into_queue(self) -> VecDeque<Bytes> {
        self.queue
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Adds frames after those waiting.
    pub fn extend(&mut self, frames: impl IntoIterator<Item = Bytes>) {
        self.queue.extend(frames);
    }

    /// Drops every frame not yet started, keeping a partly written first one; returns what
    /// was dropped, as frames and bytes.
    pub fn drop_unstarted(&mut self) -> (usize, usize) {
        let keep = usize::from(self.front_written > 0).min(self.queue.len());
        let dropped = self.queue.drain(keep..);
        let count = dropped.len();
        (count, dropped.map(|frame| frame.len()).sum())
    }

    /// Hands what is waiting (from where the first frame stopped) to one vectored `write`,
    /// and removes the frames it completed. Not to be called with nothing waiting.
    pub fn write_once(
        &mut self,
        write: impl FnOnce(&[IoSlice<'_>]) -> io::Result<usize>,
    ) -> io::Result<Written> {
        let mut slices = [IoSlice::new(&[]); MAX_FRAMES_PER_WRITE];
        let mut count = 0;
        for (slot, frame) in slices.iter_mut().zip(&self.queue) {
            let start = if count == 0 { self.front_written } else { 0 };
            *slot = IoSlice::new(&frame[start..]);
            count += 1;
        }
        let mut written = match write(&slices[..count])? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            written => written,
        };
        let mut done = Written {
            bytes: written,
            ..Written::default()
        };
        while written > 0 {
            let front_left = self.queue[0].len() - self.front_written;
            if written < front_left {
                self.front_written += written;
                break;
            }
            written -= front_left;
            self.front_written = 0;
            if let Some(frame) = self.queue.pop_front() {
                done.frames += 1;
                done.frame_bytes += frame.len();
            }
        }
        Ok(done)
    }
}
