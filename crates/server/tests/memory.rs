//! Memory given back after a peak: the real `mmo-server` binary, whose allocator would
//! otherwise keep what hundreds of rooms' histories held after their members leave.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::Client;
use common::process::{ServerProcess, WAIT};
use mmo_protocol::Packet;

/// The process's resident memory, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
        .unwrap();
    kib * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_freed_after_a_peak_goes_back_to_the_system() {
    let server = ServerProcess::start(&[
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--chat-rate",
        "0",
        "--memory-trim-interval",
        "0.2",
    ]);
    let url = server.url();
    let start = rss(server.pid());
    // 400 rooms, each with a full history (32 KiB of 480-byte lines) held by its one member.
    let mut members = Vec::new();
    for room in 0..400 {
        let mut member = Client::connect_url(&url).await;
        member.join(&format!("room{room}")).await;
        members.push(member);
    }
    let line = "x".repeat(480);
    for (room, member) in members.iter_mut().enumerate() {
        for _ in 0..55 {
            member.send_packet(&Packet::chat(line.as_str())).await;
        }
        // Answered after every line before it was taken in: the room's whole history.
        let answer = member.join(&format!("room{room}")).await;
        assert!(
            answer.history.len() >= 40,
            "room{room}: {}",
            answer.history.len()
        );
    }
    let peak = rss(server.pid());
    let grown = peak.saturating_sub(start);
    assert!(
        grown > 8 << 20,
        "RSS grew by only {grown} bytes: {start} → {peak}"
    );
    // Everyone leaves: the rooms and their histories go.
    drop(members);
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let now = rss(server.pid());
        // At least half of what the peak added goes back.
        if now < peak - grown / 2 {
            println!("RSS {start} at start, {peak} at the peak, {now} after");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "RSS stayed at {now} bytes after a peak of {peak} (start {start})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = server.stop();
}
