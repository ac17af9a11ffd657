//! Resource mappings (device pools) and SDN zones, vnets and subnets.

use rack_pve::propstr::PropString;
use serde_json::{Value, json};

use super::Call;
use super::mapping::mappings;
use crate::http::ApiError;

pub fn route(c: &mut Call, method: &str, path: &str) -> Option<Result<Value, ApiError>> {
    Some(match (method, path) {
        ("GET", "/cluster/mapping/pci") => mappings(c, true),
        ("GET", "/cluster/mapping/usb") => mappings(c, false),
        ("GET", "/cluster/sdn/zones") => Ok(zones(c)),
        ("GET", "/cluster/sdn/vnets") => Ok(vnets(c)),
        ("GET", "/cluster/sdn/vnets/{vnet}/subnets") => subnets(c),
        _ => return None,
    })
}

fn zones(c: &Call) -> Value {
    let filter = c.param("type");
    Value::Array(
        c.world()
            .sdn
            .zones
            .iter()
            .filter(|z| filter.is_none_or(|t| z.kind == t))
            .map(|z| {
                let mut item = json!({ "zone": z.zone, "type": z.kind, "digest": format!("{:040x}", z.zone.len() * 31) });
                for (k, v) in [("bridge", &z.bridge), ("nodes", &z.nodes), ("ipam", &z.ipam)] {
                    if let Some(v) = v {
                        item[k] = json!(v);
                    }
                }
                if let Some(mtu) = z.mtu {
                    item["mtu"] = json!(mtu);
                }
                item
            })
            .collect(),
    )
}

fn vnets(c: &Call) -> Value {
    Value::Array(
        c.world()
            .sdn
            .vnets
            .iter()
            .map(|v| {
                let mut item = json!({ "vnet": v.vnet, "type": "vnet", "zone": v.zone, "digest": format!("{:040x}", v.vnet.len() * 37) });
                if let Some(tag) = v.tag {
                    item["tag"] = json!(tag);
                }
                if let Some(alias) = &v.alias {
                    item["alias"] = json!(alias);
                }
                if v.vlanaware {
                    item["vlanaware"] = json!(1);
                }
                item
            })
            .collect(),
    )
}

fn subnets(c: &Call) -> Result<Value, ApiError> {
    let w = c.world();
    let vnet = c.var("vnet");
    let v = w
        .sdn
        .vnets
        .iter()
        .find(|v| v.vnet == vnet)
        .ok_or_else(|| ApiError::fail(format!("sdn vnet '{vnet}' does not exist")))?;
    Ok(Value::Array(
        w.sdn
            .subnets
            .iter()
            .filter(|s| s.vnet == v.vnet)
            .map(|s| {
                let zone = &v.zone;
                let id = format!("{zone}-{}", s.subnet.replace('/', "-"));
                let (network, mask) = s.subnet.split_once('/').unwrap_or((&s.subnet, "24"));
                let mut item = json!({
                    "id": id, "subnet": id, "cidr": s.subnet, "network": network, "mask": mask,
                    "type": "subnet", "vnet": s.vnet, "zone": zone,
                    "digest": format!("{:040x}", s.subnet.len() * 41),
                });
                if let Some(gw) = &s.gateway {
                    item["gateway"] = json!(gw);
                }
                if s.snat {
                    item["snat"] = json!(1);
                }
                {
                    // Stored as property strings; Proxmox answers each range as an object, and
                    // an empty list where there is none.
                    let ranges: Vec<Value> = s
                        .dhcp_range
                        .iter()
                        .map(|r| {
                            let p = PropString::parse(r, "start-address");
                            json!({
                                "start-address": p.get("start-address").unwrap_or_default(),
                                "end-address": p.get("end-address").unwrap_or_default(),
                            })
                        })
                        .collect();
                    item["dhcp-range"] = json!(ranges);
                }
                if let Some(dns) = &s.dhcp_dns_server {
                    item["dhcp-dns-server"] = json!(dns);
                }
                item
            })
            .collect(),
    ))
}
