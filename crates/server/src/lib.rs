//! The mmo server library: `run(listener, config, shutdown)` serves Godot, web and terminal
//! clients over WebSocket until `shutdown` resolves, then closes every connection gracefully.
//!
//! The parts, in the order a message meets them: `server` accepts and routes, `http` reads the
//! request head, `websocket` does the handshake and framing, `session` runs one client, `hub`
//! relays between clients through each one's bounded `outbox`.

mod assets;
mod collection;
mod config;
mod http;
mod hub;
mod metrics;
mod outbox;
mod rate_limit;
mod server;
mod session;
mod websocket;

pub use collection::SharedCollection;
pub use config::{
    CONFIG_ENV, CONFIG_FLAG, Config, Conflict, DEFAULT_WRITE_COALESCE, ENV_PREFIX,
    FALLBACK_MAX_CONNECTIONS, InvalidConfig, Kind, Loaded, MAX_WRITE_COALESCE,
    MIN_HANDSHAKE_TIMEOUT, MIN_PING_INTERVAL, Millis, PRINT_CONFIG_FLAG, RESERVED_FILE_DESCRIPTORS,
    Seconds, Setting, Settings, Source, command, default_max_connections, raise_open_file_limit,
};
pub use http::MAX_HEAD_BYTES;
pub use server::{LISTEN_BACKLOG, bind, run};
pub use session::Disconnect;
pub use websocket::{ProtocolError, close_code};

/// The hot-path internals the criterion benchmarks in `benches/` drive directly. Not a stable
/// API: nothing outside this repository should use it.
#[doc(hidden)]
pub mod internals {
    pub use crate::hub::{Hub, Peer};
    pub use crate::websocket::{FrameDecoder, WsEvent, encode_packet_frame};
}
