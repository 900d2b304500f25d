//! Turning a run's figures into its human summary and its JSON line: rates, server CPU per
//! delivery, the fanout summary, and whether sender lag is worth a warning.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use crate::bench::histogram::{Latencies, human_micros};
use crate::bench::outcome::FanoutOutcome;
use crate::bench::parent::human_bytes;
use crate::bench::procfs::ProcessSample;
use crate::bench::wire::{PhaseReport, Tally};

/// Sender lag behind schedule is worth a warning only past all of: this floor (timer and
/// scheduler jitter on a busy machine), a sender's own interval between lines (its lines then
/// went out bunched rather than at the rate asked), and this share of the run (the rate
/// offered over the run was then not the rate asked). Latency is measured from when a line
/// was really sent, so a smaller lag changes no figure.
pub(crate) const SEND_LAG_WARNING_FLOOR: Duration = Duration::from_millis(20);

pub(crate) const SEND_LAG_WARNING_SHARE_OF_RUN: f64 = 0.01;

/// Whether senders `lag` behind schedule means the rate asked was not offered: `lines` lines
/// from `senders` senders over `run`.
pub(crate) fn send_lag_matters(lag: Duration, lines: u64, senders: u32, run: Duration) -> bool {
    // Display arithmetic on counts far below 2^52.
    #[allow(clippy::cast_precision_loss)]
    let lines_per_sender = lines as f64 / f64::from(senders.max(1));
    let sender_interval = if lines_per_sender > 0.0 {
        run.div_f64(lines_per_sender)
    } else {
        run
    };
    lag > SEND_LAG_WARNING_FLOOR
        .max(sender_interval)
        .max(run.mul_f64(SEND_LAG_WARNING_SHARE_OF_RUN))
}

pub(crate) fn per_second(count: u64, over: Duration) -> f64 {
    // Display and JSON only.
    #[allow(clippy::cast_precision_loss)]
    let count = count as f64;
    (count / over.as_secs_f64().max(1e-9) * 10.0).round() / 10.0
}

/// Seconds to the millisecond, for JSON without float noise.
pub(crate) fn seconds(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1_000.0).round() / 1_000.0
}

/// The server's state around a measured span.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServerSpan {
    pub(crate) before: Option<ProcessSample>,
    pub(crate) after: Option<ProcessSample>,
    pub(crate) peak_rss_bytes: u64,
}

impl ServerSpan {
    pub(crate) fn cpu(&self) -> Option<Duration> {
        Some(self.after?.cpu.saturating_sub(self.before?.cpu))
    }

    pub(crate) fn cpu_micros_per(&self, count: u64) -> Option<f64> {
        let cpu = self.cpu()?;
        // JSON only.
        #[allow(clippy::cast_precision_loss)]
        let per = cpu.as_micros() as f64 / count.max(1) as f64;
        Some((per * 100.0).round() / 100.0)
    }

    pub(crate) fn json(&self, pid: Option<u32>, deliveries: Option<u64>) -> Value {
        if self.before.is_none() {
            return Value::Null;
        }
        json!({
            "pid": pid,
            "cpu_s": self.cpu().map(seconds),
            "cpu_us_per_delivery": deliveries.and_then(|d| self.cpu_micros_per(d)),
            "rss_before_bytes": self.before.map(|s| s.rss_bytes),
            "rss_after_bytes": self.after.map(|s| s.rss_bytes),
            "rss_peak_bytes": self.peak_rss_bytes,
            "open_fds_before": self.before.and_then(|s| s.open_fds),
            "open_fds_after": self.after.and_then(|s| s.open_fds),
        })
    }

    pub(crate) fn human(&self, deliveries: Option<u64>) -> Option<String> {
        let (before, after) = (self.before?, self.after?);
        let mut text = format!(
            "server: cpu {:.2} s; rss {} -> {} (peak {})",
            self.cpu()?.as_secs_f64(),
            human_bytes(before.rss_bytes),
            human_bytes(after.rss_bytes),
            human_bytes(self.peak_rss_bytes),
        );
        if let (Some(before), Some(after)) = (before.open_fds, after.open_fds) {
            text.push_str(&format!("; open files {before} -> {after}"));
        }
        if let Some(per) = deliveries.and_then(|d| self.cpu_micros_per(d)) {
            text.push_str(&format!("; {per} µs cpu per delivery"));
        }
        Some(text)
    }
}

pub(crate) fn fanout_json(outcome: &FanoutOutcome, duration: Duration) -> Value {
    json!({
        "scheduled": outcome.scheduled,
        "sent": outcome.sent,
        "refused": outcome.refused,
        "receivers": outcome.receivers,
        "expected_deliveries": outcome.expected,
        "delivered": outcome.delivered,
        "loss": outcome.loss,
        "deliveries_per_s": per_second(outcome.delivered, duration),
        "latency_us": outcome.latency.summary(),
        "gaps": outcome.gaps,
        "duplicates": outcome.duplicates,
        "stale": outcome.stale,
        "foreign": outcome.foreign,
        "max_send_lag_us": outcome.max_send_lag_us,
        "closes": outcome.closes,
        "denies": outcome.denies,
        "open_at_start": outcome.open_at_start,
        "open_at_end": outcome.open_at_end,
    })
}

pub(crate) fn print_fanout(outcome: &FanoutOutcome, duration: Duration) {
    println!(
        "sent {}/{} lines to {} readers: delivered {}/{} ({} per s), loss {}",
        outcome.sent,
        outcome.scheduled,
        outcome.receivers,
        outcome.delivered,
        outcome.expected,
        per_second(outcome.delivered, duration),
        outcome.loss
    );
    if !outcome.denies.is_empty() {
        // Refused lines are not owed to anyone: they are counted here, not as loss.
        println!(
            "refused by the server: {} (not loss: the server said no; for benchmarks start it \
             with --chat-rate 0)",
            outcome.denies.human_reasons()
        );
    }
    println!("latency: {}", outcome.latency.summary().human());
    println!(
        "senders fell behind schedule by at most {}; gaps {}, duplicates {}, stale {}, other chat {}",
        human_micros(outcome.max_send_lag_us),
        outcome.gaps,
        outcome.duplicates,
        outcome.stale,
        outcome.foreign
    );
    let lag = Duration::from_micros(outcome.max_send_lag_us);
    if send_lag_matters(lag, outcome.scheduled, outcome.senders, duration) {
        println!(
            "warning: senders fell {} behind schedule: the bench (try more --procs) or the \
             server's backpressure limited the rate",
            human_micros(outcome.max_send_lag_us)
        );
    }
    println!("server closed readers: {}", outcome.closes.human());
}

/// Prints the scenario's JSON line with what makes it comparable to another run: which build
/// of the bench measured it, on how many CPUs, and when.
pub(crate) fn emit_json(mut line: Value) {
    if let Some(fields) = line.as_object_mut() {
        let unix_time_s = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        fields.insert(
            "run".to_owned(),
            json!({
                "bench_version": env!("CARGO_PKG_VERSION"),
                "bench_profile": if cfg!(debug_assertions) { "debug" } else { "release" },
                "cpus": std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get),
                "unix_time_s": unix_time_s,
            }),
        );
    }
    println!("{line}");
}

pub(crate) fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(into), Value::Object(from)) = (into, from) {
        into.extend(from);
    }
}

/// The churning workers' reports added up.
#[derive(Debug, Default)]
pub struct ChurnTotals {
    pub cycles: u64,
    pub latency: Latencies,
    pub failures: Tally,
}

impl ChurnTotals {
    pub fn add(reports: &[PhaseReport]) -> Self {
        let mut totals = Self::default();
        for report in reports {
            totals.cycles += report.cycles;
            totals.latency.merge_wire(&report.connect_latency);
            totals.failures.merge(&report.connect_failures);
        }
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lag_that_changes_the_rate_offered_is_worth_a_warning() {
        let run = Duration::from_secs(10);
        let ms = Duration::from_millis;
        // 1,000 lines/s from 10 senders: 10 ms between a sender's lines; 1% of the run is 100 ms.
        assert!(!send_lag_matters(ms(13), 10_000, 10, run));
        assert!(!send_lag_matters(ms(100), 10_000, 10, run));
        assert!(send_lag_matters(ms(101), 10_000, 10, run));
        // 10 lines/s from 10 senders: a second between a sender's lines.
        assert!(!send_lag_matters(ms(900), 100, 10, run));
        assert!(send_lag_matters(ms(1_001), 100, 10, run));
        // A short run still tolerates the floor.
        assert!(!send_lag_matters(
            ms(19),
            100_000,
            1,
            Duration::from_secs(1)
        ));
        assert!(send_lag_matters(ms(21), 100_000, 1, Duration::from_secs(1)));
        // Nothing scheduled: only a lag past the whole run.
        assert!(!send_lag_matters(ms(500), 0, 0, Duration::from_secs(1)));
    }
}
