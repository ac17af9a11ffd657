//! The Hosts pane's cluster chart: every online node's last hour, read side by side and summed.

use super::ReadError;
use futures::StreamExt;

use super::{CONCURRENCY, get};
use crate::model::cluster_rrd::{self, ClusterHistory};
use crate::model::partial::Partial;
use crate::pve::Client;
use crate::pve::endpoints::nodes;
use crate::pve::types::RrdPoint;

/// Every online node's last hour, summed. A node that does not answer leaves a gap in the sum
/// rather than failing it; none answering is an error.
pub(super) async fn cluster_rrd(
    client: &Client,
    nodes: &[String],
) -> Result<ClusterHistory, ReadError> {
    let answers: Vec<(String, Result<Vec<RrdPoint>, ReadError>)> =
        futures::stream::iter(nodes.iter().cloned())
            .map(|node| async move {
                let path = nodes::rrd_hour(&node);
                (node, get(client, path).await)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
    let mut first_error = None;
    let mut lists = std::collections::BTreeMap::new();
    let mut partial = Partial::default();
    for (node, answer) in answers {
        match answer {
            Ok(list) => {
                lists.insert(node, list);
            }
            Err(e) => {
                partial.failed(cluster_rrd::node_part(&node), &e);
                first_error.get_or_insert(e);
            }
        }
    }
    match (lists.is_empty(), first_error) {
        (true, Some(e)) => Err(e),
        _ => Ok(ClusterHistory::of(lists, partial)),
    }
}
