//! What reaches the app loop from outside: terminal input, polled snapshots, the clock.

use std::time::SystemTime;

use crossterm::event::KeyEvent;

use crate::action::Action;
use crate::actions::Job;
use crate::actions::catalog::Catalog;
use crate::actions::walkthrough::Outcome;
use crate::audit::AuditRow;
use crate::maint::Plan;
use crate::maint::walk::Walk;
use crate::model::ClusterSnapshot;

use super::log_view::LogEvent;

#[derive(Debug)]
pub enum Event {
    /// A cluster's fresh picture, replacing the previous one whole.
    Snapshot(Box<ClusterSnapshot>),
    /// A cluster's connection asks the user something (a login's second factor, whether to
    /// trust a certificate); answered with `Effect::Answer` and this id.
    Ask {
        id: u64,
        title: String,
        lines: Vec<String>,
        secret: bool,
    },
    /// The audit log's writes, oldest first, or why it could not be read.
    Audit(Result<Vec<AuditRow>, String>),
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),
    /// The terminal's new size (columns, rows).
    Resize(u16, u16),
    /// Time passes: ages on screen grow.
    Tick(SystemTime),
    /// An action named directly, as a test or a script would.
    Action(Action),
    /// A confirmed action moved on (queued, sent, progress, ended).
    Job(Box<Job>),
    /// Proxmox's answer on where a guest may migrate.
    MigrationCheck {
        /// The cluster asked (index): the same VMID may be another guest elsewhere.
        cluster: usize,
        vmid: u32,
        result: Result<super::dialog::MigrateCheck, String>,
    },
    /// Where on another cluster's node a guest would go (VMID, storages, bridges), or why not.
    RemotePlaced {
        cluster: usize,
        vmid: u32,
        /// The target cluster's index and node.
        to: usize,
        node: String,
        result: Result<super::dialog::Placed, String>,
    },
    /// A node's maintenance plan, or why it could not be made.
    MaintenancePlan {
        cluster: usize,
        node: String,
        plan: Result<Box<Plan>, String>,
        /// A walkthrough kept on this machine for the cluster, in words.
        in_progress: Option<String>,
    },
    /// A walkthrough of this cluster (index) changed, and what it said, if anything.
    Walked {
        cluster: usize,
        walk: Box<Walk>,
        said: Option<String>,
    },
    /// A walkthrough's driver stopped: how (paused, ready, done, stopped at a failure), or why
    /// it could not take the walkthrough up (another rack holds it).
    WalkEnded {
        cluster: usize,
        walk: Option<Box<Walk>>,
        outcome: Result<Outcome, String>,
    },
    /// A walkthrough was ended as asked: what was done and what was not, or why it was not
    /// ended (another rack drives it).
    WalkAborted {
        cluster: usize,
        lines: Result<Vec<String>, String>,
    },
    /// A terminal session's connection: opened, output, closed.
    Terminal {
        id: u64,
        what: super::terminal::TermEvent,
    },
    /// The reader of log view `id`: lines, a failed read, the end.
    Log {
        id: u64,
        what: LogEvent,
    },
    /// What the create and clone forms of this cluster (index) choose from.
    Catalog {
        cluster: usize,
        catalog: Box<Catalog>,
    },
}

impl From<Box<ClusterSnapshot>> for Event {
    fn from(snapshot: Box<ClusterSnapshot>) -> Self {
        Event::Snapshot(snapshot)
    }
}

impl From<Job> for Event {
    fn from(job: Job) -> Self {
        Event::Job(Box::new(job))
    }
}
