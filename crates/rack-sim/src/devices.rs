//! What stops a guest from starting on its node: passthrough devices (raw or through a
//! resource mapping) that are missing there or held by another running guest, and networks
//! the node does not have.

use rack_pve::propstr::PropString;

use super::scenario::GuestKind;
use super::world::{Guest, World};

/// A device a guest config asks for: which key, and the host device it resolves to on a node.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub key: String,
    pub mapping: Option<String>,
    /// PCI address (`0000:c5:00.0`) or USB `vendor:product`.
    pub device: Option<String>,
}

impl World {
    /// Resolve a guest's `hostpciN` / `usbN` entries on `node`.
    pub fn device_claims(&self, g: &Guest, node: &str) -> Vec<Claim> {
        let mut out = Vec::new();
        for (key, value) in &g.config {
            let pci = key.starts_with("hostpci");
            let usb = key.starts_with("usb") && g.kind == GuestKind::Qemu;
            if !pci && !usb {
                continue;
            }
            let p = PropString::parse(value, "host");
            let mapping = p.get("mapping").map(str::to_string);
            let device = match &mapping {
                Some(id) => {
                    let maps = if pci {
                        &self.mappings.pci
                    } else {
                        &self.mappings.usb
                    };
                    maps.iter().find(|m| &m.id == id).and_then(|m| {
                        m.map
                            .iter()
                            .map(|e| PropString::parse(e, "node"))
                            .find(|e| e.get("node") == Some(node))
                            .and_then(|e| {
                                if pci {
                                    e.get("path").map(str::to_string)
                                } else {
                                    e.get("id").map(str::to_string)
                                }
                            })
                    })
                }
                // Raw ids may leave out the PCI domain: `01:00.0` is `0000:01:00.0`.
                None => p.get("host").map(|h| {
                    if pci && h.matches(':').count() == 1 {
                        format!("0000:{h}")
                    } else {
                        h.to_string()
                    }
                }),
            };
            out.push(Claim {
                key: key.clone(),
                mapping,
                device,
            });
        }
        out
    }

    /// Why this guest cannot start where it is, as Proxmox words it; Ok if it can.
    pub fn start_blockers(&self, vmid: u32) -> Result<(), String> {
        let Some(g) = self.guests.get(&vmid) else {
            return Ok(());
        };
        let node = g.node.clone();
        for claim in self.device_claims(g, &node) {
            let Some(device) = &claim.device else {
                return Err(match &claim.mapping {
                    Some(m) => format!(
                        "{}: mapping '{m}' has no entry for node '{node}'",
                        claim.key
                    ),
                    None => format!("{}: no host device given", claim.key),
                });
            };
            // An mdev (a slice of a GPU) can be shared; a whole device cannot.
            let shared = g
                .config
                .get(&claim.key)
                .is_some_and(|v| v.contains("mdev="));
            if shared {
                continue;
            }
            let holder = self.guests.values().find(|o| {
                o.vmid != vmid
                    && o.node == node
                    && o.running()
                    && self
                        .device_claims(o, &node)
                        .iter()
                        .any(|c| c.device.as_ref() == Some(device))
            });
            if let Some(o) = holder {
                return Err(if claim.key.starts_with("hostpci") {
                    format!("PCI device '{device}' already in use by VMID '{}'", o.vmid)
                } else {
                    format!("USB device '{device}' already in use by VMID '{}'", o.vmid)
                });
            }
        }
        for (key, value) in g.config.iter().filter(|(k, _)| k.starts_with("net")) {
            let p = PropString::parse(
                value,
                if g.kind == GuestKind::Lxc {
                    "name"
                } else {
                    "model"
                },
            );
            if let Some(bridge) = p.get("bridge")
                && !self.network_exists(&node, bridge)
            {
                return Err(format!("{key}: bridge '{bridge}' does not exist"));
            }
        }
        Ok(())
    }

    /// A bridge on the node, or an SDN vnet whose zone spans the node.
    pub fn network_exists(&self, node: &str, name: &str) -> bool {
        let bridge = self.node(node).is_some_and(|n| {
            n.interfaces
                .iter()
                .any(|i| i.iface == name && matches!(i.kind.as_str(), "bridge" | "OVSBridge"))
        });
        let vnet = self.sdn.vnets.iter().any(|v| {
            v.vnet == name
                && self.sdn.zones.iter().any(|z| {
                    z.zone == v.zone
                        && z.nodes
                            .as_deref()
                            .is_none_or(|n| n.split(',').any(|x| x.trim() == node))
                        && z.bridge
                            .as_deref()
                            .is_none_or(|b| self.network_exists(node, b))
                })
        });
        bridge || vnet
    }
}
