//! Guests: listing, status, config, metrics, power and snapshots, for VMs and containers alike.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Call, b};
use crate::http::ApiError;
use crate::scenario::GuestKind;
use crate::tasks::Work;
use crate::world::{Guest, GuestStatus};

pub fn route(c: &mut Call, method: &str, path: &str) -> Option<Result<Value, ApiError>> {
    let kind = if path.starts_with("/nodes/{node}/lxc") {
        GuestKind::Lxc
    } else {
        GuestKind::Qemu
    };
    let rest = path
        .strip_prefix("/nodes/{node}/qemu")
        .or_else(|| path.strip_prefix("/nodes/{node}/lxc"))?;
    Some(match (method, rest) {
        ("GET", "") => list(c, kind),
        ("POST", "") => super::create_guest(c, kind),
        ("DELETE", "/{vmid}") => super::destroy_guest(c, kind),
        ("POST", "/{vmid}/clone") => super::clone_guest(c, kind),
        ("GET", "/{vmid}/status/current") => status(c, kind),
        ("POST", r) if r.starts_with("/{vmid}/status/") => {
            power(c, kind, &r["/{vmid}/status/".len()..])
        }
        ("GET", "/{vmid}/config") => config(c, kind),
        ("POST", "/{vmid}/config") | ("PUT", "/{vmid}/config") => {
            update_config(c, kind, method == "POST")
        }
        ("GET", "/{vmid}/pending") => pending(c, kind),
        ("GET", "/{vmid}/rrddata") => c.guest(kind).map(|g| {
            json!(
                c.world()
                    .guest_rrd(g, c.param("timeframe").unwrap_or("hour"))
            )
        }),
        ("GET", "/{vmid}/snapshot") => snapshots(c, kind),
        ("POST", "/{vmid}/snapshot") => snapshot_create(c, kind),
        ("POST", "/{vmid}/snapshot/{snapname}/rollback") => snapshot_rollback(c, kind),
        ("DELETE", "/{vmid}/snapshot/{snapname}") => snapshot_delete(c, kind),
        _ => return None,
    })
}

/// The fields guests share in listings and status.
fn guest_fields(c: &Call, g: &Guest) -> Value {
    let w = c.world();
    let now = w.now;
    let running = g.running();
    let uptime = if running {
        (now - g.started_at).max(0.0)
    } else {
        0.0
    };
    let (netin, netout) = w.guest_net(g, now);
    let (rd, wr) = w.guest_disk_io(g, now);
    let mut item = json!({
        "vmid": g.vmid, "name": g.name(),
        "status": if running { "running" } else { "stopped" },
        "cpu": w.guest_cpu(g, now), "cpus": g.cores(),
        "mem": w.guest_mem(g, now), "maxmem": g.maxmem(), "maxdisk": g.maxdisk(),
        "netin": (netin * uptime) as u64, "netout": (netout * uptime) as u64,
        "diskread": (rd * uptime) as u64, "diskwrite": (wr * uptime) as u64,
        "uptime": uptime as i64,
    });
    if g.template() {
        item["template"] = json!(1);
    }
    if let Some(tags) = g.tags() {
        item["tags"] = json!(tags);
    }
    if let Some(lock) = g.lock() {
        item["lock"] = json!(lock);
    }
    match g.kind {
        GuestKind::Qemu => {
            item["memhost"] = item["mem"].clone();
            if running {
                item["pid"] = json!(10_000 + g.vmid % 50_000);
                item["qmpstatus"] = json!(if g.status == GuestStatus::Paused {
                    "paused"
                } else {
                    "running"
                });
                item["running-machine"] = json!("pc-q35-10.0+pve1");
                item["running-qemu"] = json!("10.0.2");
            }
            if g.config.contains_key("serial0") {
                item["serial"] = json!(1);
            }
        }
        GuestKind::Lxc => {
            item["disk"] = json!(w.guest_disk_used(g));
            let swap: u64 = g
                .config
                .get("swap")
                .and_then(|s| s.parse().ok())
                .unwrap_or(512);
            item["maxswap"] = json!(swap << 20);
            item["type"] = json!("lxc");
        }
    }
    item
}

fn list(c: &Call, kind: GuestKind) -> Result<Value, ApiError> {
    let node = c.node()?.name().to_string();
    let w = c.world();
    Ok(Value::Array(
        w.guests
            .values()
            .filter(|g| g.kind == kind && g.node == node)
            .map(|g| guest_fields(c, g))
            .collect(),
    ))
}

fn status(c: &Call, kind: GuestKind) -> Result<Value, ApiError> {
    let g = c.guest(kind)?;
    let mut item = guest_fields(c, g);
    let w = c.world();
    item["ha"] = match w.ha.resources.get(&g.sid()) {
        Some(r) => json!({ "managed": 1, "state": r.state }),
        None => json!({ "managed": 0 }),
    };
    if kind == GuestKind::Qemu {
        let agent = g
            .config
            .get("agent")
            .is_some_and(|a| a.starts_with('1') || a.contains("enabled=1"));
        item["agent"] = json!(b(agent));
        item["clipboard"] = Value::Null;
        if let Some(obj) = item.as_object_mut() {
            obj.remove("clipboard");
        }
    }
    Ok(item)
}

pub fn digest(config: &BTreeMap<String, String>) -> String {
    let mut h = Sha256::new();
    for (k, v) in config {
        h.update(k.as_bytes());
        h.update(b":");
        h.update(v.as_bytes());
        h.update(b"\n");
    }
    h.finalize()
        .iter()
        .take(20)
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn config(c: &Call, kind: GuestKind) -> Result<Value, ApiError> {
    let g = c.guest(kind)?;
    let config = match c.param("snapshot") {
        Some(name) => {
            &g.snapshots
                .iter()
                .find(|s| s.name == name)
                .ok_or_else(|| ApiError::fail(format!("snapshot '{name}' does not exist")))?
                .config
        }
        None => &g.config,
    };
    let mut out = serde_json::Map::new();
    for (k, v) in config {
        // Numbers go out as numbers where the schema says integer, as Proxmox does.
        let value = match v.parse::<i64>() {
            // qemu's memory is a property string since PVE 9; a container's is an integer.
            Ok(n)
                if matches!(
                    k.as_str(),
                    "cores"
                        | "sockets"
                        | "swap"
                        | "template"
                        | "onboot"
                        | "unprivileged"
                        | "balloon"
                        | "vcpus"
                        | "cpuunits"
                        | "protection"
                ) || (kind == GuestKind::Lxc && k == "memory") =>
            {
                json!(n)
            }
            _ => json!(v),
        };
        out.insert(k.clone(), value);
    }
    out.insert("digest".into(), json!(digest(config)));
    Ok(Value::Object(out))
}

fn pending(c: &Call, kind: GuestKind) -> Result<Value, ApiError> {
    let g = c.guest(kind)?;
    Ok(Value::Array(
        g.config
            .iter()
            .map(|(k, v)| json!({ "key": k, "value": v }))
            .collect(),
    ))
}

fn update_config(c: &mut Call, kind: GuestKind, asynchronous: bool) -> Result<Value, ApiError> {
    let g = c.guest(kind)?;
    if let Some(d) = c.param("digest")
        && d != digest(&g.config)
    {
        return Err(ApiError::fail(
            "detected modified configuration - file changed by other user? Try again.",
        ));
    }
    if let Some(lock) = g.lock()
        && !c.flag("skiplock")
    {
        return Err(ApiError::fail(format!("VM {} is locked ({lock})", g.vmid)));
    }
    let vmid = g.vmid;
    let node = g.node.clone();
    let skip = [
        "node",
        "vmid",
        "digest",
        "delete",
        "skiplock",
        "revert",
        "background_delay",
    ];
    let changes: Vec<(String, String)> = c
        .params
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .cloned()
        .collect();
    let deletes: Vec<String> = c
        .param("delete")
        .unwrap_or("")
        .split([',', ';', ' '])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let changes = super::expand_new_disks(c, vmid, changes)?;
    let user = c.user();
    let w = c.world_mut();
    if let Some(g) = w.guests.get_mut(&vmid) {
        for (k, v) in changes {
            g.config.insert(k, v);
        }
        for k in deletes {
            g.config.remove(&k);
        }
    }
    w.allocate_disks(vmid);
    if asynchronous {
        Ok(json!(w.start_work(&node, &user, Work::Config { vmid })))
    } else {
        Ok(Value::Null)
    }
}

fn power(c: &mut Call, kind: GuestKind, action: &str) -> Result<Value, ApiError> {
    let g = c.guest(kind)?;
    let vmid = g.vmid;
    let node = g.node.clone();
    let label = if kind == GuestKind::Lxc { "CT" } else { "VM" };
    if g.template() && action == "start" {
        return Err(ApiError::fail(format!(
            "{label} {vmid} is a template - start not possible"
        )));
    }
    if let Some(lock) = g.lock()
        && !c.flag("skiplock")
    {
        return Err(ApiError::fail(format!("{label} {vmid} is locked ({lock})")));
    }
    let ha = c.world().is_ha(g);
    let running = g.running();
    match action {
        "start" if running => {
            return Err(ApiError::fail(format!("{label} {vmid} already running")));
        }
        "stop" | "shutdown" | "reboot" | "suspend" if !running && !ha => {
            return Err(ApiError::fail(format!("{label} {vmid} not running")));
        }
        "resume" if g.status != GuestStatus::Paused => {
            return Err(ApiError::fail(format!("{label} {vmid} not paused")));
        }
        _ => {}
    }
    let sid = g.sid();
    let work = match (action, ha) {
        ("start", true) => Work::HaRequest {
            sid,
            state: "started".into(),
        },
        ("stop" | "shutdown", true) => Work::HaRequest {
            sid,
            state: "stopped".into(),
        },
        ("start", false) => Work::Start { vmid },
        ("stop", false) => Work::Stop { vmid },
        ("shutdown", false) => Work::Shutdown { vmid },
        ("reboot", _) => Work::Reboot { vmid },
        ("suspend", _) => Work::Suspend { vmid },
        ("resume", _) => Work::Resume { vmid },
        _ => {
            return Err(ApiError::new(
                501,
                format!("Method 'POST .../status/{action}' not implemented"),
            ));
        }
    };
    let user = c.user();
    Ok(json!(c.world_mut().start_work(&node, &user, work)))
}

fn snapshots(c: &Call, kind: GuestKind) -> Result<Value, ApiError> {
    let g = c.guest(kind)?;
    let mut out: Vec<Value> = g
        .snapshots
        .iter()
        .map(|s| {
            let mut item = json!({ "name": s.name, "description": s.description, "snaptime": s.snaptime as i64 });
            if let Some(p) = &s.parent {
                item["parent"] = json!(p);
            }
            if kind == GuestKind::Qemu {
                item["vmstate"] = json!(b(s.vmstate));
            }
            item
        })
        .collect();
    let mut current =
        json!({ "name": "current", "description": "You are here!", "running": b(g.running()) });
    if let Some(p) = &g.parent_snapshot {
        current["parent"] = json!(p);
    }
    out.push(current);
    Ok(Value::Array(out))
}

fn locked_check(g: &Guest) -> Result<(), ApiError> {
    match g.lock() {
        Some(lock) => Err(ApiError::fail(format!("VM {} is locked ({lock})", g.vmid))),
        None => Ok(()),
    }
}

fn snapshot_create(c: &mut Call, kind: GuestKind) -> Result<Value, ApiError> {
    let g = c.guest(kind)?;
    locked_check(g)?;
    let name = c.param("snapname").unwrap_or("").to_string();
    if name == "current" || name == "vzdump" {
        return Err(ApiError::param(
            "snapname",
            format!("invalid snapshot name '{name}'"),
        ));
    }
    if g.snapshots.iter().any(|s| s.name == name) {
        return Err(ApiError::fail(format!(
            "snapshot name '{name}' already used"
        )));
    }
    let work = Work::SnapshotCreate {
        vmid: g.vmid,
        name,
        description: c.param("description").unwrap_or("").to_string(),
        vmstate: c.flag("vmstate"),
    };
    let node = g.node.clone();
    let user = c.user();
    Ok(json!(c.world_mut().start_work(&node, &user, work)))
}

fn snapshot_rollback(c: &mut Call, kind: GuestKind) -> Result<Value, ApiError> {
    let g = c.guest(kind)?;
    locked_check(g)?;
    let name = c.var("snapname").to_string();
    if !g.snapshots.iter().any(|s| s.name == name) {
        return Err(ApiError::fail(format!("snapshot '{name}' does not exist")));
    }
    let work = Work::SnapshotRollback {
        vmid: g.vmid,
        name,
        start: c.flag("start"),
    };
    let node = g.node.clone();
    let user = c.user();
    Ok(json!(c.world_mut().start_work(&node, &user, work)))
}

fn snapshot_delete(c: &mut Call, kind: GuestKind) -> Result<Value, ApiError> {
    let g = c.guest(kind)?;
    locked_check(g)?;
    let name = c.var("snapname").to_string();
    if !g.snapshots.iter().any(|s| s.name == name) {
        return Err(ApiError::fail(format!("snapshot '{name}' does not exist")));
    }
    let work = Work::SnapshotDelete { vmid: g.vmid, name };
    let node = g.node.clone();
    let user = c.user();
    Ok(json!(c.world_mut().start_work(&node, &user, work)))
}
