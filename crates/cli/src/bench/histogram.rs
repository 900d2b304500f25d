//! Latency histograms: recording in microseconds, merging across processes, and the
//! percentile summary that reports print.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Largest latency recorded exactly: one minute, far past any bound a bench run would accept.
/// Longer latencies are recorded as this value rather than dropped, so they still count.
const MAX_TRACKED_MICROS: u64 = 60_000_000;

/// Three significant digits: 0.1% error, which is finer than loopback scheduling noise.
const SIGNIFICANT_DIGITS: u8 = 3;

/// A latency distribution in microseconds.
#[derive(Clone, Debug)]
pub struct Latencies(Histogram<u64>);

/// A histogram as it crosses between processes: `(value, count)` for each non-empty bucket.
/// Merging re-records each bucket's value, so precision is kept.
pub type WireBuckets = Vec<(u64, u64)>;

/// The figures every report prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Values recorded.
    pub count: u64,
    /// Median, µs.
    pub p50_us: u64,
    /// 90th percentile, µs.
    pub p90_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// 99.9th percentile, µs.
    pub p999_us: u64,
    /// Largest, µs.
    pub max_us: u64,
    /// Mean, µs.
    pub mean_us: f64,
}

impl Default for Latencies {
    fn default() -> Self {
        Self::new()
    }
}

impl Latencies {
    /// An empty histogram.
    pub fn new() -> Self {
        // The bounds are constants that hdrhistogram accepts; failure would be a bug here.
        #[allow(clippy::expect_used)]
        let histogram = Histogram::new_with_bounds(1, MAX_TRACKED_MICROS, SIGNIFICANT_DIGITS)
            .expect("valid bounds");
        Self(histogram)
    }

    /// Records one latency; values past the tracked range are clamped into it.
    pub fn record_micros(&mut self, micros: u64) {
        self.0
            .saturating_record(micros.clamp(1, MAX_TRACKED_MICROS));
    }

    /// Values recorded.
    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// The non-empty buckets, for sending to another process.
    pub fn to_wire(&self) -> WireBuckets {
        self.0
            .iter_recorded()
            .map(|bucket| (bucket.value_iterated_to(), bucket.count_at_value()))
            .collect()
    }

    /// Adds buckets received from another process.
    pub fn merge_wire(&mut self, buckets: &[(u64, u64)]) {
        for &(value, count) in buckets {
            let _ = self.0.record_n(value.clamp(1, MAX_TRACKED_MICROS), count);
        }
    }

    /// Percentiles of what was recorded; all zero when nothing was.
    pub fn summary(&self) -> Summary {
        if self.0.is_empty() {
            return Summary::default();
        }
        let at = |q: f64| self.0.value_at_quantile(q);
        Summary {
            count: self.0.len(),
            p50_us: at(0.50),
            p90_us: at(0.90),
            p99_us: at(0.99),
            p999_us: at(0.999),
            max_us: self.0.max(),
            mean_us: (self.0.mean() * 10.0).round() / 10.0,
        }
    }
}

impl Summary {
    /// "p50 1.2 ms  p99 3.4 ms  p99.9 5.6 ms  max 7.8 ms" for people.
    pub fn human(&self) -> String {
        format!(
            "p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
            human_micros(self.p50_us),
            human_micros(self.p90_us),
            human_micros(self.p99_us),
            human_micros(self.p999_us),
            human_micros(self.max_us)
        )
    }
}

/// Microseconds in the unit that keeps three digits readable.
pub fn human_micros(micros: u64) -> String {
    // Display only; any precision lost is far below what is printed.
    #[allow(clippy::cast_precision_loss)]
    let value = micros as f64;
    if micros < 1_000 {
        format!("{micros} µs")
    } else if micros < 1_000_000 {
        format!("{:.2} ms", value / 1e3)
    } else {
        format!("{:.2} s", value / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_percentiles() {
        let mut latencies = Latencies::new();
        for micros in 1..=1_000 {
            latencies.record_micros(micros);
        }
        let summary = latencies.summary();
        assert_eq!(summary.count, 1_000);
        assert_eq!(summary.p50_us, 500);
        assert_eq!(summary.p99_us, 990);
        assert_eq!(summary.p999_us, 999);
        assert_eq!(summary.max_us, 1_000);
        assert!((summary.mean_us - 500.5).abs() < 1.0);
    }

    #[test]
    fn an_empty_histogram_summarises_to_zero() {
        assert_eq!(Latencies::new().summary(), Summary::default());
    }

    #[test]
    fn survives_the_trip_between_processes() {
        let mut original = Latencies::new();
        for micros in [3, 250, 250, 12_345, 9_999_999] {
            original.record_micros(micros);
        }
        let buckets = original.to_wire();
        let json = serde_json::to_string(&buckets).expect("serialisable");
        let back: WireBuckets = serde_json::from_str(&json).expect("parses");
        let mut merged = Latencies::new();
        merged.merge_wire(&back);
        merged.merge_wire(&back);
        assert_eq!(merged.count(), 10);
        let (a, b) = (original.summary(), merged.summary());
        assert_eq!((a.p50_us, a.max_us), (b.p50_us, b.max_us));
    }

    #[test]
    fn clamps_instead_of_dropping() {
        let mut latencies = Latencies::new();
        latencies.record_micros(0);
        latencies.record_micros(u64::MAX);
        assert_eq!(latencies.count(), 2);
        assert!(latencies.summary().max_us >= MAX_TRACKED_MICROS);
    }

    #[test]
    fn prints_in_readable_units() {
        assert_eq!(human_micros(999), "999 µs");
        assert_eq!(human_micros(1_500), "1.50 ms");
        assert_eq!(human_micros(2_500_000), "2.50 s");
    }
}
