//! The cluster's backup jobs (`/cluster/backup`): which guests each selects, its schedule,
//! storage and mode, read as any Proxmox VE version sends them.

use serde::Serialize;
use serde_json::Value;

use crate::model::InstanceRow;
use crate::model::calendar::Schedule;
use crate::model::text::clean;
use crate::pve::de;

/// Which guests a job selects.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Selection {
    All { exclude: Vec<u32> },
    Vmids { vmids: Vec<u32> },
    Pool { pool: String },
}

impl std::fmt::Display for Selection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |ids: &[u32]| ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        match self {
            Selection::All { exclude } if exclude.is_empty() => f.write_str("all"),
            Selection::All { exclude } => write!(f, "all but {}", list(exclude)),
            Selection::Vmids { vmids } => f.write_str(&list(vmids)),
            Selection::Pool { pool } => write!(f, "pool {pool}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupJob {
    pub id: String,
    pub schedule: String,
    /// Unix time of the next run, as Proxmox computes it.
    pub next_run: Option<u64>,
    pub storage: String,
    pub selection: Selection,
    /// Only guests on this node, when set.
    pub node: Option<String>,
    pub mode: String,
    pub compress: Option<String>,
    /// `keep-daily=7, keep-weekly=4`.
    pub retention: String,
    pub enabled: bool,
    pub comment: String,
}

fn ids(v: &Value) -> Vec<u32> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Vec::new(),
    };
    text.split([',', ' ', ';'])
        .filter_map(|x| x.trim().parse().ok())
        .collect()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => clean(s),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// `GET /cluster/backup`, leniently: a job without an id is left out.
pub fn parse_jobs(doc: &Value) -> Result<Vec<BackupJob>, String> {
    let list = doc.as_array().ok_or("the backup job list is not a list")?;
    let mut jobs: Vec<BackupJob> = list
        .iter()
        .filter_map(|j| {
            let id = text(&j["id"]);
            if id.is_empty() {
                return None;
            }
            let truthy = |v: &Value| de::bool_of(v).unwrap_or(false);
            let selection = if truthy(&j["all"]) || !j["exclude"].is_null() {
                Selection::All {
                    exclude: ids(&j["exclude"]),
                }
            } else if let Some(pool) = j["pool"].as_str() {
                Selection::Pool { pool: clean(pool) }
            } else {
                Selection::Vmids {
                    vmids: ids(&j["vmid"]),
                }
            };
            let retention = match &j["prune-backups"] {
                Value::Object(m) => m
                    .iter()
                    .map(|(k, v)| format!("{}={}", clean(k), text(v)))
                    .collect::<Vec<_>>()
                    .join(", "),
                Value::String(s) => clean(s),
                _ => String::new(),
            };
            Some(BackupJob {
                id,
                schedule: text(&j["schedule"]),
                next_run: de::number_of(&j["next-run"]).map(|n| n.max(0.0) as u64),
                storage: text(&j["storage"]),
                selection,
                node: Some(text(&j["node"])).filter(|n| !n.is_empty()),
                mode: Some(text(&j["mode"]))
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "snapshot".into()),
                compress: Some(text(&j["compress"])).filter(|c| !c.is_empty()),
                retention,
                enabled: j.get("enabled").and_then(de::bool_of).unwrap_or(true),
                comment: text(&j["comment"]),
            })
        })
        .collect();
    jobs.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(jobs)
}

impl BackupJob {
    pub fn covers(&self, guest: &InstanceRow) -> bool {
        if !self.enabled || guest.template {
            return false;
        }
        if self.node.as_ref().is_some_and(|n| *n != guest.node) {
            return false;
        }
        match &self.selection {
            Selection::All { exclude } => !exclude.contains(&guest.vmid),
            Selection::Vmids { vmids } => vmids.contains(&guest.vmid),
            Selection::Pool { pool } => guest.pool.as_deref() == Some(pool.as_str()),
        }
    }

    /// Seconds between two runs around `now`; None when the schedule is not understood.
    pub fn period(&self, now: u64) -> Option<u64> {
        let s = Schedule::parse(&self.schedule)?;
        let first = s.next_after(now as f64);
        let second = s.next_after(first);
        (second > first).then_some((second - first) as u64)
    }
}
