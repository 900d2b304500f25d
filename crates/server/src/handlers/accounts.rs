//! `LoginRequestMessage` (field 4) and `RegisterRequestMessage` (5): accounts, through an
//! `AccountStore` when the server has one. Each answer comes from another task (the store),
//! so these handlers are the ones that wait.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;

use mmo_protocol::{LoginRequestMessage, Packet, RegisterRequestMessage};

use super::{Client, Completion, Step};

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

/// The answer to an account request when the server has no `AccountStore`.
const NO_ACCOUNTS: &str = "accounts are not enabled on this server";

/// Logs the connection into an account: `OkResponseMessage`, after which the client's name is
/// the username everywhere, or `DenyResponseMessage`.
pub fn on_login(client: &mut Client, login: LoginRequestMessage) -> Step {
    let Some(store) = client.server.accounts.clone() else {
        client.refuse(NO_ACCOUNTS);
        return Step::Done;
    };
    if !client.peer.name().is_empty() {
        client.refuse("already logged in");
        return Step::Done;
    }
    let username = login.username;
    let answer = store.login(username.clone(), login.password);
    Step::Await(Box::pin(async move {
        let result = answer.await;
        Box::new(move |client: &mut Client| match result {
            Ok(()) if client.peer.set_name(&username) => client.send(&Packet::ok()),
            Ok(()) => client.refuse("already logged in"),
            Err(error) => client.refuse(error),
        }) as Completion
    }))
}

/// Creates an account: `OkResponseMessage` or `DenyResponseMessage`.
pub fn on_register(client: &mut Client, register: RegisterRequestMessage) -> Step {
    let Some(store) = client.server.accounts.clone() else {
        client.refuse(NO_ACCOUNTS);
        return Step::Done;
    };
    let answer = store.register(register.username, register.password, register.color);
    Step::Await(Box::pin(async move {
        let result = answer.await;
        Box::new(move |client: &mut Client| match result {
            Ok(()) => client.send(&Packet::ok()),
            Err(error) => client.refuse(error),
        }) as Completion
    }))
}
