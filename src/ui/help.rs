//! `?`: every action with the keys bound to it, read from the keymap in force (so overrides show),
//! laid out in as many columns as fit.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::action::Action;
use crate::config::theme::Theme;
use crate::console::model::Model;

const COLUMN_WIDTH: u16 = 44;

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .style(theme.base)
        .title(Line::styled(
            " Keys — Esc closes; [keys] in the config rebinds them ",
            theme.title,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let entries: Vec<Line> = Action::all()
        .into_iter()
        .filter_map(|action| {
            let keys = model.keymap.keys_for(&action);
            if keys.is_empty() {
                return None;
            }
            let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
            Some(Line::from(vec![
                Span::styled(format!("{:>11} ", keys.join(" ")), theme.accent),
                Span::raw(action.describe()),
            ]))
        })
        .collect();
    let columns = (inner.width / COLUMN_WIDTH).max(1);
    let per_column = entries.len().div_ceil(usize::from(columns)).max(1);
    let areas = Layout::horizontal(vec![Constraint::Fill(1); usize::from(columns)]).split(inner);
    for (chunk, column) in entries.chunks(per_column).zip(areas.iter()) {
        frame.render_widget(Paragraph::new(chunk.to_vec()), *column);
    }
}
