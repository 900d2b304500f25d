//! Login throttling: growing delays after failed logins, per address and per account, shared
//! by every connection of the server (reconnecting does not reset them).
//!
//! An account's attempt is counted as a failure when it starts and taken back when it
//! succeeds, so many guesses at one account in parallel are counted as soon as they are made,
//! not after they are checked. An address's are counted when they fail: many players behind
//! one address logging in at once (a campus after a server restart) are not held back. After `free_failures` failures in a row a key is held back for a delay that
//! doubles with each further failure, from one second up to `max_delay`: a guesser gets a few
//! tries a minute, while a player who mistyped a few times waits seconds and is never locked
//! out for longer than `max_delay`. A key with no failure for `FORGET_AFTER` starts over.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A key with no failure for this long is forgotten: its count starts over.
pub const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// The first delay once a key has used its free failures; each further failure doubles it.
pub const FIRST_DELAY: Duration = Duration::from_secs(1);
/// Most keys remembered. Past it, forgotten and then not-yet-delayed keys are dropped first;
/// a key that is being held back is kept, so a flood of new addresses cannot free an
/// account's guesser.
pub const MAX_KEYS: usize = 100_000;
/// An address is allowed this many times an account's free failures: several players behind
/// one NAT address mistype too.
pub const ADDRESS_FACTOR: u32 = 4;

/// How the throttle counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failed logins of one account in a row before delays start (an address gets
    /// `ADDRESS_FACTOR` times as many).
    pub free_failures: u32,
    /// The longest delay.
    pub max_delay: Duration,
}

/// What a login attempt is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// An IPv4 address, or an IPv6 /64 (what one household or site gets).
    Address(u128),
    /// A lower-cased username, whether or not such an account exists.
    Account(String),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last_failure: Instant,
    held_until: Instant,
}

/// An attempt under way: the keys it was counted against, for `succeeded`.
#[derive(Debug)]
pub struct Attempt {
    address: Key,
    account: Key,
}

/// The failure counts of every address and account.
#[derive(Debug)]
pub struct Throttle {
    policy: ThrottlePolicy,
    keys: Mutex<HashMap<Key, Entry>>,
}

impl Throttle {
    /// Nothing counted yet.
    pub fn new(policy: ThrottlePolicy) -> Self {
        Self {
            policy,
            keys: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Entry>> {
        // Every critical section is a few map operations that cannot panic.
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a login attempt for `account_key` from `address`: counted as a failure until
    /// `succeeded`; or, when either is being held back, how long until it may try again.
    pub fn begin(
        &self,
        address: IpAddr,
        account_key: &str,
        now: Instant,
    ) -> Result<Attempt, Duration> {
        let attempt = Attempt {
            address: Key::Address(prefix(address)),
            account: Key::Account(account_key.to_owned()),
        };
        let mut keys = self.lock();
        let wait = [&attempt.address, &attempt.account]
            .iter()
            .filter_map(|key| keys.get(*key))
            .filter(|entry| now.duration_since(entry.last_failure) < FORGET_AFTER)
            .map(|entry| entry.held_until.saturating_duration_since(now))
            .max()
            .unwrap_or_default();
        if !wait.is_zero() {
            return Err(wait);
        }
        if keys.len() + 2 > MAX_KEYS {
            self.make_room(&mut keys, now);
        }
        self.fail(&mut keys, &attempt.account, self.policy.free_failures, now);
        Ok(attempt)
    }

    /// The attempt succeeded: the account starts over.
    pub fn succeeded(&self, attempt: &Attempt) {
        self.lock().remove(&attempt.account);
    }

    /// The attempt was not checked (the server was busy or its database down): it is not
    /// counted against the account.
    pub fn abandoned(&self, attempt: &Attempt) {
        let mut keys = self.lock();
        if let Some(entry) = keys.get_mut(&attempt.account) {
            entry.failures = entry.failures.saturating_sub(1);
            entry.held_until =
                entry.last_failure + self.delay_after(entry.failures, self.policy.free_failures);
        }
    }

    /// The attempt failed: its address is counted (its account already was).
    pub fn failed(&self, attempt: &Attempt, now: Instant) {
        let mut keys = self.lock();
        let free = self.policy.free_failures.saturating_mul(ADDRESS_FACTOR);
        self.fail(&mut keys, &attempt.address, free, now);
    }

    /// Keys remembered now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn fail(&self, keys: &mut HashMap<Key, Entry>, key: &Key, free: u32, now: Instant) {
        if !keys.contains_key(key) && keys.len() >= MAX_KEYS {
            // Full of keys being held back: this one goes uncounted rather than grow memory.
            return;
        }
        let entry = keys.entry(key.clone()).or_insert(Entry {
            failures: 0,
            last_failure: now,
            held_until: now,
        });
        if now.duration_since(entry.last_failure) >= FORGET_AFTER {
            entry.failures = 0;
        }
        entry.failures = entry.failures.saturating_add(1);
        entry.last_failure = now;
        entry.held_until = now + self.delay_after(entry.failures, free);
    }

    /// The delay after `failures` in a row when `free` of them cost nothing.
    fn delay_after(&self, failures: u32, free: u32) -> Duration {
        let Some(over) = failures.checked_sub(free).filter(|over| *over > 0) else {
            return Duration::ZERO;
        };
        let doublings = (over - 1).min(31);
        FIRST_DELAY
            .saturating_mul(1 << doublings)
            .min(self.policy.max_delay)
    }

    fn make_room(&self, keys: &mut HashMap<Key, Entry>, now: Instant) {
        keys.retain(|_, entry| now.duration_since(entry.last_failure) < FORGET_AFTER);
        if keys.len() + 2 > MAX_KEYS {
            keys.retain(|_, entry| entry.held_until > now);
        }
    }
}

/// The address a failure counts against: an IPv4 address, or an IPv6 address's /64.
fn prefix(address: IpAddr) -> u128 {
    match address {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => u128::from(u32::from(v4)),
            None => (u128::from(v6) >> 64) << 64 | 1 << 32,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: ThrottlePolicy = ThrottlePolicy {
        free_failures: 3,
        max_delay: Duration::from_secs(30),
    };

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn delays_start_after_the_free_failures_and_double_up_to_the_cap() {
        let throttle = Throttle::new(POLICY);
        let now = Instant::now();
        for _ in 0..3 {
            throttle.begin(ip("10.0.0.1"), "alice", now).expect("free");
        }
        // The third failure was the last free one; the fourth attempt is allowed and sets 1 s.
        throttle
            .begin(ip("10.0.0.1"), "alice", now)
            .expect("allowed");
        assert_eq!(
            throttle
                .begin(ip("10.0.0.2"), "alice", now)
                .expect_err("held"),
            Duration::from_secs(1),
            "the account is held whatever the address"
        );
        let later = now + Duration::from_secs(1);
        throttle
            .begin(ip("10.0.0.2"), "alice", later)
            .expect("after the delay");
        assert_eq!(
            throttle
                .begin(ip("10.0.0.2"), "alice", later)
                .expect_err("held"),
            Duration::from_secs(2)
        );
        let mut at = later;
        for _ in 0..10 {
            at += throttle
                .begin(ip("10.0.0.3"), "alice", at)
                .err()
                .unwrap_or_default();
            let _ = throttle.begin(ip("10.0.0.3"), "alice", at);
        }
        assert_eq!(
            throttle
                .begin(ip("10.0.0.3"), "alice", at)
                .expect_err("held"),
            Duration::from_secs(30),
            "never more than the cap"
        );
        let forgotten = at + FORGET_AFTER;
        throttle
            .begin(ip("10.0.0.3"), "alice", forgotten)
            .expect("starts over");
    }

    #[test]
    fn a_success_clears_the_account() {
        let throttle = Throttle::new(POLICY);
        let now = Instant::now();
        for _ in 0..3 {
            throttle.begin(ip("10.0.0.1"), "bob", now).expect("free");
        }
        let good = throttle.begin(ip("10.0.0.1"), "bob", now).expect("allowed");
        throttle.succeeded(&good);
        throttle
            .begin(ip("10.0.0.1"), "bob", now)
            .expect("starts over");
    }

    #[test]
    fn an_address_guessing_many_accounts_is_held_too() {
        let throttle = Throttle::new(POLICY);
        let now = Instant::now();
        let free = POLICY.free_failures * ADDRESS_FACTOR;
        for n in 0..=free {
            let attempt = throttle
                .begin(ip("2001:db8::1"), &format!("user{n}"), now)
                .expect("free");
            throttle.failed(&attempt, now);
        }
        let held = throttle
            .begin(ip("2001:db8::2"), "someone else", now)
            .expect_err("same /64");
        assert_eq!(held, Duration::from_secs(1));
        throttle
            .begin(ip("2001:db9::1"), "someone else", now)
            .expect("another network");
    }

    #[test]
    fn attempts_that_were_not_checked_do_not_count() {
        let throttle = Throttle::new(POLICY);
        let now = Instant::now();
        for _ in 0..10 {
            let attempt = throttle
                .begin(ip("10.0.0.1"), "carol", now)
                .expect("not held");
            throttle.abandoned(&attempt);
        }
    }

    #[test]
    fn many_logins_at_once_from_one_address_are_not_held() {
        let throttle = Throttle::new(POLICY);
        let now = Instant::now();
        let attempts: Vec<Attempt> = (0..100)
            .map(|n| {
                throttle
                    .begin(ip("10.0.0.9"), &format!("player{n}"), now)
                    .expect("not held")
            })
            .collect();
        for attempt in &attempts {
            throttle.succeeded(attempt);
        }
        assert!(throttle.is_empty());
    }
}
