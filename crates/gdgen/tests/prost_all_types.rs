//! The mirror of the generated GDScript against prost (through prost-reflect) on
//! `tests/proto/all_types.proto`: every scalar type, repeated, nested messages, optional, oneof.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Rng, all_types, from_dynamic, random_message, to_dynamic};
use mmo_gdgen::mirror::{self, MessageValue, Value};
use mmo_gdgen::plan::Schema;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage};

fn prost_encode(schema: &Schema, pool: &DescriptorPool, message: &MessageValue) -> Vec<u8> {
    let descriptor = pool
        .get_message_by_name(&schema.message(&message.class_path).unwrap().proto_name)
        .unwrap();
    to_dynamic(schema, message, &descriptor).encode_to_vec()
}

fn prost_decode(
    schema: &Schema,
    pool: &DescriptorPool,
    class_path: &str,
    bytes: &[u8],
) -> Result<MessageValue, ()> {
    let descriptor = pool
        .get_message_by_name(&schema.message(class_path).unwrap().proto_name)
        .unwrap();
    DynamicMessage::decode(descriptor, bytes)
        .map(|dynamic| from_dynamic(schema, &dynamic, class_path))
        .map_err(|_| ())
}

fn scalars(schema: &Schema, fields: &[(u32, Value)]) -> MessageValue {
    let plan = schema.message("Scalars").unwrap();
    let mut message = MessageValue::new("Scalars");
    for (number, value) in fields {
        message.set(plan, *number, value.clone());
    }
    message
}

#[test]
fn random_messages_encode_exactly_like_prost_and_decode_both_ways() {
    let (schema, pool) = all_types();
    for seed in 0..1500 {
        let mut rng = Rng::new(seed);
        let class_path = rng.pick(&["Everything", "Scalars", "Repeated", "TreeMessage"]);
        let message = random_message(&mut rng, &schema, class_path, 3);
        let ours = mirror::encode(&schema, &message);
        let theirs = prost_encode(&schema, &pool, &message);
        assert_eq!(ours, theirs, "seed {seed}: encoding of {message:?}");
        assert_eq!(
            mirror::decode(&schema, class_path, &theirs),
            Ok(message.clone()),
            "seed {seed}"
        );
        assert_eq!(
            prost_decode(&schema, &pool, class_path, &ours),
            Ok(message),
            "seed {seed}"
        );
    }
}

#[test]
fn edge_values_have_the_bytes_protobuf_specifies() {
    let (schema, _) = all_types();
    let cases: [(u32, Value, &[u8]); 10] = [
        (
            3,
            Value::Int(-1),
            &[
                0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
            ],
        ),
        (
            6,
            Value::Int(-1),
            &[
                0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
            ],
        ),
        (
            6,
            Value::Int(i64::MIN),
            &[
                0x30, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
            ],
        ),
        (7, Value::Int(-1), &[0x38, 0x01]),
        (
            8,
            Value::Int(i64::MIN),
            &[
                0x40, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
            ],
        ),
        (9, Value::Int(0xFFFF_FFFF), &[0x4D, 0xFF, 0xFF, 0xFF, 0xFF]),
        (13, Value::Bool(true), &[0x68, 0x01]),
        (14, Value::Str("é".into()), &[0x72, 0x02, 0xC3, 0xA9]),
        (
            16,
            Value::Int(-2),
            &[
                0x80, 0x01, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
            ],
        ),
        (2, Value::Float(1.0), &[0x15, 0x00, 0x00, 0x80, 0x3F]),
    ];
    for (number, value, bytes) in cases {
        let message = scalars(&schema, &[(number, value)]);
        assert_eq!(mirror::encode(&schema, &message), bytes, "field {number}");
        assert_eq!(mirror::decode(&schema, "Scalars", bytes), Ok(message));
    }
}

#[test]
fn out_of_range_ints_are_narrowed_like_the_proto_type() {
    // GDScript's int is 64-bit, so a caller can store 2^40 in an int32 field; it must go out
    // as the int32 that prost would send for the truncated value.
    let (schema, pool) = all_types();
    let wide = scalars(
        &schema,
        &[
            (3, Value::Int((1 << 40) - 5)),
            (5, Value::Int(-1)),
            (7, Value::Int(1 << 33)),
        ],
    );
    let narrow = scalars(
        &schema,
        &[(3, Value::Int(-5)), (5, Value::Int(0xFFFF_FFFF))],
    );
    assert_eq!(
        mirror::encode(&schema, &wide),
        prost_encode(&schema, &pool, &narrow)
    );
}

#[test]
fn defaults_are_not_written_but_present_optionals_and_oneofs_are() {
    let (schema, pool) = all_types();
    let plan = schema.message("Everything").unwrap();
    let mut message = MessageValue::new("Everything");
    message.set(plan, 3, Value::Int(0));
    message.set(plan, 4, Value::Str(String::new()));
    message.set(plan, 11, Value::Str(String::new()));
    let bytes = mirror::encode(&schema, &message);
    assert_eq!(bytes, [0x18, 0x00, 0x22, 0x00, 0x5A, 0x00]);
    assert_eq!(bytes, prost_encode(&schema, &pool, &message));
    assert!(
        mirror::encode(
            &schema,
            &scalars(
                &schema,
                &[(1, Value::Float(-0.0)), (14, Value::Str(String::new()))]
            )
        )
        .is_empty()
    );
}

#[test]
fn switching_oneof_members_keeps_only_the_last() {
    let (schema, pool) = all_types();
    let plan = schema.message("Everything").unwrap();
    let mut message = MessageValue::new("Everything");
    message.set(
        plan,
        10,
        Value::Message(scalars(&schema, &[(3, Value::Int(5))])),
    );
    message.set(plan, 12, Value::Int(-7));
    message.set(plan, 11, Value::Str("last".into()));
    assert_eq!(message.fields.len(), 1);
    let bytes = mirror::encode(&schema, &message);
    assert_eq!(bytes, prost_encode(&schema, &pool, &message));

    // On the wire, later members replace earlier ones, and a repeated message member merges.
    let leaf_a = [0x6A, 0x02, 0x08, 0x01];
    let leaf_b = [0x6A, 0x03, 0x12, 0x01, b'x'];
    let text = [0x5A, 0x01, b't'];
    for input in [
        [&text[..], &leaf_a, &leaf_b].concat(),
        [&leaf_a[..], &text, &leaf_b].concat(),
        [&leaf_b[..], &leaf_a].concat(),
        [&leaf_a[..], &leaf_b, &text].concat(),
    ] {
        assert_eq!(
            mirror::decode(&schema, "Everything", &input),
            prost_decode(&schema, &pool, "Everything", &input)
        );
    }
}

#[test]
fn unpacked_input_for_packed_fields_and_packed_for_unpacked_are_accepted() {
    let (schema, pool) = all_types();
    let inputs: [&[u8]; 5] = [
        &[0x28, 0x01, 0x28, 0x02, 0x2A, 0x02, 0x03, 0x04],
        &[0x90, 0x01, 0x05, 0x92, 0x01, 0x02, 0x06, 0x07],
        &[0x0A, 0x00],
        &[
            0x15, 0x00, 0x00, 0x80, 0x3F, 0x12, 0x04, 0x00, 0x00, 0x00, 0x40,
        ],
        &[0x68, 0x05, 0x6A, 0x01, 0x00],
    ];
    for input in inputs {
        let ours = mirror::decode(&schema, "Repeated", input);
        assert!(ours.is_ok(), "{input:?}");
        assert_eq!(
            ours,
            prost_decode(&schema, &pool, "Repeated", input),
            "{input:?}"
        );
    }
}

fn nested_trees(depth: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    for _ in 0..depth {
        let mut outer = vec![0x12];
        let mut writer = mirror::Writer::default();
        writer.write_varint(i64::try_from(bytes.len()).unwrap());
        outer.extend(writer.bytes);
        outer.extend(bytes);
        bytes = outer;
    }
    bytes
}

#[test]
fn nesting_depth_is_limited_like_prost() {
    let (schema, pool) = all_types();
    for depth in [1, 50, 99, 150, 1000] {
        let input = nested_trees(depth);
        assert_eq!(
            mirror::decode(&schema, "TreeMessage", &input).is_ok(),
            prost_decode(&schema, &pool, "TreeMessage", &input).is_ok(),
            "depth {depth}"
        );
    }
    assert!(mirror::decode(&schema, "TreeMessage", &nested_trees(50)).is_ok());
    assert!(mirror::decode(&schema, "TreeMessage", &nested_trees(1000)).is_err());
}

/// Valid encodings, then damaged: every outcome (error or decoded value) must match prost's.
#[test]
fn damaged_input_is_refused_or_accepted_exactly_like_prost() {
    let (schema, pool) = all_types();
    let mut accepted = 0;
    let mut refused = 0;
    for seed in 0..4000 {
        let mut rng = Rng::new(seed + 1_000_000);
        let class_path = rng.pick(&["Everything", "Scalars", "Repeated", "TreeMessage"]);
        let message = random_message(&mut rng, &schema, class_path, 2);
        let mut bytes = mirror::encode(&schema, &message);
        for _ in 0..=rng.below(3) {
            let at = if bytes.is_empty() {
                0
            } else {
                rng.below(bytes.len())
            };
            match rng.below(6) {
                0 if !bytes.is_empty() => bytes[at] ^= 1 << rng.below(8),
                1 if !bytes.is_empty() => bytes[at] = rng.byte(),
                2 => bytes.truncate(at),
                3 => bytes.insert(at, rng.byte()),
                4 => bytes.push(rng.pick(&[0x0A, 0x80, 0xFF, 0x07, 0x0B, 0x0C, 0x00])),
                _ => bytes.extend_from_slice(&[0x98, 0x01, 0x01]),
            }
        }
        let ours = mirror::decode(&schema, class_path, &bytes);
        let theirs = prost_decode(&schema, &pool, class_path, &bytes);
        if ours.is_ok() {
            accepted += 1
        } else {
            refused += 1
        }
        assert_eq!(ours, theirs, "seed {seed}: {bytes:02X?}");
    }
    assert!(
        accepted > 500 && refused > 500,
        "accepted {accepted}, refused {refused}"
    );
}

#[test]
fn fields_declared_packed_false_are_written_one_key_per_value() {
    // `repeated int32 r_unpacked = 18 [packed = false]` and the double twin, field 19: each
    // value gets its own key, as the official runtimes write them.
    let (schema, _) = all_types();
    let plan = schema.message("Repeated").unwrap();
    let mut message = MessageValue::new("Repeated");
    message.set(
        plan,
        18,
        Value::List(vec![Value::Int(1), Value::Int(-1), Value::Int(300)]),
    );
    message.set(plan, 19, Value::List(vec![Value::Float(1.0)]));
    let expected = [
        &[0x90, 0x01, 0x01][..],
        &[
            0x90, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
        ],
        &[0x90, 0x01, 0xAC, 0x02],
        &[0x99, 0x01, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F],
    ]
    .concat();
    assert_eq!(mirror::encode(&schema, &message), expected);
    assert_eq!(mirror::decode(&schema, "Repeated", &expected), Ok(message));
}
