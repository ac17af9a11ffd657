//! Small pieces the panes share: usage bars, sizes, status colours, rrd charts.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use crate::config::theme::Theme;
use crate::model::text::bytes;
pub use crate::model::text::used_of;
use crate::pve::types::RrdPoint;

/// `███▌░░ 58%` in `width` cells of bar, coloured by how full.
pub fn bar(fraction: Option<f64>, width: usize, theme: &Theme) -> Line<'static> {
    let Some(f) = fraction.filter(|f| f.is_finite()) else {
        return Line::styled("–", theme.dim);
    };
    let f = f.clamp(0.0, 1.0);
    let eighths = (f * width as f64 * 8.0).round() as usize;
    let full = eighths / 8;
    let part = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8];
    let mut filled = "█".repeat(full);
    if full < width && !eighths.is_multiple_of(8) {
        filled.push_str(part);
    }
    let rest = width.saturating_sub(filled.chars().count());
    Line::from(vec![
        Span::styled(filled, level(f, theme)),
        Span::styled("░".repeat(rest), theme.dim),
        Span::raw(format!("{:>4.0}%", f * 100.0)),
    ])
}

/// Green, yellow from 80 %, red from 95 %.
pub fn level(fraction: f64, theme: &Theme) -> Style {
    if fraction >= 0.95 {
        theme.error
    } else if fraction >= 0.8 {
        theme.warn
    } else {
        theme.ok
    }
}

/// A state word's colour.
pub fn status_style(status: &str, theme: &Theme) -> Style {
    match status {
        "running" | "online" | "active" | "started" => theme.ok,
        "stopped" | "idle" | "disabled" | "ignored" => theme.dim,
        "paused" | "suspended" | "prelaunch" | "maintenance" | "maintenance mode" | "freeze"
        | "starting" | "migrate" | "relocate" | "request_stop" | "stopping" | "queued" => {
            theme.warn
        }
        // A node that is off is a problem to see, not a detail to dim.
        "offline" | "unknown" | "error" | "fence" | "recovery" | "dead?" | "gone" | "?" => {
            theme.error
        }
        _ => theme.base,
    }
}

/// One rrd series to chart.
#[derive(Clone, Copy)]
pub struct Series {
    pub label: &'static str,
    pub value: fn(&RrdPoint) -> Option<f64>,
    pub show: fn(f64) -> String,
    pub style: Style,
}

/// A labelled sparkline of one rrd series: `CPU  now 12%  max 48%` over the bars.
pub fn series(frame: &mut Frame, area: Rect, s: &Series, points: &[RrdPoint], theme: &Theme) {
    let values: Vec<f64> = points.iter().filter_map(s.value).collect();
    sparkline(frame, area, s.label, &values, s.show, s.style, theme);
}

/// A labelled sparkline of `values`, oldest first: `label  now …  max …` over the bars.
pub fn sparkline(
    frame: &mut Frame,
    area: Rect,
    label: &str,
    values: &[f64],
    show: fn(f64) -> String,
    style: Style,
    theme: &Theme,
) {
    if area.height == 0 {
        return;
    }
    let values: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let now = values.last().copied();
    let max = values
        .iter()
        .copied()
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    let mut spans = vec![Span::styled(format!("{label:<7} "), theme.dim)];
    match (now, max) {
        (Some(now), Some(max)) => {
            spans.push(Span::raw(format!("now {}", show(now))));
            spans.push(Span::styled(format!("  max {}", show(max)), theme.dim));
        }
        _ => spans.push(Span::styled("no data yet", theme.dim)),
    }
    let [head, body] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(1),
        ratatui::layout::Constraint::Fill(1),
    ])
    .areas(area);
    let line = fit([Line::from(spans)], head.width);
    frame.render_widget(Paragraph::new(line), head);
    if body.height == 0 || values.is_empty() {
        return;
    }
    // The newest points, as many as there are columns, scaled between a little under the
    // series' minimum and its maximum, so that change shows even on a busy host.
    let skip = values.len().saturating_sub(usize::from(body.width));
    let shown = &values[skip..];
    let low = shown.iter().copied().fold(f64::INFINITY, f64::min);
    let high = shown.iter().copied().fold(0.0, f64::max);
    let base = (low - (high - low) * 0.25).max(0.0);
    let span = (high - base).max(f64::EPSILON);
    let data: Vec<u64> = shown
        .iter()
        .map(|v| (((v - base) / span) * 1000.0).round().max(0.0) as u64)
        .collect();
    frame.render_widget(
        Sparkline::default().data(&data).max(1000).style(style),
        body,
    );
}

pub fn percent(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

pub fn size(v: f64) -> String {
    bytes(v.max(0.0) as u64)
}

pub fn rate(v: f64) -> String {
    format!("{}/s", bytes(v.max(0.0) as u64))
}

/// Lines cut to `width` cells, each cut marked with `…`: a line that does not fit never ends as
/// if it were whole. A line of facts (`a · b · c`) loses whole facts from its end, so no figure
/// is left half-shown.
pub fn fit<'a>(lines: impl IntoIterator<Item = Line<'a>>, width: u16) -> Vec<Line<'a>> {
    lines
        .into_iter()
        .map(|l| cut_facts(l, usize::from(width)))
        .collect()
}

/// `line` cut after its last whole ` · `-separated fact that fits, then `…`; a line with no
/// such place is cut where it must be.
fn cut_facts(line: Line<'_>, width: usize) -> Line<'_> {
    const SEP: &str = " · ";
    if line.width() <= width {
        return line;
    }
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    // The widest prefix ending before a separator that leaves room for ` …`.
    let mut keep = None;
    for (at, _) in text.match_indices(SEP) {
        let w = unicode_width::UnicodeWidthStr::width(&text[..at]);
        if w + 2 <= width {
            keep = Some(w);
        }
    }
    match keep {
        Some(w) => {
            let mut kept = super::table::cut(line, w + 1);
            // `cut` ends with `…` straight after the fact; a space reads better.
            if let Some(last) = kept.spans.last_mut() {
                last.content = " …".into();
            }
            kept
        }
        None => super::table::cut(line, width),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_of_facts_loses_whole_facts_and_says_so() {
        let line = Line::from("raw 22% · client rd 3.7 MiB/s · wr 4.5 MiB/s");
        let text = |l: &Line| {
            l.spans
                .iter()
                .map(|s| s.content.as_ref())
                .collect::<String>()
        };
        assert_eq!(
            text(&fit([line.clone()], 40)[0]),
            "raw 22% · client rd 3.7 MiB/s …"
        );
        assert_eq!(text(&fit([line.clone()], 80)[0]), text(&line), "it fits");
        // No separator to cut at: cut where it must be, marked.
        assert_eq!(text(&fit([Line::from("abcdefghij")], 5)[0]), "abcd…");
    }
}
