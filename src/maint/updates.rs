//! What waits on a node's software: the upgrades its last package-list refresh found, how old
//! that refresh is, and whether a reboot is due — a newer kernel installed than the one running,
//! or one the upgrade brings in.

use std::cmp::Ordering;

use serde::Serialize;

use crate::model::text::{clean, clean_opt, duration};
use crate::pve::debversion::{self, kernel_release};
use crate::pve::types::AptPackage;

/// A refresh older than this is worth doing again before trusting the list.
pub const STALE_AFTER: u64 = 2 * 86_400;

/// One package the upgrade changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upgrade {
    pub package: String,
    /// The version installed; `None` for a package the upgrade brings in.
    pub from: Option<String>,
    pub to: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Updates {
    /// `None` when the list could not be read (`unread` says why).
    pub upgrades: Option<Vec<Upgrade>>,
    pub unread: Option<String>,
    /// Seconds since the package lists were last refreshed, when a refresh is on record.
    pub refreshed_ago: Option<u64>,
    /// The kernel release the node runs.
    pub running_kernel: Option<String>,
    /// The newest kernel release installed.
    pub newest_kernel: Option<String>,
    /// A newer kernel is installed than the one running.
    pub reboot_due: bool,
    /// The kernel the node boots after the upgrade and a reboot, when not the one it runs.
    pub next_kernel: Option<String>,
}

impl Updates {
    /// From `/apt/update` (or why it could not be read), `/apt/versions`, the running kernel as
    /// the node's status gives it, and the age of the last refresh.
    pub fn read(
        upgrades: Result<Vec<AptPackage>, String>,
        versions: &[AptPackage],
        running: Option<String>,
        refreshed_ago: Option<u64>,
    ) -> Self {
        let (upgrades, unread) = match upgrades {
            Ok(list) => {
                let mut out: Vec<Upgrade> = list
                    .into_iter()
                    .filter_map(|p| {
                        Some(Upgrade {
                            package: clean(p.package.as_deref()?),
                            from: p.old_version.as_deref().map(clean),
                            to: clean_opt(p.version.as_deref()),
                        })
                    })
                    .collect();
                out.sort_by(|a, b| a.package.cmp(&b.package));
                (Some(out), None)
            }
            Err(why) => (None, Some(why)),
        };
        let installed =
            |p: &&AptPackage| p.current_state.as_deref().is_none_or(|s| s == "Installed");
        let newest_kernel = versions
            .iter()
            .filter(installed)
            .filter_map(|p| {
                let release = kernel_release(p.package.as_deref()?)?;
                let version = p.old_version.as_deref().or(p.version.as_deref())?;
                Some((release, version))
            })
            .max_by(|a, b| debversion::compare(a.1, b.1))
            .map(|(release, _)| clean(release));
        let running_kernel = running
            .or_else(|| versions.iter().find_map(|p| p.running_kernel.clone()))
            .map(|k| clean(&k));
        let mut updates = Updates {
            upgrades,
            unread,
            refreshed_ago,
            running_kernel,
            newest_kernel,
            reboot_due: false,
            next_kernel: None,
        };
        updates.reboot_due = updates.compute_reboot_due();
        updates.next_kernel = updates.compute_next_kernel();
        updates
    }

    /// A kernel the upgrade installs: a kernel package it brings in, newest first.
    pub fn coming_kernel(&self) -> Option<&str> {
        self.upgrades
            .iter()
            .flatten()
            .filter_map(|u| Some((kernel_release(&u.package)?, u.to.as_str())))
            .max_by(|a, b| debversion::compare(a.1, b.1))
            .map(|(release, _)| release)
    }

    fn compute_reboot_due(&self) -> bool {
        match (&self.running_kernel, &self.newest_kernel) {
            (Some(running), Some(newest)) => running != newest,
            _ => false,
        }
    }

    fn compute_next_kernel(&self) -> Option<String> {
        let candidates = [self.coming_kernel(), self.newest_kernel.as_deref()];
        let newest = candidates
            .into_iter()
            .flatten()
            .max_by(|a, b| release_order(a, b))?;
        (Some(newest) != self.running_kernel.as_deref()).then(|| newest.to_string())
    }

    /// The report's lines: (verdict, text), `true` for a line that asks for attention.
    pub fn lines(&self) -> Vec<(bool, String)> {
        let mut out = Vec::new();
        let age = self.refreshed_ago.map_or(
            "no refresh of the package lists is on record".to_string(),
            |s| format!("package lists refreshed {} ago", duration(s)),
        );
        match (&self.upgrades, &self.unread) {
            (Some(list), _) if list.is_empty() => out.push((false, format!("up to date ({age})"))),
            (Some(list), _) => {
                out.push((true, format!("{} packages upgradable ({age})", list.len())));
                for u in list {
                    let from = u.from.as_deref().unwrap_or("new");
                    out.push((false, format!("    {} {from} → {}", u.package, u.to)));
                }
            }
            (None, why) => out.push((
                true,
                format!(
                    "upgrades not read: {}",
                    why.as_deref().unwrap_or("no answer")
                ),
            )),
        }
        if self.refreshed_ago.is_none_or(|age| age > STALE_AFTER) {
            out.push((
                true,
                "refresh the package lists before relying on them".to_string(),
            ));
        }
        match (&self.running_kernel, &self.newest_kernel) {
            (Some(running), Some(newest)) if self.reboot_due => out.push((
                true,
                format!("reboot due: runs kernel {running}, {newest} is installed"),
            )),
            (Some(running), _) => out.push((false, format!("runs kernel {running}"))),
            (None, _) => out.push((true, "the running kernel is not known".to_string())),
        }
        if let Some(coming) = self.coming_kernel() {
            out.push((
                true,
                format!("the upgrade installs kernel {coming}: a reboot follows it"),
            ));
        }
        out
    }
}

/// Kernel releases in order: `6.17.4-1-pve` after `6.17.2-1-pve`.
fn release_order(a: &str, b: &str) -> Ordering {
    debversion::compare(a.trim_end_matches("-pve"), b.trim_end_matches("-pve"))
}
