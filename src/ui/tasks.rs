//! The tasks pane: rack's jobs and the cluster's tasks, newest first, with a progress gauge where
//! the log tells progress; the detail shows the selected task's facts and live log.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::table::{self, Column, TableView};
use super::widgets::status_style;
use crate::action::{Action, SortKey};
use crate::config::theme::Theme;
use crate::console::model::{Model, TaskRow};
use crate::model::text::duration;

type TaskColumn = Column<TaskRow>;

fn state_cell(r: &TaskRow, t: &Theme) -> Line<'static> {
    let style = match r.state.as_str() {
        "ok" => t.ok,
        "failed" => t.error,
        "unknown" => t.warn.add_modifier(Modifier::BOLD),
        other => status_style(other, t),
    };
    Line::styled(r.state.clone(), style)
}

fn gauge(r: &TaskRow, t: &Theme) -> Line<'static> {
    let Some(p) = &r.progress else {
        return match &r.note {
            Some(n) if r.running() => Line::styled(n.clone(), t.dim),
            _ => Line::styled("–", t.dim),
        };
    };
    let width = 10usize;
    let filled = ((p.fraction * width as f64).round() as usize).min(width);
    let style = if r.state == "failed" {
        t.error
    } else {
        t.chart
    };
    Line::from(vec![
        Span::styled("█".repeat(filled), style),
        Span::styled("░".repeat(width - filled), t.dim),
        Span::raw(format!(" {:>3.0}% {}", p.fraction * 100.0, p.phase)),
    ])
}

pub const TASK_COLUMNS: &[Column<TaskRow>] = &[
    TaskColumn::new(SortKey::Status, 8, 0, state_cell),
    TaskColumn::new(SortKey::Name, 24, 0, |r, t| {
        if r.job.is_some() {
            Line::from(vec![
                Span::styled("rack ", t.accent),
                Span::raw(r.what.clone()),
            ])
        } else {
            Line::raw(r.what.clone())
        }
    })
    .fill(),
    // At 80 columns when it started and how long it ran come before the node (the action
    // names the guest; the detail names the node).
    TaskColumn::new(SortKey::Node, 12, 2, |r, _| Line::raw(r.node.clone())),
    TaskColumn::new(SortKey::User, 14, 3, |r, _| Line::raw(r.user.clone())),
    TaskColumn::new(SortKey::Uptime, 11, 1, |r, t| match r.ago {
        Some(a) => Line::raw(format!("{} ago", duration(a))),
        None => Line::styled("–", t.dim),
    })
    .right(),
    TaskColumn::new(SortKey::Took, 7, 2, |r, t| match r.took {
        Some(d) => Line::raw(duration(d)),
        None => Line::styled("–", t.dim),
    })
    .right(),
    TaskColumn::new(SortKey::Progress, 24, 1, gauge),
];

pub fn pane(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let rows = &model.tasks.rows[..];
    let source = model.snapshot().map(|s| &s.tasks);
    let empty = match source {
        None => "connecting…",
        Some(s) if s.data.is_none() && s.error.is_some() => {
            "the cluster's tasks could not be read (see the status line)"
        }
        Some(_) if model.tasks.filter_text.is_empty() => "no tasks yet",
        Some(_) => "nothing matches the filter (Esc clears it)",
    };
    table::draw(
        TableView {
            title: super::panes::read_title(
                &super::panes::pane_name(model, "Tasks"),
                &model.tasks,
                rows.len(),
                source,
                None,
                model.now,
                theme,
            ),
            columns: &table::fleet_columns(model.cluster_column(), TASK_COLUMNS, |r, t| {
                table::cluster_cell(&r.cluster, false, t)
            }),
            rows,
            state: &model.tasks,
            keymap: &model.keymap,
            empty,
            marked: None,
        },
        theme,
        frame,
        area,
    );
}

/// The selected task: what, where, how it ended, progress, and the log's tail.
pub fn detail(model: &Model, line: &TaskRow, theme: &Theme, frame: &mut Frame, area: Rect) {
    let inner = super::detail::framed(
        frame,
        area,
        vec![
            Span::styled(format!(" {} ", line.what), theme.title),
            Span::styled(line.state.clone(), state_cell(line, theme).style),
            Span::raw(" "),
        ],
        theme,
    );
    let mut lines = Vec::new();
    let mut facts = super::fact("node", line.node.clone(), theme);
    facts.extend(super::fact("user", line.user.clone(), theme));
    if let Some(t) = line.took {
        facts.extend(super::fact("took", duration(t), theme));
    }
    lines.push(Line::from(facts));
    if let Some(upid) = &line.upid {
        lines.push(Line::from(super::fact("task", upid.clone(), theme)));
    }
    if let Some(e) = &line.error {
        lines.push(Line::from(vec![
            Span::styled("error ", theme.dim),
            Span::styled(e.clone(), theme.error),
        ]));
    }
    if let Some(n) = &line.note {
        lines.push(Line::styled(n.clone(), theme.info));
    }
    if line.progress.is_some() {
        let mut g = gauge(line, theme);
        if let Some(a) = line.progress.as_ref().and_then(|p| p.amount.clone()) {
            g.push_span(Span::raw(format!("  {a}")));
        }
        lines.push(g);
    }
    if line.running() && line.job.is_none() {
        let stop = model
            .keymap
            .keys_for(&Action::Stop)
            .first()
            .map(|k| k.to_string())
            .unwrap_or_else(|| "stop".into());
        lines.push(Line::styled(format!("{stop} stops this task"), theme.dim));
    }
    lines.push(Line::from(""));
    let log: Vec<String> = match line.job.and_then(|id| model.job(id)) {
        Some(job) => job.log.clone(),
        None => model
            .snapshot()
            .and_then(|s| s.task_log.get())
            .filter(|(upid, _)| Some(upid) == line.upid.as_ref())
            .map(|(_, l)| l.clone())
            .unwrap_or_default(),
    };
    let room = usize::from(inner.height).saturating_sub(lines.len());
    if log.is_empty() {
        lines.push(Line::styled("(no log yet)", theme.dim));
    }
    let skip = log.len().saturating_sub(room);
    for l in &log[skip..] {
        let style = if l.starts_with("TASK ERROR") || l.contains("ERROR:") {
            theme.error
        } else if l == "TASK OK" {
            theme.ok
        } else {
            theme.base
        };
        lines.push(Line::styled(l.clone(), style));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
