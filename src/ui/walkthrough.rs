//! The maintenance walkthrough over the panes: each step with its mark, the guests with where
//! they go and how far they got, what it said last; the keys that fit where it stands; and the
//! questions it asks (start, abort, power, which guests go back).

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::maintenance::{scrolled, wrap};
use crate::config::theme::Theme;
use crate::console::dialog::MaintenanceView;
use crate::console::model::{ClusterView, Model};
use crate::console::walk::{Asking, Checklist, StartChoice, WalkPanel, WalkRun, WalkView};
use crate::maint::walk::{Power, Stage};
use crate::maint::walk_report::{Mark, moved, rows};
use crate::model::text::clean;

/// Where it stands, in a word or two (the header and the view's title).
pub fn run_words(p: &WalkPanel) -> String {
    let walk = &p.walk;
    match &p.run {
        WalkRun::Running => match walk.stage {
            Stage::Noout => "setting noout".into(),
            Stage::Moves => {
                let (gone, leaving) = moved(walk);
                format!("moving {gone}/{leaving}")
            }
            Stage::HaMaintenance => "HA maintenance".into(),
            Stage::Verify => "verifying".into(),
            Stage::Upgrade => "upgrading".into(),
            Stage::Ready => "ready".into(),
            Stage::Power => match walk.power {
                Some(Power::Shutdown) => "shutting down".into(),
                _ => "rebooting".into(),
            },
            Stage::Done => "in maintenance".into(),
            Stage::Finished => "back".into(),
            _ => "on its way back".into(),
        },
        WalkRun::Pausing => "pausing".into(),
        WalkRun::Paused => "paused".into(),
        WalkRun::Kept => "kept, not running".into(),
        WalkRun::Stopped(_) => "STOPPED".into(),
        WalkRun::Ready => "ready for maintenance".into(),
        WalkRun::Done if walk.stage == Stage::Finished => "back".into(),
        WalkRun::Done => "in maintenance".into(),
        WalkRun::Aborting => "aborting".into(),
        WalkRun::Aborted(_) => "aborted".into(),
    }
}

/// `+1:05` after `start`.
fn offset(at: SystemTime, start: SystemTime) -> String {
    let s = at.duration_since(start).map(|d| d.as_secs()).unwrap_or(0);
    if s >= 3600 {
        format!("+{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("+{}:{:02}", s / 60, s % 60)
    }
}

fn mark_style(mark: Mark, theme: &Theme) -> Style {
    match mark {
        Mark::Done => theme.ok,
        Mark::Now => theme.accent,
        Mark::Later => theme.base,
        Mark::Skipped => theme.dim,
        Mark::Failed => theme.error,
    }
}

fn body(p: &WalkPanel, theme: &Theme) -> Vec<(Style, String)> {
    let mut out = Vec::new();
    match &p.run {
        WalkRun::Kept => out.push((
            theme.warn,
            "! kept from an earlier rack (or the command line): p continues it where it stopped"
                .to_string(),
        )),
        WalkRun::Stopped(why) => out.push((theme.error, format!("✗ stopped at {}", clean(why)))),
        WalkRun::Aborted(lines) => {
            out.push((theme.title, "Aborted".to_string()));
            out.extend(
                lines
                    .iter()
                    .map(|l| (theme.base, format!("  {}", clean(l)))),
            );
            out.push((theme.base, String::new()));
        }
        _ => {}
    }
    out.push((theme.title, "Steps".to_string()));
    for row in rows(&p.walk) {
        let indent = "  ".repeat(usize::from(row.depth) + 1);
        out.push((
            mark_style(row.mark, theme),
            format!("{indent}{} {}", row.mark.glyph(), clean(&row.text)),
        ));
    }
    if let Some(first) = p.log.first() {
        out.push((theme.base, String::new()));
        out.push((theme.title, "Log (newest first)".to_string()));
        for (at, text) in p.log.iter().rev() {
            out.push((
                theme.dim,
                format!("  {:>8} {}", offset(*at, first.0), clean(text)),
            ));
        }
    }
    out
}

/// The keys that work where it stands: the whole line, and a shorter one for narrow screens.
fn keys(p: &WalkPanel) -> [String; 2] {
    let walk = &p.walk;
    let mut keys: Vec<(&str, &str)> = Vec::new();
    match &p.run {
        _ if p.over() => {}
        WalkRun::Running => keys.push(("p pause", "p pause")),
        WalkRun::Pausing => keys.push(("pausing…", "pausing…")),
        WalkRun::Aborting => keys.push(("aborting…", "aborting…")),
        _ => {
            let failed = walk.stopped_at().is_some();
            if failed {
                keys.push(("r retry", "r retry"));
            }
            if walk.skippable() {
                keys.push(("s skip what failed", "s skip"));
            }
            if !failed && matches!(p.run, WalkRun::Paused | WalkRun::Kept) {
                keys.push(("p continue", "p continue"));
            }
            if !failed && matches!(walk.stage, Stage::Verify | Stage::Upgrade | Stage::Ready) {
                keys.push(("b reboot · o shut down", "b reboot · o off"));
            }
            if p.exit_refused().is_none() {
                keys.push(("e bring it back", "e back"));
            }
        }
    }
    if !p.over() && p.run != WalkRun::Aborting {
        keys.push(("ctrl-d abort", "ctrl-d abort"));
    }
    keys.push(("Esc close", "Esc"));
    let line = |short: bool| {
        let words: Vec<&str> = keys.iter().map(|k| if short { k.1 } else { k.0 }).collect();
        format!(" {} ", words.join(" · "))
    };
    [line(false), line(true)]
}

/// A question in a box of its own over the view.
fn question(
    lines: Vec<(Style, String)>,
    title: &str,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let width = area.width.saturating_sub(8).clamp(20, 76);
    let inner = usize::from(width.saturating_sub(2));
    let rows: Vec<Line> = lines
        .into_iter()
        .flat_map(|(style, text)| {
            wrap(&text, inner)
                .into_iter()
                .map(move |row| Line::styled(row, style))
        })
        .collect();
    let height = u16::try_from(rows.len() + 2).unwrap_or(u16::MAX);
    let popup = super::centered(area, width, height);
    frame.render_widget(Clear, popup);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.warn)
        .title(Line::styled(format!(" {title} "), theme.title))
        .style(theme.base);
    frame.render_widget(Paragraph::new(rows).block(block), popup);
}

/// A list of guests with a box each, the selected one marked.
fn checklist(list: &Checklist, theme: &Theme) -> Vec<(Style, String)> {
    let selected = list.selected;
    list.rows
        .iter()
        .enumerate()
        .map(|(i, (vmid, name, on))| {
            let style = if i == selected {
                theme.selected
            } else {
                theme.base
            };
            let tick = if *on { "x" } else { " " };
            (style, format!(" [{tick}] {vmid:>5} {}", clean(name)))
        })
        .collect()
}

pub fn draw(model: &Model, v: &WalkView, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(p) = model.clusters.get(v.cluster).and_then(|c| c.walk.as_ref()) else {
        return;
    };
    let popup = super::centered(area, area.width.saturating_sub(4).max(20), area.height);
    let title = format!(
        " Maintenance of {} · walkthrough · {} ",
        clean(&p.walk.node),
        run_words(p)
    );
    let keys = keys(p);
    let keys = [keys[0].as_str(), keys[1].as_str()];
    scrolled(body(p, theme), title, &keys, v.scroll, theme, frame, popup);
    let node = clean(&p.walk.node);
    match &v.asking {
        None => {}
        Some(Asking::Abort) => question(
            vec![
                (theme.base, format!("End the walkthrough of {node} here?")),
                (
                    theme.dim,
                    "Guests stay where they are now; Ceph noout is unset if the walkthrough set it; what was done and what was not is said.".into(),
                ),
                (theme.base, String::new()),
                (theme.warn, "y abort · any other key: go on".into()),
            ],
            "Abort",
            theme,
            frame,
            popup,
        ),
        Some(Asking::Power(power)) => {
            let what = match power {
                Power::Reboot => format!("Reboot {node} now?"),
                Power::Shutdown => format!("Shut {node} down now?"),
            };
            let after = match power {
                Power::Reboot => "The walkthrough waits until it is back (updates are installed as it goes down).",
                Power::Shutdown => "The walkthrough waits until it is off; e brings it back (woken over the network).",
            };
            question(
                vec![
                    (theme.base, what),
                    (theme.dim, after.to_string()),
                    (theme.base, String::new()),
                    (theme.warn, "y yes · any other key: no".into()),
                ],
                "Power",
                theme,
                frame,
                popup,
            )
        }
        Some(Asking::Back(list)) => {
            let mut lines = vec![(
                theme.base,
                format!("Bring {node} back. Which guests go back to it?"),
            )];
            if list.is_empty() {
                lines.push((theme.dim, "  (no guest left it)".into()));
            }
            lines.extend(checklist(list, theme));
            lines.push((theme.base, String::new()));
            lines.push((
                theme.dim,
                "space choose · a all/none · Enter begin the way back · Esc cancel".into(),
            ));
            question(lines, "Exit maintenance", theme, frame, popup)
        }
    }
}

/// Over the plan: the question asked before the walkthrough starts.
pub fn draw_start(
    v: &MaintenanceView,
    choice: &StartChoice,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let node = clean(&v.node);
    let mut lines = vec![(
        theme.base,
        format!("Start the maintenance walkthrough of {node}?"),
    )];
    lines.push((
        theme.dim,
        "It carries out the steps of the plan through the action queue; p pauses it, ctrl-d aborts it."
            .into(),
    ));
    if !choice.blocked.is_empty() {
        lines.push((theme.base, String::new()));
        lines.push((
            theme.warn,
            "These cannot move. Shut each down for the duration (space), or leave it unchosen and the walkthrough does not start:".into(),
        ));
        lines.extend(checklist(&choice.blocked, theme));
    }
    lines.push((theme.base, String::new()));
    lines.push((
        theme.warn,
        "Enter (y) start · Esc (n) back to the plan".into(),
    ));
    question(lines, "Start", theme, frame, area);
}

/// A cluster's walkthrough in the status line: its node and where it stands, and whether that
/// is trouble (stopped at a failure, or kept and not carried on).
pub fn status_words(cluster: &ClusterView) -> Option<(String, bool)> {
    let p = cluster.walk.as_ref()?;
    let trouble = matches!(p.run, WalkRun::Stopped(_) | WalkRun::Kept);
    Some((
        format!("maint {} {}", clean(&p.walk.node), run_words(p)),
        trouble,
    ))
}
