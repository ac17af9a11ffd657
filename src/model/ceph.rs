//! `ceph status` as Proxmox returns it (`GET /cluster/ceph/status`), read leniently across
//! releases: Jewel's `overall_status` and summary list, Luminous and Mimic's nested
//! `osdmap.osdmap`, and Nautilus onwards (flat `osdmap`, checks keyed by code, mutes). Pure.

use serde::Serialize;
use serde_json::Value;

use crate::model::text::clean;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub name: String,
    pub severity: String,
    pub summary: String,
    pub count: Option<u64>,
    pub detail: Vec<String>,
    pub muted: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Osds {
    pub total: u64,
    pub up: u64,
    pub r#in: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Io {
    pub read_bytes_sec: u64,
    pub write_bytes_sec: u64,
    pub read_ops_sec: u64,
    pub write_ops_sec: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Recovery {
    pub objects_per_sec: u64,
    pub bytes_per_sec: u64,
    pub degraded_objects: u64,
    pub degraded_total: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CephStatus {
    /// HEALTH_OK, HEALTH_WARN, HEALTH_ERR.
    pub health: String,
    pub checks: Vec<Check>,
    pub monitors: Vec<String>,
    pub monitors_in_quorum: Vec<String>,
    /// `monmap.num_mons`, where the status names no monitors (raw `ceph status` since
    /// Octopus; Proxmox puts the full `mon dump` there).
    pub monitors_counted: Option<u64>,
    pub osds: Osds,
    /// (state, count), e.g. ("active+clean", 128).
    pub pgs_by_state: Vec<(String, u64)>,
    pub pgs: u64,
    pub bytes_used: Option<u64>,
    pub bytes_total: Option<u64>,
    pub io: Io,
    pub recovery: Option<Recovery>,
}

impl CephStatus {
    /// How many monitors the cluster has: those named, else those counted, never fewer than
    /// those in quorum.
    pub fn monitors_total(&self) -> usize {
        let counted = self.monitors_counted.unwrap_or(0) as usize;
        self.monitors
            .len()
            .max(counted)
            .max(self.monitors_in_quorum.len())
    }
}

fn num(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(clean)
}

/// Read a status document; `Err` says what is missing when it is not one.
pub fn parse(doc: &Value) -> Result<CephStatus, String> {
    let health = &doc["health"];
    if !health.is_object() {
        return Err("no \"health\" in the Ceph status".into());
    }
    let status = text(&health["status"])
        .or_else(|| text(&health["overall_status"]))
        .ok_or("no health status in the Ceph status")?;
    let mut checks = Vec::new();
    match &health["checks"] {
        // Luminous and later: { CODE: { severity, summary: { message, count }, detail, muted } }
        Value::Object(map) => {
            for (name, c) in map {
                let summary = text(&c["summary"]["message"])
                    .or_else(|| text(&c["summary"]))
                    .unwrap_or_default();
                let detail = c["detail"]
                    .as_array()
                    .map(|d| {
                        d.iter()
                            .filter_map(|x| text(&x["message"]).or_else(|| text(x)))
                            .collect()
                    })
                    .unwrap_or_default();
                checks.push(Check {
                    name: clean(name),
                    severity: text(&c["severity"]).unwrap_or_default(),
                    summary,
                    count: num(&c["summary"]["count"]),
                    detail,
                    muted: c["muted"].as_bool().unwrap_or(false),
                });
            }
        }
        // Early Luminous sent a list of { severity, summary }.
        Value::Array(list) => {
            for c in list {
                checks.push(Check {
                    name: text(&c["type"]).unwrap_or_default(),
                    severity: text(&c["severity"]).unwrap_or_default(),
                    summary: text(&c["summary"]).unwrap_or_default(),
                    count: None,
                    detail: Vec::new(),
                    muted: false,
                });
            }
        }
        _ => {}
    }
    // Jewel: a summary list beside overall_status.
    if checks.is_empty()
        && let Some(list) = health["summary"].as_array()
    {
        for c in list {
            checks.push(Check {
                name: String::new(),
                severity: text(&c["severity"]).unwrap_or_default(),
                summary: text(&c["summary"]).unwrap_or_default(),
                count: None,
                detail: Vec::new(),
                muted: false,
            });
        }
    }
    // Mutes (Octopus+) may list checks as muted apart from the checks themselves.
    if let Some(mutes) = health["mutes"].as_array() {
        for m in mutes {
            if let Some(code) = m["code"].as_str()
                && let Some(c) = checks.iter_mut().find(|c| c.name == code)
            {
                c.muted = true;
            }
        }
    }
    checks.sort_by(|a, b| {
        severity_rank(&b.severity)
            .cmp(&severity_rank(&a.severity))
            .then(a.name.cmp(&b.name))
    });

    // Luminous and Mimic nest the OSD counts one level deeper.
    let osdmap = if doc["osdmap"]["osdmap"].is_object() {
        &doc["osdmap"]["osdmap"]
    } else {
        &doc["osdmap"]
    };
    let osds = Osds {
        total: num(&osdmap["num_osds"]).unwrap_or(0),
        up: num(&osdmap["num_up_osds"]).unwrap_or(0),
        r#in: num(&osdmap["num_in_osds"]).unwrap_or(0),
    };
    let monitors = doc["monmap"]["mons"]
        .as_array()
        .map(|m| m.iter().filter_map(|x| text(&x["name"])).collect())
        .unwrap_or_default();
    let monitors_counted = num(&doc["monmap"]["num_mons"]);
    let monitors_in_quorum = doc["quorum_names"]
        .as_array()
        .map(|q| q.iter().filter_map(text).collect())
        .unwrap_or_default();
    let pgmap = &doc["pgmap"];
    let pgs_by_state: Vec<(String, u64)> = pgmap["pgs_by_state"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|s| Some((text(&s["state_name"])?, num(&s["count"]).unwrap_or(0))))
                .collect()
        })
        .unwrap_or_default();
    let pgs = num(&pgmap["num_pgs"]).unwrap_or_else(|| pgs_by_state.iter().map(|(_, n)| n).sum());
    let io = Io {
        read_bytes_sec: num(&pgmap["read_bytes_sec"]).unwrap_or(0),
        write_bytes_sec: num(&pgmap["write_bytes_sec"]).unwrap_or(0),
        read_ops_sec: num(&pgmap["read_op_per_sec"]).unwrap_or(0),
        write_ops_sec: num(&pgmap["write_op_per_sec"]).unwrap_or(0),
    };
    let recovering = num(&pgmap["recovering_bytes_per_sec"]);
    let degraded = num(&pgmap["degraded_objects"]);
    let recovery = (recovering.is_some() || degraded.is_some()).then(|| Recovery {
        objects_per_sec: num(&pgmap["recovering_objects_per_sec"]).unwrap_or(0),
        bytes_per_sec: recovering.unwrap_or(0),
        degraded_objects: degraded.unwrap_or(0),
        degraded_total: num(&pgmap["degraded_total"]).unwrap_or(0),
    });
    Ok(CephStatus {
        health: status,
        checks,
        monitors,
        monitors_counted,
        monitors_in_quorum,
        osds,
        pgs_by_state,
        pgs,
        bytes_used: num(&pgmap["bytes_used"]),
        bytes_total: num(&pgmap["bytes_total"]),
        io,
        recovery,
    })
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "HEALTH_ERR" => 2,
        "HEALTH_WARN" => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Jewel (Ceph 10, PVE 4/5): overall_status and a summary list; flat osdmap fields nested.
    #[test]
    fn jewel() {
        let doc = json!({
            "health": {
                "overall_status": "HEALTH_WARN",
                "summary": [{ "severity": "HEALTH_WARN", "summary": "noout flag(s) set" }],
                "detail": []
            },
            "osdmap": { "osdmap": { "num_osds": 6, "num_up_osds": 6, "num_in_osds": 6 } },
            "monmap": { "mons": [{ "name": "a" }, { "name": "b" }, { "name": "c" }] },
            "quorum_names": ["a", "b", "c"],
            "pgmap": {
                "pgs_by_state": [{ "state_name": "active+clean", "count": 256 }],
                "num_pgs": 256, "bytes_used": 1000, "bytes_total": 10000,
                "read_bytes_sec": 2048, "write_op_per_sec": 3
            }
        });
        let s = parse(&doc).unwrap();
        assert_eq!(s.health, "HEALTH_WARN");
        assert_eq!(s.checks[0].summary, "noout flag(s) set");
        assert_eq!((s.osds.total, s.osds.up, s.osds.r#in), (6, 6, 6));
        assert_eq!(s.monitors_in_quorum.len(), 3);
        assert_eq!(s.pgs, 256);
        assert_eq!((s.io.read_bytes_sec, s.io.write_ops_sec), (2048, 3));
        assert_eq!(s.recovery, None);
    }

    /// Luminous/Mimic (12/13): checks keyed by code, osdmap still nested.
    #[test]
    fn luminous() {
        let doc = json!({
            "health": {
                "status": "HEALTH_WARN",
                "checks": {
                    "OSD_DOWN": { "severity": "HEALTH_WARN", "summary": { "message": "1 osds down" } },
                    "PG_DEGRADED": { "severity": "HEALTH_WARN",
                        "summary": { "message": "Degraded data redundancy: 120/3000 objects degraded (4.000%), 12 pgs degraded" } }
                }
            },
            "osdmap": { "osdmap": { "epoch": 90, "num_osds": 3, "num_up_osds": 2, "num_in_osds": 3, "full": false } },
            "pgmap": {
                "pgs_by_state": [
                    { "state_name": "active+clean", "count": 116 },
                    { "state_name": "active+undersized+degraded", "count": 12 }
                ],
                "num_pgs": 128, "degraded_objects": 120, "degraded_total": 3000
            }
        });
        let s = parse(&doc).unwrap();
        assert_eq!(s.checks.len(), 2);
        assert_eq!(s.checks[0].name, "OSD_DOWN");
        assert_eq!((s.osds.total, s.osds.up), (3, 2));
        let r = s.recovery.unwrap();
        assert_eq!((r.degraded_objects, r.degraded_total), (120, 3000));
    }

    /// Squid (19, PVE 9): flat osdmap, checks with counts and detail, mutes, recovery rates.
    #[test]
    fn squid() {
        let doc = json!({
            "fsid": "x",
            "health": {
                "status": "HEALTH_ERR",
                "checks": {
                    "OSDMAP_FLAGS": { "severity": "HEALTH_WARN", "muted": true,
                        "summary": { "message": "noout flag(s) set", "count": 1 } },
                    "PG_AVAILABILITY": { "severity": "HEALTH_ERR",
                        "summary": { "message": "Reduced data availability: 4 pgs inactive", "count": 4 },
                        "detail": [{ "message": "pg 2.1 is stuck inactive for 60s" }] }
                },
                "mutes": [{ "code": "OSDMAP_FLAGS", "sticky": false, "summary": "noout flag(s) set", "count": 1 }]
            },
            "quorum_names": ["pve1", "pve2"],
            "monmap": { "num_mons": 3 },
            "osdmap": { "epoch": 7, "num_osds": 9, "num_up_osds": 6, "num_in_osds": 9 },
            "pgmap": {
                "pgs_by_state": [{ "state_name": "active+recovering+degraded", "count": "40" }],
                "num_pgs": 40, "recovering_bytes_per_sec": 754974720, "recovering_objects_per_sec": 180,
                "read_op_per_sec": 12.0, "bytes_used": 5, "bytes_total": 50
            }
        });
        let s = parse(&doc).unwrap();
        assert_eq!(s.health, "HEALTH_ERR");
        assert_eq!(s.checks[0].name, "PG_AVAILABILITY", "errors first");
        assert_eq!(s.checks[0].detail, ["pg 2.1 is stuck inactive for 60s"]);
        assert_eq!(s.checks[0].count, Some(4));
        assert!(s.checks[1].muted);
        // Raw status counts its monitors only: one out of quorum is still one of three.
        assert_eq!((s.monitors_in_quorum.len(), s.monitors_total()), (2, 3));
        assert_eq!((s.osds.total, s.osds.up), (9, 6));
        assert_eq!(
            s.pgs_by_state,
            [("active+recovering+degraded".to_string(), 40)]
        );
        assert_eq!(s.recovery.unwrap().bytes_per_sec, 754974720);
        assert_eq!(s.io.read_ops_sec, 12);
    }

    #[test]
    fn not_a_status_says_so() {
        assert!(parse(&json!({ "fsid": "x" })).is_err());
        assert!(parse(&json!(null)).is_err());
    }
}
