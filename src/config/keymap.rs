//! Keys and what they do: the built-in keymap, with the user's `[keys]` entries on top. A key is
//! written as `x`, `X`, `ctrl-r`, `alt-x`, `f5`, `enter`, `esc`, `tab`, `pgdn`, `space`…

use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::{Action, POWER_MENU, Pane, SortKey};

/// A key with its modifiers, normalised so that `X` and `shift-x` are the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Self {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            // The character already says whether shift was down.
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Self { code, mods }
    }

    pub fn of(event: &KeyEvent) -> Self {
        Self::new(event.code, event.modifiers)
    }

    fn plain(code: KeyCode) -> Self {
        Self::new(code, KeyModifiers::NONE)
    }

    fn char(c: char) -> Self {
        Self::plain(KeyCode::Char(c))
    }
}

const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pgup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
    ("space", KeyCode::Char(' ')),
];

impl FromStr for Key {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (prefix, flag) = if lower.starts_with("ctrl-") {
                ("ctrl-", KeyModifiers::CONTROL)
            } else if lower.starts_with("alt-") {
                ("alt-", KeyModifiers::ALT)
            } else if lower.starts_with("shift-") {
                ("shift-", KeyModifiers::SHIFT)
            } else {
                break;
            };
            mods |= flag;
            rest = &rest[prefix.len()..];
        }
        let lower = rest.to_ascii_lowercase();
        let mut chars = rest.chars();
        let code = if let (Some(c), None) = (chars.next(), chars.next()) {
            if mods.contains(KeyModifiers::SHIFT) {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::Char(c.to_ascii_uppercase())
            } else {
                KeyCode::Char(c)
            }
        } else if let Some((_, code)) = NAMED.iter().find(|(name, _)| *name == lower) {
            *code
        } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            KeyCode::F(n)
        } else {
            return Err(format!(
                "\"{text}\" is not a key; write keys like \"x\", \"X\", \"ctrl-r\", \"f5\", \"enter\", \"pgdn\""
            ));
        };
        Ok(Key::new(code, mods))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            code => match NAMED.iter().find(|(_, c)| *c == code) {
                Some((name, _)) => f.write_str(name),
                None => write!(f, "{code:?}"),
            },
        }
    }
}

/// Which action each key runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    bindings: Vec<(Key, Action)>,
}

impl Default for Keymap {
    fn default() -> Self {
        use Action as A;
        let mut bindings = vec![
            (Key::char('q'), A::Quit),
            (Key::new(KeyCode::Char('c'), KeyModifiers::CONTROL), A::Quit),
            (Key::char('?'), A::Help),
            (
                Key::new(KeyCode::Char('r'), KeyModifiers::CONTROL),
                A::Refresh,
            ),
            (Key::char('k'), A::Up),
            (Key::plain(KeyCode::Up), A::Up),
            (Key::char('j'), A::Down),
            (Key::plain(KeyCode::Down), A::Down),
            (Key::plain(KeyCode::PageUp), A::PageUp),
            (
                Key::new(KeyCode::Char('b'), KeyModifiers::CONTROL),
                A::PageUp,
            ),
            (Key::plain(KeyCode::PageDown), A::PageDown),
            (
                Key::new(KeyCode::Char('f'), KeyModifiers::CONTROL),
                A::PageDown,
            ),
            (Key::plain(KeyCode::Home), A::Top),
            (Key::plain(KeyCode::End), A::Bottom),
            (Key::plain(KeyCode::Enter), A::Detail),
            (Key::char('v'), A::ToggleDetail),
            (Key::plain(KeyCode::Esc), A::Back),
            (Key::char('/'), A::Filter),
            (Key::char(':'), A::Command),
            (Key::plain(KeyCode::Tab), A::NextCluster),
            (Key::plain(KeyCode::BackTab), A::PrevCluster),
            // k9s habit: 0 shows every namespace, here every cluster.
            (Key::char('0'), A::AllClusters),
            (Key::char(' '), A::Mark),
            // k9s habits: s a shell, l logs, d describe, ctrl-k kill. Power actions, which k9s
            // does not have, sit in a menu (p) so that none is one stray key away.
            (Key::char('s'), A::Shell),
            (Key::char('l'), A::Logs),
            // ssh "out" of rack into the machine.
            (Key::char('o'), A::Ssh),
            (Key::char('d'), A::Detail),
            (Key::char('p'), A::Power),
            (Key::new(KeyCode::Char('k'), KeyModifiers::CONTROL), A::Stop),
            (Key::char('m'), A::Migrate),
            (Key::char('n'), A::Snapshots),
            (Key::char('w'), A::Wake),
            (Key::char('x'), A::Maintenance),
            (Key::char('c'), A::Create),
            (Key::char('y'), A::Clone),
            (Key::char('t'), A::Toggle),
            (Key::char('B'), A::Backup),
            (Key::char('R'), A::Restore),
            // k9s habit: ctrl-d deletes.
            (
                Key::new(KeyCode::Char('d'), KeyModifiers::CONTROL),
                A::Destroy,
            ),
        ];
        for pane in Pane::ALL {
            let digit = char::from_digit(pane.number() as u32, 10).unwrap_or('0');
            bindings.push((Key::char(digit), A::Show(pane)));
        }
        // k9s habit: shift and a letter of the column sorts by it.
        for key in SortKey::ALL {
            let letter = match key {
                SortKey::Vmid => 'V',
                SortKey::Name => 'N',
                SortKey::Type => 'Y',
                SortKey::Status => 'S',
                SortKey::Node => 'O',
                SortKey::Cpu => 'C',
                SortKey::Mem => 'M',
                SortKey::Disk => 'D',
                SortKey::Uptime => 'U',
                SortKey::Tags => 'T',
                SortKey::Ha => 'H',
                SortKey::Lock => 'L',
                SortKey::Template => 'X',
                SortKey::Pool => 'P',
                SortKey::Load => 'A',
                SortKey::Guests => 'G',
                SortKey::Version => 'E',
                SortKey::User => 'W',
                SortKey::Took => 'K',
                SortKey::Progress => 'Q',
                SortKey::Path => 'F',
                SortKey::Iommu => 'J',
                SortKey::Mtu => 'Z',
                SortKey::Info => 'I',
            };
            bindings.push((Key::char(letter), A::Sort(key)));
        }
        Self { bindings }
    }
}

impl Keymap {
    /// The built-in keymap with `overrides` on top: a key bound by the user does only what the
    /// user says.
    pub fn with(overrides: &[(Key, Action)]) -> Self {
        let mut map = Self::default();
        for (key, action) in overrides {
            map.bindings.retain(|(k, _)| k != key);
            map.bindings.push((*key, action.clone()));
        }
        map
    }

    pub fn action(&self, event: &KeyEvent) -> Option<&Action> {
        let key = Key::of(event);
        self.bindings
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, a)| a)
    }

    /// The keys that run `action`, as they are written in the config.
    pub fn keys_for(&self, action: &Action) -> Vec<Key> {
        self.bindings
            .iter()
            .filter(|(_, a)| a == action)
            .map(|(k, _)| *k)
            .collect()
    }

    /// How `action` is reached, as help and the detail write it: its keys ("q ctrl-c"), or
    /// for a power action without a key of its own the power menu's key and its letter
    /// ("p s"); None when nothing reaches it.
    pub fn reached_by(&self, action: &Action) -> Option<String> {
        let keys = self.keys_for(action);
        if !keys.is_empty() {
            let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
            return Some(keys.join(" "));
        }
        let (letter, _) = POWER_MENU.iter().find(|(_, a)| a == action)?;
        let menu = self.keys_for(&Action::Power).first()?.to_string();
        Some(format!("{menu} {letter}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_print_as_written() {
        for text in [
            "x", "X", "ctrl-r", "alt-x", "f5", "enter", "esc", "pgdn", "space", "?",
        ] {
            let key: Key = text.parse().unwrap();
            assert_eq!(key.to_string(), text);
        }
        assert_eq!("shift-x".parse::<Key>(), "X".parse::<Key>());
        assert_eq!("Ctrl-R".parse::<Key>(), "ctrl-r".parse::<Key>());
        assert!("hyper-x".parse::<Key>().is_err());
    }

    #[test]
    fn overrides_replace_a_key_and_keep_the_rest() {
        let ctrl_r: Key = "ctrl-r".parse().unwrap();
        let map = Keymap::with(&[
            (ctrl_r, Action::Help),
            ("f5".parse().unwrap(), Action::Refresh),
        ]);
        let event = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
        assert_eq!(map.action(&event), Some(&Action::Help));
        assert_eq!(map.keys_for(&Action::Refresh), ["f5".parse().unwrap()]);
        let shifted = KeyEvent::new(KeyCode::Char('N'), KeyModifiers::SHIFT);
        assert_eq!(map.action(&shifted), Some(&Action::Sort(SortKey::Name)));
    }
}
