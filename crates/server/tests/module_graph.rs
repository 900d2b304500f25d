//! The server's modules depend on each other in one direction: the graph of `crate::` imports
//! between the top-level modules of `src/` has no cycle. A cycle is named with the files and
//! lines that make it, so whoever adds one sees what to move.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// An import of module `to` by a file of module `from`, and where it is.
#[derive(Debug, Clone)]
struct Import {
    to: String,
    file: PathBuf,
    line: usize,
}

/// The top-level module a file of `src/` belongs to; `None` for the crate roots.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_owned())
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}

/// The top-level modules named after each `crate::` in `text`, with `crate::{a, b::c}` groups
/// opened up.
fn imported_modules(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        let before = &rest[..at];
        rest = &rest[at + "crate::".len()..];
        // `$crate::` in macros names this crate from the outside: not an import.
        if before.ends_with('$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_start = true;
            let mut word = String::new();
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        if !word.is_empty() {
                            found.push(std::mem::take(&mut word));
                        }
                        item_start = true;
                    }
                    c if (c.is_alphanumeric() || c == '_') && item_start => word.push(c),
                    _ if !word.is_empty() => {
                        found.push(std::mem::take(&mut word));
                        item_start = false;
                    }
                    _ => {}
                }
            }
            if !word.is_empty() {
                found.push(word);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push(name);
            }
        }
    }
    found
}

/// Every import between two different top-level modules, by importing module.
fn import_graph(src: &Path) -> BTreeMap<String, Vec<Import>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(src, f)).collect();
    let mut graph: BTreeMap<String, Vec<Import>> = BTreeMap::new();
    for file in &files {
        let Some(from) = module_of(src, file) else {
            continue;
        };
        let text = fs::read_to_string(file).expect("readable source file");
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for to in imported_modules(code) {
                if to != from && modules.contains(&to) {
                    graph.entry(from.clone()).or_default().push(Import {
                        to,
                        file: file.strip_prefix(src).unwrap_or(file).to_path_buf(),
                        line: number + 1,
                    });
                }
            }
        }
    }
    graph
}

/// A cycle through `start`, as the imports that make it, if there is one.
fn cycle_from(graph: &BTreeMap<String, Vec<Import>>, start: &str) -> Option<Vec<Import>> {
    // Depth-first search for a path back to `start`.
    fn walk(
        graph: &BTreeMap<String, Vec<Import>>,
        at: &str,
        start: &str,
        seen: &mut BTreeSet<String>,
        path: &mut Vec<Import>,
    ) -> bool {
        for import in graph.get(at).map(Vec::as_slice).unwrap_or_default() {
            path.push(import.clone());
            if import.to == start {
                return true;
            }
            if seen.insert(import.to.clone()) && walk(graph, &import.to, start, seen, path) {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = Vec::new();
    walk(graph, start, start, &mut BTreeSet::new(), &mut path).then_some(path)
}

#[test]
fn the_servers_modules_import_each_other_in_one_direction() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = import_graph(&src);
    assert!(
        graph.len() > 10,
        "the graph looks empty: is {src:?} the source?"
    );
    let mut cycles = Vec::new();
    for module in graph.keys() {
        if let Some(cycle) = cycle_from(&graph, module) {
            let steps: Vec<String> = cycle
                .iter()
                .map(|i| format!("{} ({}:{})", i.to, i.file.display(), i.line))
                .collect();
            cycles.push(format!("{module} -> {}", steps.join(" -> ")));
        }
    }
    assert!(
        cycles.is_empty(),
        "import cycles between the server's modules:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn a_cycle_is_found_and_named() {
    let dir = std::env::temp_dir().join(format!("module-graph-{}", std::process::id()));
    fs::create_dir_all(dir.join("b")).expect("temp dir");
    fs::write(dir.join("a.rs"), "use crate::b::Thing;\n").expect("write");
    fs::write(dir.join("b/mod.rs"), "use crate::{c, d::E};\n").expect("write");
    fs::write(dir.join("c.rs"), "// use crate::a;\n$crate::a\n").expect("write");
    fs::write(dir.join("d.rs"), "pub use crate::{a::{X, Y}};\n").expect("write");
    let graph = import_graph(&dir);
    fs::remove_dir_all(&dir).expect("clean up");
    assert!(
        cycle_from(&graph, "c").is_none(),
        "comments and $crate ignored"
    );
    let cycle = cycle_from(&graph, "a").expect("a -> b -> d -> a");
    let path: Vec<&str> = cycle.iter().map(|i| i.to.as_str()).collect();
    assert_eq!(path, ["b", "d", "a"]);
    assert_eq!(cycle[1].file, Path::new("b/mod.rs"));
}
