//! What a server makes on the broker when it starts (the room stream, the key-value buckets)
//! and the one rule for making it: every step is retried until it succeeds or start-up's
//! deadline passes.
//!
//! Why retried: servers started together against a fresh broker race to make the same
//! things, and nats-server 2.9 (Debian's) does not always answer that race cleanly. Seen with
//! three servers starting at once: one server's stream creation refused with "subjects
//! overlap with an existing stream" (the other's creation had landed between its lookup and
//! its create), a key-value write just after its bucket was made refused with "no stream
//! found for given subject", and a request that got no answer at all. Each step is
//! idempotent, so the next attempt finds what the other server made and goes on.

use std::fmt::Display;
use std::future::Future;
use std::io;
use std::time::Duration;

use async_nats::jetstream::{self, kv, stream};
use tokio::time::Instant;
use tracing::warn;

/// How long a server may take, from its first step, to connect to the broker and make what
/// it needs there. Long enough for a broker that is busy or just started; a server that
/// cannot do it by then stops with the last error rather than run half joined.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one attempt at a step may take: a request the broker never answers is given up
/// and sent again, rather than using all of `STARTUP_TIMEOUT`.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);

/// The first wait between attempts; it doubles up to `MAX_RETRY_WAIT`.
const FIRST_RETRY_WAIT: Duration = Duration::from_millis(50);
const MAX_RETRY_WAIT: Duration = Duration::from_secs(1);

/// Runs `attempt` until it succeeds, or fails with its last error (prefixed "nats: `what`")
/// once `deadline` has passed. A failure that is retried is logged once per step.
pub async fn retried<T, E, F, Fut>(what: &str, deadline: Instant, mut attempt: F) -> io::Result<T>
where
    E: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut wait = FIRST_RETRY_WAIT;
    let mut logged = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let error = match tokio::time::timeout(ATTEMPT_TIMEOUT.min(left), attempt()).await {
            Ok(Ok(done)) => return Ok(done),
            Ok(Err(error)) => error.to_string(),
            Err(_) => format!("no answer within {:?}", ATTEMPT_TIMEOUT.min(left)),
        };
        if Instant::now() + wait >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("nats: {what}: {error} (still failing after {STARTUP_TIMEOUT:?})"),
            ));
        }
        if !logged {
            logged = true;
            warn!("nats: {what}: {error}; trying again until {STARTUP_TIMEOUT:?} have passed");
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(MAX_RETRY_WAIT);
    }
}

/// A key-value bucket a server keeps on the broker.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    pub name: &'static str,
    /// What it holds, for whoever lists the broker's streams.
    pub description: &'static str,
    /// Memory for what the cluster can rebuild; file for what must outlive the broker.
    pub storage: stream::StorageType,
    /// How long a key lives without being written again; zero keeps it.
    pub max_age: Duration,
    /// Whether keys may never be deleted (a counter that must only grow).
    pub deny_delete: bool,
}

impl Bucket {
    /// The bucket, made if it does not exist, retried as `retried` says. Its stream is made
    /// here as a key-value bucket's is: async-nats's own `create_key_value` cannot read the
    /// answer of nats-server 2.9. Reads go through the stream's leader, not "direct get":
    /// with 2.9, a direct get from a server that made the bucket while another did could go
    /// unanswered.
    pub async fn open(
        &self,
        jetstream: &jetstream::Context,
        deadline: Instant,
    ) -> io::Result<kv::Store> {
        let config = jetstream::stream::Config {
            name: format!("KV_{}", self.name),
            description: Some(self.description.to_owned()),
            subjects: vec![format!("$KV.{}.>", self.name)],
            max_messages_per_subject: 1,
            max_age: self.max_age,
            discard: stream::DiscardPolicy::New,
            allow_rollup: true,
            deny_delete: self.deny_delete,
            allow_direct: false,
            storage: self.storage,
            ..Default::default()
        };
        let what = format!("cannot open the bucket {}", self.name);
        retried(&what, deadline, || async {
            jetstream
                .get_or_create_stream(config.clone())
                .await
                .map_err(|error| error.to_string())?;
            jetstream
                .get_key_value(self.name)
                .await
                .map_err(|error| error.to_string())
        })
        .await
    }
}
