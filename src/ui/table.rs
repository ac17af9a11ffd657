//! The one table every tabular pane draws with: columns chosen by priority to fit the width, the
//! sort key of each column marked in its header, only the rows on screen built.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table};
use unicode_width::UnicodeWidthChar;

use crate::action::Action;
use crate::action::SortKey;
use crate::config::keymap::Keymap;
use crate::config::theme::Theme;
use crate::console::model::TableState;
use crate::model::table::Row as ModelRow;
use crate::model::table::columns;

pub use crate::console::layout::CHROME_ROWS;

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
    /// Its cells are figures (sizes, ages, counts): never cut, the column takes the width its
    /// widest visible cell needs. Other cells are cut on the right with `…`.
    pub number: bool,
    pub cell: fn(&R, &Theme) -> Line<'static>,
}

impl<R: ModelRow> Column<R> {
    /// A left-aligned column of fixed width, titled and sorted as the row type's column
    /// sorted by `sort` (a key the row has no column for fails the build).
    pub const fn new(
        sort: SortKey,
        width: u16,
        priority: u8,
        cell: fn(&R, &Theme) -> Line<'static>,
    ) -> Self {
        Self {
            title: columns::title::<R>(sort),
            sort: Some(sort),
            width,
            fill: false,
            priority,
            right: false,
            number: false,
            cell,
        }
    }
}

impl<R> Clone for Column<R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R> Copy for Column<R> {}

/// `columns`, after a CLUSTER column of `width` in the all-clusters view (`Model::
/// cluster_column`, None outside it): its cell is `cell`'s.
pub fn fleet_columns<R>(
    width: Option<u16>,
    columns: &'static [Column<R>],
    cell: fn(&R, &Theme) -> Line<'static>,
) -> Cow<'static, [Column<R>]> {
    let Some(width) = width else {
        return Cow::Borrowed(columns);
    };
    let cluster = Column {
        title: "CLUSTER",
        sort: None,
        width,
        fill: false,
        priority: 0,
        right: false,
        number: false,
        cell,
    };
    Cow::Owned(
        std::iter::once(cluster)
            .chain(columns.iter().copied())
            .collect(),
    )
}

/// A CLUSTER cell: the name, marked when the cluster's last read failed (the row is older).
pub fn cluster_cell(name: &str, stale: bool, theme: &Theme) -> Line<'static> {
    if stale {
        Line::styled(format!("▲ {name}"), theme.warn)
    } else {
        Line::raw(name.to_string())
    }
}

impl<R> Column<R> {
    /// This column also takes the width the others leave.
    pub const fn fill(mut self) -> Self {
        self.fill = true;
        self
    }

    /// A right-aligned column of figures (see `number`).
    pub const fn right(mut self) -> Self {
        self.right = true;
        self.number = true;
        self
    }

    /// A left-aligned column of figures (`12d 0h`, `1500/9000`): never cut.
    pub const fn number(mut self) -> Self {
        self.number = true;
        self
    }
}

/// The cells of the rows on screen, fitted to the columns chosen for a width.
pub struct Fitted {
    /// Indexes of the columns shown, in their order.
    pub columns: Vec<usize>,
    /// Each shown column's width on screen.
    pub widths: Vec<u16>,
    /// Per row, per shown column: the line as drawn (cut to its width when it is text).
    pub cells: Vec<Vec<Line<'static>>>,
}

/// Choose the columns for `width`, widen figure columns to their widest cell, and cut text
/// that is wider than its column on the right with `…` (a right-aligned line wider than its
/// cell would otherwise lose its left end: `1006 MiB` would read `06 MiB`).
pub fn fit<'r, R: 'r>(
    columns: &[Column<R>],
    rows: impl IntoIterator<Item = &'r R>,
    width: u16,
    theme: &Theme,
) -> Fitted {
    let lines: Vec<Vec<Line<'static>>> = rows
        .into_iter()
        .map(|row| columns.iter().map(|c| (c.cell)(row, theme)).collect())
        .collect();
    let needs: Vec<u16> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let widest = lines.iter().map(|l| l[i].width()).max().unwrap_or(0);
            if c.number {
                c.width.max(u16::try_from(widest).unwrap_or(u16::MAX))
            } else {
                c.width
            }
        })
        .collect();
    let shown = fitting(columns, &needs, width);
    let constraints: Vec<Constraint> = shown
        .iter()
        .map(|&i| {
            if columns[i].fill {
                Constraint::Min(needs[i])
            } else {
                Constraint::Length(needs[i])
            }
        })
        .collect();
    let widths: Vec<u16> = Layout::horizontal(constraints)
        .flex(Flex::Start)
        .spacing(COLUMN_SPACING)
        .split(Rect::new(0, 0, width, 1))
        .iter()
        .map(|r| r.width)
        .collect();
    let cells = lines
        .into_iter()
        .map(|mut row| {
            shown
                .iter()
                .zip(&widths)
                .map(|(&i, &w)| {
                    let line = std::mem::take(&mut row[i]);
                    let line = cut(line, usize::from(w));
                    if columns[i].right {
                        line.right_aligned()
                    } else {
                        line
                    }
                })
                .collect()
        })
        .collect();
    Fitted {
        columns: shown,
        widths,
        cells,
    }
}

/// `line` cut to `width` cells, the cut marked with `…` in the style of what it ends.
pub fn cut<'a>(line: Line<'a>, width: usize) -> Line<'a> {
    if line.width() <= width {
        return line;
    }
    let mut room = width.saturating_sub(1);
    let mut spans = Vec::new();
    let mut last_style = line.style;
    for span in line.spans {
        if room == 0 {
            break;
        }
        let mut kept = String::new();
        for ch in span.content.chars() {
            let w = UnicodeWidthChar::width(ch).unwrap_or(0);
            if w > room {
                room = 0;
                break;
            }
            room -= w;
            kept.push(ch);
        }
        last_style = span.style;
        spans.push(Span::styled(kept, span.style));
    }
    if width > 0 {
        spans.push(Span::styled("…", last_style));
    }
    Line {
        spans,
        style: line.style,
        alignment: line.alignment,
    }
}

/// Cells between columns.
const COLUMN_SPACING: u16 = 1;

/// The indexes of the columns that fit `width` at the widths they need, in their own order.
fn fitting<R>(columns: &[Column<R>], needs: &[u16], width: u16) -> Vec<usize> {
    let mut by_priority: Vec<usize> = (0..columns.len()).collect();
    by_priority.sort_by_key(|&i| (columns[i].priority, i));
    let mut used = 0u16;
    let mut chosen = Vec::new();
    for i in by_priority {
        let need = needs[i].saturating_add(COLUMN_SPACING);
        if used.saturating_add(need) <= width || columns[i].priority == 0 {
            used = used.saturating_add(need);
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    chosen
}

/// The header text of a column: the sort key's letter marked, an arrow on the sorted column.
fn header<R>(
    column: &Column<R>,
    state: &TableState,
    keymap: &Keymap,
    theme: &Theme,
    width: usize,
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
        // A key not in the title follows it, when the column has room for it.
        (None, Some(k)) if column.title.chars().count() + 1 + k.chars().count() <= width => {
            spans.push(Span::raw(column.title));
            spans.push(Span::styled(format!("·{k}"), theme.dim));
        }
        (None, Some(_)) => spans.push(Span::raw(column.title)),
        (_, None) => spans.push(Span::raw(column.title)),
    }
    let line = if column.sort.is_some() && column.sort == state.sort {
        let arrow = if state.descending { "↓" } else { "↑" };
        let text: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        if text + 1 > width {
            // The arrow says which column is sorted: it stays, and the title gives way (without
            // an ellipsis, which would read as a longer word cut).
            let title: String = column.title.chars().take(width.saturating_sub(1)).collect();
            spans = vec![Span::raw(title)];
        }
        spans.push(Span::styled(arrow, theme.accent));
        Line::from(spans)
    } else {
        Line::from(spans)
    };
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
    let height = usize::from(area.height.saturating_sub(CHROME_ROWS));
    let state = view.state;
    let shown: Vec<(usize, &R)> = state
        .visible
        .iter()
        .enumerate()
        .skip(state.offset)
        .take(height)
        .filter_map(|(pos, &index)| Some((pos, view.rows.get(index)?)))
        .collect();
    let fitted = fit(
        view.columns,
        shown.iter().map(|(_, r)| *r),
        area.width,
        theme,
    );
    let mut title = view.title;
    // Sorted by a column the width leaves out: the title says by what.
    if let Some(key) = state.sort
        && !fitted
            .columns
            .iter()
            .any(|&i| view.columns[i].sort == Some(key))
        && let Some(column) = view.columns.iter().find(|c| c.sort == Some(key))
    {
        let arrow = if state.descending { "↓" } else { "↑" };
        title.spans.push(Span::styled(
            format!(" by {}{arrow} ", column.title),
            theme.accent,
        ));
    }
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.border)
        // A title that does not fit (a long stale note) ends with `…`, not mid-word.
        .title(cut(title, usize::from(area.width.saturating_sub(1))));
    let widths: Vec<Constraint> = fitted
        .widths
        .iter()
        .map(|&w| Constraint::Length(w))
        .collect();
    let header = Row::new(fitted.columns.iter().zip(&fitted.widths).map(|(&i, &w)| {
        Cell::from(cut(
            header(
                &view.columns[i],
                view.state,
                view.keymap,
                theme,
                usize::from(w),
            ),
            usize::from(w),
        ))
    }))
    .style(theme.title);
    let rows: Vec<Row> = shown
        .iter()
        .zip(fitted.cells)
        .map(|((pos, row), cells)| {
            let marked = view.marked.is_some_and(|m| m(row));
            let style = match (*pos == state.selected, marked) {
                (true, true) => theme
                    .selected
                    .add_modifier(Modifier::BOLD | Modifier::ITALIC),
                (true, false) => theme.selected,
                (false, true) => theme.accent.add_modifier(Modifier::BOLD),
                (false, false) => Style::default(),
            };
            Row::new(cells.into_iter().map(Cell::from)).style(style)
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
        .flex(Flex::Start)
        .column_spacing(COLUMN_SPACING);
    frame.render_widget(table, area);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;

    struct R(Vec<String>);

    fn c0(r: &R, _: &Theme) -> Line<'static> {
        Line::raw(r.0[0].clone())
    }
    fn c1(r: &R, _: &Theme) -> Line<'static> {
        Line::raw(r.0[1].clone())
    }
    fn c2(r: &R, _: &Theme) -> Line<'static> {
        Line::raw(r.0[2].clone())
    }
    fn c3(r: &R, _: &Theme) -> Line<'static> {
        Line::raw(r.0[3].clone())
    }
    fn c4(r: &R, _: &Theme) -> Line<'static> {
        Line::raw(r.0[4].clone())
    }

    const CELLS: [fn(&R, &Theme) -> Line<'static>; 5] = [c0, c1, c2, c3, c4];

    /// What the screen shows of each fitted cell, read back from a drawn table.
    fn drawn(fitted: &Fitted, width: u16) -> Vec<Vec<String>> {
        let height = u16::try_from(fitted.cells.len()).unwrap_or(u16::MAX);
        let mut terminal = Terminal::new(TestBackend::new(width, height.max(1))).unwrap();
        let rows: Vec<Row> = fitted
            .cells
            .iter()
            .map(|cells| Row::new(cells.iter().cloned().map(Cell::from)))
            .collect();
        let widths: Vec<Constraint> = fitted
            .widths
            .iter()
            .map(|&w| Constraint::Length(w))
            .collect();
        terminal
            .draw(|f| {
                f.render_widget(
                    Table::new(rows, widths)
                        .flex(Flex::Start)
                        .column_spacing(COLUMN_SPACING),
                    f.area(),
                );
            })
            .unwrap();
        let buffer = terminal.backend().buffer().clone();
        (0..fitted.cells.len())
            .map(|y| {
                let mut x = 0u16;
                fitted
                    .widths
                    .iter()
                    .map(|&w| {
                        let text: String = (x..(x + w).min(width))
                            .map(|cx| buffer[(cx, y as u16)].symbol().to_string())
                            .collect();
                        x = x.saturating_add(w + COLUMN_SPACING);
                        text.trim().to_string()
                    })
                    .collect()
            })
            .collect()
    }

    /// A column of the test rows, which are no pane's rows (so they have no titles of their own).
    fn column(
        title: &'static str,
        width: u16,
        priority: u8,
        cell: fn(&R, &Theme) -> Line<'static>,
    ) -> Column<R> {
        Column {
            title,
            sort: None,
            width,
            fill: false,
            priority,
            right: false,
            number: false,
            cell,
        }
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            // Figures of every magnitude, as the panes format them.
            any::<u64>().prop_map(crate::model::text::bytes),
            any::<u32>()
                .prop_map(|s| format!("{} ago", crate::model::text::duration(u64::from(s)))),
            any::<u64>().prop_map(|n| n.to_string()),
            (any::<Option<u64>>(), any::<Option<u64>>())
                .prop_map(|(u, t)| crate::ui::widgets::used_of(u, t)),
            // Text.
            "[a-z][a-z0-9 .:-]{0,38}[a-z0-9]",
        ]
    }

    proptest! {
        #[test]
        fn no_cell_is_cut_from_the_left_and_no_figure_is_cut(
            specs in prop::collection::vec((1u16..20, 0u8..4, any::<bool>(), any::<bool>()), 5),
            rows in prop::collection::vec(prop::collection::vec(value(), 5), 1..6),
            width in 40u16..300,
        ) {
            // Priority 0 is always shown, so keep what must show inside the narrowest width.
            let columns: Vec<Column<R>> = specs
                .iter()
                .zip(CELLS)
                .enumerate()
                .map(|(i, (&(w, p, right, number), cell))| {
                    let c = column("C", w, if i == 0 { 0 } else { p + 1 }, cell);
                    let c = if i == 1 { c.fill() } else { c };
                    match (right, number) {
                        (true, _) => c.right(),
                        (false, true) => c.number(),
                        _ => c,
                    }
                })
                .collect();
            let rows: Vec<R> = rows.into_iter().map(R).collect();
            let fitted = fit(&columns, &rows, width, &Theme::default());
            let shown = drawn(&fitted, width);
            for (r, row) in rows.iter().enumerate() {
                for (k, &i) in fitted.columns.iter().enumerate() {
                    let full = row.0[i].trim();
                    let seen = &shown[r][k];
                    if columns[i].number {
                        prop_assert_eq!(seen.as_str(), full, "a figure is shown whole");
                    } else if seen != full {
                        let kept = seen.strip_suffix('…').unwrap_or_else(|| panic!("{seen:?} of {full:?} is cut without …"));
                        prop_assert!(full.starts_with(kept.trim_end()), "{:?} is not the start of {:?}", seen, full);
                    }
                }
            }
        }
    }

    #[test]
    fn a_right_aligned_figure_wider_than_its_column_is_shown_whole() {
        let columns = [column("MEM", 8, 0, c0).right(), column("NAME", 10, 0, c1)];
        let rows = [R(vec![
            "1006 MiB/2.0 GiB".into(),
            "postgres-01-restored".into(),
            String::new(),
            String::new(),
            String::new(),
        ])];
        let fitted = fit(&columns, &rows, 60, &Theme::default());
        let shown = drawn(&fitted, 60);
        assert_eq!(shown[0], ["1006 MiB/2.0 GiB", "postgres-…"]);
    }
}
