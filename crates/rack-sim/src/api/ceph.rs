//! Ceph as Proxmox shows it: `ceph status` with health detail, flags, metadata, the OSD tree
//! and pools — degraded while hosts are down, recovering after they return.

use serde_json::{Map, Value, json};

use super::ceph_dumps::{daemon_ip, long_version, mgr_dump, mon_dump};
use super::ceph_metadata::metadata;
use super::{Call, b};
use crate::http::ApiError;
use crate::tasks::Work;
use crate::world::{Ceph, World};

const FLAGS: &[(&str, &str)] = &[
    ("nobackfill", "Backfilling of PGs is suspended."),
    ("nodeep-scrub", "Deep Scrubbing is disabled."),
    (
        "nodown",
        "OSD failure reports are being ignored, such that the monitors will not mark OSDs down.",
    ),
    (
        "noin",
        "OSDs that were previously marked out will not be marked back in when they start.",
    ),
    (
        "noout",
        "OSDs will not automatically be marked out after the configured interval.",
    ),
    ("norebalance", "Rebalancing of PGs is suspended."),
    ("norecover", "Recovery of PGs is suspended."),
    ("noscrub", "Scrubbing is disabled."),
    ("notieragent", "Cache tiering activity is suspended."),
    ("noup", "OSDs are not allowed to start."),
    ("pause", "Pauses read and writes."),
];

const MIB: f64 = (1u64 << 20) as f64;

pub fn route(c: &mut Call, method: &str, path: &str) -> Option<Result<Value, ApiError>> {
    Some(match (method, path) {
        ("GET", "/cluster/ceph/status") => ceph(c).and_then(|(w, ceph)| status(w, ceph)),
        ("GET", "/cluster/ceph/flags") => ceph(c).map(|(_, ceph)| {
            json!(FLAGS.iter().map(|(name, d)| json!({ "name": name, "description": d, "value": b(ceph.flags.contains(*name)) })).collect::<Vec<_>>())
        }),
        ("PUT", "/cluster/ceph/flags") => set_flags(c),
        ("GET", "/cluster/ceph/flags/{flag}") => ceph(c).map(|(_, ceph)| json!(b(ceph.flags.contains(c.var("flag"))))),
        ("PUT", "/cluster/ceph/flags/{flag}") => set_flag(c),
        ("GET", "/cluster/ceph/metadata") => ceph(c).map(|(w, ceph)| metadata(w, ceph)),
        ("GET", "/nodes/{node}/ceph/osd") => c.node().and_then(|_| ceph(c)).map(|(w, ceph)| osd_tree(w, ceph)),
        ("GET", "/nodes/{node}/ceph/pool") => c.node().and_then(|_| ceph(c)).map(|(w, ceph)| pools(w, ceph)),
        ("GET", "/nodes/{node}/ceph/mon") => c.node().and_then(|_| ceph(c)).map(|(w, ceph)| mons(w, ceph)),
        ("GET", "/nodes/{node}/ceph/mgr") => c.node().and_then(|_| ceph(c)).map(|(w, ceph)| mgrs(w, ceph)),
        _ => return None,
    })
}

fn ceph<'a>(c: &'a Call) -> Result<(&'a World, &'a Ceph), ApiError> {
    let w = c.world();
    w.ceph
        .as_ref()
        .map(|ceph| (w, ceph))
        .ok_or_else(|| ApiError::fail("binary not installed: /usr/bin/ceph-mon"))
}

fn set_flags(c: &mut Call) -> Result<Value, ApiError> {
    ceph(c)?;
    let flags: Vec<(String, bool)> = FLAGS
        .iter()
        .filter_map(|(f, _)| c.param(f).map(|_| (f.to_string(), c.flag(f))))
        .collect();
    let node = c
        .world()
        .local_node()
        .map(|n| n.name().to_string())
        .unwrap_or_default();
    let user = c.user();
    Ok(json!(c.world_mut().start_work(
        &node,
        &user,
        Work::CephFlags { flags }
    )))
}

fn set_flag(c: &mut Call) -> Result<Value, ApiError> {
    ceph(c)?;
    let flag = c.var("flag").to_string();
    let on = c.flag("value");
    if let Some(ceph) = c.world_mut().ceph.as_mut() {
        if on {
            ceph.flags.insert(flag);
        } else {
            ceph.flags.remove(&flag);
        }
    }
    Ok(Value::Null)
}

/// How the placement groups of one pool stand: (degraded PG count, inactive PG count,
/// degraded object copies, all object copies).
fn pool_damage(
    w: &World,
    ceph: &Ceph,
    pool: &crate::scenario::CephPoolDef,
) -> (u32, u32, u64, u64) {
    let hosts: Vec<&str> = {
        let mut h: Vec<&str> = ceph.osds.iter().map(|o| o.host.as_str()).collect();
        h.dedup();
        h
    };
    let down_hosts = hosts
        .iter()
        .filter(|h| {
            ceph.osds
                .iter()
                .filter(|o| o.host == **h)
                .all(|o| !w.osd_state(o).0)
        })
        .count() as u32;
    let total_hosts = hosts.len().max(1) as u32;
    let size = pool.size.min(total_hosts).max(1);
    let objects = (w.usage().pool_stored(&pool.name) as f64 / (4.0 * MIB)).max(1.0) as u64;
    let copies = objects * u64::from(pool.size);
    if down_hosts == 0 {
        return (0, 0, 0, copies);
    }
    // Each PG keeps one copy per host (failure domain host); a PG is hit if a copy was on a
    // down host.
    let share = (f64::from(size * down_hosts) / f64::from(total_hosts)).min(1.0);
    let degraded_pgs = (f64::from(pool.pg_num) * share).ceil() as u32;
    let up_copies = size.saturating_sub(down_hosts.min(size));
    let inactive = if up_copies < pool.min_size {
        degraded_pgs
    } else {
        0
    };
    let missing = (objects as f64 * share * f64::from(down_hosts.min(size))) as u64;
    (degraded_pgs, inactive, missing, copies)
}

fn status(w: &World, ceph: &Ceph) -> Result<Value, ApiError> {
    let mons_up: Vec<&String> = ceph
        .mons
        .iter()
        .filter(|m| w.node(m).is_some_and(|n| n.online()))
        .collect();
    if mons_up.len() * 2 <= ceph.mons.len() {
        // Without a monitor quorum `ceph status` hangs until its timeout.
        return Err(ApiError::fail("got timeout"));
    }
    let now = w.now;
    let osd_states: Vec<(bool, bool)> = ceph.osds.iter().map(|o| w.osd_state(o)).collect();
    let up = osd_states.iter().filter(|s| s.0).count();
    let inn = osd_states.iter().filter(|s| s.1).count();
    let mut checks = Map::new();
    let mut check =
        |name: &str, severity: &str, message: String, count: usize, detail: Vec<String>| {
            checks.insert(
            name.to_string(),
            json!({
                "severity": severity,
                "summary": { "message": message, "count": count },
                "detail": detail.into_iter().map(|m| json!({ "message": m })).collect::<Vec<_>>(),
                "muted": false,
            }),
        );
        };
    if !ceph.flags.is_empty() {
        let list: Vec<&str> = ceph.flags.iter().map(String::as_str).collect();
        check(
            "OSDMAP_FLAGS",
            "HEALTH_WARN",
            format!("{} flag(s) set", list.join(",")),
            list.len(),
            vec![],
        );
    }
    if mons_up.len() < ceph.mons.len() {
        let down: Vec<&String> = ceph.mons.iter().filter(|m| !mons_up.contains(m)).collect();
        let names: Vec<&str> = mons_up.iter().map(|s| s.as_str()).collect();
        check(
            "MON_DOWN",
            "HEALTH_WARN",
            format!("{}/{} mons down, quorum {}", down.len(), ceph.mons.len(), names.join(",")),
            down.len(),
            down.iter().map(|m| {
                let ip = daemon_ip(w, m);
                format!("mon.{m} (rank {}) addr [v2:{ip}:3300/0,v1:{ip}:6789/0] is down (out of quorum)", ceph.mons.iter().position(|x| x == *m).unwrap_or(0))
            }).collect(),
        );
    }
    let down_osds: Vec<String> = ceph
        .osds
        .iter()
        .zip(&osd_states)
        .filter(|(_, s)| !s.0)
        .map(|(o, _)| format!("osd.{} (root=default,host={}) is down", o.id, o.host))
        .collect();
    if !down_osds.is_empty() {
        check(
            "OSD_DOWN",
            "HEALTH_WARN",
            format!("{} osds down", down_osds.len()),
            down_osds.len(),
            down_osds.clone(),
        );
        let mut hosts: Vec<&str> = ceph
            .osds
            .iter()
            .zip(&osd_states)
            .filter(|(_, s)| !s.0)
            .map(|(o, _)| o.host.as_str())
            .collect();
        hosts.dedup();
        check(
            "OSD_HOST_DOWN",
            "HEALTH_WARN",
            format!("{} host ({} osds) down", hosts.len(), down_osds.len()),
            hosts.len(),
            hosts
                .iter()
                .map(|h| {
                    format!(
                        "host {h} (root=default) ({} osds) is down",
                        ceph.osds.iter().filter(|o| o.host == *h).count()
                    )
                })
                .collect(),
        );
    }
    let mut pgs_by_state: Vec<(String, u32)> = Vec::new();
    let mut degraded_objects = 0u64;
    let mut all_copies = 0u64;
    let mut degraded_pgs_total = 0;
    let mut inactive_total = 0;
    let total_pgs: u32 = ceph.pools.iter().map(|p| p.pg_num).sum();
    // After a host returns, the writes it missed are recovered for a while.
    let recovering = w
        .nodes
        .iter()
        .filter_map(|n| n.last_outage)
        .map(|(down, back)| (back, (back - down).min(3600.0) * 0.05))
        .find(|(back, span)| now < back + span);
    for p in &ceph.pools {
        let (deg, inactive, missing, copies) = pool_damage(w, ceph, p);
        degraded_pgs_total += deg;
        inactive_total += inactive;
        degraded_objects += missing;
        all_copies += copies;
    }
    if let Some((back, span)) = recovering {
        let left = 1.0 - (now - back) / span.max(1.0);
        let pgs = ((f64::from(total_pgs) * 0.3 * left).ceil() as u32).max(1);
        degraded_pgs_total = degraded_pgs_total.max(pgs);
        degraded_objects = degraded_objects.max((all_copies as f64 * 0.02 * left) as u64 + 1);
        pgs_by_state.push(("active+recovering+degraded".into(), pgs));
    } else if degraded_pgs_total > 0 {
        let active = degraded_pgs_total - inactive_total;
        if active > 0 {
            pgs_by_state.push(("active+undersized+degraded".into(), active));
        }
        if inactive_total > 0 {
            pgs_by_state.push(("undersized+degraded+peered".into(), inactive_total));
        }
    }
    let clean = total_pgs.saturating_sub(degraded_pgs_total);
    if clean > 0 {
        pgs_by_state.insert(0, ("active+clean".into(), clean));
    }
    if degraded_pgs_total > 0 {
        let pct = degraded_objects as f64 * 100.0 / all_copies.max(1) as f64;
        check(
            "PG_DEGRADED",
            "HEALTH_WARN",
            format!(
                "Degraded data redundancy: {degraded_objects}/{all_copies} objects degraded ({pct:.3}%), {degraded_pgs_total} pgs degraded{}",
                if recovering.is_none() {
                    format!(", {degraded_pgs_total} pgs undersized")
                } else {
                    String::new()
                }
            ),
            degraded_pgs_total as usize,
            vec![],
        );
    }
    if inactive_total > 0 {
        check(
            "PG_AVAILABILITY",
            "HEALTH_WARN",
            format!("Reduced data availability: {inactive_total} pgs inactive"),
            inactive_total as usize,
            vec![],
        );
    }
    let health = if checks.values().any(|c| c["severity"] == "HEALTH_ERR") {
        "HEALTH_ERR"
    } else if checks.is_empty() {
        "HEALTH_OK"
    } else {
        "HEALTH_WARN"
    };
    let (rd, wr) = client_io(w);
    let raw_total = w.ceph_raw_total();
    let usage = w.usage();
    let raw_used = usage.raw_used();
    let data: u64 = ceph.pools.iter().map(|p| usage.pool_stored(&p.name)).sum();
    let mut pgmap = json!({
        "pgs_by_state": pgs_by_state.iter().map(|(s, n)| json!({ "state_name": s, "count": n })).collect::<Vec<_>>(),
        "num_pgs": total_pgs, "num_pools": ceph.pools.len(),
        "num_objects": (data as f64 / (4.0 * MIB)) as u64,
        "data_bytes": data, "bytes_used": raw_used, "bytes_avail": raw_total.saturating_sub(raw_used), "bytes_total": raw_total,
        "read_bytes_sec": rd as u64, "write_bytes_sec": wr as u64,
        "read_op_per_sec": (rd / 16_384.0) as u64, "write_op_per_sec": (wr / 16_384.0) as u64,
    });
    if degraded_objects > 0 {
        pgmap["degraded_objects"] = json!(degraded_objects);
        pgmap["degraded_total"] = json!(all_copies);
        pgmap["degraded_ratio"] = json!(degraded_objects as f64 / all_copies.max(1) as f64);
    }
    if recovering.is_some() {
        pgmap["recovering_objects_per_sec"] = json!(180);
        pgmap["recovering_bytes_per_sec"] = json!((720.0 * MIB) as u64);
        pgmap["recovering_keys_per_sec"] = json!(0);
        pgmap["num_objects_recovered"] = json!(2400);
        pgmap["num_bytes_recovered"] = json!((9600.0 * MIB) as u64);
    }
    let mgr_active = ceph
        .mgrs
        .iter()
        .find(|m| w.node(m).is_some_and(|n| n.online()));
    Ok(json!({
        "fsid": ceph.fsid,
        "health": { "status": health, "checks": checks, "mutes": [] },
        "election_epoch": 48,
        "quorum": ceph.mons.iter().enumerate().filter(|(_, m)| mons_up.contains(m)).map(|(rank, _)| rank).collect::<Vec<_>>(),
        "quorum_names": mons_up,
        "quorum_age": 86_400,
        "monmap": mon_dump(w, ceph, &mons_up),
        "osdmap": {
            "epoch": 1_402, "num_osds": ceph.osds.len(), "num_up_osds": up, "osd_up_since": (now - 3600.0) as i64,
            "num_in_osds": inn, "osd_in_since": (now - 86_400.0) as i64, "num_remapped_pgs": 0,
        },
        "pgmap": pgmap,
        "fsmap": { "epoch": 1, "by_rank": [], "up:standby": 0 },
        "mgrmap": mgr_dump(w, ceph, mgr_active),
        "servicemap": { "epoch": 12, "modified": "2026-11-01T00:00:00.000000+0000", "services": {} },
        "progress_events": {},
    }))
}

/// Client I/O on Ceph: the disk traffic of running guests whose disks live on rbd storage.
fn client_io(w: &World) -> (f64, f64) {
    let now = w.now;
    w.guests
        .values()
        .filter(|g| {
            g.disks().iter().any(|d| {
                d.volid
                    .split_once(':')
                    .and_then(|(s, _)| w.storage(s))
                    .is_some_and(|s| s.kind == "rbd")
            })
        })
        .map(|g| w.guest_disk_io(g, now))
        .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// The OSD tree as pve-manager builds it from `osd df tree` and `osd metadata`: ids as strings
/// (Perl has used them as hash keys), hosts with their version, placement groups and reweight,
/// each OSD with its devices and Ceph version, and the OSD map's flags.
fn osd_tree(w: &World, ceph: &Ceph) -> Value {
    let mut hosts: Vec<&str> = ceph.osds.iter().map(|o| o.host.as_str()).collect();
    hosts.dedup();
    let total: u64 = ceph.osds.iter().map(|o| o.size.0).sum::<u64>().max(1);
    let used_share = w.usage().raw_used() as f64 / total as f64;
    let per_osd =
        ceph.pools.iter().map(|p| p.pg_num * p.size).sum::<u32>() / ceph.osds.len().max(1) as u32;
    let long_version = long_version(ceph);
    let children: Vec<Value> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let osds: Vec<Value> = ceph
                .osds
                .iter()
                .filter(|o| o.host == *h)
                .map(|o| {
                    let (up, inn) = w.osd_state(o);
                    let used = (o.size.0 as f64 * used_share) as u64;
                    json!({
                        "id": o.id.to_string(), "name": format!("osd.{}", o.id), "type": "osd",
                        "host": o.host, "leaf": 1,
                        "status": if up { "up" } else { "down" }, "in": b(inn),
                        "crush_weight": (o.size.0 as f64 / (1u64 << 40) as f64 * 1000.0).round() / 1000.0,
                        "reweight": if inn { 1 } else { 0 }, "device_class": o.class,
                        "pgs": if up { per_osd } else { 0 },
                        "osdtype": "bluestore", "blfsdev": format!("/dev/nvme{}n1", o.id % 2),
                        "dbdev": null, "waldev": null,
                        "total_space": o.size.0, "bytes_used": used, "percent_used": used_share * 100.0,
                        "commit_latency_ms": if up { 1 } else { 0 }, "apply_latency_ms": if up { 1 } else { 0 },
                        "ceph_version": long_version, "ceph_version_short": ceph.version,
                    })
                })
                .collect();
            json!({
                "id": (-(i as i64) - 2).to_string(), "name": h, "type": "host", "leaf": 0,
                "version": ceph.version, "pgs": 0, "reweight": -1, "children": osds,
            })
        })
        .collect();
    let mut flags: Vec<String> = [
        "sortbitwise",
        "recovery_deletes",
        "purged_snapdirs",
        "pglog_hardlimit",
    ]
    .iter()
    .map(|f| f.to_string())
    .collect();
    flags.extend(ceph.flags.iter().cloned());
    json!({
        "root": { "leaf": 0, "children": [ {
            "id": "-1", "name": "default", "type": "root", "leaf": 0, "pgs": 0, "reweight": -1,
            "children": children,
        } ] },
        "flags": flags.join(","),
    })
}

fn pools(w: &World, ceph: &Ceph) -> Value {
    let usage = w.usage();
    json!(
        ceph.pools
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let stored = usage.pool_stored(&p.name);
                let avail = usage.pool_max_avail(&p.name);
                let raw = stored * u64::from(p.size);
                let capacity = w.ceph_raw_total().max(1);
                let ratio = raw as f64 / capacity as f64;
                // `ceph osd pool autoscale-status`, as pve-manager puts it beside each pool.
                json!({
                    "pool": i + 1, "pool_name": p.name, "size": p.size, "min_size": p.min_size,
                    "pg_num": p.pg_num, "pg_num_final": p.pg_num, "pg_autoscale_mode": "on",
                    // Pool options not set: Proxmox says so with null.
                "target_size": null, "target_size_ratio": null, "pg_num_min": null,
                    "crush_rule": 0, "crush_rule_name": "replicated_rule", "type": "replicated",
                    "bytes_used": raw,
                    "percent_used": stored as f64 / (stored + avail).max(1) as f64,
                    "application_metadata": { p.application.clone(): {} },
                    "autoscale_status": {
                        "pool_id": i + 1, "pool_name": p.name, "crush_root_id": -1,
                        "pg_autoscale_mode": "on", "pg_num_target": p.pg_num,
                        "pg_num_ideal": p.pg_num, "pg_num_final": p.pg_num,
                        "logical_used": stored, "raw_used": raw, "actual_raw_used": raw,
                        "raw_used_rate": f64::from(p.size), "subtree_capacity": capacity,
                        "target_bytes": 0, "target_ratio": 0.0, "effective_target_ratio": 0.0,
                        "capacity_ratio": ratio, "actual_capacity_ratio": ratio,
                        "bias": 1.0, "would_adjust": false, "bulk": false,
                    },
                })
            })
            .collect::<Vec<_>>()
    )
}

/// The monitors as `pveceph` lists them: a monitor on a node that is down is out of quorum.
fn mons(w: &World, ceph: &Ceph) -> Value {
    let up = |m: &str| w.node(m).is_some_and(|n| n.online());
    let quorate = ceph.mons.iter().filter(|m| up(m)).count() * 2 > ceph.mons.len();
    json!(
        ceph.mons
            .iter()
            .enumerate()
            .map(|(rank, m)| {
                let ip = daemon_ip(w, m);
                let mut item = json!({
                    "name": m, "host": m, "addr": format!("{ip}:6789/0"), "rank": rank,
                    "service": 1, "direxists": 1,
                    "state": if up(m) { "running" } else { "stopped" },
                    "ceph_version": long_version(ceph), "ceph_version_short": ceph.version,
                });
                if quorate && up(m) {
                    item["quorum"] = json!(1);
                }
                item
            })
            .collect::<Vec<_>>()
    )
}

/// The managers: the first one up is active, the others up are standby.
fn mgrs(w: &World, ceph: &Ceph) -> Value {
    let mut active_taken = false;
    json!(
        ceph.mgrs
            .iter()
            .map(|m| {
                let up = w.node(m).is_some_and(|n| n.online());
                let state = match (up, active_taken) {
                    (false, _) => "stopped",
                    (true, false) => "active",
                    (true, true) => "standby",
                };
                active_taken |= up;
                let ip = daemon_ip(w, m);
                // Proxmox gives a manager's bare address (its metadata's `addr`).
                json!({
                    "name": m, "host": m, "addr": ip, "state": state, "service": 1,
                    "direxists": 1,
                    "ceph_version": long_version(ceph), "ceph_version_short": ceph.version,
                })
            })
            .collect::<Vec<_>>()
    )
}
