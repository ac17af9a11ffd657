//! The HA manager: recovers services from fenced nodes, moves them off nodes in maintenance,
//! enforces the requested state, and fails back to preferred nodes — following the HA rules.

use std::collections::BTreeMap;

use super::dynamics::SYSTEM_USER;
use super::scenario::GuestKind;
use super::tasks::Work;
use super::world::{GuestStatus, HA_FENCE_DELAY, World};

impl World {
    /// The HA manager moves a service, as root@pam; returns how long the migration will take.
    pub fn ha_migrate(&mut self, node: &str, vmid: u32, target: String, online: bool) -> f64 {
        let work = Work::Migrate {
            vmid,
            target,
            online,
            target_storage: None,
        };
        let duration = self.describe(node, &work).duration;
        self.start_work(node, SYSTEM_USER, work);
        duration
    }

    /// Node priorities a node-affinity rule gives a service (`node:prio,…`), if any.
    pub fn ha_priorities(&self, sid: &str) -> Option<(Vec<(String, i64)>, bool)> {
        let rule = self.ha.rules.iter().find(|r| {
            !r.disable
                && r.kind == "node-affinity"
                && r.resources.split(',').any(|s| s.trim() == sid)
        })?;
        let nodes = rule
            .nodes
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|entry| match entry.split_once(':') {
                Some((n, p)) => (n.trim().to_string(), p.trim().parse().unwrap_or(0)),
                None => (entry.trim().to_string(), 0),
            })
            .collect();
        Some((nodes, rule.strict))
    }

    /// What moving `sid` means to the HA rules, as Proxmox VE 9's `get_resource_motion_info`
    /// tells it: the HA services in positive affinity with it (they move along), and per online
    /// node the services in negative affinity with it that run there (they block the move).
    /// Services HA ignores count for neither.
    pub fn ha_motion(&self, sid: &str) -> (Vec<String>, BTreeMap<String, Vec<String>>) {
        if !self.ha.resources.contains_key(sid) {
            return (Vec::new(), BTreeMap::new());
        }
        let managed = |s: &String| {
            self.ha
                .resources
                .get(s)
                .is_some_and(|r| r.state != "ignored")
        };
        let together: Vec<String> = self
            .ha_peers(sid, "positive")
            .into_iter()
            .filter(managed)
            .collect();
        let mut blocking: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for other in self.ha_peers(sid, "negative").into_iter().filter(managed) {
            let node = other
                .split_once(':')
                .and_then(|(_, v)| v.parse::<u32>().ok())
                .and_then(|v| self.guests.get(&v))
                .map(|g| g.node.clone());
            if let Some(node) = node.filter(|n| self.node(n).is_some_and(|n| n.online())) {
                blocking.entry(node).or_default().push(other);
            }
        }
        (together, blocking)
    }

    /// Why the HA manager refuses to move `sid` to `target`, in ha-manager's words; None when
    /// no negative resource affinity stands in the way.
    pub fn ha_refusal(&self, sid: &str, target: &str, verb: &str) -> Option<String> {
        let (_, blocking) = self.ha_motion(sid);
        let list = blocking.get(target)?;
        let lines: Vec<String> = list
            .iter()
            .map(|other| {
                format!(
                    "resource '{other}' on target node '{target}' in negative affinity with resource '{sid}'"
                )
            })
            .collect();
        Some(format!(
            "cannot {verb} resource '{sid}' to node '{target}': {}",
            lines.join("; ")
        ))
    }

    /// The other services of enabled resource-affinity rules of `affinity` that name `sid`.
    fn ha_peers(&self, sid: &str, affinity: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .ha
            .rules
            .iter()
            .filter(|r| {
                !r.disable
                    && r.kind == "resource-affinity"
                    && r.affinity.as_deref() == Some(affinity)
            })
            .filter(|r| r.resources.split(',').any(|s| s.trim() == sid))
            .flat_map(|r| {
                r.resources
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .collect::<Vec<_>>()
            })
            .filter(|s| s != sid)
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Where the HA manager would put a guest now: an online node not in maintenance, the
    /// highest priority per its rules, then the fewest services; never `avoid`.
    pub fn ha_target(&self, vmid: u32, avoid: Option<&str>) -> Option<String> {
        let g = self.guests.get(&vmid)?;
        let sid = g.sid();
        let prio = self.ha_priorities(&sid);
        let apart: Vec<String> = self
            .ha_peers(&sid, "negative")
            .iter()
            .filter_map(|s| s.split_once(':').and_then(|(_, v)| v.parse::<u32>().ok()))
            .filter_map(|v| self.guests.get(&v).map(|g| g.node.clone()))
            .collect();
        let mut candidates: Vec<(bool, i64, usize, String)> = self
            .nodes
            .iter()
            .filter(|n| {
                n.online() && Some(n.name()) != avoid && !self.ha.maintenance.contains(n.name())
            })
            .filter_map(|n| {
                let p = match &prio {
                    Some((list, strict)) => match list.iter().find(|(x, _)| x == n.name()) {
                        Some((_, p)) => *p,
                        None if *strict => return None,
                        None => -1,
                    },
                    None => 0,
                };
                let load = self
                    .guests
                    .values()
                    .filter(|x| x.node == n.name() && x.running())
                    .count();
                // Keeping services apart outranks node priority, as in Proxmox VE 9; a node
                // that would break the rule is taken only when no other is left.
                let together = apart.iter().any(|a| a == n.name());
                Some((together, p, load, n.name().to_string()))
            })
            .collect();
        candidates.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(b.1.cmp(&a.1))
                .then(a.2.cmp(&b.2))
                .then(a.3.cmp(&b.3))
        });
        candidates.into_iter().next().map(|c| c.3)
    }

    pub(super) fn ha_manager(&mut self) {
        if !self.quorate() {
            return;
        }
        let now = self.now;
        let sids: Vec<String> = self.ha.resources.keys().cloned().collect();
        for sid in sids {
            let Some(vmid) = sid.split_once(':').and_then(|(_, v)| v.parse::<u32>().ok()) else {
                continue;
            };
            let Some(g) = self.guests.get(&vmid) else {
                continue;
            };
            if self.guest_busy(vmid) {
                continue;
            }
            let state = self
                .ha
                .resources
                .get(&sid)
                .map(|r| r.state.clone())
                .unwrap_or_default();
            let node = g.node.clone();
            let Some(host) = self.node(&node) else {
                continue;
            };
            let host_online = host.online();
            let fenced = host
                .offline_since
                .is_some_and(|s| now - s >= HA_FENCE_DELAY);
            let wants_running = state == "started";
            if !host_online {
                if fenced && state != "disabled" && state != "ignored" {
                    // Recovery: the config moves to a surviving node; a started service boots there.
                    if let Some(target) = self.ha_target(vmid, Some(&node)) {
                        if let Some(g) = self.guests.get_mut(&vmid) {
                            g.node = target.clone();
                            g.status = GuestStatus::Stopped;
                        }
                        if wants_running {
                            self.start_work(&target, SYSTEM_USER, Work::Start { vmid });
                        }
                    }
                }
                continue;
            }
            if self.ha.maintenance.contains(&node) {
                if let Some(target) = self.ha_target(vmid, Some(&node)) {
                    let online = g.kind == GuestKind::Qemu && g.running();
                    self.ha_migrate(&node, vmid, target, online);
                }
                continue;
            }
            if wants_running && !g.running() {
                self.start_work(&node, SYSTEM_USER, Work::Start { vmid });
                continue;
            }
            if (state == "stopped" || state == "disabled") && g.running() {
                self.start_work(&node, SYSTEM_USER, Work::Shutdown { vmid });
                continue;
            }
            let failback = self.ha.resources.get(&sid).is_some_and(|r| r.failback);
            if failback
                && wants_running
                && let Some((list, _)) = self.ha_priorities(&sid)
            {
                let here = list
                    .iter()
                    .find(|(n, _)| *n == node)
                    .map(|(_, p)| *p)
                    .unwrap_or(-1);
                let better = list.iter().any(|(n, p)| {
                    *p > here
                        && self.node(n).is_some_and(|x| x.online())
                        && !self.ha.maintenance.contains(n)
                });
                if better && let Some(target) = self.ha_target(vmid, None).filter(|t| *t != node) {
                    self.ha_migrate(&node, vmid, target, g.kind == GuestKind::Qemu);
                }
            }
        }
    }
}
