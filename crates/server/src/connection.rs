//! One accepted connection before it is a session: its request head (raced against the
//! head timeout, eviction and shutdown), then either a plain HTTP answer or the WebSocket
//! upgrade into a session (`session::open`, then `Opened::live`).

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
use crate::session::{self, Session};
use crate::state::{ServerState, SessionSlot};
use crate::tls::TlsStream;
use crate::transport::{self, Transport};
use crate::websocket::{HandshakeError, UpgradeRequest, WEBSOCKET_PATH};

/// A TCP connection just accepted and admitted.
#[derive(Debug)]
pub struct Accepted {
    /// The socket.
    pub stream: TcpStream,
    /// The client's address.
    pub address: SocketAddr,
    /// The server.
    pub state: Arc<ServerState>,
    /// Its admission.
    pub ticket: Ticket,
}

/// An open session, ready to be served.
pub enum Opened {
    /// Over plain TCP.
    Plain(Box<Session<Arc<TcpStream>>>),
    /// Over TLS.
    Tls(Box<Session<TlsStream>>),
}

impl Opened {
    /// The same session, its connection now driven by the runtime this is called in.
    pub fn rehome(self) -> io::Result<Self> {
        Ok(match self {
            Self::Plain(session) => Self::Plain(Box::new((*session).rehome()?)),
            Self::Tls(session) => Self::Tls(Box::new((*session).rehome()?)),
        })
    }

    /// Serves the session to its end.
    ///
    /// Memory matters here: a task keeps its whole size allocated for as long as it lives,
    /// that size is its largest state, and most sessions spend their lives idle. So the task
    /// holds only a pointer to the session and what serving it needs; the greeting at the
    /// start (`Session::live`) and the graceful close at the end are boxed, and a TLS
    /// session's serving is boxed too, so that a plain session's task is not sized for it.
    pub async fn live(self) {
        match self {
            Self::Plain(mut session) => session.live().await,
            Self::Tls(mut session) => Box::pin(async move { session.live().await }).await,
        }
    }
}

/// Reads a connection's request and answers it, over TLS when the server has a
/// certificate; for an upgrade the server takes on, returns the session it opened, to be
/// served by the caller.
pub async fn handle(accepted: Box<Accepted>) -> Option<Opened> {
    transport::set_accepted_options(
        &accepted.stream,
        accepted.state.config.socket_send_buffer_bytes,
    );
    let Accepted {
        stream,
        address,
        state,
        ticket,
    } = *accepted;
    match state.tls.clone() {
        // Shared: a room's batch may write to a session's stream too (`Outbox::set_direct`).
        None => open(Arc::new(stream), address, state, ticket)
            .await
            .map(Opened::Plain),
        // The TLS handshake happens as the request head is read: under the same timeout,
        // eviction and shutdown as the head itself.
        Some(tls) => match TlsStream::new(stream, tls) {
            Ok(stream) => Box::pin(open(stream, address, state, ticket))
                .await
                .map(Opened::Tls),
            Err(error) => {
                debug!("{address}: cannot start TLS: {error}");
                None
            }
        },
    }
}

/// The request, answered; or, for an upgrade the server takes on, the session it opens (on
/// the heap, so that moving it out of this future does not leave a second copy's room in the
/// task's).
async fn open<T: Transport>(
    transport: T,
    address: SocketAddr,
    state: Arc<ServerState>,
    ticket: Ticket,
) -> Option<Box<Session<T>>> {
    let upgrade = answer_request(transport, address, &state, ticket).await?;
    session::open(
        upgrade.transport,
        address,
        state,
        upgrade.handshake,
        upgrade.early_bytes,
        upgrade.slot,
        upgrade.ticket,
    )
    .await
    .map(Box::new)
}

/// A request to `/ws` that may become a session: what `session::open` needs.
struct Upgrade<T> {
    transport: T,
    handshake: String,
    early_bytes: Vec<u8>,
    slot: SessionSlot,
    ticket: Ticket,
}

/// Reads the request and answers it, unless it is an upgrade the server takes on: that is
/// returned, to become a session.
async fn answer_request<T: Transport>(
    mut transport: T,
    address: SocketAddr,
    state: &Arc<ServerState>,
    mut ticket: Ticket,
) -> Option<Upgrade<T>> {
    let timeout = state.config.handshake_timeout;
    let mut head = HeadReader::default();
    let read = tokio::select! {
        biased;
        () = state.shutting_down() => {
            let _ = Response::text(503, "server shutting down")
                .header("Retry-After", "5")
                .send(transport, timeout)
                .await;
            return None;
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
                    return None;
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
            return None;
        }
        Err(HeadError::Closed(error)) => {
            debug!("{address}: no request: {error}");
            return None;
        }
        Err(error) => {
            let kind = match error {
                HeadError::TimedOut(_) => Refused::RequestTimeout,
                _ => Refused::BadRequest,
            };
            state.metrics.connections_refused.inc(kind);
            state.log_refused_request(format_args!("{address}: refused: {error}"));
            let _ = Response::text(error.status(), &error.to_string())
                .send(transport, timeout)
                .await;
            return None;
        }
    };
    if head.path != WEBSOCKET_PATH {
        if routes::asks_for_websocket(&head) {
            // Answered 404 by `routes`: a client whose URL lacks `/ws`, worth an operator's
            // eye like the other refused upgrades.
            state.metrics.connections_refused.inc(Refused::BadUpgrade);
            state.log_refused_request(format_args!(
                "{address}: refused a WebSocket upgrade to {}: the endpoint is {WEBSOCKET_PATH}",
                Untrusted(&head.path),
            ));
        } else {
            state.metrics.http_requests.inc();
        }
        let response = routes::respond(&head, state);
        debug!(
            "{address}: {} {} -> {}",
            Untrusted(&head.method),
            Untrusted(&head.path),
            response.status()
        );
        let _ = response.send(transport, timeout).await;
        return None;
    }
    let upgrade = match UpgradeRequest::from_request(&head.method, &head.raw_headers()) {
        Ok(upgrade) => upgrade,
        Err(refusal) => {
            state.metrics.connections_refused.inc(Refused::BadUpgrade);
            state.log_refused_request(format_args!("{address}: refused /ws request: {refusal}"));
            let _ = refuse_upgrade(&refusal).send(transport, timeout).await;
            return None;
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
            return None;
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
        return None;
    };
    Some(Upgrade {
        transport,
        handshake: upgrade.response(),
        early_bytes,
        slot,
        ticket,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The size of the future `serve` (such as `Opened::live`) returns, without calling it.
    fn size_of_future<Fut>(_serve: impl FnOnce(Opened) -> Fut) -> usize {
        std::mem::size_of::<Fut>()
    }

    /// An idle client costs its task, its boxed session and its peer (about 1.7 KB of RSS in
    /// all with its socket registration and table entries; docs/benchmarks.md, "Issue 17:
    /// idle memory, closed"): a field or an await that makes one of them larger shows here
    /// first. The session and the peer are sized to their allocator blocks (glibc: a request
    /// plus 8 bytes, rounded up to 16): 312 bytes (a 320-byte block) and 200 (216 with the
    /// `Arc`'s counts: a 224-byte block). A field that must be added to either is better
    /// boxed if only some clients use it.
    #[test]
    fn an_idle_sessions_task_and_state_stay_small() {
        let task_bytes = size_of_future(Opened::live);
        let session_bytes = std::mem::size_of::<Session<Arc<TcpStream>>>();
        let peer_bytes = std::mem::size_of::<crate::peer::Peer>();
        assert!(
            task_bytes <= 512,
            "an open session's task is {task_bytes} bytes"
        );
        assert!(
            session_bytes <= 312,
            "an open session is {session_bytes} bytes"
        );
        assert!(peer_bytes <= 200, "a peer is {peer_bytes} bytes");
    }
}
