//! `LoginRequestMessage` (field 4) and `RegisterRequestMessage` (5): accounts, through an
//! `AccountStore` when the server has one. Each answer comes from another task (the store),
//! so these handlers are the ones that wait.

use mmo_protocol::{LoginRequestMessage, Packet, RegisterRequestMessage};

use super::{Client, Completion, Step};

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
            Ok(()) if client.peer.set_name(&username) => {
                client.send(&Packet::ok());
                // The room's members learn the name (behaviour 8): a rename event.
                if let Some(room) = &client.room {
                    client.server.rooms.rename(&client.peer, room);
                }
            }
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
