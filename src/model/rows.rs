//! Rows of the Hosts and Instances panes, derived from snapshots: typed, with every string from the
//! API cleaned for the terminal. `rack get` prints the same rows.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::snapshot::ClusterSnapshot;
use super::text::{clean, clean_opt};
use crate::pve::types::{ClusterResource, ResourceKind, served_certificate};

/// CPU, memory and disk as /cluster/resources reports them, for hosts and guests alike.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Usage {
    /// Fraction of `maxcpu` in use.
    pub cpu: Option<f64>,
    pub maxcpu: Option<f64>,
    pub mem: Option<u64>,
    pub maxmem: Option<u64>,
    pub disk: Option<u64>,
    pub maxdisk: Option<u64>,
}

impl Usage {
    fn of(r: &ClusterResource) -> Self {
        Self {
            cpu: r.cpu,
            maxcpu: r.maxcpu,
            mem: r.mem,
            maxmem: r.maxmem,
            disk: r.disk,
            maxdisk: r.maxdisk,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HostStatus {
    Online,
    Maintenance,
    Offline,
    Unknown,
}

impl HostStatus {
    pub fn label(self) -> &'static str {
        match self {
            HostStatus::Online => "online",
            HostStatus::Maintenance => "maintenance",
            HostStatus::Offline => "offline",
            HostStatus::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostRow {
    pub cluster: String,
    pub node: String,
    pub status: HostStatus,
    #[serde(flatten)]
    pub usage: Usage,
    /// 1-minute load average (from the slower node-details poll).
    pub load: Option<f64>,
    pub uptime: Option<u64>,
    pub guests_running: usize,
    pub guests_total: usize,
    /// HA local resource manager: active, idle, maintenance…
    pub ha_lrm: Option<String>,
    /// `9.1.2`
    pub pve_version: Option<String>,
    /// When the certificate the node serves expires (Unix seconds), from its certificates.
    pub cert_expires: Option<u64>,
    /// Whole days from the last read of the cluster to that expiry (negative: expired).
    #[serde(skip)]
    pub cert_days_left: Option<i64>,
    /// What of this row the last read could not refresh, with why (`status of pve1: HTTP 500`
    /// — load and version are older or absent; `HA status: …` — the LRM state is).
    pub stale: Vec<String>,
    /// Its cluster's last read failed: the row is as last read (the all-clusters view says so).
    #[serde(skip)]
    pub cluster_stale: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuestKind {
    Qemu,
    Lxc,
}

impl GuestKind {
    pub fn label(self) -> &'static str {
        match self {
            GuestKind::Qemu => "VM",
            GuestKind::Lxc => "CT",
        }
    }

    pub fn api(self) -> &'static str {
        match self {
            GuestKind::Qemu => "qemu",
            GuestKind::Lxc => "lxc",
        }
    }

    /// The kind an API path segment or a row's `type` names.
    pub fn from_api(s: &str) -> Option<GuestKind> {
        match s {
            "qemu" => Some(GuestKind::Qemu),
            "lxc" => Some(GuestKind::Lxc),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceRow {
    pub cluster: String,
    pub vmid: u32,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: GuestKind,
    pub status: String,
    pub node: String,
    #[serde(flatten)]
    pub usage: Usage,
    pub uptime: Option<u64>,
    pub tags: Vec<String>,
    pub hastate: Option<String>,
    pub lock: Option<String>,
    pub template: bool,
    pub pool: Option<String>,
    /// Where it can be reached (no loopback or link-local), IPv4 first.
    pub ips: Vec<String>,
    /// Why no address is known, when none is (the guest agent does not run, not read yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ips_missing: Option<String>,
    /// The same in a cell's few letters ("agent off").
    #[serde(skip)]
    pub ips_brief: Option<&'static str>,
    /// Its cluster's last read failed: the row is as last read (the all-clusters view says so).
    #[serde(skip)]
    pub cluster_stale: bool,
}

/// A certificate that expires within this many days is flagged on its host.
pub const CERT_WARN_DAYS: i64 = 30;

impl HostRow {
    /// "cert 12d" or "cert expired" when the node's certificate needs renewing soon.
    pub fn cert_flag(&self) -> Option<String> {
        match self.cert_days_left? {
            d if d < 0 => Some("cert expired".into()),
            d if d < CERT_WARN_DAYS => Some(format!("cert {d}d")),
            _ => None,
        }
    }
}

/// Hosts of one cluster, in the order the API lists them.
pub fn host_rows(snap: &ClusterSnapshot) -> Vec<HostRow> {
    let Some(resources) = snap.resources.get() else {
        return Vec::new();
    };
    // Only nodes the HA stack knows of have an LRM state; without HA resources there is none.
    let lrm = |node: &str| -> Option<String> {
        let item = snap
            .ha
            .get()?
            .iter()
            .find(|i| i.kind == "lrm" && i.node.as_deref() == Some(node))?;
        let crm = snap
            .ha_manager
            .get()
            .and_then(|m| m.node_status.get(node))
            .map(String::as_str);
        Some(super::ha::lrm_label(item.status.as_deref(), crm))
    };
    // Counted in one pass: a pass per node is 640,000 comparisons at 64 nodes / 10,000 guests,
    // which was the largest part of what the console spent on a refresh.
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for g in resources
        .iter()
        .filter(|g| is_guest(g) && g.template != Some(true))
    {
        if let Some(node) = g.node.as_deref() {
            let (running, total) = counts.entry(node).or_default();
            *running += usize::from(g.status.as_deref() == Some("running"));
            *total += 1;
        }
    }
    resources
        .iter()
        .filter(|r| r.kind == ResourceKind::Node)
        .filter_map(|r| {
            let node = r.node.as_deref()?;
            let (running, total) = counts.get(node).copied().unwrap_or_default();
            let ha_lrm = lrm(node);
            let online = r.status.as_deref() == Some("online");
            let status = match (online, ha_lrm.as_deref()) {
                (true, Some("maintenance")) => HostStatus::Maintenance,
                (true, _) => HostStatus::Online,
                (false, _) if r.status.as_deref() == Some("offline") => HostStatus::Offline,
                _ => HostStatus::Unknown,
            };
            let detail = snap.nodes.get(node).and_then(|d| d.status.get());
            let mut stale = Vec::new();
            if let Some(e) = snap.nodes.get(node).and_then(|d| d.status.error.as_deref())
                && online
            {
                stale.push(clean(&format!("status of {node}: {e}")));
            }
            if let Some(e) = &snap.ha.error {
                stale.push(clean(&format!("HA status: {e}")));
            }
            if let Some(e) = snap.metrics.error.as_deref().filter(|_| online) {
                stale.push(clean(&format!("metrics export: {e}")));
            }
            let cert_expires = snap
                .certs
                .get(node)
                .and_then(|c| c.get())
                .and_then(|c| served_certificate(c))
                .and_then(|c| c.notafter);
            let read_at = snap
                .resources
                .fetched_at
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64);
            let cert_days_left = cert_expires
                .and_then(|until| i64::try_from(until).ok())
                .zip(read_at)
                .map(|(until, at)| until.saturating_sub(at).div_euclid(86_400));
            Some(HostRow {
                cluster: clean(&snap.cluster),
                node: clean(node),
                status,
                usage: Usage::of(r),
                // The export's is the newer (each 10 s); a node's status is read less often.
                load: match snap.metrics.get() {
                    Some(m) if m.available => m.load(node),
                    _ => detail.and_then(|d| d.loadavg.first().copied()),
                },
                uptime: r.uptime,
                guests_running: running,
                guests_total: total,
                ha_lrm: ha_lrm.map(|s| clean(&s)),
                pve_version: detail
                    .and_then(|d| d.pveversion.as_deref())
                    .map(|v| clean(v.split('/').nth(1).unwrap_or(v))),
                cert_expires,
                cert_days_left,
                stale,
                cluster_stale: false,
            })
        })
        .collect()
}

fn is_guest(r: &ClusterResource) -> bool {
    matches!(r.kind, ResourceKind::Qemu | ResourceKind::Lxc)
}

/// Guests of one cluster, by VMID.
pub fn instance_rows(snap: &ClusterSnapshot) -> Vec<InstanceRow> {
    let Some(resources) = snap.resources.get() else {
        return Vec::new();
    };
    // The HA manager's own view of each service (what the HA pane shows) is newer than the
    // resource list's `hastate`, which a dead node's last report keeps at "started" while the
    // CRM fences it.
    let crm: std::collections::BTreeMap<&str, &str> = snap
        .ha
        .get()
        .map(|items| {
            items
                .iter()
                .filter(|i| i.kind == "service")
                .filter_map(|i| {
                    let state = i.crm_state.as_deref().or(i.state.as_deref())?;
                    Some((i.sid.as_deref()?, state))
                })
                .collect()
        })
        .unwrap_or_default();
    // Sized at once: 10,000 rows grown by doubling hold 16,384 slots, and both buffers while
    // the last one grows.
    let mut rows: Vec<InstanceRow> =
        Vec::with_capacity(resources.iter().filter(|r| is_guest(r)).count());
    rows.extend(resources.iter().filter(|r| is_guest(r)).filter_map(|r| {
        let vmid = r.vmid?;
        let kind = if r.kind == ResourceKind::Lxc {
            GuestKind::Lxc
        } else {
            GuestKind::Qemu
        };
        Some(InstanceRow {
            cluster: clean(&snap.cluster),
            vmid,
            name: clean_opt(r.name.as_deref()),
            kind,
            status: clean_opt(r.status.as_deref()),
            node: clean_opt(r.node.as_deref()),
            usage: Usage::of(r),
            uptime: r.uptime,
            tags: r
                .tags
                .as_deref()
                .map(|t| {
                    t.split([';', ',', ' '])
                        .filter(|s| !s.is_empty())
                        .map(clean)
                        .collect()
                })
                .unwrap_or_default(),
            hastate: crm
                .get(
                    format!(
                        "{}:{vmid}",
                        if kind == GuestKind::Lxc { "ct" } else { "vm" }
                    )
                    .as_str(),
                )
                .copied()
                .or(r.hastate.as_deref())
                .map(clean),
            lock: r.lock.as_deref().map(clean),
            template: r.template.unwrap_or(false),
            pool: r.pool.as_deref().map(clean),
            ips: Vec::new(),
            ips_missing: None,
            ips_brief: None,
            cluster_stale: false,
        })
        .map(|mut row| {
            let running = row.status == "running";
            match snap.addresses.get(&vmid).filter(|_| running) {
                Some(known) => {
                    row.ips = known.reachable();
                    row.ips_missing = known.why_none();
                    row.ips_brief = known.brief();
                }
                // Not read (yet, or not at all above guest_addresses_up_to): selecting
                // the guest reads it.
                None if running => {
                    row.ips_missing = Some("not read: selecting the guest reads it".into());
                }
                None => {}
            }
            row
        })
    }));
    // VMIDs are unique in a cluster; a stable sort would copy all the rows aside.
    rows.sort_unstable_by_key(|r| r.vmid);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::snapshot::Source;
    use crate::pve::types::HaStatusItem;
    use std::time::SystemTime;

    fn resource(json: &str) -> ClusterResource<'static> {
        serde_json::from_str(json).unwrap()
    }

    fn snapshot() -> ClusterSnapshot {
        let now = SystemTime::UNIX_EPOCH;
        let mut s = ClusterSnapshot::new("lab");
        s.resources = Source::fresh(
            vec![
                resource(
                    r#"{"id":"node/a","type":"node","node":"a","status":"online","cpu":0.5,"maxcpu":8}"#,
                ),
                resource(r#"{"id":"node/b","type":"node","node":"b","status":"offline"}"#),
                resource(
                    r#"{"id":"qemu/101","type":"qemu","vmid":101,"node":"a","status":"running","name":"web\u001b[31m","tags":"k8s;prod"}"#,
                ),
                resource(
                    r#"{"id":"lxc/200","type":"lxc","vmid":"200","node":"a","status":"stopped","name":"ct"}"#,
                ),
                resource(
                    r#"{"id":"qemu/9000","type":"qemu","vmid":9000,"node":"a","status":"stopped","template":1}"#,
                ),
            ],
            now,
        );
        s.ha = Source::fresh(
            vec![HaStatusItem {
                id: "lrm:a".into(),
                kind: "lrm".into(),
                node: Some("a".into()),
                status: Some("a (maintenance mode, Fri)".into()),
                ..HaStatusItem::default()
            }],
            now,
        );
        s
    }

    #[test]
    fn hosts_count_guests_and_read_ha_state() {
        let rows = host_rows(&snapshot());
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].status, HostStatus::Maintenance);
        assert_eq!(rows[0].ha_lrm.as_deref(), Some("maintenance"));
        assert_eq!((rows[0].guests_running, rows[0].guests_total), (1, 2));
        assert_eq!(rows[1].status, HostStatus::Offline);
        assert_eq!((rows[1].guests_running, rows[1].guests_total), (0, 0));
    }

    #[test]
    fn instances_are_cleaned_and_typed() {
        let rows = instance_rows(&snapshot());
        assert_eq!(
            rows.iter().map(|r| r.vmid).collect::<Vec<_>>(),
            [101, 200, 9000]
        );
        assert_eq!(rows[0].name, "web[31m");
        assert_eq!(rows[0].tags, ["k8s", "prod"]);
        assert_eq!(rows[1].kind, GuestKind::Lxc);
        assert!(rows[2].template);
    }
}
