//! Server configuration: every limit the server enforces, with its default and the reason for it.

use std::time::Duration;

use mmo_protocol::ChatLimits;

/// Everything `run` needs to know besides the listener. `Config::default()` is what
/// `mmo-server` runs with when given no flags.
#[derive(Clone, Debug)]
pub struct Config {
    /// Most WebSocket sessions at once; a client past it gets HTTP 503 before the upgrade.
    /// Each session holds one file descriptor, so the default is the process's open-file limit
    /// less `RESERVED_FILE_DESCRIPTORS` (see `default_max_connections`).
    pub max_connections: usize,
    /// Largest inbound WebSocket message, in bytes; a larger one closes the connection with 1009
    /// and nothing of it is relayed. 64 KiB: a Godot client cannot send more by default.
    pub max_message_bytes: usize,
    /// Limits on one chat line; a line over them is not relayed and its sender gets a
    /// `DenyResponseMessage` saying why.
    pub chat: ChatLimits,
    /// Chat lines per second each client may send on average (a token bucket); 0 means no
    /// limit. Lines over the rate are refused with a `DenyResponseMessage`, not relayed.
    pub chat_rate_per_second: f64,
    /// How many chat lines a client may send in a burst before the rate applies.
    pub chat_burst: u32,
    /// Most bytes waiting to be written to one client. A client that falls this far behind is
    /// disconnected with close code 1008 "too slow", so one slow reader can neither hold
    /// memory without bound nor make the server skip messages for it. 1 MiB holds thousands
    /// of chat lines: only a client that stopped reading gets there.
    pub outbound_queue_bytes: usize,
    /// How often a client that has sent nothing is pinged (Godot answers pings by itself).
    pub ping_interval: Duration,
    /// A client silent for this long (no frame, no pong) is taken for dead and dropped.
    pub idle_timeout: Duration,
    /// Time a new connection has to send its HTTP request head.
    pub handshake_timeout: Duration,
    /// Time a client has to answer our close frame before its socket is dropped.
    pub close_timeout: Duration,
    /// On shutdown, time given to all clients to finish their close handshakes.
    pub shutdown_timeout: Duration,
    /// Whether the other clients get a `DisconnectMessage` when a client leaves.
    pub announce_leaves: bool,
    /// Origins (e.g. `https://game.example`) allowed to open a WebSocket from a browser; empty
    /// allows any. Non-browser clients, such as Godot, send no `Origin` and are always allowed.
    pub allowed_origins: Vec<String>,
}

/// File descriptors kept free for the listener, HTTP requests, logs and the runtime when the
/// session limit is derived from the open-file limit.
pub const RESERVED_FILE_DESCRIPTORS: usize = 100;

/// The session limit used when the open-file limit cannot be read.
pub const FALLBACK_MAX_CONNECTIONS: usize = 10_000;

impl Default for Config {
    fn default() -> Self {
        Self {
            max_connections: default_max_connections(),
            max_message_bytes: 64 * 1024,
            chat: ChatLimits::default(),
            chat_rate_per_second: 5.0,
            chat_burst: 10,
            outbound_queue_bytes: 1024 * 1024,
            ping_interval: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            handshake_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(3),
            shutdown_timeout: Duration::from_secs(5),
            announce_leaves: true,
            allowed_origins: Vec::new(),
        }
    }
}

/// The process's open-file limit less `RESERVED_FILE_DESCRIPTORS`: as many sessions as the
/// process can hold sockets for, with room left to answer the next client with a 503.
pub fn default_max_connections() -> usize {
    open_file_limit()
        .map(|limit| limit.saturating_sub(RESERVED_FILE_DESCRIPTORS).max(1))
        .unwrap_or(FALLBACK_MAX_CONNECTIONS)
}

/// Raises the soft open-file limit to the hard one (many systems start processes at 1,024)
/// and returns the new soft limit.
pub fn raise_open_file_limit() -> Option<usize> {
    let (_, hard) = read_limit()?;
    set_soft_limit(hard);
    open_file_limit()
}

fn open_file_limit() -> Option<usize> {
    read_limit().and_then(|(soft, _)| usize::try_from(soft).ok())
}

#[allow(unsafe_code)]
fn read_limit() -> Option<(libc::rlim_t, libc::rlim_t)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes to the struct we pass, which lives for the call.
    let status = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    (status == 0).then_some((limit.rlim_cur, limit.rlim_max))
}

#[allow(unsafe_code)]
fn set_soft_limit(soft: libc::rlim_t) {
    let Some((_, hard)) = read_limit() else { return };
    let limit = libc::rlimit {
        rlim_cur: soft.min(hard),
        rlim_max: hard,
    };
    // SAFETY: setrlimit only reads the struct we pass; failure leaves the limit unchanged.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_session_limit_leaves_descriptors_free() {
        let limit = open_file_limit().expect("getrlimit works on Linux");
        assert_eq!(
            default_max_connections(),
            limit.saturating_sub(RESERVED_FILE_DESCRIPTORS).max(1)
        );
    }

    #[test]
    fn defaults_fit_a_godot_client() {
        let config = Config::default();
        assert!(config.max_message_bytes >= 65_535);
        assert!(config.idle_timeout > config.ping_interval);
    }
}
