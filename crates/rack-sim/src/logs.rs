//! What each kind of work is called in Proxmox's task list, how long it takes, which config
//! lock it holds, and the log it writes — shaped like qemu-server's, pve-container's and
//! vzdump's own logs.

use super::scenario::GuestKind;
use super::tasks::{LogPlan, Work, human_bytes, stamped};
use super::world::World;

/// How a piece of work shows up: task type, task id, duration, config lock, log.
pub struct Described {
    pub kind: &'static str,
    pub id: String,
    pub duration: f64,
    pub lock: Option<&'static str>,
    pub plan: LogPlan,
}

const GIB: f64 = (1u64 << 30) as f64;

impl World {
    pub fn describe(&self, node: &str, work: &Work) -> Described {
        let now = self.now;
        let guest = work.vmid().and_then(|v| self.guests.get(&v));
        let is_ct = guest.is_some_and(|g| g.kind == GuestKind::Lxc);
        let pick = |qm: &'static str, vz: &'static str| if is_ct { vz } else { qm };
        let vmid_text = work.vmid().map(|v| v.to_string()).unwrap_or_default();
        let mut plan = LogPlan::default();
        let simple = |kind, duration, lock, plan| Described {
            kind,
            id: vmid_text.clone(),
            duration,
            lock,
            plan,
        };
        match work {
            Work::Start { .. } => {
                if !is_ct {
                    plan.at(0.9, "generating cloud-init ISO").at(1.0, "");
                }
                simple(
                    pick("qmstart", "vzstart"),
                    pick_f(is_ct, 3.0, 2.0),
                    None,
                    plan,
                )
            }
            Work::Config { .. } => {
                plan.at(0.5, "update VM config");
                simple(pick("qmconfig", "vzconfig"), 1.0, None, plan)
            }
            Work::Stop { .. } => simple(pick("qmstop", "vzstop"), 1.5, None, plan),
            Work::Shutdown { .. } => simple(
                pick("qmshutdown", "vzshutdown"),
                pick_f(is_ct, 8.0, 4.0),
                None,
                plan,
            ),
            Work::Reboot { .. } => simple(
                pick("qmreboot", "vzreboot"),
                pick_f(is_ct, 12.0, 6.0),
                None,
                plan,
            ),
            Work::Suspend { .. } => simple(pick("qmsuspend", "vzsuspend"), 1.0, None, plan),
            Work::Resume { .. } => simple(pick("qmresume", "vzresume"), 1.0, None, plan),
            Work::Create {
                vmid,
                restore: Some(archive),
                ..
            } => {
                let size: u64 = guest
                    .map(|g| g.disks().iter().filter(|d| !d.cdrom).map(|d| d.size).sum())
                    .unwrap_or(0);
                // Thin disks restore at the speed of their data: about a tenth, at 400 MiB/s.
                let seconds = 8.0 + (size / 10) as f64 / (400u64 << 20) as f64;
                plan.at(
                    0.0,
                    format!(
                        "restore {} archive: {archive}",
                        if is_ct { "tar" } else { "vma" }
                    ),
                );
                for (i, pct) in [10, 25, 50, 75, 100].into_iter().enumerate() {
                    let read = size / 10 * pct / 100;
                    plan.at(
                        0.1 + 0.18 * i as f64,
                        format!(
                            "progress {pct}% (read {read} bytes, duration {} sec)",
                            (seconds * f64::from(pct as u32) / 100.0) as u64
                        ),
                    );
                }
                plan.at(1.0, format!("rescan volumes... restore of {vmid} done"));
                simple(
                    pick("qmrestore", "vzrestore"),
                    seconds,
                    Some("create"),
                    plan,
                )
            }
            Work::Create { vmid, .. } => {
                if let Some(g) = guest {
                    for disk in g.disks() {
                        if disk.cdrom {
                            continue;
                        }
                        plan.at(
                            0.3,
                            format!(
                                "  Logical volume \"{}\" created.",
                                disk.volid.split(':').nth(1).unwrap_or("")
                            ),
                        );
                    }
                }
                plan.at(1.0, format!("VM {vmid} created"));
                simple(pick("qmcreate", "vzcreate"), 6.0, Some("create"), plan)
            }
            Work::Clone { source, newid } => {
                let size: u64 = self
                    .guests
                    .get(source)
                    .map(|g| g.disks().iter().map(|d| d.size).sum())
                    .unwrap_or(0);
                let linked = self.guests.get(source).is_some_and(|g| g.template());
                let duration = if linked {
                    3.0
                } else {
                    5.0 + size as f64 / (400.0 * (1u64 << 20) as f64)
                };
                plan.at(
                    0.0,
                    format!(
                        "create {} clone of drive scsi0",
                        if linked { "linked" } else { "full" }
                    ),
                );
                if !linked {
                    for pct in [10, 25, 50, 75, 100] {
                        let done = size as f64 * f64::from(pct) / 100.0;
                        plan.at(
                            f64::from(pct) / 100.0 * 0.95,
                            format!(
                                "transferred {} of {} ({pct}.00%)",
                                human_bytes(done),
                                human_bytes(size as f64)
                            ),
                        );
                    }
                }
                Described {
                    kind: pick("qmclone", "vzclone"),
                    id: source.to_string(),
                    duration,
                    lock: Some("clone"),
                    plan: {
                        let _ = newid;
                        plan
                    },
                }
            }
            Work::Destroy { .. } => {
                if let Some(g) = guest {
                    for disk in g.disks() {
                        plan.at(
                            0.5,
                            format!(
                                "  Logical volume \"{}\" successfully removed.",
                                disk.volid.split(':').nth(1).unwrap_or("")
                            ),
                        );
                    }
                }
                simple(pick("qmdestroy", "vzdestroy"), 3.0, Some("destroyed"), plan)
            }
            Work::SnapshotCreate { name, vmstate, .. } => {
                let vmstate = *vmstate && guest.is_some_and(|g| g.running()) && !is_ct;
                if vmstate {
                    plan.at(0.2, "saving VM state and RAM using storage 'vm-disks'")
                        .at(0.8, "completed saving the VM state");
                }
                plan.at(0.9, format!("snapshot '{name}' created"));
                simple(
                    pick("qmsnapshot", "vzsnapshot"),
                    3.0,
                    Some("snapshot"),
                    plan,
                )
            }
            Work::SnapshotRollback { .. } => simple(
                pick("qmrollback", "vzrollback"),
                4.0,
                Some("rollback"),
                plan,
            ),
            Work::SnapshotDelete { .. } => simple(
                pick("qmdelsnapshot", "vzdelsnapshot"),
                2.0,
                Some("snapshot-delete"),
                plan,
            ),
            Work::Migrate {
                target,
                online,
                target_storage,
                ..
            } => self.describe_migration(guest, target, *online, target_storage.as_deref(), now),
            Work::Vzdump {
                vmids,
                storage,
                mode,
                compress,
                failing,
            } => self.describe_vzdump(node, vmids, storage, mode, compress, failing),
            Work::CephFlags { flags } => {
                for (f, on) in flags {
                    plan.at(0.5, format!("{} {f}", if *on { "set" } else { "unset" }));
                }
                Described {
                    kind: "cephsetflags",
                    id: String::new(),
                    duration: 1.0,
                    lock: None,
                    plan,
                }
            }
            Work::HaRequest { sid, state } => {
                let verb = if state == "started" { "start" } else { "stop" };
                plan.at(0.0, format!("Requesting HA {verb} for {}", sid_text(sid)));
                Described {
                    kind: if verb == "start" { "hastart" } else { "hastop" },
                    id: sid_id(sid),
                    duration: 0.5,
                    lock: None,
                    plan,
                }
            }
            Work::HaMigrate {
                sid,
                target,
                relocate,
            } => {
                let verb = if *relocate { "relocate" } else { "migration" };
                plan.at(
                    0.0,
                    format!(
                        "Requesting HA {verb} for {} to node {target}",
                        sid_text(sid)
                    ),
                );
                Described {
                    kind: if *relocate { "harelocate" } else { "hamigrate" },
                    id: sid_id(sid),
                    duration: 0.5,
                    lock: None,
                    plan,
                }
            }
            Work::StopAll { .. } => Described {
                kind: "stopall",
                id: String::new(),
                duration: 10.0,
                lock: None,
                plan,
            },
            Work::AptUpdate { .. } => {
                plan.at(0.0, "starting apt-get update")
                    .at(0.2, "Hit:1 http://deb.debian.org/debian trixie InRelease")
                    .at(0.3, "Hit:2 http://deb.debian.org/debian trixie-updates InRelease")
                    .at(
                        0.4,
                        "Hit:3 http://security.debian.org/debian-security trixie-security InRelease",
                    )
                    .at(
                        0.6,
                        "Get:4 http://download.proxmox.com/debian/pve trixie InRelease [2,771 B]",
                    )
                    .at(0.9, "Reading package lists...");
                Described {
                    kind: "aptupdate",
                    id: String::new(),
                    duration: 6.0,
                    lock: None,
                    plan,
                }
            }
            // Described by `remote` when it starts them; never through here.
            Work::RemoteOut { .. } | Work::RemoteIn { .. } => {
                simple(pick("qmigrate", "vzmigrate"), 1.0e7, None, plan)
            }
            // Until the terminal closes, which ends it (`terminal::close`).
            Work::Terminal { guest } => Described {
                kind: if guest.is_some() {
                    "vncproxy"
                } else {
                    "vncshell"
                },
                id: guest.map(|v| v.to_string()).unwrap_or_default(),
                duration: 1.0e7,
                lock: None,
                plan,
            },
            Work::StartAll { .. } => Described {
                kind: "startall",
                id: String::new(),
                duration: 5.0,
                lock: None,
                plan,
            },
        }
    }

    fn describe_migration(
        &self,
        guest: Option<&super::world::Guest>,
        target: &str,
        online: bool,
        target_storage: Option<&str>,
        now: f64,
    ) -> Described {
        let mut plan = LogPlan::default();
        let Some(g) = guest else {
            return Described {
                kind: "qmigrate",
                id: String::new(),
                duration: 1.0,
                lock: Some("migrate"),
                plan,
            };
        };
        let ip = self
            .node(target)
            .map(|n| n.def.ip.clone())
            .unwrap_or_default();
        let local: Vec<_> = g
            .disks()
            .into_iter()
            .filter(|d| !d.cdrom)
            .filter(|d| {
                d.volid
                    .split(':')
                    .next()
                    .and_then(|s| self.storage(s))
                    .is_some_and(|s| !s.shared)
            })
            .collect();
        let local_bytes: f64 = local.iter().map(|d| d.size as f64).sum();
        let mem = g.maxmem() as f64 * g.mem_used.max(0.2);
        let live = online && g.running();
        let disk_secs = local_bytes / (1.0 * GIB);
        let mem_secs = if live { mem / (1.1 * GIB) } else { 0.0 };
        let duration = 4.0 + disk_secs + mem_secs;
        let id = g.vmid;
        let at = |f: f64| now + f * duration;
        if g.kind == GuestKind::Lxc {
            plan.at(
                0.0,
                stamped(
                    at(0.0),
                    &format!("starting migration of CT {id} to node '{target}' ({ip})"),
                ),
            );
            if g.running() {
                plan.at(0.05, stamped(at(0.05), &format!("shutdown CT {id}")));
            }
            for d in &local {
                plan.at(
                    0.4,
                    stamped(
                        at(0.4),
                        &format!("found local volume '{}' (in current VM config)", d.volid),
                    ),
                );
            }
            plan.at(0.95, stamped(at(0.95), "start final cleanup"));
            if g.running() {
                plan.at(0.97, stamped(at(0.97), "start container on target node"));
            }
            plan.at(1.0, migration_finished(at(1.0), duration));
            return Described {
                kind: "vzmigrate",
                id: id.to_string(),
                duration,
                lock: Some("migrate"),
                plan,
            };
        }
        plan.at(
            0.0,
            stamped(
                at(0.0),
                &format!("starting migration of VM {id} to node '{target}' ({ip})"),
            ),
        );
        for d in &local {
            plan.at(
                0.01,
                stamped(
                    at(0.01),
                    &format!("found local disk '{}' (attached)", d.volid),
                ),
            );
        }
        if live {
            plan.at(
                0.02,
                stamped(
                    at(0.02),
                    &format!("starting VM {id} on remote node '{target}'"),
                ),
            );
        }
        let disk_end = 0.05 + 0.9 * disk_secs / (disk_secs + mem_secs).max(0.001);
        for d in &local {
            let storage = target_storage.unwrap_or_else(|| d.volid.split(':').next().unwrap_or(""));
            plan.at(
                0.04,
                stamped(
                    at(0.04),
                    &format!(
                        "volume '{}' is '{storage}:{}' on the target",
                        d.volid,
                        d.volid.split(':').nth(1).unwrap_or("")
                    ),
                ),
            );
            for pct in [20u32, 40, 60, 80, 100] {
                let f = 0.05 + (disk_end - 0.05) * f64::from(pct) / 100.0;
                let done = d.size as f64 * f64::from(pct) / 100.0;
                plan.at(
                    f,
                    stamped(
                        at(f),
                        &format!(
                            "{}: transferred {} of {} ({pct}.00%) in {}s",
                            d.key,
                            human_bytes(done),
                            human_bytes(d.size as f64),
                            (f * duration).round()
                        ),
                    ),
                );
            }
        }
        if live {
            plan.at(
                disk_end,
                stamped(
                    at(disk_end),
                    &format!(
                        "starting online/live migration on unix:/run/qemu-server/{id}.migrate"
                    ),
                ),
            );
            plan.at(
                disk_end,
                stamped(at(disk_end), "set migration capabilities"),
            );
            plan.at(
                disk_end,
                stamped(at(disk_end), "migration downtime limit: 100 ms"),
            );
            let steps = 6;
            for i in 1..=steps {
                let f = disk_end + (0.95 - disk_end) * f64::from(i) / f64::from(steps);
                let done = mem * f64::from(i) / f64::from(steps);
                plan.at(
                    f,
                    stamped(
                        at(f),
                        &format!(
                            "migration active, transferred {} of {} VM-state, {}/s",
                            human_bytes(done),
                            human_bytes(g.maxmem() as f64),
                            human_bytes(1.1 * GIB)
                        ),
                    ),
                );
            }
            plan.at(
                0.96,
                stamped(
                    at(0.96),
                    &format!(
                        "average migration speed: {}/s - downtime 42 ms",
                        human_bytes(1.1 * GIB)
                    ),
                ),
            );
            plan.at(0.96, stamped(at(0.96), "migration status: completed"));
        }
        plan.at(1.0, migration_finished(at(1.0), duration));
        Described {
            kind: "qmigrate",
            id: id.to_string(),
            duration,
            lock: Some("migrate"),
            plan,
        }
    }
}

fn migration_finished(at: f64, duration: f64) -> String {
    stamped(
        at,
        &format!(
            "migration finished successfully (duration {})",
            super::calendar::format_hms(duration)
        ),
    )
}

fn pick_f(is_ct: bool, qm: f64, ct: f64) -> f64 {
    if is_ct { ct } else { qm }
}

fn sid_text(sid: &str) -> String {
    match sid.split_once(':') {
        Some(("ct", id)) => format!("CT {id}"),
        Some((_, id)) => format!("VM {id}"),
        None => sid.to_string(),
    }
}

fn sid_id(sid: &str) -> String {
    sid.split_once(':')
        .map(|(_, id)| id.to_string())
        .unwrap_or_default()
}
