//! What the mapped devices a guest asks for need: a device on its node that no other running
//! guest holds, and holders that could be read.

use super::{DeviceData, Devices, Holder, PoolDevice};
use crate::sched::DeviceAsk;

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

/// Why a VM cannot start on a node with its mapped devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocker {
    /// Every device there is held by another running guest: it may go there, not start there
    /// now. Otherwise a mapping has no device there at all (or does not exist).
    pub in_use: bool,
    pub why: String,
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
    start_check(devices, vmid, node, entries).map(|b| b.why)
}

/// `start_blocker`, saying which kind of reason it is.
pub fn start_check(
    devices: &Devices,
    vmid: u32,
    node: &str,
    entries: &[(String, String)],
) -> Option<Blocker> {
    let not_there = |why: String| Some(Blocker { in_use: false, why });
    for (key, mapping) in entries {
        let Some(pool) = devices.pools.iter().find(|p| &p.id == mapping) else {
            return not_there(format!("{key}: no resource mapping '{mapping}'"));
        };
        let here: Vec<&PoolDevice> = pool.devices.iter().filter(|d| d.node == node).collect();
        if here.is_empty() {
            return not_there(format!(
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
            return Some(Blocker {
                in_use: true,
                why: format!(
                    "{key}: every device of mapping '{mapping}' on {node} is in use by {}",
                    by.join(", ")
                ),
            });
        }
    }
    None
}

/// Where a VM with these mapped entries (a restore's) should go among `candidates`: `preferred`
/// (its own node) when it could start there, else the first where it could; when every device
/// is in use, the first that has one (it can be restored there, not started); `Err` with each
/// node's reason when no candidate has a device of every mapping.
pub fn device_node(
    devices: &Devices,
    vmid: u32,
    candidates: &[String],
    preferred: Option<&str>,
    entries: &[(String, String)],
) -> Result<String, String> {
    let blocker = |n: &str| start_check(devices, vmid, n, entries);
    let free = preferred
        .filter(|p| candidates.iter().any(|c| c == p) && blocker(p).is_none())
        .map(str::to_string)
        .or_else(|| candidates.iter().find(|c| blocker(c).is_none()).cloned());
    if let Some(node) = free {
        return Ok(node);
    }
    let reasons: Vec<(String, Blocker)> = candidates
        .iter()
        .filter_map(|c| Some((c.clone(), blocker(c)?)))
        .collect();
    // In use is no reason not to restore there; no device there is.
    if let Some((node, _)) = reasons.iter().find(|(_, b)| b.in_use) {
        return Ok(node.clone());
    }
    let said: Vec<String> = reasons
        .iter()
        .map(|(n, b)| format!("{n}: {}", b.why))
        .collect();
    Err(if said.is_empty() {
        "no online node to put it on".into()
    } else {
        format!("no node can hold its devices ({})", said.join("; "))
    })
}

/// Whether devices asked for can be placed from what was read: each pool or class named exists
/// (else the pools there are), and who holds the devices is known — a device whose holder
/// could not be read is never handed out as free.
pub fn check_asks(devices: &Devices, data: &DeviceData, asks: &[DeviceAsk]) -> Result<(), String> {
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
