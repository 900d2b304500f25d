//! Password hashing: Argon2id on a small pool of OS threads at lower priority, with a bounded
//! queue, so hashing never runs on an async worker, never takes a thread per request, and a
//! login storm is answered "busy" instead of growing a queue or starving chat.
//!
//! # Parameters
//! Argon2id (RFC 9106; resists both GPU cracking and side channels), 19 MiB of memory, 2
//! passes, 1 lane, a 16-byte random salt per account and a 32-byte output: OWASP's
//! recommended minimum for Argon2id. The memory is what makes each guess expensive on a GPU;
//! 19 MiB × 2 passes takes tens of milliseconds on one core of this project's benchmark
//! machine, so a player does not notice it, and a pool of two threads holds 38 MiB at most.
//! The parameters are stored in each hash (PHC string), so changing them later still verifies
//! old hashes.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand_core::OsRng;
use tokio::sync::oneshot;
use tracing::warn;

/// Argon2 memory cost in KiB (19 MiB).
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Argon2 passes over the memory.
pub const ITERATIONS: u32 = 2;
/// Argon2 lanes: one, since each hash runs on one thread of the pool.
pub const LANES: u32 = 1;
/// How much lower than the server's priority the hashing threads run (a `nice` increment):
/// when cores are short, chat is delivered first and logins wait.
pub const NICE_INCREMENT: i32 = 10;

/// The password the dummy hash is of: an unknown user's login is checked against it, so it
/// takes as long as a wrong password for a real one.
const DUMMY_PASSWORD: &str = "no account has this password; it only spends the same time";

/// Why the pool did not run a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The queue is full: try again shortly.
    #[error("the hashing queue is full")]
    Busy,
    /// The pool's threads are gone (the server is stopping).
    #[error("the hashing threads have stopped")]
    Stopped,
}

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads hashing passwords, fed by a bounded queue.
#[derive(Debug, Clone)]
pub struct HashPool {
    jobs: SyncSender<Job>,
}

impl HashPool {
    /// Starts `threads` hashing threads (at least one) sharing a queue of `queue` jobs.
    pub fn start(threads: usize, queue: usize) -> std::io::Result<Self> {
        let (jobs, waiting) = sync_channel::<Job>(queue);
        let waiting = Arc::new(Mutex::new(waiting));
        for index in 0..threads.max(1) {
            let waiting = Arc::clone(&waiting);
            std::thread::Builder::new()
                .name(format!("mmo-hash-{index}"))
                .spawn(move || work(&waiting))?;
        }
        Ok(Self { jobs })
    }

    /// Runs `job` on a hashing thread; `Busy` at once when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        self.submit(job)?.await.map_err(|_| PoolError::Stopped)
    }

    /// Queues `job`, or says why not; the receiver gets its result.
    fn submit<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<oneshot::Receiver<T>, PoolError> {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The asker may have gone (its client disconnected): nothing to tell.
            let _ = answer.send(job());
        });
        match self.jobs.try_send(job) {
            Ok(()) => Ok(answered),
            Err(TrySendError::Full(_)) => Err(PoolError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(PoolError::Stopped),
        }
    }
}

/// A hashing thread: lowers its own priority, then runs jobs until the pool is dropped.
fn work(waiting: &Mutex<Receiver<Job>>) {
    lower_priority();
    loop {
        // The lock is held only while waiting for the next job, never while hashing.
        let next = waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        match next {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// Sets this thread's nice value `NICE_INCREMENT` above the process's (on Linux a thread ID
/// names one thread for `setpriority`).
fn lower_priority() {
    let thread = rustix::thread::gettid();
    let current = rustix::process::getpriority_process(Some(thread)).unwrap_or(0);
    if let Err(error) = rustix::process::setpriority_process(Some(thread), current + NICE_INCREMENT)
    {
        warn!("hashing threads run at normal priority: cannot lower it ({error})");
    }
}

fn hasher() -> Argon2<'static> {
    // The constants are valid Argon2 parameters; `Params::DEFAULT` is only the unreachable
    // fallback.
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` with a new random salt: the PHC string to store.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches `stored` (a PHC string); `None` for `stored` checks against a
/// dummy hash of the same cost and answers `false`, so an unknown user takes as long as a
/// known one.
pub fn verify(stored: Option<&str>, password: &str) -> bool {
    let (stored, real) = match stored {
        Some(stored) => (stored, true),
        None => (dummy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(stored) else {
        warn!("an account's password hash is not a PHC string: nobody can log into it");
        return false;
    };
    let matches = hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && real
}

/// The hash an unknown user's password is checked against, made once.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash(DUMMY_PASSWORD).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only_and_is_salted() {
        let first = hash("correct horse").expect("hashes");
        let second = hash("correct horse").expect("hashes");
        assert!(
            first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{first}"
        );
        assert_ne!(first, second, "a salt per hash");
        assert!(verify(Some(&first), "correct horse"));
        assert!(!verify(Some(&first), "correct horsf"));
        assert!(
            !verify(None, DUMMY_PASSWORD),
            "the dummy never lets anyone in"
        );
        assert!(!verify(Some("not a hash"), "x"));
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy() {
        let pool = HashPool::start(1, 1).expect("threads");
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let (started, running) = oneshot::channel();
        let first = pool
            .submit(move || {
                let _ = started.send(());
                let _ = blocked.recv();
                1
            })
            .expect("queued");
        running.await.expect("the first job runs");
        // The thread is busy: one job fits the queue, the next does not.
        let second = pool.submit(|| 2).expect("queued");
        assert_eq!(pool.submit(|| 3).err(), Some(PoolError::Busy));
        release.send(()).expect("the job waits");
        assert_eq!(first.await, Ok(1));
        assert_eq!(second.await, Ok(2));
    }
}
