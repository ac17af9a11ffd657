//! Action verbs for scripts: `rack start|shutdown|stop|reboot VMID…`, `rack migrate`, `rack wake`,
//! `rack snapshot`, `rack rollback`, `rack delete-snapshot`, `rack create vm|ct`, `rack clone`,
//! `rack restore`.
//! They find the guest or node, check the privileges, and submit to the same queue and journal
//! as the console; `--wait` follows each task and prints its progress.

use super::error::CmdError;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;
use tokio::sync::mpsc;

use crate::actions::{
    self, GuestRef, Job, JobState, Journal, Limits, Queue, Request, Target, journal, permissions,
    precheck,
};
use crate::clock::Clock;
use crate::config::ClusterConfig;
use crate::console::Event;
use crate::model::{GuestKind, text};
use crate::pve::Client;
use crate::pve::endpoints::{access, cluster};
use crate::pve::types::{ClusterResource, ClusterStatusItem, Permissions, ResourceKind};

/// A connected cluster.
pub struct Conn {
    pub config: ClusterConfig,
    pub client: Client,
}

/// Connect to the clusters (only `only`, when given).
pub fn connect(clusters: &[ClusterConfig], only: Option<&str>) -> Result<Vec<Conn>, CmdError> {
    let chosen: Vec<&ClusterConfig> = clusters
        .iter()
        .filter(|c| only.is_none_or(|o| c.name == o))
        .collect();
    if chosen.is_empty() {
        let known: Vec<String> = clusters.iter().map(|c| format!("\"{}\"", c.name)).collect();
        return Err(format!(
            "no cluster named \"{}\"; the clusters are {}",
            only.unwrap_or_default(),
            known.join(", ")
        )
        .into());
    }
    chosen
        .into_iter()
        .map(|c| {
            let options = c
                .client_options()
                .map_err(|e| format!("cluster \"{}\": {e}", c.name))?;
            let client =
                Client::new(options).map_err(|e| format!("cluster \"{}\": {e}", c.name))?;
            Ok(Conn {
                config: c.clone(),
                client,
            })
        })
        .collect()
}

/// The guest with `vmid`, and the index of the cluster it is in. Several clusters may use the
/// same VMID: then `--cluster` must say which.
pub async fn find_guest(
    conns: &[Conn],
    vmid: u32,
) -> Result<(usize, GuestRef, ClusterResource<'static>), CmdError> {
    find_guest_where(conns, vmid, |_| true).await
}

/// As `find_guest`, in the clusters `searched` keeps only (a remote migration's guest is not
/// on the cluster it goes to).
pub async fn find_guest_where(
    conns: &[Conn],
    vmid: u32,
    searched: impl Fn(&Conn) -> bool,
) -> Result<(usize, GuestRef, ClusterResource<'static>), CmdError> {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for (i, c) in conns.iter().enumerate().filter(|(_, c)| searched(c)) {
        match c
            .client
            .get::<Vec<ClusterResource<'static>>>(cluster::RESOURCES_VMS)
            .await
        {
            Ok(list) => {
                if let Some(r) = list.into_iter().find(|r| r.vmid == Some(vmid)) {
                    found.push((i, r));
                }
            }
            Err(e) => errors.push(format!("cluster \"{}\": {e}", c.config.name)),
        }
    }
    match found.len() {
        1 => {
            let (i, r) = found.remove(0);
            let kind = match r.kind {
                ResourceKind::Lxc => GuestKind::Lxc,
                _ => GuestKind::Qemu,
            };
            let guest = GuestRef {
                node: r.node.as_deref().unwrap_or_default().to_string(),
                kind,
                vmid,
                name: r.name.as_deref().unwrap_or_default().to_string(),
            };
            Ok((i, guest, r))
        }
        0 if errors.is_empty() => Err(format!("no guest has VMID {vmid}").into()),
        0 => Err(format!("no guest has VMID {vmid} ({})", errors.join("; ")).into()),
        _ => {
            let names: Vec<String> = found
                .iter()
                .map(|(i, _)| format!("\"{}\"", conns[*i].config.name))
                .collect();
            Err(format!(
                "VMID {vmid} is in several clusters ({}): say which with --cluster",
                names.join(", ")
            )
            .into())
        }
    }
}

/// The cluster that has node `name`, with the node's status entry.
pub async fn find_node(
    conns: &[Conn],
    name: &str,
) -> Result<(usize, Option<ClusterStatusItem>), CmdError> {
    let mut errors = Vec::new();
    for (i, c) in conns.iter().enumerate() {
        match c
            .client
            .get::<Vec<ClusterStatusItem>>(cluster::STATUS)
            .await
        {
            Ok(items) => {
                if let Some(item) = items
                    .into_iter()
                    .find(|s| s.kind == "node" && s.name == name)
                {
                    return Ok((i, Some(item)));
                }
            }
            Err(e) => errors.push((i, format!("cluster \"{}\": {e}", c.config.name))),
        }
    }
    // No cluster answers: a single one is the one to wake a node of, from here.
    if conns.len() == 1 && errors.len() == 1 {
        return Ok((0, None));
    }
    let why: Vec<String> = errors.into_iter().map(|(_, e)| e).collect();
    if why.is_empty() {
        Err(format!("no cluster has a node named \"{name}\"").into())
    } else {
        Err(format!(
            "no answering cluster has a node named \"{name}\" ({}); say which with --cluster",
            why.join("; ")
        )
        .into())
    }
}

/// Refuse early, with the missing privilege, what Proxmox would refuse.
pub async fn check_permissions(conn: &Conn, request: &Request) -> Result<(), CmdError> {
    if request.needs().is_empty() {
        return Ok(());
    }
    match conn.client.get::<Permissions>(access::PERMISSIONS).await {
        Ok(perms) => permissions::check(&perms, request).map_err(|why| {
            CmdError::Failed(format!(
                "{}: not permitted: {why} (token or user of cluster \"{}\")",
                request.describe(),
                conn.config.name
            ))
        }),
        // Cannot tell: let Proxmox decide.
        Err(_) => Ok(()),
    }
}

/// Migration's precondition check: Err with Proxmox's reasons when `target` is not allowed.
pub async fn check_migration(
    conn: &Conn,
    guest: &GuestRef,
    target: &str,
) -> Result<Value, CmdError> {
    let answer: Value = conn
        .client
        .get(&format!("{}/migrate?target={target}", guest.path()))
        .await
        .map_err(|e| format!("cannot check the migration: {}", e.proxmox_text()))?;
    let allowed = answer
        .get("allowed_nodes")
        .or_else(|| answer.get("allowed-nodes"))
        .and_then(Value::as_array)
        .map(|a| a.iter().any(|n| n.as_str() == Some(target)));
    let local = answer
        .get("local_resources")
        .and_then(Value::as_array)
        .is_some_and(|l| !l.is_empty());
    if allowed == Some(false) || local {
        let rules = actions::precheck_rules(&conn.client, &answer).await;
        let why = precheck::blockers_named(&answer, target, &guest.sid(), &rules);
        return Err(format!(
            "{} cannot migrate to {target}: {}",
            guest.label(),
            if why.is_empty() {
                "Proxmox does not allow it".to_string()
            } else {
                why.join("; ")
            }
        )
        .into());
    }
    let along = precheck::dependent(&answer, &guest.sid());
    if !along.is_empty() {
        eprintln!(
            "the HA manager moves along (positive resource affinity): {}",
            along.join(", ")
        );
    }
    Ok(answer)
}

/// How the jobs of a verb are kept: the clock their times are read from, and whether they go
/// to the journal (not for the embedded demo, whose tasks end with the process).
pub struct Keeping {
    pub clock: Clock,
    pub journal: bool,
}

/// Submit the requests (each with its cluster) and report: the task ids, or with `wait`
/// every job followed to its end. Returns whether everything succeeded.
pub async fn submit(
    conns: &[Conn],
    requests: Vec<(usize, Request)>,
    wait: bool,
    keeping: &Keeping,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> Result<bool, CmdError> {
    let path = keeping.journal.then(journal::default_path).flatten();
    let journal = match path {
        Some(path) => Journal::open(&path).map_err(|e| e.to_string())?,
        None => Journal::disabled(),
    };
    let targets: BTreeMap<String, Target> = conns
        .iter()
        .map(|c| {
            (
                c.config.name.clone(),
                Target {
                    client: c.client.clone(),
                    read_only: c.config.read_only,
                    wake: c.config.wake.clone(),
                },
            )
        })
        .collect();
    let (tx, mut rx) = mpsc::channel::<Event>(256);
    let limits = Limits {
        clock: keeping.clock.clone(),
        ..Limits::default()
    };
    let queue = Queue::new(targets, journal, tx, limits);
    let mut pending = BTreeMap::new();
    for (i, request) in requests {
        let cluster = &conns[i].config.name;
        let describe = request.describe();
        let id = queue.submit(cluster, request).map_err(|e| e.to_string())?;
        pending.insert(id, (describe, Printed::default()));
    }
    let mut ok = true;
    while !pending.is_empty() {
        let Some(event) = rx.recv().await else {
            break;
        };
        let Event::Job(job) = event else {
            continue;
        };
        let Some((describe, printed)) = pending.get_mut(&job.id) else {
            continue;
        };
        let text = report(describe, &job, printed, wait);
        // What went wrong goes to stderr, where a script looks for it.
        let to: &mut dyn std::io::Write = if job.error().is_some() { err } else { out };
        let _ = to.write_all(text.as_bytes());
        let _ = to.flush();
        let done = job.state.finished() || (!wait && job.state == JobState::Running);
        if done {
            ok &= !matches!(job.state, JobState::Failed(_) | JobState::Unknown(_));
            pending.remove(&job.id);
        }
    }
    Ok(ok)
}

/// What has been printed of a job already.
#[derive(Default)]
struct Printed {
    started: bool,
    progress: Option<(String, u32)>,
    note: Option<String>,
}

fn report(describe: &str, job: &Job, printed: &mut Printed, wait: bool) -> String {
    let mut out = String::new();
    if job.state == JobState::Running && !printed.started {
        printed.started = true;
        match &job.upid {
            Some(upid) => {
                let _ = writeln!(out, "{describe}: started {upid}");
            }
            None => {
                let _ = writeln!(out, "{describe}: started");
            }
        }
    }
    if wait {
        if let Some(p) = &job.progress {
            let pct = (p.fraction * 100.0).floor() as u32;
            let key = (p.phase.clone(), pct / 5);
            if printed.progress.as_ref() != Some(&key) {
                printed.progress = Some(key);
                let amount = p
                    .amount
                    .as_deref()
                    .map(|a| format!(" ({a})"))
                    .unwrap_or_default();
                let _ = writeln!(out, "  {}: {pct}%{amount}", p.phase);
            }
        }
        if job.note != printed.note {
            printed.note = job.note.clone();
            if let Some(n) = &job.note {
                // A waiting note changes every second; print whole minutes only.
                let waiting = n.contains("waiting for");
                if !waiting || n.ends_with("0s)") || !n.contains('s') {
                    let _ = writeln!(out, "  {n}");
                }
            }
        }
    }
    let took = match (job.started.or(Some(job.submitted)), job.ended) {
        (Some(s), Some(e)) => format!(" after {}", text::duration((e - s).max(0.0) as u64)),
        _ => String::new(),
    };
    match &job.state {
        JobState::Succeeded(text) if wait => {
            let _ = writeln!(out, "{describe}: ok{took}: {text}");
        }
        JobState::Succeeded(text) => {
            let _ = writeln!(out, "{describe}: ok: {text}");
        }
        JobState::Failed(text) => {
            let _ = writeln!(out, "{describe}: failed{took}: {text}");
        }
        JobState::Unknown(text) => {
            let _ = writeln!(out, "{describe}: {text}");
        }
        _ => {}
    }
    out
}
