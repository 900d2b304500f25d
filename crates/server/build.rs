//! Embeds every file under `web/dist/` into the binary, so the web client is served with no
//! Node.js or files on disk at run time.

use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    if dist.is_dir() {
        collect(&dist, &mut files)?;
    }
    files.sort();
    let mut table = String::from("&[\n");
    for file in &files {
        let relative = file
            .strip_prefix(&dist)?
            .to_string_lossy()
            .replace('\\', "/");
        let mut hasher = DefaultHasher::new();
        std::fs::read(file)?.hash(&mut hasher);
        writeln!(
            table,
            "    Asset {{ path: {path:?}, body: include_bytes!({file:?}), etag: \"\\\"{hash:016x}\\\"\" }},",
            path = format!("/{relative}"),
            file = file.canonicalize()?,
            hash = hasher.finish(),
        )?;
    }
    table.push(']');
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("web_assets.rs");
    std::fs::write(out, table)?;
    Ok(())
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
