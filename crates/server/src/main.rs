//! The `mmo-server` binary: settings, logging and signals around `mmo_server::run`.

use std::process::ExitCode;

use mmo_server::{Config, Loaded, PRINT_CONFIG_FLAG};
use tracing::error;

/// The exit code for settings that stop start-up, as for a bad flag (clap's own code).
const EXIT_BAD_CONFIG: u8 = 2;

fn main() -> ExitCode {
    // Before the settings are read: the default session limit follows the open-file limit.
    mmo_server::raise_open_file_limit();
    let matches = mmo_server::command().get_matches();
    let config = match Loaded::<Config>::from_matches(&matches, |name| std::env::var_os(name)) {
        Ok(loaded) if matches.get_flag(PRINT_CONFIG_FLAG) => {
            print!("{}", loaded.to_toml());
            return ExitCode::SUCCESS;
        }
        Ok(loaded) => loaded.config,
        Err(invalid) => {
            eprintln!("error: {invalid}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    // Read here as well as by `run`, so that a bad certificate is a bad setting (exit 2)
    // reported before anything starts.
    if let Err(invalid) = mmo_server::load_tls(&config) {
        eprintln!("error: {invalid}");
        return ExitCode::from(EXIT_BAD_CONFIG);
    }
    let _flush_logs_at_exit = mmo_server::install_logging(config.log_format);
    let address = config.listen_address();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(threads) = config.worker_threads {
        runtime.worker_threads(threads.get());
    }
    let runtime = match runtime.build() {
        Ok(runtime) => runtime,
        Err(error) => {
            error!("cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let listener = match mmo_server::bind(&address).await {
            Ok(listener) => listener,
            Err(error) => {
                error!("cannot listen on {address}: {error}");
                return ExitCode::FAILURE;
            }
        };
        // Accounts connect in the background: a database that is down delays only logins.
        let services = match mmo_server::account_services(&config) {
            Ok(services) => services,
            Err(error) => {
                error!("cannot start accounts: {error}");
                return ExitCode::FAILURE;
            }
        };
        match mmo_server::run_with(listener, config, services, shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                error!("server failed: {error}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Resolves on the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {},
                    _ = terminate.recv() => {},
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("Shutdown signal received");
}
