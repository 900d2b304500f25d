//! `Services`: the parts of a server that can be swapped for others — where accounts live,
//! what carries room events between servers — and the traits they implement. Everything above (`state`, `handlers`, `session`) reaches
//! them only through these traits.

use std::fmt::Debug;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

pub use mmo_accounts::{Account, AccountError, Hiscore, HiscoreRank};

pub use crate::rooms::{InProcessBroker, RoomBroker};

/// Optional parts a server can be given besides its configuration.
#[derive(Debug, Default, Clone)]
pub struct Services {
    /// Where accounts live; without one, logins and registrations are refused.
    pub accounts: Option<Arc<dyn AccountStore>>,
    /// What carries room events and reserves client IDs; without one, the server's rooms are
    /// its own (`InProcessBroker`).
    pub rooms: Option<Arc<dyn RoomBroker>>,
}

/// A future an `AccountStore` answers with.
pub type AccountFuture<T> = Pin<Box<dyn Future<Output = Result<T, AccountError>> + Send>>;

/// A login, as the server hands it to the store. Its `Debug` leaves the password out.
#[derive(Clone)]
pub struct Login {
    /// The username as the client typed it.
    pub username: String,
    /// The password; never logged.
    pub password: String,
    /// Where the client connected from: failed logins are throttled per address too.
    pub address: IpAddr,
}

/// A registration, as the server hands it to the store. Its `Debug` leaves the password out.
#[derive(Clone)]
pub struct Registration {
    /// The username as the client typed it.
    pub username: String,
    /// The password; never logged.
    pub password: String,
    /// The colour the client chose (`RegisterRequestMessage.color`).
    pub color: i32,
}

impl Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("username", &self.username)
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("username", &self.username)
            .field("color", &self.color)
            .finish_non_exhaustive()
    }
}

/// Where accounts live. The server calls it from a client's session and applies the answer
/// when it comes, while the session goes on reading and writing.
pub trait AccountStore: Send + Sync + Debug + 'static {
    /// Creates an account; does not log in.
    fn register(&self, registration: Registration) -> AccountFuture<()>;
    /// Checks a username and password: the account, or why not.
    fn login(&self, login: Login) -> AccountFuture<Account>;
    /// Whether the store can answer now (its database is up).
    fn available(&self) -> bool;
    /// Raises account `id`'s best score to `score` (a lower one changes nothing). A store
    /// without scores keeps none.
    fn raise_best_score(&self, id: i64, score: u64) -> AccountFuture<()> {
        let _ = (id, score);
        Box::pin(async { Ok(()) })
    }
    /// Up to `limit` rows of the hiscore board from position `offset` (0 = the best).
    fn hiscores(&self, offset: u64, limit: u64) -> AccountFuture<Vec<Hiscore>> {
        let _ = (offset, limit);
        Box::pin(async { Err(AccountError::Unavailable) })
    }
    /// Where the account named `name` (any case, the whole name) stands on the board.
    fn hiscore_rank(&self, name: &str) -> AccountFuture<HiscoreRank> {
        let _ = name;
        Box::pin(async { Err(AccountError::Unavailable) })
    }
}
