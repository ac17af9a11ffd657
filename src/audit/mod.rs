//! The audit trail: every write rack sends to a cluster, from the console or a script, appended
//! to `audit.jsonl` in the data directory before it is sent, and completed with its outcome.
//! Each line carries the SHA-256 of the line before it, so a line edited or taken out breaks
//! the chain where it was (`rack audit --verify`).

mod chain;
mod words;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::pve::audit::{Outcome, Write, WriteAudit};
use crate::pve::remote::RemoteEndpoint;
use crate::pve::types::exit_ok;

pub use chain::{AuditLog, Broken, read, verify};
pub use words::describe;

/// One line of the log: a write as it was sent, or how one ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    /// Unix seconds.
    pub time: f64,
    #[serde(flatten)]
    pub event: Event,
    /// SHA-256 (hex) of the previous line; zeros for the first.
    pub prev: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Event {
    /// About to be sent.
    Sent {
        cluster: String,
        endpoint: String,
        identity: String,
        /// The request in words: `start VM 101 on pve1`.
        request: String,
        method: String,
        path: String,
        /// Parameters as sent, secrets masked.
        params: BTreeMap<String, String>,
    },
    /// How the write with sequence number `of` ended.
    Answered {
        of: u64,
        /// The endpoint that answered; absent when none did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        upid: Option<String>,
        /// `ok`, or `failed: ` and Proxmox's text.
        result: String,
    },
    /// The task a write started ended (as rack followed it): Proxmox's exit status.
    Task { upid: String, exit: String },
}

/// Where the log lives: `$RACK_DATA_DIR/audit.jsonl`, else the platform data dir
/// (`~/.local/share/rack/audit.jsonl` on Linux).
pub fn default_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("RACK_DATA_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("audit.jsonl"));
    }
    directories::ProjectDirs::from("", "", "rack").map(|d| d.data_dir().join("audit.jsonl"))
}

/// The process's log for `path`: one handle per file, so the console's clusters append in turn.
fn shared(path: &Path) -> Arc<AuditLog> {
    static LOGS: Mutex<BTreeMap<PathBuf, Arc<AuditLog>>> = Mutex::new(BTreeMap::new());
    let mut logs = match LOGS.lock() {
        Ok(l) => l,
        Err(poisoned) => poisoned.into_inner(),
    };
    logs.entry(path.to_path_buf())
        .or_insert_with(|| Arc::new(AuditLog::new(path)))
        .clone()
}

/// What a cluster's client tells of its writes: the log, and which cluster it is.
pub struct Auditor {
    log: Arc<AuditLog>,
    cluster: String,
}

impl Auditor {
    pub fn new(path: &Path, cluster: &str) -> Self {
        Self {
            log: shared(path),
            cluster: cluster.to_string(),
        }
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A parameter's value as the log keeps it: secrets as `***`.
fn masked(key: &str, value: &str) -> String {
    let key = key.to_ascii_lowercase();
    // A remote migration's endpoint carries the target's token: kept without its secret.
    if key == "target-endpoint" {
        return match RemoteEndpoint::parse(value) {
            Ok(mut e) => {
                let id = e.token().map(|(id, _)| id.to_string()).unwrap_or_default();
                e.apitoken = format!("PVEAPIToken={id}=***");
                e.to_param()
            }
            Err(_) => "***".into(),
        };
    }
    let secret = ["pass", "secret", "token", "ticket", "otp", "tfa", "key"]
        .iter()
        .any(|s| key.contains(s));
    if secret {
        "***".into()
    } else {
        value.to_string()
    }
}

impl WriteAudit for Auditor {
    fn before(&self, write: &Write<'_>) -> Result<u64, String> {
        let event = Event::Sent {
            cluster: self.cluster.clone(),
            endpoint: write.endpoint.to_string(),
            identity: write.identity.to_string(),
            request: describe(write.method, write.path, write.params),
            method: write.method.to_string(),
            path: write.path.to_string(),
            params: write
                .params
                .iter()
                .map(|(k, v)| (k.to_string(), masked(k, v)))
                .collect(),
        };
        self.log.append(event, now())
    }

    fn after(&self, id: u64, outcome: &Outcome<'_>) {
        let upid = outcome
            .data
            .and_then(Value::as_str)
            .filter(|s| s.starts_with("UPID:"))
            .map(str::to_string);
        let result = match outcome.error {
            Some(e) => format!("failed: {}", e.trim()),
            None => "ok".into(),
        };
        let event = Event::Answered {
            of: id,
            endpoint: outcome.endpoint.map(str::to_string),
            status: outcome.status,
            upid,
            result,
        };
        if let Err(e) = self.log.append(event, now()) {
            tracing::error!("audit log: the outcome of write {id} could not be recorded: {e}");
        }
    }

    fn task_ended(&self, upid: &str, exit: &str) {
        let event = Event::Task {
            upid: upid.to_string(),
            exit: exit.to_string(),
        };
        if let Err(e) = self.log.append(event, now()) {
            tracing::error!("audit log: the end of task {upid} could not be recorded: {e}");
        }
    }
}

/// A write and how it ended, as `rack audit` and the `:audit` view show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRow {
    pub seq: u64,
    pub time: f64,
    pub cluster: String,
    pub endpoint: String,
    pub identity: String,
    pub request: String,
    pub method: String,
    pub path: String,
    pub params: BTreeMap<String, String>,
    /// Absent while no outcome is recorded (rack stopped before the answer came).
    pub result: Option<String>,
    pub status: Option<u16>,
    pub upid: Option<String>,
    /// How the task it started ended (`OK`, the error), when rack followed it to its end.
    pub task: Option<String>,
    /// Seconds ago, as the console last counted (for its screen only).
    #[serde(skip)]
    pub ago: Option<u64>,
}

/// Writes with their outcomes, in the order they were sent.
pub fn rows(entries: &[Entry]) -> Vec<AuditRow> {
    let mut out: Vec<AuditRow> = Vec::new();
    let mut at: BTreeMap<u64, usize> = BTreeMap::new();
    let mut by_upid: BTreeMap<String, usize> = BTreeMap::new();
    for e in entries {
        match &e.event {
            Event::Sent {
                cluster,
                endpoint,
                identity,
                request,
                method,
                path,
                params,
            } => {
                at.insert(e.seq, out.len());
                out.push(AuditRow {
                    seq: e.seq,
                    time: e.time,
                    cluster: cluster.clone(),
                    endpoint: endpoint.clone(),
                    identity: identity.clone(),
                    request: request.clone(),
                    method: method.clone(),
                    path: path.clone(),
                    params: params.clone(),
                    result: None,
                    status: None,
                    upid: None,
                    task: None,
                    ago: None,
                });
            }
            Event::Answered {
                of,
                endpoint,
                status,
                upid,
                result,
            } => {
                if let Some(i) = at.get(of)
                    && let Some(row) = out.get_mut(*i)
                {
                    if let Some(u) = upid {
                        by_upid.insert(u.clone(), *i);
                    }
                    row.result = Some(result.clone());
                    row.status = *status;
                    row.upid.clone_from(upid);
                    if let Some(e) = endpoint {
                        row.endpoint.clone_from(e);
                    }
                }
            }
            Event::Task { upid, exit } => {
                if let Some(row) = by_upid.get(upid).and_then(|i| out.get_mut(*i)) {
                    row.task = Some(exit.clone());
                }
            }
        }
    }
    out
}

impl AuditRow {
    /// `ok`, `failed` or `no answer`: the task's end when rack followed it, else the answer.
    pub fn outcome(&self) -> &'static str {
        match (self.result.as_deref(), self.task.as_deref()) {
            (None, _) => "no answer",
            (Some("ok"), Some(exit)) if !exit_ok(exit) => "failed",
            (Some("ok"), _) => "ok",
            (Some(_), _) => "failed",
        }
    }

    /// The outcome in words: the answer, and how the task ended.
    pub fn said(&self) -> String {
        match (self.result.as_deref(), self.task.as_deref()) {
            (None, _) => "no answer recorded".into(),
            (Some("ok"), Some(exit)) if exit_ok(exit) => "ok".into(),
            (Some("ok"), Some(exit)) => format!("task failed: {exit}"),
            (Some("ok"), None) if self.upid.is_some() => "ok (task not followed)".into(),
            (Some(result), _) => result.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::masked;

    #[test]
    fn a_remote_endpoint_is_kept_without_its_secret() {
        let kept = masked(
            "target-endpoint",
            "host=10.0.0.5,apitoken=PVEAPIToken=root@pam!rack=s3cr3t,port=443",
        );
        assert_eq!(
            kept,
            "host=10.0.0.5,apitoken=PVEAPIToken=root@pam!rack=***,port=443"
        );
        assert_eq!(masked("target-endpoint", "garbage"), "***");
        assert_eq!(masked("token_secret", "x"), "***");
        assert_eq!(masked("target", "pve2"), "pve2");
    }
}
