//! The questions the migrate dialog waits on, asked of the clusters: where a guest may go in
//! its own cluster (Proxmox's precondition check), and where it would go on another's node.

use crate::actions::{self, GuestRef, precheck, remote};
use crate::console::Event;
use crate::pve::Client;

/// Proxmox's answer on where `guest` of cluster `cluster` (index) may migrate.
pub async fn migration_check(client: &Client, cluster: usize, guest: &GuestRef) -> Event {
    let answer = client
        .get::<serde_json::Value>(&format!("{}/migrate", guest.path()))
        .await;
    let result = match answer {
        Ok(a) => {
            let rules = actions::precheck_rules(client, &a).await;
            Ok(precheck::targets_named(
                &a,
                &guest.node,
                &guest.sid(),
                &rules,
            ))
        }
        Err(e) => Err(e.proxmox_text()),
    };
    Event::MigrationCheck {
        cluster,
        vmid: guest.vmid,
        result,
    }
}

/// Where `guest` of cluster `cluster` would go on `node` of cluster `to` (a remote migration's
/// VMID, storages and bridges), or why not; `clients` are the two clusters' (None: not
/// connected).
pub async fn remote_placed(
    clients: (Option<Client>, Option<Client>),
    cluster: usize,
    guest: GuestRef,
    to: usize,
    node: String,
) -> Event {
    let result = match clients {
        (Some(source), Some(target)) => {
            let wanted = remote::Wanted::default();
            remote::place(&source, &target, &guest, &node, &wanted).await
        }
        _ => Err("one of the two clusters has no connection".into()),
    };
    Event::RemotePlaced {
        cluster,
        vmid: guest.vmid,
        to,
        node,
        result,
    }
}
