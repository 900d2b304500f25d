//! The command-line arguments of the scenarios `mmo bench` runs itself (the rooms scenarios'
//! are in `rooms`), and their checks.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::bench::parent::BenchError;
use crate::bench::payload::MAX_STAMP_BYTES;

/// `mmo bench connect`.
#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    /// Connections to open.
    #[arg(long, default_value_t = 1_000)]
    pub(crate) clients: u64,
    /// Seconds to hold them open after the last one connected.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub(crate) hold: f64,
}

/// Traffic shape shared by the chatting scenarios.
#[derive(Debug, Clone, clap::Args)]
pub struct TrafficArgs {
    /// Clients sending, out of the connected ones.
    #[arg(long, default_value_t = 10)]
    pub(crate) senders: u32,
    /// Bytes of each chat line (at least the stamp, ~40 bytes; the server's default limit is
    /// 500 characters).
    #[arg(long, value_name = "BYTES", default_value_t = 64)]
    pub(crate) payload: usize,
    /// Seconds to wait after the last line for lines still on their way.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub(crate) drain_timeout: f64,
}

/// `mmo bench fanout`.
#[derive(Debug, clap::Args)]
pub struct FanoutArgs {
    /// Connected clients; all read, and the first --senders of them also send.
    #[arg(long, default_value_t = 100)]
    pub(crate) clients: u64,
    /// Chat lines per second, all senders together.
    #[arg(long, default_value_t = 1_000.0)]
    pub(crate) rate: f64,
    /// Seconds of sending.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub(crate) duration: f64,
    #[command(flatten)]
    pub(crate) traffic: TrafficArgs,
}

/// `mmo bench fanout-max`.
#[derive(Debug, clap::Args)]
pub struct FanoutMaxArgs {
    /// Connected clients; all read, and the first --senders of them also send.
    #[arg(long, default_value_t = 100)]
    pub(crate) clients: u64,
    /// First rate tried, lines per second.
    #[arg(long, default_value_t = 500.0)]
    pub(crate) start_rate: f64,
    /// Highest rate tried.
    #[arg(long, default_value_t = 1_000_000.0)]
    pub(crate) max_rate: f64,
    /// A step passes only with p99 latency (and sender lag behind schedule) at or under this
    /// many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 50.0)]
    pub(crate) p99_max_ms: f64,
    /// Seconds each step sends for.
    #[arg(long, value_name = "SECONDS", default_value_t = 3.0)]
    pub(crate) step_duration: f64,
    /// Bisection steps after the first failure.
    #[arg(long, default_value_t = 4)]
    pub(crate) refine: u32,
    #[command(flatten)]
    pub(crate) traffic: TrafficArgs,
}

/// `mmo bench churn`.
#[derive(Debug, clap::Args)]
pub struct ChurnArgs {
    /// Connect/close loops running side by side, across all workers.
    #[arg(long, default_value_t = 50)]
    pub(crate) concurrency: u32,
    /// Seconds of churning.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub(crate) duration: f64,
    /// Seconds to let the server settle before measuring it afterwards.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub(crate) settle: f64,
}

/// `mmo bench slow`.
#[derive(Debug, clap::Args)]
pub struct SlowArgs {
    /// Healthy clients, which read everything; the first --senders of them send.
    #[arg(long, default_value_t = 50)]
    pub(crate) clients: u64,
    /// Slow clients, which stop reading once they have their ID.
    #[arg(long, default_value_t = 10)]
    pub(crate) slow: u64,
    /// Chat lines per second, all senders together.
    #[arg(long, default_value_t = 2_000.0)]
    pub(crate) rate: f64,
    /// Seconds of sending.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub(crate) duration: f64,
    /// Seconds the slow clients get, once reading again, to reach the end of their connection.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub(crate) wake_timeout: f64,
    #[command(flatten)]
    pub(crate) traffic: TrafficArgs,
}

pub(crate) fn duration_arg(name: &str, seconds: f64) -> Result<Duration, BenchError> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        BenchError::Usage(format!(
            "--{name} must be a number of seconds, not {seconds}"
        ))
    })
}

pub(crate) fn check_traffic(traffic: &TrafficArgs, clients: u64) -> Result<(), BenchError> {
    if traffic.senders == 0 || u64::from(traffic.senders) > clients {
        return Err(BenchError::Usage(format!(
            "--senders must be from 1 to the number of clients ({clients})"
        )));
    }
    if traffic.payload > mmo_protocol::ChatLimits::default().max_bytes {
        eprintln!(
            "mmo bench: warning: --payload {} is over the server's default chat limit",
            traffic.payload
        );
    }
    if traffic.payload < MAX_STAMP_BYTES / 2 {
        eprintln!("mmo bench: note: lines are at least as long as their stamp (~40 bytes)");
    }
    Ok(())
}

/// The account-name prefix of a scenario's bench accounts: `given`, at most `max_chars`
/// characters (the server's 20 less what the scenario appends), or `letter` and the time in
/// seconds, so runs a while apart make new accounts.
pub(crate) fn account_prefix(
    given: Option<&str>,
    max_chars: usize,
    letter: char,
) -> Result<String, BenchError> {
    match given {
        Some(prefix) if prefix.chars().count() > max_chars => Err(BenchError::Usage(format!(
            "--prefix has at most {max_chars} characters"
        ))),
        Some(prefix) => Ok(prefix.to_owned()),
        None => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_secs());
            Ok(format!("{letter}{}", now % 1_000_000_000))
        }
    }
}
