//! `rack maintenance plan NODE`: what taking a node out would do, changing nothing.

use std::process::ExitCode;

use super::act;
use super::error::CmdError;
use crate::actions::Request;
use crate::cli::{MaintenancePlanArgs, Output};
use crate::clock::Clock;
use crate::config::ClusterConfig;
use crate::config::maintenance::MaintenanceConfig;
use crate::config::placement::PlacementConfig;
use crate::maint::{self, Plan, Settings, report};
use crate::poll::{ReadError, maintenance_inputs};

/// Read the cluster, plan, print; exit 0 when the walkthrough could start, 1 when it could not.
pub async fn plan(
    clusters: &[ClusterConfig],
    placement: &PlacementConfig,
    maintenance: &MaintenanceConfig,
    keeping: &act::Keeping,
    args: &MaintenancePlanArgs,
) -> Result<ExitCode, CmdError> {
    let clock = &keeping.clock;
    let conns = act::connect(clusters, args.cluster.as_deref())?;
    let [conn] = conns.as_slice() else {
        return Err(CmdError::Usage(
            "several clusters are configured: say which with --cluster".into(),
        ));
    };
    if args.refresh {
        let request = Request::RefreshPackages {
            node: args.node.clone(),
        };
        act::check_permissions(conn, &request).await?;
        let mut err = std::io::stderr();
        let mut progress = std::io::stderr();
        let refreshed = act::submit(
            &conns,
            vec![(0, request)],
            true,
            keeping,
            &mut progress,
            &mut err,
        )
        .await?;
        if !refreshed {
            eprintln!(
                "warning: the package lists were not refreshed; the plan shows the last refresh"
            );
        }
    }
    let plan = read_plan(conn, &args.node, placement, maintenance, clock).await?;
    let text = match args.output {
        Output::Json => {
            let mut s = serde_json::to_string_pretty(&Json {
                ready: plan.ready(),
                plan: &plan,
            })
            .map_err(|e| CmdError::Failed(e.to_string()))?;
            s.push('\n');
            s
        }
        Output::Table => report::text(&plan),
    };
    print!("{text}");
    Ok(if plan.ready() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Read what the plan needs and make it; what could not be read is said on stderr.
pub async fn read_plan(
    conn: &act::Conn,
    node: &str,
    placement: &PlacementConfig,
    maintenance: &MaintenanceConfig,
    clock: &Clock,
) -> Result<Plan, CmdError> {
    let c = &conn.config;
    let (inputs, problems) = maintenance_inputs(
        &c.name,
        &conn.client,
        node,
        &c.networks,
        &c.devices,
        clock.now(),
    )
    .await
    .map_err(|e| match e {
        e @ ReadError::NoNode { .. } => CmdError::Usage(e.to_string()),
        e => CmdError::Failed(format!("cluster \"{}\": {e}", c.name)),
    })?;
    for p in &problems {
        eprintln!("warning: not read, so not counted: {p}");
    }
    Ok(maint::plan(&inputs, &Settings::of(placement, maintenance)))
}

#[derive(serde::Serialize)]
struct Json<'a> {
    ready: bool,
    #[serde(flatten)]
    plan: &'a Plan,
}
