//! Migration: the precondition check (GET …/migrate) and the migration itself (POST).

use serde_json::{Map, Value, json};

use super::{Call, b};
use crate::http::ApiError;
use crate::scenario::GuestKind;
use crate::tasks::Work;
use crate::world::{Guest, World};

pub fn route(c: &mut Call, method: &str, path: &str) -> Option<Result<Value, ApiError>> {
    Some(match (method, path) {
        ("GET", "/nodes/{node}/qemu/{vmid}/migrate") => check(c, GuestKind::Qemu),
        ("GET", "/nodes/{node}/lxc/{vmid}/migrate") => check(c, GuestKind::Lxc),
        ("POST", "/nodes/{node}/qemu/{vmid}/migrate") => migrate(c, GuestKind::Qemu),
        ("POST", "/nodes/{node}/lxc/{vmid}/migrate") => migrate(c, GuestKind::Lxc),
        _ => return None,
    })
}

/// Why `target` cannot take the guest, by category, as the precondition check reports it.
#[derive(Default)]
struct Blockers {
    storages: Vec<String>,
    resources: Vec<String>,
}

fn blockers(w: &World, g: &Guest, target: &str, target_storage: Option<&str>) -> Blockers {
    let mut out = Blockers::default();
    for d in g.disks() {
        if d.cdrom && !d.volid.ends_with("cloudinit") {
            continue;
        }
        let Some((storage, _)) = d.volid.split_once(':') else {
            continue;
        };
        let wanted = match target_storage {
            Some(ts) if w.storage(storage).is_some_and(|s| !s.shared) => {
                ts.rsplit(':').next().unwrap_or(ts)
            }
            _ => storage,
        };
        if w.storage_on(wanted, target).is_none() && !out.storages.iter().any(|s| s == wanted) {
            out.storages.push(wanted.to_string());
        }
    }
    for claim in w.device_claims(g, target) {
        if claim.mapping.is_some() && claim.device.is_none() {
            out.resources.push(claim.key);
        }
    }
    out
}

fn local_disks(w: &World, g: &Guest) -> Vec<Value> {
    g.disks()
        .into_iter()
        .filter(|d| {
            d.volid
                .split_once(':')
                .and_then(|(s, _)| w.storage(s))
                .is_some_and(|s| !s.shared)
        })
        .map(|d| {
            // qemu-server's foreach_volid flags, each 0 or 1.
            let unused = d.key.starts_with("unused");
            json!({
                "volid": d.volid, "size": d.size, "drivename": d.key,
                "cdrom": b(d.cdrom), "is_unused": b(unused), "is_attached": b(!unused),
                "is_cloudinit": b(d.volid.contains("cloudinit")), "replicate": 1, "shared": 0,
                "is_vmstate": 0, "is_tpmstate": b(d.key == "tpmstate0"),
            })
        })
        .collect()
}

fn check(c: &Call, kind: GuestKind) -> Result<Value, ApiError> {
    let g = c.guest(kind)?;
    let w = c.world();
    let mut allowed = Vec::new();
    let mut not_allowed = Map::new();
    // As qemu-server and pve-container: only for an HA-managed guest, the services that move
    // along (positive affinity) and, per node, those that block it (negative affinity).
    let (dependent, blocking) = w.ha_motion(&g.sid());
    // Every other node of the cluster, online or not, whatever `target` says: both check
    // the whole node list. Only qemu-server looks at storages and mapped devices.
    for n in w.nodes.iter().filter(|n| n.name() != g.node) {
        let mut why = Map::new();
        if kind == GuestKind::Qemu {
            let bl = blockers(w, g, n.name(), None);
            if !bl.storages.is_empty() {
                why.insert("unavailable_storages".into(), json!(bl.storages));
            }
            if !bl.resources.is_empty() {
                why.insert("unavailable-resources".into(), json!(bl.resources));
            }
        }
        if let Some(list) = blocking.get(n.name()) {
            let list: Vec<Value> = list
                .iter()
                .map(|sid| json!({ "sid": sid, "cause": "resource-affinity" }))
                .collect();
            why.insert("blocking-ha-resources".into(), Value::Array(list));
        }
        if why.is_empty() {
            allowed.push(n.name().to_string());
        } else {
            not_allowed.insert(n.name().to_string(), Value::Object(why));
        }
    }
    let mut ha = Map::new();
    if w.is_ha(g) {
        ha.insert("dependent-ha-resources".into(), json!(dependent));
    }
    if kind == GuestKind::Lxc {
        let mut out = Map::new();
        out.insert("running".into(), json!(b(g.running())));
        out.insert("allowed-nodes".into(), json!(allowed));
        out.insert("not-allowed-nodes".into(), Value::Object(not_allowed));
        out.extend(ha);
        return Ok(Value::Object(out));
    }
    // qemu-server starts from every node's storage check, an empty object where nothing is
    // missing, so an allowed node is listed here too.
    for node in &allowed {
        not_allowed.entry(node.clone()).or_insert_with(|| json!({}));
    }
    let claims = w.device_claims(g, &g.node);
    let local_resources: Vec<String> = claims
        .iter()
        .filter(|c| c.mapping.is_none())
        .map(|c| c.key.clone())
        .collect();
    let mapped: Vec<String> = claims
        .iter()
        .filter(|c| c.mapping.is_some())
        .map(|c| c.key.clone())
        .collect();
    let mut info = Map::new();
    for claim in claims.iter().filter(|c| c.mapping.is_some()) {
        let pool = claim.mapping.clone().unwrap_or_default();
        let live = w
            .mappings
            .pci
            .iter()
            .chain(&w.mappings.usb)
            .any(|m| m.id == pool && m.live_migration_capable);
        info.insert(
            claim.key.clone(),
            json!({ "name": pool, "live-migration": b(live) }),
        );
    }
    let mut out = json!({
        "running": b(g.running()),
        "allowed_nodes": allowed,
        "not_allowed_nodes": not_allowed,
        "local_disks": local_disks(w, g),
        "local_resources": local_resources,
        "mapped-resources": mapped,
        "mapped-resource-info": info,
        "has-dbus-vmstate": 1,
    });
    if let Value::Object(map) = &mut out {
        map.extend(ha);
    }
    Ok(out)
}

fn migrate(c: &mut Call, kind: GuestKind) -> Result<Value, ApiError> {
    let g = c.guest(kind)?.clone();
    let w = c.world();
    let target = c.param("target").unwrap_or("").to_string();
    let label = kind.label();
    if target == g.node {
        return Err(ApiError::param("target", "target is local node."));
    }
    let Some(t) = w.node(&target) else {
        return Err(ApiError::param(
            "target",
            format!("no such cluster node '{target}'"),
        ));
    };
    if !t.online() {
        return Err(ApiError::fail(format!(
            "target node '{target}' is not online"
        )));
    }
    if let Some(lock) = g.lock() {
        return Err(ApiError::fail(format!(
            "{label} {} is locked ({lock})",
            g.vmid
        )));
    }
    let user = c.user();
    if w.is_ha(&g) {
        let work = Work::HaMigrate {
            sid: g.sid(),
            target,
            relocate: kind == GuestKind::Lxc,
        };
        let node = g.node.clone();
        return Ok(json!(c.world_mut().start_work(&node, &user, work)));
    }
    let (online, storage_param) = match kind {
        GuestKind::Qemu => (c.flag("online"), c.param("targetstorage")),
        GuestKind::Lxc => (false, c.param("target-storage")),
    };
    if g.running() {
        match kind {
            GuestKind::Qemu if !online => {
                return Err(ApiError::fail("can't migrate running VM without --online"));
            }
            GuestKind::Lxc if !c.flag("restart") => {
                return Err(ApiError::fail(format!(
                    "CT {} is running - use restart mode or stop it first",
                    g.vmid
                )));
            }
            _ => {}
        }
    }
    let claims = w.device_claims(&g, &g.node);
    let raw: Vec<&str> = claims
        .iter()
        .filter(|c| c.mapping.is_none())
        .map(|c| c.key.as_str())
        .collect();
    if !raw.is_empty() && !c.flag("force") {
        return Err(ApiError::fail(format!(
            "can't migrate VM which uses local devices: {}",
            raw.join(", ")
        )));
    }
    let bl = blockers(w, &g, &target, storage_param);
    if let Some(s) = bl.storages.first() {
        return Err(ApiError::fail(format!(
            "storage '{s}' is not available on node '{target}'"
        )));
    }
    if let Some(r) = bl.resources.first() {
        return Err(ApiError::fail(format!(
            "can't migrate VM: mapped resource '{r}' is not available on node '{target}'"
        )));
    }
    let has_local = !local_disks(w, &g).is_empty();
    if kind == GuestKind::Qemu && g.running() && has_local && !c.flag("with-local-disks") {
        return Err(ApiError::fail(
            "can't live migrate attached local disks without with-local-disks option",
        ));
    }
    let work = Work::Migrate {
        vmid: g.vmid,
        target,
        online: online && g.running(),
        target_storage: storage_param.map(str::to_string),
    };
    let node = g.node.clone();
    Ok(json!(c.world_mut().start_work(&node, &user, work)))
}
