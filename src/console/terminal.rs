//! Terminals inside the console: node shells and guest consoles, each a session with its own
//! emulated screen (vt100, with 10,000 lines of scrollback), drawn full screen. The escape key
//! (ctrl-] unless the config names another) goes back to the panes and leaves the session open;
//! `:terms` lists the sessions, `:term N` returns to one.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::model::{Level, Model};
use super::update::Effect;
use crate::config::keymap::Key;
use crate::pve::client::Target;

/// Lines a session keeps above its screen.
pub const SCROLLBACK: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermState {
    Connecting,
    Open,
    /// It ended: the far end closed (the shell exited), the connection dropped, or it could
    /// not be opened; why, in words.
    Closed(String),
}

/// What happened to a session (from the connection).
#[derive(Debug)]
pub enum TermEvent {
    Opened,
    Output(Vec<u8>),
    /// Closed: None when the far end ended it, else what went wrong.
    Closed(Option<String>),
}

/// What the connection of a session is told to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermOrder {
    Open {
        cluster: usize,
        target: Target,
        cols: u16,
        rows: u16,
    },
    Input(Vec<u8>),
    Resize(u16, u16),
    Close,
}

pub struct Session {
    pub id: u64,
    pub cluster: usize,
    pub target: Target,
    /// `shell pve-ms01-01`, `console 200 grafana`.
    pub title: String,
    pub screen: vt100::Parser,
    pub state: TermState,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("title", &self.title)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub struct Terminals {
    pub sessions: Vec<Session>,
    /// The session on screen, if any.
    pub shown: Option<u64>,
    /// The key that goes back to the panes.
    pub escape: Key,
    next: u64,
}

impl Default for Terminals {
    fn default() -> Self {
        Self {
            sessions: Vec::new(),
            shown: None,
            escape: Key::new(KeyCode::Char(']'), KeyModifiers::CONTROL),
            next: 1,
        }
    }
}

impl Terminals {
    pub fn shown(&self) -> Option<&Session> {
        let id = self.shown?;
        self.sessions.iter().find(|s| s.id == id)
    }

    fn get_mut(&mut self, id: u64) -> Option<&mut Session> {
        self.sessions.iter_mut().find(|s| s.id == id)
    }
}

/// The size a session's screen has: the whole terminal but its title and status lines.
pub fn screen_size(model: &Model) -> (u16, u16) {
    let (w, h) = model.size;
    (w.max(10), h.saturating_sub(2).max(3))
}

/// Open a terminal on `target` of cluster `cluster` and show it; a session already open on it
/// is shown instead.
pub fn open(
    model: &mut Model,
    cluster: usize,
    target: Target,
    title: String,
    effects: &mut Vec<Effect>,
) {
    let (cols, rows) = screen_size(model);
    let t = &mut model.terminals;
    // A session on it already is shown; a closed one is connected again, its screen kept.
    if let Some(s) = t
        .sessions
        .iter_mut()
        .find(|s| s.cluster == cluster && s.target == target)
    {
        t.shown = Some(s.id);
        if matches!(s.state, TermState::Closed(_)) {
            reconnect(s, cols, rows, effects);
        }
        return;
    }
    let id = t.next;
    t.next += 1;
    model.terminals.sessions.push(Session {
        id,
        cluster,
        target: target.clone(),
        title,
        screen: vt100::Parser::new(rows, cols, SCROLLBACK),
        state: TermState::Connecting,
    });
    model.terminals.shown = Some(id);
    effects.push(Effect::Terminal(
        id,
        TermOrder::Open {
            cluster,
            target,
            cols,
            rows,
        },
    ));
}

pub fn on_event(model: &mut Model, id: u64, what: TermEvent) {
    let Some(s) = model.terminals.get_mut(id) else {
        return;
    };
    match what {
        TermEvent::Opened => s.state = TermState::Open,
        TermEvent::Output(bytes) => s.screen.process(&bytes),
        TermEvent::Closed(why) => {
            let why = why.unwrap_or_else(|| {
                "the connection closed (the shell ended, or its node went away)".into()
            });
            let title = s.title.clone();
            s.state = TermState::Closed(why.clone());
            if model.terminals.shown != Some(id) {
                model.notify(Level::Warn, format!("{title}: {why}"));
            }
        }
    }
}

/// A key while a session is shown: the escape key goes back to the panes, scrolling keys move
/// through the scrollback, `r` reconnects a closed session; everything else is typed into it.
pub fn key(model: &mut Model, key: KeyEvent, effects: &mut Vec<Effect>) {
    let Some(id) = model.terminals.shown else {
        return;
    };
    if is_escape(&key, model.terminals.escape) {
        model.terminals.shown = None;
        return;
    }
    // A notice shown on the session's status line is seen once a key is typed.
    model.notices.clear();
    let (cols, rows) = screen_size(model);
    let Some(s) = model.terminals.get_mut(id) else {
        return;
    };
    let shift = key.modifiers.contains(KeyModifiers::SHIFT);
    match (key.code, &s.state) {
        (KeyCode::PageUp, _) if shift => scroll(s, rows as isize),
        (KeyCode::PageDown, _) if shift => scroll(s, -(rows as isize)),
        (KeyCode::Char('r'), TermState::Closed(_)) => reconnect(s, cols, rows, effects),
        (_, TermState::Closed(_)) => {}
        _ => {
            if let Some(bytes) = key_bytes(&key, s.screen.screen().application_cursor()) {
                // Typing returns to the bottom, as a terminal does.
                s.screen.screen_mut().set_scrollback(0);
                effects.push(Effect::Terminal(id, TermOrder::Input(bytes)));
            }
        }
    }
}

/// Whether `key` is the escape key: terminals send ctrl-] as the byte 0x1d, which crossterm
/// reads back as ctrl-5, so keys are compared by what they send too.
fn is_escape(key: &KeyEvent, escape: Key) -> bool {
    if Key::of(key) == escape {
        return true;
    }
    let as_event = KeyEvent::new(escape.code, escape.mods);
    let sent = key_bytes(key, false);
    sent.is_some() && sent == key_bytes(&as_event, false)
}

/// Connect a closed session again, below what it showed.
fn reconnect(s: &mut Session, cols: u16, rows: u16, effects: &mut Vec<Effect>) {
    s.state = TermState::Connecting;
    s.screen.process(b"\r\n[reconnecting]\r\n");
    effects.push(Effect::Terminal(
        s.id,
        TermOrder::Open {
            cluster: s.cluster,
            target: s.target.clone(),
            cols,
            rows,
        },
    ));
}

fn scroll(s: &mut Session, by: isize) {
    let now = s.screen.screen().scrollback() as isize;
    let to = (now + by).max(0) as usize;
    s.screen.screen_mut().set_scrollback(to);
}

/// Pasted text goes to the shown session as typed.
pub fn paste(model: &mut Model, text: &str, effects: &mut Vec<Effect>) {
    let Some(id) = model.terminals.shown else {
        return;
    };
    let Some(s) = model.terminals.get_mut(id) else {
        return;
    };
    if matches!(s.state, TermState::Closed(_)) {
        return;
    }
    // Lines end as Return sends them; a program that asked for bracketed paste gets it
    // marked, so a pasted line is not run on its own.
    let text = text.replace("\r\n", "\r").replace('\n', "\r");
    let bytes = if s.screen.screen().bracketed_paste() {
        format!("\x1b[200~{text}\x1b[201~").into_bytes()
    } else {
        text.into_bytes()
    };
    s.screen.screen_mut().set_scrollback(0);
    effects.push(Effect::Terminal(id, TermOrder::Input(bytes)));
}

/// The console's size changed: every session follows it.
pub fn resized(model: &mut Model, effects: &mut Vec<Effect>) {
    let (cols, rows) = screen_size(model);
    for s in &mut model.terminals.sessions {
        s.screen.screen_mut().set_size(rows, cols);
        // A connecting session gets it once it is open: orders wait for it.
        if !matches!(s.state, TermState::Closed(_)) {
            effects.push(Effect::Terminal(s.id, TermOrder::Resize(cols, rows)));
        }
    }
}

/// `:terms`: the sessions, in a notice; `:term N` shows one.
pub fn list(model: &mut Model, which: &str) {
    if let Ok(n) = which.parse::<usize>() {
        match model.terminals.sessions.get(n.wrapping_sub(1)) {
            Some(s) => model.terminals.shown = Some(s.id),
            None => model.notify(Level::Error, format!("no terminal {n}; :terms lists them")),
        }
        return;
    }
    if model.terminals.sessions.is_empty() {
        model.notify(
            Level::Info,
            "no terminals: :shell opens the selected node's, :console the selected guest's",
        );
        return;
    }
    let items: Vec<String> = model
        .terminals
        .sessions
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let state = match &s.state {
                TermState::Connecting => "connecting",
                TermState::Open => "open",
                TermState::Closed(_) => "closed",
            };
            format!("{} {} ({state})", i + 1, s.title)
        })
        .collect();
    model.notify(
        Level::Info,
        format!("terminals: {} — :term N returns to one", items.join(", ")),
    );
}

/// The bytes a terminal sends for a key (xterm's), or None for a key it has none for.
pub fn key_bytes(key: &KeyEvent, application_cursor: bool) -> Option<Vec<u8>> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    let cursor = |c: char| -> Vec<u8> {
        if application_cursor {
            format!("\x1bO{c}").into_bytes()
        } else {
            format!("\x1b[{c}").into_bytes()
        }
    };
    let mut bytes = match key.code {
        KeyCode::Char(c) if ctrl => match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '@' | '[' | '\\' | ']' | '^' | '_') => vec![c as u8 & 0x1f],
            ' ' | '2' => vec![0],
            // What a terminal sends for ctrl and a digit (ctrl-5 is ctrl-]'s byte).
            d @ '3'..='7' => vec![0x1b + (d as u8 - b'3')],
            '8' => vec![0x7f],
            _ => return None,
        },
        KeyCode::Char(c) => c.to_string().into_bytes(),
        KeyCode::Enter => vec![b'\r'],
        KeyCode::Backspace => vec![0x7f],
        KeyCode::Tab => vec![b'\t'],
        KeyCode::BackTab => b"\x1b[Z".to_vec(),
        KeyCode::Esc => vec![0x1b],
        KeyCode::Up => cursor('A'),
        KeyCode::Down => cursor('B'),
        KeyCode::Right => cursor('C'),
        KeyCode::Left => cursor('D'),
        KeyCode::Home => cursor('H'),
        KeyCode::End => cursor('F'),
        KeyCode::Insert => b"\x1b[2~".to_vec(),
        KeyCode::Delete => b"\x1b[3~".to_vec(),
        KeyCode::PageUp => b"\x1b[5~".to_vec(),
        KeyCode::PageDown => b"\x1b[6~".to_vec(),
        KeyCode::F(n @ 1..=4) => format!("\x1bO{}", (b'P' + n - 1) as char).into_bytes(),
        KeyCode::F(n @ 5..=12) => {
            let code = [15, 17, 18, 19, 20, 21, 23, 24][usize::from(n - 5)];
            format!("\x1b[{code}~").into_bytes()
        }
        _ => return None,
    };
    if alt {
        bytes.insert(0, 0x1b);
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn keys_become_what_xterm_sends() {
        let none = KeyModifiers::NONE;
        assert_eq!(
            key_bytes(&k(KeyCode::Char('a'), none), false),
            Some(b"a".to_vec())
        );
        assert_eq!(
            key_bytes(&k(KeyCode::Char('c'), KeyModifiers::CONTROL), false),
            Some(vec![3])
        );
        assert_eq!(
            key_bytes(&k(KeyCode::Up, none), false),
            Some(b"\x1b[A".to_vec())
        );
        assert_eq!(
            key_bytes(&k(KeyCode::Up, none), true),
            Some(b"\x1bOA".to_vec())
        );
        assert_eq!(
            key_bytes(&k(KeyCode::Char('b'), KeyModifiers::ALT), false),
            Some(b"\x1bb".to_vec())
        );
        assert_eq!(
            key_bytes(&k(KeyCode::F(5), none), false),
            Some(b"\x1b[15~".to_vec())
        );
        assert_eq!(
            key_bytes(&k(KeyCode::Enter, none), false),
            Some(b"\r".to_vec())
        );
        // crossterm reads the byte of ctrl-] back as ctrl-5: both are the escape key.
        let escape = Key::new(KeyCode::Char(']'), KeyModifiers::CONTROL);
        assert!(is_escape(
            &k(KeyCode::Char('5'), KeyModifiers::CONTROL),
            escape
        ));
        assert!(is_escape(
            &k(KeyCode::Char(']'), KeyModifiers::CONTROL),
            escape
        ));
        assert!(!is_escape(
            &k(KeyCode::Char('c'), KeyModifiers::CONTROL),
            escape
        ));
    }
}
