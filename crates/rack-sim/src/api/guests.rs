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

/// A guest as qemu-server's and pve-container's `vmstatus` describe it: what every listing has,
/// and with `full` (a VM's `status/current`, or its list with `full=1`) what QEMU is asked for —
/// its run state, balloon, per-drive and per-NIC counters, machine and version.
fn guest_fields(c: &Call, g: &Guest, full: bool) -> Value {
    let w = c.world();
    let now = w.now;
    let running = g.running();
    let lxc = g.type_name() == "lxc";
    let uptime = if running {
        (now - g.started_at).max(0.0)
    } else {
        0.0
    };
    let (netin, netout) = w.guest_net(g, now);
    let (rd, wr) = w.guest_disk_io(g, now);
    let (netin, netout) = ((netin * uptime) as u64, (netout * uptime) as u64);
    let (read, written) = ((rd * uptime) as u64, (wr * uptime) as u64);
    let mut item = json!({
        "vmid": g.vmid, "name": g.name(),
        "status": if running { "running" } else { "stopped" },
        "cpu": w.guest_cpu(g, now), "cpus": g.cores(),
        "mem": w.guest_mem(g, now), "maxmem": g.maxmem(), "maxdisk": g.maxdisk(),
        "netin": netin, "netout": netout, "diskread": read, "diskwrite": written,
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
    let pid = 10_000 + g.vmid % 50_000;
    if running {
        item["pid"] = json!(pid);
        // Pressure stall averages of the guest's cgroup (PVE 9).
        let load = w.guest_cpu(g, now);
        for (key, v) in [
            ("pressurecpusome", load * 2.5),
            ("pressurecpufull", load * 1.2),
            ("pressureiosome", load * 0.8),
            ("pressureiofull", load * 0.6),
            ("pressurememorysome", 0.0),
            ("pressurememoryfull", 0.0),
        ] {
            let v = (v * 100.0).round() / 100.0;
            // pve-container passes on the text of the cgroup's *.pressure file ("0.46");
            // qemu-server makes it a number, which Perl prints whole without a fraction.
            item[key] = if lxc {
                json!(format!("{v:.2}"))
            } else if v.fract() == 0.0 {
                json!(v as i64)
            } else {
                json!(v)
            };
        }
    }
    match g.kind {
        GuestKind::Qemu => {
            // QEMU reports no usage of a VM's disks: Proxmox sends 0.
            item["disk"] = json!(0);
            item["memhost"] = item["mem"].clone();
            if let Some(min) = g.config.get("balloon").and_then(|b| b.parse::<u64>().ok())
                && min > 0
            {
                item["balloon_min"] = json!(min << 20);
                item["shares"] = json!(
                    g.config
                        .get("shares")
                        .and_then(|s| s.parse::<u64>().ok())
                        .unwrap_or(1000)
                );
            }
            if g.config.keys().any(|k| k.starts_with("serial")) {
                item["serial"] = json!(1);
            }
            if full {
                qemu_full(c, g, &mut item, (read, written));
            }
        }
        GuestKind::Lxc => {
            item["disk"] = json!(if running { w.guest_disk_used(g) } else { 0 });
            let swap: u64 = g
                .config
                .get("swap")
                .and_then(|s| s.parse().ok())
                .unwrap_or(512);
            item["maxswap"] = json!(swap << 20);
            // What the container has swapped out (its cgroup's count); none while stopped.
            item["swap"] = json!(if running { (swap << 20) / 50 } else { 0 });
            item["type"] = json!("lxc");
        }
    }
    item
}

/// What QEMU answers for a VM when asked in full: its run state (a stopped VM's is its status),
/// and for a running one the balloon, each drive's and NIC's counters, machine and version.
fn qemu_full(c: &Call, g: &Guest, item: &mut Value, (read, written): (u64, u64)) {
    let running = g.running();
    item["qmpstatus"] = json!(match g.status {
        GuestStatus::Paused => "paused",
        _ if running => "running",
        _ => "stopped",
    });
    if !running {
        return;
    }
    item["running-machine"] = json!("pc-q35-10.0+pve1");
    item["running-qemu"] = json!("10.0.2");
    item["proxmox-support"] = json!({
        "backup-fleecing": true, "backup-max-workers": true, "pbs-dirty-bitmap": true,
        "pbs-dirty-bitmap-migration": true, "pbs-dirty-bitmap-savevm": true,
        "pbs-library-version": "1.5.2 (UNKNOWN)", "pbs-masterkey": true,
        "query-bitmap-info": true,
    });
    let maxmem = g.maxmem();
    let used = item["mem"].as_u64().unwrap_or(0).min(maxmem);
    let last = c.world().now as i64;
    // With the balloon device off (`balloon: 0`) QEMU's query-balloon fails: none of it is said.
    if g.config.get("balloon").map(String::as_str) != Some("0") {
        item["balloon"] = json!(maxmem);
        item["freemem"] = json!(maxmem - used);
        item["ballooninfo"] = json!({
            "actual": maxmem, "max_mem": maxmem, "total_mem": maxmem, "free_mem": maxmem - used,
            "mem_swapped_in": 0, "mem_swapped_out": 0,
            "major_page_faults": 1_204, "minor_page_faults": 3_801_112, "last_update": last,
        });
    }
    let drives: Vec<_> = g.disks().into_iter().filter(|d| !d.cdrom).collect();
    let share = drives.len().max(1) as u64;
    let mut blockstat = serde_json::Map::new();
    for (i, d) in drives.iter().enumerate() {
        // The first drive takes what the others' shares leave, so the sums are the totals.
        let (rd, wr) = if i == 0 {
            (
                read - read / share * (share - 1),
                written - written / share * (share - 1),
            )
        } else {
            (read / share, written / share)
        };
        blockstat.insert(
            d.key.clone(),
            json!({
                "rd_bytes": rd, "wr_bytes": wr,
                "rd_operations": rd / 16_384, "wr_operations": wr / 8_192,
                "flush_operations": wr / 262_144, "unmap_operations": 0, "unmap_bytes": 0,
                "rd_merged": 0, "wr_merged": 0, "unmap_merged": 0,
                "rd_total_time_ns": (rd / 16_384).saturating_mul(90_000),
                "wr_total_time_ns": (wr / 8_192).saturating_mul(150_000),
                "flush_total_time_ns": (wr / 262_144).saturating_mul(400_000),
                "unmap_total_time_ns": 0,
                "failed_rd_operations": 0, "failed_wr_operations": 0, "failed_flush_operations": 0,
                "failed_unmap_operations": 0, "invalid_rd_operations": 0,
                "invalid_wr_operations": 0, "invalid_flush_operations": 0,
                "invalid_unmap_operations": 0, "account_invalid": true, "account_failed": true,
                "idle_time_ns": 1_000_000, "timed_stats": [],
                "wr_highest_offset": d.size / 2,
                // QEMU 10's zoned-device counters, zero on a plain disk.
                "zone_append_bytes": 0, "zone_append_operations": 0, "zone_append_merged": 0,
                "zone_append_total_time_ns": 0, "failed_zone_append_operations": 0,
                "invalid_zone_append_operations": 0,
            }),
        );
    }
    item["blockstat"] = Value::Object(blockstat);
    let nics: Vec<&String> = g
        .config
        .keys()
        .filter(|k| {
            k.strip_prefix("net")
                .is_some_and(|n| n.parse::<u32>().is_ok())
        })
        .collect();
    let count = nics.len().max(1) as u64;
    let (netin, netout) = (
        item["netin"].as_u64().unwrap_or(0),
        item["netout"].as_u64().unwrap_or(0),
    );
    let mut per_nic = serde_json::Map::new();
    for key in nics {
        let index = key.trim_start_matches("net");
        per_nic.insert(
            format!("tap{}i{index}", g.vmid),
            json!({ "netin": netin / count, "netout": netout / count }),
        );
    }
    if !per_nic.is_empty() {
        item["nics"] = Value::Object(per_nic);
    }
}

fn list(c: &Call, kind: GuestKind) -> Result<Value, ApiError> {
    let node = c.node()?.name().to_string();
    let full = kind == GuestKind::Qemu && c.flag("full");
    let w = c.world();
    Ok(Value::Array(
        w.guests
            .values()
            .filter(|g| g.kind == kind && g.node == node)
            .map(|g| guest_fields(c, g, full))
            .collect(),
    ))
}

fn status(c: &Call, kind: GuestKind) -> Result<Value, ApiError> {
    let g = c.guest(kind)?;
    let mut item = guest_fields(c, g, true);
    let w = c.world();
    item["ha"] = match w.ha.resources.get(&g.sid()) {
        Some(r) => json!({ "managed": 1, "state": r.state }),
        None => json!({ "managed": 0 }),
    };
    // The agent is said only when it is enabled, as qemu-server does.
    if kind == GuestKind::Qemu
        && g.config
            .get("agent")
            .is_some_and(|a| a.starts_with('1') || a.contains("enabled=1"))
    {
        item["agent"] = json!(1);
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
    let label = kind.label();
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
