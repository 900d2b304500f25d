//! `LogWriter`: the way log lines take to standard output, gathered in a bounded buffer that a
//! thread of its own writes out in batches, so that logging never blocks a worker thread and
//! costs neither a system call nor a thread wake-up per line.
//!
//! Under a connect storm the server logs two lines per connection, over 20,000 lines a second.
//! Written one by one (a `write` each, and a wake-up of the writing thread each), they took
//! enough of the two cores to double a busy room's p99 (docs/benchmarks.md). Here a line costs
//! a lock and a copy; the first line into an empty buffer wakes the writer, which waits
//! `GATHER` for the rest of the burst and writes them all at once.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Bytes of log lines that may wait for standard output: about 20,000 lines, a second or two
/// of the busiest logging. (The batch being written holds as much again at most, and is given
/// back after a burst: see `KEPT_CAPACITY`.) When output stalls (a full pipe, a slow terminal) and this fills,
/// further lines are dropped and counted rather than stalling every client; a warning says how
/// many once output moves again.
pub const LOG_BUFFER_BYTES: usize = 4 << 20;

/// How long the writer gathers lines after the first of a batch: lines show at most this
/// late, and a burst of them costs one write.
const GATHER: Duration = Duration::from_millis(20);

/// How long dropping the guard waits for the last lines to be written: a stalled output must
/// not keep the process from exiting.
const LAST_WRITE_WAIT: Duration = Duration::from_secs(1);

/// A batch buffer bigger than this is given back after it has been written, so that one burst
/// does not keep megabytes for good.
const KEPT_CAPACITY: usize = 64 * 1024;

/// Log lines waiting for the writer.
#[derive(Debug, Default)]
struct Pending {
    bytes: Vec<u8>,
    /// Lines refused because `bytes` was full, since the writer last looked.
    dropped_lines: u64,
    /// Set by `LogWriterGuard` on drop: write what is left and stop.
    closing: bool,
    /// Set by the writer when it has stopped.
    finished: bool,
}

#[derive(Debug)]
struct Shared {
    pending: Mutex<Pending>,
    /// Signalled when lines arrive in an empty buffer, and on closing.
    arrived: Condvar,
    /// Signalled when the writer has stopped.
    stopped: Condvar,
    limit: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A thread that panicked while holding the lock left whole lines behind: keep going.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where the log subscriber writes its lines (one `write` per line); clones share the buffer.
#[derive(Debug, Clone)]
pub struct LogWriter {
    shared: Arc<Shared>,
}

/// Stops the writing thread when dropped, after it has written every line buffered (waiting
/// at most `LAST_WRITE_WAIT` for a stalled output): keep it until the process ends.
#[derive(Debug)]
pub struct LogWriterGuard {
    shared: Arc<Shared>,
}

impl LogWriter {
    /// A writer whose lines go to `output` from a thread of their own, with at most `limit`
    /// bytes waiting; an error when that thread cannot be started.
    pub fn start(
        output: impl Write + Send + 'static,
        limit: usize,
    ) -> io::Result<(Self, LogWriterGuard)> {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            arrived: Condvar::new(),
            stopped: Condvar::new(),
            limit,
        });
        let for_thread = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("mmo-log-writer".to_owned())
            .spawn(move || {
                write_out(&for_thread, output);
                for_thread.lock().finished = true;
                for_thread.stopped.notify_all();
            })?;
        let guard = LogWriterGuard {
            shared: Arc::clone(&shared),
        };
        Ok((Self { shared }, guard))
    }
}

impl Write for &LogWriter {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let mut pending = self.shared.lock();
        // The writer sleeps only while there is nothing to write and nothing to report.
        let was_idle = pending.bytes.is_empty() && pending.dropped_lines == 0;
        if pending.bytes.len() + line.len() > self.shared.limit {
            pending.dropped_lines += 1;
        } else {
            pending.bytes.extend_from_slice(line);
        }
        drop(pending);
        if was_idle {
            self.shared.arrived.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = &'a LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

impl Drop for LogWriterGuard {
    fn drop(&mut self) {
        let mut pending = self.shared.lock();
        pending.closing = true;
        self.shared.arrived.notify_one();
        let _ = self
            .shared
            .stopped
            .wait_timeout_while(pending, LAST_WRITE_WAIT, |pending| !pending.finished);
    }
}

/// The writing thread: waits for lines, gathers a batch, writes it; until closing.
fn write_out(shared: &Shared, mut output: impl Write) {
    let mut batch = Vec::new();
    loop {
        let mut pending = shared.lock();
        while pending.bytes.is_empty() && pending.dropped_lines == 0 {
            if pending.closing {
                return;
            }
            pending = shared
                .arrived
                .wait(pending)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if !pending.closing {
            drop(pending);
            std::thread::sleep(GATHER);
            pending = shared.lock();
        }
        std::mem::swap(&mut batch, &mut pending.bytes);
        let dropped = std::mem::take(&mut pending.dropped_lines);
        drop(pending);
        // Nowhere to report a failed write to but the log itself: the lines are lost either way.
        let _ = output.write_all(&batch).and_then(|()| output.flush());
        batch.clear();
        if batch.capacity() > KEPT_CAPACITY {
            batch = Vec::new();
        }
        if dropped > 0 {
            // Through the subscriber, so that the line has the log's format; it lands in the
            // next batch.
            tracing::warn!(
                lines = dropped,
                "Log lines dropped: standard output did not keep up"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output that records what was written, and how many writes it took.
    #[derive(Clone, Default)]
    struct Recorded(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Recorded {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let mut recorded = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            recorded.0.extend_from_slice(bytes);
            recorded.1 += 1;
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn write_line(writer: &LogWriter, line: &str) {
        let mut handle = writer;
        handle.write_all(line.as_bytes()).expect("never fails");
    }

    #[test]
    fn lines_that_come_while_a_write_is_under_way_go_out_together_in_order() {
        let (release, stalled) = std::sync::mpsc::channel();
        let output = Recorded::default();
        let (writer, guard) =
            LogWriter::start(Stalled(stalled, output.clone()), LOG_BUFFER_BYTES).expect("a thread");
        write_line(&writer, "line 0\n");
        wait_until_taken(&writer);
        // The writer is inside its first write, held there until `release` goes.
        let expected: String = (0..1_000).map(|n| format!("line {n}\n")).collect();
        for line in expected.split_inclusive('\n').skip(1) {
            write_line(&writer, line);
        }
        drop(release);
        drop(guard);
        let recorded = output.0.lock().expect("not poisoned");
        assert_eq!(String::from_utf8_lossy(&recorded.0), expected);
        assert_eq!(
            recorded.1, 2,
            "the first line, then the other 999 in one write"
        );
    }

    /// Waits until the writer has taken everything buffered (it is then writing it out).
    fn wait_until_taken(writer: &LogWriter) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !writer.shared.lock().bytes.is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "the writer never took the lines"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// An output that blocks until the test lets it go.
    struct Stalled(std::sync::mpsc::Receiver<()>, Recorded);

    impl Write for Stalled {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let _ = self.0.recv();
            self.1.write(bytes)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stalled_output_never_blocks_a_writer_and_the_lines_dropped_are_counted() {
        let (release, stalled) = std::sync::mpsc::channel();
        let output = Recorded::default();
        let (writer, guard) =
            LogWriter::start(Stalled(stalled, output.clone()), 100).expect("a thread");
        // The first line goes to the output, which stalls; wait until the writer has taken it.
        write_line(&writer, "first\n");
        wait_until_taken(&writer);
        // Nothing drains now: 9 lines of 11 bytes fit in 100, the other 91 are counted.
        for _ in 0..100 {
            write_line(&writer, "0123456789\n");
        }
        assert_eq!(writer.shared.lock().dropped_lines, 91);
        // Let every write through; the guard then writes what was kept.
        drop(release);
        drop(guard);
        assert!(writer.shared.lock().finished);
        let recorded = output.0.lock().expect("not poisoned");
        let kept = format!("first\n{}", "0123456789\n".repeat(9));
        assert_eq!(String::from_utf8_lossy(&recorded.0), kept);
    }

    #[test]
    fn the_guard_gives_up_on_an_output_that_never_moves() {
        let (_never_released, stalled) = std::sync::mpsc::channel();
        let (writer, guard) =
            LogWriter::start(Stalled(stalled, Recorded::default()), 100).expect("a thread");
        write_line(&writer, "stuck\n");
        let started = std::time::Instant::now();
        drop(guard);
        let waited = started.elapsed();
        assert!(waited >= LAST_WRITE_WAIT, "{waited:?}");
        assert!(waited < LAST_WRITE_WAIT * 5, "{waited:?}");
        assert!(!writer.shared.lock().finished);
    }
}
