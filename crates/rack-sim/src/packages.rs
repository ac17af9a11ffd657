//! What each node has installed and what the repository offers it, as Proxmox's APT API shows
//! them (`GET /nodes/{node}/apt/update`, `/apt/versions`, the `aptupdate` task), and the kernel a
//! node boots.
//!
//! The simulator has no node shell yet, so a reboot or shutdown asked through the API stands for
//! the usual "upgrade, then reboot": it installs the upgrades the node lists, and the node boots
//! the newest kernel it has installed.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rack_pve::debversion::{self, kernel_release};
use rack_pve::types::AptPackage;

use super::scenario::{NodeDef, Software, UpgradeDef};
use super::tasks::Work;
use super::world::{Node, World};

/// A node's software: packages and their installed versions, the kernel it runs, and when its
/// package lists were last refreshed.
#[derive(Debug, Clone)]
pub struct Packages {
    pub installed: BTreeMap<String, String>,
    pub running_kernel: String,
}

/// Packages every node has beside the kernels and pve-manager, with the versions of a PVE 9.1
/// node; `/apt/versions` lists them by name after the kernels.
const BASE: &[(&str, &str)] = &[
    ("corosync", "3.1.9-pve2"),
    ("libpve-common-perl", "9.0.15"),
    ("libpve-storage-perl", "9.1.0"),
    ("lxc-pve", "6.0.5-3"),
    ("proxmox-backup-client", "4.1.0-1"),
    ("proxmox-kernel-helper", "9.0.4"),
    ("pve-cluster", "9.0.7"),
    ("pve-container", "6.0.18"),
    ("pve-firmware", "3.17-2"),
    ("pve-ha-manager", "5.0.8"),
    ("pve-qemu-kvm", "10.1.2-4"),
    ("qemu-server", "9.1.3"),
    ("zfsutils-linux", "2.3.4-pve1"),
];

/// The package that installs kernel `release` (6.17.2-1-pve) and its version (6.17.2-1).
fn kernel_package(release: &str) -> (String, String) {
    let version = release.trim_end_matches("-pve").to_string();
    (format!("proxmox-kernel-{release}-signed"), version)
}

/// The series meta package of a kernel version: 6.17.2-1 → proxmox-kernel-6.17.
fn kernel_series(version: &str) -> String {
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or("6");
    let minor = parts.next().unwrap_or("0");
    format!("proxmox-kernel-{major}.{minor}")
}

impl Packages {
    pub fn new(software: &Software, node: &NodeDef, ceph: Option<&str>) -> Self {
        let mut installed: BTreeMap<String, String> = BASE
            .iter()
            .map(|(p, v)| (p.to_string(), v.to_string()))
            .collect();
        let release = software
            .pve_version
            .rsplit_once('.')
            .map_or("9.1", |(r, _)| r);
        installed.insert("proxmox-ve".into(), format!("{release}.0"));
        installed.insert("pve-manager".into(), software.pve_version.clone());
        if let Some(ceph) = ceph {
            let version = if ceph.contains('-') {
                ceph.to_string()
            } else {
                format!("{ceph}-pve1")
            };
            installed.insert("ceph".into(), version.clone());
            installed.insert("ceph-fuse".into(), version);
        }
        let mut packages = Packages {
            installed,
            running_kernel: software.kernel.clone(),
        };
        packages.install_kernel(&software.kernel);
        if let Some(newer) = &node.kernel_installed {
            packages.install_kernel(newer);
        }
        packages
    }

    fn install_kernel(&mut self, release: &str) {
        let (package, version) = kernel_package(release);
        let series = kernel_series(&version);
        let newer = self
            .installed
            .get(&series)
            .is_none_or(|v| debversion::compare(&version, v) == Ordering::Greater);
        if newer {
            self.installed.insert(series, version.clone());
        }
        self.installed.insert(package, version);
    }

    /// The newest kernel release installed.
    pub fn newest_kernel(&self) -> Option<&str> {
        self.installed
            .iter()
            .filter_map(|(p, v)| Some((kernel_release(p)?, v)))
            .max_by(|a, b| debversion::compare(a.1, b.1))
            .map(|(release, _)| release)
    }

    /// The repository's versions that are newer than this node's, or not installed here.
    fn upgrades<'a>(&self, node: &str, offered: &'a [UpgradeDef]) -> Vec<&'a UpgradeDef> {
        offered
            .iter()
            .filter(|u| u.nodes.is_empty() || u.nodes.iter().any(|n| n == node))
            .filter(|u| {
                self.installed
                    .get(&u.package)
                    .is_none_or(|have| debversion::compare(&u.version, have) == Ordering::Greater)
            })
            .collect()
    }
}

fn title_of(package: &str) -> String {
    match package {
        "proxmox-ve" => "Proxmox Virtual Environment".into(),
        "pve-manager" => "Proxmox Virtual Environment Management Tools".into(),
        "qemu-server" => "Qemu Server Tools".into(),
        "pve-qemu-kvm" => "Full virtualization on x86 hardware".into(),
        p if p.starts_with("proxmox-kernel-") => "Proxmox Kernel Image".into(),
        p => format!("{p} package"),
    }
}

fn entry(package: &str, old: Option<&str>, version: &str, u: Option<&UpgradeDef>) -> AptPackage {
    AptPackage {
        package: Some(package.to_string()),
        title: Some(
            u.and_then(|u| u.title.clone())
                .unwrap_or_else(|| title_of(package)),
        ),
        description: Some(format!(
            "This is the {package} package of Proxmox VE, as the simulator installs it."
        )),
        old_version: old.map(str::to_string),
        version: Some(version.to_string()),
        origin: Some(u.map_or("Proxmox", |u| u.origin.as_str()).to_string()),
        priority: Some("optional".into()),
        section: Some(u.map_or("admin", |u| u.section.as_str()).to_string()),
        arch: Some(if package == "proxmox-ve" || package == "pve-manager" {
            "all".into()
        } else {
            "amd64".into()
        }),
        ..AptPackage::default()
    }
}

impl World {
    /// `GET /nodes/{node}/apt/update`: the upgrades the node would install, as its last refresh
    /// found them (Proxmox sends them in apt's cache order, unsorted; here by name).
    pub fn apt_updates(&self, node: &Node) -> Vec<AptPackage> {
        node.packages
            .upgrades(node.name(), &self.software.upgrades)
            .into_iter()
            .map(|u| {
                let old = node.packages.installed.get(&u.package).map(String::as_str);
                entry(&u.package, old, &u.version, Some(u))
            })
            .collect()
    }

    /// `GET /nodes/{node}/apt/versions`: proxmox-ve (with the running kernel), pve-manager (with
    /// the running API's version), the installed kernels newest first, then the rest by name.
    pub fn apt_versions(&self, node: &Node) -> Vec<AptPackage> {
        let p = &node.packages;
        let offered = p.upgrades(node.name(), &self.software.upgrades);
        let candidate = |package: &str, have: &str| {
            offered
                .iter()
                .find(|u| u.package == package)
                .map_or(have.to_string(), |u| u.version.clone())
        };
        let is_kernel = |name: &str| {
            (name.starts_with("proxmox-kernel-") || name.starts_with("pve-kernel-"))
                && name != "proxmox-kernel-helper"
        };
        let mut kernels: Vec<(&String, &String)> = p
            .installed
            .iter()
            .filter(|(name, _)| is_kernel(name))
            .collect();
        kernels.sort_by(|a, b| debversion::compare(b.1, a.1));
        let first = ["proxmox-ve", "pve-manager"];
        let mut order: Vec<&String> = p
            .installed
            .keys()
            .filter(|k| first.contains(&k.as_str()))
            .collect();
        order.sort_by_key(|k| first.iter().position(|f| f == k));
        order.extend(kernels.iter().map(|(k, _)| *k));
        order.extend(
            p.installed
                .keys()
                .filter(|k| !is_kernel(k) && !first.contains(&k.as_str())),
        );
        order
            .into_iter()
            .map(|name| {
                let have = &p.installed[name];
                let mut e = entry(name, Some(have), &candidate(name, have), None);
                e.current_state = Some("Installed".into());
                if name == "proxmox-ve" {
                    e.running_kernel = Some(p.running_kernel.clone());
                }
                if name == "pve-manager" {
                    e.manager_version = Some(format!("{have}/{}", self.software.repoid));
                }
                e
            })
            .collect()
    }

    /// Install what the node lists as upgradable (the upgrade a node shell would run).
    pub fn install_upgrades(&mut self, node: &str) {
        let offered = self.software.upgrades.clone();
        let Some(n) = self.node_mut(node) else { return };
        let todo: Vec<UpgradeDef> = n
            .packages
            .upgrades(node, &offered)
            .into_iter()
            .cloned()
            .collect();
        for u in todo {
            n.packages.installed.insert(u.package, u.version);
        }
    }

    /// A node that boots runs the newest kernel it has.
    pub fn boot_newest_kernel(&mut self, node: &str) {
        if let Some(n) = self.node_mut(node)
            && let Some(newest) = n.packages.newest_kernel().map(str::to_string)
        {
            n.packages.running_kernel = newest;
        }
    }

    /// The daily refreshes each node ran before the simulation started, as finished tasks.
    pub fn place_apt_history(&mut self, hours_ago: f64) {
        let now = self.now;
        let names: Vec<String> = self
            .nodes
            .iter()
            .filter(|n| n.online())
            .map(|n| n.name().to_string())
            .collect();
        // pve-daily-update runs once a day, at a random minute on each node; the task lists
        // hold the last week of it.
        for day in (0..7).rev() {
            for (i, name) in names.iter().enumerate() {
                // A refresh takes seconds; none starts later than a minute ago.
                let start = (now - hours_ago * 3600.0 - f64::from(day) * 86_400.0
                    + 97.0 * i as f64)
                    .min(now - 60.0);
                let work = Work::AptUpdate { node: name.clone() };
                self.record_finished(name, work, start);
            }
        }
    }
}
