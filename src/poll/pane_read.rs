//! How each pane's own data is read, and how often: only while its pane is open, and no more
//! often than its cadence unless a refresh was asked for. The kinds are listed once, in
//! `for_pane!`; adding one is a `PaneSource` in the model and a `PaneRead` here.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;

use super::backups::backup_data;
use super::ceph::{ceph_data, ceph_node};
use super::cluster_rrd::cluster_rrd;
use super::ha::ha_config;
use super::networks::network_data;
use super::{ReadError, said};
use crate::actions::catalog;
use crate::model::ClusterSnapshot;
use crate::model::pane_data::{
    Backups, Ceph, ClusterLog, Devices, HaRules, HostsHistory, Networks, PaneSource,
};
use crate::pve::Client;
use crate::pve::endpoints::cluster;
use crate::pve::types::{ClusterResource, ClusterTask};

/// What a pane's read may start from: the steady refresh just made.
pub struct Inputs {
    pub resources: Option<Arc<Vec<ClusterResource<'static>>>>,
    pub tasks: Option<Arc<Vec<ClusterTask>>>,
    /// The nodes online by the resources.
    pub online: Vec<String>,
    /// The node to ask for the cluster's Ceph lists.
    pub ceph_node: Option<String>,
    /// Whether the cluster charts need the nodes' rrddata: the cluster has no metrics export,
    /// or the export was read without its history (a large cluster) and the hour before is
    /// still to come. Not before the export was tried: nothing is read twice.
    pub charts_from_rrd: bool,
    /// The export was read without its history and the hour before is still to come: the
    /// nodes' rrddata is read at once, whatever the charts' age.
    pub charts_seed: bool,
    /// When, by the cluster's clock, and as Unix seconds.
    pub at: SystemTime,
    pub now: u64,
}

impl Inputs {
    fn resources(&self) -> &[ClusterResource<'static>] {
        self.resources
            .as_deref()
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn tasks(&self) -> &[ClusterTask] {
        self.tasks.as_deref().map(Vec::as_slice).unwrap_or_default()
    }
}

/// A pane's data, as the poller reads it.
pub trait PaneRead: PaneSource {
    /// How old it may grow while its pane is open.
    const EVERY: Duration;
    /// Whether there is anything to read (the cluster charts need a node online).
    fn wanted(_inputs: &Inputs) -> bool {
        true
    }
    /// Whether it is to be read now whatever its age.
    fn overdue(_inputs: &Inputs) -> bool {
        false
    }
    fn read(client: &Client, inputs: Inputs) -> BoxFuture<'_, Result<Self::Data, ReadError>>;
}

/// A fold of a finished read into the snapshot.
pub type Apply = Box<dyn FnOnce(&mut ClusterSnapshot, SystemTime) + Send>;

/// `K`'s read, when it is due: its data is older than its cadence, or `forced` (a refresh was
/// asked for). The future ends with the fold of its answer into the snapshot.
pub fn job<'a, K: PaneRead>(
    client: &'a Client,
    snap: &ClusterSnapshot,
    inputs: Inputs,
    forced: bool,
    now: SystemTime,
) -> Option<BoxFuture<'a, Apply>> {
    let due =
        forced || K::overdue(&inputs) || K::source(snap).age(now).is_none_or(|age| age >= K::EVERY);
    if !due || !K::wanted(&inputs) {
        return None;
    }
    Some(Box::pin(async move {
        let result = K::read(client, inputs).await;
        let apply: Apply = Box::new(move |snap, at| {
            K::source_mut(snap).update_parts(said(result), at, K::keep_last_good);
        });
        apply
    }))
}

/// The inputs of a pane's read, from the snapshot the steady refresh just made.
pub fn inputs(snap: &ClusterSnapshot, online: &[String], now: SystemTime) -> Inputs {
    Inputs {
        resources: snap.resources.data.clone(),
        tasks: snap.tasks.data.clone(),
        online: online.to_vec(),
        ceph_node: ceph_node(snap, online),
        charts_from_rrd: snap
            .metrics
            .get()
            .is_some_and(|m| !m.available || !m.seeded),
        charts_seed: snap.metrics.get().is_some_and(|m| m.available && !m.seeded),
        at: now,
        now: now
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs(),
    }
}

/// How many of the cluster log's entries the pane shows.
const LOG_ENTRIES: u32 = 500;

impl PaneRead for ClusterLog {
    /// One request.
    const EVERY: Duration = Duration::from_secs(5);
    fn read(client: &Client, _inputs: Inputs) -> BoxFuture<'_, Result<Self::Data, ReadError>> {
        Box::pin(async move { Ok(client.get(&cluster::log(LOG_ENTRIES)).await?) })
    }
}

impl PaneRead for HostsHistory {
    /// A request per node; where the metrics export is, once at most.
    const EVERY: Duration = Duration::from_secs(60);
    fn wanted(inputs: &Inputs) -> bool {
        inputs.charts_from_rrd && !inputs.online.is_empty()
    }
    fn overdue(inputs: &Inputs) -> bool {
        inputs.charts_seed
    }
    fn read(client: &Client, inputs: Inputs) -> BoxFuture<'_, Result<Self::Data, ReadError>> {
        Box::pin(async move { cluster_rrd(client, &inputs.online).await })
    }
}

impl PaneRead for Devices {
    /// A request per VM config.
    const EVERY: Duration = Duration::from_secs(30);
    fn read(client: &Client, inputs: Inputs) -> BoxFuture<'_, Result<Self::Data, ReadError>> {
        Box::pin(async move {
            let data = catalog::device_data(client, inputs.resources()).await;
            // Nothing at all read is a failure; a part missing is said inside.
            if data.pci_mappings.is_empty() && data.pci.is_empty() && !data.partial.is_empty() {
                Err(ReadError::Parts(data.partial.lines(inputs.at)))
            } else {
                Ok(data)
            }
        })
    }
}

impl PaneRead for Ceph {
    /// A handful of requests.
    const EVERY: Duration = Duration::from_secs(5);
    fn read(client: &Client, inputs: Inputs) -> BoxFuture<'_, Result<Self::Data, ReadError>> {
        Box::pin(async move { ceph_data(client, inputs.ceph_node.as_deref()).await })
    }
}

impl PaneRead for Backups {
    /// A listing per backup storage.
    const EVERY: Duration = Duration::from_secs(60);
    fn read(client: &Client, inputs: Inputs) -> BoxFuture<'_, Result<Self::Data, ReadError>> {
        Box::pin(async move {
            backup_data(client, inputs.resources(), inputs.tasks(), inputs.now).await
        })
    }
}

impl PaneRead for Networks {
    /// A config per guest.
    const EVERY: Duration = Duration::from_secs(30);
    fn read(client: &Client, inputs: Inputs) -> BoxFuture<'_, Result<Self::Data, ReadError>> {
        Box::pin(async move { network_data(client, inputs.resources()).await })
    }
}

impl PaneRead for HaRules {
    /// Two requests.
    const EVERY: Duration = Duration::from_secs(10);
    fn read(client: &Client, _inputs: Inputs) -> BoxFuture<'_, Result<Self::Data, ReadError>> {
        Box::pin(async move { ha_config(client).await })
    }
}
