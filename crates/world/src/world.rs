//! A world: the engine, a game's rules and the observers' views, advanced one tick at a time
//! by its caller: `World::step` runs the rules, then `Stepped::deliver` hands it the
//! observers' updates encoded (`tick` and `updates` give the `ViewDelta`s instead).

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::crew::Crew;
use crate::engine::{Engine, Event, PlayerId};
use crate::grid::FastMap;
use crate::interest::{self, Leaderboard, LeaderboardEntry, Marks, Observer, OwnState, Update};
use crate::rules::{Claim, ClaimError, EnterError, Entry, InputError, Rules};
use crate::wire::{EncodedBoard, EntrantCodes, FrameHeader};

/// The longest time one tick integrates, in seconds (or one period, when that is longer):
/// after a stall (the process was paused) players jump at most this far instead of across
/// the map.
pub const MAX_TICK_SECONDS: f64 = 0.25;

/// A world's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorldConfig {
    /// Ticks per second (the first tick integrates one period).
    pub tick_rate: u32,
    /// Rows in the live leaderboard.
    pub leaderboard_size: usize,
    /// The leaderboard is recomputed (and sent when changed) every this many ticks.
    pub leaderboard_every: u64,
    /// Most players told about everything (entered without a view: the tutorial's clients).
    /// Each gets every player's state every tick, so they cost O(N²) together.
    pub max_told_everything: usize,
    /// Threads that bring the views up to date each tick (at most `MAX_VIEW_THREADS`): every
    /// view's update is independent of the others', so a world with thousands of observers
    /// can spread them over the cores and shorten its tick. 1 does it all on the ticking
    /// thread; a world uses one thread per `MIN_VIEWS_PER_THREAD` views at most. A world that
    /// uses more than one also makes the views ready while the rules step (`World::step`).
    pub view_threads: usize,
}

/// The most threads one world's views are spread over.
pub const MAX_VIEW_THREADS: usize = 16;

/// Views per thread a world needs before it starts one more: for fewer, starting a thread
/// costs more than it saves.
pub const MIN_VIEWS_PER_THREAD: usize = 256;

/// The most views a thread takes at a time (see `World::replicate`): a chunk is a few tenths
/// of a millisecond of work, small enough to even the threads out and large enough that taking
/// one costs nothing next to it.
const VIEWS_PER_CHUNK: usize = 64;

/// The fewest views a thread takes at a time, while that many are left. Chunks shrink as the
/// views run out, so that the thread that finds none left waits for the last chunk of another
/// for a few views' time, not for up to a whole chunk's.
const FEWEST_VIEWS_PER_CHUNK: usize = 8;

/// Takes the next chunk of the views not taken yet (`untaken`) from its front or its back:
/// a share of what is left (`VIEWS_PER_CHUNK` at most, `FEWEST_VIEWS_PER_CHUNK` at least), so
/// that the threads taking them finish close together.
fn take_chunk<'a>(
    untaken: &Mutex<&'a mut [Observer]>,
    threads: usize,
    from_back: bool,
) -> Option<&'a mut [Observer]> {
    let mut untaken = untaken
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let left = std::mem::take(&mut *untaken);
    if left.is_empty() {
        return None;
    }
    let share = left.len() / (2 * threads.max(1));
    let size = share
        .clamp(FEWEST_VIEWS_PER_CHUNK, VIEWS_PER_CHUNK)
        .min(left.len());
    let (taken, rest) = if from_back {
        let (rest, taken) = left.split_at_mut(left.len() - size);
        (taken, rest)
    } else {
        left.split_at_mut(size)
    };
    *untaken = rest;
    Some(taken)
}

impl Default for WorldConfig {
    /// 20 ticks a second (the tutorial's 50 ms); a top 10 once a second; 100 tutorial-level
    /// players (100 × 100 `PlayerMessage`s of ~75 bytes, 20 times a second, is 15 MB/s of
    /// fan-out; a first bound until `mmo bench world --tutorial` measures the real one).
    fn default() -> Self {
        Self {
            tick_rate: 20,
            leaderboard_size: 10,
            leaderboard_every: 20,
            max_told_everything: 100,
            view_threads: 1,
        }
    }
}

/// What one tick did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TickReport {
    /// The tick's number.
    pub tick: u64,
    /// Seconds it integrated.
    pub dt: f64,
    /// Players in the world.
    pub players: usize,
    /// Spores in the world.
    pub spores: usize,
    /// Observers with something to send.
    pub updates: usize,
    /// Observers whose view was compared with the grid this tick (the others checked only
    /// what they hold).
    pub scans: usize,
}

/// One world.
#[derive(Debug)]
pub struct World<R> {
    engine: Engine,
    rules: R,
    config: WorldConfig,
    observers: Vec<Observer>,
    observer_index: FastMap<PlayerId, usize>,
    /// Players entered without a view.
    told_everything: FastMap<PlayerId, ()>,
    /// What each thread updating views keeps from tick to tick.
    scratch: Vec<ViewScratch>,
    /// The threads that share the ticks' work with the ticking thread.
    crew: Crew,
    last_tick: Option<Instant>,
    /// Periods of real time not yet simulated (less than one, or a little below zero when the
    /// world is ahead of real time).
    owed_periods: f64,
    leaderboard: Arc<Leaderboard>,
    leaderboard_version: u64,
    scores: Vec<(u64, PlayerId)>,
}

impl<R: Rules + Sync> World<R> {
    /// A new world, filled by the rules, its dice fixed by `seed`.
    pub fn new(mut rules: R, config: WorldConfig, seed: u64) -> Self {
        let mut engine = Engine::new(seed);
        rules.populate(&mut engine);
        // The world's own spores are not news to anyone yet.
        engine.take_events();
        Self {
            engine,
            rules,
            config,
            observers: Vec::new(),
            observer_index: FastMap::default(),
            told_everything: FastMap::default(),
            scratch: Vec::new(),
            crew: Crew::default(),
            last_tick: None,
            owed_periods: 0.0,
            leaderboard: Arc::new(Leaderboard::default()),
            leaderboard_version: 0,
            scores: Vec::new(),
        }
    }

    /// The engine (entities, clock, counts).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The rules' state.
    pub fn rules(&self) -> &R {
        &self.rules
    }

    /// The rules' state, to change (tests and tools; play goes through `enter`, `steer`…).
    pub fn rules_mut(&mut self) -> &mut R {
        &mut self.rules
    }

    /// The settings.
    pub fn config(&self) -> WorldConfig {
        self.config
    }

    /// Puts `player` into the world. With `observe`, it gets a `ViewDelta` each tick (this
    /// project's clients); without, its client is told everything from the events and the
    /// player list (the tutorial's).
    pub fn enter(
        &mut self,
        player: PlayerId,
        entry: Entry,
        observe: bool,
    ) -> Result<(), EnterError> {
        if self.observer_index.contains_key(&player) || self.told_everything.contains_key(&player) {
            return Err(EnterError::AlreadyIn);
        }
        if !observe && self.told_everything.len() >= self.config.max_told_everything {
            return Err(EnterError::EverythingFull {
                limit: self.config.max_told_everything,
            });
        }
        self.rules.enter(&mut self.engine, player, entry)?;
        if !observe {
            self.told_everything.insert(player, ());
        } else {
            self.observer_index.insert(player, self.observers.len());
            let phase = self.engine.tick_number() + self.observers.len() as u64;
            self.observers.push(Observer::new(player, phase));
        }
        Ok(())
    }

    /// Ends the world's helper threads (those that share its ticks' work: see
    /// `WorldConfig::view_threads`); the next tick starts them again. A helper takes the
    /// scheduling of the thread that ticks the world when it starts, so call this after
    /// changing that thread's (entering or leaving real-time scheduling).
    pub fn restart_helpers(&mut self) {
        self.crew.dismiss();
    }

    /// Makes `player`'s updates extrapolated (velocity changes instead of every move; see
    /// docs/protocol.md, "Extrapolated updates") or not; call it right after `enter`, before
    /// the player's first tick. Returns whether `player` has a view.
    pub fn set_extrapolating(&mut self, player: PlayerId, on: bool) -> bool {
        let Some(&index) = self.observer_index.get(&player) else {
            return false;
        };
        self.observers[index].set_extrapolating(on);
        true
    }

    /// Takes `player` out of the world; returns whether it was in. Its client gets nothing
    /// more from this world; the others see it leave at the next tick.
    pub fn leave(&mut self, player: PlayerId) -> bool {
        self.told_everything.remove(&player);
        if let Some(index) = self.observer_index.remove(&player) {
            self.observers.swap_remove(index);
            if let Some(moved) = self.observers.get(index) {
                self.observer_index.insert(moved.player, index);
            }
        }
        self.rules.leave(&mut self.engine, player)
    }

    /// `player` steers towards `direction` radians.
    pub fn steer(&mut self, player: PlayerId, direction: f64) -> Result<(), InputError> {
        self.rules.steer(&mut self.engine, player, direction)
    }

    /// A tutorial-level client's claim, checked against the world's state.
    pub fn claim(&mut self, player: PlayerId, claim: Claim) -> Result<(), ClaimError> {
        self.rules.claim(&mut self.engine, player, claim)
    }

    /// Whether `player` is in this world.
    pub fn contains(&self, player: PlayerId) -> bool {
        self.engine
            .get(crate::engine::EntityKey::Player(player))
            .is_some()
    }

    /// Runs one tick at time `now`: the rules advance by the real time since the previous
    /// tick in whole periods (at most `MAX_TICK_SECONDS`; see `step`), then every observer's
    /// view is brought up to date (`updates` has what each is to be sent).
    pub fn tick(&mut self, now: Instant) -> TickReport {
        self.step(now).finish()
    }

    /// Runs one tick as `tick` does, and hands the observers' updates to `deliver` (see
    /// `Stepped::deliver`).
    pub fn tick_delivering(
        &mut self,
        now: Instant,
        header: &FrameHeader<'_>,
        deliver: &(dyn Fn(FramedUpdates) + Sync),
    ) -> TickReport {
        self.step(now).deliver(header, deliver)
    }

    /// The first half of a tick at time `now`: the rules advance by the real time since the
    /// previous tick, in whole periods (at most `MAX_TICK_SECONDS`). The views are brought up
    /// to date by the `Stepped` it returns; in between, its caller can read what happened
    /// (`events`) before any update that shows it goes out.
    pub fn step(&mut self, now: Instant) -> Stepped<'_, R> {
        let period = 1.0 / f64::from(self.config.tick_rate.max(1));
        let most = (MAX_TICK_SECONDS / period).floor().max(1.0);
        let elapsed = self.last_tick.map_or(1.0, |last| {
            (now.saturating_duration_since(last).as_secs_f64() / period).min(most)
        });
        self.last_tick = Some(now);
        // The world advances in whole periods, at least one a tick, so a player keeps the same
        // move on every tick while it keeps its heading (what extrapolating clients rely on).
        // What the ticks' real times add up to beyond that is owed to the next ones: only a
        // whole period owed is caught up, so a tick a little late followed by one a little
        // early (the schedule catching up) moves everyone once each, not twice then once.
        self.owed_periods += elapsed;
        let whole = self.owed_periods.floor().clamp(1.0, most);
        self.owed_periods = (self.owed_periods - whole).clamp(-2.0, 2.0);
        let dt = whole * period;
        self.engine.begin_tick(dt);
        let tick = self.engine.tick_number();
        // While the rules step, another core makes the views ready for their update, from
        // the back (where the view threads start): what they do there reads nothing of the
        // world, and the core would otherwise wait for the step. Only in a world whose views
        // are spread over threads.
        let helpers = usize::from(self.view_thread_count() > 1);
        let (engine, rules) = (&mut self.engine, &mut self.rules);
        let observers = Mutex::new(Some(&mut self.observers));
        let stepped = AtomicBool::new(false);
        // A helper that cannot start leaves the views to `update_view`.
        let prepare = |_: usize| {
            let taken = observers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            for observer in taken.into_iter().flat_map(|all| all.iter_mut().rev()) {
                if stepped.load(Ordering::Relaxed) {
                    break;
                }
                observer.prepare(tick);
            }
        };
        self.crew.run(helpers, &prepare, || {
            rules.step(engine, dt);
            engine.quantize_all();
            stepped.store(true, Ordering::Relaxed);
        });
        if self.engine.tick_number() % self.config.leaderboard_every.max(1) == 1
            || self.config.leaderboard_every <= 1
        {
            self.refresh_leaderboard();
        }
        Stepped {
            world: self,
            dt,
            replicated: false,
        }
    }

    /// The second half of a tick: every observer's view brought up to date, over the view
    /// threads, and (given `delivery`) each chunk's updates framed and handed over by the
    /// thread that made them.
    fn replicate(&mut self, dt: f64, delivery: Option<Delivery<'_>>) -> TickReport {
        let views = Views {
            engine: &self.engine,
            rules: &self.rules,
            lead: self.view_lead(),
            max_speed: self.rules.max_speed(),
            leaderboard: &self.leaderboard,
            leaderboard_version: self.leaderboard_version,
        };
        let threads = self.view_thread_count();
        if self.scratch.len() < threads {
            self.scratch.resize_with(threads, ViewScratch::default);
        }
        // The observers go out in small chunks that each thread takes in turn until none is
        // left, rather than one fixed share per thread: views differ in cost (a grown
        // player's sees nine times the area), and on a busy machine either thread may be held
        // up; whichever is free takes the next chunk, so the threads finish together. The
        // ticking thread takes them from the front and the first view thread from the back,
        // so each keeps much the same observers from tick to tick, their lists still in its
        // core's cache, and only the meeting point moves.
        let untaken: Mutex<&mut [Observer]> = Mutex::new(&mut self.observers);
        let work = |scratch: &mut ViewScratch, from_back: bool| {
            let mut done = ChunksDone::default();
            loop {
                let Some(observers) = take_chunk(&untaken, threads, from_back) else {
                    return done;
                };
                let Some((header, deliver)) = delivery else {
                    let (updates, scans) = views.update(observers, scratch, None);
                    done.updates += updates;
                    done.scans += scans;
                    continue;
                };
                let mut out = FramedUpdates::default();
                let views_in_chunk = observers.len();
                out.frames.reserve(views_in_chunk);
                // Room for a quarter more than the thread's last chunk took a view: a buffer
                // that grows by doubling copies itself several times a chunk.
                let expected = scratch.framed_per_view + scratch.framed_per_view / 4;
                out.bytes.reserve(views_in_chunk * expected);
                let (updates, scans) = views.update(observers, scratch, Some((header, &mut out)));
                scratch.framed_per_view = out.bytes.len().div_ceil(views_in_chunk.max(1));
                done.updates += updates;
                done.scans += scans;
                // Handed over at once, from this thread: while the other chunks are still being
                // made, and no one thread hands over all.
                if !out.frames.is_empty() {
                    deliver(out);
                }
            }
        };
        let (first_scratch, other_scratch) = self.scratch.split_at_mut(1);
        // Each helper's scratch and what it did, each taken by that helper alone.
        let theirs: Vec<Mutex<(&mut ViewScratch, ChunksDone)>> = other_scratch
            .iter_mut()
            .take(threads - 1)
            .map(|scratch| Mutex::new((scratch, ChunksDone::default())))
            .collect();
        let help = |number: usize| {
            if let Some(theirs) = theirs.get(number) {
                let mut theirs = theirs
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let (scratch, done) = &mut *theirs;
                *done = work(scratch, number % 2 == 0);
            }
        };
        // A panic on a helper is one in the tick, as without helpers; a helper that cannot
        // start leaves its chunks to the others.
        let (mut done, _) = self
            .crew
            .run(threads - 1, &help, || work(&mut first_scratch[0], false));
        for theirs in theirs {
            let (_, helped) = theirs
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            done.updates += helped.updates;
            done.scans += helped.scans;
        }
        self.engine.end_replication();
        TickReport {
            tick: self.engine.tick_number(),
            dt,
            players: self.engine.player_count(),
            spores: self.engine.spore_count(),
            updates: done.updates,
            scans: done.scans,
        }
    }

    /// How many threads bring the views up to date this tick: the setting, but one per
    /// `MIN_VIEWS_PER_THREAD` views at most.
    fn view_thread_count(&self) -> usize {
        self.config
            .view_threads
            .clamp(1, MAX_VIEW_THREADS)
            .min((self.observers.len() / MIN_VIEWS_PER_THREAD).max(1))
    }

    /// How far two players can close in between two scans of a view.
    fn view_lead(&self) -> f64 {
        let scan_seconds = interest::SCAN_EVERY as f64 / f64::from(self.config.tick_rate.max(1));
        2.0 * self.rules.max_speed() * scan_seconds
    }

    fn refresh_leaderboard(&mut self) {
        self.scores.clear();
        self.rules.scores(&self.engine, &mut self.scores);
        let size = self.config.leaderboard_size.min(self.scores.len());
        let best_first =
            |a: &(u64, PlayerId), b: &(u64, PlayerId)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
        if size > 0 && size < self.scores.len() {
            self.scores.select_nth_unstable_by(size - 1, best_first);
        }
        self.scores.truncate(size);
        self.scores.sort_unstable_by(best_first);
        let entries = self
            .scores
            .iter()
            .map(|&(score, id)| LeaderboardEntry {
                id,
                name: self
                    .engine
                    .get(crate::engine::EntityKey::Player(id))
                    .and_then(|e| e.appearance.as_ref())
                    .map_or_else(|| Arc::from(""), |look| look.name.clone()),
                score,
            })
            .collect();
        let board = Leaderboard {
            entries,
            players: u32::try_from(self.engine.player_count()).unwrap_or(u32::MAX),
        };
        if *self.leaderboard != board || self.leaderboard_version == 0 {
            self.leaderboard = Arc::new(board);
            self.leaderboard_version += 1;
        }
    }

    /// Every observer with something to send this tick, and what.
    pub fn updates(&self) -> impl Iterator<Item = (PlayerId, Update<'_>)> {
        self.observers
            .iter()
            .map(|observer| (observer.player, observer.update(&self.engine)))
            .filter(|(_, update)| !update.is_empty())
    }

    /// The update for `player` this tick, if it has one.
    pub fn update_for(&self, player: PlayerId) -> Option<Update<'_>> {
        let index = *self.observer_index.get(&player)?;
        let update = self.observers.get(index)?.update(&self.engine);
        (!update.is_empty()).then_some(update)
    }

    /// How many entities `player`'s view holds.
    pub fn in_view(&self, player: PlayerId) -> Option<usize> {
        let index = *self.observer_index.get(&player)?;
        self.observers.get(index).map(Observer::in_view)
    }

    /// What happened since the last call, for clients told about everything.
    pub fn take_events(&mut self) -> Vec<Event> {
        self.engine.take_events()
    }

    /// What happened since the last `take_events`, left in place.
    pub fn events(&self) -> &[Event] {
        self.engine.events()
    }
}

/// A tick whose rules have stepped (`World::step`) and whose views are still to be brought
/// up to date. Dropped without `deliver` or `finish`, it brings them up to date all the same
/// (without handing anything over): a world never starts a tick with the last one half done.
#[derive(Debug)]
#[must_use = "a stepped tick's views are brought up to date by `deliver` or `finish`"]
pub struct Stepped<'w, R: Rules + Sync> {
    world: &'w mut World<R>,
    dt: f64,
    replicated: bool,
}

impl<R: Rules + Sync> Stepped<'_, R> {
    /// The world after its step: its events and standings, before any update goes out.
    pub fn world(&self) -> &World<R> {
        self.world
    }

    /// Brings every view up to date and hands over the updates: each is encoded as a
    /// `Packet{world_update}` (`wire`) after the header `header` writes for it (e.g. its
    /// transport's frame), on the thread that brought its view up to date, right after it
    /// did. The updates of a chunk of observers come framed back to back in one buffer
    /// (`FramedUpdates`: one allocation a chunk, not one an update), in the observers' order,
    /// and each chunk goes to `deliver` from the thread that made it as soon as it is done:
    /// with views over several threads (`WorldConfig::view_threads`), chunks arrive from
    /// several threads at once, in no set order.
    pub fn deliver(
        mut self,
        header: &FrameHeader<'_>,
        deliver: &(dyn Fn(FramedUpdates) + Sync),
    ) -> TickReport {
        self.replicated = true;
        self.world.replicate(self.dt, Some((header, deliver)))
    }

    /// Brings every view up to date (`World::updates` has what each is to be sent).
    pub fn finish(mut self) -> TickReport {
        self.replicated = true;
        self.world.replicate(self.dt, None)
    }
}

impl<R: Rules + Sync> Drop for Stepped<'_, R> {
    fn drop(&mut self) {
        if !self.replicated {
            self.world.replicate(self.dt, None);
        }
    }
}

/// A chunk of observers' updates as `Stepped::deliver` hands them over: each framed
/// (its header, then its packet), back to back in one buffer.
#[derive(Debug, Default)]
pub struct FramedUpdates {
    /// The frames.
    pub bytes: Vec<u8>,
    /// Whose each frame is and where it lies in `bytes`, in the observers' order.
    pub frames: Vec<(PlayerId, Range<usize>)>,
}

/// `Stepped::deliver`'s header, and where the chunks of framed updates go.
type Delivery<'a> = (&'a FrameHeader<'a>, &'a (dyn Fn(FramedUpdates) + Sync));

/// A view thread's header, and the chunk it frames updates into.
type Framing<'a> = (&'a FrameHeader<'a>, &'a mut FramedUpdates);

/// What one thread did in a tick: updates and scans counted.
#[derive(Default)]
struct ChunksDone {
    updates: usize,
    scans: usize,
}

/// Per view thread: its marks, its codes of the tick's entrants and its copy of the
/// leaderboard, kept from tick to tick.
#[derive(Debug, Default)]
struct ViewScratch {
    marks: Marks,
    entrants: EntrantCodes,
    /// This thread's copy of the leaderboard (of `leaderboard_version`), encoded. Every view
    /// that has not seen the board gets it, each its own reference: to the world's own `Arc`,
    /// the threads would count references on one cache line, passed between the cores
    /// thousands of times on the tick that refreshes it.
    board: Option<(u64, EncodedBoard)>,
    /// Framed bytes a view took in the last chunk this thread framed.
    framed_per_view: usize,
}

/// What every view's update reads this tick (shared by the threads that update them).
struct Views<'a, R> {
    engine: &'a Engine,
    rules: &'a R,
    lead: f64,
    max_speed: f64,
    leaderboard: &'a Arc<Leaderboard>,
    leaderboard_version: u64,
}

/// How many views ahead `Views::update` asks for a view's state (`Observer::prefetch`): one
/// view's work is long enough for the next one's loads to arrive; asking earlier did not help.
const PREFETCH_AHEAD: usize = 1;

impl<R: Rules> Views<'_, R> {
    /// Brings `observers`' views up to date (and, given `framing`, frames their updates into
    /// its chunk); returns how many have an update and how many scanned the grid.
    fn update(
        &self,
        observers: &mut [Observer],
        scratch: &mut ViewScratch,
        mut framing: Option<Framing<'_>>,
    ) -> (usize, usize) {
        let (mut updates, mut scans) = (0, 0);
        for ahead in observers.iter().take(PREFETCH_AHEAD) {
            ahead.prefetch();
        }
        for index in 0..observers.len() {
            if let Some(ahead) = observers.get(index + PREFETCH_AHEAD) {
                ahead.prefetch();
            }
            let observer = &mut observers[index];
            let Some((view, standing)) = self.rules.view_and_standing(self.engine, observer.player)
            else {
                observer.forget();
                continue;
            };
            scans += usize::from(interest::update_view(
                self.engine,
                &mut scratch.marks,
                observer,
                view,
                self.lead,
                self.max_speed,
            ));
            if let Some(standing) = standing {
                let own = OwnState {
                    score: standing.score,
                    best_score: standing.best_score,
                    view_half_width: whole_units(view.half.x),
                    view_half_height: whole_units(view.half.y),
                };
                if observer.last_own != Some(own) {
                    observer.last_own = Some(own);
                    observer.delta.own = Some(own);
                }
            }
            if observer.leaderboard_version != self.leaderboard_version {
                observer.leaderboard_version = self.leaderboard_version;
                observer.delta.leaderboard = Some(self.board_copy(&mut scratch.board).clone());
            }
            let update = observer.update(self.engine);
            if update.is_empty() {
                continue;
            }
            updates += 1;
            if let Some((header, out)) = framing.as_mut() {
                let start = out.bytes.len();
                let known = scratch.board.as_ref().map(|(_, encoded)| encoded);
                let codes = Some((&mut scratch.entrants, self.engine.tick_number()));
                crate::wire::write_update_frame_knowing(
                    update,
                    header,
                    known,
                    codes,
                    &mut out.bytes,
                );
                out.frames.push((observer.player, start..out.bytes.len()));
            }
        }
        (updates, scans)
    }
}

impl<R> Views<'_, R> {
    /// This thread's copy of the leaderboard (`copy`), made anew when the board changed.
    fn board_copy<'c>(&self, copy: &'c mut Option<(u64, EncodedBoard)>) -> &'c Arc<Leaderboard> {
        let encoded = match copy.take() {
            Some((version, encoded)) if version == self.leaderboard_version => encoded,
            _ => EncodedBoard::new(Arc::new(Leaderboard::clone(self.leaderboard))),
        };
        &copy.insert((self.leaderboard_version, encoded)).1.board
    }
}

/// World units rounded up to a whole number for the wire.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn whole_units(value: f64) -> u32 {
    value.ceil().clamp(0.0, f64::from(u32::MAX)) as u32
}
