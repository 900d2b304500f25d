//! `LoginRequestMessage` (field 4) and `RegisterRequestMessage` (5): accounts, through an
//! `AccountStore` when the server has one, and `require_login`'s gate on chat and joins.
//! Each answer comes from another task (the store), so these handlers are the ones that wait.

use mmo_protocol::{LoginRequestMessage, Msg, Packet, RegisterRequestMessage};
use tracing::info;

use super::{Client, Completion, Step};
use crate::metrics::AccountOutcome;
use crate::services::{Account, Login, Registration};

/// The answer to an account request when the server has no `AccountStore`.
const NO_ACCOUNTS: &str = "accounts are not enabled on this server";

/// The answer to chat or a join before a login when `require_login` is on.
pub const LOGIN_FIRST: &str = "log in first: this server requires an account to chat or join rooms";

/// Whether `require_login` holds `packet` back (chat and joins before a login); refuses it
/// with a reason if so.
pub fn held_for_login(client: &mut Client, packet: &Packet) -> bool {
    let held = client.server.config.require_login
        && client.peer.name().is_empty()
        && matches!(packet.msg, Some(Msg::Chat(_) | Msg::JoinRoom(_)));
    if held {
        client
            .server
            .metrics
            .account_requests
            .inc(AccountOutcome::LoginRequired);
        client.refuse(LOGIN_FIRST);
    }
    held
}

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
    let answer = store.login(Login {
        username: login.username,
        password: login.password,
        address: client.peer.address.ip(),
    });
    Step::Await(Box::pin(async move {
        let result = answer.await;
        Box::new(move |client: &mut Client| match result {
            Ok(account) => logged_in(client, &account),
            Err(error) => {
                client
                    .server
                    .metrics
                    .account_requests
                    .inc(AccountOutcome::of_login(&error));
                client.refuse(error);
            }
        }) as Completion
    }))
}

/// A login succeeded: the name, the older connection to the account closed, the answer, and
/// the room told.
fn logged_in(client: &mut Client, account: &Account) {
    if !client.peer.set_name(&account.username) {
        client.refuse("already logged in");
        return;
    }
    let server = std::sync::Arc::clone(&client.server);
    server.metrics.account_requests.inc(AccountOutcome::LoginOk);
    if let Some(older) = server.logged_in.claim(account.id, &client.peer) {
        info!(
            "Client {}: closing Client {} because its account {:?} logged in again",
            client.peer.id, older.id, account.username
        );
        crate::accounts::close_logged_in_elsewhere(&older);
    }
    // The other servers of a cluster close theirs too (nothing on a server on its own).
    server.rooms.claim_account(account.id, &client.peer);
    info!(
        "Client {}: logged in as {:?}",
        client.peer.id, account.username
    );
    client.account = Some(Box::new(super::LoggedInAccount {
        id: account.id,
        color: account.color,
        best_score: u64::try_from(account.best_score).unwrap_or(0),
    }));
    client.send(&Packet::ok());
    match &client.room {
        // The room's members learn the name (behaviour 8): a rename event.
        Some(room) => server.rooms.rename(&client.peer, room),
        // Held out of the lobby until now (`require_login`): it enters under its name. Its
        // `RoomMessage` is the answer to a join, as everywhere: this project's clients join
        // once logged in.
        None => client.enter_lobby(),
    }
    // The tutorial's client plays from its login on (its game scene opens on the Ok).
    super::world::enter_after_login(client);
}

/// Ends the connection's login (the tutorial's client logged out and is back at its login
/// screen, on the same connection): it is a guest again, free to log in or register, and its
/// account is free to log in elsewhere. Its room's members see the name go.
pub fn log_out(client: &mut Client) {
    let Some(account) = client.account.take() else {
        return;
    };
    let server = std::sync::Arc::clone(&client.server);
    server.logged_in.release(account.id, &client.peer);
    server.rooms.release_account(account.id, &client.peer);
    info!(
        "Client {}: logged out of {:?}",
        client.peer.id,
        client.peer.name()
    );
    client.peer.clear_name();
    if let Some(room) = &client.room {
        server.rooms.rename(&client.peer, room);
    }
}

/// Creates an account: `OkResponseMessage` or `DenyResponseMessage`.
pub fn on_register(client: &mut Client, register: RegisterRequestMessage) -> Step {
    let Some(store) = client.server.accounts.clone() else {
        client.refuse(NO_ACCOUNTS);
        return Step::Done;
    };
    let answer = store.register(Registration {
        username: register.username,
        password: register.password,
        color: register.color,
    });
    Step::Await(Box::pin(async move {
        let result = answer.await;
        Box::new(move |client: &mut Client| {
            let metrics = &client.server.metrics;
            match result {
                Ok(()) => {
                    metrics.account_requests.inc(AccountOutcome::RegisterOk);
                    client.send(&Packet::ok());
                }
                Err(error) => {
                    metrics
                        .account_requests
                        .inc(AccountOutcome::of_register(&error));
                    client.refuse(error);
                }
            }
        }) as Completion
    }))
}
