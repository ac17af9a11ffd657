//! Backups in the simulated world: jobs that run on schedule, archives written, and a purged
//! guest leaving the jobs that name it.

use std::collections::BTreeMap;

use super::dynamics::SYSTEM_USER;
use super::scenario::BackupJobDef;
use super::tasks::Work;
use super::vzdump_log::archive_size;
use super::world::{Volume, World};

impl Work {
    /// One node's share of a backup job's run.
    pub fn backup_run(def: &BackupJobDef, vmids: Vec<u32>, failing: Vec<u32>) -> Work {
        Work::Vzdump {
            vmids,
            storage: def.storage.clone(),
            mode: def.mode.clone(),
            compress: def.compress.clone(),
            failing,
        }
    }
}

impl World {
    /// A purged VMID leaves the jobs that list or exclude it; a job left listing no guest is
    /// removed, since it could not run.
    pub(crate) fn purge_from_backup_jobs(&mut self, vmid: u32) {
        let without = |list: &Option<String>| {
            list.as_deref().map(|l| {
                let ids = super::world::id_list(Some(l));
                ids.iter()
                    .filter(|id| **id != vmid)
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            })
        };
        for job in &mut self.backup_jobs {
            job.def.vmid = without(&job.def.vmid);
            job.def.exclude = without(&job.def.exclude).filter(|l| !l.is_empty());
        }
        self.backup_jobs.retain(|j| {
            j.def.all
                || j.def.pool.is_some()
                || j.def.vmid.as_deref().is_some_and(|l| !l.is_empty())
        });
    }

    pub fn add_backup(&mut self, vmid: u32, storage: &str, t: f64) {
        let Some(g) = self.guests.get(&vmid) else {
            return;
        };
        let kind = g.type_name();
        let size: u64 = g.disks().iter().filter(|d| !d.cdrom).map(|d| d.size).sum();
        let pbs = self.storage(storage).is_some_and(|s| s.kind == "pbs");
        // A node-local backup storage holds it on the guest's node.
        let node = (!self.storage(storage).is_some_and(|s| s.shared)).then(|| g.node.clone());
        let name = self.archive_name(storage, vmid, kind, t);
        // A PBS snapshot's volume name is `backup/vm/104/…Z`, as PVE's PBS plugin names it; the
        // archive's own name (in vzdump's log) is without `backup/`.
        let volume = if pbs {
            format!("backup/{name}")
        } else {
            format!("backup/{}", name.rsplit('/').next().unwrap_or(&name))
        };
        let notes = Some(g.name());
        let mut config = g.config.clone();
        config.remove("lock");
        self.volumes.push(Volume {
            volid: format!("{storage}:{volume}"),
            storage: storage.to_string(),
            node,
            vmid: Some(vmid),
            content: "backup".into(),
            format: if pbs {
                format!("pbs-{}", if kind == "lxc" { "ct" } else { "vm" })
            } else if kind == "lxc" {
                "tar.zst".into()
            } else {
                "vma.zst".into()
            },
            size: archive_size(size),
            ctime: t,
            notes,
            protected: false,
            verified: None,
            config: Some(config),
        });
    }

    /// The archives a backup run over `vmids` started at `started` wrote to `storage`, each
    /// named for when its guest's backup began, as the log says; none for guests that failed.
    pub(crate) fn place_backups(
        &mut self,
        vmids: &[u32],
        storage: &str,
        started: f64,
        failing: &[u32],
    ) {
        let (plan, _) = self.vzdump_plan(vmids);
        for g in plan.iter().filter(|g| !failing.contains(&g.vmid)) {
            self.add_backup(g.vmid, storage, started + g.offset);
        }
    }

    /// A job's guests by the node each is on: a job runs as one vzdump task per node.
    pub(crate) fn job_guests_by_node(&self, def: &BackupJobDef) -> BTreeMap<String, Vec<u32>> {
        let mut by_node: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for vmid in self.job_guests(def) {
            if let Some(g) = self.guests.get(&vmid) {
                by_node.entry(g.node.clone()).or_default().push(vmid);
            }
        }
        by_node
    }

    pub(crate) fn run_due_backup_jobs(&mut self) {
        let now = self.now;
        for j in 0..self.backup_jobs.len() {
            let job = &self.backup_jobs[j];
            let Some(next) = job.next_run.filter(|n| *n <= now && job.def.enabled) else {
                continue;
            };
            let def = job.def.clone();
            self.backup_jobs[j].next_run = self.backup_jobs[j]
                .schedule
                .as_ref()
                .map(|s| s.next_after(next));
            for (node, vmids) in self.job_guests_by_node(&def) {
                if !self.node(&node).is_some_and(|n| n.online()) {
                    continue;
                }
                let vmids: Vec<u32> = vmids.into_iter().filter(|v| !self.guest_busy(*v)).collect();
                if vmids.is_empty() {
                    continue;
                }
                let work = Work::backup_run(&def, vmids, def.failing.clone());
                self.start_work(&node, SYSTEM_USER, work);
            }
        }
    }
}
