//! `rack maintenance plan NODE`: what taking a node out would do, changing nothing.

use std::fmt::Write as _;
use std::process::ExitCode;

use super::act;
use super::error::CmdError;
use crate::cli::{MaintenancePlanArgs, Output};
use crate::clock::Clock;
use crate::config::ClusterConfig;
use crate::config::placement::PlacementConfig;
use crate::maint::plan::minutes;
use crate::maint::{self, How, Plan, Settings, Verdict};
use crate::model::text::bytes;
use crate::poll::{ReadError, maintenance_inputs};

/// Read the cluster, plan, print; exit 0 when the walkthrough could start, 1 when it could not.
pub async fn plan(
    clusters: &[ClusterConfig],
    placement: &PlacementConfig,
    clock: &Clock,
    args: &MaintenancePlanArgs,
) -> Result<ExitCode, CmdError> {
    let conns = act::connect(clusters, args.cluster.as_deref())?;
    let [conn] = conns.as_slice() else {
        return Err(CmdError::Usage(
            "several clusters are configured: say which with --cluster".into(),
        ));
    };
    let c = &conn.config;
    let (inputs, problems) = maintenance_inputs(
        &c.name,
        &conn.client,
        &args.node,
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
    let settings = Settings {
        policy: placement.policy,
        headroom: placement.headroom,
        ..Settings::default()
    };
    let plan = maint::plan(&inputs, &settings);
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
        Output::Table => render(&plan),
    };
    print!("{text}");
    Ok(if plan.ready() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[derive(serde::Serialize)]
struct Json<'a> {
    ready: bool,
    #[serde(flatten)]
    plan: &'a Plan,
}

fn mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✓",
        Verdict::Warn => "!",
        Verdict::Fail => "✗",
    }
}

/// The plan as a person reads it.
pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Maintenance of {}", plan.node);
    let _ = writeln!(out, "\nPre-checks");
    for c in &plan.checks {
        let _ = writeln!(out, "  {} {:<12} {}", mark(c.verdict), c.what, c.reason);
    }
    let _ = writeln!(out, "\nGuests");
    if plan.moves.is_empty() {
        let _ = writeln!(out, "  none on the node");
    }
    for m in &plan.moves {
        let how = match m.how {
            How::Live => "live-migrate",
            How::Ha => "migrate via HA",
            How::Restart => "restart-migrate",
            How::Offline => "migrate offline",
            How::Stays => "stays",
            How::Blocked => "CANNOT MOVE",
        };
        let target = m
            .target
            .as_deref()
            .map_or(String::new(), |t| format!(" to {t}"));
        let took = m
            .estimate
            .map_or(String::new(), |s| format!(", {}", minutes(s)));
        let down = m
            .downtime
            .map_or(String::new(), |s| format!(", down {}", minutes(s)));
        let _ = writeln!(
            out,
            "  {:>5} {:<16} {how}{target}{took}{down}",
            m.vmid, m.name
        );
        for r in &m.reasons {
            let _ = writeln!(out, "        {r}");
        }
    }
    let _ = writeln!(
        out,
        "  moves take {} in all at {}/s ({})",
        minutes(plan.estimate),
        bytes(plan.rate as u64),
        plan.rate_from
    );
    let _ = writeln!(out, "\nSteps");
    for (i, s) in plan.steps.iter().enumerate() {
        match &s.skipped {
            None => {
                let _ = writeln!(out, "  {}. {}", i + 1, s.what);
            }
            Some(why) => {
                let _ = writeln!(out, "  {}. {} — skipped: {why}", i + 1, s.what);
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{}",
        if plan.ready() {
            "The walkthrough could start."
        } else {
            "The walkthrough cannot start: see ✗ and CANNOT MOVE above."
        }
    );
    out
}
