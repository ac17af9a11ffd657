//! Column definitions of the Hosts and Instances panes, drawn by the generic table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::table::{self, Column, TableView};
use super::widgets::{bar, status_style, used_of};
use crate::action::SortKey;
use crate::config::theme::Theme;
use crate::console::fleet;
use crate::console::model::{Model, TableState};
use crate::model::partial::Partial;
use crate::model::text::{self, bytes, duration};
use crate::model::{GuestKind, HostRow, InstanceRow, Source};

fn text(s: impl Into<String>) -> Line<'static> {
    Line::raw(s.into())
}

/// What an absent value shows.
fn dash(theme: &Theme) -> Line<'static> {
    Line::styled("–", theme.dim)
}

fn opt_text(s: Option<&str>, theme: &Theme) -> Line<'static> {
    match s {
        Some(s) if !s.is_empty() => text(s.to_string()),
        _ => dash(theme),
    }
}

/// A state word (running, active, error…) in its colour.
fn state(s: Option<&str>, theme: &Theme) -> Line<'static> {
    match s {
        Some(s) if !s.is_empty() => Line::styled(s.to_string(), status_style(s, theme)),
        _ => dash(theme),
    }
}

fn uptime(u: Option<u64>, theme: &Theme) -> Line<'static> {
    match u {
        Some(u) if u > 0 => text(duration(u)),
        _ => dash(theme),
    }
}

type HostColumn = Column<HostRow>;
type InstanceColumn = Column<InstanceRow>;

pub const HOST_COLUMNS: &[Column<HostRow>] = &[
    HostColumn::new(SortKey::Node, 12, 0, |r, t| match r.cert_flag() {
        Some(flag) => Line::from(vec![
            Span::raw(r.node.clone()),
            Span::styled(format!(" {flag}"), t.warn),
        ]),
        None => text(r.node.clone()),
    })
    .fill(),
    HostColumn::new(SortKey::Status, 11, 0, |r, t| {
        state(Some(r.status.label()), t)
    }),
    HostColumn::new(SortKey::Cpu, 13, 1, |r, t| bar(r.usage.cpu, 8, t)).number(),
    HostColumn::new(SortKey::Mem, 15, 1, |r, _| {
        text(used_of(r.usage.mem, r.usage.maxmem))
    })
    .right(),
    HostColumn::new(SortKey::Disk, 15, 3, |r, _| {
        text(used_of(r.usage.disk, r.usage.maxdisk))
    })
    .right(),
    HostColumn::new(SortKey::Load, 6, 2, |r, t| match r.load {
        Some(l) => text(format!("{l:.2}")),
        None => dash(t),
    })
    .right(),
    HostColumn::new(SortKey::Uptime, 8, 3, |r, t| uptime(r.uptime, t)).right(),
    HostColumn::new(SortKey::Guests, 7, 1, |r, _| {
        text(format!("{}/{}", r.guests_running, r.guests_total))
    })
    .right(),
    HostColumn::new(SortKey::Ha, 11, 2, |r, t| state(r.ha_lrm.as_deref(), t)),
    HostColumn::new(SortKey::Version, 8, 4, |r, t| {
        opt_text(r.pve_version.as_deref(), t)
    }),
];

pub const INSTANCE_COLUMNS: &[Column<InstanceRow>] = &[
    InstanceColumn::new(SortKey::Vmid, 6, 0, |r, _| text(r.vmid.to_string())).right(),
    InstanceColumn::new(SortKey::Name, 14, 0, |r, t| {
        if r.template {
            Line::from(vec![
                Span::raw(r.name.clone()),
                Span::styled(" (template)", t.dim),
            ])
        } else {
            text(r.name.clone())
        }
    })
    .fill(),
    InstanceColumn::new(SortKey::Type, 4, 1, |r, _| text(r.kind.label())),
    InstanceColumn::new(SortKey::Status, 8, 0, |r, t| state(Some(&r.status), t)),
    InstanceColumn::new(SortKey::Node, 12, 1, |r, _| text(r.node.clone())),
    // Where to reach it; without an address, why (dim): "agent off", "no agent".
    InstanceColumn::new(SortKey::Info, 15, 2, |r, t| {
        match (r.ips.first(), r.ips_brief) {
            (Some(ip), _) => text(ip.clone()),
            (None, Some(why)) => Line::styled(why, t.dim),
            (None, None) => dash(t),
        }
    }),
    InstanceColumn::new(SortKey::Cpu, 5, 1, |r, t| match r.usage.cpu {
        Some(c) if r.status == "running" => text(format!("{:.0}%", c * 100.0)),
        _ => dash(t),
    })
    .right(),
    InstanceColumn::new(SortKey::Mem, 15, 2, |r, _| {
        let used = if r.status == "running" {
            r.usage.mem
        } else {
            None
        };
        text(used_of(used, r.usage.maxmem))
    })
    .right(),
    InstanceColumn::new(SortKey::Disk, 9, 3, |r, t| match r.usage.maxdisk {
        Some(d) if d > 0 => text(bytes(d)),
        _ => dash(t),
    })
    .right(),
    InstanceColumn::new(SortKey::Uptime, 8, 3, |r, t| uptime(r.uptime, t)).right(),
    InstanceColumn::new(SortKey::Tags, 14, 4, |r, t| {
        if r.tags.is_empty() {
            dash(t)
        } else {
            Line::styled(r.tags.join(","), t.info)
        }
    }),
    InstanceColumn::new(SortKey::Ha, 8, 4, |r, t| state(r.hastate.as_deref(), t)),
    InstanceColumn::new(SortKey::Lock, 8, 2, |r, t| match r.lock.as_deref() {
        Some(l) => Line::styled(l.to_string(), t.warn),
        None => dash(t),
    }),
    InstanceColumn::new(SortKey::Template, 5, 5, |r, t| {
        if r.template { text("yes") } else { dash(t) }
    }),
    InstanceColumn::new(SortKey::Pool, 10, 5, |r, t| opt_text(r.pool.as_deref(), t)),
];

/// ` Hosts(3/5) ‹node:pve1› ` — the pane, rows shown of all, the filter.
pub fn title<'a>(name: &str, state: &TableState, total: usize, theme: &Theme) -> Line<'a> {
    let mut spans = vec![
        Span::styled(format!(" {name}"), theme.title),
        Span::styled(format!("({}/{total}) ", state.visible.len()), theme.dim),
    ];
    if !state.filter_text.is_empty() {
        spans.push(Span::styled(
            format!("</{}> ", state.filter_text),
            theme.accent,
        ));
    }
    Line::from(spans)
}

/// The title of a pane with its own read: name, counts, filter, and whether the read is current.
#[allow(clippy::too_many_arguments)]
pub fn read_title<'a, T>(
    name: &str,
    state: &TableState,
    total: usize,
    source: Option<&Source<T>>,
    partial: Option<&Partial>,
    now: std::time::SystemTime,
    theme: &Theme,
) -> Line<'a> {
    let mut line = title(name, state, total, theme);
    line.spans.extend(stale_spans(source, partial, now, theme));
    line
}

/// What the title of a pane with its own read says when that read is not current: the whole
/// read failed (`▲ as read 40s ago: HTTP 500`), or some of its parts (`▲ not current: OSD tree
/// 35s old, pools unknown`). The rows are the last good data; the detail says why.
pub fn stale_spans<T>(
    source: Option<&Source<T>>,
    partial: Option<&Partial>,
    now: std::time::SystemTime,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let Some(source) = source else {
        return Vec::new();
    };
    if let (Some(error), None) = (&source.error, &source.data) {
        let error = text::clean(error);
        return vec![Span::styled(format!("▲ not read: {error} "), theme.warn)];
    }
    if let (Some(error), Some(age)) = (&source.error, source.age(now)) {
        let error = text::clean(error);
        return vec![Span::styled(
            format!("▲ as read {} ago: {error} ", duration(age.as_secs())),
            theme.warn,
        )];
    }
    let parts: Vec<String> = partial
        .map(|p| {
            p.iter()
                .map(|s| match s.read_at {
                    Some(at) => format!(
                        "{} {} old",
                        s.part,
                        duration(now.duration_since(at).unwrap_or_default().as_secs())
                    ),
                    None => format!("{} unknown", s.part),
                })
                .collect()
        })
        .unwrap_or_default();
    if parts.is_empty() {
        return Vec::new();
    }
    vec![Span::styled(
        format!("▲ not current: {} ", parts.join(", ")),
        theme.warn,
    )]
}

/// What a pane whose rows come from its own read says when it has none: still connecting, still
/// reading, the read failed, the filter hides everything, or there is nothing.
pub fn empty_text<T>(
    source: Option<&Source<T>>,
    state: &TableState,
    reading: &'static str,
    failed: &'static str,
    none: &'static str,
) -> &'static str {
    match source {
        None => "connecting…",
        Some(s) if s.data.is_none() && s.error.is_none() => reading,
        Some(s) if s.data.is_none() => failed,
        Some(_) if !state.filter_text.is_empty() => "nothing matches the filter (Esc clears it)",
        Some(_) => none,
    }
}

fn waiting(model: &Model) -> &'static str {
    match model.snapshot() {
        None => "connecting…",
        Some(s) if s.resources.data.is_none() => {
            "the cluster has not answered yet (see the status line)"
        }
        Some(_) => "nothing matches the filter (Esc clears it)",
    }
}

/// A pane's name in its title: in the all view, whose rows it shows (every cluster's, or the
/// selected row's cluster's for the panes that show one at a time).
pub fn pane_name(model: &Model, name: &str) -> String {
    match model.cluster() {
        Some(_) if !model.all => name.to_string(),
        _ if fleet::pane_spans_fleet(model.pane) => format!("{name} · all clusters"),
        Some(c) => format!("{name} · {}", text::clean(&c.name)),
        None => name.to_string(),
    }
}

pub fn hosts(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let rows = model.host_rows();
    let charts = super::datacenter::rows(model);
    let area = if charts > 0 && area.height > charts + table::CHROME_ROWS {
        // The charts right under the rows; a long table pushes them to the bottom.
        let wanted = u16::try_from(model.hosts.visible.len())
            .unwrap_or(u16::MAX)
            .max(1)
            .saturating_add(table::CHROME_ROWS + 1);
        let [table, below, _] = ratatui::layout::Layout::vertical([
            ratatui::layout::Constraint::Length(wanted.min(area.height - charts)),
            ratatui::layout::Constraint::Length(charts),
            ratatui::layout::Constraint::Fill(1),
        ])
        .areas(area);
        super::datacenter::draw(model, theme, frame, below);
        table
    } else {
        area
    };
    table::draw(
        TableView {
            title: title(&pane_name(model, "Hosts"), &model.hosts, rows.len(), theme),
            columns: &table::fleet_columns(model.cluster_column(), HOST_COLUMNS, |r, t| {
                table::cluster_cell(&r.cluster, r.cluster_stale, t)
            }),
            rows,
            state: &model.hosts,
            keymap: &model.keymap,
            empty: waiting(model),
            marked: None,
        },
        theme,
        frame,
        area,
    );
}

pub fn instances(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let rows = model.instance_rows();
    let name = match model.kind {
        Some(GuestKind::Qemu) => "VMs",
        Some(GuestKind::Lxc) => "Containers",
        None => "Instances",
    };
    let marked = |r: &InstanceRow| model.is_marked(&r.cluster, r.vmid);
    let mut title = title(&pane_name(model, name), &model.instances, rows.len(), theme);
    // Marks act on their own cluster only: those of the current one are counted; others are
    // said with where they are, so an action on this cluster's row is not taken for theirs.
    let here = model.cluster().map(|c| c.name.as_str()).unwrap_or_default();
    let marks = model.marked.iter().filter(|(m, _)| m == here).count();
    if marks > 0 {
        title.push_span(Span::styled(format!("[{marks} marked] "), theme.accent));
    } else if !model.marked.is_empty() {
        let mut elsewhere: Vec<&str> = model.marked.iter().map(|(m, _)| m.as_str()).collect();
        elsewhere.dedup();
        title.push_span(Span::styled(
            format!(
                "[{} marked on {}] ",
                model.marked.len(),
                text::clean(&elsewhere.join(", "))
            ),
            theme.warn,
        ));
    }
    table::draw(
        TableView {
            title,
            columns: &table::fleet_columns(model.cluster_column(), INSTANCE_COLUMNS, |r, t| {
                table::cluster_cell(&r.cluster, r.cluster_stale, t)
            }),
            rows,
            state: &model.instances,
            keymap: &model.keymap,
            empty: waiting(model),
            marked: Some(&marked),
        },
        theme,
        frame,
        area,
    );
}
