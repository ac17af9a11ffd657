//! A log followed on screen (`l`): a node's journal, one task's log, or the tasks that concerned
//! a guest with their logs. Newest at the bottom, following as `tail -f` does until the user
//! scrolls up (End follows again); `/` keeps the lines that match, as the panes' filter does.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::line_edit;
use super::model::{Level, Model};
use super::update::Effect;
use crate::model::filter::contains_folded;

/// Lines a view keeps; older ones go first.
pub const KEEP: usize = 10_000;

/// What is being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSource {
    /// The node's journal (`GET /nodes/{node}/syslog`).
    Syslog { node: String },
    /// One task's log, followed until the task ends.
    Task {
        node: String,
        upid: String,
        what: String,
    },
    /// The tasks that concerned a guest, oldest first, each with its log; `nodes` are where
    /// its history may be (every online node: a guest moves).
    Guest {
        vmid: u32,
        name: String,
        nodes: Vec<String>,
    },
}

impl LogSource {
    pub fn title(&self) -> String {
        match self {
            LogSource::Syslog { node } => format!("syslog {node}"),
            LogSource::Task { what, node, .. } => format!("task {what} on {node}"),
            LogSource::Guest { vmid, name, .. } => format!("tasks of {vmid} {name}"),
        }
    }
}

/// What the reader of a view is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogOrder {
    Open { cluster: usize, source: LogSource },
    Close,
}

/// What the reader says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    /// Everything read so far, oldest first.
    Lines(Vec<String>),
    /// A read failed; the reader tries again in `retry` seconds, the lines read stay.
    Failed { why: String, retry: u64 },
    /// Nothing more will come (the task ended): how it ended.
    Ended(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogState {
    Reading,
    Following,
    Failed { why: String, retry: u64 },
    Ended(String),
}

#[derive(Debug)]
pub struct LogView {
    pub id: u64,
    pub cluster: usize,
    pub source: LogSource,
    pub lines: Vec<String>,
    pub state: LogState,
    /// The first line shown (of the lines the filter keeps); None: the newest at the bottom,
    /// following.
    pub top: Option<usize>,
    pub filter: String,
    /// The filter being typed.
    pub editing: Option<Box<TextArea<'static>>>,
    /// Long lines wrap (else they are cut with `…`).
    pub wrap: bool,
}

impl LogView {
    /// The lines the filter keeps: every word must match (case aside), `!word` must not.
    pub fn shown(&self) -> Vec<&str> {
        let words: Vec<(bool, String)> = self
            .filter
            .split_whitespace()
            .map(|w| match w.strip_prefix('!') {
                Some(rest) => (true, rest.to_lowercase()),
                None => (false, w.to_lowercase()),
            })
            .filter(|(_, w)| !w.is_empty())
            .collect();
        self.lines
            .iter()
            .map(String::as_str)
            .filter(|line| {
                words
                    .iter()
                    .all(|(negated, w)| contains_folded(line, w) != *negated)
            })
            .collect()
    }
}

/// Rows a line takes at `width` columns when wrapped.
fn rows_of(line: &str, width: usize) -> usize {
    let chars = line.chars().count();
    chars.div_ceil(width.max(1)).max(1)
}

/// Rows line `i` takes as drawn.
fn rows_at(lines: &[&str], i: usize, width: usize, wrap: bool) -> usize {
    if wrap { rows_of(lines[i], width) } else { 1 }
}

/// The first of the lines just above `below` that fill `height` rows.
fn fill_up(lines: &[&str], below: usize, height: usize, width: usize, wrap: bool) -> usize {
    let mut used = 0;
    let mut i = below.min(lines.len());
    while i > 0 {
        let rows = rows_at(lines, i - 1, width, wrap);
        if used + rows > height {
            break;
        }
        used += rows;
        i -= 1;
    }
    i
}

/// The index of the first line on screen when the newest is at the bottom of `height` rows.
pub fn first_at_bottom(lines: &[&str], height: usize, width: usize, wrap: bool) -> usize {
    fill_up(lines, lines.len(), height, width, wrap)
}

/// The first line of the next page: the line after the last one wholly on screen from `top`.
pub fn page_down(lines: &[&str], top: usize, height: usize, width: usize, wrap: bool) -> usize {
    let mut used = 0;
    let mut i = top;
    while i < lines.len() {
        used += rows_at(lines, i, width, wrap);
        if used > height {
            break;
        }
        i += 1;
    }
    // A line taller than the screen still moves on.
    i.max(top + 1)
}

/// The first line of the page before: as many lines above `top` as fill the screen.
pub fn page_up(lines: &[&str], top: usize, height: usize, width: usize, wrap: bool) -> usize {
    fill_up(lines, top, height, width, wrap).min(top.saturating_sub(1))
}

/// Rows for the lines: the screen less the title and the status line.
pub fn view_height(model: &Model) -> usize {
    usize::from(model.size.1).saturating_sub(2).max(1)
}

/// Open a view of `source` on cluster `cluster`, replacing the one open.
pub fn open(model: &mut Model, cluster: usize, source: LogSource, effects: &mut Vec<Effect>) {
    close(model, effects);
    model.log_views += 1;
    let id = model.log_views;
    model.log_view = Some(LogView {
        id,
        cluster,
        source: source.clone(),
        lines: Vec::new(),
        state: LogState::Reading,
        top: None,
        filter: String::new(),
        editing: None,
        wrap: true,
    });
    effects.push(Effect::Log(id, LogOrder::Open { cluster, source }));
}

pub fn close(model: &mut Model, effects: &mut Vec<Effect>) {
    if let Some(view) = model.log_view.take() {
        effects.push(Effect::Log(view.id, LogOrder::Close));
    }
}

/// The reader of view `id` said something.
pub fn on_event(model: &mut Model, id: u64, what: LogEvent) {
    let Some(view) = model.log_view.as_mut().filter(|v| v.id == id) else {
        return;
    };
    match what {
        LogEvent::Lines(mut lines) => {
            if lines.len() > KEEP {
                lines.drain(..lines.len() - KEEP);
            }
            // A paused view stays on the lines it shows when older ones go: the new first line
            // was this far down the old ones.
            if let Some(top) = view.top.as_mut()
                && view.lines.first() != lines.first()
            {
                let dropped = view
                    .lines
                    .iter()
                    .position(|l| Some(l) == lines.first())
                    .unwrap_or(0);
                *top = top.saturating_sub(dropped);
            }
            view.lines = lines;
            if !matches!(view.state, LogState::Ended(_)) {
                view.state = LogState::Following;
            }
            if let Some(top) = view.top {
                view.top = Some(top.min(view.shown().len().saturating_sub(1)));
            }
        }
        LogEvent::Failed { why, retry } => view.state = LogState::Failed { why, retry },
        LogEvent::Ended(how) => view.state = LogState::Ended(how),
    }
}

/// A key while the view is on screen.
pub fn key(model: &mut Model, key: KeyEvent, effects: &mut Vec<Effect>) {
    let height = view_height(model);
    let width = usize::from(model.size.0).max(1);
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let Some(view) = model.log_view.as_mut() else {
        return;
    };
    if let Some(area) = view.editing.as_mut() {
        match key.code {
            KeyCode::Enter => view.editing = None,
            KeyCode::Esc => {
                view.editing = None;
                view.filter.clear();
            }
            KeyCode::Char('c') if ctrl => {
                view.editing = None;
                view.filter.clear();
            }
            _ => {
                line_edit::edit(area, key);
                view.filter = area.lines().join(" ");
            }
        }
        view.top = None;
        return;
    }
    let shown = view.shown();
    let last = shown.len().saturating_sub(1);
    let bottom = first_at_bottom(&shown, height, width, view.wrap);
    let current = view.top.unwrap_or(bottom).min(bottom);
    let top = match (key.code, ctrl) {
        (KeyCode::Char('c'), true) => {
            model.quit = true;
            return;
        }
        (KeyCode::Char('b'), true) | (KeyCode::PageUp, _) => {
            Some(page_up(&shown, current, height, width, view.wrap))
        }
        (KeyCode::Char('f'), true) | (KeyCode::PageDown, _) => {
            Some(page_down(&shown, current, height, width, view.wrap))
        }
        (_, true) => return,
        // As in the panes: Esc clears a filter first, then leaves.
        (KeyCode::Esc, _) if !view.filter.is_empty() => {
            view.filter.clear();
            view.top = None;
            return;
        }
        (KeyCode::Esc | KeyCode::Char('q'), _) => {
            close(model, effects);
            return;
        }
        (KeyCode::Char('?'), _) => {
            model.notify(
                Level::Info,
                "↑↓ PgUp PgDn scroll (pauses) · End G f follow · Home g top · / filter (!word excludes) · w wrap · r read again · Esc back",
            );
            return;
        }
        (KeyCode::Char('r'), _) => {
            reopen(model, effects);
            return;
        }
        (KeyCode::Char('/'), _) => {
            let mut area = TextArea::new(vec![view.filter.clone()]);
            area.move_cursor(ratatui_textarea::CursorMove::End);
            view.editing = Some(Box::new(area));
            return;
        }
        (KeyCode::Char('w'), _) => {
            view.wrap = !view.wrap;
            view.top = view.top.map(|t| t.min(last));
            return;
        }
        (KeyCode::Char('f') | KeyCode::End | KeyCode::Char('G'), _) => None,
        (KeyCode::Up | KeyCode::Char('k'), _) => Some(current.saturating_sub(1)),
        (KeyCode::Down | KeyCode::Char('j'), _) => Some(current + 1),
        (KeyCode::Home | KeyCode::Char('g'), _) => Some(0),
        _ => return,
    };
    // Scrolling down to where following would show the same lines follows again.
    view.top = match top {
        Some(t) if t < bottom => Some(t.min(last)),
        _ => None,
    };
}

/// `r`: read the log again from the start (at once, not after the reader's backoff).
fn reopen(model: &mut Model, effects: &mut Vec<Effect>) {
    let Some(view) = model.log_view.as_ref() else {
        return;
    };
    let (cluster, source) = (view.cluster, view.source.clone());
    open(model, cluster, source, effects);
}
