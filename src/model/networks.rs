//! Networks across a cluster: each node's interfaces (bridges, bonds, VLANs, NICs), the SDN
//! zones, vnets and subnets, and which guests attach where — folded into one row per network
//! name with what breaks migrations flagged: a bridge or vnet some nodes lack, MTUs that differ,
//! a guest on a bridge no node has or on a node its vnet's zone does not reach. Pure.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::model::text::clean;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Iface {
    pub iface: String,
    pub kind: String,
    pub active: bool,
    pub cidr: Option<String>,
    pub gateway: Option<String>,
    pub mtu: Option<u64>,
    pub vlan_aware: bool,
    /// Bridge ports or bond slaves.
    pub ports: Option<String>,
    pub vlan_id: Option<u64>,
    pub comments: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeNet {
    pub node: String,
    /// The node's interfaces, or why they could not be read.
    pub ifaces: Result<Vec<Iface>, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Zone {
    pub zone: String,
    pub kind: String,
    /// Nodes the zone is limited to; empty for all.
    pub nodes: Vec<String>,
    pub bridge: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Vnet {
    pub vnet: String,
    pub zone: String,
    pub tag: Option<u64>,
    pub alias: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Subnet {
    pub vnet: String,
    pub cidr: String,
    pub gateway: Option<String>,
    /// `10.8.28.100-10.8.28.200`
    pub dhcp: Vec<String>,
}

/// One guest NIC: where it attaches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attachment {
    pub vmid: u32,
    pub name: String,
    pub node: String,
    /// `net0`
    pub key: String,
    pub bridge: String,
    pub vlan: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkData {
    pub nodes: Vec<NodeNet>,
    /// Nodes that are offline: their interfaces are unknown.
    pub offline: Vec<String>,
    pub zones: Vec<Zone>,
    pub vnets: Vec<Vnet>,
    pub subnets: Vec<Subnet>,
    /// `None` when the guests' configs were not read (too many guests).
    pub attachments: Option<Vec<Attachment>>,
    pub problems: Vec<String>,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(clean(s.trim())),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn num(v: &Value) -> Option<u64> {
    crate::pve::de::number_of(v).map(|n| n.max(0.0) as u64)
}

fn truthy(v: &Value) -> bool {
    crate::pve::de::bool_of(v).unwrap_or(false)
}

/// `GET /nodes/{node}/network`.
pub fn parse_ifaces(doc: &Value) -> Result<Vec<Iface>, String> {
    let list = doc.as_array().ok_or("the interface list is not a list")?;
    let mut out: Vec<Iface> = list
        .iter()
        .filter_map(|i| {
            Some(Iface {
                iface: text(&i["iface"])?,
                kind: text(&i["type"]).unwrap_or_else(|| "unknown".into()),
                active: truthy(&i["active"]),
                cidr: text(&i["cidr"]).or_else(|| text(&i["address"])),
                gateway: text(&i["gateway"]),
                mtu: num(&i["mtu"]),
                vlan_aware: truthy(&i["bridge_vlan_aware"]),
                ports: text(&i["bridge_ports"]).or_else(|| text(&i["slaves"])),
                vlan_id: num(&i["vlan-id"]),
                comments: text(&i["comments"]),
            })
        })
        .collect();
    out.sort_by(|a, b| a.iface.cmp(&b.iface));
    Ok(out)
}

pub fn parse_zones(doc: &Value) -> Result<Vec<Zone>, String> {
    let list = doc.as_array().ok_or("the SDN zone list is not a list")?;
    Ok(list
        .iter()
        .filter_map(|z| {
            Some(Zone {
                zone: text(&z["zone"])?,
                kind: text(&z["type"]).unwrap_or_default(),
                nodes: text(&z["nodes"])
                    .map(|n| {
                        n.split([',', ' '])
                            .filter(|x| !x.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                bridge: text(&z["bridge"]),
            })
        })
        .collect())
}

pub fn parse_vnets(doc: &Value) -> Result<Vec<Vnet>, String> {
    let list = doc.as_array().ok_or("the SDN vnet list is not a list")?;
    Ok(list
        .iter()
        .filter_map(|v| {
            Some(Vnet {
                vnet: text(&v["vnet"])?,
                zone: text(&v["zone"]).unwrap_or_default(),
                tag: num(&v["tag"]),
                alias: text(&v["alias"]),
            })
        })
        .collect())
}

pub fn parse_subnets(vnet: &str, doc: &Value) -> Result<Vec<Subnet>, String> {
    let list = doc.as_array().ok_or("the subnet list is not a list")?;
    Ok(list
        .iter()
        .filter_map(|s| {
            let dhcp = s["dhcp-range"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|x| match x {
                            Value::String(t) => Some(clean(t)),
                            Value::Object(_) => Some(format!(
                                "{}-{}",
                                text(&x["start-address"]).unwrap_or_default(),
                                text(&x["end-address"]).unwrap_or_default()
                            )),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(Subnet {
                vnet: vnet.to_string(),
                cidr: text(&s["cidr"]).or_else(|| text(&s["subnet"]))?,
                gateway: text(&s["gateway"]),
                dhcp,
            })
        })
        .collect())
}

/// One row of the networks pane (and of `rack get networks`): a network by name, across nodes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetLine {
    pub cluster: String,
    /// bridge, bond, vlan, nic, zone, vnet, or the interface type Proxmox gives.
    pub kind: String,
    pub name: String,
    /// Nodes that have it.
    pub nodes: Vec<String>,
    /// Answering nodes that do not.
    pub missing: Vec<String>,
    /// MTU per node that has it (1500 when not set).
    pub mtu: BTreeMap<String, u64>,
    /// Guest NICs attached to it.
    pub guests: usize,
    /// Addresses, ports, VLAN, subnets, in one line.
    pub info: String,
    /// What breaks migrations or traffic, in words.
    pub problems: Vec<String>,
}

impl NetLine {
    pub fn text(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.kind,
            self.name,
            self.nodes.join(" "),
            self.info,
            self.problems.join(" ")
        )
    }

    /// `9000`, or `1500/9000` when they differ.
    pub fn mtu_text(&self) -> String {
        let set: BTreeSet<u64> = self.mtu.values().copied().collect();
        set.iter().map(u64::to_string).collect::<Vec<_>>().join("/")
    }
}

fn kind_of(kind: &str) -> &str {
    match kind {
        "bridge" | "OVSBridge" => "bridge",
        "bond" | "OVSBond" => "bond",
        "vlan" | "OVSIntPort" => "vlan",
        "eth" => "nic",
        other => other,
    }
}

/// Nodes named as a list: `a, b and c`.
fn names(list: &[String]) -> String {
    match list {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The rows: problems first, then bridges, VLANs, bonds, NICs, zones and vnets, by name.
pub fn lines(cluster: &str, data: &NetworkData) -> Vec<NetLine> {
    let answering: Vec<&NodeNet> = data.nodes.iter().filter(|n| n.ifaces.is_ok()).collect();
    let mut all_nodes: Vec<String> = data.nodes.iter().map(|n| n.node.clone()).collect();
    all_nodes.extend(data.offline.iter().cloned());
    all_nodes.sort();
    let attachments = data.attachments.as_deref().unwrap_or_default();
    let guests_on = |name: &str| attachments.iter().filter(|a| a.bridge == name).count();

    let mut by_name: BTreeMap<&str, Vec<(&str, &Iface)>> = BTreeMap::new();
    for n in &answering {
        for i in n.ifaces.as_deref().unwrap_or_default() {
            by_name.entry(&i.iface).or_default().push((&n.node, i));
        }
    }
    let mut out = Vec::new();
    for (name, present) in &by_name {
        let first = present[0].1;
        let kind = kind_of(&first.kind).to_string();
        let nodes: Vec<String> = present.iter().map(|(n, _)| n.to_string()).collect();
        let missing: Vec<String> = answering
            .iter()
            .map(|n| n.node.clone())
            .filter(|n| !nodes.contains(n))
            .collect();
        let mtu: BTreeMap<String, u64> = present
            .iter()
            .map(|(n, i)| (n.to_string(), i.mtu.unwrap_or(1500)))
            .collect();
        let guests = guests_on(name);
        let mut problems = Vec::new();
        if !missing.is_empty() && matches!(kind.as_str(), "bridge" | "vlan" | "bond") {
            let on = if kind == "bridge" && guests > 0 {
                format!("; its {guests} guest NIC(s) cannot migrate there")
            } else {
                String::new()
            };
            problems.push(format!("missing on {}{on}", names(&missing)));
        }
        let distinct: BTreeSet<u64> = mtu.values().copied().collect();
        if distinct.len() > 1 {
            let parts: Vec<String> = distinct
                .iter()
                .map(|m| {
                    let on: Vec<String> = mtu
                        .iter()
                        .filter(|(_, v)| *v == m)
                        .map(|(n, _)| n.clone())
                        .collect();
                    format!("{m} on {}", names(&on))
                })
                .collect();
            problems.push(format!("MTU differs: {}", parts.join("; ")));
        }
        let mut info = Vec::new();
        if let Some(p) = &first.ports {
            info.push(format!("ports {p}"));
        }
        if let Some(v) = first.vlan_id {
            info.push(format!("VLAN {v}"));
        }
        if first.vlan_aware {
            info.push("VLAN-aware".into());
        }
        let addresses: Vec<String> = present.iter().filter_map(|(_, i)| i.cidr.clone()).collect();
        if let Some(a) = addresses.first() {
            info.push(if addresses.len() > 1 {
                format!("{a} …")
            } else {
                a.clone()
            });
        }
        if let Some(c) = &first.comments {
            info.push(c.clone());
        }
        let inactive: Vec<String> = present
            .iter()
            .filter(|(_, i)| !i.active)
            .map(|(n, _)| n.to_string())
            .collect();
        if !inactive.is_empty() && kind != "nic" {
            problems.push(format!("down on {}", names(&inactive)));
        }
        out.push(NetLine {
            cluster: cluster.to_string(),
            kind,
            name: name.to_string(),
            nodes,
            missing,
            mtu,
            guests,
            info: info.join(" · "),
            problems,
        });
    }

    for z in &data.zones {
        let nodes = if z.nodes.is_empty() {
            all_nodes.clone()
        } else {
            z.nodes.clone()
        };
        let mut info = vec![z.kind.clone()];
        if let Some(b) = &z.bridge {
            info.push(format!("on {b}"));
        }
        let mut problems = Vec::new();
        if let Some(b) = &z.bridge {
            let lacking: Vec<String> = answering
                .iter()
                .filter(|n| nodes.contains(&n.node))
                .filter(|n| {
                    !n.ifaces
                        .as_deref()
                        .unwrap_or_default()
                        .iter()
                        .any(|i| &i.iface == b)
                })
                .map(|n| n.node.clone())
                .collect();
            if !lacking.is_empty() {
                problems.push(format!("its bridge {b} is missing on {}", names(&lacking)));
            }
        }
        out.push(NetLine {
            cluster: cluster.to_string(),
            kind: "zone".into(),
            name: z.zone.clone(),
            nodes,
            missing: Vec::new(),
            mtu: BTreeMap::new(),
            guests: 0,
            info: info.join(" · "),
            problems,
        });
    }

    for v in &data.vnets {
        let zone = data.zones.iter().find(|z| z.zone == v.zone);
        let nodes = match zone {
            Some(z) if !z.nodes.is_empty() => z.nodes.clone(),
            _ => all_nodes.clone(),
        };
        let mut info = vec![format!("zone {}", v.zone)];
        if let Some(t) = v.tag {
            info.push(format!("tag {t}"));
        }
        if let Some(a) = &v.alias {
            info.push(a.clone());
        }
        for s in data.subnets.iter().filter(|s| s.vnet == v.vnet) {
            let mut t = s.cidr.clone();
            if let Some(g) = &s.gateway {
                t.push_str(&format!(" gw {g}"));
            }
            if !s.dhcp.is_empty() {
                t.push_str(&format!(" dhcp {}", s.dhcp.join(",")));
            }
            info.push(t);
        }
        let mut problems = Vec::new();
        if zone.is_none() {
            problems.push(format!("its zone {} does not exist", v.zone));
        }
        let outside: Vec<String> = attachments
            .iter()
            .filter(|a| a.bridge == v.vnet && !nodes.contains(&a.node))
            .map(|a| format!("{} {} on {}", a.vmid, a.name, a.node))
            .collect();
        if !outside.is_empty() {
            problems.push(format!(
                "guests on nodes its zone does not reach: {}",
                outside.join(", ")
            ));
        }
        // A VLAN zone's vnet is also reached by NICs on the zone's bridge with the vnet's tag.
        let tagged = match (zone.and_then(|z| z.bridge.as_ref()), v.tag) {
            (Some(bridge), Some(tag)) if zone.is_some_and(|z| z.kind == "vlan") => attachments
                .iter()
                .filter(|a| &a.bridge == bridge && a.vlan.as_deref() == Some(&tag.to_string()))
                .count(),
            _ => 0,
        };
        out.push(NetLine {
            cluster: cluster.to_string(),
            kind: "vnet".into(),
            name: v.vnet.clone(),
            nodes,
            missing: Vec::new(),
            mtu: BTreeMap::new(),
            guests: guests_on(&v.vnet) + tagged,
            info: info.join(" · "),
            problems,
        });
    }

    // NICs on a bridge or vnet that nothing defines.
    let known: BTreeSet<&str> = out.iter().map(|l| l.name.as_str()).collect();
    let mut orphans: BTreeMap<&str, Vec<&Attachment>> = BTreeMap::new();
    for a in attachments
        .iter()
        .filter(|a| !known.contains(a.bridge.as_str()))
    {
        orphans.entry(&a.bridge).or_default().push(a);
    }
    for (bridge, list) in orphans {
        let who: Vec<String> = list
            .iter()
            .map(|a| format!("{} {}", a.vmid, a.name))
            .collect();
        out.push(NetLine {
            cluster: cluster.to_string(),
            kind: "bridge".into(),
            name: bridge.to_string(),
            nodes: Vec::new(),
            missing: answering.iter().map(|n| n.node.clone()).collect(),
            mtu: BTreeMap::new(),
            guests: list.len(),
            info: String::new(),
            problems: vec![format!(
                "no node has it, yet {} attach to it: they cannot start",
                who.join(", ")
            )],
        });
    }

    let rank = |l: &NetLine| {
        let kind = match l.kind.as_str() {
            "bridge" => 0,
            "vlan" => 1,
            "bond" => 2,
            "nic" => 3,
            "zone" => 5,
            "vnet" => 6,
            _ => 4,
        };
        (l.problems.is_empty(), kind, l.name.clone())
    };
    out.sort_by_key(rank);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(name: &str, ifaces: Value) -> NodeNet {
        NodeNet {
            node: name.into(),
            ifaces: parse_ifaces(&ifaces),
        }
    }

    fn attach(vmid: u32, node: &str, bridge: &str) -> Attachment {
        Attachment {
            vmid,
            name: format!("g{vmid}"),
            node: node.into(),
            key: "net0".into(),
            bridge: bridge.into(),
            vlan: None,
        }
    }

    #[test]
    fn a_bridge_missing_on_a_node_and_an_mtu_mismatch_are_flagged() {
        let full = json!([
            { "iface": "vmbr0", "type": "bridge", "active": 1, "bridge_ports": "bond0", "mtu": 9000 },
            { "iface": "vmbr1", "type": "bridge", "active": 1 },
            { "iface": "vmbr0.48", "type": "vlan", "active": 1, "vlan-id": 48, "mtu": 9000, "cidr": "10.8.48.11/24" }
        ]);
        let lacking = json!([
            { "iface": "vmbr0", "type": "bridge", "active": 1, "mtu": "9000" },
            { "iface": "vmbr0.48", "type": "vlan", "active": 1, "vlan-id": 48, "cidr": "10.8.48.12/24" }
        ]);
        let data = NetworkData {
            nodes: vec![node("pve1", full), node("pve2", lacking)],
            attachments: Some(vec![
                attach(100, "pve1", "vmbr1"),
                attach(101, "pve2", "vmbr7"),
            ]),
            ..NetworkData::default()
        };
        let rows = lines("lab", &data);
        let by = |n: &str| rows.iter().find(|l| l.name == n).unwrap();
        assert_eq!(
            by("vmbr1").problems,
            ["missing on pve2; its 1 guest NIC(s) cannot migrate there"]
        );
        assert_eq!(
            by("vmbr0.48").problems,
            ["MTU differs: 1500 on pve2; 9000 on pve1"]
        );
        assert_eq!(by("vmbr0.48").mtu_text(), "1500/9000");
        assert!(by("vmbr0").problems.is_empty());
        assert!(by("vmbr7").problems[0].contains("no node has it"));
        assert!(!rows[0].problems.is_empty(), "problems first");
        assert!(rows.last().unwrap().problems.is_empty());
    }

    #[test]
    fn vnets_carry_their_subnets_and_zone_reach() {
        let zones = parse_zones(
            &json!([{ "zone": "lab", "type": "vlan", "bridge": "vmbr0", "nodes": "pve1" }]),
        )
        .unwrap();
        let vnets =
            parse_vnets(&json!([{ "vnet": "iot", "zone": "lab", "tag": 28, "alias": "IoT" }]))
                .unwrap();
        let subnets = parse_subnets(
            "iot",
            &json!([{ "cidr": "10.8.28.0/24", "gateway": "10.8.28.1",
                      "dhcp-range": [{ "start-address": "10.8.28.100", "end-address": "10.8.28.200" }] }]),
        )
        .unwrap();
        let data = NetworkData {
            nodes: vec![
                node(
                    "pve1",
                    json!([{ "iface": "vmbr0", "type": "bridge", "active": 1 }]),
                ),
                node(
                    "pve2",
                    json!([{ "iface": "vmbr0", "type": "bridge", "active": 1 }]),
                ),
            ],
            zones,
            vnets,
            subnets,
            attachments: Some(vec![attach(100, "pve2", "iot")]),
            ..NetworkData::default()
        };
        let rows = lines("lab", &data);
        let iot = rows.iter().find(|l| l.name == "iot").unwrap();
        assert_eq!(
            iot.info,
            "zone lab · tag 28 · IoT · 10.8.28.0/24 gw 10.8.28.1 dhcp 10.8.28.100-10.8.28.200"
        );
        assert_eq!(iot.guests, 1);
        assert_eq!(
            iot.problems,
            ["guests on nodes its zone does not reach: 100 g100 on pve2"]
        );
    }
}
