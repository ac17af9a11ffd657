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
    let first = view
        .top
        .unwrap_or_else(|| first_at_bottom(&shown, height, width, view.wrap));
    let mut lines = Vec::new();
    let mut last = first;
    for (i, text) in shown.iter().enumerate().skip(first) {
        let style = style_of(text, theme);
        if view.wrap {
            let chars: Vec<char> = text.chars().collect();
            for chunk in chars.chunks(width) {
                lines.push(Line::styled(chunk.iter().collect::<String>(), style));
            }
            if chars.is_empty() {
                lines.push(Line::raw(""));
            }
        } else {
            lines.push(cut(Line::styled(text.to_string(), style), width));
        }
        last = i + 1;
        if lines.len() >= height {
            break;
        }
    }
    lines.truncate(height);
    frame.render_widget(Paragraph::new(lines), body);

    let mut spans = vec![Span::styled(
        format!(" {} ", view.source.title()),
        theme.title,
    )];
    let place = if shown.is_empty() {
        String::new()
    } else if view.following() {
        " following ".to_string()
    } else {
        format!(" lines {}–{last} of {} ", first + 1, shown.len())
    };
    if !place.is_empty() {
        spans.push(Span::styled(place, theme.accent));
    }
    match &view.editing {
        Some(area) => spans.push(Span::styled(
            format!(" /{}▏", area.lines().join(" ")),
            theme.accent,
        )),
        None if !view.filter.is_empty() => spans.push(Span::styled(
            format!(
                " /{}: {} of {} lines ",
                view.filter,
                shown.len(),
                view.lines.len()
            ),
            theme.accent,
        )),
        None => {}
    }
    let line = cut(Line::from(spans), usize::from(title.width));
    frame.render_widget(Paragraph::new(line), title);

    let notice = model.notices.last().map(|n| (n.text.clone(), theme.warn));
    let (text, style) = notice.unwrap_or_else(|| match &view.state {
        LogState::Reading => ("reading…".to_string(), theme.dim),
        LogState::Failed { why, retry } => (
            format!("read failed: {why} — trying again in {retry} s (r now)"),
            theme.error,
        ),
        LogState::Ended(how) => (
            format!("the task ended: {how} — Esc back to the panes"),
            theme.dim,
        ),
        LogState::Following if view.following() => (
            "↑/PgUp scroll back, / filter, w wrap, Esc back".to_string(),
            theme.dim,
        ),
        LogState::Following => (
            "paused — End follows again, / filter, w wrap, Esc back".to_string(),
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
