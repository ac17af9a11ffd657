//! Everything the screen shows, in one value: the clusters' snapshots and the rows derived from
//! them, which pane is open, what is selected, sorted and filtered, and what is being typed.

use std::time::SystemTime;

use ratatui_textarea::TextArea;

use super::fleet::Fleet;
pub use super::fleet::{GuestKey, HostKey, Selection};
use super::log_view::LogView;
pub use super::task_row::TaskRow;
use super::walk::WalkPanel;
use crate::action::{Pane, SortKey};
use crate::actions::{Job, JobId};
use crate::audit::AuditRow;
use crate::config::keymap::Keymap;
use crate::config::maintenance::MaintenanceConfig;
use crate::config::placement::PlacementConfig;
use crate::config::{NetworkAlias, SshConfig};
use crate::model::backups::{self, BackupRow};
use crate::model::ceph_view::{self, CephRow, CephSample};
use crate::model::cluster_log::{LogRow, log_rows};
use crate::model::devices::{self, DeviceOverride, DeviceRow};
use crate::model::ha::{self, HaRow};
use crate::model::networks::{self, NetworkRow};
pub use crate::model::table::{Row, Table, TableState};
use crate::model::{
    ClusterSnapshot, GuestKind, HostRow, InstanceRow, Summary, host_rows, instance_rows,
};
use crate::model::{HostStatus, tasks};

/// One configured cluster as last seen.
#[derive(Debug, Clone)]
pub struct ClusterView {
    pub name: String,
    pub read_only: bool,
    /// Network aliases from the config (name → bridge and VLAN).
    pub networks: std::collections::BTreeMap<String, NetworkAlias>,
    /// The config's manual device inventory.
    pub device_overrides: Vec<DeviceOverride>,
    /// `None` until the first poll has answered or failed.
    pub snapshot: Option<Box<ClusterSnapshot>>,
    pub hosts: Vec<HostRow>,
    pub instances: Vec<InstanceRow>,
    pub summary: Summary,
    /// Ceph client I/O and recovery of the last hour, sampled at each Ceph read.
    pub ceph_history: Vec<CephSample>,
    /// The configured endpoints, in order: the status line says when another than the first
    /// serves.
    pub endpoints: Vec<String>,
    /// Nodes seen offline, with when rack first saw them so (None: already at rack's start).
    pub offline_since: std::collections::BTreeMap<String, Option<std::time::SystemTime>>,
    /// The cluster's HA maintenance command template (else `[maintenance]`'s).
    pub ha_command: Option<String>,
    /// Its maintenance walkthrough, when one is under way or kept.
    pub walk: Option<WalkPanel>,
    /// How the ssh key reaches its machines.
    pub ssh: SshConfig,
}

impl ClusterView {
    pub fn new(name: impl Into<String>, read_only: bool) -> Self {
        Self {
            name: name.into(),
            read_only,
            networks: Default::default(),
            device_overrides: Vec::new(),
            snapshot: None,
            hosts: Vec::new(),
            instances: Vec::new(),
            summary: Summary::default(),
            ceph_history: Vec::new(),
            offline_since: Default::default(),
            endpoints: Vec::new(),
            ha_command: None,
            walk: None,
            ssh: SshConfig::default(),
        }
    }

    /// Whether its last read of the resources failed: what is shown of it is as last read.
    pub fn stale(&self) -> bool {
        self.snapshot
            .as_deref()
            .is_some_and(|s| s.resources.error.is_some())
    }

    /// Take a new snapshot whole, with the rows and summary derived from it; true when the
    /// guests' rows changed. Between reads of `/cluster/resources` (most snapshots: the probe
    /// found nothing new) what they are made of is the same, and a large cluster's ten thousand
    /// rows are not made again.
    pub fn replace(&mut self, snapshot: Box<ClusterSnapshot>) -> bool {
        self.hosts = host_rows(&snapshot);
        let first = self.snapshot.is_none();
        for h in &self.hosts {
            if h.status == HostStatus::Offline {
                let seen = if first {
                    None
                } else {
                    snapshot.resources.fetched_at
                };
                self.offline_since.entry(h.node.clone()).or_insert(seen);
            } else {
                self.offline_since.remove(&h.node);
            }
        }
        let same_guests = self.snapshot.as_deref().is_some_and(|old| {
            old.resources.answer_id() == snapshot.resources.answer_id()
                && old.ha.answer_id() == snapshot.ha.answer_id()
                && old.addresses == snapshot.addresses
                && old.cluster == snapshot.cluster
        });
        if !same_guests {
            self.instances = instance_rows(&snapshot);
        }
        self.summary = Summary::of(&snapshot, &self.hosts, &self.instances);
        if let (Some(data), Some(at)) = (snapshot.ceph.get(), snapshot.ceph.fetched_at) {
            ceph_view::record(&mut self.ceph_history, data, at);
        }
        self.snapshot = Some(snapshot);
        !same_guests
    }
}

/// What the bottom line is being used for.
#[derive(Debug, Clone, Default)]
pub enum Input {
    #[default]
    None,
    Filter(Box<TextArea<'static>>),
    Command(Box<TextArea<'static>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// A message for the user that stays until the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: Level,
    pub text: String,
}

#[derive(Debug)]
pub struct Model {
    pub clusters: Vec<ClusterView>,
    /// The cluster actions go to: the one shown, or in the all-clusters view the selected
    /// row's.
    pub current: usize,
    /// The all-clusters view (`:all`, `0`): every cluster's rows in one table each.
    pub all: bool,
    /// The Hosts and Instances rows of every cluster, while the all-clusters view is on.
    pub fleet: Fleet,
    pub pane: Pane,
    pub hosts: TableState,
    pub instances: TableState,
    /// `:vm` and `:ct` narrow the instances pane to one kind.
    pub kind: Option<GuestKind>,
    pub input: Input,
    pub help: bool,
    /// The page of help shown (0 first).
    pub help_page: usize,
    /// The selected row's detail fills the body.
    pub detail: bool,
    /// The detail beside or below the table is hidden (`v`): the table takes its room.
    pub detail_hidden: bool,
    pub keymap: Keymap,
    /// Policy, headroom, instance types and roles for the create form.
    pub placement: PlacementConfig,
    pub maintenance: MaintenanceConfig,
    pub notices: Vec<Notice>,
    /// Confirmed actions, oldest first: this session's and the journal's recent history.
    pub jobs: Vec<Job>,
    /// Jobs that failed or ended unknown and the user has not yet seen.
    pub alerts: Vec<JobId>,
    /// The tasks pane: rack's jobs and the cluster's tasks of the current cluster.
    pub tasks: Table<TaskRow>,
    /// The devices pane: pool devices and unpooled hardware of the current cluster.
    pub devices: Table<DeviceRow>,
    /// The Ceph pane: checks, daemons, OSDs, pools and flags of the current cluster.
    pub ceph: Table<CephRow>,
    /// The networks pane: one row per network name across the current cluster's nodes.
    pub networks: Table<NetworkRow>,
    /// The backups pane: per guest of the current cluster, problems first.
    pub backups: Table<BackupRow>,
    /// The HA pane: nodes, services and rules of the current cluster, trouble first.
    pub ha: Table<HaRow>,
    /// The Log pane: the current cluster's log, newest first.
    pub log: Table<LogRow>,
    /// The Audit pane: the writes rack sent to every cluster, newest first.
    pub audit: Table<AuditRow>,
    /// The audit log as last read (while the pane is open), or why it could not be; and where
    /// it is (none on the demo, whose writes are not recorded).
    pub audit_log: Option<Result<Vec<AuditRow>, String>>,
    pub audit_path: Option<std::path::PathBuf>,
    /// Guests marked for an action on several at once, as (cluster, VMID): an action takes
    /// the current cluster's.
    pub marked: std::collections::BTreeSet<GuestKey>,
    pub dialog: Option<super::dialog::Dialog>,
    /// Questions from the connections waiting for the open dialog to close, oldest first.
    pub asks: std::collections::VecDeque<super::dialog::AskDialog>,
    /// Node shells and guest consoles, and the one on screen.
    pub terminals: super::terminal::Terminals,
    /// The log followed full screen (`l`), if any.
    pub log_view: Option<LogView>,
    /// Log views opened so far (each one's id).
    pub log_views: u64,
    /// The clock the screen reads ages against, set by ticks so drawing stays pure.
    pub now: SystemTime,
    /// Running on the embedded simulator, not a configured cluster: where the config would go.
    pub simulated: Option<String>,
    /// Terminal size, for paging and layout.
    pub size: (u16, u16),
    pub quit: bool,
}

impl Model {
    pub fn new(clusters: Vec<ClusterView>, keymap: Keymap, now: SystemTime) -> Self {
        Self {
            clusters,
            current: 0,
            all: false,
            fleet: Fleet::default(),
            pane: Pane::Hosts,
            hosts: TableState::new(Some(SortKey::Node)),
            instances: TableState::new(Some(SortKey::Vmid)),
            kind: None,
            input: Input::None,
            help: false,
            help_page: 0,
            detail: false,
            detail_hidden: false,
            keymap,
            placement: Default::default(),
            maintenance: Default::default(),
            notices: Vec::new(),
            jobs: Vec::new(),
            alerts: Vec::new(),
            tasks: Table::new(None),
            devices: Table::new(None),
            ceph: Table::new(None),
            networks: Table::new(None),
            backups: Table::new(None),
            ha: Table::new(None),
            audit: Table::new(None),
            log: Table::new(None),
            audit_log: None,
            audit_path: None,
            marked: Default::default(),
            dialog: None,
            terminals: Default::default(),
            log_view: None,
            log_views: 0,
            asks: std::collections::VecDeque::new(),
            now,
            simulated: None,
            size: (80, 24),
            quit: false,
        }
    }

    pub fn cluster(&self) -> Option<&ClusterView> {
        self.clusters.get(self.current)
    }

    /// The screen's clock in Unix seconds.
    pub fn epoch(&self) -> u64 {
        self.now
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
    }

    /// The current cluster's last snapshot.
    pub fn snapshot(&self) -> Option<&ClusterSnapshot> {
        self.cluster()?.snapshot.as_deref()
    }

    /// Whether the panes show cluster `i`'s rows: the current one, or every one in the all view.
    pub fn shows(&self, i: usize) -> bool {
        self.all || i == self.current
    }

    /// The clusters whose rows the panes show.
    pub fn shown_clusters(&self) -> impl Iterator<Item = &ClusterView> {
        self.clusters
            .iter()
            .enumerate()
            .filter(|(i, _)| self.shows(*i))
            .map(|(_, c)| c)
    }

    /// Rebuild the devices pane's rows from the last device data; keep the selected row.
    pub fn refresh_devices(&mut self) {
        let mut lines = Vec::new();
        for c in self.shown_clusters() {
            let Some(d) = c.snapshot.as_deref().and_then(|s| s.devices.get()) else {
                continue;
            };
            let mut mine = devices::lines(&devices::devices_with(d, &c.device_overrides));
            for l in &mut mine {
                l.cluster.clone_from(&c.name);
            }
            lines.append(&mut mine);
        }
        self.devices.replace(lines);
    }

    /// Rebuild the Ceph pane's rows from the last read; keep the selected row.
    pub fn refresh_ceph(&mut self) {
        let lines = self
            .snapshot()
            .and_then(|s| s.ceph.get())
            .map(ceph_view::lines)
            .unwrap_or_default();
        self.ceph.replace(lines);
    }

    /// Rebuild the networks pane's rows from the last read; keep the selected row.
    pub fn refresh_networks(&mut self) {
        let lines = match (
            self.cluster(),
            self.snapshot().and_then(|s| s.networks.get()),
        ) {
            (Some(c), Some(data)) => networks::lines(&c.name, data),
            _ => Vec::new(),
        };
        self.networks.replace(lines);
    }

    /// Rebuild the HA pane's rows from the last status and config; keep the selected row.
    /// Several clusters' rows keep each cluster's order, trouble first across them.
    pub fn refresh_ha(&mut self) {
        let mut lines = Vec::new();
        for c in self.shown_clusters() {
            let Some(snap) = c.snapshot.as_deref() else {
                continue;
            };
            let mut mine = ha::lines(snap, &c.instances);
            for l in &mut mine {
                l.cluster.clone_from(&c.name);
            }
            lines.append(&mut mine);
        }
        lines.sort_by_key(|l| l.standing != ha::Standing::Trouble);
        self.ha.replace(lines);
    }

    /// Rebuild the Log pane's rows from the current cluster's log as last read.
    pub fn refresh_log(&mut self) {
        let now = self.epoch();
        let rows = match self.snapshot().and_then(|s| s.cluster_log.get()) {
            Some(entries) => log_rows(entries, now),
            None => Vec::new(),
        };
        self.log.replace(rows);
    }

    /// Rebuild the Audit pane's rows from the log as last read, newest first.
    pub fn refresh_audit(&mut self) {
        let mut rows = match &self.audit_log {
            Some(Ok(rows)) => rows.clone(),
            _ => Vec::new(),
        };
        rows.reverse();
        let now = self.epoch();
        for r in &mut rows {
            r.ago = Some(now.saturating_sub(r.time as u64));
        }
        self.audit.replace(rows);
    }

    /// Rebuild the backups pane's rows from the last read; keep the selected guest.
    pub fn refresh_backups(&mut self) {
        use crate::model::backups::{backup_rows, gone_rows};
        let now = self.epoch();
        let mut rows = Vec::new();
        for c in self.shown_clusters() {
            let Some(snap) = c.snapshot.as_deref() else {
                continue;
            };
            let Some(data) = snap.backups.get() else {
                continue;
            };
            rows.extend(backup_rows(&c.instances, data, now));
            if snap.resources.get().is_some() {
                rows.extend(gone_rows(&c.name, &c.instances, data, now));
            }
        }
        backups::by_urgency(&mut rows);
        self.backups.replace(rows);
    }

    pub fn job(&self, id: JobId) -> Option<&Job> {
        self.jobs.iter().find(|j| j.id == id)
    }

    /// The Hosts table's rows: the current cluster's, or every cluster's in the all view.
    pub fn host_rows(&self) -> &[HostRow] {
        if self.all {
            &self.fleet.hosts
        } else {
            self.cluster().map_or(&[][..], |c| &c.hosts[..])
        }
    }

    /// The Instances table's rows: the current cluster's, or every cluster's in the all view.
    pub fn instance_rows(&self) -> &[InstanceRow] {
        if self.all {
            &self.fleet.instances
        } else {
            self.cluster().map_or(&[][..], |c| &c.instances[..])
        }
    }

    /// The row selected in the Hosts table, whichever cluster it is of.
    pub fn host_at_cursor(&self) -> Option<&HostRow> {
        self.host_rows()
            .get(*self.hosts.visible.get(self.hosts.selected)?)
    }

    /// The row selected in the Instances table, whichever cluster it is of.
    pub fn instance_at_cursor(&self) -> Option<&InstanceRow> {
        self.instance_rows()
            .get(*self.instances.visible.get(self.instances.selected)?)
    }

    /// Whether `cluster` is the one actions go to.
    fn is_current(&self, cluster: &str) -> bool {
        self.cluster().is_some_and(|c| c.name == cluster)
    }

    /// The selected host, when it is of the current cluster: in the all view a row of another
    /// (the other table's, or one the selection moved to behind a dialog) is never acted on.
    pub fn selected_host(&self) -> Option<&HostRow> {
        self.host_at_cursor()
            .filter(|h| self.is_current(&h.cluster))
    }

    /// The selected guest, when it is of the current cluster (see `selected_host`).
    pub fn selected_instance(&self) -> Option<&InstanceRow> {
        self.instance_at_cursor()
            .filter(|i| self.is_current(&i.cluster))
    }

    /// Whether `vmid` of the current cluster is marked.
    pub fn is_marked(&self, cluster: &str, vmid: u32) -> bool {
        self.marked.contains(&(cluster.to_string(), vmid))
    }

    /// What is selected, by key rather than position: (cluster, node) and (cluster, VMID).
    pub fn selection(&self) -> Selection {
        (
            self.host_at_cursor().map(Row::key),
            self.instance_at_cursor().map(Row::key),
        )
    }

    /// Recompute which rows both tables show, keeping the same rows selected.
    pub fn refresh_views(&mut self) {
        let keep = self.selection();
        self.refresh_views_keeping(keep);
    }

    /// Recompute which rows both tables show, selecting `keep`'s rows when they are still there.
    pub fn refresh_views_keeping(&mut self, keep: Selection) {
        self.refresh_views_of(keep, true);
    }

    /// As `refresh_views_keeping`, the guests' table left as it is when its rows did not change.
    pub fn refresh_views_of(&mut self, keep: Selection, guests: bool) {
        let (host_key, guest_key) = keep;
        if self.all {
            self.fleet.gather(&self.clusters, guests);
        }
        let Some(cluster) = self.clusters.get(self.current) else {
            return;
        };
        let (hosts, instances) = if self.all {
            (&self.fleet.hosts, &self.fleet.instances)
        } else {
            (&cluster.hosts, &cluster.instances)
        };
        self.hosts.apply(hosts, host_key, |_| true);
        if guests {
            let kind = self.kind;
            self.instances
                .apply(instances, guest_key, |r| kind.is_none_or(|k| r.kind == k));
        }
        self.refresh_tasks();
        self.refresh_pane();
        let height = self.page_height();
        for table in self.tables_mut() {
            table.scroll_into_view(height);
        }
    }

    /// Rebuild the tasks pane's rows: the shown cluster's jobs (every cluster's in the all
    /// view), then its tasks rack did not start, newest first; keep the selected row selected.
    pub fn refresh_tasks(&mut self) {
        let mut lines: Vec<TaskRow> = Vec::new();
        for (i, cluster) in self.clusters.iter().enumerate() {
            if !self.shows(i) {
                continue;
            }
            let mut mine: Vec<TaskRow> = self
                .jobs
                .iter()
                .filter(|j| j.cluster == cluster.name)
                .map(TaskRow::of_job)
                .collect();
            if let Some(snap) = cluster.snapshot.as_deref() {
                for row in tasks::task_rows(snap) {
                    if !mine
                        .iter()
                        .any(|l| l.upid.as_deref() == Some(row.upid.as_str()))
                    {
                        mine.push(TaskRow::of_task(row));
                    }
                }
            }
            for l in &mut mine {
                l.cluster.clone_from(&cluster.name);
            }
            lines.append(&mut mine);
        }
        lines.sort_by(|a, b| b.start.total_cmp(&a.start));
        let now = self
            .now
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        for l in &mut lines {
            if l.start > 0.0 {
                l.ago = Some((now - l.start).max(0.0) as u64);
                l.took = Some((l.end.unwrap_or(now) - l.start).max(0.0) as u64);
            }
        }
        self.tasks.replace(lines);
    }

    /// Rows of the table on screen.
    pub fn page_height(&self) -> usize {
        super::layout::table_height(self)
    }

    pub fn notify(&mut self, level: Level, text: impl Into<String>) {
        self.notices.push(Notice {
            level,
            text: text.into(),
        });
    }
}
