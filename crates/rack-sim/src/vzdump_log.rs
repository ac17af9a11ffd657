//! What a backup task says: vzdump's log for a VM or a container, to a directory storage or to
//! Proxmox Backup Server, and the archive's name.

use super::calendar::{format_archive_stamp, format_datetime};
use super::logs::Described;
use super::tasks::{LogPlan, human_bytes};
use super::world::World;

/// What a backup run copies: each guest's disks, at a fixed rate.
const RATE: f64 = 600.0 * (1u64 << 20) as f64;

/// One guest of a backup run: when (seconds after the task starts) its backup begins, how
/// long it takes and how much it reads.
#[derive(Debug, Clone, Copy)]
pub struct VzdumpGuest {
    pub vmid: u32,
    pub offset: f64,
    pub span: f64,
    pub bytes: f64,
}

/// The archive vzdump writes for `bytes` of disk: compressed, and thin disks are mostly empty.
/// The log's "archive file size" and the storage listing's `size` both come from here.
pub fn archive_size(bytes: u64) -> u64 {
    bytes / 100 * 12 + (64 << 20)
}

/// A size as `PVE::Tools::render_bytes` writes it: binary units, two places.
fn render_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes.max(0.0);
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}", UNITS[unit])
}

/// A size as vzdump's log writes it (`PVE::VZDump::format_size`): whole KB and MB, GB and TB
/// to two places, no space.
pub fn vzdump_size(bytes: u64) -> String {
    let kb = bytes as f64 / 1024.0;
    let mb = kb / 1024.0;
    let gb = mb / 1024.0;
    if kb < 1024.0 {
        format!("{}KB", kb as u64)
    } else if mb < 1024.0 {
        format!("{}MB", mb as u64)
    } else if gb < 1024.0 {
        format!("{gb:.2}GB")
    } else {
        format!("{:.2}TB", gb / 1024.0)
    }
}

impl World {
    /// The run of a backup task over `vmids`, guest by guest, and its whole duration.
    pub(crate) fn vzdump_plan(&self, vmids: &[u32]) -> (Vec<VzdumpGuest>, f64) {
        let mut at = 1.0;
        let mut plan = Vec::new();
        for vmid in vmids {
            let bytes = self
                .guests
                .get(vmid)
                .map(|g| {
                    g.disks()
                        .iter()
                        .filter(|d| !d.cdrom)
                        .map(|d| d.size as f64)
                        .sum::<f64>()
                })
                .unwrap_or(0.0);
            let span = 4.0 + bytes / RATE;
            plan.push(VzdumpGuest {
                vmid: *vmid,
                offset: at,
                span,
                bytes,
            });
            at += span;
        }
        (plan, at + 1.0)
    }

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
        let (guests, duration) = self.vzdump_plan(vmids);
        let ids = vmids
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        plan.at(0.0, format!("INFO: starting new backup job: vzdump {ids} --storage {storage} --mode {mode} --compress {compress} --node {node}"));
        for guest in &guests {
            let (vmid, t, span, size) = (&guest.vmid, guest.offset, &guest.span, &guest.bytes);
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
                continue;
            }
            let archive = self.archive_name(storage, g.vmid, kind, now + t);
            let pbs = self.storage(storage).is_some_and(|s| s.kind == "pbs");
            if pbs {
                plan.at(
                    f(t),
                    format!("INFO: creating Proxmox Backup Server archive '{archive}'"),
                );
            } else {
                plan.at(f(t), format!("INFO: creating vzdump archive '{archive}'"));
            }
            for pct in [10u32, 30, 50, 70, 90, 100] {
                let x = t + (span - 2.0) * f64::from(pct) / 100.0;
                plan.at(
                    f(x),
                    format!(
                        "INFO: {pct:>3}% ({} of {}) in {}s, read: {}/s, write: {}/s",
                        human_bytes(size * f64::from(pct) / 100.0),
                        human_bytes(*size),
                        (x - t).round(),
                        human_bytes(RATE),
                        human_bytes(RATE * 0.3)
                    ),
                );
            }
            // qemu-server's backup says what it read; a container's (tar or PBS) does not.
            if kind == "qemu" {
                plan.at(
                    f(t + span - 1.0),
                    format!(
                        "INFO: transferred {} in {} seconds ({}/s)",
                        render_bytes(*size),
                        (span - 2.0).round(),
                        render_bytes(RATE)
                    ),
                );
            }
            // PBS keeps chunks, not a file: vzdump says the size of a file it wrote only.
            if !pbs {
                plan.at(
                    f(t + span - 1.0),
                    format!(
                        "INFO: archive file size: {}",
                        vzdump_size(archive_size(*size as u64))
                    ),
                );
            }
            plan.at(
                f(t + span - 0.5),
                format!(
                    "INFO: Finished Backup of VM {vmid} ({})",
                    super::calendar::format_hms(*span)
                ),
            );
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
