//! Cluster-wide reads and access: /version, /cluster/status, /cluster/resources,
//! /cluster/nextid, /cluster/tasks, /cluster/options, /nodes, /pools, /access/*.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use rack_pve::propstr::PropString;
use serde_json::{Map, Value, json};

use super::{Call, Reply, b};
use crate::http::ApiError;
use crate::scenario::GuestKind;
use crate::tasks::Task;
use crate::world::{Guest, Node, World};
use rack_pve::types::{ClusterResource, ResourceKind};

pub fn route(c: &mut Call, method: &str, path: &str) -> Option<Result<Reply, ApiError>> {
    if (method, path) == ("GET", "/cluster/resources") {
        return Some(resources(c).map(Reply::Json));
    }
    if (method, path) == ("GET", "/cluster/metrics/export") {
        return Some(super::metrics_export::export(c));
    }
    values(c, method, path).map(|result| result.map(Reply::Value))
}

fn values(c: &mut Call, method: &str, path: &str) -> Option<Result<Value, ApiError>> {
    Some(match (method, path) {
        ("GET", "/version") => Ok(version(c)),
        ("GET", "/cluster/status") => Ok(status(c)),
        ("GET", "/cluster/config/nodes") => config_nodes(c),
        ("GET", "/cluster/nextid") => nextid(c),
        ("GET", "/cluster/tasks") => Ok(cluster_tasks(c)),
        // No storage replication jobs are modelled.
        ("GET", "/cluster/replication") => Ok(json!([])),
        ("GET", "/cluster/options") => Ok(options(c.world())),
        ("GET", "/nodes") => Ok(nodes(c)),
        ("GET", "/pools") => Ok(pools(c)),
        ("GET", "/access/permissions") => Ok(permissions(c)),
        ("POST", "/access/ticket") => ticket(c),
        _ => return None,
    })
}

/// datacenter.cfg as pve-cluster's parser leaves it: the property-string options as objects
/// (their values the strings read, a bare value under the format's default key), the tag lists
/// as lists, the file's comment as `description`, Proxmox's MAC prefix where none is set; and
/// the tags root may use (`get_allowed_tags`: those of every guest, the allow-list and the
/// registered ones), as the API adds them.
fn options(w: &World) -> Value {
    // Each property-string option with its format's default key ("" where it has none).
    const PROPERTY_STRINGS: [(&str, &str); 10] = [
        ("crs", ""),
        ("migration", "type"),
        ("replication", "type"),
        ("next-id", ""),
        ("ha", ""),
        ("notify", ""),
        ("u2f", ""),
        ("webauthn", ""),
        ("tag-style", ""),
        ("user-tag-access", ""),
    ];
    let list = |v: &str| -> Vec<String> {
        v.split(';')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut out = Map::new();
    for (k, v) in &w.options {
        let value = match PROPERTY_STRINGS.iter().find(|(name, _)| name == k) {
            Some((_, default_key)) => {
                let parsed = PropString::parse(v, default_key);
                let mut obj: Map<String, Value> = parsed
                    .pairs
                    .into_iter()
                    .map(|(a, b)| (a, json!(b)))
                    .collect();
                if let Some(allow) = obj.get("user-allow-list").and_then(Value::as_str) {
                    let allow = list(allow);
                    obj.insert("user-allow-list".into(), json!(allow));
                }
                Value::Object(obj)
            }
            None if k == "registered-tags" => json!(list(v)),
            None => json!(v),
        };
        out.insert(k.clone(), value);
    }
    out.entry("description").or_insert_with(|| json!(""));
    out.entry("mac_prefix").or_insert_with(|| json!("BC:24:11"));
    let mut tags: BTreeSet<String> = w
        .guests
        .values()
        .filter_map(|g| g.tags())
        .flat_map(|t| t.split([';', ',', ' ']))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    let named = [
        out.get("registered-tags"),
        out.get("user-tag-access")
            .and_then(|u| u.get("user-allow-list")),
    ];
    let named: Vec<String> = named
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    tags.extend(named);
    out.insert("allowed-tags".into(), json!(tags));
    Value::Object(out)
}

fn version(c: &Call) -> Value {
    let mut v = software_version(c.world());
    v["console"] = json!("xtermjs");
    v
}

/// `version`, `release` and `repoid`, as /version and /nodes/{node}/version give them.
pub fn software_version(w: &World) -> Value {
    let sw = &w.software;
    let release = sw
        .pve_version
        .rsplit_once('.')
        .map(|(r, _)| r)
        .unwrap_or("9.1");
    json!({ "version": sw.pve_version, "release": release, "repoid": sw.repoid })
}

fn status(c: &Call) -> Value {
    let w = c.world();
    let local = c
        .who
        .served_by
        .clone()
        .or_else(|| w.local_node().map(|n| n.name().to_string()));
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

/// Corosync's node list, as a clustered node answers it (values as strings, as Proxmox sends).
fn config_nodes(c: &Call) -> Result<Value, ApiError> {
    let w = c.world();
    if w.cluster_name.is_none() {
        return Err(ApiError::fail(
            "Corosync config '/etc/pve/corosync.conf' does not exist - is this node part of a cluster?",
        ));
    }
    Ok(Value::Array(
        w.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                json!({
                    "name": n.name(), "node": n.name(), "nodeid": (i + 1).to_string(),
                    "quorum_votes": n.def.votes.to_string(), "ring0_addr": n.def.ip,
                })
            })
            .collect(),
    ))
}

fn resources(c: &Call) -> Result<String, ApiError> {
    let w = c.world();
    let filter = c.param("type");
    let wants = |kind: &str| filter.is_none_or(|f| f == kind);
    let now = w.now;
    // Guests come first, as in Proxmox's answer; nodes sum their guests' use from the same pass.
    let mut out = Vec::with_capacity(w.guests.len() + w.nodes.len() * (2 + w.storages.len()));
    let mut busy: HashMap<&str, (f64, u64)> =
        w.nodes.iter().map(|n| (n.name(), (0.0, 0))).collect();
    if wants("node") || wants("vm") {
        let online: HashMap<&str, bool> = w.nodes.iter().map(|n| (n.name(), n.online())).collect();
        for g in w.guests.values() {
            let node_up = online.get(g.node.as_str()).copied().unwrap_or(false);
            let item = guest_resource(w, g, node_up);
            if let Some(sum) = busy.get_mut(g.node.as_str()) {
                sum.0 += item.cpu.unwrap_or(0.0) * f64::from(g.cores());
                sum.1 += item.mem.unwrap_or(0);
            }
            if wants("vm") {
                out.push(item);
            }
        }
    }
    if wants("node") {
        out.extend(w.nodes.iter().map(|n| {
            let (cpu, mem) = busy.get(n.name()).copied().unwrap_or_default();
            node_resource(
                w,
                n,
                (w.node_cpu_given(n, cpu, now), w.node_mem_given(n, mem)),
            )
        }));
    }
    if wants("storage") {
        let usage = w.usage();
        for n in &w.nodes {
            for s in w
                .storages
                .iter()
                .filter(|s| w.storage_on(&s.id, n.name()).is_some())
            {
                let up = n.online();
                out.push(ClusterResource {
                    id: format!("storage/{}/{}", n.name(), s.id).into(),
                    kind: ResourceKind::Storage,
                    storage: Some(s.id.as_str().into()),
                    node: Some(n.name().into()),
                    content: Some(s.content.as_str().into()),
                    plugintype: Some(s.kind.as_str().into()),
                    shared: Some(s.shared),
                    status: Some(if up { "available" } else { "unknown" }.into()),
                    disk: up.then(|| usage.storage_used(s, n.name())),
                    maxdisk: up.then(|| usage.storage_total(s, n.name())),
                    ..ClusterResource::default()
                });
            }
        }
    }
    if wants("sdn") {
        for n in &w.nodes {
            for z in &w.sdn.zones {
                out.push(ClusterResource {
                    id: format!("sdn/{}/{}", n.name(), z.zone).into(),
                    kind: ResourceKind::Sdn,
                    sdn: Some(z.zone.as_str().into()),
                    node: Some(n.name().into()),
                    zone_type: Some(z.kind.as_str().into()),
                    status: Some(if n.online() { "ok" } else { "unknown" }.into()),
                    ..ClusterResource::default()
                });
            }
        }
    }
    if filter.is_none() {
        out.extend(w.pools.iter().map(|p| ClusterResource {
            id: format!("/pool/{}", p.id).into(),
            kind: ResourceKind::Pool,
            pool: Some(p.id.as_str().into()),
            ..ClusterResource::default()
        }));
    }
    serde_json::to_string(&out).map_err(|e| ApiError::fail(format!("encoding resources: {e}")))
}

fn node_resource<'a>(w: &World, n: &'a Node, (cpu, mem): (f64, u64)) -> ClusterResource<'a> {
    let up = n.online();
    ClusterResource {
        id: format!("node/{}", n.name()).into(),
        kind: ResourceKind::Node,
        node: Some(n.name().into()),
        status: Some(if up { "online" } else { "offline" }.into()),
        level: Some(n.def.subscription.as_deref().unwrap_or_default().into()),
        cgroup_mode: Some(2),
        maxcpu: Some(f64::from(n.def.threads)),
        maxmem: Some(n.mem_total()),
        maxdisk: Some(n.def.rootfs.0),
        cpu: up.then_some(cpu),
        mem: up.then_some(mem),
        disk: up.then_some(n.def.rootfs.0 / 100 * 7),
        uptime: up.then(|| (w.now - n.booted_at).max(0.0) as u64),
        ..ClusterResource::default()
    }
}

fn guest_resource<'a>(w: &'a World, g: &'a Guest, node_up: bool) -> ClusterResource<'a> {
    let now = w.now;
    let uptime = if g.running() {
        (now - g.started_at).max(0.0)
    } else {
        0.0
    };
    let (netin, netout) = w.guest_net(g, now);
    let (read, write) = w.guest_disk_io(g, now);
    let status = if !node_up {
        "unknown"
    } else if g.running() {
        "running"
    } else {
        "stopped"
    };
    ClusterResource {
        id: format!("{}/{}", g.type_name(), g.vmid).into(),
        kind: match g.kind {
            GuestKind::Qemu => ResourceKind::Qemu,
            GuestKind::Lxc => ResourceKind::Lxc,
        },
        vmid: Some(g.vmid),
        name: Some(g.name_ref()),
        node: Some(g.node.as_str().into()),
        status: Some(status.into()),
        template: Some(g.template()),
        cpu: Some(w.guest_cpu(g, now)),
        maxcpu: Some(f64::from(g.cores())),
        mem: Some(w.guest_mem(g, now)),
        maxmem: Some(g.maxmem()),
        disk: Some(w.guest_disk_used(g)),
        maxdisk: Some(g.maxdisk()),
        netin: Some((netin * uptime) as u64),
        netout: Some((netout * uptime) as u64),
        diskread: Some((read * uptime) as u64),
        diskwrite: Some((write * uptime) as u64),
        uptime: Some(uptime as u64),
        tags: g.tags().map(Cow::Borrowed),
        pool: g.pool.as_deref().map(Cow::Borrowed),
        lock: g.lock().map(Cow::Borrowed),
        hastate: w
            .ha
            .resources
            .get(&g.sid())
            .map(|r| Cow::Borrowed(r.state.as_str())),
        ..ClusterResource::default()
    }
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
            rack_pve::propstr::PropString::parse(v, "lower")
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
    // The cluster log keeps the recent tasks of every node, newest first, as pve-cluster's
    // task list holds them: no `pstart`, a `pid` only while running, and whether the task is
    // in the node's archive yet (`saved`, a string as read from the index).
    // Each node publishes its running tasks and, up to 25 in all, its newest finished ones
    // (RESTEnvironment's active_workers).
    const PER_NODE: usize = 25;
    let w = c.world();
    let mut kept: HashMap<&str, (usize, usize)> = HashMap::new();
    for t in &w.tasks {
        let e = kept.entry(t.upid.node.as_str()).or_default();
        if t.running() {
            e.0 += 1;
        }
    }
    let mut list: Vec<&Task> = Vec::new();
    for t in w.tasks.iter().rev() {
        let (running, finished) = kept.entry(t.upid.node.as_str()).or_default();
        if t.running() {
            list.push(t);
        } else if *running + *finished < PER_NODE {
            *finished += 1;
            list.push(t);
        }
    }
    list.sort_by(|a, b| b.start.total_cmp(&a.start));
    Value::Array(
        list.into_iter()
            .map(|t| {
                let mut item = task_item(t);
                if let Some(o) = item.as_object_mut() {
                    o.remove("pstart");
                    if t.done {
                        o.remove("pid");
                    }
                    o.insert("saved".into(), json!(if t.done { "1" } else { "0" }));
                }
                item
            })
            .collect(),
    )
}

/// The node list as pve-manager's `extract_node_stats` makes it: identity and state for every
/// node, the figures pvestatd last broadcast only for one that is online, and the node's
/// certificate fingerprint.
fn nodes(c: &Call) -> Value {
    let w = c.world();
    let now = w.now;
    let usage = w.node_usage(now);
    let pki = c.state.pki.as_ref();
    Value::Array(
        w.nodes
            .iter()
            .map(|n| {
                let mut item = json!({
                    "id": format!("node/{}", n.name()), "node": n.name(), "type": "node",
                    "status": if n.online() { "online" } else { "offline" },
                });
                if n.online() {
                    let (cpu, mem) = usage.get(n.name()).copied().unwrap_or_default();
                    let stats = json!({
                        "uptime": (now - n.booted_at).max(0.0) as i64,
                        "level": n.def.subscription.clone().unwrap_or_default(),
                        "maxcpu": n.def.threads, "cpu": cpu,
                        "maxmem": n.mem_total(), "mem": mem,
                        "maxdisk": n.def.rootfs.0, "disk": n.def.rootfs.0 / 100 * 7,
                    });
                    if let (Some(o), Some(s)) = (item.as_object_mut(), stats.as_object()) {
                        o.extend(s.clone());
                    }
                }
                if let Some(cert) = pki.and_then(|p| p.nodes.get(n.name())) {
                    item["ssl_fingerprint"] = json!(cert.info.fingerprint);
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

/// What the caller holds: root@pam and its tokens everything, everywhere; a restricted token
/// what it was given.
fn permissions(c: &Call) -> Value {
    if let Some(grants) = c.state.auth.restricted.get(&c.who.user) {
        let out: serde_json::Map<String, Value> = grants
            .iter()
            .map(|(path, privs)| {
                let map: serde_json::Map<String, Value> =
                    privs.iter().map(|p| (p.clone(), json!(1))).collect();
                (path.clone(), Value::Object(map))
            })
            .collect();
        return Value::Object(out);
    }
    let all: serde_json::Map<String, Value> = crate::access::ALL
        .iter()
        .map(|p| (p.to_string(), json!(1)))
        .collect();
    let mut out = serde_json::Map::new();
    for path in [
        "/",
        "/access",
        "/access/groups",
        "/mapping",
        "/nodes",
        "/pool",
        "/sdn",
        "/storage",
        "/vms",
    ] {
        out.insert(path.to_string(), Value::Object(all.clone()));
    }
    Value::Object(out)
}

/// What the web UI may show the user, by area, as the ticket's `cap` (pve-access-control's
/// compute_api_permission): each area's privileges the user holds anywhere, as 1.
fn capabilities(c: &Call, user: &str) -> Value {
    let held: Vec<String> = match c.state.auth.restricted.get(user) {
        Some(grants) => grants.values().flatten().cloned().collect(),
        None => crate::access::ALL.iter().map(|p| p.to_string()).collect(),
    };
    let area = |wanted: &dyn Fn(&str) -> bool| -> Value {
        Value::Object(
            held.iter()
                .filter(|p| wanted(p))
                .map(|p| (p.clone(), json!(1)))
                .collect(),
        )
    };
    let modify = |p: &str| p == "Permissions.Modify";
    json!({
        "vms": area(&|p| p.starts_with("VM.") || modify(p)),
        "access": area(&|p| p.starts_with("User.") || p.starts_with("Group.") || modify(p)),
        "storage": area(&|p| p.starts_with("Datastore.") || modify(p)),
        "nodes": area(&|p| p.starts_with("Sys.") || modify(p)),
        "sdn": area(&|p| p.starts_with("SDN.") || modify(p)),
        "dc": area(&|p| p == "Sys.Audit" || p == "Sys.Modify" || p.starts_with("SDN.")),
        "mapping": area(&|p| p.starts_with("Mapping.") || modify(p)),
    })
}

fn ticket(c: &mut Call) -> Result<Value, ApiError> {
    let realm = c.param("realm").map(str::to_string);
    let mut username = c.param("username").unwrap_or("").to_string();
    if let Some(realm) = realm
        && !username.contains('@')
    {
        username = format!("{username}@{realm}");
    }
    let password = c.param("password").unwrap_or("").to_string();
    let now = c.state.clock.now();
    // Every failure is one answer, as Proxmox gives it (the reason goes to its syslog only).
    let refused = || ApiError::new(401, "authentication failure");
    let user = match c.param("tfa-challenge").map(str::to_string) {
        Some(challenge) => {
            let auth = &mut c.state.auth;
            let answered = c.params.iter().all(|(k, _)| k != "otp")
                && auth.check_partial(&challenge, &username, now)
                && auth
                    .tfa
                    .get_mut(&username)
                    .is_some_and(|t| t.answer(&password, now));
            if !answered {
                return Err(refused());
            }
            username
        }
        None => {
            let (user, renewed) = c
                .state
                .auth
                .login(&username, &password, now)
                .ok_or_else(refused)?;
            if !renewed && let Some(tfa) = c.state.auth.tfa.get(&user) {
                let partial = c.state.auth.partial_ticket(&user, &tfa.challenge(), now);
                let csrf = c.state.auth.csrf(&user, now);
                let mut out = json!({
                    "username": user, "ticket": partial, "CSRFPreventionToken": csrf,
                    "NeedTFA": 1,
                });
                if let Some(name) = &c.world().cluster_name {
                    out["clustername"] = json!(name);
                }
                return Ok(out);
            }
            user
        }
    };
    let ticket = c.state.auth.ticket(&user, now);
    let csrf = c.state.auth.csrf(&user, now);
    let mut out = json!({
        "username": user, "ticket": ticket, "CSRFPreventionToken": csrf,
        "cap": capabilities(c, &user),
    });
    if let Some(name) = &c.world().cluster_name {
        out["clustername"] = json!(name);
    }
    Ok(out)
}
