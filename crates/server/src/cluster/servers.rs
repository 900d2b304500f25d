//! The cluster's table of live servers for `/api/status` and the metrics: what this server
//! says of itself with each heartbeat (`wire::ServerReport`, in a header so that servers of
//! earlier builds read the heartbeat as before), and what the others last said.

use async_nats::HeaderMap;

use super::{Shared, lock, wire};
use crate::rooms::ClusterServer;

impl Shared {
    /// Notes how this server stands now, for its next heartbeat.
    pub(super) fn report_local(&self, clients: usize, address: Option<&str>) {
        let mut local = lock(&self.local);
        local.clients = u64::try_from(clients).unwrap_or(u64::MAX);
        if local.address.as_deref() != address {
            local.address = address.map(str::to_owned);
        }
    }

    /// The headers of this server's next heartbeat.
    pub(super) fn heartbeat_headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(wire::REPORT_HEADER, lock(&self.local).encode().as_str());
        headers
    }

    /// Keeps what `server`'s heartbeat said of it (nothing, from a server of an earlier
    /// build). Called with the servers' lock held, for a server not gone.
    pub(super) fn heard_report(
        servers: &mut super::Servers,
        server: u64,
        headers: Option<&HeaderMap>,
    ) {
        let report = headers
            .and_then(|headers| headers.get(wire::REPORT_HEADER))
            .and_then(|value| wire::ServerReport::decode(value.as_str()));
        match report {
            Some(report) => servers.reports.insert(server, report),
            None => servers.reports.remove(&server),
        };
    }

    /// This server, then every other one not gone (heard within `cluster_timeout`), by ID.
    pub(super) fn cluster_servers(&self) -> Vec<ClusterServer> {
        let local = lock(&self.local).clone();
        let mut listed = vec![ClusterServer {
            id: self.server,
            address: local.address,
            clients: Some(local.clients),
            this: true,
        }];
        let servers = lock(&self.servers);
        let mut others: Vec<ClusterServer> = servers
            .last_heard
            .keys()
            .filter(|server| **server != self.server)
            .map(|server| {
                let report = servers.reports.get(server);
                ClusterServer {
                    id: *server,
                    address: report.and_then(|report| report.address.clone()),
                    clients: report.map(|report| report.clients),
                    this: false,
                }
            })
            .collect();
        others.sort_by_key(|server| server.id);
        listed.extend(others);
        listed
    }
}
