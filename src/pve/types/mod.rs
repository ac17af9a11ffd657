//! Response shapes, one serde type per answer, shared by both sides: the simulator serializes
//! them as Proxmox sends them (booleans as 0/1), the client reads them leniently (numbers sent as
//! strings, booleans in any shape, absent fields, unknown fields ignored).

pub mod cluster;

pub use cluster::{ClusterResource, ResourceKind};
