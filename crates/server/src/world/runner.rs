//! One world's thread: every period it takes the inputs sessions handed it, ticks the world,
//! and sends each client in it what it must hear (this project's clients their view's
//! update, the tutorial's clients every player and every event), then sleeps to the next
//! period. It closes itself when it has been empty for `IDLE_CLOSE`.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use mmo_protocol::packets::packet::Msg;
use mmo_protocol::packets::{SporeMessage, SporesBatchMessage};
use mmo_protocol::{ClientId, Level, Packet};
use mmo_world::radius_rumble::SPEED;
use mmo_world::tutorial::{SPORES_PER_BATCH, event_packet, player_packet};
use mmo_world::{
    EntityKey, Event, FramedUpdates, PlayerId, RadiusRumble, Rules as _, SporeId, World,
    WorldConfig, encode::entered_packet,
};
use prometheus_client::metrics::counter::Counter;
use tokio::runtime::Handle;
use tracing::{debug, error, info, warn};

use super::scores::ScoreBook;
use super::{Audience, Departure, Inputs, Registry, Seat, WorldHandle, WorldSettings};
use crate::metrics::WorldMetrics;
use crate::thread_priority::{enter_realtime, leave_realtime, raise_this_threads_priority};
use crate::websocket::{encode_packet_frame, put_binary_header};

/// `WorldLeftMessage.reason` when a world stops under its players: a server bug, or, in a
/// cluster, another server running the room's world now (both logged).
pub const WORLD_CLOSED: &str = "the world closed";

/// How long a world with no players and nobody asking to enter keeps running before it
/// closes (its spores go with it): a player who leaves and comes back finds the same world.
pub const IDLE_CLOSE: Duration = Duration::from_secs(30);

/// Spore batches (of `SPORES_PER_BATCH`) a tutorial client that has just entered gets per
/// tick: its client takes at most 64 KiB between two of its frames, and the whole world's
/// 1,000 spores are about 40 KB; five batches a tick (about 4 KB) send them in half a second.
pub const SPORE_BATCHES_PER_TICK: usize = 5;

/// How many nice levels above the server's other threads a world's threads run, where the
/// system allows it (`CAP_SYS_NICE`, or an `RLIMIT_NICE` that reaches it): a tick that is due
/// then takes a core from the sessions' writers and readers (and anything else on the
/// machine at the server's priority) rather than wait behind them. Five levels are about three
/// times their weight; the tick's own work is bounded, so it cannot starve them.
const TICK_PRIORITY_BOOST: i32 = 5;

/// A tick of a world under real-time scheduling should take at most this share of its
/// period: its threads then hold the cores they run on for at most half of each period.
const REALTIME_WORK_SHARE: u32 = 2;

/// What a tick over its real-time share adds to the world's overrun debt (a tick within it
/// takes one off): the debt grows when more than a third of the ticks run over.
const REALTIME_OVERRUN_COST: u32 = 2;

/// The overrun debt at which a world leaves real-time scheduling: ten ticks over their share
/// in a row, or a third and more of them for longer. A burst (a thousand players entering or
/// leaving in one tick, a page fault) is not a trend: a rule that left at any tick over a
/// whole period had worlds leave as a bench's thousand players left theirs.
const REALTIME_DEBT_LIMIT: u32 = 20;

/// How long a world whose ticks outgrew their real-time share keeps to ordinary scheduling
/// before it asks again: one whose load fell gets it back, one simply too big for its share
/// asks at most twice a minute.
const REALTIME_PAUSE: Duration = Duration::from_secs(30);

/// Players a world needs before it asks for real-time scheduling (it gives it back under
/// half as many): a small world's tick is short whatever its scheduling, and the tickets are
/// for the big ones.
const REALTIME_MIN_PLAYERS: usize = 256;

/// Worlds under real-time scheduling now (see `RealtimeTicket`).
static REALTIME_WORLDS: AtomicUsize = AtomicUsize::new(0);

/// A world's leave to tick under real-time scheduling. There is one per two cores: each such
/// world takes at most half of each period on each of its threads (`REALTIME_WORK_SHARE`), so
/// with its ticking thread and one view thread it can hold one core's worth at most, and
/// real-time worlds together never take more than half the machine from the sessions.
struct RealtimeTicket;

impl RealtimeTicket {
    fn take() -> Option<Self> {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let limit = (cores / 2).max(1);
        REALTIME_WORLDS
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |worlds| {
                (worlds < limit).then_some(worlds + 1)
            })
            .ok()
            .map(|_| Self)
    }
}

impl Drop for RealtimeTicket {
    fn drop(&mut self) {
        REALTIME_WORLDS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Whether a world under real-time scheduling keeps it after a tick that took `work`, given
/// its overrun `debt` before (see `REALTIME_DEBT_LIMIT`): `Ok` with the new debt, or `Err`
/// with why it leaves.
fn realtime_verdict(work: Duration, period: Duration, debt: u32) -> Result<u32, String> {
    let debt = if work > period / REALTIME_WORK_SHARE {
        debt + REALTIME_OVERRUN_COST
    } else {
        debt.saturating_sub(1)
    };
    if debt >= REALTIME_DEBT_LIMIT {
        return Err(format!(
            "too many of its ticks took over 1/{REALTIME_WORK_SHARE} of their period \
             ({period:?}), the last {work:?}"
        ));
    }
    Ok(debt)
}

/// A player's place in the running world.
struct Place {
    seat: Arc<Seat>,
    /// The best score last given to the score book.
    reported_best: u64,
    /// Spores a tutorial client has not been sent yet (those there when it entered).
    spores_to_send: Vec<SporeId>,
}

struct Runner {
    handle: Arc<WorldHandle>,
    registry: Arc<Mutex<Registry>>,
    scores: Arc<ScoreBook>,
    settings: WorldSettings,
    metrics: WorldMetrics,
    world: World<RadiusRumble>,
    places: HashMap<PlayerId, Place>,
    inputs: Inputs,
    /// Ticks started later than one period after they were due.
    late_ticks: u64,
    /// Where the writes of a tick's updates go (`peer::deliver`).
    runtime: Option<Handle>,
    /// Held while the world ticks under real-time scheduling (`world_realtime`).
    realtime: Option<RealtimeTicket>,
    /// Whether it asks for real-time scheduling when it is big enough: not when the setting
    /// is off or the system refused.
    realtime_wanted: bool,
    /// After its ticks outgrew their share, it asks again only after this.
    realtime_paused_until: Option<Instant>,
    /// Its overrun debt under real-time scheduling (`realtime_verdict`).
    realtime_debt: u32,
}

/// Starts the world of `handle` on a thread of its own.
pub(super) fn start(
    handle: Arc<WorldHandle>,
    registry: Arc<Mutex<Registry>>,
    scores: Arc<ScoreBook>,
    settings: WorldSettings,
    metrics: WorldMetrics,
    runtime: Option<Handle>,
) -> io::Result<JoinHandle<()>> {
    let config = WorldConfig {
        tick_rate: settings.tick_rate,
        max_told_everything: settings.max_tutorial_players,
        view_threads: settings.view_threads,
        ..WorldConfig::default()
    };
    // The low 64 bits of the clock's nanoseconds: a different world each start.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |since| {
            u64::try_from(since.as_nanos() & u128::from(u64::MAX)).unwrap_or(1)
        });
    let name: String = format!("mmo-world-{}", handle.room)
        .chars()
        .take(15)
        .collect();
    std::thread::Builder::new().name(name).spawn(move || {
        // Its views' threads, started from this one, inherit the priority.
        match raise_this_threads_priority(TICK_PRIORITY_BOOST) {
            Ok(nice) => debug!("World of room {:?} ticks at nice {nice}", handle.room),
            Err(error) => debug!(
                "World of room {:?} ticks at the server's priority (raising it: {error})",
                handle.room
            ),
        }
        let mut runner = Runner {
            world: World::new(RadiusRumble::new(settings.max_players), config, seed),
            handle,
            registry,
            scores,
            settings,
            metrics,
            places: HashMap::new(),
            inputs: Inputs::default(),
            late_ticks: 0,
            runtime,
            realtime: None,
            realtime_wanted: settings.realtime,
            realtime_paused_until: None,
            realtime_debt: 0,
        };
        runner.metrics.worlds.inc();
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runner.run()));
        if ran.is_err() {
            error!(
                "World of room {:?}: its tick panicked (a bug); the world is closed and its \
                 players are told",
                runner.handle.room
            );
            runner.abandon();
        }
        runner.metrics.worlds.dec();
    })
}

/// The calling thread's CPU time so far (`CLOCK_THREAD_CPUTIME_ID`: exact, brought up to date
/// by the kernel when read), or `None` if the clock cannot be read.
#[allow(unsafe_code)]
fn thread_cpu_time() -> Option<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec for the call's duration.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if status != 0 {
        return None;
    }
    let seconds = u64::try_from(now.tv_sec).ok()?;
    let nanos = u32::try_from(now.tv_nsec).ok()?;
    Some(Duration::new(seconds, nanos))
}

/// When the tick after one started at `now` (due at `due`) is due, and how late this one is
/// when it started more than one `period` after it was due (a late tick: counted, and the
/// schedule starts again from `now` rather than running the missed ticks back to back).
fn schedule(due: Instant, now: Instant, period: Duration) -> (Instant, Option<Duration>) {
    if now > due + period {
        (now + period, Some(now - due))
    } else {
        (due + period, None)
    }
}

impl Runner {
    fn run(&mut self) {
        let period = Duration::from_secs(1) / self.settings.tick_rate.max(1);
        let mut due = Instant::now() + period;
        let mut empty_since: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if self.handle.stop.load(Ordering::Acquire) {
                return;
            }
            if self.handle.lost.load(Ordering::Acquire) {
                warn!(
                    "World of room {:?} closed: another server runs it now",
                    self.handle.room
                );
                self.abandon();
                return;
            }
            if now < due {
                // Woken early only to stop (or spuriously): look again.
                std::thread::park_timeout(due - now);
                continue;
            }
            let now = Instant::now();
            let (next_due, late) = schedule(due, now, period);
            if let Some(late) = late {
                self.metrics.late_ticks.inc();
                self.late_ticks += 1;
                if self.late_ticks.is_power_of_two() {
                    warn!(
                        "World of room {:?}: a tick started {late:?} late ({} late so far)",
                        self.handle.room, self.late_ticks
                    );
                }
            }
            due = next_due;
            let cpu_before = thread_cpu_time();
            self.apply_inputs();
            self.tick(now);
            self.send_tick();
            self.handle.ticked();
            self.metrics.ticks.inc();
            let work = now.elapsed();
            self.metrics.tick_work.observe(work.as_secs_f64());
            self.keep_realtime_within_its_share(work, period);
            if let Some(cpu) = cpu_before
                .zip(thread_cpu_time())
                .map(|(before, after)| after.saturating_sub(before))
            {
                self.metrics.tick_cpu.observe(cpu.as_secs_f64());
            }
            if self.places.is_empty() {
                let since = *empty_since.get_or_insert(now);
                if now.duration_since(since) >= IDLE_CLOSE && self.close_if_still_empty() {
                    info!("World of room {:?} closed (empty)", self.handle.room);
                    return;
                }
            } else {
                empty_since = None;
            }
        }
    }

    /// Enters real-time scheduling when the world is big enough and a ticket is free, and
    /// leaves it when the world has become small (so a bigger world can have the ticket) or
    /// its ticks take more than their share of the period (`realtime_verdict`): past that,
    /// holding the cores would starve the sessions.
    fn keep_realtime_within_its_share(&mut self, work: Duration, period: Duration) {
        let room = &self.handle.room;
        let players = self.places.len();
        if self.realtime.is_none() {
            let paused = self
                .realtime_paused_until
                .is_some_and(|until| Instant::now() < until);
            if self.realtime_wanted && !paused && players >= REALTIME_MIN_PLAYERS {
                match start_realtime(room) {
                    Ok(ticket) => {
                        self.realtime = Some(ticket);
                        // Its helpers start again under the same scheduling.
                        self.world.restart_helpers();
                    }
                    Err(RealtimeRefused::TicketsTaken) => {}
                    Err(RealtimeRefused::NotAllowed) => self.realtime_wanted = false,
                }
            }
            return;
        }
        let why = match realtime_verdict(work, period, self.realtime_debt) {
            Ok(debt) => {
                self.realtime_debt = debt;
                if players >= REALTIME_MIN_PLAYERS / 2 {
                    return;
                }
                None
            }
            Err(why) => Some(why),
        };
        self.realtime = None;
        self.realtime_debt = 0;
        if let Err(error) = leave_realtime() {
            error!("World of room {room:?} could not leave real-time scheduling: {error}");
        }
        self.world.restart_helpers();
        match why {
            Some(why) => {
                self.realtime_paused_until = Some(Instant::now() + REALTIME_PAUSE);
                warn!(
                    "World of room {room:?} leaves real-time scheduling for {REALTIME_PAUSE:?}: {why}"
                );
            }
            None => info!("World of room {room:?} leaves real-time scheduling: {players} players"),
        }
    }

    /// Takes the world out of the registry if nobody has asked to enter it meanwhile.
    fn close_if_still_empty(&self) -> bool {
        let mut registry = super::lock_registry(&self.registry);
        let mut inputs = self.handle.lock();
        if !inputs.enters.is_empty() || !inputs.leaves.is_empty() {
            return false;
        }
        inputs.closed = true;
        self.unregister(&mut registry);
        true
    }

    /// Takes this world out of the registry, unless a newer world of its room is there.
    fn unregister(&self, registry: &mut super::Registry) {
        let room = &self.handle.room;
        if registry
            .by_room
            .get(room)
            .is_some_and(|world| Arc::ptr_eq(world, &self.handle))
        {
            registry.by_room.remove(room);
        }
    }

    /// After a panic, or when another server runs the room's world now: out of the registry
    /// (the next player starts or finds the room's world anew), and every player told as when
    /// a world's server goes away (`remote::lose`): ours with `WorldLeftMessage`, the
    /// tutorial's by their connection closing, so that their client goes back to its login.
    fn abandon(&mut self) {
        {
            let mut registry = super::lock_registry(&self.registry);
            self.handle.lock().closed = true;
            self.unregister(&mut registry);
        }
        for (_, place) in self.places.drain() {
            self.metrics.players.dec();
            super::remote::lose(&place.seat, WORLD_CLOSED);
        }
    }

    fn apply_inputs(&mut self) {
        let mut inputs = std::mem::take(&mut self.inputs);
        self.handle.take_inputs(&mut inputs);
        // Leaves first: a client that left and asked again in one tick enters anew.
        for departure in inputs.leaves.drain(..) {
            self.depart(&departure);
        }
        for (seat, entry) in inputs.enters.drain(..) {
            self.enter(seat, entry);
        }
        for (player, direction) in inputs.steers.drain() {
            // A direction that is not finite is ignored (the rules say so); a player that
            // left meanwhile is not here.
            let _ = self.world.steer(player, direction);
        }
        for (player, claim) in inputs.claims.drain(..) {
            // A refused claim gets no answer, as in the tutorial.
            let _ = self.world.claim(player, claim);
        }
        self.inputs = inputs;
    }

    fn depart(&mut self, departure: &Departure) {
        let player = departure.seat.player();
        let is_this_seat = self
            .places
            .get(&player)
            .is_some_and(|place| Arc::ptr_eq(&place.seat, &departure.seat));
        if !is_this_seat {
            return;
        }
        self.report_best(player);
        self.places.remove(&player);
        self.metrics.players.dec();
        self.world.leave(player);
        if let Some(reason) = departure.announce {
            let Some(who) = ClientId::new(player.0) else {
                return;
            };
            let frame = encode_packet_frame(&Packet::disconnect_of(who, reason));
            for place in self.places.values() {
                if place.seat.audience == Audience::Tutorial {
                    place.seat.send_if_seated(frame.clone());
                }
            }
        }
    }

    fn enter(&mut self, seat: Arc<Seat>, entry: mmo_world::Entry) {
        let player = seat.player();
        if seat.is_left() {
            return;
        }
        if self.places.contains_key(&player) {
            seat.refuse(refusal(&seat, "you are already playing in this world"));
            return;
        }
        let observe = seat.audience == Audience::Ours;
        if let Err(why) = self.world.enter(player, entry, observe) {
            seat.refuse(refusal(&seat, &why.to_string()));
            return;
        }
        self.world.set_extrapolating(player, seat.extrapolating);
        let welcome = match seat.audience {
            Audience::Ours => vec![encode_packet_frame(&entered_packet(
                &self.handle.room,
                player,
                self.settings.tick_rate,
                seat.extrapolating,
            ))],
            Audience::Tutorial => self
                .world
                .engine()
                .get(EntityKey::Player(player))
                .and_then(|me| player_packet(me, 0.0, SPEED))
                .map(|packet| encode_packet_frame(&packet))
                .into_iter()
                .collect(),
        };
        if !seat.take(&welcome) {
            self.world.leave(player);
            return;
        }
        let spores_to_send = if seat.audience == Audience::Tutorial {
            let mut spores: Vec<SporeId> = self
                .world
                .engine()
                .entities()
                .filter_map(|entity| match entity.key {
                    EntityKey::Spore(id) => Some(id),
                    EntityKey::Player(_) => None,
                })
                .collect();
            // Sent from the back: the lowest IDs first.
            spores.sort_unstable_by(|a, b| b.cmp(a));
            spores
        } else {
            Vec::new()
        };
        self.metrics.players.inc();
        self.places.insert(
            player,
            Place {
                seat,
                reported_best: 0,
                spores_to_send,
            },
        );
        self.report_best(player);
    }

    /// Gives the score book `player`'s best score if it rose since it was last given.
    fn report_best(&mut self, player: PlayerId) {
        report_best(&mut self.places, &self.scores, &self.world, player);
    }

    /// Runs the tick. Best scores are taken in after the rules' step and before the updates
    /// that show them go out: a client that saw a new best and at once leaves and enters
    /// again finds it on its seat and in the score book, not the one before. Each of this
    /// project's clients' updates is then queued by the view thread that encoded it
    /// (`HandOver`), and the writers are woken once all are.
    fn tick(&mut self, now: Instant) {
        let stepped = self.world.step(now);
        for event in stepped.world().events() {
            match *event {
                Event::SporeEaten { eater, .. } | Event::PlayerEaten { eater, .. } => {
                    report_best(&mut self.places, &self.scores, stepped.world(), eater);
                }
                _ => {}
            }
        }
        let handing_over = HandOver {
            places: &self.places,
            update_bytes: &self.metrics.update_bytes,
            waited: Mutex::new(Vec::new()),
        };
        stepped.deliver(&|len, out| put_binary_header(out, len), &|chunk| {
            handing_over.queue(chunk);
        });
        // The sessions that waited are written for in one batch (by the runtime's workers,
        // shared out) rather than each woken to write its own: a world of 2,000 would wake
        // 40,000 sessions a second. Only once every view is done: woken earlier, the writers
        // take the cores from the views.
        let waited = handing_over
            .waited
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        crate::peer::deliver(waited, self.runtime.as_ref());
    }

    fn send_tick(&mut self) {
        let events = self.world.take_events();
        self.send_to_tutorial_clients(&events);
    }

    fn send_to_tutorial_clients(&mut self, events: &[Event]) {
        let recipients: Vec<&Arc<Seat>> = self
            .places
            .values()
            .filter(|place| place.seat.audience == Audience::Tutorial)
            .map(|place| &place.seat)
            .collect();
        if recipients.is_empty() {
            return;
        }
        let engine = self.world.engine();
        let fan_out_bytes = |frame: &Bytes| (frame.len() * recipients.len()) as u64;
        let mut bytes = 0;
        for event in events {
            if let Some(packet) = event_packet(engine, event) {
                let frame = encode_packet_frame(&packet);
                bytes += fan_out_bytes(&frame);
                for seat in &recipients {
                    seat.send_if_seated(frame.clone());
                }
            }
        }
        for (&player, place) in &self.places {
            let Some(me) = engine.get(EntityKey::Player(player)) else {
                continue;
            };
            let (direction, moving) = self.world.rules().heading(player).unwrap_or((0.0, false));
            let speed = if moving { SPEED } else { 0.0 };
            let Some(packet) = player_packet(me, direction, speed) else {
                continue;
            };
            let frame = encode_packet_frame(&packet);
            bytes += fan_out_bytes(&frame);
            // Under the player's own seat: nothing about it follows its leave.
            place.seat.while_seated(|| {
                for seat in &recipients {
                    if Arc::ptr_eq(seat, &place.seat) {
                        // Its own seat, whose lock this holds: seated, as just checked.
                        let _ = seat.peer.send(frame.clone());
                    } else {
                        seat.send_if_seated(frame.clone());
                    }
                }
            });
        }
        for place in self.places.values_mut() {
            if place.spores_to_send.is_empty() {
                continue;
            }
            for _ in 0..SPORE_BATCHES_PER_TICK {
                let mut batch = Vec::with_capacity(SPORES_PER_BATCH);
                while batch.len() < SPORES_PER_BATCH {
                    let Some(id) = place.spores_to_send.pop() else {
                        break;
                    };
                    // Eaten since the client entered: it was told, or never needs to be.
                    if let Some(spore) = engine.get(EntityKey::Spore(id)) {
                        batch.push(SporeMessage {
                            id: id.0,
                            x: spore.pos.x,
                            y: spore.pos.y,
                            radius: spore.radius,
                        });
                    }
                }
                if batch.is_empty() {
                    break;
                }
                let packet = Packet {
                    sender_id: place.seat.peer.id.get(),
                    msg: Some(Msg::SporesBatch(SporesBatchMessage { spores: batch })),
                };
                let frame = encode_packet_frame(&packet);
                bytes += frame.len() as u64;
                place.seat.send_if_seated(frame);
            }
        }
        self.metrics.update_bytes.inc_by(bytes);
    }
}

/// Why a world does not tick under real-time scheduling.
enum RealtimeRefused {
    /// Other worlds hold every ticket (it asks again on later ticks).
    TicketsTaken,
    /// The system does not allow it (it does not ask again).
    NotAllowed,
}

/// Puts the calling world thread under real-time scheduling if a ticket is free and the
/// system allows it.
fn start_realtime(room: &str) -> Result<RealtimeTicket, RealtimeRefused> {
    let ticket = RealtimeTicket::take().ok_or(RealtimeRefused::TicketsTaken)?;
    match enter_realtime() {
        Ok(()) => {
            info!("World of room {room:?} ticks under real-time scheduling");
            Ok(ticket)
        }
        Err(error) => {
            debug!("World of room {room:?} ticks without real-time scheduling: {error}");
            Err(RealtimeRefused::NotAllowed)
        }
    }
}

/// Gives the score book `player`'s best score if it rose since it was last given.
fn report_best(
    places: &mut HashMap<PlayerId, Place>,
    scores: &ScoreBook,
    world: &World<RadiusRumble>,
    player: PlayerId,
) {
    let Some(place) = places.get_mut(&player) else {
        return;
    };
    let Some(standing) = world.rules().standing(world.engine(), player) else {
        return;
    };
    if standing.best_score > place.reported_best {
        place.reported_best = standing.best_score;
        place.seat.note_best(standing.best_score);
        if let Some(account) = place.seat.account {
            scores.record(account, standing.best_score);
        }
    }
}

/// Where a tick's framed updates go: the view threads share it, each queueing the chunks it
/// made.
struct HandOver<'a> {
    places: &'a HashMap<PlayerId, Place>,
    update_bytes: &'a Counter,
    /// The writers that were waiting for the frames queued, with their wakers.
    waited: Mutex<Vec<(Arc<crate::peer::Peer>, Waker)>>,
}

impl HandOver<'_> {
    /// Queues each update of `chunk` on its client's seat, in the observers' order, and keeps
    /// the wakers of the writers that were waiting.
    fn queue(&self, chunk: FramedUpdates) {
        // One buffer a chunk of observers; each client's frame is a view of it, and the
        // buffer is freed once the last of them is written.
        let buffer = Bytes::from(chunk.bytes);
        let mut bytes = 0;
        let mut waited = Vec::new();
        // Every seat is found first, and asked for (`prefetch`) as it is: each is memory
        // this tick has not touched, and found one at a time, between two queueings, each
        // would be a wait of its own. Each client's outbox is asked for one client ahead.
        let seats: Vec<Option<&Arc<Seat>>> = chunk
            .frames
            .iter()
            .map(|(player, _)| {
                let seat = self.places.get(player).map(|place| &place.seat);
                if let Some(seat) = seat {
                    mmo_world::prefetch::value(&**seat);
                }
                seat
            })
            .collect();
        for (index, ((_, frame), seat)) in chunk.frames.into_iter().zip(&seats).enumerate() {
            if let Some(Some(next)) = seats.get(index + 1) {
                mmo_world::prefetch::value(&next.peer.outbox);
            }
            if let Some(seat) = seat {
                bytes += frame.len() as u64;
                if let Some(waker) = seat.queue_if_seated(buffer.slice(frame)) {
                    waited.push((Arc::clone(&seat.peer), waker));
                }
            }
        }
        self.waited
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .append(&mut waited);
        self.update_bytes.inc_by(bytes);
    }
}

/// A refusal for `seat`'s client, if it understands one.
fn refusal(seat: &Seat, reason: &str) -> Option<Bytes> {
    seat.peer
        .understands(Level::Tutorial)
        .then(|| encode_packet_frame(&Packet::deny(reason)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_time_world_leaves_it_when_its_ticks_outgrow_their_share() {
        let period = Duration::from_millis(50);
        let within = period / REALTIME_WORK_SHARE;
        let over = within + Duration::from_millis(1);
        let far_over = period * 3;
        // A burst, even of ticks longer than their period, is paid off by the ticks after it.
        let mut debt = 0;
        for _ in 0..3 {
            debt = realtime_verdict(far_over, period, debt).expect("a burst is kept");
        }
        for _ in 0..3 * REALTIME_OVERRUN_COST {
            debt = realtime_verdict(within, period, debt).expect("kept");
        }
        assert_eq!(debt, 0);
        // Ticks over their share in a row: kept a while, then not.
        let in_a_row = (REALTIME_DEBT_LIMIT - 1) / REALTIME_OVERRUN_COST;
        for _ in 0..in_a_row {
            debt = realtime_verdict(over, period, debt).expect("kept a while");
        }
        assert!(realtime_verdict(over, period, debt).is_err());
        // Every other tick over its share: the debt still grows, and it leaves.
        let mut debt = 0;
        let mut ticks = 0;
        let left = loop {
            let work = if ticks % 2 == 0 { over } else { within };
            ticks += 1;
            match realtime_verdict(work, period, debt) {
                Ok(next) => debt = next,
                Err(_) => break ticks,
            }
            assert!(ticks < 1_000, "never left");
        };
        assert!(left > 2 * in_a_row as usize, "left after {left} ticks");
    }

    #[test]
    fn a_tick_more_than_a_period_late_is_late_and_restarts_the_schedule() {
        let period = Duration::from_millis(50);
        let due = Instant::now();
        // On time, or late by less than a period: the schedule keeps its beat.
        assert_eq!(schedule(due, due, period), (due + period, None));
        let slightly = due + Duration::from_millis(49);
        assert_eq!(schedule(due, slightly, period), (due + period, None));
        let exactly = due + period;
        assert_eq!(schedule(due, exactly, period), (due + period, None));
        // Late by more than a period: counted, and the next tick a period from now.
        let late = due + Duration::from_millis(120);
        assert_eq!(
            schedule(due, late, period),
            (late + period, Some(Duration::from_millis(120)))
        );
    }
}
