//! The simulated datacenter's state: nodes, guests, storage, Ceph, HA, backups, tasks.
//! Built from a scenario; changed only by API handlers and `dynamics`.

use std::collections::{BTreeMap, BTreeSet};

use super::calendar::Schedule;
use super::faults::Faults;
pub use super::guest_config::{Disk, GuestConfig, is_disk_key};
use super::packages::Packages;
use super::scenario::{
    BackupJobDef, CephPoolDef, GuestKind, HaRuleDef, InterfaceDef, MappingsDef, NodeDef, OsdDef,
    PoolDef, Scenario, SdnDef, Software, StorageDef,
};
use super::tasks::Task;

/// Seconds a node may be unreachable before HA fences it and recovers its services.
pub const HA_FENCE_DELAY: f64 = 120.0;
/// Ceph marks a down OSD out after this long (mon_osd_down_out_interval), unless `noout` is set.
pub const OSD_DOWN_OUT: f64 = 600.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Power {
    On,
    Off,
    Booting { ready_at: f64 },
    ShuttingDown { off_at: f64 },
}

#[derive(Debug, Clone)]
pub struct Node {
    pub def: NodeDef,
    pub power: Power,
    pub booted_at: f64,
    pub offline_since: Option<f64>,
    /// The last time the node was down: (went down, came back).
    pub last_outage: Option<(f64, f64)>,
    pub interfaces: Vec<InterfaceDef>,
    pub pid_counter: u32,
    pub packages: Packages,
}

impl Node {
    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// Whether the node answers (its API and its guests are up).
    pub fn online(&self) -> bool {
        matches!(self.power, Power::On | Power::ShuttingDown { .. })
    }

    pub fn mem_total(&self) -> u64 {
        self.def.memory.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestStatus {
    Running,
    Stopped,
    Paused,
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub name: String,
    pub description: String,
    pub parent: Option<String>,
    pub snaptime: f64,
    pub vmstate: bool,
    pub config: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Guest {
    pub vmid: u32,
    pub kind: GuestKind,
    pub node: String,
    pub status: GuestStatus,
    pub pool: Option<String>,
    pub load: f64,
    pub mem_used: f64,
    pub config: GuestConfig,
    pub snapshots: Vec<Snapshot>,
    /// The snapshot the current state descends from.
    pub parent_snapshot: Option<String>,
    pub started_at: f64,
    /// Set when the guest stopped; history before `started_at` shows it idle.
    pub stopped_at: Option<f64>,
}

impl Guest {
    /// A guest just made (created, cloned, arriving): stopped since `now`, no snapshots, a
    /// new guest's typical load and memory use.
    pub fn new_stopped(
        vmid: u32,
        kind: GuestKind,
        node: String,
        config: GuestConfig,
        now: f64,
    ) -> Self {
        Self {
            vmid,
            kind,
            node,
            status: GuestStatus::Stopped,
            pool: None,
            load: 0.15,
            mem_used: 0.4,
            config,
            snapshots: Vec::new(),
            parent_snapshot: None,
            started_at: now,
            stopped_at: Some(now),
        }
    }

    pub fn name(&self) -> String {
        self.name_ref().into_owned()
    }

    /// The name without copying it when the config has one.
    pub fn name_ref(&self) -> std::borrow::Cow<'_, str> {
        let key = match self.kind {
            GuestKind::Qemu => "name",
            GuestKind::Lxc => "hostname",
        };
        match self.config.get(key) {
            Some(name) => std::borrow::Cow::Borrowed(name),
            None => std::borrow::Cow::Owned(format!("VM {}", self.vmid)),
        }
    }

    pub fn type_name(&self) -> &'static str {
        self.kind.api()
    }

    /// `vm:101` or `ct:200`, as HA names resources.
    pub fn sid(&self) -> String {
        match self.kind {
            GuestKind::Qemu => format!("vm:{}", self.vmid),
            GuestKind::Lxc => format!("ct:{}", self.vmid),
        }
    }

    pub fn template(&self) -> bool {
        self.config.get("template").is_some_and(|v| v == "1")
    }

    pub fn running(&self) -> bool {
        matches!(self.status, GuestStatus::Running | GuestStatus::Paused)
    }

    pub fn lock(&self) -> Option<&str> {
        self.config.get("lock").map(String::as_str)
    }

    pub fn cores(&self) -> u32 {
        self.config.sizes(self.kind).cores
    }

    pub fn maxmem(&self) -> u64 {
        self.config.sizes(self.kind).maxmem
    }

    pub fn disks(&self) -> Vec<Disk> {
        self.config.disks(self.kind)
    }

    /// The boot disk's size: what /cluster/resources calls `maxdisk`.
    pub fn maxdisk(&self) -> u64 {
        self.config.sizes(self.kind).maxdisk
    }

    pub fn tags(&self) -> Option<&str> {
        self.config.get("tags").map(String::as_str)
    }
}

#[derive(Debug, Clone)]
pub struct Volume {
    pub volid: String,
    pub storage: String,
    /// The node holding it, for non-shared storage.
    pub node: Option<String>,
    pub vmid: Option<u32>,
    pub content: String,
    pub format: String,
    pub size: u64,
    pub ctime: f64,
    pub notes: Option<String>,
    pub protected: bool,
    /// PBS verification: Some(true) ok, Some(false) failed, None not verified.
    pub verified: Option<bool>,
    /// A backup's guest configuration, as the archive carries it for a restore.
    pub config: Option<GuestConfig>,
}

#[derive(Debug, Clone)]
pub struct Ceph {
    pub fsid: String,
    pub version: String,
    pub mons: Vec<String>,
    pub mgrs: Vec<String>,
    pub osds: Vec<OsdDef>,
    pub pools: Vec<CephPoolDef>,
    pub flags: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub struct HaResource {
    pub sid: String,
    pub state: String,
    pub max_restart: u32,
    pub max_relocate: u32,
    pub failback: bool,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Ha {
    pub resources: BTreeMap<String, HaResource>,
    pub rules: Vec<HaRuleDef>,
    pub maintenance: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub struct BackupJob {
    pub def: BackupJobDef,
    pub schedule: Option<Schedule>,
    pub next_run: Option<f64>,
}

pub struct World {
    pub seed: u64,
    pub cluster_name: Option<String>,
    pub software: Software,
    pub nodes: Vec<Node>,
    pub guests: BTreeMap<u32, Guest>,
    pub storages: Vec<StorageDef>,
    pub volumes: Vec<Volume>,
    pub ceph: Option<Ceph>,
    pub sdn: SdnDef,
    pub mappings: MappingsDef,
    pub pools: Vec<PoolDef>,
    pub ha: Ha,
    pub backup_jobs: Vec<BackupJob>,
    pub options: BTreeMap<String, String>,
    pub tasks: Vec<Task>,
    pub faults: Faults,
    /// Simulated time up to which dynamics have been applied.
    pub now: f64,
}

impl World {
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.def.name == name)
    }

    pub fn node_mut(&mut self, name: &str) -> Option<&mut Node> {
        self.nodes.iter_mut().find(|n| n.def.name == name)
    }

    /// Corosync quorum: more than half of corosync's votes are present.
    pub fn quorate(&self) -> bool {
        let votes = |online: bool| -> u32 {
            self.nodes
                .iter()
                .filter(|n| !online || n.online())
                .map(|n| n.def.votes)
                .sum()
        };
        votes(true) * 2 > votes(false)
    }

    /// The node that answers API requests: the first one that is up.
    pub fn local_node(&self) -> Option<&Node> {
        self.nodes.iter().find(|n| n.online())
    }

    pub fn storage(&self, id: &str) -> Option<&StorageDef> {
        self.storages.iter().find(|s| s.id == id)
    }

    pub fn storage_on(&self, id: &str, node: &str) -> Option<&StorageDef> {
        self.storage(id)
            .filter(|s| s.nodes.as_ref().is_none_or(|n| n.iter().any(|x| x == node)))
    }

    /// The volumes `storage` holds as `node` sees it: all of a shared one, the node's own of a
    /// local one.
    pub fn volumes_on<'a>(
        &'a self,
        storage: &'a StorageDef,
        node: &'a str,
    ) -> impl Iterator<Item = &'a Volume> {
        self.volumes.iter().filter(move |v| {
            v.storage == storage.id && (storage.shared || v.node.as_deref() == Some(node))
        })
    }

    pub fn is_ha(&self, guest: &Guest) -> bool {
        self.ha.resources.contains_key(&guest.sid())
    }

    pub fn ceph_raw_total(&self) -> u64 {
        self.ceph
            .as_ref()
            .map(|c| c.osds.iter().map(|o| o.size.0).sum())
            .unwrap_or(0)
    }

    /// Whether an OSD is up (its host is up) and in (not down longer than the out interval,
    /// unless `noout` holds it in).
    pub fn osd_state(&self, osd: &OsdDef) -> (bool, bool) {
        let Some(node) = self.node(&osd.host) else {
            return (false, false);
        };
        if node.online() {
            return (true, true);
        }
        let noout = self
            .ceph
            .as_ref()
            .is_some_and(|c| c.flags.contains("noout"));
        let down_for = node.offline_since.map(|t| self.now - t).unwrap_or(0.0);
        (false, noout || down_for < OSD_DOWN_OUT)
    }

    pub fn next_free_vmid(&self, from: u32) -> u32 {
        let mut id = from.max(100);
        while self.guests.contains_key(&id) {
            id += 1;
        }
        id
    }

    /// Guests a backup job selects, in vmid order.
    pub fn job_guests(&self, job: &BackupJobDef) -> Vec<u32> {
        let excluded: BTreeSet<u32> = id_list(job.exclude.as_deref());
        let listed: BTreeSet<u32> = id_list(job.vmid.as_deref());
        self.guests
            .values()
            .filter(|g| !g.template())
            .filter(|g| job.node.as_deref().is_none_or(|n| n == g.node))
            .filter(|g| {
                if job.all {
                    !excluded.contains(&g.vmid)
                } else if let Some(pool) = &job.pool {
                    g.pool.as_deref() == Some(pool.as_str())
                } else {
                    listed.contains(&g.vmid)
                }
            })
            .map(|g| g.vmid)
            .collect()
    }
}

/// `100,101` (or space-separated) into ids; bad items are skipped.
pub fn id_list(text: Option<&str>) -> BTreeSet<u32> {
    text.unwrap_or("")
        .split([',', ' ', ';'])
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// Turn a TOML value from a scenario into the string Proxmox would store.
fn config_value(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => u8::from(*b).to_string(),
        other => other.to_string(),
    }
}

impl World {
    pub fn from_scenario(scenario: &Scenario, seed: u64, now: f64) -> Self {
        let uptime = scenario.history.uptime_days * 86_400.0;
        let nodes = scenario
            .nodes
            .iter()
            .map(|def| {
                let host = def.ip.rsplit('.').next().unwrap_or("1").to_string();
                let mut interfaces: Vec<InterfaceDef> = scenario.interfaces.clone();
                for own in &def.interfaces {
                    interfaces.retain(|i| i.iface != own.iface);
                    interfaces.push(own.clone());
                }
                for iface in &mut interfaces {
                    if let Some(cidr) = &mut iface.cidr {
                        *cidr = cidr.replace("{host}", &host);
                    }
                }
                Node {
                    def: def.clone(),
                    power: if def.online { Power::On } else { Power::Off },
                    booted_at: now - uptime,
                    offline_since: (!def.online).then_some(now - 3600.0),
                    last_outage: None,
                    interfaces,
                    pid_counter: 0x0010_0000
                        + (seed as u32 & 0xffff)
                        + def.name.len() as u32 * 0x1000,
                    packages: Packages::new(
                        &scenario.software,
                        def,
                        scenario.ceph.as_ref().map(|c| c.version.as_str()),
                    ),
                }
            })
            .collect();

        let mut guests = BTreeMap::new();
        for def in &scenario.guests {
            let config: BTreeMap<String, String> = def
                .config
                .iter()
                .map(|(k, v)| (k.clone(), config_value(v)))
                .collect();
            let running = def.status == "running";
            let mut snapshots = Vec::new();
            for s in &def.snapshots {
                snapshots.push(Snapshot {
                    name: s.name.clone(),
                    description: s.description.clone(),
                    parent: s.parent.clone(),
                    snaptime: now - s.age_days * 86_400.0,
                    vmstate: s.vmstate,
                    config: config.clone(),
                });
            }
            let parent_snapshot = snapshots.last().map(|s| s.name.clone());
            guests.insert(
                def.vmid,
                Guest {
                    vmid: def.vmid,
                    kind: def.kind,
                    node: def.node.clone(),
                    status: if running {
                        GuestStatus::Running
                    } else {
                        GuestStatus::Stopped
                    },
                    pool: def.pool.clone(),
                    load: def.load.clamp(0.0, 1.0),
                    mem_used: def.mem_used.clamp(0.0, 1.0),
                    config: config.into(),
                    snapshots,
                    parent_snapshot,
                    started_at: now - uptime + 60.0 + f64::from(def.vmid % 97),
                    stopped_at: (!running).then_some(now - uptime),
                },
            );
        }

        let ceph = scenario.ceph.as_ref().map(|c| {
            let mut hosts: Vec<String> = Vec::new();
            for osd in &c.osds {
                if !hosts.contains(&osd.host) {
                    hosts.push(osd.host.clone());
                }
            }
            Ceph {
                fsid: c.fsid.clone(),
                version: c.version.clone(),
                mons: c.mons.clone().unwrap_or_else(|| hosts.clone()),
                mgrs: c.mgrs.clone().unwrap_or(hosts),
                osds: c.osds.clone(),
                pools: c.pools.clone(),
                flags: c.flags.iter().cloned().collect(),
            }
        });

        let ha = Ha {
            resources: scenario
                .ha
                .resources
                .iter()
                .map(|r| {
                    (
                        r.sid.clone(),
                        HaResource {
                            sid: r.sid.clone(),
                            state: r.state.clone(),
                            max_restart: r.max_restart,
                            max_relocate: r.max_relocate,
                            failback: r.failback,
                            comment: r.comment.clone(),
                        },
                    )
                })
                .collect(),
            rules: scenario.ha.rules.clone(),
            maintenance: scenario.ha.maintenance.iter().cloned().collect(),
        };

        let backup_jobs = scenario
            .backup_jobs
            .iter()
            .map(|def| {
                let schedule = Schedule::parse(&def.schedule);
                let next_run = schedule.as_ref().map(|s| s.next_after(now));
                BackupJob {
                    def: def.clone(),
                    schedule,
                    next_run,
                }
            })
            .collect();

        let mut world = World {
            seed,
            cluster_name: scenario.cluster.as_ref().map(|c| c.name.clone()),
            software: scenario.software.clone(),
            nodes,
            guests,
            storages: scenario.storage.clone(),
            volumes: Vec::new(),
            ceph,
            sdn: scenario.sdn.clone(),
            mappings: scenario.mappings.clone(),
            pools: scenario.pools.clone(),
            ha,
            backup_jobs,
            options: scenario
                .options
                .iter()
                .map(|(k, v)| (k.clone(), config_value(v)))
                .collect(),
            tasks: Vec::new(),
            faults: Faults::default(),
            now,
        };
        world.place_guest_disks();
        world.place_content(scenario);
        super::history::place_backup_history(&mut world, scenario.history.backup_days);
        world.place_apt_history(scenario.software.refreshed_hours);
        // Task lists are read newest last; history was placed kind by kind.
        world.tasks.sort_by(|a, b| a.start.total_cmp(&b.start));
        world
    }

    /// Register every disk named in a guest config as a volume on its storage.
    pub fn place_guest_disks(&mut self) {
        let mut volumes = Vec::new();
        for guest in self.guests.values() {
            for disk in guest.disks() {
                if disk.cdrom && !disk.volid.ends_with("-cloudinit") {
                    continue;
                }
                if let Some(v) = self.disk_volume(guest, &disk) {
                    volumes.push(v);
                }
            }
        }
        self.volumes.extend(volumes);
    }

    /// The storage volume behind a guest disk, if it lives on a storage this world knows.
    pub fn disk_volume(&self, guest: &Guest, disk: &Disk) -> Option<Volume> {
        let (storage_id, _) = disk.volid.split_once(':')?;
        let storage = self.storage(storage_id)?;
        Some(Volume {
            volid: disk.volid.clone(),
            storage: storage.id.clone(),
            node: (!storage.shared).then(|| guest.node.clone()),
            vmid: Some(guest.vmid),
            content: match guest.kind {
                GuestKind::Qemu => "images".into(),
                GuestKind::Lxc => "rootdir".into(),
            },
            format: if storage.kind == "dir" || storage.kind == "nfs" {
                "qcow2".into()
            } else {
                "raw".into()
            },
            size: disk.size.max(4 << 20),
            ctime: self.now - 86_400.0 * 30.0,
            notes: None,
            protected: false,
            verified: None,
            config: None,
        })
    }

    fn place_content(&mut self, scenario: &Scenario) {
        for c in &scenario.content {
            let Some(storage) = self.storage(&c.storage).cloned() else {
                continue;
            };
            let content = c.volume.split('/').next().unwrap_or("iso").to_string();
            let holders: Vec<Option<String>> = if storage.shared {
                vec![None]
            } else {
                self.nodes
                    .iter()
                    .map(|n| n.def.name.clone())
                    .filter(|n| storage.nodes.as_ref().is_none_or(|l| l.contains(n)))
                    .filter(|n| c.nodes.as_ref().is_none_or(|l| l.contains(n)))
                    .map(Some)
                    .collect()
            };
            for node in holders {
                self.volumes.push(Volume {
                    volid: format!("{}:{}", c.storage, c.volume),
                    storage: c.storage.clone(),
                    node,
                    vmid: None,
                    format: if content == "iso" {
                        "iso".into()
                    } else {
                        c.volume.rsplit('.').next().unwrap_or("raw").to_string()
                    },
                    content: content.clone(),
                    size: c.size.0,
                    ctime: self.now - 86_400.0 * 60.0,
                    notes: None,
                    protected: false,
                    verified: None,
                    config: None,
                });
            }
        }
    }
}
