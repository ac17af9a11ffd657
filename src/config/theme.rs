//! Colour themes: `themes/*.toml`, compiled in, chosen by name or read from a file the config
//! names. `NO_COLOR` wins over any theme: attributes (bold, reverse) only.

use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

const BUILT_IN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// The styles the UI draws with.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub base: Style,
    pub dim: Style,
    pub accent: Style,
    pub title: Style,
    pub border: Style,
    pub selected: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub info: Style,
    pub chart: Style,
    pub chart_alt: Style,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    fg: Option<String>,
    bg: Option<String>,
    dim: Option<String>,
    accent: Option<String>,
    title: Option<String>,
    border: Option<String>,
    selected_fg: Option<String>,
    selected_bg: Option<String>,
    ok: Option<String>,
    warn: Option<String>,
    error: Option<String>,
    info: Option<String>,
    chart: Option<String>,
    chart_alt: Option<String>,
}

impl RawTheme {
    /// `self`'s entries over `base`'s.
    fn over(self, base: RawTheme) -> RawTheme {
        RawTheme {
            fg: self.fg.or(base.fg),
            bg: self.bg.or(base.bg),
            dim: self.dim.or(base.dim),
            accent: self.accent.or(base.accent),
            title: self.title.or(base.title),
            border: self.border.or(base.border),
            selected_fg: self.selected_fg.or(base.selected_fg),
            selected_bg: self.selected_bg.or(base.selected_bg),
            ok: self.ok.or(base.ok),
            warn: self.warn.or(base.warn),
            error: self.error.or(base.error),
            info: self.info.or(base.info),
            chart: self.chart.or(base.chart),
            chart_alt: self.chart_alt.or(base.chart_alt),
        }
    }
}

/// The default theme's entries, which every other theme falls back on.
fn default_raw() -> RawTheme {
    BUILT_IN
        .first()
        .and_then(|(_, text)| toml::from_str::<RawTheme>(text).ok())
        .unwrap_or_default()
}

impl Default for Theme {
    fn default() -> Self {
        Self::build(default_raw()).unwrap_or_else(|_| Self::no_color())
    }
}

impl Theme {
    /// Names of the compiled-in themes.
    pub fn names() -> impl Iterator<Item = &'static str> {
        BUILT_IN.iter().map(|(name, _)| *name)
    }

    /// The theme `name_or_path` names (a built-in name or a file), or the default with a warning
    /// saying why not. `no_color` (from `NO_COLOR`) drops all colour.
    pub fn load(name_or_path: &str, no_color: bool) -> (Theme, Option<String>) {
        if no_color {
            return (Self::no_color(), None);
        }
        match Self::read(name_or_path) {
            Ok(theme) => (theme, None),
            Err(why) => (
                Theme::default(),
                Some(format!(
                    "theme \"{name_or_path}\": {why}; using the default theme"
                )),
            ),
        }
    }

    fn read(name_or_path: &str) -> Result<Theme, String> {
        let text = match BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            Some((_, text)) => (*text).to_string(),
            None if name_or_path.ends_with(".toml") || name_or_path.contains('/') => {
                let path = super::secrets::expand_home(Path::new(name_or_path));
                std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            }
            None => {
                let names: Vec<_> = Self::names().map(|n| format!("\"{n}\"")).collect();
                return Err(format!(
                    "no such theme; the built-in ones are {}, or give a file path",
                    names.join(", ")
                ));
            }
        };
        let raw: RawTheme = toml::from_str(&text).map_err(|e| e.to_string().trim().to_string())?;
        Self::build(raw.over(default_raw()))
    }

    fn build(raw: RawTheme) -> Result<Theme, String> {
        let colour = |key: &str, value: &Option<String>| -> Result<Color, String> {
            match value.as_deref() {
                None => Ok(Color::Reset),
                Some(text) => {
                    Color::from_str(text).map_err(|_| format!("{key} = \"{text}\" is not a colour"))
                }
            }
        };
        let fg = |key: &str, value: &Option<String>| -> Result<Style, String> {
            Ok(Style::new().fg(colour(key, value)?))
        };
        Ok(Theme {
            base: Style::new()
                .fg(colour("fg", &raw.fg)?)
                .bg(colour("bg", &raw.bg)?),
            dim: fg("dim", &raw.dim)?,
            accent: fg("accent", &raw.accent)?,
            title: fg("title", &raw.title)?.add_modifier(Modifier::BOLD),
            border: fg("border", &raw.border)?,
            selected: Style::new()
                .fg(colour("selected_fg", &raw.selected_fg)?)
                .bg(colour("selected_bg", &raw.selected_bg)?)
                .add_modifier(Modifier::BOLD),
            ok: fg("ok", &raw.ok)?,
            warn: fg("warn", &raw.warn)?,
            error: fg("error", &raw.error)?.add_modifier(Modifier::BOLD),
            info: fg("info", &raw.info)?,
            chart: fg("chart", &raw.chart)?,
            chart_alt: fg("chart_alt", &raw.chart_alt)?,
        })
    }

    /// What `NO_COLOR` gets: the terminal's colours, meaning carried by attributes.
    pub fn no_color() -> Theme {
        let plain = Style::new();
        Theme {
            base: plain,
            dim: plain,
            accent: plain.add_modifier(Modifier::BOLD),
            title: plain.add_modifier(Modifier::BOLD),
            border: plain,
            selected: plain.add_modifier(Modifier::REVERSED),
            ok: plain,
            warn: plain.add_modifier(Modifier::BOLD),
            error: plain.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            info: plain,
            chart: plain,
            chart_alt: plain,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_loads() {
        for name in Theme::names() {
            let (_, warning) = Theme::load(name, false);
            assert_eq!(warning, None, "{name}");
        }
        assert_ne!(Theme::load("light", false).0, Theme::default());
    }

    #[test]
    fn a_bad_theme_falls_back_with_a_reason() {
        let (theme, warning) = Theme::load("neon", false);
        assert_eq!(theme, Theme::default());
        assert!(warning.unwrap().contains("\"high-contrast\""));
    }

    #[test]
    fn no_color_wins() {
        let (theme, _) = Theme::load("light", true);
        assert_eq!(theme.ok.fg, None);
        assert!(theme.selected.add_modifier.contains(Modifier::REVERSED));
    }
}
