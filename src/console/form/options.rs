//! The choices each field offers, from the catalog, the basis and what is chosen.

use super::*;
use crate::actions::catalog::{Network, StorageInfo};

impl CreateForm {
    /// The nodes whose storages, networks and images a choice offers: the chosen one, or with
    /// "auto" every online node.
    pub(super) fn nodes_for_options(&self) -> Vec<String> {
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
                    let all: Vec<&StorageInfo> = nodes
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
                    let all: Vec<Network> = nodes
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
}
