//! How the walkthrough takes what happened: an operation's end (done, or Proxmox's words), and
//! the user's retry or skip after a failure.

use super::walk::{GuestState, Op, Power, Stage, StepState, Walk};

impl Walk {
    /// How an operation ended: `Ok` with what it said, or Proxmox's error.
    pub fn finished(&mut self, op: &Op, result: Result<String, String>) {
        match op {
            Op::Noout(false) => match result {
                Ok(_) => {
                    self.exit.noout_off = Some(StepState::Done);
                    self.done.push("Ceph noout unset".into());
                }
                Err(e) => self.exit.noout_off = Some(StepState::Failed(e)),
            },
            Op::Noout(true) => match result {
                Ok(_) => {
                    self.noout = StepState::Done;
                    self.done.push("Ceph noout set".into());
                }
                Err(e) => self.noout = StepState::Failed(e),
            },
            Op::Move {
                vmid, target, ha, ..
            } => {
                if let Some(g) = self.guests.iter_mut().find(|g| g.vmid == *vmid) {
                    match result {
                        Ok(_) if *ha => g.state = GuestState::Handed,
                        Ok(_) => {
                            g.state = GuestState::Moved;
                            self.done
                                .push(format!("{} {} moved to {target}", g.vmid, g.name));
                        }
                        Err(e) => g.state = GuestState::Failed(e),
                    }
                }
            }
            Op::ShutDown { vmid, .. } => {
                if let Some(g) = self.guests.iter_mut().find(|g| g.vmid == *vmid) {
                    match result {
                        Ok(_) => {
                            g.state = GuestState::ShutDown;
                            self.done
                                .push(format!("{} {} shut down for the duration", g.vmid, g.name));
                        }
                        Err(e) => g.state = GuestState::Failed(e),
                    }
                }
            }
            // The command ran; HA's own word decides when it is done (see `next`).
            Op::HaMaintenance { .. } => {
                if let Err(e) = result {
                    self.ha = StepState::Failed(e);
                }
            }
            Op::Upgrade => match result {
                Ok(said) => {
                    self.upgrade = StepState::Done;
                    self.done.push(format!("{} upgraded: {said}", self.node));
                }
                Err(e) => self.upgrade = StepState::Failed(e),
            },
            Op::Power(p) => match result {
                Ok(_) => {
                    self.power_state = StepState::Done;
                    self.done.push(format!(
                        "{} {}",
                        self.node,
                        match p {
                            Power::Reboot => "asked to reboot",
                            Power::Shutdown => "asked to shut down",
                        }
                    ));
                }
                Err(e) => self.power_state = StepState::Failed(e),
            },
            Op::Wake | Op::HaMaintenanceOff { .. } | Op::MoveBack { .. } | Op::Start { .. } => {
                self.finished_exit(op, result)
            }
        }
    }

    /// Try the failed guest again.
    /// Try what failed again; guests watched since a restart (an HA request that may never
    /// have gone out) are sent again too.
    pub fn retry(&mut self) {
        for g in &mut self.guests {
            if matches!(g.state, GuestState::Failed(_) | GuestState::Handed) {
                g.state = GuestState::Waiting;
            }
        }
        for s in [
            &mut self.noout,
            &mut self.ha,
            &mut self.upgrade,
            &mut self.power_state,
        ]
        .into_iter()
        .chain(
            [
                &mut self.exit.wake,
                &mut self.exit.ha_off,
                &mut self.exit.noout_off,
            ]
            .into_iter()
            .flatten(),
        ) {
            if matches!(s, StepState::Failed(_)) {
                *s = StepState::Pending;
            }
        }
        if self.stage == Stage::Power && self.power_state == StepState::Pending {
            self.stage = Stage::Verify;
        }
    }

    /// The upgrade cannot be run here (no root shell): skipped, with why, and what to do.
    pub fn skip_upgrade(&mut self, why: &str) {
        self.upgrade = StepState::Skipped(format!(
            "{why}: run `pveupgrade` on {} yourself before the reboot",
            self.node
        ));
    }

    /// Whether something failed that may be skipped: a guest's move, or the upgrade.
    pub fn skippable(&self) -> bool {
        self.failed_guest().is_some() || matches!(self.upgrade, StepState::Failed(_))
    }

    /// Leave the failed guest where it is and go on; a failed upgrade is left to the user.
    pub fn skip(&mut self) {
        for g in &mut self.guests {
            if matches!(g.state, GuestState::Failed(_)) {
                g.state = GuestState::Skipped;
            }
        }
        if let StepState::Failed(e) = &self.upgrade {
            self.upgrade = StepState::Skipped(format!("skipped after it failed: {e}"));
        }
    }
}
