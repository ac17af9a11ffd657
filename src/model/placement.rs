//! The scheduler's picture of a cluster, from what was polled: each host's capacity and load,
//! storages, networks, the devices of its pools and who holds them, and the tags of its guests.
//! Devices reserved by actions in flight count as taken. Pure.

use std::collections::BTreeMap;

use super::catalog::Catalog;
use super::network_alias::NetworkAlias;
use crate::model::devices::Devices;
use crate::model::{HostRow, HostStatus, InstanceRow};
use crate::pve::de;
use crate::sched::{Device, HaRuleAsk, Host, HostStorage};

/// Devices that actions in flight will take: (node, pool) and who, one entry a device.
pub type Reservations = Vec<(String, String, String)>;

pub fn hosts(
    host_rows: &[HostRow],
    instances: &[InstanceRow],
    catalog: &Catalog,
    devices: &Devices,
    reserved: &Reservations,
    aliases: &BTreeMap<String, NetworkAlias>,
) -> Vec<Host> {
    host_rows
        .iter()
        .map(|h| {
            let on_node = || instances.iter().filter(|i| i.node == h.node);
            let vcpus = on_node()
                .filter(|i| i.status == "running")
                .map(|i| i.usage.maxcpu.unwrap_or(0.0).round() as u32)
                .sum();
            let mut tags: BTreeMap<String, u32> = BTreeMap::new();
            for i in on_node() {
                for t in &i.tags {
                    *tags.entry(t.clone()).or_default() += 1;
                }
            }
            let node = catalog.node(&h.node);
            let storages = node
                .map(|n| {
                    n.storages
                        .iter()
                        .map(|s| {
                            let total = s.total.unwrap_or(0);
                            HostStorage {
                                name: s.name.clone(),
                                content: s.content.clone(),
                                shared: s.shared,
                                active: s.active,
                                total,
                                used: total.saturating_sub(s.free.unwrap_or(0)),
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut networks: std::collections::BTreeSet<String> = catalog
                .networks(&h.node)
                .into_iter()
                .map(|n| n.name)
                .collect();
            // An alias is on a node whose bridges include its bridge.
            for (name, alias) in aliases {
                if networks.contains(&alias.bridge) {
                    networks.insert(name.clone());
                }
            }
            let mut devices: Vec<Device> = devices
                .pools
                .iter()
                .flat_map(|p| {
                    p.devices
                        .iter()
                        .filter(|d| d.node == h.node && d.present)
                        .map(move |d| Device {
                            pool: p.id.clone(),
                            class: p.class,
                            id: d.path.clone(),
                            taken_by: d.holder.as_ref().map(|x| format!("held by {}", x.label())),
                            // A stopped guest's claim names the pool, not one device of it.
                            claimed_by: p
                                .claims
                                .iter()
                                .filter(|_| {
                                    p.devices.iter().filter(|x| x.node == h.node).count() == 1
                                })
                                .map(|c| c.label())
                                .collect(),
                        })
                })
                .collect();
            for (node, pool, who) in reserved {
                if *node != h.node {
                    continue;
                }
                if let Some(d) = devices
                    .iter_mut()
                    .find(|d| &d.pool == pool && d.taken_by.is_none())
                {
                    d.taken_by = Some(format!("reserved for {who}"));
                }
            }
            Host {
                name: h.node.clone(),
                online: matches!(h.status, HostStatus::Online | HostStatus::Maintenance),
                maintenance: h.status == HostStatus::Maintenance,
                threads: h.usage.maxcpu.unwrap_or(0.0).round() as u32,
                vcpus,
                cpu_load: h.usage.cpu.unwrap_or(0.0),
                memory_total: h.usage.maxmem.unwrap_or(0),
                memory_used: h.usage.mem.unwrap_or(0),
                storages,
                networks,
                devices,
                tags,
            }
        })
        .collect()
}

/// An HA rule (`/cluster/ha/rules` entry) as the scheduler weighs it for a guest joining it:
/// node affinity `nodes = "pve1:2,pve2:1"` (with `strict`), resource affinity positive (together
/// with the rule's guests) or negative (apart from them).
pub fn ha_rule_ask(rule: &serde_json::Value, instances: &[InstanceRow]) -> HaRuleAsk {
    use crate::model::text::clean;
    let text = |k: &str| rule[k].as_str().map(clean).unwrap_or_default();
    let mut out = HaRuleAsk {
        rule: text("rule"),
        strict: de::bool_of(&rule["strict"]).unwrap_or(false),
        ..Default::default()
    };
    if text("type") == "node-affinity" {
        for entry in text("nodes").split(',').filter(|e| !e.is_empty()) {
            let (node, prio) = entry.split_once(':').unwrap_or((entry, "0"));
            out.nodes.insert(
                node.trim().to_string(),
                prio.trim().parse().unwrap_or(0) + 1,
            );
        }
    }
    if text("type") == "resource-affinity" {
        let positive = text("affinity") == "positive";
        for sid in text("resources").split(',') {
            let vmid = sid
                .split_once(':')
                .and_then(|(_, id)| id.parse::<u32>().ok());
            let Some(guest) = instances.iter().find(|i| Some(i.vmid) == vmid) else {
                continue;
            };
            let who = format!("{} {} ({})", guest.kind.label(), guest.vmid, guest.name);
            let into = if positive {
                &mut out.together
            } else {
                &mut out.apart
            };
            into.entry(guest.node.clone()).or_insert(who);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::devices::{Bus, Pool, PoolDevice};
    use crate::model::rows::Usage;
    use crate::sched::{Ask, DeviceAsk, DeviceClass, Headroom, Policy, rank};

    #[test]
    fn a_device_reserved_by_a_create_in_flight_is_taken() {
        let row = HostRow {
            cluster: "lab".into(),
            node: "pve1".into(),
            status: HostStatus::Online,
            usage: Usage {
                cpu: Some(0.1),
                maxcpu: Some(16.0),
                mem: Some(8 << 30),
                maxmem: Some(64 << 30),
                disk: None,
                maxdisk: None,
            },
            load: None,
            uptime: None,
            guests_running: 0,
            guests_total: 0,
            stale: Vec::new(),
            cluster_stale: false,
            ha_lrm: None,
            pve_version: None,
            cert_expires: None,
            cert_days_left: None,
        };
        let mut catalog = Catalog::default();
        catalog.nodes.insert(
            "pve1".into(),
            crate::model::catalog::NodeCatalog {
                online: true,
                storages: vec![crate::model::catalog::StorageInfo {
                    name: "local-zfs".into(),
                    content: ["images".to_string()].into(),
                    shared: false,
                    free: Some(500 << 30),
                    total: Some(1000 << 30),
                    active: true,
                }],
                ..Default::default()
            },
        );
        let devices = Devices {
            pools: vec![Pool {
                id: "gpu".into(),
                bus: Bus::Pci,
                class: DeviceClass::Gpu,
                description: String::new(),
                mdev: false,
                live_migration: false,
                devices: vec![PoolDevice {
                    node: "pve1".into(),
                    path: "0000:01:00.0".into(),
                    id: "10de:2484".into(),
                    subsystem: None,
                    iommu_group: None,
                    name: None,
                    present: true,
                    mdev: false,
                    holder: None,
                }],
                claims: Vec::new(),
            }],
            unpooled: Vec::new(),
            unknown: Default::default(),
        };
        let ask = Ask {
            cores: 2,
            memory: 4 << 30,
            disk: 10 << 30,
            content: "images".into(),
            devices: vec![DeviceAsk {
                selector: "gpu".into(),
                count: 1,
            }],
            ..Ask::default()
        };
        let free = hosts(
            std::slice::from_ref(&row),
            &[],
            &catalog,
            &devices,
            &Vec::new(),
            &BTreeMap::new(),
        );
        assert!(rank(&free, &ask, Policy::Spread, &Headroom::default())[0].feasible);
        let reserved = vec![("pve1".into(), "gpu".into(), "VM 300 (gpu-worker)".into())];
        let busy = hosts(&[row], &[], &catalog, &devices, &reserved, &BTreeMap::new());
        let r = &rank(&busy, &ask, Policy::Spread, &Headroom::default())[0];
        assert!(!r.feasible);
        assert_eq!(
            r.reasons,
            ["no free gpu (reserved for VM 300 (gpu-worker))"]
        );
    }
}
