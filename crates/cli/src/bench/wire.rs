//! What `mmo bench` and its `--worker` children say to each other: one JSON object per line,
//! commands on the worker's stdin and events on its stdout.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::histogram::WireBuckets;
use super::membership::MembershipChecks;
use super::room_layout::RoomLayout;

/// Most distinct keys one tally keeps. Close reasons and errors come in a handful of kinds;
/// a server that put a counter in every reason must not make the bench's memory grow.
const MAX_TALLY_KEYS: usize = 32;

/// Where counts go once a tally has `MAX_TALLY_KEYS` keys.
const OVERFLOW_KEY: &str = "(other reasons)";

/// Counts per kind of outcome ("1008 too slow", "HTTP 503 Service Unavailable", …).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tally(BTreeMap<String, u64>);

impl Tally {
    /// Counts `n` more of `key`.
    pub fn add(&mut self, key: &str, n: u64) {
        if let Some(count) = self.0.get_mut(key) {
            *count += n;
        } else if self.0.len() < MAX_TALLY_KEYS {
            self.0.insert(key.to_owned(), n);
        } else {
            *self.0.entry(OVERFLOW_KEY.to_owned()).or_default() += n;
        }
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Self) {
        for (key, &n) in &other.0 {
            self.add(key, n);
        }
    }

    /// All counts together.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// "rate limit: at most 10 messages per second (bursts of 20) (1178)": each key (a
    /// reason the server gave), with its count after it.
    pub fn human_reasons(&self) -> String {
        self.0
            .iter()
            .map(|(key, n)| format!("{key} ({n})"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// "3× 1008 too slow, 1× connection reset" for people.
    pub fn human(&self) -> String {
        if self.0.is_empty() {
            return "none".to_owned();
        }
        self.0
            .iter()
            .map(|(key, n)| format!("{n}× {key}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The worker's first stdin line: which clients it runs and where they connect.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorkerSetup {
    /// This worker's number, 0..workers.
    pub worker: u32,
    /// How many workers share the clients.
    pub workers: u32,
    /// The server's WebSocket URL.
    pub url: String,
    /// More servers of the same cluster: client `i` connects to `[url, more_urls…][i % n]`,
    /// so the clients are spread round-robin over every server named.
    #[serde(default)]
    pub more_urls: Vec<String>,
    /// For a wss:// URL: the PEM file of the only CAs to trust.
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
    /// Which clients this worker runs.
    pub clients: ClientShare,
    /// Clients `0..healthy_clients` read everything; the rest stop reading after their ID.
    pub healthy_clients: u64,
    /// Source addresses to bind, client `i` using `sources[i % len]`; empty binds none.
    pub sources: Vec<Ipv4Addr>,
    /// Most handshakes this worker has in flight at once.
    pub connect_concurrency: u32,
    /// Kernel receive buffer for slow clients, small so that they fall behind quickly.
    pub slow_recv_buffer_bytes: u32,
    /// Rooms runs: where the clients are. Without it clients never join a room: they stay
    /// in the lobby as the tutorial's part-3 client does, and get chat only.
    #[serde(default)]
    pub rooms: Option<RoomLayout>,
}

/// The clients one worker runs: `first`, `first + stride`, … (`count` of them), numbered
/// across all workers. Clients `0..senders` send in fanout phases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientShare {
    /// The first client's number.
    pub first: u64,
    /// The distance between this worker's clients.
    pub stride: u64,
    /// How many.
    pub count: u64,
}

impl ClientShare {
    /// Shares `total` clients among `workers` (at least one) for processes that can each
    /// hold `capacity` clients, adding workers when needed. With two or more workers, the
    /// first `senders` clients get a worker of their own: a process busy receiving a flood
    /// of lines would otherwise delay their schedule. Otherwise clients are dealt round-robin.
    pub fn assign(total: u64, senders: u64, workers: u32, capacity: u64) -> Vec<Self> {
        let capacity = capacity.max(1);
        let needed = u32::try_from(total.div_ceil(capacity)).unwrap_or(u32::MAX);
        let workers = workers.max(needed).max(1);
        let receivers = total.saturating_sub(senders);
        if workers >= 2 && senders > 0 && receivers > 0 && senders <= capacity {
            let receiving_workers =
                (workers - 1).max(u32::try_from(receivers.div_ceil(capacity)).unwrap_or(u32::MAX));
            let stride = u64::from(receiving_workers);
            let mut shares = vec![Self {
                first: 0,
                stride: 1,
                count: senders,
            }];
            shares.extend((0..stride).map(|j| Self {
                first: senders + j,
                stride,
                count: receivers.saturating_sub(j).div_ceil(stride),
            }));
            return shares;
        }
        let stride = u64::from(workers);
        (0..stride)
            .map(|w| Self {
                first: w,
                stride,
                count: total.saturating_sub(w).div_ceil(stride),
            })
            .collect()
    }

    /// The number of this worker's `slot`th client.
    pub fn client(&self, slot: u64) -> u64 {
        self.first + slot * self.stride
    }
}

/// What the parent asks a worker to do next, after it reported `Connected`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Send chat on the open-loop schedule and measure what arrives.
    Fanout(FanoutPhase),
    /// Keep the connections open and idle for a while.
    Hold {
        /// How long.
        millis: u64,
    },
    /// Open and close connections in a loop.
    Churn(ChurnPhase),
    /// Every client in a room asks for it again and checks the member list it gets against
    /// its own view; the report has every membership check since the start.
    CheckRooms {
        /// How long to wait for the answers.
        timeout_millis: u64,
    },
    /// Let the slow clients read again and report how the server ended their connections.
    WakeSlow {
        /// How long to wait for each to end.
        timeout_millis: u64,
    },
    /// Close every connection with a close handshake, report, and exit.
    Close {
        /// How long to wait for the handshakes.
        timeout_millis: u64,
    },
}

/// One measured fanout phase.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct FanoutPhase {
    /// Phase number, carried in each line so late lines are not counted in a later phase.
    pub phase: u32,
    /// Chat lines per second, all senders together.
    pub rate: f64,
    /// Clients `0..senders` send.
    pub senders: u32,
    /// Bytes in each chat line.
    pub payload_bytes: usize,
    /// When the first line is due, in Unix nanoseconds, the same instant for every worker.
    pub start_unix_nanos: u64,
    /// How long lines are sent for.
    pub duration_millis: u64,
    /// How long after the last send to wait for lines still on their way.
    pub drain_timeout_millis: u64,
    /// Rooms runs: room changes per second, all movers together, on an open-loop schedule
    /// like the lines'.
    #[serde(default)]
    pub moves_per_second: f64,
}

/// One churn phase.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct ChurnPhase {
    /// Connect/close loops this worker runs side by side.
    pub concurrency: u32,
    /// How long to keep cycling.
    pub duration_millis: u64,
    /// Whether each connection joins the lobby (and waits for its answer) before closing, as
    /// the project's own clients do, which makes the server tell the lobby's other such
    /// clients of its arrival and departure.
    #[serde(default)]
    pub join_lobby: bool,
    /// Connects per second this worker's loops start together, at most (0: as fast as they
    /// can); an address's allowed connect rate, say.
    #[serde(default)]
    pub rate_per_second: f64,
}

/// What a worker tells the parent.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Running totals, once a second.
    Progress(Progress),
    /// Every client has connected or failed to.
    Connected(ConnectReport),
    /// A command other than `Close` finished.
    PhaseDone(Box<PhaseReport>),
    /// Every connection is closed; the worker exits next.
    Closed(CloseReport),
}

/// Running totals of one worker since it started.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Progress {
    /// Which worker.
    pub worker: u32,
    /// When this was taken, in ms since the worker started.
    pub at_millis: u64,
    /// Connections open now.
    pub open: u64,
    /// Connections that failed to open.
    pub connect_failures: u64,
    /// Chat lines sent.
    pub sent: u64,
    /// Bench chat lines received.
    pub received: u64,
    /// Connect/close cycles finished.
    pub cycles: u64,
    /// Largest latency seen since the previous progress event, µs.
    pub max_latency_us: u64,
}

/// The outcome of opening the clients.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ConnectReport {
    /// Which worker.
    pub worker: u32,
    /// Connections attempted.
    pub attempted: u64,
    /// Connections that received their ID.
    pub connected: u64,
    /// Why the others failed.
    pub failures: Tally,
    /// Time from starting to connect to receiving the ID, µs.
    pub latency: WireBuckets,
    /// Rooms runs: time from the ID to the answer of the first join, µs.
    #[serde(default)]
    pub join_latency: WireBuckets,
    /// Rooms runs: clients that had not heard of every arrival in their room when the
    /// worker stopped waiting.
    #[serde(default)]
    pub unsettled_views: u64,
}

/// The outcome of one phase in one worker.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PhaseReport {
    /// Which worker.
    pub worker: u32,
    /// Connections open when the phase started.
    pub open_at_start: u64,
    /// Connections open when it ended.
    pub open_at_end: u64,
    /// Reading clients open when the phase started (moving clients not included).
    pub receivers_at_start: u64,
    /// The same, room by room (one entry, everyone, without rooms).
    pub receivers_by_room: Vec<u64>,
    /// Senders among them (each receives from every sender but itself).
    pub receiving_senders: Vec<u32>,
    /// Lines sent, per sender index, for this worker's senders.
    pub sent: Vec<(u32, u64)>,
    /// Of those, lines the server refused (`DenyResponseMessage`), per sender index.
    #[serde(default)]
    pub refused: Vec<(u32, u64)>,
    /// Lines received, per sender index (new sequence numbers only).
    pub received_from: Vec<u64>,
    /// Latency of the lines received, µs.
    pub latency: WireBuckets,
    /// Rooms runs: the same, by the room the line was said in.
    #[serde(default)]
    pub latency_by_room: Vec<WireBuckets>,
    /// Sequence numbers skipped: lines that never came while later ones did.
    pub gaps: u64,
    /// Lines that came again or out of order.
    pub duplicates: u64,
    /// Lines from an earlier phase.
    pub stale: u64,
    /// Chat lines that were not the bench's.
    pub foreign: u64,
    /// How far the senders fell behind their schedule at worst, µs.
    pub max_send_lag_us: u64,
    /// How the server closed reading clients during the phase.
    pub closes: Tally,
    /// Refusals the server sent to senders.
    pub denies: Tally,
    /// Churn: connect/close cycles finished.
    pub cycles: u64,
    /// Churn: time from starting to connect to receiving the ID, µs.
    pub connect_latency: WireBuckets,
    /// Churn: why cycles failed.
    pub connect_failures: Tally,
    /// Slow clients: how their connections ended.
    pub slow_outcomes: Tally,
    /// Rooms runs: what the room checks found.
    pub rooms: RoomsReport,
    /// CPU time this worker has used so far, ms.
    pub cpu_millis: u64,
}

/// What one worker saw of rooms in a phase.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RoomsReport {
    /// Chat lines that reached a client outside the room they were said in.
    pub wrong_room: u64,
    /// History lines (in `RoomMessage`s) from a sender of another room.
    pub wrong_room_history: u64,
    /// Moving clients open when the phase started.
    pub movers_at_start: u64,
    /// Lines moving clients received (not owed to them, so not in `received_from`).
    pub mover_received: u64,
    /// Lines a moving client missed while it stayed in a room: its history or earlier lines
    /// said where the sequence stood, and a later line skipped some.
    pub mover_gaps: u64,
    /// Presence messages received by clients in a room: frames the server sent besides chat.
    pub presence_received: u64,
    /// Room changes the schedule called for.
    pub moves_scheduled: u64,
    /// Joins answered with the room asked for: moves (first joins on connecting not counted).
    pub moves: u64,
    /// Joins refused, by reason.
    pub join_denies: Tally,
    /// Time from sending a join to its answer (moves and refreshes), µs.
    pub join_latency: WireBuckets,
    /// How far the movers fell behind their schedule at worst, µs.
    pub max_move_lag_us: u64,
    /// `CheckRooms`: every membership check since the start.
    pub membership: MembershipChecks,
    /// `CheckRooms`: clients whose refresh was not answered in time.
    pub unanswered_checks: u64,
}

/// The outcome of closing.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CloseReport {
    /// Which worker.
    pub worker: u32,
    /// How the connections ended.
    pub outcomes: Tally,
    /// CPU time this worker used in all, ms.
    pub cpu_millis: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_stays_bounded() {
        let mut tally = Tally::default();
        for i in 0..100 {
            tally.add(&format!("reason {i}"), 1);
        }
        tally.add("reason 0", 1);
        assert_eq!(tally.0.len(), MAX_TALLY_KEYS + 1);
        assert_eq!(tally.total(), 101);
        assert_eq!(
            tally.0.get(OVERFLOW_KEY),
            Some(&(100 - MAX_TALLY_KEYS as u64))
        );
    }

    fn all_clients(shares: &[ClientShare]) -> Vec<u64> {
        let mut clients: Vec<u64> = shares
            .iter()
            .flat_map(|share| (0..share.count).map(|slot| share.client(slot)))
            .collect();
        clients.sort_unstable();
        clients
    }

    #[test]
    fn one_worker_gets_every_client() {
        let shares = ClientShare::assign(10, 3, 1, 100);
        assert_eq!(
            shares,
            [ClientShare {
                first: 0,
                stride: 1,
                count: 10
            }]
        );
    }

    #[test]
    fn senders_get_a_worker_of_their_own() {
        let shares = ClientShare::assign(10, 3, 3, 100);
        assert_eq!(
            shares[0],
            ClientShare {
                first: 0,
                stride: 1,
                count: 3
            }
        );
        assert_eq!(shares.len(), 3);
        assert_eq!(all_clients(&shares), (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn more_workers_when_clients_do_not_fit() {
        let shares = ClientShare::assign(45_000, 10, 1, 20_000);
        assert_eq!(shares.len(), 4);
        assert!(shares.iter().all(|share| share.count <= 20_000));
        assert_eq!(all_clients(&shares), (0..45_000).collect::<Vec<_>>());
        // Without senders (connect, churn) the clients are dealt round-robin.
        let shares = ClientShare::assign(45_000, 0, 1, 20_000);
        assert_eq!(shares.len(), 3);
        assert_eq!(all_clients(&shares), (0..45_000).collect::<Vec<_>>());
        assert!(
            ClientShare::assign(0, 0, 2, 20_000)
                .iter()
                .all(|s| s.count == 0)
        );
    }

    #[test]
    fn events_are_one_line_of_json() {
        let event = Event::Progress(Progress {
            worker: 1,
            sent: 5,
            ..Progress::default()
        });
        let line = serde_json::to_string(&event).expect("serialisable");
        assert!(!line.contains('\n'));
        assert!(line.contains(r#""event":"progress""#));
        assert!(matches!(
            serde_json::from_str::<Event>(&line),
            Ok(Event::Progress(Progress {
                worker: 1,
                sent: 5,
                ..
            }))
        ));
        let command = Command::Hold { millis: 5 };
        let line = serde_json::to_string(&command).expect("serialisable");
        assert_eq!(line, r#"{"command":"hold","millis":5}"#);
    }
}
