//! The accept loop: `run` serves until its shutdown future resolves, then closes every
//! session with 1001 and waits for them (and aborts what is left after the timeout).

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tracing::{debug, error, info, warn};

use crate::admission::Refusal;
use crate::config::{Config, FALLBACK_MAX_CONNECTIONS, RESERVED_FILE_DESCRIPTORS, open_file_limit};
use crate::connection::{self, Opened};
use crate::http::{HeadError, HeadReader, Response};
use crate::load;
use crate::logging::BurstLog;
use crate::metrics::Refused;
use crate::routes;
use crate::services::Services;
use crate::state::ServerState;
use crate::thread_priority;
use crate::tls;

/// How long the accept loop pauses when accepting fails (out of file descriptors, or memory),
/// so it does not spin while connections end and free some.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Connections the kernel may hold waiting for `accept`. Tokio's default (1024) overflows when
/// thousands of clients connect at once (a server restart under load, a benchmark), and the
/// kernel then drops SYNs, which clients see as one-second retransmit stalls. The kernel caps it
/// at `net.core.somaxconn`.
pub const LISTEN_BACKLOG: u32 = 4096;

/// Connections the metrics listener (`Config::metrics_addr`) serves at once: it is for one or
/// two monitoring systems, and each connection is one short request. Others are closed at once.
const MAX_METRICS_CONNECTIONS: usize = 8;

/// How long the shutdown waits for the last best scores to be written.
const SCORES_AT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// How often rates are sampled for `/api/status` and settled addresses forgotten.
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(1);

/// Listens on `address` ("host:port"), with `SO_REUSEADDR` so a restarted server can take its
/// port back at once, and `LISTEN_BACKLOG`. The unspecified IPv6 address (`[::]:port`)
/// listens on IPv6 and IPv4 both (one dual-stack socket), falling back to IPv4 alone where
/// the host has no IPv6; other addresses listen on what they name (the first that binds).
pub async fn bind(address: &str) -> io::Result<TcpListener> {
    let mut last_error = None;
    for resolved in tokio::net::lookup_host(address).await? {
        match bind_one(resolved) {
            Ok(listener) => return Ok(listener),
            Err(error) if resolved.ip() == IpAddr::V6(Ipv6Addr::UNSPECIFIED) => {
                let v4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), resolved.port());
                warn!("cannot listen on IPv6 ({error}); listening on IPv4 only");
                return bind_one(v4);
            }
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

fn bind_one(address: SocketAddr) -> io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, None)?;
    if address.ip() == IpAddr::V6(Ipv6Addr::UNSPECIFIED) {
        // Whatever the system's default (Linux: net.ipv6.bindv6only), `[::]` takes both.
        socket.set_only_v6(false)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    socket.listen(i32::try_from(LISTEN_BACKLOG).unwrap_or(i32::MAX))?;
    TcpListener::from_std(socket.into())
}

/// Serves clients on `listener` until `shutdown` resolves; then stops accepting, sends every
/// client close 1001 and waits up to `config.shutdown_timeout` for them to go, aborting what
/// is left. Fails at once, with `InvalidInput`, when `config.validate()` refuses the
/// configuration.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    run_with(listener, config, Services::default(), shutdown).await
}

/// `run`, with optional parts such as an account store.
pub async fn run_with(
    listener: TcpListener,
    config: Config,
    services: Services,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    config
        .validate()
        .map_err(|invalid| io::Error::new(io::ErrorKind::InvalidInput, invalid))?;
    let tls = tls::load(&config)
        .map_err(|invalid| io::Error::new(io::ErrorKind::InvalidInput, invalid))?;
    let mut services = services;
    let mut cluster = None;
    if config.nats.is_some() && services.rooms.is_none() {
        let broker = Arc::new(crate::cluster::NatsBroker::connect(&config).await?);
        services.rooms = Some(Arc::clone(&broker) as Arc<dyn crate::rooms::RoomBroker>);
        cluster = Some(broker);
    }
    let mut state = ServerState::with_services(config, socket_budget(), services);
    if let Some(broker) = cluster {
        broker.play_worlds(&state.worlds).await?;
    }
    state.tls = tls;
    serve(listener, state, shutdown).await
}

/// Every socket the process may hold open at once: the open-file limit less what it needs
/// for everything else.
fn socket_budget() -> usize {
    open_file_limit().map_or(FALLBACK_MAX_CONNECTIONS, |limit| {
        limit.saturating_sub(RESERVED_FILE_DESCRIPTORS).max(1)
    })
}

/// The loop behind `run`, on a prepared state.
pub(crate) async fn serve(
    listener: TcpListener,
    state: ServerState,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let state = Arc::new(state);
    let metrics_listener = match &state.config.metrics_addr {
        Some(address) => Some(bind(address).await.map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("cannot listen for metrics on {address}: {error}"),
            )
        })?),
        None => None,
    };
    info!("Starting server on {}", listener.local_addr()?);
    if let Some(cert) = state.tls.as_ref().and(state.config.tls_cert.as_ref()) {
        info!(
            "Serving https:// and wss:// with the certificate in {}",
            cert.display()
        );
    }
    let metrics_server = match metrics_listener {
        Some(metrics_listener) => {
            info!("Serving metrics on {}", metrics_listener.local_addr()?);
            Some(tokio::spawn(serve_metrics(
                metrics_listener,
                Arc::clone(&state),
            )))
        }
        None => None,
    };
    info!("Awaiting client registrations");
    let address = listener
        .local_addr()
        .ok()
        .map(|address| address.to_string());
    let housekeeping = tokio::spawn(keep_house(Arc::clone(&state), address));
    // Only rooms that may batch need to know how busy the server is; a cluster's server also
    // by how long its threads wait for a core (see `load`).
    let core_waits = if state.config.nats.is_some() {
        load::CoreWaits::Counted
    } else {
        load::CoreWaits::Ignored
    };
    let load_sampler = (!state.config.write_coalesce_ms.is_zero()
        && state.config.write_coalesce_busy_percent > 0)
        .then(|| {
            tokio::spawn(load::sample_load(
                Arc::clone(state.rooms.load()),
                core_waits,
            ))
        });
    let score_writer = state.accounts.clone().map(|store| {
        let scores = Arc::clone(&state.worlds.scores);
        tokio::spawn(async move { scores.keep_writing(store).await })
    });
    // New connections are accepted, and their requests read and answered, on a thread of
    // their own at a lower scheduling priority; open sessions are served here. See `ACCEPTOR`.
    let (stop, stopped) = oneshot::channel::<()>();
    let (done, acceptor_done) = oneshot::channel::<io::Result<()>>();
    let listener = listener.into_std()?;
    let main = tokio::runtime::Handle::current();
    let acceptor_state = Arc::clone(&state);
    let acceptor = std::thread::Builder::new()
        .name(ACCEPTOR.to_owned())
        .spawn(move || {
            lower_this_threads_priority();
            let accepting = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .and_then(|runtime| {
                    runtime.block_on(accept_until_stopped(
                        listener,
                        acceptor_state,
                        main,
                        stopped,
                    ))
                });
            let _ = done.send(accepting);
        })?;
    tokio::pin!(shutdown);
    tokio::pin!(acceptor_done);
    let outcome = tokio::select! {
        () = &mut shutdown => {
            let _ = stop.send(());
            (&mut acceptor_done).await
        }
        early = &mut acceptor_done => early,
    };
    // The acceptor has returned, or is gone: joining takes no time.
    let _ = acceptor.join();
    housekeeping.abort();
    if let Some(load_sampler) = load_sampler {
        load_sampler.abort();
    }
    // Every session has ended: the worlds stop (each within a tick), then the best scores
    // they recorded are written, whatever the writer had not got to yet.
    let worlds_state = Arc::clone(&state);
    let _ = tokio::task::spawn_blocking(move || worlds_state.worlds.shut_down()).await;
    if let Some(writer) = score_writer {
        writer.abort();
    }
    if let Some(store) = &state.accounts {
        let written = tokio::time::timeout(
            SCORES_AT_SHUTDOWN_TIMEOUT,
            state.worlds.scores.write_pending(store.as_ref()),
        )
        .await;
        if !matches!(written, Ok(true)) {
            error!("some best scores could not be written before the server stopped");
        }
    }
    if let Some(metrics_server) = metrics_server {
        metrics_server.abort();
    }
    let outcome = outcome.unwrap_or_else(|_| Err(io::Error::other("the acceptor thread failed")));
    if outcome.is_ok() {
        info!("Server stopped");
    }
    outcome
}

/// The name of the thread that accepts connections and reads their requests. It runs at a
/// lower scheduling priority (`ACCEPTOR_NICENESS`) than the threads serving open sessions, so
/// that when the machine is busy a storm of connections waits rather than the players already
/// here: on the 2-core benchmark machine, 5,000 clients connecting and disconnecting as fast
/// as they can moved a busy room's p99 latency 4x with one shared pool of threads (see
/// docs/benchmarks.md). Handing an open session to the main runtime costs two `epoll_ctl`
/// calls.
pub const ACCEPTOR: &str = "mmo-acceptor";

/// The acceptor thread's nice value: 10 gives it about a tenth of a core's share against a
/// normal thread when both want the CPU, and all of it when nothing else does.
const ACCEPTOR_NICENESS: i32 = 10;

fn lower_this_threads_priority() {
    if let Err(error) = thread_priority::set_this_threads_nice(ACCEPTOR_NICENESS) {
        debug!("cannot lower the acceptor thread's priority: {error}");
    }
}

/// What the acceptor tracks: requests being read and answered (on its own runtime) and
/// open sessions (on the main runtime), so that a shutdown can wait for all of them.
struct Connections {
    opening: JoinSet<Option<Opened>>,
    open: JoinSet<()>,
}

impl Connections {
    /// Takes an opening task's end: a session it opened is moved to the main runtime and
    /// served there; a panic is counted.
    fn hand_over(
        &mut self,
        state: &ServerState,
        main: &tokio::runtime::Handle,
        ended: Result<Option<Opened>, tokio::task::JoinError>,
    ) {
        match ended {
            Ok(Some(opened)) => {
                let _on_main = main.enter();
                match opened.rehome() {
                    Ok(opened) => {
                        self.open.spawn_on(opened.live(), main);
                    }
                    Err(error) => debug!("cannot hand a session over: {error}"),
                }
            }
            Ok(None) => {}
            ended @ Err(_) => Self::reap(state, ended),
        }
    }

    fn reap(state: &ServerState, ended: Result<impl Sized, tokio::task::JoinError>) {
        if let Err(failure) = ended {
            if failure.is_panic() {
                // The session's own cleanup ran as its task unwound.
                state.metrics.tasks_panicked.inc();
                error!("a connection's task panicked; its client was disconnected");
            }
        }
    }
}

/// Accepts connections until `stopped`, then closes every session and waits for them.
async fn accept_until_stopped(
    listener: std::net::TcpListener,
    state: Arc<ServerState>,
    main: tokio::runtime::Handle,
    mut stopped: oneshot::Receiver<()>,
) -> io::Result<()> {
    let listener = TcpListener::from_std(listener)?;
    let accept_errors = BurstLog::new(Duration::from_secs(10));
    let mut connections = Connections {
        opening: JoinSet::new(),
        open: JoinSet::new(),
    };
    let refusal_slots = Arc::new(Semaphore::new(MAX_REFUSALS_ANSWERING));
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            Some(ended) = connections.opening.join_next(), if !connections.opening.is_empty() => {
                connections.hand_over(&state, &main, ended);
            }
            Some(ended) = connections.open.join_next(), if !connections.open.is_empty() => {
                Connections::reap(&state, ended);
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, address)) => {
                    state.metrics.connections_accepted.inc();
                    match state.admission.admit(address.ip(), Instant::now()) {
                        Ok(ticket) => {
                            if ticket.displaced > 0 {
                                debug!(
                                    "{address}: taken on in place of {} connections that had \
                                     not sent their request",
                                    ticket.displaced
                                );
                            }
                            connections.opening.spawn(connection::handle(Box::new(connection::Accepted {
                                stream,
                                address,
                                state: Arc::clone(&state),
                                ticket,
                            })));
                        }
                        Err(refusal) => {
                            count_refusal(address, refusal, &state);
                            match Arc::clone(&refusal_slots).try_acquire_owned() {
                                // Answered properly: the response, then a graceful close.
                                Ok(slot) => {
                                    connections.opening.spawn(async move {
                                        answer_refusal(stream, refusal, slot).await;
                                        None
                                    });
                                }
                                // Too many refusals at once to answer each with care: one
                                // write, and the socket goes.
                                Err(_) => {
                                    let _ = stream.try_write(&refusal_response(refusal).to_bytes());
                                }
                            }
                        }
                    }
                }
                Err(error) => {
                    state.metrics.accept_errors.inc();
                    if let Some(left_out) = accept_errors.occur(Instant::now()) {
                        warn!(
                            "accept failed: {error}; pausing {ACCEPT_BACKOFF:?} \
                             ({left_out} more since the last such line)"
                        );
                    }
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            }
        }
    }
    drop(listener);
    info!(
        "Shutting down: closing {} client connections",
        state.sessions.count()
    );
    state.begin_shutdown();
    let timeout = state.config.shutdown_timeout;
    let drained = tokio::time::timeout(timeout, async {
        // A request still being read sees the shutdown and is answered 503; a session that
        // opens meanwhile is told to close at once, and is served until it has.
        while let Some(ended) = connections.opening.join_next().await {
            connections.hand_over(&state, &main, ended);
        }
        while let Some(ended) = connections.open.join_next().await {
            Connections::reap(&state, ended);
        }
    })
    .await;
    if drained.is_err() {
        let left = connections.opening.len() + connections.open.len();
        connections.opening.abort_all();
        connections.open.abort_all();
        while connections.opening.join_next().await.is_some() {}
        while connections.open.join_next().await.is_some() {}
        warn!(
            "{left} connections were still open after {timeout:?}; closed them without waiting further"
        );
    }
    Ok(())
}

/// Serves the metrics listener until aborted: each connection's one request is answered by
/// `routes::respond_on_metrics_port`, at most `MAX_METRICS_CONNECTIONS` at once.
async fn serve_metrics(listener: TcpListener, state: Arc<ServerState>) {
    let slots = Arc::new(Semaphore::new(MAX_METRICS_CONNECTIONS));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                debug!("metrics listener: accept failed: {error}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            continue;
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let _slot = slot;
            let timeout = state.config.handshake_timeout;
            let mut stream = stream;
            let mut head = HeadReader::default();
            let response = match tokio::time::timeout(timeout, head.read(&mut stream)).await {
                Ok(Ok((head, _))) => routes::respond_on_metrics_port(&head, &state),
                Ok(Err(HeadError::Closed(_))) => return,
                Ok(Err(error)) => Response::text(error.status(), &error.to_string()),
                Err(_) => {
                    let error = HeadError::TimedOut(timeout);
                    Response::text(error.status(), &error.to_string())
                }
            };
            let _ = response.send(stream, timeout).await;
        });
    }
}

/// Refused sockets answered at once, each by a task of its own that writes the response and
/// closes gracefully (closing a socket the client has written to, without reading, would send
/// a reset that can destroy the response). Past this many, a refusal gets one non-blocking
/// write and the socket is closed at once: a flood of refusals cannot hold many descriptors.
/// Part of `RESERVED_FILE_DESCRIPTORS`.
pub const MAX_REFUSALS_ANSWERING: usize = 32;

/// How long a refused socket may take to be answered and closed.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);

fn count_refusal(address: SocketAddr, refusal: Refusal, state: &ServerState) {
    let kind = match refusal {
        Refusal::ServerFull => Refused::ServerFull,
        Refusal::AddressBusy { .. } => Refused::AddressBusy,
        Refusal::TooFast { .. } => Refused::AddressTooFast,
    };
    state.metrics.connections_refused.inc(kind);
    if let Some(left_out) = state.admission.log_for(refusal).occur(Instant::now()) {
        info!("{address}: refused: {refusal} ({left_out} more like it since the last such line)");
    }
}

fn refusal_response(refusal: Refusal) -> Response {
    Response::text(refusal.status(), &refusal.to_string())
        .header("Retry-After", refusal.retry_after_seconds().to_string())
}

async fn answer_refusal(stream: TcpStream, refusal: Refusal, slot: OwnedSemaphorePermit) {
    let _ = refusal_response(refusal)
        .send(stream, REFUSAL_TIMEOUT)
        .await;
    drop(slot);
}

/// Samples rates, forgets settled addresses and reports the ends of refusal bursts every
/// second, tells the cluster's other servers how this one stands (its clients, and `address`,
/// where it listens) as often, and checks for idle clients every
/// `Config::idle_check_interval`.
async fn keep_house(state: Arc<ServerState>, address: Option<String>) {
    let tick = HOUSEKEEPING_INTERVAL.min(state.config.idle_check_interval());
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_idle_check = Instant::now();
    let mut last_chores = Instant::now();
    loop {
        let now = ticker.tick().await.into_std();
        if now.saturating_duration_since(last_idle_check) >= state.config.idle_check_interval() {
            last_idle_check = now;
            state.check_idle();
        }
        if now.saturating_duration_since(last_chores) >= HOUSEKEEPING_INTERVAL {
            last_chores = now;
            state.rates.sample(&state.metrics, now);
            state.admission.forget_settled(now);
            state.log_overdue_refusals();
            state
                .rooms
                .report_local(state.sessions.count(), address.as_deref());
        }
    }
}

/// Entry points for tests of the WebSocket layer itself. Not part of the `mmo-server` binary.
#[doc(hidden)]
pub mod testing {
    use super::*;

    /// Serves like `run`, but every session echoes each data message back to its sender (text
    /// as text, binary as binary) instead of handling it: an endpoint for the Autobahn
    /// WebSocket conformance suite that runs the server's own handshake, framing, UTF-8
    /// checks, control frames and closing code.
    pub async fn run_echo(
        listener: TcpListener,
        config: Config,
        shutdown: impl Future<Output = ()> + Send,
    ) -> io::Result<()> {
        config
            .validate()
            .map_err(|invalid| io::Error::new(io::ErrorKind::InvalidInput, invalid))?;
        let mut state = ServerState::new(config, socket_budget());
        state.echo = true;
        serve(listener, state, shutdown).await
    }
}
