//! The big-lobby scenarios of issue 18: `lobby-rejoin` (chat in the lobby and in another room,
//! quiet and then while clients keep joining the lobby they are already in) and
//! `lobby-connect` (the server's CPU to take N clients into the lobby at the tutorial's part-3
//! level, and then N at the full level, which are told of each other's arrival).

use std::time::Duration;

use serde_json::{Value, json};

use super::args::{TrafficArgs, check_traffic, duration_arg};
use super::fanout::STEP_PAUSE;
use super::fleet::{Finished, REPORT_GRACE, start};
use super::report::{ServerSpan, emit_json, fanout_json, merge, per_second, print_fanout, seconds};
use crate::bench::histogram::Latencies;
use crate::bench::outcome::FanoutOutcome;
use crate::bench::parent::BenchError;
use crate::bench::room_layout::RoomLayout;
use crate::bench::wire::Command;
use crate::bench::{CommonArgs, millis};

/// The lobby's name, as the server answers a join of `""`.
const LOBBY: &str = "lobby";

/// The other room of `lobby-rejoin`.
const OTHER_ROOM: &str = "elsewhere";

/// The rooms of `lobby-rejoin` by number: the other room first, so that the lobby is the last
/// and takes the re-joiners (see `RoomLayout::sizes`).
const OTHER_INDEX: usize = 0;
const LOBBY_INDEX: usize = 1;

/// `mmo bench lobby-rejoin`.
#[derive(Debug, clap::Args)]
pub struct LobbyRejoinArgs {
    /// Clients in the lobby that never join anything (the tutorial's part-3 client), its
    /// senders among them.
    #[arg(long, default_value_t = 10_000)]
    lobby: u64,
    /// Members of the other room, its senders among them.
    #[arg(long, default_value_t = 100)]
    room_members: u64,
    /// Clients in the lobby that join it again and again, besides --lobby.
    #[arg(long, default_value_t = 500)]
    rejoiners: u64,
    /// Re-joins per second of each re-joiner (the server's default `join_rate` is 2).
    #[arg(long, default_value_t = 2.0)]
    rejoin_rate: f64,
    /// What a re-join names: "" (the default, as the project's clients join the lobby) or
    /// "lobby".
    #[arg(long, value_name = "NAME", default_value = "")]
    rejoin_as: String,
    /// Senders in each of the two rooms.
    #[arg(long, default_value_t = 5)]
    senders_per_room: u32,
    /// Chat lines per second, both rooms together.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Seconds of each phase: quiet, then with the re-joins.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    duration: f64,
    /// Bytes of each chat line (at least the stamp, ~40 bytes).
    #[arg(long, value_name = "BYTES", default_value_t = 64)]
    payload: usize,
    /// Seconds to wait after the last line for lines still on their way.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    drain_timeout: f64,
}

/// `mmo bench lobby-connect`.
#[derive(Debug, clap::Args)]
pub struct LobbyConnectArgs {
    /// Clients connecting, each time.
    #[arg(long, default_value_t = 5_000)]
    clients: u64,
    /// Seconds to hold them after the last one connected, so the server's work for their
    /// arrival (presence, at the full level) is done before its CPU is read.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    hold: f64,
}

fn usage(text: impl Into<String>) -> BenchError {
    BenchError::Usage(text.into())
}

/// `after / before`, two decimals; `None` without a baseline.
fn ratio(after: f64, before: f64) -> Option<f64> {
    (before > 0.0).then(|| (after / before * 100.0).round() / 100.0)
}

/// Latency p50/p90/p99/max of one room, for a person.
fn room_latency(latencies: Option<&Latencies>) -> String {
    latencies.map_or_else(|| "no lines".to_owned(), |l| l.summary().human())
}

/// p90 of one room, µs (0 without lines).
fn p90(latencies: Option<&Latencies>) -> f64 {
    // Microseconds, far below 2^52.
    #[allow(clippy::cast_precision_loss)]
    latencies.map_or(0.0, |l| l.summary().p90_us as f64)
}

/// Runs `mmo bench lobby-rejoin`.
pub async fn lobby_rejoin(common: &CommonArgs, args: &LobbyRejoinArgs) -> Result<(), BenchError> {
    let duration = duration_arg("duration", args.duration)?;
    let per_room = u64::from(args.senders_per_room);
    if per_room == 0 || per_room > args.room_members || per_room > args.lobby {
        return Err(usage(
            "--senders-per-room must be at least 1 and at most --room-members and --lobby",
        ));
    }
    if !(args.rejoin_rate.is_finite() && args.rejoin_rate >= 0.0) {
        return Err(usage("--rejoin-rate must be a number, 0 or more"));
    }
    if !(args.rejoin_as.is_empty() || args.rejoin_as == LOBBY) {
        return Err(usage("--rejoin-as is \"\" or \"lobby\""));
    }
    let senders = args
        .senders_per_room
        .checked_mul(2)
        .ok_or_else(|| usage("too many senders"))?;
    let clients = args.room_members + args.lobby + args.rejoiners;
    let traffic = TrafficArgs {
        senders,
        payload: args.payload,
        drain_timeout: args.drain_timeout,
    };
    check_traffic(&traffic, clients)?;
    // Sender s speaks in room s % 2: the other room (0) and the lobby (1) get the same share.
    let mut layout = RoomLayout::new(
        vec![OTHER_ROOM.to_owned(), LOBBY.to_owned()],
        senders,
        clients,
        args.rejoiners,
    );
    layout.sizes = vec![args.room_members - per_room];
    layout.part3_room = Some(LOBBY_INDEX);
    layout.rejoin = true;
    layout.rejoin_as = Some(args.rejoin_as.clone());
    // The re-joiners' lists of the lobby are cut at the server's max_room_members.
    layout.unchecked = true;

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
    let mut fleet = fleet.require_connected("connect").await?;
    eprintln!("mmo bench: quiet phase");
    let (quiet, quiet_span, _) = fleet
        .rooms_phase(1, args.rate, duration, &traffic, 0.0, None)
        .await?;
    tokio::time::sleep(STEP_PAUSE).await;
    // Display arithmetic on counts far below 2^52.
    #[allow(clippy::cast_precision_loss)]
    let rejoins_per_second = args.rejoiners as f64 * args.rejoin_rate;
    eprintln!(
        "mmo bench: re-join phase: {} clients joining the lobby again, {rejoins_per_second}/s in all",
        args.rejoiners
    );
    let (attacked, attacked_span, _) = fleet
        .rooms_phase(2, args.rate, duration, &traffic, rejoins_per_second, None)
        .await?;
    let Finished {
        connect,
        url,
        bench_cpu,
        ..
    } = fleet.finish().await?;

    let rooms = [OTHER_ROOM, LOBBY];
    let p90_ratio = |room: usize| {
        ratio(
            p90(attacked.latency_by_room.get(room)),
            p90(quiet.latency_by_room.get(room)),
        )
    };
    let (lobby_ratio, other_ratio) = (p90_ratio(LOBBY_INDEX), p90_ratio(OTHER_INDEX));
    println!(
        "lobby-rejoin: {} part-3 clients and {} re-joiners in the lobby, {} in room {OTHER_ROOM:?}; \
         {} senders a room, {} lines/s of {} bytes in all; {:.1} s quiet, then {:.1} s with \
         {rejoins_per_second} re-joins/s (JoinRoomMessage{{{:?}}})",
        args.lobby,
        args.rejoiners,
        args.room_members,
        args.senders_per_room,
        args.rate,
        args.payload,
        duration.as_secs_f64(),
        duration.as_secs_f64(),
        args.rejoin_as
    );
    println!("connect: {}", connect.human());
    for (label, outcome, span) in [
        ("quiet", &quiet, &quiet_span),
        ("re-joins", &attacked, &attacked_span),
    ] {
        println!("-- {label}:");
        print_fanout(outcome, duration);
        for (room, name) in rooms.iter().enumerate() {
            println!(
                "  {name}: {}",
                room_latency(outcome.latency_by_room.get(room))
            );
        }
        let rejoins = &outcome.rooms;
        if rejoins.moves_scheduled > 0 {
            println!(
                "  re-joins: {}/{} answered ({} per s), refused: {}; answered in {}",
                rejoins.moves,
                rejoins.moves_scheduled,
                per_second(rejoins.moves, duration),
                rejoins.join_denies.human(),
                rejoins.join_latency.summary().human()
            );
        }
        if let Some(text) = span.human(Some(outcome.delivered)) {
            println!("  {text}");
        }
    }
    let show = |r: Option<f64>| r.map_or_else(|| "n/a".to_owned(), |r| format!("{r}x"));
    println!(
        "p90 with re-joins against quiet: lobby {}, {OTHER_ROOM} {} (issue 18's target: at \
         most 2x)",
        show(lobby_ratio),
        show(other_ratio)
    );
    println!("bench cpu {:.2} s", bench_cpu.as_secs_f64());
    let phase_json = |outcome: &FanoutOutcome, span: &ServerSpan| {
        let mut value = fanout_json(outcome, duration);
        let by_room: Value = rooms
            .iter()
            .enumerate()
            .map(|(room, name)| {
                (
                    (*name).to_owned(),
                    json!(outcome.latency_by_room.get(room).map(Latencies::summary)),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into();
        let rejoins = &outcome.rooms;
        merge(
            &mut value,
            json!({
                "server": span.json(common.server_pid, Some(outcome.delivered)),
                "latency_by_room_us": by_room,
                "rejoins": {
                    "scheduled": rejoins.moves_scheduled,
                    "answered": rejoins.moves,
                    "refused": rejoins.join_denies,
                    "answer_latency_us": rejoins.join_latency.summary(),
                },
            }),
        );
        value
    };
    emit_json(json!({
        "scenario": "lobby-rejoin",
        "url": url,
        "lobby": args.lobby,
        "rejoiners": args.rejoiners,
        "rejoin_rate": args.rejoin_rate,
        "rejoin_as": args.rejoin_as,
        "room_members": args.room_members,
        "senders_per_room": args.senders_per_room,
        "rate": args.rate,
        "payload_bytes": args.payload,
        "duration_s": duration.as_secs_f64(),
        "connect": connect.json(),
        "quiet": phase_json(&quiet, &quiet_span),
        "rejoining": phase_json(&attacked, &attacked_span),
        "p90_ratio": { "lobby": lobby_ratio, "other_room": other_ratio },
        "bench_cpu_s": seconds(bench_cpu),
    }));
    Ok(())
}

/// What taking one crowd into the lobby cost the server.
struct Arrival {
    span: ServerSpan,
    connected: u64,
    elapsed: Duration,
    presence: u64,
}

impl Arrival {
    fn cpu_s(&self) -> Option<f64> {
        self.span.cpu().map(|cpu| cpu.as_secs_f64())
    }

    fn json(&self, common: &CommonArgs) -> Value {
        json!({
            "connected": self.connected,
            "elapsed_s": seconds(self.elapsed),
            "connects_per_s": per_second(self.connected, self.elapsed),
            "presence_received": self.presence,
            "server": self.span.json(common.server_pid, None),
        })
    }
}

/// Connects `clients` into the lobby (joining it when `full_level`), holds them for `hold`
/// and closes them: what it cost the server, from before the first connect to the end of the
/// hold.
async fn arrive(
    common: &CommonArgs,
    clients: u64,
    full_level: bool,
    hold: Duration,
) -> Result<Arrival, BenchError> {
    let layout = full_level.then(|| {
        let mut layout = RoomLayout::new(vec![LOBBY.to_owned()], 0, clients, 0);
        // Their lists of the lobby are cut at the server's max_room_members.
        layout.unchecked = true;
        layout
    });
    let mut probe = crate::bench::parent::ServerProbe::new(common.server_pid);
    let before = probe.sample();
    let mut fleet = start(common, clients, clients, 0, 0, layout, 0).await?;
    let reports = fleet
        .phase(
            &Command::Hold {
                millis: millis(hold),
            },
            hold + REPORT_GRACE,
        )
        .await?;
    let span = fleet.span_since(before);
    let presence = reports.iter().map(|r| r.rooms.presence_received).sum();
    let connected = fleet.connect.connected;
    let elapsed = fleet.connect.elapsed;
    fleet.finish().await?;
    Ok(Arrival {
        span,
        connected,
        elapsed,
        presence,
    })
}

/// Runs `mmo bench lobby-connect`.
pub async fn lobby_connect(common: &CommonArgs, args: &LobbyConnectArgs) -> Result<(), BenchError> {
    let hold = duration_arg("hold", args.hold)?;
    if common.server_pid.is_none() {
        eprintln!("mmo bench: warning: no server PID (--server-pid), so no server CPU to compare");
    }
    eprintln!("mmo bench: {} part-3 clients into the lobby", args.clients);
    let part3 = arrive(common, args.clients, false, hold).await?;
    tokio::time::sleep(STEP_PAUSE).await;
    eprintln!(
        "mmo bench: {} full-level clients into the lobby",
        args.clients
    );
    let full = arrive(common, args.clients, true, hold).await?;
    let cpu_ratio = match (full.cpu_s(), part3.cpu_s()) {
        (Some(full), Some(part3)) => ratio(full, part3),
        _ => None,
    };
    println!(
        "lobby-connect: {} clients into the lobby, held {:.1} s, first at the part-3 level \
         (chat only), then at the full level (joining the lobby: presence to each other)",
        args.clients,
        hold.as_secs_f64()
    );
    for (label, arrival) in [("part 3", &part3), ("full level", &full)] {
        println!(
            "{label}: {} connected in {:.2} s ({} per s); {} presence messages received; \
             server cpu {}",
            arrival.connected,
            arrival.elapsed.as_secs_f64(),
            per_second(arrival.connected, arrival.elapsed),
            arrival.presence,
            arrival
                .cpu_s()
                .map_or_else(|| "n/a".to_owned(), |cpu| format!("{cpu:.2} s")),
        );
    }
    println!(
        "server cpu, full level against part 3: {} (issue 18's target: at most 3x)",
        cpu_ratio.map_or_else(|| "n/a".to_owned(), |r| format!("{r}x"))
    );
    if let Some(per) = full.span.cpu_micros_per(full.presence) {
        println!("full level: {per} µs server cpu per presence message delivered");
    }
    emit_json(json!({
        "scenario": "lobby-connect",
        "clients": args.clients,
        "hold_s": hold.as_secs_f64(),
        "part3": part3.json(common),
        "full_level": full.json(common),
        "cpu_ratio": cpu_ratio,
    }));
    Ok(())
}
