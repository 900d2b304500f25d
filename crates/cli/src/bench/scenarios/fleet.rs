//! The parent's side of a run: its worker processes started and connected (`Fleet`), each
//! phase sent to them and their reports collected.

use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use super::args::{TrafficArgs, duration_arg};
use super::fanout::STEP_PAUSE;
use super::report::{ServerSpan, per_second, seconds};
use super::slow::SLOW_RECV_BUFFER_BYTES;
use crate::bench::histogram::Latencies;
use crate::bench::outcome::FanoutOutcome;
use crate::bench::pacing::Schedule;
use crate::bench::parent::{BenchError, ServerProbe, Workers};
use crate::bench::procfs::ProcessSample;
use crate::bench::room_layout::RoomLayout;
use crate::bench::wire::ClientShare;
use crate::bench::wire::{
    ChurnPhase, CloseReport, Command, ConnectReport, Event, FanoutPhase, PhaseReport, Tally,
    WorkerSetup,
};
use crate::bench::{CommonArgs, clients_per_worker, millis, source_addresses, unix_nanos};
use crate::ws::ServerUrl;

/// Time between sending a fanout command and its first line being due, so every worker has
/// read the command before the schedule starts.
pub(crate) const PHASE_START_DELAY: Duration = Duration::from_millis(300);

/// Beyond a phase's own duration, how long the workers may take to report before the bench
/// gives up on them.
pub(crate) const REPORT_GRACE: Duration = Duration::from_secs(30);

/// Time allowed to open the clients: a fixed part plus a per-connection part, generous enough
/// for a busy machine; a stuck run still ends.
pub(crate) const CONNECT_GRACE: Duration = Duration::from_secs(60);

pub(crate) const CONNECT_TIME_PER_CLIENT: Duration = Duration::from_millis(5);

/// How long the close handshakes at the end may take.
pub(crate) const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the member-list checks at the end of a rooms run may take: one join each, answered
/// at once by a server that is not overloaded.
pub(crate) const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// The clients of a run, started and connected.
pub(crate) struct Fleet {
    pub(crate) workers: Workers,
    pub(crate) probe: ServerProbe,
    pub(crate) connect: ConnectTotals,
    pub(crate) url: ServerUrl,
    /// Where the clients are, in a rooms run.
    pub(crate) rooms: Option<RoomLayout>,
    /// Workers `0..client_workers` hold the clients; the rest only churn.
    pub(crate) client_workers: usize,
}

/// The connect reports of all workers added up.
#[derive(Debug, Default)]
pub(crate) struct ConnectTotals {
    pub(crate) attempted: u64,
    pub(crate) connected: u64,
    pub(crate) failures: Tally,
    pub(crate) latency: Latencies,
    /// Rooms runs: time from the ID to the first room.
    pub(crate) join_latency: Latencies,
    /// Rooms runs: clients still waiting to hear of every arrival in their room.
    pub(crate) unsettled_views: u64,
    pub(crate) elapsed: Duration,
}

impl ConnectTotals {
    fn add(reports: &[ConnectReport], elapsed: Duration) -> Self {
        let mut totals = Self {
            elapsed,
            ..Self::default()
        };
        for report in reports {
            totals.attempted += report.attempted;
            totals.connected += report.connected;
            totals.failures.merge(&report.failures);
            totals.latency.merge_wire(&report.latency);
            totals.join_latency.merge_wire(&report.join_latency);
            totals.unsettled_views += report.unsettled_views;
        }
        totals
    }

    pub(crate) fn human(&self) -> String {
        format!(
            "connected {}/{} in {:.2} s ({} per s); time to ID {}; failures: {}",
            self.connected,
            self.attempted,
            self.elapsed.as_secs_f64(),
            per_second(self.connected, self.elapsed),
            self.latency.summary().human(),
            self.failures.human()
        )
    }

    pub(crate) fn json(&self) -> Value {
        json!({
            "attempted": self.attempted,
            "connected": self.connected,
            "failed": self.attempted - self.connected,
            "failures": self.failures,
            "elapsed_s": seconds(self.elapsed),
            "connects_per_s": per_second(self.connected, self.elapsed),
            "latency_us": self.latency.summary(),
        })
    }
}

/// Starts workers for `total` clients (the first `healthy` of them reading, placed in rooms
/// by `rooms` if given) plus `churn_workers` workers without clients, and waits until every
/// client has connected (and joined its room) or failed.
pub(crate) async fn start(
    common: &CommonArgs,
    total: u64,
    healthy: u64,
    senders: u64,
    source_hint: u64,
    rooms: Option<RoomLayout>,
    churn_workers: u32,
) -> Result<Fleet, BenchError> {
    let url = ServerUrl::parse(&common.url, common.ca_file.as_deref())?;
    let server = url.resolve().await?;
    for other in &common.also_urls {
        ServerUrl::parse(other, common.ca_file.as_deref())?
            .resolve()
            .await?;
    }
    let mut shares = ClientShare::assign(total, senders, common.procs, clients_per_worker());
    let client_workers = shares.len();
    shares.extend((0..churn_workers).map(|_| ClientShare {
        first: 0,
        stride: 1,
        count: 0,
    }));
    let workers = u32::try_from(shares.len()).unwrap_or(u32::MAX);
    let sources = source_addresses(server.ip(), common.source_ips, source_hint.max(total));
    let per_worker_concurrency = common.connect_concurrency.div_ceil(workers).max(1);
    let setups = (0..workers)
        .zip(shares)
        .map(|(worker, clients)| WorkerSetup {
            worker,
            workers,
            url: common.url.clone(),
            more_urls: common.also_urls.clone(),
            ca_file: common.ca_file.clone(),
            clients,
            healthy_clients: healthy,
            sources: sources.clone(),
            connect_concurrency: per_worker_concurrency,
            slow_recv_buffer_bytes: SLOW_RECV_BUFFER_BYTES,
            rooms: rooms.clone().filter(|_| (worker as usize) < client_workers),
        })
        .collect();
    let mut probe = ServerProbe::of_all(common.measured_pids());
    probe.reset_peak();
    eprintln!(
        "mmo bench: {total} clients to {url}{} from {workers} worker process(es){}",
        if common.also_urls.is_empty() {
            String::new()
        } else {
            format!(
                " and {} more server(s), round-robin",
                common.also_urls.len()
            )
        },
        if sources.is_empty() {
            String::new()
        } else {
            format!(" and {} source address(es)", sources.len())
        }
    );
    let started = Instant::now();
    let mut workers = Workers::spawn(setups).await?;
    let limit = CONNECT_GRACE + CONNECT_TIME_PER_CLIENT * u32::try_from(total).unwrap_or(u32::MAX);
    let reports = workers
        .collect(&mut probe, limit, |event| match event {
            Event::Connected(report) => Some(report),
            _ => None,
        })
        .await?;
    let connect = ConnectTotals::add(&reports, started.elapsed());
    if total > 0 {
        eprintln!("mmo bench: {}", connect.human());
    }
    Ok(Fleet {
        workers,
        probe,
        connect,
        url,
        rooms,
        client_workers,
    })
}

impl Fleet {
    pub(crate) async fn phase(
        &mut self,
        command: &Command,
        limit: Duration,
    ) -> Result<Vec<PhaseReport>, BenchError> {
        self.workers.command(command).await?;
        self.collect_phase(limit).await
    }

    /// Runs `clients` on the workers holding clients and `churners` on the others at once.
    async fn split_phase(
        &mut self,
        clients: &Command,
        churners: &Command,
        limit: Duration,
    ) -> Result<(Vec<PhaseReport>, Vec<PhaseReport>), BenchError> {
        let commands: Vec<&Command> = (0..self.workers.len())
            .map(|worker| {
                if worker < self.client_workers {
                    clients
                } else {
                    churners
                }
            })
            .collect();
        self.workers.command_each(&commands).await?;
        let reports = self.collect_phase(limit).await?;
        Ok(reports
            .into_iter()
            .partition(|report| (report.worker as usize) < self.client_workers))
    }

    async fn collect_phase(&mut self, limit: Duration) -> Result<Vec<PhaseReport>, BenchError> {
        self.workers
            .collect(&mut self.probe, limit, |event| match event {
                Event::PhaseDone(report) => Some(*report),
                _ => None,
            })
            .await
    }

    /// The fleet, if any client connected; otherwise it is closed and the error says that no
    /// client could `what` (e.g. "connect"), and why.
    pub(crate) async fn require_connected(self, what: &str) -> Result<Self, BenchError> {
        if self.connect.connected > 0 {
            return Ok(self);
        }
        let reason = self.connect.failures.human();
        let _ = self.finish().await;
        Err(BenchError::Usage(format!(
            "no client could {what}: {reason}"
        )))
    }

    /// Closes every connection, waits for the workers to exit, and returns what the summary
    /// needs from the fleet.
    pub(crate) async fn finish(mut self) -> Result<Finished, BenchError> {
        self.workers
            .command(&Command::Close {
                timeout_millis: millis(CLOSE_TIMEOUT),
            })
            .await?;
        let reports: Vec<CloseReport> = self
            .workers
            .collect(
                &mut self.probe,
                CLOSE_TIMEOUT + REPORT_GRACE,
                |event| match event {
                    Event::Closed(report) => Some(report),
                    _ => None,
                },
            )
            .await?;
        self.workers.wait(CLOSE_TIMEOUT).await;
        let mut close_outcomes = Tally::default();
        let mut cpu = 0;
        for report in &reports {
            close_outcomes.merge(&report.outcomes);
            cpu += report.cpu_millis;
        }
        Ok(Finished {
            connect: self.connect,
            url: self.url.to_string(),
            close_outcomes,
            bench_cpu: Duration::from_millis(cpu),
        })
    }

    /// The server's state from `before` until now.
    pub(crate) fn span_since(&mut self, before: Option<ProcessSample>) -> ServerSpan {
        ServerSpan {
            before,
            after: self.probe.sample(),
            peak_rss_bytes: self.probe.peak_rss_bytes,
        }
    }

    /// Runs one fanout phase and adds up its reports.
    pub(crate) async fn fanout_phase(
        &mut self,
        phase: u32,
        rate: f64,
        duration: Duration,
        traffic: &TrafficArgs,
    ) -> Result<(FanoutOutcome, ServerSpan), BenchError> {
        let (outcome, span, _) = self
            .rooms_phase(phase, rate, duration, traffic, 0.0, None)
            .await?;
        Ok((outcome, span))
    }

    /// Runs one fanout phase with `moves_per_second` room changes (rooms runs) while the
    /// churn workers churn as `alongside` says (or hold), and adds up its reports; the churn
    /// workers' reports come back as they are.
    pub(crate) async fn rooms_phase(
        &mut self,
        phase: u32,
        rate: f64,
        duration: Duration,
        traffic: &TrafficArgs,
        moves_per_second: f64,
        alongside: Option<ChurnPhase>,
    ) -> Result<(FanoutOutcome, ServerSpan, Vec<PhaseReport>), BenchError> {
        let drain = duration_arg("drain-timeout", traffic.drain_timeout)?;
        let start = SystemTime::now() + PHASE_START_DELAY;
        let spec = FanoutPhase {
            phase,
            rate,
            senders: traffic.senders,
            payload_bytes: traffic.payload,
            start_unix_nanos: unix_nanos(start),
            duration_millis: millis(duration),
            drain_timeout_millis: millis(drain),
            moves_per_second,
        };
        let scheduled = Schedule::new(rate, traffic.senders, duration).total_messages();
        self.probe.reset_peak();
        let before = self.probe.sample();
        let churn = match alongside {
            Some(churn) => Command::Churn(churn),
            None => Command::Hold { millis: 0 },
        };
        let (reports, churned) = self
            .split_phase(
                &Command::Fanout(spec),
                &churn,
                PHASE_START_DELAY + duration + drain + REPORT_GRACE,
            )
            .await?;
        let span = self.span_since(before);
        Ok((
            FanoutOutcome::aggregate(&reports, traffic.senders, scheduled, self.rooms.as_ref()),
            span,
            churned,
        ))
    }

    /// Has every client in a room check its member list; the reports of the clients' workers.
    pub(crate) async fn check_rooms(&mut self) -> Result<Vec<PhaseReport>, BenchError> {
        // A mover that moved at the server's join rate gets a token back for the check.
        tokio::time::sleep(STEP_PAUSE).await;
        let (reports, _) = self
            .split_phase(
                &Command::CheckRooms {
                    timeout_millis: millis(CHECK_TIMEOUT),
                },
                &Command::Hold { millis: 0 },
                CHECK_TIMEOUT + REPORT_GRACE,
            )
            .await?;
        Ok(reports)
    }
}

/// A run's fleet after its connections closed.
pub(crate) struct Finished {
    pub(crate) connect: ConnectTotals,
    pub(crate) url: String,
    /// How the connections ended when the bench closed them.
    pub(crate) close_outcomes: Tally,
    /// CPU time of all the workers.
    pub(crate) bench_cpu: Duration,
}
