//! The queue: confirmed requests are journaled, wait their turn, are sent, and followed to the
//! end. At most `per_cluster` requests of a cluster and `per_node` of a node are in flight at
//! once; requests for the same guest run strictly one after another, in the order given. Every
//! change of a job goes to the app through its `JobSink`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, oneshot};

use super::calls::{self, Started};
use super::job::{Job, JobSink, JobState};
use super::journal::{self, JobId, Journal, Record, Recovery, Step};
use super::request::Request;
use super::{watch, wol};
use crate::clock::Clock;
use crate::config::WakeConfig;
use crate::pve::{Client, Error, Upid};

/// A cluster the queue can act on.
#[derive(Clone)]
pub struct Target {
    pub client: Client,
    pub read_only: bool,
    pub wake: WakeConfig,
}

#[derive(Debug, Clone)]
pub struct Limits {
    pub per_cluster: usize,
    pub per_node: usize,
    /// How often a running task's status and log are read.
    pub poll: Duration,
    /// How long to look for the task the HA manager starts for a migration request.
    pub ha_task_wait: Duration,
    /// What a job's start and end are stamped with: the cluster's clock (the demo's is
    /// simulated), so the Tasks pane's ages agree with the cluster's own tasks.
    pub clock: Clock,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_cluster: 4,
            per_node: 2,
            poll: Duration::from_secs(1),
            ha_task_wait: Duration::from_secs(120),
            clock: Clock::Wall,
        }
    }
}

/// The app's handle on the queue; cheap to clone.
#[derive(Clone)]
pub struct Queue {
    inner: Arc<Inner>,
}

struct Inner {
    targets: BTreeMap<String, Target>,
    journal: Journal,
    events: JobSink,
    limits: Limits,
    lanes: Mutex<Lanes>,
    last_id: AtomicU64,
}

#[derive(Default)]
struct Lanes {
    clusters: HashMap<String, Arc<Semaphore>>,
    nodes: HashMap<(String, String), Arc<Semaphore>>,
    /// Per (cluster, vmid): the signal that the guest's last request is done.
    tails: HashMap<(String, u32), oneshot::Receiver<()>>,
}

/// Why a request was not taken.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refused {
    #[error("no cluster named \"{0}\"")]
    NoCluster(String),
    #[error("cluster \"{0}\" is read-only: rack does not change it")]
    ReadOnly(String),
    #[error("{0}")]
    Journal(String),
}

impl Queue {
    /// A queue for `targets` whose jobs are reported into `events` (each converted from `Job`).
    pub fn new<E: From<Job> + Send + 'static>(
        targets: BTreeMap<String, Target>,
        journal: Journal,
        events: mpsc::Sender<E>,
        limits: Limits,
    ) -> Self {
        let events = JobSink::channel(events);
        Self {
            inner: Arc::new(Inner {
                targets,
                journal,
                events,
                limits,
                lanes: Mutex::new(Lanes::default()),
                last_id: AtomicU64::new(0),
            }),
        }
    }

    pub fn journal_path(&self) -> &std::path::Path {
        self.inner.journal.path()
    }

    /// Take a confirmed request: journal it, then run it when its turn comes. Must be called
    /// inside a tokio runtime.
    pub fn submit(&self, cluster: &str, request: Request) -> Result<JobId, Refused> {
        let target = self
            .inner
            .targets
            .get(cluster)
            .ok_or_else(|| Refused::NoCluster(cluster.to_string()))?;
        if target.read_only {
            return Err(Refused::ReadOnly(cluster.to_string()));
        }
        let id = self.next_id();
        // Written before anything is sent: from here on the request cannot be lost.
        self.inner
            .journal
            .append(
                id,
                Step::Submitted {
                    cluster: cluster.to_string(),
                    request: request.clone(),
                    owner: std::process::id(),
                },
            )
            .map_err(|e| Refused::Journal(e.to_string()))?;
        let job = Job::new(id, cluster.to_string(), request, self.inner.now());
        self.spawn(job, Begin::Send);
        Ok(id)
    }

    /// After a restart: take over the unfinished work of rack processes no longer running, and
    /// return the recent finished jobs for the tasks pane's history.
    pub fn recover(&self) -> Result<Vec<Job>, Refused> {
        let (records, _bad) = self
            .inner
            .journal
            .read()
            .map_err(|e| Refused::Journal(e.to_string()))?;
        let me = std::process::id();
        let plan = journal::recover(&records, me);
        // Keep ids of this process above every id in the journal.
        if let Some(max) = records.iter().map(|r| r.id).max() {
            self.inner.last_id.fetch_max(max, Ordering::Relaxed);
        }
        let history: Vec<Job> = records
            .iter()
            .filter(|r| r.finished())
            .rev()
            .take(50)
            .map(finished_job)
            .collect();
        for step in plan {
            match step {
                Recovery::Send(record) => {
                    let mut job = job_of(&record);
                    job.recovered = true;
                    job.note = Some("sent after rack restarted".into());
                    if self.inner.targets.contains_key(&record.cluster) {
                        self.spawn(job, Begin::Send);
                    } else {
                        self.finish_now(
                            job,
                            JobState::Failed(format!(
                                "cluster \"{}\" is no longer in the config; not sent",
                                record.cluster
                            )),
                        );
                    }
                }
                Recovery::Follow(record) => {
                    let mut job = job_of(&record);
                    job.recovered = true;
                    job.note = Some("followed again after rack restarted".into());
                    job.state = JobState::Running;
                    job.started = Some(record.updated);
                    if self.inner.targets.contains_key(&record.cluster) {
                        self.spawn(job, Begin::Follow);
                    } else {
                        self.finish_now(job, JobState::Unknown(format!(
                            "cluster \"{}\" is no longer in the config; its task was not followed",
                            record.cluster
                        )));
                    }
                }
                Recovery::Unknown(record) => {
                    let mut job = job_of(&record);
                    job.recovered = true;
                    let why = "unknown — check: rack stopped after sending this and before \
                               Proxmox named its task; look in the cluster's task list \
                               before doing it again"
                        .to_string();
                    self.finish_now(job, JobState::Unknown(why));
                }
            }
        }
        let _ = self.inner.journal.compact(&records, me);
        Ok(history)
    }

    fn next_id(&self) -> JobId {
        // Time-based so that ids of different rack processes sharing a journal do not collide;
        // strictly increasing within this one.
        let stamp = (journal::now() * 1_000_000.0) as u64;
        let prev = self.inner.last_id.fetch_max(stamp, Ordering::Relaxed);
        if prev >= stamp {
            self.inner.last_id.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            stamp
        }
    }

    fn finish_now(&self, mut job: Job, state: JobState) {
        let step = match &state {
            JobState::Failed(e) => Step::Failed { error: e.clone() },
            JobState::Unknown(e) => Step::Unknown { why: e.clone() },
            _ => Step::Finished {
                ok: true,
                text: String::new(),
            },
        };
        let _ = self.inner.journal.append(job.id, step);
        job.state = state;
        job.ended = Some(job.ended.unwrap_or_else(|| self.inner.now()));
        let events = self.inner.events.clone();
        tokio::spawn(async move {
            events.send(job).await;
        });
    }

    fn spawn(&self, job: Job, begin: Begin) {
        let inner = self.inner.clone();
        let (done_tx, prev) = {
            let mut lanes = match inner.lanes.lock() {
                Ok(l) => l,
                Err(poisoned) => poisoned.into_inner(),
            };
            match job.request.vmid() {
                Some(vmid) => {
                    let (tx, rx) = oneshot::channel();
                    let prev = lanes.tails.insert((job.cluster.clone(), vmid), rx);
                    (Some(tx), prev)
                }
                None => (None, None),
            }
        };
        tokio::spawn(async move {
            inner.events.send(job.clone()).await;
            if let Some(prev) = prev {
                // Ends when the guest's previous request is done (or its task was dropped).
                let _ = prev.await;
            }
            run(&inner, job, begin).await;
            drop(done_tx);
        });
    }
}

#[derive(Debug, Clone, Copy)]
enum Begin {
    Send,
    Follow,
}

fn job_of(record: &Record) -> Job {
    let mut job = Job::new(
        record.id,
        record.cluster.clone(),
        record.request.clone(),
        record.submitted,
    );
    job.upid = record.upid.clone();
    job
}

fn finished_job(record: &Record) -> Job {
    let mut job = job_of(record);
    job.ended = Some(record.updated);
    job.state = match &record.last {
        Step::Finished { ok: true, text } => JobState::Succeeded(text.clone()),
        Step::Finished { ok: false, text } => JobState::Failed(text.clone()),
        Step::Failed { error } => JobState::Failed(error.clone()),
        Step::Unknown { why } => JobState::Unknown(why.clone()),
        _ => JobState::Unknown("unfinished".into()),
    };
    job
}

impl Inner {
    fn now(&self) -> f64 {
        self.limits
            .clock
            .now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }

    async fn emit(&self, job: &Job) {
        self.events.send(job.clone()).await;
    }

    fn record(&self, job: &Job, step: Step) {
        if let Err(e) = self.journal.append(job.id, step) {
            tracing::error!(job = job.id, "cannot write the journal: {e}");
        }
    }

    fn semaphores(&self, cluster: &str, node: &str) -> (Arc<Semaphore>, Arc<Semaphore>) {
        let mut lanes = match self.lanes.lock() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        let c = lanes
            .clusters
            .entry(cluster.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.limits.per_cluster.max(1))))
            .clone();
        let n = lanes
            .nodes
            .entry((cluster.to_string(), node.to_string()))
            .or_insert_with(|| Arc::new(Semaphore::new(self.limits.per_node.max(1))))
            .clone();
        (c, n)
    }

    async fn finish(&self, mut job: Job, state: JobState) {
        let step = match &state {
            JobState::Succeeded(t) => Step::Finished {
                ok: true,
                text: t.clone(),
            },
            JobState::Failed(t) if job.upid.is_some() || job.started.is_some() => Step::Finished {
                ok: false,
                text: t.clone(),
            },
            JobState::Failed(t) => Step::Failed { error: t.clone() },
            JobState::Unknown(t) => Step::Unknown { why: t.clone() },
            _ => return,
        };
        self.record(&job, step);
        job.state = state;
        job.ended = Some(job.ended.unwrap_or_else(|| self.now()));
        self.emit(&job).await;
    }
}

async fn run(inner: &Inner, mut job: Job, begin: Begin) {
    let Some(target) = inner.targets.get(&job.cluster).cloned() else {
        return;
    };
    let (cluster_lane, node_lane) = inner.semaphores(&job.cluster, job.request.node());
    let Ok(_cluster_permit) = cluster_lane.acquire_owned().await else {
        return;
    };
    let Ok(_node_permit) = node_lane.acquire_owned().await else {
        return;
    };
    let started = match begin {
        Begin::Follow => match (&job.upid, &job.request) {
            (Some(text), _) => match text.parse::<Upid>() {
                Ok(upid) => Started::Task(upid),
                Err(e) => {
                    inner.finish(job, JobState::Unknown(e.to_string())).await;
                    return;
                }
            },
            (None, Request::Wake { node, .. }) => Started::Waking {
                node: node.clone(),
                via: "an earlier rack".into(),
            },
            (None, Request::Migrate { guest, target, .. }) => Started::HaMigrating {
                vmid: guest.vmid,
                target: target.clone(),
                before: None,
            },
            (None, _) => {
                inner
                    .finish(job, JobState::Unknown("no task id was recorded".into()))
                    .await;
                return;
            }
        },
        Begin::Send => {
            job.state = JobState::Calling;
            inner.record(&job, Step::Calling);
            inner.emit(&job).await;
            let other = match &job.request {
                Request::RemoteMigrate(m) => inner.targets.get(&m.cluster).map(|t| &t.client),
                _ => None,
            };
            match calls::start_with_target(&target.client, other, &job.request).await {
                Ok(started) => started,
                Err(e) => match wake_from_here(&target, &job.request, &e).await {
                    Some(Ok(started)) => started,
                    Some(Err(why)) => {
                        inner.finish(job, JobState::Failed(why)).await;
                        return;
                    }
                    None => {
                        let state = if e.may_have_happened() {
                            JobState::Unknown(format!(
                                "unknown — check: {}; the request may have reached the cluster",
                                e
                            ))
                        } else {
                            JobState::Failed(e.proxmox_text())
                        };
                        inner.finish(job, state).await;
                        return;
                    }
                },
            }
        }
    };
    job.state = JobState::Running;
    job.started.get_or_insert_with(|| inner.now());
    let (upid, note) = match &started {
        Started::Task(u) => (Some(u.to_string()), None),
        Started::Waking { node, via } => {
            (None, Some(format!("Wake-on-LAN for {node} sent by {via}")))
        }
        Started::HaMigrating { target, .. } => (
            None,
            Some(format!("HA manager asked to migrate to {target}")),
        ),
        Started::Done(text) => (None, Some(text.clone())),
    };
    if let Some(u) = &upid {
        job.upid = Some(u.clone());
    }
    if let Begin::Send = begin {
        inner.record(
            &job,
            Step::Started {
                upid: upid.clone(),
                note: note.clone(),
            },
        );
    }
    if note.is_some() {
        job.note = note;
    }
    inner.emit(&job).await;
    let end = match started {
        Started::Done(text) => JobState::Succeeded(text),
        Started::Task(upid) => {
            let end = watch::task(inner_view(inner), &target.client, &mut job, &upid).await;
            // A migration request for an HA resource becomes an HA request; the HA manager then
            // starts the migration itself, which is what the user is waiting for.
            let via_ha = matches!(upid.kind.as_str(), "hamigrate" | "harelocate");
            match (end, job.request.vmid()) {
                (JobState::Succeeded(_), Some(vmid)) if via_ha => {
                    // The HA request's own task says when it began by the cluster's clock.
                    let since = Some(upid.starttime as f64);
                    follow_ha(inner, &target, &mut job, vmid, None, since).await
                }
                (end, _) => end,
            }
        }
        Started::Waking { node, .. } => {
            watch::node_online(
                inner_view(inner),
                &target.client,
                &mut job,
                &node,
                target.wake.timeout,
            )
            .await
        }
        Started::HaMigrating { vmid, before, .. } => {
            follow_ha(inner, &target, &mut job, vmid, before, None).await
        }
    };
    inner.finish(job, end).await;
}

/// Find the migration task the HA manager started for the guest and follow it: one not among
/// those listed `before` the request, else one begun `since` (by the cluster's clock, when the
/// request's answer said).
async fn follow_ha(
    inner: &Inner,
    target: &Target,
    job: &mut Job,
    vmid: u32,
    before: Option<Vec<String>>,
    since: Option<f64>,
) -> JobState {
    let (view, client) = (inner_view(inner), &target.client);
    match watch::find_migration(view, client, job, vmid, before.as_deref(), since).await {
        Some(upid) => {
            job.upid = Some(upid.to_string());
            job.log.clear();
            job.progress = None;
            inner.record(
                job,
                Step::Started {
                    upid: Some(upid.to_string()),
                    note: None,
                },
            );
            watch::task(inner_view(inner), &target.client, job, &upid).await
        }
        None => JobState::Unknown(
            "the HA manager took the request but no migration task appeared; check `ha-manager status`"
                .into(),
        ),
    }
}

/// What the watchers need of the queue: where events go and how often to look.
pub struct View<'a> {
    pub events: &'a JobSink,
    pub poll: Duration,
    pub ha_task_wait: Duration,
    /// Now, in epoch seconds, by the queue's clock.
    pub now: f64,
}

fn inner_view(inner: &Inner) -> View<'_> {
    View {
        events: &inner.events,
        poll: inner.limits.poll,
        ha_task_wait: inner.limits.ha_task_wait,
        now: inner.now(),
    }
}

/// When no node of the cluster answers a wake request, send the magic packet from here.
/// None when this does not apply (another request, or the cluster did answer).
async fn wake_from_here(
    target: &Target,
    request: &Request,
    error: &Error,
) -> Option<Result<Started, String>> {
    let Request::Wake { node, mac } = request else {
        return None;
    };
    if !matches!(error, Error::Unreachable { .. }) {
        return None;
    }
    let mac_text = mac.clone().or_else(|| target.wake.macs.get(node).cloned());
    let Some(mac) = mac_text.as_deref().and_then(wol::parse_mac) else {
        return Some(Err(format!(
            "no node of the cluster answers ({error}), and no MAC address is known for {node}: \
             add it under [clusters.macs] in the config to wake it from this machine"
        )));
    };
    let to = target.wake.broadcast;
    Some(match wol::send(&mac, to).await {
        Ok(()) => Ok(Started::Waking {
            node: node.clone(),
            via: format!(
                "this machine (no node answered; UDP to {to}, MAC {})",
                wol::format_mac(&mac)
            ),
        }),
        Err(e) => Err(format!("cannot send the Wake-on-LAN packet to {to}: {e}")),
    })
}
