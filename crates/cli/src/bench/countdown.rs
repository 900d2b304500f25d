//! `Countdown`: how many things a worker still waits for (lines, closes, answers), and a wait
//! until none are left.

use std::cell::Cell;

use tokio::sync::Notify;
use tokio::time::Instant;

/// A count that tasks of one single-threaded worker bring down and one task waits on.
#[derive(Debug, Default)]
pub struct Countdown {
    left: Cell<u64>,
    zero: Notify,
}

impl Countdown {
    /// Starts counting `count` things.
    pub fn set(&self, count: u64) {
        self.left.set(count);
    }

    /// Adds `count` things to wait for.
    pub fn add(&self, count: u64) {
        self.left.set(self.left.get().saturating_add(count));
    }

    /// Stops counting: returns how many were left and leaves none.
    pub fn take(&self) -> u64 {
        self.left.replace(0)
    }

    /// `count` of them are done; the waiter wakes when that leaves none.
    pub fn count_down(&self, count: u64) {
        let left = self.left.get().saturating_sub(count);
        self.left.set(left);
        if left == 0 && count > 0 {
            self.zero.notify_one();
        }
    }

    /// Waits until none are left or `deadline` passes; returns how many are left.
    pub async fn wait(&self, deadline: Instant) -> u64 {
        let _ = tokio::time::timeout_at(deadline, async {
            while self.left.get() > 0 {
                self.zero.notified().await;
            }
        })
        .await;
        self.left.get()
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn wakes_the_waiter_when_the_last_one_is_done() {
        let countdown = Rc::new(Countdown::default());
        countdown.set(3);
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let counter = Rc::clone(&countdown);
                tokio::task::spawn_local(async move {
                    for _ in 0..3 {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        counter.count_down(1);
                    }
                });
                let started = Instant::now();
                let left = countdown.wait(started + Duration::from_secs(5)).await;
                assert_eq!(left, 0);
                assert!(started.elapsed() >= Duration::from_millis(30));
            })
            .await;
    }

    #[tokio::test]
    async fn gives_up_at_the_deadline_and_says_how_many_are_left() {
        let countdown = Countdown::default();
        countdown.set(2);
        countdown.count_down(1);
        let left = countdown
            .wait(Instant::now() + Duration::from_millis(50))
            .await;
        assert_eq!(left, 1);
        assert_eq!(countdown.take(), 1);
        assert_eq!(countdown.take(), 0);
    }

    #[tokio::test]
    async fn a_count_already_at_zero_is_not_waited_for() {
        let countdown = Countdown::default();
        countdown.add(1);
        countdown.count_down(5);
        assert_eq!(
            countdown
                .wait(Instant::now() + Duration::from_secs(60))
                .await,
            0
        );
    }
}
