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
    // The simulator answers for every node; `localhost` is taken literally, as the node a map
    // entry would have to name (none does).
    let check = match c.param("check-node") {
        None => None,
        Some("localhost") => Some(Checked::Name("localhost")),
        Some(name) => Some(Checked::Node(
            w.nodes.iter().find(|n| n.name() == name).ok_or_else(|| {
                ApiError::fail(if pci {
                    format!("wrong node to check - {name} != localhost")
                } else {
                    "Wrong node to check".to_string()
                })
            })?,
        )),
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

/// The node a mapping is checked on: one of the cluster's, or a name no entry can match.
#[derive(Clone, Copy)]
enum Checked<'a> {
    Node(&'a Node),
    Name(&'a str),
}

/// What is wrong with a mapping on the node checked: a warning when the node has none of it,
/// an error for each part that does not match the node's hardware.
fn problems(m: &MappingDef, checked: Checked, pci: bool) -> Vec<Value> {
    let name = match checked {
        Checked::Node(n) => n.name(),
        Checked::Name(name) => name,
    };
    let mine: Vec<PropString> = m
        .map
        .iter()
        .map(|e| PropString::parse(e, "node"))
        .filter(|p| p.get("node") == Some(name))
        .collect();
    let node = match checked {
        Checked::Node(node) if !mine.is_empty() => node,
        _ => {
            return vec![json!({
                "severity": "warning", "message": format!("No mapping for node {name}."),
            })];
        }
    };
    mine.iter()
        .filter_map(|p| {
            let found = if pci {
                pci_problem(m, p, node)
            } else {
                usb_problem(&m.id, p, node)
            };
            found.map(|err| {
                json!({ "severity": "error", "message": format!("Invalid configuration: {err}\n") })
            })
        })
        .collect()
}

/// `PVE::Mapping::PCI::assert_valid`: each device of the entry (`;`-separated paths) against
/// the node's, property by property in sorted order, the IOMMU group of the first only.
fn pci_problem(m: &MappingDef, p: &PropString, node: &Node) -> Option<String> {
    let bare = |v: &str| v.replace("0x", "");
    let paths = p.get("path").unwrap_or_default();
    for (idx, path) in paths.split(';').enumerate() {
        let full = if path.contains('.') {
            path.to_string()
        } else {
            format!("{path}.0")
        };
        let Some(dev) = node.def.pci.iter().find(|d| d.id == full) else {
            return Some(format!("pci device '{full}' not found"));
        };
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
            ("mdev", Some(u8::from(dev.mdev).to_string())),
            ("subsystem-id", subsystem),
        ];
        for (prop, want) in expected {
            if prop == "iommugroup" && idx > 0 {
                continue;
            }
            let have = if prop == "mdev" {
                Some(u8::from(m.mdev).to_string())
            } else {
                p.get(prop).map(bare)
            };
            let problem = match (want, have) {
                (Some(_), None) => {
                    format!("missing expected property '{prop}' for device '{full}'")
                }
                (None, Some(_)) => {
                    format!("unexpected property '{prop}' configured for device '{full}'")
                }
                (Some(want), Some(have)) if want != have => {
                    format!("'{prop}' does not match for '{}' ({want} != {have})", m.id)
                }
                _ => continue,
            };
            return Some(problem);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use crate::world::World;

    fn messages(world: &World, node: &str, entry: &str, mdev: bool) -> Vec<String> {
        let m = MappingDef {
            id: "gpu".into(),
            description: String::new(),
            map: vec![entry.into()],
            mdev,
            live_migration_capable: false,
        };
        let node = world.nodes.iter().find(|n| n.name() == node).unwrap();
        problems(&m, Checked::Node(node), true)
            .iter()
            .map(|p| p["message"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn a_pci_mapping_is_checked_as_proxmox_checks_it() {
        let world = World::from_scenario(&Scenario::load("homelab").unwrap(), 1, 1.77e9);
        let ok =
            "node=pve-aimax-01,path=0000:c5:00.0,id=1002:1586,subsystem-id=1002:1586,iommugroup=21";
        assert!(messages(&world, "pve-aimax-01", ok, false).is_empty());
        let wrong_id = ok.replace("id=1002:1586,sub", "id=10de:2684,sub");
        assert_eq!(
            messages(&world, "pve-aimax-01", &wrong_id, false),
            ["Invalid configuration: 'id' does not match for 'gpu' (1002:1586 != 10de:2684)\n"]
        );
        // The IOMMU group before mdev and the subsystem, as the properties sort.
        let both = ok
            .replace("iommugroup=21", "iommugroup=7")
            .replace("1002:1586,iommu", "1002:9999,iommu");
        assert_eq!(
            messages(&world, "pve-aimax-01", &both, false),
            ["Invalid configuration: 'iommugroup' does not match for 'gpu' (21 != 7)\n"]
        );
        assert_eq!(
            messages(&world, "pve-aimax-01", ok, true),
            ["Invalid configuration: 'mdev' does not match for 'gpu' (0 != 1)\n"]
        );
        let gone = ok.replace("0000:c5:00.0", "0000:99:00.0");
        assert_eq!(
            messages(&world, "pve-aimax-01", &gone, false),
            ["Invalid configuration: pci device '0000:99:00.0' not found\n"]
        );
        // Every device of a multi-device entry is looked at.
        let second = format!("{};0000:99:00.0", ok.split(",id=").next().unwrap())
            + ",id=1002:1586,subsystem-id=1002:1586,iommugroup=21";
        assert_eq!(
            messages(&world, "pve-aimax-01", &second, false),
            ["Invalid configuration: pci device '0000:99:00.0' not found\n"]
        );
        assert_eq!(
            messages(&world, "pve-ms01-01", ok, false),
            ["No mapping for node pve-ms01-01."]
        );
    }
}
