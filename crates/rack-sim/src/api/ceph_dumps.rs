//! The maps Proxmox puts in place of `ceph status`' short ones: `ceph mon dump` and `ceph mgr
//! dump`, and the address each daemon listens on.

use serde_json::{Value, json};

use crate::world::{Ceph, World};

/// The build of Ceph the simulated cluster runs (squid 19.2.3's commit).
pub(super) const BUILD: &str = "2f03f1cd83e5d40cdf1393cb64a662a8e8bb07c6";
pub(super) const RELEASE: &str = "squid";

/// A daemon's Ceph version as its metadata says it.
pub(super) fn long_version(ceph: &Ceph) -> String {
    format!("ceph version {} ({BUILD}) {RELEASE} (stable)", ceph.version)
}

/// A Ceph daemon's address: its node's.
pub(super) fn daemon_ip(w: &World, name: &str) -> String {
    w.node(name)
        .map_or_else(|| "0.0.0.0".to_string(), |n| n.def.ip.clone())
}

/// `ceph mon dump`, which Proxmox puts in place of the status' short `monmap` (Octopus and
/// later keep only counts there): every monitor with its rank and addresses, and the quorum.
pub(super) fn mon_dump(w: &World, ceph: &Ceph, up: &[&String]) -> Value {
    let mons: Vec<Value> = ceph
        .mons
        .iter()
        .enumerate()
        .map(|(rank, name)| {
            let ip = daemon_ip(w, name);
            json!({
                "rank": rank, "name": name,
                "public_addrs": { "addrvec": [
                    { "type": "v2", "addr": format!("{ip}:3300"), "nonce": 0 },
                    { "type": "v1", "addr": format!("{ip}:6789"), "nonce": 0 },
                ] },
                "addr": format!("{ip}:6789/0"), "public_addr": format!("{ip}:6789/0"),
                "priority": 0, "weight": 0, "crush_location": "{}",
            })
        })
        .collect();
    let quorum: Vec<usize> = ceph
        .mons
        .iter()
        .enumerate()
        .filter(|(_, m)| up.contains(m))
        .map(|(rank, _)| rank)
        .collect();
    json!({
        "epoch": 3, "fsid": ceph.fsid,
        "modified": "2026-01-12T09:14:03.118822Z", "created": "2025-06-02T17:40:51.302217Z",
        "min_mon_release": 19, "min_mon_release_name": "squid",
        // Ceph's MonMap::dump names these two with a colon and a space in the key.
        "election_strategy": 1, "disallowed_leaders: ": "", "stretch_mode": false,
        "tiebreaker_mon": "", "removed_ranks: ": "",
        "features": {
            "persistent": ["kraken", "luminous", "mimic", "osdmap-prune", "nautilus", "octopus",
                "pacific", "elector-pinging", "quincy", "reef", "squid"],
            "optional": [],
        },
        "mons": mons,
        "quorum": quorum,
    })
}

/// `ceph mgr dump`, which Proxmox puts in place of the status' short `mgrmap`: the active
/// manager with its addresses, the standbys, the modules.
pub(super) fn mgr_dump(w: &World, ceph: &Ceph, active: Option<&String>) -> Value {
    let modules = ["iostat", "nfs", "restful"];
    let available: Vec<Value> = [
        "balancer",
        "crash",
        "dashboard",
        "devicehealth",
        "iostat",
        "nfs",
        "pg_autoscaler",
        "progress",
        "prometheus",
        "restful",
        "status",
        "telemetry",
    ]
    .iter()
    .map(|m| {
        // Every module has options; `log_level` is the one they all share.
        json!({ "name": m, "can_run": true, "error_string": "", "module_options": {
            "log_level": {
                "name": "log_level", "type": "str", "level": "advanced", "flags": 1,
                "default_value": "", "min": "", "max": "",
                "enum_allowed": ["", "critical", "debug", "error", "info", "warning"],
                "desc": "", "long_desc": "", "tags": [], "see_also": [],
            },
        } })
    })
    .collect();
    let gid = |name: &str| 14_000 + ceph.mgrs.iter().position(|m| m == name).unwrap_or(0) * 11;
    let standbys: Vec<Value> = ceph
        .mgrs
        .iter()
        .filter(|m| Some(*m) != active && w.node(m).is_some_and(|n| n.online()))
        .map(|m| {
            json!({
                "gid": gid(m), "name": m, "mgr_features": 4_540_701_547_738_038_271u64,
                "available_modules": available,
            })
        })
        .collect();
    let mut dump = json!({
        "epoch": 41,
        "active_gid": 0, "active_name": "", "active_addrs": { "addrvec": [] }, "active_addr": "",
        "active_change": "2026-01-12T09:15:44.501972+0000",
        "active_mgr_features": 4_540_701_547_738_038_271u64,
        "available": active.is_some(),
        "standbys": standbys,
        "modules": modules,
        "available_modules": available,
        "services": {},
        "always_on_modules": { "squid": ["balancer", "crash", "devicehealth", "orchestrator",
            "pg_autoscaler", "progress", "rbd_support", "status", "telemetry", "volumes"] },
        "last_failure_osd_epoch": 0,
        "active_clients": [],
    });
    if let Some(name) = active {
        let ip = daemon_ip(w, name);
        let nonce = 2_171 + gid(name);
        dump["active_gid"] = json!(gid(name));
        dump["active_name"] = json!(name);
        dump["active_addrs"] = json!({ "addrvec": [
            { "type": "v2", "addr": format!("{ip}:6800"), "nonce": nonce },
            { "type": "v1", "addr": format!("{ip}:6801"), "nonce": nonce },
        ] });
        dump["active_addr"] = json!(format!("{ip}:6801/{nonce}"));
        // The RADOS clients the active manager's modules hold open.
        let clients: Vec<Value> = ["devicehealth", "libcephsqlite", "rbd_support", "volumes"]
            .iter()
            .enumerate()
            .map(|(i, m)| {
                json!({ "name": m, "addrvec": [
                    { "type": "v2", "addr": format!("{ip}:0"), "nonce": 1_649_438_157 + i * 7_919 },
                ] })
            })
            .collect();
        dump["active_clients"] = json!(clients);
    }
    dump
}
