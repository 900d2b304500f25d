//! `ChatMessage` (field 2): a line for the client's room.

use mmo_protocol::ChatMessage;

use super::{Client, Step, unix_ms};
use crate::logging::Untrusted;
use crate::metrics::MessageRefusal;

/// Relays a line to the rest of the client's room, or refuses it (too long, empty, control
/// characters) with the reason.
pub fn on_chat(client: &mut Client, chat: &ChatMessage) -> Step {
    let metrics = &client.server.metrics;
    let Some(room) = client.room.clone() else {
        client.refuse("you are not in a room yet");
        return Step::Done;
    };
    match client.server.config.chat_limits().check(&chat.msg) {
        Ok(()) => {
            let delivered = client
                .server
                .rooms
                .chat(&room, &client.peer, &chat.msg, unix_ms());
            metrics.chats_relayed.inc();
            metrics.deliveries.inc_by(delivered);
        }
        Err(rejection) => {
            metrics.messages_refused.inc(MessageRefusal::ChatInvalid);
            let id = client.peer.id;
            client.warn(format_args!(
                "Client {id}: refusing a chat line ({rejection}): {}",
                Untrusted(&chat.msg)
            ));
            client.refuse(rejection);
        }
    }
    Step::Done
}
