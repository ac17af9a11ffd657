//! The Audit pane: every write rack sent to a cluster, newest first, from the audit log; the
//! detail shows the request as sent (secrets masked) and how it ended.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::table::{self, Column, TableView};
use crate::action::SortKey;
use crate::audit::AuditRow;
use crate::config::theme::Theme;
use crate::console::audit_row::outcome;
use crate::console::model::Model;
use crate::model::text::{clean, duration};
use crate::pve::calendar::format_datetime;

type AuditColumn = Column<AuditRow>;

fn result_style(r: &AuditRow, t: &Theme) -> ratatui::style::Style {
    match outcome(r) {
        "ok" => t.ok,
        "failed" => t.error,
        _ => t.warn,
    }
}

pub const AUDIT_COLUMNS: &[AuditColumn] = &[
    AuditColumn::new(SortKey::Uptime, 9, 1, |r, t| match r.ago {
        Some(a) => Line::raw(format!("{} ago", duration(a))),
        None => Line::styled("–", t.dim),
    })
    .right(),
    AuditColumn::new(SortKey::Info, 10, 2, |r, _| Line::raw(clean(&r.cluster))),
    AuditColumn::new(SortKey::User, 16, 3, |r, _| Line::raw(clean(&r.identity))),
    AuditColumn::new(SortKey::Name, 24, 0, |r, _| Line::raw(clean(&r.request))).fill(),
    AuditColumn::new(SortKey::Status, 9, 0, |r, t| {
        Line::styled(outcome(r), result_style(r, t))
    }),
];

pub fn pane(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let empty = match (&model.audit_path, &model.audit_log) {
        (None, _) => "the demo's writes are not recorded: a configured cluster's are",
        (Some(_), None) => "reading the audit log…",
        (Some(_), Some(Err(_))) => "the audit log could not be read (see the detail)",
        (Some(_), Some(Ok(_))) if !model.audit.filter_text.is_empty() => {
            "nothing matches the filter (Esc clears it)"
        }
        (Some(_), Some(Ok(_))) => "no writes recorded yet",
    };
    table::draw(
        TableView {
            title: super::panes::title("Audit", &model.audit, model.audit.rows.len(), theme),
            columns: AUDIT_COLUMNS,
            rows: &model.audit.rows,
            state: &model.audit,
            keymap: &model.keymap,
            empty,
            marked: None,
        },
        theme,
        frame,
        area,
    );
}

/// The selected write: when, where, as whom, the request as sent, and its outcome.
pub fn detail(model: &Model, r: &AuditRow, theme: &Theme, frame: &mut Frame, area: Rect) {
    let inner = super::detail::framed(
        frame,
        area,
        vec![
            Span::styled(format!(" {} ", clean(&r.request)), theme.title),
            Span::styled(outcome(r), result_style(r, theme)),
            Span::raw(" "),
        ],
        theme,
    );
    let mut lines = Vec::new();
    let mut at = format!("{} UTC", format_datetime(r.time));
    if let Some(a) = r.ago {
        at.push_str(&format!(" ({} ago)", duration(a)));
    }
    lines.push(Line::from(super::fact("at", at, theme)));
    let mut who = super::fact("cluster", clean(&r.cluster), theme);
    who.extend(super::fact("as", clean(&r.identity), theme));
    lines.push(Line::from(who));
    lines.push(Line::from(super::fact(
        "endpoint",
        clean(&r.endpoint),
        theme,
    )));
    lines.push(Line::from(vec![
        Span::styled("sent ", theme.dim),
        Span::raw(format!("{} {}", r.method, clean(&r.path))),
    ]));
    for (k, v) in &r.params {
        lines.push(Line::from(vec![
            Span::styled(format!("  {} ", clean(k)), theme.dim),
            Span::raw(clean(v)),
        ]));
    }
    if let Some(upid) = &r.upid {
        lines.push(Line::from(super::fact("task", clean(upid), theme)));
    }
    let answer = r.result.as_deref().map_or(
        "no answer recorded (rack stopped before it came)".to_string(),
        clean,
    );
    let mut end = vec![Span::styled("answer ", theme.dim)];
    end.push(Span::styled(answer, result_style(r, theme)));
    if let Some(s) = r.status {
        end.push(Span::styled(format!(" (HTTP {s})"), theme.dim));
    }
    lines.push(Line::from(end));
    match &r.task {
        Some(exit) => lines.push(Line::from(vec![
            Span::styled("task ended ", theme.dim),
            Span::styled(clean(exit), result_style(r, theme)),
        ])),
        None if r.upid.is_some() => lines.push(Line::styled(
            "task not followed to its end by rack",
            theme.dim,
        )),
        None => {}
    }
    if let Some(Err(e)) = &model.audit_log {
        lines.push(Line::styled(clean(e), theme.error));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
