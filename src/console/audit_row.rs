//! A row of the Audit pane: one write rack sent, and how it ended.

use crate::action::SortKey;
use crate::audit::AuditRow;
use crate::model::table::columns::Column;
use crate::model::table::{Row, Value, has};
use crate::model::text::duration;

/// `ok`, `failed` or `no answer` (rack stopped before one came).
pub fn outcome(r: &AuditRow) -> &'static str {
    r.outcome()
}

impl Row for AuditRow {
    type Key = u64;
    const FOLLOWS_NEWEST: bool = true;
    const FIELDS: &'static [&'static str] = &[
        "cluster", "who", "user", "result", "status", "method", "path", "request",
    ];
    const COLUMNS: &'static [Column<Self>] = &[
        Column::new("WHEN", SortKey::Uptime, |r, c| {
            let ago = r.ago.unwrap_or_else(|| c.now.saturating_sub(r.time as u64));
            Some(format!("{} ago", duration(ago)))
        }),
        Column::new("CLUSTER", SortKey::Info, |r, _| Some(r.cluster.clone())),
        Column::new("WHO", SortKey::User, |r, _| Some(r.identity.clone())),
        Column::new("REQUEST", SortKey::Name, |r, _| Some(r.request.clone())),
        Column::new("RESULT", SortKey::Status, |r, _| Some(r.said())),
    ];

    fn key(&self) -> u64 {
        self.seq
    }

    fn field_matches(&self, field: &str, want: &str) -> bool {
        match field {
            "cluster" => has(&self.cluster, want),
            "who" | "user" => has(&self.identity, want),
            "result" | "status" => has(outcome(self), want),
            "method" => has(&self.method, want),
            "path" => has(&self.path, want),
            "request" => has(&self.request, want),
            _ => false,
        }
    }

    fn text_matches(&self, word: &str) -> bool {
        has(&self.request, word)
            || has(&self.cluster, word)
            || has(&self.identity, word)
            || has(outcome(self), word)
    }

    fn sort_value(&self, key: SortKey) -> Value<'_> {
        match key {
            // Oldest first reads as "longest ago first", as ages do elsewhere.
            SortKey::Uptime => Value::Number(Some(-self.time)),
            SortKey::Info => Value::text(&self.cluster),
            SortKey::User => Value::text(&self.identity),
            SortKey::Name => Value::text(&self.request),
            SortKey::Status => Value::text(outcome(self)),
            _ => Value::Text(None),
        }
    }
}
