//! Log hygiene: client-controlled text escaped so it can never start a line of its own, and
//! bursts of the same warning reduced to one line and a count.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Most characters of one client-controlled value a log line shows; the rest is cut, so a
/// client cannot make the server write long lines.
const MAX_LOGGED_CHARS: usize = 200;

/// Text a client chose (a close reason, a header, a chat line), as it may appear in a log:
/// quoted, with every control, separator and invisible formatting character escaped
/// (`\n`, `\u{202e}`…), and cut at `MAX_LOGGED_CHARS`.
#[derive(Clone, Copy)]
pub struct Untrusted<'a>(pub &'a str);

impl fmt::Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cut = self
            .0
            .char_indices()
            .nth(MAX_LOGGED_CHARS)
            .map_or(self.0.len(), |(at, _)| at);
        // `str`'s Debug quotes and escapes exactly what is not printable.
        write!(f, "{:?}", &self.0[..cut])?;
        if cut < self.0.len() {
            write!(f, "…({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Decides which occurrences of a repeated event are logged: the first, then none until
/// `window` has passed, when the next one is logged with how many were left out. One per kind
/// of server-wide refusal; the per-client form is `ClientWarnings`.
#[derive(Debug)]
pub struct BurstLog {
    window: Duration,
    state: Mutex<Burst>,
}

#[derive(Debug, Default)]
struct Burst {
    logged_at: Option<Instant>,
    suppressed: u64,
}

impl Burst {
    fn occur(&mut self, now: Instant, window: Duration) -> Option<u64> {
        match self.logged_at {
            Some(at) if now.saturating_duration_since(at) < window => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.logged_at = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }
}

impl BurstLog {
    /// A log that lets one occurrence through per `window`.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            state: Mutex::new(Burst::default()),
        }
    }

    /// Records one occurrence; `Some(n)` means log this one, mentioning the `n` left out
    /// since the last line.
    pub fn occur(&self, now: Instant) -> Option<u64> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .occur(now, self.window)
    }

    /// Occurrences left out since the last line, if its window has passed: the caller logs
    /// them so the end of a burst is not lost. Called by the housekeeping tick.
    pub fn take_overdue(&self, now: Instant) -> Option<u64> {
        let mut burst = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let overdue = burst
            .logged_at
            .is_some_and(|at| now.saturating_duration_since(at) >= self.window);
        (overdue && burst.suppressed > 0).then(|| {
            burst.logged_at = None;
            std::mem::take(&mut burst.suppressed)
        })
    }
}

/// How often one client may cause a warning line.
pub const CLIENT_WARNING_WINDOW: Duration = Duration::from_secs(10);

/// One client's warnings: the first is logged, then at most one per `CLIENT_WARNING_WINDOW`;
/// the others are counted and the count is given in the line that closes the session. Owned
/// by the session, so it needs no lock.
#[derive(Debug, Default)]
pub struct ClientWarnings {
    burst: Burst,
    /// Warnings left out over the whole session.
    pub suppressed_total: u64,
}

impl ClientWarnings {
    /// Records a warning; `Some(n)` means log it, mentioning the `n` left out since the last.
    pub fn occur(&mut self, now: Instant) -> Option<u64> {
        let logged = self.burst.occur(now, CLIENT_WARNING_WINDOW);
        if logged.is_none() {
            self.suppressed_total += 1;
        }
        logged
    }
}

/// " (N more like it left out)" when `suppressed` is not zero, for the end of a log line.
pub fn left_out(suppressed: u64) -> String {
    if suppressed == 0 {
        String::new()
    } else {
        format!(
            " ({suppressed} more like it in the last {}s left out)",
            CLIENT_WARNING_WINDOW.as_secs()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_text_cannot_start_a_line() {
        let forged = "bye\nFAKE 2026-11-29T12:00:00Z INFO granted admin\r\u{202e}\u{2028}";
        let logged = Untrusted(forged).to_string();
        assert!(!logged.contains('\n') && !logged.contains('\r'));
        assert!(!logged.contains('\u{202e}') && !logged.contains('\u{2028}'));
        assert!(logged.starts_with("\"bye\\nFAKE"));
        assert_eq!(Untrusted("a\x1b[31mb").to_string(), "\"a\\u{1b}[31mb\"");
    }

    #[test]
    fn long_untrusted_text_is_cut() {
        let logged = Untrusted(&"x".repeat(10_000)).to_string();
        assert!(logged.len() < 300, "{}", logged.len());
        assert!(logged.ends_with("…(10000 bytes)"));
    }

    #[test]
    fn a_burst_is_one_line_then_a_count() {
        let log = BurstLog::new(Duration::from_secs(10));
        let start = Instant::now();
        assert_eq!(log.occur(start), Some(0));
        for n in 1..=5 {
            assert_eq!(log.occur(start + Duration::from_secs(n)), None);
        }
        assert_eq!(log.take_overdue(start + Duration::from_secs(9)), None);
        assert_eq!(log.take_overdue(start + Duration::from_secs(10)), Some(5));
        assert_eq!(log.take_overdue(start + Duration::from_secs(30)), None);
        assert_eq!(log.occur(start + Duration::from_secs(31)), Some(0));
    }

    #[test]
    fn client_warnings_are_counted_not_repeated() {
        let mut warnings = ClientWarnings::default();
        let start = Instant::now();
        assert_eq!(warnings.occur(start), Some(0));
        assert_eq!(warnings.occur(start + Duration::from_millis(1)), None);
        assert_eq!(warnings.occur(start + Duration::from_millis(2)), None);
        assert_eq!(warnings.occur(start + CLIENT_WARNING_WINDOW), Some(2));
        assert_eq!(warnings.suppressed_total, 2);
    }
}
