//! Guests' network addresses: what a VM's guest agent and a container's `interfaces` report, and
//! what `ip -br a` inside them prints. Taken from the config where it says (`ip=` of a
//! container's netN, a VM's `ipconfigN`), otherwise derived from the VMID and the VLAN so that
//! every run shows the same addresses.

use serde_json::{Value, json};

use rack_pve::propstr::PropString;

use crate::scenario::GuestKind;
use crate::world::Guest;

#[derive(Debug, Clone, PartialEq)]
pub struct GuestInterface {
    pub name: String,
    pub mac: String,
    /// (address, prefix) pairs: IPv4 first, then IPv6.
    pub ipv4: Vec<(String, u8)>,
    pub ipv6: Vec<(String, u8)>,
}

/// Every interface a running guest has, loopback first.
pub fn guest_interfaces(g: &Guest) -> Vec<GuestInterface> {
    let mut out = vec![GuestInterface {
        name: "lo".into(),
        mac: "00:00:00:00:00:00".into(),
        ipv4: vec![("127.0.0.1".into(), 8)],
        ipv6: vec![("::1".into(), 128)],
    }];
    for index in 0..8u32 {
        let Some(net) = g.config.get(&format!("net{index}")) else {
            continue;
        };
        let mac = mac_of(net).unwrap_or_else(|| {
            format!(
                "BC:24:11:{:02X}:{:02X}:{:02X}",
                g.vmid / 256 % 256,
                g.vmid % 256,
                index
            )
        });
        let name = match g.kind {
            GuestKind::Lxc => prop(net, "name").unwrap_or_else(|| format!("eth{index}")),
            GuestKind::Qemu => format!("ens{}", 18 + index),
        };
        let configured = match g.kind {
            GuestKind::Lxc => prop(net, "ip"),
            GuestKind::Qemu => g
                .config
                .get(&format!("ipconfig{index}"))
                .and_then(|c| prop(c, "ip")),
        };
        let ipv4 = match configured.as_deref().and_then(parse_cidr) {
            Some(cidr) => cidr,
            None => {
                let vlan: u32 = prop(net, "tag").and_then(|t| t.parse().ok()).unwrap_or(16);
                let host = 100 + (g.vmid * 7 + index) % 150;
                (format!("10.8.{}.{host}", vlan.min(255)), 24)
            }
        };
        out.push(GuestInterface {
            name,
            ipv6: vec![(link_local(&mac), 64)],
            mac: mac.to_ascii_lowercase(),
            ipv4: vec![ipv4],
        });
    }
    out
}

fn prop(text: &str, key: &str) -> Option<String> {
    PropString::parse(text, "").get(key).map(str::to_string)
}

fn mac_of(net: &str) -> Option<String> {
    if let Some(mac) = prop(net, "hwaddr") {
        return Some(mac);
    }
    // A VM's model=MAC, the first item.
    let first = net.split(',').next()?;
    let (_, mac) = first.split_once('=')?;
    (mac.len() == 17).then(|| mac.to_string())
}

fn parse_cidr(text: &str) -> Option<(String, u8)> {
    let (ip, prefix) = text.split_once('/')?;
    let ok = ip.split('.').count() == 4 && ip.split('.').all(|o| o.parse::<u8>().is_ok());
    ok.then(|| (ip.to_string(), prefix.parse().unwrap_or(24)))
}

/// The EUI-64 link-local address of a MAC, as the kernel forms it.
fn link_local(mac: &str) -> String {
    let b: Vec<u8> = mac
        .split(':')
        .filter_map(|x| u8::from_str_radix(x, 16).ok())
        .collect();
    if b.len() != 6 {
        return "fe80::1".into();
    }
    format!(
        "fe80::{:x}:{:x}:{:x}:{:x}",
        u16::from_be_bytes([b[0] ^ 0x02, b[1]]),
        u16::from_be_bytes([b[2], 0xff]),
        u16::from_be_bytes([0xfe, b[3]]),
        u16::from_be_bytes([b[4], b[5]])
    )
}

/// An interface's `ip-addresses`, IPv4 first; the agent names the families ipv4/ipv6, `ip`
/// inet/inet6.
fn address_list(iface: &GuestInterface, families: [&str; 2]) -> Vec<Value> {
    let v4 = iface.ipv4.iter().map(|a| (a, families[0]));
    let v6 = iface.ipv6.iter().map(|a| (a, families[1]));
    v4.chain(v6)
        .map(|((ip, prefix), family)| {
            json!({ "ip-address": ip, "ip-address-type": family, "prefix": prefix })
        })
        .collect()
}

/// `agent/network-get-interfaces`'s `result`, as qemu-guest-agent reports it.
pub fn agent_interfaces(g: &Guest, uptime: f64) -> Value {
    let list: Vec<Value> = guest_interfaces(g)
        .iter()
        .enumerate()
        .map(|(i, iface)| {
            let addrs = address_list(iface, ["ipv4", "ipv6"]);
            let traffic = (uptime.max(0.0) * (1_000.0 + 250.0 * i as f64)) as u64;
            json!({
                "name": iface.name,
                "hardware-address": iface.mac,
                "ip-addresses": addrs,
                "statistics": {
                    "rx-bytes": traffic, "rx-packets": traffic / 900, "rx-errs": 0, "rx-dropped": 0,
                    "tx-bytes": traffic / 3, "tx-packets": traffic / 2_700, "tx-errs": 0, "tx-dropped": 0,
                },
            })
        })
        .collect();
    json!({ "result": list })
}

/// `lxc/{vmid}/interfaces`, as `ip --json a` inside the container gives it.
pub fn lxc_interfaces(g: &Guest) -> Value {
    let list: Vec<Value> = guest_interfaces(g)
        .iter()
        .map(|iface| {
            let addrs = address_list(iface, ["inet", "inet6"]);
            let mut item = json!({
                "name": iface.name,
                "hwaddr": iface.mac,
                "hardware-address": iface.mac,
                "ip-addresses": addrs,
            });
            if let Some((ip, p)) = iface.ipv4.last() {
                item["inet"] = json!(format!("{ip}/{p}"));
            }
            if let Some((ip, p)) = iface.ipv6.last() {
                item["inet6"] = json!(format!("{ip}/{p}"));
            }
            item
        })
        .collect();
    Value::Array(list)
}
