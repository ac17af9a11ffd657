//! A new guest as asked for — by the create form or by `rack create` — and the one way it becomes
//! a request: a network alias of the config stands for its bridge and VLAN (a VLAN asked for
//! wins), and the spec of its kind is built. Each side checks its own input first; what is
//! left here is what both would otherwise write twice.

use std::collections::BTreeMap;

use crate::model::network_alias::NetworkAlias;
use crate::model::placement::Reservations;
use crate::pve::Secret;

use super::request::{CtSpec, Request, VmSpec};

/// A VM or a container to create, with every choice made.
#[derive(Debug, Clone, Default)]
pub struct CreateDraft {
    /// A container rather than a VM.
    pub ct: bool,
    pub node: String,
    pub vmid: u32,
    /// The VM's name or the container's hostname.
    pub name: String,
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
    pub storage: String,
    /// A bridge or vnet, or a network alias of the cluster's config.
    pub network: String,
    /// A VLAN tag asked for, over the alias's.
    pub vlan: Option<u16>,
    /// VMs: an ISO to boot the installer from.
    pub iso: Option<String>,
    /// Containers: the vztmpl volume.
    pub template: Option<String>,
    pub ciuser: Option<String>,
    pub sshkey: Option<String>,
    pub ip: Option<String>,
    pub gateway: Option<String>,
    /// Containers: root's password.
    pub password: Option<Secret>,
    pub unprivileged: bool,
    pub start: bool,
    /// VMs: resource mappings to attach, by bus.
    pub pci_pools: Vec<String>,
    pub usb_pools: Vec<String>,
    pub tags: Vec<String>,
}

impl CreateDraft {
    /// The request, with `aliases` (the cluster's network names) resolved; a container without
    /// a template cannot be made.
    pub fn request(self, aliases: &BTreeMap<String, NetworkAlias>) -> Result<Request, String> {
        let alias = aliases.get(&self.network);
        let vlan = self.vlan.or(alias.and_then(|a| a.vlan));
        let bridge = alias.map_or(self.network.clone(), |a| a.bridge.clone());
        if self.ct {
            let template = self
                .template
                .filter(|t| !t.is_empty())
                .ok_or("a container needs a template (STORAGE:vztmpl/FILE)")?;
            return Ok(Request::CreateCt(Box::new(CtSpec {
                node: self.node,
                vmid: self.vmid,
                hostname: self.name,
                template,
                cores: self.cores,
                memory_mib: self.memory_mib,
                disk_gib: self.disk_gib,
                storage: self.storage,
                bridge,
                vlan,
                password: self.password,
                sshkey: self.sshkey,
                ip: self.ip,
                gateway: self.gateway,
                unprivileged: self.unprivileged,
                start: self.start,
                tags: self.tags,
            })));
        }
        Ok(Request::CreateVm(Box::new(VmSpec {
            node: self.node,
            vmid: self.vmid,
            name: self.name,
            cores: self.cores,
            memory_mib: self.memory_mib,
            disk_gib: self.disk_gib,
            storage: self.storage,
            bridge,
            vlan,
            iso: self.iso,
            ciuser: self.ciuser,
            sshkey: self.sshkey,
            ip: self.ip,
            gateway: self.gateway,
            start: self.start,
            pci_pools: self.pci_pools,
            usb_pools: self.usb_pools,
            tags: self.tags,
        })))
    }
}

/// The devices that `requests` (creates not yet finished, of the console's queue or of any
/// rack's journal) will take: each pool of a VM create on its node, and who takes it.
pub fn reservations<'a>(requests: impl IntoIterator<Item = &'a Request>) -> Reservations {
    let mut out = Vec::new();
    for request in requests {
        if let Request::CreateVm(spec) = request {
            for pool in spec.pci_pools.iter().chain(&spec.usb_pools) {
                out.push((
                    spec.node.clone(),
                    pool.clone(),
                    format!("VM {} ({})", spec.vmid, spec.name),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aliases() -> BTreeMap<String, NetworkAlias> {
        [("iot", "vmbr0:28"), ("lan", "vmbr0")]
            .into_iter()
            .filter_map(|(n, v)| Some((n.to_string(), NetworkAlias::parse(v).ok()?)))
            .collect()
    }

    #[test]
    fn an_alias_is_its_bridge_and_vlan_and_a_vlan_asked_for_wins() {
        let draft = CreateDraft {
            network: "iot".into(),
            ..CreateDraft::default()
        };
        let Ok(Request::CreateVm(vm)) = draft.clone().request(&aliases()) else {
            panic!("a VM")
        };
        assert_eq!((vm.bridge.as_str(), vm.vlan), ("vmbr0", Some(28)));
        let asked = CreateDraft {
            vlan: Some(40),
            ..draft
        };
        let Ok(Request::CreateVm(vm)) = asked.request(&aliases()) else {
            panic!("a VM")
        };
        assert_eq!((vm.bridge.as_str(), vm.vlan), ("vmbr0", Some(40)));
    }

    #[test]
    fn a_bridge_that_is_no_alias_is_taken_as_it_is() {
        let draft = CreateDraft {
            ct: true,
            network: "vmbr1".into(),
            template: Some("local:vztmpl/debian.tar.zst".into()),
            ..CreateDraft::default()
        };
        let Ok(Request::CreateCt(ct)) = draft.request(&aliases()) else {
            panic!("a container")
        };
        assert_eq!((ct.bridge.as_str(), ct.vlan), ("vmbr1", None));
    }

    #[test]
    fn a_container_without_a_template_is_refused() {
        let draft = CreateDraft {
            ct: true,
            ..CreateDraft::default()
        };
        assert!(draft.request(&aliases()).is_err());
    }
}
