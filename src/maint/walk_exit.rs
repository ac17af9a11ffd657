//! The way back (exit): wake the node, wait for it (online, in quorum, its OSDs up), disable HA
//! node maintenance as it was enabled, unset `noout` if the walkthrough set it, wait for clean
//! PGs, and bring the chosen guests back where they were (those shut down start again).

use super::How;
use super::walk::{Exit, GuestState, Op, Seen, Stage, StepState, Walk};

impl Walk {
    /// Turn an entered walkthrough around. `back`: the guests to bring back (`None`: all that
    /// left); `ha_command`: the command that disables HA maintenance, rendered.
    pub fn begin_exit(&mut self, back: Option<&[u32]>, ha_command: Option<String>) {
        self.stage = Stage::Wake;
        self.paused = false;
        self.exit = Exit {
            wake: Some(StepState::Pending),
            ha_off: Some(match &self.ha {
                StepState::Done | StepState::Running => StepState::Pending,
                _ => StepState::Skipped("HA maintenance was not enabled".into()),
            }),
            noout_off: Some(match &self.noout {
                StepState::Done | StepState::Running => StepState::Pending,
                _ => StepState::Skipped("the walkthrough did not set noout".into()),
            }),
            ha_command,
        };
        for g in &mut self.guests {
            let chosen = back.is_none_or(|b| b.contains(&g.vmid));
            g.state = match g.state {
                GuestState::Moved | GuestState::ShutDown if chosen => GuestState::Waiting,
                // Not chosen, or it never left (not moved yet, failed, skipped): it stays.
                GuestState::Moved
                | GuestState::ShutDown
                | GuestState::Waiting
                | GuestState::Failed(_)
                | GuestState::Skipped => GuestState::Left,
                ref other => other.clone(),
            };
        }
    }

    /// One watched since a restart is back when it is home and unlocked; one still away and
    /// unlocked (not HA's) did not make it and is sent again.
    pub(super) fn watch_returning(&mut self, seen: &Seen) {
        for g in &mut self.guests {
            if g.state != GuestState::Handed || seen.locked.contains(&g.vmid) {
                continue;
            }
            if seen.located.get(&g.vmid) == Some(&g.origin) {
                g.state = GuestState::Returned;
            } else if g.how != How::Ha {
                g.state = GuestState::Waiting;
            }
        }
    }

    pub(super) fn next_exit(&mut self, seen: &Seen, ops: &mut Vec<Op>) {
        match self.stage {
            Stage::Wake => match self.exit.wake {
                Some(StepState::Pending) if seen.node_online => {
                    self.exit.wake = Some(StepState::Skipped("the node is on".into()));
                    self.stage = Stage::Return;
                }
                Some(StepState::Pending) => {
                    self.exit.wake = Some(StepState::Running);
                    ops.push(Op::Wake);
                }
                Some(StepState::Done | StepState::Skipped(_)) => self.stage = Stage::Return,
                _ => {}
            },
            Stage::Return
                if seen.node_online && seen.quorate && seen.osds_all_up != Some(false) =>
            {
                self.stage = Stage::HaDisable;
            }
            Stage::HaDisable => match &self.exit.ha_off {
                Some(StepState::Pending) => {
                    self.exit.ha_off = Some(StepState::Running);
                    ops.push(Op::HaMaintenanceOff {
                        command: self.exit.ha_command.clone(),
                    });
                }
                Some(StepState::Running)
                    if seen.ha_state.as_deref().is_some_and(|s| s != "maintenance") =>
                {
                    self.exit.ha_off = Some(StepState::Done);
                    self.done
                        .push(format!("HA node maintenance disabled on {}", self.node));
                    self.stage = Stage::Unset;
                }
                Some(StepState::Done | StepState::Skipped(_)) | None => self.stage = Stage::Unset,
                _ => {}
            },
            Stage::Unset => match &self.exit.noout_off {
                Some(StepState::Pending) => {
                    self.exit.noout_off = Some(StepState::Running);
                    ops.push(Op::Noout(false));
                }
                Some(StepState::Done | StepState::Skipped(_)) | None => self.stage = Stage::Clean,
                _ => {}
            },
            Stage::Clean if seen.pgs_clean != Some(false) => self.stage = Stage::Back,
            Stage::Back => {
                self.watch_returning(seen);
                if self.failed_guest().is_some() {
                    return;
                }
                let busy = self
                    .guests
                    .iter()
                    .filter(|g| matches!(g.state, GuestState::Returning | GuestState::Handed))
                    .count();
                let room = (self.parallel as usize).saturating_sub(busy);
                let node = self.node.clone();
                let mut started = 0;
                for g in &mut self.guests {
                    if started >= room {
                        break;
                    }
                    if g.state != GuestState::Waiting {
                        continue;
                    }
                    let here = seen.located.get(&g.vmid) == Some(&node);
                    let stayed = g.how == How::Blocked || g.target.is_none();
                    // Home already (a move back that ended unseen), or started already (by
                    // onboot after the reboot): nothing to do.
                    if (here && !stayed) || (stayed && seen.running.contains(&g.vmid)) {
                        g.state = GuestState::Returned;
                        continue;
                    }
                    started += 1;
                    g.state = GuestState::Returning;
                    if stayed {
                        // It never left (shut down for the duration): start it again.
                        ops.push(Op::Start {
                            vmid: g.vmid,
                            kind: g.kind,
                        });
                    } else {
                        let running = seen.running.contains(&g.vmid);
                        ops.push(Op::MoveBack {
                            vmid: g.vmid,
                            kind: g.kind,
                            from: seen
                                .located
                                .get(&g.vmid)
                                .cloned()
                                .or(g.target.clone())
                                .unwrap_or_default(),
                            online: running,
                            ha: g.how == How::Ha,
                        });
                    }
                }
                let all = self.guests.iter().all(|g| {
                    !matches!(
                        g.state,
                        GuestState::Waiting | GuestState::Returning | GuestState::Handed
                    )
                });
                if all {
                    self.stage = Stage::Finished;
                }
            }
            _ => {}
        }
    }

    pub(super) fn finished_exit(&mut self, op: &Op, result: Result<String, String>) {
        match op {
            Op::Wake => {
                self.exit.wake = Some(match result {
                    Ok(_) => {
                        self.done.push(format!("{} woken", self.node));
                        StepState::Done
                    }
                    Err(e) => StepState::Failed(e),
                })
            }
            Op::HaMaintenanceOff { .. } => {
                if let Err(e) = result {
                    self.exit.ha_off = Some(StepState::Failed(e));
                }
            }
            Op::MoveBack { vmid, .. } | Op::Start { vmid, .. } => {
                let node = self.node.clone();
                if let Some(g) = self.guests.iter_mut().find(|g| g.vmid == *vmid) {
                    match result {
                        Ok(_) => {
                            g.state = GuestState::Returned;
                            self.done
                                .push(format!("{} {} back on {node}", g.vmid, g.name));
                        }
                        Err(e) => g.state = GuestState::Failed(e),
                    }
                }
            }
            _ => {}
        }
    }
}
