//! `rack place`: where a guest with these needs would go, every node ranked with its reasons — a
//! dry run of the scheduler against the cluster as it is now.

use super::error::CmdError;
use std::fmt::Write as _;
use std::time::SystemTime;

use serde::Serialize;

use crate::actions::catalog;
use crate::cli::PlaceArgs;
use crate::cmd::get::Output;
use crate::config::ClusterConfig;
use crate::config::placement::{PlacementConfig, Sizes};
use crate::model::devices::{self, DeviceData};
use crate::model::placement::{self, Reservations, hosts};
use crate::model::{host_rows, instance_rows};
use crate::poll;
use crate::pve::Client;
use crate::pve::endpoints::cluster;
use crate::sched::{self, Ask, Headroom, Ranked};

/// The needs as the arguments give them (with their type and role), and the policy.
pub fn ask_of(args: &PlaceArgs, p: &PlacementConfig) -> Result<(Ask, sched::Policy), CmdError> {
    let base = if args.ct { Sizes::CT } else { Sizes::VM };
    let sized = args.sizing.resolve(p, base)?;
    let mut anti_affinity = args.anti_affinity.clone();
    anti_affinity.extend(sized.anti_affinity.iter().cloned());
    Ok((
        Ask {
            cores: sized.cores,
            memory: sized.memory_mib << 20,
            disk: sized.disk_gib << 30,
            storage: args.storage.clone(),
            content: if args.ct { "rootdir" } else { "images" }.into(),
            shared: args.ha,
            network: args.network.clone().or(sized.network),
            devices: sized.devices,
            node: args.node.clone().filter(|n| n != "auto"),
            anti_affinity,
            ha_rule: None,
        },
        sized.policy,
    ))
}

/// A ranking, and the pools it chose from (whose bus decides how a device is attached).
pub struct Placement {
    pub ranking: Vec<Ranked>,
    pub devices: DeviceData,
    /// What could not be read (the ranking is made without it).
    pub problems: Vec<String>,
}

/// Read the cluster and rank its nodes for `ask`.
#[allow(clippy::too_many_arguments)]
pub async fn rank(
    cluster: &ClusterConfig,
    client: &Client,
    ask: &Ask,
    ha_rule: Option<&str>,
    policy: sched::Policy,
    headroom: &Headroom,
    reserved: &Reservations,
) -> Result<Placement, CmdError> {
    let snapshot = poll::poll_once(&cluster.name, client, SystemTime::now()).await;
    poll::readable(&snapshot).map_err(|e| e.to_string())?;
    let mut ask = ask.clone();
    if let Some(name) = ha_rule {
        let rules: Vec<serde_json::Value> = client
            .get(cluster::HA_RULES)
            .await
            .map_err(|e| format!("cannot read the HA rules: {}", e.proxmox_text()))?;
        let rule = rules
            .iter()
            .find(|r| r["rule"] == name)
            .ok_or_else(|| format!("--ha-rule: no HA rule \"{name}\""))?;
        ask.ha_rule = Some(placement::ha_rule_ask(rule, &instance_rows(&snapshot)));
        // An HA guest must be able to run on another node: shared storage only.
        ask.shared = true;
    }
    // The catalog reads the device pools too.
    let catalog = catalog::fetch(client).await;
    let view = devices::devices_with(&catalog.devices, &cluster.devices);
    devices::check_asks(&view, &catalog.devices, &ask.devices)?;
    let hosts = hosts(
        &host_rows(&snapshot),
        &instance_rows(&snapshot),
        &catalog,
        &view,
        reserved,
        &cluster.networks,
    );
    Ok(Placement {
        ranking: sched::rank(&hosts, &ask, policy, headroom),
        problems: catalog
            .problems
            .iter()
            .chain(&catalog.devices.problems)
            .cloned()
            .chain(
                catalog
                    .devices
                    .partial
                    .iter()
                    .map(|s| format!("{}: {}", s.part, s.error)),
            )
            .collect(),
        devices: catalog.devices,
    })
}

#[derive(Serialize)]
struct JsonRow<'a> {
    node: &'a str,
    feasible: bool,
    score: f64,
    reasons: &'a [String],
    storage: Option<&'a str>,
    devices: Vec<String>,
}

/// The ranking as a table or JSON (an array, best first).
pub fn render(ranking: &[Ranked], output: Output) -> Result<String, CmdError> {
    match output {
        Output::Json => {
            let rows: Vec<JsonRow> = ranking
                .iter()
                .map(|r| JsonRow {
                    node: &r.node,
                    feasible: r.feasible,
                    score: r.score,
                    reasons: &r.reasons,
                    storage: r.storage.as_deref(),
                    devices: r
                        .devices
                        .iter()
                        .map(|(pool, id)| format!("{pool}:{id}"))
                        .collect(),
                })
                .collect();
            serde_json::to_string_pretty(&rows)
                .map(|mut s| {
                    s.push('\n');
                    s
                })
                .map_err(|e| CmdError::Failed(e.to_string()))
        }
        Output::Table => {
            let mut out = String::new();
            let width = ranking
                .iter()
                .map(|r| r.node.len())
                .max()
                .unwrap_or(4)
                .max(4);
            for (i, r) in ranking.iter().enumerate() {
                let mark = match (i, r.feasible) {
                    (0, true) => "→",
                    (_, true) => "✓",
                    _ => "✗",
                };
                let score = if r.feasible {
                    format!("{:>5.1}", r.score)
                } else {
                    "    –".into()
                };
                let _ = writeln!(
                    out,
                    "{mark} {:<width$}  {score}  {}",
                    r.node,
                    r.reasons.join("; ")
                );
            }
            if ranking.first().is_none_or(|r| !r.feasible) {
                out.push_str("no node can take it\n");
            }
            Ok(out)
        }
    }
}
