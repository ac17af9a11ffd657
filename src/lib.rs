//! rack: a keyboard-driven terminal console for Proxmox VE datacenters.
//!
//! Modules, lowest layer first (`tests/it/layers.rs` keeps it so):
//! - `pve` — the `rack-pve` crate (`crates/rack-pve`), re-exported: the Proxmox VE API — client,
//!   response types, task ids, lenient decoding, the calendar, path encoding, TLS pinning; it uses
//!   nothing of rack's
//! - `sim` — the `rack-sim` crate (`crates/rack-sim`), re-exported: the simulated Proxmox cluster
//!   the demo and every test run against; it uses only `rack-pve`'s types
//! - `action` — what a key can ask for (`Action`), the panes (`Pane`) and sort keys (`SortKey`)
//! - `sched` — placement: every node ranked for a request, with reasons. Pure
//! - `clock` — what "now" is: the wall clock, or the embedded simulator's
//! - `model` — pure: cluster snapshots, the rows panes show with their columns, the filter
//!   language, table state (`model::table`), the data panes read for themselves
//!   (`model::pane_data`, listed once in `for_pane!`), derived views (devices, networks, Ceph,
//!   backups, HA), text cleaning
//! - `config` — the config file: clusters, credentials and where secrets come from, theme, keys
//! - `maint` — node maintenance: the plan (pre-checks, where each guest goes, the steps). Pure
//! - `poll` — one task per cluster keeping its snapshot fresh, on its own channel; each pane's
//!   own read and its cadence (`poll::pane_read`)
//! - `actions` — confirmed actions: the queue, the journal, following Proxmox tasks; reports
//!   through its own sink
//! - `console` — the console's state and pure update: keys per pane, dialogs, forms, layout
//!   geometry, help pages; no drawing, no I/O
//! - `ui` — drawing the console's state: header, tables, detail, status line, help
//! - `app` — `App`, the one driver of the console: it feeds `update` and carries out what it
//!   asks for, in the terminal (`run`) or headless (`run_headless`, for tests and `rack bench`);
//!   the embedded demo cluster
//! - `logging` — where tracing goes (stderr, or a file under the console)
//! - `cli` — the command line's arguments: `rack` (console), `rack sim`, `rack get`, `rack bench` …
//! - `cmd` — headless verbs (`get`, actions, `place`, `restore`) and `bench`

#![forbid(unsafe_code)]

pub mod action;
pub mod actions;
pub mod app;
pub mod audit;
pub mod cli;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod console;
pub mod files;
pub mod logging;
pub mod maint;
pub mod model;
pub mod poll;
pub use rack_pve as pve;
pub mod sched;
pub use rack_sim as sim;
pub mod ui;

use std::process::ExitCode;

use color_eyre::eyre::{Result, WrapErr, eyre};

use cmd::error::CmdError;

/// Run what the command line asks for.
pub async fn run(cli: cli::Cli) -> Result<ExitCode> {
    let from = Source {
        path: cli.config.clone(),
        demo: cli.demo,
        demo_start: cli.demo_start,
    };
    match cli.command {
        Some(cli::Command::SimControl(args)) => match cmd::sim::control(&args).await {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(e) => {
                eprintln!("error: {e:#}");
                Ok(ExitCode::FAILURE)
            }
        },
        Some(cli::Command::Sim(args)) => match cmd::sim::run(args).await {
            Ok(()) => Ok(ExitCode::SUCCESS),
            // A user's mistake (port in use, unknown scenario) is one line, not a report.
            Err(e) => {
                eprintln!("error: {e:#}");
                Ok(EXIT_USAGE.into())
            }
        },
        Some(cli::Command::Trust(args)) => {
            let path = cli.config.clone().or_else(config::default_path);
            Ok(match cmd::trust::run(&args, path.as_deref()).await {
                Ok(code) => code.into(),
                Err(e) => {
                    eprintln!("error: {e}");
                    EXIT_USAGE.into()
                }
            })
        }
        Some(cli::Command::Audit(args)) => Ok(match cmd::audit::run(&args) {
            Ok(code) => code.into(),
            Err(e) => {
                eprintln!("error: {e}");
                EXIT_USAGE.into()
            }
        }),
        Some(cli::Command::Bench(args)) => {
            let report = cmd::bench::run(&args.scale, args.seconds, args.rounds)
                .await
                .map_err(|e| eyre!(e))?;
            print!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        None => run_console(&from, cli.read_only)
            .await
            .map(|()| ExitCode::SUCCESS)
            .wrap_err("rack failed"),
        // A script reads one plain line on stderr, not a report with a source location.
        Some(command) => Ok(match run_headless(&from, cli.read_only, command).await {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e}");
                e.exit_code().into()
            }
        }),
    }
}

/// Exit status of a headless verb asked for wrongly: a bad flag, a config error, no config.
pub const EXIT_USAGE: u8 = 2;

/// Where the clusters come from: the config file, or the embedded demo when asked for.
struct Source {
    path: Option<std::path::PathBuf>,
    demo: bool,
    demo_start: Option<f64>,
}

/// The clusters a verb works on, the placement settings, and the clock they keep.
struct Clusters {
    configs: Vec<config::ClusterConfig>,
    placement: config::placement::PlacementConfig,
    maintenance: config::maintenance::MaintenanceConfig,
    /// `rack get instances` reads every running guest's addresses up to this many.
    addresses_up_to: usize,
    clock: clock::Clock,
    /// The embedded simulator, kept alive while it is used.
    _sim: Option<sim::SimHandle>,
}

/// The clusters for a headless verb: the demo only when asked for (`--demo`), so a script
/// with no config never gets made-up data.
async fn clusters(from: &Source, read_only: bool) -> Result<Clusters, CmdError> {
    let mut out = if from.demo {
        let (handle, cluster, clock) = demo(from).await.map_err(CmdError::Failed)?;
        Clusters {
            configs: vec![cluster],
            placement: Default::default(),
            maintenance: Default::default(),
            addresses_up_to: model::addresses::ADDRESSES_UP_TO,
            clock,
            _sim: Some(handle),
        }
    } else {
        let config = config::load(from.path.as_deref())
            .map_err(|e| CmdError::Usage(e.to_string()))?
            .ok_or_else(|| CmdError::Usage(no_config()))?;
        for warning in &config.warnings {
            eprintln!("warning: {warning}");
        }
        let mut configs = config.clusters;
        audit_writes(&mut configs);
        Clusters {
            configs,
            placement: config.placement,
            maintenance: config.maintenance,
            addresses_up_to: config.guest_addresses_up_to,
            clock: clock::Clock::Wall,
            _sim: None,
        }
    };
    mark_read_only(&mut out.configs, read_only);
    Ok(out)
}

/// The embedded simulated cluster, started (at `--demo-start`, if given), with its clock.
async fn demo(
    from: &Source,
) -> Result<(sim::SimHandle, config::ClusterConfig, clock::Clock), String> {
    let (handle, cluster) = app::embedded::start(from.demo_start).await?;
    let clock = clock::Clock::Sim(handle.clock());
    Ok((handle, cluster, clock))
}

/// A real cluster's writes go to the audit log (the demo's, which ends with the process, not).
fn audit_writes(configs: &mut [config::ClusterConfig]) {
    let path = audit::default_path();
    if path.is_none() {
        eprintln!(
            "warning: this system has no data directory: writes are not recorded in an audit log (set RACK_DATA_DIR)"
        );
    }
    for c in configs {
        c.audit.clone_from(&path);
    }
}

/// `--read-only`: every cluster refuses every action.
fn mark_read_only(configs: &mut [config::ClusterConfig], read_only: bool) {
    if read_only {
        for c in configs {
            c.read_only = true;
        }
    }
}

fn no_config() -> String {
    let looked = match config::default_path() {
        Some(p) => format!("{} and $RACK_CONFIG", p.display()),
        None => "$RACK_CONFIG (this system has no config directory)".into(),
    };
    format!(
        "no config file (looked at {looked}); `rack sim` gives a cluster to try, `--demo` reads the built-in simulated one"
    )
}

async fn run_headless(
    from: &Source,
    read_only: bool,
    command: cli::Command,
) -> Result<ExitCode, CmdError> {
    let clusters = clusters(from, read_only).await?;
    match command {
        cli::Command::Get(args) => run_get(&clusters, args).await,
        cli::Command::Place(args) => run_place(&clusters, args).await,
        cli::Command::Shell(args) => cmd::attach::shell(&clusters.configs, &args).await,
        cli::Command::Console(args) => cmd::attach::console(&clusters.configs, &args).await,
        cli::Command::Maintenance(m) => run_maintenance(&clusters, from, m).await,
        command => match cmd::verbs::run(
            &command,
            &clusters.configs,
            &clusters.placement,
            &cmd::act::Keeping {
                clock: clusters.clock.clone(),
                // The demo's tasks end with this process: nothing to take up later.
                journal: !from.demo,
            },
        )
        .await
        {
            Ok(Some(code)) => Ok(code),
            Ok(None) => Err(CmdError::Usage("not an action".into())),
            Err(e) => Err(e),
        },
    }
}

async fn run_console(from: &Source, read_only: bool) -> Result<()> {
    let config = if from.demo {
        None
    } else {
        config::load(from.path.as_deref()).map_err(|e| eyre!("{e}"))?
    };
    // Where a config would be read from, as the header shows it (`~/…`).
    let simulated = config.is_none().then(|| match config::default_path() {
        None => "a config file (rack --config FILE)".to_string(),
        Some(p) => match directories::BaseDirs::new()
            .and_then(|d| p.strip_prefix(d.home_dir()).ok().map(|r| r.to_path_buf()))
        {
            Some(rest) => format!("~/{}", rest.display()),
            None => p.display().to_string(),
        },
    });
    let (mut clusters, _sim, config, clock) = match config {
        Some(config) => {
            let mut clusters = config.clusters.clone();
            audit_writes(&mut clusters);
            (clusters, None, config, clock::Clock::Wall)
        }
        None => {
            let (handle, cluster, clock) = demo(from).await.map_err(|e| eyre!(e))?;
            (
                vec![cluster],
                Some(handle),
                config::Config::default(),
                clock,
            )
        }
    };
    mark_read_only(&mut clusters, read_only);
    app::run::console(
        clusters,
        app::Settings {
            config,
            simulated,
            clock,
            ..app::Settings::default()
        },
    )
    .await
}

async fn run_place(clusters: &Clusters, args: cli::PlaceArgs) -> Result<ExitCode, CmdError> {
    let conns = cmd::act::connect(&clusters.configs, args.cluster.as_deref())
        .map_err(|e| CmdError::Usage(e.to_string()))?;
    let [conn] = conns.as_slice() else {
        return Err(CmdError::Usage(
            "several clusters are configured: say which with --cluster".into(),
        ));
    };
    let placement = &clusters.placement;
    let (ask, policy) =
        cmd::place::ask_of(&args, placement).map_err(|e| CmdError::Usage(e.to_string()))?;
    let placement = cmd::place::rank(
        &conn.config,
        &conn.client,
        &ask,
        args.ha_rule.as_deref(),
        policy,
        &placement.headroom,
        &Default::default(),
    )
    .await?;
    for p in &placement.problems {
        eprintln!("warning: not read, so not counted: {p}");
    }
    let ranking = placement.ranking;
    print!("{}", cmd::place::render(&ranking, args.output)?);
    Ok(if ranking.first().is_some_and(|r| r.feasible) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `rack maintenance …`: the plan, the walkthrough in and out, and what is kept of it.
async fn run_maintenance(
    clusters: &Clusters,
    from: &Source,
    command: cli::MaintenanceCommand,
) -> Result<ExitCode, CmdError> {
    let keeping = cmd::act::Keeping {
        clock: clusters.clock.clone(),
        // The demo's cluster ends with this process: nothing to take up later.
        journal: !from.demo,
    };
    let (configs, maintenance) = (&clusters.configs, &clusters.maintenance);
    match command {
        cli::MaintenanceCommand::Plan(args) => {
            cmd::maintenance::plan(configs, &clusters.placement, maintenance, &keeping, &args).await
        }
        cli::MaintenanceCommand::Enter(args) => {
            let placement = &clusters.placement;
            cmd::maintenance_walk::enter(configs, placement, maintenance, &keeping, &args).await
        }
        cli::MaintenanceCommand::Exit(args) => {
            cmd::maintenance_walk::exit(configs, maintenance, &keeping, &args).await
        }
        cli::MaintenanceCommand::Status(args) => {
            cmd::maintenance_walk::status(configs, keeping.journal, &args)
        }
    }
}

async fn run_get(clusters: &Clusters, args: cli::GetArgs) -> Result<ExitCode, CmdError> {
    let mut all = clusters.configs.clone();
    if let Some(names) = &args.cluster {
        let known: Vec<String> = all.iter().map(|c| format!("\"{}\"", c.name)).collect();
        let names: Vec<&str> = names
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        if let Some(name) = names.iter().find(|n| !all.iter().any(|c| c.name == **n)) {
            return Err(CmdError::Usage(format!(
                "no cluster named \"{name}\"; the clusters are {}",
                known.join(", ")
            )));
        }
        all.retain(|c| names.contains(&c.name.as_str()));
    }
    let data = cmd::get::gather(&all, args.kind, &clusters.clock, clusters.addresses_up_to).await;
    let text = cmd::get::render(args.kind, args.output, &data)?;
    print!("{text}");
    for note in &data.notes {
        eprintln!("note: {note}");
    }
    for part in &data.partial {
        eprintln!("warning: not read, so not shown: {part}");
    }
    for failure in &data.failures {
        eprintln!("error: {failure}");
    }
    Ok(if data.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
