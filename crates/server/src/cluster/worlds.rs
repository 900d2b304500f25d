//! One world per room across the cluster: each room's world runs on one server, its owner,
//! and the clients of the others play in it through the broker (see docs/protocol.md, "In a
//! cluster").
//!
//! The owner holds a lease on the room in a key-value bucket (`BUCKET`) whose entries lapse
//! after `cluster_timeout` unless renewed: the first server whose client enters the world
//! creates the entry, and renews it every third of that while the world runs here; when the
//! world closes (empty) the entry is deleted. Another server whose client enters finds the
//! entry and plays in the owner's world.
//!
//! Every server listens on one subject of its own (`mmo.world.to.<server>`). A client's
//! server sends the owner the client's inputs there (entry, leave, direction, claims); the
//! owner seats the client in its world as a proxy (a `Peer` with the client's ID, name and
//! level, whose outbox nothing writes to a socket), so the world tells it exactly what it
//! tells a client of its own. After each tick the owner takes what the tick queued in the
//! proxies' outboxes and sends it, as encoded frames, in one message per server per tick,
//! with what became of each seat; the client's server queues the frames in the client's
//! outbox under its seat's lock (`world::remote::deliver`). So a remote player is one broker
//! hop further from its world, and nothing else differs.
//!
//! Both sides say they are there every third of `cluster_timeout` while they share a world.
//! A client's server that has not heard from an owner for `cluster_timeout` takes its clients
//! out of that world: this project's clients get `WorldLeftMessage{WORLD_LOST}` and may enter
//! again, which starts the world afresh on a server still there (the lease lapsed with its
//! owner); the tutorial's clients are closed and log in again. An owner that has not heard
//! from a client's server for `cluster_timeout` takes that server's players out of its world.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc as sync_channel};
use std::time::{Duration, Instant};

use async_nats::jetstream::kv;
use async_nats::jetstream::stream::StorageType;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_util::StreamExt as _;
use mmo_protocol::{ClientId, Level, Packet};
use mmo_world::{Appearance, Claim, Decider, Entry, PlayerId, SporeId};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tracing::{info, warn};

use super::setup::{self, Bucket};
use super::{SERVER_SUBJECTS, Shared, broker_error, lock, wait_for_broker};
use crate::peer::Peer;
use crate::websocket::encode_packet_frame;
use crate::world::remote::{self, Placed, Placement, RemoteWorld, SeatNews, TickListener};
use crate::world::{Audience, EnterRefusal, Seat, Worlds};

/// The bucket of the worlds' leases: one entry per room whose world runs somewhere, naming
/// the server running it.
pub const BUCKET: &str = "MMO_WORLDS";

/// Where each server hears about the worlds it shares: `mmo.world.to.<server>`.
const WORLD_SUBJECTS: &str = "mmo.world.to";

/// `WorldLeftMessage.reason` when the server running the world went away: the client may
/// enter again, into a world that starts afresh.
pub const WORLD_LOST: &str = "the world's server went away; enter again to play on";

/// The one leave notice with words a remote client's server passes on (the tutorial's client
/// logging out); any other is passed on as the plain notice.
const LOGGED_OUT: &str = "logged out";

/// Messages about the worlds waiting to go to the broker: each tick sends one per server
/// that has players in a world here, so this is seconds of play for dozens of servers; only a
/// broker that stopped taking them fills it, and then inputs and frames are dropped (and the
/// silence ends the seats).
const OUTGOING_QUEUE: usize = 4_096;

/// Bytes a remote client's proxy holds: what one tick sends it, as its frames go out after
/// every tick; a whole tutorial world's spores and players in one tick are well under this.
const PROXY_OUTBOX_BYTES: usize = 4 * 1024 * 1024;

/// Longest a client's entry waits for the lease to be read or taken.
const PLACE_TIMEOUT: Duration = Duration::from_secs(5);

/// A remote client's input, as its server sends it to the world's owner.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t")]
enum Input {
    /// The client asks to enter.
    #[serde(rename = "e")]
    Enter(Entering),
    /// The client left; `a` is what the tutorial's clients are told, if anything.
    #[serde(rename = "l")]
    Leave {
        room: String,
        c: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        a: Option<String>,
    },
    #[serde(rename = "d")]
    Steer { room: String, c: u64, d: f64 },
    #[serde(rename = "s")]
    EatSpore { room: String, c: u64, id: u64 },
    #[serde(rename = "p")]
    EatPlayer { room: String, c: u64, id: u64 },
    /// Still there.
    #[serde(rename = "k")]
    Alive,
}

/// A remote client asking to enter a world: who it is, as the world needs to know it.
#[derive(Debug, Serialize, Deserialize)]
struct Entering {
    room: String,
    c: u64,
    name: String,
    color: i32,
    best: u64,
    /// Whether it plays as the tutorial's client.
    tut: bool,
    /// Its `Level`: what it may be sent.
    level: u8,
    /// Whether its updates are extrapolated (absent from servers that predate them).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    x: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    srv: u64,
    #[serde(flatten)]
    input: Input,
}

/// The first byte of a message on a server's world subject.
const INPUT: u8 = b'I';
const FRAMES: u8 = b'F';

/// The number of a batch of frames outside a world's run of batches (a refused entry).
const UNNUMBERED: u64 = 0;

/// A seat's news as it travels.
const NEWS_ENTERING: u8 = 0;
const NEWS_SEATED: u8 = 1;
const NEWS_LEFT: u8 = 2;
/// Its proxy fell behind: the client is closed as too slow.
const NEWS_TOO_SLOW: u8 = 3;

/// A remote client's seat in a world here.
#[derive(Debug)]
struct Proxy {
    seat: Arc<Seat>,
    server: u64,
    news: u8,
}

/// A client of this server playing in another server's world.
#[derive(Debug)]
struct Away {
    seat: Arc<Seat>,
    owner: u64,
    since: Instant,
}

/// The worlds' side of a cluster's server; see the module doc.
#[derive(Debug)]
pub(super) struct ClusterWorlds {
    shared: Arc<Shared>,
    worlds: Worlds,
    leases: kv::Store,
    outgoing: mpsc::Sender<(String, Bytes)>,
    /// Remote clients seated in worlds here, by room, then client.
    proxies: Mutex<HashMap<Box<str>, HashMap<u64, Proxy>>>,
    /// This server's clients in other servers' worlds, by client.
    away: Mutex<HashMap<u64, Away>>,
    /// When each server sharing a world with this one was last heard.
    heard: Mutex<HashMap<u64, Instant>>,
    /// Servers that ran a world this server's clients played in and went silent: a lease
    /// naming one is lapsing, and is taken over at once.
    gone: Mutex<std::collections::HashSet<u64>>,
    /// The last batch of frames each world here sent each server (by room, then server):
    /// batches are numbered, so that a server missing one (the broker or its queue dropped
    /// it) closes the clients it was for as too slow rather than let their views go wrong.
    sent: Mutex<HashMap<(Box<str>, u64), u64>>,
    /// The next batch expected from each world elsewhere (by its server, then room).
    expected: Mutex<HashMap<(u64, Box<str>), u64>>,
    /// Rooms whose lease this server holds, and when it last took it (a world about to start
    /// is not running yet: its lease is kept a while before a world not running gives it up).
    owned: Mutex<HashMap<Box<str>, Instant>>,
    /// Messages dropped because the queue to the broker was full.
    dropped: AtomicU64,
}

fn lease_key(room: &str) -> String {
    // Keys take few characters; a name may hold any.
    let hex: String = room.bytes().map(|byte| format!("{byte:02x}")).collect();
    format!("w{hex}")
}

fn subject_of(server: u64) -> String {
    format!("{WORLD_SUBJECTS}.{server}")
}

/// The leases' bucket: in memory (the servers rebuild it by renewing their leases), and a
/// lease not renewed within `lapse` is gone, so a world whose server died is taken over.
fn leases_bucket(lapse: Duration) -> Bucket {
    Bucket {
        name: BUCKET,
        description: "which mmo-server runs each room's world",
        storage: StorageType::Memory,
        max_age: lapse,
        deny_delete: false,
    }
}

impl ClusterWorlds {
    /// Joins `worlds` to the cluster of `shared`.
    pub(super) async fn start(shared: Arc<Shared>, worlds: &Worlds) -> io::Result<Arc<Self>> {
        let client = shared.jetstream.client();
        let leases = leases_bucket(shared.cluster_timeout)
            .open(
                &shared.jetstream,
                tokio::time::Instant::now() + setup::STARTUP_TIMEOUT,
            )
            .await?;
        let inbox = client
            .subscribe(subject_of(shared.server))
            .await
            .map_err(|error| broker_error("cannot listen for the worlds", error))?;
        let departures = client
            .subscribe(format!("{SERVER_SUBJECTS}.*.gone"))
            .await
            .map_err(|error| broker_error("cannot listen for servers leaving", error))?;
        let (outgoing, queue) = mpsc::channel(OUTGOING_QUEUE);
        let this = Arc::new(Self {
            shared,
            worlds: worlds.shared(),
            leases,
            outgoing,
            proxies: Mutex::new(HashMap::new()),
            away: Mutex::new(HashMap::new()),
            heard: Mutex::new(HashMap::new()),
            owned: Mutex::new(HashMap::new()),
            gone: Mutex::new(std::collections::HashSet::new()),
            sent: Mutex::new(HashMap::new()),
            expected: Mutex::new(HashMap::new()),
            dropped: AtomicU64::new(0),
        });
        tokio::spawn(publish(client, queue));
        tokio::spawn(Arc::clone(&this).listen(inbox));
        tokio::spawn(Arc::clone(&this).keep_in_touch());
        tokio::spawn(Arc::clone(&this).hear_departures(departures));
        worlds.join_cluster(
            Arc::new(Placer(Arc::clone(&this))),
            Arc::new(Placer(Arc::clone(&this))),
        );
        Ok(this)
    }

    fn send(&self, server: u64, payload: Bytes) -> bool {
        if self
            .outgoing
            .try_send((subject_of(server), payload))
            .is_ok()
        {
            return true;
        }
        if let Some(counters) = self.shared.counters.get() {
            counters.world_dropped.inc();
        }
        if self.dropped.fetch_add(1, Ordering::Relaxed) == 0 {
            warn!("The broker is not taking the worlds' messages; dropping them");
        }
        false
    }

    fn send_input(&self, server: u64, input: Input) -> bool {
        let envelope = Envelope {
            srv: self.shared.server,
            input,
        };
        let mut payload = vec![INPUT];
        // A derived `Serialize` of strings and numbers cannot fail.
        serde_json::to_writer(&mut payload, &envelope).unwrap_or_default();
        self.send(server, Bytes::from(payload))
    }

    /// Where the world of `room` runs: takes the lease if nobody holds it.
    async fn place(self: Arc<Self>, room: Box<str>) -> Placed {
        let key = lease_key(&room);
        let me = self.shared.server;
        for _ in 0..3 {
            match self.leases.create(&key, me.to_string().into()).await {
                Ok(_) => {
                    info!("This server runs the world of room {room:?}");
                    lock(&self.owned).insert(room, Instant::now());
                    return Placed::Here;
                }
                Err(error) if error.kind() == kv::CreateErrorKind::AlreadyExists => {}
                Err(error) => {
                    warn!(
                        "Cannot take the lease on the world of room {room:?} ({error}); it \
                         runs here alone"
                    );
                    return Placed::Here;
                }
            }
            let entry = match self.leases.entry(&key).await {
                Ok(Some(entry)) if entry.operation == kv::Operation::Put => entry,
                // Lapsed or deleted since: take it again.
                Ok(_) => continue,
                Err(error) => {
                    warn!(
                        "Cannot read the lease on the world of room {room:?} ({error}); it \
                         runs here alone"
                    );
                    return Placed::Here;
                }
            };
            let owner = std::str::from_utf8(&entry.value)
                .ok()
                .and_then(|text| text.parse::<u64>().ok())
                .unwrap_or(me);
            if owner == me {
                lock(&self.owned).insert(room, Instant::now());
                return Placed::Here;
            }
            if lock(&self.gone).contains(&owner) {
                // Its owner went silent: the lease would lapse anyway; take it over now.
                let taken = self
                    .leases
                    .update(&key, me.to_string().into(), entry.revision)
                    .await;
                if taken.is_ok() {
                    info!("This server runs the world of room {room:?}, its server gone");
                    lock(&self.owned).insert(room, Instant::now());
                    return Placed::Here;
                }
                continue;
            }
            return Placed::There(Arc::new(Link {
                cluster: Arc::clone(&self),
                room,
                owner,
            }));
        }
        Placed::Here
    }

    /// Reads this server's world subject: inputs for the worlds here, frames from the others.
    async fn listen(self: Arc<Self>, mut inbox: async_nats::Subscriber) {
        while let Some(message) = inbox.next().await {
            let payload = message.payload;
            match payload.first() {
                Some(&INPUT) => match serde_json::from_slice::<Envelope>(&payload[1..]) {
                    Ok(envelope) => self.input(envelope.srv, envelope.input),
                    Err(error) => warn!("A world input from the broker could not be read: {error}"),
                },
                Some(&FRAMES) => self.frames(payload.slice(1..)),
                _ => warn!("A world message from the broker could not be read; skipped"),
            }
        }
    }

    /// A server that stops says so once (`mmo.server.<id>.gone`): what it shared with this
    /// one ends at once rather than after `cluster_timeout` of silence.
    async fn hear_departures(self: Arc<Self>, mut departures: async_nats::Subscriber) {
        while let Some(message) = departures.next().await {
            let server = message
                .subject
                .split('.')
                .nth(2)
                .and_then(|id| id.parse::<u64>().ok());
            if let Some(server) = server.filter(|server| *server != self.shared.server) {
                self.server_gone(server);
            }
        }
    }

    /// `server` is gone: this server's clients in its worlds are told, and its clients'
    /// proxies in the worlds here leave; a lease it held is taken over by the next entry.
    fn server_gone(&self, server: u64) {
        lock(&self.gone).insert(server);
        let mut lost = Vec::new();
        lock(&self.away).retain(|_, away| {
            if away.owner == server {
                lost.push(Arc::clone(&away.seat));
                return false;
            }
            true
        });
        for seat in lost {
            info!(
                "Client {}: the server running the world of room {:?} is gone; out of it",
                seat.peer.id, seat.world.room
            );
            remote::lose(&seat, WORLD_LOST);
        }
        let orphans: Vec<Arc<Seat>> = lock(&self.proxies)
            .values()
            .flat_map(HashMap::values)
            .filter(|proxy| proxy.server == server)
            .map(|proxy| Arc::clone(&proxy.seat))
            .collect();
        for seat in orphans {
            seat.leave(None, None);
        }
    }

    fn note_heard(&self, server: u64) {
        lock(&self.heard).insert(server, Instant::now());
    }

    /// An input from server `from` for a world here.
    fn input(&self, from: u64, input: Input) {
        self.note_heard(from);
        match input {
            Input::Alive => {}
            Input::Enter(entering) => self.enter(from, entering),
            Input::Leave { room, c, a } => {
                let announce = a.map(|text| if text == LOGGED_OUT { LOGGED_OUT } else { "" });
                if let Some(seat) = self.proxy(&room, c) {
                    seat.leave(None, announce);
                }
            }
            Input::Steer { room, c, d } => {
                if let Some(seat) = self.proxy(&room, c) {
                    seat.world.steer(PlayerId(c), d);
                }
            }
            Input::EatSpore { room, c, id } => {
                if let Some(seat) = self.proxy(&room, c) {
                    let _ = seat.world.claim(PlayerId(c), Claim::Spore(SporeId(id)));
                }
            }
            Input::EatPlayer { room, c, id } => {
                if let Some(seat) = self.proxy(&room, c) {
                    let _ = seat.world.claim(PlayerId(c), Claim::Player(PlayerId(id)));
                }
            }
        }
    }

    fn proxy(&self, room: &str, client: u64) -> Option<Arc<Seat>> {
        lock(&self.proxies)
            .get(room)
            .and_then(|proxies| proxies.get(&client))
            .map(|proxy| Arc::clone(&proxy.seat))
    }

    /// A remote client asks to enter the world of `room` here: it is seated as a proxy.
    fn enter(&self, from: u64, entering: Entering) {
        let Entering {
            room,
            c: client,
            name,
            color,
            best,
            tut: tutorial,
            level,
            x: extrapolating,
            account,
        } = entering;
        let room = room.as_str();
        let Some(id) = ClientId::new(client) else {
            return;
        };
        // Whatever lease it followed, it is this server's now (a world here renews it).
        lock(&self.owned).insert(room.into(), Instant::now());
        let peer = Arc::new(Peer::new(
            id,
            std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
            PROXY_OUTBOX_BYTES,
            0,
        ));
        peer.raise_level(Level::from_u8(level));
        peer.set_name(&name);
        let audience = if tutorial {
            Audience::Tutorial
        } else {
            Audience::Ours
        };
        let entry = Entry {
            appearance: Arc::new(Appearance {
                name: peer.name(),
                color,
            }),
            best_score: best,
            decider: if tutorial {
                Decider::ClientClaims
            } else {
                Decider::Server
            },
        };
        let mut proxies = lock(&self.proxies);
        let entered = self.worlds.enter_here(
            room,
            |world| {
                Arc::new(Seat::new(
                    Arc::clone(&peer),
                    audience,
                    extrapolating,
                    account,
                    world,
                    best,
                ))
            },
            entry,
        );
        match entered {
            Ok(seat) => {
                let old = proxies.entry(room.into()).or_default().insert(
                    client,
                    Proxy {
                        seat,
                        server: from,
                        news: NEWS_ENTERING,
                    },
                );
                if let Some(old) = old {
                    old.seat.leave(None, None);
                }
            }
            Err(refusal) => {
                drop(proxies);
                let frames: Vec<Bytes> = peer
                    .understands(Level::Tutorial)
                    .then(|| encode_packet_frame(&Packet::deny(refusal.to_string())))
                    .into_iter()
                    .collect();
                let mut batch = self.batch_head(room, UNNUMBERED);
                put_record(&mut batch, client, NEWS_LEFT, best, &frames);
                self.send(from, batch.freeze());
            }
        }
    }

    /// After a tick of the world of `room` here: its remote clients' frames go to their
    /// servers, one message per server.
    fn ticked(&self, room: &str) {
        let mut batches: HashMap<u64, BytesMut> = HashMap::new();
        {
            let mut proxies = lock(&self.proxies);
            let Some(seated) = proxies.get_mut(room) else {
                return;
            };
            seated.retain(|&client, proxy| {
                let (frames, closing) = remote::drain(&proxy.seat);
                let mut news = match remote::news_of(&proxy.seat) {
                    SeatNews::Entering => NEWS_ENTERING,
                    SeatNews::Seated => NEWS_SEATED,
                    SeatNews::Left => NEWS_LEFT,
                };
                if closing {
                    proxy.seat.leave(None, None);
                    news = NEWS_TOO_SLOW;
                }
                if frames.is_empty() && news == proxy.news {
                    return true;
                }
                proxy.news = news;
                let batch = batches.entry(proxy.server).or_insert_with(|| {
                    let mut sent = lock(&self.sent);
                    let number = sent.entry((room.into(), proxy.server)).or_default();
                    *number += 1;
                    self.batch_head(room, *number)
                });
                put_record(batch, client, news, proxy.seat.best_score(), &frames);
                news == NEWS_SEATED || news == NEWS_ENTERING
            });
            if seated.is_empty() {
                proxies.remove(room);
                // The next batch to any server is its first again.
                lock(&self.sent).retain(|(sent_room, _), _| **sent_room != *room);
            }
        }
        for (server, batch) in batches {
            self.send(server, batch.freeze());
        }
    }

    /// The start of a batch of frames of the world of `room` here.
    fn batch_head(&self, room: &str, number: u64) -> BytesMut {
        let mut batch = BytesMut::with_capacity(1_024);
        batch.put_u8(FRAMES);
        batch.put_u64(self.shared.server);
        batch.put_u64(number);
        batch.put_u16(u16::try_from(room.len()).unwrap_or(u16::MAX));
        batch.put_slice(room.as_bytes());
        batch
    }

    /// Frames from the owner of a world this server's clients play in.
    fn frames(&self, mut payload: Bytes) {
        if payload.remaining() < 18 {
            return;
        }
        let owner = payload.get_u64();
        let number = payload.get_u64();
        let length = usize::from(payload.get_u16());
        if payload.remaining() < length {
            return;
        }
        let room = payload.split_to(length);
        self.note_heard(owner);
        if number != UNNUMBERED {
            let room: Box<str> = String::from_utf8_lossy(&room).into();
            let mut expected = lock(&self.expected);
            let next = expected.insert((owner, room.clone()), number + 1);
            // The first batch of a world's run is 1; one seen first mid-run starts the count.
            if next.is_some_and(|next| next != number && number != 1) {
                drop(expected);
                self.missed(owner, &room);
            }
        }
        while let Some((client, news, best, frames)) = take_record(&mut payload) {
            let mut away = lock(&self.away);
            let Some(seat) = away
                .get(&client)
                .filter(|away| away.owner == owner)
                .map(|away| Arc::clone(&away.seat))
            else {
                continue;
            };
            let news = match news {
                NEWS_ENTERING => SeatNews::Entering,
                NEWS_SEATED => SeatNews::Seated,
                NEWS_TOO_SLOW => {
                    seat.peer
                        .outbox
                        .close(crate::disconnect::Disconnect::TooSlow {
                            limit_bytes: PROXY_OUTBOX_BYTES,
                        });
                    SeatNews::Left
                }
                _ => SeatNews::Left,
            };
            if remote::deliver(&seat, frames, news, best) {
                away.remove(&client);
            }
        }
    }

    /// A batch of the world of `room` on `owner` went missing: the clients it was for are
    /// closed as too slow (their views would be wrong), as any client a server cannot keep
    /// up with.
    fn missed(&self, owner: u64, room: &str) {
        warn!(
            "A batch of frames of the world of room {room:?} from server {owner} went missing; its players here are closed as too slow"
        );
        let mut missed = Vec::new();
        lock(&self.away).retain(|_, away| {
            if away.owner == owner && &*away.seat.world.room == room {
                missed.push(Arc::clone(&away.seat));
                return false;
            }
            true
        });
        for seat in missed {
            seat.peer
                .outbox
                .close(crate::disconnect::Disconnect::TooSlow {
                    limit_bytes: PROXY_OUTBOX_BYTES,
                });
            remote::deliver(&seat, Vec::new(), SeatNews::Left, 0);
        }
    }

    /// Every third of `cluster_timeout`: says this server is there to every server it shares
    /// a world with, renews its leases, and ends what is shared with a server gone silent.
    async fn keep_in_touch(self: Arc<Self>) {
        let timeout = self.shared.cluster_timeout;
        let mut every = tokio::time::interval(timeout / 3);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let now = Instant::now();
            let heard = lock(&self.heard).clone();
            let silent = |server: &u64, since: Instant| {
                let last = heard.get(server).copied().unwrap_or(since).max(since);
                now.duration_since(last) > timeout
            };
            let mut partners: Vec<u64> = Vec::new();
            let mut silent_servers = Vec::new();
            lock(&self.away).retain(|_, away| {
                if away.seat.is_left() {
                    return false;
                }
                if silent(&away.owner, away.since) {
                    silent_servers.push(away.owner);
                } else {
                    partners.push(away.owner);
                }
                true
            });
            for proxies in lock(&self.proxies).values() {
                for proxy in proxies.values() {
                    let unheard = heard
                        .get(&proxy.server)
                        .is_some_and(|last| now.duration_since(*last) > timeout);
                    if unheard {
                        silent_servers.push(proxy.server);
                    } else {
                        partners.push(proxy.server);
                    }
                }
            }
            silent_servers.sort_unstable();
            silent_servers.dedup();
            for server in silent_servers {
                warn!("Server {server} went silent; the worlds shared with it end");
                self.server_gone(server);
            }
            partners.sort_unstable();
            partners.dedup();
            for partner in partners {
                self.send_input(partner, Input::Alive);
            }
            self.renew_leases().await;
        }
    }

    /// Renews the lease on `room`'s world (`key`) for this server (`me`), by compare-and-set
    /// on the revision read, so that a lease another server took meanwhile is never written
    /// over. A lease that lapsed is taken again. One another server holds now means it runs
    /// the room's world (it took it over while this server was cut off from the broker): the
    /// world here closes, so that the room has one.
    async fn renew_lease(&self, room: &str, key: &str, me: &str) -> Result<(), String> {
        let entry = self
            .leases
            .entry(key)
            .await
            .map_err(|error| error.to_string())?;
        match entry {
            Some(entry) if entry.operation == kv::Operation::Put => {
                if entry.value.as_ref() == me.as_bytes() {
                    self.leases
                        .update(key, me.to_owned().into(), entry.revision)
                        .await
                        .map(drop)
                        .map_err(|error| error.to_string())
                } else {
                    let holder = String::from_utf8_lossy(&entry.value).into_owned();
                    warn!(
                        "Server {holder} holds the lease on the world of room {room:?} now: \
                         the world here closes, its players told"
                    );
                    lock(&self.owned).remove(room);
                    self.worlds.give_up(room);
                    Ok(())
                }
            }
            // Lapsed (or deleted): nobody took it, so it is this server's again.
            _ => self
                .leases
                .create(key, me.to_owned().into())
                .await
                .map(drop)
                .map_err(|error| error.to_string()),
        }
    }

    /// Renews the lease of every world running here; deletes those of worlds that closed.
    async fn renew_leases(&self) {
        let rooms: Vec<(Box<str>, Instant)> = lock(&self.owned)
            .iter()
            .map(|(room, taken)| (room.clone(), *taken))
            .collect();
        let me = self.shared.server.to_string();
        for (room, taken) in rooms {
            let key = lease_key(&room);
            let starting = taken.elapsed() < self.shared.cluster_timeout;
            if starting || self.worlds.runs_here(&room) || lock(&self.proxies).contains_key(&room) {
                if let Err(error) = self.renew_lease(&room, &key, &me).await {
                    warn!("Cannot renew the lease on the world of room {room:?}: {error}");
                }
            } else {
                lock(&self.owned).remove(&room);
                if let Err(error) = self.leases.delete(&key).await {
                    warn!("Cannot give up the lease on the world of room {room:?}: {error}");
                }
            }
        }
    }
}

fn put_record(batch: &mut BytesMut, client: u64, news: u8, best: u64, frames: &[Bytes]) {
    batch.put_u64(client);
    batch.put_u8(news);
    batch.put_u64(best);
    batch.put_u32(u32::try_from(frames.len()).unwrap_or(u32::MAX));
    for frame in frames {
        batch.put_u32(u32::try_from(frame.len()).unwrap_or(u32::MAX));
        batch.put_slice(frame);
    }
}

/// The next record of a batch of frames: client, news, best score, frames (slices of the
/// message, not copies); `None` at its end or where it is cut short.
fn take_record(payload: &mut Bytes) -> Option<(u64, u8, u64, Vec<Bytes>)> {
    if payload.remaining() < 21 {
        return None;
    }
    let client = payload.get_u64();
    let news = payload.get_u8();
    let best = payload.get_u64();
    let count = payload.get_u32() as usize;
    let mut frames = Vec::with_capacity(count.min(1_024));
    for _ in 0..count {
        if payload.remaining() < 4 {
            return None;
        }
        let length = payload.get_u32() as usize;
        if payload.remaining() < length {
            return None;
        }
        frames.push(payload.split_to(length));
    }
    Some((client, news, best, frames))
}

/// Publishes the worlds' messages in the order they were queued.
async fn publish(client: async_nats::Client, mut queue: mpsc::Receiver<(String, Bytes)>) {
    while let Some((subject, payload)) = queue.recv().await {
        if let Err(error) = client.publish(subject, payload).await {
            tracing::debug!("A world message was not published: {error}");
        }
    }
}

/// `ClusterWorlds` as the worlds reach it.
#[derive(Debug)]
struct Placer(Arc<ClusterWorlds>);

impl Placement for Placer {
    fn place(&self, room: &str) -> Result<Placed, EnterRefusal> {
        let (placed, answer) = sync_channel::sync_channel(1);
        let cluster = Arc::clone(&self.0);
        let room: Box<str> = room.into();
        self.0.shared.handle.spawn(async move {
            let _ = placed.send(cluster.place(room).await);
        });
        wait_for_broker(|| answer.recv_timeout(PLACE_TIMEOUT))
            .map_err(|_| EnterRefusal::CannotStart)
    }
}

impl TickListener for Placer {
    fn ticked(&self, room: &str) {
        self.0.ticked(room);
    }
}

/// A world on another server, as this server's clients reach it.
#[derive(Debug)]
struct Link {
    cluster: Arc<ClusterWorlds>,
    room: Box<str>,
    owner: u64,
}

impl RemoteWorld for Link {
    fn enter(&self, seat: &Arc<Seat>, entry: &Entry) -> bool {
        let client = seat.peer.id.get();
        lock(&self.cluster.away).insert(
            client,
            Away {
                seat: Arc::clone(seat),
                owner: self.owner,
                since: Instant::now(),
            },
        );
        self.cluster.send_input(
            self.owner,
            Input::Enter(Entering {
                room: self.room.to_string(),
                c: client,
                name: entry.appearance.name.to_string(),
                color: entry.appearance.color,
                best: entry.best_score,
                tut: seat.audience == Audience::Tutorial,
                level: seat.peer.level() as u8,
                x: seat.extrapolating,
                account: seat.account,
            }),
        )
    }

    fn steer(&self, player: PlayerId, direction: f64) {
        self.cluster.send_input(
            self.owner,
            Input::Steer {
                room: self.room.to_string(),
                c: player.0,
                d: direction,
            },
        );
    }

    fn claim(&self, player: PlayerId, claim: Claim) -> bool {
        let room = self.room.to_string();
        let input = match claim {
            Claim::Spore(spore) => Input::EatSpore {
                room,
                c: player.0,
                id: spore.0,
            },
            Claim::Player(prey) => Input::EatPlayer {
                room,
                c: player.0,
                id: prey.0,
            },
        };
        self.cluster.send_input(self.owner, input)
    }

    fn depart(&self, seat: &Arc<Seat>, announce: Option<&'static str>) {
        let client = seat.peer.id.get();
        {
            let mut away = lock(&self.cluster.away);
            if away
                .get(&client)
                .is_some_and(|away| Arc::ptr_eq(&away.seat, seat))
            {
                away.remove(&client);
            }
        }
        self.cluster.send_input(
            self.owner,
            Input::Leave {
                room: self.room.to_string(),
                c: client,
                a: announce.map(str::to_owned),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_of_frames_reads_back_record_by_record_and_stops_where_cut_short() {
        let mut batch = BytesMut::new();
        put_record(
            &mut batch,
            7,
            NEWS_SEATED,
            1_257,
            &[Bytes::from_static(b"ab"), Bytes::new()],
        );
        put_record(&mut batch, 8, NEWS_LEFT, 0, &[]);
        let whole = batch.freeze();
        let mut payload = whole.clone();
        assert_eq!(
            take_record(&mut payload),
            Some((
                7,
                NEWS_SEATED,
                1_257,
                vec![Bytes::from_static(b"ab"), Bytes::new()]
            ))
        );
        assert_eq!(take_record(&mut payload), Some((8, NEWS_LEFT, 0, vec![])));
        assert_eq!(take_record(&mut payload), None);
        let mut cut = whole.slice(..whole.len() - 25);
        assert_eq!(take_record(&mut cut), None, "a frame cut short");
    }

    #[test]
    fn inputs_read_back_as_written() {
        let envelope = Envelope {
            srv: 3,
            input: Input::Enter(Entering {
                room: "a.b".into(),
                c: 9,
                name: "ann".into(),
                color: -1,
                best: 5,
                tut: false,
                level: 1,
                x: true,
                account: Some(4),
            }),
        };
        let text = serde_json::to_vec(&envelope).unwrap_or_default();
        let back: Envelope = serde_json::from_slice(&text).expect("reads back");
        assert_eq!(back.srv, 3);
        assert!(matches!(
            back.input,
            Input::Enter(Entering {
                c: 9,
                tut: false,
                x: true,
                account: Some(4),
                ..
            })
        ));
        let alive = serde_json::to_vec(&Envelope {
            srv: 1,
            input: Input::Alive,
        })
        .unwrap_or_default();
        assert!(matches!(
            serde_json::from_slice::<Envelope>(&alive).map(|e| e.input),
            Ok(Input::Alive)
        ));
        assert_eq!(lease_key("a.b"), "w612e62");
    }
}
