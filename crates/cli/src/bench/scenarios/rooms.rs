//! The scenarios with rooms: `rooms` (many rooms chatting, members moving between them, and
//! the checks that rooms stay apart and presence stays true) and `busy-room-churn` (one busy
//! room measured while quiet, then while other clients connect and disconnect in the lobby).

use serde_json::{Value, json};

use super::{
    CHURN_SOURCE_HINT, ChurnTotals, Finished, PHASE_START_DELAY, STEP_PAUSE, ServerSpan,
    TrafficArgs, check_traffic, duration_arg, emit_json, fanout_json, merge, per_second,
    print_fanout, seconds, start,
};
use crate::bench::histogram::human_micros;
use crate::bench::outcome::{FanoutOutcome, RoomsOutcome};
use crate::bench::room_layout::RoomLayout;
use crate::bench::wire::{ChurnPhase, PhaseReport};
use crate::bench::{CommonArgs, parent::BenchError};

/// Room changes per second one mover makes when `--movers` is not given: half the server's
/// default `join_rate` (2 a second), so its token bucket never refuses a bench move.
const MOVES_PER_MOVER_PER_SECOND: f64 = 1.0;

/// What the rooms of a `rooms` run are called: this and the room's number.
const ROOM_PREFIX: &str = "bench-";

/// `mmo bench rooms`.
#[derive(Debug, clap::Args)]
pub struct RoomsArgs {
    /// Rooms.
    #[arg(long, default_value_t = 100)]
    rooms: u32,
    /// Members of each room, its senders included.
    #[arg(long, default_value_t = 100)]
    members: u64,
    /// Members of each room that send; they never move.
    #[arg(long, default_value_t = 2)]
    senders_per_room: u32,
    /// Chat lines per second, all rooms together.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Seconds of sending.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    duration: f64,
    /// Room changes per second, all movers together: each move leaves one room and enters
    /// the next (two presence fan-outs and a history copy on the server).
    #[arg(long, value_name = "MOVES", default_value_t = 0.0)]
    churn_per_second: f64,
    /// Members that move between rooms (they still read). Default: enough for each to move
    /// once a second, within the server's default join rate.
    #[arg(long)]
    movers: Option<u64>,
    /// Bytes of each chat line (at least the stamp, ~40 bytes).
    #[arg(long, value_name = "BYTES", default_value_t = 64)]
    payload: usize,
    /// Seconds to wait after the last line for lines still on their way.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    drain_timeout: f64,
}

/// `mmo bench busy-room-churn`.
#[derive(Debug, clap::Args)]
pub struct BusyRoomChurnArgs {
    /// Members of the busy room; the first --senders of them send.
    #[arg(long, default_value_t = 1_000)]
    clients: u64,
    /// The busy room's name.
    #[arg(long, value_name = "NAME", default_value = "busy")]
    room: String,
    /// Chat lines per second in the busy room.
    #[arg(long, default_value_t = 150.0)]
    rate: f64,
    /// Seconds of each phase: quiet, then churning.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    duration: f64,
    /// Other clients connecting to and disconnecting from the lobby in a loop, as fast as
    /// they can (connect/close loops running side by side).
    #[arg(long, default_value_t = 5_000)]
    churn_clients: u32,
    /// Worker processes for the churning clients, besides those of the busy room.
    #[arg(long, default_value_t = 1)]
    churn_procs: u32,
    /// The churning clients also join the lobby and wait for its answer before leaving, as
    /// this project's clients do (the server then tells the lobby's other such clients of
    /// each arrival and departure); without it they leave once they have their ID, as the
    /// tutorial's client would.
    #[arg(long)]
    churn_join: bool,
    /// Connects per second of all churning clients together, at most (0: as fast as they
    /// can). `--churn-clients 50 --churn-rate 50` is one address at the server's default
    /// per-address connect rate.
    #[arg(long, value_name = "CONNECTS", default_value_t = 0.0)]
    churn_rate: f64,
    #[command(flatten)]
    traffic: TrafficArgs,
}

fn usage(text: impl Into<String>) -> BenchError {
    BenchError::Usage(text.into())
}

/// Lines delivered in a phase: those owed to members that stayed, and those moving
/// members received.
fn all_deliveries(outcome: &FanoutOutcome) -> u64 {
    outcome.delivered + outcome.rooms.mover_received
}

/// The checks of a rooms run: the phase's chat checks plus the final member-list checks.
fn checks_json(rooms: &RoomsOutcome) -> Value {
    let membership = &rooms.membership;
    let inconsistencies = rooms.inconsistencies();
    json!({
        "consistent": inconsistencies.is_empty(),
        "inconsistencies": inconsistencies,
        "wrong_room_lines": rooms.wrong_room,
        "wrong_room_history_lines": rooms.wrong_room_history,
        "mover_gaps": rooms.mover_gaps,
        "presence_events": membership.presence_events,
        "presence_unexpected": membership.presence_unexpected,
        "presence_wrong_room": membership.presence_wrong_room,
        "member_lists_checked": membership.lists_checked,
        "member_lists_to_check": rooms.clients_to_check,
        "member_lists_differing": membership.lists_differing,
        "member_differences": membership.member_differences,
        "unexpected_room_answers": membership.unexpected_answers,
        "unanswered_checks": rooms.unanswered_checks,
    })
}

fn print_checks(rooms: &RoomsOutcome) {
    let membership = &rooms.membership;
    println!(
        "rooms kept apart: {} lines and {} history lines in a wrong room",
        rooms.wrong_room, rooms.wrong_room_history
    );
    println!(
        "presence: {} events, {} unexpected (repeated or after a lost one), {} for a wrong room; \
         member lists checked {}/{}, {} differed ({} members), {} unexpected answers, {} \
         unanswered",
        membership.presence_events,
        membership.presence_unexpected,
        membership.presence_wrong_room,
        membership.lists_checked,
        rooms.clients_to_check,
        membership.lists_differing,
        membership.member_differences,
        membership.unexpected_answers,
        rooms.unanswered_checks
    );
    match rooms.inconsistencies() {
        found if found.is_empty() => println!("rooms consistent: yes"),
        found => println!("rooms consistent: NO: {}", found.join(", ")),
    }
}

/// The final checks' reports, folded into the phase's rooms outcome.
fn add_checks(rooms: &mut RoomsOutcome, checks: &[PhaseReport]) {
    let checked = RoomsOutcome::aggregate(checks);
    rooms.membership = checked.membership;
    rooms.unanswered_checks = checked.unanswered_checks;
    rooms.clients_to_check = checks.iter().map(|report| report.open_at_start).sum();
    rooms.wrong_room += checked.wrong_room;
    rooms.wrong_room_history += checked.wrong_room_history;
    rooms.join_denies.merge(&checked.join_denies);
}

/// Runs `mmo bench rooms`.
pub async fn rooms(common: &CommonArgs, args: &RoomsArgs) -> Result<(), BenchError> {
    let duration = duration_arg("duration", args.duration)?;
    if args.rooms == 0 || args.senders_per_room == 0 {
        return Err(usage("--rooms and --senders-per-room must be at least 1"));
    }
    if u64::from(args.senders_per_room) > args.members {
        return Err(usage("--senders-per-room must be at most --members"));
    }
    let senders = args
        .rooms
        .checked_mul(args.senders_per_room)
        .ok_or_else(|| usage("too many senders"))?;
    let clients = u64::from(args.rooms) * args.members;
    let churning = args.churn_per_second > 0.0;
    if churning && args.rooms < 2 {
        return Err(usage(
            "--churn-per-second needs at least 2 rooms to move between",
        ));
    }
    if !(args.churn_per_second.is_finite() && args.churn_per_second >= 0.0) {
        return Err(usage(
            "--churn-per-second must be a number of moves, 0 or more",
        ));
    }
    let movers = match (churning, args.movers) {
        (false, _) => 0,
        (true, Some(movers)) => movers,
        // A whole number of movers, at least one.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        (true, None) => (args.churn_per_second / MOVES_PER_MOVER_PER_SECOND).ceil() as u64,
    };
    let non_senders = clients - u64::from(senders);
    if churning && (movers == 0 || movers > non_senders) {
        return Err(usage(format!(
            "{movers} movers asked for, but the rooms have {non_senders} members that do not \
             send: lower --churn-per-second or raise --members (or give --movers)"
        )));
    }
    let traffic = TrafficArgs {
        senders,
        payload: args.payload,
        drain_timeout: args.drain_timeout,
    };
    check_traffic(&traffic, clients)?;
    let names = (0..args.rooms)
        .map(|r| format!("{ROOM_PREFIX}{r}"))
        .collect();
    let layout = RoomLayout::new(names, senders, clients, movers);

    let fleet = start(
        common,
        clients,
        clients,
        u64::from(senders),
        0,
        Some(layout),
        0,
    )
    .await?;
    let mut fleet = fleet.require_connected("join its room").await?;
    warn_unsettled(fleet.connect.unsettled_views);
    let arrivals = (fleet.connect.connected, fleet.connect.elapsed);
    let arrival_joins = fleet.connect.join_latency.summary();
    let (mut outcome, span, _) = fleet
        .rooms_phase(
            1,
            args.rate,
            duration,
            &traffic,
            args.churn_per_second,
            None,
        )
        .await?;
    let checks = fleet.check_rooms().await?;
    add_checks(&mut outcome.rooms, &checks);
    let Finished {
        connect,
        url,
        bench_cpu,
        ..
    } = fleet.finish().await?;

    let deliveries = all_deliveries(&outcome);
    let rooms = &outcome.rooms;
    println!(
        "rooms: {} rooms x {} members ({clients} clients), {} senders a room, {} lines/s of {} \
         bytes in all for {:.1} s; {} moves/s by {} movers",
        args.rooms,
        args.members,
        args.senders_per_room,
        args.rate,
        args.payload,
        duration.as_secs_f64(),
        args.churn_per_second,
        rooms.movers
    );
    println!("connect and join: {}", connect.human());
    println!(
        "joins on arrival: {} in {:.2} s ({} per s); answered in {}",
        arrivals.0,
        arrivals.1.as_secs_f64(),
        per_second(arrivals.0, arrivals.1),
        arrival_joins.human()
    );
    print_fanout(&outcome, duration);
    println!(
        "moving members received {} lines (not owed, not in the figures above), missed {} \
         during a stay; {} deliveries in all ({} per s)",
        rooms.mover_received,
        rooms.mover_gaps,
        deliveries,
        per_second(deliveries, duration)
    );
    if churning {
        println!(
            "moves: {}/{} made ({} per s), refused: {}; answered in {}; movers at most {} \
             behind schedule",
            rooms.moves,
            rooms.moves_scheduled,
            per_second(rooms.moves, duration),
            rooms.join_denies.human(),
            rooms.join_latency.summary().human(),
            human_micros(rooms.max_move_lag_us)
        );
    }
    print_checks(rooms);
    if let Some(text) = span.human(Some(deliveries)) {
        println!("{text}");
    }
    let frames = deliveries + rooms.presence_received;
    if let Some(per_frame) = span.cpu_micros_per(frames) {
        println!(
            "server: {} presence messages besides the chat ({} per s); {per_frame} µs cpu per \
             frame delivered, chat and presence",
            rooms.presence_received,
            per_second(rooms.presence_received, duration)
        );
    }
    println!("bench cpu {:.2} s", bench_cpu.as_secs_f64());
    let mut value = json!({
        "scenario": "rooms",
        "url": url,
        "rooms": args.rooms,
        "members_per_room": args.members,
        "clients": clients,
        "senders_per_room": args.senders_per_room,
        "senders": senders,
        "rate": args.rate,
        "payload_bytes": args.payload,
        "duration_s": duration.as_secs_f64(),
        "connect": connect.json(),
        "joins_on_arrival_per_s": per_second(arrivals.0, arrivals.1),
        "unsettled_views": connect.unsettled_views,
        "join_on_arrival_latency_us": arrival_joins,
        "server": span.json(common.server_pid, Some(deliveries)),
        "bench_cpu_s": seconds(bench_cpu),
    });
    merge(&mut value, fanout_json(&outcome, duration));
    merge(
        &mut value,
        json!({
            "owed_deliveries_per_s": per_second(outcome.delivered, duration),
            "mover_deliveries": rooms.mover_received,
            "deliveries": deliveries,
            "deliveries_per_s": per_second(deliveries, duration),
            "presence_deliveries": rooms.presence_received,
            "presence_deliveries_per_s": per_second(rooms.presence_received, duration),
            "server_cpu_us_per_frame": span.cpu_micros_per(frames),
            "churn": {
                "moves_per_s_asked": args.churn_per_second,
                "movers": rooms.movers,
                "moves_scheduled": rooms.moves_scheduled,
                "moves": rooms.moves,
                "moves_per_s": per_second(rooms.moves, duration),
                "join_denies": rooms.join_denies,
                "join_latency_us": rooms.join_latency.summary(),
                "max_move_lag_us": rooms.max_move_lag_us,
            },
            "checks": checks_json(rooms),
        }),
    );
    emit_json(value);
    Ok(())
}

fn warn_unsettled(clients: u64) {
    if clients > 0 {
        eprintln!(
            "mmo bench: warning: {clients} clients never heard of everyone joining their room \
             (connections failed?); the first phase may count presence from the arrivals"
        );
    }
}

/// How many times `after` is `before`, to two decimals; `None` without a `before`.
fn ratio(after: u64, before: u64) -> Option<f64> {
    // Display and JSON only.
    #[allow(clippy::cast_precision_loss)]
    let ratio = after as f64 / before as f64;
    (before > 0).then(|| (ratio * 100.0).round() / 100.0)
}

/// Runs `mmo bench busy-room-churn`.
pub async fn busy_room_churn(
    common: &CommonArgs,
    args: &BusyRoomChurnArgs,
) -> Result<(), BenchError> {
    let duration = duration_arg("duration", args.duration)?;
    check_traffic(&args.traffic, args.clients)?;
    if !(args.churn_rate.is_finite() && args.churn_rate >= 0.0) {
        return Err(usage(
            "--churn-rate must be a number of connects a second, 0 or more",
        ));
    }
    if args.churn_clients == 0 || args.churn_procs == 0 {
        return Err(usage(
            "--churn-clients and --churn-procs must be at least 1",
        ));
    }
    let layout = RoomLayout::new(
        vec![args.room.clone()],
        args.traffic.senders,
        args.clients,
        0,
    );
    let fleet = start(
        common,
        args.clients,
        args.clients,
        u64::from(args.traffic.senders),
        CHURN_SOURCE_HINT,
        Some(layout),
        args.churn_procs,
    )
    .await?;
    let mut fleet = fleet.require_connected("join the room").await?;

    warn_unsettled(fleet.connect.unsettled_views);
    eprintln!("mmo bench: quiet phase");
    let (quiet, quiet_span, _) = fleet
        .rooms_phase(1, args.rate, duration, &args.traffic, 0.0, None)
        .await?;
    tokio::time::sleep(STEP_PAUSE).await;
    eprintln!(
        "mmo bench: churn phase: {} clients connecting and disconnecting",
        args.churn_clients
    );
    // The churn covers the whole phase, from the command to the last line due.
    let churn_time = PHASE_START_DELAY + duration;
    let churn = ChurnPhase {
        concurrency: args.churn_clients.div_ceil(args.churn_procs),
        duration_millis: crate::bench::millis(churn_time),
        join_lobby: args.churn_join,
        rate_per_second: args.churn_rate / f64::from(args.churn_procs),
    };
    let (busy, busy_span, churned) = fleet
        .rooms_phase(2, args.rate, duration, &args.traffic, 0.0, Some(churn))
        .await?;
    let checks = fleet.check_rooms().await?;
    let mut rooms = RoomsOutcome::default();
    rooms.add_chat_checks(&quiet.rooms);
    rooms.add_chat_checks(&busy.rooms);
    add_checks(&mut rooms, &checks);
    let Finished {
        connect,
        url,
        bench_cpu,
        ..
    } = fleet.finish().await?;
    let churned = ChurnTotals::add(&churned);

    let quiet_latency = quiet.latency.summary();
    let busy_latency = busy.latency.summary();
    let p99_ratio = ratio(busy_latency.p99_us, quiet_latency.p99_us);
    println!(
        "busy-room-churn: room {:?} of {} members, {} senders, {} lines/s of {} bytes, {:.1} s \
         quiet then {:.1} s with {} clients churning in the lobby{}",
        args.room,
        args.clients,
        args.traffic.senders,
        args.rate,
        args.traffic.payload,
        duration.as_secs_f64(),
        duration.as_secs_f64(),
        args.churn_clients,
        if args.churn_join {
            " (each joining it)"
        } else {
            ""
        }
    );
    println!("connect and join: {}", connect.human());
    println!("-- quiet:");
    print_fanout(&quiet, duration);
    if let Some(text) = quiet_span.human(Some(quiet.delivered)) {
        println!("{text}");
    }
    println!("-- while churning:");
    print_fanout(&busy, duration);
    if let Some(text) = busy_span.human(Some(busy.delivered)) {
        println!("{text}");
    }
    // What the churn costs the room's members beyond the chat (issue 18: one presence frame
    // per member per join and leave before big rooms batched them).
    println!(
        "presence frames received by the room's members: {} quiet ({} per s), {} while churning \
         ({} per s)",
        quiet.rooms.presence_received,
        per_second(quiet.rooms.presence_received, duration),
        busy.rooms.presence_received,
        per_second(busy.rooms.presence_received, duration)
    );
    println!(
        "churn: {} connect/close cycles in {:.1} s ({} per s); time to ID {}; failures: {}",
        churned.cycles,
        churn_time.as_secs_f64(),
        per_second(churned.cycles, churn_time),
        churned.latency.summary().human(),
        churned.failures.human()
    );
    if !churned.failures.is_empty() {
        println!(
            "note: a server sheds handshakes past its --max-pending-handshakes (at most 1,024 by \
             default), which churning clients connecting all at once exceed; give it more than \
             --churn-clients to have every one served"
        );
    }
    println!(
        "busy room p50 {} -> {}, p99 {} -> {} ({} the quiet p99; the target is at most 2x)",
        human_micros(quiet_latency.p50_us),
        human_micros(busy_latency.p50_us),
        human_micros(quiet_latency.p99_us),
        human_micros(busy_latency.p99_us),
        p99_ratio.map_or_else(|| "n/a".to_owned(), |r| format!("{r}x")),
    );
    print_checks(&rooms);
    println!("bench cpu {:.2} s", bench_cpu.as_secs_f64());
    let phase_json = |outcome: &FanoutOutcome, span: &ServerSpan| {
        let mut value = fanout_json(outcome, duration);
        merge(
            &mut value,
            json!({ "server": span.json(common.server_pid, Some(outcome.delivered)) }),
        );
        value
    };
    emit_json(json!({
        "scenario": "busy-room-churn",
        "url": url,
        "room": args.room,
        "clients": args.clients,
        "senders": args.traffic.senders,
        "rate": args.rate,
        "payload_bytes": args.traffic.payload,
        "duration_s": duration.as_secs_f64(),
        "connect": connect.json(),
        "quiet": phase_json(&quiet, &quiet_span),
        "churning": phase_json(&busy, &busy_span),
        "presence_frames_quiet": quiet.rooms.presence_received,
        "presence_frames_churning": busy.rooms.presence_received,
        "presence_frames_churning_per_s": per_second(busy.rooms.presence_received, duration),
        "p99_ratio": p99_ratio,
        "churn": {
            "clients": args.churn_clients,
            "procs": args.churn_procs,
            "join_lobby": args.churn_join,
            "rate_limit_per_s": args.churn_rate,
            "duration_s": seconds(churn_time),
            "cycles": churned.cycles,
            "cycles_per_s": per_second(churned.cycles, churn_time),
            "connect_latency_us": churned.latency.summary(),
            "failures": churned.failures,
        },
        "checks": checks_json(&rooms),
        "bench_cpu_s": seconds(bench_cpu),
    }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_need_a_baseline() {
        assert_eq!(ratio(30, 10), Some(3.0));
        assert_eq!(ratio(10, 30), Some(0.33));
        assert_eq!(ratio(5, 0), None);
    }
}
