//! Carries out a maintenance walkthrough (`maint::walk`): reads what the cluster shows, turns
//! the operations that are due into requests on the action queue (journalled like every action)
//! or the HA maintenance command, feeds back how each ended, and keeps the walkthrough on disk
//! after every change so a restart continues where it stopped — and so a second rack sees it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, watch};

use super::job::{Job, JobState};
use super::journal::{self, JobId};
use super::node_shell;
use super::queue::Queue;
use super::request::{GuestRef, Request};
use crate::files;
use crate::maint::walk::{
    GuestRun, GuestState, Op, Power, Seen, Stage, StepState, Walk, manual_command,
};
use crate::model::{GuestKind, ceph};
use crate::pve::endpoints::cluster;
use crate::pve::types::{ClusterResource, ClusterStatusItem, HaManagerStatus, ResourceKind};
use crate::pve::{Client, Error, Secret};

/// How long the HA maintenance command may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// Where a cluster's walkthrough is kept: `maintenance-CLUSTER.json` beside the journal.
#[derive(Debug, Clone)]
pub struct WalkStore {
    path: Option<PathBuf>,
}

impl WalkStore {
    /// Beside the journal in the data directory; `keep` false keeps nothing (the demo).
    pub fn for_cluster(cluster: &str, keep: bool) -> Self {
        match keep.then(journal::default_path).flatten() {
            Some(journal) => Self::beside(&journal, cluster),
            None => Self { path: None },
        }
    }

    /// Beside the journal at `journal` (a journal that keeps nothing: nothing kept either).
    pub fn beside(journal: &std::path::Path, cluster: &str) -> Self {
        let path = journal
            .parent()
            .filter(|_| !journal.as_os_str().is_empty())
            .map(|dir| dir.join(format!("maintenance-{}.json", file_safe(cluster))));
        Self { path }
    }

    /// Kept in this file.
    pub fn at(path: PathBuf) -> Self {
        Self { path: Some(path) }
    }

    pub fn path(&self) -> Option<&PathBuf> {
        self.path.as_ref()
    }

    /// The walkthrough kept, if any; a file that cannot be read is an error that names it.
    pub fn load(&self) -> Result<Option<Walk>, String> {
        let Some(path) = &self.path else {
            return Ok(None);
        };
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Write it whole (a temporary file renamed over the old one, so a crash leaves either).
    pub fn save(&self, walk: &Walk) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let text = serde_json::to_string_pretty(walk).map_err(|e| e.to_string())?;
        files::write_private(path, &text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Hold the walkthrough for this process: a second process that drives it at the same time
    /// is refused while this one lives (the lock goes with the process). `None`: nothing kept.
    pub fn lock(&self) -> Result<Option<std::fs::File>, String> {
        let Some(path) = &self.path else {
            return Ok(None);
        };
        if let Some(dir) = path.parent() {
            files::private_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let lock = path.with_extension("lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)
            .map_err(|e| format!("{}: {e}", lock.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(format!(
                "another rack is carrying out this walkthrough now ({} is locked)",
                lock.display()
            )),
            Err(std::fs::TryLockError::Error(e)) => Err(format!("{}: {e}", lock.display())),
        }
    }

    pub fn clear(&self) -> Result<(), String> {
        match &self.path {
            Some(path) => match std::fs::remove_file(path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(format!("{}: {e}", path.display())),
            },
            None => Ok(()),
        }
    }
}

/// A cluster's name as part of a file name.
fn file_safe(cluster: &str) -> String {
    cluster
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The HA command for `node`: the template with its placeholders filled in.
pub fn render(template: &str, node: &str, action: &str, cluster: &str) -> String {
    template
        .replace("{node}", node)
        .replace("{action}", action)
        .replace("{cluster}", cluster)
}

/// Run a command line with `sh -c`; its output when it exits 0, else what it printed on stderr.
pub async fn run_command(command: &str, env: &[(String, Secret)]) -> Result<String, String> {
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .envs(env.iter().map(|(k, v)| (k, v.expose())))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(COMMAND_TIMEOUT, child).await {
        Err(_) => Err(format!(
            "`{command}` did not end within {} s",
            COMMAND_TIMEOUT.as_secs()
        )),
        Ok(Err(e)) => Err(format!("`{command}` could not run: {e}")),
        Ok(Ok(out)) if out.status.success() => {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        Ok(Ok(out)) => {
            let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
            Err(format!("`{command}` failed ({}): {err}", out.status))
        }
    }
}

/// The requests the way in sends from here (noout, each guest still waiting to leave), so what
/// the credentials may not do is said before anything starts.
pub fn requests_ahead(walk: &Walk) -> Vec<Request> {
    let noout = (walk.noout == StepState::Pending).then_some(Op::Noout(true));
    let leaving = walk
        .guests
        .iter()
        .filter(|g| g.state == GuestState::Waiting)
        .map(GuestRun::leave);
    noout
        .into_iter()
        .chain(leaving)
        .filter_map(|op| request(walk, &op))
        .collect()
}

/// What ending a walkthrough does, and what it says: the requests that leave the cluster as it
/// was (Ceph's `noout` off again when the walkthrough set it and the exit did not unset it),
/// and what was done and what was not, in words.
pub fn abort(walk: &Walk) -> (Vec<Request>, Vec<String>) {
    let mut requests = Vec::new();
    if walk.noout == StepState::Done && walk.exit.noout_off != Some(StepState::Done) {
        requests.push(Request::CephFlag {
            flag: "noout".into(),
            set: false,
        });
    }
    let mut lines: Vec<String> = walk.done.iter().map(|d| format!("done: {d}")).collect();
    lines.extend(walk.undone().into_iter().map(|u| format!("not done: {u}")));
    if walk.ha == StepState::Done && walk.exit.ha_off != Some(StepState::Done) {
        lines.push(format!(
            "HA node maintenance stays enabled: `{}` ends it",
            manual_command(&walk.node, "disable")
        ));
    }
    (requests, lines)
}

/// What the walkthrough needs to see of the cluster.
pub async fn observe(client: &Client, node: &str) -> Result<Seen, Error> {
    let resources: Vec<ClusterResource> = client.get(cluster::RESOURCES_VMS).await?;
    let mut seen = Seen::default();
    for r in resources
        .iter()
        .filter(|r| matches!(r.kind, ResourceKind::Qemu | ResourceKind::Lxc))
    {
        let Some(vmid) = r.vmid else { continue };
        if let Some(at) = &r.node {
            seen.located.insert(vmid, at.to_string());
        }
        if r.lock.is_some() {
            seen.locked.push(vmid);
        }
        if r.status.as_deref() == Some("running") {
            seen.running.push(vmid);
        }
        if r.node.as_deref() != Some(node) {
            continue;
        }
        seen.here.push(vmid);
        if r.status.as_deref() == Some("running") {
            seen.running_here.push(vmid);
        }
    }
    let status: Vec<ClusterStatusItem> = client.get(cluster::STATUS).await?;
    seen.node_online = status
        .iter()
        .any(|s| s.kind == "node" && s.name == node && s.online == Some(true));
    // A standalone node has no cluster entry, and no quorum to lose.
    seen.quorate = status
        .iter()
        .find(|s| s.kind == "cluster")
        .is_none_or(|c| c.quorate != Some(false));
    // Without Ceph (or when it cannot be read) there is nothing of it to wait for.
    if let Ok(doc) = client.get::<Value>(cluster::CEPH_STATUS).await
        && let Ok(ceph) = ceph::parse(&doc)
    {
        seen.osds_all_up = Some(ceph.osds.up >= ceph.osds.total);
        seen.osds = format!("{} of {} OSDs up", ceph.osds.up, ceph.osds.total);
        seen.pgs_clean = Some(
            ceph.pgs_by_state
                .iter()
                .all(|(state, _)| state.starts_with("active+clean")),
        );
        seen.pgs = ceph
            .pgs_by_state
            .iter()
            .map(|(state, n)| format!("{n} {state}"))
            .collect::<Vec<_>>()
            .join(", ");
    }
    // A cluster without HA answers with no manager status: HA has no word for the node.
    if let Ok(ha) = client
        .get::<HaManagerStatus>(cluster::HA_MANAGER_STATUS)
        .await
    {
        seen.ha_state = ha.node_status.get(node).cloned();
    }
    Ok(seen)
}

/// How a drive ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Ready for maintenance, and no power step asked for.
    Ready,
    Done,
    /// Stopped at a failure, said in words; the walkthrough is kept for retry, skip or abort.
    Stopped(String),
    /// Paused as asked, once what was under way had ended; nothing new was started.
    Paused,
}

/// What a drive is given to work with.
pub struct Drive<'a> {
    pub client: &'a Client,
    pub queue: &'a Queue,
    pub jobs: &'a mut mpsc::Receiver<Job>,
    pub store: &'a WalkStore,
    /// How often the cluster is read while waiting.
    pub poll: Duration,
    /// Environment for the HA command.
    pub env: &'a [(String, Secret)],
    /// A client whose terminals are root shells (root@pam with a password): the upgrade runs
    /// through it, and the HA commands when no template is configured. None: the user does both.
    pub shell: Option<&'a Client>,
    /// True asks the drive to pause: nothing new starts, and it returns once what is under
    /// way has ended. `None`: it is never paused (a terminal's ctrl-c ends the process).
    pub pause: Option<watch::Receiver<bool>>,
}

fn guest_ref(walk: &Walk, vmid: u32, kind: GuestKind) -> GuestRef {
    GuestRef {
        node: walk.node.clone(),
        kind,
        vmid,
        name: walk
            .guests
            .iter()
            .find(|g| g.vmid == vmid)
            .map(|g| g.name.clone())
            .unwrap_or_default(),
    }
}

/// The request that carries out an operation; `None` for the HA command, run here.
fn request(walk: &Walk, op: &Op) -> Option<Request> {
    Some(match op {
        Op::Noout(set) => Request::CephFlag {
            flag: "noout".into(),
            set: *set,
        },
        Op::Move {
            vmid,
            kind,
            target,
            online,
            ha,
        } => Request::Migrate {
            guest: guest_ref(walk, *vmid, *kind),
            target: target.clone(),
            online: *online,
            // A VM's local disks go along (on shared storage the flag changes nothing); a
            // container's move with it anyway.
            with_local_disks: *kind == GuestKind::Qemu,
            ha: *ha,
        },
        Op::ShutDown { vmid, kind } => Request::Shutdown {
            guest: guest_ref(walk, *vmid, *kind),
            timeout: Some(180),
            force: true,
        },
        Op::Power(p) => Request::NodePower {
            node: walk.node.clone(),
            reboot: *p == Power::Reboot,
        },
        Op::Wake => Request::Wake {
            node: walk.node.clone(),
            mac: None,
        },
        Op::MoveBack {
            vmid,
            kind,
            from,
            online,
            ha,
        } => Request::Migrate {
            guest: GuestRef {
                node: from.clone(),
                ..guest_ref(walk, *vmid, *kind)
            },
            target: walk.node.clone(),
            online: *online,
            with_local_disks: *kind == GuestKind::Qemu,
            ha: *ha,
        },
        Op::Start { vmid, kind } => Request::Start {
            guest: guest_ref(walk, *vmid, *kind),
        },
        Op::HaMaintenance { .. } | Op::HaMaintenanceOff { .. } | Op::Upgrade => return None,
    })
}

/// Until a pause is asked for (or taken back): true; false when nobody can ask any more. Without
/// a switch, never.
async fn changed(pause: &mut Option<watch::Receiver<bool>>) -> bool {
    match pause {
        Some(p) => p.changed().await.is_ok(),
        None => std::future::pending().await,
    }
}

impl Drive<'_> {
    /// The poll interval, cut short by a pause asked for.
    async fn wait_or_pause(&mut self) {
        let wait = tokio::time::sleep(self.poll);
        tokio::select! {
            still = changed(&mut self.pause) => {
                if !still {
                    self.pause = None;
                }
            }
            _ = wait => {}
        }
    }

    /// The upgrade step: `pveupgrade` in the node's shell, or skipped with why when rack has
    /// no root shell to run it in.
    async fn upgrade(
        &mut self,
        walk: &mut Walk,
        say: &mut (dyn FnMut(&Walk, Option<&str>) + Send),
    ) {
        let Some(shell) = self.shell else {
            walk.skip_upgrade("rack has no root@pam login for terminals ([clusters.shell])");
            say(
                walk,
                Some("the upgrade is left to you: rack has no root@pam login for terminals"),
            );
            return;
        };
        // Kept as running before it starts: it may take a while, and a restart must know.
        if let Err(e) = self.store.save(walk) {
            say(
                walk,
                Some(&format!("the walkthrough could not be kept: {e}")),
            );
        }
        let text = format!(
            "running in {}'s shell: pveupgrade (apt-get dist-upgrade)",
            walk.node
        );
        say(walk, Some(&text));
        let result = node_shell::upgrade(shell, &walk.node).await;
        let text = match &result {
            Ok(said) => format!("upgraded {}: {said}", walk.node),
            Err(e) => format!("the upgrade failed: {e}"),
        };
        say(walk, Some(&text));
        walk.finished(&Op::Upgrade, result);
    }

    /// Carry the walkthrough on until it is ready (or done, when a power step is chosen),
    /// stops at a failure, or pauses as asked. `say` hears each thing that happens, in words,
    /// and (with `None`) each time the walkthrough has changed and been kept.
    pub async fn run(
        &mut self,
        walk: &mut Walk,
        say: &mut (dyn FnMut(&Walk, Option<&str>) + Send),
    ) -> Outcome {
        let mut inflight: BTreeMap<JobId, Op> = BTreeMap::new();
        let mut shown_wait = String::new();
        loop {
            // Only a pause asked of this drive holds it: one kept from an earlier (a console's)
            // is over once a drive without a switch takes the walkthrough up.
            walk.paused = self.pause.as_ref().is_some_and(|p| *p.borrow());
            let seen = match observe(self.client, &walk.node).await {
                Ok(seen) => seen,
                Err(_) if walk.paused && inflight.is_empty() => return Outcome::Paused,
                Err(e) => {
                    let text = format!("could not read the cluster ({e}); trying again");
                    say(walk, Some(&text));
                    self.wait_or_pause().await;
                    continue;
                }
            };
            let ops = walk.next(&seen);
            let waiting = walk.waiting_for(&seen).unwrap_or_default();
            if !waiting.is_empty() && waiting != shown_wait {
                say(walk, Some(&waiting));
                shown_wait = waiting;
            }
            for op in ops {
                match request(walk, &op) {
                    Some(req) => {
                        let what = req.describe();
                        match self.queue.submit(&walk.cluster, req) {
                            Ok(id) => {
                                say(walk, Some(&format!("started: {what}")));
                                inflight.insert(id, op);
                            }
                            Err(e) => walk.finished(&op, Err(e.to_string())),
                        }
                    }
                    None if op == Op::Upgrade => self.upgrade(walk, say).await,
                    None => {
                        let (command, action, until) = match &op {
                            Op::HaMaintenanceOff { command } => {
                                (command.clone(), "disable", "out of maintenance")
                            }
                            _ => (walk.ha_command.clone(), "enable", "in maintenance"),
                        };
                        let result = match (command, self.shell) {
                            (Some(command), _) => {
                                say(walk, Some(&format!("running: {command}")));
                                run_command(&command, self.env).await
                            }
                            (None, Some(shell)) => {
                                let command = manual_command(&walk.node, action);
                                let text = format!("running in {}'s shell: {command}", walk.node);
                                say(walk, Some(&text));
                                let said = node_shell::run(shell, &walk.node, &command).await;
                                if let Ok(out) = &said
                                    && !out.is_empty()
                                {
                                    say(walk, Some(out));
                                }
                                said
                            }
                            (None, None) => {
                                let text = format!(
                                    "run on a node of the cluster: {} — waiting until HA shows {} {until}",
                                    manual_command(&walk.node, action),
                                    walk.node
                                );
                                say(walk, Some(&text));
                                Ok(String::new())
                            }
                        };
                        walk.finished(&op, result);
                    }
                }
            }
            if let Err(e) = self.store.save(walk) {
                say(
                    walk,
                    Some(&format!("the walkthrough could not be kept: {e}")),
                );
            }
            say(walk, None);
            if matches!(walk.stage, Stage::Done | Stage::Finished) {
                return Outcome::Done;
            }
            if walk.stage == Stage::Ready && walk.power.is_none() {
                return Outcome::Ready;
            }
            if inflight.is_empty()
                && let Some(why) = walk.stopped_at()
            {
                return Outcome::Stopped(why);
            }
            if inflight.is_empty() && walk.paused {
                return Outcome::Paused;
            }
            // Wait for a job to end, a pause, or look at the cluster again.
            let wait = tokio::time::sleep(self.poll);
            let paused = changed(&mut self.pause);
            tokio::select! {
                still = paused => {
                    if !still {
                        // Nobody can ask for a pause any more.
                        self.pause = None;
                    }
                }
                job = self.jobs.recv() => {
                    let Some(job) = job else { continue };
                    if !job.state.finished() {
                        continue;
                    }
                    let Some(op) = inflight.remove(&job.id) else { continue };
                    let result = match &job.state {
                        JobState::Succeeded(text) => Ok(text.clone()),
                        JobState::Failed(text) | JobState::Unknown(text) => Err(text.clone()),
                        _ => continue,
                    };
                    let text = match &result {
                        Ok(_) => format!("done: {}", job.request.describe()),
                        Err(e) => format!("failed: {}: {e}", job.request.describe()),
                    };
                    say(walk, Some(&text));
                    walk.finished(&op, result);
                }
                _ = wait => {}
            }
        }
    }
}
