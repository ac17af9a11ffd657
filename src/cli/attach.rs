//! The arguments of the verbs that attach this terminal to one on the cluster.

#[derive(Debug, Clone, clap::Args)]
pub struct AttachOptions {
    /// The cluster (by its name in the config), when the node or VMID is ambiguous.
    #[arg(long)]
    pub cluster: Option<String>,
    /// The key that leaves, as `ctrl-]` or `ctrl-a`.
    #[arg(long, default_value = "ctrl-]")]
    pub escape: String,
}

#[derive(Debug, clap::Args)]
pub struct ShellArgs {
    /// The node, by name.
    pub node: String,
    /// Run Proxmox's upgrade (`pveupgrade --shell`: apt-get dist-upgrade, then a shell) instead
    /// of a plain shell (root@pam only, as on Proxmox).
    #[arg(long)]
    pub upgrade: bool,
    #[command(flatten)]
    pub attach: AttachOptions,
}

#[derive(Debug, clap::Args)]
pub struct ConsoleArgs {
    /// The guest, by VMID (found on whichever node holds it).
    pub vmid: u32,
    /// A VM's serial port (serial0 to serial3).
    #[arg(long, default_value = "serial0")]
    pub serial: String,
    #[command(flatten)]
    pub attach: AttachOptions,
}
