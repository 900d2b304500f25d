//! Test support: the real `mmo-server` binary in a child process, optionally under a lowered
//! open-file limit, with its log collected line by line.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::WAIT;

/// A running `mmo-server`; killed when dropped.
pub struct ServerProcess {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

/// How the child's standard output is treated.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Stdout {
    /// Read line by line into the log.
    Collected,
    /// A pipe nobody reads: once its buffer is full, every write to it would block.
    Stalled,
}

impl ServerProcess {
    /// Starts `mmo-server` with `args` (and no `MMO_*` variables of whoever runs the tests),
    /// under an open-file limit of `file_limit` when given, and waits for it to listen.
    pub fn start(args: &[&str], file_limit: Option<u32>, stdout: Stdout) -> Self {
        // Another build may be tested the same way, e.g. an older one to see a test fail.
        let binary = std::env::var("MMO_TEST_SERVER_BINARY")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_mmo-server").to_owned());
        let mut command = Command::new("bash");
        let limit = file_limit.map_or(String::new(), |n| format!("ulimit -n {n} && "));
        command
            .arg("-c")
            .arg(format!("{limit}exec \"$0\" \"$@\""))
            .arg(&binary)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        collect(stderr, Arc::clone(&log));
        let stdout_pipe = child.stdout.take().unwrap();
        let addr = if stdout == Stdout::Collected {
            collect(stdout_pipe, Arc::clone(&log));
            let line = wait_for(&log, |line| line.contains("Starting server on "));
            parse_address(&line)
        } else {
            // Kept open and never read. The address comes from a second, collected stream:
            // the log line would sit unread in the pipe, so ask the kernel instead.
            std::mem::forget(stdout_pipe);
            listening_address(child.id())
        };
        Self { child, addr, log }
    }

    /// `ws://ADDR/ws`.
    pub fn url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Waits for a log line matching `matches`, and returns it.
    pub fn wait_for_log(&self, matches: impl Fn(&str) -> bool) -> String {
        wait_for(&self.log, matches)
    }

    /// Every log line so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(pipe: impl std::io::Read + Send + 'static, log: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { return };
            log.lock().unwrap().push(line);
        }
    });
}

fn wait_for(log: &Mutex<Vec<String>>, matches: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(line) = log.lock().unwrap().iter().find(|line| matches(line)) {
            return line.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no such log line; the log: {:#?}",
            log.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn parse_address(line: &str) -> SocketAddr {
    let text = line.split("Starting server on ").nth(1).unwrap().trim();
    // A line may end with structured fields; the address is the first word.
    text.split_whitespace().next().unwrap().parse().unwrap()
}

/// The TCP port process `pid` listens on, from /proc (for a child whose log is not read).
fn listening_address(pid: u32) -> SocketAddr {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(port) = listening_port(pid) {
            return SocketAddr::from(([127, 0, 0, 1], port));
        }
        assert!(Instant::now() < deadline, "process {pid} never listened");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn listening_port(pid: u32) -> Option<u16> {
    let sockets: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()?
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            target
                .strip_prefix("socket:[")?
                .strip_suffix(']')
                .map(str::to_owned)
        })
        .collect();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).ok()?;
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // State 0A is LISTEN; field 9 is the inode.
            if fields.get(3) == Some(&"0A")
                && sockets.iter().any(|s| Some(&s.as_str()) == fields.get(9))
            {
                let port = fields[1].rsplit(':').next()?;
                return u16::from_str_radix(port, 16).ok();
            }
        }
    }
    None
}
