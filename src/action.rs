//! What a key can ask for, and the names it asks with: the panes and the columns panes sort by.
//! Keymaps and the help screen name actions by the strings here, so a user's `[keys]` table reads
//! `"ctrl-r" = "refresh"`. Below the config and the console alike, so both can name them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Action {
    Quit,
    Help,
    Refresh,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Open the selected row full screen.
    Detail,
    /// Hide or show the detail beside (or below) the table, giving its room to the table.
    ToggleDetail,
    /// Close what is open: help, detail, filter; then nothing.
    Back,
    Filter,
    Command,
    NextCluster,
    PrevCluster,
    /// Every cluster's rows in one view (again: back to the selected row's cluster).
    AllClusters,
    Show(Pane),
    /// Sort the pane by the column of this name; again reverses.
    Sort(SortKey),
    /// Mark or unmark the selected row, for actions on several guests at once.
    Mark,
    /// A shell: the selected node's (Hosts) or the selected guest's console (Instances).
    Shell,
    /// Follow a log: the node's journal (Hosts), the guest's tasks (Instances), the task's log
    /// (Tasks).
    Logs,
    /// Hand the terminal to `ssh` into the selected node or guest; rack resumes when it ends.
    Ssh,
    /// The power menu of the selected (or marked) guests: start, shutdown, reboot, stop.
    Power,
    Start,
    Shutdown,
    /// Stop the selected (or marked) guests hard, or the selected task.
    Stop,
    Reboot,
    Migrate,
    /// The selected guest's snapshots: create, roll back, delete.
    Snapshots,
    /// Wake the selected powered-off node.
    Wake,
    /// The selected node's maintenance plan: pre-checks, where its guests go, the steps.
    Maintenance,
    /// The create form: a new VM or container.
    Create,
    /// The clone form for the selected guest or template.
    Clone,
    /// Set or unset the selected Ceph flag.
    Toggle,
    /// Back the selected guest up now, with its job's settings.
    Backup,
    /// Restore one of the selected guest's backups as a new guest (form).
    Restore,
    /// Destroy the selected stopped guest (typed confirmation).
    Destroy,
}

/// The power menu (`power`): each action's letter in it.
pub const POWER_MENU: [(char, Action); 4] = [
    ('s', Action::Start),
    ('d', Action::Shutdown),
    ('r', Action::Reboot),
    ('k', Action::Stop),
];

impl Action {
    /// Every action a key can be bound to, in the order help lists them.
    pub fn all() -> Vec<Action> {
        let mut all = vec![
            Action::Up,
            Action::Down,
            Action::PageUp,
            Action::PageDown,
            Action::Top,
            Action::Bottom,
            Action::Detail,
            Action::ToggleDetail,
            Action::Back,
            Action::Filter,
            Action::Command,
        ];
        all.extend(Pane::ALL.into_iter().map(Action::Show));
        all.extend(Pane::NAMED.into_iter().map(Action::Show));
        all.extend([
            Action::NextCluster,
            Action::PrevCluster,
            Action::AllClusters,
            Action::Refresh,
            Action::Help,
            Action::Quit,
        ]);
        all.extend([
            Action::Mark,
            Action::Shell,
            Action::Logs,
            Action::Ssh,
            Action::Power,
            Action::Start,
            Action::Shutdown,
            Action::Stop,
            Action::Reboot,
            Action::Migrate,
            Action::Snapshots,
            Action::Wake,
            Action::Maintenance,
            Action::Create,
            Action::Clone,
            Action::Toggle,
            Action::Backup,
            Action::Restore,
            Action::Destroy,
        ]);
        all.extend(SortKey::ALL.into_iter().map(Action::Sort));
        all
    }

    /// Whether it changes a cluster (and so is refused on a read-only one).
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Action::Start
                | Action::Power
                | Action::Shutdown
                | Action::Stop
                | Action::Reboot
                | Action::Migrate
                | Action::Snapshots
                | Action::Wake
                | Action::Create
                | Action::Clone
                | Action::Toggle
                | Action::Backup
                | Action::Restore
                | Action::Destroy
        )
    }

    pub fn describe(&self) -> String {
        match self {
            Action::Quit => "quit rack".into(),
            Action::Help => "show or hide this help".into(),
            Action::Refresh => "refresh the shown cluster(s) now".into(),
            Action::Up => "select the row above".into(),
            Action::Down => "select the row below".into(),
            Action::PageUp => "one page up".into(),
            Action::PageDown => "one page down".into(),
            Action::Top => "first row".into(),
            Action::Bottom => "last row".into(),
            Action::Detail => "open the selected row".into(),
            Action::ToggleDetail => "hide or show the detail beside the table".into(),
            Action::Back => "close help, detail or filter".into(),
            Action::Filter => "filter rows (text, or node: status: tag: …)".into(),
            Action::Command => {
                "command line (:hosts, :vm, :log, :audit, :cluster NAME, :q …)".into()
            }
            Action::NextCluster => "next cluster".into(),
            Action::PrevCluster => "previous cluster".into(),
            Action::AllClusters => "all clusters in one view (again: one)".into(),
            Action::Show(pane) => format!("show {}", pane.title()),
            Action::Sort(key) => format!("sort by {} (again: reverse)", key.name()),
            Action::Mark => "mark/unmark the row (acts on all)".into(),
            Action::Shell => "shell: the node's (Hosts) or the guest's console (Instances)".into(),
            Action::Logs => "logs: the node's journal, the guest's tasks, the task's log".into(),
            Action::Ssh => "ssh to the node or guest here (rack resumes after)".into(),
            Action::Power => "power menu: start, shutdown, reboot, stop".into(),
            Action::Start => "start the guest(s)".into(),
            Action::Shutdown => "shut the guest(s) down gracefully".into(),
            Action::Stop => "stop guest(s) hard, or the task".into(),
            Action::Reboot => "reboot the guest(s)".into(),
            Action::Migrate => "migrate the guest to another node".into(),
            Action::Snapshots => "snapshots: new, roll back, delete".into(),
            Action::Wake => "wake an off node (Wake-on-LAN)".into(),
            Action::Maintenance => "maintenance plan & walkthrough".into(),
            Action::Create => "create a VM or container (form)".into(),
            Action::Clone => "clone the guest or template (form)".into(),
            Action::Toggle => "set or unset the selected Ceph flag".into(),
            Action::Backup => "back the guest up now (its job's storage and mode)".into(),
            Action::Restore => "restore a backup of the guest as a new one (form)".into(),
            Action::Destroy => "destroy a stopped guest (typed)".into(),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Quit => f.write_str("quit"),
            Action::Help => f.write_str("help"),
            Action::Refresh => f.write_str("refresh"),
            Action::Up => f.write_str("up"),
            Action::Down => f.write_str("down"),
            Action::PageUp => f.write_str("page-up"),
            Action::PageDown => f.write_str("page-down"),
            Action::Top => f.write_str("top"),
            Action::Bottom => f.write_str("bottom"),
            Action::Detail => f.write_str("detail"),
            Action::ToggleDetail => f.write_str("toggle-detail"),
            Action::Back => f.write_str("back"),
            Action::Filter => f.write_str("filter"),
            Action::Command => f.write_str("command"),
            Action::NextCluster => f.write_str("next-cluster"),
            Action::PrevCluster => f.write_str("prev-cluster"),
            Action::AllClusters => f.write_str("all-clusters"),
            Action::Show(pane) => write!(f, "show-{}", pane.name()),
            Action::Sort(key) => write!(f, "sort-{}", key.name()),
            Action::Mark => f.write_str("mark"),
            Action::Shell => f.write_str("shell"),
            Action::Logs => f.write_str("logs"),
            Action::Ssh => f.write_str("ssh"),
            Action::Power => f.write_str("power"),
            Action::Start => f.write_str("start"),
            Action::Shutdown => f.write_str("shutdown"),
            Action::Stop => f.write_str("stop"),
            Action::Reboot => f.write_str("reboot"),
            Action::Migrate => f.write_str("migrate"),
            Action::Snapshots => f.write_str("snapshots"),
            Action::Wake => f.write_str("wake"),
            Action::Maintenance => f.write_str("maintenance"),
            Action::Create => f.write_str("create"),
            Action::Clone => f.write_str("clone"),
            Action::Toggle => f.write_str("toggle"),
            Action::Backup => f.write_str("backup"),
            Action::Restore => f.write_str("restore"),
            Action::Destroy => f.write_str("destroy"),
        }
    }
}

impl FromStr for Action {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::all()
            .into_iter()
            .find(|a| a.to_string() == s)
            .ok_or_else(|| format!("unknown action \"{s}\""))
    }
}

impl TryFrom<String> for Action {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Action> for String {
    fn from(a: Action) -> String {
        a.to_string()
    }
}

/// The panes, numbered as the keys 1–8 select them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Hosts,
    Instances,
    Devices,
    Networks,
    Ceph,
    Backups,
    Tasks,
    Ha,
    /// The writes rack sent, from its audit log (`:audit`; no number key).
    Audit,
    /// The cluster log (`:log`; no number key).
    Log,
}

impl Pane {
    pub const ALL: [Pane; 8] = [
        Pane::Hosts,
        Pane::Instances,
        Pane::Devices,
        Pane::Networks,
        Pane::Ceph,
        Pane::Backups,
        Pane::Tasks,
        Pane::Ha,
    ];

    /// The panes opened only by name.
    pub const NAMED: [Pane; 2] = [Pane::Audit, Pane::Log];

    /// The name in action names and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Pane::Hosts => "hosts",
            Pane::Instances => "instances",
            Pane::Devices => "devices",
            Pane::Networks => "networks",
            Pane::Ceph => "ceph",
            Pane::Backups => "backups",
            Pane::Tasks => "tasks",
            Pane::Ha => "ha",
            Pane::Audit => "audit",
            Pane::Log => "log",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Hosts => "Hosts",
            Pane::Instances => "Instances",
            Pane::Devices => "Devices",
            Pane::Networks => "Networks",
            Pane::Ceph => "Ceph",
            Pane::Backups => "Backups",
            Pane::Tasks => "Tasks",
            Pane::Ha => "HA",
            Pane::Audit => "Audit",
            Pane::Log => "Log",
        }
    }

    /// 1 for Hosts … 7 for Tasks, 8 for HA; 0 for a pane opened only by name.
    pub fn number(self) -> usize {
        Pane::ALL
            .iter()
            .position(|p| *p == self)
            .map_or(0, |i| i + 1)
    }
}

/// Sortable columns, shared by the panes that have them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SortKey {
    Vmid,
    Name,
    Type,
    Status,
    Node,
    Cpu,
    Mem,
    Disk,
    Uptime,
    Tags,
    Ha,
    Lock,
    Template,
    Pool,
    Load,
    Guests,
    Version,
    User,
    Took,
    Progress,
    Path,
    Iommu,
    Mtu,
    Info,
}

impl SortKey {
    pub const ALL: [SortKey; 24] = [
        SortKey::Vmid,
        SortKey::Name,
        SortKey::Type,
        SortKey::Status,
        SortKey::Node,
        SortKey::Cpu,
        SortKey::Mem,
        SortKey::Disk,
        SortKey::Uptime,
        SortKey::Tags,
        SortKey::Ha,
        SortKey::Lock,
        SortKey::Template,
        SortKey::Pool,
        SortKey::Load,
        SortKey::Guests,
        SortKey::Version,
        SortKey::User,
        SortKey::Took,
        SortKey::Progress,
        SortKey::Path,
        SortKey::Iommu,
        SortKey::Mtu,
        SortKey::Info,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SortKey::Vmid => "vmid",
            SortKey::Name => "name",
            SortKey::Type => "type",
            SortKey::Status => "status",
            SortKey::Node => "node",
            SortKey::Cpu => "cpu",
            SortKey::Mem => "mem",
            SortKey::Disk => "disk",
            SortKey::Uptime => "uptime",
            SortKey::Tags => "tags",
            SortKey::Ha => "ha",
            SortKey::Lock => "lock",
            SortKey::Template => "template",
            SortKey::Pool => "pool",
            SortKey::Load => "load",
            SortKey::Guests => "guests",
            SortKey::Version => "version",
            SortKey::User => "user",
            SortKey::Took => "took",
            SortKey::Progress => "progress",
            SortKey::Path => "path",
            SortKey::Iommu => "iommu",
            SortKey::Mtu => "mtu",
            SortKey::Info => "info",
        }
    }

    /// Numbers read best largest first; text A to Z.
    pub fn descending_first(self) -> bool {
        matches!(
            self,
            SortKey::Cpu
                | SortKey::Mem
                | SortKey::Disk
                | SortKey::Uptime
                | SortKey::Load
                | SortKey::Guests
                | SortKey::Took
                | SortKey::Progress
                | SortKey::Mtu
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_through_its_name() {
        for action in Action::all() {
            assert_eq!(action.to_string().parse::<Action>(), Ok(action.clone()));
        }
        assert_eq!("show-hosts".parse(), Ok(Action::Show(Pane::Hosts)));
        assert!("launch-missiles".parse::<Action>().is_err());
    }
}
