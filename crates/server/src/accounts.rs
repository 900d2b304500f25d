//! The server's side of accounts: starting `mmo_accounts` from the settings (the store behind
//! `AccountStore`), which connection each account is logged in on, and the operator's
//! `mmo-server accounts …` commands.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use mmo_accounts::{Account, Accounts, Settings, StartError, ThrottlePolicy};
use tracing::info;

use crate::config::Config;
use crate::handlers::{AccountFuture, AccountStore, Login, Registration};
use crate::session::Peer;
use crate::state::Services;

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
}
