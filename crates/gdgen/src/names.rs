//! Names GDScript already gives a meaning to (`godot_names.txt`): the generator renames a class
//! or enum that would take one and refuses a member that would, because Godot's analyzer
//! refuses a script that shadows an engine class, a built-in type or a keyword.

/// The lists, one `[section]` per kind of name.
const GODOT_NAMES: &str = include_str!("godot_names.txt");

/// What a proto message's class gets appended when its own name is taken.
pub const MESSAGE_SUFFIX: &str = "Message";

/// What a proto enum gets appended when its own name is taken.
pub const ENUM_SUFFIX: &str = "Enum";

/// The names listed in `[section]` of `godot_names.txt`.
pub fn section(section: &str) -> impl Iterator<Item = &'static str> {
    let header = format!("[{section}]");
    GODOT_NAMES
        .lines()
        .skip_while(move |line| *line != header)
        .skip(1)
        .take_while(|line| !line.starts_with('['))
        .filter(|line| !line.starts_with('#'))
        .flat_map(str::split_whitespace)
}

fn listed(sections: &[&str], name: &str) -> bool {
    sections
        .iter()
        .any(|title| section(title).any(|listed| listed == name))
}

/// Whether a class or enum of the generated file may not be called `name`: an engine class, a
/// built-in type, a global enum or function, or a keyword.
pub fn is_taken_type_name(name: &str) -> bool {
    listed(
        &[
            "engine-classes",
            "builtin-types",
            "global-enums",
            "functions",
            "keywords",
        ],
        name,
    )
}

/// Whether a member (method, variable, inner class or enum) of a generated class may not be
/// called `name`: a member of `Object`/`RefCounted`, a global function, or a keyword.
pub fn is_taken_member_name(name: &str) -> bool {
    listed(&["object-members", "functions", "keywords"], name)
}

/// Whether `name` is a GDScript keyword (or a constant of the language such as `PI`).
pub fn is_keyword(name: &str) -> bool {
    listed(&["keywords"], name)
}

/// The class name a proto message named `proto_name` gets: its own, or with
/// [`MESSAGE_SUFFIX`] when Godot has taken it.
pub fn message_class_name(proto_name: &str) -> String {
    with_suffix_if_taken(proto_name, MESSAGE_SUFFIX)
}

/// The enum name a proto enum named `proto_name` gets: its own, or with [`ENUM_SUFFIX`].
pub fn enum_name(proto_name: &str) -> String {
    with_suffix_if_taken(proto_name, ENUM_SUFFIX)
}

fn with_suffix_if_taken(proto_name: &str, suffix: &str) -> String {
    if is_taken_type_name(proto_name) {
        format!("{proto_name}{suffix}")
    } else {
        proto_name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_is_there_and_not_empty() {
        for title in [
            "engine-classes",
            "builtin-types",
            "global-enums",
            "functions",
            "keywords",
            "object-members",
        ] {
            assert!(section(title).count() > 5, "[{title}]");
        }
    }

    #[test]
    fn known_names_are_taken_and_the_protocol_names_are_not() {
        for taken in [
            "Color",
            "Tree",
            "Node",
            "RefCounted",
            "Reference",
            "int",
            "Error",
            "class",
        ] {
            assert!(is_taken_type_name(taken), "{taken}");
        }
        for taken in [
            "get_class",
            "_init",
            "connect",
            "print",
            "get_stack",
            "ConnectFlags",
        ] {
            assert!(is_taken_member_name(taken), "{taken}");
        }
        for free in [
            "Packet",
            "ChatMessage",
            "ColorEnum",
            "TreeMessage",
            "get_msg",
        ] {
            assert!(
                !is_taken_type_name(free) && !is_taken_member_name(free),
                "{free}"
            );
        }
        assert_eq!(message_class_name("Tree"), "TreeMessage");
        assert_eq!(enum_name("Color"), "ColorEnum");
        assert_eq!(message_class_name("Packet"), "Packet");
    }
}
