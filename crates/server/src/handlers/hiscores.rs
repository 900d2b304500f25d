//! The hiscore board (fields 14–18), as the tutorial's client uses it:
//! `HiscoreBoardRequestMessage` gets the top 10, `SearchHiscoreMessage{name}` the ten rows
//! around that player (it is the fourth, or in the top 10), `FinishedBrowsingHiscoresMessage`
//! the client's `IdMessage` again (the tutorial's server sent it on going back to its
//! "connected" state). Ranks are true positions (1 = the best); a search is the whole name in
//! any case, no wildcards. Accounts that have never played are not on the board.

use mmo_protocol::packets::{HiscoreBoardMessage, HiscoreMessage};
use mmo_protocol::{Level, Msg, Packet};

use super::{Client, Completion, Step};
use crate::services::{AccountError, Hiscore, HiscoreRank};

/// Rows in one board.
pub const BOARD_ROWS: u64 = 10;

/// Rows above a searched player on its board (it is the fourth row), as the tutorial showed.
pub const ROWS_ABOVE_FOUND: u64 = 3;

/// The tutorial's answer when the board cannot be read.
const BOARD_FAILED: &str = "Failed to get top scores - please try again later";
/// The tutorial's answer to a search for a name no account has.
const NOT_FOUND: &str = "No player found with that name";
/// The tutorial's answer to a search for an account with no score.
const UNRANKED: &str = "Player is unranked";
/// The answer when the server has no accounts, so no scores.
const NO_ACCOUNTS: &str = "accounts are not enabled on this server";

fn board(client: &Client, rows: Vec<Hiscore>) -> Packet {
    Packet {
        sender_id: client.peer.id.get(),
        msg: Some(Msg::HiscoreBoard(HiscoreBoardMessage {
            hiscores: rows
                .into_iter()
                .map(|row| HiscoreMessage {
                    rank: row.rank,
                    name: row.username,
                    score: row.score,
                })
                .collect(),
        })),
    }
}

fn answer(result: Result<Vec<Hiscore>, AccountError>, failure: &'static str) -> Completion {
    Box::new(move |client: &mut Client| match result {
        Ok(rows) => {
            let packet = board(client, rows);
            client.send(&packet);
        }
        Err(_) => client.refuse(failure),
    })
}

/// `HiscoreBoardRequestMessage`: the top 10.
pub fn on_board_request(client: &mut Client) -> Step {
    let Some(store) = client.server.accounts.clone() else {
        client.refuse(NO_ACCOUNTS);
        return Step::Done;
    };
    let rows = store.hiscores(0, BOARD_ROWS);
    Step::Await(Box::pin(async move { answer(rows.await, BOARD_FAILED) }))
}

/// `SearchHiscoreMessage{name}`: the board around that player.
pub fn on_search(client: &mut Client, name: &str) -> Step {
    let Some(store) = client.server.accounts.clone() else {
        client.refuse(NO_ACCOUNTS);
        return Step::Done;
    };
    let rank = store.hiscore_rank(name);
    Step::Await(Box::pin(async move {
        match rank.await {
            Ok(HiscoreRank::Ranked(rank)) => {
                let from = rank.saturating_sub(ROWS_ABOVE_FOUND + 1);
                answer(store.hiscores(from, BOARD_ROWS).await, BOARD_FAILED)
            }
            Ok(HiscoreRank::NoSuchPlayer) => {
                Box::new(|client: &mut Client| client.refuse(NOT_FOUND)) as Completion
            }
            Ok(HiscoreRank::Unranked) => Box::new(|client: &mut Client| client.refuse(UNRANKED)),
            Err(_) => Box::new(|client: &mut Client| client.refuse(BOARD_FAILED)),
        }
    }))
}

/// `FinishedBrowsingHiscoresMessage`: the tutorial's client goes back to its first screen,
/// and gets its `IdMessage` again as from the tutorial's server (it ignores it there).
pub fn on_finished(client: &mut Client) -> Step {
    if client.peer.level() == Level::Tutorial {
        let id = client.peer.id;
        client.send(&Packet::id_assignment(id));
    }
    Step::Done
}
