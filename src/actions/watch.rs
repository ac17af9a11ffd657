//! Following what a request started: a task's status and log until it stops, a woken node
//! until it is online, the HA manager's migration task until it appears. Each change goes to
//! the app as the whole job.

use std::time::{Duration, Instant};

use super::calls::is_migration_of;
use super::job::{Job, JobSink, JobState};
use super::queue::View;
use crate::model::progress;
use crate::model::text::{self, clean};
use crate::pve::endpoints::{cluster, nodes};
use crate::pve::types::{ClusterStatusItem, ClusterTask, TaskLogLine, TaskStatus, exit_ok};
use crate::pve::{Client, Upid};

/// Lines asked for per log request.
const PAGE: usize = 500;

/// Follow a task to its end: the state it ended in, with Proxmox's exit status.
pub async fn task(view: View<'_>, client: &Client, job: &mut Job, upid: &Upid) -> JobState {
    let text = upid.to_string();
    let base = nodes::task(&upid.node, &text);
    // Lines already read, by their number in the log.
    let mut read = 0usize;
    let mut failures = 0u32;
    let mut first = true;
    // Ended is this task's end; an earlier task of the same job (hamigrate) had its own.
    job.ended = None;
    loop {
        let status = client.get::<TaskStatus>(&format!("{base}/status")).await;
        let status = match status {
            Ok(s) => {
                failures = 0;
                s
            }
            Err(e) if e.is_transient() => {
                failures += 1;
                job.note = Some(format!("cannot read the task's status, retrying: {e}"));
                emit(view.events, job).await;
                tokio::time::sleep(backoff(view.poll, failures)).await;
                continue;
            }
            Err(e) => {
                return JobState::Unknown(format!("cannot follow task {text}: {e}"));
            }
        };
        let stopped = !status.running();
        // Found already ended (it ran while rack was away, or was that quick): its real end is
        // the cluster's record of it, not the moment rack looked.
        if stopped && first {
            job.ended = ended_at(client, &text).await;
        }
        first = false;
        // After the task stopped, read the log to its end before reporting.
        loop {
            let got = log_page(client, &base, read).await;
            let count = got.len();
            let fresh: Vec<String> = got
                .into_iter()
                .filter(|l| l.n.is_none_or(|n| n as usize > read))
                .map(|l| clean(&l.t))
                .collect();
            if !(read == 0 && fresh.len() == 1 && fresh[0] == "no content") {
                read += fresh.len();
                job.push_log(fresh);
            }
            if !stopped || count < PAGE {
                break;
            }
        }
        let progress = progress::of_log(job.log.iter().map(String::as_str));
        if progress.is_some() {
            job.progress = progress;
        }
        if job
            .note
            .as_deref()
            .is_some_and(|n| n.starts_with("cannot read"))
        {
            // A passing read error leaves what was said before it: a job taken up again
            // after a restart still says so.
            job.note = job
                .recovered
                .then(|| "followed again after rack restarted".to_string());
        }
        if stopped {
            let exit = status.exitstatus.unwrap_or_else(|| "unknown".into());
            let exit = clean(&exit);
            client.task_ended(&text, &exit);
            return if exit_ok(&exit) {
                if let Some(p) = job.progress.as_mut() {
                    p.fraction = 1.0;
                }
                JobState::Succeeded(exit)
            } else {
                JobState::Failed(exit)
            };
        }
        emit(view.events, job).await;
        tokio::time::sleep(view.poll).await;
    }
}

async fn log_page(client: &Client, base: &str, from: usize) -> Vec<TaskLogLine> {
    client
        .get::<Vec<TaskLogLine>>(&format!("{base}/log?start={from}&limit={PAGE}"))
        .await
        .unwrap_or_default()
}

/// Wait until `node` is online in /cluster/status, or `timeout` has passed since the job
/// started.
pub async fn node_online(
    view: View<'_>,
    client: &Client,
    job: &mut Job,
    node: &str,
    timeout: Duration,
) -> JobState {
    let begun = Instant::now();
    // A job taken over after a restart has been waiting longer than this process.
    let before = job.started.map(|s| (view.now - s).max(0.0)).unwrap_or(0.0);
    let sent_by = job.note.clone().unwrap_or_default();
    loop {
        let waited = Duration::from_secs_f64(before) + begun.elapsed();
        let status = client.get::<Vec<ClusterStatusItem>>(cluster::STATUS).await;
        let online = status.as_ref().ok().is_some_and(|items| {
            items
                .iter()
                .any(|i| i.kind == "node" && i.name == node && i.online == Some(true))
        });
        if online {
            return JobState::Succeeded(format!(
                "{node} is online after {}",
                text::duration(waited.as_secs())
            ));
        }
        if waited >= timeout {
            return JobState::Failed(format!(
                "{node} did not come online within {}: check its power, its BIOS Wake-on-LAN \
                 setting and that the packet reaches its network",
                text::duration(timeout.as_secs())
            ));
        }
        let why = match &status {
            Ok(_) => String::new(),
            Err(e) => format!("; the cluster does not answer: {e}"),
        };
        job.note = Some(format!(
            "{sent_by}; waiting for {node} to come online ({}){why}",
            text::duration(waited.as_secs())
        ));
        emit(view.events, job).await;
        tokio::time::sleep(view.poll.max(Duration::from_secs(1))).await;
    }
}

/// The migration task the HA manager starts for `vmid` after the job was submitted: one not
/// among the guest's migrations listed `before` the request; else one begun `since` (the
/// cluster's clock, when known; else this machine's, a little before the submission).
pub async fn find_migration(
    view: View<'_>,
    client: &Client,
    job: &mut Job,
    vmid: u32,
    before: Option<&[String]>,
    since: Option<f64>,
) -> Option<Upid> {
    let begun = Instant::now();
    let since = since.unwrap_or(job.submitted - 5.0);
    let id = vmid.to_string();
    while begun.elapsed() < view.ha_task_wait {
        if let Ok(tasks) = client.get::<Vec<ClusterTask>>(cluster::TASKS).await {
            let found = tasks.iter().find(|t| {
                is_migration_of(t, &id)
                    && match before {
                        Some(known) => !known.contains(&t.upid),
                        // Started since the request, or still running: without the cluster's
                        // word for when the request began, its clock may differ from ours.
                        None => {
                            t.starttime.is_some_and(|s| s as f64 >= since) || t.endtime.is_none()
                        }
                    }
            });
            if let Some(upid) = found.and_then(|t| t.upid.parse().ok()) {
                return Some(upid);
            }
        }
        job.note = Some("HA manager accepted the request; waiting for its migration task".into());
        emit(view.events, job).await;
        tokio::time::sleep(view.poll).await;
    }
    None
}

/// When the cluster says task `upid` ended (`/cluster/tasks`), if it still lists it.
async fn ended_at(client: &Client, upid: &str) -> Option<f64> {
    let tasks = client.get::<Vec<ClusterTask>>(cluster::TASKS).await.ok()?;
    tasks
        .iter()
        .find(|t| t.upid == upid)
        .and_then(|t| t.endtime)
        .map(|e| e as f64)
}

fn backoff(base: Duration, failures: u32) -> Duration {
    base.saturating_mul(2u32.saturating_pow(failures.min(5)))
        .min(Duration::from_secs(30))
}

async fn emit(events: &JobSink, job: &Job) {
    events.send(job.clone()).await;
}
