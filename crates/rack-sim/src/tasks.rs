//! Proxmox tasks in the simulation: a UPID, a planned duration, a log whose lines appear as
//! simulated time passes, and the work applied to the world when the task ends.

use rack_pve::Upid;

use super::calendar::format_datetime;
use super::logs::Described;
use super::world::World;

/// What a task does to the world when it finishes successfully.
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    Start {
        vmid: u32,
    },
    Stop {
        vmid: u32,
    },
    Shutdown {
        vmid: u32,
    },
    Reboot {
        vmid: u32,
    },
    Suspend {
        vmid: u32,
    },
    Resume {
        vmid: u32,
    },
    Migrate {
        vmid: u32,
        target: String,
        online: bool,
        target_storage: Option<String>,
    },
    Create {
        vmid: u32,
        start: bool,
        /// The backup archive it is restored from (qmrestore / vzrestore), if any.
        restore: Option<String>,
    },
    /// An asynchronous config update: already applied, the task only records it.
    Config {
        vmid: u32,
    },
    Clone {
        source: u32,
        newid: u32,
    },
    Destroy {
        vmid: u32,
        /// Also take the VMID out of backup jobs (and HA, which a destroy needs anyway).
        purge: bool,
    },
    SnapshotCreate {
        vmid: u32,
        name: String,
        description: String,
        vmstate: bool,
    },
    SnapshotRollback {
        vmid: u32,
        name: String,
        start: bool,
    },
    SnapshotDelete {
        vmid: u32,
        name: String,
    },
    Vzdump {
        vmids: Vec<u32>,
        storage: String,
        mode: String,
        compress: String,
        failing: Vec<u32>,
    },
    CephFlags {
        flags: Vec<(String, bool)>,
    },
    /// An HA request: set the resource's requested state; the HA manager acts on it.
    HaRequest {
        sid: String,
        state: String,
    },
    /// An HA migration or relocation request, carried out by the HA manager.
    HaMigrate {
        sid: String,
        target: String,
        relocate: bool,
    },
    StopAll {
        node: String,
    },
    StartAll {
        node: String,
    },
    /// `apt-get update`: the package lists are refreshed (the upgrades a node lists are the
    /// scenario's, known from the start).
    AptUpdate {
        node: String,
    },
    /// A remote migration's source side (`qmigrate`, `vzmigrate`): `remote::drive` ends it.
    RemoteOut {
        vmid: u32,
    },
    /// A remote migration's target side (`qmtunnel`, `vzmtunnel`): the handover ends it.
    RemoteIn {
        vmid: u32,
    },
    /// A terminal (`vncshell` on a node, `vncproxy` on a guest's console): runs while it is
    /// attached and changes nothing itself. Not the guest's work: it does not make it busy.
    Terminal {
        guest: Option<u32>,
    },
}

impl Work {
    /// The guest this work is about, if any, for the config lock and the task list's vmid.
    pub fn vmid(&self) -> Option<u32> {
        match self {
            Work::Start { vmid }
            | Work::Stop { vmid }
            | Work::Shutdown { vmid }
            | Work::Reboot { vmid }
            | Work::Suspend { vmid }
            | Work::Resume { vmid }
            | Work::Migrate { vmid, .. }
            | Work::RemoteOut { vmid }
            | Work::RemoteIn { vmid }
            | Work::Create { vmid, .. }
            | Work::Config { vmid }
            | Work::Destroy { vmid, .. }
            | Work::SnapshotCreate { vmid, .. }
            | Work::SnapshotRollback { vmid, .. }
            | Work::SnapshotDelete { vmid, .. } => Some(*vmid),
            Work::Clone { newid, .. } => Some(*newid),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Task {
    pub upid: Upid,
    pub text: String,
    /// When it started, to the fraction of a second its log's times count from.
    pub start: f64,
    pub end: f64,
    pub done: bool,
    pub exitstatus: Option<String>,
    /// Log lines with the simulated time each one is written.
    pub lines: Vec<(f64, String)>,
    pub work: Work,
    /// An injected failure: the task ends with this error instead of doing its work.
    pub fail: Option<String>,
}

impl Task {
    pub fn running(&self) -> bool {
        !self.done
    }

    /// End it as done at `at`: `OK`, or for a backup that logged a guest's failure `job errors`
    /// (vzdump goes on with the other guests and says so at the end).
    pub fn end_done(&mut self, at: f64) {
        self.done = true;
        self.end = at;
        let errors = matches!(self.work, Work::Vzdump { .. })
            && self.lines.iter().any(|(_, l)| l.starts_with("ERROR:"));
        let (status, last) = if errors {
            ("job errors", "TASK ERROR: job errors")
        } else {
            ("OK", "TASK OK")
        };
        self.exitstatus = Some(status.into());
        self.lines.push((at, last.into()));
    }

    /// End it as failed at `at` with `status` (the exit status; the log's last line says it).
    pub fn end_failed(&mut self, at: f64, status: impl Into<String>) {
        let status = status.into();
        self.done = true;
        self.end = at;
        self.lines.push((at, format!("TASK ERROR: {status}")));
        self.exitstatus = Some(status);
    }

    /// The log as a reader at `now` sees it.
    pub fn visible_lines(&self, now: f64) -> impl Iterator<Item = &str> {
        self.lines
            .iter()
            .filter(move |(t, _)| *t <= now || self.done)
            .map(|(_, l)| l.as_str())
    }
}

/// Log lines spread over a task's run: each line at a fraction (0..=1) of the duration.
#[derive(Debug, Default)]
pub struct LogPlan {
    pub lines: Vec<(f64, String)>,
}

impl LogPlan {
    pub fn at(&mut self, fraction: f64, line: impl Into<String>) -> &mut Self {
        self.lines.push((fraction.clamp(0.0, 1.0), line.into()));
        self
    }
}

impl World {
    /// Start a task on `node`: it gets a UPID and runs for `duration` simulated seconds.
    /// A failure injected for this task type is attached here and surfaces when it ends.
    pub fn spawn(&mut self, node: &str, user: &str, work: Work, d: Described) -> String {
        let Described {
            kind,
            id,
            duration,
            plan,
            ..
        } = d;
        let now = self.now;
        let (pid, pstart) = match self.node_mut(node) {
            Some(n) => {
                n.pid_counter = n.pid_counter.wrapping_add(0x3b7);
                (n.pid_counter, ((now - n.booted_at).max(1.0) * 100.0) as u64)
            }
            None => (1, 1),
        };
        // Two tasks of one node started in the same second still get distinct pids above.
        let upid = Upid {
            node: node.to_string(),
            pid,
            pstart,
            starttime: now.floor() as i64,
            kind: kind.to_string(),
            id,
            user: user.to_string(),
        };
        let text = upid.to_string();
        let fail = self.faults.fail_next.remove(kind);
        let duration = duration.max(0.5);
        let lines = plan
            .lines
            .into_iter()
            .map(|(f, l)| (now + f * duration, l))
            .collect();
        // A task bound to fail stops part way, its log ending where it stopped, as a real
        // migration or backup that breaks does (not after writing that it completed).
        let runs_for = if fail.is_some() {
            duration * 0.6
        } else {
            duration
        };
        self.tasks.push(Task {
            upid,
            text: text.clone(),
            start: now,
            end: now + runs_for,
            done: false,
            exitstatus: None,
            lines,
            work,
            fail,
        });
        text
    }

    pub fn task(&self, upid: &str) -> Option<&Task> {
        self.tasks.iter().rev().find(|t| t.text == upid)
    }

    pub fn task_mut(&mut self, upid: &str) -> Option<&mut Task> {
        self.tasks.iter_mut().rev().find(|t| t.text == upid)
    }

    /// Whether any running task works on this guest.
    pub fn guest_busy(&self, vmid: u32) -> bool {
        self.tasks
            .iter()
            .any(|t| t.running() && t.work.vmid() == Some(vmid))
    }
}

/// A log line with a timestamp in front, the way qemu-server's migration logs are written.
pub fn stamped(t: f64, text: &str) -> String {
    format!("{} {text}", format_datetime(t))
}

/// `1.5 GiB`, `300.0 MiB`: the sizes Proxmox's logs print.
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes.max(0.0);
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
