//! The command line.

mod attach;
mod maintenance;
mod migrate;
mod security;

use std::net::SocketAddr;

use crate::config::placement::{PlacementConfig, Sizes};
use crate::sched::{DeviceAsk, Policy};
pub use attach::{AttachOptions, ConsoleArgs, ShellArgs};
use clap::{Parser, Subcommand};
pub use maintenance::{
    MaintenanceCommand, MaintenanceEnterArgs, MaintenanceExitArgs, MaintenancePlanArgs,
    MaintenanceStatusArgs,
};
pub use migrate::MigrateArgs;
pub use security::{AuditArgs, TrustArgs};

#[derive(Debug, Parser)]
#[command(
    name = "rack",
    version,
    about = "A keyboard-driven console for Proxmox VE datacenters"
)]
pub struct Cli {
    /// The config file (default: the platform config dir, e.g. ~/.config/rack/config.toml).
    /// Without one, the console runs on an embedded simulated cluster; the other verbs stop
    /// (exit 2) unless --demo asks for that cluster.
    #[arg(long, global = true, env = "RACK_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    /// Use the embedded simulated cluster, not the config file's clusters.
    #[arg(long, global = true)]
    pub demo: bool,
    /// The simulated cluster's clock starts at this instant (Unix seconds) instead of now, e.g.
    /// to see what a given day looks like; for the demo only.
    #[arg(long, global = true, env = "RACK_DEMO_START", value_name = "EPOCH")]
    pub demo_start: Option<f64>,
    /// Change nothing: every action is refused, on every cluster.
    #[arg(long, global = true)]
    pub read_only: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a simulated Proxmox VE cluster that speaks the real API.
    Sim(SimArgs),
    /// Read the clusters once and print hosts, instances, tasks, Ceph, backups, networks or HA,
    /// as a table or JSON, for scripts (exit 0 read, 1 a cluster unreadable, 2 asked wrongly).
    Get(GetArgs),
    /// Where a guest with these needs would go: every node ranked, with reasons (a dry run).
    Place(PlaceArgs),
    /// Start guests.
    Start(PowerArgs),
    /// Shut guests down gracefully (ACPI / init), optionally stopping them after a timeout.
    Shutdown(ShutdownArgs),
    /// Stop guests at once, like pulling the plug (needs --yes).
    Stop(PowerArgs),
    /// Reboot guests.
    Reboot(PowerArgs),
    /// Migrate a guest to another node (through HA when it is an HA resource).
    Migrate(MigrateArgs),
    /// Wake a powered-off node by Wake-on-LAN and wait for it to come online.
    Wake(WakeArgs),
    /// Take a snapshot of a guest.
    Snapshot(SnapshotArgs),
    /// Roll a guest back to a snapshot (needs --yes).
    Rollback(RollbackArgs),
    /// Delete a snapshot of a guest (needs --yes).
    DeleteSnapshot(DeleteSnapshotArgs),
    /// Create a VM or a container.
    Create(CreateArgs),
    /// Clone a guest or template.
    Clone(CloneArgs),
    /// Restore a guest's backup as a new guest, or bring a destroyed guest back from its backup.
    Restore(RestoreArgs),
    /// Destroy a stopped guest and its disks, and drop it from backup jobs and HA; its backups
    /// stay (needs --yes).
    Destroy(DestroyArgs),
    /// Stop a running Proxmox task by its UPID (needs --yes).
    StopTask(StopTaskArgs),
    /// Measure the console at scale: requests per refresh, poll-to-snapshot, render and filter
    /// times, memory. Prints figures.
    Bench(BenchArgs),
    /// Attach this terminal to a node's shell (Proxmox's termproxy, as the web UI's Shell);
    /// the escape key (ctrl-] by default) leaves. Standard input that is not a terminal (a
    /// here-document) is typed into the shell, followed by ctrl-D.
    Shell(ShellArgs),
    /// Attach this terminal to a guest's console: a container's console, or a VM's serial port.
    Console(ConsoleArgs),
    /// Take a node out for maintenance and bring it back: `plan` shows what would happen.
    #[command(subcommand)]
    Maintenance(MaintenanceCommand),
    /// Call a running simulator's control interface (`/sim/...`: power, HA maintenance, faults,
    /// clock), e.g. `sim-control --url URL POST /nodes/pve1/maintenance action=enable`. The token
    /// comes from RACK_SIM_TOKEN (USER@REALM!ID=SECRET), never from the command line.
    SimControl(SimControlArgs),
    /// Show a node's TLS certificate (subject, issuer, fingerprint, validity) and, once you
    /// agree, pin its fingerprint in the config file (adding the cluster when it is new).
    Trust(TrustArgs),
    /// The writes rack sent to the clusters, from its audit log (exit 1 with --verify when the
    /// log was edited).
    Audit(AuditArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct SimControlArgs {
    /// The simulator's URL, as `rack sim` printed it.
    #[arg(long)]
    pub url: String,
    /// Its certificate's SHA-256 fingerprint, as `rack sim` printed it (else the system roots
    /// verify it).
    #[arg(long)]
    pub fingerprint: Option<String>,
    /// GET, POST or DELETE.
    pub method: String,
    /// The path under /sim, e.g. /nodes/pve1/power.
    pub path: String,
    /// Parameters as KEY=VALUE.
    pub params: Vec<String>,
}

/// What every action verb takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ActOptions {
    /// The cluster to act on (by its name in the config), when the VMID or node is ambiguous.
    #[arg(long)]
    pub cluster: Option<String>,
    /// Follow the task to its end, printing progress; exit status 1 if it fails.
    #[arg(long)]
    pub wait: bool,
    /// Confirm a destructive action (stop, rollback, delete-snapshot, destroy, stop-task).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, clap::Args)]
pub struct PowerArgs {
    /// The guests, by VMID (found on whichever node holds them).
    #[arg(required = true)]
    pub vmids: Vec<u32>,
    #[command(flatten)]
    pub act: ActOptions,
}

#[derive(Debug, clap::Args)]
pub struct ShutdownArgs {
    /// The guests, by VMID (found on whichever node holds them).
    #[arg(required = true)]
    pub vmids: Vec<u32>,
    /// Seconds to wait for the guest to shut down.
    #[arg(long)]
    pub timeout: Option<u32>,
    /// Stop the guest hard if it has not shut down within the timeout.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub act: ActOptions,
}

#[derive(Debug, clap::Args)]
pub struct WakeArgs {
    /// The powered-off node, by name.
    pub node: String,
    /// The node's MAC address, for sending the packet from here when no node answers
    /// (default: [clusters.macs] in the config).
    #[arg(long)]
    pub mac: Option<String>,
    #[command(flatten)]
    pub act: ActOptions,
}

#[derive(Debug, clap::Args)]
pub struct SnapshotArgs {
    /// The guest.
    pub vmid: u32,
    /// The snapshot's name: a letter, then letters, digits, - or _ (at most 40).
    pub name: String,
    /// Include the VM's RAM (a running VM resumes exactly where it was on rollback).
    #[arg(long)]
    pub vmstate: bool,
    /// A description kept with the snapshot.
    #[arg(long, default_value = "")]
    pub description: String,
    #[command(flatten)]
    pub act: ActOptions,
}

#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    /// The guest.
    pub vmid: u32,
    /// The snapshot to roll back to.
    pub name: String,
    /// Start the guest after the rollback.
    #[arg(long)]
    pub start: bool,
    #[command(flatten)]
    pub act: ActOptions,
}

#[derive(Debug, clap::Args)]
pub struct DeleteSnapshotArgs {
    /// The guest.
    pub vmid: u32,
    /// The snapshot to delete.
    pub name: String,
    #[command(flatten)]
    pub act: ActOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CreateKind {
    Vm,
    Ct,
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// vm (a QEMU virtual machine) or ct (an LXC container).
    pub kind: CreateKind,
    /// The VM's name or the container's hostname (a DNS name).
    #[arg(long)]
    pub name: String,
    /// Default: the cluster's next free VMID.
    #[arg(long)]
    pub vmid: Option<u32>,
    /// The node, or "auto" (the default): rack places it and says why there.
    #[arg(long, default_value = "auto")]
    pub node: String,
    #[command(flatten)]
    pub sizing: Sizing,
    /// Where the disk goes (default: the best storage on the node for the content).
    #[arg(long)]
    pub storage: Option<String>,
    /// A bridge (vmbr0, the default) or SDN vnet.
    #[arg(long)]
    pub network: Option<String>,
    /// The VLAN tag of the guest's NIC (1-4094).
    #[arg(long)]
    pub vlan: Option<u16>,
    /// VM: an ISO volume to boot from (local:iso/….iso).
    #[arg(long)]
    pub iso: Option<String>,
    /// CT: the template volume (local:vztmpl/….tar.zst).
    #[arg(long)]
    pub template: Option<String>,
    /// VM: the cloud-init user.
    #[arg(long)]
    pub ciuser: Option<String>,
    /// A file holding an SSH public key.
    #[arg(long)]
    pub ssh_key_file: Option<std::path::PathBuf>,
    /// dhcp, or an address with prefix (10.0.0.5/24).
    #[arg(long)]
    pub ip: Option<String>,
    /// The gateway for --ip (cloud-init or the container's network).
    #[arg(long)]
    pub gateway: Option<String>,
    /// CT: read the root password from this environment variable.
    #[arg(long)]
    pub password_env: Option<String>,
    /// CT: a privileged container (default unprivileged).
    #[arg(long)]
    pub privileged: bool,
    /// Start it once created.
    #[arg(long)]
    pub start: bool,
    #[command(flatten)]
    pub act: ActOptions,
}

#[derive(Debug, clap::Args)]
pub struct CloneArgs {
    /// The guest or template to clone.
    pub vmid: u32,
    /// The clone's VMID (default: the cluster's next free VMID).
    #[arg(long)]
    pub newid: Option<u32>,
    /// The clone's name (a DNS name).
    #[arg(long)]
    pub name: String,
    /// A full copy (default for guests; templates default to a linked clone).
    #[arg(long)]
    pub full: bool,
    /// A linked clone, sharing the template's disks (only from a template).
    #[arg(long, conflicts_with = "full")]
    pub linked: bool,
    /// Put the clone on this node (the source must be on shared storage).
    #[arg(long)]
    pub target: Option<String>,
    /// Storage for a full clone's disks.
    #[arg(long)]
    pub storage: Option<String>,
    #[command(flatten)]
    pub act: ActOptions,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The guest whose backup to restore; it may have been destroyed since.
    pub vmid: u32,
    /// The backup, by volume id as `rack get backups` and the Backups pane show it
    /// (`nas:backup/vzdump-qemu-104-….vma.zst`, a PBS snapshot). Default: the newest.
    #[arg(long)]
    pub archive: Option<String>,
    /// The new guest's VMID. Default: the guest's own when it is gone and its VMID is free,
    /// else the cluster's next free one.
    #[arg(long)]
    pub newid: Option<u32>,
    /// The new guest's name (hostname for a container). Default: NAME-restored beside the
    /// original; the backup's own name when the guest is gone.
    #[arg(long)]
    pub name: Option<String>,
    /// The node to restore on (online, and reaching the backup's storage). Default: the
    /// guest's node, else the first such node.
    #[arg(long)]
    pub node: Option<String>,
    /// Storage for the disks. Default: where the backup says they were.
    #[arg(long)]
    pub storage: Option<String>,
    /// New MAC addresses (default when the original still exists, so both can run).
    #[arg(long)]
    pub new_macs: bool,
    /// Keep the backup's MAC addresses (default when the guest is gone).
    #[arg(long, conflicts_with = "new_macs")]
    pub keep_macs: bool,
    /// Start the guest once restored.
    #[arg(long)]
    pub start: bool,
    #[command(flatten)]
    pub act: ActOptions,
}

#[derive(Debug, clap::Args)]
pub struct DestroyArgs {
    /// The guest to destroy; it must be stopped.
    pub vmid: u32,
    #[command(flatten)]
    pub act: ActOptions,
}

#[derive(Debug, clap::Args)]
pub struct StopTaskArgs {
    /// The task's UPID, as `rack get tasks` prints it.
    pub upid: String,
    #[command(flatten)]
    pub act: ActOptions,
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// What to measure: one cluster as NODES:GUESTS, or a fleet of COUNT clusters as
    /// COUNTxNODES:GUESTS (repeatable).
    #[arg(long, value_parser = parse_setup, default_values = ["64:10000", "4x16:1000"])]
    pub scale: Vec<BenchSetup>,
    /// Seconds of steady polling to measure, after the start-up.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Frames (ten times this) and filters to take medians over.
    #[arg(long, default_value_t = 10)]
    pub rounds: usize,
}

/// Simulated clusters measured together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchSetup {
    pub clusters: usize,
    pub nodes: usize,
    pub guests: usize,
}

fn parse_setup(text: &str) -> Result<BenchSetup, String> {
    let (count, scale) = match text.split_once(['x', '×']) {
        Some((c, rest)) => (
            c.trim()
                .parse::<usize>()
                .ok()
                .filter(|c| (1..=16).contains(c))
                .ok_or_else(|| format!("{c:?} is not a cluster count of 1-16"))?,
            rest,
        ),
        None => (1, text),
    };
    let (nodes, guests) = parse_scale(scale)?;
    Ok(BenchSetup {
        clusters: count,
        nodes,
        guests,
    })
}

/// What `rack get` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Nodes: status, CPU, memory, disk, load, uptime, guests, HA, version.
    Hosts,
    /// VMs and containers: status, node, CPU, memory, disk, uptime, tags, HA, lock.
    Instances,
    /// The clusters' recent and running tasks, newest first.
    Tasks,
    /// Ceph health, its checks, OSDs, monitors, placement groups and I/O, per cluster.
    Ceph,
    /// Per guest: the newest backup and whether a backup job covers it.
    Backups,
    /// Bridges, VLANs, bonds, NICs, SDN zones and vnets across nodes, with inconsistencies.
    Networks,
    /// HA: each node's LRM, each service with its state and rules, each rule checked.
    Ha,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Output {
    #[default]
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// What to print.
    pub kind: Kind,
    /// table (aligned text) or json (an array of objects).
    #[arg(short, long, value_enum, default_value_t)]
    pub output: Output,
    /// Only these clusters (by their names in the config, comma-separated: `lab,laptop`);
    /// every configured one by default.
    #[arg(long, value_name = "NAME[,NAME…]")]
    pub cluster: Option<String>,
}

/// What a new guest needs: from an instance type or a role, or given one by one.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Sizing {
    /// An instance type: small, medium, large, xlarge, gpu-medium, or one of the config's.
    #[arg(long = "type")]
    pub instance_type: Option<String>,
    /// A role: k8s-node, docker-host, gpu-worker, or one of the config's (its type, tags,
    /// network, devices and cloud-init user).
    #[arg(long)]
    pub role: Option<String>,
    /// vCPU cores (default: the type's, else 2 for a VM, 1 for a container).
    #[arg(long)]
    pub cores: Option<u32>,
    /// 4G, 4096M, "4 GiB"; a bare number is MiB (default: the type's, else 2G for a VM, 512M
    /// for a container).
    #[arg(long)]
    pub memory: Option<String>,
    /// Disk size: 32G, "32 GiB"; a bare number is GiB (default: the type's, else 32G for a VM,
    /// 8G for a container).
    #[arg(long)]
    pub disk: Option<String>,
    /// Devices by class or pool, attached through their resource mapping: gpu, coral, gpu:2
    /// (comma-separated or repeated). VMs only.
    #[arg(long)]
    pub devices: Vec<String>,
    /// Placement policy when the node is auto: spread or pack (default: the config's, else spread).
    #[arg(long)]
    pub policy: Option<Policy>,
}

/// A sizing with its type and role applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Sized {
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
    pub devices: Vec<DeviceAsk>,
    pub tags: Vec<String>,
    pub network: Option<String>,
    pub ciuser: Option<String>,
    /// Keep away from guests with the same tags.
    pub anti_affinity: Vec<String>,
    pub policy: Policy,
}

impl Sizing {
    /// Explicit values over the role's, over the type's, over `base` (a VM's or a
    /// container's sizes).
    pub fn resolve(&self, p: &PlacementConfig, base: Sizes) -> Result<Sized, String> {
        use crate::model::validate;
        let preset = p
            .preset(self.role.as_deref(), self.instance_type.as_deref(), base)
            .map_err(|e| e.to_string())?;
        let memory_mib = match &self.memory {
            Some(m) => validate::memory_mib(m).map_err(|e| format!("--memory: {e}"))?,
            None => preset.sizes.memory_mib,
        };
        let disk_gib = match &self.disk {
            Some(d) => validate::disk_gib(d).map_err(|e| format!("--disk: {e}"))?,
            None => preset.sizes.disk_gib,
        };
        let mut device_names: Vec<String> = self
            .devices
            .iter()
            .flat_map(|d| d.split(','))
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty())
            .collect();
        if device_names.is_empty() {
            device_names = preset.devices;
        }
        let devices = device_names
            .iter()
            .map(|d| d.parse().map_err(|e| format!("--devices: {e}")))
            .collect::<Result<Vec<_>, String>>()?;
        let cores = self.cores.unwrap_or(preset.sizes.cores);
        validate::cores(&cores.to_string()).map_err(|e| format!("--cores {cores}: {e}"))?;
        Ok(Sized {
            cores,
            memory_mib,
            disk_gib,
            devices,
            anti_affinity: preset.anti_affinity,
            tags: preset.tags,
            network: preset.network,
            ciuser: preset.ciuser,
            policy: self.policy.unwrap_or(p.policy),
        })
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct PlaceArgs {
    #[command(flatten)]
    pub sizing: Sizing,
    /// A storage by name (default: the best one on each node that holds the content).
    #[arg(long)]
    pub storage: Option<String>,
    /// A container (its volume needs `rootdir` storage) rather than a VM.
    #[arg(long)]
    pub ct: bool,
    /// It will be an HA resource: shared storage only.
    #[arg(long)]
    pub ha: bool,
    /// A bridge or SDN vnet the node must have.
    #[arg(long)]
    pub network: Option<String>,
    /// Only this node ("auto", the default, lets rack choose).
    #[arg(long)]
    pub node: Option<String>,
    /// Avoid nodes running guests with this tag (repeatable).
    #[arg(long)]
    pub anti_affinity: Vec<String>,
    /// An HA rule the guest will join: its node affinity (preferred or only nodes) and resource
    /// affinity (with or apart from its guests) count; implies --ha.
    #[arg(long)]
    pub ha_rule: Option<String>,
    /// table (the ranking with reasons) or json (an array of nodes, best first).
    #[arg(short, long, value_enum, default_value_t)]
    pub output: Output,
    /// The cluster (by its name in the config) when there are several.
    #[arg(long)]
    pub cluster: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8006")]
    pub listen: SocketAddr,
    /// A built-in scenario (homelab, laptop) or a scenario TOML file.
    #[arg(long, default_value = "homelab")]
    pub scenario: String,
    /// Generate a cluster of NODES:GUESTS instead of a scenario (deterministic per --seed).
    #[arg(long, value_parser = parse_scale)]
    pub scale: Option<(usize, usize)>,
    /// Seed for everything random in the world (loads, MACs, generated clusters).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulated seconds per real second; 0 freezes time (for repeatable answers).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Simulated time at start, in Unix seconds (default: now).
    #[arg(long)]
    pub start: Option<f64>,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    pub http: bool,
    /// API token as USER@REALM!ID=SECRET (default: root@pam!rack with a random secret).
    #[arg(long)]
    pub token: Option<String>,
    /// Password for root@pam (default: random).
    #[arg(long)]
    pub password: Option<String>,
    /// Faults in force from the start, e.g. "latency=200ms;errors=0.1".
    #[arg(long)]
    pub faults: Option<String>,
    /// Serve each node on its own port with its own certificate, signed by the cluster's CA
    /// (as a real cluster's nodes are reached); a node that is off stops answering.
    #[arg(long)]
    pub node_ports: bool,
    /// Write the cluster CA's certificate (pve-root-ca.pem) to this file, for `ca_file`.
    #[arg(long, value_name = "FILE")]
    pub ca_out: Option<std::path::PathBuf>,
}

fn parse_scale(text: &str) -> Result<(usize, usize), String> {
    let (n, g) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not NODES:GUESTS"))?;
    let n: usize = n
        .parse()
        .map_err(|_| format!("{n:?} is not a node count"))?;
    let g: usize = g
        .parse()
        .map_err(|_| format!("{g:?} is not a guest count"))?;
    if n == 0 || n > 1000 || g > 200_000 {
        return Err("scale must be 1-1000 nodes and at most 200000 guests".into());
    }
    Ok((n, g))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
