//! One task per cluster keeps its snapshot fresh. The steady refresh costs three requests however
//! large the cluster (/cluster/resources, /cluster/status, /cluster/tasks); slower-changing sources
//! have their own cadence; details only for what the user has selected. After each refresh the
//! whole snapshot goes to the app; the UI never waits for the network.

use std::time::{Duration, Instant, SystemTime};

use futures::StreamExt;
use serde::de::DeserializeOwned;

use crate::for_pane;
use crate::model::addresses::Addresses;
use crate::model::{ClusterSnapshot, Focus, GuestDetail, NodeDetail, text};
use crate::pve::Client;
use crate::pve::endpoints;
use crate::pve::endpoints::{access, cluster, nodes};
use crate::pve::types::{CertificateInfo, Permissions, TaskLogLine};
use crate::pve::types::{
    ClusterResource, ClusterStatusItem, ClusterTask, CorosyncNode, GuestConfig, HaManagerStatus,
    HaStatusItem, NodeStatus, ResourceKind, RrdPoint, Snapshot, StorageVolume, Version,
};

/// How often each slower source is fetched.
#[derive(Debug, Clone)]
pub struct Cadence {
    pub interval: Duration,
    pub ha: Duration,
    pub ceph: Duration,
    pub nodes: Duration,
    pub version: Duration,
    /// The nodes' certificates: their expiry, and the fingerprints learned from them.
    pub certs: Duration,
    /// Details of the selection (config, snapshots, charts); at once when the selection changes.
    pub details: Duration,
    /// Longest wait between attempts while a cluster does not answer.
    pub max_backoff: Duration,
    /// Every running guest's addresses, while there are at most `addresses_up_to` of them (one
    /// request each); the selected guest's always come with its details.
    pub addresses: Duration,
    pub addresses_up_to: usize,
    /// `/cluster/resources` between changes the probe sees: pvestatd's cycle.
    pub resources: Duration,
    /// The metrics export: pvestatd's cycle (slower for a large cluster).
    pub metrics: Duration,
}

pub use crate::model::addresses::ADDRESSES_UP_TO;

impl Cadence {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            ha: Duration::from_secs(10),
            ceph: Duration::from_secs(10),
            nodes: Duration::from_secs(30),
            version: Duration::from_secs(300),
            // Expiry is counted in days: once an hour is plenty, and costs a request per node.
            certs: Duration::from_secs(3600),
            // At once when the selection changes; after that its config and snapshots change
            // rarely, and its charts have a point a minute.
            details: Duration::from_secs(30),
            max_backoff: Duration::from_secs(60),
            addresses: Duration::from_secs(300),
            addresses_up_to: ADDRESSES_UP_TO,
            resources: Duration::from_secs(10),
            metrics: Duration::from_secs(10),
        }
    }
}

mod addresses;
mod backups;
mod ceph;
mod cluster_rrd;
mod error;
mod ha;
mod logs;
mod maintenance;
mod metrics;
mod networks;
pub mod pane_read;
mod poller;

use backups::guest_backups;
pub use error::ReadError;
pub use ha::ha_config;
pub use maintenance::maintenance_inputs;

pub use backups::{backup_data, backups_of};
use ceph::ceph_health;
pub use ceph::{ceph_data, ceph_status};
pub use logs::LogReader;
pub use networks::network_data;
use pane_read::job;
pub use poller::{ERROR_WINDOW, PollHandle, next_wait, spawn};

/// Requests in flight per cluster at most.
const CONCURRENCY: usize = 4;

/// Which slower sources a refresh includes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Due {
    pub ha: bool,
    pub ceph: bool,
    pub nodes: bool,
    pub version: bool,
    pub certs: bool,
    /// The focused node's or guest's details.
    pub details: bool,
    /// The open pane's own data, however recently it was read (a refresh was asked for).
    pub pane: bool,
    /// Every running guest's addresses, when there are at most this many.
    pub addresses: Option<usize>,
    /// Only the cheap probe (`/cluster/status`, `/cluster/tasks`): `/cluster/resources` is read
    /// only when the probe shows a change (a task started or ended, a node came or went) or it
    /// has never been read. Proxmox refreshes what it reports every 10 s, so between its turns
    /// the last answer stands.
    pub probe_only: bool,
    /// The nodes' figures from the metrics export.
    pub metrics: bool,
    /// The steady reads were made just before: the first snapshot went out with them alone, so
    /// that the hosts and guests show at once, and they are not read again.
    pub steady_done: bool,
    /// The probe leaves `/cluster/status` out this time: it is read every other probe (a node
    /// coming or going shows within two intervals), `/cluster/tasks` at every one.
    pub probe_without_status: bool,
}

impl Due {
    pub const ALL: Due = Due {
        ha: true,
        ceph: true,
        nodes: true,
        version: true,
        certs: true,
        details: true,
        pane: true,
        // Addresses are asked for by name: they cost a request per running guest.
        addresses: None,
        probe_only: false,
        metrics: true,
        steady_done: false,
        probe_without_status: false,
    };
}

/// Whether the probe shows what `/cluster/resources` would change: a task started or ended, a
/// node came, went, or changed its state, quorum changed. A probe that failed shows nothing.
fn probe_changed(
    snap: &ClusterSnapshot,
    status: Option<&Vec<ClusterStatusItem>>,
    tasks: Option<&Vec<ClusterTask>>,
) -> bool {
    let task_keys = |list: &[ClusterTask]| -> Vec<(String, Option<String>)> {
        let mut keys: Vec<_> = list
            .iter()
            .map(|t| (t.upid.clone(), t.status.clone()))
            .collect();
        keys.sort();
        keys
    };
    let tasks_changed = match (tasks, snap.tasks.get()) {
        (Some(new), Some(old)) => task_keys(new) != task_keys(old),
        _ => false,
    };
    let status_keys = |list: &[ClusterStatusItem]| -> Vec<String> {
        let mut keys: Vec<String> = list.iter().map(|i| format!("{i:?}")).collect();
        keys.sort();
        keys
    };
    let status_changed = match (status, snap.status.get()) {
        (Some(new), Some(old)) => status_keys(new) != status_keys(old),
        _ => false,
    };
    tasks_changed || status_changed
}

/// One refresh: the steady sources always, the slower ones when due, the focused details; each
/// source that fails keeps its previous data, marked stale.
pub async fn refresh_once(
    client: &Client,
    mut snap: ClusterSnapshot,
    focus: &Focus,
    due: Due,
    now: SystemTime,
) -> ClusterSnapshot {
    let began = Instant::now();
    if due.steady_done {
        // Read a moment ago, for the first snapshot.
    } else if due.probe_only && snap.resources.data.is_some() && snap.resources.error.is_none() {
        let status = async {
            if due.probe_without_status {
                None
            } else {
                Some(get::<Vec<ClusterStatusItem>>(client, cluster::STATUS.into()).await)
            }
        };
        let (status, tasks) = tokio::join!(
            status,
            get::<Vec<ClusterTask>>(client, cluster::TASKS.into()),
        );
        let changed = probe_changed(
            &snap,
            status.as_ref().and_then(|s| s.as_ref().ok()),
            tasks.as_ref().ok(),
        );
        if let Some(status) = status {
            snap.status.update(said(status), now);
        }
        snap.tasks.update(said(tasks), now);
        if changed {
            let resources = resources(client).await;
            snap.resources.update(said(resources), now);
        }
    } else {
        let (resources, status, tasks) = tokio::join!(
            resources(client),
            get::<Vec<ClusterStatusItem>>(client, cluster::STATUS.into()),
            get::<Vec<ClusterTask>>(client, cluster::TASKS.into()),
        );
        snap.resources.update(said(resources), now);
        snap.status.update(said(status), now);
        snap.tasks.update(said(tasks), now);
    }
    if !due.steady_done {
        snap.stats.steady = began.elapsed();
    }
    let online: Vec<String> = snap
        .resources
        .get()
        .map(|r| {
            r.iter()
                .filter(|r| r.kind == ResourceKind::Node && r.status.as_deref() == Some("online"))
                .filter_map(|r| r.node.as_deref().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();

    let mut jobs: Vec<futures::future::BoxFuture<'_, Fetched>> = Vec::new();
    if due.ha {
        jobs.push(Box::pin(async {
            Fetched::Ha(get(client, cluster::HA_STATUS.into()).await)
        }));
        jobs.push(Box::pin(async {
            Fetched::HaManager(get(client, cluster::HA_MANAGER_STATUS.into()).await)
        }));
    }
    if due.ceph {
        jobs.push(Box::pin(async { Fetched::Ceph(ceph_health(client).await) }));
    }
    if due.version {
        jobs.push(Box::pin(async {
            Fetched::Version(get(client, endpoints::VERSION.into()).await)
        }));
        jobs.push(Box::pin(async {
            Fetched::Permissions(get(client, access::PERMISSIONS.into()).await)
        }));
        // A standalone node has no corosync to ask (and would answer with an error).
        let clustered = snap
            .status
            .get()
            .is_some_and(|s| s.iter().any(|i| i.kind == "cluster"));
        if clustered {
            jobs.push(Box::pin(async {
                Fetched::Corosync(get(client, cluster::CONFIG_NODES.into()).await)
            }));
        }
    }
    if let Some(upid) = focus.task.clone() {
        jobs.push(Box::pin(async move {
            let node = upid.split(':').nth(1).unwrap_or_default().to_string();
            let path = nodes::task_log(&node, &upid, 500);
            let log = get::<Vec<TaskLogLine>>(client, path).await.map(|lines| {
                let lines = lines.into_iter().map(|l| text::clean(&l.t)).collect();
                (upid, lines)
            });
            Fetched::TaskLog(log)
        }));
    }
    // Every node's on their cadence, and at once a node's not read while the others' were (one
    // that joined, or came back): its certificate is trusted from then on.
    for node in &online {
        if due.certs || (!snap.certs.is_empty() && !snap.certs.contains_key(node)) {
            let node = node.clone();
            jobs.push(Box::pin(async move {
                let certs = get(client, nodes::certificates(&node)).await;
                Fetched::Certs(node, certs)
            }));
        }
    }
    // Only the nodes whose rows are on screen (all, for a script), and at once those on screen
    // with none read yet (scrolled into view).
    // The selected node's with its details: the detail shows its load and kernel.
    let selected = focus.node.as_ref().filter(|_| due.details);
    let statuses: Vec<String> = online
        .iter()
        .filter(|n| {
            let on_screen = focus.rows.as_ref().is_none_or(|rows| rows.contains(n));
            let never_read = snap.nodes.get(*n).is_none_or(|d| d.status.data.is_none());
            selected == Some(*n)
                || (on_screen && (due.nodes || (focus.rows.is_some() && never_read)))
        })
        .cloned()
        .collect();
    for node in statuses {
        jobs.push(Box::pin(async move {
            let status = get(client, nodes::status(&node)).await;
            Fetched::NodeStatus(node, Box::new(status))
        }));
    }
    let focus_now = if due.details {
        focus
    } else {
        &Focus::default()
    };
    if let Some(node) = focus_now.node.as_ref().filter(|n| online.contains(n)) {
        let node = node.clone();
        jobs.push(Box::pin(async move {
            let rrd = get(client, nodes::rrd_hour(&node)).await;
            Fetched::NodeRrd(node, rrd)
        }));
    }
    // The guest is read where the resources just read put it: right after a migration the
    // selection still names the old node, whose answer would be an error.
    let moved = |(node, kind, vmid): (String, String, u32)| {
        let now_on = snap.resources.get().and_then(|r| {
            r.iter()
                .find(|g| {
                    g.vmid == Some(vmid) && matches!(g.kind, ResourceKind::Qemu | ResourceKind::Lxc)
                })
                .and_then(|g| g.node.as_deref().map(str::to_string))
        });
        (now_on.unwrap_or(node), kind, vmid)
    };
    if let Some((node, kind, vmid)) = focus_now
        .guest
        .clone()
        .map(moved)
        .filter(|(n, _, _)| online.contains(n))
    {
        let base = nodes::guest(&node, &kind, vmid);
        let (b1, b2, b3) = (base.clone(), base.clone(), base);
        jobs.push(Box::pin(async move {
            Fetched::Config(vmid, get(client, format!("{b1}/config")).await)
        }));
        jobs.push(Box::pin(async move {
            Fetched::Snapshots(vmid, get(client, format!("{b2}/snapshot")).await)
        }));
        jobs.push(Box::pin(async move {
            Fetched::GuestRrd(
                vmid,
                get(client, format!("{b3}/rrddata?timeframe=hour&cf=AVERAGE")).await,
            )
        }));
        let storages = snap.backup_storages(&node);
        jobs.push(Box::pin(async move {
            Fetched::Backups(vmid, guest_backups(client, &node, &storages, vmid).await)
        }));
    }

    for (node, kind, vmid) in addresses::to_read(&snap, focus_now, due.addresses, &online) {
        jobs.push(Box::pin(async move {
            Fetched::Addresses(vmid, addresses::read(client, &node, &kind, vmid).await)
        }));
    }

    // Not before the resources are known: how large the cluster is decides what is asked.
    if due.metrics && metrics::wanted(&snap) && snap.resources.data.is_some() {
        let read = metrics::read(client, &snap);
        jobs.push(Box::pin(
            async move { Fetched::Metrics(Box::new(read.await)) },
        ));
    }

    // The open pane's own data, when it is due.
    let inputs = pane_read::inputs(&snap, &online, now);
    if let Some(Some(read)) = for_pane!(focus.pane, job(client, &snap, inputs, due.pane, now)) {
        jobs.push(Box::pin(async move { Fetched::Pane(read.await) }));
    }
    let charts_before = snap.cluster_rrd.answer_id();
    let mut metrics_read = false;
    let results: Vec<Fetched> = futures::stream::iter(jobs)
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    // Details of what is no longer focused or online are dropped, not kept stale forever.
    snap.nodes.retain(|name, _| online.contains(name));
    snap.guests
        .retain(|vmid, _| focus.guest.as_ref().is_some_and(|(_, _, v)| v == vmid));
    for fetched in results {
        match fetched {
            Fetched::Ha(r) => snap.ha.update(said(r), now),
            Fetched::HaManager(r) => snap.ha_manager.update(said(r), now),
            Fetched::Corosync(r) => snap.corosync.update(said(r), now),
            Fetched::Ceph(r) => snap.ceph_health.update(said(r), now),
            Fetched::Version(r) => snap.version.update(said(r), now),
            Fetched::Permissions(r) => snap.permissions.update(said(r), now),
            Fetched::TaskLog(r) => snap.task_log.update(said(r), now),
            Fetched::NodeStatus(node, r) => {
                node_detail(&mut snap, node).status.update(said(*r), now)
            }
            Fetched::NodeRrd(node, r) => node_detail(&mut snap, node).rrd.update(said(r), now),
            Fetched::Certs(node, r) => {
                if let Ok(certs) = &r {
                    learn(client, &node, certs);
                }
                snap.certs.entry(node).or_default().update(said(r), now);
            }
            Fetched::Config(vmid, r) => guest_detail(&mut snap, vmid).config.update(said(r), now),
            Fetched::Snapshots(vmid, r) => {
                guest_detail(&mut snap, vmid).snapshots.update(said(r), now)
            }
            Fetched::GuestRrd(vmid, r) => guest_detail(&mut snap, vmid).rrd.update(said(r), now),
            Fetched::Backups(vmid, r) => guest_detail(&mut snap, vmid).backups.update(said(r), now),
            Fetched::Addresses(vmid, known) => {
                snap.addresses.insert(vmid, known);
            }
            Fetched::Pane(apply) => apply(&mut snap, now),
            Fetched::Metrics(read) => {
                let folded = metrics::fold(snap.metrics.get(), *read);
                metrics_read = folded.is_ok();
                snap.metrics.update(said(folded), now);
            }
        }
    }
    charts_from_metrics(&mut snap, charts_before, metrics_read, &online, now);
    addresses::forget_gone(&mut snap);
    snap
}

/// Where the cluster has the metrics export, the charts are drawn from it: an hour the nodes'
/// rrddata just gave (a large cluster's, read once) goes before its minutes, and the charts are
/// then the export's, so the per-node read is not due again.
fn charts_from_metrics(
    snap: &mut ClusterSnapshot,
    charts_before: Option<usize>,
    metrics_read: bool,
    online: &[String],
    now: SystemTime,
) {
    let Some(m) = snap.metrics.get().filter(|m| m.available) else {
        return;
    };
    // An hour from rrddata to put before the export's minutes, once.
    let seed = snap.cluster_rrd.answer_id() != charts_before && !m.seeded;
    if !metrics_read && !seed {
        return;
    }
    let mut m = m.clone();
    if seed && let Some(hours) = snap.cluster_rrd.get() {
        m.seed(&hours.nodes);
        snap.metrics.data = Some(std::sync::Arc::new(m.clone()));
    }
    snap.cluster_rrd.update(Ok(m.history(online)), now);
}

enum Fetched {
    Addresses(u32, Addresses),
    Ha(Result<Vec<HaStatusItem>, ReadError>),
    HaManager(Result<HaManagerStatus, ReadError>),
    Corosync(Result<Vec<CorosyncNode>, ReadError>),
    Ceph(Result<Option<String>, ReadError>),
    Version(Result<Version, ReadError>),
    Permissions(Result<Permissions, ReadError>),
    TaskLog(Result<(String, Vec<String>), ReadError>),
    NodeStatus(String, Box<Result<NodeStatus, ReadError>>),
    NodeRrd(String, Result<Vec<RrdPoint>, ReadError>),
    Certs(String, Result<Vec<CertificateInfo>, ReadError>),
    Config(u32, Result<GuestConfig, ReadError>),
    Snapshots(u32, Result<Vec<Snapshot>, ReadError>),
    GuestRrd(u32, Result<Vec<RrdPoint>, ReadError>),
    Backups(u32, Result<Vec<StorageVolume>, ReadError>),
    /// The open pane's own data, ready to fold in.
    Pane(pane_read::Apply),
    Metrics(Box<metrics::Read>),
}

/// Trust the certificate a node serves from now on, at every endpoint: the cluster said so
/// over a connection already verified, so one pin (or the CA) vouches for every node.
fn learn(client: &Client, node: &str, certs: &[CertificateInfo]) {
    // An answer that may have come over plain HTTP vouches for nothing.
    if !client.all_https() {
        return;
    }
    for cert in certs.iter().filter(|c| c.is_served()) {
        if let Some(fp) = &cert.fingerprint
            && client.learn_fingerprint(fp)
        {
            tracing::info!(node, fingerprint = %fp, "learned a node's certificate fingerprint");
        }
    }
}

/// A read's outcome as the snapshot keeps it: the error in the words it is shown in.
fn said<T>(result: Result<T, ReadError>) -> Result<T, String> {
    result.map_err(|e| e.to_string())
}

fn node_detail(snap: &mut ClusterSnapshot, node: String) -> &mut NodeDetail {
    snap.nodes.entry(node).or_default()
}

fn guest_detail(snap: &mut ClusterSnapshot, vmid: u32) -> &mut GuestDetail {
    snap.guests.entry(vmid).or_default()
}

async fn get<T: DeserializeOwned>(client: &Client, path: String) -> Result<T, ReadError> {
    Ok(client.get(&path).await?)
}

/// `/cluster/resources`, held without the room its decoding grew into: the snapshot keeps it
/// until the next read, beside the one that replaces it (at 10,000 guests and a hundred nodes
/// and storages, 16,384 slots of over 500 bytes each).
async fn resources(client: &Client) -> Result<Vec<ClusterResource<'static>>, ReadError> {
    let mut list: Vec<ClusterResource<'static>> = get(client, cluster::RESOURCES.into()).await?;
    list.shrink_to_fit();
    Ok(list)
}

/// One complete poll with every source due: what `rack get` prints from.
pub async fn poll_once(name: &str, client: &Client, now: SystemTime) -> ClusterSnapshot {
    poll_once_with(name, client, now, None).await
}

/// `poll_once`, with every running guest's addresses when there are at most `addresses`.
pub async fn poll_once_with(
    name: &str,
    client: &Client,
    now: SystemTime,
    addresses: Option<usize>,
) -> ClusterSnapshot {
    // Every node's status is read for its version anyway, and gives the load.
    let due = Due {
        addresses,
        metrics: false,
        ..Due::ALL
    };
    refresh_once(
        client,
        ClusterSnapshot::new(name),
        &Focus::default(),
        due,
        now,
    )
    .await
}

/// Whether a snapshot has the minimum to show anything: the resource list.
pub fn readable(snapshot: &ClusterSnapshot) -> Result<(), ReadError> {
    match (&snapshot.resources.data, &snapshot.resources.error) {
        (Some(_), _) => Ok(()),
        (None, Some(e)) => Err(ReadError::Recorded(e.clone())),
        (None, None) => Err(ReadError::NotYet),
    }
}
