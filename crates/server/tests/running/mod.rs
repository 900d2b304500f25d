//! Test support: the real `mmo-server` binary as a child process, its standard output read line
//! by line as it comes, stopped with SIGTERM as an operator would.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the binary may take to start, say something or stop.
pub const WAIT: Duration = Duration::from_secs(20);

/// `mmo-server` with these arguments and an environment of only `env` (so the `MMO_*`
/// variables of whoever runs the tests cannot change a result).
pub fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mmo-server"));
    command
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `mmo-server` with an environment of only `env` to its exit, which must come within
/// `WAIT`.
pub fn run_to_exit(args: &[&str], env: &[(&str, &str)]) -> Output {
    let child = command(args, env).spawn().unwrap();
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

/// A running `mmo-server`; killed if dropped before `stop`.
pub struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every line of standard output read so far.
    pub seen: Vec<String>,
}

impl Running {
    /// Starts `mmo-server` with `args`.
    pub fn start(args: &[&str]) -> Self {
        let mut child = command(args, &[]).spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads lines until one satisfies `wanted`, and returns it; fails after `WAIT`.
    pub fn wait_for_line(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no line {what}; the log so far: {:#?}", self.seen));
            self.seen.push(line.clone());
            if wanted(&line) {
                return line;
            }
        }
    }

    /// The address in the text log line that says `phrase` and then an address, e.g.
    /// `Starting server on `.
    pub fn address_after(&mut self, phrase: &str) -> String {
        let line = self.wait_for_line(&format!("saying {phrase:?}"), |line| line.contains(phrase));
        let (_, address) = line.split_once(phrase).unwrap();
        address.split_whitespace().next().unwrap().to_owned()
    }

    /// Sends SIGTERM, waits for the exit and every line written until then.
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
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.push(line);
        }
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "mmo-server did not exit within {WAIT:?} of SIGTERM: {:#?}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        (status, std::mem::take(&mut self.seen))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
