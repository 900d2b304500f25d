//! Test support: a real `nats-server` with JetStream, on a free port of 127.0.0.1 and a
//! temporary store, for the cluster tests; stopped (SIGKILL) when dropped. The binary is
//! `MMO_TEST_NATS_SERVER` (set by scripts/with-nats, which installs it when missing), else
//! `nats-server` on the PATH or in /usr/sbin.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long nats-server may take to say it is ready.
/// The config of a server of the cluster on `nats`: no accounts (SQLite is refused with
/// `nats`), no chat limit.
pub fn member_of(nats: &Nats) -> mmo_server::Config {
    mmo_server::Config {
        nats: Some(nats.url()),
        database: String::new(),
        ..super::TestServer::unlimited()
    }
}

const READY_WAIT: Duration = Duration::from_secs(20);

/// A running nats-server.
pub struct Nats {
    child: Option<Child>,
    port: u16,
    store: tempfile::TempDir,
}

fn binary() -> String {
    if let Ok(binary) = std::env::var("MMO_TEST_NATS_SERVER") {
        return binary;
    }
    for candidate in ["nats-server", "/usr/sbin/nats-server"] {
        let found = Command::new(candidate)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if found {
            return candidate.to_owned();
        }
    }
    panic!("nats-server is not installed: run the tests under scripts/with-nats, which installs it")
}

/// Whether every thread of process `pid` is stopped by a signal (state `T` in its `stat`).
fn all_stopped(pid: u32) -> bool {
    let Ok(threads) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    threads.flatten().all(|thread| {
        std::fs::read_to_string(thread.path().join("stat")).is_ok_and(|stat| {
            // The state follows the command, which is in parentheses and may hold spaces.
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state == "T")
        })
    })
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl Nats {
    /// Starts nats-server with JetStream on a free port.
    pub fn start() -> Self {
        let mut nats = Self {
            child: None,
            port: free_port(),
            store: tempfile::tempdir().unwrap(),
        };
        nats.launch();
        nats
    }

    /// The URL servers are given (`--nats`).
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn launch(&mut self) {
        let mut child = Command::new(binary())
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(self.store.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (ready, is_ready) = mpsc::channel();
        std::thread::spawn(move || {
            let mut said = String::new();
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                said.push_str(&line);
                said.push('\n');
                if line.contains("Server is ready") {
                    let _ = ready.send(Ok(()));
                }
            }
            let _ = ready.send(Err(said));
        });
        match is_ready.recv_timeout(READY_WAIT) {
            Ok(Ok(())) => self.child = Some(child),
            Ok(Err(said)) => panic!("nats-server did not start:\n{said}"),
            Err(_) => {
                let _ = child.kill();
                panic!("nats-server did not say it was ready within {READY_WAIT:?}")
            }
        }
    }

    /// Kills nats-server (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops nats-server (SIGSTOP) without closing its connections, as a stalled broker
    /// would be: requests and publishes wait in its sockets until `resume`.
    /// Returns once every thread of it has stopped: a signal is acted on by each thread when
    /// it next runs, which on a loaded machine may be after the caller's next requests.
    pub fn pause(&self) {
        self.signal("-STOP");
        let pid = self.child.as_ref().unwrap().id();
        let deadline = std::time::Instant::now() + READY_WAIT;
        while !all_stopped(pid) {
            assert!(
                std::time::Instant::now() < deadline,
                "nats-server {pid} did not stop within {READY_WAIT:?}"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Lets a paused nats-server go on (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().unwrap().id().to_string();
        let sent = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(sent.success(), "kill {signal} {pid} failed");
    }

    /// Starts it again on the same port and store.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}
