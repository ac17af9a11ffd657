//! The top lines: which cluster, its health at a glance, the panes and how to reach them.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::fact;
use crate::app::model::Model;
use crate::app::pane::Pane;
use crate::config::theme::Theme;

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut lines = vec![summary(model, theme)];
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

fn summary<'a>(model: &'a Model, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled(" rack ", theme.title)];
    let Some(cluster) = model.cluster() else {
        spans.push(Span::styled("no clusters configured", theme.error));
        return Line::from(spans);
    };
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
    spans.push(Span::raw("  "));
    if cluster.snapshot.is_none() {
        spans.push(Span::styled("connecting…", theme.dim));
        return Line::from(spans);
    }
    let s = &cluster.summary;
    match s.quorate {
        Some(true) => spans.push(Span::styled("quorate", theme.ok)),
        Some(false) => spans.push(Span::styled("NO QUORUM", theme.error)),
        None => spans.push(Span::styled("quorum ?", theme.dim)),
    }
    spans.push(Span::raw("  "));
    let nodes_style = if s.nodes_online < s.nodes_total {
        theme.warn
    } else {
        theme.base
    };
    spans.push(Span::styled("nodes ", theme.dim));
    spans.push(Span::styled(
        format!("{}/{}", s.nodes_online, s.nodes_total),
        nodes_style,
    ));
    if s.nodes_maintenance > 0 {
        spans.push(Span::styled(
            format!(" ({} maint)", s.nodes_maintenance),
            theme.warn,
        ));
    }
    spans.push(Span::raw("  "));
    spans.extend(fact(
        "guests",
        format!("{}/{}", s.guests_running, s.guests_total),
        theme,
    ));
    if let Some(ceph) = &s.ceph {
        let (text, style) = match ceph.as_str() {
            "HEALTH_OK" => ("OK", theme.ok),
            "HEALTH_WARN" => ("WARN", theme.warn),
            "HEALTH_ERR" => ("ERR", theme.error),
            other => (other, theme.warn),
        };
        spans.push(Span::styled("ceph ", theme.dim));
        spans.push(Span::styled(text.to_string(), style));
        spans.push(Span::raw("  "));
    }
    if s.ha.services > 0 {
        spans.push(Span::styled("HA ", theme.dim));
        let quorum_ok = s.ha.quorum.as_deref().is_none_or(|q| q == "OK");
        if s.ha.troubled > 0 || !quorum_ok {
            spans.push(Span::styled(
                format!("{} svc, {} in trouble", s.ha.services, s.ha.troubled),
                theme.error,
            ));
        } else {
            spans.push(Span::raw(format!("{} svc", s.ha.services)));
        }
        spans.push(Span::raw("  "));
    }
    if let Some(version) = &s.version {
        spans.extend(fact("PVE", version.clone(), theme));
    }
    Line::from(spans)
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
    Line::from(spans)
}
