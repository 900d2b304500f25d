//! `ServerState`: what every part of one running server shares — configuration, metrics, the
//! ID allocator, admission, the rooms and the registry of open sessions — and the shutdown
//! signal. Rooms and sessions are separate types in their own modules; this only holds them.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use mmo_protocol::ClientId;
use tokio::sync::watch;
use tracing::info;

use crate::accounts::LoggedIn;
use crate::admission::{Admission, AdmissionLimits};
use crate::config::Config;
use crate::disconnect::Disconnect;
use crate::logging::BurstLog;
use crate::metrics::{Metrics, RateMeter};
use crate::peer::Peer;
use crate::rooms::{BrokerCounters, InProcessBroker, RoomLimits, RoomQuota, Rooms};
use crate::services::{AccountStore, Services};
use crate::websocket::PING_FRAME;
use crate::world::{WorldSettings, Worlds};

/// How long refusals of requests (bad heads, bad upgrades, origins, a full server) are logged
/// once, then counted.
const REFUSED_REQUEST_LOG_WINDOW: Duration = Duration::from_secs(10);

/// State shared by every connection of one server.
#[derive(Debug)]
pub struct ServerState {
    /// The configuration the server runs with.
    pub config: Config,
    /// Counters for `/metrics` and `/api/status`.
    pub metrics: Metrics,
    /// Recent per-second rates for `/api/status`.
    pub rates: RateMeter,
    /// Which sockets are taken on.
    pub admission: Arc<Admission>,
    /// Every room.
    pub rooms: Rooms,
    /// Every open session.
    pub sessions: Arc<Sessions>,
    /// Where accounts live, if anywhere.
    pub accounts: Option<Arc<dyn AccountStore>>,
    /// Which connection each account is logged in on.
    pub logged_in: LoggedIn,
    /// The game's worlds, one per room that has players.
    pub worlds: Worlds,
    /// The TLS configuration when the port speaks TLS (`tls_cert`, `tls_key`).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Whether sessions echo data messages instead of handling them: the endpoint the
    /// WebSocket conformance suite runs against, never set by the `mmo-server` binary.
    pub echo: bool,
    refused_requests: BurstLog,
    started: Instant,
    shutdown: watch::Sender<bool>,
}

impl ServerState {
    /// The state of a server that has just started, holding at most `socket_budget` sockets.
    pub fn new(config: Config, socket_budget: usize) -> Self {
        Self::with_services(config, socket_budget, Services::default())
    }

    /// The state of a server with `services`.
    pub fn with_services(config: Config, socket_budget: usize, services: Services) -> Self {
        let limits = RoomLimits {
            max_members: config.max_room_members,
            history_lines: config.room_history_lines,
            history_bytes: config.room_history_bytes,
            batch_window: config.write_coalesce_ms,
            batch_from_busy_percent: config.write_coalesce_busy_percent,
            presence_batch_above: config.presence_batch_above,
            presence_window: config.presence_window_ms,
        };
        let metrics = Metrics::default();
        let rooms = Rooms::with_quota(
            limits,
            config.max_rooms,
            RoomQuota {
                per_address: config.max_rooms_per_address,
                exempt: config.address_limit_exempt.clone(),
            },
            services
                .rooms
                .unwrap_or_else(|| Arc::new(InProcessBroker::default())),
        );
        rooms.count_into(BrokerCounters {
            deliveries: metrics.deliveries.clone(),
            dropped: metrics.cluster_events_dropped.clone(),
            login_claims_failed: metrics.cluster_login_claims_failed.clone(),
            lost: metrics.cluster_events_lost.clone(),
            world_dropped: metrics.cluster_world_messages_dropped.clone(),
        });
        Self {
            admission: Arc::new(Admission::new(AdmissionLimits::new(&config, socket_budget))),
            rooms,
            sessions: Arc::new(Sessions::new(config.max_connections)),
            accounts: services.accounts,
            logged_in: LoggedIn::default(),
            worlds: Worlds::new(
                WorldSettings {
                    tick_rate: config.world_tick_rate,
                    max_players: config.max_world_players,
                    max_tutorial_players: config.max_tutorial_players_per_world,
                    view_threads: config.world_view_threads,
                    realtime: config.world_realtime,
                },
                metrics.world.clone(),
            ),
            tls: None,
            echo: false,
            refused_requests: BurstLog::new(REFUSED_REQUEST_LOG_WINDOW),
            metrics,
            rates: RateMeter::new(),
            started: Instant::now(),
            shutdown: watch::Sender::new(false),
            config,
        }
    }

    /// Milliseconds since the server started: the clock for idle detection.
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Time since the server started.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Reserves one of the `max_connections` session slots, or `None` when all are taken.
    pub fn sessions_slot(&self) -> Option<SessionSlot> {
        self.sessions.reserve()
    }

    /// Logs a refused request, once per burst of them (the others are counted in the next
    /// line, or by the housekeeping tick).
    pub fn log_refused_request(&self, line: fmt::Arguments<'_>) {
        if let Some(left_out) = self.refused_requests.occur(Instant::now()) {
            if left_out == 0 {
                info!("{line}");
            } else {
                info!("{line} ({left_out} more refused requests since the last such line)");
            }
        }
    }

    /// Logs how many refusals were left out of the log since its last line, when that was a
    /// while ago, so the end of a burst is not lost. Called by the housekeeping tick.
    pub fn log_overdue_refusals(&self) {
        let now = Instant::now();
        if let Some(left_out) = self.refused_requests.take_overdue(now) {
            info!("{left_out} more requests were refused since the last such line");
        }
        for log in &self.admission.refusal_logs {
            if let Some(left_out) = log.take_overdue(now) {
                info!(
                    "{left_out} more connections were refused or dropped since the last such line"
                );
            }
        }
    }

    /// Starts the shutdown: every session is asked to close with 1001, and sessions still
    /// being set up find out when they register.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
        // Rooms first: a line being fanned out reaches every member before any is closed, and
        // none is accepted after, so no line reaches only part of a room.
        self.rooms.shut_down();
        self.sessions.close_all(&Disconnect::ServerShutdown);
    }

    /// Whether the shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Resolves once the shutdown has begun.
    pub async fn shutting_down(&self) {
        let mut watching = self.shutdown.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail while we are borrowed.
        let _ = watching.wait_for(|down| *down).await;
    }

    /// Pings clients quiet for a ping interval and asks those silent for the idle timeout to
    /// close.
    pub fn check_idle(&self) {
        self.check_idle_at(self.now_ms());
    }

    fn check_idle_at(&self, now_ms: u64) {
        let ping_after = duration_ms(self.config.ping_interval);
        let idle_after = duration_ms(self.config.idle_timeout);
        self.sessions.for_each(|peer| {
            let quiet_ms = now_ms.saturating_sub(peer.last_heard_ms());
            if quiet_ms >= idle_after {
                peer.outbox.close(Disconnect::Idle {
                    timeout: self.config.idle_timeout,
                });
            } else if quiet_ms >= ping_after {
                // A full outbox here means the client is already being dropped as too slow.
                let _ = peer.send(PING_FRAME.clone());
            }
        });
    }
}

#[cfg(test)]
impl ServerState {
    /// A full-level client in the lobby that is not a session (nothing closes it): what a
    /// test watches to see what the lobby's members are told.
    pub fn watcher_in_lobby(&self, id: u64) -> Arc<Peer> {
        let address = "127.0.0.1:1".parse().expect("address");
        let id = ClientId::new(id).expect("non-zero");
        let watcher = Arc::new(Peer::new(id, address, 1 << 20, 0));
        watcher.raise_level(mmo_protocol::Level::Full);
        let lobby = Arc::clone(self.rooms.lobby());
        self.rooms
            .enter(&watcher, &lobby, false)
            .expect("the lobby has room");
        watcher
    }
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Every open session, for what reaches all of them (shutdown, idle checks, counts), and the
/// `max_connections` slots. Relays never touch it: rooms keep their own members.
#[derive(Debug)]
pub struct Sessions {
    registry: Mutex<Registry>,
    max_sessions: usize,
    reserved: AtomicUsize,
}

#[derive(Debug, Default)]
struct Registry {
    peers: HashMap<ClientId, Arc<Peer>>,
    /// Set by `close_all`: a session registering afterwards is told to close at once.
    closing: Option<Disconnect>,
}

impl Sessions {
    /// No sessions, and room for `max_sessions`.
    pub fn new(max_sessions: usize) -> Self {
        Self {
            registry: Mutex::new(Registry::default()),
            max_sessions,
            reserved: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        // Every critical section is one map operation or a walk that cannot panic.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reserves one of the `max_connections` slots, or `None` when all are taken. The slot is
    /// given back when the returned guard drops.
    pub fn reserve(self: &Arc<Self>) -> Option<SessionSlot> {
        self.reserved
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < self.max_sessions).then_some(open + 1)
            })
            .ok()
            .map(|_| SessionSlot {
                sessions: Arc::clone(self),
            })
    }

    /// Adds an open session. When the server is already closing every session, the peer is
    /// asked to close at once too: no session opened during a shutdown outlives it.
    pub fn register(&self, peer: &Arc<Peer>) {
        let mut registry = self.lock();
        registry.peers.insert(peer.id, Arc::clone(peer));
        if let Some(reason) = &registry.closing {
            peer.outbox.close(reason.clone());
        }
    }

    /// Removes a session.
    pub fn unregister(&self, id: ClientId) {
        self.lock().peers.remove(&id);
    }

    /// Sessions registered now.
    pub fn count(&self) -> usize {
        self.lock().peers.len()
    }

    /// Asks every session, and every one registered later, to close for `reason`.
    pub fn close_all(&self, reason: &Disconnect) {
        let mut registry = self.lock();
        registry.closing = Some(reason.clone());
        for peer in registry.peers.values() {
            peer.outbox.close(reason.clone());
        }
    }

    /// Calls `visit` for each session under the registry's lock: `visit` must be quick.
    fn for_each(&self, mut visit: impl FnMut(&Arc<Peer>)) {
        for peer in self.lock().peers.values() {
            visit(peer);
        }
    }
}

/// One session's share of `max_connections`, given back on drop.
#[derive(Debug)]
pub struct SessionSlot {
    sessions: Arc<Sessions>,
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        self.sessions.reserved.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(id: u64) -> Arc<Peer> {
        Arc::new(Peer::new(
            ClientId::new(id).expect("non-zero"),
            "127.0.0.1:1".parse().expect("address"),
            1024,
            0,
        ))
    }

    #[test]
    fn session_slots_stop_at_the_limit_and_come_back() {
        let sessions = Arc::new(Sessions::new(2));
        let first = sessions.reserve().expect("room");
        let _second = sessions.reserve().expect("room");
        assert!(sessions.reserve().is_none());
        drop(first);
        assert!(sessions.reserve().is_some());
    }

    #[test]
    fn a_session_registering_during_shutdown_is_closed_at_once() {
        let sessions = Sessions::new(10);
        let early = peer(1);
        sessions.register(&early);
        sessions.close_all(&Disconnect::ServerShutdown);
        assert!(early.outbox.is_closing());
        let late = peer(2);
        sessions.register(&late);
        assert!(late.outbox.is_closing(), "registered after close_all");
        assert_eq!(sessions.count(), 2);
        sessions.unregister(late.id);
        assert_eq!(sessions.count(), 1);
    }

    #[test]
    fn a_line_said_as_the_shutdown_begins_reaches_every_member_or_none() {
        use mmo_protocol::{Msg, decode_packet};
        use std::collections::HashMap as Counts;

        const MEMBERS: u64 = 2_000;
        let state = Arc::new(ServerState::new(Config::default(), 100));
        let lobby = Arc::clone(state.rooms.lobby());
        let peers: Vec<Arc<Peer>> = (1..=MEMBERS)
            .map(|id| {
                let address = "127.0.0.1:1".parse().expect("address");
                let id = ClientId::new(id).expect("non-zero");
                Arc::new(Peer::new(id, address, 1 << 20, 0))
            })
            .collect();
        for member in &peers {
            state.sessions.register(member);
            state
                .rooms
                .enter(member, &lobby, false)
                .expect("the lobby has room");
        }
        let sender = Arc::clone(&peers[0]);
        let talker = std::thread::spawn({
            let state = Arc::clone(&state);
            move || {
                let lobby = Arc::clone(state.rooms.lobby());
                let (mut said, mut after_shutdown) = (0, 0);
                // On through the shutdown: lines said while it closes the sessions.
                while after_shutdown < 50 {
                    state
                        .rooms
                        .chat(&lobby, &sender, &format!("line {said}"), 0);
                    said += 1;
                    after_shutdown += u32::from(state.is_shutting_down());
                }
                said
            }
        });
        std::thread::sleep(Duration::from_millis(20));
        state.begin_shutdown();
        let said = talker.join().expect("talker");
        let mut reached: Counts<String, u64> = Counts::new();
        for member in &peers[1..] {
            for frame in member.outbox.take().frames {
                if let Ok(packet) = decode_packet(&frame[2..]) {
                    if let Some(Msg::Chat(chat)) = packet.msg {
                        *reached.entry(chat.msg).or_default() += 1;
                    }
                }
            }
        }
        assert!(
            !reached.is_empty(),
            "some of {said} lines went out before the shutdown"
        );
        let partial: Vec<_> = reached
            .iter()
            .filter(|(_, count)| **count != MEMBERS - 1)
            .collect();
        assert!(
            partial.is_empty(),
            "lines that reached only part of the room: {partial:?}"
        );
    }

    #[test]
    fn idle_checks_ping_the_quiet_and_close_the_silent() {
        let state = ServerState::new(
            Config {
                ping_interval: Duration::from_millis(50),
                idle_timeout: Duration::from_secs(3600),
                ..Config::default()
            },
            100,
        );
        let quiet = peer(1);
        state.sessions.register(&quiet);
        state.check_idle_at(49);
        assert!(
            quiet.outbox.take().frames.is_empty(),
            "not quiet for long enough yet"
        );
        state.check_idle_at(50);
        assert_eq!(
            quiet.outbox.take().frames,
            std::slice::from_ref(&PING_FRAME)
        );

        let strict = ServerState::new(
            Config {
                idle_timeout: Duration::ZERO,
                ..Config::default()
            },
            100,
        );
        let silent = peer(2);
        strict.sessions.register(&silent);
        strict.check_idle();
        assert!(matches!(
            silent.outbox.take().closing,
            Some(Disconnect::Idle { .. })
        ));
    }
}
