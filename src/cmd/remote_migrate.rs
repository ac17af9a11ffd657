//! `rack migrate VMID --to CLUSTER/NODE`: a guest to another configured cluster.

use super::act::{self, Conn};
use super::error::CmdError;
use crate::actions::Request;
use crate::actions::remote::{self, RemoteMigration, Wanted};
use crate::cli::MigrateArgs;
use crate::model::GuestKind;

/// The request, with what is not given chosen from both clusters (`remote::place`); refused
/// before anything is sent where Proxmox would refuse it.
pub async fn request(
    conns: &[Conn],
    a: &MigrateArgs,
    only: Option<&str>,
) -> Result<(usize, Request), CmdError> {
    let (cluster, node) =
        a.to.split_once('/')
            .filter(|(c, n)| !c.is_empty() && !n.is_empty())
            .ok_or_else(|| format!("--to \"{}\": CLUSTER/NODE", a.to))?;
    let Some(t) = conns.iter().position(|c| c.config.name == cluster) else {
        let known: Vec<String> = conns
            .iter()
            .map(|c| format!("\"{}\"", c.config.name))
            .collect();
        return Err(format!(
            "--to {}: no cluster named \"{cluster}\"; the clusters are {}",
            a.to,
            known.join(", ")
        )
        .into());
    };
    if only == Some(cluster) {
        return Err(format!("--cluster {cluster} is where the guest goes, not where it is").into());
    }
    let (i, guest, resource) = act::find_guest_where(conns, a.vmid, |c| {
        c.config.name != cluster && only.is_none_or(|o| c.config.name == o)
    })
    .await?;
    // Proxmox refuses any HA resource here, `ignored` ones too.
    if resource.hastate.as_deref().is_some_and(|s| !s.is_empty()) {
        return Err(remote::ha_refusal(&guest).into());
    }
    let running = resource.status.as_deref() == Some("running");
    if running && a.offline {
        return Err(format!(
            "{} runs: a remote migration of a running guest is {}; stop it first for an offline one",
            guest.label(),
            match guest.kind {
                GuestKind::Qemu => "live",
                GuestKind::Lxc => "a restart on the target",
            }
        )
        .into());
    }
    let wanted = Wanted {
        target_vmid: a.target_vmid,
        storage: a.target_storage.clone(),
        bridge: a.target_bridge.clone(),
    };
    let placed = remote::place(&conns[i].client, &conns[t].client, &guest, node, &wanted)
        .await
        .map_err(|e| format!("{}: {e}", a.to))?;
    Ok((
        i,
        Request::RemoteMigrate(RemoteMigration {
            guest,
            cluster: cluster.to_string(),
            node: node.to_string(),
            target_vmid: placed.target_vmid,
            storage: placed.storage,
            bridge: placed.bridge,
            online: running,
            keep_source: a.keep_source,
        }),
    ))
}
