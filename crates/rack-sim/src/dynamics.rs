//! How the simulated world moves on: tasks finish and change things, nodes power off and boot,
//! the HA manager recovers and migrates services, backup jobs run on schedule. Events are
//! processed in time order, so jumping the clock ahead gives the same result as waiting.

use super::history::prune_backups;
use super::scenario::GuestKind;
use super::tasks::Work;
use super::world::{GuestStatus, HA_FENCE_DELAY, Power, World};

/// The HA manager and cluster services act as this user.
pub const SYSTEM_USER: &str = "root@pam";

impl World {
    /// Start work on `node` as `user`: lock the guest, start the task, return its UPID.
    pub fn start_work(&mut self, node: &str, user: &str, work: Work) -> String {
        let d = self.describe(node, &work);
        if let (Some(lock), Some(vmid)) = (d.lock, work.vmid())
            && let Some(g) = self.guests.get_mut(&vmid)
        {
            g.config.insert("lock".into(), lock.into());
        }
        if let Work::Vzdump { vmids, .. } = &work {
            for v in vmids {
                if let Some(g) = self.guests.get_mut(v) {
                    g.config.insert("lock".into(), "backup".into());
                }
            }
        }
        self.spawn(node, user, work, d)
    }

    /// Bring the world up to simulated time `t`.
    pub fn advance_to(&mut self, t: f64) {
        // Bounded so a pathological scenario cannot spin forever; each round handles one instant.
        for _ in 0..10_000 {
            match self.next_event() {
                Some(at) if at <= t => {
                    self.now = self.now.max(at);
                    self.step();
                }
                _ => break,
            }
        }
        self.now = self.now.max(t);
        self.step();
    }

    fn next_event(&self) -> Option<f64> {
        let tasks = self.tasks.iter().filter(|t| t.running()).map(|t| t.end);
        let power = self.nodes.iter().filter_map(|n| match n.power {
            Power::Booting { ready_at } => Some(ready_at),
            Power::ShuttingDown { off_at } => Some(off_at),
            _ => None,
        });
        let jobs = self
            .backup_jobs
            .iter()
            .filter(|j| j.def.enabled)
            .filter_map(|j| j.next_run);
        let fences = self
            .nodes
            .iter()
            .filter_map(|n| n.offline_since.map(|s| s + HA_FENCE_DELAY))
            .filter(|at| *at > self.now);
        tasks
            .chain(power)
            .chain(jobs)
            .chain(fences)
            .min_by(f64::total_cmp)
    }

    /// Everything due at `self.now`.
    fn step(&mut self) {
        let now = self.now;
        let due: Vec<usize> = (0..self.tasks.len())
            .filter(|&i| self.tasks[i].running() && self.tasks[i].end <= now)
            .collect();
        for i in due {
            self.finish_task(i);
        }
        for i in 0..self.nodes.len() {
            match self.nodes[i].power {
                Power::ShuttingDown { off_at } if off_at <= now => {
                    let name = self.nodes[i].def.name.clone();
                    self.power_off(&name);
                    self.after_power_off(&name);
                }
                Power::Booting { ready_at } if ready_at <= now => {
                    let name = self.nodes[i].def.name.clone();
                    self.node_ready(&name);
                }
                _ => {}
            }
        }
        self.run_due_backup_jobs();
        self.ha_manager();
    }

    fn finish_task(&mut self, i: usize) {
        let task = &self.tasks[i];
        let work = task.work.clone();
        let node = task.upid.node.clone();
        let started = task.start;
        let result = match task.fail.clone() {
            Some(err) => Err(err),
            None => self.apply(&node, &work, started),
        };
        self.release_locks(&work);
        let task = &mut self.tasks[i];
        match result {
            Ok(()) => task.end_done(self.now),
            Err(err) => {
                task.lines.retain(|(t, _)| *t <= self.now - 0.001);
                task.end_failed(self.now, err);
                if let Work::Create { vmid, .. } | Work::Clone { newid: vmid, .. } = work {
                    // A failed create leaves nothing behind.
                    self.guests.remove(&vmid);
                    self.volumes
                        .retain(|v| v.vmid != Some(vmid) || v.content == "backup");
                }
            }
        }
    }

    fn release_locks(&mut self, work: &Work) {
        let mut ids: Vec<u32> = work.vmid().into_iter().collect();
        if let Work::Vzdump { vmids, .. } = work {
            ids.extend(vmids);
        }
        if let Work::Clone { source, .. } = work {
            ids.push(*source);
        }
        for id in ids {
            if let Some(g) = self.guests.get_mut(&id)
                && g.config.get("lock").is_some_and(|l| l != "destroyed")
            {
                g.config.remove("lock");
            }
        }
    }

    /// `VM 100` or `CT 200`, as Proxmox's messages name a guest.
    fn guest_label(&self, vmid: u32) -> String {
        match self.guests.get(&vmid).map(|g| g.kind) {
            Some(GuestKind::Lxc) => format!("CT {vmid}"),
            _ => format!("VM {vmid}"),
        }
    }

    /// A guest that must exist and run for the work to apply.
    fn running_guest_mut(&mut self, vmid: u32) -> Result<&mut super::world::Guest, String> {
        let name = self.guest_label(vmid);
        match self.guests.get_mut(&vmid) {
            None => Err(format!("{name} does not exist")),
            Some(g) if !g.running() => Err(format!("{name} not running")),
            Some(g) => Ok(g),
        }
    }

    /// Carry out finished work. An error becomes the task's exit status.
    fn apply(&mut self, node: &str, work: &Work, started: f64) -> Result<(), String> {
        let now = self.now;
        if !self.node(node).is_some_and(|n| n.online()) {
            return Err(format!("node '{node}' went offline"));
        }
        match work {
            Work::Start { vmid } => {
                let name = self.guest_label(*vmid);
                if self.guests.get(vmid).is_some_and(|g| g.running()) {
                    return Err(format!("{name} already running"));
                }
                self.start_blockers(*vmid)?;
                let g = self
                    .guests
                    .get_mut(vmid)
                    .ok_or(format!("{name} does not exist"))?;
                g.status = GuestStatus::Running;
                g.started_at = now;
                g.stopped_at = None;
            }
            Work::Stop { vmid } | Work::Shutdown { vmid } => {
                let g = self.running_guest_mut(*vmid)?;
                g.status = GuestStatus::Stopped;
                g.stopped_at = Some(now);
            }
            Work::Reboot { vmid } => {
                let g = self.running_guest_mut(*vmid)?;
                g.started_at = now;
            }
            Work::Suspend { vmid } => {
                let g = self.guests.get_mut(vmid).ok_or("no such guest")?;
                g.status = GuestStatus::Paused;
            }
            Work::Resume { vmid } => {
                let g = self.guests.get_mut(vmid).ok_or("no such guest")?;
                g.status = GuestStatus::Running;
            }
            Work::Migrate {
                vmid,
                target,
                online,
                target_storage,
            } => self.apply_migration(*vmid, target, *online, target_storage.as_deref())?,
            Work::Create { vmid, start, .. } => {
                self.allocate_disks(*vmid);
                if *start {
                    self.start_blockers(*vmid)?;
                    if let Some(g) = self.guests.get_mut(vmid) {
                        g.status = GuestStatus::Running;
                        g.started_at = now;
                        g.stopped_at = None;
                    }
                }
            }
            Work::Config { .. } => {}
            Work::Clone { newid, .. } => self.allocate_disks(*newid),
            Work::Destroy { vmid, purge } => {
                self.guests.remove(vmid);
                if *purge {
                    self.purge_from_backup_jobs(*vmid);
                }
                self.volumes
                    .retain(|v| v.vmid != Some(*vmid) || v.content == "backup");
                self.ha.resources.remove(&format!("vm:{vmid}"));
                self.ha.resources.remove(&format!("ct:{vmid}"));
            }
            Work::SnapshotCreate {
                vmid,
                name,
                description,
                vmstate,
            } => {
                let g = self.guests.get_mut(vmid).ok_or("no such guest")?;
                let mut config = g.config.map().clone();
                config.remove("lock");
                let vmstate = *vmstate && g.running() && g.kind == GuestKind::Qemu;
                g.snapshots.push(super::world::Snapshot {
                    name: name.clone(),
                    description: description.clone(),
                    parent: g.parent_snapshot.clone(),
                    snaptime: now,
                    vmstate,
                    config,
                });
                g.parent_snapshot = Some(name.clone());
            }
            Work::SnapshotRollback { vmid, name, start } => {
                let g = self.guests.get_mut(vmid).ok_or("no such guest")?;
                let snap = g
                    .snapshots
                    .iter()
                    .find(|s| &s.name == name)
                    .cloned()
                    .ok_or(format!("snapshot '{name}' does not exist"))?;
                g.config = snap.config.clone().into();
                g.parent_snapshot = Some(name.clone());
                if snap.vmstate || *start {
                    g.status = GuestStatus::Running;
                    g.started_at = now;
                } else {
                    g.status = GuestStatus::Stopped;
                    g.stopped_at = Some(now);
                }
            }
            Work::SnapshotDelete { vmid, name } => {
                let g = self.guests.get_mut(vmid).ok_or("no such guest")?;
                let parent = g
                    .snapshots
                    .iter()
                    .find(|s| &s.name == name)
                    .map(|s| s.parent.clone())
                    .ok_or(format!("snapshot '{name}' does not exist"))?;
                g.snapshots.retain(|s| &s.name != name);
                for s in &mut g.snapshots {
                    if s.parent.as_ref() == Some(name) {
                        s.parent = parent.clone();
                    }
                }
                if g.parent_snapshot.as_ref() == Some(name) {
                    g.parent_snapshot = parent;
                }
            }
            Work::Vzdump {
                vmids,
                storage,
                failing,
                ..
            } => {
                self.place_backups(vmids, storage, started, failing);
                prune_backups(self, storage);
            }
            Work::CephFlags { flags } => {
                let ceph = self.ceph.as_mut().ok_or("ceph not configured")?;
                for (flag, on) in flags {
                    if *on {
                        ceph.flags.insert(flag.clone());
                    } else {
                        ceph.flags.remove(flag);
                    }
                }
            }
            Work::HaRequest { sid, state } => {
                if let Some(r) = self.ha.resources.get_mut(sid) {
                    r.state = state.clone();
                }
            }
            Work::HaMigrate {
                sid,
                target,
                relocate,
            } => {
                let vmid: u32 = sid
                    .split_once(':')
                    .and_then(|(_, v)| v.parse().ok())
                    .ok_or("bad sid")?;
                let verb = if *relocate { "relocate" } else { "migrate" };
                // ha-manager refuses a move into negative affinity, and the worker fails with
                // its words.
                if let Some(refusal) = self.ha_refusal(sid, target, verb) {
                    return Err(refusal);
                }
                let (together, _) = self.ha_motion(sid);
                let mut moving = vec![vmid];
                moving.extend(
                    together
                        .iter()
                        .filter_map(|s| s.split_once(':').and_then(|(_, v)| v.parse::<u32>().ok())),
                );
                for id in moving {
                    let Some(g) = self.guests.get(&id) else {
                        continue;
                    };
                    if &g.node == target {
                        continue;
                    }
                    let from = g.node.clone();
                    let online = !*relocate && g.kind == GuestKind::Qemu && g.running();
                    self.start_work(
                        &from,
                        SYSTEM_USER,
                        Work::Migrate {
                            vmid: id,
                            target: target.clone(),
                            online,
                            target_storage: None,
                        },
                    );
                }
            }
            Work::StopAll { node } => {
                for g in self
                    .guests
                    .values_mut()
                    .filter(|g| &g.node == node && g.running())
                {
                    g.status = GuestStatus::Stopped;
                    g.stopped_at = Some(now);
                }
            }
            // The lists it refreshes are the scenario's, known from the start.
            // Ended by the migration's driver, never by the clock.
            Work::AptUpdate { .. }
            | Work::Terminal { .. }
            | Work::RemoteOut { .. }
            | Work::RemoteIn { .. } => {}
            Work::StartAll { node } => {
                let ha: Vec<String> = self.ha.resources.keys().cloned().collect();
                for g in self.guests.values_mut().filter(|g| &g.node == node) {
                    let onboot = g.config.get("onboot").is_some_and(|v| v == "1");
                    if onboot && !g.running() && !g.template() && !ha.contains(&g.sid()) {
                        g.status = GuestStatus::Running;
                        g.started_at = now;
                        g.stopped_at = None;
                    }
                }
            }
        }
        Ok(())
    }

    fn apply_migration(
        &mut self,
        vmid: u32,
        target: &str,
        online: bool,
        target_storage: Option<&str>,
    ) -> Result<(), String> {
        if !self.node(target).is_some_and(|n| n.online()) {
            return Err(format!(
                "migration aborted: target node '{target}' is not online"
            ));
        }
        let now = self.now;
        let storages = self.storages.clone();
        let g = self.guests.get_mut(&vmid).ok_or("no such guest")?;
        let was_running = g.running();
        let old_node = std::mem::replace(&mut g.node, target.to_string());
        if was_running && !online && g.kind == GuestKind::Lxc {
            // Restart migration: the container comes back up on the target.
            g.started_at = now;
        }
        for v in self
            .volumes
            .iter_mut()
            .filter(|v| v.vmid == Some(vmid) && v.content != "backup")
        {
            let shared = storages.iter().any(|s| s.id == v.storage && s.shared);
            if !shared && v.node.as_deref() == Some(old_node.as_str()) {
                v.node = Some(target.to_string());
                if let Some(ts) = target_storage.filter(|s| *s != "1") {
                    let ts = ts.rsplit(':').next().unwrap_or(ts);
                    let old = v.volid.clone();
                    v.volid = v
                        .volid
                        .replacen(&format!("{}:", v.storage), &format!("{ts}:"), 1);
                    v.storage = ts.to_string();
                    if let Some(g) = self.guests.get_mut(&vmid) {
                        for val in g.config.map_mut().values_mut() {
                            if val.contains(&old) {
                                *val = val.replace(&old, &v.volid);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Create the volumes a new guest's config names but storage does not hold yet.
    pub fn allocate_disks(&mut self, vmid: u32) {
        let Some(g) = self.guests.get(&vmid).cloned() else {
            return;
        };
        for disk in g.disks() {
            if disk.cdrom && !disk.volid.ends_with("-cloudinit") {
                continue;
            }
            if self
                .volumes
                .iter()
                .any(|v| v.volid == disk.volid && v.vmid == Some(vmid))
            {
                continue;
            }
            if let Some(mut v) = self.disk_volume(&g, &disk) {
                v.ctime = self.now;
                self.volumes.push(v);
            }
        }
    }
}
