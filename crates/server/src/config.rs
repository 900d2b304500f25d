//! Server configuration: every setting the server has, each defined once with its type, its
//! default, the reason for it and its check; from that one entry come the `Config` field, the
//! flag, the environment variable, the config-file key, the `--help` line and the
//! `--print-config` block, all under one name.
//!
//! # Adding a setting
//!
//! Add one entry to the `settings!` table below, where `--help` should list it, and use
//! `config.<name>` where it matters. For example:
//!
//! ```text
//! /// Most players in one room; a client joining a full room is refused.
//! ///
//! /// Why this default: what it protects and what it costs.
//! max_room_members: usize = 100, check = at_least_one;
//! ```
//!
//! That one entry makes the field `Config::max_room_members`, its default, the flag
//! `--max-room-members`, the environment variable `MMO_MAX_ROOM_MEMBERS`, the key
//! `max_room_members = …` in the file, its `--help` line (the doc's first paragraph, the
//! default and the variable) and its block in `--print-config` (the whole doc). Add its row to
//! the settings table in README.md.
//!
//! An entry is: doc comment (first paragraph: what it does, one line, shown by `--help`; then
//! why, and why this default), `name: Type`, then `as Seconds` or `as Millis` for a `Duration`
//! (the unit it is written in), `= default`, then these options, in this order, as needed:
//! - `default_text = "…"`: what `--help` says the default is, when it is computed at start or
//!   not set; `--print-config` writes such a default, when set, as a comment (`# name = value
//!   # computed on this host: …`), so a printed file copied elsewhere does not carry it;
//! - `check = f`: the setting's own check, a function or closure `(&Type) -> Result<(), String>`
//!   whose error reads after the value, e.g. "must be at least 1" (helpers below the table:
//!   `at_least_one`, `non_negative_number`, `at_least`, `at_most`); it runs on every value read
//!   from a flag, a variable or the file, and in `Config::validate`;
//! - `secret = true`: the value is never printed (`--print-config`, error messages).
//!
//! A check that concerns more than one setting goes in `Config::check_together`. A field type
//! the table cannot take yet needs a `Kind` impl in `config/setting.rs`.

// `setting` first: its macros are in scope only in what follows it, `load`'s tests included.
#[macro_use]
mod setting;

mod load;

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use mmo_protocol::ChatLimits;

use crate::address_prefix::AddressPrefix;
use crate::logging::LogFormat;

pub use load::{CONFIG_ENV, CONFIG_FLAG, Loaded, PRINT_CONFIG_FLAG, Source};
pub use setting::{Conflict, ENV_PREFIX, InvalidConfig, Kind, Millis, Seconds, Setting, Settings};

settings! {
    /// Everything the server needs to know: `run` reads all but `host`, `port` and
    /// `worker_threads`, which `main` uses to listen and to build the runtime.
    /// `Config::default()` is what `mmo-server` runs with when given no settings.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Config {
        /// Address to listen on: `::` is every IPv6 and IPv4 address.
        ///
        /// `::` listens on IPv6 and IPv4 with one dual-stack socket, as the tutorial's Go
        /// server does with `:8080` (clients connecting to `localhost` often try `::1` first),
        /// and falls back to IPv4 alone on a host without IPv6. `0.0.0.0` is every IPv4
        /// address only; `127.0.0.1` is this machine only.
        host: String = "::".to_owned();

        /// Port to listen on; 0 picks a free one.
        ///
        /// 8080 is the tutorial's. With 0, the log line "Starting server on" says which port.
        port: u16 = 8080;

        /// Most WebSocket sessions at once; past it a client gets HTTP 503 before the upgrade.
        ///
        /// Each session holds one file descriptor, so the default is the process's open-file
        /// limit (raised to its hard limit at start) less 100 kept for the listener, HTTP
        /// requests and logs (`RESERVED_FILE_DESCRIPTORS`, `default_max_connections`).
        max_connections: usize = default_max_connections(),
            default_text = "open-file limit less 100",
            check = at_least_one;

        /// Largest inbound WebSocket message in bytes; a larger one closes the connection with
        /// 1009.
        ///
        /// Nothing of such a message is relayed. 64 KiB: a Godot client cannot send more by
        /// default.
        max_message_bytes: usize = 64 * 1024,
            check = |bytes: &usize| between(*bytes, 1, MAX_MESSAGE_BYTES_LIMIT);

        /// Most characters in one chat line; a longer line is refused with a
        /// `DenyResponseMessage`, not relayed.
        ///
        /// 500 characters is a few lines in any chat box.
        max_chat_chars: usize = ChatLimits::default().max_chars, check = at_least_one;

        /// Most UTF-8 bytes in one chat line; a longer line is refused like a line with too many
        /// characters.
        ///
        /// 2,000 bytes leave room for four-byte characters (emoji) at 500 characters.
        max_chat_bytes: usize = ChatLimits::default().max_bytes, check = at_least_one;

        /// Chat lines per second each client may send on average (a token bucket); 0 means no
        /// limit.
        ///
        /// Lines over the rate are refused with a `DenyResponseMessage`, not relayed. The rate
        /// applies to every message a client sends, so garbage cannot be sent faster than chat.
        /// Benchmarks turn it off.
        chat_rate: f64 = 5.0, check = non_negative_number;

        /// Chat lines a client may send in a burst before the rate applies.
        ///
        /// A person may paste a few lines at once.
        chat_burst: u32 = 10;

        /// Most bytes waiting to be written to one client; past it the client is closed with
        /// 1008 "too slow".
        ///
        /// So one slow reader can neither hold memory without bound nor make the server skip
        /// messages for it. 1 MiB holds thousands of chat lines: only a client that stopped
        /// reading gets there.
        outbound_queue_bytes: usize = 1024 * 1024;

        /// The kernel's send buffer asked for on each accepted socket, in bytes; 0 leaves it
        /// to the kernel's autotuning.
        ///
        /// What waits for a client is its outbound queue plus this buffer, so a client that
        /// reads too slowly meets its 1008 "too slow" behind at most this much: left to
        /// itself, Linux grows a busy socket's buffer to 4 MiB (`net.ipv4.tcp_wmem`), minutes
        /// of stale lines for a slow phone before it sees the close. 64 KiB (Linux doubles it
        /// for its own bookkeeping) still carries hundreds of KB/s at a 100 ms round trip.
        socket_send_buffer_bytes: usize = 64 * 1024;

        /// Seconds of silence after which a client is pinged.
        ///
        /// Godot and browsers answer pings by themselves, so a client that is alive but quiet
        /// is not taken for dead. At least 0.05 (`MIN_PING_INTERVAL`).
        ping_interval: Duration as Seconds = Duration::from_secs(20),
            check = |interval: &Duration| at_least(*interval, MIN_PING_INTERVAL);

        /// Seconds of silence (no frame, not even a pong) after which a client is dropped as
        /// dead, with close 1008.
        ///
        /// Quiet clients are looked for every quarter `ping_interval` (at most every 5 s) and
        /// pinged, so this must leave a client time to be pinged and answer: at least
        /// `ping_interval`, plus one such check, plus half `ping_interval` (at most 5 s) for
        /// the pong. 60 s with the default 20 s pings survives two lost pings.
        idle_timeout: Duration as Seconds = Duration::from_secs(60);

        /// Seconds a new connection has to send its HTTP request head.
        ///
        /// A connection that sends nothing would otherwise hold a file descriptor for ever. At
        /// least 0.1 (`MIN_HANDSHAKE_TIMEOUT`).
        handshake_timeout: Duration as Seconds = Duration::from_secs(10),
            check = |timeout: &Duration| at_least(*timeout, MIN_HANDSHAKE_TIMEOUT);

        /// Seconds a client has to answer the server's close frame before its socket is
        /// dropped.
        ///
        /// A well-behaved client answers at once; this only bounds how long one that does not
        /// keeps its file descriptor.
        close_timeout: Duration as Seconds = Duration::from_secs(3);

        /// Seconds a request that waits on something elsewhere (a login or a registration,
        /// answered by the account store) may take before it is refused as unanswered.
        ///
        /// While a request waits, the client's later messages wait behind it, in order; a
        /// store that never answers would otherwise leave the client unable to do anything,
        /// for ever. 5 s is many times a password hash and a database round trip, and a player
        /// at a login screen gets an answer rather than a spinner. The work may still finish
        /// after the refusal (a registration can then exist). At least 0.1
        /// (`MIN_HANDLER_TIMEOUT`).
        handler_timeout: Duration as Seconds = Duration::from_secs(5),
            check = |timeout: &Duration| at_least(*timeout, MIN_HANDLER_TIMEOUT);

        /// Seconds given to all clients to finish their close handshakes when the server shuts
        /// down.
        ///
        /// On SIGINT or SIGTERM every client gets close 1001; the server exits 0 when they are
        /// gone or when this has passed.
        shutdown_timeout: Duration as Seconds = Duration::from_secs(5);

        /// Milliseconds a chat line may wait in a busy room so that members get several lines
        /// in one write; 0 sends every line at once.
        ///
        /// A write costs the server far more than the frames in it (on loopback about 5 µs a
        /// write against 0.1-0.2 µs a frame, the kernel doing the receiving side's work too), so
        /// a room with lines coming faster than this gathers them and delivers them to all its
        /// members together: a line waits at most this long, and less when the room's pace says the
        /// next line would come too late to join it. A room with no line in the last window
        /// (quiet chat) sends each line at once, and so does every room while the server has
        /// CPU to spare (`write_coalesce_busy_percent`). Answers to a client's own requests
        /// are never held.
        ///
        /// 16 ms: on the 2-core benchmark machine, 1,000 clients in a room at 150 lines a
        /// second then get three lines a write (a fourth would come after the window), which
        /// with the batch's direct writes cut server CPU per delivery from 4.0 to about 1.35 µs
        /// and keeps p99 latency near 20 ms; 20 ms gathered four lines (1.3 µs) but put p99 at
        /// 24-25 ms, at the edge of the 25 ms a game's chat should stay under
        /// (docs/benchmarks.md). At most 100 (`MAX_WRITE_COALESCE`): past it, players would see
        /// chat arrive in visible bursts.
        write_coalesce_ms: Duration as Millis = DEFAULT_WRITE_COALESCE,
            check = |window: &Duration| at_most(*window, MAX_WRITE_COALESCE);

        /// Percent of the worker threads' time busy from which busy rooms batch their lines;
        /// 0 always batches.
        ///
        /// Below it (and once batching, below a third of it) every line is written at once,
        /// whatever `write_coalesce_ms` says.
        ///
        /// Batching costs latency (a line waits for the next ones: about 5 ms more at the
        /// median at 150 lines a second to 1,000 members) to save CPU (two to three times less
        /// per delivery), which is worth it only when the server is short of CPU. The server
        /// samples how much of the last 100 ms (a second while idle) its workers spent running
        /// rather than parked (wall time: a worker preempted while it runs counts as busy) and
        /// batches from this share until the share falls below a third of it (batching alone
        /// takes up to two thirds of the load off, so a nearer mark would switch back and
        /// forth). 70: well before the workers saturate, where writing at once would start
        /// queueing lines behind each other (docs/benchmarks.md). At most 100.
        ///
        /// A server of a cluster (`nats`) whose threads wait for a core at least as long as
        /// they run (a machine with more runnable threads than cores: several servers on one
        /// machine, or other busy processes) batches too, whatever its busy share, until they
        /// wait less than half as long (Linux only; `load::WAITED_PER_RAN_LOADED`).
        write_coalesce_busy_percent: u32 = DEFAULT_WRITE_COALESCE_BUSY_PERCENT,
            check = |percent: &u32| between(*percent as usize, 0, 100);

        /// Threads that run client sessions.
        ///
        /// On a machine whose cores are shared with other busy processes (such as a load
        /// generator), fewer threads hand less work between cores: `1` costs less CPU per
        /// message there (see docs/benchmarks.md).
        worker_threads: Option<NonZeroUsize> = None, default_text = "one per CPU";

        /// Seconds between checks that give memory freed after a peak back to the system; 0
        /// never does.
        ///
        /// glibc's malloc keeps what is freed for reuse, so after 10,000 clients with full
        /// room histories leave, RSS stays at its peak. Every check that finds more than
        /// `TRIM_FREE_BYTES` free in the allocator returns its free pages (`malloc_trim`):
        /// 7.6 ms of one thread to give back 54 MiB, 0.1 ms a check after that, and only in
        /// the `mmo-server` binary (docs/benchmarks.md). Set 0 with another allocator
        /// (jemalloc via `LD_PRELOAD`).
        memory_trim_interval: Duration as Seconds = Duration::from_secs(10);

        /// Whether a room's tutorial-level members get a `DisconnectMessage` (field 19) when
        /// someone leaves it.
        ///
        /// Only clients that have sent a field 4-19 (and so know field 19) ever get one: the
        /// tutorial's part-3 client, whose Godobuf code misreads fields it does not know, is
        /// never sent it, and this project's clients see presence instead (docs/protocol.md).
        announce_leaves: bool = true;

        /// Browser origins (e.g. `https://game.example`) allowed to open a WebSocket; empty
        /// allows any.
        ///
        /// Others get 403. Non-browser clients, such as Godot, send no `Origin` and are always
        /// allowed. In a flag or an environment variable, comma-separated.
        allowed_origins: Vec<String> = Vec::new();

        /// PEM file of the TLS certificate chain (server certificate first); with `tls_key`, the
        /// port serves `https://` and `wss://` instead of `http://` and `ws://`.
        ///
        /// Browsers on an `https://` page may only open `wss://` connections. Without these the
        /// server speaks plain HTTP, for a TLS-terminating proxy in front of it or for local
        /// use. A file that is missing, unreadable, not PEM, or whose key is not the
        /// certificate's stops start-up.
        tls_cert: Option<PathBuf> = None, default_text = "plain HTTP and WebSocket";

        /// PEM file of the TLS certificate's private key (PKCS#8, PKCS#1 or SEC1).
        ///
        /// Read once at start, like the certificate: replacing the files takes a restart.
        tls_key: Option<PathBuf> = None, default_text = "plain HTTP and WebSocket";

        /// Log line format: `text` for people, `json` for log collectors (one object a line).
        ///
        /// Text keeps the tutorial's phrasing ("Starting server on …", "New client connected
        /// from …") and puts each line's fields after it in brackets; JSON has the same message
        /// and every field (client, address, duration_s, close, reason, messages and bytes in
        /// and out) under its own key, so a collector needs no pattern to read them. Verbosity
        /// follows `RUST_LOG` either way.
        log_format: LogFormat = LogFormat::Text;

        /// Address (`host:port`) to serve `/metrics` on instead of the public port; unset
        /// serves it on the public port.
        ///
        /// Metrics tell whoever reads them how busy the server is and what it refuses. On an
        /// address only the monitoring system reaches (`127.0.0.1:9100`, a private network's),
        /// they are not public. That listener speaks plain HTTP and answers `/metrics` and
        /// `/health` only; the public port then answers `/metrics` with 404.
        metrics_addr: Option<String> = None,
            default_text = "/metrics on the public port",
            check = |address: &Option<String>| {
            address.as_deref().map_or(Ok(()), host_and_port)
        };

        /// Most connections server-wide that have not finished sending their request head.
        ///
        /// Past it, the oldest such connection of the address holding the most gives way to
        /// the newcomer: idle or half-sent connections cannot keep out a client that talks.
        /// Real clients send their head within a round trip of connecting. The default is an
        /// eighth of the open-file limit, 16 to 1,024.
        max_pending_handshakes: usize = default_max_pending_handshakes(),
            default_text = "open-file limit / 8, 16 to 1024",
            check = at_least_one;

        /// Most connections one address may have still sending their request head; past it,
        /// that address's oldest one is dropped.
        ///
        /// 64 covers a NAT full of players reconnecting at once. Does not apply to
        /// `address_limit_exempt`.
        max_pending_per_address: usize = 64, check = at_least_one;

        /// Most connections at once from one address (an IPv4 address, or an IPv6 /64); past it
        /// a client gets HTTP 429.
        ///
        /// An IPv6 /64 is what one household or site gets, so counting single IPv6 addresses
        /// would limit nothing. 1,000 lets a campus of players behind one NAT address play.
        max_connections_per_address: usize = 1_000, check = at_least_one;

        /// Connection attempts per second one address may make on average (a token bucket);
        /// past it, HTTP 429 with `Retry-After`. 0 means no limit.
        ///
        /// 50 a second after the burst is far more than players reconnecting need, and bounds
        /// how fast one address can make the server do handshakes.
        connect_rate_per_address: f64 = 50.0, check = non_negative_number;

        /// Connection attempts one address may make at once before its rate applies.
        ///
        /// A whole campus may reconnect together after a server restart.
        connect_burst_per_address: u32 = 1_000;

        /// Addresses the per-address limits do not apply to, as IP prefixes.
        ///
        /// Loopback by default: a reverse proxy on the same host (every client then comes from
        /// it) and local load tests connect from there. The server-wide limits and the bound
        /// on pending handshakes still apply. Set it empty to limit loopback too.
        address_limit_exempt: Vec<AddressPrefix> = AddressPrefix::loopback();

        /// Most rooms at once, the lobby included.
        ///
        /// Each room holds its members and its history.
        max_rooms: usize = 1_000, check = at_least_one;

        /// Most rooms that clients from one address (an IPv4 address or an IPv6 /64) may have
        /// made and that still exist.
        ///
        /// Without it one address, within its connection limits, could make every room there
        /// may be: everyone else would be refused new rooms and see a room list of its rooms.
        /// A room counts against the address of the client that made it until it empties.
        /// `address_limit_exempt` addresses are not limited.
        max_rooms_per_address: usize = 20, check = at_least_one;

        /// Most members of one room other than the lobby; also the most one `RoomMessage`
        /// lists.
        ///
        /// Every client starts in the lobby, so it has no limit. A room's fan-out is one frame
        /// per member per line; 1,000 members and the default history keep a `RoomMessage`
        /// under the 64 KiB a Godot client accepts by default.
        max_room_members: usize = 1_000, check = at_least_one;

        /// Longest room name, in characters.
        ///
        /// Names are letters, digits, `-`, `_` and `.`; 32 is plenty to read and to type.
        max_room_name_chars: usize = 32, check = at_least_one;

        /// Chat lines of history each room keeps for newcomers; 0 keeps none.
        ///
        /// 50 lines are a screenful or two of context.
        room_history_lines: usize = 50;

        /// Most bytes of history one room keeps (text plus 48 bytes a line), whatever the
        /// line count; the oldest lines go first.
        ///
        /// Bounds a room's memory and its `RoomMessage` however long the lines are.
        room_history_bytes: usize = 32 * 1024;

        /// Room joins per second each client may make on average (a token bucket); 0 means no
        /// limit.
        ///
        /// Each join costs two presence fan-outs and a copy of the room's history.
        join_rate: f64 = 2.0, check = non_negative_number;

        /// Room joins a client may make in a burst.
        ///
        /// A player may click through a few rooms quickly.
        join_burst: u32 = 5;

        /// Rooms with more members than this batch their presence and page their member list.
        ///
        /// Below it every join and leave is a `PresenceMessage` to each full-level member at
        /// once, and a `RoomMessage` lists every member: one frame per member per event, fine
        /// for a room of friends. Above it that is O(N²) (5,000 clients arriving in the lobby
        /// cost 24 s of server CPU), so a big room gathers joins and leaves for
        /// `presence_window_ms` into one `PresenceBatchMessage` per member and lists its members
        /// in pages (docs/protocol.md, "Presence in big rooms"). 200 keeps every room of the
        /// benchmarks' rooms scenarios (100 members) and a typical party immediate, while at
        /// 200 members a connect storm already costs 40,000 presence frames.
        presence_batch_above: usize = 200;

        /// How long a big room gathers joins and leaves into one `PresenceBatchMessage`.
        ///
        /// One presence frame per member per window whatever the churn: 250 ms is at most four
        /// a second, and a join still shows within a quarter of a second. At most 10 s
        /// (`MAX_PRESENCE_WINDOW`), so a member list is never long stale.
        presence_window_ms: Duration as Millis = DEFAULT_PRESENCE_WINDOW,
            check = |window: &Duration| at_most(*window, MAX_PRESENCE_WINDOW);

        /// Most rooms one `RoomListMessage` lists, the biggest first.
        ///
        /// Keeps the list small for clients and cheap for the server.
        room_list_max: usize = 100, check = at_least_one;

        /// Where accounts are kept: `sqlite://FILE` (created on first start) or
        /// `postgres://USER:PASSWORD@HOST:PORT/NAME`; empty turns accounts off.
        ///
        /// SQLite needs nothing else and suits one server; a relative file is in the working
        /// directory, and the start-up log says where. PostgreSQL is for a database several
        /// servers share. The schema is created and migrated at start. While the database is
        /// down, logins and registrations are refused ("accounts are unavailable, try again
        /// shortly"), chat goes on, and the server reconnects by itself. The URL's password is
        /// shown as `***` by `--print-config` and in the log: give it through `MMO_DATABASE`.
        database: String as DatabaseUrl = DEFAULT_DATABASE.to_owned();

        /// NATS server (`nats://HOST:4222`) through which several servers act as one; unset
        /// runs this server alone.
        ///
        /// Every server given the same NATS (with JetStream on: `nats-server -js`) shares its
        /// rooms with the others: chat, presence, history and client IDs go through it (see
        /// docs/operations.md). Accounts must then be in PostgreSQL (or off), the one database
        /// every server can share; SQLite with `nats` is refused at start.
        nats: Option<String> = None;

        /// Seconds a server of the cluster may go unheard before the others take it for dead
        /// and announce its clients as gone.
        ///
        /// Each server says it is alive every third of this. 5 s rides out a stall of the
        /// broker or the network, and a dead server's players still vanish from every room
        /// within a few seconds. A server that stops gracefully is announced at once. The
        /// same bound holds for worlds: a world's lease lapses this long after its server was
        /// last heard, and players elsewhere are told their world's server is gone after it.
        cluster_timeout: Duration as Seconds = Duration::from_secs(5),
            check = |timeout: &Duration| at_least(*timeout, Duration::from_millis(300));

        /// Whether clients must log in before they chat or join a room.
        ///
        /// Off by default, so the tutorial's part-3 client (which cannot log in) keeps working.
        /// When on, chat and joins before a login are refused with a reason, and a client is
        /// placed in the lobby only once logged in. Needs `database`.
        require_login: bool = false;

        /// Threads that hash passwords (Argon2id, at lower priority than chat).
        ///
        /// Each hash takes tens of milliseconds of one core and 19 MiB of memory, so the
        /// number of threads is how many cores a login storm may take and how fast it is
        /// served: 2 fits the 2-core machine the benchmarks run on, where chat still comes
        /// first because the hashing threads run at a lower priority.
        hash_threads: usize = 2, check = at_least_one;

        /// Logins and registrations that may wait for a hashing thread; past it they are
        /// refused "busy, try again in a moment".
        ///
        /// 64 waiting at tens of milliseconds each is under a second of work for two threads:
        /// a player asked to wait longer is better told to retry than left wondering.
        hash_queue: usize = 64;

        /// Failed logins in a row an account may have before each further one is delayed (an
        /// address gets four times as many).
        ///
        /// Delays then start at one second and double with each failure up to
        /// `login_max_delay`, per account and per address (IPv4 address or IPv6 /64), shared by
        /// every connection; 15 minutes without a failure start the count over. 5 leaves room
        /// for a few typos.
        login_free_failures: u32 = 5;

        /// Longest a login may be delayed after failures, in seconds.
        ///
        /// Caps the wait so that someone guessing a player's password can never lock the
        /// player out for long, while still allowing a guesser only about one try a minute.
        login_max_delay: Duration as Seconds = Duration::from_secs(60),
            check = |delay: &Duration| at_least(*delay, Duration::from_secs(1));

        /// Ticks per second of every world (the game of each room, docs/protocol.md "The
        /// world").
        ///
        /// 20 is the tutorial's 50 ms tick, which its client's smoothing is made for. Each tick
        /// a client in a world gets at most one update, so the rate is also what a player's
        /// bandwidth scales with. 1 to 60.
        world_tick_rate: u32 = 20,
            check = |rate: &u32| between(usize::try_from(*rate).unwrap_or(usize::MAX), 1, 60);

        /// Threads one world's tick spreads its players' views over.
        ///
        /// Every view is brought up to date, its update encoded and handed to its session
        /// independently, so a big world's tick can use more than one core: with 2,000
        /// players that is most of a tick's work, and 2 threads roughly halve the tick
        /// (docs/benchmarks.md, "Third pass" and "Encoding on the views' threads"). A world uses a
        /// thread per 256 views at most, so small worlds stay on their one thread whatever this
        /// says; the threads take the views in chunks, 64 at most and fewer as they run out,
        /// until none is left. When a world uses more than one, a second thread also makes the
        /// views ready while the rules step (clears what they sent last tick, joins their
        /// entrants), which only the views' own lists need. The extra threads are started
        /// once and kept from tick to tick ("Entrants encoded once, the step's sort, a crew
        /// of helper threads").
        /// 2 suits the 2-core machines the benchmarks run on; 1 to 16.
        world_view_threads: usize = 2,
            check = |threads: &usize| between(*threads, 1, mmo_world::world::MAX_VIEW_THREADS);

        /// Whether a big world's threads tick under real-time scheduling where allowed.
        ///
        /// The threads are the one that ticks and its view threads; the system must allow it
        /// (`CAP_SYS_NICE` or `RLIMIT_RTPRIO`), or the world keeps ordinary scheduling.
        /// A due tick then takes a core at once instead of waiting for whatever runs there to
        /// finish its time slice: on a busy 2-core machine that waiting was most of a
        /// 2,000-player tick's length (docs/benchmarks.md, "Real-time ticks"). Only worlds of
        /// 256 players or more ask, one world per two cores gets it, and a world whose ticks
        /// take over half their period too often (ten in a row, or a third of them for longer)
        /// goes back to ordinary scheduling for 30 s, with a warning, so real-time worlds
        /// never take more than about half the machine.
        world_realtime: bool = true;

        /// Most players on the tutorial's client in one world; the next is refused with a
        /// reason.
        ///
        /// Each of them is sent every player's state every tick, as that client needs for its
        /// leaderboard, so together they cost O(N²): 200 of them are 40,000 `PlayerMessage`s of
        /// about 77 bytes, 20 times a second (62 MB/s of fan-out). `mmo bench world --tutorial`
        /// on the 2-core benchmark machine, bots on it too, delivered every update on time to
        /// 350 when the machine was quiet (the server at 58–60 % of a core; 400 held in one run
        /// of two) and to 300 when it was shared (docs/benchmarks.md, "Tutorial-level players:
        /// the most one world holds"); 200 costs about a fifth of a core, a third of what 350
        /// does, for a server doing other work too.
        max_tutorial_players_per_world: usize = 200;

        /// Most players in one world, whatever their client; the next is refused with a reason.
        ///
        /// A tick's work grows with the players and what each sees; 10,000 is five times the
        /// 2,000 the benchmarks hold a world to at 20 ticks a second.
        max_world_players: usize = 10_000, check = at_least_one;

        /// World messages (steering, claims, hiscores) each client may send per second on
        /// average; 0 means no limit.
        ///
        /// A token bucket apart from chat's, so steering never costs a chat line; entering and
        /// leaving a world count too. The tutorial's client steers whenever the mouse turns by 24°, up to dozens of times
        /// a second; only the last direction before each tick counts, so more is dropped
        /// silently (counted), never answered. 60 is a turn every frame of a 60 Hz client.
        world_input_rate: f64 = 60.0, check = non_negative_number;

        /// World messages a client may send in a burst before `world_input_rate` applies.
        ///
        /// Two seconds' worth at the default rate.
        world_input_burst: u32 = 120;
    }
}

/// Default `Config::database`: an SQLite file in the working directory, so `cargo run` needs
/// nothing else.
pub const DEFAULT_DATABASE: &str = "sqlite://mmo.db";

/// How `Config::database` is written: a URL whose password `--print-config` and messages show
/// as `***`.
pub struct DatabaseUrl;

impl Kind for DatabaseUrl {
    type Value = String;
    const VALUE_NAME: &'static str = "URL";
    const EXPECTED: &'static str = "a database URL";
    fn parse(text: &str) -> Option<String> {
        Some(text.trim().to_owned())
    }
    fn from_toml(value: &toml::Value) -> Option<String> {
        value.as_str().map(|text| text.trim().to_owned())
    }
    fn to_toml(value: &String) -> Option<toml::Value> {
        Some(toml::Value::String(mmo_accounts::redact(value)))
    }
}

/// Default `Config::write_coalesce_ms` (its doc says why).
pub const DEFAULT_WRITE_COALESCE: Duration = Duration::from_millis(16);

/// Default `Config::presence_window_ms` (its doc says why).
pub const DEFAULT_PRESENCE_WINDOW: Duration = Duration::from_millis(250);

/// Longest `Config::presence_window_ms` accepted (its doc says why).
pub const MAX_PRESENCE_WINDOW: Duration = Duration::from_secs(10);

/// Longest `Config::write_coalesce_ms` accepted (its doc says why).
pub const MAX_WRITE_COALESCE: Duration = Duration::from_millis(100);

/// Default `Config::write_coalesce_busy_percent` (its doc says why).
pub const DEFAULT_WRITE_COALESCE_BUSY_PERCENT: u32 = 70;

/// File descriptors kept out of the socket budget: about 20 for the process itself (the
/// listeners, the runtime's epoll and event descriptors, standard streams, TLS files), 32 for
/// sockets accepted at the budget while the ones they displace close (`TRANSIENT_SOCKETS`),
/// and 32 for refused sockets being answered (`MAX_REFUSALS_ANSWERING`). The session limit's
/// default is the open-file limit less these, so the process never runs out of descriptors.
pub const RESERVED_FILE_DESCRIPTORS: usize = 100;

/// The session limit used when the open-file limit cannot be read.
pub const FALLBACK_MAX_CONNECTIONS: usize = 10_000;

/// Shortest ping interval accepted: pinging more often costs every quiet client a frame per
/// few milliseconds and tells nothing more about whether it is alive.
pub const MIN_PING_INTERVAL: Duration = Duration::from_millis(50);

/// Largest `Config::max_message_bytes` accepted: a chat server has no use for bigger
/// messages, and every byte of one may be buffered per connection.
pub const MAX_MESSAGE_BYTES_LIMIT: usize = 16 * 1024 * 1024;

/// Shortest handshake timeout accepted: less would refuse real clients on a slow network.
pub const MIN_HANDSHAKE_TIMEOUT: Duration = Duration::from_millis(100);

/// Shortest handler timeout accepted: less would refuse logins that are only a little slow.
pub const MIN_HANDLER_TIMEOUT: Duration = Duration::from_millis(100);

/// Room, beyond the text, that a relayed chat frame takes in an outbox: the WebSocket header,
/// the `Packet` fields around the text, and the outbox's per-frame accounting.
const CHAT_FRAME_ALLOWANCE_BYTES: usize = 128;

impl Settings for Config {
    const ALL: &'static [Setting<Self>] = Self::SETTINGS;

    fn check_together(&self) -> Result<(), Conflict> {
        if self.chat_rate > 0.0 && self.chat_burst == 0 {
            return Err(Conflict {
                settings: &["chat_burst", "chat_rate"],
                problem: format!(
                    "chat_burst = 0 lets no line through while chat_rate ({}) limits chat: \
                     it must be at least 1, or chat_rate 0 for no limit",
                    self.chat_rate
                ),
            });
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(Conflict {
                settings: &["tls_cert", "tls_key"],
                problem: "tls_cert and tls_key go together: give both to serve TLS, or neither"
                    .to_owned(),
            });
        }
        // Here rather than as the setting's own check, whose message would repeat the URL,
        // password and all.
        if !self.database.is_empty() && mmo_accounts::Kind::of(&self.database).is_err() {
            return Err(Conflict {
                settings: &["database"],
                problem: format!(
                    "database = {} is not one the server can use: it must be sqlite://FILE, \
                     postgres://USER:PASSWORD@HOST:PORT/NAME, or empty for no accounts",
                    mmo_accounts::redact(&self.database)
                ),
            });
        }
        if self.nats.is_some()
            && matches!(
                mmo_accounts::Kind::of(&self.database),
                Ok(mmo_accounts::Kind::Sqlite)
            )
        {
            return Err(Conflict {
                settings: &["nats", "database"],
                problem: "servers joined through nats share accounts, and an SQLite file is one \
                          server's: set database to postgres://USER:PASSWORD@HOST:PORT/NAME (or \
                          empty for no accounts)"
                    .to_owned(),
            });
        }
        if self.require_login && self.database.is_empty() {
            return Err(Conflict {
                settings: &["require_login", "database"],
                problem: "require_login needs accounts: set database, or turn require_login off"
                    .to_owned(),
            });
        }
        let largest_chat_frame = self
            .max_chat_bytes
            .saturating_add(CHAT_FRAME_ALLOWANCE_BYTES);
        if self.outbound_queue_bytes < largest_chat_frame {
            return Err(Conflict {
                settings: &["outbound_queue_bytes", "max_chat_bytes"],
                problem: format!(
                    "outbound_queue_bytes ({}) must hold at least one chat line of max_chat_bytes \
                     ({} bytes with framing), or clients are dropped at such a line",
                    self.outbound_queue_bytes, largest_chat_frame
                ),
            });
        }
        let shortest_idle = self.shortest_idle_timeout();
        if self.idle_timeout < shortest_idle {
            return Err(Conflict {
                settings: &["idle_timeout", "ping_interval"],
                problem: format!(
                    "idle_timeout ({} s) is too short for ping_interval ({} s): a quiet client \
                     is pinged up to {} s after it was last heard and needs time to answer; \
                     use at least {} s",
                    self.idle_timeout.as_secs_f64(),
                    self.ping_interval.as_secs_f64(),
                    (self.ping_interval + self.idle_check_interval()).as_secs_f64(),
                    shortest_idle.as_secs_f64()
                ),
            });
        }
        for (settings, rate, burst) in [
            (
                &["connect_burst_per_address", "connect_rate_per_address"],
                self.connect_rate_per_address,
                self.connect_burst_per_address,
            ),
            (
                &["join_burst", "join_rate"],
                self.join_rate,
                self.join_burst,
            ),
        ] {
            if rate > 0.0 && burst == 0 {
                return Err(Conflict {
                    settings,
                    problem: format!(
                        "{} = 0 lets nothing through while {} ({rate}) is a limit: it must be \
                         at least 1, or {} 0 for no limit",
                        settings[0], settings[1], settings[1]
                    ),
                });
            }
        }
        Ok(())
    }
}

impl Config {
    /// Checks each setting and that the settings can work together, so a typo fails at start
    /// with a message instead of, say, dropping every client at its first message. The loader
    /// (`Loaded`) runs the same checks as it reads, naming where each value came from.
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        setting::validate(self)
    }

    /// The limits on one chat line, as `mmo_protocol` checks them.
    pub fn chat_limits(&self) -> ChatLimits {
        ChatLimits {
            max_bytes: self.max_chat_bytes,
            max_chars: self.max_chat_chars,
        }
    }

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

    /// `host` and `port` as `bind` takes them, with an IPv6 address in brackets.
    pub fn listen_address(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl Config {
    /// What start-up tells a newcomer to open, for a server bound to `bound`: the web
    /// client's URL and the WebSocket URL, and, bound to every interface, that other machines
    /// reach it by this host's name or address.
    pub fn where_to_connect(&self, bound: SocketAddr) -> Vec<String> {
        let (http, ws) = if self.tls_cert.is_some() {
            ("https", "wss")
        } else {
            ("http", "ws")
        };
        let port = bound.port();
        let unspecified = bound.ip().is_unspecified();
        let host = if unspecified {
            "localhost".to_owned()
        } else if self
            .host
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_err()
        {
            // A name (`localhost`, `game.example`) reads better than what it resolved to.
            self.host.clone()
        } else {
            match bound.ip() {
                IpAddr::V4(ip) => ip.to_string(),
                IpAddr::V6(ip) => format!("[{ip}]"),
            }
        };
        let mut lines = vec![format!(
            "Open the web client at {http}://{host}:{port}/ ; WebSocket clients (Godot, mmo \
             chat) connect to {ws}://{host}:{port}{path}",
            path = crate::websocket::WEBSOCKET_PATH
        )];
        if unspecified {
            let families = if bound.is_ipv6() {
                "IPv6 and IPv4"
            } else {
                "IPv4"
            };
            lines.push(format!(
                "Listening on every interface ({families}, {bound}): from other machines use \
                 this host's name or address instead of {host}"
            ));
        }
        lines
    }
}

/// The `mmo-server` command line: `--config`, `--print-config` and a flag for each setting.
pub fn command() -> clap::Command {
    load::command::<Config>()
        .name("mmo-server")
        .version(env!("CARGO_PKG_VERSION"))
        .about("The mmo game server: a WebSocket chat relay for Godot 4, web and terminal clients.")
}

/// Check for a count that must be at least 1.
fn at_least_one(value: &usize) -> Result<(), String> {
    if *value == 0 {
        return Err("must be at least 1".to_owned());
    }
    Ok(())
}

/// Check for a number of something per second: 0 or more, and finite.
fn non_negative_number(value: &f64) -> Result<(), String> {
    if !value.is_finite() || *value < 0.0 {
        return Err("must be a number, 0 or more (0 = no limit)".to_owned());
    }
    Ok(())
}

/// Check for a `host:port` listening address (`[::1]:9100` for an IPv6 address).
fn host_and_port(address: &str) -> Result<(), String> {
    let port = address
        .rsplit_once(':')
        .map(|(host, port)| (host, port.parse::<u16>()));
    match port {
        Some((host, Ok(_))) if !host.is_empty() => Ok(()),
        _ => Err("must be HOST:PORT, e.g. 127.0.0.1:9100 or [::1]:9100".to_owned()),
    }
}

/// Check for a count within bounds, named in the message.
fn between(value: usize, min: usize, max: usize) -> Result<(), String> {
    if value < min || value > max {
        return Err(format!("must be {min} to {max}"));
    }
    Ok(())
}

/// Check for a duration with a floor, named in the message.
fn at_least(value: Duration, min: Duration) -> Result<(), String> {
    if value < min {
        return Err(format!("must be at least {min:?}"));
    }
    Ok(())
}

/// Check for a duration with a ceiling, named in the message.
fn at_most(value: Duration, max: Duration) -> Result<(), String> {
    if value > max {
        return Err(format!("must be at most {max:?}"));
    }
    Ok(())
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
    use std::collections::HashSet;
    use std::path::Path;

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
        let window = |write_coalesce_ms| {
            Config {
                write_coalesce_ms,
                ..Config::default()
            }
            .validate()
        };
        assert_eq!(window(Duration::ZERO), Ok(()));
        assert_eq!(window(MAX_WRITE_COALESCE), Ok(()));
        let refused = window(MAX_WRITE_COALESCE + Duration::from_millis(1)).expect_err("refused");
        assert_eq!(
            refused.to_string(),
            "invalid configuration: write_coalesce_ms = 101.0: must be at most 100ms"
        );
    }

    #[test]
    fn settings_that_cannot_work_are_refused() {
        assert_eq!(Config::default().validate(), Ok(()));
        let refused = |config: Config| config.validate().expect_err("refused").to_string();
        assert!(
            refused(Config {
                chat_rate: f64::NAN,
                ..Config::default()
            })
            .contains("chat_rate = nan: must be a number, 0 or more")
        );
        assert!(
            refused(Config {
                chat_rate: -5.0,
                ..Config::default()
            })
            .contains("chat_rate = -5.0: must be a number, 0 or more")
        );
        assert!(
            refused(Config {
                max_connections: 0,
                ..Config::default()
            })
            .contains("max_connections = 0: must be at least 1")
        );
        assert!(
            refused(Config {
                chat_burst: 0,
                ..Config::default()
            })
            .contains("chat_burst = 0 lets no line through")
        );
        assert_eq!(
            Config {
                chat_burst: 0,
                chat_rate: 0.0,
                ..Config::default()
            }
            .validate(),
            Ok(()),
            "no burst is fine when there is no rate limit"
        );
        assert!(
            refused(Config {
                outbound_queue_bytes: 0,
                ..Config::default()
            })
            .contains("outbound_queue_bytes (0) must hold at least one chat line")
        );
        assert!(
            refused(Config {
                ping_interval: Duration::ZERO,
                ..Config::default()
            })
            .contains("ping_interval = 0.0: must be at least 50ms")
        );
        assert!(
            refused(Config {
                handshake_timeout: Duration::ZERO,
                ..Config::default()
            })
            .contains("handshake_timeout = 0.0: must be at least 100ms")
        );
        assert!(
            refused(Config {
                idle_timeout: Duration::from_secs(10),
                ..Config::default()
            })
            .contains("idle_timeout (10 s) is too short for ping_interval (20 s)")
        );
        assert!(
            refused(Config {
                max_message_bytes: usize::MAX,
                ..Config::default()
            })
            .contains("max_message_bytes")
        );
        assert!(
            refused(Config {
                max_rooms: 0,
                ..Config::default()
            })
            .contains("max_rooms = 0")
        );
        assert!(
            refused(Config {
                join_rate: f64::INFINITY,
                ..Config::default()
            })
            .contains("join_rate")
        );
        assert!(
            refused(Config {
                join_burst: 0,
                ..Config::default()
            })
            .contains("join_burst = 0 lets nothing through")
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
        assert!(refused.contains("idle_timeout (0.7 s)"), "{refused}");
        assert!(refused.contains("ping_interval (0.5 s)"), "{refused}");
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
        assert_eq!(config.chat_limits(), ChatLimits::default());
    }

    #[test]
    fn every_setting_has_one_name_a_summary_and_a_default_that_passes_its_check() {
        let defaults = Config::default();
        let mut names = HashSet::new();
        for setting in Config::ALL {
            assert!(names.insert(setting.name), "{} twice", setting.name);
            assert!(
                setting
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{} is not snake_case",
                setting.name
            );
            assert!(
                !setting.summary().is_empty() && setting.summary().len() <= 160,
                "{}'s first doc paragraph is its --help line: one short sentence",
                setting.name
            );
            assert_eq!((setting.check)(&defaults), Ok(()), "{}", setting.name);
        }
        let max_connections = Config::ALL
            .iter()
            .find(|setting| setting.name == "max_connections")
            .expect("a setting");
        assert_eq!(max_connections.flag(), "--max-connections");
        assert_eq!(max_connections.env_var(), "MMO_MAX_CONNECTIONS");
    }

    #[test]
    fn every_setting_reads_back_what_print_config_writes() {
        let mut loaded = Loaded::<Config>::defaults();
        loaded.config = Config {
            host: "::".to_owned(),
            port: 0,
            max_connections: 500,
            chat_rate: 0.5,
            ping_interval: Duration::from_millis(1_500),
            write_coalesce_ms: Duration::from_micros(2_500),
            worker_threads: NonZeroUsize::new(3),
            announce_leaves: true,
            allowed_origins: vec!["https://a.example".to_owned(), "http://b".to_owned()],
            ..Config::default()
        };
        let text = loaded.to_toml();
        let mut read_back = Loaded::<Config>::defaults();
        read_back
            .apply_file(Path::new("printed.toml"), &text)
            .expect("reads back");
        assert_eq!(read_back.config, loaded.config, "{text}");
        assert!(text.contains("write_coalesce_ms = 2.5\n"), "{text}");
        assert!(text.contains("ping_interval = 1.5\n"), "{text}");
    }

    #[test]
    fn every_conflict_names_settings_that_exist() {
        let conflicting = [
            Config {
                chat_burst: 0,
                ..Config::default()
            },
            Config {
                outbound_queue_bytes: 0,
                ..Config::default()
            },
            Config {
                idle_timeout: Duration::ZERO,
                ..Config::default()
            },
        ];
        for config in conflicting {
            let conflict = config.check_together().expect_err("a conflict");
            for name in conflict.settings {
                assert!(
                    Config::ALL.iter().any(|setting| setting.name == *name),
                    "{name} in {conflict:?}"
                );
            }
        }
    }

    #[test]
    fn start_up_names_urls_a_newcomer_can_open() {
        let lines = |host: &str, bound: &str, tls: bool| {
            Config {
                host: host.to_owned(),
                tls_cert: tls.then(|| "cert.pem".into()),
                ..Config::default()
            }
            .where_to_connect(bound.parse().expect("an address"))
            .join("\n")
        };
        let every = lines("::", "[::]:8080", false);
        assert!(every.contains("http://localhost:8080/ "), "{every}");
        assert!(every.contains("ws://localhost:8080/ws"), "{every}");
        assert!(every.contains("every interface (IPv6 and IPv4"), "{every}");
        let v4 = lines("0.0.0.0", "0.0.0.0:9", true);
        assert!(v4.contains("https://localhost:9/ "), "{v4}");
        assert!(v4.contains("wss://localhost:9/ws"), "{v4}");
        assert!(v4.contains("every interface (IPv4,"), "{v4}");
        let one = lines("::1", "[::1]:9", false);
        assert!(one.contains("ws://[::1]:9/ws"), "{one}");
        assert!(!one.contains("every interface"), "{one}");
        let named = lines("localhost", "127.0.0.1:9", false);
        assert!(named.contains("http://localhost:9/ "), "{named}");
    }

    #[test]
    fn an_ipv6_host_is_bracketed_for_bind() {
        let address = |host: &str| {
            Config {
                host: host.to_owned(),
                port: 9,
                ..Config::default()
            }
            .listen_address()
        };
        assert_eq!(address("::"), "[::]:9");
        assert_eq!(address("[::1]"), "[::1]:9");
        assert_eq!(address("127.0.0.1"), "127.0.0.1:9");
        assert_eq!(address("localhost"), "localhost:9");
    }
}
