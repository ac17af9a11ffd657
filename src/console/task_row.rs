//! A row of the Tasks pane: one of rack's jobs, or a task of the cluster rack did not start.

use crate::action::SortKey;
use crate::actions::{Job, JobId};
use crate::model::progress::Progress;
use crate::model::table::columns::Column;
use crate::model::table::{Row, Value, has};
use crate::model::tasks::ClusterTaskRow;
use crate::model::text::duration;

/// A row of the tasks pane: one of rack's jobs, or a task of the cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    /// The cluster it ran on.
    pub cluster: String,
    pub job: Option<JobId>,
    pub upid: Option<String>,
    /// running, ok, failed, queued, sending, unknown
    pub state: String,
    /// "migrate VM 101 (web) to pve2" or the task type and id ("qmigrate 101").
    pub what: String,
    pub node: String,
    /// The guest it is about, when it is about one.
    pub vmid: Option<u32>,
    pub user: String,
    /// Unix seconds.
    pub start: f64,
    pub end: Option<f64>,
    pub progress: Option<Progress>,
    /// Seconds since it started, and how long it ran (so far), as of the model's clock.
    pub ago: Option<u64>,
    pub took: Option<u64>,
    /// Proxmox's error text, or the exit status when not OK.
    pub error: Option<String>,
    /// How a task of the cluster's ended, as Proxmox says it (`OK`, `WARNINGS: 2`, the error).
    pub exit: Option<String>,
    pub note: Option<String>,
}

impl TaskRow {
    pub fn of_job(job: &Job) -> Self {
        Self {
            cluster: job.cluster.clone(),
            job: Some(job.id),
            upid: job.upid.clone(),
            state: job.state.label().to_string(),
            what: job.request.describe(),
            node: job.request.node().to_string(),
            vmid: job.request.vmid(),
            user: "rack".into(),
            start: job.started.unwrap_or(job.submitted),
            end: job.ended,
            progress: job.progress.clone(),
            ago: None,
            took: None,
            error: job.error().map(str::to_string),
            exit: None,
            note: job.note.clone(),
        }
    }

    pub fn of_task(row: ClusterTaskRow) -> Self {
        let running = row.running();
        let ok = row.ok();
        Self {
            cluster: String::new(),
            job: None,
            state: if running {
                "running".into()
            } else if ok {
                "ok".into()
            } else {
                "failed".into()
            },
            what: if row.id.is_empty() {
                row.kind.clone()
            } else {
                format!("{} {}", row.kind, row.id)
            },
            node: row.node.clone(),
            vmid: row.id.parse().ok(),
            user: row.user.clone(),
            start: row.starttime.unwrap_or(0) as f64,
            end: row.endtime.map(|e| e as f64),
            progress: None,
            ago: None,
            took: None,
            error: (!running && !ok).then(|| row.status.clone()),
            exit: (!running).then(|| row.status.clone()),
            note: None,
            upid: Some(row.upid),
        }
    }

    /// What identifies the row across rebuilds: the job, else the cluster and the UPID.
    pub fn key(&self) -> String {
        match (self.job, &self.upid) {
            (Some(id), _) => format!("job:{id}"),
            (None, Some(u)) => format!("{}/{u}", self.cluster),
            (None, None) => String::new(),
        }
    }

    pub fn running(&self) -> bool {
        matches!(self.state.as_str(), "running" | "sending" | "queued")
    }

    /// Seconds since it started: as the model last counted, else as of `now` (Unix seconds).
    pub fn ago_at(&self, now: u64) -> Option<u64> {
        self.ago
            .or_else(|| (self.start > 0.0).then(|| now.saturating_sub(self.start as u64)))
    }

    /// How long it ran (so far): as the model last counted, else as of `now`.
    pub fn took_at(&self, now: u64) -> Option<u64> {
        self.took.or_else(|| {
            let end = self.end.map_or(now, |e| e as u64);
            (self.start > 0.0).then(|| end.saturating_sub(self.start as u64))
        })
    }

    pub fn text(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.state, self.what, self.node, self.user, self.cluster
        )
    }
}

impl Row for TaskRow {
    type Key = String;
    const FOLLOWS_NEWEST: bool = true;
    const FIELDS: &'static [&'static str] = &[
        "state", "status", "node", "vmid", "user", "action", "cluster",
    ];
    const COLUMNS: &'static [Column<Self>] = &[
        Column::new("STATE", SortKey::Status, |r, _| Some(r.state.clone())),
        Column::new("ACTION", SortKey::Name, |r, _| {
            Some(if r.job.is_some() {
                format!("rack {}", r.what)
            } else {
                r.what.clone()
            })
        }),
        Column::new("NODE", SortKey::Node, |r, _| Some(r.node.clone())),
        Column::new("USER", SortKey::User, |r, _| Some(r.user.clone())),
        Column::new("STARTED", SortKey::Uptime, |r, c| {
            r.ago_at(c.now).map(|a| format!("{} ago", duration(a)))
        }),
        Column::new("TOOK", SortKey::Took, |r, c| r.took_at(c.now).map(duration)),
        Column::new("PROGRESS", SortKey::Progress, |r, _| {
            r.progress
                .as_ref()
                .map(|p| format!("{:.0}% {}", p.fraction * 100.0, p.phase))
                .or_else(|| r.note.clone().filter(|_| r.running()))
        }),
        Column::printed("STATUS", |r, _| r.exit.clone().or_else(|| r.error.clone())),
        Column::printed("UPID", |r, _| r.upid.clone()),
    ];

    fn key(&self) -> String {
        TaskRow::key(self)
    }

    fn field_matches(&self, field: &str, want: &str) -> bool {
        match field {
            "state" | "status" => has(&self.state, want),
            "node" => has(&self.node, want),
            "vmid" => self.vmid.is_some_and(|v| v.to_string().starts_with(want)),
            "user" => has(&self.user, want),
            "action" => has(&self.what, want),
            "cluster" => has(&self.cluster, want),
            _ => false,
        }
    }

    fn text_matches(&self, word: &str) -> bool {
        has(&self.text(), word)
    }

    fn sort_value(&self, key: SortKey) -> Value<'_> {
        match key {
            SortKey::Status => Value::text(&self.state),
            SortKey::Name => Value::text(&self.what),
            SortKey::Node => Value::text(&self.node),
            SortKey::User => Value::text(&self.user),
            // The STARTED column shows how long ago it started: sorted as that age.
            SortKey::Uptime => Value::Number((self.start > 0.0).then_some(-self.start)),
            SortKey::Took => Value::Number(self.took.map(|t| t as f64)),
            SortKey::Progress => Value::Number(self.progress.as_ref().map(|p| p.fraction)),
            _ => Value::Text(None),
        }
    }
}
