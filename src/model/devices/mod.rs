//! Device pools: Proxmox's resource mappings with, per node, the device each entry names, whether
//! a running guest holds it and which stopped guests have it configured (claims); and the GPUs and
//! accelerators found on nodes that no mapping covers. Pure: built from what was read.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::Serialize;

use crate::model::partial::{Partial, Previous};
use crate::model::text::clean;
use crate::pve::propstr::PropString;
use crate::pve::types::{Mapping, PciDevice, UsbDevice};
use crate::sched::DeviceClass;

/// What was read for the devices pane and for placement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceData {
    pub pci_mappings: Vec<Mapping>,
    pub usb_mappings: Vec<Mapping>,
    pub pci: BTreeMap<String, Vec<PciDevice>>,
    pub usb: BTreeMap<String, Vec<UsbDevice>>,
    /// Guests with passthrough entries: their `hostpciN` / `usbN` keys and values.
    pub guests: Vec<GuestDevices>,
    /// Parts that could not be read, as `what: error`.
    pub problems: Vec<String>,
    /// The reads that failed among those that tell which devices exist and who holds them
    /// (mappings, a VM's config): until they succeed no device counts as free.
    pub unknown_holders: Vec<String>,
    /// Parts whose read failed (`PCI mappings`, `USB hardware of NODE`, `config of VM 111`):
    /// in the console shown as last read, or unknown.
    pub partial: Partial,
    /// The node of each VM whose config read failed: only devices there may be its.
    pub config_nodes: BTreeMap<u32, String>,
}

/// The part a VM's config (its passthrough entries) is.
pub fn config_part(vmid: u32) -> String {
    format!("config of VM {vmid}")
}

impl DeviceData {
    /// Keep the previous read's mappings, hardware lists and passthrough entries where this
    /// read's failed. `unknown_holders` still names this read's failures: placement and start
    /// do not trust an older read of who holds a device.
    pub fn keep_last_good(&mut self, old: &DeviceData, old_at: SystemTime) {
        let (p, was) = (&mut self.partial, &old.partial);
        p.carry(
            "PCI mappings",
            &mut self.pci_mappings,
            &Previous::of(&old.pci_mappings, was, old_at),
        );
        p.carry(
            "USB mappings",
            &mut self.usb_mappings,
            &Previous::of(&old.usb_mappings, was, old_at),
        );
        carry_lists(p, was, old_at, "PCI", &mut self.pci, &old.pci);
        carry_lists(p, was, old_at, "USB", &mut self.usb, &old.usb);
        // A config read before with no passthrough entry is known to hold nothing: carried as
        // an empty list, it is no longer unknown.
        let failed: Vec<u32> = p
            .iter()
            .filter_map(|s| s.part.strip_prefix("config of VM ")?.parse().ok())
            .collect();
        for vmid in failed {
            let before: Vec<GuestDevices> = old
                .guests
                .iter()
                .filter(|g| g.vmid == vmid)
                .cloned()
                .collect();
            let mut kept = Vec::new();
            p.carry(
                &config_part(vmid),
                &mut kept,
                &Previous::of(&before, was, old_at),
            );
            self.guests.extend(kept);
        }
        self.guests.sort_by_key(|g| g.vmid);
    }

    /// What was never read that tells what a device on `node` is and who holds it: the
    /// mappings of its bus (it may be pooled), the node's hardware list of its bus (it may be
    /// there), and the configs of VMs on the node (one may hold it). Nothing is concluded from
    /// these; the device says it is unknown.
    pub fn unknown_for(&self, bus: Bus, node: &str) -> Unknown {
        let never = |part: &str| self.partial.unknown(part);
        let name = match bus {
            Bus::Pci => "PCI",
            Bus::Usb => "USB",
        };
        let mappings = format!("{name} mappings");
        let hardware = format!("{name} hardware of {node}");
        Unknown {
            mappings: never(&mappings).then_some(mappings),
            hardware: never(&hardware).then_some(hardware),
            holders: self
                .config_nodes
                .iter()
                .filter(|(_, n)| n.as_str() == node)
                .map(|(vmid, _)| config_part(*vmid))
                .filter(|part| never(part))
                .collect(),
        }
    }
}

/// What is unknown about the devices of one bus on one node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Unknown {
    pub mappings: Option<String>,
    pub hardware: Option<String>,
    pub holders: Vec<String>,
}

/// What is unknown per bus and node, for every node the data names.
fn unknown_of(data: &DeviceData) -> BTreeMap<(Bus, String), Unknown> {
    let mut nodes: std::collections::BTreeSet<String> = data
        .pci
        .keys()
        .chain(data.usb.keys())
        .chain(data.config_nodes.values())
        .cloned()
        .collect();
    for s in data.partial.iter() {
        if let Some(n) = s
            .part
            .strip_prefix("PCI hardware of ")
            .or_else(|| s.part.strip_prefix("USB hardware of "))
        {
            nodes.insert(n.to_string());
        }
    }
    let mut out = BTreeMap::new();
    for node in nodes {
        for bus in [Bus::Pci, Bus::Usb] {
            let u = data.unknown_for(bus, &node);
            if u != Unknown::default() {
                out.insert((bus, node.clone()), u);
            }
        }
    }
    out
}

/// Carry each node's hardware list that failed this time.
fn carry_lists<T: Clone>(
    p: &mut Partial,
    was: &Partial,
    old_at: SystemTime,
    bus: &str,
    new: &mut BTreeMap<String, Vec<T>>,
    before: &BTreeMap<String, Vec<T>>,
) {
    for (node, list) in before {
        let part = format!("{bus} hardware of {node}");
        if p.get(&part).is_some() {
            let mut kept = Vec::new();
            p.carry(&part, &mut kept, &Previous::of(list, was, old_at));
            if p.get(&part).is_some_and(|s| s.read_at.is_some()) {
                new.insert(node.clone(), kept);
            }
        }
    }
}
#[derive(Debug, Clone, PartialEq)]
pub struct GuestDevices {
    pub vmid: u32,
    pub name: String,
    pub node: String,
    pub running: bool,
    pub entries: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bus {
    Pci,
    Usb,
}

/// A guest that holds (running) or would take (stopped) a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holder {
    pub vmid: u32,
    pub name: String,
    pub running: bool,
    /// `hostpci0`, `usb1`.
    pub key: String,
}

impl Holder {
    /// "VM 105 (frigate)"
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            format!("VM {}", self.vmid)
        } else {
            format!("VM {} ({})", self.vmid, self.name)
        }
    }
}

/// One entry of a pool: a device on a node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolDevice {
    pub node: String,
    /// PCI path, or USB `vendor:product` (or port path).
    pub path: String,
    /// `vendor:device` as the mapping pins it.
    pub id: String,
    pub subsystem: Option<String>,
    pub iommu_group: Option<u64>,
    /// What the node's hardware calls it; `None` when the node does not list it.
    pub name: Option<String>,
    /// Whether the node's hardware list has it (an offline node lists nothing).
    pub present: bool,
    pub mdev: bool,
    pub holder: Option<Holder>,
}

/// A resource mapping as a pool.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pool {
    pub id: String,
    pub bus: Bus,
    pub class: DeviceClass,
    pub description: String,
    pub mdev: bool,
    pub live_migration: bool,
    pub devices: Vec<PoolDevice>,
    /// Stopped guests configured with this pool: they take a device when they start.
    pub claims: Vec<Holder>,
}

impl Pool {
    pub fn free(&self) -> usize {
        self.devices
            .iter()
            .filter(|d| d.present && d.holder.is_none())
            .count()
    }
}

/// A GPU or accelerator in no mapping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unpooled {
    pub node: String,
    pub bus: Bus,
    pub path: String,
    pub id: String,
    pub class: DeviceClass,
    pub name: String,
    pub mdev: bool,
    pub holder: Option<Holder>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Devices {
    pub pools: Vec<Pool>,
    pub unpooled: Vec<Unpooled>,
    /// Per bus and node, what was never read that would say what its devices are.
    pub unknown: BTreeMap<(Bus, String), Unknown>,
}

/// USB devices known to be accelerators: Coral (before and after its firmware loads), Intel NCS2.
const USB_ACCELERATORS: [&str; 3] = ["1a6e:089a", "18d1:9302", "03e7:2485"];

/// The class of a PCI device from its class code: display (03) is a GPU, processing accelerators
/// (12) are counted as TPUs, the rest is other.
pub fn pci_class(code: &str) -> DeviceClass {
    let hex = code.trim_start_matches("0x").to_ascii_lowercase();
    match hex.get(..2) {
        Some("03") => DeviceClass::Gpu,
        Some("12") => DeviceClass::Tpu,
        _ => DeviceClass::Other,
    }
}

pub fn usb_class(id: &str) -> DeviceClass {
    if USB_ACCELERATORS.contains(&id.to_ascii_lowercase().as_str()) {
        DeviceClass::Tpu
    } else {
        DeviceClass::Usb
    }
}

/// `01:00.0` is `0000:01:00.0`.
fn full_pci(path: &str) -> String {
    if path.matches(':').count() == 1 {
        format!("0000:{path}")
    } else {
        path.to_string()
    }
}

fn hex_id(vendor: &str, device: &str) -> String {
    format!(
        "{}:{}",
        vendor.trim_start_matches("0x").to_ascii_lowercase(),
        device.trim_start_matches("0x").to_ascii_lowercase()
    )
}

fn pci_name(d: &PciDevice) -> String {
    let name = match (&d.vendor_name, &d.device_name) {
        (Some(v), Some(n)) => format!("{v} {n}"),
        (None, Some(n)) => n.clone(),
        _ => hex_id(&d.vendor, &d.device),
    };
    clean(&name)
}

fn usb_name(d: &UsbDevice) -> String {
    let name = match (&d.manufacturer, &d.product) {
        (Some(m), Some(p)) => format!("{m} {p}"),
        (None, Some(p)) => p.clone(),
        _ => d.id(),
    };
    clean(&name)
}

/// A passthrough entry of a guest config: the pool it names, or the raw host device.
enum Wants {
    Pool(String),
    Raw(String),
}

fn wants(bus: Bus, value: &str) -> Option<Wants> {
    let p = PropString::parse(value, "host");
    if let Some(m) = p.get("mapping") {
        return Some(Wants::Pool(clean(m)));
    }
    let host = p.get("host")?;
    Some(Wants::Raw(match bus {
        Bus::Pci => full_pci(host),
        Bus::Usb => host.to_ascii_lowercase(),
    }))
}

/// Pools and unpooled devices from what was read.
pub fn devices(data: &DeviceData) -> Devices {
    let mut pools = Vec::new();
    for (bus, list) in [
        (Bus::Pci, &data.pci_mappings),
        (Bus::Usb, &data.usb_mappings),
    ] {
        for m in list {
            pools.push(pool(bus, m, data));
        }
    }
    // Holders and claims, from guest configs.
    for g in &data.guests {
        for (key, value) in &g.entries {
            let bus = if key.starts_with("hostpci") {
                Bus::Pci
            } else {
                Bus::Usb
            };
            let holder = Holder {
                vmid: g.vmid,
                name: clean(&g.name),
                running: g.running,
                key: key.clone(),
            };
            match wants(bus, value) {
                Some(Wants::Pool(id)) => {
                    let Some(p) = pools.iter_mut().find(|p| p.id == id && p.bus == bus) else {
                        continue;
                    };
                    if g.running {
                        if let Some(d) = p
                            .devices
                            .iter_mut()
                            .find(|d| d.node == g.node && d.holder.is_none())
                        {
                            d.holder = Some(holder);
                        }
                    } else {
                        p.claims.push(holder);
                    }
                }
                Some(Wants::Raw(path)) if g.running => {
                    for p in pools.iter_mut().filter(|p| p.bus == bus) {
                        for d in p.devices.iter_mut() {
                            let same = d.path == path || (bus == Bus::Usb && d.id == path);
                            if d.node == g.node && same && d.holder.is_none() {
                                d.holder = Some(holder.clone());
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let unpooled = unpooled(data, &pools);
    pools.sort_by(|a, b| a.id.cmp(&b.id));
    Devices {
        pools,
        unpooled,
        unknown: unknown_of(data),
    }
}

fn pool(bus: Bus, m: &Mapping, data: &DeviceData) -> Pool {
    let mut devices = Vec::new();
    for entry in &m.map {
        let p = PropString::parse(entry, "node");
        let node = clean(p.get("node").unwrap_or_default());
        let id = p.get("id").unwrap_or_default().to_ascii_lowercase();
        let mut hw_iommu = None;
        let (path, hw_name, present, hw_mdev) = match bus {
            Bus::Pci => {
                let path = full_pci(p.get("path").unwrap_or_default());
                let hw = data
                    .pci
                    .get(&node)
                    .and_then(|list| list.iter().find(|d| d.id == path));
                hw_iommu = hw.and_then(|d| d.iommugroup);
                (
                    path,
                    hw.map(pci_name),
                    hw.is_some(),
                    hw.and_then(|d| d.mdev).unwrap_or(false),
                )
            }
            Bus::Usb => {
                let path = p
                    .get("path")
                    .map(str::to_string)
                    .unwrap_or_else(|| id.clone());
                let hw = data.usb.get(&node).and_then(|list| {
                    list.iter()
                        .find(|d| d.id() == id || d.usbpath.as_deref() == p.get("path"))
                });
                (path, hw.map(usb_name), hw.is_some(), false)
            }
        };
        devices.push(PoolDevice {
            node,
            path: clean(&path),
            id: clean(&id),
            subsystem: p.get("subsystem-id").map(clean),
            iommu_group: p
                .get("iommugroup")
                .and_then(|g| g.parse().ok())
                .or(hw_iommu),
            name: hw_name,
            present,
            mdev: hw_mdev,
            holder: None,
        });
    }
    // The class is the hardware's, where a node lists it.
    let class = match bus {
        Bus::Pci => m
            .map
            .iter()
            .filter_map(|e| {
                let p = PropString::parse(e, "node");
                let node = p.get("node")?;
                let path = full_pci(p.get("path")?);
                data.pci
                    .get(node)?
                    .iter()
                    .find(|d| d.id == path)
                    .map(|d| pci_class(&d.class))
            })
            .next()
            .unwrap_or(DeviceClass::Other),
        Bus::Usb => devices
            .first()
            .map(|d| usb_class(&d.id))
            .unwrap_or(DeviceClass::Usb),
    };
    devices.sort_by(|a, b| (&a.node, &a.path).cmp(&(&b.node, &b.path)));
    Pool {
        id: clean(&m.id),
        bus,
        class,
        description: clean(m.description.as_deref().unwrap_or_default()),
        mdev: m.mdev == Some(true),
        live_migration: m.live_migration_capable == Some(true),
        devices,
        claims: Vec::new(),
    }
}

fn unpooled(data: &DeviceData, pools: &[Pool]) -> Vec<Unpooled> {
    let pooled = |bus: Bus, node: &str, path: &str, id: &str| {
        pools.iter().filter(|p| p.bus == bus).any(|p| {
            p.devices
                .iter()
                .any(|d| d.node == node && (d.path == path || (bus == Bus::Usb && d.id == id)))
        })
    };
    let holder_of = |bus: Bus, node: &str, path: &str| {
        data.guests
            .iter()
            .filter(|g| g.running && g.node == node)
            .find_map(|g| {
                g.entries.iter().find_map(|(key, value)| {
                    let right_bus = key.starts_with("hostpci") == (bus == Bus::Pci);
                    match wants(bus, value) {
                        Some(Wants::Raw(p)) if right_bus && p == path => Some(Holder {
                            vmid: g.vmid,
                            name: clean(&g.name),
                            running: true,
                            key: key.clone(),
                        }),
                        _ => None,
                    }
                })
            })
    };
    let mut out = Vec::new();
    for (node, list) in &data.pci {
        for d in list {
            let class = pci_class(&d.class);
            // Functions of a GPU (audio at .1) are not listed apart.
            if class == DeviceClass::Other || !d.id.ends_with(".0") {
                continue;
            }
            if pooled(Bus::Pci, node, &d.id, "") {
                continue;
            }
            out.push(Unpooled {
                node: clean(node),
                bus: Bus::Pci,
                path: clean(&d.id),
                id: hex_id(&d.vendor, &d.device),
                class,
                name: pci_name(d),
                mdev: d.mdev == Some(true),
                holder: holder_of(Bus::Pci, node, &d.id),
            });
        }
    }
    for (node, list) in &data.usb {
        for d in list {
            let id = d.id();
            if usb_class(&id) != DeviceClass::Tpu || pooled(Bus::Usb, node, "", &id) {
                continue;
            }
            out.push(Unpooled {
                node: clean(node),
                bus: Bus::Usb,
                path: clean(d.usbpath.as_deref().unwrap_or(&id)),
                id: clean(&id),
                class: DeviceClass::Tpu,
                name: usb_name(d),
                mdev: false,
                holder: holder_of(Bus::Usb, node, &id),
            });
        }
    }
    out
}

mod asks;
mod lines;
mod overrides;
#[cfg(test)]
mod tests;

pub use asks::{Blocker, check_asks, device_node, mapped_entries, start_blocker, start_check};
pub use lines::{DeviceRow, lines};
pub use overrides::{DeviceOverride, devices_with, pools_by_bus};
