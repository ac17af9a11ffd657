//! The panes, numbered as the keys 1–8 select them.

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
        }
    }

    /// 1 for Hosts … 7 for Tasks, 8 for HA.
    pub fn number(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0) + 1
    }
}
