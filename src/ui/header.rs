//! The top lines: which cluster, its health at a glance, the panes and how to reach them.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::action::Pane;
use crate::config::theme::Theme;
use crate::console::fleet;
use crate::console::model::ClusterView;
use crate::console::model::Model;
use crate::model::Summary;
use crate::model::ha::Votes;
use crate::model::text::clean;

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut lines = vec![summary(model, theme, area.width)];
    if let Some(path) = &model.simulated {
        let mut text = format!(" a demo cluster · for a real one write {path}");
        if usize::from(area.width) >= text.len() + 40 {
            text.push_str(" (see config.example.toml)");
        }
        lines.push(Line::from(vec![
            Span::styled(" SIMULATED ", theme.selected),
            Span::styled(text, theme.warn),
        ]));
    }
    lines.push(tabs(model, theme));
    frame.render_widget(Paragraph::new(lines), area);
}

/// The cluster's name and its health at a glance. Facts that do not fit the width are left out,
/// the least telling first (version, HA master, votes, guests).
fn summary<'a>(model: &'a Model, theme: &Theme, width: u16) -> Line<'a> {
    let mut spans = vec![Span::styled(" rack ", theme.title)];
    let Some(cluster) = model.cluster() else {
        spans.push(Span::styled("no clusters configured", theme.error));
        return Line::from(spans);
    };
    if model.all {
        return fleet(model, theme, width, spans);
    }
    spans.push(Span::styled(cluster.name.as_str(), theme.accent));
    if model.clusters.len() > 1 {
        spans.push(Span::styled(
            format!(" [{}/{}]", model.current + 1, model.clusters.len()),
            theme.dim,
        ));
    }
    if cluster.read_only {
        spans.push(Span::styled(" read-only", theme.warn));
    }
    if cluster.snapshot.is_none() {
        spans.push(Span::styled("  connecting…", theme.dim));
        return Line::from(spans);
    }
    let s = &cluster.summary;
    // (priority: lower is kept longer, spans)
    let mut facts: Vec<(u8, Vec<Span<'a>>)> = Vec::new();
    facts.push((0, vec![quorum(s.quorate, theme)]));
    if let Some(v) = s.votes {
        let style = votes_style(v, theme);
        let mut text = format!("{}/{}", v.present, v.expected);
        if v.present < v.expected {
            text.push_str(&format!(" (needs {})", v.needed()));
        }
        let priority = if v.present < v.expected { 1 } else { 2 };
        facts.push((
            priority,
            vec![Span::styled("votes ", theme.dim), Span::styled(text, style)],
        ));
    }
    let nodes_style = if s.nodes_online < s.nodes_total {
        theme.warn
    } else {
        theme.base
    };
    let mut nodes = vec![
        Span::styled("nodes ", theme.dim),
        Span::styled(format!("{}/{}", s.nodes_online, s.nodes_total), nodes_style),
    ];
    if s.nodes_maintenance > 0 {
        nodes.push(Span::styled(
            format!(" ({} maint)", s.nodes_maintenance),
            theme.warn,
        ));
    }
    facts.push((0, nodes));
    facts.push((
        1,
        labelled(
            "guests",
            format!("{}/{}", s.guests_running, s.guests_total),
            theme,
        ),
    ));
    if let Some(ceph) = &s.ceph {
        let (text, style) = match ceph.as_str() {
            "HEALTH_OK" => ("OK", theme.ok),
            "HEALTH_WARN" => ("WARN", theme.warn),
            "HEALTH_ERR" => ("ERR", theme.error),
            other => (other, theme.warn),
        };
        // Not read again: the last state, marked as such, never a green OK that may be old.
        let (text, style) = if s.ceph_stale {
            (format!("{text}? (stale)"), theme.warn)
        } else {
            (text.to_string(), style)
        };
        facts.push((
            0,
            vec![Span::styled("ceph ", theme.dim), Span::styled(text, style)],
        ));
    }
    if s.ha.services > 0 {
        let mut ha = vec![Span::styled("HA ", theme.dim)];
        let quorum_ok = s.ha.quorum.as_deref().is_none_or(|q| q == "OK");
        if s.ha.troubled > 0 || !quorum_ok {
            let what = s.ha.trouble.as_deref().unwrap_or("in trouble");
            ha.push(Span::styled(
                format!("{} svc, {} {what}", s.ha.services, s.ha.troubled),
                theme.error,
            ));
        } else {
            ha.push(Span::raw(format!("{} svc", s.ha.services)));
        }
        facts.push((0, ha));
        if let Some(master) = &s.ha.master {
            facts.push((3, labelled("master", master.clone(), theme)));
        }
    }
    if let Some(version) = &s.version {
        facts.push((4, labelled("PVE", version.clone(), theme)));
    }
    let used: usize = spans.iter().map(Span::width).sum();
    let mut room = usize::from(width).saturating_sub(used);
    let mut keep = vec![false; facts.len()];
    let mut order: Vec<usize> = (0..facts.len()).collect();
    order.sort_by_key(|&i| facts[i].0);
    for i in order {
        let need = 2 + facts[i].1.iter().map(Span::width).sum::<usize>();
        if need <= room || facts[i].0 == 0 {
            room = room.saturating_sub(need);
            keep[i] = true;
        }
    }
    for (i, (_, fact)) in facts.into_iter().enumerate() {
        if keep[i] {
            spans.push(Span::raw("  "));
            spans.extend(fact);
        }
    }
    Line::from(spans)
}

/// The all view's line: the fleet's nodes and guests summed (a cluster that cannot be read
/// counts as last read), then the clusters in trouble with what is wrong, cut with `…`.
fn fleet<'a>(model: &'a Model, theme: &Theme, width: u16, mut spans: Vec<Span<'a>>) -> Line<'a> {
    let n = model.clusters.len();
    spans.push(Span::styled(
        format!("all {n} cluster{}", if n == 1 { "" } else { "s" }),
        theme.accent,
    ));
    let read: Vec<&ClusterView> = model
        .clusters
        .iter()
        .filter(|c| c.snapshot.is_some())
        .collect();
    let sum = |f: fn(&Summary) -> usize| -> usize { read.iter().map(|c| f(&c.summary)).sum() };
    let (online, total) = (sum(|s| s.nodes_online), sum(|s| s.nodes_total));
    let nodes_style = if online < total {
        theme.warn
    } else {
        theme.base
    };
    spans.push(Span::raw("  "));
    spans.push(Span::styled("nodes ", theme.dim));
    spans.push(Span::styled(format!("{online}/{total}"), nodes_style));
    // A cluster that cannot be read counts as last read: said, not passed off as current.
    let as_last_read: usize = read
        .iter()
        .filter(|c| c.stale())
        .map(|c| c.summary.nodes_total)
        .sum();
    if as_last_read > 0 {
        spans.push(Span::styled(
            format!(" ({as_last_read} as last read)"),
            theme.warn,
        ));
    }
    spans.push(Span::raw("  "));
    spans.extend(labelled(
        "guests",
        format!("{}/{}", sum(|s| s.guests_running), sum(|s| s.guests_total)),
        theme,
    ));
    let troubled = fleet::troubled(model);
    let all_read = model.clusters.iter().all(|c| c.snapshot.is_some());
    if troubled.is_empty() && all_read {
        spans.push(Span::styled("  all well", theme.ok));
    } else if troubled.is_empty() {
        spans.push(Span::styled("  connecting…", theme.dim));
    } else {
        let words: Vec<String> = troubled
            .iter()
            .map(|(name, what)| format!("{} {}", clean(name), clean(what)))
            .collect();
        spans.push(Span::raw("  "));
        spans.push(Span::styled(format!("▲ {}", words.join(" · ")), theme.warn));
    }
    super::widgets::fit([Line::from(spans)], width)
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// Quorate, NO QUORUM, or not known yet.
pub(super) fn quorum<'a>(quorate: Option<bool>, theme: &Theme) -> Span<'a> {
    match quorate {
        Some(true) => Span::styled("quorate", theme.ok),
        Some(false) => Span::styled("NO QUORUM", theme.error),
        None => Span::styled("quorum ?", theme.dim),
    }
}

/// Votes in red without quorum, in yellow down to the last vote it can lose: worth seeing
/// before the next node goes.
pub(super) fn votes_style(v: Votes, theme: &Theme) -> ratatui::style::Style {
    if v.spare() < 0 {
        theme.error
    } else if v.at_edge() {
        theme.warn
    } else {
        theme.base
    }
}

fn labelled<'a>(label: &'a str, value: String, theme: &Theme) -> Vec<Span<'a>> {
    vec![
        Span::styled(label, theme.dim),
        Span::raw(" "),
        Span::raw(value),
    ]
}

fn tabs<'a>(model: &Model, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::raw(" ")];
    for pane in Pane::ALL {
        let style = if pane == model.pane {
            theme.selected
        } else {
            theme.dim
        };
        spans.push(Span::styled(
            format!(" {} {} ", pane.number(), pane.title()),
            style,
        ));
    }
    // A pane opened by name (`:audit`) shows as a tab while it is open.
    if !Pane::ALL.contains(&model.pane) {
        spans.push(Span::styled(
            format!(" {} ", model.pane.title()),
            theme.selected,
        ));
    }
    Line::from(spans)
}
