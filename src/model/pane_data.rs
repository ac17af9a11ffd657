//! The data a pane reads for itself (beyond the steady refresh), each kind registered once: where
//! the snapshot keeps it, how the status line names it, and how a read made of parts keeps the
//! last good answer of a part that failed. The poller adds how it is read and how often
//! (`poll::PaneRead`); `for_pane!` is the one list of them.

use std::time::SystemTime;

use super::backups::BackupData;
use super::ceph_view::CephData;
use super::cluster_rrd::ClusterHistory;
use super::devices::DeviceData;
use super::ha::HaConfig;
use super::networks::NetworkData;
use super::partial::Partial;
use super::snapshot::{ClusterSnapshot, Source};
use crate::pve::types::ClusterLogEntry;

/// A pane's own data in the snapshot.
pub trait PaneSource {
    type Data: Send + Sync + 'static;
    /// How the status line names it when it is not current.
    const NAME: &'static str;
    fn source(snap: &ClusterSnapshot) -> &Source<Self::Data>;
    fn source_mut(snap: &mut ClusterSnapshot) -> &mut Source<Self::Data>;
    /// The parts of a read that failed, for data read in parts.
    fn partial(_data: &Self::Data) -> Option<&Partial> {
        None
    }
    /// Keep in `new` what `old` (read at `old_at`) said of the parts that failed in `new`.
    fn keep_last_good(_new: &mut Self::Data, _old: &Self::Data, _old_at: SystemTime) {}
}

/// Runs `$f::<Kind>($args…)` for the kind of data `$pane` (a `PaneData`) reads, giving
/// `Some(result)`, or `None` for `PaneData::None`. The one list of panes with their own read.
#[macro_export]
macro_rules! for_pane {
    ($pane:expr, $f:ident ( $($arg:expr),* $(,)? )) => {{
        use $crate::model::PaneData;
        use $crate::model::pane_data as kinds;
        match $pane {
            PaneData::None => None,
            PaneData::Hosts => Some($f::<kinds::HostsHistory>($($arg),*)),
            PaneData::Devices => Some($f::<kinds::Devices>($($arg),*)),
            PaneData::Ceph => Some($f::<kinds::Ceph>($($arg),*)),
            PaneData::Backups => Some($f::<kinds::Backups>($($arg),*)),
            PaneData::Networks => Some($f::<kinds::Networks>($($arg),*)),
            PaneData::Ha => Some($f::<kinds::HaRules>($($arg),*)),
            PaneData::Log => Some($f::<kinds::ClusterLog>($($arg),*)),
        }
    }};
}

/// The Hosts pane's cluster charts: every node's last hour.
pub struct HostsHistory;
/// Device pools from the mappings, and the hardware of the nodes.
pub struct Devices;
/// The Ceph pane's OSDs, monitors, managers and pools.
pub struct Ceph;
/// Backups on every backup storage, and the jobs.
pub struct Backups;
/// Interfaces of every node and the SDN.
pub struct Networks;
/// HA resources and rules.
pub struct HaRules;
/// The cluster log's newest entries.
pub struct ClusterLog;

/// `PaneSource` for a kind kept in the snapshot's `$field`: with `parts`, its data is read in
/// parts that each keep their last good answer (`Data::partial`, `Data::keep_last_good`).
macro_rules! pane_source {
    ($kind:ident, $data:ty, $field:ident, $name:literal $(, $parts:ident)?) => {
        impl PaneSource for $kind {
            type Data = $data;
            const NAME: &'static str = $name;
            fn source(snap: &ClusterSnapshot) -> &Source<$data> {
                &snap.$field
            }
            fn source_mut(snap: &mut ClusterSnapshot) -> &mut Source<$data> {
                &mut snap.$field
            }
            $(pane_source!(@$parts $data);)?
        }
    };
    (@parts $data:ty) => {
        fn partial(data: &$data) -> Option<&Partial> {
            Some(&data.partial)
        }
        fn keep_last_good(new: &mut $data, old: &$data, old_at: SystemTime) {
            new.keep_last_good(old, old_at);
        }
    };
}

pane_source!(
    HostsHistory,
    ClusterHistory,
    cluster_rrd,
    "cluster history",
    parts
);
pane_source!(Devices, DeviceData, devices, "devices", parts);
pane_source!(Ceph, CephData, ceph, "ceph", parts);
pane_source!(Backups, BackupData, backups, "backups", parts);
pane_source!(Networks, NetworkData, networks, "networks", parts);
pane_source!(HaRules, HaConfig, ha_config, "HA rules");
pane_source!(ClusterLog, Vec<ClusterLogEntry>, cluster_log, "cluster log");

/// What of `K`'s data is not current: `backups: storage nas` (a part), `networks` (the whole
/// read failed), the first part and how many more.
pub fn stale<K: PaneSource>(snap: &ClusterSnapshot) -> Option<String> {
    let source = K::source(snap);
    if source.error.is_some() {
        return Some(K::NAME.to_string());
    }
    let parts: Vec<&str> = source
        .get()
        .and_then(K::partial)?
        .iter()
        .map(|s| s.part.as_str())
        .collect();
    match parts.as_slice() {
        [] => None,
        [one] => Some(format!("{}: {one}", K::NAME)),
        [first, rest @ ..] => Some(format!("{}: {first} +{}", K::NAME, rest.len())),
    }
}
