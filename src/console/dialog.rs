//! Dialogs over the panes: confirmations (typed for what cannot be undone), the migration target
//! picker fed by Proxmox's precondition check, the snapshot tree with its new-snapshot form, and
//! the create and clone forms (`form`).

use super::cluster_pick::ClusterPicker;
use ratatui_textarea::TextArea;

use super::walk::{StartChoice, WalkView};
use crate::action::Action;
use crate::actions::{GuestRef, Request};
use crate::maint::Plan;
use crate::model::validate;
use crate::pve::types::Snapshot;

#[derive(Debug, Clone)]
pub enum Dialog {
    /// Send `requests` once the user says yes; when `typed` is set, only after typing it.
    Confirm {
        requests: Vec<Request>,
        typed: Option<Typed>,
    },
    Migrate(MigrateDialog),
    Snapshots(SnapshotDialog),
    /// Create a VM or container, or clone a guest.
    Form(Box<super::form::CreateForm>),
    /// A node's maintenance plan, read and shown (it changes nothing until a walkthrough is
    /// started from it).
    Maintenance(MaintenanceView),
    /// A cluster's maintenance walkthrough, as it goes.
    Walk(WalkView),
    /// A question from a cluster's connection: a login's second factor (typed masked), or
    /// whether to trust a certificate.
    Ask(AskDialog),
    /// The power menu: a letter for each power action, those that cannot be done now with why.
    Power(PowerMenu),
    /// `:cluster` alone: every cluster with its state, to switch to one.
    Clusters(ClusterPicker),
}

/// What `p` offers for the selected (or marked) guests.
#[derive(Debug, Clone)]
pub struct PowerMenu {
    /// `VM 101 talos-k8s-01`, or `3 guests`.
    pub what: String,
    pub items: Vec<(char, Action, Result<(), String>)>,
}

/// What a connection asks the user; the answer goes back by `id`.
#[derive(Debug, Clone)]
pub struct AskDialog {
    pub id: u64,
    pub title: String,
    /// What is asked and why, a line each.
    pub lines: Vec<String>,
    pub kind: AskKind,
}

#[derive(Debug, Clone)]
pub enum AskKind {
    /// Text typed in a field shown as dots (a TOTP code, a recovery key).
    Secret(Box<TextArea<'static>>),
    /// Yes or no.
    YesNo,
}

/// A node's maintenance plan on screen: being read, read, or why it could not be.
#[derive(Debug, Clone)]
pub struct MaintenanceView {
    pub cluster: usize,
    pub node: String,
    pub plan: Option<Result<Box<Plan>, String>>,
    /// The first line shown.
    pub scroll: usize,
    /// A refresh of the node's package lists is under way; the plan is read again after it.
    pub refreshing: bool,
    /// A walkthrough kept for this cluster, in words.
    pub in_progress: Option<String>,
    /// Starting a walkthrough from the plan: the choice asked first.
    pub start: Option<StartChoice>,
}

impl Dialog {
    /// What the dialog is, for a line that says it was cancelled.
    pub fn what(&self) -> &'static str {
        match self {
            Dialog::Confirm { .. } => "confirmation",
            Dialog::Migrate(_) => "migration",
            Dialog::Snapshots(_) => "snapshots dialog",
            Dialog::Form(_) => "form",
            Dialog::Maintenance(_) => "maintenance plan",
            Dialog::Walk(_) => "walkthrough view",
            Dialog::Ask(_) => "question",
            Dialog::Power(_) => "power menu",
            Dialog::Clusters(_) => "cluster picker",
        }
    }
}

/// A word to type before a destructive action goes ahead: the guest's name.
#[derive(Debug, Clone)]
pub struct Typed {
    pub expected: String,
    pub area: Box<TextArea<'static>>,
}

impl Typed {
    pub fn new(expected: impl Into<String>) -> Self {
        Self {
            expected: expected.into(),
            area: Box::new(TextArea::default()),
        }
    }

    pub fn matches(&self) -> bool {
        self.area.lines().join("") == self.expected
    }
}

#[derive(Debug, Clone)]
pub struct MigrateDialog {
    pub cluster: usize,
    pub guest: GuestRef,
    pub running: bool,
    pub ha: bool,
    /// The precondition check's answer, once it is in.
    pub check: Option<Result<MigrateCheck, String>>,
    pub selected: usize,
    pub online: bool,
    /// Online nodes of the other configured clusters, listed after this cluster's own.
    pub remote: Vec<RemoteNode>,
    /// What the target cluster said for the remote row it was asked about (its index in
    /// `remote`): the VMID, storages and bridges the guest would get, or why not. None while
    /// not asked; `Some((i, None))` while asking.
    pub placed: Option<(usize, Option<Result<Placed, String>>)>,
    /// A remote migration keeps the source (stopped and locked) instead of deleting it.
    pub keep_source: bool,
    /// The guest is an HA resource in any state (`ignored` too): Proxmox refuses to move it
    /// to another cluster.
    pub ha_configured: bool,
}

/// A node of another cluster a guest may be moved to (Proxmox's remote migration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteNode {
    /// The cluster's index and name.
    pub cluster: usize,
    pub name: String,
    pub node: String,
}

pub use crate::actions::remote::{Placed, RemoteMigration};

pub use crate::actions::precheck::MigrateCheck;

impl MigrateDialog {
    /// How many of this cluster's nodes are listed (the remote ones follow).
    pub fn local_rows(&self) -> usize {
        match &self.check {
            Some(Ok(c)) => c.targets.len(),
            _ => 0,
        }
    }

    /// The selected row's node of another cluster, with its index in `remote`.
    pub fn remote_target(&self) -> Option<(usize, &RemoteNode)> {
        let i = self.selected.checked_sub(self.local_rows())?;
        self.remote.get(i).map(|r| (i, r))
    }

    /// The remote migration the selected row stands for, once its cluster has said where.
    pub fn remote_request(&self) -> Option<Request> {
        let (i, node) = self.remote_target()?;
        let Some((at, Some(Ok(placed)))) = &self.placed else {
            return None;
        };
        (*at == i).then(|| {
            Request::RemoteMigrate(RemoteMigration {
                guest: self.guest.clone(),
                cluster: node.name.clone(),
                node: node.node.clone(),
                target_vmid: placed.target_vmid,
                storage: placed.storage.clone(),
                bridge: placed.bridge.clone(),
                online: self.running,
                keep_source: self.keep_source,
            })
        })
    }

    /// The selected node, if the guest may go there.
    pub fn target(&self) -> Option<&str> {
        let Some(Ok(check)) = &self.check else {
            return None;
        };
        check
            .targets
            .get(self.selected)
            .filter(|(_, allowed)| allowed.is_ok())
            .map(|(node, _)| node.as_str())
    }

    pub fn request(&self) -> Option<Request> {
        let target = self.target()?;
        let local_disks = matches!(&self.check, Some(Ok(c)) if c.local_disks);
        Some(Request::Migrate {
            guest: self.guest.clone(),
            target: target.to_string(),
            online: self.online && self.running,
            with_local_disks: local_disks,
            ha: self.ha,
        })
    }
}

#[derive(Debug, Clone)]
pub struct SnapshotDialog {
    pub guest: GuestRef,
    pub running: bool,
    pub selected: usize,
    /// The new-snapshot form, when open.
    pub new: Option<NewSnapshot>,
}

#[derive(Debug, Clone)]
pub struct NewSnapshot {
    pub name: Box<TextArea<'static>>,
    pub description: Box<TextArea<'static>>,
    pub vmstate: bool,
    /// 0 name, 1 description, 2 RAM.
    pub field: usize,
}

impl NewSnapshot {
    pub fn new() -> Self {
        Self {
            name: Box::new(TextArea::default()),
            description: Box::new(TextArea::default()),
            vmstate: false,
            field: 0,
        }
    }

    pub fn name(&self) -> String {
        self.name.lines().join("").trim().to_string()
    }

    /// Why the name is not acceptable, as the user types.
    pub fn problem(&self) -> Option<String> {
        validate::snapshot_name(&self.name()).err()
    }
}

impl Default for NewSnapshot {
    fn default() -> Self {
        Self::new()
    }
}

/// One row of the snapshot tree: depth, name, and whether it is the live state.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRow {
    pub depth: usize,
    pub name: String,
    pub description: String,
    pub snaptime: Option<u64>,
    pub vmstate: bool,
    pub current: bool,
}

/// Snapshots as a tree, parents before children, "current" (you are here) under its parent.
pub fn snapshot_tree(list: &[Snapshot]) -> Vec<SnapshotRow> {
    use crate::model::text::clean;
    let mut out = Vec::new();
    fn walk(list: &[Snapshot], parent: Option<&str>, depth: usize, out: &mut Vec<SnapshotRow>) {
        let mut children: Vec<&Snapshot> = list
            .iter()
            .filter(|s| s.parent.as_deref().filter(|p| !p.is_empty()) == parent)
            .collect();
        children.sort_by_key(|s| (s.name == "current", s.snaptime));
        for s in children {
            out.push(SnapshotRow {
                depth,
                name: clean(&s.name),
                description: clean(s.description.as_deref().unwrap_or_default()),
                snaptime: s.snaptime,
                vmstate: s.vmstate == Some(true),
                current: s.name == "current",
            });
            if s.name != "current" && depth < 64 {
                walk(list, Some(&s.name), depth + 1, out);
            }
        }
    }
    walk(list, None, 0, &mut out);
    // Snapshots whose parent is missing still show, at the top level.
    for s in list {
        if !out.iter().any(|r| r.name == clean(&s.name)) {
            out.push(SnapshotRow {
                depth: 0,
                name: clean(&s.name),
                description: clean(s.description.as_deref().unwrap_or_default()),
                snaptime: s.snaptime,
                vmstate: s.vmstate == Some(true),
                current: s.name == "current",
            });
        }
    }
    out
}
