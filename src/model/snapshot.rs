//! What one poll of one cluster knows, swapped into the model whole. Each source keeps its last
//! good data when a fetch fails, marked stale with the error, so the screen never goes blank
//! because one request did.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::for_pane;
use crate::model::addresses::Addresses;
use crate::model::pane_data::stale;
use crate::pve::types::{CertificateInfo, ClusterLogEntry, Permissions};
use crate::pve::types::{
    ClusterResource, ClusterStatusItem, ClusterTask, CorosyncNode, GuestConfig, HaManagerStatus,
    HaStatusItem, NodeStatus, ResourceKind, RrdPoint, Snapshot, StorageVolume, Version,
};

/// One source of data (an endpoint) and how fresh it is. The data is shared, not copied, between
/// the poller's snapshot and the model's: at 10,000 guests a copy is megabytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Source<T> {
    pub data: Option<Arc<T>>,
    /// When `data` was fetched.
    pub fetched_at: Option<SystemTime>,
    /// The last fetch's error; `data`, if any, is older than that attempt.
    pub error: Option<String>,
    /// Failures in a row, for backoff.
    pub failures: u32,
}

impl<T> Default for Source<T> {
    fn default() -> Self {
        Self {
            data: None,
            fetched_at: None,
            error: None,
            failures: 0,
        }
    }
}

impl<T> Source<T> {
    pub fn fresh(data: T, at: SystemTime) -> Self {
        Self {
            data: Some(Arc::new(data)),
            fetched_at: Some(at),
            error: None,
            failures: 0,
        }
    }

    /// Fold in a fetch's outcome: new data replaces old; an error keeps the old data.
    pub fn update(&mut self, result: Result<T, String>, at: SystemTime) {
        match result {
            Ok(data) => *self = Self::fresh(data, at),
            Err(e) => {
                self.error = Some(e);
                self.failures = self.failures.saturating_add(1);
            }
        }
    }

    /// Fold in a read made of parts: the parts that failed in it keep what the previous read
    /// said of them (`carry` is given the new data, the previous, and when that was read).
    pub fn update_parts(
        &mut self,
        mut result: Result<T, String>,
        at: SystemTime,
        carry: impl FnOnce(&mut T, &T, SystemTime),
    ) {
        if let (Ok(new), Some(old), Some(old_at)) = (&mut result, &self.data, self.fetched_at) {
            carry(new, old, old_at);
        }
        self.update(result, at);
    }

    pub fn is_stale(&self) -> bool {
        self.error.is_some()
    }

    pub fn age(&self, now: SystemTime) -> Option<Duration> {
        self.fetched_at
            .map(|t| now.duration_since(t).unwrap_or_default())
    }

    pub fn get(&self) -> Option<&T> {
        self.data.as_deref()
    }

    /// Which answer this holds: every read is a new one, and a snapshot passed on shares it.
    /// Two equal ids are the very same answer, not merely equal ones.
    pub fn answer_id(&self) -> Option<usize> {
        self.data.as_ref().map(|d| Arc::as_ptr(d) as usize)
    }

    /// The data to change in place (copied first if it is shared).
    pub fn get_mut(&mut self) -> Option<&mut T>
    where
        T: Clone,
    {
        self.data.as_mut().map(Arc::make_mut)
    }
}

/// Details fetched only for the selected node.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeDetail {
    pub status: Source<NodeStatus>,
    pub rrd: Source<Vec<RrdPoint>>,
}

/// Details fetched only for the selected guest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuestDetail {
    pub config: Source<GuestConfig>,
    pub snapshots: Source<Vec<Snapshot>>,
    pub rrd: Source<Vec<RrdPoint>>,
    /// Backups of this guest on the backup storages, newest first.
    pub backups: Source<Vec<StorageVolume>>,
}

/// What the poller is asked to look at closely.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Focus {
    pub node: Option<String>,
    /// (node, "qemu"|"lxc", vmid)
    pub guest: Option<(String, String, u32)>,
    /// A task whose log to read (UPID).
    pub task: Option<String>,
    /// The open pane whose own data to read (device pools, Ceph, backups, networks, HA).
    pub pane: PaneData,
    /// The nodes whose rows are on screen: only their status (load, kernel, version) is read.
    /// None: every node's (a script's read).
    pub rows: Option<Vec<String>>,
}

impl Focus {
    /// The same node, guest, task and pane: the details read for it still hold (the rows on
    /// screen may differ).
    pub fn same_details(&self, other: &Focus) -> bool {
        self.node == other.node
            && self.guest == other.guest
            && self.task == other.task
            && self.pane == other.pane
    }
}

/// Panes whose data costs more than the steady refresh and is read only while they are open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PaneData {
    #[default]
    None,
    /// The Hosts pane: every node's last hour, for the cluster's charts.
    Hosts,
    Devices,
    Ceph,
    Backups,
    Networks,
    Ha,
    /// The cluster log.
    Log,
}

/// Request counters of the poller, for the status bar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollStats {
    /// Requests sent in the last minute (since the start, in the first minute).
    pub requests_per_minute: f64,
    /// Failed requests in the last five minutes (`poll::ERROR_WINDOW`), answers that state a
    /// fact (no Ceph here) not counted.
    pub errors: u64,
    /// The latest of them, newest first: seconds ago, and what failed.
    pub recent_errors: Vec<(u64, String)>,
    /// How long the last refresh took.
    pub last_duration: Duration,
    /// How long its steady reads (the probe, and resources when read) took: the next refresh
    /// waits from that, so the open pane's slower reads never delay it.
    pub steady: Duration,
    /// Requests the last steady refresh made.
    pub last_requests: u64,
    pub endpoint: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterSnapshot {
    pub cluster: String,
    pub resources: Source<Vec<ClusterResource<'static>>>,
    pub status: Source<Vec<ClusterStatusItem>>,
    pub tasks: Source<Vec<ClusterTask>>,
    pub version: Source<Version>,
    pub ha: Source<Vec<HaStatusItem>>,
    /// The CRM's view of the nodes (`/cluster/ha/status/manager_status`).
    pub ha_manager: Source<HaManagerStatus>,
    /// Corosync's nodes and their votes (`/cluster/config/nodes`).
    pub corosync: Source<Vec<CorosyncNode>>,
    /// The nodes' figures from the metrics export: their load, and the points of the charts.
    pub metrics: Source<crate::model::metrics::Metrics>,
    /// The nodes' last hour summed, while the Hosts pane is open.
    pub cluster_rrd: Source<crate::model::cluster_rrd::ClusterHistory>,
    /// HA resources and rules, while the HA pane is open.
    pub ha_config: Source<crate::model::ha::HaConfig>,
    /// `HEALTH_OK` / `HEALTH_WARN` / `HEALTH_ERR`; `None` inside when the cluster has no Ceph.
    pub ceph_health: Source<Option<String>>,
    /// For the focused node, by node name.
    pub nodes: BTreeMap<String, NodeDetail>,
    /// For the focused guest, by VMID.
    pub guests: BTreeMap<u32, GuestDetail>,
    /// Guests' addresses by VMID: the focused guest's at once, the running ones' on a slow
    /// cadence; kept between reads.
    pub addresses: BTreeMap<u32, Addresses>,
    /// Each node's certificates (`certificates/info`), kept while the node is offline: when
    /// the one it serves expires does not change with it.
    pub certs: BTreeMap<String, Source<Vec<CertificateInfo>>>,
    /// What the credentials may do (`GET /access/permissions`).
    pub permissions: Source<Permissions>,
    /// The focused task's log: (UPID, lines).
    pub task_log: Source<(String, Vec<String>)>,
    /// Device pools and passthrough hardware, while the devices pane is open.
    pub devices: Source<crate::model::devices::DeviceData>,
    /// Ceph in full (status, OSDs, pools, daemons, flags), while the Ceph pane is open.
    pub ceph: Source<crate::model::ceph_view::CephData>,
    /// Interfaces, SDN and guest NICs, while the networks pane is open.
    pub networks: Source<crate::model::networks::NetworkData>,
    /// The cluster log's newest entries, while the log pane is open.
    pub cluster_log: Source<Vec<ClusterLogEntry>>,
    /// Backup jobs, backups and failures, while the backups pane is open.
    pub backups: Source<crate::model::backups::BackupData>,
    pub stats: PollStats,
}

impl ClusterSnapshot {
    /// Storages on `node` that hold backups, from the resources already read.
    pub fn backup_storages(&self, node: &str) -> Vec<String> {
        self.resources
            .get()
            .map(|r| {
                r.iter()
                    .filter(|r| r.kind == ResourceKind::Storage && r.node.as_deref() == Some(node))
                    .filter(|r| r.holds("backup"))
                    .filter_map(|r| r.storage.as_deref().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn new(cluster: impl Into<String>) -> Self {
        Self {
            cluster: cluster.into(),
            ..Self::default()
        }
    }

    /// The oldest fetch among the steady sources, which is how old the picture is.
    pub fn data_age(&self, now: SystemTime) -> Option<Duration> {
        [
            self.resources.age(now),
            self.status.age(now),
            self.tasks.age(now),
        ]
        .into_iter()
        .flatten()
        .max()
    }

    /// Errors of the sources that have one, as `source: error`.
    pub fn errors(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut note = |name: &str, error: &Option<String>| {
            if let Some(e) = error {
                out.push(format!("{name}: {e}"));
            }
        };
        note("resources", &self.resources.error);
        note("status", &self.status.error);
        note("tasks", &self.tasks.error);
        note("version", &self.version.error);
        note("ha", &self.ha.error);
        note("ceph", &self.ceph_health.error);
        out
    }

    /// The open pane's own read, when it is not current: `backups: storage nas` (a part), or
    /// `networks` (the whole read failed; its last data is shown).
    pub fn pane_stale(&self, pane: PaneData) -> Option<String> {
        for_pane!(pane, stale(self)).flatten()
    }

    pub fn quorate(&self) -> Option<bool> {
        self.status
            .get()?
            .iter()
            .find(|i| i.kind == "cluster")
            .and_then(|c| c.quorate)
            // A standalone node has no cluster entry and is its own quorum.
            .or(Some(true))
    }
}
