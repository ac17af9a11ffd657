//! Turning what a user confirmed into Proxmox tasks followed to their end.
//!
//! - `request` — the requests (serde, journaled), what each touches and needs
//! - `calls` — a request into its API call(s)
//! - `catalog` — what the create and clone forms choose from (VMID, networks, storages, images)
//! - `queue` — ordering per guest, limits per node and cluster, journaling, recovery
//! - `watch` — following a task's status and log, a woken node, an HA migration
//! - `journal` — the append-only record that survives restarts
//! - `job` — a request on its way, as the app sees it
//! - `permissions` — which requests the credentials allow
//! - `precheck` — where a guest may migrate, from Proxmox's precondition check
//! - `wol` — the Wake-on-LAN magic packet from this machine

pub mod calls;
pub mod catalog;
pub mod draft;
pub mod job;
pub mod journal;
pub mod node_shell;
pub mod permissions;
pub mod precheck;
pub mod queue;
pub mod remote;
pub mod request;
pub mod walkthrough;
pub mod watch;
pub mod wol;

use crate::pve::Client;
use crate::pve::endpoints::cluster;
pub use draft::CreateDraft;
pub use job::{Job, JobSink, JobState};
pub use journal::{JobId, Journal};
pub use queue::{Limits, Queue, Refused, Target};
pub use request::{CloneSpec, CtSpec, GuestRef, Request, RestoreSpec, VmSpec};

/// The HA resource-affinity rules, read only when a precondition answer names blocking HA
/// resources (to say which rule blocks); none when they cannot be read.
pub async fn precheck_rules(
    client: &Client,
    answer: &serde_json::Value,
) -> Vec<precheck::AffinityRule> {
    if !precheck::has_blocking_ha(answer) {
        return Vec::new();
    }
    match client.get::<serde_json::Value>(cluster::HA_RULES).await {
        Ok(rules) => precheck::affinity_rules(&rules),
        Err(_) => Vec::new(),
    }
}
