//! The threads a world keeps to share its ticks' work: started once and woken each tick,
//! where a thread started for each tick cost 80–190 µs before it ran, twice a tick.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

/// A piece of work for one helper: the job, and which helper it is for.
type Task = (&'static (dyn Fn(usize) + Sync), usize);

/// A helper's mailbox.
enum Slot {
    /// Nothing to do.
    Idle,
    /// A task posted, not taken yet.
    Posted(Task),
    /// At work.
    Busy,
    /// Done with its task; the panic, if it panicked.
    Finished(Option<Box<dyn Any + Send>>),
    /// To end.
    Quit,
}

/// What a helper shares with the thread that posts its tasks.
struct Shared {
    slot: Mutex<Slot>,
    /// Notified on every change of `slot`, both ways (one poster, one helper).
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, slot: MutexGuard<'a, Slot>) -> MutexGuard<'a, Slot> {
        self.changed
            .wait(slot)
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// One helper thread.
struct Hand {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Hand {
    /// Starts a helper (which takes the calling thread's scheduling: real-time when it is),
    /// or `None` when the system cannot start one.
    fn start() -> Option<Self> {
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot::Idle),
            changed: Condvar::new(),
        });
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("world-views".into())
            .spawn(move || serve(&theirs))
            .ok()?;
        Some(Self {
            shared,
            thread: Some(thread),
        })
    }

    fn post(&self, task: Task) {
        let mut slot = self.shared.lock();
        *slot = Slot::Posted(task);
        drop(slot);
        self.shared.changed.notify_all();
    }

    /// Waits until its task is done; returns its panic, if it panicked.
    fn finish(&self) -> Option<Box<dyn Any + Send>> {
        let mut slot = self.shared.lock();
        loop {
            match std::mem::replace(&mut *slot, Slot::Idle) {
                Slot::Finished(panic) => return panic,
                Slot::Idle => return None,
                other => {
                    *slot = other;
                    slot = self.shared.wait(slot);
                }
            }
        }
    }
}

impl Drop for Hand {
    fn drop(&mut self) {
        *self.shared.lock() = Slot::Quit;
        self.shared.changed.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A helper's life: each task posted, run, reported, until told to quit.
fn serve(shared: &Shared) {
    loop {
        let (job, hand) = {
            let mut slot = shared.lock();
            loop {
                match std::mem::replace(&mut *slot, Slot::Busy) {
                    Slot::Posted(task) => break task,
                    Slot::Quit => return,
                    other => {
                        *slot = other;
                        slot = shared.wait(slot);
                    }
                }
            }
        };
        let panic = catch_unwind(AssertUnwindSafe(|| job(hand))).err();
        *shared.lock() = Slot::Finished(panic);
        shared.changed.notify_all();
    }
}

/// A world's helper threads, started when first needed and kept from tick to tick.
#[derive(Default)]
pub(crate) struct Crew {
    hands: Vec<Hand>,
}

impl std::fmt::Debug for Crew {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crew")
            .field("hands", &self.hands.len())
            .finish()
    }
}

impl Crew {
    /// Ends every helper: the next `run` starts them again, so that they take the calling
    /// thread's scheduling as it is then.
    pub(crate) fn dismiss(&mut self) {
        self.hands.clear();
    }

    /// Runs `job(0)` … `job(helpers - 1)` on up to `helpers` helper threads while the calling
    /// thread runs `own`, and returns `own`'s result once every helper is done (a panic in
    /// either is resumed here, after all are done). Returns how many helpers took part: fewer
    /// when the system would not start more.
    pub(crate) fn run<T>(
        &mut self,
        helpers: usize,
        job: &(dyn Fn(usize) + Sync),
        own: impl FnOnce() -> T,
    ) -> (T, usize) {
        while self.hands.len() < helpers {
            match Hand::start() {
                Some(hand) => self.hands.push(hand),
                None => break,
            }
        }
        let hands = &self.hands[..helpers.min(self.hands.len())];
        // SAFETY: the reference is only given out for as long as this call: every helper given
        // it has finished with it (`finish`, below) before this function returns or unwinds
        // (`own` runs under `catch_unwind`), so it never outlives `job`'s real lifetime.
        #[allow(unsafe_code)]
        let job: &'static (dyn Fn(usize) + Sync) = unsafe {
            std::mem::transmute::<&(dyn Fn(usize) + Sync), &'static (dyn Fn(usize) + Sync)>(job)
        };
        for (number, hand) in hands.iter().enumerate() {
            hand.post((job, number));
        }
        let own = catch_unwind(AssertUnwindSafe(own));
        let mut panic = None;
        for hand in hands {
            if let Some(theirs) = hand.finish() {
                panic.get_or_insert(theirs);
            }
        }
        match (own, panic) {
            (Err(mine), _) => resume_unwind(mine),
            (Ok(_), Some(theirs)) => resume_unwind(theirs),
            (Ok(value), None) => (value, hands.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn every_helper_does_its_part_once_a_run_and_the_caller_its_own() {
        let mut crew = Crew::default();
        for round in 1..=50 {
            let done: Vec<AtomicUsize> = (0..3).map(|_| AtomicUsize::new(0)).collect();
            let (mine, helped) = crew.run(
                3,
                &|hand| {
                    done[hand].fetch_add(round, Ordering::Relaxed);
                },
                || round * 2,
            );
            assert_eq!((mine, helped), (round * 2, 3));
            for part in &done {
                assert_eq!(part.load(Ordering::Relaxed), round);
            }
        }
    }

    #[test]
    fn a_helpers_panic_reaches_the_caller_after_the_others_finished_and_the_crew_works_on() {
        let mut crew = Crew::default();
        let finished = AtomicUsize::new(0);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            crew.run(
                2,
                &|hand| {
                    if hand == 0 {
                        panic!("a view's update failed");
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    finished.fetch_add(1, Ordering::Relaxed);
                },
                || (),
            )
        }));
        assert!(outcome.is_err(), "the panic is resumed");
        assert_eq!(
            finished.load(Ordering::Relaxed),
            1,
            "the other helper had finished"
        );
        let (value, helped) = crew.run(2, &|_| {}, || 7);
        assert_eq!((value, helped), (7, 2));
        crew.dismiss();
        let (value, _) = crew.run(1, &|_| {}, || 8);
        assert_eq!(value, 8);
    }
}
