//! Each pane's row type, registered once: what its filter answers to and what it sorts by
//! come from the row (`model::table::Row`), so every pane filters and sorts the same way.

use crate::action::{Pane, SortKey};
use crate::model::backups::BackupRow;
use crate::model::ceph_view::CephLine;
use crate::model::devices::DeviceLine;
use crate::model::ha::HaLine;
use crate::model::networks::NetLine;
use crate::model::table::Row;
use crate::model::{HostRow, InstanceRow};

use super::task_line::TaskLine;

/// The filter fields of `pane`'s rows.
pub fn fields(pane: Pane) -> &'static [&'static str] {
    match pane {
        Pane::Hosts => HostRow::FIELDS,
        Pane::Instances => InstanceRow::FIELDS,
        Pane::Devices => DeviceLine::FIELDS,
        Pane::Networks => NetLine::FIELDS,
        Pane::Ceph => CephLine::FIELDS,
        Pane::Backups => BackupRow::FIELDS,
        Pane::Tasks => TaskLine::FIELDS,
        Pane::Ha => HaLine::FIELDS,
    }
}

/// The sort keys of `pane`'s columns, with the columns' titles.
pub fn sorts(pane: Pane) -> &'static [(SortKey, &'static str)] {
    match pane {
        Pane::Hosts => HostRow::SORTS,
        Pane::Instances => InstanceRow::SORTS,
        Pane::Devices => DeviceLine::SORTS,
        Pane::Networks => NetLine::SORTS,
        Pane::Ceph => CephLine::SORTS,
        Pane::Backups => BackupRow::SORTS,
        Pane::Tasks => TaskLine::SORTS,
        Pane::Ha => HaLine::SORTS,
    }
}
