//! WebSocket frame decoding of what clients send: `FrameDecoder::feed` parsing masked client
//! frames and unmasking them in place, once per frame on every connection — for one small frame
//! per read, a busy read holding many frames, a long frame, and frames split across two reads.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput};
use mmo_protocol::{Message, Packet};
use mmo_server::internals::{FrameDecoder, WsEvent};

/// Same key every frame: the decoder's cost does not depend on it.
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// The server's default `max_message_bytes`.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Frames in the "many frames" buffer: 100 chat frames of 70 bytes fill most of the 8 KiB the
/// session reads at once.
const FRAMES_PER_READ: usize = 100;

/// A final binary frame carrying `payload`, masked as a client must send it.
fn masked_frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x82];
    if let Ok(short @ 0..=125) = u8::try_from(payload.len()) {
        frame.push(0x80 | short);
    } else {
        let medium = u16::try_from(payload.len()).expect("bench frames stay under 64 KiB");
        frame.push(0x80 | 126);
        frame.extend_from_slice(&medium.to_be_bytes());
    }
    frame.extend_from_slice(&MASK);
    frame.extend(payload.iter().zip(MASK.iter().cycle()).map(|(b, k)| b ^ k));
    frame
}

/// The client's chat packet with `len` bytes of text, framed.
fn chat_frame(len: usize) -> Vec<u8> {
    masked_frame(&Packet::chat("x".repeat(len)).encode_to_vec())
}

/// Feeds `input` to `decoder` in reads split at `split_at` (0: one read); returns the payload
/// bytes of the messages it decoded, so none of the work can be optimised away.
fn feed(decoder: &mut FrameDecoder, input: &mut [u8], split_at: usize) -> usize {
    let mut payload_bytes = 0;
    let mut on_event = |event: WsEvent<'_>| {
        if let WsEvent::Message { data, .. } = event {
            payload_bytes += black_box(data).len();
        }
    };
    let (first, second) = input.split_at_mut(split_at);
    for read in [first, second] {
        if !read.is_empty() {
            decoder
                .feed(read, &mut on_event)
                .expect("bench frames are valid");
        }
    }
    payload_bytes
}

fn decode_frames(c: &mut Criterion) {
    let mut group = c.benchmark_group("ws_frame_decode");
    let small = chat_frame(60);
    let many: Vec<u8> = small.repeat(FRAMES_PER_READ);
    let large = chat_frame(2_000);
    // (name, bytes as read from the socket, frames in them, where the read is split)
    let cases = [
        ("one_small_frame", small.clone(), 1, 0),
        ("one_2000B_frame", large, 1, 0),
        (
            "100_small_frames_one_read",
            many.clone(),
            FRAMES_PER_READ,
            0,
        ),
        // Split mid-frame: the decoder copies the tail into its own buffer and reparses it.
        (
            "100_small_frames_two_reads",
            many.clone(),
            FRAMES_PER_READ,
            many.len() / 2 + small.len() / 2,
        ),
    ];
    for (name, bytes, frames, split_at) in cases {
        let mut decoder = FrameDecoder::new(MAX_MESSAGE_BYTES);
        let expected = feed(&mut decoder, &mut bytes.clone(), split_at);
        assert!(expected > 0, "{name}: the frames decode");
        group.throughput(Throughput::Elements(frames as u64));
        // Each iteration gets a fresh masked copy (unmasking is in place); the copy is not timed.
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || bytes.clone(),
                |input| feed(&mut decoder, input, split_at),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

// What `criterion_group!` and `criterion_main!` expand to, written out because the group
// macro's undocumented `pub fn` trips the workspace's `missing_docs` lint.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    decode_frames(&mut criterion);
    criterion.final_summary();
}
