//! What reaches the app loop from outside: terminal input, polled snapshots, task progress.

use crate::model::ClusterSnapshot;

#[derive(Debug)]
pub enum Event {
    /// A cluster's fresh picture, replacing the previous one whole.
    Snapshot(Box<ClusterSnapshot>),
}
