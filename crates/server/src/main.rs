//! The `mmo-server` binary: settings, logging and signals around `mmo_server::run`.

use std::process::ExitCode;

use mmo_server::{Config, Loaded, PRINT_CONFIG_FLAG};
use tracing::{error, info};

/// The exit code for settings that stop start-up, as for a bad flag (clap's own code).
const EXIT_BAD_CONFIG: u8 = 2;

fn main() -> ExitCode {
    // `mmo-server accounts …`: the operator's account commands, not a server.
    let args: Vec<_> = std::env::args_os().collect();
    if args.get(1).is_some_and(|word| word == "accounts") {
        return mmo_server::accounts_command(&args);
    }
    // Before the settings are read: the default session limit follows the open-file limit.
    mmo_server::raise_open_file_limit();
    let matches = mmo_server::command().get_matches();
    let env_names = std::env::vars_os().map(|(name, _)| name);
    let config =
        match Loaded::<Config>::from_matches(&matches, env_names, |name| std::env::var_os(name)) {
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
    memory::trim_every(config.memory_trim_interval);
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
        // What to open, with the port really bound (`--port 0` picks one).
        if let Ok(bound) = listener.local_addr() {
            for line in config.where_to_connect(bound) {
                info!("{line}");
            }
        }
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

/// Memory freed after a peak, given back to the system.
mod memory {
    use std::time::Duration;

    /// Free bytes the allocator must hold before a check trims: below it, a trim would give
    /// back too little to be worth its walk over the heap.
    pub const TRIM_FREE_BYTES: usize = 4 * 1024 * 1024;

    /// Every `interval` (never when zero), on a thread of its own, returns the allocator's
    /// free pages to the system when it holds more than `TRIM_FREE_BYTES` free.
    pub fn trim_every(interval: Duration) {
        if interval.is_zero() {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("mmo-memory-trim".to_owned())
            .spawn(move || {
                loop {
                    std::thread::sleep(interval);
                    trim();
                }
            });
        if let Err(error) = spawned {
            tracing::warn!("memory will not be given back after peaks: {error}");
        }
    }

    /// glibc's malloc keeps freed memory for reuse and returns only the top of its main heap
    /// by itself; `malloc_trim` returns every whole free page of every arena.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    fn trim() {
        // SAFETY: mallinfo2 only reads the allocator's own statistics, under its own locks,
        // and returns them by value.
        let free = unsafe { libc::mallinfo2() }.fordblks;
        if free > TRIM_FREE_BYTES {
            let started = std::time::Instant::now();
            // SAFETY: malloc_trim only gives free pages back to the kernel (madvise), under
            // the allocator's own locks; no allocation of ours is touched.
            unsafe { libc::malloc_trim(0) };
            tracing::debug!(
                target: "mmo_server::memory",
                "Gave free memory back to the system in {:?} [free_bytes={free}]",
                started.elapsed()
            );
        }
    }

    /// Other allocators decide for themselves.
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    fn trim() {}
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
