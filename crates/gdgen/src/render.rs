//! Renders a [`Schema`] as one GDScript file: the shared runtime (`runtime.gd`) followed by an
//! inner class per message whose `to_bytes`/`merge_from_reader` follow the plan step for step,
//! in the same order as the Rust mirror in `mirror.rs`.

use std::collections::BTreeMap;

use crate::names;
use crate::plan::{Cardinality, Codec, EnumPlan, FieldPlan, MessagePlan, PlanError, Schema};

/// The GDScript runtime every generated file starts with.
pub const RUNTIME: &str = include_str!("runtime.gd");

/// Methods every generated class defines for itself (`_to_string` overrides Object's on purpose).
const OWN_METHODS: [&str; 5] = [
    "clear",
    "to_bytes",
    "from_bytes",
    "merge_from_reader",
    "_to_string",
];

/// Indented line output; tabs, as the GDScript style guide asks.
struct Out {
    text: String,
    depth: usize,
}

impl Out {
    fn line(&mut self, line: &str) {
        if !line.is_empty() {
            for _ in 0..self.depth {
                self.text.push('\t');
            }
            self.text.push_str(line);
        }
        self.text.push('\n');
    }

    /// The proto comment as `##` doc lines, re-wrapped to stay within gdlint's 100 columns
    /// (a tab counts as 4).
    fn doc(&mut self, lines: &[String]) {
        let width = 96usize.saturating_sub(4 * self.depth).max(40);
        let text = lines.join("\n");
        for paragraph in text.split("\n\n") {
            let mut current = String::new();
            for word in paragraph.split_whitespace() {
                if !current.is_empty() && current.len() + 1 + word.len() > width {
                    self.line(&format!("## {current}"));
                    current.clear();
                }
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(word);
            }
            if !current.is_empty() {
                self.line(&format!("## {current}"));
            }
        }
    }

    /// A `#` comment, wrapped to stay within 100 columns.
    fn comment(&mut self, text: &str) {
        let mut current = String::new();
        for word in text.split_whitespace() {
            if !current.is_empty() && current.len() + 1 + word.len() > 96 {
                self.line(&format!("# {current}"));
                current.clear();
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        if !current.is_empty() {
            self.line(&format!("# {current}"));
        }
    }

    fn blank(&mut self) {
        self.text.push('\n');
    }

    fn indented(&mut self, body: impl FnOnce(&mut Self)) {
        self.depth += 1;
        body(self);
        self.depth -= 1;
    }
}

/// The engine a generated file is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Godot 4.4+: the project's own client, `godot/packets.gd`.
    Godot4,
    /// Godot 3.2+: the Godot 4 file translated line for line (`godot3.rs`).
    Godot3,
}

/// Renders the whole file for Godot 4, or explains which names would collide in GDScript.
pub fn render(schema: &Schema) -> Result<String, PlanError> {
    render_for(schema, Target::Godot4)
}

/// Renders the whole file for `target`. The Godot 3 file is the Godot 4 one, header aside,
/// translated line for line, so both run the same statements.
pub fn render_for(schema: &Schema, target: Target) -> Result<String, PlanError> {
    let mut out = Out {
        text: String::new(),
        depth: 0,
    };
    let sources = schema.sources.join(", ");
    match target {
        Target::Godot4 => {
            out.line(&format!(
                "# generated from {sources} by mmo-gdgen — do not edit"
            ));
            out.line("# Regenerate with `cargo run -p mmo-gdgen`. See godot/README.md.");
        }
        Target::Godot3 => {
            out.line(&format!(
                "# generated from {sources} by mmo-gdgen for Godot 3 — do not edit"
            ));
            out.line("# `mmo-gdgen --target godot3`: the Godot 4 file translated line for line.");
        }
    }
    if !schema.renamed.is_empty() {
        let renames: Vec<String> = schema
            .renamed
            .iter()
            .map(|(proto_name, gd_name)| format!("{proto_name} -> {gd_name}"))
            .collect();
        out.comment(&format!(
            "Godot already gives these proto names a meaning, so they are renamed (a message \
             gets `{}` appended, an enum `{}`): {}.",
            names::MESSAGE_SUFFIX,
            names::ENUM_SUFFIX,
            renames.join(", ")
        ));
    }
    // Message classes have an accessor family per field and files grow with the schema: the
    // generic size limits do not apply to generated code.
    out.line("# gdlint: disable=max-public-methods,max-file-lines");
    for enum_plan in &schema.enums {
        out.blank();
        render_enum(&mut out, enum_plan);
    }
    out.blank();
    out.blank();
    for (index, line) in RUNTIME.lines().enumerate() {
        if index > 0 || !line.is_empty() {
            out.line(line);
        }
    }
    for message in &schema.messages {
        out.blank();
        out.blank();
        render_message(&mut out, message)?;
    }
    Ok(out.text)
}

fn render_enum(out: &mut Out, enum_plan: &EnumPlan) {
    out.doc(&enum_plan.doc);
    out.line(&format!("enum {} {{", enum_plan.name));
    out.indented(|out| {
        for (name, number) in &enum_plan.values {
            out.line(&format!("{name} = {number},"));
        }
    });
    out.line("}");
}

fn var_name(field: &FieldPlan) -> String {
    format!("_{}", field.name)
}

fn case_var(message: &MessagePlan, index: usize) -> String {
    format!("_{}_case", message.oneofs[index].name)
}

fn has_var(field: &FieldPlan) -> String {
    format!("_has_{}", field.name)
}

/// The `_has_<name>` flag of an explicit-presence scalar; messages are present when not null.
fn has_flag(field: &FieldPlan) -> Option<String> {
    let tracked =
        field.cardinality == Cardinality::Explicit && !matches!(field.codec, Codec::Message(_));
    tracked.then(|| has_var(field))
}

fn list_type(field: &FieldPlan) -> String {
    format!("Array[{}]", field.codec.gd_type())
}

/// The GDScript condition under which `to_bytes` writes a (non-repeated) field.
fn presence_test(message: &MessagePlan, field: &FieldPlan) -> String {
    let var = var_name(field);
    match &field.cardinality {
        Cardinality::OneofMember { index } => {
            format!("{} == {}", case_var(message, *index), field.number)
        }
        Cardinality::Explicit if matches!(field.codec, Codec::Message(_)) => {
            format!("{var} != null")
        }
        Cardinality::Explicit => has_var(field),
        Cardinality::Implicit | Cardinality::Repeated { .. } => match field.codec {
            Codec::Bool => var,
            Codec::String | Codec::Bytes => format!("not {var}.is_empty()"),
            _ => format!("{var} != {}", field.codec.gd_default()),
        },
    }
}

/// Every member name a message class defines, each with the proto element it comes from, to
/// refuse schemas whose names collide with each other or with what Godot defines.
fn check_names(message: &MessagePlan) -> Result<(), PlanError> {
    // (member name, the proto element it is generated for)
    let mut names: Vec<(String, String)> = Vec::new();
    let proto = |name: &str| format!("{}.{name}", message.proto_name);
    for oneof_index in 0..message.oneofs.len() {
        let oneof = &message.oneofs[oneof_index].name;
        let origin = format!("oneof {}", proto(oneof));
        names.push((case_var(message, oneof_index), origin.clone()));
        names.push((format!("get_{oneof}_case"), origin.clone()));
        names.push((format!("clear_{oneof}"), origin));
    }
    for field in &message.fields {
        let name = &field.name;
        let origin = format!("field {}", proto(name));
        let mut generated = vec![
            var_name(field),
            format!("get_{name}"),
            format!("set_{name}"),
            format!("clear_{name}"),
        ];
        match (&field.cardinality, &field.codec) {
            (Cardinality::Repeated { .. }, _) => generated.push(format!("add_{name}")),
            (_, Codec::Message(_)) => {
                generated.extend([format!("has_{name}"), format!("new_{name}")]);
            }
            (Cardinality::Explicit, _) => {
                generated.extend([has_var(field), format!("has_{name}")]);
            }
            (Cardinality::OneofMember { .. }, _) => generated.push(format!("has_{name}")),
            (Cardinality::Implicit, _) => {}
        }
        names.extend(generated.into_iter().map(|member| (member, origin.clone())));
    }
    for nested in &message.nested_messages {
        names.push((
            nested.class_name.clone(),
            format!("message {}", nested.proto_name),
        ));
    }
    for nested in &message.nested_enums {
        names.push((nested.name.clone(), format!("enum {}", nested.proto_name)));
    }
    let mut seen: BTreeMap<String, String> = OWN_METHODS
        .iter()
        .map(|name| ((*name).to_owned(), "the generated class itself".to_owned()))
        .collect();
    for (name, origin) in names {
        if names::is_taken_member_name(&name) {
            return Err(PlanError(format!(
                "{origin}: the generated member `{name}` would take a name Godot gives a \
                 meaning (a member of Object/RefCounted, a global function or a keyword); \
                 rename it"
            )));
        }
        if let Some(first) = seen.get(&name) {
            return Err(PlanError(format!(
                "{origin}: the generated member `{name}` collides with the one of {first}; \
                 rename one of them"
            )));
        }
        seen.insert(name, origin);
    }
    Ok(())
}

fn render_message(out: &mut Out, message: &MessagePlan) -> Result<(), PlanError> {
    check_names(message)?;
    out.doc(&message.doc);
    out.line(&format!("class {}:", message.class_name));
    let mut result = Ok(());
    out.indented(|out| {
        result = render_message_body(out, message);
    });
    result
}

fn render_message_body(out: &mut Out, message: &MessagePlan) -> Result<(), PlanError> {
    for enum_plan in &message.nested_enums {
        render_enum(out, enum_plan);
        out.blank();
    }
    render_vars(out, message);
    for nested in &message.nested_messages {
        out.blank();
        render_message(out, nested)?;
    }
    for (index, oneof) in message.oneofs.iter().enumerate() {
        render_oneof_accessors(out, message, index, &oneof.name);
    }
    for field in &message.fields {
        render_accessors(out, message, field);
    }
    render_clear(out, message);
    render_to_bytes(out, message);
    render_from_bytes(out, message);
    render_to_string(out, message);
    Ok(())
}

fn render_vars(out: &mut Out, message: &MessagePlan) {
    if message.fields.is_empty() {
        out.line("pass");
        return;
    }
    for (index, _) in message.oneofs.iter().enumerate() {
        out.line(&format!("var {}: int = 0", case_var(message, index)));
    }
    for field in &message.fields {
        let var = var_name(field);
        out.doc(&field.doc);
        match field.cardinality {
            Cardinality::Repeated { .. } => {
                out.line(&format!("var {var}: {} = []", list_type(field)))
            }
            _ => out.line(&format!(
                "var {var}: {} = {}",
                field.codec.gd_type(),
                field.codec.gd_default()
            )),
        }
        if let Some(has) = has_flag(field) {
            out.line(&format!("var {has}: bool = false"));
        }
    }
}

/// Starts a method: a blank line, then the signature.
fn func(out: &mut Out, signature: &str, body: impl FnOnce(&mut Out)) {
    out.blank();
    out.line(&format!("func {signature}:"));
    out.indented(body);
}

fn render_oneof_accessors(out: &mut Out, message: &MessagePlan, index: usize, name: &str) {
    let case = case_var(message, index);
    out.blank();
    out.line(&format!(
        "## The field number of the member of oneof [code]{name}[/code] that is set, or 0."
    ));
    out.line(&format!("func get_{name}_case() -> int:"));
    out.indented(|out| out.line(&format!("return {case}")));
    func(out, &format!("clear_{name}() -> void"), |out| {
        out.line(&format!("{case} = 0"));
        for number in &message.oneofs[index].members {
            if let Some(field) = message.field(*number) {
                out.line(&format!(
                    "{} = {}",
                    var_name(field),
                    field.codec.gd_default()
                ));
            }
        }
    });
}

/// The accessors of a singular field: `has_` (unless presence is implicit), `get_`, `set_`,
/// `new_` (messages) and `clear_`.
fn render_accessors(out: &mut Out, message: &MessagePlan, field: &FieldPlan) {
    let name = &field.name;
    let number = field.number;
    let var = var_name(field);
    let gd_type = field.codec.gd_type();
    let is_message = matches!(field.codec, Codec::Message(_));
    // A member's oneof: its case variable and name.
    let oneof = match field.cardinality {
        Cardinality::Repeated { .. } => return render_list_accessors(out, field),
        Cardinality::OneofMember { index } => {
            Some((case_var(message, index), &message.oneofs[index].name))
        }
        Cardinality::Explicit | Cardinality::Implicit => None,
    };
    let has_flag = has_flag(field);
    if field.cardinality != Cardinality::Implicit {
        let present = presence_test(message, field);
        func(out, &format!("has_{name}() -> bool"), |out| {
            out.line(&format!("return {present}"));
        });
    }
    func(out, &format!("get_{name}() -> {gd_type}"), |out| {
        out.line(&format!("return {var}"))
    });
    let narrowed = field.codec.gd_narrowed("value");
    func(
        out,
        &format!("set_{name}(value: {gd_type}) -> void"),
        |out| match &oneof {
            Some((case, oneof_name)) => {
                out.line(&format!("clear_{oneof_name}()"));
                let select = |out: &mut Out| {
                    out.line(&format!("{case} = {number}"));
                    out.line(&format!("{var} = {narrowed}"));
                };
                if is_message {
                    out.line("if value != null:");
                    out.indented(select);
                } else {
                    select(out);
                }
            }
            None => {
                out.line(&format!("{var} = {narrowed}"));
                if let Some(has) = &has_flag {
                    out.line(&format!("{has} = true"));
                }
            }
        },
    );
    if is_message {
        func(out, &format!("new_{name}() -> {gd_type}"), |out| {
            if oneof.is_some() {
                out.line(&format!("set_{name}({gd_type}.new())"));
            } else {
                out.line(&format!("{var} = {gd_type}.new()"));
            }
            out.line(&format!("return {var}"));
        });
    }
    func(
        out,
        &format!("clear_{name}() -> void"),
        |out| match &oneof {
            Some((case, oneof_name)) => {
                out.line(&format!("if {case} == {number}:"));
                out.indented(|out| out.line(&format!("clear_{oneof_name}()")));
            }
            None => {
                out.line(&format!("{var} = {}", field.codec.gd_default()));
                if let Some(has) = &has_flag {
                    out.line(&format!("{has} = false"));
                }
            }
        },
    );
}

fn render_list_accessors(out: &mut Out, field: &FieldPlan) {
    let name = &field.name;
    let var = var_name(field);
    let gd_type = field.codec.gd_type();
    let list = list_type(field);
    func(out, &format!("get_{name}() -> {list}"), |out| {
        out.line(&format!("return {var}"))
    });
    func(out, &format!("set_{name}(values: {list}) -> void"), |out| {
        out.line(&format!("{var} = values"));
    });
    if matches!(field.codec, Codec::Message(_)) {
        func(out, &format!("add_{name}() -> {gd_type}"), |out| {
            out.line(&format!("var item := {gd_type}.new()"));
            out.line(&format!("{var}.append(item)"));
            out.line("return item");
        });
    } else {
        func(
            out,
            &format!("add_{name}(value: {gd_type}) -> void"),
            |out| {
                out.line(&format!("{var}.append(value)"));
            },
        );
    }
    func(out, &format!("clear_{name}() -> void"), |out| {
        out.line(&format!("{var} = []"))
    });
}

fn render_clear(out: &mut Out, message: &MessagePlan) {
    out.blank();
    out.line("## Resets every field to its default.");
    out.line("func clear() -> void:");
    out.indented(|out| {
        if message.fields.is_empty() {
            out.line("pass");
        }
        for oneof in &message.oneofs {
            out.line(&format!("clear_{}()", oneof.name));
        }
        for field in &message.fields {
            if !matches!(field.cardinality, Cardinality::OneofMember { .. }) {
                out.line(&format!("clear_{}()", field.name));
            }
        }
    });
}

/// How one value is written: `writer.write_<codec>(value)`, or a nested message's bytes.
fn write_call(codec: &Codec, value: &str) -> String {
    match codec.scalar_name() {
        Some(scalar) => format!("writer.write_{scalar}({value})"),
        None => format!("writer.write_bytes({value}.to_bytes())"),
    }
}

fn render_to_bytes(out: &mut Out, message: &MessagePlan) {
    out.blank();
    out.line("## The protobuf encoding of this message.");
    out.line("func to_bytes() -> PackedByteArray:");
    out.indented(|out| {
        out.line("var writer := PBWriter.new()");
        for field in &message.fields {
            let var = var_name(field);
            let number = field.number;
            let wire = field.codec.wire_type().gd_constant();
            match field.cardinality {
                Cardinality::Repeated { packed } if packed && field.codec.is_packable() => {
                    out.line(&format!("if not {var}.is_empty():"));
                    out.indented(|out| {
                        out.line(&format!("writer.write_tag({number}, PBWire.LEN)"));
                        out.line("var packed := PBWriter.new()");
                        out.line(&format!("for item in {var}:"));
                        out.indented(|out| {
                            out.line(
                                &write_call(&field.codec, "item").replacen("writer.", "packed.", 1),
                            );
                        });
                        out.line("writer.write_bytes(packed.bytes)");
                    });
                }
                Cardinality::Repeated { .. } => {
                    out.line(&format!("for item in {var}:"));
                    out.indented(|out| {
                        out.line(&format!("writer.write_tag({number}, {wire})"));
                        out.line(&write_call(&field.codec, "item"));
                    });
                }
                _ => {
                    out.line(&format!("if {}:", presence_test(message, field)));
                    out.indented(|out| {
                        out.line(&format!("writer.write_tag({number}, {wire})"));
                        out.line(&write_call(&field.codec, &var));
                    });
                }
            }
        }
        out.line("return writer.bytes");
    });
}

fn render_from_bytes(out: &mut Out, message: &MessagePlan) {
    out.blank();
    out.line(
        "## Replaces this message with the one encoded in [param data]. Returns [constant OK],",
    );
    out.line(
        "## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).",
    );
    out.line("func from_bytes(data: PackedByteArray) -> int:");
    out.indented(|out| {
        out.line("clear()");
        out.line("var reader := PBReader.new(data)");
        out.line("merge_from_reader(reader, data.size(), 0)");
        out.line("return ERR_PARSE_ERROR if reader.failed else OK");
    });
    out.blank();
    out.line("## Decodes fields up to byte [param end] of [param reader] into this message.");
    out.line("func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:");
    out.indented(|out| {
        out.line("if depth > PBWire.MAX_DEPTH:");
        out.indented(|out| out.line("reader.failed = true"));
        out.line("while reader.pos < end and not reader.failed:");
        out.indented(|out| {
            out.line("var key := reader.read_tag(end)");
            if message.fields.is_empty() {
                out.line("if not reader.failed:");
                out.indented(|out| out.line("reader.skip_field(key, end, depth)"));
                return;
            }
            out.line("if reader.failed:");
            out.indented(|out| out.line("break"));
            out.line("var wire_type := key & 7");
            out.line("match key >> 3:");
            out.indented(|out| {
                for field in &message.fields {
                    out.line(&format!("{}:", field.number));
                    out.indented(|out| render_field_decode(out, message, field));
                }
                out.line("_:");
                out.indented(|out| out.line("reader.skip_field(key, end, depth)"));
            });
        });
    });
}

fn render_field_decode(out: &mut Out, message: &MessagePlan, field: &FieldPlan) {
    let var = var_name(field);
    let name = &field.name;
    let wire = field.codec.wire_type().gd_constant();
    match (&field.cardinality, &field.codec) {
        (Cardinality::Repeated { .. }, Codec::Message(_)) => {
            out.line("if reader.expect(wire_type, PBWire.LEN):");
            out.indented(|out| {
                out.line("var item_end := reader.read_end(end)");
                out.line(&format!(
                    "add_{name}().merge_from_reader(reader, item_end, depth + 1)"
                ));
            });
        }
        (Cardinality::Repeated { .. }, codec) if codec.is_packable() => {
            let scalar = codec.scalar_name().unwrap_or_default();
            out.line("if wire_type == PBWire.LEN:");
            out.indented(|out| {
                out.line("var values_end := reader.read_end(end)");
                out.line("while reader.pos < values_end and not reader.failed:");
                out.indented(|out| {
                    out.line(&format!("{var}.append(reader.read_{scalar}(values_end))"))
                });
            });
            out.line(&format!("elif reader.expect(wire_type, {wire}):"));
            out.indented(|out| out.line(&format!("{var}.append(reader.read_{scalar}(end))")));
        }
        (Cardinality::Repeated { .. }, codec) => {
            let scalar = codec.scalar_name().unwrap_or_default();
            out.line("if reader.expect(wire_type, PBWire.LEN):");
            out.indented(|out| out.line(&format!("{var}.append(reader.read_{scalar}(end))")));
        }
        (cardinality, Codec::Message(class_path)) => {
            out.line("if reader.expect(wire_type, PBWire.LEN):");
            out.indented(|out| {
                // Not `{name}_end`: a long oneof name (`finished_browsing_hiscores`) at this
                // depth would pass gdlint's 100 columns.
                out.line("var field_end := reader.read_end(end)");
                match cardinality {
                    Cardinality::OneofMember { index } => {
                        out.line(&format!(
                            "if {} != {}:",
                            case_var(message, *index),
                            field.number
                        ));
                        out.indented(|out| out.line(&format!("set_{name}({class_path}.new())")));
                    }
                    _ => {
                        out.line(&format!("if {var} == null:"));
                        out.indented(|out| out.line(&format!("{var} = {class_path}.new()")));
                    }
                }
                out.line(&format!(
                    "{var}.merge_from_reader(reader, field_end, depth + 1)"
                ));
            });
        }
        (_, codec) => {
            let scalar = codec.scalar_name().unwrap_or_default();
            out.line(&format!("if reader.expect(wire_type, {wire}):"));
            out.indented(|out| out.line(&format!("set_{name}(reader.read_{scalar}(end))")));
        }
    }
}

fn render_to_string(out: &mut Out, message: &MessagePlan) {
    out.blank();
    out.line(
        "## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: \"hi\"}}[/code].",
    );
    out.line("func _to_string() -> String:");
    out.indented(|out| {
        out.line("var parts := PackedStringArray()");
        for field in &message.fields {
            let var = var_name(field);
            let name = &field.name;
            let shown = match (&field.cardinality, &field.codec) {
                (Cardinality::Repeated { .. }, _) | (_, Codec::Message(_)) => format!("str({var})"),
                _ => format!("var_to_str({var})"),
            };
            let test = match field.cardinality {
                Cardinality::Repeated { .. } => format!("not {var}.is_empty()"),
                _ => presence_test(message, field),
            };
            out.line(&format!("if {test}:"));
            out.indented(|out| out.line(&format!("parts.append(\"{name}: \" + {shown})")));
        }
        out.line("return \"{\" + \", \".join(parts) + \"}\"");
    });
}
