//! Test support: the real `mmo-server` binary in a child process, as an operator runs it: its
//! log read line by line as it comes, optionally under a lowered open-file limit, stopped with
//! SIGTERM; and runs that must end on their own (refusals to start).

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// How long the binary may take to start, say something or stop.
pub const WAIT: Duration = Duration::from_secs(20);

/// `mmo-server` with these arguments and an environment of only `env` and `PATH` (so the
/// `MMO_*` variables of whoever runs the tests cannot change a result), in the tests' scratch
/// folder, under an open-file limit of `file_limit` when given.
pub fn command(args: &[&str], env: &[(&str, &str)], file_limit: Option<u32>) -> Command {
    // Another build may be tested the same way, e.g. an older one to see a test fail.
    let binary = std::env::var("MMO_TEST_SERVER_BINARY")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_mmo-server").to_owned());
    let mut command = match file_limit {
        None => Command::new(binary),
        Some(limit) => {
            let mut shell = Command::new("bash");
            shell
                .arg("-c")
                .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                .arg(binary);
            shell
        }
    };
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        // Where the default SQLite file (`sqlite://mmo.db`) is made: not the source tree.
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `mmo-server` with an environment of only `env` to its exit, which must come within
/// `WAIT`.
pub fn run_to_exit(args: &[&str], env: &[(&str, &str)]) -> Output {
    let child = command(args, env, None).spawn().unwrap();
    let pid = child.id();
    let (done, exited) = mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output().unwrap()));
    exited.recv_timeout(WAIT).unwrap_or_else(|_| {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        panic!("mmo-server {args:?} did not exit within {WAIT:?}");
    })
}

/// Runs `mmo-server`, which must refuse to start with exit code 2 and print nothing but its
/// message; returns the message.
pub fn refusal(args: &[&str], env: &[(&str, &str)]) -> String {
    let output = run_to_exit(args, env);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing printed but the error");
    stderr
}

/// A path as an argument.
pub fn path_text(path: &std::path::Path) -> &str {
    path.to_str().unwrap()
}

/// How the child's standard output is treated.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Stdout {
    /// Read line by line into the log.
    Collected,
    /// A pipe nobody reads: once its buffer is full, every write to it would block.
    Stalled,
}

/// A running `mmo-server`; killed if dropped before `stop`.
pub struct ServerProcess {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Every line it wrote so far, standard output and error together.
    log: Arc<Mutex<Vec<String>>>,
    /// How many lines of `log` `wait_for_line` has gone past.
    read: usize,
    /// With `Stdout::Stalled`: the pipe, held open and never read.
    _stalled_stdout: Option<std::process::ChildStdout>,
}

impl ServerProcess {
    /// Starts `mmo-server` with `args` and waits for it to listen.
    pub fn start(args: &[&str]) -> Self {
        Self::start_with(args, None, Stdout::Collected)
    }

    /// Starts `mmo-server` as a member of the cluster on the broker at `nats_url`, without
    /// accounts, noticing a member gone after `cluster_timeout_seconds`: a server a test can
    /// kill outright, as the servers in the test's own process cannot be.
    pub fn cluster_member(nats_url: &str, cluster_timeout_seconds: u32) -> Self {
        let timeout = cluster_timeout_seconds.to_string();
        Self::start(&[
            "--nats",
            nats_url,
            "--database",
            "",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--cluster-timeout",
            &timeout,
        ])
    }

    /// Starts `mmo-server` with `args`, under an open-file limit of `file_limit` when given,
    /// and waits for it to listen.
    pub fn start_with(args: &[&str], file_limit: Option<u32>, stdout: Stdout) -> Self {
        let mut child = command(args, &[], file_limit).spawn().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        collect(child.stderr.take().unwrap(), Arc::clone(&log));
        let stdout_pipe = child.stdout.take().unwrap();
        // Owned from here on, so that a failure to start below kills the child too.
        let mut server = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            log,
            read: 0,
            _stalled_stdout: None,
        };
        server.addr = if stdout == Stdout::Collected {
            collect(stdout_pipe, Arc::clone(&server.log));
            let starting = |line: &str| line.contains("Starting server on ");
            let line = wait_for(&server.log, 0, "saying where it listens", starting).1;
            address_after(&line, "Starting server on ").parse().unwrap()
        } else {
            // Kept open and never read. The log line with the address would sit unread in the
            // pipe, so ask the kernel instead.
            server._stalled_stdout = Some(stdout_pipe);
            listening_address(server.child.id())
        };
        server
    }

    /// The process's ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `ws://ADDR/ws`.
    pub fn url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// The first log line matching `matches`, waiting for it if there is none yet.
    pub fn wait_for_log(&self, matches: impl Fn(&str) -> bool) -> String {
        wait_for(&self.log, 0, "of that kind", matches).1
    }

    /// The next log line, after those an earlier call went past, that satisfies `wanted`;
    /// `what` names it in the failure.
    pub fn wait_for_line(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let (index, line) = wait_for(&self.log, self.read, what, wanted);
        self.read = index + 1;
        line
    }

    /// The address in the next log line that says `phrase` and then an address, e.g.
    /// `Serving metrics on `.
    pub fn address_after(&mut self, phrase: &str) -> String {
        let line = self.wait_for_line(&format!("saying {phrase:?}"), |line| line.contains(phrase));
        address_after(&line, phrase).to_owned()
    }

    /// Every log line so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Sends SIGTERM and waits for the exit; returns it and every line written until then.
    pub fn stop(mut self) -> (ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "mmo-server did not exit within {WAIT:?} of SIGTERM: {:#?}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        // The readers finish when the pipes close, right after the exit.
        while Arc::strong_count(&self.log) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        (status, self.log())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `pipe` line by line into `log` until it closes.
fn collect(pipe: impl std::io::Read + Send + 'static, log: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { return };
            log.lock().unwrap().push(line);
        }
    });
}

/// The first line of `log` from index `from` on that `matches`, with its index; fails after
/// `WAIT` with the whole log, naming the line wanted by `what`.
fn wait_for(
    log: &Mutex<Vec<String>>,
    from: usize,
    what: &str,
    matches: impl Fn(&str) -> bool,
) -> (usize, String) {
    let deadline = Instant::now() + WAIT;
    loop {
        {
            let lines = log.lock().unwrap();
            let found = lines
                .iter()
                .enumerate()
                .skip(from)
                .find(|(_, line)| matches(line));
            if let Some((index, line)) = found {
                return (index, line.clone());
            }
            assert!(
                Instant::now() < deadline,
                "no log line {what} within {WAIT:?}; the log: {lines:#?}"
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The first word after `phrase` in `line`: a text line may end with structured fields, and
/// in a JSON line a quote ends the message.
fn address_after<'a>(line: &'a str, phrase: &str) -> &'a str {
    let (_, rest) = line.split_once(phrase).unwrap();
    rest.split(|c: char| c.is_whitespace() || c == '"')
        .next()
        .unwrap()
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
