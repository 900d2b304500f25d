//! An echo endpoint for the Autobahn|Testsuite (`scripts/autobahn`): the server's own accept
//! loop, handshake, framing and session code, except that each message goes back to its sender
//! instead of being relayed, and no ID is sent. Built only as an example, never part of the
//! `mmo-server` binary. Usage: `cargo run --release -p mmo-server --example autobahn_echo -- --port N`

use std::process::ExitCode;

use clap::Parser;
use mmo_server::Config;
use tracing::error;

/// The largest message Autobahn sends (cases 9.1.6 and 9.2.6: 16 MiB in one message). The
/// production limit (64 KiB) would end those cases with 1009 before any echo.
const LARGEST_TEST_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// Room for one largest message echoed back while the client is still sending the next ones
/// (cases 9.7 and 9.8 send 1,000 messages without waiting), so the echo never closes a
/// well-behaved test client as too slow.
const ECHO_QUEUE_BYTES: usize = 2 * LARGEST_TEST_MESSAGE_BYTES;

/// Echo server for WebSocket conformance tests; listens on 127.0.0.1 only.
#[derive(Debug, Parser)]
struct Flags {
    /// Port to listen on (0 picks a free one; the log says which).
    #[arg(long, default_value_t = 9001)]
    port: u16,
}

fn main() -> ExitCode {
    let flags = Flags::parse();
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    // Every other setting is the production default, close timeout included: the suite tests
    // the code and timing real clients meet. Only what echoing needs is changed.
    let config = Config {
        max_message_bytes: LARGEST_TEST_MESSAGE_BYTES,
        outbound_queue_bytes: ECHO_QUEUE_BYTES,
        // The suite's bursts are not chat: the rate limit would answer them with denials.
        chat_rate: 0.0,
        ..Config::default()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            error!("cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let address = format!("127.0.0.1:{}", flags.port);
        let listener = match mmo_server::bind(&address).await {
            Ok(listener) => listener,
            Err(error) => {
                error!("cannot listen on {address}: {error}");
                return ExitCode::FAILURE;
            }
        };
        match mmo_server::testing::run_echo(listener, config, shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                error!("echo server failed: {error}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Resolves on the first SIGINT or SIGTERM (the harness stops the server with SIGTERM).
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = interrupt => {},
                _ = terminate.recv() => {},
            }
            return;
        }
    }
    let _ = interrupt.await;
}
