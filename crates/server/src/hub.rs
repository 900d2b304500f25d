//! The hub: every connected client, the relay that fans a chat line out to the others, and the
//! housekeeping (pings, idle sweeps, rate samples) shared by all sessions.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use mmo_protocol::{ClientId, Packet};
use tokio::sync::Notify;

use crate::collection::SharedCollection;
use crate::config::Config;
use crate::metrics::{Metrics, RateMeter};
use crate::outbox::Outbox;
use crate::session::Disconnect;
use crate::websocket::{PING_FRAME, encode_packet_frame};

/// A connected client as the rest of the server sees it.
#[derive(Debug)]
pub struct Peer {
    /// The ID the server gave it.
    pub id: ClientId,
    /// Frames waiting to be written to it.
    pub outbox: Outbox,
    /// When a frame from it last arrived, in milliseconds since the hub started.
    last_heard_ms: AtomicU64,
}

impl Peer {
    /// Records that the client was heard from at `now_ms` (see `Hub::now_ms`).
    pub fn heard_at(&self, now_ms: u64) {
        self.last_heard_ms.store(now_ms, Ordering::Relaxed);
    }
}

/// State shared by every connection of one server.
#[derive(Debug)]
pub struct Hub {
    /// The configuration the server runs with.
    pub config: Config,
    /// Counters for `/metrics` and `/api/status`.
    pub metrics: Metrics,
    /// Recent per-second rates for `/api/status`.
    pub rates: RateMeter,
    clients: SharedCollection<Arc<Peer>, ClientId>,
    started: Instant,
    sessions: AtomicUsize,
    tasks: TaskCounter,
    /// Set by `close_all`: once every client is leaving, telling each about all the others
    /// would queue N² frames nobody will read.
    closing_all: AtomicBool,
}

impl Hub {
    /// A hub with no clients.
    pub fn new(config: Config) -> Self {
        Self {
            clients: SharedCollection::with_capacity(config.max_connections.min(1024)),
            config,
            metrics: Metrics::default(),
            rates: RateMeter::new(),
            started: Instant::now(),
            sessions: AtomicUsize::new(0),
            tasks: TaskCounter::default(),
            closing_all: AtomicBool::new(false),
        }
    }

    /// Milliseconds since the hub started: the clock for idle detection.
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Seconds since the hub started.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Reserves room for one more session, or `None` at `max_connections`. The room is given
    /// back when the returned slot is dropped.
    pub fn reserve_session(self: &Arc<Self>) -> Option<SessionSlot> {
        let max = self.config.max_connections;
        self.sessions
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < max).then_some(open + 1)
            })
            .ok()
            .map(|_| SessionSlot {
                hub: Arc::clone(self),
            })
    }

    /// Adds a client, giving it the next ID; its outbox starts with `first_frames(id)`.
    pub fn register(&self, first_frames: impl FnOnce(ClientId) -> Vec<Bytes>) -> Arc<Peer> {
        let mut registered = None;
        let now_ms = self.now_ms();
        self.clients.insert_with(|id| {
            let peer = Arc::new(Peer {
                id,
                outbox: Outbox::new(self.config.outbound_queue_bytes, first_frames(id)),
                last_heard_ms: AtomicU64::new(now_ms),
            });
            registered = Some(Arc::clone(&peer));
            peer
        });
        Metrics::bump(&self.metrics.sessions_opened);
        // insert_with always calls the closure exactly once.
        registered.unwrap_or_else(|| unreachable!("insert_with calls its closure"))
    }

    /// Removes a client; relays stop reaching it.
    pub fn unregister(&self, id: ClientId) {
        self.clients.remove(id);
        Metrics::bump(&self.metrics.sessions_closed);
    }

    /// Clients registered now.
    pub fn client_count(&self) -> usize {
        self.clients.len()
    }

    /// Sends `packet` to every client but `except`, encoding it once for all of them. Returns
    /// how many it was queued for.
    pub fn broadcast(&self, except: ClientId, packet: &Packet) -> u64 {
        let frame = encode_packet_frame(packet);
        let mut delivered = 0;
        self.clients.for_each(|id, peer| {
            // A full outbox marks its client as too slow and it is disconnected with a reason:
            // nothing is skipped silently, and the others are not held up.
            if id != except && peer.outbox.push(frame.clone()).is_ok() {
                delivered += 1;
            }
        });
        delivered
    }

    /// Relays a chat line from `sender` to every other client.
    pub fn relay_chat(&self, sender: ClientId, text: String) {
        let delivered = self.broadcast(sender, &Packet::chat_from(sender, text));
        Metrics::bump(&self.metrics.chats_relayed);
        self.metrics
            .deliveries
            .fetch_add(delivered, Ordering::Relaxed);
    }

    /// Tells the other clients that `who` left, when so configured and the server is not
    /// shutting down.
    pub fn announce_leave(&self, who: ClientId, reason: &str) {
        if self.config.announce_leaves && !self.closing_all.load(Ordering::Acquire) {
            self.broadcast(who, &Packet::disconnect_of(who, reason));
        }
    }

    /// Pings clients that have been quiet for a ping interval and disconnects those quiet for
    /// the idle timeout.
    pub fn sweep_idle(&self) {
        let now_ms = self.now_ms();
        let ping_after = duration_ms(self.config.ping_interval);
        let idle_after = duration_ms(self.config.idle_timeout);
        self.clients.for_each(|_, peer| {
            let quiet_ms = now_ms.saturating_sub(peer.last_heard_ms.load(Ordering::Relaxed));
            if quiet_ms >= idle_after {
                peer.outbox.close(Disconnect::Idle {
                    timeout: self.config.idle_timeout,
                });
            } else if quiet_ms >= ping_after {
                // A full outbox here means the client is already being dropped as too slow.
                let _ = peer.outbox.push(PING_FRAME.clone());
            }
        });
    }

    /// Asks every session to end for `reason`.
    pub fn close_all(&self, reason: &Disconnect) {
        self.closing_all.store(true, Ordering::Release);
        self.clients
            .for_each(|_, peer| peer.outbox.close(reason.clone()));
    }

    /// Counts a connection task until the returned guard drops, so shutdown can wait for it.
    pub fn track_task(self: &Arc<Self>) -> TaskGuard {
        self.tasks.active.fetch_add(1, Ordering::AcqRel);
        TaskGuard {
            hub: Arc::clone(self),
        }
    }

    /// Connection tasks still running.
    pub fn running_tasks(&self) -> usize {
        self.tasks.active.load(Ordering::Acquire)
    }

    /// Waits until no connection task is running.
    pub async fn all_tasks_done(&self) {
        loop {
            let done = self.tasks.done.notified();
            tokio::pin!(done);
            done.as_mut().enable();
            if self.running_tasks() == 0 {
                return;
            }
            done.await;
        }
    }
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[derive(Debug, Default)]
struct TaskCounter {
    active: AtomicUsize,
    done: Notify,
}

/// Keeps a connection task counted as running while it lives.
#[derive(Debug)]
pub struct TaskGuard {
    hub: Arc<Hub>,
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if self.hub.tasks.active.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.hub.tasks.done.notify_waiters();
        }
    }
}

/// One session's share of `max_connections`, given back on drop.
#[derive(Debug)]
pub struct SessionSlot {
    hub: Arc<Hub>,
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        self.hub.sessions.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(max_connections: usize) -> Arc<Hub> {
        Arc::new(Hub::new(Config {
            max_connections,
            ..Config::default()
        }))
    }

    #[test]
    fn session_slots_stop_at_the_limit_and_come_back() {
        let hub = hub(2);
        let first = hub.reserve_session().expect("room");
        let _second = hub.reserve_session().expect("room");
        assert!(hub.reserve_session().is_none());
        drop(first);
        assert!(hub.reserve_session().is_some());
    }

    #[test]
    fn broadcast_reaches_everyone_but_the_sender_with_one_shared_frame() {
        let hub = hub(10);
        let peers: Vec<_> = (0..3).map(|_| hub.register(|_| Vec::new())).collect();
        let delivered = hub.broadcast(peers[0].id, &Packet::chat_from(peers[0].id, "hi"));
        assert_eq!(delivered, 2);
        assert!(peers[0].outbox.take().frames.is_empty());
        let a = peers[1].outbox.take().frames;
        let b = peers[2].outbox.take().frames;
        assert_eq!(a.len(), 1);
        assert_eq!(
            a[0].as_ptr(),
            b[0].as_ptr(),
            "the encoded frame is shared, not copied"
        );
    }

    #[test]
    fn sweep_pings_the_quiet_and_closes_the_silent() {
        let hub = Arc::new(Hub::new(Config {
            ping_interval: Duration::ZERO,
            idle_timeout: Duration::from_secs(3600),
            ..Config::default()
        }));
        let peer = hub.register(|_| Vec::new());
        hub.sweep_idle();
        assert_eq!(peer.outbox.take().frames, std::slice::from_ref(&PING_FRAME));

        let strict = Arc::new(Hub::new(Config {
            idle_timeout: Duration::ZERO,
            ..Config::default()
        }));
        let silent = strict.register(|_| Vec::new());
        strict.sweep_idle();
        assert!(matches!(
            silent.outbox.take().closing,
            Some(Disconnect::Idle { .. })
        ));
    }

    #[tokio::test]
    async fn waits_for_tracked_tasks() {
        let hub = hub(1);
        let guard = hub.track_task();
        assert_eq!(hub.running_tasks(), 1);
        let waiter = tokio::spawn({
            let hub = Arc::clone(&hub);
            async move { hub.all_tasks_done().await }
        });
        drop(guard);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken when the last task ends")
            .expect("waiter task");
    }
}
