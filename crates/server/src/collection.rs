//! `SharedCollection`: a thread-safe map that hands out unique, never-reused IDs — for clients
//! now and game objects later.

use std::collections::HashMap;
use std::num::NonZeroU64;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A thread-safe collection of `T`, each under an ID it assigned: 1, 2, 3… in insertion order,
/// never reused for the collection's lifetime, unique however many threads insert at once.
///
/// Reads (`get`, `for_each`, `len`) share the lock; inserts and removes take it alone. Iteration
/// with `for_each` holds the read lock for the whole walk, so its callback must only do quick,
/// non-blocking work (such as pushing onto a bounded queue) — never I/O. Use `snapshot` when the
/// work per item may block.
#[derive(Debug)]
pub struct SharedCollection<T, Id = NonZeroU64> {
    inner: RwLock<Inner<T, Id>>,
}

#[derive(Debug)]
struct Inner<T, Id> {
    items: HashMap<Id, T>,
    next_id: NonZeroU64,
}

impl<T, Id> Default for SharedCollection<T, Id>
where
    Id: From<NonZeroU64> + Copy + Eq + std::hash::Hash,
{
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<T, Id> SharedCollection<T, Id>
where
    Id: From<NonZeroU64> + Copy + Eq + std::hash::Hash,
{
    /// An empty collection with room for `capacity` items before it reallocates.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: RwLock::new(Inner {
                items: HashMap::with_capacity(capacity),
                next_id: NonZeroU64::MIN,
            }),
        }
    }

    /// Adds the item built by `make` from its new ID, and returns that ID. Building the item
    /// under the lock lets it know its own ID before anyone else can see it.
    pub fn insert_with(&self, make: impl FnOnce(Id) -> T) -> Id {
        let mut inner = self.write();
        let id = Id::from(inner.next_id);
        // 2^64 inserts would take centuries at any realistic rate; saturating keeps IDs unique
        // in the meantime by refusing to wrap to a used one.
        inner.next_id = inner.next_id.saturating_add(1);
        let item = make(id);
        inner.items.insert(id, item);
        id
    }

    /// Adds `item` and returns the ID it was given.
    pub fn insert(&self, item: T) -> Id {
        self.insert_with(|_| item)
    }

    /// Removes and returns the item with this ID, if present.
    pub fn remove(&self, id: Id) -> Option<T> {
        self.write().items.remove(&id)
    }

    /// The exact number of items at the moment of the call.
    pub fn len(&self) -> usize {
        self.read().items.len()
    }

    /// Whether the collection holds no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `visit` for every item while holding the read lock: inserts and removes wait until
    /// it returns, so `visit` must be quick and must not block.
    pub fn for_each(&self, mut visit: impl FnMut(Id, &T)) {
        for (id, item) in &self.read().items {
            visit(*id, item);
        }
    }
}

impl<T: Clone, Id> SharedCollection<T, Id>
where
    Id: From<NonZeroU64> + Copy + Eq + std::hash::Hash,
{
    /// A clone of the item with this ID, if present.
    pub fn get(&self, id: Id) -> Option<T> {
        self.read().items.get(&id).cloned()
    }

    /// A copy of every entry, taken under the lock and returned without it, for work that may
    /// block or take long.
    pub fn snapshot(&self) -> Vec<(Id, T)> {
        self.read()
            .items
            .iter()
            .map(|(id, item)| (*id, item.clone()))
            .collect()
    }
}

impl<T, Id> SharedCollection<T, Id> {
    // A panic while holding the lock cannot leave the map half-updated (every critical section
    // is a single HashMap call), so a poisoned lock is still safe to use.
    fn read(&self) -> RwLockReadGuard<'_, Inner<T, Id>> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner<T, Id>> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Arc;

    #[test]
    fn ids_start_at_one_and_are_never_reused() {
        let collection: SharedCollection<&str> = SharedCollection::default();
        let a = collection.insert("a");
        let b = collection.insert("b");
        assert_eq!((a.get(), b.get()), (1, 2));
        assert_eq!(collection.remove(b), Some("b"));
        let c = collection.insert("c");
        assert_eq!(c.get(), 3, "a removed ID must not come back");
        assert_eq!(collection.len(), 2);
        assert_eq!(collection.get(a), Some("a"));
        assert_eq!(collection.get(b), None);
    }

    #[test]
    fn concurrent_inserts_get_unique_ids_and_an_exact_len() {
        let collection = Arc::new(SharedCollection::<usize>::default());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let collection = Arc::clone(&collection);
                std::thread::spawn(move || {
                    (0..500)
                        .map(|i| collection.insert(t * 1000 + i))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut ids = HashSet::new();
        for thread in threads {
            for id in thread.join().expect("inserter thread") {
                assert!(ids.insert(id), "duplicate ID {id}");
            }
        }
        assert_eq!(ids.len(), 4000);
        assert_eq!(collection.len(), 4000);
        assert_eq!(ids.iter().map(|id| id.get()).max(), Some(4000));
    }

    #[test]
    fn insert_with_lets_the_item_know_its_id() {
        let collection: SharedCollection<u64> = SharedCollection::default();
        let id = collection.insert_with(|id: NonZeroU64| id.get() * 10);
        assert_eq!(collection.get(id), Some(10));
    }

    #[test]
    fn for_each_and_snapshot_see_every_item() {
        let collection: SharedCollection<u32> = SharedCollection::with_capacity(4);
        for n in 0..4 {
            collection.insert(n);
        }
        let mut seen = Vec::new();
        collection.for_each(|_, n| seen.push(*n));
        seen.sort_unstable();
        assert_eq!(seen, [0, 1, 2, 3]);
        let mut snapshot: Vec<u32> = collection.snapshot().into_iter().map(|(_, n)| n).collect();
        snapshot.sort_unstable();
        assert_eq!(snapshot, seen);
        assert!(!collection.is_empty());
    }
}
