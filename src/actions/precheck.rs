//! Proxmox's migration precondition check (`GET …/migrate`) read into words: which nodes a
//! guest may go to, and for the others why not. Pure.

use crate::model::text;
use crate::pve::de;
use serde_json::Value;

/// What Proxmox says about moving a guest: every other node, allowed or why not.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrateCheck {
    pub targets: Vec<(String, Result<(), String>)>,
    pub local_disks: bool,
    /// HA services that the HA manager moves along (positive resource affinity).
    pub dependent: Vec<String>,
}

/// An HA resource-affinity rule: enough to name the rule behind a blocking HA resource.
#[derive(Debug, Clone, PartialEq)]
pub struct AffinityRule {
    pub id: String,
    pub negative: bool,
    pub resources: Vec<String>,
}

/// The resource-affinity rules of a `/cluster/ha/rules` answer.
pub fn affinity_rules(answer: &Value) -> Vec<AffinityRule> {
    answer
        .as_array()
        .map(|rules| {
            rules
                .iter()
                .filter(|r| r.get("type").and_then(Value::as_str) == Some("resource-affinity"))
                .filter(|r| r.get("disable").and_then(de::bool_of) != Some(true))
                .map(|r| AffinityRule {
                    id: r
                        .get("rule")
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_string(),
                    negative: r.get("affinity").and_then(Value::as_str) == Some("negative"),
                    resources: r
                        .get("resources")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the answer names HA resources that block some node (then the rules are worth
/// reading, to name them).
pub fn has_blocking_ha(answer: &Value) -> bool {
    answer
        .get("not_allowed_nodes")
        .or_else(|| answer.get("not-allowed-nodes"))
        .and_then(Value::as_object)
        .is_some_and(|m| m.values().any(|n| n.get("blocking-ha-resources").is_some()))
}

/// "HA rule ingress-apart-from-db: ct:203 runs there", or without a rule that names both,
/// "HA resource ct:203 runs there (resource-affinity)".
fn blocking_words(sid: &str, other: &str, cause: &str, rules: &[AffinityRule]) -> String {
    let rule = rules.iter().find(|r| {
        r.negative && r.resources.iter().any(|s| s == sid) && r.resources.iter().any(|s| s == other)
    });
    match rule {
        Some(r) if cause == "resource-affinity" => format!("HA rule {}: {other} runs there", r.id),
        _ if cause == "node-affinity" => format!("HA node-affinity of {other} excludes it"),
        _ => format!("HA resource {other} runs there ({cause})"),
    }
}

/// Why Proxmox says a guest cannot go to `target`, in words.
pub fn blockers(answer: &Value, target: &str) -> Vec<String> {
    blockers_named(answer, target, "", &[])
}

/// As `blockers`, naming the HA rule behind a blocking resource of guest `sid` where `rules`
/// has it.
pub fn blockers_named(
    answer: &Value,
    target: &str,
    sid: &str,
    rules: &[AffinityRule],
) -> Vec<String> {
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
                why.push(blocking_words(
                    sid,
                    b.get("sid").and_then(Value::as_str).unwrap_or("?"),
                    b.get("cause").and_then(Value::as_str).unwrap_or("rule"),
                    rules,
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
    why.into_iter().map(|w| text::clean(&w)).collect()
}

/// Whether the guest has local disks that must move with it.
pub fn has_local_disks(answer: &Value) -> bool {
    answer
        .get("local_disks")
        .and_then(Value::as_array)
        .is_some_and(|d| {
            d.iter().any(|disk| {
                disk.get("cdrom").and_then(de::bool_of) != Some(true)
                    && disk.get("is_unused").and_then(de::bool_of) != Some(true)
            })
        })
}

/// The HA services that move along with the guest, as the answer lists them (its own sid left
/// out: an older simulator listed it).
pub fn dependent(answer: &Value, sid: &str) -> Vec<String> {
    answer
        .get("dependent-ha-resources")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter(|s| *s != sid)
                .map(text::clean)
                .collect()
        })
        .unwrap_or_default()
}

/// Every node the answer names except `from`, each allowed or with its reasons.
pub fn targets(answer: &Value, from: &str) -> MigrateCheck {
    targets_named(answer, from, "", &[])
}

/// As `targets`, naming the HA rules behind blocking resources of guest `sid`.
pub fn targets_named(
    answer: &Value,
    from: &str,
    sid: &str,
    rules: &[AffinityRule],
) -> MigrateCheck {
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
            let why = blockers_named(answer, &node, sid, rules);
            let ok = allowed.contains(&node) && why.is_empty();
            let verdict = if ok {
                Ok(())
            } else if why.is_empty() {
                Err("Proxmox does not allow it".to_string())
            } else {
                Err(why.join("; "))
            };
            (text::clean(&node), verdict)
        })
        .collect();
    MigrateCheck {
        targets,
        local_disks: has_local_disks(answer),
        dependent: dependent(answer, sid),
    }
}
