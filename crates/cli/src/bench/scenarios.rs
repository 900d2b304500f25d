//! The bench scenarios: what each asks the workers to do, in which order, and how its summary
//! and JSON line are made. One file a scenario (`connect`, `fanout` with `fanout-max`, `churn`,
//! `slow`, `rooms` with `busy-room-churn`, `world`); their arguments in `args`; the parent's side of a
//! run in `fleet`; summaries and JSON lines in `report`.

mod args;
mod churn;
mod connect;
mod fanout;
mod fleet;
mod lobby;
mod logins;
mod report;
mod rooms;
mod server_metrics;
mod slow;
mod world;
mod world_scan;

pub(crate) use self::args::{
    ChurnArgs, ConnectArgs, FanoutArgs, FanoutMaxArgs, SlowArgs, TrafficArgs, check_traffic,
    duration_arg,
};
pub(crate) use self::churn::{CHURN_SOURCE_HINT, churn};
pub(crate) use self::connect::connect;
pub(crate) use self::fanout::{STEP_PAUSE, fanout, fanout_max};
pub(crate) use self::fleet::{Finished, PHASE_START_DELAY, start};
pub(crate) use self::report::{
    ChurnTotals, ServerSpan, emit_json, fanout_json, merge, per_second, print_fanout, seconds,
};
pub(crate) use self::slow::slow;
use super::CommonArgs;
use super::parent::BenchError;
use super::procfs::listener_of_port;
use crate::ws::ServerUrl;

/// The scenarios.
#[derive(Debug, clap::Subcommand)]
pub enum Scenario {
    /// Open N idle connections and hold them: connect rate, and server memory per connection
    /// (its RSS growth divided by N; needs --server-pid).
    Connect(ConnectArgs),
    /// N clients, K of them sending R lines per second in total: deliveries per second,
    /// latency percentiles, loss, and server CPU per delivery. Needs `mmo-server --chat-rate 0`.
    Fanout(FanoutArgs),
    /// Find the highest total rate the server holds with p99 latency under a bound, zero loss
    /// and no disconnections, by doubling and then bisecting. Needs `mmo-server --chat-rate 0`.
    FanoutMax(FanoutMaxArgs),
    /// Open and close connections in a loop: cycles per second, and the server's memory and
    /// open files before and after (a leak shows as growth).
    Churn(ChurnArgs),
    /// Healthy clients chat while some clients never read: what the healthy ones see, the
    /// server's memory, and how the server ended the slow ones (expect close 1008 "too slow",
    /// once more than the kernel's socket buffers, several MB, has been sent to each).
    Slow(SlowArgs),
    /// R rooms of M members chatting, some members moving between rooms: deliveries per
    /// second, latency, server CPU per delivery, joins per second, and the checks that no line
    /// reached a wrong room and that no presence was lost or repeated. Needs
    /// `mmo-server --chat-rate 0`, and `--join-rate 0` for more than ~1 move per mover a second.
    Rooms(rooms::RoomsArgs),
    /// One busy room chatting, measured while quiet and then while other clients connect to
    /// and disconnect from the lobby as fast as they can: the room's latency both ways, and the
    /// churn rate. Needs `mmo-server --chat-rate 0`.
    BusyRoomChurn(rooms::BusyRoomChurnArgs),
    /// A big lobby of part-3 clients and a smaller room chatting, measured while quiet and then
    /// while other clients in the lobby keep joining it again (JoinRoomMessage{""}, within the
    /// server's join rate): each room's latency both ways (issue 18: the re-join attack).
    /// Needs `mmo-server --chat-rate 0`.
    LobbyRejoin(lobby::LobbyRejoinArgs),
    /// N clients connecting into the lobby at the part-3 level (chat only), then N at the full
    /// level (joining it, so presence tells them of each other): the server's CPU for each and
    /// their ratio (issue 18: presence at O(N²)). Needs --server-pid or a loopback server.
    LobbyConnect(lobby::LobbyConnectArgs),
    /// Register N accounts, then log into each (a new connection a login) as fast as the
    /// server allows: logins per second, time from request to answer, and refusals by reason.
    /// Needs a server with accounts.
    Logins(logins::LoginsArgs),
    /// Bot players in the game world (issue 21): this project's clients (join, enter, steer
    /// towards what they can eat) or, with --tutorial, the tutorial's (fields 1–19 only):
    /// updates and bytes per client per second, gaps between updates, lateness against the
    /// tick schedule, and the server's CPU.
    World(world::WorldArgs),
}

/// Runs one scenario.
pub async fn run(scenario: &Scenario, common: &CommonArgs) -> Result<(), BenchError> {
    let common = &with_server_pid(common).await;
    match scenario {
        Scenario::Connect(args) => connect(common, args).await,
        Scenario::Fanout(args) => fanout(common, args).await,
        Scenario::FanoutMax(args) => fanout_max(common, args).await,
        Scenario::Churn(args) => churn(common, args).await,
        Scenario::Slow(args) => slow(common, args).await,
        Scenario::Rooms(args) => rooms::rooms(common, args).await,
        Scenario::BusyRoomChurn(args) => rooms::busy_room_churn(common, args).await,
        Scenario::LobbyRejoin(args) => lobby::lobby_rejoin(common, args).await,
        Scenario::LobbyConnect(args) => lobby::lobby_connect(common, args).await,
        Scenario::Logins(args) => logins::logins(common, args).await,
        Scenario::World(args) => world::world(common, args).await,
    }
}

/// `common` with `--server-pid` filled in, when it was not given and the server is on this
/// machine: the process listening on the URL's port (Linux /proc).
async fn with_server_pid(common: &CommonArgs) -> CommonArgs {
    let mut common = common.clone();
    if common.server_pid.is_none() {
        common.server_pid = local_listener(&common, &common.url).await;
    }
    if common.also_server_pids.is_empty() {
        for url in &common.also_urls {
            if let Some(pid) = local_listener(&common, url).await {
                common.also_server_pids.push(pid);
            }
        }
    }
    common
}

/// The process listening on `url`'s port, when that is on this machine.
async fn local_listener(common: &CommonArgs, url: &str) -> Option<u32> {
    let url = ServerUrl::parse(url, common.ca_file.as_deref()).ok()?;
    let local = url
        .resolve()
        .await
        .is_ok_and(|addr| addr.ip().is_loopback());
    let pid = local.then(|| listener_of_port(url.port())).flatten()?;
    eprintln!(
        "mmo bench: measuring the server as process {} (listening on port {}); \
         --server-pid / --also-server-pid PID to choose",
        pid.0,
        url.port()
    );
    Some(pid.0)
}
