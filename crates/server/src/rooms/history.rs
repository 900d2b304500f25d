//! `History`: a room's most recent chat lines, bounded in lines and in bytes.

use std::collections::VecDeque;

use mmo_protocol::ChatLine;

/// What a stored line costs beyond its text: the struct and its slot in the queue. Counted so
/// that a flood of one-character lines is bounded by bytes too.
pub const LINE_OVERHEAD_BYTES: usize = 48;

/// One stored line.
#[derive(Debug, Clone)]
struct StoredLine {
    sender_id: u64,
    sender_name: Box<str>,
    msg: Box<str>,
    sent_at_ms: i64,
}

impl StoredLine {
    fn cost(&self) -> usize {
        self.msg.len() + self.sender_name.len() + LINE_OVERHEAD_BYTES
    }
}

/// The last lines of a room, oldest first, at most `max_lines` of them and at most `max_bytes`
/// in all (text plus `LINE_OVERHEAD_BYTES` each): the oldest go first.
#[derive(Debug)]
pub struct History {
    lines: VecDeque<StoredLine>,
    bytes: usize,
    max_lines: usize,
    max_bytes: usize,
}

impl History {
    /// An empty history with these bounds; `max_lines` 0 keeps nothing.
    pub fn new(max_lines: usize, max_bytes: usize) -> Self {
        Self {
            lines: VecDeque::new(),
            bytes: 0,
            max_lines,
            max_bytes,
        }
    }

    /// Adds a line, dropping the oldest ones while over either bound.
    pub fn push(&mut self, sender_id: u64, sender_name: &str, msg: &str, sent_at_ms: i64) {
        if self.max_lines == 0 {
            return;
        }
        let line = StoredLine {
            sender_id,
            sender_name: sender_name.into(),
            msg: msg.into(),
            sent_at_ms,
        };
        self.bytes += line.cost();
        self.lines.push_back(line);
        while self.lines.len() > self.max_lines || self.bytes > self.max_bytes {
            let Some(oldest) = self.lines.pop_front() else {
                break;
            };
            self.bytes -= oldest.cost();
        }
    }

    /// The lines, oldest first, as they go on the wire.
    pub fn to_chat_lines(&self) -> Vec<ChatLine> {
        self.lines
            .iter()
            .map(|line| ChatLine {
                sender_id: line.sender_id,
                msg: line.msg.to_string(),
                sent_at_ms: line.sent_at_ms,
                sender_name: line.sender_name.to_string(),
            })
            .collect()
    }

    /// Lines kept now.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Bytes counted against `max_bytes` now.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_lines_within_the_line_bound() {
        let mut history = History::new(3, 1 << 20);
        for n in 0..5 {
            history.push(
                n,
                "",
                &format!("line {n}"),
                i64::try_from(n).expect("small"),
            );
        }
        let lines = history.to_chat_lines();
        let texts: Vec<&str> = lines.iter().map(|l| l.msg.as_str()).collect();
        assert_eq!(texts, ["line 2", "line 3", "line 4"]);
        assert_eq!(lines[0].sender_id, 2);
        assert_eq!(lines[0].sent_at_ms, 2);
    }

    #[test]
    fn keeps_within_the_byte_bound_counting_overhead() {
        let per_line = 10 + LINE_OVERHEAD_BYTES;
        let mut history = History::new(100, 2 * per_line);
        for _ in 0..3 {
            history.push(1, "", &"x".repeat(10), 0);
        }
        assert_eq!(history.len(), 2);
        assert_eq!(history.bytes(), 2 * per_line);
        // A line that alone exceeds the bound is not kept, and takes nothing else with it
        // beyond what it must.
        history.push(1, "", &"y".repeat(10 * per_line), 0);
        assert_eq!(history.len(), 0);
        assert_eq!(history.bytes(), 0);
    }

    #[test]
    fn zero_lines_keeps_nothing() {
        let mut history = History::new(0, 1000);
        history.push(1, "", "hi", 0);
        assert!(history.to_chat_lines().is_empty());
    }
}
