//! Direct writes: a room's batch writes a member's queued frames to its socket itself
//! (`Outbox::write_or_wake`) while the member's session has nothing of its own in flight,
//! instead of waking the session to do it, which spares about a fifth of the server's time
//! when a busy room's batches go to 1,000 members. The socket is a shared handle on the
//! session's stream (`Outbox::set_direct`), never a descriptor number: a handle kept too long
//! keeps its own socket open, and can never write into another connection.

use std::io;
use std::sync::Arc;
use std::task::Waker;

use tokio::net::TcpStream;

use super::{Frames, Outbox, Written};

impl Outbox {
    /// Lets room batches write to `socket` directly (`Some`, from a session whose writer has
    /// nothing of its own), or stops them (`None`, once the session has stopped writing; this
    /// also lets the socket close as soon as the session drops its own handle).
    pub fn set_direct(&self, socket: Option<Arc<TcpStream>>) {
        let mut state = self.lock();
        state.writer_idle = socket.is_some();
        // Dropped after the lock is released: the last handle's drop closes the socket.
        let previous = std::mem::replace(&mut state.direct, socket);
        drop(state);
        drop(previous);
    }

    /// Frames and bytes batches have written directly since the last call.
    pub fn take_direct_written(&self) -> (u64, u64) {
        std::mem::take(&mut self.lock().direct_written)
    }

    /// Delivers what is queued for a writer that a push woke (`waker`, handed back by
    /// `push_deferring_wake`): when the writer is idle and its socket may be written
    /// directly, writes the queue from here and leaves the writer asleep; otherwise, or when
    /// the socket does not take everything, wakes the writer to carry on.
    pub fn write_or_wake(&self, waker: Waker) {
        let mut guard = self.lock();
        let state = &mut *guard;
        // A writer waiting again has been woken and has run since this wake-up was handed out.
        let may_write = state.writer_idle && state.closing.is_none() && !state.writer_waiting;
        let Some(socket) = state.direct.as_deref().filter(|_| may_write) else {
            drop(guard);
            waker.wake();
            return;
        };
        let (written, all) = write_queue(&mut state.frames, socket);
        state.free(written.frames, written.frame_bytes);
        state.direct_written.0 += written.frames as u64;
        state.direct_written.1 += written.bytes as u64;
        if all.is_ok() {
            // Still asleep, with nothing to take: the next push wakes it again. A waker
            // handed over (`push_shared_handing_over_wake`) comes back.
            state.writer_waiting = true;
            let spare = match &state.writer {
                Some(_) => Some(waker),
                None => {
                    state.writer = Some(waker);
                    None
                }
            };
            drop(guard);
            drop(spare);
        } else {
            state.writer_idle = false;
            drop(guard);
            waker.wake();
        }
    }
}

/// Writes `frames` to `socket` until they are all written (`Ok`), or the socket takes no more
/// (`Err`); returns what was written, which has left `frames`. A frame half written stays
/// first, marked, so the writer carries on where this stopped.
///
/// The write goes to the stream's socket through `socket2` (one `sendmsg`, borrowing the
/// stream), not through tokio's `try_write_vectored`, which measured about 12% more server CPU
/// per delivery at 150 lines/s (docs/benchmarks.md). Tokio thus does not learn of a socket
/// found full here; the writer, woken for the rest, learns it from a write of its own.
fn write_queue(frames: &mut Frames, socket: &TcpStream) -> (Written, io::Result<()>) {
    let socket = socket2::SockRef::from(socket);
    let mut done = Written::default();
    while !frames.is_empty() {
        match frames.write_once(|slices| socket.send_vectored(slices)) {
            Ok(written) => {
                done.frames += written.frames;
                done.bytes += written.bytes;
                done.frame_bytes += written.frame_bytes;
            }
            Err(error) => return (done, Err(error)),
        }
    }
    (done, Ok(()))
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::os::fd::AsRawFd as _;

    use bytes::Bytes;

    use super::*;
    use std::task::Context;

    use crate::disconnect::Disconnect;
    use crate::outbox::test_support::{
        CountingWaker, connect_to, connection, deliver_to_waiting_writer, read_exactly,
    };

    #[tokio::test]
    async fn an_idle_writer_is_written_for_and_left_asleep() {
        let (ours, mut theirs) = connection().await;
        let outbox = Outbox::new(1024);
        outbox.set_direct(Some(ours));
        let count = deliver_to_waiting_writer(&outbox, &[Bytes::from_static(b"one")]);
        assert_eq!(count.wakes(), 0, "the writer was not woken");
        assert_eq!(read_exactly(&mut theirs, 3), b"one");
        assert_eq!(outbox.queued_bytes(), 0);
        assert_eq!(outbox.take_direct_written(), (1, 3));
        // The writer still waits: the next push hands its waker back again.
        let again = outbox.push_deferring_wake(Bytes::from_static(b"two"));
        assert!(again.expect("room").is_some());
    }

    /// A world's tick takes the writer's waker itself (`push_shared_handing_over_wake`); a
    /// direct write gives it back, and a close while it is away wakes the writer when the
    /// tick delivers.
    #[tokio::test]
    async fn a_waker_handed_over_comes_back_and_a_close_meanwhile_still_wakes() {
        let (ours, mut theirs) = connection().await;
        let outbox = Outbox::new(1024);
        outbox.set_direct(Some(ours));
        let count = Arc::new(CountingWaker::default());
        let waker = Waker::from(Arc::clone(&count));
        assert!(
            outbox
                .poll_ready(&mut Context::from_waker(&waker))
                .is_pending()
        );
        drop(waker);
        let handed = outbox
            .push_shared_handing_over_wake(Bytes::from_static(b"tick"))
            .expect("room")
            .expect("the writer waited");
        outbox.write_or_wake(handed);
        assert_eq!(read_exactly(&mut theirs, 4), b"tick");
        assert_eq!(count.wakes(), 0, "written for, left asleep");
        // Given back: the next tick hands it over again, and it is the writer's.
        let handed = outbox
            .push_shared_handing_over_wake(Bytes::from_static(b"next"))
            .expect("room")
            .expect("the writer waits again");
        // A close while it is away cannot wake the writer at once...
        outbox.close(Disconnect::ServerShutdown);
        assert_eq!(count.wakes(), 0);
        // ...but the tick's delivery does, and writes nothing past the close.
        outbox.write_or_wake(handed);
        assert_eq!(count.wakes(), 1);
        assert_eq!(outbox.take_direct_written(), (1, 4), "only \"tick\"");
    }

    #[tokio::test]
    async fn a_writer_with_its_own_frames_in_flight_is_woken_instead() {
        let (ours, mut theirs) = connection().await;
        let outbox = Outbox::new(1024);
        outbox.set_direct(Some(ours));
        // The writer takes a frame and has not finished writing it.
        outbox.push(Bytes::from_static(b"mine")).expect("room");
        assert_eq!(outbox.take().frames.len(), 1);
        let count = deliver_to_waiting_writer(&outbox, &[Bytes::from_static(b"one")]);
        assert_eq!(count.wakes(), 1);
        assert_eq!(
            outbox.take_direct_written(),
            (0, 0),
            "nothing written past the writer"
        );
        // Once it has written everything it took, batches write for it again.
        outbox.take();
        outbox.release_written(1, 4, true);
        let count = deliver_to_waiting_writer(&outbox, &[Bytes::from_static(b"two")]);
        assert_eq!(count.wakes(), 0);
        assert_eq!(read_exactly(&mut theirs, 3), b"two");
        // Never without a socket to write to.
        outbox.set_direct(None);
        let handed_back = outbox.push_deferring_wake(Bytes::from_static(b"three"));
        outbox.write_or_wake(handed_back.expect("room").expect("the writer waited"));
        assert_eq!(count.wakes(), 1);
        assert_eq!(outbox.take_direct_written(), (1, 3), "only \"two\"");
    }

    #[tokio::test]
    async fn a_frame_the_socket_only_half_takes_stays_first_with_how_far_it_got() {
        let (ours, mut theirs) = connection().await;
        let big = Bytes::from(
            (0..4 << 20)
                .map(|n: u32| (n % 251) as u8)
                .collect::<Vec<u8>>(),
        );
        let outbox = Outbox::new(16 << 20);
        outbox.set_direct(Some(ours));
        let count = deliver_to_waiting_writer(&outbox, &[big.clone(), Bytes::from_static(b"next")]);
        assert_eq!(count.wakes(), 1, "the writer is woken to finish");
        let (frames, bytes) = outbox.take_direct_written();
        assert_eq!(frames, 0);
        let bytes = usize::try_from(bytes).expect("small");
        assert!(bytes > 0 && bytes < big.len(), "{bytes} bytes");
        let written = read_exactly(&mut theirs, bytes);
        // The writer takes the frame with how far it got: what it writes next is the rest,
        // then the next frame.
        let mut taken = Frames::default();
        assert!(outbox.take_into(&mut taken).is_none());
        assert!(taken.front_written > 0, "the rest, marked started");
        let mut rest = Vec::new();
        while !taken.is_empty() {
            taken
                .write_once(|slices| {
                    let mut sink = Vec::new();
                    std::io::Write::write_vectored(&mut sink, slices)?;
                    rest.extend_from_slice(&sink);
                    Ok(sink.len())
                })
                .expect("writes");
        }
        assert_eq!(
            [&written[..], &rest[..]].concat(),
            [&big[..], b"next"].concat()
        );
    }

    /// The danger a raw descriptor carried: the kernel gives a closed socket's number to the
    /// next connection at once, so a write through a number kept too long reaches a stranger.
    /// A handle keeps its own socket: kept too long, it keeps the socket open (freed late) and
    /// writes reach the right client; cleared, it writes nowhere.
    #[tokio::test]
    async fn a_handle_kept_too_long_never_writes_into_another_connection() {
        let (ours, mut theirs) = connection().await;
        let number = ours.as_raw_fd();
        let outbox = Outbox::new(1024);
        outbox.set_direct(Some(Arc::clone(&ours)));
        // The session ends and drops its stream, but the outbox's slot was not cleared.
        drop(ours);
        let (new_ours, mut new_theirs) = connection().await;
        assert_ne!(new_ours.as_raw_fd(), number, "the old socket is still open");
        let count = deliver_to_waiting_writer(&outbox, &[Bytes::from_static(b"late")]);
        assert_eq!(count.wakes(), 0);
        assert_eq!(read_exactly(&mut theirs, 4), b"late", "to the old client");

        // Cleared, the slot lets the socket close; a connection opened next gets its number
        // (the lowest free one), and the old outbox writes nothing to it.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        outbox.set_direct(None);
        let (reused, mut reused_theirs) = connect_to(&listener).await;
        let count = deliver_to_waiting_writer(&outbox, &[Bytes::from_static(b"stale")]);
        assert_eq!(count.wakes(), 1, "the writer is woken instead");
        assert_eq!(outbox.take_direct_written(), (1, 4), "only \"late\"");
        assert_nothing_arrived(&new_ours, &mut new_theirs).await;
        assert_nothing_arrived(&reused, &mut reused_theirs).await;
        // Linux gives out the lowest free number, but another test's socket may take it first.
        let numbers = [reused.as_raw_fd(), reused_theirs.as_raw_fd()];
        if !numbers.contains(&number) {
            eprintln!("descriptor {number} was not reused this time (got {numbers:?})");
        }
    }

    /// Each end of a connection writes a marker and reads the other's: anything that reached
    /// either end before would be read first.
    async fn assert_nothing_arrived(server: &TcpStream, client: &mut std::net::TcpStream) {
        assert_eq!(server.try_write(b"own").expect("write"), 3);
        assert_eq!(
            read_exactly(client, 3),
            b"own",
            "the client's end got nothing else"
        );
        client.write_all(b"own").expect("write");
        let mut got = Vec::new();
        while got.len() < 3 {
            tokio::time::timeout(std::time::Duration::from_secs(10), server.readable())
                .await
                .expect("arrives")
                .expect("readable");
            let mut chunk = [0; 3];
            match server.try_read(&mut chunk[..3 - got.len()]) {
                Ok(0) => panic!("the connection closed"),
                Ok(n) => got.extend_from_slice(&chunk[..n]),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => panic!("read: {error}"),
            }
        }
        assert_eq!(got, b"own", "the server's end got nothing else");
    }
}
