//! Response shapes, one serde type per answer, shared by both sides: the simulator serializes
//! them as Proxmox sends them (booleans as 0/1), the client reads them leniently (numbers sent as
//! strings, booleans in any shape, absent fields, unknown fields ignored).

pub mod cluster;
pub mod devices;
pub mod guest;
pub mod ha;
pub mod metrics;
pub mod node;
pub mod task;

pub use cluster::{
    ClusterLogEntry, ClusterResource, ClusterStatusItem, ClusterTask, ResourceKind, Version,
    next_id,
};
pub use devices::{Mapping, PciDevice, UsbDevice};
pub use guest::{AgentInterfaces, GuestConfig, GuestInterface, IpAddress, Snapshot, StorageVolume};
pub use ha::{CorosyncNode, HaManagerStatus, HaResource, HaRule, HaStatusItem};
pub use metrics::{MetricsExport, NodeMetric, NodeMetricKind};
pub use node::{AptPackage, CertificateInfo, NodeStatus, RrdPoint, served_certificate};
pub use task::{Permissions, TaskLogLine, TaskStatus, exit_ok};
