//! Device pools: Proxmox's resource mappings with, per node, the device each entry names, whether
//! a running guest holds it and which stopped guests have it configured (claims); and the GPUs and
//! accelerators found on nodes that no mapping covers. Pure: built from what was read.

use std::collections::BTreeMap;

use serde::Serialize;

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
}

/// The mapped devices a guest's config asks for: (`hostpci0`, `gpu`), from `hostpciN` and `usbN`
/// entries with `mapping=`.
pub fn mapped_entries<'a>(
    config: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> Vec<(String, String)> {
    config
        .into_iter()
        .filter(|(k, _)| k.starts_with("hostpci") || k.starts_with("usb"))
        .filter_map(|(k, v)| {
            v.split(',')
                .find_map(|p| p.trim().strip_prefix("mapping="))
                .map(|m| (k.clone(), m.to_string()))
        })
        .collect()
}

/// Why VM `vmid` cannot start on `node` with these mapped entries, as Proxmox would refuse it
/// (or worse, take a device another guest holds): a mapping without a device on the node, or
/// every device of it there held by another running guest. None when it can.
pub fn start_blocker(
    devices: &Devices,
    vmid: u32,
    node: &str,
    entries: &[(String, String)],
) -> Option<String> {
    for (key, mapping) in entries {
        let Some(pool) = devices.pools.iter().find(|p| &p.id == mapping) else {
            return Some(format!("{key}: no resource mapping '{mapping}'"));
        };
        let here: Vec<&PoolDevice> = pool.devices.iter().filter(|d| d.node == node).collect();
        if here.is_empty() {
            return Some(format!(
                "{key}: mapping '{mapping}' has no entry for node '{node}'"
            ));
        }
        let others: Vec<&Holder> = here
            .iter()
            .filter_map(|d| d.holder.as_ref())
            .filter(|h| h.running && h.vmid != vmid)
            .collect();
        if others.len() == here.len() {
            let by: Vec<String> = others.iter().map(|h| h.label()).collect();
            return Some(format!(
                "{key}: every device of mapping '{mapping}' on {node} is in use by {}",
                by.join(", ")
            ));
        }
    }
    None
}

/// Whether devices asked for can be placed from what was read: each pool or class named exists
/// (else the pools there are), and who holds the devices is known — a device whose holder
/// could not be read is never handed out as free.
pub fn check_asks(
    devices: &Devices,
    data: &DeviceData,
    asks: &[crate::sched::DeviceAsk],
) -> Result<(), String> {
    if asks.is_empty() {
        return Ok(());
    }
    if !data.unknown_holders.is_empty() {
        return Err(format!(
            "cannot tell which devices are free: {} (try again once it can be read)",
            data.unknown_holders.join("; ")
        ));
    }
    for ask in asks {
        let known = devices
            .pools
            .iter()
            .any(|p| p.id == ask.selector || p.class.name() == ask.selector);
        if !known {
            let pools: Vec<String> = devices.pools.iter().map(|p| p.id.clone()).collect();
            return Err(if pools.is_empty() {
                "no device pools (resource mappings) in this cluster".into()
            } else {
                format!(
                    "no pool or class '{}' (have: {})",
                    ask.selector,
                    pools.join(", ")
                )
            });
        }
    }
    Ok(())
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
    Devices { pools, unpooled }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(id: &str, map: &[&str]) -> Mapping {
        Mapping {
            id: id.into(),
            description: Some(format!("{id} pool")),
            map: map.iter().map(|s| s.to_string()).collect(),
            ..Mapping::default()
        }
    }

    fn gpu(id: &str) -> PciDevice {
        PciDevice {
            id: id.into(),
            class: "0x030000".into(),
            vendor: "0x10de".into(),
            device: "0x2484".into(),
            device_name: Some("GA104 [GeForce RTX 3070]".into()),
            ..PciDevice::default()
        }
    }

    fn data() -> DeviceData {
        let mut d = DeviceData {
            pci_mappings: vec![mapping(
                "gpu",
                &[
                    "node=pve1,path=0000:01:00.0,id=10de:2484,iommugroup=12",
                    "node=pve2,path=0000:01:00.0,id=10de:2484",
                ],
            )],
            usb_mappings: vec![mapping("coral", &["node=pve1,id=18d1:9302"])],
            ..DeviceData::default()
        };
        d.pci.insert("pve1".into(), vec![gpu("0000:01:00.0")]);
        d.pci.insert(
            "pve2".into(),
            vec![
                gpu("0000:01:00.0"),
                gpu("0000:02:00.0"),
                gpu("0000:02:00.1"),
            ],
        );
        d.usb.insert(
            "pve1".into(),
            vec![UsbDevice {
                vendid: Some("0x18d1".into()),
                prodid: Some("0x9302".into()),
                product: Some("Coral".into()),
                ..UsbDevice::default()
            }],
        );
        d.guests = vec![
            GuestDevices {
                vmid: 105,
                name: "frigate".into(),
                node: "pve1".into(),
                running: true,
                entries: vec![
                    ("hostpci0".into(), "mapping=gpu,pcie=1".into()),
                    ("usb0".into(), "mapping=coral".into()),
                ],
            },
            GuestDevices {
                vmid: 110,
                name: "llm".into(),
                node: "pve2".into(),
                running: false,
                entries: vec![("hostpci0".into(), "mapping=gpu".into())],
            },
            GuestDevices {
                vmid: 120,
                name: "raw".into(),
                node: "pve2".into(),
                running: true,
                entries: vec![("hostpci0".into(), "02:00.0".into())],
            },
        ];
        d
    }

    #[test]
    fn pools_show_holders_claims_and_what_is_free() {
        let v = devices(&data());
        let gpu = v.pools.iter().find(|p| p.id == "gpu").unwrap();
        assert_eq!(gpu.class, DeviceClass::Gpu);
        assert_eq!(gpu.devices.len(), 2);
        assert_eq!(
            gpu.devices[0].holder.as_ref().map(|h| h.label()),
            Some("VM 105 (frigate)".into())
        );
        assert_eq!(gpu.devices[0].iommu_group, Some(12));
        assert!(gpu.devices[1].holder.is_none());
        assert_eq!(gpu.free(), 1);
        assert_eq!(gpu.claims.len(), 1, "the stopped llm VM claims a GPU");
        let coral = v.pools.iter().find(|p| p.id == "coral").unwrap();
        assert_eq!(coral.class, DeviceClass::Tpu);
        assert_eq!(coral.free(), 0);
    }

    #[test]
    fn asks_name_known_pools_and_need_every_holder_read() {
        let mut d = data();
        let v = devices(&d);
        let ask = |s: &str| vec![s.parse::<crate::sched::DeviceAsk>().unwrap()];
        assert_eq!(check_asks(&v, &d, &ask("gpu")), Ok(()));
        assert_eq!(
            check_asks(&v, &d, &ask("tpu")),
            Ok(()),
            "a class names pools too"
        );
        assert_eq!(
            check_asks(&v, &d, &ask("nvidia")),
            Err("no pool or class 'nvidia' (have: coral, gpu)".into())
        );
        d.unknown_holders.push("config of VM 111: 500".into());
        assert_eq!(
            check_asks(&v, &d, &ask("gpu")),
            Err("cannot tell which devices are free: config of VM 111: 500 (try again once it can be read)".into())
        );
        assert_eq!(
            check_asks(&v, &d, &[]),
            Ok(()),
            "no devices asked, nothing to know"
        );
    }

    #[test]
    fn a_vm_starts_only_where_its_mapping_has_a_free_device() {
        let v = devices(&data());
        let gpu = v.pools.iter().find(|p| p.id == "gpu").unwrap();
        let held = gpu.devices[0].node.clone();
        let free = gpu.devices[1].node.clone();
        let entries = vec![("hostpci0".to_string(), "gpu".to_string())];
        assert_eq!(start_blocker(&v, 999, &free, &entries), None);
        assert_eq!(
            start_blocker(&v, 999, &held, &entries),
            Some(format!(
                "hostpci0: every device of mapping 'gpu' on {held} is in use by VM 105 (frigate)"
            ))
        );
        // Its own holder may start it again.
        assert_eq!(start_blocker(&v, 105, &held, &entries), None);
        assert_eq!(
            start_blocker(&v, 999, "elsewhere", &entries),
            Some("hostpci0: mapping 'gpu' has no entry for node 'elsewhere'".into())
        );
        let coral = vec![("usb0".to_string(), "coral".to_string())];
        let coral_node = v.pools.iter().find(|p| p.id == "coral").unwrap().devices[0]
            .node
            .clone();
        let why = start_blocker(&v, 999, &coral_node, &coral).unwrap();
        assert!(
            why.starts_with("usb0: every device of mapping 'coral' on"),
            "{why}"
        );
        assert_eq!(
            mapped_entries(
                [
                    ("hostpci0".to_string(), "mapping=gpu,pcie=1".to_string()),
                    ("usb1".to_string(), "host=1a6e:089a".to_string()),
                    ("net0".to_string(), "virtio,bridge=vmbr0".to_string()),
                ]
                .iter()
                .map(|(k, v)| (k, v))
            ),
            entries
        );
    }

    #[test]
    fn unpooled_gpus_are_listed_once_with_their_holder() {
        let v = devices(&data());
        assert_eq!(v.unpooled.len(), 1, "{:?}", v.unpooled);
        let u = &v.unpooled[0];
        assert_eq!((u.node.as_str(), u.path.as_str()), ("pve2", "0000:02:00.0"));
        assert_eq!(u.holder.as_ref().map(|h| h.vmid), Some(120));
        assert_eq!(u.class, DeviceClass::Gpu);
    }
}

/// One row of the devices pane: a pool's device on a node, or an unpooled GPU/accelerator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceLine {
    /// `None` for hardware in no mapping.
    pub pool: Option<String>,
    pub class: DeviceClass,
    pub bus: Bus,
    pub node: String,
    pub name: String,
    pub path: String,
    pub id: String,
    pub iommu_group: Option<u64>,
    /// Subsystem `vendor:device`, as the mapping pins it.
    pub subsystem: Option<String>,
    pub mdev: bool,
    pub live_migration: bool,
    pub present: bool,
    pub holder: Option<Holder>,
    /// Stopped guests configured with the pool (pool rows only).
    pub claims: Vec<Holder>,
    pub description: String,
}

impl DeviceLine {
    /// "free", "held by VM 105 (frigate)", "missing on pve1", "unpooled".
    pub fn state(&self) -> String {
        match (&self.holder, self.present, &self.pool) {
            (Some(h), _, _) => format!("held by {}", h.label()),
            (None, false, Some(_)) => "not found on the node".into(),
            (None, _, None) => "free, no mapping".into(),
            (None, true, Some(_)) if !self.claims.is_empty() => {
                let names: Vec<String> = self.claims.iter().map(|c| c.label()).collect();
                format!("free · claimed by {}", names.join(", "))
            }
            (None, true, Some(_)) => "free".into(),
        }
    }

    /// What a filter matches against.
    pub fn text(&self) -> String {
        format!(
            "{} {} {} {} {} {} {}",
            self.pool.as_deref().unwrap_or("unpooled"),
            self.class,
            self.node,
            self.name,
            self.path,
            self.id,
            self.state()
        )
    }
}

/// The pane's rows: each pool's devices (pools by name), then the unpooled hardware.
pub fn lines(view: &Devices) -> Vec<DeviceLine> {
    let mut out = Vec::new();
    for p in &view.pools {
        for d in &p.devices {
            out.push(DeviceLine {
                pool: Some(p.id.clone()),
                class: p.class,
                bus: p.bus,
                node: d.node.clone(),
                name: d.name.clone().unwrap_or_else(|| d.id.clone()),
                path: d.path.clone(),
                id: d.id.clone(),
                iommu_group: d.iommu_group,
                subsystem: d.subsystem.clone(),
                mdev: p.mdev || d.mdev,
                live_migration: p.live_migration,
                present: d.present,
                holder: d.holder.clone(),
                claims: p.claims.clone(),
                description: p.description.clone(),
            });
        }
    }
    for u in &view.unpooled {
        out.push(DeviceLine {
            pool: None,
            class: u.class,
            bus: u.bus,
            node: u.node.clone(),
            name: u.name.clone(),
            path: u.path.clone(),
            id: u.id.clone(),
            iommu_group: None,
            subsystem: None,
            mdev: u.mdev,
            live_migration: false,
            present: true,
            holder: u.holder.clone(),
            claims: Vec::new(),
            description: String::new(),
        });
    }
    out
}

/// An entry of the config's manual inventory, merged over what was discovered: it changes a
/// pool's class or description, renames or hides one device, or adds one the node lists but rack
/// would not (a USB accelerator it does not know, say).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceOverride {
    /// A pool as a whole …
    pub pool: Option<String>,
    /// … or one device: its node and its PCI path or USB id.
    pub node: Option<String>,
    pub path: Option<String>,
    pub class: Option<DeviceClass>,
    pub name: Option<String>,
    pub hide: bool,
}

/// The pools of picked devices `(pool, device)`, split by bus: (PCI, USB). The bus decides the
/// config key a device is attached with (`hostpciN` or `usbN`).
pub fn pools_by_bus(picked: &[(String, String)], data: &DeviceData) -> (Vec<String>, Vec<String>) {
    picked
        .iter()
        .map(|(pool, _)| pool.clone())
        .partition(|pool| !data.usb_mappings.iter().any(|m| &m.id == pool))
}

/// Pools and unpooled devices, with the config's inventory merged over them.
pub fn devices_with(data: &DeviceData, overrides: &[DeviceOverride]) -> Devices {
    let mut view = devices(data);
    for o in overrides {
        match (&o.node, &o.path) {
            (Some(node), Some(path)) => device_override(&mut view, data, o, node, path),
            _ => {
                let Some(pool) = &o.pool else { continue };
                if o.hide {
                    view.pools.retain(|p| &p.id != pool);
                    continue;
                }
                if let Some(p) = view.pools.iter_mut().find(|p| &p.id == pool) {
                    if let Some(c) = o.class {
                        p.class = c;
                    }
                    if let Some(n) = &o.name {
                        p.description = n.clone();
                    }
                }
            }
        }
    }
    view
}

fn device_override(
    view: &mut Devices,
    data: &DeviceData,
    o: &DeviceOverride,
    node: &str,
    path: &str,
) {
    let matches = |n: &str, p: &str, id: &str| n == node && (p == path || id == path);
    let mut found = false;
    for pool in &mut view.pools {
        if o.hide {
            let before = pool.devices.len();
            pool.devices.retain(|d| !matches(&d.node, &d.path, &d.id));
            found |= pool.devices.len() != before;
            continue;
        }
        for d in pool
            .devices
            .iter_mut()
            .filter(|d| matches(&d.node, &d.path, &d.id))
        {
            found = true;
            if let Some(n) = &o.name {
                d.name = Some(n.clone());
            }
        }
    }
    if o.hide {
        view.unpooled.retain(|u| !matches(&u.node, &u.path, &u.id));
        return;
    }
    for u in view
        .unpooled
        .iter_mut()
        .filter(|u| matches(&u.node, &u.path, &u.id))
    {
        found = true;
        if let Some(c) = o.class {
            u.class = c;
        }
        if let Some(n) = &o.name {
            u.name = n.clone();
        }
    }
    if found {
        return;
    }
    // Not shown yet: what the node lists, or else what the config says.
    let pci = data
        .pci
        .get(node)
        .and_then(|l| l.iter().find(|d| d.id == full_pci(path)));
    let usb = data
        .usb
        .get(node)
        .and_then(|l| l.iter().find(|d| d.id() == path.to_ascii_lowercase()));
    let (bus, path, id, hw_name, class) = match (pci, usb) {
        (Some(d), _) => (
            Bus::Pci,
            d.id.clone(),
            hex_id(&d.vendor, &d.device),
            Some(pci_name(d)),
            pci_class(&d.class),
        ),
        (None, Some(d)) => (
            Bus::Usb,
            d.id(),
            d.id(),
            Some(usb_name(d)),
            usb_class(&d.id()),
        ),
        (None, None) => (
            if path.contains('.') {
                Bus::Pci
            } else {
                Bus::Usb
            },
            path.to_string(),
            String::new(),
            None,
            DeviceClass::Other,
        ),
    };
    view.unpooled.push(Unpooled {
        node: node.to_string(),
        bus,
        path: clean(&path),
        id: clean(&id),
        class: o.class.unwrap_or(class),
        name: o
            .name
            .clone()
            .or(hw_name)
            .unwrap_or_else(|| "(in the config; the node does not list it)".into()),
        mdev: false,
        holder: None,
    });
}

#[cfg(test)]
mod override_tests {
    use super::*;

    #[test]
    fn the_config_renames_hides_reclassifies_and_adds() {
        let mut data = DeviceData::default();
        data.pci.insert(
            "pve1".into(),
            vec![PciDevice {
                id: "0000:01:00.0".into(),
                class: "0x030000".into(),
                vendor: "0x10de".into(),
                device: "0x2484".into(),
                ..PciDevice::default()
            }],
        );
        data.usb.insert(
            "pve1".into(),
            vec![UsbDevice {
                vendid: Some("0x1234".into()),
                prodid: Some("0x5678".into()),
                product: Some("Hailo-8".into()),
                ..UsbDevice::default()
            }],
        );
        data.pci_mappings = vec![Mapping {
            id: "gpu".into(),
            map: vec!["node=pve1,path=0000:01:00.0,id=10de:2484".into()],
            ..Mapping::default()
        }];
        let overrides = vec![
            DeviceOverride {
                pool: Some("gpu".into()),
                name: Some("RTX 3070 pool".into()),
                ..Default::default()
            },
            DeviceOverride {
                node: Some("pve1".into()),
                path: Some("0000:01:00.0".into()),
                name: Some("RTX 3070".into()),
                ..Default::default()
            },
            DeviceOverride {
                node: Some("pve1".into()),
                path: Some("1234:5678".into()),
                class: Some(DeviceClass::Tpu),
                ..Default::default()
            },
        ];
        let v = devices_with(&data, &overrides);
        assert_eq!(v.pools[0].description, "RTX 3070 pool");
        assert_eq!(v.pools[0].devices[0].name.as_deref(), Some("RTX 3070"));
        assert_eq!(v.unpooled.len(), 1, "the USB accelerator is added");
        assert_eq!(
            (v.unpooled[0].class, v.unpooled[0].name.as_str()),
            (DeviceClass::Tpu, "Hailo-8")
        );
        let hide = vec![DeviceOverride {
            node: Some("pve1".into()),
            path: Some("0000:01:00.0".into()),
            hide: true,
            ..Default::default()
        }];
        assert!(devices_with(&data, &hide).pools[0].devices.is_empty());
    }
}
