//! A followed log full screen: a title line (what is read, following or where the view stands,
//! the filter), the lines (wrapped, or cut with `…`), and a status line (reading, following,
//! a failed read and its retry, a task's end).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::table::cut;
use crate::config::theme::Theme;
use crate::console::log_view::{LogState, LogView, first_at_bottom};
use crate::console::model::Model;

pub fn draw(model: &Model, view: &LogView, theme: &Theme, frame: &mut Frame, area: Rect) {
    let [title, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let shown = view.shown();
    let (height, width) = (usize::from(body.height), usize::from(body.width).max(1));
    let bottom = first_at_bottom(&shown, height, width, view.wrap);
    // Paused where following would show the same: it is following.
    let paused = view.top.filter(|t| *t < bottom);
    let rows_of_line = |text: &str| -> Vec<Line<'static>> {
        let style = style_of(text, theme);
        if !view.wrap {
            return vec![cut(Line::styled(text.to_string(), style), width)];
        }
        let chars: Vec<char> = text.chars().collect();
        if chars.is_empty() {
            return vec![Line::raw("")];
        }
        chars
            .chunks(width)
            .map(|c| Line::styled(c.iter().collect::<String>(), style))
            .collect()
    };
    let (first, last, mut lines) = match paused {
        Some(first) => {
            let mut lines = Vec::new();
            let mut last = first;
            for text in shown.iter().skip(first) {
                if lines.len() >= height {
                    break;
                }
                lines.extend(rows_of_line(text));
                last += 1;
            }
            lines.truncate(height);
            (first, last, lines)
        }
        None => {
            // The newest at the bottom row; a line above that does not fit shows its end.
            let from = bottom.saturating_sub(1);
            let mut lines: Vec<Line<'static>> =
                shown[from..].iter().flat_map(|t| rows_of_line(t)).collect();
            let extra = lines.len().saturating_sub(height);
            lines.drain(..extra);
            (bottom, shown.len(), lines)
        }
    };
    if shown.is_empty() {
        let text = match &view.state {
            LogState::Reading => String::new(),
            _ if !view.filter.is_empty() => {
                format!("no line matches /{} (Esc clears the filter)", view.filter)
            }
            _ => "no lines yet".to_string(),
        };
        lines = vec![Line::styled(text, theme.dim)];
    }
    frame.render_widget(Paragraph::new(lines), body);

    let place = match (&view.state, paused) {
        (LogState::Reading, _) => " reading… ".to_string(),
        _ if shown.is_empty() => String::new(),
        (_, Some(_)) => format!(" lines {}–{last} of {} ", first + 1, shown.len()),
        (LogState::Ended(_), None) => " ended ".to_string(),
        (_, None) => " following ".to_string(),
    };
    let filter = match &view.editing {
        Some(area) => format!(" /{}▏ ", area.lines().join(" ")),
        None if !view.filter.is_empty() => format!(
            " /{}: {} of {} lines ",
            view.filter,
            shown.len(),
            view.lines.len()
        ),
        None => String::new(),
    };
    // What it is gives way to where the view stands and the filter.
    let room =
        usize::from(title.width).saturating_sub(place.chars().count() + filter.chars().count());
    let name = cut(
        Line::from(Span::styled(
            format!(" {} ", view.source.title()),
            theme.title,
        )),
        room,
    );
    let mut spans = name.spans;
    spans.push(Span::styled(place, theme.accent));
    spans.push(Span::styled(filter, theme.accent));
    let line = cut(Line::from(spans), usize::from(title.width));
    frame.render_widget(Paragraph::new(line), title);

    let notice = model.notices.last().map(|n| (n.text.clone(), theme.warn));
    let state = match &view.state {
        _ if view.editing.is_some() => Some((
            format!(
                "Enter keeps the filter · Esc clears it · {} of {} lines match",
                shown.len(),
                view.lines.len()
            ),
            theme.accent,
        )),
        LogState::Reading => Some(("reading…".to_string(), theme.dim)),
        LogState::Failed { why, retry } => Some((
            format!("read failed: {why} — trying again in {retry} s (r now)"),
            theme.error,
        )),
        LogState::Ended(how) => Some((
            format!("the task ended: {how} — Esc back to the panes"),
            theme.dim,
        )),
        LogState::Following => None,
    };
    // How the log stands comes first; a notice (a job that ended elsewhere) otherwise.
    let (text, style) = state.or(notice).unwrap_or_else(|| match paused {
        None => (
            "↑/PgUp scroll back, / filter, w wrap, ? keys, Esc back".to_string(),
            theme.dim,
        ),
        Some(_) => (
            "paused — End follows again, / filter, w wrap, ? keys, Esc back".to_string(),
            theme.accent,
        ),
    });
    let line = cut(
        Line::from(Span::styled(format!(" {text}"), style)),
        usize::from(status.width),
    );
    frame.render_widget(Paragraph::new(line), status);
}

/// Errors red, warnings yellow, a task's success green, a task's heading as a title.
fn style_of(text: &str, theme: &Theme) -> Style {
    let lower = text.to_lowercase();
    if text.starts_with("── ") {
        theme.title
    } else if lower.contains("error") || lower.contains("failed") {
        theme.error
    } else if lower.contains("warn") {
        theme.warn
    } else if text.trim_start() == "TASK OK" {
        theme.ok
    } else {
        theme.base
    }
}
