//! Each pane registered once (`panes!`): its table in the console's model and its row type. What
//! its filter answers to, what it sorts by and its columns come from the row
//! (`model::table::Row`), so every pane filters and sorts the same way.

use crate::action::{Pane, SortKey};
use crate::audit::AuditRow;
use crate::model::backups::BackupRow;
use crate::model::ceph_view::CephRow;
use crate::model::cluster_log::LogRow;
use crate::model::devices::DeviceRow;
use crate::model::ha::HaRow;
use crate::model::networks::NetworkRow;
use crate::model::table::{HasState, Row, TableState, columns};
use crate::model::{HostRow, InstanceRow};

use super::model::Model;
use super::task_row::TaskRow;

/// The one list of panes: each pane's table in the model, its row type, and the method that
/// builds its rows from its own read (the others' rows are built with their cluster's).
macro_rules! panes {
    ($( $pane:ident => $field:ident: $row:ty $(, $refresh:ident)? ;)*) => {
        /// The filter fields of `pane`'s rows.
        pub fn fields(pane: Pane) -> &'static [&'static str] {
            match pane {
                $(Pane::$pane => <$row>::FIELDS,)*
            }
        }

        /// The sort keys of `pane`'s columns, with the columns' titles.
        pub fn sorts(pane: Pane) -> Vec<(SortKey, &'static str)> {
            match pane {
                $(Pane::$pane => columns::sorts::<$row>(),)*
            }
        }

        impl Model {
            /// The table state of the open pane.
            pub fn table(&self) -> Option<&TableState> {
                match self.pane {
                    $(Pane::$pane => Some(self.$field.state()),)*
                }
            }

            pub fn table_mut(&mut self) -> Option<&mut TableState> {
                match self.pane {
                    $(Pane::$pane => Some(self.$field.state_mut()),)*
                }
            }

            /// Every pane's table state.
            pub fn tables_mut(&mut self) -> Vec<&mut TableState> {
                vec![$(self.$field.state_mut(),)*]
            }

            /// Rebuild the rows of the open pane when it is one whose rows come from its own
            /// read; the others' rows wait until they are opened.
            pub fn refresh_pane(&mut self) {
                match self.pane {
                    $(Pane::$pane => { $(self.$refresh();)? })*
                }
            }
        }
    };
}

panes! {
    Hosts => hosts: HostRow;
    Instances => instances: InstanceRow;
    Devices => devices: DeviceRow, refresh_devices;
    Networks => networks: NetworkRow, refresh_networks;
    Ceph => ceph: CephRow, refresh_ceph;
    Backups => backups: BackupRow, refresh_backups;
    Tasks => tasks: TaskRow;
    Ha => ha: HaRow, refresh_ha;
    Audit => audit: AuditRow, refresh_audit;
    Log => log: LogRow, refresh_log;
}
