//! Each pane's row type, registered once: what its filter answers to and what it sorts by
//! come from the row (`model::table::Row`), so every pane filters and sorts the same way.

use crate::action::{Pane, SortKey};
use crate::model::backups::BackupRow;
use crate::model::ceph_view::CephRow;
use crate::model::devices::DeviceRow;
use crate::model::ha::HaRow;
use crate::model::networks::NetworkRow;
use crate::model::table::{Row, columns};
use crate::model::{HostRow, InstanceRow};

use super::task_row::TaskRow;

/// The filter fields of `pane`'s rows.
pub fn fields(pane: Pane) -> &'static [&'static str] {
    match pane {
        Pane::Hosts => HostRow::FIELDS,
        Pane::Instances => InstanceRow::FIELDS,
        Pane::Devices => DeviceRow::FIELDS,
        Pane::Networks => NetworkRow::FIELDS,
        Pane::Ceph => CephRow::FIELDS,
        Pane::Backups => BackupRow::FIELDS,
        Pane::Tasks => TaskRow::FIELDS,
        Pane::Ha => HaRow::FIELDS,
    }
}

/// The sort keys of `pane`'s columns, with the columns' titles.
pub fn sorts(pane: Pane) -> Vec<(SortKey, &'static str)> {
    match pane {
        Pane::Hosts => columns::sorts::<HostRow>(),
        Pane::Instances => columns::sorts::<InstanceRow>(),
        Pane::Devices => columns::sorts::<DeviceRow>(),
        Pane::Networks => columns::sorts::<NetworkRow>(),
        Pane::Ceph => columns::sorts::<CephRow>(),
        Pane::Backups => columns::sorts::<BackupRow>(),
        Pane::Tasks => columns::sorts::<TaskRow>(),
        Pane::Ha => columns::sorts::<HaRow>(),
    }
}
