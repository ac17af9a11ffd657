//! `?`: the help the console worked out (`console::help`) — the open pane's keys, then those that
//! work everywhere — one page at a time, in as many columns as fit.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::config::theme::Theme;
use crate::console::help::{HelpLine, HelpPages, pages};
use crate::console::model::Model;

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let help: HelpPages = pages(model);
    let count = help.count();
    let page = model.help_page.min(count - 1);
    let title = if count > 1 {
        format!(
            " Keys — page {} of {}: PgDn/PgUp turn, Esc closes ",
            page + 1,
            count
        )
    } else {
        " Keys — Esc closes; [keys] in the config rebinds them ".to_string()
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .style(theme.base)
        .title(Line::styled(title, theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let areas = Layout::horizontal(vec![Constraint::Fill(1); help.columns]).split(inner);
    for (chunk, column) in help.page(page).into_iter().zip(areas.iter()) {
        let lines: Vec<Line> = chunk.iter().map(|l| line(l, theme)).collect();
        frame.render_widget(Paragraph::new(lines), *column);
    }
}

fn line(l: &HelpLine, theme: &Theme) -> Line<'static> {
    match l {
        HelpLine::Heading(text) => Line::styled(text.clone(), theme.title),
        HelpLine::Entry { keys, text } => Line::from(vec![
            Span::styled(format!("{keys:>11} "), theme.accent),
            Span::raw(text.clone()),
        ]),
        HelpLine::Blank => Line::raw(""),
    }
}
