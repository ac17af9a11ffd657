//! Everything the screen shows, in one value: the clusters' snapshots and the rows derived from
//! them, which pane is open, what is selected, sorted and filtered, and what is being typed.

use std::time::SystemTime;

use ratatui_textarea::TextArea;

use super::pane::Pane;
use crate::config::keymap::Keymap;
use crate::model::sort::{compare_hosts, compare_instances};
use crate::model::{
    ClusterSnapshot, Filter, GuestKind, HostRow, InstanceRow, SortKey, Summary, host_rows,
    instance_rows,
};

/// One configured cluster as last seen.
#[derive(Debug, Clone)]
pub struct ClusterView {
    pub name: String,
    pub read_only: bool,
    /// `None` until the first poll has answered or failed.
    pub snapshot: Option<Box<ClusterSnapshot>>,
    pub hosts: Vec<HostRow>,
    pub instances: Vec<InstanceRow>,
    pub summary: Summary,
}

impl ClusterView {
    pub fn new(name: impl Into<String>, read_only: bool) -> Self {
        Self {
            name: name.into(),
            read_only,
            snapshot: None,
            hosts: Vec::new(),
            instances: Vec::new(),
            summary: Summary::default(),
        }
    }

    /// Take a new snapshot whole, with the rows and summary derived from it.
    pub fn replace(&mut self, snapshot: Box<ClusterSnapshot>) {
        self.hosts = host_rows(&snapshot);
        self.instances = instance_rows(&snapshot);
        self.summary = Summary::of(&snapshot, &self.hosts, &self.instances);
        self.snapshot = Some(snapshot);
    }
}

/// Which rows of a pane are shown, in what order, and which is selected.
#[derive(Debug, Clone, PartialEq)]
pub struct TableState {
    pub sort: SortKey,
    pub descending: bool,
    /// The filter as typed.
    pub filter_text: String,
    pub filter: Filter,
    /// Indices into the cluster's rows, filtered and sorted.
    pub visible: Vec<usize>,
    /// Position in `visible`.
    pub selected: usize,
    /// First position in `visible` on screen.
    pub offset: usize,
}

impl TableState {
    pub fn new(sort: SortKey) -> Self {
        Self {
            sort,
            descending: false,
            filter_text: String::new(),
            filter: Filter::default(),
            visible: Vec::new(),
            selected: 0,
            offset: 0,
        }
    }

    pub fn set_filter(&mut self, text: &str) {
        self.filter_text = text.to_string();
        self.filter = Filter::parse(text);
    }

    /// Move the selection by `delta` rows, staying within the rows.
    pub fn step(&mut self, delta: isize) {
        let last = self.visible.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Keep the selection on screen in a window of `height` rows.
    pub fn scroll_into_view(&mut self, height: usize) {
        let height = height.max(1);
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        // A shrunken list or a grown window should not leave blank rows below.
        let max_offset = self.visible.len().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
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

#[derive(Debug, Clone)]
pub struct Model {
    pub clusters: Vec<ClusterView>,
    pub current: usize,
    pub pane: Pane,
    pub hosts: TableState,
    pub instances: TableState,
    /// `:vm` and `:ct` narrow the instances pane to one kind.
    pub kind: Option<GuestKind>,
    pub input: Input,
    pub help: bool,
    /// The selected row's detail fills the body.
    pub detail: bool,
    pub keymap: Keymap,
    pub notices: Vec<Notice>,
    /// Confirmed actions, oldest first: this session's and the journal's recent history.
    pub jobs: Vec<crate::actions::Job>,
    /// Jobs that failed or ended unknown and the user has not yet seen.
    pub alerts: Vec<crate::actions::JobId>,
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
            pane: Pane::Hosts,
            hosts: TableState::new(SortKey::Node),
            instances: TableState::new(SortKey::Vmid),
            kind: None,
            input: Input::None,
            help: false,
            detail: false,
            keymap,
            notices: Vec::new(),
            jobs: Vec::new(),
            alerts: Vec::new(),
            now,
            simulated: None,
            size: (80, 24),
            quit: false,
        }
    }

    pub fn cluster(&self) -> Option<&ClusterView> {
        self.clusters.get(self.current)
    }

    /// The current cluster's last snapshot.
    pub fn snapshot(&self) -> Option<&ClusterSnapshot> {
        self.cluster()?.snapshot.as_deref()
    }

    /// The table state of the open pane, if it is a table.
    pub fn table(&self) -> Option<&TableState> {
        match self.pane {
            Pane::Hosts => Some(&self.hosts),
            Pane::Instances => Some(&self.instances),
            _ => None,
        }
    }

    pub fn table_mut(&mut self) -> Option<&mut TableState> {
        match self.pane {
            Pane::Hosts => Some(&mut self.hosts),
            Pane::Instances => Some(&mut self.instances),
            _ => None,
        }
    }

    pub fn selected_host(&self) -> Option<&HostRow> {
        let cluster = self.cluster()?;
        cluster
            .hosts
            .get(*self.hosts.visible.get(self.hosts.selected)?)
    }

    pub fn selected_instance(&self) -> Option<&InstanceRow> {
        let cluster = self.cluster()?;
        cluster
            .instances
            .get(*self.instances.visible.get(self.instances.selected)?)
    }

    /// What is selected, by key rather than position: (node, VMID).
    pub fn selection(&self) -> (Option<String>, Option<u32>) {
        (
            self.selected_host().map(|h| h.node.clone()),
            self.selected_instance().map(|i| i.vmid),
        )
    }

    /// Recompute which rows both tables show, keeping the same rows selected.
    pub fn refresh_views(&mut self) {
        let keep = self.selection();
        self.refresh_views_keeping(keep);
    }

    /// Recompute which rows both tables show, selecting `keep`'s rows when they are still there.
    pub fn refresh_views_keeping(&mut self, keep: (Option<String>, Option<u32>)) {
        let (host_key, vmid) = keep;
        let Some(cluster) = self.clusters.get(self.current) else {
            return;
        };

        let t = &mut self.hosts;
        t.visible = (0..cluster.hosts.len())
            .filter(|&i| t.filter.matches_host(&cluster.hosts[i]))
            .collect();
        t.visible.sort_by(|&a, &b| {
            compare_hosts(t.sort, t.descending, &cluster.hosts[a], &cluster.hosts[b])
        });
        if let Some(pos) =
            host_key.and_then(|key| t.visible.iter().position(|&i| cluster.hosts[i].node == key))
        {
            t.selected = pos;
        }

        let kind = self.kind;
        let t = &mut self.instances;
        let rows = &cluster.instances;
        t.visible = (0..rows.len())
            .filter(|&i| {
                kind.is_none_or(|k| rows[i].kind == k) && t.filter.matches_instance(&rows[i])
            })
            .collect();
        t.visible
            .sort_by(|&a, &b| compare_instances(t.sort, t.descending, &rows[a], &rows[b]));
        if let Some(pos) = vmid.and_then(|v| t.visible.iter().position(|&i| rows[i].vmid == v)) {
            t.selected = pos;
        }
        let height = self.page_height();
        self.hosts.scroll_into_view(height);
        self.instances.scroll_into_view(height);
    }

    /// Rows of the table on screen.
    pub fn page_height(&self) -> usize {
        crate::ui::table_height(self)
    }

    pub fn notify(&mut self, level: Level, text: impl Into<String>) {
        self.notices.push(Notice {
            level,
            text: text.into(),
        });
    }
}
