//! The mmo server library: `run(listener, config, shutdown)` serves Godot, web and terminal
//! clients over WebSocket until `shutdown` resolves, then closes every connection gracefully.
//!
//! The parts, in the order a connection meets them: `server` accepts, `admission` decides
//! which sockets to take on, `connection` reads the request head and routes it (`http`,
//! `routes`), `websocket` does the handshake and framing, `session` runs one client over a
//! `transport`, `handlers` act on each kind of message, `rooms` fan messages out to members
//! through each client's bounded `outbox`, and `world` runs each room's game on a thread of
//! its own. `state` holds what they share.

mod accounts;
mod address_prefix;
mod admission;
mod assets;
mod cluster;
mod config;
mod connection;
mod disconnect;
mod handlers;
mod http;
mod ids;
mod load;
mod log_writer;
mod logging;
mod metrics;
mod outbox;
mod peer;
mod rate_limit;
mod rooms;
mod routes;
mod server;
mod services;
mod session;
mod state;
mod thread_priority;
mod tls;
mod transport;
mod websocket;
mod world;

pub use accounts::{
    ACCOUNTS_USAGE, operator_command as accounts_command, services as account_services,
    settings as account_settings,
};
pub use address_prefix::AddressPrefix;
pub use admission::SHORT_HEAD_TIMEOUT;
pub use config::{
    CONFIG_ENV, CONFIG_FLAG, Config, Conflict, DEFAULT_WRITE_COALESCE, ENV_PREFIX,
    FALLBACK_MAX_CONNECTIONS, InvalidConfig, Kind, Loaded, MAX_MESSAGE_BYTES_LIMIT,
    MAX_WRITE_COALESCE, MIN_HANDSHAKE_TIMEOUT, MIN_PING_INTERVAL, Millis, PRINT_CONFIG_FLAG,
    RESERVED_FILE_DESCRIPTORS, Seconds, Setting, Settings, Source, command,
    default_max_connections, raise_open_file_limit,
};
pub use disconnect::Disconnect;
pub use http::MAX_HEAD_BYTES;
pub use ids::ID_LIMIT;
pub use log_writer::LogWriterGuard;
pub use logging::{LogFormat, install as install_logging};
pub use rooms::{
    Announce, ChatLineEvent, EnterError, OutOfOrder, Publication, RoomChange, RoomEvent, RoomRecord,
};
pub use server::{LISTEN_BACKLOG, bind, run, run_with, testing};
pub use services::{
    Account, AccountError, AccountFuture, AccountStore, InProcessBroker, Login, Registration,
    RoomBroker, Services,
};
pub use tls::{TlsError, load as load_tls};
pub use websocket::{ProtocolError, close_code};

/// The hot-path internals the criterion benchmarks in `benches/` drive directly. Not a stable
/// API: nothing outside this repository should use it.
#[doc(hidden)]
pub mod internals {
    pub use crate::outbox::Frames;
    pub use crate::peer::Peer;
    pub use crate::rooms::{Room, RoomLimits, Rooms};
    pub use crate::websocket::{FrameDecoder, WsEvent, encode_packet_frame};
}
