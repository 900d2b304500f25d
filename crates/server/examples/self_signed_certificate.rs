//! Writes a self-signed TLS certificate for `localhost` and 127.0.0.1, and its key, as PEM
//! files `cert.pem` and `key.pem` in the folder given: for tests that run the server binary
//! with `--tls-cert` and `--tls-key` (web/test/tls.test.mjs) and need no certificate authority.
//!
//! `cargo run -p mmo-server --example self_signed_certificate -- FOLDER`

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(folder) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: self_signed_certificate FOLDER");
        return ExitCode::from(2);
    };
    let made = match rcgen::generate_simple_self_signed(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
    ]) {
        Ok(made) => made,
        Err(error) => {
            eprintln!("cannot make a certificate: {error}");
            return ExitCode::FAILURE;
        }
    };
    let written = std::fs::create_dir_all(&folder)
        .and_then(|()| std::fs::write(folder.join("cert.pem"), made.cert.pem()))
        .and_then(|()| std::fs::write(folder.join("key.pem"), made.signing_key.serialize_pem()));
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cannot write to {}: {error}", folder.display());
            ExitCode::FAILURE
        }
    }
}
