//! One client's life after it has connected: following the parent's commands, sending when
//! its schedule says, reading what arrives, and how it ended.

use std::ops::ControlFlow;
use std::sync::Arc;

use tokio::sync::watch;

use tokio::time::Instant;

use super::rooms::ClientRooms;
use super::traffic::ClientPhase;
use super::{ClientIndex, Control, Worker};
use crate::bench::conn::{Batch, Conn, ConnError};
use crate::ws::{self};

/// Close code 1000, "normal closure": how the bench ends its connections.
pub(super) const CLOSE_NORMAL: u16 = 1000;

/// "1008 too slow: …" for a close frame the server sent.
pub(super) fn describe_close(close: Option<&(u16, String)>) -> String {
    ws::describe_close_parts(close.map(|(code, reason)| (*code, reason.as_str())))
}

/// How a client's connection ended.
pub(super) enum End {
    /// The worker is shutting down; nothing to report.
    Quiet,
    /// The stream ended without a close frame.
    Ended,
    /// A transport or protocol error.
    Error(String),
    /// A close handshake, described.
    Described(String),
}

impl End {
    pub(super) fn describe(self) -> Option<String> {
        match self {
            Self::Quiet => None,
            Self::Ended => Some("ended without a close frame".to_owned()),
            Self::Error(error) => Some(error),
            Self::Described(description) => Some(description),
        }
    }
}

/// Waits for the next control change, handing the receiver back to be read.
pub(super) async fn next_control(
    mut control: watch::Receiver<Control>,
) -> (
    Result<(), watch::error::RecvError>,
    watch::Receiver<Control>,
) {
    let changed = control.changed().await;
    (changed, control)
}

impl Worker {
    /// One client's life after its ID arrived (and, in a rooms run, its room's answer),
    /// until the connection ends.
    pub(super) async fn run_client(
        &self,
        mut conn: Conn,
        slot: usize,
        client: ClientIndex,
        mut rooms: Option<ClientRooms>,
    ) {
        let healthy = self.is_healthy(client);
        // One future waits for control changes across all turns of the loop, instead of a new
        // one registering and unregistering itself on every wake-up for a read.
        let mut control_changed = Box::pin(next_control(self.control.subscribe()));
        let mut reading = healthy;
        let mut waking = false;
        // Whether the server sends this client its refusals (it has joined a room).
        let mut hears_refusals = rooms.is_some();
        let mut phase: Option<ClientPhase> = None;
        let send_timer = tokio::time::sleep_until(Instant::now());
        tokio::pin!(send_timer);
        let move_timer = tokio::time::sleep_until(Instant::now());
        tokio::pin!(move_timer);
        let mut text = String::new();
        let ending: End = loop {
            let sending = phase.as_ref().is_some_and(ClientPhase::has_more_to_send);
            // One move at a time: the next waits for the answer to the last.
            let moving = phase.as_ref().is_some_and(ClientPhase::has_more_moves)
                && rooms.as_ref().is_some_and(ClientRooms::can_move);
            tokio::select! {
                biased;
                (changed, mut control) = &mut control_changed => {
                    if changed.is_err() {
                        break End::Quiet;
                    }
                    let now_control = control.borrow_and_update().clone();
                    control_changed.set(next_control(control));
                    match now_control {
                        Control::Idle => phase = None,
                        Control::Fanout(active) => {
                            if healthy {
                                let adopted =
                                    ClientPhase::new(active, client, self.setup.rooms.as_ref());
                                if adopted.sender.is_some() && rooms.is_none() && !hears_refusals {
                                    // A part-3 client's refused lines are dropped unsaid: a
                                    // join (to the lobby it is in) shows the server this
                                    // sender understands refusals, so the bench can tell
                                    // refused lines from lost ones. It goes out with the
                                    // first line, ahead of it.
                                    conn.queue_join("");
                                    hears_refusals = true;
                                }
                                if let Some(due) = adopted.next_due() {
                                    send_timer.as_mut().reset(due);
                                }
                                if let Some(due) = adopted.next_move_due() {
                                    move_timer.as_mut().reset(due);
                                }
                                phase = Some(adopted);
                            }
                        }
                        Control::WakeSlow => {
                            if !healthy {
                                reading = true;
                                waking = true;
                            }
                        }
                        Control::CheckRooms => {
                            // Also the end of any phase whose `Idle` this client missed.
                            phase = None;
                            if let Err(error) = self.refresh(&mut conn, rooms.as_mut()).await {
                                break End::Error(ConnError::Io(error).to_string());
                            }
                        }
                        Control::Close => break self.close_gracefully(&mut conn).await,
                    }
                }
                () = &mut send_timer, if sending => {
                    if let Some(phase) = phase.as_mut() {
                        if let Err(error) = self.send_due(&mut conn, phase, &mut text).await {
                            break End::Error(ConnError::Io(error).to_string());
                        }
                        if let Some(due) = phase.next_due() {
                            send_timer.as_mut().reset(due);
                        }
                    }
                }
                () = &mut move_timer, if moving => {
                    if let (Some(phase), Some(rooms)) = (phase.as_mut(), rooms.as_mut()) {
                        if let Err(error) = self.make_move(&mut conn, phase, rooms).await {
                            break End::Error(ConnError::Io(error).to_string());
                        }
                        if let Some(due) = phase.next_move_due() {
                            move_timer.as_mut().reset(due);
                        }
                    }
                }
                batch = conn.read_frames(&self.scratch, {
                    // Every line of one read arrived at the same time.
                    let mut read_at = None;
                    let phase = &mut phase;
                    let rooms = &mut rooms;
                    move |payload| {
                        if healthy {
                            self.on_packet(payload, phase.as_mut(), rooms.as_mut(), &mut read_at);
                        }
                        ControlFlow::Continue(())
                    }
                }), if reading => {
                    match batch {
                        Ok(Batch::More | Batch::Stopped) => {}
                        Ok(Batch::Ended) => break End::Ended,
                        Ok(Batch::Closed(close)) => {
                            let description = format!("close {}", describe_close(close.as_ref()));
                            // Answer with the same code, as tungstenite would, then wait for
                            // the server to end the stream.
                            let code = close.map(|(code, _)| code);
                            conn.queue_close(code.map(|code| (code, "")));
                            break self.finish_close(&mut conn, description).await;
                        }
                        Err(error) => break End::Error(error.to_string()),
                    }
                }
            }
        };
        self.closed(slot);
        if let Some(rooms) = rooms.as_mut() {
            if rooms.awaiting_check {
                self.check_done();
            }
            self.view_settled(rooms);
        }
        if healthy {
            // Whatever this reader was still owed in the current phase will not come.
            if let Some(active) = self.active.borrow().as_ref() {
                let owed = match &phase {
                    Some(mine) if Arc::ptr_eq(&mine.active, active) => {
                        mine.expected.saturating_sub(mine.received)
                    }
                    _ => active.expected_by(client, self.setup.rooms.as_ref()),
                };
                self.outstanding.count_down(owed);
            }
        }
        let closing = matches!(*self.control.borrow(), Control::Close);
        if let Some(description) = ending.describe() {
            let mut stats = self.stats.borrow_mut();
            if waking {
                stats.slow_outcomes.add(&description, 1);
            } else if !closing {
                stats.closes.add(&description, 1);
            }
            drop(stats);
            if closing {
                self.close_outcomes.borrow_mut().add(&description, 1);
            }
        }
        if waking || closing {
            self.pending_ends.count_down(1);
        }
    }

    pub(super) async fn close_gracefully(&self, conn: &mut Conn) -> End {
        conn.queue_close(Some((CLOSE_NORMAL, "bench done")));
        if let Err(error) = conn.flush().await {
            return End::Error(ConnError::Io(error).to_string());
        }
        self.finish_close(conn, "closed by bench".to_owned()).await
    }

    /// Sends the close frame queued, if not sent yet, and reads until the stream ends, so
    /// the close handshake completes.
    pub(super) async fn finish_close(&self, conn: &mut Conn, description: String) -> End {
        let finished = match conn.flush().await {
            Ok(()) => conn.read_to_end(&self.scratch).await,
            Err(error) => Err(error),
        };
        match finished {
            Ok(()) => End::Described(description),
            Err(error) => End::Described(format!("{description}, then {}", ConnError::Io(error))),
        }
    }
}
