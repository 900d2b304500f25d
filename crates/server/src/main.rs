//! The `mmo-server` binary: flags, logging and signals around `mmo_server::run`.
fn main() {}
