//! What a user confirmed, as data: serde so the journal can keep it and a restart can pick it
//! up again. Each request knows what it touches (for ordering and concurrency limits) and which
//! privileges it needs.

use serde::{Deserialize, Serialize};

use crate::model::GuestKind;
use crate::pve::Secret;
use crate::pve::endpoints::{acl, nodes};

pub use super::remote::RemoteMigration;

/// A guest as the request found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestRef {
    pub node: String,
    pub kind: GuestKind,
    pub vmid: u32,
    #[serde(default)]
    pub name: String,
}

impl GuestRef {
    /// `/nodes/{node}/{qemu|lxc}/{vmid}`
    pub fn path(&self) -> String {
        nodes::guest(&self.node, self.kind.api(), self.vmid)
    }

    /// "VM 101 (web01)"
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            format!("{} {}", self.kind.label(), self.vmid)
        } else {
            format!("{} {} ({})", self.kind.label(), self.vmid, self.name)
        }
    }

    /// The HA resource id: `vm:101`, `ct:102`.
    pub fn sid(&self) -> String {
        match self.kind {
            GuestKind::Qemu => format!("vm:{}", self.vmid),
            GuestKind::Lxc => format!("ct:{}", self.vmid),
        }
    }
}

/// A new VM's settings, as the create form or `rack create` gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmSpec {
    pub node: String,
    pub vmid: u32,
    pub name: String,
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
    pub storage: String,
    pub bridge: String,
    #[serde(default)]
    pub vlan: Option<u16>,
    /// An ISO volume (`local:iso/debian-13.iso`) to boot the installer from.
    #[serde(default)]
    pub iso: Option<String>,
    #[serde(default)]
    pub ciuser: Option<String>,
    #[serde(default)]
    pub sshkey: Option<String>,
    /// `dhcp` or an address with prefix (`10.0.0.5/24`); with it, cloud-init is configured.
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub gateway: Option<String>,
    #[serde(default)]
    pub start: bool,
    /// PCI resource mappings to attach (`hostpciN: mapping=POOL`), so the VM may run on any
    /// node of the pool.
    #[serde(default)]
    pub pci_pools: Vec<String>,
    /// USB resource mappings to attach (`usbN: mapping=POOL`).
    #[serde(default)]
    pub usb_pools: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A new container's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CtSpec {
    pub node: String,
    pub vmid: u32,
    pub hostname: String,
    /// A vztmpl volume: `local:vztmpl/debian-13-standard_13.1-1_amd64.tar.zst`.
    pub template: String,
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
    pub storage: String,
    pub bridge: String,
    #[serde(default)]
    pub vlan: Option<u16>,
    /// Never written to the journal; a create resumed after a restart goes without it.
    #[serde(skip)]
    pub password: Option<Secret>,
    #[serde(default)]
    pub sshkey: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub gateway: Option<String>,
    #[serde(default = "yes")]
    pub unprivileged: bool,
    #[serde(default)]
    pub start: bool,
    #[serde(default)]
    pub tags: Vec<String>,
}

fn yes() -> bool {
    true
}

/// A clone of a guest or template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloneSpec {
    pub source: GuestRef,
    pub newid: u32,
    pub name: String,
    /// Another node to put the clone on (the source must be on shared storage).
    #[serde(default)]
    pub target: Option<String>,
    /// A full copy rather than a linked clone of a template.
    pub full: bool,
    #[serde(default)]
    pub storage: Option<String>,
}

/// A backup restored as a new guest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreSpec {
    /// The guest the backup is of (it may be gone since).
    pub source: GuestRef,
    /// The archive's volume id: `nas-backup:backup/vzdump-qemu-104-….vma.zst`, a PBS snapshot.
    pub archive: String,
    pub node: String,
    pub vmid: u32,
    /// The new guest's name (hostname for a container); empty keeps the backup's.
    #[serde(default)]
    pub name: String,
    /// Where the disks go; `None` puts each where the backup says it was.
    #[serde(default)]
    pub storage: Option<String>,
    /// New MAC addresses, so the copy can run beside the original.
    #[serde(default = "yes")]
    pub unique: bool,
    #[serde(default)]
    pub start: bool,
}

/// One thing the user asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Request {
    Start {
        guest: GuestRef,
    },
    /// Graceful (ACPI / init); stops hard after `timeout` seconds when `force`.
    Shutdown {
        guest: GuestRef,
        timeout: Option<u32>,
        #[serde(default)]
        force: bool,
    },
    Stop {
        guest: GuestRef,
    },
    Reboot {
        guest: GuestRef,
    },
    Migrate {
        guest: GuestRef,
        target: String,
        online: bool,
        #[serde(default)]
        with_local_disks: bool,
        /// Through the HA manager (the guest is an HA resource).
        #[serde(default)]
        ha: bool,
    },
    /// Move the guest to another configured cluster (Proxmox's remote migration).
    RemoteMigrate(RemoteMigration),
    /// Wake a powered-off node by Wake-on-LAN and wait for it to come back.
    Wake {
        node: String,
        /// Known MAC, for sending the magic packet from here if no node answers.
        #[serde(default)]
        mac: Option<String>,
    },
    Snapshot {
        guest: GuestRef,
        name: String,
        #[serde(default)]
        description: String,
        #[serde(default)]
        vmstate: bool,
    },
    Rollback {
        guest: GuestRef,
        name: String,
        #[serde(default)]
        start: bool,
    },
    DeleteSnapshot {
        guest: GuestRef,
        name: String,
    },
    /// Destroy a stopped guest with its disks, and take its VMID out of backup jobs, replication
    /// and HA (`purge`). Its backups stay.
    Destroy {
        guest: GuestRef,
    },
    CreateVm(Box<VmSpec>),
    CreateCt(Box<CtSpec>),
    Clone(Box<CloneSpec>),
    Restore(Box<RestoreSpec>),
    /// Stop a running task.
    StopTask {
        upid: String,
    },
    /// Back a guest up now (vzdump) to `storage`.
    Backup {
        guest: GuestRef,
        storage: String,
        /// snapshot, suspend or stop.
        mode: String,
        #[serde(default)]
        compress: Option<String>,
        /// The job whose settings these are, for the record.
        #[serde(default)]
        job: Option<String>,
    },
    /// Set or unset a cluster-wide Ceph flag (noout, norebalance …).
    CephFlag {
        flag: String,
        set: bool,
    },
    /// `apt-get update` on a node, as an `aptupdate` task: its list of upgrades is new after.
    RefreshPackages {
        node: String,
    },
    /// Reboot or shut down a node (`POST /nodes/{node}/status`).
    NodePower {
        node: String,
        reboot: bool,
    },
}

impl Request {
    /// The existing guest the request acts on.
    pub fn guest(&self) -> Option<&GuestRef> {
        match self {
            Request::Start { guest }
            | Request::Shutdown { guest, .. }
            | Request::Stop { guest }
            | Request::Reboot { guest }
            | Request::Migrate { guest, .. }
            | Request::Snapshot { guest, .. }
            | Request::Rollback { guest, .. }
            | Request::DeleteSnapshot { guest, .. }
            | Request::Destroy { guest }
            | Request::Backup { guest, .. } => Some(guest),
            Request::Clone(s) => Some(&s.source),
            Request::RemoteMigrate(m) => Some(&m.guest),
            _ => None,
        }
    }

    /// The guest whose actions must run one after another.
    pub fn vmid(&self) -> Option<u32> {
        match self {
            Request::CreateVm(s) => Some(s.vmid),
            Request::CreateCt(s) => Some(s.vmid),
            Request::Clone(s) => Some(s.newid),
            Request::Restore(s) => Some(s.vmid),
            _ => self.guest().map(|g| g.vmid),
        }
    }

    /// The node whose concurrency limit the request counts against.
    pub fn node(&self) -> &str {
        match self {
            Request::CreateVm(s) => &s.node,
            Request::CreateCt(s) => &s.node,
            Request::Restore(s) => &s.node,
            Request::Wake { node, .. }
            | Request::RefreshPackages { node }
            | Request::NodePower { node, .. } => node,
            Request::StopTask { upid } => upid.split(':').nth(1).unwrap_or(""),
            _ => self.guest().map(|g| g.node.as_str()).unwrap_or(""),
        }
    }

    /// The verb, as the tasks pane and the journal name it.
    pub fn verb(&self) -> &'static str {
        match self {
            Request::Start { .. } => "start",
            Request::Shutdown { .. } => "shutdown",
            Request::Stop { .. } => "stop",
            Request::Reboot { .. } => "reboot",
            Request::Migrate { .. } => "migrate",
            Request::RemoteMigrate(_) => "remote-migrate",
            Request::Wake { .. } => "wake",
            Request::Snapshot { .. } => "snapshot",
            Request::Rollback { .. } => "rollback",
            Request::DeleteSnapshot { .. } => "delete-snapshot",
            Request::Destroy { .. } => "destroy",
            Request::CreateVm(_) => "create-vm",
            Request::CreateCt(_) => "create-ct",
            Request::Clone(_) => "clone",
            Request::Restore(_) => "restore",
            Request::StopTask { .. } => "stop-task",
            Request::CephFlag { .. } => "ceph-flag",
            Request::RefreshPackages { .. } => "refresh-packages",
            Request::NodePower { reboot: true, .. } => "reboot-node",
            Request::NodePower { reboot: false, .. } => "shutdown-node",
            Request::Backup { .. } => "backup",
        }
    }

    /// One line for a person: "migrate VM 101 (web01) to pve2, online".
    pub fn describe(&self) -> String {
        match self {
            Request::RemoteMigrate(m) => m.describe(),
            Request::Start { guest } => format!("start {}", guest.label()),
            Request::Shutdown {
                guest,
                timeout,
                force,
            } => match (timeout, force) {
                (Some(t), true) => {
                    format!("shut down {} (timeout {t}s, then stop hard)", guest.label())
                }
                (Some(t), false) => format!("shut down {} (timeout {t}s)", guest.label()),
                (None, _) => format!("shut down {}", guest.label()),
            },
            Request::Stop { guest } => format!("stop {}", guest.label()),
            Request::Reboot { guest } => format!("reboot {}", guest.label()),
            Request::Migrate {
                guest,
                target,
                online,
                with_local_disks,
                ha,
            } => {
                let mut how = Vec::new();
                if *online {
                    how.push("online");
                }
                if *with_local_disks {
                    how.push("with local disks");
                }
                if *ha {
                    how.push("through HA");
                }
                let how = if how.is_empty() {
                    String::new()
                } else {
                    format!(", {}", how.join(", "))
                };
                format!("migrate {} to {target}{how}", guest.label())
            }
            Request::Wake { node, .. } => format!("wake {node}"),
            Request::Snapshot {
                guest,
                name,
                vmstate,
                ..
            } => format!(
                "snapshot {} as '{name}'{}",
                guest.label(),
                if *vmstate { " with RAM" } else { "" }
            ),
            Request::Rollback { guest, name, .. } => {
                format!("roll {} back to '{name}'", guest.label())
            }
            Request::DeleteSnapshot { guest, name } => {
                format!("delete snapshot '{name}' of {}", guest.label())
            }
            Request::Destroy { guest } => format!(
                "destroy {} and its disks, and drop it from backup jobs and HA (its backups stay)",
                guest.label()
            ),
            Request::CreateVm(s) => {
                let pools: Vec<&str> = s
                    .pci_pools
                    .iter()
                    .chain(&s.usb_pools)
                    .map(String::as_str)
                    .collect();
                let with = if pools.is_empty() {
                    String::new()
                } else {
                    format!(" with {}", pools.join(", "))
                };
                format!("create VM {} ({}) on {}{with}", s.vmid, s.name, s.node)
            }
            Request::CreateCt(s) => {
                format!("create CT {} ({}) on {}", s.vmid, s.hostname, s.node)
            }
            Request::Clone(s) => format!(
                "clone {} to {} ({}){}",
                s.source.label(),
                s.newid,
                s.name,
                s.target
                    .as_ref()
                    .map(|t| format!(" on {t}"))
                    .unwrap_or_default()
            ),
            Request::Restore(s) => format!(
                "restore {}'s backup {} as {} {}{} on {}",
                s.source.label(),
                s.archive,
                s.source.kind.label(),
                s.vmid,
                if s.name.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", s.name)
                },
                s.node
            ),
            Request::StopTask { upid } => format!("stop task {upid}"),
            Request::Backup {
                guest,
                storage,
                mode,
                job,
                ..
            } => format!(
                "back up {} to {storage} now ({mode} mode{})",
                guest.label(),
                job.as_ref()
                    .map(|j| format!(", as job {j}"))
                    .unwrap_or_default()
            ),
            Request::CephFlag { flag, set: true } => format!("set Ceph flag {flag}"),
            Request::CephFlag { flag, set: false } => format!("unset Ceph flag {flag}"),
            Request::RefreshPackages { node } => format!("refresh the package lists of {node}"),
            Request::NodePower { node, reboot: true } => format!("reboot node {node}"),
            Request::NodePower {
                node,
                reboot: false,
            } => format!("shut down node {node}"),
        }
    }

    /// The privileges Proxmox will check, each with its ACL path.
    pub fn needs(&self) -> Vec<(&'static str, String)> {
        let vm = acl::vm;
        match self {
            Request::Start { guest }
            | Request::Shutdown { guest, .. }
            | Request::Stop { guest }
            | Request::Reboot { guest } => vec![("VM.PowerMgmt", vm(guest.vmid))],
            Request::RemoteMigrate(m) => vec![("VM.Migrate", vm(m.guest.vmid))],
            Request::Migrate { guest, ha, .. } => {
                let mut needs = vec![("VM.Migrate", vm(guest.vmid))];
                if *ha {
                    needs.push(("Sys.Console", "/".into()));
                }
                needs
            }
            Request::Wake { node, .. } => vec![("Sys.PowerMgmt", acl::node(node))],
            Request::Snapshot { guest, .. } | Request::DeleteSnapshot { guest, .. } => {
                vec![("VM.Snapshot", vm(guest.vmid))]
            }
            Request::Rollback { guest, .. } => vec![("VM.Snapshot.Rollback", vm(guest.vmid))],
            Request::Destroy { guest } => vec![("VM.Allocate", vm(guest.vmid))],
            Request::CreateVm(s) => vec![
                ("VM.Allocate", vm(s.vmid)),
                ("Datastore.AllocateSpace", acl::storage(&s.storage)),
            ],
            Request::CreateCt(s) => vec![
                ("VM.Allocate", vm(s.vmid)),
                ("Datastore.AllocateSpace", acl::storage(&s.storage)),
            ],
            Request::Clone(s) => vec![
                ("VM.Clone", vm(s.source.vmid)),
                ("VM.Allocate", vm(s.newid)),
            ],
            Request::Restore(s) => {
                let mut needs = vec![("VM.Allocate", vm(s.vmid))];
                if let Some(storage) = &s.storage {
                    needs.push(("Datastore.AllocateSpace", acl::storage(storage)));
                }
                needs
            }
            // Proxmox lets the task's owner stop it, others need Sys.Modify: the API decides.
            Request::StopTask { .. } => Vec::new(),
            Request::CephFlag { .. } => vec![("Sys.Modify", "/".into())],
            Request::RefreshPackages { node } => vec![("Sys.Modify", acl::node(node))],
            Request::NodePower { node, .. } => vec![("Sys.PowerMgmt", acl::node(node))],
            Request::Backup { guest, storage, .. } => vec![
                ("VM.Backup", vm(guest.vmid)),
                ("Datastore.AllocateSpace", acl::storage(storage)),
            ],
        }
    }

    /// Whether it destroys state or interrupts service, and so needs an explicit confirmation.
    pub fn destructive(&self) -> bool {
        // A remote migration deletes the source once it succeeded, unless kept.
        if let Request::RemoteMigrate(m) = self {
            return !m.keep_source;
        }
        matches!(
            self,
            Request::Stop { .. }
                | Request::Rollback { .. }
                | Request::DeleteSnapshot { .. }
                | Request::Destroy { .. }
                | Request::StopTask { .. }
                | Request::NodePower { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web() -> GuestRef {
        GuestRef {
            node: "pve1".into(),
            kind: GuestKind::Qemu,
            vmid: 101,
            name: "web01".into(),
        }
    }

    #[test]
    fn round_trips_through_json_by_name() {
        let r = Request::Migrate {
            guest: web(),
            target: "pve2".into(),
            online: true,
            with_local_disks: false,
            ha: false,
        };
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains("\"action\":\"migrate\""), "{text}");
        assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), r);
        assert_eq!(r.describe(), "migrate VM 101 (web01) to pve2, online");
        assert_eq!(r.needs(), vec![("VM.Migrate", "/vms/101".to_string())]);
    }

    #[test]
    fn passwords_stay_off_disk() {
        let ct = CtSpec {
            node: "pve1".into(),
            vmid: 200,
            hostname: "ct".into(),
            template: "local:vztmpl/x.tar.zst".into(),
            cores: 1,
            memory_mib: 512,
            disk_gib: 8,
            storage: "local-lvm".into(),
            bridge: "vmbr0".into(),
            vlan: None,
            password: Some(crate::pve::Secret::new("hunter2")),
            sshkey: None,
            ip: None,
            gateway: None,
            unprivileged: true,
            start: false,
            tags: Vec::new(),
        };
        let text = serde_json::to_string(&Request::CreateCt(Box::new(ct))).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
    }
}
