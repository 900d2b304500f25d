//! `mmo-gdgen [--check] [--target godot4|godot3] [--proto-dir DIR] [--out FILE]`: writes
//! `godot/packets.gd` from `proto/`, or with `--check` fails when the committed file differs
//! from what it would write.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str =
    "usage: mmo-gdgen [--check] [--target godot4|godot3] [--proto-dir DIR] [--out FILE]
  Regenerates godot/packets.gd from proto/*.proto (paths default to the workspace's).
  --check      write nothing; exit 1 if FILE is missing or stale
  --target     godot4 (default) or godot3: the same code in Godot 3.2+ spelling";

struct Options {
    check: bool,
    target: mmo_gdgen::Target,
    proto_dir: PathBuf,
    out: PathBuf,
}

fn parse_options() -> Result<Options, String> {
    let root = mmo_gdgen::workspace_root();
    let mut options = Options {
        check: false,
        target: mmo_gdgen::Target::Godot4,
        proto_dir: root.join("proto"),
        out: root.join("godot/packets.gd"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => options.check = true,
            "--target" => {
                options.target = match args.next().as_deref() {
                    Some("godot4") => mmo_gdgen::Target::Godot4,
                    Some("godot3") => mmo_gdgen::Target::Godot3,
                    _ => return Err("--target needs godot4 or godot3".to_owned()),
                };
            }
            "--proto-dir" => {
                options.proto_dir = args.next().ok_or("--proto-dir needs a directory")?.into();
            }
            "--out" => options.out = args.next().ok_or("--out needs a file")?.into(),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

fn run(options: &Options) -> Result<ExitCode, String> {
    let display_dir = options.proto_dir.file_name().map_or_else(
        || "proto".to_owned(),
        |name| name.to_string_lossy().into_owned(),
    );
    let generated = mmo_gdgen::generate_for(&options.proto_dir, &display_dir, options.target)
        .map_err(|error| error.to_string())?;
    let out = options.out.display();
    if options.check {
        let committed = std::fs::read_to_string(&options.out).unwrap_or_default();
        if committed == generated {
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "mmo-gdgen: {out} is stale: it does not match {}/*.proto.\n\
             Run `cargo run -p mmo-gdgen` and commit the result.",
            options.proto_dir.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    std::fs::write(&options.out, generated)
        .map_err(|error| format!("cannot write {out}: {error}"))?;
    println!("mmo-gdgen: wrote {out}");
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("mmo-gdgen: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("mmo-gdgen: {message}");
            ExitCode::FAILURE
        }
    }
}
