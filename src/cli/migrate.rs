//! `rack migrate`'s arguments: to a node of the guest's cluster, or of another.

use super::ActOptions;

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The guest to move.
    pub vmid: u32,
    /// The node to move it to; CLUSTER/NODE for a node of another configured cluster
    /// (Proxmox's remote migration, with the target cluster's API token).
    #[arg(long)]
    pub to: String,
    /// To another cluster: keep the source guest (stopped and locked `migrate`, as Proxmox
    /// leaves it) instead of deleting it once the guest runs there.
    #[arg(long)]
    pub keep_source: bool,
    /// To another cluster: its VMID there (default: its own, else the target's next free one).
    #[arg(long)]
    pub target_vmid: Option<u32>,
    /// To another cluster: the storage map (`local-zfs:vm-disks,nfs`; default: each disk's
    /// storage of the same name on the target node, else its first that holds guests).
    #[arg(long)]
    pub target_storage: Option<String>,
    /// To another cluster: the bridge map (`vmbr0:vmbr1`; default: the same name, else the
    /// target node's first bridge).
    #[arg(long)]
    pub target_bridge: Option<String>,
    /// Live migration of a running VM (a running container is restart-migrated). Default: on
    /// for running guests.
    #[arg(long)]
    pub online: bool,
    /// Stop, move, start instead of a live migration.
    #[arg(long, conflicts_with = "online")]
    pub offline: bool,
    #[command(flatten)]
    pub act: ActOptions,
}
