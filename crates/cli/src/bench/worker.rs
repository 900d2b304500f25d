//! `mmo bench --worker`: one process holding a share of the bench's connections on a single
//! thread, obeying the parent's commands on stdin and reporting on stdout.
//!
//! Everything runs on one thread so the counters and histograms are plain cells, with no
//! locking on the per-message path; more CPU comes from more worker processes. What clients
//! do in rooms (joining, moving, checking their member lists) is in `rooms`.

mod rooms;

use std::cell::{Cell, RefCell};
use std::io::Write as _;
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::io::AsyncBufReadExt as _;
use tokio::sync::{Notify, Semaphore, watch};

use super::countdown::Countdown;
use tokio::time::Instant;

use self::rooms::{ClientRooms, Joined, UNKNOWN_SEQ};
use super::conn::{Batch, Conn, ConnError, ReadScratch};
use super::frame::{PacketView, view_packet};
use super::histogram::Latencies;
use super::membership::MembershipChecks;
use super::pacing::Schedule;
use super::payload::{SenderIndex, Stamp};
use super::procfs::Pid;
use super::room_layout::RoomLayout;
use super::wire::{
    ChurnPhase, CloseReport, Command, ConnectReport, Event, FanoutPhase, PhaseReport, Progress,
    RoomsReport, Tally, WorkerSetup,
};
use super::{micros, millis, unix_nanos};
use crate::ws::{self, ConnectOptions, ServerUrl};

/// Time allowed from starting a TCP connect to receiving the ID packet. A server that takes
/// longer is overloaded, and that is reported as a failure rather than waited out.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Most lines a sender writes per wake-up when it is behind schedule, so it reads its own
/// incoming lines in between instead of starving them.
const MAX_SEND_BATCH: u64 = 256;

/// Rooms runs: how long, once every client has joined, the worker waits for each to hear of
/// every arrival in its room. Those are a few milliseconds behind the last answer; a room left
/// short by a failed connection is never complete, and this bounds the wait for it.
const VIEW_SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

/// A failed churn cycle waits this long before the next, so a refusing server is not spun on.
const CHURN_FAILURE_PAUSE: Duration = Duration::from_millis(20);

/// How often progress is reported.
const PROGRESS_INTERVAL: Duration = Duration::from_secs(1);

/// Close code 1000, "normal closure": how the bench ends its connections.
const CLOSE_NORMAL: u16 = 1000;

/// "1008 too slow: …" for a close frame the server sent.
fn describe_close(close: Option<&(u16, String)>) -> String {
    ws::describe_close_parts(close.map(|(code, reason)| (*code, reason.as_str())))
}

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
    let url = ServerUrl::parse(&setup.url, setup.ca_file.as_deref())?;
    let addr = url.resolve().await?;
    let fleet = Rc::new(Fleet::new(setup, url, addr));

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

/// A fanout phase as the clients see it.
#[derive(Debug)]
struct ActivePhase {
    spec: FanoutPhase,
    schedule: Schedule,
    /// Rooms runs: when each mover changes room (movers in the role of senders).
    moves: Schedule,
    /// Rooms runs: lines said in each room in this phase.
    lines_per_room: Vec<u64>,
    /// `spec.start_unix_nanos` on this process's monotonic clock.
    start: Instant,
}

impl ActivePhase {
    /// Lines a reading client should receive in this phase: every sender's in its room but
    /// its own (without rooms, everyone is in one room). None are owed to a mover, whose
    /// rooms change under it.
    fn expected_by(&self, client: ClientIndex, layout: Option<&RoomLayout>) -> u64 {
        let own = client
            .sender_index(self.spec.senders)
            .map_or(0, |s| self.schedule.messages_for(s));
        let heard = match layout {
            None => self.schedule.total_messages(),
            Some(layout) if layout.mover_of(client.0).is_some() => return 0,
            Some(layout) => self
                .lines_per_room
                .get(layout.home_of(client.0))
                .copied()
                .unwrap_or(0),
        };
        heard.saturating_sub(own)
    }
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

/// What this worker has measured in the current phase.
#[derive(Debug, Default)]
struct PhaseStats {
    phase: Option<u32>,
    sent: Vec<u64>,
    received_from: Vec<u64>,
    latency: Latencies,
    gaps: u64,
    duplicates: u64,
    stale: u64,
    foreign: u64,
    max_send_lag_us: u64,
    closes: Tally,
    denies: Tally,
    /// Chat lines the server refused, per sender index (part of `denies`).
    refused: Vec<u64>,
    slow_outcomes: Tally,
    /// Rooms runs: what clients saw of rooms (its `join_latency` is filled from the next).
    rooms: RoomsReport,
    join_latency: Latencies,
}

/// The worker's shared state; single-threaded, hence cells.
struct Fleet {
    setup: WorkerSetup,
    url: ServerUrl,
    addr: SocketAddr,
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

impl Fleet {
    fn new(setup: WorkerSetup, url: ServerUrl, addr: SocketAddr) -> Self {
        let slots = setup.clients.count;
        Self {
            open: RefCell::new(vec![false; usize::try_from(slots).unwrap_or(0)]),
            progress: Cell::new(Progress {
                worker: setup.worker,
                ..Progress::default()
            }),
            setup,
            url,
            addr,
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

    fn is_healthy(&self, client: ClientIndex) -> bool {
        client.0 < self.setup.healthy_clients
    }

    fn options(&self, client: ClientIndex, reuse_addr: bool) -> ConnectOptions {
        let sources = &self.setup.sources;
        let source = (!sources.is_empty())
            .then(|| sources[usize::try_from(client.0 % sources.len() as u64).unwrap_or(0)]);
        ConnectOptions {
            source,
            recv_buffer_bytes: (!self.is_healthy(client))
                .then_some(self.setup.slow_recv_buffer_bytes),
            reuse_addr,
        }
    }

    /// Connects and waits for the ID: the connection counts as open only once the server has
    /// registered it. With `join`, then joins that room and waits for the answer too.
    async fn open_connection(
        &self,
        client: ClientIndex,
        reuse_addr: bool,
        join: Option<&str>,
    ) -> Result<(Conn, Duration, Option<Joined>), String> {
        let started = Instant::now();
        let seed = self.opened_ever.get();
        self.opened_ever.set(seed + 1);
        let attempt = async {
            let mut conn = Conn::open(
                &self.url,
                self.addr,
                &self.options(client, reuse_addr),
                seed,
            )
            .await
            .map_err(|e| e.label())?;
            // Stop at the ID: what follows it is for `run_client`.
            let id = |payload: &[u8]| matches!(view_packet(payload), Some(PacketView::Id(_)));
            conn.read_until(&self.scratch, "ID", |payload| id(payload).then_some(()))
                .await?;
            let took = started.elapsed();
            let joined = match join {
                Some(room) => Some(self.join_first_room(&mut conn, room).await?),
                None => None,
            };
            Ok((conn, took, joined))
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "no ID{} within {} s",
                if join.is_some() { " or room" } else { "" },
                CONNECT_TIMEOUT.as_secs()
            )),
        }
    }

    async fn connect_all(self: Rc<Self>) -> ConnectReport {
        let slots = self.open.borrow().len();
        let gate = Rc::new(Semaphore::new(
            usize::try_from(self.setup.connect_concurrency.max(1)).unwrap_or(1),
        ));
        let results = Rc::new(RefCell::new(ConnectResults::default()));
        let settled = Rc::new(Notify::new());
        for slot in 0..slots {
            let fleet = Rc::clone(&self);
            let gate = Rc::clone(&gate);
            let results = Rc::clone(&results);
            let settled = Rc::clone(&settled);
            tokio::task::spawn_local(async move {
                let client = fleet.client_of_slot(slot);
                // The semaphore is never closed.
                let Ok(permit) = gate.acquire().await else {
                    return;
                };
                let home = fleet.home_room(client);
                let outcome = fleet
                    .open_connection(client, false, home.map(|(_, name)| name))
                    .await
                    .and_then(|(conn, took, joined)| {
                        let rooms = match (home, joined) {
                            (Some((room, _)), Some(joined)) => {
                                Some((fleet.first_room(room, &joined)?, joined.took))
                            }
                            _ => None,
                        };
                        Ok((conn, took, rooms))
                    });
                drop(permit);
                let done = {
                    let mut results = results.borrow_mut();
                    results.settled += 1;
                    match &outcome {
                        Ok((_, took, rooms)) => {
                            results.latency.record_micros(micros(*took));
                            if let Some((_, join_took)) = rooms {
                                results.join_latency.record_micros(micros(*join_took));
                            }
                        }
                        Err(reason) => results.failures.add(reason, 1),
                    }
                    results.settled == slots
                };
                if done {
                    settled.notify_one();
                }
                match outcome {
                    Ok((conn, _, rooms)) => {
                        fleet.opened(slot);
                        fleet
                            .run_client(conn, slot, client, rooms.map(|(rooms, _)| rooms))
                            .await;
                    }
                    Err(_) => fleet.bump(|p| p.connect_failures += 1),
                }
            });
        }
        if slots > 0 {
            settled.notified().await;
        }
        let unsettled_views = if self.setup.rooms.is_some() {
            self.settle_views(VIEW_SETTLE_TIMEOUT).await
        } else {
            0
        };
        let results = results.borrow();
        ConnectReport {
            worker: self.setup.worker,
            attempted: slots as u64,
            connected: slots as u64 - results.failures.total(),
            failures: results.failures.clone(),
            latency: results.latency.to_wire(),
            join_latency: results.join_latency.to_wire(),
            unsettled_views,
        }
    }

    fn opened(&self, slot: usize) {
        if let Some(open) = self.open.borrow_mut().get_mut(slot) {
            *open = true;
        }
        self.bump(|p| p.open += 1);
    }

    fn closed(&self, slot: usize) {
        if let Some(open) = self.open.borrow_mut().get_mut(slot) {
            *open = false;
        }
        self.bump(|p| p.open = p.open.saturating_sub(1));
    }

    /// One client's life after its ID arrived (and, in a rooms run, its room's answer),
    /// until the connection ends.
    async fn run_client(
        &self,
        mut conn: Conn,
        slot: usize,
        client: ClientIndex,
        mut rooms: Option<ClientRooms>,
    ) {
        let healthy = self.is_healthy(client);
        // One future waits for control changes across all turns of the loop, instead of a new
        // one registering and unregistering itself on every wake-up for a read.
        let mut control_changed = Box::pin(next_control(self.control.subscribe()));
        let mut reading = healthy;
        let mut waking = false;
        // Whether the server sends this client its refusals (it has joined a room).
        let mut hears_refusals = rooms.is_some();
        let mut phase: Option<ClientPhase> = None;
        let send_timer = tokio::time::sleep_until(Instant::now());
        tokio::pin!(send_timer);
        let move_timer = tokio::time::sleep_until(Instant::now());
        tokio::pin!(move_timer);
        let mut text = String::new();
        let ending: End = loop {
            let sending = phase.as_ref().is_some_and(ClientPhase::has_more_to_send);
            // One move at a time: the next waits for the answer to the last.
            let moving = phase.as_ref().is_some_and(ClientPhase::has_more_moves)
                && rooms.as_ref().is_some_and(ClientRooms::can_move);
            tokio::select! {
                biased;
                (changed, mut control) = &mut control_changed => {
                    if changed.is_err() {
                        break End::Quiet;
                    }
                    let now_control = control.borrow_and_update().clone();
                    control_changed.set(next_control(control));
                    match now_control {
                        Control::Idle => phase = None,
                        Control::Fanout(active) => {
                            if healthy {
                                let adopted =
                                    ClientPhase::new(active, client, self.setup.rooms.as_ref());
                                if adopted.sender.is_some() && rooms.is_none() && !hears_refusals {
                                    // A part-3 client's refused lines are dropped unsaid: a
                                    // join (to the lobby it is in) shows the server this
                                    // sender understands refusals, so the bench can tell
                                    // refused lines from lost ones. It goes out with the
                                    // first line, ahead of it.
                                    conn.queue_join("");
                                    hears_refusals = true;
                                }
                                if let Some(due) = adopted.next_due() {
                                    send_timer.as_mut().reset(due);
                                }
                                if let Some(due) = adopted.next_move_due() {
                                    move_timer.as_mut().reset(due);
                                }
                                phase = Some(adopted);
                            }
                        }
                        Control::WakeSlow => {
                            if !healthy {
                                reading = true;
                                waking = true;
                            }
                        }
                        Control::CheckRooms => {
                            // Also the end of any phase whose `Idle` this client missed.
                            phase = None;
                            if let Err(error) = self.refresh(&mut conn, rooms.as_mut()).await {
                                break End::Error(ConnError::Io(error).to_string());
                            }
                        }
                        Control::Close => break self.close_gracefully(&mut conn).await,
                    }
                }
                () = &mut send_timer, if sending => {
                    if let Some(phase) = phase.as_mut() {
                        if let Err(error) = self.send_due(&mut conn, phase, &mut text).await {
                            break End::Error(ConnError::Io(error).to_string());
                        }
                        if let Some(due) = phase.next_due() {
                            send_timer.as_mut().reset(due);
                        }
                    }
                }
                () = &mut move_timer, if moving => {
                    if let (Some(phase), Some(rooms)) = (phase.as_mut(), rooms.as_mut()) {
                        if let Err(error) = self.make_move(&mut conn, phase, rooms).await {
                            break End::Error(ConnError::Io(error).to_string());
                        }
                        if let Some(due) = phase.next_move_due() {
                            move_timer.as_mut().reset(due);
                        }
                    }
                }
                batch = conn.read_frames(&self.scratch, {
                    // Every line of one read arrived at the same time.
                    let mut read_at = None;
                    let phase = &mut phase;
                    let rooms = &mut rooms;
                    move |payload| {
                        if healthy {
                            self.on_packet(payload, phase.as_mut(), rooms.as_mut(), &mut read_at);
                        }
                        ControlFlow::Continue(())
                    }
                }), if reading => {
                    match batch {
                        Ok(Batch::More | Batch::Stopped) => {}
                        Ok(Batch::Ended) => break End::Ended,
                        Ok(Batch::Closed(close)) => {
                            let description = format!("close {}", describe_close(close.as_ref()));
                            // Answer with the same code, as tungstenite would, then wait for
                            // the server to end the stream.
                            let code = close.map(|(code, _)| code);
                            conn.queue_close(code.map(|code| (code, "")));
                            break self.finish_close(&mut conn, description).await;
                        }
                        Err(error) => break End::Error(error.to_string()),
                    }
                }
            }
        };
        self.closed(slot);
        if let Some(rooms) = rooms.as_mut() {
            if rooms.awaiting_check {
                self.check_done();
            }
            self.view_settled(rooms);
        }
        if healthy {
            // Whatever this reader was still owed in the current phase will not come.
            if let Some(active) = self.active.borrow().as_ref() {
                let owed = match &phase {
                    Some(mine) if Arc::ptr_eq(&mine.active, active) => {
                        mine.expected.saturating_sub(mine.received)
                    }
                    _ => active.expected_by(client, self.setup.rooms.as_ref()),
                };
                self.outstanding.count_down(owed);
            }
        }
        let closing = matches!(*self.control.borrow(), Control::Close);
        if let Some(description) = ending.describe() {
            let mut stats = self.stats.borrow_mut();
            if waking {
                stats.slow_outcomes.add(&description, 1);
            } else if !closing {
                stats.closes.add(&description, 1);
            }
            drop(stats);
            if closing {
                self.close_outcomes.borrow_mut().add(&description, 1);
            }
        }
        if waking || closing {
            self.pending_ends.count_down(1);
        }
    }

    async fn close_gracefully(&self, conn: &mut Conn) -> End {
        conn.queue_close(Some((CLOSE_NORMAL, "bench done")));
        if let Err(error) = conn.flush().await {
            return End::Error(ConnError::Io(error).to_string());
        }
        self.finish_close(conn, "closed by bench".to_owned()).await
    }

    /// Sends the close frame queued, if not sent yet, and reads until the stream ends, so
    /// the close handshake completes.
    async fn finish_close(&self, conn: &mut Conn, description: String) -> End {
        let finished = match conn.flush().await {
            Ok(()) => conn.read_to_end(&self.scratch).await,
            Err(error) => Err(error),
        };
        match finished {
            Ok(()) => End::Described(description),
            Err(error) => End::Described(format!("{description}, then {}", ConnError::Io(error))),
        }
    }

    async fn send_due(
        &self,
        conn: &mut Conn,
        phase: &mut ClientPhase,
        text: &mut String,
    ) -> std::io::Result<()> {
        let now = Instant::now();
        let sent_unix_nanos = unix_nanos(SystemTime::now());
        let mut batch = 0;
        let mut worst_lag = Duration::ZERO;
        while batch < MAX_SEND_BATCH {
            let Some(due) = phase.next_due().filter(|&due| due <= now) else {
                break;
            };
            worst_lag = worst_lag.max(now - due);
            let spec = &phase.active.spec;
            let stamp = Stamp {
                phase: spec.phase,
                sender: phase.sender_or_zero(),
                seq: phase.next_seq,
                sent_unix_nanos,
            };
            stamp.write_padded(spec.payload_bytes, text);
            conn.queue_chat(text);
            phase.next_seq += 1;
            batch += 1;
        }
        // One write for the whole batch.
        conn.flush().await?;
        let mut stats = self.stats.borrow_mut();
        if stats.phase == Some(phase.active.spec.phase) {
            if let Some(count) = usize::try_from(phase.sender_or_zero().0)
                .ok()
                .and_then(|i| stats.sent.get_mut(i))
            {
                *count += batch;
            }
            stats.max_send_lag_us = stats.max_send_lag_us.max(micros(worst_lag));
        }
        drop(stats);
        self.bump(|p| p.sent += batch);
        Ok(())
    }

    /// Handles a packet from a read at `read_at` (Unix nanoseconds, taken at the first line).
    fn on_packet(
        &self,
        bytes: &[u8],
        phase: Option<&mut ClientPhase>,
        rooms: Option<&mut ClientRooms>,
        read_at: &mut Option<u64>,
    ) {
        match (view_packet(bytes), rooms) {
            (Some(PacketView::Chat(text)), rooms) => {
                self.on_chat(text, phase, rooms.as_deref(), read_at);
            }
            (Some(PacketView::Deny(reason)), Some(rooms)) => {
                self.on_deny(reason, phase.as_deref(), rooms);
            }
            (Some(PacketView::Deny(reason)), None) => self.line_refused(reason, phase.as_deref()),
            (Some(PacketView::Room(room)), Some(rooms)) => self.on_room(&room, phase, rooms),
            (Some(PacketView::Presence { who, joined, room }), Some(rooms)) => {
                self.on_presence(who, joined, room, rooms);
            }
            _ => {}
        }
    }

    /// A refusal of one of this client's chat lines: counted by reason, and against its
    /// sender so that the lines the server refused are not owed to anyone (not loss).
    fn line_refused(&self, reason: &str, phase: Option<&ClientPhase>) {
        let mut stats = self.stats.borrow_mut();
        stats.denies.add(reason, 1);
        let sender = phase
            .filter(|phase| stats.phase == Some(phase.active.spec.phase))
            .and_then(|phase| phase.sender);
        if let Some(count) = sender
            .and_then(|sender| usize::try_from(sender.0).ok())
            .and_then(|i| stats.refused.get_mut(i))
        {
            *count += 1;
        }
    }

    fn on_chat(
        &self,
        text: &str,
        phase: Option<&mut ClientPhase>,
        rooms: Option<&ClientRooms>,
        read_at: &mut Option<u64>,
    ) {
        let mut stats = self.stats.borrow_mut();
        let Some(stamp) = Stamp::parse(text) else {
            stats.foreign += 1;
            return;
        };
        if let (Some(layout), Some(rooms)) = (self.setup.rooms.as_ref(), rooms) {
            if Some(layout.room_of_sender(stamp.sender.0)) != rooms.membership.room() {
                stats.rooms.wrong_room += 1;
                return;
            }
        }
        let Some(phase) = phase.filter(|p| p.active.spec.phase == stamp.phase) else {
            stats.stale += 1;
            return;
        };
        if stats.phase != Some(stamp.phase) {
            stats.stale += 1;
            return;
        }
        let Some(next) = usize::try_from(stamp.sender.0)
            .ok()
            .and_then(|i| phase.next_expected.get_mut(i))
        else {
            stats.foreign += 1;
            return;
        };
        if *next == UNKNOWN_SEQ {
            // A mover's first line from this sender since it entered the room, with no
            // history line of it to say where the sequence stood.
            *next = stamp.seq;
        }
        if stamp.seq < *next {
            stats.duplicates += 1;
            return;
        }
        let skipped = stamp.seq - *next;
        *next = stamp.seq + 1;
        let now = *read_at.get_or_insert_with(|| unix_nanos(SystemTime::now()));
        let latency_nanos = now.saturating_sub(stamp.sent_unix_nanos);
        let latency_us = latency_nanos / 1_000;
        stats.latency.record_micros(latency_us);
        let owed = phase.mover.is_none();
        if owed {
            stats.gaps += skipped;
            if let Some(count) = usize::try_from(stamp.sender.0)
                .ok()
                .and_then(|i| stats.received_from.get_mut(i))
            {
                *count += 1;
            }
        } else {
            stats.rooms.mover_gaps += skipped;
            stats.rooms.mover_received += 1;
        }
        drop(stats);
        self.bump(|p| {
            p.received += 1;
            p.max_latency_us = p.max_latency_us.max(latency_us);
        });
        if owed {
            phase.received += 1;
            self.outstanding.count_down(1);
        }
    }

    async fn fanout(self: Rc<Self>, spec: FanoutPhase) -> PhaseReport {
        let schedule = Schedule::new(
            spec.rate,
            spec.senders,
            Duration::from_millis(spec.duration_millis),
        );
        let now_unix = unix_nanos(SystemTime::now());
        let now = Instant::now();
        let start = if spec.start_unix_nanos > now_unix {
            now + Duration::from_nanos(spec.start_unix_nanos - now_unix)
        } else {
            now
        };
        let layout = self.setup.rooms.as_ref();
        let movers = layout.map_or(0, |layout| u32::try_from(layout.movers).unwrap_or(u32::MAX));
        let moves = Schedule::new(
            spec.moves_per_second,
            movers,
            Duration::from_millis(spec.duration_millis),
        );
        let lines_per_room = layout.map_or_else(Vec::new, |layout| {
            layout.lines_per_room(|sender| schedule.messages_for(SenderIndex(sender)))
        });
        let active = Arc::new(ActivePhase {
            spec,
            schedule,
            moves,
            lines_per_room,
            start,
        });
        let senders = usize::try_from(spec.senders).unwrap_or(0);
        *self.stats.borrow_mut() = PhaseStats {
            phase: Some(spec.phase),
            sent: vec![0; senders],
            refused: vec![0; senders],
            received_from: vec![0; senders],
            ..PhaseStats::default()
        };
        let mut receivers_at_start = 0;
        let mut receivers_by_room = vec![0; layout.map_or(1, RoomLayout::rooms)];
        let mut movers_at_start = 0;
        let mut moves_scheduled = 0;
        let mut receiving_senders = Vec::new();
        let mut outstanding = 0;
        for (slot, &open) in self.open.borrow().iter().enumerate() {
            let client = self.client_of_slot(slot);
            if !open || !self.is_healthy(client) {
                continue;
            }
            let mover = layout.and_then(|layout| layout.mover_of(client.0));
            if let Some(mover) = mover {
                movers_at_start += 1;
                moves_scheduled += active.moves.messages_for(SenderIndex(mover));
                continue;
            }
            receivers_at_start += 1;
            let room = layout.map_or(0, |layout| layout.home_of(client.0));
            if let Some(count) = receivers_by_room.get_mut(room) {
                *count += 1;
            }
            outstanding += active.expected_by(client, layout);
            if let Some(sender) = client.sender_index(spec.senders) {
                receiving_senders.push(sender.0);
            }
        }
        let open_at_start = self.open_count();
        self.outstanding.set(outstanding);
        *self.active.borrow_mut() = Some(Arc::clone(&active));
        self.control
            .send_replace(Control::Fanout(Arc::clone(&active)));

        tokio::time::sleep_until(start + Duration::from_millis(spec.duration_millis)).await;
        let drain_deadline = Instant::now() + Duration::from_millis(spec.drain_timeout_millis);
        self.outstanding.wait(drain_deadline).await;

        *self.active.borrow_mut() = None;
        // A sender still behind schedule stops here rather than spill into the next phase.
        self.control.send_replace(Control::Idle);
        let mut stats = std::mem::take(&mut *self.stats.borrow_mut());
        stats.rooms.movers_at_start = movers_at_start;
        stats.rooms.moves_scheduled = moves_scheduled;
        stats.rooms.join_latency = stats.join_latency.to_wire();
        PhaseReport {
            worker: self.setup.worker,
            open_at_start,
            open_at_end: self.open_count(),
            receivers_at_start,
            receivers_by_room,
            receiving_senders,
            sent: stats
                .sent
                .iter()
                .enumerate()
                .filter(|&(_, &n)| n > 0)
                .filter_map(|(i, &n)| Some((u32::try_from(i).ok()?, n)))
                .collect(),
            refused: stats
                .refused
                .iter()
                .enumerate()
                .filter(|&(_, &n)| n > 0)
                .filter_map(|(i, &n)| Some((u32::try_from(i).ok()?, n)))
                .collect(),
            received_from: stats.received_from,
            latency: stats.latency.to_wire(),
            gaps: stats.gaps,
            duplicates: stats.duplicates,
            stale: stats.stale,
            foreign: stats.foreign,
            max_send_lag_us: stats.max_send_lag_us,
            closes: stats.closes,
            denies: stats.denies,
            rooms: stats.rooms,
            cpu_millis: cpu_millis(),
            ..PhaseReport::default()
        }
    }

    /// A report with what any phase has: open connections and how others ended.
    fn plain_report(&self, open_at_start: u64) -> PhaseReport {
        let mut stats = std::mem::take(&mut *self.stats.borrow_mut());
        stats.rooms.join_latency = stats.join_latency.to_wire();
        PhaseReport {
            worker: self.setup.worker,
            open_at_start,
            open_at_end: self.open_count(),
            closes: stats.closes,
            denies: stats.denies,
            slow_outcomes: stats.slow_outcomes,
            foreign: stats.foreign,
            stale: stats.stale,
            rooms: stats.rooms,
            cpu_millis: cpu_millis(),
            ..PhaseReport::default()
        }
    }

    async fn hold(&self, duration: Duration) -> PhaseReport {
        let open_at_start = self.open_count();
        *self.stats.borrow_mut() = PhaseStats::default();
        self.control.send_replace(Control::Idle);
        tokio::time::sleep(duration).await;
        self.plain_report(open_at_start)
    }

    async fn wake_slow(&self, timeout: Duration) -> PhaseReport {
        let open_at_start = self.open_count();
        *self.stats.borrow_mut() = PhaseStats::default();
        let slow_open = self
            .open
            .borrow()
            .iter()
            .enumerate()
            .filter(|&(slot, &open)| open && !self.is_healthy(self.client_of_slot(slot)))
            .count() as u64;
        self.pending_ends.set(slow_open);
        self.control.send_replace(Control::WakeSlow);
        self.pending_ends.wait(Instant::now() + timeout).await;
        let still_open = self.pending_ends.take();
        let mut report = self.plain_report(open_at_start);
        if still_open > 0 {
            report.slow_outcomes.add(
                &format!("still open after {} s", timeout.as_secs()),
                still_open,
            );
        }
        report
    }

    async fn close_all(&self, timeout: Duration) -> CloseReport {
        self.pending_ends.set(self.open_count());
        self.control.send_replace(Control::Close);
        let still_open = self.pending_ends.wait(Instant::now() + timeout).await;
        let mut outcomes = self.close_outcomes.borrow().clone();
        if still_open > 0 {
            outcomes.add("close handshake unfinished", still_open);
        }
        CloseReport {
            worker: self.setup.worker,
            outcomes,
            cpu_millis: cpu_millis(),
        }
    }

    async fn churn(self: Rc<Self>, churn: ChurnPhase) -> PhaseReport {
        let open_at_start = self.open_count();
        *self.stats.borrow_mut() = PhaseStats::default();
        let deadline = Instant::now() + Duration::from_millis(churn.duration_millis);
        let results = Rc::new(RefCell::new(ConnectResults::default()));
        let cycles = Rc::new(Cell::new(0_u64));
        let mut loops = tokio::task::JoinSet::new();
        for lane in 0..u64::from(churn.concurrency) {
            let fleet = Rc::clone(&self);
            let results = Rc::clone(&results);
            let cycles = Rc::clone(&cycles);
            loops.spawn_local(async move {
                // Each lane walks its own client indices so the source addresses rotate.
                let mut client = ClientIndex(
                    lane * u64::from(fleet.setup.workers) + u64::from(fleet.setup.worker),
                );
                while Instant::now() < deadline {
                    let join = churn.join_lobby.then_some("");
                    match fleet.open_connection(client, true, join).await {
                        Ok((mut ws, took, _)) => {
                            results.borrow_mut().latency.record_micros(micros(took));
                            let _ = fleet.close_gracefully(&mut ws).await;
                            cycles.set(cycles.get() + 1);
                            fleet.bump(|p| p.cycles += 1);
                        }
                        Err(reason) => {
                            results.borrow_mut().failures.add(&reason, 1);
                            fleet.bump(|p| p.connect_failures += 1);
                            tokio::time::sleep(CHURN_FAILURE_PAUSE).await;
                        }
                    }
                    client.0 += u64::from(churn.concurrency) * u64::from(fleet.setup.workers);
                }
            });
        }
        while loops.join_next().await.is_some() {}
        let mut report = self.plain_report(open_at_start);
        let results = results.borrow();
        report.cycles = cycles.get();
        report.connect_latency = results.latency.to_wire();
        report.connect_failures = results.failures.clone();
        report
    }
}

/// Tallies of connection attempts.
#[derive(Default)]
struct ConnectResults {
    settled: usize,
    latency: Latencies,
    join_latency: Latencies,
    failures: Tally,
}

/// How a client's connection ended.
enum End {
    /// The worker is shutting down; nothing to report.
    Quiet,
    /// The stream ended without a close frame.
    Ended,
    /// A transport or protocol error.
    Error(String),
    /// A close handshake, described.
    Described(String),
}

impl End {
    fn describe(self) -> Option<String> {
        match self {
            Self::Quiet => None,
            Self::Ended => Some("ended without a close frame".to_owned()),
            Self::Error(error) => Some(error),
            Self::Described(description) => Some(description),
        }
    }
}

/// One reading client's part in a fanout phase.
struct ClientPhase {
    active: Arc<ActivePhase>,
    /// Set when this client is one of the senders.
    sender: Option<SenderIndex>,
    next_seq: u64,
    to_send: u64,
    /// Set when this client moves between rooms.
    mover: Option<SenderIndex>,
    next_move: u64,
    moves_to_make: u64,
    /// Next sequence number expected from each sender (`UNKNOWN_SEQ`: any).
    next_expected: Vec<u64>,
    expected: u64,
    received: u64,
}

impl ClientPhase {
    fn new(active: Arc<ActivePhase>, client: ClientIndex, layout: Option<&RoomLayout>) -> Self {
        let sender = client.sender_index(active.spec.senders);
        let to_send = sender.map_or(0, |s| active.schedule.messages_for(s));
        let mover = layout
            .and_then(|layout| layout.mover_of(client.0))
            .map(SenderIndex);
        let moves_to_make = mover.map_or(0, |m| active.moves.messages_for(m));
        let senders = usize::try_from(active.spec.senders).unwrap_or(0);
        Self {
            expected: active.expected_by(client, layout),
            active,
            sender,
            next_seq: 0,
            to_send,
            mover,
            next_move: 0,
            moves_to_make,
            next_expected: vec![0; senders],
            received: 0,
        }
    }

    fn sender_or_zero(&self) -> SenderIndex {
        self.sender.unwrap_or(SenderIndex(0))
    }

    fn has_more_to_send(&self) -> bool {
        self.next_seq < self.to_send
    }

    fn next_due(&self) -> Option<Instant> {
        let sender = self.sender?;
        self.has_more_to_send()
            .then(|| self.active.start + self.active.schedule.due(sender, self.next_seq))
    }

    fn has_more_moves(&self) -> bool {
        self.next_move < self.moves_to_make
    }

    fn next_move_due(&self) -> Option<Instant> {
        let mover = self.mover?;
        self.has_more_moves()
            .then(|| self.active.start + self.active.moves.due(mover, self.next_move))
    }
}

/// Waits for the next control change, handing the receiver back to be read.
async fn next_control(
    mut control: watch::Receiver<Control>,
) -> (
    Result<(), watch::error::RecvError>,
    watch::Receiver<Control>,
) {
    let changed = control.changed().await;
    (changed, control)
}

/// Reports running totals once a second until the process ends.
async fn report_progress(fleet: Rc<Fleet>) {
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
