//! Reading Proxmox's answers about networks: node interfaces, SDN zones, vnets and subnets, as
//! any version sends them (numbers as strings, booleans as 0/1, fields missing).

use serde_json::Value;

use super::{Iface, Subnet, Vnet, Zone};
use crate::model::text::clean;
use crate::pve::de::{bool_of, number_of};
use crate::pve::propstr::PropString;

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(clean(s.trim())),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn num(v: &Value) -> Option<u64> {
    number_of(v).map(|n| n.max(0.0) as u64)
}

fn truthy(v: &Value) -> bool {
    bool_of(v).unwrap_or(false)
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
                ports: text(&i["bridge_ports"])
                    .or_else(|| text(&i["slaves"]))
                    .or_else(|| text(&i["ovs_ports"]))
                    .or_else(|| text(&i["ovs_bonds"])),
                vlan_id: num(&i["vlan-id"]).or_else(|| num(&i["ovs_tag"])),
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
                            // Proxmox sends each range as an object; some releases sent the
                            // property string it is stored as.
                            Value::String(t) => {
                                let p = PropString::parse(t, "start-address");
                                match (p.get("start-address"), p.get("end-address")) {
                                    (Some(a), Some(b)) => Some(clean(&format!("{a}-{b}"))),
                                    _ => Some(clean(t)),
                                }
                            }
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
