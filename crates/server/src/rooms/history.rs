//! `History`: a room's most recent chat lines, bounded in lines and in bytes.

use std::collections::VecDeque;

use mmo_protocol::ChatLine;

use crate::rooms::event::ChatLineEvent;

/// What a stored line costs beyond its text: the struct and its slot in the queue. Counted so
/// that a flood of one-character lines is bounded by bytes too.
pub const LINE_OVERHEAD_BYTES: usize = 48;

/// One stored line: the event's own text, shared with the frames that relayed it.
type StoredLine = ChatLineEvent;

fn cost(line: &StoredLine) -> usize {
    line.text.len() + line.sender_name.len() + LINE_OVERHEAD_BYTES
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
    pub fn push(&mut self, line: &ChatLineEvent) {
        if self.max_lines == 0 {
            return;
        }
        self.bytes += cost(line);
        // Two reference counts: the text is shared with the event, not copied.
        self.lines.push_back(line.clone());
        while self.lines.len() > self.max_lines || self.bytes > self.max_bytes {
            let Some(oldest) = self.lines.pop_front() else {
                break;
            };
            self.bytes -= cost(&oldest);
        }
    }

    /// The lines, oldest first, as they go on the wire.
    pub fn to_chat_lines(&self) -> Vec<ChatLine> {
        self.lines
            .iter()
            .map(|line| ChatLine {
                sender_id: line.sender.get(),
                msg: line.text.to_string(),
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
    use mmo_protocol::ClientId;

    fn line(sender: u64, text: &str, sent_at_ms: i64) -> ChatLineEvent {
        ChatLineEvent {
            sender: ClientId::new(sender).expect("non-zero"),
            sender_name: "".into(),
            text: text.into(),
            sent_at_ms,
        }
    }

    #[test]
    fn keeps_the_newest_lines_within_the_line_bound() {
        let mut history = History::new(3, 1 << 20);
        for n in 0..5 {
            history.push(&line(
                n + 1,
                &format!("line {n}"),
                i64::try_from(n).expect("small"),
            ));
        }
        let lines = history.to_chat_lines();
        let texts: Vec<&str> = lines.iter().map(|l| l.msg.as_str()).collect();
        assert_eq!(texts, ["line 2", "line 3", "line 4"]);
        assert_eq!(lines[0].sender_id, 3);
        assert_eq!(lines[0].sent_at_ms, 2);
    }

    #[test]
    fn keeps_within_the_byte_bound_counting_overhead() {
        let per_line = 10 + LINE_OVERHEAD_BYTES;
        let mut history = History::new(100, 2 * per_line);
        for _ in 0..3 {
            history.push(&line(1, &"x".repeat(10), 0));
        }
        assert_eq!(history.len(), 2);
        assert_eq!(history.bytes(), 2 * per_line);
        // A line that alone exceeds the bound is not kept, and takes nothing else with it
        // beyond what it must.
        history.push(&line(1, &"y".repeat(10 * per_line), 0));
        assert_eq!(history.len(), 0);
        assert_eq!(history.bytes(), 0);
    }

    #[test]
    fn zero_lines_keeps_nothing() {
        let mut history = History::new(0, 1000);
        history.push(&line(1, "hi", 0));
        assert!(history.to_chat_lines().is_empty());
    }
}
