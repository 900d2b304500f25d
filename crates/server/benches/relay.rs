//! The fan-out of one chat line to N recipients, the server's hottest path under load:
//! `Hub::relay_chat` (encode once, walk the clients, push the shared frame onto each outbox)
//! and then every recipient's writer doing what its session does with it — see the outbox
//! ready, `take_into` its write buffer, drop the frames as if written, `release` them and wait
//! again. That is everything a relay costs except the socket write and the scheduler: the
//! writers wait with a no-op waker, so a push's wake-up is a call that does nothing.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use mmo_server::Config;
use mmo_server::internals::{Hub, Peer};

/// Recipients per relay.
const RECIPIENTS: [usize; 3] = [10, 100, 1_000];

/// A typical chat line: 60 bytes.
const TEXT: &str = "Anyone up for the dungeon run tonight? Meet at the north gate";

/// The clients of one hub and, for each, the buffer its session writes from.
struct Clients {
    hub: Hub,
    peers: Vec<Arc<Peer>>,
    writers: Vec<VecDeque<Bytes>>,
}

impl Clients {
    /// A hub with `recipients + 1` registered clients, the first being the sender, each
    /// waiting for frames.
    fn new(recipients: usize) -> Self {
        let hub = Hub::new(Config {
            max_connections: recipients + 1,
            ..Config::default()
        });
        let peers: Vec<_> = (0..=recipients)
            .map(|_| hub.register(|_| Vec::new()))
            .collect();
        let writers = peers.iter().map(|_| VecDeque::new()).collect();
        let mut clients = Self {
            hub,
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
            let bytes = frames.iter().map(Bytes::len).sum();
            let count = frames.len();
            frames.clear();
            peer.outbox.release(count, bytes);
            taken += count;
            assert_eq!(peer.outbox.poll_ready(&mut cx), Poll::Pending);
        }
        taken
    }
}

fn relay(c: &mut Criterion) {
    let mut group = c.benchmark_group("relay_chat");
    for n in RECIPIENTS {
        let mut clients = Clients::new(n);
        let sender = clients.peers[0].id;
        clients.hub.relay_chat(sender, TEXT.to_owned());
        assert_eq!(
            clients.drain(),
            n,
            "one frame for each recipient, none for the sender"
        );

        // Throughput in deliveries: criterion's elem/s is deliveries per second, and the time
        // per iteration divided by N is the cost of one delivery.
        group.throughput(Throughput::Elements(n as u64));
        // The chat text arrives as an owned String from decoding; making it is not timed.
        group.bench_function(BenchmarkId::new("relay_and_drain", n), |b| {
            b.iter_batched(
                || TEXT.to_owned(),
                |text| {
                    clients.hub.relay_chat(sender, text);
                    clients.drain()
                },
                BatchSize::SmallInput,
            );
        });
        // The same relay with the drains left out of the timed part: what the relaying
        // session's task spends, without the recipients' share.
        group.bench_function(BenchmarkId::new("relay_only", n), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    let text = TEXT.to_owned();
                    let start = Instant::now();
                    clients.hub.relay_chat(sender, text);
                    timed += start.elapsed();
                    clients.drain();
                }
                timed
            });
        });
        let deliveries = clients.hub.metrics.deliveries.load(Ordering::Relaxed);
        assert!(deliveries >= n as u64);
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
