//! A node's maintenance plan over the panes: the pre-checks with their verdicts, each guest and
//! where it goes, the steps; scrolled when it is longer than the screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::config::theme::Theme;
use crate::console::dialog::MaintenanceView;
use crate::maint::Verdict;
use crate::maint::report::{self, Kind};

/// `text` in rows of at most `width` cells, broken between words; the rows after the first are
/// indented under its text. A word wider than a row is cut with `…`.
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    if text.chars().count() <= width {
        return vec![text.to_string()];
    }
    let lead = text.len() - text.trim_start().len();
    let indent = " ".repeat((lead + 4).min(width / 2));
    let mut rows = Vec::new();
    let mut row = text[..lead].to_string();
    let mut fresh = true;
    // Split on single spaces so the padding that aligns columns is kept.
    for word in text[lead..].split(' ') {
        let len = row.chars().count() + usize::from(!fresh) + word.chars().count();
        if !fresh && !word.is_empty() && len > width {
            rows.push(std::mem::replace(&mut row, indent.clone()));
            fresh = true;
        }
        if !fresh {
            row.push(' ');
        }
        row.push_str(word);
        fresh = false;
    }
    rows.push(row);
    rows.into_iter()
        .map(|r| {
            if r.chars().count() > width {
                let mut cut: String = r.chars().take(width - 1).collect();
                cut.push('…');
                cut
            } else {
                r
            }
        })
        .collect()
}

/// The first of the key lines that fits `width` with where the view is (`more`); where the
/// view is is never cut.
pub(super) fn bottom(options: &[&str], more: &str, width: usize) -> String {
    let fits = |o: &&&str| o.chars().count() + more.chars().count() + 2 <= width;
    match options.iter().find(fits) {
        Some(keys) => format!("{keys}{more}"),
        None => more.to_string(),
    }
}

/// Lines in a bordered box over the panes, wrapped to its width and scrolled to `scroll`; the
/// bottom border has the first of `keys` that fits, with where the view is.
pub(super) fn scrolled(
    lines: Vec<(Style, String)>,
    title: String,
    keys: &[&str],
    scroll: usize,
    theme: &Theme,
    frame: &mut Frame,
    popup: Rect,
) {
    frame.render_widget(Clear, popup);
    let width = usize::from(popup.width.saturating_sub(2));
    let lines: Vec<Line> = lines
        .into_iter()
        .flat_map(|(style, text)| {
            wrap(&text, width)
                .into_iter()
                .map(move |row| Line::styled(row, style))
        })
        .collect();
    let inner = usize::from(popup.height.saturating_sub(2)).max(1);
    let last = lines.len().saturating_sub(inner);
    let scroll = scroll.min(last);
    let more = if last > 0 {
        format!(
            " {}–{} of {} ",
            scroll + 1,
            (scroll + inner).min(lines.len()),
            lines.len()
        )
    } else {
        String::new()
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .title(Line::styled(title, theme.title))
        .title_bottom(Line::styled(bottom(keys, &more, width), theme.dim))
        .style(theme.base);
    let shown: Vec<Line> = lines.into_iter().skip(scroll).collect();
    frame.render_widget(Paragraph::new(shown).block(block), popup);
}

pub fn draw(v: &MaintenanceView, theme: &Theme, frame: &mut Frame, area: Rect) {
    let lines: Vec<(Style, String)> = match &v.plan {
        None => vec![(
            theme.dim,
            "  reading the cluster: guests, their configs, Ceph, HA rules, every node's room…"
                .to_string(),
        )],
        Some(Err(e)) => vec![(theme.error, format!("  the plan could not be made: {e}"))],
        Some(Ok(plan)) => report::lines(plan)
            .into_iter()
            .map(|(kind, text)| {
                let style = match kind {
                    Kind::Heading => theme.title,
                    Kind::Check(Verdict::Pass) | Kind::Verdict(true) => theme.ok,
                    Kind::Check(Verdict::Warn) => theme.warn,
                    Kind::Check(Verdict::Fail) | Kind::Blocked | Kind::Verdict(false) => {
                        theme.error
                    }
                    Kind::Reason | Kind::Skipped => theme.dim,
                    Kind::Guest | Kind::Step | Kind::Blank => theme.base,
                };
                (style, text)
            })
            .collect(),
    };
    let kept = v
        .in_progress
        .iter()
        .map(|text| (theme.warn, format!("! {text}: rack maintenance status")));
    let lines: Vec<(Style, String)> = kept.chain(lines).collect();
    let popup = super::centered(area, area.width.saturating_sub(4).max(20), area.height);
    let keys: &[&str] = if v.refreshing {
        &[" refreshing the package lists… · Esc close "]
    } else if !matches!(v.plan, Some(Ok(_))) {
        &[" Esc close "]
    } else {
        &[
            " ↑↓ PgUp PgDn scroll · Enter start the walkthrough · r refresh packages · Esc close ",
            " ↑↓ scroll · Enter start the walkthrough · r refresh packages · Esc ",
            " ↑↓ · Enter walkthrough · r refresh packages · Esc ",
            " Enter walkthrough · r refresh · Esc ",
        ]
    };
    let title = format!(" Maintenance of {} · plan (changes nothing) ", v.node);
    scrolled(lines, title, keys, v.scroll, theme, frame, popup);
    if let Some(choice) = &v.start {
        super::walkthrough::draw_start(v, choice, theme, frame, popup);
    }
}
