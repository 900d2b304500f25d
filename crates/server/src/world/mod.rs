//! The game served: a world per room that has players (`mmo_world::World` with Radius
//! Rumble's rules), each run by a thread of its own at `world_tick_rate` (`runner`), which
//! never waits on a session, a socket or the database. Sessions hand a world their inputs
//! through its `Inputs`, bounded by construction (one direction per player, one entry or leave
//! per `Seat`, at most `MAX_CLAIMS_PER_TICK` claims and `MAX_ENTRIES_PER_TICK` entries), and
//! the world hands each client its messages through the client's bounded outbox: a client
//! that cannot take them is closed as too slow by its own session, and the tick goes on. Best
//! scores go to the `ScoreBook` (`scores`), which writes them to the accounts off the tick.
//!
//! A `Seat` is one client's place in one world, from its entry to its leave, and orders what
//! the client is told: a world's messages to a client and its session's `WorldLeftMessage`
//! are sent under the seat's lock, so nothing of the world follows the leave; and a player's
//! `PlayerMessage` reaches the tutorial's clients under the player's own seat lock, so none
//! follows its session's leave notice (no ghost actor).

pub mod remote;
mod runner;
pub mod scores;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::Waker;
use std::thread::JoinHandle;

use bytes::Bytes;
use mmo_world::{Claim, Entry, PlayerId};
use tokio::runtime::Handle;
use tracing::{error, info};

use crate::metrics::WorldMetrics;
use crate::peer::Peer;
use remote::{Placed, Placement, RemoteWorld, TickListener};
use scores::ScoreBook;

/// Claims (eats told by the tutorial's clients) a world takes per tick, all players together;
/// more are dropped. The rules allow each player 10 a second (a burst of 20): this is a
/// thousand players claiming at once, each tick.
pub const MAX_CLAIMS_PER_TICK: usize = 1_000;

/// Entries a world takes per tick; more are refused "busy". Spawning a player is a few
/// hundred grid lookups at most: a thousand a tick is a whole benchmark's fleet entering in
/// one tick.
pub const MAX_ENTRIES_PER_TICK: usize = 1_000;

/// What the worlds need to know from the settings.
#[derive(Debug, Clone, Copy)]
pub struct WorldSettings {
    /// Ticks per second (`world_tick_rate`).
    pub tick_rate: u32,
    /// Most players in one world (`max_world_players`).
    pub max_players: usize,
    /// Most players on the tutorial's client in one world (`max_tutorial_players_per_world`).
    pub max_tutorial_players: usize,
    /// Threads a tick spreads its views over (`world_view_threads`).
    pub view_threads: usize,
    /// Whether a world's threads ask for real-time scheduling (`world_realtime`).
    pub realtime: bool,
}

/// How a player's client is told about its world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The tutorial's client: its own `PlayerMessage` at entry, every spore in batches,
    /// every player's `PlayerMessage` each tick, and the world's events (fields 8–19 only).
    Tutorial,
    /// This project's clients: `WorldEnteredMessage`, then one `WorldUpdateMessage` a tick
    /// with what changed in its view.
    Ours,
}

/// Where a seat is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SeatState {
    /// Asked to enter; the world has not answered yet.
    Entering,
    /// In the world: its messages go out.
    Seated,
    /// Left or refused: nothing more goes out.
    Left,
}

/// One client's place in one world, from its entry to its leave.
#[derive(Debug)]
pub struct Seat {
    /// The client.
    pub peer: Arc<Peer>,
    /// How it is told about the world.
    pub audience: Audience,
    /// Whether its updates are extrapolated (this project's clients that asked).
    pub extrapolating: bool,
    /// Its account, whose best score the world keeps up to date; `None` for a guest.
    pub account: Option<i64>,
    /// The world it is in.
    pub world: Arc<WorldHandle>,
    state: Mutex<SeatState>,
    /// The best score the world has seen it reach (its session carries it to its next entry).
    best: AtomicU64,
}

impl Seat {
    /// A seat asking to enter `world`.
    pub fn new(
        peer: Arc<Peer>,
        audience: Audience,
        extrapolating: bool,
        account: Option<i64>,
        world: Arc<WorldHandle>,
        best: u64,
    ) -> Self {
        Self {
            peer,
            audience,
            // Only this project's clients have views to extrapolate.
            extrapolating: extrapolating && audience == Audience::Ours,
            account,
            world,
            state: Mutex::new(SeatState::Entering),
            best: AtomicU64::new(best),
        }
    }

    /// The player this seat is: its client's ID.
    pub fn player(&self) -> PlayerId {
        PlayerId(self.peer.id.get())
    }

    fn lock(&self) -> MutexGuard<'_, SeatState> {
        // Every critical section sets a state or pushes to an outbox: nothing that panics.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the seat has been left (or refused).
    pub fn is_left(&self) -> bool {
        *self.lock() == SeatState::Left
    }

    /// The best score the world has seen this player reach.
    pub fn best_score(&self) -> u64 {
        self.best.load(Ordering::Relaxed)
    }

    fn note_best(&self, best: u64) {
        self.best.fetch_max(best, Ordering::Relaxed);
    }

    /// The world let the player in: sends `welcome` and starts its messages. `false` when the
    /// seat was left meanwhile (the world must take the player out again).
    fn take(&self, welcome: &[Bytes]) -> bool {
        let mut state = self.lock();
        if *state != SeatState::Entering {
            return false;
        }
        *state = SeatState::Seated;
        for frame in welcome {
            // A full outbox: the client is being closed as too slow; its leave follows.
            let _ = self.peer.send(frame.clone());
        }
        true
    }

    /// The world refused the player: sends `refusal` unless the seat was left meanwhile.
    fn refuse(&self, refusal: Option<Bytes>) {
        let mut state = self.lock();
        if *state == SeatState::Entering {
            if let Some(frame) = refusal {
                let _ = self.peer.send(frame);
            }
        }
        *state = SeatState::Left;
    }

    /// Sends `frame` if the seat is taken; under its lock, so never after the leave.
    pub fn send_if_seated(&self, frame: Bytes) {
        let state = self.lock();
        if *state == SeatState::Seated {
            let _ = self.peer.send(frame);
        }
    }

    /// Queues `frame` if the seat is taken, under its lock like `send_if_seated`, and hands
    /// back the writer's waker when it waited: the world's thread gathers a tick's wakers
    /// and writes for the idle writers in one batch (`peer::deliver`) instead of waking each
    /// session to write its own update.
    fn queue_if_seated(&self, frame: Bytes) -> Option<Waker> {
        let state = self.lock();
        if *state != SeatState::Seated {
            return None;
        }
        // A full outbox marks the client too slow; its session closes it and leaves. The
        // frame is a slice of its chunk's buffer (`FramedUpdates`), copied out if it waits.
        self.peer
            .outbox
            .push_shared_handing_over_wake(frame)
            .ok()
            .flatten()
    }

    /// Runs `fan_out` if the seat is taken, under its lock: what it sends about this player
    /// cannot follow the player's leave.
    pub fn while_seated(&self, fan_out: impl FnOnce()) {
        let state = self.lock();
        if *state == SeatState::Seated {
            fan_out();
        }
        drop(state);
    }

    /// Leaves the seat, sending `farewell` first unless it was left already (or refused); the
    /// world takes the player out at its next tick, telling the tutorial's clients there
    /// `announce` when given. Whether it had not been left already.
    pub fn leave(
        self: &Arc<Self>,
        farewell: Option<Bytes>,
        announce: Option<&'static str>,
    ) -> bool {
        let mut state = self.lock();
        let was = std::mem::replace(&mut *state, SeatState::Left);
        if was != SeatState::Left {
            if let Some(frame) = farewell {
                let _ = self.peer.send(frame);
            }
        }
        drop(state);
        self.world.depart(Departure {
            seat: Arc::clone(self),
            announce,
        });
        was != SeatState::Left
    }
}

/// A seat leaving, as the world takes it.
#[derive(Debug)]
pub struct Departure {
    seat: Arc<Seat>,
    /// The reason the tutorial's clients in the world are told in a `DisconnectMessage`
    /// from the player, when its room does not tell them (it stays in the room).
    announce: Option<&'static str>,
}

/// What sessions have handed a world since its last tick.
#[derive(Debug, Default)]
struct Inputs {
    enters: Vec<(Arc<Seat>, Entry)>,
    leaves: Vec<Departure>,
    /// The last direction of each player: only that one counts at the tick.
    steers: HashMap<PlayerId, f64>,
    claims: Vec<(PlayerId, Claim)>,
    /// Set when the world has stopped: nothing more is taken.
    closed: bool,
}

/// A world as sessions reach it.
#[derive(Debug)]
pub struct WorldHandle {
    /// The room whose world it is.
    pub room: Box<str>,
    inputs: Mutex<Inputs>,
    stop: AtomicBool,
    /// Set when another server of the cluster holds this world's lease now: the world closes
    /// at its next tick, its players told, so that the room has one world.
    lost: AtomicBool,
    /// Set when the world runs on another server: inputs go there instead.
    remote: Option<Arc<dyn RemoteWorld>>,
    /// Told of each tick (a cluster sends the other servers' clients their frames).
    listener: Option<Arc<dyn TickListener>>,
}

impl WorldHandle {
    fn lock(&self) -> MutexGuard<'_, Inputs> {
        // Every critical section is a push, an insert or a swap.
        self.inputs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `player` steers towards `direction` radians (checked at the tick).
    pub fn steer(&self, player: PlayerId, direction: f64) {
        if let Some(remote) = &self.remote {
            remote.steer(player, direction);
            return;
        }
        let mut inputs = self.lock();
        if !inputs.closed {
            inputs.steers.insert(player, direction);
        }
    }

    /// A tutorial-level client's claim; `false` when the world takes no more this tick.
    pub fn claim(&self, player: PlayerId, claim: Claim) -> bool {
        if let Some(remote) = &self.remote {
            return remote.claim(player, claim);
        }
        let mut inputs = self.lock();
        if inputs.closed || inputs.claims.len() >= MAX_CLAIMS_PER_TICK {
            return false;
        }
        inputs.claims.push((player, claim));
        true
    }

    fn depart(&self, departure: Departure) {
        if let Some(remote) = &self.remote {
            remote.depart(&departure.seat, departure.announce);
            return;
        }
        let mut inputs = self.lock();
        // A closed world holds nobody (it closes only when empty).
        if !inputs.closed {
            inputs.leaves.push(departure);
        }
    }

    /// The world's tick has sent its messages.
    fn ticked(&self) {
        if let Some(listener) = &self.listener {
            listener.ticked(&self.room);
        }
    }

    fn take_inputs(&self, into: &mut Inputs) {
        let mut inputs = self.lock();
        std::mem::swap(&mut inputs.enters, &mut into.enters);
        std::mem::swap(&mut inputs.leaves, &mut into.leaves);
        std::mem::swap(&mut inputs.steers, &mut into.steers);
        std::mem::swap(&mut inputs.claims, &mut into.claims);
    }
}

/// Why a client could not ask to enter a world; `Display` is its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnterRefusal {
    /// The server is shutting down.
    #[error("the server is shutting down")]
    ShuttingDown,
    /// The world has `MAX_ENTRIES_PER_TICK` waiting already.
    #[error("the world is busy; try again in a moment")]
    Busy,
    /// The world's thread could not be started.
    #[error("the world cannot start; try again later")]
    CannotStart,
}

/// The worlds by room, and their threads.
#[derive(Debug, Default)]
struct Registry {
    by_room: HashMap<Box<str>, Arc<WorldHandle>>,
    threads: Vec<JoinHandle<()>>,
    shut: bool,
}

/// Every world of this server.
#[derive(Debug)]
pub struct Worlds {
    settings: WorldSettings,
    metrics: WorldMetrics,
    /// Best scores waiting to be written.
    pub scores: Arc<ScoreBook>,
    registry: Arc<Mutex<Registry>>,
    /// Where each room's world runs, in a cluster; unset on a server alone.
    placement: Arc<OnceLock<Arc<dyn Placement>>>,
    /// Told of each tick of a world run here, in a cluster.
    listener: Arc<OnceLock<Arc<dyn TickListener>>>,
    /// The runtime whose workers write a tick's updates (`peer::deliver`); `None` outside
    /// one (the world's thread writes them itself).
    runtime: Option<Handle>,
}

impl Worlds {
    /// No worlds yet; each starts when a first player asks to enter it.
    pub fn new(settings: WorldSettings, metrics: WorldMetrics) -> Self {
        Self {
            settings,
            metrics,
            scores: Arc::new(ScoreBook::default()),
            registry: Arc::new(Mutex::new(Registry::default())),
            placement: Arc::new(OnceLock::new()),
            listener: Arc::new(OnceLock::new()),
            runtime: Handle::try_current().ok(),
        }
    }

    /// The same worlds, as a cluster reaches them: `enter_here` always runs the world here.
    pub fn shared(&self) -> Self {
        Self {
            settings: self.settings,
            metrics: self.metrics.clone(),
            scores: Arc::clone(&self.scores),
            registry: Arc::clone(&self.registry),
            placement: Arc::clone(&self.placement),
            listener: Arc::clone(&self.listener),
            runtime: self.runtime.clone(),
        }
    }

    /// Joins the worlds to a cluster: `placement` says where each room's world runs, and
    /// `listener` hears each tick of those run here. Set once; later calls are ignored.
    pub fn join_cluster(&self, placement: Arc<dyn Placement>, listener: Arc<dyn TickListener>) {
        let _ = self.placement.set(placement);
        let _ = self.listener.set(listener);
    }

    /// Whether the world of `room` runs here now.
    pub fn runs_here(&self, room: &str) -> bool {
        self.lock().by_room.contains_key(room)
    }

    /// Closes the world of `room` run here, if any, at its next tick: another server of the
    /// cluster holds its lease now (it took the world over while this server was cut off).
    /// Its players are told the world closed, as after a failure, and may enter again.
    pub fn give_up(&self, room: &str) {
        if let Some(world) = self.lock().by_room.get(room) {
            world.lost.store(true, Ordering::Release);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        lock_registry(&self.registry)
    }

    /// Asks the world of `room` (started if need be) to take `seat`'s player with `entry`;
    /// the world answers the client at its next tick.
    /// In a cluster the world may run on another server: the seat's inputs then go there.
    pub fn enter(
        &self,
        room: &str,
        make_seat: impl FnOnce(Arc<WorldHandle>) -> Arc<Seat>,
        entry: Entry,
    ) -> Result<Arc<Seat>, EnterRefusal> {
        let placed = match self.placement.get() {
            Some(placement) if !self.runs_here(room) => placement.place(room)?,
            _ => Placed::Here,
        };
        let Placed::There(remote) = placed else {
            return self.enter_here(room, make_seat, entry);
        };
        if self.lock().shut {
            return Err(EnterRefusal::ShuttingDown);
        }
        let world = Arc::new(WorldHandle {
            room: room.into(),
            inputs: Mutex::new(Inputs::default()),
            stop: AtomicBool::new(false),
            lost: AtomicBool::new(false),
            remote: Some(Arc::clone(&remote)),
            listener: None,
        });
        let seat = make_seat(world);
        if !remote.enter(&seat, &entry) {
            return Err(EnterRefusal::Busy);
        }
        Ok(seat)
    }

    /// `enter`, into a world run on this server.
    pub fn enter_here(
        &self,
        room: &str,
        make_seat: impl FnOnce(Arc<WorldHandle>) -> Arc<Seat>,
        entry: Entry,
    ) -> Result<Arc<Seat>, EnterRefusal> {
        let mut registry = self.lock();
        if registry.shut {
            return Err(EnterRefusal::ShuttingDown);
        }
        let world = match registry.by_room.get(room) {
            Some(world) => Arc::clone(world),
            None => {
                let world = Arc::new(WorldHandle {
                    room: room.into(),
                    inputs: Mutex::new(Inputs::default()),
                    stop: AtomicBool::new(false),
                    lost: AtomicBool::new(false),
                    remote: None,
                    listener: self.listener.get().cloned(),
                });
                let thread = runner::start(
                    Arc::clone(&world),
                    Arc::clone(&self.registry),
                    Arc::clone(&self.scores),
                    self.settings,
                    self.metrics.clone(),
                    self.runtime.clone(),
                )
                .map_err(|failure| {
                    error!("cannot start the world of room {room:?}: {failure}");
                    EnterRefusal::CannotStart
                })?;
                registry.threads.retain(|thread| !thread.is_finished());
                registry.threads.push(thread);
                registry.by_room.insert(room.into(), Arc::clone(&world));
                info!("World of room {room:?} started");
                world
            }
        };
        let mut inputs = world.lock();
        if inputs.enters.len() >= MAX_ENTRIES_PER_TICK {
            return Err(EnterRefusal::Busy);
        }
        let seat = make_seat(Arc::clone(&world));
        inputs.enters.push((Arc::clone(&seat), entry));
        Ok(seat)
    }

    /// Stops every world and waits for their threads (each finishes the tick it is in).
    /// Blocking: call it off the async workers.
    pub fn shut_down(&self) {
        let threads = {
            let mut registry = self.lock();
            registry.shut = true;
            for world in registry.by_room.values() {
                world.stop.store(true, Ordering::Release);
                world.lock().closed = true;
            }
            registry.by_room.clear();
            std::mem::take(&mut registry.threads)
        };
        for thread in &threads {
            thread.thread().unpark();
        }
        for thread in threads {
            if thread.join().is_err() {
                error!("a world's thread panicked");
            }
        }
    }
}

fn lock_registry(registry: &Mutex<Registry>) -> MutexGuard<'_, Registry> {
    // Every critical section is a map operation.
    registry.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A guest's colour, from its ID: opaque, and different for neighbouring IDs.
pub fn guest_color(id: u64) -> i32 {
    // Fibonacci hashing spreads consecutive IDs over the colour wheel.
    let mixed = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    let rgb = u32::try_from(mixed & 0x00FF_FFFF).unwrap_or(0);
    i32::from_ne_bytes(((rgb << 8) | 0xFF).to_ne_bytes())
}
