//! Moving a guest to another configured cluster: Proxmox's remote migration
//! (`POST …/remote_migrate`). What is journalled names the target cluster, node, VMID and the
//! storage and bridge maps — never the token: the `target-endpoint` is built when the request
//! is sent, from the target cluster's own client (its API token, the endpoint that serves the
//! node or the node's address, and the certificate the node serves, as Proxmox pins it).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::request::GuestRef;
use crate::model::GuestKind;
use crate::pve::endpoints::{cluster, nodes};
use crate::pve::remote::{DEFAULT_PORT, IdMap, RemoteEndpoint};
use crate::pve::types::{CertificateInfo, ClusterStatusItem, next_id, served_certificate};
use crate::pve::upid::UpidError;
use crate::pve::{Client, Error, Upid};

/// Proxmox refuses to move an HA resource (in any state, `ignored` too) to another cluster:
/// its words, with what to do.
pub fn ha_refusal(guest: &GuestRef) -> String {
    format!(
        "cannot remote-migrate {} that is configured for HA: take {} out of HA first",
        guest.kind.label(),
        guest.sid()
    )
}

const NO_TOKEN: &str = "remote migration signs in to the target with an API token: give its cluster entry token_id and a token secret";

/// A remote migration as confirmed: everything but the secret it is sent with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteMigration {
    pub guest: GuestRef,
    /// The target cluster, by its name in the config.
    pub cluster: String,
    pub node: String,
    pub target_vmid: u32,
    /// `storage-pair-list`: `local-zfs:vm-disks,nfs`.
    pub storage: String,
    /// `bridge-pair-list`: `vmbr0` or `vmbr0:vmbr1`.
    pub bridge: String,
    /// Live for a running VM; a running container restarts on the target.
    pub online: bool,
    /// Keep the source (stopped and locked, as Proxmox leaves it) instead of deleting it.
    pub keep_source: bool,
}

impl RemoteMigration {
    /// "migrate VM 110 (ai) to office/pve-ms01-01 as VM 5110 (disks local-zfs → vm-disks, net
    /// vmbr0)".
    pub fn describe(&self) -> String {
        let g = &self.guest;
        let kind = g.kind.label();
        let mut text = format!("migrate {} to {}/{}", g.label(), self.cluster, self.node);
        if self.target_vmid != g.vmid {
            text.push_str(&format!(" as {kind} {}", self.target_vmid));
        }
        text.push_str(&format!(
            " (disks {}, net {}",
            map_words(&self.storage),
            map_words(&self.bridge)
        ));
        if self.online {
            text.push_str(match g.kind {
                GuestKind::Qemu => ", online",
                GuestKind::Lxc => ", restarted there",
            });
        }
        if self.keep_source {
            text.push_str(", the source kept");
        }
        text.push(')');
        text
    }
}

/// A map in words: `vm-disks` (to the same name), `local-zfs → vm-disks`, joined by commas.
pub fn map_words(map: &str) -> String {
    map.split(',')
        .map(|pair| match pair.split_once(':') {
            Some((from, to)) if from == to => to.to_string(),
            Some((from, to)) => format!("{from} → {to}"),
            None => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where on the target cluster a guest goes, and what its disks and networks map to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub target_vmid: u32,
    pub storage: String,
    pub bridge: String,
}

/// What the user asked for beyond the node (each chosen when absent).
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    pub target_vmid: Option<u32>,
    pub storage: Option<String>,
    pub bridge: Option<String>,
}

/// Choose what is not given, from both clusters as they are now:
/// - the VMID: the guest's own when the target does not have it, else the target's next free
///   one (Proxmox would refuse a taken one only once the tunnel opens);
/// - each disk's storage: one of the same name on the target node that holds the guest's
///   content, else the first there that does;
/// - each network device's bridge: one of the same name on the target node, else its first.
pub async fn place(
    source: &Client,
    target: &Client,
    guest: &GuestRef,
    node: &str,
    wanted: &Wanted,
) -> Result<Placed, String> {
    if target.api_token().is_none() {
        return Err(NO_TOKEN.into());
    }
    if target_node(target, node).await?.online != Some(true) {
        return Err(format!("'{node}' is offline"));
    }
    let in_use: Vec<Value> = target
        .get(cluster::RESOURCES_VMS)
        .await
        .map_err(|e| format!("the target's guests: {}", e.proxmox_text()))?;
    let taken = |id: u32| {
        in_use
            .iter()
            .any(|r| r["vmid"].as_u64() == Some(u64::from(id)))
    };
    let target_vmid = match wanted.target_vmid {
        Some(id) if taken(id) => {
            return Err(format!(
                "Guest with ID '{id}' already exists on remote cluster"
            ));
        }
        Some(id) => id,
        None if !taken(guest.vmid) => guest.vmid,
        None => {
            let next: Value = target
                .get(cluster::NEXTID)
                .await
                .map_err(|e| format!("the target's next VMID: {}", e.proxmox_text()))?;
            next_id(&next).ok_or("the target gave no next VMID")?
        }
    };
    let config: Value = source
        .get(&format!("{}/config", guest.path()))
        .await
        .map_err(|e| format!("the guest's configuration: {}", e.proxmox_text()))?;
    refused(&config, guest.kind)?;
    let storage = match &wanted.storage {
        Some(s) => s.clone(),
        None => storage_map(target, guest.kind, node, &config).await?,
    };
    let bridge = match &wanted.bridge {
        Some(b) => b.clone(),
        None => bridge_map(target, node, &config).await?,
    };
    for (what, text) in [("storage", &storage), ("bridge", &bridge)] {
        IdMap::parse(text).map_err(|e| format!("{what} map: {e}"))?;
    }
    Ok(Placed {
        target_vmid,
        storage,
        bridge,
    })
}

/// What qemu-server's remote migration refuses in its task, said before anything is sent:
/// snapshots, and devices of the source's hosts (a raw `hostpci0: 0000:01:00.0`, or a
/// mapping — the target cluster's mappings are its own, and a running VM cannot take one
/// along live).
fn refused(config: &Value, kind: GuestKind) -> Result<(), String> {
    if config.get("parent").is_some() {
        return Err("remote migration with snapshots not supported yet".into());
    }
    // QemuMigrate dies on an attached image ("local cdrom image"): said with what to do.
    let iso = config.as_object().and_then(|m| {
        m.iter().find_map(|(k, v)| {
            let v = v.as_str()?;
            let volid = v.split(',').next()?;
            (v.contains("media=cdrom") && volid.contains(':') && !volid.contains("-cloudinit"))
                .then(|| format!("{k}: {volid}"))
        })
    });
    if let Some(iso) = iso {
        return Err(format!(
            "local cdrom image ({iso}): eject it before a remote migration"
        ));
    }
    if kind == GuestKind::Lxc {
        return Ok(());
    }
    let devices: Vec<String> = config
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| {
                    let bus = k.trim_end_matches(|c: char| c.is_ascii_digit());
                    (bus == "hostpci" || bus == "usb") && bus.len() < k.len()
                })
                .filter_map(|(k, v)| {
                    let v = v.as_str()?;
                    // A USB port passed by `spice` is no device of the host.
                    (!v.starts_with("spice")).then(|| format!("{k}: {v}"))
                })
                .collect()
        })
        .unwrap_or_default();
    if devices.is_empty() {
        return Ok(());
    }
    Err(format!(
        "can't migrate VM which uses devices of its host to another cluster: {}",
        devices.join(", ")
    ))
}

/// The storages the guest's disks are on (`local-zfs` of `local-zfs:vm-110-disk-0`).
fn disk_storages(config: &Value) -> Vec<String> {
    let Some(map) = config.as_object() else {
        return Vec::new();
    };
    let disk = |k: &str| {
        let bus = k.trim_end_matches(|c: char| c.is_ascii_digit());
        matches!(
            bus,
            "scsi" | "sata" | "ide" | "virtio" | "efidisk" | "tpmstate" | "unused" | "mp"
        ) || k == "rootfs"
    };
    // A cloud-init drive is generated on the target, on its mapped storage; ISOs are refused.
    let mut out: Vec<String> = map
        .iter()
        .filter(|(k, _)| disk(k))
        .filter_map(|(_, v)| v.as_str())
        .filter(|v| !v.contains("media=cdrom") || v.contains("-cloudinit"))
        .filter_map(|v| {
            let volid = v
                .split(',')
                .next()?
                .trim_start_matches("volume=")
                .trim_start_matches("file=");
            volid.split_once(':').map(|(s, _)| s.to_string())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

async fn storage_map(
    target: &Client,
    kind: GuestKind,
    node: &str,
    config: &Value,
) -> Result<String, String> {
    let content = match kind {
        GuestKind::Qemu => "images",
        GuestKind::Lxc => "rootdir",
    };
    let storages: Vec<Value> = target
        .get(&nodes::storages_holding(node, content))
        .await
        .map_err(|e| format!("the storages of {node}: {}", e.proxmox_text()))?;
    let names: Vec<&str> = storages
        .iter()
        .filter_map(|s| s["storage"].as_str())
        .collect();
    let Some(first) = names.first() else {
        return Err(format!("{node} has no storage that holds {content}"));
    };
    let mut pairs = Vec::new();
    for from in disk_storages(config) {
        let to = if names.contains(&from.as_str()) {
            from.clone()
        } else {
            (*first).to_string()
        };
        pairs.push(format!("{from}:{to}"));
    }
    // A guest without disks still names a storage: Proxmox requires the map.
    if pairs.is_empty() {
        pairs.push((*first).to_string());
    }
    Ok(pairs.join(","))
}

async fn bridge_map(target: &Client, node: &str, config: &Value) -> Result<String, String> {
    let networks: Vec<Value> = target
        .get(&nodes::bridges(node))
        .await
        .map_err(|e| format!("the bridges of {node}: {}", e.proxmox_text()))?;
    let mut names: Vec<&str> = networks
        .iter()
        .filter_map(|n| n["iface"].as_str())
        .collect();
    names.sort();
    let Some(first) = names.first() else {
        return Err(format!("{node} has no bridge"));
    };
    let mut used: Vec<String> = config
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| k.starts_with("net"))
                .filter_map(|(_, v)| v.as_str())
                .filter_map(|v| {
                    v.split(',')
                        .find_map(|p| p.strip_prefix("bridge="))
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    used.sort();
    used.dedup();
    let pairs: Vec<String> = used
        .iter()
        .map(|from| {
            let to = if names.contains(&from.as_str()) {
                from.as_str()
            } else {
                first
            };
            format!("{from}:{to}")
        })
        .collect();
    Ok(if pairs.is_empty() {
        (*first).to_string()
    } else {
        pairs.join(",")
    })
}

/// `node`'s entry in the target's `/cluster/status`; a node it does not have is named with the
/// ones it has.
async fn target_node(target: &Client, node: &str) -> Result<ClusterStatusItem, String> {
    let status: Vec<ClusterStatusItem> = target
        .get(cluster::STATUS)
        .await
        .map_err(|e| format!("the target's status: {}", e.proxmox_text()))?;
    let nodes: Vec<&ClusterStatusItem> = status.iter().filter(|e| e.kind == "node").collect();
    match nodes.iter().find(|e| e.name == node) {
        Some(entry) => Ok((*entry).clone()),
        None => {
            let names: Vec<&str> = nodes.iter().map(|e| e.name.as_str()).collect();
            Err(format!(
                "the target has no node '{node}'; its nodes are {}",
                names.join(", ")
            ))
        }
    }
}

/// The `target-endpoint` for `node` of the cluster `target` reaches: its API token, the
/// endpoint in use when that node serves it (else the node's address on the same port), and
/// the certificate the node serves.
pub async fn endpoint(target: &Client, node: &str) -> Result<RemoteEndpoint, String> {
    let (id, secret) = target.api_token().ok_or(NO_TOKEN)?;
    let entry = target_node(target, node).await?;
    let (url_host, port) = host_port(target.endpoint());
    let host = if entry.local == Some(true) {
        url_host
    } else {
        entry
            .ip
            .ok_or_else(|| format!("the target does not say {node}'s address"))?
    };
    let certs: Vec<CertificateInfo> = target
        .get(&nodes::certificates(node))
        .await
        .map_err(|e| format!("{node}'s certificates: {}", e.proxmox_text()))?;
    let mut e = RemoteEndpoint::with_token(&host, port, id, secret.expose());
    e.fingerprint = served_certificate(&certs).and_then(|c| c.fingerprint.clone());
    Ok(e)
}

/// `https://10.0.0.5:8006` → ("10.0.0.5", 8006); `[fe80::1]:443` keeps its address. By hand:
/// a parsed URL drops a written `:443` as https's default, where a bare host means 8006 here.
fn host_port(url: &str) -> (String, u16) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').unwrap_or((v6, ""));
        let port = after
            .trim_start_matches(':')
            .parse()
            .unwrap_or(DEFAULT_PORT);
        return (host.to_string(), port);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host.to_string(), port.parse().unwrap_or(DEFAULT_PORT)),
        None => (authority.to_string(), DEFAULT_PORT),
    }
}

/// Send it: the endpoint built from the target's client, the source's task started.
pub async fn start(source: &Client, target: &Client, m: &RemoteMigration) -> Result<Upid, Error> {
    let endpoint = endpoint(target, &m.node).await.map_err(Error::Refused)?;
    let param = endpoint.to_param();
    let vmid = m.target_vmid.to_string();
    let mut form = vec![
        ("target-endpoint", param.as_str()),
        ("target-storage", m.storage.as_str()),
        ("target-bridge", m.bridge.as_str()),
        ("target-vmid", vmid.as_str()),
    ];
    if m.online {
        form.push(match m.guest.kind {
            GuestKind::Qemu => ("online", "1"),
            GuestKind::Lxc => ("restart", "1"),
        });
    }
    if !m.keep_source {
        form.push(("delete", "1"));
    }
    let (serving, _) = host_port(target.endpoint());
    let upid: String = match source
        .post(&format!("{}/remote_migrate", m.guest.path()), &form)
        .await
    {
        Ok(upid) => upid,
        // The source could not reach the node at its cluster address: say which address
        // that was and where the configured endpoint is.
        Err(Error::Api {
            method,
            path,
            status,
            message,
            errors,
        }) if endpoint.host != serving && message.contains(&endpoint.host) => {
            return Err(Error::Api {
                method,
                path,
                status,
                message: format!(
                    "{message} ({} was reached at its cluster address {}:{}, not at {}'s configured endpoint {serving}; the node serving that can be reached)",
                    m.node, endpoint.host, endpoint.port, m.cluster
                ),
                errors,
            });
        }
        Err(e) => return Err(e),
    };
    upid.parse()
        .map_err(|e: UpidError| Error::Refused(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_url_gives_its_host_and_port() {
        assert_eq!(
            host_port("https://10.0.0.5:8006"),
            ("10.0.0.5".into(), 8006)
        );
        assert_eq!(host_port("https://pve.lan"), ("pve.lan".into(), 8006));
        assert_eq!(host_port("https://[fe80::1]:443/"), ("fe80::1".into(), 443));
    }

    #[test]
    fn disks_are_read_from_the_configuration() {
        let config = serde_json::json!({
            "scsi0": "local-zfs:vm-110-disk-0,size=250G",
            "efidisk0": "local-zfs:vm-110-disk-1,size=1M",
            "ide2": "local:iso/x.iso,media=cdrom",
            "unused0": "nfs:110/vm-110-disk-2.qcow2",
            "net0": "virtio=AA,bridge=vmbr0",
        });
        assert_eq!(disk_storages(&config), vec!["local-zfs", "nfs"]);
        let ct = serde_json::json!({ "rootfs": "vm-disks:vm-203-disk-0,size=4G" });
        assert_eq!(disk_storages(&ct), vec!["vm-disks"]);
    }
}
