//! `mmo bench connect`: how many clients the server holds, how fast they connect, and what
//! each costs it in memory.

use serde_json::json;

use super::args::{ConnectArgs, duration_arg};
use super::fleet::{Finished, REPORT_GRACE, start};
use super::report::{emit_json, per_second, seconds};
use crate::bench::parent::{BenchError, ServerProbe, human_bytes};
use crate::bench::wire::{Command, Tally};
use crate::bench::{CommonArgs, millis};

pub(crate) async fn connect(common: &CommonArgs, args: &ConnectArgs) -> Result<(), BenchError> {
    let hold = duration_arg("hold", args.hold)?;
    let mut probe = ServerProbe::of_all(common.measured_pids());
    let before = probe.sample();
    let mut fleet = start(common, args.clients, args.clients, 0, 0, None, 0).await?;
    let connected = fleet.probe.sample();
    let reports = fleet
        .phase(
            &Command::Hold {
                millis: millis(hold),
            },
            hold + REPORT_GRACE,
        )
        .await?;
    let span = fleet.span_since(before);
    let mut closes = Tally::default();
    let open_after_hold: u64 = reports.iter().map(|r| r.open_at_end).sum();
    for report in &reports {
        closes.merge(&report.closes);
    }
    let per_connection = match (before, connected) {
        (Some(before), Some(connected)) if fleet.connect.connected > 0 => {
            Some(connected.rss_bytes.saturating_sub(before.rss_bytes) / fleet.connect.connected)
        }
        _ => None,
    };
    let Finished {
        connect,
        url,
        close_outcomes,
        bench_cpu,
    } = fleet.finish().await?;

    println!("connect: {}", connect.human());
    println!(
        "held {:.1} s: {open_after_hold} still open; server closed: {}",
        hold.as_secs_f64(),
        closes.human()
    );
    if let Some(text) = span.human(None) {
        println!("{text}");
    }
    if let Some(bytes) = per_connection {
        println!(
            "server memory per connection: {} ({bytes} bytes)",
            human_bytes(bytes)
        );
    }
    println!("bench cpu {:.2} s", bench_cpu.as_secs_f64());
    emit_json(json!({
        "scenario": "connect",
        "url": url,
        "clients": args.clients,
        "connect": connect.json(),
        "connected": connect.connected,
        "failed": connect.attempted - connect.connected,
        "connects_per_s": per_second(connect.connected, connect.elapsed),
        "hold_s": hold.as_secs_f64(),
        "open_after_hold": open_after_hold,
        "closes": closes,
        "close_outcomes": close_outcomes,
        "server": span.json(common.server_pid, None),
        "server_rss_per_connection_bytes": per_connection,
        "bench_cpu_s": seconds(bench_cpu),
    }));
    Ok(())
}
