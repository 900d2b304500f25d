//! Server configuration: every limit the server enforces, with its default and the reason for it.

use std::time::Duration;

use mmo_protocol::ChatLimits;

use crate::admission::AddressPrefix;

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
    /// Whether tutorial-level members of a room (clients that have sent a field 4–19, and so
    /// know field 19) get a `DisconnectMessage` when someone leaves it. Clients that have not
    /// are never sent one (see docs/protocol.md), and this project's clients see presence.
    pub announce_leaves: bool,
    /// Most sockets that have connected but not finished their request head, server-wide.
    /// Past it, the oldest such socket of the address holding the most is dropped to make
    /// room: idle or half-sent connections cannot keep a client that talks out. The default,
    /// an eighth of the open-file limit (16 to 1,024), is far above what real clients leave
    /// pending (each sends its head within a round trip of connecting).
    pub max_pending_handshakes: usize,
    /// Most sockets one address may have waiting to finish their request head; past it, that
    /// address's oldest one is dropped. 64 covers a NAT full of players reconnecting at once.
    pub max_pending_per_address: usize,
    /// Most connections (sessions and requests) at once from one address (an IPv4 address or
    /// an IPv6 /64, which is what one household or site gets). 1,000 lets a campus of players
    /// behind one NAT address play; a client past it gets HTTP 429.
    pub max_connections_per_address: usize,
    /// Connection attempts per second one address may make on average (a token bucket); a
    /// client over it gets HTTP 429 with `Retry-After`.
    pub connect_rate_per_address: f64,
    /// Connection attempts one address may make at once before the rate applies: a whole
    /// campus may reconnect together after a restart.
    pub connect_burst_per_address: u32,
    /// Addresses the per-address limits do not apply to: by default loopback, where a
    /// reverse proxy on the same host (every client then comes from it) and local load tests
    /// connect from. The server-wide limits and the pending-handshake bounds still apply.
    pub address_limit_exempt: Vec<AddressPrefix>,
    /// Most rooms at once, the lobby included; each holds its members and its history.
    pub max_rooms: usize,
    /// Most members of one room other than the lobby (every client starts in the lobby, so it
    /// has none); also the most members one `RoomMessage` lists. A room's fan-out is one frame
    /// per member per line, and 1,000 members with the default history keep a `RoomMessage`
    /// under the 64 KiB a Godot client accepts by default.
    pub max_room_members: usize,
    /// Longest room name, in characters.
    pub max_room_name_chars: usize,
    /// Chat lines of history each room keeps for newcomers; 0 keeps none.
    pub room_history_lines: usize,
    /// Bytes of history each room keeps at most (text plus 48 bytes a line), whatever the
    /// line count: bounds a room's memory and its `RoomMessage`.
    pub room_history_bytes: usize,
    /// Room joins per second per client (token bucket): each join costs two presence fan-outs
    /// and a history copy.
    pub join_rate_per_second: f64,
    /// Joins a client may make in a burst.
    pub join_burst: u32,
    /// Most rooms one `RoomListMessage` lists (the biggest first), so it stays small.
    pub room_list_max: usize,
    /// Time after each write to a client during which frames for it are only queued: when it
    /// has passed, everything queued meanwhile goes out in one vectored write. Under a fan-out
    /// the server's cost is mostly one system call per write (~3 µs each on loopback, against
    /// ~0.2 µs per chat frame), so this trades at most this much added latency for far fewer
    /// writes. A client sent something only now and then is written to at once, as its
    /// previous write is more than this long ago. Zero writes each batch as soon as the
    /// client's task runs.
    pub write_coalesce: Duration,
    /// Origins (e.g. `https://game.example`) allowed to open a WebSocket from a browser; empty
    /// allows any. Non-browser clients, such as Godot, send no `Origin` and are always allowed.
    pub allowed_origins: Vec<String>,
}

/// Default `Config::write_coalesce`: 5 ms, half the 10 ms latency budget of a busy relay. On the
/// 2-core benchmark machine it cut server CPU per delivery by about 30% at 1.5 million and 40%
/// at 0.75 million deliveries per second to 1,000 clients, and p99 latency to less than half,
/// as the load generator on the same cores had fewer reads to do (see docs/benchmarks.md).
pub const DEFAULT_WRITE_COALESCE: Duration = Duration::from_millis(5);

/// Longest `Config::write_coalesce` accepted: past it, players would see chat arrive in
/// visible bursts.
pub const MAX_WRITE_COALESCE: Duration = Duration::from_millis(100);

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
            write_coalesce: DEFAULT_WRITE_COALESCE,
            announce_leaves: true,
            allowed_origins: Vec::new(),
            max_pending_handshakes: default_max_pending_handshakes(),
            max_pending_per_address: 64,
            max_connections_per_address: 1_000,
            connect_rate_per_address: 50.0,
            connect_burst_per_address: 1_000,
            address_limit_exempt: AddressPrefix::loopback(),
            max_rooms: 1_000,
            max_room_members: 1_000,
            max_room_name_chars: 32,
            room_history_lines: 50,
            room_history_bytes: 32 * 1024,
            join_rate_per_second: 2.0,
            join_burst: 5,
            room_list_max: 100,
        }
    }
}

/// A setting that cannot work, found by `Config::validate` before anything is served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct InvalidConfig(String);

/// Shortest ping interval accepted: pinging more often costs every quiet client a frame per
/// few milliseconds and tells nothing more about whether it is alive.
pub const MIN_PING_INTERVAL: Duration = Duration::from_millis(50);

/// Largest `Config::max_message_bytes` accepted: a chat server has no use for bigger
/// messages, and every byte of one may be buffered per connection.
pub const MAX_MESSAGE_BYTES_LIMIT: usize = 16 * 1024 * 1024;

/// Room, beyond the text, that a relayed chat frame takes in an outbox: the WebSocket header,
/// the `Packet` fields around the text, and the outbox's per-frame accounting.
const CHAT_FRAME_ALLOWANCE_BYTES: usize = 128;

impl Config {
    /// Checks that the settings can work together, so a typo fails at start with a message
    /// instead of, say, dropping every client at its first message.
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        let fail = |message: String| Err(InvalidConfig(message));
        if self.max_connections == 0 {
            return fail("max connections must be at least 1".into());
        }
        if self.max_message_bytes == 0 || self.max_message_bytes > MAX_MESSAGE_BYTES_LIMIT {
            return fail(format!(
                "max message bytes must be 1 to {MAX_MESSAGE_BYTES_LIMIT}, not {}",
                self.max_message_bytes
            ));
        }
        if self.chat.max_bytes == 0 || self.chat.max_chars == 0 {
            return fail("chat limits must be at least 1".into());
        }
        if !self.chat_rate_per_second.is_finite() || self.chat_rate_per_second < 0.0 {
            return fail(format!(
                "chat rate must be a number of lines per second, 0 or more (0 = unlimited), not {}",
                self.chat_rate_per_second
            ));
        }
        if self.chat_rate_per_second > 0.0 && self.chat_burst == 0 {
            return fail("chat burst must be at least 1 when the chat rate is limited".into());
        }
        let largest_chat_frame = self.chat.max_bytes + CHAT_FRAME_ALLOWANCE_BYTES;
        if self.outbound_queue_bytes < largest_chat_frame {
            return fail(format!(
                "outbound queue bytes ({}) must hold at least one chat line of the longest \
                 allowed length ({} bytes with framing), or clients are dropped at such a line",
                self.outbound_queue_bytes, largest_chat_frame
            ));
        }
        if self.ping_interval < MIN_PING_INTERVAL {
            return fail(format!(
                "ping interval must be at least {MIN_PING_INTERVAL:?}, not {:?}",
                self.ping_interval
            ));
        }
        if self.write_coalesce > MAX_WRITE_COALESCE {
            return fail(format!(
                "write coalescing window must be at most {MAX_WRITE_COALESCE:?}, not {:?}",
                self.write_coalesce
            ));
        }
        let shortest_idle = self.shortest_idle_timeout();
        if self.idle_timeout < shortest_idle {
            return fail(format!(
                "idle timeout ({}s) is too short for the ping interval ({}s): a quiet client is \
                 pinged up to {}s after it was last heard and needs time to answer; use at \
                 least {}s",
                self.idle_timeout.as_secs_f64(),
                self.ping_interval.as_secs_f64(),
                (self.ping_interval + self.idle_check_interval()).as_secs_f64(),
                shortest_idle.as_secs_f64()
            ));
        }
        let positive = [
            ("max pending handshakes", self.max_pending_handshakes),
            ("max pending per address", self.max_pending_per_address),
            (
                "max connections per address",
                self.max_connections_per_address,
            ),
            ("max rooms", self.max_rooms),
            ("max room members", self.max_room_members),
            ("max room name chars", self.max_room_name_chars),
            ("room list max", self.room_list_max),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return fail(format!("{name} must be at least 1"));
        }
        for (name, rate, burst) in [
            (
                "connect rate per address",
                self.connect_rate_per_address,
                self.connect_burst_per_address,
            ),
            ("join rate", self.join_rate_per_second, self.join_burst),
        ] {
            if !rate.is_finite() || rate < 0.0 {
                return fail(format!(
                    "{name} must be a number per second, 0 or more (0 = unlimited), not {rate}"
                ));
            }
            if rate > 0.0 && burst == 0 {
                return fail(format!("the burst for {name} must be at least 1"));
            }
        }
        Ok(())
    }
}

impl Config {
    /// How often quiet clients are looked for: a quarter of the ping interval, at most 5 s, so
    /// a client is pinged at most that long after `ping_interval` of silence.
    pub fn idle_check_interval(&self) -> Duration {
        (self.ping_interval / 4).clamp(Duration::from_millis(10), Duration::from_secs(5))
    }

    /// The shortest idle timeout that never drops a client answering pings: the latest a
    /// ping can go out (`ping_interval` plus one idle check), plus half the ping interval (at
    /// most 5 s) for the pong to come back.
    pub fn shortest_idle_timeout(&self) -> Duration {
        self.ping_interval
            + self.idle_check_interval()
            + (self.ping_interval / 2).min(Duration::from_secs(5))
    }
}

/// Default `Config::max_pending_handshakes`: an eighth of the open-file limit, 16 to 1,024.
pub fn default_max_pending_handshakes() -> usize {
    open_file_limit().map_or(1024, |limit| (limit / 8).clamp(16, 1024))
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

/// The soft open-file limit of this process, if it can be read.
pub fn open_file_limit() -> Option<usize> {
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
    let Some((_, hard)) = read_limit() else {
        return;
    };
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
    fn a_write_coalescing_window_past_the_maximum_is_refused() {
        let window = |write_coalesce| {
            Config {
                write_coalesce,
                ..Config::default()
            }
            .validate()
        };
        assert_eq!(window(Duration::ZERO), Ok(()));
        assert_eq!(window(MAX_WRITE_COALESCE), Ok(()));
        let refused = window(MAX_WRITE_COALESCE + Duration::from_millis(1));
        assert!(
            refused
                .expect_err("refused")
                .to_string()
                .contains("coalescing")
        );
    }

    #[test]
    fn settings_that_cannot_work_are_refused() {
        assert_eq!(Config::default().validate(), Ok(()));
        let refused = |config: Config| config.validate().expect_err("refused").to_string();
        assert!(
            refused(Config {
                chat_rate_per_second: f64::NAN,
                ..Config::default()
            })
            .contains("chat rate")
        );
        assert!(
            refused(Config {
                chat_rate_per_second: -5.0,
                ..Config::default()
            })
            .contains("0 or more")
        );
        assert!(
            refused(Config {
                outbound_queue_bytes: 0,
                ..Config::default()
            })
            .contains("outbound queue")
        );
        assert!(
            refused(Config {
                ping_interval: Duration::ZERO,
                ..Config::default()
            })
            .contains("ping interval")
        );
        assert!(
            refused(Config {
                idle_timeout: Duration::from_secs(10),
                ..Config::default()
            })
            .contains("too short for the ping interval")
        );
        assert!(
            refused(Config {
                max_message_bytes: usize::MAX,
                ..Config::default()
            })
            .contains("max message bytes")
        );
        assert!(
            refused(Config {
                max_rooms: 0,
                ..Config::default()
            })
            .contains("max rooms")
        );
        assert!(
            refused(Config {
                join_rate_per_second: f64::INFINITY,
                ..Config::default()
            })
            .contains("join rate")
        );
    }

    #[test]
    fn no_accepted_idle_timeout_drops_a_client_that_answers_pings() {
        let config = |ping: f64, idle: f64| Config {
            ping_interval: Duration::from_secs_f64(ping),
            idle_timeout: Duration::from_secs_f64(idle),
            ..Config::default()
        };
        // The probe that dropped a live client: refused now, naming both settings.
        let refused = config(0.5, 0.7)
            .validate()
            .expect_err("refused")
            .to_string();
        assert!(refused.contains("idle timeout (0.7s)"), "{refused}");
        assert!(refused.contains("ping interval (0.5s)"), "{refused}");
        assert!(config(20.0, 30.0).validate().is_ok());
        assert!(config(20.0, 29.0).validate().is_err());
        // Whatever is accepted leaves a pong time to arrive after the latest ping.
        for ping in [0.05, 0.5, 3.0, 20.0, 300.0] {
            let shortest = config(ping, 1.0).shortest_idle_timeout();
            let accepted = config(ping, shortest.as_secs_f64());
            assert!(accepted.validate().is_ok(), "{ping}");
            let latest_ping = accepted.ping_interval + accepted.idle_check_interval();
            assert!(accepted.idle_timeout > latest_ping, "{ping}");
        }
    }

    #[test]
    fn defaults_fit_a_godot_client() {
        let config = Config::default();
        assert!(config.max_message_bytes >= 65_535);
        assert!(config.idle_timeout > config.ping_interval);
    }
}
