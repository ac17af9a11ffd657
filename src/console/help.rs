//! What `?` shows, worked out here so the ui only draws it: the open pane's keys first (its
//! actions, its columns to sort by, its filter fields), then the keys that work everywhere — each
//! with the keys bound in the keymap in force, descriptions wrapped (never cut) and laid out in
//! pages that fit the terminal.

use super::model::Model;
use super::panes;
use crate::action::{Action, Pane};
use ratatui::layout::Rect;

/// Width of one column of help, keys and description.
pub const COLUMN_WIDTH: u16 = 44;
/// Width of the keys at the start of a line.
const KEYS_WIDTH: usize = 11;
/// The widest the help popup gets.
pub const POPUP_WIDTH: u16 = 100;

/// One line of help as drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    /// A section's title: "Tasks", "Everywhere".
    Heading(String),
    /// Keys (empty on a description's continuation) and text.
    Entry {
        keys: String,
        text: String,
    },
    Blank,
}

/// Help cut into pages of columns, for an inner area of the given size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpPages {
    pub columns: usize,
    /// Lines in one column.
    pub rows: usize,
    pub lines: Vec<HelpLine>,
}

impl HelpPages {
    pub fn per_page(&self) -> usize {
        (self.columns * self.rows).max(1)
    }

    pub fn count(&self) -> usize {
        self.lines.len().div_ceil(self.per_page()).max(1)
    }

    /// The lines of page `page` (0-based, clamped to the last), column after column.
    pub fn page(&self, page: usize) -> Vec<&[HelpLine]> {
        let page = page.min(self.count() - 1);
        let start = page * self.per_page();
        let end = (start + self.per_page()).min(self.lines.len());
        self.lines
            .get(start..end)
            .unwrap_or_default()
            .chunks(self.rows.max(1))
            .collect()
    }
}

/// The actions that do something in `pane` beyond moving around, in the order they are listed.
fn pane_actions(pane: Pane) -> Vec<Action> {
    use Action as A;
    match pane {
        Pane::Hosts => vec![
            A::Shell,
            A::Logs,
            A::Ssh,
            A::Wake,
            A::Maintenance,
            A::Create,
        ],
        Pane::Instances => vec![
            A::Mark,
            A::Shell,
            A::Logs,
            A::Ssh,
            A::Power,
            A::Start,
            A::Shutdown,
            A::Stop,
            A::Reboot,
            A::Migrate,
            A::Snapshots,
            A::Create,
            A::Clone,
            A::Destroy,
        ],
        Pane::Tasks => vec![A::Logs, A::Stop],
        Pane::Ceph => vec![A::Toggle, A::Create],
        Pane::Backups => vec![A::Backup, A::Restore, A::Create],
        Pane::Devices | Pane::Networks | Pane::Ha => vec![A::Create],
        Pane::Audit | Pane::Log => Vec::new(),
    }
}

/// What an action does in `pane`, where that differs from its general description.
fn describe_in(pane: Pane, action: &Action) -> String {
    match (pane, action) {
        (Pane::Tasks, Action::Stop) => "stop the selected running task".into(),
        _ => action.describe(),
    }
}

/// Every line of help for the open pane, wrapped to `width` columns.
pub fn lines(model: &Model, width: usize) -> Vec<HelpLine> {
    let pane = model.pane;
    let keys_of = |action: &Action| model.keymap.reached_by(action);
    let mut out = vec![HelpLine::Heading(format!("{} pane", pane.title()))];
    let mut listed = Vec::new();
    for action in pane_actions(pane) {
        if let Some(keys) = keys_of(&action) {
            push_entry(&mut out, &keys, &describe_in(pane, &action), width);
            listed.push(action);
        }
    }
    let sorts = panes::sorts(pane);
    for (at, (_, title)) in sorts.iter().enumerate() {
        // A column with two keys (Hosts: node and name) is listed once, with both.
        if sorts[..at].iter().any(|(_, t)| t == title) {
            continue;
        }
        let keys: Vec<String> = sorts
            .iter()
            .filter(|(_, t)| t == title)
            .filter_map(|(k, _)| keys_of(&Action::Sort(*k)))
            .collect();
        if !keys.is_empty() {
            let text = format!("sort by {} (again: reverse)", title.to_lowercase());
            push_entry(&mut out, &keys.join(" "), &text, width);
        }
    }
    if let Some(keys) = keys_of(&Action::Filter) {
        let fields: Vec<String> = panes::fields(pane)
            .iter()
            .map(|f| format!("{f}:"))
            .collect();
        let text = format!("filter: words, or {} (!term excludes)", fields.join(" "));
        push_entry(&mut out, &keys, &text, width);
        listed.push(Action::Filter);
    }
    let in_some_pane: Vec<Action> = Pane::ALL.into_iter().flat_map(pane_actions).collect();
    out.push(HelpLine::Blank);
    out.push(HelpLine::Heading("Everywhere".into()));
    // The keys a newcomer looks for first: how to leave, get help, and type a command.
    let first = [Action::Quit, Action::Help, Action::Command, Action::Back];
    let everywhere = first
        .iter()
        .cloned()
        .chain(Action::all().into_iter().filter(|a| !first.contains(a)));
    for action in everywhere {
        if listed.contains(&action)
            || matches!(action, Action::Sort(_))
            || in_some_pane.contains(&action)
        {
            continue;
        }
        if let Some(keys) = keys_of(&action) {
            push_entry(&mut out, &keys, &action.describe(), width);
        }
    }
    out.push(HelpLine::Blank);
    out.push(HelpLine::Heading("Coming from k9s".into()));
    for line in [
        "s shell, l logs, d describe, ctrl-d delete, ctrl-k kill, / filter, : commands work as in k9s.",
        "Power (start, shutdown, reboot, stop) is in a menu on p, with a letter each: k9s has no power keys, and in a menu no stray key stops a VM.",
    ] {
        push_entry(&mut out, "", line, width);
    }
    let mut others = Vec::new();
    for other in Pane::ALL.into_iter().filter(|p| *p != pane) {
        for action in pane_actions(other) {
            if listed.contains(&action) || others.iter().any(|(a, _)| *a == action) {
                continue;
            }
            others.push((action, other));
        }
    }
    if !others.is_empty() {
        out.push(HelpLine::Blank);
        out.push(HelpLine::Heading("In other panes".into()));
        for (action, other) in others {
            if let Some(keys) = keys_of(&action) {
                let text = format!("{} ({})", describe_in(other, &action), other.title());
                push_entry(&mut out, &keys, &text, width);
            }
        }
    }
    out
}

/// `keys` and `text` as lines `width` wide: the text wrapped at words under itself.
fn push_entry(out: &mut Vec<HelpLine>, keys: &str, text: &str, width: usize) {
    let room = width.saturating_sub(KEYS_WIDTH + 1).max(12);
    let mut first = true;
    for line in wrap(text, room) {
        out.push(HelpLine::Entry {
            keys: if first {
                keys.to_string()
            } else {
                String::new()
            },
            text: line,
        });
        first = false;
    }
}

/// `text` in lines of at most `width` characters, broken at spaces (a longer word is split).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        while word.chars().count() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
        }
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Where the help popup goes on a screen of `area`.
pub fn popup(area: Rect) -> Rect {
    let w = POPUP_WIDTH.min(area.width);
    let h = area.height.saturating_sub(2);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// The help for the model's pane, paged for its terminal size.
pub fn pages(model: &Model) -> HelpPages {
    let (w, h) = model.size;
    let screen = Rect::new(0, 0, w, h);
    let area = popup(screen);
    // Inside the border.
    let inner_w = area.width.saturating_sub(2);
    let inner_h = area.height.saturating_sub(2);
    let columns = usize::from((inner_w / COLUMN_WIDTH).max(1));
    let column_width = usize::from(inner_w) / columns;
    let rows = usize::from(inner_h).max(1);
    HelpPages {
        columns,
        rows,
        lines: unsplit(lines(model, column_width.saturating_sub(1)), rows),
    }
}

/// The lines with blanks put in where an entry would straddle two columns, so that a
/// description's continuation never starts a column away from its keys.
fn unsplit(lines: Vec<HelpLine>, rows: usize) -> Vec<HelpLine> {
    let mut out: Vec<HelpLine> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let len = 1 + lines[i + 1..]
            .iter()
            .take_while(|l| matches!(l, HelpLine::Entry { keys, .. } if keys.is_empty()))
            .count();
        let at = out.len() % rows;
        if at + len > rows && len <= rows {
            out.extend(std::iter::repeat_n(HelpLine::Blank, rows - at));
        }
        out.extend_from_slice(&lines[i..i + len]);
        i += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_word() {
        assert_eq!(
            wrap("back the guest up now", 10),
            ["back the", "guest up", "now"]
        );
        assert_eq!(wrap("abcdefghijkl", 5), ["abcde", "fghij", "kl"]);
        assert_eq!(wrap("", 5), [""]);
    }
}
