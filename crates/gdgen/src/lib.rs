//! mmo-gdgen: generates the Godot client's GDScript protobuf code (`godot/packets.gd`) from the
//! `.proto` files in `proto/` (and the same for Godot 3), plus a Rust mirror of that code's wire
//! logic for testing.

pub mod godot3;
pub mod mirror;
pub mod names;
pub mod plan;
pub mod render;

use std::path::{Path, PathBuf};

pub use plan::{PlanError, Schema};
pub use render::Target;

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
    generate_for(proto_dir, display_dir, Target::Godot4)
}

/// [`generate`] for the given engine.
pub fn generate_for(
    proto_dir: &Path,
    display_dir: &str,
    target: Target,
) -> Result<String, PlanError> {
    let schema = Schema::load(proto_dir, display_dir)?;
    let text = render::render_for(&schema, target)?;
    match target {
        Target::Godot4 => Ok(text),
        Target::Godot3 => godot3::translate(&text),
    }
}
