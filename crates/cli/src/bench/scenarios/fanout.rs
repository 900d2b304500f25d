//! `mmo bench fanout` (deliveries and latency at one rate) and `fanout-max` (the highest
//! rate held within a latency bound).

use std::time::Duration;

use serde_json::{Value, json};

use super::args::{FanoutArgs, FanoutMaxArgs, check_traffic, duration_arg};
use super::fleet::{Finished, start};
use super::report::{emit_json, fanout_json, merge, per_second, print_fanout, seconds};
use crate::bench::histogram::human_micros;
use crate::bench::outcome::RateSearch;
use crate::bench::parent::BenchError;
use crate::bench::{CommonArgs, micros};

/// Pause between `fanout-max` steps so the server's queues empty before the next rate.
pub(crate) const STEP_PAUSE: Duration = Duration::from_secs(1);

/// Most steps a `fanout-max` search takes.
pub(crate) const MAX_SEARCH_STEPS: u32 = 16;

pub(crate) async fn fanout(common: &CommonArgs, args: &FanoutArgs) -> Result<(), BenchError> {
    check_traffic(&args.traffic, args.clients)?;
    let duration = duration_arg("duration", args.duration)?;
    let fleet = start(
        common,
        args.clients,
        args.clients,
        u64::from(args.traffic.senders),
        0,
        None,
        0,
    )
    .await?;
    let mut fleet = fleet.require_connected("connect").await?;
    let (outcome, span) = fleet
        .fanout_phase(1, args.rate, duration, &args.traffic)
        .await?;
    let Finished {
        connect,
        url,
        bench_cpu,
        ..
    } = fleet.finish().await?;

    println!(
        "fanout: {} clients, {} senders, {} lines/s of {} bytes for {:.1} s",
        args.clients,
        args.traffic.senders,
        args.rate,
        args.traffic.payload,
        duration.as_secs_f64()
    );
    println!("connect: {}", connect.human());
    print_fanout(&outcome, duration);
    if let Some(text) = span.human(Some(outcome.delivered)) {
        println!("{text}");
    }
    println!("bench cpu {:.2} s", bench_cpu.as_secs_f64());
    let mut value = json!({
        "scenario": "fanout",
        "url": url,
        "clients": args.clients,
        "senders": args.traffic.senders,
        "rate": args.rate,
        "payload_bytes": args.traffic.payload,
        "duration_s": duration.as_secs_f64(),
        "connect": connect.json(),
        "server": span.json(common.server_pid, Some(outcome.delivered)),
        "bench_cpu_s": seconds(bench_cpu),
    });
    merge(&mut value, fanout_json(&outcome, duration));
    emit_json(value);
    Ok(())
}

pub(crate) async fn fanout_max(
    common: &CommonArgs,
    args: &FanoutMaxArgs,
) -> Result<(), BenchError> {
    check_traffic(&args.traffic, args.clients)?;
    let step = duration_arg("step-duration", args.step_duration)?;
    let mut fleet = start(
        common,
        args.clients,
        args.clients,
        u64::from(args.traffic.senders),
        0,
        None,
        0,
    )
    .await?;
    let mut search = RateSearch::new(args.start_rate, args.max_rate, args.refine);
    let p99_bound_us = Duration::try_from_secs_f64(args.p99_max_ms / 1_000.0)
        .map(micros)
        .map_err(|_| {
            BenchError::Usage(format!(
                "--p99-max-ms must be a number of milliseconds, not {}",
                args.p99_max_ms
            ))
        })?;
    let mut steps = Vec::new();
    let mut best: Option<(f64, Value)> = None;
    let mut phase = 0;
    while let Some(rate) = search.next_rate() {
        phase += 1;
        if phase > MAX_SEARCH_STEPS {
            break;
        }
        let (outcome, span) = fleet.fanout_phase(phase, rate, step, &args.traffic).await?;
        let summary = outcome.latency.summary();
        let shortfalls = outcome.shortfalls(p99_bound_us);
        let passed = shortfalls.is_empty();
        eprintln!(
            "mmo bench: step {phase}: {rate:.0} lines/s -> {} deliveries/s, p99 {}, loss {}: {}",
            per_second(outcome.delivered, step),
            human_micros(summary.p99_us),
            outcome.loss,
            if passed {
                "held".to_owned()
            } else {
                format!("not held ({})", shortfalls.join(", "))
            }
        );
        let mut value = json!({
            "rate": rate,
            "held": passed,
            "not_held_because": shortfalls,
            "server": span.json(common.server_pid, Some(outcome.delivered)),
        });
        merge(&mut value, fanout_json(&outcome, step));
        if passed && best.as_ref().is_none_or(|(b, _)| rate > *b) {
            best = Some((rate, value.clone()));
        }
        steps.push(value);
        let lost_clients = outcome.open_at_end < outcome.open_at_start;
        if lost_clients {
            eprintln!(
                "mmo bench: the server closed clients ({}); stopping the search",
                outcome.closes.human()
            );
            break;
        }
        search.record(rate, passed);
        tokio::time::sleep(STEP_PAUSE).await;
    }
    let Finished {
        connect,
        url,
        bench_cpu,
        ..
    } = fleet.finish().await?;

    println!(
        "fanout-max: {} clients, {} senders, {} byte lines; bound p99 <= {} ms, zero loss",
        args.clients, args.traffic.senders, args.traffic.payload, args.p99_max_ms
    );
    println!("connect: {}", connect.human());
    for value in &steps {
        let held = value["held"].as_bool().unwrap_or(false);
        println!(
            "  {:>9.0} lines/s  {:>10.0} deliveries/s  p99 {:>10}  loss {:>6}  {}",
            value["rate"].as_f64().unwrap_or_default(),
            value["deliveries_per_s"].as_f64().unwrap_or_default(),
            human_micros(value["latency_us"]["p99_us"].as_u64().unwrap_or_default()),
            value["loss"],
            if held { "held" } else { "not held" }
        );
    }
    match &best {
        Some((rate, value)) => println!(
            "highest rate held: {rate:.0} lines/s = {} deliveries/s",
            value["deliveries_per_s"]
        ),
        None => println!("no rate was held; try a lower --start-rate"),
    }
    println!("bench cpu {:.2} s", bench_cpu.as_secs_f64());
    emit_json(json!({
        "scenario": "fanout-max",
        "url": url,
        "clients": args.clients,
        "senders": args.traffic.senders,
        "payload_bytes": args.traffic.payload,
        "p99_max_ms": args.p99_max_ms,
        "step_duration_s": step.as_secs_f64(),
        "connect": connect.json(),
        "best_rate": best.as_ref().map(|(rate, _)| rate),
        "best": best.map(|(_, value)| value),
        "steps": steps,
        "bench_cpu_s": seconds(bench_cpu),
    }));
    Ok(())
}
