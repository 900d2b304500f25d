//! `Outbox`: a client's queue of frames waiting to be written, bounded in bytes. Producers
//! (other clients' relays, the pinger, shutdown) push without blocking; the client's own
//! session task takes everything queued at once and writes it in one vectored write. A room's
//! batch may instead write the queue itself (`write_or_wake`) while the session has nothing of
//! its own in flight, which spares waking the session: about a fifth of the server's time when
//! a busy room's batches go to 1,000 members.
//!
//! The writer's waker lives under the same lock as the queue: a push that finds the writer
//! waiting wakes it (or hands its wake-up to a room's batch), and every later push until the
//! writer has taken its frames finds it already called and costs nothing more than the queue
//! update. A fan-out to N clients thus wakes each writer at most once however many frames pile
//! up before it runs. A close always wakes the writer at once, even while a batch holds its
//! wake-up: the outbox keeps the waker for that.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use tokio::net::TcpStream;

use crate::disconnect::Disconnect;

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

/// Frames one vectored write hands the kernel at most; Linux takes up to 1,024, and 64 frames
/// of chat already amortise the syscall well.
const MAX_FRAMES_PER_WRITE: usize = 64;

/// Frames waiting to be written, oldest first. The first may be partly written already: then
/// it must be finished before anything else goes out, or the stream would be corrupt.
#[derive(Debug, Default)]
pub struct Frames {
    queue: VecDeque<Bytes>,
    /// Bytes of the first frame already written.
    front_written: usize,
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

impl OutboxState {
    /// Takes `frames` frames of `bytes` bytes in all, written or dropped, off the limit.
    fn free(&mut self, frames: usize, bytes: usize) {
        let freed = bytes + frames * FRAME_OVERHEAD_BYTES;
        self.queued_bytes = self.queued_bytes.saturating_sub(freed);
    }

    /// The writer's waker to wake for a close just set: whether it waits, runs, or a room's
    /// batch holds its wake-up until the batch is due (a spare wake-up costs a poll; a late
    /// one delays an idle timeout or a shutdown by up to the write window).
    fn wake_to_close(&mut self) -> Option<Waker> {
        self.writer_waiting = false;
        self.writer.clone()
    }
}

#[derive(Debug, Default)]
struct OutboxState {
    frames: Frames,
    /// Bytes pushed and not yet reported written, including frames the writer has taken.
    queued_bytes: usize,
    closing: Option<Disconnect>,
    /// The writer's waker, from when it last waited. Kept after its wake-up has been handed
    /// to a room's batch, so that a close can still wake it at once rather than when the
    /// batch is due.
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
            let writer = state.wake_to_close();
            drop(state);
            wake(writer);
            return Err(PushError::Overflow);
        }
        state.frames.queue.push_back(frame);
        state.queued_bytes = after;
        // A writer that is not waiting has been woken already (or is running, or a batch
        // holds its wake-up) and will take this frame with the others: only the first push
        // after it waited wakes it.
        if std::mem::take(&mut state.writer_waiting) {
            Ok(state.writer.clone())
        } else {
            Ok(None)
        }
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
            let writer = state.wake_to_close();
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
            state.writer_waiting = false;
            return Poll::Ready(());
        }
        match &mut state.writer {
            // The same task's waker, as a rule: then this costs no clone.
            Some(waker) => waker.clone_from(cx.waker()),
            empty => *empty = Some(cx.waker().clone()),
        }
        state.writer_waiting = true;
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
        state.closing.clone()
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
            // Still asleep, with nothing to take: the next push wakes it again.
            state.writer_waiting = true;
            drop(guard);
            drop(waker);
        } else {
            state.writer_idle = false;
            drop(guard);
            waker.wake();
        }
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

/// Writes `frames` to `socket` until they are all written (`Ok`), or the socket takes no more
/// (`Err`); returns what was written, which has left `frames`. A frame half written stays
/// first, marked, so the writer carries on where this stopped. Through tokio, so that a socket
/// found full (`WouldBlock`) is marked not writable for the session's writer too.
fn write_queue(frames: &mut Frames, socket: &TcpStream) -> (Written, io::Result<()>) {
    let mut done = Written::default();
    while !frames.is_empty() {
        match frames.write_once(|slices| socket.try_write_vectored(slices)) {
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

fn cost(frame: &Bytes) -> usize {
    frame.len() + FRAME_OVERHEAD_BYTES
}

/// What the tests of direct writes share (here and in `session::writer`): a TCP connection on
/// loopback standing for a client's, a writer that waits, and counting its wake-ups.
#[cfg(test)]
pub mod test_support {
    use std::io::Read as _;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Wake, Waker};
    use std::time::Duration;

    use bytes::Bytes;
    use tokio::net::{TcpListener, TcpStream};

    use super::Outbox;

    /// A waker that counts its wakes.
    pub struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl CountingWaker {
        /// How often it was woken.
        pub fn wakes(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    /// A connection on loopback: the server's end, shared as a session shares it with its
    /// outbox and known to tokio to be writable, and the client's end, a blocking std stream
    /// to read what reached it.
    pub async fn connection() -> (Arc<TcpStream>, std::net::TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        connect_to(&listener).await
    }

    /// A connection to `listener`, as `connection` makes.
    pub async fn connect_to(listener: &TcpListener) -> (Arc<TcpStream>, std::net::TcpStream) {
        let address = listener.local_addr().expect("address");
        let (client, accepted) = tokio::join!(TcpStream::connect(address), listener.accept());
        let (server, _) = accepted.expect("accept");
        // Small buffers, so that a frame of a few megabytes is only partly taken.
        let socket = socket2::SockRef::from(&server);
        socket.set_send_buffer_size(64 * 1024).expect("send buffer");
        server.writable().await.expect("writable");
        let client = client.expect("connect").into_std().expect("std stream");
        client.set_nonblocking(false).expect("blocking");
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        (Arc::new(server), client)
    }

    /// The next `len` bytes that reach `client` (failing after its read timeout).
    pub fn read_exactly(client: &mut std::net::TcpStream, len: usize) -> Vec<u8> {
        let mut bytes = vec![0; len];
        client
            .read_exact(&mut bytes)
            .expect("the bytes written arrive");
        bytes
    }

    /// Has a writer wait on `outbox` (a waker that counts), pushes `frames` as a room's batch
    /// does (the first hands the waiting writer's waker back, the rest join it), and delivers
    /// them with `write_or_wake`; returns the writer's waker, to count its wakes.
    pub fn deliver_to_waiting_writer(outbox: &Outbox, frames: &[Bytes]) -> Arc<CountingWaker> {
        let count = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&count));
        assert!(
            outbox
                .poll_ready(&mut Context::from_waker(&waker))
                .is_pending()
        );
        let (first, rest) = frames.split_first().expect("a frame");
        let handed_back = outbox.push_deferring_wake(first.clone()).expect("room");
        for frame in rest {
            outbox.push(frame.clone()).expect("room");
        }
        outbox.write_or_wake(handed_back.expect("the writer waited"));
        count
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::os::fd::AsRawFd as _;

    use super::*;
    use crate::outbox::test_support::{
        connect_to, connection, deliver_to_waiting_writer, read_exactly,
    };

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

    /// A room's batch keeps a member's waker until the batch is due (up to the write window);
    /// a close meanwhile (idle timeout, shutdown) must wake the writer at once all the same.
    #[tokio::test]
    async fn a_close_wakes_the_writer_while_a_batch_holds_its_waker() {
        let idle = Disconnect::Idle {
            timeout: std::time::Duration::from_secs(60),
        };
        let outbox = Arc::new(Outbox::new(1024));
        let (taken, closed) = tokio::sync::oneshot::channel();
        let writer = tokio::spawn({
            let outbox = Arc::clone(&outbox);
            async move {
                outbox.ready().await;
                let mut frames = Frames::default();
                let closing = outbox.take_into(&mut frames);
                let _ = taken.send(closing);
            }
        });
        while outbox.lock().writer.is_none() {
            tokio::task::yield_now().await;
        }
        // A busy room's batch queues a line and keeps the writer's waker for later.
        let held_by_batch = outbox.push_deferring_wake(frame(1)).expect("room");
        assert!(held_by_batch.is_some());
        outbox.close(idle.clone());
        let closing = tokio::time::timeout(std::time::Duration::from_secs(5), closed)
            .await
            .expect("the writer woke for the close before the batch went out")
            .expect("sent");
        assert_eq!(closing, Some(idle));
        writer.await.expect("writer");
        // The batch going out later finds the outbox closing: it writes nothing.
        outbox.write_or_wake(held_by_batch.expect("held"));
        assert_eq!(outbox.take_direct_written(), (0, 0));
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
