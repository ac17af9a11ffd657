//! The networks pane's read: each online node's interfaces, the SDN zones, vnets and their
//! subnets, and every guest's NICs from its config (up to a limit of guests).

use super::ReadError;
use futures::StreamExt;
use serde_json::Value;

use crate::model::guest_summary::GuestSummary;
use crate::model::networks::{self, Attachment, NetworkData, NodeNet};
use crate::model::{GuestKind, text};
use crate::pve::Client;
use crate::pve::endpoints::{cluster, nodes};
use crate::pve::types::{ClusterResource, GuestConfig, ResourceKind};

/// Above this many guests, configs are not read: a request each is too many to repeat.
const CONFIGS_UP_TO: usize = 500;
const CONCURRENCY: usize = 4;

pub async fn network_data(
    client: &Client,
    resources: &[ClusterResource<'static>],
) -> Result<NetworkData, ReadError> {
    let mut data = NetworkData::default();
    let mut online = Vec::new();
    for r in resources.iter().filter(|r| r.kind == ResourceKind::Node) {
        let Some(node) = r.node.as_deref() else {
            continue;
        };
        if r.status.as_deref() == Some("online") {
            online.push(node.to_string());
        } else {
            data.offline.push(node.to_string());
        }
    }
    let reads = online.iter().map(|node| async move {
        let doc = client
            .get::<Value>(&nodes::network(node))
            .await
            .map_err(|e| e.to_string());
        NodeNet {
            node: node.clone(),
            ifaces: doc.and_then(|d| networks::parse_ifaces(&d)),
        }
    });
    let (nodes, zones, vnets) = tokio::join!(
        futures::future::join_all(reads),
        client.get::<Value>(cluster::SDN_ZONES),
        client.get::<Value>(cluster::SDN_VNETS),
    );
    for n in &nodes {
        if let Err(e) = &n.ifaces {
            data.partial.failed(networks::ifaces_part(&n.node), e);
        }
    }
    data.nodes = nodes;
    match zones
        .map_err(|e| e.to_string())
        .and_then(|z| networks::parse_zones(&z))
    {
        Ok(z) => data.zones = z,
        Err(e) => data.partial.failed("SDN zones", e),
    }
    match vnets
        .map_err(|e| e.to_string())
        .and_then(|v| networks::parse_vnets(&v))
    {
        Ok(v) => data.vnets = v,
        Err(e) => data.partial.failed("SDN vnets", e),
    }
    let subnet_reads = data.vnets.iter().map(|v| async move {
        let path = cluster::sdn_subnets(&v.vnet);
        let doc = client.get::<Value>(&path).await.map_err(|e| e.to_string());
        (
            v.vnet.clone(),
            doc.and_then(|d| networks::parse_subnets(&v.vnet, &d)),
        )
    });
    for (vnet, subnets) in futures::future::join_all(subnet_reads).await {
        match subnets {
            Ok(s) => data.subnets.extend(s),
            Err(e) => data.partial.failed(networks::subnets_part(&vnet), e),
        }
    }
    data.attachments = attachments(client, resources, &online, &mut data).await;
    if data.nodes.iter().all(|n| n.ifaces.is_err()) && !data.nodes.is_empty() {
        let errors: Vec<String> = data
            .nodes
            .iter()
            .filter_map(|n| n.ifaces.as_ref().err().map(|e| format!("{}: {e}", n.node)))
            .collect();
        return Err(ReadError::Parts(errors));
    }
    Ok(data)
}

/// Every guest NIC's bridge and VLAN, from the configs of guests on online nodes.
async fn attachments(
    client: &Client,
    resources: &[ClusterResource<'static>],
    online: &[String],
    data: &mut NetworkData,
) -> Option<Vec<Attachment>> {
    let guests: Vec<&ClusterResource<'static>> = resources
        .iter()
        .filter(|r| matches!(r.kind, ResourceKind::Qemu | ResourceKind::Lxc))
        .filter(|r| r.template != Some(true))
        .collect();
    if guests.len() > CONFIGS_UP_TO {
        data.problems.push(format!(
            "{} guests: their configs are not read, so guests per network are not counted",
            guests.len()
        ));
        return None;
    }
    let wanted: Vec<(String, u32, String, bool)> = guests
        .into_iter()
        .filter(|g| {
            g.node
                .as_deref()
                .is_some_and(|n| online.iter().any(|o| o == n))
        })
        .filter_map(|g| {
            Some((
                g.node.as_deref()?.to_string(),
                g.vmid?,
                g.name.as_deref().map(text::clean).unwrap_or_default(),
                g.kind == ResourceKind::Lxc,
            ))
        })
        .collect();
    let reads = wanted
        .into_iter()
        .map(|(node, vmid, name, container)| async move {
            let kind = if container {
                GuestKind::Lxc
            } else {
                GuestKind::Qemu
            };
            let path = nodes::guest_config(&node, kind.api(), vmid);
            let config = client.get::<GuestConfig>(&path).await;
            (node, vmid, name, container, config)
        });
    let results: Vec<_> = futures::stream::iter(reads)
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut out = Vec::new();
    for (node, vmid, name, container, config) in results {
        match config {
            Ok(config) => {
                for nic in GuestSummary::of(&config, container).nics {
                    if let Some(bridge) = nic.bridge {
                        out.push(Attachment {
                            vmid,
                            name: name.clone(),
                            node: node.clone(),
                            key: nic.key,
                            bridge,
                            vlan: nic.vlan,
                        });
                    }
                }
            }
            Err(e) => data.partial.failed(networks::config_part(vmid), e),
        }
    }
    out.sort_by(|a, b| (a.vmid, &a.key).cmp(&(b.vmid, &b.key)));
    Some(out)
}
