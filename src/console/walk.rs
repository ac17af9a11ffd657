//! A cluster's maintenance walkthrough as the console holds it: the latest state its driver
//! reported, whether it runs, what it said; the orders keys give it; the view that shows it.

use std::time::SystemTime;

use crossterm::event::KeyCode;

use crate::maint::walk::{GuestState, Power, Stage, Walk};

/// Lines of what the walkthrough said, kept for its view.
const LOG_KEPT: usize = 500;

/// Whether the walkthrough is being carried out, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkRun {
    Running,
    /// Asked to pause: nothing new starts; it pauses when what is under way has ended.
    Pausing,
    Paused,
    /// Kept on disk by an earlier rack (or the command line), not carried on by this one yet.
    Kept,
    /// Stopped at a failure, in words: retry, skip or abort.
    Stopped(String),
    /// Ready for maintenance: the node may be rebooted or shut down, or the exit begun.
    Ready,
    /// In maintenance with the power step done, or back (finished).
    Done,
    /// Being ended, as the user asked.
    Aborting,
    /// Ended by the user; what was done and what was not.
    Aborted(Vec<String>),
}

/// A cluster's walkthrough on screen.
#[derive(Debug, Clone)]
pub struct WalkPanel {
    pub walk: Walk,
    pub run: WalkRun,
    /// What it said, oldest first, with when.
    pub log: Vec<(SystemTime, String)>,
    /// Abort once the pause asked for has come.
    pub abort_after_pause: bool,
    /// Started here and not yet taken up by its driver: when the driver refuses it (another
    /// rack keeps one), nothing of it remains.
    pub fresh: bool,
}

impl WalkPanel {
    pub fn new(walk: Walk, run: WalkRun) -> Self {
        Self {
            walk,
            run,
            log: Vec::new(),
            abort_after_pause: false,
            fresh: false,
        }
    }

    pub fn say(&mut self, at: SystemTime, text: String) {
        if self.log.len() >= LOG_KEPT {
            self.log.remove(0);
        }
        self.log.push((at, text));
    }

    /// A driver carries it on now (or is about to stop).
    pub fn driven(&self) -> bool {
        matches!(
            self.run,
            WalkRun::Running | WalkRun::Pausing | WalkRun::Aborting
        )
    }

    /// Over: the way back finished, or aborted. Closing its view forgets it.
    pub fn over(&self) -> bool {
        matches!(self.run, WalkRun::Aborted(_))
            || (self.run == WalkRun::Done && self.walk.stage == Stage::Finished)
    }
}

impl WalkPanel {
    /// Why the way back cannot begin now.
    pub fn exit_refused(&self) -> Option<String> {
        let walk = &self.walk;
        if self.over() {
            return Some("the walkthrough is over".into());
        }
        if walk.stage >= Stage::Wake {
            return Some(format!("{} is on its way back already", walk.node));
        }
        if self.driven() {
            return Some("pause it first (p): the way back begins from a still walkthrough".into());
        }
        let moving = walk.guests.iter().any(|g| {
            matches!(
                g.state,
                GuestState::Moving | GuestState::Handed | GuestState::ShuttingDown
            )
        });
        moving.then(|| format!("guests of {} are still moving", walk.node))
    }
}

/// What a key asks of the walkthrough's driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkOrder {
    /// Begin this new walkthrough.
    Start(Box<Walk>),
    /// Carry the kept one on: after a pause, a restart, or a failure (tried again, or the
    /// failed guest skipped).
    Continue { retry: bool, skip: bool },
    /// Reboot or shut the node down, now that it is ready.
    Power(Power),
    /// Turn around: the way back, with these guests brought back (`None`: all that left) and
    /// the HA command that disables maintenance.
    Exit {
        back: Option<Vec<u32>>,
        command: Option<String>,
    },
    /// Start nothing new; stop once what is under way has ended.
    Pause,
    /// End it where it stands (not while a driver carries it on).
    Abort,
}

/// The walkthrough's view over the panes.
#[derive(Debug, Clone)]
pub struct WalkView {
    pub cluster: usize,
    /// The first line shown.
    pub scroll: usize,
    /// A question open over the view.
    pub asking: Option<Asking>,
}

/// What the view asks before a step that changes much.
#[derive(Debug, Clone, PartialEq)]
pub enum Asking {
    Abort,
    Power(Power),
    /// Which guests go back.
    Back(Checklist),
}

/// Before a walkthrough starts, over its plan: the guests that cannot move, each shut down for
/// the duration when chosen (any left unchosen keeps it from starting).
#[derive(Debug, Clone, PartialEq)]
pub struct StartChoice {
    pub blocked: Checklist,
}

/// Guests ticked one by one: each (VMID, name, chosen), and the selected row.
#[derive(Debug, Clone, PartialEq)]
pub struct Checklist {
    pub rows: Vec<(u32, String, bool)>,
    pub selected: usize,
}

impl Checklist {
    pub fn new(rows: Vec<(u32, String, bool)>) -> Self {
        Self { rows, selected: 0 }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// ↑↓ (k j) move, space ticks the selected row; false for any other key.
    pub fn key(&mut self, code: KeyCode) -> bool {
        match code {
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1).min(self.rows.len().saturating_sub(1))
            }
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Char(' ') => {
                if let Some(row) = self.rows.get_mut(self.selected) {
                    row.2 = !row.2;
                }
            }
            _ => return false,
        }
        true
    }

    pub fn is_chosen(&self, vmid: u32) -> bool {
        self.rows.iter().any(|(v, _, on)| *v == vmid && *on)
    }

    pub fn all_chosen(&self) -> bool {
        self.rows.iter().all(|r| r.2)
    }

    pub fn chosen(&self) -> Vec<u32> {
        self.rows.iter().filter(|r| r.2).map(|r| r.0).collect()
    }
}
