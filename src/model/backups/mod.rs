//! Backups: the cluster's backup jobs, and per guest its newest backup on any backup storage,
//! which jobs cover it, whether PBS verified it, and what is wrong — no job covers it, never
//! backed up, older than its job's schedule implies, the last run failed. Guests destroyed since
//! keep a row while their backups remain, so they can be restored. Pure.

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use crate::model::partial::{Partial, Previous};
use crate::model::text::clean;
use crate::model::{GuestKind, InstanceRow};
use crate::pve::de;
use crate::pve::types::StorageVolume;
use serde::Serialize;
use serde_json::Value;

mod jobs;

pub use jobs::{BackupJob, Selection, parse_jobs};

/// What one read of a cluster's backups holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackupData {
    pub jobs: Vec<BackupJob>,
    /// Every backup on every backup storage, with the storage it is on.
    pub volumes: Vec<(String, StorageVolume)>,
    /// Guests no enabled job selects (`/cluster/backup-info/not-backed-up`).
    pub not_covered: BTreeSet<u32>,
    /// VMID → (when, why) of its newest failed backup, from the logs of failed vzdump tasks.
    pub failures: BTreeMap<u32, (u64, String)>,
    /// Parts that could not be read.
    pub problems: Vec<String>,
    /// Backup storages whose listing failed: a guest with no backup found may have some there.
    pub unread_storages: Vec<String>,
    /// Each backup storage's use over the last week.
    pub trends: Vec<StorageTrend>,
    /// Parts whose read failed (`backup jobs`, `coverage`, `storage NAME`, `history of
    /// LABEL`): in the console shown as last read, or unknown.
    pub partial: Partial,
}

/// The part a storage's backup listing is.
pub fn storage_part(storage: &str) -> String {
    format!("storage {storage}")
}

/// The part a storage's week of use is.
pub fn history_part(label: &str) -> String {
    format!("history of {label}")
}

impl BackupData {
    /// Keep the previous read's jobs, coverage, listings and histories where this read's
    /// failed; a storage never listed stays unread, so no guest is called never backed up
    /// for its sake.
    pub fn keep_last_good(&mut self, old: &BackupData, old_at: SystemTime) {
        let (p, was) = (&mut self.partial, &old.partial);
        p.carry(
            "backup jobs",
            &mut self.jobs,
            &Previous::of(&old.jobs, was, old_at),
        );
        p.carry(
            "coverage",
            &mut self.not_covered,
            &Previous::of(&old.not_covered, was, old_at),
        );
        for storage in self.unread_storages.clone() {
            // One node's own storage (`local@pve1`): its backups cannot be told from the other
            // nodes' of the same name, so they stay unknown rather than carried.
            if storage.contains('@') {
                continue;
            }
            let before: Vec<(String, StorageVolume)> = old
                .volumes
                .iter()
                .filter(|(s, _)| *s == storage)
                .cloned()
                .collect();
            let mut kept = Vec::new();
            p.carry(
                &storage_part(&storage),
                &mut kept,
                &Previous::of(&before, was, old_at),
            );
            self.volumes.extend(kept);
        }
        self.unread_storages.retain(|s| {
            p.get(&storage_part(s))
                .is_none_or(|st| st.read_at.is_none())
        });
        for t in &old.trends {
            let part = history_part(&t.label);
            if p.get(&part).is_some() {
                let mut kept = None;
                p.carry(
                    &part,
                    &mut kept,
                    &Previous::of(&Some(t.clone()), was, old_at),
                );
                self.trends.extend(kept);
            }
        }
    }
}

/// A backup storage's use over time (`/nodes/{node}/storage/{storage}/rrddata`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StorageTrend {
    /// `nas-backup`, or `local@pve1` for a storage each node has its own of.
    pub label: String,
    /// (time, used, total), oldest first, points without data left out.
    pub points: Vec<(u64, u64, u64)>,
}

impl StorageTrend {
    /// Read rrddata points; those without `used` and `total` (the storage was offline) are
    /// left out.
    pub fn of(label: String, points: &[Value]) -> Self {
        let num = |p: &Value, k: &str| de::number_of(p.get(k)?);
        let mut points: Vec<(u64, u64, u64)> = points
            .iter()
            .filter_map(|p| {
                let (t, used, total) = (num(p, "time")?, num(p, "used")?, num(p, "total")?);
                (t >= 0.0 && used >= 0.0 && total > 0.0).then_some((
                    t as u64,
                    used as u64,
                    total as u64,
                ))
            })
            .collect();
        points.sort_by_key(|p| p.0);
        Self { label, points }
    }

    /// Bytes added (negative: freed) between the first and the last point, and over how long.
    pub fn growth(&self) -> Option<(i64, u64)> {
        let (first, last) = (self.points.first()?, self.points.last()?);
        let secs = last.0.checked_sub(first.0).filter(|s| *s > 0)?;
        Some((last.1 as i64 - first.1 as i64, secs))
    }

    /// Seconds until full at the rate of the period, when it grows.
    pub fn full_in(&self) -> Option<u64> {
        let (grown, secs) = self.growth().filter(|(g, _)| *g > 0)?;
        let last = self.points.last()?;
        let free = last.2.saturating_sub(last.1);
        Some((free as f64 / (grown as f64 / secs as f64)) as u64)
    }

    /// The use, as a fraction of the size, at each point.
    pub fn fractions(&self) -> Vec<f64> {
        self.points
            .iter()
            .map(|(_, used, total)| *used as f64 / *total as f64)
            .collect()
    }
}

/// How a guest's backups stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupState {
    Ok,
    /// Older than its schedule implies, or its last run failed, or its verification failed.
    Warn,
    /// No job covers it, or it has never been backed up.
    Bad,
    /// The guest no longer exists; its backups remain.
    Gone,
}

impl BackupState {
    /// As `rack get -o json` writes it, and the `state:` filter reads it.
    pub fn label(self) -> &'static str {
        match self {
            BackupState::Ok => "ok",
            BackupState::Warn => "warn",
            BackupState::Bad => "bad",
            BackupState::Gone => "gone",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupRow {
    pub cluster: String,
    pub vmid: u32,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub node: String,
    /// Unix time of the newest backup, or null when there is none.
    pub last_backup: Option<u64>,
    pub size: Option<u64>,
    pub storage: Option<String>,
    pub volid: Option<String>,
    pub count: usize,
    /// Whether a backup job selects it; null when neither the coverage nor the jobs could be
    /// read.
    pub covered: Option<bool>,
    /// The jobs that select it.
    pub jobs: Vec<String>,
    /// PBS verification of the newest backup: true ok, false failed, null not verified.
    pub verified: Option<bool>,
    pub state: BackupState,
    /// What is wrong, in words; null when nothing is.
    pub warning: Option<String>,
    /// Seconds since the newest backup, when the rows were built.
    #[serde(skip)]
    pub age: Option<u64>,
    /// Reads this row's figures depend on that failed (`storage nas-backup: HTTP 500`): its
    /// newest backup, coverage or jobs may be other than shown.
    pub stale: Vec<String>,
}

/// What every guest's row depends on that failed: the jobs, the coverage, a storage listing.
fn row_stale(data: &BackupData) -> Vec<String> {
    data.partial
        .iter()
        .filter(|s| !s.part.starts_with("history of "))
        .map(|s| clean(&format!("{}: {}", s.part, s.error)))
        .collect()
}

impl BackupRow {
    /// What is wrong; for a guest that is gone, what is kept of it.
    pub fn warning_text(&self) -> Option<String> {
        match &self.warning {
            Some(w) => Some(w.clone()),
            None if self.state == BackupState::Gone => {
                let plural = if self.count == 1 { "" } else { "s" };
                Some(format!("guest gone, {} backup{plural} kept", self.count))
            }
            None => None,
        }
    }

    /// `3d`, `14h`: how old the newest backup is.
    pub fn age_text(&self) -> String {
        self.age
            .map_or_else(|| "never".into(), crate::model::text::duration)
    }
}

/// A grace beyond the schedule before a backup counts as overdue: a run takes a while.
fn overdue_after(period: u64) -> u64 {
    period + (period / 4).max(3600)
}

/// Which kind of guest an archive holds, from its name (`vzdump-qemu-…`, `vzdump-lxc-…`, PBS
/// `backup/vm/…`, `backup/ct/…`) or its format (`pbs-vm`, `pbs-ct`); the listing has no field
/// for it.
pub fn archive_kind(v: &StorageVolume) -> Option<GuestKind> {
    let path = v.volid.split_once(':').map_or(v.volid.as_str(), |(_, p)| p);
    let format = v.format.as_deref().unwrap_or_default();
    if path.contains("vzdump-qemu-") || path.starts_with("backup/vm/") || format == "pbs-vm" {
        Some(GuestKind::Qemu)
    } else if path.contains("vzdump-lxc-")
        || path.contains("vzdump-openvz-")
        || path.starts_with("backup/ct/")
        || format == "pbs-ct"
    {
        Some(GuestKind::Lxc)
    } else {
        None
    }
}

/// Backups by the VMID they are of; indexed once, as a cluster's backups can number tens of
/// thousands.
fn by_vmid(data: &BackupData) -> BTreeMap<u32, Vec<&(String, StorageVolume)>> {
    let mut by_vmid: BTreeMap<u32, Vec<&(String, StorageVolume)>> = BTreeMap::new();
    for entry in &data.volumes {
        if let Some(vmid) = entry.1.vmid {
            by_vmid.entry(vmid).or_default().push(entry);
        }
    }
    by_vmid
}

/// One row per guest (templates included: they are worth backing up too), by VMID.
pub fn backup_rows(instances: &[InstanceRow], data: &BackupData, now: u64) -> Vec<BackupRow> {
    let by_vmid = by_vmid(data);
    let mut rows: Vec<BackupRow> = instances
        .iter()
        .map(|i| {
            let mine: &[&(String, StorageVolume)] =
                by_vmid.get(&i.vmid).map(Vec::as_slice).unwrap_or_default();
            let newest = mine.iter().max_by_key(|(_, v)| v.ctime.unwrap_or(0));
            let last = newest.and_then(|(_, v)| v.ctime);
            let jobs: Vec<&BackupJob> = data.jobs.iter().filter(|j| j.covers(i)).collect();
            // Proxmox's coverage list is the truth; when it could not be read, the jobs tell
            // (a job's selection by pool or node is read the same way); when neither could
            // be, it is unknown.
            let covered = if i.template {
                Some(false)
            } else if !data.partial.unknown("coverage") {
                Some(!data.not_covered.contains(&i.vmid))
            } else if !data.partial.unknown("backup jobs") {
                Some(!jobs.is_empty())
            } else {
                None
            };
            let verified = newest
                .and_then(|(_, v)| v.verification.as_ref())
                .and_then(|v| v.state.as_deref())
                .map(|s| s == "ok");
            let (state, warning) = judge(i, covered, &jobs, last, verified, data, now);
            BackupRow {
                cluster: i.cluster.clone(),
                vmid: i.vmid,
                name: i.name.clone(),
                kind: i.kind.api(),
                node: i.node.clone(),
                last_backup: last,
                size: newest.and_then(|(_, v)| v.size),
                storage: newest.map(|(s, _)| clean(s)),
                volid: newest.map(|(_, v)| clean(&v.volid)),
                count: mine.len(),
                covered,
                jobs: jobs.iter().map(|j| j.id.clone()).collect(),
                verified,
                state,
                warning,
                age: last.map(|l| now.saturating_sub(l)),
                stale: row_stale(data),
            }
        })
        .collect();
    rows.sort_by_key(|r| (r.cluster.clone(), r.vmid));
    rows
}

/// One row per VMID whose guest is gone but whose backups remain, by VMID. Only for a cluster
/// whose guests were read: otherwise every guest would look gone.
pub fn gone_rows(
    cluster: &str,
    instances: &[InstanceRow],
    data: &BackupData,
    now: u64,
) -> Vec<BackupRow> {
    let present: BTreeSet<u32> = instances.iter().map(|i| i.vmid).collect();
    by_vmid(data)
        .iter()
        .filter(|(v, _)| !present.contains(v))
        .map(|(vmid, mine)| gone_row(cluster, *vmid, mine, data, now))
        .collect()
}

/// The row of a destroyed guest, named by its newest backup's notes (Proxmox writes the
/// guest's name there by default).
fn gone_row(
    cluster: &str,
    vmid: u32,
    mine: &[&(String, StorageVolume)],
    data: &BackupData,
    now: u64,
) -> BackupRow {
    let newest = mine.iter().max_by_key(|(_, v)| v.ctime.unwrap_or(0));
    let last = newest.and_then(|(_, v)| v.ctime);
    let name = newest
        .and_then(|(_, v)| v.notes.as_deref())
        .and_then(|n| n.lines().next())
        .map(clean)
        .unwrap_or_default();
    // A job that lists the VMID still names it; one selecting all or a pool no longer does.
    let jobs = data
        .jobs
        .iter()
        .filter(|j| matches!(&j.selection, Selection::Vmids { vmids } if vmids.contains(&vmid)))
        .map(|j| j.id.clone())
        .collect();
    BackupRow {
        cluster: cluster.to_string(),
        vmid,
        name,
        kind: newest
            .and_then(|(_, v)| archive_kind(v))
            .map_or("unknown", GuestKind::api),
        node: String::new(),
        last_backup: last,
        size: newest.and_then(|(_, v)| v.size),
        storage: newest.map(|(s, _)| clean(s)),
        volid: newest.map(|(_, v)| clean(&v.volid)),
        count: mine.len(),
        covered: Some(false),
        jobs,
        verified: newest
            .and_then(|(_, v)| v.verification.as_ref())
            .and_then(|v| v.state.as_deref())
            .map(|s| s == "ok"),
        state: BackupState::Gone,
        warning: None,
        age: last.map(|l| now.saturating_sub(l)),
        stale: row_stale(data),
    }
}

fn judge(
    guest: &InstanceRow,
    covered: Option<bool>,
    jobs: &[&BackupJob],
    last: Option<u64>,
    verified: Option<bool>,
    data: &BackupData,
    now: u64,
) -> (BackupState, Option<String>) {
    if guest.template {
        return (BackupState::Ok, None);
    }
    if covered == Some(false) {
        return (
            BackupState::Bad,
            Some("no backup job covers it".to_string()),
        );
    }
    if let Some((at, why)) = data.failures.get(&guest.vmid)
        && last.is_none_or(|l| *at > l)
    {
        let age = crate::model::text::duration(now.saturating_sub(*at));
        return (
            BackupState::Warn,
            Some(format!("last run failed {age} ago: {why}")),
        );
    }
    let Some(last) = last else {
        // An absence is concluded only from complete reads.
        if !data.unread_storages.is_empty() {
            return (
                BackupState::Warn,
                Some(format!(
                    "no backup found, but {} could not be read",
                    data.unread_storages.join(", ")
                )),
            );
        }
        return (BackupState::Bad, Some("never backed up".to_string()));
    };
    // The most frequent job covering it sets what "recent" means.
    let period = jobs
        .iter()
        .filter_map(|j| j.period(now).map(|p| (p, j)))
        .min_by_key(|(p, _)| *p);
    let age = now.saturating_sub(last);
    if let Some((p, job)) = period
        && age > overdue_after(p)
    {
        // A newer backup may be on a storage that could not be read: not concluded overdue.
        if !data.unread_storages.is_empty() {
            return (
                BackupState::Warn,
                Some(format!(
                    "newest found {} old, but {} could not be read",
                    crate::model::text::duration(age),
                    data.unread_storages.join(", ")
                )),
            );
        }
        return (
            BackupState::Warn,
            Some(format!(
                "overdue: last backup {} old, {} runs every {}",
                crate::model::text::duration(age),
                job.id,
                crate::model::text::duration(p)
            )),
        );
    }
    if verified == Some(false) {
        return (
            BackupState::Warn,
            Some("verification of the newest backup failed".to_string()),
        );
    }
    (BackupState::Ok, None)
}

/// Problems first (no job, never backed up), then warnings, then the rest, then guests that
/// are gone; by VMID within.
pub fn by_urgency(rows: &mut [BackupRow]) {
    let rank = |s: BackupState| match s {
        BackupState::Bad => 0,
        BackupState::Warn => 1,
        BackupState::Ok => 2,
        BackupState::Gone => 3,
    };
    rows.sort_by_key(|r| (rank(r.state), r.cluster.clone(), r.vmid));
}

/// Failed guests in a vzdump log: `ERROR: Backup of VM 202 failed - reason`.
pub fn failures_in_log(lines: &[String]) -> Vec<(u32, String)> {
    lines
        .iter()
        .filter_map(|l| {
            let rest = l.split("ERROR: Backup of VM ").nth(1)?;
            let (vmid, why) = rest.split_once(" failed")?;
            let why = why.trim_start_matches(" - ").trim();
            Some((vmid.trim().parse().ok()?, clean(why)))
        })
        .collect()
}

#[cfg(test)]
mod tests;
