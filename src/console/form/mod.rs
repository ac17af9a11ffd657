//! The create and clone forms: fields, what each may hold (from the catalog read when the form
//! opened), why a value is not acceptable — worked out again on every key, so the reason shows
//! beside the field as the user types — and the request the form stands for once it is valid.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;

use crate::actions::catalog::Catalog;
use crate::actions::{CloneSpec, CtSpec, GuestRef, Request, RestoreSpec, VmSpec};
use crate::config::NetworkAlias;
use crate::config::placement::PlacementConfig;
use crate::model::devices::{self, DeviceOverride, Devices};
use crate::model::placement::{self, Reservations};
use crate::model::text::bytes;
use crate::model::{GuestKind, HostRow, InstanceRow, validate};
use crate::sched::{self, DeviceAsk, Ranked};

/// What the form makes.
#[derive(Debug, Clone, PartialEq)]
pub enum FormKind {
    Vm,
    Ct,
    Clone {
        source: GuestRef,
        template: bool,
    },
    /// A backup of `source` restored as a new guest; `backups` are its archives, newest first.
    /// `gone`: the guest was destroyed, so the restore takes its place rather than copying it.
    Restore {
        source: GuestRef,
        backups: Vec<Choice>,
        gone: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FieldId {
    Kind,
    Type,
    Role,
    Name,
    Vmid,
    Node,
    Devices,
    Template,
    Cores,
    Memory,
    Disk,
    Storage,
    Network,
    Vlan,
    Boot,
    CiUser,
    SshKey,
    Password,
    Ip,
    Gateway,
    Unprivileged,
    Full,
    Start,
    Archive,
    Unique,
}

/// How a field takes input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Text,
    /// Typed, shown as dots.
    Secret,
    /// One of a list, changed with ←/→.
    Choice,
    /// Yes or no, changed with space or ←/→.
    Toggle,
}

impl FieldId {
    pub fn label(self, kind: &FormKind) -> &'static str {
        match self {
            FieldId::Kind => "make a",
            FieldId::Type => "instance type",
            FieldId::Role => "role",
            FieldId::Name if *kind == FormKind::Ct => "hostname",
            FieldId::Name if matches!(kind, FormKind::Restore { .. }) => "new name",
            FieldId::Name => "name",
            FieldId::Vmid => "VMID",
            FieldId::Node if matches!(kind, FormKind::Clone { .. }) => "target node",
            FieldId::Node => "node",
            FieldId::Devices => "devices",
            FieldId::Template => "template",
            FieldId::Cores => "cores",
            FieldId::Memory => "memory",
            FieldId::Disk => "disk",
            FieldId::Storage => "storage",
            FieldId::Network => "network",
            FieldId::Vlan => "VLAN tag",
            FieldId::Boot => "boot ISO",
            FieldId::CiUser => "cloud-init user",
            FieldId::SshKey => "SSH key",
            FieldId::Password => "root password",
            FieldId::Ip => "IP",
            FieldId::Gateway => "gateway",
            FieldId::Unprivileged => "unprivileged",
            FieldId::Full => "full clone",
            FieldId::Start => "start after",
            FieldId::Archive => "backup",
            FieldId::Unique => "new MACs",
        }
    }

    pub fn input(self) -> Input {
        match self {
            FieldId::Kind
            | FieldId::Type
            | FieldId::Role
            | FieldId::Node
            | FieldId::Template
            | FieldId::Storage
            | FieldId::Network
            | FieldId::Boot
            | FieldId::Archive => Input::Choice,
            FieldId::Unprivileged | FieldId::Full | FieldId::Start | FieldId::Unique => {
                Input::Toggle
            }
            FieldId::Password => Input::Secret,
            _ => Input::Text,
        }
    }
}

/// A choice's value and what to say beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub note: String,
    /// What the field shows instead of the value (a long volume id, say); the note then
    /// follows the check mark.
    pub label: Option<String>,
}

impl Choice {
    pub fn new(value: impl Into<String>, note: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            note: note.into(),
            label: None,
        }
    }

    pub fn labelled(
        value: impl Into<String>,
        label: impl Into<String>,
        note: impl Into<String>,
    ) -> Self {
        Self {
            label: Some(label.into()),
            ..Self::new(value, note)
        }
    }
}

/// A node as the form offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeOption {
    pub name: String,
    pub online: bool,
}

#[derive(Debug, Clone)]
pub struct CreateForm {
    pub cluster: usize,
    pub kind: FormKind,
    /// `None` while it is being read; an error when it could not be.
    pub catalog: Option<Result<Catalog, String>>,
    pub nodes: Vec<NodeOption>,
    /// VMIDs in use, with the guest's name, to refuse a taken one.
    pub taken: BTreeMap<u32, String>,
    pub focus: usize,
    texts: BTreeMap<FieldId, Box<TextArea<'static>>>,
    choices: BTreeMap<FieldId, String>,
    toggles: BTreeMap<FieldId, bool>,
    /// The user typed a VMID: the catalog's next free one no longer replaces it.
    vmid_typed: bool,
    /// The user picked the node: a restore's devices no longer move it.
    node_chosen: bool,
    /// The user changed a field: closing the form asks first.
    pub edited: bool,
    /// Asking whether to discard the edited form (Esc or ctrl-c was pressed).
    pub discarding: bool,
    /// The nodes ranked for what the form asks; worked out when the form changes, not per frame.
    ranked: Option<Vec<Ranked>>,
    /// What placement needs besides the catalog: the hosts and guests as last polled, and the
    /// devices creates in flight will take.
    pub basis: Basis,
}

/// The cluster as the form saw it open, for ranking nodes when the node is "auto".
#[derive(Debug, Clone, Default)]
pub struct Basis {
    pub hosts: Vec<HostRow>,
    pub instances: Vec<InstanceRow>,
    pub reserved: Reservations,
    /// Policy, headroom, instance types and roles.
    pub placement: PlacementConfig,
    /// Network aliases from the config: name → bridge and VLAN.
    pub aliases: BTreeMap<String, NetworkAlias>,
    /// The config's manual device inventory.
    pub device_overrides: Vec<DeviceOverride>,
}

/// The node value that lets rack place the guest.
pub const AUTO: &str = "auto";

/// The instance type when the sizes are set by hand.
pub const CUSTOM: &str = "custom";

fn area(text: &str) -> Box<TextArea<'static>> {
    let mut a = TextArea::default();
    a.insert_str(text);
    Box::new(a)
}

impl CreateForm {
    /// A new form on `cluster`, placed on `node` at first.
    pub fn new(
        cluster: usize,
        kind: FormKind,
        nodes: Vec<NodeOption>,
        node: Option<String>,
        taken: BTreeMap<u32, String>,
    ) -> Self {
        let mut form = Self {
            cluster,
            kind,
            catalog: None,
            nodes,
            taken,
            focus: 0,
            texts: BTreeMap::new(),
            choices: BTreeMap::new(),
            toggles: BTreeMap::new(),
            vmid_typed: false,
            node_chosen: false,
            edited: false,
            discarding: false,
            basis: Basis::default(),
            ranked: None,
        };
        let node = node.unwrap_or_else(|| match form.kind {
            FormKind::Clone { .. } | FormKind::Restore { .. } => form
                .nodes
                .iter()
                .find(|n| n.online)
                .map(|n| n.name.clone())
                .unwrap_or_default(),
            _ => AUTO.to_string(),
        });
        form.choices.insert(FieldId::Node, node);
        form.set_defaults();
        form
    }

    fn set_defaults(&mut self) {
        let (cores, memory, disk, ip) = match self.kind {
            FormKind::Ct => ("1", "512M", "8G", "dhcp"),
            _ => ("2", "2G", "32G", ""),
        };
        for (field, text) in [
            (FieldId::Cores, cores),
            (FieldId::Memory, memory),
            (FieldId::Disk, disk),
            (FieldId::Ip, ip),
        ] {
            self.texts.insert(field, area(text));
        }
        let kind = match self.kind {
            FormKind::Ct => "container",
            _ => "VM",
        };
        self.choices.insert(FieldId::Kind, kind.into());
        self.toggles.insert(FieldId::Unprivileged, true);
        if let FormKind::Clone { template, source } = &self.kind {
            // Only a template can be cloned linked; anything else is copied.
            self.toggles.insert(FieldId::Full, !*template);
            let name = if source.name.is_empty() {
                format!("clone-of-{}", source.vmid)
            } else {
                format!("{}-clone", source.name)
            };
            self.texts.insert(FieldId::Name, area(&name));
        }
        if let FormKind::Restore {
            source,
            backups,
            gone,
        } = &self.kind
        {
            if !source.name.is_empty() {
                let name = if *gone {
                    source.name.clone()
                } else {
                    format!("{}-restored", source.name)
                };
                self.texts.insert(FieldId::Name, area(&name));
            }
            if let Some(newest) = backups.first() {
                self.choices.insert(FieldId::Archive, newest.value.clone());
            }
            // A guest that is gone comes back under its own VMID when that is free.
            if *gone && !self.taken.contains_key(&source.vmid) {
                self.texts
                    .insert(FieldId::Vmid, area(&source.vmid.to_string()));
                self.vmid_typed = true;
            }
            // Beside the original, the copy must not share its MACs; in place of a guest that
            // is gone, its own MACs keep its DHCP leases and the rules that name them.
            self.toggles.insert(FieldId::Unique, !*gone);
        }
    }

    /// The fields, in order, for what the form makes.
    pub fn fields(&self) -> Vec<FieldId> {
        use FieldId as F;
        match self.kind {
            FormKind::Vm => vec![
                F::Kind,
                F::Role,
                F::Type,
                F::Name,
                F::Vmid,
                F::Node,
                F::Devices,
                F::Cores,
                F::Memory,
                F::Disk,
                F::Storage,
                F::Network,
                F::Vlan,
                F::Boot,
                F::CiUser,
                F::SshKey,
                F::Ip,
                F::Gateway,
                F::Start,
            ],
            FormKind::Ct => vec![
                F::Kind,
                F::Role,
                F::Type,
                F::Name,
                F::Vmid,
                F::Node,
                F::Template,
                F::Cores,
                F::Memory,
                F::Disk,
                F::Storage,
                F::Network,
                F::Vlan,
                F::Password,
                F::SshKey,
                F::Ip,
                F::Gateway,
                F::Unprivileged,
                F::Start,
            ],
            FormKind::Clone { .. } => vec![F::Name, F::Vmid, F::Node, F::Full, F::Storage],
            FormKind::Restore { .. } => vec![
                F::Archive,
                F::Name,
                F::Vmid,
                F::Node,
                F::Storage,
                F::Unique,
                F::Start,
            ],
        }
    }

    pub fn focused(&self) -> FieldId {
        let fields = self.fields();
        fields
            .get(self.focus.min(fields.len().saturating_sub(1)))
            .copied()
            .unwrap_or(FieldId::Name)
    }

    pub fn title(&self) -> String {
        match &self.kind {
            FormKind::Vm => " Create VM ".into(),
            FormKind::Ct => " Create container ".into(),
            FormKind::Clone { source, .. } => format!(" Clone {} ", source.label()),
            FormKind::Restore { source, gone, .. } => {
                let gone = if *gone { " (gone)" } else { "" };
                format!(" Restore a backup of {}{gone} ", source.label())
            }
        }
    }

    /// The text as typed (trimmed).
    pub fn text(&self, field: FieldId) -> String {
        self.texts
            .get(&field)
            .map(|a| a.lines().join("").trim().to_string())
            .unwrap_or_default()
    }

    pub fn choice(&self, field: FieldId) -> &str {
        self.choices.get(&field).map(String::as_str).unwrap_or("")
    }

    pub fn toggle(&self, field: FieldId) -> bool {
        self.toggles.get(&field).copied().unwrap_or(false)
    }

    fn catalog(&self) -> Option<&Catalog> {
        self.catalog.as_ref().and_then(|c| c.as_ref().ok())
    }

    fn node(&self) -> &str {
        self.choice(FieldId::Node)
    }

    /// The node the new guest's disks go on: the target of a clone, else the chosen node.
    fn storage_content(&self) -> &'static str {
        match &self.kind {
            FormKind::Ct => "rootdir",
            FormKind::Restore { source, .. } if source.kind == GuestKind::Lxc => "rootdir",
            _ => "images",
        }
    }

    /// Whether rack picks the node.
    pub fn auto(&self) -> bool {
        self.node() == AUTO
    }

    /// The catalog arrived: fill what the user has not set yet.
    pub fn set_catalog(&mut self, catalog: Result<Catalog, String>) {
        if let Ok(c) = &catalog
            && !self.vmid_typed
            && let Some(id) = c.next_id
        {
            self.texts.insert(FieldId::Vmid, area(&id.to_string()));
        }
        self.catalog = Some(catalog);
        self.place_restore();
        self.fill_choices();
        self.rerank();
    }

    /// The device pools as the catalog read them, with the config's own inventory applied.
    fn device_view(&self) -> Option<Devices> {
        let catalog = self.catalog()?;
        Some(devices::devices_with(
            &catalog.devices,
            &self.basis.device_overrides,
        ))
    }

    /// The mapped devices the chosen backup's config names, once read (a VM restore's).
    fn archive_devices(&self) -> Option<&[(String, String)]> {
        let read = self
            .catalog()?
            .archives
            .get(self.choice(FieldId::Archive))?;
        read.as_ref().ok().map(Vec::as_slice)
    }

    /// A VM restore whose backup maps devices goes where they are, as create places it: its
    /// own node when it could start there, else the first node reaching the backup where it
    /// could — unless the user picked the node.
    pub(super) fn place_restore(&mut self) {
        let FormKind::Restore { source, .. } = &self.kind else {
            return;
        };
        let (Some(entries), Some(catalog)) = (self.archive_devices(), self.catalog()) else {
            return;
        };
        if self.node_chosen || entries.is_empty() {
            return;
        }
        let storage = self
            .choice(FieldId::Archive)
            .split(':')
            .next()
            .unwrap_or("");
        let candidates: Vec<String> = self
            .nodes
            .iter()
            .filter(|n| n.online)
            .filter(|n| {
                catalog
                    .storages(&n.name, "backup")
                    .iter()
                    .any(|s| s.name == storage)
            })
            .map(|n| n.name.clone())
            .collect();
        let Some(view) = self.device_view() else {
            return;
        };
        let vmid = validate::vmid(&self.text(FieldId::Vmid)).unwrap_or(0);
        let preferred = Some(source.node.as_str()).filter(|n| !n.is_empty());
        if let Ok(node) = devices::device_node(&view, vmid, &candidates, preferred, entries) {
            self.choices.insert(FieldId::Node, node);
        }
    }

    /// Choices that are empty take the first option (a clone's storage stays "same as the source").
    fn fill_choices(&mut self) {
        for field in [
            FieldId::Storage,
            FieldId::Network,
            FieldId::Template,
            FieldId::Boot,
        ] {
            let mut options = self.options(field);
            if field == FieldId::Network {
                // Not a VLAN nobody asked for: an untagged name first.
                options.sort_by_key(|o| {
                    self.basis
                        .aliases
                        .get(&o.value)
                        .is_some_and(|a| a.vlan.is_some())
                });
            }
            let value = self.choice(field);
            // Empty means "none yet" — or "picked with the node", which only "auto" offers.
            let unset = value.is_empty() && !options.iter().any(|o| o.value.is_empty());
            if (unset || !self.choices.contains_key(&field))
                && let Some(first) = options.into_iter().next()
            {
                self.choices.insert(field, first.value);
            }
        }
    }

    /// The devices field as asks: `gpu`, `coral, gpu:2`. Each must name a pool or a class of one.
    pub fn device_asks(&self) -> Result<Vec<DeviceAsk>, String> {
        let text = self.text(FieldId::Devices);
        let view = self.device_view();
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            out.push(part.parse::<DeviceAsk>()?);
        }
        if let (Some(view), Some(c)) = (&view, self.catalog()) {
            devices::check_asks(view, &c.devices, &out)?;
        }
        Ok(out)
    }

    /// Every node ranked for what the form asks, when the node is "auto" and the catalog is in.
    pub fn ranking(&self) -> Option<&[Ranked]> {
        self.ranked.as_deref()
    }

    /// Rank again after a change of the form, its catalog or its basis.
    pub fn rerank(&mut self) {
        self.ranked = self.compute_ranking();
    }

    fn compute_ranking(&self) -> Option<Vec<Ranked>> {
        use crate::sched::Ask;
        if !self.auto() || !matches!(self.kind, FormKind::Vm | FormKind::Ct) {
            return None;
        }
        let catalog = self.catalog()?;
        let view = self.device_view()?;
        let hosts = placement::hosts(
            &self.basis.hosts,
            &self.basis.instances,
            catalog,
            &view,
            &self.basis.reserved,
            &self.basis.aliases,
        );
        let memory = validate::memory_mib(&self.text(FieldId::Memory)).unwrap_or(0);
        let disk = validate::disk_gib(&self.text(FieldId::Disk)).unwrap_or(0);
        let ask = Ask {
            cores: self.text(FieldId::Cores).parse().unwrap_or(1),
            memory: memory << 20,
            disk: disk << 30,
            storage: Some(self.choice(FieldId::Storage).to_string()).filter(|s| !s.is_empty()),
            content: self.storage_content().into(),
            shared: false,
            network: Some(self.choice(FieldId::Network).to_string()).filter(|s| !s.is_empty()),
            devices: self.device_asks().unwrap_or_default(),
            node: None,
            anti_affinity: self
                .role()
                .filter(|r| r.spread)
                .map(|r| r.tags.clone())
                .unwrap_or_default(),
            ha_rule: None,
        };
        Some(sched::rank(
            &hosts,
            &ask,
            self.basis.placement.policy,
            &self.basis.placement.headroom,
        ))
    }
}

mod checks;
mod editing;
mod options;
#[cfg(test)]
mod tests;
