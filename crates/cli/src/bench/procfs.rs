//! Reading a process's CPU time, memory and open files from /proc, for the server under test
//! and for the bench's own workers.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Clock ticks per second in /proc/PID/stat. Linux fixes this at 100 for user space (USER_HZ)
/// whatever the kernel's own tick rate, so there is no need to ask sysconf.
const USER_HZ: u64 = 100;

/// A process ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pid(pub u32);

/// Why a process could not be sampled.
#[derive(Debug, thiserror::Error)]
pub enum ProcError {
    /// The file could not be read (the process has probably exited).
    #[error("cannot read {path}: {source}")]
    Read {
        /// The /proc file.
        path: PathBuf,
        /// What the kernel said.
        source: std::io::Error,
    },
    /// The file's contents are not in the documented format.
    #[error("unexpected format in {0}")]
    Format(PathBuf),
}

/// One look at a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessSample {
    /// User plus system CPU time of all its threads so far.
    pub cpu: Duration,
    /// Resident memory in bytes.
    pub rss_bytes: u64,
    /// Open file descriptors, when we may look (same user or root).
    pub open_fds: Option<u64>,
}

impl Pid {
    /// This process.
    pub fn this_process() -> Self {
        Self(std::process::id())
    }

    fn path(self, file: &str) -> PathBuf {
        PathBuf::from(format!("/proc/{}/{file}", self.0))
    }

    fn read(self, file: &str) -> Result<String, ProcError> {
        let path = self.path(file);
        std::fs::read_to_string(&path).map_err(|source| ProcError::Read { path, source })
    }

    /// Samples CPU time, RSS and open files now.
    pub fn sample(self) -> Result<ProcessSample, ProcError> {
        let cpu = parse_stat_cpu(&self.read("stat")?)
            .ok_or_else(|| ProcError::Format(self.path("stat")))?;
        let rss_bytes = parse_status_rss(&self.read("status")?)
            .ok_or_else(|| ProcError::Format(self.path("status")))?;
        let open_fds = std::fs::read_dir(self.path("fd"))
            .ok()
            .map(|entries| entries.count() as u64);
        Ok(ProcessSample {
            cpu,
            rss_bytes,
            open_fds,
        })
    }
}

/// TCP socket state LISTEN in /proc/net/tcp and tcp6.
const TCP_LISTEN: &str = "0A";

/// The one process with a TCP socket listening on `port` (any local address), found through
/// /proc/net/tcp{,6} (the socket's inode) and /proc/*/fd (who holds it). `None` when no process
/// we may look into listens there, or when several do (with SO_REUSEPORT).
pub fn listener_of_port(port: u16) -> Option<Pid> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = std::fs::read_to_string(table) {
            inodes.extend(listening_inodes(&text, port));
        }
    }
    if inodes.is_empty() {
        return None;
    }
    let wanted: Vec<String> = inodes
        .iter()
        .map(|inode| format!("socket:[{inode}]"))
        .collect();
    let mut found = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        // Other users' processes cannot be looked into; they are skipped.
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let holds = fds.flatten().any(|fd| {
            std::fs::read_link(fd.path())
                .is_ok_and(|target| wanted.iter().any(|w| target.as_os_str() == w.as_str()))
        });
        if holds {
            if found.is_some_and(|other| other != Pid(pid)) {
                return None;
            }
            found = Some(Pid(pid));
        }
    }
    found
}

/// The inodes of the sockets listening on `port` in the text of /proc/net/tcp or tcp6.
fn listening_inodes(table: &str, port: u16) -> Vec<u64> {
    let port = format!("{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_ascii_whitespace().collect();
            let local_port = fields.get(1)?.rsplit(':').next()?;
            (local_port == port && *fields.get(3)? == TCP_LISTEN)
                .then(|| fields.get(9)?.parse().ok())
                .flatten()
        })
        .collect()
}

/// This process's soft limit on open files, from /proc/self/limits; `None` when unlimited or
/// unreadable.
pub fn open_files_limit() -> Option<u64> {
    parse_open_files_limit(&std::fs::read_to_string("/proc/self/limits").ok()?)
}

fn parse_open_files_limit(limits: &str) -> Option<u64> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_ascii_whitespace()
        .next()?
        .parse()
        .ok()
}

/// utime + stime from the text of /proc/PID/stat.
fn parse_stat_cpu(stat: &str) -> Option<Duration> {
    // The command name (field 2) is in parentheses and may itself hold spaces and ')', so
    // fields are counted from the last ')'. After it come field 3 (state) onwards.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_ascii_whitespace();
    // utime and stime are fields 14 and 15: the 12th and 13th after the name.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let ticks = utime.checked_add(stime)?;
    Some(Duration::from_millis(ticks.checked_mul(1_000 / USER_HZ)?))
}

/// VmRSS in bytes from the text of /proc/PID/status.
fn parse_status_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let mut parts = line["VmRSS:".len()..].split_ascii_whitespace();
    let value: u64 = parts.next()?.parse().ok()?;
    match parts.next()? {
        "kB" => value.checked_mul(1024),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_ticks_after_an_awkward_name() {
        // A name with spaces and a ')' must not shift the fields.
        let stat = "1234 (my (odd) name) S 1 1234 1234 0 -1 4194304 500 0 0 0 250 70 0 0 20 0 \
                    4 0 12345 1000000 2500 18446744073709551615";
        assert_eq!(parse_stat_cpu(stat), Some(Duration::from_millis(3_200)));
        assert_eq!(parse_stat_cpu("1234 (x) S 1"), None);
        assert_eq!(parse_stat_cpu("garbage"), None);
    }

    #[test]
    fn reads_rss_in_bytes() {
        let status = "Name:\tmmo-server\nVmPeak:\t  99999 kB\nVmRSS:\t   12345 kB\nThreads:\t3\n";
        assert_eq!(parse_status_rss(status), Some(12_345 * 1024));
        assert_eq!(parse_status_rss("Name:\tkthreadd\n"), None);
    }

    #[test]
    fn reads_the_open_files_limit() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max processes             96365                96365                processes\n\
                      Max open files            20000                40000                files\n";
        assert_eq!(parse_open_files_limit(limits), Some(20_000));
        assert_eq!(
            parse_open_files_limit(
                "Max open files            unlimited            unlimited            files"
            ),
            None
        );
    }

    #[test]
    fn finds_listening_sockets_by_port() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
           0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n\
           1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 20 4 30 10 -1\n\
           2: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 100 0 0 10 0\n";
        // Port 8080 is 1F90; the established connection on it is not a listener.
        assert_eq!(listening_inodes(table, 8080), [4242]);
        assert_eq!(listening_inodes(table, 8081), [4444]);
        assert!(listening_inodes(table, 9000).is_empty());
    }

    #[test]
    fn finds_the_process_listening_on_a_port() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        assert_eq!(listener_of_port(port), Some(Pid::this_process()));
        drop(listener);
        assert_eq!(listener_of_port(port), None);
    }

    #[test]
    fn samples_this_process() {
        let sample = Pid::this_process().sample().expect("own /proc is readable");
        assert!(sample.rss_bytes > 0);
        assert!(sample.open_fds.unwrap_or(1) > 0);
    }
}
