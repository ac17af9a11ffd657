//! Keys that act on the clusters, and the dialogs they open: the dispatch, permission verdicts and
//! confirmation here; guest keys in `guest`, datacenter keys in `datacenter`, keys inside dialogs
//! in `dialog_keys`. Nothing is sent from here: a confirmed request becomes `Effect::Submit`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::{Action, Pane};
use crate::actions::{GuestRef, Request, permissions};
use crate::maint::report;
use crate::model::text::{bytes, clean, duration};
use crate::model::{GuestKind, HostStatus, InstanceRow};
use crate::pve::Secret;
use crate::pve::endpoints::acl;
use std::collections::BTreeMap;

use super::dialog::{
    AskDialog, AskKind, Dialog, MaintenanceView, MigrateDialog, NewSnapshot, PowerMenu, RemoteNode,
    SnapshotDialog, Typed, snapshot_tree,
};
use super::form::{Basis, Choice, CreateForm, FormKind, NodeOption};
use super::line_edit;
use super::model::{Level, Model, Row};
use super::update::Effect;

mod datacenter;
mod dialog_keys;
mod guest;
mod logs;
mod ssh;
mod terminal;
mod walkthrough;

pub use datacenter::maintenance;
use datacenter::{backup_now, ceph_flag, restore, stop_task, wake};
pub use dialog_keys::{dialog_key, is_ctrl_c};
use guest::{clone, create, destroy, migrate, power, power_menu, snapshots};
pub use logs::logs;
pub use ssh::ssh;
pub use terminal::terminal_command;
pub use walkthrough::{walk_aborted, walk_ended, walked};

/// Carry out an action key that changes a cluster, or marks a row.
pub fn act(model: &mut Model, action: &Action, effects: &mut Vec<Effect>) {
    if *action == Action::Mark {
        mark(model);
        return;
    }
    // A shell reads as much as it writes: it is opened on a read-only cluster too (Proxmox
    // decides what the login may do), checked as :shell and :console are.
    if *action == Action::Shell {
        let word = match model.pane {
            Pane::Hosts => "shell",
            Pane::Instances => "console",
            pane => {
                let text = format!(
                    "shell: select a node (Hosts) or a guest (Instances), not {}",
                    pane.title()
                );
                model.notify(Level::Warn, text);
                return;
            }
        };
        terminal_command(model, word, "", effects);
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
        (Pane::Instances, Action::Power) => power_menu(model),
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
    let mine: Vec<InstanceRow> = cluster
        .instances
        .iter()
        .filter(|r| model.is_marked(&cluster.name, r.vmid))
        .cloned()
        .collect();
    // Marks on another cluster (the all view) do not reach this one's guests.
    if mine.is_empty() {
        return model.selected_instance().cloned().into_iter().collect();
    }
    mine
}

fn mark(model: &mut Model) {
    if model.pane != Pane::Instances {
        return;
    }
    if let Some(key) = model.selected_instance().map(Row::key)
        && !model.marked.remove(&key)
    {
        model.marked.insert(key);
    }
    let height = model.page_height();
    model.instances.step(1);
    model.instances.scroll_into_view(height);
}

/// Ok, or what the credentials lack, from the last /access/permissions.
pub fn permitted(model: &Model, request: &Request) -> Result<(), String> {
    match model.snapshot().and_then(|s| s.permissions.get()) {
        Some(perms) => permissions::check(perms, request),
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
            Action::Shell => return vec![("VM.Console", acl::vm(row.vmid))],
            Action::Start => Request::Start {
                guest: guest.clone(),
            },
            Action::Power | Action::Shutdown | Action::Stop | Action::Reboot => Request::Stop {
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
            Action::Clone => return vec![("VM.Clone", acl::vm(row.vmid))],
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
        Action::Shell,
        Action::Logs,
        Action::Ssh,
        Action::Migrate,
        Action::Snapshots,
        Action::Clone,
        Action::Destroy,
    ]
    .into_iter()
    .map(|action| {
        let down = node_down(model, &row.node);
        let verdict = if action == Action::Shell && row.status != "running" {
            Err(format!("{} is {}", row.vmid, row.status))
        } else if action == Action::Shell && no_serial_port(model, row) {
            Err(format!("VM {} has no serial port (serial0)", row.vmid))
        } else if action == Action::Logs {
            Ok(())
        } else if action == Action::Ssh {
            ssh::address_of(model, row).map(|_| ())
        } else if read_only && action != Action::Shell {
            Err("read-only cluster".to_string())
        } else if let Some(why) = down {
            Err(why)
        } else {
            let missing: Vec<String> = perms
                .map(|p| {
                    needs(&action)
                        .into_iter()
                        .filter(|(privilege, path)| !permissions::holds(p, privilege, path))
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

/// A VM whose config (read once selected) has no `serial0`: its console has nothing to attach.
pub fn no_serial_port(model: &Model, row: &InstanceRow) -> bool {
    row.kind == GuestKind::Qemu
        && model
            .snapshot()
            .and_then(|s| s.guests.get(&row.vmid))
            .and_then(|d| d.config.get())
            .is_some_and(|c| c.get("serial0").is_none())
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
