//! The nodes' figures from `/cluster/metrics/export`: one request a cycle gives every node's
//! load (the LOAD column) and the points of the cluster charts, where per-node reads would take
//! one request per node. A small cluster reads the export's half hour of history at first and
//! then each new generation; a large one (every guest's figures are in every generation) only
//! the newest generation, once a minute, with the hour before from each node's rrddata once.

use std::time::Duration;

use super::ReadError;
use crate::model::ClusterSnapshot;
use crate::model::metrics::Metrics;
use crate::pve;
use crate::pve::Client;
use crate::pve::endpoints::cluster;
use crate::pve::types::{MetricsExport, ResourceKind};

/// Guests up to which the export's history is read: its half hour is 181 generations of every
/// guest's ten figures, some 8 MB at 50 guests (about 1 MB as Proxmox gzips it), held whole
/// while it is read.
pub const HISTORY_UP_TO: usize = 50;

/// How much less often a large cluster's export is read than a small one's: once a minute, the
/// charts' resolution (and the load average's own span).
const LARGE_SLOWER: u32 = 6;

/// A read of the export, and what it was asked for.
pub struct Read {
    /// The first read with history: the half hour before is in the answer.
    pub seeds: bool,
    /// The newest generation alone (a large cluster).
    pub newest_only: bool,
    /// `None`: the cluster has no export, or the credentials may not read it.
    pub answer: Result<Option<MetricsExport>, ReadError>,
}

/// Whether the cluster counts as large for the export.
pub fn large(snap: &ClusterSnapshot) -> bool {
    let guests = snap.resources.get().map_or(0, |r| {
        r.iter()
            .filter(|r| matches!(r.kind, ResourceKind::Qemu | ResourceKind::Lxc))
            .count()
    });
    guests > HISTORY_UP_TO
}

/// How often the export is read: Proxmox's own cycle (10 s), or slower for a large cluster.
pub fn every(base: Duration, snap: &ClusterSnapshot) -> Duration {
    if large(snap) {
        base * LARGE_SLOWER
    } else {
        base
    }
}

/// Whether the export is to be read at all: not on a cluster known not to have it.
pub fn wanted(snap: &ClusterSnapshot) -> bool {
    snap.metrics.get().is_none_or(|m| m.available)
}

pub async fn read(client: &Client, snap: &ClusterSnapshot) -> Read {
    let known = snap.metrics.get();
    let (history, start) = if large(snap) {
        (false, None)
    } else {
        (true, known.and_then(Metrics::read_from))
    };
    let seeds = history && start.is_none();
    let path = cluster::metrics_export(history, start);
    let answer = match client.get::<MetricsExport>(&path).await {
        Ok(export) => Ok(Some(export)),
        // Not implemented (older than pve-manager of August 2024), or not for this token:
        // the nodes are read one by one instead.
        Err(pve::Error::Api { status, .. }) if status == 501 || status == 403 => Ok(None),
        Err(e) => Err(e.into()),
    };
    Read {
        seeds,
        newest_only: !history,
        answer,
    }
}

/// Fold a read into what the snapshot keeps.
pub fn fold(known: Option<&Metrics>, read: Read) -> Result<Metrics, ReadError> {
    match read.answer? {
        None => Ok(Metrics::absent()),
        Some(export) => {
            let mut metrics = known.filter(|m| m.available).cloned().unwrap_or_default();
            metrics.seeded |= read.seeds;
            if read.newest_only {
                metrics.fold_newest(export);
            } else {
                metrics.fold(export);
            }
            Ok(metrics)
        }
    }
}
