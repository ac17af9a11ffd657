//! How each of the model's pane rows filters and sorts: its key, its filter fields, and the
//! value each of its columns sorts by.

use std::cmp::Ordering;

use super::columns::Column;
use super::{Row, Value, compare_values, has};
use crate::action::SortKey;
use crate::model::backups::{BackupRow, BackupState};
use crate::model::ceph_view::CephRow;
use crate::model::devices::DeviceRow;
use crate::model::ha::{HaKind, HaRow};
use crate::model::networks::{NetworkRow, guests_text, nodes_text};
use crate::model::rows::{HostRow, InstanceRow};
use crate::model::text::{bytes, duration, used_of};

/// `14%`.
fn percent(fraction: f64) -> String {
    format!("{:.0}%", fraction * 100.0)
}

/// A row's problems, said as such (`PROBLEM: …`), else its information.
fn problem_or(problems: &[String], info: &str) -> String {
    if problems.is_empty() {
        info.to_string()
    } else {
        format!("PROBLEM: {}", problems.join("; "))
    }
}

/// `vmid:10` keeps 101 and 1010: a VMID term is a prefix.
fn vmid_matches(vmid: u32, want: &str) -> bool {
    vmid.to_string().starts_with(want)
}

impl Row for HostRow {
    /// (cluster, node): the all-clusters view lists nodes of several clusters.
    type Key = (String, String);
    const FIELDS: &'static [&'static str] = &[
        "node", "name", "status", "state", "ha", "version", "cluster",
    ];
    const COLUMNS: &'static [Column<Self>] = &[
        Column::new("NODE", SortKey::Node, |r, _| {
            Some(match r.cert_flag() {
                Some(flag) => format!("{} ({flag})", r.node),
                None => r.node.clone(),
            })
        }),
        Column::new("STATUS", SortKey::Status, |r, _| {
            Some(r.status.label().into())
        }),
        Column::new("CPU", SortKey::Cpu, |r, _| r.usage.cpu.map(percent)),
        Column::new("MEM", SortKey::Mem, |r, _| {
            Some(used_of(r.usage.mem, r.usage.maxmem))
        }),
        Column::new("ROOT DISK", SortKey::Disk, |r, _| {
            Some(used_of(r.usage.disk, r.usage.maxdisk))
        }),
        Column::new("LOAD", SortKey::Load, |r, _| {
            r.load.map(|l| format!("{l:.2}"))
        }),
        Column::new("UPTIME", SortKey::Uptime, |r, _| {
            r.uptime.filter(|u| *u > 0).map(duration)
        }),
        Column::new("GUESTS", SortKey::Guests, |r, _| {
            Some(format!("{}/{}", r.guests_running, r.guests_total))
        }),
        Column::new("HA", SortKey::Ha, |r, _| r.ha_lrm.clone()),
        Column::new("VERSION", SortKey::Version, |r, _| r.pve_version.clone()),
    ];
    // A node's name is its NODE column: `sort-name` sorts by it too.
    const ALIASES: &'static [(SortKey, SortKey)] = &[(SortKey::Name, SortKey::Node)];

    fn key(&self) -> Self::Key {
        (self.cluster.clone(), self.node.clone())
    }

    fn field_matches(&self, field: &str, want: &str) -> bool {
        match field {
            "node" | "name" => has(&self.node, want),
            "status" | "state" => has(self.status.label(), want),
            "ha" => self.ha_lrm.as_deref().is_some_and(|h| has(h, want)),
            "version" => self.pve_version.as_deref().is_some_and(|v| has(v, want)),
            "cluster" => has(&self.cluster, want),
            _ => false,
        }
    }

    fn text_matches(&self, word: &str) -> bool {
        has(&self.node, word) || has(self.status.label(), word) || has(&self.cluster, word)
    }

    fn sort_value(&self, key: SortKey) -> Value<'_> {
        let u = &self.usage;
        match key {
            SortKey::Node | SortKey::Name => Value::text(&self.node),
            // Online first, then maintenance, offline, unknown.
            SortKey::Status => Value::number(self.status as u8),
            SortKey::Cpu => Value::Number(u.cpu),
            SortKey::Mem => Value::Number(u.mem.map(|m| m as f64)),
            SortKey::Disk => Value::Number(u.disk.map(|d| d as f64)),
            SortKey::Load => Value::Number(self.load),
            SortKey::Uptime => Value::Number(self.uptime.map(|s| s as f64)),
            SortKey::Guests => Value::number(self.guests_running as f64),
            SortKey::Ha => Value::Text(self.ha_lrm.as_deref().map(Into::into)),
            SortKey::Version => Value::Text(self.pve_version.as_deref().map(Into::into)),
            _ => Value::Text(None),
        }
    }

    /// Rows that tie stay in name order.
    fn tie(&self, other: &Self) -> Ordering {
        compare_values(Value::text(&self.node), Value::text(&other.node), false)
    }
}

impl Row for InstanceRow {
    /// (cluster, VMID): VMIDs repeat across clusters.
    type Key = (String, u32);
    const FIELDS: &'static [&'static str] = &[
        "name", "vmid", "node", "status", "state", "type", "kind", "tag", "pool", "ha", "lock",
        "cluster", "ip",
    ];
    const COLUMNS: &'static [Column<Self>] = &[
        Column::new("VMID", SortKey::Vmid, |r, _| Some(r.vmid.to_string())),
        Column::new("NAME", SortKey::Name, |r, _| Some(r.name.clone())),
        Column::new("TYPE", SortKey::Type, |r, _| Some(r.kind.label().into())),
        Column::new("STATUS", SortKey::Status, |r, _| Some(r.status.clone())),
        Column::new("NODE", SortKey::Node, |r, _| Some(r.node.clone())),
        // The pane's text column: where to reach the guest.
        Column::new("IP", SortKey::Info, |r, _| r.ips.first().cloned()),
        Column::new("CPU", SortKey::Cpu, |r, _| {
            r.usage.cpu.filter(|_| r.status == "running").map(percent)
        }),
        Column::new("MEM", SortKey::Mem, |r, _| {
            let used = r.usage.mem.filter(|_| r.status == "running");
            Some(used_of(used, r.usage.maxmem))
        }),
        Column::new("DISK", SortKey::Disk, |r, _| {
            r.usage.maxdisk.filter(|d| *d > 0).map(bytes)
        }),
        Column::new("UPTIME", SortKey::Uptime, |r, _| {
            r.uptime.filter(|u| *u > 0).map(duration)
        }),
        Column::new("TAGS", SortKey::Tags, |r, _| Some(r.tags.join(","))),
        Column::new("HA", SortKey::Ha, |r, _| r.hastate.clone()),
        Column::new("LOCK", SortKey::Lock, |r, _| r.lock.clone()),
        Column::new("TPL", SortKey::Template, |r, _| {
            r.template.then(|| "yes".into())
        }),
        Column::new("POOL", SortKey::Pool, |r, _| r.pool.clone()),
    ];

    fn key(&self) -> Self::Key {
        (self.cluster.clone(), self.vmid)
    }

    fn field_matches(&self, field: &str, want: &str) -> bool {
        let is = |text: &str| has(text, want);
        match field {
            "name" => is(&self.name),
            "vmid" => vmid_matches(self.vmid, want),
            "node" => is(&self.node),
            "status" | "state" => is(&self.status),
            "type" | "kind" => is(self.kind.label()) || is(self.kind.api()),
            "tag" => self.tags.iter().any(|t| t.to_lowercase() == want),
            "pool" => self.pool.as_deref().is_some_and(is),
            "ha" => self.hastate.as_deref().is_some_and(is),
            "lock" => self.lock.as_deref().is_some_and(is),
            "cluster" => is(&self.cluster),
            // A prefix, as addresses are read: ip:10.8.28. is that subnet.
            "ip" => self
                .ips
                .iter()
                .any(|ip| ip.to_lowercase().starts_with(want)),
            _ => false,
        }
    }

    fn text_matches(&self, word: &str) -> bool {
        let is = |text: &str| has(text, word);
        is(&self.name)
            || (word.bytes().all(|b| b.is_ascii_digit()) && self.vmid.to_string().contains(word))
            || is(&self.node)
            || is(&self.status)
            || self.tags.iter().any(|t| is(t))
            || self.pool.as_deref().is_some_and(is)
            || self.lock.as_deref().is_some_and(is)
            || is(&self.cluster)
    }

    fn sort_value(&self, key: SortKey) -> Value<'_> {
        let u = &self.usage;
        match key {
            SortKey::Vmid => Value::number(self.vmid),
            SortKey::Name => Value::text(&self.name),
            // VMs, then containers.
            SortKey::Type => Value::number(self.kind as u8),
            SortKey::Status => Value::text(&self.status),
            SortKey::Node => Value::text(&self.node),
            SortKey::Cpu => Value::Number(u.cpu),
            SortKey::Mem => Value::Number(u.mem.map(|m| m as f64)),
            SortKey::Disk => Value::Number(u.maxdisk.map(|d| d as f64)),
            SortKey::Uptime => Value::Number(self.uptime.map(|s| s as f64)),
            SortKey::Tags => Value::Text(self.tags.first().map(|t| t.as_str().into())),
            SortKey::Ha => Value::Text(self.hastate.as_deref().map(Into::into)),
            SortKey::Lock => Value::Text(self.lock.as_deref().map(Into::into)),
            // Templates first.
            SortKey::Template => Value::number(u8::from(!self.template)),
            SortKey::Pool => Value::Text(self.pool.as_deref().map(Into::into)),
            SortKey::Info => match self.ips.first() {
                Some(ip) => Value::owned(address_order(ip)),
                None => Value::Text(None),
            },
            _ => Value::Text(None),
        }
    }

    /// Rows that tie stay in VMID order.
    fn tie(&self, other: &Self) -> Ordering {
        self.vmid.cmp(&other.vmid)
    }
}

impl Row for DeviceRow {
    /// (cluster, pool, node, path).
    type Key = (String, Option<String>, String, String);
    const FIELDS: &'static [&'static str] = &[
        "pool", "class", "type", "node", "state", "status", "name", "path", "id", "cluster",
    ];
    const COLUMNS: &'static [Column<Self>] = &[
        Column::new("POOL", SortKey::Pool, |r, _| {
            Some(r.pool.clone().unwrap_or_else(|| "(none)".into()))
        }),
        Column::new("CLASS", SortKey::Type, |r, _| Some(r.class.to_string())),
        Column::new("NODE", SortKey::Node, |r, _| Some(r.node.clone())),
        Column::new("STATE", SortKey::Status, |r, _| Some(r.state())),
        Column::new("DEVICE", SortKey::Name, |r, _| Some(r.name.clone())),
        Column::new("PATH", SortKey::Path, |r, _| Some(r.path.clone())),
        Column::new("ID", SortKey::Vmid, |r, _| Some(r.id.clone())),
        Column::new("IOMMU", SortKey::Iommu, |r, _| {
            r.iommu_group.map(|g| g.to_string())
        }),
        Column::new("FLAGS", SortKey::Tags, |r, _| Some(r.flags().join(","))),
    ];

    fn key(&self) -> Self::Key {
        (
            self.cluster.clone(),
            self.pool.clone(),
            self.node.clone(),
            self.path.clone(),
        )
    }

    fn field_matches(&self, field: &str, want: &str) -> bool {
        match field {
            "pool" => has(self.pool.as_deref().unwrap_or("unpooled"), want),
            "class" | "type" => has(&self.class.to_string(), want),
            "node" => has(&self.node, want),
            "state" | "status" => has(&self.state(), want),
            "name" => has(&self.name, want),
            "path" => has(&self.path, want),
            "id" => has(&self.id, want),
            "cluster" => has(&self.cluster, want),
            _ => false,
        }
    }

    fn text_matches(&self, word: &str) -> bool {
        has(&self.text(), word) || has(&self.cluster, word)
    }

    fn sort_value(&self, key: SortKey) -> Value<'_> {
        match key {
            SortKey::Pool => Value::Text(self.pool.as_deref().map(Into::into)),
            SortKey::Type => Value::owned(self.class.to_string()),
            SortKey::Node => Value::text(&self.node),
            SortKey::Status => Value::owned(self.state()),
            SortKey::Name => Value::text(&self.name),
            SortKey::Path => Value::text(&self.path),
            SortKey::Vmid => Value::text(&self.id),
            SortKey::Iommu => Value::Number(self.iommu_group.map(|g| g as f64)),
            SortKey::Tags => {
                let flags: Vec<&str> = [(self.mdev, "mdev"), (self.live_migration, "live")]
                    .into_iter()
                    .filter_map(|(on, name)| on.then_some(name))
                    .collect();
                Value::owned(flags.join(","))
            }
            _ => Value::Text(None),
        }
    }
}

impl Row for NetworkRow {
    type Key = (String, String);
    const FIELDS: &'static [&'static str] = &["kind", "type", "name", "node", "cluster"];
    const COLUMNS: &'static [Column<Self>] = &[
        Column::new("KIND", SortKey::Type, |r, _| Some(r.kind.clone())),
        Column::new("NAME", SortKey::Name, |r, _| Some(r.name.clone())),
        Column::new("NODES", SortKey::Node, |r, _| Some(nodes_text(r))),
        Column::new("MTU", SortKey::Mtu, |r, _| Some(r.mtu_text())),
        Column::new("GUESTS", SortKey::Guests, |r, _| {
            (r.guests > 0 || r.uncertain()).then(|| guests_text(r))
        }),
        Column::new("INFO", SortKey::Info, |r, _| {
            Some(problem_or(&r.problems, &r.info))
        }),
    ];

    fn key(&self) -> Self::Key {
        (self.kind.clone(), self.name.clone())
    }

    fn field_matches(&self, field: &str, want: &str) -> bool {
        match field {
            "kind" | "type" => has(&self.kind, want),
            "name" => has(&self.name, want),
            "node" => self.nodes.iter().any(|n| has(n, want)),
            "cluster" => has(&self.cluster, want),
            _ => false,
        }
    }

    fn text_matches(&self, word: &str) -> bool {
        has(&self.text(), word)
    }

    fn sort_value(&self, key: SortKey) -> Value<'_> {
        match key {
            SortKey::Type => Value::text(&self.kind),
            SortKey::Name => Value::text(&self.name),
            SortKey::Node => Value::number(self.nodes.len() as f64),
            SortKey::Mtu => Value::Number(self.mtu.values().max().map(|m| *m as f64)),
            SortKey::Guests => Value::number(self.guests as f64),
            SortKey::Info => match self.problems.first() {
                Some(p) => Value::text(p),
                None => Value::text(&self.info),
            },
            _ => Value::Text(None),
        }
    }
}

impl Row for CephRow {
    type Key = (&'static str, String);
    const FIELDS: &'static [&'static str] =
        &["kind", "type", "name", "state", "status", "host", "node"];
    const COLUMNS: &'static [Column<Self>] = &[
        Column::new("KIND", SortKey::Type, |r, _| Some(r.kind().into())),
        Column::new("NAME", SortKey::Name, |r, _| Some(r.name().into())),
        Column::new("STATE", SortKey::Status, |r, _| Some(r.state())),
        Column::new("HOST", SortKey::Node, |r, _| Some(r.host().into())),
        Column::new("USED", SortKey::Disk, |r, _| r.used().map(percent)),
        Column::new("INFO", SortKey::Info, |r, _| Some(r.info())),
    ];

    fn key(&self) -> Self::Key {
        (self.kind(), self.name().to_string())
    }

    fn field_matches(&self, field: &str, want: &str) -> bool {
        match field {
            "kind" | "type" => has(self.kind(), want),
            "name" => has(self.name(), want),
            "state" | "status" => has(&self.state(), want),
            "host" | "node" => has(self.host(), want),
            _ => false,
        }
    }

    fn text_matches(&self, word: &str) -> bool {
        has(&self.text(), word)
    }

    fn sort_value(&self, key: SortKey) -> Value<'_> {
        match key {
            SortKey::Type => Value::text(self.kind()),
            SortKey::Name => Value::text(self.name()),
            SortKey::Status => Value::owned(self.state()),
            SortKey::Node => Value::text(self.host()),
            SortKey::Disk => Value::Number(self.used()),
            SortKey::Info => Value::owned(self.info()),
            _ => Value::Text(None),
        }
    }
}

impl Row for BackupRow {
    /// (cluster, VMID): VMIDs repeat across clusters.
    type Key = (String, u32);
    const FIELDS: &'static [&'static str] = &[
        "vmid", "name", "node", "type", "kind", "storage", "job", "state", "status", "cluster",
    ];
    const COLUMNS: &'static [Column<Self>] = &[
        Column::new("VMID", SortKey::Vmid, |r, _| Some(r.vmid.to_string())),
        Column::new("NAME", SortKey::Name, |r, _| Some(r.name.clone())),
        Column::new("NODE", SortKey::Node, |r, _| {
            Some(if r.state == BackupState::Gone {
                "gone".into()
            } else {
                r.node.clone()
            })
        }),
        Column::new("LAST", SortKey::Uptime, |r, _| Some(r.age_text())),
        Column::new("SIZE", SortKey::Disk, |r, _| r.size.map(bytes)),
        Column::new("STORAGE", SortKey::Pool, |r, _| r.storage.clone()),
        Column::printed("COUNT", |r, _| Some(r.count.to_string())),
        Column::printed("COVERED", |r, _| {
            Some(
                match (r.state, r.covered) {
                    (BackupState::Gone, _) => "gone",
                    (_, Some(true)) => "yes",
                    (_, Some(false)) => "NO",
                    (_, None) => "?",
                }
                .into(),
            )
        }),
        Column::new("VERIFY", SortKey::Status, |r, _| {
            r.verified
                .map(|ok| if ok { "ok" } else { "FAILED" }.to_string())
        }),
        Column::new("WARNING", SortKey::Info, |r, _| r.warning_text()),
        Column::printed("JOBS", |r, _| Some(r.jobs.join(","))),
    ];

    fn key(&self) -> Self::Key {
        (self.cluster.clone(), self.vmid)
    }

    fn field_matches(&self, field: &str, want: &str) -> bool {
        match field {
            "vmid" => vmid_matches(self.vmid, want),
            "name" => has(&self.name, want),
            "node" => has(&self.node, want),
            "type" | "kind" => has(self.kind, want),
            "storage" => self.storage.as_deref().is_some_and(|s| has(s, want)),
            "job" => self.jobs.iter().any(|j| has(j, want)),
            "state" | "status" => has(self.state.label(), want),
            "cluster" => has(&self.cluster, want),
            _ => false,
        }
    }

    fn text_matches(&self, word: &str) -> bool {
        (word.bytes().all(|b| b.is_ascii_digit()) && self.vmid.to_string().contains(word))
            || has(&self.name, word)
            || has(&self.node, word)
            || has(&self.cluster, word)
            || self.storage.as_deref().is_some_and(|s| has(s, word))
            || self.warning.as_deref().is_some_and(|w| has(w, word))
            || self.jobs.iter().any(|j| has(j, word))
    }

    fn sort_value(&self, key: SortKey) -> Value<'_> {
        match key {
            SortKey::Vmid => Value::number(self.vmid),
            SortKey::Name => Value::text(&self.name),
            SortKey::Node => Value::text(&self.node),
            // The LAST column shows the newest backup's age: the oldest sorts first.
            SortKey::Uptime => Value::Number(self.age.map(|a| a as f64)),
            SortKey::Disk => Value::Number(self.size.map(|s| s as f64)),
            SortKey::Pool => Value::Text(self.storage.as_deref().map(Into::into)),
            SortKey::Status => Value::Text(
                self.verified
                    .map(|v| if v { "ok" } else { "failed" }.into()),
            ),
            // What the WARNING column shows: the warning, else the jobs that cover it.
            SortKey::Info => match &self.warning {
                Some(w) => Value::text(w),
                None => Value::owned(self.jobs.join(",")),
            },
            _ => Value::Text(None),
        }
    }
}

impl Row for HaRow {
    /// (cluster, kind, name).
    type Key = (String, HaKind, String);
    const FIELDS: &'static [&'static str] = &[
        "kind", "type", "name", "state", "status", "node", "vmid", "guest", "cluster",
    ];
    const COLUMNS: &'static [Column<Self>] = &[
        Column::new("KIND", SortKey::Type, |r, _| Some(r.kind.label().into())),
        Column::new("NAME", SortKey::Name, |r, _| Some(r.name.clone())),
        Column::new("STATE", SortKey::Status, |r, _| Some(r.state.clone())),
        Column::new("NODE", SortKey::Node, |r, _| r.node.clone()),
        Column::new("GUEST", SortKey::Vmid, |r, _| r.guest.clone()),
        Column::new("INFO", SortKey::Info, |r, _| {
            Some(problem_or(&r.problems, &r.info))
        }),
    ];

    fn key(&self) -> Self::Key {
        (self.cluster.clone(), self.kind, self.name.clone())
    }

    fn field_matches(&self, field: &str, want: &str) -> bool {
        match field {
            "kind" | "type" => has(self.kind.label(), want),
            "name" => has(&self.name, want),
            "state" | "status" => has(&self.state, want),
            // A node's row is the node: its name is its node.
            "node" => match self.kind {
                HaKind::Node => has(&self.name, want),
                _ => self.node.as_deref().is_some_and(|n| has(n, want)),
            },
            "vmid" => self.vmid.is_some_and(|v| vmid_matches(v, want)),
            "guest" => self.guest.as_deref().is_some_and(|g| has(g, want)),
            "cluster" => has(&self.cluster, want),
            _ => false,
        }
    }

    fn text_matches(&self, word: &str) -> bool {
        has(&self.text(), word) || has(&self.cluster, word)
    }

    fn sort_value(&self, key: SortKey) -> Value<'_> {
        match key {
            SortKey::Type => Value::text(self.kind.label()),
            SortKey::Name => Value::text(&self.name),
            SortKey::Status => Value::text(&self.state),
            SortKey::Node => Value::Text(self.node.as_deref().map(Into::into)),
            // The GUEST column shows the guest's name.
            SortKey::Vmid => Value::Text(self.guest.as_deref().map(Into::into)),
            SortKey::Info => match self.problems.first() {
                Some(p) => Value::text(p),
                None => Value::text(&self.info),
            },
            _ => Value::Text(None),
        }
    }
}

/// An address as text that sorts as the address does: IPv4 octets padded (10.8.28.5 before
/// 10.8.28.40), IPv6 after every IPv4.
fn address_order(ip: &str) -> String {
    let octets: Vec<&str> = ip.split('.').collect();
    if octets.len() == 4 && octets.iter().all(|o| o.parse::<u8>().is_ok()) {
        octets
            .iter()
            .map(|o| format!("{o:0>3}"))
            .collect::<Vec<_>>()
            .join(".")
    } else {
        format!("~{ip}")
    }
}
