//! Shared test support: a seeded random source, random values for any planned message, and
//! conversion between the mirror's values and prost-reflect's `DynamicMessage` (prost's codec).

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::cast_possible_truncation
)]

use std::path::Path;

use mmo_gdgen::mirror::{MessageValue, Value};
use mmo_gdgen::plan::{Cardinality, Codec, FieldPlan, Schema};
use prost::bytes::Bytes;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, Value as ProstValue};

/// The test schema in `tests/proto/`, as plan and as prost-reflect descriptors.
pub fn all_types() -> (Schema, DescriptorPool) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/proto");
    let schema = Schema::load(&dir, "tests/proto").unwrap();
    let mut compiler = protox::Compiler::new([&dir]).unwrap();
    compiler.open_files(["all_types.proto"]).unwrap();
    (schema, mmo_gdgen::plan::decoded_pool(&compiler).unwrap())
}

/// xorshift64*: deterministic, so a failure names a reproducible seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn byte(&mut self) -> u8 {
        self.next_u64().to_le_bytes()[0]
    }

    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const STRINGS: [&str; 12] = [
    "",
    "\u{FEFF}",
    "\u{FEFF}hello",
    "\u{FEFF}\u{FEFF}two marks",
    "a",
    "Hello, world!",
    "héllo wörld",
    "日本語のチャット",
    "🎮 gg 👍",
    "[b]not bold[/b]",
    "tab\tand\nnewline",
    "𝄞 astral",
];

const CHARS: [char; 9] = ['x', 'Z', '7', ' ', 'é', 'ж', '語', '🙂', '\u{FEFF}'];

fn int_edge_or_random(rng: &mut Rng, edges: &[i64], random: i64) -> i64 {
    if rng.chance(50) {
        rng.pick(edges)
    } else {
        random
    }
}

/// A random value for one codec; ints stay within the proto type's range, as prost needs.
pub fn random_scalar(rng: &mut Rng, codec: &Codec) -> Value {
    let bits = rng.next_u64();
    match codec {
        Codec::Int32 | Codec::Sint32 | Codec::Sfixed32 => Value::Int(int_edge_or_random(
            rng,
            &[
                0,
                1,
                -1,
                127,
                128,
                -129,
                i64::from(i32::MIN),
                i64::from(i32::MAX),
            ],
            i64::from(bits as i32),
        )),
        Codec::Int64 | Codec::Sint64 | Codec::Sfixed64 => Value::Int(int_edge_or_random(
            rng,
            &[0, 1, -1, 300, i64::MIN, i64::MAX, -(1 << 35)],
            bits as i64,
        )),
        Codec::Uint32 | Codec::Fixed32 => Value::Int(int_edge_or_random(
            rng,
            &[0, 1, 0x7F, 0x80, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF],
            i64::from(bits as u32),
        )),
        // uint64 above 2^63 is the same 64 bits in GDScript's signed int.
        Codec::Uint64 | Codec::Fixed64 => Value::Int(int_edge_or_random(
            rng,
            &[0, 1, i64::MAX, i64::MIN, -1, 1 << 56],
            bits as i64,
        )),
        Codec::Enum => Value::Int(rng.pick(&[0, 1, -2, 7, i64::from(i32::MIN)])),
        Codec::Bool => Value::Bool(bits & 1 == 1),
        Codec::Float => {
            let edges = [
                0.0,
                -0.0,
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::MIN_POSITIVE,
                f32::MAX,
                1.5,
            ];
            let value = if rng.chance(50) {
                rng.pick(&edges)
            } else {
                f32::from_bits(bits as u32)
            };
            Value::Float(f64::from(value))
        }
        Codec::Double => {
            let edges = [
                0.0,
                -0.0,
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::MIN_POSITIVE,
                f64::MAX,
                0.1,
            ];
            Value::Float(if rng.chance(50) {
                rng.pick(&edges)
            } else {
                f64::from_bits(bits)
            })
        }
        Codec::String => {
            if rng.chance(60) {
                Value::Str(rng.pick(&STRINGS).to_owned())
            } else {
                let length = rng.below(12);
                Value::Str((0..length).map(|_| rng.pick(&CHARS)).collect())
            }
        }
        Codec::Bytes => {
            let length = rng.below(9);
            Value::Bytes((0..length).map(|_| rng.byte()).collect())
        }
        Codec::Message(_) => panic!("not a scalar"),
    }
}

/// A random instance of `class_path`, nesting at most `depth` more levels.
pub fn random_message(
    rng: &mut Rng,
    schema: &Schema,
    class_path: &str,
    depth: u32,
) -> MessageValue {
    let plan = schema.message(class_path).unwrap();
    let mut message = MessageValue::new(class_path);
    for field in &plan.fields {
        if !rng.chance(60) {
            continue;
        }
        let value = match (&field.cardinality, &field.codec) {
            (_, Codec::Message(_)) if depth == 0 => continue,
            (Cardinality::Repeated { .. }, codec) => {
                let count = rng.below(5);
                Value::List(
                    (0..count)
                        .map(|_| random_one(rng, schema, codec, depth))
                        .collect(),
                )
            }
            (_, codec) => random_one(rng, schema, codec, depth),
        };
        message.set(plan, field.number, value);
    }
    message
}

fn random_one(rng: &mut Rng, schema: &Schema, codec: &Codec, depth: u32) -> Value {
    match codec {
        Codec::Message(class_path) => {
            Value::Message(random_message(rng, schema, class_path, depth - 1))
        }
        scalar => random_scalar(rng, scalar),
    }
}

fn to_prost_scalar(
    schema: &Schema,
    codec: &Codec,
    value: &Value,
    descriptor: &MessageDescriptor,
    field: &FieldPlan,
) -> ProstValue {
    match (codec, value) {
        (Codec::Int32 | Codec::Sint32 | Codec::Sfixed32, Value::Int(v)) => {
            ProstValue::I32(*v as i32)
        }
        (Codec::Int64 | Codec::Sint64 | Codec::Sfixed64, Value::Int(v)) => ProstValue::I64(*v),
        (Codec::Uint32 | Codec::Fixed32, Value::Int(v)) => ProstValue::U32(*v as u32),
        (Codec::Uint64 | Codec::Fixed64, Value::Int(v)) => ProstValue::U64(*v as u64),
        (Codec::Enum, Value::Int(v)) => ProstValue::EnumNumber(*v as i32),
        (Codec::Bool, Value::Bool(v)) => ProstValue::Bool(*v),
        (Codec::Float, Value::Float(v)) => ProstValue::F32(*v as f32),
        (Codec::Double, Value::Float(v)) => ProstValue::F64(*v),
        (Codec::String, Value::Str(v)) => ProstValue::String(v.clone()),
        (Codec::Bytes, Value::Bytes(v)) => ProstValue::Bytes(Bytes::from(v.clone())),
        (Codec::Message(_), Value::Message(inner)) => {
            let field_descriptor = descriptor.get_field(field.number).unwrap();
            let prost_reflect::Kind::Message(inner_descriptor) = field_descriptor.kind() else {
                panic!("not a message field")
            };
            ProstValue::Message(to_dynamic(schema, inner, &inner_descriptor))
        }
        (codec, value) => panic!("{value:?} is not a {codec:?}"),
    }
}

/// The mirror value as a prost-reflect message.
pub fn to_dynamic(
    schema: &Schema,
    message: &MessageValue,
    descriptor: &MessageDescriptor,
) -> DynamicMessage {
    let plan = schema.message(&message.class_path).unwrap();
    let mut dynamic = DynamicMessage::new(descriptor.clone());
    for (number, value) in &message.fields {
        let field = plan.field(*number).unwrap();
        let prost_value = match value {
            Value::List(items) => ProstValue::List(
                items
                    .iter()
                    .map(|item| to_prost_scalar(schema, &field.codec, item, descriptor, field))
                    .collect(),
            ),
            value => to_prost_scalar(schema, &field.codec, value, descriptor, field),
        };
        dynamic.set_field_by_number(*number, prost_value);
    }
    dynamic
}

fn from_prost_scalar(schema: &Schema, value: &ProstValue, class_path: Option<&str>) -> Value {
    match value {
        ProstValue::I32(v) | ProstValue::EnumNumber(v) => Value::Int(i64::from(*v)),
        ProstValue::I64(v) => Value::Int(*v),
        ProstValue::U32(v) => Value::Int(i64::from(*v)),
        ProstValue::U64(v) => Value::Int(*v as i64),
        ProstValue::Bool(v) => Value::Bool(*v),
        ProstValue::F32(v) => Value::Float(f64::from(*v)),
        ProstValue::F64(v) => Value::Float(*v),
        ProstValue::String(v) => Value::Str(v.clone()),
        ProstValue::Bytes(v) => Value::Bytes(v.to_vec()),
        ProstValue::Message(inner) => {
            Value::Message(from_dynamic(schema, inner, class_path.unwrap()))
        }
        other => panic!("unsupported {other:?}"),
    }
}

/// A prost-reflect message as the mirror value the generated GDScript would hold.
pub fn from_dynamic(schema: &Schema, dynamic: &DynamicMessage, class_path: &str) -> MessageValue {
    let plan = schema.message(class_path).unwrap();
    let mut message = MessageValue::new(class_path);
    for field in &plan.fields {
        if !dynamic.has_field_by_number(field.number) {
            continue;
        }
        let prost_value = dynamic.get_field_by_number(field.number).unwrap();
        let inner_class = match &field.codec {
            Codec::Message(path) => Some(path.as_str()),
            _ => None,
        };
        let value = match prost_value.as_ref() {
            ProstValue::List(items) => Value::List(
                items
                    .iter()
                    .map(|item| from_prost_scalar(schema, item, inner_class))
                    .collect(),
            ),
            other => from_prost_scalar(schema, other, inner_class),
        };
        message.set(plan, field.number, value);
    }
    message
}
