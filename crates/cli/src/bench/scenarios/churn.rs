//! `mmo bench churn`: connect/close cycles per second, and what the server keeps after them.

use std::time::Instant;

use serde_json::json;

use super::args::{ChurnArgs, duration_arg};
use super::fleet::{Finished, REPORT_GRACE, start};
use super::report::{ChurnTotals, emit_json, per_second, seconds};
use crate::bench::parent::BenchError;
use crate::bench::wire::{ChurnPhase, Command};
use crate::bench::{CONNECTIONS_PER_SOURCE_ADDRESS, CommonArgs, millis};

/// Source addresses churn spreads over: each cycle leaves a port in TIME_WAIT for a minute on
/// one side or the other, and more addresses means more ports.
pub(crate) const CHURN_SOURCE_HINT: u64 = 8 * CONNECTIONS_PER_SOURCE_ADDRESS;

pub(crate) async fn churn(common: &CommonArgs, args: &ChurnArgs) -> Result<(), BenchError> {
    let duration = duration_arg("duration", args.duration)?;
    let settle = duration_arg("settle", args.settle)?;
    if args.concurrency == 0 {
        return Err(BenchError::Usage(
            "--concurrency must be at least 1".to_owned(),
        ));
    }
    let mut fleet = start(common, 0, 0, 0, CHURN_SOURCE_HINT, None, 0).await?;
    let before = fleet.probe.sample();
    let workers = u32::try_from(fleet.workers.len()).unwrap_or(1).max(1);
    let command = Command::Churn(ChurnPhase {
        concurrency: args.concurrency.div_ceil(workers),
        duration_millis: millis(duration),
        join_lobby: false,
        rate_per_second: 0.0,
    });
    let started = Instant::now();
    let reports = fleet.phase(&command, duration + REPORT_GRACE).await?;
    let elapsed = started.elapsed();
    let ChurnTotals {
        cycles,
        latency,
        failures,
    } = ChurnTotals::add(&reports);
    eprintln!(
        "mmo bench: letting the server settle for {:.1} s",
        settle.as_secs_f64()
    );
    tokio::time::sleep(settle).await;
    let span = fleet.span_since(before);
    let Finished { url, bench_cpu, .. } = fleet.finish().await?;

    println!(
        "churn: {cycles} connect/close cycles in {:.1} s ({} per s) with {} loops",
        elapsed.as_secs_f64(),
        per_second(cycles, elapsed),
        args.concurrency
    );
    println!("time to ID: {}", latency.summary().human());
    println!("failures: {}", failures.human());
    if let Some(text) = span.human(None) {
        println!("{text}");
    }
    println!("bench cpu {:.2} s", bench_cpu.as_secs_f64());
    emit_json(json!({
        "scenario": "churn",
        "url": url,
        "concurrency": args.concurrency,
        "duration_s": seconds(elapsed),
        "cycles": cycles,
        "cycles_per_s": per_second(cycles, elapsed),
        "connect_latency_us": latency.summary(),
        "failures": failures,
        "server": span.json(common.server_pid, None),
        "server_rss_growth_bytes": span.before.zip(span.after).map(|(b, a)| a.rss_bytes as i128 - b.rss_bytes as i128),
        "bench_cpu_s": seconds(bench_cpu),
    }));
    Ok(())
}
