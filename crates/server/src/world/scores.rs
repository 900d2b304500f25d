//! Best scores on their way to the accounts: worlds record each account's new best here as
//! it rises (a map, one entry per account, so a player eating a spore a tick costs one entry,
//! not a queue of writes), and a task writes what is pending every `WRITE_INTERVAL`, off the
//! tick. Nothing is lost: a write that fails goes back into the book, and the shutdown writes
//! what is left. A login reads the book too, so a player who reconnects before a write lands
//! still finds its best.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tracing::warn;

use crate::services::AccountStore;

/// How often pending best scores are written: each account's rises within it are one write.
pub const WRITE_INTERVAL: Duration = Duration::from_secs(1);

/// Best scores recorded and not yet written.
#[derive(Debug, Default)]
pub struct ScoreBook {
    book: Mutex<Book>,
    recorded: Notify,
}

#[derive(Debug, Default)]
struct Book {
    /// By account: the best score to write.
    pending: HashMap<i64, u64>,
    /// Being written now (a login in the meantime must still see them).
    writing: HashMap<i64, u64>,
}

impl ScoreBook {
    fn lock(&self) -> MutexGuard<'_, Book> {
        // Every critical section is a few map operations.
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records that `account` reached `best`.
    pub fn record(&self, account: i64, best: u64) {
        let mut book = self.lock();
        let entry = book.pending.entry(account).or_insert(0);
        *entry = (*entry).max(best);
        drop(book);
        self.recorded.notify_one();
    }

    /// The best score recorded for `account` and not yet written, if any.
    pub fn unwritten(&self, account: i64) -> Option<u64> {
        let book = self.lock();
        book.pending
            .get(&account)
            .copied()
            .max(book.writing.get(&account).copied())
    }

    /// Writes everything pending to `store`; what fails goes back to the book. Whether all
    /// was written.
    pub async fn write_pending(&self, store: &dyn AccountStore) -> bool {
        let batch: Vec<(i64, u64)> = {
            let mut book = self.lock();
            // What an earlier writer took and never finished (it was stopped at shutdown)
            // is written again with what is pending: one writer runs at a time.
            let mut batch = std::mem::take(&mut book.writing);
            for (account, best) in std::mem::take(&mut book.pending) {
                let entry = batch.entry(account).or_insert(0);
                *entry = (*entry).max(best);
            }
            book.writing.clone_from(&batch);
            batch.into_iter().collect()
        };
        let mut all_written = true;
        for (account, best) in batch {
            let written = store.raise_best_score(account, best).await;
            let mut book = self.lock();
            if book.writing.get(&account) == Some(&best) {
                book.writing.remove(&account);
            }
            if let Err(error) = written {
                if all_written {
                    warn!("cannot write best scores yet ({error}); they are kept and retried");
                }
                all_written = false;
                let entry = book.pending.entry(account).or_insert(0);
                *entry = (*entry).max(best);
            }
        }
        all_written
    }

    /// Writes pending best scores every `WRITE_INTERVAL` once something is recorded, for as
    /// long as the server runs (the shutdown aborts it, then writes what is left).
    pub async fn keep_writing(&self, store: std::sync::Arc<dyn AccountStore>) {
        loop {
            self.recorded.notified().await;
            // Until all is written: a database that is down is retried at the same pace.
            loop {
                tokio::time::sleep(WRITE_INTERVAL).await;
                if self.write_pending(store.as_ref()).await {
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::Mutex as StdMutex;

    use super::*;
    use crate::services::{Account, AccountError, AccountFuture, Login, Registration};

    /// A store that writes best scores into a list, or never answers (a database that hangs).
    #[derive(Debug, Default)]
    struct Store {
        hangs: bool,
        written: StdMutex<Vec<(i64, u64)>>,
    }

    impl AccountStore for Store {
        fn register(&self, _: Registration) -> AccountFuture<()> {
            Box::pin(async { Err(AccountError::Unavailable) })
        }
        fn login(&self, _: Login) -> AccountFuture<Account> {
            Box::pin(async { Err(AccountError::Unavailable) })
        }
        fn available(&self) -> bool {
            true
        }
        fn raise_best_score(&self, id: i64, score: u64) -> AccountFuture<()> {
            if self.hangs {
                return Box::pin(std::future::pending());
            }
            self.written
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((id, score));
            Box::pin(async { Ok(()) })
        }
    }

    #[tokio::test]
    async fn a_write_stopped_half_way_is_written_by_the_next() {
        let book = ScoreBook::default();
        book.record(7, 1_300);
        book.record(7, 1_257);
        book.record(8, 2_000);
        assert_eq!(book.unwritten(7), Some(1_300), "the best, not the last");
        let hanging = Arc::new(Store {
            hangs: true,
            ..Store::default()
        });
        let stopped = tokio::time::timeout(
            Duration::from_millis(50),
            book.write_pending(hanging.as_ref()),
        )
        .await;
        assert!(stopped.is_err(), "the database never answered");
        assert_eq!(
            book.unwritten(7),
            Some(1_300),
            "still known while unwritten"
        );
        book.record(7, 1_400);
        let store = Store::default();
        assert!(book.write_pending(&store).await);
        let mut written = store
            .written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        written.sort_unstable();
        assert_eq!(written, [(7, 1_400), (8, 2_000)]);
        assert_eq!(book.unwritten(7), None);
    }
}
