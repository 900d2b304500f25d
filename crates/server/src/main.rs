//! The `mmo-server` binary: flags, logging and signals around `mmo_server::run`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use mmo_protocol::ChatLimits;
use mmo_server::Config;
use tracing::error;

/// The mmo game server: a WebSocket chat relay for Godot 4, web and terminal clients.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Flags {
    /// Address to listen on: `::` is every IPv6 and IPv4 address (IPv4 alone where the host
    /// has no IPv6); `0.0.0.0` is IPv4 only.
    #[arg(long, env = "MMO_HOST", default_value = "::")]
    host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "MMO_PORT", default_value_t = 8080)]
    port: u16,
    /// Most WebSocket sessions at once [default: open-file limit less 100].
    #[arg(long, env = "MMO_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Largest inbound message in bytes; larger closes the connection with 1009.
    #[arg(long, env = "MMO_MAX_MESSAGE_BYTES", default_value_t = 65_536)]
    max_message_bytes: usize,
    /// Most characters in one chat line.
    #[arg(long, env = "MMO_MAX_CHAT_CHARS", default_value_t = ChatLimits::default().max_chars)]
    max_chat_chars: usize,
    /// Most UTF-8 bytes in one chat line.
    #[arg(long, env = "MMO_MAX_CHAT_BYTES", default_value_t = ChatLimits::default().max_bytes)]
    max_chat_bytes: usize,
    /// Chat lines per second per client (token bucket); 0 means unlimited.
    #[arg(long, env = "MMO_CHAT_RATE", default_value_t = 5.0)]
    chat_rate: f64,
    /// Chat lines a client may send in a burst.
    #[arg(long, env = "MMO_CHAT_BURST", default_value_t = 10)]
    chat_burst: u32,
    /// Most bytes queued for one client before it is dropped as too slow (close 1008).
    #[arg(long, env = "MMO_OUTBOUND_QUEUE_BYTES", default_value_t = 1024 * 1024)]
    outbound_queue_bytes: usize,
    /// Seconds of silence before a client is pinged.
    #[arg(long, env = "MMO_PING_INTERVAL", default_value_t = 20.0)]
    ping_interval: f64,
    /// Seconds of silence before a client is dropped as dead.
    #[arg(long, env = "MMO_IDLE_TIMEOUT", default_value_t = 60.0)]
    idle_timeout: f64,
    /// Seconds given to clients to close when the server shuts down.
    #[arg(long, env = "MMO_SHUTDOWN_TIMEOUT", default_value_t = 5.0)]
    shutdown_timeout: f64,
    /// Milliseconds after each write to a client during which frames for it are only queued,
    /// so that they go out together in one system call; 0 writes each batch at once.
    #[arg(long, env = "MMO_WRITE_COALESCE_MS", default_value_t = 5.0)]
    write_coalesce_ms: f64,
    /// Send a DisconnectMessage (field 19) to clients that know it (they have sent a field
    /// 4-19) when someone leaves their room.
    #[arg(
        long,
        env = "MMO_ANNOUNCE_LEAVES",
        default_value_t = true,
        num_args = 0..=1,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    announce_leaves: bool,
    /// Browser origins allowed to connect, comma-separated; empty allows any.
    #[arg(long, env = "MMO_ALLOWED_ORIGINS", value_delimiter = ',')]
    allowed_origins: Vec<String>,
    /// Threads that run client sessions [default: one per CPU]. On a machine whose cores are
    /// shared with other busy processes, fewer threads hand less work between cores.
    #[arg(long, env = "MMO_WORKER_THREADS")]
    worker_threads: Option<std::num::NonZeroUsize>,
}

impl Flags {
    fn into_config(self) -> Result<Config, String> {
        let seconds = |name: &str, value: f64| {
            Duration::try_from_secs_f64(value)
                .map_err(|_| format!("--{name} must be a non-negative number of seconds"))
        };
        let defaults = Config::default();
        Ok(Config {
            max_connections: self.max_connections.unwrap_or(defaults.max_connections),
            max_message_bytes: self.max_message_bytes,
            chat: ChatLimits {
                max_bytes: self.max_chat_bytes,
                max_chars: self.max_chat_chars,
            },
            chat_rate_per_second: self.chat_rate,
            chat_burst: self.chat_burst,
            outbound_queue_bytes: self.outbound_queue_bytes,
            ping_interval: seconds("ping-interval", self.ping_interval)?,
            idle_timeout: seconds("idle-timeout", self.idle_timeout)?,
            shutdown_timeout: seconds("shutdown-timeout", self.shutdown_timeout)?,
            write_coalesce: Duration::try_from_secs_f64(self.write_coalesce_ms / 1_000.0)
                .map_err(|_| "--write-coalesce-ms must be a non-negative number".to_owned())?,
            announce_leaves: self.announce_leaves,
            allowed_origins: self.allowed_origins,
            ..defaults
        })
    }
}

fn main() -> ExitCode {
    let flags = Flags::parse();
    tracing_subscriber::fmt()
        // Colours only for a person at a terminal, not in log files.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    // Before the config reads it: the default session limit follows the open-file limit.
    mmo_server::raise_open_file_limit();
    // An IPv6 address needs brackets before a port.
    let address = if flags.host.contains(':') && !flags.host.starts_with('[') {
        format!("[{}]:{}", flags.host, flags.port)
    } else {
        format!("{}:{}", flags.host, flags.port)
    };
    let worker_threads = flags.worker_threads;
    let config = match flags.into_config().and_then(|config| {
        config
            .validate()
            .map(|()| config)
            .map_err(|e| e.to_string())
    }) {
        Ok(config) => config,
        Err(message) => {
            error!("{message}");
            return ExitCode::from(2);
        }
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(threads) = worker_threads {
        runtime.worker_threads(threads.get());
    }
    let runtime = match runtime.build() {
        Ok(runtime) => runtime,
        Err(error) => {
            error!("cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let listener = match mmo_server::bind(&address).await {
            Ok(listener) => listener,
            Err(error) => {
                error!("cannot listen on {address}: {error}");
                return ExitCode::FAILURE;
            }
        };
        match mmo_server::run(listener, config, shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                error!("server failed: {error}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Resolves on the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {},
                    _ = terminate.recv() => {},
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("Shutdown signal received");
}
