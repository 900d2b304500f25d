//! The parent side of `mmo bench`: spawning worker processes, sending them commands, gathering
//! their reports, sampling the server from /proc, and printing progress once a second.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};
use tokio::process::{Child, ChildStdin};
use tokio::sync::mpsc;

use super::histogram::human_micros;
use super::procfs::{Pid, ProcessSample};
use super::wire::{Command, Event, Progress, WorkerSetup};

/// Worker events waiting for the parent. Each worker sends one progress line a second plus
/// one report per command, so this never holds more than a moment's worth; when full, the
/// workers' stdout pipes fill and they wait, which is the right place for backpressure.
const EVENT_QUEUE: usize = 256;

/// How often the progress line is printed.
const PROGRESS_INTERVAL: Duration = Duration::from_secs(1);

/// Why the bench could not go on.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A worker process could not be started.
    #[error("cannot start worker process: {0}")]
    Spawn(std::io::Error),
    /// A worker's stdin closed or failed.
    #[error("cannot send a command to worker {worker}: {source}")]
    Command {
        /// Which worker.
        worker: u32,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A worker exited before reporting.
    #[error("worker {worker} exited early ({status}); see its messages above")]
    WorkerExited {
        /// Which worker.
        worker: u32,
        /// Its exit status.
        status: String,
    },
    /// A worker printed something that is not an event.
    #[error("worker {worker} printed an unreadable line {line:?}")]
    BadEvent {
        /// Which worker.
        worker: u32,
        /// The line.
        line: String,
    },
    /// The workers did not finish in time.
    #[error("the workers did not report within {0:?}")]
    TimedOut(Duration),
    /// The arguments make no sense together.
    #[error("{0}")]
    Usage(String),
    /// The server URL is unusable.
    #[error(transparent)]
    Url(#[from] crate::ws::UrlError),
    /// The server's address could not be found.
    #[error(transparent)]
    Connect(#[from] crate::ws::ConnectError),
}

/// What a worker's stdout reader passes on.
enum FromWorker {
    Event(Event),
    Unreadable(String),
    /// Its stdout ended, with the read error if that is why.
    Exited(Option<String>),
}

/// The server process under test, if its PID was given; in a cluster run, every server
/// process and the broker, measured as one (their CPU times, RSS and open files added up).
#[derive(Debug)]
pub struct ServerProbe {
    pids: Vec<Pid>,
    last: Option<(Instant, ProcessSample)>,
    /// Largest RSS seen since `reset_peak`.
    pub peak_rss_bytes: u64,
}

impl ServerProbe {
    /// Samples `pid`, or does nothing without one.
    pub fn new(pid: Option<u32>) -> Self {
        Self::of_all(pid)
    }

    /// Samples all of `pids` as one; does nothing without any.
    pub fn of_all(pids: impl IntoIterator<Item = u32>) -> Self {
        Self {
            pids: pids.into_iter().map(Pid).collect(),
            last: None,
            peak_rss_bytes: 0,
        }
    }

    /// Samples now, warning once on stderr if a process cannot be read (and then sampling
    /// none, as a sum with a process missing would mislead).
    pub fn sample(&mut self) -> Option<ProcessSample> {
        if self.pids.is_empty() {
            return None;
        }
        let mut total = ProcessSample {
            cpu: Duration::ZERO,
            rss_bytes: 0,
            open_fds: Some(0),
        };
        for pid in &self.pids {
            match pid.sample() {
                Ok(sample) => {
                    total.cpu += sample.cpu;
                    total.rss_bytes += sample.rss_bytes;
                    total.open_fds = total.open_fds.zip(sample.open_fds).map(|(a, b)| a + b);
                }
                Err(error) => {
                    eprintln!("mmo bench: not sampling the server any more: {error}");
                    self.pids.clear();
                    return None;
                }
            }
        }
        self.peak_rss_bytes = self.peak_rss_bytes.max(total.rss_bytes);
        self.last = Some((Instant::now(), total));
        Some(total)
    }

    /// Starts a new peak measurement from the current RSS.
    pub fn reset_peak(&mut self) {
        self.peak_rss_bytes = 0;
        self.sample();
    }

    /// "server cpu 85%  rss 41.2 MiB" since the previous sample, for the progress line.
    fn progress_text(&mut self) -> Option<String> {
        let before = self.last;
        let now = self.sample()?;
        let cpu_percent = before.map_or(0.0, |(at, sample)| {
            let wall = at.elapsed().as_secs_f64().max(1e-3);
            (now.cpu.saturating_sub(sample.cpu)).as_secs_f64() / wall * 100.0
        });
        Some(format!(
            "server cpu {cpu_percent:.0}%  rss {}",
            human_bytes(now.rss_bytes)
        ))
    }
}

/// Bytes in KiB/MiB/GiB for people.
pub fn human_bytes(bytes: u64) -> String {
    // Display only.
    #[allow(clippy::cast_precision_loss)]
    let value = bytes as f64;
    if bytes < 1 << 20 {
        format!("{:.1} KiB", value / 1024.0)
    } else if bytes < 1 << 30 {
        format!("{:.1} MiB", value / f64::from(1 << 20))
    } else {
        format!("{:.2} GiB", value / f64::from(1 << 30))
    }
}

/// The running worker processes.
pub struct Workers {
    children: Vec<Child>,
    stdins: Vec<ChildStdin>,
    events: mpsc::Receiver<(u32, FromWorker)>,
    /// Each worker's two latest progress reports: rates come from the worker's own clock, so
    /// a report that arrives late does not make one second look slow and the next fast.
    progress: Vec<(Progress, Progress)>,
    started: Instant,
}

impl Workers {
    /// Starts one `mmo bench --worker` per setup and hands each its setup line.
    pub async fn spawn(setups: Vec<WorkerSetup>) -> Result<Self, BenchError> {
        let exe = std::env::current_exe().map_err(BenchError::Spawn)?;
        let (tx, events) = mpsc::channel(EVENT_QUEUE);
        let mut children = Vec::new();
        let mut stdins = Vec::new();
        for setup in &setups {
            let mut child = tokio::process::Command::new(&exe)
                .args(["bench", "--worker"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .kill_on_drop(true)
                .spawn()
                .map_err(BenchError::Spawn)?;
            let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
                return Err(BenchError::Spawn(std::io::Error::other("no pipes")));
            };
            let worker = setup.worker;
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut lines = tokio::io::BufReader::new(stdout).lines();
                let read_error = loop {
                    let line = match lines.next_line().await {
                        Ok(Some(line)) => line,
                        Ok(None) => break None,
                        Err(error) => break Some(error.to_string()),
                    };
                    let message = match serde_json::from_str(&line) {
                        Ok(event) => FromWorker::Event(event),
                        Err(_) => FromWorker::Unreadable(line),
                    };
                    if tx.send((worker, message)).await.is_err() {
                        return;
                    }
                };
                let _ = tx.send((worker, FromWorker::Exited(read_error))).await;
            });
            children.push(child);
            stdins.push(stdin);
        }
        let mut workers = Self {
            progress: setups
                .iter()
                .map(|s| {
                    let empty = Progress {
                        worker: s.worker,
                        ..Progress::default()
                    };
                    (empty, empty)
                })
                .collect(),
            children,
            stdins,
            events,
            started: Instant::now(),
        };
        for (index, setup) in setups.iter().enumerate() {
            let line = serde_json::to_string(setup).unwrap_or_default();
            workers.write_line(index, &line).await?;
        }
        Ok(workers)
    }

    /// How many workers there are.
    pub fn len(&self) -> usize {
        self.stdins.len()
    }

    async fn write_line(&mut self, index: usize, line: &str) -> Result<(), BenchError> {
        let worker = u32::try_from(index).unwrap_or(u32::MAX);
        let stdin = &mut self.stdins[index];
        let result = async {
            stdin.write_all(line.as_bytes()).await?;
            stdin.write_all(b"\n").await?;
            stdin.flush().await
        }
        .await;
        result.map_err(|source| BenchError::Command { worker, source })
    }

    /// Sends the same command to every worker.
    pub async fn command(&mut self, command: &Command) -> Result<(), BenchError> {
        let line = serde_json::to_string(command).unwrap_or_default();
        for index in 0..self.len() {
            self.write_line(index, &line).await?;
        }
        Ok(())
    }

    /// Sends worker `i` the command `commands[i]`.
    pub async fn command_each(&mut self, commands: &[&Command]) -> Result<(), BenchError> {
        for (index, command) in commands.iter().enumerate().take(self.len()) {
            let line = serde_json::to_string(command).unwrap_or_default();
            self.write_line(index, &line).await?;
        }
        Ok(())
    }

    /// Waits for one report from each worker, picked out by `pick`, printing progress (and
    /// sampling the server) once a second meanwhile.
    pub async fn collect<T>(
        &mut self,
        probe: &mut ServerProbe,
        limit: Duration,
        pick: impl Fn(Event) -> Option<T>,
    ) -> Result<Vec<T>, BenchError> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut reports = Vec::with_capacity(self.len());
        // A worker may exit right after its report (it does after `close`): only an exit
        // before reporting is an error.
        let mut reported = vec![false; self.len()];
        let mut ticks = tokio::time::interval(PROGRESS_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        while reports.len() < self.len() {
            tokio::select! {
                message = self.events.recv() => {
                    let Some((worker, message)) = message else {
                        return Err(BenchError::WorkerExited { worker: 0, status: "all gone".to_owned() });
                    };
                    match message {
                        FromWorker::Event(Event::Progress(progress)) => {
                            if let Some((previous, latest)) = self.progress.get_mut(worker as usize) {
                                *previous = *latest;
                                *latest = progress;
                            }
                        }
                        FromWorker::Event(event) => {
                            if let Some(report) = pick(event) {
                                reports.push(report);
                                if let Some(flag) = reported.get_mut(worker as usize) {
                                    *flag = true;
                                }
                            }
                        }
                        FromWorker::Unreadable(line) => return Err(BenchError::BadEvent { worker, line }),
                        FromWorker::Exited(None) if reported.get(worker as usize) == Some(&true) => {}
                        FromWorker::Exited(read_error) => {
                            let status = match (read_error, self.children.get_mut(worker as usize)) {
                                (Some(error), _) => format!("reading its output: {error}"),
                                (None, Some(child)) => child.wait().await.map_or_else(|e| e.to_string(), |s| s.to_string()),
                                (None, None) => "unknown".to_owned(),
                            };
                            return Err(BenchError::WorkerExited { worker, status });
                        }
                    }
                }
                _ = ticks.tick() => self.print_progress(probe),
                () = tokio::time::sleep_until(deadline) => return Err(BenchError::TimedOut(limit)),
            }
        }
        Ok(reports)
    }

    fn print_progress(&mut self, probe: &mut ServerProbe) {
        let mut total = Progress::default();
        let (mut sent, mut received, mut cycles) = (0.0, 0.0, 0.0);
        for (previous, latest) in &self.progress {
            total.open += latest.open;
            total.cycles += latest.cycles;
            total.connect_failures += latest.connect_failures;
            total.max_latency_us = total.max_latency_us.max(latest.max_latency_us);
            let seconds = latest.at_millis.saturating_sub(previous.at_millis);
            if seconds == 0 {
                continue;
            }
            // Display only.
            #[allow(clippy::cast_precision_loss)]
            let rate =
                |now: u64, before: u64| now.saturating_sub(before) as f64 * 1e3 / seconds as f64;
            sent += rate(latest.sent, previous.sent);
            received += rate(latest.received, previous.received);
            cycles += rate(latest.cycles, previous.cycles);
        }
        // Connect/close cycles are shown once a scenario has churned, not as 0/s in the rest.
        let cycles = if total.cycles > 0 {
            format!("  cycles {cycles:.0}/s")
        } else {
            String::new()
        };
        let mut line = format!(
            "[{:>4.0}s] open {}  fail {}  sent {sent:.0}/s  recv {received:.0}/s{cycles}  max {}",
            self.started.elapsed().as_secs_f64(),
            total.open,
            total.connect_failures,
            human_micros(total.max_latency_us),
        );
        if let Some(server) = probe.progress_text() {
            line.push_str("  | ");
            line.push_str(&server);
        }
        eprintln!("{line}");
    }

    /// Waits for every worker to exit after `close`.
    pub async fn wait(mut self, limit: Duration) {
        for child in &mut self.children {
            if tokio::time::timeout(limit, child.wait()).await.is_err() {
                let _ = child.start_kill();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_in_readable_units() {
        assert_eq!(human_bytes(512), "0.5 KiB");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
        assert_eq!(human_bytes(5 << 30), "5.00 GiB");
    }

    #[test]
    fn measures_several_processes_as_one() {
        let me = std::process::id();
        let one = ServerProbe::new(Some(me))
            .sample()
            .expect("this process can be read");
        let both = ServerProbe::of_all([me, me])
            .sample()
            .expect("this process can be read");
        // The same process twice: twice its memory, give or take what it allocated between.
        assert!(both.rss_bytes >= one.rss_bytes * 3 / 2, "{one:?} {both:?}");
        assert!(both.cpu >= one.cpu);
        assert!(ServerProbe::of_all([]).sample().is_none());
    }
}
