//! Server metrics, kept with `prometheus-client`: counters (labelled where the label answers an
//! operator's question: why sessions ended, why connections and messages were refused, what
//! clients send) and gauges read from the server's state at each scrape, rendered as Prometheus
//! text for `/metrics`; and the per-second rates `/api/status` shows.
//!
//! Counting stays as cheap as the hand-kept atomics it replaces: every labelled series is
//! created once, at start, and kept in an array indexed by its label, so a count on the hot
//! path is one relaxed atomic add, with no lock and no hash lookup.

use std::marker::PhantomData;
use std::sync::Mutex;
use std::time::Instant;

use mmo_protocol::Msg;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The `Content-Type` of `/metrics`: the Prometheus text format, version 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// A closed set of label values of one label: the values a labelled counter has a series for.
pub trait Label: Copy + 'static {
    /// The label's name, e.g. `reason`.
    const KEY: &'static str;
    /// Every value, in the order `index` numbers them.
    const ALL: &'static [Self];
    /// The value as it appears in the exposition, e.g. `too_slow`.
    fn value(self) -> &'static str;
    /// The value's place in `ALL`.
    fn index(self) -> usize;
}

/// Declares a `Label` enum: each variant with its doc and the text it is exposed as.
macro_rules! label {
    (
        $(#[$meta:meta])*
        $vis:vis enum $Name:ident: $key:literal {
            $($(#[doc = $doc:literal])+ $Variant:ident => $value:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $Name {
            $($(#[doc = $doc])+ $Variant,)+
        }

        impl Label for $Name {
            const KEY: &'static str = $key;
            const ALL: &'static [Self] = &[$(Self::$Variant),+];
            fn value(self) -> &'static str {
                match self {
                    $(Self::$Variant => $value,)+
                }
            }
            fn index(self) -> usize {
                self as usize
            }
        }
    };
}

label! {
    /// Why a session ended: `mmo_sessions_closed_total{reason}`.
    pub enum CloseReason: "reason" {
        /// The client sent a close frame.
        ClientClosed => "client_closed",
        /// The connection ended without a close frame.
        ConnectionLost => "connection_lost",
        /// The client broke the WebSocket protocol.
        ProtocolError => "protocol_error",
        /// The client sent a message over `max_message_bytes`.
        TooBig => "too_big",
        /// The client fell more than `outbound_queue_bytes` behind.
        TooSlow => "too_slow",
        /// The client was silent for `idle_timeout`.
        Idle => "idle",
        /// The server shut down.
        Shutdown => "shutdown",
        /// The session's task panicked or was aborted at the shutdown timeout.
        Aborted => "aborted",
        /// Its account logged in on another connection.
        LoggedInElsewhere => "logged_in_elsewhere",
    }
}

label! {
    /// Why a connection was refused or dropped before it became a session:
    /// `mmo_connections_refused_total{kind}`.
    pub enum Refused: "kind" {
        /// HTTP 503: `max_connections` sessions open, or every socket the process may hold.
        ServerFull => "server_full",
        /// HTTP 429: the address has `max_connections_per_address` connections.
        AddressBusy => "address_busy",
        /// HTTP 429: the address connects faster than `connect_rate_per_address`.
        AddressTooFast => "address_too_fast",
        /// Dropped before sending its request, to make room for a newer connection.
        HandshakeEvicted => "handshake_evicted",
        /// HTTP 400 or 431: a malformed or oversize request head.
        BadRequest => "bad_request",
        /// HTTP 408: no complete request head within the handshake timeout.
        RequestTimeout => "request_timeout",
        /// A `/ws` request that is not a valid WebSocket upgrade.
        BadUpgrade => "bad_upgrade",
        /// HTTP 403: a browser origin not in `allowed_origins`.
        Origin => "origin",
        /// The TLS handshake failed (a client that does not speak TLS, or distrusts the
        /// certificate).
        Tls => "tls",
    }
}

label! {
    /// What a data message from a client held: `mmo_messages_received_total{kind}`.
    pub enum MessageKind: "kind" {
        /// `ChatMessage` (field 2).
        Chat => "chat",
        /// `IdMessage` (field 3): only the server sends it.
        Id => "id",
        /// `LoginRequestMessage` (field 4).
        LoginRequest => "login_request",
        /// `RegisterRequestMessage` (field 5).
        RegisterRequest => "register_request",
        /// `OkResponseMessage` (field 6): only the server sends it.
        OkResponse => "ok_response",
        /// `DenyResponseMessage` (field 7): only the server sends it.
        DenyResponse => "deny_response",
        /// `DisconnectMessage` (field 19): only the server sends it.
        Disconnect => "disconnect",
        /// `JoinRoomMessage` (field 100).
        JoinRoom => "join_room",
        /// `RoomMessage` (field 101): only the server sends it.
        Room => "room",
        /// `PresenceMessage` (field 102): only the server sends it.
        Presence => "presence",
        /// `RoomListRequestMessage` (field 103).
        RoomListRequest => "room_list_request",
        /// `RoomListMessage` (field 104): only the server sends it.
        RoomList => "room_list",
        /// `PresenceBatchMessage` (field 120): only the server sends it.
        PresenceBatch => "presence_batch",
        /// `MemberListRequestMessage` (field 121).
        MemberListRequest => "member_list_request",
        /// `MemberListMessage` (field 122): only the server sends it.
        MemberList => "member_list",
        /// A world or hiscore message (fields 8–18, 105–109).
        World => "world",
        /// A `Packet` with no message in it.
        Empty => "none",
        /// Bytes that are not a `Packet`.
        Undecodable => "undecodable",
        /// Over the client's message rate: refused before it was decoded.
        RateLimited => "rate_limited",
    }
}

impl MessageKind {
    /// The kind of a decoded packet's message.
    pub fn of(msg: Option<&Msg>) -> Self {
        match msg {
            Some(Msg::Chat(_)) => Self::Chat,
            Some(Msg::Id(_)) => Self::Id,
            Some(Msg::LoginRequest(_)) => Self::LoginRequest,
            Some(Msg::RegisterRequest(_)) => Self::RegisterRequest,
            Some(Msg::OkResponse(_)) => Self::OkResponse,
            Some(Msg::DenyResponse(_)) => Self::DenyResponse,
            Some(Msg::Disconnect(_)) => Self::Disconnect,
            Some(Msg::JoinRoom(_)) => Self::JoinRoom,
            Some(Msg::Room(_)) => Self::Room,
            Some(Msg::Presence(_)) => Self::Presence,
            Some(Msg::RoomListRequest(_)) => Self::RoomListRequest,
            Some(Msg::RoomList(_)) => Self::RoomList,
            Some(Msg::PresenceBatch(_)) => Self::PresenceBatch,
            Some(Msg::MemberListRequest(_)) => Self::MemberListRequest,
            Some(Msg::MemberList(_)) => Self::MemberList,
            Some(
                Msg::Player(_)
                | Msg::PlayerDirection(_)
                | Msg::Spore(_)
                | Msg::SporeConsumed(_)
                | Msg::SporesBatch(_)
                | Msg::PlayerConsumed(_)
                | Msg::HiscoreBoardRequest(_)
                | Msg::Hiscore(_)
                | Msg::HiscoreBoard(_)
                | Msg::FinishedBrowsingHiscores(_)
                | Msg::SearchHiscore(_)
                | Msg::EnterWorld(_)
                | Msg::WorldEntered(_)
                | Msg::LeaveWorld(_)
                | Msg::WorldLeft(_)
                | Msg::WorldUpdate(_),
            ) => Self::World,
            None => Self::Empty,
        }
    }
}

label! {
    /// Why a client's message was refused (with a `DenyResponseMessage` where the client
    /// understands one): `mmo_messages_refused_total{kind}`.
    pub enum MessageRefusal: "kind" {
        /// A chat line that is empty, too long or holds a control character.
        ChatInvalid => "chat_invalid",
        /// A message over the client's `chat_rate`.
        RateLimit => "rate_limit",
        /// A room name that is not one.
        JoinBadName => "join_bad_name",
        /// A join over the client's `join_rate`.
        JoinRate => "join_rate",
        /// A join to a room with `max_room_members`.
        RoomFull => "room_full",
        /// A join that would create a room past `max_rooms`.
        TooManyRooms => "too_many_rooms",
        /// A join that would create a room past `max_rooms_per_address`.
        RoomsPerAddress => "rooms_per_address",
        /// A member page asked for past the client's page rate, or for a room it is not in.
        MemberPages => "member_pages",
        /// A join or a line while the server shuts down.
        ShuttingDown => "shutting_down",
        /// A request that got no answer within `handler_timeout`.
        Timeout => "timeout",
        /// A message past the ones held while an earlier request waits.
        TooManyWaiting => "too_many_waiting",
        /// A request whose handling panicked (a bug): refused as temporarily unavailable.
        Unavailable => "unavailable",
        /// A world message over the client's `world_input_rate`: dropped without a word.
        WorldRate => "world_rate",
        /// A world message that means nothing now (a claim from a client the server decides
        /// for, or not in a world, or past what a world takes in a tick): dropped.
        WorldIgnored => "world_ignored",
    }
}

label! {
    /// How a login or registration ended: `mmo_account_requests_total{outcome}`.
    pub enum AccountOutcome: "outcome" {
        /// A login accepted.
        LoginOk => "login_ok",
        /// A login refused: unknown user or wrong password (the same to the client).
        LoginWrong => "login_wrong",
        /// A login refused because of earlier failures (throttling).
        LoginThrottled => "login_throttled",
        /// A registration accepted.
        RegisterOk => "register_ok",
        /// A registration refused: a rule broken or the name taken.
        RegisterRefused => "register_refused",
        /// Refused because every hashing thread was busy and the queue full.
        Busy => "busy",
        /// Refused because the database was unavailable.
        Unavailable => "unavailable",
        /// Chat or a join refused because `require_login` is on and the client has not
        /// logged in.
        LoginRequired => "login_required",
    }
}

impl AccountOutcome {
    /// The outcome of a refused login.
    pub fn of_login(error: &mmo_accounts::AccountError) -> Self {
        use mmo_accounts::AccountError as E;
        match error {
            E::Throttled { .. } => Self::LoginThrottled,
            E::Busy => Self::Busy,
            E::Unavailable => Self::Unavailable,
            E::WrongCredentials | E::NameTaken | E::Invalid(_) | E::NoSuchAccount(_) => {
                Self::LoginWrong
            }
        }
    }

    /// The outcome of a refused registration.
    pub fn of_register(error: &mmo_accounts::AccountError) -> Self {
        use mmo_accounts::AccountError as E;
        match error {
            E::Busy => Self::Busy,
            E::Unavailable => Self::Unavailable,
            _ => Self::RegisterRefused,
        }
    }
}

/// A counter with one series per value of label `L`, every series created at start and kept
/// in `L`'s order, so counting is an index and an atomic add.
#[derive(Debug)]
pub struct ByLabel<L> {
    series: Box<[Counter]>,
    label: PhantomData<L>,
}

impl<L: Label> ByLabel<L> {
    /// Registers the family `name` and creates its series.
    fn register(registry: &mut Registry, name: &str, help: &str) -> Self {
        let family = Family::<[(&'static str, &'static str); 1], Counter>::default();
        registry.register(name, help, family.clone());
        Self {
            series: L::ALL
                .iter()
                .map(|value| family.get_or_create_owned(&[(L::KEY, value.value())]))
                .collect(),
            label: PhantomData,
        }
    }

    /// Adds one to the series of `value`.
    pub fn inc(&self, value: L) {
        self.series[value.index()].inc();
    }
}

/// What the gauges are set from at a scrape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Levels {
    /// WebSocket sessions open.
    pub sessions: usize,
    /// Rooms, the lobby included.
    pub rooms: usize,
    /// Sockets open: sessions, requests and pending handshakes.
    pub open_sockets: usize,
    /// Sockets that have not finished sending their request head.
    pub pending_handshakes: usize,
    /// Whole seconds since the server started.
    pub uptime_seconds: u64,
    /// Whether the accounts database answers (`false` when there are no accounts).
    pub accounts_available: bool,
    /// Whether busy rooms batch their lines now, the server being loaded (see `load`).
    pub batching: bool,
    /// Percent of the last load sample the worker threads were busy.
    pub workers_busy_percent: u32,
    /// Whether the cluster's broker is reachable (`false` for a server on its own).
    pub broker_connected: bool,
    /// Servers of the cluster alive, this one included (0 for a server on its own).
    pub cluster_servers: usize,
    /// Clients connected to the cluster's servers, as each last said (0 on its own).
    pub cluster_clients: usize,
}

/// Bucket bounds of both tick histograms (`mmo_world_tick_work_seconds`, `…_cpu_seconds`): a
/// tick's budget is 50 ms at 20 ticks a second, and the goal for 2,000 players is a p99 of
/// 5 ms, so the buckets are a millisecond apart or finer up to 6 ms (a quantile read from them
/// is within a millisecond there).
const TICK_SECONDS_BUCKETS: [f64; 17] = [
    0.000_25, 0.000_5, 0.001, 0.001_5, 0.002, 0.002_5, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01,
    0.015, 0.02, 0.03, 0.05, 0.1,
];

/// What the worlds report, shared with their threads (each handle is a shared counter).
#[derive(Debug, Clone)]
pub struct WorldMetrics {
    /// Ticks run.
    pub ticks: Counter,
    /// Ticks that started more than one period late.
    pub late_ticks: Counter,
    /// Bytes of world frames queued to clients.
    pub update_bytes: Counter,
    /// Each tick's work, in seconds of wall time (waits for a core included).
    pub tick_work: Histogram,
    /// Each tick's CPU time on its world's thread, in seconds: a lower bound of the tick's
    /// critical path (the views shared out to other threads run beside it, and waiting for a
    /// slower one is not CPU time).
    pub tick_cpu: Histogram,
    /// Players in worlds now.
    pub players: Gauge,
    /// Worlds running now.
    pub worlds: Gauge,
}

/// Every metric the server exposes. All counters are totals since start.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// TCP connections accepted on the public port (HTTP and WebSocket).
    pub connections_accepted: Counter,
    /// Accept calls that failed (for example out of file descriptors).
    pub accept_errors: Counter,
    /// Connections refused or dropped before a session, by why.
    pub connections_refused: ByLabel<Refused>,
    /// HTTP requests answered without an upgrade.
    pub http_requests: Counter,
    /// WebSocket sessions opened.
    pub sessions_opened: Counter,
    /// WebSocket sessions ended, by why.
    pub sessions_closed: ByLabel<CloseReason>,
    /// Data messages received from clients, by what they held.
    pub messages_received: ByLabel<MessageKind>,
    /// Client messages refused, by why.
    pub messages_refused: ByLabel<MessageRefusal>,
    /// Refusals not sent because the client does not know `DenyResponseMessage`.
    pub refusals_unsent: Counter,
    /// Chat lines relayed (each counted once, however many received it).
    pub chats_relayed: Counter,
    /// Frames queued to recipients by relays: one per chat per recipient.
    pub deliveries: Counter,
    /// Room changes.
    pub joins: Counter,
    /// Room events dropped because the cluster's queue to the broker was full.
    pub cluster_events_dropped: Counter,
    /// Logins the cluster's broker could not tell the other servers of.
    pub cluster_login_claims_failed: Counter,
    /// Room lines dropped from the cluster's stream before this server read them.
    pub cluster_events_lost: Counter,
    /// The worlds' messages dropped because their queue to the cluster's broker was full.
    pub cluster_world_messages_dropped: Counter,
    /// Connection tasks that panicked (a server bug; the client was disconnected).
    pub tasks_panicked: Counter,
    /// Logins and registrations, by how they ended.
    pub account_requests: ByLabel<AccountOutcome>,
    /// What the worlds do (shared with their threads).
    pub world: WorldMetrics,
    accounts_available: Gauge,
    broker_connected: Gauge,
    cluster_servers: Gauge,
    cluster_clients: Gauge,
    sessions: Gauge,
    rooms: Gauge,
    open_sockets: Gauge,
    pending_handshakes: Gauge,
    uptime_seconds: Gauge,
    batching: Gauge,
    workers_busy_percent: Gauge,
}

impl Metrics {
    /// Every metric at zero, registered under its name. Counter names get `_total` in the
    /// exposition.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let mut counter = |name: &str, help: &str| {
            let counter = Counter::default();
            registry.register(name, help, counter.clone());
            counter
        };
        let connections_accepted = counter("mmo_connections_accepted", "TCP connections accepted");
        let accept_errors = counter("mmo_accept_errors", "failed accept calls");
        let http_requests = counter("mmo_http_requests", "plain HTTP requests answered");
        let sessions_opened = counter("mmo_sessions_opened", "WebSocket sessions opened");
        let refusals_unsent = counter(
            "mmo_refusals_unsent",
            "refusals not sent to clients that do not know DenyResponseMessage",
        );
        let chats_relayed = counter("mmo_chats_relayed", "chat lines relayed");
        let deliveries = counter(
            "mmo_deliveries",
            "frames queued to recipients by relays (one per chat line per recipient)",
        );
        let joins = counter("mmo_joins", "room changes");
        let cluster_events_dropped = counter(
            "mmo_cluster_events_dropped",
            "room events the queue to the cluster's broker could not take: a line is lost, a \
             member's own join or leave is applied on this server alone",
        );
        let cluster_login_claims_failed = counter(
            "mmo_cluster_login_claims_failed",
            "logins the cluster's broker could not tell the other servers of: each was a login \
             on this server alone (an older connection to the account elsewhere stayed open)",
        );
        let cluster_events_lost = counter(
            "mmo_cluster_events_lost",
            "room lines dropped from the cluster's stream before this server read them (it \
             fell more than 2,000 events behind a room); the room is then loaded again",
        );
        let cluster_world_messages_dropped = counter(
            "mmo_cluster_world_messages_dropped",
            "world messages (players' inputs, frame batches) the queue to the cluster's broker \
             could not take: a lost batch has its players closed as too slow by their server, \
             a lost input is lost",
        );
        let tasks_panicked = counter(
            "mmo_tasks_panicked",
            "connection tasks that panicked (a server bug)",
        );
        let connections_refused = ByLabel::register(
            &mut registry,
            "mmo_connections_refused",
            "connections refused or dropped before a session, by kind",
        );
        let sessions_closed = ByLabel::register(
            &mut registry,
            "mmo_sessions_closed",
            "WebSocket sessions ended, by reason",
        );
        let messages_received = ByLabel::register(
            &mut registry,
            "mmo_messages_received",
            "data messages received from clients, by the Packet member they held",
        );
        let messages_refused = ByLabel::register(
            &mut registry,
            "mmo_messages_refused",
            "client messages refused, by kind",
        );
        let account_requests = ByLabel::register(
            &mut registry,
            "mmo_account_requests",
            "logins and registrations, by outcome",
        );
        let mut world_counter = |name: &str, help: &str| {
            let counter = Counter::default();
            registry.register(name, help, counter.clone());
            counter
        };
        let world = WorldMetrics {
            ticks: world_counter("mmo_world_ticks", "world ticks run, all worlds together"),
            late_ticks: world_counter(
                "mmo_world_late_ticks",
                "world ticks that started more than one period after they were due",
            ),
            update_bytes: world_counter(
                "mmo_world_update_bytes",
                "bytes of world messages queued to clients (frames with their headers)",
            ),
            tick_work: Histogram::new(TICK_SECONDS_BUCKETS),
            tick_cpu: Histogram::new(TICK_SECONDS_BUCKETS),
            players: Gauge::default(),
            worlds: Gauge::default(),
        };
        registry.register(
            "mmo_world_tick_work_seconds",
            "a world tick's work: inputs, rules, views, encoding and queuing its messages \
             (wall time, waits for a core included)",
            world.tick_work.clone(),
        );
        registry.register(
            "mmo_world_tick_cpu_seconds",
            "a world tick's CPU time on its world's thread: a lower bound of its critical \
             path (the views shared out to other threads run beside it; waiting for them is \
             not counted)",
            world.tick_cpu.clone(),
        );
        registry.register(
            "mmo_world_players",
            "players in worlds now",
            world.players.clone(),
        );
        registry.register("mmo_worlds", "worlds running now", world.worlds.clone());
        let mut gauge = |name: &str, help: &str| {
            let gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge
        };
        Self {
            sessions: gauge("mmo_sessions", "WebSocket sessions open now"),
            rooms: gauge("mmo_rooms", "rooms now, the lobby included"),
            open_sockets: gauge(
                "mmo_open_sockets",
                "sockets open now on the public port (sessions, requests, pending handshakes)",
            ),
            pending_handshakes: gauge(
                "mmo_pending_handshakes",
                "connections that have not finished sending their request",
            ),
            uptime_seconds: gauge("mmo_uptime_seconds", "seconds since the server started"),
            accounts_available: gauge(
                "mmo_accounts_available",
                "1 while the accounts database answers, 0 while it is down or accounts are off",
            ),
            batching: gauge(
                "mmo_batching",
                "1 while busy rooms batch their lines (the workers are loaded), 0 while every \
                 line is written at once",
            ),
            workers_busy_percent: gauge(
                "mmo_workers_busy_percent",
                "percent of the last 100 ms the worker threads were busy",
            ),
            broker_connected: gauge(
                "mmo_cluster_broker_connected",
                "1 while the cluster's NATS broker is connected, 0 while it is away or the \
                 server runs alone",
            ),
            cluster_servers: gauge(
                "mmo_cluster_servers",
                "servers of the cluster alive now, this one included (heard within \
                 cluster_timeout); 0 for a server running alone",
            ),
            cluster_clients: gauge(
                "mmo_cluster_clients",
                "clients connected to all the cluster's servers, as each said with its last \
                 heartbeat; 0 for a server running alone",
            ),
            registry,
            connections_accepted,
            accept_errors,
            connections_refused,
            http_requests,
            sessions_opened,
            sessions_closed,
            messages_received,
            messages_refused,
            refusals_unsent,
            chats_relayed,
            deliveries,
            joins,
            cluster_events_dropped,
            cluster_login_claims_failed,
            cluster_events_lost,
            cluster_world_messages_dropped,
            tasks_panicked,
            account_requests,
            world,
        }
    }

    /// The Prometheus text exposition of every metric, the gauges set to `levels`.
    pub fn render(&self, levels: Levels) -> String {
        let as_gauge = |value: usize| i64::try_from(value).unwrap_or(i64::MAX);
        self.sessions.set(as_gauge(levels.sessions));
        self.rooms.set(as_gauge(levels.rooms));
        self.open_sockets.set(as_gauge(levels.open_sockets));
        self.pending_handshakes
            .set(as_gauge(levels.pending_handshakes));
        self.uptime_seconds
            .set(i64::try_from(levels.uptime_seconds).unwrap_or(i64::MAX));
        self.accounts_available
            .set(i64::from(levels.accounts_available));
        self.batching.set(i64::from(levels.batching));
        self.workers_busy_percent
            .set(i64::from(levels.workers_busy_percent));
        self.broker_connected
            .set(i64::from(levels.broker_connected));
        self.cluster_servers.set(as_gauge(levels.cluster_servers));
        self.cluster_clients.set(as_gauge(levels.cluster_clients));
        let mut text = String::new();
        // Writing to a `String` cannot fail.
        let _ = prometheus_text::encode(&mut text, &self.registry);
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// How many one-second samples the rate window spans.
const RATE_WINDOW_SECONDS: usize = 5;

/// Per-second rates of two counters over the last few seconds, sampled by a ticker so that
/// any number of status readers see the same figures.
#[derive(Debug)]
pub struct RateMeter {
    samples: Mutex<std::collections::VecDeque<RateSample>>,
}

#[derive(Debug, Clone, Copy)]
struct RateSample {
    at: Instant,
    chats: u64,
    deliveries: u64,
}

/// Chats and deliveries per second.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rates {
    /// Chat lines relayed per second.
    pub messages_per_second: f64,
    /// Frames delivered to recipients per second.
    pub deliveries_per_second: f64,
}

impl RateMeter {
    /// A meter with no samples yet.
    pub fn new() -> Self {
        Self {
            samples: Mutex::new(std::collections::VecDeque::with_capacity(
                RATE_WINDOW_SECONDS + 1,
            )),
        }
    }

    /// Records the counters' values now; call about once a second.
    pub fn sample(&self, metrics: &Metrics, at: Instant) {
        let mut samples = self
            .samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if samples.len() > RATE_WINDOW_SECONDS {
            samples.pop_front();
        }
        samples.push_back(RateSample {
            at,
            chats: metrics.chats_relayed.get(),
            deliveries: metrics.deliveries.get(),
        });
    }

    /// Rates between the oldest and newest samples.
    pub fn rates(&self) -> Rates {
        let samples = self
            .samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (Some(first), Some(last)) = (samples.front(), samples.back()) else {
            return Rates::default();
        };
        let seconds = last.at.saturating_duration_since(first.at).as_secs_f64();
        if seconds <= 0.0 {
            return Rates::default();
        }
        Rates {
            messages_per_second: (last.chats - first.chats) as f64 / seconds,
            deliveries_per_second: (last.deliveries - first.deliveries) as f64 / seconds,
        }
    }
}

impl Default for RateMeter {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_exposition_has_every_series_from_the_start() {
        let metrics = Metrics::new();
        metrics.deliveries.inc_by(3);
        metrics.sessions_closed.inc(CloseReason::TooSlow);
        let text = metrics.render(Levels {
            sessions: 2,
            uptime_seconds: 7,
            ..Levels::default()
        });
        assert!(text.contains("\nmmo_deliveries_total 3\n"), "{text}");
        assert!(
            text.contains("\nmmo_sessions_closed_total{reason=\"too_slow\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("\nmmo_sessions_closed_total{reason=\"idle\"} 0\n"),
            "{text}"
        );
        assert!(text.contains("\nmmo_sessions 2\n"), "{text}");
        for cluster_counter in [
            "mmo_cluster_events_lost_total",
            "mmo_cluster_world_messages_dropped_total",
        ] {
            assert!(text.contains(&format!("\n{cluster_counter} 0\n")), "{text}");
        }
        assert!(text.contains("\nmmo_uptime_seconds 7\n"), "{text}");
        let labelled = CloseReason::ALL.len()
            + Refused::ALL.len()
            + MessageKind::ALL.len()
            + MessageRefusal::ALL.len()
            + AccountOutcome::ALL.len();
        let samples = text.lines().filter(|line| !line.starts_with('#')).count();
        // 16 plain counters, 13 gauges and the two tick histograms (their buckets, +Inf,
        // sum, count) besides the labelled series.
        assert_eq!(
            samples,
            labelled + 16 + 13 + 2 * (TICK_SECONDS_BUCKETS.len() + 3),
            "{text}"
        );
    }

    #[test]
    fn label_values_are_distinct_snake_case() {
        fn check<L: Label>() {
            let values: Vec<_> = L::ALL.iter().map(|value| value.value()).collect();
            for (index, value) in values.iter().enumerate() {
                assert_eq!(L::ALL[index].index(), index);
                assert!(
                    value.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                    "{value}"
                );
                assert_eq!(values.iter().filter(|v| *v == value).count(), 1, "{value}");
            }
        }
        check::<CloseReason>();
        check::<Refused>();
        check::<MessageKind>();
        check::<MessageRefusal>();
        check::<AccountOutcome>();
    }

    #[test]
    fn rates_come_from_the_window() {
        let metrics = Metrics::new();
        let meter = RateMeter::new();
        let start = Instant::now();
        meter.sample(&metrics, start);
        metrics.chats_relayed.inc_by(10);
        metrics.deliveries.inc_by(30);
        meter.sample(&metrics, start + Duration::from_secs(2));
        assert_eq!(
            meter.rates(),
            Rates {
                messages_per_second: 5.0,
                deliveries_per_second: 15.0
            }
        );
    }
}
