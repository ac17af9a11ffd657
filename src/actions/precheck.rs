//! Proxmox's migration precondition check (`GET …/migrate`) read into words: which nodes a
//! guest may go to, and for the others why not. Pure.

use serde_json::Value;

/// What Proxmox says about moving a guest: every other node, allowed or why not.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrateCheck {
    pub targets: Vec<(String, Result<(), String>)>,
    pub local_disks: bool,
}

/// Why Proxmox says a guest cannot go to `target`, in words.
pub fn blockers(answer: &Value, target: &str) -> Vec<String> {
    let mut why = Vec::new();
    let not_allowed = answer
        .get("not_allowed_nodes")
        .or_else(|| answer.get("not-allowed-nodes"))
        .and_then(|n| n.get(target));
    if let Some(n) = not_allowed {
        if let Some(list) = n.get("unavailable_storages").and_then(Value::as_array) {
            let names: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
            if !names.is_empty() {
                why.push(format!("storage {} not available there", names.join(", ")));
            }
        }
        if let Some(list) = n.get("blocking-ha-resources").and_then(Value::as_array) {
            for b in list {
                why.push(format!(
                    "HA resource {} ({})",
                    b.get("sid").and_then(Value::as_str).unwrap_or("?"),
                    b.get("cause").and_then(Value::as_str).unwrap_or("rule")
                ));
            }
        }
        if let Some(list) = n.get("unavailable-resources").and_then(Value::as_array) {
            let names: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
            if !names.is_empty() {
                why.push(format!(
                    "mapped devices {} not on that node",
                    names.join(", ")
                ));
            }
        }
    }
    if let Some(list) = answer.get("local_resources").and_then(Value::as_array) {
        let names: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
        if !names.is_empty() {
            why.push(format!("local resources {}", names.join(", ")));
        }
    }
    why.into_iter()
        .map(|w| crate::model::text::clean(&w))
        .collect()
}

/// Whether the guest has local disks that must move with it.
pub fn has_local_disks(answer: &Value) -> bool {
    answer
        .get("local_disks")
        .and_then(Value::as_array)
        .is_some_and(|d| {
            d.iter().any(|disk| {
                disk.get("cdrom").and_then(crate::pve::de::bool_of) != Some(true)
                    && disk.get("is_unused").and_then(crate::pve::de::bool_of) != Some(true)
            })
        })
}

/// Every node the answer names except `from`, each allowed or with its reasons.
pub fn targets(answer: &Value, from: &str) -> MigrateCheck {
    let list = |key: &str, alt: &str| -> Vec<String> {
        answer
            .get(key)
            .or_else(|| answer.get(alt))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let allowed = list("allowed_nodes", "allowed-nodes");
    let mut nodes: Vec<String> = allowed.clone();
    if let Some(map) = answer
        .get("not_allowed_nodes")
        .or_else(|| answer.get("not-allowed-nodes"))
        .and_then(Value::as_object)
    {
        nodes.extend(map.keys().cloned());
    }
    nodes.retain(|n| n != from);
    nodes.sort();
    nodes.dedup();
    let targets = nodes
        .into_iter()
        .map(|node| {
            let why = blockers(answer, &node);
            let ok = allowed.contains(&node) && why.is_empty();
            let verdict = if ok {
                Ok(())
            } else if why.is_empty() {
                Err("Proxmox does not allow it".to_string())
            } else {
                Err(why.join("; "))
            };
            (crate::model::text::clean(&node), verdict)
        })
        .collect();
    MigrateCheck {
        targets,
        local_disks: has_local_disks(answer),
    }
}
