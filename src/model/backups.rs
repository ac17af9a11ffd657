//! Per guest: its newest backup on any backup storage, how many there are, and whether a backup
//! job covers it (Proxmox's `/cluster/backup-info/not-backed-up`). Pure.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::model::InstanceRow;
use crate::model::text::clean;
use crate::pve::types::StorageVolume;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupRow {
    pub cluster: String,
    pub vmid: u32,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Unix time of the newest backup, or null when there is none.
    pub last_backup: Option<u64>,
    pub size: Option<u64>,
    pub storage: Option<String>,
    pub volid: Option<String>,
    pub count: usize,
    /// Whether a backup job selects it.
    pub covered: bool,
}

/// One row per guest (templates included: they are worth backing up too), by VMID.
pub fn backup_rows(
    instances: &[InstanceRow],
    volumes: &[(String, StorageVolume)],
    not_covered: &BTreeSet<u32>,
) -> Vec<BackupRow> {
    let mut rows: Vec<BackupRow> = instances
        .iter()
        .map(|i| {
            let mine: Vec<&(String, StorageVolume)> = volumes
                .iter()
                .filter(|(_, v)| v.vmid == Some(i.vmid))
                .collect();
            let newest = mine.iter().max_by_key(|(_, v)| v.ctime.unwrap_or(0));
            BackupRow {
                cluster: i.cluster.clone(),
                vmid: i.vmid,
                name: i.name.clone(),
                kind: i.kind.api(),
                last_backup: newest.and_then(|(_, v)| v.ctime),
                size: newest.and_then(|(_, v)| v.size),
                storage: newest.map(|(s, _)| clean(s)),
                volid: newest.map(|(_, v)| clean(&v.volid)),
                count: mine.len(),
                covered: !not_covered.contains(&i.vmid),
            }
        })
        .collect();
    rows.sort_by_key(|r| (r.cluster.clone(), r.vmid));
    rows
}
