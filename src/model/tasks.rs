//! Rows of the tasks pane and `rack get tasks`: the cluster's recent tasks (/cluster/tasks) and
//! rack's own jobs, one list. Pure.

use serde::Serialize;

use super::snapshot::ClusterSnapshot;
use super::text::clean;
use crate::pve::types;

/// One Proxmox task as the cluster lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterTaskRow {
    pub cluster: String,
    pub upid: String,
    pub node: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// What it is about: usually a VMID, sometimes a storage or nothing.
    pub id: String,
    pub user: String,
    pub starttime: Option<u64>,
    pub endtime: Option<u64>,
    /// `running`, or the exit status (`OK`, `WARNINGS: n`, the error).
    pub status: String,
}

impl ClusterTaskRow {
    pub fn running(&self) -> bool {
        self.endtime.is_none() && self.status == "running"
    }

    pub fn ok(&self) -> bool {
        types::exit_ok(&self.status)
    }

    /// Seconds it ran (until `now` while running).
    pub fn duration(&self, now: u64) -> Option<u64> {
        let start = self.starttime?;
        Some(self.endtime.unwrap_or(now).saturating_sub(start))
    }
}

/// The cluster's recent tasks, newest first.
pub fn task_rows(snap: &ClusterSnapshot) -> Vec<ClusterTaskRow> {
    let Some(tasks) = snap.tasks.get() else {
        return Vec::new();
    };
    let mut rows: Vec<ClusterTaskRow> = tasks
        .iter()
        .map(|t| {
            let running = t.endtime.is_none() && t.status.is_none();
            ClusterTaskRow {
                cluster: snap.cluster.clone(),
                upid: clean(&t.upid),
                node: clean(t.node.as_deref().unwrap_or_default()),
                kind: clean(t.kind.as_deref().unwrap_or_default()),
                id: clean(t.id.as_deref().unwrap_or_default()),
                user: clean(t.user.as_deref().unwrap_or_default()),
                starttime: t.starttime,
                endtime: t.endtime,
                status: if running {
                    "running".into()
                } else {
                    clean(t.status.as_deref().unwrap_or("unknown"))
                },
            }
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.starttime));
    rows
}
