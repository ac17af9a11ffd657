//! Everything the Ceph pane shows of one cluster: the status document (model/ceph.rs) with the
//! OSD tree, pools, monitors, managers and flags Proxmox lists beside it, read leniently, and the
//! pane's rows built from them. Pure.

use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;

use super::ceph::{CephStatus, Check};
use crate::model::partial::{Partial, Previous};
use crate::model::text::clean;

/// One read of a cluster's Ceph. `status` is `None` when the cluster has no Ceph.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CephData {
    pub status: Option<CephStatus>,
    pub osds: Vec<Osd>,
    pub pools: Vec<Pool>,
    pub mons: Vec<Daemon>,
    pub mgrs: Vec<Daemon>,
    pub flags: Vec<Flag>,
    /// What keeps parts from being listed, in words (no node online to ask).
    pub problems: Vec<String>,
    /// Parts whose read failed: shown as last read, or unknown.
    pub partial: Partial,
}

impl CephData {
    pub fn configured(&self) -> bool {
        self.status.is_some()
    }

    /// Keep the previous read's OSDs, pools, daemons and flags where this read's failed.
    pub fn keep_last_good(&mut self, old: &CephData, old_at: SystemTime) {
        let (p, was) = (&mut self.partial, &old.partial);
        p.carry(
            "OSD tree",
            &mut self.osds,
            &Previous::of(&old.osds, was, old_at),
        );
        p.carry(
            "pools",
            &mut self.pools,
            &Previous::of(&old.pools, was, old_at),
        );
        p.carry(
            "monitors",
            &mut self.mons,
            &Previous::of(&old.mons, was, old_at),
        );
        p.carry(
            "managers",
            &mut self.mgrs,
            &Previous::of(&old.mgrs, was, old_at),
        );
        p.carry(
            "flags",
            &mut self.flags,
            &Previous::of(&old.flags, was, old_at),
        );
    }

    pub fn flags_set(&self) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|f| f.set)
            .map(|f| f.name.as_str())
            .collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Osd {
    pub id: i64,
    pub name: String,
    pub host: String,
    pub up: bool,
    pub r#in: bool,
    pub class: String,
    pub bytes_used: Option<u64>,
    pub total: Option<u64>,
    /// 0–100.
    pub percent_used: Option<f64>,
    pub crush_weight: Option<f64>,
    pub reweight: Option<f64>,
    pub pgs: Option<u64>,
    pub commit_latency_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Pool {
    pub name: String,
    pub size: Option<u64>,
    pub min_size: Option<u64>,
    pub pg_num: Option<u64>,
    /// The autoscaler's target, when it differs from `pg_num` it is still moving.
    pub pg_num_final: Option<u64>,
    pub autoscale: Option<String>,
    pub bytes_used: Option<u64>,
    /// 0.0–1.0.
    pub used: Option<f64>,
    pub application: Vec<String>,
    pub kind: String,
}

/// A monitor or manager: where it runs and how it stands ("in quorum", "active", "standby"…).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Daemon {
    pub name: String,
    pub host: String,
    pub state: String,
    /// In quorum (monitors) or active/standby (managers): working as it should.
    pub healthy: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    pub name: String,
    pub description: String,
    pub set: bool,
}

fn num(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn float(v: &Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn flag(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => matches!(s.as_str(), "1" | "true" | "yes" | "on"),
        _ => false,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => clean(s),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// The OSDs of `GET /nodes/{node}/ceph/osd`: a tree root → (datacenter/rack…) → host → osd.
/// Any depth is walked; an OSD's host is the nearest `host` above it.
pub fn parse_osd_tree(doc: &Value) -> Result<Vec<Osd>, String> {
    let root = doc.get("root").ok_or("no \"root\" in the OSD tree")?;
    let mut out = Vec::new();
    walk(root, "", &mut out);
    out.sort_by(|a, b| a.host.cmp(&b.host).then(a.id.cmp(&b.id)));
    Ok(out)
}

fn walk(node: &Value, host: &str, out: &mut Vec<Osd>) {
    let kind = node["type"].as_str().unwrap_or_default();
    let here = if kind == "host" {
        text(&node["name"])
    } else {
        host.to_string()
    };
    if kind == "osd" {
        // Proxmox sends ids as strings ("1"); older answers and other tools as numbers.
        let id = node["id"]
            .as_i64()
            .or_else(|| node["id"].as_str().and_then(|t| t.trim().parse().ok()))
            .unwrap_or(-1);
        let name = Some(text(&node["name"]))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("osd.{id}"));
        let host = Some(text(&node["host"]))
            .filter(|h| !h.is_empty())
            .unwrap_or(here);
        out.push(Osd {
            id,
            name,
            host,
            up: node["status"].as_str() == Some("up"),
            r#in: flag(&node["in"]),
            class: text(&node["device_class"]),
            bytes_used: num(&node["bytes_used"]),
            total: num(&node["total_space"]),
            percent_used: float(&node["percent_used"]),
            crush_weight: float(&node["crush_weight"]),
            reweight: float(&node["reweight"]),
            pgs: num(&node["pgs"]),
            commit_latency_ms: num(&node["commit_latency_ms"]),
        });
        return;
    }
    if let Some(children) = node["children"].as_array() {
        for c in children {
            walk(c, &here, out);
        }
    }
}

/// `GET /nodes/{node}/ceph/pool`. `percent_used` is a fraction (0.0–1.0) there, as Ceph's
/// `df` reports it.
pub fn parse_pools(doc: &Value) -> Result<Vec<Pool>, String> {
    let list = doc.as_array().ok_or("the pool list is not a list")?;
    let mut pools: Vec<Pool> = list
        .iter()
        .map(|p| Pool {
            name: text(&p["pool_name"]),
            size: num(&p["size"]),
            min_size: num(&p["min_size"]),
            pg_num: num(&p["pg_num"]),
            pg_num_final: num(&p["pg_num_final"]),
            autoscale: Some(text(&p["pg_autoscale_mode"])).filter(|s| !s.is_empty()),
            bytes_used: num(&p["bytes_used"]),
            used: float(&p["percent_used"]),
            application: p["application_metadata"]
                .as_object()
                .map(|m| m.keys().map(|k| clean(k)).collect())
                .unwrap_or_default(),
            kind: text(&p["type"]),
        })
        .collect();
    pools.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(pools)
}

/// `GET /nodes/{node}/ceph/mon`: in quorum when `quorum` is set.
pub fn parse_mons(doc: &Value) -> Result<Vec<Daemon>, String> {
    let list = doc.as_array().ok_or("the monitor list is not a list")?;
    Ok(list
        .iter()
        .map(|m| {
            let quorum = flag(&m["quorum"]);
            Daemon {
                name: text(&m["name"]),
                host: Some(text(&m["host"]))
                    .filter(|h| !h.is_empty() && h != "1")
                    .unwrap_or_else(|| text(&m["name"])),
                state: if quorum {
                    "in quorum".into()
                } else {
                    match m["state"].as_str() {
                        Some(s) if s != "running" => format!("out of quorum ({})", clean(s)),
                        _ => "out of quorum".into(),
                    }
                },
                healthy: quorum,
            }
        })
        .collect())
}

/// `GET /nodes/{node}/ceph/mgr`: `state` is active, standby, or what else Ceph says.
pub fn parse_mgrs(doc: &Value) -> Result<Vec<Daemon>, String> {
    let list = doc.as_array().ok_or("the manager list is not a list")?;
    Ok(list
        .iter()
        .map(|m| {
            let state = Some(text(&m["state"]))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "unknown".into());
            Daemon {
                name: text(&m["name"]),
                host: Some(text(&m["host"]))
                    .filter(|h| !h.is_empty())
                    .unwrap_or_else(|| text(&m["name"])),
                healthy: state == "active" || state == "standby",
                state,
            }
        })
        .collect())
}

/// `GET /cluster/ceph/flags`.
pub fn parse_flags(doc: &Value) -> Result<Vec<Flag>, String> {
    let list = doc.as_array().ok_or("the flag list is not a list")?;
    Ok(list
        .iter()
        .map(|f| Flag {
            name: text(&f["name"]),
            description: text(&f["description"]),
            set: flag(&f["value"]),
        })
        .filter(|f| !f.name.is_empty())
        .collect())
}

/// Client I/O and recovery at one read, for the pane's charts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CephSample {
    pub at: std::time::SystemTime,
    pub read_bytes_sec: f64,
    pub write_bytes_sec: f64,
    pub ops_sec: f64,
    pub recovery_bytes_sec: f64,
}

/// An hour of samples at most: the charts' span.
const HISTORY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Add the read fetched `at` to `history` once, dropping what is older than an hour.
pub fn record(history: &mut Vec<CephSample>, data: &CephData, at: std::time::SystemTime) {
    let Some(status) = &data.status else {
        return;
    };
    if history.last().is_some_and(|s| s.at >= at) {
        return;
    }
    history.push(CephSample {
        at,
        read_bytes_sec: status.io.read_bytes_sec as f64,
        write_bytes_sec: status.io.write_bytes_sec as f64,
        ops_sec: (status.io.read_ops_sec + status.io.write_ops_sec) as f64,
        recovery_bytes_sec: status
            .recovery
            .as_ref()
            .map_or(0.0, |r| r.bytes_per_sec as f64),
    });
    history.retain(|s| at.duration_since(s.at).unwrap_or_default() <= HISTORY);
}

/// What a row of the Ceph pane is.
#[derive(Debug, Clone, PartialEq)]
pub enum CephItem {
    Check(Check),
    Mon(Daemon),
    Mgr(Daemon),
    Osd(Osd),
    Pool(Pool),
    Flag(Flag),
}

/// One row of the Ceph pane: problems first, then daemons, OSDs by host, pools and flags.
#[derive(Debug, Clone, PartialEq)]
pub struct CephRow {
    pub item: CephItem,
}

/// How a row stands, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Good,
    Warn,
    Bad,
    Neutral,
}

impl CephRow {
    pub fn kind(&self) -> &'static str {
        match &self.item {
            CephItem::Check(_) => "check",
            CephItem::Mon(_) => "mon",
            CephItem::Mgr(_) => "mgr",
            CephItem::Osd(_) => "osd",
            CephItem::Pool(_) => "pool",
            CephItem::Flag(_) => "flag",
        }
    }

    pub fn name(&self) -> &str {
        match &self.item {
            CephItem::Check(c) => &c.name,
            CephItem::Mon(d) | CephItem::Mgr(d) => &d.name,
            CephItem::Osd(o) => &o.name,
            CephItem::Pool(p) => &p.name,
            CephItem::Flag(f) => &f.name,
        }
    }

    pub fn state(&self) -> String {
        match &self.item {
            CephItem::Check(c) => {
                let s = c.severity.trim_start_matches("HEALTH_").to_string();
                if c.muted { format!("{s} (muted)") } else { s }
            }
            CephItem::Mon(d) | CephItem::Mgr(d) => d.state.clone(),
            CephItem::Osd(o) => format!(
                "{}, {}",
                if o.up { "up" } else { "down" },
                if o.r#in { "in" } else { "out" }
            ),
            CephItem::Pool(p) => match (p.size, p.min_size) {
                (Some(s), Some(m)) => format!("size {s}/{m}"),
                _ => String::new(),
            },
            CephItem::Flag(f) => if f.set { "set" } else { "unset" }.into(),
        }
    }

    pub fn standing(&self) -> Standing {
        match &self.item {
            CephItem::Check(c) if c.muted => Standing::Neutral,
            CephItem::Check(c) if c.severity == "HEALTH_ERR" => Standing::Bad,
            CephItem::Check(_) => Standing::Warn,
            CephItem::Mon(d) | CephItem::Mgr(d) if d.healthy => Standing::Good,
            CephItem::Mon(_) | CephItem::Mgr(_) => Standing::Bad,
            CephItem::Osd(o) if !o.up => Standing::Bad,
            CephItem::Osd(o) if !o.r#in => Standing::Warn,
            CephItem::Osd(_) => Standing::Good,
            CephItem::Pool(p) if p.used.is_some_and(|u| u >= 0.85) => Standing::Bad,
            CephItem::Pool(p) if p.used.is_some_and(|u| u >= 0.75) => Standing::Warn,
            CephItem::Pool(_) => Standing::Good,
            CephItem::Flag(f) if f.set => Standing::Warn,
            CephItem::Flag(_) => Standing::Neutral,
        }
    }

    /// Where: the host of a daemon or OSD.
    pub fn host(&self) -> &str {
        match &self.item {
            CephItem::Mon(d) | CephItem::Mgr(d) => &d.host,
            CephItem::Osd(o) => &o.host,
            _ => "",
        }
    }

    /// Used share 0.0–1.0 of an OSD or pool.
    pub fn used(&self) -> Option<f64> {
        match &self.item {
            CephItem::Osd(o) => o
                .percent_used
                .map(|p| p / 100.0)
                .or_else(|| Some(o.bytes_used? as f64 / o.total.filter(|t| *t > 0)? as f64)),
            CephItem::Pool(p) => p.used,
            _ => None,
        }
    }

    /// The rest in one line.
    pub fn info(&self) -> String {
        match &self.item {
            CephItem::Check(c) => c.summary.clone(),
            CephItem::Mon(_) | CephItem::Mgr(_) => String::new(),
            CephItem::Osd(o) => {
                let mut parts = Vec::new();
                if !o.class.is_empty() {
                    parts.push(o.class.clone());
                }
                if let Some(t) = o.total {
                    parts.push(super::text::bytes(t));
                }
                if let Some(w) = o.crush_weight {
                    parts.push(format!("weight {w:.3}"));
                }
                if let Some(p) = o.pgs {
                    parts.push(format!("{p} PGs"));
                }
                parts.join(" · ")
            }
            CephItem::Pool(p) => {
                let mut parts = Vec::new();
                if let Some(n) = p.pg_num {
                    match p.pg_num_final.filter(|f| *f != n) {
                        Some(f) => parts.push(format!("{n} PGs (→ {f})")),
                        None => parts.push(format!("{n} PGs")),
                    }
                }
                if let Some(a) = &p.autoscale {
                    parts.push(format!("autoscale {a}"));
                }
                if !p.application.is_empty() {
                    parts.push(p.application.join(","));
                }
                parts.join(" · ")
            }
            // Ceph describes what a flag does when set; an unset flag says so.
            CephItem::Flag(f) if !f.set && !f.description.is_empty() => {
                format!("when set: {}", f.description)
            }
            CephItem::Flag(f) => f.description.clone(),
        }
    }

    /// All of the row's text, for the filter.
    pub fn text(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.kind(),
            self.name(),
            self.state(),
            self.host(),
            self.info()
        )
    }
}

/// The pane's rows. Flags that are not set come last; they are there to be set.
pub fn lines(data: &CephData) -> Vec<CephRow> {
    let checks = data
        .status
        .iter()
        .flat_map(|s| s.checks.iter().cloned().map(CephItem::Check));
    let (set, unset): (Vec<&Flag>, Vec<&Flag>) = data.flags.iter().partition(|f| f.set);
    checks
        .chain(set.into_iter().cloned().map(CephItem::Flag))
        .chain(data.mons.iter().cloned().map(CephItem::Mon))
        .chain(data.mgrs.iter().cloned().map(CephItem::Mgr))
        .chain(data.osds.iter().cloned().map(CephItem::Osd))
        .chain(data.pools.iter().cloned().map(CephItem::Pool))
        .chain(unset.into_iter().cloned().map(CephItem::Flag))
        .map(|item| CephRow { item })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn osd_tree_at_any_depth() {
        let doc = json!({ "root": { "type": "root", "name": "default", "children": [
            { "type": "datacenter", "name": "dc1", "children": [
                { "type": "host", "name": "pve2", "children": [
                    { "id": 3, "name": "osd.3", "type": "osd", "status": "down", "in": 0,
                      "device_class": "hdd", "percent_used": 41.5, "crush_weight": 3.638 }
                ]}
            ]},
            { "type": "host", "name": "pve1", "children": [
                { "id": 0, "type": "osd", "status": "up", "in": 1, "bytes_used": 50, "total_space": 200 }
            ]}
        ]}, "flags": "noout" });
        let osds = parse_osd_tree(&doc).unwrap();
        assert_eq!(osds.len(), 2);
        assert_eq!(
            (osds[0].host.as_str(), osds[0].name.as_str()),
            ("pve1", "osd.0")
        );
        assert!(osds[0].up && osds[0].r#in);
        let line = CephRow {
            item: CephItem::Osd(osds[0].clone()),
        };
        assert_eq!(line.used(), Some(0.25));
        let down = CephRow {
            item: CephItem::Osd(osds[1].clone()),
        };
        assert_eq!(down.state(), "down, out");
        assert_eq!(down.standing(), Standing::Bad);
        assert!(parse_osd_tree(&json!([])).is_err());
    }

    /// Proxmox VE 9 sends ids as strings, hosts with reweight -1 (as pve-manager builds it).
    #[test]
    fn osd_ids_as_strings() {
        let doc = json!({ "root": { "leaf": 0, "children": [
            { "id": "-1", "type": "root", "name": "default", "reweight": -1, "children": [
                { "id": "-3", "type": "host", "name": "pve1", "reweight": -1, "pgs": 0, "children": [
                    { "id": "12", "name": "osd.12", "type": "osd", "status": "up", "in": 1,
                      "reweight": 1, "pgs": 97, "dbdev": null, "waldev": null }
                ]}
            ]}
        ]}, "flags": "sortbitwise,noout" });
        let osds = parse_osd_tree(&doc).unwrap();
        assert_eq!((osds[0].id, osds[0].pgs), (12, Some(97)));
    }

    #[test]
    fn daemons_and_flags() {
        let mons = parse_mons(&json!([
            { "name": "pve1", "host": "pve1", "quorum": 1, "state": "running" },
            { "name": "pve2", "host": "pve2", "state": "stopped" }
        ]))
        .unwrap();
        assert_eq!(mons[0].state, "in quorum");
        assert_eq!(mons[1].state, "out of quorum (stopped)");
        let mgrs =
            parse_mgrs(&json!([{ "name": "pve1", "state": "active" }, { "name": "x" }])).unwrap();
        assert!(mgrs[0].healthy && !mgrs[1].healthy);
        let flags = parse_flags(&json!([
            { "name": "noout", "description": "d", "value": 1 },
            { "name": "noscrub", "value": "0" }
        ]))
        .unwrap();
        let data = CephData {
            status: Some(CephStatus::default()),
            flags,
            mons,
            ..CephData::default()
        };
        assert_eq!(data.flags_set(), ["noout"]);
        let kinds: Vec<&str> = lines(&data).iter().map(CephRow::kind).collect();
        assert_eq!(kinds, ["flag", "mon", "mon", "flag"], "set flags up top");
    }

    #[test]
    fn pools_with_autoscale_moving() {
        let pools = parse_pools(&json!([{ "pool_name": "rbd", "size": 3, "min_size": 2,
            "pg_num": 32, "pg_num_final": 128, "pg_autoscale_mode": "on", "percent_used": 0.8,
            "application_metadata": { "rbd": {} }, "type": "replicated" }]))
        .unwrap();
        let line = CephRow {
            item: CephItem::Pool(pools[0].clone()),
        };
        assert_eq!(line.state(), "size 3/2");
        assert_eq!(line.info(), "32 PGs (→ 128) · autoscale on · rbd");
        assert_eq!(line.standing(), Standing::Warn);
    }

    #[test]
    fn osds_and_pools_that_fail_to_read_keep_their_last_good_rows() {
        let t0 = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_773_136_800);
        let pools = parse_pools(&json!([{ "pool_name": "rbd", "size": 3 }])).unwrap();
        let good = CephData {
            status: Some(CephStatus::default()),
            pools,
            ..CephData::default()
        };
        let mut bad = CephData {
            status: Some(CephStatus::default()),
            ..CephData::default()
        };
        bad.partial.failed("pools", "HTTP 500");
        bad.keep_last_good(&good, t0);
        assert_eq!(bad.pools, good.pools, "the rows stay");
        let at = t0 + std::time::Duration::from_secs(35);
        assert_eq!(
            bad.partial.lines(at),
            ["pools: HTTP 500 (shown as read 35s ago)"]
        );
    }
}
