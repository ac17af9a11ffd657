//! The bottom line: per cluster, how old the data is, how many requests a minute, errors — or the
//! command line and the filter while they are typed into.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::action::Action;
use crate::config::theme::Theme;
use crate::console::model::{Input, Level, Model};
use crate::console::update;
use crate::model::text::{self, clean, duration};

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let (prompt, text_area) = match &model.input {
        Input::Filter(a) => ("/", a),
        Input::Command(a) => (":", a),
        Input::None => {
            let line = super::widgets::fit([clusters(model, theme)], area.width);
            frame.render_widget(Paragraph::new(line), area);
            return;
        }
    };
    let [p, rest] = Layout::horizontal([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    frame.render_widget(Span::styled(prompt, theme.accent), p);
    let mut field = text_area.as_ref().clone();
    field.set_style(theme.base);
    field.set_cursor_line_style(theme.base);
    field.set_cursor_style(theme.selected);
    frame.render_widget(&field, rest);
}

/// One entry per cluster: `● name 2s 91/min` or `▲ name stale 40s: resources: …`.
fn clusters<'a>(model: &'a Model, theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    for (i, cluster) in model.clusters.iter().enumerate() {
        let current = i == model.current;
        let name_style = if current { theme.accent } else { theme.base };
        let Some(snap) = &cluster.snapshot else {
            spans.push(Span::styled("○ ", theme.dim));
            spans.push(Span::styled(cluster.name.as_str(), name_style));
            spans.push(Span::styled(" connecting…  ", theme.dim));
            continue;
        };
        // Error texts carry what servers said; they are cleaned like any other API string.
        let mut errors: Vec<String> = snap.errors().iter().map(|e| clean(e)).collect();
        let pane_stale = if current {
            snap.pane_stale(update::focus(model, i).pane)
        } else {
            None
        };
        let age = snap
            .data_age(model.now)
            .map_or_else(|| "never".to_string(), |d| duration(d.as_secs()));
        if snap.resources.data.is_none() && !errors.is_empty() {
            spans.push(Span::styled("✕ ", theme.error));
            spans.push(Span::styled(cluster.name.as_str(), name_style));
            spans.push(Span::styled(
                format!(" unreachable: {}  ", errors.join("; ")),
                theme.error,
            ));
            continue;
        }
        // The open pane's read not current is said too: its title tells the rest.
        errors.extend(pane_stale.map(|p| clean(&format!("{p} (see the pane)"))));
        if errors.is_empty() {
            spans.push(Span::styled("● ", theme.ok));
        } else {
            spans.push(Span::styled("▲ ", theme.warn));
        }
        spans.push(Span::styled(cluster.name.as_str(), name_style));
        // Credentials cross the network in the clear: said for as long as it is so.
        let serving = snap.stats.endpoint.as_str();
        if serving.starts_with("http://")
            || (serving.is_empty() && cluster.endpoints.iter().any(|e| e.starts_with("http://")))
        {
            spans.push(Span::styled(" PLAIN HTTP", theme.error));
        }
        spans.push(Span::styled(format!(" {age}"), theme.dim));
        // The first endpoint did not answer: which one serves the cluster now.
        let serving = snap.stats.endpoint.as_str();
        if !serving.is_empty() && cluster.endpoints.first().is_some_and(|e| e != serving) {
            spans.push(Span::styled(
                format!(" via {}", text::clean(serving)),
                theme.warn,
            ));
        }
        spans.push(Span::styled(
            format!(" {:.0}/min", snap.stats.requests_per_minute),
            theme.dim,
        ));
        if snap.stats.errors > 0 {
            spans.push(Span::styled(
                format!(" {} err", snap.stats.errors),
                theme.warn,
            ));
        }
        // A maintenance walkthrough on the cluster: where it stands, with its view closed.
        if let Some((words, trouble)) = super::walkthrough::status_words(cluster) {
            let style = if trouble { theme.error } else { theme.warn };
            spans.push(Span::styled(format!(" · {words}"), style));
        }
        if !errors.is_empty() {
            spans.push(Span::styled(
                format!(" stale: {}", errors.join("; ")),
                theme.warn,
            ));
        }
        spans.push(Span::raw("  "));
    }
    let hint = model
        .keymap
        .keys_for(&Action::Help)
        .first()
        .map(|k| format!("{k} help"));
    if let Some(hint) = hint {
        spans.push(Span::styled(hint, theme.dim));
    }
    Line::from(spans)
}

pub fn notice(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    // Failed actions first: they stay until seen (Esc, or the tasks pane).
    let mut spans: Vec<Span> = Vec::new();
    for job in model.alerts.iter().filter_map(|id| model.job(*id)) {
        let why = job.error().unwrap_or("failed");
        spans.push(Span::styled(
            format!("✗ {}: {why}", job.request.describe()),
            theme.error,
        ));
        spans.push(Span::raw("  "));
    }
    if !model.alerts.is_empty() {
        spans.push(Span::styled("(Esc: seen, 7: tasks)  ", theme.dim));
    }
    let notices: Vec<Span> = model
        .notices
        .iter()
        .flat_map(|n| {
            let style = match n.level {
                Level::Info => theme.info,
                Level::Warn => theme.warn,
                Level::Error => theme.error,
            };
            // Notices quote what servers and commands said: cleaned like any API string.
            [Span::styled(clean(&n.text), style), Span::raw("  ")]
        })
        .collect();
    spans.extend(notices);
    let line = super::widgets::fit([Line::from(spans)], area.width);
    frame.render_widget(Paragraph::new(line), area);
}
