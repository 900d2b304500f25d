//! The bench scenarios: what each asks the workers to do, in which order, and how its summary
//! and JSON line are made.

use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use super::histogram::{Latencies, human_micros};
use super::outcome::{FanoutOutcome, RateSearch};
use super::pacing::Schedule;
use super::parent::{BenchError, ServerProbe, Workers, human_bytes};
use super::payload::MAX_STAMP_BYTES;
use super::procfs::{ProcessSample, listener_of_port};
use super::room_layout::RoomLayout;
use super::wire::ClientShare;
use super::wire::{
    ChurnPhase, CloseReport, Command, ConnectReport, Event, FanoutPhase, PhaseReport, Tally,
    WorkerSetup,
};
use super::{
    CONNECTIONS_PER_SOURCE_ADDRESS, CommonArgs, clients_per_worker, micros, millis,
    source_addresses, unix_nanos,
};
use crate::ws::ServerUrl;

/// Time between sending a fanout command and its first line being due, so every worker has
/// read the command before the schedule starts.
pub(super) const PHASE_START_DELAY: Duration = Duration::from_millis(300);

/// Beyond a phase's own duration, how long the workers may take to report before the bench
/// gives up on them.
const REPORT_GRACE: Duration = Duration::from_secs(30);

/// Time allowed to open the clients: a fixed part plus a per-connection part, generous enough
/// for a busy machine; a stuck run still ends.
const CONNECT_GRACE: Duration = Duration::from_secs(60);
const CONNECT_TIME_PER_CLIENT: Duration = Duration::from_millis(5);

/// How long the close handshakes at the end may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the member-list checks at the end of a rooms run may take: one join each, answered
/// at once by a server that is not overloaded.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// Pause between `fanout-max` steps so the server's queues empty before the next rate.
pub(super) const STEP_PAUSE: Duration = Duration::from_secs(1);

/// Kernel receive buffer of a slow client: small, so the server's queue for it fills quickly
/// instead of first filling megabytes of socket buffers.
const SLOW_RECV_BUFFER_BYTES: u32 = 4 * 1024;

/// Sender lag behind schedule is worth a warning only past all of: this floor (timer and
/// scheduler jitter on a busy machine), a sender's own interval between lines (its lines then
/// went out bunched rather than at the rate asked), and this share of the run (the rate
/// offered over the run was then not the rate asked). Latency is measured from when a line
/// was really sent, so a smaller lag changes no figure.
const SEND_LAG_WARNING_FLOOR: Duration = Duration::from_millis(20);
const SEND_LAG_WARNING_SHARE_OF_RUN: f64 = 0.01;

/// Whether senders `lag` behind schedule means the rate asked was not offered: `lines` lines
/// from `senders` senders over `run`.
pub(super) fn send_lag_matters(lag: Duration, lines: u64, senders: u32, run: Duration) -> bool {
    // Display arithmetic on counts far below 2^52.
    #[allow(clippy::cast_precision_loss)]
    let lines_per_sender = lines as f64 / f64::from(senders.max(1));
    let sender_interval = if lines_per_sender > 0.0 {
        run.div_f64(lines_per_sender)
    } else {
        run
    };
    lag > SEND_LAG_WARNING_FLOOR
        .max(sender_interval)
        .max(run.mul_f64(SEND_LAG_WARNING_SHARE_OF_RUN))
}

/// Most steps a `fanout-max` search takes.
const MAX_SEARCH_STEPS: u32 = 16;

/// The scenarios.
#[derive(Debug, clap::Subcommand)]
pub enum Scenario {
    /// Open N idle connections and hold them: connect rate, and server memory per connection
    /// (its RSS growth divided by N; needs --server-pid).
    Connect(ConnectArgs),
    /// N clients, K of them sending R lines per second in total: deliveries per second,
    /// latency percentiles, loss, and server CPU per delivery. Needs `mmo-server --chat-rate 0`.
    Fanout(FanoutArgs),
    /// Find the highest total rate the server holds with p99 latency under a bound, zero loss
    /// and no disconnections, by doubling and then bisecting. Needs `mmo-server --chat-rate 0`.
    FanoutMax(FanoutMaxArgs),
    /// Open and close connections in a loop: cycles per second, and the server's memory and
    /// open files before and after (a leak shows as growth).
    Churn(ChurnArgs),
    /// Healthy clients chat while some clients never read: what the healthy ones see, the
    /// server's memory, and how the server ended the slow ones (expect close 1008 "too slow",
    /// once more than the kernel's socket buffers, several MB, has been sent to each).
    Slow(SlowArgs),
    /// R rooms of M members chatting, some members moving between rooms: deliveries per
    /// second, latency, server CPU per delivery, joins per second, and the checks that no line
    /// reached a wrong room and that no presence was lost or repeated. Needs
    /// `mmo-server --chat-rate 0`, and `--join-rate 0` for more than ~1 move per mover a second.
    Rooms(super::room_scenarios::RoomsArgs),
    /// One busy room chatting, measured while quiet and then while other clients connect to
    /// and disconnect from the lobby as fast as they can: the room's latency both ways, and the
    /// churn rate. Needs `mmo-server --chat-rate 0`.
    BusyRoomChurn(super::room_scenarios::BusyRoomChurnArgs),
}

/// `mmo bench connect`.
#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    /// Connections to open.
    #[arg(long, default_value_t = 1_000)]
    clients: u64,
    /// Seconds to hold them open after the last one connected.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    hold: f64,
}

/// Traffic shape shared by the chatting scenarios.
#[derive(Debug, Clone, clap::Args)]
pub struct TrafficArgs {
    /// Clients sending, out of the connected ones.
    #[arg(long, default_value_t = 10)]
    pub(super) senders: u32,
    /// Bytes of each chat line (at least the stamp, ~40 bytes; the server's default limit is
    /// 500 characters).
    #[arg(long, value_name = "BYTES", default_value_t = 64)]
    pub(super) payload: usize,
    /// Seconds to wait after the last line for lines still on their way.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub(super) drain_timeout: f64,
}

/// `mmo bench fanout`.
#[derive(Debug, clap::Args)]
pub struct FanoutArgs {
    /// Connected clients; all read, and the first --senders of them also send.
    #[arg(long, default_value_t = 100)]
    clients: u64,
    /// Chat lines per second, all senders together.
    #[arg(long, default_value_t = 1_000.0)]
    rate: f64,
    /// Seconds of sending.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    duration: f64,
    #[command(flatten)]
    traffic: TrafficArgs,
}

/// `mmo bench fanout-max`.
#[derive(Debug, clap::Args)]
pub struct FanoutMaxArgs {
    /// Connected clients; all read, and the first --senders of them also send.
    #[arg(long, default_value_t = 100)]
    clients: u64,
    /// First rate tried, lines per second.
    #[arg(long, default_value_t = 500.0)]
    start_rate: f64,
    /// Highest rate tried.
    #[arg(long, default_value_t = 1_000_000.0)]
    max_rate: f64,
    /// A step passes only with p99 latency (and sender lag behind schedule) at or under this
    /// many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 50.0)]
    p99_max_ms: f64,
    /// Seconds each step sends for.
    #[arg(long, value_name = "SECONDS", default_value_t = 3.0)]
    step_duration: f64,
    /// Bisection steps after the first failure.
    #[arg(long, default_value_t = 4)]
    refine: u32,
    #[command(flatten)]
    traffic: TrafficArgs,
}

/// `mmo bench churn`.
#[derive(Debug, clap::Args)]
pub struct ChurnArgs {
    /// Connect/close loops running side by side, across all workers.
    #[arg(long, default_value_t = 50)]
    concurrency: u32,
    /// Seconds of churning.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    duration: f64,
    /// Seconds to let the server settle before measuring it afterwards.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    settle: f64,
}

/// `mmo bench slow`.
#[derive(Debug, clap::Args)]
pub struct SlowArgs {
    /// Healthy clients, which read everything; the first --senders of them send.
    #[arg(long, default_value_t = 50)]
    clients: u64,
    /// Slow clients, which stop reading once they have their ID.
    #[arg(long, default_value_t = 10)]
    slow: u64,
    /// Chat lines per second, all senders together.
    #[arg(long, default_value_t = 2_000.0)]
    rate: f64,
    /// Seconds of sending.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    duration: f64,
    /// Seconds the slow clients get, once reading again, to reach the end of their connection.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    wake_timeout: f64,
    #[command(flatten)]
    traffic: TrafficArgs,
}

pub(super) fn duration_arg(name: &str, seconds: f64) -> Result<Duration, BenchError> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        BenchError::Usage(format!(
            "--{name} must be a number of seconds, not {seconds}"
        ))
    })
}

pub(super) fn per_second(count: u64, over: Duration) -> f64 {
    // Display and JSON only.
    #[allow(clippy::cast_precision_loss)]
    let count = count as f64;
    (count / over.as_secs_f64().max(1e-9) * 10.0).round() / 10.0
}

/// Seconds to the millisecond, for JSON without float noise.
pub(super) fn seconds(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1_000.0).round() / 1_000.0
}

/// Runs one scenario.
pub async fn run(scenario: &Scenario, common: &CommonArgs) -> Result<(), BenchError> {
    let common = &with_server_pid(common).await;
    match scenario {
        Scenario::Connect(args) => connect(common, args).await,
        Scenario::Fanout(args) => fanout(common, args).await,
        Scenario::FanoutMax(args) => fanout_max(common, args).await,
        Scenario::Churn(args) => churn(common, args).await,
        Scenario::Slow(args) => slow(common, args).await,
        Scenario::Rooms(args) => super::room_scenarios::rooms(common, args).await,
        Scenario::BusyRoomChurn(args) => super::room_scenarios::busy_room_churn(common, args).await,
    }
}

/// `common` with `--server-pid` filled in, when it was not given and the server is on this
/// machine: the process listening on the URL's port (Linux /proc).
async fn with_server_pid(common: &CommonArgs) -> CommonArgs {
    let mut common = common.clone();
    if common.server_pid.is_some() {
        return common;
    }
    let Ok(url) = ServerUrl::parse(&common.url, common.ca_file.as_deref()) else {
        return common;
    };
    let local = url
        .resolve()
        .await
        .is_ok_and(|addr| addr.ip().is_loopback());
    if let Some(pid) = local.then(|| listener_of_port(url.port())).flatten() {
        eprintln!(
            "mmo bench: measuring the server as process {} (listening on port {}); \
             --server-pid PID to choose",
            pid.0,
            url.port()
        );
        common.server_pid = Some(pid.0);
    }
    common
}

/// The clients of a run, started and connected.
pub(super) struct Fleet {
    workers: Workers,
    pub(super) probe: ServerProbe,
    pub(super) connect: ConnectTotals,
    url: ServerUrl,
    /// Where the clients are, in a rooms run.
    rooms: Option<RoomLayout>,
    /// Workers `0..client_workers` hold the clients; the rest only churn.
    client_workers: usize,
}

/// The connect reports of all workers added up.
#[derive(Debug, Default)]
pub(super) struct ConnectTotals {
    pub(super) attempted: u64,
    pub(super) connected: u64,
    pub(super) failures: Tally,
    latency: Latencies,
    /// Rooms runs: time from the ID to the first room.
    pub(super) join_latency: Latencies,
    /// Rooms runs: clients still waiting to hear of every arrival in their room.
    pub(super) unsettled_views: u64,
    pub(super) elapsed: Duration,
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

    pub(super) fn human(&self) -> String {
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

    pub(super) fn json(&self) -> Value {
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
pub(super) async fn start(
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
            ca_file: common.ca_file.clone(),
            clients,
            healthy_clients: healthy,
            sources: sources.clone(),
            connect_concurrency: per_worker_concurrency,
            slow_recv_buffer_bytes: SLOW_RECV_BUFFER_BYTES,
            rooms: rooms.clone().filter(|_| (worker as usize) < client_workers),
        })
        .collect();
    let mut probe = ServerProbe::new(common.server_pid);
    probe.reset_peak();
    eprintln!(
        "mmo bench: {total} clients to {url} from {workers} worker process(es){}",
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
    pub(super) async fn phase(
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

    /// Closes every connection, waits for the workers to exit, and returns what the summary
    /// needs from the fleet.
    pub(super) async fn finish(mut self) -> Result<Finished, BenchError> {
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
    pub(super) fn span_since(&mut self, before: Option<ProcessSample>) -> ServerSpan {
        ServerSpan {
            before,
            after: self.probe.sample(),
            peak_rss_bytes: self.probe.peak_rss_bytes,
        }
    }

    /// Runs one fanout phase and adds up its reports.
    async fn fanout_phase(
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
    pub(super) async fn rooms_phase(
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
    pub(super) async fn check_rooms(&mut self) -> Result<Vec<PhaseReport>, BenchError> {
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
pub(super) struct Finished {
    pub(super) connect: ConnectTotals,
    pub(super) url: String,
    /// How the connections ended when the bench closed them.
    pub(super) close_outcomes: Tally,
    /// CPU time of all the workers.
    pub(super) bench_cpu: Duration,
}

/// The server's state around a measured span.
#[derive(Debug, Clone, Copy)]
pub(super) struct ServerSpan {
    before: Option<ProcessSample>,
    after: Option<ProcessSample>,
    peak_rss_bytes: u64,
}

impl ServerSpan {
    fn cpu(&self) -> Option<Duration> {
        Some(self.after?.cpu.saturating_sub(self.before?.cpu))
    }

    pub(super) fn cpu_micros_per(&self, count: u64) -> Option<f64> {
        let cpu = self.cpu()?;
        // JSON only.
        #[allow(clippy::cast_precision_loss)]
        let per = cpu.as_micros() as f64 / count.max(1) as f64;
        Some((per * 100.0).round() / 100.0)
    }

    pub(super) fn json(&self, pid: Option<u32>, deliveries: Option<u64>) -> Value {
        if self.before.is_none() {
            return Value::Null;
        }
        json!({
            "pid": pid,
            "cpu_s": self.cpu().map(seconds),
            "cpu_us_per_delivery": deliveries.and_then(|d| self.cpu_micros_per(d)),
            "rss_before_bytes": self.before.map(|s| s.rss_bytes),
            "rss_after_bytes": self.after.map(|s| s.rss_bytes),
            "rss_peak_bytes": self.peak_rss_bytes,
            "open_fds_before": self.before.and_then(|s| s.open_fds),
            "open_fds_after": self.after.and_then(|s| s.open_fds),
        })
    }

    pub(super) fn human(&self, deliveries: Option<u64>) -> Option<String> {
        let (before, after) = (self.before?, self.after?);
        let mut text = format!(
            "server: cpu {:.2} s; rss {} -> {} (peak {})",
            self.cpu()?.as_secs_f64(),
            human_bytes(before.rss_bytes),
            human_bytes(after.rss_bytes),
            human_bytes(self.peak_rss_bytes),
        );
        if let (Some(before), Some(after)) = (before.open_fds, after.open_fds) {
            text.push_str(&format!("; open files {before} -> {after}"));
        }
        if let Some(per) = deliveries.and_then(|d| self.cpu_micros_per(d)) {
            text.push_str(&format!("; {per} µs cpu per delivery"));
        }
        Some(text)
    }
}

pub(super) fn fanout_json(outcome: &FanoutOutcome, duration: Duration) -> Value {
    json!({
        "scheduled": outcome.scheduled,
        "sent": outcome.sent,
        "refused": outcome.refused,
        "receivers": outcome.receivers,
        "expected_deliveries": outcome.expected,
        "delivered": outcome.delivered,
        "loss": outcome.loss,
        "deliveries_per_s": per_second(outcome.delivered, duration),
        "latency_us": outcome.latency.summary(),
        "gaps": outcome.gaps,
        "duplicates": outcome.duplicates,
        "stale": outcome.stale,
        "foreign": outcome.foreign,
        "max_send_lag_us": outcome.max_send_lag_us,
        "closes": outcome.closes,
        "denies": outcome.denies,
        "open_at_start": outcome.open_at_start,
        "open_at_end": outcome.open_at_end,
    })
}

pub(super) fn print_fanout(outcome: &FanoutOutcome, duration: Duration) {
    println!(
        "sent {}/{} lines to {} readers: delivered {}/{} ({} per s), loss {}",
        outcome.sent,
        outcome.scheduled,
        outcome.receivers,
        outcome.delivered,
        outcome.expected,
        per_second(outcome.delivered, duration),
        outcome.loss
    );
    if !outcome.denies.is_empty() {
        // Refused lines are not owed to anyone: they are counted here, not as loss.
        println!(
            "refused by the server: {} (not loss: the server said no; for benchmarks start it \
             with --chat-rate 0)",
            outcome.denies.human_reasons()
        );
    }
    println!("latency: {}", outcome.latency.summary().human());
    println!(
        "senders fell behind schedule by at most {}; gaps {}, duplicates {}, stale {}, other chat {}",
        human_micros(outcome.max_send_lag_us),
        outcome.gaps,
        outcome.duplicates,
        outcome.stale,
        outcome.foreign
    );
    let lag = Duration::from_micros(outcome.max_send_lag_us);
    if send_lag_matters(lag, outcome.scheduled, outcome.senders, duration) {
        println!(
            "warning: senders fell {} behind schedule: the bench (try more --procs) or the \
             server's backpressure limited the rate",
            human_micros(outcome.max_send_lag_us)
        );
    }
    println!("server closed readers: {}", outcome.closes.human());
}

pub(super) fn check_traffic(traffic: &TrafficArgs, clients: u64) -> Result<(), BenchError> {
    if traffic.senders == 0 || u64::from(traffic.senders) > clients {
        return Err(BenchError::Usage(format!(
            "--senders must be from 1 to the number of clients ({clients})"
        )));
    }
    if traffic.payload > mmo_protocol::ChatLimits::default().max_bytes {
        eprintln!(
            "mmo bench: warning: --payload {} is over the server's default chat limit",
            traffic.payload
        );
    }
    if traffic.payload < MAX_STAMP_BYTES / 2 {
        eprintln!("mmo bench: note: lines are at least as long as their stamp (~40 bytes)");
    }
    Ok(())
}

/// Prints the scenario's JSON line with what makes it comparable to another run: which build
/// of the bench measured it, on how many CPUs, and when.
pub(super) fn emit_json(mut line: Value) {
    if let Some(fields) = line.as_object_mut() {
        let unix_time_s = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        fields.insert(
            "run".to_owned(),
            json!({
                "bench_version": env!("CARGO_PKG_VERSION"),
                "bench_profile": if cfg!(debug_assertions) { "debug" } else { "release" },
                "cpus": std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get),
                "unix_time_s": unix_time_s,
            }),
        );
    }
    println!("{line}");
}

async fn connect(common: &CommonArgs, args: &ConnectArgs) -> Result<(), BenchError> {
    let hold = duration_arg("hold", args.hold)?;
    let mut probe = ServerProbe::new(common.server_pid);
    let before = probe.sample();
    let mut fleet = start(common, args.clients, args.clients, 0, 0, None, 0).await?;
    let connected = fleet.probe.sample();
    let reports = fleet
        .phase(
            &Command::Hold {
                millis: millis(hold),
            },
            hold + REPORT_GRACE,
        )
        .await?;
    let span = fleet.span_since(before);
    let mut closes = Tally::default();
    let open_after_hold: u64 = reports.iter().map(|r| r.open_at_end).sum();
    for report in &reports {
        closes.merge(&report.closes);
    }
    let per_connection = match (before, connected) {
        (Some(before), Some(connected)) if fleet.connect.connected > 0 => {
            Some(connected.rss_bytes.saturating_sub(before.rss_bytes) / fleet.connect.connected)
        }
        _ => None,
    };
    let Finished {
        connect,
        url,
        close_outcomes,
        bench_cpu,
    } = fleet.finish().await?;

    println!("connect: {}", connect.human());
    println!(
        "held {:.1} s: {open_after_hold} still open; server closed: {}",
        hold.as_secs_f64(),
        closes.human()
    );
    if let Some(text) = span.human(None) {
        println!("{text}");
    }
    if let Some(bytes) = per_connection {
        println!(
            "server memory per connection: {} ({bytes} bytes)",
            human_bytes(bytes)
        );
    }
    println!("bench cpu {:.2} s", bench_cpu.as_secs_f64());
    emit_json(json!({
        "scenario": "connect",
        "url": url,
        "clients": args.clients,
        "connect": connect.json(),
        "connected": connect.connected,
        "failed": connect.attempted - connect.connected,
        "connects_per_s": per_second(connect.connected, connect.elapsed),
        "hold_s": hold.as_secs_f64(),
        "open_after_hold": open_after_hold,
        "closes": closes,
        "close_outcomes": close_outcomes,
        "server": span.json(common.server_pid, None),
        "server_rss_per_connection_bytes": per_connection,
        "bench_cpu_s": seconds(bench_cpu),
    }));
    Ok(())
}

async fn fanout(common: &CommonArgs, args: &FanoutArgs) -> Result<(), BenchError> {
    check_traffic(&args.traffic, args.clients)?;
    let duration = duration_arg("duration", args.duration)?;
    let mut fleet = start(
        common,
        args.clients,
        args.clients,
        u64::from(args.traffic.senders),
        0,
        None,
        0,
    )
    .await?;
    if fleet.connect.connected == 0 {
        let reason = fleet.connect.failures.human();
        let _ = fleet.finish().await;
        return Err(BenchError::Usage(format!(
            "no client could connect: {reason}"
        )));
    }
    let (outcome, span) = fleet
        .fanout_phase(1, args.rate, duration, &args.traffic)
        .await?;
    let Finished {
        connect,
        url,
        bench_cpu,
        ..
    } = fleet.finish().await?;

    println!(
        "fanout: {} clients, {} senders, {} lines/s of {} bytes for {:.1} s",
        args.clients,
        args.traffic.senders,
        args.rate,
        args.traffic.payload,
        duration.as_secs_f64()
    );
    println!("connect: {}", connect.human());
    print_fanout(&outcome, duration);
    if let Some(text) = span.human(Some(outcome.delivered)) {
        println!("{text}");
    }
    println!("bench cpu {:.2} s", bench_cpu.as_secs_f64());
    let mut value = json!({
        "scenario": "fanout",
        "url": url,
        "clients": args.clients,
        "senders": args.traffic.senders,
        "rate": args.rate,
        "payload_bytes": args.traffic.payload,
        "duration_s": duration.as_secs_f64(),
        "connect": connect.json(),
        "server": span.json(common.server_pid, Some(outcome.delivered)),
        "bench_cpu_s": seconds(bench_cpu),
    });
    merge(&mut value, fanout_json(&outcome, duration));
    emit_json(value);
    Ok(())
}

pub(super) fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(into), Value::Object(from)) = (into, from) {
        into.extend(from);
    }
}

async fn fanout_max(common: &CommonArgs, args: &FanoutMaxArgs) -> Result<(), BenchError> {
    check_traffic(&args.traffic, args.clients)?;
    let step = duration_arg("step-duration", args.step_duration)?;
    let mut fleet = start(
        common,
        args.clients,
        args.clients,
        u64::from(args.traffic.senders),
        0,
        None,
        0,
    )
    .await?;
    let mut search = RateSearch::new(args.start_rate, args.max_rate, args.refine);
    let p99_bound_us = Duration::try_from_secs_f64(args.p99_max_ms / 1_000.0)
        .map(micros)
        .map_err(|_| {
            BenchError::Usage(format!(
                "--p99-max-ms must be a number of milliseconds, not {}",
                args.p99_max_ms
            ))
        })?;
    let mut steps = Vec::new();
    let mut best: Option<(f64, Value)> = None;
    let mut phase = 0;
    while let Some(rate) = search.next_rate() {
        phase += 1;
        if phase > MAX_SEARCH_STEPS {
            break;
        }
        let (outcome, span) = fleet.fanout_phase(phase, rate, step, &args.traffic).await?;
        let summary = outcome.latency.summary();
        let shortfalls = outcome.shortfalls(p99_bound_us);
        let passed = shortfalls.is_empty();
        eprintln!(
            "mmo bench: step {phase}: {rate:.0} lines/s -> {} deliveries/s, p99 {}, loss {}: {}",
            per_second(outcome.delivered, step),
            human_micros(summary.p99_us),
            outcome.loss,
            if passed {
                "held".to_owned()
            } else {
                format!("not held ({})", shortfalls.join(", "))
            }
        );
        let mut value = json!({
            "rate": rate,
            "held": passed,
            "not_held_because": shortfalls,
            "server": span.json(common.server_pid, Some(outcome.delivered)),
        });
        merge(&mut value, fanout_json(&outcome, step));
        if passed && best.as_ref().is_none_or(|(b, _)| rate > *b) {
            best = Some((rate, value.clone()));
        }
        steps.push(value);
        let lost_clients = outcome.open_at_end < outcome.open_at_start;
        if lost_clients {
            eprintln!(
                "mmo bench: the server closed clients ({}); stopping the search",
                outcome.closes.human()
            );
            break;
        }
        search.record(rate, passed);
        tokio::time::sleep(STEP_PAUSE).await;
    }
    let Finished {
        connect,
        url,
        bench_cpu,
        ..
    } = fleet.finish().await?;

    println!(
        "fanout-max: {} clients, {} senders, {} byte lines; bound p99 <= {} ms, zero loss",
        args.clients, args.traffic.senders, args.traffic.payload, args.p99_max_ms
    );
    println!("connect: {}", connect.human());
    for value in &steps {
        let held = value["held"].as_bool().unwrap_or(false);
        println!(
            "  {:>9.0} lines/s  {:>10.0} deliveries/s  p99 {:>10}  loss {:>6}  {}",
            value["rate"].as_f64().unwrap_or_default(),
            value["deliveries_per_s"].as_f64().unwrap_or_default(),
            human_micros(value["latency_us"]["p99_us"].as_u64().unwrap_or_default()),
            value["loss"],
            if held { "held" } else { "not held" }
        );
    }
    match &best {
        Some((rate, value)) => println!(
            "highest rate held: {rate:.0} lines/s = {} deliveries/s",
            value["deliveries_per_s"]
        ),
        None => println!("no rate was held; try a lower --start-rate"),
    }
    println!("bench cpu {:.2} s", bench_cpu.as_secs_f64());
    emit_json(json!({
        "scenario": "fanout-max",
        "url": url,
        "clients": args.clients,
        "senders": args.traffic.senders,
        "payload_bytes": args.traffic.payload,
        "p99_max_ms": args.p99_max_ms,
        "step_duration_s": step.as_secs_f64(),
        "connect": connect.json(),
        "best_rate": best.as_ref().map(|(rate, _)| rate),
        "best": best.map(|(_, value)| value),
        "steps": steps,
        "bench_cpu_s": seconds(bench_cpu),
    }));
    Ok(())
}

/// Source addresses churn spreads over: each cycle leaves a port in TIME_WAIT for a minute on
/// one side or the other, and more addresses means more ports.
pub(super) const CHURN_SOURCE_HINT: u64 = 8 * CONNECTIONS_PER_SOURCE_ADDRESS;

async fn churn(common: &CommonArgs, args: &ChurnArgs) -> Result<(), BenchError> {
    let duration = duration_arg("duration", args.duration)?;
    let settle = duration_arg("settle", args.settle)?;
    if args.concurrency == 0 {
        return Err(BenchError::Usage(
            "--concurrency must be at least 1".to_owned(),
        ));
    }
    let mut fleet = start(common, 0, 0, 0, CHURN_SOURCE_HINT, None, 0).await?;
    let before = fleet.probe.sample();
    let workers = u32::try_from(fleet.workers.len()).unwrap_or(1).max(1);
    let command = Command::Churn(ChurnPhase {
        concurrency: args.concurrency.div_ceil(workers),
        duration_millis: millis(duration),
        join_lobby: false,
    });
    let started = Instant::now();
    let reports = fleet.phase(&command, duration + REPORT_GRACE).await?;
    let elapsed = started.elapsed();
    let ChurnTotals {
        cycles,
        latency,
        failures,
    } = ChurnTotals::add(&reports);
    eprintln!(
        "mmo bench: letting the server settle for {:.1} s",
        settle.as_secs_f64()
    );
    tokio::time::sleep(settle).await;
    let span = fleet.span_since(before);
    let Finished { url, bench_cpu, .. } = fleet.finish().await?;

    println!(
        "churn: {cycles} connect/close cycles in {:.1} s ({} per s) with {} loops",
        elapsed.as_secs_f64(),
        per_second(cycles, elapsed),
        args.concurrency
    );
    println!("time to ID: {}", latency.summary().human());
    println!("failures: {}", failures.human());
    if let Some(text) = span.human(None) {
        println!("{text}");
    }
    println!("bench cpu {:.2} s", bench_cpu.as_secs_f64());
    emit_json(json!({
        "scenario": "churn",
        "url": url,
        "concurrency": args.concurrency,
        "duration_s": seconds(elapsed),
        "cycles": cycles,
        "cycles_per_s": per_second(cycles, elapsed),
        "connect_latency_us": latency.summary(),
        "failures": failures,
        "server": span.json(common.server_pid, None),
        "server_rss_growth_bytes": span.before.zip(span.after).map(|(b, a)| a.rss_bytes as i128 - b.rss_bytes as i128),
        "bench_cpu_s": seconds(bench_cpu),
    }));
    Ok(())
}

async fn slow(common: &CommonArgs, args: &SlowArgs) -> Result<(), BenchError> {
    check_traffic(&args.traffic, args.clients)?;
    let duration = duration_arg("duration", args.duration)?;
    let wake_timeout = duration_arg("wake-timeout", args.wake_timeout)?;
    let total = args.clients + args.slow;
    let mut fleet = start(
        common,
        total,
        args.clients,
        u64::from(args.traffic.senders),
        0,
        None,
        0,
    )
    .await?;
    let (outcome, span) = fleet
        .fanout_phase(1, args.rate, duration, &args.traffic)
        .await?;
    let wake = fleet
        .phase(
            &Command::WakeSlow {
                timeout_millis: millis(wake_timeout),
            },
            wake_timeout + REPORT_GRACE,
        )
        .await?;
    let mut slow_outcomes = Tally::default();
    for report in &wake {
        slow_outcomes.merge(&report.slow_outcomes);
    }
    let Finished {
        connect,
        url,
        bench_cpu,
        ..
    } = fleet.finish().await?;

    println!(
        "slow: {} healthy clients ({} sending {} lines/s of {} bytes) and {} that never read, for {:.1} s",
        args.clients,
        args.traffic.senders,
        args.rate,
        args.traffic.payload,
        args.slow,
        duration.as_secs_f64()
    );
    println!("connect: {}", connect.human());
    print_fanout(&outcome, duration);
    println!("slow clients ended: {}", slow_outcomes.human());
    if slow_outcomes.human().contains("still open") {
        println!(
            "note: the server never found those clients too slow: each was sent {} bytes, which \
             kernel socket buffers (several MB on loopback) can absorb; raise --rate, --payload \
             or --duration",
            outcome.sent * args.traffic.payload as u64
        );
    }
    if let Some(text) = span.human(Some(outcome.delivered)) {
        println!("{text}");
    }
    println!("bench cpu {:.2} s", bench_cpu.as_secs_f64());
    let mut value = json!({
        "scenario": "slow",
        "url": url,
        "clients": args.clients,
        "slow_clients": args.slow,
        "senders": args.traffic.senders,
        "rate": args.rate,
        "payload_bytes": args.traffic.payload,
        "duration_s": duration.as_secs_f64(),
        "connect": connect.json(),
        "slow_outcomes": slow_outcomes,
        "server": span.json(common.server_pid, Some(outcome.delivered)),
        "bench_cpu_s": seconds(bench_cpu),
    });
    merge(&mut value, fanout_json(&outcome, duration));
    emit_json(value);
    Ok(())
}

/// The churning workers' reports added up.
#[derive(Debug, Default)]
pub struct ChurnTotals {
    pub cycles: u64,
    pub latency: Latencies,
    pub failures: Tally,
}

impl ChurnTotals {
    pub fn add(reports: &[PhaseReport]) -> Self {
        let mut totals = Self::default();
        for report in reports {
            totals.cycles += report.cycles;
            totals.latency.merge_wire(&report.connect_latency);
            totals.failures.merge(&report.connect_failures);
        }
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lag_that_changes_the_rate_offered_is_worth_a_warning() {
        let run = Duration::from_secs(10);
        let ms = Duration::from_millis;
        // 1,000 lines/s from 10 senders: 10 ms between a sender's lines; 1% of the run is 100 ms.
        assert!(!send_lag_matters(ms(13), 10_000, 10, run));
        assert!(!send_lag_matters(ms(100), 10_000, 10, run));
        assert!(send_lag_matters(ms(101), 10_000, 10, run));
        // 10 lines/s from 10 senders: a second between a sender's lines.
        assert!(!send_lag_matters(ms(900), 100, 10, run));
        assert!(send_lag_matters(ms(1_001), 100, 10, run));
        // A short run still tolerates the floor.
        assert!(!send_lag_matters(
            ms(19),
            100_000,
            1,
            Duration::from_secs(1)
        ));
        assert!(send_lag_matters(ms(21), 100_000, 1, Duration::from_secs(1)));
        // Nothing scheduled: only a lag past the whole run.
        assert!(!send_lag_matters(ms(500), 0, 0, Duration::from_secs(1)));
    }
}
