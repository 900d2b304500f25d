//! What the tests of direct writes share (in `outbox` and `session::writer`): a TCP connection
//! on loopback standing for a client's, a writer that waits, and counting its wake-ups.

use std::io::Read as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::{TcpListener, TcpStream};

use super::Outbox;

/// A waker that counts its wakes.
#[derive(Default)]
pub struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    /// How often it was woken.
    pub fn wakes(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A connection on loopback: the server's end, shared as a session shares it with its
/// outbox and known to tokio to be writable, and the client's end, a blocking std stream
/// to read what reached it.
pub async fn connection() -> (Arc<TcpStream>, std::net::TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    connect_to(&listener).await
}

/// A connection to `listener`, as `connection` makes.
pub async fn connect_to(listener: &TcpListener) -> (Arc<TcpStream>, std::net::TcpStream) {
    let address = listener.local_addr().expect("address");
    let (client, accepted) = tokio::join!(TcpStream::connect(address), listener.accept());
    let (server, _) = accepted.expect("accept");
    // Small buffers, so that a frame of a few megabytes is only partly taken.
    let socket = socket2::SockRef::from(&server);
    socket.set_send_buffer_size(64 * 1024).expect("send buffer");
    server.writable().await.expect("writable");
    let client = client.expect("connect").into_std().expect("std stream");
    client.set_nonblocking(false).expect("blocking");
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    (Arc::new(server), client)
}

/// The next `len` bytes that reach `client` (failing after its read timeout).
pub fn read_exactly(client: &mut std::net::TcpStream, len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    client
        .read_exact(&mut bytes)
        .expect("the bytes written arrive");
    bytes
}

/// Has a writer wait on `outbox` (a waker that counts), pushes `frames` as a room's batch
/// does (the first hands the waiting writer's waker back, the rest join it), and delivers
/// them with `write_or_wake`; returns the writer's waker, to count its wakes.
pub fn deliver_to_waiting_writer(outbox: &Outbox, frames: &[Bytes]) -> Arc<CountingWaker> {
    let count = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(Arc::clone(&count));
    assert!(
        outbox
            .poll_ready(&mut Context::from_waker(&waker))
            .is_pending()
    );
    let (first, rest) = frames.split_first().expect("a frame");
    let handed_back = outbox.push_deferring_wake(first.clone()).expect("room");
    for frame in rest {
        outbox.push(frame.clone()).expect("room");
    }
    outbox.write_or_wake(handed_back.expect("the writer waited"));
    count
}
