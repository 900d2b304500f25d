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
//! # Waiting for a core
//!
//! The busy share misses a server of a cluster that is short of CPU. Its broker's thread applies
//! every room event and writes part of each delivery, but is no worker, so none of that is in
//! the share; and several servers sharing a machine each have a part of its work, so each reads
//! a part of the busy share one server alone would, while their threads wait for the same cores.
//! Measured (docs/benchmarks.md, "Cluster (issue 22)"): three servers of a cluster on the 2-core
//! machine read 5-15% busy and never batched, writing each member every line (twice the writes
//! of one server alone, which batched), while their threads waited for a core 2-4 times as long
//! as they ran. So a cluster server's samples also read how long the process's threads waited
//! for a core against how long they ran (Linux's per-thread `schedstat`; `CoreWaits`), and one
//! whose threads waited at least as long as they ran (`WAITED_PER_RAN_LOADED`) counts as loaded
//! whatever its busy share: every write it saves is CPU that something waiting on the same cores
//! (its own threads included) gets sooner. One server alone keeps the busy share only: what
//! batching on waiting would do to its latency on a starved machine is not measured enough yet
//! (docs/benchmarks.md). Where the counters cannot be read (not Linux) only the busy share
//! counts.
//!
//! # Hysteresis
//!
//! Batching lowers the load it reacts to, by up to three times at 150 lines a second
//! (issue 13: 4.0 against 1.33 µs per delivery), so a single threshold would flip on every
//! sample: batch, load falls below the mark, write at once, load rises above it. The server
//! counts as loaded from `Config::write_coalesce_busy_percent` (70% by default) and has CPU to
//! spare again only below a third of that (`SPARE_SHARE_OF_LOADED`), lower than the load
//! batching can take off. Waiting for a core has two marks of its own
//! (`WAITED_PER_RAN_LOADED`, `WAITED_PER_RAN_SPARE`), so that a machine hovering at one does not
//! switch the server on every sample.

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

/// How long the server's threads may wait for a core for each unit of time they run before it
/// counts as loaded whatever its workers' busy share (see the module doc): as long as they run.
/// Then the machine has more runnable threads than cores most of the time. Measured on the
/// 2-core benchmark machine at 150 lines a second to 1,000 clients (docs/benchmarks.md): each
/// of three cluster servers waited 2.5-4 times as long as it ran (its busy share 5-15%), one
/// server alone 2-4 times (busy 30-50%). A thread woken on a machine with a core to spare
/// runs at once, waiting only a small fraction of its run time.
pub const WAITED_PER_RAN_LOADED: f64 = 1.0;

/// Below what waiting per unit of run time a server loaded by waiting for a core has CPU to
/// spare again (with its busy share under its own spare mark): half of `WAITED_PER_RAN_LOADED`,
/// so that a machine hovering at the mark does not switch the server on every sample.
pub const WAITED_PER_RAN_SPARE: f64 = 0.5;

/// Whether the threads' waiting for a core counts as load (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreWaits {
    /// Counted: a server of a cluster.
    Counted,
    /// Not read: one server alone.
    Ignored,
}

/// One sample of how loaded the server was over the last interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoadSample {
    /// Share of the interval the workers were busy, 0.0 to 1.0.
    pub busy: f64,
    /// How long the process's threads waited for a core for each unit of time they ran; `None`
    /// where it cannot be read, or the threads ran less than `IDLE_BUSY` of the workers' time
    /// (an idle server waiting for a core is short of nothing batching would save).
    pub waited_per_ran: Option<f64>,
}

impl LoadSample {
    /// A sample of the busy share alone.
    pub fn busy(busy: f64) -> Self {
        Self {
            busy,
            waited_per_ran: None,
        }
    }
}

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
        self.observe_sample(LoadSample::busy(busy))
    }

    /// Takes a sample of the busy share and the threads' waiting for a core (see the module
    /// doc). Returns whether the server is now loaded.
    pub fn observe_sample(&self, sample: LoadSample) -> bool {
        let busy = sample.busy.clamp(0.0, 1.0);
        // At most 1,000: the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        self.busy_permille
            .store((busy * 1000.0).round() as u32, Ordering::Relaxed);
        let was = self.is_loaded();
        let waited_per_ran = sample.waited_per_ran.unwrap_or(0.0);
        let now = if was {
            busy >= self.loaded_from * SPARE_SHARE_OF_LOADED
                || waited_per_ran >= WAITED_PER_RAN_SPARE
        } else {
            busy >= self.loaded_from || waited_per_ran >= WAITED_PER_RAN_LOADED
        };
        if now != was {
            self.loaded.store(now, Ordering::Relaxed);
            if now {
                debug!(
                    busy = busy,
                    waited_per_ran = waited_per_ran,
                    "the server is short of CPU: busy rooms batch their lines"
                );
            } else {
                debug!(
                    busy = busy,
                    waited_per_ran = waited_per_ran,
                    "the server has CPU to spare: every line is written at once"
                );
            }
        }
        now
    }
}

/// The workers' busy time and the process's threads' time running and waiting for a core,
/// sampled into a `LoadSample` of the time between samples.
#[derive(Debug)]
pub struct BusySampler {
    metrics: RuntimeMetrics,
    last_busy: Duration,
    last_at: Instant,
    last_threads: Option<ThreadTimes>,
    waits: CoreWaits,
}

impl BusySampler {
    /// Starts sampling the runtime `metrics` belong to, and the process's threads' waiting for
    /// a core if `waits` says it counts.
    pub fn new(metrics: RuntimeMetrics, waits: CoreWaits) -> Self {
        let last_busy = total_busy(&metrics);
        Self {
            metrics,
            last_busy,
            last_at: Instant::now(),
            last_threads: ThreadTimes::read_if(waits),
            waits,
        }
    }

    /// The share of the time since the last sample the workers were busy, 0.0 to 1.0, and how
    /// long the process's threads waited for a core for each unit of time they ran.
    pub fn sample(&mut self) -> LoadSample {
        let now = Instant::now();
        let busy = total_busy(&self.metrics);
        let elapsed = now.saturating_duration_since(self.last_at);
        let spent = busy.saturating_sub(self.last_busy);
        self.last_busy = busy;
        self.last_at = now;
        let capacity = elapsed.as_secs_f64() * self.metrics.num_workers().max(1) as f64;
        let threads = ThreadTimes::read_if(self.waits);
        let waited_per_ran = match (self.last_threads, threads) {
            (Some(before), Some(after)) => after.waited_per_ran_since(before, capacity),
            _ => None,
        };
        self.last_threads = threads;
        let busy = if capacity <= 0.0 {
            0.0
        } else {
            (spent.as_secs_f64() / capacity).clamp(0.0, 1.0)
        };
        LoadSample {
            busy,
            waited_per_ran,
        }
    }
}

/// How long the process's threads have run and waited for a core, all of them together since
/// they started: the first two fields of Linux's `/proc/self/task/<id>/schedstat`, in
/// nanoseconds. Reading them costs a directory listing and a small read per thread (a server
/// has about ten threads).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ThreadTimes {
    ran_ns: u64,
    waited_ns: u64,
}

impl ThreadTimes {
    /// `read`, where the waiting counts.
    fn read_if(waits: CoreWaits) -> Option<Self> {
        match waits {
            CoreWaits::Counted => Self::read(),
            CoreWaits::Ignored => None,
        }
    }

    /// The process's threads' times now; `None` where they cannot be read (not Linux, or no
    /// `/proc`).
    fn read() -> Option<Self> {
        let mut times = Self::default();
        let mut read_any = false;
        for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
            // A thread that ended since the listing has nothing to add.
            let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else {
                continue;
            };
            if let Some(thread) = Self::parse(&text) {
                times.ran_ns = times.ran_ns.saturating_add(thread.ran_ns);
                times.waited_ns = times.waited_ns.saturating_add(thread.waited_ns);
                read_any = true;
            }
        }
        read_any.then_some(times)
    }

    /// One thread's `schedstat`: time run, time waited on a run queue, time slices.
    fn parse(text: &str) -> Option<Self> {
        let mut fields = text.split_ascii_whitespace().map(str::parse::<u64>);
        Some(Self {
            ran_ns: fields.next()?.ok()?,
            waited_ns: fields.next()?.ok()?,
        })
    }

    /// Time waited for a core per unit of time run since `before`, over an interval of
    /// `capacity` seconds of the workers' time; `None` if the threads ran less than `IDLE_BUSY`
    /// of it (the workers' busy share alone does not tell idleness: in a cluster the broker's
    /// thread applies the rooms' events, and the workers' busy time reached tokio's counters
    /// only when they park). A thread that ended takes its times with it, so a sum may fall.
    fn waited_per_ran_since(self, before: Self, capacity: f64) -> Option<f64> {
        let ran = self.ran_ns.saturating_sub(before.ran_ns);
        let waited = self.waited_ns.saturating_sub(before.waited_ns);
        // Nanoseconds over an interval of at most a second: exact in an f64.
        #[allow(clippy::cast_precision_loss)]
        let (ran, waited) = (ran as f64 / 1e9, waited as f64 / 1e9);
        (ran > 0.0 && ran >= IDLE_BUSY * capacity).then(|| waited / ran)
    }
}

fn total_busy(metrics: &RuntimeMetrics) -> Duration {
    (0..metrics.num_workers())
        .map(|worker| metrics.worker_total_busy_duration(worker))
        .sum()
}

/// Keeps `load` true for the current runtime's workers, sampling every `LOAD_SAMPLE_INTERVAL`
/// (every `IDLE_SAMPLE_INTERVAL` while idle) until aborted.
pub async fn sample_load(load: Arc<ServerLoad>, waits: CoreWaits) {
    let mut sampler = BusySampler::new(tokio::runtime::Handle::current().metrics(), waits);
    let mut interval = LOAD_SAMPLE_INTERVAL;
    loop {
        tokio::time::sleep(interval).await;
        let sample = sampler.sample();
        load.observe_sample(sample);
        interval = next_sample_in(sample);
    }
}

/// How long until the next sample after `sample`: long when the server was idle (its workers
/// and its threads as a whole).
fn next_sample_in(sample: LoadSample) -> Duration {
    if sample.busy < IDLE_BUSY && sample.waited_per_ran.is_none() {
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
    fn waiting_for_a_core_as_long_as_running_loads_a_server_whatever_its_busy_share() {
        let load = ServerLoad::new(70);
        let waiting = |busy, waited_per_ran| LoadSample {
            busy,
            waited_per_ran: Some(waited_per_ran),
        };
        assert!(!load.observe_sample(waiting(0.1, 0.9)));
        assert!(load.observe_sample(waiting(0.1, 1.0)));
        // Hysteresis: loaded until the waiting falls below half of the mark.
        assert!(load.observe_sample(waiting(0.1, 0.5)));
        assert!(!load.observe_sample(waiting(0.1, 0.49)));
        // Waiting that cannot be read leaves the busy share alone to decide.
        assert!(!load.observe_sample(LoadSample::busy(0.1)));
        assert!(load.observe_sample(LoadSample::busy(0.7)));
    }

    #[test]
    fn schedstat_reads_as_time_run_and_time_waited() {
        let before = ThreadTimes::parse("1000 500 7\n").expect("read");
        assert_eq!(
            before,
            ThreadTimes {
                ran_ns: 1000,
                waited_ns: 500
            }
        );
        let after = ThreadTimes::parse("3000 4500 9\n").expect("read");
        // 2 µs run in 100 µs of the workers' time: working, and waited twice that.
        assert_eq!(after.waited_per_ran_since(before, 100e-6), Some(2.0));
        // 2 µs run in a second: idle, however long it waited.
        assert_eq!(after.waited_per_ran_since(before, 1.0), None);
        assert_eq!(after.waited_per_ran_since(after, 100e-6), None);
        assert_eq!(ThreadTimes::parse("garbage"), None);
        // This process's own threads, on Linux: read, and running.
        if cfg!(target_os = "linux") {
            assert!(ThreadTimes::read().expect("read on Linux").ran_ns > 0);
        }
    }

    #[test]
    fn an_idle_server_samples_once_a_second_and_a_working_one_ten_times() {
        assert_eq!(next_sample_in(LoadSample::busy(0.0)), IDLE_SAMPLE_INTERVAL);
        assert_eq!(
            next_sample_in(LoadSample::busy(0.005)),
            IDLE_SAMPLE_INTERVAL
        );
        assert_eq!(next_sample_in(LoadSample::busy(0.06)), LOAD_SAMPLE_INTERVAL);
        // Workers reading idle while the process's threads work (a cluster's broker thread).
        let threads_working = LoadSample {
            busy: 0.0,
            waited_per_ran: Some(0.2),
        };
        assert_eq!(next_sample_in(threads_working), LOAD_SAMPLE_INTERVAL);
    }

    #[test]
    fn a_mark_of_zero_is_always_loaded() {
        let load = ServerLoad::new(0);
        assert!(load.is_loaded());
        assert!(load.observe(0.0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_server_alone_reads_no_waiting_for_a_core() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let mut alone = BusySampler::new(metrics.clone(), CoreWaits::Ignored);
        let mut clustered = BusySampler::new(metrics, CoreWaits::Counted);
        // Enough running for the threads not to count as idle (`IDLE_BUSY`).
        let until = std::time::Instant::now() + Duration::from_millis(50);
        while std::time::Instant::now() < until {
            std::hint::spin_loop();
        }
        assert_eq!(alone.sample().waited_per_ran, None);
        if cfg!(target_os = "linux") {
            assert!(clustered.sample().waited_per_ran.is_some());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn workers_kept_busy_sample_as_busy() {
        let mut sampler = BusySampler::new(
            tokio::runtime::Handle::current().metrics(),
            CoreWaits::Counted,
        );
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
        let busy = sampler.sample().busy;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let idle = sampler.sample().busy;
        // Loose bounds: 600 ms of spinning over two workers' time since the start, which a
        // loaded machine stretches.
        assert!(busy > 0.2, "busy {busy}");
        assert!(idle < busy / 2.0, "idle {idle}, busy {busy}");
    }
}
