//! The one table every tabular pane draws with: columns chosen by priority to fit the width, the
//! sort key of each column marked in its header, only the rows on screen built.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

use crate::app::Action;
use crate::app::model::TableState;
use crate::config::keymap::Keymap;
use crate::config::theme::Theme;
use crate::model::SortKey;

/// Rows the table uses besides data: the title line and the column header.
pub const CHROME_ROWS: u16 = 2;

/// A column of rows of type `R`.
pub struct Column<R> {
    pub title: &'static str,
    pub sort: Option<SortKey>,
    /// Width in cells; the column marked `fill` takes what is left over as well.
    pub width: u16,
    pub fill: bool,
    /// 0 is always shown; higher numbers are dropped first when the terminal is narrow.
    pub priority: u8,
    pub right: bool,
    pub cell: fn(&R, &Theme) -> Line<'static>,
}

impl<R> Column<R> {
    /// A sortable, left-aligned column of fixed width.
    pub const fn new(
        title: &'static str,
        sort: SortKey,
        width: u16,
        priority: u8,
        cell: fn(&R, &Theme) -> Line<'static>,
    ) -> Self {
        Self {
            title,
            sort: Some(sort),
            width,
            fill: false,
            priority,
            right: false,
            cell,
        }
    }

    /// A column that does not sort (its pane has one fixed order).
    pub const fn fixed(
        title: &'static str,
        width: u16,
        priority: u8,
        cell: fn(&R, &Theme) -> Line<'static>,
    ) -> Self {
        Self {
            title,
            sort: None,
            width,
            fill: false,
            priority,
            right: false,
            cell,
        }
    }

    /// This column also takes the width the others leave.
    pub const fn fill(mut self) -> Self {
        self.fill = true;
        self
    }

    pub const fn right(mut self) -> Self {
        self.right = true;
        self
    }
}

/// The columns that fit `width`, in their own order.
fn fitting<R>(columns: &[Column<R>], width: u16) -> Vec<&Column<R>> {
    let mut by_priority: Vec<(usize, &Column<R>)> = columns.iter().enumerate().collect();
    by_priority.sort_by_key(|(i, c)| (c.priority, *i));
    let mut used = 0u16;
    let mut chosen = Vec::new();
    for (i, column) in by_priority {
        let need = column.width + 1;
        if used + need <= width || column.priority == 0 {
            used = used.saturating_add(need);
            chosen.push((i, column));
        }
    }
    chosen.sort_by_key(|(i, _)| *i);
    chosen.into_iter().map(|(_, c)| c).collect()
}

/// The header text of a column: the sort key's letter marked, an arrow on the sorted column.
fn header<R>(
    column: &Column<R>,
    state: &TableState,
    keymap: &Keymap,
    theme: &Theme,
) -> Line<'static> {
    let mut spans = Vec::new();
    let key = column
        .sort
        .and_then(|s| keymap.keys_for(&Action::Sort(s)).into_iter().next())
        .map(|k| k.to_string());
    let marked = key
        .as_deref()
        .filter(|k| k.chars().count() == 1)
        .and_then(|k| column.title.find(k));
    let mark = theme.accent.add_modifier(Modifier::UNDERLINED);
    match (marked, key) {
        (Some(at), Some(k)) => {
            spans.push(Span::raw(column.title[..at].to_string()));
            spans.push(Span::styled(k.clone(), mark));
            spans.push(Span::raw(column.title[at + k.len()..].to_string()));
        }
        (None, Some(k)) => {
            spans.push(Span::raw(column.title));
            spans.push(Span::styled(format!("·{k}"), theme.dim));
        }
        (_, None) => spans.push(Span::raw(column.title)),
    }
    if column.sort == Some(state.sort) {
        spans.push(Span::styled(
            if state.descending { "↓" } else { "↑" },
            theme.accent,
        ));
    }
    let line = Line::from(spans);
    if column.right {
        line.right_aligned()
    } else {
        line
    }
}

pub struct TableView<'a, R> {
    pub title: Line<'a>,
    pub columns: &'a [Column<R>],
    pub rows: &'a [R],
    pub state: &'a TableState,
    pub keymap: &'a Keymap,
    /// What to say when there are no rows.
    pub empty: &'a str,
    /// Rows marked for an action on several at once.
    pub marked: Option<&'a dyn Fn(&R) -> bool>,
}

pub fn draw<R>(view: TableView<'_, R>, theme: &Theme, frame: &mut Frame, area: Rect) {
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(view.title);
    let columns = fitting(view.columns, area.width);
    let widths: Vec<Constraint> = columns
        .iter()
        .map(|c| {
            if c.fill {
                Constraint::Min(c.width)
            } else {
                Constraint::Length(c.width)
            }
        })
        .collect();
    let header = Row::new(
        columns
            .iter()
            .map(|c| Cell::from(header(c, view.state, view.keymap, theme))),
    )
    .style(theme.title);
    let height = usize::from(area.height.saturating_sub(CHROME_ROWS));
    let state = view.state;
    let shown = state
        .visible
        .iter()
        .enumerate()
        .skip(state.offset)
        .take(height);
    let rows: Vec<Row> = shown
        .filter_map(|(pos, &index)| {
            let row = view.rows.get(index)?;
            let cells = columns.iter().map(|c| {
                let line = (c.cell)(row, theme);
                Cell::from(if c.right { line.right_aligned() } else { line })
            });
            let marked = view.marked.is_some_and(|m| m(row));
            let style = match (pos == state.selected, marked) {
                (true, true) => theme
                    .selected
                    .add_modifier(Modifier::BOLD | Modifier::ITALIC),
                (true, false) => theme.selected,
                (false, true) => theme.accent.add_modifier(Modifier::BOLD),
                (false, false) => Style::default(),
            };
            Some(Row::new(cells).style(style))
        })
        .collect();
    if rows.is_empty() {
        let [_, message] = ratatui::layout::Layout::vertical([
            Constraint::Length(CHROME_ROWS),
            Constraint::Fill(1),
        ])
        .areas(area);
        frame.render_widget(
            Table::new(Vec::<Row>::new(), widths.clone())
                .header(header)
                .block(block),
            area,
        );
        frame.render_widget(Span::styled(format!(" {}", view.empty), theme.dim), message);
        return;
    }
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1);
    frame.render_widget(table, area);
}
