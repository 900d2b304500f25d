//! Opening this worker's connections: each up to its ID (and, in a rooms run, its first
//! room's answer), at most so many handshakes at once, and what they took.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use tokio::time::Instant;

use super::rooms::Joined;
use super::{ClientIndex, Worker};
use crate::bench::conn::Conn;
use crate::bench::frame::{PacketView, view_packet};
use crate::bench::histogram::Latencies;
use crate::bench::micros;
use crate::bench::wire::{ConnectReport, Tally};
use crate::ws::ConnectOptions;

/// Time allowed from starting a TCP connect to receiving the ID packet. A server that takes
/// longer is overloaded, and that is reported as a failure rather than waited out.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Rooms runs: how long, once every client has joined, the worker waits for each to hear of
/// every arrival in its room. Those are a few milliseconds behind the last answer; a room left
/// short by a failed connection is never complete, and this bounds the wait for it.
pub(super) const VIEW_SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Tallies of connection attempts.
#[derive(Default)]
pub(super) struct ConnectResults {
    pub(super) settled: usize,
    pub(super) latency: Latencies,
    pub(super) join_latency: Latencies,
    pub(super) failures: Tally,
}

impl Worker {
    pub(super) fn options(&self, client: ClientIndex, reuse_addr: bool) -> ConnectOptions {
        let sources = &self.setup.sources;
        let source = (!sources.is_empty())
            .then(|| sources[usize::try_from(client.0 % sources.len() as u64).unwrap_or(0)]);
        ConnectOptions {
            source,
            recv_buffer_bytes: (!self.is_healthy(client))
                .then_some(self.setup.slow_recv_buffer_bytes),
            reuse_addr,
        }
    }

    /// Connects and waits for the ID: the connection counts as open only once the server has
    /// registered it. With `join`, then joins that room and waits for the answer too.
    pub(super) async fn open_connection(
        &self,
        client: ClientIndex,
        reuse_addr: bool,
        join: Option<&str>,
    ) -> Result<(Conn, Duration, Option<Joined>), String> {
        let started = Instant::now();
        let seed = self.opened_ever.get();
        self.opened_ever.set(seed + 1);
        let attempt = async {
            let (url, addr) = self.server_of(client);
            let mut conn = Conn::open(url, addr, &self.options(client, reuse_addr), seed)
                .await
                .map_err(|e| e.label())?;
            // Stop at the ID: what follows it is for `run_client`.
            let id = |payload: &[u8]| matches!(view_packet(payload), Some(PacketView::Id(_)));
            conn.read_until(&self.scratch, "ID", |payload| id(payload).then_some(()))
                .await?;
            let took = started.elapsed();
            let joined = match join {
                Some(room) => Some(self.join_first_room(&mut conn, room).await?),
                None => None,
            };
            Ok((conn, took, joined))
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "no ID{} within {} s",
                if join.is_some() { " or room" } else { "" },
                CONNECT_TIMEOUT.as_secs()
            )),
        }
    }

    pub(super) async fn connect_all(self: Rc<Self>) -> ConnectReport {
        let slots = self.open.borrow().len();
        let gate = Rc::new(Semaphore::new(
            usize::try_from(self.setup.connect_concurrency.max(1)).unwrap_or(1),
        ));
        let results = Rc::new(RefCell::new(ConnectResults::default()));
        let settled = Rc::new(Notify::new());
        for slot in 0..slots {
            let fleet = Rc::clone(&self);
            let gate = Rc::clone(&gate);
            let results = Rc::clone(&results);
            let settled = Rc::clone(&settled);
            tokio::task::spawn_local(async move {
                let client = fleet.client_of_slot(slot);
                // The semaphore is never closed.
                let Ok(permit) = gate.acquire().await else {
                    return;
                };
                let home = fleet.home_room(client);
                let outcome = fleet
                    .open_connection(client, false, home.map(|(_, name)| name))
                    .await
                    .and_then(|(conn, took, joined)| {
                        let rooms = match (home, joined) {
                            (Some((room, _)), Some(joined)) => {
                                Some((fleet.first_room(room, &joined)?, joined.took))
                            }
                            _ => None,
                        };
                        Ok((conn, took, rooms))
                    });
                drop(permit);
                let done = {
                    let mut results = results.borrow_mut();
                    results.settled += 1;
                    match &outcome {
                        Ok((_, took, rooms)) => {
                            results.latency.record_micros(micros(*took));
                            if let Some((_, join_took)) = rooms {
                                results.join_latency.record_micros(micros(*join_took));
                            }
                        }
                        Err(reason) => results.failures.add(reason, 1),
                    }
                    results.settled == slots
                };
                if done {
                    settled.notify_one();
                }
                match outcome {
                    Ok((conn, _, rooms)) => {
                        fleet.opened(slot);
                        fleet
                            .run_client(conn, slot, client, rooms.map(|(rooms, _)| rooms))
                            .await;
                    }
                    Err(_) => fleet.bump(|p| p.connect_failures += 1),
                }
            });
        }
        if slots > 0 {
            settled.notified().await;
        }
        let unsettled_views = if self.setup.rooms.is_some() {
            self.settle_views(VIEW_SETTLE_TIMEOUT).await
        } else {
            0
        };
        let results = results.borrow();
        ConnectReport {
            worker: self.setup.worker,
            attempted: slots as u64,
            connected: slots as u64 - results.failures.total(),
            failures: results.failures.clone(),
            latency: results.latency.to_wire(),
            join_latency: results.join_latency.to_wire(),
            unsettled_views,
        }
    }

    pub(super) fn opened(&self, slot: usize) {
        if let Some(open) = self.open.borrow_mut().get_mut(slot) {
            *open = true;
        }
        self.bump(|p| p.open += 1);
    }

    pub(super) fn closed(&self, slot: usize) {
        if let Some(open) = self.open.borrow_mut().get_mut(slot) {
            *open = false;
        }
        self.bump(|p| p.open = p.open.saturating_sub(1));
    }
}
