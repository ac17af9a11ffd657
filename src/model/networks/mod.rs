//! Networks across a cluster: each node's interfaces (bridges, bonds, VLANs, NICs), the SDN
//! zones, vnets and subnets, and which guests attach where — folded into one row per network
//! name with what breaks migrations flagged: a bridge or vnet some nodes lack, MTUs that differ,
//! a guest on a bridge no node has or on a node its vnet's zone does not reach. Pure.

use std::collections::{BTreeMap, BTreeSet};

use std::time::SystemTime;

use serde::Serialize;

mod parse;

use crate::model::partial::{Partial, Previous};
pub use parse::{parse_ifaces, parse_subnets, parse_vnets, parse_zones};

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
    /// What keeps parts from being read at all, in words (too many guests).
    pub problems: Vec<String>,
    /// Parts whose read failed (`interfaces of NODE`, `SDN zones`, `SDN vnets`, `subnets of
    /// VNET`, `config of VMID`): shown as last read, or unknown.
    pub partial: Partial,
}

/// The part a node's interface list is.
pub fn ifaces_part(node: &str) -> String {
    format!("interfaces of {node}")
}

/// The part a guest's config (its NICs) is.
pub fn config_part(vmid: u32) -> String {
    format!("config of {vmid}")
}

/// The part a vnet's subnets are.
pub fn subnets_part(vnet: &str) -> String {
    format!("subnets of {vnet}")
}

impl NetworkData {
    /// Keep the previous read's interfaces, zones, vnets, subnets and guest NICs where this
    /// read's failed.
    pub fn keep_last_good(&mut self, old: &NetworkData, old_at: SystemTime) {
        let (p, was) = (&mut self.partial, &old.partial);
        for n in &mut self.nodes {
            if let Some(o) = old.nodes.iter().find(|o| o.node == n.node) {
                p.carry(
                    &ifaces_part(&n.node),
                    &mut n.ifaces,
                    &Previous::of(&o.ifaces, was, old_at),
                );
            }
        }
        p.carry(
            "SDN zones",
            &mut self.zones,
            &Previous::of(&old.zones, was, old_at),
        );
        p.carry(
            "SDN vnets",
            &mut self.vnets,
            &Previous::of(&old.vnets, was, old_at),
        );
        for v in &self.vnets {
            let part = subnets_part(&v.vnet);
            if p.get(&part).is_some() {
                let before: Vec<Subnet> = old
                    .subnets
                    .iter()
                    .filter(|s| s.vnet == v.vnet)
                    .cloned()
                    .collect();
                let mut kept = Vec::new();
                p.carry(&part, &mut kept, &Previous::of(&before, was, old_at));
                self.subnets.extend(kept);
            }
        }
        if let (Some(now), Some(before)) = (&mut self.attachments, &old.attachments) {
            let vmids: BTreeSet<u32> = before.iter().map(|a| a.vmid).collect();
            for vmid in vmids {
                let part = config_part(vmid);
                if p.get(&part).is_some() {
                    let nics: Vec<Attachment> =
                        before.iter().filter(|a| a.vmid == vmid).cloned().collect();
                    let mut kept = Vec::new();
                    p.carry(&part, &mut kept, &Previous::of(&nics, was, old_at));
                    now.extend(kept);
                }
            }
            now.sort_by(|a, b| (a.vmid, &a.key).cmp(&(b.vmid, &b.key)));
        }
    }

    /// Guests whose NICs are unknown: their configs were never read.
    fn unknown_configs(&self) -> Vec<String> {
        self.partial
            .iter()
            .filter(|s| s.read_at.is_none() && s.part.starts_with("config of "))
            .map(|s| s.part.clone())
            .collect()
    }
}

/// One row of the networks pane (and of `rack get networks`): a network by name, across nodes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkRow {
    pub cluster: String,
    /// bridge, bond, vlan, nic, zone, vnet, or the interface type Proxmox gives.
    pub kind: String,
    pub name: String,
    /// Nodes that have it.
    pub nodes: Vec<String>,
    /// Answering nodes that do not.
    pub missing: Vec<String>,
    /// Online nodes whose interfaces could not be read: whether they have it is unknown.
    pub unknown: Vec<String>,
    /// MTU per node that has it (1500 when not set).
    pub mtu: BTreeMap<String, u64>,
    /// Guests with a NIC attached to it.
    pub guests: usize,
    /// What the row could not take into account, because its read failed and was never good
    /// (`interfaces of pve-ms01-02`, `config of 111`): its counts are a lower bound.
    pub stale: Vec<String>,
    /// Addresses, ports, VLAN, subnets, in one line.
    pub info: String,
    /// What breaks migrations or traffic, in words.
    pub problems: Vec<String>,
}

impl NetworkRow {
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

    /// Whether some of what it counts is unknown (a node's interfaces, a guest's config).
    pub fn uncertain(&self) -> bool {
        !self.stale.is_empty()
    }

    /// `9000`, or `1500/9000` when they differ.
    pub fn mtu_text(&self) -> String {
        let set: BTreeSet<u64> = self.mtu.values().copied().collect();
        set.iter().map(u64::to_string).collect::<Vec<_>>().join("/")
    }
}

/// `3/3`; `2/3?` when the third node's interfaces are unknown (or a vnet's zone, so its
/// nodes, is).
pub fn nodes_text(l: &NetworkRow) -> String {
    let total = l.nodes.len() + l.missing.len() + l.unknown.len();
    let zone_unknown = l.stale.iter().any(|p| p == "SDN zones");
    let mark = if l.unknown.is_empty() && !zone_unknown {
        ""
    } else {
        "?"
    };
    format!("{}/{total}{mark}", l.nodes.len())
}

/// `4`; `≥4` when some guests' configs (or a vnet's zone, whose tagged NICs count) are
/// unknown, so more may attach.
pub fn guests_text(l: &NetworkRow) -> String {
    if l.stale
        .iter()
        .any(|p| p.starts_with("config of ") || p == "SDN zones")
    {
        format!("≥{}", l.guests)
    } else {
        l.guests.to_string()
    }
}

fn kind_of(kind: &str) -> &str {
    match kind {
        "bridge" | "OVSBridge" => "bridge",
        "bond" | "OVSBond" => "bond",
        "vlan" | "OVSIntPort" => "vlan",
        "eth" | "OVSPort" => "nic",
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
pub fn lines(cluster: &str, data: &NetworkData) -> Vec<NetworkRow> {
    let answering: Vec<&NodeNet> = data.nodes.iter().filter(|n| n.ifaces.is_ok()).collect();
    let mut all_nodes: Vec<String> = data.nodes.iter().map(|n| n.node.clone()).collect();
    all_nodes.extend(data.offline.iter().cloned());
    all_nodes.sort();
    let attachments = data.attachments.as_deref().unwrap_or_default();
    // Guests, not NICs: a guest with two NICs on a bridge is one guest on it.
    let guests_on = |name: &str| {
        attachments
            .iter()
            .filter(|a| a.bridge == name)
            .map(|a| a.vmid)
            .collect::<BTreeSet<u32>>()
            .len()
    };
    // What was never read: nothing is concluded from its absence.
    let unknown_nodes: Vec<String> = data
        .nodes
        .iter()
        .filter(|n| n.ifaces.is_err())
        .map(|n| n.node.clone())
        .collect();
    let unknown_ifaces: Vec<String> = unknown_nodes.iter().map(|n| ifaces_part(n)).collect();
    let unknown_configs = data.unknown_configs();
    let zones_unknown = data.partial.unknown("SDN zones");
    let vnets_unknown = data.partial.unknown("SDN vnets");

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
        out.push(NetworkRow {
            cluster: cluster.to_string(),
            kind,
            name: name.to_string(),
            nodes,
            missing,
            unknown: unknown_nodes.clone(),
            mtu,
            guests,
            stale: [unknown_ifaces.clone(), unknown_configs.clone()].concat(),
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
        let unknown: Vec<String> = unknown_nodes
            .iter()
            .filter(|n| nodes.contains(n))
            .cloned()
            .collect();
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
        out.push(NetworkRow {
            cluster: cluster.to_string(),
            kind: "zone".into(),
            name: z.zone.clone(),
            nodes,
            missing: Vec::new(),
            stale: unknown.iter().map(|n| ifaces_part(n)).collect(),
            unknown,
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
        let mut stale = unknown_configs.clone();
        if zones_unknown {
            stale.insert(0, "SDN zones".to_string());
        } else if zone.is_none() {
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
        let tagged = |a: &&Attachment| match (zone.and_then(|z| z.bridge.as_ref()), v.tag) {
            (Some(bridge), Some(tag)) if zone.is_some_and(|z| z.kind == "vlan") => {
                &a.bridge == bridge && a.vlan.as_deref() == Some(&tag.to_string())
            }
            _ => false,
        };
        let guests = attachments
            .iter()
            .filter(|a| a.bridge == v.vnet || tagged(a))
            .map(|a| a.vmid)
            .collect::<BTreeSet<u32>>()
            .len();
        out.push(NetworkRow {
            cluster: cluster.to_string(),
            kind: "vnet".into(),
            name: v.vnet.clone(),
            nodes,
            missing: Vec::new(),
            unknown: Vec::new(),
            mtu: BTreeMap::new(),
            guests,
            stale,
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
        // It may be a vnet, or a bridge on a node not read: then it is not concluded missing.
        let mut stale = unknown_ifaces.clone();
        if vnets_unknown {
            stale.insert(0, "SDN vnets".to_string());
        }
        let (info, problems) = if stale.is_empty() {
            let problem = format!(
                "no node has it, yet {} attach to it: they cannot start",
                who.join(", ")
            );
            (String::new(), vec![problem])
        } else {
            let info = format!("not on the nodes read; {} attach to it", who.join(", "));
            (info, Vec::new())
        };
        let guests = list.iter().map(|a| a.vmid).collect::<BTreeSet<u32>>().len();
        out.push(NetworkRow {
            cluster: cluster.to_string(),
            kind: "bridge".into(),
            name: bridge.to_string(),
            nodes: Vec::new(),
            missing: answering.iter().map(|n| n.node.clone()).collect(),
            unknown: unknown_nodes.clone(),
            mtu: BTreeMap::new(),
            guests,
            stale: [stale, unknown_configs.clone()].concat(),
            info,
            problems,
        });
    }

    let rank = |l: &NetworkRow| {
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
mod tests;
