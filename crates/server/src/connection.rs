//! One accepted connection before it is a session: its request head (raced against the
//! head timeout, eviction and shutdown), then either a plain HTTP answer or the WebSocket
//! upgrade into `session::serve`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::net::TcpStream;
use tracing::{debug, info};

use crate::admission::Ticket;
use crate::http::{HeadError, HeadReader, Response};
use crate::logging::Untrusted;
use crate::metrics::Refused;
use crate::routes;
use crate::session;
use crate::state::ServerState;
use crate::tls::TlsStream;
use crate::transport::Transport;
use crate::websocket::{HandshakeError, UpgradeRequest};

/// Serves one accepted TCP connection to its end, over TLS when the server has a certificate.
pub async fn handle(
    stream: TcpStream,
    address: SocketAddr,
    state: Arc<ServerState>,
    ticket: Ticket,
) {
    // We batch frames ourselves, so Nagle's delay would only add latency.
    let _ = stream.set_nodelay(true);
    match &state.tls {
        None => serve(stream, address, state, ticket).await,
        // The TLS handshake happens as the request head is read: under the same timeout,
        // eviction and shutdown as the head itself.
        Some(tls) => match TlsStream::new(stream, Arc::clone(tls)) {
            Ok(stream) => serve(stream, address, state, ticket).await,
            Err(error) => debug!("{address}: cannot start TLS: {error}"),
        },
    }
}

async fn serve<T: Transport>(
    mut transport: T,
    address: SocketAddr,
    state: Arc<ServerState>,
    mut ticket: Ticket,
) {
    let timeout = state.config.handshake_timeout;
    let mut head = HeadReader::default();
    let read = tokio::select! {
        biased;
        () = state.shutting_down() => {
            let _ = Response::text(503, "server shutting down")
                .header("Retry-After", "5")
                .send(transport, timeout)
                .await;
            return;
        }
        () = ticket.evicted() => {
            // Asked to give way. A request already complete in the socket is a client the
            // server had not got to yet (a connect storm): it stays. A silent or half-sent
            // one goes.
            match head.read_available(&mut transport) {
                Some(read) => read,
                None => {
                    state.metrics.connections_refused.inc(Refused::HandshakeEvicted);
                    if let Some(left_out) = state.admission.eviction_log().occur(Instant::now()) {
                        info!(
                            "{address}: dropped a connection that had not sent its request, to \
                             make room for a new one ({left_out} more since the last such line)"
                        );
                    }
                    return;
                }
            }
        }
        read = tokio::time::timeout(ticket.head_timeout, head.read(&mut transport)) => {
            read.unwrap_or(Err(HeadError::TimedOut(ticket.head_timeout)))
        }
    };
    ticket.handshake_done();
    let (head, early_bytes) = match read {
        Ok(read) => read,
        // rustls's errors are the only `InvalidData` a read gives: the TLS handshake failed.
        Err(HeadError::Closed(error)) if error.kind() == io::ErrorKind::InvalidData => {
            state.metrics.connections_refused.inc(Refused::Tls);
            state.log_refused_request(format_args!("{address}: TLS handshake failed: {error}"));
            return;
        }
        Err(HeadError::Closed(error)) => {
            debug!("{address}: no request: {error}");
            return;
        }
        Err(error) => {
            let (status, kind) = match error {
                HeadError::TooLarge => (431, Refused::BadRequest),
                HeadError::TimedOut(_) => (408, Refused::RequestTimeout),
                _ => (400, Refused::BadRequest),
            };
            state.metrics.connections_refused.inc(kind);
            state.log_refused_request(format_args!("{address}: refused: {error}"));
            let _ = Response::text(status, &error.to_string())
                .send(transport, timeout)
                .await;
            return;
        }
    };
    if head.path != "/ws" {
        state.metrics.http_requests.inc();
        let response = routes::respond(&head, &state);
        debug!(
            "{address}: {} {} -> {}",
            Untrusted(&head.method),
            Untrusted(&head.path),
            response.status()
        );
        let _ = response.send(transport, timeout).await;
        return;
    }
    let upgrade = match UpgradeRequest::from_request(&head.method, &head.raw_headers()) {
        Ok(upgrade) => upgrade,
        Err(refusal) => {
            state.metrics.connections_refused.inc(Refused::BadUpgrade);
            state.log_refused_request(format_args!("{address}: refused /ws request: {refusal}"));
            let _ = refuse_upgrade(&refusal).send(transport, timeout).await;
            return;
        }
    };
    if let Some(origin) = &upgrade.origin {
        let allowed = &state.config.allowed_origins;
        if !allowed.is_empty() && !allowed.iter().any(|o| o == origin) {
            state.metrics.connections_refused.inc(Refused::Origin);
            state.log_refused_request(format_args!(
                "{address}: refused WebSocket from origin {}",
                Untrusted(origin)
            ));
            let _ = Response::text(403, "this origin is not allowed")
                .send(transport, timeout)
                .await;
            return;
        }
    }
    let Some(slot) = state.sessions_slot() else {
        state.metrics.connections_refused.inc(Refused::ServerFull);
        state.log_refused_request(format_args!(
            "{address}: refused: server full ({} connections)",
            state.config.max_connections
        ));
        let _ = Response::text(503, "server full: too many connections, try again later")
            .header("Retry-After", "5")
            .send(transport, timeout)
            .await;
        return;
    };
    session::serve(
        transport,
        address,
        state,
        upgrade.response(),
        early_bytes,
        slot,
        ticket,
    )
    .await;
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
