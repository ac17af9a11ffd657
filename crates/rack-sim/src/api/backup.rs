//! Backup jobs and the guests no job covers.

use rack_pve::propstr::PropString;
use serde_json::{Value, json};

use super::Call;
use crate::http::ApiError;

pub fn route(c: &mut Call, method: &str, path: &str) -> Option<Result<Value, ApiError>> {
    Some(match (method, path) {
        ("GET", "/cluster/backup") => Ok(jobs(c)),
        ("GET", "/cluster/backup-info/not-backed-up") => Ok(not_backed_up(c)),
        _ => return None,
    })
}

fn jobs(c: &Call) -> Value {
    Value::Array(
        c.world()
            .backup_jobs
            .iter()
            .map(|j| {
                let d = &j.def;
                let mut item = json!({
                    "id": d.id, "type": "vzdump", "schedule": d.schedule, "storage": d.storage,
                    "enabled": u8::from(d.enabled), "mode": d.mode, "compress": d.compress,
                    "notes-template": "{{guestname}}",
                });
                if let Some(next) = j.next_run.filter(|_| d.enabled) {
                    item["next-run"] = json!(next as i64);
                }
                if d.all {
                    item["all"] = json!(1);
                }
                for (k, v) in [
                    ("vmid", &d.vmid),
                    ("exclude", &d.exclude),
                    ("pool", &d.pool),
                    ("comment", &d.comment),
                    ("node", &d.node),
                    ("mailto", &d.mailto),
                    ("mailnotification", &d.mailnotification),
                ] {
                    if let Some(v) = v {
                        item[k] = json!(v);
                    }
                }
                if let Some(prune) = &d.prune_backups {
                    // Parsed from jobs.cfg's property string: the values stay strings.
                    let rules: serde_json::Map<String, Value> = PropString::parse(prune, "")
                        .pairs
                        .into_iter()
                        .map(|(k, v)| (k, json!(v)))
                        .collect();
                    item["prune-backups"] = Value::Object(rules);
                }
                item
            })
            .collect(),
    )
}

fn not_backed_up(c: &Call) -> Value {
    let w = c.world();
    let covered: std::collections::BTreeSet<u32> = w
        .backup_jobs
        .iter()
        .filter(|j| j.def.enabled)
        .flat_map(|j| w.job_guests(&j.def))
        .collect();
    Value::Array(
        w.guests
            .values()
            .filter(|g| !g.template() && !covered.contains(&g.vmid))
            .map(|g| json!({ "vmid": g.vmid, "type": g.type_name(), "name": g.name() }))
            .collect(),
    )
}
