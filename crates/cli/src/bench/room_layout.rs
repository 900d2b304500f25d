//! Where the clients of a rooms run are: which room each starts in, which room each sender
//! speaks in, and which clients move between rooms. Every worker computes the same answers
//! from the same layout, so no client ever needs to be told another's room.

use serde::{Deserialize, Serialize};

/// How a rooms run places its clients. Clients `0..senders` send, sender `s` in room
/// `s % rooms` and never moving, so a line's stamp alone says which room it belongs to. The
/// other clients are dealt round-robin over the rooms; the last `movers` of them move from
/// room to room when a phase asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomLayout {
    /// The rooms' names: room `r` is `names[r]`.
    pub names: Vec<String>,
    /// How many clients send.
    pub senders: u32,
    /// The first moving client.
    pub first_mover: u64,
    /// How many clients move.
    pub movers: u64,
}

impl RoomLayout {
    /// `clients` clients in the rooms `names`, the first `senders` sending, the last `movers`
    /// moving (at most the non-senders).
    pub fn new(names: Vec<String>, senders: u32, clients: u64, movers: u64) -> Self {
        let movers = movers.min(clients.saturating_sub(u64::from(senders)));
        Self {
            names,
            senders,
            first_mover: clients - movers,
            movers,
        }
    }

    /// How many rooms.
    pub fn rooms(&self) -> usize {
        self.names.len()
    }

    fn room_count(&self) -> u64 {
        self.names.len().max(1) as u64
    }

    /// The room `client` joins on connecting.
    pub fn home_of(&self, client: u64) -> usize {
        let senders = u64::from(self.senders);
        let slot = if client < senders {
            client
        } else {
            client - senders
        };
        // Below the room count, which is a `usize`.
        usize::try_from(slot % self.room_count()).unwrap_or(0)
    }

    /// How many clients start in `room`: its size once everyone has joined.
    pub fn home_size(&self, room: usize) -> u64 {
        let rooms = self.room_count();
        let room = room as u64;
        let share = |count: u64| count / rooms + u64::from(room < count % rooms);
        let senders = u64::from(self.senders);
        let clients = self.first_mover + self.movers;
        share(senders.min(clients)) + share(clients.saturating_sub(senders))
    }

    /// The room whose members hear sender `sender`.
    pub fn room_of_sender(&self, sender: u32) -> usize {
        usize::try_from(u64::from(sender) % self.room_count()).unwrap_or(0)
    }

    /// `client`'s number among the movers, if it is one.
    pub fn mover_of(&self, client: u64) -> Option<u32> {
        client
            .checked_sub(self.first_mover)
            .filter(|&index| index < self.movers)
            .and_then(|index| u32::try_from(index).ok())
    }

    /// Where a mover in `room` goes next: the next room round, so that every room loses and
    /// gains movers at the same pace and keeps its size.
    pub fn next_room(&self, room: usize) -> usize {
        (room + 1) % self.names.len().max(1)
    }

    /// How many lines sender by sender a member of `room` should hear when the senders send
    /// `lines_of(sender)` each: the lines of every sender in the room.
    pub fn lines_per_room(&self, lines_of: impl Fn(u32) -> u64) -> Vec<u64> {
        let mut lines = vec![0; self.rooms()];
        for sender in 0..self.senders {
            if let Some(room) = lines.get_mut(self.room_of_sender(sender)) {
                *room += lines_of(sender);
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(rooms: usize, senders: u32, clients: u64, movers: u64) -> RoomLayout {
        let names = (0..rooms).map(|r| format!("r{r}")).collect();
        RoomLayout::new(names, senders, clients, movers)
    }

    #[test]
    fn every_room_gets_its_senders_and_an_equal_share_of_the_rest() {
        // 3 rooms x 4 members, 2 senders a room.
        let layout = layout(3, 6, 12, 0);
        let mut members = [0; 3];
        let mut senders = [0; 3];
        for client in 0..12 {
            members[layout.home_of(client)] += 1;
        }
        for sender in 0..6 {
            senders[layout.room_of_sender(sender)] += 1;
            assert_eq!(
                layout.room_of_sender(sender),
                layout.home_of(u64::from(sender)),
                "a sender speaks where it lives"
            );
        }
        assert_eq!(members, [4, 4, 4]);
        assert_eq!(
            (0..3).map(|r| layout.home_size(r)).collect::<Vec<_>>(),
            [4, 4, 4]
        );
        // Uneven: 7 clients, 2 senders, 3 rooms: senders in rooms 0 and 1, the other 5 dealt
        // from room 0.
        let uneven = RoomLayout::new(vec!["a".into(), "b".into(), "c".into()], 2, 7, 1);
        let mut sizes = [0; 3];
        for client in 0..7 {
            sizes[uneven.home_of(client)] += 1;
        }
        assert_eq!(sizes, [3, 3, 1]);
        assert_eq!(
            (0..3).map(|r| uneven.home_size(r)).collect::<Vec<_>>(),
            sizes
        );
        assert_eq!(senders, [2, 2, 2]);
        assert_eq!(
            layout.lines_per_room(|s| u64::from(s) + 1),
            [1 + 4, 2 + 5, 3 + 6]
        );
    }

    #[test]
    fn movers_are_the_last_clients_never_senders() {
        let layout = layout(3, 6, 12, 4);
        assert_eq!(layout.first_mover, 8);
        assert_eq!(layout.mover_of(7), None);
        assert_eq!(layout.mover_of(8), Some(0));
        assert_eq!(layout.mover_of(11), Some(3));
        assert_eq!(layout.mover_of(12), None);
        // The movers start spread over the rooms.
        let homes: Vec<usize> = (8..12).map(|c| layout.home_of(c)).collect();
        assert_eq!(homes, [2, 0, 1, 2]);
        assert_eq!(layout.next_room(2), 0);
        // No more movers than non-senders.
        let greedy = RoomLayout::new(vec!["a".to_owned()], 2, 5, 10);
        assert_eq!((greedy.first_mover, greedy.movers), (2, 3));
    }
}
