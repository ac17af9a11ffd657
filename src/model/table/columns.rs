//! A pane's columns, defined once with its row type: the title, the key it sorts by and the
//! plain text of each cell. The screen draws the columns it has room for (with its own colours
//! and bars, under these titles); `rack get` prints them all as text; help lists their sort keys.

use crate::action::SortKey;

use super::Row;

/// What a cell's text may depend on besides its row.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    /// Unix seconds, for ages ("2h ago").
    pub now: u64,
}

/// A column of rows of type `R`.
pub struct Column<R> {
    pub title: &'static str,
    /// The key it sorts by on screen; `None` for a column only `rack get` prints.
    pub sort: Option<SortKey>,
    /// Its cell as plain text; `None` when the row has no value there.
    pub text: fn(&R, &Context) -> Option<String>,
}

impl<R> Column<R> {
    /// A column on screen and in `rack get`, sorted by `sort`.
    pub const fn new(
        title: &'static str,
        sort: SortKey,
        text: fn(&R, &Context) -> Option<String>,
    ) -> Self {
        Self {
            title,
            sort: Some(sort),
            text,
        }
    }

    /// A column for scripts' readers only (`rack get`): the screen shows it elsewhere or not.
    pub const fn printed(title: &'static str, text: fn(&R, &Context) -> Option<String>) -> Self {
        Self {
            title,
            sort: None,
            text,
        }
    }
}

/// The title of `R`'s column sorted by `key`. Evaluated at compile time by the screen's
/// column lists, so a screen column the row does not define fails the build.
pub const fn title<R: Row>(key: SortKey) -> &'static str {
    let columns = R::COLUMNS;
    let mut i = 0;
    while i < columns.len() {
        if let Some(k) = columns[i].sort
            && k as u8 == key as u8
        {
            return columns[i].title;
        }
        i += 1;
    }
    // Only reached in the evaluation of a const column list, where it is a build error.
    #[allow(clippy::panic)]
    {
        panic!("the row type has no column sorted by this key")
    }
}

/// The keys `R`'s rows sort by, each with its column's title, in column order; a second key for
/// one column (`ALIASES`) follows the column's own.
pub fn sorts<R: Row>() -> Vec<(SortKey, &'static str)> {
    let mut out = Vec::new();
    for c in R::COLUMNS {
        let Some(key) = c.sort else { continue };
        out.push((key, c.title));
        for (alias, of) in R::ALIASES {
            if *of == key {
                out.push((*alias, c.title));
            }
        }
    }
    out
}

/// Every column of `rows` as text, after a first CLUSTER column (`rows` pairs each row with its
/// cluster): the header and the cells, `-` where a row has no value.
pub fn plain<'r, R: Row + 'r>(
    rows: impl IntoIterator<Item = (&'r str, &'r R)>,
    context: &Context,
) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut header = vec!["CLUSTER"];
    header.extend(R::COLUMNS.iter().map(|c| c.title));
    let body = rows
        .into_iter()
        .map(|(cluster, row)| {
            let mut cells = vec![cluster.to_string()];
            // The screen's `–` for what is not known is a plain `-` in text for scripts.
            cells.extend(R::COLUMNS.iter().map(|c| {
                (c.text)(row, context)
                    .filter(|t| !t.is_empty())
                    .map_or_else(|| "-".into(), |t| t.replace('–', "-"))
            }));
            cells
        })
        .collect();
    (header, body)
}
