//! `mmo bench`: load scenarios against a running server, speaking the real protocol from
//! worker processes, with a human summary and one JSON line on stdout at the end.

mod conn;
mod countdown;
mod frame;
mod histogram;
mod membership;
mod outcome;
mod pacing;
mod parent;
mod payload;
mod procfs;
mod room_layout;
mod scenarios;
mod wire;
mod worker;

use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Source addresses are 127.0.0.2 onwards: 127.0.0.1 is left to everything else on the machine.
const FIRST_SOURCE_ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// Connections per source address when choosing how many addresses to use: well under the
/// ~28k ephemeral ports each address has. A socket bound to an address before it connects
/// gets its port from the kernel's search for one not yet bound on that address, and that
/// search slows sharply as the range fills: 19,000 connections from one address connected at
/// ~2,000/s with the bench's CPU saturated, from four addresses at ~19,000/s.
pub(crate) const CONNECTIONS_PER_SOURCE_ADDRESS: u64 = 5_000;

/// Most source addresses the bench will spread over (127.0.0.2 to 127.0.0.201).
const MAX_SOURCE_ADDRESSES: u32 = 200;

/// File descriptors a worker keeps free for stdio, the runtime and /proc reads when deciding
/// how many connections it can hold.
const WORKER_FD_HEADROOM: u64 = 200;

/// Connections per worker when the open-file limit cannot be read.
const FALLBACK_CLIENTS_PER_WORKER: u64 = 1_000;

/// Generate load against an mmo server and measure it.
///
/// Start the server with the chat rate limit off, or it will refuse the bench's lines:
///
///   mmo-server --chat-rate 0
///
/// With the server on this machine (a loopback URL), the bench measures its CPU and memory
/// from /proc, finding it as the process listening on the URL's port; --server-pid PID names
/// it instead:
///
///   mmo bench --server-pid "$(lsof -t -iTCP:8080 -sTCP:LISTEN)" fanout --clients 1000
///
/// Lines the server refuses (its chat rate limit, say) are reported as refused, by reason, and
/// are not counted as loss: the senders show the server they understand refusals.
///
/// Progress goes to stderr once a second; stdout gets a human summary and then one JSON line.
/// Connections are spread over worker processes (each holds at most its open-file limit
/// less some headroom) and, against a loopback server, over source addresses 127.0.0.2,
/// 127.0.0.3, … so that more than ~28k connections fit. Senders keep to an open-loop schedule
/// whatever comes back; latency runs from when a line was written to when it arrived, and how
/// far the senders fell behind their schedule is reported too (a large lag means the bench's
/// CPU or the server's TCP backpressure held them back).
#[derive(Debug, clap::Args)]
#[command(subcommand_required = false, arg_required_else_help = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    scenario: Option<scenarios::Scenario>,
    #[command(flatten)]
    common: CommonArgs,
    /// Internal: run as a worker process for a parent `mmo bench`.
    #[arg(long, hide = true)]
    worker: bool,
}

/// Options every scenario takes.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Server WebSocket URL: ws:// or wss://.
    #[arg(long, default_value = "ws://127.0.0.1:8080/ws", global = true)]
    url: String,
    /// For a wss:// URL: trust only the CA certificates in this PEM file.
    #[arg(long, value_name = "PEM", global = true)]
    ca_file: Option<std::path::PathBuf>,
    /// PID of the server process, to report its CPU time and memory (read from /proc).
    /// Default, for a loopback URL: the process listening on the URL's port.
    #[arg(long, value_name = "PID", global = true)]
    server_pid: Option<u32>,
    /// Another server of the same cluster (repeatable): the clients are spread round-robin
    /// over --url and these, client i connecting to the (i mod n)th. The senders are the
    /// first clients, so they are spread too.
    #[arg(long = "also-url", value_name = "URL", global = true)]
    also_urls: Vec<String>,
    /// PID of another server process of the cluster (repeatable), measured with --server-pid
    /// as one: CPU and memory are the sum over all of them.
    #[arg(long = "also-server-pid", value_name = "PID", global = true)]
    also_server_pids: Vec<u32>,
    /// PID of the cluster's broker (nats-server), counted in the servers' CPU and memory.
    #[arg(long, value_name = "PID", global = true)]
    broker_pid: Option<u32>,
    /// Worker processes to use at least; more are started when the clients do not fit in
    /// this many processes' open-file limits. With 2 or more, the senders get a process of
    /// their own, so receiving a flood of lines cannot delay their schedule.
    #[arg(long, default_value_t = 1, global = true)]
    procs: u32,
    /// Source addresses 127.0.0.2… to spread connections over; 0 binds none. Default: one per
    /// 5,000 connections when the server is on loopback, none otherwise.
    #[arg(long, value_name = "COUNT", global = true)]
    source_ips: Option<u32>,
    /// Most WebSocket handshakes in flight at once, across all workers.
    #[arg(long, default_value_t = 256, global = true)]
    connect_concurrency: u32,
}

impl CommonArgs {
    /// Every process measured as "the server": --server-pid, --also-server-pid and
    /// --broker-pid.
    pub(crate) fn measured_pids(&self) -> Vec<u32> {
        self.server_pid
            .iter()
            .chain(&self.also_server_pids)
            .chain(&self.broker_pid)
            .copied()
            .collect()
    }
}

/// Runs `mmo bench`.
pub fn run(args: &BenchArgs) -> ExitCode {
    if args.worker {
        return worker::run();
    }
    let Some(scenario) = &args.scenario else {
        eprintln!("mmo bench: name a scenario; see `mmo bench --help`");
        return ExitCode::FAILURE;
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mmo bench: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(scenarios::run(scenario, &args.common)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mmo bench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Whole milliseconds, as durations cross between processes; saturates rather than wraps.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Whole microseconds, the unit of every latency; saturates rather than wraps.
fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// Nanoseconds since the Unix epoch: the one clock that parent and workers share.
fn unix_nanos(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

/// How many connections one worker process can hold.
fn clients_per_worker() -> u64 {
    procfs::open_files_limit()
        .map(|limit| limit.saturating_sub(WORKER_FD_HEADROOM).max(1))
        .unwrap_or(FALLBACK_CLIENTS_PER_WORKER)
}

/// Source addresses for `connections` connections to `server`.
fn source_addresses(server: IpAddr, requested: Option<u32>, connections: u64) -> Vec<Ipv4Addr> {
    let count = match requested {
        Some(count) => count,
        None if server.is_loopback() && server.is_ipv4() => {
            u32::try_from(connections.div_ceil(CONNECTIONS_PER_SOURCE_ADDRESS).max(1))
                .unwrap_or(MAX_SOURCE_ADDRESSES)
        }
        None => 0,
    };
    let first = u32::from(FIRST_SOURCE_ADDRESS);
    (0..count.min(MAX_SOURCE_ADDRESSES))
        .map(|i| Ipv4Addr::from(first + i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_loopback_sources_only_for_a_loopback_server() {
        let loopback = IpAddr::from(Ipv4Addr::LOCALHOST);
        assert_eq!(
            source_addresses(loopback, None, 12_000),
            [
                Ipv4Addr::new(127, 0, 0, 2),
                Ipv4Addr::new(127, 0, 0, 3),
                Ipv4Addr::new(127, 0, 0, 4)
            ]
        );
        assert_eq!(source_addresses(loopback, None, 10).len(), 1);
        assert!(source_addresses(loopback, Some(0), 45_000).is_empty());
        let remote = IpAddr::from(Ipv4Addr::new(192, 0, 2, 1));
        assert!(source_addresses(remote, None, 45_000).is_empty());
        assert_eq!(source_addresses(loopback, Some(1_000), 1).len(), 200);
    }
}
