//! What a create or clone form can choose from, read once when the form opens: the next free
//! VMID, each node's bridges, the SDN vnets and the nodes their zones reach, the storages with
//! their content types and free space, and the ISO images and container templates on them.

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use futures::future::join_all;
use serde::Deserialize;
use serde_json::Value;

pub use crate::model::catalog::{Catalog, Network, NodeCatalog, StorageInfo, Vnet};
use crate::model::devices::{self, DeviceData, GuestDevices};
use crate::model::text::clean;
use crate::pve::endpoints::{cluster, nodes};
use crate::pve::types::{
    ClusterResource, GuestConfig, Mapping, PciDevice, ResourceKind, UsbDevice, next_id,
};
use crate::pve::{Client, Error};
use crate::sched::DeviceClass;

/// The mapped devices (`hostpci0`, `gpu`) a VM backup's config names, read through `node`
/// (`GET /nodes/{node}/vzdump/extractconfig`, the config file as text).
pub async fn archive_devices(
    client: &Client,
    node: &str,
    volid: &str,
) -> Result<Vec<(String, String)>, Error> {
    let path = nodes::extract_config(node, volid);
    let text: Value = client.get(&path).await?;
    let config = config_lines(text.as_str().unwrap_or_default());
    Ok(devices::mapped_entries(config.iter()))
}

/// A config file's `key: value` lines, up to its first snapshot section; comments skipped.
fn config_lines(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .take_while(|l| !l.starts_with('['))
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// The catalog, and for each archive the devices its config maps, each read through the first
/// online node that has the archive's storage.
pub async fn fetch_with_archives(client: &Client, archives: &[String]) -> Catalog {
    let mut catalog = fetch(client).await;
    for volid in archives {
        let storage = volid.split(':').next().unwrap_or_default();
        let node = catalog
            .nodes
            .iter()
            .filter(|(_, n)| n.online)
            .find(|(_, n)| n.storages.iter().any(|s| s.name == storage))
            .map(|(name, _)| name.clone());
        let read = match node {
            Some(node) => archive_devices(client, &node, volid)
                .await
                .map_err(|e| e.to_string()),
            None => Err(format!("no online node has {storage}")),
        };
        catalog.archives.insert(volid.clone(), read);
    }
    catalog
}

#[derive(Debug, Deserialize)]
struct Iface {
    iface: String,
}

#[derive(Debug, Deserialize)]
struct Volume {
    volid: String,
}

#[derive(Debug, Deserialize)]
struct VnetItem {
    vnet: String,
    #[serde(default)]
    zone: Option<String>,
    #[serde(default)]
    alias: Option<String>,
    #[serde(default)]
    tag: Option<u16>,
}

#[derive(Debug, Deserialize)]
struct ZoneItem {
    zone: String,
    #[serde(default)]
    nodes: Option<String>,
}

/// Above this many VMs, only the configs of VMs on nodes with passthrough hardware are read for
/// the device view: a config is one request per guest.
const ALL_CONFIGS_UP_TO: usize = 500;

/// Read the resource mappings, each online node's PCI and USB hardware, and the passthrough
/// entries of guest configs. What cannot be read is noted in `problems`.
pub async fn device_data(client: &Client, resources: &[ClusterResource<'static>]) -> DeviceData {
    device_data_on(client, resources, None).await
}

/// The device data of one node only (`only`), or of all: whether a guest can start on a node
/// with its mapped devices depends on that node's devices and the guests running there alone,
/// so a start reads that node's VM configs, not the cluster's.
pub async fn device_data_on(
    client: &Client,
    resources: &[ClusterResource<'static>],
    only: Option<&str>,
) -> DeviceData {
    let mut data = DeviceData::default();
    match client.get::<Vec<Mapping>>(cluster::PCI_MAPPINGS).await {
        Ok(m) => data.pci_mappings = m,
        Err(e) => {
            data.unknown_holders.push(format!("PCI mappings: {e}"));
            data.partial.failed("PCI mappings", e);
        }
    }
    match client.get::<Vec<Mapping>>(cluster::USB_MAPPINGS).await {
        Ok(m) => data.usb_mappings = m,
        Err(e) => {
            data.unknown_holders.push(format!("USB mappings: {e}"));
            data.partial.failed("USB mappings", e);
        }
    }
    let online: Vec<String> = resources
        .iter()
        .filter(|r| r.kind == ResourceKind::Node && r.status.as_deref() == Some("online"))
        .filter_map(|r| r.node.as_deref().map(str::to_string))
        .filter(|n| only.is_none_or(|o| o == n))
        .collect();
    let hardware = join_all(online.iter().map(|node| async move {
        let pci = client
            .get::<Vec<PciDevice>>(&nodes::hardware_pci(node))
            .await;
        let usb = client
            .get::<Vec<UsbDevice>>(&nodes::hardware_usb(node))
            .await;
        (node, pci, usb)
    }))
    .await;
    for (node, pci, usb) in hardware {
        match pci {
            Ok(list) => {
                data.pci.insert(node.clone(), list);
            }
            Err(e) => data.partial.failed(format!("PCI hardware of {node}"), e),
        }
        match usb {
            Ok(list) => {
                data.usb.insert(node.clone(), list);
            }
            Err(e) => data.partial.failed(format!("USB hardware of {node}"), e),
        }
    }
    // A VM on a node that is off holds nothing now, and its config cannot be read.
    let vms: Vec<&ClusterResource<'static>> = resources
        .iter()
        .filter(|r| r.kind == ResourceKind::Qemu && r.template != Some(true))
        .filter(|r| {
            r.node
                .as_deref()
                .is_some_and(|n| online.iter().any(|o| o == n))
        })
        .collect();
    let device_nodes: BTreeSet<&str> = data
        .pci
        .iter()
        .filter(|(_, list)| {
            list.iter()
                .any(|d| devices::pci_class(&d.class) != DeviceClass::Other)
        })
        .map(|(n, _)| n.as_str())
        .chain(
            data.pci_mappings
                .iter()
                .chain(&data.usb_mappings)
                .flat_map(|m| {
                    m.map
                        .iter()
                        .filter_map(|e| e.split(',').find_map(|kv| kv.strip_prefix("node=")))
                }),
        )
        .collect();
    let all = vms.len();
    // (node, VMID, name, running), owned: the reads below outlive no borrow.
    let read: Vec<(String, u32, String, bool)> = vms
        .into_iter()
        .filter(|r| {
            all <= ALL_CONFIGS_UP_TO || r.node.as_deref().is_some_and(|n| device_nodes.contains(n))
        })
        .map(|r| {
            (
                r.node.as_deref().unwrap_or_default().to_string(),
                r.vmid.unwrap_or(0),
                r.name.as_deref().unwrap_or_default().to_string(),
                r.status.as_deref() == Some("running"),
            )
        })
        .collect();
    if all > ALL_CONFIGS_UP_TO {
        data.problems.push(format!(
            "{all} VMs: only the configs of VMs on nodes with passthrough devices were read"
        ));
    }
    let configs: Vec<_> = futures::stream::iter(read.into_iter().map(
        |(node, vmid, name, running)| async move {
            let path = nodes::guest_config(&node, "qemu", vmid);
            let config = client.get::<GuestConfig>(&path).await;
            (node, vmid, name, running, config)
        },
    ))
    .buffer_unordered(8)
    .collect()
    .await;
    for (node, vmid, name, running, config) in configs {
        match config {
            Ok(c) => {
                let entries: Vec<(String, String)> =
                    c.0.iter()
                        .filter(|(k, _)| k.starts_with("hostpci") || k.starts_with("usb"))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                if !entries.is_empty() {
                    data.guests.push(GuestDevices {
                        vmid,
                        name,
                        node,
                        running,
                        entries,
                    });
                }
            }
            Err(e) => {
                data.unknown_holders
                    .push(format!("config of VM {vmid}: {e}"));
                data.partial.failed(devices::config_part(vmid), e);
                data.config_nodes.insert(vmid, node);
            }
        }
    }
    data.guests.sort_by_key(|g| g.vmid);
    data
}

/// Read the catalog. A failed read of one part is noted and the rest still comes.
pub async fn fetch(client: &Client) -> Catalog {
    let mut catalog = Catalog::default();
    match client.get::<Value>(cluster::NEXTID).await {
        Ok(v) => catalog.next_id = next_id(&v),
        Err(e) => catalog.problems.push(format!("next VMID: {e}")),
    }
    let resources: Vec<ClusterResource<'static>> = match client.get(cluster::RESOURCES).await {
        Ok(r) => r,
        Err(e) => {
            catalog.problems.push(format!("resources: {e}"));
            return catalog;
        }
    };
    for r in &resources {
        let Some(node) = r.node.as_deref() else {
            continue;
        };
        match r.kind {
            ResourceKind::Node => {
                let n = catalog.nodes.entry(clean(node)).or_default();
                n.online = r.status.as_deref() == Some("online");
                n.cores = r.maxcpu.map(|c| c as u32);
                n.memory = r.maxmem;
            }
            ResourceKind::Storage => {
                let Some(name) = r.storage.as_deref() else {
                    continue;
                };
                let info = StorageInfo {
                    name: clean(name),
                    content: r
                        .content
                        .as_deref()
                        .unwrap_or_default()
                        .split(',')
                        .map(|c| c.trim().to_string())
                        .filter(|c| !c.is_empty())
                        .collect(),
                    shared: r.shared == Some(true),
                    free: r.maxdisk.map(|max| max.saturating_sub(r.disk.unwrap_or(0))),
                    total: r.maxdisk,
                    active: r.status.as_deref() == Some("available"),
                };
                catalog
                    .nodes
                    .entry(clean(node))
                    .or_default()
                    .storages
                    .push(info);
            }
            _ => {}
        }
    }
    for n in catalog.nodes.values_mut() {
        n.storages.sort_by(|a, b| a.name.cmp(&b.name));
    }
    catalog.devices = device_data(client, &resources).await;

    let online: Vec<String> = catalog
        .nodes
        .iter()
        .filter(|(_, n)| n.online)
        .map(|(name, _)| name.clone())
        .collect();
    let bridges = join_all(online.iter().map(|node| async move {
        let path = nodes::bridges(node);
        (node, client.get::<Vec<Iface>>(&path).await)
    }))
    .await;
    for (node, result) in bridges {
        match result {
            Ok(list) => {
                let mut names: Vec<String> = list.into_iter().map(|i| clean(&i.iface)).collect();
                names.sort();
                if let Some(n) = catalog.nodes.get_mut(node) {
                    n.bridges = names;
                }
            }
            Err(e) => catalog.problems.push(format!("bridges of {node}: {e}")),
        }
    }

    // Each (storage, content) once per node that sees it; a shared storage is read once.
    let mut reads: Vec<(String, String, &'static str)> = Vec::new();
    let mut shared_seen = BTreeSet::new();
    for node in &online {
        let Some(n) = catalog.nodes.get(node) else {
            continue;
        };
        for s in n.storages.iter().filter(|s| s.active) {
            for content in ["iso", "vztmpl"] {
                if !s.content.contains(content) {
                    continue;
                }
                if s.shared && !shared_seen.insert((s.name.clone(), content)) {
                    continue;
                }
                reads.push((node.clone(), s.name.clone(), content));
            }
        }
    }
    let volumes = join_all(reads.iter().map(|(node, storage, content)| async move {
        let path = nodes::storage_content(node, storage, content);
        client.get::<Vec<Volume>>(&path).await
    }))
    .await;
    for ((node, storage, content), result) in reads.iter().zip(volumes) {
        let list: Vec<String> = match result {
            Ok(list) => list.into_iter().map(|v| clean(&v.volid)).collect(),
            Err(e) => {
                catalog
                    .problems
                    .push(format!("{content} on {storage} ({node}): {e}"));
                continue;
            }
        };
        let shared = catalog
            .node(node)
            .and_then(|n| n.storages.iter().find(|s| &s.name == storage))
            .is_some_and(|s| s.shared);
        for (name, n) in catalog.nodes.iter_mut() {
            let sees = name == node || (shared && n.storages.iter().any(|s| &s.name == storage));
            if !sees {
                continue;
            }
            let into = if *content == "iso" {
                &mut n.isos
            } else {
                &mut n.templates
            };
            into.extend(list.iter().cloned());
            into.sort();
            into.dedup();
        }
    }

    // No SDN (older release, or not set up) is normal: no vnets, no complaint.
    if let Ok(vnets) = client.get::<Vec<VnetItem>>(cluster::SDN_VNETS).await {
        let zones: Vec<ZoneItem> = client.get(cluster::SDN_ZONES).await.unwrap_or_default();
        for v in vnets {
            let nodes = v
                .zone
                .as_deref()
                .and_then(|z| zones.iter().find(|zone| zone.zone == z))
                .and_then(|z| z.nodes.as_deref())
                .filter(|n| !n.trim().is_empty())
                .map(|n| n.split(',').map(|s| clean(s.trim())).collect());
            catalog.vnets.push(Vnet {
                name: clean(&v.vnet),
                alias: v.alias.as_deref().map(clean),
                tag: v.tag,
                nodes,
            });
        }
        catalog.vnets.sort_by(|a, b| a.name.cmp(&b.name));
    }
    catalog
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let mut c = Catalog::default();
        let storage = |name: &str, content: &[&str], shared: bool| StorageInfo {
            name: name.into(),
            content: content.iter().map(|s| s.to_string()).collect(),
            shared,
            free: Some(100 << 30),
            total: Some(200 << 30),
            active: true,
        };
        c.nodes.insert(
            "pve1".into(),
            NodeCatalog {
                online: true,
                bridges: vec!["vmbr0".into()],
                storages: vec![
                    storage("local", &["iso", "vztmpl", "backup"], false),
                    storage("local-zfs", &["images", "rootdir"], false),
                ],
                ..Default::default()
            },
        );
        c.vnets = vec![
            Vnet {
                name: "vlan28".into(),
                alias: Some("iot".into()),
                tag: Some(28),
                nodes: Some(["pve2".to_string()].into()),
            },
            Vnet {
                name: "lab".into(),
                alias: None,
                tag: None,
                nodes: None,
            },
        ];
        c
    }

    #[test]
    fn offers_what_the_node_has() {
        let c = catalog();
        let names = |v: Vec<&StorageInfo>| v.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(c.storages("pve1", "images")), ["local-zfs"]);
        assert_eq!(names(c.storages("pve1", "iso")), ["local"]);
        assert!(c.storages("pve9", "images").is_empty());
        let nets: Vec<String> = c.networks("pve1").into_iter().map(|n| n.name).collect();
        // vlan28's zone does not reach pve1; lab's zone spans the cluster.
        assert_eq!(nets, ["vmbr0", "lab"]);
    }
}
