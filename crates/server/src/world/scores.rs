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
            let pending = std::mem::take(&mut book.pending);
            book.writing
                .extend(pending.iter().map(|(&id, &best)| (id, best)));
            pending.into_iter().collect()
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
