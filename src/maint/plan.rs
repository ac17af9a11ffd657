//! A node's maintenance plan, computed before anything happens: the pre-checks, what happens to
//! each guest on the node (where it goes, how, how long it should take, or why it cannot move),
//! and the steps of the walkthrough in order. Pure: it reads what `Inputs` holds.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::checks::{self, Check, Verdict};
use super::updates::Updates;
use crate::config::maintenance::MaintenanceConfig;
use crate::config::placement::PlacementConfig;
use crate::model::ceph_view::CephData;
use crate::model::devices::mapped_entries;
use crate::model::guest_summary::is_disk_key;
use crate::model::ha::Votes;
use crate::model::rows::{GuestKind, HostRow, InstanceRow};
use crate::model::text::{bytes, size_bytes};
use crate::pve::propstr::PropString;
use crate::pve::types::GuestConfig;
use crate::sched::{self, Ask, DeviceAsk, HaRuleAsk, Headroom, Host, Policy};

/// What a plan is made from.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub node: String,
    pub hosts: Vec<HostRow>,
    pub instances: Vec<InstanceRow>,
    /// Corosync votes; `None` on a standalone node.
    pub votes: Option<Votes>,
    /// The node's own votes.
    pub node_votes: u32,
    /// `None` when the cluster has no Ceph or it could not be read.
    pub ceph: Option<CephData>,
    /// Why Ceph could not be read, when it could not.
    pub ceph_error: Option<String>,
    /// Every node as the scheduler sees it (storages, networks, devices, load).
    pub capacity: Vec<Host>,
    /// The config of each guest on the node, by VMID.
    pub configs: BTreeMap<u32, GuestConfig>,
    /// Storages shared by the nodes (a disk there does not move).
    pub shared: BTreeSet<String>,
    /// What the HA rules ask of each guest they name, by VMID.
    pub ha_rules: BTreeMap<u32, HaRuleAsk>,
    /// Bytes a second a migration moved in this cluster lately, if any was seen.
    pub rate: Option<f64>,
    /// What waits on the node's software; `None` when the node could not be asked.
    pub updates: Option<Updates>,
    /// What could not be read, in words: the plan is made without it.
    pub unread: Vec<String>,
}

/// Choices the plan follows.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Stopped guests migrate offline (else they stay, unavailable while the node is out).
    pub move_stopped: bool,
    /// Templates migrate too (else they stay).
    pub move_templates: bool,
    /// Upgrade the node's packages before the power step.
    pub upgrade: bool,
    /// A pool left below `min_size` fails the plan (else it warns, and writes to it stop while
    /// the node is out).
    pub refuse_below_min_size: bool,
    pub policy: Policy,
    pub headroom: Headroom,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            move_stopped: true,
            move_templates: false,
            upgrade: true,
            refuse_below_min_size: true,
            policy: Policy::Spread,
            headroom: Headroom::default(),
        }
    }
}

impl Settings {
    /// The config's choices: placement's policy and headroom, `[maintenance]`'s the rest.
    pub fn of(placement: &PlacementConfig, maintenance: &MaintenanceConfig) -> Self {
        Self {
            move_stopped: maintenance.move_stopped,
            move_templates: maintenance.move_templates,
            upgrade: maintenance.upgrade,
            refuse_below_min_size: maintenance.refuse_below_min_size,
            policy: placement.policy,
            headroom: placement.headroom,
        }
    }
}

/// The rate a migration's log reports at its end ("average migration speed: 1.1 GiB/s -
/// downtime 42 ms"), in bytes a second.
pub fn logged_rate(line: &str) -> Option<f64> {
    let rest = line.split("average migration speed:").nth(1)?;
    let rate = rest.split("/s").next()?.trim();
    size_bytes(rate).filter(|r| *r > 0.0)
}

/// The transfer rate assumed when no migration of the cluster said better: about a 1 Gbit/s link.
pub const DEFAULT_RATE: f64 = 100.0 * 1024.0 * 1024.0;
/// What a container's restart migration costs besides its disk: stop, then start on the target.
const RESTART_SECS: u64 = 30;

/// How a guest leaves the node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum How {
    /// A running VM, moved while it runs.
    Live,
    /// An HA-managed guest: its HA resource is migrated, the HA manager moves it.
    Ha,
    /// A running container: stopped here, started there.
    Restart,
    /// A stopped guest or a template, moved while it is off.
    Offline,
    /// It stays: a template, or a stopped guest by the settings.
    Stays,
    /// It cannot move: shut it down for the duration, or abort.
    Blocked,
}

/// One guest on the node and what happens to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Move {
    pub vmid: u32,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: GuestKind,
    pub how: How,
    /// It runs now (a guest that cannot move is shut down for the duration only if it runs).
    pub running: bool,
    /// Where it goes.
    pub target: Option<String>,
    /// Why it goes there, or why it stays or cannot move.
    pub reasons: Vec<String>,
    /// Seconds the move should take.
    pub estimate: Option<u64>,
    /// Seconds the guest is down on the way (a restart migration).
    pub downtime: Option<u64>,
}

/// A step of the walkthrough, skipped with a reason when it does not apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub what: String,
    pub skipped: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub node: String,
    pub checks: Vec<Check>,
    pub moves: Vec<Move>,
    pub steps: Vec<Step>,
    /// Seconds all moves should take one after another.
    pub estimate: u64,
    /// The rate estimates use, bytes a second, and where it comes from.
    pub rate: f64,
    pub rate_from: &'static str,
    /// What waits on the node's software, when it could be read.
    pub updates: Option<Updates>,
    /// What could not be read, so the plan is made without it.
    pub unread: Vec<String>,
}

impl Plan {
    /// Whether the walkthrough may start: no pre-check failed, every guest has somewhere to go
    /// or a decision to stay.
    pub fn ready(&self) -> bool {
        self.checks.iter().all(|c| c.verdict != Verdict::Fail)
            && self.moves.iter().all(|m| m.how != How::Blocked)
    }
}

/// A disk of a guest: where it is and how big.
struct Volume {
    key: String,
    storage: String,
    size: u64,
}

fn volumes(config: &GuestConfig) -> Vec<Volume> {
    config
        .0
        .iter()
        .filter(|(k, _)| is_disk_key(k))
        .filter_map(|(key, value)| {
            let prop = PropString::parse(value, "file");
            if prop.get("media") == Some("cdrom") {
                return None;
            }
            let file = prop.get("file")?;
            let (storage, _) = file.split_once(':')?;
            Some(Volume {
                key: key.clone(),
                storage: storage.to_string(),
                size: prop.get("size").and_then(size_bytes).unwrap_or(0.0) as u64,
            })
        })
        .collect()
}

/// Passthrough that is not a resource mapping: a device of this very node.
fn local_devices(config: &GuestConfig) -> Vec<String> {
    config
        .0
        .iter()
        .filter(|(k, _)| k.starts_with("hostpci") || k.starts_with("usb"))
        .filter(|(_, v)| !v.split(',').any(|p| p.trim().starts_with("mapping=")))
        .filter(|(_, v)| !v.contains("spice"))
        .map(|(k, v)| {
            let device = v.split(',').next().unwrap_or_default();
            format!("{k}: {device} is a device of this node (no resource mapping)")
        })
        .collect()
}

/// The mapped devices the guest needs on its target, one ask per pool.
fn device_asks(config: &GuestConfig) -> Vec<DeviceAsk> {
    let mut count: BTreeMap<String, u32> = BTreeMap::new();
    for (_, pool) in mapped_entries(config.0.iter()) {
        *count.entry(pool).or_default() += 1;
    }
    count
        .into_iter()
        .map(|(selector, count)| DeviceAsk { selector, count })
        .collect()
}

/// `40 s`, `about 3 min`: an estimate, rounded up.
pub fn minutes(secs: u64) -> String {
    if secs < 90 {
        format!("{secs} s")
    } else {
        format!("about {} min", secs.div_ceil(60))
    }
}

/// The hosts an HA-managed guest may go to as the HA manager would keep it there: with a
/// node-affinity rule, those of the highest priority among the nodes left that can run guests
/// (a guest put lower would be moved back); when none of the rule's nodes is left, any node —
/// or none for a strict rule.
fn ha_candidates(hosts: &[Host], rule: Option<&HaRuleAsk>) -> Vec<Host> {
    let usable = |h: &&Host| h.online && !h.maintenance;
    let Some(rule) = rule.filter(|r| !r.nodes.is_empty()) else {
        return hosts.to_vec();
    };
    let top = hosts
        .iter()
        .filter(usable)
        .filter_map(|h| rule.nodes.get(&h.name))
        .max()
        .copied();
    match top {
        Some(top) => hosts
            .iter()
            .filter(|h| rule.nodes.get(&h.name) == Some(&top))
            .cloned()
            .collect(),
        None if rule.strict => Vec::new(),
        None => hosts.to_vec(),
    }
}

/// Place one guest on the hosts left, or say why it cannot go.
fn place(
    guest: &InstanceRow,
    config: Option<&GuestConfig>,
    inputs: &Inputs,
    hosts: &mut [Host],
    settings: &Settings,
    rate: f64,
) -> Move {
    let mut m = Move {
        vmid: guest.vmid,
        name: guest.name.clone(),
        kind: guest.kind,
        how: How::Blocked,
        running: guest.status == "running",
        target: None,
        reasons: Vec::new(),
        estimate: None,
        downtime: None,
    };
    let running = guest.status == "running";
    if guest.template && !settings.move_templates {
        m.how = How::Stays;
        m.reasons
            .push("a template: it stays (settings: move_templates)".into());
        return m;
    }
    if !running && !settings.move_stopped {
        m.how = How::Stays;
        m.reasons
            .push("stopped: it stays, out of reach until the node is back".into());
        return m;
    }
    let Some(config) = config else {
        m.reasons
            .push("its configuration could not be read: where it can go is not known".into());
        return m;
    };
    let local = local_devices(config);
    if !local.is_empty() {
        m.reasons = local;
        return m;
    }
    let volumes = volumes(config);
    let local_disks: Vec<&Volume> = volumes
        .iter()
        .filter(|v| !inputs.shared.contains(&v.storage))
        .collect();
    let local_bytes: u64 = local_disks.iter().map(|v| v.size).sum();
    // The target needs the guest's storage: the biggest local disk's (it moves to the same
    // storage there), else the shared one its disks are on.
    let storage = local_disks
        .iter()
        .copied()
        .max_by_key(|v| v.size)
        .or_else(|| volumes.iter().max_by_key(|v| v.size))
        .map(|v| v.storage.clone());
    let memory = guest.usage.maxmem.unwrap_or(0);
    let cores = guest.usage.maxcpu.map_or(1, |c| c.ceil() as u32).max(1);
    let network = config
        .0
        .iter()
        .filter(|(k, _)| k.starts_with("net"))
        .find_map(|(_, v)| {
            v.split(',')
                .find_map(|p| p.trim().strip_prefix("bridge="))
                .map(str::to_string)
        });
    let ask = Ask {
        // A stopped guest takes no CPU until it starts.
        cores: if running { cores } else { 0 },
        memory: if running { memory } else { 0 },
        disk: local_bytes,
        storage,
        content: match guest.kind {
            GuestKind::Qemu => "images",
            GuestKind::Lxc => "rootdir",
        }
        .into(),
        shared: false,
        network,
        devices: device_asks(config),
        node: None,
        anti_affinity: Vec::new(),
        ha_rule: inputs.ha_rules.get(&guest.vmid).cloned(),
    };
    let candidates = ha_candidates(hosts, ask.ha_rule.as_ref());
    if hosts.is_empty() {
        m.reasons.push("no other node to go to".into());
        return m;
    }
    if candidates.is_empty() {
        let rule = ask.ha_rule.as_ref().map_or("", |r| r.rule.as_str());
        m.reasons.push(format!(
            "pinned by HA node-affinity rule '{rule}' (strict): none of its nodes is left"
        ));
        return m;
    }
    let ranking = sched::rank(&candidates, &ask, settings.policy, &settings.headroom);
    let Some(best) = ranking.iter().find(|r| r.feasible) else {
        m.reasons = ranking
            .iter()
            .map(|r| format!("{}: {}", r.node, r.reasons.join("; ")))
            .collect();
        if m.reasons.is_empty() {
            m.reasons.push("no other node to go to".into());
        }
        return m;
    };
    // What it takes there is taken for the next guest.
    if let Some(host) = hosts.iter_mut().find(|h| h.name == best.node) {
        if running {
            host.memory_used = host.memory_used.saturating_add(memory);
            host.vcpus = host.vcpus.saturating_add(cores);
        }
        for (pool, id) in &best.devices {
            if let Some(d) = host
                .devices
                .iter_mut()
                .find(|d| &d.pool == pool && &d.id == id)
            {
                d.taken_by = Some(format!("VM {} ({}) after the move", guest.vmid, guest.name));
            }
        }
        if let Some(s) = host
            .storages
            .iter_mut()
            .find(|s| Some(&s.name) == best.storage.as_ref())
        {
            s.used = s.used.saturating_add(local_bytes);
        }
    }
    // A live migration copies memory too; a container is stopped first, so only its disks.
    let live = running && guest.kind == GuestKind::Qemu;
    let moved = local_bytes + if live { memory } else { 0 };
    let secs = (moved as f64 / rate).ceil() as u64;
    m.target = Some(best.node.clone());
    m.reasons = best.reasons.clone();
    for v in &local_disks {
        m.reasons.push(format!(
            "{}: local disk {} on {} is copied",
            v.key,
            bytes(v.size),
            v.storage
        ));
    }
    // `ignored`: HA leaves the guest alone, so rack moves it itself.
    let ha = guest.hastate.as_deref().is_some_and(|s| s != "ignored");
    let restart = running && guest.kind == GuestKind::Lxc;
    m.how = match (running, ha, restart) {
        (true, true, _) => How::Ha,
        (true, false, true) => How::Restart,
        (true, false, false) => How::Live,
        (false, _, _) => How::Offline,
    };
    // HA moves a container by restarting it too.
    if restart {
        m.downtime = Some(RESTART_SECS + secs);
    }
    m.estimate = Some(secs + if restart { RESTART_SECS } else { 0 });
    m
}

/// The plan for taking `inputs.node` out.
pub fn plan(inputs: &Inputs, settings: &Settings) -> Plan {
    let node = inputs.node.as_str();
    let mut checks = vec![
        checks::quorum(inputs.votes, inputs.node_votes),
        checks::other_nodes(&inputs.hosts, node),
    ];
    checks.extend(checks::ceph(
        inputs.ceph.as_ref(),
        inputs.ceph_error.as_deref(),
        node,
    ));
    if !settings.refuse_below_min_size {
        for c in checks
            .iter_mut()
            .filter(|c| c.what == "ceph pools" && c.verdict == Verdict::Fail)
        {
            c.verdict = Verdict::Warn;
            c.reason.push_str(" (settings: below_min_size = \"warn\")");
        }
    }
    let (rate, rate_from) = match inputs.rate.filter(|r| *r > 0.0) {
        Some(r) => (r, "this cluster's recent migrations"),
        None => (
            DEFAULT_RATE,
            "a default: the cluster's own rate is not measured yet",
        ),
    };
    let mut hosts: Vec<Host> = inputs
        .capacity
        .iter()
        .filter(|h| h.name != node)
        .cloned()
        .collect();
    let mut guests: Vec<&InstanceRow> =
        inputs.instances.iter().filter(|i| i.node == node).collect();
    // The biggest running guests first: they have the fewest places to go.
    guests.sort_by_key(|g| {
        (
            g.status != "running",
            std::cmp::Reverse(g.usage.maxmem.unwrap_or(0)),
            g.vmid,
        )
    });
    let moves: Vec<Move> = guests
        .into_iter()
        .map(|g| {
            place(
                g,
                inputs.configs.get(&g.vmid),
                inputs,
                &mut hosts,
                settings,
                rate,
            )
        })
        .collect();
    let estimate = moves.iter().filter_map(|m| m.estimate).sum();
    let has_osds = inputs
        .ceph
        .as_ref()
        .is_some_and(|c| c.osds.iter().any(|o| o.host == node));
    let moving = moves.iter().filter(|m| m.target.is_some()).count();
    let skip = |cond: bool, why: &str| cond.then(|| why.to_string());
    let steps = vec![
        Step {
            what: "set Ceph noout".into(),
            skipped: skip(!has_osds, "the node has no OSDs"),
        },
        Step {
            what: format!("move {moving} guests"),
            skipped: skip(moving == 0, "no guest to move"),
        },
        Step {
            what: "enable HA node maintenance".into(),
            // With no HA resource the CRM is idle: it would never report the node.
            skipped: if inputs.votes.is_none() {
                Some("a standalone node has no HA".into())
            } else if !inputs
                .instances
                .iter()
                .any(|g| g.hastate.as_deref().is_some_and(|s| s != "ignored"))
            {
                Some("no guest of the cluster is HA-managed".into())
            } else {
                None
            },
        },
        Step {
            what: "verify: no guest running, HA reports maintenance".into(),
            skipped: None,
        },
        upgrade_step(inputs.updates.as_ref(), settings.upgrade),
        Step {
            what: match inputs
                .updates
                .as_ref()
                .and_then(|u| u.next_kernel.as_deref())
            {
                Some(kernel) => {
                    format!("reboot the node (it boots kernel {kernel}) or shut it down")
                }
                None => "reboot or shut down the node".into(),
            },
            skipped: None,
        },
    ];
    Plan {
        node: node.to_string(),
        checks,
        moves,
        steps,
        estimate,
        rate,
        rate_from,
        updates: inputs.updates.clone(),
        unread: inputs.unread.clone(),
    }
}

/// Its place is between "ready for maintenance" and the reboot: `pveupgrade` in the node's
/// shell, as the web UI's Upgrade button runs it.
fn upgrade_step(updates: Option<&Updates>, upgrade: bool) -> Step {
    let count = updates.and_then(|u| u.upgrades.as_ref()).map(Vec::len);
    let what = match count {
        Some(n) if n > 0 => format!("upgrade the node: {n} packages (pveupgrade)"),
        _ => "upgrade the node (pveupgrade)".to_string(),
    };
    let skipped = if !upgrade {
        Some("settings: upgrade = false".to_string())
    } else {
        (count == Some(0)).then(|| "nothing to upgrade".to_string())
    };
    Step { what, skipped }
}
