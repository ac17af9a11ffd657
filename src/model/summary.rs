//! The header's one-line picture of a cluster, worked out once per snapshot rather than per frame.

use super::rows::{HostRow, HostStatus, InstanceRow};
use super::snapshot::ClusterSnapshot;
use super::text::clean;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub quorate: Option<bool>,
    /// Corosync votes present of expected; `None` for a standalone node.
    pub votes: Option<super::ha::Votes>,
    pub nodes_online: usize,
    pub nodes_total: usize,
    pub nodes_maintenance: usize,
    pub guests_running: usize,
    /// Guests that are not templates.
    pub guests_total: usize,
    /// `HEALTH_OK` and the like; `None` without Ceph (or before it is known).
    pub ceph: Option<String>,
    /// The last Ceph health could not be read again: the state shown is as it was.
    pub ceph_stale: bool,
    pub ha: HaSummary,
    /// `9.1.2`
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct HaSummary {
    /// Services under HA.
    pub services: usize,
    /// Services in `error` or `fence` or `recovery`.
    pub troubled: usize,
    /// The worst state among the troubled services (`fence` before `recovery` before `error`).
    pub trouble: Option<String>,
    /// Fencing (9.1): armed, standby, disarming, disarmed.
    pub fencing: Option<String>,
    /// `OK` when the HA manager has quorum; what it says otherwise.
    pub quorum: Option<String>,
    /// The node running the HA manager.
    pub master: Option<String>,
}

impl Summary {
    pub fn of(snap: &ClusterSnapshot, hosts: &[HostRow], instances: &[InstanceRow]) -> Self {
        let guests = instances.iter().filter(|i| !i.template);
        let mut ha = HaSummary::default();
        for item in snap.ha.get().into_iter().flatten() {
            match item.kind.as_str() {
                "service" => {
                    ha.services += 1;
                    let state = item.state.as_deref().unwrap_or_default();
                    if matches!(state, "error" | "fence" | "recovery") {
                        ha.troubled += 1;
                        if ha.trouble.is_none() || state == "fence" {
                            ha.trouble = Some(state.to_string());
                        }
                    }
                }
                "quorum" => ha.quorum = item.status.as_deref().map(clean),
                "master" => ha.master = item.node.as_deref().map(clean),
                "fencing" => ha.fencing = item.armed_state.as_deref().map(clean),
                _ => {}
            }
        }
        Self {
            quorate: snap.quorate(),
            votes: super::ha::votes(snap),
            nodes_online: hosts
                .iter()
                .filter(|h| matches!(h.status, HostStatus::Online | HostStatus::Maintenance))
                .count(),
            nodes_total: hosts.len(),
            nodes_maintenance: hosts
                .iter()
                .filter(|h| h.status == HostStatus::Maintenance)
                .count(),
            guests_running: guests.clone().filter(|i| i.status == "running").count(),
            guests_total: guests.count(),
            ceph: snap.ceph_health.get().cloned().flatten().map(|h| clean(&h)),
            ceph_stale: snap.ceph_health.is_stale(),
            ha,
            version: snap
                .version
                .get()
                .map(|v| clean(&v.version))
                .filter(|v| !v.is_empty()),
        }
    }
}
