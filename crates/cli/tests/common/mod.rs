//! What the CLI's end-to-end tests share: a real server in the test process, the `mmo` binary
//! under test, and waiting for it.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::process::{Output, Stdio};
use std::time::Duration;

use tokio::process::Command;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long any one expected event may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(30);

/// A server in this process; stops when dropped, or politely with [`Server::shut_down`].
pub struct Server {
    /// `ws://ADDRESS/ws`, or `wss://localhost:PORT/ws` with TLS (the name the test
    /// certificates are made for).
    pub url: String,
    pub address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Stops it the way Ctrl-C does (every client gets close 1001 "server shutting down") and
    /// waits until it has finished and its port is free again.
    pub async fn shut_down(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the server stops in time")
            .expect("the server task does not panic")
            .expect("the server ran without error");
    }
}

/// The configuration of most tests: the defaults with the chat rate limit off.
pub fn unlimited() -> mmo_server::Config {
    mmo_server::Config {
        chat_rate: 0.0,
        ..mmo_server::Config::default()
    }
}

/// A server listening on `address` (a port of 0 picks a free one), as `mmo-server` binds it:
/// with `SO_REUSEADDR`, so a restarted server gets its port back at once.
pub async fn serve_on(address: &str, config: mmo_server::Config) -> Server {
    serve_with(address, config, mmo_server::Services::default()).await
}

/// [`serve_on`] with optional parts such as an account store.
pub async fn serve_with(
    address: &str,
    config: mmo_server::Config,
    services: mmo_server::Services,
) -> Server {
    let listener = mmo_server::bind(address).await.expect("bind");
    let address = listener.local_addr().expect("address");
    let url = if config.tls_cert.is_some() {
        format!("wss://localhost:{}/ws", address.port())
    } else {
        format!("ws://{address}/ws")
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(mmo_server::run_with(listener, config, services, async {
        let _ = stopped.await;
    }));
    Server {
        url,
        address,
        stop,
        task,
    }
}

/// The `mmo` binary under test, its output piped and killed if the test drops it.
pub fn mmo() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mmo"));
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Waits for `child` to exit and collects what it printed; fails after `WAIT`.
pub async fn finish(child: tokio::process::Child) -> Output {
    tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .expect("mmo finishes in time")
        .expect("mmo runs")
}

/// Output bytes as text, for messages and matching.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
