//! From the command line's verbs to requests for the queue.

use super::error::CmdError;
use std::process::ExitCode;

use crate::actions::draft::reservations;
use crate::actions::{CloneSpec, CreateDraft, Journal, Request, journal, precheck};
use crate::cli::{ActOptions, Command, CreateArgs, CreateKind, Sized};
use crate::config::ClusterConfig;
use crate::config::placement::{PlacementConfig, Sizes};
use crate::model::placement::Reservations;
use crate::model::{GuestKind, devices, mac, validate};
use crate::pve::endpoints::cluster;
use crate::pve::types;
use crate::pve::{Secret, Upid};
use crate::sched::Ask;

use super::act::{self, Conn};

/// Run an action verb; `Ok(None)` when `command` is not one.
pub async fn run(
    command: &Command,
    clusters: &[ClusterConfig],
    placement: &PlacementConfig,
    keeping: &act::Keeping,
) -> Result<Option<ExitCode>, CmdError> {
    let Some(opts) = options(command) else {
        return Ok(None);
    };
    // A guest moving to another cluster needs both: the target is connected too.
    let remote = matches!(command, Command::Migrate(a) if a.to.contains('/'));
    if remote && let Some(only) = opts.cluster.as_deref() {
        act::connect(clusters, Some(only))?;
    }
    let only = if remote {
        None
    } else {
        opts.cluster.as_deref()
    };
    let conns = act::connect(clusters, only)?;
    let requests = match command {
        Command::Migrate(a) if remote => {
            vec![super::remote_migrate::request(&conns, a, opts.cluster.as_deref()).await?]
        }
        _ => requests(command, &conns, placement).await?,
    };
    for (i, request) in &requests {
        if request.destructive() && !opts.yes {
            let why = match request {
                Request::RemoteMigrate(_) => {
                    "deletes the source once the guest runs there: add --yes to confirm, or --keep-source"
                }
                _ => "cannot be undone: add --yes to confirm",
            };
            return Err(format!("{} {why}", request.describe()).into());
        }
        act::check_permissions(&conns[*i], request).await?;
    }
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let ok = act::submit(&conns, requests, opts.wait, keeping, &mut out, &mut err).await?;
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
        Command::Rollback(a) => &a.act,
        Command::DeleteSnapshot(a) => &a.act,
        Command::Create(a) => &a.act,
        Command::Clone(a) => &a.act,
        Command::Restore(a) => &a.act,
        Command::Destroy(a) => &a.act,
        Command::StopTask(a) => &a.act,
        Command::Sim(_)
        | Command::SimControl(_)
        | Command::Trust(_)
        | Command::Audit(_)
        | Command::Get(_)
        | Command::Place(_)
        | Command::Bench(_)
        | Command::Shell(_)
        | Command::Console(_)
        | Command::Maintenance(_) => return None,
    })
}

async fn requests(
    command: &Command,
    conns: &[Conn],
    placement: &PlacementConfig,
) -> Result<Vec<(usize, Request)>, CmdError> {
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
            let remote_only = [
                (a.keep_source, "--keep-source"),
                (a.target_vmid.is_some(), "--target-vmid"),
                (a.target_storage.is_some(), "--target-storage"),
                (a.target_bridge.is_some(), "--target-bridge"),
            ];
            if let Some((_, flag)) = remote_only.iter().find(|(given, _)| *given) {
                return Err(
                    format!("{flag} is for a move to another cluster: --to CLUSTER/NODE").into(),
                );
            }
            let (i, guest, resource) = act::find_guest(conns, a.vmid).await?;
            if guest.node == a.to {
                return Err(format!("{} is already on {}", guest.label(), a.to).into());
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
                    with_local_disks: precheck::has_local_disks(&check),
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
                return Err(format!("{} is online already", a.node).into());
            }
            let mac = match &a.mac {
                Some(m) => Some(
                    mac::parse_mac(m)
                        .map(|m| mac::format_mac(&m))
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
            // The command line checks what the form checks, with the same words, before
            // anything is sent.
            if let Some(v) = a.vmid {
                validate::vmid(&v.to_string()).map_err(|e| format!("--vmid: {e}"))?;
            }
            if let Some(t) = a.vlan {
                validate::vlan(&t.to_string()).map_err(|e| format!("--vlan {t}: {e}"))?;
            }
            let base = match a.kind {
                CreateKind::Vm => Sizes::VM,
                CreateKind::Ct => Sizes::CT,
            };
            let sized = a.sizing.resolve(placement, base)?;
            let (memory_mib, disk_gib) = (sized.memory_mib, sized.disk_gib);
            let network = a
                .network
                .clone()
                .or(sized.network.clone())
                .unwrap_or_else(|| "vmbr0".into());
            let ciuser = a.ciuser.clone().or(sized.ciuser.clone());
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
            let placed = place(a, &sized, &network, &conns[i], vmid, placement).await?;
            let ct = a.kind == CreateKind::Ct;
            if ct && a.template.is_none() {
                return Err("a container needs --template STORAGE:vztmpl/FILE".into());
            }
            let password = match &a.password_env {
                Some(var) if ct => Some(Secret::new(
                    std::env::var(var).map_err(|_| format!("--password-env: ${var} is not set"))?,
                )),
                _ => None,
            };
            let draft = CreateDraft {
                ct,
                node: placed.node,
                vmid,
                name: a.name.clone(),
                cores: sized.cores,
                memory_mib,
                disk_gib,
                storage: placed.storage,
                network,
                vlan: a.vlan,
                iso: a.iso.clone(),
                template: a.template.clone(),
                ciuser,
                sshkey,
                ip: a.ip.clone(),
                gateway: a.gateway.clone(),
                password,
                unprivileged: !a.privileged,
                start: a.start,
                pci_pools: placed.pci_pools,
                usb_pools: placed.usb_pools,
                tags: sized.tags.clone(),
            };
            let request = draft.request(&conns[i].config.networks)?;
            out.push((i, request));
        }
        Command::Clone(a) => {
            validate::dns_name(&a.name).map_err(|e| format!("--name: {e}"))?;
            let (i, source, resource) = act::find_guest(conns, a.vmid).await?;
            let newid = match a.newid {
                Some(v) => validate::vmid(&v.to_string()).map_err(|e| format!("--newid: {e}"))?,
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
        Command::Restore(a) => {
            out.push(super::restore::request(a, conns).await?);
        }
        Command::Destroy(a) => {
            let (i, guest, resource) = act::find_guest(conns, a.vmid).await?;
            let status = resource.status.as_deref().unwrap_or("unknown");
            if status != "stopped" {
                return Err(format!("{} is {status}: stop it first", guest.label()).into());
            }
            out.push((i, Request::Destroy { guest }));
        }
        Command::StopTask(a) => {
            let upid: Upid = a.upid.parse().map_err(|e| format!("{e}"))?;
            let (i, _) = act::find_node(conns, &upid.node).await?;
            out.push((
                i,
                Request::StopTask {
                    upid: a.upid.clone(),
                },
            ));
        }
        Command::Sim(_)
        | Command::SimControl(_)
        | Command::Trust(_)
        | Command::Audit(_)
        | Command::Get(_)
        | Command::Place(_)
        | Command::Bench(_)
        | Command::Shell(_)
        | Command::Console(_)
        | Command::Maintenance(_) => {}
    }
    Ok(out)
}

/// The one cluster a create goes to.
fn single(conns: &[Conn]) -> Result<usize, CmdError> {
    if conns.len() == 1 {
        Ok(0)
    } else {
        Err("several clusters are configured: say which with --cluster".into())
    }
}

/// Where a new guest goes and what it gets.
struct Placed {
    node: String,
    storage: String,
    pci_pools: Vec<String>,
    usb_pools: Vec<String>,
}

/// Place a create: on "auto" the scheduler picks the node; on a named node it still checks the
/// node and picks the storage when none was given. Devices in flight for other creates (in the
/// journal, from any rack) count as taken. A refusal lists every node with its reasons.
async fn place(
    a: &CreateArgs,
    sized: &Sized,
    network: &str,
    conn: &Conn,
    vmid: u32,
    placement: &PlacementConfig,
) -> Result<Placed, CmdError> {
    let auto = a.node == "auto";
    if !auto
        && sized.devices.is_empty()
        && let Some(storage) = &a.storage
    {
        return Ok(Placed {
            node: a.node.clone(),
            storage: storage.clone(),
            pci_pools: Vec::new(),
            usb_pools: Vec::new(),
        });
    }
    if a.kind == CreateKind::Ct && !sized.devices.is_empty() {
        return Err("--devices: passthrough is for VMs".into());
    }
    let ask = Ask {
        cores: sized.cores,
        memory: sized.memory_mib << 20,
        disk: sized.disk_gib << 30,
        storage: a.storage.clone(),
        content: if a.kind == CreateKind::Ct {
            "rootdir"
        } else {
            "images"
        }
        .into(),
        shared: false,
        network: Some(network.to_string()),
        devices: sized.devices.clone(),
        node: (!auto).then(|| a.node.clone()),
        anti_affinity: sized.anti_affinity.clone(),
        ha_rule: None,
    };
    let reserved = in_flight_devices(&conn.config.name);
    let placement = crate::cmd::place::rank(
        &conn.config,
        &conn.client,
        &ask,
        None,
        sized.policy,
        &placement.headroom,
        &reserved,
    )
    .await?;
    let ranking = &placement.ranking;
    let Some(best) = ranking.first().filter(|r| r.feasible) else {
        let why: Vec<String> = ranking
            .iter()
            .map(|r| format!("  {}: {}", r.node, r.reasons.join("; ")))
            .collect();
        return Err(format!("no node can take VM {vmid}:\n{}", why.join("\n")).into());
    };
    eprintln!(
        "placed on {} (score {:.1}): {}",
        best.node,
        best.score,
        best.reasons.join("; ")
    );
    let (pci, usb) = devices::pools_by_bus(&best.devices, &placement.devices);
    Ok(Placed {
        node: best.node.clone(),
        storage: best.storage.clone().unwrap_or_default(),
        pci_pools: pci,
        usb_pools: usb,
    })
}

/// Devices that creates not yet finished (of this or another rack) will take, from the journal.
fn in_flight_devices(cluster: &str) -> Reservations {
    let Some(path) = journal::default_path() else {
        return Vec::new();
    };
    let Ok((records, _)) = Journal::open(&path).and_then(|j| j.read()) else {
        return Vec::new();
    };
    reservations(
        records
            .iter()
            .filter(|r| r.cluster == cluster && !r.finished())
            .map(|r| &r.request),
    )
}

pub(super) async fn next_id(conn: &Conn) -> Result<u32, CmdError> {
    let v: serde_json::Value = conn
        .client
        .get(cluster::NEXTID)
        .await
        .map_err(|e| format!("cannot get the next free VMID: {}", e.proxmox_text()))?;
    types::next_id(&v)
        .ok_or_else(|| CmdError::Failed(format!("the next free VMID is unreadable: {v}")))
}
