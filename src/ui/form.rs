//! The create and clone forms: one field a row, the value as typed or chosen, and beside it why it
//! will not do (or a tick). Long forms scroll to keep the focused field in view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::config::theme::Theme;
use crate::console::form::{CreateForm, FieldId, Input};
use crate::sched::Policy;

const LABEL: usize = 16;
const VALUE: usize = 34;

pub fn draw(form: &CreateForm, theme: &Theme, frame: &mut Frame, area: Rect) {
    let fields = form.fields();
    let mut head: Vec<Line> = Vec::new();
    match &form.catalog {
        None => head.push(Line::styled(
            "  reading nodes, storages, networks and images…",
            theme.dim,
        )),
        Some(Err(e)) => head.push(Line::styled(
            format!("  cannot read the cluster: {e}"),
            theme.error,
        )),
        Some(Ok(c)) if !c.problems.is_empty() => head.push(Line::styled(
            format!("  partly read: {}", c.problems.join("; ")),
            theme.warn,
        )),
        Some(Ok(_)) => {}
    }
    let mut foot = ranking(form, theme);
    // The popup is 100 wide: a problem of the focused field that does not fit beside it is
    // said in full below the fields.
    const INNER: usize = 98;
    let focused_row = row(form, form.focused(), true, theme);
    if focused_row.width() > INNER
        && let Some(why) = form.problem(form.focused())
    {
        foot.push(Line::from(""));
        let text = format!("✗ {}: {why}", form.focused().label(&form.kind));
        for part in wrap_words(&text, INNER - 2) {
            foot.push(Line::styled(format!("  {part}"), theme.warn));
        }
    }
    foot.push(Line::from(""));
    foot.push(if form.discarding {
        Line::styled(
            "  Discard your changes?  Enter/y/ctrl-c discard   any other key: back to the form",
            theme.warn.add_modifier(ratatui::style::Modifier::BOLD),
        )
    } else {
        Line::styled(
            "  Tab/↑↓ field   ←→ choose   space toggle   Enter submit   Esc/ctrl-c cancel",
            theme.dim,
        )
    });
    let wanted = (fields.len() + head.len() + foot.len() + 2) as u16;
    let popup = super::centered(area, 100, wanted.min(area.height));
    let inner_rows = popup.height.saturating_sub(2) as usize;
    let room = inner_rows.saturating_sub(head.len() + foot.len()).max(1);
    let focus = fields
        .iter()
        .position(|f| *f == form.focused())
        .unwrap_or(0);
    let first = focus.saturating_sub(room.saturating_sub(1));
    let mut lines = head;
    for (i, field) in fields.iter().enumerate().skip(first).take(room) {
        lines.push(row(form, *field, i == focus, theme));
    }
    lines.extend(foot);
    let width = usize::from(popup.width.saturating_sub(2));
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l| super::table::cut(l, width))
        .collect();

    frame.render_widget(Clear, popup);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .title(Line::styled(form.title(), theme.title))
        .style(theme.base);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// With the node on "auto": the nodes ranked for what the form asks, the best first, each with
/// its score or why it cannot take the guest. Recomputed on every key.
fn ranking<'a>(form: &CreateForm, theme: &Theme) -> Vec<Line<'a>> {
    const SHOWN: usize = 5;
    let Some(ranking) = form.ranking() else {
        return Vec::new();
    };
    let mut lines = vec![
        Line::from(""),
        Line::styled(
            format!(
                "  Placement ({})",
                match form.basis.placement.policy {
                    Policy::Spread => "spread",
                    Policy::Pack => "pack",
                }
            ),
            theme.title,
        ),
    ];
    for (i, r) in ranking.iter().take(SHOWN).enumerate() {
        let (mark, style) = match (i, r.feasible) {
            (0, true) => ("→", theme.ok),
            (_, true) => ("✓", theme.base),
            _ => ("✗", theme.dim),
        };
        let score = if r.feasible {
            format!("{:>5.1}", r.score)
        } else {
            "    –".into()
        };
        let reasons = r.reasons.join("; ");
        lines.push(Line::from(vec![
            Span::styled(format!("  {mark} "), style),
            Span::styled(format!("{:<14}", head(&r.node, 14)), style),
            Span::styled(format!("{score}  "), theme.dim),
            Span::styled(
                head(&reasons, 74),
                if r.feasible { theme.dim } else { theme.warn },
            ),
        ]));
    }
    if ranking.len() > SHOWN {
        let more = ranking.len() - SHOWN;
        let feasible = ranking.iter().skip(SHOWN).filter(|r| r.feasible).count();
        lines.push(Line::styled(
            format!("    … {more} more ({feasible} of them could take it)"),
            theme.dim,
        ));
    }
    lines
}

/// `text` in lines of at most `width` characters, broken at spaces (a longer word is cut).
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let fits = line.chars().count() + 1 + word.chars().count() <= width;
        if !line.is_empty() && !fits {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&head(word, width));
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// The last `width` characters, so the end of a long value (where the cursor is) shows.
fn tail(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_string();
    }
    let skip = count - width + 1;
    format!("…{}", text.chars().skip(skip).collect::<String>())
}

fn head(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn row<'a>(form: &CreateForm, field: FieldId, focused: bool, theme: &Theme) -> Line<'a> {
    let label_style = if focused { theme.accent } else { theme.dim };
    let cursor = if focused { "▶ " } else { "  " };
    let mut spans = vec![
        Span::styled(cursor, theme.accent),
        Span::styled(format!("{:<LABEL$}", field.label(&form.kind)), label_style),
    ];
    // A labelled choice shows its label in the field and its note after the check mark.
    let mut after = String::new();
    let value = match field.input() {
        Input::Text => {
            let mut t = tail(&form.text(field), VALUE - 1);
            if focused {
                t.push('▏');
            }
            t
        }
        Input::Secret => {
            let mut t = "•".repeat(form.text(field).chars().count().min(VALUE - 1));
            if focused {
                t.push('▏');
            }
            t
        }
        Input::Choice => {
            let value = form.choice(field);
            let option = form.options(field).into_iter().find(|o| o.value == value);
            let (label, note) = option.map_or((None, String::new()), |o| (o.label, o.note));
            let (value, note) = match &label {
                Some(label) => {
                    after = note;
                    (label.as_str(), String::new())
                }
                None => (value, note),
            };
            // A volume reads better as its file, with the storage it is on as the note.
            let (value, note) = match value.split_once(':') {
                Some((storage, path))
                    if matches!(field, FieldId::Template | FieldId::Boot) && note.is_empty() =>
                {
                    (
                        path.rsplit('/').next().unwrap_or(path),
                        format!("on {storage}"),
                    )
                }
                _ => (value, note),
            };
            let shown = match (value.is_empty(), note.is_empty()) {
                (true, false) => note,
                (true, true) => "—".to_string(),
                (false, true) => value.to_string(),
                (false, false) => format!("{value}  ({note})"),
            };
            if focused {
                format!("‹ {} ›", head(&shown, VALUE - 4))
            } else {
                head(&shown, VALUE)
            }
        }
        Input::Toggle => {
            let on = form.toggle(field);
            let mut t = if on { "[x] yes" } else { "[ ] no" }.to_string();
            if field == FieldId::Full && !on {
                t.push_str(" (linked)");
            }
            t
        }
    };
    spans.push(Span::styled(
        format!("{:<VALUE$}", value),
        if focused { theme.selected } else { theme.base },
    ));
    match form.problem(field) {
        Some(why) => spans.push(Span::styled(format!(" ✗ {why}"), theme.warn)),
        None if !matches!(field.input(), Input::Toggle) => spans.push(Span::styled(" ✓", theme.ok)),
        None => {}
    }
    if !after.is_empty() {
        spans.push(Span::styled(format!("  {after}"), theme.dim));
    }
    Line::from(spans)
}
