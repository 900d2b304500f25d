//! One login per account across the cluster: a login claims its account in a JetStream
//! key-value bucket (`BUCKET`, key the account's ID, value the server's), which gives the
//! claim a revision in one order for the whole cluster, then says so on
//! `mmo.account.<id>.login`. A server holding a connection to that account whose own claim is
//! older (a lower revision) closes it as a server on its own closes an older connection
//! (`close_logged_in_elsewhere`). So two logins at once on two servers end the same way on
//! both: the later revision stays.
//!
//! The claim goes on in the background, after the login's answer: a login never waits for
//! the broker. While the broker is away a claim fails (logged, counted in
//! `mmo_cluster_login_claims_failed`): that login is one on this server alone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use async_nats::jetstream::stream::StorageType;
use bytes::Bytes;
use futures_util::StreamExt as _;
use tracing::{info, warn};

use super::setup::Bucket;
use super::{Shared, lock};
use crate::peer::Peer;

/// The bucket of the claims: the server each account last logged in on.
pub const BUCKET: &str = "MMO_LOGINS";

/// Where a claim is said, with its revision: `mmo.account.<id>.login`.
const ANNOUNCE_SUBJECTS: &str = "mmo.account";

/// The accounts logged in on this server, with their claims.
#[derive(Debug, Default)]
pub(super) struct Logins {
    claims: Mutex<Claims>,
}

#[derive(Debug, Default)]
struct Claims {
    by_account: HashMap<i64, Claim>,
    /// The map's size after the last sweep of ended connections (as `LoggedIn`'s).
    swept_at: usize,
}

/// The claim of the connection logged into an account here.
#[derive(Debug)]
struct Claim {
    peer: Weak<Peer>,
    /// Its revision in the bucket, once the broker has answered.
    revision: Option<u64>,
    /// The latest revision another server announced before the broker answered this claim.
    outranked_by: u64,
}

/// The bucket of the claims: one revision per account, on file so that a broker's restart
/// does not forget which server holds an account.
pub(super) const CLAIMS: Bucket = Bucket {
    name: BUCKET,
    description: "the mmo-server each account last logged in on",
    storage: StorageType::File,
    max_age: std::time::Duration::ZERO,
    deny_delete: false,
};

/// The subscription to every server's claims.
pub(super) async fn listen(client: &async_nats::Client) -> Result<async_nats::Subscriber, String> {
    client
        .subscribe(format!("{ANNOUNCE_SUBJECTS}.*.login"))
        .await
        .map_err(|error| error.to_string())
}

impl Shared {
    /// Notes that `peer` logged into `account` here and claims it in the cluster, in the
    /// background (see the module doc).
    pub(super) fn claim_account(self: &Arc<Self>, account: i64, peer: &Arc<Peer>) {
        {
            let mut claims = lock(&self.logins.claims);
            claims.by_account.insert(
                account,
                Claim {
                    peer: Arc::downgrade(peer),
                    revision: None,
                    outranked_by: 0,
                },
            );
            if claims.by_account.len() > claims.swept_at.saturating_mul(2).max(64) {
                claims
                    .by_account
                    .retain(|_, claim| claim.peer.strong_count() > 0);
                claims.swept_at = claims.by_account.len();
            }
        }
        let shared = Arc::clone(self);
        let peer = Arc::downgrade(peer);
        self.handle.spawn(async move {
            let put = shared
                .logins_store
                .put(account.to_string(), Bytes::from(shared.server.to_string()))
                .await;
            let revision = match put {
                Ok(revision) => revision,
                Err(error) => {
                    if let Some(counters) = shared.counters.get() {
                        counters.login_claims_failed.inc();
                    }
                    warn!(
                        "Account {account}: its login could not be claimed in the cluster \
                         ({error}); an older connection to it on another server stays open"
                    );
                    return;
                }
            };
            shared.claimed(account, &peer, revision);
            let subject = format!("{ANNOUNCE_SUBJECTS}.{account}.login");
            let payload = Bytes::from(format!("{revision} {}", shared.server));
            if let Err(error) = shared.jetstream.client().publish(subject, payload).await {
                if let Some(counters) = shared.counters.get() {
                    counters.login_claims_failed.inc();
                }
                warn!("Account {account}: its login could not be announced ({error})");
            }
        });
    }

    /// The broker answered the claim of `peer` to `account` with `revision`: it is closed if
    /// another server announced a later one meanwhile.
    fn claimed(&self, account: i64, peer: &Weak<Peer>, revision: u64) {
        let outranked = {
            let mut claims = lock(&self.logins.claims);
            let Some(claim) = claims
                .by_account
                .get_mut(&account)
                .filter(|claim| claim.peer.ptr_eq(peer))
            else {
                return;
            };
            claim.revision = Some(revision);
            let outranked = claim.outranked_by > revision;
            if outranked {
                claims.by_account.remove(&account);
            }
            outranked
        };
        if let Some(peer) = peer.upgrade().filter(|_| outranked) {
            close(&peer, account);
        }
    }

    /// `peer` logged out of `account`: another server's login leaves it open.
    pub(super) fn release_account(&self, account: i64, peer: &Peer) {
        let mut claims = lock(&self.logins.claims);
        let ours = claims
            .by_account
            .get(&account)
            .is_some_and(|claim| claim.peer.upgrade().is_some_and(|held| held.id == peer.id));
        if ours {
            claims.by_account.remove(&account);
        }
    }

    /// Another server claimed `account` with `revision`: the connection to it here closes if
    /// its own claim is older.
    fn announced(&self, account: i64, revision: u64) {
        let older = {
            let mut claims = lock(&self.logins.claims);
            let Some(claim) = claims.by_account.get_mut(&account) else {
                return;
            };
            match claim.revision {
                Some(ours) if ours < revision => claims
                    .by_account
                    .remove(&account)
                    .and_then(|claim| claim.peer.upgrade()),
                Some(_) => None,
                None => {
                    claim.outranked_by = claim.outranked_by.max(revision);
                    None
                }
            }
        };
        if let Some(older) = older {
            close(&older, account);
        }
    }
}

fn close(older: &Peer, account: i64) {
    if older.outbox.is_closing() {
        return;
    }
    info!(
        "Client {}: closing it because its account {account} logged in on another server",
        older.id
    );
    crate::accounts::close_logged_in_elsewhere(older);
}

/// Reads the other servers' claims.
pub(super) async fn follow_claims(shared: Arc<Shared>, mut heard: async_nats::Subscriber) {
    while let Some(message) = heard.next().await {
        let Some(Ok(account)) = message.subject.split('.').nth(2).map(str::parse::<i64>) else {
            continue;
        };
        let payload = String::from_utf8_lossy(&message.payload);
        let mut parts = payload.split(' ').map(str::parse::<u64>);
        let (Some(Ok(revision)), Some(Ok(server))) = (parts.next(), parts.next()) else {
            warn!("A login claim from the broker could not be read; skipped");
            continue;
        };
        if server != shared.server {
            shared.announced(account, revision);
        }
    }
}
