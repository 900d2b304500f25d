//! The seam between the engine and a game: what a game's rules must answer. The engine knows
//! entities, views and ticks; the rules decide spawning, movement, eating and scores.

use std::sync::Arc;

use crate::engine::{Appearance, Engine, PlayerId, SporeId};
use crate::geom::Rect;

/// Who decides when a player eats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decider {
    /// The server, on every tick (this project's clients: they only steer).
    Server,
    /// The client claims and the server checks each claim (the tutorial's client).
    ClientClaims,
}

/// A player entering a world.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Its name and colour.
    pub appearance: Arc<Appearance>,
    /// The best score it reached before (from its account), 0 for a guest.
    pub best_score: u64,
    /// Who decides its eats.
    pub decider: Decider,
}

/// Why a player could not enter; `Display` is the reason a player is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnterError {
    /// It is already in this world.
    AlreadyIn,
    /// The world holds as many players as it may.
    Full,
    /// The world holds as many players told about everything (tutorial-level clients, each
    /// of which costs every player's state every tick) as it may.
    EverythingFull {
        /// The limit.
        limit: usize,
    },
}

impl std::fmt::Display for EnterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::AlreadyIn => f.write_str("you are already playing in this world"),
            Self::Full => f.write_str("this world is full"),
            Self::EverythingFull { limit } => write!(
                f,
                "this world already has {limit} players on the tutorial's client; try another room"
            ),
        }
    }
}

/// Why a player's input was ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputError {
    /// The player is not in this world.
    NotInWorld,
    /// The direction is not a finite number.
    NotFinite,
}

/// What a tutorial-level client claims to have eaten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// `SporeConsumedMessage{spore_id}`.
    Spore(SporeId),
    /// `PlayerConsumedMessage{player_id}`.
    Player(PlayerId),
}

/// Why a claim was refused (the client is not told, as in the tutorial).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimError {
    /// The claimant is not in this world.
    NotInWorld,
    /// The server decides this player's eats; its claims mean nothing.
    ServerDecides,
    /// More claims than a moving player could make.
    TooFast,
    /// No such spore or player in the world.
    Unknown,
    /// Too far away by the server's positions.
    TooFar,
    /// The eater is not big enough (or claims itself).
    TooSmall,
    /// The spore is the claimant's own drop, too fresh to eat.
    OwnDrop,
}

/// A player's standing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// Its score now.
    pub score: u64,
    /// The best it has reached.
    pub best_score: u64,
}

/// A game's rules on top of the engine.
pub trait Rules {
    /// Fills a new world (the initial spores).
    fn populate(&mut self, engine: &mut Engine);
    /// Puts a player into the world.
    fn enter(
        &mut self,
        engine: &mut Engine,
        player: PlayerId,
        entry: Entry,
    ) -> Result<(), EnterError>;
    /// Takes a player out of the world; returns whether it was in.
    fn leave(&mut self, engine: &mut Engine, player: PlayerId) -> bool;
    /// A player steers towards `direction` (radians).
    fn steer(
        &mut self,
        engine: &mut Engine,
        player: PlayerId,
        direction: f64,
    ) -> Result<(), InputError>;
    /// A tutorial-level client's claim to have eaten something.
    fn claim(
        &mut self,
        engine: &mut Engine,
        player: PlayerId,
        claim: Claim,
    ) -> Result<(), ClaimError>;
    /// Advances the world by `dt` seconds.
    fn step(&mut self, engine: &mut Engine, dt: f64);
    /// What `player` can see, or `None` when it is not in the world. A player that is eaten
    /// should respawn at once: an observer without a view forgets what it held and sees
    /// everything enter again once it has one.
    fn view(&self, engine: &Engine, player: PlayerId) -> Option<Rect>;
    /// `player`'s score and best score.
    fn standing(&self, engine: &Engine, player: PlayerId) -> Option<Standing>;
    /// `view` and `standing` at once (`None` when it has no view): a world asks both for
    /// every observer on every tick, and rules that find both through one lookup of the
    /// player should answer them together.
    fn view_and_standing(
        &self,
        engine: &Engine,
        player: PlayerId,
    ) -> Option<(Rect, Option<Standing>)> {
        let view = self.view(engine, player)?;
        Some((view, self.standing(engine, player)))
    }
    /// The fastest anything moves, in units per second (how far ahead views must look).
    fn max_speed(&self) -> f64;
    /// Appends every player's score to `out`.
    fn scores(&self, engine: &Engine, out: &mut Vec<(u64, PlayerId)>);
}
