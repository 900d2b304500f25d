//! `NatsBroker`: the `RoomBroker` of a server joined to others through NATS (`nats`), so that
//! they act as one server. The second implementation of the rooms' seam (see `rooms`): the
//! rooms, their records and `Room::apply` are the same; what changes is who orders events.
//!
//! # How a room's events travel
//!
//! Every server publishes its rooms' events, once each, to one JetStream stream (`STREAM`),
//! on subjects per room (`wire`): a room's lines on its `chat` subject, what happens to a
//! member on that member's subject. The stream's order is the room's order: every server
//! following the room reads its subjects through an ordered consumer and applies each event,
//! in that order, through `Room::apply` (as `Room::commit_now`), so every member of the room
//! on every server sees the same events in the same order, and one server's events keep the
//! order it published them in (its one connection, and one publishing task, keep it).
//!
//! A server follows a room only while it has members connected here: from just before its
//! first local member's `Joined` to just after its last one's `Left`. Following starts with
//! the room's retained events, oldest first — the last `history_lines` lines of its chat
//! subject (the history) and the last events of each member's subject (who is in it, by which
//! name) — so the record a joiner's `RoomMessage` is made from is the room's, whichever
//! server its members are on.
//!
//! `publish` checks what it can against the room as this server last applied it (a shut or
//! removed room, a full one), then publishes. A change about a member connected here (a join,
//! a leave) waits until it has come back and been applied, as `InProcessBroker`'s returns
//! once applied: the joiner is then a local member and has its `RoomMessage`. A broker that
//! does not hand it back within `APPLY_TIMEOUT` (stalled, its connection up) has it applied
//! here alone. The session waits on its thread, with that thread's other sessions handed to
//! another one meanwhile (`wait_for_broker`). A line does not wait. Such a change carries a number its server gave it (`Pending::number`), because the
//! member's subject may still hold its earlier joins and leaves of the room, which a server
//! following the room afresh reads first. In a move the leave is back before the join is
//! published: each room has its own consumer, in no order between rooms. So a room's member limit is checked against what this server has applied, which lags
//! the stream by the broker's round trip: joins on different servers within that moment can
//! pass the limit together (see docs/operations.md).
//!
//! IDs come from `ids`: blocks reserved by compare-and-set on one counter in the broker.
//!
//! # Servers coming and going
//!
//! Each server says it is alive on `mmo.server.<id>.alive` every third of `cluster_timeout`,
//! and says `mmo.server.<id>.gone` once when it stops. Every `Joined` names its member's
//! server, so each server knows whose members are in the rooms it follows. A server that said
//! it is gone, or went unheard for `cluster_timeout`, is gone for good (a server that starts
//! again has a new ID): the others take its members out of the rooms they follow, announced
//! as left to their own clients, and skip its members' joins when they read a room's events
//! again. So a graceful stop costs one message however many clients it had, and a crash is
//! announced within `cluster_timeout` plus a third of it.
//!
//! While the broker is away each server's rooms are its own; the leaves made meanwhile are
//! published when it is back (`outage`), so the other servers announce them too.
//!
//! A login claims its account across the cluster (`logins`), so that an account logged in
//! on two servers is treated as on one: the older connection is closed.
//!
//! Each "alive" also says how many clients its server has and where it listens (`servers`),
//! for every server's `/api/status` and metrics, and which rooms it has members in: the room
//! lists count those, and `max_rooms` counts them with this server's own rooms (so it lags the
//! other servers by up to an "alive" period).

mod ids;
mod lines;
mod logins;
mod outage;
mod servers;
mod setup;
mod wire;
mod worlds;

use std::collections::{HashMap, HashSet};
use std::io;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc as sync_channel};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;
use futures_util::StreamExt as _;
use mmo_protocol::{ChatLine, ClientId};
use tokio::runtime::{Handle, Runtime};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tracing::{info, warn};

use crate::config::Config;
use crate::peer::Peer;
use crate::rooms::{EnterError, Publication, Room, RoomBroker, RoomChange};

/// The JetStream stream every room's events are kept in.
pub const STREAM: &str = "MMO_ROOMS";

/// Events waiting for the publishing task: at 150 lines a second this is minutes of chat, so
/// only a broker that stopped taking them fills it; past it a line is dropped (and counted)
/// rather than memory growing.
const OUTGOING_QUEUE: usize = 16_384;

/// Longest a join or leave of a member here waits for its event to come back through the
/// broker before it is applied here alone (the broker is away or stalled).
const APPLY_TIMEOUT: Duration = Duration::from_secs(2);

/// How long after a member's leave its subject is purged (its events dropped from the
/// stream): long enough that a server which started replaying the room just before has read
/// the leave, not only the join before it.
const PURGE_AFTER_LEAVE: Duration = Duration::from_secs(30);

/// Events the stream keeps per subject beyond a room's history: how far a server's consumer
/// of a room may fall behind its chat before lines it has not read yet are dropped from the
/// stream under it. The stream's per-subject limit is the only thing that drops a room's
/// lines, and a consumer on a busy server lags by hundreds of lines in a burst (90 lines said
/// at once by three servers were read 8 short with no margin at all). A room record keeps only
/// `room_history_lines` of them as history, so a bigger margin costs the broker's disk
/// (about 150 bytes a line) and a server replaying a room at most this many more events.
/// A server that falls further behind notices the lines it lost, and loads the room again
/// (`lines`).
const CONSUMER_LAG_EVENTS: usize = 2_000;

/// Loading a room again after lines were lost (`lines`) reads every event the stream keeps of
/// it: on a server too slow to keep up with the room, that is more work, so it is done at most
/// this often per room (the lines lost in between are counted, and reloaded with the next).
const RELOAD_AT_MOST_EVERY: Duration = Duration::from_secs(10);

/// Where servers say they are alive (`.alive`) or gone (`.gone`): `mmo.server.<id>.<what>`.
const SERVER_SUBJECTS: &str = "mmo.server";

/// How long start-up waits for a connection to the broker; making what the server needs
/// there then has `setup::STARTUP_TIMEOUT`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The broker of a server in a cluster; see the module doc.
#[derive(Debug)]
pub struct NatsBroker {
    shared: Arc<Shared>,
    /// The runtime the NATS client, the publishing task and the rooms' consumers run on: their
    /// own, so a session waiting for its join to come back never waits on itself.
    _runtime: OwnRuntime,
}

/// A runtime that may be dropped from another runtime's task: its tasks are told to stop,
/// not waited for (a plain `Runtime` would panic there).
#[derive(Debug)]
struct OwnRuntime(Option<Runtime>);

impl Drop for OwnRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

#[derive(Debug)]
struct Shared {
    /// This server's ID in the cluster (one of the client IDs, so unique too).
    server: u64,
    jetstream: jetstream::Context,
    stream: stream::Stream,
    id_store: async_nats::jetstream::kv::Store,
    /// The rest of the block of IDs reserved last.
    ids: Mutex<Range<u64>>,
    outgoing: mpsc::Sender<Outgoing>,
    followed: Mutex<HashMap<Box<str>, Following>>,
    generations: AtomicU64,
    /// Numbers the joins and leaves of members here that are awaited (`Pending::number`).
    awaited: AtomicU64,
    handle: Handle,
    /// Lines dropped because the publishing queue was full.
    dropped: AtomicU64,
    /// The other servers: when each was last heard, and which are gone.
    servers: Mutex<Servers>,
    cluster_timeout: Duration,
    /// What this server's next heartbeat says of it (see `servers`).
    local: Mutex<wire::ServerReport>,
    /// The server's counters, once it has handed them over.
    counters: std::sync::OnceLock<crate::rooms::BrokerCounters>,
    /// Leaves made while the broker was away, to publish when it is back (see `outage`).
    kept_leaves: Mutex<std::collections::VecDeque<Outgoing>>,
    /// The accounts logged in here, with their claims in the cluster (see `logins`).
    logins: logins::Logins,
    logins_store: async_nats::jetstream::kv::Store,
}

/// What this server knows of the others.
#[derive(Debug, Default)]
struct Servers {
    /// Each server's members by room, as it last said (its rooms with members there).
    rooms: HashMap<u64, Vec<(Box<str>, u32)>>,
    /// When each server not gone was last heard (or first named by a join).
    last_heard: HashMap<u64, Instant>,
    /// Servers that stopped or died: their members' joins are skipped.
    gone: HashSet<u64>,
    /// What each server not gone said of itself with its last heartbeat (see `servers`).
    reports: HashMap<u64, wire::ServerReport>,
}

/// An event on its way to the broker.
#[derive(Debug)]
struct Outgoing {
    subject: String,
    payload: Bytes,
    /// A leave: the member's subject is purged once it is stored (`PURGE_AFTER_LEAVE`).
    purge_after: bool,
}

/// A room this server follows.
#[derive(Debug)]
struct Following {
    room: Arc<Room>,
    /// Which following this is: events read by an earlier one are not applied.
    generation: u64,
    task: AbortHandle,
    /// Joins and leaves of members connected here, published and not yet back.
    pending: HashMap<ClientId, Pending>,
    /// The server each member of the room is connected to.
    member_servers: HashMap<ClientId, u64>,
    /// A member here was let in here alone (its join did not come back in time): it is a
    /// member from then on, so nothing read after is the past to it. A consumer made (or made
    /// again) after that counts lines published since among its `num_pending`, which would
    /// otherwise be kept from the members here.
    joined_alone: bool,
    /// Lines this server published in the room in this following (`wire::LineNumber`).
    lines_sent: u64,
}

/// Whether an event read is of the room's past, news to nobody here (but the member it is
/// about, if it is an awaited change of a member here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Past {
    /// News.
    No,
    /// Among the events counted as the room's past when its consumer was made: news only to
    /// members here let in alone since (`Following::joined_alone`).
    Counted,
    /// Read again after lines were lost (`lines`): the members here had it already.
    Reloaded,
}

/// A change of a member here, published and awaited: its room, the member, the change,
/// whether the member is sent the room's `RoomMessage`, and where its application is told.
type Awaited<'a> = (
    &'a Arc<Room>,
    &'a Arc<Peer>,
    RoomChange,
    bool,
    sync_channel::Receiver<u64>,
);

#[derive(Debug)]
struct Pending {
    peer: Arc<Peer>,
    /// The number its event carries (`wire::Decoded::awaited`): the member's earlier joins
    /// and leaves of the room, read first by a following made afresh, are not this one.
    number: u64,
    joining: bool,
    answer: bool,
    applied: sync_channel::SyncSender<u64>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section is a map operation.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn broker_error(what: &str, error: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("nats: {what}: {error}"))
}

/// Runs `wait`, which blocks its thread until the broker answers (a round trip, or up to
/// `APPLY_TIMEOUT` when the broker stalls), without holding up the other sessions of the
/// thread: on a worker of the server's multi-threaded runtime, the worker's other tasks are
/// handed to another thread for the while (`block_in_place`). With two workers, two joins
/// waiting on a stalled broker otherwise stopped every session for two seconds. Elsewhere
/// (the acceptor's single-threaded runtime, a plain thread) it just runs.
pub(super) fn wait_for_broker<T>(wait: impl FnOnce() -> T) -> T {
    let flavor = tokio::runtime::Handle::try_current().map(|runtime| runtime.runtime_flavor());
    if matches!(flavor, Ok(tokio::runtime::RuntimeFlavor::MultiThread)) {
        tokio::task::block_in_place(wait)
    } else {
        wait()
    }
}

impl NatsBroker {
    /// Connects to the broker at `config.nats`, making the stream and the ID counter if they
    /// do not exist. Fails when the broker cannot be reached or has no JetStream.
    pub async fn connect(config: &Config) -> io::Result<Self> {
        let url = config.nats.clone().unwrap_or_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("mmo-nats")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let runtime = OwnRuntime(Some(runtime));
        let history_lines = config.room_history_lines;
        let cluster_timeout = config.cluster_timeout;
        let started = handle.spawn({
            let handle = handle.clone();
            async move { Shared::start(&url, history_lines, cluster_timeout, handle).await }
        });
        // Each step has its own deadline; this one is for a step that never returns.
        let whole_start = CONNECT_TIMEOUT + setup::STARTUP_TIMEOUT;
        let shared = match tokio::time::timeout(whole_start, started).await {
            Ok(Ok(started)) => started?,
            Ok(Err(error)) => return Err(io::Error::other(error)),
            Err(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("nats: start-up not done within {whole_start:?}"),
                ));
            }
        };
        info!(
            "Joined the cluster as server {} through NATS {}",
            shared.server,
            config.nats.as_deref().unwrap_or_default()
        );
        Ok(Self {
            shared,
            _runtime: runtime,
        })
    }
}

impl NatsBroker {
    /// Plays `worlds` across the cluster: one world per room, on one server (`worlds`).
    pub async fn play_worlds(&self, worlds: &crate::world::Worlds) -> io::Result<()> {
        let shared = Arc::clone(&self.shared);
        let worlds = worlds.shared();
        self.shared
            .handle
            .spawn(async move {
                worlds::ClusterWorlds::start(shared, &worlds)
                    .await
                    .map(drop)
            })
            .await
            .map_err(io::Error::other)?
    }
}

impl NatsBroker {
    /// `reserve_ids`, blocking this thread while a new block is asked of the broker.
    fn reserve_ids_now(&self, count: u64) -> Option<Range<u64>> {
        let shared = &self.shared;
        let mut ids = lock(&shared.ids);
        if ids.end - ids.start < count {
            // Another block: one round trip to the broker, once per `ids::BLOCK` clients.
            let store = shared.id_store.clone();
            let (reserved, answer) = sync_channel::sync_channel(1);
            shared.handle.spawn(async move {
                let _ = reserved.send(ids::reserve(&store, count.max(ids::BLOCK)).await);
            });
            match answer.recv_timeout(APPLY_TIMEOUT) {
                Ok(Ok(block)) => *ids = block,
                Ok(Err(error)) => {
                    warn!("No client ID for a new client: {error}");
                    return None;
                }
                Err(_) => {
                    warn!("No client ID for a new client: the broker did not answer");
                    return None;
                }
            }
        }
        let first = ids.start;
        ids.start += count;
        Some(first..first + count)
    }
}

impl Shared {
    async fn start(
        url: &str,
        history_lines: usize,
        cluster_timeout: Duration,
        handle: Handle,
    ) -> io::Result<Arc<Self>> {
        let client = async_nats::ConnectOptions::new()
            .name("mmo-server")
            .event_callback(|event| async move {
                match event {
                    async_nats::Event::Disconnected => {
                        warn!("Lost the broker: each server's rooms are its own until it is back")
                    }
                    async_nats::Event::Connected => info!("Connected to the broker"),
                    _ => {}
                }
            })
            .connection_timeout(CONNECT_TIMEOUT)
            .connect(url)
            .await
            .map_err(|error| broker_error(&format!("cannot connect to {url}"), error))?;
        let jetstream = jetstream::new(client);
        let deadline = tokio::time::Instant::now() + setup::STARTUP_TIMEOUT;
        let stream_config = stream::Config {
            name: STREAM.to_owned(),
            description: Some("every mmo-server room's events".to_owned()),
            subjects: vec![format!("{}.>", wire::ROOM_SUBJECTS)],
            // Each member's last events and each room's last lines, with room for a
            // consumer that lags (`CONSUMER_LAG_EVENTS`).
            max_messages_per_subject: i64::try_from(history_lines + CONSUMER_LAG_EVENTS)
                .unwrap_or(i64::MAX),
            storage: stream::StorageType::File,
            discard: stream::DiscardPolicy::Old,
            ..Default::default()
        };
        let stream = setup::retried(
            "cannot make the room stream (is JetStream on?)",
            deadline,
            || jetstream.get_or_create_stream(stream_config.clone()),
        )
        .await?;
        let id_store = ids::COUNTER.open(&jetstream, deadline).await?;
        let mut first = setup::retried("cannot reserve client IDs", deadline, || {
            ids::reserve(&id_store, ids::BLOCK)
        })
        .await?;
        let server = first.next().unwrap_or_default();
        let logins_store = logins::CLAIMS.open(&jetstream, deadline).await?;
        let (outgoing, queue) = mpsc::channel(OUTGOING_QUEUE);
        let shared = Arc::new(Self {
            server,
            jetstream,
            stream,
            id_store,
            ids: Mutex::new(first),
            outgoing,
            followed: Mutex::new(HashMap::new()),
            generations: AtomicU64::new(0),
            awaited: AtomicU64::new(0),
            handle,
            dropped: AtomicU64::new(0),
            servers: Mutex::new(Servers::default()),
            cluster_timeout,
            local: Mutex::new(wire::ServerReport::default()),
            counters: std::sync::OnceLock::new(),
            kept_leaves: Mutex::new(std::collections::VecDeque::new()),
            logins: logins::Logins::default(),
            logins_store,
        });
        let heard = shared
            .jetstream
            .client()
            .subscribe(format!("{SERVER_SUBJECTS}.*.*"))
            .await
            .map_err(|error| broker_error("cannot listen for the other servers", error))?;
        let claims = logins::listen(&shared.jetstream.client())
            .await
            .map_err(|error| broker_error("cannot listen for login claims", error))?;
        tokio::spawn(logins::follow_claims(Arc::clone(&shared), claims));
        tokio::spawn(publish_in_order(Arc::clone(&shared), queue));
        tokio::spawn(listen_to_servers(Arc::clone(&shared), heard));
        tokio::spawn(keep_in_touch(Arc::clone(&shared)));
        Ok(shared)
    }

    /// Whether the broker is connected now. While it is not, changes are applied here alone
    /// (logged once per outage by the connection's event callback).
    fn connected(&self) -> bool {
        self.jetstream.client().connection_state() == async_nats::connection::State::Connected
    }

    /// Sends `change` of `room` (awaited as `awaited`) to the publishing task; `false` when
    /// its queue is full.
    fn send(&self, room: &str, change: &RoomChange, awaited: Option<u64>) -> bool {
        let subject = wire::subject_of(room, change);
        if matches!(change, RoomChange::Chat(_)) {
            // Numbered and queued under one lock, so that numbers reach the stream in order.
            let mut followed = lock(&self.followed);
            let following = followed.get_mut(room);
            let line = following.as_ref().map(|following| wire::LineNumber {
                server: self.server,
                following: following.generation,
                number: following.lines_sent + 1,
            });
            let outgoing = Outgoing {
                subject,
                payload: Bytes::from(wire::encode(change, self.server, None, line)),
                purge_after: false,
            };
            let sent = self.outgoing.try_send(outgoing).is_ok();
            if let Some(following) = following.filter(|_| sent) {
                following.lines_sent += 1;
            }
            return sent;
        }
        let outgoing = Outgoing {
            subject,
            payload: Bytes::from(wire::encode(change, self.server, awaited, None)),
            purge_after: matches!(change, RoomChange::Left { .. }),
        };
        self.outgoing.try_send(outgoing).is_ok()
    }

    /// Applies an event of `room` that arrived for the `generation`th following of it; one
    /// read while catching up with the room's past (`past`) is news to nobody here, except
    /// to the member here it is about. Returns whether it was about a member here: from then
    /// on that member hears everything, so nothing after it is the past.
    fn arrived(&self, room: &Arc<Room>, generation: u64, event: wire::Decoded, past: Past) -> bool {
        let wire::Decoded {
            change,
            server,
            awaited,
            ..
        } = event;
        if let Some(server) = server.filter(|server| *server != self.server) {
            let mut servers = lock(&self.servers);
            if servers.gone.contains(&server) {
                // A member of a server that is gone: it left with its server.
                return false;
            }
            servers
                .last_heard
                .entry(server)
                .or_insert_with(Instant::now);
        }
        let (pending, past) = {
            let mut followed = lock(&self.followed);
            let Some(following) = followed
                .get_mut(room.name())
                .filter(|following| following.generation == generation)
            else {
                tracing::debug!(
                    "An event of room {:?} read by an earlier following of it; skipped",
                    room.name()
                );
                return false;
            };
            let joining = match &change {
                RoomChange::Joined { member, .. } => {
                    let server = server.unwrap_or(self.server);
                    following.member_servers.insert(*member, server);
                    Some(true)
                }
                RoomChange::Left { member, .. } => {
                    following.member_servers.remove(member);
                    Some(false)
                }
                _ => None,
            };
            let pending = match (joining, following.pending.get(&change.member())) {
                (Some(joining), Some(pending))
                    if pending.joining == joining && awaited == Some(pending.number) =>
                {
                    following.pending.remove(&change.member())
                }
                _ => None,
            };
            let past = match past {
                Past::No => false,
                Past::Counted => !following.joined_alone,
                Past::Reloaded => true,
            };
            (pending, past)
        };
        // A leave of no member here is news to nobody: it left while the broker was away
        // and its server publishes its leave once the broker is back (`outage`), after this
        // server's members may have been told already.
        let stale_leave = matches!(&change, RoomChange::Left { member, .. }
            if room.lock().record.name_of(*member).is_none());
        if (past || stale_leave) && pending.is_none() {
            room.commit_unannounced(change);
            return false;
        }
        let chat = matches!(change, RoomChange::Chat(_));
        let delivered = room.commit_now(
            change,
            pending.as_ref().map(|pending| &pending.peer),
            pending.as_ref().is_some_and(|pending| pending.answer),
        );
        let Some(pending) = pending else {
            // A line: its publisher's handler did not wait for it, so it is counted here.
            if let Some(counters) = self.counters.get().filter(|_| chat) {
                counters.deliveries.inc_by(delivered);
            }
            return false;
        };
        let _ = pending.applied.try_send(delivered);
        true
    }

    /// Takes `server` for gone: its members leave every room followed here, announced to the
    /// members here with `notice`.
    fn server_gone(&self, server: u64, notice: &'static str) {
        {
            let mut servers = lock(&self.servers);
            servers.last_heard.remove(&server);
            servers.rooms.remove(&server);
            servers.reports.remove(&server);
            if server == self.server || !servers.gone.insert(server) {
                return;
            }
        }
        let leaving: Vec<(Arc<Room>, Vec<ClientId>)> = {
            let mut followed = lock(&self.followed);
            followed
                .values_mut()
                .map(|following| {
                    let members: Vec<ClientId> = following
                        .member_servers
                        .iter()
                        .filter(|(_, on)| **on == server)
                        .map(|(member, _)| *member)
                        .collect();
                    for member in &members {
                        following.member_servers.remove(member);
                    }
                    (Arc::clone(&following.room), members)
                })
                .filter(|(_, members)| !members.is_empty())
                .collect()
        };
        let count: usize = leaving.iter().map(|(_, members)| members.len()).sum();
        info!("Server {server} is gone ({notice}); its {count} members here leave their rooms");
        for (room, members) in leaving {
            for member in members {
                let name = room.lock().record.name_of(member).map(Arc::<str>::from);
                let Some(name) = name else { continue };
                room.commit_now(
                    RoomChange::Left {
                        member,
                        name,
                        announce: crate::rooms::Announce::Presence {
                            notice: Some(notice),
                        },
                    },
                    None,
                    false,
                );
            }
        }
    }

    /// Registers a join or leave of `peer` in `room` as published and awaited.
    fn expect(
        &self,
        room: &Arc<Room>,
        peer: &Arc<Peer>,
        joining: bool,
        answer: bool,
    ) -> Option<(sync_channel::Receiver<u64>, u64)> {
        let mut followed = lock(&self.followed);
        let following = followed.get_mut(room.name())?;
        let (applied, receiver) = sync_channel::sync_channel(1);
        let number = self.awaited.fetch_add(1, Ordering::Relaxed) + 1;
        following.pending.insert(
            peer.id,
            Pending {
                peer: Arc::clone(peer),
                number,
                joining,
                answer,
                applied,
            },
        );
        Some((receiver, number))
    }

    /// Waits for each of `awaited` (changes of members here, published) to come back and be
    /// applied, or applies it here alone after `APPLY_TIMEOUT`. Returns how many frames they
    /// queued for members here.
    fn await_applied(&self, awaited: Vec<Awaited<'_>>) -> u64 {
        if awaited.is_empty() {
            return 0;
        }
        wait_for_broker(|| self.await_applied_now(awaited))
    }

    /// `await_applied`, blocking this thread meanwhile.
    fn await_applied_now(&self, awaited: Vec<Awaited<'_>>) -> u64 {
        let mut delivered = 0;
        for (room, peer, change, answer, applied) in awaited {
            delivered += match applied.recv_timeout(APPLY_TIMEOUT) {
                Ok(delivered) => delivered,
                Err(_) if self.give_up(room, peer.id) => {
                    warn!(
                        "Room {:?}: a change of client {} did not come back from the broker \
                         within {APPLY_TIMEOUT:?}; applied here alone",
                        room.name(),
                        peer.id
                    );
                    room.commit_now(change, Some(peer), answer)
                }
                // Taken by the consumer just now: it is being applied.
                Err(_) => applied.recv().unwrap_or(0),
            };
        }
        delivered
    }

    /// Takes back an awaited change that has not come back; `true` if it had not (the caller
    /// then applies it here alone).
    fn give_up(&self, room: &Room, member: ClientId) -> bool {
        let mut followed = lock(&self.followed);
        let Some(following) = followed.get_mut(room.name()) else {
            return false;
        };
        let Some(pending) = following.pending.remove(&member) else {
            return false;
        };
        following.joined_alone |= pending.joining;
        true
    }
}

/// Publishes events in the order they were queued, through the one connection: the stream
/// stores one publisher's messages in the order they were sent.
async fn publish_in_order(shared: Arc<Shared>, mut queue: mpsc::Receiver<Outgoing>) {
    let mut failing = false;
    while let Some(outgoing) = queue.recv().await {
        let Outgoing {
            subject,
            payload,
            purge_after,
        } = outgoing;
        match shared.jetstream.publish(subject.clone(), payload).await {
            Ok(ack) => {
                if failing {
                    info!("Publishing room events to the broker again");
                    failing = false;
                }
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    let Ok(ack) = ack.await else { return };
                    if purge_after {
                        tokio::time::sleep(PURGE_AFTER_LEAVE).await;
                        let _ = shared
                            .stream
                            .purge()
                            .filter(subject)
                            .sequence(ack.sequence + 1)
                            .await;
                    }
                });
            }
            Err(error) => {
                if !failing {
                    warn!("Cannot publish room events to the broker: {error}");
                    failing = true;
                }
            }
        }
    }
}

/// Hears the other servers say they are alive or gone.
async fn listen_to_servers(shared: Arc<Shared>, mut heard: async_nats::Subscriber) {
    while let Some(message) = heard.next().await {
        let mut parts = message.subject.split('.').skip(2);
        let (Some(Ok(server)), Some(what)) = (parts.next().map(str::parse::<u64>), parts.next())
        else {
            continue;
        };
        if server == shared.server {
            continue;
        }
        match what {
            "alive" => {
                let rooms: Vec<(Box<str>, u32)> =
                    serde_json::from_slice(&message.payload).unwrap_or_default();
                let mut servers = lock(&shared.servers);
                if !servers.gone.contains(&server) {
                    servers.last_heard.insert(server, Instant::now());
                    servers.rooms.insert(server, rooms);
                    Shared::heard_report(&mut servers, server, message.headers.as_ref());
                }
            }
            "gone" => shared.server_gone(server, "server shutting down"),
            _ => {}
        }
    }
}

/// Says this server is alive every third of `cluster_timeout`, and takes servers unheard for
/// `cluster_timeout` for dead.
async fn keep_in_touch(shared: Arc<Shared>) {
    let subject = format!("{SERVER_SUBJECTS}.{}.alive", shared.server);
    let mut ticks = tokio::time::interval(shared.cluster_timeout / 3);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if !shared.connected() {
            // Unheard while the broker is away is not dead: start the count again.
            let now = Instant::now();
            for heard in lock(&shared.servers).last_heard.values_mut() {
                *heard = now;
            }
            continue;
        }
        shared.publish_kept();
        // With it, this server's members by room, for the others' room lists.
        let rooms: Vec<(Box<str>, u32)> = {
            let followed: Vec<Arc<Room>> = lock(&shared.followed)
                .values()
                .map(|following| Arc::clone(&following.room))
                .collect();
            followed
                .iter()
                .map(|room| {
                    let here = u32::try_from(room.local_member_count()).unwrap_or(u32::MAX);
                    (Box::from(room.name()), here)
                })
                .filter(|(_, here)| *here > 0)
                .collect()
        };
        let said = serde_json::to_vec(&rooms).unwrap_or_default();
        let _ = shared
            .jetstream
            .client()
            .publish_with_headers(subject.clone(), shared.heartbeat_headers(), said.into())
            .await;
        let dead: Vec<u64> = lock(&shared.servers)
            .last_heard
            .iter()
            .filter(|(_, heard)| heard.elapsed() > shared.cluster_timeout)
            .map(|(server, _)| *server)
            .collect();
        for server in dead {
            shared.server_gone(server, "connection lost");
        }
    }
}

/// Reads `room`'s events from the stream, oldest retained first, and applies them, until
/// the following is aborted. A consumer that fails is made again from the event after the
/// last one applied, so nothing is applied twice. Lines dropped from the stream before they
/// were read (`lines`) have the room loaded again from the stream's start, at most once per
/// `RELOAD_AT_MOST_EVERY`: what was applied already is news to nobody then.
async fn follow_room(shared: Arc<Shared>, room: Arc<Room>, generation: u64) {
    let mut next_sequence: Option<u64> = None;
    // Events of the room's past still to read: members here (there are some only when they
    // entered while the broker was away) are not sent them. Counted when the consumer is
    // made, so it may count lines published after a member here was let in alone: those
    // are not past to it (`Following::joined_alone`).
    let mut past: u64 = 0;
    let mut lines_read = lines::LinesRead::default();
    // Lines found lost and not yet reported, and when the room was last loaded again.
    let mut lost: u64 = 0;
    let mut reloaded: Option<Instant> = None;
    // While loading the room again: the last event applied before, as the stream numbers it.
    let mut reloading_until: Option<u64> = None;
    loop {
        let deliver_policy = match next_sequence {
            None => consumer::DeliverPolicy::All,
            Some(start_sequence) => consumer::DeliverPolicy::ByStartSequence { start_sequence },
        };
        let made = shared
            .stream
            .create_consumer(consumer::push::OrderedConfig {
                deliver_subject: shared.jetstream.client().new_inbox(),
                filter_subject: wire::room_filter(room.name()),
                deliver_policy,
                ..Default::default()
            })
            .await;
        if let (Ok(consumer), None, None) = (&made, next_sequence, reloading_until) {
            past = consumer.cached_info().num_pending;
        }
        let mut messages = match made {
            Ok(consumer) => match consumer.messages().await {
                Ok(messages) => messages,
                Err(error) => {
                    warn!("Cannot follow room {:?}: {error}", room.name());
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
            Err(error) => {
                warn!("Cannot follow room {:?}: {error}", room.name());
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        while let Some(message) = messages.next().await {
            let message = match message {
                Ok(message) => message,
                Err(error) => {
                    warn!("Following room {:?} stopped: {error}", room.name());
                    break;
                }
            };
            let sequence = message.info().ok().map(|info| info.stream_sequence);
            if let Some(sequence) = sequence {
                next_sequence = Some(sequence + 1);
            }
            let Some(event) = wire::decode(&message.payload) else {
                warn!(
                    "A room event from the broker for {:?} could not be read; skipped",
                    room.name()
                );
                continue;
            };
            let reloading = reloading_until
                .zip(sequence)
                .is_some_and(|(until, sequence)| sequence <= until);
            if !reloading {
                reloading_until = None;
                if let Some(line) = event.line {
                    let skipped = lines_read.read(line);
                    if skipped > 0 {
                        if let Some(counters) = shared.counters.get() {
                            counters.lost.inc_by(skipped);
                        }
                        lost += skipped;
                    }
                }
            }
            let was_past = match (reloading, past > 0) {
                (true, _) => Past::Reloaded,
                (false, true) => Past::Counted,
                (false, false) => Past::No,
            };
            let local = shared.arrived(&room, generation, event, was_past);
            past = if local { 0 } else { past.saturating_sub(1) };
            let due = reloaded.is_none_or(|at| at.elapsed() >= RELOAD_AT_MOST_EVERY);
            if lost > 0 && due && !reloading {
                warn!(
                    "Room {:?}: this server read it more than {CONSUMER_LAG_EVENTS} events \
                     behind, and {lost} lines were dropped from the stream before it read \
                     them; loading the room again",
                    room.name()
                );
                lost = 0;
                reloaded = Some(Instant::now());
                reloading_until = sequence;
                next_sequence = None;
                lines_read = lines::LinesRead::default();
                past = 0;
                room.forget_record();
                break;
            }
        }
    }
}

impl RoomBroker for NatsBroker {
    fn publish(&self, publications: Vec<Publication<'_>>) -> Result<u64, EnterError> {
        for publication in &publications {
            let state = publication.room.lock();
            publication
                .room
                .check_open_for(&state, &publication.change)?;
        }
        let shared = &self.shared;
        if !shared.connected() {
            // The broker is away: this server's rooms are its own for the while, so that its
            // clients can go on chatting (see `Shared::connected`).
            return Ok(publications
                .into_iter()
                .map(|publication| {
                    shared.keep_for_the_broker(publication.room.name(), &publication.change);
                    publication.room.commit_now(
                        publication.change,
                        publication.local,
                        publication.answer,
                    )
                })
                .sum());
        }
        let mut awaited = Vec::new();
        let mut delivered = 0;
        for publication in publications {
            let Publication {
                room,
                change,
                local,
                answer,
            } = publication;
            let joining = matches!(change, RoomChange::Joined { .. });
            if joining && local.is_some() {
                // A move: the member is out of its old room here before its join of the new
                // one is published. Each room's events are read by that room's own consumer,
                // in no order between rooms, and a member is a local member of one room at a
                // time: a join applied first would leave it in the old room here.
                delivered += shared.await_applied(std::mem::take(&mut awaited));
            }
            let waiting = local
                .filter(|_| matches!(change, RoomChange::Joined { .. } | RoomChange::Left { .. }))
                .and_then(|peer| Some((peer, shared.expect(room, peer, joining, answer)?)));
            let number = waiting.as_ref().map(|(_, (_, number))| *number);
            if shared.send(room.name(), &change, number) {
                let waiting = waiting.map(|(peer, (applied, _))| (peer, applied));
                if let Some((peer, applied)) = waiting {
                    awaited.push((room, peer, change, answer, applied));
                }
                continue;
            }
            // The queue to the broker is full: a member's own change is applied here alone,
            // so that it is not left half in a room; a line is dropped.
            if let Some(counters) = shared.counters.get() {
                counters.dropped.inc();
            }
            if shared.dropped.fetch_add(1, Ordering::Relaxed) == 0 {
                warn!("The broker is not taking room events; applying them here alone");
            }
            if let Some((peer, _)) = waiting {
                if shared.give_up(room, peer.id) {
                    delivered += room.commit_now(change, Some(peer), answer);
                }
            }
        }
        delivered += shared.await_applied(awaited);
        Ok(delivered)
    }

    fn follow(&self, room: &Arc<Room>) {
        let shared = &self.shared;
        let mut followed = lock(&shared.followed);
        if let Some(following) = followed.get(room.name()) {
            if Arc::ptr_eq(&following.room, room) {
                return;
            }
            following.task.abort();
        }
        room.forget_record();
        let generation = shared.generations.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::debug!("Following room {:?} ({generation})", room.name());
        let task = shared
            .handle
            .spawn(follow_room(
                Arc::clone(shared),
                Arc::clone(room),
                generation,
            ))
            .abort_handle();
        followed.insert(
            room.name().into(),
            Following {
                room: Arc::clone(room),
                generation,
                task,
                pending: HashMap::new(),
                member_servers: HashMap::new(),
                joined_alone: false,
                lines_sent: 0,
            },
        );
    }

    fn unfollow(&self, room: &Arc<Room>) {
        let mut followed = lock(&self.shared.followed);
        let Some(following) = followed.get(room.name()) else {
            return;
        };
        // A member here may be joining it at this moment: then it stays followed.
        if !Arc::ptr_eq(&following.room, room)
            || !following.pending.is_empty()
            || room.local_member_count() > 0
        {
            return;
        }
        following.task.abort();
        tracing::debug!("No longer following room {:?}", room.name());
        followed.remove(room.name());
        room.forget_record();
    }

    fn history(&self, room: &Room) -> Vec<ChatLine> {
        room.history_lines()
    }

    fn reserve_ids(&self, count: u64) -> Option<Range<u64>> {
        // Waiting for the lock may mean waiting for another connection's reservation.
        wait_for_broker(|| self.reserve_ids_now(count))
    }

    fn broker_connected(&self) -> Option<bool> {
        Some(self.shared.connected())
    }

    fn other_servers_rooms(&self) -> HashMap<Box<str>, u32> {
        let servers = lock(&self.shared.servers);
        let mut rooms: HashMap<Box<str>, u32> = HashMap::new();
        for (name, members) in servers.rooms.values().flatten() {
            let count = rooms.entry(name.clone()).or_default();
            *count = count.saturating_add(*members);
        }
        rooms
    }

    fn rooms_elsewhere(
        &self,
        name: &str,
        here: &dyn Fn(&str) -> bool,
    ) -> crate::rooms::RoomsElsewhere {
        let servers = lock(&self.shared.servers);
        let mut not_here: HashSet<&str> = HashSet::new();
        let mut asked_for = false;
        for (room, _) in servers.rooms.values().flatten() {
            asked_for |= &**room == name;
            if !here(room) {
                not_here.insert(room);
            }
        }
        crate::rooms::RoomsElsewhere {
            asked_for,
            not_here: not_here.len(),
        }
    }

    fn count_into(&self, counters: crate::rooms::BrokerCounters) {
        let _ = self.shared.counters.set(counters);
    }

    fn report_local(&self, clients: usize, address: Option<&str>) {
        self.shared.report_local(clients, address);
    }

    fn cluster_servers(&self) -> Option<Vec<crate::rooms::ClusterServer>> {
        Some(self.shared.cluster_servers())
    }

    fn claim_account(&self, account: i64, peer: &Arc<Peer>) {
        self.shared.claim_account(account, peer);
    }

    fn release_account(&self, account: i64, peer: &Peer) {
        self.shared.release_account(account, peer);
    }

    fn server_stopping(&self) {
        // One message for all of this server's clients: the others take them out of their
        // rooms at once. Waited for (briefly), so that it goes before the clients' leaves.
        let client = self.shared.jetstream.client();
        let subject = format!("{SERVER_SUBJECTS}.{}.gone", self.shared.server);
        let (sent, said) = sync_channel::sync_channel(1);
        self.shared.handle.spawn(async move {
            let _ = client.publish(subject, Bytes::new()).await;
            let _ = client.flush().await;
            let _ = sent.send(());
        });
        let _ = wait_for_broker(|| said.recv_timeout(APPLY_TIMEOUT));
    }
}
