//! The mmo game world, with no I/O: a world's state, a fixed-rate tick driven by the caller
//! (`World::tick(now)`), a spatial index (a uniform grid kept by chunk), interest management
//! (each observer's view, and what entered, left or changed in it each tick) and per-observer
//! replication output (`ViewDelta`, written by `wire` as this project's `WorldUpdateMessage`;
//! `tutorial` gives the tutorial's own messages for its clients). The game's rules sit on top
//! behind the `Rules` trait; `RadiusRumble` is the tutorial's game.
//!
//! The server owns a `World` per room in a task of its own: it feeds inputs (`enter`, `leave`,
//! `steer`, `claim`), calls `step` on its clock, reads what happened (`Stepped::world`), then
//! `Stepped::deliver`, which hands it each chunk of observers' updates already encoded, from
//! the view thread that made it, and sends the tutorial-level clients the `take_events` log.
//! Nothing here blocks or allocates without bound.

mod crew;
pub mod encode;
pub mod engine;
pub mod geom;
pub mod grid;
pub mod interest;
mod name;
pub mod prefetch;
pub mod radius_rumble;
pub mod rng;
pub mod rules;
pub mod tutorial;
pub mod wire;
pub mod world;

pub use engine::{
    Appearance, Engine, Entity, EntityKey, Event, POSITION_SCALE, PlayerId, Quantized, Removal,
    SporeId, WORLD_LIMIT,
};
pub use geom::{Rect, Vec2};
pub use interest::{
    Eat, Entrants, Leaderboard, LeaderboardEntry, Move, Moves, Name, OwnState, PlayerView,
    SporeView, Update, VIEW_MARGIN, ViewDelta,
};
pub use radius_rumble::RadiusRumble;
pub use rules::{Claim, ClaimError, Decider, EnterError, Entry, InputError, Rules, Standing};
pub use wire::FrameHeader;
pub use world::{FramedUpdates, Stepped, TickReport, World, WorldConfig};
