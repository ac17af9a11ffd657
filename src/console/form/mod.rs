//! The create, clone and restore forms: the form's state and defaults here; its fields
//! (`schema`), what each may hold from the catalog read when the form opened (`options`), keys and
//! the role or type that fills the sizes (`editing`), where the guest goes (`placing`), and why a
//! value is not acceptable — worked out again on every key, so the reason shows beside the field
//! as the user types — with the request a valid form stands for (`checks`, through the
//! `CreateDraft` that `rack create` uses too).

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;

use crate::actions::catalog::Catalog;
use crate::actions::{CloneSpec, GuestRef, Request, RestoreSpec};
use crate::config::NetworkAlias;
use crate::config::placement::PlacementConfig;
use crate::model::devices::{self, DeviceOverride, Devices};
use crate::model::placement::{self, Reservations};
use crate::model::text::bytes;
use crate::model::{GuestKind, HostRow, InstanceRow, validate};
use crate::sched::{self, DeviceAsk, Ranked};
pub use schema::{Choice, FieldId, Input, NodeOption};

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

/// `2G` for whole GiB, else `512M`, as a person would type it.
fn memory_text(mib: u64) -> String {
    if mib.is_multiple_of(1024) {
        format!("{}G", mib / 1024)
    } else {
        format!("{mib}M")
    }
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
        let sizes = self.base();
        let ip = match self.kind {
            FormKind::Ct => "dhcp",
            _ => "",
        };
        for (field, text) in [
            (FieldId::Cores, sizes.cores.to_string()),
            (FieldId::Memory, memory_text(sizes.memory_mib)),
            (FieldId::Disk, format!("{}G", sizes.disk_gib)),
            (FieldId::Ip, ip.to_string()),
        ] {
            self.texts.insert(field, area(&text));
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
}

mod checks;
mod editing;
mod options;
mod placing;
mod schema;
#[cfg(test)]
mod tests;
