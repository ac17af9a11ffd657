//! `rack get hosts|instances|tasks|ceph|backups|networks|ha [-o table|json] [--cluster A,B]`: one
//! poll, printed.

use super::error::CmdError;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

pub use crate::cli::{Kind, Output};
use crate::clock::Clock;
use crate::config::ClusterConfig;
use crate::console::task_row::TaskRow;
use crate::model::backups::{self, BackupRow};
use crate::model::ceph::{self, CephStatus, Check};
use crate::model::ha::{self, HaRow};
use crate::model::networks::{self, NetworkRow};
use crate::model::table::Row;
use crate::model::table::columns::{self, Context};
use crate::model::tasks::{ClusterTaskRow, task_rows};
use crate::model::{ClusterSnapshot, HostRow, InstanceRow, Source, host_rows, instance_rows};
use crate::poll::{self, poll_once_with, readable};
use crate::pve::{Client, tls};

/// What was read, and the clusters that could not be read (with why).
pub struct Gathered {
    pub hosts: Vec<HostRow>,
    pub instances: Vec<InstanceRow>,
    pub tasks: Vec<ClusterTaskRow>,
    pub ceph: Vec<CephClusterRow>,
    pub backups: Vec<BackupRow>,
    pub networks: Vec<NetworkRow>,
    pub ha: Vec<ClusterHaRow>,
    pub failures: Vec<String>,
    /// Parts of clusters that could be read that could not: the rest is printed without them.
    pub partial: Vec<String>,
    /// Worth knowing, not wrong: a cluster read through another endpoint than its first.
    pub notes: Vec<String>,
    /// When it was read, by the clock of the clusters read (ages are told against it).
    pub now: SystemTime,
}

/// The pauses before asking a cluster that did not answer again.
const READ_RETRIES: [std::time::Duration; 2] = [
    std::time::Duration::from_millis(500),
    std::time::Duration::from_millis(1500),
];

/// Poll each cluster once, concurrently.
pub async fn gather(
    clusters: &[ClusterConfig],
    kind: Kind,
    clock: &Clock,
    addresses_up_to: usize,
) -> Gathered {
    let now = clock.now();
    // Addresses cost a request per running guest: read only for the instances asked for.
    let addresses = (kind == Kind::Instances).then_some(addresses_up_to);
    let polls = clusters.iter().map(|c| async move {
        let options = c
            .client_options()
            .map_err(|e| format!("cluster \"{}\": {e}", c.name))?;
        let client = Client::new(options).map_err(|e| format!("cluster \"{}\": {e}", c.name))?;
        let mut snap = poll_once_with(&c.name, &client, now, addresses).await;
        // A cluster that did not answer is asked again, after a pause that grows: one failed
        // request must not fail a cron job.
        for pause in READ_RETRIES {
            if readable(&snap).is_ok() {
                break;
            }
            tokio::time::sleep(pause).await;
            snap = poll_once_with(&c.name, &client, now, addresses).await;
        }
        if let Err(e) = readable(&snap) {
            return Err(format!(
                "cluster \"{}\" cannot be read: {}",
                c.name,
                explain(&client, e.to_string()).await
            ));
        }
        // Ceph is read for `get ceph`; its failure does not fail the other kinds.
        let row = |configured, status: Option<CephStatus>, error| CephClusterRow {
            cluster: c.name.clone(),
            configured,
            health: status.as_ref().map(|s| s.health.clone()),
            checks: status
                .as_ref()
                .map(|s| s.checks.clone())
                .unwrap_or_default(),
            error,
            status,
        };
        // What could not be read of a cluster that could: said on stderr, the rest printed.
        let mut partial: Vec<String> = Vec::new();
        let backups = if kind == Kind::Backups {
            let (rows, problems) = backups(&client, &snap, now)
                .await
                .map_err(|e| format!("cluster \"{}\": backups: {e}", c.name))?;
            partial.extend(
                problems
                    .into_iter()
                    .map(|p| format!("cluster \"{}\": backups: {p}", c.name)),
            );
            rows
        } else {
            Vec::new()
        };
        let networks = if kind == Kind::Networks {
            let resources = snap.resources.get().map(Vec::as_slice).unwrap_or_default();
            let data = poll::network_data(&client, resources)
                .await
                .map_err(|e| format!("cluster \"{}\": networks: {e}", c.name))?;
            partial.extend(
                data.problems
                    .iter()
                    .cloned()
                    .chain(data.partial.lines(now))
                    .map(|p| format!("cluster \"{}\": networks: {p}", c.name)),
            );
            networks::lines(&c.name, &data)
        } else {
            Vec::new()
        };
        let ha = if kind == Kind::Ha {
            if let Some(e) = &snap.ha.error {
                return Err(format!("cluster \"{}\": HA status: {e}", c.name));
            }
            match poll::ha_config(&client).await {
                Ok(config) => snap.ha_config = Source::fresh(config, now),
                Err(e) => partial.push(format!(
                    "cluster \"{}\": HA resources and rules: {e}",
                    c.name
                )),
            }
            ha::lines(&snap, &instance_rows(&snap))
                .into_iter()
                .map(|line| ClusterHaRow {
                    cluster: c.name.clone(),
                    line,
                })
                .collect()
        } else {
            Vec::new()
        };
        let ceph = if kind == Kind::Ceph {
            Some(match poll::ceph_status(&client).await {
                Ok(None) => row(false, None, None),
                Ok(Some(doc)) => match ceph::parse(&doc) {
                    Ok(status) => row(true, Some(status), None),
                    Err(e) => row(true, None, Some(e.to_string())),
                },
                Err(e) => row(true, None, Some(e.to_string())),
            })
        } else {
            None
        };
        // Hosts and guests are whole when the resources are; what came from other reads that
        // failed is said, and marks the host rows (`stale`).
        if matches!(kind, Kind::Hosts | Kind::Instances) {
            let mut seen = std::collections::BTreeSet::new();
            let stale = host_rows(&snap).into_iter().flat_map(|h| h.stale);
            for what in stale.filter(|w| kind == Kind::Hosts || w.starts_with("HA status")) {
                if seen.insert(what.clone()) {
                    partial.push(format!("cluster \"{}\": {what}", c.name));
                }
            }
        }
        // A failover is said once per cluster, not once per request.
        let serving = client.endpoint().to_string();
        let note = c
            .endpoints
            .first()
            .filter(|first| **first != serving)
            .map(|first| {
                format!(
                    "cluster \"{}\": {first} did not answer; read through {serving}",
                    c.name
                )
            });
        Ok::<_, String>((snap, ceph, backups, networks, ha, (partial, note)))
    });
    let mut out = Gathered {
        hosts: Vec::new(),
        instances: Vec::new(),
        tasks: Vec::new(),
        ceph: Vec::new(),
        backups: Vec::new(),
        networks: Vec::new(),
        ha: Vec::new(),
        failures: Vec::new(),
        partial: Vec::new(),
        notes: Vec::new(),
        now,
    };
    for result in futures::future::join_all(polls).await {
        match result {
            Ok((snap, ceph, backups, networks, ha, (partial, note))) => {
                out.partial.extend(partial);
                out.notes.extend(note);
                out.ha.extend(ha);
                out.ceph.extend(ceph);
                out.backups.extend(backups);
                out.networks.extend(networks);
                out.hosts.extend(host_rows(&snap));
                out.instances.extend(instance_rows(&snap));
                out.tasks.extend(task_rows(&snap));
            }
            Err(e) => out.failures.push(e),
        }
    }
    out
}

/// A connection failure in one line: each endpoint whose certificate was refused says what the
/// certificate is and how to trust it, instead of the TLS library's words.
pub async fn explain(client: &Client, error: String) -> String {
    let mut said = Vec::new();
    for (url, failure) in client.tls_failures() {
        said.push(tls::explain_failure(&url, &failure).await);
    }
    if said.is_empty() {
        error
    } else {
        said.join("; ")
    }
}

fn epoch_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

pub fn render(kind: Kind, output: Output, data: &Gathered) -> Result<String, CmdError> {
    match (kind, output) {
        (Kind::Hosts, Output::Json) => json(&data.hosts),
        (Kind::Instances, Output::Json) => json(&data.instances),
        (Kind::Hosts, Output::Table) => Ok(table(
            data.hosts.iter().map(|r| (r.cluster.as_str(), r)),
            data.now,
            None,
        )),
        (Kind::Instances, Output::Table) => Ok(table(
            data.instances.iter().map(|r| (r.cluster.as_str(), r)),
            data.now,
            Some("(no instances)"),
        )),
        (Kind::Tasks, Output::Json) => json(&data.tasks),
        (Kind::Tasks, Output::Table) => {
            let rows: Vec<(&str, TaskRow)> = data
                .tasks
                .iter()
                .map(|t| (t.cluster.as_str(), TaskRow::of_task(t.clone())))
                .collect();
            Ok(table(
                rows.iter().map(|(c, r)| (*c, r)),
                data.now,
                Some("(no tasks)"),
            ))
        }
        (Kind::Ceph, Output::Json) => json(&data.ceph),
        (Kind::Ceph, Output::Table) => Ok(ceph_table(&data.ceph)),
        (Kind::Backups, Output::Json) => json(&data.backups),
        (Kind::Backups, Output::Table) => Ok(table(
            data.backups.iter().map(|r| (r.cluster.as_str(), r)),
            data.now,
            None,
        )),
        (Kind::Networks, Output::Json) => json(&data.networks),
        (Kind::Networks, Output::Table) => Ok(table(
            data.networks.iter().map(|r| (r.cluster.as_str(), r)),
            data.now,
            None,
        )),
        (Kind::Ha, Output::Json) => json(&data.ha),
        (Kind::Ha, Output::Table) => Ok(table(
            data.ha.iter().map(|r| (r.cluster.as_str(), &r.line)),
            data.now,
            None,
        )),
    }
}

/// One cluster's Ceph, for scripts: `health` is null when the cluster has no Ceph.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CephClusterRow {
    pub cluster: String,
    pub configured: bool,
    pub health: Option<String>,
    pub checks: Vec<Check>,
    /// Why the status could not be read, when it could not.
    pub error: Option<String>,
    /// Everything else: OSDs, monitors, placement groups, I/O, recovery.
    pub status: Option<CephStatus>,
}

/// One row of the HA pane, for scripts: a node, a service or a rule of a cluster.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClusterHaRow {
    pub cluster: String,
    #[serde(flatten)]
    pub line: HaRow,
}

/// Backups of every guest on every backup storage, which jobs cover it and what is wrong.
async fn backups(
    client: &Client,
    snap: &ClusterSnapshot,
    now: SystemTime,
) -> Result<(Vec<BackupRow>, Vec<String>), CmdError> {
    let resources = snap.resources.get().map(Vec::as_slice).unwrap_or_default();
    let tasks = snap.tasks.get().map(Vec::as_slice).unwrap_or_default();
    let now = epoch_secs(now);
    let data = poll::backup_data(client, resources, tasks, now)
        .await
        .map_err(|e| e.to_string())?;
    let problems = data.problems.clone();
    // `gather` read the guests, or the cluster counts as unreadable.
    let instances = instance_rows(snap);
    let mut rows = backups::backup_rows(&instances, &data, now);
    rows.extend(backups::gone_rows(&snap.cluster, &instances, &data, now));
    rows.sort_by_key(|r| r.vmid);
    Ok((rows, problems))
}

fn ceph_table(rows: &[CephClusterRow]) -> String {
    let mut out = String::new();
    for r in rows {
        if let Some(e) = &r.error {
            out.push_str(&format!("{}: Ceph cannot be read: {e}\n", r.cluster));
            continue;
        }
        let Some(s) = &r.status else {
            out.push_str(&format!("{}: Ceph not configured\n", r.cluster));
            continue;
        };
        out.push_str(&format!(
            "{}: {}  OSDs {} up / {} in / {}  mons {}/{} in quorum  PGs {}\n",
            r.cluster,
            s.health,
            s.osds.up,
            s.osds.r#in,
            s.osds.total,
            s.monitors_in_quorum.len(),
            s.monitors_total(),
            s.pgs
        ));
        for c in &s.checks {
            out.push_str(&format!(
                "  {} {}{}: {}\n",
                c.severity,
                c.name,
                if c.muted { " (muted)" } else { "" },
                c.summary
            ));
        }
    }
    out
}

fn json<T: serde::Serialize>(rows: &T) -> Result<String, CmdError> {
    serde_json::to_string_pretty(rows)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| CmdError::Failed(e.to_string()))
}

/// `rows` (each with its cluster) as an aligned text table of their pane's columns, or `empty`
/// on a line of its own when there are none.
fn table<'r, R: Row + 'r>(
    rows: impl IntoIterator<Item = (&'r str, &'r R)>,
    now: SystemTime,
    empty: Option<&str>,
) -> String {
    let context = Context {
        now: epoch_secs(now),
    };
    let (header, body) = columns::plain(rows, &context);
    let mut out = super::table::render(&header, &body);
    if let Some(empty) = empty.filter(|_| body.is_empty()) {
        let _ = writeln!(out, "{empty}");
    }
    out
}
