//! mmo-gdgen: generates the Godot client's GDScript protobuf code (`godot/packets.gd`) from the
//! `.proto` files in `proto/`, plus a Rust mirror of that code's wire logic for testing.

pub mod mirror;
pub mod plan;
pub mod render;

use std::path::{Path, PathBuf};

pub use plan::{PlanError, Schema};

/// The workspace root, where `proto/` and `godot/` live.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .unwrap_or(manifest_dir)
        .to_path_buf()
}

/// Reads `proto_dir` and returns the generated GDScript. `display_dir` names that directory in
/// the file's header.
pub fn generate(proto_dir: &Path, display_dir: &str) -> Result<String, PlanError> {
    let schema = Schema::load(proto_dir, display_dir)?;
    render::render(&schema)
}
