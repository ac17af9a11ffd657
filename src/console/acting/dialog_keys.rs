//! Keys while a dialog is open: confirmations, the migrate and snapshot dialogs, the forms.

use super::super::cluster_pick::ClusterPicker;
use super::super::fleet;
use super::super::update::switch_cluster;
use super::walkthrough;
use super::*;
use crate::actions::remote::ha_refusal;

fn form_key(
    model: &mut Model,
    key: KeyEvent,
    mut form: Box<CreateForm>,
    effects: &mut Vec<Effect>,
) -> Option<Dialog> {
    // Asked whether to throw away what was typed: Enter, y or ctrl-c again discards it, any
    // other key goes back to the form.
    if form.discarding {
        form.discarding = false;
        return match key.code {
            KeyCode::Enter | KeyCode::Char('y' | 'Y') => None,
            _ if is_ctrl_c(&key) => None,
            _ => Some(Dialog::Form(form)),
        };
    }
    if key.code == KeyCode::Esc || is_ctrl_c(&key) {
        if form.edited {
            form.discarding = true;
            return Some(Dialog::Form(form));
        }
        return None;
    }
    match form.key(key) {
        None => {}
        Some(Err(why)) => model.notify(Level::Warn, format!("not yet: {why}")),
        Some(Ok(request)) => match permitted(model, &request) {
            Err(why) => model.notify(
                Level::Error,
                format!("{}: not permitted: {why}", request.describe()),
            ),
            Ok(()) => {
                effects.push(Effect::Submit(form.cluster, vec![request]));
                return None;
            }
        },
    }
    Some(Dialog::Form(form))
}

/// ctrl-c: in a dialog it cancels it (a form that was edited asks first), never nothing.
pub fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

/// Keys while a dialog is open; the dialog takes them all.
pub fn dialog_key(model: &mut Model, key: KeyEvent, effects: &mut Vec<Effect>) {
    let Some(dialog) = model.dialog.take() else {
        return;
    };
    if is_ctrl_c(&key) && matches!(dialog, Dialog::Walk(_)) {
        model.notify(
            Level::Info,
            "the walkthrough goes on: x on its node shows it",
        );
        return;
    }
    if let Dialog::Ask(ask) = dialog {
        model.dialog = ask_key(key, ask, effects);
        return;
    }
    if is_ctrl_c(&key) && !matches!(dialog, Dialog::Form(_)) {
        model.notify(Level::Info, format!("{} cancelled", dialog.what()));
        return;
    }
    model.dialog = match dialog {
        Dialog::Confirm { requests, typed } => confirm_key(model, key, requests, typed, effects),
        Dialog::Migrate(d) => migrate_key(model, key, d, effects),
        Dialog::Snapshots(d) => snapshot_key(model, key, d, effects),
        Dialog::Form(f) => form_key(model, key, f, effects),
        Dialog::Maintenance(v) if v.start.is_some() => {
            walkthrough::start_key(model, key, v, effects)
        }
        Dialog::Maintenance(v) => maintenance_key(model, key, v, effects),
        Dialog::Walk(v) => walkthrough::walk_key(model, key, v, effects),
        Dialog::Ask(ask) => Some(Dialog::Ask(ask)),
        Dialog::Power(menu) => power_key(model, key, menu, effects),
        Dialog::Clusters(picker) => clusters_key(model, key, picker),
    };
}

/// The cluster picker: ↑/↓ (k/j) choose, Enter switches, Esc or q closes.
fn clusters_key(model: &mut Model, key: KeyEvent, mut picker: ClusterPicker) -> Option<Dialog> {
    let n = ClusterPicker::rows(model);
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => return None,
        KeyCode::Up | KeyCode::Char('k') => picker.selected = (picker.selected + n - 1) % n,
        KeyCode::Down | KeyCode::Char('j') => picker.selected = (picker.selected + 1) % n,
        KeyCode::Enter if picker.selected >= model.clusters.len() => {
            fleet::enter(model);
            return None;
        }
        KeyCode::Enter => {
            switch_cluster(model, picker.selected);
            return None;
        }
        _ => {}
    }
    Some(Dialog::Clusters(picker))
}

/// The power menu: an action's letter carries it out, with its own confirmation (or its own
/// refusal, the menu closed).
fn power_key(
    model: &mut Model,
    key: KeyEvent,
    menu: PowerMenu,
    effects: &mut Vec<Effect>,
) -> Option<Dialog> {
    if matches!(key.code, KeyCode::Esc | KeyCode::Char('q')) {
        return None;
    }
    // ctrl-k stops here as it does everywhere.
    let letter = match key.code {
        KeyCode::Char('k') if key.modifiers.contains(KeyModifiers::CONTROL) => 'k',
        KeyCode::Char(c) if key.modifiers.is_empty() || key.modifiers == KeyModifiers::SHIFT => c,
        _ => return Some(Dialog::Power(menu)),
    };
    // The action's own flow confirms it, or says in its words why it cannot be done.
    match menu.items.iter().find(|(k, _, _)| *k == letter) {
        Some((_, action, _)) => {
            let action = action.clone();
            super::act(model, &action, effects);
            model.dialog.take()
        }
        None => Some(Dialog::Power(menu)),
    }
}

/// A connection's question: Enter gives what was typed (or yes), Esc or ctrl-c declines; a
/// yes/no question takes y and n too. What was typed leaves the model with the answer.
fn ask_key(key: KeyEvent, mut ask: AskDialog, effects: &mut Vec<Effect>) -> Option<Dialog> {
    let decline = key.code == KeyCode::Esc || is_ctrl_c(&key);
    match &mut ask.kind {
        _ if decline => {
            effects.push(Effect::Answer(ask.id, None));
            None
        }
        // Only `y` says yes: a key meant for something else (Enter, a filter being typed when
        // the question came up) never trusts a certificate.
        AskKind::YesNo => match key.code {
            KeyCode::Char('y') => {
                effects.push(Effect::Answer(ask.id, Some(Secret::new("y"))));
                None
            }
            KeyCode::Char('n' | 'N') | KeyCode::Enter => {
                effects.push(Effect::Answer(ask.id, None));
                None
            }
            _ => Some(Dialog::Ask(ask)),
        },
        AskKind::Secret(area) => match key.code {
            KeyCode::Enter => {
                let typed = Secret::new(area.lines().join(""));
                effects.push(Effect::Answer(ask.id, Some(typed)));
                None
            }
            _ => {
                line_edit::edit(area, key);
                Some(Dialog::Ask(ask))
            }
        },
    }
}

/// The plan scrolls; r refreshes the node's package lists (the plan is read again after); Esc or
/// q closes it.
fn maintenance_key(
    model: &mut Model,
    key: KeyEvent,
    mut v: MaintenanceView,
    effects: &mut Vec<Effect>,
) -> Option<Dialog> {
    let page = usize::from(model.size.1.saturating_sub(6)).max(1);
    // Not past the plan's last line (the screen keeps its last page in view).
    let last = match &v.plan {
        Some(Ok(plan)) => report::lines(plan).len(),
        _ => 0,
    };
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => return None,
        KeyCode::End => v.scroll = last,
        KeyCode::Down | KeyCode::Char('j') => v.scroll += 1,
        KeyCode::Up | KeyCode::Char('k') => v.scroll = v.scroll.saturating_sub(1),
        KeyCode::PageDown | KeyCode::Char(' ') => v.scroll += page,
        KeyCode::PageUp => v.scroll = v.scroll.saturating_sub(page),
        KeyCode::Home => v.scroll = 0,
        KeyCode::Enter | KeyCode::Char('e') => walkthrough::begin(model, &mut v),
        KeyCode::Char('r') if !v.refreshing => {
            let request = Request::RefreshPackages {
                node: v.node.clone(),
            };
            let read_only = model.clusters.get(v.cluster).is_some_and(|c| c.read_only);
            match permitted(model, &request) {
                _ if read_only => model.notify(
                    Level::Error,
                    format!("{}: the cluster is read-only", request.describe()),
                ),
                Err(why) => model.notify(
                    Level::Error,
                    format!("{}: not permitted: {why}", request.describe()),
                ),
                Ok(()) => {
                    v.refreshing = true;
                    effects.push(Effect::Submit(v.cluster, vec![request]));
                }
            }
        }
        _ => {}
    }
    v.scroll = v.scroll.min(last);
    Some(Dialog::Maintenance(v))
}

fn submit(model: &mut Model, requests: Vec<Request>, effects: &mut Vec<Effect>) {
    effects.push(Effect::Submit(model.current, requests));
    if let Some(name) = model.cluster().map(|c| c.name.clone()) {
        model.marked.retain(|(c, _)| *c != name);
    }
}

fn confirm_key(
    model: &mut Model,
    key: KeyEvent,
    requests: Vec<Request>,
    mut typed: Option<Typed>,
    effects: &mut Vec<Effect>,
) -> Option<Dialog> {
    match (key.code, &mut typed) {
        (KeyCode::Esc, _) => None,
        (KeyCode::Char('n' | 'N'), None) => None,
        (KeyCode::Enter | KeyCode::Char('y' | 'Y'), None) => {
            submit(model, requests, effects);
            None
        }
        (KeyCode::Char(c @ ('+' | '-' | 'f')), None) => {
            let requests = requests
                .into_iter()
                .map(|r| shutdown_option(r, c))
                .collect();
            Some(Dialog::Confirm { requests, typed })
        }
        (KeyCode::Enter, Some(t)) if t.matches() => {
            submit(model, requests, effects);
            None
        }
        (KeyCode::Enter, Some(t)) => {
            let text = format!("type \"{}\" to confirm, or Esc", t.expected);
            model.notify(Level::Warn, text);
            Some(Dialog::Confirm { requests, typed })
        }
        (_, Some(t)) => {
            line_edit::edit(&mut t.area, key);
            Some(Dialog::Confirm { requests, typed })
        }
        _ => Some(Dialog::Confirm { requests, typed }),
    }
}

/// A shutdown's timeout up or down by 30 s (`+`/`-`), or stopping hard after it on and off (`f`).
fn shutdown_option(request: Request, key: char) -> Request {
    let Request::Shutdown {
        guest,
        timeout,
        force,
    } = request
    else {
        return request;
    };
    let t = timeout.unwrap_or(SHUTDOWN_TIMEOUT);
    let (timeout, force) = match key {
        '+' => (t.saturating_add(30).min(3600), force),
        '-' => (t.saturating_sub(30).max(30), force),
        _ => (t, !force),
    };
    Request::Shutdown {
        guest,
        timeout: Some(timeout),
        force,
    }
}

fn migrate_key(
    model: &mut Model,
    key: KeyEvent,
    mut d: MigrateDialog,
    effects: &mut Vec<Effect>,
) -> Option<Dialog> {
    let count = d.local_rows() + d.remote.len();
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => return None,
        KeyCode::Up | KeyCode::Char('k') => d.selected = d.selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => {
            d.selected = (d.selected + 1).min(count.saturating_sub(1))
        }
        // Another cluster's node: a running VM goes live, a container restarts; no choice.
        KeyCode::Char('o') if d.running && d.remote_target().is_none() => d.online = !d.online,
        KeyCode::Char('s') if d.remote_target().is_some() => d.keep_source = !d.keep_source,
        KeyCode::Enter if d.remote_target().is_some() => return remote_enter(model, d, effects),
        KeyCode::Enter => match d.request() {
            Some(request) => {
                if let Err(why) = permitted(model, &request) {
                    model.notify(Level::Error, format!("migrate: not permitted: {why}"));
                    return Some(Dialog::Migrate(d));
                }
                submit(model, vec![request], effects);
                return None;
            }
            None => model.notify(Level::Warn, "pick a node the guest may go to"),
        },
        _ => {}
    }
    // What another cluster said holds for its row as it was asked: moving away forgets it,
    // so coming back asks again (a VMID may have been taken meanwhile).
    if d.placed
        .as_ref()
        .is_some_and(|(at, _)| d.remote_target().map(|(i, _)| i) != Some(*at))
    {
        d.placed = None;
    }
    Some(Dialog::Migrate(d))
}

/// Enter on another cluster's node: first ask it where the guest would go; once it has said,
/// the second Enter sends the remote migration.
fn remote_enter(
    model: &mut Model,
    mut d: MigrateDialog,
    effects: &mut Vec<Effect>,
) -> Option<Dialog> {
    if d.ha_configured {
        model.notify(Level::Error, ha_refusal(&d.guest));
        return Some(Dialog::Migrate(d));
    }
    if let Some(request) = d.remote_request() {
        if let Err(why) = permitted(model, &request) {
            model.notify(Level::Error, format!("migrate: not permitted: {why}"));
            return Some(Dialog::Migrate(d));
        }
        submit(model, vec![request], effects);
        return None;
    }
    let Some((i, node)) = d.remote_target().map(|(i, n)| (i, n.clone())) else {
        return Some(Dialog::Migrate(d));
    };
    let asking = matches!(&d.placed, Some((at, None)) if *at == i);
    if !asking {
        d.placed = Some((i, None));
        effects.push(Effect::PlaceRemote {
            cluster: d.cluster,
            guest: d.guest.clone(),
            to: node.cluster,
            node: node.node,
        });
    }
    Some(Dialog::Migrate(d))
}

fn snapshot_key(
    model: &mut Model,
    key: KeyEvent,
    mut d: SnapshotDialog,
    effects: &mut Vec<Effect>,
) -> Option<Dialog> {
    if let Some(new) = d.new.as_mut() {
        match key.code {
            KeyCode::Esc => d.new = None,
            KeyCode::Tab | KeyCode::Down => new.field = (new.field + 1) % 3,
            KeyCode::BackTab | KeyCode::Up => new.field = (new.field + 2) % 3,
            KeyCode::Char(' ') if new.field == 2 => new.vmstate = !new.vmstate,
            KeyCode::Enter => {
                if let Some(why) = new.problem() {
                    model.notify(Level::Warn, format!("snapshot name: {why}"));
                } else {
                    let request = Request::Snapshot {
                        guest: d.guest.clone(),
                        name: new.name(),
                        description: new.description.lines().join(" ").trim().to_string(),
                        vmstate: new.vmstate && d.running,
                    };
                    if let Err(why) = permitted(model, &request) {
                        model.notify(Level::Error, format!("snapshot: not permitted: {why}"));
                    } else {
                        submit(model, vec![request], effects);
                        return None;
                    }
                }
            }
            _ => {
                let area = match new.field {
                    0 => Some(&mut new.name),
                    1 => Some(&mut new.description),
                    _ => None,
                };
                if let Some(area) = area {
                    line_edit::edit(area, key);
                }
            }
        }
        return Some(Dialog::Snapshots(d));
    }
    let rows = model
        .snapshot()
        .and_then(|s| s.guests.get(&d.guest.vmid))
        .and_then(|g| g.snapshots.get())
        .map(|list| snapshot_tree(list))
        .unwrap_or_default();
    let picked = rows.get(d.selected).filter(|r| !r.current).cloned();
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => return None,
        KeyCode::Up | KeyCode::Char('k') => d.selected = d.selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => {
            d.selected = (d.selected + 1).min(rows.len().saturating_sub(1))
        }
        KeyCode::Char('c') => d.new = Some(NewSnapshot::new()),
        KeyCode::Char('r' | 'd') => {
            let Some(row) = picked else {
                model.notify(Level::Warn, "pick a snapshot (not the current state)");
                return Some(Dialog::Snapshots(d));
            };
            let request = if key.code == KeyCode::Char('r') {
                Request::Rollback {
                    guest: d.guest.clone(),
                    name: row.name.clone(),
                    start: false,
                }
            } else {
                Request::DeleteSnapshot {
                    guest: d.guest.clone(),
                    name: row.name.clone(),
                }
            };
            // What cannot be undone is confirmed by typing the guest's name.
            let expected = if d.guest.name.is_empty() {
                d.guest.vmid.to_string()
            } else {
                d.guest.name.clone()
            };
            confirm(model, vec![request], Some(Typed::new(expected)));
            return model.dialog.take();
        }
        _ => {}
    }
    Some(Dialog::Snapshots(d))
}
