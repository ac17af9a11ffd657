//! What a walkthrough says of itself, in words: how far it got, what it waits for, where it
//! stopped, and what an abort leaves undone. The console, the command line and another rack
//! all describe it from here.

use super::walk::{GuestState, Seen, Stage, StepState, Walk, manual_command};

impl Walk {
    /// How far it got, in a few words: stopped at what, or the guests moved, in maintenance,
    /// on its way back.
    pub fn progress(&self) -> String {
        let moved = self
            .guests
            .iter()
            .filter(|g| matches!(g.state, GuestState::Moved | GuestState::ShutDown))
            .count();
        let moving = self
            .guests
            .iter()
            .filter(|g| g.state != GuestState::Stays)
            .count();
        match self.stopped_at() {
            Some(why) => format!("stopped at {why}"),
            None if self.stage >= Stage::Wake => "on its way back".into(),
            None if self.stage >= Stage::Ready => "in maintenance".into(),
            None => format!("{moved} of {moving} guests moved"),
        }
    }

    /// One line for another rack or the console: what is kept, and how far it got.
    pub fn summary(&self) -> String {
        format!(
            "a maintenance walkthrough of {} is in progress on this cluster ({})",
            self.node,
            self.progress()
        )
    }

    /// What it waits for now, in words, or nothing when it does not wait on the cluster.
    pub fn waiting_for(&self, seen: &Seen) -> Option<String> {
        let run = |command: &Option<String>, action: &str| match command {
            Some(_) => String::new(),
            None => format!(" (run: {})", manual_command(&self.node, action)),
        };
        Some(match self.stage {
            Stage::Clean => format!("waiting for clean placement groups: {}", seen.pgs),
            Stage::Return => format!(
                "waiting for {}: {}, {}{}",
                self.node,
                if seen.node_online {
                    "online"
                } else {
                    "offline"
                },
                if seen.quorate { "quorate" } else { "no quorum" },
                if seen.osds.is_empty() {
                    String::new()
                } else {
                    format!(", {}", seen.osds)
                }
            ),
            Stage::HaMaintenance => format!(
                "waiting until HA shows {} in maintenance{}",
                self.node,
                run(&self.ha_command, "enable")
            ),
            Stage::HaDisable => format!(
                "waiting until HA shows {} out of maintenance{}",
                self.node,
                run(&self.exit.ha_command, "disable")
            ),
            Stage::Upgrade if self.upgrade == StepState::Running => {
                format!("upgrading {} (pveupgrade in its shell)", self.node)
            }
            Stage::Moves => {
                let handed: Vec<String> = self
                    .guests
                    .iter()
                    .filter(|g| g.state == GuestState::Handed)
                    .map(|g| format!("{} ({})", g.vmid, g.name))
                    .collect();
                if handed.is_empty() {
                    return None;
                }
                format!(
                    "waiting for {} to leave (a retry, r or --retry, sends the request again)",
                    handed.join(", ")
                )
            }
            _ => return None,
        })
    }

    /// The failure the walkthrough stopped at, in words.
    pub fn stopped_at(&self) -> Option<String> {
        if let Some(g) = self.failed_guest()
            && let GuestState::Failed(e) = &g.state
        {
            return Some(format!("{} {}: {e}", g.vmid, g.name));
        }
        let exit = [
            ("wake", self.exit.wake.as_ref()),
            ("disable HA node maintenance", self.exit.ha_off.as_ref()),
            ("unset Ceph noout", self.exit.noout_off.as_ref()),
        ];
        [
            ("set Ceph noout", Some(&self.noout)),
            ("HA node maintenance", Some(&self.ha)),
            ("upgrade", Some(&self.upgrade)),
            ("power", Some(&self.power_state)),
        ]
        .into_iter()
        .chain(exit)
        .find_map(|(what, s)| match s {
            Some(StepState::Failed(e)) => Some(format!("{what}: {e}")),
            _ => None,
        })
    }

    /// What is left undone, in words, for an abort's report.
    pub fn undone(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .guests
            .iter()
            .filter(|g| {
                matches!(
                    g.state,
                    GuestState::Waiting | GuestState::Failed(_) | GuestState::Skipped
                )
            })
            .map(|g| format!("{} {} is still on {}", g.vmid, g.name, g.origin))
            .collect();
        if matches!(
            self.ha,
            StepState::Pending | StepState::Running | StepState::Failed(_)
        ) {
            out.push("HA node maintenance is not enabled".into());
        }
        out
    }
}
