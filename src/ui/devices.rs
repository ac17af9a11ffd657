//! The devices pane: each resource mapping's devices per node — free, held by a running guest, or
//! missing — and the GPUs and accelerators no mapping covers; the detail says who claims a pool
//! and how to pool a device.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::table::{self, Column, TableView};
use crate::action::SortKey;
use crate::config::theme::Theme;
use crate::console::model::Model;
use crate::model::devices::{Bus, DeviceRow};
use crate::model::text;

type DeviceColumn = Column<DeviceRow>;

fn state_cell(r: &DeviceRow, t: &Theme) -> Line<'static> {
    let style = match (&r.holder, r.present, &r.pool) {
        (Some(_), _, _) => t.info,
        (None, _, _) if r.unknown.is_some() => t.warn,
        (None, false, Some(_)) => t.error,
        (None, _, None) => t.warn,
        (None, true, Some(_)) => t.ok,
    };
    Line::styled(r.state(), style)
}

pub const DEVICE_COLUMNS: &[Column<DeviceRow>] = &[
    DeviceColumn::new(SortKey::Pool, 10, 0, |r, t| match &r.pool {
        Some(p) => Line::raw(p.clone()),
        None => Line::styled("(none)", t.warn),
    }),
    DeviceColumn::new(SortKey::Type, 7, 1, |r, _| Line::raw(r.class.to_string())),
    DeviceColumn::new(SortKey::Node, 12, 0, |r, _| Line::raw(r.node.clone())),
    DeviceColumn::new(SortKey::Status, 36, 0, state_cell).fill(),
    DeviceColumn::new(SortKey::Name, 24, 3, |r, _| Line::raw(r.name.clone())).fill(),
    DeviceColumn::new(SortKey::Path, 12, 2, |r, _| Line::raw(r.path.clone())),
    DeviceColumn::new(SortKey::Vmid, 9, 4, |r, _| Line::raw(r.id.clone())),
    DeviceColumn::new(SortKey::Iommu, 7, 5, |r, t| match r.iommu_group {
        Some(g) => Line::raw(g.to_string()),
        None => Line::styled("–", t.dim),
    })
    .right(),
    DeviceColumn::new(SortKey::Tags, 9, 5, |r, t| {
        let mut flags = Vec::new();
        if r.mdev {
            flags.push("mdev");
        }
        if r.live_migration {
            flags.push("live");
        }
        Line::styled(flags.join(","), t.dim)
    }),
];

pub fn pane(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let rows = &model.devices.rows[..];
    let source = model.snapshot().map(|s| &s.devices);
    let empty = super::panes::empty_text(
        source,
        &model.devices,
        "reading mappings and hardware…",
        "the devices could not be read (see the status line)",
        "no resource mappings and no GPUs or accelerators on any node",
    );
    table::draw(
        TableView {
            title: super::panes::read_title(
                &super::panes::pane_name(model, "Devices"),
                &model.devices,
                rows.len(),
                source,
                source.and_then(|s| s.get()).map(|d| &d.partial),
                model.now,
                theme,
            ),
            columns: &table::fleet_columns(model.cluster_column(), DEVICE_COLUMNS, |r, t| {
                table::cluster_cell(&r.cluster, false, t)
            }),
            rows,
            state: &model.devices,
            keymap: &model.keymap,
            empty,
            marked: None,
        },
        theme,
        frame,
        area,
    );
}

/// The selected device: its facts, the pool's other claims, and for unpooled hardware the way to
/// make it a pool.
pub fn detail(model: &Model, line: &DeviceRow, theme: &Theme, frame: &mut Frame, area: Rect) {
    let title = match &line.pool {
        Some(p) => format!(" pool {p} · {} on {} ", line.path, line.node),
        None => format!(" {} on {} (no mapping) ", line.path, line.node),
    };
    let inner = super::detail::framed(frame, area, vec![Span::styled(title, theme.title)], theme);
    let mut lines = vec![Line::from(vec![
        Span::styled("device  ", theme.dim),
        Span::raw(line.name.clone()),
    ])];
    let mut facts = super::fact("id", line.id.clone(), theme);
    facts.extend(super::fact("class", line.class.to_string(), theme));
    facts.extend(super::fact(
        "bus",
        if line.bus == Bus::Pci { "PCI" } else { "USB" }.to_string(),
        theme,
    ));
    if let Some(s) = &line.subsystem {
        facts.extend(super::fact("subsystem", s.clone(), theme));
    }
    if let Some(g) = line.iommu_group {
        facts.extend(super::fact("IOMMU group", g.to_string(), theme));
    }
    lines.push(Line::from(facts));
    if !line.description.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("pool    ", theme.dim),
            Span::raw(line.description.clone()),
        ]));
    }
    let mut caps = Vec::new();
    if line.mdev {
        caps.push("mediated devices (mdev)");
    }
    if line.live_migration {
        caps.push("live migration");
    }
    if !caps.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("can     ", theme.dim),
            Span::raw(caps.join(", ")),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled("state   ", theme.dim),
        state_cell(line, theme)
            .spans
            .into_iter()
            .next()
            .unwrap_or_default(),
    ]));
    if !line.claims.is_empty() {
        let names: Vec<String> = line.claims.iter().map(|c| c.label()).collect();
        lines.push(Line::from(vec![
            Span::styled("claims  ", theme.dim),
            Span::raw(format!(
                "{} (stopped, configured with this pool: each takes a device when it starts)",
                names.join(", ")
            )),
        ]));
    }
    if line.pool.is_none() {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            "Not in any resource mapping, so rack does not place guests on it. To pool it:",
            theme.warn,
        ));
        let (kind, what) = match line.bus {
            Bus::Pci => ("pci", format!("path={},id={}", line.path, line.id)),
            Bus::Usb => ("usb", format!("id={}", line.id)),
        };
        lines.push(Line::styled(
            format!(
                "  pvesh create /cluster/mapping/{kind} --id NAME --map node={},{what}",
                line.node
            ),
            theme.dim,
        ));
        lines.push(Line::styled(
            "  (or Datacenter → Resource Mappings in the web UI)",
            theme.dim,
        ));
    }
    if let Some(data) = model.snapshot().and_then(|s| s.devices.get()) {
        let notes: Vec<String> = data
            .problems
            .iter()
            .cloned()
            .chain(data.partial.lines(model.now))
            .collect();
        if !notes.is_empty() {
            lines.push(Line::from(""));
        }
        for p in notes {
            lines.push(Line::styled(format!("▲ {}", text::clean(&p)), theme.warn));
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
