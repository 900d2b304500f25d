//! Generates the Rust types for `proto/*.proto` with protox, so no system `protoc` is needed.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let schema = proto_dir.join("packets.proto");
    println!("cargo:rerun-if-changed={}", proto_dir.display());
    let descriptors = protox::compile([&schema], [&proto_dir])?;
    prost_build::Config::new()
        // A world update is ~300 bytes of vectors; boxed, it does not make every `Packet`
        // (a chat line too) that large.
        .boxed(".packets.Packet.msg.world_update")
        .compile_fds(descriptors)?;
    Ok(())
}
