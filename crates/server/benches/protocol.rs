//! Packet decode and encode, the per-message protobuf work: decoding the chat a client sends
//! (`12 LEN 0a LEN text`) happens once per received message, and encoding the relayed chat into
//! a WebSocket frame happens once per relay, whatever the number of recipients.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use mmo_protocol::{ChatLimits, ClientId, Message, Msg, Packet, decode_packet};
use mmo_server::internals::encode_packet_frame;

/// A typical chat line (60 bytes) and the longest one the default limits accept (2,000 bytes).
const TEXT_LENGTHS: [usize; 2] = [60, 2_000];

fn chat_text(len: usize) -> String {
    "The quick brown fox jumps over the lazy dog. "
        .chars()
        .cycle()
        .take(len)
        .collect()
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("packet_decode");
    for len in TEXT_LENGTHS {
        // What a Godot client sends: sender_id 0 is omitted, so the packet starts at field 2.
        let wire = Packet::chat(chat_text(len)).encode_to_vec();
        assert_eq!(
            wire[0], 0x12,
            "client chat starts with field 2, length-delimited"
        );
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_function(format!("chat_{len}B"), |b| {
            b.iter(|| decode_packet(black_box(&wire)));
        });
        // Decoding plus the chat-limit check the session runs before relaying.
        let limits = ChatLimits::default();
        group.bench_function(format!("chat_{len}B_and_check"), |b| {
            b.iter(|| match decode_packet(black_box(&wire)) {
                Ok(Packet {
                    msg: Some(Msg::Chat(chat)),
                    ..
                }) => limits.check(&chat.msg).is_ok(),
                _ => false,
            });
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("packet_frame_encode");
    let sender = ClientId::new(42).expect("non-zero");
    for len in TEXT_LENGTHS {
        let packet = Packet::chat_from(sender, chat_text(len));
        let frame = encode_packet_frame(&packet);
        assert_eq!(frame[0], 0x82, "one final binary frame");
        group.throughput(Throughput::Bytes(frame.len() as u64));
        group.bench_function(format!("relayed_chat_{len}B"), |b| {
            b.iter(|| encode_packet_frame(black_box(&packet)));
        });
    }
    group.finish();
}

// What `criterion_group!` and `criterion_main!` expand to, written out because the group
// macro's undocumented `pub fn` trips the workspace's `missing_docs` lint.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    decode(&mut criterion);
    encode(&mut criterion);
    criterion.final_summary();
}
