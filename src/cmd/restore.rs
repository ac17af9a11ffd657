//! `rack restore VMID`: one of a guest's backups restored as a new guest beside it, or a
//! destroyed guest brought back from its backup — the request the Backups pane's form makes,
//! with its defaults and checks.

use super::error::CmdError;
use crate::actions::{GuestRef, Request, RestoreSpec, catalog};
use crate::cli::RestoreArgs;
use crate::model::backups::archive_kind;
use crate::model::text::clean;
use crate::model::{GuestKind, devices, validate};
use crate::poll;
use crate::pve::endpoints::cluster;
use crate::pve::types::{ClusterResource, ResourceKind, StorageVolume};

use super::act::Conn;

/// What one cluster knows of the VMID: its guest if it still exists, and its backups.
struct Found {
    cluster: usize,
    resources: Vec<ClusterResource<'static>>,
    guest: Option<GuestRef>,
    backups: Vec<(String, StorageVolume)>,
}

/// The restore `a` asks for, and the index of the cluster it goes to.
pub async fn request(a: &RestoreArgs, conns: &[Conn]) -> Result<(usize, Request), CmdError> {
    let found = find(conns, a.vmid).await?;
    let Found {
        cluster,
        resources,
        guest,
        mut backups,
    } = found;
    backups.sort_by_key(|(_, v)| std::cmp::Reverse(v.ctime));
    let (storage_of_archive, archive) = match &a.archive {
        Some(wanted) => backups
            .iter()
            .find(|(_, v)| v.volid == *wanted)
            .ok_or_else(|| {
                let known: Vec<String> = backups.iter().map(|(_, v)| clean(&v.volid)).collect();
                format!(
                    "VMID {} has no backup \"{}\"; its backups are: {}",
                    a.vmid,
                    clean(wanted),
                    known.join(", ")
                )
            })?,
        None => backups.first().ok_or("no backup")?,
    };
    let kind = match (&guest, archive_kind(archive)) {
        (Some(g), _) => g.kind,
        (None, Some(kind)) => kind,
        (None, None) => {
            return Err(format!(
                "{} does not say whether it holds a VM or a container",
                clean(&archive.volid)
            )
            .into());
        }
    };
    let gone = guest.is_none();
    let taken = |vmid: u32| {
        resources
            .iter()
            .find(|r| {
                matches!(r.kind, ResourceKind::Qemu | ResourceKind::Lxc) && r.vmid == Some(vmid)
            })
            .map(|r| clean(r.name.as_deref().unwrap_or_default()))
    };
    let vmid = match a.newid {
        Some(id) => {
            if let Some(name) = taken(id) {
                return Err(format!("--newid: VMID {id} is taken by {name}").into());
            }
            validate::vmid(&id.to_string()).map_err(|e| format!("--newid: {e}"))?;
            id
        }
        None if gone && taken(a.vmid).is_none() => a.vmid,
        None => super::verbs::next_id(&conns[cluster]).await?,
    };
    let name = match (&a.name, &guest) {
        (Some(n), _) => {
            validate::dns_name(n).map_err(|e| format!("--name: {e}"))?;
            n.clone()
        }
        (None, Some(g)) if !g.name.is_empty() => format!("{}-restored", g.name),
        // Proxmox keeps the name the backup carries.
        (None, _) => String::new(),
    };
    let mut node = node(a, &resources, guest.as_ref(), storage_of_archive)?;
    if kind == GuestKind::Qemu {
        let conn = &conns[cluster];
        let devices = Devices {
            conn,
            resources: &resources,
            reaching: reaching(&resources, storage_of_archive)
                .into_iter()
                .map(str::to_string)
                .collect(),
        };
        node = devices
            .place(a, &node, guest.as_ref(), &archive.volid, vmid)
            .await?;
    }
    if let Some(s) = &a.storage {
        check_storage(&resources, &node, s, kind)?;
    }
    let source = guest.unwrap_or_else(|| GuestRef {
        node: String::new(),
        kind,
        vmid: a.vmid,
        name: archive
            .notes
            .as_deref()
            .and_then(|n| n.lines().next())
            .map(clean)
            .unwrap_or_default(),
    });
    let spec = RestoreSpec {
        source,
        archive: archive.volid.clone(),
        node,
        vmid,
        name,
        storage: a.storage.clone(),
        // Beside the original the copy needs its own MACs; in place of a guest that is gone,
        // its own keep its DHCP leases and the firewall rules that name them.
        unique: if a.new_macs || a.keep_macs {
            a.new_macs
        } else {
            !gone
        },
        start: a.start,
    };
    Ok((cluster, Request::Restore(Box::new(spec))))
}

/// What placing a VM backup with mapped devices needs: where the archive can be read from.
struct Devices<'a> {
    conn: &'a Conn,
    resources: &'a [ClusterResource<'static>],
    /// Online nodes that reach the archive's storage.
    reaching: Vec<String>,
}

impl Devices<'_> {
    /// The node for a VM whose backup maps devices, as create places one: `--node` when its
    /// mappings have a device there (free, with `--start`); else `chosen` (the guest's own
    /// node) when it could start there, else the first node where it could.
    async fn place(
        &self,
        a: &RestoreArgs,
        chosen: &str,
        guest: Option<&GuestRef>,
        volid: &str,
        vmid: u32,
    ) -> Result<String, CmdError> {
        let client = &self.conn.client;
        let entries = catalog::archive_devices(client, chosen, volid)
            .await
            .map_err(|e| format!("cannot read the backup's config: {}", e.proxmox_text()))?;
        if entries.is_empty() {
            return Ok(chosen.to_string());
        }
        let data = catalog::device_data(client, self.resources).await;
        if !data.unknown_holders.is_empty() {
            return Err(format!(
                "its backup maps devices, and which are free cannot be told: {} (try again once \
                 it can be read)",
                data.unknown_holders.join("; ")
            )
            .into());
        }
        let view = devices::devices_with(&data, &self.conn.config.devices);
        if let Some(n) = &a.node {
            return match devices::start_check(&view, vmid, n, &entries) {
                Some(b) if a.start || !b.in_use => Err(format!("--node {n}: {}", b.why).into()),
                _ => Ok(n.clone()),
            };
        }
        let preferred = guest.map(|g| g.node.as_str());
        let node = devices::device_node(&view, vmid, &self.reaching, preferred, &entries)
            .map_err(|e| format!("VM {}: {e}", a.vmid))?;
        match devices::start_blocker(&view, vmid, &node, &entries) {
            Some(why) if a.start => Err(format!("--start: {why}").into()),
            _ => Ok(node),
        }
    }
}

/// The cluster with backups of `vmid` (or its guest), read concurrently.
async fn find(conns: &[Conn], vmid: u32) -> Result<Found, CmdError> {
    let reads = conns.iter().enumerate().map(|(i, c)| async move {
        let resources = c
            .client
            .get::<Vec<ClusterResource<'static>>>(cluster::RESOURCES)
            .await
            .map_err(|e| format!("cluster \"{}\": {e}", c.config.name))?;
        let (backups, problems) = poll::backups_of(&c.client, &resources, vmid).await;
        let guest = resources
            .iter()
            .find(|r| {
                matches!(r.kind, ResourceKind::Qemu | ResourceKind::Lxc) && r.vmid == Some(vmid)
            })
            .map(|r| GuestRef {
                node: r.node.as_deref().unwrap_or_default().to_string(),
                kind: if r.kind == ResourceKind::Lxc {
                    GuestKind::Lxc
                } else {
                    GuestKind::Qemu
                },
                vmid,
                name: r.name.as_deref().unwrap_or_default().to_string(),
            });
        Ok::<_, String>((
            Found {
                cluster: i,
                resources,
                guest,
                backups,
            },
            problems,
        ))
    });
    let mut with_backups = Vec::new();
    let mut why = Vec::new();
    for answer in futures::future::join_all(reads).await {
        match answer {
            Ok((found, problems)) => {
                why.extend(problems);
                if !found.backups.is_empty() {
                    with_backups.push(found);
                }
            }
            Err(e) => why.push(e),
        }
    }
    let unread = if why.is_empty() {
        String::new()
    } else {
        format!(" ({})", why.join("; "))
    };
    match with_backups.len() {
        1 => Ok(with_backups.remove(0)),
        // Nothing found where some storage or cluster could not be read: not "there is none".
        0 if !why.is_empty() => Err(format!(
            "no backup of VMID {vmid} was found, but not everything could be read{unread}"
        )
        .into()),
        0 => Err(format!("no backup of VMID {vmid} was found").into()),
        _ => {
            let names: Vec<String> = with_backups
                .iter()
                .map(|f| format!("\"{}\"", conns[f.cluster].config.name))
                .collect();
            Err(format!(
                "VMID {vmid} has backups in several clusters ({}): say which with --cluster",
                names.join(", ")
            )
            .into())
        }
    }
}

/// Nodes that are online and reach `storage`, in the cluster's order.
fn reaching<'r>(resources: &'r [ClusterResource<'static>], storage: &str) -> Vec<&'r str> {
    resources
        .iter()
        .filter(|r| r.kind == ResourceKind::Node && r.status.as_deref() == Some("online"))
        .filter_map(|r| r.node.as_deref())
        .filter(|n| storage_on(resources, n, storage).is_some())
        .collect()
}

fn storage_on<'r>(
    resources: &'r [ClusterResource<'static>],
    node: &str,
    storage: &str,
) -> Option<&'r ClusterResource<'static>> {
    resources.iter().find(|r| {
        r.kind == ResourceKind::Storage
            && r.node.as_deref() == Some(node)
            && r.storage.as_deref() == Some(storage)
            && r.status.as_deref() == Some("available")
    })
}

/// `--node`, checked; else the guest's node when it reaches the backup, else the first that
/// does.
fn node(
    a: &RestoreArgs,
    resources: &[ClusterResource<'static>],
    guest: Option<&GuestRef>,
    storage: &str,
) -> Result<String, CmdError> {
    let ok = reaching(resources, storage);
    if let Some(n) = &a.node {
        if ok.contains(&n.as_str()) {
            return Ok(n.clone());
        }
        let known = resources
            .iter()
            .any(|r| r.kind == ResourceKind::Node && r.node.as_deref() == Some(n.as_str()));
        return Err(if known {
            format!("--node {n}: it is offline or does not reach {storage}, where the backup is")
        } else {
            format!("--node {n}: no such node")
        }
        .into());
    }
    guest
        .map(|g| g.node.as_str())
        .filter(|n| ok.contains(n))
        .or_else(|| ok.first().copied())
        .map(str::to_string)
        .ok_or_else(|| {
            CmdError::Failed(format!(
                "no online node reaches {storage}, where the backup is"
            ))
        })
}

/// `--storage` must be on the node and hold the new guest's disks.
fn check_storage(
    resources: &[ClusterResource<'static>],
    node: &str,
    storage: &str,
    kind: GuestKind,
) -> Result<(), CmdError> {
    let content = match kind {
        GuestKind::Qemu => "images",
        GuestKind::Lxc => "rootdir",
    };
    match storage_on(resources, node, storage) {
        None => Err(format!("--storage {storage}: not available on {node}").into()),
        Some(r) if !r.holds(content) => Err(format!(
            "--storage {storage}: it does not hold {} (content {content})",
            match kind {
                GuestKind::Qemu => "VM disks",
                GuestKind::Lxc => "container volumes",
            }
        )
        .into()),
        Some(_) => Ok(()),
    }
}
