//! The HA pane: quorum, votes, the CRM master and fencing on top; each node's LRM, each service
//! and each rule below, trouble first; the detail says what a row means and what it binds.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::table::{self, Column, TableView};
use super::widgets::status_style;
use crate::action::SortKey;
use crate::config::theme::Theme;
use crate::console::layout::HA_SUMMARY_ROWS as SUMMARY_ROWS;
use crate::console::model::Model;
use crate::model::ha::{HaConfig, HaKind, HaRow, Standing};
use crate::model::text::clean;

type HaColumn = Column<HaRow>;

fn standing_style(s: Standing, t: &Theme) -> ratatui::style::Style {
    match s {
        Standing::Trouble => t.error,
        Standing::Busy => t.warn,
        Standing::Fine => t.base,
        Standing::Off => t.dim,
    }
}

pub const HA_COLUMNS: &[HaColumn] = &[
    HaColumn::new(SortKey::Type, 7, 0, |r, t| {
        Line::styled(r.kind.label(), t.dim)
    }),
    HaColumn::new(SortKey::Name, 18, 0, |r, t| {
        if r.standing == Standing::Trouble {
            Line::styled(format!("▲ {}", r.name), t.error)
        } else {
            Line::styled(r.name.clone(), standing_style(r.standing, t))
        }
    }),
    HaColumn::new(SortKey::Status, 11, 0, |r, t| {
        Line::styled(r.state.clone(), status_style(&r.state, t))
    }),
    HaColumn::new(SortKey::Node, 13, 1, |r, t| match &r.node {
        Some(n) => Line::raw(n.clone()),
        None => Line::styled("", t.dim),
    }),
    HaColumn::new(SortKey::Vmid, 16, 2, |r, t| match &r.guest {
        Some(g) => Line::raw(g.clone()),
        None => Line::styled("", t.dim),
    }),
    HaColumn::new(SortKey::Info, 20, 1, |r, t| match r.problems.first() {
        Some(p) => Line::styled(p.clone(), standing_style(r.standing, t)),
        None => Line::styled(r.info.clone(), t.dim),
    })
    .fill(),
];

pub fn pane(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let [top, rest] =
        Layout::vertical([Constraint::Length(SUMMARY_ROWS), Constraint::Fill(1)]).areas(area);
    let lines = super::widgets::fit(summary(model, theme), top.width);
    frame.render_widget(Paragraph::new(lines), top);
    let source = model.snapshot().map(|s| &s.ha);
    let empty = match super::panes::empty_text(
        source,
        &model.ha,
        "reading the HA status…",
        "the HA status could not be read (see the status line)",
        "",
    ) {
        "" => {
            "no HA resources: ha-manager add vm:VMID (or the web UI's HA panel) puts a guest under HA"
        }
        text => text,
    };
    table::draw(
        TableView {
            title: super::panes::read_title::<HaConfig>(
                &super::panes::pane_name(model, "HA"),
                &model.ha,
                model.ha.rows.len(),
                model.snapshot().map(|s| &s.ha_config),
                None,
                model.now,
                theme,
            ),
            columns: &table::fleet_columns(model.cluster_column(), HA_COLUMNS, |r, t| {
                table::cluster_cell(&r.cluster, false, t)
            }),
            rows: &model.ha.rows,
            state: &model.ha,
            keymap: &model.keymap,
            empty,
            marked: None,
        },
        theme,
        frame,
        rest,
    );
}

/// Quorum with votes, the CRM master and fencing; then services counted by state and rules.
fn summary<'a>(model: &'a Model, theme: &Theme) -> Vec<Line<'a>> {
    let Some(cluster) = model.cluster().filter(|c| c.snapshot.is_some()) else {
        return vec![Line::styled(" connecting…", theme.dim)];
    };
    let s = &cluster.summary;
    let mut first = vec![Span::raw(" ")];
    // In the all view the summary is the selected row's cluster's: named.
    if model.all {
        first.push(Span::styled(
            format!("{}: ", clean(&cluster.name)),
            theme.accent,
        ));
    }
    first.push(super::header::quorum(s.quorate, theme));
    if let Some(v) = s.votes {
        first.push(Span::styled(" · votes ", theme.dim));
        first.push(Span::styled(
            format!("{}/{}, quorum needs {}", v.present, v.expected, v.needed()),
            super::header::votes_style(v, theme),
        ));
        if v.at_edge() {
            first.push(Span::styled(" (none to spare)", theme.warn));
        }
    }
    if let Some(q) = s.ha.quorum.as_deref().filter(|q| *q != "OK") {
        first.push(Span::styled(format!(" · HA: {q}"), theme.error));
    }
    if let Some(m) = &s.ha.master {
        first.push(Span::styled(" · CRM master ", theme.dim));
        first.push(Span::raw(m.clone()));
    }
    if let Some(f) = &s.ha.fencing {
        first.push(Span::styled(" · fencing ", theme.dim));
        first.push(Span::styled(f.clone(), status_style(f, theme)));
    }
    let mut second = vec![Span::styled(" services ", theme.dim)];
    let mut states: Vec<(String, usize)> = Vec::new();
    let mut rules = (0, 0);
    for l in model.ha.rows.iter().filter(|l| l.cluster == cluster.name) {
        match l.kind {
            HaKind::Service => match states.iter_mut().find(|(s, _)| *s == l.state) {
                Some((_, n)) => *n += 1,
                None => states.push((l.state.clone(), 1)),
            },
            HaKind::Rule => {
                rules.0 += 1;
                rules.1 += usize::from(l.state == "disabled");
            }
            HaKind::Node => {}
        }
    }
    if states.is_empty() {
        second.push(Span::styled("none", theme.dim));
    }
    states.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (i, (state, n)) in states.iter().enumerate() {
        if i > 0 {
            second.push(Span::raw(", "));
        }
        second.push(Span::styled(
            format!("{n} {state}"),
            status_style(state, theme),
        ));
    }
    if let Some(config) = model.snapshot().map(|s| &s.ha_config) {
        match config.get().map(|c| &c.rules) {
            Some(Ok(_)) => {
                second.push(Span::styled(" · rules ", theme.dim));
                let mut text = rules.0.to_string();
                if rules.1 > 0 {
                    text.push_str(&format!(" ({} disabled)", rules.1));
                }
                second.push(Span::raw(text));
            }
            Some(Err(e)) => second.push(Span::styled(
                format!(" · rules not read: {}", clean(e)),
                theme.dim,
            )),
            None => {}
        }
    }
    vec![Line::from(first), Line::from(second)]
}

pub fn detail(model: &Model, line: &HaRow, theme: &Theme, frame: &mut Frame, area: Rect) {
    let inner = super::detail::framed(
        frame,
        area,
        vec![Span::styled(
            format!(" {} {} ", line.kind.label(), line.name),
            theme.title,
        )],
        theme,
    );
    let mut lines: Vec<Line> = line
        .problems
        .iter()
        .map(|p| Line::styled(format!("▲ {p}"), standing_style(line.standing, theme)))
        .collect();
    let mut head = vec![
        Span::styled("state ", theme.dim),
        Span::styled(line.state.clone(), status_style(&line.state, theme)),
    ];
    if let Some(n) = &line.node {
        head.push(Span::styled("  on ", theme.dim));
        head.push(Span::raw(n.clone()));
    }
    if let Some(g) = &line.guest {
        head.push(Span::styled("  guest ", theme.dim));
        head.push(Span::raw(g.clone()));
    }
    lines.push(Line::from(head));
    for (label, value) in &line.facts {
        lines.push(Line::from(vec![
            Span::styled(format!("{label:<13}"), theme.dim),
            Span::raw(value.clone()),
        ]));
    }
    lines.push(Line::from(""));
    let heading = match line.kind {
        HaKind::Node => "services on it",
        HaKind::Service => "rules that bind it",
        HaKind::Rule => "services it binds",
    };
    lines.push(Line::styled(heading, theme.title));
    if line.related.is_empty() {
        lines.push(Line::styled("none", theme.dim));
    }
    // Each related row as the pane lists it: its state and where it is.
    for name in &line.related {
        let kind = match line.kind {
            HaKind::Service => HaKind::Rule,
            _ => HaKind::Service,
        };
        let other = model
            .ha
            .rows
            .iter()
            .find(|l| l.kind == kind && l.name == *name);
        let mut spans = vec![Span::raw(format!("{name:<18} "))];
        if let Some(o) = other {
            spans.push(Span::styled(
                format!("{:<10} ", o.state),
                status_style(&o.state, theme),
            ));
            if let Some(n) = &o.node {
                spans.push(Span::raw(format!("{n} ")));
            }
            if let Some(g) = &o.guest {
                spans.push(Span::styled(g.clone(), theme.dim));
            }
            if kind == HaKind::Rule {
                spans.push(Span::styled(o.info.clone(), theme.dim));
            }
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
