//! Keys that act on guests: power, destroy, migrate, snapshots, and the create and clone forms.

use super::*;
use crate::action::POWER_MENU;
use crate::actions::draft::reservations;

/// Destroy the selected guest once it is stopped, after its name is typed: what cannot be undone
/// goes one guest at a time, marks or not.
pub(super) fn destroy(model: &mut Model) {
    let Some(row) = model.selected_instance().cloned() else {
        return;
    };
    let guest = guest_of(&row);
    if row.status != "stopped" {
        let text = format!("{} is {}: stop it first", guest.label(), row.status);
        model.notify(Level::Warn, text);
        return;
    }
    if let Some(lock) = &row.lock {
        let text = format!("{} is locked ({lock})", guest.label());
        model.notify(Level::Warn, text);
        return;
    }
    let expected = if row.name.is_empty() {
        row.vmid.to_string()
    } else {
        row.name.clone()
    };
    confirm(
        model,
        vec![Request::Destroy { guest }],
        Some(Typed::new(expected)),
    );
}

/// `p`: the power menu for the selected (or marked) guests, each action with what stands in
/// its way for the selected one (the state decides later which guests it applies to).
pub(super) fn power_menu(model: &mut Model) {
    let rows = chosen(model);
    let Some(first) = rows.first() else {
        model.notify(Level::Warn, "power: select a guest first");
        return;
    };
    let verdicts = super::guest_keys(model, first);
    let verdict = |action: &Action| {
        verdicts
            .iter()
            .find(|(a, _)| a == action)
            .map_or(Ok(()), |(_, v)| v.clone())
    };
    let items = POWER_MENU
        .into_iter()
        .map(|(key, action)| {
            let v = verdict(&action);
            (key, action, v)
        })
        .collect();
    let what = match rows.as_slice() {
        [one] => format!("{} {} {}", one.kind.label(), one.vmid, one.name),
        many => format!("{} guests", many.len()),
    };
    model.dialog = Some(Dialog::Power(PowerMenu { what, items }));
}

pub(super) fn power(model: &mut Model, action: &Action) {
    let rows = chosen(model);
    let mut requests = Vec::new();
    let mut skipped = Vec::new();
    for row in &rows {
        let running = row.status == "running";
        let guest = guest_of(row);
        let request = match action {
            Action::Start if !running && !row.template => Some(Request::Start { guest }),
            Action::Shutdown if running => Some(Request::Shutdown {
                guest,
                timeout: Some(SHUTDOWN_TIMEOUT),
                force: false,
            }),
            Action::Stop if running => Some(Request::Stop { guest }),
            Action::Reboot if running => Some(Request::Reboot { guest }),
            _ => None,
        };
        match request {
            Some(r) => requests.push(r),
            None => skipped.push(format!("{} is {}", row.vmid, row.status)),
        }
    }
    if !skipped.is_empty() {
        model.notify(
            Level::Warn,
            format!("{action}: skipped {}", skipped.join(", ")),
        );
    }
    confirm(model, requests, None);
}

pub(super) fn migrate(model: &mut Model, effects: &mut Vec<Effect>) {
    if chosen(model).len() > 1 {
        model.notify(
            Level::Warn,
            "migrate one guest at a time (unmark with space)",
        );
        return;
    }
    let Some(row) = chosen(model).into_iter().next() else {
        return;
    };
    let running = row.status == "running";
    let ha = row
        .hastate
        .as_deref()
        .is_some_and(|s| !s.is_empty() && s != "ignored");
    // Every other cluster's online nodes, after this cluster's own.
    let remote = model
        .clusters
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != model.current)
        .flat_map(|(i, c)| {
            c.hosts
                .iter()
                .filter(|h| h.status == HostStatus::Online)
                .map(move |h| RemoteNode {
                    cluster: i,
                    name: c.name.clone(),
                    node: h.node.clone(),
                })
        })
        .collect();
    let dialog = MigrateDialog {
        cluster: model.current,
        guest: guest_of(&row),
        running,
        ha,
        check: None,
        selected: 0,
        online: running,
        remote,
        placed: None,
        keep_source: false,
        ha_configured: row.hastate.as_deref().is_some_and(|s| !s.is_empty()),
    };
    let probe = dialog.request_to("any");
    if let Err(why) = reachable(model, &probe) {
        model.notify(Level::Error, format!("migrate: {why}"));
        return;
    }
    if let Err(why) = permitted(model, &probe) {
        model.notify(Level::Error, format!("migrate: not permitted: {why}"));
        return;
    }
    effects.push(Effect::CheckMigration(model.current, dialog.guest.clone()));
    model.dialog = Some(Dialog::Migrate(dialog));
}

impl MigrateDialog {
    /// The request to a given node (for the permission check before the target is known).
    fn request_to(&self, node: &str) -> Request {
        Request::Migrate {
            guest: self.guest.clone(),
            target: node.into(),
            online: self.online,
            with_local_disks: false,
            ha: self.ha,
        }
    }
}

pub(super) fn snapshots(model: &mut Model) {
    let Some(row) = model.selected_instance().cloned() else {
        return;
    };
    model.dialog = Some(Dialog::Snapshots(SnapshotDialog {
        guest: guest_of(&row),
        running: row.status == "running",
        selected: 0,
        new: None,
    }));
}

/// The nodes a form offers and the VMIDs it must not reuse, from the current picture.
pub(super) fn form_basis(model: &Model) -> (Vec<NodeOption>, BTreeMap<u32, String>) {
    let Some(cluster) = model.cluster() else {
        return Default::default();
    };
    let nodes = cluster
        .hosts
        .iter()
        .map(|h| NodeOption {
            name: h.node.clone(),
            online: h.status == HostStatus::Online,
        })
        .collect();
    let taken = cluster
        .instances
        .iter()
        .map(|r| (r.vmid, r.name.clone()))
        .collect();
    (nodes, taken)
}

/// The hosts and guests as polled, and devices that creates in flight will take.
pub(super) fn basis(model: &Model) -> Basis {
    let Some(cluster) = model.cluster() else {
        return Basis::default();
    };
    let reserved = reservations(
        model
            .jobs
            .iter()
            .filter(|j| j.cluster == cluster.name && !j.state.finished())
            .map(|j| &j.request),
    );
    Basis {
        hosts: cluster.hosts.clone(),
        instances: cluster.instances.clone(),
        reserved,
        placement: model.placement.clone(),
        aliases: cluster.networks.clone(),
        device_overrides: cluster.device_overrides.clone(),
    }
}

pub(super) fn create(model: &mut Model, effects: &mut Vec<Effect>) {
    let (nodes, taken) = form_basis(model);
    // "auto" by default: rack places it, and shows the ranking as the form changes.
    let mut form = CreateForm::new(model.current, FormKind::Vm, nodes, None, taken);
    form.basis = basis(model);
    form.start_from_role();
    effects.push(Effect::ReadCatalog(model.current, Vec::new()));
    model.dialog = Some(Dialog::Form(Box::new(form)));
}

pub(super) fn clone(model: &mut Model, effects: &mut Vec<Effect>) {
    let Some(row) = model.selected_instance().cloned() else {
        return;
    };
    let (nodes, taken) = form_basis(model);
    let kind = FormKind::Clone {
        source: guest_of(&row),
        template: row.template,
    };
    let form = CreateForm::new(model.current, kind, nodes, Some(row.node.clone()), taken);
    effects.push(Effect::ReadCatalog(model.current, Vec::new()));
    model.dialog = Some(Dialog::Form(Box::new(form)));
}
