//! `TokenBucket`: a per-client rate limit (chat lines, room joins), eight bytes a client.

/// Allows `burst` events at once and `rate` per second on average after that. The rate and
/// burst are the server's settings, passed in on each call rather than kept in each of
/// thousands of buckets; time is milliseconds on the server's clock.
#[derive(Debug, Clone, Copy)]
pub struct TokenBucket {
    tokens: f32,
    refilled_ms: u32,
}

impl TokenBucket {
    /// A full bucket for a burst of `burst`, at `now_ms`.
    pub fn full(burst: u32, now_ms: u64) -> Self {
        Self {
            tokens: burst.max(1) as f32,
            refilled_ms: clock(now_ms),
        }
    }

    /// Takes a token if one is there; `false` means the event is over the rate. A rate of 0
    /// (or less) means no limit.
    // Tokens are at most the burst, a u32: an f32 keeps them to a fraction of a token.
    #[allow(clippy::cast_possible_truncation)]
    pub fn try_take(&mut self, rate: f64, burst: u32, now_ms: u64) -> bool {
        if rate <= 0.0 {
            return true;
        }
        let now = clock(now_ms);
        let elapsed_s = f64::from(now.wrapping_sub(self.refilled_ms)) / 1_000.0;
        let refilled = f64::from(self.tokens) + elapsed_s * rate;
        let tokens = refilled.min(f64::from(burst.max(1)));
        self.refilled_ms = now;
        if tokens >= 1.0 {
            self.tokens = (tokens - 1.0) as f32;
            true
        } else {
            self.tokens = tokens as f32;
            false
        }
    }
}

/// Milliseconds as the bucket keeps them: 32 bits wrap after 49 days, and the difference of
/// two readings stays right across the wrap as long as a client is heard from within 49 days
/// (a quieter bucket is simply full).
#[allow(clippy::cast_possible_truncation)]
fn clock(now_ms: u64) -> u32 {
    now_ms as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_then_the_rate() {
        let mut bucket = TokenBucket::full(3, 0);
        assert!((0..3).all(|_| bucket.try_take(2.0, 3, 0)));
        assert!(!bucket.try_take(2.0, 3, 0));
        // Half a second at 2/s refills exactly one token.
        assert!(bucket.try_take(2.0, 3, 500));
        assert!(!bucket.try_take(2.0, 3, 500));
        // A long pause refills no more than the burst.
        assert_eq!(
            (0..10).filter(|_| bucket.try_take(2.0, 3, 60_500)).count(),
            3
        );
    }

    #[test]
    fn zero_rate_means_unlimited() {
        let mut bucket = TokenBucket::full(1, 0);
        assert!((0..10_000).all(|_| bucket.try_take(0.0, 1, 0)));
    }

    #[test]
    fn the_clock_may_wrap() {
        let start = u64::from(u32::MAX) - 100;
        let mut bucket = TokenBucket::full(1, start);
        assert!(bucket.try_take(1.0, 1, start));
        assert!(!bucket.try_take(1.0, 1, start + 500));
        assert!(
            bucket.try_take(1.0, 1, start + 1_000),
            "one second later, past the wrap"
        );
    }
}
