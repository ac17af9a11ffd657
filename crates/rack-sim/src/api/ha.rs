//! HA: status (quorum, master, LRMs, services), manager status, resources, rules, migrate.

use serde_json::{Map, Value, json};

use super::Call;
use crate::http::ApiError;
use crate::tasks::Work;

pub fn route(c: &mut Call, method: &str, path: &str) -> Option<Result<Value, ApiError>> {
    Some(match (method, path) {
        ("GET", "/cluster/ha/status/current") => Ok(current(c)),
        ("GET", "/cluster/ha/status/manager_status") => Ok(manager_status(c)),
        ("GET", "/cluster/ha/resources") => Ok(resources(c)),
        ("GET", "/cluster/ha/resources/{sid}") => resource(c),
        ("POST", "/cluster/ha/resources/{sid}/migrate") => migrate(c, false),
        ("POST", "/cluster/ha/resources/{sid}/relocate") => migrate(c, true),
        ("GET", "/cluster/ha/rules") => Ok(rules(c)),
        // Proxmox VE 9 keeps the endpoint but refuses it once groups became rules.
        ("GET", "/cluster/ha/groups") => Err(ApiError::fail(
            "cannot index groups: ha groups have been migrated to rules",
        )),
        _ => return None,
    })
}

fn master(c: &Call) -> Option<String> {
    c.world().local_node().map(|n| n.name().to_string())
}

fn lrm_state(c: &Call, node: &str) -> (&'static str, String) {
    let w = c.world();
    let Some(n) = w.node(node) else {
        return ("unknown", "unknown".into());
    };
    if !n.online() {
        return ("unknown", "old timestamp - dead?".into());
    }
    if w.ha.maintenance.contains(node) {
        return ("maintenance", "maintenance mode".into());
    }
    let active = w.guests.values().any(|g| g.node == node && w.is_ha(g));
    if active {
        ("active", "active".into())
    } else {
        ("idle", "idle".into())
    }
}

fn current(c: &Call) -> Value {
    let w = c.world();
    let now = w.now as i64;
    let local = master(c).unwrap_or_default();
    let quorate = w.quorate();
    let mut out = vec![json!({
        "id": "quorum", "type": "quorum", "node": local, "quorate": u8::from(quorate),
        "status": if quorate { "OK".to_string() } else { format!("No quorum on node '{local}'!") },
    })];
    if w.ha.resources.is_empty() {
        return Value::Array(out);
    }
    out.push(json!({ "id": "master", "type": "master", "node": local, "status": format!("{local} (active, {})", crate::calendar::format_datetime(w.now)), "timestamp": now }));
    for n in &w.nodes {
        let (_, text) = lrm_state(c, n.name());
        out.push(json!({ "id": format!("lrm:{}", n.name()), "type": "lrm", "node": n.name(), "status": format!("{} ({text}, {})", n.name(), crate::calendar::format_datetime(w.now)), "timestamp": now }));
    }
    for r in w.ha.resources.values() {
        let vmid: u32 = r
            .sid
            .split_once(':')
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let Some(g) = w.guests.get(&vmid) else {
            continue;
        };
        let state = service_state(c, &r.sid);
        out.push(json!({
            "id": format!("service:{}", r.sid), "type": "service", "sid": r.sid, "node": g.node,
            "state": state, "crm_state": state, "request_state": r.state,
            "status": format!("{} ({}, {state})", r.sid, g.node),
            "max_restart": r.max_restart, "max_relocate": r.max_relocate, "failback": u8::from(r.failback),
        }));
    }
    out.push(json!({ "id": "fencing", "type": "fencing", "node": local, "status": "armed", "armed-state": "armed" }));
    Value::Array(out)
}

/// The CRM's word for where a service stands.
fn service_state(c: &Call, sid: &str) -> &'static str {
    let w = c.world();
    let Some(r) = w.ha.resources.get(sid) else {
        return "error";
    };
    let vmid: u32 = sid
        .split_once(':')
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let Some(g) = w.guests.get(&vmid) else {
        return "error";
    };
    let node_up = w.node(&g.node).is_some_and(|n| n.online());
    if !node_up {
        return "fence";
    }
    if w.tasks.iter().any(|t| {
        t.running() && t.work.vmid() == Some(vmid) && matches!(t.work, Work::Migrate { .. })
    }) {
        return "migrate";
    }
    match r.state.as_str() {
        "started" if g.running() => "started",
        "started" => "starting",
        "disabled" | "stopped" if g.running() => "request_stop",
        "ignored" => "ignored",
        _ => "stopped",
    }
}

fn manager_status(c: &Call) -> Value {
    let w = c.world();
    let now = w.now as i64;
    let node_status: Map<String, Value> = w
        .nodes
        .iter()
        .map(|n| {
            // A lost node is `unknown`, then `fence` once the fence delay is over until its
            // services are recovered elsewhere, then `unknown` again until it comes back.
            let s = if !n.online() {
                let timed_out = n
                    .offline_since
                    .is_some_and(|s| w.now - s >= crate::world::HA_FENCE_DELAY);
                let holds_services = w.guests.values().any(|g| g.node == n.name() && w.is_ha(g));
                if timed_out && holds_services {
                    "fence"
                } else {
                    "unknown"
                }
            } else if w.ha.maintenance.contains(n.name()) {
                "maintenance"
            } else {
                "online"
            };
            (n.name().to_string(), json!(s))
        })
        .collect();
    let service_status: Map<String, Value> = w
        .ha
        .resources
        .keys()
        .filter_map(|sid| {
            let vmid: u32 = sid.split_once(':').and_then(|(_, v)| v.parse().ok())?;
            let g = w.guests.get(&vmid)?;
            Some((sid.clone(), json!({ "node": g.node, "state": service_state(c, sid), "running": u8::from(g.running()), "uid": format!("{:x}", vmid * 7919) })))
        })
        .collect();
    let lrm_status: Map<String, Value> = w
        .nodes
        .iter()
        .map(|n| {
            let (mode_state, _) = lrm_state(c, n.name());
            let mode = if mode_state == "maintenance" {
                "maintenance"
            } else {
                "active"
            };
            let state = if mode_state == "active" {
                "active"
            } else if n.online() {
                "wait_for_agent_lock"
            } else {
                "lost_agent_lock"
            };
            // The outcome of the last command the LRM ran for each service it holds, by the
            // command's uid (the one the manager's service status names).
            let results: Map<String, Value> = service_status
                .iter()
                .filter(|(_, v)| v["node"] == n.name())
                .map(|(sid, v)| {
                    let state = if v["running"] == 1 {
                        "started"
                    } else {
                        "stopped"
                    };
                    (
                        v["uid"].as_str().unwrap_or_default().to_string(),
                        json!({ "sid": sid, "state": state, "exit_code": 0 }),
                    )
                })
                .collect();
            (
                n.name().to_string(),
                json!({ "mode": mode, "state": state, "timestamp": now, "results": results }),
            )
        })
        .collect();
    let local = master(c).unwrap_or_default();
    json!({
        "manager_status": { "master_node": local, "node_status": node_status, "service_status": service_status, "timestamp": now },
        "lrm_status": lrm_status,
        // pve-cluster's check_cfs_quorum returns Perl's boolean, which JSON writes "1" or "".
        "quorum": { "node": local, "quorate": if w.quorate() { "1" } else { "" } },
    })
}

fn resource_item(r: &crate::world::HaResource) -> Value {
    let kind = r.sid.split(':').next().unwrap_or("vm");
    let mut item = json!({
        "sid": r.sid, "type": kind, "state": r.state, "max_restart": r.max_restart,
        "max_relocate": r.max_relocate, "failback": u8::from(r.failback),
        "digest": format!("{:040x}", r.sid.len() * 104_729),
    });
    if let Some(comment) = &r.comment {
        item["comment"] = json!(comment);
    }
    item
}

fn resources(c: &Call) -> Value {
    let filter = c.param("type");
    Value::Array(
        c.world()
            .ha
            .resources
            .values()
            .filter(|r| filter.is_none_or(|t| r.sid.starts_with(&format!("{t}:"))))
            .map(resource_item)
            .collect(),
    )
}

fn resource(c: &Call) -> Result<Value, ApiError> {
    let sid = normalize_sid(c.var("sid"));
    c.world()
        .ha
        .resources
        .get(&sid)
        .map(resource_item)
        .ok_or_else(|| ApiError::fail(format!("no such resource '{sid}'")))
}

/// A plain VMID stands for `vm:VMID` (or `ct:VMID` for a container), as ha-manager accepts.
fn normalize_sid(sid: &str) -> String {
    if sid.contains(':') {
        sid.to_string()
    } else {
        format!("vm:{sid}")
    }
}

fn migrate(c: &mut Call, relocate: bool) -> Result<Value, ApiError> {
    let mut sid = normalize_sid(c.var("sid"));
    let w = c.world();
    if !w.ha.resources.contains_key(&sid) {
        let ct = sid.replacen("vm:", "ct:", 1);
        if w.ha.resources.contains_key(&ct) {
            sid = ct;
        } else {
            return Err(ApiError::fail(format!(
                "service '{sid}' is not managed by HA"
            )));
        }
    }
    let target = c.param("node").unwrap_or("").to_string();
    if !w.node(&target).is_some_and(|n| n.online()) {
        return Err(ApiError::fail(format!("node '{target}' is not online")));
    }
    let vmid: u32 = sid
        .split_once(':')
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let from = w
        .guests
        .get(&vmid)
        .map(|g| g.node.clone())
        .unwrap_or_default();
    if from == target {
        return Err(ApiError::fail(format!(
            "service '{sid}' is already on node '{target}'"
        )));
    }
    // As Proxmox VE 9: the answer says what blocks the move and what moves along; a blocked
    // request is queued all the same and the CRM drops it (no error status).
    let (together, blocking) = w.ha_motion(&sid);
    let mut out = json!({ "sid": sid, "requested-node": target });
    if let Some(list) = blocking.get(&target) {
        out["blocking-resources"] = Value::Array(
            list.iter()
                .map(|s| json!({ "sid": s, "cause": "resource-affinity" }))
                .collect(),
        );
        return Ok(out);
    }
    if !together.is_empty() {
        out["comigrated-resources"] = json!(together);
    }
    let user = c.user();
    c.world_mut().start_work(
        &from,
        &user,
        Work::HaMigrate {
            sid: sid.clone(),
            target: target.clone(),
            relocate,
        },
    );
    Ok(out)
}

fn rules(c: &Call) -> Value {
    let filter = c.param("type");
    let resource = c.param("resource");
    Value::Array(
        c.world()
            .ha
            .rules
            .iter()
            .filter(|r| filter.is_none_or(|t| r.kind == t))
            .filter(|r| resource.is_none_or(|s| r.resources.split(',').any(|x| x == s)))
            .enumerate()
            .map(|(i, r)| {
                let mut item = json!({
                    "rule": r.rule, "type": r.kind, "resources": r.resources,
                    "disable": u8::from(r.disable), "order": i + 1,
                    "digest": format!("{:040x}", r.rule.len() * 15_485_863),
                });
                if let Some(n) = &r.nodes {
                    item["nodes"] = json!(n);
                    item["strict"] = json!(u8::from(r.strict));
                }
                if let Some(a) = &r.affinity {
                    item["affinity"] = json!(a);
                }
                if let Some(cm) = &r.comment {
                    item["comment"] = json!(cm);
                }
                item
            })
            .collect(),
    )
}
