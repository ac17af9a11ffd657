//! Keys in a one-line text field, as readline has them (ctrl-u to the start, ctrl-w a word,
//! ctrl-a / ctrl-e to either end, ctrl-k to the end), instead of the text area's own
//! shortcuts, where ctrl-u is undo and takes back one character.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::{CursorMove, TextArea};

/// Apply `key` to the field; true when it changed the text.
pub fn edit(area: &mut TextArea<'_>, key: KeyEvent) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    match key.code {
        KeyCode::Char('u') if ctrl => area.delete_line_by_head(),
        KeyCode::Char('w') if ctrl => area.delete_word(),
        KeyCode::Backspace if alt || ctrl => area.delete_word(),
        KeyCode::Char('k') if ctrl => area.delete_line_by_end(),
        KeyCode::Char('h') if ctrl => area.delete_char(),
        KeyCode::Char('d') if ctrl => area.delete_next_char(),
        KeyCode::Char('a') if ctrl => {
            area.move_cursor(CursorMove::Head);
            false
        }
        KeyCode::Char('e') if ctrl => {
            area.move_cursor(CursorMove::End);
            false
        }
        KeyCode::Home => {
            area.move_cursor(CursorMove::Head);
            false
        }
        KeyCode::End => {
            area.move_cursor(CursorMove::End);
            false
        }
        KeyCode::Left if ctrl || alt => {
            area.move_cursor(CursorMove::WordBack);
            false
        }
        KeyCode::Right if ctrl || alt => {
            area.move_cursor(CursorMove::WordForward);
            false
        }
        KeyCode::Left => {
            area.move_cursor(CursorMove::Back);
            false
        }
        KeyCode::Right => {
            area.move_cursor(CursorMove::Forward);
            false
        }
        // Other control keys do nothing rather than something surprising (undo, a newline).
        KeyCode::Char(_) if ctrl || alt => false,
        KeyCode::Char(_) | KeyCode::Backspace | KeyCode::Delete => {
            area.input_without_shortcuts(key)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &str) -> TextArea<'static> {
        let mut a = TextArea::default();
        a.insert_str(text);
        a
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    #[test]
    fn readline_keys() {
        let mut a = field("web-01 prod");
        assert!(edit(&mut a, ctrl('w')));
        assert_eq!(a.lines()[0], "web-01 ");
        assert!(edit(&mut a, ctrl('u')));
        assert_eq!(
            a.lines()[0],
            "",
            "ctrl-u clears to the start, not one character"
        );
        let mut a = field("abc def");
        edit(&mut a, ctrl('a'));
        edit(&mut a, ctrl('k'));
        assert_eq!(a.lines()[0], "");
        let mut a = field("abc");
        edit(
            &mut a,
            KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE),
        );
        edit(&mut a, KeyEvent::new(KeyCode::Left, KeyModifiers::NONE));
        edit(
            &mut a,
            KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE),
        );
        assert_eq!(a.lines()[0], "abx");
        // ctrl-r (redo) and friends do nothing.
        assert!(!edit(&mut a, ctrl('r')));
        assert!(!edit(
            &mut a,
            KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)
        ));
        assert_eq!(a.lines()[0], "abx");
    }
}
