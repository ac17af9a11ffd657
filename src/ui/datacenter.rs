//! The whole cluster's last hour under the Hosts table: CPU of all threads, memory, and network
//! in and out, summed over the nodes — where a large enough terminal leaves room for it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::widgets::{series, size};
use crate::config::theme::Theme;
pub use crate::console::layout::chart_rows as rows;
use crate::console::model::Model;
use crate::model::text;

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let source = model.snapshot().map(|s| &s.cluster_rrd);
    let history = source.and_then(|s| s.get());
    let points = history.map(|h| h.points.as_slice()).unwrap_or_default();
    let [title, top, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(4),
        Constraint::Length(4),
    ])
    .areas(area);
    // A point a minute: the metrics export keeps half an hour, so a console just started on
    // it shows what it has until the hour is full.
    let span = match points.len() {
        0 | 60.. => "last hour".to_string(),
        n => format!("last {n} min"),
    };
    // In the all view the charts are the selected row's cluster's: named.
    let whose = match model.cluster() {
        Some(c) if model.all => format!("Cluster {}", text::clean(&c.name)),
        _ => "Cluster".to_string(),
    };
    let mut head = vec![Span::styled(format!(" {whose}, {span} "), theme.title)];
    if let Some(last) = points.last() {
        if let Some(threads) = last.maxcpu {
            head.push(Span::styled(format!("· {threads:.0} threads "), theme.dim));
        }
        if let Some(total) = last.maxmem {
            head.push(Span::styled(
                format!("· {} memory ", size(total)),
                theme.dim,
            ));
        }
    }
    match source {
        Some(s) if s.data.is_none() && s.error.is_none() => {
            head.push(Span::styled("reading the nodes' charts…", theme.dim))
        }
        Some(s) if s.error.is_some() => head.push(Span::styled(
            format!(
                "▲ stale: {}",
                text::clean(s.error.as_deref().unwrap_or_default())
            ),
            theme.warn,
        )),
        _ => {}
    }
    // Nodes left out of the sum, or summed from an older read, are named.
    if let Some(h) = history {
        let missing = h.missing();
        let total = h.nodes.len() + missing.len();
        if !missing.is_empty() {
            head.push(Span::styled(
                format!(
                    "▲ sums {} of {total} nodes: {} not read ",
                    h.nodes.len(),
                    missing.join(", ")
                ),
                theme.warn,
            ));
        }
        let older: Vec<String> = h
            .partial
            .iter()
            .filter_map(|s| {
                let at = s.read_at?;
                let node = s.part.strip_prefix("history of ")?;
                let age = model.now.duration_since(at).unwrap_or_default().as_secs();
                Some(format!("{node} {} old", text::duration(age)))
            })
            .collect();
        if !older.is_empty() {
            head.push(Span::styled(format!("▲ {} ", older.join(", ")), theme.warn));
        }
    }
    let line = super::widgets::fit([Line::from(head)], title.width);
    frame.render_widget(Paragraph::new(line), title);
    let charts = super::detail::charts(theme);
    for (row, pair) in [top, bottom].into_iter().zip(charts.chunks(2)) {
        let [left, right] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)])
            .spacing(2)
            .areas(row);
        for (a, s) in [left, right].into_iter().zip(pair) {
            series(frame, a, s, points, theme);
        }
    }
}
