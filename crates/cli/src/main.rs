//! `mmo`: the command-line tool for mmo servers: `mmo chat` to talk to one from a terminal,
//! `mmo bench` to measure one under load.

mod bench;
mod chat;
mod tls;
mod ws;

use std::process::ExitCode;

use clap::Parser;

/// Command-line tools for mmo game servers.
#[derive(Debug, Parser)]
#[command(name = "mmo", version, about)]
enum Cli {
    // The help texts are the doc comments of the argument structs.
    Chat(chat::ChatArgs),
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    match Cli::parse() {
        Cli::Chat(args) => chat::run(&args),
        Cli::Bench(args) => bench::run(&args),
    }
}
