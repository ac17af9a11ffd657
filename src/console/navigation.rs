//! Moving about: pages of help, the selection, panes, clusters and sort order.

use super::help;
use super::model::{Level, Model};
use super::panes;
use crate::action::{Action, Pane, SortKey};
use crate::model::GuestKind;

/// While help is open, the moving keys turn its pages; true when `action` was one of them.
pub(super) fn turn_help_page(model: &mut Model, action: &Action) -> bool {
    let last = help::pages(model).count() - 1;
    let page = model.help_page.min(last);
    model.help_page = match action {
        Action::Up | Action::PageUp => page.saturating_sub(1),
        Action::Down | Action::PageDown => (page + 1).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return false,
    };
    true
}

pub(super) fn step(model: &mut Model, delta: isize) {
    let height = model.page_height();
    if let Some(table) = model.table_mut() {
        table.step(delta);
        table.scroll_into_view(height);
    }
}

pub(super) fn show(model: &mut Model, pane: Pane, kind: Option<GuestKind>) {
    model.pane = pane;
    model.detail = false;
    model.help = false;
    // Failures are seen where they are listed: the Tasks pane opens on the newest of them.
    let failed = if pane == Pane::Tasks {
        model.alerts.drain(..).next_back()
    } else {
        None
    };
    if pane == Pane::Instances && model.kind != kind {
        model.kind = kind;
        model.instances.selected = 0;
        model.refresh_views();
    }
    model.refresh_pane();
    if let Some(id) = failed {
        let at = model.tasks.visible.iter().position(|&i| {
            model
                .tasks
                .rows
                .get(i)
                .is_some_and(|line| line.job == Some(id))
        });
        if let Some(at) = at {
            let height = model.page_height();
            model.tasks.selected = at;
            model.tasks.scroll_into_view(height);
        }
    }
}

pub(super) fn switch_cluster(model: &mut Model, index: usize) {
    let n = model.clusters.len();
    if n == 0 {
        return;
    }
    if model.all {
        super::fleet::leave(model, None);
    }
    model.current = index % n;
    model.detail = false;
    model.marked.clear();
    for table in [&mut model.hosts, &mut model.instances, &mut model.tasks] {
        table.selected = 0;
        table.offset = 0;
    }
    model.refresh_views();
}

pub(super) fn sort(model: &mut Model, key: SortKey) {
    let pane = model.pane;
    let sorted = model
        .table_mut()
        .is_some_and(|table| table.sort_by(&panes::sorts(pane), key));
    if !sorted {
        let pressed = keys_text(model, &Action::Sort(key));
        let columns: Vec<String> = panes::sorts(pane)
            .iter()
            .map(|(k, title)| format!("{title} {}", keys_text(model, &Action::Sort(*k))))
            .collect();
        let text = format!(
            "{} cannot be sorted by {} ({pressed}); its columns sort with {}",
            pane.title(),
            key.name(),
            columns.join(", ")
        );
        model.notify(Level::Warn, text);
        return;
    }
    model.refresh_views();
}

/// The keys bound to `action`, as help writes them ("C", "q ctrl-c"); the action's name when none.
fn keys_text(model: &Model, action: &Action) -> String {
    let keys = model.keymap.keys_for(action);
    if keys.is_empty() {
        action.to_string()
    } else {
        keys.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}
