//! Why a read of a cluster failed, in the words the pane and the status line show.

use crate::pve;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadError {
    /// The call failed: no endpoint answered, or Proxmox answered with an error.
    #[error(transparent)]
    Api(#[from] pve::Error),
    /// An answer came that could not be read as Proxmox sends it.
    #[error("{0}")]
    Unreadable(String),
    /// Every part of a read made of parts failed: each with why.
    #[error("{}", .0.join("; "))]
    Parts(Vec<String>),
    /// A node asked about that the cluster does not have: what it has.
    #[error("no node \"{node}\"; the nodes are {}", known.join(", "))]
    NoNode { node: String, known: Vec<String> },
    /// Nothing has been read yet.
    #[error("no data yet")]
    NotYet,
    /// A failure the snapshot recorded, as it was said then.
    #[error("{0}")]
    Recorded(String),
}
