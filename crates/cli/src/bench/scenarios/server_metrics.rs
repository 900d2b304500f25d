//! Reads the server's `/metrics` (Prometheus text) over plain HTTP, for the world figures only
//! the server knows: ticks run, ticks started late, and the tick-work and tick-CPU histograms. Two reads,
//! one before measuring and one after, give what happened during the run.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Longest answer read: the whole metrics page is a few tens of KB.
const MAX_METRICS_BYTES: u64 = 4 * 1024 * 1024;

/// How long one read of `/metrics` may take.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(10);

/// The world's counters at one moment.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct WorldCounters {
    pub ticks: f64,
    pub late_ticks: f64,
    /// `mmo_world_tick_work_seconds` buckets: upper bound (seconds) to cumulative count.
    pub work_buckets: Vec<(f64, f64)>,
    /// `mmo_world_tick_cpu_seconds` buckets, the same way (empty from a server without it).
    pub cpu_buckets: Vec<(f64, f64)>,
    /// The two histograms' sums (seconds), `None` where the page has none.
    pub work_sum: Option<f64>,
    pub cpu_sum: Option<f64>,
}

/// What happened between two reads.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(super) struct WorldDelta {
    pub ticks: u64,
    pub late_ticks: u64,
    /// The bucket bound at or under which 99 % of the run's ticks' work fell (ms); `None`
    /// when no tick ran, infinite when the highest bucket was passed.
    pub tick_work_p99_ms: Option<f64>,
    pub tick_work_p50_ms: Option<f64>,
    /// The same for the tick's CPU time on the world's thread.
    pub tick_cpu_p99_ms: Option<f64>,
    pub tick_cpu_p50_ms: Option<f64>,
    /// The run's mean tick work and CPU (ms), from the histograms' sums: exact where the
    /// quantiles are bucket bounds, so two runs compare finer.
    pub tick_work_mean_ms: Option<f64>,
    pub tick_cpu_mean_ms: Option<f64>,
}

/// Parses the lines of the world's metrics from a Prometheus text page.
pub(super) fn parse(page: &str) -> WorldCounters {
    let mut counters = WorldCounters::default();
    let mut work = BTreeMap::new();
    let mut cpu = BTreeMap::new();
    for line in page.lines().filter(|line| !line.starts_with('#')) {
        let Some((name, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        match name {
            "mmo_world_ticks_total" => counters.ticks = value,
            "mmo_world_late_ticks_total" => counters.late_ticks = value,
            "mmo_world_tick_work_seconds_sum" => counters.work_sum = Some(value),
            "mmo_world_tick_cpu_seconds_sum" => counters.cpu_sum = Some(value),
            _ => {
                for (histogram, buckets) in [
                    ("mmo_world_tick_work_seconds", &mut work),
                    ("mmo_world_tick_cpu_seconds", &mut cpu),
                ] {
                    if let Some(bound) = bucket_bound(name, histogram) {
                        // Sorted by bound: the bits of positive floats order as the floats.
                        buckets.insert(bound.to_bits(), (bound, value));
                    }
                }
            }
        }
    }
    counters.work_buckets = work.into_values().collect();
    counters.cpu_buckets = cpu.into_values().collect();
    counters
}

/// The bound of a `histogram`'s bucket series named `name`, if it is one.
fn bucket_bound(name: &str, histogram: &str) -> Option<f64> {
    name.strip_prefix(histogram)?
        .strip_prefix("_bucket{le=\"")?
        .strip_suffix("\"}")
        .and_then(|bound| match bound {
            "+Inf" => Some(f64::INFINITY),
            _ => bound.parse::<f64>().ok(),
        })
}

/// The bound (ms) of the bucket at or under which a share `q` of the counts fell; `None`
/// when there are none, infinite when the highest bucket was passed.
fn quantile(counts: &[(f64, f64)], q: f64) -> Option<f64> {
    let total = counts.last().map_or(0.0, |&(_, count)| count);
    (total > 0.0).then(|| {
        counts
            .iter()
            .find(|&&(_, count)| count >= q * total)
            .map_or(f64::INFINITY, |&(bound, _)| bound * 1_000.0)
    })
}

/// `after`'s buckets less `before`'s.
fn bucket_delta(before: &[(f64, f64)], after: &[(f64, f64)]) -> Vec<(f64, f64)> {
    after
        .iter()
        .map(|&(bound, count)| {
            let earlier = before
                .iter()
                .find(|(b, _)| b.to_bits() == bound.to_bits())
                .map_or(0.0, |&(_, count)| count);
            (bound, count - earlier)
        })
        .collect()
}

impl WorldCounters {
    /// The run's figures: `after` less `self`.
    // Counts far below 2^52.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    pub(super) fn delta(&self, after: &Self) -> WorldDelta {
        let work = bucket_delta(&self.work_buckets, &after.work_buckets);
        let cpu = bucket_delta(&self.cpu_buckets, &after.cpu_buckets);
        let mean_ms = |buckets: &[(f64, f64)], before: Option<f64>, after: Option<f64>| {
            let ticks = buckets.last().map_or(0.0, |&(_, count)| count);
            let sum = after? - before.unwrap_or(0.0);
            (ticks > 0.0).then(|| sum / ticks * 1_000.0)
        };
        WorldDelta {
            ticks: (after.ticks - self.ticks).max(0.0) as u64,
            late_ticks: (after.late_ticks - self.late_ticks).max(0.0) as u64,
            tick_work_p99_ms: quantile(&work, 0.99),
            tick_work_p50_ms: quantile(&work, 0.5),
            tick_cpu_p99_ms: quantile(&cpu, 0.99),
            tick_cpu_p50_ms: quantile(&cpu, 0.5),
            tick_work_mean_ms: mean_ms(&work, self.work_sum, after.work_sum),
            tick_cpu_mean_ms: mean_ms(&cpu, self.cpu_sum, after.cpu_sum),
        }
    }
}

/// Reads `http://ADDR/metrics`; `None` (with a note on stderr) when it cannot.
pub(super) async fn scrape(addr: &str) -> Option<WorldCounters> {
    let read = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let request = format!("GET /metrics HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        stream
            .take(MAX_METRICS_BYTES)
            .read_to_end(&mut answer)
            .await?;
        Ok::<_, std::io::Error>(answer)
    };
    match tokio::time::timeout(SCRAPE_TIMEOUT, read).await {
        Ok(Ok(answer)) => {
            let text = String::from_utf8_lossy(&answer);
            let (head, body) = text.split_once("\r\n\r\n")?;
            if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
                eprintln!(
                    "mmo bench: http://{addr}/metrics answered {:?}",
                    head.lines().next()
                );
                return None;
            }
            Some(parse(body))
        }
        Ok(Err(error)) => {
            eprintln!("mmo bench: cannot read http://{addr}/metrics: {error}");
            None
        }
        Err(_) => {
            eprintln!("mmo bench: http://{addr}/metrics did not answer in time");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str = "# HELP mmo_world_ticks world ticks\n\
        mmo_world_ticks_total 100\n\
        mmo_world_late_ticks_total 2\n\
        mmo_world_tick_work_seconds_sum 0.1\n\
        mmo_world_tick_work_seconds_count 100\n\
        mmo_world_tick_work_seconds_bucket{le=\"0.001\"} 90\n\
        mmo_world_tick_work_seconds_bucket{le=\"0.005\"} 100\n\
        mmo_world_tick_work_seconds_bucket{le=\"+Inf\"} 100\n\
        mmo_world_tick_cpu_seconds_bucket{le=\"0.001\"} 100\n\
        mmo_world_tick_cpu_seconds_bucket{le=\"+Inf\"} 100\n";

    const AFTER: &str = "mmo_world_ticks_total 300\n\
        mmo_world_late_ticks_total 5\n\
        mmo_world_tick_work_seconds_sum 0.7\n\
        mmo_world_tick_cpu_seconds_sum 0.3\n\
        mmo_world_tick_work_seconds_bucket{le=\"0.001\"} 90\n\
        mmo_world_tick_work_seconds_bucket{le=\"0.005\"} 297\n\
        mmo_world_tick_work_seconds_bucket{le=\"+Inf\"} 300\n\
        mmo_world_tick_cpu_seconds_bucket{le=\"0.001\"} 299\n\
        mmo_world_tick_cpu_seconds_bucket{le=\"+Inf\"} 300\n";

    #[test]
    fn the_run_is_the_difference_of_two_reads() {
        let delta = parse(BEFORE).delta(&parse(AFTER));
        assert_eq!(delta.ticks, 200);
        assert_eq!(delta.late_ticks, 3);
        // 197 of 200 under 5 ms: p50 and p99 both in the 5 ms bucket... p99 needs 198.
        assert_eq!(delta.tick_work_p50_ms, Some(5.0));
        assert_eq!(delta.tick_work_p99_ms, Some(f64::INFINITY));
        // 199 of 200 under 1 ms of CPU: p99 needs 198.
        assert_eq!(delta.tick_cpu_p50_ms, Some(1.0));
        assert_eq!(delta.tick_cpu_p99_ms, Some(1.0));
        // 0.6 s of work over the run's 200 ticks; the CPU sum is new (none before).
        let close =
            |value: Option<f64>, expected: f64| (value.expect("a mean") - expected).abs() < 1e-9;
        assert!(
            close(delta.tick_work_mean_ms, 3.0),
            "{:?}",
            delta.tick_work_mean_ms
        );
        assert!(
            close(delta.tick_cpu_mean_ms, 1.5),
            "{:?}",
            delta.tick_cpu_mean_ms
        );
    }

    #[test]
    fn a_server_without_the_cpu_histogram_has_no_cpu_quantiles() {
        let before = "mmo_world_ticks_total 0\n\
            mmo_world_tick_work_seconds_bucket{le=\"0.005\"} 0\n\
            mmo_world_tick_work_seconds_bucket{le=\"+Inf\"} 0\n";
        let after = "mmo_world_ticks_total 10\n\
            mmo_world_tick_work_seconds_bucket{le=\"0.005\"} 10\n\
            mmo_world_tick_work_seconds_bucket{le=\"+Inf\"} 10\n";
        let delta = parse(before).delta(&parse(after));
        assert_eq!(delta.tick_work_p99_ms, Some(5.0));
        assert_eq!(delta.tick_cpu_p50_ms, None);
        assert_eq!(delta.tick_cpu_p99_ms, None);
        assert_eq!(delta.tick_work_mean_ms, None, "no sums on the page");
    }

    #[test]
    fn no_ticks_no_quantiles() {
        let delta = parse(AFTER).delta(&parse(AFTER));
        assert_eq!(delta.ticks, 0);
        assert_eq!(delta.tick_work_p99_ms, None);
    }
}
