//! A job: one confirmed request on its way through the queue, as the app and `--wait` see it.

use std::sync::Arc;

use futures::future::BoxFuture;
use tokio::sync::mpsc;

use super::journal::JobId;
use super::request::Request;
use crate::model::progress::Progress;

/// Lines of a task's log kept per job (the tail; the whole log stays on the node).
pub const LOG_LINES: usize = 400;

#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    /// Waiting its turn (another action on the same guest, or the node's or cluster's limit).
    Queued,
    /// The API call is under way.
    Calling,
    /// A task or a wait is being followed.
    Running,
    /// Ended well; Proxmox's exit status or what happened.
    Succeeded(String),
    /// Refused or failed; Proxmox's error text.
    Failed(String),
    /// May or may not have happened; check the cluster.
    Unknown(String),
}

impl JobState {
    pub fn finished(&self) -> bool {
        matches!(
            self,
            JobState::Succeeded(_) | JobState::Failed(_) | JobState::Unknown(_)
        )
    }

    /// One word for a table cell.
    pub fn label(&self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Calling => "sending",
            JobState::Running => "running",
            JobState::Succeeded(_) => "ok",
            JobState::Failed(_) => "failed",
            JobState::Unknown(_) => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub cluster: String,
    pub request: Request,
    pub state: JobState,
    /// Unix seconds.
    pub submitted: f64,
    pub started: Option<f64>,
    pub ended: Option<f64>,
    pub upid: Option<String>,
    /// The tail of the task's log.
    pub log: Vec<String>,
    pub progress: Option<Progress>,
    /// What is happening now, when the state alone does not say ("waiting for pve3 …").
    pub note: Option<String>,
    /// Taken over from an earlier rack process.
    pub recovered: bool,
}

impl Job {
    pub fn new(id: JobId, cluster: String, request: Request, submitted: f64) -> Self {
        Self {
            id,
            cluster,
            request,
            state: JobState::Queued,
            submitted,
            started: None,
            ended: None,
            upid: None,
            log: Vec::new(),
            progress: None,
            note: None,
            recovered: false,
        }
    }

    /// Add log lines, keeping the tail.
    pub fn push_log(&mut self, lines: impl IntoIterator<Item = String>) {
        self.log.extend(lines);
        if self.log.len() > LOG_LINES {
            let extra = self.log.len() - LOG_LINES;
            self.log.drain(..extra);
        }
    }

    /// The text a failure or an unknown outcome carries.
    pub fn error(&self) -> Option<&str> {
        match &self.state {
            JobState::Failed(t) | JobState::Unknown(t) => Some(t),
            _ => None,
        }
    }
}

/// Where the queue and its watchers report each change of a job: the app's channel, whatever its
/// event type, so the queue never names the console's events.
#[derive(Clone)]
pub struct JobSink(Arc<dyn Fn(Job) -> BoxFuture<'static, ()> + Send + Sync>);

impl JobSink {
    /// Report into `events`, converting each job into its event type.
    pub fn channel<E: From<Job> + Send + 'static>(events: mpsc::Sender<E>) -> Self {
        Self(Arc::new(move |job| {
            let events = events.clone();
            Box::pin(async move {
                // A closed channel means the app is gone: nobody is left to tell.
                let _ = events.send(E::from(job)).await;
            })
        }))
    }

    pub async fn send(&self, job: Job) {
        (self.0)(job).await;
    }
}

impl std::fmt::Debug for JobSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobSink")
    }
}
