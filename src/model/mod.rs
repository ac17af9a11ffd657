//! The picture of the clusters: snapshots as polled, and the rows the panes and `rack get` show.
//! Pure: no I/O, no async, no terminal.

pub mod filter;
pub mod mac;
pub mod rows;
pub mod snapshot;
pub mod table;
pub mod text;

pub use filter::Filter;
pub use rows::{GuestKind, HostRow, HostStatus, InstanceRow, host_rows, instance_rows};
pub use snapshot::{ClusterSnapshot, Focus, GuestDetail, NodeDetail, PaneData, PollStats, Source};
pub mod summary;
pub use summary::Summary;
pub mod addresses;
pub mod backups;
pub use rack_pve::calendar;
pub mod catalog;
pub mod ceph;
pub mod ceph_view;
pub mod cluster_log;
pub mod cluster_rrd;
pub mod devices;
pub mod guest_summary;
pub mod ha;
pub mod metrics;
pub mod network_alias;
pub mod networks;
pub mod pane_data;
pub mod partial;
pub mod placement;
pub mod progress;
pub mod tasks;
pub mod validate;
