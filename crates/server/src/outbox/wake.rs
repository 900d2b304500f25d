//! Waking a client's writer. The writer's waker lives under the outbox's lock, beside the
//! queue: the writer leaves it when it waits with nothing to take (`Outbox::poll_ready`), and
//! the first push after that wakes it, or hands its wake-up to the caller; every later push
//! until the writer has taken its frames finds it already called and costs nothing more than
//! the queue update. A fan-out to N clients thus wakes each writer at most once however many
//! frames pile up before it runs, and does so once it has released its room's lock
//! (`fan_out`). A room's batch may hold a wake-up until the batch is due; a close still wakes
//! the writer at once, as the outbox keeps the waker for that.

use std::cell::RefCell;
use std::future::poll_fn;
use std::task::{Context, Poll, Waker};

use super::{Outbox, OutboxState};

impl Outbox {
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
}

impl OutboxState {
    /// The writer's wake-up, for a push that gives it something: its waker if it waits and
    /// nobody has been given the wake-up yet, and from then on nothing until it waits again.
    pub(super) fn take_wake_up(&mut self) -> Option<Waker> {
        if std::mem::take(&mut self.writer_waiting) {
            self.writer.clone()
        } else {
            None
        }
    }

    /// The writer's wake-up as `take_wake_up` gives it, but the waker itself: the outbox
    /// has none until `write_or_wake` gives it back or the writer waits again.
    pub(super) fn hand_over_wake_up(&mut self) -> Option<Waker> {
        if std::mem::take(&mut self.writer_waiting) {
            self.writer.take()
        } else {
            None
        }
    }

    /// The writer's waker to wake for a close just set: whether it waits, runs, or a room's
    /// batch holds its wake-up until the batch is due (a spare wake-up costs a poll; a late
    /// one delays an idle timeout or a shutdown by up to the write window).
    pub(super) fn wake_to_close(&mut self) -> Option<Waker> {
        self.writer_waiting = false;
        self.writer.clone()
    }
}

/// Wakes the writer after the lock is released: a wake-up may take the scheduler's locks or
/// make a syscall to unpark a worker thread, which must not lengthen the critical section
/// every producer contends for.
pub(super) fn wake(writer: Option<Waker>) {
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;

    use super::*;
    use crate::disconnect::Disconnect;
    use crate::outbox::Frames;

    fn frame(len: usize) -> Bytes {
        Bytes::from(vec![0; len])
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
