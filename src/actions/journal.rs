//! The journal: one JSON line per step of every confirmed action, appended (and synced) before
//! the step's effect can happen, so a restart knows exactly what was asked, what was sent, and
//! which task to look at. Lines of several rack processes may interleave; each carries its job.
//!
//! Reading folds the lines into the last known state of each job. What a restart does with it is
//! `Recovery`: jobs never sent are sent now; jobs with a task are followed again (and those that
//! ended meanwhile reported); jobs whose call may have reached the cluster without a task id
//! being recorded are "unknown — check", never sent again.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::request::Request;
use crate::files;

pub type JobId = u64;

/// One step of one job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub id: JobId,
    /// Unix seconds.
    pub at: f64,
    #[serde(flatten)]
    pub step: Step,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    /// Confirmed by the user, by the rack process `owner`.
    Submitted {
        cluster: String,
        request: Request,
        owner: u32,
    },
    /// The API call is about to be made: from here on it may have happened.
    Calling,
    /// The call answered with a task (or a wait for a node) to follow.
    Started {
        #[serde(default)]
        upid: Option<String>,
        #[serde(default)]
        note: Option<String>,
    },
    /// Ended: `ok` with Proxmox's exit status or what happened, else the error text.
    Finished { ok: bool, text: String },
    /// Never made it to the cluster, or the cluster refused it: the error text.
    Failed { error: String },
    /// A restart found the call may have been made but no task id was recorded.
    Unknown { why: String },
}

/// The folded state of one job as the journal knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: JobId,
    pub cluster: String,
    pub request: Request,
    pub owner: u32,
    pub submitted: f64,
    pub last: Step,
    pub upid: Option<String>,
    pub updated: f64,
}

impl Record {
    pub fn finished(&self) -> bool {
        matches!(
            self.last,
            Step::Finished { .. } | Step::Failed { .. } | Step::Unknown { .. }
        )
    }
}

/// How many finished jobs a compaction keeps, for the tasks pane's history.
const KEEP_FINISHED: usize = 200;

/// An append-only journal file.
pub struct Journal {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

#[derive(Debug, thiserror::Error)]
#[error("journal {path}: {message}")]
pub struct JournalError {
    pub path: String,
    pub message: String,
}

impl Journal {
    /// Open (creating the directory and file) at `path`.
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        let err = |e: std::io::Error| JournalError {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let mut file = files::append_private(path).map_err(err)?;
        // A crash may have left half a line: start ours on a fresh one.
        let torn = std::fs::read(path)
            .map(|bytes| bytes.last().is_some_and(|b| *b != b'\n'))
            .unwrap_or(false);
        if torn {
            file.write_all(b"\n").map_err(err)?;
        }
        Ok(Self {
            path: path.to_path_buf(),
            file: Mutex::new(Some(file)),
        })
    }

    /// A journal that keeps nothing (for tests that do not care, and `--no-journal`).
    pub fn disabled() -> Self {
        Self {
            path: PathBuf::new(),
            file: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write one step and sync it to disk before returning.
    pub fn append(&self, id: JobId, step: Step) -> Result<(), JournalError> {
        let line = Line {
            id,
            at: now(),
            step,
        };
        let err = |message: String| JournalError {
            path: self.path.display().to_string(),
            message,
        };
        let mut text = serde_json::to_string(&line).map_err(|e| err(e.to_string()))?;
        text.push('\n');
        let mut guard = self
            .file
            .lock()
            .map_err(|_| err("journal lock poisoned".into()))?;
        let Some(file) = guard.as_mut() else {
            return Ok(());
        };
        // One write of the whole line: appends of other processes do not split it.
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| err(e.to_string()))
    }

    /// Every job the journal knows, in submission order. Unreadable lines are skipped and
    /// counted (a crash may leave half a line at the end).
    pub fn read(&self) -> Result<(Vec<Record>, usize), JournalError> {
        if self.path.as_os_str().is_empty() {
            return Ok((Vec::new(), 0));
        }
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
            Err(e) => {
                return Err(JournalError {
                    path: self.path.display().to_string(),
                    message: e.to_string(),
                });
            }
        };
        let mut bad = 0;
        let mut lines = Vec::new();
        for line in BufReader::new(file).lines() {
            let Ok(line) = line else {
                bad += 1;
                continue;
            };
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Line>(&line) {
                Ok(l) => lines.push(l),
                Err(_) => bad += 1,
            }
        }
        Ok((fold(lines), bad))
    }

    /// Rewrite the file with the unfinished jobs and the latest finished ones, when it has grown
    /// and no other rack process has unfinished work in it.
    pub fn compact(&self, records: &[Record], me: u32) -> Result<(), JournalError> {
        let big = std::fs::metadata(&self.path).is_ok_and(|m| m.len() > 512 * 1024);
        let others = records
            .iter()
            .any(|r| !r.finished() && r.owner != me && process_alive(r.owner));
        if !big || others {
            return Ok(());
        }
        let err = |e: std::io::Error| JournalError {
            path: self.path.display().to_string(),
            message: e.to_string(),
        };
        let finished: Vec<&Record> = records.iter().filter(|r| r.finished()).collect();
        let keep_from = finished.len().saturating_sub(KEEP_FINISHED);
        let kept_finished: Vec<JobId> = finished[keep_from..].iter().map(|r| r.id).collect();
        let mut text = String::new();
        for r in records {
            if r.finished() && !kept_finished.contains(&r.id) {
                continue;
            }
            for line in r.as_lines() {
                if let Ok(l) = serde_json::to_string(&line) {
                    text.push_str(&l);
                    text.push('\n');
                }
            }
        }
        files::write_private(&self.path, &text).map_err(err)?;
        let file = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(err)?;
        if let Ok(mut guard) = self.file.lock() {
            *guard = Some(file);
        }
        Ok(())
    }
}

impl Record {
    /// The lines that reproduce this record.
    fn as_lines(&self) -> Vec<Line> {
        let mut lines = vec![Line {
            id: self.id,
            at: self.submitted,
            step: Step::Submitted {
                cluster: self.cluster.clone(),
                request: self.request.clone(),
                owner: self.owner,
            },
        }];
        if let Some(upid) = &self.upid
            && !matches!(self.last, Step::Started { .. })
        {
            lines.push(Line {
                id: self.id,
                at: self.updated,
                step: Step::Started {
                    upid: Some(upid.clone()),
                    note: None,
                },
            });
        }
        if !matches!(self.last, Step::Submitted { .. }) {
            lines.push(Line {
                id: self.id,
                at: self.updated,
                step: self.last.clone(),
            });
        }
        lines
    }
}

/// Lines into records: the submission names the job, later steps move it on. A step for a job
/// whose submission is missing is ignored; a finished job stays finished.
pub fn fold(lines: Vec<Line>) -> Vec<Record> {
    let mut order: Vec<JobId> = Vec::new();
    let mut jobs: BTreeMap<JobId, Record> = BTreeMap::new();
    for line in lines {
        match line.step {
            Step::Submitted {
                cluster,
                request,
                owner,
            } => {
                if jobs.contains_key(&line.id) {
                    continue;
                }
                order.push(line.id);
                jobs.insert(
                    line.id,
                    Record {
                        id: line.id,
                        cluster: cluster.clone(),
                        request: request.clone(),
                        owner,
                        submitted: line.at,
                        last: Step::Submitted {
                            cluster,
                            request,
                            owner,
                        },
                        upid: None,
                        updated: line.at,
                    },
                );
            }
            step => {
                let Some(job) = jobs.get_mut(&line.id) else {
                    continue;
                };
                if job.finished() {
                    continue;
                }
                if let Step::Started { upid: Some(u), .. } = &step {
                    job.upid = Some(u.clone());
                }
                job.last = step;
                job.updated = line.at;
            }
        }
    }
    order
        .into_iter()
        .filter_map(|id| jobs.remove(&id))
        .collect()
}

/// What to do with each unfinished job of a dead process after a restart.
#[derive(Debug, Clone, PartialEq)]
pub enum Recovery {
    /// Never sent: send it now.
    Send(Record),
    /// A task (or a node wake) to follow again.
    Follow(Record),
    /// The call may have happened, without a task id: say so, do not resend.
    Unknown(Record),
}

/// The unfinished jobs this process should take over: those of rack processes no longer
/// running. Finished ones and those of live processes are left alone.
pub fn recover(records: &[Record], me: u32) -> Vec<Recovery> {
    records
        .iter()
        .filter(|r| !r.finished())
        .filter(|r| r.owner == me || !process_alive(r.owner))
        .map(|r| match &r.last {
            Step::Submitted { .. } => Recovery::Send(r.clone()),
            Step::Started { .. } => Recovery::Follow(r.clone()),
            _ => Recovery::Unknown(r.clone()),
        })
        .collect()
}

/// Whether process `pid` exists (Linux `/proc`; elsewhere every other process counts as gone).
pub fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}

pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Where the journal lives: `$RACK_DATA_DIR/journal.jsonl`, else the platform data dir
/// (`~/.local/share/rack/journal.jsonl` on Linux).
pub fn default_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("RACK_DATA_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("journal.jsonl"));
    }
    directories::ProjectDirs::from("", "", "rack").map(|d| d.data_dir().join("journal.jsonl"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::request::GuestRef;
    use crate::model::GuestKind;

    fn start(vmid: u32) -> Request {
        Request::Start {
            guest: GuestRef {
                node: "pve1".into(),
                kind: GuestKind::Qemu,
                vmid,
                name: String::new(),
            },
        }
    }

    fn submitted(id: JobId, owner: u32) -> Line {
        Line {
            id,
            at: 1.0,
            step: Step::Submitted {
                cluster: "c".into(),
                request: start(100 + id as u32),
                owner,
            },
        }
    }

    #[test]
    fn restart_sends_unsent_follows_started_and_flags_calls_without_a_task() {
        // A pid far above pid_max: no such process.
        let dead = 4_000_000_000;
        let lines = vec![
            submitted(1, dead),
            submitted(2, dead),
            Line {
                id: 2,
                at: 2.0,
                step: Step::Calling,
            },
            submitted(3, dead),
            Line {
                id: 3,
                at: 2.0,
                step: Step::Calling,
            },
            Line {
                id: 3,
                at: 3.0,
                step: Step::Started {
                    upid: Some("UPID:pve1:00000001:00000002:00000003:qmstart:103:root@pam:".into()),
                    note: None,
                },
            },
            submitted(4, dead),
            Line {
                id: 4,
                at: 4.0,
                step: Step::Finished {
                    ok: true,
                    text: "OK".into(),
                },
            },
        ];
        let records = fold(lines);
        assert_eq!(records.len(), 4);
        let plan = recover(&records, std::process::id());
        assert!(matches!(&plan[0], Recovery::Send(r) if r.id == 1));
        assert!(matches!(&plan[1], Recovery::Unknown(r) if r.id == 2));
        assert!(matches!(&plan[2], Recovery::Follow(r) if r.id == 3 && r.upid.is_some()));
        assert_eq!(plan.len(), 3);
    }

    #[test]
    fn a_live_owner_keeps_its_jobs_and_half_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let j = Journal::open(&path).unwrap();
        j.append(
            7,
            Step::Submitted {
                cluster: "c".into(),
                request: start(7),
                owner: std::process::id(),
            },
        )
        .unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"id\":7,\"at\":1,\"st")
            .unwrap();
        let (records, bad) = j.read().unwrap();
        assert_eq!((records.len(), bad), (1, 1));
        // Our own unfinished job is ours to recover; another live process's would not be.
        assert_eq!(recover(&records, std::process::id()).len(), 1);
        assert_eq!(recover(&records, 1).len(), 0, "another live rack owns it");
        // A new line after the torn one starts on a line of its own.
        let j = Journal::open(&path).unwrap();
        j.append(7, Step::Calling).unwrap();
        let (records, bad) = j.read().unwrap();
        assert_eq!((bad, &records[0].last), (1, &Step::Calling));
    }
}
