//! Server counters: cheap atomic increments on the hot path, rendered as Prometheus text for
//! `/metrics` and as JSON for `/api/status`.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Every counter the server keeps. All are totals since start except `sessions`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// TCP connections accepted (HTTP and WebSocket).
    pub connections_accepted: AtomicU64,
    /// WebSocket sessions opened.
    pub sessions_opened: AtomicU64,
    /// Upgrades refused with 503 because `max_connections` sessions were open.
    pub refused_at_capacity: AtomicU64,
    /// Accept calls that failed (for example out of file descriptors).
    pub accept_errors: AtomicU64,
    /// HTTP requests answered without an upgrade.
    pub http_requests: AtomicU64,
    /// Connections refused before a session: a malformed, oversize or late request head, a
    /// bad upgrade request, or a browser origin not allowed. The log line says which.
    pub requests_refused: AtomicU64,
    /// Data messages received from clients.
    pub messages_received: AtomicU64,
    /// Chat lines relayed (each counted once, however many received it).
    pub chats_relayed: AtomicU64,
    /// Frames queued to recipients by relays: one per chat per recipient.
    pub deliveries: AtomicU64,
    /// Messages that were not a valid `Packet`.
    pub decode_errors: AtomicU64,
    /// Packets of a kind clients may not send (such as `IdMessage`), dropped.
    pub ignored_packets: AtomicU64,
    /// Chat lines refused for their length or emptiness.
    pub chats_rejected_invalid: AtomicU64,
    /// Chat lines refused by the rate limit.
    pub chats_rejected_rate: AtomicU64,
    /// Sessions closed because the client fell too far behind.
    pub closed_too_slow: AtomicU64,
    /// Sessions closed because the client went silent.
    pub closed_idle: AtomicU64,
    /// Sessions closed for an oversize message.
    pub closed_too_big: AtomicU64,
    /// Sessions closed for another protocol violation.
    pub closed_protocol_error: AtomicU64,
    /// Sessions that ended for any reason.
    pub sessions_closed: AtomicU64,
    /// Connections refused at accept because their address had too many connections or
    /// connected too fast (HTTP 429).
    pub refused_per_address: AtomicU64,
    /// Connections dropped before sending their request, to make room for new ones.
    pub handshakes_evicted: AtomicU64,
    /// Connection tasks that panicked (a server bug; the client was disconnected).
    pub tasks_panicked: AtomicU64,
    /// Sessions that ended without their task finishing: panicked, or aborted at shutdown.
    pub sessions_aborted: AtomicU64,
    /// Refusals not sent because the client does not know `DenyResponseMessage`.
    pub refusals_unsent: AtomicU64,
    /// Room changes.
    pub joins: AtomicU64,
    /// Room changes refused (bad name, full room, too many rooms, too many joins).
    pub joins_refused: AtomicU64,
}

impl Metrics {
    /// Adds one to `counter`.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Sessions open now.
    pub fn sessions_open(&self) -> u64 {
        let opened = self.sessions_opened.load(Ordering::Relaxed);
        opened.saturating_sub(self.sessions_closed.load(Ordering::Relaxed))
    }

    fn counters(&self) -> [(&'static str, &'static str, &AtomicU64); 25] {
        [
            (
                "mmo_connections_accepted_total",
                "TCP connections accepted",
                &self.connections_accepted,
            ),
            (
                "mmo_sessions_opened_total",
                "WebSocket sessions opened",
                &self.sessions_opened,
            ),
            (
                "mmo_sessions_closed_total",
                "WebSocket sessions ended",
                &self.sessions_closed,
            ),
            (
                "mmo_refused_at_capacity_total",
                "upgrades refused with 503 at max_connections",
                &self.refused_at_capacity,
            ),
            (
                "mmo_accept_errors_total",
                "failed accept calls",
                &self.accept_errors,
            ),
            (
                "mmo_http_requests_total",
                "plain HTTP requests answered",
                &self.http_requests,
            ),
            (
                "mmo_requests_refused_total",
                "connections refused before a session (bad request head, bad upgrade, origin)",
                &self.requests_refused,
            ),
            (
                "mmo_messages_received_total",
                "data messages received from clients",
                &self.messages_received,
            ),
            (
                "mmo_chats_relayed_total",
                "chat lines relayed",
                &self.chats_relayed,
            ),
            (
                "mmo_deliveries_total",
                "frames queued to recipients by relays",
                &self.deliveries,
            ),
            (
                "mmo_decode_errors_total",
                "messages that were not a valid Packet",
                &self.decode_errors,
            ),
            (
                "mmo_ignored_packets_total",
                "packets of a kind clients may not send",
                &self.ignored_packets,
            ),
            (
                "mmo_chats_rejected_invalid_total",
                "chat lines refused for length or emptiness",
                &self.chats_rejected_invalid,
            ),
            (
                "mmo_chats_rejected_rate_total",
                "chat lines refused by the rate limit",
                &self.chats_rejected_rate,
            ),
            (
                "mmo_closed_too_slow_total",
                "sessions closed for falling behind",
                &self.closed_too_slow,
            ),
            (
                "mmo_closed_idle_total",
                "sessions closed for silence",
                &self.closed_idle,
            ),
            (
                "mmo_closed_too_big_total",
                "sessions closed for an oversize message",
                &self.closed_too_big,
            ),
            (
                "mmo_closed_protocol_error_total",
                "sessions closed for a protocol violation",
                &self.closed_protocol_error,
            ),
            (
                "mmo_refused_per_address_total",
                "connections refused with 429: too many or too fast from one address",
                &self.refused_per_address,
            ),
            (
                "mmo_handshakes_evicted_total",
                "connections dropped before their request to make room for new ones",
                &self.handshakes_evicted,
            ),
            (
                "mmo_tasks_panicked_total",
                "connection tasks that panicked",
                &self.tasks_panicked,
            ),
            (
                "mmo_sessions_aborted_total",
                "sessions ended by a panic or by the shutdown timeout",
                &self.sessions_aborted,
            ),
            (
                "mmo_refusals_unsent_total",
                "refusals not sent to clients that do not know DenyResponseMessage",
                &self.refusals_unsent,
            ),
            ("mmo_joins_total", "room changes", &self.joins),
            (
                "mmo_joins_refused_total",
                "room changes refused",
                &self.joins_refused,
            ),
        ]
    }

    /// The Prometheus text exposition of every counter, plus the gauges of `state`.
    pub fn render_prometheus(&self, state: &crate::state::ServerState) -> String {
        let admission = state.admission.counts();
        let gauges = [
            (
                "mmo_rooms",
                "rooms now, the lobby included",
                state.rooms.count(),
            ),
            (
                "mmo_open_sockets",
                "sockets open now (sessions, requests, pending handshakes)",
                admission.open,
            ),
            (
                "mmo_pending_handshakes",
                "connections that have not finished their request",
                admission.pending,
            ),
        ];
        let mut out = self.render_counters(state.uptime().as_secs());
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }

    fn render_counters(&self, uptime_seconds: u64) -> String {
        let mut out = String::new();
        for (name, help, counter) in self.counters() {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP mmo_sessions WebSocket sessions open now\n# TYPE mmo_sessions gauge\nmmo_sessions {}",
            self.sessions_open()
        );
        let _ = writeln!(
            out,
            "# HELP mmo_uptime_seconds seconds since the server started\n# TYPE mmo_uptime_seconds gauge\nmmo_uptime_seconds {uptime_seconds}"
        );
        out
    }
}

/// How many one-second samples the rate window spans.
const RATE_WINDOW_SECONDS: usize = 5;

/// Per-second rates of two counters over the last few seconds, sampled by a ticker so that
/// any number of status readers see the same figures.
#[derive(Debug)]
pub struct RateMeter {
    samples: Mutex<std::collections::VecDeque<RateSample>>,
}

#[derive(Debug, Clone, Copy)]
struct RateSample {
    at: Instant,
    chats: u64,
    deliveries: u64,
}

/// Chats and deliveries per second.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rates {
    /// Chat lines relayed per second.
    pub messages_per_second: f64,
    /// Frames delivered to recipients per second.
    pub deliveries_per_second: f64,
}

impl RateMeter {
    /// A meter with no samples yet.
    pub fn new() -> Self {
        Self {
            samples: Mutex::new(std::collections::VecDeque::with_capacity(
                RATE_WINDOW_SECONDS + 1,
            )),
        }
    }

    /// Records the counters' values now; call about once a second.
    pub fn sample(&self, metrics: &Metrics, at: Instant) {
        let mut samples = self
            .samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if samples.len() > RATE_WINDOW_SECONDS {
            samples.pop_front();
        }
        samples.push_back(RateSample {
            at,
            chats: metrics.chats_relayed.load(Ordering::Relaxed),
            deliveries: metrics.deliveries.load(Ordering::Relaxed),
        });
    }

    /// Rates between the oldest and newest samples.
    pub fn rates(&self) -> Rates {
        let samples = self
            .samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (Some(first), Some(last)) = (samples.front(), samples.back()) else {
            return Rates::default();
        };
        let seconds = last.at.saturating_duration_since(first.at).as_secs_f64();
        if seconds <= 0.0 {
            return Rates::default();
        }
        Rates {
            messages_per_second: (last.chats - first.chats) as f64 / seconds,
            deliveries_per_second: (last.deliveries - first.deliveries) as f64 / seconds,
        }
    }
}

impl Default for RateMeter {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn prometheus_text_has_every_counter() {
        let metrics = Metrics::default();
        Metrics::bump(&metrics.deliveries);
        let text = metrics.render_counters(7);
        assert!(text.contains("\nmmo_deliveries_total 1\n"));
        assert!(text.contains("\nmmo_uptime_seconds 7\n"));
        assert_eq!(text.matches("# TYPE").count(), 27);
    }

    #[test]
    fn rates_come_from_the_window() {
        let metrics = Metrics::default();
        let meter = RateMeter::new();
        let start = Instant::now();
        meter.sample(&metrics, start);
        metrics.chats_relayed.store(10, Ordering::Relaxed);
        metrics.deliveries.store(30, Ordering::Relaxed);
        meter.sample(&metrics, start + Duration::from_secs(2));
        assert_eq!(
            meter.rates(),
            Rates {
                messages_per_second: 5.0,
                deliveries_per_second: 15.0
            }
        );
    }
}
