//! What a client that stops reading can have waiting for it: the outbound queue
//! (`outbound_queue_bytes`) and the kernel's send buffer (`socket_send_buffer_bytes`), no more,
//! so that a slow reader reaches its 1008 close soon instead of after megabytes of stale lines.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Client, RawClient, TestServer, WAIT};
use mmo_server::Config;
use tokio::io::AsyncReadExt;

/// Everything a client that stopped reading receives once it reads again, up to the close
/// frame: what the kernels held for it (our send buffer, its receive buffer), never the
/// megabytes a send buffer grown by the kernel's autotuning would hold.
#[tokio::test]
async fn a_stalled_client_has_at_most_its_queue_and_the_send_buffer_waiting() {
    const SEND_BUFFER: usize = 64 * 1024;
    const CLIENT_RECEIVE_BUFFER: u32 = 64 * 1024;
    let server = TestServer::start(Config {
        outbound_queue_bytes: 256 * 1024,
        // Each line goes out on its own: the socket fills before the queue does, as with a
        // reader that falls behind bit by bit (a batch of 8 MiB would overflow the queue at
        // once, before anything reached the socket).
        write_coalesce_ms: std::time::Duration::ZERO,
        // The close frame waits (this long at most) for room in the send buffer, which the
        // client makes once it reads again, after the flood: ample time for that.
        close_timeout: std::time::Duration::from_secs(20),
        max_chat_bytes: 16 * 1024,
        max_chat_chars: 16 * 1024,
        ..TestServer::unlimited()
    })
    .await;
    assert_eq!(
        Config::default().socket_send_buffer_bytes,
        SEND_BUFFER,
        "the default this test is sized for"
    );
    let mut sender = Client::connect(&server).await;
    // A client whose receive buffer is fixed, so what it holds is known.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(CLIENT_RECEIVE_BUFFER).unwrap();
    let stalled = RawClient::connect_with(socket.connect(server.addr).await.unwrap()).await;
    // 5 MiB: past the queue and any send buffer the kernel might grow by itself (4 MiB),
    // one line at a time: a witness reading every line paces the sender, so the stalled
    // client's socket fills before its queue does, as when a reader falls behind bit by bit.
    // The session's close starts when the queue overflows, and waits (up to `close_timeout`)
    // for room in the send buffer for its close frame: the client reads again right after.
    let mut witness = Client::connect(&server).await;
    let line = "x".repeat(16 * 1024 - 16);
    let sent = 320;
    for _ in 0..sent {
        sender.chat(&line).await;
        witness.recv_chat().await;
    }
    let mut stalled = stalled;
    let mut received = std::mem::take(&mut stalled.received);
    // Read until the close frame (the server then waits for an answer that never comes).
    let mut chunk = vec![0u8; 64 * 1024];
    while !common::parse_server_frames(&received)
        .iter()
        .any(|frame| frame.0 == 0x88)
    {
        let n = tokio::time::timeout(WAIT, stalled.stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        if n == 0 {
            break;
        }
        received.extend_from_slice(&chunk[..n]);
    }
    let frames = common::parse_server_frames(&received);
    let ops: Vec<u8> = frames.iter().rev().take(5).map(|f| f.0).collect();
    let close = frames.iter().position(|f| f.0 == 0x88).unwrap_or_else(|| {
        panic!(
            "no close frame in {} bytes, {} frames, last {ops:?}",
            received.len(),
            frames.len()
        )
    });
    let before_close: usize = frames[..close].iter().map(|f| f.1.len()).sum();
    // Linux doubles the sizes asked for (its bookkeeping comes out of them), and on loopback
    // nearly all of that holds payload: about 2 × (64 + 64) KiB. Twice that again is the
    // bound; a send buffer left to the kernel's autotuning holds 4 MiB here.
    let bound = 4 * (SEND_BUFFER + CLIENT_RECEIVE_BUFFER as usize);
    assert!(
        before_close <= bound,
        "{before_close} bytes before the close frame; at most {bound} expected (of \
         {sent} lines sent)"
    );
    assert_eq!(
        u16::from_be_bytes([frames[close].1[0], frames[close].1[1]]),
        1008
    );
    println!("{before_close} bytes before the close frame (bound {bound})");
}
