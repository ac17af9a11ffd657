//! One table mechanism for every pane: which rows are shown (the filter), in what order (the
//! sort), which one is selected and which part is on screen — kept across refreshes by each
//! row's key. A pane's row type says how it filters and sorts by implementing `Row`.

pub mod columns;
mod rows;

use std::borrow::Cow;
use std::cmp::Ordering;

use super::filter::{Filter, contains_folded};
use crate::action::SortKey;

/// A row of a pane's table.
pub trait Row: Sized + 'static {
    /// What identifies the row across rebuilds, so the selection stays on it.
    type Key: PartialEq;
    /// The filter fields its rows answer to (`node:`), in the order help lists them.
    const FIELDS: &'static [&'static str];
    /// Its columns: titles, sort keys and plain text, shared by the screen and `rack get`.
    const COLUMNS: &'static [columns::Column<Self>];
    /// Second keys for a column (`(alias, column's key)`): they sort by that column too.
    const ALIASES: &'static [(SortKey, SortKey)] = &[];
    /// Rows come newest first: a selection on the first row stays on the first row as newer
    /// ones arrive (as `tail -f` follows), where elsewhere it stays on its row.
    const FOLLOWS_NEWEST: bool = false;

    fn key(&self) -> Self::Key;
    /// Whether field `field` (one of `FIELDS`) holds `want` (lower case).
    fn field_matches(&self, field: &str, want: &str) -> bool;
    /// Whether a bare word (lower case) appears anywhere in the row.
    fn text_matches(&self, word: &str) -> bool;
    /// The value a column sorts by.
    fn sort_value(&self, key: SortKey) -> Value<'_>;
    /// How rows that tie on a column are ordered; `Equal` keeps the pane's own order.
    fn tie(&self, _other: &Self) -> Ordering {
        Ordering::Equal
    }
    /// Two rows by `key`; missing values last whichever way round, then `tie`.
    fn compare(&self, other: &Self, key: SortKey, descending: bool) -> Ordering {
        compare_values(self.sort_value(key), other.sort_value(key), descending)
            .then_with(|| self.tie(other))
    }
}

/// A cell's value for sorting: figures as numbers, the rest as text (case-blind).
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Number(Option<f64>),
    Text(Option<Cow<'a, str>>),
}

impl<'a> Value<'a> {
    pub fn text(text: &'a str) -> Self {
        Value::Text((!text.is_empty()).then_some(Cow::Borrowed(text)))
    }

    pub fn owned(text: String) -> Self {
        Value::Text((!text.is_empty()).then_some(Cow::Owned(text)))
    }

    pub fn number(n: impl Into<f64>) -> Self {
        Value::Number(Some(n.into()))
    }
}

/// Present values in the asked direction, absent ones after them.
pub fn compare_values(a: Value<'_>, b: Value<'_>, descending: bool) -> Ordering {
    let directed = |o: Ordering| if descending { o.reverse() } else { o };
    match (a, b) {
        (Value::Number(Some(a)), Value::Number(Some(b))) => directed(a.total_cmp(&b)),
        (Value::Text(Some(a)), Value::Text(Some(b))) => directed(
            a.chars()
                .map(|c| c.to_ascii_lowercase())
                .cmp(b.chars().map(|c| c.to_ascii_lowercase())),
        ),
        (Value::Number(Some(_)) | Value::Text(Some(_)), _) => Ordering::Less,
        (_, Value::Number(Some(_)) | Value::Text(Some(_))) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

/// Whether `text` contains `want` (lower case), ignoring case.
pub fn has(text: &str, want: &str) -> bool {
    contains_folded(text, want)
}

/// Which rows of a pane are shown, in what order, and which is selected.
#[derive(Debug, Clone, PartialEq)]
pub struct TableState {
    /// The column the rows are sorted by; `None` keeps the pane's own order (trouble first,
    /// newest first).
    pub sort: Option<SortKey>,
    pub descending: bool,
    /// The filter as typed.
    pub filter_text: String,
    pub filter: Filter,
    /// Fields the filter names that the pane's rows do not have (ignored, and said).
    pub unknown: Vec<String>,
    /// Indices into the pane's rows, filtered and sorted.
    pub visible: Vec<usize>,
    /// Position in `visible`.
    pub selected: usize,
    /// First position in `visible` on screen.
    pub offset: usize,
}

impl TableState {
    /// A table sorted by `sort` (`None`: in the order its rows are built).
    pub fn new(sort: Option<SortKey>) -> Self {
        Self {
            sort,
            descending: false,
            filter_text: String::new(),
            filter: Filter::default(),
            unknown: Vec::new(),
            visible: Vec::new(),
            selected: 0,
            offset: 0,
        }
    }

    pub fn set_filter(&mut self, text: &str) {
        self.filter_text = text.to_string();
        self.filter = Filter::parse(text);
    }

    /// Sort by `key`, one of the pane's `sorts`; the same key again reverses. False when the pane
    /// has no such column.
    pub fn sort_by(&mut self, sorts: &[(SortKey, &str)], key: SortKey) -> bool {
        let Some((_, title)) = sorts.iter().find(|(k, _)| *k == key) else {
            return false;
        };
        // Two keys for one column (Hosts: name and node) sort as the column's first key, so its
        // header shows the arrow.
        let key = sorts
            .iter()
            .find(|(_, t)| t == title)
            .map_or(key, |(k, _)| *k);
        if self.sort == Some(key) {
            self.descending = !self.descending;
        } else {
            self.sort = Some(key);
            self.descending = key.descending_first();
        }
        true
    }

    /// The key of the selected row of `rows` (the rows the table was last applied to).
    pub fn selected_key<R: Row>(&self, rows: &[R]) -> Option<R::Key> {
        Some(rows.get(*self.visible.get(self.selected)?)?.key())
    }

    /// Show the rows of `rows` that `include` keeps and the filter matches, in the sort's order,
    /// with the row keyed `keep` selected when it is still there.
    pub fn apply<R: Row>(
        &mut self,
        rows: &[R],
        keep: Option<R::Key>,
        include: impl Fn(&R) -> bool,
    ) {
        let (filter, unknown) = self.filter.resolve(rows);
        self.unknown = unknown;
        self.visible = (0..rows.len())
            .filter(|&i| include(&rows[i]) && filter.matches(&rows[i]))
            .collect();
        if let Some(key) = self.sort {
            let descending = self.descending;
            // Stable: rows that tie keep the pane's own order.
            self.visible
                .sort_by(|&a, &b| rows[a].compare(&rows[b], key, descending));
        }
        if let Some(pos) = keep.and_then(|k| self.visible.iter().position(|&i| rows[i].key() == k))
        {
            self.selected = pos;
        }
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
    }

    /// Move the selection by `delta` rows, staying within the rows.
    pub fn step(&mut self, delta: isize) {
        let last = self.visible.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Keep the selection on screen in a window of `height` rows.
    pub fn scroll_into_view(&mut self, height: usize) {
        let height = height.max(1);
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        // A shrunken list or a grown window should not leave blank rows below.
        let max_offset = self.visible.len().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
    }
}

/// A pane's rows with their table state: the rows as last built, and which of them are shown,
/// in what order, and selected. Reads as its `TableState` (`table.visible`, `table.selected`).
#[derive(Debug, Clone, PartialEq)]
pub struct Table<R> {
    pub state: TableState,
    pub rows: Vec<R>,
}

impl<R: Row> Table<R> {
    /// No rows yet, sorted by `sort` once there are (`None`: in the order they are built).
    pub fn new(sort: Option<SortKey>) -> Self {
        Self {
            state: TableState::new(sort),
            rows: Vec::new(),
        }
    }

    /// The selected row.
    pub fn selected_row(&self) -> Option<&R> {
        self.rows.get(*self.state.visible.get(self.state.selected)?)
    }

    /// Take freshly built rows, keeping the selection on the same row (by key) when it is
    /// still there.
    pub fn replace(&mut self, rows: Vec<R>) {
        let following = R::FOLLOWS_NEWEST && self.state.sort.is_none() && self.state.selected == 0;
        let keep = if following {
            None
        } else {
            self.state.selected_key(&self.rows)
        };
        self.rows = rows;
        self.state.apply(&self.rows, keep, |_| true);
    }
}

/// A pane's table state, whether the pane keeps its rows beside it (`Table`) or elsewhere (Hosts
/// and Instances keep theirs per cluster).
pub trait HasState {
    fn state(&self) -> &TableState;
    fn state_mut(&mut self) -> &mut TableState;
}

impl HasState for TableState {
    fn state(&self) -> &TableState {
        self
    }
    fn state_mut(&mut self) -> &mut TableState {
        self
    }
}

impl<R> HasState for Table<R> {
    fn state(&self) -> &TableState {
        &self.state
    }
    fn state_mut(&mut self) -> &mut TableState {
        &mut self.state
    }
}

impl<R> std::ops::Deref for Table<R> {
    type Target = TableState;
    fn deref(&self) -> &TableState {
        &self.state
    }
}

impl<R> std::ops::DerefMut for Table<R> {
    fn deref_mut(&mut self) -> &mut TableState {
        &mut self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_values_stay_last_both_ways() {
        let mut v = [Value::number(2.0), Value::Number(None), Value::number(5.0)];
        v.sort_by(|a, b| compare_values(a.clone(), b.clone(), false));
        assert_eq!(
            v,
            [Value::number(2.0), Value::number(5.0), Value::Number(None)]
        );
        v.sort_by(|a, b| compare_values(a.clone(), b.clone(), true));
        assert_eq!(
            v,
            [Value::number(5.0), Value::number(2.0), Value::Number(None)]
        );
        let mut t = [Value::text("b"), Value::text(""), Value::text("A")];
        t.sort_by(|a, b| compare_values(a.clone(), b.clone(), false));
        assert_eq!(t, [Value::text("A"), Value::text("b"), Value::text("")]);
    }
}
