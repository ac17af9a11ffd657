//! What fits at which width: every pane's columns from 40 to 300 cells with figures of every
//! magnitude never show a figure cut short, and the columns a narrow terminal keeps are the ones
//! a user needs there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use crate::common::console::{Console, key};
use rack::config::theme::Theme;

/// Each cell of `rows` under `columns` at `width`, checked: a figure is shown whole, text is
/// shown whole or cut on the right with `…`. The failures, described.
fn cut_cells<R>(
    pane: &str,
    columns: &[rack::ui::Column<R>],
    rows: &[R],
    width: u16,
) -> Vec<String> {
    let theme = Theme::default();
    let fitted = rack::ui::fit(columns, rows, width, &theme);
    let mut bad = Vec::new();
    for (row, cells) in rows.iter().zip(&fitted.cells) {
        for (&i, cell) in fitted.columns.iter().zip(cells) {
            let full = (columns[i].cell)(row, &theme).to_string();
            let shown = cell.to_string();
            let fine = if columns[i].number {
                shown == full
            } else {
                shown == full
                    || shown
                        .strip_suffix('…')
                        .is_some_and(|kept| full.starts_with(kept))
            };
            if !fine {
                bad.push(format!(
                    "{pane} {} at {width}: {full:?} shown as {shown:?}",
                    columns[i].title
                ));
            }
        }
    }
    bad
}

/// Every pane's columns at every width from 40 to 300, on the homelab with a host down, its
/// figures set to every magnitude: no cell is a figure cut short (1006 MiB read as `06 MiB`).
#[tokio::test]
async fn no_pane_shows_a_figure_cut_short_at_any_width() {
    use rack::ui::columns::*;
    let mut c = Console::faulted(160, 45).await;
    for k in ['1', '2', '3', '4', '5', '6', '7', '8'] {
        c.keys(&[key(k)]).await;
    }
    let m = &mut c.model;
    assert!(!m.backups.rows.is_empty() && !m.ceph.rows.is_empty() && !m.networks.rows.is_empty());
    let mut bad = Vec::new();
    let magnitudes: Vec<u64> = (0..64)
        .flat_map(|e| [1u64 << e, (1u64 << e) - 1, (1u64 << e) / 1000 * 999])
        .collect();
    for &n in &magnitudes {
        let small = u32::try_from(n % 1_000_000_000).unwrap();
        let mut hosts = m.clusters[0].hosts.clone();
        for h in &mut hosts {
            h.usage.mem = Some(n / 3);
            h.usage.maxmem = Some(n);
            h.usage.disk = Some(n);
            h.usage.maxdisk = h.usage.maxdisk.map(|d| d.max(n));
            h.uptime = Some(n % (1 << 40));
            h.guests_total = small as usize;
            h.load = Some(n as f64 / 7.0);
        }
        let mut instances = m.clusters[0].instances.clone();
        for i in &mut instances {
            i.vmid = small.max(100);
            i.usage.mem = Some(n);
            i.usage.maxmem = Some(n.saturating_mul(2));
            i.usage.maxdisk = Some(n);
            i.uptime = Some(n % (1 << 40));
        }
        let mut tasks = m.tasks.rows.clone();
        for t in &mut tasks {
            t.ago = Some(n % (1 << 40));
            t.took = Some(n % (1 << 36));
        }
        let mut backups = m.backups.rows.clone();
        for b in &mut backups {
            b.vmid = small.max(100);
            b.size = Some(n);
            b.age = Some(n % (1 << 40));
        }
        let mut nets = m.networks.rows.clone();
        for l in &mut nets {
            l.guests = small as usize;
            for mtu in l.mtu.values_mut() {
                *mtu = n % 100_000;
            }
        }
        let mut devices = m.devices.rows.clone();
        for d in &mut devices {
            d.iommu_group = Some(n);
        }
        for width in (40..=300).step_by(13) {
            bad.extend(cut_cells("hosts", HOST_COLUMNS, &hosts, width));
            bad.extend(cut_cells("instances", INSTANCE_COLUMNS, &instances, width));
            bad.extend(cut_cells("tasks", TASK_COLUMNS, &tasks, width));
            bad.extend(cut_cells("backups", BACKUP_COLUMNS, &backups, width));
            bad.extend(cut_cells("networks", NET_COLUMNS, &nets, width));
            bad.extend(cut_cells("devices", DEVICE_COLUMNS, &devices, width));
            bad.extend(cut_cells("ceph", CEPH_COLUMNS, &m.ceph.rows, width));
            bad.extend(cut_cells("ha", HA_COLUMNS, &m.ha.rows, width));
        }
    }
    bad.dedup();
    assert!(
        bad.is_empty(),
        "{} cells cut:\n{}",
        bad.len(),
        bad[..bad.len().min(20)].join("\n")
    );
}

/// At 80 columns the Tasks pane keeps when each task started and how long it ran; the node
/// gives way first (the action names the guest, the detail the node).
#[tokio::test]
async fn tasks_at_80_columns_say_when_and_how_long() {
    let mut c = Console::start(80, 24).await;
    c.keys(&[key('7')]).await;
    let screen = c.screen();
    let header = screen
        .lines()
        .find(|l| l.contains("STATE"))
        .unwrap_or_default();
    assert!(header.contains("STARTED"), "{screen}");
    assert!(header.contains("TOOK"), "{screen}");
}
