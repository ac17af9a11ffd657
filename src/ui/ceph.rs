//! The Ceph pane: a summary of health, daemons, OSDs, placement groups, usage, I/O and recovery
//! on top; below it one row per check, flag, monitor, manager, OSD and pool; the detail gives
//! the selected row in full and the last hour's client I/O and recovery charts.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::table::{self, Column, TableView};
use super::widgets::{bar, rate, sparkline};
use crate::action::{Action, SortKey};
use crate::config::theme::Theme;
use crate::console::layout::CEPH_SUMMARY_ROWS as SUMMARY_ROWS;
use crate::console::model::Model;
use crate::model::ceph::CephStatus;
use crate::model::ceph_view::{CephData, CephItem, CephRow, CephSample, Standing};
use crate::model::text::{bytes, clean};

type CephColumn = Column<CephRow>;

pub fn standing_style(s: Standing, t: &Theme) -> Style {
    match s {
        Standing::Good => t.ok,
        Standing::Warn => t.warn,
        Standing::Bad => t.error,
        Standing::Neutral => t.dim,
    }
}

fn health_style(health: &str, t: &Theme) -> Style {
    match health {
        "HEALTH_OK" => t.ok,
        "HEALTH_WARN" => t.warn,
        _ => t.error,
    }
}

pub const CEPH_COLUMNS: &[CephColumn] = &[
    CephColumn::new(SortKey::Type, 6, 0, |r, t| Line::styled(r.kind(), t.dim)),
    CephColumn::new(SortKey::Name, 16, 0, |r, _| Line::raw(r.name().to_string())),
    CephColumn::new(SortKey::Status, 14, 0, |r, t| {
        Line::styled(r.state(), standing_style(r.standing(), t))
    }),
    CephColumn::new(SortKey::Node, 12, 3, |r, _| Line::raw(r.host().to_string())),
    CephColumn::new(SortKey::Disk, 11, 2, |r, t| match r.used() {
        Some(u) => bar(Some(u), 6, t),
        None => Line::raw(""),
    })
    .number(),
    CephColumn::new(SortKey::Info, 20, 1, |r, _| Line::raw(r.info())).fill(),
];

pub fn pane(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let source = model.snapshot().map(|s| &s.ceph);
    let data = source.and_then(|s| s.get());
    if let Some(d) = data.filter(|d| !d.configured()) {
        return not_configured(d, theme, frame, area);
    }
    let [top, rest] =
        Layout::vertical([Constraint::Length(SUMMARY_ROWS), Constraint::Fill(1)]).areas(area);
    summary(model, data, theme, frame, top);
    let empty = super::panes::empty_text(
        source,
        &model.ceph,
        "reading Ceph…",
        "Ceph could not be read (see the status line)",
        "no checks, daemons, OSDs or pools listed",
    );
    table::draw(
        TableView {
            title: super::panes::read_title(
                &super::panes::pane_name(model, "Ceph"),
                &model.ceph,
                model.ceph.rows.len(),
                source,
                data.map(|d| &d.partial),
                model.now,
                theme,
            ),
            columns: CEPH_COLUMNS,
            rows: &model.ceph.rows,
            state: &model.ceph,
            keymap: &model.keymap,
            empty,
            marked: None,
        },
        theme,
        frame,
        rest,
    );
}

fn not_configured(data: &CephData, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut lines = vec![
        Line::from(""),
        Line::from("  Ceph not configured on this cluster."),
        Line::styled(
            "  (pveceph install and pveceph init set it up; rack shows it once it runs.)",
            theme.dim,
        ),
    ];
    lines.extend(
        data.problems
            .iter()
            .map(|p| Line::styled(format!("  ▲ {p}"), theme.warn)),
    );
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Line::styled(" Ceph ", theme.title));
    let lines = super::widgets::fit(lines, area.width);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Four lines: health and daemons; OSDs and PGs; raw usage and client I/O; recovery or flags.
fn summary(model: &Model, data: Option<&CephData>, theme: &Theme, frame: &mut Frame, area: Rect) {
    let source = model.snapshot().map(|s| &s.ceph);
    let Some(data) = data else {
        let text = match source.and_then(|s| s.error.as_deref()) {
            Some(e) => Line::styled(format!(" Ceph: {}", clean(e)), theme.error),
            None => Line::styled(" reading Ceph…", theme.dim),
        };
        frame.render_widget(Paragraph::new(text), area);
        return;
    };
    let Some(s) = &data.status else {
        return;
    };
    let dim = |t: &str| Span::styled(t.to_string(), theme.dim);
    let mut first = vec![
        Span::raw(" "),
        Span::styled(s.health.clone(), health_style(&s.health, theme)),
    ];
    if let Some(stale) = source.and_then(|s| s.error.as_deref()) {
        first.push(Span::styled(
            format!(" (stale: {})", clean(stale)),
            theme.warn,
        ));
    }
    let mons = if data.mons.is_empty() {
        s.monitors_total()
    } else {
        data.mons.len()
    };
    let quorum = s.monitors_in_quorum.len();
    first.push(dim(" · mons "));
    first.push(Span::styled(
        format!("{quorum}/{mons} in quorum"),
        if quorum < mons {
            theme.warn
        } else {
            theme.base
        },
    ));
    if let Some(active) = data.mgrs.iter().find(|m| m.state == "active") {
        let standby = data.mgrs.iter().filter(|m| m.state == "standby").count();
        first.push(dim(" · mgr "));
        first.push(Span::raw(format!(
            "{} active, {standby} standby",
            active.name
        )));
    } else if !data.mgrs.is_empty() {
        first.push(dim(" · mgr "));
        first.push(Span::styled("none active", theme.error));
    }
    let flags = data.flags_set();
    if !flags.is_empty() {
        first.push(dim(" · flags "));
        first.push(Span::styled(flags.join(","), theme.warn));
    }

    let o = &s.osds;
    let mut second = vec![dim(" OSDs ")];
    second.push(Span::styled(
        format!("{}/{} up, {} in", o.up, o.total, o.r#in),
        if o.up < o.total {
            theme.error
        } else if o.r#in < o.total {
            theme.warn
        } else {
            theme.base
        },
    ));
    second.push(dim(&format!(" · PGs {}: ", s.pgs)));
    for (i, (state, n)) in s.pgs_by_state.iter().enumerate() {
        if i > 0 {
            second.push(dim(", "));
        }
        let style = if state == "active+clean" {
            theme.ok
        } else if state.starts_with("active") {
            theme.warn
        } else {
            theme.error
        };
        second.push(Span::styled(format!("{n} {state}"), style));
    }

    let used = match (s.bytes_used, s.bytes_total) {
        (Some(u), Some(t)) if t > 0 => Some(u as f64 / t as f64),
        _ => None,
    };
    let mut third = vec![dim(" raw ")];
    third.extend(bar(used, 10, theme).spans);
    if let (Some(u), Some(t)) = (s.bytes_used, s.bytes_total) {
        third.push(Span::raw(format!(" {} of {}", bytes(u), bytes(t))));
    }
    third.push(dim(" · client "));
    third.push(Span::raw(io_text(s)));

    let fourth = match &s.recovery {
        Some(r) => {
            let mut spans = vec![dim(" recovery ")];
            if r.bytes_per_sec > 0 {
                spans.push(Span::styled(
                    format!(
                        "{}, {} objects/s",
                        rate(r.bytes_per_sec as f64),
                        r.objects_per_sec
                    ),
                    theme.info,
                ));
            } else {
                spans.push(Span::styled("none running", theme.warn));
            }
            if r.degraded_total > 0 {
                spans.push(Span::styled(
                    format!(
                        " · {}/{} objects degraded ({:.1}%)",
                        r.degraded_objects,
                        r.degraded_total,
                        r.degraded_objects as f64 * 100.0 / r.degraded_total as f64
                    ),
                    theme.warn,
                ));
            }
            Line::from(spans)
        }
        None => Line::styled(" no recovery running", theme.dim),
    };
    let lines = [
        Line::from(first),
        Line::from(second),
        Line::from(third),
        fourth,
    ];
    frame.render_widget(Paragraph::new(super::widgets::fit(lines, area.width)), area);
}

fn io_text(s: &CephStatus) -> String {
    format!(
        "rd {} {} op/s · wr {} {} op/s",
        rate(s.io.read_bytes_sec as f64),
        s.io.read_ops_sec,
        rate(s.io.write_bytes_sec as f64),
        s.io.write_ops_sec
    )
}

/// The selected row in full, then the I/O and recovery charts in the room left.
pub fn detail(model: &Model, line: &CephRow, theme: &Theme, frame: &mut Frame, area: Rect) {
    let inner = super::detail::framed(
        frame,
        area,
        vec![Span::styled(
            format!(" {} {} ", line.kind(), line.name()),
            theme.title,
        )],
        theme,
    );
    let mut lines = vec![Line::from(vec![
        Span::styled("state   ", theme.dim),
        Span::styled(line.state(), standing_style(line.standing(), theme)),
    ])];
    let key = |label: &str| {
        model
            .keymap
            .keys_for(&Action::Toggle)
            .first()
            .map(|k| format!("{k} {label}"))
            .unwrap_or_default()
    };
    match &line.item {
        CephItem::Check(c) => {
            lines.push(Line::from(c.summary.clone()));
            for d in &c.detail {
                lines.push(Line::styled(format!("  {d}"), theme.dim));
            }
            if c.muted {
                lines.push(Line::styled(
                    "muted: it does not count towards the health status",
                    theme.dim,
                ));
            }
        }
        CephItem::Flag(f) => {
            lines.push(Line::from(f.description.clone()));
            lines.push(Line::from(""));
            let what = if f.set { "unset it" } else { "set it" };
            lines.push(Line::styled(key(what), theme.accent));
            if f.name == "noout" && !f.set {
                lines.push(Line::styled(
                    "Set noout before taking a host down for maintenance, so Ceph does not \
                     start moving its data elsewhere; unset it when the host is back.",
                    theme.dim,
                ));
            }
        }
        CephItem::Mon(d) | CephItem::Mgr(d) => {
            lines.push(Line::from(vec![
                Span::styled("host    ", theme.dim),
                Span::raw(d.host.clone()),
            ]));
        }
        CephItem::Osd(_) | CephItem::Pool(_) => {
            lines.push(Line::from(vec![
                Span::styled("host    ", theme.dim),
                Span::raw(line.host().to_string()),
            ]));
            lines.push(Line::from(line.info()));
            if let CephItem::Osd(o) = &line.item {
                lines.push(Line::from(vec![
                    Span::styled("used    ", theme.dim),
                    Span::raw(super::widgets::used_of(o.bytes_used, o.total)),
                ]));
                if let Some(l) = o.commit_latency_ms {
                    lines.push(Line::from(vec![
                        Span::styled("latency ", theme.dim),
                        Span::raw(format!("{l} ms commit")),
                    ]));
                }
            }
            if let CephItem::Pool(p) = &line.item
                && let Some(u) = p.bytes_used
            {
                lines.push(Line::from(vec![
                    Span::styled("used    ", theme.dim),
                    Span::raw(format!("{} raw", bytes(u))),
                ]));
            }
        }
    }
    if let Some(data) = model.snapshot().and_then(|s| s.ceph.get()) {
        for p in data.problems.iter().chain(&data.partial.lines(model.now)) {
            lines.push(Line::styled(format!("▲ {}", clean(p)), theme.warn));
        }
    }
    // The charts take the bottom, four rows each, when the text leaves room for them.
    let text_rows = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    let chart_rows = (inner.height.saturating_sub(text_rows.saturating_mul(2)) / 4).min(3) * 4;
    let [text, charts] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(chart_rows)]).areas(inner);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text);
    io_charts(model, theme, frame, charts);
}

/// Client read, write and recovery over the last hour, as far as there is room.
fn io_charts(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(history) = model.cluster().map(|c| &c.ceph_history) else {
        return;
    };
    let pick = |f: fn(&CephSample) -> f64| -> Vec<f64> { history.iter().map(f).collect() };
    let charts: [(&str, Vec<f64>, Style); 3] = [
        ("read", pick(|s| s.read_bytes_sec), theme.chart),
        ("write", pick(|s| s.write_bytes_sec), theme.chart_alt),
        ("recovery", pick(|s| s.recovery_bytes_sec), theme.info),
    ];
    let shown = usize::from(area.height / 4).min(charts.len());
    if shown == 0 {
        return;
    }
    let rows = Layout::vertical(vec![Constraint::Length(4); shown]).split(area);
    for ((label, values, style), row) in charts.iter().zip(rows.iter()) {
        sparkline(frame, *row, label, values, rate, *style, theme);
    }
}
