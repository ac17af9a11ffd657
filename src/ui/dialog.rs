//! Dialogs drawn over the panes: confirmations, the migration target picker, the snapshot tree.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::actions::Request;
use crate::actions::remote::map_words;
use crate::config::theme::Theme;
use crate::console::cluster_pick::{fleet_state, state};
use crate::console::dialog::{
    AskDialog, AskKind, Dialog, MigrateDialog, SnapshotDialog, snapshot_tree,
};
use crate::console::model::Model;
use crate::model::GuestKind;
use crate::model::text::{clean, duration};

pub fn draw(model: &Model, dialog: &Dialog, theme: &Theme, frame: &mut Frame, area: Rect) {
    let (title, lines) = match dialog {
        Dialog::Form(form) => return super::form::draw(form, theme, frame, area),
        Dialog::Maintenance(v) => return super::maintenance::draw(v, theme, frame, area),
        Dialog::Walk(v) => return super::walkthrough::draw(model, v, theme, frame, area),
        Dialog::Confirm { requests, typed } => {
            let mut lines: Vec<Line> = requests
                .iter()
                .map(|r| Line::from(format!("  {}", r.describe())))
                .collect();
            lines.push(Line::from(""));
            match typed {
                Some(t) => {
                    lines.push(Line::styled(
                        format!(
                            "  This cannot be undone. Type \"{}\" and press Enter:",
                            t.expected
                        ),
                        theme.warn,
                    ));
                    let typed = t.area.lines().join("");
                    let style = if t.matches() { theme.ok } else { theme.base };
                    lines.push(Line::from(vec![
                        Span::raw("  > "),
                        Span::styled(typed, style),
                        Span::styled("▏", theme.accent),
                    ]));
                    lines.push(Line::styled("  Esc cancels", theme.dim));
                }
                None => {
                    if requests
                        .iter()
                        .any(|r| matches!(r, Request::Shutdown { .. }))
                    {
                        lines.push(Line::styled(
                            "  + / -: timeout ±30 s    f: stop hard after the timeout (on/off)",
                            theme.dim,
                        ));
                    }
                    lines.push(Line::styled(
                        "  Enter or y: do it    Esc or n: cancel",
                        theme.dim,
                    ))
                }
            }
            let destructive = requests.iter().any(|r| r.destructive());
            let title = if destructive {
                " Confirm (destructive) "
            } else {
                " Confirm "
            };
            (title.to_string(), lines)
        }
        Dialog::Migrate(d) => (format!(" Migrate {} ", d.guest.label()), migrate(d, theme)),
        Dialog::Snapshots(d) => (
            format!(" Snapshots of {} ", d.guest.label()),
            snapshots(model, d, theme),
        ),
        Dialog::Power(m) => {
            let mut lines: Vec<Line> = m
                .items
                .iter()
                .map(|(key, action, verdict)| match verdict {
                    Ok(()) => Line::from(vec![
                        Span::raw("  "),
                        Span::styled(key.to_string(), theme.accent),
                        Span::raw(format!("  {action}")),
                    ]),
                    Err(why) => Line::from(vec![
                        Span::styled(
                            format!("  {key}  {action}"),
                            theme.dim.add_modifier(Modifier::CROSSED_OUT),
                        ),
                        Span::styled(format!("  {why}"), theme.dim),
                    ]),
                })
                .collect();
            lines.push(Line::from(""));
            lines.push(Line::styled(
                "  a letter acts (each asks before it is sent)    Esc or q: close",
                theme.dim,
            ));
            (format!(" Power: {} ", clean(&m.what)), lines)
        }
        Dialog::Clusters(p) => {
            let mut lines: Vec<Line> = model
                .clusters
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let (state, trouble) = state(c);
                    let mark = if i == p.selected { "▸ " } else { "  " };
                    let here = if i == model.current && !model.all {
                        " (shown)"
                    } else {
                        ""
                    };
                    let name_style = if i == p.selected {
                        theme.accent.add_modifier(Modifier::BOLD)
                    } else {
                        theme.base
                    };
                    Line::from(vec![
                        Span::raw(mark),
                        Span::styled(format!("{}{here}", clean(&c.name)), name_style),
                        Span::raw("  "),
                        Span::styled(clean(&state), if trouble { theme.warn } else { theme.dim }),
                    ])
                })
                .collect();
            let (fleet, trouble) = fleet_state(model);
            let at = model.clusters.len() == p.selected;
            let here = if model.all { " (shown)" } else { "" };
            lines.push(Line::from(vec![
                Span::raw(if at { "▸ " } else { "  " }),
                Span::styled(
                    format!("all clusters{here}"),
                    if at {
                        theme.accent.add_modifier(Modifier::BOLD)
                    } else {
                        theme.base
                    },
                ),
                Span::raw("  "),
                Span::styled(fleet, if trouble { theme.warn } else { theme.dim }),
            ]));
            lines.push(Line::from(""));
            lines.push(Line::styled(
                "  ↑↓ choose · Enter switch · Esc close · :cluster NAME (a prefix does) · :all",
                theme.dim,
            ));
            (" Clusters ".to_string(), lines)
        }
        Dialog::Ask(a) => (
            format!(" {} ", clean(&a.title)),
            ask(a, theme, usize::from(84.min(area.width).saturating_sub(2))),
        ),
    };
    // Long lines wrap: count the rows they take so the hint at the bottom stays inside.
    let inner = usize::from(84.min(area.width).saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    // Word wrapping can take a row more than the characters alone would.
    let slack = usize::from(lines.iter().any(|l| l.width() > inner));
    let height = u16::try_from(rows + slack + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let popup = super::centered(area, 84, height);
    frame.render_widget(Clear, popup);
    // In the all view the same VMID or node name may be on several clusters: the dialog says
    // which one it acts on (the current one, held while it is open).
    let title = match model.cluster() {
        Some(c) if model.all && !matches!(dialog, Dialog::Clusters(_)) => {
            format!(" {} ·{title}", clean(&c.name))
        }
        _ => title,
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .title(Line::styled(title, theme.title))
        .style(theme.base);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        popup,
    );
}

/// A connection's question: its lines, then the masked field or the yes/no keys.
fn ask<'a>(a: &AskDialog, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    // Each line wrapped under its own indent, so a wrapped sentence still reads as one.
    let mut lines: Vec<Line> = a
        .lines
        .iter()
        .flat_map(|l| indented(&clean(l), width))
        .map(Line::from)
        .collect();
    lines.push(Line::from(""));
    match &a.kind {
        AskKind::Secret(area) => {
            // Only as many dots as characters: what was typed never reaches the screen.
            let typed = area.lines().join("").chars().count();
            lines.push(Line::from(vec![
                Span::raw("  > "),
                Span::raw("•".repeat(typed)),
                Span::styled("▏", theme.accent),
            ]));
            lines.push(Line::styled(
                "  Enter: send    Esc: not now (the cluster stays unread)",
                theme.dim,
            ));
        }
        AskKind::YesNo => lines.push(Line::styled(
            "  y: trust it    n, Enter or Esc: do not (nothing is sent to it)",
            theme.dim,
        )),
    }
    lines
}

/// `text` in lines of at most `width` columns, each starting with two spaces; a word longer
/// than a line stands alone.
fn indented(text: &str, width: usize) -> Vec<String> {
    let room = width.saturating_sub(2).max(10);
    // A line that fits keeps its own spacing (the fingerprint's halves line up).
    if text.chars().count() <= room {
        return vec![format!("  {text}")];
    }
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > room {
            out.push(format!("  {line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push(format!("  {line}"));
    out
}

fn migrate<'a>(d: &MigrateDialog, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = vec![Line::from(vec![
        Span::styled("  from ", theme.dim),
        Span::raw(d.guest.node.clone()),
        Span::styled(
            if d.ha {
                "   HA resource: moved by the HA manager"
            } else {
                ""
            },
            theme.info,
        ),
    ])];
    lines.push(Line::from(""));
    match &d.check {
        None => lines.push(Line::styled("  asking Proxmox where it may go…", theme.dim)),
        Some(Err(e)) => lines.push(Line::styled(format!("  cannot check: {e}"), theme.error)),
        Some(Ok(check)) if check.targets.is_empty() => {
            lines.push(Line::styled("  no other node", theme.warn))
        }
        Some(Ok(check)) => {
            for (i, (node, verdict)) in check.targets.iter().enumerate() {
                let cursor = if i == d.selected { "▶ " } else { "  " };
                let line = match verdict {
                    Ok(()) => Line::from(vec![
                        Span::styled(cursor, theme.accent),
                        Span::styled(node.clone(), theme.ok),
                    ]),
                    Err(why) => Line::from(vec![
                        Span::styled(cursor, theme.accent),
                        Span::styled(node.clone(), theme.dim),
                        Span::styled(format!("  ✗ {why}"), theme.warn),
                    ]),
                };
                let line = if i == d.selected {
                    line.style(theme.selected)
                } else {
                    line
                };
                lines.push(line);
            }
            if check.local_disks {
                lines.push(Line::styled(
                    "  local disks move with it (with-local-disks)",
                    theme.info,
                ));
            }
            if !check.dependent.is_empty() {
                lines.push(Line::styled(
                    format!(
                        "  moves along (HA positive affinity): {}",
                        check.dependent.join(", ")
                    ),
                    theme.info,
                ));
            }
        }
    }
    remote_rows(d, theme, &mut lines);
    lines.push(Line::from(""));
    let remote_ct = d.remote_target().is_some() && d.guest.kind == GuestKind::Lxc;
    let mode = if !d.running {
        "offline (the guest is stopped)".to_string()
    } else if remote_ct {
        "restart: stopped here, started there".to_string()
    } else if d.remote_target().is_some() {
        "online (live)".to_string()
    } else if d.online {
        "online (live)   o: switch to restart/offline".to_string()
    } else {
        "offline: stop, move, start   o: switch to live".to_string()
    };
    lines.push(Line::from(vec![
        Span::styled("  mode ", theme.dim),
        Span::raw(mode),
    ]));
    lines.push(Line::styled(
        "  ↑↓ pick a node   Enter migrate   Esc cancel",
        theme.dim,
    ));
    lines
}

/// The other clusters' nodes (Proxmox's remote migration), and for the selected one what its
/// cluster said: the VMID, storages and bridges the guest would get there.
fn remote_rows(d: &MigrateDialog, theme: &Theme, lines: &mut Vec<Line<'_>>) {
    if d.remote.is_empty() {
        return;
    }
    lines.push(Line::styled("  to another cluster:", theme.dim));
    let selected = d.remote_target().map(|(i, _)| i);
    // A fleet has dozens of nodes: a window of them around the selection.
    const SHOWN: usize = 6;
    let first = selected
        .map_or(0, |s| s.saturating_sub(SHOWN / 2))
        .min(d.remote.len().saturating_sub(SHOWN));
    if first > 0 {
        lines.push(Line::styled(format!("    … {first} more above"), theme.dim));
    }
    for (i, r) in d.remote.iter().enumerate().skip(first).take(SHOWN) {
        let cursor = if Some(i) == selected { "▶ " } else { "  " };
        let mut spans = vec![
            Span::styled(cursor, theme.accent),
            Span::styled(
                format!("{}/{}", clean(&r.name), clean(&r.node)),
                if d.ha_configured { theme.dim } else { theme.ok },
            ),
        ];
        if d.ha_configured {
            spans.push(Span::styled("  ✗ an HA resource cannot go", theme.warn));
        }
        let line = Line::from(spans);
        lines.push(if Some(i) == selected {
            line.style(theme.selected)
        } else {
            line
        });
        if Some(i) != selected || d.ha_configured {
            continue;
        }
        let said = match &d.placed {
            Some((at, Some(Ok(p)))) if *at == i => Line::styled(
                format!(
                    "      as {} {} · disks {} · net {}",
                    d.guest.kind.label(),
                    p.target_vmid,
                    clean(&map_words(&p.storage)),
                    clean(&map_words(&p.bridge))
                ),
                theme.info,
            ),
            Some((at, Some(Err(e)))) if *at == i => {
                Line::styled(format!("      ✗ {}", clean(e)), theme.warn)
            }
            Some((at, None)) if *at == i => Line::styled(
                "      asking it for a VMID, storages and bridges…",
                theme.dim,
            ),
            _ => Line::styled(
                "      Enter: ask it for a VMID, storages and bridges; Enter again sends",
                theme.dim,
            ),
        };
        lines.push(said);
        let source = if d.keep_source {
            "kept, stopped and locked   s: delete it after"
        } else {
            "deleted once it runs there   s: keep it"
        };
        lines.push(Line::from(vec![
            Span::styled("      the source ", theme.dim),
            Span::raw(source),
        ]));
    }
    let below = d.remote.len().saturating_sub(first + SHOWN);
    if below > 0 {
        lines.push(Line::styled(format!("    … {below} more below"), theme.dim));
    }
}

fn snapshots<'a>(model: &Model, d: &SnapshotDialog, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    let detail = model.snapshot().and_then(|s| s.guests.get(&d.guest.vmid));
    let now = model
        .now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|x| x.as_secs())
        .unwrap_or(0);
    match detail.and_then(|g| g.snapshots.get()) {
        None => lines.push(Line::styled("  reading the snapshots…", theme.dim)),
        Some(list) => {
            for (i, row) in snapshot_tree(list).iter().enumerate() {
                let indent = "  ".repeat(row.depth);
                let cursor = if i == d.selected && d.new.is_none() {
                    "▶ "
                } else {
                    "  "
                };
                let mut spans = vec![Span::styled(cursor, theme.accent), Span::raw(indent)];
                if row.current {
                    spans.push(Span::styled("● you are here (current state)", theme.info));
                } else {
                    spans.push(Span::styled(
                        row.name.clone(),
                        theme.base.add_modifier(Modifier::BOLD),
                    ));
                    if let Some(t) = row.snaptime {
                        spans.push(Span::styled(
                            format!("  {} ago", duration(now.saturating_sub(t))),
                            theme.dim,
                        ));
                    }
                    if row.vmstate {
                        spans.push(Span::styled("  +RAM", theme.info));
                    }
                    if !row.description.is_empty() {
                        spans.push(Span::styled(format!("  {}", row.description), theme.dim));
                    }
                }
                let line = Line::from(spans);
                lines.push(if i == d.selected && d.new.is_none() {
                    line.style(theme.selected)
                } else {
                    line
                });
            }
        }
    }
    lines.push(Line::from(""));
    match &d.new {
        Some(new) => {
            let field = |i: usize, label: &str, value: String| {
                let style = if new.field == i {
                    theme.accent
                } else {
                    theme.dim
                };
                Line::from(vec![
                    Span::styled(format!("  {label:<12}"), style),
                    Span::raw(value),
                    Span::styled(if new.field == i { "▏" } else { "" }, theme.accent),
                ])
            };
            lines.push(Line::styled("  New snapshot", theme.title));
            let mut name = field(0, "name", new.name());
            match new.problem() {
                Some(why) if !new.name().is_empty() => {
                    name.push_span(Span::styled(format!("  ✗ {why}"), theme.warn))
                }
                None => name.push_span(Span::styled("  ✓", theme.ok)),
                _ => {}
            }
            lines.push(name);
            lines.push(field(1, "description", new.description.lines().join(" ")));
            let ram = if !d.running {
                "no (the guest is not running)".to_string()
            } else if new.vmstate {
                "[x] include RAM (space)".to_string()
            } else {
                "[ ] include RAM (space)".to_string()
            };
            lines.push(field(2, "RAM", ram));
            lines.push(Line::styled(
                "  Tab next field   Enter take it   Esc back",
                theme.dim,
            ));
        }
        None => lines.push(Line::styled(
            "  c new   r roll back   d delete   ↑↓ pick   Esc close",
            theme.dim,
        )),
    }
    lines
}
