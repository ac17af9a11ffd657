//! How each of the model's pane rows filters and sorts: its key, its filter fields, and the
//! value each of its columns sorts by.

use std::cmp::Ordering;

use super::{Row, Value, has};
use crate::action::SortKey;
use crate::model::backups::BackupRow;
use crate::model::ceph_view::CephRow;
use crate::model::devices::DeviceRow;
use crate::model::ha::{HaKind, HaRow};
use crate::model::networks::NetworkRow;
use crate::model::rows::{HostRow, InstanceRow};
use crate::model::sort::{compare_hosts, compare_instances};

/// `vmid:10` keeps 101 and 1010: a VMID term is a prefix.
fn vmid_matches(vmid: u32, want: &str) -> bool {
    vmid.to_string().starts_with(want)
}

impl Row for HostRow {
    type Key = String;
    const FIELDS: &'static [&'static str] = &[
        "node", "name", "status", "state", "ha", "version", "cluster",
    ];
    const SORTS: &'static [(SortKey, &'static str)] = &[
        (SortKey::Node, "NODE"),
        // A node's name is its NODE column: `sort-name` sorts by it too.
        (SortKey::Name, "NODE"),
        (SortKey::Status, "STATUS"),
        (SortKey::Cpu, "CPU"),
        (SortKey::Mem, "MEM"),
        (SortKey::Disk, "DISK"),
        (SortKey::Load, "LOAD"),
        (SortKey::Uptime, "UPTIME"),
        (SortKey::Guests, "GUESTS"),
        (SortKey::Ha, "HA"),
        (SortKey::Version, "VERSION"),
    ];

    fn key(&self) -> String {
        self.node.clone()
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

    /// Hosts compare by their own rules (`compare_hosts`); this is not used.
    fn sort_value(&self, _key: SortKey) -> Value<'_> {
        Value::Text(None)
    }

    fn compare(&self, other: &Self, key: SortKey, descending: bool) -> Ordering {
        compare_hosts(key, descending, self, other)
    }
}

impl Row for InstanceRow {
    type Key = u32;
    const FIELDS: &'static [&'static str] = &[
        "name", "vmid", "node", "status", "state", "type", "kind", "tag", "pool", "ha", "lock",
        "cluster",
    ];
    const SORTS: &'static [(SortKey, &'static str)] = &[
        (SortKey::Vmid, "VMID"),
        (SortKey::Name, "NAME"),
        (SortKey::Type, "TYPE"),
        (SortKey::Status, "STATUS"),
        (SortKey::Node, "NODE"),
        (SortKey::Cpu, "CPU"),
        (SortKey::Mem, "MEM"),
        (SortKey::Disk, "DISK"),
        (SortKey::Uptime, "UPTIME"),
        (SortKey::Tags, "TAGS"),
        (SortKey::Ha, "HA"),
        (SortKey::Lock, "LOCK"),
        (SortKey::Template, "TPL"),
        (SortKey::Pool, "POOL"),
    ];

    fn key(&self) -> u32 {
        self.vmid
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
    }

    /// Instances compare by their own rules (`compare_instances`); this is not used.
    fn sort_value(&self, _key: SortKey) -> Value<'_> {
        Value::Text(None)
    }

    fn compare(&self, other: &Self, key: SortKey, descending: bool) -> Ordering {
        compare_instances(key, descending, self, other)
    }
}

impl Row for DeviceRow {
    type Key = (Option<String>, String, String);
    const FIELDS: &'static [&'static str] = &[
        "pool", "class", "type", "node", "state", "status", "name", "path", "id",
    ];
    const SORTS: &'static [(SortKey, &'static str)] = &[
        (SortKey::Pool, "POOL"),
        (SortKey::Type, "CLASS"),
        (SortKey::Node, "NODE"),
        (SortKey::Status, "STATE"),
        (SortKey::Name, "DEVICE"),
        (SortKey::Path, "PATH"),
        (SortKey::Vmid, "ID"),
        (SortKey::Iommu, "IOMMU"),
        (SortKey::Tags, "FLAGS"),
    ];

    fn key(&self) -> Self::Key {
        (self.pool.clone(), self.node.clone(), self.path.clone())
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
            _ => false,
        }
    }

    fn text_matches(&self, word: &str) -> bool {
        has(&self.text(), word)
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
    const SORTS: &'static [(SortKey, &'static str)] = &[
        (SortKey::Type, "KIND"),
        (SortKey::Name, "NAME"),
        (SortKey::Node, "NODES"),
        (SortKey::Mtu, "MTU"),
        (SortKey::Guests, "GUESTS"),
        (SortKey::Info, "INFO"),
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
    const SORTS: &'static [(SortKey, &'static str)] = &[
        (SortKey::Type, "KIND"),
        (SortKey::Name, "NAME"),
        (SortKey::Status, "STATE"),
        (SortKey::Node, "HOST"),
        (SortKey::Disk, "USED"),
        (SortKey::Info, "INFO"),
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
    type Key = u32;
    const FIELDS: &'static [&'static str] = &[
        "vmid", "name", "node", "type", "kind", "storage", "job", "state", "status", "cluster",
    ];
    const SORTS: &'static [(SortKey, &'static str)] = &[
        (SortKey::Vmid, "VMID"),
        (SortKey::Name, "NAME"),
        (SortKey::Node, "NODE"),
        (SortKey::Uptime, "LAST"),
        (SortKey::Disk, "SIZE"),
        (SortKey::Pool, "STORAGE"),
        (SortKey::Status, "VERIFY"),
        (SortKey::Info, "WARNING"),
    ];

    fn key(&self) -> u32 {
        self.vmid
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
    type Key = (HaKind, String);
    const FIELDS: &'static [&'static str] = &[
        "kind", "type", "name", "state", "status", "node", "vmid", "guest",
    ];
    const SORTS: &'static [(SortKey, &'static str)] = &[
        (SortKey::Type, "KIND"),
        (SortKey::Name, "NAME"),
        (SortKey::Status, "STATE"),
        (SortKey::Node, "NODE"),
        (SortKey::Vmid, "GUEST"),
        (SortKey::Info, "INFO"),
    ];

    fn key(&self) -> Self::Key {
        (self.kind, self.name.clone())
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
            _ => false,
        }
    }

    fn text_matches(&self, word: &str) -> bool {
        has(&self.text(), word)
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
