//! What a node's maintenance plan is made from, read from the cluster: its state, Ceph, every
//! node's room (as placement sees it), the configs of the node's guests and the HA rules.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::Value;

use super::{ReadError, ceph_data, get, poll_once, readable};
use crate::actions::catalog;
use crate::maint::plan::logged_rate;
use crate::maint::{Inputs, Updates};
use crate::model::devices::{self, DeviceOverride};
use crate::model::network_alias::NetworkAlias;
use crate::model::placement;
use crate::model::{ClusterSnapshot, HostStatus, ha, host_rows, instance_rows};
use crate::pve::de;
use crate::pve::endpoints::{cluster, nodes};
use crate::pve::types::{AptPackage, ClusterTask, GuestConfig, NodeStatus, TaskLogLine};
use crate::pve::{Client, Error};

/// Read what planning `node`'s maintenance needs. Parts that cannot be read are said in the
/// second value; the plan is made without them (and says so where it matters).
pub async fn maintenance_inputs(
    name: &str,
    client: &Client,
    node: &str,
    aliases: &BTreeMap<String, NetworkAlias>,
    overrides: &[DeviceOverride],
    now: SystemTime,
) -> Result<(Inputs, Vec<String>), ReadError> {
    let snap = poll_once(name, client, now).await;
    readable(&snap)?;
    let hosts = host_rows(&snap);
    let instances = instance_rows(&snap);
    if !hosts.iter().any(|h| h.node == node) {
        return Err(ReadError::NoNode {
            node: node.to_string(),
            known: hosts.iter().map(|h| h.node.clone()).collect(),
        });
    }
    let mut problems = Vec::new();
    // A node that is gone already has no votes left to take away.
    let online = hosts
        .iter()
        .any(|h| h.node == node && h.status != HostStatus::Offline);
    let node_votes = if !online {
        0
    } else {
        snap.corosync
            .get()
            .into_iter()
            .flatten()
            .find(|n| n.node_name() == Some(node))
            .and_then(|n| n.quorum_votes)
            .unwrap_or(1)
    };
    // Ceph is asked of a node that stays.
    let ceph_node = hosts
        .iter()
        .find(|h| h.node != node && h.status == HostStatus::Online)
        .map(|h| h.node.clone());
    let mut ceph_error = None;
    let ceph = match ceph_data(client, ceph_node.as_deref()).await {
        Ok(data) if data.configured() => {
            problems.extend(data.problems.iter().map(|p| format!("ceph: {p}")));
            problems.extend(
                data.partial
                    .lines(now)
                    .into_iter()
                    .map(|p| format!("ceph: {p}")),
            );
            Some(data)
        }
        Ok(_) => None,
        Err(e) => {
            ceph_error = Some(e.to_string());
            None
        }
    };
    let catalog = catalog::fetch(client).await;
    problems.extend(catalog.problems.iter().cloned());
    let view = devices::devices_with(&catalog.devices, overrides);
    let capacity = placement::hosts(&hosts, &instances, &catalog, &view, &Vec::new(), aliases);
    let shared = capacity
        .iter()
        .flat_map(|h| &h.storages)
        .filter(|s| s.shared)
        .map(|s| s.name.clone())
        .collect();
    let mut configs = BTreeMap::new();
    for g in instances.iter().filter(|g| g.node == node) {
        let path = nodes::guest_config(node, g.kind.api(), g.vmid);
        match get::<GuestConfig>(client, path).await {
            Ok(c) => {
                configs.insert(g.vmid, c);
            }
            Err(e) => problems.push(format!("config of {} {}: {e}", g.kind.label(), g.vmid)),
        }
    }
    let mut ha_rules = BTreeMap::new();
    match get::<Vec<Value>>(client, cluster::HA_RULES.into()).await {
        Ok(rules) => {
            // A node-affinity rule weighs most where it pins; the first rule of a guest wins.
            let mut ordered: Vec<&Value> = rules.iter().collect();
            ordered.sort_by_key(|r| r["type"].as_str() != Some("node-affinity"));
            for rule in ordered {
                if de::bool_of(&rule["disable"]) == Some(true) {
                    continue;
                }
                for vmid in rule_vmids(rule) {
                    ha_rules
                        .entry(vmid)
                        .or_insert_with(|| placement::ha_rule_ask(rule, &instances));
                }
            }
        }
        // A cluster without HA rules (before PVE 9) answers with an error: no rule to keep.
        Err(e) if snap.ha.get().is_none_or(|s| s.is_empty()) => drop(e),
        Err(e) => problems.push(format!("HA rules: {e}")),
    }
    let rate = migration_rate(client, &snap).await;
    let updates = if online {
        Some(read_updates(client, node, now, &mut problems).await)
    } else {
        None
    };
    let inputs = Inputs {
        node: node.to_string(),
        votes: ha::votes(&snap),
        node_votes,
        hosts,
        instances,
        ceph,
        ceph_error,
        capacity,
        configs,
        shared,
        ha_rules,
        rate,
        updates,
        unread: problems.clone(),
    };
    Ok((inputs, problems))
}

/// The node's upgrades, installed kernels and last refresh. What cannot be read is said: the
/// upgrade list in the plan itself (Proxmox asks Sys.Modify for it), the rest as a problem.
async fn read_updates(
    client: &Client,
    node: &str,
    now: SystemTime,
    problems: &mut Vec<String>,
) -> Updates {
    let upgrades = match client
        .get::<Vec<AptPackage>>(&nodes::apt_update(node))
        .await
    {
        Ok(list) => Ok(list),
        Err(Error::Api {
            status: 403,
            message,
            ..
        }) => Err(format!(
            "{} (listing upgrades needs Sys.Modify)",
            message.trim()
        )),
        Err(e) => Err(e.to_string()),
    };
    let versions = match get::<Vec<AptPackage>>(client, nodes::apt_versions(node)).await {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!("installed versions on {node}: {e}"));
            Vec::new()
        }
    };
    let running = match get::<NodeStatus>(client, nodes::status(node)).await {
        Ok(s) => s.kernel.release.or_else(|| {
            // Before PVE 8: "Linux 6.2.16-3-pve #1 SMP …".
            s.kversion
                .and_then(|k| k.split_whitespace().nth(1).map(str::to_string))
        }),
        Err(e) => {
            problems.push(format!("status of {node}: {e}"));
            None
        }
    };
    let refreshed_ago =
        match get::<Vec<ClusterTask>>(client, nodes::tasks_of_type(node, "aptupdate", 1)).await {
            Ok(tasks) => tasks.first().and_then(|t| t.endtime).map(|end| {
                let now = now
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                now.saturating_sub(end)
            }),
            Err(e) => {
                problems.push(format!("package-list refreshes on {node}: {e}"));
                None
            }
        };
    Updates::read(upgrades, &versions, running, refreshed_ago)
}

/// The guests an HA rule binds: `vm:101,ct:201` → 101, 201.
fn rule_vmids(rule: &Value) -> Vec<u32> {
    rule["resources"]
        .as_str()
        .unwrap_or_default()
        .split(',')
        .filter_map(|sid| sid.trim().split_once(':')?.1.parse().ok())
        .collect()
}

/// How fast this cluster's recent live migrations went: the mean of the rates the newest few
/// successful `qmigrate` tasks logged at their end. `None` when none did.
async fn migration_rate(client: &Client, snap: &ClusterSnapshot) -> Option<f64> {
    let mut done: Vec<&ClusterTask> = snap
        .tasks
        .get()
        .into_iter()
        .flatten()
        .filter(|t| t.kind.as_deref() == Some("qmigrate") && t.status.as_deref() == Some("OK"))
        .collect();
    done.sort_by_key(|t| std::cmp::Reverse(t.endtime));
    let mut rates = Vec::new();
    for task in done.into_iter().take(3) {
        let node = task.node.clone().unwrap_or_default();
        let path = nodes::task_log(&node, &task.upid, 1000);
        if let Ok(lines) = get::<Vec<TaskLogLine>>(client, path).await
            && let Some(rate) = lines.iter().find_map(|l| logged_rate(&l.t))
        {
            rates.push(rate);
        }
    }
    (!rates.is_empty()).then(|| rates.iter().sum::<f64>() / rates.len() as f64)
}
