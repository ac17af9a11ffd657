//! The networks pane: one row per bridge, VLAN, bond, NIC, SDN zone and vnet across the nodes,
//! with how many nodes have it, its MTU, the guest NICs on it and what is inconsistent; the
//! detail gives it per node and lists the guests attached.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::table::{self, Column, TableView};
use crate::action::SortKey;
use crate::config::theme::Theme;
use crate::console::model::Model;
use crate::model::networks::{NetworkRow, guests_text, nodes_text};
use crate::model::text::clean;

type NetColumn = Column<NetworkRow>;

/// `3/3`, or the count in the warning colour when some answering node lacks it.
fn nodes_cell(r: &NetworkRow, t: &Theme) -> Line<'static> {
    let text = nodes_text(r);
    if (r.missing.is_empty() && r.unknown.is_empty()) || r.kind == "nic" {
        Line::raw(text)
    } else {
        Line::styled(text, t.warn)
    }
}

pub const NET_COLUMNS: &[NetColumn] = &[
    NetColumn::new(SortKey::Type, 6, 0, |r, t| {
        Line::styled(r.kind.clone(), t.dim)
    }),
    NetColumn::new(SortKey::Name, 14, 0, |r, t| {
        if r.problems.is_empty() {
            Line::raw(r.name.clone())
        } else {
            Line::styled(format!("▲ {}", r.name), t.warn)
        }
    }),
    NetColumn::new(SortKey::Node, 5, 1, nodes_cell).right(),
    NetColumn::new(SortKey::Mtu, 9, 2, |r, t| {
        let text = r.mtu_text();
        if text.contains('/') {
            Line::styled(text, t.error)
        } else {
            Line::raw(text)
        }
    })
    .number(),
    NetColumn::new(SortKey::Guests, 6, 2, |r, t| {
        if r.guests == 0 && !r.uncertain() {
            Line::styled("–", t.dim)
        } else {
            Line::raw(guests_text(r))
        }
    })
    .right(),
    NetColumn::new(SortKey::Info, 20, 1, |r, t| match r.problems.first() {
        Some(p) => Line::styled(p.clone(), t.warn),
        None => Line::raw(r.info.clone()),
    })
    .fill(),
];

pub fn pane(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let source = model.snapshot().map(|s| &s.networks);
    let empty = super::panes::empty_text(
        source,
        &model.networks,
        "reading interfaces and SDN…",
        "the networks could not be read (see the status line)",
        "no interfaces",
    );
    table::draw(
        TableView {
            title: super::panes::read_title(
                &super::panes::pane_name(model, "Networks"),
                &model.networks,
                model.networks.rows.len(),
                source,
                source.and_then(|s| s.get()).map(|d| &d.partial),
                model.now,
                theme,
            ),
            columns: NET_COLUMNS,
            rows: &model.networks.rows,
            state: &model.networks,
            keymap: &model.keymap,
            empty,
            marked: None,
        },
        theme,
        frame,
        area,
    );
}

pub fn detail(model: &Model, line: &NetworkRow, theme: &Theme, frame: &mut Frame, area: Rect) {
    let inner = super::detail::framed(
        frame,
        area,
        vec![Span::styled(
            format!(" {} {} ", line.kind, line.name),
            theme.title,
        )],
        theme,
    );
    let mut lines: Vec<Line> = line
        .problems
        .iter()
        .map(|p| Line::styled(format!("▲ {p}"), theme.warn))
        .collect();
    if !line.info.is_empty() {
        lines.push(Line::from(line.info.clone()));
    }
    let data = model.snapshot().and_then(|s| s.networks.get());
    // Per node: address, MTU, state.
    if let Some(d) = data {
        for n in &d.nodes {
            let found = n
                .ifaces
                .as_ref()
                .ok()
                .and_then(|list| list.iter().find(|i| i.iface == line.name));
            let spans = match (&n.ifaces, found) {
                (Err(e), _) => vec![Span::styled(
                    format!("cannot read: {}: unknown", clean(e)),
                    theme.warn,
                )],
                (Ok(_), None) if line.kind == "zone" || line.kind == "vnet" => continue,
                (Ok(_), None) => vec![Span::styled("—", theme.dim)],
                (Ok(_), Some(i)) => {
                    let mut s = vec![Span::styled(
                        if i.active { "up " } else { "down " },
                        if i.active { theme.ok } else { theme.error },
                    )];
                    s.push(Span::raw(format!("mtu {} ", i.mtu.unwrap_or(1500))));
                    if let Some(c) = &i.cidr {
                        s.push(Span::raw(format!("{c} ")));
                    }
                    if let Some(g) = &i.gateway {
                        s.push(Span::styled(format!("gw {g} "), theme.dim));
                    }
                    if let Some(p) = &i.ports {
                        s.push(Span::styled(format!("ports {p}"), theme.dim));
                    }
                    s
                }
            };
            let mut row = vec![Span::styled(format!("{:<14}", n.node), theme.dim)];
            row.extend(spans);
            lines.push(Line::from(row));
        }
        for off in &d.offline {
            lines.push(Line::from(vec![
                Span::styled(format!("{off:<14}"), theme.dim),
                Span::styled("offline: unknown", theme.warn),
            ]));
        }
        lines.push(Line::from(""));
        match &d.attachments {
            None => lines.push(Line::styled(
                "guest NICs not counted (too many guests to read every config)",
                theme.dim,
            )),
            Some(list) => {
                let on: Vec<_> = list.iter().filter(|a| a.bridge == line.name).collect();
                if on.is_empty() {
                    lines.push(Line::styled("no guest NICs attached", theme.dim));
                }
                for a in on {
                    let vlan = a
                        .vlan
                        .as_ref()
                        .map(|v| format!(" VLAN {v}"))
                        .unwrap_or_default();
                    lines.push(Line::from(vec![
                        Span::raw(format!("{:>5} {:<16}", a.vmid, a.name)),
                        Span::styled(format!(" {} on {}{vlan}", a.key, a.node), theme.dim),
                    ]));
                }
            }
        }
        for p in &d.problems {
            lines.push(Line::styled(format!("▲ {p}"), theme.warn));
        }
        // What this row could not take into account, and what is shown as last read.
        for s in d.partial.iter() {
            let text = s.text(model.now);
            let style = if line.stale.contains(&s.part) {
                theme.warn
            } else {
                theme.dim
            };
            lines.push(Line::styled(format!("▲ {}", clean(&text)), style));
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
