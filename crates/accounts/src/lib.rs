//! Player accounts for the mmo server: registering and logging in (`Accounts`), stored in
//! SQLite or PostgreSQL (`database`), passwords hashed with Argon2id on a small pool of
//! low-priority threads (`hashing`), usernames and passwords checked against documented rules
//! (`rules`), and guessing slowed per address and per account (`throttle`).
//!
//! Nothing here knows about connections or the wire: the server asks and tells its clients.

pub mod database;
pub mod hashing;
pub mod rules;
pub mod throttle;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;
use tracing::error;

pub use database::{BadUrl, Kind, redact, sqlite_file};
pub use hashing::PoolError;
pub use rules::Username;
pub use throttle::ThrottlePolicy;

use database::{Database, QueryError};
use hashing::HashPool;
use throttle::Throttle;

/// Why an account request failed; `Display` is what the player is told (the tutorial's own
/// wording where it has one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// Unknown username or wrong password: the same answer, in the same time, for both, so a
    /// guesser cannot learn which usernames exist.
    #[error("Incorrect username or password")]
    WrongCredentials,
    /// Registering a name that is taken (whatever its case).
    #[error("User already exists")]
    NameTaken,
    /// A username or password that breaks a rule, and which.
    #[error("{0}")]
    Invalid(String),
    /// Too many failed logins from this address or for this account.
    #[error("Too many failed logins: try again in {seconds} s")]
    Throttled {
        /// Whole seconds until a login may be tried again (rounded up).
        seconds: u64,
    },
    /// Every hashing thread is busy and the queue is full.
    #[error("The server is busy: try again in a moment")]
    Busy,
    /// The database is down or failed; the player is told only that, the log says more.
    #[error("accounts are unavailable, try again shortly")]
    Unavailable,
    /// An operator named an account that does not exist.
    #[error("no account is called {0:?}")]
    NoSuchAccount(String),
}

/// An account a connection logged into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its ID in the database: the same account whatever connection logs into it.
    pub id: i64,
    /// Its username as typed at registration: the name others see.
    pub username: String,
    /// The colour chosen at registration.
    pub color: i32,
    /// The best score so far.
    pub best_score: i64,
}

/// An account as the operator's `accounts list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    /// Its username as typed at registration.
    pub username: String,
    /// The colour chosen at registration.
    pub color: i32,
    /// The best score so far.
    pub best_score: i64,
    /// When it was registered, Unix milliseconds.
    pub created_at_ms: i64,
}

/// One row of the hiscore board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hiscore {
    /// Its true position, 1 = the best.
    pub rank: u64,
    /// The username as typed at registration.
    pub username: String,
    /// The best score.
    pub score: u64,
}

/// Where an account stands on the hiscore board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HiscoreRank {
    /// No account has that name.
    NoSuchPlayer,
    /// The account has not played yet (best score 0): it is not on the board.
    Unranked,
    /// Its true position, 1 = the best.
    Ranked(u64),
}

/// How accounts are kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `sqlite://FILE` or `postgres://…`.
    pub database: String,
    /// Password hashing threads.
    pub hash_threads: usize,
    /// Logins and registrations waiting for a hashing thread at most.
    pub hash_queue: usize,
    /// How failed logins are slowed.
    pub throttle: ThrottlePolicy,
}

/// Counts for the server's metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Whether the database is answering.
    pub available: bool,
    /// Queries that failed because the database was not answering.
    pub database_errors: u64,
    /// Times the database went down.
    pub outages: u64,
}

/// Player accounts: cheap to clone, shared by every connection.
#[derive(Debug, Clone)]
pub struct Accounts {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    database: Arc<Database>,
    hashing: HashPool,
    throttle: Throttle,
    watcher: JoinHandle<()>,
    shown_as: String,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

/// Why accounts could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database URL is not one the server can use.
    #[error(transparent)]
    BadUrl(#[from] BadUrl),
    /// The hashing threads could not be started.
    #[error("cannot start the password hashing threads: {0}")]
    Threads(#[from] std::io::Error),
}

impl Accounts {
    /// Starts accounts on `settings.database`: returns at once, connecting (and creating and
    /// migrating the database) in the background, with retries, on the current tokio
    /// runtime. Until the database answers, requests are refused as `Unavailable`.
    pub fn start(settings: &Settings) -> Result<Self, StartError> {
        let database = Database::new(&settings.database)?;
        let shown_as = describe(&settings.database);
        let watcher = tokio::spawn(Arc::clone(&database).watch(shown_as.clone()));
        Ok(Self {
            inner: Arc::new(Inner {
                hashing: HashPool::start(settings.hash_threads, settings.hash_queue)?,
                throttle: Throttle::new(settings.throttle),
                database,
                watcher,
                shown_as,
            }),
        })
    }

    /// Where accounts are kept, as the log says it: an SQLite file's absolute path, or a
    /// PostgreSQL URL without its password.
    pub fn location(&self) -> &str {
        &self.inner.shown_as
    }

    /// Whether the database is answering.
    pub fn available(&self) -> bool {
        self.inner.database.is_up()
    }

    /// Waits until the database answers, at most `timeout`; whether it did.
    pub async fn wait_available(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while !self.available() {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    /// Counts for metrics.
    pub fn stats(&self) -> Stats {
        let database = &self.inner.database;
        Stats {
            available: database.is_up(),
            database_errors: database.errors.load(Ordering::Relaxed),
            outages: database.outages.load(Ordering::Relaxed),
        }
    }

    /// Creates an account. Does not log anyone in.
    pub async fn register(
        &self,
        username: &str,
        password: String,
        color: i32,
    ) -> Result<(), AccountError> {
        let name = Username::parse(username)?;
        rules::check_password(&password)?;
        let database = &self.inner.database;
        // Checked before hashing so a taken name costs no hash; the insert checks again.
        if database
            .find(&name.key)
            .await
            .map_err(unavailable)?
            .is_some()
        {
            return Err(AccountError::NameTaken);
        }
        let hash = self
            .inner
            .hashing
            .run(move || hashing::hash(&password))
            .await
            .map_err(busy)?
            .map_err(|error| {
                error!("cannot hash a password: {error}");
                AccountError::Unavailable
            })?;
        match database
            .insert(&name.display, &name.key, &hash, color)
            .await
        {
            Ok(()) => Ok(()),
            Err(QueryError::Duplicate) => Err(AccountError::NameTaken),
            Err(error) => Err(unavailable(error)),
        }
    }

    /// Checks a login from `address`: the account, or why not. An unknown username and a
    /// wrong password get the same answer after the same work.
    pub async fn login(
        &self,
        username: &str,
        password: String,
        address: IpAddr,
    ) -> Result<Account, AccountError> {
        let inner = &self.inner;
        if !self.available() {
            return Err(AccountError::Unavailable);
        }
        let key = rules::key_of(username);
        let attempt = inner
            .throttle
            .begin(address, &key, Instant::now())
            .map_err(|wait| AccountError::Throttled {
                seconds: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            })?;
        let stored = match inner.database.find(&key).await {
            Ok(stored) => stored,
            Err(error) => {
                inner.throttle.abandoned(&attempt);
                return Err(unavailable(error));
            }
        };
        let hash = stored.as_ref().map(|account| account.password_hash.clone());
        let matches = match inner
            .hashing
            .run(move || hashing::verify(hash.as_deref(), &password))
            .await
        {
            Ok(matches) => matches,
            Err(error) => {
                inner.throttle.abandoned(&attempt);
                return Err(busy(error));
            }
        };
        match stored {
            Some(account) if matches => {
                inner.throttle.succeeded(&attempt);
                Ok(Account {
                    id: account.id,
                    username: account.username,
                    color: account.color,
                    best_score: account.best_score,
                })
            }
            _ => {
                inner.throttle.failed(&attempt, Instant::now());
                Err(AccountError::WrongCredentials)
            }
        }
    }

    /// Every account, by username (for operators).
    pub async fn list(&self) -> Result<Vec<AccountSummary>, AccountError> {
        let accounts = self.inner.database.list().await.map_err(unavailable)?;
        Ok(accounts
            .into_iter()
            .map(|account| AccountSummary {
                username: account.username,
                color: account.color,
                best_score: account.best_score,
                created_at_ms: account.created_at_ms,
            })
            .collect())
    }

    /// Removes an account (for operators).
    pub async fn remove(&self, username: &str) -> Result<(), AccountError> {
        let key = rules::key_of(username);
        if self
            .inner
            .database
            .remove(&key)
            .await
            .map_err(unavailable)?
        {
            Ok(())
        } else {
            Err(AccountError::NoSuchAccount(username.to_owned()))
        }
    }

    /// Gives an account a new password (for operators); the password rules apply.
    pub async fn set_password(&self, username: &str, password: String) -> Result<(), AccountError> {
        rules::check_password(&password)?;
        let key = rules::key_of(username);
        let hash = self
            .inner
            .hashing
            .run(move || hashing::hash(&password))
            .await
            .map_err(busy)?
            .map_err(|_| AccountError::Unavailable)?;
        if self
            .inner
            .database
            .set_password_hash(&key, &hash)
            .await
            .map_err(unavailable)?
        {
            Ok(())
        } else {
            Err(AccountError::NoSuchAccount(username.to_owned()))
        }
    }

    /// Raises account `id`'s best score to `score` (never lowers it).
    pub async fn raise_best_score(&self, id: i64, score: u64) -> Result<(), AccountError> {
        let score = i64::try_from(score).unwrap_or(i64::MAX);
        self.inner
            .database
            .raise_best_score(id, score)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Up to `limit` rows of the hiscore board from position `offset` (0 = the best), with
    /// their true ranks (1 = the best): the accounts that have played, best score first,
    /// ties by name.
    pub async fn hiscores(&self, offset: u64, limit: u64) -> Result<Vec<Hiscore>, AccountError> {
        let rows = self
            .inner
            .database
            .hiscores(offset, limit)
            .await
            .map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .zip(offset + 1..)
            .map(|((username, score), rank)| Hiscore {
                rank,
                username,
                score: u64::try_from(score).unwrap_or(0),
            })
            .collect())
    }

    /// Where the account named `name` (any case; the whole name, no wildcards) stands on the
    /// hiscore board.
    pub async fn hiscore_rank(&self, name: &str) -> Result<HiscoreRank, AccountError> {
        let key = rules::key_of(name);
        if key.is_empty() {
            return Ok(HiscoreRank::NoSuchPlayer);
        }
        match self
            .inner
            .database
            .hiscore_position(&key)
            .await
            .map_err(unavailable)?
        {
            None => Ok(HiscoreRank::NoSuchPlayer),
            Some((score, _)) if score <= 0 => Ok(HiscoreRank::Unranked),
            Some((_, ahead)) => Ok(HiscoreRank::Ranked(ahead + 1)),
        }
    }

    /// Closes the database's connections (an operator command's last step).
    pub async fn close(&self) {
        self.inner.database.close().await;
    }
}

/// How the log names `url`: an SQLite file by its absolute path, anything else without its
/// password.
pub fn describe(url: &str) -> String {
    match sqlite_file(url) {
        Some(file) => format!("SQLite file {}", file.display()),
        None => redact(url),
    }
}

/// The SQLite file `url` names, if it names one (for the start-up log and backups).
pub fn file_of(url: &str) -> Option<PathBuf> {
    sqlite_file(url)
}

fn unavailable(error: QueryError) -> AccountError {
    match error {
        QueryError::Duplicate => AccountError::NameTaken,
        QueryError::Down(_) => AccountError::Unavailable,
        QueryError::Failed(reason) => {
            error!("accounts database query failed: {reason}");
            AccountError::Unavailable
        }
    }
}

fn busy(error: PoolError) -> AccountError {
    match error {
        PoolError::Busy => AccountError::Busy,
        PoolError::Stopped => AccountError::Unavailable,
    }
}
