//! Client IDs unique across a cluster and its restarts: blocks of IDs reserved from one
//! counter in a JetStream key-value bucket by compare-and-set, handed out one by one.
//!
//! The counter holds the first ID no server has reserved. A server reads it with its revision
//! and writes it `BLOCK` higher only if the revision is still the one it read; when two
//! servers race, one write fails and that server reads again. So every block is reserved by
//! exactly one server, the counter only grows, and IDs of a block a server did not use before
//! it stopped are never handed out again. The bucket is kept in the broker's store with the
//! room history, so IDs are not reused while history names them.

use std::ops::Range;

use async_nats::jetstream::kv;
use async_nats::jetstream::stream::StorageType;

use super::setup::Bucket;

use crate::ids::ID_LIMIT;

/// The bucket of the counter.
pub const BUCKET: &str = "MMO_IDS";
const KEY: &str = "next";

/// IDs a server reserves at once: one broker round trip per thousand connections, and at most
/// a thousand IDs skipped per server start (2^53 lasts for ever either way).
pub const BLOCK: u64 = 1000;

/// Why no IDs could be reserved.
#[derive(Debug, thiserror::Error)]
pub enum ReserveError {
    /// Fewer than asked are left below 2^53.
    #[error("client IDs below 2^53 are used up")]
    UsedUp,
    /// The broker did not answer.
    #[error("the broker: {0}")]
    Broker(String),
}

/// The bucket of the counter, kept in the broker's file store: IDs must not be reused after
/// the broker restarts, and keys may never be deleted: the counter only grows.
pub const COUNTER: Bucket = Bucket {
    name: BUCKET,
    description: "the next client ID no mmo-server has reserved",
    storage: StorageType::File,
    max_age: std::time::Duration::ZERO,
    deny_delete: true,
};

/// Reserves `count` IDs no server has had, nor will have.
pub async fn reserve(store: &kv::Store, count: u64) -> Result<Range<u64>, ReserveError> {
    let broker = |error: &dyn std::fmt::Display| ReserveError::Broker(error.to_string());
    loop {
        let current = store.entry(KEY).await.map_err(|error| broker(&error))?;
        let (first, revision) = match &current {
            Some(entry) if entry.operation == kv::Operation::Put => (
                std::str::from_utf8(&entry.value)
                    .ok()
                    .and_then(|text| text.parse::<u64>().ok())
                    .ok_or_else(|| {
                        ReserveError::Broker(format!("{BUCKET}.{KEY} holds no number"))
                    })?,
                Some(entry.revision),
            ),
            _ => (1, None),
        };
        let end = first
            .checked_add(count)
            .filter(|end| *end <= ID_LIMIT)
            .ok_or(ReserveError::UsedUp)?;
        // `Ok(false)`: another server reserved a block since the read; read again.
        let written = match revision {
            Some(revision) => match store.update(KEY, end.to_string().into(), revision).await {
                Ok(_) => Ok(true),
                Err(error) if error.kind() == kv::UpdateErrorKind::WrongLastRevision => Ok(false),
                Err(error) => Err(broker(&error)),
            },
            None => match store.create(KEY, end.to_string().into()).await {
                Ok(_) => Ok(true),
                Err(error) if error.kind() == kv::CreateErrorKind::AlreadyExists => Ok(false),
                Err(error) => Err(broker(&error)),
            },
        };
        if written? {
            return Ok(first..end);
        }
    }
}
