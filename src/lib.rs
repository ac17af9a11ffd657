//! rack: a keyboard-driven terminal console for Proxmox VE datacenters.
//!
//! - `cli` — the command line: `rack` (console), `rack sim`, `rack get`, `rack bench`
//! - `config` — the config file: clusters, credentials and where secrets come from, theme, keys
//! - `pve` — the Proxmox VE API: client, response types, task ids, lenient decoding, TLS pinning
//! - `sim` — the simulated Proxmox cluster the demo and every test run against
//! - `model` — pure: cluster snapshots, the rows panes show, filtering, text cleaning
//! - `poll` — one task per cluster keeping its snapshot fresh
//! - `actions` — confirmed actions: the queue, the journal, following Proxmox tasks
//! - `app` — actions, events, the model, the pure update and the console loop; the embedded demo
//!   cluster
//! - `logging` — where tracing goes (stderr, or a file under the console)
//! - `ui` — drawing the model: header, tables, detail, status line, help
//! - `cmd` — headless verbs (`get`) and `bench`

#![forbid(unsafe_code)]

pub mod actions;
pub mod app;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod logging;
pub mod model;
pub mod poll;
pub mod pve;
pub mod sched;
pub mod sim;
pub mod ui;

use std::process::ExitCode;

use color_eyre::eyre::{Result, WrapErr, eyre};

/// Run what the command line asks for.
pub async fn run(cli: cli::Cli) -> Result<ExitCode> {
    match cli.command {
        Some(cli::Command::Sim(args)) => cli::run_sim(args).await.map(|()| ExitCode::SUCCESS),
        Some(cli::Command::Bench(args)) => {
            let report = cmd::bench::run(&args.scale, args.rounds)
                .await
                .map_err(|e| eyre!(e))?;
            print!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        // A script reads one plain line on stderr, not a report with a source location.
        Some(cli::Command::Get(args)) => match run_get(cli.config.as_deref(), args).await {
            Ok(code) => Ok(code),
            Err(e) => {
                eprintln!("error: {e}");
                Ok(ExitCode::FAILURE)
            }
        },
        Some(cli::Command::Place(args)) => match run_place(cli.config.as_deref(), args).await {
            Ok(code) => Ok(code),
            Err(e) => {
                eprintln!("error: {e}");
                Ok(ExitCode::FAILURE)
            }
        },
        None => run_console(cli.config.as_deref(), cli.read_only)
            .await
            .map(|()| ExitCode::SUCCESS),
        Some(command) => match run_verb(cli.config.as_deref(), cli.read_only, &command).await {
            Ok(code) => Ok(code),
            Err(e) => {
                eprintln!("error: {e}");
                Ok(ExitCode::FAILURE)
            }
        },
    }
    .wrap_err("rack failed")
}

/// The clusters to use: the config's, or the embedded simulator's (kept alive by the handle).
async fn clusters(
    path: Option<&std::path::Path>,
) -> Result<(Vec<config::ClusterConfig>, Option<sim::SimHandle>)> {
    match config::load(path).map_err(|e| eyre!("{e}"))? {
        Some(config) => {
            for warning in &config.warnings {
                eprintln!("warning: {warning}");
            }
            Ok((config.clusters, None))
        }
        None => {
            let (handle, cluster) = app::embedded::start().await.map_err(|e| eyre!(e))?;
            Ok((vec![cluster], Some(handle)))
        }
    }
}

/// An action verb: on the configured clusters only (an embedded simulator would vanish with
/// the process, and with it the action).
async fn run_verb(
    path: Option<&std::path::Path>,
    read_only: bool,
    command: &cli::Command,
) -> Result<ExitCode> {
    let config = config::load(path)
        .map_err(|e| eyre!("{e}"))?
        .ok_or_else(|| {
            eyre!("no config file: actions need a cluster (see config.example.toml, or `rack sim` for a simulated one)")
        })?;
    for warning in &config.warnings {
        eprintln!("warning: {warning}");
    }
    let mut clusters = config.clusters;
    if read_only {
        for c in &mut clusters {
            c.read_only = true;
        }
    }
    match cmd::verbs::run(command, &clusters, &config.placement).await {
        Ok(Some(code)) => Ok(code),
        Ok(None) => Err(eyre!("not an action")),
        Err(e) => Err(eyre!(e)),
    }
}

async fn run_console(path: Option<&std::path::Path>, read_only: bool) -> Result<()> {
    let config = config::load(path).map_err(|e| eyre!("{e}"))?;
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
    let (mut clusters, _sim, config) = match config {
        Some(config) => (config.clusters.clone(), None, config),
        None => {
            let (handle, cluster) = app::embedded::start().await.map_err(|e| eyre!(e))?;
            (vec![cluster], Some(handle), config::Config::default())
        }
    };
    if read_only {
        for c in &mut clusters {
            c.read_only = true;
        }
    }
    app::run::console(clusters, app::run::Settings { config, simulated }).await
}

async fn run_place(path: Option<&std::path::Path>, args: cli::PlaceArgs) -> Result<ExitCode> {
    let (all, _sim) = clusters(path).await?;
    let conns = cmd::act::connect(&all, args.cluster.as_deref()).map_err(|e| eyre!(e))?;
    let [conn] = conns.as_slice() else {
        return Err(eyre!(
            "several clusters are configured: say which with --cluster"
        ));
    };
    let placement = config::load(path)
        .ok()
        .flatten()
        .map(|c| c.placement)
        .unwrap_or_default();
    let (ask, policy) = cmd::place::ask_of(&args, &placement).map_err(|e| eyre!(e))?;
    let placement = cmd::place::rank(
        &conn.config,
        &conn.client,
        &ask,
        args.ha_rule.as_deref(),
        policy,
        &placement.headroom,
        &Default::default(),
    )
    .await
    .map_err(|e| eyre!(e))?;
    let ranking = placement.ranking;
    print!(
        "{}",
        cmd::place::render(&ranking, args.output).map_err(|e| eyre!(e))?
    );
    Ok(if ranking.first().is_some_and(|r| r.feasible) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn run_get(path: Option<&std::path::Path>, args: cli::GetArgs) -> Result<ExitCode> {
    let (mut all, _sim) = clusters(path).await?;
    if let Some(name) = &args.cluster {
        let known: Vec<String> = all.iter().map(|c| format!("\"{}\"", c.name)).collect();
        all.retain(|c| &c.name == name);
        if all.is_empty() {
            return Err(eyre!(
                "no cluster named \"{name}\"; the clusters are {}",
                known.join(", ")
            ));
        }
    }
    let data = cmd::get::gather(&all, args.kind).await;
    let text = cmd::get::render(args.kind, args.output, &data).map_err(|e| eyre!(e))?;
    print!("{text}");
    for failure in &data.failures {
        eprintln!("error: {failure}");
    }
    Ok(if data.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
