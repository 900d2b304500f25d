//! The plain HTTP answers: the web client, `/health`, `/metrics`, `/api/status`, and those of
//! the metrics listener.

use serde::Serialize;

use crate::assets;
use crate::http::{RequestHead, Response};
use crate::metrics::{CONTENT_TYPE, Levels};
use crate::rooms::ClusterServer;
use crate::state::ServerState;
use crate::websocket::WEBSOCKET_PATH;

/// Answers every plain HTTP request (every request not to `WEBSOCKET_PATH`).
pub fn respond(head: &RequestHead, state: &ServerState) -> Response {
    if asks_for_websocket(head) {
        // A client with a URL missing `/ws` would otherwise get the web page with 200, which
        // WebSocket libraries report as a bare "HTTP error: 200 OK" and retry for ever.
        return Response::text(
            404,
            &format!("no WebSocket here: the WebSocket endpoint is {WEBSOCKET_PATH}"),
        );
    }
    get_or_head(head, |path| match path {
        "/health" => health(state),
        "/metrics" if state.config.metrics_addr.is_none() => metrics_response(state),
        "/api/status" => Response::new(200)
            .body("application/json", status_json(state))
            .header("Cache-Control", "no-store")
            // Public numbers only: dashboards on other origins may read them.
            .header("Access-Control-Allow-Origin", "*"),
        path => match assets::find(path) {
            Some(asset) if head.header("if-none-match") == Some(asset.etag) => Response::new(304)
                .header("ETag", asset.etag)
                .header("Cache-Control", "no-cache"),
            Some(asset) => Response::new(200)
                .body(assets::content_type(asset.path), asset.body.to_vec())
                .header("ETag", asset.etag)
                .header("Cache-Control", "no-cache")
                .header("X-Content-Type-Options", "nosniff"),
            None => Response::text(404, "no such page"),
        },
    })
}

/// Whether the request asks to become a WebSocket (`Upgrade: websocket`, any case).
pub fn asks_for_websocket(head: &RequestHead) -> bool {
    head.header("upgrade").is_some_and(|protocols| {
        protocols
            .split(',')
            .any(|protocol| protocol.trim().eq_ignore_ascii_case("websocket"))
    })
}

/// Answers a GET with `answer` for its path, a HEAD with the same without the body, and
/// anything else with 405.
fn get_or_head(head: &RequestHead, answer: impl FnOnce(&str) -> Response) -> Response {
    match head.method.as_str() {
        "GET" => answer(&head.path),
        "HEAD" => answer(&head.path).without_body(),
        _ => Response::text(405, "only GET and HEAD are served here").header("Allow", "GET, HEAD"),
    }
}

/// `/health`: 200 while the server serves. Chat goes on while the accounts database is down,
/// so that is said in the body, not with a failing status that would take the server out of a
/// load balancer.
fn health(state: &ServerState) -> Response {
    let accounts_down = state
        .accounts
        .as_ref()
        .is_some_and(|accounts| !accounts.available());
    // The broker away: each server's rooms are its own for the while, and chat goes on.
    let broker_away = state.rooms.broker_connected() == Some(false);
    let body = match (accounts_down, broker_away) {
        (false, false) => "ok",
        (true, false) => "ok, accounts unavailable",
        (false, true) => "ok, cluster broker unreachable",
        (true, true) => "ok, accounts unavailable, cluster broker unreachable",
    };
    Response::text(200, body).header("Cache-Control", "no-store")
}

/// What `/api/status` answers: what the web client's status panel shows and the limits it
/// enforces on its input.
#[derive(Debug, Serialize)]
struct Status {
    clients: usize,
    rooms: usize,
    messages_per_second: f64,
    deliveries_per_second: f64,
    uptime_seconds: u64,
    connections_total: u64,
    messages_total: u64,
    limits: Limits,
    accounts: AccountsStatus,
    /// The cluster this server is part of; absent for a server on its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<ClusterStatus>,
}

/// The cluster in `Status`: its servers alive now (this one first), and their clients
/// together (as each last said; `clients` above is this server's alone).
#[derive(Debug, Serialize)]
struct ClusterStatus {
    broker_connected: bool,
    clients: u64,
    servers: Vec<ClusterServer>,
}

impl ClusterStatus {
    fn of(state: &ServerState) -> Option<Self> {
        let servers = state.rooms.cluster_servers()?;
        Some(Self {
            broker_connected: state.rooms.broker_connected() == Some(true),
            clients: servers
                .iter()
                .filter_map(|server| server.clients)
                .fold(0, u64::saturating_add),
            servers,
        })
    }
}

/// Accounts in `Status`: whether the server has them, whether clients must log in (when not,
/// clients may offer "Play as guest"), and whether the database answers now.
#[derive(Debug, Serialize)]
struct AccountsStatus {
    enabled: bool,
    require_login: bool,
    available: bool,
}

/// The limits in `Status`, named as their settings are.
#[derive(Debug, Serialize)]
struct Limits {
    max_chat_chars: usize,
    max_chat_bytes: usize,
    chat_per_second: f64,
    chat_burst: u32,
    max_message_bytes: usize,
    max_connections: usize,
    max_room_name_chars: usize,
    max_room_members: usize,
    join_per_second: f64,
    join_burst: u32,
}

/// Rates to the thousandth: more digits would only be noise from the sampling.
fn rounded(rate: f64) -> f64 {
    (rate * 1000.0).round() / 1000.0
}

/// The body of `/api/status`.
fn status_json(state: &ServerState) -> Vec<u8> {
    let rates = state.rates.rates();
    let config = &state.config;
    let status = Status {
        clients: state.sessions.count(),
        rooms: state.rooms.count(),
        messages_per_second: rounded(rates.messages_per_second),
        deliveries_per_second: rounded(rates.deliveries_per_second),
        uptime_seconds: state.uptime().as_secs(),
        connections_total: state.metrics.sessions_opened.get(),
        messages_total: state.metrics.chats_relayed.get(),
        limits: Limits {
            max_chat_chars: config.max_chat_chars,
            max_chat_bytes: config.max_chat_bytes,
            chat_per_second: config.chat_rate,
            chat_burst: config.chat_burst,
            max_message_bytes: config.max_message_bytes,
            max_connections: config.max_connections,
            max_room_name_chars: config.max_room_name_chars,
            max_room_members: config.max_room_members,
            join_per_second: config.join_rate,
            join_burst: config.join_burst,
        },
        accounts: AccountsStatus {
            enabled: state.accounts.is_some(),
            require_login: config.require_login,
            available: state
                .accounts
                .as_ref()
                .is_some_and(|accounts| accounts.available()),
        },
        cluster: ClusterStatus::of(state),
    };
    // Numbers and fixed names only: serialising cannot fail.
    serde_json::to_vec(&status).unwrap_or_default()
}

/// The body of `/metrics`: every metric, with the gauges as the server stands now.
fn metrics_text(state: &ServerState) -> Vec<u8> {
    let admission = state.admission.counts();
    let cluster = ClusterStatus::of(state);
    let as_count = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
    state
        .metrics
        .render(Levels {
            sessions: state.sessions.count(),
            rooms: state.rooms.count(),
            open_sockets: admission.open,
            pending_handshakes: admission.pending,
            uptime_seconds: state.uptime().as_secs(),
            accounts_available: state
                .accounts
                .as_ref()
                .is_some_and(|accounts| accounts.available()),
            batching: state.rooms.load().is_loaded() && !state.config.write_coalesce_ms.is_zero(),
            workers_busy_percent: state.rooms.load().busy_percent(),
            broker_connected: state.rooms.broker_connected() == Some(true),
            cluster_servers: cluster.as_ref().map_or(0, |cluster| cluster.servers.len()),
            cluster_clients: cluster.map_or(0, |cluster| as_count(cluster.clients)),
        })
        .into_bytes()
}

/// `/metrics`.
pub fn metrics_response(state: &ServerState) -> Response {
    Response::new(200)
        .body(CONTENT_TYPE, metrics_text(state))
        .header("Cache-Control", "no-store")
}

/// Answers a request on the metrics listener (`Config::metrics_addr`): `/metrics` and
/// `/health`, nothing else.
pub fn respond_on_metrics_port(head: &RequestHead, state: &ServerState) -> Response {
    get_or_head(head, |path| match path {
        "/metrics" => metrics_response(state),
        "/health" => health(state),
        _ => Response::text(404, "only /metrics and /health are served here"),
    })
}
