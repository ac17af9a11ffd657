//! Resource mappings as pve-manager's `Cluster/Mapping/{PCI,USB}.pm` answer them: each entry of
//! the config with its id, type and the config's digest, and — asked with `check-node` — what
//! `assert_valid` finds wrong with the node's part of it.

use rack_pve::propstr::PropString;
use serde_json::{Value, json};

use super::Call;
use crate::http::ApiError;
use crate::scenario::{MappingDef, UsbDef};
use crate::world::Node;

pub fn mappings(c: &Call, pci: bool) -> Result<Value, ApiError> {
    let w = c.world();
    let check = match c.param("check-node") {
        None => None,
        Some(name) => Some(
            w.nodes
                .iter()
                .find(|n| n.name() == name || name == "localhost")
                .ok_or_else(|| ApiError::fail(format!("wrong node to check - {name}")))?,
        ),
    };
    let (list, kind) = if pci {
        (&w.mappings.pci, "pci")
    } else {
        (&w.mappings.usb, "usb")
    };
    let digest = format!("{:040x}", list.len() * 7_177 + usize::from(pci));
    Ok(Value::Array(
        list.iter()
            .map(|m| {
                let mut item = json!({
                    "id": m.id, "type": kind, "map": m.map, "digest": digest,
                });
                if !m.description.is_empty() {
                    item["description"] = json!(m.description);
                }
                if m.mdev {
                    item["mdev"] = json!(1);
                }
                if m.live_migration_capable {
                    item["live-migration-capable"] = json!(1);
                }
                if let Some(node) = check {
                    // PCI calls the list `checks`, USB `errors`.
                    let key = if pci { "checks" } else { "errors" };
                    item[key] = json!(problems(m, node, pci));
                }
                item
            })
            .collect(),
    ))
}

/// What is wrong with a mapping on `node`: a warning when the node has none of it, an error
/// for each part that does not match the node's hardware.
fn problems(m: &MappingDef, node: &Node, pci: bool) -> Vec<Value> {
    let mine: Vec<PropString> = m
        .map
        .iter()
        .map(|e| PropString::parse(e, "node"))
        .filter(|p| p.get("node") == Some(node.name()))
        .collect();
    if mine.is_empty() {
        return vec![json!({
            "severity": "warning", "message": format!("No mapping for node {}.", node.name()),
        })];
    }
    mine.iter()
        .filter_map(|p| {
            let found = if pci {
                pci_problem(&m.id, p, node)
            } else {
                usb_problem(&m.id, p, node)
            };
            found.map(|err| {
                json!({ "severity": "error", "message": format!("Invalid configuration: {err}\n") })
            })
        })
        .collect()
}

/// `PVE::Mapping::PCI::assert_valid` for the first device of a mapping entry.
fn pci_problem(name: &str, p: &PropString, node: &Node) -> Option<String> {
    let path = p.get("path").unwrap_or_default();
    let path = path.split(';').next().unwrap_or_default();
    let full = if path.contains('.') {
        path.to_string()
    } else {
        format!("{path}.0")
    };
    let Some(dev) = node.def.pci.iter().find(|d| d.id == full) else {
        return Some(format!("pci device '{full}' not found"));
    };
    let bare = |v: &str| v.trim_start_matches("0x").to_string();
    let subsystem = dev
        .subsystem_vendor
        .as_deref()
        .zip(dev.subsystem_device.as_deref())
        .map(|(v, d)| format!("{}:{}", bare(v), bare(d)));
    let expected = [
        (
            "id",
            Some(format!("{}:{}", bare(&dev.vendor), bare(&dev.device))),
        ),
        ("iommugroup", Some(dev.iommugroup.to_string())),
        ("subsystem-id", subsystem),
    ];
    for (prop, want) in expected {
        let have = p.get(prop).map(|v| v.replace("0x", ""));
        match (want, have) {
            (None, None) => {}
            (Some(_), None) => {
                return Some(format!(
                    "missing expected property '{prop}' for device '{full}'"
                ));
            }
            (None, Some(_)) => {
                return Some(format!(
                    "unexpected property '{prop}' configured for device '{full}'"
                ));
            }
            (Some(want), Some(have)) if want != have => {
                return Some(format!(
                    "'{prop}' does not match for '{name}' ({want} != {have})"
                ));
            }
            _ => {}
        }
    }
    None
}

/// `PVE::Mapping::USB::assert_valid`: the device at the path, or one with the id.
fn usb_problem(name: &str, p: &PropString, node: &Node) -> Option<String> {
    let id = p.get("id").unwrap_or_default();
    let real = |d: &UsbDef| format!("{}:{}", d.vendid, d.prodid);
    match p.get("path") {
        Some(path) => {
            let Some(dev) = node.def.usb.iter().find(|d| {
                d.usbpath
                    .as_deref()
                    .is_some_and(|u| format!("{}-{u}", d.busnum) == path)
            }) else {
                return Some(format!("usb device '{path}' not found"));
            };
            (real(dev) != id)
                .then(|| format!("'id' does not match for '{name}' ({} != {id})", real(dev)))
        }
        None => (!node.def.usb.iter().any(|d| real(d) == id))
            .then(|| format!("usb device '{id}' not found")),
    }
}
