//! A request into Proxmox API calls. Each long-running call answers with a UPID the watcher then
//! follows; the few that are immediate say what happened; wake and HA migration are followed by
//! what they change (the node coming online, the HA manager's migration task).

use serde_json::Value;

use super::remote;
use super::request::{CtSpec, GuestRef, Request, RestoreSpec, VmSpec};
use crate::model::{GuestKind, devices, text};
use crate::pve::endpoints::{cluster, nodes};
use crate::pve::types::{ClusterResource, ClusterTask, GuestConfig};
use crate::pve::upid::UpidError;
use crate::pve::{Client, Error, Upid};

/// What the first call started.
#[derive(Debug, Clone, PartialEq)]
pub enum Started {
    /// A Proxmox task to follow to its end.
    Task(Upid),
    /// Done already; the text says what happened.
    Done(String),
    /// Wake-on-LAN sent (by `via`, a node, or from here); follow the node until it is online.
    Waking { node: String, via: String },
    /// The HA manager took a migration request; follow its migration task of this guest.
    /// `before`: the guest's migration tasks the cluster listed before the request, so the
    /// one the HA manager starts is told apart by name, whatever the clocks say.
    HaMigrating {
        vmid: u32,
        target: String,
        before: Option<Vec<String>>,
    },
}

/// The ended migration tasks of `vmid` the cluster lists now, by UPID; `None` when it cannot
/// say. (One still running is left out: it may be the very one the request is about.)
async fn migrations_of(client: &Client, vmid: u32) -> Option<Vec<String>> {
    let tasks: Vec<ClusterTask> = client.get(cluster::TASKS).await.ok()?;
    let id = vmid.to_string();
    Some(
        tasks
            .into_iter()
            .filter(|t| is_migration_of(t, &id) && t.endtime.is_some())
            .map(|t| t.upid)
            .collect(),
    )
}

/// A migration task of the guest with this VMID.
pub fn is_migration_of(task: &ClusterTask, vmid: &str) -> bool {
    matches!(task.kind.as_deref(), Some("qmigrate" | "vzmigrate"))
        && task.id.as_deref() == Some(vmid)
}

/// Why a VM cannot start because of its mapped devices (none on its node, or every one there in
/// use by another running guest), checked before sending: Proxmox would refuse the first, and
/// a device handed to two guests is what the mapping exists to prevent. None for a container,
/// a VM without mapped devices, or one whose devices are free.
async fn device_blocker(client: &Client, guest: &GuestRef) -> Result<Option<String>, Error> {
    if guest.kind != GuestKind::Qemu {
        return Ok(None);
    }
    let config: GuestConfig = client.get(&format!("{}/config", guest.path())).await?;
    let entries = devices::mapped_entries(config.0.iter());
    if entries.is_empty() {
        return Ok(None);
    }
    node_blocker(client, guest.vmid, &guest.node, &entries, true).await
}

/// Why VM `vmid` with these mapped entries cannot go to `node` (reading that node's devices and
/// who holds them): no device there, or — when it is to `start` — every one in use, or who
/// holds them unknown.
async fn node_blocker(
    client: &Client,
    vmid: u32,
    node: &str,
    entries: &[(String, String)],
    start: bool,
) -> Result<Option<String>, Error> {
    let resources: Vec<ClusterResource<'static>> = client.get(cluster::RESOURCES).await?;
    let data = super::catalog::device_data_on(client, &resources, Some(node)).await;
    if start && !data.unknown_holders.is_empty() {
        return Ok(Some(format!(
            "cannot tell whether its devices are free: {}",
            data.unknown_holders.join("; ")
        )));
    }
    let devices = devices::devices_with(&data, &[]);
    Ok(devices::start_check(&devices, vmid, node, entries)
        .filter(|b| start || !b.in_use)
        .map(|b| b.why))
}

/// Why a VM restore cannot go to its node because of the devices its backup maps: a mapping
/// with no device there (Proxmox would refuse to start it there ever), or — when it is to start
/// after — every device there in use. None for a container or a VM without mapped devices.
async fn restore_blocker(client: &Client, spec: &RestoreSpec) -> Result<Option<String>, Error> {
    if spec.source.kind != GuestKind::Qemu {
        return Ok(None);
    }
    let entries = super::catalog::archive_devices(client, &spec.node, &spec.archive).await?;
    if entries.is_empty() {
        return Ok(None);
    }
    node_blocker(client, spec.vmid, &spec.node, &entries, spec.start).await
}

/// Make the call a request stands for. A remote migration needs the target cluster's client
/// too: `start_with_target`.
pub async fn start(client: &Client, request: &Request) -> Result<Started, Error> {
    start_with_target(client, None, request).await
}

/// As `start`, with the client of the cluster a remote migration goes to.
pub async fn start_with_target(
    client: &Client,
    target: Option<&Client>,
    request: &Request,
) -> Result<Started, Error> {
    match request {
        Request::RemoteMigrate(m) => {
            let target = target.ok_or_else(|| {
                Error::Refused(format!("no cluster named \"{}\" is configured", m.cluster))
            })?;
            Ok(Started::Task(remote::start(client, target, m).await?))
        }
        Request::Start { guest } => {
            // A check that cannot be made sends nothing: the start is refused, not "unknown".
            let blocker = device_blocker(client, guest).await.map_err(|e| {
                Error::Refused(format!(
                    "{} not started: its devices could not be checked: {}",
                    guest.label(),
                    e.proxmox_text()
                ))
            })?;
            if let Some(why) = blocker {
                return Err(Error::Refused(format!(
                    "{} not started: {why}",
                    guest.label()
                )));
            }
            upid(client.post(&status(guest, "start"), &[]).await?)
        }
        Request::Shutdown {
            guest,
            timeout,
            force,
        } => {
            let timeout = timeout.map(|t| t.to_string());
            let mut form = vec![("forceStop", if *force { "1" } else { "0" })];
            if let Some(t) = &timeout {
                form.push(("timeout", t));
            }
            upid(client.post(&status(guest, "shutdown"), &form).await?)
        }
        Request::Stop { guest } => upid(client.post(&status(guest, "stop"), &[]).await?),
        Request::Reboot { guest } => upid(client.post(&status(guest, "reboot"), &[]).await?),
        Request::Migrate {
            guest,
            target,
            online,
            with_local_disks,
            ha,
        } => {
            if *ha {
                let before = migrations_of(client, guest.vmid).await;
                let path = cluster::ha_migrate(&guest.sid());
                let answer: Value = client.post(&path, &[("node", target)]).await?;
                // Proxmox VE 9 answers 200 and queues the request, but names what blocks it;
                // the CRM then drops it. Say so, in ha-manager's words, instead of waiting.
                if let Some(list) = answer.get("blocking-resources").and_then(Value::as_array) {
                    let sid = guest.sid();
                    let why: Vec<String> = list
                        .iter()
                        .map(|b| {
                            format!(
                                "resource '{}' on target node '{target}' in negative affinity with resource '{sid}'",
                                text::clean(
                                    b.get("sid").and_then(Value::as_str).unwrap_or("?")
                                )
                            )
                        })
                        .collect();
                    return Err(Error::Api {
                        method: "POST".into(),
                        path,
                        status: 200,
                        message: format!(
                            "cannot migrate resource '{sid}' to node '{target}': {}",
                            why.join("; ")
                        ),
                        errors: Default::default(),
                    });
                }
                return Ok(Started::HaMigrating {
                    vmid: guest.vmid,
                    target: target.clone(),
                    before,
                });
            }
            let mut form = vec![("target", target.as_str())];
            match guest.kind {
                GuestKind::Qemu => {
                    if *online {
                        form.push(("online", "1"));
                    }
                    if *with_local_disks {
                        form.push(("with-local-disks", "1"));
                    }
                }
                // A running container moves by restart migration: shut down, move, start.
                GuestKind::Lxc if *online => form.push(("restart", "1")),
                GuestKind::Lxc => {}
            }
            upid(
                client
                    .post(&format!("{}/migrate", guest.path()), &form)
                    .await?,
            )
        }
        Request::Wake { node, .. } => {
            let mac: Value = client.post(&nodes::wake(node), &[]).await?;
            let via = client.endpoint().to_string();
            let via = match mac.as_str() {
                Some(mac) => format!("{via} (MAC {mac})"),
                None => via,
            };
            Ok(Started::Waking {
                node: node.clone(),
                via,
            })
        }
        Request::Snapshot {
            guest,
            name,
            description,
            vmstate,
        } => {
            let mut form = vec![("snapname", name.as_str())];
            if !description.is_empty() {
                form.push(("description", description));
            }
            if *vmstate && guest.kind == GuestKind::Qemu {
                form.push(("vmstate", "1"));
            }
            upid(
                client
                    .post(&format!("{}/snapshot", guest.path()), &form)
                    .await?,
            )
        }
        Request::Rollback { guest, name, start } => {
            let form: &[(&str, &str)] = if *start { &[("start", "1")] } else { &[] };
            upid(
                client
                    .post(&format!("{}/snapshot/{name}/rollback", guest.path()), form)
                    .await?,
            )
        }
        Request::DeleteSnapshot { guest, name } => upid(
            client
                .delete(&format!("{}/snapshot/{name}", guest.path()), &[])
                .await?,
        ),
        Request::Destroy { guest } => upid(
            client
                .delete(
                    &guest.path(),
                    &[("purge", "1"), ("destroy-unreferenced-disks", "1")],
                )
                .await?,
        ),
        Request::CreateVm(spec) => {
            let form = vm_form(spec);
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            upid(
                client
                    .post(&nodes::guests(&spec.node, "qemu"), &form)
                    .await?,
            )
        }
        Request::CreateCt(spec) => {
            let form = ct_form(spec);
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            upid(
                client
                    .post(&nodes::guests(&spec.node, "lxc"), &form)
                    .await?,
            )
        }
        Request::Clone(spec) => {
            let newid = spec.newid.to_string();
            let name_key = match spec.source.kind {
                GuestKind::Qemu => "name",
                GuestKind::Lxc => "hostname",
            };
            let mut form = vec![("newid", newid.as_str()), (name_key, spec.name.as_str())];
            if let Some(t) = &spec.target {
                form.push(("target", t));
            }
            form.push(("full", if spec.full { "1" } else { "0" }));
            if let Some(s) = &spec.storage {
                form.push(("storage", s));
            }
            upid(
                client
                    .post(&format!("{}/clone", spec.source.path()), &form)
                    .await?,
            )
        }
        Request::Restore(spec) => {
            let blocker = match restore_blocker(client, spec).await {
                Ok(b) => b,
                // Without starting it, Proxmox itself refuses a start where its devices are
                // not: an unreadable backup config does not stop the restore.
                Err(_) if !spec.start => None,
                Err(e) => {
                    return Err(Error::Refused(format!(
                        "{} not restored: its backup's devices could not be checked before \
                         starting it: {}",
                        spec.source.label(),
                        e.proxmox_text()
                    )));
                }
            };
            if let Some(why) = blocker {
                return Err(Error::Refused(format!(
                    "{} not restored: {why}",
                    spec.source.label()
                )));
            }
            let form = restore_form(spec);
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            upid(
                client
                    .post(&nodes::guests(&spec.node, spec.source.kind.api()), &form)
                    .await?,
            )
        }
        Request::StopTask { upid: text } => {
            let task: Upid = text
                .parse()
                .map_err(|e: UpidError| Error::Setup(e.to_string()))?;
            let _: Value = client.delete(&nodes::task(&task.node, text), &[]).await?;
            Ok(Started::Done(format!("stop requested for {text}")))
        }
        Request::Backup {
            guest,
            storage,
            mode,
            compress,
            ..
        } => {
            let vmid = guest.vmid.to_string();
            let mut form = vec![
                ("vmid", vmid.as_str()),
                ("storage", storage.as_str()),
                ("mode", mode.as_str()),
            ];
            if let Some(c) = compress {
                form.push(("compress", c));
            }
            upid(client.post(&nodes::vzdump(&guest.node), &form).await?)
        }
        Request::CephFlag { flag, set } => upid(
            client
                .put(
                    cluster::CEPH_FLAGS,
                    &[(flag.as_str(), if *set { "1" } else { "0" })],
                )
                .await?,
        ),
        Request::NodePower { node, reboot } => {
            let command = if *reboot { "reboot" } else { "shutdown" };
            let _: Value = client
                .post(&nodes::status(node), &[("command", command)])
                .await?;
            Ok(Started::Done(format!("{node}: {command} requested")))
        }
        Request::RefreshPackages { node } => {
            upid(client.post(&nodes::apt_update(node), &[]).await?)
        }
    }
}

fn status(guest: &GuestRef, verb: &str) -> String {
    format!("{}/status/{verb}", guest.path())
}

/// A UPID answer, checked.
fn upid(answer: Value) -> Result<Started, Error> {
    let text = answer.as_str().unwrap_or_default();
    text.parse::<Upid>()
        .map(Started::Task)
        .map_err(|_| Error::Decode {
            path: "(task id)".into(),
            message: format!("expected a UPID, got {answer}"),
        })
}

fn net(bridge: &str, vlan: Option<u16>, model: Option<&str>) -> String {
    let mut text = match model {
        Some(m) => format!("{m},bridge={bridge}"),
        None => format!("name=eth0,bridge={bridge}"),
    };
    if let Some(tag) = vlan {
        text.push_str(&format!(",tag={tag}"));
    }
    text
}

/// `POST /nodes/{node}/qemu` parameters for a spec.
pub fn vm_form(spec: &VmSpec) -> Vec<(&'static str, String)> {
    let mut form = vec![
        ("vmid", spec.vmid.to_string()),
        ("name", spec.name.clone()),
        ("cores", spec.cores.to_string()),
        ("memory", spec.memory_mib.to_string()),
        ("scsihw", "virtio-scsi-single".into()),
        (
            "scsi0",
            format!("{}:{},iothread=1,discard=on", spec.storage, spec.disk_gib),
        ),
        ("net0", net(&spec.bridge, spec.vlan, Some("virtio"))),
        ("ostype", "l26".into()),
        ("agent", "1".into()),
    ];
    match &spec.iso {
        Some(iso) => {
            form.push(("ide2", format!("{iso},media=cdrom")));
            form.push(("boot", "order=scsi0;ide2;net0".into()));
        }
        None => form.push(("boot", "order=scsi0;net0".into())),
    }
    let cloud_init = spec.ip.is_some() || spec.ciuser.is_some() || spec.sshkey.is_some();
    if cloud_init {
        form.push(("ide0", format!("{}:cloudinit", spec.storage)));
        if let Some(user) = &spec.ciuser {
            form.push(("ciuser", user.clone()));
        }
        if let Some(key) = &spec.sshkey {
            // The API wants the keys URL-encoded inside the form value (%20, not +).
            form.push(("sshkeys", encode_keys(key)));
        }
        form.push((
            "ipconfig0",
            ipconfig(spec.ip.as_deref(), spec.gateway.as_deref()),
        ));
    }
    if !spec.tags.is_empty() {
        form.push(("tags", spec.tags.join(";")));
    }
    if !spec.pci_pools.is_empty() {
        // PCIe passthrough needs the q35 machine, and the guest's memory pinned for DMA, so
        // ballooning is off.
        form.push(("machine", "q35".into()));
        form.push(("balloon", "0".into()));
    }
    const PCI_KEYS: [&str; 8] = [
        "hostpci0", "hostpci1", "hostpci2", "hostpci3", "hostpci4", "hostpci5", "hostpci6",
        "hostpci7",
    ];
    const USB_KEYS: [&str; 8] = [
        "usb0", "usb1", "usb2", "usb3", "usb4", "usb5", "usb6", "usb7",
    ];
    for (key, pool) in PCI_KEYS.iter().zip(&spec.pci_pools) {
        form.push((key, format!("mapping={pool},pcie=1")));
    }
    for (key, pool) in USB_KEYS.iter().zip(&spec.usb_pools) {
        form.push((key, format!("mapping={pool},usb3=1")));
    }
    if spec.start {
        form.push(("start", "1".into()));
    }
    form
}

/// `POST /nodes/{node}/lxc` parameters for a spec.
pub fn ct_form(spec: &CtSpec) -> Vec<(&'static str, String)> {
    let mut net0 = net(&spec.bridge, spec.vlan, None);
    match spec.ip.as_deref() {
        None | Some("dhcp") => net0.push_str(",ip=dhcp"),
        Some(ip) => {
            net0.push_str(&format!(",ip={ip}"));
            if let Some(gw) = &spec.gateway {
                net0.push_str(&format!(",gw={gw}"));
            }
        }
    }
    let mut form = vec![
        ("vmid", spec.vmid.to_string()),
        ("hostname", spec.hostname.clone()),
        ("ostemplate", spec.template.clone()),
        ("cores", spec.cores.to_string()),
        ("memory", spec.memory_mib.to_string()),
        ("rootfs", format!("{}:{}", spec.storage, spec.disk_gib)),
        ("net0", net0),
        (
            "unprivileged",
            if spec.unprivileged { "1" } else { "0" }.into(),
        ),
    ];
    if let Some(p) = &spec.password {
        form.push(("password", p.expose().to_string()));
    }
    if let Some(key) = &spec.sshkey {
        form.push(("ssh-public-keys", key.clone()));
    }
    if !spec.tags.is_empty() {
        form.push(("tags", spec.tags.join(";")));
    }
    if spec.start {
        form.push(("start", "1".into()));
    }
    form
}

fn ipconfig(ip: Option<&str>, gateway: Option<&str>) -> String {
    match (ip, gateway) {
        (None | Some("dhcp"), _) => "ip=dhcp".into(),
        (Some(ip), Some(gw)) => format!("ip={ip},gw={gw}"),
        (Some(ip), None) => format!("ip={ip}"),
    }
}

fn encode_keys(keys: &str) -> String {
    keys.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A restore is a create with the archive: `archive` for a VM, `ostemplate` and `restore=1` for a
/// container; the name given overrides the backup's.
fn restore_form(spec: &RestoreSpec) -> Vec<(&'static str, String)> {
    let mut form = vec![("vmid", spec.vmid.to_string())];
    let flag = |b: bool| if b { "1" } else { "0" }.to_string();
    match spec.source.kind {
        GuestKind::Qemu => {
            form.push(("archive", spec.archive.clone()));
            if !spec.name.is_empty() {
                form.push(("name", spec.name.clone()));
            }
        }
        GuestKind::Lxc => {
            form.push(("ostemplate", spec.archive.clone()));
            form.push(("restore", "1".into()));
            if !spec.name.is_empty() {
                form.push(("hostname", spec.name.clone()));
            }
        }
    }
    if let Some(s) = &spec.storage {
        form.push(("storage", s.clone()));
    }
    form.push(("unique", flag(spec.unique)));
    form.push(("start", flag(spec.start)));
    form
}
