//! Keys that act on the clusters: power, migrate, snapshots, wake, stop a task, marks; and the
//! dialogs they open. Nothing is sent from here: a confirmed request becomes `Effect::Submit`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::Action;
use std::collections::BTreeMap;

use super::dialog::{Dialog, MigrateDialog, NewSnapshot, SnapshotDialog, Typed, snapshot_tree};
use super::form::{Basis, Choice, CreateForm, FormKind, NodeOption};
use super::line_edit;
use super::model::{Level, Model};
use super::update::Effect;
use crate::action::Pane;
use crate::actions::{GuestRef, Request};
use crate::model::text::{bytes, clean, duration};
use crate::model::{HostStatus, InstanceRow};

mod keys;

pub use keys::{dialog_key, is_ctrl_c};

/// Carry out an action key that changes a cluster, or marks a row.
pub fn act(model: &mut Model, action: &Action, effects: &mut Vec<Effect>) {
    if *action == Action::Mark {
        mark(model);
        return;
    }
    if let Some(c) = model.cluster()
        && c.read_only
    {
        let text = format!(
            "cluster \"{}\" is read-only: rack does not change it",
            c.name
        );
        model.notify(Level::Error, text);
        return;
    }
    match (model.pane, action) {
        (Pane::Tasks, Action::Stop) => stop_task(model),
        (Pane::Hosts, Action::Wake) => wake(model),
        (Pane::Ceph, Action::Toggle) => ceph_flag(model),
        (Pane::Backups, Action::Backup) => backup_now(model),
        (Pane::Backups, Action::Restore) => restore(model, effects),
        (Pane::Instances, Action::Start | Action::Shutdown | Action::Stop | Action::Reboot) => {
            power(model, action)
        }
        (Pane::Instances, Action::Migrate) => migrate(model, effects),
        (Pane::Instances, Action::Snapshots) => snapshots(model),
        (_, Action::Create) => create(model, effects),
        (Pane::Instances, Action::Clone) => clone(model, effects),
        (Pane::Instances, Action::Destroy) => destroy(model),
        (pane, action) => {
            let text = format!("{action} does nothing in {}", pane.title());
            model.notify(Level::Warn, text);
        }
    }
}

/// Seconds a graceful shutdown waits, as Proxmox's web UI does by default.
const SHUTDOWN_TIMEOUT: u32 = 180;

fn guest_of(row: &InstanceRow) -> GuestRef {
    GuestRef {
        node: row.node.clone(),
        kind: row.kind,
        vmid: row.vmid,
        name: row.name.clone(),
    }
}

/// The marked guests, or else the selected one.
fn chosen(model: &Model) -> Vec<InstanceRow> {
    let Some(cluster) = model.cluster() else {
        return Vec::new();
    };
    if model.marked.is_empty() {
        return model.selected_instance().cloned().into_iter().collect();
    }
    cluster
        .instances
        .iter()
        .filter(|r| model.marked.contains(&r.vmid))
        .cloned()
        .collect()
}

fn mark(model: &mut Model) {
    if model.pane != Pane::Instances {
        return;
    }
    if let Some(vmid) = model.selected_instance().map(|r| r.vmid)
        && !model.marked.remove(&vmid)
    {
        model.marked.insert(vmid);
    }
    let height = model.page_height();
    model.instances.step(1);
    model.instances.scroll_into_view(height);
}

/// Ok, or what the credentials lack, from the last /access/permissions.
pub fn permitted(model: &Model, request: &Request) -> Result<(), String> {
    match model.snapshot().and_then(|s| s.permissions.get()) {
        Some(perms) => crate::actions::permissions::check(perms, request),
        // Not known (yet): Proxmox decides.
        None => Ok(()),
    }
}

/// Why nothing can be done on `node` now: it is offline (its guests cannot be reached until it
/// is back; waking it is the one thing to do). None when it is up or not known.
pub fn node_down(model: &Model, node: &str) -> Option<String> {
    let host = model.cluster()?.hosts.iter().find(|h| h.node == node)?;
    (host.status == HostStatus::Offline).then(|| format!("node {node} is offline"))
}

/// Whether a request can reach its node: anything but a wake needs the node up.
fn reachable(model: &Model, request: &Request) -> Result<(), String> {
    if matches!(request, Request::Wake { .. }) {
        return Ok(());
    }
    match node_down(model, request.node()) {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

/// The keys that act on a guest, each with why it is unavailable: a read-only cluster or a
/// privilege the credentials lack. The detail pane shows them, disabled ones dimmed with the reason.
pub fn guest_keys(model: &Model, row: &InstanceRow) -> Vec<(Action, Result<(), String>)> {
    let guest = guest_of(row);
    let read_only = model.cluster().is_some_and(|c| c.read_only);
    let perms = model.snapshot().and_then(|s| s.permissions.get());
    let needs = |action: &Action| -> Vec<(&'static str, String)> {
        let probe = match action {
            Action::Start => Request::Start {
                guest: guest.clone(),
            },
            Action::Shutdown | Action::Stop | Action::Reboot => Request::Stop {
                guest: guest.clone(),
            },
            Action::Migrate => Request::Migrate {
                guest: guest.clone(),
                target: String::new(),
                online: false,
                with_local_disks: false,
                ha: row
                    .hastate
                    .as_deref()
                    .is_some_and(|s| !s.is_empty() && s != "ignored"),
            },
            Action::Snapshots => Request::Snapshot {
                guest: guest.clone(),
                name: String::new(),
                description: String::new(),
                vmstate: false,
            },
            // The new VMID is not known yet; the source's privilege is.
            Action::Clone => return vec![("VM.Clone", format!("/vms/{}", row.vmid))],
            Action::Destroy => Request::Destroy {
                guest: guest.clone(),
            },
            _ => return Vec::new(),
        };
        probe.needs()
    };
    [
        Action::Start,
        Action::Shutdown,
        Action::Stop,
        Action::Reboot,
        Action::Migrate,
        Action::Snapshots,
        Action::Clone,
        Action::Destroy,
    ]
    .into_iter()
    .map(|action| {
        let down = node_down(model, &row.node);
        let verdict = if read_only {
            Err("read-only cluster".to_string())
        } else if let Some(why) = down {
            Err(why)
        } else {
            let missing: Vec<String> = perms
                .map(|p| {
                    needs(&action)
                        .into_iter()
                        .filter(|(privilege, path)| {
                            !crate::actions::permissions::holds(p, privilege, path)
                        })
                        .map(|(privilege, path)| format!("{privilege} on {path}"))
                        .collect()
                })
                .unwrap_or_default();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("needs {}", missing.join(" and ")))
            }
        };
        (action, verdict)
    })
    .collect()
}

/// Open a confirmation for `requests`, unless a privilege is missing.
fn confirm(model: &mut Model, requests: Vec<Request>, typed: Option<Typed>) {
    if requests.is_empty() {
        return;
    }
    for r in &requests {
        if let Err(why) = reachable(model, r) {
            model.notify(Level::Error, format!("{}: {why}", r.describe()));
            return;
        }
        if let Err(why) = permitted(model, r) {
            model.notify(
                Level::Error,
                format!("{}: not permitted: {why}", r.describe()),
            );
            return;
        }
    }
    model.dialog = Some(Dialog::Confirm { requests, typed });
}

/// Destroy the selected guest once it is stopped, after its name is typed: what cannot be undone
/// goes one guest at a time, marks or not.
fn destroy(model: &mut Model) {
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

fn power(model: &mut Model, action: &Action) {
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

fn migrate(model: &mut Model, effects: &mut Vec<Effect>) {
    if model.marked.len() > 1 {
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
    let dialog = MigrateDialog {
        cluster: model.current,
        guest: guest_of(&row),
        running,
        ha,
        check: None,
        selected: 0,
        online: running,
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

fn snapshots(model: &mut Model) {
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
fn form_basis(model: &Model) -> (Vec<NodeOption>, BTreeMap<u32, String>) {
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
fn basis(model: &Model) -> Basis {
    let Some(cluster) = model.cluster() else {
        return Basis::default();
    };
    let mut reserved = Vec::new();
    for job in model
        .jobs
        .iter()
        .filter(|j| j.cluster == cluster.name && !j.state.finished())
    {
        if let Request::CreateVm(spec) = &job.request {
            for pool in spec.pci_pools.iter().chain(&spec.usb_pools) {
                reserved.push((
                    spec.node.clone(),
                    pool.clone(),
                    format!("VM {} ({})", spec.vmid, spec.name),
                ));
            }
        }
    }
    Basis {
        hosts: cluster.hosts.clone(),
        instances: cluster.instances.clone(),
        reserved,
        placement: model.placement.clone(),
        aliases: cluster.networks.clone(),
        device_overrides: cluster.device_overrides.clone(),
    }
}

fn create(model: &mut Model, effects: &mut Vec<Effect>) {
    let (nodes, taken) = form_basis(model);
    // "auto" by default: rack places it, and shows the ranking as the form changes.
    let mut form = CreateForm::new(model.current, FormKind::Vm, nodes, None, taken);
    form.basis = basis(model);
    form.start_from_role();
    effects.push(Effect::ReadCatalog(model.current, Vec::new()));
    model.dialog = Some(Dialog::Form(Box::new(form)));
}

fn clone(model: &mut Model, effects: &mut Vec<Effect>) {
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

/// The Backups pane's selected row and the guest it stands for.
fn selected_backup_guest(model: &Model) -> Option<(crate::model::backups::BackupRow, InstanceRow)> {
    let row = model.selected_backup()?.clone();
    let instance = model
        .cluster()?
        .instances
        .iter()
        .find(|i| i.vmid == row.vmid)?
        .clone();
    Some((row, instance))
}

/// The restore form for the selected guest's backups, newest first.
fn restore(model: &mut Model, effects: &mut Vec<Effect>) {
    let Some(row) = model.selected_backup().cloned() else {
        model.notify(
            Level::Info,
            "select a guest's row to restore one of its backups",
        );
        return;
    };
    let instance = selected_backup_guest(model).map(|(_, i)| i);
    // A guest that is gone is known only from its backups.
    let source = match (&instance, crate::model::GuestKind::from_api(row.kind)) {
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
    let mut volumes: Vec<&crate::pve::types::StorageVolume> = model
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
                let when = crate::model::calendar::format_datetime(t as f64);
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
    let archives = if source.kind == crate::model::GuestKind::Qemu {
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

fn wake(model: &mut Model) {
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

/// Back the selected guest up with the settings of the most frequent job covering it; a guest
/// no job covers goes to the first storage that holds backups on its node.
fn backup_now(model: &mut Model) {
    let Some((row, instance)) = selected_backup_guest(model) else {
        if let Some(row) = model.selected_backup() {
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
            let storage = model.snapshot().and_then(|s| {
                crate::poll::backup_storages(s, &instance.node)
                    .into_iter()
                    .next()
            });
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

fn ceph_flag(model: &mut Model) {
    use crate::model::ceph_view::CephItem;
    match model.selected_ceph().map(|l| &l.item) {
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

fn stop_task(model: &mut Model) {
    let Some(line) = model.selected_task().cloned() else {
        return;
    };
    match (&line.upid, line.state.as_str()) {
        (Some(upid), "running") => {
            confirm(model, vec![Request::StopTask { upid: upid.clone() }], None)
        }
        _ => model.notify(Level::Warn, "only a running task can be stopped"),
    }
}
