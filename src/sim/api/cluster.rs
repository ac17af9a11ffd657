//! Cluster-wide reads and access: /version, /cluster/status, /cluster/resources,
//! /cluster/nextid, /cluster/tasks, /cluster/options, /nodes, /pools, /access/*.

use serde_json::{Value, json};

use super::{Call, b};
use crate::sim::http::ApiError;
use crate::sim::tasks::Task;

pub fn route(c: &mut Call, method: &str, path: &str) -> Option<Result<Value, ApiError>> {
    Some(match (method, path) {
        ("GET", "/version") => Ok(version(c)),
        ("GET", "/cluster/status") => Ok(status(c)),
        ("GET", "/cluster/resources") => Ok(resources(c)),
        ("GET", "/cluster/nextid") => nextid(c),
        ("GET", "/cluster/tasks") => Ok(cluster_tasks(c)),
        ("GET", "/cluster/options") => Ok(json!(c.world().options)),
        ("GET", "/nodes") => Ok(nodes(c)),
        ("GET", "/pools") => Ok(pools(c)),
        ("GET", "/access/permissions") => Ok(permissions()),
        ("POST", "/access/ticket") => ticket(c),
        _ => return None,
    })
}

fn version(c: &Call) -> Value {
    let sw = &c.world().software;
    let release = sw
        .pve_version
        .rsplit_once('.')
        .map(|(r, _)| r)
        .unwrap_or("9.1");
    json!({ "version": sw.pve_version, "release": release, "repoid": sw.repoid, "console": "xtermjs" })
}

fn status(c: &Call) -> Value {
    let w = c.world();
    let local = w.local_node().map(|n| n.name().to_string());
    let mut out = Vec::new();
    if let Some(name) = &w.cluster_name {
        out.push(json!({
            "type": "cluster", "id": "cluster", "name": name,
            "nodes": w.nodes.len(), "quorate": b(w.quorate()), "version": 7,
        }));
    }
    for (i, n) in w.nodes.iter().enumerate() {
        out.push(json!({
            "type": "node", "id": format!("node/{}", n.name()), "name": n.name(),
            "ip": n.def.ip, "nodeid": i + 1, "online": b(n.online()),
            "local": b(local.as_deref() == Some(n.name())),
            "level": n.def.subscription.clone().unwrap_or_default(),
        }));
    }
    Value::Array(out)
}

fn resources(c: &Call) -> Value {
    let w = c.world();
    let filter = c.param("type");
    let now = w.now;
    let mut out = Vec::new();
    if filter.is_none() || filter == Some("node") {
        for n in &w.nodes {
            let mut item = json!({
                "id": format!("node/{}", n.name()), "type": "node", "node": n.name(),
                "status": if n.online() { "online" } else { "offline" },
                "level": n.def.subscription.clone().unwrap_or_default(), "cgroup-mode": 2,
                "maxcpu": n.def.threads, "maxmem": n.mem_total(), "maxdisk": n.def.rootfs.0,
            });
            if n.online() {
                item["cpu"] = json!(w.node_cpu(n, now));
                item["mem"] = json!(w.node_mem_used(n, now));
                item["disk"] = json!(n.def.rootfs.0 / 100 * 7);
                item["uptime"] = json!((now - n.booted_at) as i64);
            }
            out.push(item);
        }
    }
    if filter.is_none() || filter == Some("vm") {
        let hastate =
            |g: &crate::sim::world::Guest| w.ha.resources.get(&g.sid()).map(|r| r.state.clone());
        for g in w.guests.values() {
            let node_up = w.node(&g.node).is_some_and(|n| n.online());
            let (netin, netout) = w.guest_net(g, now);
            let uptime = if g.running() {
                (now - g.started_at).max(0.0)
            } else {
                0.0
            };
            let mut item = json!({
                "id": format!("{}/{}", g.type_name(), g.vmid), "type": g.type_name(),
                "vmid": g.vmid, "name": g.name(), "node": g.node,
                "status": if !node_up { "unknown" } else if g.running() { "running" } else { "stopped" },
                "template": b(g.template()),
                "cpu": w.guest_cpu(g, now), "maxcpu": g.cores(),
                "mem": w.guest_mem(g, now), "maxmem": g.maxmem(),
                "disk": w.guest_disk_used(g), "maxdisk": g.maxdisk(),
                "netin": (netin * uptime) as u64, "netout": (netout * uptime) as u64,
                "diskread": (w.guest_disk_io(g, now).0 * uptime) as u64,
                "diskwrite": (w.guest_disk_io(g, now).1 * uptime) as u64,
                "uptime": uptime as i64,
            });
            if let Some(tags) = g.tags() {
                item["tags"] = json!(tags);
            }
            if let Some(pool) = &g.pool {
                item["pool"] = json!(pool);
            }
            if let Some(lock) = g.lock() {
                item["lock"] = json!(lock);
            }
            if let Some(state) = hastate(g) {
                item["hastate"] = json!(state);
            }
            out.push(item);
        }
    }
    if filter.is_none() || filter == Some("storage") {
        for n in &w.nodes {
            for s in w
                .storages
                .iter()
                .filter(|s| w.storage_on(&s.id, n.name()).is_some())
            {
                let mut item = json!({
                    "id": format!("storage/{}/{}", n.name(), s.id), "type": "storage",
                    "storage": s.id, "node": n.name(), "content": s.content,
                    "plugintype": s.kind, "shared": b(s.shared),
                    "status": if n.online() { "available" } else { "unknown" },
                });
                if n.online() {
                    item["disk"] = json!(w.storage_used(s, n.name()));
                    item["maxdisk"] = json!(w.storage_total(s, n.name()));
                }
                out.push(item);
            }
        }
    }
    if filter.is_none() || filter == Some("sdn") {
        for n in &w.nodes {
            for z in &w.sdn.zones {
                out.push(json!({
                    "id": format!("sdn/{}/{}", n.name(), z.zone), "type": "sdn", "sdn": z.zone,
                    "node": n.name(), "zone-type": z.kind,
                    "status": if n.online() { "ok" } else { "unknown" },
                }));
            }
        }
    }
    if filter.is_none() {
        for p in &w.pools {
            out.push(json!({ "id": format!("/pool/{}", p.id), "type": "pool", "pool": p.id }));
        }
    }
    Value::Array(out)
}

fn nextid(c: &Call) -> Result<Value, ApiError> {
    let w = c.world();
    if let Some(id) = c.int("vmid") {
        let id = id as u32;
        if w.guests.contains_key(&id) {
            return Err(ApiError::param("vmid", format!("VM {id} already exists")));
        }
        return Ok(json!(id.to_string()));
    }
    let lower = w
        .options
        .get("next-id")
        .and_then(|v| {
            crate::pve::propstr::PropString::parse(v, "lower")
                .get("lower")
                .and_then(|l| l.parse().ok())
        })
        .unwrap_or(100);
    // Proxmox sends this integer as a string.
    Ok(json!(w.next_free_vmid(lower).to_string()))
}

pub fn task_item(t: &Task) -> Value {
    let mut item = json!({
        "upid": t.text, "node": t.upid.node, "pid": t.upid.pid, "pstart": t.upid.pstart,
        "starttime": t.upid.starttime, "type": t.upid.kind, "id": t.upid.id, "user": t.upid.user,
    });
    if t.done {
        item["endtime"] = json!(t.end as i64);
        item["status"] = json!(t.exitstatus.clone().unwrap_or_default());
    }
    item
}

fn cluster_tasks(c: &Call) -> Value {
    // The cluster log keeps the recent tasks of every node, newest first.
    let w = c.world();
    Value::Array(w.tasks.iter().rev().take(100).map(task_item).collect())
}

fn nodes(c: &Call) -> Value {
    let w = c.world();
    let now = w.now;
    Value::Array(
        w.nodes
            .iter()
            .map(|n| {
                let mut item = json!({
                    "node": n.name(), "status": if n.online() { "online" } else { "offline" },
                    "level": n.def.subscription.clone().unwrap_or_default(),
                    "maxcpu": n.def.threads, "maxmem": n.mem_total(),
                });
                if n.online() {
                    item["cpu"] = json!(w.node_cpu(n, now));
                    item["mem"] = json!(w.node_mem_used(n, now));
                    item["uptime"] = json!((now - n.booted_at) as i64);
                }
                item
            })
            .collect(),
    )
}

fn pools(c: &Call) -> Value {
    let w = c.world();
    let only = c.param("poolid");
    Value::Array(
        w.pools
            .iter()
            .filter(|p| only.is_none_or(|o| o == p.id))
            .map(|p| {
                let mut item = json!({ "poolid": p.id, "comment": p.comment });
                if only.is_some() {
                    let members: Vec<Value> = w
                        .guests
                        .values()
                        .filter(|g| g.pool.as_deref() == Some(p.id.as_str()))
                        .map(|g| json!({
                            "id": format!("{}/{}", g.type_name(), g.vmid), "type": g.type_name(),
                            "vmid": g.vmid, "node": g.node, "name": g.name(),
                            "status": if g.running() { "running" } else { "stopped" },
                        }))
                        .collect();
                    item["members"] = json!(members);
                }
                item
            })
            .collect(),
    )
}

/// root@pam and its unseparated tokens may do everything, everywhere.
fn permissions() -> Value {
    let privs = [
        "Datastore.Allocate",
        "Datastore.AllocateSpace",
        "Datastore.AllocateTemplate",
        "Datastore.Audit",
        "Mapping.Audit",
        "Mapping.Modify",
        "Mapping.Use",
        "Permissions.Modify",
        "Pool.Allocate",
        "Pool.Audit",
        "SDN.Allocate",
        "SDN.Audit",
        "SDN.Use",
        "Sys.Audit",
        "Sys.Console",
        "Sys.Incoming",
        "Sys.Modify",
        "Sys.PowerMgmt",
        "Sys.Syslog",
        "User.Modify",
        "VM.Allocate",
        "VM.Audit",
        "VM.Backup",
        "VM.Clone",
        "VM.Config.CDROM",
        "VM.Config.CPU",
        "VM.Config.Cloudinit",
        "VM.Config.Disk",
        "VM.Config.HWType",
        "VM.Config.Memory",
        "VM.Config.Network",
        "VM.Config.Options",
        "VM.Console",
        "VM.GuestAgent.Audit",
        "VM.Migrate",
        "VM.PowerMgmt",
        "VM.Snapshot",
        "VM.Snapshot.Rollback",
    ];
    let all: serde_json::Map<String, Value> =
        privs.iter().map(|p| (p.to_string(), json!(1))).collect();
    let mut out = serde_json::Map::new();
    for path in [
        "/", "/access", "/mapping", "/nodes", "/pool", "/sdn", "/storage", "/vms",
    ] {
        out.insert(path.to_string(), Value::Object(all.clone()));
    }
    Value::Object(out)
}

fn ticket(c: &mut Call) -> Result<Value, ApiError> {
    let realm = c.param("realm").map(str::to_string);
    let mut username = c.param("username").unwrap_or("").to_string();
    if let Some(realm) = realm {
        if !username.contains('@') {
            username = format!("{username}@{realm}");
        }
    }
    let password = c.param("password").unwrap_or("").to_string();
    let now = c.state.clock.now();
    let user = c
        .state
        .auth
        .login(&username, &password, now)
        .ok_or_else(|| ApiError::new(401, "authentication failure"))?;
    let ticket = c.state.auth.ticket(&user, now);
    let csrf = c.state.auth.csrf(&user, now);
    let mut out = json!({ "username": user, "ticket": ticket, "CSRFPreventionToken": csrf });
    if let Some(name) = &c.world().cluster_name {
        out["clustername"] = json!(name);
    }
    Ok(out)
}
