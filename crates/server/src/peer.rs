//! `Peer`: a connected client as the rest of the server sees it — its ID, address, outbox,
//! protocol level and name — shared by its session, its room and the server-wide registry.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::task::Waker;

use bytes::Bytes;
use mmo_protocol::{ClientId, Level};
use tokio::runtime::Handle;

use crate::outbox::{Outbox, PushError};

/// The name of every guest (`""`): one shared value, not an allocation per client (32 bytes
/// of heap for each of a lobby's idle guests).
pub fn guest_name() -> Arc<str> {
    static GUEST: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from(""));
    Arc::clone(&GUEST)
}

/// Marks a peer in no room's member list (`Peer::room_slot`).
const NO_ROOM_SLOT: u32 = u32::MAX;

/// A connected client, as others reach it. Every connected client has one, idle or not, so
/// its size counts: 200 bytes, a 224-byte block with the `Arc`'s counts (docs/benchmarks.md,
/// "Issue 17: idle memory, closed").
#[derive(Debug)]
pub struct Peer {
    /// The ID the server gave it.
    pub id: ClientId,
    /// Where it connected from.
    pub address: SocketAddr,
    /// Frames waiting to be written to it.
    pub outbox: Outbox,
    /// Its `Level` as `u8`: what it has shown it understands. Only ever rises.
    level: AtomicU8,
    /// When a frame from it last arrived, in milliseconds of the server's clock.
    last_heard_ms: AtomicU64,
    /// Its account's username while it is logged in; a guest's is `guest_name()`. A logout
    /// (the tutorial's client goes back to its login screen on the same connection) empties
    /// it. A `Mutex`, 8 bytes smaller than an `RwLock`: it is held only to clone an `Arc`.
    name: Mutex<Arc<str>>,
    /// Its index in its room's member list (`NO_ROOM_SLOT`: none). Read and written only under
    /// that room's lock. 32 bits: a room has fewer members than a process has sockets.
    room_slot: AtomicU32,
}

impl Peer {
    /// A peer with an empty outbox of `outbox_limit_bytes`, heard from at `now_ms`.
    pub fn new(id: ClientId, address: SocketAddr, outbox_limit_bytes: usize, now_ms: u64) -> Self {
        Self {
            id,
            address,
            outbox: Outbox::new(outbox_limit_bytes),
            level: AtomicU8::new(Level::Part3 as u8),
            last_heard_ms: AtomicU64::new(now_ms),
            name: Mutex::new(guest_name()),
            room_slot: AtomicU32::new(NO_ROOM_SLOT),
        }
    }

    /// What the client has shown it understands.
    pub fn level(&self) -> Level {
        Level::from_u8(self.level.load(Ordering::Relaxed))
    }

    /// Raises the client's level to `level` if that is higher; returns whether it rose.
    pub fn raise_level(&self, level: Level) -> bool {
        self.level.fetch_max(level as u8, Ordering::Relaxed) < level as u8
    }

    /// Whether the client may be sent a packet of `level`.
    pub fn understands(&self, level: Level) -> bool {
        self.level() >= level
    }

    /// Records that the client was heard from at `now_ms`.
    pub fn heard_at(&self, now_ms: u64) {
        self.last_heard_ms.store(now_ms, Ordering::Relaxed);
    }

    /// When the client was last heard from.
    pub fn last_heard_ms(&self) -> u64 {
        self.last_heard_ms.load(Ordering::Relaxed)
    }

    /// The name others see: the account's username, or `""` for a guest.
    pub fn name(&self) -> Arc<str> {
        Arc::clone(&self.name.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Gives the client its account's name; `false` if it already has one.
    pub fn set_name(&self, name: &str) -> bool {
        let mut current = self.name.lock().unwrap_or_else(PoisonError::into_inner);
        if !current.is_empty() {
            return false;
        }
        *current = Arc::from(name);
        true
    }

    /// Takes the account's name away (a logout): it is a guest again.
    pub fn clear_name(&self) {
        *self.name.lock().unwrap_or_else(PoisonError::into_inner) = guest_name();
    }

    /// Queues a frame for the client, waking its writer.
    pub fn send(&self, frame: Bytes) -> Result<(), PushError> {
        self.outbox.push(frame)
    }

    /// Its index in its room's member list; `None` when it is in none.
    pub(crate) fn room_slot(&self) -> Option<usize> {
        match self.room_slot.load(Ordering::Relaxed) {
            NO_ROOM_SLOT => None,
            slot => usize::try_from(slot).ok(),
        }
    }

    /// Records its index in its room's member list (`None`: it left the list).
    pub(crate) fn set_room_slot(&self, slot: Option<usize>) {
        let slot = slot.map_or(NO_ROOM_SLOT, |slot| {
            u32::try_from(slot)
                .ok()
                .filter(|&slot| slot != NO_ROOM_SLOT)
                .expect("a room has fewer members than a process has sockets")
        });
        self.room_slot.store(slot, Ordering::Relaxed);
    }
}

/// Delivers frames already queued to many clients at once (a room's batch, a world's tick):
/// each client's queue is written from here where its session is idle on plain TCP
/// (`Outbox::write_or_wake`), and its session is woken otherwise. `batch` holds the clients
/// whose writers were waiting, with the wakers their pushes handed back.
///
/// More than `PEERS_PER_DELIVERY` clients are shared out among tasks on `runtime`, so that
/// every worker thread writes part of them and the caller (a chatting session, a room's
/// flusher, a world's thread) goes on at once.
pub fn deliver(batch: Vec<(Arc<Peer>, Waker)>, runtime: Option<&Handle>) {
    if let Some(runtime) = runtime.filter(|_| batch.len() > PEERS_PER_DELIVERY) {
        // In the batch's order (the workers take tasks first in, first out): the first
        // clients are written first, as their frames were queued first.
        let mut rest = batch.into_iter();
        loop {
            let chunk: Vec<_> = rest.by_ref().take(PEERS_PER_DELIVERY).collect();
            if chunk.is_empty() {
                return;
            }
            runtime.spawn(async move { deliver_now(chunk) });
        }
    }
    deliver_now(batch);
}

/// Clients one task delivers to. A direct write costs about 4 µs, so 128 of them keep a task
/// about half a millisecond: at 1,000 members a room's batch is shared by eight tasks, which
/// at 150 lines a second cut server CPU per delivery by 12-17% against waking every session
/// (docs/benchmarks.md).
const PEERS_PER_DELIVERY: usize = 128;

fn deliver_now(batch: Vec<(Arc<Peer>, Waker)>) {
    for (peer, waker) in batch {
        peer.outbox.write_or_wake(waker);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_only_rises() {
        let peer = Peer::new(
            ClientId::new(1).expect("non-zero"),
            "127.0.0.1:1".parse().expect("address"),
            1024,
            0,
        );
        assert_eq!(peer.level(), Level::Part3);
        assert!(!peer.understands(Level::Tutorial));
        assert!(peer.raise_level(Level::Full));
        assert!(!peer.raise_level(Level::Tutorial), "no fall back");
        assert_eq!(peer.level(), Level::Full);
        assert!(peer.understands(Level::Tutorial));
    }

    #[test]
    fn a_name_is_given_once_per_login() {
        let peer = Peer::new(
            ClientId::new(1).expect("non-zero"),
            "127.0.0.1:1".parse().expect("address"),
            1024,
            0,
        );
        assert_eq!(&*peer.name(), "");
        assert!(peer.set_name("alice"));
        assert!(!peer.set_name("bob"));
        assert_eq!(&*peer.name(), "alice");
        // A logout frees it for the next login.
        peer.clear_name();
        assert_eq!(&*peer.name(), "");
        assert!(peer.set_name("bob"));
        assert_eq!(&*peer.name(), "bob");
    }
}
