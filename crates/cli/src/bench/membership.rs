//! One bench client's idea of its room — which room the server last put it in and who is in
//! it — kept from `RoomMessage`s and presence, and checked against every `RoomMessage` the
//! server sends for the same room.
//!
//! The server changes a room's members and queues its presence and `RoomMessage`s under one
//! lock per room, so a client's own view, updated event by event in the order they arrive, must
//! equal the member list of any `RoomMessage` for its room at the moment that message arrives:
//! a presence lost or sent twice shows as a difference there, or earlier as a join of someone
//! already present or a leave of someone absent. Joins are answered in the order sent, which
//! is how an answer is matched to its join.

use serde::{Deserialize, Serialize};

use super::room_layout::RoomLayout;

/// Joins one client may have unanswered at once: a move and the final refresh.
pub const MAX_PENDING_JOINS: usize = 2;

/// Membership checks, added up over clients (and workers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipChecks {
    /// Presence events applied to a client's view.
    pub presence_events: u64,
    /// Presence of someone entering who was already there, or leaving who was not: a
    /// presence duplicated, or an earlier one lost.
    pub presence_unexpected: u64,
    /// Presence for a room other than the one the client was in.
    pub presence_wrong_room: u64,
    /// `RoomMessage`s for the room a client was already in, compared with its view.
    pub lists_checked: u64,
    /// Of those, how many differed from the view.
    pub lists_differing: u64,
    /// Members in one of a view and its `RoomMessage` but not the other, all lists together.
    pub member_differences: u64,
    /// `RoomMessage`s no join asked for, or naming another room than the join asked for.
    pub unexpected_answers: u64,
}

impl MembershipChecks {
    /// Adds `other`'s counts.
    pub fn merge(&mut self, other: &Self) {
        self.presence_events += other.presence_events;
        self.presence_unexpected += other.presence_unexpected;
        self.presence_wrong_room += other.presence_wrong_room;
        self.lists_checked += other.lists_checked;
        self.lists_differing += other.lists_differing;
        self.member_differences += other.member_differences;
        self.unexpected_answers += other.unexpected_answers;
    }

    /// Whether nothing was found wrong.
    #[cfg(test)]
    pub fn all_consistent(&self) -> bool {
        self.presence_unexpected == 0
            && self.presence_wrong_room == 0
            && self.lists_differing == 0
            && self.unexpected_answers == 0
    }
}

/// A join sent and not yet answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PendingJoin<T> {
    room: usize,
    sent_at: T,
}

/// What a `RoomMessage` turned out to answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer<T> {
    /// The client is now in another room (or its first one), joined at `sent_at`.
    Moved {
        /// The room now.
        room: usize,
        /// When the join was sent.
        sent_at: T,
    },
    /// The client asked for the room it was in: its view was checked.
    Refreshed {
        /// When the join was sent.
        sent_at: T,
    },
    /// Nothing the client asked for (counted in `unexpected_answers`).
    Unexpected,
}

/// A client's room and members as it has been told them. `T` is when a join was sent
/// (an `Instant` in the bench), carried back with its answer for the join's latency.
#[derive(Debug)]
pub struct Membership<T> {
    /// The room the server last put the client in; `None` until the first `RoomMessage`
    /// (every client starts in the lobby, which no bench client watches).
    room: Option<usize>,
    /// Its members, the client included, sorted.
    members: Vec<u64>,
    /// Joins sent, oldest first.
    pending: [Option<PendingJoin<T>>; MAX_PENDING_JOINS],
}

impl<T: Copy> Default for Membership<T> {
    fn default() -> Self {
        Self {
            room: None,
            members: Vec::new(),
            pending: [None; MAX_PENDING_JOINS],
        }
    }
}

impl<T: Copy> Membership<T> {
    /// The room the server last put the client in.
    pub fn room(&self) -> Option<usize> {
        self.room
    }

    /// Members in the client's view of its room.
    #[cfg(test)]
    pub fn members(&self) -> &[u64] {
        &self.members
    }

    /// How many members the client's view of its room has.
    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    /// Joins sent and not yet answered.
    pub fn pending_joins(&self) -> usize {
        self.pending.iter().flatten().count()
    }

    /// The room the client will be in once every join sent so far is answered.
    pub fn destination(&self) -> Option<usize> {
        self.pending
            .iter()
            .flatten()
            .last()
            .map(|join| join.room)
            .or(self.room)
    }

    /// Records a join for `room` sent at `sent_at`; `false` (and nothing recorded) when
    /// `MAX_PENDING_JOINS` are already unanswered.
    pub fn joining(&mut self, room: usize, sent_at: T) -> bool {
        match self.pending.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => {
                *slot = Some(PendingJoin { room, sent_at });
                true
            }
            None => false,
        }
    }

    fn take_oldest(&mut self) -> Option<PendingJoin<T>> {
        let oldest = self.pending[0].take();
        self.pending.rotate_left(1);
        oldest
    }

    /// A `RoomMessage` for `name` listing `members`: the answer to the oldest join.
    pub fn on_room(
        &mut self,
        layout: &RoomLayout,
        name: &str,
        members: impl IntoIterator<Item = u64>,
        checks: &mut MembershipChecks,
    ) -> Answer<T> {
        let Some(join) = self.take_oldest() else {
            checks.unexpected_answers += 1;
            return Answer::Unexpected;
        };
        if layout.names.get(join.room).map(String::as_str) != Some(name) {
            checks.unexpected_answers += 1;
            return Answer::Unexpected;
        }
        let mut listed: Vec<u64> = members.into_iter().collect();
        listed.sort_unstable();
        if self.room == Some(join.room) {
            let differences = symmetric_difference(&self.members, &listed);
            checks.lists_checked += 1;
            if differences > 0 {
                checks.lists_differing += 1;
                checks.member_differences += differences;
            }
            // The server's list is the truth from here on, so one lost event counts once.
            self.members = listed;
            Answer::Refreshed {
                sent_at: join.sent_at,
            }
        } else {
            self.room = Some(join.room);
            self.members = listed;
            Answer::Moved {
                room: join.room,
                sent_at: join.sent_at,
            }
        }
    }

    /// A refusal: the oldest join was refused, and the client stays where it was. `None` when
    /// no join was waiting (the refusal was of something else).
    pub fn on_deny(&mut self) -> Option<T> {
        self.take_oldest().map(|join| join.sent_at)
    }

    /// A presence: `who` entered (`joined`) or left `room`.
    pub fn on_presence(
        &mut self,
        layout: &RoomLayout,
        who: u64,
        joined: bool,
        room: &str,
        checks: &mut MembershipChecks,
    ) {
        let Some(current) = self.room else {
            // Still in the lobby, where the client started and which it does not follow.
            return;
        };
        checks.presence_events += 1;
        if layout.names.get(current).map(String::as_str) != Some(room) {
            checks.presence_wrong_room += 1;
            return;
        }
        match (self.members.binary_search(&who), joined) {
            (Err(at), true) => self.members.insert(at, who),
            (Ok(at), false) => {
                self.members.remove(at);
            }
            (Ok(_), true) | (Err(_), false) => checks.presence_unexpected += 1,
        }
    }
}

/// How many values are in one of two sorted lists but not the other.
fn symmetric_difference(a: &[u64], b: &[u64]) -> u64 {
    let (mut i, mut j, mut different) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                different += 1;
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                different += 1;
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    different + (a.len() - i) as u64 + (b.len() - j) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> RoomLayout {
        RoomLayout::new(vec!["a".to_owned(), "b".to_owned()], 2, 10, 2)
    }

    /// A client that joined room `a` at time 0 and was answered with `members`.
    fn in_a(members: &[u64], checks: &mut MembershipChecks) -> Membership<u32> {
        let mut view = Membership::default();
        assert!(view.joining(0, 0));
        assert_eq!(
            view.on_room(&layout(), "a", members.iter().copied(), checks),
            Answer::Moved {
                room: 0,
                sent_at: 0
            }
        );
        view
    }

    #[test]
    fn presence_in_order_matches_the_next_list() {
        let mut checks = MembershipChecks::default();
        let mut view = in_a(&[3, 1], &mut checks);
        assert_eq!(view.room(), Some(0));
        assert_eq!(view.members(), [1, 3]);
        view.on_presence(&layout(), 7, true, "a", &mut checks);
        view.on_presence(&layout(), 1, false, "a", &mut checks);
        assert_eq!(view.members(), [3, 7]);
        assert!(view.joining(0, 5));
        assert_eq!(
            view.on_room(&layout(), "a", [7, 3], &mut checks),
            Answer::Refreshed { sent_at: 5 }
        );
        assert_eq!(
            checks,
            MembershipChecks {
                presence_events: 2,
                lists_checked: 1,
                ..MembershipChecks::default()
            }
        );
        assert!(checks.all_consistent());
    }

    #[test]
    fn a_lost_or_repeated_presence_is_caught() {
        let mut checks = MembershipChecks::default();
        let mut view = in_a(&[1, 3], &mut checks);
        // 5 came in, but that presence was lost; then 5 leaves: a leave of someone absent.
        view.on_presence(&layout(), 5, false, "a", &mut checks);
        assert_eq!(checks.presence_unexpected, 1);
        // 3 entering again: a repeat.
        view.on_presence(&layout(), 3, true, "a", &mut checks);
        assert_eq!(checks.presence_unexpected, 2);
        // 1 left and that presence was lost: the refresh lists [3] and the view still has 1.
        view.joining(0, 9);
        view.on_room(&layout(), "a", [3], &mut checks);
        assert_eq!(checks.lists_differing, 1);
        assert_eq!(checks.member_differences, 1);
        assert!(!checks.all_consistent());
        // The list is adopted, so the same loss is not counted again.
        view.joining(0, 10);
        view.on_room(&layout(), "a", [3], &mut checks);
        assert_eq!(checks.lists_differing, 1);
        assert_eq!(checks.lists_checked, 2);
    }

    #[test]
    fn presence_for_another_room_is_wrong_but_the_lobby_before_the_first_room_is_not_watched() {
        let mut checks = MembershipChecks::default();
        let mut view: Membership<u32> = Membership::default();
        view.on_presence(&layout(), 4, true, "lobby", &mut checks);
        assert_eq!(checks, MembershipChecks::default());
        let mut view = in_a(&[1], &mut checks);
        view.on_presence(&layout(), 4, true, "b", &mut checks);
        assert_eq!(checks.presence_wrong_room, 1);
        assert_eq!(view.members(), [1]);
    }

    #[test]
    fn joins_are_answered_in_order_a_move_then_a_refresh() {
        let mut checks = MembershipChecks::default();
        let mut view = in_a(&[1, 2], &mut checks);
        // A move to b and, before its answer, a refresh of b.
        assert!(view.joining(1, 20));
        assert_eq!(view.destination(), Some(1));
        assert!(view.joining(1, 21));
        assert!(!view.joining(0, 22), "at most two joins wait");
        assert_eq!(view.pending_joins(), 2);
        // Presence for a, from before the move was handled, still counts for a.
        view.on_presence(&layout(), 2, false, "a", &mut checks);
        assert_eq!(
            view.on_room(&layout(), "b", [1, 8], &mut checks),
            Answer::Moved {
                room: 1,
                sent_at: 20
            }
        );
        view.on_presence(&layout(), 9, true, "b", &mut checks);
        assert_eq!(
            view.on_room(&layout(), "b", [1, 8, 9], &mut checks),
            Answer::Refreshed { sent_at: 21 }
        );
        assert_eq!(view.pending_joins(), 0);
        assert!(checks.all_consistent(), "{checks:?}");
        // Presence for a now is for a room the client left.
        view.on_presence(&layout(), 2, true, "a", &mut checks);
        assert_eq!(checks.presence_wrong_room, 1);
    }

    #[test]
    fn refusals_and_unasked_answers() {
        let mut checks = MembershipChecks::default();
        let mut view = in_a(&[1], &mut checks);
        assert_eq!(view.on_deny(), None, "a refusal of something else");
        view.joining(1, 30);
        assert_eq!(view.on_deny(), Some(30));
        assert_eq!(view.room(), Some(0), "a refused client stays where it was");
        assert_eq!(
            view.on_room(&layout(), "a", [1], &mut checks),
            Answer::Unexpected
        );
        view.joining(1, 31);
        assert_eq!(
            view.on_room(&layout(), "a", [1], &mut checks),
            Answer::Unexpected,
            "an answer for another room than asked"
        );
        assert_eq!(checks.unexpected_answers, 2);
    }

    #[test]
    fn counts_differences_between_sorted_lists() {
        assert_eq!(symmetric_difference(&[], &[]), 0);
        assert_eq!(symmetric_difference(&[1, 2, 3], &[1, 2, 3]), 0);
        assert_eq!(symmetric_difference(&[1, 2, 3], &[2, 4]), 3);
        assert_eq!(symmetric_difference(&[], &[5, 6]), 2);
    }
}
