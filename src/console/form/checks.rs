//! What is wrong with each field, in words, and the request a valid form makes.

use super::*;
use crate::actions::CreateDraft;
use crate::model::devices;
use crate::pve::Secret;

impl CreateForm {
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
            FieldId::Vmid if text.is_empty() && self.catalog().is_some() => {
                Some("the next free VMID could not be read: type one".into())
            }
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
                Some(_) => self.archive_problem().or_else(|| self.device_problem()),
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
    pub(super) fn archive_problem(&self) -> Option<String> {
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

    /// A VM restore to a node where a mapping its backup names has no device (it could never
    /// start there), or, to start after, where every one is in use or who holds them is unknown.
    pub(super) fn device_problem(&self) -> Option<String> {
        let entries = self.archive_devices().filter(|e| !e.is_empty())?;
        let catalog = self.catalog()?;
        let start = self.toggle(FieldId::Start);
        if start && !catalog.devices.unknown_holders.is_empty() {
            return Some(format!(
                "cannot tell whether its devices are free: {}",
                catalog.devices.unknown_holders.join("; ")
            ));
        }
        let view = self.device_view()?;
        let vmid = validate::vmid(&self.text(FieldId::Vmid)).unwrap_or(0);
        devices::start_check(&view, vmid, self.node(), entries)
            .filter(|b| start || !b.in_use)
            .map(|b| b.why)
    }

    pub(super) fn choice_problem(&self, field: FieldId) -> Option<String> {
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

    pub(super) fn content_words(&self) -> &'static str {
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
            (Some(b), Some(c)) => devices::pools_by_bus(&b.devices, &c.devices),
            _ => (Vec::new(), Vec::new()),
        };
        let memory_mib =
            validate::memory_mib(&self.text(FieldId::Memory)).map_err(|e| (FieldId::Memory, e))?;
        let disk_gib =
            validate::disk_gib(&self.text(FieldId::Disk)).map_err(|e| (FieldId::Disk, e))?;
        let draft = |ct: bool| CreateDraft {
            ct,
            node: node.clone(),
            vmid,
            name: self.text(FieldId::Name),
            cores,
            memory_mib,
            disk_gib,
            storage: storage.clone(),
            network: self.choice(FieldId::Network).to_string(),
            vlan: self.text(FieldId::Vlan).parse().ok(),
            iso: Some(self.choice(FieldId::Boot).to_string()).filter(|s| !s.is_empty()),
            template: ct.then(|| self.choice(FieldId::Template).to_string()),
            ciuser: some(FieldId::CiUser),
            sshkey: some(FieldId::SshKey),
            ip: some(FieldId::Ip),
            gateway: some(FieldId::Gateway),
            password: some(FieldId::Password).map(Secret::new),
            unprivileged: self.toggle(FieldId::Unprivileged),
            start: self.toggle(FieldId::Start),
            pci_pools: pci_pools.clone(),
            usb_pools: usb_pools.clone(),
            tags: self.role().map(|r| r.tags.clone()).unwrap_or_default(),
        };
        let created = |ct: bool| {
            draft(ct)
                .request(&self.basis.aliases)
                .map_err(|e| (FieldId::Template, e))
        };
        Ok(match &self.kind {
            FormKind::Vm => created(false)?,
            FormKind::Ct => created(true)?,
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
}
