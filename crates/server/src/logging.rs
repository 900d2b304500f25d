//! Logging: the log's two formats (text for people, JSON for collectors) on a writer that
//! never blocks a worker; and log hygiene: client-controlled text escaped so it can never start
//! a line of its own, and bursts of the same warning reduced to one line and a count.

use std::fmt::{self, Write as _};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

use crate::log_writer::{LOG_BUFFER_BYTES, LogWriter, LogWriterGuard};

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// One line of text per event: time, level, where, the message and then its fields in
    /// brackets, `[client=3 address=127.0.0.1:50000 …]`.
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `message` and every field of
    /// the event under its own key.
    Json,
}

impl LogFormat {
    /// Every format.
    pub const ALL: [Self; 2] = [Self::Text, Self::Json];

    /// The name the setting takes.
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
        }
    }
}

/// Sends the log to standard output in `format`, at the verbosity `RUST_LOG` asks for (`info`
/// by default), through a buffer a thread of its own empties (`LogWriter`, at most
/// `LOG_BUFFER_BYTES` waiting). The returned guard writes out what is buffered when dropped:
/// keep it until the process ends. Without a thread for it (a process out of threads), lines
/// are written as they come, so that the errors that follow are still seen.
pub fn install(format: LogFormat) -> Option<LogWriterGuard> {
    let (writer, guard) = match LogWriter::start(std::io::stdout(), LOG_BUFFER_BYTES) {
        Ok((writer, guard)) => (BoxMakeWriter::new(writer), Some(guard)),
        Err(error) => {
            eprintln!("cannot start the log writer thread ({error}): logging directly");
            (BoxMakeWriter::new(std::io::stdout), None)
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_env_filter(filter);
    match format {
        LogFormat::Text => builder
            // Colours only for a person at a terminal, not in log files.
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .fmt_fields(TextFields)
            .init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .init(),
    }
    guard
}

/// The fields of a text line: the message, then the other fields in brackets as `key=value`,
/// so the message reads as a sentence and the fields stand apart from it. Text values are
/// quoted and escaped; the others are the server's own (numbers, addresses, reasons whose
/// client-chosen parts are already `Untrusted`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TextFields;

impl<'writer> FormatFields<'writer> for TextFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut line = TextLine::default();
        fields.record(&mut line);
        writer.write_str(&line.message)?;
        if !line.fields.is_empty() {
            if !line.message.is_empty() {
                writer.write_char(' ')?;
            }
            write!(writer, "[{}]", line.fields)?;
        }
        Ok(())
    }
}

/// A text line being put together from an event's fields.
#[derive(Default)]
struct TextLine {
    message: String,
    fields: String,
}

impl TextLine {
    fn field(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        // Fields that `log` records carry (a dependency logging through `log`) say where the
        // line came from, which the text line already shows.
        if field.name().starts_with("log.") {
            return;
        }
        if !self.fields.is_empty() {
            self.fields.push(' ');
        }
        let _ = write!(self.fields, "{}={value}", field.name());
    }
}

impl Visit for TextLine {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            // A message is the server's own text, its client-chosen parts already `Untrusted`.
            self.message.push_str(value);
        } else {
            self.field(field, format_args!("{}", Untrusted(value)));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            self.field(field, format_args!("{value:?}"));
        }
    }
}

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
/// by the session, so it needs no lock; twelve bytes, as every client has one.
#[derive(Debug, Default)]
pub struct ClientWarnings {
    /// When the last warning was logged, in milliseconds of the server's clock, plus one
    /// (0: never).
    logged_at_ms: u32,
    suppressed: u32,
    /// Warnings left out over the whole session.
    pub suppressed_total: u32,
}

impl ClientWarnings {
    /// Records a warning at `now_ms`; `Some(n)` means log it, mentioning the `n` left out
    /// since the last.
    #[allow(clippy::cast_possible_truncation)]
    pub fn occur(&mut self, now_ms: u64) -> Option<u32> {
        // The clock wraps after 49 days; a wrong answer then is one line more or less.
        let now = (now_ms as u32).wrapping_add(1);
        let window = CLIENT_WARNING_WINDOW.as_millis() as u32;
        if self.logged_at_ms != 0 && now.wrapping_sub(self.logged_at_ms) < window {
            self.suppressed = self.suppressed.saturating_add(1);
            self.suppressed_total = self.suppressed_total.saturating_add(1);
            return None;
        }
        self.logged_at_ms = now;
        Some(std::mem::take(&mut self.suppressed))
    }
}

/// " (N more like it left out)" when `suppressed` is not zero, for the end of a log line.
pub fn left_out(suppressed: u32) -> String {
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

    /// What `TextFields` makes of the event `emit` logs, without time and level.
    fn text_line(emit: impl FnOnce()) -> String {
        #[derive(Clone, Default)]
        struct Captured(std::sync::Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Captured {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .without_time()
            .with_level(false)
            .with_target(false)
            .fmt_fields(TextFields)
            .finish();
        tracing::subscriber::with_default(subscriber, emit);
        let bytes = captured
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        String::from_utf8(bytes).unwrap_or_default()
    }

    #[test]
    fn a_text_line_is_the_message_then_its_fields_in_brackets() {
        let line = text_line(|| {
            tracing::info!(
                client = 3_u64,
                address = %"127.0.0.1:5000",
                duration_s = 1.5,
                note = "a\nb",
                "Client 3: Closing client connection because: {}",
                "connection lost"
            );
        });
        assert_eq!(
            line,
            "Client 3: Closing client connection because: connection lost [client=3 \
             address=127.0.0.1:5000 duration_s=1.5 note=\"a\\nb\"]\n"
        );
        assert_eq!(text_line(|| tracing::info!("plain")), "plain\n");
    }

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
        assert_eq!(warnings.occur(0), Some(0));
        assert_eq!(warnings.occur(1), None);
        assert_eq!(warnings.occur(2), None);
        let window = u64::try_from(CLIENT_WARNING_WINDOW.as_millis()).expect("small");
        assert_eq!(warnings.occur(window), Some(2));
        assert_eq!(warnings.suppressed_total, 2);
    }
}
