//! `ChatMessage` (field 2): a line for the client's room.

use std::sync::atomic::Ordering;

use mmo_protocol::ChatMessage;

use super::{Client, Step, unix_ms};
use crate::logging::Untrusted;
use crate::metrics::Metrics;

/// Relays a line to the rest of the client's room, or refuses it (too long, empty, control
/// characters) with the reason.
pub fn on_chat(client: &mut Client, chat: &ChatMessage) -> Step {
    let metrics = &client.server.metrics;
    match client.server.config.chat_limits().check(&chat.msg) {
        Ok(()) => {
            let delivered = client.room.chat(&client.peer, &chat.msg, unix_ms());
            Metrics::bump(&metrics.chats_relayed);
            metrics.deliveries.fetch_add(delivered, Ordering::Relaxed);
        }
        Err(rejection) => {
            Metrics::bump(&metrics.chats_rejected_invalid);
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
