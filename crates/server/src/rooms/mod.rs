//! Rooms: the directory of rooms by name, moving clients between them, and the room list.
//! A room's record, local members and fan-out are in `room`; every change to a room is an
//! event (`event`) published through the server's `RoomBroker` (`broker`), which a cluster
//! replaces, and applied by `Room::apply`.
//!
//! # The room event path, for whoever builds the cluster
//!
//! Every change to a room — a line of chat, a member joining, leaving or renamed — is a
//! `RoomChange`. The directory here turns what a client does into changes and hands them to
//! `RoomBroker::publish` (a move is two: `Left` from the old room, `Joined` to the new, all or
//! none). The broker gives each change its room's next sequence number, making it a
//! `RoomEvent`, and every server that follows the room applies the event, in sequence order,
//! through `Room::apply`, the one function that changes a room. `apply` does two things
//! under the room's lock:
//!
//! 1. the `RoomRecord` (what the room *is*: members by ID with their names, history, last
//!    sequence number) takes the event; an event out of order is refused (`OutOfOrder`) and
//!    its owner must reload the room;
//! 2. `LocalMembers` (how the room reaches the clients connected to *this* server: their
//!    outboxes, counts per protocol level, the batch of busy rooms) queues what the event means
//!    for each: chat for everyone but the sender, presence for full-level members, leave
//!    notices for tutorial-level ones. A `Joined` whose member is connected here (`local`)
//!    makes it a local member and, when asked, queues its `RoomMessage`, built from the record
//!    right after the event, so a newcomer's view is exactly the state before the next event.
//!
//! `InProcessBroker`, the default, numbers and applies at once under the rooms' locks (taken in
//! address order), so `publish` returning means the event is applied. The cluster's broker
//! (`crate::cluster::NatsBroker`) publishes changes to NATS instead (subjects per room in a
//! JetStream stream: the stream's order is the room's order and its per-subject limits keep
//! the history) and applies what arrives, through the same `apply` (`Room::commit_now`),
//! with the local member each event is about remembered from when it was published. The other operations it replaces: `follow`/`unfollow` (subscribe to a room while
//! it has members here, loading its record first), `history` (what `follow` loads) and
//! `reserve_ids` (client IDs unique across servers and restarts, below 2^53). Limits that must
//! hold cluster-wide are checked against what the broker knows: members per room by `publish`
//! before a `Joined`, rooms (`max_rooms`) when one is made, with the rooms the other servers
//! said they have (`rooms_elsewhere`).

mod answer;
mod batch;
mod broker;
mod delivery;
mod event;
mod history;
mod presence;
mod record;
mod room;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use std::net::IpAddr;

use mmo_protocol::{ClientId, LOBBY, RoomInfo};
use tokio::runtime::Handle;

pub use broker::{
    BrokerCounters, ClusterServer, InProcessBroker, Publication, RoomBroker, RoomsElsewhere,
};
pub use event::{Announce, ChatLineEvent, RoomChange, RoomEvent};
pub use record::{OutOfOrder, RoomRecord};
pub use room::{EnterError, Room, RoomLimits};

use crate::address_prefix::{AddressKey, AddressPrefix};
use crate::load::ServerLoad;
use crate::peer::Peer;

/// A member's name as rooms keep it: a guest's empty name is the one shared value peers have
/// too (`peer::guest_name`), not an allocation per member (a lobby of 19,000 guests would hold
/// 19,000 of them).
fn shared_name(name: &str) -> Arc<str> {
    if name.is_empty() {
        crate::peer::guest_name()
    } else {
        Arc::from(name)
    }
}

/// Why a client could not move to a room; `Display` is the reason it is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinRefusal {
    /// The room has its most members.
    #[error("room \"{room}\" is full ({max_members} members)")]
    Full {
        /// The room.
        room: String,
        /// Its member limit.
        max_members: usize,
    },
    /// The server is shutting down.
    #[error("the server is shutting down")]
    ShuttingDown,
    /// Creating the room would pass `max_rooms_per_address` for the asker's address.
    #[error("clients from your address have made {per_address} rooms already; join one of them")]
    TooManyRoomsFromAddress {
        /// The limit.
        per_address: usize,
    },
    /// Creating the room would pass `max_rooms`.
    #[error("there are already {max_rooms} rooms; join one of them")]
    TooManyRooms {
        /// The room limit.
        max_rooms: usize,
    },
}

/// The rooms other than the lobby, by name, and whether the server is shutting down (then no
/// room is created), under one lock.
#[derive(Debug, Default)]
struct Directory {
    rooms: HashMap<Box<str>, Arc<Room>>,
    /// How many of the rooms each address made (see `RoomQuota`).
    made_by: HashMap<AddressKey, usize>,
    shut: bool,
}

/// How many rooms the clients of one address may have made and that still exist
/// (`max_rooms_per_address`), and the addresses it does not apply to.
#[derive(Debug, Clone)]
pub struct RoomQuota {
    /// Rooms per address.
    pub per_address: usize,
    /// Addresses not limited (`address_limit_exempt`).
    pub exempt: Vec<AddressPrefix>,
}

impl Default for RoomQuota {
    fn default() -> Self {
        Self {
            per_address: usize::MAX,
            exempt: Vec::new(),
        }
    }
}

/// Every room of the server. The lobby always exists; other rooms are created when someone
/// first joins them and removed, with their history, when the last member leaves.
#[derive(Debug)]
pub struct Rooms {
    lobby: Arc<Room>,
    /// Rooms other than the lobby. Locked only to look a room up, create or remove it — never
    /// while a room's own lock is wanted by this thread, except in `remove_if_empty`, which
    /// takes the directory first, then the room (the one order used anywhere).
    others: Mutex<Directory>,
    limits: RoomLimits,
    max_rooms: usize,
    quota: RoomQuota,
    /// The runtime rooms time and deliver their batches on (see `Room::runtime`): the one the
    /// directory is made on, the server's main runtime.
    runtime: Option<Handle>,
    /// Whether the server is short of CPU, shared by every room (see `load`).
    load: Arc<ServerLoad>,
    /// What publishes the rooms' events and reserves IDs.
    broker: Arc<dyn RoomBroker>,
    /// The last room list made: see `ROOM_LIST_MAX_AGE`.
    listed: Mutex<Option<RoomList>>,
    /// Members joining or leaving any room, counted by the rooms themselves.
    membership_changes: Arc<AtomicU64>,
}

/// A room list as made at one moment.
#[derive(Debug)]
struct RoomList {
    /// `membership_changes` when it was made.
    changes: u64,
    made: Instant,
    /// The `max_listed` it was cut to.
    max_listed: usize,
    rooms: Arc<[RoomInfo]>,
}

/// How old a room list may be when it is answered again while no member has joined or left
/// any room since it was made. Making one walks and sorts every room (a quarter of a
/// millisecond with 1,000 rooms), and a request of a few bytes must not cost that each time:
/// a crowd asking five times a second then costs a list per change of membership, and with
/// none, one a second (to refresh what it holds besides counts).
const ROOM_LIST_MAX_AGE: Duration = Duration::from_secs(1);

impl Rooms {
    /// A directory holding only the empty lobby; at most `max_rooms` rooms (the lobby counts).
    pub fn new(limits: RoomLimits, max_rooms: usize, broker: Arc<dyn RoomBroker>) -> Self {
        Self::with_quota(limits, max_rooms, RoomQuota::default(), broker)
    }

    /// A directory like `new` whose rooms are also bounded per address by `quota`.
    pub fn with_quota(
        limits: RoomLimits,
        max_rooms: usize,
        quota: RoomQuota,
        broker: Arc<dyn RoomBroker>,
    ) -> Self {
        let runtime = Handle::try_current().ok();
        let membership_changes = Arc::new(AtomicU64::new(0));
        let load = Arc::new(ServerLoad::new(limits.batch_from_busy_percent));
        let mut lobby = Room::new(LOBBY, true, limits, runtime.clone(), Arc::clone(&load));
        lobby.membership_changes = Arc::clone(&membership_changes);
        Self {
            lobby: Arc::new(lobby),
            others: Mutex::new(Directory::default()),
            limits,
            max_rooms,
            quota,
            runtime,
            load,
            broker,
            listed: Mutex::new(None),
            membership_changes,
        }
    }

    /// The room every client starts in.
    pub fn lobby(&self) -> &Arc<Room> {
        &self.lobby
    }

    /// Whether the server is short of CPU, as every room reads it: what `load::sample_load`
    /// keeps true.
    pub fn load(&self) -> &Arc<ServerLoad> {
        &self.load
    }

    /// Rooms now, the lobby included.
    pub fn count(&self) -> usize {
        self.others().rooms.len() + 1
    }

    /// A new client ID, unique among every server's; `None` once they are used up.
    pub fn allocate_id(&self) -> Option<ClientId> {
        self.broker
            .reserve_ids(1)
            .and_then(|ids| ClientId::new(ids.start))
    }

    /// Whether the broker joining this server to others is reachable now; `None` for a server
    /// on its own.
    pub fn broker_connected(&self) -> Option<bool> {
        self.broker.broker_connected()
    }

    /// Hands the broker the counters it adds to (see `RoomBroker::count_into`).
    pub fn count_into(&self, counters: BrokerCounters) {
        self.broker.count_into(counters);
    }

    /// Tells the broker how this server stands (see `RoomBroker::report_local`).
    pub fn report_local(&self, clients: usize, address: Option<&str>) {
        self.broker.report_local(clients, address);
    }

    /// Tells the broker `peer` logged into `account` (see `RoomBroker::claim_account`).
    pub fn claim_account(&self, account: i64, peer: &Arc<Peer>) {
        self.broker.claim_account(account, peer);
    }

    /// Tells the broker `peer` logged out of `account` (see `RoomBroker::release_account`).
    pub fn release_account(&self, account: i64, peer: &Peer) {
        self.broker.release_account(account, peer);
    }

    /// The cluster's servers alive now, this one first; `None` for a server on its own.
    pub fn cluster_servers(&self) -> Option<Vec<ClusterServer>> {
        self.broker.cluster_servers()
    }

    fn others(&self) -> MutexGuard<'_, Directory> {
        // Every critical section is one map operation.
        self.others.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The room called `name` (a valid name), created for a client from `asker` if it does
    /// not exist.
    fn find_or_create(&self, name: &str, asker: IpAddr) -> Result<Arc<Room>, JoinRefusal> {
        if name == LOBBY {
            return Ok(Arc::clone(&self.lobby));
        }
        let mut others = self.others();
        if let Some(room) = others.rooms.get(name) {
            return Ok(Arc::clone(room));
        }
        if others.shut {
            return Err(JoinRefusal::ShuttingDown);
        }
        // In a cluster, the rooms of the other servers count too, as they last said (a room
        // with members elsewhere is no new room: the asker joins it).
        let elsewhere = self.broker.rooms_elsewhere(name, &|room: &str| {
            room == LOBBY || others.rooms.contains_key(room)
        });
        if !elsewhere.asked_for && others.rooms.len() + 1 + elsewhere.not_here >= self.max_rooms {
            return Err(JoinRefusal::TooManyRooms {
                max_rooms: self.max_rooms,
            });
        }
        let exempt = self
            .quota
            .exempt
            .iter()
            .any(|prefix| prefix.contains(asker));
        let maker = (!exempt && !elsewhere.asked_for).then(|| AddressKey::of(asker));
        if let Some(maker) = maker {
            let made = others.made_by.entry(maker).or_default();
            if *made >= self.quota.per_address {
                return Err(JoinRefusal::TooManyRoomsFromAddress {
                    per_address: self.quota.per_address,
                });
            }
            *made += 1;
        }
        let mut room = Room::new(
            name,
            false,
            self.limits,
            self.runtime.clone(),
            Arc::clone(&self.load),
        );
        room.made_by = maker;
        room.membership_changes = Arc::clone(&self.membership_changes);
        let room = Arc::new(room);
        others.rooms.insert(name.into(), Arc::clone(&room));
        Ok(room)
    }

    /// Puts `peer` (in no room) into `room`: the members who understand presence are told; a
    /// full-level peer is sent the room's `RoomMessage` when `answer` is set.
    pub fn enter(
        &self,
        peer: &Arc<Peer>,
        room: &Arc<Room>,
        answer: bool,
    ) -> Result<(), EnterError> {
        self.follow_for(room);
        self.broker
            .publish(vec![Publication {
                room,
                change: RoomChange::Joined {
                    member: peer.id,
                    name: shared_name(&peer.name()),
                },
                local: Some(peer),
                answer,
            }])
            .map(drop)
    }

    /// Takes `peer` out of `room`, the others told as `announce` says; the room goes if it is
    /// empty now.
    pub fn leave(&self, peer: &Arc<Peer>, room: &Arc<Room>, announce: Announce) {
        let left = self.broker.publish(vec![Publication {
            room,
            change: RoomChange::Left {
                member: peer.id,
                name: shared_name(&peer.name()),
                announce,
            },
            local: Some(peer),
            answer: false,
        }]);
        debug_assert!(left.is_ok(), "a leave is never refused");
        self.after_leaving(room);
    }

    /// Moves `peer` from `from` (its room) to the room called `to` (a valid name), all at
    /// once: the old room's members see it leave, the new room's see it enter, and it is sent
    /// the new room's `RoomMessage`. On refusal it stays in `from`. Returns the new room.
    /// Asking for the room it is in answers with that room's `RoomMessage` alone.
    pub fn move_member(
        &self,
        peer: &Arc<Peer>,
        from: &Arc<Room>,
        to: &str,
    ) -> Result<Arc<Room>, JoinRefusal> {
        loop {
            let target = self.find_or_create(to, peer.address.ip())?;
            if Arc::ptr_eq(from, &target) {
                target.answer(peer);
                return Ok(target);
            }
            self.follow_for(&target);
            let moved = self.broker.publish(vec![
                Publication {
                    room: from,
                    change: RoomChange::Left {
                        member: peer.id,
                        name: shared_name(&peer.name()),
                        announce: Announce::Presence { notice: Some("") },
                    },
                    local: Some(peer),
                    answer: false,
                },
                Publication {
                    room: &target,
                    change: RoomChange::Joined {
                        member: peer.id,
                        name: shared_name(&peer.name()),
                    },
                    local: Some(peer),
                    answer: true,
                },
            ]);
            match moved {
                Ok(_) => {
                    self.after_leaving(from);
                    return Ok(target);
                }
                Err(EnterError::Removed) => continue,
                Err(EnterError::ShuttingDown) => {
                    self.after_leaving(&target);
                    return Err(JoinRefusal::ShuttingDown);
                }
                Err(EnterError::Full { max_members }) => {
                    self.after_leaving(&target);
                    return Err(JoinRefusal::Full {
                        room: to.to_owned(),
                        max_members,
                    });
                }
            }
        }
    }

    /// Relays a chat line from `sender` (a member of `room`) to every other member and keeps
    /// it in the history. Returns how many members here it was queued for.
    pub fn chat(&self, room: &Arc<Room>, sender: &Peer, text: &str, sent_at_ms: i64) -> u64 {
        self.broker
            .publish(vec![Publication {
                room,
                change: RoomChange::Chat(ChatLineEvent {
                    sender: sender.id,
                    sender_name: shared_name(&sender.name()),
                    text: text.into(),
                    sent_at_ms,
                }),
                local: None,
                answer: false,
            }])
            .unwrap_or(0)
    }

    /// Tells `room`'s members that `peer` (a member) now goes by its current name.
    pub fn rename(&self, peer: &Arc<Peer>, room: &Arc<Room>) {
        let renamed = self.broker.publish(vec![Publication {
            room,
            change: RoomChange::Renamed {
                member: peer.id,
                name: shared_name(&peer.name()),
            },
            local: None,
            answer: false,
        }]);
        debug_assert!(renamed.is_ok(), "a rename is never refused");
    }

    fn follow_for(&self, room: &Arc<Room>) {
        if room.local_member_count() == 0 {
            self.broker.follow(room);
        }
    }

    fn after_leaving(&self, room: &Arc<Room>) {
        if room.local_member_count() == 0 {
            self.broker.unfollow(room);
        }
        self.remove_if_empty(room);
    }

    /// Lets members only leave, in every room: from now on no line is accepted and nobody
    /// enters. Each room is shut under its lock, so a line being fanned out reaches every
    /// member before their sessions are closed for the shutdown.
    pub fn shut_down(&self) {
        self.broker.server_stopping();
        let others: Vec<Arc<Room>> = {
            let mut directory = self.others();
            directory.shut = true;
            directory.rooms.values().cloned().collect()
        };
        self.lobby.shut();
        for room in others {
            room.shut();
        }
    }

    /// Takes `room` out of the directory if it has no members (the lobby stays).
    pub fn remove_if_empty(&self, room: &Arc<Room>) {
        if room.is_lobby() || room.member_count() > 0 {
            return;
        }
        let mut others = self.others();
        let is_listed = others
            .rooms
            .get(room.name())
            .is_some_and(|listed| Arc::ptr_eq(listed, room));
        if is_listed && room.remove_if_empty() {
            others.rooms.remove(room.name());
            if let Some(maker) = room.made_by {
                if let Some(made) = others.made_by.get_mut(&maker) {
                    *made -= 1;
                    if *made == 0 {
                        others.made_by.remove(&maker);
                    }
                }
            }
        }
    }

    /// Every room with members and how many, most members first, then by name; at most
    /// `max_listed` of them. Made again only when a member has joined or left a room since the
    /// last list (or it is `ROOM_LIST_MAX_AGE` old).
    pub fn list(&self, max_listed: usize) -> Vec<RoomInfo> {
        let now = Instant::now();
        let mut listed = self.listed.lock().unwrap_or_else(PoisonError::into_inner);
        // Read before the rooms are walked: a change during the walk makes the next list anew.
        let changes = self.membership_changes.load(Ordering::Relaxed);
        if let Some(list) = listed.as_ref() {
            if list.changes == changes
                && now.duration_since(list.made) < ROOM_LIST_MAX_AGE
                && list.max_listed == max_listed
            {
                return list.rooms.to_vec();
            }
        }
        let rooms: Arc<[RoomInfo]> = self.list_now(max_listed).into();
        *listed = Some(RoomList {
            changes,
            made: now,
            max_listed,
            rooms: Arc::clone(&rooms),
        });
        rooms.to_vec()
    }

    fn list_now(&self, max_listed: usize) -> Vec<RoomInfo> {
        let mut rooms: Vec<Arc<Room>> = self.others().rooms.values().cloned().collect();
        rooms.push(Arc::clone(&self.lobby));
        let mut listed: Vec<RoomInfo> = rooms
            .iter()
            .filter(|room| room.member_count() > 0)
            .map(|room| RoomInfo {
                name: room.name().to_owned(),
                members: u32::try_from(room.member_count()).unwrap_or(u32::MAX),
            })
            .collect();
        // In a cluster, the rooms whose members are all on other servers, as they said.
        let mut elsewhere = self.broker.other_servers_rooms();
        for room in &listed {
            elsewhere.remove(room.name.as_str());
        }
        listed.extend(elsewhere.into_iter().map(|(name, members)| RoomInfo {
            name: name.into(),
            members,
        }));
        listed.sort_unstable_by(|a, b| b.members.cmp(&a.members).then_with(|| a.name.cmp(&b.name)));
        listed.truncate(max_listed);
        listed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_protocol::{ClientId, Level, Msg, decode_packet};

    fn limits() -> RoomLimits {
        RoomLimits {
            max_members: 2,
            history_lines: 10,
            history_bytes: 10_000,
            batch_window: std::time::Duration::ZERO,
            batch_from_busy_percent: 0,
            presence_batch_above: usize::MAX,
            presence_window: std::time::Duration::ZERO,
        }
    }

    fn peer(id: u64, level: Level) -> Arc<Peer> {
        let peer = Peer::new(
            ClientId::new(id).expect("non-zero"),
            "127.0.0.1:1".parse().expect("address"),
            1 << 20,
            0,
        );
        peer.raise_level(level);
        Arc::new(peer)
    }

    /// Every packet queued for `peer` so far.
    fn received(peer: &Peer) -> Vec<mmo_protocol::Packet> {
        peer.outbox
            .take()
            .frames
            .iter()
            .map(|frame| decode_packet(&frame[2..]).expect("one packet per frame"))
            .collect()
    }

    #[test]
    fn moving_tells_both_rooms_and_answers_with_members_and_history() {
        let rooms = Rooms::new(limits(), 10, Arc::new(InProcessBroker::default()));
        let (a, b, c) = (
            peer(1, Level::Full),
            peer(2, Level::Full),
            peer(3, Level::Part3),
        );
        let lobby = Arc::clone(rooms.lobby());
        for p in [&a, &b, &c] {
            rooms.enter(p, &lobby, false).expect("lobby has room");
        }
        rooms.chat(&lobby, &c, "hello", 7);
        received(&a);
        received(&b);
        let red = rooms.move_member(&a, &lobby, "red").expect("moved");
        assert_eq!(red.member_count(), 1);
        assert_eq!(lobby.member_count(), 2);
        // b (full level) sees a leave; c (part 3) sees nothing.
        let seen_by_b = received(&b);
        assert!(matches!(&seen_by_b[..], [p] if matches!(&p.msg,
            Some(Msg::Presence(presence)) if !presence.joined && presence.room == "lobby")));
        assert!(received(&c).is_empty());
        // a gets the red room, with itself as the only member.
        let answer = received(&a);
        let Some(Msg::Room(room)) = &answer[0].msg else {
            panic!("expected a RoomMessage, got {answer:?}")
        };
        assert_eq!(room.room, "red");
        assert_eq!(room.members.len(), 1);
        // b follows: a sees b enter; b's answer lists both and red's (empty) history.
        rooms.move_member(&b, &lobby, "red").expect("moved");
        let seen_by_a = received(&a);
        assert!(
            matches!(&seen_by_a[..], [p] if p.sender_id == 2 && matches!(&p.msg,
            Some(Msg::Presence(presence)) if presence.joined))
        );
        let Some(Msg::Room(room)) = &received(&b)[0].msg else {
            panic!("expected a RoomMessage")
        };
        assert_eq!(
            room.members.iter().map(|m| m.id).collect::<Vec<_>>(),
            [1, 2]
        );
        // Back to the lobby: its history is still there.
        rooms.move_member(&b, &red, "lobby").expect("moved");
        let Some(Msg::Room(room)) = &received(&b)[0].msg else {
            panic!("expected a RoomMessage")
        };
        assert_eq!(room.history.len(), 1);
        assert_eq!(room.history[0].msg, "hello");
        assert_eq!(room.history[0].sent_at_ms, 7);
    }

    #[test]
    fn a_leave_is_presence_for_full_members_and_a_notice_for_tutorial_ones_only() {
        let rooms = Rooms::new(limits(), 10, Arc::new(InProcessBroker::default()));
        let lobby = Arc::clone(rooms.lobby());
        let (full, tutorial, part3, leaver) = (
            peer(1, Level::Full),
            peer(2, Level::Tutorial),
            peer(3, Level::Part3),
            peer(4, Level::Part3),
        );
        for p in [&full, &tutorial, &part3, &leaver] {
            rooms.enter(p, &lobby, false).expect("room");
        }
        for p in [&full, &tutorial, &part3] {
            received(p);
        }
        rooms.leave(
            &leaver,
            &lobby,
            Announce::Presence {
                notice: Some("connection lost"),
            },
        );
        let to_full = received(&full);
        assert!(
            matches!(&to_full[..], [p] if matches!(p.msg, Some(Msg::Presence(_)))),
            "{to_full:?}"
        );
        let to_tutorial = received(&tutorial);
        assert!(
            matches!(&to_tutorial[..], [p] if matches!(p.msg, Some(Msg::Disconnect(_)))),
            "{to_tutorial:?}"
        );
        assert!(received(&part3).is_empty());
    }

    #[test]
    fn a_full_room_refuses_and_the_client_stays() {
        let rooms = Rooms::new(limits(), 10, Arc::new(InProcessBroker::default()));
        let lobby = Arc::clone(rooms.lobby());
        let peers: Vec<_> = (1..=3).map(|id| peer(id, Level::Full)).collect();
        for p in &peers {
            rooms
                .enter(p, &lobby, false)
                .expect("the lobby has no limit");
        }
        rooms.move_member(&peers[0], &lobby, "red").expect("room");
        rooms.move_member(&peers[1], &lobby, "red").expect("room");
        assert_eq!(
            rooms.move_member(&peers[2], &lobby, "red").err(),
            Some(JoinRefusal::Full {
                room: "red".into(),
                max_members: 2
            })
        );
        assert_eq!(lobby.member_count(), 1);
    }

    #[test]
    fn an_empty_room_goes_with_its_history_and_the_room_limit_counts_the_lobby() {
        let rooms = Rooms::new(limits(), 2, Arc::new(InProcessBroker::default()));
        let lobby = Arc::clone(rooms.lobby());
        let a = peer(1, Level::Full);
        rooms.enter(&a, &lobby, false).expect("room");
        let red = rooms
            .move_member(&a, &lobby, "red")
            .expect("one room besides the lobby");
        rooms.chat(&red, &a, "only me", 1);
        assert_eq!(
            rooms.move_member(&a, &red, "blue").err(),
            Some(JoinRefusal::TooManyRooms { max_rooms: 2 })
        );
        rooms.move_member(&a, &red, "lobby").expect("back");
        assert_eq!(rooms.count(), 1, "red emptied and was removed");
        let red_again = rooms.move_member(&a, &lobby, "red").expect("created anew");
        assert_eq!(red_again.history_size(), (0, 0));
    }

    #[test]
    fn the_list_counts_members_biggest_first() {
        let rooms = Rooms::new(limits(), 10, Arc::new(InProcessBroker::default()));
        let lobby = Arc::clone(rooms.lobby());
        let peers: Vec<_> = (1..=4).map(|id| peer(id, Level::Full)).collect();
        for p in &peers {
            rooms.enter(p, &lobby, false).expect("room");
        }
        rooms.move_member(&peers[0], &lobby, "b").expect("room");
        rooms.move_member(&peers[1], &lobby, "a").expect("room");
        rooms.move_member(&peers[2], &lobby, "a").expect("room");
        let list = rooms.list(10);
        let pairs: Vec<_> = list.iter().map(|r| (r.name.as_str(), r.members)).collect();
        assert_eq!(pairs, [("a", 2), ("b", 1), ("lobby", 1)]);
        assert_eq!(rooms.list(1).len(), 1);
        // Asked again at once after a move: the move is in it.
        rooms.move_member(&peers[3], &lobby, "b").expect("room");
        let pairs: Vec<_> = rooms
            .list(10)
            .iter()
            .map(|r| (r.name.clone(), r.members))
            .collect();
        assert_eq!(pairs, [("a".into(), 2), ("b".into(), 2)]);
    }

    #[test]
    fn the_lobby_list_is_bounded_and_holds_the_asker() {
        let rooms = Rooms::new(limits(), 10, Arc::new(InProcessBroker::default()));
        let lobby = Arc::clone(rooms.lobby());
        let peers: Vec<_> = (1..=5).map(|id| peer(id, Level::Part3)).collect();
        for p in &peers {
            rooms
                .enter(p, &lobby, false)
                .expect("the lobby has no limit");
        }
        lobby.answer(&peers[4]);
        let Some(Msg::Room(room)) = &received(&peers[4])[0].msg else {
            panic!("expected a RoomMessage")
        };
        assert_eq!(
            room.members.iter().map(|m| m.id).collect::<Vec<_>>(),
            [1, 5]
        );
    }

    /// `lines` lines said into the lobby one right after the other (a busy room), and for each
    /// whether the listener's writer, waiting, was woken for it before `chat` returned
    /// (written at once) rather than later (held in the room's batch); with each line's
    /// writer, to wait for.
    fn woken_at_once(
        rooms: &Rooms,
        lines: usize,
    ) -> (
        Vec<bool>,
        Vec<Arc<crate::outbox::test_support::CountingWaker>>,
    ) {
        use crate::outbox::test_support::CountingWaker;
        use std::task::{Context, Waker};
        let lobby = Arc::clone(rooms.lobby());
        let (sender, listener) = (peer(1, Level::Part3), peer(2, Level::Part3));
        for p in [&sender, &listener] {
            rooms.enter(p, &lobby, false).expect("room");
        }
        let mut at_once = Vec::new();
        let mut writers = Vec::new();
        for n in 0..lines {
            listener.outbox.take();
            let writer = Arc::new(CountingWaker::default());
            let waker = Waker::from(Arc::clone(&writer));
            assert!(
                listener
                    .outbox
                    .poll_ready(&mut Context::from_waker(&waker))
                    .is_pending()
            );
            rooms.chat(&lobby, &sender, &n.to_string(), 0);
            at_once.push(writer.wakes() > 0);
            writers.push(writer);
        }
        (at_once, writers)
    }

    /// The longest window, so that a held line is surely held.
    fn batching_limits() -> RoomLimits {
        RoomLimits {
            batch_window: Duration::from_millis(100),
            batch_from_busy_percent: 70,
            ..limits()
        }
    }

    #[tokio::test]
    async fn a_busy_room_on_a_server_with_cpu_to_spare_writes_each_line_at_once() {
        let rooms = Rooms::new(batching_limits(), 10, Arc::new(InProcessBroker::default()));
        rooms.load().observe(0.5);
        // Lines as fast as they come: a busy room, which a loaded server batches (the next
        // test).
        let (at_once, _) = woken_at_once(&rooms, 6);
        assert_eq!(at_once, [true; 6]);
    }

    #[tokio::test]
    async fn a_busy_room_on_a_loaded_server_batches_its_lines() {
        let rooms = Rooms::new(batching_limits(), 10, Arc::new(InProcessBroker::default()));
        rooms.load().observe(0.8);
        let (at_once, writers) = woken_at_once(&rooms, 6);
        // The first line finds a quiet room and goes at once; from the second the room is
        // busy and its lines wait for the batch (a line would go at once only if it came more
        // than the fast room's wait, 5 ms, after the one before).
        assert!(at_once[0], "{at_once:?}");
        assert!(at_once[1..].contains(&false), "{at_once:?}");
        // The batch goes out when it is due.
        tokio::time::timeout(Duration::from_secs(10), async {
            while writers.iter().any(|writer| writer.wakes() == 0) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await
        .expect("every line is sent once its batch is due");
        // Still loaded between the marks: batching took load off, which must not undo it.
        rooms.load().observe(0.3);
        assert!(rooms.load().is_loaded());
    }

    #[tokio::test]
    async fn a_server_whose_load_fell_writes_at_once_again() {
        let rooms = Rooms::new(batching_limits(), 10, Arc::new(InProcessBroker::default()));
        rooms.load().observe(0.8);
        rooms.load().observe(0.1);
        let (at_once, _) = woken_at_once(&rooms, 6);
        assert_eq!(at_once, [true; 6]);
    }
}
