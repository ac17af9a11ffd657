//! Logs followed as `tail -f` follows a file: a node's journal (`/nodes/{node}/syslog`, paged by
//! line number from a fixed day, so each read asks only for what is new), a task's log (until
//! the task ends), and a guest's history (its tasks on every node, each with its log; new ones
//! from `/cluster/tasks`). Each `step` reads what is new; `lines` is everything read, oldest first.

use futures::StreamExt;

use crate::model::text;
use crate::pve::Client;
use crate::pve::calendar::{civil_from_days, format_datetime};
use crate::pve::client::Page;
use crate::pve::endpoints::{cluster, nodes};
use crate::pve::types::{ClusterTask, TaskLogLine, TaskStatus};

/// Lines a reader keeps, as the view does.
const KEEP: usize = 10_000;
/// Lines read at once from a journal; the first read shows this many of the newest.
const PAGE: u64 = 500;
/// A guest's newest tasks shown, each with its log.
const GUEST_TASKS: usize = 20;
/// Lines of one task's log kept in a guest's history.
const TASK_LINES: u64 = 1000;
/// Reads at once while a guest's history is gathered.
const CONCURRENCY: usize = 4;

/// What one read found.
#[derive(Debug, Default)]
pub struct Step {
    /// New lines were read (or what was read changed).
    pub changed: bool,
    /// Nothing more will come: how it ended.
    pub ended: Option<String>,
}

pub enum LogReader {
    Syslog(Journal),
    Task(TaskLog),
    Guest(GuestHistory),
}

impl LogReader {
    /// A node's journal from the day before `now` (which covers the node's time zone, whatever
    /// it is) on.
    pub fn syslog(node: String, now: std::time::SystemTime) -> Self {
        let secs = now
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400) - 1);
        LogReader::Syslog(Journal {
            node,
            since: format!("{y:04}-{m:02}-{d:02}"),
            read: None,
            lines: Vec::new(),
        })
    }

    pub fn task(node: String, upid: String) -> Self {
        LogReader::Task(TaskLog::new(node, upid))
    }

    pub fn guest(vmid: u32, nodes: Vec<String>) -> Self {
        LogReader::Guest(GuestHistory {
            vmid,
            nodes,
            tasks: Vec::new(),
            gathered: false,
        })
    }

    pub async fn step(&mut self, client: &Client) -> Result<Step, String> {
        match self {
            LogReader::Syslog(j) => j.step(client).await,
            LogReader::Task(t) => t.step(client).await,
            LogReader::Guest(g) => g.step(client).await,
        }
    }

    pub fn lines(&self) -> Vec<String> {
        match self {
            LogReader::Syslog(j) => j.lines.clone(),
            LogReader::Task(t) => t.lines.clone(),
            LogReader::Guest(g) => g.lines(),
        }
    }
}

/// A page of log lines, with Proxmox's stand-in for an empty log ("no content") dropped.
async fn page(client: &Client, path: &str) -> Result<(Vec<String>, Option<u64>), String> {
    let Page { items, total } = client
        .get_page::<Vec<TaskLogLine>>(path)
        .await
        .map_err(|e| e.proxmox_text())?;
    if total == Some(1) && items.len() == 1 && items[0].t == "no content" {
        return Ok((Vec::new(), Some(0)));
    }
    let lines = items.into_iter().map(|l| text::clean(&l.t)).collect();
    Ok((lines, total))
}

pub struct Journal {
    node: String,
    since: String,
    /// Lines of the journal (since `since`) read so far; None before the first read.
    read: Option<u64>,
    lines: Vec<String>,
}

impl Journal {
    async fn step(&mut self, client: &Client) -> Result<Step, String> {
        let start = match self.read {
            Some(read) => read,
            None => {
                // Where the newest page starts: the count comes with any page.
                let path = nodes::syslog(&self.node, &self.since, 0, 1);
                let (_, total) = page(client, &path).await?;
                total.unwrap_or(0).saturating_sub(PAGE)
            }
        };
        let first = self.read.is_none();
        let mut at = start;
        loop {
            let path = nodes::syslog(&self.node, &self.since, at, PAGE);
            let (lines, _) = page(client, &path).await?;
            let n = lines.len() as u64;
            self.lines.extend(lines);
            at += n;
            // What was read stays read, should the next page fail.
            self.read = Some(at);
            trim(&mut self.lines);
            // A full page: there is more to catch up with.
            if n < PAGE {
                break;
            }
        }
        let changed = first || at > start;
        self.read = Some(at);
        Ok(Step {
            changed,
            ended: None,
        })
    }
}

pub struct TaskLog {
    node: String,
    upid: String,
    read: u64,
    lines: Vec<String>,
    started: bool,
}

impl TaskLog {
    fn new(node: String, upid: String) -> Self {
        Self {
            node,
            upid,
            read: 0,
            lines: Vec::new(),
            started: false,
        }
    }

    /// Read what is new; the end when the task has stopped (its last lines read after).
    async fn step(&mut self, client: &Client) -> Result<Step, String> {
        let status: TaskStatus = client
            .get(&nodes::task_status(&self.node, &self.upid))
            .await
            .map_err(|e| e.proxmox_text())?;
        let before = self.read;
        self.read_new(client).await?;
        let first = !self.started;
        self.started = true;
        let ended = (!status.running()).then(|| {
            status
                .exitstatus
                .clone()
                .unwrap_or_else(|| "unknown".into())
        });
        Ok(Step {
            changed: first || self.read > before,
            ended,
        })
    }

    /// Every line after those read.
    async fn read_new(&mut self, client: &Client) -> Result<(), String> {
        let path = nodes::task_log_from(&self.node, &self.upid, self.read, 0);
        let (lines, _) = page(client, &path).await?;
        self.read += lines.len() as u64;
        self.lines.extend(lines);
        trim(&mut self.lines);
        Ok(())
    }
}

/// The newest `KEEP` lines.
fn trim(lines: &mut Vec<String>) {
    if lines.len() > KEEP {
        lines.drain(..lines.len() - KEEP);
    }
}

/// One task of a guest's history and its log.
struct Entry {
    task: ClusterTask,
    log: TaskLog,
    /// Read once after the task ended: nothing more will come.
    done: bool,
    /// Why its log could not be read last time (its node down, …).
    unread: Option<String>,
}

pub struct GuestHistory {
    vmid: u32,
    nodes: Vec<String>,
    tasks: Vec<Entry>,
    gathered: bool,
}

impl GuestHistory {
    async fn step(&mut self, client: &Client) -> Result<Step, String> {
        let mut changed = false;
        if !self.gathered {
            self.gather(client).await?;
            self.gathered = true;
            changed = true;
        } else {
            // New tasks, and how running ones ended, from the cluster's recent tasks.
            let recent: Vec<ClusterTask> = client
                .get(cluster::TASKS)
                .await
                .map_err(|e| e.proxmox_text())?;
            let id = self.vmid.to_string();
            // Older than every task kept, once the history is full: it was left out on purpose.
            let oldest = (self.tasks.len() >= GUEST_TASKS)
                .then(|| self.tasks.first().and_then(|e| e.task.starttime))
                .flatten();
            for t in recent
                .into_iter()
                .filter(|t| t.id.as_deref() == Some(&id))
                .filter(|t| oldest.is_none_or(|o| t.starttime.unwrap_or(0) >= o))
            {
                match self.tasks.iter_mut().find(|e| e.task.upid == t.upid) {
                    Some(e) if e.task.status != t.status => {
                        e.task = t;
                        changed = true;
                    }
                    Some(_) => {}
                    None => {
                        self.add(t);
                        changed = true;
                    }
                }
            }
        }
        // The logs of tasks still running (or not read yet) grow.
        let wanted: Vec<(usize, String, String, u64)> = self
            .tasks
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.done)
            .map(|(i, e)| (i, e.log.node.clone(), e.log.upid.clone(), e.log.read))
            .collect();
        let reads = futures::stream::iter(wanted.into_iter().map(|(i, node, upid, read)| {
            let client = client.clone();
            async move {
                let want = TASK_LINES.saturating_sub(read);
                let lines = if want == 0 {
                    Ok(Vec::new())
                } else {
                    let path = nodes::task_log_from(&node, &upid, read, want);
                    page(&client, &path).await.map(|(lines, _)| lines)
                };
                (i, lines)
            }
        }))
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
        for (i, lines) in reads {
            let Some(e) = self.tasks.get_mut(i) else {
                continue;
            };
            // One log that cannot be read (its node is down) leaves a gap, not a dead view.
            let lines = match lines {
                Ok(lines) => lines,
                Err(why) => {
                    changed |= e.unread.as_ref() != Some(&why);
                    e.unread = Some(why);
                    continue;
                }
            };
            changed |= e.unread.take().is_some();
            changed |= !e.log.started || !lines.is_empty();
            e.log.started = true;
            e.done = e.task.status.is_some();
            e.log.read += lines.len() as u64;
            e.log.lines.extend(lines);
        }
        Ok(Step {
            changed,
            ended: None,
        })
    }

    /// The guest's newest tasks on every node it may have run on.
    async fn gather(&mut self, client: &Client) -> Result<(), String> {
        let vmid = self.vmid;
        let lists = futures::stream::iter(self.nodes.clone().into_iter().map(|node| {
            let client = client.clone();
            async move {
                let path = nodes::guest_tasks(&node, vmid, GUEST_TASKS as u32);
                client.get::<Vec<ClusterTask>>(&path).await.map(|tasks| {
                    tasks
                        .into_iter()
                        .map(|mut t| {
                            t.node.get_or_insert_with(|| node.clone());
                            t
                        })
                        .collect::<Vec<_>>()
                })
            }
        }))
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
        let mut all = Vec::new();
        let mut failed = Vec::new();
        for list in lists {
            match list {
                Ok(tasks) => all.extend(tasks),
                Err(e) => failed.push(e.proxmox_text()),
            }
        }
        // One node that does not answer leaves a gap, not an empty view.
        if all.is_empty() && !failed.is_empty() {
            return Err(failed.join("; "));
        }
        all.sort_by_key(|t| std::cmp::Reverse(t.starttime.unwrap_or(0)));
        all.truncate(GUEST_TASKS);
        for t in all.into_iter().rev() {
            self.add(t);
        }
        Ok(())
    }

    fn add(&mut self, task: ClusterTask) {
        let node = task
            .node
            .clone()
            .or_else(|| task.upid.split(':').nth(1).map(str::to_string))
            .unwrap_or_default();
        let log = TaskLog::new(node, task.upid.clone());
        self.tasks.push(Entry {
            task,
            log,
            done: false,
            unread: None,
        });
        self.tasks.sort_by_key(|e| e.task.starttime.unwrap_or(0));
        if self.tasks.len() > GUEST_TASKS * 2 {
            self.tasks.remove(0);
        }
    }

    /// Each task as a heading (when, what, where, who, how it ended) and its log, indented.
    fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.tasks {
            let t = &e.task;
            let when = t
                .starttime
                .map(|s| format_datetime(s as f64))
                .unwrap_or_else(|| "?".into());
            let how = t.status.as_deref().unwrap_or("running");
            out.push(text::clean(&format!(
                "── {when} {} on {} by {}: {how}",
                t.kind.as_deref().unwrap_or("task"),
                e.log.node,
                t.user.as_deref().unwrap_or("?"),
            )));
            out.extend(e.log.lines.iter().map(|l| format!("  {l}")));
            if let Some(why) = &e.unread {
                out.push(format!("  (its log could not be read: {why})"));
            }
            if e.log.read >= TASK_LINES {
                out.push(format!(
                    "  (the first {TASK_LINES} lines: l on the task in Tasks reads it all)"
                ));
            }
        }
        if out.is_empty() {
            out.push("no tasks concerned this guest on its cluster's online nodes".into());
        }
        out
    }
}
