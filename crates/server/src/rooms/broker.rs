//! `RoomBroker`: the operations on rooms that a cluster of servers replaces — publishing a
//! room's events, following a room while it has members here, reading its history, reserving
//! client IDs — and `InProcessBroker`, which does them for a server on its own.
//!
//! Rooms call only this trait for what crosses servers. In-process, publishing is applying:
//! the room's lock is taken, the change gets the room's next sequence number and goes through
//! `Room::apply` at once. A broker between servers would publish the change instead and apply
//! what comes back, in the order it assigned, through the same `Room::apply` — with the local
//! member each event is about looked up among its own sessions.

use std::fmt::Debug;
use std::ops::Range;
use std::sync::{Arc, MutexGuard};

use mmo_protocol::ChatLine;

use crate::ids::IdAllocator;
use crate::outbox::fan_out;
use crate::peer::Peer;
use crate::rooms::delivery::AfterUnlock;
use crate::rooms::event::RoomChange;
use crate::rooms::room::{EnterError, Room, RoomState};

/// A change for one room, and the member connected here that it is about, if any.
#[derive(Debug)]
pub struct Publication<'a> {
    /// The room.
    pub room: &'a Arc<Room>,
    /// What changes.
    pub change: RoomChange,
    /// The member it is about, when that member is connected to this server: a joiner to add
    /// to the room's local members, a leaver to take out.
    pub local: Option<&'a Arc<Peer>>,
    /// Whether a joiner is sent the room's `RoomMessage` once it is in.
    pub answer: bool,
}

/// A server of the cluster as `RoomBroker::cluster_servers` lists it, for `/api/status`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClusterServer {
    /// Its ID in the cluster.
    pub id: u64,
    /// The address it listens on for clients, when it said.
    pub address: Option<String>,
    /// Clients connected to it, as it last said (`None` for a server that does not say).
    pub clients: Option<u64>,
    /// Whether it is the server answering.
    pub this: bool,
}

/// The counters a broker adds to, handed to it once the server's metrics exist.
#[derive(Debug, Clone, Default)]
pub struct BrokerCounters {
    /// `Metrics::deliveries`: frames queued to members here by lines that came through the
    /// broker (a server's own lines too, applied when they come back).
    pub deliveries: prometheus_client::metrics::counter::Counter,
    /// `Metrics::cluster_events_dropped`: events dropped because the queue to the broker was
    /// full.
    pub dropped: prometheus_client::metrics::counter::Counter,
    /// `Metrics::cluster_events_lost`: lines of rooms followed here that were dropped from
    /// the broker's stream before this server read them.
    pub lost: prometheus_client::metrics::counter::Counter,
    /// `Metrics::cluster_world_messages_dropped`: the worlds' messages (inputs, frame
    /// batches) dropped because their queue to the broker was full.
    pub world_dropped: prometheus_client::metrics::counter::Counter,
    /// `Metrics::cluster_login_claims_failed`: logins the broker could not tell the other
    /// servers of (each was then a login on this server alone).
    pub login_claims_failed: prometheus_client::metrics::counter::Counter,
}

/// What the rooms of one server need from whatever joins servers together.
pub trait RoomBroker: Send + Sync + Debug + 'static {
    /// Makes each change the next event of its room, in the order given, and has every server
    /// following the room apply it. All or none: a `Joined` into a room that is full or was
    /// removed, or anything but a leave in a room that is shutting down, refuses the whole
    /// publication, so a move never leaves a client in no room.
    /// Returns how many frames the events queued for members here.
    fn publish(&self, publications: Vec<Publication<'_>>) -> Result<u64, EnterError>;
    /// Starts following `room`: its first member connected here is about to enter. A cluster
    /// subscribes to the room's events and loads its state (members, history, last sequence).
    fn follow(&self, room: &Arc<Room>);
    /// Stops following `room`: its last member connected here has left.
    fn unfollow(&self, room: &Arc<Room>);
    /// The room's recent lines, oldest first: what a server that starts following it loads.
    fn history(&self, room: &Room) -> Vec<ChatLine>;
    /// `count` client IDs that no other server (and no earlier run, while history names them)
    /// hands out; `None` once IDs below 2^53 are used up.
    fn reserve_ids(&self, count: u64) -> Option<Range<u64>>;
    /// Whether the broker between servers is reachable now; `None` for a server on its own.
    /// While it is not, a cluster's server keeps its rooms to itself (see `cluster`).
    fn broker_connected(&self) -> Option<bool> {
        None
    }
    /// Members connected to the other servers, by room, as they last said: what the room list
    /// adds for rooms with no member here. Empty for a server on its own.
    fn other_servers_rooms(&self) -> std::collections::HashMap<Box<str>, u32> {
        std::collections::HashMap::new()
    }
    /// For `max_rooms` across servers: what the other servers last said of their rooms, as
    /// this server (whose own rooms `here` tells) would make the room called `name`. Nothing
    /// for a server on its own.
    fn rooms_elsewhere(&self, _name: &str, _here: &dyn Fn(&str) -> bool) -> RoomsElsewhere {
        RoomsElsewhere::default()
    }
    /// The counters to add to from now on (a server on its own counts at the handlers).
    fn count_into(&self, _counters: BrokerCounters) {}
    /// How this server stands now, for the other servers' status: its clients, and the
    /// address it listens on. Told every second; a cluster says it with its heartbeats.
    fn report_local(&self, _clients: usize, _address: Option<&str>) {}
    /// The servers of the cluster alive now, this one first, as each last said; `None` for a
    /// server on its own.
    fn cluster_servers(&self) -> Option<Vec<ClusterServer>> {
        None
    }
    /// `peer` just logged into `account` here (its older connection here, if any, is closed
    /// already). A cluster claims the account for it, so that the other servers close their
    /// connections to it, and closes `peer` when a later login elsewhere claims it after.
    /// Returns at once: the claim goes on in the background.
    fn claim_account(&self, _account: i64, _peer: &Arc<Peer>) {}
    /// `peer` logged out of `account`: a later login elsewhere leaves it open.
    fn release_account(&self, _account: i64, _peer: &Peer) {}
    /// The server is stopping: its clients are about to leave every room at once, unannounced
    /// here (see `Announce::Nothing`). A cluster tells the other servers, once.
    fn server_stopping(&self) {}
}

/// The rooms the other servers of a cluster have members in, as one server about to make a
/// room sees them (`RoomBroker::rooms_elsewhere`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoomsElsewhere {
    /// The room asked for has members on another server: joining it makes no new room.
    pub asked_for: bool,
    /// Rooms with members on other servers that this server does not hold (each counted
    /// once, however many servers have members in it).
    pub not_here: usize,
}

/// The broker of a server on its own: its rooms are the whole truth.
#[derive(Debug, Default)]
pub struct InProcessBroker {
    ids: IdAllocator,
}

impl InProcessBroker {
    /// A broker whose first client ID is `first` (tests use this to reach the limit).
    pub fn with_first_id(first: u64) -> Self {
        Self {
            ids: IdAllocator::starting_at(first),
        }
    }
}

impl RoomBroker for InProcessBroker {
    fn publish(&self, publications: Vec<Publication<'_>>) -> Result<u64, EnterError> {
        let mut finishing = Vec::with_capacity(publications.len());
        let committed = fan_out(|wakes| {
            let mut locked = lock_in_order(&publications);
            for publication in &publications {
                let state = state_of(&mut locked, publication.room);
                publication
                    .room
                    .check_open_for(state, &publication.change)?;
            }
            for publication in publications {
                let state = state_of(&mut locked, publication.room);
                let mut after = AfterUnlock::new(wakes);
                publication.room.commit(
                    state,
                    publication.change,
                    publication.local,
                    publication.answer,
                    &mut after,
                );
                finishing.push((publication.room, after.into_deferred()));
            }
            Ok(())
        });
        committed?;
        Ok(finishing
            .into_iter()
            .map(|(room, deferred)| room.finish(deferred))
            .sum())
    }

    fn follow(&self, _room: &Arc<Room>) {}

    fn unfollow(&self, _room: &Arc<Room>) {}

    fn history(&self, room: &Room) -> Vec<ChatLine> {
        room.history_lines()
    }

    fn reserve_ids(&self, count: u64) -> Option<Range<u64>> {
        self.ids.allocate_range(count)
    }
}

/// The locks of every room in `publications`, each once, taken in address order so that two
/// moves between the same two rooms in opposite directions cannot deadlock.
fn lock_in_order<'a>(
    publications: &[Publication<'a>],
) -> Vec<(&'a Arc<Room>, MutexGuard<'a, RoomState>)> {
    let mut rooms: Vec<&'a Arc<Room>> = publications.iter().map(|p| p.room).collect();
    rooms.sort_by_key(|room| Arc::as_ptr(room));
    rooms.dedup_by(|a, b| Arc::ptr_eq(a, b));
    rooms.into_iter().map(|room| (room, room.lock())).collect()
}

fn state_of<'s>(
    locked: &'s mut [(&Arc<Room>, MutexGuard<'_, RoomState>)],
    room: &Arc<Room>,
) -> &'s mut RoomState {
    let (_, state) = locked
        .iter_mut()
        .find(|(locked_room, _)| Arc::ptr_eq(locked_room, room))
        .expect("every publication's room is locked");
    state
}
