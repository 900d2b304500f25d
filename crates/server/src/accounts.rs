//! The server's side of accounts: starting `mmo_accounts` from the settings (the store behind
//! `AccountStore`), which connection each account is logged in on, and the operator's
//! `mmo-server accounts …` commands.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use mmo_accounts::{Account, Accounts, Settings, StartError, ThrottlePolicy};
use tracing::info;

use crate::config::Config;
use crate::peer::Peer;
use crate::services::Services;
use crate::services::{AccountFuture, AccountStore, Hiscore, HiscoreRank, Login, Registration};

impl AccountStore for Accounts {
    fn register(&self, registration: Registration) -> AccountFuture<()> {
        let accounts = self.clone();
        Box::pin(async move {
            accounts
                .register(
                    &registration.username,
                    registration.password,
                    registration.color,
                )
                .await
        })
    }

    fn login(&self, login: Login) -> AccountFuture<Account> {
        let accounts = self.clone();
        Box::pin(async move {
            accounts
                .login(&login.username, login.password, login.address)
                .await
        })
    }

    fn available(&self) -> bool {
        Accounts::available(self)
    }

    fn raise_best_score(&self, id: i64, score: u64) -> AccountFuture<()> {
        let accounts = self.clone();
        Box::pin(async move { accounts.raise_best_score(id, score).await })
    }

    fn hiscores(&self, offset: u64, limit: u64) -> AccountFuture<Vec<Hiscore>> {
        let accounts = self.clone();
        Box::pin(async move { accounts.hiscores(offset, limit).await })
    }

    fn hiscore_rank(&self, name: &str) -> AccountFuture<HiscoreRank> {
        let accounts = self.clone();
        let name = name.to_owned();
        Box::pin(async move { accounts.hiscore_rank(&name).await })
    }
}

/// The accounts settings `config` gives.
pub fn settings(config: &Config) -> Settings {
    Settings {
        database: config.database.clone(),
        hash_threads: config.hash_threads,
        hash_queue: config.hash_queue,
        throttle: ThrottlePolicy {
            free_failures: config.login_free_failures,
            max_delay: config.login_max_delay,
        },
    }
}

/// The services `config` asks for: accounts on `config.database` (none when it is empty),
/// connecting in the background. Must be called on the runtime the server runs on.
pub fn services(config: &Config) -> Result<Services, StartError> {
    if config.database.is_empty() {
        info!("Accounts are off (database is empty)");
        return Ok(Services::default());
    }
    let accounts = Accounts::start(&settings(config))?;
    info!("Accounts are kept in {}", accounts.location());
    Ok(Services {
        accounts: Some(Arc::new(accounts)),
        ..Services::default()
    })
}

/// Which connection each account is logged in on, so that logging in again closes the older
/// connection. Entries of connections that have ended are dropped as the map grows.
#[derive(Debug, Default)]
pub struct LoggedIn {
    sessions: Mutex<LoggedInMap>,
}

#[derive(Debug, Default)]
struct LoggedInMap {
    by_account: HashMap<i64, Weak<Peer>>,
    /// The map's size after the last sweep of ended connections: the next sweep comes when
    /// it has doubled, so sweeping costs O(1) a login on average.
    swept_at: usize,
}

impl LoggedIn {
    fn lock(&self) -> MutexGuard<'_, LoggedInMap> {
        // Every critical section is a map operation or a sweep that cannot panic.
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records that `peer` is logged into `account`; returns the connection that was, if it
    /// is still open and not `peer`, for the caller to close.
    pub fn claim(&self, account: i64, peer: &Arc<Peer>) -> Option<Arc<Peer>> {
        let mut map = self.lock();
        let older = map
            .by_account
            .insert(account, Arc::downgrade(peer))
            .and_then(|older| older.upgrade())
            .filter(|older| older.id != peer.id && !older.outbox.is_closing());
        if map.by_account.len() > map.swept_at.saturating_mul(2).max(64) {
            map.by_account.retain(|_, peer| peer.strong_count() > 0);
            map.swept_at = map.by_account.len();
        }
        older
    }

    /// Records that `peer` logged out of `account`: the account is free again (a later
    /// login elsewhere closes nothing). Another connection's claim since is left alone.
    pub fn release(&self, account: i64, peer: &Peer) {
        let mut map = self.lock();
        let ours = map
            .by_account
            .get(&account)
            .is_some_and(|held| held.upgrade().is_some_and(|held| held.id == peer.id));
        if ours {
            map.by_account.remove(&account);
        }
    }
}

/// Closes `older`, a connection whose account logged in again (on this server or another of
/// its cluster): a `DisconnectMessage` saying so to a client that knows it, then the close
/// `Disconnect::LoggedInElsewhere`.
pub fn close_logged_in_elsewhere(older: &Peer) {
    if older.understands(mmo_protocol::Level::Tutorial) {
        let reason = crate::disconnect::Disconnect::LoggedInElsewhere.to_string();
        let notice = mmo_protocol::Packet::disconnect_of(older.id, &reason);
        // A full outbox means it is already being closed, with its reason.
        let _ = older.send(crate::websocket::encode_packet_frame(&notice));
    }
    older
        .outbox
        .close(crate::disconnect::Disconnect::LoggedInElsewhere);
}

/// What `mmo-server accounts` says about itself.
pub const ACCOUNTS_USAGE: &str = "\
usage: mmo-server accounts list [SETTINGS]
       mmo-server accounts remove NAME [SETTINGS]
       mmo-server accounts set-password NAME [SETTINGS]

Works on the database the server would use: the database setting from --database URL,
MMO_DATABASE or --config FILE (default sqlite://mmo.db in the working directory).
set-password asks for the new password twice without echo on a terminal, or reads one
line from standard input otherwise (e.g. `echo \"$NEW\" | mmo-server accounts set-password NAME`).";

/// How long an operator command waits for the database.
const COMMAND_DATABASE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// One operator command.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Operation {
    List,
    Remove(String),
    SetPassword(String),
}

/// An operator command that cannot run, and the exit code to end with.
#[derive(Debug)]
struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    /// The operator's mistake (usage, settings): exit 2, as for a bad flag.
    fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 2,
        }
    }

    /// The command could not be carried out: exit 1.
    fn failed(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 1,
        }
    }
}

/// Runs `mmo-server accounts …` (`args` is the whole command line, program name first) and
/// returns the process's exit code: 0 done, 1 failed, 2 bad usage.
pub fn operator_command(args: &[std::ffi::OsString]) -> std::process::ExitCode {
    match run_operator_command(args) {
        Ok(report) => {
            print!("{report}");
            std::process::ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            std::process::ExitCode::from(failure.code)
        }
    }
}

fn run_operator_command(args: &[std::ffi::OsString]) -> Result<String, Failure> {
    use crate::config::Loaded;

    // `PROGRAM accounts WORDS… --setting value…`: the words first, the settings after.
    let program = args.first().cloned().unwrap_or_default();
    let rest = args.get(2..).unwrap_or_default();
    let words: Vec<String> = rest
        .iter()
        .take_while(|arg| !arg.to_string_lossy().starts_with("--"))
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let operation = match words.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["list"] => Operation::List,
        ["remove", name] => Operation::Remove(name.to_owned()),
        ["set-password", name] => Operation::SetPassword(name.to_owned()),
        _ => return Err(Failure::usage(ACCOUNTS_USAGE)),
    };
    let flags = std::iter::once(program).chain(rest[words.len()..].iter().cloned());
    let matches = crate::config::command()
        .try_get_matches_from(flags)
        .map_err(|error| Failure::usage(error.to_string()))?;
    let env_names = std::env::vars_os().map(|(name, _)| name);
    let config = Loaded::<Config>::from_matches(&matches, env_names, |name| std::env::var_os(name))
        .map_err(|invalid| Failure::usage(invalid.to_string()))?
        .config;
    if config.database.is_empty() {
        return Err(Failure::usage(
            "database is empty: accounts are off, there are none to manage",
        ));
    }
    let password = match &operation {
        Operation::SetPassword(name) => Some(read_new_password(name)?),
        _ => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::failed(format!("cannot start the async runtime: {error}")))?;
    runtime.block_on(async {
        let accounts = Accounts::start(&Settings {
            hash_threads: 1,
            ..settings(&config)
        })
        .map_err(|error| Failure::usage(error.to_string()))?;
        if !accounts.wait_available(COMMAND_DATABASE_WAIT).await {
            return Err(Failure::failed(format!(
                "cannot reach the accounts database ({}) within {COMMAND_DATABASE_WAIT:?}",
                accounts.location()
            )));
        }
        let done = carry_out(&accounts, operation, password).await;
        accounts.close().await;
        done
    })
}

async fn carry_out(
    accounts: &Accounts,
    operation: Operation,
    password: Option<String>,
) -> Result<String, Failure> {
    let failed = |error: mmo_accounts::AccountError| Failure::failed(error.to_string());
    match operation {
        Operation::List => {
            use std::fmt::Write as _;
            let list = accounts.list().await.map_err(failed)?;
            let mut out = format!(
                "{:<20}  {:>10}  {:>10}  registered (Unix ms)\n",
                "username", "color", "best"
            );
            for account in &list {
                let _ = writeln!(
                    out,
                    "{:<20}  {:>10}  {:>10}  {}",
                    account.username, account.color, account.best_score, account.created_at_ms
                );
            }
            let _ = writeln!(out, "{} accounts in {}", list.len(), accounts.location());
            Ok(out)
        }
        Operation::Remove(name) => {
            accounts.remove(&name).await.map_err(failed)?;
            Ok(format!("removed account {name:?}\n"))
        }
        Operation::SetPassword(name) => {
            accounts
                .set_password(&name, password.unwrap_or_default())
                .await
                .map_err(failed)?;
            Ok(format!("set a new password for {name:?}\n"))
        }
    }
}

/// The new password: asked twice without echo on a terminal, or one line of standard input.
fn read_new_password(name: &str) -> Result<String, Failure> {
    use std::io::IsTerminal as _;
    let unreadable =
        |error: std::io::Error| Failure::failed(format!("cannot read the password: {error}"));
    if std::io::stdin().is_terminal() {
        let first =
            rpassword::prompt_password(format!("New password for {name}: ")).map_err(unreadable)?;
        let second = rpassword::prompt_password("Again: ").map_err(unreadable)?;
        if first != second {
            return Err(Failure::failed("the two passwords differ"));
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(unreadable)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}
