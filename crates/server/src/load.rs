//! `ServerLoad`: whether the server has CPU to spare, read by rooms on every chat line to
//! decide whether a busy room batches its lines (`rooms::batch`), and `sample_load`, the task
//! that keeps it true from how busy the runtime's worker threads were.
//!
//! Batching trades latency for CPU: at 150 lines a second to 1,000 members it cuts the CPU per
//! delivery two to three times but makes a line wait for the next ones, about 5 ms more at the
//! median on the benchmark machine (docs/benchmarks.md). That CPU matters only when the server
//! is short of it, so busy rooms batch only while the workers are loaded and write each line at
//! once while they are not.
//!
//! # The signal
//!
//! The share of the last `LOAD_SAMPLE_INTERVAL` the worker threads spent running tasks rather
//! than parked, summed over the workers (tokio's `worker_total_busy_duration`, kept by tokio
//! whatever the server does, so reading it costs a few atomic loads every interval). It is
//! wall time from when a worker starts running tasks until it parks, so a worker preempted by
//! another process while it runs counts as busy; the time a woken worker waits for a core
//! before it runs does not (it is still parked then), so on an overloaded machine the share
//! reads lower than the CPU the server is short of (docs/benchmarks.md). The hot path reads one
//! relaxed atomic flag.
//!
//! # Hysteresis
//!
//! Batching lowers the load it reacts to, by up to three times at 150 lines a second
//! (issue 13: 4.0 against 1.33 µs per delivery), so a single threshold would flip on every
//! sample: batch, load falls below the mark, write at once, load rises above it. The server
//! counts as loaded from `Config::write_coalesce_busy_percent` (70% by default) and has CPU to
//! spare again only below a third of that (`SPARE_SHARE_OF_LOADED`), lower than the load
//! batching can take off.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use tokio::runtime::RuntimeMetrics;
use tokio::time::Instant;
use tracing::debug;

/// How often the workers' busy time is sampled. Short enough that a room turning busy on an
/// already loaded server batches within a tenth of a second (its first lines go out at once,
/// costing a tenth of a second of unbatched writes), long enough that a sample spans many
/// batches and tasks, and costs nothing measurable (ten reads of one counter per worker a
/// second).
pub const LOAD_SAMPLE_INTERVAL: Duration = Duration::from_millis(100);

/// How often the workers' busy time is sampled while the server is idle (the last sample under
/// `IDLE_BUSY`): an idle server then wakes once a second for it instead of ten times (each
/// wake-up cost about 65 µs of CPU on the loaded benchmark machine, docs/benchmarks.md). A
/// server coming out of idleness has CPU to spare anyway, so a second of writing at once
/// before the next sample costs nothing.
pub const IDLE_SAMPLE_INTERVAL: Duration = Duration::from_secs(1);

/// Busy share under which the server counts as idle for sampling (`IDLE_SAMPLE_INTERVAL`):
/// 1%, a few ticks and pings. A room of 10 lines a second to 1,000 members kept the workers
/// 6–59% busy (docs/benchmarks.md).
pub const IDLE_BUSY: f64 = 0.01;

/// Below what share of the loaded mark the server has CPU to spare again: a third, because
/// batching cuts the CPU per delivery by up to three times (see the module doc). With the
/// default 70% mark, a loaded server writes at once again when its workers are busy less than
/// 23% of the time.
pub const SPARE_SHARE_OF_LOADED: f64 = 1.0 / 3.0;

/// Whether the server is loaded, with the hysteresis of the module doc.
#[derive(Debug)]
pub struct ServerLoad {
    /// Busy share from which the server counts as loaded; 0 always is.
    loaded_from: f64,
    loaded: AtomicBool,
    /// The last sample's busy share, in thousandths, for logs and status.
    busy_permille: AtomicU32,
}

impl Default for ServerLoad {
    /// Loaded from 70% busy, the default `write_coalesce_busy_percent`.
    fn default() -> Self {
        Self::new(crate::config::DEFAULT_WRITE_COALESCE_BUSY_PERCENT)
    }
}

impl ServerLoad {
    /// A server with CPU to spare, loaded once its workers are busy `loaded_from_percent`% of
    /// the time (0: loaded from the start, and always).
    pub fn new(loaded_from_percent: u32) -> Self {
        let loaded_from = f64::from(loaded_from_percent) / 100.0;
        Self {
            loaded_from,
            loaded: AtomicBool::new(loaded_from <= 0.0),
            busy_permille: AtomicU32::new(0),
        }
    }

    /// Whether the server is short of CPU, so that busy rooms batch their lines. One relaxed
    /// load: a room may see a change a little late, which only moves the switch by a line.
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Relaxed)
    }

    /// The last sample's busy share of the workers' time, 0.0 to 1.0.
    pub fn busy(&self) -> f64 {
        f64::from(self.busy_permille.load(Ordering::Relaxed)) / 1000.0
    }

    /// The last sample's busy share of the workers' time, in whole percent.
    pub fn busy_percent(&self) -> u32 {
        (self.busy_permille.load(Ordering::Relaxed) + 5) / 10
    }

    /// Takes a sample: the workers were busy `busy` (0.0 to 1.0) of the last interval.
    /// Returns whether the server is now loaded.
    pub fn observe(&self, busy: f64) -> bool {
        let busy = busy.clamp(0.0, 1.0);
        // At most 1,000: the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        self.busy_permille
            .store((busy * 1000.0).round() as u32, Ordering::Relaxed);
        let was = self.is_loaded();
        let now = if was {
            busy >= self.loaded_from * SPARE_SHARE_OF_LOADED
        } else {
            busy >= self.loaded_from
        };
        if now != was {
            self.loaded.store(now, Ordering::Relaxed);
            if now {
                debug!(
                    busy = busy,
                    "the workers are busy: busy rooms batch their lines"
                );
            } else {
                debug!(
                    busy = busy,
                    "the workers have time to spare: every line is written at once"
                );
            }
        }
        now
    }
}

/// The workers' busy time, sampled into a share of the time between samples.
#[derive(Debug)]
pub struct BusySampler {
    metrics: RuntimeMetrics,
    last_busy: Duration,
    last_at: Instant,
}

impl BusySampler {
    /// Starts sampling the runtime `metrics` belong to.
    pub fn new(metrics: RuntimeMetrics) -> Self {
        let last_busy = total_busy(&metrics);
        Self {
            metrics,
            last_busy,
            last_at: Instant::now(),
        }
    }

    /// The share of the time since the last sample the workers were busy, 0.0 to 1.0.
    pub fn sample(&mut self) -> f64 {
        let now = Instant::now();
        let busy = total_busy(&self.metrics);
        let elapsed = now.saturating_duration_since(self.last_at);
        let spent = busy.saturating_sub(self.last_busy);
        self.last_busy = busy;
        self.last_at = now;
        let capacity = elapsed.as_secs_f64() * self.metrics.num_workers().max(1) as f64;
        if capacity <= 0.0 {
            return 0.0;
        }
        (spent.as_secs_f64() / capacity).clamp(0.0, 1.0)
    }
}

fn total_busy(metrics: &RuntimeMetrics) -> Duration {
    (0..metrics.num_workers())
        .map(|worker| metrics.worker_total_busy_duration(worker))
        .sum()
}

/// Keeps `load` true for the current runtime's workers, sampling every `LOAD_SAMPLE_INTERVAL`
/// (every `IDLE_SAMPLE_INTERVAL` while idle) until aborted.
pub async fn sample_load(load: Arc<ServerLoad>) {
    let mut sampler = BusySampler::new(tokio::runtime::Handle::current().metrics());
    let mut interval = LOAD_SAMPLE_INTERVAL;
    loop {
        tokio::time::sleep(interval).await;
        let busy = sampler.sample();
        load.observe(busy);
        interval = next_sample_in(busy);
    }
}

/// How long until the next sample after one that found the workers `busy`.
fn next_sample_in(busy: f64) -> Duration {
    if busy < IDLE_BUSY {
        IDLE_SAMPLE_INTERVAL
    } else {
        LOAD_SAMPLE_INTERVAL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_is_loaded_from_the_mark_and_spare_again_only_below_a_third_of_it() {
        let load = ServerLoad::new(60);
        assert!(!load.is_loaded(), "a new server has CPU to spare");
        assert!(!load.observe(0.59));
        assert!(load.observe(0.6));
        // Batching takes load off: between the marks, the server stays loaded.
        assert!(load.observe(0.25));
        assert!(load.observe(0.2));
        assert!(!load.observe(0.19));
        // And between the marks it stays spare too.
        assert!(!load.observe(0.5));
        assert!((load.busy() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn an_idle_server_samples_once_a_second_and_a_working_one_ten_times() {
        assert_eq!(next_sample_in(0.0), IDLE_SAMPLE_INTERVAL);
        assert_eq!(next_sample_in(0.005), IDLE_SAMPLE_INTERVAL);
        assert_eq!(next_sample_in(0.06), LOAD_SAMPLE_INTERVAL);
    }

    #[test]
    fn a_mark_of_zero_is_always_loaded() {
        let load = ServerLoad::new(0);
        assert!(load.is_loaded());
        assert!(load.observe(0.0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn workers_kept_busy_sample_as_busy() {
        let mut sampler = BusySampler::new(tokio::runtime::Handle::current().metrics());
        // Both workers spin for 300 ms, then the runtime idles for as long, twice.
        let spin = || {
            tokio::spawn(async {
                let until = std::time::Instant::now() + Duration::from_millis(300);
                while std::time::Instant::now() < until {
                    std::hint::spin_loop();
                }
            })
        };
        let (a, b) = (spin(), spin());
        a.await.expect("spun");
        b.await.expect("spun");
        // A worker hands tokio its busy time when it parks, which may be just after the task
        // ends: the first sample covers the idle time after the spin too.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let busy = sampler.sample();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let idle = sampler.sample();
        // Loose bounds: 600 ms of spinning over two workers' time since the start, which a
        // loaded machine stretches.
        assert!(busy > 0.2, "busy {busy}");
        assert!(idle < busy / 2.0, "idle {idle}, busy {busy}");
    }
}
