//! Nodes losing and regaining power in the simulated world: guests stop, tasks fail, OSDs go
//! down; a node that boots comes back after its boot time.

use super::dynamics::SYSTEM_USER;
use super::scenario::GuestKind;
use super::tasks::Work;
use super::world::{GuestStatus, Power, World};

impl World {
    /// Power a node off now: its guests stop, its tasks fail, its OSDs go down.
    pub fn power_off(&mut self, node: &str) {
        let now = self.now;
        let Some(n) = self.node_mut(node) else { return };
        if n.power == Power::Off {
            return;
        }
        n.power = Power::Off;
        n.offline_since = Some(now);
        for g in self
            .guests
            .values_mut()
            .filter(|g| g.node == node && g.running())
        {
            g.status = GuestStatus::Stopped;
            g.stopped_at = Some(now);
        }
        for t in self
            .tasks
            .iter_mut()
            .filter(|t| t.running() && t.upid.node == node)
        {
            t.done = true;
            t.end = now;
            t.exitstatus = Some("unexpected status".into());
            t.lines.retain(|(at, _)| *at <= now);
        }
    }

    /// Power a node on: it answers again after its boot time.
    pub fn power_on(&mut self, node: &str) {
        let now = self.now;
        if let Some(n) = self.node_mut(node)
            && n.power == Power::Off
        {
            n.power = Power::Booting {
                ready_at: now + n.def.boot_seconds,
            };
        }
    }

    /// Graceful shutdown or reboot, as `POST /nodes/{node}/status` asks.
    pub fn shutdown_node(&mut self, node: &str, reboot: bool) {
        let now = self.now;
        let policy = self.options.get("ha").cloned().unwrap_or_default();
        let mut wait = 15.0;
        if policy.contains("shutdown_policy=migrate") {
            let services: Vec<(u32, bool)> = self
                .guests
                .values()
                .filter(|g| g.node == node && self.is_ha(g) && g.running())
                .map(|g| (g.vmid, g.kind == GuestKind::Qemu))
                .collect();
            for (vmid, online) in services {
                if let Some(target) = self.ha_target(vmid, Some(node)) {
                    let duration = self.ha_migrate(node, vmid, target, online);
                    wait = f64::max(wait, duration + 5.0);
                }
            }
        }
        self.start_work(
            node,
            SYSTEM_USER,
            Work::StopAll {
                node: node.to_string(),
            },
        );
        if let Some(n) = self.node_mut(node) {
            n.power = Power::ShuttingDown { off_at: now + wait };
            if reboot {
                // Marked so the node boots again after going down.
                n.def.online = true;
            } else {
                n.def.online = false;
            }
        }
    }

    pub(crate) fn node_ready(&mut self, node: &str) {
        let now = self.now;
        let Some(n) = self.node_mut(node) else { return };
        n.power = Power::On;
        n.booted_at = now;
        n.last_outage = n.offline_since.map(|since| (since, now));
        n.offline_since = None;
        self.boot_newest_kernel(node);
        self.start_work(
            node,
            SYSTEM_USER,
            Work::StartAll {
                node: node.to_string(),
            },
        );
    }

    pub(crate) fn after_power_off(&mut self, node: &str) {
        // A reboot comes back by itself.
        if self
            .node(node)
            .is_some_and(|n| n.def.online && n.power == Power::Off)
        {
            self.power_on(node);
        }
    }
}
