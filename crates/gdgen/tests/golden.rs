//! Golden files and consistency checks of the generated GDScript: `godot/packets.gd` (the
//! committed client file) and `tests/golden/all_types.gd` must be exactly what the generator
//! writes today; the rendered calls must be the ones the Rust mirror executes.
//! `UPDATE_GOLDEN=1 cargo test -p mmo-gdgen` rewrites the golden files.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use mmo_gdgen::names;
use mmo_gdgen::plan::{Cardinality, Codec, Schema, WireType};
use mmo_gdgen::render::RUNTIME;

fn check_golden(proto_dir: &Path, display_dir: &str, golden: &Path) {
    let generated = mmo_gdgen::generate(proto_dir, display_dir).unwrap();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(golden, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(golden).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: run `cargo run -p mmo-gdgen` (or UPDATE_GOLDEN=1 for test goldens)",
        golden.display()
    );
}

#[test]
fn committed_packets_gd_is_what_the_generator_writes() {
    let root = mmo_gdgen::workspace_root();
    check_golden(&root.join("proto"), "proto", &root.join("godot/packets.gd"));
}

#[test]
fn all_types_golden_is_what_the_generator_writes() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    check_golden(
        &here.join("proto"),
        "tests/proto",
        &here.join("golden/all_types.gd"),
    );
}

#[test]
fn output_is_deterministic_and_starts_with_the_header() {
    let proto = mmo_gdgen::workspace_root().join("proto");
    let first = mmo_gdgen::generate(&proto, "proto").unwrap();
    assert_eq!(first, mmo_gdgen::generate(&proto, "proto").unwrap());
    assert!(first.starts_with("# generated from proto/packets.proto by mmo-gdgen — do not edit\n"));
}

#[test]
fn runtime_defines_a_writer_and_reader_for_every_scalar() {
    for codec in Codec::all_scalars() {
        let name = codec.scalar_name().unwrap();
        assert!(
            RUNTIME.contains(&format!("\tfunc write_{name}(value: ")),
            "write_{name}"
        );
        assert!(
            RUNTIME.contains(&format!("\tfunc read_{name}(end: int) -> ")),
            "read_{name}"
        );
    }
}

/// The text of one top-level or nested class's `to_bytes` / `merge_from_reader`.
fn method_body<'a>(text: &'a str, class_path: &str, method: &str) -> &'a str {
    let depth = class_path.split('.').count();
    let class_name = class_path.rsplit('.').next().unwrap();
    let class_indent = "\t".repeat(depth - 1);
    let class_start = text
        .find(&format!("\n{class_indent}class {class_name}:\n"))
        .unwrap();
    let rest = &text[class_start..];
    let method_indent = "\t".repeat(depth);
    let start = rest
        .find(&format!("\n{method_indent}func {method}("))
        .unwrap()
        + 1;
    let body = &rest[start..];
    let end = body[1..].find("\n\n").map_or(body.len(), |at| at + 1);
    &body[..end]
}

/// Each field is written with the tag, wire type and `write_*` call the mirror uses, and read
/// with the matching `read_*`: the renderer and the mirror agree on the plan.
#[test]
fn rendered_calls_match_the_plan_the_mirror_executes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/proto");
    let schema = Schema::load(&dir, "tests/proto").unwrap();
    let text = mmo_gdgen::render::render(&schema).unwrap();
    for class_path in [
        "Scalars",
        "Repeated",
        "TreeMessage",
        "TreeMessage.Leaf",
        "Everything",
    ] {
        let plan = schema.message(class_path).unwrap();
        let to_bytes = method_body(&text, class_path, "to_bytes");
        let decode = method_body(&text, class_path, "merge_from_reader");
        for field in &plan.fields {
            let packed = matches!(field.cardinality, Cardinality::Repeated { packed: true })
                && field.codec.is_packable();
            let wire = if packed {
                WireType::Len
            } else {
                field.codec.wire_type()
            };
            let tag = format!("writer.write_tag({}, {})", field.number, wire.gd_constant());
            assert!(
                to_bytes.contains(&tag),
                "{class_path}.{}: {tag}",
                field.name
            );
            let value_call = match field.codec.scalar_name() {
                Some(scalar) => format!("write_{scalar}("),
                None => "write_bytes(".to_owned(),
            };
            let after_tag = &to_bytes[to_bytes.find(&tag).unwrap()..];
            let next_write = after_tag[tag.len()..].find(".write_").unwrap();
            assert!(
                after_tag[tag.len() + next_write + 1..].starts_with(&value_call),
                "{class_path}.{}: {value_call}",
                field.name
            );
            let arm_indent = "\t".repeat(class_path.split('.').count() + 3);
            let arm = format!("\n{arm_indent}{}:\n", field.number);
            let arm_start = decode.find(&arm).unwrap();
            let body_indent = format!("{arm_indent}\t");
            let arm_text: String = decode[arm_start + arm.len()..]
                .lines()
                .take_while(|line| line.starts_with(&body_indent))
                .collect::<Vec<_>>()
                .join("\n");
            let read_call = match (&field.cardinality, field.codec.scalar_name()) {
                (_, Some(scalar)) => format!("reader.read_{scalar}("),
                (Cardinality::Repeated { .. }, None) => {
                    ".merge_from_reader(reader, item_end".to_owned()
                }
                (_, None) => ".merge_from_reader(reader, field_end".to_owned(),
            };
            assert!(
                arm_text.contains(&read_call),
                "{class_path}.{}: {read_call}",
                field.name
            );
        }
    }
}

#[test]
fn colliding_names_are_refused() {
    let dir = std::env::temp_dir().join(format!("mmo-gdgen-collide-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        "message M { int32 class = 1; }",
        "message M { oneof x { int32 a = 1; } int32 x_case = 2; }",
        "message PBWire { int32 a = 1; }",
        "message M { map<string, int32> m = 1; }",
    ];
    for case in cases {
        std::fs::write(
            dir.join("c.proto"),
            format!("syntax = \"proto3\";\n{case}\n"),
        )
        .unwrap();
        assert!(mmo_gdgen::generate(&dir, "x").is_err(), "{case}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every `class`, `enum`, `func`, `var` and `const` name declared in generated GDScript.
fn declared_names(text: &str) -> Vec<(&str, &str)> {
    let mut names = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        for keyword in ["class ", "enum ", "func ", "static func ", "var ", "const "] {
            if let Some(rest) = line.strip_prefix(keyword) {
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                names.push((keyword.trim(), &rest[..end]));
            }
        }
    }
    names
}

#[test]
fn generated_names_never_take_a_name_godot_gives_a_meaning() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let root = mmo_gdgen::workspace_root();
    for (dir, display) in [
        (here.join("proto"), "tests/proto"),
        (root.join("proto"), "proto"),
    ] {
        let text = mmo_gdgen::generate(&dir, display).unwrap();
        let declared = declared_names(&text);
        assert!(declared.len() > 20, "{display}: found only {declared:?}");
        for (keyword, name) in declared {
            let taken = match keyword {
                "class" | "enum" => names::is_taken_type_name(name),
                _ => names::is_taken_member_name(name),
            };
            // `_init` (PBReader's constructor) and `_to_string` override Object on purpose.
            let overrides = keyword == "func" && (name == "_init" || name == "_to_string");
            assert!(
                !taken || overrides,
                "{display}: `{keyword} {name}` takes a name Godot gives a meaning"
            );
        }
    }
}

#[test]
fn godot3_target_is_the_godot4_file_line_for_line() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let root = mmo_gdgen::workspace_root();
    for (dir, display) in [
        (here.join("proto"), "tests/proto"),
        (root.join("proto"), "proto"),
    ] {
        let godot4 = mmo_gdgen::generate_for(&dir, display, mmo_gdgen::Target::Godot4).unwrap();
        let godot3 = mmo_gdgen::generate_for(&dir, display, mmo_gdgen::Target::Godot3).unwrap();
        assert_eq!(godot4.lines().count(), godot3.lines().count(), "{display}");
        let changed = godot4
            .lines()
            .zip(godot3.lines())
            .skip(2)
            .filter(|(four, three)| four != three)
            .count();
        // Only spellings change: types, is_empty(), to_utf8_buffer(), one slice, one join...
        assert!(
            changed > 0 && changed < godot4.lines().count() / 4,
            "{display}: {changed}"
        );
        assert!(godot3.lines().nth(1).unwrap().contains("--target godot3"));
    }
}
