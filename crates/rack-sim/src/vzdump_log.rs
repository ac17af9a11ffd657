//! What a backup task says: vzdump's log for a VM or a container, to a directory storage or to
//! Proxmox Backup Server, and the archive's name.

use super::calendar::{format_archive_stamp, format_datetime};
use super::logs::Described;
use super::tasks::{LogPlan, human_bytes};
use super::world::World;

impl World {
    pub(crate) fn describe_vzdump(
        &self,
        node: &str,
        vmids: &[u32],
        storage: &str,
        mode: &str,
        compress: &str,
        failing: &[u32],
    ) -> Described {
        let mut plan = LogPlan::default();
        let now = self.now;
        let rate = 600.0 * (1u64 << 20) as f64;
        let sizes: Vec<f64> = vmids
            .iter()
            .map(|v| {
                self.guests
                    .get(v)
                    .map(|g| {
                        g.disks()
                            .iter()
                            .filter(|d| !d.cdrom)
                            .map(|d| d.size as f64)
                            .sum::<f64>()
                    })
                    .unwrap_or(0.0)
            })
            .collect();
        let secs: Vec<f64> = sizes.iter().map(|s| 4.0 + s / rate).collect();
        let duration: f64 = 2.0 + secs.iter().sum::<f64>();
        let ids = vmids
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        plan.at(0.0, format!("INFO: starting new backup job: vzdump {ids} --storage {storage} --mode {mode} --compress {compress} --node {node}"));
        let mut t = 1.0;
        for ((vmid, size), span) in vmids.iter().zip(&sizes).zip(&secs) {
            let f = |x: f64| x / duration;
            let Some(g) = self.guests.get(vmid) else {
                continue;
            };
            let kind = g.type_name();
            plan.at(f(t), format!("INFO: Starting Backup of VM {vmid} ({kind})"));
            plan.at(
                f(t),
                format!("INFO: Backup started at {}", format_datetime(now + t)),
            );
            plan.at(
                f(t),
                format!(
                    "INFO: status = {}",
                    if g.running() { "running" } else { "stopped" }
                ),
            );
            plan.at(f(t), format!("INFO: VM Name: {}", g.name()));
            for d in g.disks().iter().filter(|d| !d.cdrom) {
                plan.at(
                    f(t),
                    format!(
                        "INFO: include disk '{}' '{}' {}",
                        d.key,
                        d.volid,
                        rack_pve::propstr::format_disk_size(d.size)
                    ),
                );
            }
            plan.at(f(t), format!("INFO: backup mode: {mode}"));
            if failing.contains(vmid) {
                plan.at(f(t + 1.0), format!("ERROR: Backup of VM {vmid} failed - job failed with err -5 - Input/output error"));
                t += span;
                continue;
            }
            let archive = self.archive_name(storage, g.vmid, kind, now + t);
            plan.at(f(t), format!("INFO: creating vzdump archive '{archive}'"));
            for pct in [10u32, 30, 50, 70, 90, 100] {
                let x = t + (span - 2.0) * f64::from(pct) / 100.0;
                plan.at(
                    f(x),
                    format!(
                        "INFO: {pct:>3}% ({} of {}) in {}s, read: {}/s, write: {}/s",
                        human_bytes(size * f64::from(pct) / 100.0),
                        human_bytes(*size),
                        (x - t).round(),
                        human_bytes(rate),
                        human_bytes(rate * 0.3)
                    ),
                );
            }
            plan.at(
                f(t + span - 1.0),
                format!("INFO: archive file size: {}", human_bytes(size * 0.25)),
            );
            plan.at(
                f(t + span - 0.5),
                format!(
                    "INFO: Finished Backup of VM {vmid} ({})",
                    super::calendar::format_hms(*span)
                ),
            );
            t += span;
        }
        plan.at(
            1.0,
            if vmids.iter().any(|v| failing.contains(v)) {
                "INFO: Backup job finished with errors".to_string()
            } else {
                "INFO: Backup job finished successfully".to_string()
            },
        );
        Described {
            kind: "vzdump",
            id: if vmids.len() == 1 {
                vmids[0].to_string()
            } else {
                String::new()
            },
            duration,
            lock: Some("backup"),
            plan,
        }
    }

    /// Where vzdump writes an archive: a file path, or a PBS snapshot name.
    pub fn archive_name(&self, storage: &str, vmid: u32, kind: &str, t: f64) -> String {
        let def = self.storage(storage);
        if def.is_some_and(|s| s.kind == "pbs") {
            let ty = if kind == "lxc" { "ct" } else { "vm" };
            return format!("{ty}/{vmid}/{}", format_datetime(t).replace(' ', "T") + "Z");
        }
        let dir = def
            .and_then(|s| s.path.clone())
            .unwrap_or_else(|| format!("/mnt/pve/{storage}"));
        let ext = if kind == "lxc" { "tar.zst" } else { "vma.zst" };
        format!(
            "{dir}/dump/vzdump-{kind}-{vmid}-{}.{ext}",
            format_archive_stamp(t)
        )
    }
}
