//! Every API path rack calls, and the ACL paths permissions are checked on, built in one place:
//! a path is written once, and the values in it are encoded as one segment each. Callers name an
//! endpoint (`nodes::guest_config(node, "qemu", 101)`), never spell "/nodes/…".

use crate::path::segment;

pub const VERSION: &str = "/version";

/// `/access`.
pub mod access {
    /// The caller's privileges per ACL path.
    pub const PERMISSIONS: &str = "/access/permissions";
}

/// `/cluster`.
pub mod cluster {
    use super::segment;

    pub const RESOURCES: &str = "/cluster/resources";
    pub const RESOURCES_VMS: &str = "/cluster/resources?type=vm";
    pub const STATUS: &str = "/cluster/status";
    pub const TASKS: &str = "/cluster/tasks";
    pub const NEXTID: &str = "/cluster/nextid";
    pub const BACKUP_JOBS: &str = "/cluster/backup";
    pub const NOT_BACKED_UP: &str = "/cluster/backup-info/not-backed-up";
    pub const CONFIG_NODES: &str = "/cluster/config/nodes";
    pub const CEPH_STATUS: &str = "/cluster/ceph/status";
    pub const CEPH_FLAGS: &str = "/cluster/ceph/flags";
    pub const HA_RESOURCES: &str = "/cluster/ha/resources";
    pub const HA_RULES: &str = "/cluster/ha/rules";
    pub const HA_STATUS: &str = "/cluster/ha/status/current";
    pub const HA_MANAGER_STATUS: &str = "/cluster/ha/status/manager_status";
    pub const SDN_ZONES: &str = "/cluster/sdn/zones";
    pub const SDN_VNETS: &str = "/cluster/sdn/vnets";
    pub const PCI_MAPPINGS: &str = "/cluster/mapping/pci";
    pub const USB_MAPPINGS: &str = "/cluster/mapping/usb";

    /// The cluster log's newest `max` entries.
    pub fn log(max: u32) -> String {
        format!("/cluster/log?max={max}")
    }

    /// The metrics export: the newest generation, or with `history` every one kept after
    /// `start` (all kept, half an hour, without it).
    pub fn metrics_export(history: bool, start: Option<u64>) -> String {
        match (history, start) {
            (false, _) => "/cluster/metrics/export".into(),
            (true, None) => "/cluster/metrics/export?history=1".into(),
            (true, Some(t)) => format!("/cluster/metrics/export?history=1&start-time={t}"),
        }
    }

    /// Ask the HA manager to migrate a resource (`vm:101`).
    pub fn ha_migrate(sid: &str) -> String {
        format!("/cluster/ha/resources/{}/migrate", segment(sid))
    }

    pub fn sdn_subnets(vnet: &str) -> String {
        format!("/cluster/sdn/vnets/{}/subnets", segment(vnet))
    }
}

/// `/nodes/{node}`.
pub mod nodes {
    use super::segment;

    fn base(node: &str) -> String {
        format!("/nodes/{}", segment(node))
    }

    pub fn status(node: &str) -> String {
        format!("{}/status", base(node))
    }

    /// The node's load, CPU, memory and network over the last hour.
    /// A page of the node's journal since a day (`YYYY-MM-DD`), oldest first (`start` counts
    /// lines from the first).
    pub fn syslog(node: &str, since: &str, start: u64, limit: u64) -> String {
        format!(
            "{}/syslog?since={}&start={start}&limit={limit}",
            base(node),
            segment(since)
        )
    }

    /// The certificates a node's pveproxy holds (the cluster CA, the node's own).
    pub fn certificates(node: &str) -> String {
        format!("{}/certificates/info", base(node))
    }

    pub fn rrd_hour(node: &str) -> String {
        format!("{}/rrddata?timeframe=hour&cf=AVERAGE", base(node))
    }

    pub fn network(node: &str) -> String {
        format!("{}/network", base(node))
    }

    /// Its enabled storages that hold `content` (`images`, `rootdir`).
    pub fn storages_holding(node: &str, content: &str) -> String {
        format!("{}/storage?enabled=1&content={content}", base(node))
    }

    /// Its bridges (and OVS bridges), what a guest's NIC can attach to.
    pub fn bridges(node: &str) -> String {
        format!("{}/network?type=any_bridge", base(node))
    }

    /// The upgrades the node's last package-list refresh found (GET), or a refresh as an
    /// `aptupdate` task (POST).
    pub fn apt_update(node: &str) -> String {
        format!("{}/apt/update", base(node))
    }

    /// Versions of the important Proxmox packages installed, kernels among them.
    pub fn apt_versions(node: &str) -> String {
        format!("{}/apt/versions", base(node))
    }

    /// The node's newest finished tasks of one type.
    pub fn tasks_of_type(node: &str, kind: &str, limit: u32) -> String {
        format!(
            "{}/tasks?typefilter={}&limit={limit}",
            base(node),
            segment(kind)
        )
    }

    pub fn wake(node: &str) -> String {
        format!("{}/wakeonlan", base(node))
    }

    pub fn vzdump(node: &str) -> String {
        format!("{}/vzdump", base(node))
    }

    /// The guest config inside a backup archive.
    pub fn extract_config(node: &str, volume: &str) -> String {
        format!(
            "{}/vzdump/extractconfig?volume={}",
            base(node),
            segment(volume)
        )
    }

    pub fn hardware_pci(node: &str) -> String {
        format!("{}/hardware/pci", base(node))
    }

    pub fn hardware_usb(node: &str) -> String {
        format!("{}/hardware/usb", base(node))
    }

    /// A task by its UPID: its status is `…/status`, stopping it is a DELETE here.
    pub fn task(node: &str, upid: &str) -> String {
        format!("{}/tasks/{}", base(node), segment(upid))
    }

    /// A task's log from line `start` on (`limit` 0: to the end, as Proxmox reads it).
    pub fn task_log_from(node: &str, upid: &str, start: u64, limit: u64) -> String {
        format!("{}/log?start={start}&limit={limit}", task(node, upid))
    }

    /// Whether a task still runs, and how it ended.
    pub fn task_status(node: &str, upid: &str) -> String {
        format!("{}/status", task(node, upid))
    }

    /// The newest tasks (running or ended) on this node that concerned one guest.
    pub fn guest_tasks(node: &str, vmid: u32, limit: u32) -> String {
        format!("{}/tasks?vmid={vmid}&source=all&limit={limit}", base(node))
    }

    /// The first `limit` lines of a task's log.
    pub fn task_log(node: &str, upid: &str, limit: u32) -> String {
        format!("{}/log?limit={limit}", task(node, upid))
    }

    /// A Ceph list as this node reads it: `osd`, `pool`, `mon` or `mgr`.
    pub fn ceph(node: &str, what: &str) -> String {
        format!("{}/ceph/{}", base(node), segment(what))
    }

    /// A storage's volumes of one content type (`iso`, `vztmpl`, `backup`).
    pub fn storage_content(node: &str, storage: &str, content: &str) -> String {
        format!(
            "{}/storage/{}/content?content={}",
            base(node),
            segment(storage),
            segment(content)
        )
    }

    /// A storage's backups, of one guest when `vmid` is given.
    pub fn storage_backups(node: &str, storage: &str, vmid: Option<u32>) -> String {
        let only = vmid.map(|v| format!("&vmid={v}")).unwrap_or_default();
        format!("{}{only}", storage_content(node, storage, "backup"))
    }

    /// A storage's use over the last week.
    pub fn storage_rrd_week(node: &str, storage: &str) -> String {
        format!(
            "{}/storage/{}/rrddata?timeframe=week&cf=AVERAGE",
            base(node),
            segment(storage)
        )
    }

    /// The guests of one type on the node (`qemu` or `lxc`): creating and restoring post here.
    pub fn guests(node: &str, kind: &str) -> String {
        format!("{}/{}", base(node), segment(kind))
    }

    /// One guest: its config, status, snapshots, RRD and actions are below this.
    pub fn guest(node: &str, kind: &str, vmid: u32) -> String {
        format!("{}/{vmid}", guests(node, kind))
    }

    pub fn guest_config(node: &str, kind: &str, vmid: u32) -> String {
        format!("{}/config", guest(node, kind, vmid))
    }

    /// Where a terminal is opened (`termproxy`) and attached (`vncwebsocket`): the node, or a
    /// guest (`kind` qemu or lxc) below it.
    pub fn terminal_base(node: &str, of_guest: Option<(&str, u32)>) -> String {
        match of_guest {
            Some((kind, vmid)) => guest(node, kind, vmid),
            None => base(node),
        }
    }

    /// A VM's addresses, as its guest agent reports them.
    pub fn agent_interfaces(node: &str, vmid: u32) -> String {
        format!("{}/agent/network-get-interfaces", guest(node, "qemu", vmid))
    }

    /// A container's addresses (null when it is not running).
    pub fn lxc_interfaces(node: &str, vmid: u32) -> String {
        format!("{}/interfaces", guest(node, "lxc", vmid))
    }
}

/// ACL paths, as `/access/permissions` answers and privileges are checked on.
pub mod acl {
    use super::segment;

    pub fn node(node: &str) -> String {
        format!("/nodes/{}", segment(node))
    }

    pub fn vm(vmid: u32) -> String {
        format!("/vms/{vmid}")
    }

    pub fn storage(storage: &str) -> String {
        format!("/storage/{}", segment(storage))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_proxmox_documents_them() {
        assert_eq!(
            nodes::guest_config("pve1", "qemu", 101),
            "/nodes/pve1/qemu/101/config"
        );
        assert_eq!(
            nodes::storage_backups("pve1", "nas", Some(7)),
            "/nodes/pve1/storage/nas/content?content=backup&vmid=7"
        );
        assert_eq!(
            nodes::task_log("pve1", "UPID:pve1:1:2:3:qmstart:101:root@pam!rack:", 500),
            "/nodes/pve1/tasks/UPID:pve1:1:2:3:qmstart:101:root@pam!rack:/log?limit=500"
        );
        assert_eq!(
            cluster::ha_migrate("vm:104"),
            "/cluster/ha/resources/vm:104/migrate"
        );
        assert_eq!(acl::vm(101), "/vms/101");
    }
}
