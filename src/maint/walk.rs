//! The walkthrough that takes a node out (enter), as a state machine: it says which operations
//! are due given what the cluster shows, and records how each one ended. Pure: the driver in
//! `actions/` turns its operations into queued requests and commands, feeds back what it reads
//! and what ended, and keeps it on disk so a restart continues where it stopped.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::plan::{How, Plan};
use crate::model::rows::GuestKind;

/// Where the walkthrough stands, in the order it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Ceph `noout`, so Ceph does not rebalance while the node is out.
    Noout,
    /// The guests leave, a few at a time.
    Moves,
    /// HA node maintenance is asked for, and awaited.
    HaMaintenance,
    /// The node holds no running guest and HA reports it in maintenance.
    Verify,
    /// The node's packages are upgraded (`pveupgrade` in its shell).
    Upgrade,
    /// Ready for maintenance: the user reboots or shuts the node down now, or later.
    Ready,
    /// The node reboots or shuts down, and the walkthrough waits for it.
    Power,
    /// The node is out for maintenance: the walkthrough of going in is done.
    Done,
    // The exit, in order (see `walk_exit`).
    /// The node is woken when it is off.
    Wake,
    /// Until it is online, in quorum, with every OSD up.
    Return,
    /// HA node maintenance is disabled, and awaited.
    HaDisable,
    /// Ceph `noout` is unset, when the walkthrough set it.
    Unset,
    /// Until every placement group is active+clean.
    Clean,
    /// The guests chosen go back where they were; those shut down start again.
    Back,
    Finished,
}

/// What happens to one guest, and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "why")]
pub enum GuestState {
    Waiting,
    Moving,
    /// HA took the migration request; it is moved when HA has moved it.
    Handed,
    Moved,
    /// Its move failed with Proxmox's words; the walkthrough stopped at it.
    Failed(String),
    /// The user skipped it: it stays on the node.
    Skipped,
    /// It could not move: it is shut down for the duration, started again on exit.
    ShuttingDown,
    ShutDown,
    /// It stays by the plan (a template, a stopped guest by the settings).
    Stays,
    /// On the exit: going back to its origin (or starting again there).
    Returning,
    Returned,
    /// On the exit: it stays where it went (the user's choice).
    Left,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestRun {
    pub vmid: u32,
    pub name: String,
    pub kind: GuestKind,
    pub how: How,
    /// Where it was, so the exit can bring it back.
    pub origin: String,
    pub target: Option<String>,
    pub state: GuestState,
}

impl GuestRun {
    /// How it leaves the node: moved to its target as the plan says, or (with nowhere to go)
    /// shut down for the duration.
    pub fn leave(&self) -> Op {
        match (&self.how, &self.target) {
            (How::Blocked, _) | (_, None) => Op::ShutDown {
                vmid: self.vmid,
                kind: self.kind,
            },
            (how, Some(target)) => Op::Move {
                vmid: self.vmid,
                kind: self.kind,
                target: target.clone(),
                online: matches!(how, How::Live | How::Ha | How::Restart),
                ha: *how == How::Ha,
            },
        }
    }
}

/// Done, waiting, or skipped with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "why")]
pub enum StepState {
    Pending,
    Running,
    Done,
    Skipped(String),
    Failed(String),
}

/// Reboot or shut down, when ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Power {
    Reboot,
    Shutdown,
}

/// One thing the driver carries out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Set (true) or unset Ceph `noout`.
    Noout(bool),
    Move {
        vmid: u32,
        kind: GuestKind,
        target: String,
        /// A running VM moves live; a running container restarts.
        online: bool,
        ha: bool,
    },
    ShutDown {
        vmid: u32,
        kind: GuestKind,
    },
    /// Enable HA node maintenance: the command to run, or none (the user runs it).
    HaMaintenance {
        command: Option<String>,
    },
    Power(Power),
    /// Upgrade the node's packages through its shell (`pveupgrade`).
    Upgrade,
    /// Wake the node by Wake-on-LAN, and wait until it is online.
    Wake,
    /// Disable HA node maintenance: the command to run, or none (the user runs it).
    HaMaintenanceOff {
        command: Option<String>,
    },
    /// Move a guest back to where it was.
    MoveBack {
        vmid: u32,
        kind: GuestKind,
        from: String,
        online: bool,
        ha: bool,
    },
    /// Start a guest the walkthrough shut down.
    Start {
        vmid: u32,
        kind: GuestKind,
    },
}

/// What the driver reads of the cluster before it asks what is due.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Seen {
    /// Guests on the node, and those of them running.
    pub here: Vec<u32>,
    pub running_here: Vec<u32>,
    /// Guests with a config lock (a migration or shutdown under way), anywhere.
    pub locked: Vec<u32>,
    /// HA's word for the node (`maintenance`, `online`, …), if HA knows it.
    pub ha_state: Option<String>,
    pub node_online: bool,
    /// The cluster has quorum.
    pub quorate: bool,
    /// Where each guest of the cluster is, and which run.
    pub located: BTreeMap<u32, String>,
    pub running: Vec<u32>,
    /// Ceph, when the cluster has it: every OSD up, and every PG active+clean.
    pub osds_all_up: Option<bool>,
    pub pgs_clean: Option<bool>,
    /// PG states in words ("120 active+clean, 8 active+undersized"), for the wait to show.
    pub pgs: String,
    /// OSDs in words ("5 of 6 up"), for the wait to show.
    pub osds: String,
}

/// A walkthrough in progress (or ended), as kept on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Walk {
    pub cluster: String,
    pub node: String,
    pub stage: Stage,
    pub noout: StepState,
    pub guests: Vec<GuestRun>,
    pub ha: StepState,
    /// The HA maintenance command, rendered for this node; `None`: the user runs it.
    pub ha_command: Option<String>,
    /// The upgrade of the node's packages, between verifying and the power step.
    #[serde(default = "kept_from_before")]
    pub upgrade: StepState,
    pub power: Option<Power>,
    pub power_state: StepState,
    /// The node has been seen down since the power step was asked for.
    #[serde(default)]
    pub went_down: bool,
    /// Guests moving at once.
    pub parallel: u32,
    /// The exit's own steps, once it began.
    #[serde(default)]
    pub exit: Exit,
    pub paused: bool,
    /// What was done, in order, in words: the record an abort reports.
    pub done: Vec<String>,
}

/// A walkthrough kept by a rack that did not upgrade nodes does not start doing so.
fn kept_from_before() -> StepState {
    StepState::Skipped("the walkthrough was started by an earlier rack".into())
}

/// What the user runs on a node of the cluster when rack has no HA command to run.
pub fn manual_command(node: &str, action: &str) -> String {
    format!("ha-manager crm-command node-maintenance {action} {node}")
}

/// Why a walkthrough cannot start from a plan. `shut_down` says which running guests that
/// cannot move the user chose to shut down for the duration; any other one refuses it.
pub fn refusal(plan: &Plan, shut_down: &dyn Fn(u32) -> bool) -> Option<String> {
    if let Some(c) = plan
        .checks
        .iter()
        .find(|c| c.verdict == super::Verdict::Fail)
    {
        return Some(format!("pre-check {} fails: {}", c.what, c.reason));
    }
    let blocked: Vec<String> = plan
        .moves
        .iter()
        .filter(|m| m.how == How::Blocked && m.running && !shut_down(m.vmid))
        .map(|m| format!("{} ({})", m.vmid, m.name))
        .collect();
    (!blocked.is_empty()).then(|| {
        format!(
            "{} cannot move: shut them down for the duration, or abort",
            blocked.join(", ")
        )
    })
}

impl Walk {
    /// A walkthrough of `plan`: noout only when the plan sets it, HA maintenance only in a
    /// cluster; guests that cannot move are shut down (the caller asked for that).
    pub fn new(cluster: &str, plan: &Plan, ha_command: Option<String>, parallel: u32) -> Self {
        let skipped = |what: &str| {
            plan.steps
                .iter()
                .find(|s| s.what.starts_with(what))
                .and_then(|s| s.skipped.clone())
        };
        let guests = plan
            .moves
            .iter()
            .map(|m| GuestRun {
                vmid: m.vmid,
                name: m.name.clone(),
                kind: m.kind,
                how: m.how.clone(),
                origin: plan.node.clone(),
                target: m.target.clone(),
                state: match m.how {
                    How::Stays => GuestState::Stays,
                    // Off already: nothing to shut down, nothing to start on the way back.
                    How::Blocked if !m.running => GuestState::Stays,
                    _ => GuestState::Waiting,
                },
            })
            .collect();
        Walk {
            cluster: cluster.to_string(),
            node: plan.node.clone(),
            stage: Stage::Noout,
            noout: skipped("set Ceph noout").map_or(StepState::Pending, StepState::Skipped),
            guests,
            ha: skipped("enable HA").map_or(StepState::Pending, StepState::Skipped),
            ha_command,
            upgrade: skipped("upgrade the node").map_or(StepState::Pending, StepState::Skipped),
            power: None,
            power_state: StepState::Pending,
            went_down: false,
            exit: Exit::default(),
            parallel: parallel.max(1),
            paused: false,
            done: Vec::new(),
        }
    }

    /// Taken up again by a new process, which does not follow the old one's jobs: what was
    /// under way is judged by what the cluster shows. A guest gone from the node has moved; one
    /// still locked is watched until it leaves; the rest are sent again.
    pub fn resume(&mut self, seen: &Seen) {
        let node = self.node.clone();
        for g in &mut self.guests {
            let at = seen.located.get(&g.vmid);
            let here = at == Some(&node);
            let locked = seen.locked.contains(&g.vmid);
            let running = seen.running.contains(&g.vmid);
            g.state = match g.state {
                GuestState::Moving | GuestState::Handed if !here => GuestState::Moved,
                // A migration under way (locked), or an HA request HA may not have started yet:
                // watched until the guest has left, never sent twice.
                GuestState::Moving | GuestState::Handed if locked || g.how == How::Ha => {
                    GuestState::Handed
                }
                GuestState::Moving | GuestState::Handed => GuestState::Waiting,
                GuestState::ShuttingDown if !running => GuestState::ShutDown,
                GuestState::ShuttingDown if locked => GuestState::ShuttingDown,
                GuestState::ShuttingDown => GuestState::Waiting,
                // On the way back: a guest that left is back when it is home; one shut down for
                // the duration is back when it runs.
                GuestState::Returning if g.target.is_some() && here && !locked => {
                    GuestState::Returned
                }
                GuestState::Returning if g.target.is_none() && running => GuestState::Returned,
                GuestState::Returning if locked || g.how == How::Ha => GuestState::Handed,
                GuestState::Returning => GuestState::Waiting,
                ref other => other.clone(),
            };
        }
        // Ready then is not ready now until it is verified again (a guest may have started).
        if matches!(self.stage, Stage::Ready | Stage::Upgrade) {
            self.stage = Stage::Verify;
        }
        // Setting or unsetting noout again, or waking a node that is up, changes nothing.
        if self.noout == StepState::Running {
            self.noout = StepState::Pending;
        }
        // An upgrade cut off is run again; when dpkg was interrupted, apt says so and the step
        // fails with its words (`dpkg --configure -a` on the node, then a retry).
        if self.upgrade == StepState::Running {
            self.upgrade = StepState::Pending;
        }
        for step in [&mut self.exit.wake, &mut self.exit.noout_off]
            .into_iter()
            .flatten()
        {
            if *step == StepState::Running {
                *step = StepState::Pending;
            }
        }
        // A reboot or shutdown that may have gone out is never sent again on rack's own word.
        if self.power_state == StepState::Running {
            self.power_state = if seen.node_online {
                StepState::Failed(
                    "rack stopped while asking for it, and the node is up: check whether it \
                     went down (its uptime), then --retry sends it again"
                        .into(),
                )
            } else {
                StepState::Done
            };
        }
    }

    pub fn failed_guest(&self) -> Option<&GuestRun> {
        self.guests
            .iter()
            .find(|g| matches!(g.state, GuestState::Failed(_)))
    }

    fn in_flight(&self) -> usize {
        self.guests
            .iter()
            .filter(|g| {
                matches!(
                    g.state,
                    GuestState::Moving | GuestState::Handed | GuestState::ShuttingDown
                )
            })
            .count()
    }

    /// What the cluster shows of the guests leaving: a watched shutdown done once the guest is
    /// off, a watched move done once it has left (or failed when its lock is gone and it is
    /// still here). Seen even while paused, so the view says what became of them.
    fn watch_leaving(&mut self, seen: &Seen) {
        for g in &mut self.guests {
            // A shutdown watched since a restart is done once the guest is off.
            if g.state == GuestState::ShuttingDown
                && !seen.running_here.contains(&g.vmid)
                && !seen.locked.contains(&g.vmid)
            {
                g.state = GuestState::ShutDown;
                continue;
            }
            // A watched move whose lock is gone while the guest is still here failed.
            if g.state == GuestState::Handed
                && seen.here.contains(&g.vmid)
                && !seen.locked.contains(&g.vmid)
                && g.how != How::Ha
            {
                g.state = GuestState::Waiting;
                continue;
            }
            if g.state == GuestState::Handed && !seen.here.contains(&g.vmid) {
                g.state = GuestState::Moved;
                let to = g.target.as_deref().unwrap_or("another node");
                self.done
                    .push(format!("{} {} moved to {to} by HA", g.vmid, g.name));
            }
        }
    }

    /// Move on as far as what is seen allows, and say what to start now. Each operation
    /// returned is marked as running; `finished` records how it ended.
    pub fn next(&mut self, seen: &Seen) -> Vec<Op> {
        let mut ops = Vec::new();
        if self.paused {
            match self.stage {
                Stage::Moves => self.watch_leaving(seen),
                Stage::Back => self.watch_returning(seen),
                _ => {}
            }
            return ops;
        }
        loop {
            let before = self.stage;
            match self.stage {
                Stage::Noout => match self.noout {
                    StepState::Pending => {
                        self.noout = StepState::Running;
                        ops.push(Op::Noout(true));
                    }
                    StepState::Done | StepState::Skipped(_) => self.stage = Stage::Moves,
                    _ => {}
                },
                Stage::Moves => {
                    self.watch_leaving(seen);
                    if self.failed_guest().is_some() {
                        break;
                    }
                    let room = (self.parallel as usize).saturating_sub(self.in_flight());
                    let due: Vec<usize> = self
                        .guests
                        .iter()
                        .enumerate()
                        .filter(|(_, g)| g.state == GuestState::Waiting)
                        .map(|(i, _)| i)
                        .take(room)
                        .collect();
                    for i in due {
                        let g = &mut self.guests[i];
                        let op = g.leave();
                        g.state = match op {
                            Op::ShutDown { .. } => GuestState::ShuttingDown,
                            _ => GuestState::Moving,
                        };
                        ops.push(op);
                    }
                    if self.in_flight() == 0
                        && self.guests.iter().all(|g| g.state != GuestState::Waiting)
                    {
                        self.stage = Stage::HaMaintenance;
                    }
                }
                Stage::HaMaintenance => match &self.ha {
                    StepState::Pending => {
                        self.ha = StepState::Running;
                        ops.push(Op::HaMaintenance {
                            command: self.ha_command.clone(),
                        });
                    }
                    // Enabled once HA says so, whoever ran the command.
                    StepState::Running if seen.ha_state.as_deref() == Some("maintenance") => {
                        self.ha = StepState::Done;
                        self.done
                            .push(format!("HA node maintenance enabled on {}", self.node));
                        self.stage = Stage::Verify;
                    }
                    StepState::Done | StepState::Skipped(_) => self.stage = Stage::Verify,
                    _ => {}
                },
                // Guests the user chose to leave (skipped) may run on: they go down with the node.
                Stage::Verify => {
                    let ha_ok = matches!(self.ha, StepState::Skipped(_))
                        || seen.ha_state.as_deref() == Some("maintenance");
                    let left: Vec<u32> = self
                        .guests
                        .iter()
                        .filter(|g| g.state == GuestState::Skipped)
                        .map(|g| g.vmid)
                        .collect();
                    let running = seen.running_here.iter().any(|v| !left.contains(v));
                    if !running && ha_ok {
                        self.stage = Stage::Upgrade;
                    }
                }
                Stage::Upgrade => match self.upgrade {
                    StepState::Pending => {
                        self.upgrade = StepState::Running;
                        ops.push(Op::Upgrade);
                    }
                    StepState::Done | StepState::Skipped(_) => self.stage = Stage::Ready,
                    _ => {}
                },
                Stage::Ready => {
                    if let Some(p) = self.power {
                        self.stage = Stage::Power;
                        self.power_state = StepState::Running;
                        ops.push(Op::Power(p));
                    }
                }
                // Asked for: a reboot is done when the node is back, a shutdown when it is off.
                Stage::Power => {
                    if self.power_state == StepState::Done {
                        self.went_down |= !seen.node_online;
                        let back = match self.power {
                            Some(Power::Reboot) => self.went_down && seen.node_online,
                            _ => self.went_down,
                        };
                        if back {
                            self.stage = Stage::Done;
                        }
                    }
                }
                Stage::Done | Stage::Finished => {}
                _ => self.next_exit(seen, &mut ops),
            }
            if self.stage == before {
                break;
            }
        }
        ops
    }
}

/// The exit's steps: each done, waiting, or skipped with its reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exit {
    pub wake: Option<StepState>,
    pub ha_off: Option<StepState>,
    pub noout_off: Option<StepState>,
    /// The HA command that disables maintenance, rendered; `None`: the user runs it.
    pub ha_command: Option<String>,
}
