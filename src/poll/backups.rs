//! The backups pane's read: the jobs, every backup on every backup storage (a shared storage
//! once), the guests no job covers, and the guests the last failed vzdump runs name.

use super::ReadError;
use serde_json::Value;

use super::get;
use crate::model::backups::{self, BackupData};
use crate::model::text;
use crate::pve::Client;
use crate::pve::endpoints::{cluster, nodes};
use crate::pve::types::{ClusterResource, ClusterTask, ResourceKind, StorageVolume, TaskLogLine};

/// Failed vzdump tasks of this long ago at most have their logs read.
const FAILURES_WITHIN: u64 = 8 * 86_400;
/// And at most this many of them.
const FAILED_LOGS: usize = 8;

/// Read the backups of a cluster whose resources and tasks were just polled. Each part that
/// fails is named in `problems`; nothing read at all is an error.
pub async fn backup_data(
    client: &Client,
    resources: &[ClusterResource<'static>],
    tasks: &[ClusterTask],
    now: u64,
) -> Result<BackupData, ReadError> {
    let mut data = BackupData::default();
    let reads = backup_storages(resources);
    let (jobs, uncovered, volumes, failures, trends) = tokio::join!(
        client.get::<Value>(cluster::BACKUP_JOBS),
        client.get::<Vec<Value>>(cluster::NOT_BACKED_UP),
        volumes(client, &reads, None),
        failures(client, tasks, now),
        trends(client, &reads),
    );
    let mut failed_parts = 0;
    match jobs
        .map_err(|e| e.to_string())
        .and_then(|v| backups::parse_jobs(&v))
    {
        Ok(jobs) => data.jobs = jobs,
        Err(e) => {
            failed_parts += 1;
            data.problems.push(format!("backup jobs: {e}"));
            data.partial.failed("backup jobs", e);
        }
    }
    match uncovered {
        Ok(list) => {
            data.not_covered = list
                .iter()
                .filter_map(|g| g["vmid"].as_u64().and_then(|v| u32::try_from(v).ok()))
                .collect();
        }
        Err(e) => {
            failed_parts += 1;
            data.problems.push(format!(
                "coverage unknown (/cluster/backup-info/not-backed-up): {e}"
            ));
            data.partial.failed("coverage", e);
        }
    }
    data.volumes = volumes.0;
    for (storage, e) in volumes.1 {
        data.problems
            .push(format!("{}: {e}", backups::storage_part(&storage)));
        data.partial.failed(backups::storage_part(&storage), e);
        data.unread_storages.push(storage);
    }
    data.failures = failures;
    data.trends = trends.0;
    for (label, e) in trends.1 {
        data.problems
            .push(format!("{}: {e}", backups::history_part(&label)));
        data.partial.failed(backups::history_part(&label), e);
    }
    if failed_parts == 2 && data.volumes.is_empty() {
        return Err(ReadError::Parts(data.problems.clone()));
    }
    Ok(data)
}

/// Every storage that holds backups, as (node to ask, storage, shared): a shared one once, a
/// local one on each node.
fn backup_storages(resources: &[ClusterResource<'static>]) -> Vec<(String, String, bool)> {
    let mut reads: Vec<(String, String, bool)> = Vec::new();
    for r in resources.iter().filter(|r| r.kind == ResourceKind::Storage) {
        let holds_backups = r.holds("backup");
        let (Some(node), Some(storage)) = (r.node.as_deref(), r.storage.as_deref()) else {
            continue;
        };
        if !holds_backups || r.status.as_deref() != Some("available") {
            continue;
        }
        let shared = r.shared == Some(true);
        if shared && reads.iter().any(|(_, s, _)| s == storage) {
            continue;
        }
        reads.push((node.to_string(), storage.to_string(), shared));
    }
    reads
}

/// The backups of `vmid` on every storage that holds backups, by storage; storages that fail
/// are named, not fatal.
pub async fn backups_of(
    client: &Client,
    resources: &[ClusterResource<'static>],
    vmid: u32,
) -> (Vec<(String, StorageVolume)>, Vec<String>) {
    let (volumes, failed) = volumes(client, &backup_storages(resources), Some(vmid)).await;
    let failed = failed
        .into_iter()
        .map(|(storage, e)| format!("storage {storage}: {e}"))
        .collect();
    (volumes, failed)
}

/// Backups (of `vmid` only, when given) on every storage that holds them. Storages that fail
/// are named with why, not fatal.
async fn volumes(
    client: &Client,
    reads: &[(String, String, bool)],
    vmid: Option<u32>,
) -> (Vec<(String, StorageVolume)>, Vec<(String, String)>) {
    let lists = futures::future::join_all(reads.iter().map(|(node, storage, shared)| async move {
        let path = nodes::storage_backups(node, storage, vmid);
        // A storage each node has its own of is named with its node when it fails.
        let label = if *shared {
            storage.clone()
        } else {
            format!("{storage}@{node}")
        };
        (
            storage.clone(),
            label,
            client.get::<Vec<StorageVolume>>(&path).await,
        )
    }))
    .await;
    let mut volumes = Vec::new();
    let mut failed = Vec::new();
    for (storage, label, list) in lists {
        match list {
            Ok(list) => volumes.extend(list.into_iter().map(|v| (storage.clone(), v))),
            Err(e) => failed.push((label, e.to_string())),
        }
    }
    (volumes, failed)
}

/// Each backup storage's use over the last week; one that cannot be read is named.
async fn trends(
    client: &Client,
    reads: &[(String, String, bool)],
) -> (Vec<backups::StorageTrend>, Vec<(String, String)>) {
    let answers =
        futures::future::join_all(reads.iter().map(|(node, storage, shared)| async move {
            let path = nodes::storage_rrd_week(node, storage);
            (
                node,
                storage,
                *shared,
                client.get::<Vec<Value>>(&path).await,
            )
        }))
        .await;
    let mut trends = Vec::new();
    let mut failed = Vec::new();
    for (node, storage, shared, answer) in answers {
        let label = if shared {
            storage.clone()
        } else {
            format!("{storage}@{node}")
        };
        match answer {
            Ok(points) => trends.push(backups::StorageTrend::of(text::clean(&label), &points)),
            Err(e) => failed.push((text::clean(&label), e.to_string())),
        }
    }
    (trends, failed)
}

/// VMID → (when, why) of its newest failure in recent failed vzdump tasks.
async fn failures(
    client: &Client,
    tasks: &[ClusterTask],
    now: u64,
) -> std::collections::BTreeMap<u32, (u64, String)> {
    let mut failed: Vec<&ClusterTask> = tasks
        .iter()
        .filter(|t| t.kind.as_deref() == Some("vzdump"))
        .filter(|t| t.status.as_deref().is_some_and(|s| s != "OK"))
        .filter(|t| {
            t.starttime
                .is_some_and(|s| now.saturating_sub(s) <= FAILURES_WITHIN)
        })
        .collect();
    failed.sort_by_key(|t| std::cmp::Reverse(t.starttime));
    failed.truncate(FAILED_LOGS);
    let logs = futures::future::join_all(failed.iter().map(|t| async move {
        let node = t.node.clone().unwrap_or_default();
        let path = nodes::task_log(&node, &t.upid, 5000);
        let lines: Vec<String> = client
            .get::<Vec<TaskLogLine>>(&path)
            .await
            .map(|l| l.into_iter().map(|l| l.t).collect())
            .unwrap_or_default();
        (t.endtime.or(t.starttime).unwrap_or(0), lines)
    }))
    .await;
    let mut out = std::collections::BTreeMap::new();
    for (at, lines) in logs {
        for (vmid, why) in backups::failures_in_log(&lines) {
            let newer = out.get(&vmid).is_none_or(|(t, _): &(u64, String)| at > *t);
            if newer {
                out.insert(vmid, (at, why));
            }
        }
    }
    out
}

pub(super) async fn guest_backups(
    client: &Client,
    node: &str,
    storages: &[String],
    vmid: u32,
) -> Result<Vec<StorageVolume>, ReadError> {
    let mut all = Vec::new();
    for storage in storages {
        let path = nodes::storage_backups(node, storage, Some(vmid));
        all.extend(get::<Vec<StorageVolume>>(client, path).await?);
    }
    all.sort_by_key(|v| std::cmp::Reverse(v.ctime));
    Ok(all)
}
