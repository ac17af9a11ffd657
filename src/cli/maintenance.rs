//! `rack maintenance`: the plan, and the walkthrough into maintenance and back.

use clap::Subcommand;

use super::Output;

#[derive(Debug, Subcommand)]
pub enum MaintenanceCommand {
    /// The plan for taking NODE out, changing nothing: pre-checks, where each guest goes and
    /// how, estimates, the steps (exit 0 it could start, 1 it could not, 2 asked wrongly).
    Plan(MaintenancePlanArgs),
    /// Take NODE out: print the plan, then set noout, move the guests, enable HA node
    /// maintenance, verify, and with --reboot or --shutdown power it; kept on disk so a second
    /// run continues (exit 0 ready or done, 1 refused or stopped at a failure, 2 asked wrongly).
    Enter(MaintenanceEnterArgs),
    /// Bring NODE back: wake it, wait for it (online, quorum, OSDs), disable HA maintenance,
    /// unset noout, wait for clean PGs, move the guests back where they were (exit 0 back, 1
    /// stopped at a failure, 2 asked wrongly).
    Exit(MaintenanceExitArgs),
    /// The walkthrough in progress on a cluster, if any.
    Status(MaintenanceStatusArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct MaintenanceExitArgs {
    /// The node to bring back.
    pub node: String,
    /// The guests to move back: all (default), none, or VMIDs such as 101,105.
    #[arg(long, default_value = "all")]
    pub back: String,
    /// A walkthrough stopped at a failure: try it again.
    #[arg(long)]
    pub retry: bool,
    /// Follow it to its end (always so: a walkthrough moves on only while a rack drives it).
    #[arg(long)]
    pub wait: bool,
    /// The cluster (by its name in the config) when there are several.
    #[arg(long)]
    pub cluster: Option<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct MaintenanceEnterArgs {
    /// The node to take out.
    pub node: String,
    /// Start without asking.
    #[arg(long)]
    pub yes: bool,
    /// Reboot the node once it is ready, and wait until it is back.
    #[arg(long, conflicts_with = "shutdown")]
    pub reboot: bool,
    /// Shut the node down once it is ready, and wait until it is off.
    #[arg(long)]
    pub shutdown: bool,
    /// Shut down running guests that cannot move, for the duration: all of them, or those
    /// listed (101,105); any other one refuses the walkthrough.
    #[arg(long, num_args = 0..=1, default_missing_value = "all", value_name = "all|VMID,…")]
    pub shutdown_blocked: Option<String>,
    /// A walkthrough stopped at a failure: try it again.
    #[arg(long, conflicts_with_all = ["skip", "abort"])]
    pub retry: bool,
    /// A walkthrough stopped at a failed guest: leave that guest where it is and go on.
    #[arg(long, conflicts_with = "abort")]
    pub skip: bool,
    /// Stop the walkthrough here: unset noout if it set it, say what was done and what not.
    #[arg(long)]
    pub abort: bool,
    /// Follow it to its end (always so: a walkthrough moves on only while a rack drives it).
    #[arg(long)]
    pub wait: bool,
    /// The cluster (by its name in the config) when there are several.
    #[arg(long)]
    pub cluster: Option<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct MaintenanceStatusArgs {
    /// table (text) or json.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: Output,
    /// The cluster (by its name in the config) when there are several.
    #[arg(long)]
    pub cluster: Option<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct MaintenancePlanArgs {
    /// The node to take out.
    pub node: String,
    /// Refresh the node's package lists first (apt-get update, as an `aptupdate` task, through
    /// the action queue; its progress goes to stderr), so the upgrades listed are current.
    #[arg(long)]
    pub refresh: bool,
    /// table (aligned text) or json (one object).
    #[arg(short, long, value_enum, default_value_t)]
    pub output: Output,
    /// The cluster (by its name in the config) when there are several.
    #[arg(long)]
    pub cluster: Option<String>,
}
