//! `Services`: the parts of a server that can be swapped for others — where accounts live,
//! what carries room events between servers — and the traits they implement. Everything above (`state`, `handlers`, `session`) reaches
//! them only through these traits.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

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

/// Why an account request failed; `Display` is what the player is told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// Unknown username or wrong password: the same answer for both, so a guesser cannot
    /// learn which usernames exist.
    #[error("wrong username or password")]
    WrongCredentials,
    /// Registering a name that is taken.
    #[error("that username is taken")]
    NameTaken,
    /// A username or password the store does not accept, and why.
    #[error("{0}")]
    Invalid(String),
    /// The store failed; the player is told only that, the log says more.
    #[error("accounts are unavailable right now; try again later")]
    Unavailable,
}

/// A future an `AccountStore` answers with.
pub type AccountFuture = Pin<Box<dyn Future<Output = Result<(), AccountError>> + Send>>;

/// Where accounts live. The server calls it from a client's session and applies the answer
/// when it comes, while the session goes on reading and writing.
pub trait AccountStore: Send + Sync + Debug + 'static {
    /// Creates an account.
    fn register(&self, username: String, password: String, color: i32) -> AccountFuture;
    /// Checks a username and password.
    fn login(&self, username: String, password: String) -> AccountFuture;
}
