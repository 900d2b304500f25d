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
    /// Members other than senders per room, in room order, instead of dealing them
    /// round-robin (empty: round-robin); those left over, movers included, are in the last
    /// room.
    #[serde(default)]
    pub sizes: Vec<u64>,
    /// A room (the lobby) whose members other than senders and movers never send a join:
    /// they are in it from connecting, as the tutorial's part-3 client is, and get chat only.
    #[serde(default)]
    pub part3_room: Option<usize>,
    /// Movers join the room they are in again (a re-join) instead of moving to the next.
    #[serde(default)]
    pub rejoin: bool,
    /// What a re-join sends as the room's name, when not the name itself (`""` for the lobby).
    #[serde(default)]
    pub rejoin_as: Option<String>,
    /// Member lists are not followed to completion: the lobby's list is cut at the server's
    /// `max_room_members`, so a big lobby's views never reach its size.
    #[serde(default)]
    pub unchecked: bool,
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
            sizes: Vec::new(),
            part3_room: None,
            rejoin: false,
            rejoin_as: None,
            unchecked: false,
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
        if client >= senders && !self.sizes.is_empty() {
            let mut start = 0;
            for (room, &size) in self.sizes.iter().enumerate().take(self.rooms()) {
                if slot < start + size {
                    return room;
                }
                start += size;
            }
            return self.rooms().saturating_sub(1);
        }
        // Below the room count, which is a `usize`.
        usize::try_from(slot % self.room_count()).unwrap_or(0)
    }

    /// Whether `client` sends a join on connecting: all do but the part-3 members of
    /// `part3_room`.
    pub fn joins_on_connect(&self, client: u64) -> bool {
        client < u64::from(self.senders)
            || self.mover_of(client).is_some()
            || self.part3_room != Some(self.home_of(client))
    }

    /// The member count a client's view of `room` is followed to after its first join
    /// (0: not followed, when the room's list is cut or most members never joined).
    pub fn settle_size(&self, room: usize) -> u64 {
        if self.unchecked || self.part3_room == Some(room) {
            0
        } else {
            self.home_size(room)
        }
    }

    /// How many clients start in `room`: its size once everyone has joined.
    pub fn home_size(&self, room: usize) -> u64 {
        let rooms = self.room_count();
        let room = room as u64;
        let share = |count: u64| count / rooms + u64::from(room < count % rooms);
        let senders = u64::from(self.senders);
        let clients = self.first_mover + self.movers;
        let others = clients.saturating_sub(senders);
        if self.sizes.is_empty() {
            return share(senders.min(clients)) + share(others);
        }
        let last = self.rooms().saturating_sub(1);
        let mut left = others;
        let mut mine = 0;
        for r in 0..self.rooms() {
            let take = self.sizes.get(r).copied().unwrap_or(0).min(left);
            if r == usize::try_from(room).unwrap_or(usize::MAX) {
                mine = take;
            }
            left -= take;
        }
        if usize::try_from(room).ok() == Some(last) {
            mine += left;
        }
        share(senders.min(clients)) + mine
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
        if self.rejoin {
            return room;
        }
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

    #[test]
    fn sized_rooms_fill_in_order_and_the_last_takes_the_rest() {
        // A room of 3 besides its sender, then the lobby with the rest: 2 senders, 10 clients,
        // the last 2 re-joining the lobby.
        let mut layout = RoomLayout::new(vec!["other".into(), "lobby".into()], 2, 10, 2);
        layout.sizes = vec![3];
        layout.part3_room = Some(1);
        layout.rejoin = true;
        let homes: Vec<usize> = (0..10).map(|c| layout.home_of(c)).collect();
        assert_eq!(homes, [0, 1, 0, 0, 0, 1, 1, 1, 1, 1]);
        assert_eq!((layout.home_size(0), layout.home_size(1)), (4, 6));
        // In the lobby only its sender and the movers join; its other members are part 3.
        let joining: Vec<u64> = (0..10).filter(|&c| layout.joins_on_connect(c)).collect();
        assert_eq!(joining, [0, 1, 2, 3, 4, 8, 9]);
        assert_eq!((layout.settle_size(0), layout.settle_size(1)), (4, 0));
        assert_eq!(layout.next_room(1), 1);
    }

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
