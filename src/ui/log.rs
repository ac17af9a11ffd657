//! The Log pane: the cluster log, newest first (`:log`), with errors in red; the detail shows
//! an entry whole.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::table::{self, Column, TableView};
use crate::action::SortKey;
use crate::config::theme::Theme;
use crate::console::model::Model;
use crate::model::cluster_log::LogRow;
use crate::model::text::duration;
use crate::pve::calendar::format_datetime;

type LogColumn = Column<LogRow>;

fn style(r: &LogRow, t: &Theme) -> ratatui::style::Style {
    match r.level {
        "error" => t.error,
        "warning" => t.warn,
        _ => t.base,
    }
}

pub const LOG_COLUMNS: &[LogColumn] = &[
    LogColumn::new(SortKey::Uptime, 9, 1, |r, t| match r.ago {
        Some(a) => Line::raw(format!("{} ago", duration(a))),
        None => Line::styled("–", t.dim),
    })
    .right(),
    LogColumn::new(SortKey::Node, 12, 1, |r, _| Line::raw(r.node.clone())),
    LogColumn::new(SortKey::Status, 7, 2, |r, t| {
        Line::styled(r.level, style(r, t))
    }),
    LogColumn::new(SortKey::User, 14, 3, |r, _| Line::raw(r.user.clone())),
    LogColumn::new(SortKey::Info, 30, 0, |r, t| {
        Line::styled(r.msg.clone(), style(r, t))
    })
    .fill(),
];

pub fn pane(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let source = model.snapshot().map(|s| &s.cluster_log);
    let empty = super::panes::empty_text(
        source,
        &model.log,
        "reading the cluster log…",
        "the cluster log could not be read (see the status line)",
        "the cluster log is empty",
    );
    table::draw(
        TableView {
            title: super::panes::read_title(
                &super::panes::pane_name(model, "Log"),
                &model.log,
                model.log.rows.len(),
                source,
                None,
                model.now,
                theme,
            ),
            columns: LOG_COLUMNS,
            rows: &model.log.rows,
            state: &model.log,
            keymap: &model.keymap,
            empty,
            marked: None,
        },
        theme,
        frame,
        area,
    );
}

/// One entry whole: when, where, who, which daemon, the message wrapped.
pub fn detail(r: &LogRow, theme: &Theme, frame: &mut Frame, area: Rect) {
    let inner = super::detail::framed(
        frame,
        area,
        vec![Span::styled(format!(" {} ", r.level), style(r, theme))],
        theme,
    );
    let mut at = format!("{} UTC", format_datetime(r.time as f64));
    if let Some(a) = r.ago {
        at.push_str(&format!(" ({} ago)", duration(a)));
    }
    let mut lines = vec![Line::from(super::fact("at", at, theme))];
    let mut who = super::fact("node", r.node.clone(), theme);
    who.extend(super::fact("user", r.user.clone(), theme));
    who.extend(super::fact("from", r.tag.clone(), theme));
    lines.push(Line::from(who));
    lines.push(Line::from(""));
    lines.push(Line::styled(r.msg.clone(), style(r, theme)));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
