//! A Rust twin of the generated GDScript, so its wire logic can be tested here where Godot
//! cannot run: `Writer`/`Reader` are statement-for-statement ports of `PBWriter`/`PBReader` in
//! `runtime.gd` (same signed 64-bit arithmetic as GDScript's `int`), and `encode`/`decode`
//! walk a [`MessagePlan`] exactly as the rendered `to_bytes`/`merge_from_reader` do.

use std::collections::BTreeMap;

use crate::plan::{Cardinality, Codec, FieldPlan, MessagePlan, Schema, WireType};

/// `PBWire.MAX_DEPTH`.
pub const MAX_DEPTH: i64 = 100;

/// FNV-1a 64 of `runtime.gd` (with `\r\n` read as `\n`) as of the version this file ports:
/// update together with the port. A test fails when `runtime.gd` changes without this
/// constant, because the prost comparisons only prove the port right, not `runtime.gd` itself.
pub const PORTED_RUNTIME_FNV1A64: u64 = 0xaf53_4bde_5392_cedf;

/// A field value as the GDScript object holds it.
#[derive(Clone, Debug)]
pub enum Value {
    /// Every integer type and enums (`int`, signed 64-bit).
    Int(i64),
    /// `float` and `double` (`float`, a 64-bit double).
    Float(f64),
    /// `bool`.
    Bool(bool),
    /// `string` (`String`).
    Str(String),
    /// `bytes` (`PackedByteArray`).
    Bytes(Vec<u8>),
    /// A nested message object.
    Message(MessageValue),
    /// A repeated field (`Array[T]`).
    List(Vec<Value>),
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Int(a), Self::Int(b)) => a == b,
            // NaN must equal NaN for round-trip checks; -0.0 and 0.0 stay distinct here.
            (Self::Float(a), Self::Float(b)) => {
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
            }
            (Self::Bool(a), Self::Bool(b)) => a == b,
            (Self::Str(a), Self::Str(b)) => a == b,
            (Self::Bytes(a), Self::Bytes(b)) => a == b,
            (Self::Message(a), Self::Message(b)) => a == b,
            (Self::List(a), Self::List(b)) => a == b,
            _ => false,
        }
    }
}

impl Value {
    /// The proto3 default of a codec, as the generated `var` starts out.
    pub fn default_for(codec: &Codec) -> Self {
        match codec {
            Codec::Double | Codec::Float => Self::Float(0.0),
            Codec::Bool => Self::Bool(false),
            Codec::String => Self::Str(String::new()),
            Codec::Bytes => Self::Bytes(Vec::new()),
            Codec::Message(class_path) => Self::Message(MessageValue::new(class_path)),
            _ => Self::Int(0),
        }
    }

    /// The generated `if _x != <default>` test for implicit-presence fields.
    fn differs_from_default(&self) -> bool {
        match self {
            Self::Int(value) => *value != 0,
            // GDScript's `!=` on floats: -0.0 counts as default, NaN does not.
            Self::Float(value) => *value != 0.0,
            Self::Bool(value) => *value,
            Self::Str(value) => !value.is_empty(),
            Self::Bytes(value) => !value.is_empty(),
            Self::Message(_) => true,
            Self::List(values) => !values.is_empty(),
        }
    }
}

/// A message object: the fields that are set (the others hold their defaults).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MessageValue {
    /// The class it is an instance of.
    pub class_path: String,
    /// Field number to value. An implicit field is listed only when not default, a repeated one
    /// only when non-empty, and at most one member of each oneof is listed.
    pub fields: BTreeMap<u32, Value>,
}

impl MessageValue {
    /// A message with every field at its default (`Class.new()`).
    pub fn new(class_path: &str) -> Self {
        Self {
            class_path: class_path.to_owned(),
            fields: BTreeMap::new(),
        }
    }

    /// What the generated setter does: set the field, clearing the rest of its oneof.
    pub fn set(&mut self, plan: &MessagePlan, number: u32, value: Value) {
        let Some(field) = plan.field(number) else {
            return;
        };
        if let Cardinality::OneofMember { index } = field.cardinality {
            for member in &plan.oneofs[index].members {
                self.fields.remove(member);
            }
        }
        // The generated setters narrow ints to the field's range (`Codec::gd_narrowed`).
        let value = match (&field.codec, value) {
            (Codec::Int32 | Codec::Sint32 | Codec::Sfixed32 | Codec::Enum, Value::Int(v)) => {
                Value::Int(to_int32(v))
            }
            (Codec::Uint32 | Codec::Fixed32, Value::Int(v)) => Value::Int(v & 0xFFFF_FFFF),
            (_, value) => value,
        };
        let keep = match field.cardinality {
            Cardinality::Implicit | Cardinality::Repeated { .. } => value.differs_from_default(),
            Cardinality::Explicit | Cardinality::OneofMember { .. } => true,
        };
        if keep {
            self.fields.insert(number, value);
        } else {
            self.fields.remove(&number);
        }
    }
}

/// Port of `PBWriter`.
#[derive(Default)]
pub struct Writer {
    /// `bytes`
    pub bytes: Vec<u8>,
}

/// Port of `PBWire.to_int32`.
pub fn to_int32(value: i64) -> i64 {
    let low = value & 0xFFFF_FFFF;
    if low >= 0x8000_0000 {
        low - 0x1_0000_0000
    } else {
        low
    }
}

fn low_byte(value: i64) -> u8 {
    u8::try_from(value & 0xFF).unwrap_or_default()
}

impl Writer {
    /// `write_varint`
    pub fn write_varint(&mut self, value: i64) {
        let mut rest = value;
        loop {
            let low = rest & 0x7F;
            rest = (rest >> 7) & 0x01FF_FFFF_FFFF_FFFF;
            if rest == 0 {
                self.bytes.push(low_byte(low));
                return;
            }
            self.bytes.push(low_byte(low | 0x80));
        }
    }

    /// `write_tag`
    pub fn write_tag(&mut self, field_number: i64, wire_type: i64) {
        self.write_varint((field_number << 3) | wire_type);
    }

    /// `write_little_endian`
    pub fn write_little_endian(&mut self, value: i64, count: i64) {
        for index in 0..count {
            self.bytes.push(low_byte((value >> (8 * index)) & 0xFF));
        }
    }

    /// `write_fixed32`
    pub fn write_fixed32(&mut self, value: i64) {
        self.write_little_endian(value, 4);
    }

    /// `write_fixed64`
    pub fn write_fixed64(&mut self, value: i64) {
        self.write_little_endian(value, 8);
    }

    /// `write_bytes`
    pub fn write_bytes(&mut self, value: &[u8]) {
        self.write_varint(i64::try_from(value.len()).unwrap_or(i64::MAX));
        self.bytes.extend_from_slice(value);
    }

    /// `write_<codec>` for one scalar value (messages go through [`Writer::write_bytes`]).
    pub fn write_scalar(&mut self, codec: &Codec, value: &Value) {
        match (codec, value) {
            (Codec::Int32 | Codec::Enum, Value::Int(v)) => self.write_varint(to_int32(*v)),
            (Codec::Int64 | Codec::Uint64, Value::Int(v)) => self.write_varint(*v),
            (Codec::Uint32, Value::Int(v)) => self.write_varint(v & 0xFFFF_FFFF),
            (Codec::Sint32, Value::Int(v)) => {
                let narrow = to_int32(*v);
                self.write_varint(((narrow << 1) ^ (narrow >> 31)) & 0xFFFF_FFFF);
            }
            (Codec::Sint64, Value::Int(v)) => self.write_varint((v << 1) ^ (v >> 63)),
            (Codec::Bool, Value::Bool(v)) => self.write_varint(i64::from(*v)),
            (Codec::Fixed32 | Codec::Sfixed32, Value::Int(v)) => self.write_fixed32(*v),
            (Codec::Fixed64 | Codec::Sfixed64, Value::Int(v)) => self.write_fixed64(*v),
            // `StreamPeerBuffer.put_float` narrows the double to a 32-bit float.
            #[allow(clippy::cast_possible_truncation)]
            (Codec::Float, Value::Float(v)) => {
                self.bytes.extend_from_slice(&(*v as f32).to_le_bytes());
            }
            (Codec::Double, Value::Float(v)) => self.bytes.extend_from_slice(&v.to_le_bytes()),
            (Codec::String, Value::Str(v)) => self.write_bytes(v.as_bytes()),
            (Codec::Bytes, Value::Bytes(v)) => self.write_bytes(v),
            (codec, value) => panic!("mirror: {value:?} is not a {codec:?} value"),
        }
    }
}

/// Port of `PBReader`.
pub struct Reader<'a> {
    /// `data`
    pub data: &'a [u8],
    /// `pos`
    pub pos: i64,
    /// `failed`
    pub failed: bool,
}

impl<'a> Reader<'a> {
    /// `PBReader.new(data)`
    pub fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            failed: false,
        }
    }

    fn byte_at(&self, at: i64) -> i64 {
        usize::try_from(at)
            .ok()
            .and_then(|index| self.data.get(index))
            .map_or(0, |byte| i64::from(*byte))
    }

    fn slice(&self, start: i64, stop: i64) -> &'a [u8] {
        let start = usize::try_from(start).unwrap_or_default();
        let stop = usize::try_from(stop).unwrap_or_default();
        self.data.get(start..stop).unwrap_or_default()
    }

    /// `read_varint`
    pub fn read_varint(&mut self, end: i64) -> i64 {
        let mut result: i64 = 0;
        let mut shift = 0;
        while !self.failed {
            if self.pos >= end {
                self.failed = true;
                break;
            }
            let octet = self.byte_at(self.pos);
            self.pos += 1;
            if shift == 63 && octet > 1 {
                self.failed = true;
                break;
            }
            result |= (octet & 0x7F) << shift;
            if octet < 0x80 {
                return result;
            }
            shift += 7;
        }
        0
    }

    /// `read_tag`
    // Written as the GDScript is, comparison by comparison, so the two read alike.
    #[allow(clippy::manual_range_contains)]
    pub fn read_tag(&mut self, end: i64) -> i64 {
        let key = self.read_varint(end);
        if self.failed || key < 8 || key > 0xFFFF_FFFF || (key & 7) > WireType::I32 as i64 {
            self.failed = true;
            return -1;
        }
        key
    }

    /// `expect`
    pub fn expect(&mut self, wire_type: i64, wanted: WireType) -> bool {
        if wire_type != wanted as i64 {
            self.failed = true;
        }
        !self.failed
    }

    /// `read_end`
    pub fn read_end(&mut self, end: i64) -> i64 {
        let length = self.read_varint(end);
        if self.failed || length < 0 || length > end - self.pos {
            self.failed = true;
            return -1;
        }
        self.pos + length
    }

    /// `take`
    pub fn take(&mut self, count: i64, end: i64) -> i64 {
        if self.failed || count > end - self.pos {
            self.failed = true;
            return -1;
        }
        self.pos += count;
        self.pos - count
    }

    /// `take_bytes`
    pub fn take_bytes(&mut self, count: i64, end: i64) -> Vec<u8> {
        let at = self.take(count, end);
        if at < 0 || count == 0 {
            return Vec::new();
        }
        self.slice(at, at + count).to_vec()
    }

    /// `read_bytes`
    pub fn read_bytes(&mut self, end: i64) -> Vec<u8> {
        let stop = self.read_end(end);
        if stop < 0 {
            return Vec::new();
        }
        self.take_bytes(stop - self.pos, end)
    }

    /// `read_little_endian`
    pub fn read_little_endian(&mut self, count: i64, end: i64) -> i64 {
        let at = self.take(count, end);
        if at < 0 {
            return 0;
        }
        let mut value = 0;
        for index in 0..count {
            value |= self.byte_at(at + index) << (8 * index);
        }
        value
    }

    /// `take_bytes(N, end)` as the array `StreamPeerBuffer` reads a float from.
    fn float_bytes<const N: usize>(&mut self, end: i64) -> Option<[u8; N]> {
        let raw = self.take_bytes(i64::try_from(N).unwrap_or(i64::MAX), end);
        raw.try_into().ok()
    }

    /// `read_<codec>` for one scalar value.
    pub fn read_scalar(&mut self, codec: &Codec, end: i64) -> Value {
        match codec {
            Codec::Int32 | Codec::Enum => Value::Int(to_int32(self.read_varint(end))),
            Codec::Int64 | Codec::Uint64 => Value::Int(self.read_varint(end)),
            Codec::Uint32 => Value::Int(self.read_varint(end) & 0xFFFF_FFFF),
            Codec::Sint32 => {
                let raw = self.read_varint(end) & 0xFFFF_FFFF;
                Value::Int(to_int32((raw >> 1) ^ -(raw & 1)))
            }
            Codec::Sint64 => {
                let raw = self.read_varint(end);
                Value::Int(((raw >> 1) & 0x7FFF_FFFF_FFFF_FFFF) ^ -(raw & 1))
            }
            Codec::Bool => Value::Bool(self.read_varint(end) != 0),
            Codec::Fixed32 => Value::Int(self.read_little_endian(4, end)),
            Codec::Sfixed32 => Value::Int(to_int32(self.read_little_endian(4, end))),
            Codec::Fixed64 | Codec::Sfixed64 => Value::Int(self.read_little_endian(8, end)),
            Codec::Float => Value::Float(
                self.float_bytes::<4>(end)
                    .map_or(0.0, |b| f64::from(f32::from_le_bytes(b))),
            ),
            Codec::Double => {
                Value::Float(self.float_bytes::<8>(end).map_or(0.0, f64::from_le_bytes))
            }
            Codec::Bytes => Value::Bytes(self.read_bytes(end)),
            Codec::String => {
                let raw = self.read_bytes(end);
                let mut text = get_string_from_utf8(&raw);
                if raw.starts_with(UTF8_BOM) {
                    text.insert(0, '\u{FEFF}');
                }
                if text.as_bytes() != raw {
                    self.failed = true;
                }
                // A Rust `String` holds neither a surrogate nor a code point past U+10FFFF: the
                // check never fires here.
                if raw.len() != text.chars().count()
                    && text.chars().any(|c| {
                        let code = u32::from(c);
                        (code & 0xFFFF_F800) == 0xD800 || code > 0x10_FFFF
                    })
                {
                    self.failed = true;
                }
                Value::Str(text)
            }
            Codec::Message(_) => panic!("mirror: messages are not scalars"),
        }
    }

    /// `skip_field`
    pub fn skip_field(&mut self, key: i64, end: i64, depth: i64) {
        let wire_type = key & 7;
        if wire_type == WireType::Varint as i64 {
            self.read_varint(end);
        } else if wire_type == WireType::I64 as i64 {
            self.take(8, end);
        } else if wire_type == WireType::Len as i64 {
            let stop = self.read_end(end);
            if stop >= 0 {
                self.pos = stop;
            }
        } else if wire_type == WireType::I32 as i64 {
            self.take(4, end);
        } else if wire_type == WireType::StartGroup as i64 && depth < MAX_DEPTH {
            self.skip_group(key >> 3, end, depth + 1);
        } else {
            self.failed = true;
        }
    }

    /// `skip_group`
    pub fn skip_group(&mut self, field_number: i64, end: i64, depth: i64) {
        while !self.failed {
            let key = self.read_tag(end);
            if self.failed {
                return;
            }
            if (key & 7) == WireType::EndGroup as i64 {
                if (key >> 3) != field_number {
                    self.failed = true;
                }
                return;
            }
            self.skip_field(key, end, depth);
        }
    }
}

/// Godot's `PackedByteArray.get_string_from_utf8()`, as far as the round trip in `read_string`
/// can tell: a leading byte order mark (EF BB BF) is dropped, the text ends at the first NUL
/// byte (a Godot `String` cannot hold U+0000), and invalid UTF-8 is replaced (by U+FFFD here;
/// Godot's exact substitute does not matter, only that the bytes change).
pub fn get_string_from_utf8(raw: &[u8]) -> String {
    let body = raw.strip_prefix(UTF8_BOM).unwrap_or(raw);
    let body = body.split(|byte| *byte == 0).next().unwrap_or_default();
    String::from_utf8_lossy(body).into_owned()
}

/// The UTF-8 encoding of U+FEFF, which Godot's decoder takes for a byte order mark.
pub const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

fn message_plan<'a>(schema: &'a Schema, class_path: &str) -> &'a MessagePlan {
    schema
        .message(class_path)
        .unwrap_or_else(|| panic!("mirror: no message {class_path}"))
}

/// The generated `to_bytes()`: fields in number order, each under its presence test.
pub fn encode(schema: &Schema, message: &MessageValue) -> Vec<u8> {
    let plan = message_plan(schema, &message.class_path);
    let mut writer = Writer::default();
    for field in &plan.fields {
        let Some(value) = message.fields.get(&field.number) else {
            continue;
        };
        let number = i64::from(field.number);
        match (&field.cardinality, value) {
            (Cardinality::Repeated { packed: true }, Value::List(items))
                if field.codec.is_packable() =>
            {
                writer.write_tag(number, WireType::Len as i64);
                let mut packed = Writer::default();
                for item in items {
                    packed.write_scalar(&field.codec, item);
                }
                writer.write_bytes(&packed.bytes);
            }
            (Cardinality::Repeated { .. }, Value::List(items)) => {
                for item in items {
                    write_one(schema, &mut writer, field, item);
                }
            }
            (Cardinality::Implicit, value) if !value.differs_from_default() => {}
            (_, value) => write_one(schema, &mut writer, field, value),
        }
    }
    writer.bytes
}

fn write_one(schema: &Schema, writer: &mut Writer, field: &FieldPlan, value: &Value) {
    writer.write_tag(i64::from(field.number), field.codec.wire_type() as i64);
    match value {
        Value::Message(inner) => writer.write_bytes(&encode(schema, inner)),
        scalar => writer.write_scalar(&field.codec, scalar),
    }
}

/// The generated `from_bytes()`: `Ok` for `OK`, `Err(())` for `ERR_PARSE_ERROR`. On error the
/// GDScript object is left partly filled; the mirror does not model that state.
#[allow(clippy::result_unit_err)]
pub fn decode(schema: &Schema, class_path: &str, data: &[u8]) -> Result<MessageValue, ()> {
    let mut message = MessageValue::new(class_path);
    let mut reader = Reader::new(data);
    let end = i64::try_from(data.len()).unwrap_or(i64::MAX);
    merge_from_reader(schema, &mut message, &mut reader, end, 0);
    if reader.failed { Err(()) } else { Ok(message) }
}

/// The generated `merge_from_reader(reader, end, depth)`.
pub fn merge_from_reader(
    schema: &Schema,
    message: &mut MessageValue,
    reader: &mut Reader<'_>,
    end: i64,
    depth: i64,
) {
    let plan = message_plan(schema, &message.class_path);
    if depth > MAX_DEPTH {
        reader.failed = true;
    }
    while reader.pos < end && !reader.failed {
        let key = reader.read_tag(end);
        if reader.failed {
            break;
        }
        let wire_type = key & 7;
        let field = u32::try_from(key >> 3)
            .ok()
            .and_then(|number| plan.field(number));
        let Some(field) = field else {
            reader.skip_field(key, end, depth);
            continue;
        };
        match (&field.cardinality, &field.codec) {
            (Cardinality::Repeated { .. }, Codec::Message(class_path)) => {
                if reader.expect(wire_type, WireType::Len) {
                    let item_end = reader.read_end(end);
                    let mut item = MessageValue::new(class_path);
                    merge_from_reader(schema, &mut item, reader, item_end, depth + 1);
                    push_item(message, field.number, Value::Message(item));
                }
            }
            (Cardinality::Repeated { .. }, codec) if codec.is_packable() => {
                if wire_type == WireType::Len as i64 {
                    let values_end = reader.read_end(end);
                    while reader.pos < values_end && !reader.failed {
                        let item = reader.read_scalar(codec, values_end);
                        push_item(message, field.number, item);
                    }
                } else if reader.expect(wire_type, codec.wire_type()) {
                    let item = reader.read_scalar(codec, end);
                    push_item(message, field.number, item);
                }
            }
            (Cardinality::Repeated { .. }, codec) => {
                if reader.expect(wire_type, WireType::Len) {
                    let item = reader.read_scalar(codec, end);
                    push_item(message, field.number, item);
                }
            }
            (_, Codec::Message(class_path)) => {
                if reader.expect(wire_type, WireType::Len) {
                    let inner_end = reader.read_end(end);
                    // Like the generated code: a message already present is merged into, any
                    // other oneof member is replaced by a fresh one.
                    let mut inner = match message.fields.get(&field.number) {
                        Some(Value::Message(existing)) => existing.clone(),
                        _ => MessageValue::new(class_path),
                    };
                    merge_from_reader(schema, &mut inner, reader, inner_end, depth + 1);
                    message.set(plan, field.number, Value::Message(inner));
                }
            }
            (_, codec) => {
                if reader.expect(wire_type, codec.wire_type()) {
                    let value = reader.read_scalar(codec, end);
                    message.set(plan, field.number, value);
                }
            }
        }
    }
}

fn push_item(message: &mut MessageValue, number: u32, item: Value) {
    match message
        .fields
        .entry(number)
        .or_insert_with(|| Value::List(Vec::new()))
    {
        Value::List(items) => items.push(item),
        other => *other = Value::List(vec![item]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a, 64-bit: small, stable across platforms and Rust versions (unlike `DefaultHasher`).
    fn fnv1a64(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }

    #[test]
    fn fnv1a64_matches_the_reference_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn runtime_gd_is_the_version_this_file_ports() {
        // A Windows checkout may have turned the line endings into \r\n; that is no change.
        let runtime = crate::render::RUNTIME.replace("\r\n", "\n");
        let hash = fnv1a64(runtime.as_bytes());
        assert_eq!(
            hash, PORTED_RUNTIME_FNV1A64,
            "src/runtime.gd changed, but src/mirror.rs still ports the old version, so the prost \
             tests no longer check what packets.gd runs. Port the change to `Writer`/`Reader` in \
             src/mirror.rs (statement for statement), run `cargo test -p mmo-gdgen`, and then set \
             PORTED_RUNTIME_FNV1A64 in src/mirror.rs to {hash:#018x}."
        );
    }

    fn varint(value: i64) -> Vec<u8> {
        let mut writer = Writer::default();
        writer.write_varint(value);
        writer.bytes
    }

    #[test]
    fn varints_of_negative_numbers_stop_after_ten_bytes() {
        assert_eq!(varint(0), [0]);
        assert_eq!(varint(300), [0xAC, 0x02]);
        assert_eq!(varint(-1).len(), 10);
        assert_eq!(
            varint(i64::MIN),
            [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]
        );
    }

    #[test]
    fn varints_read_back_and_overlong_ones_fail() {
        for value in [0, 1, 127, 128, 300, -1, i64::MIN, i64::MAX] {
            let bytes = varint(value);
            let mut reader = Reader::new(&bytes);
            assert_eq!(
                reader.read_varint(i64::try_from(bytes.len()).unwrap_or(0)),
                value
            );
            assert!(!reader.failed);
        }
        let eleven = [0xFF; 11];
        let mut reader = Reader::new(&eleven);
        reader.read_varint(11);
        assert!(reader.failed);
    }

    #[test]
    fn to_int32_keeps_the_low_bits_signed() {
        assert_eq!(to_int32(0xFFFF_FFFF), -1);
        assert_eq!(to_int32(0x8000_0000), i64::from(i32::MIN));
        assert_eq!(to_int32((1 << 40) + 7), 7);
        assert_eq!(to_int32(-5), -5);
    }

    #[test]
    fn reads_never_pass_the_end_they_are_given() {
        let data = [0x01, 0x02, 0x03, 0x04, 0x05];
        let mut reader = Reader::new(&data);
        assert_eq!(reader.take(4, 3), -1);
        assert!(reader.failed);
        let mut reader = Reader::new(&data);
        assert_eq!(
            reader.read_end(5),
            2,
            "a length of 1 fits in the 4 bytes left"
        );
        let mut reader = Reader::new(&data);
        assert_eq!(
            reader.read_end(1),
            -1,
            "nothing is left for that byte before end 1"
        );
        assert!(reader.failed);
    }
}
