//! The selected row up close: facts on top, the last hour's charts below. Details come from the
//! poller's focused fetches; until they arrive, or when they fail, the panel says so.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::fact;
use super::widgets::{Series, bar, percent, rate, series, size, status_style, used_of};
use crate::action::Pane;
use crate::config::theme::Theme;
use crate::console::acting;
use crate::console::model::Model;
use crate::model::addresses::Addresses;
use crate::model::guest_summary::GuestSummary;
use crate::model::text::{self, clean, duration};
use crate::model::{GuestKind, HostRow, HostStatus, InstanceRow, Source};
use crate::pve::types::RrdPoint;

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    match model.pane {
        Pane::Hosts => match model.selected_host() {
            Some(h) => host(model, h, theme, frame, area),
            None => empty(theme, frame, area),
        },
        Pane::Instances => match model.selected_instance() {
            Some(i) => instance(model, i, theme, frame, area),
            None => empty(theme, frame, area),
        },
        Pane::Tasks => match model.tasks.selected_row() {
            Some(t) => super::tasks::detail(model, t, theme, frame, area),
            None => empty(theme, frame, area),
        },
        Pane::Devices => match model.devices.selected_row() {
            Some(d) => super::devices::detail(model, d, theme, frame, area),
            None => empty(theme, frame, area),
        },
        Pane::Networks => match model.networks.selected_row() {
            Some(n) => super::networks::detail(model, n, theme, frame, area),
            None => empty(theme, frame, area),
        },
        Pane::Backups => match model.backups.selected_row() {
            Some(b) => super::backups::detail(model, b, theme, frame, area),
            None => empty(theme, frame, area),
        },
        Pane::Ceph => match model.ceph.selected_row() {
            Some(c) => super::ceph::detail(model, c, theme, frame, area),
            None => empty(theme, frame, area),
        },
        Pane::Ha => match model.ha.selected_row() {
            Some(l) => super::ha::detail(model, l, theme, frame, area),
            None => empty(theme, frame, area),
        },
        Pane::Log => match model.log.selected_row() {
            Some(r) => super::log::detail(r, theme, frame, area),
            None => empty(theme, frame, area),
        },
        Pane::Audit => match model.audit.selected_row() {
            Some(r) => super::audit::detail(model, r, theme, frame, area),
            None => empty(theme, frame, area),
        },
    }
}

fn block<'a>(title: Vec<Span<'a>>, theme: &Theme) -> Block<'a> {
    Block::new()
        .borders(Borders::TOP | Borders::LEFT)
        .border_style(theme.border)
        .title(Line::from(title))
}

/// Draw the panel's frame with `title`; the area inside it. Every pane's detail is framed so.
pub(super) fn framed(frame: &mut Frame, area: Rect, title: Vec<Span<'_>>, theme: &Theme) -> Rect {
    // A long title (a task's whole description) ends with `…` inside the frame's corners.
    let room = usize::from(area.width.saturating_sub(2));
    let title = super::table::cut(Line::from(title), room).spans;
    let b = block(title, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    inner
}

fn empty(theme: &Theme, frame: &mut Frame, area: Rect) {
    frame.render_widget(
        Paragraph::new(Line::styled(" nothing selected", theme.dim)).block(block(vec![], theme)),
        area,
    );
}

/// As `source_note`, for a guest's details, which are read from its node: while the node is
/// down (`down` says so) what has not been read says why instead of "loading…".
fn guest_note<T>(
    source: Option<&Source<T>>,
    what: &str,
    down: Option<&str>,
    model: &Model,
    theme: &Theme,
) -> Option<Line<'static>> {
    match down {
        Some(why) if source.is_none_or(|s| s.data.is_none()) => Some(Line::styled(
            format!("{what}: {why}: not readable"),
            theme.warn,
        )),
        _ => source_note(source, what, model, theme),
    }
}

/// How a detail source stands, when it has nothing to show yet or is stale.
fn source_note<T>(
    source: Option<&Source<T>>,
    what: &str,
    model: &Model,
    theme: &Theme,
) -> Option<Line<'static>> {
    match source {
        None => Some(Line::styled(format!("{what}: loading…"), theme.dim)),
        Some(s) => match (&s.data, &s.error) {
            (_, Some(e)) => {
                let age = s.age(model.now).map_or_else(String::new, |a| {
                    format!(" (data {} old)", duration(a.as_secs()))
                });
                Some(Line::styled(
                    format!("{what}: {}{age}", clean(e)),
                    theme.warn,
                ))
            }
            (None, None) => Some(Line::styled(format!("{what}: loading…"), theme.dim)),
            (Some(_), None) => None,
        },
    }
}

/// Facts on top, then as many charts as fit below.
fn layout(
    frame: &mut Frame,
    area: Rect,
    facts: Vec<Line<'_>>,
    rrd: &[RrdPoint],
    charts: &[Series],
    theme: &Theme,
) {
    // Long lines wrap; the facts take the rows they wrap to.
    let width = usize::from(area.width.max(1));
    let wrapped: usize = facts.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    let facts_height = u16::try_from(wrapped).unwrap_or(u16::MAX).min(area.height);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(facts_height), Constraint::Fill(1)]).areas(area);
    frame.render_widget(Paragraph::new(facts).wrap(Wrap { trim: false }), top);
    // A chart needs its label and at least two rows of bars to say anything.
    let fit = (bottom.height / 4) as usize;
    let shown = charts.len().min(fit);
    if shown == 0 {
        return;
    }
    // Tall charts say no more than short ones; the space left stays blank.
    let rows = Layout::vertical(vec![Constraint::Max(6); shown]).split(bottom);
    for (chart, row) in charts.iter().zip(rows.iter()) {
        series(frame, *row, chart, rrd, theme);
    }
}

/// CPU, memory, and network in and out: a node's charts, and the whole cluster's.
pub(super) fn charts(theme: &Theme) -> [Series; 4] {
    [
        Series {
            label: "CPU",
            value: |p| p.cpu,
            show: percent,
            style: theme.chart,
        },
        Series {
            label: "Memory",
            value: |p| p.mem,
            show: size,
            style: theme.chart_alt,
        },
        Series {
            label: "Net in",
            value: |p| p.netin,
            show: rate,
            style: theme.chart,
        },
        Series {
            label: "Net out",
            value: |p| p.netout,
            show: rate,
            style: theme.chart_alt,
        },
    ]
}

fn host(model: &Model, h: &HostRow, theme: &Theme, frame: &mut Frame, area: Rect) {
    let title = vec![
        Span::styled(format!(" {} ", h.node), theme.title),
        Span::styled(h.status.label(), status_style(h.status.label(), theme)),
        Span::raw(" "),
    ];
    let inner = framed(frame, area, title, theme);
    let detail = model.snapshot().and_then(|s| s.nodes.get(&h.node));
    let mut facts = Vec::new();
    let mut cpu_line = vec![Span::styled("CPU     ", theme.dim)];
    cpu_line.extend(bar(h.usage.cpu, 10, theme).spans);
    if let Some(max) = h.usage.maxcpu {
        cpu_line.push(Span::styled(format!(" of {max:.0} threads"), theme.dim));
    }
    facts.push(Line::from(cpu_line));
    facts.push(Line::from(vec![
        Span::styled("Memory  ", theme.dim),
        Span::raw(used_of(h.usage.mem, h.usage.maxmem)),
        Span::styled("   root ", theme.dim),
        Span::raw(used_of(h.usage.disk, h.usage.maxdisk)),
    ]));
    facts.push(Line::from(
        [
            fact(
                "Guests  ",
                format!("{} running of {}", h.guests_running, h.guests_total),
                theme,
            ),
            fact("HA", h.ha_lrm.clone().unwrap_or_else(|| "–".into()), theme),
            fact("up", h.uptime.map_or_else(|| "–".into(), duration), theme),
        ]
        .concat(),
    ));
    let status = detail.map(|d| &d.status);
    match status.and_then(|s| s.get()) {
        Some(st) => {
            let cpu = &st.cpuinfo;
            let mut model_line = clean(cpu.model.as_deref().unwrap_or("unknown CPU"));
            if let (Some(sockets), Some(cores)) = (cpu.sockets, cpu.cores) {
                model_line.push_str(&format!(", {sockets} socket × {cores} cores"));
            }
            facts.push(Line::from(fact("Model   ", model_line, theme)));
            let kernel = st
                .kernel
                .release
                .as_deref()
                .or(st.kversion.as_deref())
                .map_or_else(|| "–".into(), clean);
            let mut k = fact("Kernel  ", kernel, theme);
            if let Some(mode) = &st.boot_info.mode {
                let secure = if st.boot_info.secureboot == Some(true) {
                    " secure boot"
                } else {
                    ""
                };
                k.extend(fact("boot", format!("{}{secure}", clean(mode)), theme));
            }
            facts.push(Line::from(k));
            if !st.loadavg.is_empty() {
                let load: Vec<String> = st.loadavg.iter().map(|l| format!("{l:.2}")).collect();
                let mut line = fact("Load    ", load.join(" "), theme);
                line.extend(fact("swap", used_of(st.swap.used, st.swap.total), theme));
                facts.push(Line::from(line));
            }
        }
        None if h.status == HostStatus::Offline => {
            let since = model
                .cluster()
                .and_then(|c| c.offline_since.get(&h.node).copied());
            let text = match since {
                Some(Some(t)) => format!(
                    "offline for {} (rack saw it go); its status and charts cannot be read until it is back",
                    duration(model.now.duration_since(t).map_or(0, |d| d.as_secs()))
                ),
                _ => "offline since before rack started; its status and charts cannot be read until it is back".into(),
            };
            facts.push(Line::styled(text, theme.error));
        }
        None => facts.extend(source_note(status, "node status", model, theme)),
    }
    let rrd = detail.map(|d| &d.rrd);
    if h.status != HostStatus::Offline {
        facts.extend(source_note(rrd, "charts", model, theme));
    }
    let points = rrd.and_then(|r| r.get()).map_or(&[][..], |v| &v[..]);
    // An offline node has no charts to read; empty ones would only say "no data yet".
    let charts: &[Series] = if h.status == HostStatus::Offline {
        &[]
    } else {
        &charts(theme)
    };
    layout(frame, inner, facts, points, charts, theme);
}

fn instance(model: &Model, i: &InstanceRow, theme: &Theme, frame: &mut Frame, area: Rect) {
    let title = vec![
        Span::styled(
            format!(" {} {} {} ", i.kind.label(), i.vmid, i.name),
            theme.title,
        ),
        Span::styled(i.status.clone(), status_style(&i.status, theme)),
        Span::styled(format!(" on {} ", i.node), theme.dim),
    ];
    let inner = framed(frame, area, title, theme);
    let detail = model.snapshot().and_then(|s| s.guests.get(&i.vmid));
    let mut facts = Vec::new();
    // Details are read from the guest's node: while it is off they cannot be, and say so.
    let down = acting::node_down(model, &i.node);
    let down = down.as_deref();
    let config = detail.map(|d| &d.config);
    match config.and_then(|c| c.get()) {
        Some(c) => {
            let s = GuestSummary::of(c, i.kind == GuestKind::Lxc);
            let mut line = fact("CPU     ", s.cpu, theme);
            line.extend(fact("memory", s.memory, theme));
            if let Some(os) = s.ostype {
                line.extend(fact("os", os, theme));
            }
            facts.push(Line::from(line));
            list(&mut facts, "Disks   ", &s.disks, theme);
            let nics: Vec<String> = s.nics.iter().map(|n| n.describe()).collect();
            list(&mut facts, "NICs    ", &nics, theme);
            if !s.passthrough.is_empty() {
                list(&mut facts, "Devices ", &s.passthrough, theme);
            }
        }
        None => facts.extend(guest_note(config, "config", down, model, theme)),
    }
    if i.status == "running" {
        facts.extend(address_lines(model, i, theme));
    }
    let mut line = fact(
        "Tags    ",
        if i.tags.is_empty() {
            "–".into()
        } else {
            i.tags.join(", ")
        },
        theme,
    );
    if let Some(pool) = &i.pool {
        line.extend(fact("pool", pool.clone(), theme));
    }
    if let Some(ha) = &i.hastate {
        line.extend(fact("HA", ha.clone(), theme));
    }
    if let Some(lock) = &i.lock {
        line.push(Span::styled(format!("locked: {lock}  "), theme.warn));
    }
    if i.status == "running" {
        line.extend(fact(
            "up",
            i.uptime.map_or_else(|| "–".into(), duration),
            theme,
        ));
    }
    facts.push(Line::from(line));

    let now = model
        .now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let ago = |t: Option<u64>| {
        t.map_or_else(
            || "–".into(),
            |t| format!("{} ago", duration(now.saturating_sub(t))),
        )
    };
    let snapshots = detail.map(|d| &d.snapshots);
    match snapshots.and_then(|s| s.get()) {
        Some(list) => {
            // The API lists the "current" pseudo-snapshot (you are here) too.
            let real: Vec<_> = list.iter().filter(|s| s.name != "current").collect();
            let text = if real.is_empty() {
                "none".to_string()
            } else {
                let mut newest: Vec<_> = real.clone();
                newest.sort_by_key(|s| std::cmp::Reverse(s.snaptime));
                let names: Vec<String> = newest
                    .iter()
                    .take(4)
                    .map(|s| format!("{} ({})", clean(&s.name), ago(s.snaptime)))
                    .collect();
                let more = real.len().saturating_sub(4);
                let more = if more > 0 {
                    format!(" +{more} more")
                } else {
                    String::new()
                };
                format!("{}: {}{more}", real.len(), names.join(", "))
            };
            facts.push(Line::from(fact("Snapshots", text, theme)));
        }
        None => facts.extend(guest_note(snapshots, "snapshots", down, model, theme)),
    }
    let backups = detail.map(|d| &d.backups);
    match backups.and_then(|b| b.get()) {
        Some(list) => {
            let text = match list.iter().max_by_key(|b| b.ctime) {
                Some(b) => format!(
                    "{} · {} · {}",
                    ago(b.ctime),
                    b.size.map_or_else(|| "–".into(), text::bytes),
                    clean(&b.volid)
                ),
                None => "never".into(),
            };
            let style = if list.is_empty() {
                theme.warn
            } else {
                theme.base
            };
            facts.push(Line::from(vec![
                Span::styled("Backup  ", theme.dim),
                Span::styled(text, style),
            ]));
        }
        None => facts.extend(guest_note(backups, "backups", down, model, theme)),
    }
    facts.extend(action_keys(model, i, theme));
    let rrd = detail.map(|d| &d.rrd);
    // Nothing to chart from a node that is off; empty charts would only say "no data yet".
    let charts: &[Series] = if down.is_some() { &[] } else { &charts(theme) };
    if i.status == "running" {
        facts.extend(guest_note(rrd, "charts", down, model, theme));
    }
    let points = rrd.and_then(|r| r.get()).map_or(&[][..], |v| &v[..]);
    layout(frame, inner, facts, points, charts, theme);
}

/// What the keys do to this guest; the ones the credentials (or a read-only cluster) forbid are
/// dimmed, with what is missing.
fn action_keys(model: &Model, i: &InstanceRow, theme: &Theme) -> Vec<Line<'static>> {
    let mut spans = vec![Span::styled("Keys    ", theme.dim)];
    let mut refused: Vec<(String, String)> = Vec::new();
    for (action, verdict) in acting::guest_keys(model, i) {
        // Its first key, or the power menu's `p s`.
        let key = match model.keymap.keys_for(&action).first() {
            Some(k) => k.to_string(),
            None => model.keymap.reached_by(&action).unwrap_or_default(),
        };
        if key.is_empty() {
            continue;
        }
        match verdict {
            Ok(()) => {
                spans.push(Span::styled(key, theme.accent));
                spans.push(Span::raw(format!(" {action}  ")));
            }
            Err(why) => {
                spans.push(Span::styled(
                    format!("{key} {action}  "),
                    theme
                        .dim
                        .add_modifier(ratatui::style::Modifier::CROSSED_OUT),
                ));
                refused.push((action.to_string(), why));
            }
        }
    }
    // Refusals that say the same thing are said once.
    let mut said: Vec<(Vec<String>, String)> = Vec::new();
    for (action, why) in refused {
        match said.iter_mut().find(|(_, w)| *w == why) {
            Some((actions, _)) => actions.push(action),
            None => said.push((vec![action], why)),
        }
    }
    let mut lines = vec![Line::from(spans)];
    for (actions, why) in said {
        lines.push(Line::from(vec![
            Span::raw("        "),
            Span::styled(format!("✗ {}: {why}", actions.join(", ")), theme.warn),
        ]));
    }
    lines
}

/// Where the guest can be reached: each interface with its MAC and addresses, or why that is
/// not known (no agent, the agent not running).
fn address_lines(model: &Model, i: &InstanceRow, theme: &Theme) -> Vec<Line<'static>> {
    let label = |n: usize| Span::styled(if n == 0 { "Address " } else { "        " }, theme.dim);
    let known = model.snapshot().and_then(|s| s.addresses.get(&i.vmid));
    let lines: Vec<Line<'static>> = match known {
        Some(Addresses::Known(ifaces)) => ifaces
            .iter()
            .filter(|f| f.name.as_deref() != Some("lo"))
            .enumerate()
            .map(|(n, f)| {
                // Link-local addresses reach nothing beyond the link: left out.
                let addrs: Vec<String> = f
                    .addresses
                    .iter()
                    .filter(|a| a.is_reachable())
                    .filter_map(|a| {
                        let ip = clean(a.address.as_deref()?);
                        Some(a.prefix.map_or_else(|| ip.clone(), |p| format!("{ip}/{p}")))
                    })
                    .collect();
                let name = clean(f.name.as_deref().unwrap_or("?"));
                let mac = clean(f.mac().unwrap_or("–"));
                Line::from(vec![
                    label(n),
                    Span::raw(format!("{name} {mac} {}", addrs.join(" "))),
                ])
            })
            .collect(),
        _ => Vec::new(),
    };
    if !lines.is_empty() {
        return lines;
    }
    let why = i.ips_missing.clone().unwrap_or_else(|| "no address".into());
    vec![Line::from(vec![label(0), Span::styled(why, theme.dim)])]
}

fn list(facts: &mut Vec<Line<'static>>, label: &'static str, items: &[String], theme: &Theme) {
    let text = if items.is_empty() {
        "none".to_string()
    } else {
        items.join(" · ")
    };
    facts.push(Line::from(vec![
        Span::styled(label, theme.dim),
        Span::raw(text),
    ]));
}
