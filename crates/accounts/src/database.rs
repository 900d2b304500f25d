//! The accounts database: one code path for SQLite and PostgreSQL (sqlx's `Any` driver, the
//! same SQL for both), the schema applied from embedded migrations, and a watcher that keeps
//! it up: it connects and migrates with backoff at start, and when a query finds the database
//! gone it marks accounts unavailable and reconnects with backoff until it answers again.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Row as _};
use tokio::sync::Notify;
use tracing::{info, warn};

/// Connections to the database at most. Each query is one short statement, so a few serve a
/// login storm (hashing is the bottleneck, not the database); PostgreSQL's default limit is
/// 100 connections, shared by every server of a deployment.
pub const MAX_CONNECTIONS: u32 = 8;
/// How long a query waits for a connection before accounts are taken to be unavailable.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// The first wait before reconnecting to a database that is down; it doubles each try.
pub const FIRST_RETRY: Duration = Duration::from_millis(250);
/// The longest wait between reconnection attempts: a database back up is noticed within this.
pub const MAX_RETRY: Duration = Duration::from_secs(5);

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A database URL the server cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("database must be sqlite://FILE or postgres://USER:PASSWORD@HOST:PORT/NAME, not {0}")]
pub struct BadUrl(pub String);

impl Kind {
    /// The kind of `url`.
    pub fn of(url: &str) -> Result<Self, BadUrl> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(BadUrl(redact(url)))
        }
    }
}

/// `url` with its password (user-info or `password=` parameter) replaced by `***`: what logs
/// and `--print-config` show.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("{user_info}@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}=***")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// Where an SQLite URL's file is, as an absolute path (relative ones are from the working
/// directory); `None` for PostgreSQL or an in-memory database.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("sqlite:")?;
    let path = path.strip_prefix("//").unwrap_or(path);
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    let path = PathBuf::from(path);
    Some(if path.is_absolute() {
        path
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    })
}

/// One stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAccount {
    /// Its ID in the database.
    pub id: i64,
    /// The username as typed at registration.
    pub username: String,
    /// The Argon2id PHC string.
    pub password_hash: String,
    /// The colour chosen at registration (`RegisterRequestMessage.color`).
    pub color: i32,
    /// The best score so far.
    pub best_score: i64,
    /// When it was registered, Unix milliseconds.
    pub created_at_ms: i64,
}

/// Why a query failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A row with that username exists.
    #[error("the username is taken")]
    Duplicate,
    /// The database is not answering (marked down; the watcher reconnects).
    #[error("the database is unavailable: {0}")]
    Down(String),
    /// The database answered with an error.
    #[error("the database refused a query: {0}")]
    Failed(String),
}

/// The database and whether it is up.
#[derive(Debug)]
pub struct Database {
    pool: AnyPool,
    kind: Kind,
    up: AtomicBool,
    /// Queries that failed because the database was not answering.
    pub errors: AtomicU64,
    /// Times it went down.
    pub outages: AtomicU64,
    wake_watcher: Notify,
}

impl Database {
    /// A database for `url`, not yet connected: `watch` connects and migrates it.
    pub fn new(url: &str) -> Result<Arc<Self>, BadUrl> {
        sqlx::any::install_default_drivers();
        let kind = Kind::of(url)?;
        let url = match kind {
            // Created on first start: `mode=rwc` unless the URL says otherwise.
            Kind::Sqlite if !url.contains("mode=") => {
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy(&url)
            .map_err(|_| BadUrl(redact(&url)))?;
        Ok(Arc::new(Self {
            pool,
            kind,
            up: AtomicBool::new(false),
            errors: AtomicU64::new(0),
            outages: AtomicU64::new(0),
            wake_watcher: Notify::new(),
        }))
    }

    /// Whether the database answered its last query.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// Connects and migrates, retrying with backoff; then, each time a query finds the
    /// database down, reconnects with backoff. Runs until the task is aborted.
    pub async fn watch(self: Arc<Self>, shown_as: String) {
        let migrator = match self.kind {
            Kind::Sqlite => &SQLITE_MIGRATIONS,
            Kind::Postgres => &POSTGRES_MIGRATIONS,
        };
        let mut migrated = false;
        loop {
            let mut delay = FIRST_RETRY;
            let mut tries = 0_u32;
            loop {
                let result = if migrated {
                    sqlx::query("SELECT 1")
                        .execute(&self.pool)
                        .await
                        .map(|_| ())
                        .map_err(|error| error.to_string())
                } else {
                    migrator
                        .run(&self.pool)
                        .await
                        .map_err(|error| error.to_string())
                };
                match result {
                    Ok(()) => break,
                    Err(error) => {
                        // The first failure and then every tenth: an outage is visible in
                        // the log without flooding it.
                        if tries % 10 == 0 {
                            warn!(
                                "accounts database {shown_as} is unavailable ({error}); \
                                 retrying in {delay:?}"
                            );
                        }
                        tries += 1;
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(MAX_RETRY);
                    }
                }
            }
            if migrated {
                info!("accounts database {shown_as} is available again");
            } else {
                if self.kind == Kind::Sqlite {
                    // Write-ahead logging: readers do not wait for a writer, and a backup can
                    // be taken while the server runs. Kept in the file once set.
                    if let Err(error) = sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(&self.pool)
                        .await
                    {
                        warn!("accounts database {shown_as} stays in rollback mode: {error}");
                    }
                }
                info!("accounts database {shown_as} is ready");
                migrated = true;
            }
            self.up.store(true, Ordering::Release);
            self.wake_watcher.notified().await;
        }
    }

    /// Turns a sqlx error into ours, marking the database down when it did not answer.
    fn failed(&self, error: &sqlx::Error) -> QueryError {
        if let sqlx::Error::Database(database) = error {
            if database.is_unique_violation() {
                return QueryError::Duplicate;
            }
            // PostgreSQL's "connection exception" and "operator intervention" classes: the
            // server is going away.
            let code = database.code().unwrap_or_default();
            if !(code.starts_with("08") || code.starts_with("57")) {
                return QueryError::Failed(database.to_string());
            }
        }
        self.errors.fetch_add(1, Ordering::Relaxed);
        if self.up.swap(false, Ordering::AcqRel) {
            self.outages.fetch_add(1, Ordering::Relaxed);
            warn!("accounts database went down: {error}");
            self.wake_watcher.notify_one();
        }
        QueryError::Down(error.to_string())
    }

    fn unless_down(&self) -> Result<(), QueryError> {
        if self.is_up() {
            Ok(())
        } else {
            Err(QueryError::Down("not connected".to_owned()))
        }
    }

    /// The account whose lower-cased username is `key`.
    pub async fn find(&self, key: &str) -> Result<Option<StoredAccount>, QueryError> {
        self.unless_down()?;
        let row = sqlx::query(
            "SELECT id, username, password_hash, color, best_score, created_at_ms \
             FROM accounts WHERE username_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(|error| self.failed(&error))?;
        row.map(|row| self.account(&row)).transpose()
    }

    /// Stores a new account.
    pub async fn insert(
        &self,
        username: &str,
        key: &str,
        password_hash: &str,
        color: i32,
    ) -> Result<(), QueryError> {
        self.unless_down()?;
        sqlx::query(
            "INSERT INTO accounts (username, username_key, password_hash, color, best_score, \
             created_at_ms) VALUES ($1, $2, $3, $4, 0, $5)",
        )
        .bind(username)
        .bind(key)
        .bind(password_hash)
        .bind(i64::from(color))
        .bind(unix_ms())
        .execute(&self.pool)
        .await
        .map_err(|error| self.failed(&error))?;
        Ok(())
    }

    /// Every account, by lower-cased username.
    pub async fn list(&self) -> Result<Vec<StoredAccount>, QueryError> {
        self.unless_down()?;
        let rows = sqlx::query(
            "SELECT id, username, password_hash, color, best_score, created_at_ms \
             FROM accounts ORDER BY username_key",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|error| self.failed(&error))?;
        rows.iter().map(|row| self.account(row)).collect()
    }

    /// Removes the account whose lower-cased username is `key`; whether there was one.
    pub async fn remove(&self, key: &str) -> Result<bool, QueryError> {
        self.unless_down()?;
        let done = sqlx::query("DELETE FROM accounts WHERE username_key = $1")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(|error| self.failed(&error))?;
        Ok(done.rows_affected() > 0)
    }

    /// Replaces the password hash of the account whose lower-cased username is `key`; whether
    /// there was one.
    pub async fn set_password_hash(&self, key: &str, hash: &str) -> Result<bool, QueryError> {
        self.unless_down()?;
        let done = sqlx::query("UPDATE accounts SET password_hash = $1 WHERE username_key = $2")
            .bind(hash)
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(|error| self.failed(&error))?;
        Ok(done.rows_affected() > 0)
    }

    /// Raises the best score of account `id` to `score`; a lower score leaves it as it is (a
    /// write that arrives late never lowers a best).
    pub async fn raise_best_score(&self, id: i64, score: i64) -> Result<(), QueryError> {
        self.unless_down()?;
        sqlx::query("UPDATE accounts SET best_score = $1 WHERE id = $2 AND best_score < $1")
            .bind(score)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(|error| self.failed(&error))?;
        Ok(())
    }

    /// At most `limit` accounts that have played (best score above 0), best first, ties by
    /// lower-cased name, from position `offset` (0 = the best): (username, best score).
    pub async fn hiscores(
        &self,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<(String, i64)>, QueryError> {
        self.unless_down()?;
        let rows = sqlx::query(
            "SELECT username, best_score FROM accounts WHERE best_score > 0 \
             ORDER BY best_score DESC, username_key LIMIT $1 OFFSET $2",
        )
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(|error| self.failed(&error))?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("username")
                        .map_err(|error| QueryError::Failed(error.to_string()))?,
                    row.try_get("best_score")
                        .map_err(|error| QueryError::Failed(error.to_string()))?,
                ))
            })
            .collect()
    }

    /// The account whose lower-cased username is `key`, as (its best score, how many accounts
    /// come before it on the hiscore board: a higher best score, or the same and a lower
    /// name).
    pub async fn hiscore_position(&self, key: &str) -> Result<Option<(i64, u64)>, QueryError> {
        self.unless_down()?;
        let Some(row) = sqlx::query("SELECT best_score FROM accounts WHERE username_key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| self.failed(&error))?
        else {
            return Ok(None);
        };
        let score: i64 = row
            .try_get("best_score")
            .map_err(|error| QueryError::Failed(error.to_string()))?;
        let ahead = sqlx::query(
            "SELECT COUNT(*) AS ahead FROM accounts \
             WHERE best_score > $1 OR (best_score = $1 AND username_key < $2)",
        )
        .bind(score)
        .bind(key)
        .fetch_one(&self.pool)
        .await
        .map_err(|error| self.failed(&error))?;
        let ahead: i64 = ahead
            .try_get("ahead")
            .map_err(|error| QueryError::Failed(error.to_string()))?;
        Ok(Some((score, u64::try_from(ahead).unwrap_or(0))))
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn account(&self, row: &AnyRow) -> Result<StoredAccount, QueryError> {
        let read = || -> Result<StoredAccount, sqlx::Error> {
            Ok(StoredAccount {
                id: row.try_get("id")?,
                username: row.try_get("username")?,
                password_hash: row.try_get("password_hash")?,
                // Stored from an `i32`: always fits; anything else reads as no colour.
                color: i32::try_from(row.try_get::<i64, _>("color")?).unwrap_or(0),
                best_score: row.try_get("best_score")?,
                created_at_ms: row.try_get("created_at_ms")?,
            })
        };
        read().map_err(|error| QueryError::Failed(error.to_string()))
    }
}

/// Unix time in milliseconds.
fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_wherever_a_url_holds_one() {
        assert_eq!(
            redact("postgres://mmo:s3cret@db.example:5432/mmo"),
            "postgres://mmo:***@db.example:5432/mmo"
        );
        assert_eq!(
            redact("postgres://mmo@db/mmo?sslmode=require&password=s3cret"),
            "postgres://mmo@db/mmo?sslmode=require&password=***"
        );
        assert_eq!(redact("sqlite://mmo.db"), "sqlite://mmo.db");
    }

    #[test]
    fn urls_are_sqlite_or_postgres() {
        assert_eq!(Kind::of("sqlite://mmo.db"), Ok(Kind::Sqlite));
        assert_eq!(Kind::of("postgresql://x@h/d"), Ok(Kind::Postgres));
        assert_eq!(
            Kind::of("mysql://root:pw@h/d")
                .expect_err("refused")
                .to_string(),
            "database must be sqlite://FILE or postgres://USER:PASSWORD@HOST:PORT/NAME, not \
             mysql://root:***@h/d"
        );
        let file = sqlite_file("sqlite://data/mmo.db?mode=rwc").expect("a file");
        assert!(
            file.is_absolute() && file.ends_with("data/mmo.db"),
            "{file:?}"
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
    }
}
