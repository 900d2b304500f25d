//! The plain HTTP answers: the web client, `/health`, `/metrics`, `/api/status`.

use crate::assets;
use crate::http::{RequestHead, Response};
use crate::state::ServerState;

/// Answers every plain HTTP request.
pub fn respond(head: &RequestHead, state: &ServerState) -> Response {
    let is_head = head.method == "HEAD";
    if head.method != "GET" && !is_head {
        return Response::text(405, "only GET and HEAD are served here")
            .header("Allow", "GET, HEAD");
    }
    let response = match head.path.as_str() {
        "/health" => Response::text(200, "ok").header("Cache-Control", "no-store"),
        "/metrics" => Response::new(200)
            .body(
                "text/plain; version=0.0.4; charset=utf-8",
                state.metrics.render_prometheus(state).into_bytes(),
            )
            .header("Cache-Control", "no-store"),
        "/api/status" => Response::new(200)
            .body("application/json", status_json(state).into_bytes())
            .header("Cache-Control", "no-store")
            // Public numbers only: dashboards on other origins may read them.
            .header("Access-Control-Allow-Origin", "*"),
        path => match assets::find(path) {
            Some(asset) if head.header("if-none-match") == Some(asset.etag) => Response::new(304)
                .header("ETag", asset.etag)
                .header("Cache-Control", "no-cache"),
            Some(asset) => Response::new(200)
                .body(assets::content_type(asset.path), asset.body.to_vec())
                .header("ETag", asset.etag)
                .header("Cache-Control", "no-cache")
                .header("X-Content-Type-Options", "nosniff"),
            None => Response::text(404, "no such page"),
        },
    };
    if is_head {
        response.without_body()
    } else {
        response
    }
}

/// The JSON behind `/api/status`: what the web client's status panel shows and the limits it
/// enforces on its input.
fn status_json(state: &ServerState) -> String {
    use std::sync::atomic::Ordering::Relaxed;
    let rates = state.rates.rates();
    let config = &state.config;
    format!(
        concat!(
            "{{\"clients\":{},\"rooms\":{},\"messages_per_second\":{:.3},",
            "\"deliveries_per_second\":{:.3},\"uptime_seconds\":{},\"connections_total\":{},",
            "\"messages_total\":{},",
            "\"limits\":{{\"max_chat_chars\":{},\"max_chat_bytes\":{},\"chat_per_second\":{},",
            "\"chat_burst\":{},\"max_message_bytes\":{},\"max_connections\":{},",
            "\"max_room_name_chars\":{},\"max_room_members\":{},\"join_per_second\":{},",
            "\"join_burst\":{}}}}}"
        ),
        state.sessions.count(),
        state.rooms.count(),
        rates.messages_per_second,
        rates.deliveries_per_second,
        state.uptime().as_secs(),
        state.metrics.sessions_opened.load(Relaxed),
        state.metrics.chats_relayed.load(Relaxed),
        config.max_chat_chars,
        config.max_chat_bytes,
        config.chat_rate,
        config.chat_burst,
        config.max_message_bytes,
        config.max_connections,
        config.max_room_name_chars,
        config.max_room_members,
        config.join_rate,
        config.join_burst,
    )
}
