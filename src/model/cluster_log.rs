//! The cluster log's rows: what pmxcfs keeps of the cluster's events (tasks started and ended,
//! logins, HA), newest first, cleaned of control characters.

use super::table::columns::Column;
use super::table::{Row, Value, has};
use super::text::{clean, duration};
use crate::action::SortKey;
use crate::pve::types::ClusterLogEntry;

#[derive(Debug, Clone, PartialEq)]
pub struct LogRow {
    /// `uid:node`, or the time and message when Proxmox gave none.
    pub id: String,
    /// Unix seconds.
    pub time: u64,
    /// Seconds before the last read.
    pub ago: Option<u64>,
    /// `error`, `warning`, `notice`, `info`, `debug` (from syslog's priority).
    pub level: &'static str,
    pub node: String,
    pub user: String,
    pub tag: String,
    pub msg: String,
}

/// syslog's name for a priority.
fn level(pri: Option<u64>) -> &'static str {
    match pri {
        Some(0..=3) => "error",
        Some(4) => "warning",
        Some(5) => "notice",
        Some(7) => "debug",
        _ => "info",
    }
}

/// The rows of the log as read (newest first, as Proxmox gives them), ages against `now`.
pub fn log_rows(entries: &[ClusterLogEntry], now: u64) -> Vec<LogRow> {
    entries
        .iter()
        .map(|e| {
            let time = e.time.unwrap_or(0);
            let msg = clean(e.msg.as_deref().unwrap_or_default());
            LogRow {
                id: e
                    .id
                    .as_deref()
                    .map(clean)
                    .unwrap_or_else(|| format!("{time}:{msg}")),
                time,
                ago: (time > 0).then(|| now.saturating_sub(time)),
                level: level(e.pri),
                node: clean(e.node.as_deref().unwrap_or_default()),
                user: clean(e.user.as_deref().unwrap_or_default()),
                tag: clean(e.tag.as_deref().unwrap_or_default()),
                msg,
            }
        })
        .collect()
}

impl Row for LogRow {
    type Key = String;
    const FOLLOWS_NEWEST: bool = true;
    const FIELDS: &'static [&'static str] = &["node", "user", "tag", "level", "msg"];
    const COLUMNS: &'static [Column<Self>] = &[
        Column::new("WHEN", SortKey::Uptime, |r, _| {
            r.ago.map(|a| format!("{} ago", duration(a)))
        }),
        Column::new("NODE", SortKey::Node, |r, _| Some(r.node.clone())),
        Column::new("LEVEL", SortKey::Status, |r, _| Some(r.level.to_string())),
        Column::new("USER", SortKey::User, |r, _| Some(r.user.clone())),
        Column::new("MESSAGE", SortKey::Info, |r, _| Some(r.msg.clone())),
    ];

    fn key(&self) -> String {
        self.id.clone()
    }

    fn field_matches(&self, field: &str, want: &str) -> bool {
        match field {
            "node" => has(&self.node, want),
            "user" => has(&self.user, want),
            "tag" => has(&self.tag, want),
            "level" => has(self.level, want),
            "msg" => has(&self.msg, want),
            _ => false,
        }
    }

    fn text_matches(&self, word: &str) -> bool {
        has(&self.msg, word) || has(&self.node, word) || has(&self.user, word)
    }

    fn sort_value(&self, key: SortKey) -> Value<'_> {
        match key {
            // Longest ago first reads as oldest first, as ages do elsewhere.
            SortKey::Uptime => Value::Number(Some(-(self.time as f64))),
            SortKey::Node => Value::text(&self.node),
            SortKey::Status => Value::text(self.level),
            SortKey::User => Value::text(&self.user),
            SortKey::Info => Value::text(&self.msg),
            _ => Value::Text(None),
        }
    }
}
