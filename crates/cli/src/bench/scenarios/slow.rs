//! `mmo bench slow`: what healthy clients see while some clients never read.

use serde_json::json;

use super::args::{SlowArgs, check_traffic, duration_arg};
use super::fleet::{Finished, REPORT_GRACE, start};
use super::report::{emit_json, fanout_json, merge, print_fanout, seconds};
use crate::bench::parent::BenchError;
use crate::bench::wire::{Command, Tally};
use crate::bench::{CommonArgs, millis};

/// Kernel receive buffer of a slow client: small, so the server's queue for it fills quickly
/// instead of first filling megabytes of socket buffers.
pub(crate) const SLOW_RECV_BUFFER_BYTES: u32 = 4 * 1024;

pub(crate) async fn slow(common: &CommonArgs, args: &SlowArgs) -> Result<(), BenchError> {
    check_traffic(&args.traffic, args.clients)?;
    let duration = duration_arg("duration", args.duration)?;
    let wake_timeout = duration_arg("wake-timeout", args.wake_timeout)?;
    let total = args.clients + args.slow;
    let mut fleet = start(
        common,
        total,
        args.clients,
        u64::from(args.traffic.senders),
        0,
        None,
        0,
    )
    .await?;
    let (outcome, span) = fleet
        .fanout_phase(1, args.rate, duration, &args.traffic)
        .await?;
    let wake = fleet
        .phase(
            &Command::WakeSlow {
                timeout_millis: millis(wake_timeout),
            },
            wake_timeout + REPORT_GRACE,
        )
        .await?;
    let mut slow_outcomes = Tally::default();
    for report in &wake {
        slow_outcomes.merge(&report.slow_outcomes);
    }
    let Finished {
        connect,
        url,
        bench_cpu,
        ..
    } = fleet.finish().await?;

    println!(
        "slow: {} healthy clients ({} sending {} lines/s of {} bytes) and {} that never read, for {:.1} s",
        args.clients,
        args.traffic.senders,
        args.rate,
        args.traffic.payload,
        args.slow,
        duration.as_secs_f64()
    );
    println!("connect: {}", connect.human());
    print_fanout(&outcome, duration);
    println!("slow clients ended: {}", slow_outcomes.human());
    if slow_outcomes.human().contains("still open") {
        println!(
            "note: the server never found those clients too slow: each was sent {} bytes, which \
             kernel socket buffers (several MB on loopback) can absorb; raise --rate, --payload \
             or --duration",
            outcome.sent * args.traffic.payload as u64
        );
    }
    if let Some(text) = span.human(Some(outcome.delivered)) {
        println!("{text}");
    }
    println!("bench cpu {:.2} s", bench_cpu.as_secs_f64());
    let mut value = json!({
        "scenario": "slow",
        "url": url,
        "clients": args.clients,
        "slow_clients": args.slow,
        "senders": args.traffic.senders,
        "rate": args.rate,
        "payload_bytes": args.traffic.payload,
        "duration_s": duration.as_secs_f64(),
        "connect": connect.json(),
        "slow_outcomes": slow_outcomes,
        "server": span.json(common.server_pid, Some(outcome.delivered)),
        "bench_cpu_s": seconds(bench_cpu),
    });
    merge(&mut value, fanout_json(&outcome, duration));
    emit_json(value);
    Ok(())
}
