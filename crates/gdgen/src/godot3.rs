//! The Godot 3 target: the Godot 4 file translated line for line, so a Godot 3 project can use
//! the generated code and, more importantly here, the generator's logic runs in the Godot 3.2
//! engine Debian ships (Godot 4 is not packaged), statement for statement as in Godot 4. The
//! tests translate the client's engine-free scripts (`godot/room_state.gd`,
//! `godot/chat_command.gd`) the same way.
//!
//! Only spellings differ between the two: the runtime and the renderer avoid everything else
//! (`PackedByteArray.encode_*`, typed-array methods, ...). A line that still holds something
//! Godot 3 lacks is an error, so a change to the Godot 4 output cannot slip through untranslated.

use crate::plan::PlanError;

/// Plain renames: (Godot 4 spelling, Godot 3 spelling).
const RENAMES: [(&str, &str); 15] = [
    ("PackedByteArray", "PoolByteArray"),
    ("PackedStringArray", "PoolStringArray"),
    (".is_empty()", ".empty()"),
    (".to_utf8_buffer()", ".to_utf8()"),
    ("var_to_str(", "var2str("),
    (".unicode_at(", ".ord_at("),
    ("extends RefCounted", "extends Reference"),
    (".remove_at(", ".remove("),
    // Godot 4's typed maths functions; Godot 3 has only the untyped ones, same results.
    ("maxi(", "max("),
    ("mini(", "min("),
    ("maxf(", "max("),
    ("minf(", "min("),
    ("clampf(", "clamp("),
    ("absf(", "abs("),
    ("absi(", "abs("),
];

/// Godot 4 spellings that must not survive the translation.
const GODOT4_ONLY: [&str; 14] = [
    "Packed",
    "Array[",
    "is_empty(",
    "to_utf8_buffer(",
    "var_to_str(",
    ".slice(",
    "\".join(",
    ".encode_",
    ".decode_",
    "String.chr(",
    "@export",
    ".unicode_at(",
    "RefCounted",
    ".remove_at(",
];

/// The Godot 3 version of a generated Godot 4 file: same lines, Godot 3 spellings.
pub fn translate(godot4: &str) -> Result<String, PlanError> {
    let mut out = String::with_capacity(godot4.len());
    for (index, line) in godot4.split_inclusive('\n').enumerate() {
        let translated = translate_line(line);
        // The header says what the file is in words; only code must be free of Godot 4.
        let code = translated.split('#').next().unwrap_or_default();
        if let Some(left) = GODOT4_ONLY.iter().find(|token| code.contains(*token)) {
            return Err(PlanError(format!(
                "line {}: no Godot 3 translation for `{left}` in: {}",
                index + 1,
                line.trim()
            )));
        }
        out.push_str(&translated);
    }
    Ok(out)
}

fn translate_line(line: &str) -> String {
    let mut line = untyped_arrays(line);
    for (godot4, godot3) in RENAMES {
        line = line.replace(godot4, godot3);
    }
    line = joins(&line);
    slices(&line)
}

/// `Array[T]` → `Array`: Godot 3 has no typed arrays.
fn untyped_arrays(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("Array[") {
        let (before, from_array) = rest.split_at(at);
        out.push_str(before);
        out.push_str("Array");
        let inner = &from_array["Array[".len()..];
        match inner.find(']') {
            Some(close) => rest = &inner[close + 1..],
            None => {
                rest = inner;
                out.push('[');
            }
        }
    }
    out.push_str(rest);
    out
}

/// `"sep".join(parts)` → `parts.join("sep")`: Godot 3 joins from the array.
fn joins(line: &str) -> String {
    let Some(join) = line.find("\".join(") else {
        return line.to_owned();
    };
    let Some(open_quote) = line[..join].rfind('"') else {
        return line.to_owned();
    };
    let separator = &line[open_quote..=join];
    let arguments = &line[join + "\".join(".len()..];
    let Some(close) = arguments.find(')') else {
        return line.to_owned();
    };
    let array = &arguments[..close];
    format!(
        "{}{array}.join({separator}){}",
        &line[..open_quote],
        &arguments[close + 1..]
    )
}

/// `.slice(from, to)` (end excluded) → `.subarray(from, to - 1)` (end included). Godot 3's
/// `subarray` cannot return an empty array; the runtime never asks it for one.
fn slices(line: &str) -> String {
    let Some(at) = line.find(".slice(") else {
        return line.to_owned();
    };
    let arguments = &line[at + ".slice(".len()..];
    let Some(close) = arguments.find(')') else {
        return line.to_owned();
    };
    let Some((from, to)) = arguments[..close].split_once(", ") else {
        return line.to_owned();
    };
    format!(
        "{}.subarray({from}, {to} - 1){}",
        &line[..at],
        &arguments[close + 1..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_translates_its_spelling() {
        let cases = [
            ("var _r: Array[int] = []", "var _r: Array = []"),
            (
                "func set_x(values: Array[Tree.Leaf]) -> void:",
                "func set_x(values: Array) -> void:",
            ),
            (
                "var bytes := PackedByteArray()",
                "var bytes := PoolByteArray()",
            ),
            ("if not _s.is_empty():", "if not _s.empty():"),
            (
                "write_bytes(value.to_utf8_buffer())",
                "write_bytes(value.to_utf8())",
            ),
            (
                "parts.append(\"a: \" + var_to_str(_a))",
                "parts.append(\"a: \" + var2str(_a))",
            ),
            (
                "return \"{\" + \", \".join(parts) + \"}\"",
                "return \"{\" + parts.join(\", \") + \"}\"",
            ),
            ("a = maxi(b, mini(c, 1))", "a = max(b, min(c, 1))"),
            (
                "x = clampf(t * r, 0.0, maxf(1.0, minf(y, 2.0)))",
                "x = clamp(t * r, 0.0, max(1.0, min(y, 2.0)))",
            ),
            (
                "return data.slice(at, at + count)",
                "return data.subarray(at, at + count - 1)",
            ),
        ];
        for (godot4, godot3) in cases {
            assert_eq!(translate(godot4).expect("translates"), godot3);
        }
    }

    #[test]
    fn lines_are_kept_and_unknown_godot4_code_is_refused() {
        let text = "a\n\tb := PackedByteArray()\n# PackedByteArray in a comment\n";
        let translated = translate(text).expect("translates");
        assert_eq!(translated.lines().count(), text.lines().count());
        assert!(translate("x.encode_u32(0, 1)\n").is_err());
        assert!(translate("var d := PackedInt32Array()\n").is_err());
    }
}
