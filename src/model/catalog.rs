//! What the create, clone and restore forms choose from, as read from a cluster: each node's
//! storages, bridges, ISOs and templates, the SDN vnets, device pools and backup archives' devices.

use std::collections::{BTreeMap, BTreeSet};

use super::devices::DeviceData;

/// A storage as one node sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageInfo {
    pub name: String,
    pub content: BTreeSet<String>,
    pub shared: bool,
    /// Free bytes, when the storage reports them.
    pub free: Option<u64>,
    pub total: Option<u64>,
    pub active: bool,
}

/// An SDN vnet, and where its zone reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vnet {
    pub name: String,
    pub alias: Option<String>,
    pub tag: Option<u16>,
    /// `None` when the zone names no nodes (it spans the cluster).
    pub nodes: Option<BTreeSet<String>>,
}

/// One node's share of the catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeCatalog {
    pub online: bool,
    pub cores: Option<u32>,
    pub memory: Option<u64>,
    pub bridges: Vec<String>,
    pub storages: Vec<StorageInfo>,
    /// Volume ids: `local:iso/debian-13.iso`.
    pub isos: Vec<String>,
    pub templates: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    pub next_id: Option<u32>,
    pub nodes: BTreeMap<String, NodeCatalog>,
    pub vnets: Vec<Vnet>,
    /// Reads that failed, as `what: error`; the form says so rather than offering nothing.
    pub problems: Vec<String>,
    /// Device pools, for placing a guest that asks for devices.
    pub devices: DeviceData,
    /// Backup archives asked for (a restore form's): the mapped devices each one's VM config
    /// names (`hostpci0`, `gpu`), or why it could not be read.
    pub archives: BTreeMap<String, Result<Vec<(String, String)>, String>>,
}

/// A network a guest can attach to on a node: a bridge, or a vnet (named by its vnet id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    pub name: String,
    /// "bridge", or the vnet's alias / "vnet".
    pub note: String,
}

impl Catalog {
    pub fn node(&self, node: &str) -> Option<&NodeCatalog> {
        self.nodes.get(node)
    }

    /// Storages on `node` that hold `content` (`images` for VM disks, `rootdir` for CTs).
    pub fn storages(&self, node: &str, content: &str) -> Vec<&StorageInfo> {
        self.node(node)
            .map(|n| {
                n.storages
                    .iter()
                    .filter(|s| s.content.contains(content))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Bridges of `node`, then the vnets whose zone reaches it.
    pub fn networks(&self, node: &str) -> Vec<Network> {
        let mut out: Vec<Network> = self
            .node(node)
            .map(|n| {
                n.bridges
                    .iter()
                    .map(|b| Network {
                        name: b.clone(),
                        note: "bridge".into(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        for v in &self.vnets {
            if v.nodes.as_ref().is_none_or(|nodes| nodes.contains(node)) {
                let mut note = v.alias.clone().unwrap_or_else(|| "vnet".into());
                if let Some(tag) = v.tag {
                    note.push_str(&format!(", tag {tag}"));
                }
                out.push(Network {
                    name: v.name.clone(),
                    note,
                });
            }
        }
        out
    }

    pub fn isos(&self, node: &str) -> &[String] {
        self.node(node).map(|n| n.isos.as_slice()).unwrap_or(&[])
    }

    pub fn templates(&self, node: &str) -> &[String] {
        self.node(node)
            .map(|n| n.templates.as_slice())
            .unwrap_or(&[])
    }
}
