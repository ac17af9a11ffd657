//! Placement: where a new guest should go, and why not elsewhere. Given the hosts as they are
//! (capacity, load, storages, networks, devices) and what is asked for, every host is ranked:
//! feasible ones by the policy's score, the others with every reason they are excluded, in words
//! a user reads ("no free device in pool 'gpu'", "memory would be 91 % > 85 % headroom").
//! Pure: no I/O; the callers build `Host`s from what they polled.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where to put things: on the least loaded host (spread), or fill hosts up first (pack).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    #[default]
    Spread,
    Pack,
}

impl FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "spread" => Ok(Policy::Spread),
            "pack" => Ok(Policy::Pack),
            other => Err(format!("\"{other}\" is not a policy: spread or pack")),
        }
    }
}

/// How full a host may get by a placement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Headroom {
    /// Memory in use after placement, as a fraction of the host's.
    pub memory: f64,
    /// vCPUs of guests per host thread.
    pub cpu: f64,
    /// A storage's use after placement, as a fraction of its size.
    pub storage: f64,
}

impl Default for Headroom {
    fn default() -> Self {
        Self {
            memory: 0.85,
            cpu: 4.0,
            storage: 0.90,
        }
    }
}

/// What kind of device a pool holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceClass {
    Gpu,
    Tpu,
    Usb,
    Other,
}

impl DeviceClass {
    pub const ALL: [DeviceClass; 4] = [
        DeviceClass::Gpu,
        DeviceClass::Tpu,
        DeviceClass::Usb,
        DeviceClass::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DeviceClass::Gpu => "gpu",
            DeviceClass::Tpu => "tpu",
            DeviceClass::Usb => "usb",
            DeviceClass::Other => "other",
        }
    }
}

impl fmt::Display for DeviceClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One passthrough device on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The resource mapping it belongs to; unpooled devices are not placed.
    pub pool: String,
    pub class: DeviceClass,
    /// PCI path or USB id on the host.
    pub id: String,
    /// Why it is not free, as words that follow the device: "held by VM 105 (frigate)",
    /// "reserved for VM 300 (gpu-worker)".
    pub taken_by: Option<String>,
    /// Stopped guests configured with it (they would want it back when they start).
    pub claimed_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HostStorage {
    pub name: String,
    pub content: BTreeSet<String>,
    pub shared: bool,
    pub active: bool,
    pub total: u64,
    pub used: u64,
}

/// A host as the scheduler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    pub name: String,
    pub online: bool,
    pub maintenance: bool,
    pub threads: u32,
    /// vCPUs of the guests running here.
    pub vcpus: u32,
    /// CPU in use now, 0–1.
    pub cpu_load: f64,
    pub memory_total: u64,
    pub memory_used: u64,
    pub storages: Vec<HostStorage>,
    /// Bridges and vnets a guest can attach to here.
    pub networks: BTreeSet<String>,
    pub devices: Vec<Device>,
    /// Guests here per tag, for anti-affinity.
    pub tags: BTreeMap<String, u32>,
}

/// A device asked for: by class (`gpu`) or by pool (`coral`), with a count (`gpu:2`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAsk {
    pub selector: String,
    pub count: u32,
}

impl FromStr for DeviceAsk {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (selector, count) = match s.split_once(':') {
            Some((name, n)) => (
                name,
                n.parse::<u32>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| format!("\"{n}\" in \"{s}\" is not a count of 1 or more"))?,
            ),
            None => (s, 1),
        };
        if selector.is_empty() {
            return Err(format!("\"{s}\" names no device class or pool"));
        }
        Ok(DeviceAsk {
            selector: selector.to_string(),
            count,
        })
    }
}

impl DeviceAsk {
    fn matches(&self, d: &Device) -> bool {
        d.pool == self.selector || d.class.name() == self.selector
    }

    fn words(&self) -> String {
        let is_class = DeviceClass::ALL.iter().any(|c| c.name() == self.selector);
        match (is_class, self.count) {
            (true, 1) => format!("a free {}", self.selector),
            (true, n) => format!("{n} free {}s", self.selector),
            (false, 1) => format!("a free device in pool '{}'", self.selector),
            (false, n) => format!("{n} free devices in pool '{}'", self.selector),
        }
    }
}

/// What a new guest needs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Ask {
    pub cores: u32,
    /// Bytes.
    pub memory: u64,
    /// Bytes.
    pub disk: u64,
    /// A storage by name, or the best one that holds `content`.
    pub storage: Option<String>,
    /// `images` (VM disks) or `rootdir` (container volumes).
    pub content: String,
    /// Shared storage only (an HA guest must be able to run elsewhere).
    pub shared: bool,
    pub network: Option<String>,
    pub devices: Vec<DeviceAsk>,
    /// This host and no other.
    pub node: Option<String>,
    /// Tags whose guests should not share a host with this one.
    pub anti_affinity: Vec<String>,
    /// An HA rule the guest joins, as placement sees it.
    #[serde(default)]
    pub ha_rule: Option<HaRuleAsk>,
}

/// What an HA rule asks of the guest's node. Node affinity: the listed nodes, by priority
/// (strict: only those). Resource affinity: be on a node with the rule's other guests
/// (positive) or on none of theirs (negative); each node named with who is there.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HaRuleAsk {
    pub rule: String,
    pub nodes: BTreeMap<String, u32>,
    pub strict: bool,
    pub together: BTreeMap<String, String>,
    pub apart: BTreeMap<String, String>,
}

/// One host's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub node: String,
    pub feasible: bool,
    /// Higher is better; only meaningful among feasible hosts.
    pub score: f64,
    /// For an excluded host every reason; for a feasible one what the score is made of.
    pub reasons: Vec<String>,
    /// The storage the disk would go on.
    pub storage: Option<String>,
    /// The devices it would get: (pool, id).
    pub devices: Vec<(String, String)>,
}

fn percent(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

/// Judge one host.
pub fn judge(host: &Host, ask: &Ask, policy: Policy, headroom: &Headroom) -> Ranked {
    let mut excluded = Vec::new();
    let mut notes = Vec::new();
    if let Some(pin) = &ask.node
        && *pin != host.name
    {
        excluded.push(format!("not {pin}, the node asked for"));
    }
    if !host.online {
        excluded.push("offline".into());
    }
    if host.maintenance {
        excluded.push("in maintenance".into());
    }

    // Memory.
    let total = host.memory_total.max(1) as f64;
    let mem_after = (host.memory_used.saturating_add(ask.memory)) as f64 / total;
    if mem_after > headroom.memory {
        excluded.push(format!(
            "memory would be {} > {} headroom",
            percent(mem_after),
            percent(headroom.memory)
        ));
    }

    // CPU.
    let threads = host.threads.max(1) as f64;
    if ask.cores > host.threads {
        excluded.push(format!(
            "{} cores asked, the node has {} threads",
            ask.cores, host.threads
        ));
    }
    let per_thread = (host.vcpus + ask.cores) as f64 / threads;
    if per_thread > headroom.cpu {
        excluded.push(format!(
            "vCPUs would be {per_thread:.1} per thread > {:.1}",
            headroom.cpu
        ));
    }

    // Storage.
    let fits = |s: &HostStorage| {
        s.total > 0 && (s.used.saturating_add(ask.disk)) as f64 / s.total as f64 <= headroom.storage
    };
    let storage = match &ask.storage {
        Some(name) => match host.storages.iter().find(|s| &s.name == name) {
            None => {
                excluded.push(format!("storage '{name}' not on this node"));
                None
            }
            Some(s) if !s.active => {
                excluded.push(format!("storage '{name}' is not active here"));
                None
            }
            Some(s) if !s.content.contains(&ask.content) => {
                excluded.push(format!("storage '{name}' holds no {}", ask.content));
                None
            }
            Some(s) if ask.shared && !s.shared => {
                excluded.push(format!("storage '{name}' is not shared (needed for HA)"));
                None
            }
            Some(s) if !fits(s) => {
                excluded.push(format!("storage '{name}' full"));
                None
            }
            Some(s) => Some(s.name.clone()),
        },
        None => {
            let usable: Vec<&HostStorage> = host
                .storages
                .iter()
                .filter(|s| s.active && s.content.contains(&ask.content))
                .filter(|s| !ask.shared || s.shared)
                .collect();
            let best = usable
                .iter()
                .filter(|s| fits(s))
                .max_by_key(|s| s.total.saturating_sub(s.used));
            match best {
                Some(s) => Some(s.name.clone()),
                None => {
                    excluded.push(if usable.is_empty() {
                        format!(
                            "no {}storage for {}",
                            if ask.shared { "shared " } else { "" },
                            ask.content
                        )
                    } else {
                        format!(
                            "storage full ({})",
                            usable
                                .iter()
                                .map(|s| s.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    });
                    None
                }
            }
        }
    };

    // HA rule.
    let mut rule_bonus = 0.0;
    if let Some(r) = &ask.ha_rule {
        if !r.nodes.is_empty() {
            match r.nodes.get(&host.name) {
                Some(prio) => {
                    let top = r.nodes.values().max().copied().unwrap_or(1).max(1);
                    rule_bonus = 15.0 * f64::from(*prio) / f64::from(top);
                }
                None if r.strict => excluded.push(format!(
                    "HA rule '{}' allows only {}",
                    r.rule,
                    r.nodes.keys().cloned().collect::<Vec<_>>().join(", ")
                )),
                None => {}
            }
        }
        if !r.together.is_empty() && !r.together.contains_key(&host.name) {
            let (node, who) = r
                .together
                .iter()
                .next()
                .map(|(n, w)| (n.as_str(), w.as_str()))
                .unwrap_or_default();
            excluded.push(format!(
                "HA rule '{}' keeps it with {who} on {node}",
                r.rule
            ));
        }
        if let Some(who) = r.apart.get(&host.name) {
            excluded.push(format!(
                "HA rule '{}' keeps it apart from {who}, here",
                r.rule
            ));
        }
    }

    // Network.
    if let Some(net) = &ask.network
        && !host.networks.contains(net)
    {
        excluded.push(format!("network '{net}' not on this node"));
    }

    // Devices: each ask takes free devices not taken by an earlier ask.
    let mut picked: Vec<(String, String)> = Vec::new();
    for want in &ask.devices {
        let free: Vec<&Device> = host
            .devices
            .iter()
            .filter(|d| want.matches(d) && d.taken_by.is_none())
            .filter(|d| !picked.iter().any(|(_, id)| *id == d.id))
            .take(want.count as usize)
            .collect();
        if free.len() < want.count as usize {
            let held: Vec<&str> = host
                .devices
                .iter()
                .filter(|d| want.matches(d))
                .filter_map(|d| d.taken_by.as_deref())
                .collect();
            let mut why = format!("no {}", want.words().trim_start_matches("a "));
            if !held.is_empty() {
                why.push_str(&format!(" ({})", held.join(", ")));
            }
            excluded.push(why);
        } else {
            picked.extend(free.iter().map(|d| (d.pool.clone(), d.id.clone())));
        }
    }

    // Score: how much is left after placing (spread likes more, pack likes less).
    let cpu_after =
        (per_thread / headroom.cpu.max(0.1)).min(1.0) * 0.5 + (host.cpu_load.clamp(0.0, 1.0)) * 0.5;
    let free_after = 0.6 * (1.0 - mem_after.min(1.0)) + 0.4 * (1.0 - cpu_after);
    let mut score = match policy {
        Policy::Spread => 100.0 * free_after,
        Policy::Pack => 100.0 * (1.0 - free_after),
    };
    if rule_bonus > 0.0 {
        score += rule_bonus;
        if let Some(r) = &ask.ha_rule {
            notes.push(format!("preferred by HA rule '{}'", r.rule));
        }
    }
    notes.push(format!("memory {} after", percent(mem_after)));
    notes.push(format!("{per_thread:.1} vCPU per thread after"));
    for tag in &ask.anti_affinity {
        if let Some(n) = host.tags.get(tag).filter(|n| **n > 0) {
            score -= 25.0 * f64::from(*n);
            notes.push(format!("{n} guest(s) tagged '{tag}' here already"));
        }
    }
    // Keep devices free for the guests that need them.
    let spare = host
        .devices
        .iter()
        .filter(|d| d.taken_by.is_none())
        .count()
        .saturating_sub(picked.len());
    if spare > 0 && ask.devices.is_empty() {
        score -= 5.0;
        notes.push(format!(
            "keeps {spare} free device(s) for guests that need them"
        ));
    }
    for (pool, id) in &picked {
        let claims = host
            .devices
            .iter()
            .find(|d| &d.id == id)
            .map(|d| d.claimed_by.join(", "))
            .unwrap_or_default();
        if claims.is_empty() {
            notes.push(format!("device {id} from pool '{pool}'"));
        } else {
            notes.push(format!(
                "device {id} from pool '{pool}' (also configured on stopped {claims})"
            ));
        }
    }
    if let Some(s) = &storage {
        notes.push(format!("disk on '{s}'"));
    }
    let feasible = excluded.is_empty();
    Ranked {
        node: host.name.clone(),
        feasible,
        score: (score * 10.0).round() / 10.0,
        reasons: if feasible { notes } else { excluded },
        storage,
        devices: picked,
    }
}

/// Every host, best first: feasible ones by score (ties by name), then the excluded by name.
pub fn rank(hosts: &[Host], ask: &Ask, policy: Policy, headroom: &Headroom) -> Vec<Ranked> {
    let mut out: Vec<Ranked> = hosts
        .iter()
        .map(|h| judge(h, ask, policy, headroom))
        .collect();
    out.sort_by(|a, b| {
        let by_score = if a.feasible && b.feasible {
            b.score.total_cmp(&a.score)
        } else {
            std::cmp::Ordering::Equal
        };
        b.feasible
            .cmp(&a.feasible)
            .then(by_score)
            .then(a.node.cmp(&b.node))
    });
    out
}

/// Count a placement as done: the host's memory, vCPUs, storage, devices and tags now include it.
pub fn commit(hosts: &mut [Host], ask: &Ask, placed: &Ranked, holder: &str) {
    let Some(host) = hosts.iter_mut().find(|h| h.name == placed.node) else {
        return;
    };
    host.memory_used = host.memory_used.saturating_add(ask.memory);
    host.vcpus = host.vcpus.saturating_add(ask.cores);
    if let Some(name) = &placed.storage {
        let shared = host.storages.iter().any(|s| &s.name == name && s.shared);
        if shared {
            // A shared storage is one pool of space seen from every host.
            for h in hosts.iter_mut() {
                for s in h
                    .storages
                    .iter_mut()
                    .filter(|s| &s.name == name && s.shared)
                {
                    s.used = s.used.saturating_add(ask.disk);
                }
            }
        } else if let Some(s) = host.storages.iter_mut().find(|s| &s.name == name) {
            s.used = s.used.saturating_add(ask.disk);
        }
    }
    let Some(host) = hosts.iter_mut().find(|h| h.name == placed.node) else {
        return;
    };
    for (_, id) in &placed.devices {
        if let Some(d) = host.devices.iter_mut().find(|d| &d.id == id) {
            d.taken_by = Some(format!("placed for {holder}"));
        }
    }
    for tag in &ask.anti_affinity {
        *host.tags.entry(tag.clone()).or_default() += 1;
    }
}

/// Place several guests one after another, each seeing the ones before it: a batch (or a drain)
/// never sends everything to the same host. Each is its chosen host, or the ranking that refused it.
pub fn place_all(
    hosts: &mut [Host],
    asks: &[(String, Ask)],
    policy: Policy,
    headroom: &Headroom,
) -> Vec<Result<Ranked, Vec<Ranked>>> {
    asks.iter()
        .map(|(holder, ask)| {
            let ranking = rank(hosts, ask, policy, headroom);
            match ranking.first() {
                Some(best) if best.feasible => {
                    let best = best.clone();
                    commit(hosts, ask, &best, holder);
                    Ok(best)
                }
                _ => Err(ranking),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
