//! `mmo bench --worker`: one process holding a share of the bench's connections on a single
//! thread, obeying the parent's commands on stdin and reporting on stdout.
//!
//! Everything runs on one thread so the counters and histograms are plain cells, with no
//! locking on the per-message path; more CPU comes from more worker processes. Here: the
//! command loop and the state all clients share (`Worker`). Its parts: `connect` (opening the
//! connections), `client` (one client's life), `traffic` (chat out and in), `phases` (the
//! parent's commands across all clients) and `rooms` (joining, moving and checking member
//! lists).

mod client;
mod connect;
mod phases;
mod rooms;
mod traffic;

use std::cell::{Cell, RefCell};
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncBufReadExt as _;
use tokio::sync::watch;

use super::countdown::Countdown;
use tokio::time::Instant;

use self::phases::{ActivePhase, PhaseStats};
use self::traffic::ClientPhase;
use super::conn::ReadScratch;
use super::membership::MembershipChecks;
use super::millis;
use super::payload::SenderIndex;
use super::procfs::Pid;
use super::wire::{Command, Event, PhaseReport, Progress, Tally, WorkerSetup};
use crate::ws::{self, ServerUrl};

/// How often progress is reported.
const PROGRESS_INTERVAL: Duration = Duration::from_secs(1);

/// Why a worker stopped.
#[derive(Debug, thiserror::Error)]
enum WorkerError {
    #[error("reading commands: {0}")]
    Stdin(#[from] std::io::Error),
    #[error("stdin ended before the setup line")]
    NoSetup,
    #[error("bad command line {line:?}: {source}")]
    BadCommand {
        line: String,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Url(#[from] ws::UrlError),
    #[error(transparent)]
    Connect(#[from] ws::ConnectError),
}

/// Runs `mmo bench --worker` until the parent says `close` or goes away.
pub fn run() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mmo bench worker: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let local = tokio::task::LocalSet::new();
    match local.block_on(&runtime, work()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mmo bench worker: {error}");
            ExitCode::FAILURE
        }
    }
}

fn emit(event: &Event) {
    // Serialising these plain structs cannot fail. A closed stdout means the parent is gone,
    // and the next stdin read ends the worker.
    if let Ok(line) = serde_json::to_string(event) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

fn cpu_millis() -> u64 {
    Pid::this_process()
        .sample()
        .map(|s| millis(s.cpu))
        .unwrap_or_default()
}

async fn work() -> Result<(), WorkerError> {
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let first = stdin.next_line().await?.ok_or(WorkerError::NoSetup)?;
    let setup: WorkerSetup = parse_line(&first)?;
    let mut servers = Vec::with_capacity(1 + setup.more_urls.len());
    for text in std::iter::once(&setup.url).chain(&setup.more_urls) {
        let url = ServerUrl::parse(text, setup.ca_file.as_deref())?;
        let addr = url.resolve().await?;
        servers.push((url, addr));
    }
    let fleet = Rc::new(Worker::new(setup, servers));

    tokio::task::spawn_local(report_progress(Rc::clone(&fleet)));
    let report = Rc::clone(&fleet).connect_all().await;
    emit(&Event::Connected(report));

    while let Some(line) = stdin.next_line().await? {
        let report = match parse_line(&line)? {
            Command::Fanout(phase) => Rc::clone(&fleet).fanout(phase).await,
            Command::Hold { millis } => fleet.hold(Duration::from_millis(millis)).await,
            Command::Churn(churn) => Rc::clone(&fleet).churn(churn).await,
            Command::WakeSlow { timeout_millis } => {
                fleet.wake_slow(Duration::from_millis(timeout_millis)).await
            }
            Command::CheckRooms { timeout_millis } => {
                fleet
                    .check_rooms(Duration::from_millis(timeout_millis))
                    .await
            }
            Command::Close { timeout_millis } => {
                let report = fleet.close_all(Duration::from_millis(timeout_millis)).await;
                emit(&Event::Closed(report));
                return Ok(());
            }
        };
        emit(&Event::PhaseDone(Box::new(report)));
    }
    // The parent is gone; the connections close with the process.
    Ok(())
}

/// One JSON line from the parent: the setup, then commands.
fn parse_line<T: serde::de::DeserializeOwned>(line: &str) -> Result<T, WorkerError> {
    serde_json::from_str(line).map_err(|source| WorkerError::BadCommand {
        line: line.to_owned(),
        source,
    })
}

/// What every client is asked to do, broadcast through a watch channel.
#[derive(Clone, Debug)]
enum Control {
    Idle,
    Fanout(Arc<ActivePhase>),
    WakeSlow,
    CheckRooms,
    Close,
}

/// A client's position among all the bench's clients, across workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ClientIndex(u64);

impl ClientIndex {
    fn sender_index(self, senders: u32) -> Option<SenderIndex> {
        u32::try_from(self.0)
            .ok()
            .filter(|&i| i < senders)
            .map(SenderIndex)
    }
}

/// The worker's shared state; single-threaded, hence cells.
struct Worker {
    setup: WorkerSetup,
    /// The servers the clients connect to, client `i` to `servers[i % len]`; never empty.
    servers: Vec<(ServerUrl, SocketAddr)>,
    control: watch::Sender<Control>,
    active: RefCell<Option<Arc<ActivePhase>>>,
    stats: RefCell<PhaseStats>,
    /// Which of this worker's clients are open, by slot.
    open: RefCell<Vec<bool>>,
    /// Running totals; `open` is how many of this worker's clients are open.
    progress: Cell<Progress>,
    /// Lines still expected in the current phase by this worker's readers.
    outstanding: Countdown,
    /// Clients still busy with the current wake-up or close.
    pending_ends: Countdown,
    /// Ends of connections seen by `close_all`.
    close_outcomes: RefCell<Tally>,
    /// The buffer every connection reads into.
    scratch: ReadScratch,
    /// Connections opened so far, to vary their masking keys.
    opened_ever: Cell<u64>,
    /// Rooms runs: membership checks since the start, reported by `CheckRooms`.
    checks: RefCell<MembershipChecks>,
    /// Clients whose `CheckRooms` refresh is not answered yet.
    pending_checks: Countdown,
    /// Rooms runs: clients that have not yet heard of everyone joining their first room.
    unsettled_views: Countdown,
}

impl Worker {
    fn new(setup: WorkerSetup, servers: Vec<(ServerUrl, SocketAddr)>) -> Self {
        let slots = setup.clients.count;
        Self {
            open: RefCell::new(vec![false; usize::try_from(slots).unwrap_or(0)]),
            progress: Cell::new(Progress {
                worker: setup.worker,
                ..Progress::default()
            }),
            setup,
            servers,
            control: watch::Sender::new(Control::Idle),
            active: RefCell::new(None),
            stats: RefCell::new(PhaseStats::default()),
            outstanding: Countdown::default(),
            pending_ends: Countdown::default(),
            close_outcomes: RefCell::new(Tally::default()),
            scratch: ReadScratch::new(),
            opened_ever: Cell::new(0),
            checks: RefCell::new(MembershipChecks::default()),
            pending_checks: Countdown::default(),
            unsettled_views: Countdown::default(),
        }
    }

    fn bump(&self, change: impl FnOnce(&mut Progress)) {
        let mut progress = self.progress.get();
        change(&mut progress);
        self.progress.set(progress);
    }

    fn open_count(&self) -> u64 {
        self.progress.get().open
    }

    fn client_of_slot(&self, slot: usize) -> ClientIndex {
        ClientIndex(self.setup.clients.client(slot as u64))
    }

    /// The server `client` connects to: the servers taken round-robin by client number.
    fn server_of(&self, client: ClientIndex) -> (&ServerUrl, SocketAddr) {
        let index = usize::try_from(client.0 % self.servers.len() as u64).unwrap_or(0);
        let (url, addr) = &self.servers[index];
        (url, *addr)
    }

    fn is_healthy(&self, client: ClientIndex) -> bool {
        client.0 < self.setup.healthy_clients
    }
}

/// Reports running totals once a second until the process ends.
async fn report_progress(fleet: Rc<Worker>) {
    let started = Instant::now();
    let mut ticks = tokio::time::interval(PROGRESS_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let mut progress = fleet.progress.get();
        progress.at_millis = millis(started.elapsed());
        emit(&Event::Progress(progress));
        fleet.bump(|p| p.max_latency_us = 0);
    }
}
