//! From the command line's verbs to requests for the queue.

use std::process::ExitCode;

use crate::actions::{CloneSpec, CtSpec, Request, VmSpec};
use crate::cli::{ActOptions, Command, CreateKind};
use crate::config::ClusterConfig;
use crate::model::{GuestKind, validate};

use super::act::{self, Conn};

/// Run an action verb; `Ok(None)` when `command` is not one.
pub async fn run(
    command: &Command,
    clusters: &[ClusterConfig],
) -> Result<Option<ExitCode>, String> {
    let Some(opts) = options(command) else {
        return Ok(None);
    };
    let conns = act::connect(clusters, opts.cluster.as_deref())?;
    let requests = requests(command, &conns).await?;
    for (i, request) in &requests {
        if request.destructive() && !opts.yes {
            return Err(format!(
                "{} cannot be undone: add --yes to confirm",
                request.describe()
            ));
        }
        act::check_permissions(&conns[*i], request).await?;
    }
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let ok = act::submit(&conns, requests, opts.wait, &mut out, &mut err).await?;
    Ok(Some(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }))
}

fn options(command: &Command) -> Option<&ActOptions> {
    Some(match command {
        Command::Start(a) | Command::Stop(a) | Command::Reboot(a) => &a.act,
        Command::Shutdown(a) => &a.act,
        Command::Migrate(a) => &a.act,
        Command::Wake(a) => &a.act,
        Command::Snapshot(a) => &a.act,
        Command::Rollback(a) | Command::DeleteSnapshot(a) => &a.act,
        Command::Create(a) => &a.act,
        Command::Clone(a) => &a.act,
        Command::StopTask(a) => &a.act,
        Command::Sim(_) | Command::Get(_) | Command::Bench(_) => return None,
    })
}

async fn requests(command: &Command, conns: &[Conn]) -> Result<Vec<(usize, Request)>, String> {
    let mut out = Vec::new();
    match command {
        Command::Start(a) | Command::Stop(a) | Command::Reboot(a) => {
            for vmid in &a.vmids {
                let (i, guest, _) = act::find_guest(conns, *vmid).await?;
                let request = match command {
                    Command::Start(_) => Request::Start { guest },
                    Command::Stop(_) => Request::Stop { guest },
                    _ => Request::Reboot { guest },
                };
                out.push((i, request));
            }
        }
        Command::Shutdown(a) => {
            for vmid in &a.vmids {
                let (i, guest, _) = act::find_guest(conns, *vmid).await?;
                out.push((
                    i,
                    Request::Shutdown {
                        guest,
                        timeout: a.timeout,
                        force: a.force,
                    },
                ));
            }
        }
        Command::Migrate(a) => {
            let (i, guest, resource) = act::find_guest(conns, a.vmid).await?;
            if guest.node == a.to {
                return Err(format!("{} is already on {}", guest.label(), a.to));
            }
            let running = resource.status.as_deref() == Some("running");
            let ha = resource
                .hastate
                .as_deref()
                .is_some_and(|s| !s.is_empty() && s != "ignored");
            let check = act::check_migration(&conns[i], &guest, &a.to).await?;
            out.push((
                i,
                Request::Migrate {
                    with_local_disks: crate::actions::precheck::has_local_disks(&check),
                    online: (running || a.online) && !a.offline,
                    target: a.to.clone(),
                    guest,
                    ha,
                },
            ));
        }
        Command::Wake(a) => {
            let (i, status) = act::find_node(conns, &a.node).await?;
            if status.as_ref().is_some_and(|s| s.online == Some(true)) {
                return Err(format!("{} is online already", a.node));
            }
            let mac = match &a.mac {
                Some(m) => Some(
                    crate::actions::wol::parse_mac(m)
                        .map(|m| crate::actions::wol::format_mac(&m))
                        .ok_or_else(|| format!("--mac \"{m}\" is not a MAC address"))?,
                ),
                None => conns[i].config.wake.macs.get(&a.node).cloned(),
            };
            out.push((
                i,
                Request::Wake {
                    node: a.node.clone(),
                    mac,
                },
            ));
        }
        Command::Snapshot(a) => {
            validate::snapshot_name(&a.name).map_err(|e| format!("snapshot name: {e}"))?;
            let (i, guest, resource) = act::find_guest(conns, a.vmid).await?;
            if a.vmstate && guest.kind == GuestKind::Lxc {
                return Err("--vmstate is for VMs: a container's snapshot has no RAM".into());
            }
            let running = resource.status.as_deref() == Some("running");
            out.push((
                i,
                Request::Snapshot {
                    guest,
                    name: a.name.clone(),
                    description: a.description.clone(),
                    vmstate: a.vmstate && running,
                },
            ));
        }
        Command::Rollback(a) => {
            let (i, guest, _) = act::find_guest(conns, a.vmid).await?;
            out.push((
                i,
                Request::Rollback {
                    guest,
                    name: a.name.clone(),
                    start: a.start,
                },
            ));
        }
        Command::DeleteSnapshot(a) => {
            let (i, guest, _) = act::find_guest(conns, a.vmid).await?;
            out.push((
                i,
                Request::DeleteSnapshot {
                    guest,
                    name: a.name.clone(),
                },
            ));
        }
        Command::Create(a) => {
            let i = single(conns)?;
            validate::dns_name(&a.name).map_err(|e| format!("--name: {e}"))?;
            let memory_mib =
                validate::memory_mib(&a.memory).map_err(|e| format!("--memory: {e}"))?;
            let disk_gib = validate::disk_gib(&a.disk).map_err(|e| format!("--disk: {e}"))?;
            if let Some(ip) = &a.ip {
                validate::ip_config(ip).map_err(|e| format!("--ip: {e}"))?;
            }
            if let Some(gw) = &a.gateway {
                validate::ipv4(gw).map_err(|e| format!("--gateway: {e}"))?;
            }
            let sshkey = match &a.ssh_key_file {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .map_err(|e| format!("--ssh-key-file {}: {e}", path.display()))?;
                    let key = text.lines().next().unwrap_or_default().trim().to_string();
                    validate::ssh_key(&key)
                        .map_err(|e| format!("--ssh-key-file {}: {e}", path.display()))?;
                    Some(key)
                }
                None => None,
            };
            let vmid = match a.vmid {
                Some(v) => v,
                None => next_id(&conns[i]).await?,
            };
            let request = match a.kind {
                CreateKind::Vm => Request::CreateVm(Box::new(VmSpec {
                    node: a.node.clone(),
                    vmid,
                    name: a.name.clone(),
                    cores: a.cores,
                    memory_mib,
                    disk_gib,
                    storage: a.storage.clone(),
                    bridge: a.network.clone(),
                    vlan: a.vlan,
                    iso: a.iso.clone(),
                    ciuser: a.ciuser.clone(),
                    sshkey,
                    ip: a.ip.clone(),
                    gateway: a.gateway.clone(),
                    start: a.start,
                })),
                CreateKind::Ct => {
                    let template = a
                        .template
                        .clone()
                        .ok_or("a container needs --template STORAGE:vztmpl/FILE")?;
                    let password = match &a.password_env {
                        Some(var) => Some(crate::pve::Secret::new(
                            std::env::var(var)
                                .map_err(|_| format!("--password-env: ${var} is not set"))?,
                        )),
                        None => None,
                    };
                    Request::CreateCt(Box::new(CtSpec {
                        node: a.node.clone(),
                        vmid,
                        hostname: a.name.clone(),
                        template,
                        cores: a.cores,
                        memory_mib,
                        disk_gib,
                        storage: a.storage.clone(),
                        bridge: a.network.clone(),
                        vlan: a.vlan,
                        password,
                        sshkey,
                        ip: a.ip.clone(),
                        gateway: a.gateway.clone(),
                        unprivileged: !a.privileged,
                        start: a.start,
                    }))
                }
            };
            out.push((i, request));
        }
        Command::Clone(a) => {
            validate::dns_name(&a.name).map_err(|e| format!("--name: {e}"))?;
            let (i, source, resource) = act::find_guest(conns, a.vmid).await?;
            let newid = match a.newid {
                Some(v) => v,
                None => next_id(&conns[i]).await?,
            };
            let template = resource.template == Some(true);
            out.push((
                i,
                Request::Clone(Box::new(CloneSpec {
                    source,
                    newid,
                    name: a.name.clone(),
                    target: a.target.clone(),
                    full: a.full || (!template && !a.linked),
                    storage: a.storage.clone(),
                })),
            ));
        }
        Command::StopTask(a) => {
            let upid: crate::pve::Upid = a.upid.parse().map_err(|e| format!("{e}"))?;
            let (i, _) = act::find_node(conns, &upid.node).await?;
            out.push((
                i,
                Request::StopTask {
                    upid: a.upid.clone(),
                },
            ));
        }
        Command::Sim(_) | Command::Get(_) | Command::Bench(_) => {}
    }
    Ok(out)
}

/// The one cluster a create goes to.
fn single(conns: &[Conn]) -> Result<usize, String> {
    if conns.len() == 1 {
        Ok(0)
    } else {
        Err("several clusters are configured: say which with --cluster".into())
    }
}

async fn next_id(conn: &Conn) -> Result<u32, String> {
    let v: serde_json::Value = conn
        .client
        .get("/cluster/nextid")
        .await
        .map_err(|e| format!("cannot get the next free VMID: {}", e.proxmox_text()))?;
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_u64().and_then(|n| u32::try_from(n).ok()))
        .ok_or_else(|| format!("the next free VMID is unreadable: {v}"))
}
