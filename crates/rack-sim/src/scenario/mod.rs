//! Scenario files: the documented TOML a user writes to describe a cluster for the simulator.
//! `assets/scenarios/homelab.toml` is the reference; every key is explained there.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The scenarios shipped inside the binary, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "homelab",
        include_str!("../../../../assets/scenarios/homelab.toml"),
    ),
    (
        "laptop",
        include_str!("../../../../assets/scenarios/laptop.toml"),
    ),
];

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Absent for a standalone node that is in no cluster.
    pub cluster: Option<ClusterDef>,
    #[serde(default)]
    pub software: Software,
    #[serde(default)]
    pub nodes: Vec<NodeDef>,
    /// Interfaces every node has; `{host}` in an address is replaced by the last octet of the
    /// node's `ip`.
    #[serde(default)]
    pub interfaces: Vec<InterfaceDef>,
    #[serde(default)]
    pub storage: Vec<StorageDef>,
    #[serde(default)]
    pub content: Vec<ContentDef>,
    pub ceph: Option<CephDef>,
    #[serde(default)]
    pub sdn: SdnDef,
    #[serde(default)]
    pub mappings: MappingsDef,
    #[serde(default)]
    pub pools: Vec<PoolDef>,
    #[serde(default)]
    pub guests: Vec<GuestDef>,
    #[serde(default)]
    pub ha: HaDef,
    #[serde(default)]
    pub backup_jobs: Vec<BackupJobDef>,
    #[serde(default)]
    pub options: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub history: HistoryDef,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterDef {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Software {
    #[serde(default = "default_pve_version")]
    pub pve_version: String,
    #[serde(default = "default_repoid")]
    pub repoid: String,
    #[serde(default = "default_kernel")]
    pub kernel: String,
    /// Hours before the start when each node last refreshed its package lists (the daily
    /// `aptupdate` task).
    #[serde(default = "default_refreshed")]
    pub refreshed_hours: f64,
    /// What the repository offers that is newer than what the nodes have installed.
    #[serde(default)]
    pub upgrades: Vec<UpgradeDef>,
}

impl Default for Software {
    fn default() -> Self {
        Self {
            pve_version: default_pve_version(),
            repoid: default_repoid(),
            kernel: default_kernel(),
            refreshed_hours: default_refreshed(),
            upgrades: Vec::new(),
        }
    }
}

/// A package version in the repository. Listed by `GET /nodes/{node}/apt/update` on every node
/// (or those in `nodes`) that has an older version installed, or does not have the package yet.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpgradeDef {
    pub package: String,
    pub version: String,
    pub title: Option<String>,
    #[serde(default = "default_origin")]
    pub origin: String,
    #[serde(default = "default_section")]
    pub section: String,
    #[serde(default)]
    pub nodes: Vec<String>,
}

fn default_refreshed() -> f64 {
    6.0
}
fn default_origin() -> String {
    "Proxmox".into()
}
fn default_section() -> String {
    "admin".into()
}

fn default_pve_version() -> String {
    "9.1.2".into()
}
fn default_repoid() -> String {
    "3bdeea5e4d5d8c7c".into()
}
fn default_kernel() -> String {
    "6.17.2-1-pve".into()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeDef {
    pub name: String,
    pub ip: String,
    pub cpu_model: String,
    #[serde(default = "one")]
    pub sockets: u32,
    pub cores: u32,
    pub threads: u32,
    pub memory: Size,
    pub rootfs: Size,
    /// MAC for wake-on-LAN; written to the node config as `wakeonlan`.
    pub mac: Option<String>,
    #[serde(default = "yes")]
    pub online: bool,
    /// Host overhead as a CPU fraction.
    #[serde(default = "default_overhead")]
    pub overhead: f64,
    /// Seconds from power-on to the API answering.
    #[serde(default = "default_boot")]
    pub boot_seconds: f64,
    #[serde(default)]
    pub pci: Vec<PciDef>,
    #[serde(default)]
    pub usb: Vec<UsbDef>,
    /// Interfaces only this node has (added to the shared ones; same iface name replaces).
    #[serde(default)]
    pub interfaces: Vec<InterfaceDef>,
    pub subscription: Option<String>,
    /// A newer kernel release installed but not booted yet (a reboot is due); the node runs
    /// `[software] kernel`.
    pub kernel_installed: Option<String>,
    /// Corosync quorum votes (`quorum_votes` in corosync.conf).
    #[serde(default = "one")]
    pub votes: u32,
    /// Days until the node's certificate expires (from the simulated start); two years after
    /// it joined when absent.
    pub cert_days_left: Option<f64>,
}

fn one() -> u32 {
    1
}
fn default_overhead() -> f64 {
    0.03
}
fn default_boot() -> f64 {
    90.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PciDef {
    pub id: String,
    pub class: String,
    pub vendor: String,
    pub device: String,
    pub vendor_name: Option<String>,
    pub device_name: Option<String>,
    pub subsystem_vendor: Option<String>,
    pub subsystem_device: Option<String>,
    #[serde(default = "minus_one")]
    pub iommugroup: i64,
    #[serde(default)]
    pub mdev: bool,
}

fn minus_one() -> i64 {
    -1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsbDef {
    pub busnum: u32,
    pub devnum: u32,
    pub port: u32,
    #[serde(default = "one")]
    pub level: u32,
    #[serde(default)]
    pub class: u32,
    pub vendid: String,
    pub prodid: String,
    #[serde(default = "default_usb_speed")]
    pub speed: String,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    pub serial: Option<String>,
    pub usbpath: Option<String>,
}

fn default_usb_speed() -> String {
    "480".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceDef {
    pub iface: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub cidr: Option<String>,
    pub gateway: Option<String>,
    pub bridge_ports: Option<String>,
    #[serde(default)]
    pub vlan_aware: bool,
    pub bridge_vids: Option<String>,
    pub slaves: Option<String>,
    pub bond_mode: Option<String>,
    pub vlan_id: Option<u32>,
    pub vlan_raw_device: Option<String>,
    pub mtu: Option<u32>,
    pub comments: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    /// Open vSwitch: the bridge's ports (`OVSBridge`), the bond's members (`OVSBond`), the
    /// bridge a port belongs to (`OVSPort`, `OVSIntPort`, `OVSBond`) and a port's VLAN tag.
    pub ovs_ports: Option<String>,
    pub ovs_bonds: Option<String>,
    pub ovs_bridge: Option<String>,
    pub ovs_tag: Option<u32>,
    /// Lines of the stanza Proxmox does not parse (`post-up …`), listed as they are.
    #[serde(default)]
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageDef {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub content: String,
    #[serde(default)]
    pub shared: bool,
    /// Capacity; for `rbd` storage it comes from the Ceph pool instead.
    pub size: Option<Size>,
    /// Space used by things the simulator does not model (other files, metadata).
    pub used: Option<Size>,
    /// Nodes that have it; all when absent.
    pub nodes: Option<Vec<String>>,
    /// Ceph pool behind an `rbd` storage.
    pub pool: Option<String>,
    pub path: Option<String>,
    pub server: Option<String>,
    pub export: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentDef {
    pub storage: String,
    /// The volume name after `STORAGE:`, e.g. `iso/ubuntu-24.04.iso`.
    pub volume: String,
    pub size: Size,
    /// For local storage: nodes that hold a copy; all when absent.
    pub nodes: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CephDef {
    pub fsid: String,
    #[serde(default = "default_ceph_version")]
    pub version: String,
    /// Nodes running a monitor / manager; all nodes with OSDs when absent.
    pub mons: Option<Vec<String>>,
    pub mgrs: Option<Vec<String>>,
    #[serde(default)]
    pub osds: Vec<OsdDef>,
    #[serde(default)]
    pub pools: Vec<CephPoolDef>,
    #[serde(default)]
    pub flags: Vec<String>,
}

fn default_ceph_version() -> String {
    "19.2.3".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsdDef {
    pub id: u32,
    pub host: String,
    #[serde(default = "default_class")]
    pub class: String,
    pub size: Size,
}

fn default_class() -> String {
    "nvme".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CephPoolDef {
    pub name: String,
    #[serde(default = "three")]
    pub size: u32,
    #[serde(default = "two")]
    pub min_size: u32,
    #[serde(default = "default_pgs")]
    pub pg_num: u32,
    /// Data stored besides the guest disks the simulator tracks.
    pub used: Option<Size>,
    #[serde(default = "default_application")]
    pub application: String,
}

fn three() -> u32 {
    3
}
fn two() -> u32 {
    2
}
fn default_pgs() -> u32 {
    128
}
fn default_application() -> String {
    "rbd".into()
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SdnDef {
    #[serde(default)]
    pub zones: Vec<ZoneDef>,
    #[serde(default)]
    pub vnets: Vec<VnetDef>,
    #[serde(default)]
    pub subnets: Vec<SubnetDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneDef {
    pub zone: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub bridge: Option<String>,
    pub mtu: Option<u32>,
    pub nodes: Option<String>,
    pub ipam: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VnetDef {
    pub vnet: String,
    pub zone: String,
    pub tag: Option<u32>,
    pub alias: Option<String>,
    #[serde(default)]
    pub vlanaware: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubnetDef {
    pub vnet: String,
    /// CIDR, e.g. `10.8.16.0/24`.
    pub subnet: String,
    pub gateway: Option<String>,
    #[serde(default)]
    pub snat: bool,
    /// `start-address=…,end-address=…` entries.
    #[serde(default)]
    pub dhcp_range: Vec<String>,
    pub dhcp_dns_server: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MappingsDef {
    #[serde(default)]
    pub pci: Vec<MappingDef>,
    #[serde(default)]
    pub usb: Vec<MappingDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingDef {
    pub id: String,
    #[serde(default)]
    pub description: String,
    /// Property strings, one per node: `node=…,path=…,id=vendor:device[,iommugroup=…]`.
    pub map: Vec<String>,
    #[serde(default)]
    pub mdev: bool,
    #[serde(default)]
    pub live_migration_capable: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolDef {
    pub id: String,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum GuestKind {
    Qemu,
    Lxc,
}

impl GuestKind {
    /// `VM` or `CT`, as Proxmox's messages name a guest.
    pub fn label(self) -> &'static str {
        match self {
            GuestKind::Qemu => "VM",
            GuestKind::Lxc => "CT",
        }
    }

    /// `qemu` or `lxc`, as its API paths have it.
    pub fn api(self) -> &'static str {
        match self {
            GuestKind::Qemu => "qemu",
            GuestKind::Lxc => "lxc",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestDef {
    pub vmid: u32,
    #[serde(rename = "type")]
    pub kind: GuestKind,
    pub node: String,
    #[serde(default = "default_status")]
    pub status: String,
    pub pool: Option<String>,
    /// Mean CPU use as a fraction of the guest's cores while running.
    #[serde(default = "default_load")]
    pub load: f64,
    /// Share of the guest's memory in use while running.
    #[serde(default = "default_mem_used")]
    pub mem_used: f64,
    /// The guest's config as Proxmox stores it (`/etc/pve/qemu-server/VMID.conf`): keys and
    /// property-string values. `name`/`hostname`, `cores`, `memory`, disks and NICs live here.
    #[serde(default)]
    pub config: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub snapshots: Vec<SnapshotDef>,
}

fn default_status() -> String {
    "stopped".into()
}
fn default_load() -> f64 {
    0.1
}
fn default_mem_used() -> f64 {
    0.5
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotDef {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub parent: Option<String>,
    /// Days before the simulation starts.
    #[serde(default)]
    pub age_days: f64,
    #[serde(default)]
    pub vmstate: bool,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HaDef {
    #[serde(default)]
    pub resources: Vec<HaResourceDef>,
    #[serde(default)]
    pub rules: Vec<HaRuleDef>,
    /// Nodes in HA maintenance mode from the start (`ha-manager crm-command node-maintenance`).
    #[serde(default)]
    pub maintenance: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaResourceDef {
    pub sid: String,
    #[serde(default = "default_ha_state")]
    pub state: String,
    #[serde(default = "one")]
    pub max_restart: u32,
    #[serde(default = "one")]
    pub max_relocate: u32,
    #[serde(default = "yes")]
    pub failback: bool,
    pub comment: Option<String>,
}

fn default_ha_state() -> String {
    "started".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaRuleDef {
    pub rule: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub resources: String,
    /// node-affinity: `node[:priority],…`.
    pub nodes: Option<String>,
    #[serde(default)]
    pub strict: bool,
    /// resource-affinity: `positive` or `negative`.
    pub affinity: Option<String>,
    #[serde(default)]
    pub disable: bool,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupJobDef {
    pub id: String,
    /// systemd calendar event: `02:00`, `sun 03:00`, `*-*-01 04:00`, `daily`, `weekly`, `monthly`.
    pub schedule: String,
    pub storage: String,
    /// `100,101`; or `all = true`; or `pool`.
    pub vmid: Option<String>,
    #[serde(default)]
    pub all: bool,
    pub exclude: Option<String>,
    pub pool: Option<String>,
    #[serde(default = "default_mode")]
    pub mode: String,
    #[serde(default = "default_compress")]
    pub compress: String,
    /// e.g. `keep-daily=7,keep-weekly=4`.
    pub prune_backups: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub comment: Option<String>,
    pub node: Option<String>,
    /// Who gets vzdump's mail, and when (`always`, `failure`).
    pub mailto: Option<String>,
    pub mailnotification: Option<String>,
    /// Guests whose backups in this job's history failed (their last run logs an error).
    #[serde(default)]
    pub failing: Vec<u32>,
}

fn default_mode() -> String {
    "snapshot".into()
}
fn default_compress() -> String {
    "zstd".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryDef {
    /// How many days of backup history to place on storage at start.
    #[serde(default = "default_history_days")]
    pub backup_days: u32,
    /// Days since the nodes last booted.
    #[serde(default = "default_uptime_days")]
    pub uptime_days: f64,
}

impl Default for HistoryDef {
    fn default() -> Self {
        Self {
            backup_days: default_history_days(),
            uptime_days: default_uptime_days(),
        }
    }
}

fn default_history_days() -> u32 {
    35
}
fn default_uptime_days() -> f64 {
    12.0
}

mod load;
mod size;

pub use load::ScenarioError;
pub use size::{Size, parse_size};
