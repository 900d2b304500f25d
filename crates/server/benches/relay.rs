//! The fan-out of one chat line to N recipients, the server's hottest path under load:
//! `Rooms::chat` (a room event: encode once, keep it in the history, walk the members, push the shared frame
//! onto each outbox)
//! and then every recipient's writer doing what its session does with it — see the outbox
//! ready, `take_into` its write buffer, write the frames to a sink that takes them all,
//! `release_written` them and wait
//! again. That is everything a relay costs except the socket write and the scheduler: the
//! writers wait with a no-op waker, so a push's wake-up is a call that does nothing.

use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use mmo_protocol::ClientId;
use mmo_server::InProcessBroker;
use mmo_server::internals::{Frames, Peer, Room, RoomLimits, Rooms};

/// Recipients per relay.
const RECIPIENTS: [usize; 3] = [10, 100, 1_000];

/// A typical chat line: 60 bytes.
const TEXT: &str = "Anyone up for the dungeon run tonight? Meet at the north gate";

/// The members of one room and, for each, the buffer its session writes from.
struct Clients {
    rooms: Rooms,
    room: Arc<Room>,
    peers: Vec<Arc<Peer>>,
    writers: Vec<Frames>,
}

impl Clients {
    /// A room with `recipients + 1` members, the first being the sender, each waiting for
    /// frames.
    fn new(recipients: usize) -> Self {
        let rooms = Rooms::new(
            RoomLimits {
                max_members: recipients + 1,
                history_lines: 50,
                history_bytes: 32 * 1024,
                batch_window: std::time::Duration::ZERO,
                batch_from_busy_percent: 0,
                presence_batch_above: usize::MAX,
                presence_window: std::time::Duration::ZERO,
            },
            10,
            Arc::new(InProcessBroker::default()),
        );
        let room = Arc::clone(rooms.lobby());
        let peers: Vec<_> = (1..=recipients as u64 + 1)
            .map(|id| {
                let id = ClientId::new(id).expect("non-zero");
                let address = "127.0.0.1:1".parse().expect("address");
                Arc::new(Peer::new(id, address, 1 << 20, 0))
            })
            .collect();
        for peer in &peers {
            rooms
                .enter(peer, &room, false)
                .expect("room for every member");
        }
        let writers = peers.iter().map(|_| Frames::default()).collect();
        let mut clients = Self {
            rooms,
            room,
            peers,
            writers,
        };
        clients.drain();
        clients
    }

    /// Every writer with frames takes and "writes" them, then waits again, as its session
    /// would; returns how many frames were taken.
    fn drain(&mut self) -> usize {
        let mut cx = Context::from_waker(Waker::noop());
        let mut taken = 0;
        for (peer, frames) in self.peers.iter().zip(&mut self.writers) {
            if peer.outbox.poll_ready(&mut cx).is_pending() {
                continue;
            }
            let closing = peer.outbox.take_into(frames);
            assert!(closing.is_none(), "no client falls behind here");
            // "Written" whole, as a socket with room takes them.
            while !frames.is_empty() {
                let written = frames
                    .write_once(|slices| Ok(slices.iter().map(|slice| slice.len()).sum()))
                    .expect("a sink that takes everything");
                peer.outbox
                    .release_written(written.frames, written.frame_bytes, frames.is_empty());
                taken += written.frames;
            }
            assert_eq!(peer.outbox.poll_ready(&mut cx), Poll::Pending);
        }
        taken
    }
}

fn relay(c: &mut Criterion) {
    let mut group = c.benchmark_group("room_chat");
    for n in RECIPIENTS {
        let mut clients = Clients::new(n);
        let sender = Arc::clone(&clients.peers[0]);
        assert_eq!(
            clients.rooms.chat(&clients.room, &sender, TEXT, 0),
            n as u64
        );
        assert_eq!(
            clients.drain(),
            n,
            "one frame for each recipient, none for the sender"
        );

        // Throughput in deliveries: criterion's elem/s is deliveries per second, and the time
        // per iteration divided by N is the cost of one delivery.
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::new("relay_and_drain", n), |b| {
            b.iter(|| {
                clients.rooms.chat(&clients.room, &sender, TEXT, 0);
                clients.drain()
            });
        });
        // The same relay with the drains left out of the timed part: what the relaying
        // session's task spends, without the recipients' share.
        group.bench_function(BenchmarkId::new("relay_only", n), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    clients.rooms.chat(&clients.room, &sender, TEXT, 0);
                    timed += start.elapsed();
                    clients.drain();
                }
                timed
            });
        });
    }
    group.finish();
}

// What `criterion_group!` and `criterion_main!` expand to, written out because the group
// macro's undocumented `pub fn` trips the workspace's `missing_docs` lint.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    relay(&mut criterion);
    criterion.final_summary();
}
