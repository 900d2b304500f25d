//! `FrameWriter`: frames taken from a client's outbox, written with vectored writes as the
//! socket takes them; a frame half written stays first until it is done.

use std::io;

use bytes::Bytes;

use crate::disconnect::Disconnect;
use crate::outbox::{Frames, Outbox, Written};
use crate::transport::Transport;

/// Frames taken from the outbox and not yet fully written.
#[derive(Debug, Default)]
pub struct FrameWriter {
    /// The frames; the outbox swaps its queue into this one.
    frames: Frames,
}

impl FrameWriter {
    /// Whether nothing is waiting to be written.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Adds frames after those waiting.
    pub fn queue(&mut self, frames: impl IntoIterator<Item = Bytes>) {
        self.frames.extend(frames);
    }

    /// Takes everything `outbox` holds, after the frames waiting; returns why the session
    /// must end, if it must.
    pub fn take_from(&mut self, outbox: &Outbox) -> Option<Disconnect> {
        outbox.take_into(&mut self.frames)
    }

    /// Drops every frame not yet started (a half-written one must finish, or the stream would
    /// be corrupt), and frees their room in the outbox.
    pub fn discard_unstarted(&mut self, outbox: &Outbox) {
        let (frames, bytes) = self.frames.drop_unstarted();
        outbox.release(frames, bytes);
    }

    /// Writes as much as the transport takes now, and frees what was written in `outbox`.
    pub fn write_to(
        &mut self,
        transport: &mut impl Transport,
        outbox: &Outbox,
    ) -> io::Result<Written> {
        let mut done = Written::default();
        while !self.frames.is_empty() {
            let written = match self
                .frames
                .write_once(|slices| transport.try_write_vectored(slices))
            {
                Ok(written) => written,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(done),
                Err(error) => return Err(error),
            };
            done.bytes += written.bytes;
            done.frame_bytes += written.frame_bytes;
            // Freed at once, write by write: until then they count against the client's limit
            // although the client may already be reading them.
            if written.frames > 0 {
                outbox.release_written(written.frames, written.frame_bytes, self.frames.is_empty());
                done.frames += written.frames;
            }
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::IoSlice;
    use std::task::{Context, Poll};

    /// A transport that takes at most `budget` bytes per call, records them, and reads nothing.
    struct Trickle {
        budget: usize,
        taken: Vec<u8>,
    }

    impl Transport for Trickle {
        fn poll_read_ready(&self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Pending
        }
        fn try_read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::ErrorKind::WouldBlock.into())
        }
        fn poll_write_ready(&self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn try_write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            if self.budget == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let mut taken = 0;
            for buf in bufs {
                let n = buf.len().min(self.budget - taken);
                self.taken.extend_from_slice(&buf[..n]);
                taken += n;
            }
            self.budget -= taken;
            Ok(taken)
        }
        fn shutdown_write(&mut self) -> io::Result<()> {
            Ok(())
        }
        fn rehome(self) -> io::Result<Self> {
            Ok(self)
        }
    }

    #[test]
    fn a_half_written_frame_is_finished_before_anything_else_and_never_discarded() {
        let outbox = Outbox::new(1 << 20);
        let mut writer = FrameWriter::default();
        writer.queue([Bytes::from_static(b"abcdef"), Bytes::from_static(b"ghi")]);
        let mut transport = Trickle {
            budget: 4,
            taken: Vec::new(),
        };
        let written = writer.write_to(&mut transport, &outbox).expect("writes");
        assert_eq!(
            written,
            Written {
                frames: 0,
                bytes: 4,
                frame_bytes: 0,
            }
        );
        // Closing now keeps the started frame and drops the unstarted one.
        writer.discard_unstarted(&outbox);
        writer.queue([Bytes::from_static(b"CLOSE")]);
        transport.budget = 100;
        writer.write_to(&mut transport, &outbox).expect("writes");
        assert_eq!(transport.taken, b"abcdefCLOSE");
        assert!(writer.is_empty());
    }

    /// A room's batch writes part of a big frame straight to the client's socket; however the
    /// session then takes over (taking the queue, or closing and dropping what has not
    /// started), the rest of that frame goes out before anything else.
    #[tokio::test]
    async fn a_frame_a_batch_started_is_finished_first_even_when_closing() {
        use crate::outbox::test_support::{connection, deliver_to_waiting_writer, read_exactly};

        let big = Bytes::from(vec![7u8; 4 << 20]);
        for closing in [false, true] {
            let (ours, mut theirs) = connection().await;
            let outbox = Outbox::new(16 << 20);
            outbox.set_direct(Some(ours));
            deliver_to_waiting_writer(&outbox, &[big.clone(), Bytes::from_static(b"later")]);
            let (_, got) = outbox.take_direct_written();
            let got = usize::try_from(got).expect("small");
            assert!(got > 0 && got < big.len(), "part of the frame: {got} bytes");
            assert_eq!(read_exactly(&mut theirs, got), big[..got]);
            outbox.set_direct(None);

            let mut writer = FrameWriter::default();
            assert!(writer.take_from(&outbox).is_none());
            writer.discard_unstarted(&outbox);
            if closing {
                writer.queue([Bytes::from_static(b"CLOSE")]);
            }
            let mut transport = Trickle {
                budget: usize::MAX,
                taken: Vec::new(),
            };
            writer.write_to(&mut transport, &outbox).expect("writes");
            let expected_tail: &[u8] = if closing { b"CLOSE" } else { b"" };
            assert_eq!(
                [&big[got..], expected_tail].concat(),
                transport.taken,
                "closing: {closing}"
            );
        }
    }

    #[test]
    fn frames_split_at_every_point_arrive_whole_and_in_order() {
        let frames: Vec<Bytes> = (0..5u8)
            .map(|n| Bytes::from(vec![n; usize::from(n) + 1]))
            .collect();
        let expected: Vec<u8> = frames.iter().flat_map(|f| f.iter().copied()).collect();
        for budget in 1..=expected.len() {
            let outbox = Outbox::new(1 << 20);
            let mut writer = FrameWriter::default();
            writer.queue(frames.iter().cloned());
            let mut transport = Trickle {
                budget: 0,
                taken: Vec::new(),
            };
            while !writer.is_empty() {
                transport.budget = budget;
                writer.write_to(&mut transport, &outbox).expect("writes");
            }
            assert_eq!(transport.taken, expected, "budget {budget}");
        }
    }
}
