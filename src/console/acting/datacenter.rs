//! Keys that act on the datacenter beyond one guest's life: restore and back up from the Backups
//! pane, wake a node, Ceph flags, stop a task.

use super::guest::form_basis;
use super::*;
use crate::model::backups::BackupRow;
use crate::model::{GuestKind, calendar};
use crate::pve::types::StorageVolume;

/// The Backups pane's selected row and the guest it stands for.
pub(super) fn selected_backup_guest(model: &Model) -> Option<(BackupRow, InstanceRow)> {
    let row = model.backups.selected_row()?.clone();
    let instance = model
        .cluster()?
        .instances
        .iter()
        .find(|i| i.vmid == row.vmid)?
        .clone();
    Some((row, instance))
}

/// The restore form for the selected guest's backups, newest first.
pub(super) fn restore(model: &mut Model, effects: &mut Vec<Effect>) {
    let Some(row) = model.backups.selected_row().cloned() else {
        model.notify(
            Level::Info,
            "select a guest's row to restore one of its backups",
        );
        return;
    };
    let instance = selected_backup_guest(model).map(|(_, i)| i);
    // A guest that is gone is known only from its backups.
    let source = match (&instance, GuestKind::from_api(row.kind)) {
        (Some(i), _) => guest_of(i),
        (None, Some(kind)) => GuestRef {
            node: String::new(),
            kind,
            vmid: row.vmid,
            name: row.name.clone(),
        },
        (None, None) => {
            model.notify(
                Level::Warn,
                format!(
                    "the backups of {} do not say whether it was a VM or a container",
                    row.vmid
                ),
            );
            return;
        }
    };
    let now = model.epoch();
    let mut volumes: Vec<&StorageVolume> = model
        .snapshot()
        .and_then(|s| s.backups.get())
        .map(|d| {
            d.volumes
                .iter()
                .map(|(_, v)| v)
                .filter(|v| v.vmid == Some(row.vmid))
                .collect()
        })
        .unwrap_or_default();
    volumes.sort_by_key(|v| std::cmp::Reverse(v.ctime));
    let backups: Vec<Choice> = volumes
        .iter()
        .map(|v| {
            // Shown as its storage and when it was made; age, size and verification follow.
            let volid = clean(&v.volid);
            let storage = volid.split(':').next().unwrap_or_default();
            let mut label = storage.to_string();
            let mut note = Vec::new();
            if let Some(t) = v.ctime {
                let when = calendar::format_datetime(t as f64);
                label.push_str(&format!(" {}", when.get(..16).unwrap_or(&when)));
                note.push(format!("{} ago", duration(now.saturating_sub(t))));
            }
            if let Some(size) = v.size {
                note.push(bytes(size));
            }
            if let Some(state) = v.verification.as_ref().and_then(|x| x.state.as_deref()) {
                note.push(format!("verify {}", clean(state)));
            }
            Choice::labelled(volid, label, note.join(" · "))
        })
        .collect();
    if backups.is_empty() {
        model.notify(
            Level::Warn,
            format!("{} {} has no backup to restore", row.kind, row.vmid),
        );
        return;
    }
    let (nodes, taken) = form_basis(model);
    // A VM's backups may map devices: the form places it where they are.
    let archives = if source.kind == GuestKind::Qemu {
        backups.iter().map(|b| b.value.clone()).collect()
    } else {
        Vec::new()
    };
    let kind = FormKind::Restore {
        source,
        backups,
        gone: instance.is_none(),
    };
    let form = CreateForm::new(model.current, kind, nodes, instance.map(|i| i.node), taken);
    effects.push(Effect::ReadCatalog(model.current, archives));
    model.dialog = Some(Dialog::Form(Box::new(form)));
}

pub(super) fn wake(model: &mut Model) {
    let Some(host) = model.selected_host().cloned() else {
        return;
    };
    if host.status == HostStatus::Online {
        model.notify(Level::Warn, format!("{} is online already", host.node));
        return;
    }
    confirm(
        model,
        vec![Request::Wake {
            node: host.node.clone(),
            mac: None,
        }],
        None,
    );
}

/// Open the maintenance plan of `node` (else the selected host's, in Hosts) and have it made.
pub fn maintenance(model: &mut Model, node: Option<&str>, effects: &mut Vec<Effect>) {
    // One walkthrough at a time per cluster: while there is one, the key shows it.
    if let Some(p) = model.cluster().and_then(|c| c.walk.as_ref()) {
        if let Some(other) = node.filter(|n| *n != p.walk.node) {
            let text = format!(
                "not {other}: the walkthrough of {} is in progress on this cluster",
                p.walk.node
            );
            model.notify(Level::Warn, text);
        }
        super::walkthrough::show(model, model.current);
        return;
    }
    let node = match node {
        Some(n) => n.to_string(),
        None if model.pane == Pane::Hosts => match model.selected_host() {
            Some(h) => h.node.clone(),
            None => return,
        },
        None => {
            let text = "select a node in Hosts, or :maintenance NODE";
            model.notify(Level::Warn, text);
            return;
        }
    };
    let known = model
        .cluster()
        .is_some_and(|c| c.hosts.iter().any(|h| h.node == node));
    if !known {
        model.notify(Level::Error, format!("no node \"{node}\" in this cluster"));
        return;
    }
    model.dialog = Some(Dialog::Maintenance(MaintenanceView {
        cluster: model.current,
        node: node.clone(),
        plan: None,
        scroll: 0,
        refreshing: false,
        in_progress: None,
        start: None,
    }));
    effects.push(Effect::PlanMaintenance(model.current, node));
}

/// Back the selected guest up with the settings of the most frequent job covering it; a guest
/// no job covers goes to the first storage that holds backups on its node.
pub(super) fn backup_now(model: &mut Model) {
    let Some((row, instance)) = selected_backup_guest(model) else {
        if let Some(row) = model.backups.selected_row() {
            let text = format!("{} is gone: there is nothing to back up", row.vmid);
            model.notify(Level::Warn, text);
        }
        return;
    };
    let now = model.epoch();
    let data = model.snapshot().and_then(|s| s.backups.get());
    let job = data.and_then(|d| {
        d.jobs
            .iter()
            .filter(|j| row.jobs.contains(&j.id))
            .min_by_key(|j| j.period(now).unwrap_or(u64::MAX))
    });
    let (storage, mode, compress, job_id) = match job {
        Some(j) => (
            j.storage.clone(),
            j.mode.clone(),
            j.compress.clone(),
            Some(j.id.clone()),
        ),
        None => {
            let storage = model
                .snapshot()
                .and_then(|s| s.backup_storages(&instance.node).into_iter().next());
            let Some(storage) = storage else {
                model.notify(
                    Level::Error,
                    format!(
                        "no storage on {} holds backups: add one, or a job",
                        instance.node
                    ),
                );
                return;
            };
            (
                storage,
                "snapshot".to_string(),
                Some("zstd".to_string()),
                None,
            )
        }
    };
    confirm(
        model,
        vec![Request::Backup {
            guest: guest_of(&instance),
            storage,
            mode,
            compress,
            job: job_id,
        }],
        None,
    );
}

pub(super) fn ceph_flag(model: &mut Model) {
    use crate::model::ceph_view::CephItem;
    match model.ceph.selected_row().map(|l| &l.item) {
        Some(CephItem::Flag(f)) => {
            let request = Request::CephFlag {
                flag: f.name.clone(),
                set: !f.set,
            };
            confirm(model, vec![request], None);
        }
        _ => model.notify(
            Level::Warn,
            "select a flag row (noout, norebalance …) to set or unset it",
        ),
    }
}

pub(super) fn stop_task(model: &mut Model) {
    let Some(line) = model.tasks.selected_row().cloned() else {
        return;
    };
    match (&line.upid, line.state.as_str()) {
        (Some(upid), "running") => {
            confirm(model, vec![Request::StopTask { upid: upid.clone() }], None)
        }
        _ => model.notify(Level::Warn, "only a running task can be stopped"),
    }
}
