//! The command line.

use std::io::Write;
use std::net::SocketAddr;

use clap::{Parser, Subcommand};
use color_eyre::eyre::{Result, WrapErr, eyre};

use crate::sim::{Scenario, SimOptions, Simulator};

#[derive(Debug, Parser)]
#[command(
    name = "rack",
    version,
    about = "A keyboard-driven console for Proxmox VE datacenters"
)]
pub struct Cli {
    /// The config file (default: the platform config dir, e.g. ~/.config/rack/config.toml).
    /// Without one, rack runs on an embedded simulated cluster.
    #[arg(long, global = true, env = "RACK_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a simulated Proxmox VE cluster that speaks the real API.
    Sim(SimArgs),
    /// Poll once and print hosts or instances, for scripts.
    Get(GetArgs),
    /// Measure the console at scale: requests per refresh, poll-to-snapshot, render and filter
    /// times, memory. Prints figures.
    Bench(BenchArgs),
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Simulated cluster sizes as NODES:GUESTS (repeatable).
    #[arg(long, value_parser = parse_scale, default_values = ["8:600", "64:10000"])]
    pub scale: Vec<(usize, usize)>,
    /// Refreshes (and ten times as many frames) to take medians over.
    #[arg(long, default_value_t = 10)]
    pub rounds: usize,
}

#[derive(Debug, clap::Args)]
pub struct GetArgs {
    pub kind: crate::cmd::get::Kind,
    /// table (aligned text) or json (an array of objects).
    #[arg(short, long, value_enum, default_value_t)]
    pub output: crate::cmd::get::Output,
    /// Only this cluster (by its name in the config).
    #[arg(long)]
    pub cluster: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8006")]
    pub listen: SocketAddr,
    /// A built-in scenario (homelab, laptop) or a scenario TOML file.
    #[arg(long, default_value = "homelab")]
    pub scenario: String,
    /// Generate a cluster of NODES:GUESTS instead of a scenario (deterministic per --seed).
    #[arg(long, value_parser = parse_scale)]
    pub scale: Option<(usize, usize)>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulated seconds per real second; 0 freezes time (for repeatable answers).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Simulated time at start, in Unix seconds (default: now).
    #[arg(long)]
    pub start: Option<f64>,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    pub http: bool,
    /// API token as USER@REALM!ID=SECRET (default: root@pam!rack with a random secret).
    #[arg(long)]
    pub token: Option<String>,
    /// Password for root@pam (default: random).
    #[arg(long)]
    pub password: Option<String>,
    /// Faults in force from the start, e.g. "latency=200ms;errors=0.1".
    #[arg(long)]
    pub faults: Option<String>,
}

fn parse_scale(text: &str) -> Result<(usize, usize), String> {
    let (n, g) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not NODES:GUESTS"))?;
    let n: usize = n
        .parse()
        .map_err(|_| format!("{n:?} is not a node count"))?;
    let g: usize = g
        .parse()
        .map_err(|_| format!("{g:?} is not a guest count"))?;
    if n == 0 || n > 1000 || g > 200_000 {
        return Err("scale must be 1-1000 nodes and at most 200000 guests".into());
    }
    Ok((n, g))
}

pub async fn run_sim(args: SimArgs) -> Result<()> {
    if !(args.speed.is_finite() && args.speed >= 0.0) {
        return Err(eyre!("--speed {} must be a number ≥ 0", args.speed));
    }
    let scenario = match args.scale {
        Some((nodes, guests)) => crate::sim::generate::generate(nodes, guests, args.seed),
        None => Scenario::load(&args.scenario)?,
    };
    let options = SimOptions {
        listen: args.listen,
        seed: args.seed,
        speed: args.speed,
        start: args.start,
        http: args.http,
        token: args.token,
        password: args.password,
        faults: args.faults,
    };
    let handle = Simulator::start(scenario, options).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "url: {}", handle.url)?;
    if let Some(fp) = &handle.fingerprint {
        writeln!(out, "fingerprint: {fp}")?;
    }
    writeln!(out, "token: {}", handle.token())?;
    writeln!(out, "password: {}", handle.password)?;
    out.flush()?;
    drop(out);
    shutdown_signal().await.wrap_err("waiting for a signal")?;
    tracing::info!("shutting down");
    handle.shutdown();
    Ok(())
}

async fn shutdown_signal() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}
