//! Guests' addresses: which to read in a refresh, and reading one. A VM's come from its guest
//! agent, a container's from inside it; "agent not running" is what the guest is, not a failed
//! request, so these reads go past the client's failure count unless they really failed.

use std::collections::HashSet;

use crate::model::addresses::Addresses;
use crate::model::{ClusterSnapshot, Focus};
use crate::pve::Client;
use crate::pve::endpoints::nodes;
use crate::pve::types::{AgentInterfaces, GuestInterface, ResourceKind};

/// (node, "qemu"|"lxc", vmid) of the guests whose addresses this refresh reads: the focused
/// guest when its details are due, and every running guest when the sweep is due and there are
/// at most `sweep` of them.
pub fn to_read(
    snap: &ClusterSnapshot,
    focus: &Focus,
    sweep: Option<usize>,
    online: &[String],
) -> Vec<(String, String, u32)> {
    let Some(list) = snap.resources.get() else {
        return Vec::new();
    };
    let online: HashSet<&str> = online.iter().map(String::as_str).collect();
    let running = || {
        list.iter()
            .filter(|r| matches!(r.kind, ResourceKind::Qemu | ResourceKind::Lxc))
            .filter(|r| r.status.as_deref() == Some("running") && r.template != Some(true))
            .filter_map(|r| {
                let node = r.node.as_deref().filter(|n| online.contains(n))?;
                Some((node, r.kind, r.vmid?))
            })
    };
    // Counted before anything is built: at 10,000 guests the sweep is off, and the focused
    // guest is the one row wanted out of them.
    let whole = sweep.is_some_and(|most| running().count() <= most);
    let focused = focus.guest.as_ref().map(|(_, _, v)| *v);
    running()
        .filter(|(_, _, vmid)| whole || Some(*vmid) == focused)
        .map(|(node, kind, vmid)| {
            let kind = if kind == ResourceKind::Lxc {
                "lxc"
            } else {
                "qemu"
            };
            (node.to_string(), kind.to_string(), vmid)
        })
        .collect()
}

/// One guest's addresses.
pub async fn read(client: &Client, node: &str, kind: &str, vmid: u32) -> Addresses {
    let answer = if kind == "lxc" {
        client
            .probe::<Option<Vec<GuestInterface>>>(&nodes::lxc_interfaces(node, vmid))
            .await
            .map(|list| list.map_or(Addresses::NotRunning, Addresses::Known))
    } else {
        client
            .probe::<AgentInterfaces>(&nodes::agent_interfaces(node, vmid))
            .await
            .map(|a| Addresses::Known(a.result))
    };
    answer.unwrap_or_else(|e| {
        let known = Addresses::from_error(&e.proxmox_text());
        if matches!(known, Addresses::Unreadable(_)) {
            client.note_failure(format!("addresses of {vmid}: {}", e.proxmox_text()));
        }
        known
    })
}

/// Addresses of guests that are gone or stopped are not kept.
pub fn forget_gone(snap: &mut ClusterSnapshot) {
    let Some(list) = snap.resources.get() else {
        return;
    };
    let running: std::collections::BTreeSet<u32> = list
        .iter()
        .filter(|r| r.status.as_deref() == Some("running"))
        .filter_map(|r| r.vmid)
        .collect();
    snap.addresses.retain(|vmid, _| running.contains(vmid));
}
