//! Noticing room lines a server never read: the stream keeps `CONSUMER_LAG_EVENTS` events of
//! a room's chat beyond its history, and a server whose consumer of the room falls further
//! behind has lines dropped from under it. Each server numbers the lines it publishes in a
//! room (`wire::LineNumber`), so a number that skips says how many were lost; the room is then
//! loaded again from the stream (`follow_room`), so that its record (history, members) is the
//! room's again, and the loss is counted (`mmo_cluster_events_lost_total`) and logged.

use std::collections::HashMap;

use super::wire::LineNumber;

/// The last line read of each server's following of one room.
#[derive(Debug, Default)]
pub(super) struct LinesRead {
    /// By server: its following, and the number of its last line read.
    last: HashMap<u64, (u64, u64)>,
}

impl LinesRead {
    /// Notes `line` as read; returns how many lines of the same following were published
    /// since the last one read and never read. The first line of a following read, or one
    /// of a following of its server after another, starts its count afresh.
    pub(super) fn read(&mut self, line: LineNumber) -> u64 {
        let before = self.last.insert(line.server, (line.following, line.number));
        match before {
            Some((following, number)) if following == line.following && line.number > number => {
                line.number - number - 1
            }
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(server: u64, following: u64, number: u64) -> LineNumber {
        LineNumber {
            server,
            following,
            number,
        }
    }

    #[test]
    fn a_number_that_skips_counts_the_lines_between() {
        let mut read = LinesRead::default();
        // Reading starts anywhere (a room's retained lines begin where the stream kept them).
        assert_eq!(read.read(line(1, 7, 40)), 0);
        assert_eq!(read.read(line(1, 7, 41)), 0);
        // Another server's lines interleave and are counted apart.
        assert_eq!(read.read(line(2, 3, 1)), 0);
        assert_eq!(read.read(line(1, 7, 42)), 0);
        assert_eq!(read.read(line(2, 3, 2)), 0);
        // 43..=2_042 dropped from the stream before they were read.
        assert_eq!(read.read(line(1, 7, 2_043)), 2_000);
        assert_eq!(read.read(line(1, 7, 2_044)), 0);
        assert_eq!(read.read(line(2, 3, 5)), 2);
    }

    #[test]
    fn a_servers_new_following_is_counted_afresh() {
        let mut read = LinesRead::default();
        assert_eq!(read.read(line(1, 7, 9)), 0);
        // The server left the room and followed it again: its numbers start again.
        assert_eq!(read.read(line(1, 8, 1)), 0);
        assert_eq!(read.read(line(1, 8, 2)), 0);
        // Its first lines of the new following were lost: not known, nothing counted.
        assert_eq!(read.read(line(1, 9, 5)), 0);
        assert_eq!(read.read(line(1, 9, 7)), 1);
    }
}
