//! Column definitions of the Hosts and Instances panes, drawn by the generic table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::table::{self, Column, TableView};
use super::widgets::{bar, status_style, used_of};
use crate::app::model::{Model, TableState};
use crate::config::theme::Theme;
use crate::model::text::{bytes, duration};
use crate::model::{HostRow, InstanceRow, SortKey};

fn text(s: impl Into<String>) -> Line<'static> {
    Line::raw(s.into())
}

fn opt_text(s: Option<&str>, theme: &Theme) -> Line<'static> {
    match s {
        Some(s) if !s.is_empty() => text(s.to_string()),
        _ => Line::styled("–", theme.dim),
    }
}

fn uptime(u: Option<u64>, theme: &Theme) -> Line<'static> {
    match u {
        Some(u) if u > 0 => text(duration(u)),
        _ => Line::styled("–", theme.dim),
    }
}

const HOST_COLUMNS: &[Column<HostRow>] = &[
    Column {
        title: "NODE",
        sort: Some(SortKey::Node),
        width: 12,
        fill: true,
        priority: 0,
        right: false,
        cell: |r, _| text(r.node.clone()),
    },
    Column {
        title: "STATUS",
        sort: Some(SortKey::Status),
        width: 11,
        fill: false,
        priority: 0,
        right: false,
        cell: |r, t| Line::styled(r.status.label(), status_style(r.status.label(), t)),
    },
    Column {
        title: "CPU",
        sort: Some(SortKey::Cpu),
        width: 13,
        fill: false,
        priority: 1,
        right: false,
        cell: |r, t| bar(r.usage.cpu, 8, t),
    },
    Column {
        title: "MEM",
        sort: Some(SortKey::Mem),
        width: 15,
        fill: false,
        priority: 1,
        right: true,
        cell: |r, _| text(used_of(r.usage.mem, r.usage.maxmem)),
    },
    Column {
        title: "ROOT DISK",
        sort: Some(SortKey::Disk),
        width: 15,
        fill: false,
        priority: 3,
        right: true,
        cell: |r, _| text(used_of(r.usage.disk, r.usage.maxdisk)),
    },
    Column {
        title: "LOAD",
        sort: Some(SortKey::Load),
        width: 6,
        fill: false,
        priority: 2,
        right: true,
        cell: |r, t| match r.load {
            Some(l) => text(format!("{l:.2}")),
            None => Line::styled("–", t.dim),
        },
    },
    Column {
        title: "UPTIME",
        sort: Some(SortKey::Uptime),
        width: 8,
        fill: false,
        priority: 3,
        right: true,
        cell: |r, t| uptime(r.uptime, t),
    },
    Column {
        title: "GUESTS",
        sort: Some(SortKey::Guests),
        width: 7,
        fill: false,
        priority: 1,
        right: true,
        cell: |r, _| text(format!("{}/{}", r.guests_running, r.guests_total)),
    },
    Column {
        title: "HA",
        sort: Some(SortKey::Ha),
        width: 11,
        fill: false,
        priority: 4,
        right: false,
        cell: |r, t| match r.ha_lrm.as_deref() {
            Some(s) => Line::styled(s.to_string(), status_style(s, t)),
            None => Line::styled("–", t.dim),
        },
    },
    Column {
        title: "VERSION",
        sort: Some(SortKey::Version),
        width: 8,
        fill: false,
        priority: 4,
        right: false,
        cell: |r, t| opt_text(r.pve_version.as_deref(), t),
    },
];

const INSTANCE_COLUMNS: &[Column<InstanceRow>] = &[
    Column {
        title: "VMID",
        sort: Some(SortKey::Vmid),
        width: 6,
        fill: false,
        priority: 0,
        right: true,
        cell: |r, _| text(r.vmid.to_string()),
    },
    Column {
        title: "NAME",
        sort: Some(SortKey::Name),
        width: 14,
        fill: true,
        priority: 0,
        right: false,
        cell: |r, t| {
            if r.template {
                Line::from(vec![
                    Span::raw(r.name.clone()),
                    Span::styled(" (template)", t.dim),
                ])
            } else {
                text(r.name.clone())
            }
        },
    },
    Column {
        title: "TYPE",
        sort: Some(SortKey::Type),
        width: 4,
        fill: false,
        priority: 1,
        right: false,
        cell: |r, _| text(r.kind.label()),
    },
    Column {
        title: "STATUS",
        sort: Some(SortKey::Status),
        width: 8,
        fill: false,
        priority: 0,
        right: false,
        cell: |r, t| Line::styled(r.status.clone(), status_style(&r.status, t)),
    },
    Column {
        title: "NODE",
        sort: Some(SortKey::Node),
        width: 12,
        fill: false,
        priority: 1,
        right: false,
        cell: |r, _| text(r.node.clone()),
    },
    Column {
        title: "CPU",
        sort: Some(SortKey::Cpu),
        width: 5,
        fill: false,
        priority: 1,
        right: true,
        cell: |r, t| match r.usage.cpu {
            Some(c) if r.status == "running" => text(format!("{:.0}%", c * 100.0)),
            _ => Line::styled("–", t.dim),
        },
    },
    Column {
        title: "MEM",
        sort: Some(SortKey::Mem),
        width: 14,
        fill: false,
        priority: 2,
        right: true,
        cell: |r, _| {
            let used = if r.status == "running" {
                r.usage.mem
            } else {
                None
            };
            text(used_of(used, r.usage.maxmem))
        },
    },
    Column {
        title: "DISK",
        sort: Some(SortKey::Disk),
        width: 9,
        fill: false,
        priority: 3,
        right: true,
        cell: |r, t| match r.usage.maxdisk {
            Some(d) if d > 0 => text(bytes(d)),
            _ => Line::styled("–", t.dim),
        },
    },
    Column {
        title: "UPTIME",
        sort: Some(SortKey::Uptime),
        width: 8,
        fill: false,
        priority: 3,
        right: true,
        cell: |r, t| uptime(r.uptime, t),
    },
    Column {
        title: "TAGS",
        sort: Some(SortKey::Tags),
        width: 14,
        fill: false,
        priority: 4,
        right: false,
        cell: |r, t| {
            if r.tags.is_empty() {
                Line::styled("–", t.dim)
            } else {
                Line::styled(r.tags.join(","), t.info)
            }
        },
    },
    Column {
        title: "HA",
        sort: Some(SortKey::Ha),
        width: 8,
        fill: false,
        priority: 4,
        right: false,
        cell: |r, t| match r.hastate.as_deref() {
            Some(s) => Line::styled(s.to_string(), status_style(s, t)),
            None => Line::styled("–", t.dim),
        },
    },
    Column {
        title: "LOCK",
        sort: Some(SortKey::Lock),
        width: 8,
        fill: false,
        priority: 2,
        right: false,
        cell: |r, t| match r.lock.as_deref() {
            Some(l) => Line::styled(l.to_string(), t.warn),
            None => Line::styled("–", t.dim),
        },
    },
    Column {
        title: "TPL",
        sort: Some(SortKey::Template),
        width: 5,
        fill: false,
        priority: 5,
        right: false,
        cell: |r, t| {
            if r.template {
                text("yes")
            } else {
                Line::styled("–", t.dim)
            }
        },
    },
    Column {
        title: "POOL",
        sort: Some(SortKey::Pool),
        width: 10,
        fill: false,
        priority: 5,
        right: false,
        cell: |r, t| opt_text(r.pool.as_deref(), t),
    },
];

/// ` Hosts(3/5) ‹node:pve1› ` — the pane, rows shown of all, the filter.
fn title<'a>(name: &str, state: &TableState, total: usize, theme: &Theme) -> Line<'a> {
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

fn waiting(model: &Model) -> &'static str {
    match model.cluster().and_then(|c| c.snapshot.as_ref()) {
        None => "connecting…",
        Some(s) if s.resources.data.is_none() => {
            "the cluster has not answered yet (see the status line)"
        }
        Some(_) => "nothing matches the filter (Esc clears it)",
    }
}

pub fn hosts(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let rows = model.cluster().map_or(&[][..], |c| &c.hosts[..]);
    table::draw(
        TableView {
            title: title("Hosts", &model.hosts, rows.len(), theme),
            columns: HOST_COLUMNS,
            rows,
            state: &model.hosts,
            keymap: &model.keymap,
            empty: waiting(model),
        },
        theme,
        frame,
        area,
    );
}

pub fn instances(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let rows = model.cluster().map_or(&[][..], |c| &c.instances[..]);
    let name = match model.kind {
        Some(crate::model::GuestKind::Qemu) => "VMs",
        Some(crate::model::GuestKind::Lxc) => "Containers",
        None => "Instances",
    };
    table::draw(
        TableView {
            title: title(name, &model.instances, rows.len(), theme),
            columns: INSTANCE_COLUMNS,
            rows,
            state: &model.instances,
            keymap: &model.keymap,
            empty: waiting(model),
        },
        theme,
        frame,
        area,
    );
}
