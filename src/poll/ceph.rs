//! The Ceph pane's read: `ceph status` and, from one node that answers, the OSD tree, pools,
//! monitors and managers, with the cluster's flags. A part that fails is recorded in `partial`
//! (the poller then keeps its last good read); only the status failing fails the read.

use super::ReadError;
use serde_json::Value;

use crate::model::ceph_view::{self, CephData};
use crate::model::partial::Partial;
use crate::model::{ClusterSnapshot, ceph};
use crate::pve::endpoints::{cluster, nodes};
use crate::pve::{Client, Error};

/// Read all of a cluster's Ceph through `node` (any node with Ceph that is online).
pub async fn ceph_data(client: &Client, node: Option<&str>) -> Result<CephData, ReadError> {
    let Some(doc) = ceph_status(client).await? else {
        return Ok(CephData::default());
    };
    let status = ceph::parse(&doc).map_err(ReadError::Unreadable)?;
    let mut data = CephData {
        status: Some(status),
        ..CephData::default()
    };
    let part = |path: String| async move { client.get::<Value>(&path).await };
    let flags = part(cluster::CEPH_FLAGS.into());
    let Some(node) = node else {
        data.flags = read(
            "flags",
            flags.await,
            ceph_view::parse_flags,
            &mut data.partial,
        );
        data.problems
            .push("no node is online to list OSDs, pools and daemons".into());
        return Ok(data);
    };
    let (osd, pool, mon, mgr, flags) = tokio::join!(
        part(nodes::ceph(node, "osd")),
        part(nodes::ceph(node, "pool")),
        part(nodes::ceph(node, "mon")),
        part(nodes::ceph(node, "mgr")),
        flags,
    );
    let p = &mut data.partial;
    data.osds = read("OSD tree", osd, ceph_view::parse_osd_tree, p);
    data.pools = read("pools", pool, ceph_view::parse_pools, p);
    data.mons = read("monitors", mon, ceph_view::parse_mons, p);
    data.mgrs = read("managers", mgr, ceph_view::parse_mgrs, p);
    data.flags = read("flags", flags, ceph_view::parse_flags, p);
    Ok(data)
}

fn read<T>(
    what: &str,
    answer: Result<Value, Error>,
    parse: fn(&Value) -> Result<Vec<T>, String>,
    partial: &mut Partial,
) -> Vec<T> {
    match answer.map_err(|e| e.to_string()).and_then(|v| parse(&v)) {
        Ok(list) => list,
        Err(e) => {
            partial.failed(what, e);
            Vec::new()
        }
    }
}

/// The node to ask for the cluster's Ceph lists: one that runs a monitor by the last read,
/// else any online node.
pub(super) fn ceph_node(snap: &ClusterSnapshot, online: &[String]) -> Option<String> {
    let mons = snap
        .ceph
        .get()
        .map(|c| c.mons.as_slice())
        .unwrap_or_default();
    online
        .iter()
        .find(|n| mons.iter().any(|m| &m.host == *n))
        .or_else(|| online.first())
        .cloned()
}

/// Ceph's health, or `None` when the cluster has no Ceph (Proxmox answers 500 then).
pub(super) async fn ceph_health(client: &Client) -> Result<Option<String>, ReadError> {
    Ok(ceph_status(client).await?.map(|v| {
        v.pointer("/health/status")
            .or_else(|| v.pointer("/health/overall_status"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| "HEALTH_UNKNOWN".into())
    }))
}

/// The Ceph status document, or `None` when the cluster has no Ceph (Proxmox answers 500 with
/// "not installed" / "not configured" then).
pub async fn ceph_status(client: &Client) -> Result<Option<Value>, ReadError> {
    let path = cluster::CEPH_STATUS;
    match client.probe::<Value>(path).await {
        Ok(v) => Ok(Some(v)),
        Err(Error::Api {
            status: 500,
            message,
            ..
        }) if [
            "not installed",
            "not configured",
            "No such file",
            "rados_connect",
        ]
        .iter()
        .any(|m| message.contains(m)) =>
        {
            Ok(None)
        }
        Err(e) => {
            client.note_failure(format!("GET {path}: {}", e.proxmox_text()));
            Err(ReadError::Api(e))
        }
    }
}
