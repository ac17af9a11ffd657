//! The backups pane: the backup jobs (schedule, next run, target, selection, mode, retention) and
//! the backup storages' usage on top; below, one row per guest with its newest backup, problems
//! first; the detail lists the guest's backups, the keys to back it up or restore it, and each
//! backup storage's use over the last week with when it would be full.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::table::{self, Column, TableView};
use super::widgets::{bar, sparkline};
use crate::action::{Action, SortKey};
use crate::config::theme::Theme;
use crate::console::layout::{MAX_JOBS, backup_summary_rows as summary_rows};
use crate::console::model::Model;
use crate::model::GuestKind;
use crate::model::backups::{BackupData, BackupJob, BackupRow, BackupState, StorageTrend};
use crate::model::text::{bytes, clean, duration};
use crate::pve::types::ResourceKind;

type BackupColumn = Column<BackupRow>;

fn state_style(s: BackupState, t: &Theme) -> Style {
    match s {
        BackupState::Ok => t.ok,
        BackupState::Warn => t.warn,
        BackupState::Bad => t.error,
        BackupState::Gone => t.dim,
    }
}

pub const BACKUP_COLUMNS: &[BackupColumn] = &[
    BackupColumn::new(SortKey::Vmid, 6, 0, |r, _| Line::raw(r.vmid.to_string())).right(),
    BackupColumn::new(SortKey::Name, 16, 0, |r, _| Line::raw(r.name.clone())),
    BackupColumn::new(SortKey::Node, 12, 3, |r, t| {
        if r.state == BackupState::Gone {
            Line::styled("gone", t.dim)
        } else {
            Line::raw(r.node.clone())
        }
    }),
    BackupColumn::new(SortKey::Uptime, 9, 0, |r, t| {
        // Drawn against the time the rows were built, which the model refreshes.
        match r.last_backup {
            Some(_) => Line::styled(r.age_text(), state_style(r.state, t)),
            None => Line::styled("never", state_style(r.state, t)),
        }
    })
    .number(),
    BackupColumn::new(SortKey::Disk, 9, 2, |r, _| {
        Line::raw(r.size.map_or_else(|| "–".into(), bytes))
    })
    .right(),
    BackupColumn::new(SortKey::Pool, 12, 2, |r, _| {
        Line::raw(r.storage.clone().unwrap_or_default())
    }),
    BackupColumn::new(SortKey::Status, 8, 4, |r, t| match r.verified {
        Some(true) => Line::styled("ok", t.ok),
        Some(false) => Line::styled("FAILED", t.error),
        None => Line::styled("–", t.dim),
    }),
    // Without a warning, the jobs that cover it (dim).
    BackupColumn::new(SortKey::Info, 24, 1, |r, t| match r.warning_text() {
        Some(w) => Line::styled(w, state_style(r.state, t)),
        None => Line::styled(r.jobs.join(","), t.dim),
    })
    .fill(),
];

pub fn pane(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let source = model.snapshot().map(|s| &s.backups);
    let [top, rest] =
        Layout::vertical([Constraint::Length(summary_rows(model)), Constraint::Fill(1)])
            .areas(area);
    summary(model, source.and_then(|s| s.get()), theme, frame, top);
    let empty = super::panes::empty_text(
        source,
        &model.backups,
        "reading backup jobs and storages…",
        "the backups could not be read (see the status line)",
        "no guests",
    );
    table::draw(
        TableView {
            title: super::panes::read_title(
                &super::panes::pane_name(model, "Backups"),
                &model.backups,
                model.backups.rows.len(),
                source,
                source.and_then(|s| s.get()).map(|d| &d.partial),
                model.now,
                theme,
            ),
            columns: &table::fleet_columns(model.cluster_column(), BACKUP_COLUMNS, |r, t| {
                table::cluster_cell(&r.cluster, false, t)
            }),
            rows: &model.backups.rows,
            state: &model.backups,
            keymap: &model.keymap,
            empty,
            marked: None,
        },
        theme,
        frame,
        rest,
    );
}

fn summary(model: &Model, data: Option<&BackupData>, theme: &Theme, frame: &mut Frame, area: Rect) {
    let now = model.epoch();
    let mut lines = Vec::new();
    // In the all view the jobs and storages are the selected row's cluster's: named.
    if let Some(c) = model.cluster().filter(|_| model.all) {
        lines.push(Line::styled(
            format!(" {}: its backup jobs and storages", clean(&c.name)),
            theme.accent,
        ));
    }
    match data {
        None => {
            let text = match model.snapshot().and_then(|s| s.backups.error.as_deref()) {
                Some(e) => Line::styled(format!(" backups: {}", clean(e)), theme.error),
                None => Line::styled(" reading backup jobs…", theme.dim),
            };
            lines.push(text);
        }
        Some(d) if d.partial.unknown("backup jobs") => {
            let why = d
                .partial
                .get("backup jobs")
                .map(|s| clean(&s.error))
                .unwrap_or_default();
            lines.push(Line::styled(
                format!(" backup jobs could not be read: {why}"),
                theme.warn,
            ));
        }
        Some(d) if d.jobs.is_empty() => {
            lines.push(Line::styled(
                " no backup jobs: nothing is backed up on a schedule",
                theme.error,
            ));
        }
        Some(d) => {
            let shown = &d.jobs[..d.jobs.len().min(MAX_JOBS)];
            let width = usize::from(area.width);
            // Narrower, the mode and retention go first, then the columns' padding and the
            // words "next in", so the target and the selection stay in view.
            let widths = (
                shown
                    .iter()
                    .map(|j| j.id.chars().count())
                    .max()
                    .unwrap_or(0),
                shown
                    .iter()
                    .map(|j| j.schedule.chars().count())
                    .max()
                    .unwrap_or(0),
            );
            let mut fitting = Vec::new();
            for form in [JobLine::Full, JobLine::NoMode, JobLine::Narrow(widths)] {
                fitting = shown
                    .iter()
                    .map(|j| job_line(j, now, form, theme))
                    .collect();
                if fitting.iter().all(|l: &Line| l.width() <= width) {
                    break;
                }
            }
            lines.extend(fitting);
            if d.jobs.len() > MAX_JOBS {
                lines.push(Line::styled(
                    format!(" … and {} more jobs", d.jobs.len() - MAX_JOBS),
                    theme.dim,
                ));
            }
        }
    }
    let storages = match storages(model, true, theme) {
        line if line.width() <= usize::from(area.width) => line,
        _ => storages(model, false, theme),
    };
    lines.push(storages);
    frame.render_widget(Paragraph::new(super::widgets::fit(lines, area.width)), area);
}

/// How much of a backup job its line shows.
#[derive(Clone, Copy)]
enum JobLine {
    Full,
    /// Without mode and retention.
    NoMode,
    /// Also without padding beyond these widths of id and schedule, the next run a duration.
    Narrow((usize, usize)),
}

fn job_line(j: &BackupJob, now: u64, form: JobLine, theme: &Theme) -> Line<'static> {
    let (id_width, schedule_width) = match form {
        JobLine::Narrow(widths) => widths,
        _ => (24, 12),
    };
    let next = match (j.enabled, j.next_run) {
        (false, _) => Span::styled("disabled", theme.warn),
        (true, Some(t)) => {
            let left = duration(t.saturating_sub(now));
            Span::raw(match form {
                JobLine::Narrow(_) => left,
                _ => format!("next in {left}"),
            })
        }
        (true, None) => Span::styled("no next run", theme.warn),
    };
    let mut spans = vec![
        Span::styled(format!(" {:<id_width$} ", j.id), theme.accent),
        Span::raw(format!("{:<schedule_width$} ", j.schedule)),
        next,
        Span::styled(" → ", theme.dim),
        Span::raw(j.storage.clone()),
        Span::styled(" · ", theme.dim),
        Span::raw(j.selection.to_string()),
    ];
    if matches!(form, JobLine::Full) {
        spans.push(Span::styled(format!(" · {}", j.mode), theme.dim));
        if !j.retention.is_empty() {
            spans.push(Span::styled(format!(" · {}", j.retention), theme.dim));
        }
    }
    Line::from(spans)
}

/// `nas-backup ███░ 45% 1.8/4.0 TiB · …` for each storage that holds backups (shared ones once);
/// without the amounts when `amounts` is false.
fn storages(model: &Model, amounts: bool, theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::styled(" storage ", theme.dim)];
    let mut seen: Vec<String> = Vec::new();
    let resources = model
        .snapshot()
        .and_then(|s| s.resources.get())
        .map(Vec::as_slice)
        .unwrap_or_default();
    for r in resources.iter().filter(|r| r.kind == ResourceKind::Storage) {
        let Some(name) = r.storage.as_deref().filter(|_| r.holds("backup")) else {
            continue;
        };
        let label = if r.shared == Some(true) {
            name.to_string()
        } else {
            format!("{name}@{}", r.node.as_deref().unwrap_or_default())
        };
        if seen.contains(&label) {
            continue;
        }
        if !seen.is_empty() {
            spans.push(Span::styled(" · ", theme.dim));
        }
        let used = match (r.disk, r.maxdisk) {
            (Some(u), Some(t)) if t > 0 => Some(u as f64 / t as f64),
            _ => None,
        };
        spans.push(Span::raw(format!("{} ", clean(&label))));
        spans.extend(bar(used, 5, theme).spans);
        if let (true, Some(u), Some(t)) = (amounts, r.disk, r.maxdisk) {
            spans.push(Span::styled(
                format!(" {}", super::widgets::used_of(Some(u), Some(t))),
                theme.dim,
            ));
        }
        seen.push(label);
    }
    if seen.is_empty() {
        spans.push(Span::styled("none holds backups", theme.warn));
    }
    Line::from(spans)
}

/// The guest's backups, newest first, what covers it, and how to back it up now.
pub fn detail(model: &Model, row: &BackupRow, theme: &Theme, frame: &mut Frame, area: Rect) {
    let inner = super::detail::framed(
        frame,
        area,
        vec![Span::styled(
            format!(
                " {} {} ({}) ",
                GuestKind::from_api(row.kind).map_or(row.kind, |k| k.label()),
                row.vmid,
                row.name
            ),
            theme.title,
        )],
        theme,
    );
    let gone = row.state == BackupState::Gone;
    let mut lines = Vec::new();
    if let Some(w) = &row.warning {
        lines.push(Line::styled(
            format!("▲ {w}"),
            state_style(row.state, theme),
        ));
    }
    if gone {
        lines.push(Line::styled(
            "the guest is gone (destroyed); its backups remain",
            theme.dim,
        ));
    }
    let jobs_unknown = model
        .snapshot()
        .and_then(|s| s.backups.get())
        .is_some_and(|d| d.partial.unknown("backup jobs"));
    lines.push(Line::from(vec![
        Span::styled("jobs    ", theme.dim),
        match (row.jobs.is_empty(), gone) {
            (true, _) if jobs_unknown => Span::styled("unknown (could not be read)", theme.warn),
            (true, false) => Span::styled("none", theme.error),
            (true, true) => Span::styled("none", theme.dim),
            (false, false) => Span::raw(row.jobs.join(", ")),
            (false, true) => Span::styled(
                format!("{} still list its VMID", row.jobs.join(", ")),
                theme.warn,
            ),
        },
    ]));
    let key = model
        .keymap
        .keys_for(&Action::Backup)
        .first()
        .map(|k| format!("{k} back up now"));
    if let Some(k) = key.filter(|_| !gone) {
        let how = match row.jobs.first() {
            Some(_) => "with its job's storage and mode",
            None => "to a backup storage of its node",
        };
        lines.push(Line::styled(format!("{k} ({how})"), theme.accent));
    }
    if let Some(k) = model.keymap.keys_for(&Action::Restore).first() {
        let what = if gone {
            "bring it back from one of its backups"
        } else {
            "restore one of its backups as a new guest"
        };
        lines.push(Line::styled(format!("{k} {what}"), theme.accent));
    }
    lines.push(Line::from(""));
    let now = model.epoch();
    let data = model.snapshot().and_then(|s| s.backups.get());
    let mut mine: Vec<_> = data
        .map(|d| {
            d.volumes
                .iter()
                .filter(|(_, v)| v.vmid == Some(row.vmid))
                .collect()
        })
        .unwrap_or_default();
    mine.sort_by_key(|(_, v)| std::cmp::Reverse(v.ctime));
    if mine.is_empty() {
        lines.push(Line::styled("no backups on any backup storage", theme.dim));
    }
    for (storage, v) in mine {
        let age = v
            .ctime
            .map_or_else(|| "?".into(), |t| duration(now.saturating_sub(t)));
        let verified = match v.verification.as_ref().and_then(|x| x.state.as_deref()) {
            Some("ok") => Span::styled(" verified", theme.ok),
            Some(other) => Span::styled(format!(" verify {}", clean(other)), theme.error),
            None => Span::raw(""),
        };
        lines.push(Line::from(vec![
            Span::raw(format!("{age:>7} ago  ")),
            Span::raw(format!("{:>9}  ", v.size.map_or_else(|| "–".into(), bytes))),
            Span::styled(clean(storage), theme.dim),
            verified,
            if v.protected == Some(true) {
                Span::styled(" protected", theme.info)
            } else {
                Span::raw("")
            },
        ]));
    }
    if let Some(problems) = data
        .map(|d| d.partial.lines(model.now))
        .filter(|p| !p.is_empty())
    {
        lines.push(Line::from(""));
        for p in &problems {
            lines.push(Line::styled(format!("▲ {}", clean(p)), theme.warn));
        }
    }
    // Below the list, when there is room: each backup storage over the last week.
    let trends = data.map(|d| d.trends.as_slice()).unwrap_or_default();
    let charts = 1 + trends.iter().map(trend_rows).sum::<u16>();
    let text = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    if trends.is_empty() || inner.height < text + charts {
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    }
    let [top, bottom] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(charts)]).areas(inner);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), top);
    storage_charts(trends, theme, frame, bottom);
}

/// Rows of a storage's chart: its growth line, and a sparkline of three rows under its own
/// header when its use changed.
fn trend_rows(t: &StorageTrend) -> u16 {
    if t.growth().is_some_and(|(g, _)| g != 0) {
        5
    } else {
        1
    }
}

fn storage_charts(trends: &[StorageTrend], theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut rows = vec![Constraint::Length(1)];
    rows.extend(trends.iter().map(|t| Constraint::Length(trend_rows(t))));
    let areas = Layout::vertical(rows).split(area);
    frame.render_widget(
        Paragraph::new(Line::styled(
            "backup storage use over the past week",
            theme.title,
        )),
        areas[0],
    );
    for (t, a) in trends.iter().zip(areas.iter().skip(1)) {
        let [head, chart] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(*a);
        let mut spans = vec![Span::raw(format!("{} ", t.label))];
        match t.growth() {
            Some((grown, secs)) if grown > 0 => {
                spans.push(Span::raw(format!(
                    "+{} in {}",
                    bytes(grown.unsigned_abs()),
                    duration(secs)
                )));
                if let Some(full) = t.full_in() {
                    let style = if full < 14 * 86_400 {
                        theme.error
                    } else if full < 60 * 86_400 {
                        theme.warn
                    } else {
                        theme.dim
                    };
                    spans.push(Span::styled(
                        format!(", full in ~{}", duration(full)),
                        style,
                    ));
                }
            }
            Some((grown, secs)) if grown < 0 => spans.push(Span::styled(
                format!("-{} in {}", bytes(grown.unsigned_abs()), duration(secs)),
                theme.dim,
            )),
            Some(_) => spans.push(Span::styled("unchanged", theme.dim)),
            None => spans.push(Span::styled("no history yet", theme.dim)),
        }
        if let Some(f) = t.fractions().last() {
            spans.push(Span::styled(
                format!(" · {:.0}% used", f * 100.0),
                theme.dim,
            ));
        }
        let line = super::widgets::fit([Line::from(spans)], head.width);
        frame.render_widget(Paragraph::new(line), head);
        let values: Vec<f64> = t.fractions().iter().map(|f| f * 100.0).collect();
        sparkline(
            frame,
            chart,
            "used",
            &values,
            |v| format!("{v:.0}%"),
            theme.info,
            theme,
        );
    }
}
