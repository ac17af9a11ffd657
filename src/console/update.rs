//! The one place the model changes: `update(model, event)` applies an event and says what the
//! loop should do outside the model (refresh a cluster, look closer at the selection). Pure: a
//! test drives it with events and reads the model.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use ratatui::layout::Rect;
use ratatui_textarea::TextArea;

use super::command;
use super::dialog::{AskDialog, AskKind, Dialog};
use super::event::Event;
use super::log_view::{self, LogOrder};
use super::model::{Input, Level, Model};
pub(super) use super::navigation::{show, switch_cluster};
use super::navigation::{sort, step, turn_help_page};
use super::terminal::{self, TermOrder};
use super::walk::WalkOrder;
use super::{fleet, layout, panes};
use crate::action::{Action, Pane};
use crate::actions::{GuestRef, Job, JobState, Request};
use crate::model::text;
use crate::model::{Focus, PaneData};
use crate::pve::Secret;

/// Work for the loop, outside the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Poll this cluster (index) now.
    Refresh(usize),
    /// Have this cluster's poller fetch details of the selection.
    Focus(usize, Focus),
    /// Confirmed by the user: send these to the action queue, for this cluster.
    Submit(usize, Vec<Request>),
    /// Ask Proxmox where this guest may migrate (the migrate dialog waits for the answer).
    CheckMigration(usize, GuestRef),
    /// Ask cluster `to` where this guest of cluster N would go on its `node` (a remote
    /// migration's VMID, storages and bridges; the migrate dialog waits for the answer).
    PlaceRemote {
        cluster: usize,
        guest: GuestRef,
        to: usize,
        node: String,
    },
    /// Plan the maintenance of this node of cluster N (the plan dialog waits for it).
    PlanMaintenance(usize, String),
    /// Read what the create, clone and restore forms choose from (the open form waits for it):
    /// the catalog for a form on cluster N, with the mapped devices of these backup
    /// archives (a VM restore's).
    ReadCatalog(usize, Vec<String>),
    /// Give the maintenance walkthrough of cluster N an order (start, continue, pause, …).
    Walk(usize, WalkOrder),
    /// Read the audit log again (the Audit pane is open).
    ReadAudit,
    /// The answer to question `id`: the text typed (a secret), `Some("y")` for yes, or None
    /// when the user declined.
    Answer(u64, Option<Secret>),
    /// Tell terminal session `id`'s connection something (open, input, resize, close).
    Terminal(u64, TermOrder),
    /// Start or stop the reader of log view `id`.
    Log(u64, LogOrder),
    /// Suspend the console and run this command (`ssh …`) in the terminal; resume after.
    Handoff(Vec<String>),
}

pub fn update(model: &mut Model, event: Event) -> Vec<Effect> {
    let mut effects = Vec::new();
    let before = (model.current, focuses(model));
    let pane_before = model.pane;
    match event {
        Event::Snapshot(snapshot) => {
            let keep = model.selection();
            if let Some(index) = model
                .clusters
                .iter()
                .position(|c| c.name == snapshot.cluster)
            {
                let guests_changed = model.clusters[index].replace(snapshot);
                if index == model.current || model.all {
                    model.refresh_views_of(keep, guests_changed);
                }
            }
        }
        Event::Key(key) if key.kind != KeyEventKind::Release => on_key(model, key, &mut effects),
        Event::Key(_) => {}
        Event::Paste(text) if model.terminals.shown.is_some() => {
            terminal::paste(model, &text, &mut effects)
        }
        Event::Paste(text) => paste(model, &text),
        Event::Resize(width, height) => {
            model.size = (width, height);
            terminal::resized(model, &mut effects);
            let h = model.page_height();
            model.hosts.scroll_into_view(h);
            model.instances.scroll_into_view(h);
        }
        Event::Tick(now) => {
            model.now = now;
            if model.pane == Pane::Tasks {
                model.refresh_tasks();
            }
            if model.pane == Pane::Audit {
                effects.push(Effect::ReadAudit);
            }
        }
        Event::Ask {
            id,
            title,
            lines,
            secret,
        } => {
            let kind = if secret {
                AskKind::Secret(Box::default())
            } else {
                AskKind::YesNo
            };
            model.asks.push_back(AskDialog {
                id,
                title,
                lines,
                kind,
            });
        }
        Event::Audit(log) => {
            model.audit_log = Some(log);
            model.refresh_audit();
            let h = model.page_height();
            model.audit.scroll_into_view(h);
        }
        Event::Action(action) => act(model, &action, &mut effects),
        Event::Job(job) => {
            on_job(model, *job, &mut effects);
            model.refresh_tasks();
            let h = model.page_height();
            model.tasks.scroll_into_view(h);
        }
        Event::MigrationCheck {
            cluster,
            vmid,
            result,
        } => {
            if let Some(Dialog::Migrate(d)) = model.dialog.as_mut()
                && d.guest.vmid == vmid
                && d.cluster == cluster
            {
                // Start on the first node the guest may go to, unless another cluster's node
                // was chosen meanwhile: it stays chosen, below the local ones now listed.
                let remote = d
                    .remote_target()
                    .map(|(i, _)| i)
                    .filter(|_| d.selected > 0 || d.placed.is_some());
                if let (Ok(check), None) = (&result, remote) {
                    d.selected = check
                        .targets
                        .iter()
                        .position(|(_, ok)| ok.is_ok())
                        .unwrap_or(0);
                }
                d.check = Some(result);
                if let Some(i) = remote {
                    d.selected = d.local_rows() + i;
                }
            }
        }
        Event::RemotePlaced {
            cluster,
            vmid,
            to,
            node,
            result,
        } => {
            if let Some(Dialog::Migrate(d)) = model.dialog.as_mut()
                && d.cluster == cluster
                && d.guest.vmid == vmid
                && let Some((at, slot)) = d.placed.as_mut()
                && d.remote
                    .get(*at)
                    .is_some_and(|r| r.cluster == to && r.node == node)
            {
                *slot = Some(result);
            }
        }
        Event::MaintenancePlan {
            cluster,
            node,
            plan,
            in_progress,
        } => {
            if let Some(Dialog::Maintenance(v)) = model.dialog.as_mut()
                && v.cluster == cluster
                && v.node == node
            {
                v.plan = Some(plan);
                v.in_progress = in_progress;
            }
        }
        Event::Walked {
            cluster,
            walk,
            said,
        } => super::acting::walked(model, cluster, *walk, said),
        Event::WalkEnded {
            cluster,
            walk,
            outcome,
        } => super::acting::walk_ended(model, cluster, walk, outcome, &mut effects),
        Event::WalkAborted { cluster, lines } => super::acting::walk_aborted(model, cluster, lines),
        Event::Terminal { id, what } => terminal::on_event(model, id, what),
        Event::Log { id, what } => log_view::on_event(model, id, what),
        Event::Catalog { cluster, catalog } => {
            if let Some(Dialog::Form(form)) = model.dialog.as_mut()
                && form.cluster == cluster
            {
                let catalog = *catalog;
                let result = if catalog.nodes.is_empty() && !catalog.problems.is_empty() {
                    Err(catalog.problems.join("; "))
                } else {
                    Ok(catalog)
                };
                form.set_catalog(result);
            }
        }
    }
    // A question waits until no other dialog is open and nothing is being typed: it never
    // takes keys meant for something else.
    if model.dialog.is_none()
        && model.terminals.shown.is_none()
        && matches!(model.input, Input::None)
        && let Some(ask) = model.asks.pop_front()
    {
        model.dialog = Some(Dialog::Ask(ask));
    }
    if model.pane == Pane::Audit && pane_before != Pane::Audit {
        effects.push(Effect::ReadAudit);
    }
    fleet::follow_selection(model);
    let after = (model.current, focuses(model));
    if after != before {
        for (i, (was, is)) in before.1.iter().zip(&after.1).enumerate() {
            if was != is {
                effects.push(Effect::Focus(i, is.clone()));
            }
        }
    }
    effects
}

/// What each cluster's poller should look at.
fn focuses(model: &Model) -> Vec<Focus> {
    (0..model.clusters.len()).map(|i| focus(model, i)).collect()
}

/// A job moved on: keep its latest state; when it ends, refresh its cluster at once and tell
/// the user (a failure stays on screen until seen).
fn on_job(model: &mut Model, job: Job, effects: &mut Vec<Effect>) {
    let ended_now = job.state.finished()
        && model
            .jobs
            .iter()
            .find(|j| j.id == job.id)
            .is_none_or(|j| !j.state.finished());
    if ended_now && job.ended.is_some() {
        // A guest moved to another cluster shows there too.
        let target = match &job.request {
            Request::RemoteMigrate(m) => Some(m.cluster.as_str()),
            _ => None,
        };
        for (index, c) in model.clusters.iter().enumerate() {
            if c.name == job.cluster || target == Some(c.name.as_str()) {
                effects.push(Effect::Refresh(index));
            }
        }
        // A plan waiting for its node's package lists is read again, whatever the refresh did.
        if let (Request::RefreshPackages { node }, Some(Dialog::Maintenance(v))) =
            (&job.request, model.dialog.as_mut())
            && v.refreshing
            && &v.node == node
            && model
                .clusters
                .get(v.cluster)
                .is_some_and(|c| c.name == job.cluster)
        {
            v.refreshing = false;
            v.plan = None;
            effects.push(Effect::PlanMaintenance(v.cluster, node.clone()));
        }
        match &job.state {
            JobState::Succeeded(text) => model.notify(
                Level::Info,
                format!("done: {} ({})", job.request.describe(), text),
            ),
            _ => model.alerts.push(job.id),
        }
    }
    match model.jobs.iter_mut().find(|j| j.id == job.id) {
        Some(slot) => *slot = job,
        None => model.jobs.push(job),
    }
}

/// What the poller of cluster `index` should look at, given the selection. In the all view
/// every cluster's rows are on screen, and the panes that list every cluster read each one's.
pub fn focus(model: &Model, index: usize) -> Focus {
    // Nothing of a cluster not on screen is on screen; a pane other than Hosts shows no node.
    let none = Some(Vec::new());
    let shown = index == model.current;
    if !shown && !model.all {
        return Focus {
            rows: none,
            ..Focus::default()
        };
    }
    let name = model.clusters.get(index).map_or("", |c| c.name.as_str());
    let fleet_pane = |pane: PaneData| {
        if shown || fleet::pane_spans_fleet(model.pane) {
            pane
        } else {
            PaneData::None
        }
    };
    let focus = match model.pane {
        Pane::Hosts => {
            return Focus {
                node: model
                    .selected_host()
                    .filter(|h| h.cluster == name)
                    .map(|h| h.node.clone()),
                // The charts are the shown (selected row's) cluster's.
                pane: if shown {
                    PaneData::Hosts
                } else {
                    PaneData::None
                },
                rows: Some(hosts_on_screen(model, name)),
                ..Focus::default()
            };
        }
        Pane::Instances => Focus {
            guest: model
                .selected_instance()
                .filter(|i| i.cluster == name)
                .map(|i| (i.node.clone(), i.kind.api().to_string(), i.vmid)),
            ..Focus::default()
        },
        // rack's own jobs carry their log; a task of the cluster's has it fetched.
        Pane::Tasks => Focus {
            task: model
                .tasks
                .selected_row()
                .filter(|t| t.job.is_none() && t.cluster == name)
                .and_then(|t| t.upid.clone()),
            ..Focus::default()
        },
        Pane::Devices => Focus {
            pane: fleet_pane(PaneData::Devices),
            ..Focus::default()
        },
        Pane::Ceph => Focus {
            pane: fleet_pane(PaneData::Ceph),
            ..Focus::default()
        },
        Pane::Backups => Focus {
            pane: fleet_pane(PaneData::Backups),
            ..Focus::default()
        },
        Pane::Networks => Focus {
            pane: fleet_pane(PaneData::Networks),
            ..Focus::default()
        },
        Pane::Ha => Focus {
            pane: fleet_pane(PaneData::Ha),
            ..Focus::default()
        },
        Pane::Audit => Focus::default(),
        Pane::Log => Focus {
            pane: fleet_pane(PaneData::Log),
            ..Focus::default()
        },
    };
    Focus {
        rows: none,
        ..focus
    }
}

/// The nodes of cluster `name` whose rows the Hosts table shows now.
fn hosts_on_screen(model: &Model, name: &str) -> Vec<String> {
    let rows = model.host_rows();
    let t = &model.hosts;
    t.visible
        .iter()
        .skip(t.offset)
        .take(model.page_height().max(1))
        .filter_map(|&i| rows.get(i))
        .filter(|h| h.cluster == name)
        .map(|h| h.node.clone())
        .collect()
}

fn on_key(model: &mut Model, key: KeyEvent, effects: &mut Vec<Effect>) {
    // A notice stays until the next key, which is taken as having seen it.
    if model.terminals.shown.is_some() && model.dialog.is_none() {
        terminal::key(model, key, effects);
        return;
    }
    model.notices.clear();
    if model.log_view.is_some() && model.dialog.is_none() {
        log_view::key(model, key, effects);
        return;
    }
    if model.dialog.is_some() {
        super::acting::dialog_key(model, key, effects);
        return;
    }
    match &mut model.input {
        // ctrl-c leaves the line being typed, as Esc does; from the panes it quits.
        Input::Filter(_) | Input::Command(_) if super::acting::is_ctrl_c(&key) => {
            if matches!(model.input, Input::Filter(_)) {
                set_filter(model, "");
            }
            model.input = Input::None;
        }
        Input::Filter(area) => match key.code {
            KeyCode::Enter => {
                model.input = Input::None;
                // The keys clear notices: what is wrong with the filter stays said.
                say_unknown_fields(model);
            }
            KeyCode::Esc => {
                model.input = Input::None;
                set_filter(model, "");
            }
            _ => {
                super::line_edit::edit(area, key);
                let text = area.lines().join(" ");
                set_filter(model, &text);
            }
        },
        Input::Command(area) => match key.code {
            KeyCode::Enter => {
                let text = area.lines().join(" ");
                model.input = Input::None;
                command::run(model, &text, effects);
            }
            KeyCode::Esc => model.input = Input::None,
            KeyCode::Backspace if area.is_empty() => model.input = Input::None,
            _ => {
                super::line_edit::edit(area, key);
            }
        },
        Input::None => {
            if let Some(action) = model.keymap.action(&key).cloned() {
                act(model, &action, effects);
            }
        }
    }
}

fn paste(model: &mut Model, text: &str) {
    let line = text::clean(text);
    match &mut model.input {
        Input::Filter(area) => {
            area.insert_str(&line);
            let text = area.lines().join(" ");
            set_filter(model, &text);
        }
        Input::Command(area) => {
            area.insert_str(&line);
        }
        Input::None => {
            // An SSH key is pasted, not typed.
            if let Some(Dialog::Form(form)) = model.dialog.as_mut() {
                form.paste(&line);
            }
        }
    }
}

pub(super) fn set_filter(model: &mut Model, text: &str) {
    if let Some(table) = model.table_mut() {
        table.set_filter(text);
        table.selected = 0;
        table.offset = 0;
    }
    model.refresh_views();
    say_unknown_fields(model);
}

/// Say which fields of the filter the open pane does not have (they are ignored).
fn say_unknown_fields(model: &mut Model) {
    let pane = model.pane;
    let unknown = model.table().map(|t| t.unknown.clone()).unwrap_or_default();
    if !unknown.is_empty() {
        // Said rather than matching nothing: a typo should not look like an empty cluster.
        let said = format!(
            "{} has no field {} (ignored)",
            pane.title(),
            unknown
                .iter()
                .map(|f| format!("\"{f}:\""))
                .collect::<Vec<_>>()
                .join(", "),
        );
        let fields: Vec<String> = panes::fields(pane)
            .iter()
            .map(|f| format!("{f}:"))
            .collect();
        let long = format!("{said}; its fields: {}", fields.join(" "));
        // The notice is one line: the fields when they fit, else where to find them.
        let text = if long.chars().count() < usize::from(model.size.0) {
            long
        } else {
            format!("{said}; ? lists its fields")
        };
        model.notices.retain(|n| n.text != text);
        model.notify(Level::Warn, text);
    }
}

fn input_area(text: &str) -> Box<TextArea<'static>> {
    let mut area = TextArea::new(vec![text.to_string()]);
    area.move_cursor(ratatui_textarea::CursorMove::End);
    Box::new(area)
}

/// Read the shown cluster again now, or every cluster in the all view.
pub(super) fn refresh(model: &Model, effects: &mut Vec<Effect>) {
    for i in 0..model.clusters.len() {
        if model.shows(i) {
            effects.push(Effect::Refresh(i));
        }
    }
}

/// Carry out one action.
fn act(model: &mut Model, action: &Action, effects: &mut Vec<Effect>) {
    if model.help && turn_help_page(model, action) {
        return;
    }
    let page = model.page_height().max(1) as isize;
    match action {
        Action::Quit => model.quit = true,
        Action::Help => {
            model.help = !model.help;
            model.help_page = 0;
        }
        Action::Refresh => refresh(model, effects),
        Action::Up => step(model, -1),
        Action::Down => step(model, 1),
        Action::PageUp => step(model, -page),
        Action::PageDown => step(model, page),
        Action::Top => step(model, isize::MIN / 2),
        Action::Bottom => step(model, isize::MAX / 2),
        Action::Detail => {
            if model.table().is_some_and(|t| !t.visible.is_empty()) {
                model.detail = true;
            }
        }
        Action::ToggleDetail if model.detail => {
            model.notify(Level::Info, "the row is open full screen; Esc closes it");
        }
        Action::ToggleDetail => {
            let shown = |m: &Model| {
                let (w, h) = m.size;
                layout::areas(m, Rect::new(0, 0, w, h)).detail.is_some()
            };
            let before = shown(model);
            model.detail_hidden = !model.detail_hidden;
            if !before && !shown(model) {
                model.notify(
                    Level::Info,
                    "no room for a detail beside or below the table here; Enter opens the row",
                );
            }
            // The table's height changes with it: keep the selection on screen.
            model.refresh_views();
        }
        Action::Back => {
            if !model.alerts.is_empty() {
                // Esc acknowledges failures shown in the status line.
                model.alerts.clear();
            } else if model.help {
                model.help = false;
            } else if model.detail {
                model.detail = false;
            } else if model.table().is_some_and(|t| !t.filter_text.is_empty()) {
                set_filter(model, "");
            } else if model.pane == Pane::Instances && model.kind.is_some() {
                model.kind = None;
                model.refresh_views();
            }
        }
        Action::Filter => {
            if let Some(mut text) = model.table().map(|t| t.filter_text.clone()) {
                // What is typed next is a new word, not the end of the last one.
                if !text.is_empty() && !text.ends_with(' ') {
                    text.push(' ');
                }
                model.help = false;
                model.input = Input::Filter(input_area(&text));
            }
        }
        Action::Command => {
            model.help = false;
            model.input = Input::Command(input_area(""));
        }
        Action::NextCluster => switch_cluster(model, model.current + 1),
        Action::PrevCluster => {
            let n = model.clusters.len().max(1);
            switch_cluster(model, (model.current + n - 1) % n);
        }
        Action::AllClusters if model.all => fleet::leave(model, None),
        Action::AllClusters => fleet::enter(model),
        Action::Show(pane) => show(model, *pane, None),
        Action::Sort(key) => sort(model, *key),
        // A plan changes nothing: it opens on a read-only cluster too.
        Action::Maintenance => super::acting::maintenance(model, None, effects),
        // Reading a log changes nothing either.
        Action::Logs => super::acting::logs(model, effects),
        Action::Ssh => super::acting::ssh(model, effects),
        // What is left marks rows or changes a cluster (`Action::writes`).
        action => super::acting::act(model, action, effects),
    }
}
