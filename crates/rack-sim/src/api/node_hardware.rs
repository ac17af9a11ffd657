//! A node's network interfaces and its PCI and USB hardware, as the node reads them.

use serde_json::{Value, json};

use super::Call;
use crate::http::ApiError;
use crate::scenario::InterfaceDef;

pub fn network(c: &Call) -> Result<Value, ApiError> {
    let n = c.node()?;
    let filter = c.param("type");
    let is_bridge = |kind: &str| kind == "bridge" || kind == "OVSBridge";
    let list = n
        .interfaces
        .iter()
        .enumerate()
        .filter(|(_, i)| match filter {
            None | Some("any") | Some("include_sdn") => true,
            Some("any_bridge") | Some("any_local_bridge") => is_bridge(&i.kind),
            Some(t) => i.kind == t,
        })
        // pve-common's Network::Interfaces numbers stanzas in file order from 2; the installer
        // writes the loopback's first, which the answer leaves out.
        .map(|(at, i)| interface(&n.interfaces, i, at + 3))
        .collect();
    Ok(Value::Array(list))
}

/// One interface as pve-common's `__read_etc_network_interfaces` describes it: a key only for
/// what the stanza sets, `active` only for a link that is up, `exists` for a NIC the kernel
/// has (a VLAN takes its raw device's: `null` when that is not a NIC, 0 when it is unknown).
fn interface(all: &[InterfaceDef], i: &InterfaceDef, priority: usize) -> Value {
    let physical = |kind: &str| kind == "eth" || kind == "OVSPort";
    let ovs = i.kind.starts_with("OVS");
    let mut item = json!({
        "iface": i.iface, "type": i.kind, "autostart": 1,
        "method": if i.cidr.is_some() { "static" } else { "manual" },
        "method6": "manual", "families": ["inet"], "priority": priority,
    });
    let mut set = |key: &str, v: Option<Value>| {
        if let Some(v) = v {
            item[key] = v;
        }
    };
    set("active", i.active.then(|| json!(1)));
    if let Some(cidr) = &i.cidr {
        set("cidr", Some(json!(cidr)));
        if let Some((addr, len)) = cidr.split_once('/') {
            set("address", Some(json!(addr)));
            set("netmask", Some(json!(len)));
        }
    }
    set("gateway", i.gateway.clone().map(Value::from));
    set("bridge_ports", i.bridge_ports.clone().map(Value::from));
    if i.kind == "bridge" {
        set("bridge_vlan_aware", i.vlan_aware.then(|| json!(1)));
        set("bridge_stp", Some(json!("off")));
        set("bridge_fd", Some(json!("0")));
    }
    set("bridge_vids", i.bridge_vids.clone().map(Value::from));
    set("slaves", i.slaves.clone().map(Value::from));
    set("bond_mode", i.bond_mode.clone().map(Value::from));
    if i.kind == "vlan" {
        // A dotted name (`vmbr0.16`) gives the id, over the stanza's; a string either way.
        let raw = i
            .vlan_raw_device
            .clone()
            .or_else(|| i.iface.rsplit_once('.').map(|(dev, _)| dev.to_string()));
        let from_name = i
            .iface
            .rsplit_once('.')
            .map(|(_, id)| id.to_string())
            .filter(|id| id.parse::<u32>().is_ok_and(|n| n > 0));
        let id = from_name.or_else(|| i.vlan_id.map(|v| v.to_string()));
        set("vlan-id", id.map(Value::from));
        let exists = match raw
            .as_deref()
            .and_then(|r| all.iter().find(|x| x.iface == r))
        {
            Some(dev) if physical(&dev.kind) => json!(1),
            Some(_) => Value::Null,
            None => json!(0),
        };
        set("vlan-raw-device", raw.map(Value::from));
        set("exists", Some(exists));
    }
    set("exists", physical(&i.kind).then(|| json!(1)));
    if ovs {
        set("ovs_type", Some(json!(i.kind)));
    }
    set("ovs_ports", i.ovs_ports.clone().map(Value::from));
    set("ovs_bonds", i.ovs_bonds.clone().map(Value::from));
    set("ovs_bridge", i.ovs_bridge.clone().map(Value::from));
    // Read out of `ovs_options tag=N` into a key of its own, a string.
    set("ovs_tag", i.ovs_tag.map(|t| json!(t.to_string())));
    set("mtu", i.mtu.map(|m| json!(m.to_string())));
    set("options", (!i.options.is_empty()).then(|| json!(i.options)));
    set(
        "comments",
        i.comments.clone().map(|c| Value::from(format!("{c}\n"))),
    );
    item
}

pub fn pci(c: &Call) -> Result<Value, ApiError> {
    let n = c.node()?;
    let blacklist: Vec<String> = c
        .param("pci-class-blacklist")
        .unwrap_or("05;06;0b")
        .split([';', ','])
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    let verbose = c.param("verbose").is_none() || c.flag("verbose");
    let list = n
        .def
        .pci
        .iter()
        .filter(|d| {
            let class = d.class.trim_start_matches("0x").to_ascii_lowercase();
            !blacklist.iter().any(|p| class.starts_with(p.as_str()))
        })
        .map(|d| {
            let mut item = json!({
                "id": d.id, "class": d.class, "vendor": d.vendor, "device": d.device,
                "iommugroup": d.iommugroup,
            });
            if d.mdev {
                item["mdev"] = json!(1);
            }
            if let Some(v) = &d.subsystem_vendor {
                item["subsystem_vendor"] = json!(v);
            }
            if let Some(v) = &d.subsystem_device {
                item["subsystem_device"] = json!(v);
            }
            if verbose {
                if let Some(v) = &d.vendor_name {
                    item["vendor_name"] = json!(v);
                    item["subsystem_vendor_name"] = json!(v);
                }
                if let Some(v) = &d.device_name {
                    item["device_name"] = json!(v);
                }
            }
            item
        })
        .collect();
    Ok(Value::Array(list))
}

pub fn usb(c: &Call) -> Result<Value, ApiError> {
    let n = c.node()?;
    let list = n
        .def
        .usb
        .iter()
        .map(|d| {
            let mut item = json!({
                "busnum": d.busnum, "devnum": d.devnum, "port": d.port, "level": d.level,
                "class": d.class, "vendid": d.vendid, "prodid": d.prodid, "speed": d.speed,
            });
            for (k, v) in [
                ("manufacturer", &d.manufacturer),
                ("product", &d.product),
                ("serial", &d.serial),
                ("usbpath", &d.usbpath),
            ] {
                if let Some(v) = v {
                    item[k] = json!(v);
                }
            }
            item
        })
        .collect();
    Ok(Value::Array(list))
}
