//! The create and clone forms: fields, what each may hold (from the catalog read when the form
//! opened), why a value is not acceptable — worked out again on every key, so the reason shows
//! beside the field as the user types — and the request the form stands for once it is valid.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;

use crate::actions::catalog::Catalog;
use crate::actions::{CloneSpec, CtSpec, GuestRef, Request, RestoreSpec, VmSpec};
use crate::model::text::bytes;
use crate::model::validate;

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
    /// The user changed a field: closing the form asks first.
    pub edited: bool,
    /// Asking whether to discard the edited form (Esc or ctrl-c was pressed).
    pub discarding: bool,
    /// The nodes ranked for what the form asks; worked out when the form changes, not per frame.
    ranked: Option<Vec<crate::sched::Ranked>>,
    /// What placement needs besides the catalog: the hosts and guests as last polled, and the
    /// devices creates in flight will take.
    pub basis: Basis,
}

/// The cluster as the form saw it open, for ranking nodes when the node is "auto".
#[derive(Debug, Clone, Default)]
pub struct Basis {
    pub hosts: Vec<crate::model::HostRow>,
    pub instances: Vec<crate::model::InstanceRow>,
    pub reserved: crate::model::placement::Reservations,
    /// Policy, headroom, instance types and roles.
    pub placement: crate::config::placement::PlacementConfig,
    /// Network aliases from the config: name → bridge and VLAN.
    pub aliases: BTreeMap<String, crate::config::NetworkAlias>,
    /// The config's manual device inventory.
    pub device_overrides: Vec<crate::model::devices::DeviceOverride>,
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
            FormKind::Restore { source, .. } if source.kind == crate::model::GuestKind::Lxc => {
                "rootdir"
            }
            _ => "images",
        }
    }

    /// Whether rack picks the node.
    pub fn auto(&self) -> bool {
        self.node() == AUTO
    }

    /// The nodes whose storages, networks and images a choice offers: the chosen one, or with
    /// "auto" every online node.
    fn nodes_for_options(&self) -> Vec<String> {
        if self.auto() {
            self.nodes
                .iter()
                .filter(|n| n.online)
                .map(|n| n.name.clone())
                .collect()
        } else {
            vec![self.node().to_string()]
        }
    }

    /// What a choice field may be set to, with notes.
    pub fn options(&self, field: FieldId) -> Vec<Choice> {
        let catalog = self.catalog();
        match field {
            FieldId::Kind => vec![Choice::new("VM", ""), Choice::new("container", "")],
            FieldId::Type => {
                let mut out = vec![Choice::new(CUSTOM, "the sizes below")];
                out.extend(self.basis.placement.types.iter().map(|t| {
                    let mut note = format!(
                        "{} vCPU · {} · {} GiB",
                        t.cores,
                        bytes(t.memory_mib << 20),
                        t.disk_gib
                    );
                    if !t.devices.is_empty() {
                        note.push_str(&format!(" · {}", t.devices.join(", ")));
                    }
                    Choice::new(&t.name, note)
                }));
                out
            }
            FieldId::Role => self
                .basis
                .placement
                .roles
                .iter()
                .map(|r| {
                    let mut note = r.kind.clone();
                    if !r.tags.is_empty() {
                        note.push_str(&format!(" · tags {}", r.tags.join(", ")));
                    }
                    Choice::new(&r.name, note)
                })
                .collect(),
            FieldId::Node => {
                let mut out = Vec::new();
                if matches!(self.kind, FormKind::Vm | FormKind::Ct) {
                    out.push(Choice::new(AUTO, "rack picks, see the ranking"));
                }
                out.extend(
                    self.nodes
                        .iter()
                        .map(|n| Choice::new(&n.name, if n.online { "" } else { "offline" })),
                );
                out
            }
            FieldId::Storage => {
                let mut out = Vec::new();
                if matches!(self.kind, FormKind::Clone { .. }) {
                    out.push(Choice::new("", "same as the source"));
                }
                if matches!(self.kind, FormKind::Restore { .. }) {
                    out.push(Choice::new("", "where the backup's disks were"));
                }
                if self.auto() {
                    out.push(Choice::new("", "the best on the node picked"));
                }
                if let Some(c) = catalog {
                    let mut seen = std::collections::BTreeSet::new();
                    let nodes = self.nodes_for_options();
                    let all: Vec<&crate::actions::catalog::StorageInfo> = nodes
                        .iter()
                        .flat_map(|n| c.storages(n, self.storage_content()))
                        .filter(|s| seen.insert(s.name.clone()))
                        .collect();
                    out.extend(all.into_iter().map(|s| {
                        let mut note = match s.free {
                            Some(f) => format!("{} free", bytes(f)),
                            None => String::new(),
                        };
                        if s.shared {
                            note.push_str(", shared");
                        }
                        Choice::new(&s.name, note)
                    }));
                }
                out
            }
            FieldId::Network => catalog
                .map(|c| {
                    let nodes = self.nodes_for_options();
                    let mut seen = std::collections::BTreeSet::new();
                    let all: Vec<crate::actions::catalog::Network> = nodes
                        .iter()
                        .flat_map(|n| c.networks(n))
                        .filter(|n| seen.insert(n.name.clone()))
                        .collect();
                    // Names first: the config's aliases whose bridge is there, then vnets and
                    // bridges as Proxmox names them.
                    let mut out: Vec<Choice> = self
                        .basis
                        .aliases
                        .iter()
                        .filter(|(_, a)| all.iter().any(|n| n.name == a.bridge))
                        .map(|(name, a)| Choice::new(name, a.describe()))
                        .collect();
                    // A bridge that has a name of its own (an untagged alias) goes by that name.
                    let named = |bridge: &str| {
                        self.basis
                            .aliases
                            .values()
                            .any(|a| a.bridge == bridge && a.vlan.is_none())
                    };
                    out.extend(
                        all.into_iter()
                            .filter(|n| !named(&n.name))
                            .map(|n| Choice::new(n.name, n.note)),
                    );
                    out
                })
                .unwrap_or_default(),
            FieldId::Boot => {
                let mut out = vec![Choice::new("", "none (cloud image or PXE)")];
                if let Some(c) = catalog {
                    let mut seen = std::collections::BTreeSet::new();
                    for n in self.nodes_for_options() {
                        out.extend(
                            c.isos(&n)
                                .iter()
                                .filter(|i| seen.insert(i.to_string()))
                                .map(|i| Choice::new(i, "")),
                        );
                    }
                }
                out
            }
            FieldId::Template => catalog
                .map(|c| {
                    let mut seen = std::collections::BTreeSet::new();
                    self.nodes_for_options()
                        .iter()
                        .flat_map(|n| c.templates(n).to_vec())
                        .filter(|t| seen.insert(t.clone()))
                        .map(|t| Choice::new(t, ""))
                        .collect()
                })
                .unwrap_or_default(),
            FieldId::Archive => match &self.kind {
                FormKind::Restore { backups, .. } => backups.clone(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
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
        self.fill_choices();
        self.rerank();
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
    pub fn device_asks(&self) -> Result<Vec<crate::sched::DeviceAsk>, String> {
        let text = self.text(FieldId::Devices);
        let view = self
            .catalog()
            .map(|c| crate::model::devices::devices_with(&c.devices, &self.basis.device_overrides));
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            out.push(part.parse::<crate::sched::DeviceAsk>()?);
        }
        if let (Some(view), Some(c)) = (&view, self.catalog()) {
            crate::model::devices::check_asks(view, &c.devices, &out)?;
        }
        Ok(out)
    }

    /// Every node ranked for what the form asks, when the node is "auto" and the catalog is in.
    pub fn ranking(&self) -> Option<&[crate::sched::Ranked]> {
        self.ranked.as_deref()
    }

    /// Rank again after a change of the form, its catalog or its basis.
    pub fn rerank(&mut self) {
        self.ranked = self.compute_ranking();
    }

    fn compute_ranking(&self) -> Option<Vec<crate::sched::Ranked>> {
        use crate::sched::Ask;
        if !self.auto() || !matches!(self.kind, FormKind::Vm | FormKind::Ct) {
            return None;
        }
        let catalog = self.catalog()?;
        let view =
            crate::model::devices::devices_with(&catalog.devices, &self.basis.device_overrides);
        let hosts = crate::model::placement::hosts(
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
        Some(crate::sched::rank(
            &hosts,
            &ask,
            self.basis.placement.policy,
            &self.basis.placement.headroom,
        ))
    }

    /// Why the field's value will not do, or `None` when it will.
    pub fn problem(&self, field: FieldId) -> Option<String> {
        let text = self.text(field);
        let optional = |f: fn(&str) -> Result<(), String>| {
            if text.is_empty() {
                None
            } else {
                f(&text).err()
            }
        };
        let node = self.node();
        let node_info = self.catalog().and_then(|c| c.node(node));
        match field {
            FieldId::Kind
            | FieldId::Type
            | FieldId::Role
            | FieldId::Unprivileged
            | FieldId::Full
            | FieldId::Start
            | FieldId::Unique => None,
            FieldId::Name if matches!(self.kind, FormKind::Restore { .. }) && text.is_empty() => {
                None
            }
            FieldId::Name => validate::dns_name(&text).err(),
            FieldId::Vmid => match validate::vmid(&text) {
                Err(e) => Some(e),
                Ok(id) => self.taken.get(&id).map(|name| {
                    if name.is_empty() {
                        format!("VMID {id} is taken")
                    } else {
                        format!("VMID {id} is taken by {name}")
                    }
                }),
            },
            FieldId::Node if self.auto() => match self.ranking() {
                None => Some("reading what the cluster has…".into()),
                Some(r) if r.first().is_some_and(|b| b.feasible) => None,
                Some(_) => Some("no node can take it (see why below)".into()),
            },
            FieldId::Devices => self.device_asks().err(),
            FieldId::Node => match self.nodes.iter().find(|n| n.name == node) {
                None if node.is_empty() => Some("no node to put it on".into()),
                None => Some(format!("no node \"{node}\"")),
                Some(n) if !n.online => Some(format!("{node} is offline")),
                Some(_) => self.archive_problem(),
            },
            FieldId::Archive => {
                let value = self.choice(FieldId::Archive);
                if self
                    .options(FieldId::Archive)
                    .iter()
                    .any(|o| o.value == value)
                {
                    None
                } else {
                    Some("no backup of this guest to restore".into())
                }
            }
            FieldId::Cores => match validate::cores(&text) {
                Ok(n) => match node_info.and_then(|i| i.cores) {
                    Some(max) if n > max => Some(format!("{node} has {max} cores")),
                    _ => None,
                },
                Err(e) => Some(e),
            },
            FieldId::Memory => match validate::memory_mib(&text) {
                Err(e) => Some(e),
                Ok(mib) => match node_info.and_then(|i| i.memory) {
                    Some(max) if mib.saturating_mul(1 << 20) > max => {
                        Some(format!("{node} has {} in all", bytes(max)))
                    }
                    _ => None,
                },
            },
            FieldId::Disk => match validate::disk_gib(&text) {
                Err(e) => Some(e),
                Ok(0) => Some("at least 1 GiB".into()),
                Ok(gib) => {
                    let storage = self.choice(FieldId::Storage);
                    let free = node_info
                        .and_then(|i| i.storages.iter().find(|s| s.name == storage))
                        .and_then(|s| s.free);
                    match free {
                        Some(free) if gib.saturating_mul(1 << 30) > free => {
                            Some(format!("{storage} has {} free", bytes(free)))
                        }
                        _ => None,
                    }
                }
            },
            FieldId::Storage | FieldId::Network | FieldId::Template | FieldId::Boot => {
                self.choice_problem(field)
            }
            FieldId::Vlan => {
                if text.is_empty() {
                    None
                } else {
                    validate::vlan(&text).err()
                }
            }
            FieldId::CiUser => optional(|t| {
                if t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                {
                    Ok(())
                } else {
                    Err("letters, digits, - _ . only".into())
                }
            }),
            FieldId::SshKey => optional(validate::ssh_key),
            FieldId::Password => {
                let len = self.text(FieldId::Password).chars().count();
                if len == 0 && self.text(FieldId::SshKey).is_empty() {
                    Some("give a root password or an SSH key".into())
                } else if len > 0 && len < 5 {
                    Some("at least 5 characters".into())
                } else {
                    None
                }
            }
            FieldId::Ip => optional(validate::ip_config),
            FieldId::Gateway => {
                if text.is_empty() {
                    return None;
                }
                let ip = self.text(FieldId::Ip);
                if ip.is_empty() || ip == "dhcp" {
                    return Some("only with a static IP".into());
                }
                validate::ipv4(&text).err()
            }
        }
    }

    /// A restore's node must reach the storage the archive is on.
    fn archive_problem(&self) -> Option<String> {
        if !matches!(self.kind, FormKind::Restore { .. }) {
            return None;
        }
        let storage = self.choice(FieldId::Archive).split(':').next()?;
        let node = self.node();
        let catalog = self.catalog()?;
        let reaches = catalog
            .storages(node, "backup")
            .iter()
            .any(|s| s.name == storage);
        (!reaches).then(|| format!("{storage} (where the backup is) is not on {node}"))
    }

    fn choice_problem(&self, field: FieldId) -> Option<String> {
        let value = self.choice(field);
        let node = self.node();
        match &self.catalog {
            None => return Some("reading what the cluster has…".into()),
            Some(Err(e)) => return Some(format!("cannot read the cluster: {e}")),
            Some(Ok(_)) => {}
        }
        let options = self.options(field);
        if options.iter().any(|o| o.value == value) {
            return None;
        }
        Some(match field {
            FieldId::Storage if options.is_empty() => {
                format!("no storage on {node} holds {}", self.content_words())
            }
            FieldId::Storage => format!(
                "\"{value}\" is not on {node} or holds no {}",
                self.content_words()
            ),
            FieldId::Network if options.is_empty() => format!("no bridge or vnet on {node}"),
            FieldId::Network => format!("\"{value}\" is not on {node}"),
            FieldId::Template if options.is_empty() => {
                format!("no container template on {node}'s storages")
            }
            FieldId::Template | FieldId::Boot => format!("\"{value}\" is not on {node}"),
            _ => format!("\"{value}\" is not offered"),
        })
    }

    fn content_words(&self) -> &'static str {
        match self.kind {
            FormKind::Ct => "container volumes",
            _ => "disk images",
        }
    }

    /// Every field with a problem, in order.
    pub fn problems(&self) -> Vec<(FieldId, String)> {
        self.fields()
            .into_iter()
            .filter_map(|f| self.problem(f).map(|p| (f, p)))
            .collect()
    }

    /// The request, when every field is acceptable.
    pub fn request(&self) -> Result<Request, (FieldId, String)> {
        if let Some(first) = self.problems().into_iter().next() {
            return Err(first);
        }
        let some = |f: FieldId| Some(self.text(f)).filter(|t| !t.is_empty());
        let vmid = validate::vmid(&self.text(FieldId::Vmid)).map_err(|e| (FieldId::Vmid, e))?;
        let cores = self.text(FieldId::Cores).parse().unwrap_or(1);
        // A network alias stands for its bridge and VLAN; a VLAN typed in the form wins.
        let network = self.choice(FieldId::Network).to_string();
        let alias = self.basis.aliases.get(&network);
        let bridge = alias.map_or(network.clone(), |a| a.bridge.clone());
        let vlan = self
            .text(FieldId::Vlan)
            .parse()
            .ok()
            .or(alias.and_then(|a| a.vlan));
        // "auto": the best of the ranking, with the storage and devices it picked.
        let best = self
            .ranking()
            .and_then(|r| r.first().cloned())
            .filter(|b| b.feasible);
        let node = match &best {
            Some(b) => b.node.clone(),
            None => self.node().to_string(),
        };
        let storage = match (&best, self.choice(FieldId::Storage)) {
            (Some(b), "") => b.storage.clone().unwrap_or_default(),
            (_, chosen) => chosen.to_string(),
        };
        let (pci_pools, usb_pools) = match (&best, self.catalog()) {
            (Some(b), Some(c)) => crate::model::devices::pools_by_bus(&b.devices, &c.devices),
            _ => (Vec::new(), Vec::new()),
        };
        let memory_mib =
            validate::memory_mib(&self.text(FieldId::Memory)).map_err(|e| (FieldId::Memory, e))?;
        let disk_gib =
            validate::disk_gib(&self.text(FieldId::Disk)).map_err(|e| (FieldId::Disk, e))?;
        let tags = self.role().map(|r| r.tags.clone()).unwrap_or_default();
        Ok(match &self.kind {
            FormKind::Vm => Request::CreateVm(Box::new(VmSpec {
                node,
                vmid,
                name: self.text(FieldId::Name),
                cores,
                memory_mib,
                disk_gib,
                storage: storage.clone(),
                bridge: bridge.clone(),
                vlan,
                iso: Some(self.choice(FieldId::Boot).to_string()).filter(|s| !s.is_empty()),
                ciuser: some(FieldId::CiUser),
                sshkey: some(FieldId::SshKey),
                ip: some(FieldId::Ip),
                gateway: some(FieldId::Gateway),
                start: self.toggle(FieldId::Start),
                pci_pools,
                usb_pools,
                tags: tags.clone(),
            })),
            FormKind::Ct => Request::CreateCt(Box::new(CtSpec {
                node,
                vmid,
                hostname: self.text(FieldId::Name),
                template: self.choice(FieldId::Template).into(),
                cores,
                memory_mib,
                disk_gib,
                storage: storage.clone(),
                bridge: bridge.clone(),
                vlan,
                password: some(FieldId::Password).map(crate::pve::Secret::new),
                sshkey: some(FieldId::SshKey),
                ip: some(FieldId::Ip),
                gateway: some(FieldId::Gateway),
                unprivileged: self.toggle(FieldId::Unprivileged),
                start: self.toggle(FieldId::Start),
                tags: tags.clone(),
            })),
            FormKind::Clone { source, .. } => Request::Clone(Box::new(CloneSpec {
                source: source.clone(),
                newid: vmid,
                name: self.text(FieldId::Name),
                target: Some(node).filter(|n| *n != source.node),
                full: self.toggle(FieldId::Full),
                storage: Some(self.choice(FieldId::Storage).to_string())
                    .filter(|s| !s.is_empty() && self.toggle(FieldId::Full)),
            })),
            FormKind::Restore { source, .. } => Request::Restore(Box::new(RestoreSpec {
                source: source.clone(),
                archive: self.choice(FieldId::Archive).to_string(),
                node: self.node().to_string(),
                vmid,
                name: self.text(FieldId::Name),
                storage: Some(self.choice(FieldId::Storage).to_string()).filter(|s| !s.is_empty()),
                unique: self.toggle(FieldId::Unique),
                start: self.toggle(FieldId::Start),
            })),
        })
    }

    fn step_choice(&mut self, field: FieldId, delta: isize) {
        if field == FieldId::Kind {
            let kind = match self.kind {
                FormKind::Vm => FormKind::Ct,
                FormKind::Ct => FormKind::Vm,
                FormKind::Clone { .. } | FormKind::Restore { .. } => return,
            };
            self.kind = kind;
            self.set_defaults_keeping_typed();
            return;
        }
        let options = self.options(field);
        if options.is_empty() {
            return;
        }
        let at = options
            .iter()
            .position(|o| o.value == self.choice(field))
            .map(|i| i as isize)
            .unwrap_or(if delta > 0 { -1 } else { 0 });
        let next = (at + delta).rem_euclid(options.len() as isize) as usize;
        if let Some(o) = options.get(next) {
            self.choices.insert(field, o.value.clone());
            match field {
                FieldId::Type => self.apply_type(&o.value),
                FieldId::Role => self.apply_role(&o.value),
                _ => {}
            }
        }
    }

    /// Take an instance type's sizes and devices.
    fn apply_type(&mut self, name: &str) {
        let Some(t) = self.basis.placement.kind(name).cloned() else {
            return;
        };
        self.choices.insert(FieldId::Type, t.name.clone());
        self.texts
            .insert(FieldId::Cores, area(&t.cores.to_string()));
        self.texts
            .insert(FieldId::Memory, area(&format!("{}M", t.memory_mib)));
        self.texts
            .insert(FieldId::Disk, area(&format!("{}G", t.disk_gib)));
        self.texts
            .insert(FieldId::Devices, area(&t.devices.join(", ")));
    }

    /// Take a role: its type, devices, network and cloud-init user; its tags go on the guest.
    fn apply_role(&mut self, name: &str) {
        let Some(r) = self.basis.placement.role(name).cloned() else {
            return;
        };
        self.apply_type(&r.kind);
        if !r.devices.is_empty() {
            self.texts
                .insert(FieldId::Devices, area(&r.devices.join(", ")));
        }
        if let Some(net) = &r.network
            && self
                .options(FieldId::Network)
                .iter()
                .any(|o| &o.value == net)
        {
            self.choices.insert(FieldId::Network, net.clone());
        }
        if let Some(user) = &r.ciuser {
            self.texts.insert(FieldId::CiUser, area(user));
        }
    }

    /// The chosen role, if any.
    pub fn role(&self) -> Option<&crate::config::placement::Role> {
        self.basis.placement.role(self.choice(FieldId::Role))
    }

    /// Start from the config's first role and its type (VMs), once the basis is known.
    pub fn start_from_role(&mut self) {
        self.take_first_role();
        self.rerank();
    }

    fn take_first_role(&mut self) {
        if self.kind != FormKind::Vm {
            self.choices.insert(FieldId::Type, CUSTOM.into());
            if let Some(r) = self.basis.placement.roles.first() {
                self.choices.insert(FieldId::Role, r.name.clone());
            }
            return;
        }
        match self.basis.placement.roles.first().map(|r| r.name.clone()) {
            Some(name) => {
                self.choices.insert(FieldId::Role, name.clone());
                self.apply_role(&name);
            }
            None => {
                self.choices.insert(FieldId::Type, CUSTOM.into());
            }
        }
    }

    /// Switching between VM and container: sizes go back to the kind's defaults unless typed.
    fn set_defaults_keeping_typed(&mut self) {
        let keep: BTreeMap<FieldId, String> = [FieldId::Name, FieldId::Vmid]
            .into_iter()
            .map(|f| (f, self.text(f)))
            .collect();
        self.set_defaults();
        for (f, text) in keep {
            self.texts.insert(f, area(&text));
        }
        // A VM takes its role's type again; a container starts from its own sizes.
        match self.kind {
            FormKind::Vm => {
                let role = self.choice(FieldId::Role).to_string();
                self.apply_role(&role);
            }
            _ => {
                self.choices.insert(FieldId::Type, CUSTOM.into());
                self.texts.insert(FieldId::Devices, area(""));
            }
        }
        self.choices.remove(&FieldId::Storage);
        self.fill_choices();
    }

    /// Pasted text goes into the focused text field.
    pub fn paste(&mut self, text: &str) {
        let field = self.focused();
        if matches!(field.input(), Input::Text | Input::Secret) {
            if field == FieldId::Vmid {
                self.vmid_typed = true;
            }
            self.texts
                .entry(field)
                .or_insert_with(|| area(""))
                .insert_str(text.trim());
            self.edited = true;
        }
        self.rerank();
    }

    /// A key for the form. `Some(request)` when the user submitted a valid form; an `Err` says
    /// why a submit was refused (the focus moves to the field).
    pub fn key(&mut self, key: KeyEvent) -> Option<Result<Request, String>> {
        let out = self.apply_key(key);
        self.rerank();
        out
    }

    fn apply_key(&mut self, key: KeyEvent) -> Option<Result<Request, String>> {
        let fields = self.fields();
        let field = self.focused();
        match key.code {
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1) % fields.len().max(1),
            KeyCode::BackTab | KeyCode::Up => {
                self.focus = (self.focus + fields.len().max(1) - 1) % fields.len().max(1)
            }
            KeyCode::Enter => {
                return Some(self.request().map_err(|(f, why)| {
                    if let Some(i) = fields.iter().position(|x| *x == f) {
                        self.focus = i;
                    }
                    format!("{}: {why}", f.label(&self.kind))
                }));
            }
            KeyCode::Left | KeyCode::Right if field.input() == Input::Choice => {
                let delta = if key.code == KeyCode::Left { -1 } else { 1 };
                self.step_choice(field, delta);
                self.edited = true;
                if field == FieldId::Node {
                    self.fill_choices();
                }
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                if field.input() == Input::Toggle =>
            {
                let linked_allowed = matches!(self.kind, FormKind::Clone { template: true, .. });
                if field != FieldId::Full || linked_allowed {
                    let v = self.toggle(field);
                    self.toggles.insert(field, !v);
                    self.edited = true;
                }
            }
            _ if matches!(field.input(), Input::Text | Input::Secret) => {
                if field == FieldId::Vmid {
                    self.vmid_typed = true;
                }
                if matches!(
                    field,
                    FieldId::Cores | FieldId::Memory | FieldId::Disk | FieldId::Devices
                ) {
                    self.choices.insert(FieldId::Type, CUSTOM.into());
                }
                let area = self.texts.entry(field).or_insert_with(|| area(""));
                self.edited |= super::line_edit::edit(area, key);
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::catalog::{NodeCatalog, StorageInfo};
    use crossterm::event::KeyModifiers;

    fn catalog() -> Catalog {
        let mut c = Catalog {
            next_id: Some(105),
            ..Default::default()
        };
        let storage = |name: &str, content: &[&str], free: u64| StorageInfo {
            name: name.into(),
            content: content.iter().map(|s| s.to_string()).collect(),
            shared: false,
            free: Some(free),
            total: Some(free * 2),
            active: true,
        };
        c.nodes.insert(
            "pve1".into(),
            NodeCatalog {
                online: true,
                cores: Some(8),
                memory: Some(32 << 30),
                bridges: vec!["vmbr0".into()],
                storages: vec![
                    storage("local", &["iso", "vztmpl"], 50 << 30),
                    storage("local-zfs", &["images", "rootdir"], 100 << 30),
                ],
                isos: vec!["local:iso/debian-13.iso".into()],
                templates: vec!["local:vztmpl/debian-13.tar.zst".into()],
            },
        );
        c.nodes.insert(
            "pve2".into(),
            NodeCatalog {
                online: true,
                cores: Some(4),
                memory: Some(16 << 30),
                bridges: vec!["vmbr1".into()],
                storages: vec![storage("tank", &["images"], 10 << 30)],
                ..Default::default()
            },
        );
        c
    }

    fn form(kind: FormKind) -> CreateForm {
        let nodes = vec![
            NodeOption {
                name: "pve1".into(),
                online: true,
            },
            NodeOption {
                name: "pve2".into(),
                online: true,
            },
        ];
        let taken = [(100, "web01".to_string())].into();
        let mut f = CreateForm::new(0, kind, nodes, Some("pve1".into()), taken);
        f.set_catalog(Ok(catalog()));
        f
    }

    fn press(f: &mut CreateForm, code: KeyCode) -> Option<Result<Request, String>> {
        f.key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn type_into(f: &mut CreateForm, field: FieldId, text: &str) {
        f.focus = f.fields().iter().position(|x| *x == field).unwrap();
        // Clear what is there.
        for _ in 0..40 {
            press(f, KeyCode::Backspace);
            press(f, KeyCode::Delete);
        }
        for c in text.chars() {
            press(f, KeyCode::Char(c));
        }
    }

    #[test]
    fn a_vm_form_says_why_as_the_user_types() {
        let mut f = form(FormKind::Vm);
        assert_eq!(f.text(FieldId::Vmid), "105", "the next free VMID");
        assert_eq!(f.choice(FieldId::Storage), "local-zfs");
        assert_eq!(f.choice(FieldId::Network), "vmbr0");
        assert_eq!(
            f.problem(FieldId::Name).as_deref(),
            Some("a name is needed")
        );
        type_into(&mut f, FieldId::Name, "web_02");
        assert!(
            f.problem(FieldId::Name)
                .unwrap()
                .contains("'_' is not allowed")
        );
        type_into(&mut f, FieldId::Name, "web02");
        assert_eq!(f.problem(FieldId::Name), None);
        type_into(&mut f, FieldId::Vmid, "100");
        assert_eq!(
            f.problem(FieldId::Vmid).as_deref(),
            Some("VMID 100 is taken by web01")
        );
        type_into(&mut f, FieldId::Vmid, "42");
        assert!(f.problem(FieldId::Vmid).unwrap().contains("outside"));
        type_into(&mut f, FieldId::Vmid, "120");
        type_into(&mut f, FieldId::Memory, "4 GiB");
        assert_eq!(f.problem(FieldId::Memory), None);
        type_into(&mut f, FieldId::Memory, "64G");
        assert_eq!(
            f.problem(FieldId::Memory).as_deref(),
            Some("pve1 has 32.0 GiB in all")
        );
        type_into(&mut f, FieldId::Memory, "4096M");
        type_into(&mut f, FieldId::Disk, "500G");
        assert_eq!(
            f.problem(FieldId::Disk).as_deref(),
            Some("local-zfs has 100 GiB free")
        );
        type_into(&mut f, FieldId::Disk, "20G");
        type_into(&mut f, FieldId::Gateway, "10.0.0.1");
        assert_eq!(
            f.problem(FieldId::Gateway).as_deref(),
            Some("only with a static IP")
        );
        type_into(&mut f, FieldId::Ip, "10.0.0.5/24");
        assert_eq!(f.problems(), vec![]);

        // Moving to a node without that storage or bridge says so, and refuses the submit.
        f.focus = f.fields().iter().position(|x| *x == FieldId::Node).unwrap();
        press(&mut f, KeyCode::Right);
        assert_eq!(f.choice(FieldId::Node), "pve2");
        let problems = f.problems();
        assert!(
            problems.contains(&(
                FieldId::Storage,
                "\"local-zfs\" is not on pve2 or holds no disk images".into()
            )),
            "{problems:?}"
        );
        assert!(problems.contains(&(FieldId::Network, "\"vmbr0\" is not on pve2".into())));
        let refused = press(&mut f, KeyCode::Enter).unwrap().unwrap_err();
        assert!(refused.starts_with("storage:"), "{refused}");
        assert_eq!(f.focused(), FieldId::Storage);
        press(&mut f, KeyCode::Right);
        f.focus = f
            .fields()
            .iter()
            .position(|x| *x == FieldId::Network)
            .unwrap();
        press(&mut f, KeyCode::Right);
        type_into(&mut f, FieldId::Memory, "2G");
        type_into(&mut f, FieldId::Disk, "8G");
        let Some(Ok(Request::CreateVm(spec))) = press(&mut f, KeyCode::Enter) else {
            panic!("the form is valid: {:?}", f.problems());
        };
        assert_eq!(
            (
                spec.node.as_str(),
                spec.vmid,
                spec.memory_mib,
                spec.disk_gib
            ),
            ("pve2", 120, 2048, 8)
        );
        assert_eq!(
            (spec.storage.as_str(), spec.bridge.as_str()),
            ("tank", "vmbr1")
        );
        assert_eq!(spec.ip.as_deref(), Some("10.0.0.5/24"));
    }

    #[test]
    fn a_role_brings_its_type_and_tags_and_typing_a_size_makes_it_custom() {
        let mut f = form(FormKind::Vm);
        f.start_from_role();
        assert_eq!(
            (f.choice(FieldId::Role), f.choice(FieldId::Type)),
            ("none", "small")
        );
        assert_eq!(f.text(FieldId::Memory), "4096M");
        f.focus = f.fields().iter().position(|x| *x == FieldId::Role).unwrap();
        press(&mut f, KeyCode::Right);
        assert_eq!(f.choice(FieldId::Role), "k8s-node");
        assert_eq!(f.choice(FieldId::Type), "large");
        assert_eq!(
            (f.text(FieldId::Cores), f.text(FieldId::Memory)),
            ("8".into(), "16384M".into())
        );
        type_into(&mut f, FieldId::Name, "k8s-04");
        type_into(&mut f, FieldId::Cores, "6");
        assert_eq!(f.choice(FieldId::Type), CUSTOM);
        let Some(Ok(Request::CreateVm(spec))) = press(&mut f, KeyCode::Enter) else {
            panic!("valid: {:?}", f.problems());
        };
        assert_eq!((spec.cores, spec.memory_mib), (6, 16384));
        assert_eq!(spec.tags, ["k8s"]);
    }

    #[test]
    fn a_network_alias_is_offered_by_name_and_sent_as_bridge_and_vlan() {
        let mut f = form(FormKind::Vm);
        f.basis.aliases.insert(
            "iot".into(),
            crate::config::NetworkAlias::parse("vmbr0:28").unwrap(),
        );
        let options = f.options(FieldId::Network);
        assert_eq!(options[0].value, "iot");
        assert_eq!(options[0].note, "vmbr0 VLAN 28");
        f.choices.insert(FieldId::Network, "iot".into());
        type_into(&mut f, FieldId::Name, "cam-01");
        let Some(Ok(Request::CreateVm(spec))) = press(&mut f, KeyCode::Enter) else {
            panic!("valid: {:?}", f.problems());
        };
        assert_eq!((spec.bridge.as_str(), spec.vlan), ("vmbr0", Some(28)));
    }

    #[test]
    fn a_container_needs_a_template_and_a_password_or_key() {
        let mut f = form(FormKind::Vm);
        f.focus = 0;
        press(&mut f, KeyCode::Right);
        assert_eq!(f.kind, FormKind::Ct);
        assert_eq!(f.text(FieldId::Memory), "512M");
        type_into(&mut f, FieldId::Name, "dns01");
        assert_eq!(
            f.problem(FieldId::Password).as_deref(),
            Some("give a root password or an SSH key")
        );
        type_into(&mut f, FieldId::Password, "abc");
        assert_eq!(
            f.problem(FieldId::Password).as_deref(),
            Some("at least 5 characters")
        );
        type_into(&mut f, FieldId::Password, "s3cret-pass");
        assert_eq!(f.problems(), vec![]);
        let Some(Ok(Request::CreateCt(spec))) = press(&mut f, KeyCode::Enter) else {
            panic!("valid");
        };
        assert_eq!(spec.template, "local:vztmpl/debian-13.tar.zst");
        assert!(spec.unprivileged);
        assert_eq!(spec.ip.as_deref(), Some("dhcp"));
        assert_eq!(
            spec.password.as_ref().map(|p| p.expose().to_string()),
            Some("s3cret-pass".into())
        );
    }

    #[test]
    fn a_linked_clone_only_of_a_template() {
        let source = GuestRef {
            node: "pve1".into(),
            kind: crate::model::GuestKind::Qemu,
            vmid: 100,
            name: "web01".into(),
        };
        let mut f = form(FormKind::Clone {
            source: source.clone(),
            template: false,
        });
        assert_eq!(f.text(FieldId::Name), "web01-clone");
        assert!(f.toggle(FieldId::Full));
        f.focus = f.fields().iter().position(|x| *x == FieldId::Full).unwrap();
        press(&mut f, KeyCode::Char(' '));
        assert!(f.toggle(FieldId::Full), "not a template: a full copy");
        let Some(Ok(Request::Clone(spec))) = press(&mut f, KeyCode::Enter) else {
            panic!("valid: {:?}", f.problems());
        };
        assert_eq!((spec.newid, spec.target.as_deref()), (105, None));
        assert!(spec.full);
        assert_eq!(spec.storage, None, "same as the source");
    }

    #[test]
    fn a_restore_needs_a_node_that_reaches_the_archive() {
        let mut c = catalog();
        if let Some(n) = c.nodes.get_mut("pve1") {
            n.storages.push(StorageInfo {
                name: "nas".into(),
                content: ["backup".to_string()].into(),
                shared: true,
                free: Some(1 << 40),
                total: Some(2 << 40),
                active: true,
            });
        }
        let source = GuestRef {
            node: "pve1".into(),
            kind: crate::model::GuestKind::Qemu,
            vmid: 100,
            name: "web01".into(),
        };
        let backups = vec![
            Choice::new(
                "nas:backup/vzdump-qemu-100-new.vma.zst",
                "2026-11-21 02:00 · 1h ago",
            ),
            Choice::new(
                "nas:backup/vzdump-qemu-100-old.vma.zst",
                "2026-11-14 02:00 · 7d ago",
            ),
        ];
        let mut f = form(FormKind::Restore {
            source,
            backups,
            gone: false,
        });
        f.set_catalog(Ok(c));
        assert_eq!(
            f.choice(FieldId::Archive),
            "nas:backup/vzdump-qemu-100-new.vma.zst"
        );
        assert_eq!(f.text(FieldId::Name), "web01-restored");
        assert!(f.toggle(FieldId::Unique), "new MACs by default");
        // The original's VMID is taken; the next free one was filled in.
        assert_eq!(f.text(FieldId::Vmid), "105");
        type_into(&mut f, FieldId::Vmid, "100");
        assert_eq!(
            f.problem(FieldId::Vmid).as_deref(),
            Some("VMID 100 is taken by web01")
        );
        type_into(&mut f, FieldId::Vmid, "105");
        // pve2 has no view of the NAS.
        f.focus = f.fields().iter().position(|x| *x == FieldId::Node).unwrap();
        press(&mut f, KeyCode::Right);
        assert_eq!(f.choice(FieldId::Node), "pve2");
        assert_eq!(
            f.problem(FieldId::Node).as_deref(),
            Some("nas (where the backup is) is not on pve2")
        );
        press(&mut f, KeyCode::Left);
        f.focus = 0;
        press(&mut f, KeyCode::Right);
        let Some(Ok(Request::Restore(spec))) = press(&mut f, KeyCode::Enter) else {
            panic!("no request: {:?}", f.problems())
        };
        assert_eq!(spec.archive, "nas:backup/vzdump-qemu-100-old.vma.zst");
        assert_eq!((spec.node.as_str(), spec.vmid), ("pve1", 105));
        assert_eq!(spec.storage, None, "where the backup's disks were");
        assert!(spec.unique && !spec.start);
    }
}
