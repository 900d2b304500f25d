//! Admission: which accepted sockets the server takes on. It bounds every socket the process
//! holds (so `accept` never runs out of file descriptors), the sockets still sending their
//! request head (globally and per address, dropping the stalest when full), and each address's
//! connections and connection rate. Sessions themselves are bounded by `max_connections`.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::address_prefix::{AddressKey, AddressPrefix};
use crate::config::Config;
use crate::logging::BurstLog;

/// Head timeout for a socket accepted while many others are pending: a real client sends its
/// request head within a round trip of connecting, so two seconds is generous, and an attacker
/// holding sockets open is cut five times sooner than under the normal timeout.
pub const SHORT_HEAD_TIMEOUT: Duration = Duration::from_secs(2);

/// Sockets that may be open beyond the budget for a moment: a socket accepted at the budget
/// takes one of these while the pending socket it displaces closes. Part of
/// `RESERVED_FILE_DESCRIPTORS`.
pub const TRANSIENT_SOCKETS: usize = 32;

/// How long a socket must have been connected without finishing its request before it may be
/// dropped to keep the pending bounds (the socket budget itself is kept whatever the age). A
/// client that has just connected may not have had a chance to send anything yet, above all
/// in a storm of connections on a busy machine; one silent for a second is idle or attacking.
const EVICTABLE_AFTER: Duration = Duration::from_secs(1);

/// Most addresses whose connection rate is remembered at once (about 100 bytes each). Entries
/// are forgotten once their address has no connection and a full bucket.
const MAX_TRACKED_ADDRESSES: usize = 100_000;

/// How long a refusal of each kind is logged once, then counted.
const REFUSAL_LOG_WINDOW: Duration = Duration::from_secs(10);

/// Why a socket was not taken on; each is answered with an HTTP status and `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The process holds as many sockets as it may, none of them pending.
    ServerFull,
    /// The address has `max_connections_per_address` connections.
    AddressBusy {
        /// The limit.
        limit: usize,
    },
    /// The address is connecting faster than `connect_rate_per_address`.
    TooFast {
        /// When a token will be there again.
        retry_after: Duration,
    },
}

impl Refusal {
    /// The HTTP status: 503 when the server is at capacity, 429 when the address is.
    pub fn status(self) -> u16 {
        match self {
            Self::ServerFull => 503,
            Self::AddressBusy { .. } | Self::TooFast { .. } => 429,
        }
    }

    /// Seconds after which trying again may work.
    pub fn retry_after_seconds(self) -> u64 {
        match self {
            Self::ServerFull => 5,
            Self::AddressBusy { .. } => 10,
            Self::TooFast { retry_after } => retry_after.as_secs() + 1,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ServerFull => write!(f, "server full: too many connections, try again later"),
            Self::AddressBusy { limit } => {
                write!(
                    f,
                    "too many connections from your address (at most {limit})"
                )
            }
            Self::TooFast { .. } => write!(f, "connecting too fast from your address"),
        }
    }
}

/// The limits admission enforces, from the configuration and the open-file limit.
#[derive(Debug, Clone)]
pub struct AdmissionLimits {
    /// Most sockets open at once: the open-file limit less what the process needs besides.
    pub socket_budget: usize,
    /// See `Config::max_pending_handshakes`.
    pub max_pending: usize,
    /// See `Config::max_pending_per_address`.
    pub max_pending_per_address: usize,
    /// See `Config::max_connections_per_address`.
    pub max_per_address: usize,
    /// See `Config::connect_rate_per_address`; 0 means no limit.
    pub rate_per_second: f64,
    /// See `Config::connect_burst_per_address`.
    pub burst: u32,
    /// See `Config::address_limit_exempt`.
    pub exempt: Vec<AddressPrefix>,
    /// The head timeout when there is no pressure.
    pub head_timeout: Duration,
}

impl AdmissionLimits {
    /// The limits of `config` with `socket_budget` sockets.
    pub fn new(config: &Config, socket_budget: usize) -> Self {
        Self {
            socket_budget,
            max_pending: config.max_pending_handshakes,
            max_pending_per_address: config.max_pending_per_address,
            max_per_address: config.max_connections_per_address,
            rate_per_second: config.connect_rate_per_address,
            burst: config.connect_burst_per_address,
            exempt: config.address_limit_exempt.clone(),
            head_timeout: config.handshake_timeout,
        }
    }
}

/// Counts of what admission holds, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdmissionCounts {
    /// Sockets open.
    pub open: usize,
    /// Of those, sockets still sending their request head.
    pub pending: usize,
    /// Addresses tracked.
    pub addresses: usize,
}

/// Decides which sockets are taken on; see the module doc.
#[derive(Debug)]
pub struct Admission {
    limits: AdmissionLimits,
    inner: Mutex<Inner>,
    /// One burst log per kind of refusal and one for evictions.
    pub refusal_logs: [BurstLog; 4],
}

#[derive(Debug, Default)]
struct Inner {
    open: usize,
    pending: usize,
    next_ticket: u64,
    addresses: HashMap<AddressKey, AddressEntry>,
}

#[derive(Debug)]
struct AddressEntry {
    open: usize,
    /// Sockets of this address still sending their head, oldest first.
    pending: VecDeque<PendingSocket>,
    tokens: f64,
    refilled_at: Instant,
}

#[derive(Debug)]
struct PendingSocket {
    ticket: u64,
    evict: Arc<Notify>,
    since: Instant,
}

impl Inner {
    /// Tells the oldest pending socket of `key`'s address (or of the address with the most
    /// pending sockets) to give way; returns whether there was one.
    /// The address with the most sockets still sending their request, if any.
    fn busiest_pending_address(&self) -> Option<AddressKey> {
        self.addresses
            .iter()
            .filter(|(_, entry)| !entry.pending.is_empty())
            .max_by_key(|(_, entry)| entry.pending.len())
            .map(|(key, _)| *key)
    }

    fn evict_oldest(&mut self, key: Option<AddressKey>, older_than: Option<Instant>) -> bool {
        let key = key.or_else(|| self.busiest_pending_address());
        let Some(entry) = key.and_then(|key| self.addresses.get_mut(&key)) else {
            return false;
        };
        let old_enough =
            |socket: &PendingSocket| older_than.is_none_or(|limit| socket.since <= limit);
        if !entry.pending.front().is_some_and(old_enough) {
            return false;
        }
        let Some(oldest) = entry.pending.pop_front() else {
            return false;
        };
        // The socket now counts as done pending: it closes as soon as its task sees this.
        self.pending -= 1;
        oldest.evict.notify_one();
        true
    }

    fn forget_settled_addresses(&mut self, limits: &AdmissionLimits, now: Instant) {
        self.addresses.retain(|_, entry| {
            entry.open > 0 || refilled(entry, limits, now) < f64::from(limits.burst)
        });
    }
}

fn refilled(entry: &AddressEntry, limits: &AdmissionLimits, now: Instant) -> f64 {
    let elapsed = now
        .saturating_duration_since(entry.refilled_at)
        .as_secs_f64();
    (entry.tokens + elapsed * limits.rate_per_second).min(f64::from(limits.burst))
}

impl Admission {
    /// Admission with these limits and nothing admitted.
    pub fn new(limits: AdmissionLimits) -> Self {
        Self {
            limits,
            inner: Mutex::new(Inner::default()),
            refusal_logs: std::array::from_fn(|_| BurstLog::new(REFUSAL_LOG_WINDOW)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every critical section leaves the counts consistent before anything can panic.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The burst log for `refusal`'s kind.
    pub fn log_for(&self, refusal: Refusal) -> &BurstLog {
        &self.refusal_logs[match refusal {
            Refusal::ServerFull => 0,
            Refusal::AddressBusy { .. } => 1,
            Refusal::TooFast { .. } => 2,
        }]
    }

    /// The burst log for sockets dropped to make room.
    pub fn eviction_log(&self) -> &BurstLog {
        &self.refusal_logs[3]
    }

    /// Takes on a socket just accepted from `address`, or says why not. The returned ticket
    /// counts the socket until it is dropped, and as pending until `handshake_done`.
    pub fn admit(self: &Arc<Self>, address: IpAddr, now: Instant) -> Result<Ticket, Refusal> {
        let limits = &self.limits;
        let key = AddressKey::of(address);
        let exempt = limits.exempt.iter().any(|prefix| prefix.contains(address));
        let mut inner = self.lock();
        let mut evicted = 0;
        if inner.open >= limits.socket_budget {
            // At the budget, a socket still silent gives way to the newcomer, taken from the
            // address holding the most; with none, the newcomer is refused. A newcomer from
            // that very address is refused too: trading its silent sockets for new ones would
            // only use up the transient reserve others need. Past the reserve, refuse anyway.
            let busiest = inner.busiest_pending_address();
            if inner.open >= limits.socket_budget + TRANSIENT_SOCKETS
                || busiest.is_none_or(|busiest| busiest == key)
                || !inner.evict_oldest(busiest, None)
            {
                return Err(Refusal::ServerFull);
            }
            evicted += 1;
        }
        if !inner.addresses.contains_key(&key) && inner.addresses.len() >= MAX_TRACKED_ADDRESSES {
            inner.forget_settled_addresses(limits, now);
            if inner.addresses.len() >= MAX_TRACKED_ADDRESSES {
                return Err(Refusal::ServerFull);
            }
        }
        let entry = inner.addresses.entry(key).or_insert_with(|| AddressEntry {
            open: 0,
            pending: VecDeque::new(),
            tokens: f64::from(limits.burst),
            refilled_at: now,
        });
        if !exempt {
            if limits.rate_per_second > 0.0 {
                entry.tokens = refilled(entry, limits, now);
                entry.refilled_at = now;
                if entry.tokens < 1.0 {
                    let wait = (1.0 - entry.tokens) / limits.rate_per_second;
                    return Err(Refusal::TooFast {
                        retry_after: Duration::try_from_secs_f64(wait).unwrap_or(Duration::MAX),
                    });
                }
            }
            if entry.open >= limits.max_per_address {
                return Err(Refusal::AddressBusy {
                    limit: limits.max_per_address,
                });
            }
            if limits.rate_per_second > 0.0 {
                entry.tokens -= 1.0;
            }
        }
        // Past the pending bounds, a socket silent for a while gives way; when none has been
        // silent long enough, the newcomer is taken on anyway (the socket budget still holds).
        let settled = now.checked_sub(EVICTABLE_AFTER);
        let settled = Some(settled.unwrap_or(now));
        let address_pending = entry.pending.len();
        if !exempt && address_pending >= limits.max_pending_per_address {
            evicted += usize::from(inner.evict_oldest(Some(key), settled));
        }
        if inner.pending >= limits.max_pending {
            evicted += usize::from(inner.evict_oldest(None, settled));
        }
        inner.next_ticket += 1;
        let ticket = inner.next_ticket;
        let evict = Arc::new(Notify::new());
        inner.open += 1;
        inner.pending += 1;
        let under_pressure = inner.pending * 2 >= limits.max_pending;
        let entry = inner.addresses.get_mut(&key).expect("inserted above");
        entry.open += 1;
        entry.pending.push_back(PendingSocket {
            since: now,
            ticket,
            evict: Arc::clone(&evict),
        });
        let address_pressure = !exempt && entry.pending.len() * 2 > limits.max_pending_per_address;
        drop(inner);
        let head_timeout = if under_pressure || address_pressure {
            SHORT_HEAD_TIMEOUT.min(limits.head_timeout)
        } else {
            limits.head_timeout
        };
        Ok(Ticket {
            held: Some(HeldSocket {
                admission: Arc::clone(self),
                key,
            }),
            ticket,
            evict,
            pending: true,
            head_timeout,
            displaced: evicted,
        })
    }

    /// Forgets addresses with no connection whose rate bucket has refilled; called now and
    /// then so the table holds only addresses seen lately.
    pub fn forget_settled(&self, now: Instant) {
        self.lock().forget_settled_addresses(&self.limits, now);
    }

    /// What is held now.
    pub fn counts(&self) -> AdmissionCounts {
        let inner = self.lock();
        AdmissionCounts {
            open: inner.open,
            pending: inner.pending,
            addresses: inner.addresses.len(),
        }
    }

    fn release(&self, key: AddressKey) {
        let mut inner = self.lock();
        inner.open -= 1;
        if let Some(entry) = inner.addresses.get_mut(&key) {
            entry.open -= 1;
        }
    }

    /// Takes a socket off the pending count, unless eviction already has.
    fn finish_pending(&self, key: AddressKey, ticket: u64) {
        let mut inner = self.lock();
        let mut found = false;
        if let Some(entry) = inner.addresses.get_mut(&key) {
            if let Some(at) = entry.pending.iter().position(|p| p.ticket == ticket) {
                entry.pending.remove(at);
                found = true;
            }
        }
        if found {
            inner.pending -= 1;
        }
    }
}

/// One admitted socket while its request arrives: it counts against the budget and its
/// address, and as pending (it may be told to give way) until `handshake_done`.
#[derive(Debug)]
pub struct Ticket {
    held: Option<HeldSocket>,
    ticket: u64,
    evict: Arc<Notify>,
    pending: bool,
    /// How long this socket has to send its request head.
    pub head_timeout: Duration,
    /// How many pending sockets were told to give way for this one.
    pub displaced: usize,
}

/// A socket that counts against the budget and its address until dropped: all a session
/// keeps of its admission (sixteen bytes and a pointer, as every session has one).
#[derive(Debug)]
pub struct HeldSocket {
    admission: Arc<Admission>,
    key: AddressKey,
}

impl Drop for HeldSocket {
    fn drop(&mut self) {
        self.admission.release(self.key);
    }
}

impl Ticket {
    /// Resolves if this socket, still pending, must give way to a newcomer.
    pub async fn evicted(&self) {
        self.evict.notified().await;
    }

    /// The request head has arrived: the socket no longer counts as pending.
    pub fn handshake_done(&mut self) {
        if std::mem::take(&mut self.pending) {
            if let Some(held) = &self.held {
                held.admission.finish_pending(held.key, self.ticket);
            }
        }
    }

    /// What a session keeps: the socket still counted, nothing of the pending state.
    pub fn into_held(mut self) -> HeldSocket {
        self.handshake_done();
        self.held
            .take()
            .expect("a ticket holds its socket until now")
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.handshake_done();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> AdmissionLimits {
        AdmissionLimits {
            socket_budget: 10,
            max_pending: 6,
            max_pending_per_address: 3,
            max_per_address: 5,
            rate_per_second: 1.0,
            burst: 100,
            exempt: AddressPrefix::loopback(),
            head_timeout: Duration::from_secs(10),
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_bit_network() {
        assert_eq!(
            AddressKey::of(ip("2001:db8:0:1::1")),
            AddressKey::of(ip("2001:db8:0:1::ffff"))
        );
        assert_ne!(
            AddressKey::of(ip("2001:db8:0:1::1")),
            AddressKey::of(ip("2001:db8:0:2::1"))
        );
        assert_eq!(
            AddressKey::of(ip("::ffff:192.0.2.1")),
            AddressKey::of(ip("192.0.2.1"))
        );
    }

    #[test]
    fn a_crowd_of_silent_sockets_gives_way_to_a_newcomer() {
        let admission = Arc::new(Admission::new(limits()));
        let now = Instant::now();
        // Loopback is exempt from the per-address limits, not from the pending bound.
        let silent: Vec<Ticket> = (0..6)
            .map(|_| admission.admit(ip("127.0.0.1"), now).expect("admitted"))
            .collect();
        assert_eq!(admission.counts().pending, 6);
        // Just connected, they may not have had a chance to send: the newcomer is taken on
        // past the pending bound, and nobody is dropped.
        let storm = admission.admit(ip("127.0.0.3"), now).expect("taken on");
        assert_eq!(storm.displaced, 0);
        assert_eq!(admission.counts().pending, 7);
        drop(storm);
        // Silent for a second and more: the oldest gives way to the next newcomer.
        let later = now + EVICTABLE_AFTER;
        let mut newcomer = admission.admit(ip("127.0.0.2"), later).expect("room made");
        assert_eq!(newcomer.displaced, 1);
        assert_eq!(newcomer.head_timeout, SHORT_HEAD_TIMEOUT, "under pressure");
        assert_eq!(admission.counts().pending, 6);
        newcomer.handshake_done();
        assert_eq!(admission.counts().pending, 5);
        // The evicted one was the oldest, and dropping it settles the counts.
        drop(silent);
        assert_eq!(
            admission.counts(),
            AdmissionCounts {
                open: 1,
                pending: 0,
                addresses: 3
            }
        );
        drop(newcomer);
        assert_eq!(admission.counts().open, 0);
    }

    #[test]
    fn the_socket_budget_is_never_passed_by_more_than_the_transient_reserve() {
        let admission = Arc::new(Admission::new(AdmissionLimits {
            max_pending: 100,
            ..limits()
        }));
        let now = Instant::now();
        let mut held = Vec::new();
        for n in 0..10 {
            let mut ticket = admission
                .admit(ip(&format!("127.0.0.{}", n + 1)), now)
                .expect("within budget");
            ticket.handshake_done();
            held.push(ticket);
        }
        // Nothing pending to displace: refused.
        assert_eq!(
            admission.admit(ip("127.0.0.99"), now).err(),
            Some(Refusal::ServerFull)
        );
        drop(held.pop());
        assert!(admission.admit(ip("127.0.0.99"), now).is_ok());
    }

    #[test]
    fn per_address_limits_apply_outside_the_exempt_prefixes() {
        let admission = Arc::new(Admission::new(limits()));
        let now = Instant::now();
        let held: Vec<Ticket> = (0..5)
            .map(|_| {
                let mut ticket = admission.admit(ip("192.0.2.7"), now).expect("admitted");
                ticket.handshake_done();
                ticket
            })
            .collect();
        assert_eq!(
            admission.admit(ip("192.0.2.7"), now).err(),
            Some(Refusal::AddressBusy { limit: 5 })
        );
        assert!(
            admission.admit(ip("192.0.2.8"), now).is_ok(),
            "another address"
        );
        drop(held);
    }

    #[test]
    fn connection_attempts_are_rate_limited_per_address() {
        let admission = Arc::new(Admission::new(AdmissionLimits {
            burst: 2,
            ..limits()
        }));
        let now = Instant::now();
        drop(admission.admit(ip("198.51.100.1"), now).expect("burst"));
        drop(admission.admit(ip("198.51.100.1"), now).expect("burst"));
        let refused = admission.admit(ip("198.51.100.1"), now).err();
        assert!(
            matches!(refused, Some(Refusal::TooFast { .. })),
            "{refused:?}"
        );
        assert_eq!(refused.map(Refusal::status), Some(429));
        // Disconnecting does not give the tokens back; time does.
        assert!(
            admission
                .admit(ip("198.51.100.1"), now + Duration::from_secs(1))
                .is_ok()
        );
        // Loopback is exempt.
        for _ in 0..10 {
            drop(admission.admit(ip("127.0.0.1"), now).expect("exempt"));
        }
    }

    #[test]
    fn an_address_past_its_pending_bound_loses_its_oldest() {
        let admission = Arc::new(Admission::new(limits()));
        let now = Instant::now();
        let first = admission.admit(ip("203.0.113.1"), now).expect("admitted");
        let _second = admission.admit(ip("203.0.113.1"), now).expect("admitted");
        let _third = admission.admit(ip("203.0.113.1"), now).expect("admitted");
        let later = now + EVICTABLE_AFTER;
        let fourth = admission.admit(ip("203.0.113.1"), later).expect("admitted");
        assert_eq!(fourth.displaced, 1);
        // The first was told to go: its eviction future resolves at once.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(1), first.evicted())
                .await
                .expect("evicted");
        });
        assert_eq!(admission.counts().pending, 3);
    }

    #[test]
    fn settled_addresses_are_forgotten_but_not_while_their_bucket_is_low() {
        let admission = Arc::new(Admission::new(AdmissionLimits {
            burst: 2,
            ..limits()
        }));
        let now = Instant::now();
        drop(admission.admit(ip("192.0.2.1"), now).expect("admitted"));
        admission.forget_settled(now);
        assert_eq!(
            admission.counts().addresses,
            1,
            "its bucket is not full yet"
        );
        admission.forget_settled(now + Duration::from_secs(5));
        assert_eq!(admission.counts().addresses, 0);
    }
}
