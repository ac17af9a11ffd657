//! Backups that exist when the simulation starts (as if the jobs had run for a while), and
//! pruning by the jobs' retention settings (`keep-last`, `keep-daily`, …) as vzdump does.

use std::collections::BTreeSet;

use super::calendar::civil_from_days;
use super::dynamics::SYSTEM_USER;
use super::tasks::Work;
use super::world::World;

/// Days of finished backup tasks a node's task list holds at the start (the archives go back
/// as far as the scenario's `backup_days`).
const TASK_DAYS: f64 = 31.0;

/// Put `days` of each job's history on its storage, pruned like the real job would leave it,
/// and the last month of its runs in the nodes' task lists: one vzdump task per node and run,
/// its log naming the archives the storage lists.
pub fn place_backup_history(world: &mut World, days: u32) {
    let now = world.now;
    let from = now - f64::from(days) * 86_400.0;
    let jobs = world.backup_jobs.clone();
    for job in &jobs {
        let Some(schedule) = &job.schedule else {
            continue;
        };
        if !job.def.enabled {
            continue;
        }
        let runs = schedule.between(from, now);
        let by_node = world.job_guests_by_node(&job.def);
        for (i, run) in runs.iter().enumerate() {
            // The last two runs failed for these guests: their newest backup is overdue.
            let failing: Vec<u32> = if i + 2 >= runs.len() {
                job.def.failing.clone()
            } else {
                Vec::new()
            };
            // A node's share of the job starts a little after the schedule says.
            for (k, (node, vmids)) in by_node.iter().enumerate() {
                let start = run + 40.0 + 90.0 * k as f64;
                let (_, duration) = world.vzdump_plan(vmids);
                if start + duration > now {
                    continue;
                }
                world.place_backups(vmids, &job.def.storage, start, &failing);
                if now - start <= TASK_DAYS * 86_400.0 {
                    let work = Work::backup_run(&job.def, vmids.clone(), failing.clone());
                    world.record_finished(node, work, start);
                }
            }
        }
        prune_backups(world, &job.def.storage);
    }
    // PBS verifies what it holds: everything but the last day is verified, one snapshot failed.
    let mut failed_one = false;
    for v in world.volumes.iter_mut().filter(|v| v.content == "backup") {
        let pbs = v.format.starts_with("pbs-");
        if pbs && now - v.ctime > 86_400.0 {
            v.verified = Some(failed_one || v.vmid != Some(201));
            failed_one |= v.vmid == Some(201);
        }
    }
}

/// Apply each job's retention to its guests' backups on `storage`.
pub fn prune_backups(world: &mut World, storage: &str) {
    let jobs: Vec<_> = world
        .backup_jobs
        .iter()
        .filter(|j| j.def.storage == storage)
        .map(|j| j.def.clone())
        .collect();
    for job in jobs {
        let Some(rules) = job.prune_backups.as_deref() else {
            continue;
        };
        for vmid in world.job_guests(&job) {
            let backups: Vec<(String, f64, bool)> = world
                .volumes
                .iter()
                .filter(|v| v.content == "backup" && v.storage == storage && v.vmid == Some(vmid))
                .map(|v| (v.volid.clone(), v.ctime, v.protected))
                .collect();
            let keep = retained(&backups, rules);
            world.volumes.retain(|v| {
                !(v.content == "backup" && v.storage == storage && v.vmid == Some(vmid))
                    || keep.contains(&v.volid)
            });
        }
    }
}

/// Which backups a `keep-…` rule set keeps (Proxmox's prune simulation): each option, in order
/// last, hourly, daily, weekly, monthly, yearly, keeps the newest backup of each of its next N
/// periods that no earlier option already covered. Protected backups are always kept.
fn retained(backups: &[(String, f64, bool)], rules: &str) -> BTreeSet<String> {
    let mut sorted: Vec<&(String, f64, bool)> = backups.iter().collect();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut keep: BTreeSet<String> = sorted.iter().filter(|b| b.2).map(|b| b.0.clone()).collect();
    let rule = |name: &str| -> usize {
        rules
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| k.trim() == name)
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0)
    };
    let any_rule = [
        "keep-last",
        "keep-hourly",
        "keep-daily",
        "keep-weekly",
        "keep-monthly",
        "keep-yearly",
        "keep-all",
    ]
    .iter()
    .any(|r| rules.contains(r));
    if !any_rule || rule("keep-all") > 0 {
        return backups.iter().map(|b| b.0.clone()).collect();
    }
    // Each rule keeps the newest backup of every period; a period is named by a number.
    type PeriodOf = fn(f64) -> i64;
    let periods: [(&str, PeriodOf); 6] = [
        ("keep-last", |t| (t * 1000.0) as i64),
        ("keep-hourly", |t| (t / 3600.0).floor() as i64),
        ("keep-daily", |t| (t / 86_400.0).floor() as i64),
        ("keep-weekly", |t| {
            ((t / 86_400.0).floor() as i64 + 3).div_euclid(7)
        }),
        ("keep-monthly", |t| {
            let (y, m, _) = civil_from_days((t / 86_400.0).floor() as i64);
            y * 12 + i64::from(m)
        }),
        ("keep-yearly", |t| {
            civil_from_days((t / 86_400.0).floor() as i64).0
        }),
    ];
    for (name, period) in periods {
        let mut n = rule(name);
        let mut seen = BTreeSet::new();
        // Periods already covered by a kept backup do not count again.
        for b in &sorted {
            if keep.contains(&b.0) {
                seen.insert(period(b.1));
            }
        }
        for b in &sorted {
            if n == 0 {
                break;
            }
            let p = period(b.1);
            if seen.insert(p) {
                keep.insert(b.0.clone());
                n -= 1;
            }
        }
    }
    keep
}

impl World {
    /// A task that ran and ended before the simulation began: its log as it was written,
    /// ended as `finish_task` ends one, the work not applied again (the caller placed what it
    /// left behind).
    pub(crate) fn record_finished(&mut self, node: &str, work: Work, start: f64) {
        let now = self.now;
        self.now = start;
        let d = self.describe(node, &work);
        self.spawn(node, SYSTEM_USER, work, d);
        self.now = now;
        if let Some(t) = self.tasks.last_mut() {
            let end = t.end.min(now);
            t.end_done(end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn daily(days: usize) -> Vec<(String, f64, bool)> {
        (0..days)
            .map(|d| {
                (
                    format!("b{d}"),
                    1_795_262_400.0 - d as f64 * 86_400.0,
                    false,
                )
            })
            .collect()
    }

    #[test]
    fn keep_daily_keeps_the_newest_n_days() {
        let kept = retained(&daily(30), "keep-daily=7");
        assert_eq!(kept.len(), 7);
        assert!(kept.contains("b0") && kept.contains("b6") && !kept.contains("b7"));
    }

    #[test]
    fn keep_last_and_weekly_combine() {
        let kept = retained(&daily(30), "keep-last=2,keep-weekly=3");
        assert!(kept.contains("b0") && kept.contains("b1"));
        // b0 and b1 cover this week already, which does not count: weekly adds three more.
        assert_eq!(kept.len(), 5, "{kept:?}");
        assert!(kept.contains("b6") && kept.contains("b13") && kept.contains("b20"));
    }

    #[test]
    fn no_rules_keep_everything() {
        assert_eq!(retained(&daily(5), "").len(), 5);
    }
}
