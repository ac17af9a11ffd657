//! A terminal session full screen: a title line (what it is, the escape key, the other
//! sessions), the emulated screen drawn by tui-term, and a status line (connecting, open,
//! closed and why, scrolled back).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_term::widget::{Cursor, PseudoTerminal};

use super::table::cut;
use crate::config::theme::Theme;
use crate::console::model::Model;
use crate::console::terminal::{Session, TermState};

pub fn draw(model: &Model, session: &Session, theme: &Theme, frame: &mut Frame, area: Rect) {
    let [title, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let t = &model.terminals;
    let others: Vec<String> = t
        .sessions
        .iter()
        .enumerate()
        .filter(|(_, s)| s.id != session.id)
        .map(|(i, s)| format!("{} {}", i + 1, s.title))
        .collect();
    let mut spans = vec![
        Span::styled(format!(" {} ", session.title), theme.title),
        Span::styled(format!(" {} back to the panes ", t.escape), theme.accent),
    ];
    if !others.is_empty() {
        spans.push(Span::styled(
            format!(" also open: {} (:term N) ", others.join(", ")),
            theme.dim,
        ));
    }
    let line = cut(Line::from(spans), usize::from(title.width));
    frame.render_widget(Paragraph::new(line), title);
    let screen = session.screen.screen();
    let mut cursor = Cursor::default();
    if screen.hide_cursor() || screen.scrollback() > 0 || session.state != TermState::Open {
        cursor.hide();
    }
    frame.render_widget(PseudoTerminal::new(screen).cursor(cursor), body);
    // What the console has to say (another session closed, a question waiting) comes first.
    let notice = model.notices.last().map(|n| (n.text.clone(), theme.warn));
    let waiting = (!model.asks.is_empty()).then(|| {
        let text = format!("a question waits: {} to answer it", t.escape);
        (text, theme.warn)
    });
    let (text, style) = notice.or(waiting).unwrap_or_else(|| match &session.state {
        TermState::Connecting => ("connecting…".to_string(), theme.dim),
        TermState::Open if screen.scrollback() > 0 => (
            format!(
                "scrolled back {} lines — shift-PgDn goes down, typing returns",
                screen.scrollback()
            ),
            theme.accent,
        ),
        TermState::Open => ("shift-PgUp scrolls back".to_string(), theme.dim),
        TermState::Closed(why) => (format!("closed: {why} — r reconnects"), theme.warn),
    });
    let line = Line::from(Span::styled(format!(" {text}"), style));
    let line = cut(line, usize::from(status.width));
    frame.render_widget(Paragraph::new(line), status);
}
