//! `IdAllocator`: the one source of client IDs, independent of any membership.

use std::sync::atomic::{AtomicU64, Ordering};

/// The first ID that is never handed out: 2^53, the first integer a JavaScript number or a
/// GDScript float-backed JSON value cannot hold exactly. Every ID is below it, on every server.
pub const ID_LIMIT: u64 = 1 << 53;

/// Hands out client IDs 1, 2, 3… in call order, unique across threads and never reused while
/// the server runs. IDs come from here rather than from a map's insertion, so a client can be
/// a member of any number of rooms (or none) without two maps disagreeing about who it is.
#[derive(Debug)]
pub struct IdAllocator {
    next: AtomicU64,
}

impl Default for IdAllocator {
    fn default() -> Self {
        Self::starting_at(1)
    }
}

impl IdAllocator {
    /// An allocator whose first ID is `first` (tests use this to reach the limit).
    pub fn starting_at(first: u64) -> Self {
        Self {
            next: AtomicU64::new(first.max(1)),
        }
    }

    /// The next `count` IDs, as a range, or `None` when fewer than `count` are left below
    /// 2^53 (none is handed out then: at a million connections a second 2^53 takes 285
    /// years, but the answer is a refusal, not a repeat).
    pub fn allocate_range(&self, count: u64) -> Option<std::ops::Range<u64>> {
        let first = self
            .next
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |next| {
                next.checked_add(count).filter(|end| *end <= ID_LIMIT)
            })
            .ok()?;
        Some(first..first + count)
    }

    /// IDs handed out so far.
    #[cfg(test)]
    pub fn allocated(&self) -> u64 {
        self.next.load(Ordering::Relaxed).saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    impl IdAllocator {
        fn allocate(&self) -> Option<ClientId> {
            self.allocate_range(1)
                .and_then(|ids| ClientId::new(ids.start))
        }
    }
    use std::sync::Arc;

    use mmo_protocol::ClientId;

    #[test]
    fn ids_count_from_one_and_stop_below_two_to_the_53() {
        let ids = IdAllocator::default();
        assert_eq!(ids.allocate().map(ClientId::get), Some(1));
        assert_eq!(ids.allocate().map(ClientId::get), Some(2));
        let near_the_end = IdAllocator::starting_at(ID_LIMIT - 1);
        assert_eq!(
            near_the_end.allocate().map(ClientId::get),
            Some(ID_LIMIT - 1)
        );
        assert_eq!(near_the_end.allocate(), None);
        assert_eq!(near_the_end.allocate(), None, "never wraps to a used ID");
        let ranges = IdAllocator::starting_at(ID_LIMIT - 10);
        assert_eq!(ranges.allocate_range(11), None, "one past the limit");
        assert_eq!(ranges.allocate_range(10), Some(ID_LIMIT - 10..ID_LIMIT));
    }

    #[test]
    fn concurrent_allocations_are_unique() {
        let ids = Arc::new(IdAllocator::default());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let ids = Arc::clone(&ids);
                std::thread::spawn(move || {
                    (0..1000)
                        .map(|_| ids.allocate().expect("room"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut seen = HashSet::new();
        for thread in threads {
            for id in thread.join().expect("thread") {
                assert!(seen.insert(id), "duplicate {id}");
            }
        }
        assert_eq!(seen.len(), 8000);
        assert_eq!(ids.allocated(), 8000);
    }
}
