//! The pre-checks of a maintenance plan: what must hold before a node is taken out, each with a
//! verdict and its reason in words.

use serde::Serialize;

use crate::model::HostStatus;
use crate::model::ceph_view::CephData;
use crate::model::ha::Votes;
use crate::model::rows::HostRow;

/// How a pre-check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

/// One pre-check: what was checked, how it came out and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub what: &'static str,
    pub verdict: Verdict,
    pub reason: String,
}

impl Check {
    fn new(what: &'static str, verdict: Verdict, reason: impl Into<String>) -> Self {
        Self {
            what,
            verdict,
            reason: reason.into(),
        }
    }
}

/// The cluster keeps quorum with `node`'s votes gone (`node_votes`: 0 when it is gone already).
/// `None` votes: a standalone node, which is its own quorum and has nowhere to move guests to.
pub fn quorum(votes: Option<Votes>, node_votes: u32) -> Check {
    const WHAT: &str = "quorum";
    let Some(v) = votes else {
        return Check::new(WHAT, Verdict::Pass, "a standalone node: no quorum to keep");
    };
    let without = v.present.saturating_sub(node_votes);
    let needed = v.needed();
    let counts = format!(
        "{without} of {} votes present without it, {needed} needed",
        v.expected
    );
    if without >= needed {
        let spare = without - needed;
        if spare == 0 {
            Check::new(
                WHAT,
                Verdict::Warn,
                format!("{counts}: one more node down and the cluster stops"),
            )
        } else {
            Check::new(WHAT, Verdict::Pass, counts)
        }
    } else {
        Check::new(
            WHAT,
            Verdict::Fail,
            format!("{counts}: the cluster would lose quorum"),
        )
    }
}

/// No other node is offline or in maintenance already.
pub fn other_nodes(hosts: &[HostRow], node: &str) -> Check {
    const WHAT: &str = "other nodes";
    let mut down = Vec::new();
    let mut resting = Vec::new();
    for h in hosts.iter().filter(|h| h.node != node) {
        match h.status {
            HostStatus::Online => {}
            HostStatus::Maintenance => resting.push(h.node.as_str()),
            HostStatus::Offline | HostStatus::Unknown => down.push(h.node.as_str()),
        }
    }
    match (down.as_slice(), resting.as_slice()) {
        ([], []) if hosts.iter().any(|h| h.node != node) => {
            Check::new(WHAT, Verdict::Pass, "every other node is online")
        }
        ([], []) => Check::new(WHAT, Verdict::Fail, "no other node to move guests to"),
        (down, []) => Check::new(
            WHAT,
            Verdict::Fail,
            format!("{} offline: one node out at a time", down.join(", ")),
        ),
        (down, resting) => {
            let mut out = Vec::new();
            if !down.is_empty() {
                out.push(format!("{} offline", down.join(", ")));
            }
            out.push(format!("{} already in maintenance", resting.join(", ")));
            Check::new(
                WHAT,
                Verdict::Fail,
                format!("{}: one node out at a time", out.join(", ")),
            )
        }
    }
}

/// Health codes that say nothing about the data: Ceph may start a node's maintenance with them.
const HARMLESS: &[&str] = &[
    "OSDMAP_FLAGS",
    "POOL_NO_REDUNDANCY",
    "RECENT_CRASH",
    "MON_CLOCK_SKEW",
    "MON_DISK_LOW",
    "POOL_TOO_FEW_PGS",
    "POOL_TOO_MANY_PGS",
    "POOL_TARGET_SIZE_BYTES_OVERCOMMITTED",
    "BLUESTORE_NO_PER_POOL_OMAP",
    "AUTH_INSECURE_GLOBAL_ID_RECLAIM_ALLOWED",
];

/// Ceph can lose the node for a while: healthy enough to start, and every pool keeps at least
/// `min_size` replicas on the hosts left (a replica per host: Proxmox's default rule).
pub fn ceph(data: Option<&CephData>, error: Option<&str>, node: &str) -> Vec<Check> {
    if let Some(e) = error {
        return vec![Check::new(
            "ceph",
            Verdict::Fail,
            format!("Ceph could not be read ({e}): its redundancy cannot be checked"),
        )];
    }
    let Some(data) = data.filter(|d| d.configured()) else {
        return vec![Check::new("ceph", Verdict::Pass, "no Ceph on this cluster")];
    };
    let mut out = Vec::new();
    if let Some(status) = &data.status {
        let worrying: Vec<&str> = status
            .checks
            .iter()
            .filter(|c| !c.muted && !HARMLESS.contains(&c.name.as_str()))
            .map(|c| c.name.as_str())
            .collect();
        out.push(match (status.health.as_str(), worrying.as_slice()) {
            ("HEALTH_OK", _) => Check::new("ceph health", Verdict::Pass, "HEALTH_OK"),
            (_, []) => Check::new(
                "ceph health",
                Verdict::Warn,
                format!("{}, only warnings that do not concern data", status.health),
            ),
            (health, codes) => Check::new(
                "ceph health",
                Verdict::Fail,
                format!("{health}: {} — let Ceph recover first", codes.join(", ")),
            ),
        });
    }
    // Monitors: a majority must stay in quorum without the node's.
    if !data.mons.is_empty() {
        let total = data.mons.len();
        let left = data
            .mons
            .iter()
            .filter(|m| m.healthy && m.host != node)
            .count();
        let needed = total / 2 + 1;
        let counts = format!("{left} of {total} monitors in quorum without it, {needed} needed");
        out.push(if left >= needed {
            Check::new("ceph mons", Verdict::Pass, counts)
        } else {
            Check::new(
                "ceph mons",
                Verdict::Fail,
                format!("{counts}: Ceph would stop"),
            )
        });
    }
    let hosts_left: std::collections::BTreeSet<&str> = data
        .osds
        .iter()
        .filter(|o| o.up && o.r#in && o.host != node)
        .map(|o| o.host.as_str())
        .collect();
    let own = data.osds.iter().filter(|o| o.host == node).count();
    if own == 0 {
        out.push(Check::new(
            "ceph pools",
            Verdict::Pass,
            format!("{node} has no OSDs"),
        ));
        return out;
    }
    let left = hosts_left.len() as u64;
    let mut short = Vec::new();
    let mut degraded = Vec::new();
    for pool in &data.pools {
        let (Some(size), Some(min)) = (pool.size, pool.min_size) else {
            continue;
        };
        if left < min {
            short.push(format!("{} ({left} of min_size {min})", pool.name));
        } else if left < size {
            degraded.push(pool.name.as_str());
        }
    }
    out.push(if !short.is_empty() {
        Check::new(
            "ceph pools",
            Verdict::Fail,
            format!(
                "with {own} OSDs of {node} down, too few hosts hold replicas: {} — writes would stop",
                short.join(", ")
            ),
        )
    } else if !degraded.is_empty() {
        Check::new(
            "ceph pools",
            Verdict::Warn,
            format!(
                "{own} OSDs of {node} go down: {} run degraded on {left} hosts (noout keeps Ceph from rebalancing)",
                degraded.join(", ")
            ),
        )
    } else {
        Check::new(
            "ceph pools",
            Verdict::Pass,
            format!("every pool keeps its replicas on the {left} other hosts"),
        )
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_counts_the_votes_left() {
        let three = Some(Votes {
            present: 3,
            expected: 3,
        });
        assert_eq!(quorum(three, 1).verdict, Verdict::Warn);
        let two_of_three = Some(Votes {
            present: 2,
            expected: 3,
        });
        let lost = quorum(two_of_three, 1);
        assert_eq!(lost.verdict, Verdict::Fail);
        assert!(
            lost.reason
                .contains("1 of 3 votes present without it, 2 needed"),
            "{}",
            lost.reason
        );
        let five = Some(Votes {
            present: 5,
            expected: 5,
        });
        assert_eq!(quorum(five, 1).verdict, Verdict::Pass);
        assert_eq!(quorum(None, 1).verdict, Verdict::Pass);
    }

    #[test]
    fn ceph_that_cannot_be_read_is_not_taken_for_no_ceph() {
        let checks = ceph(None, Some("GET /cluster/ceph/status: 500"), "pve1");
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].verdict, Verdict::Fail);
        assert!(
            checks[0].reason.contains("cannot be checked"),
            "{:?}",
            checks[0]
        );
        assert_eq!(ceph(None, None, "pve1")[0].verdict, Verdict::Pass);
    }
}
