//! The wire plan: everything the generator needs to know about each message, read from `.proto`
//! files. The GDScript renderer and the Rust mirror both work from this one model.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use prost::Message as _;

use prost_reflect::{Cardinality as ProtoCardinality, DescriptorPool, Kind, MessageDescriptor};

use crate::names;

/// Why the `.proto` files could not be turned into a plan.
#[derive(Debug)]
pub struct PlanError(pub String);

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlanError {}

/// The protobuf wire types (the low 3 bits of every field key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireType {
    /// Base-128 varint.
    Varint = 0,
    /// Eight little-endian bytes.
    I64 = 1,
    /// A varint length, then that many bytes.
    Len = 2,
    /// Start of a proto2 group (only ever skipped).
    StartGroup = 3,
    /// End of a proto2 group (only ever skipped).
    EndGroup = 4,
    /// Four little-endian bytes.
    I32 = 5,
}

impl WireType {
    /// The constant's name in the generated `PBWire` class.
    pub fn gd_constant(self) -> &'static str {
        match self {
            Self::Varint => "PBWire.VARINT",
            Self::I64 => "PBWire.I64",
            Self::Len => "PBWire.LEN",
            Self::StartGroup => "PBWire.START_GROUP",
            Self::EndGroup => "PBWire.END_GROUP",
            Self::I32 => "PBWire.I32",
        }
    }
}

/// How one value of a field is written and read: one per protobuf type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Codec {
    /// `double`
    Double,
    /// `float`
    Float,
    /// `int32`
    Int32,
    /// `int64`
    Int64,
    /// `uint32`
    Uint32,
    /// `uint64`
    Uint64,
    /// `sint32`
    Sint32,
    /// `sint64`
    Sint64,
    /// `fixed32`
    Fixed32,
    /// `fixed64`
    Fixed64,
    /// `sfixed32`
    Sfixed32,
    /// `sfixed64`
    Sfixed64,
    /// `bool`
    Bool,
    /// `string`
    String,
    /// `bytes`
    Bytes,
    /// Any enum: an `int32` on the wire, an `int` in GDScript.
    Enum,
    /// A nested message, named by its class path in the generated file (`Outer.Inner`).
    Message(String),
}

impl Codec {
    /// The wire type a single value of this codec travels as.
    pub fn wire_type(&self) -> WireType {
        match self {
            Self::Int32
            | Self::Int64
            | Self::Uint32
            | Self::Uint64
            | Self::Sint32
            | Self::Sint64
            | Self::Bool
            | Self::Enum => WireType::Varint,
            Self::Fixed64 | Self::Sfixed64 | Self::Double => WireType::I64,
            Self::Fixed32 | Self::Sfixed32 | Self::Float => WireType::I32,
            Self::String | Self::Bytes | Self::Message(_) => WireType::Len,
        }
    }

    /// Whether repeated values of this codec may be packed into one length-delimited field.
    pub fn is_packable(&self) -> bool {
        self.wire_type() != WireType::Len
    }

    /// The suffix of the `PBWriter.write_*` / `PBReader.read_*` pair for scalars; `None` for
    /// messages, which are written as `bytes` of their own encoding.
    pub fn scalar_name(&self) -> Option<&'static str> {
        Some(match self {
            Self::Double => "double",
            Self::Float => "float",
            Self::Int32 => "int32",
            Self::Int64 => "int64",
            Self::Uint32 => "uint32",
            Self::Uint64 => "uint64",
            Self::Sint32 => "sint32",
            Self::Sint64 => "sint64",
            Self::Fixed32 => "fixed32",
            Self::Fixed64 => "fixed64",
            Self::Sfixed32 => "sfixed32",
            Self::Sfixed64 => "sfixed64",
            Self::Bool => "bool",
            Self::String => "string",
            Self::Bytes => "bytes",
            Self::Enum => "enum",
            Self::Message(_) => return None,
        })
    }

    /// Every scalar codec, for checks that the runtime covers them all.
    pub fn all_scalars() -> [Self; 16] {
        [
            Self::Double,
            Self::Float,
            Self::Int32,
            Self::Int64,
            Self::Uint32,
            Self::Uint64,
            Self::Sint32,
            Self::Sint64,
            Self::Fixed32,
            Self::Fixed64,
            Self::Sfixed32,
            Self::Sfixed64,
            Self::Bool,
            Self::String,
            Self::Bytes,
            Self::Enum,
        ]
    }

    /// The GDScript expression that brings an `int` into this codec's range, so what a setter
    /// stores is what goes on the wire (and the `!= 0` presence test agrees with it).
    pub fn gd_narrowed(&self, value: &str) -> String {
        match self {
            Self::Int32 | Self::Sint32 | Self::Sfixed32 | Self::Enum => {
                format!("PBWire.to_int32({value})")
            }
            Self::Uint32 | Self::Fixed32 => format!("{value} & 0xFFFFFFFF"),
            _ => value.to_owned(),
        }
    }

    /// The GDScript type of one value.
    pub fn gd_type(&self) -> &str {
        match self {
            Self::Double | Self::Float => "float",
            Self::Bool => "bool",
            Self::String => "String",
            Self::Bytes => "PackedByteArray",
            Self::Message(class_path) => class_path,
            _ => "int",
        }
    }

    /// The GDScript literal of the proto3 default value.
    pub fn gd_default(&self) -> &'static str {
        match self {
            Self::Double | Self::Float => "0.0",
            Self::Bool => "false",
            Self::String => "\"\"",
            Self::Bytes => "PackedByteArray()",
            Self::Message(_) => "null",
            _ => "0",
        }
    }
}

/// How many values a field holds and how its presence is tracked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cardinality {
    /// A proto3 scalar without `optional`: present exactly when it differs from its default.
    Implicit,
    /// A singular message, or a proto3 `optional` scalar: present once set, even to a default.
    Explicit,
    /// A `repeated` field; `packed` says how scalars are written.
    Repeated {
        /// Written as one length-delimited run (proto3's default for scalars).
        packed: bool,
    },
    /// A member of the message's `oneofs[index]`.
    OneofMember {
        /// Index into [`MessagePlan::oneofs`].
        index: usize,
    },
}

/// One field of a message.
#[derive(Clone, Debug)]
pub struct FieldPlan {
    /// The comment above the field in the `.proto` file, one entry per line.
    pub doc: Vec<String>,
    /// The name as written in the `.proto` file; accessors are `get_<name>` etc.
    pub name: String,
    /// The field number.
    pub number: u32,
    /// How each value is encoded.
    pub codec: Codec,
    /// Singular, optional, repeated or oneof member.
    pub cardinality: Cardinality,
}

/// A (non-synthetic) `oneof` group.
#[derive(Clone, Debug)]
pub struct OneofPlan {
    /// The group's name; the generated class gets `get_<name>_case()` and `clear_<name>()`.
    pub name: String,
    /// Field numbers of the members, ascending.
    pub members: Vec<u32>,
}

/// An enum, rendered as a GDScript `enum` (values are plain `int`s on messages).
#[derive(Clone, Debug)]
pub struct EnumPlan {
    /// The comment above the enum in the `.proto` file, one entry per line.
    pub doc: Vec<String>,
    /// The enum's full proto name, e.g. `alltypes.Color`.
    pub proto_name: String,
    /// The enum's name in GDScript: its proto name, or that with [`names::ENUM_SUFFIX`] when
    /// Godot has taken it.
    pub name: String,
    /// Value names and numbers in declaration order.
    pub values: Vec<(String, i32)>,
}

/// One message, rendered as an inner class of the generated file.
#[derive(Clone, Debug)]
pub struct MessagePlan {
    /// The comment above the message in the `.proto` file, one entry per line.
    pub doc: Vec<String>,
    /// The message's full proto name, e.g. `packets.Packet` or `alltypes.Tree.Leaf`.
    pub proto_name: String,
    /// The class path inside the generated file, e.g. `Packet` or `Outer.Inner`: the proto
    /// names less the package, each one Godot has taken with [`names::MESSAGE_SUFFIX`].
    pub class_path: String,
    /// The last segment of `class_path`.
    pub class_name: String,
    /// Fields sorted by number, which is also the order they are encoded in.
    pub fields: Vec<FieldPlan>,
    /// The message's oneof groups.
    pub oneofs: Vec<OneofPlan>,
    /// Messages declared inside this one.
    pub nested_messages: Vec<MessagePlan>,
    /// Enums declared inside this one.
    pub nested_enums: Vec<EnumPlan>,
}

impl MessagePlan {
    /// The field with this number, if declared.
    pub fn field(&self, number: u32) -> Option<&FieldPlan> {
        self.fields.iter().find(|field| field.number == number)
    }
}

/// Everything read from a directory of `.proto` files.
#[derive(Clone, Debug)]
pub struct Schema {
    /// The source files as named in the generated header, e.g. `proto/packets.proto`.
    pub sources: Vec<String>,
    /// Top-level enums.
    pub enums: Vec<EnumPlan>,
    /// Top-level messages, each with its nested ones.
    pub messages: Vec<MessagePlan>,
    /// Messages and enums whose GDScript name is not their proto name, because Godot has
    /// taken that: (full proto name, name in the generated file), in declaration order.
    pub renamed: Vec<(String, String)>,
}

/// Names the generated file defines for itself; a message may not take them.
pub const RUNTIME_CLASSES: [&str; 3] = ["PBWire", "PBWriter", "PBReader"];

impl Schema {
    /// Parses every `*.proto` file directly in `proto_dir`. `display_dir` is how that directory
    /// is named in the generated header (`proto` for the workspace's own schema).
    pub fn load(proto_dir: &Path, display_dir: &str) -> Result<Self, PlanError> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(proto_dir)
            .map_err(|error| PlanError(format!("cannot read {}: {error}", proto_dir.display())))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "proto"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(PlanError(format!(
                "no .proto files in {}",
                proto_dir.display()
            )));
        }
        let file_names: Vec<String> = files
            .iter()
            .filter_map(|path| path.file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .collect();
        let mut compiler = protox::Compiler::new([proto_dir])
            .map_err(|error| PlanError(format!("protox: {error}")))?;
        compiler.include_source_info(true);
        compiler
            .open_files(&file_names)
            .map_err(|error| PlanError(format!("protox: {error}")))?;
        let pool = decoded_pool(&compiler)?;
        let sources = file_names
            .iter()
            .map(|name| format!("{display_dir}/{name}"))
            .collect();
        Self::from_pool(&pool, &file_names, sources)
    }

    fn from_pool(
        pool: &DescriptorPool,
        file_names: &[String],
        sources: Vec<String>,
    ) -> Result<Self, PlanError> {
        let mut schema = Self {
            sources,
            enums: Vec::new(),
            messages: Vec::new(),
            renamed: Vec::new(),
        };
        let mut packages = BTreeSet::new();
        for file in pool.files() {
            if !file_names.iter().any(|name| name == file.name()) {
                continue;
            }
            if file.file_descriptor_proto().syntax() != "proto3" {
                return Err(PlanError(format!(
                    "{}: only proto3 is supported",
                    file.name()
                )));
            }
            packages.insert(file.package_name().to_owned());
            for enum_descriptor in file.enums() {
                schema.enums.push(enum_plan(&enum_descriptor)?);
            }
            for message in file.messages() {
                schema.messages.push(message_plan(&message)?);
            }
        }
        if packages.len() > 1 {
            return Err(PlanError(format!(
                "all files must share one package (class names would collide): {packages:?}"
            )));
        }
        let mut top_level = BTreeSet::new();
        let declared = schema
            .enums
            .iter()
            .map(|plan| (&plan.proto_name, &plan.name))
            .chain(
                schema
                    .messages
                    .iter()
                    .map(|plan| (&plan.proto_name, &plan.class_name)),
            );
        for (proto_name, name) in declared {
            if RUNTIME_CLASSES.contains(&name.as_str()) || !top_level.insert(name.clone()) {
                return Err(PlanError(format!(
                    "{proto_name}: its GDScript name {name} is taken in the generated file \
                     (by the runtime or another message or enum); rename it"
                )));
            }
        }
        schema.renamed = renamed_names(&schema.enums, &schema.messages);
        Ok(schema)
    }

    /// The message with this class path (`Outer.Inner`), searching nested ones too.
    pub fn message(&self, class_path: &str) -> Option<&MessagePlan> {
        fn find<'a>(messages: &'a [MessagePlan], class_path: &str) -> Option<&'a MessagePlan> {
            messages.iter().find_map(|message| {
                if message.class_path == class_path {
                    Some(message)
                } else {
                    find(&message.nested_messages, class_path)
                }
            })
        }
        find(&self.messages, class_path)
    }
}

/// The compiled files as a [`DescriptorPool`] decoded from their encoded descriptor set.
/// `Compiler::descriptor_pool()` of protox 0.10 leaves field options uninterpreted there, so its
/// `is_packed()` is true even for `[packed = false]`; decoding the encoded set reads the options.
pub fn decoded_pool(compiler: &protox::Compiler) -> Result<DescriptorPool, PlanError> {
    let encoded = compiler.file_descriptor_set().encode_to_vec();
    DescriptorPool::decode(encoded.as_slice())
        .map_err(|error| PlanError(format!("descriptor set: {error}")))
}

/// The leading comment of the declaration at `path` in `file`, as trimmed lines.
fn leading_comment(file: &prost_reflect::FileDescriptor, path: &[i32]) -> Vec<String> {
    let proto = file.file_descriptor_proto();
    let Some(info) = &proto.source_code_info else {
        return Vec::new();
    };
    info.location
        .iter()
        .find(|location| location.path == path)
        .and_then(|location| location.leading_comments.as_deref())
        .map(|comment| {
            comment
                .trim()
                .lines()
                .map(|line| line.trim().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The enums and messages, nested ones included, whose GDScript name differs from the proto's.
fn renamed_names(enums: &[EnumPlan], messages: &[MessagePlan]) -> Vec<(String, String)> {
    let mut renamed = Vec::new();
    let short = |proto_name: &str| proto_name.rsplit('.').next().unwrap_or_default().to_owned();
    for plan in enums {
        if short(&plan.proto_name) != plan.name {
            renamed.push((plan.proto_name.clone(), plan.name.clone()));
        }
    }
    for plan in messages {
        if short(&plan.proto_name) != plan.class_name {
            renamed.push((plan.proto_name.clone(), plan.class_path.clone()));
        }
        renamed.extend(renamed_names(&plan.nested_enums, &plan.nested_messages));
    }
    renamed
}

fn enum_plan(descriptor: &prost_reflect::EnumDescriptor) -> Result<EnumPlan, PlanError> {
    let mut values = Vec::new();
    for value in descriptor.values() {
        // A value lives in its enum's own namespace, so only the language's words can clash.
        if names::is_keyword(value.name()) {
            return Err(PlanError(format!(
                "{}: the enum value name {} is a GDScript keyword; rename it",
                value.full_name(),
                value.name()
            )));
        }
        values.push((value.name().to_owned(), value.number()));
    }
    Ok(EnumPlan {
        doc: leading_comment(&descriptor.parent_file(), descriptor.path()),
        proto_name: descriptor.full_name().to_owned(),
        name: names::enum_name(descriptor.name()),
        values,
    })
}

/// The class path of a message: its full name minus the package, each segment renamed as
/// [`names::message_class_name`] does (every segment is a message: enums hold no messages).
fn class_path_of(message: &MessageDescriptor) -> String {
    let package = message.package_name();
    let full_name = message.full_name();
    let relative = if package.is_empty() {
        full_name
    } else {
        full_name
            .strip_prefix(package)
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or(full_name)
    };
    relative
        .split('.')
        .map(names::message_class_name)
        .collect::<Vec<_>>()
        .join(".")
}

fn message_plan(message: &MessageDescriptor) -> Result<MessagePlan, PlanError> {
    let class_path = class_path_of(message);
    let mut oneofs: Vec<OneofPlan> = Vec::new();
    let mut fields = Vec::new();
    for field in message.fields() {
        let context = || format!("{}.{}", message.full_name(), field.name());
        if field.is_map() {
            return Err(PlanError(format!(
                "{}: map fields are not supported",
                context()
            )));
        }
        if field.is_group() {
            return Err(PlanError(format!(
                "{}: groups are not supported",
                context()
            )));
        }
        let codec = match field.kind() {
            Kind::Double => Codec::Double,
            Kind::Float => Codec::Float,
            Kind::Int32 => Codec::Int32,
            Kind::Int64 => Codec::Int64,
            Kind::Uint32 => Codec::Uint32,
            Kind::Uint64 => Codec::Uint64,
            Kind::Sint32 => Codec::Sint32,
            Kind::Sint64 => Codec::Sint64,
            Kind::Fixed32 => Codec::Fixed32,
            Kind::Fixed64 => Codec::Fixed64,
            Kind::Sfixed32 => Codec::Sfixed32,
            Kind::Sfixed64 => Codec::Sfixed64,
            Kind::Bool => Codec::Bool,
            Kind::String => Codec::String,
            Kind::Bytes => Codec::Bytes,
            Kind::Enum(_) => Codec::Enum,
            Kind::Message(inner) => Codec::Message(class_path_of(&inner)),
        };
        let real_oneof = field
            .containing_oneof()
            .filter(|oneof| !oneof.is_synthetic());
        let cardinality = if let Some(oneof) = real_oneof {
            let index = match oneofs.iter().position(|plan| plan.name == oneof.name()) {
                Some(index) => index,
                None => {
                    oneofs.push(OneofPlan {
                        name: oneof.name().to_owned(),
                        members: Vec::new(),
                    });
                    oneofs.len() - 1
                }
            };
            oneofs[index].members.push(field.number());
            Cardinality::OneofMember { index }
        } else if field.cardinality() == ProtoCardinality::Repeated {
            Cardinality::Repeated {
                packed: field.is_packed(),
            }
        } else if field.supports_presence() {
            Cardinality::Explicit
        } else {
            Cardinality::Implicit
        };
        fields.push(FieldPlan {
            doc: leading_comment(&message.parent_file(), field.path()),
            name: field.name().to_owned(),
            number: field.number(),
            codec,
            cardinality,
        });
    }
    fields.sort_by_key(|field| field.number);
    for oneof in &mut oneofs {
        oneof.members.sort_unstable();
    }
    let nested_messages = message
        .child_messages()
        .filter(|child| !child.is_map_entry())
        .map(|child| message_plan(&child))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MessagePlan {
        doc: leading_comment(&message.parent_file(), message.path()),
        proto_name: message.full_name().to_owned(),
        class_name: names::message_class_name(message.name()),
        class_path,
        fields,
        oneofs,
        nested_messages,
        nested_enums: message
            .child_enums()
            .map(|child| enum_plan(&child))
            .collect::<Result<Vec<_>, _>>()?,
    })
}
