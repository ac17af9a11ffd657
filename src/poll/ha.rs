//! The HA configuration: resources and rules.

use super::ReadError;
use super::get;
use crate::model::ha::HaConfig;
use crate::pve::Client;
use crate::pve::endpoints::cluster;

/// HA resources and rules. Without the resources nothing is shown; rules are missing on clusters
/// before Proxmox VE 9 (which had groups), and the pane says so.
pub async fn ha_config(client: &Client) -> Result<HaConfig, ReadError> {
    let (resources, rules) = tokio::join!(
        get(client, cluster::HA_RESOURCES.into()),
        get(client, cluster::HA_RULES.into()),
    );
    Ok(HaConfig {
        resources: resources?,
        // The model keeps why the rules were not read, in words.
        rules: rules.map_err(|e: ReadError| e.to_string()),
    })
}
