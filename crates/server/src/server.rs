//! The accept loop and request routing: `run` serves until its shutdown future resolves, then
//! closes every session with 1001 and waits for them.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use mmo_protocol::Packet;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tracing::{debug, info, warn};

use crate::assets;
use crate::config::Config;
use crate::http::{self, RequestHead, Response};
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::session::{self, Disconnect};
use crate::websocket::{HandshakeError, UpgradeRequest, encode_packet_frame};

/// How long the accept loop pauses when accepting fails (typically out of file descriptors),
/// so it does not spin while sessions end and free some.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Connections the kernel may hold waiting for `accept`. Tokio's default (1024) overflows when
/// thousands of clients connect at once (a server restart under load, a benchmark), and the
/// kernel then drops SYNs, which clients see as one-second retransmit stalls. The kernel caps it
/// at `net.core.somaxconn`.
pub const LISTEN_BACKLOG: u32 = 4096;

/// Listens on `address` ("host:port"; the first address it resolves to that binds), with
/// `SO_REUSEADDR` so a restarted server can take its port back at once, and `LISTEN_BACKLOG`.
pub async fn bind(address: &str) -> io::Result<TcpListener> {
    let mut last_error = None;
    for resolved in tokio::net::lookup_host(address).await? {
        let socket = if resolved.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket
            .bind(resolved)
            .and_then(|()| socket.listen(LISTEN_BACKLOG))
        {
            Ok(listener) => return Ok(listener),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            "the address resolved to nothing",
        )
    }))
}

/// How often rates are sampled for `/api/status`.
const RATE_SAMPLE_INTERVAL: Duration = Duration::from_secs(1);

/// Serves clients on `listener` until `shutdown` resolves; then stops accepting, sends every
/// client close 1001 and waits up to `config.shutdown_timeout` for them to go. Fails at once,
/// with `InvalidInput`, when `config.validate()` refuses the configuration.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    config
        .validate()
        .map_err(|invalid| io::Error::new(io::ErrorKind::InvalidInput, invalid))?;
    let hub = Arc::new(Hub::new(config));
    info!("Starting server on {}", listener.local_addr()?);
    info!("Awaiting client registrations");
    let housekeeping = tokio::spawn(keep_house(Arc::clone(&hub)));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, address)) => {
                    Metrics::bump(&hub.metrics.connections_accepted);
                    let task = hub.track_task();
                    let hub = Arc::clone(&hub);
                    tokio::spawn(async move {
                        handle_connection(stream, address, hub).await;
                        drop(task);
                    });
                }
                Err(error) => {
                    Metrics::bump(&hub.metrics.accept_errors);
                    warn!("accept failed: {error}; pausing {ACCEPT_BACKOFF:?}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            }
        }
    }
    drop(listener);
    info!(
        "Shutting down: closing {} client connections",
        hub.client_count()
    );
    hub.close_all(&Disconnect::ServerShutdown);
    let timeout = hub.config.shutdown_timeout;
    if tokio::time::timeout(timeout, hub.all_tasks_done())
        .await
        .is_err()
    {
        warn!(
            "{} connections still open after {timeout:?}; dropping them",
            hub.running_tasks()
        );
    }
    housekeeping.abort();
    info!("Server stopped");
    Ok(())
}

/// Samples rates every second and sweeps for idle clients every ping interval.
async fn keep_house(hub: Arc<Hub>) {
    let tick = RATE_SAMPLE_INTERVAL
        .min(hub.config.ping_interval)
        .max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_sweep = Instant::now();
    loop {
        let now = ticker.tick().await.into_std();
        hub.rates.sample(&hub.metrics, now);
        if now.saturating_duration_since(last_sweep) >= hub.config.ping_interval {
            last_sweep = now;
            hub.sweep_idle();
        }
    }
}

async fn handle_connection(mut stream: TcpStream, address: SocketAddr, hub: Arc<Hub>) {
    // We batch frames ourselves, so Nagle's delay would only add latency.
    let _ = stream.set_nodelay(true);
    let timeout = hub.config.handshake_timeout;
    let (head, early_bytes) = match http::read_head(&mut stream, timeout).await {
        Ok(read) => read,
        Err(error) => {
            let status = match error {
                http::HeadError::Malformed => 400,
                http::HeadError::TooLarge => 431,
                http::HeadError::TimedOut(_) => {
                    Metrics::bump(&hub.metrics.requests_refused);
                    info!("{address}: dropped: {error}");
                    return;
                }
                http::HeadError::Closed(_) => {
                    debug!("{address}: no request: {error}");
                    return;
                }
            };
            Metrics::bump(&hub.metrics.requests_refused);
            info!("{address}: refused: {error}");
            let _ = Response::text(status, &error.to_string())
                .send(&mut stream, timeout)
                .await;
            return;
        }
    };
    if head.path == "/ws" {
        match UpgradeRequest::from_request(&head.method, &head.raw_headers()) {
            Ok(upgrade) => {
                return upgrade_to_session(stream, address, hub, &upgrade, early_bytes).await;
            }
            Err(refusal) => {
                Metrics::bump(&hub.metrics.requests_refused);
                let response = refuse_upgrade(&refusal);
                info!("{address}: refused /ws request: {refusal}");
                let _ = response.send(&mut stream, timeout).await;
                return;
            }
        }
    }
    Metrics::bump(&hub.metrics.http_requests);
    let response = respond(&head, &hub);
    debug!(
        "{address}: {} {} -> {}",
        head.method,
        head.path,
        response.status()
    );
    let _ = response.send(&mut stream, timeout).await;
}

fn refuse_upgrade(refusal: &HandshakeError) -> Response {
    match refusal {
        HandshakeError::NotAnUpgrade | HandshakeError::UnsupportedVersion => {
            Response::text(426, &refusal.to_string())
                .header("Upgrade", "websocket")
                .header("Sec-WebSocket-Version", "13")
        }
        HandshakeError::BadKey => Response::text(400, &refusal.to_string()),
        HandshakeError::NotGet => Response::text(405, &refusal.to_string()).header("Allow", "GET"),
    }
}

async fn upgrade_to_session(
    mut stream: TcpStream,
    address: SocketAddr,
    hub: Arc<Hub>,
    upgrade: &UpgradeRequest,
    early_bytes: Vec<u8>,
) {
    let timeout = hub.config.handshake_timeout;
    if let Some(origin) = &upgrade.origin {
        let allowed = &hub.config.allowed_origins;
        if !allowed.is_empty() && !allowed.iter().any(|o| o == origin) {
            Metrics::bump(&hub.metrics.requests_refused);
            info!("{address}: refused WebSocket from origin {origin}");
            let _ = Response::text(403, &format!("origin {origin} is not allowed"))
                .send(&mut stream, timeout)
                .await;
            return;
        }
    }
    let Some(slot) = hub.reserve_session() else {
        Metrics::bump(&hub.metrics.refused_at_capacity);
        warn!(
            "{address}: refused: server full ({} connections)",
            hub.config.max_connections
        );
        let _ = Response::text(503, "server full: too many connections, try again later")
            .header("Retry-After", "5")
            .send(&mut stream, timeout)
            .await;
        return;
    };
    info!("New client connected from {address}");
    let handshake = Bytes::from(upgrade.response());
    // The 101 and the ID go out in the client's outbox before anything relayed to it.
    let peer = hub.register(|id| vec![handshake, encode_packet_frame(&Packet::id_assignment(id))]);
    info!("Client {}: Sent ID to client", peer.id);
    session::serve(stream, peer, Arc::clone(&hub), early_bytes).await;
    drop(slot);
}

/// Answers every plain HTTP request.
fn respond(head: &RequestHead, hub: &Hub) -> Response {
    let is_head = head.method == "HEAD";
    if head.method != "GET" && !is_head {
        return Response::text(405, "only GET and HEAD are served here")
            .header("Allow", "GET, HEAD");
    }
    let response = match head.path.as_str() {
        "/health" => Response::text(200, "ok").header("Cache-Control", "no-store"),
        "/metrics" => Response::new(200)
            .body(
                "text/plain; version=0.0.4; charset=utf-8",
                hub.metrics
                    .render_prometheus(hub.uptime().as_secs())
                    .into_bytes(),
            )
            .header("Cache-Control", "no-store"),
        "/api/status" => Response::new(200)
            .body("application/json", status_json(hub).into_bytes())
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
            None => Response::text(404, &format!("no such page: {path}")),
        },
    };
    if is_head {
        response.without_body()
    } else {
        response
    }
}

/// The JSON behind `/api/status`: what the web client's status panel shows and the limits it
/// enforces on its input.
fn status_json(hub: &Hub) -> String {
    use std::sync::atomic::Ordering::Relaxed;
    let rates = hub.rates.rates();
    let config = &hub.config;
    format!(
        concat!(
            "{{\"clients\":{},\"messages_per_second\":{:.3},\"deliveries_per_second\":{:.3},",
            "\"uptime_seconds\":{},\"connections_total\":{},\"messages_total\":{},",
            "\"limits\":{{\"max_chat_chars\":{},\"max_chat_bytes\":{},\"chat_per_second\":{},",
            "\"chat_burst\":{},\"max_message_bytes\":{},\"max_connections\":{}}}}}"
        ),
        hub.client_count(),
        rates.messages_per_second,
        rates.deliveries_per_second,
        hub.uptime().as_secs(),
        hub.metrics.sessions_opened.load(Relaxed),
        hub.metrics.chats_relayed.load(Relaxed),
        config.max_chat_chars,
        config.max_chat_bytes,
        config.chat_rate,
        config.chat_burst,
        config.max_message_bytes,
        config.max_connections,
    )
}
